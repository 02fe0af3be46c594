"""Watch at scale (issue 16): re-scoring an archive on Dask with 1 and 2 local workers.

Goals: with 2 workers on 2 cores, at least 1.7x the documents per second of 1 worker; peak
memory under 1.5 GB per worker; output identical to the single-process path; a worker killed
mid-run changes nothing (the run completes, same output, no duplicates).

The archive is N CONSTRUCTED kk/ru/en posts (tests/monitor_fixtures.constructed_posts, from the
constructed eval sets; no shared data needed), written as ``kelisim monitor export`` writes an
archive: one Parquet folder per day. Four runs over it, each into its own output folder:

1. the single-process path (``kelisim.monitor.archive.rescore_locally``, no Dask);
2. Dask, a LocalCluster of 1 single-threaded worker;
3. Dask, 2 workers;
4. Dask, 2 workers, one of them killed (SIGKILL) once a third of the parts are done.

Rates are documents per wall-clock second of the re-scoring (cluster start-up is printed apart).
Identity: every output file of runs 2-4 is compared with run 1's file of the same name (the
names depend only on the input part) with ``pyarrow.Table.equals``; duplicates are counted with
DuckDB over the output files. The machine's load average is printed: on a machine shared with
other jobs, the 2-worker ratio is bounded by the cores actually free, so each worker's CPU
seconds are printed too (documents per worker CPU-second should not fall with 2 workers).

    .venv/bin/python bench/bench_monitor_dask.py [--n 1000000] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

GOAL_RATIO = 1.7
GOAL_WORKER_MB = 1536
KILL_AFTER = 1 / 3


def write_archive(count: int, folder: Path) -> None:
    """``count`` constructed posts as a day-partitioned Parquet dataset."""
    from monitor_fixtures import constructed_posts

    posts = constructed_posts(count, seed=2024)
    posts = posts.sort_values(["published_at", "id"], ignore_index=True)
    days = posts["published_at"].dt.strftime("%Y-%m-%d")
    for day, rows in posts.groupby(days, sort=True):
        target = folder / f"day={day}"
        target.mkdir(parents=True)
        table = pa.Table.from_pandas(rows.reset_index(drop=True), preserve_index=False)
        pq.write_table(table, target / "data_0.parquet", row_group_size=10_000)


def worker_figures(client) -> dict[str, tuple[float, float]]:
    """Peak resident memory (MB) and CPU seconds of each worker process."""

    def figures() -> tuple[float, float]:
        # VmHWM: the peak resident set of this process's own address space. (ru_maxrss
        # would report the larger peak of the process a worker was forked from.)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        peak_kb = usage.ru_maxrss
        status = Path("/proc/self/status")
        if status.exists():
            line = next(li for li in status.read_text().splitlines() if li.startswith("VmHWM"))
            peak_kb = int(line.split()[1])
        return peak_kb / 1024, usage.ru_utime + usage.ru_stime

    return client.run(figures)


def run_dask(parts, out: Path, workers: int, kill: bool = False) -> dict:
    from kelisim.monitor.archive import staged_output
    from kelisim.monitor.distributed import dask_client, rescore_on_dask

    started = time.perf_counter()
    with dask_client(workers=workers) as client:
        startup = time.perf_counter() - started
        pids = client.run(os.getpid)
        done, killed = [0], []

        def progress(step: int) -> None:
            done[0] += step
            if kill and not killed and done[0] >= KILL_AFTER * len(parts):
                victim = sorted(pids)[-1]
                os.kill(pids[victim], signal.SIGKILL)
                killed.append(victim)

        begin = time.perf_counter()
        with staged_output(out) as staging:
            rows, daily = rescore_on_dask(client, parts, staging, progress=progress)
        seconds = time.perf_counter() - begin
        figures = worker_figures(client)
        replaced = set(client.run(os.getpid).values()) != set(pids.values())
    return {
        "out": out,
        "rows": rows,
        "daily": daily,
        "seconds": seconds,
        "startup": startup,
        "figures": figures,
        "killed": killed,
        "replaced": replaced,
    }


def compare(reference: Path, other: Path) -> tuple[bool, int, int, int]:
    """(every file identical, files compared, rows, distinct doc ids) of ``other``."""
    names = sorted(p.relative_to(reference) for p in reference.glob("day=*/*.parquet"))
    other_names = sorted(p.relative_to(other) for p in other.glob("day=*/*.parquet"))
    same = names == other_names and all(
        pq.read_table(reference / name).equals(pq.read_table(other / name)) for name in names
    )
    rows, distinct = duckdb.sql(
        f"SELECT count(*), count(DISTINCT doc_id) FROM read_parquet('{other}/day=*/*.parquet')"
    ).fetchall()[0]
    return same, len(names), rows, distinct


def same_daily(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    key = ["area", "group", "period"]
    a, b = a.sort_values(key, ignore_index=True), b.sort_values(key, ignore_index=True)
    return a.equals(b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="documents (default 1,000,000)")
    parser.add_argument("--workdir", type=Path, help="where to write (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the datasets written")
    args = parser.parse_args()
    if args.n < 1000:
        print("--n must be at least 1000")
        return 2

    from kelisim.monitor.archive import dataset_parts, rescore_locally, staged_output

    work = Path(tempfile.mkdtemp(prefix="kelisim-dask-", dir=args.workdir))
    try:
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        begin = time.perf_counter()
        write_archive(args.n, work / "archive")
        parts = dataset_parts(work / "archive")
        print(
            f"archive: {args.n:,} constructed kk/ru/en posts, {len(parts)} parts (one per day), "
            f"written in {time.perf_counter() - begin:.0f} s"
        )

        begin, cpu = time.perf_counter(), time.process_time()
        with staged_output(work / "single") as staging:
            rows, single_daily = rescore_locally(parts, staging)
        single_seconds = time.perf_counter() - begin
        single_cpu = time.process_time() - cpu
        print(
            f"single process (no Dask): {rows / single_seconds:,.0f} docs/s "
            f"({single_seconds:.0f} s; {rows / single_cpu:,.0f} docs per CPU-second)"
        )

        runs = {
            "1 worker": run_dask(parts, work / "dask1", 1),
            "2 workers": run_dask(parts, work / "dask2", 2),
            "2 workers, one killed": run_dask(parts, work / "dask2kill", 2, kill=True),
        }
        all_ok = True
        for name, run in runs.items():
            rate = run["rows"] / run["seconds"]
            run["rate"] = rate
            cpu_total = sum(cpu for _, cpu in run["figures"].values())
            peak = max(mb for mb, _ in run["figures"].values())
            same, files, rows, distinct = compare(work / "single", run["out"])
            identical = same and rows == args.n and distinct == args.n
            identical = identical and same_daily(single_daily, run["daily"])
            all_ok &= identical and peak < GOAL_WORKER_MB
            print(
                f"Dask, {name}: {rate:,.0f} docs/s ({run['seconds']:.0f} s; cluster start "
                f"{run['startup']:.1f} s); peak memory per worker {peak:,.0f} MB "
                f"(goal < {GOAL_WORKER_MB:,}: {'meets' if peak < GOAL_WORKER_MB else 'MISSES'}); "
                f"workers' CPU {cpu_total:.0f} s ({args.n / cpu_total:,.0f} docs per worker "
                f"CPU-second); output {'IDENTICAL' if identical else 'DIFFERENT'} to the single "
                f"process ({files} files, {rows:,} rows, {distinct:,} distinct doc ids)"
            )
        kill = runs["2 workers, one killed"]
        print(
            f"kill check: worker {kill['killed'][0] if kill['killed'] else 'none'} killed after "
            f"{KILL_AFTER:.0%} of the parts; replaced by its nanny: {kill['replaced']}; run "
            f"completed with {kill['rows']:,} rows"
        )
        ratio = runs["2 workers"]["rate"] / runs["1 worker"]["rate"]
        verdict = "meets" if ratio >= GOAL_RATIO else "MISSES"
        print(
            f"2 workers vs 1: {ratio:.2f}x (goal >= {GOAL_RATIO}: {verdict}); "
            f"load average at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        return 0 if all_ok and kill["killed"] else 1
    finally:
        if args.keep:
            print(f"datasets kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
