"""Interrupted time series for a national campaign: segmented regression with AR(1) errors
estimated by feasible GLS (iterated Cochrane-Orcutt, statsmodels ``GLSAR``), so that the
standard errors hold under autocorrelation.

y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t + e_t  (Wagner et al. 2002, "Segmented
regression analysis of interrupted time series studies in medication use research", J Clin
Pharm Ther 27(4)); b2 is the level change at the start, b3 the change in slope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kelisim.errors import ArgumentError
from kelisim.evaluate.conclusion import assumption_texts

# Codes of evaluate/assumptions.json (the texts in kk, ru and en).
ASSUMPTIONS = ("its_trend_continues", "its_same_measure", "its_ar1", "its_no_comparison")


@dataclass
class ItsResult:
    """Level and slope changes with their intervals, and what they rest on."""

    estimates: pd.DataFrame  # term, estimate, std_error, lower, upper
    periods_before: int
    periods_after: int
    autocorrelation: float
    assumption_codes: list[str] = field(default_factory=lambda: list(ASSUMPTIONS))

    @property
    def assumptions(self) -> list[str]:
        """The assumptions in English (``assumption_texts`` gives kk and ru)."""
        return assumption_texts(self.assumption_codes)


def interrupted_time_series(
    series: pd.Series, start, alpha: float = 0.05
) -> ItsResult:
    """Segmented regression of ``series`` (indexed by ordered periods) around ``start``."""
    from statsmodels.regression.linear_model import GLSAR

    series = series.dropna().sort_index()
    position = np.arange(len(series), dtype=float)
    post = (series.index >= start).astype(float)
    before, after = int((post == 0).sum()), int(post.sum())
    if before < 3 or after < 3:
        raise ArgumentError("start", f"an interrupted time series needs at least 3 periods on "
                            f"each side of {start}; there are {before} before and {after} after")
    t0 = position[post.astype(bool)][0]
    design = pd.DataFrame({"const": 1.0, "trend": position, "level_change": post,
                           "slope_change": (position - t0) * post})
    model = GLSAR(series.to_numpy(dtype=float), design, rho=1)
    fit = model.iterative_fit(maxiter=20)
    interval = fit.conf_int(alpha)
    terms = ["level_change", "slope_change"]
    estimates = pd.DataFrame({
        "term": terms, "estimate": fit.params[terms].to_numpy(),
        "std_error": fit.bse[terms].to_numpy(),
        "lower": interval.loc[terms, 0].to_numpy(), "upper": interval.loc[terms, 1].to_numpy(),
    })
    return ItsResult(estimates, before, after, float(model.rho[0]))
