"""The store: a DuckDB file by default, or a PostgreSQL database when KELISIM_DB is a
``postgresql://`` URL (:mod:`kelisim.store.postgres`), its schema created and migrated by the
package. The same migrations and queries serve both (:mod:`kelisim.store.dialect`).

Migrations are the ``NNN_name.sql`` files in ``kelisim/store/migrations``, applied in order,
each once, recorded in ``schema_migrations``. A capability that needs tables adds its own file
(001-009 foundation, 010-019 monitor, 020-029 web, 030-039 forecast, 040-049 measure,
050-054 data lifecycle). ``NNN_name.postgis.sql`` files (055-059) are PostgreSQL's own SQL,
applied as written and only where the PostGIS extension can be used
(:func:`kelisim.store.postgres.postgis_usable`); elsewhere they are not migrations at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from kelisim.config import database_location
from kelisim.store import postgres

if TYPE_CHECKING:  # duckdb is imported when a store is opened, so `kelisim --help` stays fast
    import duckdb


POSTGIS_SUFFIX = ".postgis.sql"


def migration_files(postgis: bool = False) -> list[tuple[str, str]]:
    """(name, sql) of every bundled migration, in order; those of PostGIS with ``postgis``."""
    folder = resources.files("kelisim.store") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")
                    and (postgis or not f.name.endswith(POSTGIS_SUFFIX))), key=lambda f: f.name)
    return [(f.name, f.read_text(encoding="utf-8")) for f in files]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations this database has not seen yet; returns their names."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for name, sql in migration_files(postgres.postgis_usable(con)):
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            if name.endswith(POSTGIS_SUFFIX):
                con.execute_as_written(sql)
            else:
                con.execute(sql)
            con.execute("INSERT INTO schema_migrations (name) VALUES (?)", [name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def location_of(location: str | Path | None = None) -> str:
    """The store's path: ``location`` (a --db option) or KELISIM_DB or the default file."""
    return str(location) if location is not None else database_location()


def _open(path: str, read_only: bool, wait: bool) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting (with one line on stderr) while another process holds it;
    anything else that stops DuckDB from opening it is one sentence naming the file."""
    import duckdb

    from kelisim.errors import KelisimError
    from kelisim.store.access import lock_timeout, open_waiting, tell_waiting

    if path != ":memory:":
        target = Path(path)
        if target.is_dir():
            raise KelisimError(f"The database location {path} is a folder; set KELISIM_DB "
                               "to the path of a .duckdb file.")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise KelisimError(f"Cannot create the folder of the database {path} "
                               f"({error.strerror or error}).") from None
    try:
        return open_waiting(path, read_only, lock_timeout() if wait else 0.0,
                            tell_waiting(path) if wait else None)
    except duckdb.Error as error:
        reason = str(error).splitlines()[0]
        raise KelisimError(f"Cannot open {path} as a kelisim database ({reason}).") from None


def pending_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the bundled migrations this database has not applied yet."""
    try:
        done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    except Exception:  # a new file: no table yet
        return [name for name, _ in migration_files()]
    return [name for name, _ in migration_files() if name not in done]


def connect(
    location: str | Path | None = None, read_only: bool = False, wait: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the store (``location``, KELISIM_DB or the default file), its schema up to date.

    ``read_only`` connections can be open in many processes at once (the dashboard and CLI
    reads); a read-write one excludes all others, so while another process holds the file
    this waits up to KELISIM_LOCK_TIMEOUT seconds, printing one line (see
    :mod:`kelisim.store.access`). A new or outdated file is first migrated read-write.
    """
    path = location_of(location)
    if postgres.is_url(path):  # many processes read and write at once: nothing to wait for
        return postgres.connect(path)
    if read_only and path != ":memory:" and Path(path).exists():
        con = _open(path, True, wait)
        if not pending_migrations(con):
            return con
        con.close()
    con = _open(path, False, wait)
    migrate(con)
    if read_only and path != ":memory:":
        con.close()
        con = _open(path, True, wait)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: everything written inside is committed together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except postgres.StoreUnavailable:
        raise  # the server went away: it rolled the transaction back itself
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
