"""The store's tables for official workbooks: a dataset's own areas (down to settlements), its
counts placed on other boundaries, the settlement-level indices (migration 004) and the
enclaves among settlements with the areas' point coverage (migration 005)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from kelisim.store.frames import insert_frame

if TYPE_CHECKING:  # frames come from the callers; the classify command reads names only
    import pandas as pd

TABLES = ("dataset_areas", "dataset_placed", "settlement_indices", "settlement_enclaves",
          "settlement_coverage")


def delete_dataset(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    """Remove a dataset's rows from the workbook tables (inside the caller's transaction)."""
    for table in TABLES:
        con.execute(f"DELETE FROM {table} WHERE dataset = ?", [dataset])


def write_dataset(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    dataset_areas: pd.DataFrame,
    placed: pd.DataFrame,
    indices: pd.DataFrame,
    enclaves: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> None:
    """Write a workbook's areas, placed counts, indices, settlement enclaves and point
    coverage (inside the caller's transaction)."""
    delete_dataset(con, dataset)
    for table, frame in (("dataset_areas", dataset_areas), ("dataset_placed", placed),
                         ("settlement_indices", indices), ("settlement_enclaves", enclaves),
                         ("settlement_coverage", coverage)):
        if frame is not None and not frame.empty:
            insert_frame(con, table, frame.assign(dataset=dataset))


def placed_frame(con: duckdb.DuckDBPyConnection, dataset: str, version: str) -> pd.DataFrame:
    """A dataset's counts placed on ``version`` (empty when it has none)."""
    return con.execute(
        'SELECT area_code AS area, group_code AS "group", period, count, exact FROM '
        "dataset_placed WHERE dataset = ? AND boundary_version = ? "
        "ORDER BY period, area_code, group_code", [dataset, version]).df()


def fine_area_codes(con: duckdb.DuckDBPyConnection, dataset: str) -> set[str]:
    """Codes of a dataset's areas below the districts (rural districts, settlements)."""
    return {r[0] for r in con.execute(
        "SELECT area_code FROM dataset_areas WHERE dataset = ? AND level >= 3",
        [dataset]).fetchall()}


def settlement_indices(
    con: duckdb.DuckDBPyConnection, area_code: str, version: str
) -> pd.DataFrame:
    """Settlement-level indices of an area, every dataset and period (oldest first)."""
    return con.execute(
        'SELECT dataset, period, "index", component, value, settlements FROM settlement_indices '
        "WHERE area_code = ? AND boundary_version = ? ORDER BY period, dataset, \"index\", "
        "component", [area_code, version]).df()


def settlement_enclaves(con: duckdb.DuckDBPyConnection, area_code: str) -> pd.DataFrame:
    """The enclave settlements lying in a 2024 district or region (every settlement for the
    country), every dataset and period (oldest first)."""
    return con.execute(
        "SELECT dataset, period, area_code, group_code, enclave, district_code, region_code, "
        "count, total, gi_star_z, p_adjusted, weights FROM settlement_enclaves "
        "WHERE ? = '000000000' OR district_code = ? OR region_code = ? "
        "ORDER BY period, dataset, group_code, enclave, area_code",
        [area_code, area_code, area_code]).df()


def settlement_coverage(
    con: duckdb.DuckDBPyConnection, area_code: str, version: str
) -> pd.DataFrame:
    """How many settlements of an area each dataset has, and how many of them have a point."""
    return con.execute(
        "SELECT dataset, period, settlements, located FROM settlement_coverage "
        "WHERE area_code = ? AND boundary_version = ? ORDER BY period, dataset",
        [area_code, version]).df()


def settlement_names(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """``(KATO, name, dataset)`` of every settlement of the imported workbooks (the gazetteer's
    store part: matching uses them)."""
    return [tuple(r) for r in con.execute(
        "SELECT DISTINCT area_code, name, dataset FROM dataset_areas "
        "WHERE kind = 'settlement' AND name IS NOT NULL ORDER BY area_code, dataset").fetchall()]
