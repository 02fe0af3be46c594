"""The store: a DuckDB file by default, its schema created and migrated by the package.

Migrations are the ``NNN_name.sql`` files in ``kelisim/store/migrations``, applied in order,
each once, recorded in ``schema_migrations``. A capability that needs tables adds its own file
(001-009 foundation, 010-019 monitor, 020-029 web, 030-039 forecast, 040-049 measure).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from kelisim.config import database_location

if TYPE_CHECKING:  # duckdb is imported when a store is opened, so `kelisim --help` stays fast
    import duckdb


def migration_files() -> list[tuple[str, str]]:
    """(name, sql) of every bundled migration, in order."""
    folder = resources.files("kelisim.store") / "migrations"
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations this database has not seen yet; returns their names."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for name, sql in migration_files():
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (name) VALUES (?)", [name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def connect(
    location: str | Path | None = None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the store (KELISIM_DB or the default file) and bring its schema up to date."""
    path = str(location) if location is not None else database_location()
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    import duckdb

    con = duckdb.connect(path, read_only=read_only)
    if not read_only:
        migrate(con)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: everything written inside is committed together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
