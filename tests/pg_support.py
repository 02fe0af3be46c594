"""A throw-away PostgreSQL server for the tests and benches that run on both backends.

Debian's binaries (``/usr/lib/postgresql/*/bin``: initdb, pg_ctl) start a cluster in a temporary
folder that listens only on a unix socket inside it; ``make test`` installs the package when
it is missing and we are root. PostgreSQL refuses to run as root, so as root the cluster runs
as the ``postgres`` user (``runuser``). Every test gets a database of its own
(:meth:`ThrowAwayServer.new_database`).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server binaries, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def why_unavailable() -> str | None:
    """One line saying why no throw-away server can be started here, or None."""
    if postgres_bin() is None:
        return ("PostgreSQL server binaries (Debian's postgresql package) are missing; "
                "`make test` installs them when run as root")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser, and PostgreSQL refuses to run as root"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (run `make setup`)"
    return None


def database_name(location: str) -> str:
    """The database's name in a URL of :meth:`ThrowAwayServer.url` (or a bare name)."""
    return location.split("?")[0].rsplit("/", 1)[-1]


class ThrowAwayServer:
    """A PostgreSQL cluster in a temporary folder, for one test session or bench run."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="kelisim-pg-"))
        self.data = self.folder / "data"
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        self._numbers = itertools.count(1)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True)

    def start(self) -> ThrowAwayServer:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user,
                  "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        self._pg_ctl_start()
        return self

    def _pg_ctl_start(self) -> None:
        options = (f"-k {self.folder} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=32MB")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.folder / "server.log"), "-w", "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{database}?host={self.folder}"

    def new_database(self, template: str | None = None) -> str:
        """A URL of a new database: empty, or a copy of the database ``template`` (a name or
        a URL of this server; nobody may be connected to it), which is far quicker than
        building the same contents again."""
        import psycopg

        name = f"kelisim_{os.getpid()}_{next(self._numbers)}"
        copied = f' TEMPLATE "{database_name(template)}"' if template else ""
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"{copied}')
        return self.url(name)

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (``mode`` as pg_ctl's -m); the folder stays until :meth:`remove`."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Start the server again after :meth:`stop`."""
        self._pg_ctl_start()

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)
