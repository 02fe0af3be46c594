"""The input-limits policy: every bound on what kelisim reads, in one place (docs/security.md).

The importers, the CLI and the web API all take their limits from here, so a value refused
on one entry point is refused on every other one. Text limits are for VARCHAR columns (DuckDB
does not bound them); whole-number limits keep values inside the store's INTEGER columns
(32-bit) and inside what is plausible.
"""

from __future__ import annotations

import math

MAX_UPLOAD_BYTES = 20_000_000
"""Largest request body the web server reads (uploads, forms, JSON); larger ones get 413."""

MAX_WORKBOOK_BYTES = 100_000_000
"""Largest decompressed size of an .xlsx workbook (all its zip members together)."""

MAX_WORKBOOK_CELLS = 5_000_000
"""Most cells an .xlsx workbook's sheets may hold."""

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects in a JSON file (a Telegram export needs 6)."""

MAX_PERSONS = 10_000_000_000
"""Largest population count: more than the world's population."""

MAX_CASUALTIES = 1_000_000
"""Largest number of fatalities or of injured in one incident."""

MAX_TEXT = {
    "incident_id": 100,
    "place": 200,
    "geo_precision": 100,
    "event_type": 200,
    "summary": 4000,
    "note": 2000,
    "source": 500,
    "username": 64,
    "password": 128,
}
"""Most characters of a text field."""

MAX_LIST = {"groups": 20, "sources": 20}
"""Most entries of a list field."""


def parse_count(value, path, row, column, whole: bool = True) -> float:
    """A count of persons from one cell of a file: a finite number, not negative, at most
    MAX_PERSONS, and whole unless ``whole`` is False; otherwise an InputError naming the cell.
    Every reader of counts (data import, measure, enclaves) checks them here."""
    from kelisim.errors import InputError

    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text == "":
        raise InputError(path, row, column, "missing count")
    try:
        number = float(text)
    except ValueError:
        raise InputError(path, row, column, f"count '{value}' is not a number") from None
    if not math.isfinite(number) or (whole and not number.is_integer()):
        kind = "a whole number" if whole else "a finite number"
        raise InputError(path, row, column, f"count '{value}' is not {kind}")
    if number < 0:
        raise InputError(path, row, column, f"negative count {text}")
    if number > MAX_PERSONS:
        raise InputError(path, row, column, f"count {text} is more than {MAX_PERSONS:,} "
                         "persons, which is not plausible")
    return number


def json_depth(value: object) -> int:
    """How deeply ``value`` (parsed JSON) nests lists and dicts; a scalar has depth 0."""
    depth, level = 0, [value]
    while level:
        containers = [v for v in level if isinstance(v, list | dict)]
        if not containers:
            break
        depth += 1
        level = [item for c in containers for item in (c.values() if isinstance(c, dict) else c)]
    return depth
