"""Shared fixtures: every test that opens a store runs once on each backend (DuckDB, then
PostgreSQL on a throw-away server started once per session, see pg_support.py): a test takes
``any_db`` (a fresh store of its own), a module-scoped fixture takes ``params=BACKENDS`` and
:func:`new_store`. Pure kernel tests open no store and run once."""

from pathlib import Path

import pytest

from pg_support import ThrowAwayServer, why_unavailable

BACKENDS = ["duckdb", "postgresql"]


@pytest.fixture(autouse=True, scope="session")
def _home_of_the_session(tmp_path_factory):
    """No test writes to the user's own data folder (the classifier's lexicon cache lives in
    KELISIM_HOME): a test that sets no home of its own gets the session's."""
    import os

    saved = os.environ.get("KELISIM_HOME")
    os.environ["KELISIM_HOME"] = str(tmp_path_factory.mktemp("home"))
    yield
    if saved is None:
        os.environ.pop("KELISIM_HOME", None)
    else:
        os.environ["KELISIM_HOME"] = saved


@pytest.fixture(scope="session")
def pg_server():
    """A throw-away PostgreSQL server for the session (skipped, with the reason, when the
    binaries are missing)."""
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    server = ThrowAwayServer().start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def pg_migrated(pg_server) -> str:
    """A PostgreSQL database with every migration applied, the template of each test's own:
    copying it takes a fraction of the time that migrating (PostGIS included) takes."""
    from kelisim import store

    url = pg_server.new_database()
    store.connect(url).close()
    return url


def new_store(backend: str, request, folder, template: str | None = None,
              migrated: bool = True) -> str:
    """A fresh store location of ``backend``: a DuckDB path in ``folder`` (the folder made
    here, as a user must: the file is created by the first connection), or the URL of a new
    PostgreSQL database: a copy of the database ``template``, else of :func:`pg_migrated`
    (empty with ``migrated=False``)."""
    if backend == "duckdb":
        Path(folder).mkdir(parents=True, exist_ok=True)
        return str(Path(folder) / "kelisim.duckdb")
    if template is None and migrated:
        template = request.getfixturevalue("pg_migrated")
    return request.getfixturevalue("pg_server").new_database(template)


def _as_the_store(location: str, tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("KELISIM_DB", location)
    monkeypatch.setenv("KELISIM_HOME", str(tmp_path / "home"))
    return location


@pytest.fixture(params=BACKENDS)
def any_db(request, tmp_path, monkeypatch) -> str:
    """KELISIM_DB: a fresh store of each backend in turn (its tables there or created by the
    first connection, as every user's first command creates them)."""
    return _as_the_store(new_store(request.param, request, tmp_path), tmp_path, monkeypatch)


@pytest.fixture(params=BACKENDS)
def empty_db(request, tmp_path, monkeypatch) -> str:
    """KELISIM_DB: a store of each backend in turn that no migration has touched yet."""
    return _as_the_store(new_store(request.param, request, tmp_path, migrated=False), tmp_path,
                         monkeypatch)
