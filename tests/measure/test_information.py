"""Theil's M and H: decomposition, local scores and two-table change (constructed tables).

Checks follow the identities of Theil & Finizza (1971), Mora & Ruiz-Castillo (2011, Sociol
Methodol 41:159) and Elbers (2023, Sociol Methods Res 52:3), which R `segregation`'s own tests
assert: total = between + within, sum of weighted local scores = M, diff = sum of components,
and swapping the two tables negates every component. Two-area values are computed by hand.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kelisim.errors import ArgumentError
from kelisim.measure.information import (
    decompose,
    ipf,
    local_scores,
    mutual_difference,
    mutual_information,
    theil_h,
    within_scores,
)


def test_two_area_hand_values():
    assert mutual_information(np.array([[5, 0], [0, 5]])) == pytest.approx(math.log(2))
    assert theil_h(np.array([[5, 0], [0, 5]])) == pytest.approx(1.0)
    # [[30, 10], [10, 50]]: M = sum p_ik ln(p_ik / (p_i p_k)).
    joint = np.array([[30, 10], [10, 50]]) / 100
    rows, cols = joint.sum(1), joint.sum(0)
    by_hand = sum(
        joint[i, k] * math.log(joint[i, k] / (rows[i] * cols[k]))
        for i in range(2)
        for k in range(2)
    )
    assert mutual_information(np.array([[30, 10], [10, 50]])) == pytest.approx(by_hand)


tables = arrays(
    np.int64, st.tuples(st.integers(2, 15), st.integers(2, 5)), elements=st.integers(0, 50)
).filter(lambda a: (a.sum(axis=0) > 0).sum() >= 2 and (a.sum(axis=1) > 0).all())


@settings(max_examples=50, deadline=None)
@given(tables, st.data())
def test_between_plus_within_is_total(counts, data):
    within = data.draw(
        st.lists(st.integers(0, 3), min_size=counts.shape[0], max_size=counts.shape[0])
    )
    parts = decompose(counts, within).set_index(["index", "component"])["value"]
    for index in ("mutual_information", "multi_theil_h"):
        total = parts[(index, "total")]
        assert parts[(index, "between")] + parts[(index, "within")] == pytest.approx(
            total, abs=1e-12
        )
    scores = within_scores(counts, within)
    assert scores["share"].sum() == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(tables)
def test_local_scores_sum_to_m(counts):
    areas, groups = local_scores(counts)
    m = mutual_information(counts)
    assert (areas["score"] * areas["weight"]).sum() == pytest.approx(m, abs=1e-12)
    assert np.nansum(groups["score"] * groups["weight"]) == pytest.approx(m, abs=1e-12)


def test_within_labels_are_checked():
    with pytest.raises(ArgumentError, match="one label per area"):
        decompose(np.array([[1, 2], [3, 4]]), ["a"])


def seeded(seed, shape=(12, 4)):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.poisson(rng.gamma(0.8, size=shape) * 40) + 1,
        index=[f"a{i}" for i in range(shape[0])],
        columns=[f"g{k}" for k in range(shape[1])],
    )


def test_difference_components_sum_and_are_antisymmetric():
    one, two = seeded(1), seeded(2)
    two = two.drop(index="a3").assign(g9=7)  # an area removed and a group added
    forward = mutual_difference(one, two).set_index("stat")["value"]
    parts = ["additions", "removals", "area_marginal", "group_marginal", "structural"]
    assert forward[parts].sum() == pytest.approx(forward["diff"], abs=1e-10)
    assert forward["diff"] == pytest.approx(forward["M2"] - forward["M1"])
    backward = mutual_difference(two, one).set_index("stat")["value"]
    for part in ("area_marginal", "group_marginal", "structural"):
        assert backward[part] == pytest.approx(-forward[part], abs=1e-9)


def test_margins_only_change_has_no_structural_part():
    one = seeded(3)
    target_rows = np.linspace(1, 3, one.shape[0])
    target_columns = np.array([5.0, 1.0, 1.0, 3.0])
    moved = ipf(one.to_numpy(), target_rows, target_columns) * 1e4
    two = pd.DataFrame(moved, index=one.index, columns=one.columns)
    out = mutual_difference(one, two).set_index("stat")["value"]
    assert out["structural"] == pytest.approx(0.0, abs=1e-9)
    assert out["additions"] == out["removals"] == 0.0
    same = mutual_difference(one, one * 3).set_index("stat")["value"]
    assert np.allclose(same.drop(["M1", "M2"]).to_numpy(), 0.0, atol=1e-12)
