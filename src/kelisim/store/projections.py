"""The store's ``projections`` table (migrations 030, 031): projection runs written by the
forecast pipeline and read by the dashboard, the API and the briefs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kelisim.store.frames import insert_frame

if TYPE_CHECKING:  # imported where a store is opened, so that `kelisim --help` stays fast
    import duckdb
    import pandas as pd

PROJECTION_COLUMNS = (
    "run_name", "scenario", "area_code", "group_code", "sex", "age", "period", "count",
    "lower80", "upper80", "lower95", "upper95", "share", "share_lower95", "share_upper95",
)  # fmt: skip


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def replace_run(con: duckdb.DuckDBPyConnection, run_name: str, rows: pd.DataFrame) -> None:
    """Replace the rows of ``run_name`` by ``rows`` (columns PROJECTION_COLUMNS, in order),
    inside the caller's transaction."""
    con.execute("DELETE FROM projections WHERE run_name = ?", [run_name])
    insert_frame(con, "projections", rows.set_axis(list(PROJECTION_COLUMNS), axis=1))


def projection_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many projection rows the store holds."""
    return con.execute("SELECT count(*) FROM projections").fetchone()[0]


def projection_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the stored projection runs, the most recently stored last."""
    return [
        r[0] for r in con.execute("SELECT run_name FROM projections GROUP BY run_name "
                                  "ORDER BY max(created_at), run_name").fetchall()
    ]


def projection_run_dates(con: duckdb.DuckDBPyConnection) -> dict:
    """run name -> when it was stored (its newest row's time), for labels with a date."""
    return dict(con.execute("SELECT run_name, max(created_at) FROM projections "
                            "GROUP BY run_name").fetchall())


def projections(
    con: duckdb.DuckDBPyConnection,
    area: str,
    run: str | None = None,
    group: str | None = None,
) -> list[dict]:
    """Projected counts (both sexes, all ages) with 80 % and 95 % intervals."""
    clauses = ["area_code = ?", "sex = 'both'", "age = 'total'"]
    params: list = [area]
    if run:
        clauses.append("run_name = ?")
        params.append(run)
    if group:
        clauses.append("group_code = ?")
        params.append(group)
    return _rows(
        con,
        'SELECT run_name AS run, scenario, group_code AS "group", period, count, '
        "lower80, upper80, lower95, upper95 FROM projections WHERE "
        + " AND ".join(clauses)
        + ' ORDER BY run, scenario, "group", period',
        params,
    )


def projection_totals(
    con: duckdb.DuckDBPyConnection, area: str, run: str | None = None
) -> list[dict]:
    """All-groups projections: the run's 'total' rows, else the sum of its groups' central
    counts (intervals of a sum are not the sum of intervals, so those are left empty)."""
    rows = projections(con, area, run, "total")
    if rows:
        return rows
    clauses = ["area_code = ?", "sex = 'both'", "age = 'total'"]
    params: list = [area]
    if run:
        clauses.append("run_name = ?")
        params.append(run)
    return _rows(
        con,
        "SELECT run_name AS run, scenario, 'total' AS \"group\", period, sum(count) AS count, "
        "NULL::DOUBLE AS lower80, NULL::DOUBLE AS upper80, NULL::DOUBLE AS lower95, "
        "NULL::DOUBLE AS upper95 FROM projections WHERE " + " AND ".join(clauses)
        + " GROUP BY run, scenario, period ORDER BY run, scenario, period",
        params,
    )


def projection_shares(
    con: duckdb.DuckDBPyConnection, area: str, run: str
) -> list[dict]:
    """Each group's projected share of the area with its 95 % interval (issue 12), for the
    rows of ``run`` that carry a share."""
    return _rows(
        con,
        'SELECT scenario, group_code AS "group", period, share, share_lower95, share_upper95 '
        "FROM projections WHERE run_name = ? AND area_code = ? AND sex = 'both' "
        "AND age = 'total' AND group_code <> 'total' AND share IS NOT NULL "
        'ORDER BY scenario, "group", period',
        [run, area],
    )
