"""Local accounts: scrypt password hashes, sessions, roles and the audit log.

Passwords are hashed with scrypt (RFC 7914) through :func:`hashlib.scrypt`; session tokens are
random (``secrets.token_urlsafe``) and only their SHA-256 is stored, so a copy of the database
does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from kelisim.errors import ArgumentError

ROLES = ("viewer", "analyst", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
SESSION_DAYS = 7
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class User:
    username: str
    role: str

    def can(self, role: str) -> bool:
        """True when this user's role is ``role`` or above (viewer < analyst < admin)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def hash_password(password: str, salt: bytes | None = None) -> str:
    """scrypt hash as ``scrypt$n$r$p$salt$hash`` (hex)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a :func:`hash_password` string."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def add_user(con: duckdb.DuckDBPyConnection, username: str, password: str, role: str) -> None:
    """Create an account; the username must be new and the role one of ROLES."""
    if role not in ROLES:
        raise ArgumentError("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise ArgumentError("username", "use letters, digits, '.' and '_' only")
    if len(password) < 8:
        raise ArgumentError("password", "must have at least 8 characters")
    if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise ArgumentError("username", f"{username!r} already exists")
    con.execute(
        "INSERT INTO users (username, password_hash, role) VALUES (?, ?, ?)",
        [username, hash_password(password), role],
    )


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute(
        "SELECT username, role, disabled, created_at FROM users ORDER BY username"
    ).fetchall()
    return [dict(zip(("username", "role", "disabled", "created_at"), r, strict=True)) for r in rows]


def set_disabled(con: duckdb.DuckDBPyConnection, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) an account and end its sessions."""
    if not con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise ArgumentError("username", f"no user {username!r}")
    con.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
    if disabled:
        con.execute("DELETE FROM sessions WHERE username = ?", [username])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(con: duckdb.DuckDBPyConnection, username: str, password: str) -> str | None:
    """A new session token for valid, enabled credentials, else None."""
    row = con.execute(
        "SELECT password_hash, disabled FROM users WHERE username = ?", [username]
    ).fetchone()
    if row is None or row[1] or not verify_password(password, row[0]):
        return None
    token = secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO sessions (token_hash, username, expires_at) VALUES (?, ?, ?)",
        [_token_hash(token), username, datetime.now() + timedelta(days=SESSION_DAYS)],
    )
    return token


def logout(con: duckdb.DuckDBPyConnection, token: str) -> None:
    con.execute("DELETE FROM sessions WHERE token_hash = ?", [_token_hash(token)])


def user_for_token(con: duckdb.DuckDBPyConnection, token: str | None) -> User | None:
    """The enabled user holding an unexpired session ``token``."""
    if not token:
        return None
    row = con.execute(
        "SELECT u.username, u.role FROM sessions s JOIN users u USING (username) "
        "WHERE s.token_hash = ? AND s.expires_at > now() AND NOT u.disabled",
        [_token_hash(token)],
    ).fetchone()
    return User(row[0], row[1]) if row else None


def audit(
    con: duckdb.DuckDBPyConnection, who: str, action: str, obj: str | None, detail: dict
) -> None:
    """Record a write in audit_log (who, when, action, object, detail as JSON)."""
    con.execute(
        "INSERT INTO audit_log (who, action, object, detail) VALUES (?, ?, ?, ?)",
        [who, action, obj, json.dumps(detail, default=str, ensure_ascii=False)],
    )


def anonymous_read(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT value FROM settings WHERE key = 'anonymous_read'").fetchone()
    return bool(row) and row[0] == "true"


def set_anonymous_read(con: duckdb.DuckDBPyConnection, allowed: bool) -> None:
    con.execute(
        "INSERT OR REPLACE INTO settings VALUES ('anonymous_read', ?)",
        ["true" if allowed else "false"],
    )
