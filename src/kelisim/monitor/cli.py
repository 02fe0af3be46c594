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
#: prefix of classify output columns whose names the input file already uses
OUTPUT_PREFIX = "kelisim_"


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


def read_table(path: Path, text_only: bool = True):
    """A CSV/TSV or JSON-lines file as a frame; leading lines starting with '#' (a file's
    description, as in the bundled fixtures) are skipped. ``text_only`` keeps every cell as
    text; otherwise pandas infers numbers and booleans (labels)."""
    import pandas as pd

    if not path.is_file():
        raise InputError(path, None, None, "no such file")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            return pd.read_json(path, lines=path.suffix.lower() != ".json", dtype=not text_only)
        with path.open(encoding="utf-8-sig") as handle:
            comments = 0
            for line in handle:
                if not line.startswith("#"):
                    break
                comments += 1
        return pd.read_csv(
            path,
            sep="\t" if path.suffix.lower() == ".tsv" else ",",
            skiprows=comments,
            encoding="utf-8-sig",
            **({"dtype": str, "keep_default_na": False} if text_only else {}),
        )
    except UnicodeDecodeError:
        raise InputError(path, None, None, "the file is not UTF-8 text; save it as UTF-8") from None
    except ValueError as error:
        message = " ".join(str(error).split())
        raise InputError(path, None, None, f"cannot read it as a table ({message})") from None


def require_columns(table, path: Path, columns: dict[str, str]) -> None:
    """Raise naming the file and the option when a column (option -> name) is missing."""
    for option, column in columns.items():
        if column not in table.columns:
            known = ", ".join(map(str, table.columns))
            raise InputError(path, 1, column, f"no such column for {option} (columns: {known})")


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
    table = read_table(input_path)
    require_columns(table, input_path, {"--text-column": text_column})
    if table.empty:
        raise InputError(input_path, 2, None, "no rows below the header; nothing to classify")
    import pandas as pd

    table = table.reset_index(drop=True)
    table[text_column] = clean_texts(table[text_column].fillna("").astype(str).tolist())
    texts = table[text_column].tolist()
    documents = pd.DataFrame({"text": texts, "language": detect_languages(texts)})
    classified = classify_documents(documents, model_dir=model).drop(columns=["text"])
    # the user's columns are kept as they are; an output column whose name is taken (a labelled
    # file's `relevant` or `tier`) is written as kelisim_<name>
    classified.columns = [
        f"{OUTPUT_PREFIX}{c}" if c in table.columns else c for c in classified.columns
    ]
    _write(pd.concat([table, classified], axis=1), out, output_format)


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
        coverage = con.execute(
            "SELECT count(*), count(published_at), count(DISTINCT CAST(published_at AS DATE)), "
            "min(CAST(published_at AS DATE)), max(CAST(published_at AS DATE)) FROM documents"
        ).fetchone()
    finally:
        con.close()
    if frame.empty and output_format == "table":
        typer.echo(no_alert_reason(*coverage))
        return
    if output_format != "table":
        _write(frame, None, output_format)
        return
    from rich.table import Table

    from kelisim.datasets.cli import print_table

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
