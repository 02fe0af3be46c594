"""Analysis specs (TOML) and running them: which activities, which outcome, which method.

Keys (all optional but ``outcome``; an unknown key is refused with a suggestion)::

    title = "Public councils and tension"
    method = "did"              # did | its | synth
    outcome = "tension"         # tension | tier_2..tier_5 | incidents | indicator:NAME
    period = "month"            # month | quarter | year
    start = "2019-01-01"        # analysis window
    end = "2024-12-31"
    activity_type = "public_council"   # or activity_ids = ["ACT-2021-0001", ...]
    area = "750000000"          # synth: the treated area
    control = "not_yet"         # did: never | not_yet
    estimation = "dr"           # did: dr | ipw | reg
    bootstrap = 999             # did: wild bootstrap draws (0 = analytical)
    seed = 0
    report = "report.md"        # where the report is written
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from kelisim.core.areas import COUNTRY, region_code
from kelisim.core.keys import check_keys
from kelisim.errors import ArgumentError, InputError
from kelisim.evaluate.conclusion import LANGUAGES, assumption_texts, conclusion
from kelisim.store import activities as sql

KEYS = {
    "title": str, "method": str, "outcome": str, "period": str, "start": str, "end": str,
    "activity_type": str, "activity_ids": list, "area": str, "control": str,
    "estimation": str, "bootstrap": int, "seed": int, "report": str,
}
METHODS = ("did", "its", "synth")


@dataclass
class Spec:
    outcome: str
    title: str = "Evaluation"
    method: str = "did"
    period: str = "month"
    start: str | None = None
    end: str | None = None
    activity_type: str | None = None
    activity_ids: list[str] = field(default_factory=list)
    area: str | None = None
    control: str = "not_yet"
    estimation: str = "dr"
    bootstrap: int = 999
    seed: int = 0
    report: str | None = None


def read_spec(path: str | Path) -> Spec:
    """Parse and check a spec file; errors name the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise ArgumentError("SPEC", f"no such file '{path}'")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(path.name, None, None, f"not a valid TOML file ({error})") from None
    return parse_spec(raw, path.name)


def parse_spec(raw: dict, name: str = "spec") -> Spec:
    check_keys(name, raw, list(KEYS), "")
    for key, value in raw.items():
        if not isinstance(value, KEYS[key]) or (KEYS[key] is int and isinstance(value, bool)):
            raise InputError(name, None, key, f"key '{key}' must be a "
                             f"{'list' if KEYS[key] is list else KEYS[key].__name__}")
    if "outcome" not in raw:
        raise InputError(name, None, "outcome", "missing key 'outcome' (tension, tier_N, "
                         "incidents or indicator:NAME)")
    spec = Spec(**raw)
    checks = (("method", spec.method, METHODS), ("period", spec.period, sql.PERIODS),
              ("control", spec.control, ("never", "not_yet")),
              ("estimation", spec.estimation, ("dr", "ipw", "reg")))
    for key, value, allowed in checks:
        if value not in allowed:
            raise InputError(name, None, key, f"'{value}' is not one of {', '.join(allowed)}")
    outcome = spec.outcome
    if not (outcome in ("tension", "incidents") or outcome.startswith("indicator:")
            or (outcome.startswith("tier_") and outcome[5:] in ("2", "3", "4", "5"))):
        raise InputError(name, None, "outcome", f"unknown outcome '{outcome}'; use tension, "
                         "tier_2..tier_5, incidents or indicator:NAME")
    for key in ("start", "end"):
        value = getattr(spec, key)
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise InputError(name, None, key, f"'{value}' is not a date; write "
                                 "YYYY-MM-DD") from None
    if spec.method in ("did", "synth") and not (spec.activity_type or spec.activity_ids):
        raise InputError(name, None, "activity_type", f"method '{spec.method}' needs "
                         "activity_type or activity_ids to know which areas were treated")
    return spec


def region_panel(con: duckdb.DuckDBPyConnection, spec: Spec) -> pd.DataFrame:
    """Regions x periods of the outcome within the window (counts: missing cells are 0)."""
    from kelisim.core.areas import areas

    values = sql.outcome_panel(con, spec.outcome, spec.period)
    values["period_start"] = pd.to_datetime(values["period_start"])
    first = pd.Timestamp(spec.start) if spec.start else values["period_start"].min()
    last = pd.Timestamp(spec.end) if spec.end else values["period_start"].max()
    if values.empty and (spec.start is None or spec.end is None):
        raise ArgumentError("outcome", f"the store has no data for outcome '{spec.outcome}'; "
                            "run the monitor, import incidents or import an indicator first")
    freq = {"month": "MS", "quarter": "QS", "year": "YS"}[spec.period]
    periods = pd.date_range(first.to_period(freq[0]).start_time, last, freq=freq)
    regions = areas("2024").query("level == 'region'")["area_code"]
    grid = pd.MultiIndex.from_product([regions, periods], names=["area_code", "period_start"])
    panel = values.set_index(["area_code", "period_start"])["value"].reindex(grid)
    if not spec.outcome.startswith("indicator:"):
        panel = panel.fillna(0.0)
    panel = panel.dropna().reset_index()
    panel["period"] = panel["period_start"].map({p: i + 1 for i, p in enumerate(periods)})
    return panel


def selected_activities(con: duckdb.DuckDBPyConnection, spec: Spec) -> pd.DataFrame:
    frame = sql.list_activities(con)
    if spec.activity_ids:
        missing = sorted(set(spec.activity_ids) - set(frame["activity_id"]))
        if missing:
            raise InputError("spec", None, "activity_ids", f"no activity '{missing[0]}' in the "
                             "register")
        return frame[frame["activity_id"].isin(spec.activity_ids)]
    chosen = frame[frame["type_code"] == spec.activity_type]
    if chosen.empty:
        raise InputError("spec", None, "activity_type", f"no activity of type "
                         f"'{spec.activity_type}' in the register")
    return chosen


def run_spec(con: duckdb.DuckDBPyConnection, spec: Spec) -> dict:
    """Run the analysis; returns estimates (tidy frame), assumptions and conclusions by
    language, the pre-trend test and the minimum detectable effect."""
    panel = region_panel(con, spec)
    period_of = dict(zip(panel["period_start"], panel["period"], strict=False))

    def period_index(day) -> int:
        day = pd.Timestamp(day)
        later = [p for p in sorted(period_of) if p >= day.to_period(spec.period[0].upper())
                 .start_time]
        return int(period_of[later[0]]) if later else 0

    result: dict = {"spec": spec, "method": spec.method}
    if spec.method == "its":
        from kelisim.evaluate.its import interrupted_time_series

        if spec.activity_type or spec.activity_ids:
            start = pd.Timestamp(selected_activities(con, spec)["date_start"].min())
        else:
            raise InputError("spec", None, "activity_type", "method 'its' needs the campaign: "
                             "activity_type or activity_ids")
        series = panel.groupby("period_start")["value"].sum()
        its = interrupted_time_series(series, start.to_period(spec.period[0].upper())
                                      .start_time)
        estimates = its.estimates.rename(columns={"term": "estimand"})
        level = its.estimates.iloc[0]
        result.update(estimates=estimates, assumptions=its.assumption_codes, pretrend=None,
                      mde=None, headline=level)
    elif spec.method == "synth":
        from kelisim.evaluate.synth import synthetic_control

        chosen = selected_activities(con, spec)
        treated = spec.area or region_code(chosen["area_code"].iloc[0])
        start = period_index(chosen["date_start"].min())
        treated_regions = {region_code(a) for a in chosen["area_code"]} - {COUNTRY}
        donors = panel[~panel["area_code"].isin(treated_regions - {treated})]
        synth = synthetic_control(donors, "area_code", "period", "value", treated, start,
                                  spec.seed)
        estimates = pd.DataFrame([{"estimand": "synthetic_control", "estimate": synth.effect,
                                   "placebo_p_value": synth.placebo_p_value,
                                   "pre_rmspe": synth.pre_rmspe}])
        result.update(estimates=estimates, assumptions=synth.assumption_codes, pretrend=None,
                      mde=None, headline=None, synth=synth)
    else:
        from kelisim.evaluate.did import staggered_did

        chosen = selected_activities(con, spec)
        local = chosen[chosen["area_code"] != sql.COUNTRY]
        if local.empty:
            raise InputError("spec", None, "activity_type", "every selected activity is "
                             "country-wide; use method 'its' for national campaigns")
        local = local.assign(region=local["area_code"].map(region_code))
        starts = local.groupby("region")["date_start"].min()
        opened = panel["period_start"].min().to_period(spec.period[0].upper())
        # Regions treated from the first period on have no period before it to compare with:
        # left out, as R did leaves out units treated before the data begin.
        already = starts[pd.to_datetime(starts).dt.to_period(opened.freq) <= opened].index
        panel = panel[~panel["area_code"].isin(already)]
        first = pd.Series({region: period_index(day)
                           for region, day in starts.drop(already).items()}, dtype=int)
        first = first[first > 0]
        if first.empty:
            raise InputError("spec", None, "activity_type", "no selected activity starts inside "
                             "the outcome's periods "
                             f"({panel['period_start'].min():%Y-%m} to "
                             f"{panel['period_start'].max():%Y-%m}) after their first one, so no "
                             "area has a period before its start to compare with")
        panel["first_treated"] = panel["area_code"].map(first).fillna(0).astype(int)
        did = staggered_did(panel, "area_code", "period", "first_treated", "value",
                            control=spec.control, method=spec.estimation,
                            bootstrap=spec.bootstrap, seed=spec.seed)
        result.update(estimates=_calendar_labels(did.estimates, panel, spec.period),
                      assumptions=did.assumption_codes,
                      pretrend=did.pretrend_p_value, mde=did.minimum_detectable_effect,
                      headline=did.overall(), did=did, sensitivity=did.sensitivity)
    result["assumptions"] = {language: assumption_texts(result["assumptions"], language)
                             for language in LANGUAGES}
    headline = result["headline"]
    result["conclusions"] = {
        language: (conclusion(float(headline["estimate"]), float(headline["lower"]),
                              float(headline["upper"]), language, result["mde"],
                              result["pretrend"]) if headline is not None else "")
        for language in LANGUAGES
    }
    return result


def _calendar_labels(estimates: pd.DataFrame, panel: pd.DataFrame, period: str) -> pd.DataFrame:
    """The estimates with ``group`` and ``time`` as the periods they number: years (2021),
    quarters (2021Q1) or months (2021-03), not the estimator's 1, 2, 3 ..."""
    starts = panel.drop_duplicates("period").set_index("period")["period_start"]
    labels = {number: day.to_period(period[0].upper()) for number, day in starts.items()}
    labels = {number: (label.year if period == "year" else str(label))
              for number, label in labels.items()}
    labelled = estimates.copy()
    for column in ("group", "time"):
        labelled[column] = pd.array([None if pd.isna(value) else labels[int(value)]
                                     for value in estimates[column]],
                                    dtype="Int64" if period == "year" else object)
    return labelled


def sensitivity_sentence(sensitivity: dict) -> str:
    """The Rambachan-Roth robust interval in one sentence."""
    from kelisim.core.numbers import format_value

    return (f"sensitivity: if trends after the start diverge by up to {sensitivity['m']:g} "
            f"times the largest divergence before it, the "
            f"average effect lies in {format_value(sensitivity['lower'])} to "
            f"{format_value(sensitivity['upper'])} (95%, Rambachan & Roth 2023).")


def report_markdown(result: dict) -> str:
    """The written report: spec, estimates, pre-trends, power, assumptions, conclusions."""
    spec: Spec = result["spec"]
    lines = [f"# {spec.title}", "", f"Method: {spec.method}; outcome: {spec.outcome}; period: "
             f"{spec.period}; seed: {spec.seed}.", "", "## Estimates", "",
             result["estimates"].to_csv(index=False, lineterminator="\n").strip(), ""]
    if result.get("pretrend") is not None:
        lines += [f"Pre-trend test p-value: {result['pretrend']:.3f}.", ""]
    if result.get("sensitivity"):
        lines += [sensitivity_sentence(result["sensitivity"]).capitalize(), ""]
    if result.get("mde") is not None and np.isfinite(result["mde"]):
        lines += [f"Minimum detectable effect (80% power, 5% level): {result['mde']:.3g}.", ""]
    lines += ["## Assumptions", "", *[f"- {a}" for a in result["assumptions"]["en"]], ""]
    lines += ["## Conclusion", ""]
    lines += [f"- {language}: {text}" for language, text in result["conclusions"].items() if text]
    return "\n".join(lines) + "\n"
