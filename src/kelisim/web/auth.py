"""Local accounts: scrypt password hashes, sessions, roles and the audit log.

Passwords are hashed with scrypt (RFC 7914) through :func:`hashlib.scrypt`; session tokens are
random (``secrets.token_urlsafe``) and only their SHA-256 is stored, so a copy of the database
does not let anyone log in. A login costs one scrypt hash whether or not the user exists or is
enabled, so its duration does not tell which usernames exist (OWASP ASVS 2.2.1). Usernames are
NFKC-normalised and case-folded (RFC 8265's UsernameCaseMapped profile); a name that mixes
scripts or looks like an existing one (Unicode TR #39 confusables) is refused. Passwords need
12 characters and must not be one of the common passwords in ``data/common-passwords.txt``
(ASVS 2.1.1, 2.1.7; NIST SP 800-63B 5.1.1.2).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

import duckdb

from kelisim.errors import ArgumentError
from kelisim.limits import MAX_TEXT
from kelisim.store import accounts

ROLES = ("viewer", "analyst", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
SESSION_DAYS = 7
MIN_PASSWORD = 12
RUNS = ("01234567890123456789", "98765432109876543210", "abcdefghijklmnopqrstuvwxyz",
        "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm")
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


@cache
def _dummy_hash() -> str:
    """A hash with the real cost, checked when a login names no enabled user."""
    return hash_password(secrets.token_urlsafe(16))


def normalise_username(username: str) -> str:
    """The stored form of a username: NFKC, case-folded, without surrounding spaces."""
    return unicodedata.normalize("NFKC", username).casefold().strip()


@cache
def _latin_lookalike(char: str) -> str:
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(char, preferred_aliases=["latin"])
    return found[0]["homoglyphs"][0]["c"] if found else char


def _skeleton(name: str) -> str:
    """``name`` with every letter replaced by the Latin letter it looks like (TR #39)."""
    return "".join(_latin_lookalike(char) for char in name)


def check_username(con: duckdb.DuckDBPyConnection, username: str) -> str:
    """The normalised form of a new username; refuses bad, mixed-script or look-alike names."""
    from confusable_homoglyphs import confusables

    name = normalise_username(username)
    if not 1 <= len(name) <= MAX_TEXT["username"]:
        raise ArgumentError("username", f"must have 1 to {MAX_TEXT['username']} characters")
    if not name.replace("_", "").replace(".", "").isalnum():
        raise ArgumentError("username", "use letters, digits, '.' and '_' only")
    if confusables.is_mixed_script(name):
        raise ArgumentError("username", f"{name!r} mixes alphabets (such as Latin and Cyrillic "
                            "letters that look alike); use one alphabet")
    skeleton = _skeleton(name)
    for existing in accounts.usernames(con):
        if normalise_username(existing) == name:
            raise ArgumentError("username", f"{name!r} already exists")
        if _skeleton(normalise_username(existing)) == skeleton:
            raise ArgumentError("username", f"{name!r} looks like the existing user {existing!r}")
    return name


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lower case)."""
    text = (resources.files("kelisim.web") / "data" / "common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check_password(password: str) -> None:
    """Refuse a password that is short, overlong, common, repetitive or a run of keys."""
    if len(password) < MIN_PASSWORD:
        raise ArgumentError("password", f"must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_TEXT["password"]:
        raise ArgumentError("password", f"must have at most {MAX_TEXT['password']} characters")
    folded = password.casefold()
    core = folded.strip("0123456789!@#$%^&*()-_=+.,;:?~ ")
    if folded in common_passwords() or core in common_passwords():
        raise ArgumentError("password", "is one of the most common passwords; choose another")
    if len(set(folded)) < 4:
        raise ArgumentError("password", "needs at least 4 different characters")
    if any(folded in run for run in RUNS):
        raise ArgumentError("password", "is a run of consecutive keys, letters or digits")


def add_user(con: duckdb.DuckDBPyConnection, username: str, password: str, role: str) -> str:
    """Create an account; returns its normalised username. The name must be new and not look
    like an existing one, the password must pass :func:`check_password`, the role be in ROLES."""
    if role not in ROLES:
        raise ArgumentError("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    name = check_username(con, username)
    check_password(password)
    accounts.add_user(con, name, hash_password(password), role)
    return name


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return accounts.users(con)


def set_disabled(con: duckdb.DuckDBPyConnection, username: str, disabled: bool = True,
                 keep_one_admin: bool = False) -> None:
    """Disable (or re-enable) an account and end its sessions. With ``keep_one_admin`` (the
    dashboard and the API) the last enabled admin is not disabled: nobody could then manage
    accounts there. The CLI, which needs no account, may disable any (a stolen one, say)."""
    account = _account(con, username)
    if account is None:
        raise ArgumentError("username", f"no user {normalise_username(username)!r}")
    admins = {u["username"] for u in accounts.users(con)
              if u["role"] == "admin" and not u["disabled"]}
    if keep_one_admin and disabled and admins == {account[0]}:
        raise ArgumentError("username", f"{account[0]!r} is the only enabled admin; add "
                            "another admin before disabling this one")
    accounts.set_disabled(con, account[0], disabled)


def _account(con: duckdb.DuckDBPyConnection, username: str) -> tuple | None:
    """(stored username, password hash, disabled) of the account ``username`` names, also
    one created before names were normalised (stored with capitals)."""
    return accounts.account(con, normalise_username(username))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(con: duckdb.DuckDBPyConnection, username: str, password: str) -> str | None:
    """A new session token for valid, enabled credentials, else None.

    Unknown and disabled users cost the same scrypt hash as known ones. Every successful login
    deletes the sessions that have expired.
    """
    row = _account(con, username)
    valid = verify_password(password, row[1] if row else _dummy_hash())
    if row is None or row[2] or not valid:
        return None
    name = row[0]
    prune_sessions(con)
    token = secrets.token_urlsafe(32)
    accounts.add_session(con, _token_hash(token), name,
                         datetime.now() + timedelta(days=SESSION_DAYS))
    return token


def prune_sessions(con: duckdb.DuckDBPyConnection) -> None:
    """Delete expired sessions (a concurrent login may already have: that is fine)."""
    accounts.prune_sessions(con)


def logout(con: duckdb.DuckDBPyConnection, token: str) -> None:
    accounts.delete_session(con, _token_hash(token))


def user_for_token(con: duckdb.DuckDBPyConnection, token: str | None) -> User | None:
    """The enabled user holding an unexpired session ``token``."""
    if not token:
        return None
    row = accounts.session_user(con, _token_hash(token))
    return User(row[0], row[1]) if row else None


def audit(
    con: duckdb.DuckDBPyConnection, who: str, action: str, obj: str | None, detail: dict
) -> None:
    """Record a write in audit_log (who, when, action, object, detail as JSON)."""
    accounts.add_audit(con, who, action, obj, json.dumps(detail, default=str, ensure_ascii=False))


def anonymous_read(con: duckdb.DuckDBPyConnection) -> bool:
    return accounts.setting(con, "anonymous_read") == "true"


def set_anonymous_read(con: duckdb.DuckDBPyConnection, allowed: bool) -> None:
    accounts.set_setting(con, "anonymous_read", "true" if allowed else "false")
