"""Bench (issue 14): import a full-size BNS 2021 census workbook through the real CLI.

The workbook is GENERATED (tests/workbook_fixtures.py, seeded): sheets 2.1 and 3.1 with the
country, the 17 regions of 2018, the bundled 2018 districts and 7,049 settlements, 44 groups
plus 'Другие' and a total column, every quirk of the published layout; the country's Kazakhs
and Russians are the published 13,497,891 and 2,981,946 so the national check passes.
Goal: under 30 s and under 1 GB (peak resident memory of the import process). Prints the
figures against the goals. Needs no /work/shared data.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from workbook_fixtures import full_size_headers, full_size_structure, write_workbook  # noqa: E402

GOAL_SECONDS, GOAL_MB = 30.0, 1024.0


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kelisim-bench-"))
    headers = full_size_headers()
    national = {headers.index("Казахи"): 13_497_891, headers.index("Русские"): 2_981_946}
    started = time.perf_counter()
    path = write_workbook(folder / "census2021_full.xlsx", full_size_structure(7049), headers,
                          national=national)
    print(f"generated {path.name}: {len(headers)} groups, 7049 settlements "
          f"({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s)")
    env = {**os.environ, "KELISIM_DB": str(folder / "k.duckdb"),
           "KELISIM_HOME": str(folder / "home")}
    kelisim = str(Path(sys.executable).parent / "kelisim")
    subprocess.run([kelisim, "data", "list", "--format", "csv"], env=env, check=True,
                   capture_output=True)  # build the store first: the import alone is timed
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([kelisim, "data", "import", str(path), "--name", "census2021"],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    if done.returncode != 0:
        sys.exit(f"import failed: {done.stderr.strip()}")
    print(done.stdout.strip())
    print(f"import time: {seconds:.1f} s (goal < {GOAL_SECONDS:.0f} s): "
          f"{'met' if seconds < GOAL_SECONDS else 'NOT met'}")
    print(f"peak memory of the import: {peak_mb:.0f} MB (goal < {GOAL_MB:.0f} MB): "
          f"{'met' if peak_mb < GOAL_MB else 'NOT met'}")


if __name__ == "__main__":
    main()
