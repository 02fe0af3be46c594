"""Browser acceptance of issue 14: after importing the CONSTRUCTED census workbook
(tests/workbook_fixtures.py) through the real CLI, the overview map of Kazakhs has no grey
region the workbook covers, and the Zhambyl page shows the settlement-level indices."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from test_official_workbook import kelisim
from test_web_browser import ARGS, ARTIFACTS, CHROMIUM, _free_port
from web_support import PASSWORD
from workbook_fixtures import write_workbook

pytestmark = pytest.mark.browser
# The workbook's regions in the 2024 borders: Zhambyl, East Kazakhstan and Abai (split from
# it in 2022, placed from the settlements), Almaty (city).
COVERED = ["310000000", "630000000", "100000000", "750000000"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import duckdb
    import uvicorn

    from kelisim.web import auth, create_app
    from kelisim.web.mapsvg import NO_DATA

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install the Debian package 'chromium'")
    folder = tmp_path_factory.mktemp("workbook-web")
    db = folder / "k.duckdb"
    code, _, err = kelisim(db, "data", "import", write_workbook(folder / "census.xlsx"),
                           "--name", "census2021")
    assert code == 0, err
    con = duckdb.connect(str(db))
    auth.add_user(con, "ann", PASSWORD, "analyst")
    con.close()
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port,
                                       log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started
    yield f"http://127.0.0.1:{port}", NO_DATA
    uv.should_exit = True
    thread.join(timeout=10)


def test_map_of_kazakhs_and_zhambyl_settlements(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, no_data = server
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/login")
        page.fill("input[name=username]", "ann")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(url + "/")
        page.goto(url + "/?indicator=share&group=kazakh")
        assert page.locator("#period-out").inner_text() == "2021"
        for code in COVERED:
            fill = page.locator(f"a.region[data-area='{code}'] path").get_attribute("fill")
            assert fill != no_data, f"region {code} is grey on the map of Kazakhs"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "workbook-1-kazakhs.png"), full_page=True)
        page.click("a.region[data-area='310000000'] path", force=True)
        page.wait_for_url("**/area/310000000**")
        table = page.locator("#settlement-indices")
        assert table.is_visible()
        assert "multi_theil_h" in table.inner_text() and "within" in table.inner_text()
        assert "9" in table.locator("tr").last.inner_text()  # Zhambyl's 9 settlements
        page.screenshot(path=str(ARTIFACTS / "workbook-2-zhambyl.png"), full_page=True)
        browser.close()
