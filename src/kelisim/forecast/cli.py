"""`kelisim forecast ...`: validate, run, compare and trend commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``forecast`` command group to the kelisim app."""
    forecast = typer.Typer(help="Cohort-component projections, scenarios and trends.",
                           no_args_is_help=True)

    @forecast.command()
    def validate() -> None:
        """Run the published cases (Preston Boxes 6.1-6.2, Rogers two-region) and print checks."""
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
        if not all(check.passed for check in checks):
            raise typer.Exit(1)

    app.add_typer(forecast, name="forecast")
