"""What a store holds, for the tests that check a failed command changed nothing, on either
backend (conftest.any_db)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kelisim.store.postgres import is_url

TABLES = ("SELECT table_name FROM information_schema.tables WHERE table_schema = "
          "current_schema() AND table_type = 'BASE TABLE' ORDER BY 1")


def table_digest(location: str | Path | None = None) -> dict:
    """(row count, md5 of the sorted rows) of every table of the store at ``location``
    (KELISIM_DB when None)."""
    from kelisim import store

    con = store.connect(location)
    try:
        tables = [row[0] for row in con.execute(TABLES).fetchall()]
        return {
            table: con.execute(
                f'SELECT count(*), md5(coalesce(string_agg(CAST(t AS VARCHAR), \'|\' '
                f'ORDER BY CAST(t AS VARCHAR)), \'\')) FROM "{table}" t'
            ).fetchone()
            for table in tables
        }
    finally:
        con.close()


def store_state(location: str | Path) -> str | dict:
    """What must not change when a command fails: a DuckDB file's bytes (its SHA-256: not even
    touched), a PostgreSQL database's rows (:func:`table_digest`)."""
    if is_url(str(location)):
        return table_digest(location)
    return hashlib.sha256(Path(location).read_bytes()).hexdigest()
