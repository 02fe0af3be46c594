"""Aspatial segregation indices: closed forms, hand computations, properties and bad input.

All count tables here are constructed for the tests (small hand-made or seeded random arrays).
Closed forms follow Massey & Denton (1988), Social Forces 67(2):281 and Reardon & Firebaugh
(2002), Sociological Methodology 32:33; two-area values are computed by hand below.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kelisim.errors import ArgumentError, InputError
from kelisim.measure import segregation_table
from kelisim.measure.aspatial import (
    DETERMINISTIC_INDICES,
    Table,
    _folded_normal_mode,
    concentration_profile,
    concentration_profile_curve,
    counts_from_long,
    dissimilarity,
    gini,
    multi_gini,
    segregation_indices,
)

SCALE_FREE = [n for n in DETERMINISTIC_INDICES if n != "density_corrected_dissimilarity"]


def values(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(r.index, r.group): r.value for r in frame.itertuples(index=False)}


def test_complete_segregation_scores_one():
    counts = np.array([[50, 0, 0], [0, 30, 0], [0, 0, 20], [10, 0, 0]])
    out = values(segregation_indices(counts, ["a", "b", "c"], "all", simulations=20, draws=20))
    for name in ("dissimilarity", "gini", "theil_h", "atkinson", "isolation",
                 "correlation_ratio", "min_max", "modified_dissimilarity", "modified_gini"):
        for g in "abc":
            assert out[(name, g)] == pytest.approx(1.0), (name, g)
    for g in "abc":
        assert out[("interaction", g)] == pytest.approx(0.0)
    for name in ("multi_dissimilarity", "multi_gini", "multi_theil_h",
                 "multi_normalized_exposure", "multi_relative_diversity", "multi_squared_cv"):
        assert out[(name, "")] == pytest.approx(1.0), name
    # Complete segregation: M equals the group entropy (Theil & Finizza 1971).
    assert out[("mutual_information", "")] == pytest.approx(out[("entropy", "")])


def test_evenness_scores_zero():
    counts = np.array([[10, 20, 5], [20, 40, 10], [4, 8, 2]])
    out = values(segregation_indices(counts, ["a", "b", "c"]))
    shares = counts.sum(axis=0) / counts.sum()
    for (name, g), v in out.items():
        if name in ("dissimilarity", "gini", "theil_h", "atkinson", "correlation_ratio",
                    "min_max", "concentration_profile") or name.startswith("multi_"):
            assert v == pytest.approx(0.0, abs=1e-12), (name, g)
        if name == "mutual_information":
            assert v == pytest.approx(0.0, abs=1e-12)
    for k, g in enumerate("abc"):
        assert out[("isolation", g)] == pytest.approx(shares[k])
        assert out[("interaction", g)] == pytest.approx(1 - shares[k])


def test_two_areas_by_hand():
    # Group a: 30 of 40 in area 1, 10 of 60 in area 2; T = 100, P = 0.4.
    counts = np.array([[30, 10], [10, 50]])
    out = values(segregation_indices(counts, ["a", "b"]))
    p1, p2, P = 0.75, 1 / 6, 0.4
    d = (40 * (p1 - P) + 60 * (P - p2)) / (2 * 100 * P * (1 - P))
    assert out[("dissimilarity", "a")] == pytest.approx(d)  # = 0.58333...
    assert out[("dissimilarity", "b")] == pytest.approx(d)
    # With two areas the Gini equals D: 2 t1 t2 |p1 - p2| / (2 T^2 P (1 - P)).
    assert out[("gini", "a")] == pytest.approx(40 * 60 * (p1 - p2) / (100**2 * P * (1 - P)))
    assert out[("isolation", "a")] == pytest.approx((30 * p1 + 10 * p2) / 40)
    assert out[("interaction", "a")] == pytest.approx((30 * (1 - p1) + 10 * (1 - p2)) / 40)
    eta = ((30 * p1 + 10 * p2) / 40 - P) / (1 - P)
    assert out[("correlation_ratio", "a")] == pytest.approx(eta)
    e = -(P * math.log(P) + (1 - P) * math.log(1 - P))
    ei = [-(p * math.log(p) + (1 - p) * math.log(1 - p)) for p in (p1, p2)]
    h = (40 * (e - ei[0]) + 60 * (e - ei[1])) / (e * 100)
    assert out[("theil_h", "a")] == pytest.approx(h)
    assert out[("multi_theil_h", "")] == pytest.approx(h)  # two groups: H is symmetric
    b = 0.3
    inner = (40 * (1 - p1) ** (1 - b) * p1**b + 60 * (1 - p2) ** (1 - b) * p2**b) / (P * 100)
    a_hand = 1 - P / (1 - P) * inner ** (1 / (1 - b))
    atk = values(segregation_indices(counts, ["a", "b"], "atkinson", b=b))
    assert atk[("atkinson", "a")] == pytest.approx(a_hand)
    mm = 1 - (min(30 / 40, 10 / 60) + min(10 / 40, 50 / 60)) / (
        max(30 / 40, 10 / 60) + max(10 / 40, 50 / 60)
    )
    assert out[("min_max", "a")] == pytest.approx(mm)


def test_gini_matches_pairwise_definition():
    # Independent implementation: the O(N^2) double sum of Massey & Denton (1988), p. 285.
    rng = np.random.default_rng(3)
    counts = rng.poisson(rng.gamma(0.6, size=(80, 5)) * 40)
    tab = Table.from_counts(counts)
    t, p, P = tab.t, tab.area_shares, tab.overall_shares
    pairwise = (t[:, None, None] * t[None, :, None] * np.abs(p[:, None] - p[None, :])).sum((0, 1))
    np.testing.assert_allclose(gini(tab), pairwise / (2 * tab.total**2 * P * (1 - P)), rtol=1e-12)
    multi = pairwise.sum() / (2 * tab.total**2 * (P * (1 - P)).sum())
    assert multi_gini(tab) == pytest.approx(multi, rel=1e-12)


def test_concentration_profile_exact_is_the_limit_of_the_grid():
    rng = np.random.default_rng(4)
    tab = Table.from_counts(rng.poisson(rng.gamma(0.6, size=(60, 3)) * 40))
    exact = concentration_profile(tab)
    np.testing.assert_allclose(concentration_profile(tab, grid=200_001), exact, atol=2e-5)
    curve = concentration_profile_curve(tab, np.array([0.0, 1.0 + 1e-9]))
    np.testing.assert_allclose(curve, [[1.0] * 3, [0.0] * 3])


def test_folded_normal_mode_solves_its_equation():
    # Independent check with Brent's root finder on u = theta tanh(theta u), Allen et al. (2015).
    from scipy.optimize import brentq

    theta = np.array([0.2, 1.0, 1.001, 1.3, 2.0, 7.5, 40.0])
    mode = _folded_normal_mode(theta)
    for th, m in zip(theta, mode, strict=True):
        expected = 0.0 if th <= 1 else brentq(lambda u, th=th: u - th * math.tanh(th * u), 1e-9, th)
        assert m == pytest.approx(expected, abs=1e-7)


def test_exact_random_allocation_dissimilarity_matches_enumeration_and_simulation():
    # Carrington & Troske (1997): E[D] under random allocation. With areas of 10 persons and
    # P = 0.5, E[D] = 2 E|k/10 - 1/2|, k ~ Binomial(10, 1/2), enumerated here; with unequal
    # sizes the closed form (de Moivre's mean absolute deviation) is checked against a
    # direct enumeration per area and against the seeded simulation.
    from scipy.stats import binom

    from kelisim.measure.aspatial import expected_random_dissimilarity, simulated_random_mean

    ks = np.arange(11)
    expected_d = 2 * (binom.pmf(ks, 10, 0.5) * np.abs(ks / 10 - 0.5)).sum()
    even = Table.from_counts(np.array([[5, 5]] * 50))
    assert expected_random_dissimilarity(even)[0] == pytest.approx(expected_d, rel=1e-12)
    sizes = np.array([1, 3, 7, 20, 55, 140, 400])
    counts = np.column_stack([np.round(sizes * 0.3), sizes - np.round(sizes * 0.3)])
    tab = Table.from_counts(counts)
    P = tab.overall_shares
    enumerated = [
        sum(binom.pmf(k, n, P) * np.abs(k - n * P) for k in range(n + 1)) for n in sizes
    ]
    by_hand = np.sum(enumerated, axis=0) / (2 * sizes.sum() * P * (1 - P))
    np.testing.assert_allclose(expected_random_dissimilarity(tab), by_hand, rtol=1e-10)
    many = Table.from_counts(np.tile(counts, (300, 1)))
    simulated = simulated_random_mean(many, dissimilarity, 40, np.random.default_rng(0).spawn(2))
    np.testing.assert_allclose(simulated, expected_random_dissimilarity(many), rtol=0.01)


def test_random_corrections_are_seeded_and_near_zero_under_random_allocation():
    rng = np.random.default_rng(5)
    t = rng.integers(20, 200, size=300)
    counts = rng.multinomial(t, [0.5, 0.3, 0.2])
    names = ["a", "b", "c"]
    wanted = "modified_dissimilarity,modified_gini,bias_corrected_dissimilarity"
    first = segregation_indices(counts, names, wanted, simulations=30, draws=30, seed=7)
    again = segregation_indices(counts, names, wanted, simulations=30, draws=30, seed=7)
    pd.testing.assert_frame_equal(first, again)
    modified = first[first["index"].str.startswith("modified")]
    assert modified["value"].abs().max() < 0.02
    plain = values(segregation_indices(counts, names, "dissimilarity"))
    corrected = values(first)
    for g in names:  # D is biased upwards under random allocation; the correction lowers it
        assert corrected[("bias_corrected_dissimilarity", g)] < plain[("dissimilarity", g)]


count_tables = arrays(
    np.int64,
    st.tuples(st.integers(2, 12), st.integers(2, 5)),
    elements=st.integers(0, 60),
).filter(lambda a: (a.sum(axis=0) > 0).all() and (a.sum(axis=1) > 0).all())


@settings(max_examples=40, deadline=None)
@given(count_tables, st.randoms(use_true_random=False), st.floats(0.01, 1000))
def test_invariant_to_area_order_and_count_scale(counts, random, scale):
    names = [f"g{k}" for k in range(counts.shape[1])]
    base = segregation_indices(counts, names, SCALE_FREE)["value"].to_numpy()
    order = list(range(counts.shape[0]))
    random.shuffle(order)
    shuffled = segregation_indices(counts[order], names, SCALE_FREE)["value"].to_numpy()
    scaled = segregation_indices(counts * scale, names, SCALE_FREE)["value"].to_numpy()
    np.testing.assert_allclose(shuffled, base, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scaled, base, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(count_tables)
def test_bounds(counts):
    out = segregation_indices(counts, None, [n for n in SCALE_FREE if n != "polarization_er"])
    # Hong & Sadahiro's R is not bounded by 1: counts [[3, 0], [1, 1]] give group 0 (P = 0.8)
    # R = (0.8 - 0.725 + 0.15) / 0.2 = 1.125 (worked by hand; PySAL's ConProf agrees)
    unbounded = ["entropy", "effective_groups", "mutual_information", "concentration_profile"]
    unit = out[~out["index"].isin(unbounded)]
    assert ((unit["value"] >= -1e-12) & (unit["value"] <= 1 + 1e-12)).all()
    v = values(out)
    assert 0 <= v[("mutual_information", "")] <= v[("entropy", "")] + 1e-12
    assert 1 <= v[("effective_groups", "")] <= counts.shape[1] + 1e-9


def test_zero_population_areas_are_ignored():
    counts = np.array([[10, 2], [0, 0], [3, 9]])
    with_empty = segregation_indices(counts, ["a", "b"], SCALE_FREE)
    without = segregation_indices(counts[[0, 2]], ["a", "b"], SCALE_FREE)
    pd.testing.assert_frame_equal(with_empty, without)


def test_empty_group_is_nan_with_warning_and_left_out_of_multigroup():
    counts = np.array([[10, 0, 2], [3, 0, 9]])
    with pytest.warns(RuntimeWarning, match="b"):
        out = values(segregation_indices(counts, ["a", "b", "c"]))
    assert math.isnan(out[("dissimilarity", "b")])
    reduced = values(segregation_indices(counts[:, [0, 2]], ["a", "c"]))
    for name in ("multi_gini", "multi_theil_h", "multi_squared_cv", "mutual_information"):
        assert out[(name, "")] == pytest.approx(reduced[(name, "")])


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        (np.array([[1.0, np.nan], [2, 3]]), "not a number"),
        (np.array([[1, -2], [2, 3]]), "negative"),
        (np.array([[1], [2]]), "at least two groups"),
        (np.array([[1, 0], [2, 0]]), "at least two groups"),
        (np.zeros((2, 2)), "at least two groups"),
        (np.array([1, 2, 3]), "2-D"),
    ],
)
def test_bad_counts_raise(counts, message):
    with pytest.raises(ArgumentError, match=message):
        segregation_indices(counts)


def test_bad_parameters_raise():
    counts = np.array([[10, 2], [3, 9]])
    with pytest.raises(ArgumentError, match="Atkinson"):
        segregation_indices(counts, indices="atkinson", b=1.0)
    with pytest.raises(ArgumentError, match="unknown index"):
        segregation_indices(counts, indices="dissimilarty")
    with pytest.raises(ArgumentError, match="alpha"):
        segregation_indices(counts, indices="polarization_er", alpha=3.0)


def test_long_frame_entry_point_and_its_checks():
    frame = pd.DataFrame(
        {
            "area": ["x", "x", "x", "y", "y", "y"],
            "group": ["kazakh", "russian", "total", "kazakh", "russian", "total"],
            "count": [30, 10, 40, 10, 50, 60],
        }
    )
    table = segregation_table(frame, indices=["dissimilarity"])
    assert table["group"].tolist() == ["kazakh", "russian"]
    assert table["value"].iloc[0] == pytest.approx(0.58333333333)
    over = frame.assign(count=[30, 20, 40, 10, 50, 60])
    with pytest.raises(InputError, match="above its total"):
        counts_from_long(over)
    short = frame.assign(count=[30, 5, 40, 10, 50, 60])
    with pytest.warns(RuntimeWarning, match="residual"):
        _, _, groups = counts_from_long(short)
    assert groups[-1] == "residual"
    with pytest.raises(InputError, match="row 4"):
        counts_from_long(frame.assign(count=["30", "10", "x", "10", "50", "60"]))
    with pytest.raises(InputError, match="twice"):
        counts_from_long(pd.concat([frame, frame.iloc[[0]]], ignore_index=True))
    with pytest.raises(InputError, match="negative"):
        counts_from_long(frame.assign(count=[30, -1, 40, 10, 50, 60]))


def test_wide_frame_columns_name_the_groups():
    wide = pd.DataFrame({"kazakh": [30, 10], "russian": [10, 50]})
    out = segregation_indices(wide, indices="isolation")
    assert out["group"].tolist() == ["kazakh", "russian"]


def _multinomial_outcomes(n: int, p: np.ndarray):
    """Every outcome of Multinomial(n, p) with its probability (enumeration, small n only)."""
    from itertools import combinations_with_replacement

    from scipy.stats import multinomial

    for cells in combinations_with_replacement(range(len(p)), n):
        outcome = np.bincount(cells, minlength=len(p))
        yield outcome, multinomial.pmf(outcome, n, p)


def test_bias_corrected_dissimilarity_matches_enumerated_multinomial_redraws():
    # Allen et al. (2015), Econom J 18(1):40, eq. 9: D_bc = 2 D - E[D(b)], b redraws of the
    # group's and the rest's multinomial distributions over areas. Constructed 4-area table;
    # E[D(b)] enumerated over every pair of multinomial outcomes; kelisim's estimator (exact
    # where a_i or b_i is 0, independent per-area binomials elsewhere) must agree within its
    # Monte-Carlo error at 4,000 draws.
    from kelisim.measure.aspatial import _bias_corrected_dissimilarity

    counts = np.array([[3, 1], [0, 2], [1, 0], [2, 3]])
    group, rest = counts[:, 0], counts[:, 1]
    a, b = group / group.sum(), rest / rest.sum()
    enumerated = sum(
        pa * pb * 0.5 * np.abs(ga / group.sum() - rb / rest.sum()).sum()
        for ga, pa in _multinomial_outcomes(int(group.sum()), a)
        for rb, pb in _multinomial_outcomes(int(rest.sum()), b)
    )
    tab = Table.from_counts(counts)
    D = dissimilarity(tab)[0]
    rngs = np.random.default_rng(3).spawn(2)
    estimated = _bias_corrected_dissimilarity(tab, 4000, rngs)[0]
    assert 2 * D - estimated == pytest.approx(enumerated, abs=0.006)  # ~3 standard errors


def test_bias_corrected_dissimilarity_is_exact_without_shared_areas():
    # Complete segregation: every area has a_i = 0 or b_i = 0, so every redraw keeps D(b) = 1
    # and D_bc = 2 * 1 - 1 = 1 exactly, whatever the draws.
    from kelisim.measure.aspatial import _bias_corrected_dissimilarity

    tab = Table.from_counts(np.array([[5, 0], [0, 7], [2, 0]]))
    rngs = np.random.default_rng(0).spawn(2)
    np.testing.assert_array_equal(_bias_corrected_dissimilarity(tab, 2, rngs), [1.0, 1.0])


def test_packed_share_order_matches_argsort_on_whole_counts():
    # The Gini's integer-key sort (whole counts) against the float argsort path: the same
    # half-sums for the same table given as whole counts and scaled by a non-integer factor.
    rng = np.random.default_rng(4)
    counts = rng.poisson(rng.gamma(0.5, 30, size=(2000, 6)))
    counts[counts.sum(axis=1) == 0, 0] = 1
    np.testing.assert_allclose(
        gini(Table.from_counts(counts)), gini(Table.from_counts(counts * 1.37)), rtol=1e-12
    )
