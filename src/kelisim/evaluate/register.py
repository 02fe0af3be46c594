"""The activity register: validate activities from CSV or Excel (the population importer's
readers and one-sentence errors) and write them in one transaction; user indicators likewise.

Columns (header names, case-insensitive): activity_id (optional: generated), type (a type code
or its name in kk/ru/en), area (KATO code or name, any level; empty or 'country' = the whole
country), date_start, date_end, groups (';'-separated, any language), participants,
budget_kzt, organiser, source (required), note.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from kelisim import store
from kelisim.core.areas import COUNTRY, VERSIONS, areas, resolve_area, suggest_area
from kelisim.core.groups import default_registry, unknown_message
from kelisim.datasets.io import read_table
from kelisim.errors import ArgumentError, InputError
from kelisim.store import activities as sql

REQUIRED = ("type", "date_start", "source")
OPTIONAL = ("activity_id", "area", "date_end", "groups", "participants", "budget_kzt",
            "organiser", "note")
COUNTRY_WORDS = ("", "country", "kazakhstan", "казахстан", "қазақстан", COUNTRY)


def _type_index(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    index = {}
    for row in sql.activity_types(con).itertuples(index=False):
        for name in (row.type_code, row.name_kk, row.name_ru, row.name_en):
            index[str(name).strip().lower()] = row.type_code
    return index


def resolve_type(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    return _type_index(con).get(str(text).strip().lower())


def suggest_type(con: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    index = _type_index(con)
    close = difflib.get_close_matches(str(text).strip().lower(), list(index), n=1, cutoff=0.6)
    return list(dict.fromkeys(index[c] for c in close))


def _date(text: str, path, row, column) -> date:
    try:
        return date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        raise InputError(path, row, column, f"'{text}' is not a date; write YYYY-MM-DD") from None


def _count(text: str, path, row, column, integer: bool) -> float | int | None:
    text = str(text).strip().replace(" ", "").replace("\u00a0", "")
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(path, row, column, f"'{text}' is not a number") from None
    if value < 0 or (integer and not value.is_integer()):
        kind = "a whole number" if integer else "a number"
        raise InputError(path, row, column, f"'{text}' must be {kind} of at least 0")
    return int(value) if integer else value


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(code for v in VERSIONS for code in areas(v)["area_code"])


def resolve_activity_area(text: str) -> str | None:
    """KATO code of any level (any boundary version) or name; the country for empty/'country'."""
    text = str(text).strip()
    if text.lower() in COUNTRY_WORDS:
        return sql.COUNTRY
    if re.fullmatch(r"\d{1,9}", text):
        code = text.zfill(9)
        return code if code in _known_codes() else None
    return resolve_area(text)


def validate_activities(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, path: str | Path, origin: str = "import"
) -> pd.DataFrame:
    """Check every row; return rows of the ``activities`` table or raise at the first bad one."""
    columns = {c.lower(): c for c in frame.columns}
    for name in REQUIRED:
        if name not in columns:
            raise InputError(path, 1, name, f"missing column '{name}' (columns: "
                             f"{', '.join(REQUIRED + OPTIONAL)})")
    unknown = [c for c in frame.columns if c.lower() not in REQUIRED + OPTIONAL]
    if unknown:
        hint = difflib.get_close_matches(unknown[0].lower(), REQUIRED + OPTIONAL, n=1)
        raise InputError(path, 1, unknown[0], unknown_message("column", unknown[0], hint))
    registry = default_registry()
    out = []
    seen: dict[str, int] = {}
    for position, record in enumerate(frame.to_dict("records")):
        row = position + 2
        value = {k.lower(): ("" if v is None else str(v)).strip() for k, v in record.items()}
        type_code = resolve_type(con, value["type"])
        if type_code is None:
            raise InputError(path, row, "type", unknown_message(
                "activity type", value["type"], suggest_type(con, value["type"])))
        area = resolve_activity_area(value.get("area", ""))
        if area is None:
            raise InputError(path, row, "area", unknown_message(
                "area", value["area"], suggest_area(value["area"])))
        start = _date(value["date_start"], path, row, "date_start")
        end = _date(value["date_end"], path, row, "date_end") if value.get("date_end") else None
        if end is not None and end < start:
            raise InputError(path, row, "date_end", f"date_end {end} is before date_start {start}")
        groups = []
        for label in filter(None, (g.strip() for g in value.get("groups", "").split(";"))):
            code = registry.resolve(label)
            if code is None:
                raise InputError(path, row, "groups",
                                 unknown_message("group", label, registry.suggest(label)))
            groups.append(code)
        if not value["source"]:
            raise InputError(path, row, "source", "missing source (a URL or document naming "
                             "where the activity is reported)")
        activity_id = value.get("activity_id") or None
        if activity_id in seen:
            raise InputError(path, row, "activity_id", f"activity_id '{activity_id}' repeats "
                             f"row {seen[activity_id]}")
        if activity_id:
            seen[activity_id] = row
        out.append({
            "activity_id": activity_id, "type_code": type_code, "area_code": area,
            "date_start": start, "date_end": end, "groups": groups,
            "participants": _count(value.get("participants", ""), path, row, "participants",
                                   True),
            "budget_kzt": _count(value.get("budget_kzt", ""), path, row, "budget_kzt", False),
            "organiser": value.get("organiser") or None, "source": value["source"],
            "note": value.get("note") or None, "origin": origin, "row": row,
        })
    clean = pd.DataFrame(out, columns=[*sql.ACTIVITY_COLUMNS, "row"])
    given = [i for i in clean["activity_id"] if i]
    taken = sql.existing_ids(con, given)
    if taken:
        first = clean[clean["activity_id"].isin(taken)].iloc[0]
        raise InputError(path, int(first["row"]), "activity_id",
                         f"activity_id '{first['activity_id']}' is already in the register")
    return clean


def write_activities(con: duckdb.DuckDBPyConnection, clean: pd.DataFrame) -> list[str]:
    """Give ids to rows without one and insert them; the caller owns the transaction."""
    ids = []
    for index in clean.index:
        if not clean.at[index, "activity_id"]:
            year = clean.at[index, "date_start"].year
            clean.at[index, "activity_id"] = _free_id(con, year, set(ids))
        ids.append(clean.at[index, "activity_id"])
    sql.insert_activities(con, clean)
    return ids


def _free_id(con, year: int, pending: set[str]) -> str:
    candidate = sql.next_activity_id(con, year)
    number = int(candidate.rsplit("-", 1)[1])
    while candidate in pending:
        number += 1
        candidate = f"ACT-{year}-{number:04d}"
    return candidate


def import_activities(
    con: duckdb.DuckDBPyConnection, path: str | Path, origin: str = "import"
) -> list[str]:
    """Read, validate and write an activity file (CSV or Excel) all-or-nothing."""
    frame = read_table(path)
    if frame.empty:
        raise InputError(path, None, None, "the file has no activities")
    clean = validate_activities(con, frame, Path(path).name, origin)
    with store.transaction(con):
        return write_activities(con, clean)


def add_activity(con: duckdb.DuckDBPyConnection, values: dict, origin: str = "cli") -> str:
    """Validate one activity given as column -> text and write it; returns its id."""
    clean = validate_activities(con, pd.DataFrame([values]), "activity", origin)
    with store.transaction(con):
        return write_activities(con, clean)[0]


def import_indicators(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Import a user indicator file: indicator, area, period (YYYY-MM-DD or YYYY-MM or YYYY),
    value, optional source; all-or-nothing."""
    frame = read_table(path)
    name = Path(path).name
    columns = {c.lower(): c for c in frame.columns}
    for needed in ("indicator", "area", "period", "value"):
        if needed not in columns:
            raise InputError(name, 1, needed, f"missing column '{needed}'")
    rows = []
    for position, record in enumerate(frame.to_dict("records")):
        row = position + 2
        value = {k.lower(): str(v).strip() for k, v in record.items()}
        area = resolve_activity_area(value["area"])
        if area is None:
            raise InputError(name, row, "area", unknown_message("area", value["area"],
                                                                suggest_area(value["area"])))
        period = value["period"]
        period = period + "-01-01" if re.fullmatch(r"\d{4}", period) else period
        period = period + "-01" if re.fullmatch(r"\d{4}-\d{2}", period) else period
        number = _count(value["value"].replace("-", "", 1), name, row, "value", False)
        if number is None:
            raise InputError(name, row, "value", "missing value")
        rows.append({"indicator": value["indicator"], "area_code": area,
                     "period_start": _date(period, name, row, "period"),
                     "value": -number if value["value"].startswith("-") else number,
                     "source": value.get("source") or None})
    with store.transaction(con):
        sql.insert_indicators(con, pd.DataFrame(rows))
    return len(rows)


def check_type_code(code: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", code):
        raise ArgumentError("code", f"'{code}' is not a type code; use lower-case letters, "
                            "digits and _ (e.g. youth_camp)")
    return code
