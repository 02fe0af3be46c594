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


def _load_bundled_data(db_path: str | Path | None) -> int:
    """Load (or refresh) the bundled data; returns the number of accounts in the store."""
    from kelisim import store
    from kelisim.datasets import build_database

    con = store.connect(db_path)
    try:
        build_database(con)
        return con.execute("SELECT count(*) FROM users").fetchone()[0]
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
            raise ArgumentError("--port", f"port {port} on {host} is already in use (is the "
                                f"dashboard already running?); choose another, e.g. --port "
                                f"{port + 1} or make run PORT={port + 1}") from None
        raise ArgumentError("--host", f"cannot listen on {host}:{port} ({error.strerror or error})"
                            ) from None


def _warm_up(app, host: str, port: int) -> None:
    """After start-up, in the background: project the region outlines and compute the
    population cells of every border version, so that the first visitor's map is quick.

    The cells are computed on a copy of the file taken inside a short read window, so the
    computation (minutes with millions of imported rows) never holds the file that CLI
    commands wait for; they are cached by content, so the pages then reuse them."""
    import shutil
    import socket
    import tempfile
    import time

    import duckdb

    from kelisim.store.access import StoreBusy
    from kelisim.web.mapsvg import region_paths
    from kelisim.web.queries import BOUNDARIES, population

    while True:  # start once the server listens: its own start-up comes first
        try:
            socket.create_connection((host, port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    for boundaries in BOUNDARIES:
        region_paths(boundaries)
    original = Path(app.state.store.path)
    with tempfile.TemporaryDirectory(prefix="kelisim-warm-up-") as folder:
        copy = Path(folder) / original.name
        try:
            with app.state.store.reading():  # no writer meanwhile: a consistent copy
                shutil.copyfile(original, copy)
                if original.with_name(original.name + ".wal").exists():
                    shutil.copyfile(original.with_name(original.name + ".wal"),
                                    copy.with_name(copy.name + ".wal"))
        except (StoreBusy, OSError):  # a long CLI write: the first visitor computes them
            return
        con = duckdb.connect(str(copy), read_only=True)
        try:
            for boundaries in BOUNDARIES:
                population(con, boundaries)
        finally:
            con.close()


def serve(host: str = "127.0.0.1", port: int = 8000, db_path: str | Path | None = None) -> None:
    """Build the app on the store (bundled data loaded if empty), print its address, serve.

    Start-up reads no population table: it costs the same whatever the store holds; maps
    and cells are prepared in the background once the server listens."""
    import threading

    import uvicorn

    from kelisim import store

    check_port(host, port)
    print("Starting the dashboard: loading the data…", flush=True)
    accounts = _load_bundled_data(db_path)
    app = create_app(db_path)
    threading.Thread(target=_warm_up, args=(app, host, port), name="kelisim-warm-up",
                     daemon=True).start()
    print(f"kelisim dashboard: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)",
          flush=True)
    if not accounts:
        print("No accounts yet: in another terminal, while the dashboard runs, create one with "
              "`.venv/bin/kelisim users add NAME --role admin` (it asks for the password), "
              "then log in.", flush=True)
    print(f"Other kelisim commands can use the database {store.location_of(db_path)} while "
          "the dashboard runs.", flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        app.state.store.close()
