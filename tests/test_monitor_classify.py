"""classify_batch (kelisim.monitor.classify): the contract the ingest stage calls.

Constructed inputs (ours); tier definitions as in tests/test_monitor_rules.py.
"""

import pandas as pd
import pytest

from kelisim.errors import ArgumentError
from kelisim.monitor import model as monitor_model
from kelisim.monitor.classify import COLUMNS, classify_batch
from monitor_fixtures import constructed_eval

TEXTS = [
    "Погода в Алматы хорошая.",
    "Қазақтар мен ұйғырлар арасында Шымкентте төбелес болды.",
    "Uyghurs are cockroaches.",
    "Нельзя обвинять всех чеченцев в преступлении одного.",
]
LANGUAGES = ["ru", "kk", "en", "ru"]


def test_columns_and_types():
    frame = classify_batch(TEXTS, LANGUAGES)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["tier"].tolist() == [0, 2, 4, 1]
    assert frame["relevant"].tolist() == [False, True, True, True]
    assert frame["counter_speech"].tolist() == [False, False, False, True]
    assert frame.loc[1, "groups"] == ["kazakh", "uyghur"]
    assert frame.loc[1, "places"] == ["790000000"]
    assert frame.loc[0, "places"] == ["750000000"]
    assert (frame["model"] == "rules").all()


def test_every_flag_has_a_rationale():
    frame = classify_batch(TEXTS, LANGUAGES)
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
