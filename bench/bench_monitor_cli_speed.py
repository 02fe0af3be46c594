"""Watch speed through the real command: `kelisim monitor classify FILE --out OUT` on one core.

Goal (issue 13): at least 3,000 documents per second per core end to end, start-up included
(Python, imports, lexicons, frame rules, pymorphy3's dictionaries), peak memory under 1 GB. The
command runs in a child process pinned to one core (``taskset -c 0`` where available); its CPU
time (user + system) and peak resident memory come from ``getrusage(RUSAGE_CHILDREN)``, so the
figure is per CPU-second of one core; the wall-clock rate is printed too and is lower when other
jobs share the machine.

Texts: the Russian comments of /work/shared/data/hate_speech_ru (read only, written to a
temporary file, nothing kept) when present, else constructed posts in kk/ru/en from the test
fixture. Usage:

    .venv/bin/python bench/bench_monitor_cli_speed.py [--docs 10000] [--model DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_monitor_speed import load_texts  # noqa: E402

GOAL_DOCS_PER_SECOND = 3000
GOAL_MEMORY_MB = 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--model", help="folder of a trained model (default: the command's own)")
    args = parser.parse_args()
    if not 100 <= args.docs <= 200_000:
        print("--docs must be between 100 and 200000")
        return 2
    texts, origin = load_texts(args.docs, np.random.default_rng(20261203))
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "posts.csv"
        pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(source, index=False)
        command = [*pin, sys.executable, "-m", "kelisim", "monitor", "classify", str(source)]
        out = str(Path(folder) / "classified.csv")
        command += ["--out", out]
        if args.model:
            command += ["--model", args.model]
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(f"the command failed ({done.returncode}): {done.stderr.strip()[-400:]}")
            return 1
        rows = len(pd.read_csv(Path(folder) / "classified.csv", usecols=["tier"]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_mb = after.ru_maxrss / 1024
    rate = args.docs / cpu
    print(f"texts: {args.docs} from {origin}; {rows} rows written")
    print(f"command: {' '.join('...' if part == out else part for part in command)}")
    print(
        f"end to end, start-up included: {cpu:.2f} CPU s -> {rate:,.0f} docs per CPU-second "
        f"(one core); goal {GOAL_DOCS_PER_SECOND:,}: "
        f"{'meets' if rate >= GOAL_DOCS_PER_SECOND else 'MISSES'}; "
        f"wall clock {wall:.2f} s ({args.docs / wall:,.0f} docs/s on a shared machine)"
    )
    print(
        f"peak memory of the command: {peak_mb:,.0f} MB; goal < {GOAL_MEMORY_MB:,} MB: "
        f"{'meets' if peak_mb < GOAL_MEMORY_MB else 'MISSES'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
