"""The store's ``incidents`` table (migrations 002, 020): the bundled incidents, imported files
and the ones entered in the dashboard, read by the CLI, the pages, the API and the briefs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kelisim.store.frames import insert_frame, replace_by_key
from kelisim.store.postgres import has_geometry

if TYPE_CHECKING:  # imported where a store is opened, so that `kelisim --help` stays fast
    import duckdb
    import pandas as pd

# The columns an incident's author gives (the form, the API, an imported file); the table adds
# incident_id, origin, note and the timestamps.
INCIDENT_FIELDS = (
    "date_start", "date_end", "area_code", "region_code", "place", "lat", "lon",
    "geo_precision", "event_type", "interethnic", "groups", "fatalities", "injured",
    "summary", "sources", "confidence",
)  # fmt: skip
# Every column a stored incident row is written with.
INCIDENT_COLUMNS = ("incident_id", *INCIDENT_FIELDS, "origin", "note")


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def replace_bundled(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """Replace the bundled incidents by ``rows`` (inside the caller's transaction)."""
    con.execute("DELETE FROM incidents WHERE origin = 'bundled'")
    insert_frame(con, "incidents", rows)


def upsert(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """Write ``rows`` (columns of the table), replacing the incidents with the same ids
    (inside the caller's transaction)."""
    replace_by_key(con, "incidents", rows, "incident_id")


def incident_frame(con: duckdb.DuckDBPyConnection, region: str | None = None,
                   since: str | None = None, interethnic: str | None = None) -> pd.DataFrame:
    """Incidents, newest first, optionally of one region (KATO), since a date, or by whether
    they were interethnic (yes, no, disputed)."""
    query = [f"SELECT {', '.join(INCIDENT_COLUMNS)}, batch FROM incidents WHERE true"]
    params: list = []
    if region:
        query.append("AND region_code = ?")
        params.append(region)
    if since:
        query.append("AND coalesce(date_end, date_start) >= CAST(? AS DATE)")
        params.append(since)
    if interethnic:
        query.append("AND interethnic = ?")
        params.append(interethnic)
    query.append("ORDER BY date_start DESC, incident_id")
    return con.execute(" ".join(query), params).df()


def incidents(
    con: duckdb.DuckDBPyConnection,
    area: str | None = None,
    year: int | None = None,
    limit: int = 500,
    bbox: tuple[float, float, float, float] | None = None,
) -> list[dict]:
    """Incidents of an area (as place or as region) and a year, newest first; with ``bbox``
    (west, south, east, north in degrees, WGS 84) only those whose point lies inside the box
    or on its edge. PostGIS, where present, answers the box from the GiST index of the
    incidents' geometry (``&&`` against ``ST_MakeEnvelope``); elsewhere lat/lon are compared:
    the same rows."""
    clauses, params = ["TRUE"], []
    if area:
        clauses.append("(area_code = ? OR region_code = ?)")
        params += [area, area]
    if year:
        clauses.append("year(date_start) = ?")
        params.append(year)
    if bbox:
        west, south, east, north = bbox
        if has_geometry(con):
            clauses.append("geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)")
            params += [west, south, east, north]
        else:
            clauses.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
            params += [west, east, south, north]
    return _rows(
        con,
        "SELECT incident_id, origin, " + ", ".join(INCIDENT_FIELDS) + " FROM incidents WHERE "
        + " AND ".join(clauses)
        + " ORDER BY date_start DESC, incident_id LIMIT ?",
        [*params, limit],
    )


def incident(con: duckdb.DuckDBPyConnection, incident_id: str) -> dict | None:
    rows = _rows(
        con,
        "SELECT incident_id, origin, " + ", ".join(INCIDENT_FIELDS)
        + " FROM incidents WHERE incident_id = ?",
        [incident_id],
    )
    return rows[0] if rows else None


def create_incident(con: duckdb.DuckDBPyConnection, values: dict, origin: str) -> str:
    """Insert one incident (validated values keyed by INCIDENT_FIELDS); returns its id."""
    number = con.execute("SELECT nextval('incident_seq')").fetchone()[0]
    incident_id = f"web-{number}"
    con.execute(
        "INSERT INTO incidents (incident_id, origin, " + ", ".join(INCIDENT_FIELDS) + ") "
        "VALUES (?, ?, " + ", ".join("?" for _ in INCIDENT_FIELDS) + ")",
        [incident_id, origin, *(values.get(c) for c in INCIDENT_FIELDS)],
    )
    return incident_id


def update_incident(con: duckdb.DuckDBPyConnection, incident_id: str, values: dict) -> None:
    con.execute(
        "UPDATE incidents SET " + ", ".join(f"{c} = ?" for c in INCIDENT_FIELDS)
        + ", updated_at = now() WHERE incident_id = ?",
        [*(values.get(c) for c in INCIDENT_FIELDS), incident_id],
    )
