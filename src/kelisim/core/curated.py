"""The bundled curated tables: plain CSV files in ``kelisim/datasets/data``, every row citing a
source in ``sources.csv``.

The facts are data below every layer: the vocabulary (areas, groups) is read from them, so the
reader sits in ``core`` and opens the folder without importing the ``datasets`` package.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so that `kelisim --help` stays fast
    import pandas as pd

CURATED_TABLES = (
    "sources",
    "groups",
    "group_aliases",
    "areas",
    "area_names",
    "area_crosswalk",
    "district_parts",
    "census_national",
    "regions_annual",
    "regional_partial",
    "incidents",
    "incident_texts",
    "settlement_points",
)
# Columns kept as text (codes with leading zeros, versions, dates).
TEXT_COLUMNS = {
    "area_code", "parent_code", "from_code", "to_code", "region_code", "boundary_version",
    "from_version", "to_version", "valid_from", "valid_to", "reference_date", "date_start",
    "date_end", "source_id", "group_code", "groups", "sources", "kato", "district_kato",
    "region_kato",
}


def _path(name: str):
    return resources.files("kelisim") / "datasets" / "data" / f"{name}.csv"


@cache
def _read(name: str) -> pd.DataFrame:
    import pandas as pd

    with _path(name).open("r", encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    dtype = {column: "string" for column in header if column in TEXT_COLUMNS}
    with _path(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=dtype, keep_default_na=False, na_values=[""])


def read_curated(name: str) -> pd.DataFrame:
    """One bundled table as a DataFrame (a fresh copy; codes stay text)."""
    if name not in CURATED_TABLES:
        raise KeyError(name)
    return _read(name).copy()


def bundle_checksum() -> str:
    """SHA-256 over every bundled table, to rebuild the database only when they change."""
    digest = hashlib.sha256()
    for name in CURATED_TABLES:
        digest.update(_path(name).read_bytes())
    return digest.hexdigest()
