"""Sparse spatial weights on constructed lattices (geometry built here, see spatial_grids.py).

Closed forms: on a 4 x 4 lattice of unit squares, queen degrees are 3 (corner), 5 (edge), 8
(interior); rook degrees 2, 3, 4; the 24 interior edges have length 1 (Anselin 1988, Spatial
Econometrics, ch. 3). Agreement with libpysal's Queen/Rook/KNN where installed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from kelisim.errors import ArgumentError, InputError
from kelisim.measure.weights import (
    KERNEL_CUTOFF,
    build_weights,
    kernel,
    parse_spec,
    row_standardize,
    weights_from_geometry,
)
from spatial_grids import jittered_grid

SQUARES = np.array([shapely.box(c, r, c + 1, r + 1) for r in range(4) for c in range(4)])
IDS = np.array([f"a{i}" for i in range(16)])
CORNERS, INTERIOR = [0, 3, 12, 15], [5, 6, 9, 10]


def test_queen_and_rook_degrees_on_a_lattice():
    queen = weights_from_geometry(SQUARES, IDS, "queen").matrix
    rook = weights_from_geometry(SQUARES, IDS, "rook").matrix
    assert queen.sum(axis=1)[CORNERS].tolist() == [3] * 4
    assert queen.sum(axis=1)[INTERIOR].tolist() == [8] * 4
    assert rook.sum(axis=1)[CORNERS].tolist() == [2] * 4
    assert rook.sum(axis=1)[INTERIOR].tolist() == [4] * 4
    assert (queen != queen.T).nnz == 0 and queen.diagonal().sum() == 0


def test_shared_boundary_lengths_sum_to_twice_the_interior_edges():
    weights = weights_from_geometry(SQUARES, IDS, "rook")
    assert weights.boundary.sum() == pytest.approx(48.0)
    assert weights.perimeter.tolist() == [4.0] * 16 and weights.area.tolist() == [1.0] * 16


def test_boundary_lengths_from_queen_pairs_match_the_spatial_index_query():
    # queen weights hand their intersecting pairs to the boundary lengths (no second query)
    from_queen = weights_from_geometry(SQUARES, IDS, "queen").boundary
    from_query = weights_from_geometry(SQUARES, IDS, "rook").boundary
    assert (from_queen != from_query).nnz == 0


def test_knn_distance_band_and_kernel():
    knn = weights_from_geometry(SQUARES, IDS, "knn:3").matrix
    assert knn.sum(axis=1).tolist() == [3.0] * 16
    band = weights_from_geometry(SQUARES, IDS, "distance:1.01").matrix
    rook = weights_from_geometry(SQUARES, IDS, "rook").matrix
    assert (band != rook).nnz == 0
    coords = shapely.get_coordinates(shapely.centroid(SQUARES))
    triangular = kernel(coords, "triangular", 2.0)
    assert triangular[0, 0] == 1.0 and triangular[0, 1] == pytest.approx(0.5)
    assert triangular[0, 2] == 0.0  # distance 2 = bandwidth: weight 0, dropped
    gaussian = kernel(coords * 0.1, "gaussian", 0.1)
    assert gaussian.data.min() >= KERNEL_CUTOFF
    assert gaussian[0, 1] == pytest.approx(np.exp(-0.5))


def test_row_standardize_rows_sum_to_one():
    matrix = row_standardize(weights_from_geometry(SQUARES, IDS, "queen").matrix)
    assert np.allclose(matrix.sum(axis=1), 1.0)


def test_agrees_with_libpysal_contiguity():
    libpysal = pytest.importorskip("libpysal")
    geopandas = pytest.importorskip("geopandas")
    polygons = jittered_grid(7)
    frame = geopandas.GeoDataFrame(geometry=list(polygons))
    for spec, builder in (("queen", libpysal.weights.Queen), ("rook", libpysal.weights.Rook)):
        theirs = builder.from_dataframe(frame, use_index=False).sparse
        ours = weights_from_geometry(polygons, np.arange(49), spec).matrix
        assert abs(ours - theirs).sum() == 0


@pytest.mark.parametrize(
    "spec", ["knn", "knn:x", "distance", "kernel:gaussian", "hexagon", "queen:2"]
)
def test_bad_specs_are_refused(spec):
    with pytest.raises(ArgumentError):
        parse_spec(spec)


def _write_geojson(path, polygons, ids, crs="EPSG:32642"):
    import geopandas

    geopandas.GeoDataFrame({"kato": ids}, geometry=list(polygons), crs=crs).to_file(path)


def test_build_weights_orders_by_area_ids(tmp_path):
    path = tmp_path / "grid.geojson"
    _write_geojson(path, SQUARES, IDS)
    reordered = IDS[::-1]
    weights = build_weights(path, reordered, "rook")
    assert weights.ids.tolist() == reordered.tolist()
    direct = weights_from_geometry(SQUARES[::-1], reordered, "rook").matrix
    assert (weights.matrix != direct).nnz == 0


def test_rows_of_other_areas_are_ignored_even_when_repeated(tmp_path):
    path = tmp_path / "extra.geojson"
    extra = np.array([shapely.box(10, 10, 11, 11), shapely.box(12, 12, 13, 13)])
    _write_geojson(path, np.concatenate([extra, SQUARES[::-1]]), ["zz", "zz", *IDS[::-1]])
    weights = build_weights(path, IDS, "queen")
    assert weights.ids.tolist() == IDS.tolist()
    assert (weights.matrix != weights_from_geometry(SQUARES, IDS, "queen").matrix).nnz == 0


def test_missing_geometry_is_a_clear_error(tmp_path):
    path = tmp_path / "grid.geojson"
    _write_geojson(path, SQUARES[:15], IDS[:15])
    with pytest.raises(InputError, match="1 area\\(s\\) have no geometry: a15"):
        build_weights(path, IDS, "queen")


def test_geographic_coordinates_refused_for_distances_and_projected_on_request(tmp_path):
    path = tmp_path / "lonlat.geojson"
    cells = np.array(
        [
            shapely.box(71 + c * 0.01, 51 + r * 0.01, 71.01 + c * 0.01, 51.01 + r * 0.01)
            for r in range(4)
            for c in range(4)
        ]
    )
    _write_geojson(path, cells, IDS, crs="EPSG:4326")
    assert build_weights(path, IDS, "queen").geographic  # contiguity needs no distances
    with pytest.raises(ArgumentError, match="geographic"):
        build_weights(path, IDS, "distance:1000")
    projected = build_weights(path, IDS, "distance:1200", project="auto")
    assert not projected.geographic and projected.matrix.nnz > 0


def test_geometry_file_with_two_rows_for_one_area(tmp_path):
    path = tmp_path / "dup.geojson"
    _write_geojson(path, np.concatenate([SQUARES, SQUARES[:1]]), np.append(IDS, "a0"))
    with pytest.raises(InputError, match="two geometries") as raised:
        build_weights(path, IDS, "queen")
    assert raised.value.row == len(IDS) + 2  # the second row of a0, counting the header
    (tmp_path / "bad.json").write_text(json.dumps({"not": "geojson"}))
    with pytest.raises(InputError):
        build_weights(tmp_path / "bad.json", IDS, "queen")
