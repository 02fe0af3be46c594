"""Spike detection: a "rapid growth" signal in the manner of the Europe Media Monitor.

EMM raises a breaking-news alert when a cluster's count in the latest period grows far above
its recent average (Steinberger, Pouliquen and van der Goot 2009, "An introduction to the
Europe Media Monitor family of applications", SIGIR workshop). Here a cell (area, group, day)
is a spike for a metric when all hold:

- the observed value reaches ``min_count``;
- it is at least ``min_ratio`` times the seasonal baseline (:mod:`kelisim.monitor.aggregate`);
- its upper-tail probability under a negative binomial with the baseline as mean and the
  window's dispersion phi (variance = phi * mean; Poisson when phi = 1) is below ``alpha``.

The alert's ``score`` is -log10 of that probability.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy import stats

from kelisim.core.areas import COUNTRY
from kelisim.monitor.aggregate import ALL_GROUPS
from kelisim.monitor.gazetteer import area_and_parents

EXPECTED_FLOOR = 0.5  # a cell never seen before is compared with half an item a day
SPIKE_METRICS = ("relevant_count", "tension_index")


def upper_tail_probability(
    observed: np.ndarray, expected: np.ndarray, dispersion: np.ndarray
) -> np.ndarray:
    """P(X >= observed) for X negative binomial with mean ``expected`` and variance
    ``dispersion * expected`` (Poisson where dispersion is 1)."""
    observed = np.asarray(observed, dtype=float)
    mean = np.maximum(np.asarray(expected, dtype=float), EXPECTED_FLOOR)
    phi = np.asarray(dispersion, dtype=float)
    threshold = np.ceil(observed) - 1
    poisson = stats.poisson.sf(threshold, mean)
    over = phi > 1.0
    size = mean / np.where(over, phi - 1.0, 1.0)
    negative_binomial = stats.nbinom.sf(threshold, size, 1.0 / np.where(over, phi, 2.0))
    return np.where(over, negative_binomial, poisson)


def detect_spikes(
    baseline: pd.DataFrame,
    metrics: tuple[str, ...] = SPIKE_METRICS,
    min_count: float = 5,
    min_ratio: float = 2.0,
    alpha: float = 1e-3,
) -> pd.DataFrame:
    """Spikes in a table from :func:`kelisim.monitor.aggregate.add_baseline`; one row per
    (area, group, period, metric) with value, baseline, ratio and score."""
    found = []
    for metric in metrics:
        expected = baseline[f"{metric}_expected"]
        value = baseline[metric]
        candidate = expected.notna() & (value >= min_count)
        candidate &= value >= min_ratio * np.maximum(expected.fillna(0), EXPECTED_FLOOR)
        rows = baseline[candidate]
        p = upper_tail_probability(
            rows[metric], rows[f"{metric}_expected"], rows[f"{metric}_dispersion"]
        )
        keep = p < alpha
        found.append(
            pd.DataFrame(
                {
                    "area": rows["area"].to_numpy()[keep],
                    "group": rows["group"].to_numpy()[keep],
                    "period": rows["period"].to_numpy()[keep],
                    "metric": metric,
                    "value": rows[metric].to_numpy(dtype=float)[keep],
                    "baseline": rows[f"{metric}_expected"].to_numpy(dtype=float)[keep],
                    "score": -np.log10(np.maximum(p[keep], 1e-300)),
                }
            )
        )
    spikes = pd.concat(found, ignore_index=True)
    spikes["ratio"] = spikes["value"] / np.maximum(spikes["baseline"], EXPECTED_FLOOR)
    return spikes.sort_values(["period", "score"], ascending=[True, False], ignore_index=True)


def alerts_from_spikes(spikes: pd.DataFrame, documents: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """Alerts in the shape of the ``alerts`` table, each with the ids of its ``top``
    contributing documents (highest tier, then hostility score) in that area, group and day.

    ``documents`` needs doc_id, published_at, tier, hostility_score, groups and places.
    """
    day = pd.to_datetime(documents["published_at"]).dt.floor("D")
    ranked = documents.assign(period=day).sort_values(
        ["tier", "hostility_score"], ascending=False, kind="stable"
    )
    rows = []
    for spike in spikes.itertuples(index=False):
        same_day = ranked[ranked["period"] == spike.period]
        in_area = same_day["places"].map(
            lambda places, area=spike.area: (
                area == COUNTRY
                or any(area in area_and_parents(p) for p in (places if places is not None else ()))
            )
        )
        in_group = same_day["groups"].map(
            lambda groups, group=spike.group: (
                group == ALL_GROUPS or group in (groups if groups is not None else ())
            )
        )
        top_ids = same_day.loc[in_area & in_group, "doc_id"].head(top).tolist()
        group_code = None if spike.group == ALL_GROUPS else spike.group
        key = f"{spike.area}|{spike.group}|{pd.Timestamp(spike.period).date()}|{spike.metric}"
        rows.append(
            {
                "alert_id": hashlib.sha256(key.encode("utf-8")).hexdigest()[:32],
                "area_code": spike.area,
                "group_code": group_code,
                "day": pd.Timestamp(spike.period).date(),
                "metric": spike.metric,
                "value": spike.value,
                "baseline": spike.baseline,
                "score": spike.score,
                "top_doc_ids": top_ids,
            }
        )
    columns = [
        "alert_id", "area_code", "group_code", "day", "metric", "value", "baseline", "score",
        "top_doc_ids",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
