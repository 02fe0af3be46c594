"""Browser acceptance tests: the real server in a real headless Chromium (Debian's package).

Drives log-in, language switching, opening a region from the map, reviewing a flagged item,
creating an incident as an analyst and being refused as a viewer. Screenshots go to
test-artifacts/. The store holds CONSTRUCTED rows (tests/fixtures/web_seed.sql).
"""

from __future__ import annotations

import pytest

from browser_support import chromium, running_server, screenshot
from conftest import BACKENDS, new_store
from web_support import PASSWORD, seed_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    """uvicorn serving the app on a free loopback port in a background thread."""
    location = new_store(request.param, request, tmp_path_factory.mktemp("web"))
    with running_server(seed_store(location)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _shot(page, name: str) -> None:
    screenshot(page, f"web-{name}")


def _login(browser, server, username):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(server + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server + "/")
    return context, page, problems


def test_analyst_journey(browser, server):
    context, page, problems = _login(browser, server, "ann")
    assert page.locator("#map").is_visible()
    _shot(page, "1-overview-en")
    page.focus("#period")  # the slider (app.js) picks the earlier census and reloads the map
    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**period=2009**")
    assert page.locator("#period-out").inner_text() == "2009"

    page.click("#language-switch a[data-lang=kk]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "kk"
    assert "Шолу" in page.locator("header nav").inner_text()
    page.goto(server + "/monitor")  # the choice is remembered across pages
    assert page.locator("html").get_attribute("lang") == "kk"
    page.click("#language-switch a[data-lang=ru]")
    page.wait_for_load_state()
    assert "Лента отмеченных материалов" in page.locator("h1").inner_text()
    page.goto(server + "/")
    _shot(page, "2-overview-ru")

    page.click("a.region[data-area='550000000'] path", force=True)
    page.wait_for_url(server + "/area/550000000?boundaries=2024")
    assert page.locator("#area-name").inner_text() == "Павлодарская область"
    _shot(page, "3-area-ru")

    page.click("#language-switch a[data-lang=en]")
    page.goto(server + "/monitor")
    item = page.locator("li.item[data-doc=d1]")
    item.locator("button.agree").click()
    page.wait_for_load_state()
    assert "Agree" in page.locator("li.item[data-doc=d1] .badge.reviewed").inner_text()
    reviews = page.request.get(server + "/api/monitor/d1/reviews").json()
    assert [(r["username"], r["verdict"]) for r in reviews] == [("ann", "agree")]
    _shot(page, "4-monitor-reviewed")

    page.goto(server + "/incidents")
    page.click("#new-incident")
    page.fill("input[name=date_start]", "2024-05-01")
    page.select_option("select[name=region_code]", "110000000")
    page.fill("input[name=place]", "Browser-test place")
    page.fill("input[name=lat]", "51.2")
    page.fill("input[name=lon]", "71.4")
    page.fill("textarea[name=summary]", "Constructed incident entered by the browser test.")
    _shot(page, "5-incident-form")
    page.click("#save-incident")
    page.wait_for_url(server + "/incidents")
    assert "Browser-test place" in page.locator("#incident-list").inner_text()
    _shot(page, "6-incidents")
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()


def test_viewer_is_refused(browser, server):
    context, page, _ = _login(browser, server, "vic")
    page.goto(server + "/incidents")
    assert page.locator("#new-incident").count() == 0
    assert page.locator("form.review").count() == 0
    response = page.goto(server + "/incidents/new")
    assert response.status == 403
    assert "analyst" in page.locator("#error-message").inner_text()
    _shot(page, "7-viewer-refused")
    context.close()


def test_api_docs_work_offline(browser, server):
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(server + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "kelisim" in page.locator(".swagger-ui .info .title").inner_text()
    assert not [p for p in problems if "Content Security Policy" in p], problems
    _shot(page, "8-api-docs")
    page.close()
