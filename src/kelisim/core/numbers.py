"""Numbers as a reader of kk, ru or en expects them, through Babel's CLDR locale data.

One formatter serves the pages, the briefs and the CLI: Kazakh and Russian group thousands
with a no-break space and write a decimal comma (``19 186 015``, ``45,1%``), English groups
with commas (``19,186,015``). Never scientific notation.
"""

from __future__ import annotations

import math

from babel.numbers import format_decimal, format_percent

LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_GB"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["en"])


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_count(value, lang: str = "en") -> str:
    """Whole persons (rounded half to even), thousands grouped: ``19 186 015`` in kk/ru."""
    if _missing(value):
        return ""
    return format_decimal(round(float(value)), format="#,##0", locale=_locale(lang))


def format_share(value, lang: str = "en", decimals: int = 1) -> str:
    """A fraction as a percentage with ``decimals`` places: ``45,1%`` in kk/ru."""
    if _missing(value):
        return ""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return format_percent(float(value), format=pattern, locale=_locale(lang))


def format_value(value, lang: str = "en") -> str:
    """An index or score with three significant digits, large values grouped (``1 314 000``)."""
    if _missing(value):
        return ""
    rounded = float(f"{float(value):.3g}")
    if rounded == 0 or math.isinf(rounded):
        return format_decimal(rounded, locale=_locale(lang))
    decimals = max(0, 2 - math.floor(math.log10(abs(rounded))))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(rounded, format=pattern, locale=_locale(lang))
