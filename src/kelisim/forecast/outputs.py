"""Tidy tables from projected arrays: area, group, sex, age, period, count, share (+ quantiles).

Summary rows have sex 'both' and age 'total'; group 'total' holds all persons of an area.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kelisim.forecast.rates import SEXES, Grid

QUANTILE_COLUMNS = ("lower95", "lower80", "median", "upper80", "upper95")
QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)


def summary_cells(state: np.ndarray) -> np.ndarray:
    """Counts [A, G + 1] of one state [A, G, S, X]: each group, then the area total.

    Summed in double precision: a single-precision draw's cells are exact below 2^24, their
    sum (19 186 015 persons) is not, and rounding it put the intervals beside their point.
    """
    by_group = state.sum(axis=(2, 3), dtype=np.float64)
    return np.concatenate([by_group, by_group.sum(axis=1, keepdims=True)], axis=1)


def summary_table(counts: np.ndarray, grid: Grid, periods, scenario: str) -> pd.DataFrame:
    """Tidy rows from summary counts [T, A, G + 1] with each group's share of its area."""
    steps, areas, groups = counts.shape
    group_codes = [*grid.groups, "total"]
    totals = counts[:, :, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / totals, np.nan)
    return pd.DataFrame({
        "scenario": scenario,
        "area": np.tile(np.repeat(grid.areas, groups), steps),
        "group": np.tile(group_codes, steps * areas),
        "sex": "both",
        "age": "total",
        "period": np.repeat(np.asarray(periods), areas * groups),
        "count": counts.reshape(-1),
        "share": shares.reshape(-1),
    })


def detail_table(path: np.ndarray, grid: Grid, periods, scenario: str) -> pd.DataFrame:
    """Tidy rows for every area, group, sex and age from a path [T, A, G, S, X]."""
    steps, areas, groups, sexes, ages = path.shape
    index = pd.MultiIndex.from_product(
        [periods, grid.areas, grid.groups, SEXES[:sexes], grid.age_labels()],
        names=["period", "area", "group", "sex", "age"])
    frame = index.to_frame(index=False)
    frame["count"] = path.reshape(-1)
    frame.insert(0, "scenario", scenario)
    return frame[["scenario", "area", "group", "sex", "age", "period", "count"]]


def projection_table(path: np.ndarray, grid: Grid, periods, scenario: str,
                     detail: bool = False) -> pd.DataFrame:
    """Summary rows (and detail rows if asked) of a deterministic projection path."""
    counts = np.stack([summary_cells(state) for state in path])
    summary = summary_table(counts, grid, periods, scenario)
    if not detail:
        return summary
    return pd.concat([summary, detail_table(path, grid, periods, scenario)], ignore_index=True)


def diversity_of(table: pd.DataFrame, period: int) -> pd.DataFrame:
    """Diversity of the projected composition of each scenario and area in one period.

    Calls ``kelisim.measure.diversity_by_area`` on the (area, group, count) table of each
    scenario; returns one row per scenario and area with a column per diversity index.
    """
    from kelisim.measure import diversity_by_area

    rows = table[(table["group"] != "total") & (table["age"] == "total")
                 & (table["sex"] == "both") & (table["period"] == period)]
    parts = [diversity_by_area(part[["area", "group", "count"]]).assign(scenario=scenario)
             for scenario, part in rows.groupby("scenario", sort=False)]
    long = pd.concat(parts, ignore_index=True)
    wide = long.pivot_table(index=["scenario", "area"], columns="index", values="value",
                            sort=False)
    return wide.reset_index().rename_axis(columns=None)
