"""`kelisim monitor`: ingest sources, classify files, list alerts.

The classify helper's ``kelisim.cli.model`` adds ``train`` and ``evaluate`` to
:data:`monitor_app`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from kelisim.cli.output import check_format, write
from kelisim.errors import ArgumentError, InputError, KelisimError

monitor_app = typer.Typer(
    name="monitor",
    help="Watch: ingest news and posts, classify interethnic tension, raise alerts.",
    no_args_is_help=True,
)

FORMATS = ("csv", "jsonl")
#: prefix of classify output columns whose names the input file already uses
OUTPUT_PREFIX = "kelisim_"


def _write(frame, out: Path | None, output_format: str) -> None:
    """Write a frame as CSV or JSON lines (lists and dicts as JSON, times as ISO text, missing
    values empty or null) to a file or stdout."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].map(lambda t: None if pd.isna(t) else t.isoformat())
    values = frame.astype(object).where(frame.notna(), None)
    _write_rows([str(c) for c in frame.columns], [list(row) for row in
                values.itertuples(index=False, name=None)], out, output_format)


def _write_rows(columns: list[str], rows: list[list], out: Path | None, output_format: str):
    """Write rows (``kelisim.monitor.table_io.write_rows``) to stdout, or whole to ``out``
    through the one output helper (a file that cannot be written is an error naming --out)."""
    import sys

    from kelisim.monitor.table_io import write_rows

    if out is None:
        write_rows(columns, rows, sys.stdout, output_format)
        return

    def save(path) -> None:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            write_rows(columns, rows, handle, output_format)

    write(out, save)


@monitor_app.command()
def ingest(
    sources: list[str] = typer.Argument(
        ..., help="Feed/page URLs or files (RSS/Atom, HTML, JSONL, CSV, Telegram result.json)."
    ),
    kind: str = typer.Option("auto", help="auto, feed, html, jsonl, csv or telegram."),
    text_column: str = typer.Option("text", help="Text column of JSONL/CSV dumps."),
    hash_authors: str | None = typer.Option(
        None,
        "--hash-authors",
        metavar="SALT",
        help="Keep a salted hash of each author id (otherwise authors are dropped).",
    ),
    store: bool = typer.Option(False, "--store", help="Classify and save to the store."),
    model: str | None = typer.Option(None, help="Model folder for classification."),
    db: str | None = typer.Option(None, help="Store location (default: KELISIM_DB)."),
    out: Path | None = typer.Option(None, help="Write the documents here (without --store)."),
    output_format: str = typer.Option("jsonl", "--format", help="csv or jsonl."),
) -> None:
    """Read sources into documents: redacted text, language, ids and stories."""
    from kelisim.monitor.gazetteer import use_store_gazetteer
    from kelisim.monitor.ingest import ingest_sources
    from kelisim.monitor.pipeline import model_label, prepare_documents, process_batch, store_batch

    check_format(output_format, out, FORMATS)
    if hash_authors is not None and not hash_authors.strip():
        raise ArgumentError("--hash-authors", "the salt must not be empty")
    documents = ingest_sources(sources, kind=kind, text_column=text_column, salt=hash_authors)
    if not store:
        _write(prepare_documents(documents), out, output_format)
        return
    from kelisim import store as kelisim_store

    con = kelisim_store.connect(db)
    try:
        use_store_gazetteer(con)
        processed = process_batch(documents, model_dir=model)
        summary = store_batch(con, processed, model=model_label(model))
    finally:
        con.close()
    typer.echo(
        f"stored {summary.documents} documents ({summary.duplicates} already stored or "
        f"repeated); {summary.alerts} alerts on the days they cover"
    )


def read_rows(path: Path) -> tuple[list[str], list[list]]:
    """The column names and rows of a CSV/TSV file (every cell text) or of a JSON-lines file
    (values as read, a missing one None); see :func:`read_table`."""
    from kelisim.monitor.table_io import read_text_rows

    if not path.is_file():
        raise InputError(path, None, None, "no such file")
    suffix = path.suffix.lower()
    with _reading(path):
        if suffix not in JSON_SUFFIXES:
            return read_text_rows(path, "\t" if suffix == ".tsv" else ",")
        import pandas as pd

        frame = pd.read_json(path, lines=suffix != ".json", dtype=False)
    values = frame.astype(object).where(frame.notna(), None)
    return [str(c) for c in frame.columns], [list(row) for row in
                                             values.itertuples(index=False, name=None)]


JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


@contextlib.contextmanager
def _reading(path: Path):
    """Name the file in one sentence when it is not UTF-8 or not a table."""
    try:
        yield
    except UnicodeDecodeError:
        raise InputError(path, None, None, "the file is not UTF-8 text; save it as UTF-8") from None
    except ValueError as error:
        message = " ".join(str(error).split())
        raise InputError(path, None, None, f"cannot read it as a table ({message})") from None


def read_table(path: Path):
    """A CSV/TSV or JSON-lines file as a frame, pandas inferring numbers and booleans (labels);
    leading lines starting with '#' (a file's description, as in the bundled fixtures) are
    skipped."""
    import pandas as pd

    from kelisim.core.tables import read_csv_cells

    if not path.is_file():
        raise InputError(path, None, None, "no such file")
    with _reading(path):
        if path.suffix.lower() in JSON_SUFFIXES:
            return pd.read_json(path, lines=path.suffix.lower() != ".json")
        with path.open(encoding="utf-8-sig") as handle:
            comments = 0
            for line in handle:
                if not line.startswith("#"):
                    break
                comments += 1
        return read_csv_cells(
            path,
            path,
            header_row=comments + 1,
            sep="\t" if path.suffix.lower() == ".tsv" else ",",
            skiprows=comments,
            encoding="utf-8-sig",
        )


def require_columns(names, path: Path, columns: dict[str, str]) -> None:
    """Raise naming the file and the option when a column (option -> name) is not among
    ``names`` (a table's column names)."""
    for option, column in columns.items():
        if column not in names:
            known = ", ".join(map(str, names))
            raise InputError(path, 1, column, f"no such column for {option} (columns: {known})")


ENGINES = ("local", "dask")


@monitor_app.command()
def classify(
    input_path: Path = typer.Argument(
        ...,
        metavar="INPUT",
        help="CSV/TSV or JSONL file; or a Parquet/JSONL dataset (a folder, or a .parquet file) "
        "re-scored into --out DIR.",
    ),
    text_column: str = typer.Option("text", help="Column holding the text."),
    model: str | None = typer.Option(
        None, help="Model folder (default: the shipped one; 'rules' for rules only)."
    ),
    output_format: str = typer.Option("csv", "--format", help="csv or jsonl."),
    out: Path | None = typer.Option(
        None, help="Output file (default: stdout); for a dataset, the output folder."
    ),
    engine: str | None = typer.Option(
        None, help="local or dask: re-score INPUT as a dataset (default local for a dataset)."
    ),
    scheduler: str | None = typer.Option(
        None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)."
    ),
    workers: int | None = typer.Option(
        None, min=1, help="Worker processes of the local Dask cluster (default: one per core)."
    ),
    db: str | None = typer.Option(
        None,
        help="Store for a dataset's daily aggregates (default: KELISIM_DB); for a file, the "
        "settlements of this store's imported workbooks are matched too.",
    ),
) -> None:
    """Classify every row of a file: language, relevance, tier, hostility, groups, places,
    rationale (text is redacted in the output). A dataset is re-scored into a Parquet dataset
    partitioned by day, and its area x group x day aggregates are written to the store."""
    is_dataset = input_path.is_dir() or input_path.suffix.lower() == ".parquet"
    if engine is not None or is_dataset or scheduler is not None or workers is not None:
        _classify_dataset(input_path, text_column, model, out, engine, scheduler, workers, db)
        return
    from kelisim.monitor.classifier import classified_rows
    from kelisim.monitor.heap import frozen_heap
    from kelisim.monitor.text import clean_texts, detect_languages

    check_format(output_format, out, FORMATS)
    columns, rows = read_rows(input_path)
    require_columns(columns, input_path, {"--text-column": text_column})
    if not rows:
        raise InputError(input_path, 2, None, "no rows below the header; nothing to classify")
    if db is not None:
        _match_store_settlements(db)
    with frozen_heap():
        at = columns.index(text_column)
        texts = clean_texts(["" if row[at] is None else str(row[at]) for row in rows])
        languages = detect_languages(texts)
        names, classified = classified_rows(texts, languages, model_dir=model)
        for row, text, language, values in zip(rows, texts, languages, classified, strict=True):
            row[at] = text
            row.append(language)
            row.extend(values)
        # the user's columns are kept as they are; an output column whose name is taken (a
        # labelled file's `relevant` or `tier`) is written as kelisim_<name>
        added = [f"{OUTPUT_PREFIX}{c}" if c in columns else c for c in ("language", *names)]
        _write_rows([*columns, *added], rows, out, output_format)


def _match_store_settlements(db: str | None) -> None:
    """Match the settlements of the store's imported workbooks in this process too."""
    from kelisim import store as kelisim_store
    from kelisim.monitor.gazetteer import use_store_gazetteer

    con = kelisim_store.connect(db)
    try:
        use_store_gazetteer(con)
    finally:
        con.close()


def _classify_dataset(
    input_path: Path,
    text_column: str,
    model: str | None,
    out: Path | None,
    engine: str | None,
    scheduler: str | None,
    workers: int | None,
    db: str | None,
) -> None:
    """Re-score a dataset part by part, on this process or on Dask, into ``out``."""
    from kelisim import store as kelisim_store
    from kelisim.monitor.archive import dataset_parts, rescore_locally, staged_output
    from kelisim.monitor.classify import load_models, model_names
    from kelisim.monitor.extract import lexicon_version
    from kelisim.store.monitor_scale import replace_daily

    engine = engine or "local"
    if engine not in ENGINES:
        raise ArgumentError("--engine", f"must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "local" and (scheduler is not None or workers is not None):
        raise ArgumentError("--engine", "--scheduler and --workers need --engine dask")
    if scheduler is not None and workers is not None:
        raise ArgumentError("--workers", "give --scheduler or --workers, not both")
    if out is None:
        raise ArgumentError("--out", "a dataset is re-scored into a folder: give --out DIR")
    parts = dataset_parts(input_path, text_column)
    model_name = model_names(load_models(model))
    if engine == "local":
        _match_store_settlements(db)
    with staged_output(out) as staging:
        if engine == "dask":
            from kelisim.monitor.distributed import dask_client, rescore_on_dask

            with dask_client(scheduler, workers) as client:
                where = f"{len(client.scheduler_info()['workers'])} Dask workers"
                rows, daily = rescore_on_dask(client, parts, staging, text_column, model)
        else:
            where = "this process"
            rows, daily = rescore_locally(parts, staging, text_column, model)
    con = kelisim_store.connect(db)
    try:
        written = replace_daily(con, daily, model=model_name, lexicon_version=lexicon_version())
    finally:
        con.close()
    typer.echo(
        f"re-scored {rows} documents in {len(parts)} parts on {where} into {out} "
        f"(Parquet, one folder per day); {written} area x group x day aggregates stored"
    )


@monitor_app.command()
def export(
    out: Path = typer.Option(..., help="Folder to write the dataset into (new or empty)."),
    since: str | None = typer.Option(None, help="First day (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, help="Day after the last (YYYY-MM-DD)."),
    db: str | None = typer.Option(None, help="Store location (default: KELISIM_DB)."),
) -> None:
    """Write the stored documents and their scores as a Parquet dataset partitioned by day:
    text, language, source, groups, area codes (places), scores, model and lexicon version."""
    from kelisim import store as kelisim_store
    from kelisim.store.monitor_scale import export_archive

    bounds = [_day_option("--since", since), _day_option("--until", until)]
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArgumentError("--out", f"{out} exists and is not an empty folder")
    con = kelisim_store.connect(db)
    try:
        rows = export_archive(con, out, *bounds)
    finally:
        con.close()
    typer.echo(f"exported {rows} documents to {out} (Parquet, one folder per day)")


@monitor_app.command()
def sources(db: str | None = typer.Option(None, help="Store location (default: KELISIM_DB).")
            ) -> None:
    """List the sources of the stored documents (the names `kelisim monitor delete` takes)."""
    from kelisim import store as kelisim_store
    from kelisim.store.lifecycle import monitor_sources

    for source, count in monitor_sources(kelisim_store.connect(db, read_only=True)):
        typer.echo(f"{source}\t{count} documents")


@monitor_app.command()
def delete(
    source: str = typer.Argument(..., help="Source name (see `kelisim monitor sources`)."),
    db: str | None = typer.Option(None, help="Store location (default: KELISIM_DB)."),
) -> None:
    """Delete a source's documents, their classifications and reviews, and recompute the
    alerts of the days they covered; with an audit entry, all or nothing."""
    import pandas as pd

    from kelisim import store as kelisim_store
    from kelisim.monitor.pipeline import refresh_alerts
    from kelisim.store.lifecycle import delete_monitor_source

    con = kelisim_store.connect(db)
    try:
        with kelisim_store.transaction(con):
            removed, days = delete_monitor_source(con, source)
            alerts = refresh_alerts(con, [pd.Timestamp(day) for day in days])
    finally:
        con.close()
    typer.echo(f"deleted source '{source}': {removed} documents; {alerts} alerts remain on "
               f"the {len(days)} days they covered")


def _day_option(option: str, value: str | None):
    import pandas as pd

    if value is None:
        return None
    day = pd.to_datetime(value, errors="coerce", format="%Y-%m-%d")
    if pd.isna(day):
        raise ArgumentError(option, f"expected a date YYYY-MM-DD, got {value!r}")
    return day.to_pydatetime()


@monitor_app.command()
def poll(
    feeds: list[str] = typer.Argument(..., help="RSS/Atom feed addresses (http or https)."),
    engine: str = typer.Option("local", help="local or dask: where the feeds are polled."),
    scheduler: str | None = typer.Option(
        None, help="Dask scheduler address (default with --engine dask: a local cluster)."
    ),
    workers: int | None = typer.Option(
        None, min=1, help="Worker processes of the local Dask cluster (default: one per core)."
    ),
    model: str | None = typer.Option(None, help="Model folder for classification."),
    db: str | None = typer.Option(None, help="Store location (default: KELISIM_DB)."),
) -> None:
    """Poll feeds for new items and store them classified. Each feed remembers its ETag,
    Last-Modified and newest item, so a restart neither loses nor repeats items."""
    from kelisim import store as kelisim_store
    from kelisim.monitor.feeds import poll_feed
    from kelisim.store.monitor_scale import feed_states

    if engine not in ENGINES:
        raise ArgumentError("--engine", f"must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "local" and (scheduler is not None or workers is not None):
        raise ArgumentError("--engine", "--scheduler and --workers need --engine dask")
    for feed in feeds:
        if not feed.startswith(("http://", "https://")):
            raise ArgumentError(
                "FEEDS", f"{feed!r} is not an http(s) address (files: kelisim monitor ingest)"
            )
    from kelisim.monitor.gazetteer import use_store_gazetteer

    con = kelisim_store.connect(db)
    failures: list[str] = []
    try:
        use_store_gazetteer(con)
        states = list(feed_states(con, list(dict.fromkeys(feeds))).values())
        if engine == "dask":
            from kelisim.monitor.distributed import dask_client, poll_on_dask

            with dask_client(scheduler, workers) as client:
                for result in poll_on_dask(client, states, model):
                    failures += _report_poll(con, result, model)
        else:
            for state in states:
                failures += _report_poll(con, poll_feed(state, model), model)
    finally:
        con.close()
    if failures:  # one error line for every feed that failed, after the others' lines
        counted = "" if len(states) == 1 else (
            f" ({len(failures)} of {len(states)} feeds could not be polled)")
        raise KelisimError("; ".join(failures) + counted + ".")


def _report_poll(con, result, model: str | None) -> list[str]:
    """Store one feed's poll and print one line about it; why the feed failed, if it did."""
    from kelisim.monitor.feeds import store_poll

    url = result.state.feed_url
    if result.error is not None:
        return [result.error.rstrip(".")]
    if result.not_modified:
        typer.echo(f"{url}: not modified")
        return []
    summary = store_poll(con, result, model)
    typer.echo(f"{url}: {summary.documents} new documents ({summary.duplicates} already stored)")
    return []


@monitor_app.command()
def alerts(
    since: str | None = typer.Option(None, help="First day (YYYY-MM-DD)."),
    area: str | None = typer.Option(None, help="KATO code: this area only."),
    db: str | None = typer.Option(None, help="Store location (default: KELISIM_DB)."),
    output_format: str = typer.Option("table", "--format", help="table, csv or jsonl."),
) -> None:
    """List stored alerts, newest and strongest first."""
    import pandas as pd

    from kelisim import store as kelisim_store
    from kelisim.store import monitor as monitor_store

    check_format(output_format, allowed=("table", *FORMATS))
    first_day = None
    if since is not None:
        day = pd.to_datetime(since, errors="coerce", format="%Y-%m-%d")
        if pd.isna(day):
            raise ArgumentError("--since", f"expected a date YYYY-MM-DD, got {since!r}")
        first_day = day.date()
    if area is not None:
        if len(area) != 9 or not area.isdigit():
            raise ArgumentError("--area", f"expected a 9-digit KATO code, got {area!r}")
    con = kelisim_store.connect(db)
    try:
        frame = monitor_store.alert_frame(con, first_day, area)
        coverage = monitor_store.document_coverage(con)
    finally:
        con.close()
    if frame.empty and output_format == "table":
        typer.echo(no_alert_reason(*coverage))
        return
    if output_format != "table":
        _write(frame, None, output_format)
        return
    from rich.table import Table

    from kelisim.cli.output import print_table

    table = Table(title=f"{len(frame)} alerts")
    for column in ("day", "area", "group", "metric", "value", "baseline", "score", "top items"):
        table.add_column(column)
    for row in frame.itertuples(index=False):
        table.add_row(
            str(row.day.date() if hasattr(row.day, "date") else row.day),
            row.area_code,
            row.group_code or "all",
            row.metric,
            f"{row.value:g}",
            f"{row.baseline:.2f}",
            f"{row.score:.1f}",
            ", ".join(list(row.top_doc_ids)[:3]),
        )
    print_table(table)


def no_alert_reason(documents: int, dated: int, days: int, first, last) -> str:
    """Why `monitor alerts` lists nothing: what the store holds against what an alert needs."""
    import inspect

    from kelisim.monitor.aggregate import WINDOW_DAYS
    from kelisim.monitor.spikes import detect_spikes

    defaults = {k: v.default for k, v in inspect.signature(detect_spikes).parameters.items()}
    needs = (
        f"a day is compared with a baseline of the {WINDOW_DAYS} days before it, so alerts "
        f"need more than {WINDOW_DAYS} days of dated items; a day raises one when its count "
        f"reaches {defaults['min_count']:g}, is at least {defaults['min_ratio']:g} times the "
        f"baseline and has an upper-tail probability below {defaults['alpha']:g}"
    )
    if documents == 0:
        return f"0 alerts: the store holds no documents (kelisim monitor ingest --store); {needs}."
    span = f"{(last - first).days + 1} days ({first} to {last})" if dated else "no dates"
    return (
        f"0 alerts: the store holds {documents} documents, {dated} of them dated, on {days} "
        f"distinct days over {span}; {needs}."
    )


def register(app: typer.Typer) -> None:
    """Add `kelisim monitor` to the main app."""
    app.add_typer(monitor_app, name="monitor")
