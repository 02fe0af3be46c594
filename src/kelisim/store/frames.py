"""Writing a pandas frame into a store table: the one bulk insert every capability uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kelisim.store.postgres import on_postgres

if TYPE_CHECKING:  # imported where a store is opened, so that `kelisim --help` stays fast
    import duckdb
    import pandas as pd
    import pyarrow as pa


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame | pa.Table
                 ) -> None:
    """INSERT a frame (pandas or Arrow) whose columns are a subset of the table's, by name:
    DuckDB scans the frame, PostgreSQL receives it by ``COPY FROM STDIN``."""
    if on_postgres(con):
        con.copy_into(table, frame)
        return
    con.register("_kelisim_frame", frame)
    try:
        names = getattr(frame, "column_names", None) or list(frame.columns)  # Arrow or pandas
        columns = ", ".join(f'"{c}"' for c in names)
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
