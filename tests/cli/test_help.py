"""The command line answers --help for every command group."""

from typer.testing import CliRunner

from kelisim.cli import app


def test_help_lists_run():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "run" in result.output


def test_the_installed_command_flushes_everything_before_its_fast_exit(tmp_path):
    """`python -m kelisim` (as the `kelisim` script) leaves through cli.leave_now after a
    command that succeeded: the whole output arrives, atexit handlers ran, status 0."""
    import subprocess
    import sys

    counts = tmp_path / "counts.csv"
    rows = [f"a{i},{g},{i + 1}" for i in range(300) for g in ("x", "y")]
    counts.write_text("area,group,count\n" + "\n".join(rows) + "\n")
    script = (
        "import atexit, sys; atexit.register(lambda: print('atexit ran', file=sys.stderr)); "
        "sys.argv = ['kelisim', 'measure', sys.argv[1], '--format', 'csv']; "
        "from kelisim.cli import entry; entry()"
    )
    done = subprocess.run([sys.executable, "-c", script, str(counts)], capture_output=True,
                          text=True)
    assert done.returncode == 0
    assert done.stdout.startswith("index,group,value\n") and "dissimilarity,x," in done.stdout
    assert "atexit ran" in done.stderr
    failed = subprocess.run([sys.executable, "-m", "kelisim", "measure", str(tmp_path / "no.csv")],
                            capture_output=True, text=True)
    assert failed.returncode != 0 and "error:" in failed.stderr
