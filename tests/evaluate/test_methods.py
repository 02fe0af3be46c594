"""Interrupted time series, synthetic control and the plain-language conclusions
(constructed series; the ITS point estimates are checked against a Prais-Winsten/Cochrane-Orcutt
transform solved by numpy's least squares, an independent implementation of the same GLS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kelisim.errors import ArgumentError
from kelisim.evaluate.conclusion import conclusion
from kelisim.evaluate.its import interrupted_time_series
from kelisim.evaluate.synth import synthetic_control


def _series(seed: int, level: float, slope: float, rho: float = 0.5) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(60)
    noise = np.zeros(60)
    for i in range(1, 60):
        noise[i] = rho * noise[i - 1] + rng.normal(0, 1)
    post = t >= 36
    values = 10 + 0.1 * t + level * post + slope * (t - 36) * post + noise
    return pd.Series(values, index=pd.date_range("2019-01-01", periods=60, freq="MS"))


def test_its_matches_least_squares_and_recovers_the_break():
    series = _series(1, level=-5.0, slope=0.0)
    result = interrupted_time_series(series, pd.Timestamp("2022-01-01"))
    t = np.arange(60.0)
    post = (t >= 36).astype(float)
    design = np.column_stack([np.ones(60), t, post, (t - 36) * post])
    rho, y = result.autocorrelation, series.to_numpy()
    # Cochrane-Orcutt quasi-differences at the fitted rho (first observation dropped).
    coefficients = np.linalg.lstsq(design[1:] - rho * design[:-1], y[1:] - rho * y[:-1],
                                   rcond=None)[0]
    assert result.estimates["estimate"].to_numpy() == pytest.approx(coefficients[2:], abs=1e-6)
    assert 0.2 < rho < 0.8
    level = result.estimates.iloc[0]
    assert level["lower"] < -5.0 < level["upper"] and level["upper"] < 0
    assert (result.periods_before, result.periods_after) == (36, 24)
    assert any("AR(1)" in a for a in result.assumptions)


def test_its_refuses_too_short_a_side():
    with pytest.raises(ArgumentError, match="needs at least 3 periods on each side"):
        interrupted_time_series(_series(2, 0, 0), pd.Timestamp("2023-11-01"))


def test_its_placebo_rejections_stay_near_the_level():
    rejections = 0
    for seed in range(100):
        level = interrupted_time_series(_series(seed, 0.0, 0.0), pd.Timestamp("2022-01-01")) \
            .estimates.iloc[0]
        rejections += not (level["lower"] <= 0 <= level["upper"])
    assert rejections <= 10  # at most 10% at the 5% level (Newey-West gave 18%)


def test_synthetic_control_recovers_an_effect_on_a_convex_combination():
    rng = np.random.default_rng(4)
    months = np.arange(1, 49)
    donors = {f"d{i}": 5 + rng.normal(0, 1) + np.cumsum(rng.normal(0, 0.5, 48))
              for i in range(8)}
    treated = 0.6 * donors["d1"] + 0.4 * donors["d5"] + np.where(months >= 37, 3.0, 0.0)
    rows = [(name, m, v) for name, values in {**donors, "t": treated}.items()
            for m, v in zip(months, values, strict=True)]
    panel = pd.DataFrame(rows, columns=["area", "month", "y"])
    result = synthetic_control(panel, "area", "month", "y", "t", 37)
    assert result.effect == pytest.approx(3.0, abs=0.3)
    assert result.placebo_p_value == pytest.approx(1 / 9)
    weights = result.weights.set_index("unit")["weight"]
    assert weights.get("d1", 0) + weights.get("d5", 0) > 0.8
    assert any("spillover" in a for a in result.assumptions)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_conclusion_never_claims_more_than_the_interval(language):
    unclear = conclusion(-0.4, -1.2, 0.4, language, 1.1, 0.3)
    clear = conclusion(-0.9, -1.5, -0.3, language, 0.8, 0.01)
    assert unclear != clear
    point = "." if language == "en" else ","  # numbers as the language writes them (CLDR)
    assert f"-1{point}20" in unclear and f"0{point}400" in unclear and f"1{point}10" in unclear
    assert f"1{point}50" in clear and f"0{point}300" in clear
    words = {"en": ("fell", "rose"), "ru": ("снизился", "вырос"), "kk": ("төмендеді", "өсті")}
    fell, rose = words[language]
    assert fell in clear and rose not in clear
    assert fell not in unclear and rose not in unclear


def test_conclusions_differ_by_language():
    texts = {language: conclusion(1.0, 0.5, 1.5, language) for language in ("kk", "ru", "en")}
    assert len(set(texts.values())) == 3
