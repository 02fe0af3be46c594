"""Compositional trend forecasts and the hindcast on the national census series (top 10
groups, censuses 1959-2021, transcribed in tests/fixtures/forecast_census_top10.csv with their
source)."""

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from kelisim.cli import app
from kelisim.forecast.pipeline import read_counts
from kelisim.forecast.trend import forecast_composition, forecast_shares, hindcast_report

CENSUS = Path(__file__).parents[1] / "fixtures" / "forecast_census_top10.csv"


def test_exact_log_ratio_trend_is_recovered():
    periods = np.array([2000, 2010, 2020])
    growth = np.exp(np.outer(periods - 2000, [0.02, -0.01, 0.0]))
    counts = 1000 * growth * [1, 2, 3]
    result = forecast_composition(periods, counts, [2030], np.random.default_rng(0))
    expected = 1000 * np.exp(np.array([0.02, -0.01, 0.0]) * 30) * [1, 2, 3]
    assert np.allclose(result["share"][0], expected / expected.sum())
    assert np.allclose(result["lower95"], result["upper95"], atol=1e-6)


def test_forecast_shares_sum_to_one_with_ordered_bounds():
    table = forecast_shares(read_counts(CENSUS), [2031], np.random.default_rng(0))
    assert np.isclose(table["share"].sum(), 1.0)
    assert (table["lower95"] <= table["lower80"]).all()
    assert (table["lower80"] <= table["upper80"]).all()
    assert (table["upper80"] <= table["upper95"]).all()


def test_hindcast_log_ratio_trend_beats_naive_baseline():
    report = hindcast_report(read_counts(CENSUS), np.random.default_rng(0))
    assert set(zip(report["fit_until"], report["target"], strict=True)) == {
        (1999, 2009), (1999, 2021), (2009, 2021)}
    errors = report.pivot_table(index=["fit_until", "target"], columns="method",
                                values="mae_pp")
    assert (errors["logratio_trend_3"] < errors["naive_last_shares"]).all()


def test_trend_command_prints_hindcast():
    result = CliRunner().invoke(app, ["forecast", "trend", str(CENSUS), "--hindcast",
                                      "--horizon", "2031"])
    assert result.exit_code == 0, result.output
    assert "naive_last_shares" in result.output and "kazakh 2031" in result.output


def test_trend_from_bundled_dataset_stores_projections(any_db):
    """The bundled census_national series through the store (built by build_database)."""
    from kelisim.datasets import build_database
    from kelisim.store import connect

    location = any_db
    con = connect(location)
    build_database(con)
    con.close()
    result = CliRunner().invoke(app, ["forecast", "trend", "census_national", "--horizon",
                                      "2030", "--horizon", "2040", "--hindcast", "--store",
                                      "--db", location])
    assert result.exit_code == 0, result.output
    assert "naive_last_shares" in result.output and "stored" in result.output
    con = connect(location)
    rows = con.execute("SELECT group_code, period, count, lower80, upper80, lower95, upper95, "
                       "scenario, sex, age FROM projections "
                       "WHERE run_name = 'trend_census_national'").df()
    con.close()
    assert set(rows["period"]) == {2030, 2040}
    assert set(rows["scenario"]) == {"trend"} and set(rows["sex"]) == {"both"}
    assert set(rows["age"]) == {"total"} and "kazakh" in set(rows["group_code"])
    groups = rows[rows["group_code"] != "total"]
    totals = rows[rows["group_code"] == "total"].set_index("period")["count"]
    assert np.allclose(groups.groupby("period")["count"].sum(), totals)
    assert (groups["lower95"] <= groups["lower80"]).all()
    assert (groups["lower80"] <= groups["count"] * 1.5).all()
    assert (groups["upper80"] <= groups["upper95"]).all()


def test_dataset_counts_keep_groups_counted_in_every_period():
    """Constructed rows: 'total' dropped, the 'permanent' basis preferred, a group missing
    in one period left out."""
    import pandas as pd

    from kelisim.forecast.pipeline import dataset_counts

    frame = pd.DataFrame({
        "area": "000000000",
        "group": ["kazakh", "russian", "korean", "total", "kazakh", "russian", "kazakh"],
        "period": [2009, 2009, 2009, 2009, 2021, 2021, 2021],
        "count": [10.0, 5.0, 1.0, 16.0, 12.0, 4.0, 99.0],
        "basis": ["permanent"] * 6 + ["present"]})
    counts, left_out = dataset_counts(frame)
    assert left_out == ["korean"]
    assert counts["count"].tolist() == [10.0, 5.0, 12.0, 4.0]


def test_a_table_of_one_period_names_the_table_not_an_option(tmp_path, monkeypatch, capsys):
    """`forecast regions` has no --periods: a one-period table is the COUNTS argument's fault."""
    from cli_support import run_main

    path = tmp_path / "one.csv"
    path.write_text("area,group,period,count\n110000000,kazakh,2021,100\n"
                    "110000000,russian,2021,50\n", encoding="utf-8")
    for command in ("regions", "trend"):
        code, out, err = run_main(monkeypatch, capsys, "forecast", command, str(path))
        assert code == 2 and out == ""
        assert err == (f"error: {path}: a forecast needs counts in at least two periods, and "
                       "this table has them in 2021 only.\n")


def test_trend_hindcast_report_reads_plainly(tmp_path, monkeypatch, capsys):
    """A new user's findings on the bundled census series: no 'NaN' coverage cells; Koreans,
    Azerbaijanis and Turks (counted at every census from 1926) kept although the
    reconstructed 1897 census lists fewer groups; shares in per cent as `forecast run` shows
    them; every printed 95% interval contains its point."""
    import re

    from cli_support import run_main
    from kelisim.datasets import build_database
    from kelisim.store import connect

    location = str(tmp_path / "store.duckdb")
    con = connect(location)
    build_database(con)
    con.close()
    code, out, err = run_main(monkeypatch, capsys, "forecast", "trend", "census_national",
                              "--horizon", "2030", "--horizon", "2040", "--hindcast",
                              "--db", location)
    assert code == 0, err
    assert "NaN" not in out and "nan" not in out
    assert "periods used: 1926, 1939" in out
    left_out = next(line for line in out.splitlines() if "left out" in line)
    assert not {"korean", "azerbaijani", "turkish"} & set(re.findall(r"\w+", left_out))
    shares = re.findall(r"^\S+ (\w+) (\d{4}): share ([\d.]+)% \(95% ([\d.]+)%-([\d.]+)%\)$",
                        out, flags=re.MULTILINE)
    assert {"korean", "tatar"} <= {group for group, *_ in shares}
    for group, period, point, low, high in shares:
        assert float(low) <= float(point) <= float(high), (group, period)
        assert float(low) < float(high), (group, period)
