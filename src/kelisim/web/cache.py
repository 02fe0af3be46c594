"""The cache of read results: stale-while-revalidate, bounded by ``seconds``, shared by the
server processes.

Reads are far more frequent than writes, and one page's data costs tens to hundreds of
milliseconds of SQL and pandas; the cache keeps API latency low under many concurrent clients
while other processes write. The rules (HTTP's ``max-age`` and ``stale-while-revalidate``,
RFC 5861, with ``seconds`` = ``cache_seconds``):

- an answer is reused without asking anything for ``seconds / 2`` after its data were last
  known current; then the store's data version (:meth:`kelisim.store.access.SharedStore.version`)
  is read: unchanged, the answer is current again for as long;
- changed, one request computes the answer again (single flight, in a worker thread, never on
  the event loop) while the others get the previous answer, for at most ``seconds`` after its
  data were last known current; past that they wait for the new one, unless it is still
  waiting for the store (a CLI command holding the DuckDB file, whose new data nobody can read
  before it lets go). So a write by another process (an ingest job, a CLI import) shows
  within ``seconds`` (or as soon as the writer releases the file), and each answer is
  computed at most once per ``seconds / 2`` whatever the rate of writes;
- a user's own write through the dashboard shows on their next read: the reply to a write
  carries a signed mark (:func:`write_mark`, the ``kelisim_wrote`` cookie, and the server
  process remembers it per credential), and a request with a mark is answered only from data
  read after it;
- answers that also depend on the clock (a session's expiry) are never reused past
  ``seconds``, stale or not.

Server processes (``kelisim serve --workers N``) share answers through files in ``folder``
(``KELISIM_HOME/web-cache/<store>``): before computing, a process takes the key's file lock
(``flock``; the other processes wait for it rather than compute the same answer) and reuses
the file's answer when it is current; after computing it writes the file. ``seconds`` 0 turns
the cache off.

A request answered from the cache never touches the database (its cursor is taken lazily,
:class:`kelisim.store.access.LazyCursor`), so it does not wait while a CLI command holds the
DuckDB file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import hmac
import json
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WROTE_COOKIE = "kelisim_wrote"
LOCK_POLL_SECONDS = 0.01
MAX_FILES = 8192  # shared answers and their locks, in all


def _no_version() -> None:
    return None


def _retrieve(future: asyncio.Future) -> None:
    """Mark a computation's error as seen (no 'exception never retrieved' when nobody
    else waited for it)."""
    if not future.cancelled():
        future.exception()


def _signature(credential: str, moment: str) -> str:
    return hmac.new(credential.encode(), b"kelisim-wrote:" + moment.encode(),
                    hashlib.sha256).hexdigest()


def write_mark(credential: str, moment: float) -> str:
    """The ``kelisim_wrote`` cookie's value: the time of a write, signed with the writer's
    credential (an HMAC keyed by the session or bearer token), so that nobody can make the
    server compute every answer afresh by sending marks of their own."""
    text = f"{moment:.6f}"
    return f"{text}.{_signature(credential, text)}"


def read_mark(credential: str | None, value: str | None) -> float:
    """The time of a write mark made by ``credential``; 0 when absent or forged."""
    if not credential or not value or "." not in value:
        return 0.0
    text, _, signature = value.rpartition(".")
    if not hmac.compare_digest(_signature(credential, text), signature):
        return 0.0
    try:
        return float(text)
    except ValueError:
        return 0.0


@dataclass
class _Entry:
    version: Hashable
    read_at: float  # the time (time.time) at which its data were last known current
    expires: float  # math.inf unless it depends on the clock
    value: Any


class _Computation:
    """A value being computed: its result, the time it started (it reads data at least that
    new) and the data version it reads (None until the computing request has a cursor)."""

    def __init__(self, started: float) -> None:
        self.future = asyncio.get_running_loop().create_future()
        self.future.add_done_callback(_retrieve)
        self.started = started
        self.version: Hashable | None = None


class _SharedFiles:
    """Answers (bytes) shared by the server processes: one file per key, holding the data
    version and the time it was read as a JSON line, then the answer; written whole
    (``os.replace``), computed under the key's ``flock``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: Hashable) -> Path:
        return self.folder / hashlib.sha256(repr(key).encode()).hexdigest()

    @contextlib.asynccontextmanager
    async def locked(self, key: Hashable):
        """The key's lock, held while one process computes its answer; waited for on the
        event loop (polling), so a cancelled request never leaves it held."""
        fd = os.open(f"{self._path(key)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(LOCK_POLL_SECONDS)
            yield
        finally:
            os.close(fd)  # closing drops the lock

    def read(self, key: Hashable) -> _Entry | None:
        try:
            with open(self._path(key), "rb") as file:
                head = json.loads(file.readline())
                return _Entry(head["version"], head["read_at"], math.inf, file.read())
        except (OSError, ValueError, KeyError):
            return None

    def write(self, key: Hashable, entry: _Entry) -> None:
        self._prune()
        head = json.dumps({"version": entry.version, "read_at": entry.read_at}).encode()
        try:
            fd, name = tempfile.mkstemp(dir=self.folder)
        except OSError:
            return  # an unwritable folder: this process keeps its answers to itself
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(head + b"\n" + entry.value)
            os.replace(name, self._path(key))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(name)


    def _prune(self) -> None:
        """Beyond MAX_FILES (answers and their locks), start afresh: distinct URLs are
        unbounded, the disk is not (a lock removed while held costs one more computation)."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        if len(names) >= MAX_FILES:
            for name in names:
                with contextlib.suppress(OSError):
                    os.unlink(self.folder / name)


class ReadCache:
    MAX_ENTRIES = 4096  # distinct keys; beyond, the cache starts afresh

    def __init__(self, seconds: float, version: Callable[[], Hashable] = _no_version,
                 folder: Path | None = None, now: Callable[[], float] = time.time) -> None:
        self.seconds = seconds
        self._version = version
        self._now = now
        self._entries: dict[Hashable, _Entry] = {}
        self._computing: dict[Hashable, _Computation] = {}
        self._marks: dict[str, float] = {}
        self._lock = threading.Lock()
        self._files = _SharedFiles(folder) if folder is not None and seconds > 0 else None

    def version(self) -> Any:
        """The store's data version as entries and shared files hold it (JSON's form)."""
        return json.loads(json.dumps(self._version()))

    def _usable(self, entry: _Entry | None, now: float, not_before: float) -> bool:
        return entry is not None and entry.read_at >= not_before and now < entry.expires

    async def get(self, key: Hashable, compute: Callable[[], Any], con: Any = None,
                  clock: bool = False, not_before: float = 0.0) -> Any:
        """The value of ``key`` by the rules of the module: ``compute()`` runs (in a worker
        thread) only when no usable answer is held. ``con`` is the request's cursor, which
        ``compute`` reads: a :class:`~kelisim.store.access.LazyCursor` is taken (waiting on
        the event loop) only when the value has to be computed. ``clock``: the value also
        depends on the clock (reused for at most ``seconds``). ``not_before``: the time of
        the requester's own last write; older data are not served to it.

        A request joins a computation of the same key that started after its write and
        reads this version, or has not started reading yet (it will read this version or a
        newer one) unless the request already holds a cursor: that one could wait for a
        writer waiting for it."""
        while True:
            now = self._now()
            entry = self._entries.get(key)
            if entry is None and self._files is not None and not clock:
                entry = self._files.read(key)  # another process's: a new process serves it
                if entry is not None:
                    self._keep(key, entry)
            usable = self._usable(entry, now, not_before)
            if usable and now - entry.read_at < self.seconds / 2:
                return entry.value
            version = self.version()
            if usable and entry.version == version and entry.expires == math.inf:
                entry.read_at = now  # current: reused for another seconds / 2
                return entry.value
            holding = getattr(con, "acquired", True)
            running = self._computing.get(key)
            if running is None or running.started < not_before:
                break  # this request computes (the others meanwhile get ``entry``)
            if usable and (now - entry.read_at < self.seconds or running.version is None):
                return entry.value  # stale while another request revalidates it (past
                # seconds only while it waits for a file another process holds)
            if running.version != version and (holding or running.version is not None):
                break
            try:
                return await asyncio.shield(running.future)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not running.future.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the computing request was cancelled: ask again
        mine = _Computation(now)
        self._computing[key] = mine  # the newest computation of the key is the one to join
        try:
            value = await self._compute(key, compute, mine, clock, con, holding, not_before)
        except BaseException as error:
            if isinstance(error, Exception):
                mine.future.set_exception(error)
            else:
                mine.future.cancel()
            raise
        finally:
            if self._computing.get(key) is mine:
                del self._computing[key]
        mine.future.set_result(value)
        return value

    async def _compute(self, key: Hashable, compute: Callable[[], Any], mine: _Computation,
                       clock: bool, con: Any, holding: bool, not_before: float) -> Any:
        from starlette.concurrency import run_in_threadpool

        if self._files is None or clock or holding:  # a held cursor must not wait for a lock
            if not holding:
                await con.acquire()
            return await run_in_threadpool(self._compute_here, key, compute, mine, clock)
        async with self._files.locked(key):  # another process may be computing it
            shared = self._files.read(key)
            if shared is not None and shared.read_at >= not_before:
                if shared.version == self.version():  # current
                    shared.read_at = mine.started
                if shared.read_at == mine.started or (
                        mine.started - shared.read_at < self.seconds / 2):
                    self._keep(key, shared)
                    return shared.value
            await con.acquire()
            value = await run_in_threadpool(self._compute_here, key, compute, mine, clock)
            if isinstance(value, bytes):
                self._files.write(key, _Entry(mine.version, mine.started, math.inf, value))
            return value

    def _compute_here(self, key: Hashable, compute: Callable[[], Any], mine: _Computation,
                      clock: bool) -> Any:
        """In a worker thread, with the request's cursor: the version of what ``compute``
        reads (while this process holds the DuckDB file no other process writes, so a
        version read before the wait would only make the next request compute again),
        then the value."""
        version = mine.version = self.version()
        value = compute()
        if self.seconds > 0:
            expires = mine.started + self.seconds if clock else math.inf
            self._keep(key, _Entry(version, mine.started, expires, value))
        return value

    def _keep(self, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            held = self._entries.get(key)
            if held is None or held.read_at <= entry.read_at:  # not over a newer answer
                self._entries[key] = entry

    def mark_write(self, credential: str, moment: float) -> None:
        """Remember a write by ``credential`` (this process answers its next reads from data
        read after ``moment``)."""
        with self._lock:
            now = self._now()
            self._marks = {c: t for c, t in self._marks.items() if now - t < self.seconds}
            self._marks[credential] = moment

    def written_at(self, credential: str | None, cookie: str | None) -> float:
        """The time of the last write by ``credential`` that this process saw or that its
        signed ``cookie`` (set by another server process) tells."""
        if not credential:
            return 0.0
        return max(self._marks.get(credential, 0.0), read_mark(credential, cookie))

    def forget_clocked(self) -> None:
        """Drop the answers that depend on the clock (sessions' users, the anonymous-read
        switch): after a write through this process they are looked up again at once."""
        with self._lock:
            self._entries = {k: e for k, e in self._entries.items() if e.expires == math.inf}

