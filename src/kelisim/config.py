"""Settings from environment variables.

KELISIM_DB    path of the DuckDB file (default: per-user data directory / kelisim.duckdb),
              or a postgresql:// URL once that backend is enabled.
KELISIM_HOME  directory for models, caches and exports (default: per-user data directory).
KELISIM_SECURE_COOKIES  1 (or true, yes) when the dashboard is served over HTTPS: cookies get
              the Secure flag and responses an HSTS header (docs/security.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def home_dir() -> Path:
    """Directory for kelisim's own files; created on first use."""
    path = Path(os.environ.get("KELISIM_HOME") or user_data_dir("kelisim", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_location() -> str:
    """Where the store lives: KELISIM_DB if set, else kelisim.duckdb in the home directory."""
    return os.environ.get("KELISIM_DB") or str(home_dir() / "kelisim.duckdb")


def secure_cookies() -> bool:
    """Whether KELISIM_SECURE_COOKIES asks for Secure cookies (a deployment behind TLS)."""
    return os.environ.get("KELISIM_SECURE_COOKIES", "").strip().lower() in ("1", "true", "yes")
