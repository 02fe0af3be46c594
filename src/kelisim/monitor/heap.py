"""Batches of documents and Python's cyclic garbage collector."""

from __future__ import annotations

import contextlib
import gc
import threading

_frozen_depth = 0
_lock = threading.Lock()


@contextlib.contextmanager
def frozen_heap():
    """Leave the objects alive so far (libraries, lexicons, models, and whatever ``freeze``
    adds) out of the cyclic garbage collector's passes until the outermost such block ends:
    those passes re-scanned them again and again and cost a sixth of a large batch's CPU time.
    Garbage with cycles among frozen objects is collected after the block (nested and
    concurrent blocks: after the last one)."""
    global _frozen_depth
    with _lock:
        gc.freeze()
        _frozen_depth += 1
    try:
        yield gc.freeze
    finally:
        with _lock:
            _frozen_depth -= 1
            if not _frozen_depth:
                gc.unfreeze()
