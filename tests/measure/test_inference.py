"""Bootstrap, permutation tests and comparisons on constructed seeded tables.

Expected behaviour follows Efron & Tibshirani (1993, An Introduction to the Bootstrap, ch. 10
bias correction, ch. 13 percentile intervals) and, for the small-unit upward bias of D,
Allen et al. (2015, Econometrics Journal 18:40).
"""

import numpy as np
import pandas as pd
import pytest

from kelisim.errors import ArgumentError
from kelisim.measure.inference import bootstrap, compare, indices_statistic, permutation_test

NAMES = ["a", "b", "c"]


def table(seed, areas=60, mean=30):
    rng = np.random.default_rng(seed)
    return rng.poisson(rng.gamma(0.7, size=(areas, 3)) * mean)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    stat = indices_statistic(NAMES, "dissimilarity,multi_theil_h")
    first = bootstrap(table(1), stat, replicates=60, seed=3)
    again = bootstrap(table(1), stat, replicates=60, seed=3)
    pd.testing.assert_frame_equal(first, again)
    assert (first["lower"] < first["value"]).all() and (first["value"] < first["upper"]).all()
    assert np.allclose(first["value"], first["estimate"] - first["bias"])


def test_bias_correction_lowers_d_for_small_areas():
    # Random allocation in areas of ~6 persons: D is biased upwards (Allen et al. 2015).
    rng = np.random.default_rng(4)
    counts = rng.multinomial(rng.integers(3, 10, size=200), [0.5, 0.3, 0.2])
    out = bootstrap(counts, indices_statistic(NAMES, "dissimilarity"), replicates=60, seed=1)
    assert (out["bias"] > 0).all()
    assert (out["value"] < out["estimate"]).all()


def test_permutation_test_separates_segregation_from_evenness():
    stat = indices_statistic(NAMES, "dissimilarity")
    segregated = np.kron(np.eye(3, dtype=int), np.ones((5, 1), dtype=int)) * 20
    p = permutation_test(segregated, stat, permutations=99, seed=1)["p_value"]
    assert np.allclose(p, 0.01)
    rng = np.random.default_rng(6)
    even = rng.multinomial(np.full(50, 40), [0.4, 0.4, 0.2])
    p_even = permutation_test(even, stat, permutations=99, seed=1)["p_value"]
    assert (p_even > 0.01).all() and p_even.mean() > 0.2  # seeded: no false alarm here
    with pytest.raises(ArgumentError, match="whole-person"):
        permutation_test(even + 0.5, stat, permutations=9, seed=1)


def test_compare_two_periods():
    stat = indices_statistic(NAMES, "dissimilarity")
    same = compare(table(2), table(2), stat, replicates=40, seed=5)
    assert np.allclose(same["first"], same["second"])
    assert ((same["lower"] <= 0) & (same["upper"] >= 0)).all()
    segregated = np.kron(np.eye(3, dtype=int), np.ones((20, 1), dtype=int)) * 30
    apart = compare(table(2), segregated, stat, replicates=40, seed=5)
    assert (apart["lower"] > 0).all()
    assert (apart["p_value"] <= 0.05).all()


def test_bad_arguments():
    stat = indices_statistic(NAMES, "dissimilarity")
    with pytest.raises(ArgumentError):
        bootstrap(table(1), stat, replicates=1)
    with pytest.raises(ArgumentError):
        bootstrap(table(1), stat, replicates=10, confidence=1.5)
