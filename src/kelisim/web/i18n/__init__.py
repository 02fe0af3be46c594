"""Message catalogues kk / ru / en (one JSON file each, the same keys in all three)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    text = (resources.files("kelisim.web.i18n") / f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The remembered choice, else the first supported Accept-Language, else English."""
    if cookie in LANGUAGES:
        return cookie
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
