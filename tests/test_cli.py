"""The command line answers --help for every command group."""

from typer.testing import CliRunner

from kelisim.cli import app


def test_help_lists_run():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "run" in result.output
