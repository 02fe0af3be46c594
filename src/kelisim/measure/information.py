"""Information-theory segregation: Theil's M and H, their decompositions and local scores.

Follows the R package ``segregation`` (Elbers): between/within decomposition over a hierarchy
(Theil & Finizza 1971; Mora & Ruiz-Castillo 2011, Sociol Methodol 41:159), local scores whose
weighted sum is M (Frankel & Volij 2011, J Econ Theory 146:1), and the change between two
tables split into additions, removals, area-marginal, group-marginal and structural parts by a
Shapley decomposition over margins-adjusted tables (Elbers 2023, Sociol Methods Res 52(1):3,
"A Method for Studying Differences in Segregation Across Time and Space").
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kelisim.errors import ArgumentError
from kelisim.measure import aspatial
from kelisim.measure.aspatial import Table, check_counts, xlogy
from kelisim.measure.diversity import entropy


def mutual_information(counts: np.ndarray) -> float:
    """M of an [area, group] table (see :func:`kelisim.measure.aspatial.mutual_information`)."""
    x = np.asarray(counts, dtype=float)
    return aspatial.mutual_information(Table.from_counts(x)) if x.sum() > 0 else float("nan")


def theil_h(counts: np.ndarray) -> float:
    """H = M / E(groups) (Theil & Finizza 1971); NaN when all persons are in one group."""
    group_entropy = float(entropy(np.asarray(counts, dtype=float).sum(axis=0)))
    return mutual_information(counts) / group_entropy if group_entropy > 0 else float("nan")


def _within_codes(within: Sequence, n_areas: int) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(within)
    if labels.shape != (n_areas,):
        raise ArgumentError("within", f"needs one label per area ({n_areas}), got {labels.shape}")
    if pd.isna(pd.Series(labels)).any():
        raise ArgumentError("within", "some areas have no higher-level label")
    return np.unique(labels, return_inverse=True)


def _collapse(counts: np.ndarray, codes: np.ndarray, n_units: int) -> np.ndarray:
    out = np.zeros((n_units, counts.shape[1]))
    np.add.at(out, codes, counts)
    return out


def within_scores(counts: np.ndarray, within: Sequence) -> pd.DataFrame:
    """M and H inside each higher-level unit, with its population share and entropy ratio.

    Columns: within, share (p_w), entropy_ratio (E_w / E), mutual_information, theil_h; the
    within term of M is sum share * mutual_information, that of H sum share * entropy_ratio * H.
    """
    array, _ = check_counts(counts)
    units, codes = _within_codes(within, array.shape[0])
    total_entropy = float(entropy(array.sum(axis=0)))
    rows = []
    for w, unit in enumerate(units):
        part = array[codes == w]
        rows.append(
            (
                unit,
                part.sum() / array.sum(),
                float(entropy(part.sum(axis=0))) / total_entropy,
                mutual_information(part),
                theil_h(part),
            )
        )
    return pd.DataFrame(
        rows, columns=["within", "share", "entropy_ratio", "mutual_information", "theil_h"]
    )


def decompose(counts: np.ndarray, within: Sequence) -> pd.DataFrame:
    """Split total M and H into between-unit and within-unit parts: total = between + within.

    ``within`` gives each area's higher-level unit (e.g. its region for districts).
    Returns columns index (mutual_information | multi_theil_h), component, value.
    """
    array, _ = check_counts(counts)
    units, codes = _within_codes(within, array.shape[0])
    between_m = mutual_information(_collapse(array, codes, units.size))
    scores = within_scores(array, within)
    within_m = float((scores["share"] * scores["mutual_information"].fillna(0.0)).sum())
    total_m = mutual_information(array)
    total_entropy = float(entropy(array.sum(axis=0)))
    rows = [
        ("mutual_information", "total", total_m),
        ("mutual_information", "between", between_m),
        ("mutual_information", "within", within_m),
        ("multi_theil_h", "total", total_m / total_entropy),
        ("multi_theil_h", "between", between_m / total_entropy),
        ("multi_theil_h", "within", within_m / total_entropy),
    ]
    return pd.DataFrame(rows, columns=["index", "component", "value"])


def local_scores(
    counts: np.ndarray,
    names: Sequence[str] | None = None,
    areas: Sequence | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Local segregation of each area and of each group; sum(weight * score) = M for both.

    Area i: L_i = sum_k p_k|i ln(p_k|i / p_k), weight p_i. Group k: L_k = sum_i p_i|k
    ln(p_i|k / p_i), weight p_k (Frankel & Volij 2011; Elbers, R ``mutual_local``).
    Areas without persons get NaN with weight 0.
    """
    array, names = check_counts(counts, names)
    areas = list(range(array.shape[0])) if areas is None else list(areas)
    tab = Table.from_counts(array)
    t = array.sum(axis=1)
    area_weight = t / tab.total
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = array / t[:, None]
        area_score = xlogy(shares, shares / tab.overall_shares).sum(axis=1)
        area_score = np.where(t > 0, area_score, np.nan)
        within_group = array / tab.group_totals
        group_score = xlogy(within_group, within_group / area_weight[:, None]).sum(axis=0)
        group_score = np.where(tab.group_totals > 0, group_score, np.nan)
    area_frame = pd.DataFrame({"area": areas, "score": area_score, "weight": area_weight})
    group_frame = pd.DataFrame(
        {"group": names, "score": group_score, "weight": tab.overall_shares}
    )
    return area_frame, group_frame


def ipf(
    seed_table: np.ndarray,
    row_margins: np.ndarray,
    column_margins: np.ndarray,
    tolerance: float = 1e-12,
    max_iterations: int = 10_000,
) -> np.ndarray:
    """Iterative proportional fitting (Deming & Stephan 1940): a table with the given margins
    (as shares) and the odds ratios of ``seed_table``."""
    fitted = np.asarray(seed_table, dtype=float) / np.sum(seed_table)
    rows = np.asarray(row_margins, dtype=float) / np.sum(row_margins)
    columns = np.asarray(column_margins, dtype=float) / np.sum(column_margins)
    for _ in range(max_iterations):
        fitted *= (rows / fitted.sum(axis=1))[:, None]
        fitted *= columns / fitted.sum(axis=0)
        if np.abs(fitted.sum(axis=1) - rows).max() < tolerance:
            return fitted
    raise ArgumentError(
        "counts", "the margins of one table cannot be fitted to the structure of the other (IPF)"
    )


def mutual_difference(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Decompose M(second) - M(first) for two wide tables (index area, columns group).

    diff = additions + removals + area_marginal + group_marginal + structural, where removals
    = M1(overlap) - M1 and additions = M2 - M2(overlap) come from areas or groups present in
    only one table, and the change on the overlap is split by the Shapley value over three
    factors (area margins, group margins, structure), each combination built by IPF.
    Returns columns stat, value.
    """
    one = first.astype(float)
    two = second.astype(float)
    for frame, name in ((one, "first"), (two, "second")):
        check_counts(frame.to_numpy(), [str(c) for c in frame.columns])
        if frame.index.duplicated().any():
            raise ArgumentError(name, "an area appears twice")
    areas = [a for a in one.index if a in set(two.index)]
    groups = [g for g in one.columns if g in set(two.columns)]
    one_overlap = one.loc[areas, groups]
    two_overlap = two.loc[areas, groups]
    populated = (one_overlap.sum(axis=1) > 0) & (two_overlap.sum(axis=1) > 0)
    present = (one_overlap.sum(axis=0) > 0) & (two_overlap.sum(axis=0) > 0)
    one_overlap = one_overlap.loc[populated, present].to_numpy()
    two_overlap = two_overlap.loc[populated, present].to_numpy()
    m1, m2 = mutual_information(one.to_numpy()), mutual_information(two.to_numpy())
    m1_overlap, m2_overlap = mutual_information(one_overlap), mutual_information(two_overlap)
    tables = (one_overlap, two_overlap)

    @functools.cache
    def value(area_from: int, group_from: int, structure_from: int) -> float:
        return mutual_information(
            ipf(
                tables[structure_from],
                tables[area_from].sum(axis=1),
                tables[group_from].sum(axis=0),
            )
        )

    factors = ("area_marginal", "group_marginal", "structural")
    shapley = dict.fromkeys(factors, 0.0)
    for order in itertools.permutations(range(3)):
        state = [0, 0, 0]
        before = value(*state)
        for factor in order:
            state[factor] = 1
            after = value(*state)
            shapley[factors[factor]] += (after - before) / math.factorial(3)
            before = after
    rows = [
        ("M1", m1),
        ("M2", m2),
        ("diff", m2 - m1),
        ("additions", m2 - m2_overlap),
        ("removals", m1_overlap - m1),
        *shapley.items(),
    ]
    return pd.DataFrame(rows, columns=["stat", "value"])
