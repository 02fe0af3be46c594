"""Jinja filters count, share and value in the language of the page being rendered.

Each filter reads ``lang`` from the template context (pages and briefs both set it) and
formats with :mod:`kelisim.core.numbers`, the one number formatter of the project.
"""

from __future__ import annotations

from jinja2 import pass_context

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


FILTERS = {"count": count, "share": share, "value": value}
