"""JSON API: every route, its data, 401/403 for writes without the right role, 422 messages.

The store holds CONSTRUCTED rows (tests/fixtures/web_seed.sql).
"""

from __future__ import annotations

import pytest

from conftest import BACKENDS, new_store
from kelisim import store
from web_support import bearer, client_for, seed_store

INCIDENT = {"date_start": "2024-04-02", "region_code": "550000000", "place": "Constructed",
            "lat": 52.0, "lon": 77.0, "interethnic": "no", "groups": ["kazakh"],
            "summary": "Constructed incident.", "sources": ["https://example.org/x"]}


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, tmp_path_factory):
    """The app over a seeded store of each backend in turn."""
    location = new_store(request.param, request, tmp_path_factory.mktemp("api"))
    with client_for(seed_store(location)) as c:
        yield c


@pytest.fixture(scope="module")
def headers(client):
    return {name: bearer(client, name) for name in ("ada", "ann", "vic")}


READ_ROUTES = [
    "/api/meta", "/api/overview", "/api/areas", "/api/groups", "/api/areas/550000000",
    "/api/monitor", "/api/monitor/d1/reviews", "/api/incidents", "/api/incidents/t-1",
    "/api/forecasts", "/api/brief/550000000",
]


@pytest.mark.parametrize("route", READ_ROUTES)
def test_reads_need_login_unless_allowed(client, headers, route):
    assert client.get(route).status_code == 401
    assert client.get(route, headers=headers["vic"]).status_code == 200


def test_anonymous_read_when_admin_allows(any_db):
    with client_for(seed_store(any_db), {"anonymous_read": True}) as c:
        assert c.get("/api/overview").status_code == 200
        assert c.post("/api/incidents", json=INCIDENT).status_code == 401


def test_health_meta_and_docs_are_offline(client, headers):
    assert client.get("/api/health").json() == {"status": "ok"}
    meta = client.get("/api/meta", headers=headers["vic"]).json()
    assert meta["periods"] == [2009, 2021] and meta["runs"] == ["test-run"]
    docs = client.get("/docs").text
    assert "/swagger-ui/swagger-ui-bundle.js" in docs and "http" not in docs.split("<body>")[1]
    assert client.get("/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert "/api/overview" in client.get("/openapi.json").json()["paths"]


def test_overview_share_by_region_and_language(client, headers):
    data = client.get("/api/overview?group=russian&period=2021&lang=ru",
                      headers=headers["vic"]).json()
    values = {v["area"]: (v["name"], v["value"]) for v in data["values"]}
    assert values["550000000"] == ("Павлодарская область", pytest.approx(0.4))
    assert values["110000000"][1] == pytest.approx(0.3)
    assert data["periods"] == [2009, 2021]
    assert data["alerts"][0]["alert_id"] == "a2"


def test_overview_tension(client, headers):
    tension = client.get("/api/overview?indicator=tension", headers=headers["vic"]).json()
    assert tension["period"] == 2024
    assert {v["area"]: v["value"] for v in tension["values"]} == {
        "110000000": pytest.approx(0.2), "550000000": pytest.approx(0.5)}


def test_bad_parameters_give_clear_422(client, headers):
    reply = client.get("/api/overview?indicator=nonsense", headers=headers["vic"])
    assert reply.status_code == 422
    assert reply.json()["detail"].startswith("query.indicator: Input should be")
    reply = client.get("/api/monitor?tier_min=9", headers=headers["vic"])
    assert "query.tier_min: Input should be less than or equal to 5" in reply.json()["detail"]
    reply = client.get("/api/monitor?area=55", headers=headers["vic"])
    assert reply.status_code == 422 and "query.area" in reply.json()["detail"]
    reply = client.get("/api/monitor?date_from=2024-03-09&date_to=2024-03-01",
                       headers=headers["vic"])
    assert reply.json()["detail"] == "date_to is before date_from."


def test_area_detail(client, headers):
    detail = client.get("/api/areas/550000000?lang=kk", headers=headers["vic"]).json()
    assert detail["name"] == "Павлодар облысы"
    shares = {(r["group"], r["period"]): r["share"] for r in detail["composition"]}
    assert shares[("kazakh", 2021)] == pytest.approx(0.5)
    assert [p["period"] for p in detail["projections"]] == [2030]
    assert [i["incident_id"] for i in detail["incidents"]] == ["t-1"]
    assert [d["doc_id"] for d in detail["flagged"]] == ["d1"]
    assert detail["flagged"][0]["rationale"]["hits"][0]["rule"] == "constructed_rule"
    assert client.get("/api/areas/999999999", headers=headers["vic"]).status_code == 404


def test_monitor_filters(client, headers):
    def ids(query):
        reply = client.get(f"/api/monitor?{query}", headers=headers["vic"])
        return [d["doc_id"] for d in reply.json()]

    assert ids("") == ["d1", "d2"]
    assert ids("tier_min=1") == ["d1", "d2", "d3"]
    assert ids("area=110000000") == ["d2"]
    assert ids("group=russian") == ["d1"]
    assert ids("language=kk") == ["d2"]
    assert ids("date_from=2024-03-06") == ["d1"]
    assert ids("date_to=2024-03-05") == ["d2"]


def test_reviews_are_role_checked_stored_and_audited(client, headers):
    body = {"verdict": "change_tier", "tier": 4}
    assert client.post("/api/monitor/d2/reviews", json=body).status_code == 401
    assert client.post("/api/monitor/d2/reviews", json=body,
                       headers=headers["vic"]).status_code == 403
    reply = client.post("/api/monitor/d2/reviews", json=body, headers=headers["ann"])
    assert reply.status_code == 201 and reply.json()["tier"] == 4
    reply = client.post("/api/monitor/d2/reviews", json={"verdict": "change_tier"},
                        headers=headers["ann"])
    assert reply.status_code == 422 and "needs a tier" in reply.json()["detail"]
    assert client.post("/api/monitor/nope/reviews", json={"verdict": "agree"},
                       headers=headers["ann"]).status_code == 404
    feed = client.get("/api/monitor?area=110000000", headers=headers["vic"]).json()
    assert (feed[0]["review_verdict"], feed[0]["review_tier"]) == ("change_tier", 4)
    audit = client.get("/api/audit", headers=headers["ada"]).json()
    assert any(a["action"] == "review.create" and a["object"] == "d2" and a["who"] == "ann"
               for a in audit)


def test_cookie_session_writes_need_csrf(client, headers):
    from kelisim.web.deps import SESSION_COOKIE, session_csrf

    token = headers["ann"]["Authorization"].split()[1]
    client.cookies.clear()
    client.cookies.update({SESSION_COOKIE: token, "kelisim_csrf": "abc"})
    reply = client.post("/api/incidents", json=INCIDENT)
    assert reply.status_code == 403 and "security token" in reply.json()["detail"]
    reply = client.post("/api/incidents", json=INCIDENT, headers={"X-CSRF-Token": "abc"})
    assert reply.status_code == 403  # the token must be the one bound to the session
    reply = client.post("/api/incidents", json=INCIDENT,
                        headers={"X-CSRF-Token": session_csrf(token)})
    assert reply.status_code == 201
    client.cookies.clear()


def test_incidents_create_update_and_refusals(client, headers):
    assert client.post("/api/incidents", json=INCIDENT).status_code == 401
    assert client.post("/api/incidents", json=INCIDENT, headers=headers["vic"]).status_code == 403
    created = client.post("/api/incidents", json=INCIDENT, headers=headers["ann"]).json()
    assert created["origin"] == "web" and created["groups"] == ["kazakh"]
    changed = {**INCIDENT, "fatalities": 1}
    url = f"/api/incidents/{created['incident_id']}"
    assert client.put(url, json=changed, headers=headers["vic"]).status_code == 403
    assert client.put(url, json=changed, headers=headers["ann"]).json()["fatalities"] == 1
    assert client.put("/api/incidents/none", json=changed,
                      headers=headers["ann"]).status_code == 404
    bad = client.post("/api/incidents", json={**INCIDENT, "date_end": "2024-01-01"},
                      headers=headers["ann"])
    assert bad.status_code == 422
    assert bad.json()["detail"] == "date_end: the incident ends before it starts."
    listed = client.get("/api/incidents?area=550000000&year=2024", headers=headers["vic"]).json()
    assert created["incident_id"] in [i["incident_id"] for i in listed]
    assert client.get("/api/incidents/none", headers=headers["vic"]).status_code == 404


def test_incident_import_all_or_nothing(client, headers):
    good = ("incident_id,date_start,place,groups\nc-1,2024-06-01,A,kazakh;russian\n"
            "c-2,2024-06-02,B,\n")
    files = {"file": ("inc.csv", good, "text/csv")}
    assert client.post("/api/incidents/import", files=files,
                       headers=headers["vic"]).status_code == 403
    reply = client.post("/api/incidents/import", files=files, headers=headers["ann"])
    assert reply.json() == {"imported": 2, "incident_ids": ["c-1", "c-2"]}
    before = client.get("/api/incidents", headers=headers["vic"]).json()
    bad = "incident_id,date_start,place,lat\nc-1,2024-06-01,Changed,51\nc-3,2024-06-02,B,99\n"
    reply = client.post("/api/incidents/import", files={"file": ("bad.csv", bad, "text/csv")},
                        headers=headers["ann"])
    assert reply.status_code == 422
    assert reply.json()["detail"] == "bad.csv, row 3, column lat: 99 is outside -90..90."
    assert client.get("/api/incidents", headers=headers["vic"]).json() == before
    empty = client.post("/api/incidents/import", files={"file": ("empty.csv", "", "text/csv")},
                        headers=headers["ann"])
    assert empty.status_code == 422 and empty.json()["detail"].startswith("empty.csv, row 1:")


def test_incident_import_reads_acled_like_the_cli(client, headers):
    """The upload goes through kelisim.incidents.read_incidents: an ACLED export (constructed
    row) is recognised and its region resolved from admin1."""
    acled = ("event_id_cnty,event_date,event_type,admin1,location,latitude,longitude,fatalities\n"
             "KAZ9,2024-05-02,Protests,Zhambyl,Taraz,42.9,71.4,0\n")
    reply = client.post("/api/incidents/import", headers=headers["ann"],
                        files={"file": ("acled.csv", acled, "text/csv")})
    assert reply.json() == {"imported": 1, "incident_ids": ["acled:KAZ9"]}
    row = client.get("/api/incidents/acled:KAZ9", headers=headers["vic"]).json()
    assert row["region_code"] == "310000000" and row["origin"] == "acled"


def test_forecast_scenarios_side_by_side(client, headers):
    data = client.get("/api/forecasts", headers=headers["vic"]).json()
    assert data["run"] == "test-run" and sorted(data["scenarios"]) == ["high", "low"]
    assert [r["count"] for r in data["scenarios"]["high"]] == [102, 112]
    empty = client.get("/api/forecasts?area=110000000", headers=headers["vic"]).json()
    assert empty["scenarios"] == {}
    summed = client.get("/api/forecasts?area=750000000", headers=headers["vic"]).json()
    row = summed["scenarios"]["mid"][0]
    assert (row["count"], row["lower95"]) == (30.0, None)  # kazakh 20 + russian 10
    russian = client.get("/api/forecasts?area=750000000&group=russian",
                         headers=headers["vic"]).json()
    assert russian["scenarios"]["mid"][0]["lower95"] == 8


def test_brief_data(client, headers):
    data = client.get("/api/brief/550000000?period=2021&lang=en", headers=headers["vic"]).json()
    assert data["name"] == "Pavlodar Region" and data["period"] == 2021
    assert data["composition"][0]["group"] == "kazakh"
    assert client.get("/api/brief/999999999", headers=headers["vic"]).status_code == 404


def test_users_and_settings_are_admin_only(client, headers):
    new = {"username": "newbie", "password": "long-enough-1", "role": "viewer"}
    assert client.get("/api/users", headers=headers["ann"]).status_code == 403
    assert client.post("/api/users", json=new, headers=headers["ann"]).status_code == 403
    assert client.post("/api/users", json=new, headers=headers["ada"]).status_code == 201
    again = client.post("/api/users", json=new, headers=headers["ada"])
    assert again.status_code == 422 and "already exists" in again.json()["detail"]
    names = [u["username"] for u in client.get("/api/users", headers=headers["ada"]).json()]
    assert "newbie" in names
    token = client.post("/api/auth/token", json={"username": "newbie",
                                                 "password": "long-enough-1"}).json()["token"]
    newbie = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/users/newbie/disable", headers=headers["ann"]).status_code == 403
    assert client.post("/api/users/newbie/disable", headers=headers["ada"]).status_code == 204
    assert client.get("/api/meta", headers=newbie).status_code == 401
    assert client.get("/api/settings", headers=headers["ann"]).status_code == 403
    reply = client.put("/api/settings", json={"anonymous_read": True}, headers=headers["ada"])
    assert reply.json() == {"anonymous_read": True}
    assert client.get("/api/overview").status_code == 200
    client.put("/api/settings", json={"anonymous_read": False}, headers=headers["ada"])
    assert client.get("/api/overview").status_code == 401
    actions = [a["action"] for a in client.get("/api/audit", headers=headers["ada"]).json()]
    assert {"user.add", "user.disable", "settings.update"} <= set(actions)


def test_wrong_password_is_refused(client):
    reply = client.post("/api/auth/token", json={"username": "ann", "password": "wrong-pass"})
    assert reply.status_code == 401


def test_diversity_map_uses_complete_compositions_only(any_db):
    path = seed_store(any_db)
    con = store.connect(path)  # constructed: one group of 5,000 published
    con.execute("INSERT INTO population (dataset, area_code, group_code, period, count) "
                "VALUES ('test', '390000000', 'total', 2021, 5000), "
                "('test', '390000000', 'ukrainian', 2021, 400)")
    con.close()
    with client_for(path) as c:
        data = c.get("/api/overview?indicator=diversity&index=fractionalization",
                     headers=bearer(c, "vic")).json()
    assert data["period"] == 2021 and data["index"] == "fractionalization"
    values = {v["area"]: v["value"] for v in data["values"]}
    # kelisim.measure's fractionalization, 1 - sum of squared shares, computed by hand
    assert values["550000000"] == pytest.approx(1 - 0.5**2 - 0.4**2 - 0.1**2)
    assert "390000000" not in values  # 8% of the population published: no index shown


def test_incidents_in_a_bounding_box(client, headers):
    """The map's box: the same rows on DuckDB and PostgreSQL (with PostGIS where present)."""
    near = client.post("/api/incidents", json={**INCIDENT, "lat": 52.3, "lon": 76.9},
                       headers=headers["ann"]).json()["incident_id"]
    far = client.post("/api/incidents", json={**INCIDENT, "lat": 43.2, "lon": 76.9},
                      headers=headers["ann"]).json()["incident_id"]
    reply = client.get("/api/incidents?bbox=76.5,52,77.5,52.5", headers=headers["vic"])
    assert reply.status_code == 200, reply.text
    shown = [i["incident_id"] for i in reply.json()]
    assert near in shown and far not in shown
    assert all(76.5 <= i["lon"] <= 77.5 and 52 <= i["lat"] <= 52.5 for i in reply.json())
    for bad in ("1,2,3", "77.5,52,76.5,52.5", "0,-91,1,0", "a,b,c,d"):
        refused = client.get(f"/api/incidents?bbox={bad}", headers=headers["vic"])
        assert refused.status_code == 422, bad
    refused = client.get("/api/incidents?bbox=77.5,52,76.5,52.5", headers=headers["vic"])
    assert refused.json()["detail"].startswith("bbox: west,south,east,north must be degrees")
