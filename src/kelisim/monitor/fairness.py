"""Ethnonym-swap fairness checks for the Watch classifier (issue 13, item 4).

Templates with a ``{G}`` slot are filled with every group's name; a fair classifier gives every
filling of a template the same verdict. Two figures follow the counterfactual token fairness of
Garg et al., "Counterfactual Fairness in Text Classification through Robustness" (AIES 2019),
section 3, over every ordered pair of groups of a template:

- the share of swaps (one group's sentence against another's) that change the tier
  (goal: at most 2%);
- the share of swaps that change the hostility score by less than 0.1 (goal: at least 95%);

and, after Dixon et al., "Measuring and Mitigating Unintended Bias in Text Classification" (AIES
2018), the false-positive rate per group: the share of its neutral sentences (template tier 0-1)
given tier 3 or more.
"""

from __future__ import annotations

from itertools import permutations

import pandas as pd

from kelisim.monitor.classify import classify_batch

TIER_SWAP_GOAL = 0.02
HOSTILITY_DELTA = 0.1
HOSTILITY_SWAP_GOAL = 0.95


def fill_templates(templates: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """One row per template x group: ``lang``, ``template`` (its row number), ``expected`` tier,
    ``group`` and ``text`` (the name capitalised at the start of a sentence)."""
    rows = []
    for number, template in enumerate(templates.itertuples(index=False)):
        for group in groups.itertuples(index=False):
            name = getattr(group, template.lang)
            text = template.template.replace("{G}", name)
            if template.template.startswith("{G}"):
                text = name[:1].upper() + text[1:]
            rows.append((template.lang, number, int(template.tier), group.group, text))
    return pd.DataFrame(rows, columns=["lang", "template", "expected", "group", "text"])


def swap_report(filled: pd.DataFrame, model_dir: str | None = None) -> dict:
    """Classify the filled templates and measure the swaps (see the module docstring)."""
    classified = classify_batch(filled["text"].tolist(), filled["lang"].tolist(), model_dir)
    scored = filled.assign(
        tier=classified["tier"].to_numpy(), hostility=classified["hostility_score"].to_numpy()
    )
    tier_changes = hostility_steady = swaps = 0
    for _, rows in scored.groupby("template"):
        for a, b in permutations(rows.itertuples(index=False), 2):
            swaps += 1
            tier_changes += a.tier != b.tier
            hostility_steady += abs(a.hostility - b.hostility) < HOSTILITY_DELTA
    neutral = scored[scored["expected"] <= 1]
    false_positive = (neutral["tier"] >= 3).groupby(neutral["group"]).mean()
    return {
        "sentences": len(scored),
        "swaps": swaps,
        "tier_changed": tier_changes / swaps,
        "hostility_steady": hostility_steady / swaps,
        "false_positive_rate": false_positive.to_dict(),
        "scored": scored,
    }
