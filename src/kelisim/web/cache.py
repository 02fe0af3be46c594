"""The cache of read results, checked against the store's data version on every read.

Reads are far more frequent than writes, and one page's data costs tens of milliseconds of
SQL; the cache keeps API latency low under many concurrent clients. An entry is reused while
the store's data version (:meth:`kelisim.store.access.SharedStore.version`, a ``stat`` of the
file that every committed write changes, whatever the process) is the one it was computed at,
and for at most ``seconds`` (answers that depend on the clock, such as a session's expiry).
So a write by a CLI command shows on the next request, and writes through the app also empty
the cache at once (see :class:`kelisim.web.app.ClearCacheOnWrite`).

A request answered from the cache never touches the database file (its cursor is taken
lazily, :class:`kelisim.store.access.LazyCursor`), so it does not wait while a CLI command
holds the file. A missing entry is computed in a worker thread, never on the event loop, and
once per key and version: requests asking for the same key meanwhile wait for that one
computation.
"""

from __future__ import annotations

import asyncio
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


class ReadCache:
    def __init__(self, seconds: float, version: Callable[[], Hashable] = _no_version) -> None:
        self.seconds = seconds
        self._version = version
        self._entries: dict[Hashable, tuple[Hashable, float, Any]] = {}
        self._computing: dict[tuple[Hashable, Hashable], asyncio.Future] = {}
        self._lock = threading.Lock()

    async def get(self, key: Hashable, compute: Callable[[], Any], con: Any = None) -> Any:
        """The value of ``key`` at the store's current data version, computing it when
        absent, expired or of an older version. ``con`` is the request's cursor, which
        ``compute`` reads: a :class:`~kelisim.store.access.LazyCursor` is taken (waiting on
        the event loop) only when the value has to be computed."""
        from starlette.concurrency import run_in_threadpool

        while True:
            version = self._version()  # before reading: a later write changes it
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version and entry[1] > time.monotonic():
                return entry[2]
            running = self._computing.get((key, version))
            if running is None or getattr(con, "acquired", True):
                break  # a request that already holds a cursor computes (it cannot wait)
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not running.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the computing request was cancelled: ask again
        own = (key, version) not in self._computing
        future = asyncio.get_running_loop().create_future()
        if own:
            future.add_done_callback(_retrieve)
            self._computing[(key, version)] = future
        try:
            if hasattr(con, "acquire"):
                await con.acquire()
            value = await run_in_threadpool(compute)
        except BaseException as error:
            if own:
                if isinstance(error, Exception):
                    future.set_exception(error)
                else:
                    future.cancel()
            raise
        finally:
            if own:
                self._computing.pop((key, version), None)
        if own:
            future.set_result(value)
        if self.seconds > 0:
            with self._lock:
                self._entries[key] = (version, time.monotonic() + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
