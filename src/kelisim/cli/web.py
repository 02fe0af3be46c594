"""`kelisim serve`, `kelisim users add|list|disable` and `kelisim brief`."""

from __future__ import annotations

from pathlib import Path

import typer

users_app = typer.Typer(help="Local accounts of the dashboard.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(brief)
    app.add_typer(users_app, name="users")


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    db: str = typer.Option(None, help="Store location (default: KELISIM_DB or the user file)."),
    workers: int = typer.Option(1, min=1, help="Server processes; more than one needs a "
                                "PostgreSQL store (KELISIM_DB=postgresql://...)."),
) -> None:
    """Start the web dashboard and JSON API; prints its address."""
    from kelisim.web import serve as run

    run(host, port, db, workers)


def brief(
    area: str = typer.Argument(..., help="9-digit KATO code of the area."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write: .html or .pdf."),
    period: int = typer.Option(None, help="Year (default: the latest with data)."),
    lang: str = typer.Option("en", help="kk, ru or en."),
    db: str = typer.Option(None, help="Store location."),
) -> None:
    """Write the printable brief of an area and period as HTML or PDF."""
    from kelisim import store
    from kelisim.errors import ArgumentError
    from kelisim.report import brief_html, brief_pdf
    from kelisim.views import queries

    if lang not in queries.LANGUAGES:
        raise ArgumentError("--lang", "use kk, ru or en")
    if output.suffix not in (".html", ".pdf"):
        raise ArgumentError("--output", "the file name must end in .html or .pdf")
    con = store.connect(db)
    if not queries.area_exists(con, area):
        raise ArgumentError("area", f"no area with KATO code {area}")
    html = brief_html(con, area, period, lang, standalone=True)
    if output.suffix == ".pdf":
        output.write_bytes(brief_pdf(html))
    else:
        output.write_text(html, encoding="utf-8")
    typer.echo(f"wrote {output}")


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("viewer", help="viewer, analyst or admin."),
    password: str = typer.Option(
        None, help="At least 12 characters, not a common password. Asked for with hidden "
        "input (typed twice) when "
        "left out at a terminal; scripts use --password-stdin, since a command line is "
        "visible to other local users.",
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of standard "
        "input (for scripts: printf '%s\\n' \"$PW\" | kelisim users add NAME "
        "--password-stdin).",
    ),
    db: str = typer.Option(None, help="Store location."),
) -> None:
    """Create a local account."""
    import sys

    from kelisim import store
    from kelisim.errors import ArgumentError
    from kelisim.web import auth

    if password_stdin and password is not None:
        raise ArgumentError("--password-stdin", "give the password either on standard input "
                            "or with --password, not both")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif password is None:
        import getpass
        import warnings

        with warnings.catch_warnings():  # without a terminal getpass reads stdin and warns
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    con = store.connect(db)
    with store.transaction(con):
        name = auth.add_user(con, username, password, role)
        auth.audit(con, "cli", "user.add", name, {"role": role})
    typer.echo(f"added {name} ({role})")


@users_app.command("list")
def users_list(db: str = typer.Option(None, help="Store location.")) -> None:
    """List accounts with their roles."""
    from kelisim import store
    from kelisim.web import auth

    for user in auth.list_users(store.connect(db, read_only=True)):
        state = "disabled" if user["disabled"] else "active"
        typer.echo(f"{user['username']}\t{user['role']}\t{state}")


@users_app.command("disable")
def users_disable(
    username: str = typer.Argument(..., help="Login name."),
    db: str = typer.Option(None, help="Store location."),
) -> None:
    """Disable an account and end its sessions."""
    from kelisim import store
    from kelisim.web import auth

    con = store.connect(db)
    with store.transaction(con):
        auth.set_disabled(con, username)
        auth.audit(con, "cli", "user.disable", username, {})
    typer.echo(f"disabled {username}")
