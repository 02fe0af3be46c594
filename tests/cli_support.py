"""The one in-process runner of the real `kelisim` entry point (kelisim.cli.main) for tests."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

from kelisim.store.postgres import is_url


def run_main(monkeypatch, capsys, *args) -> tuple[int | str | None, str, str]:
    """Run ``kelisim ARGS`` through kelisim.cli.main; return (exit code, stdout, stderr)."""
    from kelisim.cli import main

    monkeypatch.setattr(sys, "argv", ["kelisim", *args])
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def run_in_store(location, *args) -> tuple[int | str | None, str, str]:
    """Run ``kelisim ARGS`` through the real entry point (kelisim.cli.main) on the store at
    ``location``, in this process; (exit code, stdout, stderr)."""
    from kelisim.cli import main

    saved = {k: os.environ.get(k) for k in ("KELISIM_DB", "KELISIM_HOME")}
    os.environ["KELISIM_DB"] = str(location)
    if not is_url(str(location)):  # a PostgreSQL store keeps the test's home (conftest.any_db)
        os.environ["KELISIM_HOME"] = str(Path(location).parent / "home")
    out, err = io.StringIO(), io.StringIO()
    old_argv, code = sys.argv, 0
    sys.argv = ["kelisim", *map(str, args)]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exit_:
        code = exit_.code or 0
    finally:
        sys.argv = old_argv
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return code, out.getvalue(), err.getvalue()
