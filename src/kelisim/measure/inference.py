"""Inference for any index: multinomial bootstrap, permutation tests, two-table comparisons.

A statistic is a function counts[area, group] -> DataFrame(index, group, value) returning the
same rows for every input of the same shape, e.g. ``indices_statistic(names, 'all')``.
All randomness comes from the seed argument (an int or a ``numpy.random.Generator``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from kelisim.errors import ArgumentError
from kelisim.measure.aspatial import check_counts, segregation_indices

Statistic = Callable[[np.ndarray], pd.DataFrame]


def indices_statistic(
    names: Sequence[str] | None = None, indices: str | Sequence[str] | None = None, **params
) -> Statistic:
    """The statistic computing :func:`segregation_indices` with fixed names, indices, params."""

    def statistic(counts: np.ndarray) -> pd.DataFrame:
        return segregation_indices(counts, names, indices, **params)

    return statistic


def _values_or_nan(statistic: Statistic, counts: np.ndarray, size: int) -> np.ndarray:
    """The statistic's values; NaN when a redrawn table no longer defines it (e.g. one group)."""
    try:
        return statistic(counts)["value"].to_numpy(dtype=float)
    except ArgumentError:
        return np.full(size, np.nan)


def _check_level(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ArgumentError("confidence", f"must lie in (0, 1), got {confidence}")


def _check_replicates(replicates: int, argument: str) -> None:
    if replicates < 2:
        raise ArgumentError(argument, f"needs at least 2 replicates, got {replicates}")


def bootstrap_replicates(
    counts: np.ndarray, statistic: Statistic, replicates: int, seed
) -> tuple[pd.DataFrame, np.ndarray]:
    """Observed statistic and its values on `replicates` multinomial redraws of the table.

    Each redraw spreads round(T) persons over the area x group cells with probabilities
    n_ik / T (Efron & Tibshirani 1993, ch. 6; as R ``segregation``). Returns the observed
    frame and an array [replicates, rows].
    """
    _check_replicates(replicates, "--bootstrap")
    array, _ = check_counts(counts)
    rng = np.random.default_rng(seed)
    observed = statistic(array)
    persons = int(round(array.sum()))
    cell_shares = (array / array.sum()).ravel()
    values = np.empty((replicates, len(observed)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for r in range(replicates):
            draw = rng.multinomial(persons, cell_shares).reshape(array.shape)
            values[r] = _values_or_nan(statistic, draw, len(observed))
    return observed, values


def _bias_corrected(
    observed: np.ndarray, values: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Estimate 2 theta - mean(theta*), and percentile limits shifted by the same bias."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bias = np.nanmean(values, axis=0) - observed
        tail = (1.0 - confidence) / 2.0
        lower, upper = np.nanquantile(values, [tail, 1.0 - tail], axis=0)
        se = np.nanstd(values, axis=0, ddof=1)
    return observed - bias, lower - bias, upper - bias, se


def bootstrap(
    counts: np.ndarray,
    statistic: Statistic,
    replicates: int = 100,
    seed=0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Bias-corrected bootstrap estimates with confidence limits for every row of a statistic.

    Returns index, group, value (bias-corrected), lower, upper, estimate (uncorrected), bias,
    se. The limits are the percentile interval shifted by the estimated bias.
    """
    _check_level(confidence)
    observed, values = bootstrap_replicates(counts, statistic, replicates, seed)
    estimate = observed["value"].to_numpy(dtype=float)
    value, lower, upper, se = _bias_corrected(estimate, values, confidence)
    out = observed[["index", "group"]].copy()
    out["value"], out["lower"], out["upper"] = value, lower, upper
    out["estimate"], out["bias"], out["se"] = estimate, estimate - value, se
    return out


def permutation_test(
    counts: np.ndarray,
    statistic: Statistic,
    permutations: int = 999,
    seed=0,
) -> pd.DataFrame:
    """One-sided test of each index against evenness (random allocation of persons to areas).

    Null tables keep every area total and group total and place persons at random
    (Patefield 1981, AS 159, via ``scipy.stats.random_table``). p = (1 + #{null >= observed})
    / (permutations + 1). Returns index, group, value, null_mean, p_value. Counts must be
    whole persons.
    """
    from scipy.stats import random_table

    _check_replicates(permutations, "permutations")
    array, _ = check_counts(counts)
    if not np.allclose(array, np.rint(array)):
        raise ArgumentError("counts", "a permutation test needs whole-person counts")
    array = np.rint(array)
    observed = statistic(array)
    estimate = observed["value"].to_numpy(dtype=float)
    populated = array.sum(axis=1) > 0
    table = random_table(array[populated].sum(axis=1), array.sum(axis=0), seed=seed)
    null = np.empty((permutations, len(observed)))
    full = np.zeros_like(array)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for r, draw in enumerate(table.rvs(size=permutations)):
            full[populated] = draw
            null[r] = _values_or_nan(statistic, full, len(observed))
        null_mean = np.nanmean(null, axis=0)
    exceed = (null >= estimate - 1e-12 * np.abs(estimate)).sum(axis=0)
    out = observed.copy()
    out["null_mean"] = null_mean
    out["p_value"] = (1.0 + exceed) / (permutations + 1.0)
    return out


def compare(
    first: np.ndarray,
    second: np.ndarray,
    statistic: Statistic,
    replicates: int = 100,
    seed=0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compare two periods or places: second - first with a bias-corrected bootstrap interval.

    The two tables are redrawn independently; the statistic must return the same rows for both
    (same group names). Returns index, group, first, second, difference, lower, upper, p_value
    (two-sided share of bootstrap differences on the other side of zero, Efron & Tibshirani
    1993, ch. 16).
    """
    _check_level(confidence)
    rng = np.random.default_rng(seed)
    obs_one, values_one = bootstrap_replicates(first, statistic, replicates, rng)
    obs_two, values_two = bootstrap_replicates(second, statistic, replicates, rng)
    if not obs_one[["index", "group"]].equals(obs_two[["index", "group"]]):
        raise ArgumentError("second", "the two tables give different index rows (group names?)")
    one = obs_one["value"].to_numpy(dtype=float)
    two = obs_two["value"].to_numpy(dtype=float)
    replicated = values_two - values_one
    difference, lower, upper, _ = _bias_corrected(two - one, replicated, confidence)
    bias = (two - one) - difference
    # Same shift as the interval: the p-value is the two-sided tail of zero in it.
    below = np.mean(replicated - bias <= 0, axis=0)
    out = obs_one[["index", "group"]].copy()
    out["first"], out["second"], out["difference"] = one, two, difference
    out["lower"], out["upper"] = lower, upper
    out["p_value"] = np.minimum(1.0, 2.0 * np.minimum(below, 1.0 - below))
    return out
