"""Number formats shared by the pages and the brief (Jinja filters count, share, value)."""

from __future__ import annotations


def count(value) -> str:
    """Whole persons with a narrow no-break space between thousands (reads in kk, ru and en)."""
    return "" if value is None else f"{value:,.0f}".replace(",", "\u202f")


def share(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def value(number) -> str:
    return "" if number is None else f"{number:.3g}"


FILTERS = {"count": count, "share": share, "value": value}
