"""Helpers of the acceptance tests: a fresh store per test, the real `kelisim` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BATCH = Path(__file__).with_name("cli_batch.py")


@pytest.fixture
def fresh_env(tmp_path):
    """Environment of a new user: an empty store and home in tmp_path."""
    env = dict(os.environ)
    (tmp_path / "store").mkdir()  # a KELISIM_DB folder that does not exist is refused
    env["KELISIM_DB"] = str(tmp_path / "store" / "kelisim.duckdb")
    env["KELISIM_HOME"] = str(tmp_path / "home")
    env.pop("COLUMNS", None)
    return env


def kelisim(env, *argv: str, stdin: str = "", cwd=None) -> subprocess.CompletedProcess:
    """One `kelisim` command in its own process (`python -m kelisim`)."""
    return subprocess.run([sys.executable, "-m", "kelisim", *argv], input=stdin, env=env,
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def kelisim_batch(env, commands: list[tuple], cwd=None) -> list[dict]:
    """Many commands, in order, through the real entry point in one process (see cli_batch).
    Each command is (argv...) or (argv..., {"stdin": text})."""
    payload = []
    for command in commands:
        options = command[-1] if isinstance(command[-1], dict) else {}
        argv = [str(a) for a in (command[:-1] if options else command)]
        payload.append({"argv": argv, **options})
    done = subprocess.run([sys.executable, str(BATCH)], input=json.dumps(payload), env=env,
                          capture_output=True, text=True, cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)
