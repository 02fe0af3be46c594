"""Reading a user's CSV table the one way every importer does: cells never shifted."""

from __future__ import annotations

from pathlib import Path

from kelisim.errors import InputError


def read_csv_cells(source, path: str | Path, header_row: int = 1, **options):
    """``pandas.read_csv(source, **options)`` without row labels.

    pandas turns the first cell of each row into a row label when the first row below the
    header has one cell more than the header (an unquoted comma in a text), which shifts every
    cell one column left without a word; that row is refused instead, naming ``path`` and the
    row (``header_row`` is the header's line in the file, after any skipped lines).
    """
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(source, index_col=False, **options)
        except pd.errors.ParserWarning:
            raise InputError(path, header_row + 1, None, "more cells than the header has "
                             "columns; quote text that holds the separator") from None
