"""Tables in and out of `kelisim monitor classify` without pandas (its import alone cost the
command 0.5-0.9 CPU-s): CSV/TSV read with the csv module as ``pandas.read_csv`` (all cells text,
``index_col=False``, ``keep_default_na=False``) reads them, and rows written as ``to_csv`` or
JSON lines wrote them.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from typing import TextIO

from kelisim.errors import InputError

#: a text cell may be longer than the csv module's default limit (131,072 characters)
FIELD_LIMIT = 2**31 - 1
MORE_CELLS = "more cells than the header has columns; quote text that holds the separator"


def _plain(value: object) -> object:
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return str(value)


# one encoder for every call (json.dumps builds a new one whenever an option is given)
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_plain)


def to_json(value: object) -> str:
    """JSON text of a rationale, list or record (numpy values become plain ones): what
    ``json.dumps(value, ensure_ascii=False, default=...)`` gives."""
    return _ENCODER.encode(value)


def _column_names(header: list[str]) -> list[str]:
    """Header cells named as ``read_csv`` names them (``pandas.io.common.mangle_dupe_names``,
    pandas 3.1): an empty cell is ``Unnamed: i``; a repeated name becomes ``name.1``,
    ``name.2``, ... skipping names the header already has, named columns first."""
    names = [cell or f"Unnamed: {i}" for i, cell in enumerate(header)]
    unnamed = [i for i, cell in enumerate(header) if not cell]
    taken = set(names)
    counts: dict[str, int] = {}
    for i in [i for i in range(len(names)) if header[i]] + unnamed:
        name = original = names[i]
        count = counts.get(name, 0)
        while count > 0:
            counts[original] = count + 1
            name = f"{original}.{count}"
            count = count + 1 if name in taken else counts.get(name, 0)
        names[i] = name
        counts[name] = count + 1
    return names


def read_text_rows(path: Path, sep: str) -> tuple[list[str], list[list[str]]]:
    """The column names and rows of a CSV/TSV file, every cell text; leading lines starting
    with '#' and blank lines are skipped, a short row's missing cells are empty, and a row with
    more cells than the header is refused naming its row. Raises ``UnicodeDecodeError`` and
    ``ValueError`` (``csv.Error`` as one) for the caller to name the file."""
    csv.field_size_limit(FIELD_LIMIT)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        comments = 0
        line = handle.readline()
        while line.startswith("#"):
            comments += 1
            line = handle.readline()
        reader = csv.reader(itertools.chain([line], handle), delimiter=sep)
        try:
            header = next((cells for cells in reader if not _blank(cells)), None)
            if header is None:
                raise ValueError("No columns to parse from file")
            width = len(header)
            rows = []
            start = reader.line_num + 1  # the line a row starts on (text may span lines)
            for cells in reader:
                if len(cells) == width:
                    rows.append(cells)
                elif len(cells) > width:
                    raise InputError(path, comments + start, None, MORE_CELLS)
                elif not _blank(cells):
                    rows.append(cells + [""] * (width - len(cells)))
                start = reader.line_num + 1
        except csv.Error as error:
            raise ValueError(str(error)) from None
    return _column_names(header), rows


def _blank(cells: list[str]) -> bool:
    """A line pandas skips: empty, or whitespace only."""
    return not cells or (len(cells) == 1 and not cells[0].strip())


def write_rows(columns: list[str], rows: list[list], handle: TextIO, output_format: str):
    """Write rows as CSV (``to_csv(index=False)``: a column holding any list or dict is written
    as JSON, None as an empty cell) or as JSON lines, to the open text ``handle``."""
    import numpy as np

    if output_format == "csv":
        kinds = (list, dict, tuple, np.ndarray)
        structured = [
            i for i, values in enumerate(zip(*rows, strict=True))
            if any(map(isinstance, values, itertools.repeat(kinds)))
        ]
        if structured:
            rows = [list(row) for row in rows]
            for row in rows:
                for i in structured:
                    row[i] = to_json(row[i])
    if output_format == "csv":
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        handle.writelines(to_json(dict(zip(columns, row, strict=True))) + "\n" for row in rows)
