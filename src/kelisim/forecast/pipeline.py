"""Front-end steps shared by the CLI: run a spec, write or store tables, compare, trends.

The only module of the forecast package that writes files and the store.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from kelisim.errors import ArgumentError, InputError
from kelisim.forecast.engine import project
from kelisim.forecast.outputs import QUANTILE_COLUMNS, projection_table, summary_table
from kelisim.forecast.scenarios import load_spec, prepare, step_rates
from kelisim.forecast.uncertainty import monte_carlo, rate_paths


def choose_spec(spec: Path | None, bundled: str | None) -> Path:
    """The spec file given, or the bundled spec named by ``--bundled`` (exactly one)."""
    if (spec is None) == (bundled is None):
        raise ArgumentError("bundled", "give either a spec file or the name of a bundled spec")
    if bundled is None:
        return spec
    from kelisim.forecast.bundled import bundled_spec

    return bundled_spec(bundled)


def run_spec(spec_path, draws: int | None = None, seed: int | None = None, workers: int = 1,
             only: str | None = None, detail: bool = False,
             progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Every scenario of a spec as one tidy table (quantile columns when ``draws`` > 0).

    All inputs are read and validated before any projection starts. ``progress`` is told
    each step in a few words (preparing the inputs, projecting each scenario).
    """
    progress = progress or (lambda _: None)
    spec = load_spec(spec_path)
    draws = spec.uncertainty.get("draws", 0) if draws is None else draws
    seed = spec.uncertainty.get("seed", 0) if seed is None else seed
    if draws < 0:
        raise ArgumentError("draws", "must be 0 or more")
    if workers < 1:
        raise ArgumentError("workers", "must be 1 or more")
    scenarios = [s for s in spec.scenarios if only is None or s.name == only]
    if not scenarios:
        raise ArgumentError("scenario", f"no scenario named {only!r} in {spec_path}")
    progress(f"calibrating {spec.name} on the censuses" if spec.calibration is not None
             else f"reading the inputs of {spec.name}")
    inputs = prepare(spec)
    parts = []
    for number, scenario in enumerate(scenarios, 1):
        progress(f"projecting scenario {scenario.name} ({number} of {len(scenarios)}"
                 + (f", {draws} draws for the intervals)" if draws else ")"))
        rates = step_rates(inputs, scenario)
        path = project(inputs.population, rates, spec.steps, spec.width)
        table = projection_table(path, inputs.grid, spec.periods, scenario.name, detail)
        if draws:
            quantiles, _ = monte_carlo(inputs.population, rates, rate_paths(inputs),
                                       spec.width, draws, seed, workers, shares=True)
            cells = len(inputs.grid.groups) + 1
            intervals = [summary_table(values[..., :cells], inputs.grid, spec.periods,
                                       scenario.name)["count"].to_numpy()
                         for values in quantiles]
            summary = len(intervals[0])
            for column, values in zip(QUANTILE_COLUMNS, intervals, strict=True):
                table[column] = np.concatenate([values, np.full(len(table) - summary, np.nan)])
            for column, index in (("share_lower95", 0), ("share_upper95", -1)):
                by_group = quantiles[index][..., cells:]  # [T + 1, A, G], total share is 1
                with_total = np.concatenate([by_group, np.ones(by_group.shape[:-1] + (1,))],
                                            axis=-1)
                table[column] = np.concatenate([with_total.reshape(-1),
                                                np.full(len(table) - summary, np.nan)])
            _contain_point(table, "count", QUANTILE_COLUMNS)
            _contain_point(table, "share", ("share_lower95", "share_upper95"))
        parts.append(table)
    result = pd.concat(parts, ignore_index=True)
    result.attrs["run_name"] = spec.name
    return result


def _contain_point(table: pd.DataFrame, point: str, columns) -> None:
    """Move each lower bound among ``columns`` down and each upper bound up to the ``point``
    column where it lies on the wrong side (missing bounds stay missing): an interval must
    contain its point.

    Monte Carlo draws run in single precision and the central projection in double: in the
    steps without random rates (every draw equal) the draws' quantiles differ from the point
    by rounding alone (up to a person in 10 million). A trend's point is the back-transformed
    point log-ratio, not the median of the simulated shares, so it can fall just outside a
    narrow quantile interval.
    """
    for column in columns:
        if column not in table or ("lower" not in column and "upper" not in column):
            continue
        widen = np.minimum if "lower" in column else np.maximum
        bound = table[column]
        table[column] = bound.where(bound.isna(), widen(bound, table[point]))


def store_projection(table: pd.DataFrame, location=None) -> int:
    """Replace this run's rows of the ``projections`` table in one transaction."""
    from kelisim.store import connect, projections, transaction

    run_name = table.attrs.get("run_name", "forecast")
    rows = pd.DataFrame({
        "run_name": run_name, "scenario": table["scenario"], "area_code": table["area"],
        "group_code": table["group"], "sex": table["sex"], "age": table["age"],
        "period": table["period"].astype(int), "count": table["count"]})
    for column in ("lower80", "upper80", "lower95", "upper95", "share", "share_lower95",
                   "share_upper95"):
        rows[column] = table[column] if column in table else np.nan
    con = connect(location)
    try:
        with transaction(con):
            projections.replace_run(con, run_name, rows)
    finally:
        con.close()
    return len(rows)


def compare_scenarios(table: pd.DataFrame, period: int | None = None) -> pd.DataFrame:
    """Counts and shares per scenario side by side for one period (default the last)."""
    summary = table[(table["age"] == "total") & (table["sex"] == "both")]
    period = int(summary["period"].max()) if period is None else period
    if period not in set(summary["period"]):
        raise ArgumentError("period", f"{period} is not a projected period")
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


def dataset_counts(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Counts of a store dataset ready for trend forecasting, and the groups left out.

    Drops the 'total' rows and rows without a count, prefers the 'permanent' basis where a
    period has rows on two bases, keeps periods with at least two groups counted and then the
    groups counted in every kept period (a share series needs the same groups throughout).
    """
    rows = counted_rows(frame)
    counted = rows.groupby("period")["group"].nunique()
    rows = rows[rows["period"].isin(counted[counted >= 2].index)]
    rows = rows[rows["period"] >= _first_full_period(rows)]
    periods = rows.groupby("group")["period"].nunique()
    everywhere = periods[periods == rows["period"].nunique()].index
    left_out = sorted(set(rows["group"]) - set(everywhere))
    kept = rows[rows["group"].isin(everywhere)]
    return (kept[["area", "group", "period", "count"]].sort_values(["area", "period", "group"])
            .reset_index(drop=True), left_out)


def _first_full_period(rows: pd.DataFrame) -> int:
    """The first period of the series once leading periods that lack a group every later
    period counts are dropped: an early census listing fewer groups (the reconstructed 1897
    one) costs its own period, not the groups it lacks."""
    groups = rows.groupby("period")["group"].agg(set).sort_index()
    while len(groups) > 2 and not set.intersection(*groups.iloc[1:]) <= groups.iloc[0]:
        groups = groups.iloc[1:]
    return groups.index[0]


def counted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A store dataset's rows with a count, 'total' rows dropped and the 'permanent' basis
    preferred where a period has rows on two bases."""
    rows = frame[(frame["group"] != "total") & frame["count"].notna()]
    return rows.assign(_permanent=rows["basis"].ne("permanent")).sort_values(
        "_permanent", kind="stable").drop_duplicates(["area", "group", "period"])


def refuse_partial_table(counts: pd.DataFrame, source: str) -> None:
    """Refuse counts that do not give every group in every area in each period (the
    regional projection needs the whole area x group table), naming what is missing and
    what to load."""
    from kelisim.core.areas import area_name
    from kelisim.core.groups import default_registry

    rows = counts[(counts["area"] != "total") & (counts["group"] != "total")]
    areas, groups = sorted(set(rows["area"])), sorted(set(rows["group"]))
    periods = sorted(set(rows["period"]))
    present = set(zip(rows["area"], rows["group"], rows["period"], strict=True))
    missing = {}  # (period, group) -> areas without a count
    for period in periods:
        for group in groups:
            lacking = [a for a in areas if (a, group, period) not in present]
            if lacking:
                missing[(period, group)] = lacking
    if not missing:
        return
    registry = default_registry()

    def group_name(code: str) -> str:
        try:
            return registry.name(code)
        except ArgumentError:
            return code

    def named(codes: list[str], name, unit: str) -> str:
        shown = [name(code) for code in codes[:3]]
        return ", ".join(shown) + (f" and {len(codes) - 3} more {unit}" if len(codes) > 3
                                   else "")

    parts = []
    for period in sorted({period for period, _ in missing}):
        lacking = {group: areas_ for (when, group), areas_ in missing.items() if when == period}
        nowhere = [g for g, areas_ in lacking.items() if len(areas_) == len(areas)]
        items = [f"{named(nowhere, group_name, 'groups')} in no area"] if nowhere else []
        items += [f"{group_name(g)} not in {named(areas_, area_name, 'areas')}"
                  for g, areas_ in lacking.items() if g not in nowhere]
        parts.append(f"{period}: {', '.join(items)}")
    more = f"; and {len(parts) - 2} more periods" if len(parts) > 2 else ""
    cells = sum(map(len, missing.values()))
    raise ArgumentError(source, f"not every group is counted in every area in each period, "
                        f"which the regional forecast needs ({cells} of "
                        f"{len(areas) * len(groups) * len(periods)} counts missing; "
                        f"{'; '.join(parts[:2])}{more}): import a complete area x group table "
                        "of two or more censuses from 1989 on (e.g. the BNS census workbooks "
                        "with `kelisim data import`) or add the missing counts")


def trend_counts(source: str, periods: list[int] | None, location=None,
                 whole_table: bool = False):
    """Counts from a CSV path, or from the store dataset named ``source``; groups left out.
    With ``whole_table`` a table without every group in every area in each period is
    refused (:func:`refuse_partial_table`)."""
    if Path(source).exists() or source.endswith((".csv", ".parquet")):
        counts = read_counts(source)
        left_out = []
        if whole_table:
            refuse_partial_table(counts, source)
    else:
        from kelisim.datasets import open_store, population_frame

        con = open_store(location)
        try:
            frame = population_frame(con, source, periods)
        finally:
            con.close()
        if whole_table:
            refuse_partial_table(counted_rows(frame), source)
        counts, left_out = dataset_counts(frame)
    if periods:
        counts = counts[counts["period"].isin(periods)].reset_index(drop=True)
    if counts["period"].nunique() < 2:
        if periods:  # the periods chosen leave too few
            raise ArgumentError("periods", f"{source} needs counts in at least two periods")
        found = sorted(set(counts["period"]))
        raise ArgumentError(source, "a forecast needs counts in at least two periods, and this "
                            "table has " + (f"them in {found[0]} only" if found else "none"))
    return counts, left_out


def trend_projection(table: pd.DataFrame, totals: pd.DataFrame, run_name: str) -> pd.DataFrame:
    """Share forecasts as rows of the ``projections`` table: counts = share x projected total.

    Bounds are the share bounds times the point total (the total's own uncertainty is not
    included); the area's total is a row of group 'total' without bounds.
    """
    merged = table.merge(totals, on=["area", "period"])
    rows = pd.DataFrame({"scenario": "trend", "area": merged["area"], "group": merged["group"],
                         "sex": "both", "age": "total", "period": merged["period"],
                         "count": merged["share"] * merged["total"], "share": merged["share"]})
    for column in QUANTILE_COLUMNS:
        if column in merged:
            rows[column] = merged[column] * merged["total"]
    _contain_point(rows, "count", QUANTILE_COLUMNS)
    total_rows = pd.DataFrame({"scenario": "trend", "area": totals["area"], "group": "total",
                               "sex": "both", "age": "total", "period": totals["period"],
                               "count": totals["total"], "share": 1.0})
    result = pd.concat([rows, total_rows], ignore_index=True)
    result.attrs["run_name"] = run_name
    return result


def trend_command(source: str, horizon: list[int], hindcast: bool, seed: int,
                  periods: list[int] | None = None, location=None):
    """Forecast shares for ``horizon`` (and the hindcast report) from a counts file or dataset.

    Returns the share table, its rows for the ``projections`` table and the printed report.
    """
    from kelisim.core.numbers import format_share
    from kelisim.forecast.trend import (
        PROBABILITIES,
        forecast_shares,
        hindcast_report,
        projected_totals,
    )

    def percent(share: float) -> str:
        return format_share(share, decimals=2)

    counts, left_out = trend_counts(source, periods, location)
    observed = sorted(set(counts["period"]))
    horizon = horizon or [observed[-1] + 10, observed[-1] + 20]
    if min(horizon) <= observed[-1]:
        raise ArgumentError("horizon", f"periods must come after the last observed "
                            f"{observed[-1]}")
    rng = np.random.default_rng(seed)
    table = forecast_shares(counts, horizon, rng)
    _contain_point(table, "share", PROBABILITIES)
    projection = trend_projection(table, projected_totals(counts, horizon),
                                  f"trend_{Path(source).stem}")
    lines = [f"periods used: {', '.join(map(str, observed))}"]
    if left_out:
        lines.append(f"groups not counted in every period, left out: {', '.join(left_out)}")
    lines += [f"{row.area} {row.group} {row.period}: share {percent(row.share)} "
              f"(95% {percent(row.lower95)}-{percent(row.upper95)})"
              for row in table.itertuples()]
    if hindcast:
        report = hindcast_report(counts, np.random.default_rng(seed))
        lines += ["", "hindcast (mean absolute error of shares, percentage points; coverage "
                  "is the fraction of observed shares inside the interval, left empty for "
                  "the baselines, which have no interval):",
                  report.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.3f}")]
    return table, projection, "\n".join(lines)


def store_default_projections(location=None) -> list[str]:
    """Store the bundled projections the dashboard shows out of the box; returns run names.

    The national scenario set ``kazakhstan_national`` with the spec's draws (200, so that the
    pages show intervals out of the box; ``kelisim forecast run --bundled kazakhstan_national
    --draws 1000 --store`` replaces them with 1,000 draws), the log-ratio trend
    of the census shares (with intervals) for 2030 and 2040, and the census hindcasts of the
    calibrated group projection (1,000 draws, run ``hindcast_kazakhstan``).
    """
    from kelisim.forecast.bundled import bundled_spec
    from kelisim.forecast.calibrate import hindcast_table

    scenarios = run_spec(bundled_spec("kazakhstan_national"))
    _, trend, _ = trend_command("census_national", [2030, 2040], hindcast=False, seed=0,
                                location=location)
    hindcasts = hindcast_table()
    for table in (trend, hindcasts, scenarios):  # the scenario set last: the dashboard opens
        store_projection(table, location)        # the newest
    return [scenarios.attrs["run_name"], trend.attrs["run_name"], hindcasts.attrs["run_name"]]


def regions_command(source: str, until: int | None, horizon: list[int],
                    migration: Path | None = None, location=None):
    """Calibrate the group projection on an area x group table (CSV or store dataset) and
    forecast each area's groups; with a later observed period, score the hindcast.

    Returns the forecast table (area, group, period, count, share) and the printed report.
    """
    from kelisim.forecast import calibrate
    from kelisim.forecast.rates import Grid, read_migration

    counts, left_out = trend_counts(source, None, location, whole_table=True)
    counts = counts[counts["area"] != "total"] if "area" in counts else counts
    observed = sorted(set(counts["period"]))
    until = observed[-1] if until is None else until
    known = [p for p in observed if p <= until]
    if len(known) < 2:
        raise ArgumentError("until", f"needs at least two observed periods up to {until}")
    if known[0] not in calibrate.census_counts().index or known[0] < 1989:
        raise ArgumentError(source, f"the first period {known[0]} must be a census year from "
                            "1989 on (the national calibration starts there)")
    areas = sorted(set(counts["area"]))
    internal = None
    if migration is not None:
        grid = Grid(tuple(areas), tuple(sorted(set(counts["group"]))),
                    tuple(int(a) for a in calibrate.AGES), 1)
        internal = read_migration(migration, grid)
    fitted = calibrate.calibrate_regions(counts, until, internal)
    later = [p for p in observed if p > until]
    horizon = sorted(set(horizon) | set(later)) or [until + 10]
    rows = []
    for period in horizon:
        projected = calibrate.forecast_regions(fitted, calibrate._when(period),
                                               schedules_until=until if later else None)
        shares = projected / projected.sum(axis=1, keepdims=True)
        rows += [{"area": area, "group": group, "period": period, "count": projected[a, g],
                  "share": shares[a, g]}
                 for a, area in enumerate(fitted.areas) for g, group in enumerate(fitted.groups)]
    table = pd.DataFrame(rows)
    lines = [f"calibrated on {', '.join(map(str, known))}: {len(fitted.areas)} areas x "
             f"{len(fitted.groups)} groups" + (", with interregional migration"
                                               if internal is not None else "")]
    if left_out:
        lines.append(f"groups not counted in every period, left out: {', '.join(left_out)}")
    for interval, rates in fitted.migration.items():
        lines.append(f"net migration per 1,000 a year {interval}: median "
                     f"{1000 * np.median(rates):.1f}, range {1000 * rates.min():.1f} to "
                     f"{1000 * rates.max():.1f}")
    for period in later:
        actual = counts[counts["period"] == period].pivot_table(
            index="area", columns="group", values="count", aggfunc="sum", fill_value=0.0
        ).reindex(index=list(fitted.areas), columns=list(fitted.groups), fill_value=0.0)
        last = counts[counts["period"] == until].pivot_table(
            index="area", columns="group", values="count", aggfunc="sum", fill_value=0.0
        ).reindex(index=list(fitted.areas), columns=list(fitted.groups), fill_value=0.0)
        projected = table[table["period"] == period].pivot(index="area", columns="group",
                                                           values="share")
        projected = projected.reindex(index=list(fitted.areas), columns=list(fitted.groups))
        share = actual.to_numpy() / actual.to_numpy().sum(axis=1, keepdims=True)
        constant = last.to_numpy() / last.to_numpy().sum(axis=1, keepdims=True)
        lines.append(f"hindcast {until} -> {period} (mean absolute error of shares within "
                     f"areas): calibrated {100 * np.abs(projected.to_numpy() - share).mean():.2f}"
                     f" pp, constant shares {100 * np.abs(constant - share).mean():.2f} pp")
    return table, "\n".join(lines)
