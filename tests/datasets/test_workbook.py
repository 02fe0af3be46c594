"""The BNS 2021 census workbook and layout recipes (issue 14), through the real CLI.

Workbooks are CONSTRUCTED (tests/workbook_fixtures.py): seeded counts in the published
layout with every quirk (title rows, 'Уровень' header, column-number row, '-' zeros, numbers
as text with spaces, 'Hемцы' with a Latin H, a footnote mark, notes after the data).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_support import run_in_store as kelisim
from conftest import BACKENDS, new_store
from kelisim import store
from workbook_fixtures import SMALL_HEADERS, expected_totals, full_size_structure, write_workbook

KELISIM = str(Path(sys.executable).parent / "kelisim")


@pytest.fixture(scope="module", params=BACKENDS)
def imported(request, tmp_path_factory):
    """A store with the constructed three-region workbook imported as census2021."""
    folder = tmp_path_factory.mktemp("workbook")
    path = write_workbook(folder / "census2021.xlsx")
    db = new_store(request.param, request, folder)
    env = {**os.environ, "KELISIM_DB": str(db), "KELISIM_HOME": str(folder / "home")}
    done = subprocess.run([KELISIM, "data", "import", str(path), "--name", "census2021"],
                          capture_output=True, text=True, env=env, timeout=120)  # installed CLI
    assert done.returncode == 0, done.stderr
    return db, done.stdout


def test_import_prints_what_it_read(imported):
    _, out = imported
    lines = out.splitlines()
    assert lines[0] == ("read sheets 2.1, 3.1: 1 country, 3 regions, 8 districts, "
                        "2 rural districts, 15 settlements")
    persons = int(expected_totals()["000000000"].sum())
    shown = f"{persons:,}".replace(",", " ")
    assert lines[1] == f"10 groups, {shown} persons, period 2021, boundaries 2018"
    assert lines[2].startswith("placed on the 2024 boundaries: 13 of 15 settlements exactly; "
                               "those of the districts split since (635000000)")
    assert lines[-1] == "imported 319 rows as 'census2021'"  # 29 areas x (10 groups + total)


def test_every_level_stored_as_published(imported):
    db, _ = imported
    expected = expected_totals()
    con = store.connect(db, read_only=True)
    rows = dict(con.execute(
        "SELECT area_code, count FROM population WHERE dataset = 'census2021' "
        "AND group_code = 'german'").fetchall())  # the 'Hемцы' column (Latin H)
    german = SMALL_HEADERS.index("Hемцы")
    assert rows["314831100"] == expected["314831100"][german]
    assert rows["000000000"] == expected["000000000"][german]
    uyghur = con.execute("SELECT count FROM population WHERE dataset = 'census2021' AND "
                         "area_code = '314800000' AND group_code = 'uyghur'").fetchone()[0]
    assert uyghur == expected["314800000"][SMALL_HEADERS.index("Уйгуры¹")]
    kinds = dict(con.execute("SELECT kind, count(*) FROM dataset_areas "
                             "WHERE dataset = 'census2021' GROUP BY kind").fetchall())
    assert kinds == {"country": 1, "region": 3, "district": 8, "rural_district": 2,
                     "settlement": 15}
    con.close()


def test_placed_exactly_on_2024_boundaries(imported, monkeypatch):
    """Semey and Kurchatov went whole to Abai in 2022: Abai's Kazakhs are Semey's, summed
    from its settlements; Kokpekty was split, so its settlements follow the crosswalk."""
    from kelisim.datasets import open_store, population_frame

    db, _ = imported
    monkeypatch.setenv("KELISIM_DB", str(db))
    expected = expected_totals()
    con = open_store(db)
    frame = population_frame(con, "census2021", boundaries="2024", groups=["kazakh"])
    values = dict(zip(frame["area"], frame["count"], strict=True))
    kokpekty = expected["635000000"][0]
    assert values["101000000"] == expected["632800000"][0]  # Semey, exactly
    assert values["100000000"] == pytest.approx(expected["632800000"][0] + 0.624076 * kokpekty)
    assert values["310000000"] == expected["310000000"][0]
    assert values["000000000"] == expected["000000000"][0]
    published = population_frame(con, "census2021", boundaries="2018", groups=["kazakh"])
    assert "314831100" not in set(published["area"])  # settlements stay out of maps
    assert set(published["area"]) >= {"630000000", "314800000"}
    con.close()


def test_settlement_level_indices_add_up(imported):
    """M and H among the settlements of Zhambyl: total = between districts + within; the
    total equals M computed directly on the settlement table (measure.information)."""
    from kelisim.measure.information import mutual_information

    db, _ = imported
    con = store.connect(db, read_only=True)
    rows = {(i, c): v for i, c, v in con.execute(
        'SELECT "index", component, value FROM settlement_indices WHERE area_code = '
        "'310000000' AND boundary_version = '2024'").fetchall()}
    con.close()
    assert rows[("mutual_information", "total")] == pytest.approx(
        rows[("mutual_information", "between")] + rows[("mutual_information", "within")])
    expected = expected_totals()
    settlements = ["311010000", "314831100", "314831200", "314831300", "314851100",
                   "314851200", "316630100", "316630200", "316630300"]
    table = np.array([expected[c] for c in settlements])
    assert rows[("mutual_information", "total")] == pytest.approx(mutual_information(table))


@pytest.mark.parametrize("break_, where, says", [
    ("settlement_total", "sheet 3.1, row 9, column D (Всего)", "the groups of с.10000 sum to"),
    ("district_sum", "sheet 3.1, row 8, column E (Казахи)",
     "the level-3 area below г.Тараз (row 9) is"),
    ("unknown_header", "sheet 3.1, row 4, column H", "unknown group header 'Марсиане'"),
    ("shifted_header", "sheet 3.1, row 4, column B", "the header row starts in column B"),
    ("no_numbers_row", "sheet 3.1, row 5, column A", "expected the column number 1"),
])
def test_broken_workbook_is_one_error_and_nothing_written(tmp_path, break_, where, says):
    path = write_workbook(tmp_path / "broken.xlsx", break_=break_)
    db = tmp_path / "k.duckdb"
    code, out, err = kelisim(db, "data", "import", path, "--name", "broken")
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert where in lines[0] and says in lines[0], lines[0]
    assert not db.exists()  # checked completely before the store is opened


def test_national_figures_checked_when_every_region_is_there(tmp_path, any_db):
    """A workbook of all 17 regions whose country row is not the 2021 census is refused."""
    path = write_workbook(tmp_path / "all.xlsx", structure=full_size_structure(400),
                          headers=SMALL_HEADERS)
    code, _, err = kelisim(any_db, "data", "import", path, "--layout",
                           "bns-census-2021")
    assert code != 0
    assert "column E (Казахи): the country's kazakh count is" in err
    assert "not the published 13 497 891" in err


def test_layout_option_and_unknown_layout(tmp_path, any_db):
    path = write_workbook(tmp_path / "renamed.xlsx", sheets=("Лист1", "Лист2"))
    code, _, err = kelisim(any_db, "data", "import", path, "--layout",
                           "bns-census-2021")
    assert code != 0 and "no sheet '2.1'" in err and "has changed" in err
    code, _, err = kelisim(any_db, "data", "import", path, "--layout", "bns")
    assert code != 0 and "--layout: unknown layout 'bns'" in err


def write_regions_wide(path):
    """CONSTRUCTED: a regional table as bns-regions-wide describes it, cell for cell: title,
    a two-row merged header (group over 'оба пола / мужчины / женщины'), named regions with
    footnote marks, the country's total row first, '-' zeros, numbers as text with spaces."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "1"
    ws.append(["Численность населения по отдельным этносам (CONSTRUCTED)"])
    ws.append([])
    groups = ["Всего", "Казахи", "Русские", "Hемцы¹"]
    top = ["Область"]
    for g in groups:
        top += [g, None, None]
    ws.append(top)
    ws.append([None] + ["оба пола", "мужчины", "женщины"] * len(groups))
    for k in range(len(groups)):
        ws.merge_cells(start_row=3, start_column=2 + 3 * k, end_row=3, end_column=4 + 3 * k)
    ws.merge_cells(start_row=3, start_column=1, end_row=4, end_column=1)
    regions = {"Акмолинская область": (500_000, 200_000, 0),
               "Павлодарская область²": (700_000, 250_000, 12_345),
               "г.Алматы": (1_700_000, 300_000, 5_000)}
    total = [sum(v[i] for v in regions.values()) for i in range(3)]
    for name, values in [("Республика Казахстан", total), *regions.items()]:
        row = [name]
        for v in (sum(values), *values):
            men = v // 2
            row += [f"{v:,}".replace(",", " ") if v else "-", men or "-", (v - men) or "-"]
        ws.append(row)
    ws.append([])
    ws.append(["¹ Constructed; ² constructed footnote."])
    book.save(path)
    return regions


def test_recipe_regions_wide(tmp_path, any_db):
    path = tmp_path / "wide.xlsx"
    regions = write_regions_wide(path)
    db = any_db
    code, out, err = kelisim(db, "data", "import", path, "--layout", "bns-regions-wide",
                             "--name", "wide2009")
    assert code == 0, err
    assert out.splitlines()[0] == "read sheets 1: 1 country, 3 regions"
    con = store.connect(db, read_only=True)
    rows = dict(con.execute("SELECT area_code, count FROM population WHERE dataset = "
                            "'wide2009' AND group_code = 'german'").fetchall())
    con.close()
    assert rows == {"000000000": 17_345, "110000000": 0, "550000000": 12_345,
                    "750000000": 5_000}
    assert sum(v[2] for v in regions.values()) == 17_345


def test_russian_and_kazakh_column_names_in_tidy_tables(tmp_path, any_db):
    path = tmp_path / "tidy.csv"
    path.write_text("облыс,ұлты,год,численность\nЖамбылская область,уйгуры,2021,1000\n"
                    "310000000,казахи,2021,900000\n", encoding="utf-8")
    code, out, err = kelisim(any_db, "data", "import", path, "--name", "tidy")
    assert code == 0, err
    assert "imported 2 rows as 'tidy'" in out
    path.write_text("область,национальность,жыл,саны\n310000000,уйгуры,2021,1000\n",
                    encoding="utf-8")
    code, out, err = kelisim(any_db, "data", "import", path, "--name", "tidy2")
    assert code == 0, err


@pytest.fixture(scope="module")
def dashboard(imported):
    """The dashboard over the store with the imported workbook, logged in as an analyst."""
    from kelisim.web import auth
    from web_support import PASSWORD, client_for

    db, _ = imported
    con = store.connect(db)
    auth.add_user(con, "ann", PASSWORD, "analyst")
    con.close()
    with client_for(db) as client:
        client.get("/login")
        reply = client.post("/login", data={"username": "ann", "password": PASSWORD,
                                             "csrf_token": client.cookies["kelisim_csrf"]},
                            follow_redirects=False)
        assert reply.status_code == 303
        yield client


def test_pages_use_the_workbook(dashboard):
    """Kazakhs have a share for every region the workbook covers (Abai and East Kazakhstan
    exactly from the settlements); Zhambyl shows its full composition and the settlement
    level; a region with only the bundled Uyghur figures says so."""
    overview = dashboard.get("/api/overview", params={"group": "kazakh"}).json()
    assert overview["period"] == 2021
    shown = {v["area"] for v in overview["values"]}
    assert shown >= {"310000000", "630000000", "100000000", "750000000"}
    assert "census2021" in overview["datasets"]
    both = dashboard.get("/api/overview", params={"group": "uyghur"}).json()
    only = dashboard.get("/api/overview", params={"group": "uyghur",
                                                  "dataset": "regional_partial"}).json()
    assert 2021 in both["periods"] and 2021 not in only["periods"]
    assert only["dataset"] == "regional_partial" and 2009 in only["periods"]
    page = dashboard.get("/area/310000000").text
    assert 'id="settlement-indices"' in page and "multi_theil_h" in page
    assert "Dungans" in page and 'id="partial-composition"' not in page
    aktobe = dashboard.get("/area/150000000").text  # bundled: Uyghurs 1970-2009 only
    assert "partial: only Uyghurs are published for this area" in aktobe
    brief = dashboard.get("/brief/310000000").text  # the brief agrees with the page
    assert 'id="settlement-indices"' in brief and "Dungans" in brief
    assert "partial: only Uyghurs" in dashboard.get("/brief/150000000").text


def test_two_censuses_show_the_change(tmp_path, any_db):
    """A second workbook (a user's recipe: the 2021 layout with period 2009) adds a column
    per census and their change to the settlement-level table of Zhambyl."""


    source = Path(__file__).parents[2] / "src/kelisim/datasets/layouts/bns-census-2021.toml"
    recipe = tmp_path / "census2009.toml"
    recipe.write_text(source.read_text(encoding="utf-8").replace("period = 2021", "period = 2009")
                      .replace('name = "bns-census-2021"', 'name = "census-2009-constructed"'),
                      encoding="utf-8")
    db = any_db
    for name, seed, layout in (("c2009", 2, recipe), ("c2021", 1, "bns-census-2021")):
        path = write_workbook(tmp_path / f"{name}.xlsx", seed=seed)
        code, out, err = kelisim(db, "data", "import", path, "--name", name, "--layout", layout)
        assert code == 0, err
    with _analyst(db) as client:
        page = client.get("/area/310000000").text
    table = page[page.index('id="settlement-indices"'):]
    table = table[:table.index("</table>")]
    assert ">2009<" in table and ">2021<" in table and "Change" in table


def test_recipe_with_areas_in_columns(tmp_path, any_db):
    """CONSTRUCTED: groups in rows, named regions in columns (the 2009 census volume's
    'national composition by region' orientation), read with areas_on = "columns"."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "1"
    ws.append(["Национальность", "Республика Казахстан", "Акмолинская область", "г.Алматы"])
    ws.append(["Всего", "1 700", 700, "1 000"])
    ws.append(["Казахи", 1000, 400, 600])
    ws.append(["Hемцы", 700, 300, "4OO"])  # letters O instead of zeros: refused
    book.save(tmp_path / "cols.xlsx")
    recipe = tmp_path / "cols.toml"
    recipe.write_text('name = "regions-in-columns"\nsheets = ["1"]\nperiod = 2009\n'
                      'boundaries = "2000"\nheader_first_cell = "Национальность"\n'
                      'areas_on = "columns"\ntotal_rows = ["Республика Казахстан"]\n'
                      '[columns]\nname = 1\ntotal = ["всего"]\n', encoding="utf-8")
    db = any_db
    code, _, err = kelisim(db, "data", "import", tmp_path / "cols.xlsx", "--layout", recipe)
    assert code != 0 and "sheet 1, row 4, column D (Hемцы): count '4OO' is not a number" in err
    ws["D4"] = 400
    book.save(tmp_path / "cols.xlsx")
    code, out, err = kelisim(db, "data", "import", tmp_path / "cols.xlsx", "--layout", recipe,
                             "--name", "cols")
    assert code == 0, err
    assert out.splitlines()[:2] == ["read sheets 1: 1 country, 2 regions",
                                    "2 groups, 1 700 persons, period 2009, boundaries 2000"]


# CONSTRUCTED: Zhambyl with Kordai's 49 settlements on a 7 x 7 grid of points 0.05 degrees
# apart (given in a points file) and Shu's 3 settlements without coordinates; Dungans are
# planted in a 3 x 3 block of Kordai (1,500 each) and absent elsewhere.
GRID = [f"31483{100 + i:03d}0" for i in range(49)]
BLOCK_2021 = [GRID[r * 7 + c] for r in range(3) for c in range(3)]
BLOCK_2009 = [GRID[r * 7 + c] for r in range(4) for c in range(3)]  # one row more in 2009
GRID_STRUCTURE = [("310000000", "Жамбылская область", [
    ("314800000", "Кордайский район", GRID),
    ("316600000", "Шуский район", ["316630100", "316630200", "316630300"]),
])]
DUNGAN = SMALL_HEADERS.index("Дунгане")


def _grid_points(path, extra: str = "") -> Path:
    lines = ["KATO,lat,lon"] + [f"{code},{43.0 + 0.05 * (i // 7):.2f},{74.5 + 0.05 * (i % 7):.2f}"
                                for i, code in enumerate(GRID)]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def _planted(block):
    return {code: {DUNGAN: 1500 if code in block else 0} for code in GRID}


@pytest.fixture(scope="module", params=BACKENDS)
def enclave_store(request, tmp_path_factory):
    """Two constructed censuses of the grid (2009 by a user's recipe, 2021), with points."""
    folder = tmp_path_factory.mktemp("enclaves")
    source = Path(__file__).parents[2] / "src/kelisim/datasets/layouts/bns-census-2021.toml"
    recipe = folder / "census2009.toml"
    recipe.write_text(source.read_text(encoding="utf-8").replace("period = 2021", "period = 2009")
                      .replace('name = "bns-census-2021"', 'name = "census-2009-constructed"'),
                      encoding="utf-8")
    points = _grid_points(folder / "points.csv", "999999999,50.0,70.0\n")
    db = new_store(request.param, request, folder)
    outputs = {}
    for name, seed, layout, block in (("c2009", 2, recipe, BLOCK_2009),
                                      ("c2021", 1, "bns-census-2021", BLOCK_2021)):
        path = write_workbook(folder / f"{name}.xlsx", structure=GRID_STRUCTURE, seed=seed,
                              planted=_planted(block))
        code, out, err = kelisim(db, "data", "import", path, "--name", name, "--layout", layout,
                                 "--points", points)
        assert code == 0, err
        outputs[name] = out
    return db, outputs


def test_enclaves_among_settlements_from_a_points_file(enclave_store):
    from kelisim.measure.settlements import settlement_enclaves

    db, outputs = enclave_store
    assert re.search(r"enclaves among settlements \(knn:6\): \d+ enclaves? of \d+ groups?; 3 of "
                     r"52 settlements have no coordinates and are left out \(the points file "
                     r"gave 49 of its 50 points\)", outputs["c2021"])
    con = store.connect(db)
    stored = con.execute("SELECT area_code, group_code, enclave, district_code, region_code "
                         "FROM settlement_enclaves WHERE dataset = 'c2021'").df()
    located = dict(con.execute("SELECT area_code, lat IS NOT NULL FROM dataset_areas WHERE "
                               "dataset = 'c2021' AND kind = 'settlement'").fetchall())
    con.close()
    dungans = stored[stored["group_code"] == "dungan"]
    assert set(dungans["area_code"]) <= set(BLOCK_2021) and GRID[8] in set(dungans["area_code"])
    assert set(dungans["enclave"]) == {"dungan-1"}
    assert set(stored["district_code"]) == {"314800000"} and set(stored["region_code"]) == \
        {"310000000"}
    assert sum(located.values()) == 49 and not located["316630100"]
    # the stored enclave is the measure's on the workbook's counts and the file's points
    expected = expected_totals(GRID_STRUCTURE, seed=1, planted=_planted(BLOCK_2021))
    keep = [i for i, h in enumerate(SMALL_HEADERS) if h != "Другие"]
    counts = np.array([expected[c] for c in GRID])
    groups = ["kazakh", "russian", "uzbek", "ukrainian", "uyghur", "german", "tatar", "dungan",
              "korean", "other"]
    direct = settlement_enclaves(counts, groups, np.array(GRID),
                                 43.0 + 0.05 * (np.arange(49) // 7),
                                 74.5 + 0.05 * (np.arange(49) % 7), neighbours=6)
    assert keep  # every constructed header is a group
    pairs = set(zip(direct.members["area"], direct.members["group"], strict=True))
    assert pairs == set(zip(stored["area_code"], stored["group_code"], strict=True))


def test_settlement_picture_in_the_cli_and_on_the_page(enclave_store):


    db, _ = enclave_store
    code, out, err = kelisim(db, "data", "settlements", "310000000")
    assert code == 0, err
    assert "c2021 (2021): 3 of 52 settlements have no coordinates and are left out" in out
    assert "dungan-1" in out
    code, out, err = kelisim(db, "data", "settlements", "Korday District", "--format", "json")
    assert code == 0, err
    found = json.loads(out)
    dungan = [c for c in found["change"] if c["group"] == "dungan"]
    assert len(dungan) == 1 and dungan[0]["enclave_before"] == dungan[0]["enclave_after"] == \
        "dungan-1" and dungan[0]["shared_areas"] >= 1  # the same block, seen in both censuses
    assert (dungan[0]["before"], dungan[0]["after"]) == (2009, 2021)
    code, out, err = kelisim(db, "data", "settlements", "310000000", "--format", "csv")
    assert code == 2 and "unknown format 'csv'" in err and "Traceback" not in err
    said = {"en": "3 of 52 settlements have no coordinates and are left out",
            "ru": "у 3 из 52 населённых пунктов нет координат, они не учтены",
            "kk": "52 елді мекеннің 3 координаттары жоқ, олар есепке алынбады"}
    with _analyst(db) as client:
        for lang, sentence in said.items():
            client.cookies.set("lang", lang)
            page = client.get("/area/310000000").text
            section = page[page.index('id="settlement-enclaves"'):]
            assert sentence in section
            assert 'id="enclave-table"' in section and 'id="enclave-change"' in section
        client.cookies.set("lang", "en")
        page = client.get("/area/314800000").text  # Kordai: all located
        assert "all 49 settlements have coordinates" in page
        assert f">{dungan[0]['status']}<" in page and "Change of the enclaves, 2009 to 2021" in page
        brief = client.get("/brief/310000000").text  # the brief agrees with the page
        assert said["en"] in brief and 'id="enclave-table"' in brief and "dungan-1" in brief


def test_bad_points_file_is_one_sentence_and_nothing_written(tmp_path, any_db):
    workbook = write_workbook(tmp_path / "census.xlsx")
    db = any_db
    for text, says in (
        ("KATO,lat,lon\n314831100,43.1,74.7\n314831200,143.1,74.8\n",
         "row 3, column lat: '143.1' is not a latitude in degrees (-90 to 90)"),
        ("KATO,lat\n314831100,43.1\n", "row 1: no lon column"),
        ("KATO,lat,lon\n31483110,43.1,74.7\n", "row 2, column KATO: '31483110' is not a "
                                               "9-digit KATO code"),
        ("KATO,lat,lon\n314831100,43.1,74.7\n314831100,43.2,74.7\n",
         "row 3, column KATO: settlement 314831100 has two different points"),
    ):
        points = tmp_path / "points.csv"
        points.write_text(text, encoding="utf-8")
        code, _, err = kelisim(db, "data", "import", workbook, "--name", "c21", "--points",
                               points)
        assert code == 2 and says in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1
    tidy = tmp_path / "tidy.csv"
    tidy.write_text("area,group,period,count\n310000000,kazakh,2021,900000\n", encoding="utf-8")
    code, _, err = kelisim(db, "data", "import", tidy, "--points", points)
    assert code == 2 and "settlement points go with an official workbook" in err
    con = store.connect(db)
    assert con.execute("SELECT count(*) FROM dataset_areas").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM datasets WHERE name = 'tidy'").fetchone()[0] == 0
    con.close()


@contextlib.contextmanager
def _analyst(db):
    """A logged-in dashboard client over the store at ``db``."""
    from kelisim.datasets import open_store
    from kelisim.web import auth
    from web_support import PASSWORD, client_for

    con = open_store(db)
    auth.add_user(con, "ann", PASSWORD, "analyst")
    con.close()
    with client_for(db) as client:
        client.get("/login")
        client.post("/login", data={"username": "ann", "password": PASSWORD,
                                    "csrf_token": client.cookies["kelisim_csrf"]})
        yield client


def _views(client, groups) -> dict[tuple[str, int], int]:
    """Every (group, year) of the map of shares and how many areas it colours, asked one by
    one (the brute-force reference for the opening view)."""
    shown = {}
    for group in groups:
        for period in client.get("/api/overview", params={"group": group}).json()["periods"]:
            values = client.get("/api/overview", params={"group": group,
                                                         "period": period}).json()["values"]
            shown[(group, period)] = sum(v["value"] is not None for v in values)
    return shown


def test_fresh_store_opens_on_the_fullest_map_and_says_partial(tmp_path, any_db):
    """`make run` on a fresh store (bundled data only): no group has figures for every region,
    so the map opens on the view that colours the most regions (the latest of equals), and a
    region with only Uyghurs says so plainly."""
    from kelisim.datasets import open_store

    db = any_db
    con = open_store(db)  # the groups with any figure for a region, read from the store
    groups = [g for (g,) in con.execute(
        "SELECT DISTINCT group_code FROM population WHERE area_code LIKE '%0000000' AND "
        "area_code <> '000000000' AND group_code <> 'total'").fetchall()]
    con.close()
    with _analyst(db) as client:
        opening = client.get("/api/overview").json()
        views = _views(client, groups)
        coloured = sum(v["value"] is not None for v in opening["values"])
        assert coloured == max(views.values())
        assert opening["period"] == max(p for (_, p), n in views.items() if n == coloured)
        for code in ("150000000", "310000000"):
            assert "partial: only Uyghurs are published for this area" in \
                client.get(f"/area/{code}").text


def test_complete_workbook_opens_the_map_on_2021_kazakhs(tmp_path, any_db):
    """CONSTRUCTED: a workbook of every 2018 region and district (one settlement or more
    each) with the published national Kazakhs and Russians: the map opens on 2021 and the
    Kazakhs, every region of 2024 coloured, and no region page says 'partial'."""
    headers = list(SMALL_HEADERS)
    national = {headers.index("Казахи"): 13_497_891, headers.index("Русские"): 2_981_946}
    structure = full_size_structure(260, seed=3)
    path = write_workbook(tmp_path / "census.xlsx", structure, headers, national=national)
    db = any_db
    code, _, err = kelisim(db, "data", "import", path, "--name", "census2021")
    assert code == 0, err
    with _analyst(db) as client:
        opening = client.get("/api/overview").json()
        assert (opening["period"], opening["group"]) == (2021, "kazakh")
        regions = client.get("/api/areas", params={"level": "region"}).json()
        codes = {r["area_code"] for r in (regions if isinstance(regions, list) else
                                          regions["areas"])}
        coloured = {v["area"] for v in opening["values"] if v["value"] is not None}
        assert codes and codes <= coloured
        for region in ("100000000", "310000000", "620000000"):  # Abai, Zhambyl, Ulytau
            assert 'id="partial-composition"' not in client.get(f"/area/{region}").text


def test_split_district_placed_exactly_by_its_named_parts(tmp_path, any_db):
    """CONSTRUCTED: Tselinograd district as in 2021 with the village of Kosshy (a city of
    its own since, district_parts.csv citing the decree) and two other villages: on the 2024
    boundaries Kosshy city holds exactly Kosshy's persons and Tselinograd exactly the rest,
    with no population weight used."""
    from kelisim.datasets import open_store, population_frame

    structure = [("110000000", "Акмолинская область", [
        ("116600000", "Целиноградский район", ["116650100", "116630100", "116630200"])])]
    path = write_workbook(tmp_path / "akmola.xlsx", structure)
    db = any_db
    code, out, err = kelisim(db, "data", "import", path, "--name", "akmola")
    assert code == 0, err
    assert "placed on the 2024 boundaries: 3 of 3 settlements exactly\n" in out
    expected = expected_totals(structure)
    con = open_store(db)
    frame = population_frame(con, "akmola", boundaries="2024", groups=["kazakh", "russian"])
    values = {(a, g): c for a, g, c in zip(frame["area"], frame["group"], frame["count"],
                                           strict=True)}
    for column, group in enumerate(("kazakh", "russian")):
        assert values[("111600000", group)] == expected["116650100"][column]
        assert values[("116600000", group)] == expected["116630100"][column] + \
            expected["116630200"][column]
    exact = con.execute("SELECT bool_and(exact) FROM dataset_placed WHERE dataset = 'akmola'"
                        ).fetchone()[0]
    con.close()
    assert exact


def test_named_parts_left_incomplete_keep_the_weights():
    """A split district whose table rows do not resolve every area below it keeps the
    crosswalk's weights for all of them (no '*' row for Kokpekty: nothing is named)."""
    import pandas as pd

    from kelisim.datasets.workbook import named_parts

    frame = pd.DataFrame({
        "area_code": ["116600000", "116650100", "116630100", "635000000", "635030100"],
        "parent_code": ["110000000", "116600000", "116600000", "630000000", "635000000"],
        "name": ["Целиноградский район", "с.Косшы", "с.Акмол", "Кокпектинский район",
                 "с.Самарское"],
        "district_code": ["116600000", "116600000", "116600000", "635000000", "635000000"],
    })
    assert named_parts(frame, "2018", "2024") == {"116650100": "111600000",
                                                  "116630100": "116600000"}
    assert named_parts(frame, "2018", "2018") == {}


def test_bundled_towns_give_settlement_points():
    """Towns of the bundled gazetteer (GeoNames cities500 points, settlement_points.csv) place
    a workbook's settlements by name within their district; an unknown name gets no point."""
    from types import SimpleNamespace

    import pandas as pd

    from kelisim.datasets.workbook import settlement_points

    areas = pd.DataFrame({"kind": "settlement", "area_code": ["471810000", "471830000", "4"],
                          "name": ["г.Жанаозен", "с.Жетыбай", "с.Жетыбай"]})
    districts = pd.Series(["471800000", "474200000", "471800000"])
    located = settlement_points(SimpleNamespace(areas=areas), districts)
    assert located["lat"].round(5).tolist()[:2] == [43.34116, 43.58928]
    assert located["source"].tolist()[:2] == ["gazetteer", "gazetteer"]
    assert pd.isna(located["lat"].iloc[2])  # Zhetybay is not in the Zhanaozen district


def test_a_mistyped_recipe_key_is_refused(tmp_path):
    """A recipe key kelisim does not know (header_rowz) is refused naming the file and the key,
    with the key meant, before the workbook is read; so is one in a section ([columns])."""
    source = Path(__file__).parents[2] / "src/kelisim/datasets/layouts/bns-census-2021.toml"
    text = source.read_text(encoding="utf-8")
    db = tmp_path / "k.duckdb"
    workbook = write_workbook(tmp_path / "w.xlsx", seed=1)
    for name, broken, key, meant in (
            ("top", text.replace("header_rows =", "header_rowz ="), "header_rowz", "header_rows"),
            ("section", text.replace("[columns]\n", "[columns]\ncodee = 2\n"), "columns.codee",
             "code")):
        recipe = tmp_path / f"{name}.toml"
        recipe.write_text(broken, encoding="utf-8")
        code, _, err = kelisim(db, "data", "import", workbook, "--layout", recipe)
        assert code != 0 and "Traceback" not in err
        assert err.strip() == (f"error: {recipe}, column {key}: unknown key "
                               f"'{key.split('.')[-1]}', did you mean '{meant}'?")
