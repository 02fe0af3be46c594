"""One incident validator (kelisim.incidents.model) behind every entry point: the file importer,
the JSON API and the dashboard's form reject the same bad rows with the same sentence, and
accept coordinates anywhere on the globe (issue 10). Rows are CONSTRUCTED."""

from __future__ import annotations

import html

import pytest

from conftest import BACKENDS, new_store
from kelisim.errors import InputError
from kelisim.incidents import read_incidents
from kelisim.incidents.model import IncidentInvalid, check_incident
from web_support import PASSWORD, bearer, client_for, seed_store

GOOD = {"date_start": "2024-04-02", "date_end": "2024-04-03", "area_code": "551010000",
        "place": "Constructed", "lat": "52.0", "lon": "77.0", "interethnic": "no",
        "groups": "kazakh", "fatalities": "0", "confidence": "medium"}
# field, bad value, the sentence every entry point says
BAD_ROWS = [
    ("lat", "95", "95 is outside -90..90"),
    ("lon", "-200.5", "-200.5 is outside -180..180"),
    ("date_end", "2024-04-01", "the incident ends before it starts"),
    ("groups", "martian", "unknown group 'martian'; did you mean mari or latvian or altai?"),
    ("fatalities", "-1", "-1 is outside 0..1000000"),
    ("interethnic", "maybe", "use yes, no or disputed"),
    ("confidence", "sure", "use high, medium or low"),
    ("area_code", "5510", "'5510' is not a 9-digit KATO code"),
]
IDS = [field for field, _, _ in BAD_ROWS]


def _csv(values: dict) -> bytes:
    row = {"incident_id": "bad-1", **values}
    return (",".join(row) + "\n" + ",".join(row.values()) + "\n").encode()


def _api_body(values: dict) -> dict:
    body = {k: v for k, v in values.items() if k not in ("groups",)}
    return {**body, "groups": values["groups"].split(";")}


@pytest.fixture(scope="module", params=BACKENDS)
def analyst(request, tmp_path_factory):
    location = new_store(request.param, request, tmp_path_factory.mktemp("incidents"))
    with client_for(seed_store(location)) as client:
        client.get("/login")
        client.post("/login", data={"username": "ann", "password": PASSWORD,
                                    "csrf_token": client.cookies["kelisim_csrf"]})
        client.headers.update(bearer(client, "ann"))
        yield client


def test_a_good_row_passes_everywhere_and_far_from_kazakhstan(analyst):
    """A point in Patagonia is a valid incident: the tool serves any country."""
    far = {**GOOD, "lat": "-41.1", "lon": "-71.3"}
    frame = read_incidents("good.csv", content=_csv(far))
    assert frame.iloc[0]["lat"] == -41.1 and frame.iloc[0]["region_code"] == "550000000"
    reply = analyst.post("/api/incidents", json=_api_body(far))
    assert reply.status_code == 201, reply.text
    assert reply.json()["region_code"] == "550000000"  # derived from the area, as on import


@pytest.mark.parametrize(("field", "value", "sentence"), BAD_ROWS, ids=IDS)
def test_importer_api_and_form_say_the_same_sentence(analyst, field, value, sentence):
    bad = {**GOOD, field: value}
    stop = "" if sentence.endswith("?") else "."
    with pytest.raises(InputError) as caught:
        read_incidents("bad.csv", content=_csv(bad))
    assert str(caught.value) == f"bad.csv, row 2, column {field}: {sentence}{stop}"
    reply = analyst.post("/api/incidents", json=_api_body(bad))
    assert reply.status_code == 422
    assert reply.json()["detail"] == f"{field}: {sentence}{stop}"
    form = {**bad, "csrf_token": analyst.cookies["kelisim_csrf"]}
    page = analyst.post("/incidents/new", data=form)
    assert page.status_code == 422
    assert f"{field}: {sentence}" in html.unescape(page.text)


def test_the_validator_names_the_field():
    with pytest.raises(IncidentInvalid) as caught:
        check_incident({"date_start": None, "lat": 91.0})
    assert (caught.value.field, caught.value.message) == ("lat", "91 is outside -90..90")
