"""Spatial segregation indices (kelisim.measure.spatial) on constructed jittered lattices.

References: every index PySAL segregation 2.5 defines is matched to 1e-9 (decay="pysal"
reproduces its distance-decay variant, quirks included); Massey & Denton's (1988, Social
Forces 67:281-315) c_ij = exp(-d_ij) family is checked against a direct dense
computation of their formulas; closed forms are worked by hand in each test.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist

from kelisim.errors import ArgumentError
from kelisim.measure.spatial import (
    DECAY_INDICES,
    SPATIAL_INDICES,
    decay_product,
    smooth_counts,
    spatial_indices,
)
from kelisim.measure.weights import kernel, weights_from_geometry
from spatial_grids import PYSAL_CLASSES, jittered_grid, synthetic_counts

SIDE = 8
N = SIDE * SIDE
POLYGONS = jittered_grid(SIDE, cell=100.0)
COUNTS = synthetic_counts(N, 3)
NAMES = ["a", "b", "c"]
QUEEN = weights_from_geometry(POLYGONS, np.arange(N), "queen", unit="metre")



def _values(table, group):
    return table[table.group == group].set_index("index")["value"]


@pytest.fixture(scope="module")
def pysal_values():
    singlegroup = pytest.importorskip("segregation.singlegroup")
    geopandas = pytest.importorskip("geopandas")
    libpysal = pytest.importorskip("libpysal")
    frame = geopandas.GeoDataFrame(
        {"x": COUNTS[:, 1], "t": COUNTS.sum(axis=1)}, geometry=list(POLYGONS), crs="EPSG:32642"
    )
    queen = libpysal.weights.Queen.from_dataframe(frame, use_index=False)
    values = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, name in PYSAL_CLASSES.items():
            graph = ("spatial_dissimilarity", "spatial_proximity_profile")
            extra = {"w": queen} if index in graph else {}
            values[index] = getattr(singlegroup, name)(frame, "x", "t", **extra).statistic
    return values


def test_every_index_pysal_defines_agrees_to_1e9(pysal_values):
    every = list(SPATIAL_INDICES) + ["spatial_proximity_profile"]
    ours = _values(spatial_indices(COUNTS, QUEEN, NAMES, every, decay="pysal"), "b")
    assert set(PYSAL_CLASSES) == set(every)
    for index, theirs in pysal_values.items():
        assert ours[index] == pytest.approx(theirs, abs=1e-9), index


def _dense_massey_denton(counts, coords, area, scale=1.0):
    """Massey & Denton (1988) eqs. for P_xx, SP, ACL, RCL, xPx*, xPy*, written out densely."""
    distance = cdist(coords, coords)
    np.fill_diagonal(distance, np.sqrt(0.6 * area))
    c = np.exp(-distance / scale)
    t = counts.sum(axis=1)
    out = {name: [] for name in DECAY_INDICES}
    n = len(t)
    for k in range(counts.shape[1]):
        x = counts[:, k]
        y = t - x
        big_x, big_y, big_t = x.sum(), y.sum(), t.sum()
        pxx = x @ c @ x / big_x**2
        pyy = y @ c @ y / big_y**2
        ptt = t @ c @ t / big_t**2
        out["spatial_proximity"].append((big_x * pxx + big_y * pyy) / (big_t * ptt))
        base = big_x / n**2 * c.sum()
        out["absolute_clustering"].append(
            ((x / big_x) @ (c @ x) - base) / ((x / big_x) @ (c @ t) - base)
        )
        out["relative_clustering"].append(pxx / pyy - 1)
        kernel_ij = c * t[None, :] / (c @ t)[:, None]
        out["distance_decay_isolation"].append((x / big_x) @ (kernel_ij @ (x / t)))
        out["distance_decay_interaction"].append((x / big_x) @ (kernel_ij @ (y / t)))
    return out


@pytest.mark.parametrize("scale", [50.0, 150.0, 1000.0])
def test_massey_denton_family_matches_direct_dense_formulas(scale):
    expected = _dense_massey_denton(COUNTS, QUEEN.coords, QUEEN.area, scale)
    table = spatial_indices(COUNTS, QUEEN, NAMES, list(DECAY_INDICES), decay_scale=scale)
    for index, values in expected.items():
        ours = table[table["index"] == index]["value"].to_numpy()
        np.testing.assert_allclose(ours, values, rtol=1e-9, atol=1e-12, err_msg=index)


def test_decay_product_streams_in_blocks(monkeypatch):
    import kelisim.measure.spatial as spatial

    coords = QUEEN.coords
    monkeypatch.setattr(spatial, "_DENSE_POINTS", 0)
    whole = decay_product(coords, np.zeros(N), COUNTS, decay_scale=300.0)
    monkeypatch.setattr(spatial, "_BLOCK_ENTRIES", 50)
    streamed = decay_product(coords, np.zeros(N), COUNTS, decay_scale=300.0)
    np.testing.assert_allclose(streamed, whole, rtol=1e-12)
    dense = np.exp(-cdist(coords, coords) / 300.0) @ COUNTS
    np.testing.assert_allclose(whole, dense, rtol=1e-9)
    pysal_whole = decay_product(coords, np.ones(N), COUNTS, decay="pysal")
    monkeypatch.setattr(spatial, "_BLOCK_ENTRIES", 10_000)
    np.testing.assert_allclose(
        decay_product(coords, np.ones(N), COUNTS, decay="pysal"), pysal_whole, rtol=1e-12
    )


@pytest.mark.parametrize("decay", ["massey_denton", "pysal"])
@pytest.mark.parametrize("transpose", [False, True])
def test_small_n_dense_pass_equals_the_blocked_path(monkeypatch, decay, transpose):
    # constructed data: the lattice's centroids, self-distances from their areas, the counts
    # with their totals and a column of ones (what decay_indices multiplies)
    import kelisim.measure.spatial as spatial

    own = (0.6 * QUEEN.area) ** 0.5
    stacked = np.column_stack([COUNTS, COUNTS.sum(axis=1), np.ones(N)])
    dense = decay_product(QUEEN.coords, own, stacked, decay, 150.0, transpose)
    monkeypatch.setattr(spatial, "_DENSE_POINTS", 0)
    blocked = decay_product(QUEEN.coords, own, stacked, decay, 150.0, transpose)
    np.testing.assert_allclose(dense, blocked, rtol=1e-12, atol=0)


@pytest.mark.parametrize("decay", ["massey_denton", "pysal"])
def test_decay_indices_equal_with_one_dense_matrix_or_streamed_blocks(monkeypatch, decay):
    # constructed data: the lattice and counts above; one dense C (small N) vs blocks of 50
    import kelisim.measure.spatial as spatial

    def table():
        return spatial_indices(COUNTS, QUEEN, NAMES, list(DECAY_INDICES), decay=decay)

    dense = table()
    monkeypatch.setattr(spatial, "_DENSE_POINTS", 0)
    monkeypatch.setattr(spatial, "_BLOCK_ENTRIES", 50)
    np.testing.assert_allclose(table().value, dense.value, rtol=1e-12, atol=1e-15)


def test_two_distant_segregated_points_have_proximity_two():
    # P_xx = P_yy = 1 (c_12 ~ 0, c_ii = 1 for points), P_tt = 1/2: SP = (5 + 5) / (10 / 2) = 2
    xy = [[0.0, 0.0], [100.0, 0.0]]
    table = spatial_indices([[5, 0], [0, 5]], xy, ["a", "b"], decay_scale=5.0)
    values = _values(table, "a")
    assert values["spatial_proximity"] == pytest.approx(2.0)
    assert values["distance_decay_isolation"] == pytest.approx(1.0)
    assert values["distance_decay_interaction"] == pytest.approx(0.0, abs=1e-8)  # exp(-20)


def test_complete_segregation_across_a_border_closed_form():
    # group a fills the west half of a 4 x 4 lattice of unit squares, b the east half: D = 1.
    # Queen links: 84 ordered pairs (4 corners x 3 + 8 edges x 5 + 4 interior x 8); 20 cross
    # the border with |p_i - p_j| = 1, so Morrill's D(adj) = 1 - 20 / 84. Delta: a holds all
    # its people on half the land, 0.5 * (8 / 16 + 8 / 16) = 0.5.
    import shapely

    squares = np.array([shapely.box(c, r, c + 1, r + 1) for r in range(4) for c in range(4)])
    weights = weights_from_geometry(squares, np.arange(16), "queen")
    west = np.arange(16) % 4 < 2
    counts = np.column_stack([west * 10.0, (~west) * 10.0])
    values = _values(spatial_indices(counts, weights, ["a", "b"], decay_scale=1.0), "a")
    crossing = sum(1 for i, j in zip(*weights.matrix.nonzero(), strict=True) if west[i] != west[j])
    assert crossing == 20 and weights.matrix.sum() == 84
    assert values["spatial_dissimilarity"] == pytest.approx(1 - crossing / 84)
    assert values["delta"] == pytest.approx(0.5)  # half the land holds all of a


def test_indices_do_not_depend_on_area_order_or_count_scale():
    order = np.random.default_rng(5).permutation(N)
    base = spatial_indices(COUNTS, QUEEN, NAMES, decay_scale=200.0)
    shuffled = weights_from_geometry(POLYGONS[order], np.arange(N)[order], "queen")
    again = spatial_indices(COUNTS[order] * 7.5, shuffled, NAMES, decay_scale=200.0)
    np.testing.assert_allclose(again.value, base.value, rtol=1e-9)


def test_bad_input_is_refused_or_warned():
    with pytest.raises(ArgumentError, match="NaN"):
        spatial_indices(np.array([[1.0, np.nan]] * N), QUEEN)
    with pytest.raises(ArgumentError, match="negative"):
        spatial_indices(-COUNTS, QUEEN)
    with pytest.raises(ArgumentError, match="weights cover"):
        spatial_indices(COUNTS[:10], QUEEN)
    with pytest.raises(ArgumentError, match="unknown spatial index"):
        spatial_indices(COUNTS, QUEEN, indices=["nope"])
    with pytest.raises(ArgumentError, match="needs polygon"):
        spatial_indices(COUNTS, QUEEN.coords, indices=["delta"])
    empty_group = np.column_stack([COUNTS, np.zeros(N)])
    with pytest.warns(UserWarning, match="zero count everywhere"):
        table = spatial_indices(empty_group, QUEEN, NAMES + ["d"])
    assert table[table.group == "d"].value.isna().all()
    assert table[table.group == "a"].value.notna().all()
    with pytest.warns(UserWarning, match="whole population"):
        single = spatial_indices(COUNTS[:, :1], QUEEN, ["a"])
    assert single.value.isna().all()
    empty_area = COUNTS.copy()
    empty_area[0] = 0
    with pytest.warns(UserWarning, match="zero population"):
        spatial_indices(empty_area, QUEEN, NAMES)


def test_geographic_weights_refused_for_distance_indices():

    lonlat = replace(QUEEN, geographic=True)
    with pytest.raises(ArgumentError, match="lon/lat"):
        spatial_indices(COUNTS, lonlat, NAMES)
    # contiguity alone needs no distances
    table = spatial_indices(COUNTS, lonlat, NAMES, ["spatial_dissimilarity"])
    assert table.value.notna().all()


def test_smoothing_matches_pysal_local_environment_before_rounding():
    base = pytest.importorskip("segregation._base")
    geopandas = pytest.importorskip("geopandas")
    frame = geopandas.GeoDataFrame(
        {"a": COUNTS[:, 0], "b": COUNTS[:, 1]}, geometry=list(POLYGONS), crs="EPSG:32642"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = base._build_local_environment(frame, ["a", "b"], bandwidth=250)
    ours = smooth_counts(COUNTS[:, :2], kernel(QUEEN.coords, "triangular", 250.0))
    # PySAL rounds the smoothed counts; kelisim keeps them exact
    np.testing.assert_array_equal(np.round(ours), theirs[["a", "b"]].to_numpy())
    assert not np.allclose(ours, np.round(ours))


def test_smoothing_adds_each_area_to_itself():
    matrix = sp.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]]))
    np.testing.assert_allclose(smooth_counts([[1, 0], [0, 2]], matrix), [[1, 2], [1, 2]])


def test_egohood_indices_prefix_aspatial_names_and_profile_narrows_with_distance():
    from kelisim.measure.aspatial import segregation_indices
    from kelisim.measure.spatial import egohood_indices, multiscalar_profile

    smoothed = kernel(QUEEN.coords, "triangular", 250.0)
    table = egohood_indices(COUNTS, smoothed, NAMES)
    direct = segregation_indices(smooth_counts(COUNTS, smoothed), names=NAMES)
    assert (table["index"] == "egohood_" + direct["index"]).all()
    np.testing.assert_allclose(table.value, direct.value)
    d = "dissimilarity"
    smoothed_d = egohood_indices(COUNTS, smoothed, NAMES, indices=d).value.to_numpy()
    assert (smoothed_d < segregation_indices(COUNTS, NAMES, d).value.to_numpy()).all()
    profile = multiscalar_profile(COUNTS, QUEEN.coords, [150.0, 400.0, 1000.0], NAMES, indices=d)
    assert profile.columns.tolist() == ["distance", "index", "group", "value"]
    assert profile["index"].unique().tolist() == ["egohood_dissimilarity"]
    group_a = profile[profile.group == "a"].value.to_numpy()
    assert group_a[0] > group_a[1] > group_a[2]  # wider environments, lower segregation


def test_property_invariance_to_order_and_scale_hypothesis():
    hypothesis = pytest.importorskip("hypothesis")
    strategies = pytest.importorskip("hypothesis.strategies")
    polygons = jittered_grid(6, cell=100.0, seed=3)
    counts = synthetic_counts(36, 2, seed=4)
    weights = weights_from_geometry(polygons, np.arange(36), "queen")
    base = spatial_indices(counts, weights, ["a", "b"], decay_scale=150.0).value.to_numpy()

    @hypothesis.settings(max_examples=15, deadline=None)
    @hypothesis.given(
        seed=strategies.integers(0, 2**32 - 1),
        scale=strategies.floats(1e-3, 1e4, allow_nan=False, allow_infinity=False),
    )
    def check(seed, scale):
        order = np.random.default_rng(seed).permutation(36)
        shuffled = weights_from_geometry(polygons[order], np.arange(36)[order], "queen")
        table = spatial_indices(counts[order] * scale, shuffled, ["a", "b"], decay_scale=150.0)
        np.testing.assert_allclose(table.value.to_numpy(), base, rtol=1e-8, atol=1e-12)

    check()


def test_decay_scale_is_required_without_a_unit_and_never_underflows_silently():
    # constructed: QUEEN's cells are 100 units wide (self distances ~77); with a scale of 0.1
    # exp(-d / scale) underflowed to 0 everywhere and the indices came out NaN without a word
    unitless = replace(QUEEN, unit=None)
    with pytest.raises(ArgumentError, match="unit is unknown"):
        spatial_indices(COUNTS, unitless, NAMES, ["spatial_proximity"])
    with pytest.raises(ArgumentError, match="decay_scale"):
        spatial_indices(COUNTS, QUEEN, NAMES, ["spatial_proximity"], decay_scale=0.0)
    with pytest.warns(RuntimeWarning, match="decay_scale 0.1 is tiny"):
        table = spatial_indices(COUNTS, QUEEN, NAMES, list(DECAY_INDICES), decay_scale=0.1)
    assert table.value.notna().all()
    # each area alone: isolation is the group's own share, averaged over its members
    shares = COUNTS / COUNTS.sum(1, keepdims=True)
    alone = (COUNTS * shares).sum(0) / COUNTS.sum(0)
    np.testing.assert_allclose(_values(table, "a")["distance_decay_isolation"], alone[0])
    default = spatial_indices(COUNTS, QUEEN, NAMES, ["spatial_proximity"]).value
    mile = spatial_indices(COUNTS, unitless, NAMES, ["spatial_proximity"], decay_scale=1609.344)
    np.testing.assert_array_equal(default, mile.value)


def test_a_kernel_reaching_no_neighbour_warns():
    with pytest.warns(RuntimeWarning, match="reaches no other area"):
        kernel(QUEEN.coords, "gaussian", 1e-3)
