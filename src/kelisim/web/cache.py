"""A small time-limited cache of read results, emptied by every write through the app.

Reads are far more frequent than writes, and one page's data costs tens of milliseconds of
SQL; the cache keeps API latency low under many concurrent clients. Writes made through the
app empty it at once (see :class:`kelisim.web.app.ClearCacheOnWrite`); writes by other
processes (an ingest job, ``kelisim users disable``) show within ``seconds``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any


class TTLCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value of ``key``, computing and storing it when absent or expired."""
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            return entry[1]
        value = compute()
        if self.seconds > 0:
            with self._lock:
                self._entries[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
