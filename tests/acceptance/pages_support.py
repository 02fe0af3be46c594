"""The dashboard as a new user meets it: a fresh store with the bundled data (built as
`make run` builds it), the bundled scenarios run with a few Monte Carlo draws (intervals), and
CONSTRUCTED monitor items and alerts for Zhambyl (not real posts), served by
browser_support.running_server. Shared by test_pages_http.py and test_pages_browser.py."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from conftest import new_store

PASSWORD = "constructed-pw-1"
ACCOUNTS = {"ada": "admin", "ann": "analyst", "vic": "viewer"}
ZHAMBYL = "310000000"
CONSTRUCTED_ITEMS = 45  # monitor items: three pages of 20
_BUILT: dict[str, Path | str] = {}  # backend: the store built once per session


def _constructed_rows(con) -> None:
    """Flagged items (half without a headline) and tension alerts in Zhambyl, CONSTRUCTED."""
    start = datetime(2026, 11, 1, 9, 0)
    for i in range(CONSTRUCTED_ITEMS):
        doc_id = hashlib.md5(f"constructed-{i}".encode()).hexdigest()  # 32 hex, as ingest
        title = f"Constructed headline {i}" if i % 2 == 0 else None
        text = (f"Constructed post {i} about a market dispute in Taraz between neighbours, "
                "written for the tests and not taken from any source.")
        con.execute(
            "INSERT INTO documents (doc_id, source, url, published_at, language, title, text) "
            "VALUES (?, 'constructed-feed', NULL, ?, ?, ?, ?)",
            [doc_id, start + timedelta(hours=7 * i), ("kk", "ru", "en")[i % 3], title, text])
        # the shape monitor/classify.py writes, with rules of the real rule set
        start_at = text.index("market dispute")
        rationale = {"tier_name": "tension", "hits": [
            {"rule": "tension_conflict", "tier": 2 + i % 3, "phrase": "market dispute",
             "span": [start_at, start_at + len("market dispute")]},
            {"rule": "reported:hostility_blame", "tier": 2, "phrase": "between neighbours",
             "span": [0, 0]}],
            "model_scores": {"relevance": {"score": 0.8125, "threshold": 0.45}},
            "places": [{"code": ZHAMBYL, "text": "Taraz", "candidates": [ZHAMBYL]}]}
        con.execute(
            "INSERT INTO classifications (doc_id, relevant, relevance_score, tier, "
            "hostility_score, groups, places, rationale, model) VALUES "
            "(?, true, 0.8, ?, 0.5, ?, [?], ?, 'rules')",
            [doc_id, 2 + i % 3, ["kazakh", "dungan"] if i % 2 else ["kazakh"], ZHAMBYL,
             json.dumps(rationale)])
    for day in range(5):
        con.execute(
            "INSERT INTO alerts (alert_id, area_code, group_code, day, metric, value, baseline, "
            "score, top_doc_ids) VALUES (?, ?, NULL, ?, 'tension_index', ?, 0.1, ?, [])",
            [f"constructed-{day}", ZHAMBYL, (start + timedelta(days=day)).date(),
             0.2 + 0.1 * day, 1.0 + day])


def _build(path: Path | str) -> None:
    from kelisim import store
    from kelisim.datasets import build_database
    from kelisim.forecast.bundled import bundled_spec
    from kelisim.forecast.pipeline import run_spec, store_projection, trend_command
    from kelisim.web import auth

    con = store.connect(path)
    build_database(con)
    _constructed_rows(con)
    for username, role in ACCOUNTS.items():
        auth.add_user(con, username, PASSWORD, role)
    con.close()
    _, trend, _ = trend_command("census_national", [2030, 2040], hindcast=False, seed=0,
                                location=path)
    store_projection(trend, path)
    store_projection(run_spec(bundled_spec("kazakhstan_national"), draws=2, seed=1), path)


def bundled_store(request, tmp_path_factory, backend: str = "duckdb") -> Path | str:
    """A copy of the session's store of ``backend`` (built once per session: about 10 s) for
    one test module: a DuckDB file copied, or a PostgreSQL database made with the built one
    as its template (conftest.new_store)."""
    if backend not in _BUILT:
        built = new_store(backend, request, tmp_path_factory.mktemp("bundled"))
        _build(built)
        _BUILT[backend] = built
    if backend != "duckdb":
        return new_store(backend, request, None, template=_BUILT[backend])
    copy = tmp_path_factory.mktemp("store") / "kelisim.duckdb"
    shutil.copy(_BUILT[backend], copy)
    return copy


def numbers(text: str) -> list[int]:
    """Whole numbers as a page writes them in any of its languages (1 234 567 / 1,234,567)."""
    return [int(re.sub(r"[\s,\u00a0\u202f]", "", m))
            for m in re.findall(r"\d{1,3}(?:[,\u00a0\u202f]\d{3})+|\d+", text)]


def assert_is_page(status: int, content_type: str, body: str, lang: str | None = None) -> None:
    """What a person must see: an HTML page, never raw JSON or a Python traceback."""
    assert content_type.startswith("text/html"), (status, content_type, body[:200])
    assert not body.lstrip().startswith(("{", "[")), body[:200]
    assert "Traceback (most recent call last)" not in body
    assert "Internal Server Error" not in body
    if lang:
        assert f'<html lang="{lang}">' in body, body[:300]
