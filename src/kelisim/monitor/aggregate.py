"""Aggregation: daily counts per area and group, a tension index and its seasonal baseline.

Each classified document counts once in every cell it belongs to: the country
('000000000'), each place it mentions, that place's district (first four KATO digits +
'00000', when a bundled district) and region (first two KATO digits + '0000000'); and the
group 'total' plus each group it mentions.

Tension index of a cell-day: the severity-weighted count of its documents,

    tension_index = sum over documents of w[tier],  w = (0, 0, 1, 2, 4, 8) for tiers 0..5,

so a neutral report adds nothing, tension 1, hostility 2, dehumanisation 4 and incitement 8:
each step up the Dangerous Speech ladder counts double the one below (Benesch 2012, "Dangerous
Speech: A Proposal to Prevent Group Violence"; tiers as in the Rabat Plan of Action, 2012).
Counter-speech is counted separately, never subtracted.

Seasonal baseline of a metric x on day t (Holt-Winters-style multiplicative seasonality with a
moving-average level, Hyndman and Athanasopoulos, *Forecasting: Principles and Practice*,
3rd ed., ch. 3.4 and 8.3):

    level_t    = mean of x over the trailing window (days t-28 .. t-1; 4 weeks, so every
                 weekday weighs the same)
    factor_t   = mean country volume on t's weekday / mean country volume, both over the
                 same trailing window (the weekly rhythm of publishing, shared by all cells)
    expected_t = level_t * factor_t
    dispersion = max(1, variance / mean of x over the window)   (over-dispersion for spikes)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kelisim.core.areas import COUNTRY
from kelisim.monitor.gazetteer import area_and_parents

ALL_GROUPS = "total"
TIER_WEIGHTS = (0.0, 0.0, 1.0, 2.0, 4.0, 8.0)
WINDOW_DAYS = 28
METRICS = ("volume", "relevant_count", "tension_index")
DAILY_INPUT_COLUMNS = ("published_at", "relevant", "tier", "counter_speech", "groups", "places")


def _cells(places: object, groups: object) -> list[tuple[str, str]]:
    areas = {COUNTRY}
    for place in places if places is not None else ():
        areas.update(area_and_parents(place))
    cell_groups = {ALL_GROUPS, *(groups if groups is not None else ())}
    return [(area, group) for area in sorted(areas) for group in sorted(cell_groups)]


def daily_counts(documents: pd.DataFrame) -> pd.DataFrame:
    """Per area, group and day (``period``): volume, relevant_count, share_relevant,
    tier_0 .. tier_5, counter_speech_count and tension_index.

    ``documents`` needs published_at, relevant, tier, counter_speech, groups and places.
    """
    cells = [
        _cells(places, groups)
        for places, groups in zip(documents["places"], documents["groups"], strict=True)
    ]
    lengths = np.fromiter((len(c) for c in cells), dtype=np.int64, count=len(cells))
    rows = np.repeat(np.arange(len(documents)), lengths)
    flat = [cell for doc_cells in cells for cell in doc_cells]
    tier = documents["tier"].to_numpy(dtype=np.int64)[rows]
    long = pd.DataFrame(
        {
            "area": [area for area, _ in flat],
            "group": [group for _, group in flat],
            "period": pd.to_datetime(documents["published_at"]).dt.floor("D").to_numpy()[rows],
            "volume": 1,
            "relevant_count": documents["relevant"].to_numpy(dtype=bool)[rows].astype(np.int64),
            "counter_speech_count": documents["counter_speech"]
            .fillna(False)
            .to_numpy(dtype=bool)[rows]
            .astype(np.int64),
            "tension_index": np.asarray(TIER_WEIGHTS)[tier],
        }
    )
    for level in range(6):
        long[f"tier_{level}"] = (tier == level).astype(np.int64)
    long = long.dropna(subset=["period"])
    daily = long.groupby(["area", "group", "period"], as_index=False).sum()
    daily.insert(5, "share_relevant", daily["relevant_count"] / daily["volume"])
    return daily


def merge_daily_counts(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The :func:`daily_counts` of a collection from those of its disjoint batches: counts
    and tension are sums, ``share_relevant`` is recomputed from the summed counts."""
    tables = [table for table in tables if not table.empty]
    if not tables:
        return daily_counts(pd.DataFrame(columns=DAILY_INPUT_COLUMNS))
    merged = (
        pd.concat(tables, ignore_index=True)
        .drop(columns="share_relevant")
        .groupby(["area", "group", "period"], as_index=False)
        .sum()
    )
    merged.insert(5, "share_relevant", merged["relevant_count"] / merged["volume"])
    return merged[tables[0].columns]


def add_baseline(daily: pd.DataFrame, window: int = WINDOW_DAYS) -> pd.DataFrame:
    """The daily table on a complete day grid (missing days count zero) with, for each
    metric in :data:`METRICS`, columns ``<metric>_expected`` and ``<metric>_dispersion``."""
    if daily.empty:
        derived = [f"{m}_{s}" for m in METRICS for s in ("expected", "dispersion")]
        return daily.assign(**{column: pd.Series(dtype=float) for column in derived})
    days = pd.date_range(daily["period"].min(), daily["period"].max(), freq="D")
    country = (
        daily[(daily["area"] == COUNTRY) & (daily["group"] == ALL_GROUPS)]
        .set_index("period")["volume"]
        .reindex(days, fill_value=0)
        .astype(float)
    )
    factor = _weekday_factor(country, window)
    keys = daily[["area", "group"]].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"period": days}), how="cross")
    full = grid.merge(daily, on=["area", "group", "period"], how="left")
    count_columns = [c for c in daily.columns if c not in ("area", "group", "period")]
    full[count_columns] = full[count_columns].fillna(0)
    full = full.sort_values(["area", "group", "period"], ignore_index=True)
    series = full.groupby(["area", "group"], sort=False)
    day_factor = factor.reindex(full["period"]).to_numpy()
    for metric in METRICS:
        shifted = series[metric].shift(1)
        rolling = shifted.groupby([full["area"], full["group"]], sort=False).rolling(
            window, min_periods=window
        )
        level = rolling.mean().reset_index(level=[0, 1], drop=True).sort_index()
        variance = rolling.var().reset_index(level=[0, 1], drop=True).sort_index()
        full[f"{metric}_expected"] = level.to_numpy() * day_factor
        dispersion = (variance / level).where(level > 0, 1.0)
        full[f"{metric}_dispersion"] = np.maximum(1.0, dispersion.to_numpy())
    return full


def _weekday_factor(volume: pd.Series, window: int) -> pd.Series:
    """Ratio of the trailing mean volume on each day's weekday to the trailing mean volume,
    clipped to [0.25, 4]; 1 where the trailing mean is zero or the history is too short."""
    shifted = volume.shift(1)
    overall = shifted.rolling(window, min_periods=window).mean()
    weeks = window // 7
    weekday_mean = sum(volume.shift(7 * k) for k in range(1, weeks + 1)) / weeks
    factor = (weekday_mean / overall).where(overall > 0)
    return factor.clip(0.25, 4.0).fillna(1.0)
