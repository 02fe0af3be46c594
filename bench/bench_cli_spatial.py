"""Spatial indices end to end through the CLI (`kelisim measure` as a subprocess, reading the
GeoJSON and the counts CSV) against PySAL `segregation` on the same files in the same run.

    .venv/bin/python bench/bench_cli_spatial.py            # N = 10,000 vs PySAL; 100,000 alone
    .venv/bin/python bench/bench_cli_spatial.py --quick    # N = 1,600 vs PySAL (smoke run)
    .venv/bin/python bench/bench_cli_spatial.py --runs 5   # median of 5 runs a side (default 3)

Goals (issue 9): at N = 10,000 the CLI is at least 10x faster than PySAL for spatial
dissimilarity and spatial proximity; at N = 100,000 each takes under 60 s.

The data are constructed here: N square cells of 1 km in UTM zone 42N (EPSG:32642) written
as GeoJSON, with seeded gamma-Poisson counts of two groups written as a tidy CSV. Both sides
read both files inside their timing, each in a fresh process (the CLI; PySAL as a
script), so start-up counts on both sides; both first run once on a 100-area grid (untimed)
so that Python's bytecode cache is written and the libraries are in the file cache, as on a
user's machine (PYTHONDONTWRITEBYTECODE is dropped, as in bench_cli_startup.py).
PySAL's proximity uses its own decay (1 - exp(-d / sum d)) where kelisim uses Massey &
Denton's exp(-d / 1 mile): the speed comparison is like for like (both compute the full
decay sum), the values are not, so only dissimilarity values are compared.

CPU seconds (user + system of each process) decide the verdicts, as in bench_cli_startup.py:
the wall clock of a shared machine also counts other people's work. Both are printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CELL = 1000.0
CRS = "EPSG:32642"
KELISIM = Path(sys.executable).with_name("kelisim")
# as installed for a user: bytecode is cached (a development shell may switch that off)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
INDICES = (("spatial_dissimilarity", "SpatialDissim"), ("spatial_proximity", "SpatialProximity"))


def write_data(folder: Path, n: int, seed: int = 3) -> tuple[Path, Path]:
    """N square cells (GeoJSON) and their counts of groups x and y (tidy CSV)."""
    import geopandas
    import pandas as pd
    import shapely

    side = int(round(np.sqrt(n)))
    column, row = np.divmod(np.arange(side * side), side)
    cells = shapely.box(column * CELL, row * CELL, (column + 1) * CELL, (row + 1) * CELL)
    ids = [f"a{i:06d}" for i in range(side * side)]
    geometry = folder / f"cells_{side * side}.geojson"
    geopandas.GeoDataFrame({"area": ids}, geometry=cells, crs=CRS).to_file(geometry)
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.gamma(0.4, size=(side * side, 2)) * [400, 180])
    counts[counts.sum(axis=1) == 0, 0] = 1
    table = folder / f"counts_{side * side}.csv"
    pd.DataFrame(
        {
            "area": np.repeat(ids, 2),
            "group": np.tile(["x", "y"], side * side),
            "count": counts.ravel(),
        }
    ).to_csv(table, index=False)
    return geometry, table


def timed(command: list[str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """(the finished process, wall seconds, CPU seconds) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_kelisim(geometry: Path, table: Path, index: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, value for group x) of `kelisim measure` as a subprocess."""
    command = [str(KELISIM), "measure", str(table), "--geometry", str(geometry),
               "--weights", "queen", "--index", index, "--format", "csv"]
    done, seconds, cpu = timed(command)
    if done.returncode != 0:
        raise SystemExit(f"kelisim measure failed: {done.stderr.strip()}")
    rows = [line.split(",") for line in done.stdout.splitlines()[1:]]
    value = next(float(r[2]) for r in rows if r[0] == index and r[1] == "x")
    return seconds, cpu, value


PYSAL_SCRIPT = """
import sys, warnings
warnings.simplefilter("ignore")
import geopandas, pandas
import segregation.singlegroup as singlegroup
geometry, table, name = sys.argv[1:]
frame = geopandas.read_file(geometry)
wide = pandas.read_csv(table, dtype={"area": str}).pivot(index="area", columns="group",
                                                         values="count")
frame = frame.join(wide, on="area")
frame["t"] = frame["x"] + frame["y"]
print(getattr(singlegroup, name)(frame, "x", "t").statistic)
"""


def run_pysal(geometry: Path, table: Path, name: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, statistic) of PySAL as a script in its own process reading
    the same two files: like for like with the CLI (start-up, reading, computing, printing)."""
    done, seconds, cpu = timed([sys.executable, "-c", PYSAL_SCRIPT, str(geometry), str(table),
                                name])
    if done.returncode != 0:
        raise SystemExit(f"PySAL failed: {done.stderr.strip()[-500:]}")
    return seconds, cpu, float(done.stdout.split()[-1])


def warm_up(folder: Path) -> None:
    """One untimed run of each side and index on 100 areas: bytecode and file caches."""
    geometry, table = write_data(folder, 100)
    for index, pysal_name in INDICES:
        run_kelisim(geometry, table, index)
        run_pysal(geometry, table, pysal_name)


def compare(n: int, folder: Path, runs: int) -> None:
    """Each side ``runs`` times, alternating (a burst of other work hits both alike); the
    verdict is the ratio of the median CPU seconds, with the range of the runs beside it."""
    geometry, table = write_data(folder, n)
    print(f"\nN = {n:,} square areas (GeoJSON {geometry.stat().st_size / 1e6:.1f} MB), "
          f"{runs} runs of each side")
    for index, pysal_name in INDICES:
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(run_kelisim(geometry, table, index))
            theirs.append(run_pysal(geometry, table, pysal_name))
        our_cpu = float(np.median([cpu for _, cpu, _ in ours]))
        their_cpu = float(np.median([cpu for _, cpu, _ in theirs]))
        ratio = their_cpu / our_cpu
        verdict = "meets" if ratio >= 10 else "MISSES"
        agreement = (f", |diff| {abs(ours[0][2] - theirs[0][2]):.1e}"
                     if index == "spatial_dissimilarity" else "")
        spread = (f"kelisim {min(c for _, c, _ in ours):.2f}-{max(c for _, c, _ in ours):.2f}, "
                  f"PySAL {min(c for _, c, _ in theirs):.2f}-{max(c for _, c, _ in theirs):.2f}")
        wall = float(np.median([w for w, _, _ in theirs]) / np.median([w for w, _, _ in ours]))
        print(f"  {index:<24s} median kelisim CLI {our_cpu:6.2f} CPU-s, PySAL {their_cpu:6.2f} "
              f"CPU-s ({spread}): {ratio:5.1f}x faster in CPU, {wall:5.1f}x in wall "
              f"({verdict} the goal of 10x{agreement})", flush=True)


def alone(n: int, folder: Path) -> None:
    geometry, table = write_data(folder, n)
    print(f"\nN = {n:,} square areas (GeoJSON {geometry.stat().st_size / 1e6:.1f} MB), "
          "kelisim only (PySAL's proximity is N x N)")
    for index, _ in INDICES:
        seconds, cpu, _ = run_kelisim(geometry, table, index)
        verdict = "meets" if cpu < 60 else "MISSES"
        print(f"  {index:<24s} kelisim CLI {cpu:6.2f} CPU-s ({seconds:6.2f} s wall)   "
              f"({verdict} the goal of < 60 s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1,600 only, for a smoke run")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (median)")
    args = parser.parse_args()
    try:
        import segregation  # noqa: F401
    except ImportError:
        raise SystemExit("PySAL segregation is not installed (pip install segregation)") from None
    with tempfile.TemporaryDirectory() as folder:
        warm_up(Path(folder))
        compare(1_600 if args.quick else 10_000, Path(folder), args.runs)
        if not args.quick:
            alone(100_000, Path(folder))


if __name__ == "__main__":
    main()
