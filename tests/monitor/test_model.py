"""Trainable model (kelisim.monitor.model) on the constructed sets, plus train/evaluate commands.

Metrics are checked against scikit-learn's own precision/recall/F1 and average precision
(Pedregosa et al. 2011) computed from the saved model's scores. The NB log-count ratio is checked
against the formula of Wang & Manning 2012 ("Baselines and Bigrams", ACL, section 2.1) worked by
hand on a constructed 3 x 2 matrix. The labelled rows are the constructed sets (written by us).
"""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
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


# a small settings grid: the fixture's model and the determinism check train the same way
SMALL_GRID = {"nb_cs": (0.3,), "tfidf_cs": (4.0,), "nb_weights": (0.5, 0.7),
              "nb_alphas": (1.0,), "rule_scales": (1.0,)}


@pytest.fixture(scope="module")
def fitted(labelled):
    return monitor_model.train(labelled, "text", "relevant", "relevance", **SMALL_GRID)


def test_model_card_records_data_settings_and_metrics(fitted, labelled):
    card = fitted.card
    assert card["target"] == "relevance"
    assert card["data"]["rows"] == len(labelled)
    assert card["data"]["positives"] == int(labelled["relevant"].sum())
    by_setting = card["cross_validation"]["average_precision_by_setting"]
    assert set(by_setting) == {
        "nb_C=0.3,tfidf_C=4.0,nb_weight=0.5",
        "nb_C=0.3,tfidf_C=4.0,nb_weight=0.7",
    }
    assert card["cross_validation"]["average_precision"] == max(by_setting.values())
    assert card["classifier"]["nb_weight"] == fitted.nb_weight
    assert set(card["cross_validation"]["average_precision_by_view"]) == {
        "nb_only,C=0.3",
        "tfidf_only,C=4.0",
    }
    assert "log-count ratio" in card["features"]
    assert 0.05 <= card["threshold"] <= 0.95


def test_nb_alpha_and_rule_scale_are_chosen_by_cross_validation(labelled, tmp_path):
    model = monitor_model.train(
        labelled,
        "text",
        "relevant",
        "relevance",
        nb_cs=(0.3,),
        tfidf_cs=(4.0,),
        nb_weights=(0.7,),
        nb_alphas=(0.5, 1.0),
        rule_scales=(1.0, 3.0),
    )
    cv = model.card["cross_validation"]
    assert set(cv["average_precision_by_setting"]) == {
        f"nb_C=0.3,nb_alpha={a},tfidf_C=4.0,rule_scale={r},nb_weight=0.7"
        for a in (0.5, 1.0)
        for r in (1.0, 3.0)
    }
    best = max(cv["average_precision_by_setting"], key=cv["average_precision_by_setting"].get)
    chosen = model.card["classifier"]
    assert f"nb_alpha={chosen['nb_alpha']}," in best
    assert f"rule_scale={chosen['rule_scale']}," in best
    assert model.rule_scale == chosen["rule_scale"]
    texts, languages = labelled["text"].tolist(), labelled["language"].tolist()
    for scale in (1.0, 3.0):  # the scale is saved and used when scoring
        model.rule_scale = scale
        loaded = monitor_model.load(monitor_model.save(model, tmp_path / str(scale)))
        assert loaded.rule_scale == scale
        np.testing.assert_allclose(
            loaded.predict_proba(texts, languages), model.predict_proba(texts, languages)
        )
    plain = model.predict_proba(texts, languages)
    model.rule_scale = 1.0
    assert not np.allclose(plain, model.predict_proba(texts, languages))


def test_rule_scale_is_not_searched_without_rule_features(labelled):
    model = monitor_model.train(
        labelled,
        "text",
        "relevant",
        "relevance",
        nb_cs=(0.3,),
        tfidf_cs=(4.0,),
        nb_weights=(0.7,),
        nb_alphas=(1.0,),
        rule_names=(),
    )
    assert model.rule_scale == 1.0
    assert set(model.card["cross_validation"]["average_precision_by_setting"]) == {
        "nb_C=0.3,tfidf_C=4.0,nb_weight=0.7"
    }


def test_nb_log_ratio_matches_the_formula():
    binary = sparse.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], dtype=np.float32))
    labels = np.array([1, 1, 0])
    # p = 1 + (2, 1) = (3, 2), q = 1 + (0, 1) = (1, 2); r = log(p/5) - log(q/3)
    expected = np.log(np.array([3, 2]) / 5) - np.log(np.array([1, 2]) / 3)
    np.testing.assert_allclose(monitor_model.nb_log_ratio(binary, labels), expected, rtol=1e-6)


def test_fast_counts_equal_sklearn_transform(fitted, labelled):
    """The fast paths give exactly scikit-learn's CountVectorizer counts."""
    texts = labelled["text"].tolist() + ["a  b\tcc\n\nЖД", "", "   ", "Казахов казахов КАЗАХОВ"]
    fast = monitor_model.char_ngram_counts(fitted.chars, texts)
    slow = fitted.chars.transform(texts)
    assert fast.shape == slow.shape and fast.dtype == slow.dtype
    assert (fast != slow).nnz == 0
    fast = monitor_model.word_ngram_counts(fitted.words, texts)
    slow = fitted.words.transform(texts)
    assert fast.shape == slow.shape and fast.dtype == slow.dtype
    assert (fast != slow).nnz == 0


def test_vectorised_word_grams_equal_dictionary_look_ups(fitted, labelled):
    """The integer-key look-up of char_ngram_counts finds exactly the n-grams that one dictionary
    look-up per n-gram finds (also for characters outside the vocabulary's alphabet)."""
    words = sorted({w for t in labelled["text"] for w in t.lower().split()})
    words += ["ж", "жд", "日本語", "a\u0301b", "Ǆ", "x" * 40]
    alphabet, _, _, dense = monitor_model._gram_keys(fitted.chars)
    assert len(alphabet) + 1 <= len(dense) < (len(alphabet) + 1) ** 5  # both look-up paths run
    fast = monitor_model._word_gram_counts(fitted.chars, words)
    slow = monitor_model._word_gram_counts_by_dict(fitted.chars, words)
    assert fast.shape == slow.shape and (fast != slow).nnz == 0
    assert monitor_model._word_gram_counts(fitted.chars, []).shape == (0, slow.shape[1])


def test_expit_is_scipys_bit_for_bit():
    """positive_scores' expit (no scipy.special import) gives SciPy's doubles exactly."""
    from scipy.special import expit

    rng = np.random.default_rng(0)
    x = np.concatenate([
        np.linspace(-800, 800, 20001), rng.normal(0, 5, 200_000), rng.uniform(-750, -700, 2000),
        [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300, -1e-300],
    ])
    assert np.array_equal(monitor_model._expit(x), expit(x), equal_nan=True)


def test_stem_prefixes_cut_words_to_five_letters():
    assert monitor_model.stem_prefixes("Казахами и КАЗАХОВ, uyghurs") == "казах и казах, uyghu"


def test_score_is_the_weighted_average_of_the_two_views(fitted, labelled):
    """NB view: binary counts x NB ratio; TF-IDF view: TF-IDF x the NB ratio at alpha 1 of the
    training rows (delta TF-IDF, Martineau & Finin 2009)."""
    texts, langs = labelled["text"].tolist()[:8], labelled["language"].tolist()[:8]
    binary_all, _ = fitted.views(labelled["text"].tolist(), labelled["language"].tolist())
    labels = labelled["relevant"].astype(int).to_numpy()
    np.testing.assert_allclose(
        fitted.tfidf_ratio, monitor_model.nb_log_ratio(binary_all, labels, alpha=1.0)
    )
    binary, tfidf = fitted.views(texts, langs)
    nb = fitted.nb_classifier.predict_proba(binary.multiply(fitted.nb_ratio).tocsr())[:, 1]
    weighted = tfidf.multiply(fitted.tfidf_ratio).tocsr()
    plain = fitted.tfidf_classifier.predict_proba(weighted)[:, 1]
    expected = fitted.nb_weight * nb + (1 - fitted.nb_weight) * plain
    np.testing.assert_allclose(fitted.predict_proba(texts, langs), expected)


def test_models_saved_without_the_tfidf_ratio_score_plain_tfidf(fitted, labelled, tmp_path):
    """A model folder written before the delta TF-IDF weighting has no ``tfidf_ratio``: its
    TF-IDF view is scored unweighted, as it was trained."""
    monitor_model.save(fitted, tmp_path)
    with np.load(tmp_path / monitor_model.MODEL_FILE) as arrays:
        older = {name: arrays[name] for name in arrays.files if name != "tfidf_ratio"}
    np.savez_compressed(tmp_path / monitor_model.MODEL_FILE, **older)
    loaded = monitor_model.load(tmp_path)
    assert loaded.tfidf_ratio is None
    texts, langs = labelled["text"].tolist()[:8], labelled["language"].tolist()[:8]
    binary, tfidf = loaded.views(texts, langs)
    nb = fitted.nb_classifier.predict_proba(binary.multiply(fitted.nb_ratio).tocsr())[:, 1]
    plain = fitted.tfidf_classifier.predict_proba(tfidf)[:, 1]
    expected = fitted.nb_weight * nb + (1 - fitted.nb_weight) * plain
    np.testing.assert_allclose(loaded.predict_proba(texts, langs), expected)


def test_training_is_deterministic(fitted, labelled):
    again = monitor_model.train(labelled, "text", "relevant", "relevance", **SMALL_GRID)
    texts, langs = labelled["text"].tolist(), labelled["language"].tolist()
    np.testing.assert_array_equal(
        again.predict_proba(texts, langs), fitted.predict_proba(texts, langs)
    )
    assert again.card["cross_validation"] == fitted.card["cross_validation"]


def test_default_recipe_ranks_held_out_constructed_rows():
    """Default grid trained on ru+en constructed eval rows; AP on the constructed ru+en hold-out
    rows (never trained on) is pinned from above a floor, not tuned to it."""
    train_rows = pd.concat(
        [constructed_eval(lang).assign(language=lang) for lang in ("ru", "en")], ignore_index=True
    )
    held_out = pd.concat(
        [constructed_eval(lang, "holdout").assign(language=lang) for lang in ("ru", "en")],
        ignore_index=True,
    )
    model = monitor_model.train(train_rows, "text", "relevant", "relevance")
    grid = model.card["cross_validation"]["average_precision_by_setting"]
    assert len(grid) == 48  # 2 NB C x 2 NB alpha x 2 TF-IDF C x 2 rule scales x 3 weights
    metrics = monitor_model.evaluate(model, held_out, "text", "relevant")
    assert metrics["average_precision"] > 0.95  # observed 0.985; prevalence is 0.8


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


def test_user_trained_models_are_group_blind_and_older_ones_are_not(fitted, tmp_path):
    """`kelisim monitor train` masks group names too (same recipe); a model saved before the
    ``group_blind`` flag existed saw raw text and is read as such."""
    swapped = ["Казахи не хотят жить рядом.", "Уйгуры не хотят жить рядом."]
    assert fitted.group_blind
    scores = fitted.predict_proba(swapped, ["ru", "ru"])
    assert scores[0] == pytest.approx(scores[1])
    monitor_model.save(fitted, tmp_path)
    meta = json.loads((tmp_path / "vocabulary.json").read_text())
    del meta["group_blind"]
    (tmp_path / "vocabulary.json").write_text(json.dumps(meta, ensure_ascii=False))
    assert not monitor_model.load(tmp_path).group_blind
