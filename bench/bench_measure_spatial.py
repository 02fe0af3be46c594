"""Speed and memory of kelisim's spatial indices and enclave pipeline, side by side with PySAL.

Geometry is constructed here (a jittered lattice of 2 km quadrilaterals in UTM 42N, synthetic
counts with planted clusters), nothing is downloaded. PySAL segregation runs only at
N = 5,000 (its dense N x N arrays need 12.5 GB at 20,000 on a shared machine); kelisim runs at
5,000, 20,000 and 100,000. Massey & Denton's decay uses d in miles (decay_scale 1,609.344 m).

    .venv/bin/python bench/bench_measure_spatial.py            # full run (a few minutes)
    .venv/bin/python bench/bench_measure_spatial.py --quick    # smoke run, small sizes
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kelisim.measure.enclaves import find_enclaves  # noqa: E402
from kelisim.measure.spatial import spatial_indices  # noqa: E402
from kelisim.measure.weights import weights_from_geometry  # noqa: E402
from spatial_grids import jittered_grid  # noqa: E402 (constructed geometry shared with tests)

CELL = 2000.0
MILE = 1609.344
GOAL_SECONDS, GOAL_GB, GOAL_RATIO = 60.0, 4.0, 50.0


def measure(function):
    """(result, seconds, peak GB traced by tracemalloc) of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e9
    tracemalloc.stop()
    return result, seconds, peak


def dataset(n: int, seed: int = 0):
    """Polygons and [N, 2] counts: group x on a west-east gradient plus planted clusters."""
    side = int(round(np.sqrt(n)))
    polygons = jittered_grid(side, cell=CELL, seed=seed)
    n = len(polygons)
    rng = np.random.default_rng(seed)
    column, row = np.arange(n) % side, np.arange(n) // side
    x = rng.poisson(5 + 20 * column / side)
    for _ in range(max(1, n // 5000)):
        r, c = rng.integers(0, side - 5, 2)
        x[(row >= r) & (row < r + 4) & (column >= c) & (column < c + 4)] += 150
    rest = rng.integers(80, 120, n)
    return polygons, np.column_stack([x, rest]).astype(float)


def pysal_frame(polygons, counts):
    import geopandas

    return geopandas.GeoDataFrame(
        {"x": counts[:, 0], "t": counts.sum(axis=1)}, geometry=list(polygons), crs="EPSG:32642"
    )


def report(label, seconds, peak, peer=None):
    line = f"  {label:<58s} {seconds:8.2f} s  {peak:6.2f} GB"
    if peer is not None:
        line += f"   {peer / seconds:7.1f}x faster than PySAL"
    print(line, flush=True)


def decay_weights(polygons):
    """Centroids and areas only: what the distance-decay family needs (no contiguity)."""
    import scipy.sparse as sp
    import shapely

    from kelisim.measure.weights import SpatialWeights

    n = len(polygons)
    return SpatialWeights(
        matrix=sp.csr_array((n, n)),
        ids=np.arange(n),
        spec="coordinates",
        coords=shapely.get_coordinates(shapely.centroid(polygons)),
        area=shapely.area(polygons),
    )


def bench_proximity(sizes, pysal_n, singlegroup):
    print(f"\nSpatial proximity (Massey-Denton family, decay_scale = 1 mile, cells {CELL:.0f} m)")
    peer_seconds = None
    if singlegroup is not None:
        polygons, counts = dataset(pysal_n)
        frame = pysal_frame(polygons, counts)
        theirs, peer_seconds, peak = measure(
            lambda: singlegroup.SpatialProximity(frame, "x", "t").statistic
        )
        report(f"PySAL SpatialProximity N={len(counts):,}", peer_seconds, peak)
        table, seconds, peak = measure(
            lambda: spatial_indices(
                counts, decay_weights(polygons), ["x", "rest"], ["spatial_proximity"], decay="pysal"
            )
        )
        report(
            f"kelisim decay='pysal' (PySAL's formula, exact) N={len(counts):,}",
            seconds,
            peak,
            peer_seconds,
        )
        print(f"    same value: |kelisim - PySAL| = {abs(table.value.iloc[0] - theirs):.2e}")
    for n in sizes:
        polygons, counts = dataset(n)
        _, seconds, peak = measure(
            lambda polygons=polygons, counts=counts: spatial_indices(
                counts,
                decay_weights(polygons),
                ["x", "rest"],
                ["spatial_proximity"],
                decay_scale=MILE,
            )
        )
        peer = peer_seconds if n == pysal_n else None
        report(f"kelisim massey_denton (tiled, 1e-12 cut) N={len(counts):,}", seconds, peak, peer)
    return seconds, peak


def bench_dissimilarity(n, pysal_n, singlegroup):
    print("\nSpatial dissimilarity (Morrill, queen contiguity built from polygons, timed)")
    if singlegroup is not None:
        polygons, counts = dataset(pysal_n)
        frame = pysal_frame(polygons, counts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs, peer, peak = measure(
                lambda: singlegroup.SpatialDissim(frame, "x", "t").statistic
            )
        report(f"PySAL SpatialDissim N={len(counts):,}", peer, peak)

        def ours_small():
            weights = weights_from_geometry(polygons, np.arange(len(polygons)), "queen")
            return spatial_indices(counts, weights, ["x", "rest"], ["spatial_dissimilarity"])

        table, seconds, peak = measure(ours_small)
        report(f"kelisim N={len(counts):,}", seconds, peak, peer)
        print(f"    same value: |kelisim - PySAL| = {abs(table.value.iloc[0] - theirs):.2e}")
    polygons, counts = dataset(n)

    def ours(indices):
        weights = weights_from_geometry(polygons, np.arange(len(polygons)), "queen")
        return spatial_indices(counts, weights, ["x", "rest"], indices)

    _, seconds, peak = measure(lambda: ours(["spatial_dissimilarity"]))
    report(f"kelisim Morrill N={len(counts):,}", seconds, peak)
    _, wong_seconds, wong_peak = measure(
        lambda: ours(["boundary_spatial_dissimilarity", "perimeter_area_spatial_dissimilarity"])
    )
    report(f"kelisim Wong boundary + perimeter/area N={len(counts):,}", wong_seconds, wong_peak)
    return seconds, peak


def bench_enclaves(n, permutations):
    print(
        f"\nEnclave pipeline (queen weights, Gi* + local Moran, {permutations} permutations,"
        " BH FDR 0.05, both groups)"
    )
    polygons, counts = dataset(n)

    def pipeline():
        weights = weights_from_geometry(polygons, np.arange(len(polygons)), "queen")
        return find_enclaves(counts, weights, ["x", "rest"], permutations=permutations, seed=1)

    found, seconds, peak = measure(pipeline)
    report(f"kelisim find_enclaves N={len(counts):,}", seconds, peak)
    print(f"    {len(found.summary)} enclaves, {len(found.members)} member areas")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    sizes = [400, 1600] if args.quick else [5_000, 20_000, 100_000]
    pysal_n = sizes[0]
    large = sizes[-1]
    try:
        import segregation.singlegroup as singlegroup
    except ImportError:
        singlegroup = None
        print(
            "PySAL segregation is not installed: kelisim figures only, no ratios "
            "(pip install segregation to compare)."
        )
    proximity = bench_proximity(sizes, pysal_n, singlegroup)
    dissimilarity = bench_dissimilarity(large, pysal_n, singlegroup)
    enclaves = bench_enclaves(large, 99 if args.quick else 999)
    print(
        f"\nGoals at N={large:,}: under {GOAL_SECONDS:.0f} s and {GOAL_GB:.0f} GB each; "
        f">= {GOAL_RATIO:.0f}x PySAL"
    )
    for label, (seconds, peak) in (
        ("spatial proximity", proximity),
        ("spatial dissimilarity", dissimilarity),
        ("enclave pipeline", enclaves),
    ):
        verdict = "met" if seconds < GOAL_SECONDS and peak < GOAL_GB else "MISSED"
        print(f"  {label:<24s} {seconds:7.2f} s  {peak:5.2f} GB  {verdict}")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"process peak RSS (whole run, PySAL included): {peak_rss:.2f} GB")


if __name__ == "__main__":
    main()
