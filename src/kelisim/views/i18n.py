"""Message catalogues kk / ru / en (one JSON file each in ``kelisim/web/i18n``, the same keys
in all three) and the terms table ``terms.csv`` beside them: the label and one-line plain
definition of every indicator, index, metric and scenario shown on a page or in a brief, in
the three languages (docs/glossary.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from functools import cache
from importlib import resources

from kelisim.core.groups import LANGUAGES

DEFAULT_LANGUAGE = "en"


def _file(name: str):
    """A file of ``kelisim/web/i18n``, read without importing the web package."""
    return resources.files("kelisim") / "web" / "i18n" / name


@cache
def catalogue(lang: str) -> dict[str, str]:
    text = _file(f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def pick_language(cookie: str | None, accept_language: str | None,
                  asked: str | None = None) -> str:
    """The language asked for in the address (``?lang=ru``), else the remembered choice, else
    the first supported Accept-Language, else English."""
    for choice in (asked, cookie):
        if choice in LANGUAGES:
            return choice
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)``: the label in ``lang``, formatted with ``values``."""
    messages = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)

    def t(key: str, **values) -> str:
        text = messages[key]
        return text.format(**values) if values else text

    def label(key: str, fallback: str) -> str:
        """The label of a code that may have none (a scenario id, a field name)."""
        return messages.get(key, fallback)

    t.label = label
    return t


INCIDENT_FIELDS = ("place", "event_type", "summary")


@cache
def _incident_texts() -> dict[tuple[str, str, str], tuple[str, str]]:
    """(incident, language, field) -> (text as recorded in the register, its translation)."""
    from kelisim.core.curated import read_curated

    recorded = read_curated("incidents").set_index("incident_id")
    texts = {}
    for row in read_curated("incident_texts").itertuples(index=False):
        for field in INCIDENT_FIELDS:
            original = recorded.at[row.incident_id, field]
            texts[row.incident_id, row.lang, field] = (original, getattr(row, field))
    return texts


def incident_text(lang: str) -> Callable[[dict, str], str]:
    """``told(incident, field)`` for pages and briefs: the place, event type or summary of a
    bundled incident in ``lang`` (the curated translations, incident_texts.csv) while the store
    still holds the text as the register recorded it; an incident a user imported or edited is
    shown as written."""

    def told(incident: dict, field: str) -> str:
        written = incident.get(field) or ""
        original, translated = _incident_texts().get(
            (incident.get("incident_id"), lang, field), (None, None))
        return translated if written and written == original else written

    return told


TERM_KINDS = ("indicator", "index", "metric", "scenario", "tier", "rule")
# what monitor/rules.py puts before a rule's code when the phrase does not count in full
RULE_QUALIFIERS = ("negated", "reported", "countered", "grievance")


@cache
def term_table() -> dict[tuple[str, str], dict[str, str]]:
    """(kind, code) -> {label_kk, label_ru, label_en, definition_kk, ...} from terms.csv."""
    text = _file("terms.csv").read_text(encoding="utf-8")
    return {(row["kind"], row["code"]): row for row in csv.DictReader(text.splitlines())}


class Terms:
    """Labels and definitions of indices, metrics, scenarios and indicators in one language.

    A code the table does not know (a scenario of the user's own spec) is shown as written,
    without a definition.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def label(self, kind: str, code: str | None) -> str:
        row = term_table().get((kind, str(code)))
        return row[f"label_{self.lang}"] if row else str(code or "")

    def rule(self, code: str) -> str:
        """A monitor rule of a rationale ('reported:hostility_blame'): the rule's label, and
        its qualifiers in brackets ("Blame (reported)")."""
        qualifiers, rule = _rule_parts(code)
        label = self.label("rule", rule)
        if not qualifiers:
            return label
        return f"{label} ({', '.join(self.label('rule', q) for q in qualifiers)})"

    def define_rule(self, code: str) -> str:
        """The definition of a rationale's rule, without its qualifiers."""
        return self.define("rule", _rule_parts(code)[1])

    def define(self, kind: str, code: str | None) -> str:
        row = term_table().get((kind, str(code)))
        return row[f"definition_{self.lang}"] if row else ""


def _rule_parts(code: str) -> tuple[list[str], str]:
    """('reported:frame:expulsion') -> (['reported'], 'frame:expulsion')."""
    parts = str(code).split(":")
    qualifiers = []
    while len(parts) > 1 and parts[0] in RULE_QUALIFIERS:
        qualifiers.append(parts.pop(0))
    return qualifiers, ":".join(parts)
