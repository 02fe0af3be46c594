"""The Watch pipeline, its storage and the `kelisim monitor` commands.

Classification belongs to kelisim.monitor.classify (built separately); these tests put a
small CONSTRUCTED stand-in module in its place so the pipeline's own stages are tested alone.
"""

import json
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from kelisim import store
from kelisim.cli import app
from kelisim.errors import KelisimError
from kelisim.monitor.ingest import read_feed
from kelisim.monitor.pipeline import prepare_documents, process_batch, store_batch

FIXTURES = Path(__file__).parents[1] / "fixtures" / "monitor"


def _stand_in_classify_batch(texts, languages, model_dir=None):
    """Marks a text relevant (tier 3) when it contains the word 'конфликт' or 'conflict'."""
    hit = [("конфликт" in t.lower()) or ("conflict" in t.lower()) for t in texts]
    return pd.DataFrame(
        {
            "relevant": hit,
            "relevance_score": [0.9 if h else 0.1 for h in hit],
            "tier": [3 if h else 0 for h in hit],
            "hostility_score": [0.7 if h else 0.0 for h in hit],
            "counter_speech": [False] * len(texts),
            "groups": [["russian"] if h else [] for h in hit],
            "places": [["551010000"] if h else [] for h in hit],
            "rationale": [{"rules": ["stand_in"] if h else [], "model": model_dir} for h in hit],
            "model": "stand-in",
        }
    )


@pytest.fixture()
def stand_in_classifier(monkeypatch):
    module = types.ModuleType("kelisim.monitor.classify")
    module.classify_batch = _stand_in_classify_batch
    monkeypatch.setitem(sys.modules, "kelisim.monitor.classify", module)


def _batch(texts, day="2024-01-01", urls=None):
    return pd.DataFrame(
        {
            "source": "test",
            "url": urls or [None] * len(texts),
            "published_at": pd.to_datetime([day] * len(texts)),
            "title": [None] * len(texts),
            "text": texts,
            "author_hash": [None] * len(texts),
        }
    )


def test_prepare_redacts_identifies_and_deduplicates():
    frame = _batch(
        [
            "Звоните +7 701 123 45 67, конфликт в селе",
            "Звоните +7 701 123 45 67, конфликт в селе",  # exact repeat, no URL
            "Бүгін ауылда жиналыс өтті",
        ]
    )
    prepared = prepare_documents(frame)
    assert len(prepared) == 2
    assert prepared["text"].iloc[0] == "Звоните [PHONE], конфликт в селе"
    assert prepared["language"].tolist() == ["ru", "kk"]
    assert prepared["story_id"].tolist() == prepared["doc_id"].tolist()


def test_prepare_stores_urls_without_tracking_parameters():
    frame = _batch(["a text", "b text"], urls=["https://WWW.a.kz/x/?fbclid=1", "https://a.kz/x"])
    prepared = prepare_documents(frame)
    assert prepared["url"].tolist() == ["https://a.kz/x"]  # one document: same address


def test_missing_classifier_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "kelisim.monitor.classify", None)
    with pytest.raises(KelisimError, match="Classification is not installed"):
        process_batch(_batch(["текст"]))


def test_store_batch_writes_once_and_skips_known_documents(stand_in_classifier, any_db):
    con = store.connect(any_db)
    processed = process_batch(read_feed((FIXTURES / "feed.rss").read_bytes(), "feed.rss"))
    first = store_batch(con, processed)
    assert (first.documents, first.duplicates) == (2, 0)
    again = store_batch(con, processed)
    assert (again.documents, again.duplicates) == (0, 2)
    text = con.execute("SELECT text FROM documents ORDER BY published_at").fetchone()[0]
    assert "[PHONE]" in text and "701" not in text
    row = con.execute("SELECT groups, places, CAST(rationale AS VARCHAR), model "
                      "FROM classifications").fetchone()  # JSON as text on both backends
    assert isinstance(row[0], list) and json.loads(row[2])["rules"] == []
    assert row[3] == "stand-in"


def test_store_batch_is_all_or_nothing(stand_in_classifier, any_db):
    con = store.connect(any_db)
    processed = process_batch(_batch(["конфликт один", "второй текст"]))
    processed.loc[1, "tier"] = None  # tier is NOT NULL: the whole batch must roll back
    with pytest.raises(Exception):  # noqa: B017 - any database error
        store_batch(con, processed)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0


def test_store_batch_raises_alerts_on_a_spike(stand_in_classifier, any_db):
    con = store.connect(any_db)
    for offset in range(35):
        day = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=offset)).date()
        texts = [f"конфликт номер {offset}-{k} " + "слово " * k for k in range(offset % 2)]
        texts += [f"обычная новость {offset}-{k}" for k in range(3)]
        store_batch(con, process_batch(_batch(texts, day=str(day))))
    spike_texts = [f"конфликт в городе, сообщение {k}: " + "подробность " * k for k in range(12)]
    summary = store_batch(con, process_batch(_batch(spike_texts, day="2024-02-05")))
    assert summary.alerts > 0
    alerts = con.execute("SELECT area_code, group_code, metric, top_doc_ids FROM alerts").df()
    assert {"000000000", "550000000", "551010000"} <= set(alerts["area_code"])
    assert all(len(ids) == 5 for ids in alerts["top_doc_ids"])
    con.close()
    result = CliRunner().invoke(
        app, ["monitor", "alerts", "--db", any_db, "--area", "551010000",
              "--format", "jsonl"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = [json.loads(line) for line in result.output.splitlines()]
    assert listed and all(row["area_code"] == "551010000" for row in listed)
    assert listed[0]["day"].startswith("2024-02-05")
    result = CliRunner().invoke(
        app, ["monitor", "alerts", "--db", any_db, "--format", "csv"]
    )
    table = pd.read_csv(pd.io.common.StringIO(result.output))
    assert len(json.loads(table["top_doc_ids"].iloc[0])) == 5


def test_cli_ingest_without_store_prints_documents(tmp_path):
    out = tmp_path / "docs.jsonl"
    result = CliRunner().invoke(
        app, ["monitor", "ingest", str(FIXTURES / "result.json"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["language"] for r in rows] == ["kk", "ru"]
    assert "[EMAIL]" in rows[1]["text"] and rows[0]["author_hash"] is None


def test_cli_ingest_hashes_authors_only_with_a_salt(tmp_path):
    out = tmp_path / "docs.jsonl"
    args = ["monitor", "ingest", str(FIXTURES / "result.json"), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--hash-authors", "pepper"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all(len(r["author_hash"]) == 32 for r in rows)
    assert "user42" not in out.read_text(encoding="utf-8")


def test_empty_batch_stores_nothing(stand_in_classifier, any_db):
    con = store.connect(any_db)
    summary = store_batch(con, process_batch(_batch([])))
    assert (summary.documents, summary.alerts) == (0, 0)


def test_cli_ingest_store_classify_and_alerts(tmp_path, stand_in_classifier, any_db):
    db = any_db
    runner = CliRunner()
    result = runner.invoke(app, ["monitor", "ingest", str(FIXTURES / "feed.rss"), "--store",
                                 "--db", db])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "stored 2 documents" in result.output
    table = tmp_path / "posts.csv"
    table.write_text("id,message\n1,Это конфликт\n2,Hello there\n", encoding="utf-8")
    result = runner.invoke(
        app, ["monitor", "classify", str(table), "--text-column", "message", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(pd.io.common.StringIO(result.output))
    for column in ("language", "relevant", "relevance_score", "tier", "hostility_score",
                   "groups", "places", "rationale"):  # fmt: skip
        assert column in out.columns
    assert out["tier"].tolist() == [3, 0] and out["language"].tolist() == ["ru", "en"]
    result = runner.invoke(app, ["monitor", "alerts", "--db", db, "--since", "2024-01-01"])
    assert result.exit_code == 0 and "0 alerts" in result.output
    result = runner.invoke(app, ["monitor", "alerts", "--db", db, "--area", "55"])
    assert result.exit_code != 0


def test_reprint_in_a_later_batch_joins_the_stored_story(stand_in_classifier, any_db):
    con = store.connect(any_db)
    original = (
        "В Павлодаре прошла встреча представителей этнокультурных объединений области, "
        "участники обсудили подготовку ко Дню единства народа Казахстана."
    )
    store_batch(con, process_batch(_batch([original], day="2024-01-01", urls=["https://a.kz/1"])))
    reprint = "Источник: агентство. " + original
    store_batch(con, process_batch(_batch([reprint], day="2024-01-02", urls=["https://b.kz/9"])))
    rows = con.execute("SELECT doc_id, story_id FROM documents ORDER BY published_at").fetchall()
    assert rows[1][1] == rows[0][0] == rows[0][1]


def test_cli_classify_refuses_a_first_row_longer_than_the_header(tmp_path, monkeypatch, capsys):
    """An unquoted comma in the first row used to turn its first cell into a row label and
    shift every cell one column left (the id classified as the text); it is refused."""
    from cli_support import run_main

    table = tmp_path / "posts.csv"
    table.write_text("id,message\n1,Hello, there\n2,Hello there\n", encoding="utf-8")
    code, out, err = run_main(monkeypatch, capsys, "monitor", "classify", str(table),
                              "--text-column", "message", "--model", "rules")
    assert code == 2 and out == ""
    assert err == (f"error: {table}, row 2: more cells than the header has columns; quote "
                   "text that holds the separator.\n")
