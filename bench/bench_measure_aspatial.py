"""Speed and memory of kelisim's aspatial indices, side by side with PySAL `segregation`.

Run: .venv/bin/python bench/bench_measure_aspatial.py [--suite-areas 100000] [--groups 130]

1. Multigroup Gini at N = 10,000 areas, K = 10 groups: kelisim vs PySAL (one run each).
2. Every index both define at N = 10,000, K = 10, every group (PySAL: one call per group;
   its slowest indices run on one group and are scaled by K, marked '~'). PySAL's import and
   numba JIT (cold start) are timed apart and added to its first Gini.
3. kelisim's whole aspatial suite for all 130 groups at N = 100,000 areas (goal: < 60 s,
   < 4 GB), then the random-allocation and bias corrections with a stated number of draws.

Data are constructed here (seeded gamma-Poisson counts with Zipf-like group sizes). Peak
memory is tracemalloc's peak of traced allocations (numpy registers its buffers there).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from kelisim.measure.aspatial import (
    DETERMINISTIC_INDICES,
    RANDOM_INDICES,
    Table,
    multi_gini,
    segregation_indices,
)


def constructed_counts(areas: int, groups: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sizes = 1.0 / np.arange(1, groups + 1) ** 1.2
    mean = rng.gamma(0.4, size=(areas, groups)) * sizes * 400
    counts = rng.poisson(mean)
    counts[counts.sum(axis=1) == 0, 0] = 1
    return counts


def measured(function, *args, **kwargs):
    """(result, seconds, peak GB) of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e9
    tracemalloc.stop()
    return result, seconds, peak


def pysal_import_seconds() -> float | None:
    """Seconds to import PySAL segregation (its cold start before any JIT), None if missing."""
    start = time.perf_counter()
    try:
        import segregation.multigroup  # noqa: F401
        import segregation.singlegroup  # noqa: F401
    except ImportError:
        print("PySAL segregation is not installed: only kelisim's figures are printed.")
        return None
    return time.perf_counter() - start


def timed(function, repeats: int = 3) -> tuple[float, float]:
    """(first call, best call) wall seconds; repeats only calls shorter than 2 s."""
    start = time.perf_counter()
    function()
    first = best = time.perf_counter() - start
    for _ in range(repeats - 1 if first < 2.0 else 0):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return first, best


def bench_multigroup_gini(pysal_import: float | None) -> None:
    counts = constructed_counts(10_000, 10)
    ours, ours_s, ours_gb = measured(lambda: multi_gini(Table.from_counts(counts)))
    print(f"[1] multigroup Gini, N=10,000, K=10: kelisim {ours_s:.3f} s, {ours_gb:.3f} GB")
    if pysal_import is None:
        return
    from segregation.multigroup import MultiGini

    names = [f"g{k}" for k in range(10)]
    frame = pd.DataFrame(counts, columns=names)
    theirs, their_s, their_gb = measured(lambda: MultiGini(frame, names).statistic)
    print(
        f"    PySAL {their_s:.2f} s (+ {pysal_import:.2f} s import), {their_gb:.2f} GB -> kelisim "
        f"is {their_s / ours_s:.0f}x faster ({(their_s + pysal_import) / ours_s:.0f}x cold), "
        f"uses {their_gb / ours_gb:.0f}x less memory (|diff| {abs(ours - theirs):.1e})"
    )


SINGLE = {
    "dissimilarity": "Dissim",
    "gini": "Gini",
    "theil_h": "Entropy",
    "atkinson": "Atkinson",
    "isolation": "Isolation",
    "interaction": "Interaction",
    "correlation_ratio": "CorrelationR",
    "concentration_profile": "ConProf",
    "min_max": "MinMax",
    "density_corrected_dissimilarity": "DensityCorrectedDissim",
    "modified_dissimilarity": "ModifiedDissim",
    "modified_gini": "ModifiedGini",
    "bias_corrected_dissimilarity": "BiasCorrectedDissim",
}
# PySAL runs these on one group (density-corrected D: on its first 1,000 areas, as it solves
# one optimisation per area) and the time is scaled up to all groups and areas.
SLOW = {"density_corrected_dissimilarity", "modified_dissimilarity", "modified_gini",
        "bias_corrected_dissimilarity"}
PER_AREA_SLOW = {"density_corrected_dissimilarity": 1_000}
MULTI = {
    "multi_dissimilarity": "MultiDissim",
    "multi_gini": "MultiGini",
    "multi_theil_h": "MultiInfoTheory",
    "mutual_information": "MultiDivergence",
    "multi_normalized_exposure": "MultiNormExposure",
    "multi_relative_diversity": "MultiRelativeDiversity",
    "multi_squared_cv": "MultiSquaredCoefVar",
    "simpson_concentration": "SimpsonsConcentration",
    "simpson_interaction": "SimpsonsInteraction",
    "entropy": "MultiDiversity",
}


def _pysal_call(index: str, frame: pd.DataFrame, names: list[str], draws: int):
    import segregation.multigroup as multi
    import segregation.singlegroup as single

    if index in MULTI:
        return lambda: getattr(multi, MULTI[index])(frame, names)
    cls = getattr(single, SINGLE[index])
    kwargs = {"iterations": draws} if index.startswith("modified") else {}
    kwargs = {"B": draws} if index == "bias_corrected_dissimilarity" else kwargs
    rows = frame.iloc[: PER_AREA_SLOW.get(index, len(frame))]
    groups = names[:1] if index in SLOW else names

    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in groups:
                cls(rows, name, "total", **kwargs)

    return call


def bench_every_index(pysal_import: float | None, draws: int) -> None:
    areas, groups = 10_000, 10
    counts = constructed_counts(areas, groups, seed=1)
    names = [f"g{k}" for k in range(groups)]
    frame = pd.DataFrame(counts, columns=names).assign(total=counts.sum(axis=1))
    print(
        f"[2] every index, N={areas:,}, K={groups}, all groups ({draws} draws for the random "
        "corrections). Seconds: first call / best of 3; PySAL's first call includes its numba "
        "JIT, and its import is added to its first index; '~' = scaled from a subset"
    )
    cold = pysal_import or 0.0
    for index in [*SINGLE, *MULTI]:
        first, best = timed(
            lambda index=index: segregation_indices(
                counts, names, index, simulations=draws, draws=draws
            )
        )
        line = f"    {index:32s} kelisim {first:7.4f} / {best:7.4f}"
        if pysal_import is not None:
            their_first, their_best = timed(_pysal_call(index, frame, names, draws))
            scale = (groups if index in SLOW else 1) * areas / PER_AREA_SLOW.get(index, areas)
            their_first, their_best = their_first * scale + cold, their_best * scale
            cold = 0.0
            mark = "~" if scale > 1 else " "
            line += (
                f"  PySAL {mark}{their_first:8.3f} / {their_best:8.3f}"
                f"  ratio cold {their_first / first:7.1f}x  warm {their_best / best:7.1f}x"
            )
        print(line, flush=True)


def bench_suite(areas: int, groups: int, draws: int) -> None:
    counts = constructed_counts(areas, groups, seed=2)
    names = [f"g{k}" for k in range(groups)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table, seconds, peak = measured(
            segregation_indices, counts, names, list(DETERMINISTIC_INDICES)
        )
        print(
            f"[3] whole deterministic suite ({len(DETERMINISTIC_INDICES)} indices, "
            f"{len(table):,} values), N={areas:,}, K={groups}: {seconds:.1f} s, "
            f"peak {peak:.2f} GB (goal < 60 s, < 4 GB)"
        )
        _, seconds, peak = measured(
            segregation_indices, counts, names, list(RANDOM_INDICES),
            simulations=draws, draws=draws,
        )
    print(
        f"    random-allocation and bias corrections ({draws} simulations and {draws} "
        f"redraws each, all groups): {seconds:.1f} s, peak {peak:.2f} GB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite-areas", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=130)
    parser.add_argument("--draws", type=int, default=10, help="simulations for corrections")
    parser.add_argument("--skip-pysal", action="store_true")
    args = parser.parse_args()
    pysal_import = None if args.skip_pysal else pysal_import_seconds()
    bench_multigroup_gini(pysal_import)
    bench_every_index(pysal_import, args.draws)
    bench_suite(args.suite_areas, args.groups, args.draws)


if __name__ == "__main__":
    main()
