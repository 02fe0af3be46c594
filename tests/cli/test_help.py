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


def test_one_output_helper_writes_every_format(tmp_path, monkeypatch, capsys):
    """`kelisim measure` through the shared helper: CSV floats read back bit for bit, Parquet
    only to a file (written whole), an unknown format or a missing folder refused first."""
    import pandas as pd

    from cli_support import run_main

    counts = tmp_path / "counts.csv"
    counts.write_text("area,group,count\na1,x,10\na1,y,5\na2,x,3\na2,y,9\na3,x,7\na3,y,1\n")
    code, csv_text, _ = run_main(monkeypatch, capsys, "measure", str(counts), "--format", "csv")
    assert code == 0
    as_csv = pd.read_csv(pd.io.common.StringIO(csv_text), keep_default_na=False)
    target = tmp_path / "indices.parquet"
    code, out, _ = run_main(monkeypatch, capsys, "measure", str(counts), "--format", "parquet",
                            "--out", str(target))
    assert code == 0 and out == ""
    as_parquet = pd.read_parquet(target)
    assert as_parquet["value"].tolist() == as_csv["value"].tolist()  # exact, not close
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    code, _, err = run_main(monkeypatch, capsys, "measure", str(counts), "--format", "parquet")
    assert code == 2 and err == "error: --out: Parquet is a binary file: give --out " \
                                "FILE.parquet.\n"
    code, _, err = run_main(monkeypatch, capsys, "measure", str(counts), "--format", "xml")
    assert code == 2 and err.startswith("error: --format: unknown format 'xml'; use table, csv")
    missing = tmp_path / "no" / "out.csv"
    code, _, err = run_main(monkeypatch, capsys, "measure", str(counts), "--format", "csv",
                            "--out", str(missing))
    assert code == 2 and err == f"error: --out: there is no folder {missing.parent} to write " \
                                "out.csv in.\n"


def test_the_listing_keeps_each_commands_own_help_and_misses_none():
    """kelisim.cli.COMMANDS holds the one-line help `kelisim --help` lists without importing
    the command modules: each line is the command's own, and every command they add is there."""
    import typer

    from kelisim.cli import COMMANDS, registered

    added = set()
    for name, command in COMMANDS.items():
        built = typer.main.get_group(registered(command.modules)).commands
        assert built[name].get_short_help_str(1000) == command.help, name
        added |= set(built)
    assert added == set(COMMANDS)


def _command_modules(*args: str, cwd) -> tuple[str, list[str]]:
    """Run ``kelisim ARGS`` in a fresh process: (stdout, the kelisim.cli modules imported)."""
    import ast
    import subprocess
    import sys

    script = ("import sys\nsys.argv = ['kelisim', *sys.argv[1:]]\nfrom kelisim.cli import main\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in sys.modules if m.startswith('kelisim.cli.')))")
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          cwd=cwd)
    *output, modules = done.stdout.splitlines()
    return "\n".join(output), ast.literal_eval(modules)


def test_a_command_imports_only_its_own_module(tmp_path):
    listing, modules = _command_modules("--help", cwd=tmp_path)
    assert modules == [] and "monitor     Watch: ingest news" in listing
    counts = tmp_path / "counts.csv"
    counts.write_text("area,group,count\na1,x,10\na1,y,5\na2,x,3\na2,y,9\n")
    output, modules = _command_modules("measure", str(counts), "--format", "csv", cwd=tmp_path)
    assert output.startswith("index,group,value\n")
    assert modules == ["kelisim.cli.measure", "kelisim.cli.output"]
    _, modules = _command_modules("monitor", "train", "--help", cwd=tmp_path)
    assert modules == ["kelisim.cli.model", "kelisim.cli.monitor", "kelisim.cli.output"]
