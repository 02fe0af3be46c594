"""Sparse spatial weights for the spatial and local indices (scipy.sparse CSR, never dense).

A :class:`SpatialWeights` couples an N x N sparse matrix with what distance-based indices need:
centroids, land areas, perimeters and shared boundary lengths. Specifications:

- ``queen`` / ``rook``: contiguity (any shared point / a shared edge of positive length),
  found with a shapely STRtree (Anselin 1988, *Spatial Econometrics*, ch. 3).
- ``knn:K``: the K nearest centroids (cKDTree), binary, not symmetric.
- ``distance:D``: centroids within D (coordinate units), binary.
- ``kernel:FUNCTION:BANDWIDTH``: kernel weights K(d / bandwidth) with K(0) = 1, self included;
  FUNCTION is triangular, uniform, quadratic, quartic, gaussian or exponential. Kernels with
  unbounded support (gaussian, exponential) are cut where the weight falls below 1e-12 of the
  largest (K(0) = 1), so the matrix stays sparse.

Distance-based specifications need projected (metric) coordinates: geographic lon/lat input is
refused with a hint to project (``project="auto"`` picks the local UTM zone).
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from kelisim.errors import ArgumentError, InputError

if TYPE_CHECKING:
    import pandas as pd

#: weights below this fraction of the largest are dropped from decaying kernels
KERNEL_CUTOFF = 1e-12

KERNELS = {
    "triangular": (lambda z: 1.0 - z, 1.0),
    "uniform": (lambda z: np.ones_like(z), 1.0),
    "quadratic": (lambda z: 1.0 - z**2, 1.0),
    "quartic": (lambda z: (1.0 - z**2) ** 2, 1.0),
    "gaussian": (lambda z: np.exp(-0.5 * z**2), float(np.sqrt(-2.0 * np.log(KERNEL_CUTOFF)))),
    "exponential": (lambda z: np.exp(-z), float(-np.log(KERNEL_CUTOFF))),
}


@dataclass(frozen=True)
class SpatialWeights:
    """Sparse weights over N areas, with the geometry facts spatial indices use.

    ``matrix`` is CSR (N x N); ``coords`` the centroids (N x 2); ``area`` and ``perimeter``
    per area; ``polygons`` the geometries, from which ``boundary`` (CSR shared boundary
    lengths) is computed on first use; ``unit`` is the CRS's linear unit when known.
    """

    matrix: sp.csr_array
    ids: np.ndarray
    spec: str
    coords: np.ndarray | None = None
    area: np.ndarray | None = None
    perimeter: np.ndarray | None = None
    polygons: np.ndarray | None = None
    geographic: bool = False
    #: linear unit of the coordinates ("metre", "US survey foot", ...), None when unknown
    unit: str | None = None

    @property
    def n(self) -> int:
        return self.matrix.shape[0]

    @cached_property
    def boundary(self) -> sp.csr_array | None:
        """Shared boundary lengths between polygons (None without polygons)."""
        if self.polygons is None:
            return None
        return shared_boundary_lengths(self.polygons, self.matrix if self.spec == "queen" else None)


def _csr(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int) -> sp.csr_array:
    matrix = sp.csr_array((values, (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def contiguity(geometries: np.ndarray, rule: str = "queen") -> sp.csr_array:
    """Binary contiguity of polygons: queen (shared point) or rook (shared edge)."""
    import shapely

    if rule not in ("queen", "rook"):
        raise ArgumentError("weights", f"unknown contiguity rule {rule!r}; use queen or rook")
    n = len(geometries)
    if rule == "rook":
        lengths = shared_boundary_lengths(geometries)
        return _csr(*lengths.nonzero(), np.ones(lengths.nnz), n)
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    keep = left != right
    return _csr(left[keep], right[keep], np.ones(keep.sum()), n)


def shared_boundary_lengths(
    geometries: np.ndarray, queen: sp.csr_array | None = None
) -> sp.csr_array:
    """CSR matrix of the length of boundary each pair of polygons shares (0 if only a point).

    ``queen``: the polygons' queen contiguity (every intersecting pair), if already known; its
    pattern replaces the spatial-index query.
    """
    import shapely

    n = len(geometries)
    if queen is None:
        tree = shapely.STRtree(geometries)
        left, right = tree.query(geometries, predicate="intersects")
    else:
        left, right = sp.coo_array(queen).coords
    keep = left < right
    left, right = left[keep], right[keep]
    boundaries = shapely.boundary(geometries)

    def shared(pairs: slice) -> np.ndarray:
        lines = shapely.intersection(boundaries[left[pairs]], boundaries[right[pairs]])
        return shapely.length(lines)

    # shapely's vectorised functions release the GIL: one slice of the pairs per core
    workers = max(1, min(os.cpu_count() or 1, left.size // 10_000))
    step = -(-left.size // workers)
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(shared, [slice(i, i + step) for i in range(0, left.size, step)]))
    lengths = np.concatenate(parts) if parts else np.zeros(0)
    positive = lengths > 0
    left, right, lengths = left[positive], right[positive], lengths[positive]
    return _csr(
        np.concatenate([left, right]), np.concatenate([right, left]), np.tile(lengths, 2), n
    )


def nearest_neighbours(coords: np.ndarray, k: int) -> sp.csr_array:
    """Binary weights to the k nearest other points (cKDTree)."""
    n = len(coords)
    if not 0 < k < n:
        raise ArgumentError("weights", f"knn needs 0 < K < number of areas ({n}), got {k}")
    from scipy.spatial import cKDTree  # here: scipy.spatial costs the CLI 0.2-0.3 s to import

    _, neighbours = cKDTree(coords).query(coords, k=k + 1)
    rows = np.repeat(np.arange(n), k + 1)
    cols = neighbours.ravel()
    # drop self (it may not be first when points coincide), keep exactly k others per row
    not_self = cols != rows
    order = np.cumsum(not_self.reshape(n, k + 1), axis=1) <= k
    keep = not_self & order.ravel()
    return _csr(rows[keep], cols[keep], np.ones(keep.sum()), n)


def _pairs_within(coords: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ordered pairs (i, j, distance) with distance <= radius, self pairs included."""
    from scipy.spatial import cKDTree  # here: scipy.spatial costs the CLI 0.2-0.3 s to import

    tree = cKDTree(coords)
    pairs = tree.sparse_distance_matrix(tree, radius, output_type="ndarray")
    rows, cols = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
    dist = pairs["v"].astype(float)
    return rows, cols, dist


def distance_band(coords: np.ndarray, threshold: float) -> sp.csr_array:
    """Binary weights to every other point within ``threshold`` (cKDTree)."""
    if not threshold > 0:
        raise ArgumentError("weights", f"distance band must be positive, got {threshold}")
    rows, cols, _ = _pairs_within(coords, threshold)
    keep = rows != cols
    return _csr(rows[keep], cols[keep], np.ones(keep.sum()), len(coords))


def kernel(coords: np.ndarray, function: str, bandwidth: float) -> sp.csr_array:
    """Kernel weights K(d / bandwidth), K(0) = 1 on the diagonal, cut below 1e-12 of K(0)."""
    if function not in KERNELS:
        raise ArgumentError(
            "weights", f"unknown kernel {function!r}; use one of {', '.join(KERNELS)}"
        )
    if not bandwidth > 0:
        raise ArgumentError("weights", f"kernel bandwidth must be positive, got {bandwidth}")
    shape, support = KERNELS[function]
    rows, cols, dist = _pairs_within(coords, support * bandwidth)
    values = shape(dist / bandwidth)
    keep = values >= KERNEL_CUTOFF
    if len(coords) > 1 and not np.any(keep & (rows != cols)):
        warnings.warn(
            f"kernel bandwidth {bandwidth:g} (coordinate units) reaches no other area: "
            "smoothing with it changes nothing; give the bandwidth in the CRS's units",
            RuntimeWarning,
            stacklevel=2,
        )
    return _csr(rows[keep], cols[keep], values[keep], len(coords))


def row_standardize(matrix: sp.csr_array) -> sp.csr_array:
    """Divide each row by its sum (rows summing to zero, islands, stay zero)."""
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums, dtype=float), where=sums != 0)
    return sp.csr_array(sp.diags_array(scale) @ matrix)


def is_distance_spec(spec: str) -> bool:
    """True for specifications measured in coordinate units (knn, distance, kernel)."""
    return spec.split(":", 1)[0] in ("knn", "distance", "kernel")


def parse_spec(spec: str) -> tuple[str, tuple]:
    """Split 'queen' | 'rook' | 'knn:K' | 'distance:D' | 'kernel:FUNCTION:BANDWIDTH'."""
    parts = spec.strip().lower().split(":")
    kind = parts[0]
    try:
        if kind in ("queen", "rook") and len(parts) == 1:
            return kind, ()
        if kind == "knn" and len(parts) == 2:
            return kind, (int(parts[1]),)
        if kind == "distance" and len(parts) == 2:
            return kind, (float(parts[1]),)
        if kind == "kernel" and len(parts) == 3:
            return kind, (parts[1], float(parts[2]))
    except ValueError:
        pass
    raise ArgumentError(
        "weights",
        f"cannot read {spec!r}; use queen, rook, knn:K, distance:D or kernel:FUNCTION:BANDWIDTH",
    )


def weights_from_geometry(
    geometries: np.ndarray,
    ids: np.ndarray,
    spec: str,
    geographic: bool = False,
    unit: str | None = None,
) -> SpatialWeights:
    """Weights of ``spec`` over polygon (or point) geometries already in area order
    (``unit``: the coordinates' linear unit, e.g. "metre", when known)."""
    import shapely

    kind, args = parse_spec(spec)
    if geographic and is_distance_spec(kind):
        raise ArgumentError(
            "weights",
            f"{spec!r} measures distances but the geometry has geographic (lon/lat) "
            "coordinates; project it to a metric CRS first ('auto' picks the UTM zone)",
        )
    coords = shapely.get_coordinates(shapely.centroid(geometries))
    area = shapely.area(geometries)
    polygons = bool(np.all(area > 0))
    if kind in ("queen", "rook") and not polygons:
        raise ArgumentError("weights", f"{kind} contiguity needs polygons with positive area")
    if kind in ("queen", "rook"):
        matrix = contiguity(geometries, kind)
    elif kind == "knn":
        matrix = nearest_neighbours(coords, *args)
    elif kind == "distance":
        matrix = distance_band(coords, *args)
    else:
        matrix = kernel(coords, *args)
    return SpatialWeights(
        matrix=matrix,
        ids=np.asarray(ids),
        spec=spec,
        coords=coords,
        area=area if polygons else None,
        perimeter=shapely.length(geometries) if polygons else None,
        polygons=geometries if polygons else None,
        geographic=geographic,
        unit=unit,
    )


def _keys(column) -> pd.Index:
    """A column's values as text in a hashed object Index (pandas' arrow strings test
    membership value by value in Python, which made matching ids slow)."""
    import pandas as pd

    return pd.Index(column.astype(str).tolist(), dtype=object)


def _match_id_column(frame, wanted, id_column: str | None, path: str) -> str:
    candidates = [id_column] if id_column else [c for c in frame.columns if c != "geometry"]
    if id_column and id_column not in frame.columns:
        raise InputError(path, None, id_column, "no such column in the geometry file")
    best, best_hits = None, -1
    for column in candidates:
        hits = int(wanted.isin(_keys(frame[column])).sum())
        if hits > best_hits:
            best, best_hits = column, hits
    if best is None or best_hits == 0:
        raise InputError(path, None, id_column, "no column of the geometry file holds the area ids")
    return best


def read_area_geometry(
    geometry_path: str | Path,
    area_ids,
    id_column: str | None = None,
    project: str | None = None,
):
    """Read any file geopandas reads and return its geometries in the order of ``area_ids``
    (a numpy array), whether the coordinates are geographic (lon/lat) and the CRS's linear
    unit ("metre", "degree", ...; None without a CRS).

    Areas missing from the file, or present twice, are an error; geometries of other areas are
    ignored. ``project`` reprojects first: a CRS string, or ``"auto"`` for the local UTM zone.
    """
    import geopandas
    import pandas as pd

    path = str(geometry_path)
    try:
        frame = geopandas.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        raise InputError(path, None, None, f"cannot read geometry: {error}") from error
    wanted = pd.Index([str(a) for a in area_ids], dtype=object)
    column = _match_id_column(frame, wanted, id_column, path)
    keys = _keys(frame[column])
    repeated = keys.duplicated()
    twice = np.flatnonzero(repeated & keys.isin(wanted))
    if twice.size:
        row = int(twice[0]) + 2
        raise InputError(path, row, column, f"area {keys[twice[0]]!r} has two geometries")
    firsts = np.flatnonzero(~repeated)
    found = keys[firsts].get_indexer(wanted)
    if (found < 0).any():
        missing = wanted[found < 0].tolist()
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise InputError(path, None, column, f"{len(missing)} area(s) have no geometry: {shown}")
    frame = frame.iloc[firsts[found]].set_axis(wanted)
    if frame.geometry.isna().any() or frame.geometry.is_empty.any():
        bad = frame.index[frame.geometry.isna() | frame.geometry.is_empty][0]
        raise InputError(path, None, column, f"area {bad!r} has an empty geometry")
    if project:
        if frame.crs is None:
            raise ArgumentError("project", "the geometry file has no CRS to project from")
        from pyproj.exceptions import CRSError

        try:
            frame = frame.to_crs(frame.estimate_utm_crs() if project == "auto" else project)
        except CRSError as error:
            raise ArgumentError(
                "project", f"cannot project to {project!r} ({error}); give a CRS such as "
                "EPSG:32642, or auto"
            ) from None
    geographic = bool(frame.crs is not None and frame.crs.is_geographic)
    unit = frame.crs.axis_info[0].unit_name if frame.crs is not None else None
    return frame.geometry.to_numpy(), geographic, unit


def build_weights(
    geometry_path: str | Path,
    area_ids,
    spec: str = "queen",
    id_column: str | None = None,
    project: str | None = None,
) -> SpatialWeights:
    """Weights of ``spec`` over the areas of a geometry file (see :func:`read_area_geometry`)."""
    geometries, geographic, unit = read_area_geometry(geometry_path, area_ids, id_column, project)
    ids = np.asarray([str(a) for a in area_ids])
    return weights_from_geometry(geometries, ids, spec, geographic, unit)
