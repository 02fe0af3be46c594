"""Activities and evaluation in the web app: API (role-checked, audited, one-sentence 422s),
the Activities and evaluation pages, and the area brief listing activities. Store rows are
CONSTRUCTED (web_seed.sql, tests/evaluate_support.py)."""

from __future__ import annotations

import pytest

from conftest import BACKENDS, new_store
from evaluate_support import council_activities_file, trust_indicator_file
from web_support import bearer, client_for, seed_store


def flat_indicator_file(folder):
    """CONSTRUCTED: an indicator that is 0 in every region and month (as incidents are where
    none happened): no estimate has a spread to measure."""
    import pandas as pd

    from kelisim.core.areas import areas

    regions = sorted(areas("2024").query("level == 'region'")["area_code"])
    months = [m.strftime("%Y-%m") for m in pd.date_range("2020-01-01", periods=36, freq="MS")]
    path = folder / "flat.csv"
    pd.DataFrame([("flat", region, month, 0.0) for region in regions for month in months],
                 columns=["indicator", "area", "period", "value"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def client(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate-web")
    path = seed_store(new_store(request.param, request, folder))
    from kelisim import store
    from kelisim.evaluate.register import import_activities, import_indicators

    con = store.connect(path)
    import_indicators(con, trust_indicator_file(folder))
    import_indicators(con, flat_indicator_file(folder))
    import_activities(con, council_activities_file(folder))
    con.close()
    with client_for(path, {"anonymous_read": True}) as c:
        yield c


def test_api_lists_bundled_and_imported_activities(client):
    rows = client.get("/api/activities").json()
    ids = {r["activity_id"] for r in rows}
    assert {"APK-2023-XXXII", "PC-0"} <= ids
    councils = client.get("/api/activities", params={"type": "public_council"}).json()
    assert len(councils) == 6 and all(r["source"].startswith("https://") for r in councils)


def test_area_filter_keeps_to_the_area_kato_code(client):
    """Abai region (100000000) holds one council; Ulytau 110000000 and Akmola 190000000 share
    its first digit but not its two region digits (KATO AB CD EF HHH)."""
    rows = client.get("/api/activities", params={"area": "100000000",
                                                 "type": "public_council"}).json()
    assert [r["area_code"] for r in rows] == ["100000000"]


def test_api_create_is_role_checked_audited_and_validated(client):
    body = {"type": "cultural_festival", "area": "550000000", "date_start": "2024-05-01",
            "source": "https://example.org/festival", "groups": "Kazakhs;Uzbeks"}
    assert client.post("/api/activities", json=body,
                       headers=bearer(client, "vic")).status_code == 403
    reply = client.post("/api/activities", json=body, headers=bearer(client, "ann"))
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["groups"] == ["kazakh", "uzbek"] and created["activity_id"].startswith("ACT-")
    audit = client.get("/api/audit", headers=bearer(client, "ada")).json()
    assert any(e["action"] == "activity.create" and e["object"] == created["activity_id"]
               for e in audit)
    bad = client.post("/api/activities", json={**body, "type": "festivall"},
                      headers=bearer(client, "ann"))
    assert bad.status_code == 422
    assert bad.json()["detail"] == ("activity, row 2, column type: unknown activity type "
                                    "'festivall'; did you mean cultural_festival?")


def test_admin_extends_the_type_list(client):
    body = {"type_code": "youth_camp", "name_kk": "Жастар лагері",
            "name_ru": "Молодёжный лагерь", "name_en": "Youth camp"}
    assert client.post("/api/activity-types", json=body,
                       headers=bearer(client, "ann")).status_code == 403
    assert client.post("/api/activity-types", json=body,
                       headers=bearer(client, "ada")).status_code == 201
    codes = {t["type_code"] for t in client.get("/api/activity-types").json()}
    assert "youth_camp" in codes


def test_import_through_the_api_is_all_or_nothing(client):
    before = len(client.get("/api/activities").json())
    content = (b"type,area,date_start,source\npublic_council,Mangystau,2021-01-01,x\n"
               b"public_council,Nowhere,2021-01-01,x\n")
    reply = client.post("/api/activities/import", files={"file": ("acts.csv", content)},
                        headers=bearer(client, "ann"))
    assert reply.status_code == 422
    assert reply.json()["detail"].startswith("acts.csv, row 3, column area: unknown area")
    assert len(client.get("/api/activities").json()) == before


def test_activities_page_shows_register_map_and_timeline(client):
    page = client.get("/activities", headers={"accept-language": "ru"}).text
    assert "Реестр мероприятий" in page
    assert 'id="activity-map"' in page and 'id="activity-list"' in page
    assert '<svg class="chart"' in page
    assert "example.org/0" in page


def test_evaluation_page_shows_event_study_conclusion_and_assumptions(client):
    reply = client.get("/evaluate", params={"activity_type": "public_council",
                                            "outcome": "indicator:trust"},
                       headers={"accept-language": "en"})
    assert reply.status_code == 200, reply.text
    page = reply.text
    assert 'id="event-study"' in page and '<svg class="chart"' in page
    assert "The estimated change is" in page and "rose by between" in page
    assert 'id="pretrend"' in page and 'id="power"' in page and "Parallel trends" in page
    kazakh = client.get("/evaluate", params={"activity_type": "public_council",
                                             "outcome": "indicator:trust"},
                        headers={"accept-language": "kk"}).text
    assert "Өзгерістің бағасы" in kazakh


def test_evaluation_page_explains_a_bad_question(client):
    reply = client.get("/evaluate", params={"activity_type": "assembly_session",
                                            "outcome": "indicator:trust"})
    assert reply.status_code == 422
    assert ("no selected activity starts inside the outcome&#39;s periods (2020-01 to 2022-12)"
            in reply.text)


def test_brief_lists_the_areas_activities(client):
    body = {"type": "language_course", "area": "550000000", "date_start": "2022-02-01",
            "source": "https://example.org/course", "organiser": "Constructed organiser"}
    assert client.post("/api/activities", json=body,
                       headers=bearer(client, "ann")).status_code == 201
    page = client.get("/brief/550000000", headers={"accept-language": "en"}).text
    assert 'id="brief-activities"' in page and "Constructed organiser" in page
    assert "Language course" in page


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "the outcome did not vary between areas"),
    ("ru", "исход не менялся между районами"),
    ("kk", "нәтиже аудандар арасында өзгермеді"),
])
def test_evaluation_page_says_why_there_is_no_interval(client, lang, words):
    """An outcome without variation read "95% интервал от до включает отсутствие изменений",
    "0 –" and a blank smallest detectable effect: the page says why, in its language."""
    import re

    page = client.get("/evaluate", params={"activity_type": "public_council",
                                           "outcome": "indicator:flat", "lang": lang}).text
    for section in ("conclusion", "overall", "power"):
        text = re.search(rf'id="{section}".*?</(section|table|p)>', page, re.S).group(0)
        assert words in text, (section, text)
    assert not re.search(r"\d\s*–\s*<", page) and " от  до " not in page
