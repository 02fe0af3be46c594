"""Synthetic control for a programme in one area (Abadie, Diamond & Hainmueller 2010), through
diff-diff's ``SyntheticControl``; inference by in-space placebos (each donor in turn treated as
if it had the programme; p = rank of the treated area's post/pre RMSPE ratio).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from kelisim.errors import ArgumentError
from kelisim.evaluate.conclusion import assumption_texts

# Codes of evaluate/assumptions.json (the texts in kk, ru and en).
ASSUMPTIONS = ("synth_weighted_donors", "synth_no_spillover", "synth_placebo_rank", "synth_fit")


@dataclass
class SynthResult:
    """The average post-programme gap, its placebo p-value, donor weights and the fit."""

    effect: float
    placebo_p_value: float
    pre_rmspe: float
    weights: pd.DataFrame  # unit, weight
    gaps: pd.DataFrame  # period, gap
    n_donors: int
    assumption_codes: list[str] = field(default_factory=lambda: list(ASSUMPTIONS))

    @property
    def assumptions(self) -> list[str]:
        """The assumptions in English (``assumption_texts`` gives kk and ru)."""
        return assumption_texts(self.assumption_codes)


def synthetic_control(
    panel: pd.DataFrame, unit: str, time: str, outcome: str, treated_unit, start, seed: int = 0,
) -> SynthResult:
    """Synthetic control for ``treated_unit`` starting at ``start``; every other unit is a donor
    (drop treated donors beforehand)."""
    from diff_diff import SyntheticControl

    if treated_unit not in set(panel[unit]):
        raise ArgumentError("area", f"no unit '{treated_unit}' in the panel")
    frame = panel[[unit, time, outcome]].copy()
    frame["treated"] = ((frame[unit] == treated_unit) & (frame[time] >= start)).astype(int)
    if frame[unit].nunique() < 3:
        raise ArgumentError("area", "a synthetic control needs at least two donor areas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = SyntheticControl(seed=seed, v_method="inverse_variance").fit(
            frame, outcome=outcome, treatment="treated", unit=unit, time=time)
        fit.in_space_placebo()
        gaps = fit.get_gap_df()
    return SynthResult(
        effect=float(fit.att), placebo_p_value=float(fit.placebo_p_value),
        pre_rmspe=float(fit.pre_rmspe), weights=fit.get_weights_df(), gaps=gaps,
        n_donors=int(fit.n_donors),
    )
