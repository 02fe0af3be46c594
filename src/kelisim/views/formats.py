"""Jinja filters in the language of the page being rendered: count, share and value (numbers,
through :mod:`kelisim.core.numbers`, the one number formatter), day and moment (dates as
dd.mm.yyyy), names_in_force, link, key_values (stored JSON as 'key: value' text) and
interval (a projection's range, or that the year is calibrated to published figures)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from jinja2 import pass_context

from kelisim.core.numbers import format_count, format_share, format_value

LINK_SCHEMES = ("http", "https", "mailto")


@pass_context
def count(context, value) -> str:
    return format_count(value, context.get("lang", "en"))


@pass_context
def share(context, value) -> str:
    return format_share(value, context.get("lang", "en"))


@pass_context
def value(context, number) -> str:
    return format_value(number, context.get("lang", "en"))


@pass_context
def interval(context, lower, upper, prefix: str = "", kind: str = "count") -> str:
    """An interval as ``prefix`` 'lower–upper' (counts, or shares with ``kind='share'``) in
    the page's language; an interval of no width (a year the projection is calibrated to: the
    census it starts from, the Bureau's estimates it passes through) is not a 0-width range
    but the words saying so; no bounds, nothing."""
    if lower is None or upper is None:
        return ""
    widest = max(abs(lower), abs(upper))
    if widest and abs(upper - lower) <= 1e-6 * widest:
        t = context.get("t")
        return t("calibrated_interval") if t else "calibrated to published figures"
    shown = share if kind == "share" else count
    return f"{prefix}{shown(context, lower)}–{shown(context, upper)}"


def link(url) -> str | None:
    """``url`` when it may become a link (http, https or mailto), else None: addresses taken
    from ingested documents are shown as text, never as javascript: or data: links."""
    if not url:
        return None
    text = str(url).strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in LINK_SCHEMES else None


def _as_datetime(value) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, (date, datetime)):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def day(value) -> str:
    """A date as officials write it in Kazakhstan, dd.mm.yyyy (text that is not a date is
    shown as it is)."""
    parsed = _as_datetime(value)
    return "" if value is None else (parsed.strftime("%d.%m.%Y") if parsed else str(value))


def moment(value) -> str:
    """A date and time as dd.mm.yyyy hh:mm in the reader's time zone (KELISIM_TIMEZONE,
    default Kazakhstan's); a time without a zone is the store's, UTC."""
    parsed = _as_datetime(value)
    if parsed is None:
        return "" if value is None else str(value)
    if not isinstance(parsed, datetime):
        return parsed.strftime("%d.%m.%Y")
    from kelisim.config import display_timezone

    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(display_timezone()).strftime("%d.%m.%Y %H:%M")


def names_in_force(history: list[dict], t) -> str:
    """An area's dated names as one line: 'г. Акмола (до 06.05.1998); г. Астана
    (06.05.1998–23.03.2019); ...' (``t`` is the page's translator)."""
    parts = []
    for item in history:
        start, end = item.get("valid_from"), item.get("valid_to")
        if start and end:
            when = f"{day(start)}–{day(end)}"
        elif start:
            when = t("name_since", date=day(start))
        else:
            when = t("name_until", date=day(end))
        parts.append(f"{item['name']} ({when})")
    return "; ".join(parts)


@pass_context
def key_values(context, detail) -> str:
    """Details stored as JSON (an audit entry's) as text a person reads: 'role: analyst;
    count: 3'; lists as 'a, b', nested objects in brackets, yes/no in the page's language,
    and text that is not JSON as it is."""
    import json

    t = context.get("t")

    def shown(item) -> str:
        if isinstance(item, dict):
            return "; ".join(f"{k}: {shown(v)}" for k, v in item.items())
        if isinstance(item, list):
            return ", ".join(f"({shown(v)})" if isinstance(v, dict) else shown(v) for v in item)
        if item is None:
            return "—"
        if isinstance(item, bool):
            answer = "answer_yes" if item else "answer_no"
            return t(answer) if t else answer[len("answer_"):]
        return str(item)

    if detail is None or detail == "":
        return ""
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return detail
    return shown(detail)


FILTERS = {"count": count, "share": share, "value": value, "link": link, "day": day,
           "moment": moment, "names_in_force": names_in_force, "key_values": key_values,
           "interval": interval}
