"""Bundled datasets: every row cites a source, the build is idempotent, totals agree."""

import pytest

from kelisim import store
from kelisim.core.curated import CURATED_TABLES, read_curated
from kelisim.core.groups import default_registry
from kelisim.datasets import build_database, list_datasets, open_store, population_frame
from kelisim.errors import ArgumentError


def test_every_row_cites_a_known_source():
    known = set(read_curated("sources")["source_id"])
    for name in CURATED_TABLES:
        if name == "sources":
            continue
        table = read_curated(name)
        assert table["source_id"].notna().all(), name
        assert set(table["source_id"]) <= known, name


def test_every_group_in_the_data_is_registered():
    codes = set(default_registry().codes) | {"total"}
    for name in ("census_national", "regions_annual", "regional_partial"):
        assert set(read_curated(name)["group_code"]) <= codes


def test_build_is_idempotent_and_keeps_imports(any_db):
    con = store.connect(any_db)
    assert build_database(con) is True
    assert build_database(con) is False
    counts = con.execute("SELECT count(*) FROM population").fetchone()[0]
    con.execute("INSERT INTO datasets (name, origin) VALUES ('mine', 'x.csv')")
    con.execute("INSERT INTO population (dataset, area_code, group_code, period, count) "
                "VALUES ('mine', '000000000', 'total', 2020, 1)")
    assert build_database(con, force=True) is True
    assert con.execute("SELECT count(*) FROM population").fetchone()[0] == counts + 1
    assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 12


def test_store_keeps_where_kazakh_names_come_from(any_db):
    con = open_store(any_db)
    row = con.execute("SELECT name_kk, name_kk_source FROM groups WHERE group_code = 'korean'")
    assert row.fetchone() == ("кәрістер", "BNS_2023_KK")
    districts = con.execute("SELECT count(*) FROM area_crosswalk WHERE from_version = '2018' "
                            "AND to_version = '2024' AND from_code IN (SELECT area_code FROM "
                            "areas WHERE boundary_version = '2018' AND level = 'district')")
    assert districts.fetchone()[0] >= 216


def test_list_datasets(any_db):
    names = list(list_datasets(open_store(any_db))["name"])
    assert names == ["census_national", "regional_partial", "regions_annual"]


def test_census_2021_facts(any_db):
    frame = population_frame(open_store(any_db), "census_national", periods=[2021])
    counts = frame.set_index("group")["count"]
    # 2021 census: total 19,186,015 (Astana Times, S5); Kazakhs 13,497,891 (70.4%)
    assert counts["total"] == 19186015
    assert counts["kazakh"] / counts["total"] == pytest.approx(0.7035, abs=1e-4)
    listed = counts.drop("total").sum()
    assert listed <= counts["total"]


def test_national_total_equals_sum_of_regions_every_year(any_db):
    """regions_annual: the BNS country row equals the sum of the regions in every year
    2000-2023 (the years where the sources disagree are in census_national; see
    docs/data-model.md)."""
    frame = population_frame(open_store(any_db), "regions_annual")
    for period, part in frame.groupby("period"):
        country = part.loc[part["area"] == "000000000", "count"].iloc[0]
        assert part.loc[part["area"] != "000000000", "count"].sum() == country, period


def test_population_frame_filters_and_borders(any_db):
    con = open_store(any_db)
    frame = population_frame(con, "regions_annual", periods=[2023], areas=["190000000"],
                             boundaries="2018")
    # Almaty Region in 2018 borders = Almaty Region + Zhetysu (BNS 2023: 1,505,968 + 698,729)
    assert frame["count"].tolist() == [1505968 + 698729]
    with pytest.raises(ArgumentError, match="did you mean census_national"):
        population_frame(con, "census_nationl")
    with pytest.raises(ArgumentError, match="known: census_national"):
        population_frame(con, "xyz")


def test_composition_of_an_imported_dataset(any_db, tmp_path):
    from kelisim.datasets import composition
    from kelisim.datasets.io import import_population

    con = open_store(any_db)
    path = tmp_path / "districts.csv"  # constructed table
    path.write_text("area,period,kazakh,dungan,total\n314800000,2021,60,40,100\n"
                    "311000000,2021,90,10,100\n", encoding="utf-8")
    import_population(con, path, name="districts")
    comp = composition(con, "districts", 2021)
    assert comp.areas == ("311000000", "314800000") and comp.groups == ("dungan", "kazakh")
    assert comp.counts.tolist() == [[10, 90], [40, 60]]
