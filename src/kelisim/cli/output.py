"""The one way every command shows a result: a table at the terminal, CSV, JSON records or
Parquet, printed or written whole to ``--out`` (a temporary file renamed into place)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import typer

from kelisim.errors import ArgumentError

FORMATS = ("table", "csv", "json", "parquet")


def format_option():
    """``--format`` of every command that prints a table."""
    return typer.Option("table", "--format", help="table, csv, json or parquet (with --out).")


def out_option():
    """``--out`` of every command that prints a table."""
    return typer.Option(None, "--out", help="Write to this file instead of stdout.")


def check_format(output_format: str, out: Path | None = None,
                 allowed: tuple[str, ...] = FORMATS) -> None:
    """Before any work is done, refuse an unknown ``--format``, Parquet without ``--out`` and
    an ``--out`` whose folder does not exist (every command alike: a mistyped folder is
    reported, never created)."""
    if output_format not in allowed:
        raise ArgumentError("--format", f"unknown format '{output_format}'; use "
                            f"{', '.join(allowed)}")
    if output_format == "parquet" and out is None:
        raise ArgumentError("--out", "Parquet is a binary file: give --out FILE.parquet")
    if out is not None:
        check_folder(out)


def check_folder(out: Path, argument: str = "--out") -> None:
    """Refuse a file to write whose folder does not exist, naming ``argument``."""
    folder = Path(out).parent
    if not folder.is_dir():
        raise ArgumentError(argument, f"there is no folder {folder} to write {Path(out).name} in")


def file_format(out: Path) -> str:
    """The format a file name asks for: Parquet for .parquet or .pq, CSV otherwise."""
    return "parquet" if Path(out).suffix.lower() in (".parquet", ".pq") else "csv"


def render(frame, output_format: str, title: str | None = None, out: Path | None = None) -> None:
    """Show a frame as a rich table, CSV (floats round-trip exactly), JSON records (15
    significant digits, pandas' most) or Parquet (to ``out`` only)."""
    check_format(output_format, out)
    if output_format == "parquet":
        write(out, lambda path: frame.to_parquet(path, index=False))
    elif output_format == "csv":
        emit(frame.to_csv(index=False, lineterminator="\n"), out)
    elif output_format == "json":
        emit(frame.to_json(orient="records", force_ascii=False, date_format="iso",
                           double_precision=15) + "\n", out)
    elif out is not None:
        import pandas as pd

        text = pd.DataFrame(table_cells(frame), columns=frame.columns, dtype=str)
        emit(text.to_string(index=False) + "\n", out)
    else:
        print_table(rich_table(frame, title))


def emit(text: str, out: Path | None = None) -> None:
    """Print text, or write it whole to ``out``."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write(out, lambda path: Path(path).write_text(text, encoding="utf-8"))


def write(out: Path, save, argument: str = "--out"):
    """Call ``save(path)`` on a temporary file beside ``out`` (with its suffix), then rename it
    into place: a reader never sees half a file, and a failure leaves the old file as it was.
    Returns what ``save`` returns."""
    out = Path(out)
    check_folder(out, argument)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.",
                                         suffix=out.suffix)
    os.close(handle)
    try:
        result = save(temporary)
        os.replace(temporary, out)
    except OSError as error:
        os.unlink(temporary)
        raise ArgumentError(argument, f"cannot write {out} ({error.strerror})") from None
    except BaseException:
        os.unlink(temporary)
        raise
    return result


def rich_table(frame, title: str | None = None):
    """A rich table of a frame: numbers right-aligned, long text folded, never cut; a rule
    under the header and no other lines, so that a row's cells split on white space."""
    from rich.box import SIMPLE_HEAD
    from rich.table import Table

    table = Table(title=title, box=SIMPLE_HEAD, show_edge=False)
    cells = table_cells(frame)
    for position, column in enumerate(frame.columns):
        numeric = frame[column].dtype.kind in "iuf"
        # the first column names what a user types next (a dataset, an incident id):
        # never cut; long text wraps, nothing is ever cut with an ellipsis
        widest = max((len(row[position]) for row in cells), default=0)
        table.add_column(str(column), justify="right" if numeric else "left",
                         no_wrap=numeric or position == 0, overflow="fold",
                         min_width=min(widest, 40) if position == 0 else None)
    for row in cells:
        table.add_row(*row)
    return table


def print_table(table) -> None:
    """Print a rich table fitted to the terminal; in a pipe or file at its natural width
    (rich would otherwise cut it at 80 columns)."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console = Console(width=100_000)  # a table takes its natural width, never more
    console.print(table)


SIGNIFICANT_DIGITS = 6
"""Digits a table shows of a column's smallest number, in at most MAX_DECIMALS decimals; every
number of a column gets as many decimals (0.020000 next to 0.011000). CSV, JSON and Parquet
keep full precision."""
MAX_DECIMALS = 6


def table_cells(frame) -> list[list[str]]:
    """The cells of a frame as a table shows them, row by row (see SIGNIFICANT_DIGITS)."""
    columns = [_float_column(frame[c]) if frame[c].dtype.kind == "f"
               else ["" if _missing(v) else _cell(v) for v in frame[c]] for c in frame.columns]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _float_column(values) -> list[str]:
    import math

    import numpy as np

    numbers = values.to_numpy(dtype=float)
    finite = np.abs(numbers[np.isfinite(numbers)])
    decimals = 0
    if (finite % 1 != 0).any():
        smallest = finite[finite > 0].min()
        decimals = min(MAX_DECIMALS,
                       max(0, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(smallest))))
    return ["" if math.isnan(v) else str(v) if math.isinf(v)
            else f"{v:,.{decimals}f}" if abs(v) >= 10_000  # grouped as format_count
            else f"{v:.{decimals}f}" for v in numbers]


def _missing(value) -> bool:
    import numpy as np
    import pandas as pd

    return value is None or (not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value))


def _cell(value) -> str:
    from kelisim.core.numbers import format_count

    if isinstance(value, float) and value.is_integer():  # below 10,000: codes and years
        return format_count(value) if abs(value) >= 10_000 else str(int(value))
    if not isinstance(value, (str, int, float)) and hasattr(value, "__iter__"):
        return ", ".join(map(str, value))
    return str(value)
