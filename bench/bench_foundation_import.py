"""Import speed of a population table: rows validated and written per second, vs the goal.

Goal: a full district x group table for 20 years (224 districts x 80 groups x 20 years =
358,400 rows) imports in under 30 s on one core, i.e. at least 12,000 rows/s. The table here
is constructed (random counts, seed 0) and bounded to 100,000 rows.

Run: .venv/bin/python bench/bench_foundation_import.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

GOAL_ROWS_PER_SECOND = 12_000
ROWS = 100_000


def constructed_table(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    from kelisim.core.areas import areas
    from kelisim.core.groups import default_registry

    districts = list(areas("2024", "district")["area_code"])
    groups = default_registry().codes
    years = range(2000, 2000 + -(-rows // (len(districts) * len(groups))))
    index = pd.MultiIndex.from_product([districts, groups, years],
                                       names=["area_code", "group", "period"])
    frame = index.to_frame(index=False).iloc[:rows]
    frame["count"] = rng.integers(0, 5_000, len(frame))
    return frame


def main() -> None:
    from kelisim.datasets import open_store
    from kelisim.datasets.io import import_population

    frame = constructed_table(ROWS, np.random.default_rng(0))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "districts.csv"
        frame.to_csv(path, index=False)
        con = open_store(Path(folder) / "bench.duckdb")
        start = time.perf_counter()
        written = import_population(con, path, name="bench")
        seconds = time.perf_counter() - start
    rate = written / seconds
    print(f"imported {written} rows in {seconds:.2f} s = {rate:,.0f} rows/s; "
          f"goal {GOAL_ROWS_PER_SECOND:,} rows/s; ratio {rate / GOAL_ROWS_PER_SECOND:.2f}")


if __name__ == "__main__":
    main()
