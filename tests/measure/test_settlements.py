"""Settlement-level M and H (kelisim.measure.settlements) on cases computed by hand.

District a: two settlements each holding one group only (complete segregation, H = 1);
district b: two settlements with the overall mix (H = 0). Region r: the districts have the
same mix, so between = 0 and within = p_a H_a + p_b H_b = 0.5 (Theil & Finizza 1971:
H_total = H_between + sum of population-and-entropy-weighted H within).
"""

import doctest

import numpy as np
import pandas as pd
import pytest

from kelisim.measure import settlements
from kelisim.measure.information import decompose
from kelisim.measure.settlements import nested_segregation


def test_hand_computed_case():
    counts = np.array([[10, 0], [0, 10], [5, 5], [5, 5], [0, 0]])  # the last is uninhabited
    units = pd.DataFrame({"district": ["a", "a", "b", "b", "b"], "region": ["r"] * 5})
    table = nested_segregation(counts, units).set_index(["area", "index", "component"])
    h = table.xs("multi_theil_h", level="index")["value"]
    assert h[("a", "total")] == pytest.approx(1.0)
    assert h[("b", "total")] == pytest.approx(0.0)
    assert h[("r", "total")] == pytest.approx(0.5)
    assert h[("r", "between")] == pytest.approx(0.0)
    assert h[("r", "within")] == pytest.approx(0.5)
    m = table.xs("mutual_information", level="index")["value"]
    assert m[("r", "total")] == pytest.approx(0.5 * np.log(2))  # M = H * ln 2 for 2 groups
    assert table.loc[("b", "multi_theil_h", "total"), "settlements"] == 2


def test_agrees_with_the_information_decomposition():
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 50, size=(30, 4))
    district = np.repeat(["d1", "d2", "d3"], 10)
    units = pd.DataFrame({"district": district, "region": "r"})
    table = nested_segregation(counts, units)
    region = table[table["area"] == "r"].set_index(["index", "component"])["value"]
    expected = decompose(counts, district).set_index(["index", "component"])["value"]
    pd.testing.assert_series_equal(region.sort_index(), expected.sort_index(),
                                   check_names=False)


def test_docstring_example():
    assert doctest.testmod(settlements).failed == 0
