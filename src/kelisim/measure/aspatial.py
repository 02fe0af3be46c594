"""Aspatial segregation: every group against the rest at once, and multigroup indices.

Kernels take counts as an [N areas, K groups] array. Areas without persons carry no weight in
any index and are dropped; a group without persons gets NaN (with a warning) for the per-group
indices and is left out of the multigroup ones. Formulas, references and the deliberate
differences from PySAL ``segregation`` are in docs/indices.md.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kelisim.errors import ArgumentError, InputError
from kelisim.limits import MAX_PERSONS, parse_count
from kelisim.measure import diversity

# Groups handled per pass in the per-group kernels: bounds temporary memory to ~32 * N floats.
GROUP_BLOCK = 32
# Groups per task of the simulated corrections: small, so the threads share the work evenly.
RANDOM_BLOCK = 8


@dataclass(frozen=True)
class Table:
    """Counts of populated areas with their margins (x[i, k], t[i], X[k], T, P[k], p[i, k])."""

    x: np.ndarray
    t: np.ndarray
    group_totals: np.ndarray
    total: float
    overall_shares: np.ndarray
    area_shares: np.ndarray

    @classmethod
    def from_counts(cls, counts: np.ndarray, totals: np.ndarray | None = None) -> Table:
        """Table of counts; totals (default row sums) are the area totals t_i."""
        x = np.asarray(counts, dtype=float)
        t = np.einsum("ij->i", x) if totals is None else np.asarray(totals, dtype=float)
        populated = t > 0
        if not populated.all():
            x, t = x[populated], t[populated]
        group_totals = column_sums(x)
        total = float(t.sum())
        return cls(x, t, group_totals, total, group_totals / total, x / t[:, None])

    def block(self, columns: slice) -> Table:
        x = self.x[:, columns]
        return Table(
            x,
            self.t,
            self.group_totals[columns],
            self.total,
            self.overall_shares[columns],
            self.area_shares[:, columns],
        )

    def nonempty(self) -> Table:
        keep = self.group_totals > 0
        if keep.all():
            return self
        return Table.from_counts(self.x[:, keep])


def column_sums(array: np.ndarray) -> np.ndarray:
    """Sum over areas; einsum is ~8x faster than ndarray.sum(axis=0) on C-ordered arrays."""
    return np.einsum("ij->j", array)


def check_counts(counts: np.ndarray, names: Sequence[str] | None = None) -> tuple[np.ndarray, list]:
    """Validate an [areas, groups] count array; return it (integer or float) with group names.

    A DataFrame's columns are the default names.
    """
    if names is None and isinstance(counts, pd.DataFrame):
        names = [str(column) for column in counts.columns]
    array = np.asarray(counts)
    if array.dtype.kind not in "iuf":
        try:
            array = array.astype(float)
        except (TypeError, ValueError) as error:
            raise ArgumentError("counts", f"counts must be numbers: {error}") from error
    if array.ndim != 2:
        raise ArgumentError("counts", f"expected a 2-D array [areas, groups], got {array.ndim}-D")
    n_areas, n_groups = array.shape
    names = [f"group_{k}" for k in range(n_groups)] if names is None else list(names)
    if len(names) != n_groups:
        raise ArgumentError("names", f"{len(names)} names for {n_groups} groups")
    if n_areas == 0:
        raise ArgumentError("counts", "there are no areas")
    group_totals = column_sums(array)  # finite only if every count is finite
    if not np.isfinite(group_totals).all():
        i, k = np.argwhere(~np.isfinite(array))[0]
        raise ArgumentError(
            "counts", f"area {i}, group {names[k]}: count {array[i, k]} is not a number"
        )
    if array.min() < 0:
        i, k = np.argwhere(array < 0)[0]
        raise ArgumentError("counts", f"area {i}, group {names[k]}: negative count {array[i, k]}")
    populated_groups = int((group_totals > 0).sum())
    if populated_groups < 2:
        raise ArgumentError(
            "counts",
            f"segregation needs at least two groups with persons, found {populated_groups}",
        )
    return array, names


# ----------------------------------------------------------------------------------------
# Per-group indices (group k against all other persons): each returns an array of K values.


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    """-p ln p - (1 - p) ln(1 - p) with 0 ln 0 = 0."""
    q = 1.0 - p
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(np.where(p > 0, p * np.log(p), 0.0) + np.where(q > 0, q * np.log(q), 0.0))


def dissimilarity(tab: Table) -> np.ndarray:
    """D = sum t_i |p_i - P| / (2 T P (1 - P)) (Duncan & Duncan 1955; Massey & Denton 1988)."""
    P = tab.overall_shares
    spread = column_sums(tab.t[:, None] * np.abs(tab.area_shares - P))
    return spread / (2.0 * tab.total * P * (1.0 - P))


def _share_order(tab: Table) -> np.ndarray:
    """Per group (rows), the areas in ascending order of their share p_ik; ties in any order.

    With whole-number counts, distinct shares x/t differ by at least 1 / max(t)^2, so
    floor(p * 2^m) keeps their order exactly when max(t)^2 < 2^(m - 2); the area index is packed
    below those m bits and one integer sort (about 3x faster than argsort) orders every row.
    Other counts are argsorted.
    """
    shares = np.ascontiguousarray(tab.area_shares.T)  # one row per group: sorts are contiguous
    n = shares.shape[1]
    index_bits = max(int(n - 1).bit_length(), 1)
    value_bits = 63 - index_bits
    whole = tab.t.max() ** 2 < 2.0 ** (value_bits - 2) and np.array_equal(tab.x, np.rint(tab.x))
    if not whole:
        return np.argsort(shares, axis=1)
    keys = (shares * 2.0 ** (value_bits - 1)).astype(np.uint64) << np.uint64(index_bits)
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort(axis=1)
    return (keys & np.uint64((1 << index_bits) - 1)).astype(np.intp)


def _gini_half_sums(tab: Table) -> np.ndarray:
    """sum_{i<j} t_i t_j |p_ik - p_jk| per group in O(N log N) by sorting the shares."""
    order = _share_order(tab)
    t = tab.t[order]
    tp = np.take_along_axis(np.ascontiguousarray(tab.x.T), order, axis=1)
    p = tp / t
    below_t = np.cumsum(t, axis=1) - t
    below_tp = np.cumsum(tp, axis=1) - tp
    return (t * (p * below_t - below_tp)).sum(axis=1)


def gini(tab: Table) -> np.ndarray:
    """G = sum_i sum_j t_i t_j |p_i - p_j| / (2 T^2 P (1 - P)) (Massey & Denton 1988, p. 285)."""
    P = tab.overall_shares
    return _gini_half_sums(tab) / (tab.total**2 * P * (1.0 - P))


def theil_h(tab: Table) -> np.ndarray:
    """Theil's entropy index H = sum t_i (E - E_i) / (E T) (Theil & Finizza 1971)."""
    E = _binary_entropy(tab.overall_shares)
    Ei = _binary_entropy(tab.area_shares)
    return column_sums(tab.t[:, None] * (E - Ei)) / (E * tab.total)


def atkinson(tab: Table, b: float = 0.5) -> np.ndarray:
    """A = 1 - P/(1-P) |sum (1-p_i)^(1-b) p_i^b t_i / (P T)|^(1/(1-b)) (Atkinson 1970)."""
    if not 0.0 < b < 1.0:
        raise ArgumentError("b", f"the Atkinson shape parameter must lie in (0, 1), got {b}")
    P = tab.overall_shares
    p = tab.area_shares
    inner = column_sums((1.0 - p) ** (1.0 - b) * p**b * tab.t[:, None]) / (P * tab.total)
    return 1.0 - P / (1.0 - P) * np.abs(inner) ** (1.0 / (1.0 - b))


def isolation(tab: Table) -> np.ndarray:
    """xPx = sum (x_i / X)(x_i / t_i) (Bell 1954; Massey & Denton 1988, p. 288)."""
    return column_sums(tab.x * tab.area_shares) / tab.group_totals


def interaction(tab: Table) -> np.ndarray:
    """xPy = sum (x_i / X)(y_i / t_i), y the rest (Massey & Denton 1988, p. 287)."""
    return column_sums(tab.x * (1.0 - tab.area_shares)) / tab.group_totals


def correlation_ratio(tab: Table) -> np.ndarray:
    """Eta^2 = (xPx - P) / (1 - P) (Bell 1954; White 1986; Massey & Denton 1988, p. 288)."""
    P = tab.overall_shares
    return (isolation(tab) - P) / (1.0 - P)


def concentration_profile_curve(tab: Table, thresholds: np.ndarray) -> np.ndarray:
    """v(s): share of each group living in areas where its share is >= s; [len(s), K].

    Hong & Sadahiro (2014), J Geogr Syst 16(2):211, eq. 1.
    """
    thresholds = np.asarray(thresholds, dtype=float)
    curve = np.empty((thresholds.size, tab.x.shape[1]))
    for k in range(tab.x.shape[1]):
        order = np.argsort(tab.area_shares[:, k], kind="stable")
        shares_sorted = tab.area_shares[order, k]
        below = np.concatenate(([0.0], np.cumsum(tab.x[order, k])))
        n_below = np.searchsorted(shares_sorted, thresholds, side="left")
        curve[:, k] = (tab.group_totals[k] - below[n_below]) / tab.group_totals[k]
    return curve


def concentration_profile(tab: Table, grid: int | None = None) -> np.ndarray:
    """Hong & Sadahiro's R = (P - (int_0^P v - int_P^1 v)) / (1 - P).

    The integrals are exact (sum x_i min(p_i, P) / X and sum x_i max(p_i - P, 0) / X); with
    ``grid = m`` they are PySAL's Riemann sums over m thresholds linspace(0, 1, m), weight 1/m.
    """
    P = tab.overall_shares
    if grid is None:
        low = column_sums(tab.x * np.minimum(tab.area_shares, P)) / tab.group_totals
        high = column_sums(tab.x * np.maximum(tab.area_shares - P, 0.0)) / tab.group_totals
    else:
        if grid < 2:
            raise ArgumentError("grid", f"the profile grid needs at least 2 thresholds, got {grid}")
        thresholds = np.linspace(0.0, 1.0, grid)
        curve = concentration_profile_curve(tab, thresholds)
        below = thresholds[:, None] < P
        low = np.where(below, curve, 0.0).sum(axis=0) / grid
        high = np.where(below, 0.0, curve).sum(axis=0) / grid
    return (P - (low - high)) / (1.0 - P)


def min_max(tab: Table) -> np.ndarray:
    """MM = 1 - sum min(a_i, b_i) / sum max(a_i, b_i), a = x/X, b = y/Y (O'Sullivan & Wong 2007)."""
    a = tab.x / tab.group_totals
    rest = tab.t[:, None] - tab.x
    b = rest / column_sums(rest)
    return 1.0 - column_sums(np.minimum(a, b)) / column_sums(np.maximum(a, b))


def _corrected(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Carrington & Troske (1997), JBES 15(4):402, eq. 5: distance from random allocation."""
    return np.where(
        observed >= expected,
        (observed - expected) / (1.0 - expected),
        (observed - expected) / expected,
    )


def expected_random_dissimilarity(tab: Table) -> np.ndarray:
    """E[D] under random allocation, x_ik ~ Binomial(t_i, P_k) with area sizes and P_k held,
    exactly: sum_i E|x_ik - t_i P_k| / (2 T P_k (1 - P_k)) (Carrington & Troske 1997, JBES
    15(4):402), each term de Moivre's binomial mean absolute deviation
    E|x - t P| = 2 nu (1 - P) b(nu; t, P), nu = floor(t P) + 1 (Diaconis & Zabell 1991,
    Statist. Sci. 6(3):284, eq. 1.1). Sizes are rounded to whole persons.
    """
    from scipy.special import gammaln  # here: scipy.special costs a CLI 0.3 s to import

    t = np.rint(tab.t)[:, None]
    P = tab.overall_shares
    nu = np.floor(t * P) + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = (
            gammaln(t + 1.0) - gammaln(nu + 1.0) - gammaln(t - nu + 1.0)
            + nu * np.log(P) + (t - nu) * np.log1p(-P)
        )
        deviation = np.where(nu <= t, 2.0 * nu * (1.0 - P) * np.exp(log_pmf), 0.0)
    return column_sums(deviation) / (2.0 * t.sum() * P * (1.0 - P))


def simulated_random_mean(
    tab: Table,
    index: Callable[[Table], np.ndarray],
    simulations: int,
    generators: Sequence[np.random.Generator],
) -> np.ndarray:
    """Mean of ``index`` over ``simulations`` random allocations x_ik ~ Binomial(t_i, P_k),
    area totals held (Carrington & Troske 1997); group k draws from ``generators[k]``, and the
    index is computed for all groups of the table at once.

    ``index`` must not depend on the order of the areas: they are drawn sorted by size, so
    that numpy's binomial sampler reuses its set-up across areas of equal size.
    """
    if simulations < 2:
        raise ArgumentError("simulations", f"needs at least 2 simulations, got {simulations}")
    t = np.sort(np.rint(tab.t).astype(np.int64))
    results = np.empty((simulations, tab.x.shape[1]))
    draw = np.empty(tab.x.shape[::-1])  # [group, area]: each group's draw is contiguous
    with np.errstate(divide="ignore", invalid="ignore"):
        for s in range(simulations):
            # Each group is its own group-vs-rest comparison: area totals stay t.
            for k, (rng, share) in enumerate(zip(generators, tab.overall_shares, strict=True)):
                draw[k] = rng.binomial(t, share)
            results[s] = index(Table.from_counts(draw.T, t))
    # A very small group can draw no persons at all; such draws define no index and are skipped.
    return np.nanmean(results, axis=0)


def density_corrected_dissimilarity(tab: Table) -> np.ndarray:
    """Allen et al. (2015), Econom J 18(1):40, eq. 11: D_dc = sum sigma_i n(theta_i) / 2.

    n(theta) is the mode of the folded normal |N(theta, 1)|: 0 for theta <= 1, otherwise the
    positive root of u = theta tanh(theta u) (solved by Newton's method to machine precision).
    """
    a = tab.x / tab.group_totals
    rest = tab.t[:, None] - tab.x
    rest_totals = column_sums(rest)
    b = rest / rest_totals
    sigma = np.sqrt(b * (1.0 - b) / rest_totals + a * (1.0 - a) / tab.group_totals)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = np.where(sigma > 0, np.abs(b - a) / sigma, 0.0)
    return column_sums(sigma * _folded_normal_mode(theta)) / 2.0


def _folded_normal_mode(theta: np.ndarray) -> np.ndarray:
    # from theta^2 >= 20, tanh(theta^2) rounds to 1.0: u = theta is the root in floating point
    # (Newton's first step from it is exactly 0), so only 1 < theta < sqrt(20) is iterated
    mode = np.where(theta * theta >= 20.0, theta, 0.0)
    position = np.flatnonzero((theta > 1.0) & (theta * theta < 20.0))
    th = theta.ravel()[position]
    u = th.copy()  # g(u) = u - th tanh(th u) is convex for u > 0: Newton from the right converges
    for _ in range(100):
        tanh = np.tanh(th * u)
        step = (u - th * tanh) / (1.0 - th * th * (1.0 - tanh * tanh))
        u = u - step
        done = np.abs(step) <= 1e-12 * np.maximum(u, 1.0)  # quadratic: next error ~1e-24
        mode.ravel()[position[done]] = u[done]
        position, th, u = position[~done], th[~done], u[~done]
        if position.size == 0:
            break
    mode.ravel()[position] = u
    return mode


def _random_index_groups(
    tab: Table, which: set[str], simulations: int, draws: int, seed
) -> dict[str, np.ndarray]:
    """Random-allocation and bias corrections, RANDOM_BLOCK groups at a time.

    Modified D uses its exact expectation; modified Gini and Allen et al.'s bias correction are
    simulated, each group drawing from its own generator spawned from ``seed`` (so the values
    depend on the seed only, not on blocks or threads); blocks run on every core in threads
    (numpy's samplers and sorts release the GIL).
    """
    generators = np.random.default_rng(seed).spawn(tab.x.shape[1])

    def run(start: int) -> dict[str, np.ndarray]:
        columns = slice(start, start + RANDOM_BLOCK)
        block, rngs = tab.block(columns), generators[columns]
        out = {}
        if "modified_dissimilarity" in which:
            expected = expected_random_dissimilarity(block)
            out["modified_dissimilarity"] = _corrected(dissimilarity(block), expected)
        if "modified_gini" in which:
            expected = simulated_random_mean(block, gini, simulations, rngs)
            out["modified_gini"] = _corrected(gini(block), expected)
        if "bias_corrected_dissimilarity" in which:
            out["bias_corrected_dissimilarity"] = _bias_corrected_dissimilarity(block, draws, rngs)
        return out

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        parts = list(pool.map(run, range(0, tab.x.shape[1], RANDOM_BLOCK)))
    return {name: np.concatenate([part[name] for part in parts]) for name in which}


def _bias_corrected_dissimilarity(
    tab: Table, draws: int, generators: Sequence[np.random.Generator]
) -> np.ndarray:
    """Allen et al. (2015), eq. 9: D_bc = 2 D - E[D(b)], D(b) the D of a redraw of the group's
    and its rest's distributions over areas (multinomials, margins X_k, Y_k held).

    D(b) = sum_i |A_i / X - B_i / Y| / 2 is a sum over areas, so its expectation needs only
    each area's marginal pair A_i ~ Binomial(X, a_i), B_i ~ Binomial(Y, b_i), independent: an
    area with a_i = 0 (b_i = 0) contributes b_i (a_i) exactly, and the others' mean absolute
    difference is averaged over ``draws`` independent binomial draws (the same expectation as
    Allen et al.'s multinomial redraws, with less variance). Group k draws from
    ``generators[k]``; cells are drawn sorted by count, so numpy's binomial sampler reuses
    its set-up across equal parameters.
    """
    if draws < 2:
        raise ArgumentError("draws", f"needs at least 2 draws, got {draws}")
    observed = dissimilarity(tab)
    expected = np.empty_like(observed)
    for k, rng in enumerate(generators):
        group = tab.x[:, k]
        rest = tab.t - group
        n_group, n_rest = np.rint(group.sum()), np.rint(rest.sum())
        both = (group > 0) & (rest > 0)
        exact = (rest[group == 0].sum() / n_rest + group[rest == 0].sum() / n_group) / 2.0
        a, b = group[both] / n_group, rest[both] / n_rest
        by_a, by_b = np.argsort(a, kind="stable"), np.argsort(b, kind="stable")
        drawn_a = np.empty((draws, a.size))
        drawn_b = np.empty((draws, b.size))
        drawn_a[:, by_a] = rng.binomial(int(n_group), a[by_a], size=(draws, a.size))
        drawn_b[:, by_b] = rng.binomial(int(n_rest), b[by_b], size=(draws, b.size))
        spread = np.abs(drawn_a / n_group - drawn_b / n_rest).sum() / draws
        expected[k] = exact + spread / 2.0
    return 2.0 * observed - expected


# ----------------------------------------------------------------------------------------
# Multigroup indices: one value over all (non-empty) groups.


def _simpson(tab: Table) -> float:
    P = tab.overall_shares
    return float((P * (1.0 - P)).sum())


def multi_dissimilarity(tab: Table) -> float:
    """Sum_k sum_i t_i |p_ik - P_k| / (2 T I), I = sum P_k (1 - P_k) (Reardon & Firebaugh 2002)."""
    spread = (tab.t[:, None] * np.abs(tab.area_shares - tab.overall_shares)).sum()
    return float(spread / (2.0 * tab.total * _simpson(tab)))


def multi_gini(tab: Table) -> float:
    """Sum_k sum_i sum_j t_i t_j |p_ik - p_jk| / (2 T^2 I), in O(K N log N) (Reardon 1998)."""
    half = sum(
        _gini_half_sums(tab.block(slice(s, s + GROUP_BLOCK))).sum()
        for s in range(0, tab.x.shape[1], GROUP_BLOCK)
    )
    return float(half / (tab.total**2 * _simpson(tab)))


def xlogy(x: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """x ln(ratio) with 0 ln(.) = 0 (numpy only: scipy.special costs a CLI 0.3 s to import)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.log(np.where(x > 0, ratio, 1.0)), 0.0)


def mutual_information(tab: Table) -> float:
    """Theil's M = sum_i sum_k (x_ik / T) ln(p_ik / P_k), 0 ln 0 = 0 (Theil & Finizza 1971).

    Computed as (sum x ln x - sum t ln t - sum X ln X) / T + ln T: one logarithm per cell.
    """
    cells = xlogy(tab.x, tab.x).sum()
    margins = xlogy(tab.t, tab.t).sum() + xlogy(tab.group_totals, tab.group_totals).sum()
    return max(float((cells - margins) / tab.total + np.log(tab.total)), 0.0)


def multi_theil_h(tab: Table) -> float:
    """H = M / E with E = -sum P_k ln P_k (Reardon & Firebaugh 2002, eq. 11)."""
    return mutual_information(tab) / float(diversity.entropy(tab.group_totals))


def _squared_deviations(tab: Table) -> np.ndarray:
    deviations = tab.t[:, None] * (tab.area_shares - tab.overall_shares) ** 2
    return column_sums(deviations) / tab.total


def multi_normalized_exposure(tab: Table) -> float:
    """P = sum_k sum_i t_i (p_ik - P_k)^2 / (T (1 - P_k)) (James 1986; Reardon & Firebaugh 2002)."""
    return float((_squared_deviations(tab) / (1.0 - tab.overall_shares)).sum())


def multi_relative_diversity(tab: Table) -> float:
    """R = sum_k sum_i t_i (p_ik - P_k)^2 / (T I) (Carlson 1992; Reardon & Firebaugh 2002)."""
    return float(_squared_deviations(tab).sum() / _simpson(tab))


def multi_squared_cv(tab: Table) -> float:
    """C = sum_k sum_i t_i (p_ik - P_k)^2 / ((K - 1) T P_k) (Reardon & Firebaugh 2002, eq. 4)."""
    k = tab.x.shape[1]
    return float((_squared_deviations(tab) / tab.overall_shares).sum() / (k - 1))


PER_GROUP_INDICES: dict[str, Callable[..., np.ndarray]] = {
    "dissimilarity": dissimilarity,
    "gini": gini,
    "theil_h": theil_h,
    "atkinson": atkinson,
    "isolation": isolation,
    "interaction": interaction,
    "correlation_ratio": correlation_ratio,
    "concentration_profile": concentration_profile,
    "min_max": min_max,
    "density_corrected_dissimilarity": density_corrected_dissimilarity,
}
RANDOM_INDICES = ("modified_dissimilarity", "modified_gini", "bias_corrected_dissimilarity")
MULTIGROUP_INDICES: dict[str, Callable[[Table], float]] = {
    "multi_dissimilarity": multi_dissimilarity,
    "multi_gini": multi_gini,
    "multi_theil_h": multi_theil_h,
    "mutual_information": mutual_information,
    "multi_normalized_exposure": multi_normalized_exposure,
    "multi_relative_diversity": multi_relative_diversity,
    "multi_squared_cv": multi_squared_cv,
}
DETERMINISTIC_INDICES = (
    *diversity.DIVERSITY_INDICES,
    *PER_GROUP_INDICES,
    *MULTIGROUP_INDICES,
)
ALL_INDICES = (*DETERMINISTIC_INDICES, *RANDOM_INDICES)


def resolve_indices(indices: str | Sequence[str] | None) -> list[str]:
    """Index names from a list, a comma-separated string, 'all' or None (the deterministic ones)."""
    if indices is None:
        return list(DETERMINISTIC_INDICES)
    if isinstance(indices, str):
        indices = [name.strip() for name in indices.split(",") if name.strip()]
    if list(indices) == ["all"]:
        return list(ALL_INDICES)
    unknown = [name for name in indices if name not in ALL_INDICES]
    if unknown:
        raise ArgumentError(
            "index", f"unknown index {unknown[0]!r}; known: {', '.join(ALL_INDICES)}"
        )
    if not indices:
        raise ArgumentError("index", "no index named")
    return list(dict.fromkeys(indices))


def segregation_indices(
    counts: np.ndarray,
    names: Sequence[str] | None = None,
    indices: str | Sequence[str] | None = None,
    *,
    b: float = 0.5,
    alpha: float = 1.0,
    profile_grid: int | None = None,
    simulations: int = 100,
    draws: int = 100,
    seed: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """Diversity, per-group and multigroup indices of counts[area, group] as a tidy table.

    Parameters
    ----------
    counts : [N areas, K groups] non-negative counts (non-integer counts are allowed, e.g.
        smoothed ones; the random-allocation corrections round them to whole persons).
    names : group names (default ``group_0`` ...).
    indices : names, a comma-separated string, ``'all'`` or None (every deterministic index).
    b : Atkinson shape parameter in (0, 1). alpha : Esteban-Ray sensitivity in [0, 1.6].
    profile_grid : None for the exact concentration profile, m for PySAL's m-point grid.
    simulations, draws : random allocations (Carrington-Troske modified Gini; modified D uses
        its exact expectation) and multinomial redraws (Allen et al.) averaged by the corrected
        indices; seed seeds both.

    Returns
    -------
    DataFrame with columns index, group, value; group is '' for diversity and multigroup rows.

    Examples
    --------
    >>> segregation_indices(np.array([[10, 0], [0, 10]]), ["a", "b"], "dissimilarity")
               index group  value
    0  dissimilarity     a    1.0
    1  dissimilarity     b    1.0
    """
    array, names = check_counts(counts, names)
    wanted = resolve_indices(indices)
    whole = diversity.diversity_indices(column_sums(array), alpha=alpha)
    if all(name in whole for name in wanted):
        return _tidy(wanted, [""] * len(wanted), [whole[name] for name in wanted])
    tab = Table.from_counts(array)
    empty = tab.group_totals == 0
    per_group_wanted = [n for n in wanted if n in PER_GROUP_INDICES or n in RANDOM_INDICES]
    if empty.any() and per_group_wanted:
        missing = ", ".join(name for name, e in zip(names, empty, strict=True) if e)
        warnings.warn(
            f"groups without persons get NaN for per-group indices: {missing}",
            RuntimeWarning,
            stacklevel=2,
        )
    per_group = _per_group_values(tab, names, per_group_wanted, b, profile_grid)
    random_wanted = set(wanted) & set(RANDOM_INDICES)
    if random_wanted:
        random_values = _random_index_groups(
            tab.nonempty(), random_wanted, simulations, draws, seed
        )
        for name, values in random_values.items():
            full = np.full(len(names), np.nan)
            full[~empty] = values
            per_group[name] = full
    index_column: list[str] = []
    group_column: list[str] = []
    value_column: list = []
    nonempty = tab.nonempty()
    for name in wanted:
        if name in per_group:
            index_column += [name] * len(names)
            group_column += names
            value_column += list(per_group[name])
        else:
            index_column.append(name)
            group_column.append("")
            value_column.append(
                whole[name] if name in whole else MULTIGROUP_INDICES[name](nonempty)
            )
    return _tidy(index_column, group_column, value_column)


def _tidy(index: list[str], group: list[str], value: list) -> pd.DataFrame:
    return pd.DataFrame(
        {"index": index, "group": group, "value": np.asarray(value, dtype=float)}
    )


def _per_group_values(
    tab: Table, names: list[str], wanted: list[str], b: float, profile_grid: int | None
) -> dict[str, np.ndarray]:
    params = {"atkinson": {"b": b}, "concentration_profile": {"grid": profile_grid}}
    deterministic = [n for n in wanted if n in PER_GROUP_INDICES]
    out = {name: np.empty(len(names)) for name in deterministic}
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, len(names), GROUP_BLOCK):
            columns = slice(start, start + GROUP_BLOCK)
            block = tab.block(columns)
            for name in deterministic:
                out[name][columns] = PER_GROUP_INDICES[name](block, **params.get(name, {}))
    empty = tab.group_totals == 0
    for values in out.values():
        values[empty] = np.nan
    return out


def _checked_counts(cells: pd.Series, path, column: str) -> pd.Series:
    """The count cells as floats, checked by ``limits.parse_count`` (row 2 is the first data
    row): all at once when every cell is plainly a valid count, else cell by cell, so the
    first bad one is named in parse_count's sentence."""
    text = cells.astype(str).str.strip().str.replace("\u00a0", "").str.replace(" ", "")
    values = pd.to_numeric(text, errors="coerce").astype(float)
    if (np.isfinite(values) & (values >= 0) & (values <= MAX_PERSONS)).all():
        return values
    return pd.Series([parse_count(value, path, row, column, whole=False)
                      for row, value in enumerate(cells, start=2)], index=cells.index,
                     dtype=float)


def counts_from_long(
    frame: pd.DataFrame,
    area: str = "area",
    group: str = "group",
    count: str = "count",
    path: str | None = None,
) -> tuple[np.ndarray, list, list]:
    """Pivot a tidy (area, group, count) frame to counts[area, group], checking every row.

    A group named ``total`` gives area totals: groups may not sum above it, and any remainder
    becomes a group ``residual`` (with a warning). Returns counts, area ids and group names.
    """
    for column in (area, group, count):
        if column not in frame.columns:
            raise InputError(
                path, 1, column, f"no column {column!r}; columns are {list(frame.columns)}"
            )
    values = _checked_counts(frame[count], path, count)
    keys = frame[[area, group]].astype(str)
    duplicated = keys.duplicated().to_numpy()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise InputError(
            path,
            row + 2,
            group,
            f"area {keys.iloc[row, 0]} lists group {keys.iloc[row, 1]} twice "
            "(give one period per table)",
        )
    table = (
        pd.DataFrame({"area": keys[area], "group": keys[group], "count": values.astype(float)})
        .pivot(index="area", columns="group", values="count")
        .fillna(0.0)
    )
    if "total" in table.columns:
        totals = table.pop("total")
        residual = totals - table.sum(axis=1)
        scale = np.maximum(totals.abs(), 1.0)
        over = residual < -1e-9 * scale
        if over.any():
            where = over.to_numpy().nonzero()[0][0]
            raise InputError(
                path, None, count,
                f"area {table.index[where]}: groups sum to {table.iloc[where].sum():g}, "
                f"above its total {totals.iloc[where]:g}",
            )
        residual = residual.where(residual > 1e-9 * scale, 0.0)
        if (residual > 0).any():
            warnings.warn(
                f"{residual.sum():g} persons in area totals but in no group form group 'residual'",
                RuntimeWarning,
                stacklevel=2,
            )
            table["residual"] = residual
    return table.to_numpy(), list(table.index), list(table.columns)
