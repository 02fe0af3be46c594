"""PostGIS where present, optional (issue 10, item 4): the incidents of a bounding box are the
same rows on DuckDB, on PostgreSQL without PostGIS (lat/lon compared) and on PostgreSQL with
it (the geometry's GiST index). Incidents are CONSTRUCTED."""

import pytest

from kelisim import store
from kelisim.store import incidents as incidents_store
from kelisim.store.postgres import has_geometry, on_postgres, postgis_usable

# (id, lat, lon): inside, on the edges and corner, outside by a little, and without a point
POINTS = [("in-1", 43.25, 76.95), ("in-2", 51.1, 71.4), ("edge-w", 45.0, 70.0),
          ("edge-n", 52.0, 75.0), ("corner", 52.0, 78.0), ("out-e", 47.0, 78.0001),
          ("out-s", 42.9999, 72.0), ("far", -41.1, -71.3), ("none", None, None)]
BOX = (70.0, 43.0, 78.0, 52.0)  # west, south, east, north
INSIDE = {"in-1", "in-2", "edge-w", "edge-n", "corner"}


def _constructed(location):
    con = store.connect(location)
    for incident_id, lat, lon in POINTS:
        con.execute("INSERT INTO incidents (incident_id, date_start, lat, lon, origin) "
                    "VALUES (?, DATE '2024-05-01', ?, ?, 'csv')", [incident_id, lat, lon])
    return con


def _in_box(con, **filters) -> set[str]:
    return {row["incident_id"] for row in incidents_store.incidents(con, bbox=BOX, **filters)}


def test_incidents_in_a_bounding_box(any_db):
    con = _constructed(any_db)
    assert _in_box(con) == INSIDE
    assert _in_box(con, year=2023) == set()
    assert len(incidents_store.incidents(con)) == len(POINTS)  # no box: every incident
    con.close()


def test_postgis_answers_the_box_as_the_portable_path_does(any_db, monkeypatch):
    con = _constructed(any_db)
    if not on_postgres(con):
        assert not has_geometry(con) and not postgis_usable(con)  # DuckDB: lat/lon only
        return
    if not postgis_usable(con):
        pytest.skip("PostGIS is not installed on this server (Debian's "
                    "postgresql-15-postgis-3; `make test` installs it when root)")
    assert has_geometry(con)
    points = con.execute("SELECT incident_id, ST_X(geom), ST_Y(geom) FROM incidents "
                         "WHERE geom IS NOT NULL ORDER BY 1").fetchall()
    assert points == sorted((i, lon, lat) for i, lat, lon in POINTS if lat is not None)
    with_postgis = _in_box(con)
    monkeypatch.setattr(incidents_store, "has_geometry", lambda con: False)
    assert _in_box(con) == with_postgis == INSIDE
    con.execute("SET enable_seqscan = off")  # as on a large table: the index answers
    plan = "\n".join(row[0] for row in con.execute(
        "EXPLAIN SELECT incident_id FROM incidents "
        "WHERE geom && ST_MakeEnvelope(70, 43, 78, 52, 4326)").fetchall())
    assert "incidents_geom" in plan, plan
    con.close()


def test_without_postgis_the_migration_is_not_applied(empty_db, monkeypatch):
    from kelisim.store import postgres

    monkeypatch.setattr(postgres, "postgis_usable", lambda con: False)
    con = _constructed(empty_db)
    applied = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    assert "055_points.postgis.sql" not in applied and not has_geometry(con)
    assert _in_box(con) == INSIDE
    con.close()
