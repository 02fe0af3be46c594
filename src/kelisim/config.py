"""Settings from environment variables.

KELISIM_DB    path of the DuckDB file (default: kelisim.duckdb in the source checkout that
              runs kelisim, so each checkout has its own file and lock; for an installed
              package, kelisim.duckdb in the per-user data directory), or the URL
              postgresql://user@host/db of a PostgreSQL database for many users
              (docs/store.md); a URL of any other scheme is refused with one sentence.
KELISIM_LOCK_TIMEOUT  seconds a command waits for the dashboard or another command to release
              the DuckDB file (default 60; kelisim.store.access).
KELISIM_HOME  directory for models, caches and exports (default: per-user data directory).
KELISIM_SECURE_COOKIES  1 (or true, yes) when the dashboard is served over HTTPS: cookies get
              the Secure flag and responses an HSTS header (docs/security.md).
KELISIM_TIMEZONE  the IANA time zone pages and briefs show times in (default Asia/Almaty:
              Kazakhstan's time, UTC+5 since 1 March 2024); the store keeps UTC.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from platformdirs import user_data_dir


def home_dir() -> Path:
    """Directory for kelisim's own files; created on first use."""
    path = Path(os.environ.get("KELISIM_HOME") or user_data_dir("kelisim", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def checkout_dir() -> Path | None:
    """The source checkout kelisim runs from (an editable install), or None when installed."""
    root = Path(__file__).resolve().parents[2]
    project = root / "pyproject.toml"
    try:
        return root if 'name = "kelisim"' in project.read_text(encoding="utf-8") else None
    except OSError:
        return None


def database_location() -> str:
    """Where the store lives: KELISIM_DB if set, else kelisim.duckdb in the checkout (or, for
    an installed package, in the home directory), a postgresql:// URL as it is; a URL of
    another scheme, or a path in a folder that does not exist, is refused with one sentence."""
    from kelisim.errors import ArgumentError

    value = os.environ.get("KELISIM_DB", "").strip()
    if not value:
        folder = checkout_dir() or home_dir()
        return str(folder / "kelisim.duckdb")
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]+):", value)
    if scheme and value != ":memory:":
        shown = re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", value)  # never echo a password
        if scheme.group(1).lower() in ("postgresql", "postgres"):
            return value
        raise ArgumentError("KELISIM_DB", f"'{shown}' is a URL of scheme "
                            f"'{scheme.group(1)}', which kelisim does not support; set it to "
                            "the path of a .duckdb file or a postgresql:// URL")
    folder = Path(value).parent
    if value != ":memory:" and not folder.is_dir():  # a mistyped folder is never created
        raise ArgumentError("KELISIM_DB", f"there is no folder {folder} for the store "
                            f"{Path(value).name}; create it or set KELISIM_DB to a path in an "
                            "existing folder")
    return value


def secure_cookies() -> bool:
    """Whether KELISIM_SECURE_COOKIES asks for Secure cookies (a deployment behind TLS)."""
    return os.environ.get("KELISIM_SECURE_COOKIES", "").strip().lower() in ("1", "true", "yes")


@functools.cache
def display_timezone():
    """The time zone of KELISIM_TIMEZONE (default Asia/Almaty), from the IANA database."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from kelisim.errors import ArgumentError

    name = os.environ.get("KELISIM_TIMEZONE") or "Asia/Almaty"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ArgumentError("KELISIM_TIMEZONE", f"unknown time zone {name!r}; use an IANA "
                            "name such as Asia/Almaty or Asia/Aqtobe") from None
