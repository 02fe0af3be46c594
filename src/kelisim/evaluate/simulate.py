"""A staggered-adoption panel with known effects, for checking the estimators (constructed).

Areas x months; one never-treated block and ``cohorts`` adoption cohorts of equal size;
untreated outcomes = area effect + common month effect + AR(1) noise; the effect of the
activity grows with time since adoption and differs by cohort (heterogeneous and dynamic),
the setting in which two-way fixed effects are biased (Goodman-Bacon 2021; Callaway & Sant'Anna
2021, Sec. 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def staggered_panel(
    seed: int, areas: int = 20, months: int = 72, cohorts: int = 4, effect: float = 1.0,
    growth: float = 0.1, noise: float = 1.0, rho: float = 0.3,
) -> tuple[pd.DataFrame, float]:
    """(panel with area, month, first_treated, outcome, true_effect; the true simple ATT).

    Cohort k (1..cohorts) adopts at month 1 + k*months/(cohorts+2); its effect e months after
    adoption is ``effect * k/cohorts * (1 + growth*e)`` (zero when ``effect`` is 0: placebo).
    The true simple ATT averages the effects over treated area-months, as Callaway & Sant'Anna's
    simple aggregation weights them.
    """
    rng = np.random.default_rng(seed)
    block = areas // (cohorts + 1)
    step = months // (cohorts + 2)
    first = np.zeros(areas, dtype=int)
    for k in range(1, cohorts + 1):
        first[block * k: block * (k + 1)] = 1 + k * step
    scale = np.zeros(areas)
    scale[first > 0] = (np.searchsorted(np.unique(first[first > 0]), first[first > 0]) + 1) \
        / cohorts
    month = np.arange(1, months + 1)
    area_effect = rng.normal(0, 1, areas)[:, None]
    month_effect = (0.02 * month + 0.5 * np.sin(2 * np.pi * month / 12))[None, :]
    shocks = rng.normal(0, noise * np.sqrt(1 - rho**2), (areas, months))
    errors = np.empty_like(shocks)
    errors[:, 0] = rng.normal(0, noise, areas)
    for t in range(1, months):
        errors[:, t] = rho * errors[:, t - 1] + shocks[:, t]
    since = month[None, :] - first[:, None]
    treated = (first[:, None] > 0) & (since >= 0)
    true_effect = np.where(treated, effect * scale[:, None] * (1 + growth * since), 0.0)
    outcome = area_effect + month_effect + errors + true_effect
    panel = pd.DataFrame({
        "area": np.repeat(np.arange(1, areas + 1), months),
        "month": np.tile(month, areas),
        "first_treated": np.repeat(first, months),
        "outcome": outcome.ravel(),
        "true_effect": true_effect.ravel(),
    })
    return panel, float(true_effect[treated].mean())
