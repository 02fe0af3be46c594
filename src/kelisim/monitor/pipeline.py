"""The Watch pipeline over a batch of documents, and its storage.

``prepare_documents`` normalises and redacts text, identifies the language, assigns ids and
drops exact duplicates, and groups near-duplicates into stories; ``process_batch`` adds the
classification (``kelisim.monitor.classify.classify_batch``); ``store_batch`` writes
documents, classifications and the alerts they raise in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kelisim.errors import ArgumentError
from kelisim.monitor.aggregate import WINDOW_DAYS, add_baseline, daily_counts
from kelisim.monitor.classifier import CLASSIFICATION_COLUMNS, classifier
from kelisim.monitor.dedup import assign_stories, document_id, normalize_url
from kelisim.monitor.extract import lexicon_version
from kelisim.monitor.ingest import DOCUMENT_COLUMNS
from kelisim.monitor.table_io import to_json
from kelisim.monitor.text import clean_texts, detect_languages, normalize_text, redact
from kelisim.store import monitor as monitor_store
from kelisim.store import transaction

if TYPE_CHECKING:  # the store (DuckDB) is imported where documents are stored, not to classify
    import duckdb

PREPARED_COLUMNS = (
    "doc_id", "source", "url", "published_at", "language", "title", "text", "story_id",
    "author_hash",
)  # fmt: skip


def prepare_documents(frame: pd.DataFrame) -> pd.DataFrame:
    """Documents ready for storage: cleaned text and title, normalised URL (tracking
    parameters removed), language, doc_id (duplicates after the first dropped), story_id."""
    missing = [column for column in DOCUMENT_COLUMNS if column not in frame.columns]
    if missing:
        raise ArgumentError("frame", f"lacks the columns {', '.join(missing)}")
    texts = clean_texts(frame["text"].astype(str).tolist())
    urls = [normalize_url(url) if isinstance(url, str) and url else None for url in frame["url"]]
    titles = [
        None if title is None or title != title else redact(normalize_text(str(title)))
        for title in frame["title"]
    ]
    prepared = pd.DataFrame(
        {
            "doc_id": [document_id(url, text) for url, text in zip(urls, texts, strict=True)],
            "source": frame["source"].to_numpy(),
            "url": urls,
            "published_at": pd.to_datetime(frame["published_at"]).to_numpy(),
            "language": detect_languages(texts),
            "title": titles,
            "text": texts,
            "author_hash": frame["author_hash"].to_numpy(),
        }
    )
    prepared = prepared.drop_duplicates("doc_id", ignore_index=True)
    prepared["story_id"] = assign_stories(
        prepared["doc_id"].tolist(), prepared["text"].tolist(), prepared["published_at"]
    )
    return prepared[list(PREPARED_COLUMNS)]


def classify_documents(
    frame: pd.DataFrame, model_dir: str | None = None, language_column: str = "language"
) -> pd.DataFrame:
    """The frame with the classification columns added (by the classify module)."""
    result = classifier().classify_batch(
        frame["text"].tolist(), frame[language_column].tolist(), model_dir=model_dir
    )
    # The classifier may name its model per row ('rules' or the model card's name).
    columns = [*CLASSIFICATION_COLUMNS, *(["model"] if "model" in result.columns else [])]
    result = result.reset_index(drop=True)[columns]
    return pd.concat([frame.reset_index(drop=True), result], axis=1)


def process_batch(frame: pd.DataFrame, model_dir: str | None = None) -> pd.DataFrame:
    """Language, redaction, dedup and classification of a batch of ingested documents."""
    return classify_documents(prepare_documents(frame), model_dir=model_dir)


@dataclass(frozen=True)
class StoreSummary:
    """What one stored batch added."""

    documents: int
    duplicates: int
    alerts: int


def store_batch(
    con: duckdb.DuckDBPyConnection, processed: pd.DataFrame, model: str = "default"
) -> StoreSummary:
    """Write new documents and their classifications, then refresh the alerts of the days
    they touch, all in one transaction. Documents already stored (same doc_id) are skipped.
    ``model`` names the model for rows whose classifier gave no ``model`` column."""
    import pyarrow as pa

    with transaction(con):
        ids = pa.table({"doc_id": processed["doc_id"].tolist()})
        known = monitor_store.known_doc_ids(con, ids)
        new = processed[~processed["doc_id"].isin(known)].reset_index(drop=True)
        new["story_id"] = _stories_with_stored(con, new)
        documents = pa.Table.from_pandas(new[list(PREPARED_COLUMNS)], preserve_index=False)
        monitor_store.insert_documents(con, documents, PREPARED_COLUMNS)
        classes = pa.table(
            {
                "doc_id": pa.array(new["doc_id"].tolist(), pa.string()),
                "relevant": pa.array(new["relevant"].astype(bool).tolist(), pa.bool_()),
                "relevance_score": pa.array(new["relevance_score"].astype(float), pa.float64()),
                "tier": pa.array(new["tier"].astype(int), pa.int32()),
                "hostility_score": pa.array(new["hostility_score"].astype(float), pa.float64()),
                "counter_speech": pa.array(new["counter_speech"].astype(bool).tolist()),
                "groups": pa.array([list(g) for g in new["groups"]], pa.list_(pa.string())),
                "places": pa.array([list(p) for p in new["places"]], pa.list_(pa.string())),
                "rationale": pa.array([to_json(r) for r in new["rationale"]], pa.string()),
                "model": pa.array(
                    new["model"].tolist() if "model" in new.columns else [model] * len(new),
                    pa.string(),
                ),
                "lexicon_version": pa.array([lexicon_version()] * len(new), pa.string()),
            }
        )
        monitor_store.insert_classifications(con, classes)
        days = pd.to_datetime(new["published_at"]).dt.floor("D").dropna().unique()
        alerts = refresh_alerts(con, list(days))
    return StoreSummary(documents=len(new), duplicates=len(processed) - len(new), alerts=alerts)


STORY_WINDOW_DAYS = 3


def _stories_with_stored(con: duckdb.DuckDBPyConnection, new: pd.DataFrame) -> list[str]:
    """Story ids of new documents, joining stories already stored within three days of them
    (a reprint published later keeps the story of the stored original)."""
    times = pd.to_datetime(new["published_at"]).dropna()
    if times.empty:
        return new["story_id"].tolist()
    window = pd.Timedelta(days=STORY_WINDOW_DAYS)
    stored = monitor_store.documents_between(
        con, (times.min() - window).to_pydatetime(), (times.max() + window).to_pydatetime())
    if stored.empty:
        return new["story_id"].tolist()
    stories = assign_stories(
        stored["doc_id"].tolist() + new["doc_id"].tolist(),
        stored["text"].tolist() + new["text"].tolist(),
        pd.concat([stored["published_at"], new["published_at"]], ignore_index=True),
        known_stories=stored["story_id"].tolist() + [None] * len(new),
    )
    return stories[len(stored) :]


def stored_documents(
    con: duckdb.DuckDBPyConnection, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Classified documents published in [start, end) as one frame."""
    return monitor_store.classified_documents(con, start.to_pydatetime(), end.to_pydatetime())


def refresh_alerts(con: duckdb.DuckDBPyConnection, days: list[pd.Timestamp]) -> int:
    """Recompute the alerts of the given days from the stored documents (with the trailing
    window before them); returns how many alerts those days now have."""
    # imported here: scipy.stats costs most of `monitor classify`'s start-up, which needs no spikes
    from kelisim.monitor.spikes import alerts_from_spikes, detect_spikes

    if not days:
        return 0
    first, last = min(days), max(days)
    documents = stored_documents(
        con, first - pd.Timedelta(days=WINDOW_DAYS + 1), last + pd.Timedelta(days=1)
    )
    baseline = add_baseline(daily_counts(documents))
    spikes = detect_spikes(baseline)
    spikes = spikes[spikes["period"].isin(days)]
    alerts = alerts_from_spikes(spikes, documents)
    monitor_store.replace_alerts(con, [pd.Timestamp(day).date() for day in days], alerts)
    return len(alerts)


def model_label(model_dir: str | None) -> str:
    """The name stored with each classification: the model folder's name, or 'default'."""
    return Path(model_dir).name if model_dir else "default"


