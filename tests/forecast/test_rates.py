"""Rate readers (CONSTRUCTED small tables written here) and the transcribed UN WPP 2024
anchors for Kazakhstan (World Population Prospects 2024, medium variant, year 2024)."""

import numpy as np
import pytest

from kelisim.errors import InputError
from kelisim.forecast.rates import (
    Grid,
    read_child_group,
    read_migration,
    read_population,
    read_rates,
    wpp_kazakhstan,
)

GRID = Grid(("a1", "a2"), ("g1", "g2"), (0, 5, 10), 5)


def table(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_wpp_2024_kazakhstan_anchor_values():
    wpp = wpp_kazakhstan().set_index("year")
    row = wpp.loc[2024]
    assert (row["tfr"], row["e0M"], row["e0F"], row["mig"]) == (2.9842, 70.2659, 78.515,
                                                                 -7.368)
    assert wpp.loc[2100, "tfr"] == 1.9383
    assert wpp["source"].str.contains("World Population Prospects 2024").all()


def test_population_reader_builds_grid_and_refuses_bad_rows(tmp_path):
    good = table(tmp_path, "p.csv", "area,group,sex,age,count\na1,g1,female,0,5\n"
                 "a1,g1,female,10,7\na2,g2,male,5,3\n")
    grid, population = read_population(good, 5)
    assert grid.ages == (0, 5, 10) and grid.age_labels() == ["0-4", "5-9", "10+"]
    assert population.shape == (2, 2, 2, 3) and population.sum() == 15
    cases = {
        "area,group,sex,age,count\na1,g1,female,0,x\n": (2, "count", "not a number"),
        "area,group,sex,age,count\na1,g1,woman,0,1\n": (2, "sex", "unknown sex"),
        "area,group,sex,age,count\na1,g1,female,0,1\na1,g1,female,0,2\n": (3, "area",
                                                                            "duplicate"),
        "area,group,sex,count\na1,g1,female,1\n": (1, "age", "missing"),
        "area,group,sex,age,count\na1,g1,female,0,-1\n": (2, "count", "at least 0"),
    }
    for text, (row, column, words) in cases.items():
        with pytest.raises(InputError, match=words) as error:
            read_population(table(tmp_path, "bad.csv", text), 5)
        assert (error.value.row, error.value.column) == (row, column)


def test_input_tables_are_read_by_the_one_table_reader(tmp_path):
    """Forecast inputs go through kelisim.datasets.io.read_table: a file that is not UTF-8 is
    refused naming its row, an Excel workbook reads like its CSV, an unknown suffix is named."""
    latin = tmp_path / "p.csv"
    latin.write_bytes("area,group,sex,age,count\na1,g1,female,0,5\na\xe9,g1,male,5,3\n"
                      .encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as error:
        read_population(latin, 5)
    assert error.value.row == 3
    import pandas as pd

    rows = pd.DataFrame({"area": ["a1", "a2"], "group": ["g1", "g2"], "sex": ["female", "male"],
                         "age": [0, 5], "count": [5, 3]})
    rows.to_excel(tmp_path / "p.xlsx", index=False)
    grid, population = read_population(tmp_path / "p.xlsx", 5)
    assert population.sum() == 8 and grid.areas == ("a1", "a2")
    with pytest.raises(InputError, match="cannot tell the format"):
        read_population(table(tmp_path, "p.dat", "area\n"), 5)


def test_wildcards_specific_rows_override_and_missing_cells_refused(tmp_path):
    path = table(tmp_path, "r.csv", "area,group,value\nall,all,1.0\na2,g1,1.5\n")
    values = read_rates(path, GRID, "value", keys=("area", "group"))
    assert values[1, 0].min() == 1.5 and values[0, 0].max() == 1.0
    partial = table(tmp_path, "partial.csv", "area,group,value\na1,all,1.0\n")
    with pytest.raises(InputError, match="no rate for area a2"):
        read_rates(partial, GRID, "value", keys=("area", "group"))


def test_migration_rates_and_child_group_shares(tmp_path):
    path = table(tmp_path, "m.csv", "origin,destination,rate,age\na1,a2,0.1,all\n"
                 "a2,a1,0.2,5\n")
    out_rate, destination = read_migration(path, GRID)
    assert np.allclose(out_rate[0], 0.1) and out_rate[1, :, :, 1].min() == 0.2
    assert np.allclose(destination, [[0, 1], [1, 0]])
    over = table(tmp_path, "over.csv", "origin,destination,rate\na1,a2,1.2\n")
    with pytest.raises(InputError, match="between 0.0 and 1.0") as error:
        read_migration(over, GRID)
    assert (error.value.row, error.value.column) == (2, "rate")
    shares = table(tmp_path, "c.csv", "mother_group,child_group,share\ng1,g1,0.7\n"
                   "g1,g2,0.2\n")
    with pytest.raises(InputError, match="add up to 0.9") as error:
        read_child_group(shares, GRID)
    assert error.value.row == 2
