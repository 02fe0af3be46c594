"""`kelisim data ...` and `kelisim incidents ...` through typer's CliRunner and kelisim.cli.main.

Input files are constructed by the tests.
"""

import json

import pytest
from typer.testing import CliRunner

from cli_support import run_main
from kelisim.cli import app
from store_support import store_state

runner = CliRunner()


@pytest.mark.parametrize("args", [[], ["data"], ["incidents"], ["data", "show"],
                                  ["data", "import"], ["data", "export"], ["incidents", "list"]])
def test_help_everywhere(args):
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_data_list_and_show_csv(any_db):
    result = runner.invoke(app, ["data", "list", "--format", "csv"])
    assert result.exit_code == 0 and "regions_annual" in result.output
    result = runner.invoke(app, ["data", "show", "census_national", "--period", "2021",
                                 "--group", "Kazakhs", "--group", "total", "--format", "csv"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0] == "area_code,group,period,count,share,source_id"
    assert lines[1:] == ["000000000,kazakh,2021,13497891,,S1",
                         "000000000,total,2021,19186015,,S5"]


def test_show_in_2018_borders_json_and_table(any_db):
    result = runner.invoke(app, ["data", "show", "regions_annual", "--period", "2022",
                                 "--area", "East Kazakhstan", "--boundaries", "2018",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    # 2018 borders: East Kazakhstan + Abai at the start of 2022 (732,966 + 611,888)
    assert json.loads(result.output) == [{"area_code": "630000000", "group": "total",
                                          "period": 2022, "count": 1344854, "share": None,
                                          "source_id": "KAZPOP"}]
    result = runner.invoke(app, ["data", "show", "regions_annual", "--period", "2000-2001"])
    assert result.exit_code == 0 and "2000" in result.output


def test_import_export_round_trip(any_db, tmp_path):
    source = tmp_path / "mine.csv"
    source.write_text("area,period,kazakh,russian,total\n110000000,2021,100,50,200\n",
                      encoding="utf-8")
    result = runner.invoke(app, ["data", "import", str(source)])
    assert result.exit_code == 0 and "imported 3 rows as 'mine'" in result.output
    out = tmp_path / "mine.parquet"
    assert runner.invoke(app, ["data", "export", "mine", str(out)]).exit_code == 0
    result = runner.invoke(app, ["data", "import", str(out), "--name", "again"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["data", "show", "again", "--format", "csv"])
    assert "110000000,kazakh,2021,100,,file:mine" in result.output


def test_bad_row_exits_2_with_one_sentence_and_database_unchanged(any_db, tmp_path,
                                                                   monkeypatch, capsys):
    good = tmp_path / "good.csv"
    good.write_text("area,group,period,count\n110000000,kazakh,2021,3\n", encoding="utf-8")
    assert run_main(monkeypatch, capsys, "data", "import", str(good))[0] == 0
    before = store_state(any_db)
    bad = tmp_path / "bad.csv"
    bad.write_text("area,group,period,count\n110000000,kazakh,2021,3\n"
                   "110000000,uzbek,2021,-4\n", encoding="utf-8")
    code, out, err = run_main(monkeypatch, capsys, "data", "import", str(bad), "--name", "good",
                              "--replace")
    assert code == 2
    assert err == f"error: {bad}, row 3, column count: negative count -4.\n"
    assert store_state(any_db) == before


def test_unknown_names_exit_2(any_db, monkeypatch, capsys):
    code, _, err = run_main(monkeypatch, capsys, "data", "show", "census_national",
                            "--group", "kazak")
    assert code == 2 and "did you mean kazakh" in err
    code, _, err = run_main(monkeypatch, capsys, "data", "show", "regions_annual",
                            "--boundaries", "2019")
    assert code == 2 and "boundary version" in err


@pytest.mark.parametrize(("args", "line"), [
    (["mesure"], "error: No such command 'mesure'; did you mean 'measure'?"),
    (["data", "lst"], "error: No such command 'lst'; did you mean 'list'?"),
    (["data", "show", "census_national", "--formt", "csv"],
     "error: No such option: --formt; did you mean --format?"),
])
def test_a_mistyped_command_or_option_gets_one_clean_suggestion(monkeypatch, capsys, args,
                                                                 line):
    code, out, err = run_main(monkeypatch, capsys, *args)
    lines = err.splitlines()
    assert code == 2 and out == ""
    assert len(lines) == 2 and lines[0].startswith("Usage: kelisim ")
    assert lines[1] == line


def test_incidents_list_and_import(any_db, tmp_path):
    result = runner.invoke(app, ["incidents", "list", "--region", "Zhambyl", "--format", "csv"])
    assert result.exit_code == 0
    assert "KZ-2020-02-KORDAY" in result.output and "kazakh;dungan" in result.output
    path = tmp_path / "ours.csv"
    path.write_text("incident_id,date_start\nT-9,2023-05-01\n", encoding="utf-8")
    result = runner.invoke(app, ["incidents", "import", str(path)])
    assert result.exit_code == 0 and "imported 1 incidents" in result.output
    result = runner.invoke(app, ["incidents", "list", "--since", "2023-01-01"])
    assert "T-9" in result.output


def test_table_persons_are_grouped_as_every_cli_table_groups_them(any_db):
    """`data show` wrote "13 497 891" while `forecast run` wrote "1,313,967": every CLI table
    groups persons with kelisim.core.numbers.format_count (English, commas)."""
    result = runner.invoke(app, ["data", "show", "census_national", "--period", "2021",
                                 "--group", "Kazakhs"])
    assert result.exit_code == 0, result.output
    assert "13,497,891" in result.output and "13 497 891" not in result.output
