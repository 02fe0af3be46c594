"""Archives as datasets: re-score a Parquet/JSONL dataset part by part into a day-partitioned
Parquet dataset.

A dataset is a file or a folder of ``.parquet`` / ``.jsonl`` files (names starting with ``.``
or ``_`` are skipped, as pyarrow does). It is cut into :class:`Part` s: a Parquet file's row
groups up to :data:`PART_ROWS` rows, or one JSONL file. :func:`rescore_part` re-scores one part
with the same functions as ``kelisim monitor classify FILE`` (clean, language, classify), writes
its rows to ``day=YYYY-MM-DD/<part key>.parquet`` and returns the part's daily counts. The
single-process engine loops over the parts; the Dask engine (:mod:`kelisim.monitor.distributed`)
runs one task per part. Each part's files are written to a temporary name and renamed when
complete, and their names depend only on the part, so a part run twice (a retried task) leaves
exactly one copy of each row.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kelisim.errors import ArgumentError, InputError
from kelisim.monitor.aggregate import DAILY_INPUT_COLUMNS, daily_counts, merge_daily_counts
from kelisim.monitor.dedup import document_id
from kelisim.monitor.extract import lexicon_version
from kelisim.monitor.ingest import TIME_COLUMNS, URL_COLUMNS, first_present, publication_times
from kelisim.monitor.pipeline import CLASSIFICATION_COLUMNS, classify_documents
from kelisim.monitor.table_io import to_json
from kelisim.monitor.text import clean_texts, detect_languages

PART_ROWS = 50_000
NULL_DAY = "__HIVE_DEFAULT_PARTITION__"  # the Hive name of a null partition, as DuckDB writes
PARQUET_SUFFIXES = (".parquet",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
# Columns a re-score writes; an input column of the same name (an exported archive's old
# scores) is replaced. ``day`` is the partition directory, never a column in the files.
SCORE_COLUMNS = ("language", *CLASSIFICATION_COLUMNS, "model", "lexicon_version")
LIST_COLUMNS = ("groups", "places")


@dataclass(frozen=True)
class Part:
    """One unit of work: a JSONL file, or some row groups of a Parquet file."""

    path: str
    row_groups: tuple[int, ...] | None
    first_row: int  # offset of the part's first row in its file (0 = the file's first row)
    key: str  # names the part's output files


def _dataset_files(location: Path) -> list[Path]:
    if not location.exists():
        raise InputError(location, None, None, "no such file or folder")
    if location.is_file():
        files = [location]
    else:
        files = sorted(
            path
            for path in location.rglob("*")
            if path.is_file()
            and not any(p.startswith((".", "_")) for p in path.relative_to(location).parts)
        )
    data = [f for f in files if f.suffix.lower() in PARQUET_SUFFIXES + JSONL_SUFFIXES]
    if not data:
        raise InputError(location, None, None, "no Parquet (.parquet) or JSONL (.jsonl) files")
    return data


def _columns(path: Path) -> list[str]:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            return pq.read_schema(path).names
        except (pa.ArrowException, OSError) as error:
            message = " ".join(str(error).split())
            raise InputError(path, None, None, f"cannot read it as Parquet ({message})") from None
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    try:
        record = json.loads(first) if first.strip() else {}
    except json.JSONDecodeError as error:
        raise InputError(path, 1, None, f"not JSON lines ({error.msg})") from error
    return list(record) if isinstance(record, dict) else []


def dataset_parts(location: Path, text_column: str = "text") -> list[Part]:
    """The parts of a dataset, in file order; every file must have ``text_column``."""
    parts = []
    for index, path in enumerate(_dataset_files(location)):
        columns = _columns(path)
        if text_column not in columns:
            known = ", ".join(columns) or "none"
            raise InputError(path, 1, text_column, f"no such column (columns: {known})")
        if path.suffix.lower() in JSONL_SUFFIXES:
            parts.append(Part(str(path), None, 0, f"part-{index:05d}-000000000"))
            continue
        metadata = pq.ParquetFile(path).metadata
        groups: list[int] = []
        rows = first = 0
        for group in range(metadata.num_row_groups):
            group_rows = metadata.row_group(group).num_rows
            if groups and rows + group_rows > PART_ROWS:
                parts.append(Part(str(path), tuple(groups), first, f"part-{index:05d}-{first:09d}"))
                groups, first, rows = [], first + rows, 0
            groups.append(group)
            rows += group_rows
        if groups:
            parts.append(Part(str(path), tuple(groups), first, f"part-{index:05d}-{first:09d}"))
    return parts


def read_part(part: Part) -> pa.Table:
    """The rows of one part as an Arrow table (a Hive ``day`` column is dropped)."""
    path = Path(part.path)
    if part.row_groups is None:
        try:
            frame = pd.read_json(path, lines=True, dtype=False)
        except ValueError as error:
            raise InputError(path, None, None, f"cannot read it as JSON lines ({error})") from error
        table = pa.Table.from_pandas(frame, preserve_index=False)
    else:
        table = pq.ParquetFile(path).read_row_groups(list(part.row_groups))
    return table.drop_columns([c for c in ("day",) if c in table.column_names])


def rescore_table(
    table: pa.Table,
    text_column: str = "text",
    model_dir: str | None = None,
    source: str = "",
    first_row: int = 1,
) -> pa.Table:
    """Re-score rows as ``kelisim monitor classify FILE`` does: the text cleaned and redacted,
    the language detected, the classification columns (:data:`SCORE_COLUMNS`) replaced; plus
    ``doc_id`` (kept, else the hash of the URL or text) and ``published_at`` (naive UTC, from
    the first time column). Other columns are kept as they are. ``source`` and ``first_row``
    (the row number of the table's first row) name the place of a bad time value."""
    names = table.column_names
    url_column = first_present(names, URL_COLUMNS)
    time_column = first_present(names, TIME_COLUMNS)
    needed = dict.fromkeys(c for c in (text_column, "doc_id", url_column, time_column) if c)
    frame = table.select([c for c in needed if c in names]).to_pandas()
    times = publication_times(frame, source, first_row=first_row)
    texts = clean_texts(frame[text_column].fillna("").astype(str).tolist())
    scored = classify_documents(
        pd.DataFrame({"text": texts, "language": detect_languages(texts)}), model_dir=model_dir
    )
    if "doc_id" in frame.columns:
        ids = frame["doc_id"].astype(str).tolist()
    else:
        urls = frame[url_column].tolist() if url_column else [None] * len(texts)
        ids = [
            document_id(url if isinstance(url, str) and url else None, text)
            for url, text in zip(urls, texts, strict=True)
        ]
    columns: dict[str, pa.Array] = {"doc_id": pa.array(ids, pa.string())}
    for column in names:
        if column == text_column:
            columns[column] = pa.array(texts, pa.string())
        elif column not in (*SCORE_COLUMNS, "doc_id", "published_at"):
            columns[column] = table.column(column)
    columns["published_at"] = pa.array(times, pa.timestamp("us"))
    columns["language"] = pa.array(scored["language"].tolist(), pa.string())
    for column in ("relevant", "counter_speech"):
        columns[column] = pa.array(scored[column].astype(bool).tolist(), pa.bool_())
    for column in ("relevance_score", "hostility_score"):
        columns[column] = pa.array(scored[column].astype(float), pa.float64())
    columns["tier"] = pa.array(scored["tier"].astype(int), pa.int32())
    for column in LIST_COLUMNS:
        columns[column] = pa.array([list(v) for v in scored[column]], pa.list_(pa.string()))
    columns["rationale"] = pa.array([to_json(r) for r in scored["rationale"]], pa.string())
    columns["model"] = pa.array(scored["model"].tolist(), pa.string())
    columns["lexicon_version"] = pa.array([lexicon_version()] * len(texts), pa.string())
    return pa.table(columns)


def day_of(times: pd.Series) -> list[str]:
    """The Hive partition value of each time: ``YYYY-MM-DD``, or :data:`NULL_DAY`."""
    return [NULL_DAY if pd.isna(t) else t.strftime("%Y-%m-%d") for t in times]


def write_days(table: pa.Table, out_dir: Path, key: str) -> None:
    """Write a part's scored rows as ``out_dir/day=<day>/<key>.parquet``, one file per day;
    each file appears complete or not at all (written aside, then renamed)."""
    days = day_of(pd.Series(table.column("published_at").to_pandas()))
    for day in sorted(set(days)):
        mask = pa.array([d == day for d in days])
        folder = out_dir / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{key}.parquet"
        temporary = folder / f".{key}.{os.getpid()}.tmp"
        pq.write_table(table.filter(mask), temporary)
        os.replace(temporary, final)


def part_daily_counts(table: pa.Table) -> pd.DataFrame:
    """The :func:`daily_counts` of a scored part."""
    return daily_counts(table.select(list(DAILY_INPUT_COLUMNS)).to_pandas())


def rescore_part(
    part: Part, out_dir: str, text_column: str = "text", model_dir: str | None = None
) -> tuple[int, pd.DataFrame]:
    """Read, re-score and write one part (one task of a run); returns its row count and its
    daily counts."""
    table = rescore_table(
        read_part(part), text_column, model_dir, source=part.path, first_row=part.first_row + 1
    )
    write_days(table, Path(out_dir), part.key)
    return table.num_rows, part_daily_counts(table)


def merge_part_results(results: list[tuple[int, pd.DataFrame]]) -> tuple[int, pd.DataFrame]:
    """The row count and daily counts of a dataset from those of its parts."""
    return sum(rows for rows, _ in results), merge_daily_counts([daily for _, daily in results])


def rescore_locally(
    parts: list[Part],
    out_dir: Path,
    text_column: str = "text",
    model_dir: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, pd.DataFrame]:
    """The single-process engine: every part in turn; returns the dataset's row count and
    daily counts."""
    results = []
    for part in parts:
        results.append(rescore_part(part, str(out_dir), text_column, model_dir))
        if progress is not None:
            progress(1)
    return merge_part_results(results)


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """A folder beside ``out_dir`` to write a dataset into, renamed to ``out_dir`` when the
    block succeeds and deleted when it fails: a failed run leaves no partial dataset.
    ``out_dir`` must not exist or be empty."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ArgumentError("out", f"{out_dir} exists and is not an empty folder")
    staging = out_dir.parent / f".{out_dir.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
        for leftover in staging.glob("day=*/.*.tmp"):  # from tasks that died half-way
            leftover.unlink()
        if out_dir.exists():
            out_dir.rmdir()
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
