"""Sharing the embedded DuckDB file between processes: the dashboard and CLI commands.

DuckDB lets many processes open a file read-only, or one process open it read-write, never
both (https://duckdb.org/docs/stable/connect/concurrency). So nobody holds the file for long:

- a CLI command opens it, and when another process holds a conflicting lock it waits, saying
  so on one line, until ``KELISIM_LOCK_TIMEOUT`` seconds (default 60) have passed, then stops
  with one sentence;
- a command that waits also holds a small *intent* lock (``<file>.wait``, ``flock``) so
  that the dashboard stops taking new requests into its connection and lets it in;
- the dashboard (:class:`SharedStore`) shares one connection among the requests in flight,
  read-only unless a request writes, and closes it as soon as none is left and a command
  waits (or after a second idle).
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kelisim.errors import KelisimError

if TYPE_CHECKING:
    import duckdb

    from kelisim.store.postgres import PostgresShared

POLL_SECONDS = 0.05
DEFAULT_LOCK_TIMEOUT = 60.0


class StoreBusy(KelisimError):
    """The database stayed locked by another process for longer than the wait allowed."""

    exit_code = 3


def lock_timeout() -> float:
    """Seconds a command waits for another process to release the database
    (``KELISIM_LOCK_TIMEOUT``, default 60)."""
    from kelisim.errors import ArgumentError

    value = os.environ.get("KELISIM_LOCK_TIMEOUT", "").strip()
    if not value:
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ArgumentError("KELISIM_LOCK_TIMEOUT", f"'{value}' is not a number of seconds")
    return seconds


def is_lock_conflict(error: Exception) -> bool:
    """Whether DuckDB refused to open a file because another process holds its lock."""
    text = str(error)  # the second form: a connection of this process in the other mode
    return "Could not set lock on file" in text or "with a different configuration" in text


def _holder(error: Exception) -> str:
    """'PID n' of the process DuckDB names as holding the lock, or ''."""
    text = str(error)
    start = text.find("(PID ")
    return text[start + 1:text.find(")", start)] if start >= 0 else ""


class OpenIntent:
    """A waiting command's wish to open the file: an exclusive ``flock`` on ``<file>.wait``,
    which the dashboard checks before each request (see :class:`SharedStore`)."""

    def __init__(self, path: str) -> None:
        self.path = f"{path}.wait"
        self._fd: int | None = None
        self.held = False

    def _open(self) -> int | None:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:  # a read-only folder: no intent, the command simply retries
                return None
        return self._fd

    def announce(self) -> None:
        """Hold the intent lock if no other command holds it already."""
        fd = self._open()
        if fd is not None and not self.held:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
            except OSError:
                pass  # another command is waiting: its intent holds the dashboard back too

    def waiting(self) -> bool:
        """Whether some command holds the intent lock now."""
        fd = self._open()
        if fd is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops its flock
            self._fd = None
            self.held = False


def open_waiting(
    path: str,
    read_only: bool,
    timeout: float,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(path)``, retrying while another process holds a conflicting lock.

    ``on_wait`` is called once with the holder ('PID n') when the first attempt is refused.
    After ``timeout`` seconds raises :class:`StoreBusy` (one sentence naming the file)."""
    import duckdb

    deadline = time.monotonic() + timeout
    intent = OpenIntent(path)
    told = False
    try:
        while True:
            try:
                return duckdb.connect(path, read_only=read_only)
            except (duckdb.IOException, duckdb.ConnectionException) as error:
                if not is_lock_conflict(error):
                    raise
                holder = _holder(error)
            intent.announce()
            if on_wait is not None and not told:
                on_wait(holder)
                told = True
            if time.monotonic() >= deadline:
                who = holder or "the dashboard"
                raise StoreBusy(
                    f"The database {path} is still in use by another process ({who}) after "
                    f"{timeout:g} s; try again, or set KELISIM_LOCK_TIMEOUT to wait longer.")
            time.sleep(POLL_SECONDS)
    finally:
        intent.release()


def tell_waiting(path: str) -> Callable[[str], None]:
    """The one-line message a command prints while it waits for the lock."""

    def say(holder: str) -> None:
        who = f"another kelisim command, {holder}" if holder else "another kelisim command"
        print(f"waiting for the dashboard (or {who}) to release the database {path} ...",
              file=sys.stderr, flush=True)

    return say


class SharedStore:
    """The dashboard's access to the store: one connection (a *window*) shared by the
    requests in flight and closed as soon as another process needs the file.

    A request takes a cursor of the current window with :meth:`enter` (awaited on the event
    loop) and gives it back with :meth:`leave`; threads use :meth:`reading` and
    :meth:`writing`. A read opens a read-only window, so CLI reads run beside
    it; a write turns the window read-write (after the reads in flight end), and reads then
    use that one. The window is closed when no request uses it and another process waits for
    the file (its intent lock, or a refused read-only open), or after ``linger`` idle
    seconds. A request that cannot get the file within ``timeout`` seconds gets
    :class:`StoreBusy` (the app answers 503).
    """

    def __init__(self, path: str, timeout: float = 10.0, linger: float = 1.0) -> None:
        self.path = path
        self.timeout = timeout
        self.linger = linger
        self._intent = OpenIntent(path)
        self._condition = threading.Condition()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._writable = False
        self._users = 0
        self._writers_waiting = 0
        self._last_used = time.monotonic()
        self._stopped = False

    @contextmanager
    def reading(self, timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one request's reads."""
        cursor = self._enter(False, self.timeout if timeout is None else timeout)
        try:
            yield cursor
        finally:
            self._leave(cursor)

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of a read-write window for one request's writes."""
        with self._condition:
            self._writers_waiting += 1
        try:
            cursor = self._enter(True, self.timeout)
        finally:
            with self._condition:
                self._writers_waiting -= 1
        try:
            yield cursor
        finally:
            self._leave(cursor)

    async def enter(self, write: bool) -> duckdb.DuckDBPyConnection:
        """For a request on the event loop: a cursor of the window (read-write when
        ``write``), each attempt in a worker thread (opening the file, or being refused it,
        takes milliseconds the event loop would otherwise stand still for), waiting with
        ``asyncio.sleep`` between attempts so that no worker thread is held while another
        process has the file; give it back with :meth:`leave`."""
        import asyncio

        deadline = time.monotonic() + self.timeout
        if write:
            with self._condition:
                self._writers_waiting += 1
        try:
            while True:
                try:  # opening the file takes a while: in a thread, not on the event loop
                    return await asyncio.to_thread(self._enter, write, 0.0)
                except StoreBusy:
                    if time.monotonic() >= deadline:
                        raise
                await asyncio.sleep(POLL_SECONDS)
        finally:
            if write:
                with self._condition:
                    self._writers_waiting -= 1

    def leave(self, cursor: duckdb.DuckDBPyConnection) -> None:
        """Give back a cursor of :meth:`enter`."""
        self._leave(cursor)

    def lazy(self) -> LazyCursor:
        """A read cursor taken on first use (:class:`LazyCursor`): a request answered from
        a cache never waits for the file."""
        return LazyCursor(self)

    def version(self) -> tuple:
        """The data version: a fingerprint (modification time, size, inode) of the file and
        of its write-ahead log, read with ``stat`` (no descriptor is opened, so DuckDB's
        lock is never touched). Every committed write, by any process, changes it: a commit
        appends to ``<file>.wal`` and a checkpoint rewrites the file and removes the log;
        opening or reading the file changes nothing."""
        marks = []
        for name in (self.path, f"{self.path}.wal"):
            try:
                info = os.stat(name)
            except OSError:
                marks.append(None)
            else:
                marks.append((info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(marks)

    def _enter(self, write: bool, timeout: float) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + timeout
        refused = OpenIntent(self.path)  # announced while another process holds the file
        try:
            with self._condition:
                return self._enter_window(write, deadline, refused)
        finally:
            refused.release()

    def _enter_window(self, write: bool, deadline: float, refused: OpenIntent
                      ) -> duckdb.DuckDBPyConnection:
        import duckdb

        while True:
            if self._stopped:
                raise StoreBusy(f"The dashboard is shutting down; {self.path} is closed.")
            if not refused.held and self._intent.waiting():  # another process waits
                self._close_if_unused()
                self._wait(deadline)
                continue
            if self._con is not None and write and not self._writable:
                self._close_if_unused()  # reads in flight end first
                self._wait(deadline)
                continue
            if self._con is not None and not write and self._writers_waiting \
                    and not self._writable:
                self._wait(deadline)  # a write waits for this window to empty
                continue
            if self._con is None:
                try:
                    self._con = duckdb.connect(self.path, read_only=not write)
                except (duckdb.IOException, duckdb.ConnectionException) as error:
                    if not is_lock_conflict(error):
                        raise
                    refused.announce()
                    self._wait(deadline)
                    continue
                self._writable = write
                threading.Thread(target=self._close_when_idle, daemon=True,
                                 name="kelisim-store-closer").start()
            self._users += 1
            return self._con.cursor()

    def _leave(self, cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.close()
        with self._condition:
            self._users -= 1
            self._last_used = time.monotonic()
            if self._intent.waiting():
                self._close_if_unused()
            self._condition.notify_all()

    def _wait(self, deadline: float) -> None:
        if time.monotonic() >= deadline:
            raise StoreBusy(f"The database {self.path} is in use by another kelisim command "
                            "(an import?); try again in a moment.")
        self._condition.wait(POLL_SECONDS)

    def _close_if_unused(self) -> None:
        if self._con is not None and not self._users:
            self._con.close()
            self._con = None
            self._condition.notify_all()

    def _close_when_idle(self) -> None:
        """Runs while a window is open; closes it when idle or another process waits."""
        while True:
            time.sleep(POLL_SECONDS)
            with self._condition:
                if self._con is None:
                    return
                if time.monotonic() - self._last_used > self.linger or self._intent.waiting():
                    self._close_if_unused()

    def close(self) -> None:
        """Close the window for good (the server's shutdown)."""
        with self._condition:
            self._stopped = True
            self._close_if_unused()
        self._intent.release()



class LazyCursor:
    """One request's read cursor of a :class:`SharedStore`, taken on first use and given
    back with :meth:`release` (the end of the request). Code on the event loop takes it with
    ``await acquire()`` (waiting for the file between ``asyncio.sleep``s); code in a worker
    thread may simply use it (the first query then waits in that thread)."""

    def __init__(self, shared: SharedStore) -> None:
        self._shared = shared
        self._cursor: duckdb.DuckDBPyConnection | None = None

    @property
    def acquired(self) -> bool:
        return self._cursor is not None

    async def acquire(self) -> None:
        if self._cursor is None:
            self._cursor = await self._shared.enter(False)

    def __getattr__(self, name: str):
        if self._cursor is None:
            self._cursor = self._shared._enter(False, self._shared.timeout)
        return getattr(self._cursor, name)

    def release(self) -> None:
        if self._cursor is not None:
            cursor, self._cursor = self._cursor, None
            self._shared.leave(cursor)


def shared_store(location: str) -> SharedStore | PostgresShared:
    """The dashboard's access to the store at ``location``: :class:`SharedStore` for a DuckDB
    file, :class:`kelisim.store.postgres.PostgresShared` for a postgresql:// URL."""
    from kelisim.store import postgres

    return postgres.PostgresShared(location) if postgres.is_url(location) else SharedStore(location)
