"""Briefs: the printable HTML page and its PDF (store rows CONSTRUCTED, web_seed.sql)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kelisim import store
from kelisim.cli import app
from kelisim.report import brief_data, brief_html
from web_support import seed_store


@pytest.fixture()
def con(any_db):
    connection = store.connect(seed_store(any_db))
    yield connection
    connection.close()


def test_brief_data_and_html(con):
    data = brief_data(con, "550000000", None, "ru")
    assert data["period"] == 2021 and data["name"] == "Павлодарская область"
    assert [r["group"] for r in data["composition"]] == ["kazakh", "russian", "other"]
    assert [r["scenario"] for r in data["projections"]] == ["low"]
    html = brief_html(con, "550000000", 2021, "kk", standalone=True)
    assert "<style>" in html and "Павлодар облысы" in html and "href=\"/" not in html
    assert '<link rel="stylesheet" href="/brief.css">' in brief_html(con, "550000000", 2021, "en")


def test_brief_cli_html_and_bad_arguments(tmp_path, any_db):
    db = str(seed_store(any_db))
    out = tmp_path / "brief.html"
    runner = CliRunner()
    result = runner.invoke(app, ["brief", "550000000", "-o", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert "Pavlodar Region" in out.read_text(encoding="utf-8")
    result = runner.invoke(app, ["brief", "550000000", "-o", str(tmp_path / "b.doc"), "--db", db])
    assert "must end in .html or .pdf" in str(result.exception)


@pytest.mark.browser
def test_brief_pdf(con):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no Chromium at /usr/bin/chromium: install the Debian package 'chromium'")
    pytest.importorskip("playwright.sync_api")
    from kelisim.report import brief_pdf

    pdf = brief_pdf(brief_html(con, "550000000", 2021, "en", standalone=True))
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
