"""Local statistics on group shares: location quotients, local entropy, local Moran's I and
Getis-Ord Gi*, with seeded conditional permutation inference and Benjamini-Hochberg FDR.

- Local Moran (Anselin 1995, Geogr. Anal. 27:93-115): I_i = (n - 1) z_i sum_j w_ij z_j /
  sum_j z_j^2 with row-standardised w; analytic moments under total randomisation (Sokal,
  Oden & Thomson 1998, Geogr. Anal. 30:331-354, eqs. A3-A4), as esda's ``EI`` and ``VI``.
- Gi* (Getis & Ord 1992, Geogr. Anal. 24:189-206; Ord & Getis 1995, Geogr. Anal. 27:286-306): G*_i =
  sum_j w_ij x_j / sum_j x_j with w_ii included, z from its randomisation moments.
- Conditional permutation (Anselin 1995): x_i stays, the other n - 1 values are drawn without
  replacement into i's neighbour slots; pseudo p = (#{lag_perm >= lag} + 1) / (P + 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats

from kelisim.errors import ArgumentError
from kelisim.measure.weights import row_standardize

# gathered values held in memory at once by the permutation engine
_PERMUTATION_ENTRIES = 2_000_000


@dataclass(frozen=True)
class LocalStatistic:
    """Per-area statistic with analytic moments, z, one-sided p-values and pseudo p-values.

    ``p_z`` and ``p_upper`` test for high values (over-concentration); ``p_sim`` is the
    folded pseudo p-value (esda's ``p_sim``): the smaller tail.
    """

    statistic: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p_z: np.ndarray
    p_upper: np.ndarray | None
    p_sim: np.ndarray | None


def location_quotients(counts) -> np.ndarray:
    """LQ_ik = (x_ik / t_i) / (X_k / T) (Isard 1960); NaN for empty areas or groups."""
    values = np.asarray(counts, dtype=float)
    totals = values.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (values / totals) / (values.sum(axis=0) / values.sum())


def local_entropy(counts, normalized: bool = True) -> np.ndarray:
    """Shannon entropy of each area's composition, -sum p log p (divided by log K if normalized).

    Empty areas give NaN (White 1986, Popul. Index 52:198-221).
    """
    values = np.asarray(counts, dtype=float)
    totals = values.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = values / totals
        terms = np.where(shares > 0, shares * np.log(shares), 0.0)
    entropy = -terms.sum(axis=1)
    entropy[totals.ravel() == 0] = np.nan
    if normalized:
        entropy = entropy / np.log(values.shape[1]) if values.shape[1] > 1 else entropy * np.nan
    return entropy


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini & Hochberg (1995, JRSS B 57:289-300) adjusted p-values (NaN passes through)."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return adjusted
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return adjusted


def _generator(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _distinct_draws(rng: np.random.Generator, n: int, size: int, count: int) -> np.ndarray:
    """``count`` rows of ``size`` distinct areas out of ``n``, each uniform over the ordered
    draws without replacement: all rows drawn with replacement at once, and the few rows with
    a repeat redrawn without replacement (rejection keeps the first draws exactly uniform)."""
    draws = rng.integers(0, n, size=(count, size))
    ordered = np.sort(draws, axis=1)
    repeated = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
    for row in repeated:
        draws[row] = rng.choice(n, size, replace=False)
    return draws


def conditional_permutation_counts(
    values: np.ndarray, weights: sp.csr_array, permutations: int, seed=0
) -> tuple[np.ndarray, np.ndarray]:
    """For each area i, how many of ``permutations`` conditional draws give a spatial lag
    sum_j w_ij x_j (j != i) at least / at most the observed one.

    Rows are taken in blocks; a block shares ``permutations`` random orderings of all areas
    (esda shares one set for every area). Row i reads its neighbour values from the first
    k_i areas of each ordering, and when i itself is among them, from the next area instead,
    so its draw is a uniformly random k_i-subset of the n - 1 others (exact conditional
    randomisation), at the cost of one matrix product per block.
    """
    rng = _generator(seed)
    n = len(values)
    matrix = sp.csr_array(weights, dtype=float)
    matrix = sp.csr_array(matrix - sp.diags_array(matrix.diagonal()))
    matrix.eliminate_zeros()
    matrix.sort_indices()
    degree = np.diff(matrix.indptr)
    if n < 2 or degree.max(initial=0) >= n:
        raise ArgumentError("weights", "conditional permutation needs more areas than neighbours")
    observed = matrix @ values
    greater = np.zeros(n, dtype=np.int64)
    lesser = np.zeros(n, dtype=np.int64)
    tolerance = 1e-12 * max(
        1.0, float(np.abs(values).max()) * float(np.abs(matrix.data).max(initial=1))
    )
    order = np.argsort(degree, kind="stable")  # a block's widest row is its last one
    position = np.full(n, -1)
    block_rows = max(1, _PERMUTATION_ENTRIES // permutations)
    for start in range(0, n, block_rows):
        rows = order[start : start + block_rows]
        width = int(degree[rows[-1]])
        slot_weights = np.zeros((rows.size, width))
        for slot in range(width):
            has = degree[rows] > slot
            slot_weights[has, slot] = matrix.data[matrix.indptr[rows[has]] + slot]
        draws = _distinct_draws(rng, n, width + 1, permutations)
        lags = slot_weights @ values[draws[:, :width]].T
        # where row i drew itself into one of its slots, swap in the spare's value
        position[rows] = np.arange(rows.size)
        hit = position[draws[:, :width]]
        perm, slot = np.nonzero(hit >= 0)
        local = hit[perm, slot]
        used = slot < degree[rows[local]]
        perm, slot, local = perm[used], slot[used], local[used]
        spare = values[draws[perm, width]]  # degree < n, so a spare always exists
        np.add.at(lags, (local, perm), slot_weights[local, slot] * (spare - values[rows[local]]))
        position[rows] = -1
        greater[rows] = (lags >= observed[rows, None] - tolerance).sum(axis=1)
        lesser[rows] = (lags <= observed[rows, None] + tolerance).sum(axis=1)
    return greater, lesser


def _distinct_draws(rng: np.random.Generator, n: int, size: int, count: int) -> np.ndarray:
    """``count`` rows of ``size`` distinct areas out of n, each row uniformly random."""
    draws = rng.integers(0, n, size=(count, size))
    ordered = np.sort(draws, axis=1)
    repeated = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
    for row in repeated:  # rows with a repeat are drawn again, without replacement
        draws[row] = rng.choice(n, size, replace=False)
    return draws


def _pseudo_p(greater: np.ndarray, permutations: int) -> tuple[np.ndarray, np.ndarray]:
    upper = (greater + 1.0) / (permutations + 1.0)
    folded = (np.minimum(greater, permutations - greater) + 1.0) / (permutations + 1.0)
    return upper, folded


def local_moran(values, weights: sp.csr_array, permutations: int = 999, seed=0) -> LocalStatistic:
    """Local Moran's I_i on row-standardised weights (Anselin 1995), esda's convention."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    matrix = row_standardize(sp.csr_array(weights))
    z = y - y.mean()
    m2 = (z * z).sum() / n
    lag = matrix @ z
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = (n - 1) * z * lag / (z * z).sum()
        wi = np.asarray(matrix.sum(axis=1)).ravel()
        wi2 = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
        b2 = ((z**4).sum() / n) / m2**2
        expected = -wi / (n - 1)
        variance = (
            wi2 * (n - b2) / (n - 1)
            + (wi**2 - wi2) * (2 * b2 - n) / ((n - 1) * (n - 2))
            - expected**2
        )
        z_score = (statistic - expected) / np.sqrt(variance)
    p_upper = p_sim = None
    if permutations:
        greater, lesser = conditional_permutation_counts(z, matrix, permutations, seed)
        # I_i rises with the lag when z_i > 0 and falls with it when z_i < 0
        larger = np.where(z > 0, greater, np.where(z < 0, lesser, permutations))
        p_upper, p_sim = _pseudo_p(larger, permutations)
    return LocalStatistic(
        statistic, expected, variance, z_score, stats.norm.sf(z_score), p_upper, p_sim
    )


def getis_ord_g_star(
    values, weights: sp.csr_array, permutations: int = 999, seed=0
) -> LocalStatistic:
    """Gi* with each area in its own neighbourhood (w_ii = 1 where the diagonal is empty)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    matrix = sp.csr_array(weights, dtype=float)
    matrix = sp.csr_array(matrix + sp.diags_array(np.where(matrix.diagonal() == 0, 1.0, 0.0)))
    total = x.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = (matrix @ x) / total
        w_sum = np.asarray(matrix.sum(axis=1)).ravel()
        w_squares = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
        mean = total / n
        variance_x = (x**2).sum() / n - mean**2
        expected = w_sum / n
        variance = (n * w_squares - w_sum**2) / (n - 1) * variance_x / (n * mean) ** 2
        z_score = (statistic - expected) / np.sqrt(variance)
    p_upper = p_sim = None
    if permutations:
        greater, _ = conditional_permutation_counts(x, matrix, permutations, seed)
        p_upper, p_sim = _pseudo_p(greater, permutations)
    return LocalStatistic(
        statistic, expected, variance, z_score, stats.norm.sf(z_score), p_upper, p_sim
    )
