"""The one in-process runner of the real `kelisim` entry point (kelisim.cli.main) for tests."""

from __future__ import annotations

import sys


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
