"""Formats shared by the pages and the brief (Jinja filters count, share, value, link)."""

from __future__ import annotations

from urllib.parse import urlsplit

LINK_SCHEMES = ("http", "https", "mailto")


def count(value) -> str:
    """Whole persons with a narrow no-break space between thousands (reads in kk, ru and en)."""
    return "" if value is None else f"{value:,.0f}".replace(",", "\u202f")


def share(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def value(number) -> str:
    return "" if number is None else f"{number:.3g}"


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


FILTERS = {"count": count, "share": share, "value": value, "link": link}
