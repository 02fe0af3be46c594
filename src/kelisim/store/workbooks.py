"""The store's tables for official workbooks: a dataset's own areas (down to settlements), its
counts placed on other boundaries and the settlement-level indices (migration 004)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from kelisim.store.frames import insert_frame

if TYPE_CHECKING:  # frames come from the callers; the classify command reads names only
    import pandas as pd

TABLES = ("dataset_areas", "dataset_placed", "settlement_indices")


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
) -> None:
    """Write a workbook's areas, placed counts and indices (inside the caller's transaction)."""
    delete_dataset(con, dataset)
    for table, frame in (("dataset_areas", dataset_areas), ("dataset_placed", placed),
                         ("settlement_indices", indices)):
        if not frame.empty:
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



def settlement_names(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """``(KATO, name, dataset)`` of every settlement of the imported workbooks (the gazetteer's
    store part: matching uses them)."""
    return [tuple(r) for r in con.execute(
        "SELECT DISTINCT area_code, name, dataset FROM dataset_areas "
        "WHERE kind = 'settlement' AND name IS NOT NULL ORDER BY area_code, dataset").fetchall()]
