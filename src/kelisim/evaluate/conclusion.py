"""Plain-language conclusions in kk/ru/en that never claim more than the interval allows.

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


@cache
def _templates() -> dict[str, dict[str, str]]:
    text = (resources.files("kelisim.evaluate") / "conclusions.json").read_text(encoding="utf-8")
    return json.loads(text)


def _number(value: float) -> str:
    return f"{value:.3g}"


def conclusion(
    estimate: float, lower: float, upper: float, language: str = "en",
    minimum_detectable_effect: float | None = None, pretrend_p_value: float | None = None,
) -> str:
    """Sentences describing an estimate and its interval (language kk, ru or en)."""
    words = _templates()[language if language in LANGUAGES else "en"]
    values = {"estimate": _number(estimate), "lower": _number(lower), "upper": _number(upper),
              "lower_abs": _number(abs(upper)), "upper_abs": _number(abs(lower))}
    if math.isnan(lower) or math.isnan(upper) or lower <= 0 <= upper:
        sentences = [words["unclear"].format(**values)]
    else:
        sentences = [words["up" if lower > 0 else "down"].format(**values)]
    if minimum_detectable_effect is not None and math.isfinite(minimum_detectable_effect):
        sentences.append(words["power"].format(mde=_number(minimum_detectable_effect)))
    if pretrend_p_value is not None:
        key = "pretrend" if pretrend_p_value < 0.05 else "no_pretrend"
        sentences.append(words[key].format(p=f"{pretrend_p_value:.3f}"))
    return " ".join(sentences)
