"""Plain-language conclusions in kk/ru/en that never claim more than the interval allows, and
the stated assumptions of each method in the same languages; numbers as the reader's language
writes them (kelisim.core.numbers).

An interval that excludes zero is read as "rose/fell by between L and U" under the stated
assumptions; one that includes zero is read as "cannot be told apart from zero", never as "no
effect"; the minimum detectable effect and the pre-trend test are always added.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources

from kelisim.core.groups import LANGUAGES
from kelisim.core.numbers import format_value


@cache
def _texts(name: str) -> dict[str, dict[str, str]]:
    """``{language: {key: text}}`` from a JSON file of this package."""
    text = (resources.files("kelisim.evaluate") / name).read_text(encoding="utf-8")
    return json.loads(text)


def _templates() -> dict[str, dict[str, str]]:
    return _texts("conclusions.json")


def assumption_texts(codes: list[str], language: str = "en") -> list[str]:
    """The stated assumptions (codes of assumptions.json) in kk, ru or en."""
    words = _texts("assumptions.json")[language if language in LANGUAGES else "en"]
    return [words[code] for code in codes]


def conclusion(
    estimate: float, lower: float, upper: float, language: str = "en",
    minimum_detectable_effect: float | None = None, pretrend_p_value: float | None = None,
) -> str:
    """Sentences describing an estimate and its interval (language kk, ru or en)."""
    language = language if language in LANGUAGES else "en"
    words = _templates()[language]
    values = {key: format_value(number, language) for key, number in (
        ("estimate", estimate), ("lower", lower), ("upper", upper), ("lower_abs", abs(upper)),
        ("upper_abs", abs(lower)))}
    if math.isnan(lower) or math.isnan(upper):
        sentences = [words["no_interval"]]
    elif lower <= 0 <= upper:
        sentences = [words["unclear"].format(**values)]
    else:
        sentences = [words["up" if lower > 0 else "down"].format(**values)]
    if minimum_detectable_effect is not None and math.isfinite(minimum_detectable_effect):
        sentences.append(words["power"].format(
            mde=format_value(minimum_detectable_effect, language)))
    if pretrend_p_value is not None:
        key = "pretrend" if pretrend_p_value < 0.05 else "no_pretrend"
        sentences.append(words[key].format(p=format_value(pretrend_p_value, language)))
    return " ".join(sentences)
