"""SQL of the activity register, its type list, user indicators and the outcome panels
(tables in migrations/045_activities.sql)."""

from __future__ import annotations

import duckdb
import pandas as pd

from kelisim.core.areas import COUNTRY
from kelisim.store.frames import insert_frame

ACTIVITY_COLUMNS = ("activity_id", "type_code", "area_code", "date_start", "date_end", "groups",
                    "participants", "budget_kzt", "organiser", "source", "note", "origin")
# DuckDB date_trunc units for the periods an analysis may ask for.
PERIODS = ("month", "quarter", "year")
TIER_WEIGHTS_SQL = "CASE tier WHEN 2 THEN 1 WHEN 3 THEN 2 WHEN 4 THEN 4 WHEN 5 THEN 8 ELSE 0 END"


def activity_types(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The controlled type list: type_code, name_kk, name_ru, name_en, builtin."""
    return con.execute("SELECT * FROM activity_types ORDER BY builtin DESC, type_code").df()


def add_activity_type(con: duckdb.DuckDBPyConnection, code: str, names: dict[str, str]) -> None:
    con.execute("INSERT INTO activity_types VALUES (?, ?, ?, ?, false)",
                [code, names["kk"], names["ru"], names["en"]])


def insert_activities(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Insert validated rows (the ``ACTIVITY_COLUMNS``); the caller owns the transaction."""
    insert_frame(con, "activities", frame[list(ACTIVITY_COLUMNS)])


def update_activity(con: duckdb.DuckDBPyConnection, activity_id: str, values: dict) -> None:
    columns = [c for c in ACTIVITY_COLUMNS if c not in ("activity_id", "origin") and c in values]
    con.execute(f"UPDATE activities SET {', '.join(f'{c} = ?' for c in columns)} "
                "WHERE activity_id = ?", [values[c] for c in columns] + [activity_id])


def existing_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    rows = con.execute("SELECT activity_id FROM activities WHERE list_contains(?, activity_id)",
                       [ids]).fetchall()
    return {r[0] for r in rows}


def next_activity_id(con: duckdb.DuckDBPyConnection, year: int) -> str:
    # fetchall: a result left unread would stop DuckDB from scanning the frame inserted next
    [(count,)] = con.execute("SELECT count(*) FROM activities WHERE activity_id LIKE ?",
                             [f"ACT-{year}-%"]).fetchall()
    return f"ACT-{year}-{count + 1:04d}"


def kato_prefix(code: str) -> str:
    """The digits that every KATO code inside ``code`` starts with: KATO writes the region,
    district and rural district in two digits each, then three for the settlement
    (AB CD EF HHH), so Abai region 100000000 gives "10", never "1" (which Ulytau 110000000
    and others share)."""
    for width in (2, 4, 6):
        if set(code[width:]) <= {"0"}:
            return code[:width]
    return code


def list_activities(
    con: duckdb.DuckDBPyConnection, area: str | None = None, type_code: str | None = None,
    since: str | None = None, include_national: bool = True,
) -> pd.DataFrame:
    """Activities, newest first; ``area`` matches the area, the areas inside it (KATO prefix)
    and, with ``include_national``, country-wide activities."""
    clauses, params = [], []
    if area:
        prefix = kato_prefix(area)
        clause = "starts_with(area_code, ?)"
        if include_national:
            clause = f"({clause} OR area_code = '{COUNTRY}')"
        clauses.append(clause)
        params.append(prefix)
    if type_code:
        clauses.append("type_code = ?")
        params.append(type_code)
    if since:
        clauses.append("coalesce(date_end, date_start) >= CAST(? AS DATE)")
        params.append(since)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return con.execute(
        f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM activities {where} "
        "ORDER BY date_start DESC, activity_id", params).df()


def activity(con: duckdb.DuckDBPyConnection, activity_id: str) -> dict | None:
    frame = con.execute(f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM activities "
                        "WHERE activity_id = ?", [activity_id]).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def insert_indicators(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Insert or replace (indicator, area_code, period_start, value, source) rows."""
    rows = frame[["indicator", "area_code", "period_start", "value", "source"]]
    keys = ["indicator", "area_code", "period_start"]
    rows = rows.drop_duplicates(subset=keys, keep="last")  # the last of a repeated key wins
    con.register("_kelisim_indicators", rows[keys])
    try:
        con.execute("DELETE FROM outcome_indicators o USING _kelisim_indicators n "
                    "WHERE o.indicator = n.indicator AND o.area_code = n.area_code "
                    "AND o.period_start = CAST(n.period_start AS DATE)")
    finally:
        con.unregister("_kelisim_indicators")
    insert_frame(con, "outcome_indicators", rows)


def outcome_panel(
    con: duckdb.DuckDBPyConnection, outcome: str, period: str = "month",
) -> pd.DataFrame:
    """An area (region) x period series: area_code, period_start, value.

    ``outcome``: ``tension`` (severity-weighted count of classified documents, the monitor's
    tension index), ``tier_N`` (documents flagged at tier N), ``incidents`` (incidents
    starting in the period), or ``indicator:NAME`` (a user-imported indicator, averaged).
    """
    unit = period if period in PERIODS else "month"
    if outcome == "tension" or outcome.startswith("tier_"):
        value = (f"sum({TIER_WEIGHTS_SQL})" if outcome == "tension"
                 else f"count(*) FILTER (WHERE tier = {int(outcome[5:])})")
        sql = (
            f"SELECT substr(place, 1, 2) || '0000000' AS area_code, "
            f"CAST(date_trunc('{unit}', d.published_at) AS DATE) AS period_start, "
            f"CAST({value} AS DOUBLE) AS value "
            "FROM classifications c JOIN documents d USING (doc_id), unnest(c.places) AS p(place) "
            "WHERE d.published_at IS NOT NULL GROUP BY 1, 2")
        return con.execute(sql).df()
    if outcome == "incidents":
        return con.execute(
            f"SELECT region_code AS area_code, CAST(date_trunc('{unit}', date_start) AS DATE) "
            "AS period_start, CAST(count(*) AS DOUBLE) AS value FROM incidents "
            "WHERE region_code IS NOT NULL GROUP BY 1, 2").df()
    name = outcome.removeprefix("indicator:")
    return con.execute(
        f"SELECT area_code, CAST(date_trunc('{unit}', period_start) AS DATE) AS period_start, "
        "avg(value) AS value FROM outcome_indicators WHERE indicator = ? GROUP BY 1, 2",
        [name]).df()


def indicator_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT indicator FROM outcome_indicators ORDER BY 1").fetchall()]
