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


def serve(host: str = "127.0.0.1", port: int = 8000, db_path: str | Path | None = None) -> None:
    """Build the app on the store (bundled data loaded if empty), print its address, serve."""
    import uvicorn

    from kelisim.web.mapsvg import region_paths
    from kelisim.web.queries import BOUNDARIES, population

    accounts = _load_bundled_data(db_path)
    app = create_app(db_path)
    for boundaries in BOUNDARIES:  # before the first visitor: outlines and population cells
        region_paths(boundaries)
        population(app.state.con, boundaries)
    print(f"kelisim dashboard: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)",
          flush=True)
    if not accounts:
        print("No accounts yet: create one with "
              "`.venv/bin/kelisim users add NAME --role admin` (it asks for the password).",
              flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
