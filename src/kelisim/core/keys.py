"""Strict keys in a user's TOML file (a forecast spec, a workbook layout recipe): a key
kelisim does not know is refused with the key meant, never silently ignored."""

from __future__ import annotations

import difflib
from pathlib import Path

from kelisim.errors import InputError


def check_keys(path: str | Path, table, allowed, where: str) -> None:
    """Refuse a key of ``table`` not in ``allowed``, suggesting the closest known key."""
    if not isinstance(table, dict):
        raise InputError(path, None, where or None, "expected a table of keys")
    for key in table:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(allowed)}"
        name = f"{where}.{key}" if where else key
        raise InputError(path, None, name, f"unknown key {key!r}, {hint}")
