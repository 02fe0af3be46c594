"""Daily aggregation, tension index, seasonal baseline and spikes (kelisim.monitor.aggregate,
kelisim.monitor.spikes). All documents are CONSTRUCTED."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kelisim.core.areas import COUNTRY, region_code
from kelisim.monitor.aggregate import add_baseline, daily_counts
from kelisim.monitor.spikes import alerts_from_spikes, detect_spikes, upper_tail_probability

PAVLODAR_CITY = "551010000"  # a place inside region 550000000 (Pavlodar)


def _docs(rows):
    frame = pd.DataFrame(
        rows,
        columns=["doc_id", "published_at", "relevant", "tier", "hostility_score",
                 "counter_speech", "groups", "places"],
    )  # fmt: skip
    frame["published_at"] = pd.to_datetime(frame["published_at"])
    return frame


def test_region_code():
    assert region_code(PAVLODAR_CITY) == "550000000"


def test_daily_counts_by_hand():
    docs = _docs(
        [
            ("a", "2024-01-01 10:00", True, 3, 0.8, False, ["russian"], [PAVLODAR_CITY]),
            ("b", "2024-01-01 18:00", True, 1, 0.1, True, ["russian", "kazakh"], []),
            ("c", "2024-01-01 20:00", False, 0, 0.0, False, [], [PAVLODAR_CITY]),
            ("d", "2024-01-02 09:00", True, 5, 0.9, False, [], []),
        ]
    )
    daily = daily_counts(docs).set_index(["area", "group", "period"])
    country = daily.loc[(COUNTRY, "total", pd.Timestamp("2024-01-01"))]
    assert country["volume"] == 3 and country["relevant_count"] == 2
    assert country["share_relevant"] == pytest.approx(2 / 3)
    assert country["tier_0"] == 1 and country["tier_1"] == 1 and country["tier_3"] == 1
    assert country["counter_speech_count"] == 1
    assert country["tension_index"] == 2.0  # tier 3 weighs 2, tiers 0 and 1 weigh 0
    region = daily.loc[("550000000", "total", pd.Timestamp("2024-01-01"))]
    assert region["volume"] == 2
    assert daily.loc[(COUNTRY, "russian", pd.Timestamp("2024-01-01")), "volume"] == 2
    assert daily.loc[(COUNTRY, "total", pd.Timestamp("2024-01-02")), "tension_index"] == 8.0


def _series(counts, start="2024-01-01", tier=2):
    rows = []
    for day, count in zip(pd.date_range(start, periods=len(counts)), counts, strict=True):
        for k in range(count):
            rows.append(
                (f"{day.date()}-{k}", day, True, tier, 0.5, False, ["uzbek"], ["511010000"])
            )
    return _docs(rows)


def test_baseline_level_and_weekday_factor():
    # Weekdays carry 10 items, weekends 3: 2024-01-01 is a Monday.
    weekly = [10, 10, 10, 10, 10, 3, 3]
    docs = _series(weekly * 6)
    table = add_baseline(daily_counts(docs))
    row = table[(table["area"] == COUNTRY) & (table["group"] == "total")].set_index("period")
    monday = row.loc[pd.Timestamp("2024-02-05")]
    level = (10 * 5 + 3 * 2) / 7
    factor = 10 / level
    assert monday["volume_expected"] == pytest.approx(level * factor)  # = 10
    saturday = row.loc[pd.Timestamp("2024-02-10")]
    assert saturday["volume_expected"] == pytest.approx(3.0)
    # No baseline before four weeks of history.
    assert np.isnan(row.loc[pd.Timestamp("2024-01-20"), "volume_expected"])


def test_poisson_and_negative_binomial_tails():
    p = upper_tail_probability(np.array([5.0]), np.array([0.5]), np.array([1.0]))
    by_hand = 1 - sum(math.exp(-0.5) * 0.5**k / math.factorial(k) for k in range(5))
    assert p[0] == pytest.approx(by_hand)
    assert p[0] == pytest.approx(stats.poisson.sf(4, 0.5))
    # Negative binomial with mean 2 and variance 6 (phi = 3): n = 1, p = 1/3.
    p = upper_tail_probability(np.array([4.0]), np.array([2.0]), np.array([3.0]))
    assert p[0] == pytest.approx(sum((1 / 3) * (2 / 3) ** k for k in range(4, 400)))


def test_spike_raises_an_alert_with_top_items():
    rng = np.random.default_rng(3)
    counts = list(rng.poisson(2, size=35)) + [15]
    docs = _series(counts)
    docs.loc[docs.index[-1], ["tier", "hostility_score"]] = (4, 0.95)
    spikes = detect_spikes(add_baseline(daily_counts(docs)))
    last_day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=35)
    assert (spikes["period"] == last_day).all() and len(spikes) > 0
    assert {"000000000", "510000000", "511010000"} <= set(spikes["area"])
    alerts = alerts_from_spikes(spikes, docs, top=3)
    uzbek = alerts[(alerts["group_code"] == "uzbek") & (alerts["area_code"] == "511010000")]
    assert uzbek["top_doc_ids"].iloc[0][0] == docs["doc_id"].iloc[-1]
    assert alerts["alert_id"].is_unique
    assert alerts.loc[alerts["metric"] == "relevant_count", "value"].eq(15).all()


def test_no_alert_below_minimum_count_or_within_noise():
    docs = _series([1] * 35 + [4])
    spikes = detect_spikes(add_baseline(daily_counts(docs)), min_count=5)
    assert spikes.empty
    docs = _series([6, 9, 7, 8, 6, 10, 8] * 5 + [11])
    assert detect_spikes(add_baseline(daily_counts(docs))).empty
