"""The store's Watch tables (migrations 010, 020): documents, their classifications, the
alerts they raise and the analysts' reviews; written by the monitor pipeline, read by the CLI,
the pages, the API and the briefs. Writes happen inside the caller's transaction."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from kelisim.store.frames import insert_frame

if TYPE_CHECKING:  # imported where a store is opened, so that `kelisim --help` stays fast
    import duckdb
    import pandas as pd
    import pyarrow as pa

FLAG_TIER = 2  # documents with at least this tier are "flagged" for review
CLASSIFICATION_COLUMNS = (
    "doc_id", "relevant", "relevance_score", "tier", "hostility_score", "counter_speech",
    "groups", "places", "rationale", "model", "lexicon_version",
)  # fmt: skip
ALERT_COLUMNS = (
    "alert_id", "area_code", "group_code", "day", "metric", "value", "baseline", "score",
    "top_doc_ids",
)  # fmt: skip


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# ---------------------------------------------------------------- documents


def known_doc_ids(con: duckdb.DuckDBPyConnection, ids: pa.Table) -> set[str]:
    """The ids of ``ids`` (a table with a doc_id column) already stored."""
    con.register("incoming_ids", ids)
    try:
        return {
            row[0]
            for row in con.execute(
                "SELECT d.doc_id FROM documents d JOIN incoming_ids i USING (doc_id)"
            ).fetchall()
        }
    finally:
        con.unregister("incoming_ids")


def insert_documents(con: duckdb.DuckDBPyConnection, documents: pa.Table,
                     columns: tuple[str, ...]) -> None:
    """Append documents (``columns`` of the documents table)."""
    insert_frame(con, "documents", documents.select(list(columns)))


def insert_classifications(con: duckdb.DuckDBPyConnection, classes: pa.Table) -> None:
    """Append classifications (rationale as JSON text)."""
    insert_frame(con, "classifications", classes.select(list(CLASSIFICATION_COLUMNS)))


def documents_between(con: duckdb.DuckDBPyConnection, start, end) -> pd.DataFrame:
    """doc_id, text, published_at, story_id of the documents published in [start, end]."""
    return con.execute(
        "SELECT doc_id, text, published_at, story_id FROM documents "
        "WHERE published_at >= ? AND published_at <= ?",
        [start, end],
    ).df()


def classified_documents(con: duckdb.DuckDBPyConnection, start, end) -> pd.DataFrame:
    """Classified documents published in [start, end) as one frame."""
    return con.execute(
        "SELECT d.doc_id, d.published_at, c.relevant, c.tier, c.hostility_score, "
        "c.counter_speech, c.groups, c.places FROM documents d JOIN classifications c "
        "USING (doc_id) WHERE d.published_at >= ? AND d.published_at < ?",
        [start, end],
    ).df()


def document_coverage(con: duckdb.DuckDBPyConnection) -> tuple:
    """(documents, with a date, distinct days, first day, last day) of the stored documents."""
    return con.execute(
        "SELECT count(*), count(published_at), count(DISTINCT CAST(published_at AS DATE)), "
        "min(CAST(published_at AS DATE)), max(CAST(published_at AS DATE)) FROM documents"
    ).fetchone()


# ---------------------------------------------------------------- alerts


def replace_alerts(con: duckdb.DuckDBPyConnection, days: list[date], alerts: pd.DataFrame
                   ) -> None:
    """Replace the alerts of ``days`` by ``alerts``."""
    con.execute("DELETE FROM alerts WHERE day IN (SELECT unnest(CAST(? AS DATE[])))", [days])
    if not alerts.empty:
        insert_frame(con, "alerts", alerts[list(ALERT_COLUMNS)])


def alert_frame(con: duckdb.DuckDBPyConnection, since: date | None = None,
                area: str | None = None) -> pd.DataFrame:
    """Stored alerts (from ``since``, of ``area``), newest and strongest first."""
    conditions, parameters = [], []
    if since is not None:
        conditions.append("day >= ?")
        parameters.append(since)
    if area is not None:
        conditions.append("area_code = ?")
        parameters.append(area)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return con.execute(
        "SELECT day, area_code, group_code, metric, value, baseline, score, top_doc_ids "
        f"FROM alerts {where} ORDER BY day DESC, score DESC",
        parameters,
    ).df()


def alerts(
    con: duckdb.DuckDBPyConnection,
    area: str | None = None,
    limit: int = 20,
    year: int | None = None,
) -> list[dict]:
    clauses, params = ["TRUE"], []
    if area:
        clauses.append("area_code = ?")
        params.append(area)
    if year:
        clauses.append("year(day) = ?")
        params.append(year)
    return _rows(
        con,
        'SELECT alert_id, area_code AS area, group_code AS "group", day, metric, value, '
        "baseline, score, top_doc_ids FROM alerts WHERE "
        + " AND ".join(clauses)
        + " ORDER BY day DESC, score DESC NULLS LAST LIMIT ?",
        [*params, limit],
    )


def tension_by_area(con: duckdb.DuckDBPyConnection, year: int, areas: list[str]
                    ) -> dict[str, float]:
    """The mean tension index of each of ``areas`` in ``year`` (areas without one left out)."""
    rows = con.execute(
        "SELECT area_code, avg(value) FROM alerts WHERE metric = 'tension_index' "
        "AND year(day) = ? AND list_contains(?, area_code) GROUP BY area_code",
        [year, areas],
    ).fetchall()
    return {code: float(value) for code, value in rows if value is not None}


def tension_periods(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT year(day) AS y FROM alerts WHERE metric = 'tension_index' ORDER BY y"
        ).fetchall()
    ]


# ---------------------------------------------------------------- flagged documents, reviews


def _flagged_where(
    area: str | None, group: str | None, tier_min: int, language: str | None,
    date_from: date | None, date_to: date | None,
) -> tuple[str, list]:
    clauses, params = ["c.tier >= ?"], [tier_min]
    if area:
        # the area itself or a place inside it (a region's districts, a district's settlements)
        from kelisim.core.areas import kato_prefix

        inside = kato_prefix(area)
        clauses.append("EXISTS (SELECT 1 FROM unnest(c.places) AS u(p) "
                       "WHERE p = ? OR starts_with(p, ?))")
        params += [area, inside]
    if group:
        clauses.append("list_contains(c.groups, ?)")
        params.append(group)
    if language:
        clauses.append("d.language = ?")
        params.append(language)
    if date_from:
        clauses.append("d.published_at >= ?")
        params.append(date_from)
    if date_to:
        clauses.append("d.published_at < CAST(? AS DATE) + INTERVAL 1 DAY")
        params.append(date_to)
    return " AND ".join(clauses), params


def flagged(
    con: duckdb.DuckDBPyConnection,
    area: str | None = None,
    group: str | None = None,
    tier_min: int = FLAG_TIER,
    language: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict]:
    """Classified documents at or above ``tier_min`` with their latest review, newest first
    (``limit`` of them from ``offset``)."""
    where, params = _flagged_where(area, group, tier_min, language, date_from, date_to)
    rows = _rows(
        con,
        "WITH last_review AS (SELECT DISTINCT ON (doc_id) doc_id, verdict, tier, username, \"at\" "
        "  FROM reviews ORDER BY doc_id, \"at\" DESC, review_id DESC) "
        "SELECT d.doc_id, d.source, d.url, d.published_at, d.language, d.title, d.text, "
        "c.tier, c.relevance_score, c.hostility_score, c.counter_speech, c.groups, c.places, "
        "CAST(c.rationale AS VARCHAR) AS rationale, c.model, "
        "r.verdict AS review_verdict, r.tier AS review_tier, r.username AS reviewer "
        "FROM classifications c JOIN documents d USING (doc_id) "
        "LEFT JOIN last_review r USING (doc_id) WHERE " + where
        + " ORDER BY d.published_at DESC NULLS LAST, d.doc_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    for row in rows:
        row["rationale"] = json.loads(row["rationale"]) if row["rationale"] else None
    return rows


def flagged_count(
    con: duckdb.DuckDBPyConnection,
    area: str | None = None,
    group: str | None = None,
    tier_min: int = FLAG_TIER,
    language: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> int:
    """How many documents :func:`flagged` finds with the same filters (for paging)."""
    where, params = _flagged_where(area, group, tier_min, language, date_from, date_to)
    return con.execute(
        "SELECT count(*) FROM classifications c JOIN documents d USING (doc_id) WHERE " + where,
        params,
    ).fetchone()[0]


def document_tier(con: duckdb.DuckDBPyConnection, doc_id: str) -> int | None:
    row = con.execute("SELECT tier FROM classifications WHERE doc_id = ?", [doc_id]).fetchone()
    return row[0] if row else None


def add_review(
    con: duckdb.DuckDBPyConnection, doc_id: str, username: str, verdict: str, tier: int
) -> int:
    return con.execute(
        "INSERT INTO reviews (doc_id, username, verdict, tier) VALUES (?, ?, ?, ?) "
        "RETURNING review_id",
        [doc_id, username, verdict, tier],
    ).fetchone()[0]


def reviews(con: duckdb.DuckDBPyConnection, doc_id: str | None = None) -> list[dict]:
    where, params = ("WHERE doc_id = ?", [doc_id]) if doc_id else ("", [])
    return _rows(
        con,
        f'SELECT review_id, doc_id, username, verdict, tier, "at" FROM reviews {where} '
        'ORDER BY "at" DESC, review_id DESC',
        params,
    )
