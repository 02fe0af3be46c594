"""Number and date formats shared by the pages and the brief (Jinja filters count, share,
value, day, moment)."""

from __future__ import annotations

from datetime import date, datetime


def count(value) -> str:
    """Whole persons with a narrow no-break space between thousands (reads in kk, ru and en)."""
    return "" if value is None else f"{value:,.0f}".replace(",", "\u202f")


def share(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def value(number) -> str:
    return "" if number is None else f"{number:.3g}"


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
    """A date and time as dd.mm.yyyy hh:mm."""
    parsed = _as_datetime(value)
    if parsed is None:
        return "" if value is None else str(value)
    return parsed.strftime("%d.%m.%Y %H:%M" if isinstance(parsed, datetime) else "%d.%m.%Y")


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


FILTERS = {"count": count, "share": share, "value": value, "day": day, "moment": moment,
           "names_in_force": names_in_force}
