"""`kelisim monitor train` and `kelisim monitor evaluate`: fit and score the statistical model."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import typer

_TARGET_HELP = "relevance (about interethnic relations) or hostility (tier 3 and above)."


def _read_labels(path: Path, text_column: str, label_column: str):
    from kelisim.cli.monitor import read_table, require_columns

    frame = read_table(path)
    require_columns(
        frame.columns, path, {"--text-column": text_column, "--label-column": label_column}
    )
    return frame


@contextmanager
def _naming_file(path: Path, *columns: str):
    """Errors about the labelled rows (too few, unreadable labels) name the file."""
    from kelisim.errors import ArgumentError, InputError

    try:
        yield
    except ArgumentError as error:
        if error.argument not in columns:
            raise
        raise InputError(path, None, error.argument, error.message) from None


def train_command(
    labels: Path = typer.Argument(..., help="CSV or JSONL file with one labelled text per row."),
    text_column: str = typer.Option(..., "--text-column", help="Column holding the text."),
    label_column: str = typer.Option(..., "--label-column", help="Column holding the label."),
    target: str = typer.Option("relevance", "--target", help=_TARGET_HELP),
    out: Path = typer.Option(..., "--out", help="Folder to write the model and its card into."),
    label_threshold: float = typer.Option(
        0.5, "--label-threshold", help="Numeric labels at or above this count as positive."
    ),
    language_column: str = typer.Option(
        "language", "--language-column", help="Column with kk/ru/en codes, if present."
    ),
) -> None:
    """Train a relevance or hostility model and save it with a model card."""
    from kelisim.monitor import model as monitor_model

    frame = _read_labels(labels, text_column, label_column)
    with _naming_file(labels, text_column, label_column):
        fitted = monitor_model.train(
            frame,
            text_column,
            label_column,
            target,
            language_col=language_column,
            label_threshold=label_threshold,
        )
    fitted.card["data"]["source"] = labels.name
    monitor_model.save(fitted, out)
    cv = fitted.card["cross_validation"]
    typer.echo(
        f"trained {target} model on {fitted.card['data']['rows']} rows: "
        f"cross-validated average precision {cv['average_precision']:.3f}; saved to {out}"
    )


def evaluate_command(
    labels: Path = typer.Argument(..., help="CSV or JSONL file with one labelled text per row."),
    text_column: str = typer.Option(..., "--text-column", help="Column holding the text."),
    label_column: str = typer.Option(..., "--label-column", help="Column holding the label."),
    target: str = typer.Option("relevance", "--target", help=_TARGET_HELP),
    model: Path = typer.Option(..., "--model", help="Folder written by `kelisim monitor train`."),
    label_threshold: float = typer.Option(
        0.5, "--label-threshold", help="Numeric labels at or above this count as positive."
    ),
    language_column: str = typer.Option(
        "language", "--language-column", help="Column with kk/ru/en codes, if present."
    ),
) -> None:
    """Print precision, recall, F1 and average precision of a saved model on labelled rows."""
    from kelisim.errors import ArgumentError
    from kelisim.monitor import model as monitor_model

    fitted = monitor_model.load(model)
    if fitted.target != target:
        raise ArgumentError("target", f"the model in {model} was trained for {fitted.target}")
    frame = _read_labels(labels, text_column, label_column)
    with _naming_file(labels, text_column, label_column):
        metrics = monitor_model.evaluate(
            fitted,
            frame,
            text_column,
            label_column,
            language_col=language_column,
            label_threshold=label_threshold,
        )
    for name in (
        "rows",
        "positives",
        "threshold",
        "precision",
        "recall",
        "f1",
        "average_precision",
    ):
        value = metrics[name]
        typer.echo(f"{name}\t{value:.4f}" if isinstance(value, float) else f"{name}\t{value}")


def register(app: typer.Typer) -> None:
    """Add `train` and `evaluate` to the `kelisim monitor` group (kelisim.cli.monitor adds the
    group itself)."""
    from kelisim.cli.monitor import monitor_app

    monitor_app.command("train")(train_command)
    monitor_app.command("evaluate")(evaluate_command)
