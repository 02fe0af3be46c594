"""Per-document classification: rules and trained models combined.

By default the models shipped in ``kelisim/monitor/shipped`` (trained on the constructed corpus,
docs/model-card.md) run beside the rules; ``model_dir="rules"`` gives the rules alone, and any
other folder a model trained with ``kelisim monitor train``.

Each model carries a ``rule_weight``: 0 for a model trained on the user's data (its probability
is the score), 0.5 for the shipped models (trained out of domain: their scores are averaged with
the rules' scores). A document is relevant when the combined relevance score reaches ``cut`` (what
a rule mention, tier 1, with the model at its threshold would score) or the rules find tension or
worse (tier >= 2; for the shipped models any rule mention, tier >= 1). The tier always comes from
the rules, except that a relevant document without a rule tier becomes tier 1, and a combined
hostility score at or above ``cut`` (rules' tier 3 with the model at its threshold) lifts a
tier-1/2 document to tier 3 (rule name ``model_hostility``) if the model's own hostility score
also reaches its ``lift_threshold`` (the shipped model's is chosen on the corpus's held-out
templates, ``corpus.build.choose_lift_threshold``) and the rules found no counter-speech in
the document. With ``rule_weight`` 0 these are the
model's thresholds. Every row carries its rationale: rule hits with matched phrases, model
scores and thresholds.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from kelisim.errors import ArgumentError
from kelisim.monitor.classifier import CLASSIFICATION_COLUMNS
from kelisim.monitor.extract import load_lexicon
from kelisim.monitor.frames import load_frames
from kelisim.monitor.heap import frozen_heap
from kelisim.monitor.model import predict_many
from kelisim.monitor.rules import RULE_HOSTILITY, RULE_RELEVANCE, TIER_NAMES, apply_rules

if TYPE_CHECKING:  # the classify command writes rows without pandas
    import pandas as pd

COLUMNS = (*CLASSIFICATION_COLUMNS, "model")


SHIPPED_MODEL_DIR = Path(__file__).with_name("shipped")
RULES_ONLY = "rules"


#: documents classified between two gc.freeze() calls of ``classify_batch``
FREEZE_EVERY = 1000


@functools.lru_cache(maxsize=4)
def load_models(model_dir: str | None = None) -> dict:
    """Models in ``model_dir``: one model (its card names the target) or subfolders
    ``relevance/`` and ``hostility/``; returns ``{target: model}``. ``None`` is the shipped
    models, ``"rules"`` none (rules only)."""
    from kelisim.monitor.model import MODEL_FILE, PICKLED_MODEL_FILE, load, share_features

    if model_dir == RULES_ONLY:
        return {}
    root = Path(model_dir) if model_dir is not None else SHIPPED_MODEL_DIR
    if (root / MODEL_FILE).exists() or (root / PICKLED_MODEL_FILE).exists():
        model = load(root)
        return {model.target: model}
    models = {
        t: load(root / t) for t in ("relevance", "hostility") if (root / t / MODEL_FILE).exists()
    }
    if not models:
        raise ArgumentError("model", f"no model in {model_dir}")
    share_features(list(models.values()))
    return models


def model_names(models: dict) -> str:
    """The name stored with each score: the model cards' names joined by '+', or 'rules'."""
    return "+".join(model.card["name"] for model in models.values()) or "rules"


def combined(model, rule_score: float, model_score: float) -> float:
    """The rules' and the model's scores averaged with the model's ``rule_weight``."""
    return model.rule_weight * rule_score + (1 - model.rule_weight) * model_score


def cut(model, rule_score_at_tier: float) -> float:
    """The combined score of a document the rules put at the decisive tier and the model scores
    at its threshold: the bar a combined score must reach (the model's threshold when
    ``rule_weight`` is 0)."""
    return combined(model, rule_score_at_tier, model.threshold)


def classify_batch(
    texts: list[str], languages: list[str], model_dir: str | None = None
) -> pd.DataFrame:
    """Classify a batch of documents; one row per text with the columns in ``COLUMNS``
    (``model_dir``: see ``load_models``).

    >>> classify_batch(["Погода в Алматы хорошая."], ["ru"]).loc[0, "tier"]
    0
    """
    import pandas as pd

    rows = classify_rows(texts, languages, model_dir)
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {
            "relevant": bool,
            "relevance_score": float,
            "tier": int,
            "hostility_score": float,
            "counter_speech": bool,
        }
    )


def classify_rows(
    texts: list[str], languages: list[str], model_dir: str | None = None
) -> list[tuple]:
    """``classify_batch`` as one tuple per text (values in the order of ``COLUMNS``: Python
    booleans, floats, ints, lists and dicts), for callers that write rows without pandas."""
    if len(texts) != len(languages):
        raise ArgumentError("languages", "must have one language per text")
    models = load_models(str(model_dir) if model_dir else None)
    load_lexicon(), load_frames()
    with frozen_heap() as freeze:
        results = []
        for first in range(0, len(texts), FREEZE_EVERY):
            chunk = slice(first, first + FREEZE_EVERY)
            pairs = zip(texts[chunk], languages[chunk], strict=True)
            results += [apply_rules(t or "", lang) for t, lang in pairs]
            freeze()  # this chunk's results and memoised tokens join the frozen objects
        scores = predict_many(models, [t or "" for t in texts], list(languages), results)
        return _rows(results, scores, models)


def _rows(results, scores: dict, models: dict) -> list[tuple]:
    """The rows of ``classify_rows`` from the rules' results and the models' scores."""
    model_name = model_names(models)
    rows = []
    for i, result in enumerate(results):
        tier = result.tier
        hits = list(result.hits)
        model_scores = {}
        relevance = result.relevance_score
        relevant = result.relevant
        hostility = result.hostility_score
        if "relevance" in scores:
            model = models["relevance"]
            score = float(scores["relevance"][i])
            model_scores["relevance"] = {"score": score, "threshold": round(model.threshold, 6)}
            relevance = combined(model, relevance, score)
            rule_floor = 1 if model.rule_weight > 0 else 2
            relevant = relevance >= cut(model, RULE_RELEVANCE[1]) or tier >= rule_floor
            if relevant and tier == 0:
                tier = 1
                hits.append({"rule": "model_relevance", "tier": 1, "phrase": "", "span": []})
        if "hostility" in scores:
            model = models["hostility"]
            score = float(scores["hostility"][i])
            model_scores["hostility"] = {
                "score": score,
                "threshold": round(model.threshold, 6),
                "lift_threshold": round(model.lift_threshold, 6),
            }
            hostility = combined(model, hostility, score)
            lifts = hostility >= cut(model, RULE_HOSTILITY[3]) and score >= model.lift_threshold
            # counter-speech the rules recognised ("хватит их демонизировать") names the
            # hostility it rejects: the model's n-grams see the hostility, not the rejection
            if lifts and 1 <= tier <= 2 and not result.counter_speech:
                tier = 3
                hits.append({"rule": "model_hostility", "tier": 3, "phrase": "", "span": []})
        if not relevant:
            tier = 0
        rows.append(
            (
                relevant,
                relevance,
                tier,
                hostility,
                result.counter_speech and relevant,
                result.groups,
                result.places,
                {
                    "tier_name": TIER_NAMES[tier],
                    "hits": hits,
                    "model_scores": model_scores,
                    "places": result.place_details,
                },
                model_name,
            )
        )
    return rows
