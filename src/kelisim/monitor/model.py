"""Trainable relevance / hostility model: character and word n-grams plus rule features.

Features: character 1-5-grams within word boundaries and word 1-2-grams (down-weighted by
``WORD_WEIGHT``), each with sublinear TF-IDF (Salton & Buckley 1988), plus the rule summary of
``rules.rule_features``. The classifier is an L2 logistic regression (scikit-learn, liblinear);
C and the class weighting are chosen by stratified cross-validated average precision, with the
vectorisers fitted once on all training texts (unsupervised). The decision threshold maximises F1
on the out-of-fold scores. ``save``/``load`` write ``model.joblib`` with a model card
(``model_card.json`` and ``model_card.md``, after Mitchell et al. 2019).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from kelisim.errors import ArgumentError
from kelisim.monitor.rules import RULE_FEATURES, RuleResult, apply_rules, rule_features

TARGETS = ("relevance", "hostility")
MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
DEFAULT_CS = (4.0, 16.0)
DEFAULT_CLASS_WEIGHTS = (None, "balanced")
WORD_WEIGHT = 0.5


class MonitorModel:
    """Linear model over n-gram and rule features; ``predict_proba(texts, languages)``."""

    def __init__(self, target: str) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.target = target
        self.threshold = 0.5
        self.card: dict = {}
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 5), min_df=2, sublinear_tf=True, dtype=np.float32
        )
        self.words = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=r"(?u)\b\w+\b",
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.classifier = None

    def features(
        self,
        texts: list[str],
        languages: list[str | None],
        fit: bool = False,
        rule_results: list[RuleResult] | None = None,
    ):
        """Sparse feature matrix; ``fit=True`` fits the vocabularies and IDF weights first.

        ``rule_results`` (one ``RuleResult`` per text) saves re-running the rules.
        """
        from scipy import sparse

        if fit:
            self.chars.fit(texts)
            self.words.fit(texts)
        if rule_results is None:
            rule_results = [apply_rules(t, lang) for t, lang in zip(texts, languages, strict=True)]
        rules = [rule_features(result) for result in rule_results]
        return sparse.hstack(
            [
                self.chars.transform(texts),
                self.words.transform(texts) * WORD_WEIGHT,
                sparse.csr_matrix(np.array(rules, dtype=np.float32).reshape(len(texts), -1)),
            ],
            format="csr",
        )

    def predict_proba(
        self,
        texts: list[str],
        languages: list[str | None],
        rule_results: list[RuleResult] | None = None,
    ) -> np.ndarray:
        """Probability of the positive class for each text."""
        matrix = self.features(texts, languages, rule_results=rule_results)
        return self.classifier.predict_proba(matrix)[:, 1]


def _classifier(c: float, class_weight: str | None):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight=class_weight, solver="liblinear", max_iter=1000)


def binary_labels(values: pd.Series, threshold: float = 0.5) -> np.ndarray:
    """Labels as 0/1: booleans and yes/no words as such, numbers as ``value >= threshold``."""
    words = {"true": 1, "yes": 1, "1": 1, "false": 0, "no": 0, "0": 0}
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        lowered = values.astype(str).str.strip().str.lower()
        if lowered.isin(words).all():
            return lowered.map(words).to_numpy(dtype=int)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        raise ArgumentError(
            str(values.name or "label"), "labels must be numbers, true/false or yes/no"
        )
    return (numbers.astype(float).to_numpy() >= threshold).astype(int)


def _split_frame(frame, text_col, label_col, language_col, label_threshold):
    for column in (text_col, label_col):
        if column not in frame.columns:
            raise ArgumentError(column, f"no such column; columns are {', '.join(frame.columns)}")
    texts = frame[text_col].fillna("").astype(str).tolist()
    languages = (
        frame[language_col].tolist()
        if language_col and language_col in frame.columns
        else [None] * len(texts)
    )
    return texts, languages, binary_labels(frame[label_col], label_threshold)


def train(
    frame: pd.DataFrame,
    text_col: str,
    label_col: str,
    target: str = "relevance",
    *,
    language_col: str | None = "language",
    label_threshold: float = 0.5,
    cs: tuple[float, ...] = DEFAULT_CS,
    class_weights: tuple[str | None, ...] = DEFAULT_CLASS_WEIGHTS,
    folds: int = 3,
    seed: int = 0,
) -> MonitorModel:
    """Fit a ``MonitorModel``; C and class weights by ``folds``-fold cross-validated AP.

    The returned model carries ``card`` (a dict for the model card) and ``threshold``.
    """
    from sklearn.metrics import average_precision_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    if target not in TARGETS:
        raise ArgumentError("target", f"must be one of {', '.join(TARGETS)}")
    texts, languages, labels = _split_frame(
        frame, text_col, label_col, language_col, label_threshold
    )
    positives = int(labels.sum())
    if positives < folds or len(labels) - positives < folds:
        raise ArgumentError(label_col, f"needs at least {folds} positive and negative rows")
    model = MonitorModel(target)
    matrix = model.features(texts, languages, fit=True)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(labels)), labels))
    cv_ap, oof = {}, {}
    for c in cs:
        for weight in class_weights:
            scores = np.zeros(len(labels))
            for fit_idx, test_idx in splits:
                fitted = _classifier(c, weight).fit(matrix[fit_idx], labels[fit_idx])
                scores[test_idx] = fitted.predict_proba(matrix[test_idx])[:, 1]
            cv_ap[(c, weight)] = float(average_precision_score(labels, scores))
            oof[(c, weight)] = scores
    best = max(cv_ap, key=cv_ap.get)
    grid = np.linspace(0.05, 0.95, 19)
    f1s = [f1_score(labels, oof[best] >= t) for t in grid]
    model.classifier = _classifier(*best).fit(matrix, labels)
    model.threshold = float(grid[int(np.argmax(f1s))])
    model.card = {
        "name": f"kelisim-monitor-{target}",
        "target": target,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "rows": len(labels),
            "positives": positives,
            "text_column": text_col,
            "label_column": label_col,
            "label_threshold": label_threshold,
        },
        "features": "char_wb 1-5-grams + word 1-2-grams (x"
        + str(WORD_WEIGHT)
        + "), sublinear TF-IDF; rule features "
        + ", ".join(RULE_FEATURES),
        "classifier": {"type": "LogisticRegression", "C": best[0], "class_weight": best[1]},
        "threshold": model.threshold,
        "cross_validation": {
            "folds": folds,
            "seed": seed,
            "average_precision_by_setting": {
                f"C={c},class_weight={w}": v for (c, w), v in cv_ap.items()
            },
            "average_precision": cv_ap[best],
            "f1_at_threshold": float(max(f1s)),
        },
    }
    return model


def evaluate(
    model: MonitorModel,
    frame: pd.DataFrame,
    text_col: str,
    label_col: str,
    *,
    language_col: str | None = "language",
    label_threshold: float = 0.5,
) -> dict[str, float]:
    """Precision, recall, F1 (at the model's threshold) and average precision on labelled rows."""
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support

    texts, languages, labels = _split_frame(
        frame, text_col, label_col, language_col, label_threshold
    )
    scores = model.predict_proba(texts, languages)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, scores >= model.threshold, average="binary", zero_division=0
    )
    return {
        "rows": len(labels),
        "positives": int(labels.sum()),
        "threshold": model.threshold,
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "average_precision": float(average_precision_score(labels, scores)),
    }


def card_markdown(card: dict) -> str:
    """The model card as Markdown (Mitchell et al. 2019, "Model Cards for Model Reporting")."""
    cv = card["cross_validation"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"- Target: {card['target']}",
        f"- Created (UTC): {card['created']}",
        f"- Data: {card['data']}",
        f"- Features: {card['features']}",
        f"- Classifier: {card['classifier']}",
        f"- Decision threshold: {card['threshold']:.2f}",
        f"- Cross-validated average precision: {cv['average_precision']:.3f} "
        f"({cv['folds']} folds, seed {cv['seed']}); F1 at threshold {cv['f1_at_threshold']:.3f}",
        "",
        "Limits: trained on the rows above only; scores on other sources, languages or periods "
        "are not calibrated. Read every flag with its rationale.",
    ]
    return "\n".join(lines) + "\n"


def save(model: MonitorModel, out_dir: str | Path) -> Path:
    """Write ``model.joblib``, ``model_card.json`` and ``model_card.md`` into ``out_dir``."""
    import joblib

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / MODEL_FILE, compress=3)
    (out / CARD_FILE).write_text(json.dumps(model.card, indent=2, ensure_ascii=False) + "\n")
    (out / "model_card.md").write_text(card_markdown(model.card))
    return out


def load(model_dir: str | Path) -> MonitorModel:
    """Read a model written by ``save``."""
    import joblib

    path = Path(model_dir) / MODEL_FILE
    if not path.exists():
        raise ArgumentError("model", f"no {MODEL_FILE} in {model_dir}")
    return joblib.load(path)
