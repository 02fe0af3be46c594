"""Watch at national scale: archive export, feed polling state and daily aggregates.

The SQL behind ``kelisim monitor export``, ``kelisim monitor poll`` and the aggregates that
``kelisim monitor classify DATASET/`` writes back (tables of migration 015).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from kelisim.store import transaction
from kelisim.store.frames import insert_frame
from kelisim.store.postgres import on_postgres

# The columns of an exported archive, in order (``day`` is the partition directory).
ARCHIVE_COLUMNS = (
    "doc_id", "source", "url", "published_at", "language", "title", "text", "story_id",
    "groups", "places", "relevant", "relevance_score", "tier", "hostility_score",
    "counter_speech", "rationale", "model", "lexicon_version",
)  # fmt: skip
DAILY_COUNT_COLUMNS = (
    "volume", "relevant_count", "share_relevant", "tier_0", "tier_1", "tier_2", "tier_3",
    "tier_4", "tier_5", "counter_speech_count", "tension_index",
)  # fmt: skip
EXPORT_ROW_GROUP = 50_000


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def export_archive(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write the classified documents published in [since, until) as a Parquet dataset
    partitioned by day (``day=YYYY-MM-DD/``; documents without a time under
    ``day=__HIVE_DEFAULT_PARTITION__``). The dataset is written beside ``out_dir`` and moved
    into place when complete, so a failed export leaves nothing behind. Returns the rows."""
    conditions, parameters = [], []
    if since is not None:
        conditions.append("d.published_at >= ?")
        parameters.append(since)
    if until is not None:
        conditions.append("d.published_at < ?")
        parameters.append(until)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    select = (
        "SELECT d.doc_id, d.source, d.url, d.published_at, d.language, d.title, d.text, "
        "d.story_id, c.groups, c.places, c.relevant, c.relevance_score, c.tier, "
        "c.hostility_score, c.counter_speech, CAST(c.rationale AS VARCHAR) AS rationale, "
        "c.model, c.lexicon_version, CAST(d.published_at AS DATE) AS day "
        f"FROM documents d JOIN classifications c USING (doc_id) {where} "
        "ORDER BY d.published_at, d.doc_id"
    )
    rows = con.execute(f"SELECT count(*) FROM ({select}) AS exported", parameters).fetchone()[0]
    staging = out_dir.parent / f".{out_dir.name}.{uuid.uuid4().hex}.partial"
    try:
        if on_postgres(con):
            _write_partitioned(con.execute(select, parameters).df(), staging)
        else:
            con.execute(
                f"COPY ({select}) TO {_sql_text(str(staging))} "
                f"(FORMAT PARQUET, PARTITION_BY (day), ROW_GROUP_SIZE {EXPORT_ROW_GROUP})",
                parameters,
            )
        if rows == 0:
            staging.mkdir(parents=True, exist_ok=True)
        if out_dir.exists():
            out_dir.rmdir()  # the caller checked it is empty
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return rows


def _write_partitioned(frame: pd.DataFrame, folder: Path) -> None:
    """PostgreSQL's export: the rows as DuckDB's ``COPY ... PARTITION_BY (day)`` writes them
    (Hive partitions ``day=YYYY-MM-DD``, ``__HIVE_DEFAULT_PARTITION__`` for no day)."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    frame = frame.assign(day=frame["day"].dt.strftime("%Y-%m-%d"))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    ds.write_dataset(table, folder, format="parquet", partitioning=["day"],
                     partitioning_flavor="hive", max_rows_per_group=EXPORT_ROW_GROUP,
                     basename_template="data_{i}.parquet")


def replace_daily(
    con: duckdb.DuckDBPyConnection, daily: pd.DataFrame, model: str, lexicon_version: str
) -> int:
    """Replace the stored aggregates of the days in ``daily`` (area, group, period and the
    :data:`DAILY_COUNT_COLUMNS`) in one transaction; returns the rows written. Writing the
    same aggregates twice leaves the table as after the first write."""
    frame = daily.rename(columns={"area": "area_code", "group": "group_code", "period": "day"})
    frame = frame[["area_code", "group_code", "day", *DAILY_COUNT_COLUMNS]].assign(
        day=pd.to_datetime(frame["day"]).dt.date, model=model, lexicon_version=lexicon_version
    )
    with transaction(con):
        con.execute(
            "DELETE FROM monitor_daily WHERE day IN (SELECT unnest(CAST(? AS DATE[])))",
            [sorted(set(frame["day"]))],
        )
        insert_frame(con, "monitor_daily", frame)
    return len(frame)


def daily_aggregates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stored area x group x day aggregates, ordered by day, area and group."""
    return con.execute(
        f"SELECT area_code, group_code, day, {', '.join(DAILY_COUNT_COLUMNS)}, model, "
        "lexicon_version FROM monitor_daily ORDER BY day, area_code, group_code"
    ).df()


@dataclass(frozen=True)
class FeedState:
    """Where polling of one feed stopped: its validators and the newest item stored."""

    feed_url: str
    etag: str | None = None
    last_modified: str | None = None
    last_item_id: str | None = None
    last_published_at: datetime | None = None
    items_stored: int = 0


FEED_STATE_COLUMNS = (
    "feed_url", "etag", "last_modified", "last_item_id", "last_published_at", "items_stored",
)  # fmt: skip


def feed_states(con: duckdb.DuckDBPyConnection, feed_urls: list[str]) -> dict[str, FeedState]:
    """The stored state of each feed (a fresh state for a feed never polled)."""
    rows = con.execute(
        f"SELECT {', '.join(FEED_STATE_COLUMNS)} FROM feed_state "
        "WHERE feed_url IN (SELECT unnest(CAST(? AS VARCHAR[])))",
        [list(feed_urls)],
    ).fetchall()
    stored = {row[0]: FeedState(*row) for row in rows}
    return {url: stored.get(url, FeedState(url)) for url in feed_urls}


def save_feed_state(con: duckdb.DuckDBPyConnection, state: FeedState) -> None:
    """Record a feed's state after its items are stored (insert or update)."""
    values = [getattr(state, column) for column in FEED_STATE_COLUMNS]
    updates = ", ".join(f"{c} = excluded.{c}" for c in FEED_STATE_COLUMNS[1:])
    con.execute(
        f"INSERT INTO feed_state ({', '.join(FEED_STATE_COLUMNS)}, polled_at) "
        f"VALUES ({', '.join('?' * len(values))}, now()) "
        f"ON CONFLICT (feed_url) DO UPDATE SET {updates}, polled_at = now()",
        values,
    )
