"""One incident model and one validator: the file importer, the JSON API and the dashboard's
form check an incident's fields with the same rules and say what is wrong in the same words.

Coordinates are checked against the whole globe (latitude -90..90, longitude -180..180), not a
country's box: the tool serves any country, and a point just over a border is a fact to keep.
Group names resolve to the codes of the group registry; an area's region is derived from its
KATO code when not given. The columns are the store's (``kelisim.store.incidents``).
"""

from __future__ import annotations

import math
import re
from datetime import date

from kelisim.limits import MAX_CASUALTIES, MAX_LIST, MAX_TEXT

LATITUDE = (-90.0, 90.0)
LONGITUDE = (-180.0, 180.0)
INTERETHNIC = ("yes", "no", "disputed")
CONFIDENCE = ("high", "medium", "low")
TEXT_FIELDS = ("incident_id", "place", "geo_precision", "event_type", "summary", "note")


class IncidentInvalid(ValueError):
    """A field of an incident breaks a rule: ``field`` and one sentence (``message``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _in_range(field: str, value: float, low: float, high: float) -> float:
    if not math.isfinite(value):
        raise IncidentInvalid(field, f"'{value}' is not a finite number")
    if not low <= value <= high:
        raise IncidentInvalid(field, f"{value:g} is outside {low:g}..{high:g}")
    return value


def _groups(groups: list[str]) -> list[str]:
    """Group codes or names the registry knows, as their codes."""
    from kelisim.core.groups import default_registry, unknown_message

    registry = default_registry()
    codes = []
    for group in groups:
        code = registry.resolve(group)
        if code is None:
            raise IncidentInvalid("groups", unknown_message("group", group[:64],
                                                            registry.suggest(group)))
        codes.append(code)
    return codes


def check_field(field: str, value, checked: dict):
    """``value`` of ``field`` if it keeps the rules, normalised (groups as codes); ``checked``
    holds the fields checked before it (date_end is compared with date_start)."""
    if value is None:
        return None
    if field in TEXT_FIELDS and len(str(value)) > MAX_TEXT[field]:
        raise IncidentInvalid(field, f"longer than {MAX_TEXT[field]} characters "
                                     f"({len(str(value))})")
    if field in MAX_LIST and len(value) > MAX_LIST[field]:
        raise IncidentInvalid(field, f"more than {MAX_LIST[field]} entries ({len(value)})")
    if field == "date_end" and isinstance(start := checked.get("date_start"), date):
        if value < start:
            raise IncidentInvalid(field, "the incident ends before it starts")
    elif field in ("area_code", "region_code") and not re.fullmatch(r"\d{9}", str(value)):
        raise IncidentInvalid(field, f"'{value}' is not a 9-digit KATO code")
    elif field == "lat":
        return _in_range(field, float(value), *LATITUDE)
    elif field == "lon":
        return _in_range(field, float(value), *LONGITUDE)
    elif field in ("fatalities", "injured"):
        if not 0 <= value <= MAX_CASUALTIES:
            raise IncidentInvalid(field, f"{value} is outside 0..{MAX_CASUALTIES}")
    elif field == "interethnic" and value not in INTERETHNIC:
        raise IncidentInvalid(field, "use yes, no or disputed")
    elif field == "confidence" and value not in CONFIDENCE:
        raise IncidentInvalid(field, "use high, medium or low")
    elif field == "groups":
        return _groups(list(value))
    elif field == "sources" and any(len(s) > MAX_TEXT["source"] for s in value):
        raise IncidentInvalid(field, f"a source is longer than {MAX_TEXT['source']} characters")
    return value


def check_incident(values: dict) -> dict:
    """The incident ``values`` (parsed: dates, numbers, lists) with every field checked by
    :func:`check_field` in column order, and the region derived from the area when missing."""
    from kelisim.core.areas import region_code

    checked: dict = {}
    for field, value in values.items():
        checked[field] = check_field(field, value, checked)
    if not checked.get("region_code") and checked.get("area_code"):
        checked["region_code"] = region_code(checked["area_code"])
    return checked
