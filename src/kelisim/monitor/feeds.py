"""Polling feeds with a remembered state, so that a restart neither loses nor repeats items.

Each feed's state (:class:`kelisim.store.monitor_scale.FeedState`) holds its ETag and
Last-Modified validators and the newest item stored. :func:`poll_feed` is one task: a
conditional GET (RFC 9110, 13.1: a 304 answer means nothing new), the items published at or
after the newest stored one, prepared and classified. It writes nothing; the caller stores the
documents (skipping ``doc_id`` s already stored) and only then saves the new state
(:func:`store_poll`). A task that dies is simply run again; a run stopped between the two
writes fetches the same items next time and the store skips them: each item is stored once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import pandas as pd

from kelisim.errors import KelisimError
from kelisim.monitor.ingest import download, read_feed
from kelisim.monitor.pipeline import StoreSummary, model_label, process_batch, store_batch
from kelisim.store.monitor_scale import FeedState, save_feed_state


@dataclass(frozen=True)
class PollResult:
    """What one poll of a feed found: the new state and the new documents, classified."""

    state: FeedState
    documents: pd.DataFrame
    not_modified: bool
    error: str | None = None  # why the feed could not be read (the others go on)


def poll_feed(state: FeedState, model_dir: str | None = None) -> PollResult:
    """Fetch a feed if it changed and classify the items not older than the newest stored;
    a feed that cannot be downloaded or read gives a result with its ``error``."""
    try:
        answer = download(state.feed_url, etag=state.etag, last_modified=state.last_modified)
        if answer.body is None:
            return PollResult(state, pd.DataFrame(), not_modified=True)
        items = read_feed(answer.body, state.feed_url)
    except KelisimError as error:
        return PollResult(state, pd.DataFrame(), not_modified=False, error=str(error))
    if state.last_published_at is not None:
        since = pd.Timestamp(state.last_published_at)
        items = items[items["published_at"].isna() | (items["published_at"] >= since)]
    validators = {"etag": answer.etag, "last_modified": answer.last_modified}
    if items.empty:
        return PollResult(replace(state, **validators), pd.DataFrame(), not_modified=False)
    documents = process_batch(items.reset_index(drop=True), model_dir=model_dir)
    dated = documents.dropna(subset=["published_at"])
    if not dated.empty:
        newest = dated.sort_values(["published_at", "doc_id"]).iloc[-1]
        validators |= {
            "last_item_id": newest["doc_id"],
            "last_published_at": pd.Timestamp(newest["published_at"]).to_pydatetime(),
        }
    return PollResult(replace(state, **validators), documents, not_modified=False)


def store_poll(
    con: duckdb.DuckDBPyConnection, result: PollResult, model_dir: str | None = None
) -> StoreSummary:
    """Store a poll's documents (those already stored are skipped), then save the feed's new
    state: the state never runs ahead of what is stored."""
    summary = StoreSummary(0, 0, 0)
    if result.error is not None:
        return summary
    if not result.documents.empty:
        summary = store_batch(con, result.documents, model=model_label(model_dir))
    items = result.state.items_stored + summary.documents
    save_feed_state(con, replace(result.state, items_stored=items))
    return summary
