"""Spatial segregation indices for every group at once, over sparse weights or streamed blocks.

Each group x is compared with the rest of the population y = t - x (t the area total).
Formulas and references are in docs/spatial.md; the main ones:

- Morrill (1991) spatial dissimilarity D(adj) = D - sum w_ij |p_i - p_j| / sum w_ij;
  Wong (1993) boundary (w_ij = shared boundary length) and perimeter/area versions.
- Massey & Denton (1988, Social Forces 67:281-315) distance-decay family: spatial proximity,
  absolute and relative clustering, distance-decay isolation and interaction, with
  c_ij = exp(-d_ij / decay_scale) and d_ii = (alpha a_i)^beta (default alpha 0.6, beta 0.5);
  delta, absolute and relative concentration, absolute and relative centralisation.

``decay_scale`` defaults to Massey & Denton's unit, 1 mile (1,609.344 m), when the weights'
CRS is in metres; with any other or unknown unit it must be given. Every decay index is a ratio
of sums of c_ij, so C is computed as exp(-(d_ij - d_min) / decay_scale): its largest entry is 1
and exp never underflows; a scale so small that no area has a neighbour above the cut-off is
warned about (each area then only meets itself).

Above 800 areas no dense N x N matrix is built (below, one dense pass is faster): the decay
matrix C is applied as C @ [counts, t, 1] tile by tile (32 points adjacent in a KD-tree's
leaf order), skipping tiles farther apart than the cut-off radius d_min + decay_scale *
ln(1e12) beyond which c_ij < 1e-12 of the largest c.
``decay="pysal"`` reproduces PySAL segregation 2.5's variant c_ij = 1 - exp(-d_ij /
sum_k d_kj), c_ii = 1 - exp(-(alpha a_i)^beta), which grows with distance and has no cut-off:
it is computed exactly, streamed (built once when N^2 <= 4e6), in O(N^2) time.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from kelisim.errors import ArgumentError
from kelisim.measure.aspatial import Table, dissimilarity, segregation_indices
from kelisim.measure.weights import KERNEL_CUTOFF, SpatialWeights, kernel

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

WONG_INDICES = ("boundary_spatial_dissimilarity", "perimeter_area_spatial_dissimilarity")
DECAY_INDICES = (
    "spatial_proximity",
    "absolute_clustering",
    "relative_clustering",
    "distance_decay_isolation",
    "distance_decay_interaction",
)
AREA_INDICES = ("delta", "absolute_concentration", "relative_concentration")
CENTRALIZATION_INDICES = ("absolute_centralization", "relative_centralization")
SPATIAL_INDICES = (
    ("spatial_dissimilarity",)
    + WONG_INDICES
    + DECAY_INDICES
    + AREA_INDICES
    + CENTRALIZATION_INDICES
)
# O(N^2) time (all shortest paths): computed only when asked for by name
OPT_IN_INDICES = ("spatial_proximity_profile",)
DECAY_VARIANTS = ("massey_denton", "pysal")

# entries of a block product kept in memory at once (block rows x neighbours, or x N)
_BLOCK_ENTRIES = 4_000_000
# up to this many points the distance-decay product is one dense N x N pass (5 MB at most;
# measured: faster than the tiles below ~900 points, slower above)
_DENSE_POINTS = 800
# points per tile of the distance-decay product
_TILE = 32
#: Massey & Denton (1988) measure d_ij in miles: the default decay scale on a metric CRS
MILE_METRES = 1609.344


@cache
def _blas() -> ThreadpoolController:
    """threadpoolctl's view of the loaded BLAS, scanned once (a scan stats every loaded library)."""
    return ThreadpoolController()


def validate_counts(counts, names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Counts as a float [N, K] array with group names; NaN or negative counts are refused."""
    array = np.asarray(counts, dtype=float)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ArgumentError(
            "counts", f"expected a non-empty [areas, groups] array, got {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ArgumentError("counts", "counts contain NaN or infinite values")
    if np.any(array < 0):
        raise ArgumentError("counts", "counts contain negative values")
    group_names = (
        [str(n) for n in names]
        if names is not None
        else [f"group_{k}" for k in range(array.shape[1])]
    )
    if len(group_names) != array.shape[1]:
        raise ArgumentError("names", f"{len(group_names)} names for {array.shape[1]} groups")
    return array, group_names


def _warn_degenerate(counts: np.ndarray, totals: np.ndarray, names: list[str]) -> None:
    empty_areas = int(np.sum(totals == 0))
    if empty_areas:
        warnings.warn(
            f"{empty_areas} area(s) have zero population; their group share is taken as 0",
            stacklevel=3,
        )
    empty_groups = [names[k] for k in np.flatnonzero(counts.sum(axis=0) == 0)]
    if empty_groups:
        warnings.warn(
            f"group(s) {', '.join(empty_groups)} have zero count everywhere; their indices are NaN",
            stacklevel=3,
        )
    whole = [names[k] for k in np.flatnonzero((totals[:, None] - counts).sum(axis=0) == 0)]
    if whole:
        warnings.warn(
            f"group(s) {', '.join(whole)} make up the whole population, with no one to be "
            "segregated from; their indices are NaN",
            stacklevel=3,
        )


def _shares(counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Group share of each area, 0 where the area is empty (as PySAL does)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals[:, None] > 0, counts / totals[:, None], 0.0)


def _safe_divide(numerator, denominator):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(numerator, dtype=float) / denominator


def _dissimilarity(counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Duncan & Duncan (1955) D of each group against the rest (aspatial.dissimilarity)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return dissimilarity(Table.from_counts(counts, totals))


def _weighted_share_gaps(shares: np.ndarray, weights: Sequence[sp.csr_array]) -> np.ndarray:
    """sum_ij w_ij |p_i - p_j| per group for each weight matrix, as [len(weights), K].

    Each |p_i - p_j| is computed once, on the union of the matrices' unordered pairs i < j
    (weighted by w_ij + w_ji), streamed over groups to bound memory.
    """
    n = shares.shape[0]
    keys, pair_weights = [], []
    for q, matrix in enumerate(weights):
        upper = sp.triu(matrix + matrix.T, k=1, format="coo")
        keys.append(upper.row.astype(np.int64) * n + upper.col)
        pair_weights.append((np.full(upper.nnz, q), upper.data))
    pairs, position = np.unique(np.concatenate(keys), return_inverse=True)
    which = np.concatenate([q for q, _ in pair_weights])
    per_pair = np.zeros((pairs.size, len(weights)))
    np.add.at(per_pair, (position, which), np.concatenate([w for _, w in pair_weights]))
    rows, cols = pairs // n, pairs % n
    step = max(1, _BLOCK_ENTRIES // max(1, pairs.size))
    out = np.empty((len(weights), shares.shape[1]))
    for start in range(0, shares.shape[1], step):
        block = shares[:, start : start + step]
        out[:, start : start + step] = per_pair.T @ np.abs(block[rows] - block[cols])
    return out


def _row_normalise(matrix: sp.csr_array) -> sp.csr_array:
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums != 0)
    return sp.csr_array(sp.diags_array(scale) @ matrix)


def spatial_dissimilarities(
    counts: np.ndarray,
    totals: np.ndarray,
    weights: SpatialWeights,
    wanted: Collection[str],
    standardize: bool = False,
    boundary_standardize: bool = True,
) -> dict[str, np.ndarray]:
    """Spatial dissimilarity per group, D minus a weighted mean of neighbours' share gaps:

    - Morrill (1991) D(adj) = D - sum_ij w_ij |p_i - p_j| / sum_ij w_ij (``standardize``
      row-standardises w first);
    - Wong (1993) boundary: w_ij = shared boundary length (row-standardised with
      ``boundary_standardize``, PySAL's class default), and perimeter/area: D - sum_ij w_ij
      |p_i - p_j| (P_i/A_i + P_j/A_j) / (2 max P/A), w_ij the lengths divided by their total
      (raw lengths without ``boundary_standardize``).

    The |p_i - p_j| are computed once for the indices in ``wanted``.
    """
    matrices: dict[str, sp.csr_array] = {}
    scales: dict[str, float] = {}
    if "spatial_dissimilarity" in wanted:
        contiguity = _row_normalise(weights.matrix) if standardize else weights.matrix
        matrices["spatial_dissimilarity"] = contiguity
        scales["spatial_dissimilarity"] = contiguity.sum()
    if set(WONG_INDICES) & set(wanted):
        lengths = weights.boundary
        boundary = _row_normalise(lengths) if boundary_standardize else lengths
        matrices["boundary_spatial_dissimilarity"] = boundary
        scales["boundary_spatial_dissimilarity"] = boundary.sum()
        ratio = weights.perimeter / weights.area
        coo = sp.coo_array(lengths / lengths.sum() if boundary_standardize else lengths)
        matrices["perimeter_area_spatial_dissimilarity"] = sp.csr_array(
            (coo.data * (ratio[coo.row] + ratio[coo.col]), (coo.row, coo.col)), shape=coo.shape
        )
        scales["perimeter_area_spatial_dissimilarity"] = 2 * ratio.max()
    gaps = _weighted_share_gaps(_shares(counts, totals), list(matrices.values()))
    aspatial = _dissimilarity(counts, totals)
    return {
        name: aspatial - gap / scales[name] for name, gap in zip(matrices, gaps, strict=True)
    }


def _self_distance(area: np.ndarray | None, n: int, alpha: float, beta: float) -> np.ndarray:
    """Massey & Denton's distance of an area to itself, (alpha a_i)^beta; 0 for points."""
    if area is None:
        return np.zeros(n)
    return (alpha * area) ** beta


def resolve_decay_scale(decay_scale: float | None, unit: str | None) -> float:
    """The decay scale to use: the one given, else 1 mile when the coordinates are metres."""
    if decay_scale is None:
        if unit == "metre":
            return MILE_METRES
        raise ArgumentError(
            "decay_scale",
            f"the coordinates' unit is {unit or 'unknown'}, so the distance-decay indices need "
            "decay_scale: the distance in coordinate units over which "
            "c = exp(-d / scale) falls by 1/e (Massey & Denton use 1 mile = 1609.344 m)",
        )
    if not decay_scale > 0:
        raise ArgumentError("decay_scale", f"must be positive, got {decay_scale}")
    return float(decay_scale)


def _decay_reach(
    tree: cKDTree, self_distance: np.ndarray, decay_scale: float
) -> tuple[float, float]:
    """(d_min, cut-off radius) of Massey & Denton's decay: the smallest distance (self-distances
    included) and the distance beyond which c falls below 1e-12 of the largest c. Warns when most
    areas have no neighbour inside the radius."""
    n = tree.n
    nearest = tree.query(tree.data, k=2)[0][:, 1] if n > 1 else np.array([np.inf])
    smallest = min(float(self_distance.min()), float(nearest.min()))
    radius = smallest + decay_scale * -np.log(KERNEL_CUTOFF)
    alone = nearest > radius
    if n > 1 and alone.mean() > 0.5:
        warnings.warn(
            f"decay_scale {decay_scale:g} is tiny next to the distances between areas (median "
            f"nearest {np.median(nearest):g} coordinate units): {alone.sum()} of {n} areas have "
            "no neighbour weighing 1e-12 of the largest weight, so the distance-decay indices "
            "see them alone; give decay_scale in the coordinates' units",
            RuntimeWarning,
            stacklevel=3,
        )
    return smallest, radius


def _check_variant(decay: str) -> None:
    if decay not in DECAY_VARIANTS:
        raise ArgumentError(
            "decay", f"unknown variant {decay!r}; use {' or '.join(DECAY_VARIANTS)}"
        )


def decay_matrix(
    coords: np.ndarray,
    self_distance: np.ndarray,
    decay: str = "massey_denton",
    decay_scale: float | None = None,
) -> np.ndarray:
    """The dense N x N distance-decay matrix C of :func:`decay_product` (same formulas), for
    small N: one vectorised pass, where the streamed paths' fixed costs would dominate."""
    from scipy.spatial import cKDTree  # scipy.spatial imported only by the indices using it
    from scipy.spatial.distance import cdist

    _check_variant(decay)
    distances = cdist(coords, coords)
    if decay == "pysal":
        weights = 1.0 - np.exp(-distances / distances.sum(axis=0))
        np.fill_diagonal(weights, 1.0 - np.exp(-self_distance))
        return weights
    decay_scale = resolve_decay_scale(decay_scale, None)
    smallest, _ = _decay_reach(cKDTree(coords), self_distance, decay_scale)
    np.fill_diagonal(distances, self_distance)
    distances -= smallest
    np.multiply(distances, -1.0 / decay_scale, out=distances)
    return np.exp(distances, out=distances)


def decay_product(
    coords: np.ndarray,
    self_distance: np.ndarray,
    matrix: np.ndarray,
    decay: str = "massey_denton",
    decay_scale: float | None = None,
    transpose: bool = False,
) -> np.ndarray:
    """C @ matrix (C.T @ matrix if ``transpose``; C is symmetric under massey_denton) for the
    distance-decay matrix C: one dense pass up to ``_DENSE_POINTS`` points, streamed above
    (never N x N).

    ``massey_denton``: c_ij = exp(-(d_ij - d_min) / decay_scale), c_ii = exp(-(self_distance_i
    - d_min) / decay_scale), d_min the smallest distance (Massey & Denton's C times the constant
    exp(d_min / decay_scale), so the largest entry is 1 and nothing underflows); tiles of points
    farther apart than the cut-off radius (where c < 1e-12 of the largest c) are skipped, pairs
    inside visited tiles are all kept. Warns when most areas have no neighbour inside it.
    ``pysal``: c_ij = 1 - exp(-d_ij / sum_k d_kj), c_ii = 1 - exp(-self_distance_i), exact.
    """
    from scipy.spatial import cKDTree  # scipy.spatial imported only by the indices using it
    from scipy.spatial.distance import cdist

    _check_variant(decay)
    n = len(coords)
    if n <= _DENSE_POINTS:
        weights = decay_matrix(coords, self_distance, decay, decay_scale)
        return (weights.T if transpose else weights) @ matrix
    out = np.zeros((n, matrix.shape[1]))
    if decay == "pysal":
        column_sums = np.zeros(n)
        step = max(1, _BLOCK_ENTRIES // n)
        for start in range(0, n, step):
            column_sums += cdist(coords[start : start + step], coords).sum(axis=0)
        for start in range(0, n, step):
            stop = min(n, start + step)
            block = 1.0 - np.exp(-cdist(coords[start:stop], coords) / column_sums)
            local = np.arange(stop - start)
            block[local, start + local] = 1.0 - np.exp(-self_distance[start:stop])
            if transpose:
                out += block.T @ matrix[start:stop]
            else:
                out[start:stop] = block @ matrix
        return out
    decay_scale = resolve_decay_scale(decay_scale, None)
    tree = cKDTree(coords)
    smallest, radius = _decay_reach(tree, self_distance, decay_scale)
    # small tiles of points adjacent in the KD-tree's leaf order are compact in space; each
    # tile meets, densely, only the later tiles whose bounding boxes come within the cut-off
    # radius, and C's symmetry adds each such block's transpose: every pair is computed once
    order = tree.indices
    xy, values, own = coords[order], matrix[order], self_distance[order]
    starts = np.arange(0, n, _TILE)
    lows = np.minimum.reduceat(xy, starts, axis=0)
    highs = np.maximum.reduceat(xy, starts, axis=0)
    members = [np.arange(start, min(n, start + _TILE)) for start in starts]
    columns_per_chunk = max(_TILE, _BLOCK_ENTRIES // _TILE)

    def accumulate(tiles: range) -> np.ndarray:
        sums = np.zeros_like(out)
        for index in tiles:
            rows = members[index]
            later = slice(index, None)
            gap = np.maximum(lows[later] - highs[index], lows[index] - highs[later])
            np.maximum(gap, 0.0, out=gap)
            near = index + np.flatnonzero(np.hypot(gap[:, 0], gap[:, 1]) <= radius)
            # the tile itself first (near[0] == index): its own points sit on the first diagonal
            candidates = (near[:, None] * _TILE + np.arange(_TILE)).ravel()
            if candidates[-1] >= n:  # the last tile is short
                candidates = candidates[candidates < n]
            block = slice(rows[0], rows[-1] + 1)
            for first in range(0, candidates.size, columns_per_chunk):
                chunk = candidates[first : first + columns_per_chunk]
                # rows gathered with np.take: ~9x faster than fancy indexing (numpy 2.4)
                weights = cdist(xy[block], np.take(xy, chunk, axis=0))
                own_block = rows.size if first == 0 else 0
                if own_block:
                    local = np.arange(own_block)
                    weights[local, local] = own[block]
                weights -= smallest
                np.multiply(weights, -1.0 / decay_scale, out=weights)
                np.exp(weights, out=weights)
                sums[block] += weights @ np.take(values, chunk, axis=0)
                later = chunk[own_block:]
                mirrored = weights[:, own_block:].T @ values[block]
                sums[later] = np.take(sums, later, axis=0) + mirrored
        return sums

    # one thread per core, each with every workers-th tile and its own sums (added in a fixed
    # order: deterministic); BLAS kept single-threaded, as its threads thrash on small products
    workers = min(os.cpu_count() or 1, len(members))
    with _blas().limit(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        shares = [range(first, len(members), workers) for first in range(workers)]
        parts = list(pool.map(accumulate, shares))
    out[order] = sum(parts)
    return out


def decay_indices(
    counts: np.ndarray,
    totals: np.ndarray,
    coords: np.ndarray,
    area: np.ndarray | None = None,
    decay: str = "massey_denton",
    decay_scale: float | None = None,
    alpha: float = 0.6,
    beta: float = 0.5,
    wanted: Collection[str] = DECAY_INDICES,
) -> dict[str, np.ndarray]:
    """Massey & Denton (1988) distance-decay indices for each group vs the rest.

    Under ``decay="pysal"`` the isolation/interaction and relative clustering indices each
    need one more O(N^2) pass, made only when they are in ``wanted``.
    """
    n, k = counts.shape
    self_distance = _self_distance(area, n, alpha, beta)
    if decay == "pysal" and n * n <= _BLOCK_ENTRIES:
        # PySAL's variant makes up to three passes over C: when C fits in one block, build it once
        dense = decay_matrix(coords, self_distance, decay)

        def apply(matrix: np.ndarray, transpose: bool = False) -> np.ndarray:
            return (dense.T if transpose else dense) @ matrix
    else:

        def apply(matrix: np.ndarray, transpose: bool = False) -> np.ndarray:
            return decay_product(coords, self_distance, matrix, decay, decay_scale, transpose)

    stacked = np.column_stack([counts, totals, np.ones(n)])
    product = apply(stacked)
    c_x, c_t, c_one = product[:, :k], product[:, k], product[:, k + 1]
    x_total = counts.sum(0)
    t_total = totals.sum()
    y_total = t_total - x_total
    xcx = np.einsum("ik,ik->k", counts, c_x)
    xct = counts.T @ c_t
    tcx = totals @ c_x
    tct = totals @ c_t
    p_xx = _safe_divide(xcx, x_total**2)
    p_yy = _safe_divide(tct - xct - tcx + xcx, y_total**2)
    p_tt = tct / t_total**2
    baseline = x_total / n**2 * c_one.sum()
    weights = _safe_divide(counts, x_total)
    result = {
        "spatial_proximity": (x_total * p_xx + y_total * p_yy) / (t_total * p_tt),
        "absolute_clustering": _safe_divide(
            _safe_divide(xcx, x_total) - baseline, _safe_divide(xct, x_total) - baseline
        ),
    }
    if decay == "massey_denton":
        with np.errstate(invalid="ignore", divide="ignore"):
            local_isolation = np.where(c_t[:, None] > 0, c_x / c_t[:, None], 0.0)
        local_interaction = np.where(c_t[:, None] > 0, 1.0 - local_isolation, 0.0)
        result["relative_clustering"] = _safe_divide(p_xx, p_yy) - 1.0
        result["distance_decay_isolation"] = np.einsum("ik,ik->k", weights, local_isolation)
        result["distance_decay_interaction"] = np.einsum("ik,ik->k", weights, local_interaction)
        return result
    if {"distance_decay_isolation", "distance_decay_interaction"} & set(wanted):
        # PySAL divides c_ij t_j by sum_k c_jk t_k (column j), not by row i's sum
        normalised = np.column_stack([counts, totals]) / c_t[:, None]
        second = apply(normalised)
        local_isolation, local_total = second[:, :k], second[:, k : k + 1]
        result["distance_decay_isolation"] = np.einsum("ik,ik->k", weights, local_isolation)
        result["distance_decay_interaction"] = np.einsum(
            "ik,ik->k", weights, local_total - local_isolation
        )
    if "relative_clustering" in wanted:
        # PySAL's relative clustering sums c_ij x_j^2 (not c_ij x_i x_j)
        column_sums = apply(np.ones((n, 1)), transpose=True)
        rest = totals[:, None] - counts
        result["relative_clustering"] = (
            _safe_divide(
                _safe_divide(column_sums[:, 0] @ counts**2, x_total**2),
                _safe_divide(column_sums[:, 0] @ rest**2, y_total**2),
            )
            - 1.0
        )
    return result


def _first_reaching(cumulative: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based count of leading areas whose cumulative share first reaches each target."""
    return np.searchsorted(cumulative, targets, side="left") + 1


def area_indices(counts: np.ndarray, totals: np.ndarray, area: np.ndarray) -> dict[str, np.ndarray]:
    """Delta, absolute and relative concentration (Massey & Denton 1988)."""
    n = len(area)
    rest = totals[:, None] - counts
    x_total, y_total, t_total = counts.sum(0), rest.sum(0), totals.sum()
    delta = 0.5 * np.abs(_safe_divide(counts, x_total) - (area / area.sum())[:, None]).sum(0)
    ascending = np.argsort(area)
    descending = np.argsort(-area)
    share_target = x_total / t_total
    n1 = _first_reaching(np.cumsum(totals[ascending]) / t_total, share_target)
    n2 = n - _first_reaching(np.cumsum(totals[descending]) / t_total, share_target)
    ta = (totals * area)[ascending]
    cum_ta = np.concatenate([[0.0], np.cumsum(ta)])
    cum_t = np.concatenate([[0.0], np.cumsum(totals[ascending])])
    t1, t2 = cum_t[n1], cum_t[n] - cum_t[n2]
    small = cum_ta[n1] / t1
    large = (cum_ta[n] - cum_ta[n2]) / t2
    x_area = _safe_divide(area @ counts, x_total)
    y_area = _safe_divide(area @ rest, y_total)
    undefined = large == small  # the compared smallest and largest areas have the same size
    if undefined.any():
        why = ("every area has the same area" if np.ptp(area) == 0 else
               "the smallest and the largest areas holding the group have the same mean area")
        warnings.warn(f"absolute and relative concentration are undefined (left blank) when "
                      f"{why}", RuntimeWarning, stacklevel=2)
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN where undefined, said above
        return {
            "delta": delta,
            "absolute_concentration": 1.0 - (x_area - small) / (large - small),
            "relative_concentration": (x_area / y_area - 1.0) / (small / large - 1.0),
        }


def resolve_center(center, coords: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """The centre as (x, y): mean, median, population_weighted_mean, largest_population."""
    if isinstance(center, str):
        if center == "mean":
            return coords.mean(axis=0)
        if center == "median":
            return np.median(coords, axis=0)
        if center == "population_weighted_mean":
            return np.average(coords, axis=0, weights=totals)
        if center == "largest_population":
            return coords[totals == totals.max()].mean(axis=0)
        raise ArgumentError(
            "center",
            f"unknown centre {center!r}; use mean, median, population_weighted_mean, "
            "largest_population or a coordinate pair",
        )
    point = np.asarray(center, dtype=float)
    if point.shape != (2,):
        raise ArgumentError("center", "a centre must be one (x, y) coordinate pair")
    return point


def _lorenz_area(cumulative_x: np.ndarray, cumulative_a: np.ndarray) -> np.ndarray:
    """sum_i X_{i-1} A_i - sum_i X_i A_{i-1} over rows in order, per column."""
    return (cumulative_x[:-1] * cumulative_a[1:]).sum(0) - (
        cumulative_x[1:] * cumulative_a[:-1]
    ).sum(0)


def centralization_indices(
    counts: np.ndarray, totals: np.ndarray, coords: np.ndarray, area: np.ndarray, center="mean"
) -> dict[str, np.ndarray]:
    """Absolute and relative centralisation (Massey & Denton 1988)."""
    point = resolve_center(center, coords, totals)
    order = np.argsort(np.sqrt(((coords - point) ** 2).sum(axis=1)))
    rest = totals[:, None] - counts
    cum_x = np.cumsum(counts[order], axis=0) / counts.sum(0)
    cum_y = np.cumsum(rest[order], axis=0) / rest.sum(0)
    cum_a = (np.cumsum(area[order]) / area.sum())[:, None]
    with np.errstate(invalid="ignore"):
        return {
            "absolute_centralization": _lorenz_area(cum_x, cum_a),
            "relative_centralization": _lorenz_area(cum_x, cum_y),
        }


def proximity_profile(
    counts: np.ndarray, totals: np.ndarray, matrix: sp.csr_array, grid_size: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """Hong & Sadahiro (2014, Urban Studies 51:2307-2325) spatial proximity profile.

    For each threshold t of an even grid on [0, 1], the areas where the group's share is at
    least t have eta(t) = (k^2 - k) / sum_ij delta_ij, delta the shortest-path distance in the
    weights graph (0 when the graph splits them); the index contrasts the curve below and
    above the group's overall share. Returns (index per group, curves [groups, grid]).
    Shortest paths run in blocks of sources (O(N^2) time, bounded memory).
    """
    from scipy.sparse.csgraph import shortest_path

    n, k = counts.shape
    grid = np.linspace(0, 1, grid_size)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / totals[:, None]
    # an area belongs to the set of every grid threshold up to its share: levels 0..grid_size
    levels = np.where(np.isnan(shares), 0, np.searchsorted(grid, shares, side="right"))
    distance_sums = np.zeros((k, grid_size + 1))
    unreachable = np.zeros((k, grid_size + 1))
    step = max(1, _BLOCK_ENTRIES // n)
    for start in range(0, n, step):
        sources = np.arange(start, min(n, start + step))
        paths = shortest_path(matrix, method="D", directed=False, indices=sources)
        reachable = np.isfinite(paths)
        for group in range(k):
            level = np.minimum(levels[sources, group][:, None], levels[None, :, group])
            distance_sums[group] += np.bincount(
                level[reachable], weights=paths[reachable], minlength=grid_size + 1
            )
            unreachable[group] += np.bincount(level[~reachable], minlength=grid_size + 1)
    # pairs with level > g are inside the set of threshold g
    above = np.cumsum(distance_sums[:, ::-1], axis=1)[:, ::-1][:, 1:]
    split = np.cumsum(unreachable[:, ::-1], axis=1)[:, ::-1][:, 1:] > 0
    members = np.stack(
        [
            np.cumsum(np.bincount(levels[:, g], minlength=grid_size + 1)[::-1])[::-1][1:]
            for g in range(k)
        ]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        curves = (members**2 - members) / above
    curves[split | ~np.isfinite(curves)] = 0.0
    share_overall = counts.sum(0) / totals.sum()
    below = grid[None, :] < share_overall[:, None]
    contrast = (np.where(below, curves, 0).sum(1) - np.where(below, 0, curves).sum(1)) / grid_size
    return (share_overall - contrast) / (1 - share_overall), curves


def _available(weights: SpatialWeights) -> set[str]:
    names = {"spatial_dissimilarity", *OPT_IN_INDICES} if weights.matrix.nnz else set()
    if weights.polygons is not None:
        names |= set(WONG_INDICES)
    if weights.coords is not None:
        names |= set(DECAY_INDICES)
    if weights.area is not None:
        names |= set(AREA_INDICES)
        if weights.coords is not None:
            names |= set(CENTRALIZATION_INDICES)
    return names


def _as_weights(weights_or_coords, n: int, area) -> SpatialWeights:
    if isinstance(weights_or_coords, SpatialWeights):
        weights = weights_or_coords
    else:
        coords = np.asarray(weights_or_coords, dtype=float)
        if coords.ndim != 2 or coords.shape[1] != 2:
            raise ArgumentError(
                "weights_or_coords", "expected SpatialWeights or [N, 2] coordinates"
            )
        weights = SpatialWeights(
            matrix=sp.csr_array((len(coords), len(coords))),
            ids=np.arange(len(coords)),
            spec="coordinates",
            coords=coords,
            area=None if area is None else np.asarray(area, dtype=float),
        )
    if weights.n != n:
        raise ArgumentError(
            "weights_or_coords", f"weights cover {weights.n} areas but counts have {n}"
        )
    return weights


def spatial_indices(
    counts,
    weights_or_coords,
    names: Sequence[str] | None = None,
    indices: Sequence[str] | None = None,
    *,
    area=None,
    decay: str = "massey_denton",
    decay_scale: float | None = None,
    alpha: float = 0.6,
    beta: float = 0.5,
    center="mean",
    standardize: bool = False,
    boundary_standardize: bool = True,
    profile_grid: int = 1000,
) -> pd.DataFrame:
    """Spatial segregation indices of every group against the rest, as [index, group, value].

    ``weights_or_coords`` is a :class:`SpatialWeights` (from polygons: every index) or [N, 2]
    projected coordinates (distance-decay indices; pass ``area`` for concentration, delta and
    centralisation). ``indices`` defaults to all those the input supports except
    ``spatial_proximity_profile`` (all shortest paths, O(N^2)), which runs only by name.
    Groups with zero count everywhere give NaN (with a warning); empty areas have share 0.
    ``decay_scale`` (Massey & Denton decay) defaults to 1 mile on a CRS in metres and must be
    given otherwise (e.g. for bare coordinates).

    >>> import numpy as np
    >>> xy = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> table = spatial_indices(
    ...     [[5, 0], [0, 5]], xy, ["a", "b"], ["spatial_proximity"], decay_scale=0.5
    ... )
    >>> round(float(table.value.iloc[0]), 4)
    2.0
    """
    values, group_names = validate_counts(counts, names)
    weights = _as_weights(weights_or_coords, values.shape[0], area)
    available = _available(weights)
    wanted = [i for i in SPATIAL_INDICES if i in available] if indices is None else list(indices)
    unknown = [i for i in wanted if i not in SPATIAL_INDICES + OPT_IN_INDICES]
    if unknown:
        raise ArgumentError("indices", f"unknown spatial index {unknown[0]!r}")
    missing = [i for i in wanted if i not in available]
    if missing:
        raise ArgumentError(
            "indices", f"{missing[0]} needs polygon geometry (areas, boundaries or centroids)"
        )
    metric = [i for i in wanted if i not in ("spatial_dissimilarity", *OPT_IN_INDICES)]
    if weights.geographic and metric:
        raise ArgumentError(
            "weights_or_coords",
            f"{metric[0]} measures distances, areas or lengths but the coordinates are lon/lat; "
            "project them to a metric CRS first ('auto' picks the UTM zone)",
        )
    if decay == "massey_denton" and any(i in DECAY_INDICES for i in wanted):
        decay_scale = resolve_decay_scale(decay_scale, weights.unit)
    totals = values.sum(axis=1)
    _warn_degenerate(values, totals, group_names)
    families: list[tuple[tuple[str, ...], Callable[[], dict[str, np.ndarray]]]] = [
        (
            ("spatial_dissimilarity", *WONG_INDICES),
            lambda: spatial_dissimilarities(
                values, totals, weights, wanted, standardize, boundary_standardize
            ),
        ),
        (
            DECAY_INDICES,
            lambda: decay_indices(
                values,
                totals,
                weights.coords,
                weights.area,
                decay,
                decay_scale,
                alpha,
                beta,
                wanted,
            ),
        ),
        (AREA_INDICES, lambda: area_indices(values, totals, weights.area)),
        (
            OPT_IN_INDICES,
            lambda: {
                "spatial_proximity_profile": proximity_profile(
                    values, totals, weights.matrix, profile_grid
                )[0]
            },
        ),
        (
            CENTRALIZATION_INDICES,
            lambda: centralization_indices(values, totals, weights.coords, weights.area, center),
        ),
    ]
    results: dict[str, np.ndarray] = {}
    # the products here are small or skinny: BLAS threads only contend (with each other and
    # with the decay product's own threads); up to _DENSE_POINTS areas no thread pool runs,
    # and threadpoolctl's scan of every loaded library would cost more than the indices
    single_blas = _blas().limit(limits=1, user_api="blas") if len(values) > _DENSE_POINTS else None
    with single_blas or nullcontext():
        for members, compute in families:
            if any(i in wanted for i in members):
                results.update(compute())
    empty = (values.sum(axis=0) == 0) | ((totals[:, None] - values).sum(axis=0) == 0)
    rows = [
        (index, group, float("nan") if empty[k] else float(results[index][k]))
        for index in wanted
        for k, group in enumerate(group_names)
    ]
    return pd.DataFrame(rows, columns=["index", "group", "value"])


def smooth_counts(counts, weights: SpatialWeights | sp.csr_array) -> np.ndarray:
    """Egohood counts: (W with unit diagonal) @ counts, not rounded (PySAL rounds them).

    Reardon & O'Sullivan (2004, Sociol. Methodol. 34:121-162) spatially smoothed populations;
    the unit diagonal matches PySAL segregation's ``fill_diagonal`` so each area counts itself.
    """
    matrix = weights.matrix if isinstance(weights, SpatialWeights) else sp.csr_array(weights)
    values = np.asarray(counts, dtype=float)
    if matrix.shape[0] != values.shape[0]:
        raise ArgumentError(
            "weights", f"weights cover {matrix.shape[0]} areas, counts {len(values)}"
        )
    with_self = matrix - sp.diags_array(matrix.diagonal()) + sp.eye_array(matrix.shape[0])
    return with_self @ values


def egohood_indices(
    counts, weights: SpatialWeights | sp.csr_array, names: Sequence[str] | None = None, **params
) -> pd.DataFrame:
    """Aspatial indices computed on egohood (smoothed) counts; index names get 'egohood_'."""
    values, group_names = validate_counts(counts, names)
    table = segregation_indices(smooth_counts(values, weights), names=group_names, **params)
    return table.assign(index="egohood_" + table["index"].astype(str))


def multiscalar_profile(
    counts,
    coords,
    distances: Sequence[float],
    names: Sequence[str] | None = None,
    function: str = "triangular",
    **params,
) -> pd.DataFrame:
    """Egohood indices at each distance (kernel bandwidth), as [distance, index, group, value].

    Reardon et al. (2008, Demography 45:489-514) segregation profiles.
    """
    xy = np.asarray(coords, dtype=float)
    frames = [
        egohood_indices(counts, kernel(xy, function, float(d)), names, **params).assign(
            distance=float(d)
        )
        for d in distances
    ]
    table = pd.concat(frames, ignore_index=True)
    return table[["distance", "index", "group", "value"]]
