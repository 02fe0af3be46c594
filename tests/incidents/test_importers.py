"""Incident importers: our CSV, ACLED exports, UCDP GED with and without header.

All files here are constructed by the tests; values are invented.
"""

import csv

import pytest

from kelisim.datasets import open_store
from kelisim.errors import InputError
from kelisim.incidents import (
    UCDP_GED_COLUMNS,
    import_incidents,
    list_incidents,
    read_incidents,
)

OURS = (
    "incident_id,date_start,date_end,area_code,region_code,place,lat,lon,geo_precision,"
    "event_type,interethnic,groups,fatalities,injured,summary,sources,confidence,note\n"
    "T-1,2020-02-05,2020-02-08,314800000,,Masanchi,42.9,75.3,settlement,clash,yes,"
    "kazakh;dungan,11,185,constructed,https://example.org/a;https://example.org/b,high,\n"
)
ACLED_HEADER = ("event_id_cnty,event_date,year,event_type,sub_event_type,actor1,assoc_actor_1,"
                "actor2,assoc_actor_2,admin1,admin2,location,latitude,longitude,geo_precision,"
                "source,notes,fatalities")
ACLED_ROW = ("KAZ100,2020-02-07,2020,Riots,Mob violence,Rioters (Kazakhstan),"
             "Kazakh Ethnic Group (Kazakhstan),Civilians (Kazakhstan),"
             "Dungan Ethnic Group (Kazakhstan),Zhambyl,Korday,Masanchi,42.93,75.30,1,"
             "Press,constructed note,3")


def ucdp_row(ident="9", **values):
    row = dict.fromkeys(UCDP_GED_COLUMNS, "")
    row.update({"id": ident, "year": "2022", "type_of_violence": "3",
                "conflict_name": "Government of Kazakhstan - Civilians", "side_a": "Government",
                "side_b": "Civilians", "adm_1": "Almaty", "latitude": "43.25",
                "longitude": "76.9", "where_prec": "1", "date_start": "2022-01-05 00:00:00.000",
                "date_end": "2022-01-06 00:00:00.000", "best": "5", "low": "5", "high": "7"})
    row.update(values)
    return [row[c] for c in UCDP_GED_COLUMNS]


def write_rows(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_our_csv(tmp_path):
    path = tmp_path / "ours.csv"
    path.write_text(OURS, encoding="utf-8")
    frame = read_incidents(path)
    row = frame.iloc[0]
    assert row["groups"] == ["kazakh", "dungan"] and row["region_code"] == "310000000"
    assert row["sources"] == ["https://example.org/a", "https://example.org/b"]


def test_acled_export(tmp_path):
    path = tmp_path / "acled.csv"
    path.write_text(f"{ACLED_HEADER}\n{ACLED_ROW}\n", encoding="utf-8")
    row = read_incidents(path).iloc[0]
    assert row["incident_id"] == "acled:KAZ100"
    assert row["area_code"] == "314800000" and row["region_code"] == "310000000"
    assert row["groups"] == ["kazakh", "dungan"]
    assert row["fatalities"] == 3 and row["event_type"] == "Riots / Mob violence"


@pytest.mark.parametrize("header", [True, False])
def test_ucdp_ged_with_and_without_header(tmp_path, header):
    rows = ([list(UCDP_GED_COLUMNS)] if header else []) + [ucdp_row("9"), ucdp_row("10")]
    frame = read_incidents(write_rows(tmp_path / "ged.csv", rows))
    assert list(frame["incident_id"]) == ["ucdp:9", "ucdp:10"]
    assert frame.iloc[0]["region_code"] == "190000000"
    assert frame.iloc[0]["event_type"].startswith("one-sided violence")
    assert str(frame.iloc[0]["date_end"]) == "2022-01-06"
    assert frame["row"].tolist() == ([2, 3] if header else [1, 2])


@pytest.mark.parametrize(
    ("kind", "make", "row", "column", "words"),
    [
        ("ours", lambda: OURS.replace("2020-02-05", "2020-13-45"), 2, "date_start", "not a date"),
        ("ours", lambda: OURS.replace("2020-02-08", "2020-01-01"), 2, "date_end", "ends before"),
        ("ours", lambda: OURS.replace("kazakh;dungan", "kazakh;dungun"), 2, "groups",
         "did you mean dungan"),
        ("ours", lambda: OURS.replace(",11,185,", ",-1,185,"), 2, "fatalities", "outside"),
        ("ours", lambda: OURS.replace(",42.9,", ",142.9,"), 2, "lat", "outside"),
        ("ours", lambda: OURS.replace(",yes,", ",maybe,"), 2, "interethnic", "yes, no"),
        ("ours", lambda: OURS + OURS.splitlines()[1] + "\n", 3, "id", "appears twice"),
        ("acled", lambda: f"{ACLED_HEADER}\n{ACLED_ROW.replace(',3', ',2.5')}\n", 2,
         "fatalities", "whole number"),
        ("acled", lambda: "event_date,event_type\n2020-01-01,Riots\n", 1, "latitude",
         "missing column"),
        ("other", lambda: "a,b\n1,2\n", 1, None, "unrecognised"),
    ],
)
def test_incident_errors(tmp_path, kind, make, row, column, words):
    path = tmp_path / f"{kind}.csv"
    path.write_text(make(), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_incidents(path)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert words in str(caught.value)


def test_ucdp_errors(tmp_path):
    bad = write_rows(tmp_path / "g.csv", [ucdp_row(type_of_violence="4")])
    with pytest.raises(InputError, match="row 1, column type_of_violence"):
        read_incidents(bad)
    short = write_rows(tmp_path / "s.csv", [ucdp_row()[:-1]])
    with pytest.raises(InputError, match="unrecognised"):
        read_incidents(short)
    with pytest.raises(InputError, match="needs 49 columns"):
        read_incidents(short, "ucdp")


def test_not_utf8(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(OURS.replace("Masanchi", "Масанчи").encode("cp1251"))
    with pytest.raises(InputError, match="row 2: the file is not UTF-8"):
        read_incidents(path)


def test_import_upserts_and_lists(tmp_path, any_db):
    con = open_store(any_db)
    path = tmp_path / "ours.csv"
    path.write_text(OURS, encoding="utf-8")
    assert import_incidents(con, path) == 1
    assert import_incidents(con, path) == 1
    listed = list_incidents(con, region="310000000", since="2020-01-01")
    assert set(listed["incident_id"]) == {"T-1", "KZ-2020-02-KORDAY"}
    assert len(list_incidents(con, interethnic="no")) == 2
