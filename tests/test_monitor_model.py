"""Trainable model (kelisim.monitor.model) on the constructed sets, plus train/evaluate commands.

Metrics are checked against scikit-learn's own precision/recall/F1 and average precision
(Pedregosa et al. 2011) computed from the saved model's scores.
"""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, f1_score
from typer.testing import CliRunner

from kelisim.cli import app
from kelisim.errors import ArgumentError
from kelisim.monitor import model as monitor_model
from monitor_fixtures import constructed_eval


@pytest.fixture(scope="module")
def labelled():
    frames = [constructed_eval(lang).assign(language=lang) for lang in ("ru", "en")]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def fitted(labelled):
    return monitor_model.train(
        labelled, "text", "relevant", "relevance", cs=(4.0,), class_weights=(None, "balanced")
    )


def test_model_card_records_data_settings_and_metrics(fitted, labelled):
    card = fitted.card
    assert card["target"] == "relevance"
    assert card["data"]["rows"] == len(labelled)
    assert card["data"]["positives"] == int(labelled["relevant"].sum())
    assert set(card["cross_validation"]["average_precision_by_setting"]) == {
        "C=4.0,class_weight=None",
        "C=4.0,class_weight=balanced",
    }
    assert 0.05 <= card["threshold"] <= 0.95


def test_evaluate_matches_sklearn(fitted, labelled):
    metrics = monitor_model.evaluate(fitted, labelled, "text", "relevant")
    scores = fitted.predict_proba(labelled["text"].tolist(), labelled["language"].tolist())
    labels = labelled["relevant"].astype(int).to_numpy()
    assert metrics["average_precision"] == pytest.approx(average_precision_score(labels, scores))
    assert metrics["f1"] == pytest.approx(f1_score(labels, scores >= fitted.threshold))
    assert metrics["average_precision"] > 0.9  # training data: a sanity floor, not a quality claim


def test_save_and_load_round_trip(fitted, tmp_path, labelled):
    monitor_model.save(fitted, tmp_path)
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["name"] == "kelisim-monitor-relevance"
    assert "Model card" in (tmp_path / "model_card.md").read_text()
    again = monitor_model.load(tmp_path)
    texts, langs = labelled["text"].tolist()[:5], labelled["language"].tolist()[:5]
    np.testing.assert_allclose(
        again.predict_proba(texts, langs), fitted.predict_proba(texts, langs)
    )


def test_numeric_labels_use_the_threshold():
    values = pd.Series([0.0, 0.49, 0.5, 1.0])
    assert monitor_model.binary_labels(values).tolist() == [0, 0, 1, 1]
    assert monitor_model.binary_labels(pd.Series(["yes", "no"])).tolist() == [1, 0]


def test_bad_arguments_name_the_argument(labelled):
    with pytest.raises(ArgumentError, match="target"):
        monitor_model.train(labelled, "text", "relevant", "severity")
    with pytest.raises(ArgumentError, match="label"):
        monitor_model.train(labelled, "text", "label")


def test_train_and_evaluate_commands(tmp_path, labelled):
    labels = tmp_path / "labels.csv"
    labelled[["text", "language", "relevant"]].to_csv(labels, index=False)
    out = tmp_path / "model"
    runner = CliRunner()
    trained = runner.invoke(
        app,
        [
            "monitor",
            "train",
            str(labels),
            "--text-column",
            "text",
            "--label-column",
            "relevant",
            "--target",
            "relevance",
            "--out",
            str(out),
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert (out / "model_card.json").exists()
    evaluated = runner.invoke(
        app,
        [
            "monitor",
            "evaluate",
            str(labels),
            "--text-column",
            "text",
            "--label-column",
            "relevant",
            "--target",
            "relevance",
            "--model",
            str(out),
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    for name in ("precision", "recall", "f1", "average_precision"):
        assert name in evaluated.output
