"""The bundled national scenario set: census 2021 counts (bundled census_national table), the
reconstructed age-sex structure and the CLI writing the projections table."""

import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from kelisim.cli import app, main
from kelisim.core.curated import read_curated
from kelisim.errors import ArgumentError
from kelisim.forecast.bundled import bundled_spec, cohort_population, reconstructed_structure
from kelisim.forecast.pipeline import run_spec
from kelisim.forecast.rates import wpp_kazakhstan

CENSUS_TOTAL_2021 = 19_186_015  # 2021 census total, bundled census_national (source S5)


def test_cohort_population_groups_births_by_age():
    """Constructed: 1 birth a year, no deaths -> each 5-year group holds 5, the open group
    the rest up to age 130."""
    years_before = np.arange(1, 131)
    counts = cohort_population(np.ones(130), np.ones(130), years_before, np.arange(0, 86, 5))
    assert counts[:-1].tolist() == [5.0] * 17
    assert counts[-1] == 130 - 85


def test_reconstructed_structure_meets_census_total_and_wpp_births():
    ages = np.arange(0, 86, 5)
    structure = reconstructed_structure(wpp_kazakhstan(), 2021, CENSUS_TOTAL_2021, 1.05, ages)
    assert np.isclose(structure.sum(), CENSUS_TOTAL_2021)
    wpp = wpp_kazakhstan().set_index("year")
    born = wpp.loc[2016:2020, "births"].sum() * 1000  # the cohorts aged 0-4 at the start of 2021
    assert 0.95 * born < structure[:, 0].sum() < born
    assert 1.0 < structure[1, 0] / structure[0, 0] < 1.05  # sex ratio at birth 1.05, less
    # male survival


def test_bundled_run_starts_from_census_counts():
    table = run_spec(bundled_spec("kazakhstan_national"), draws=0, only="calibrated")
    start = table[(table["period"] == 2021) & (table["age"] == "total")].set_index("group")
    census = read_curated("census_national")
    census = census[census["period"] == 2021].set_index("group_code")["count"]
    assert np.isclose(start.loc["total", "count"], CENSUS_TOTAL_2021)
    for group in ("kazakh", "russian", "uzbek", "korean"):
        assert np.isclose(start.loc[group, "count"], census[group])
    final = table[(table["period"] == 2051) & (table["group"] == "total")]["count"].iloc[0]
    assert 1.2 * CENSUS_TOTAL_2021 < final < 1.5 * CENSUS_TOTAL_2021


def test_unknown_bundled_spec_is_refused():
    with pytest.raises(ArgumentError, match="kazakhstan_national"):
        bundled_spec("atlantis")


def test_cli_stores_bundled_scenarios(any_db):
    location = any_db
    result = CliRunner().invoke(app, ["forecast", "run", "--bundled", "kazakhstan_national",
                                      "--draws", "4", "--store", "--db", location])
    assert result.exit_code == 0, result.output
    from kelisim.store import connect

    con = connect(location)
    rows = con.execute("SELECT scenario, count(*), count(lower95) FROM projections "
                       "WHERE run_name = 'kazakhstan_national' GROUP BY 1 ORDER BY 1").fetchall()
    con.close()
    assert [row[0] for row in rows] == ["calibrated", "emigration_continues",
                                        "emigration_stops", "fertility_convergence",
                                        "kandas_return"]
    assert all(count == with_bounds == 31 * 12 for _, count, with_bounds in rows)


def test_cli_needs_exactly_one_spec(monkeypatch, capsys):
    """The kernel names its argument (bundled); the command line shows the flag."""
    result = CliRunner().invoke(app, ["forecast", "run"])
    assert isinstance(result.exception, ArgumentError)
    assert result.exception.argument == "bundled"
    monkeypatch.setattr(sys, "argv", ["kelisim", "forecast", "run"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("error: --bundled: give either a spec file or the name "
                                       "of a bundled spec.\n")


def test_intervals_contain_their_point_and_numbers_are_not_scientific():
    table = run_spec(bundled_spec("kazakhstan_national"), draws=6, seed=3, only="calibrated")
    summary = table[table["age"] == "total"]
    assert (summary["lower95"] <= summary["count"]).all()
    assert (summary["count"] <= summary["upper95"]).all()
    assert (summary["share_lower95"] <= summary["share"]).all()
    assert (summary["share"] <= summary["share_upper95"]).all()
    compared = CliRunner().invoke(app, ["forecast", "compare", "--bundled",
                                        "kazakhstan_national", "--period", "2051"])
    assert compared.exit_code == 0, compared.output
    assert "e+0" not in compared.output and "21,185,442" in compared.output
