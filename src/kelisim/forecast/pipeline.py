"""Front-end steps shared by the CLI: run a spec, write or store tables, compare, trends.

The only module of the forecast package that writes files and the store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kelisim.errors import ArgumentError, InputError
from kelisim.forecast.engine import project
from kelisim.forecast.outputs import QUANTILE_COLUMNS, projection_table, summary_table
from kelisim.forecast.scenarios import load_spec, prepare, step_rates
from kelisim.forecast.uncertainty import monte_carlo, rate_paths


def run_spec(spec_path, draws: int | None = None, seed: int | None = None, workers: int = 1,
             only: str | None = None, detail: bool = False) -> pd.DataFrame:
    """Every scenario of a spec as one tidy table (quantile columns when ``draws`` > 0).

    All inputs are read and validated before any projection starts.
    """
    spec = load_spec(spec_path)
    draws = spec.uncertainty.get("draws", 0) if draws is None else draws
    seed = spec.uncertainty.get("seed", 0) if seed is None else seed
    if draws < 0:
        raise ArgumentError("--draws", "must be 0 or more")
    if workers < 1:
        raise ArgumentError("--workers", "must be 1 or more")
    scenarios = [s for s in spec.scenarios if only is None or s.name == only]
    if not scenarios:
        raise ArgumentError("--scenario", f"no scenario named {only!r} in {spec_path}")
    inputs = prepare(spec)
    parts = []
    for scenario in scenarios:
        rates = step_rates(inputs, scenario)
        path = project(inputs.population, rates, spec.steps, spec.width)
        table = projection_table(path, inputs.grid, spec.periods, scenario.name, detail)
        if draws:
            quantiles, _ = monte_carlo(inputs.population, rates, rate_paths(inputs),
                                       spec.width, draws, seed, workers)
            intervals = [summary_table(values, inputs.grid, spec.periods, scenario.name)
                         ["count"].to_numpy() for values in quantiles]
            summary = len(intervals[0])
            for column, values in zip(QUANTILE_COLUMNS, intervals, strict=True):
                table[column] = np.concatenate([values, np.full(len(table) - summary, np.nan)])
        parts.append(table)
    result = pd.concat(parts, ignore_index=True)
    result.attrs["run_name"] = spec.name
    return result


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a tidy table as Parquet (``.parquet``) or CSV (anything else)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False)


def store_projection(table: pd.DataFrame, location=None) -> int:
    """Replace this run's rows of the ``projections`` table in one transaction."""
    from kelisim.store import connect, transaction

    run_name = table.attrs.get("run_name", "forecast")
    rows = pd.DataFrame({
        "run_name": run_name, "scenario": table["scenario"], "area_code": table["area"],
        "group_code": table["group"], "sex": table["sex"], "age": table["age"],
        "period": table["period"].astype(int), "count": table["count"]})
    for column in ("lower80", "upper80", "lower95", "upper95"):
        rows[column] = table[column] if column in table else np.nan
    con = connect(location)
    try:
        with transaction(con):
            con.execute("DELETE FROM projections WHERE run_name = ?", [run_name])
            con.register("new_projections", rows)
            con.execute("INSERT INTO projections (run_name, scenario, area_code, group_code, "
                        "sex, age, period, count, lower80, upper80, lower95, upper95) "
                        "SELECT * FROM new_projections")
            con.unregister("new_projections")
    finally:
        con.close()
    return len(rows)


def compare_scenarios(table: pd.DataFrame, period: int | None = None) -> pd.DataFrame:
    """Counts and shares per scenario side by side for one period (default the last)."""
    summary = table[(table["age"] == "total") & (table["sex"] == "both")]
    period = int(summary["period"].max()) if period is None else period
    if period not in set(summary["period"]):
        raise ArgumentError("--period", f"{period} is not a projected period")
    chosen = summary[summary["period"] == period]
    wide = chosen.pivot_table(index=["area", "group"], columns="scenario",
                              values=["count", "share"], sort=False)
    wide.columns = [f"{value}_{scenario}" for value, scenario in wide.columns]
    wide = wide.reset_index()
    wide.insert(2, "period", period)
    return wide


def read_counts(path) -> pd.DataFrame:
    """A counts table (area, group, period, count) for trend forecasting, validated."""
    from kelisim.forecast.rates import check_range, read_table

    frame = read_table(path, {"area": "text", "group": "text", "period": "int",
                              "count": "number"})
    check_range(path, frame, "count", low=0)
    duplicated = frame.duplicated(["area", "group", "period"])
    if duplicated.any():
        raise InputError(path, int(np.argmax(duplicated.to_numpy())) + 2, "period",
                         "duplicate area, group and period")
    return frame


def trend_command(path, horizon: list[int], hindcast: bool, seed: int):
    """Forecast shares for ``horizon`` (and the hindcast report) from a counts file."""
    from kelisim.forecast.trend import forecast_shares, hindcast_report

    counts = read_counts(path)
    periods = sorted(set(counts["period"]))
    horizon = horizon or [periods[-1] + 10, periods[-1] + 20]
    if min(horizon) <= periods[-1]:
        raise ArgumentError("--horizon", f"periods must come after the last observed "
                            f"{periods[-1]}")
    rng = np.random.default_rng(seed)
    table = forecast_shares(counts, horizon, rng)
    lines = [f"{row.area} {row.group} {row.period}: share {row.share:.4f} "
             f"(95% {row.lower95:.4f}-{row.upper95:.4f})" for row in table.itertuples()]
    if hindcast:
        report = hindcast_report(counts, np.random.default_rng(seed))
        lines += ["", "hindcast (mean absolute error of shares, percentage points):",
                  report.to_string(index=False, float_format=lambda v: f"{v:.3f}")]
    return table, "\n".join(lines)
