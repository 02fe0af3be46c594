"""Check the bundled curated tables against the team's shared source files.

Compares every transcribed figure (regional series, national census counts, KATO units,
incident ids) with /work/shared/data (or KELISIM_SHARED_DATA). Prints a clear message and
exits 0 when that folder is missing; exits 1 on any mismatch.

Run: .venv/bin/python bench/check_foundation_transcription.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

SHARED = Path(os.environ.get("KELISIM_SHARED_DATA", "/work/shared/data"))


def main() -> int:
    if not SHARED.is_dir():
        print(f"shared data not found at {SHARED}; nothing to check")
        return 0
    from kelisim.datasets.curated import read_curated

    problems = []
    source = pd.read_csv(SHARED / "kz_population_regions/region_population_2000_2023.csv",
                         dtype={"area_code": str})
    ours = read_curated("regions_annual")
    merged = source.merge(ours, left_on=["year", "area_code"], right_on=["period", "area_code"])
    if len(merged) != len(source) or (merged["population"] != merged["count"]).any():
        problems.append("regions_annual differs from region_population_2000_2023.csv")

    national = pd.read_csv(SHARED / "kz_ethnic_population/national_by_ethnicity.csv")
    counted = national[national["population"].notna()]
    census = read_curated("census_national")
    census_counts = set(census["count"].dropna().astype(int))
    missing = sorted(set(counted["population"].astype(int)) - census_counts - {16199100})
    if missing:
        problems.append(f"census_national lacks counts {missing}")

    kato = pd.read_csv(SHARED / "kz_boundaries/kz_admin_units_kato.csv", dtype=str)
    areas = read_curated("areas")
    for version in ("2018", "2024"):
        theirs = set(kato.loc[kato["boundary_version"] == version, "kato"])
        mine = set(areas.loc[(areas["boundary_version"] == version)
                             & (areas["level"] != "country"), "area_code"])
        if theirs != mine:
            problems.append(f"areas {version} differ from kz_admin_units_kato.csv")

    incidents = pd.read_csv(SHARED / "kz_incidents/kz_incidents_curated.csv")
    if set(incidents["incident_id"]) != set(read_curated("incidents")["incident_id"]):
        problems.append("incident ids differ from kz_incidents_curated.csv")

    for problem in problems:
        print(f"MISMATCH: {problem}")
    checked = len(source) + len(counted) + len(kato) + len(incidents)
    print(f"checked {checked} transcribed rows: "
          f"{'all match' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
