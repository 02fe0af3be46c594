"""PostgreSQL as the multi-user store (``KELISIM_DB=postgresql://user@host/db``).

:class:`PostgresConnection` gives the store's modules the part of DuckDB's connection API they
use (``execute`` returning something to ``fetchone``/``fetchall``/``df`` from, ``description``,
``register``, ``cursor``, ``close``), running every statement through the dialect layer
(:func:`kelisim.store.dialect.to_postgres`). It is in autocommit mode, so the store's explicit
``BEGIN``/``COMMIT`` (:func:`kelisim.store.transaction`) delimit transactions as on DuckDB.
Bulk inserts go through ``COPY ... FROM STDIN`` (:meth:`PostgresConnection.copy_into`).

:class:`PostgresShared` is the dashboard's access: a pool of connections (psycopg_pool) shared
by the requests, with the same interface as :class:`kelisim.store.access.SharedStore`;
PostgreSQL's own concurrency control lets every process read and write at once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kelisim.errors import KelisimError
from kelisim.store.dialect import to_postgres

if TYPE_CHECKING:
    import pandas as pd
    import psycopg
    import pyarrow as pa

URL_PATTERN = re.compile(r"postgres(ql)?://", re.IGNORECASE)
MIGRATION_LOCK = 7_313_010  # pg_advisory_lock key: one process migrates at a time
DATE_OIDS = {1082, 1114, 1184}  # date, timestamp, timestamptz: datetime64 columns as DuckDB's


class StoreUnavailable(KelisimError):
    """The PostgreSQL server could not be reached, or went away while in use."""

    exit_code = 3


# times in UTC whatever the server's zone (DuckDB's sessions take the machine's, UTC on
# a server; pages convert them to KELISIM_TIMEZONE)
SESSION_OPTIONS = "-c TimeZone=UTC"

def is_url(location: str) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a DuckDB file."""
    return bool(URL_PATTERN.match(location))


def shown(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


def _reason(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")


def gone_away(url: str, error: Exception) -> StoreUnavailable:
    """The one sentence for a server that stopped answering mid-work."""
    return StoreUnavailable(
        f"The PostgreSQL server of KELISIM_DB ({shown(url)}) stopped answering "
        f"({_reason(error)}); the transaction in progress was rolled back, so nothing of it "
        "was written.")


def open_raw(url: str) -> psycopg.Connection:
    """A psycopg connection in autocommit mode; one sentence naming KELISIM_DB when the URL
    is ill-formed or the server cannot be reached."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10,
                               options=SESSION_OPTIONS)
    except psycopg.Error as error:
        raise StoreUnavailable(
            f"KELISIM_DB: '{shown(url)}' does not lead to a PostgreSQL database "
            f"({_reason(error)}).") from None


def _sql_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type of a temporary table holding an Arrow column."""
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        return _sql_type(arrow_type.value_type)
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return _sql_type(arrow_type.value_type) + "[]"
    checks = [(pa.types.is_boolean, "BOOLEAN"), (pa.types.is_integer, "BIGINT"),
              (pa.types.is_floating, "DOUBLE PRECISION"), (pa.types.is_date, "DATE"),
              (pa.types.is_decimal, "NUMERIC"), (pa.types.is_binary, "BYTEA")]
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    return next((name for check, name in checks if check(arrow_type)), "TEXT")


def _arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    import pyarrow as pa

    return frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
        frame, preserve_index=False)


class PostgresConnection:
    """One PostgreSQL connection with the DuckDB-like API the store's modules use."""

    kelisim_backend = "postgresql"  # read through a LazyCursor too (see on_postgres)

    def __init__(self, raw: psycopg.Connection, url: str) -> None:
        self.raw = raw
        self.url = url
        self._cursor = raw.cursor()

    @contextmanager
    def _server_may_go_away(self) -> Iterator[None]:
        """Turn the loss of the server (the connection broken) into one sentence."""
        import psycopg

        try:
            yield
        except psycopg.OperationalError as error:
            if self.raw.closed or self.raw.broken:
                raise gone_away(self.url, error) from None
            raise

    def execute(self, sql: str, parameters: list | tuple | None = None) -> PostgresConnection:
        query = to_postgres(sql, bool(parameters))
        with self._server_may_go_away():
            self._cursor.execute(query, list(parameters) if parameters else None)
        return self

    def execute_as_written(self, sql: str) -> None:
        """Run PostgreSQL's own SQL (no translation, no parameters): the PostGIS migrations."""
        with self._server_may_go_away():
            self._cursor.execute(sql)

    @property
    def description(self) -> list:
        return self._cursor.description

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    def df(self) -> pd.DataFrame:
        """The result as a frame (dates and times as datetime64, as DuckDB's ``df``)."""
        import pandas as pd

        columns = [c.name for c in self._cursor.description]
        frame = pd.DataFrame(self._cursor.fetchall(), columns=columns)
        for column in self._cursor.description:
            if column.type_code in DATE_OIDS:
                frame[column.name] = pd.to_datetime(frame[column.name])
        return frame

    def copy_into(self, table: str, frame: pd.DataFrame | pa.Table) -> None:
        """Append ``frame``'s rows (columns named as the table's) with ``COPY FROM STDIN``."""
        data = _arrow(frame)
        columns = ", ".join(f'"{name}"' for name in data.column_names)
        with self._server_may_go_away(), \
                self._cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for batch in data.to_batches():
                for row in zip(*(column.to_pylist() for column in batch.columns),
                               strict=True):
                    copy.write_row(row)

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        """``frame`` as the temporary table ``name`` (DuckDB scans a registered frame)."""
        data = _arrow(frame)
        columns = ", ".join(f'"{field.name}" {_sql_type(field.type)}' for field in data.schema)
        self._cursor.execute(f'CREATE TEMPORARY TABLE "{name}" ({columns})')
        self.copy_into(f'"{name}"', data)

    def unregister(self, name: str) -> None:
        self._cursor.execute(f'DROP TABLE IF EXISTS "{name}"')

    def cursor(self) -> PostgresConnection:
        return PostgresConnection(self.raw, self.url)

    def close(self) -> None:
        self.raw.close()


def on_postgres(con: Any) -> bool:
    """Whether ``con`` (a connection, cursor or :class:`kelisim.store.access.LazyCursor`) is
    PostgreSQL's (else DuckDB's)."""
    return getattr(con, "kelisim_backend", "duckdb") == "postgresql"


def postgis_usable(con: Any) -> bool:
    """Whether ``con``'s database has PostGIS or may have it (installed on the server, and a
    superuser to create it): never on DuckDB. PostGIS is optional; the store works without."""
    if not on_postgres(con):
        return False
    return con.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis') OR ("
        "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') AND "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user))").fetchone()[0]


def has_geometry(con: Any) -> bool:
    """Whether the store's point tables carry a PostGIS geometry column (the migration
    ``055_points.postgis.sql`` was applied): PostgreSQL with PostGIS only."""
    if not on_postgres(con):
        return False
    return con.execute("SELECT count(*) FROM schema_migrations WHERE name = "
                       "'055_points.postgis.sql'").fetchone()[0] > 0


def connect(url: str) -> PostgresConnection:
    """Open the database of ``url`` and bring its schema up to date (one process at a time)."""
    from kelisim.store import migrate

    con = PostgresConnection(open_raw(url), url)
    con.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
    try:
        migrate(con)
    finally:
        con.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
    return con


class PostgresShared:
    """The dashboard's access to a PostgreSQL store: pooled connections, one per request in
    flight; reads and writes of every process run at once (MVCC)."""

    def __init__(self, url: str, timeout: float = 10.0, size: int = 8) -> None:
        from psycopg_pool import ConnectionPool

        self.path = url
        self.timeout = timeout
        self._pool = ConnectionPool(url, min_size=1, max_size=size, open=True,
                                    kwargs={"autocommit": True, "options": SESSION_OPTIONS},
                                    timeout=timeout,
                                    name="kelisim")
        # the data version has a connection of its own: a request that holds a pooled one
        # asks for the version, so taking it from the pool could wait for ever
        self._version_lock = threading.Lock()
        self._version_con: psycopg.Connection | None = None

    def _enter(self, write: bool, timeout: float) -> PostgresConnection:
        from psycopg_pool import PoolTimeout

        from kelisim.store.access import StoreBusy

        try:
            raw = self._pool.getconn(timeout=timeout)
        except PoolTimeout:
            raise StoreBusy(f"Every connection to the database {shown(self.path)} stayed busy "
                            f"for {timeout:g} s; try again in a moment.") from None
        return PostgresConnection(raw, self.path)

    async def enter(self, write: bool) -> PostgresConnection:
        """For a request on the event loop: a pooled connection, waited for in a worker
        thread (never blocking the loop) for at most ``timeout`` seconds."""
        import asyncio

        return await asyncio.to_thread(self._enter, write, self.timeout)

    def leave(self, cursor: PostgresConnection) -> None:
        self._pool.putconn(cursor.raw)

    @contextmanager
    def reading(self, timeout: float | None = None) -> Iterator[PostgresConnection]:
        cursor = self._enter(False, self.timeout if timeout is None else timeout)
        try:
            yield cursor
        finally:
            self.leave(cursor)

    @contextmanager
    def writing(self) -> Iterator[PostgresConnection]:
        cursor = self._enter(True, self.timeout)
        try:
            yield cursor
        finally:
            self.leave(cursor)

    def lazy(self) -> Any:
        from kelisim.store.access import LazyCursor

        return LazyCursor(self)

    def version(self) -> str:
        """The data version: the server's current snapshot (``xmin:xmax:in-progress``), which
        every write transaction of any process changes when it starts and when it ends, with
        the database's oid and the server's start time (a database made anew, or another
        server, never repeats a version the web cache's shared files may hold)."""
        import psycopg

        with self._version_lock:
            try:
                return self._snapshot()
            except psycopg.OperationalError:
                self._version_con = None  # a restarted server: once more, newly connected
            try:
                return self._snapshot()
            except psycopg.OperationalError as error:
                self._version_con = None
                raise gone_away(self.path, error) from None

    def _snapshot(self) -> str:
        if self._version_con is None or self._version_con.closed:
            self._version_con = open_raw(self.path)
        return self._version_con.execute(
            "SELECT pg_current_snapshot()::text || ' ' || d.oid || ' ' || "
            "pg_postmaster_start_time() FROM pg_database d "
            "WHERE d.datname = current_database()").fetchone()[0]

    def close(self) -> None:
        with self._version_lock:
            if self._version_con is not None:
                self._version_con.close()
        self._pool.close()
