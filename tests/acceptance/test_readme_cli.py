"""Every command of README.md's "Using it", in order, as a new user runs it: a fresh store,
the real entry point, and what the person sees (numbers, names, messages).

Files the README names are constructed here (CONSTRUCTED fixtures, not real data): a 6 x 6
grid of 1 km square districts in UTM 42N with counts of two groups, an ACLED-style export,
and the repository's own constructed monitor fixtures. Deviations from the README lines,
to keep the suite fast: `--draws 20` instead of 1000, one bundled scenario for `--store`, the
brief as HTML rather than PDF; `kelisim serve` (a server that runs until stopped) is left to
the web tests.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .conftest import kelisim, kelisim_batch

ROOT = Path(__file__).resolve().parents[2]
MONITOR_FIXTURES = ROOT / "tests" / "fixtures" / "monitor"
SIDE = 6


def district_counts(planted: bool) -> pd.DataFrame:
    """CONSTRUCTED counts of groups x and y on a 6 x 6 grid; ``planted`` puts a 3 x 3 block
    where x is 90% of the people (an enclave); otherwise x is 30% everywhere."""
    rows = []
    for i in range(SIDE * SIDE):
        r, c = divmod(i, SIDE)
        x = 270 if planted and r < 3 and c < 3 else 90
        rows += [(f"d{i:02d}", f"{311000000 + i}", f"r{r // 3}", "x", x),
                 (f"d{i:02d}", f"{311000000 + i}", f"r{r // 3}", "y", 300 - x)]
    return pd.DataFrame(rows, columns=["district", "kato", "region", "group", "count"])


def write_districts(folder: Path) -> None:
    import geopandas
    import shapely

    column, row = np.divmod(np.arange(SIDE * SIDE), SIDE)[::-1]
    cells = shapely.box(column * 1000.0, row * 1000.0, (column + 1) * 1000.0, (row + 1) * 1000.0)
    ids = [f"{311000000 + i}" for i in range(SIDE * SIDE)]
    grid = geopandas.GeoDataFrame({"kato": ids}, geometry=cells, crs="EPSG:32642")
    grid.to_file(folder / "districts.geojson")
    grid.to_crs("EPSG:4326").to_file(folder / "districts_lonlat.geojson")
    district_counts(True).to_csv(folder / "districts.csv", index=False)
    district_counts(True).to_csv(folder / "districts_2009.csv", index=False)
    district_counts(False).to_csv(folder / "districts_2021.csv", index=False)


def write_inputs(folder: Path) -> None:
    write_districts(folder)
    pd.DataFrame({
        "area": ["310000000", "310000000", "750000000", "750000000"],
        "group": ["kazakh", "russian", "kazakh", "russian"],
        "period": [2021, 2021, 2021, 2021],
        "count": [1_000_000, 100_000, 1_500_000, 300_000],
    }).to_excel(folder / "my_table.xlsx", index=False)
    pd.DataFrame({
        "event_id_cnty": ["KAZ1", "KAZ2"], "event_date": ["2020-02-07", "2020-02-08"],
        "event_type": ["Riots", "Protests"], "sub_event_type": ["Mob violence", "Peaceful"],
        "admin1": ["Zhambyl", "Almaty"], "admin2": ["", ""], "location": ["Masanchi", "Almaty"],
        "latitude": [42.9, 43.2], "longitude": [75.3, 76.9], "fatalities": [3, 0],
        "actor1": ["Rioters (Kazakhstan)", "Protesters (Kazakhstan)"], "notes": ["a", "b"],
        "source": ["constructed", "constructed"],
    }).to_csv(folder / "acled_export.csv", index=False)
    shutil.copy(MONITOR_FIXTURES / "feed.rss", folder / "feed.xml")
    (folder / "telegram_export").mkdir()
    shutil.copy(MONITOR_FIXTURES / "result.json", folder / "telegram_export" / "result.json")
    shutil.copy(MONITOR_FIXTURES / "constructed_eval_en.csv", folder / "posts.csv")
    shutil.copy(MONITOR_FIXTURES / "constructed_eval_en.csv", folder / "labels.csv")
    shutil.copy(MONITOR_FIXTURES / "constructed_holdout_en.csv", folder / "heldout.csv")


def duncan_dissimilarity(frame: pd.DataFrame, group: str) -> float:
    """Duncan & Duncan (1955) D of one group against the rest, written out independently."""
    wide = frame.pivot_table(index="district", columns="group", values="count", aggfunc="sum")
    share = wide[group] / wide[group].sum()
    rest = wide.drop(columns=group).sum(axis=1)
    return 0.5 * float(np.abs(share - rest / rest.sum()).sum())


def test_readme_commands_in_order(tmp_path, fresh_env, empty_db):
    """The README's commands in order, on a new store of each backend (conftest.empty_db)."""
    fresh_env["KELISIM_DB"] = empty_db
    write_inputs(tmp_path)
    examples = ROOT / "docs" / "examples" / "forecast"
    commands = [
        ("data", "list"),
        ("data", "show", "census_national", "--period", "1989,2021", "--format", "csv"),
        ("data", "show", "regions_annual", "--period", "2000-2023", "--boundaries", "2018"),
        ("data", "import", "my_table.xlsx", "--name", "districts_2021"),
        ("data", "export", "districts_2021", "out.parquet"),
        ("incidents", "list", "--region", "Zhambyl"),
        ("incidents", "import", "acled_export.csv"),
        ("measure", "districts.csv", "--area", "district", "--group", "group", "--count",
         "count", "--index", "all"),
        ("measure", "districts.csv", "--area", "district", "--group", "group", "--count",
         "count", "--index", "dissimilarity,multi_theil_h", "--bootstrap", "99", "--seed", "1",
         "--format", "csv"),
        ("measure", "districts.csv", "--area", "kato", "--group", "group", "--count", "count",
         "--geometry", "districts.geojson", "--weights", "queen", "--within", "region"),
        ("measure", "districts.csv", "--area", "kato", "--geometry", "districts_lonlat.geojson",
         "--weights", "knn:6", "--project", "auto"),
        ("enclaves", "districts_2009.csv", "--area", "kato", "--group", "group", "--count",
         "count", "--geometry", "districts.geojson", "--compare", "districts_2021.csv",
         "--format", "geojson", "--out", "enclaves.geojson"),
        ("enclaves", "districts_2009.csv", "--area", "kato", "--group", "group", "--count",
         "count", "--geometry", "districts.geojson", "--compare", "districts_2021.csv"),
        ("forecast", "validate"),
        ("forecast", "run", examples / "spec.toml", "--draws", "20", "--seed", "1", "--out",
         "proj.parquet"),
        ("forecast", "run", "--bundled", "kazakhstan_national", "--store", "--scenario",
         "calibrated"),
        ("forecast", "trend", "census_national", "--horizon", "2030", "--horizon", "2040",
         "--hindcast"),
        ("monitor", "ingest", "feed.xml", "telegram_export/result.json", "--store"),
        ("monitor", "classify", "posts.csv", "--text-column", "text", "--format", "jsonl"),
        ("monitor", "train", "labels.csv", "--text-column", "text", "--label-column",
         "relevant", "--target", "relevance", "--out", "model/"),
        ("monitor", "evaluate", "heldout.csv", "--text-column", "text", "--label-column",
         "relevant", "--model", "model/"),
        ("monitor", "alerts", "--since", "2023-11-01"),
        ("users", "add", "ana", "--role", "analyst",
         {"stdin": "quiet-steppe-river-42\nquiet-steppe-river-42\n"}),
        ("brief", "310000000", "-o", "zhambyl.html"),
    ]
    results = kelisim_batch(fresh_env, commands, cwd=tmp_path)
    for command, result in zip(commands, results, strict=True):
        assert result["code"] == 0, (command, result["stderr"][-1500:])
        assert "Traceback" not in result["stderr"], (command, result["stderr"])
    (data_list, census_csv, regions, imported, exported, incidents, acled, measure_all,
     bootstrap, spatial, projected, enclaves_geojson, enclaves_table, validate, run_spec,
     run_bundled, trend, ingest, classify, train, evaluate, alerts, user, brief) = (
        r["stdout"] for r in results)
    # data: the names a user types next are shown whole, even in a pipe
    for name in ("census_national", "regional_partial", "regions_annual"):
        assert name in data_list
    assert "…" not in data_list
    census = pd.read_csv(pd.io.common.StringIO(census_csv), dtype={"area_code": str})
    assert set(census["period"]) == {1989, 2021}
    assert census.columns.tolist() == ["area_code", "group", "period", "count", "share",
                                       "source_id"]
    kazakhs_2021 = census[(census["group"] == "kazakh") & (census["period"] == 2021)]["count"]
    assert kazakhs_2021.iloc[0] == 13_497_891  # BNS 2021 census, the bundled figure
    assert "Zhambyl" in regions or "Jambyl" in regions  # names beside the KATO codes
    assert not re.search(r"\d+\.\d{4,}", regions)  # split counts are whole persons
    assert "imported 4 rows as 'districts_2021'" in imported
    assert "wrote 4 rows to out.parquet" in exported
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 4
    assert "imported 2 incidents" in acled
    # measure: the value a person reads is Duncan's D of the constructed counts
    frame = district_counts(True)
    expected = duncan_dissimilarity(frame, "x")
    line = next(row for row in measure_all.splitlines() if row.split()[:2] == ["dissimilarity",
                                                                              "x"])
    assert abs(float(line.split()[2]) - expected) < 5e-7
    boot = pd.read_csv(pd.io.common.StringIO(bootstrap))
    assert {"lower", "upper"} <= set(boot.columns)
    assert set(boot["index"]) >= {"dissimilarity", "multi_theil_h"}
    assert "spatial_dissimilarity" in spatial and "_within" in spatial
    assert "spatial_dissimilarity" in projected  # lon/lat file, projected as the advice says
    # enclaves: the planted block of 2009 has dissolved by 2021 (this crashed before)
    assert json.loads((tmp_path / "enclaves.geojson").read_text())["features"] == []
    assert "dissolved" in enclaves_table and "x" in enclaves_table
    # forecast
    assert "FAIL" not in validate and "ok" in validate
    assert (tmp_path / "proj.parquet").exists()
    assert "stored" in run_bundled and "calibrated" in run_bundled
    assert "2030" in trend and "2040" in trend
    # watch
    assert re.search(r"stored \d+ documents", ingest)
    first = json.loads(classify.splitlines()[0])
    # the labelled file's own columns are kept; the classifier's are prefixed where they clash
    assert first["relevant"] == "false" and first["tier"] == "0"
    assert first["kelisim_relevant"] is False and first["kelisim_tier"] == 0
    assert "trained relevance model on 150 rows" in train
    metrics = dict(line.split("\t") for line in evaluate.splitlines())
    assert 0.0 <= float(metrics["average_precision"]) <= 1.0 and int(metrics["rows"]) > 0
    assert "0 alerts: the store holds" in alerts and "28 days" in alerts
    # show
    assert "added ana (analyst)" in user
    assert "wrote zhambyl.html" in brief and (tmp_path / "zhambyl.html").stat().st_size > 1000


def test_help_and_usage_errors_are_short(fresh_env):
    """Separate processes: what the installed command prints for --help and usage errors."""
    helped = kelisim(fresh_env, "--help")
    assert helped.returncode == 0 and "measure" in helped.stdout and "Usage:" in helped.stdout
    for argv, needle in ((["bogus"], "No such command 'bogus'"),
                         (["data", "show"], "Missing argument"),
                         (["measure", "x.csv", "--bogus"], "No such option: --bogus")):
        done = kelisim(fresh_env, *argv)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, done.stderr
        assert len(lines) == 2 and lines[0].startswith("Usage: kelisim"), done.stderr
        assert lines[1].startswith("error: ") and needle in lines[1]


def test_help_does_not_import_heavy_libraries(fresh_env):
    """kelisim --help parses arguments before pandas, pyarrow, duckdb or scipy are imported."""
    code = ("import sys; sys.argv = ['kelisim', '--help']\n"
            "from kelisim.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'pyarrow', 'duckdb', 'scipy', 'geopandas', "
            "'sklearn') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    done = subprocess.run([sys.executable, "-c", code], env=fresh_env, capture_output=True,
                          text=True)
    assert "HEAVY []" in done.stdout, done.stdout[-500:] + done.stderr[-500:]
