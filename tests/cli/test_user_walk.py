"""Defects a new user met in the data, measure and enclaves commands (issue 9): every error is
one sentence naming the file, row and column or the argument, a non-zero exit, no traceback,
and the store unchanged. Through the real entry point (kelisim.cli.main)."""

from cli_support import run_main


def one_sentence(err: str) -> str:
    """The single line of stderr, after checking there is no traceback."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_export_into_a_missing_folder_is_one_sentence(db_path, monkeypatch, capsys, tmp_path):
    missing = tmp_path / "nowhere" / "out.parquet"
    code, _, err = run_main(monkeypatch, capsys, "data", "export", "census_national",
                            str(missing))
    assert code != 0
    line = one_sentence(err)
    assert f"there is no folder {missing.parent} to write out.parquet in" in line
    assert not missing.parent.exists()
