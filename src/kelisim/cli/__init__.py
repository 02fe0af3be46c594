"""The `kelisim` command: one typer app whose commands live in this package, one module per
capability, each exposing ``register(app)``; the one error handler (:func:`main`).

A command's module is imported only when the command runs or shows its help (:data:`COMMANDS`),
and modules import heavy libraries inside their commands, so that ``kelisim --help`` stays
fast and ``kelisim measure`` imports what measuring needs.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading
from collections.abc import MutableMapping
from functools import cache
from typing import NamedTuple

import typer
from typer.core import TyperGroup

from kelisim.errors import ArgumentError, KelisimError


class Command(NamedTuple):
    """A command of `kelisim`: the modules whose ``register(app)`` add it, and its one-line
    help as `kelisim --help` lists it (the command's own; tests/cli/test_help.py checks)."""

    modules: tuple[str, ...]
    help: str


# Every command but `run`, in the order `kelisim --help` lists them. A command's modules are
# imported only when it is looked up, so `kelisim measure` imports what measuring needs and
# `kelisim --help` imports none of them.
COMMANDS = {
    "measure": Command(("kelisim.cli.measure",), "Print segregation and diversity indices as "
                       "rows index, group, value (+ lower, upper)."),
    "enclaves": Command(("kelisim.cli.spatial",), "Find enclaves: contiguous areas where a "
                        "group is significantly over-concentrated."),
    "evaluate": Command(("kelisim.cli.evaluate",), "Estimate an effect: `kelisim evaluate "
                        "SPEC.toml` or `kelisim evaluate did PANEL.csv --unit COL --time COL "
                        "--first-treated COL --outcome COL`."),
    "serve": Command(("kelisim.cli.web",),
                     "Start the web dashboard and JSON API; prints its address."),
    "brief": Command(("kelisim.cli.web",),
                     "Write the printable brief of an area and period as HTML or PDF."),
    "data": Command(("kelisim.cli.data",),
                    "Population datasets: list, show, import, export, delete."),
    "incidents": Command(("kelisim.cli.incidents",),
                         "The incident register: list, import, delete a batch."),
    "forecast": Command(("kelisim.cli.forecast",),
                        "Cohort-component projections, scenarios and trends."),
    "activities": Command(("kelisim.cli.evaluate",),
                          "The activity register: list, import, add; activity types."),
    "monitor": Command(("kelisim.cli.monitor", "kelisim.cli.model"),
                       "Watch: ingest news and posts, classify interethnic tension, raise alerts."),
    "users": Command(("kelisim.cli.web",), "Local accounts of the dashboard."),
}


@cache
def registered(modules: tuple[str, ...]) -> typer.Typer:
    """A Typer app holding what ``modules`` add; once per process, since a module may add
    commands to a group it shares (`monitor train` joins `monitor`)."""
    holder = typer.Typer(rich_markup_mode=None)
    for module in modules:
        importlib.import_module(module).register(holder)
    return holder


class LazyCommands(MutableMapping):
    """The commands of the `kelisim` group by name: those built with the group (`run`), then
    those of :data:`COMMANDS`, each built from its modules when first looked up. Click's
    dispatch, typer's 'did you mean' and :func:`flag_message` all look commands up here."""

    def __init__(self, built: dict):
        self.built = dict(built)

    def __getitem__(self, name: str):
        if name not in self.built and name in COMMANDS:
            self.built.update(typer.main.get_group(registered(COMMANDS[name].modules)).commands)
        return self.built[name]

    def __iter__(self):
        return iter(dict.fromkeys([*(n for n in self.built if n not in COMMANDS), *COMMANDS]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __setitem__(self, name: str, command) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.built[name]


class LazyGroup(TyperGroup):
    """The `kelisim` group: commands built on demand (:class:`LazyCommands`)."""

    def __init__(self, **attrs):
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)

    def format_commands(self, ctx, formatter) -> None:
        """List every command with its one-line help, building none that is not built yet."""
        from typer._click.utils import make_default_short_help

        built = self.commands.built
        limit = formatter.width - 6 - max(len(name) for name in self.commands)
        rows = [(name, built[name].get_short_help_str(limit) if name in built
                 else make_default_short_help(COMMANDS[name].help, limit))
                for name in self.commands if name not in built or not built[name].hidden]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="kelisim",
    cls=LazyGroup,
    help="Measure, forecast, watch and show interethnic relations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help (no rich panels): rich's help renderer alone costs about 0.1 s of CPU,
    # a third of the start-up budget of `kelisim --help`.
    rich_markup_mode=None,
    context_settings={"max_content_width": 100},
)

@app.callback()
def kelisim() -> None:
    """The group itself does nothing: having a callback makes typer build a group (of
    :class:`LazyGroup`) while `run` is its only command built up front."""


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



def main() -> None:
    """Entry point: run the app; a KelisimError is one line on stderr, a usage error is the
    usage line and one error line, both with exit status 2 and never a traceback; a warning is
    one line 'warning: ...' without the source line a library warns from."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.showwarning = show_warning
            result = app(standalone_mode=False, prog_name="kelisim")
    except KelisimError as error:
        # one line, even when the message quotes a library's multi-line text
        message = flag_message(error, sys.argv[1:]) if isinstance(error, ArgumentError) else error
        typer.echo(f"error: {' '.join(str(message).split())}", err=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.TyperException as error:  # click's usage errors (typer vendors click)
        sys.exit(show_usage_error(error))
    if isinstance(result, int) and result:
        sys.exit(result)


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as the one sentence 'warning: MESSAGE.' on stderr (as
    warnings.showwarning)."""
    typer.echo(f"warning: {' '.join(str(message).split()).rstrip('.')}.", err=True)


def progress(step: str) -> None:
    """One short line on stderr saying what a long command is doing now ('projecting
    scenario ... (2 of 5)'), so a person at a terminal sees it work; stdout keeps only the
    result, and stderr that is not a terminal (a log, a script) keeps only the one error line,
    as rich's progress display of `data import` does."""
    if sys.stderr.isatty():
        typer.echo(f"{step} ...", err=True)


def entry() -> None:
    """The installed ``kelisim`` command and ``python -m kelisim``: :func:`main`, then, after a
    command that succeeded, :func:`leave_now`."""
    main()
    leave_now()


def leave_now() -> None:
    """Exit with status 0 without tearing the interpreter down: freeing the modules of pandas,
    pyarrow and scipy object by object costs 0.1-0.3 s of CPU after the work is done. The atexit
    handlers run and the standard streams are flushed first, as at a normal exit; while another
    thread runs, or DuckDB is loaded (a store may still be open), the normal exit is kept."""
    if threading.active_count() > 1 or "duckdb" in sys.modules:
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: let the normal exit report it
        return
    os._exit(0)


def flag_message(error: ArgumentError, argv: list[str]) -> str:
    """The error naming the running command's option for its argument: kernels name their
    own arguments (``index``), the command line shows the flag (``--index``)."""
    command = typer.main.get_command(app)
    words = [word for word in argv if not word.startswith("-")]
    while hasattr(command, "commands") and words:  # a group: descend to the command run
        command = command.commands.get(words.pop(0), command)
    options = [p for p in getattr(command, "params", []) if p.opts[0].startswith("-")]
    wanted = "--" + error.argument.replace("_", "-")
    flag = next((wanted for p in options if wanted in p.opts), None) or next(
        (p.opts[0] for p in options if p.name == error.argument), None)
    return str(error) if flag is None else str(ArgumentError(flag, error.message))


def show_usage_error(error: typer.TyperException) -> int:
    """Print click's usage line and the error as one line; return click's exit status."""
    context = getattr(error, "ctx", None)
    if type(error).__name__ == "NoArgsIsHelpError":
        help_text = context.get_help()  # typer prints rich help itself and returns ""
        if help_text:
            typer.echo(help_text)
        return 2
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    message = " ".join(message.split()).rstrip(".")
    if context is not None:
        typer.echo(context.get_usage(), err=True)
    head, suggestion = split_suggestion(message)
    if suggestion:  # a mistyped name: the usage line above, then the likely one
        typer.echo(f"error: {head}; did you mean {suggestion}?", err=True)
    elif context is not None:
        typer.echo(f"error: {message}; see '{context.command_path} --help'.", err=True)
    else:
        typer.echo(f"error: {message}.", err=True)
    return getattr(error, "exit_code", 2)


def split_suggestion(message: str) -> tuple[str, str | None]:
    """Click's "No such command 'mesure'. Did you mean 'measure'?" (or "... (Possible
    options: --format, --force)") as the message and the suggested name(s)."""
    import re

    found = re.search(r"\.?\s*(?:Did you mean (?P<one>.+?)\?|\(Possible options: (?P<many>.+)\))$",
                      message)
    if found is None:
        return message, None
    if found["one"]:
        return message[:found.start()], found["one"]
    names = nearest(message[:found.start()].rsplit(" ", 1)[-1], found["many"].split(", "))
    return message[:found.start()], names[0] if len(names) == 1 else "one of " + ", ".join(names)


def nearest(word: str, names: list[str]) -> list[str]:
    """Of click's close matches, those about as close to the mistyped word as the closest one
    (difflib's similarity ratio within 0.1): '--formt' is '--format', not also '--out'."""
    import difflib

    scores = [difflib.SequenceMatcher(None, word, name).ratio() for name in names]
    return [name for name, score in zip(names, scores, strict=True) if score >= max(scores) - 0.1]
