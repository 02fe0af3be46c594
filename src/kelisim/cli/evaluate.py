"""`kelisim activities ...` (the register) and `kelisim evaluate ...` (estimates)."""

from __future__ import annotations

from pathlib import Path

import typer

from kelisim.cli.output import format_option, out_option

activities_app = typer.Typer(help="The activity register: list, import, add; activity types.",
                             no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `activities` group and the `evaluate` command to the main app."""
    app.add_typer(activities_app, name="activities")
    app.command("evaluate")(evaluate_command)


@activities_app.command("list")
def list_command(
    area: str = typer.Option(None, "--area", help="KATO code or name; includes areas inside "
                             "it and country-wide activities."),
    activity_type: str = typer.Option(None, "--type", help="Activity type code or name."),
    since: str = typer.Option(None, "--since", help="Activities ending on/after YYYY-MM-DD."),
    output_format: str = format_option(),
    out: Path | None = out_option(),
) -> None:
    """List activities, newest first."""
    from kelisim.cli.output import render
    from kelisim.core.areas import lookup_area
    from kelisim.datasets import open_store
    from kelisim.errors import ArgumentError
    from kelisim.evaluate.register import resolve_activity_area, resolve_type, suggest_type
    from kelisim.store.activities import list_activities

    con = open_store()
    code = (resolve_activity_area(area) or lookup_area(area)) if area else None
    type_code = None
    if activity_type:
        type_code = resolve_type(con, activity_type)
        if type_code is None:
            from kelisim.core.groups import unknown_message

            raise ArgumentError("--type", unknown_message("activity type", activity_type,
                                                          suggest_type(con, activity_type)))
    frame = list_activities(con, area=code, type_code=type_code, since=since)
    frame["groups"] = [";".join(v) if hasattr(v, "__iter__") and not isinstance(v, str) else ""
                       for v in frame["groups"]]
    for column in ("date_start", "date_end"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    if output_format == "table":
        frame = frame[["activity_id", "type_code", "area_code", "date_start", "date_end",
                       "participants", "organiser", "source"]]
    render(frame, output_format, title="activities", out=out)


@activities_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="Activities as CSV (UTF-8) or Excel (.xlsx)."),
) -> None:
    """Import activities; a bad row stops the import and changes nothing."""
    from kelisim.datasets import open_store
    from kelisim.evaluate.register import import_activities

    ids = import_activities(open_store(), file)
    typer.echo(f"imported {len(ids)} activities")


@activities_app.command("add")
def add_command(
    activity_type: str = typer.Option(..., "--type", help="Type code or name (kk/ru/en)."),
    start: str = typer.Option(..., "--start", help="First day, YYYY-MM-DD."),
    source: str = typer.Option(..., "--source", help="Where the activity is reported."),
    area: str = typer.Option("country", "--area", help="KATO code or name; default country."),
    end: str = typer.Option("", "--end", help="Last day, YYYY-MM-DD."),
    groups: str = typer.Option("", "--groups", help="Groups addressed, ';'-separated."),
    participants: str = typer.Option("", "--participants", help="Number of participants."),
    budget: str = typer.Option("", "--budget", help="Budget in tenge."),
    organiser: str = typer.Option("", "--organiser", help="Who organised it."),
    note: str = typer.Option("", "--note", help="A free note."),
) -> None:
    """Add one activity to the register and print its id."""
    from kelisim.datasets import open_store
    from kelisim.evaluate.register import add_activity

    activity_id = add_activity(open_store(), {
        "type": activity_type, "area": area, "date_start": start, "date_end": end,
        "groups": groups, "participants": participants, "budget_kzt": budget,
        "organiser": organiser, "source": source, "note": note})
    typer.echo(activity_id)


@activities_app.command("types")
def types_command(
    add: str = typer.Option(None, "--add", help="Add a type with this code (admin)."),
    name_kk: str = typer.Option(None, "--kk", help="Name in Kazakh."),
    name_ru: str = typer.Option(None, "--ru", help="Name in Russian."),
    name_en: str = typer.Option(None, "--en", help="Name in English."),
    output_format: str = format_option(),
    out: Path | None = out_option(),
) -> None:
    """List the controlled activity types, or add one with names in kk, ru and en."""
    from kelisim.cli.output import render
    from kelisim.datasets import open_store
    from kelisim.errors import ArgumentError
    from kelisim.evaluate.register import check_type_code
    from kelisim.store.activities import activity_types, add_activity_type

    con = open_store()
    if add:
        for flag, value in (("--kk", name_kk), ("--ru", name_ru), ("--en", name_en)):
            if not value:
                raise ArgumentError(flag, "a new type needs its name in kk, ru and en")
        if check_type_code(add) in set(activity_types(con)["type_code"]):
            raise ArgumentError("--add", f"type '{add}' already exists")
        add_activity_type(con, add, {"kk": name_kk, "ru": name_ru, "en": name_en})
    render(activity_types(con), output_format, title="activity types", out=out)


def evaluate_command(
    target: str = typer.Argument(..., help="SPEC.toml, or 'did' for a panel file."),
    panel: Path = typer.Argument(None, help="With 'did': the panel CSV or Excel file."),
    unit: str = typer.Option(None, "--unit", help="Column of the unit (area) id."),
    time: str = typer.Option(None, "--time", help="Column of the period (a number)."),
    first_treated: str = typer.Option(None, "--first-treated",
                                      help="Column of the first treated period (0 = never)."),
    outcome: str = typer.Option(None, "--outcome", help="Column of the outcome."),
    covariates: str = typer.Option("", "--covariates", help="Covariate columns, comma-separated."),
    control: str = typer.Option("not_yet", "--control", help="never or not_yet."),
    method: str = typer.Option("dr", "--method", help="dr, ipw or reg."),
    bootstrap: int = typer.Option(999, "--bootstrap", min=0,
                                  help="Wild bootstrap draws (0 = analytical errors)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    output_format: str = format_option(),
    out: Path | None = out_option(),
    report: Path = typer.Option(None, "--report", help="Write the report here (Markdown)."),
) -> None:
    """Estimate an effect: `kelisim evaluate SPEC.toml` or `kelisim evaluate did PANEL.csv
    --unit COL --time COL --first-treated COL --outcome COL`."""
    from kelisim.cli.output import check_format, render
    from kelisim.errors import ArgumentError

    check_format(output_format, out)
    if target == "did":
        from kelisim.datasets.io import read_table
        from kelisim.evaluate.did import ESTIMATE_COLUMNS, staggered_did

        if panel is None:
            raise ArgumentError("PANEL", "'kelisim evaluate did' needs a panel file")
        for flag, value in (("--unit", unit), ("--time", time),
                            ("--first-treated", first_treated), ("--outcome", outcome)):
            if not value:
                raise ArgumentError(flag, f"'kelisim evaluate did' needs {flag} COLUMN")
        result = staggered_did(
            read_table(panel), unit, time, first_treated, outcome,
            [c.strip() for c in covariates.split(",") if c.strip()], control, method,
            bootstrap, seed)
        estimates = result.estimates[list(ESTIMATE_COLUMNS)]
        if output_format == "table":
            estimates = estimates.round(4)
        render(estimates, output_format, title="Callaway-Sant'Anna estimates", out=out)
        if output_format == "table":
            _print_notes(result.pretrend_p_value, result.minimum_detectable_effect,
                         result.assumptions, result.sensitivity, estimates)
        return
    from kelisim.datasets import open_store
    from kelisim.evaluate.spec import read_spec, report_markdown, run_spec

    spec = read_spec(target)
    result = run_spec(open_store(), spec)
    estimates = result["estimates"]
    render(estimates.round(4) if output_format == "table" else estimates, output_format,
           title=spec.title, out=out)
    if output_format == "table":
        _print_notes(result["pretrend"], result["mde"], result["assumptions"]["en"],
                     result.get("sensitivity"), estimates)
        typer.echo(result["conclusions"]["en"])
    destination = report or (Path(spec.report) if spec.report else None)
    if destination is not None:
        destination.write_text(report_markdown(result), encoding="utf-8")
        typer.echo(f"report written to {destination}", err=True)


def _print_notes(pretrend: float | None, mde: float | None, assumptions: list[str],
                 sensitivity: dict | None, estimates) -> None:
    from kelisim.core.numbers import format_value
    from kelisim.evaluate.spec import sensitivity_sentence

    if "lower" in estimates:
        blank = int((estimates["estimate"].notna() & estimates["lower"].isna()).sum())
        if blank:
            typer.echo(f"{blank} {'row has' if blank == 1 else 'rows have'} no standard "
                       "error or interval: in the periods they compare the outcome did not "
                       "vary between areas (e.g. no incidents anywhere), so there is no "
                       "spread to measure uncertainty from")
    if pretrend is not None:
        typer.echo(f"pre-trend test p-value: {pretrend:.3f}")
    if sensitivity is not None:
        typer.echo(sensitivity_sentence(sensitivity))
    if mde is not None:
        typer.echo(f"minimum detectable effect (80% power, 5% level): {format_value(mde)}")
    typer.echo("assumptions:")
    for line in assumptions:
        typer.echo(f"  - {line}")
