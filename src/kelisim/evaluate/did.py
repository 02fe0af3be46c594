"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) group-time effects and
their aggregations, an event-study pre-trend test, two-way fixed effects for comparison and a
minimum detectable effect.

The estimator is the diff-diff library's ``CallawaySantAnna`` (validated against R ``did`` on
``mpdta`` in tests/evaluate/test_did.py). Inference with few areas uses its multiplier (wild)
bootstrap clustered by unit with Webb six-point weights (Webb 2023), which behaves with as few
as ten clusters; randomisation inference permutes adoption dates across units.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from kelisim.errors import ArgumentError
from kelisim.evaluate.conclusion import assumption_texts

ESTIMATE_COLUMNS = ("estimand", "group", "time", "event_time", "estimate", "std_error", "lower",
                    "upper")
CONTROLS = {"never": "never_treated", "not_yet": "not_yet_treated"}
METHODS = ("dr", "ipw", "reg")
# Codes of evaluate/assumptions.json (the texts in kk, ru and en).
ASSUMPTIONS = ("parallel_trends", "no_anticipation", "staggered", "no_spillover")
CLUSTER_ASSUMPTION = {True: "bootstrap_inference", False: "analytical_inference"}


@dataclass
class DidResult:
    """Estimates (one row per estimand, the ``ESTIMATE_COLUMNS``) with what they rest on."""

    estimates: pd.DataFrame
    pretrend_statistic: float | None
    pretrend_df: int
    pretrend_p_value: float | None
    minimum_detectable_effect: float | None
    control: str
    method: str
    bootstrap: int
    alpha: float
    n_units: int
    n_treated_units: int
    assumption_codes: list[str] = field(default_factory=list)
    sensitivity: dict | None = None

    @property
    def assumptions(self) -> list[str]:
        """The assumptions in English (``assumption_texts`` gives kk and ru)."""
        return assumption_texts(self.assumption_codes)

    def overall(self) -> pd.Series:
        """The ``simple`` row: the average effect over all treated area-periods."""
        return self.estimates[self.estimates["estimand"] == "simple"].iloc[0]


def prepare_panel(
    panel: pd.DataFrame, unit: str, time: str, first_treated: str, outcome: str,
    covariates: list[str] | None = None,
) -> pd.DataFrame:
    """Check the panel's columns and types; return it with numeric time, cohort and outcome.

    ``first_treated`` is the first treated period; 0 or empty marks never-treated units.
    """
    for argument, column in (("unit", unit), ("time", time),
                             ("first_treated", first_treated), ("outcome", outcome),
                             *(("covariates", c) for c in covariates or [])):
        if column not in panel.columns:
            raise ArgumentError(argument, f"no column '{column}' in the panel (columns: "
                                f"{', '.join(map(str, panel.columns))})")
    frame = panel[[unit, time, first_treated, outcome, *(covariates or [])]].copy()
    for argument, column in (("time", time), ("outcome", outcome),
                             *(("covariates", c) for c in covariates or [])):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna() & (frame[column].astype(str).str.strip() != "")
        if bad.any() or values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise ArgumentError(argument, f"column '{column}' needs a number in every row; row "
                                f"{row + 2} has '{frame[column].iloc[row]}'")
        frame[column] = values
    cohort = pd.to_numeric(frame[first_treated].replace("", 0), errors="coerce").fillna(0)
    frame[first_treated] = cohort
    if frame.duplicated([unit, time]).any():
        row = int(np.flatnonzero(frame.duplicated([unit, time]).to_numpy())[0])
        raise ArgumentError("unit", f"unit '{frame[unit].iloc[row]}' appears twice at time "
                            f"{frame[time].iloc[row]:g} (row {row + 2}); one row per unit and time")
    if frame.groupby(unit)[first_treated].nunique().max() > 1:
        raise ArgumentError("first_treated", f"column '{first_treated}' must be constant "
                            "within each unit")
    if not (cohort > 0).any():
        raise ArgumentError("first_treated", f"column '{first_treated}' marks no treated unit")
    return frame


def staggered_did(
    panel: pd.DataFrame, unit: str, time: str, first_treated: str, outcome: str,
    covariates: list[str] | None = None, control: str = "not_yet", method: str = "dr",
    bootstrap: int = 999, seed: int = 0, alpha: float = 0.05,
) -> DidResult:
    """Callaway & Sant'Anna (2021) ATT(g,t) and simple, group, dynamic and calendar aggregations.

    ``bootstrap`` > 0 draws that many multiplier-bootstrap replicates clustered by unit (Webb
    weights) for the standard errors and intervals; 0 uses the analytical influence-function
    standard errors (as R ``did`` with ``bstrap = FALSE``).
    """
    from diff_diff import CallawaySantAnna

    if control not in CONTROLS:
        raise ArgumentError("control", f"unknown control group '{control}'; use never or "
                            "not_yet")
    if method not in METHODS:
        raise ArgumentError("method", f"unknown method '{method}'; use dr, ipw or reg")
    frame = prepare_panel(panel, unit, time, first_treated, outcome, covariates)
    estimator = CallawaySantAnna(
        control_group=CONTROLS[control], estimation_method=method, alpha=alpha,
        n_bootstrap=bootstrap, bootstrap_weights="webb" if bootstrap else None,
        seed=seed if bootstrap else None, cband=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = estimator.fit(frame, outcome=outcome, unit=unit, time=time,
                                first_treat=first_treated, covariates=covariates or None)
        except ValueError:
            raise ArgumentError("first_treated", "no group-time effect can be estimated: each "
                                "treated unit needs an observed period before its first "
                                "treated one and comparison units observed in both") from None
        event_study = fit.aggregate("event_study")
        groups = fit.aggregate("group").to_dataframe()
        simple = fit.aggregate("simple").to_dataframe().iloc[0]
    rows = []
    for (g, t), cell in sorted(fit.group_time_effects.items()):
        if cell.get("skip_reason"):
            continue
        lower, upper = cell["conf_int"]
        rows.append(("att_gt", g, t, t - g, cell["effect"], cell["se"], lower, upper))
    rows.append(("simple", None, None, None, simple["att"], simple["se"],
                 simple["conf_int_lower"], simple["conf_int_upper"]))
    for record in groups.itertuples(index=False):
        rows.append(("group", record.label, None, None, record.att, record.se,
                     record.conf_int_lower, record.conf_int_upper))
    dynamic = event_study.to_dataframe()
    dynamic = dynamic[~dynamic["is_reference"].astype(bool)]
    for record in dynamic.itertuples(index=False):
        rows.append(("dynamic", None, None, record.event_time, record.att, record.se,
                     record.conf_int_lower, record.conf_int_upper))
    rows.extend(_calendar_rows(estimator, fit, frame, unit, first_treated, bootstrap, seed,
                               alpha))
    estimates = pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
    for column in ("group", "time", "event_time"):
        estimates[column] = pd.array(
            [None if v is None or pd.isna(v) else int(v) for v in estimates[column]],
            dtype="Int64")
    statistic, df, p_value = pretrend_test(event_study)
    sensitivity = parallel_trends_sensitivity(event_study, alpha)
    cohorts = frame.groupby(unit)[first_treated].first()
    overall_se = float(simple["se"])
    return DidResult(
        estimates=estimates, pretrend_statistic=statistic, pretrend_df=df,
        pretrend_p_value=p_value,
        minimum_detectable_effect=minimum_detectable_effect(overall_se, alpha),
        control=control, method=method, bootstrap=bootstrap, alpha=alpha,
        n_units=int(cohorts.size), n_treated_units=int((cohorts > 0).sum()),
        assumption_codes=[*ASSUMPTIONS, CLUSTER_ASSUMPTION[bootstrap > 0]],
        sensitivity=sensitivity,
    )


def _calendar_rows(estimator, fit, frame: pd.DataFrame, unit: str, first_treated: str,
                   bootstrap: int, seed: int, alpha: float) -> list[tuple]:
    """Calendar aggregation (Callaway & Sant'Anna 2021, eq. 3.9): for each period t, the average
    of ATT(g,t) over cohorts g <= t weighted by cohort size; the overall row averages over t.

    Standard errors follow R ``did``'s ``compute.aggte(type = "calendar")``: each period's
    influence function is the weighted sum of the ATT(g,t) influence functions plus the term for
    the estimated cohort weights (diff-diff's ``_compute_aggregated_se_with_wif``, the routine
    behind its simple aggregation); the overall row's influence function is their mean. With
    ``bootstrap`` > 0 the same influence functions are perturbed by Webb multiplier weights
    (seeded) and intervals are percentiles, as for the other estimands.
    """
    from diff_diff.bootstrap_utils import (
        compute_effect_bootstrap_stats,
        generate_bootstrap_weights_batch_numpy,
    )

    kit = fit._aggregation_kit
    sizes = frame.groupby(unit)[first_treated].first().value_counts()
    cells = {key: cell for key, cell in fit.group_time_effects.items()
             if key[1] >= key[0] and key in kit.influence and not cell.get("skip_reason")
             and np.isfinite(cell["effect"])}
    periods = sorted({t for _, t in cells})
    if not periods:
        return []
    bookkeeping = dict(kit.bookkeeping)
    estimates, influences = [], []
    for period in periods:
        keys = sorted(key for key in cells if key[1] == period)
        weights = np.array([sizes[g] for g, _ in keys], dtype=float)
        weights /= weights.sum()
        effects = np.array([cells[key]["effect"] for key in keys])
        _, influence, _ = estimator._compute_aggregated_se_with_wif(
            keys, weights, effects, np.array([g for g, _ in keys]), kit.influence, None, None,
            bookkeeping, return_psi=True)
        estimates.append(float(weights @ effects))
        influences.append(np.asarray(influence, dtype=float))
    estimates.insert(0, float(np.mean(estimates)))
    influences.insert(0, np.mean(influences, axis=0))
    periods.insert(0, None)
    matrix = np.column_stack(influences)
    if bootstrap:
        draws = generate_bootstrap_weights_batch_numpy(
            bootstrap, matrix.shape[0], "webb", np.random.default_rng(seed)) @ matrix
    out = []
    z = stats.norm.ppf(1 - alpha / 2)
    for j, (period, estimate) in enumerate(zip(periods, estimates, strict=True)):
        if bootstrap:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                se, (lower, upper), _ = compute_effect_bootstrap_stats(
                    estimate, estimate + draws[:, j], alpha)
        else:
            se = float(np.sqrt(np.sum(matrix[:, j] ** 2)))
            lower, upper = estimate - z * se, estimate + z * se
        out.append(("calendar", None, period, None, estimate, se, lower, upper))
    return out


def pretrend_test(event_study, window: int = 12) -> tuple[float | None, int, float | None]:
    """Wald test that the pre-treatment event-time effects (the last ``window`` before
    adoption) are all zero: W = b' V^+ b ~ chi2(rank V) (the pre-test of Callaway & Sant'Anna
    2021, Sec. 4.1, on event-time aggregates)."""
    table = event_study.to_dataframe()
    index = list(event_study.vcov_index) if event_study.vcov_index is not None else []
    pre = table[(table["event_time"] < 0) & ~table["is_reference"].astype(bool)
                & table["event_time"].isin(index)].nlargest(window, "event_time")
    if pre.empty or event_study.vcov is None:
        return None, 0, None
    positions = [index.index(e) for e in pre["event_time"]]
    b = pre["att"].to_numpy()
    v = np.asarray(event_study.vcov)[np.ix_(positions, positions)]
    rank = int(np.linalg.matrix_rank(v))
    statistic = float(b @ np.linalg.pinv(v) @ b)
    return statistic, rank, float(stats.chi2.sf(statistic, rank))


def parallel_trends_sensitivity(event_study, alpha: float = 0.05, m: float = 1.0) -> dict | None:
    """Robust interval for the average post-treatment effect when parallel trends may fail
    after adoption by up to ``m`` times the largest pre-treatment violation (relative
    magnitudes, Rambachan & Roth 2023, through diff-diff's ``HonestDiD``); None when the event
    study has too few pre-periods for it."""
    from diff_diff import HonestDiD

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = HonestDiD(method="relative_magnitude", M=m, alpha=alpha).fit(event_study)
    except (ValueError, np.linalg.LinAlgError):
        return None
    return {"m": m, "lower": float(fit.ci_lb), "upper": float(fit.ci_ub)}


def minimum_detectable_effect(std_error: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true effect detected with probability ``power`` by a two-sided test at
    ``alpha``: MDE = (z_{1-alpha/2} + z_{power}) x SE (Bloom 1995, "Minimum detectable
    effects", Evaluation Review 19(5))."""
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * std_error)


def twfe_estimate(
    panel: pd.DataFrame, unit: str, time: str, first_treated: str, outcome: str
) -> tuple[float, float]:
    """The static two-way fixed-effects coefficient on 'treated now' (unit and time effects,
    unit-clustered SE), shown beside Callaway-Sant'Anna because it is biased under staggered,
    heterogeneous effects (Goodman-Bacon 2021)."""
    from statsmodels.regression.linear_model import OLS

    frame = prepare_panel(panel, unit, time, first_treated, outcome)
    cohort = frame[first_treated]
    frame["treated_now"] = ((cohort > 0) & (frame[time] >= cohort)).astype(float)
    if frame.groupby(unit)[time].count().nunique() != 1:
        raise ArgumentError("unit", "two-way fixed effects here need a balanced panel (every "
                            "unit observed in every period)")
    demeaned = {}
    for column in (outcome, "treated_now"):  # two-way within transformation (balanced panel)
        values = frame[column]
        demeaned[column] = (values - frame.groupby(unit)[column].transform("mean")
                            - frame.groupby(time)[column].transform("mean") + values.mean())
    fit = OLS(demeaned[outcome].to_numpy(), demeaned["treated_now"].to_numpy()[:, None]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame[unit])[0]})
    return float(fit.params[0]), float(fit.bse[0])


def randomisation_p_value(
    panel: pd.DataFrame, unit: str, time: str, first_treated: str, outcome: str,
    control: str = "not_yet", permutations: int = 199, seed: int = 0,
) -> float:
    """Randomisation inference for the overall effect: adoption dates are permuted across
    units, the simple ATT recomputed; p = (1 + #|perm| >= |obs|) / (1 + B) (Fisher; Phipson &
    Smyth 2010). Valid with few areas when adoption timing is as good as random."""
    frame = prepare_panel(panel, unit, time, first_treated, outcome)
    observed = staggered_did(frame, unit, time, first_treated, outcome, control=control,
                             method="reg", bootstrap=0).overall()["estimate"]
    rng = np.random.default_rng(seed)
    cohorts = frame.groupby(unit)[first_treated].first()
    extreme = 0
    for _ in range(permutations):
        shuffled = pd.Series(rng.permutation(cohorts.to_numpy()), index=cohorts.index)
        permuted = frame.assign(**{first_treated: frame[unit].map(shuffled)})
        value = staggered_did(permuted, unit, time, first_treated, outcome, control=control,
                              method="reg", bootstrap=0).overall()["estimate"]
        extreme += abs(value) >= abs(observed) - 1e-12
    return (1 + extreme) / (1 + permutations)
