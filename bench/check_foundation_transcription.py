"""Check the bundled curated tables against the team's shared source files.

Compares every transcribed figure (regional series, national census counts, KATO units,
incident ids) with /work/shared/data (or KELISIM_SHARED_DATA), and recomputes the area split
weights of the district crosswalk (source GEOKZ_AREA) from the geokz district polygons. Prints
a clear message and exits 0 when that folder is missing; exits 1 on any mismatch.

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
    from kelisim.core.curated import read_curated

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

    splits = district_area_splits()
    problems += check_area_weights(splits)

    for problem in problems:
        print(f"MISMATCH: {problem}")
    checked = len(source) + len(counted) + len(kato) + len(incidents) + len(splits)
    print(f"checked {checked} transcribed rows: "
          f"{'all match' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


# Split weights that come from population figures or are whole by decision, not from areas.
NOT_AREA_BASED = {"KOSSHY_2021"}


def district_area_splits() -> pd.DataFrame:
    """Crosswalk rows of district splits whose weights are area shares."""
    from kelisim.core import areas as A

    table = A.crosswalk()
    districts = set(A.areas("2018", "district")["area_code"]) | set(
        A.areas("2024", "district")["area_code"])
    table = table[table["from_code"].isin(districts) & ~table["source_id"].isin(NOT_AREA_BASED)]
    sizes = table.groupby(["from_version", "from_code"])["to_code"].transform("size")
    return table[sizes > 1]


def check_area_weights(splits: pd.DataFrame) -> list[str]:
    """Area share of each split's parts (geokz polygons, EPSG:6933), normalised over the parts."""
    import geopandas

    layers = {version: geopandas.read_file(SHARED / f"kz_boundaries/kz_adm2_{version}.geojson")
              .to_crs(6933).set_index("KATO").geometry for version in ("2018", "2024")}
    problems = []
    for (frm, code), part in splits.groupby(["from_version", "from_code"]):
        source = layers[frm][code]
        to = part["to_version"].iloc[0]
        shares = [source.intersection(layers[to][target]).area / source.area
                  for target in part["to_code"]]
        expected = [share / sum(shares) for share in shares]
        for target, weight, share in zip(part["to_code"], part["weight"], expected, strict=True):
            if abs(weight - share) > 1e-3:
                problems.append(f"crosswalk {frm} {code} -> {target}: weight {weight:.4f}, "
                                f"area share {share:.4f}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
