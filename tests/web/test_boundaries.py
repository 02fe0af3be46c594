"""Series and maps in one border version, on the bundled data (kelisim.datasets.build_database).

regions_annual keeps the borders of each year; the dashboard converts every row with
kelisim.datasets.population_frame(boundaries=...), so merged regions add up exactly.
"""

from __future__ import annotations

import pytest

from conftest import BACKENDS, new_store
from kelisim import store
from kelisim.datasets import build_database
from web_support import ACCOUNTS, PASSWORD, bearer, client_for

EAST, ABAI, TURKISTAN, SHYMKENT = "630000000", "100000000", "610000000", "790000000"


@pytest.fixture(scope="module", params=BACKENDS)
def bundled(request, tmp_path_factory):
    from kelisim.web import auth

    path = new_store(request.param, request, tmp_path_factory.mktemp("bundled"))
    con = store.connect(path)
    build_database(con)
    auth.add_user(con, "vic", PASSWORD, ACCOUNTS["vic"])
    raw = dict(((a, p), c) for a, p, c in con.execute(
        "SELECT area_code, period, count FROM population WHERE dataset = 'regions_annual' "
        "AND group_code = 'total'").fetchall())
    con.close()
    client = client_for(path)
    return client, bearer(client, "vic"), raw


def _population(client, headers, area, boundaries):
    reply = client.get(f"/api/areas/{area}?boundaries={boundaries}", headers=headers)
    assert reply.status_code == 200, reply.text
    return {r["period"]: r["count"] for r in reply.json()["population"]}


def test_area_series_in_2018_borders_merges_later_splits(bundled):
    client, headers, raw = bundled
    east = _population(client, headers, EAST, "2018")
    assert east[2000] == raw[(EAST, 2000)]  # 2000-2021 published in these borders
    assert east[2023] == pytest.approx(raw[(EAST, 2023)] + raw[(ABAI, 2023)])  # Abai merged
    assert sorted(east) == list(range(2000, 2024))


def test_area_series_in_2024_borders_splits_earlier_years(bundled):
    client, headers, raw = bundled
    east = _population(client, headers, EAST, "2024")
    assert east[2023] == raw[(EAST, 2023)]
    assert east[2000] < raw[(EAST, 2000)]  # Abai's share taken out by population weight
    abai = _population(client, headers, ABAI, "2024")
    assert east[2000] + abai[2000] == pytest.approx(raw[(EAST, 2000)])
    shymkent = _population(client, headers, SHYMKENT, "2018")
    turkistan = _population(client, headers, TURKISTAN, "2018")
    assert shymkent[2005] + turkistan[2005] == pytest.approx(raw[(TURKISTAN, 2005)])


def test_map_regions_follow_the_chosen_borders(bundled):
    client, headers, _ = bundled
    for boundaries, expected in (("2018", 17), ("2024", 20)):
        page = client.get(f"/?boundaries={boundaries}", headers=headers)
        assert page.status_code == 200
        assert page.text.count('class="region"') == expected
        values = client.get(f"/api/overview?boundaries={boundaries}", headers=headers).json()
        codes = {v["area"] for v in values["values"]}
        assert (ABAI in codes) == (boundaries == "2024") or not codes
    bad = client.get("/api/overview?boundaries=2000", headers=headers)
    assert bad.status_code == 422 and "boundaries" in bad.json()["detail"]


def test_area_page_says_when_the_area_is_not_in_the_chosen_borders(bundled):
    client, headers, _ = bundled
    assert _population(client, headers, ABAI, "2018") == {}
    detail = client.get(f"/api/areas/{ABAI}?boundaries=2018", headers=headers).json()
    assert detail["in_boundaries"] is False
    page = client.get(f"/area/{ABAI}?boundaries=2018", headers=headers, cookies={"lang": "en"})
    assert 'id="not-in-borders"' in page.text
    assert 'id="not-in-borders"' not in client.get(f"/area/{ABAI}", headers=headers).text


def test_population_cells_follow_the_table_content(any_db):
    """The converted cells are cached by content: a changed row shows at once."""
    from kelisim.views import queries

    con = store.connect(any_db)
    build_database(con)

    def zhambyl_2010():
        rows = queries.composition(con, area="310000000", period=2010, totals=True)
        return next(r["count"] for r in rows if r["group"] == "total")

    before = zhambyl_2010()
    con.execute("UPDATE population SET count = count + 10 WHERE dataset = 'regions_annual' "
                "AND area_code = '310000000' AND period = 2010 AND group_code = 'total'")
    assert zhambyl_2010() == before + 10


def test_cells_read_straight_match_the_converted_rows(any_db):
    """A dataset already in the chosen borders is read from the table as it stands
    (store.population.cells_in_version): the same cells as converting it with
    kelisim.datasets.population_frame (convert_boundaries); a dataset of mixed borders is
    left to the conversion."""
    import pandas as pd

    from kelisim.datasets import population_frame
    from kelisim.store import population as population_store

    con = store.connect(any_db)
    build_database(con)
    columns, keys = ["area", "group", "period", "count", "share"], ["area", "group", "period"]
    straight = population_store.cells_in_version(con, "census_national", "2024")
    converted = population_frame(con, "census_national", boundaries="2024")[columns]
    assert len(straight) > 0
    pd.testing.assert_frame_equal(
        straight.sort_values(keys).reset_index(drop=True).astype({"period": "int64"}),
        converted.sort_values(keys).reset_index(drop=True).astype({"period": "int64"}))
    assert population_store.cells_in_version(con, "regions_annual", "2024") is None
    assert population_store.cells_in_version(con, "census_national", "2018") is None
