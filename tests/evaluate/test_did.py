"""Staggered DiD (kelisim.evaluate.did) validated against R `did` and a second implementation.

Published result: the R `did` README (Callaway & Sant'Anna 2021 county teen-employment example,
`att_gt(..., xformla = ~1, est_method = "reg")`, never-treated controls), printed to 4
decimals. R's documentation prints no not-yet-treated run on mpdta (README, vignettes and
reference pages searched), so for both control groups the check is an independent
implementation: the `differences` package (ATTgt), which shares no code with diff-diff, on the
same data: every estimand (ATT(g,t), simple, group, dynamic, calendar by period and overall)
to 1e-6, analytical standard errors to 1e-4.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kelisim.errors import ArgumentError
from kelisim.evaluate.did import (
    minimum_detectable_effect,
    randomisation_p_value,
    staggered_did,
    twfe_estimate,
)
from kelisim.evaluate.simulate import staggered_panel

FIXTURE = Path(__file__).parents[1] / "fixtures" / "evaluation" / "mpdta_lemp_wide.csv"

# R did README: summary(out), Group-Time Average Treatment Effects, ATT(g,t) column.
R_ATT_GT = {
    (2004, 2004): -0.0105, (2004, 2005): -0.0704, (2004, 2006): -0.1373, (2004, 2007): -0.1008,
    (2006, 2004): 0.0065, (2006, 2005): -0.0028, (2006, 2006): -0.0046, (2006, 2007): -0.0412,
    (2007, 2004): 0.0305, (2007, 2005): -0.0027, (2007, 2006): -0.0311, (2007, 2007): -0.0261,
}
# summary(aggte(out, type = "dynamic")): event-time estimates and the overall -0.0772.
R_DYNAMIC = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373,
             3: -0.1008}
R_DYNAMIC_OVERALL = -0.0772
# summary(aggte(out, type = "group")): group estimates and the overall -0.031 (printed so).
R_GROUP = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}
R_GROUP_OVERALL = -0.031


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    wide = pd.read_csv(FIXTURE)
    long = wide.melt(id_vars=["countyreal", "first_treat"], var_name="year", value_name="lemp")
    long["year"] = long["year"].str[5:].astype(int)
    return long.sort_values(["countyreal", "year"]).reset_index(drop=True)


def _rows(result, estimand: str) -> pd.DataFrame:
    return result.estimates[result.estimates["estimand"] == estimand]


@pytest.fixture(scope="module")
def never(mpdta):
    return staggered_did(mpdta, "countyreal", "year", "first_treat", "lemp", control="never",
                         method="reg", bootstrap=0)


def test_group_time_effects_match_r_did_as_printed(never):
    cells = _rows(never, "att_gt")
    found = {(int(r.group), int(r.time)): r.estimate for r in cells.itertuples()}
    assert set(found) == set(R_ATT_GT)
    for key, printed in R_ATT_GT.items():
        assert round(found[key], 4) == pytest.approx(printed, abs=1e-12), key


def test_dynamic_and_group_aggregations_match_r_did_as_printed(never, mpdta):
    dynamic = _rows(never, "dynamic").set_index("event_time")["estimate"]
    for event_time, printed in R_DYNAMIC.items():
        assert round(dynamic[event_time], 4) == pytest.approx(printed, abs=1e-12)
    assert round(dynamic[dynamic.index >= 0].mean(), 4) == R_DYNAMIC_OVERALL
    groups = _rows(never, "group").set_index("group")["estimate"]
    for group, printed in R_GROUP.items():
        assert round(groups[group], 4) == pytest.approx(printed, abs=1e-12)
    sizes = mpdta.groupby("countyreal")["first_treat"].first().value_counts()
    overall = np.average(groups.to_numpy(), weights=sizes[groups.index].to_numpy())
    assert round(overall, 3) == R_GROUP_OVERALL


def test_sensitivity_interval_is_wider_than_the_plain_one(never):
    """Rambachan & Roth (2023) relative magnitudes with M = 1: allowing post-start violations as
    large as the largest pre-start one can only widen the interval for the average effect."""
    sensitivity = never.sensitivity
    dynamic = _rows(never, "dynamic")
    post = dynamic[dynamic["event_time"] >= 0]
    average = post["estimate"].mean()
    assert sensitivity["m"] == 1.0
    assert sensitivity["lower"] < average < sensitivity["upper"]
    assert sensitivity["upper"] - sensitivity["lower"] > 2 * 1.96 * 0.0196  # R's printed SE


def _differences(mpdta: pd.DataFrame, control: str):
    from differences import ATTgt

    data = mpdta.assign(first_treat=mpdta["first_treat"].replace(0, np.nan).astype(float))
    model = ATTgt(data=data.set_index(["countyreal", "year"]), cohort_column="first_treat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cells = model.fit("lemp", est_method="reg", control_group=control, progress_bar=False)
        aggregates = {kind: model.aggregate(kind) for kind in ("simple", "event", "cohort",
                                                               "time")}
        aggregates["time_overall"] = model.aggregate("time", overall=True)
    return cells, aggregates


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [c[-1] for c in frame.columns]
    return frame


@pytest.mark.parametrize("control", ["never", "not_yet"])
def test_agrees_with_the_differences_package(mpdta, control):
    ours = staggered_did(mpdta, "countyreal", "year", "first_treat", "lemp", control=control,
                         method="reg", bootstrap=0)
    cells, aggregates = _differences(mpdta, f"{control}_treated")
    theirs = _flat(cells.to_pandas()).reset_index()
    mine = _rows(ours, "att_gt").set_index(["group", "time"])
    assert len(theirs) == len(mine) == 12
    for record in theirs.itertuples():
        row = mine.loc[(record.cohort, record.time)]
        assert row["estimate"] == pytest.approx(record.ATT, abs=1e-6)
        assert row["std_error"] == pytest.approx(record.std_error, abs=1e-4)
    pairs = (("simple", "simple", None), ("group", "cohort", "group"),
             ("dynamic", "event", "event_time"), ("calendar", "time", "time"),
             ("calendar", "time_overall", None))
    for estimand, kind, key in pairs:
        expected = _flat(aggregates[kind])
        rows = _rows(ours, estimand)
        if key is None:
            rows = rows[rows["time"].isna()] if estimand == "calendar" else rows.iloc[[0]]
        else:
            rows = rows[rows[key].notna()].set_index(key).loc[expected.index]
        assert len(rows) == len(expected) > 0
        assert rows["estimate"].to_numpy() == pytest.approx(expected["ATT"].to_numpy(), abs=1e-6)
        assert rows["std_error"].to_numpy() == pytest.approx(
            expected["std_error"].to_numpy(), abs=1e-4)


def test_every_estimand_has_an_interval_with_the_bootstrap_too(mpdta):
    """Calendar rows included: analytical and Webb-bootstrap standard errors agree to within
    bootstrap noise (999 draws), and every row's interval contains its estimate."""
    analytical = staggered_did(mpdta, "countyreal", "year", "first_treat", "lemp",
                               control="not_yet", method="reg", bootstrap=0)
    boot = staggered_did(mpdta, "countyreal", "year", "first_treat", "lemp",
                         control="not_yet", method="reg", bootstrap=999, seed=3)
    for result in (analytical, boot):
        frame = result.estimates
        assert frame[["std_error", "lower", "upper"]].notna().all().all()
        assert ((frame["lower"] <= frame["estimate"]) & (frame["estimate"] <= frame["upper"])).all()
    calendar = _rows(analytical, "calendar")["std_error"].to_numpy()
    assert _rows(boot, "calendar")["std_error"].to_numpy() == pytest.approx(calendar, rel=0.15)


def test_twfe_equals_least_squares_with_dummies(mpdta):
    """The within estimator equals OLS on unit and year dummies (numpy, independent), here on
    the first 120 counties; on all of mpdta it gives -0.0365."""
    part = mpdta[mpdta["countyreal"].isin(mpdta["countyreal"].unique()[:120])]
    estimate, _ = twfe_estimate(part, "countyreal", "year", "first_treat", "lemp")
    treated = ((part["first_treat"] > 0) & (part["year"] >= part["first_treat"])).astype(float)
    design = np.column_stack([treated, pd.get_dummies(part["countyreal"]).to_numpy(float),
                              pd.get_dummies(part["year"], drop_first=True).to_numpy(float)])
    coefficients = np.linalg.lstsq(design, part["lemp"].to_numpy(), rcond=None)[0]
    assert estimate == pytest.approx(coefficients[0], abs=1e-10)
    full, _ = twfe_estimate(mpdta, "countyreal", "year", "first_treat", "lemp")
    assert round(full, 4) == -0.0365


def test_randomisation_inference_on_a_small_panel():
    panel, _ = staggered_panel(5, areas=10, months=24, cohorts=2, effect=3.0)
    columns = ("area", "month", "first_treated", "outcome")
    strong = randomisation_p_value(panel, *columns, permutations=19, seed=1)
    null, _ = staggered_panel(5, areas=10, months=24, cohorts=2, effect=0.0)
    weak = randomisation_p_value(null, *columns, permutations=19, seed=1)
    assert strong <= 0.1 < weak  # 1/20 is the smallest p-value 19 permutations can give


def test_minimum_detectable_effect_is_2_8_standard_errors():
    # Bloom (1995): (1.96 + 0.84) x SE at 5% two-sided, 80% power.
    assert minimum_detectable_effect(1.0) == pytest.approx(2.8016, abs=1e-4)


def test_bad_panels_are_one_sentence_naming_the_argument(mpdta):
    with pytest.raises(ArgumentError, match=r"^outcome: no column 'lemp2'"):
        staggered_did(mpdta, "countyreal", "year", "first_treat", "lemp2")
    with pytest.raises(ArgumentError, match="control: unknown control group 'none'"):
        staggered_did(mpdta, "countyreal", "year", "first_treat", "lemp", control="none")
    always = mpdta.assign(first_treat=np.where(mpdta["first_treat"] > 0, 2003, 0))
    with pytest.raises(ArgumentError, match="^first_treated: no group-time effect can be "):
        staggered_did(always, "countyreal", "year", "first_treat", "lemp", bootstrap=0)
    broken = mpdta.assign(lemp=mpdta["lemp"].astype(str))
    broken.loc[3, "lemp"] = "n/a"
    with pytest.raises(ArgumentError, match="row 5 has 'n/a'"):
        staggered_did(broken, "countyreal", "year", "first_treat", "lemp")


def test_simulation_small_deterministic_version():
    """20 areas x 72 months, four cohorts, heterogeneous dynamic effects (the 200-replication
    version with bootstrap intervals is bench/bench_evaluate_simulation.py)."""
    replications = 12
    covered, cs_bias, twfe_bias, placebo_rejections = 0, [], [], 0
    columns = ("area", "month", "first_treated", "outcome")
    for seed in range(replications):
        panel, truth = staggered_panel(seed)
        overall = staggered_did(panel, *columns, method="reg", bootstrap=0).overall()
        covered += overall["lower"] <= truth <= overall["upper"]
        cs_bias.append(overall["estimate"] - truth)
        twfe_bias.append(twfe_estimate(panel, *columns)[0] - truth)
        placebo, _ = staggered_panel(1000 + seed, effect=0.0)
        null = staggered_did(placebo, *columns, method="reg", bootstrap=0).overall()
        placebo_rejections += not (null["lower"] <= 0 <= null["upper"])
    assert covered >= 10  # 95% intervals; 10 of 12 allows for Monte Carlo noise
    assert abs(np.mean(cs_bias)) < 0.1
    assert np.mean(twfe_bias) < -0.15  # biased downwards by growing, heterogeneous effects
    assert placebo_rejections <= 2
