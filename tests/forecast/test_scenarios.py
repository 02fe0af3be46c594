"""Specs, input validation and the worked example (docs/examples/forecast/spec.toml, whose
input tables are CONSTRUCTED). Bad inputs must fail with one InputError naming file, row and
column before any projection is computed."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from kelisim import store
from kelisim.cli import app
from kelisim.errors import InputError
from kelisim.forecast import scenarios
from kelisim.forecast.pipeline import compare_scenarios, run_spec

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "forecast"


@pytest.fixture()
def example(tmp_path):
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    return folder


def test_worked_example_runs_every_scenario():
    table = run_spec(EXAMPLE / "spec.toml", draws=0)
    assert set(table["scenario"]) == {"baseline", "convergence", "resettlement"}
    total = table[(table["group"] == "total")]
    shares = table[table["group"] != "total"].groupby(["scenario", "area", "period"])["share"]
    assert np.allclose(shares.sum(), 1.0)
    start = total[total["period"] == 2021]["count"].sum() / 3
    assert np.isclose(start, 2_829_987)


def test_resettlement_moves_people_south_to_north():
    table = compare_scenarios(run_spec(EXAMPLE / "spec.toml", draws=0), 2036)
    totals = table[table["group"] == "total"].set_index("area")
    moved = totals["count_resettlement"] - totals["count_baseline"]
    assert moved["790000000"] < -60_000 and moved["390000000"] > 60_000
    assert abs(moved.sum()) < 0.01 * 75_000  # persons moved, not created


def test_draws_give_ordered_intervals_and_are_seeded():
    first = run_spec(EXAMPLE / "spec.toml", draws=12, seed=5, only="baseline")
    again = run_spec(EXAMPLE / "spec.toml", draws=12, seed=5, only="baseline")
    last = first[first["period"] == 2051]
    columns = ["lower95", "lower80", "median", "upper80", "upper95"]
    assert (np.diff(last[columns].to_numpy(), axis=1) >= -1e-9).all()
    assert first[columns].equals(again[columns])


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        ("fertility_ratio.csv", "area,group,value\nall,kazakh,-1\n", (2, "value")),
        ("migration.csv", "origin,destination,rate\n790000000,999999999,0.1\n",
         (2, "destination")),
        ("mortality_ratio.csv", "area,group,sex,age,value\nall,all,all,all,1\n", None),
        ("population.csv", None, (3, "age")),
        ("switching.csv", "from_group,to_group,rate\nother,kazakh,1.5\n", (2, "rate")),
        ("fertility_ratio.csv", "area,group,value\nall,kazakh,1\nall,russian,1\n",
         (None, "group")),
    ],
)
def test_bad_inputs_name_file_row_and_column(example, file, text, where, monkeypatch):
    if file == "population.csv":
        lines = (example / file).read_text().splitlines()
        lines[2] = lines[2].rsplit(",", 2)[0] + ",3," + lines[2].rsplit(",", 1)[1]
        write(example / file, "\n".join(lines) + "\n")
    else:
        write(example / file, text)
    computed = []
    monkeypatch.setattr(scenarios, "step_rates", lambda *a: computed.append(a))
    if where is None:  # an extra 'age' column is accepted when it holds the wildcard
        run_spec(example / "spec.toml", draws=0, only="baseline")
        return
    with pytest.raises(InputError) as error:
        run_spec(example / "spec.toml", draws=0)
    assert error.value.path.endswith(file)
    assert (error.value.row, error.value.column) == where
    assert computed == []


def test_fertility_on_another_age_grid_is_refused(example):
    write(example / "fertility.csv", "area,group,age,value\nall,all,17,0.1\n")
    spec = (example / "spec.toml").read_text().replace(
        'population = "population.csv"', 'population = "population.csv"\nfertility = '
        '"fertility.csv"')
    write(example / "spec.toml", spec)
    with pytest.raises(InputError, match="age grid") as error:
        run_spec(example / "spec.toml", draws=0)
    assert (error.value.row, error.value.column) == (2, "age")


def test_unknown_area_in_spec_is_refused(example):
    spec = (example / "spec.toml").read_text().replace('destination = "390000000"',
                                                        'destination = "123456789"')
    write(example / "spec.toml", spec)
    with pytest.raises(InputError, match="unknown area '123456789'") as error:
        run_spec(example / "spec.toml", draws=0)
    assert error.value.column == "scenarios[2].changes[0].destination"


def test_cli_run_writes_table_and_store_compare_prints(example, tmp_path, any_db):
    database = any_db
    out = tmp_path / "out.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["forecast", "run", str(example / "spec.toml"), "--draws", "5",
                                 "--out", str(out), "--store", "--db", str(database)])
    assert result.exit_code == 0, result.output
    assert out.exists() and "lower95" in out.read_text().splitlines()[0]
    con = store.connect(database)
    rows = con.execute("SELECT count(*), count(lower95) FROM projections").fetchone()
    con.close()
    assert rows == (315, 315)
    compared = runner.invoke(app, ["forecast", "compare", str(example / "spec.toml")])
    assert compared.exit_code == 0 and "share_resettlement" in compared.output
    assert "fractionalization" in compared.output  # measure indices of projected compositions


def test_cli_run_says_what_it_is_doing_on_stderr(example, tmp_path, monkeypatch, capsys,
                                                 any_db):
    import sys

    from cli_support import run_main

    args = ["forecast", "run", str(example / "spec.toml"), "--draws", "5", "--out",
            str(tmp_path / "out.csv"), "--store", "--db", any_db]
    code, out, err = run_main(monkeypatch, capsys, *args)
    assert code == 0 and err == ""  # a log or a script: stderr keeps only errors
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # a person at a terminal
    code, out, err = run_main(monkeypatch, capsys, *args)
    assert code == 0, err
    assert err.splitlines() == [
        "reading the inputs of worked_example ...",
        "projecting scenario baseline (1 of 3, 5 draws for the intervals) ...",
        "projecting scenario convergence (2 of 3, 5 draws for the intervals) ...",
        "projecting scenario resettlement (3 of 3, 5 draws for the intervals) ...",
        f"writing {tmp_path / 'out.csv'} ...",
        "storing 315 rows in the store ...",
    ]
    assert " ..." not in out and out.startswith("stored 315 rows as run ")


def test_single_year_steps_with_national_constants(tmp_path):
    """A CONSTRUCTED single-year population (ages 0-100+) with constant national rates."""
    rows = ["area,group,sex,age,count"]
    for area in ("100000000", "200000000"):
        for group in ("a", "b"):
            for sex in ("female", "male"):
                rows += [f"{area},{group},{sex},{age},{1000 - 9 * age}" for age in range(101)]
    write(tmp_path / "population.csv", "\n".join(rows) + "\n")
    write(tmp_path / "spec.toml", """
[projection]
start = 2020
end = 2030
step = 1
timing = "end"
[inputs]
population = "population.csv"
[national]
source = "constants"
tfr = 2.0
e0_female = 75.0
e0_male = 68.0
net_migration_rate = 0.0
[[scenarios]]
name = "one"
[[scenarios.changes]]
kind = "international"
persons_per_year = 500
area = "100000000"
group = "b"
ages = [20, 29]
""")
    table = run_spec(tmp_path / "spec.toml", draws=0, detail=True)
    totals = table[(table["group"] == "total") & (table["period"] == 2030)].set_index("area")
    assert totals["count"].gt(0).all()
    detail = table[(table["age"] == "100+") & (table["period"] == 2030)]
    assert len(detail) == 8
    b_first = table[(table["group"] == "b") & (table["age"] == "total")].set_index(
        ["area", "period"])["count"]
    gain = (b_first[("100000000", 2030)] - b_first[("100000000", 2020)]) - (
        b_first[("200000000", 2030)] - b_first[("200000000", 2020)])
    # 10 years of 500 migrants aged 20-29 (all survive, nearly), plus their children: about
    # 2,500 women x 5 years on average x 0.1 births a year (TFR 2 over ages 20-29 at most).
    assert 5000 < gain < 6600


def test_life_table_input_and_survival_above_one_refused(example):
    """Life table: the Sweden 1993 female 5Lx of Preston et al. (2001) Box 6.1 for everyone."""
    person_years = [497487, 497138, 496901, 496531, 495902, 495168, 494213, 492760, 490447,
                    486613, 480665, 471786, 457852, 436153, 402775, 350358, 271512, 291707]
    rows = ["area,group,sex,age,nLx"] + [f"all,all,all,{5 * i},{value}"
                                         for i, value in enumerate(person_years)]
    write(example / "life_table.csv", "\n".join(rows) + "\n")
    spec = (example / "spec.toml").read_text().replace(
        'population = "population.csv"', 'population = "population.csv"\nlife_table = '
        '"life_table.csv"')
    write(example / "spec.toml", spec)
    table = run_spec(example / "spec.toml", draws=0, only="baseline")
    assert table["count"].gt(0).all()
    rows[6] = "all,all,all,25,499000"  # more person-years at 25-29 than at 20-24
    write(example / "life_table.csv", "\n".join(rows) + "\n")
    with pytest.raises(InputError, match="survival ratio above 1") as error:
        run_spec(example / "spec.toml", draws=0)
    assert (error.value.row, error.value.column) == (7, "nLx")


def test_parquet_population_is_read(example):
    import pandas as pd

    frame = pd.read_csv(example / "population.csv", dtype={"area": str})
    frame.to_parquet(example / "population.parquet")
    spec = (example / "spec.toml").read_text().replace('"population.csv"',
                                                        '"population.parquet"')
    write(example / "spec.toml", spec)
    table = run_spec(example / "spec.toml", draws=0, only="baseline")
    assert set(table["area"]) == {"790000000", "390000000", "110000000"}


@pytest.mark.parametrize(
    ("old", "new", "column", "hint"),
    [
        ('fertility_ratio = "fertility_ratio.csv"', 'fertilty_ratio = "fertility_ratio.csv"',
         "inputs.fertilty_ratio", "did you mean 'fertility_ratio'?"),
        ("timing = ", "timng = ", "projection.timng", "did you mean 'timing'?"),
        ("factor = 0.5, start = 2036", "factor = 0.5, strat = 2036",
         "scenarios[2].changes[1].strat", "did you mean 'start'?"),
        ("draws = 200", "draws = 200\nwhatever = 1", "uncertainty.whatever", "known: draws"),
        ('kind = "migration_scale"', 'kind = "migration_scal"', "scenarios[2].changes[1].kind",
         "did you mean 'migration_scale'?"),
    ],
)
def test_misspelt_spec_keys_are_refused_with_a_suggestion(example, old, new, column, hint):
    text = (example / "spec.toml").read_text()
    assert old in text
    write(example / "spec.toml", text.replace(old, new, 1))
    with pytest.raises(InputError) as error:
        scenarios.load_spec(example / "spec.toml")
    assert error.value.column == column and hint in str(error.value)


def test_misspelt_spec_key_is_one_error_through_the_cli(example):
    """An unknown key used to be ignored (wrong results, exit 0); now the CLI refuses it."""
    import subprocess
    import sys

    text = (example / "spec.toml").read_text()
    write(example / "spec.toml", text.replace('name = "convergence"\nchanges',
                                              'name = "convergence"\nchnages', 1))
    kelisim = Path(sys.executable).with_name("kelisim")
    result = subprocess.run([str(kelisim), "forecast", "run", str(example / "spec.toml")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    message = (result.stderr + result.stdout).strip()
    assert "Traceback" not in message and message.count("\n") == 0, message
    assert message.endswith("spec.toml, column scenarios[1].chnages: unknown key 'chnages', "
                            "did you mean 'changes'?")


@pytest.mark.parametrize("count", ["1e300", "3000000000000"])
def test_implausible_population_count_is_one_sentence(example, monkeypatch, capsys, count):
    """A count above limits.MAX_PERSONS is refused as `data import` refuses it (it used to end
    in a decimal.InvalidOperation traceback, or project trillions of persons)."""
    from cli_support import run_main

    lines = (example / "population.csv").read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + "," + count
    write(example / "population.csv", "\n".join(lines) + "\n")
    code, out, err = run_main(monkeypatch, capsys, "forecast", "run",
                              str(example / "spec.toml"))
    assert code != 0 and out == ""
    message = err.strip()
    assert "Traceback" not in message and message.count("\n") == 0, message
    assert "population.csv, row 4, column count" in message
    assert message.endswith("is more than 10,000,000,000 persons, which is not plausible.")
