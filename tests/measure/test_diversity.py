"""Diversity and polarisation indices: closed forms on constructed compositions.

Closed forms: uniform shares over K groups give fractionalisation 1 - 1/K, entropy ln K and K
effective groups; Reynal-Querol (2002, J Conflict Resolut 46:29) is 1 for two equal groups;
Montalvo & Reynal-Querol (2005, AER 95:796, p. 798) show Esteban-Ray with alpha = 1 and k = 4
equals Reynal-Querol under discrete distances.
"""

import math

import numpy as np
import pandas as pd
import pytest

from kelisim.errors import ArgumentError
from kelisim.measure import diversity_by_area
from kelisim.measure.diversity import (
    diversity_indices,
    effective_groups,
    entropy,
    fractionalization,
    polarization_er,
    polarization_rq,
    simpson_interaction,
)


@pytest.mark.parametrize("k", [2, 3, 7])
def test_uniform_shares(k):
    counts = np.full(k, 25.0)
    assert fractionalization(counts) == pytest.approx(1 - 1 / k)
    assert simpson_interaction(counts) == pytest.approx(1 - 1 / k)
    assert entropy(counts) == pytest.approx(math.log(k))
    assert entropy(counts, normalized=True) == pytest.approx(1.0)
    assert effective_groups(counts) == pytest.approx(k)


def test_polarisation_closed_forms():
    assert polarization_rq([50, 50]) == pytest.approx(1.0)
    assert polarization_rq([100, 0, 0]) == pytest.approx(0.0)
    assert polarization_rq([1] * 100) == pytest.approx(4 * 100 * 1e-4 * 0.99)
    shares = np.array([0.5, 0.3, 0.15, 0.05])
    assert polarization_er(shares, alpha=1.0) == pytest.approx(polarization_rq(shares))
    assert polarization_er(shares, alpha=0.0) == pytest.approx(4 * fractionalization(shares))
    with pytest.raises(ArgumentError):
        polarization_er(shares, alpha=2.0)


def test_rows_are_areas_and_zero_entries_are_fine():
    counts = np.array([[10, 0, 0], [5, 5, 0], [0, 0, 0]])
    out = diversity_indices(counts)
    assert out["entropy"][0] == 0.0
    assert out["entropy"][1] == pytest.approx(math.log(2))
    assert np.isnan(out["fractionalization"][2])


def test_diversity_by_area_is_tidy():
    frame = pd.DataFrame(
        {"area": ["x", "x", "y"], "group": ["kazakh", "russian", "kazakh"], "count": [5, 5, 8]}
    )
    out = diversity_by_area(frame, indices=["entropy", "effective_groups"])
    assert list(out.columns) == ["area", "index", "value"]
    got = {(r.area, r.index): r.value for r in out.itertuples()}
    assert got[("x", "entropy")] == pytest.approx(math.log(2))
    assert got[("y", "effective_groups")] == pytest.approx(1.0)
    with pytest.raises(ArgumentError):
        diversity_by_area(frame, indices=["dissimilarity"])
