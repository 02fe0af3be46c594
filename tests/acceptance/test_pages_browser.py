"""The dashboard in a real headless Chromium (Debian's package through Playwright), as a new
user meets it (issue 9): every control of every page used once, the language switched on
each page, every answer an HTML page (never raw JSON or a traceback), no 404 for any resource
(the favicon included) and no script error. The store: bundled data plus CONSTRUCTED monitor
items and alerts (pages_support.py). Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from browser_support import chromium, running_server, screenshot, skip_without_chromium
from conftest import BACKENDS
from kelisim.views.i18n import Terms, catalogue

from .pages_support import (
    CONSTRUCTED_ITEMS,
    PASSWORD,
    ZHAMBYL,
    assert_is_page,
    bundled_store,
)

KK = catalogue("kk")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    skip_without_chromium()
    with running_server(bundled_store(request, tmp_path_factory, request.param)) as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    """One Chromium tab whose browser asks for Kazakh, logged in as the admin; every document
    answer and every failed resource is recorded for the checks."""
    with chromium() as browser:
        context = browser.new_context(locale="kk-KZ", viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.documents, tab.failures, tab.script_errors = [], [], []

        def record(response):
            if response.request.resource_type == "document":
                tab.documents.append((response.url, response.status,
                                      response.headers.get("content-type", "")))
            elif response.status >= 400:
                tab.failures.append(f"{response.status} {response.url}")

        tab.on("response", record)
        tab.on("console", lambda m: tab.script_errors.append(m.text) if m.type == "error"
               else None)
        tab.goto(server + "/")
        tab.fill("input[name=username]", "ada")
        tab.fill("input[name=password]", PASSWORD)
        tab.click("#login-form button[type=submit]")
        tab.wait_for_url(server + "/")
        tab.base = server
        yield tab


def _check_documents(tab) -> None:
    """Every page answer so far was an HTML page (JSON would be application/json), none
    failed, nothing failed to load and no script failed; the page shown is no traceback."""
    for url, status, content_type in tab.documents:
        if 300 <= status < 400:  # the language switch and forms redirect
            continue
        assert status < 400 and content_type.startswith("text/html"), (url, status, content_type)
    tab.documents.clear()
    assert tab.failures == [] and tab.script_errors == []
    assert_is_page(200, "text/html", tab.content(), tab.locator("html").get_attribute("lang"))


def _heading(tab) -> str:
    return tab.locator("h1").inner_text().strip()


def _choose(tab, selector: str, value: str) -> None:
    """Pick an option of an auto-submitting select and wait for the page it loads."""
    with tab.expect_navigation():
        tab.select_option(selector, value)


def _where(tab) -> tuple[str, set]:
    """The page's path and its non-empty parameters."""
    address = urlsplit(tab.url)
    return address.path, set(parse_qsl(address.query))


def _switch_language(tab, heading_key: str | None, languages=("ru", "kk")) -> None:
    """Switch from the header (and back to Kazakh), the page staying the same."""
    where = _where(tab)
    for lang in languages:
        with tab.expect_navigation():
            tab.click(f"#language-switch a[data-lang={lang}]")
        assert tab.locator("html").get_attribute("lang") == lang
        assert _where(tab) == where
        if heading_key:
            assert _heading(tab) == catalogue(lang)[heading_key]


def test_overview_every_indicator_border_group_and_period(page):
    assert _heading(page) == KK["overview_title"]  # the browser's language, unasked
    for indicator in ("diversity", "segregation", "tension", "share"):
        _choose(page, "#overview-controls select[name=indicator]", indicator)
        assert f"indicator={indicator}" in page.url
        assert _heading(page) == KK["overview_title"]
        if page.locator("#map-empty").count():
            assert KK["indicator_empty"] in page.locator("#map-empty").inner_text()
    _choose(page, "#overview-controls select[name=group]", "russian")
    assert "group=russian" in page.url
    assert re.search(r"\d+,\d%", page.locator("table.compact").first.inner_text())
    if page.locator("#period").count():
        before = page.locator("#period-out").inner_text()
        page.focus("#period")
        with page.expect_navigation():
            page.keyboard.press("ArrowLeft")
        assert page.locator("#period-out").inner_text() != before
    assert page.locator("a.region").count() == 20
    _choose(page, "#overview-controls select[name=boundaries]", "2018")
    assert page.locator("a.region").count() == 17
    _switch_language(page, "overview_title", ("ru", "en", "kk"))
    screenshot(page, "pages-overview-kk")
    _check_documents(page)


def test_area_page_borders_brief_and_incidents(page):
    with page.expect_navigation():
        page.click(f"a.region[data-area='{ZHAMBYL}'] path", force=True)
    assert page.locator("#area-name").inner_text().startswith("Жамбыл")
    incidents = page.locator("section", has=page.locator(f"h2:text-is('{KK['incidents']}')"))
    dates = incidents.locator("td.date").all_inner_texts()
    assert len(dates) >= 2
    _choose(page, "#boundaries-form select[name=boundaries]", "2018")
    assert "boundaries=2018" in page.url
    _choose(page, "#boundaries-form select[name=boundaries]", "2024")
    _switch_language(page, None)
    with page.expect_navigation():
        page.click("#brief-link")
    brief = page.locator("body").inner_text()
    incidents = brief.split(KK["incidents"], 1)[1].split(KK["activities"])[0]
    assert KK["none_recorded"] not in incidents
    assert all(day in brief for day in dates)  # the brief lists the page's incidents
    page.go_back()
    _check_documents(page)


def test_monitor_every_filter_and_paging(page):
    page.goto(page.base + "/monitor")
    assert _heading(page) == KK["monitor_title"]
    assert f"Материалдар: {CONSTRUCTED_ITEMS}" in page.locator("#pager-top").inner_text()
    titles = page.locator("li.item .title").all_inner_texts()
    assert len(titles) == 20 and not any(re.fullmatch(r"[0-9a-f]{32}", t) for t in titles)
    with page.expect_navigation():
        page.click("#pager-top a.next")
    assert "2" in page.locator("#pager-top").inner_text()
    with page.expect_navigation():
        page.click("#pager-bottom a.previous")
    assert page.locator("li.item").count() == 20
    form = "#monitor-filters"
    page.select_option(f"{form} select[name=area]", ZHAMBYL)
    page.select_option(f"{form} select[name=group]", "dungan")
    page.select_option(f"{form} select[name=tier_min]", "3")
    page.select_option(f"{form} select[name=language]", "ru")
    page.fill(f"{form} input[name=date_from]", "2026-11-01")
    page.fill(f"{form} input[name=date_to]", "2026-11-30")
    page.select_option(f"{form} select[name=per_page]", "50")
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    shown = page.locator("li.item").count()
    assert 0 < shown < CONSTRUCTED_ITEMS
    assert f"Материалдар: {shown}" in page.locator("#pager-top").inner_text()
    assert "дүнгендер" in page.locator("li.item details").first.text_content()
    _switch_language(page, "monitor_title")
    _check_documents(page)


def test_incidents_legend_and_filters(page):
    page.goto(page.base + "/incidents")
    assert page.locator("#incident-legend").is_visible()
    assert KK["legend_incident"] in page.locator("#incident-legend").inner_text()
    page.select_option("form.controls select[name=area]", ZHAMBYL)
    page.fill("form.controls input[name=year]", "2020")
    with page.expect_navigation():
        page.click("form.controls button[type=submit]")
    assert page.locator("#incident-list tbody tr").count() == 1
    page.fill("form.controls input[name=year]", "")  # cleared: year= must not be an error
    with page.expect_navigation():
        page.click("form.controls button[type=submit]")
    assert page.locator("#incident-list tbody tr").count() >= 2
    _switch_language(page, "incidents_title")
    _check_documents(page)


def test_forecasts_every_selector(page):
    page.goto(page.base + "/forecasts")
    header = page.locator("#scenarios thead").inner_text()
    assert Terms("kk").label("scenario", "calibrated") in header and "calibrated" not in header
    first = page.locator("#scenarios tbody tr").first.inner_text()
    assert "19\u00a0186\u00a0015" in first and "e+" not in first
    page.select_option("form.controls select[name=run]", "trend_census_national")
    page.select_option("form.controls select[name=group]", "kazakh")
    with page.expect_navigation():
        page.click("form.controls button[type=submit]")
    assert page.locator("#scenarios tbody tr").count() == 2  # 2030 and 2040
    page.select_option("form.controls select[name=area]", ZHAMBYL)
    with page.expect_navigation():
        page.click("form.controls button[type=submit]")
    assert page.locator("#no-forecasts").inner_text() == KK["no_forecasts"]
    _switch_language(page, "forecasts_title")
    _check_documents(page)


def test_a_wrong_address_is_a_page_in_the_language(page):
    page.goto(page.base + "/area/999999999")
    assert _heading(page) == KK["not_found"]
    page.goto(page.base + "/?period=abc")
    assert _heading(page) == KK["bad_request"]
    with page.expect_navigation():
        page.click("#error-message ~ p a")
    assert _heading(page) == KK["overview_title"]
    assert len(page.script_errors) == 2  # Chromium notes the intended 404 and 422
    page.documents.clear()
    page.script_errors.clear()
    assert page.failures == []
