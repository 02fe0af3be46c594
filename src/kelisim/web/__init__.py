"""Show: the web dashboard, JSON API and briefs (FastAPI, server-rendered, kk/ru/en).

``create_app(db_path)`` builds the app; ``serve(host, port, db_path)`` runs it with uvicorn.
See docs/web.md.
"""

from __future__ import annotations

from pathlib import Path


def create_app(db_path: str | Path | None = None, settings: dict | None = None):
    """The FastAPI app over the store at ``db_path`` (see :func:`kelisim.web.app.create_app`)."""
    from kelisim.web.app import create_app as build

    return build(db_path, settings)


def app_from_environment():
    """The app over the store of KELISIM_DB: what each of ``serve``'s worker processes runs."""
    return create_app()


def _load_bundled_data(db_path: str | Path | None) -> int:
    """Load (or refresh) the bundled data; returns the number of accounts in the store."""
    from kelisim import store
    from kelisim.datasets import build_database
    from kelisim.store import accounts

    con = store.connect(db_path)
    try:
        build_database(con)
        return accounts.user_count(con)
    finally:
        con.close()


def check_port(host: str, port: int) -> None:
    """Stop with one sentence when ``host:port`` cannot be listened on (busy or not ours)."""
    import errno
    import socket

    from kelisim.errors import ArgumentError

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ArgumentError("port", f"port {port} on {host} is already in use (is the "
                                f"dashboard already running?); choose another, e.g. --port "
                                f"{port + 1} or make run PORT={port + 1}") from None
        raise ArgumentError("host", f"cannot listen on {host}:{port} ({error.strerror or error})"
                            ) from None


def _warm_up(host: str, port: int) -> None:
    """Once the server listens, in the background: project the region outlines of every
    border version (bundled files, not the store), so that the first map is quick. The
    population cells are left to the first visit: computing them holds the read window,
    which CLI writes wait for (minutes with millions of imported rows). The database file is
    never opened here outside DuckDB: closing any other descriptor of it would drop
    DuckDB's POSIX lock for the whole process."""
    import socket
    import time

    from kelisim.views.queries import BOUNDARIES
    from kelisim.web.mapsvg import region_paths

    while True:  # the server's own start-up comes first
        try:
            socket.create_connection((host, port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    for boundaries in BOUNDARIES:
        region_paths(boundaries)


def serve(host: str = "127.0.0.1", port: int = 8000, db_path: str | Path | None = None,
          workers: int = 1) -> None:
    """Build the app on the store (bundled data loaded if empty), print its address, serve
    (in ``workers`` processes, each with its own app, on a PostgreSQL store).

    Start-up reads no population table: it costs the same whatever the store holds; the
    maps are drawn in the background once the server listens."""
    import os
    import threading

    import uvicorn

    from kelisim import store
    from kelisim.errors import ArgumentError
    from kelisim.store.postgres import is_url, shown

    location = store.location_of(db_path)
    if workers > 1 and not is_url(location):
        raise ArgumentError("--workers", "more than one server process needs a PostgreSQL "
                            "store (KELISIM_DB=postgresql://...); the DuckDB file has one "
                            "writer at a time")
    check_port(host, port)
    print("Starting the dashboard: loading the data…", flush=True)
    accounts = _load_bundled_data(db_path)
    app = create_app(db_path) if workers == 1 else None  # else one per worker process
    threading.Thread(target=_warm_up, args=(host, port), name="kelisim-warm-up",
                     daemon=True).start()
    print(f"kelisim dashboard: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)",
          flush=True)
    if not accounts:
        print("No accounts yet: in another terminal, while the dashboard runs, create one with "
              "`.venv/bin/kelisim users add NAME --role admin` (it asks for the password), "
              "then log in.", flush=True)
    print(f"Other kelisim commands can use the database {shown(location)} while "
          "the dashboard runs.", flush=True)
    if app is None:
        os.environ["KELISIM_DB"] = location
        uvicorn.run("kelisim.web:app_from_environment", factory=True, workers=workers,
                    host=host, port=port, log_level="warning")
        return
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        app.state.store.close()
