"""Speed and memory of kelisim.measure against PySAL `segregation`, in one process, with ratios.

    .venv/bin/python bench/bench_measure.py            # the issue's sizes (a few minutes)
    .venv/bin/python bench/bench_measure.py --quick    # smoke run at small sizes

[a] multigroup Gini, K = 10: N = 10,000 (PySAL run here) and N = 20,000 (PySAL not run: the
    issue's measured 41 s / 9.4 GB is printed as the reference, labelled so).
[b] spatial proximity (Massey & Denton, decay scale 1 mile): PySAL runs at N = 5,000 only;
    at N = 20,000 the issue's 47 s / 12.5 GB is the reference (goal >= 50x, i.e. < 0.94 s).
[c] the whole suite for 130 groups at N = 100,000 (goal < 60 s on 2 cores, < 4 GB): aspatial
    indices incl. the random-allocation corrections, every spatial index from polygons (queen
    weights built inside the timing), egohood (kernel-smoothed) aspatial indices.
[d] cold start in fresh processes: import + first index call, kelisim vs PySAL (numba JIT).
[e] every index both define at N = 5,000, K = 10, first call / best of 3, vs PySAL.
[f] every spatial index PySAL defines at small N (400 and 1,600 areas), x vs the rest, first
    call / best of 3 and the ratio PySAL / kelisim (kelisim builds the weights each index needs
    inside every timed call: queen contiguity for the dissimilarities and the proximity profile,
    centroids and areas for the rest; PySAL gets its queen W ready-made where it takes one;
    decay="pysal").

Data are constructed here (seeded gamma-Poisson counts with Zipf-like group sizes on a jittered
lattice of 2 km cells in UTM 42N); nothing is downloaded. Peak memory: tracemalloc's peak of
traced allocations (numpy registers its buffers) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kelisim.measure.aspatial import (  # noqa: E402
    DETERMINISTIC_INDICES,
    RANDOM_INDICES,
    Table,
    multi_gini,
    segregation_indices,
)
from kelisim.measure.spatial import (  # noqa: E402
    MILE_METRES,
    SPATIAL_INDICES,
    egohood_indices,
    spatial_indices,
)
from kelisim.measure.weights import SpatialWeights, kernel, weights_from_geometry  # noqa: E402
from spatial_grids import PYSAL_CLASSES, jittered_grid  # noqa: E402 (shared with the tests)

CELL = 2000.0
ISSUE_PYSAL = {  # measured by the issue's author, not here
    "multi_gini_10k": (15.0, 2.6),
    "multi_gini_20k": (41.0, 9.4),
    "proximity_20k": (47.0, 12.5),
}
GOAL_RATIO, GOAL_SECONDS, GOAL_GB = 50.0, 60.0, 4.0
# margin kept below the issue's 60 s so that the goal holds on a loaded machine too
TARGET_SECONDS = 35.0


def verdict(ratio: float) -> str:
    met = "met" if ratio >= GOAL_RATIO else "MISSED"
    return f"{ratio:,.0f}x faster (goal >= {GOAL_RATIO:.0f}x: {met})"


def constructed_counts(areas: int, groups: int, seed: int = 0) -> np.ndarray:
    """Seeded gamma-Poisson counts, group sizes falling like 1 / k^1.2; no empty area."""
    rng = np.random.default_rng(seed)
    sizes = 1.0 / np.arange(1, groups + 1) ** 1.2
    counts = rng.poisson(rng.gamma(0.4, size=(areas, groups)) * sizes * 400)
    counts[counts.sum(axis=1) == 0, 0] = 1
    return counts


def lattice(areas: int, seed: int = 0) -> np.ndarray:
    return jittered_grid(int(round(np.sqrt(areas))), cell=CELL, seed=seed)


def decay_weights(polygons) -> SpatialWeights:
    """Centroids and areas only (what the distance-decay family needs), CRS in metres."""
    n = len(polygons)
    return SpatialWeights(
        matrix=sp.csr_array((n, n)),
        ids=np.arange(n),
        spec="coordinates",
        coords=shapely.get_coordinates(shapely.centroid(polygons)),
        area=shapely.area(polygons),
        unit="metre",
    )


def measured(function):
    """(result, seconds, tracemalloc peak GB) of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = function()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e9
    tracemalloc.stop()
    return result, seconds, peak


def line(label: str, seconds: float, peak: float | None = None, note: str = "") -> None:
    memory = f"{peak:6.2f} GB" if peak is not None else " " * 9
    print(f"  {label:<62s} {seconds:8.3f} s {memory}  {note}", flush=True)


def pysal_modules():
    try:
        import segregation.multigroup as multigroup
        import segregation.singlegroup as singlegroup
    except ImportError:
        print("PySAL segregation is not installed: kelisim figures only (pip install segregation)")
        return None, None
    return multigroup, singlegroup


def bench_multi_gini(sizes, multigroup) -> None:
    print("\n[a] multigroup Gini, K = 10")
    for n in sizes:
        counts = constructed_counts(n, 10)
        ours, seconds, peak = measured(lambda counts=counts: multi_gini(Table.from_counts(counts)))
        key = f"multi_gini_{n // 1000}k"
        if multigroup is not None and n == sizes[0]:
            names = [f"g{k}" for k in range(10)]
            frame = pd.DataFrame(counts, columns=names)
            # warm PySAL's numba JIT on a tiny table first: cold start is [d]
            multigroup.MultiGini(frame.iloc[:50], names)
            theirs, their_s, their_gb = measured(
                lambda frame=frame, names=names: multigroup.MultiGini(frame, names)
            )
            line(f"PySAL MultiGini N={n:,} (run here, JIT warmed)", their_s, their_gb)
            line(
                f"kelisim multi_gini N={n:,}", seconds, peak,
                f"{verdict(their_s / seconds)}, |diff| {abs(ours - theirs.statistic):.1e}",
            )
        elif key in ISSUE_PYSAL:
            their_s, their_gb = ISSUE_PYSAL[key]
            line(f"PySAL MultiGini N={n:,} (issue's figure, NOT run here)", their_s, their_gb)
            line(f"kelisim multi_gini N={n:,}", seconds, peak, verdict(their_s / seconds))
        else:
            line(f"kelisim multi_gini N={n:,}", seconds, peak)


def available_gb() -> float:
    """MemAvailable from /proc/meminfo (Linux), GB; infinity elsewhere."""
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemAvailable:"):
                return int(text.split()[1]) / 1e6
    except OSError:
        pass
    return float("inf")


def run_pysal_proximity(polygons, counts, singlegroup):
    """PySAL's SpatialProximity statistic, seconds and GB (tracemalloc peak, RSS growth)."""
    import geopandas

    frame = geopandas.GeoDataFrame(
        {"x": counts[:, 0], "t": counts.sum(axis=1)}, geometry=list(polygons), crs="EPSG:32642",
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    theirs, their_s, their_gb = measured(
        lambda: singlegroup.SpatialProximity(frame, "x", "t").statistic
    )
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6 - rss_before
    return theirs, their_s, their_gb, rss_growth


def bench_proximity(pysal_n: int, n: int, singlegroup, pysal_large: bool = False) -> None:
    print("\n[b] spatial proximity, two groups (x vs the rest), decay scale 1 mile")
    if singlegroup is not None:
        polygons = lattice(pysal_n)
        counts = constructed_counts(len(polygons), 2, seed=3)
        theirs, their_s, their_gb, _ = run_pysal_proximity(polygons, counts, singlegroup)
        line(f"PySAL SpatialProximity N={len(polygons):,} (run here)", their_s, their_gb)
        weights = decay_weights(polygons)
        table, seconds, peak = measured(
            lambda: spatial_indices(counts, weights, None, ["spatial_proximity"], decay="pysal")
        )
        line(
            f"kelisim decay='pysal' (PySAL's formula, exact) N={len(polygons):,}", seconds, peak,
            f"{their_s / seconds:,.0f}x faster, |diff| {abs(table.value.iloc[0] - theirs):.1e}",
        )
        _, seconds, peak = measured(
            lambda: spatial_indices(counts, weights, None, ["spatial_proximity"])
        )
        line(f"kelisim Massey & Denton N={len(polygons):,}", seconds, peak,
             f"{their_s / seconds:,.0f}x faster")
    polygons = lattice(n)
    counts = constructed_counts(len(polygons), 2, seed=3)
    weights = decay_weights(polygons)
    their_s, their_gb = ISSUE_PYSAL["proximity_20k"]
    label = f"PySAL SpatialProximity N={n:,} (issue's figure, NOT run here)"
    if pysal_large and singlegroup is not None:
        # PySAL densifies N x N float64 arrays: ~12.5 GB at N = 20,000 by the issue's count
        need = 12.5 * (len(polygons) / 20_000) ** 2 * 1.2
        if available_gb() < need:
            print(f"  --pysal-large skipped: {available_gb():.1f} GB available, {need:.1f} needed")
        else:
            _, their_s, their_gb, rss_growth = run_pysal_proximity(polygons, counts, singlegroup)
            label = (
                f"PySAL SpatialProximity N={len(polygons):,} (run here, peak RSS grew "
                f"{rss_growth:.1f} GB)"
            )
    if label.endswith("NOT run here)") and n < 19_000:  # --quick: no PySAL figure at this N
        their_s = float("nan")
    else:
        line(label, their_s, their_gb)
    for variant, name in (("pysal", "decay='pysal'"), ("massey_denton", "Massey & Denton")):
        _, seconds, peak = measured(
            lambda variant=variant: spatial_indices(
                counts, weights, None, ["spatial_proximity"], decay=variant
            )
        )
        ratio = their_s / seconds
        if np.isnan(ratio):
            line(f"kelisim {name} N={len(polygons):,}", seconds, peak)
            continue
        # the goal is on Massey & Denton's index; PySAL's variant is shown for reference
        note = verdict(ratio) if variant == "massey_denton" else f"{ratio:,.0f}x faster"
        line(f"kelisim {name} N={len(polygons):,}", seconds, peak, note)


def bench_suite(n: int, groups: int, draws: int) -> None:
    print(
        f"\n[c] whole suite, {groups} groups, N = {n:,} (random corrections: {draws} simulations"
        f" / redraws; goal < {GOAL_SECONDS:.0f} s, < {GOAL_GB:.0f} GB)"
    )
    polygons = lattice(n)
    counts = constructed_counts(len(polygons), groups, seed=2)
    names = [f"g{k}" for k in range(groups)]
    ids = np.arange(len(polygons))
    steps = {
        "aspatial, deterministic": lambda: segregation_indices(counts, names),
        "aspatial, random-allocation and bias corrections": lambda: segregation_indices(
            counts, names, list(RANDOM_INDICES), simulations=draws, draws=draws
        ),
        "spatial, every index (queen weights built from polygons)": lambda: spatial_indices(
            counts, weights_from_geometry(polygons, ids, "queen", unit="metre"), names,
            list(SPATIAL_INDICES),
        ),
        "egohood (triangular kernel, 5 km), deterministic": lambda: egohood_indices(
            counts, kernel(shapely.get_coordinates(shapely.centroid(polygons)), "triangular",
                           5000.0), names,
        ),
    }
    total, peak_all, rows = 0.0, 0.0, 0
    for label, step in steps.items():
        table, seconds, peak = measured(step)
        total, peak_all, rows = total + seconds, max(peak_all, peak), rows + len(table)
        line(label, seconds, peak, f"{len(table):,} values")
    met = total < GOAL_SECONDS and peak_all < GOAL_GB
    line(
        f"TOTAL ({rows:,} values)", total, peak_all,
        f"goal < {GOAL_SECONDS:.0f} s, < {GOAL_GB:.0f} GB: {'met' if met else 'MISSED'}; "
        f"margin target < {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'MISSED'}",
    )


COLD_KELISIM = """
import time; start = time.perf_counter()
import kelisim.measure
imported = time.perf_counter()
from kelisim.measure.aspatial import segregation_indices
segregation_indices([[10, 0, 3], [0, 10, 4], [5, 5, 5]], None, "all")
print(imported - start, time.perf_counter() - start)
"""
COLD_PYSAL = """
import time; start = time.perf_counter()
import pandas as pd
import segregation.singlegroup as singlegroup
imported = time.perf_counter()
singlegroup.Gini(pd.DataFrame({"a": [10, 0, 3], "t": [12, 10, 9]}), "a", "t")
print(imported - start, time.perf_counter() - start)
"""


def bench_cold_start(with_pysal: bool) -> None:
    print("\n[d] cold start in a fresh process: import, then import + first index call")
    peers = [("kelisim (import kelisim.measure; every aspatial index)", COLD_KELISIM)]
    if with_pysal:
        peers.append(("PySAL (import segregation.singlegroup; Gini, numba JIT)", COLD_PYSAL))
    figures = []
    for label, code in peers:
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True,
            check=True,
        )
        imported, first = (float(v) for v in done.stdout.split()[-2:])
        figures.append(first)
        line(label, first, None, f"(import alone {imported:.3f} s)")
    if len(figures) == 2:
        print(f"  kelisim's cold start is {figures[1] / figures[0]:,.0f}x shorter")


SINGLE = {
    "dissimilarity": "Dissim", "gini": "Gini", "theil_h": "Entropy", "atkinson": "Atkinson",
    "isolation": "Isolation", "interaction": "Interaction", "correlation_ratio": "CorrelationR",
    "concentration_profile": "ConProf", "min_max": "MinMax",
    "density_corrected_dissimilarity": "DensityCorrectedDissim",
    "modified_dissimilarity": "ModifiedDissim", "modified_gini": "ModifiedGini",
    "bias_corrected_dissimilarity": "BiasCorrectedDissim",
}
MULTI = {
    "multi_dissimilarity": "MultiDissim", "multi_gini": "MultiGini",
    "multi_theil_h": "MultiInfoTheory", "mutual_information": "MultiDivergence",
    "multi_normalized_exposure": "MultiNormExposure",
    "multi_relative_diversity": "MultiRelativeDiversity",
    "multi_squared_cv": "MultiSquaredCoefVar", "simpson_concentration": "SimpsonsConcentration",
    "simpson_interaction": "SimpsonsInteraction", "entropy": "MultiDiversity",
}
# PySAL runs these on one group (density-corrected D on its first 500 areas: it solves one
# optimisation per area) and its time is scaled to all groups and areas ('~').
SLOW = {"density_corrected_dissimilarity", "modified_dissimilarity", "modified_gini",
        "bias_corrected_dissimilarity"}
PER_AREA_SLOW = {"density_corrected_dissimilarity": 500}


def best_of_three(function) -> tuple[float, float]:
    """(first call, best of up to 3) wall seconds; calls over 2 s are not repeated."""
    start = time.perf_counter()
    function()
    first = best = time.perf_counter() - start
    for _ in range(2 if first < 2.0 else 0):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return first, best


def bench_every_index(n: int, draws: int, multigroup, singlegroup) -> None:
    groups = 10
    counts = constructed_counts(n, groups, seed=1)
    names = [f"g{k}" for k in range(groups)]
    frame = pd.DataFrame(counts, columns=names).assign(total=counts.sum(axis=1))
    print(
        f"\n[e] every index both define, N = {n:,}, K = {groups}, all groups ({draws} draws);"
        " seconds first / best of 3; '~' = PySAL scaled from a subset"
    )
    warnings.simplefilter("ignore")
    for index in [*SINGLE, *MULTI]:
        first, best = best_of_three(
            lambda index=index: segregation_indices(counts, names, index, simulations=draws,
                                                    draws=draws)
        )
        text = f"    {index:32s} kelisim {first:7.4f} / {best:7.4f}"
        if singlegroup is not None:
            if index in MULTI:
                call = lambda index=index: getattr(multigroup, MULTI[index])(frame, names)  # noqa: E731
            else:
                cls = getattr(singlegroup, SINGLE[index])
                kwargs = {"iterations": draws} if index.startswith("modified") else {}
                kwargs = {"B": draws} if index == "bias_corrected_dissimilarity" else kwargs
                rows = frame.iloc[: PER_AREA_SLOW.get(index, n)]
                chosen = names[:1] if index in SLOW else names
                call = lambda cls=cls, rows=rows, chosen=chosen, kwargs=kwargs: [  # noqa: E731
                    cls(rows, name, "total", **kwargs) for name in chosen
                ]
            their_first, their_best = best_of_three(call)
            scale = (groups if index in SLOW else 1) * n / PER_AREA_SLOW.get(index, n)
            mark = "~" if scale > 1 else " "
            text += (
                f"  PySAL {mark}{their_first * scale:8.3f} / {their_best * scale:8.3f}"
                f"  ratio first {their_first * scale / first:7.1f}x  best "
                f"{their_best * scale / best:7.1f}x"
            )
        print(text, flush=True)
    warnings.resetwarnings()


def spatial_small_rows(n: int, singlegroup) -> None:
    """One line per spatial index at N = n: kelisim vs PySAL, first call / best of 3."""
    import geopandas
    import libpysal

    polygons = lattice(n)
    counts = constructed_counts(len(polygons), 2, seed=3)
    ids = np.arange(len(polygons))
    frame = geopandas.GeoDataFrame(
        {"x": counts[:, 0], "t": counts.sum(axis=1)}, geometry=list(polygons), crs="EPSG:32642"
    )
    queen = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
    print(f"  N = {len(polygons):,}")
    for index, name in PYSAL_CLASSES.items():
        takes_w = index in ("spatial_dissimilarity", "spatial_proximity_profile")
        extra = {"w": queen} if takes_w else {}
        # the weights each index needs, built inside the timing: queen contiguity (with shared
        # boundaries) for the graph indices, else only centroids and areas, as PySAL computes
        graph = "dissimilarity" in index or index == "spatial_proximity_profile"
        ours = best_of_three(lambda index=index, graph=graph: spatial_indices(
            counts,
            weights_from_geometry(polygons, ids, "queen", unit="metre")
            if graph
            else decay_weights(polygons),
            None,
            [index],
            decay="pysal",
        ))
        theirs = best_of_three(
            lambda name=name, extra=extra: getattr(singlegroup, name)(
                frame, "x", "t", **extra
            ).statistic
        )
        print(
            f"    {index:38s} kelisim {ours[0]:7.4f} / {ours[1]:7.4f}  PySAL {theirs[0]:7.4f}"
            f" / {theirs[1]:7.4f}  ratio first {theirs[0] / ours[0]:6.1f}x  best "
            f"{theirs[1] / ours[1]:6.1f}x",
            flush=True,
        )


def bench_spatial_small(sizes, singlegroup) -> None:
    print(
        "\n[f] every spatial index PySAL defines, x vs the rest; seconds first / best of 3;"
        " ratio = PySAL / kelisim (> 1: kelisim faster)"
    )
    if singlegroup is None:
        return
    warnings.simplefilter("ignore")
    for n in sizes:
        spatial_small_rows(n, singlegroup)
    warnings.resetwarnings()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--draws", type=int, default=10, help="simulations for the corrections")
    parser.add_argument("--skip-pysal", action="store_true")
    parser.add_argument(
        "--pysal-large", action="store_true",
        help="[b] also run PySAL at N = 20,000 (needs ~15 GB free; skipped when short)",
    )
    parser.add_argument(
        "--only", default="abcdef", help="sections to run, e.g. 'bc' (default all: abcdef)"
    )
    args = parser.parse_args()
    multigroup, singlegroup = (None, None) if args.skip_pysal else pysal_modules()
    print(f"decay scale: {MILE_METRES} m (1 mile); {len(DETERMINISTIC_INDICES)} deterministic "
          "aspatial indices")
    quick = args.quick
    sections = {
        "a": lambda: bench_multi_gini([1_000, 2_000] if quick else [10_000, 20_000], multigroup),
        "b": lambda: bench_proximity(
            400 if quick else 5_000, 1_600 if quick else 20_000, singlegroup, args.pysal_large
        ),
        "c": lambda: bench_suite(2_500 if quick else 100_000, 20 if quick else 130, args.draws),
        "d": lambda: bench_cold_start(multigroup is not None),
        "e": lambda: bench_every_index(500 if quick else 5_000, args.draws, multigroup,
                                       singlegroup),
        "f": lambda: bench_spatial_small([400, 1_600], singlegroup),
    }
    for key, section in sections.items():
        if key in args.only:
            section()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"\nprocess peak RSS (whole run, PySAL included): {peak_rss:.2f} GB")


if __name__ == "__main__":
    main()
