"""The `kelisim` command: one typer app, one sub-command group per capability.

Each capability module exposes ``register(app)`` in its own ``cli.py`` and imports heavy
libraries inside its commands, so that ``kelisim --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from kelisim.errors import KelisimError

app = typer.Typer(
    name="kelisim",
    help="Measure, forecast, watch and show interethnic relations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Capability modules that add commands; a module not present yet is skipped.
CAPABILITY_CLIS = (
    "kelisim.datasets.cli",
    "kelisim.incidents.cli",
    "kelisim.measure.cli",
    "kelisim.measure.spatial_cli",
    "kelisim.forecast.cli",
    "kelisim.monitor.cli",
    "kelisim.monitor.model_cli",
    "kelisim.web.cli",
)


def _register_capabilities() -> None:
    for module_name in CAPABILITY_CLIS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            raise
        module.register(app)


@app.command()
def run(
    host: str = typer.Option("127.0.0.1", help="Address the dashboard listens on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port the dashboard listens on."),
    summary_only: bool = typer.Option(
        False, "--summary-only", help="Print the census summary and exit without serving."
    ),
) -> None:
    """Build the embedded database if needed, print the census summary, start the dashboard."""
    from kelisim.main_job import run_main_job

    if not summary_only:
        from kelisim.web import check_port

        check_port(host, port)  # before the summary, not after it
    run_main_job()
    if not summary_only:
        from kelisim.web import serve

        serve(host, port)


_register_capabilities()


def main() -> None:
    """Entry point: run the app, turning KelisimError into one line on stderr and exit 2."""
    try:
        result = app(standalone_mode=False)
    except KelisimError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as error:  # click usage errors
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
    if isinstance(result, int) and result:
        sys.exit(result)
