"""Shared helpers of the web tests: a store seeded with CONSTRUCTED rows and three accounts."""

from __future__ import annotations

from pathlib import Path

from kelisim import store
from kelisim.web import auth

SEED = Path(__file__).parent / "fixtures" / "web_seed.sql"
PASSWORD = "constructed-pw-1"
ACCOUNTS = {"ada": "admin", "ann": "analyst", "vic": "viewer"}


def seed_store(path: Path | str) -> Path | str:
    """A store (a DuckDB file or a PostgreSQL URL) with the constructed rows of
    fixtures/web_seed.sql and three accounts."""
    con = store.connect(path)
    con.execute(SEED.read_text(encoding="utf-8"))
    for username, role in ACCOUNTS.items():
        auth.add_user(con, username, PASSWORD, role)
    con.close()
    return path


def client_for(path: Path | str, settings: dict | None = None):
    """A TestClient of the app over the store at ``path``."""
    from fastapi.testclient import TestClient

    from kelisim.web import create_app

    return TestClient(create_app(path, settings))


def bearer(client, username: str) -> dict[str, str]:
    """Authorization header with a fresh token of ``username``."""
    reply = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}
