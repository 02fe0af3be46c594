"""The store's accounts tables (migration 020): users, sessions, settings and the audit log.

Typed reads and writes only; the rules (password strength, look-alike names, hashing) live in
:mod:`kelisim.web.auth`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a store is opened, so that `kelisim --help` stays fast
    import duckdb


def usernames(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every stored username."""
    return [r[0] for r in con.execute("SELECT username FROM users").fetchall()]


def user_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM users").fetchone()[0]


def add_user(con: duckdb.DuckDBPyConnection, username: str, password_hash: str, role: str) -> None:
    con.execute(
        "INSERT INTO users (username, password_hash, role) VALUES (?, ?, ?)",
        [username, password_hash, role],
    )


def users(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """username, role, disabled, created_at of every account, by name."""
    rows = con.execute(
        "SELECT username, role, disabled, created_at FROM users ORDER BY username"
    ).fetchall()
    return [dict(zip(("username", "role", "disabled", "created_at"), r, strict=True)) for r in rows]


def set_disabled(con: duckdb.DuckDBPyConnection, username: str, disabled: bool) -> None:
    """Disable (or re-enable) the stored account ``username``; disabling ends its sessions."""
    con.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
    if disabled:
        con.execute("DELETE FROM sessions WHERE username = ?", [username])


def account(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str, bool] | None:
    """(stored username, password hash, disabled) of the account with the normalised ``name``,
    also one created before names were normalised (stored with capitals)."""
    return con.execute(
        "SELECT username, password_hash, disabled FROM users "
        "WHERE username = ? OR lower(username) = ? ORDER BY username = ? DESC LIMIT 1",
        [name, name, name],
    ).fetchone()


def add_session(
    con: duckdb.DuckDBPyConnection, token_hash: str, username: str, expires_at: datetime
) -> None:
    con.execute(
        "INSERT INTO sessions (token_hash, username, expires_at) VALUES (?, ?, ?)",
        [token_hash, username, expires_at],
    )


def prune_sessions(con: duckdb.DuckDBPyConnection) -> None:
    """Delete expired sessions (a concurrent login may already have: that is fine)."""
    import duckdb

    try:
        con.execute("DELETE FROM sessions WHERE expires_at <= now()")
    except duckdb.TransactionException:
        pass


def delete_session(con: duckdb.DuckDBPyConnection, token_hash: str) -> None:
    con.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])


def session_user(con: duckdb.DuckDBPyConnection, token_hash: str) -> tuple[str, str] | None:
    """(username, role) of the enabled account holding the unexpired session ``token_hash``."""
    return con.execute(
        "SELECT u.username, u.role FROM sessions s JOIN users u USING (username) "
        "WHERE s.token_hash = ? AND s.expires_at > now() AND NOT u.disabled",
        [token_hash],
    ).fetchone()


def add_audit(
    con: duckdb.DuckDBPyConnection, who: str, action: str, obj: str | None, detail_json: str
) -> None:
    con.execute(
        "INSERT INTO audit_log (who, action, object, detail) VALUES (?, ?, ?, ?)",
        [who, action, obj, detail_json],
    )


def audit_entries(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[dict]:
    """The latest ``limit`` audit entries, newest first."""
    cur = con.execute(
        'SELECT audit_id, who, "at", action, object, detail FROM audit_log '
        'ORDER BY "at" DESC, audit_id DESC LIMIT ?',
        [limit],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def setting(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_setting(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT INTO settings VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])
