"""Composition: dense counts from tidy frames and back."""

import numpy as np
import pandas as pd
import pytest

from kelisim.core.composition import Composition
from kelisim.errors import ArgumentError


def test_from_long_skips_total_and_fills_missing_with_zero():
    # constructed frame
    frame = pd.DataFrame({
        "area": ["a", "a", "a", "b"], "group": ["x", "y", "total", "y"],
        "period": 2021, "count": [3.0, 1.0, 4.0, 4.0],
    })
    c = Composition.from_long(frame)
    assert c.areas == ("a", "b") and c.groups == ("x", "y") and c.period == 2021
    np.testing.assert_array_equal(c.counts, [[3, 1], [0, 4]])
    np.testing.assert_allclose(c.shares, [[0.75, 0.25], [0, 1]])
    back = c.to_long()
    assert list(back.columns) == ["area", "group", "period", "count"]
    assert back["count"].sum() == 8


def test_several_periods_need_a_choice():
    frame = pd.DataFrame({"area": ["a", "a"], "group": ["x", "x"], "period": [1, 2],
                          "count": [1.0, 2.0]})
    with pytest.raises(ArgumentError):
        Composition.from_long(frame)
    assert Composition.from_long(frame, period=2).counts[0, 0] == 2


def test_negative_counts_rejected():
    with pytest.raises(ArgumentError):
        Composition(np.array([[-1.0]]), ("a",), ("x",))
