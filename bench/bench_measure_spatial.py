"""Spatial dissimilarity vs PySAL and the enclave pipeline: what bench_measure.py does not time.

    .venv/bin/python bench/bench_measure_spatial.py            # N = 5,000 (PySAL) and 100,000
    .venv/bin/python bench/bench_measure_spatial.py --quick    # smoke run, small sizes

Same constructed lattice and counts as bench_measure.py (2 km cells, UTM 42N; nothing is
downloaded). Queen weights are built from the polygons inside each timing.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench_measure import constructed_counts, lattice, line, measured
from kelisim.measure.enclaves import find_enclaves
from kelisim.measure.spatial import spatial_indices
from kelisim.measure.weights import weights_from_geometry


def queen(polygons):
    return weights_from_geometry(polygons, np.arange(len(polygons)), "queen", unit="metre")


def bench_dissimilarity(pysal_n: int, n: int) -> None:
    print("\nSpatial dissimilarity (Morrill; Wong boundary and perimeter/area), queen weights")
    try:
        import geopandas
        import segregation.singlegroup as singlegroup
    except ImportError:
        print("  PySAL segregation is not installed: kelisim figures only")
        singlegroup = None
    if singlegroup is not None:
        polygons = lattice(pysal_n)
        counts = constructed_counts(len(polygons), 2, seed=3)
        frame = geopandas.GeoDataFrame(
            {"x": counts[:, 0], "t": counts.sum(axis=1)}, geometry=list(polygons),
            crs="EPSG:32642",
        )
        theirs, their_s, their_gb = measured(
            lambda: singlegroup.SpatialDissim(frame, "x", "t").statistic
        )
        line(f"PySAL SpatialDissim N={len(polygons):,}", their_s, their_gb)
        table, seconds, peak = measured(
            lambda: spatial_indices(counts, queen(polygons), None, ["spatial_dissimilarity"])
        )
        line(
            f"kelisim spatial_dissimilarity N={len(polygons):,}", seconds, peak,
            f"{their_s / seconds:,.0f}x faster, |diff| {abs(table.value.iloc[0] - theirs):.1e}",
        )
    polygons = lattice(n)
    counts = constructed_counts(len(polygons), 2, seed=3)
    for label, indices in (
        ("Morrill", ["spatial_dissimilarity"]),
        ("Wong boundary + perimeter/area",
         ["boundary_spatial_dissimilarity", "perimeter_area_spatial_dissimilarity"]),
    ):
        _, seconds, peak = measured(lambda indices=indices: spatial_indices(
            counts, queen(polygons), None, indices
        ))
        line(f"kelisim {label} N={len(polygons):,}", seconds, peak)


def bench_enclaves(n: int, permutations: int) -> None:
    print(f"\nEnclave pipeline (Gi*, {permutations} permutations, BH FDR 0.05, both groups)")
    polygons = lattice(n)
    counts = constructed_counts(len(polygons), 2, seed=3)
    found, seconds, peak = measured(lambda: find_enclaves(
        counts, queen(polygons), ["x", "rest"], permutations=permutations, seed=1
    ))
    line(f"kelisim find_enclaves N={len(polygons):,}", seconds, peak,
         f"{len(found.summary)} enclaves, {len(found.members)} member areas")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    bench_dissimilarity(400 if args.quick else 5_000, 1_600 if args.quick else 100_000)
    bench_enclaves(1_600 if args.quick else 100_000, 99 if args.quick else 999)


if __name__ == "__main__":
    main()
