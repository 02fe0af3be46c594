"""Population import/export: every validation error, round trips, one-transaction imports.

All input files here are constructed by the tests.
"""


import pandas as pd
import pytest

from kelisim.datasets import open_store, population_frame
from kelisim.datasets.io import export_population, import_population, read_population
from kelisim.errors import ArgumentError, InputError
from store_support import store_state

GOOD = (
    "area_code,group,period,count\n"
    "110000000,kazakh,2021,400000\n"
    "110000000,русские,2021,200000\n"
    "110000000,total,2021,735481\n"
    "150000000,Kazakhs,2021,700000\n"
)


def write(tmp_path, text, name="pop.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_good_long_file(tmp_path):
    rows = read_population(write(tmp_path, GOOD))
    assert list(rows["group_code"]) == ["kazakh", "russian", "total", "kazakh"]
    assert rows["count"].tolist() == [400000, 200000, 735481, 700000]


def test_wide_file_and_area_names(tmp_path):
    text = "area,year,Kazakhs,русские,total\nAkmola,2021,100,50,200\n150000000,2021,300,,400\n"
    rows = read_population(write(tmp_path, text))
    assert len(rows) == 5  # the empty cell is no row
    assert set(rows["area_code"]) == {"110000000", "150000000"}


@pytest.mark.parametrize(
    ("text", "row", "column", "words"),
    [
        ("area,group,period,count\n11000000X,kazakh,2021,3\n", 2, "area", "unknown area"),
        ("area,group,period,count\n110000001,kazakh,2021,3\n", 2, "area", "did you mean"),
        ("area,group,period,count\n110000000,kazak,2021,3\n", 2, "group", "did you mean kazakh"),
        ("area,group,period,count\n110000000,kazakh,2021,-3\n", 2, "count", "negative count"),
        ("area,group,period,count\n110000000,kazakh,2021,3.5\n", 2, "count", "whole number"),
        ("area,group,period,count\n110000000,kazakh,2021,many\n", 2, "count", "not a number"),
        ("area,group,period,count\n110000000,kazakh,2021,\n", 2, "count", "missing count"),
        ("area,group,period,count\n110000000,kazakh,3021,3\n", 2, "period", "out of range"),
        ("area,group,period,count\n110000000,kazakh,21.5,3\n", 2, "period", "whole number"),
        ("area,group,period,count\n110000000,kazakh,2021,3\n110000000,казахи,2021,4\n", 3,
         "group", "duplicates row 2"),
        ("area,group,period,count\n110000000,kazakh,2021,300\n110000000,total,2021,200\n", 3,
         "count", "more than the total"),
        ("area,group,period,count,share\n110000000,kazakh,2021,,1.5\n", 2, "share", "0..1"),
        ("area,group,period,count,boundary_version\n110000000,kazakh,2021,3,2019\n", 2,
         "boundary_version", "unknown boundary version"),
        ("area,period,kazakh,руские\n110000000,2021,1,2\n", 2, "руские", "did you mean russian"),
        ("area,group,count\n110000000,kazakh,3\n", 1, "period", "missing column"),
        ("area,period,count,group\n110000000,2021,3,kazakh\n100000000,2021,3,kazakh\n"
         "330000000,2021,3,kazakh\n", None, None, None),
    ],
)
def test_every_error_names_file_row_and_column(tmp_path, text, row, column, words):
    path = write(tmp_path, text)
    if row is None:
        assert len(read_population(path)) == 3
        return
    with pytest.raises(InputError) as caught:
        read_population(path)
    error = caught.value
    assert (error.path, error.row, error.column) == (str(path), row, column)
    assert words in str(error)
    assert str(error).startswith(f"{path}, row {row}")


def test_area_of_the_wrong_version(tmp_path):
    text = "area,group,period,count\n100000000,kazakh,2021,3\n"
    with pytest.raises(InputError, match="boundaries 2018"):
        read_population(write(tmp_path, text), boundaries="2018")


def test_not_utf8_names_the_row(tmp_path):
    text = "area,group,period,count\n110000000,kazakh,2021,3\n110000000,русские,2021,4\n"
    path = write(tmp_path, text, encoding="cp1251")
    with pytest.raises(InputError, match="not UTF-8") as caught:
        read_population(path)
    assert caught.value.row == 3


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(ArgumentError, match="format"):
        read_population(write(tmp_path, GOOD, name="pop.txt"))
    with pytest.raises(ArgumentError, match="no such file"):
        read_population(tmp_path / "absent.csv")


def test_bad_import_leaves_database_byte_for_byte_unchanged(tmp_path, any_db):
    con = open_store(any_db)
    import_population(con, write(tmp_path, GOOD, "first.csv"), name="first")
    con.close()
    before = store_state(any_db)
    bad = write(tmp_path, GOOD + "150000000,russian,2021,-1\n", "bad.csv")
    con = open_store(any_db)
    with pytest.raises(InputError, match="row 6, column count"):
        import_population(con, bad, name="first", replace=True)
    con.close()
    assert store_state(any_db) == before


def test_failure_inside_the_transaction_rolls_back(tmp_path, any_db):
    con = open_store(any_db)
    rows = read_population(write(tmp_path, GOOD))
    calls = []

    def explode(done, total):
        calls.append(done)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        import_population(con, tmp_path / "pop.csv", name="boom", rows=rows, progress=explode)
    assert calls
    assert con.execute("SELECT count(*) FROM population WHERE dataset='boom'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM datasets WHERE name='boom'").fetchone()[0] == 0


def test_names_are_protected(tmp_path, any_db):
    con = open_store(any_db)
    path = write(tmp_path, GOOD)
    with pytest.raises(ArgumentError, match="bundled"):
        import_population(con, path, name="census_national")
    import_population(con, path)
    with pytest.raises(ArgumentError, match="replace: dataset '.*' exists and replacing it was "
                       "not asked for"):
        import_population(con, path)
    assert import_population(con, path, replace=True) == 4


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize("layout", ["long", "wide"])
def test_round_trip_import_export_import(tmp_path, any_db, suffix, layout):
    con = open_store(any_db)
    import_population(con, write(tmp_path, GOOD), name="one")
    first = population_frame(con, "one")
    out = tmp_path / f"out.{suffix}"
    export_population(first, out, layout)
    import_population(con, out, name="two")
    second = population_frame(con, "two")
    keys = ["area", "group", "period", "count"]
    pd.testing.assert_frame_equal(first[keys], second[keys])


def test_export_bundled_dataset_round_trips(tmp_path, any_db):
    con = open_store(any_db)
    first = population_frame(con, "census_national")
    out = tmp_path / "census.csv"
    export_population(first, out)
    import_population(con, out, name="census_copy")
    second = population_frame(con, "census_copy")
    keys = ["area", "group", "period", "count", "share", "source_id"]
    pd.testing.assert_frame_equal(first[keys], second[keys])


def test_a_first_row_longer_than_the_header_is_refused_not_shifted(tmp_path):
    """An unquoted comma in the first row used to make its first cell a row label and shift
    every cell one column left ('unknown area code kazakh'); the row itself is named."""
    path = tmp_path / "shifted.csv"
    path.write_text("area,group,period,count\n110000000,kazakh,2021,100,5\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_population(path)
    assert str(error.value) == (f"{path}, row 2: more cells than the header has columns; "
                                "quote text that holds the separator.")
