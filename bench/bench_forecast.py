"""Forecast speed against the goals of issue 4 (run: `.venv/bin/python bench/bench_forecast.py`).

Goal 1: one deterministic run of 20 areas x 130 groups x 101 single ages x 2 sexes x 50 years
in under 0.5 s (a plain numpy loop was measured at 0.15 s without switching, 0.28 s with dense
switching). Goal 2: 1,000 Monte Carlo draws in under 5 minutes on 2 cores and under 2 GB; the
machine is shared, so 50 draws are timed and the 1,000-draw figure is extrapolated (labelled).
The inputs are constructed (random but plausible rates), not data.
"""

from __future__ import annotations

import resource
import time

import numpy as np

from kelisim.forecast.engine import Rates, project

AREAS, GROUPS, AGES, SEXES, YEARS = 20, 130, 101, 2, 50


def constructed_rates(rng: np.random.Generator, switching: str) -> tuple[np.ndarray, Rates]:
    """A constructed national-scale problem: population, survival, fertility, migration."""
    population = rng.uniform(0, 500, (AREAS, GROUPS, SEXES, AGES))
    mortality = 0.0005 * np.exp(0.085 * np.arange(AGES + 1))
    survival = np.broadcast_to(np.clip(1 - mortality, 0.0, 0.999), (AREAS, GROUPS, SEXES, AGES + 1))
    fertility = np.zeros((AREAS, GROUPS, AGES))
    fertility[:, :, 15:50] = rng.uniform(0.0, 0.12, (AREAS, GROUPS, 35))
    destination = rng.uniform(size=(AREAS, AREAS))
    np.fill_diagonal(destination, 0)
    destination /= destination.sum(axis=1, keepdims=True)
    out_migration = np.full((AREAS, GROUPS, SEXES, AGES), 0.01)
    international = rng.normal(0, 2, (AREAS, GROUPS, SEXES, AGES))
    rates = {"dense": rng.uniform(0, 1e-4, (GROUPS, GROUPS)),
             "sparse": np.diag(np.full(GROUPS - 1, 1e-3), 1), "none": None}[switching]
    return population, Rates(survival, fertility, out_migration=out_migration,
                             destination=destination, international=international,
                             switching=rates)


def best_of(function, repeats: int = 3) -> float:
    """Fastest of a few runs, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(20261124)
    print(f"deterministic run: {AREAS} areas x {GROUPS} groups x {AGES} ages x {SEXES} sexes "
          f"x {YEARS} years (goal < 0.5 s)")
    for switching in ("none", "sparse", "dense"):
        population, rates = constructed_rates(rng, switching)
        seconds = best_of(lambda p=population, r=rates: project(p, r, YEARS, 1.0))
        print(f"  switching {switching:6s}: {seconds:.3f} s  ({seconds / 0.5:.2f} x goal)")


if __name__ == "__main__":
    main()
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
