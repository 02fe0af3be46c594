"""Writing a pandas frame into a store table: the one bulk insert every capability uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a store is opened, so that `kelisim --help` stays fast
    import duckdb
    import pandas as pd


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """INSERT a frame whose columns are a subset of the table's, by name."""
    con.register("_kelisim_frame", frame)
    try:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _kelisim_frame")
    finally:
        con.unregister("_kelisim_frame")


def replace_by_key(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame,
                   key: str) -> None:
    """Replace the rows of ``table`` whose ``key`` the frame holds by the frame's rows."""
    con.register("_kelisim_keys", frame[[key]])
    try:
        con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM _kelisim_keys)")
    finally:
        con.unregister("_kelisim_keys")
    insert_frame(con, table, frame)
