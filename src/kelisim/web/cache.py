"""The cache of read results, checked against the store's data version on every read.

Reads are far more frequent than writes, and one page's data costs tens of milliseconds of
SQL; the cache keeps API latency low under many concurrent clients. An entry is reused while
the store's data version (:meth:`kelisim.store.access.SharedStore.version`, a ``stat`` of the
file that every committed write changes, whatever the process) is the one it was computed at:
an answer computed from the data changes only with the data. Answers that also depend on the
clock (a session's expiry) are reused for at most ``seconds``. So a write by a CLI command
shows on the next request, writes through the app also empty the cache at once (see
:class:`kelisim.web.app.ClearCacheOnWrite`), and nothing is computed again while nobody
writes. ``seconds`` 0 turns the cache off.

A request answered from the cache never touches the database file (its cursor is taken
lazily, :class:`kelisim.store.access.LazyCursor`), so it does not wait while a CLI command
holds the file. A missing entry is computed in a worker thread, never on the event loop, and
once per key and version: requests asking for the same key meanwhile wait for that one
computation.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any


def _no_version() -> None:
    return None


def _retrieve(future: asyncio.Future) -> None:
    """Mark a computation's error as seen (no 'exception never retrieved' when nobody
    else waited for it)."""
    if not future.cancelled():
        future.exception()


class _Computation:
    """A value being computed: its result, and the data version it reads (None until the
    computing request has the file)."""

    def __init__(self) -> None:
        self.future = asyncio.get_running_loop().create_future()
        self.future.add_done_callback(_retrieve)
        self.version: Hashable | None = None


class ReadCache:
    MAX_ENTRIES = 4096  # distinct URLs of one version; beyond, the cache starts afresh

    def __init__(self, seconds: float, version: Callable[[], Hashable] = _no_version) -> None:
        self.seconds = seconds
        self._version = version
        self._entries: dict[Hashable, tuple[Hashable, float, Any]] = {}
        self._computing: dict[Hashable, _Computation] = {}
        self._lock = threading.Lock()
        self._newest: Hashable = None

    def _fresh(self, key: Hashable, version: Hashable) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is not None and entry[0] == version and entry[1] > time.monotonic():
            return True, entry[2]
        return False, None

    async def get(self, key: Hashable, compute: Callable[[], Any], con: Any = None,
                  clock: bool = False) -> Any:
        """The value of ``key`` at the store's current data version, computing it when
        absent or of an older version (or, with ``clock``, older than ``seconds``). ``con``
        is the request's cursor, which ``compute`` reads: a
        :class:`~kelisim.store.access.LazyCursor` is taken (waiting on the event loop) only
        when the value has to be computed.

        A request joins a computation of the same key that reads this version, or one that
        has not started reading yet (it will read this version or a newer one) unless the
        request already holds a cursor: that one could wait for a writer waiting for it."""
        while True:
            version = self._version()  # before reading: a later write changes it
            found, value = self._fresh(key, version)
            if found:
                return value
            holding = getattr(con, "acquired", True)
            running = self._computing.get(key)
            if running is None or running.version != version and (
                    holding or running.version is not None):
                break
            try:
                return await asyncio.shield(running.future)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not running.future.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the computing request was cancelled: ask again
        mine = _Computation()
        self._computing[key] = mine  # the newest computation of the key is the one to join
        try:
            if not holding:
                await con.acquire()
            value = await self._compute(key, compute, mine, clock)
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

    async def _compute(self, key: Hashable, compute: Callable[[], Any],
                       mine: _Computation, clock: bool) -> Any:
        from starlette.concurrency import run_in_threadpool

        # the version of what compute reads: while this process holds the file no other
        # process writes, so a version read before the wait (a CLI import's log, before its
        # checkpoint) would only make the next request compute again
        version = mine.version = self._version()
        found, value = self._fresh(key, version)
        if found:  # computed meanwhile by a request that saw this version
            return value
        value = await run_in_threadpool(compute)
        if self.seconds > 0:
            expires = time.monotonic() + self.seconds if clock else math.inf
            with self._lock:
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()
                elif self._entries and version != self._newest:  # the older ones are dead
                    self._entries = {k: e for k, e in self._entries.items() if e[0] == version}
                self._newest = version
                self._entries[key] = (version, expires, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
