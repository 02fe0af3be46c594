"""Forecasts page and Kazakhstan area page: group shares over time with 95% intervals and the
census hindcast beside them (issue 12), from a store holding the bundled projections."""

import re

import pytest

from conftest import BACKENDS, new_store
from kelisim.forecast.bundled import bundled_spec
from kelisim.forecast.calibrate import hindcast_table
from kelisim.forecast.pipeline import run_spec, store_projection
from web_support import PASSWORD, client_for, seed_store


@pytest.fixture(scope="module", params=BACKENDS)
def reader(request, tmp_path_factory):
    path = seed_store(new_store(request.param, request, tmp_path_factory.mktemp("shares")))
    store_projection(hindcast_table(draws=200), path)
    store_projection(run_spec(bundled_spec("kazakhstan_national"), draws=8, seed=1), path)
    with client_for(path) as client:
        client.get("/login")
        reply = client.post("/login", data={"username": "vic", "password": PASSWORD,
                                             "csrf_token": client.cookies["kelisim_csrf"]},
                            follow_redirects=False)
        assert reply.status_code == 303
        yield client


def _section(html: str) -> str:
    start = html.index('<section id="group-shares">')
    return html[start:html.index("</section>", start)]


@pytest.mark.parametrize("page", ["/forecasts?run=kazakhstan_national", "/area/000000000"])
def test_group_shares_with_intervals_and_hindcast(reader, page):
    reader.cookies.set("lang", "en")
    section = _section(reader.get(page).text)
    assert "Group shares over time" in section and "<svg" in section
    assert "Calibrated trends, 2051" in section and "Kandas return, 2051" in section
    shares = re.findall(r"(\d+\.\d)%<br><small>95%: (\d+\.\d)%–(\d+\.\d)%", section)
    assert len(shares) >= 50  # 11 groups x 5 scenarios, and the hindcast
    assert all(float(low) <= float(high) for _, low, high in shares)
    assert "e" not in "".join(x for row in shares for x in row)  # no scientific notation
    hindcast = section[section.index('id="hindcast-table"'):]
    assert "2021: census" in hindcast and "2021: projected from 2009" in hindcast
    assert "72.7%" in hindcast  # Kazakhs, share of the ten largest groups at the 2021 census


def test_scenario_names_are_translated(reader):
    reader.cookies.set("lang", "ru")
    section = _section(reader.get("/forecasts?run=kazakhstan_national").text)
    assert "Эмиграция продолжается" in section and "emigration_continues" not in section
    reader.cookies.set("lang", "kk")
    section = _section(reader.get("/forecasts?run=kazakhstan_national").text)
    assert "Қандастардың оралуы" in section


def test_scenario_labels_come_from_terms_only(reader):
    """terms.csv is the one source of scenario labels and definitions: the catalogues hold
    none, and the group-shares section shows the terms' label and definition in each language."""
    from markupsafe import escape

    from kelisim.views.i18n import LANGUAGES, Terms, catalogue

    assert not [key for lang in LANGUAGES for key in catalogue(lang) if key.startswith("scenario_")]
    for lang in LANGUAGES:
        reader.cookies.set("lang", lang)
        section = _section(reader.get("/forecasts?run=kazakhstan_national").text)
        terms = Terms(lang)
        for name in ("calibrated", "emigration_stops", "kandas_return"):
            assert f"{terms.label('scenario', name)}, 2051" in section
            assert str(escape(terms.define("scenario", name))) in section
