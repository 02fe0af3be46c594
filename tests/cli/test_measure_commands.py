"""`kelisim measure` on a constructed three-area file (values checked by hand in
tests/measure/test_aspatial.py: D = 0.58333 for the first two areas)."""

import json
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from kelisim.cli import app, main
from kelisim.errors import ArgumentError, InputError

ROWS = """area,group,count,region
a1,kazakh,30,r1
a1,russian,10,r1
a2,kazakh,10,r1
a2,russian,50,r1
a3,kazakh,25,r2
a3,russian,25,r2
a3,uzbek,40,r2
"""


@pytest.fixture
def counts_file(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(ROWS)
    return path


def run(*args):
    return CliRunner().invoke(app, ["measure", *map(str, args)])


def test_csv_rows(counts_file):
    result = run(counts_file, "--index", "dissimilarity,multi_gini", "--format", "csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(pd.io.common.StringIO(result.output), keep_default_na=False)
    assert list(frame.columns) == ["index", "group", "value"]
    assert frame["group"].tolist() == ["kazakh", "russian", "uzbek", ""]


def test_two_areas_give_the_hand_value(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("".join(ROWS.splitlines(keepends=True)[:5]))
    result = run(path, "--index", "dissimilarity", "--format", "json")
    rows = json.loads(result.output)
    assert rows[0]["value"] == pytest.approx(0.5833333333333334)


def test_within_and_bootstrap(counts_file):
    result = run(counts_file, "--within", "region", "--index", "mutual_information",
                 "--bootstrap", "20", "--seed", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = pd.DataFrame(json.loads(result.output))
    assert list(rows.columns) == ["index", "group", "value", "lower", "upper"]
    assert set(rows["index"]) >= {"mutual_information_between", "mutual_information_within"}
    again = run(counts_file, "--within", "region", "--index", "mutual_information",
                "--bootstrap", "20", "--seed", "3", "--format", "json")
    assert again.output == result.output


def test_all_indices_table(counts_file):
    result = run(counts_file, "--index", "all")
    assert result.exit_code == 0, result.output
    assert "bias_corrected_dissimilarity" in result.output


def test_errors(counts_file, tmp_path, monkeypatch, capsys):
    assert isinstance(run(counts_file, "--index", "nope").exception, ArgumentError)
    assert isinstance(run(tmp_path / "missing.csv").exception, InputError)
    bad = tmp_path / "bad.csv"
    bad.write_text(ROWS.replace("a2,kazakh,10", "a2,kazakh,-4"))
    error = run(bad).exception
    assert isinstance(error, InputError) and error.row == 4
    geometry = run(counts_file, "--geometry", counts_file)
    assert isinstance(geometry.exception, ArgumentError)
    monkeypatch.setattr(sys, "argv", ["kelisim", "measure", str(bad)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_decay_scale_defaults_to_a_mile_on_a_metric_crs(counts_file, tmp_path):
    # three constructed 1 km squares in UTM metres: with a 1-unit scale exp(-d) underflowed
    # and the distance-decay indices came out NaN; the default is now Massey & Denton's mile
    geopandas = pytest.importorskip("geopandas")
    import shapely

    squares = [shapely.box(1000.0 * i, 0.0, 1000.0 * (i + 1), 1000.0) for i in range(3)]
    frame = geopandas.GeoDataFrame({"area": ["a1", "a2", "a3"]}, geometry=squares)
    metric = tmp_path / "metric.geojson"
    frame.set_crs("EPSG:32642").to_file(metric)
    args = ("--weights", "queen", "--index", "spatial_proximity", "--format", "csv")
    result = run(counts_file, "--geometry", metric, *args)
    assert result.exit_code == 0, result.output
    values = pd.read_csv(pd.io.common.StringIO(result.output))["value"]
    assert values.notna().all() and (values > 0.9).all()
    with pytest.warns(RuntimeWarning, match="decay_scale"):
        tiny = run(counts_file, "--geometry", metric, *args, "--decay-scale", "1")
    assert tiny.exit_code == 0
    unknown = tmp_path / "unknown.gpkg"
    frame.to_file(unknown)  # no CRS: the unit is unknown, the scale must be given
    error = run(counts_file, "--geometry", unknown, *args).exception
    assert isinstance(error, ArgumentError) and error.argument == "decay_scale"
