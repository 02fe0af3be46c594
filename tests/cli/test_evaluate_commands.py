"""`kelisim activities ...` and `kelisim evaluate ...` as a user runs them (the real entry point;
two checks through a subprocess of .venv/bin/kelisim). Input files are constructed here."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cli_support import run_main
from evaluate_support import TRUE_EFFECT, council_activities_file, trust_indicator_file
from kelisim.evaluate.simulate import staggered_panel
from store_support import store_state

KELISIM = Path(sys.executable).parent / "kelisim"


@pytest.fixture(scope="module")
def panel_file(tmp_path_factory) -> Path:
    panel, _ = staggered_panel(7, areas=10, months=24, cohorts=2)
    path = tmp_path_factory.mktemp("panel") / "panel.csv"
    panel.drop(columns="true_effect").to_csv(path, index=False)
    return path


def test_evaluate_did_csv_has_exactly_the_issue_columns(panel_file, tmp_path):
    result = subprocess.run(
        [str(KELISIM), "evaluate", "did", str(panel_file), "--unit", "area", "--time", "month",
         "--first-treated", "first_treated", "--outcome", "outcome", "--control", "never",
         "--method", "reg", "--bootstrap", "99", "--format", "csv"],
        capture_output=True, text=True, env={**os.environ, "KELISIM_DB": str(tmp_path / "d")},
        timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "estimand,group,time,event_time,estimate,std_error,lower,upper"
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert set(frame["estimand"]) == {"att_gt", "simple", "group", "dynamic", "calendar"}
    simple = frame[frame["estimand"] == "simple"].iloc[0]
    assert simple["lower"] < simple["estimate"] < simple["upper"]


@pytest.mark.parametrize("args", [["activities"], ["activities", "import"], ["evaluate"],
                                  ["activities", "types"]])
def test_help(args, monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, *args, "--help")
    assert code == 0 and "Usage" in out


def test_evaluate_did_bad_column_is_one_sentence(panel_file, monkeypatch, capsys):
    code, out, err = run_main(monkeypatch, capsys, "evaluate", "did", str(panel_file), "--unit",
                              "region", "--time", "month", "--first-treated", "first_treated",
                              "--outcome", "outcome")
    assert code == 2 and out == ""
    assert err.startswith("error: --unit: no column 'region' in the panel")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_evaluate_did_json_is_records(panel_file, monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, "evaluate", "did", str(panel_file), "--unit",
                            "area", "--time", "month", "--first-treated", "first_treated",
                            "--outcome", "outcome", "--bootstrap", "0", "--format", "json")
    assert code == 0
    records = pd.read_json(io.StringIO(out))
    assert list(records.columns) == ["estimand", "group", "time", "event_time", "estimate",
                                     "std_error", "lower", "upper"]


def test_spec_unknown_key_names_it_with_a_suggestion(tmp_path, any_db, monkeypatch, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('outcome = "tension"\nactivty_type = "public_council"\n', encoding="utf-8")
    code, _, err = run_main(monkeypatch, capsys, "evaluate", str(spec))
    assert code == 2
    assert err == ("error: spec.toml, column activty_type: unknown key 'activty_type', did you "
                   "mean 'activity_type'?\n")  # core.keys.check_keys, as forecast specs say it


def _activities_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("activity_id,type,area,date_start,date_end,groups,participants,source\n"
                    + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_import_list_and_all_or_nothing(tmp_path, any_db, monkeypatch, capsys):
    good = _activities_csv(tmp_path / "acts.csv", [
        "PC-1,public_council,Mangystau,2021-02-01,,Kazakhs;Russians,40,https://example.org/1",
        "PC-2,Общественный совет,470000000,2021-06-01,2021-06-02,,25,report p. 3",
    ])
    code, out, err = run_main(monkeypatch, capsys, "activities", "import", str(good))
    assert (code, out, err) == (0, "imported 2 activities\n", "")
    code, out, _ = run_main(monkeypatch, capsys, "activities", "list", "--type",
                            "public council", "--format", "csv")
    listed = pd.read_csv(io.StringIO(out))
    assert list(listed["activity_id"]) == ["PC-2", "PC-1"]
    assert listed.loc[1, "groups"] == "kazakh;russian"
    before = store_state(any_db)
    bad = _activities_csv(tmp_path / "bad.csv", [
        "PC-3,public_council,Mangystau,2022-02-01,,,10,https://example.org/3",
        "PC-4,public_councel,Mangystau,2022-03-01,,,10,https://example.org/4",
    ])
    code, _, err = run_main(monkeypatch, capsys, "activities", "import", str(bad))
    assert code == 2
    assert err == ("error: bad.csv, row 3, column type: unknown activity type 'public_councel'; "
                   "did you mean public_council?\n")
    assert store_state(any_db) == before


@pytest.mark.parametrize(("row", "message"), [
    ("X,public_council,Atlantis,2021-01-01,,,1,s", "column area: unknown area 'Atlantis'"),
    ("X,public_council,Mangystau,2021-13-01,,,1,s", "column date_start: '2021-13-01' is not a"),
    ("X,public_council,Mangystau,2021-01-05,2021-01-01,,1,s", "column date_end: date_end"),
    ("X,public_council,Mangystau,2021-01-01,,Martians,1,s", "column groups: unknown group"),
    ("X,public_council,Mangystau,2021-01-01,,,-3,s", "column participants: '-3' must be"),
    ("X,public_council,Mangystau,2021-01-01,,,3,", "column source: missing source"),
])
def test_each_bad_cell_is_named(tmp_path, any_db, monkeypatch, capsys, row, message):
    bad = _activities_csv(tmp_path / "bad.csv", [row])
    code, _, err = run_main(monkeypatch, capsys, "activities", "import", str(bad))
    assert code == 2 and err.startswith(f"error: bad.csv, row 2, {message}"), err


def test_excel_import_and_add(tmp_path, any_db, monkeypatch, capsys):
    workbook = tmp_path / "acts.xlsx"
    pd.DataFrame({"type": ["Мәдени фестиваль"], "area": ["country"],
                  "date_start": ["2023-09-01"], "source": ["https://example.org/f"]}) \
        .to_excel(workbook, index=False)
    assert run_main(monkeypatch, capsys, "activities", "import", str(workbook))[:2] == \
        (0, "imported 1 activities\n")
    code, out, _ = run_main(monkeypatch, capsys, "activities", "add", "--type", "language_course",
                            "--area", "Almaty", "--start", "2024-01-15", "--source", "akimat")
    assert code == 0 and out.strip().startswith("ACT-2024-")
    code, out, _ = run_main(monkeypatch, capsys, "activities", "types", "--add", "youth_camp",
                            "--kk", "Жастар лагері", "--ru", "Молодёжный лагерь", "--en",
                            "Youth camp", "--format", "csv")
    assert code == 0 and "youth_camp,Жастар лагері,Молодёжный лагерь,Youth camp,False" in out


def test_bundled_rows_cite_sources(any_db, monkeypatch, capsys):
    code, out, _ = run_main(monkeypatch, capsys, "activities", "list", "--format", "csv")
    listed = pd.read_csv(io.StringIO(out))
    bundled = listed[listed["origin"] == "bundled"]
    assert len(bundled) >= 5
    assert bundled["source"].str.startswith("https://").all()


def test_spec_runs_from_the_store_and_writes_the_report(tmp_path, any_db, monkeypatch, capsys):
    """An indicator imported by area and month, public councils adopted at different dates in
    six regions: the spec estimates the constructed effect (+2) and writes the report."""
    from kelisim.datasets import open_store
    from kelisim.evaluate.register import import_indicators

    con = open_store()
    assert import_indicators(con, trust_indicator_file(tmp_path)) == 20 * 36
    con.close()
    acts = council_activities_file(tmp_path)
    assert run_main(monkeypatch, capsys, "activities", "import", str(acts))[0] == 0
    spec = tmp_path / "spec.toml"
    report = tmp_path / "report.md"
    spec.write_text(f'title = "Councils and trust"\noutcome = "indicator:trust"\n'
                    f'activity_type = "public_council"\nestimation = "reg"\nbootstrap = 199\n'
                    f'report = "{report}"\n', encoding="utf-8")
    code, out, err = run_main(monkeypatch, capsys, "evaluate", str(spec), "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    simple = frame[frame["estimand"] == "simple"].iloc[0]
    assert simple["lower"] < TRUE_EFFECT < simple["upper"] and simple["lower"] > 0
    text = report.read_text(encoding="utf-8")
    for needle in ("## Assumptions", "Parallel trends", "Minimum detectable effect",
                   "- kk: ", "- ru: ", "- en: The estimated change"):
        assert needle in text


@pytest.mark.parametrize(("method", "extra", "estimand"), [
    ("its", 'activity_ids = ["APK-2022-XXXI"]\n', "level_change"),
    ("synth", 'activity_type = "public_council"\n', "synthetic_control"),
])
def test_spec_its_and_synth(tmp_path, any_db, monkeypatch, capsys, method, extra, estimand):
    from kelisim.datasets import open_store
    from kelisim.evaluate.register import import_activities, import_indicators

    con = open_store()
    import_indicators(con, trust_indicator_file(tmp_path))
    import_activities(con, council_activities_file(tmp_path))
    con.close()
    spec = tmp_path / "spec.toml"
    spec.write_text(f'method = "{method}"\noutcome = "indicator:trust"\n{extra}',
                    encoding="utf-8")
    code, out, err = run_main(monkeypatch, capsys, "evaluate", str(spec), "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert frame["estimand"].iloc[0] == estimand
    if method == "synth":
        assert frame["estimate"].iloc[0] == pytest.approx(TRUE_EFFECT, abs=1.0)


def test_a_region_treated_before_the_outcome_begins_is_left_out(tmp_path, any_db):
    """A council dated 2019, before the indicator's first month (2020-01), leaves its region with
    no period before the start to compare with: it is left out (as R did leaves out units
    treated before the data begin), not dated to 2020-01; the six others still give +2."""
    from kelisim.datasets import open_store
    from kelisim.evaluate.register import import_activities, import_indicators
    from kelisim.evaluate.spec import parse_spec, run_spec

    con = open_store()
    import_indicators(con, trust_indicator_file(tmp_path))
    import_activities(con, council_activities_file(tmp_path))
    early = tmp_path / "early.csv"
    early.write_text("type,area,date_start,source\npublic_council,310000000,2019-06-01,"
                     "https://example.org/early\n", encoding="utf-8")
    import_activities(con, early)
    spec = parse_spec({"outcome": "indicator:trust", "activity_type": "public_council",
                       "estimation": "reg", "bootstrap": 0}, "test")
    did = run_spec(con, spec)["did"]
    con.close()
    assert (did.n_units, did.n_treated_units) == (19, 6)
    assert did.overall()["lower"] < TRUE_EFFECT < did.overall()["upper"]


def _yearly_trust_file(folder: Path) -> tuple[Path, Path]:
    """CONSTRUCTED: a yearly indicator 2011-2025 for every region, 0 everywhere until 2015 (no
    variation to measure uncertainty from), councils from 2021 in three regions and from 2023
    in three others, with a true effect of +2."""
    import numpy as np

    from kelisim.core.areas import areas

    regions = sorted(areas("2024").query("level == 'region'")["area_code"])
    starts = {region: 2021 if i < 3 else 2023 for i, region in enumerate(regions[:6])}
    rng = np.random.default_rng(11)
    rows = []
    for region in regions:
        base = rng.normal(50, 5)
        for year in range(2011, 2026):
            value = 0.0 if year <= 2015 else round(
                base + 0.1 * year - 201 + TRUE_EFFECT * (year >= starts.get(region, 9999))
                + rng.normal(0, 0.3), 3)
            rows.append(("trust", region, str(year), value))
    indicator = folder / "yearly.csv"
    pd.DataFrame(rows, columns=["indicator", "area", "period", "value"]).to_csv(indicator,
                                                                                 index=False)
    councils = folder / "yearly_councils.csv"
    councils.write_text("activity_id,type,area,date_start,source\n" + "".join(
        f"PC-Y{i},public_council,{region},{year}-03-01,https://example.org/y{i}\n"
        for i, (region, year) in enumerate(starts.items())), encoding="utf-8")
    return indicator, councils


def test_yearly_spec_shows_years_and_explains_rows_without_an_interval(tmp_path, any_db,
                                                                        monkeypatch, capsys):
    """period = "year" printed period numbers (group 11 and 13, time 2..15) and rows of
    estimate 0 with a blank standard error and interval, unexplained: groups and times are
    years, and the table says why some rows have no interval."""
    indicator, councils = _yearly_trust_file(tmp_path)
    assert run_main(monkeypatch, capsys, "activities", "import", str(councils))[0] == 0
    from kelisim.datasets import open_store
    from kelisim.evaluate.register import import_indicators

    con = open_store()
    import_indicators(con, indicator)
    con.close()
    spec = tmp_path / "spec.toml"
    spec.write_text('outcome = "indicator:trust"\nactivity_type = "public_council"\n'
                    'period = "year"\nestimation = "reg"\nbootstrap = 99\n', encoding="utf-8")
    code, out, err = run_main(monkeypatch, capsys, "evaluate", str(spec), "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert set(frame["group"].dropna()) == {2021, 2023}
    assert frame["time"].dropna().min() == 2012 and frame["time"].dropna().max() == 2025
    blank = frame[frame["lower"].isna()]
    assert len(blank) > 0 and (blank["time"].dropna() <= 2015).all()
    code, out, err = run_main(monkeypatch, capsys, "evaluate", str(spec))
    assert code == 0, err
    assert (f"{len(blank)} rows have no standard error or interval: in the periods they "
            "compare the outcome did not vary") in out


@pytest.mark.parametrize("scale", [100_000.0, 0.00001])
def test_evaluate_did_notes_never_print_scientific_notation(tmp_path, monkeypatch, capsys,
                                                            scale):
    """The notes under the table wrote the smallest detectable effect with `.3g` (1.23e+05
    for an outcome in persons): every figure is written out."""
    import re

    panel, _ = staggered_panel(7, areas=10, months=24, cohorts=2)
    path = tmp_path / "scaled.csv"
    panel.drop(columns="true_effect").assign(outcome=panel["outcome"] * scale).to_csv(
        path, index=False)
    code, out, err = run_main(monkeypatch, capsys, "evaluate", "did", str(path), "--unit",
                              "area", "--time", "month", "--first-treated", "first_treated",
                              "--outcome", "outcome", "--bootstrap", "0")
    assert code == 0, err
    assert not re.search(r"\d[eE][+-]?\d", out), out
