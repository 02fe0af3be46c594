"""Readers for feeds, dumps, web pages and Telegram exports (kelisim.monitor.ingest).

Every fixture here and in tests/fixtures/monitor is CONSTRUCTED for the tests. The download
code is exercised against a server on 127.0.0.1 only.
"""

import functools
import http.server
import json
import threading
from pathlib import Path

import pandas as pd
import pytest

from kelisim.errors import ArgumentError, InputError
from kelisim.monitor.ingest import (
    DOCUMENT_COLUMNS,
    author_hash,
    ingest_source,
    ingest_sources,
    read_dump,
    read_feed,
    read_html,
    read_telegram_export,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "monitor"

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<!-- CONSTRUCTED Atom feed -->
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Test</title>
  <entry>
    <title>Peace rally in Shymkent</title>
    <link href="https://example.org/en/rally"/>
    <updated>2024-03-05T12:00:00Z</updated>
    <author><name>Jane Reporter</name></author>
    <content type="html">&lt;p&gt;Residents of Shymkent held a rally for peace.&lt;/p&gt;</content>
  </entry>
</feed>"""

HTML = """<!DOCTYPE html><!-- CONSTRUCTED page -->
<html><head><title>Встреча в Доме дружбы | Example News</title>
<meta property="article:published_time" content="2024-02-10T09:00:00+06:00"></head>
<body><nav><a href="/">Главная</a> <a href="/news">Новости</a> <a href="/about">О нас</a></nav>
<article><h1>Встреча в Доме дружбы</h1>
<p>В Доме дружбы города Павлодар прошла встреча представителей этнокультурных объединений
области. Участники обсудили подготовку к празднованию Дня единства народа Казахстана.</p>
<p>По словам организаторов, в мероприятии приняли участие более двухсот человек из разных
районов области, а также гости из соседних регионов и представители молодежных организаций.</p>
<p>Встреча завершилась концертом национальных коллективов и общим чаепитием во дворе Дома.</p>
</article><footer>© Example News. Все права защищены. Реклама на сайте.</footer></body></html>"""


def test_rss_feed_entries_become_documents_without_authors():
    frame = read_feed((FIXTURES / "feed.rss").read_bytes(), "feed.rss")
    assert list(frame.columns) == list(DOCUMENT_COLUMNS)
    assert len(frame) == 2
    first = frame.iloc[0]
    assert first["source"] == "Test News KZ"
    assert first["url"] == "https://news.example.kz/ru/1?utm_source=rss"
    assert first["published_at"] == pd.Timestamp("2024-01-01 04:00:00")  # +0600 to UTC
    assert first["text"].startswith("В Доме дружбы прошла встреча")
    assert "<p>" not in first["text"]
    assert first["author_hash"] is None
    assert "Петров" not in frame.to_csv()


def test_atom_feed_and_salted_author_hash():
    frame = read_feed(ATOM, "atom.xml", salt="s3cret")
    row = frame.iloc[0]
    assert row["title"] == "Peace rally in Shymkent"
    assert row["text"] == "Residents of Shymkent held a rally for peace."
    assert row["published_at"] == pd.Timestamp("2024-03-05 12:00:00")
    assert row["author_hash"] == author_hash("Jane Reporter", "s3cret")
    assert row["author_hash"] != author_hash("Jane Reporter", "other-salt")
    assert "Jane" not in frame.to_csv()


def test_unreadable_feed_is_an_input_error():
    with pytest.raises(InputError, match="not a readable feed"):
        read_feed(b"<rss><channel><item>", "broken.rss")


def test_telegram_export_messages_with_entities_and_no_service_messages():
    frame = read_telegram_export((FIXTURES / "result.json").read_bytes(), "result.json")
    assert frame["url"].tolist() == [
        "https://t.me/c/1234567890/2",
        "https://t.me/c/1234567890/3",
    ]
    assert frame["source"].iloc[0] == "Test Channel (constructed)"
    assert frame["text"].iloc[1] == (
        "Подробнее: https://example.kz/a или пишите someone@example.kz"
    )
    assert frame["published_at"].iloc[0] == pd.Timestamp("2024-01-01 10:00:00")
    assert frame["author_hash"].isna().all()
    hashed = read_telegram_export((FIXTURES / "result.json").read_bytes(), "r", salt="x")
    assert hashed["author_hash"].iloc[1] == author_hash("user42", "x")


def test_telegram_full_export_reads_every_chat():
    channel = json.loads((FIXTURES / "result.json").read_text(encoding="utf-8"))
    second = {"name": "Other chat", "id": 77, "messages": [
        {"id": 5, "type": "message", "date": "2024-02-01T08:00:00", "text": "Hello"}
    ]}  # fmt: skip
    full = {"about": "constructed", "chats": {"about": "", "list": [channel, second]}}
    frame = read_telegram_export(full, "result.json")
    assert frame["source"].tolist() == [channel["name"], channel["name"], "Other chat"]
    assert frame["url"].iloc[2] == "https://t.me/c/77/5"
    assert frame["published_at"].iloc[2] == pd.Timestamp("2024-02-01 08:00:00")


def test_telegram_export_shape_is_checked():
    with pytest.raises(InputError, match="not a Telegram Desktop export"):
        read_telegram_export(b'{"name": "x"}', "x.json")


def test_dump_recognises_columns_and_drops_authors():
    table = pd.DataFrame(
        {
            "body": ["Первый текст", "", "Third text"],
            "link": ["https://a.kz/1", None, "https://a.kz/3"],
            "created_at": ["2024-01-01T05:00:00+05:00", "2024-01-02", None],
            "username": ["alice", "bob", "carol"],
            "likes": [1, 2, 3],
        }
    )
    frame = read_dump(table, "dump.csv", text_column="body")
    assert frame["text"].tolist() == ["Первый текст", "Third text"]  # the empty row is skipped
    assert frame["url"].tolist() == ["https://a.kz/1", "https://a.kz/3"]
    assert frame["published_at"].iloc[0] == pd.Timestamp("2024-01-01 00:00:00")
    assert frame["source"].tolist() == ["dump.csv", "dump.csv"]
    assert "alice" not in frame.to_csv() and "likes" not in frame.columns


def test_dump_errors_name_the_row_and_column():
    with pytest.raises(InputError, match="column body: no such column"):
        read_dump(pd.DataFrame({"text": ["a"]}), "d.csv", text_column="body")
    table = pd.DataFrame({"text": ["a", "b"], "date": ["2024-01-01", "not a date"]})
    with pytest.raises(InputError, match="row 3, column date"):
        read_dump(table, "d.csv")


def test_html_page_main_text_title_and_date():
    frame = read_html(HTML, "page.html", url="https://example.kz/ru/news/5")
    row = frame.iloc[0]
    assert "Павлодар" in row["text"]
    assert "Все права защищены" not in row["text"]
    assert "Главная" not in row["text"]
    assert row["title"].startswith("Встреча в Доме дружбы")
    assert row["published_at"] == pd.Timestamp("2024-02-10")
    assert row["url"] == "https://example.kz/ru/news/5"


def test_ingest_files_by_kind(tmp_path):
    jsonl = tmp_path / "posts.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps({"text": t, "url": f"https://x.kz/{i}"}) for i, t in enumerate("ab")),
        encoding="utf-8",
    )
    csv = tmp_path / "posts.csv"
    csv.write_text("message,date\nСәлем,2024-05-01\n", encoding="utf-8")
    frame = ingest_sources([str(FIXTURES / "feed.rss"), str(FIXTURES / "result.json"), str(jsonl)])
    assert len(frame) == 2 + 2 + 2
    only_csv = ingest_source(str(csv), text_column="message")
    assert only_csv["text"].tolist() == ["Сәлем"]
    with pytest.raises(InputError, match="no such file"):
        ingest_source(str(tmp_path / "missing.rss"))
    with pytest.raises(ArgumentError, match="kind: must be one of"):
        ingest_source(str(csv), kind="pdf")


@pytest.fixture()
def local_server(tmp_path):
    """A static file server on 127.0.0.1 serving the feed fixture and one HTML page."""
    (tmp_path / "feed.rss").write_bytes((FIXTURES / "feed.rss").read_bytes())
    (tmp_path / "news-5").write_text(HTML, encoding="utf-8")  # no suffix: sniffed as HTML
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_feed_downloaded_from_a_local_server(local_server):
    frame = ingest_source(f"{local_server}/feed.rss")
    assert len(frame) == 2 and frame["source"].iloc[0] == "Test News KZ"
    with pytest.raises(InputError, match="could not download"):
        ingest_source(f"{local_server}/missing.rss")


def test_page_downloaded_from_a_local_server(local_server):
    frame = ingest_source(f"{local_server}/news-5")
    assert frame["url"].iloc[0] == f"{local_server}/news-5"
    assert "Павлодар" in frame["text"].iloc[0]
