"""`kelisim forecast ...`: validate, run, compare and trend commands."""

from __future__ import annotations

from pathlib import Path

import typer

from kelisim.cli.output import check_format, file_format, render


def register(app: typer.Typer) -> None:
    """Add the ``forecast`` command group to the kelisim app."""
    forecast = typer.Typer(help="Cohort-component projections, scenarios and trends.",
                           no_args_is_help=True)

    @forecast.command()
    def validate() -> None:
        """Run the published cases (Preston Boxes 6.1-6.2, Rogers two-region) and print checks;
        then the census hindcasts of the calibrated group projection beside two baselines."""
        from kelisim.forecast.calibrate import hindcast
        from kelisim.forecast.validate import run_all

        checks, two_region = run_all()
        for check in checks:
            mark = "ok  " if check.passed else "FAIL"
            typer.echo(f"{mark} {check.case}: {check.name} ({check.detail})")
        final = two_region.population[-1]
        typer.echo(f"Projected {two_region.periods[-1]} (Rogers method, 8 steps from 1961):")
        for index, area in enumerate(two_region.areas):
            total, young = final[index].sum(), final[index, 0]
            typer.echo(f"  {area}: total {total:,.0f}, aged 0-4 {young:,.0f}")
        typer.echo("Hindcasts of the calibrated group projection (mean absolute error of the "
                   "ten largest groups' shares, census_national; national WPP schedules of "
                   "the origin year held after it):")
        for row in hindcast().itertuples():
            typer.echo(f"  hindcast {row.fit_until} -> {row.target}: calibrated "
                       f"{row.calibrated_pp:.2f} pp, constant shares {row.constant_shares_pp:.2f}"
                       f" pp, log-ratio trend {row.logratio_trend_pp:.2f} pp; 95% interval holds "
                       f"{row.inside95} of {row.groups} census shares")
        if not all(check.passed for check in checks):
            raise typer.Exit(1)

    @forecast.command()
    def run(
        spec: Path | None = typer.Argument(None, help="Projection spec (TOML), see "
                                           "docs/forecast.md."),
        bundled: str | None = typer.Option(None, help="Run a bundled spec instead, e.g. "
                                           "kazakhstan_national."),
        out: Path | None = typer.Option(None, help="Write the tidy table (.csv or .parquet)."),
        draws: int | None = typer.Option(None, help="Monte Carlo draws (spec default or 0)."),
        seed: int | None = typer.Option(None, help="Seed of the draws (spec default or 0)."),
        workers: int = typer.Option(1, help="Processes for the draws."),
        scenario: str | None = typer.Option(None, help="Run only this scenario."),
        detail: bool = typer.Option(False, help="Also write rows by sex and age."),
        store: bool = typer.Option(False, help="Write the `projections` table of the store."),
        db: str | None = typer.Option(None, help="Store location (default KELISIM_DB)."),
    ) -> None:
        """Project every scenario of SPEC (or --bundled NAME); --draws adds 80%/95% intervals."""
        from kelisim.cli import progress
        from kelisim.forecast.pipeline import choose_spec, run_spec, store_projection

        if out is not None:  # a bad file name fails before the work
            check_format(file_format(out), out)
        table = run_spec(choose_spec(spec, bundled), draws=draws, seed=seed, workers=workers,
                         only=scenario, detail=detail, progress=progress)
        if out is not None:
            progress(f"writing {out}")
            render(table, file_format(out), out=out)
        if store:
            progress(f"storing {len(table):,} rows in the store")
            rows = store_projection(table, db)
            typer.echo(f"stored {rows} rows as run {table.attrs['run_name']}")
        _print_final(table)

    @forecast.command()
    def compare(
        spec: Path | None = typer.Argument(None, help="Projection spec (TOML) with several "
                                           "scenarios."),
        bundled: str | None = typer.Option(None, help="Compare a bundled spec's scenarios."),
        out: Path | None = typer.Option(None, help="Write the comparison (.csv or .parquet)."),
        period: int | None = typer.Option(None, help="Period to compare (default: the last)."),
    ) -> None:
        """Run the scenarios of SPEC side by side: counts and shares per scenario and area."""
        from kelisim.cli import progress
        from kelisim.forecast.outputs import diversity_of
        from kelisim.forecast.pipeline import choose_spec, compare_scenarios, run_spec

        if out is not None:  # a bad file name fails before the work
            check_format(file_format(out), out)
        projected = run_spec(choose_spec(spec, bundled), draws=0, progress=progress)
        table = compare_scenarios(projected, period)
        if out is not None:
            render(table, file_format(out), out=out)
        typer.echo(table.to_string(index=False, formatters=_formatters(table)))
        diversity = diversity_of(projected, int(table["period"].iloc[0]))
        typer.echo("\ndiversity of projected compositions (kelisim.measure):")
        typer.echo(diversity.to_string(index=False, float_format=lambda value: f"{value:.4f}"))

    @forecast.command()
    def trend(
        counts: str = typer.Argument(..., help="CSV of area, group, period, count, or the "
                                     "name of a dataset in the store (e.g. census_national)."),
        horizon: list[int] = typer.Option([], help="Periods to forecast (repeat)."),
        hindcast: bool = typer.Option(False, help="Hindcast: fit to 1999 and 2009, score."),
        periods: list[str] = typer.Option([], help="Observed periods to use, e.g. 1959-2021."),
        out: Path | None = typer.Option(None, help="Write the forecast (.csv or .parquet)."),
        store: bool = typer.Option(False, help="Write the `projections` table of the store "
                                   "(run trend_NAME, scenario trend)."),
        seed: int = typer.Option(0, help="Seed of the interval simulation."),
        db: str | None = typer.Option(None, help="Store location (default KELISIM_DB)."),
    ) -> None:
        """Forecast group shares from counts alone (log-ratio trend with intervals)."""
        from kelisim.cli.data import parse_periods
        from kelisim.forecast.pipeline import store_projection, trend_command

        if out is not None:  # a bad file name fails before the work
            check_format(file_format(out), out)
        table, projection, report = trend_command(counts, horizon, hindcast, seed,
                                                  parse_periods(periods), db)
        if out is not None:
            render(table, file_format(out), out=out)
        if store:
            rows = store_projection(projection, db)
            report += f"\nstored {rows} rows as run {projection.attrs['run_name']}"
        typer.echo(report)

    @forecast.command()
    def regions(
        counts: str = typer.Argument(..., help="CSV of area, group, period, count, or the "
                                     "name of a dataset in the store."),
        until: int | None = typer.Option(None, help="Calibrate on the periods up to this one "
                                         "(later ones are scored as a hindcast)."),
        horizon: list[int] = typer.Option([], help="Periods to forecast (repeat)."),
        migration: Path | None = typer.Option(None, help="Interregional migration (origin, "
                                              "destination, rate a year), see the docs."),
        out: Path | None = typer.Option(None, help="Write the forecast (.csv or .parquet)."),
        db: str | None = typer.Option(None, help="Store location (default KELISIM_DB)."),
    ) -> None:
        """Calibrate the group projection on an area x group table and forecast each area."""
        from kelisim.forecast.pipeline import regions_command

        if out is not None:  # a bad file name fails before the work
            check_format(file_format(out), out)
        table, report = regions_command(counts, until, horizon, migration, db)
        if out is not None:
            render(table, file_format(out), out=out)
        typer.echo(report)
        typer.echo("\nforecast (persons, and shares of each area's persons):")
        typer.echo(table.to_string(index=False, formatters=_formatters(table)))

    app.add_typer(forecast, name="forecast")


def _print_final(table) -> None:
    """Shares of each group in each area in the last period, per scenario."""
    last = table[(table["period"] == table["period"].max()) & (table["age"] == "total")
                 & (table["sex"] == "both")]
    columns = [c for c in ("scenario", "area", "group", "period", "count", "share",
                           "lower95", "upper95") if c in last.columns]
    typer.echo(last[columns].to_string(index=False, formatters=_formatters(last[columns])))


def _formatters(table) -> dict:
    """Whole persons with thousands separators, shares in per cent: never scientific notation."""
    from kelisim.core.numbers import format_count, format_share

    return {column: (lambda v: format_share(v, decimals=2)) if column.startswith("share")
            else format_count for column in table.columns if table[column].dtype.kind == "f"}
