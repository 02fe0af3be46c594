"""`kelisim monitor`: ingest sources, classify files, list alerts.

The classify helper's ``kelisim.monitor.model_cli`` adds ``train`` and ``evaluate`` to
:data:`monitor_app`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from kelisim.errors import ArgumentError, InputError

monitor_app = typer.Typer(
    name="monitor",
    help="Watch: ingest news and posts, classify interethnic tension, raise alerts.",
    no_args_is_help=True,
)

FORMATS = ("csv", "jsonl")


def _check_format(output_format: str, allowed: tuple[str, ...] = FORMATS) -> None:
    if output_format not in allowed:
        raise ArgumentError("--format", f"must be one of {', '.join(allowed)}")


def _write(frame, out: Path | None, output_format: str) -> None:
    """Write a frame as CSV or JSON lines (lists and dicts as JSON) to a file or stdout."""
    import numpy as np
    import pandas as pd

    from kelisim.monitor.pipeline import to_json

    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].map(lambda t: None if pd.isna(t) else t.isoformat())
    if output_format == "csv":
        for column in frame.columns:
            if frame[column].map(lambda v: isinstance(v, list | dict | tuple | np.ndarray)).any():
                frame[column] = frame[column].map(to_json)
        text = frame.to_csv(index=False)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        text = "".join(to_json(record) + "\n" for record in records)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


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
    from kelisim.monitor.ingest import ingest_sources
    from kelisim.monitor.pipeline import model_label, prepare_documents, process_batch, store_batch

    _check_format(output_format)
    if hash_authors is not None and not hash_authors.strip():
        raise ArgumentError("--hash-authors", "the salt must not be empty")
    documents = ingest_sources(sources, kind=kind, text_column=text_column, salt=hash_authors)
    if not store:
        _write(prepare_documents(documents), out, output_format)
        return
    from kelisim import store as kelisim_store

    processed = process_batch(documents, model_dir=model)
    con = kelisim_store.connect(db)
    try:
        summary = store_batch(con, processed, model=model_label(model))
    finally:
        con.close()
    typer.echo(
        f"stored {summary.documents} documents ({summary.duplicates} already stored or "
        f"repeated); {summary.alerts} alerts on the days they cover"
    )


def _read_table(path: Path):
    import pandas as pd

    if not path.is_file():
        raise InputError(path, None, None, "no such file")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            return pd.read_json(path, lines=True, dtype=False)
        return pd.read_csv(
            path,
            sep="\t" if path.suffix.lower() == ".tsv" else ",",
            dtype=str,
            keep_default_na=False,
        )
    except ValueError as error:
        raise InputError(path, None, None, f"cannot read it as a table ({error})") from error


@monitor_app.command()
def classify(
    input_path: Path = typer.Argument(..., metavar="INPUT", help="CSV/TSV or JSONL file."),
    text_column: str = typer.Option("text", help="Column holding the text."),
    model: str | None = typer.Option(None, help="Model folder (default: the bundled one)."),
    output_format: str = typer.Option("csv", "--format", help="csv or jsonl."),
    out: Path | None = typer.Option(None, help="Output file (default: stdout)."),
) -> None:
    """Classify every row of a file: language, relevance, tier, hostility, groups, places,
    rationale (text is redacted in the output)."""
    from kelisim.monitor.pipeline import classify_documents, clean_texts
    from kelisim.monitor.text import detect_languages

    _check_format(output_format)
    table = _read_table(input_path)
    if text_column not in table.columns:
        known = ", ".join(map(str, table.columns))
        raise InputError(input_path, 1, text_column, f"no such column (columns: {known})")
    table = table.reset_index(drop=True)
    table[text_column] = clean_texts(table[text_column].fillna("").astype(str).tolist())
    table["language"] = detect_languages(table[text_column].tolist())
    frame = table.rename(columns={text_column: "text"})
    result = classify_documents(frame, model_dir=model).rename(columns={"text": text_column})
    _write(result, out, output_format)


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

    _check_format(output_format, ("table", *FORMATS))
    conditions, parameters = [], []
    if since is not None:
        day = pd.to_datetime(since, errors="coerce", format="%Y-%m-%d")
        if pd.isna(day):
            raise ArgumentError("--since", f"expected a date YYYY-MM-DD, got {since!r}")
        conditions.append("day >= ?")
        parameters.append(day.date())
    if area is not None:
        if len(area) != 9 or not area.isdigit():
            raise ArgumentError("--area", f"expected a 9-digit KATO code, got {area!r}")
        conditions.append("area_code = ?")
        parameters.append(area)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    con = kelisim_store.connect(db)
    try:
        frame = con.execute(
            "SELECT day, area_code, group_code, metric, value, baseline, score, top_doc_ids "
            f"FROM alerts {where} ORDER BY day DESC, score DESC",
            parameters,
        ).df()
    finally:
        con.close()
    if output_format != "table":
        _write(frame, None, output_format)
        return
    from rich.console import Console
    from rich.table import Table

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
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add `kelisim monitor` to the main app."""
    app.add_typer(monitor_app, name="monitor")
