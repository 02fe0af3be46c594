"""classify_batch (kelisim.monitor.classify): the contract the ingest stage calls.

Constructed inputs (ours); tier definitions as in tests/monitor/test_rules.py.
"""

import pandas as pd
import pytest

from kelisim.errors import ArgumentError
from kelisim.monitor import model as monitor_model
from kelisim.monitor.classify import COLUMNS, RULES_ONLY, classify_batch, load_models
from monitor_fixtures import constructed_eval

TEXTS = [
    "Погода в Алматы хорошая.",
    "Қазақтар мен ұйғырлар арасында Шымкентте төбелес болды.",
    "Uyghurs are cockroaches.",
    "Нельзя обвинять всех чеченцев в преступлении одного.",
]
LANGUAGES = ["ru", "kk", "en", "ru"]


def test_columns_and_types():
    frame = classify_batch(TEXTS, LANGUAGES, RULES_ONLY)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["tier"].tolist() == [0, 2, 4, 1]
    assert frame["relevant"].tolist() == [False, True, True, True]
    assert frame["counter_speech"].tolist() == [False, False, False, True]
    assert frame.loc[1, "groups"] == ["kazakh", "uyghur"]
    assert frame.loc[1, "places"] == ["790000000"]
    assert frame.loc[0, "places"] == ["750000000"]
    assert (frame["model"] == "rules").all()


@pytest.mark.parametrize("model_dir", [RULES_ONLY, None])
def test_every_flag_has_a_rationale(model_dir):
    frame = classify_batch(TEXTS, LANGUAGES, model_dir)
    for row in frame.itertuples():
        assert set(row.rationale) == {"tier_name", "hits", "model_scores", "places"}
        if row.relevant:
            assert row.rationale["hits"]
            assert all(hit["rule"] and hit["phrase"] for hit in row.rationale["hits"])


def test_one_language_per_text():
    with pytest.raises(ArgumentError, match="languages"):
        classify_batch(["a", "b"], ["ru"])


def test_with_a_model_scores_come_from_the_model(tmp_path):
    frame = pd.concat(
        [constructed_eval(lang).assign(language=lang) for lang in ("ru", "en")], ignore_index=True
    )
    fitted = monitor_model.train(
        frame, "text", "relevant", nb_cs=(0.3,), tfidf_cs=(4.0,), nb_weights=(0.5,)
    )
    monitor_model.save(fitted, tmp_path / "relevance")
    out = classify_batch(TEXTS, LANGUAGES, model_dir=str(tmp_path))
    assert out["model"].eq("kelisim-monitor-relevance").all()
    for row in out.itertuples():
        scores = row.rationale["model_scores"]["relevance"]
        assert scores["score"] == pytest.approx(row.relevance_score)
        if row.relevant:
            assert row.rationale["hits"]
    assert out.loc[2, "tier"] == 4  # the tier stays the rules' verdict


def test_default_is_rules_plus_the_shipped_models():
    """The default keeps every rule hit and adds both shipped models' scores, averaged with the
    rules' scores (rule_weight 0.5); a rule mention stays relevant."""
    rules = classify_batch(TEXTS, LANGUAGES, RULES_ONLY)
    default = classify_batch(TEXTS, LANGUAGES)
    models = load_models(None)
    assert default["model"].eq("kelisim-shipped-relevance+kelisim-shipped-hostility").all()
    assert default.loc[0, "tier"] == 0 and not default.loc[0, "relevant"]
    assert default.loc[2, "tier"] == 4  # the rules' verdict stands
    assert (default["relevant"] >= rules["relevant"]).all()
    for (_, plain), (_, row) in zip(rules.iterrows(), default.iterrows(), strict=True):
        hits = row["rationale"]["hits"]
        assert all(hit in hits for hit in plain["rationale"]["hits"])
        scores = row["rationale"]["model_scores"]
        assert set(scores) == {"relevance", "hostility"}
        for target, column in (("relevance", "relevance_score"), ("hostility", "hostility_score")):
            weight = models[target].rule_weight
            assert weight == 0.5
            expected = weight * plain[column] + (1 - weight) * scores[target]["score"]
            assert row[column] == pytest.approx(expected)


def test_shipped_model_lifts_a_pronoun_target_the_rules_leave_calm():
    """Denial of schooling to a group named one sentence earlier, in words outside the cue
    lexicon and the frames (constructed, not a corpus row; the shape of the misses in issue 13):
    the rules see a mention, the shipped hostility model lifts it to tier 3 and says so."""
    text = "К нам в село приехали дунгане. Нечего им делать в наших школах."
    rules = classify_batch([text], ["ru"], RULES_ONLY)
    default = classify_batch([text], ["ru"])
    assert rules.loc[0, "tier"] == 1
    assert default.loc[0, "tier"] == 3
    assert "model_hostility" in [hit["rule"] for hit in default.loc[0, "rationale"]["hits"]]


def test_counter_speech_is_not_lifted_by_the_shipped_model():
    """The hostility model scores the hostility a rejection names; a document the rules read as
    counter-speech keeps the rules' tier (constructed sentence; the assertion on the score keeps the
    test honest if a rebuilt model stops scoring it that high)."""
    text = "Хватит обобщать: не все таджики воры и бандиты."
    result = classify_batch([text], ["ru"])
    hostility = result.loc[0, "rationale"]["model_scores"]["hostility"]
    assert hostility["score"] >= hostility["lift_threshold"]  # the model alone would lift it
    assert result.loc[0, "counter_speech"]
    assert result.loc[0, "tier"] <= 1


def test_an_old_pickled_model_is_refused_not_loaded(tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"not read")
    load_models.cache_clear()
    with pytest.raises(ArgumentError, match="old pickled model"):
        classify_batch(TEXTS, LANGUAGES, str(tmp_path))


def test_frozen_heap_unfreezes_after_the_outermost_block():
    import gc

    from kelisim.monitor.heap import frozen_heap

    before = gc.get_freeze_count()
    with frozen_heap():
        with frozen_heap() as freeze:
            freeze()
        assert gc.get_freeze_count() > 0  # still frozen: the outer block runs
    assert gc.get_freeze_count() == before == 0
