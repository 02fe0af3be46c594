"""Jinja filters count, share, value and link in the language of the page being rendered.

Each number filter reads ``lang`` from the template context (pages and briefs both set it) and
formats with :mod:`kelisim.core.numbers`, the one number formatter of the project.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from jinja2 import pass_context

LINK_SCHEMES = ("http", "https", "mailto")

from kelisim.core.numbers import format_count, format_share, format_value


@pass_context
def count(context, value) -> str:
    return format_count(value, context.get("lang", "en"))


@pass_context
def share(context, value) -> str:
    return format_share(value, context.get("lang", "en"))


@pass_context
def value(context, number) -> str:
    return format_value(number, context.get("lang", "en"))


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
