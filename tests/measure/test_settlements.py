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


# Enclaves among settlement points. CONSTRUCTED: a 7 x 7 grid of settlements 0.05 degrees
# apart near Kordai (lat 43, lon 74.5); group a is planted in the 3 x 3 block of the first
# rows and columns, elsewhere only group b lives.
SIDE = 7
GRID_LAT = 43.0 + 0.05 * (np.arange(SIDE * SIDE) // SIDE)
GRID_LON = 74.5 + 0.05 * (np.arange(SIDE * SIDE) % SIDE)
BLOCK = (np.arange(SIDE * SIDE) // SIDE < 3) & (np.arange(SIDE * SIDE) % SIDE < 3)


def test_point_weights_match_libpysal_nearest_neighbours_on_the_sphere():
    """Independent reference: libpysal's KNN with arc distances (radius = the Earth's)."""
    libpysal = pytest.importorskip("libpysal")
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(40.6, 55.4, 80), rng.uniform(46.5, 87.3, 80)
    ours = settlements.point_weights(np.arange(80), lat, lon, 5)
    theirs = libpysal.weights.KNN(np.column_stack([lon, lat]), k=5, radius=6371.0)
    assert abs(ours.matrix - theirs.sparse).sum() == 0
    assert ours.spec == "knn:5"


def test_planted_block_is_the_only_enclave():
    from kelisim.measure.enclaves import find_enclaves
    from kelisim.measure.weights import SpatialWeights

    libpysal = pytest.importorskip("libpysal")
    rng = np.random.default_rng(5)
    counts = np.column_stack([np.where(BLOCK, 300, 0), rng.integers(200, 400, SIDE * SIDE)])
    ids = np.array([f"31483{100 + i:03d}0" for i in range(SIDE * SIDE)])
    found = settlements.settlement_enclaves(counts, ["a", "b"], ids, GRID_LAT, GRID_LON,
                                            neighbours=6, seed=0)
    members = found.members[found.members["group"] == "a"]
    assert set(members["area"]) <= set(ids[BLOCK])
    assert ids[SIDE + 1] in set(members["area"])  # the block's centre
    assert members["enclave"].nunique() == 1
    # the same kernel on weights built independently (libpysal) gives the same enclaves
    knn = libpysal.weights.KNN(np.column_stack([GRID_LON, GRID_LAT]), k=6, radius=6371.0)
    theirs = find_enclaves(counts.astype(float), SpatialWeights(knn.sparse.tocsr(), ids,
                                                                "knn:6"), names=["a", "b"])
    pd.testing.assert_frame_equal(found.members, theirs.members)


def test_too_few_points_is_a_clear_error():
    from kelisim.errors import ArgumentError

    with pytest.raises(ArgumentError, match="knn needs 0 < K"):
        settlements.point_weights(np.arange(3), [43.0, 43.1, 43.2], [74.0, 74.1, 74.2], 6)
