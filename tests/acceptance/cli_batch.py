"""Run many `kelisim` command lines through the real entry point in ONE process.

Each command goes through :func:`kelisim.cli.main` exactly as the installed `kelisim` script
calls it (argument parsing, error handling, exit status), with its own stdin, stdout and
stderr; only the interpreter start-up and library imports are shared, which keeps the
acceptance tests fast. Input: JSON list of {"argv": [...], "stdin": "..."} on stdin.
Output: JSON list of {"code", "stdout", "stderr"} on stdout. The pseudo-command
["__snapshot__"] prints a digest of every table of the store instead.
"""

from __future__ import annotations

import io
import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/: the helpers shared with pytest

from store_support import table_digest  # noqa: E402


def run(argv: list[str], stdin: str = "") -> dict:
    from kelisim.cli import main

    if argv == ["__snapshot__"]:
        return {"code": 0, "stdout": json.dumps(table_digest(), default=str), "stderr": ""}

    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv, sys.stdin, sys.stdout, sys.stderr
    sys.argv, sys.stdin, sys.stdout, sys.stderr = ["kelisim", *argv], io.StringIO(stdin), out, err
    code = 0
    try:
        main()
    except SystemExit as error:
        code = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
    except BaseException:  # what the installed script would print as a traceback
        traceback.print_exc(file=err)
        code = 1
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


if __name__ == "__main__":
    commands = json.load(sys.stdin)
    results = [run(c["argv"], c.get("stdin", "")) for c in commands]
    sys.stdout.write(json.dumps(results))
