"""Defects a new user met in the data, measure and enclaves commands (issue 9): every error is
one sentence naming the file, row and column or the argument, a non-zero exit, no traceback,
and the store unchanged. Through the real entry point (kelisim.cli.main)."""

import io
import json
import re

import pandas as pd
import pytest

from cli_support import run_main


def one_sentence(err: str) -> str:
    """The single line of stderr, after checking there is no traceback."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_export_into_a_missing_folder_is_one_sentence(any_db, monkeypatch, capsys, tmp_path):
    missing = tmp_path / "nowhere" / "out.parquet"
    code, _, err = run_main(monkeypatch, capsys, "data", "export", "census_national",
                            str(missing))
    assert code != 0
    line = one_sentence(err)
    assert f"there is no folder {missing.parent} to write out.parquet in" in line
    assert not missing.parent.exists()


def squares_geojson(folder, names, side=1000.0):
    """Equal squares in a row, one per area name, in UTM metres (EPSG:32642)."""
    import geopandas
    import shapely

    squares = [shapely.box(side * i, 0.0, side * (i + 1), side) for i in range(len(names))]
    path = folder / "areas.geojson"
    geopandas.GeoDataFrame({"area": names}, geometry=squares, crs="EPSG:32642").to_file(path)
    return path


@pytest.mark.parametrize("command", ["measure", "enclaves"])
@pytest.mark.parametrize("value", ["1e300", "100000000000000000000"])
def test_implausible_counts_are_refused_like_data_import(value, command, monkeypatch, capsys,
                                                         tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text(f"area,group,count\na1,x,10\na1,y,5\na2,x,{value}\na2,y,7\n")
    extra = ["--geometry", str(squares_geojson(tmp_path, ["a1", "a2"]))] \
        if command == "enclaves" else []
    code, out, err = run_main(monkeypatch, capsys, command, str(counts), *extra)
    assert code != 0 and "inf" not in out
    assert one_sentence(err) == (f"error: {counts}, row 4, column count: count {value} is more "
                                 "than 10,000,000,000 persons, which is not plausible.")


@pytest.mark.parametrize("name, content", [
    ("ragged", b"area,group,count\na1,x,10,5\na2,x,3\n"),
    ("ragged_later", b"area,group,count\na1,x,10\na2,x,3,4\n"),
    ("cp1251", "area,group,count\nЖ,x,10\n".encode("cp1251")),
    ("empty", b""),
], ids=["ragged", "ragged_later", "cp1251", "empty"])
def test_measure_reads_a_bad_file_like_data_import(name, content, any_db, monkeypatch, capsys,
                                                   tmp_path):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(content)
    code, _, err = run_main(monkeypatch, capsys, "data", "import", str(path))
    assert code != 0
    expected = one_sentence(err)
    for command in (["measure"], ["enclaves", "--geometry", "areas.geojson"]):
        code, _, err = run_main(monkeypatch, capsys, command[0], str(path), *command[1:])
        assert code != 0 and one_sentence(err) == expected


def test_concentration_on_equal_areas_says_why_it_is_blank(monkeypatch, capsys, tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text("area,group,count\na1,x,30\na1,y,10\na2,x,10\na2,y,50\na3,x,5\na3,y,5\n")
    geometry = squares_geojson(tmp_path, ["a1", "a2", "a3"])
    code, out, err = run_main(monkeypatch, capsys, "measure", str(counts), "--geometry",
                              str(geometry), "--weights", "queen", "--index",
                              "absolute_concentration,relative_concentration", "--format", "csv")
    assert code == 0
    assert "RuntimeWarning" not in err and ".py" not in err
    assert err.strip().splitlines() == [
        "warning: absolute and relative concentration are undefined (left blank) when every "
        "area has the same area."]
    values = pd.read_csv(io.StringIO(out))["value"]
    assert len(values) == 4 and values.isna().all()


UNIFORM = "area,group,count\n" + "".join(f"a{i},x,{10 + i}\na{i},y,{7 + 2 * i}\n"
                                         for i in range(4))


def test_enclaves_local_table_shows_few_digits(monkeypatch, capsys, tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text(UNIFORM)
    geometry = squares_geojson(tmp_path, [f"a{i}" for i in range(4)])
    code, out, _ = run_main(monkeypatch, capsys, "enclaves", str(counts), "--geometry",
                            str(geometry), "--local", "--permutations", "99")
    assert code == 0
    numbers = re.findall(r"\d+\.\d+", out)
    assert numbers and all(len(n.split(".")[1]) <= 6 for n in numbers), out
    code, csv_out, _ = run_main(monkeypatch, capsys, "enclaves", str(counts), "--geometry",
                                str(geometry), "--local", "--permutations", "99",
                                "--format", "csv")
    shares = pd.read_csv(io.StringIO(csv_out))["share"]
    assert shares.iloc[0] == 10 / 17  # csv keeps full precision


@pytest.mark.parametrize("output_format", ["table", "geojson"])
def test_no_enclaves_says_why(output_format, monkeypatch, capsys, tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text(UNIFORM)
    geometry = squares_geojson(tmp_path, [f"a{i}" for i in range(4)])
    code, out, err = run_main(monkeypatch, capsys, "enclaves", str(counts), "--geometry",
                              str(geometry), "--permutations", "99", "--fdr", "0.01",
                              "--format", output_format)
    assert code == 0
    why = ("no enclaves: no area is significantly over-concentrated at the false discovery "
           "rate 0.01 (--fdr).")
    if output_format == "table":
        assert out.strip() == why
    else:
        assert json.loads(out)["features"] == [] and err.strip() == why


def test_a_store_path_in_a_missing_folder_is_refused(monkeypatch, capsys, tmp_path):
    missing = tmp_path / "nowhere" / "k.duckdb"
    monkeypatch.setenv("KELISIM_DB", str(missing))
    code, _, err = run_main(monkeypatch, capsys, "data", "list")
    assert code != 0
    assert one_sentence(err) == (f"error: KELISIM_DB: there is no folder {missing.parent} for "
                                 f"the store {missing.name}; create it or set KELISIM_DB to a "
                                 "path in an existing folder.")
    assert not missing.parent.exists()


def test_incident_csv_without_incident_id_names_the_missing_column(any_db, monkeypatch,
                                                                   capsys, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("date_start,place,fatalities\n2020-02-05,Masanchi,11\n")
    code, _, err = run_main(monkeypatch, capsys, "incidents", "import", str(path))
    assert code != 0
    assert one_sentence(err) == (f"error: {path}, row 1, column incident_id: missing column "
                                 "'incident_id' for a kelisim file.")


def test_show_a_period_the_dataset_lacks(any_db, monkeypatch, capsys):
    code, out, err = run_main(monkeypatch, capsys, "data", "show", "census_national",
                              "--period", "2099")
    assert code != 0 and out == ""
    assert one_sentence(err) == (
        "error: --period: dataset 'census_national' has no period 2099; its periods are 1897, "
        "1926, 1939, 1959, 1970, 1979, 1989, 1999, 2009, 2021, 2023-2025.")


def test_show_gives_shares_in_csv_and_evenly_in_the_table(any_db, monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, "data", "show", "census_national", "--period",
                            "1959", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert code == 0 and frame.columns.tolist() == ["area_code", "group", "period", "count",
                                                    "share", "source_id"]
    assert frame.set_index("group").loc["kazakh", "share"] == 0.3
    code, out, _ = run_main(monkeypatch, capsys, "data", "show", "census_national", "--period",
                            "1959")
    shares = re.findall(r"\s(\d+\.\d+%)\s", out)
    assert "30.00%" in shares and "0.80%" in shares
    assert {len(s.split(".")[1]) for s in shares} == {3}  # two decimals and the % sign
