"""Start-up of the `kelisim` command: CPU seconds of `--help`, of a usage error and of a small
`measure`, each in a fresh process, against the goals of issue 9.

    .venv/bin/python bench/bench_cli_startup.py            # 7 runs each, median
    .venv/bin/python bench/bench_cli_startup.py --runs 3

CPU time (user + system of the child process) is what the goals name, since the wall clock
of a shared machine also counts other people's work; both are printed. The small measure
reads a constructed 20-area, 3-group counts file (written here) and prints every default
index. Python writes its bytecode cache on the first run (PYTHONDONTWRITEBYTECODE is
dropped, as in a user's install); that run is not counted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KELISIM = Path(sys.executable).with_name("kelisim")
# as installed for a user: bytecode is cached (a development shell may switch that off)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GOALS = (("kelisim --help", ["--help"], 0.3),
         ("usage error (unknown option)", ["measure", "--bogus"], 0.3),
         ("small measure (20 areas, 3 groups)", ["measure", "{counts}"], 1.0))


def timed(argv: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one `kelisim` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(KELISIM), *argv], capture_output=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        counts = Path(folder) / "counts.csv"
        rows = ["area,group,count"] + [f"a{i},{g},{(i * 37 + k * 11) % 90 + 10}"
                                       for i in range(20) for k, g in enumerate("xyz")]
        counts.write_text("\n".join(rows) + "\n")
        print(f"kelisim start-up, median of {args.runs} runs (CPU = user + system)")
        for label, argv, goal in GOALS:
            argv = [a.replace("{counts}", str(counts)) for a in argv]
            timed(argv)  # bytecode cache, file cache
            runs = [timed(argv) for _ in range(args.runs)]
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            verdict = "meets" if cpu < goal else "MISSES"
            print(f"  {label:<36s} {cpu:5.2f} s CPU  {wall:5.2f} s wall   "
                  f"({verdict} the goal of < {goal:g} s CPU)", flush=True)


if __name__ == "__main__":
    main()
