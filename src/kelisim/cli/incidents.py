"""`kelisim incidents ...`: list and import incidents."""

from __future__ import annotations

from pathlib import Path

import typer

from kelisim.cli.output import format_option, out_option

incidents_app = typer.Typer(help="The incident register: list, import, delete a batch.",
                            no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `incidents` command group to the main app."""
    app.add_typer(incidents_app, name="incidents")


@incidents_app.command("list")
def list_command(
    region: str = typer.Option(None, "--region", help="Region KATO code or name."),
    since: str = typer.Option(None, "--since", help="Incidents ending on/after YYYY-MM-DD."),
    interethnic: str = typer.Option(None, "--interethnic", help="yes, no or disputed."),
    output_format: str = format_option(),
    out: Path | None = out_option(),
) -> None:
    """List incidents, newest first."""
    from kelisim.cli.output import render
    from kelisim.core.areas import lookup_area, region_code
    from kelisim.datasets import open_store
    from kelisim.incidents import list_incidents

    code = region_code(lookup_area(region)) if region else None
    frame = list_incidents(open_store(read_only=True), region=code, since=since,
                           interethnic=interethnic)
    for column in ("groups", "sources"):
        frame[column] = [";".join(v) for v in frame[column]]
    for column in ("date_start", "date_end"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    if output_format == "table":
        frame = frame[["incident_id", "date_start", "region_code", "place", "event_type",
                       "interethnic", "groups", "fatalities", "confidence"]]
    render(frame, output_format, title="incidents", out=out)


@incidents_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="Incident CSV: ours, an ACLED export or UCDP GED."),
    input_format: str = typer.Option("auto", "--format", help="auto, kelisim, acled or ucdp."),
) -> None:
    """Import incidents; a bad row stops the import and changes nothing."""
    from kelisim.datasets import open_store
    from kelisim.errors import InputError
    from kelisim.incidents import import_incidents, read_incidents

    rows = read_incidents(file, input_format)
    if rows.empty:
        raise InputError(file, 2, None, "no incidents below the header; nothing to import")
    written = import_incidents(open_store(), file, input_format, rows=rows)
    typer.echo(f"imported {written} incidents as batch '{file.stem}'")


@incidents_app.command("batches")
def batches_command() -> None:
    """List the imported incident batches (the names `kelisim incidents delete` takes)."""
    from kelisim.datasets import open_store
    from kelisim.store.lifecycle import incident_batches

    for batch, path, count in incident_batches(open_store(read_only=True)):
        typer.echo(f"{batch}\t{count} incidents\t{path}")


@incidents_app.command("delete")
def delete_command(
    batch: str = typer.Argument(..., help="Batch name (see `kelisim incidents batches`)."),
) -> None:
    """Delete the incidents of one import, with an audit entry; all or nothing."""
    from kelisim import store
    from kelisim.datasets import open_store
    from kelisim.store.lifecycle import delete_incident_batch

    con = open_store()
    with store.transaction(con):
        removed = delete_incident_batch(con, batch)
    typer.echo(f"deleted batch '{batch}': {removed} incidents")
