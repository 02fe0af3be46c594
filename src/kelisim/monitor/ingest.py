"""Ingest: turn feeds, dumps, web pages and Telegram exports into one frame of documents.

Every reader returns the columns of :data:`DOCUMENT_COLUMNS`: ``source`` (feed, channel or
file name), ``url``, ``published_at`` (naive UTC), ``title``, ``text`` and ``author_hash``.
No author identity is kept: a source's author field is dropped, or replaced by a salted
HMAC-SHA256 (RFC 2104) when the caller passes a salt. Redaction, language and ids are added
later by :mod:`kelisim.monitor.pipeline`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import pandas as pd

from kelisim.errors import ArgumentError, InputError
from kelisim.limits import MAX_JSON_DEPTH, json_depth

DOCUMENT_COLUMNS = ("source", "url", "published_at", "title", "text", "author_hash")
KINDS = ("auto", "feed", "html", "jsonl", "csv", "telegram")
MAX_DOWNLOAD_BYTES = 20_000_000
USER_AGENT = "kelisim-monitor/0.1 (+https://github.com/kelisim)"

# Column names recognised in JSONL/CSV dumps (first match wins).
URL_COLUMNS = ("url", "link", "address", "href")
TIME_COLUMNS = ("published_at", "published", "date", "created_at", "datetime", "time", "timestamp")
TITLE_COLUMNS = ("title", "headline")
SOURCE_COLUMNS = ("source", "channel", "site", "feed")
AUTHOR_COLUMNS = (
    "author", "authors", "user", "username", "user_name", "user_id", "screen_name", "from",
    "from_id", "owner", "owner_id", "sender",
)  # fmt: skip


def author_hash(author: object, salt: str | None) -> str | None:
    """Salted HMAC-SHA256 of an author identifier (32 hex digits), or None without a salt."""
    if salt is None or author is None or (isinstance(author, float) and author != author):
        return None
    digest = hmac.new(salt.encode("utf-8"), str(author).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(DOCUMENT_COLUMNS))
    frame["published_at"] = pd.to_datetime(frame["published_at"])
    frame = frame[frame["text"].fillna("").str.strip() != ""]
    return frame.reset_index(drop=True)


def html_to_text(fragment: str) -> str:
    """The visible text of an HTML fragment (feed summaries, Telegram entities)."""
    if "<" not in fragment:
        return fragment.strip()
    import lxml.html

    try:
        element = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several parser errors on broken markup
        return fragment.strip()
    for br in element.iter("br", "p", "div", "li"):
        br.tail = "\n" + (br.tail or "")
    return element.text_content().strip()


# --- fetching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """A downloaded resource: its body (None when the server answered 304 Not Modified),
    content type and cache validators (RFC 9110, 8.8)."""

    body: bytes | None
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None


def download(
    url: str, etag: str | None = None, last_modified: str | None = None, timeout: float = 20.0
) -> Download:
    """Download a URL (at most 20 MB); with a stored ETag or Last-Modified, a conditional
    request (If-None-Match / If-Modified-Since, RFC 9110, 13.1) whose 304 answer has no body."""
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with urlopen(Request(url, headers=headers), timeout=timeout) as response:
            body = response.read(MAX_DOWNLOAD_BYTES + 1)
            answer = response.headers
    except HTTPError as error:
        if error.code != 304:
            raise InputError(url, None, None, f"could not download it ({error})") from error
        return Download(None, "", etag, last_modified)
    except (URLError, TimeoutError, OSError, ValueError) as error:
        # the reason in its own words ('Connection refused'), not '<urlopen error [Errno 111]
        # Connection refused>'
        reason = getattr(error, "reason", error)
        said = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        raise InputError(url, None, None, f"could not download it ({said})") from error
    if len(body) > MAX_DOWNLOAD_BYTES:
        raise InputError(url, None, None, "the download is larger than 20 MB")
    return Download(
        body, answer.get("Content-Type", ""), answer.get("ETag"), answer.get("Last-Modified")
    )


def fetch(url: str, timeout: float = 20.0) -> tuple[bytes, str]:
    """Download a URL (at most 20 MB); returns the body and its content type."""
    result = download(url, timeout=timeout)
    return result.body, result.content_type


# --- readers --------------------------------------------------------------------------------


def _struct_time_to_timestamp(value: time.struct_time | None) -> pd.Timestamp | None:
    return pd.Timestamp(*value[:6]) if value else None


def read_feed(data: bytes | str, source: str, salt: str | None = None) -> pd.DataFrame:
    """Documents from an RSS 0.9x/1.0/2.0 or Atom feed (parsed by feedparser)."""
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.bozo and not any(entry.get("link") or entry.get("title") for entry in parsed.entries):
        raise InputError(source, None, None, f"not a readable feed ({parsed.bozo_exception})")
    rows = []
    for entry in parsed.entries:
        content = entry.get("content")
        body = content[0].get("value", "") if content else entry.get("summary", "")
        rows.append(
            {
                "source": parsed.feed.get("title") or source,
                "url": entry.get("link"),
                "published_at": _struct_time_to_timestamp(
                    entry.get("published_parsed") or entry.get("updated_parsed")
                ),
                "title": html_to_text(entry.get("title", "")) or None,
                "text": html_to_text(body),
                "author_hash": author_hash(entry.get("author"), salt),
            }
        )
    return _frame(rows)


def read_html(data: bytes | str, source: str, url: str | None = None) -> pd.DataFrame:
    """One document from a web page: its main text, title and date (trafilatura)."""
    import trafilatura

    extracted = trafilatura.bare_extraction(
        data, url=url, with_metadata=True, include_comments=False
    )
    document = extracted.as_dict() if extracted is not None else {}
    if not document.get("text"):
        raise InputError(source, None, None, "no main text found in the page")
    published = pd.to_datetime(document.get("date"), errors="coerce")
    row = {
        "source": document.get("sitename") or document.get("hostname") or source,
        "url": url or document.get("url"),
        "published_at": None if pd.isna(published) else published,
        "title": document.get("title"),
        "text": document["text"],
        "author_hash": None,
    }
    return _frame([row])


def _telegram_text(value: object) -> str:
    """A message's text: a string, or a list of strings and entities ({"text": ...})."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_telegram_text(part) for part in value)
    if isinstance(value, dict):
        return _telegram_text(value.get("text"))
    return ""


def parse_json(data: bytes | str, source: str) -> object:
    """Parsed JSON of a UTF-8 file, refused (one sentence) when it is not UTF-8, not JSON or
    nested deeper than MAX_JSON_DEPTH."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            row = data[: error.start].count(b"\n") + 1
            raise InputError(
                source, row, None, "the file is not UTF-8 text; save it as UTF-8"
            ) from None
    too_deep = InputError(
        source, None, None, f"the JSON nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"
    )
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError as error:
        raise InputError(source, error.lineno, None, "not valid JSON") from None
    except RecursionError:
        raise too_deep from None
    if json_depth(parsed) > MAX_JSON_DEPTH:
        raise too_deep
    return parsed


def _telegram_date(message: dict, source: str) -> pd.Timestamp | None:
    """A message's time from ``date_unixtime`` or ``date``; a time that cannot be read stops
    the import (docs/monitor.md)."""
    column = "date_unixtime" if "date_unixtime" in message else "date"
    value = message.get(column)
    if value is None or value == "":
        return None
    try:
        if column == "date_unixtime":
            return pd.Timestamp(int(value), unit="s")
        published = pd.to_datetime(value)
    except (ValueError, TypeError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        published = pd.NaT
    if pd.isna(published) or not isinstance(published, pd.Timestamp):
        raise InputError(
            source,
            None,
            column,
            f"message {message.get('id', '?')}: cannot read {str(value)[:40]!r} as a date/time",
        )
    return published.tz_convert("UTC").tz_localize(None) if published.tz else published


def read_telegram_export(
    data: bytes | str | dict, source: str, salt: str | None = None
) -> pd.DataFrame:
    """Documents from a Telegram Desktop export (``result.json``) of one channel or chat, or
    of all chats (the full export's ``chats.list``): one per message, with its
    t.me/c/<chat id>/<message id> address; service messages are skipped."""
    export = parse_json(data, source) if isinstance(data, bytes | str) else data
    chats = export.get("chats", {}).get("list") if isinstance(export, dict) else None
    if chats is None:
        chats = [export]
    if not all(isinstance(c, dict) and isinstance(c.get("messages"), list) for c in chats):
        raise InputError(source, None, "messages", "not a Telegram Desktop export")
    rows = []
    for chat in chats:
        chat_id = chat.get("id")
        for message in chat["messages"]:
            if not isinstance(message, dict) or message.get("type") != "message":
                continue
            published = _telegram_date(message, source)
            rows.append(
                {
                    "source": chat.get("name") or source,
                    "url": (
                        f"https://t.me/c/{chat_id}/{message['id']}"
                        if chat_id is not None and "id" in message
                        else None
                    ),
                    "published_at": published,
                    "title": None,
                    "text": _telegram_text(message.get("text")),
                    "author_hash": author_hash(message.get("from_id"), salt),
                }
            )
    return _frame(rows)


def first_present(columns: Iterable[str], candidates: tuple[str, ...]) -> str | None:
    """The first of ``candidates`` among ``columns`` (ignoring case), or None."""
    lower = {column.lower(): column for column in columns}
    return next((lower[name] for name in candidates if name in lower), None)


def publication_times(table: pd.DataFrame, source: str, first_row: int = 2) -> pd.Series:
    """Naive UTC publication times from the first time column of a dump (by its usual names:
    :data:`TIME_COLUMNS`); all NaT without one. Numbers are Unix seconds; text with a zone is
    converted to UTC. A value that is not a time stops with the file, row and column named
    (``first_row`` is the row number of the table's first row)."""
    time_col = first_present(table.columns, TIME_COLUMNS)
    if time_col is None:
        return pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    raw = table[time_col]
    numeric = pd.api.types.is_numeric_dtype(raw)
    parsed = pd.to_datetime(
        raw, unit="s" if numeric else None, format=None if numeric else "mixed",
        utc=True, errors="coerce",
    )  # fmt: skip
    bad = parsed.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + first_row
        value = raw[bad].iloc[0]
        raise InputError(source, row, time_col, f"cannot read {value!r} as a date/time")
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None)


def read_dump(
    table: pd.DataFrame, source: str, text_column: str = "text", salt: str | None = None
) -> pd.DataFrame:
    """Documents from a JSONL/CSV dump already read into a frame: ``text_column`` is the
    text; url, time, title, source and author columns are recognised by their usual names."""
    if text_column not in table.columns:
        known = ", ".join(map(str, table.columns))
        raise InputError(source, 1, text_column, f"no such column (columns: {known})")
    url_col = first_present(table.columns, URL_COLUMNS)
    title_col = first_present(table.columns, TITLE_COLUMNS)
    source_col = first_present(table.columns, SOURCE_COLUMNS)
    author_col = first_present(table.columns, AUTHOR_COLUMNS)
    published = publication_times(table, source)

    def column(name: str | None) -> pd.Series:
        if name is None:
            return pd.Series(None, index=table.index, dtype=object)
        return table[name].astype(object).where(table[name].notna(), None)

    authors = column(author_col)
    frame = pd.DataFrame(
        {
            "source": column(source_col).fillna(source),
            "url": column(url_col),
            "published_at": published,
            "title": column(title_col),
            "text": table[text_column].fillna("").astype(str),
            "author_hash": [author_hash(value, salt) for value in authors],
        }
    )
    return _frame(frame.to_dict("records"))


def _read_table_file(path: Path, kind: str) -> pd.DataFrame:
    try:
        if kind == "jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        separator = "\t" if path.suffix.lower() == ".tsv" else ","
        return pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False)
    except ValueError as error:
        raise InputError(path, None, None, f"cannot read it as {kind.upper()} ({error})") from error


def _sniff(name: str, head: bytes, content_type: str = "") -> str:
    suffix = Path(name.split("?")[0]).suffix.lower()
    by_suffix = {
        ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv",
        ".rss": "feed", ".atom": "feed", ".xml": "feed", ".html": "html", ".htm": "html",
    }  # fmt: skip
    if suffix in by_suffix:
        return by_suffix[suffix]
    start = head.lstrip()[:500].lower()
    if suffix == ".json" or start.startswith(b"{"):
        return "telegram"
    if any(tag in content_type for tag in ("rss", "atom", "xml")) or start.startswith(
        (b"<?xml", b"<rss", b"<feed", b"<rdf")
    ):
        return "feed"
    return "html"


def ingest_source(
    location: str,
    kind: str = "auto",
    text_column: str = "text",
    salt: str | None = None,
) -> pd.DataFrame:
    """Documents from one source: an http(s) URL or a file path; ``kind`` is one of
    :data:`KINDS` (``auto`` guesses from the name and the first bytes)."""
    if kind not in KINDS:
        raise ArgumentError("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    is_url = location.startswith(("http://", "https://"))
    if is_url:
        body, content_type = fetch(location)
    else:
        path = Path(location)
        if not path.is_file():
            raise InputError(location, None, None, "no such file")
        body, content_type = path.read_bytes(), ""
    if kind == "auto":
        kind = _sniff(location, body[:2048], content_type)
    name = location if is_url else Path(location).name
    if kind == "feed":
        return read_feed(body, name, salt)
    if kind == "html":
        return read_html(body, name, url=location if is_url else None)
    if kind == "telegram":
        return read_telegram_export(parse_json(body, location), name, salt)
    if is_url:
        raise ArgumentError("SOURCE", f"{kind.upper()} dumps are read from files, not URLs")
    table = _read_table_file(Path(location), kind)
    return read_dump(table, name, text_column=text_column, salt=salt)


def ingest_sources(
    locations: list[str],
    kind: str = "auto",
    text_column: str = "text",
    salt: str | None = None,
) -> pd.DataFrame:
    """Documents from several sources, concatenated in order."""
    frames = [ingest_source(location, kind, text_column, salt) for location in locations]
    if not frames:
        return _frame([])
    return pd.concat(frames, ignore_index=True)
