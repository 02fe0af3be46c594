"""Trainable relevance / hostility model: two linear views of the same n-gram counts, averaged.

Group-blind: every group name the lexicon finds (``extract.mask_groups``) is replaced by one
placeholder token before counting, when training and when scoring, so the model cannot tell one
group from another (Garg et al. 2019, "Counterfactual Fairness in Text Classification through
Robustness", AIES, section 4, blindness). Models saved before this flag existed are read as
not group-blind and score the raw text they were trained on.

Counts: character 1-5-grams within word boundaries and word 1-2-grams over tokens cut to their
first ``STEM_LENGTH`` letters (a stemmer-free normalisation of Russian and Kazakh inflection),
both with ``min_df=2``, plus the rule summary of ``rules.rule_features``.

- NB view: binarised counts scaled by the naive-Bayes log-count ratio, then an L2 logistic
  regression (NB-LR, the logistic variant of NBSVM: Wang & Manning 2012, "Baselines and Bigrams",
  ACL, section 2.3).
- TF-IDF view: sublinear TF-IDF (Salton & Buckley 1988), words down-weighted by ``WORD_WEIGHT``,
  each column times the NB log-count ratio (``NB_ALPHA``) of the training rows (delta TF-IDF:
  Martineau & Finin 2009, "Delta TFIDF: An Improved Feature Space for Sentiment Analysis",
  ICWSM), then an L2 logistic regression. Models saved before this weighting (no
  ``tfidf_ratio``) score the plain TF-IDF.

The score is ``nb_weight * p_nb + (1 - nb_weight) * p_tfidf``. Both C values and ``nb_weight`` are
chosen by stratified cross-validated average precision on the training rows only (the log-count
ratio is refitted inside every fold; vocabularies and IDF weights are unsupervised and fitted once).
The decision threshold maximises F1 on the out-of-fold scores. ``save``/``load`` write and read
a model as plain arrays (``model.npz``, read without pickle) and its vocabularies
(``vocabulary.json``), with a model card (``model_card.json`` and ``model_card.md``, after
Mitchell et al. 2019): a model folder from elsewhere cannot run code when it is loaded.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kelisim.errors import ArgumentError
from kelisim.monitor.extract import GROUP_PLACEHOLDER, mask_groups
from kelisim.monitor.rules import RULE_FEATURES, RuleResult, apply_rules, rule_features

if TYPE_CHECKING:  # training reads frames; scoring (the classify command) needs no pandas
    import pandas as pd

TARGETS = ("relevance", "hostility")
MODEL_FILE = "model.npz"
PICKLED_MODEL_FILE = "model.joblib"  # written by earlier versions; never loaded
VOCABULARY_FILE = "vocabulary.json"
CARD_FILE = "model_card.json"
MODEL_FORMAT = "kelisim-monitor-model/1"
STEM_LENGTH = 5
WORD_WEIGHT = 0.5
NB_ALPHA = 1.0
DEFAULT_NB_ALPHAS = (0.5, 1.0)
DEFAULT_NB_CS = (0.1, 0.3)
DEFAULT_TFIDF_CS = (4.0, 16.0)
DEFAULT_NB_WEIGHTS = (0.0, 0.25, 0.5)  # 0: the delta TF-IDF view alone
DEFAULT_RULE_SCALES = (1.0, 3.0)  # weight of the rule features in the TF-IDF view


def recipe(
    rule_names: tuple[str, ...] = RULE_FEATURES, nb_alpha: float = NB_ALPHA, rule_scale: float = 1.0
) -> str:
    """The feature and classifier recipe, for the model card."""
    rules = f" + rule features {', '.join(rule_names)}" if rule_names else " (no rule features)"
    scaled = f", rule features x{rule_scale}" if rule_names else ""
    return (
        f"group names replaced by '{GROUP_PLACEHOLDER}'; counts: char_wb 1-5-grams and word "
        f"1-2-grams over tokens cut to {STEM_LENGTH} letters "
        f"(min_df 2){rules}; NB view: binary counts x NB log-count ratio (alpha {nb_alpha}) -> "
        f"logistic regression; TF-IDF view: sublinear TF-IDF (words x{WORD_WEIGHT}{scaled}) x NB "
        f"log-count ratio (alpha {NB_ALPHA}) -> logistic regression; "
        "score = nb_weight * NB + (1 - nb_weight) * TF-IDF"
    )


_TOKEN = re.compile(r"\w+")


def stem_prefixes(text: str) -> str:
    """Lower-cased text with every word cut to its first ``STEM_LENGTH`` characters."""
    return _TOKEN.sub(lambda match: match.group(0)[:STEM_LENGTH], text.lower())


def _counts(columns_per_text, texts: list[str], width: int):
    columns: list[int] = []
    indptr = [0]
    for text in texts:
        columns.extend(columns_per_text(text))
        indptr.append(len(columns))
    return _ones_csr(columns, indptr, (len(texts), width))


def char_ngram_counts(vectoriser, texts: list[str]):
    """``vectoriser.transform(texts)`` for a fitted ``char_wb`` ``CountVectorizer`` (lower-casing,
    ``min_n`` 1), faster: ``char_wb`` n-grams never cross a whitespace-separated word, so the counts
    are (texts x distinct words) times (distinct words x n-grams); the n-grams of ``" " + word +
    " "`` of all distinct words are looked up at once by ``_word_gram_counts``.
    """
    from scipy import sparse

    word_ids: dict[str, int] = {}
    tokens: list[int] = []
    indptr = [0]
    for text in texts:
        tokens.extend([word_ids.setdefault(word, len(word_ids)) for word in text.lower().split()])
        indptr.append(len(tokens))
    words = _ones_csr(tokens, indptr, (len(texts), len(word_ids)))
    counts = sparse.csr_matrix(words @ _word_gram_counts(vectoriser, list(word_ids)))
    counts.sum_duplicates()  # canonical form: sorted column indices, as sklearn returns
    return counts


_GRAM_KEYS: dict[int, tuple] = {}  # id(vocabulary_) -> (vocabulary_, *_gram_keys(...))
DENSE_KEYS = 1 << 21  # at most 16 MB of dense look-up table per vocabulary


def _gram_keys(vectoriser) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The vocabulary as exact integer keys: each character is its rank d in the sorted alphabet
    of the vocabulary (1-based), an n-gram is sum d_k * B**k with B = alphabet size + 1 (a base-B
    number with non-zero digits, so distinct n-grams never share a key). Cached per vocabulary."""
    vocabulary = vectoriser.vocabulary_
    cached = _GRAM_KEYS.get(id(vocabulary))
    if cached is not None and cached[0] is vocabulary:
        return cached[1:]
    grams = list(vocabulary)
    codes = np.frombuffer("".join(grams).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    alphabet_codes, digits = np.unique(codes, return_inverse=True)
    lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    starts = np.cumsum(lengths) - lengths
    position = np.arange(len(codes)) - np.repeat(starts, lengths)
    with np.errstate(over="ignore"):  # an overflowing base is refused by _word_gram_counts
        weights = (len(alphabet_codes) + 1) ** position
        keys = np.add.reduceat((digits.ravel() + 1) * weights, starts) if grams else codes
    columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
    order = np.argsort(keys)
    # Short n-grams (all keys below base**n <= DENSE_KEYS) are looked up in a dense table.
    base, dense_n = len(alphabet_codes) + 1, 0
    while dense_n < vectoriser.ngram_range[1] and base ** (dense_n + 1) <= DENSE_KEYS:
        dense_n += 1
    dense = np.full(base**dense_n, -1, dtype=np.int64)
    short = keys < len(dense)
    dense[keys[short]] = columns[short]
    result = (alphabet_codes, keys[order], columns[order], dense)
    _GRAM_KEYS.clear()
    _GRAM_KEYS[id(vocabulary)] = (vocabulary, *result)
    return result


def _word_gram_counts(vectoriser, words: list[str]):
    """(words x vocabulary) counts of the char_wb n-grams of each word, vectorised over words:
    characters become alphabet digits, n-gram keys are built by shifted sums, and keys are found
    in the sorted vocabulary keys (``_gram_keys``)."""
    from scipy import sparse

    max_n = vectoriser.ngram_range[1]
    alphabet_codes, vocabulary_keys, vocabulary_columns, dense = _gram_keys(vectoriser)
    base = len(alphabet_codes) + 1
    if base**max_n >= 2**63:  # keys would overflow: look every n-gram up one by one
        return _word_gram_counts_by_dict(vectoriser, words)
    padded = "".join(f" {word} " for word in words)
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.array([len(word) + 2 for word in words], dtype=np.int64)
    word_of = np.repeat(np.arange(len(words)), lengths)
    word_end = np.repeat(np.cumsum(lengths), lengths)
    rank = np.minimum(np.searchsorted(alphabet_codes, codes), len(alphabet_codes) - 1)
    digits = np.where(alphabet_codes[rank] == codes, rank + 1, 0)  # 0: not in any n-gram
    rows, columns = [], []
    keys = np.zeros(len(codes), dtype=np.int64)
    known = np.ones(len(codes), dtype=bool)
    for n in range(1, max_n + 1):
        starts = len(codes) - n + 1
        if starts <= 0:
            break
        keys = keys[:starts] + digits[n - 1 :] * base ** (n - 1)
        known = known[:starts] & (digits[n - 1 :] > 0)
        inside = known & (np.arange(starts) + n <= word_end[:starts])
        if base**n <= len(dense):
            found = dense[keys[inside]]
            match = found >= 0
            columns.append(found[match])
        else:
            found = np.searchsorted(vocabulary_keys, keys[inside])
            found = np.minimum(found, len(vocabulary_keys) - 1)
            match = vocabulary_keys[found] == keys[inside]
            columns.append(vocabulary_columns[found[match]])
        rows.append(word_of[:starts][inside][match])
    rows_all = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    columns_all = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows_all), dtype=np.float32), (rows_all, columns_all)),
        shape=(len(words), len(vectoriser.vocabulary_)),
    )
    matrix.sum_duplicates()
    return matrix


def _word_gram_counts_by_dict(vectoriser, words: list[str]):
    """``_word_gram_counts`` with one dictionary look-up per n-gram (any alphabet size)."""
    lookup, sizes = vectoriser.vocabulary_.get, range(1, vectoriser.ngram_range[1] + 1)
    columns: list[int] = []
    indptr = [0]
    for word in words:
        padded = f" {word} "
        grams = [padded[i : i + n] for n in sizes for i in range(len(padded) - n + 1)]
        columns.extend([column for column in map(lookup, grams) if column is not None])
        indptr.append(len(columns))
    return _ones_csr(columns, indptr, (len(words), len(vectoriser.vocabulary_)))


def _ones_csr(columns, indptr, shape: tuple[int, int]):
    """A CSR matrix of float32 counts: row r counts the entries columns[indptr[r]:indptr[r+1]]."""
    from scipy import sparse

    matrix = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.float32), np.array(columns, dtype=np.int64), indptr),
        shape=shape,
    )
    matrix.sum_duplicates()
    return matrix


def word_ngram_counts(vectoriser, texts: list[str]):
    """``vectoriser.transform(texts)`` for a fitted word 1-2-gram ``CountVectorizer``, without
    scikit-learn's per-feature counting loop."""
    lookup = vectoriser.vocabulary_.get
    preprocess, tokenise = vectoriser.build_preprocessor(), vectoriser.build_tokenizer()

    def columns(text: str) -> list[int]:
        tokens = tokenise(preprocess(text))
        grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        return [column for gram in grams if (column := lookup(gram)) is not None]

    return _counts(columns, texts, len(vectoriser.vocabulary_))


def nb_log_ratio(binary, labels: np.ndarray, alpha: float = NB_ALPHA) -> np.ndarray:
    """Log-count ratio r = log((p / |p|_1) / (q / |q|_1)), p = alpha + positive-row feature sums,
    q likewise for negative rows (Wang & Manning 2012, section 2.1)."""
    positive = alpha + np.asarray(binary[labels == 1].sum(axis=0)).ravel()
    negative = alpha + np.asarray(binary[labels == 0].sum(axis=0)).ravel()
    return np.log(positive / positive.sum()) - np.log(negative / negative.sum())


def _classifier(c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver="liblinear", max_iter=1000)


WORD_TOKEN_PATTERN = r"(?u)\b\w+\b"
CHAR_NGRAM_RANGE = (1, 5)
WORD_NGRAM_RANGE = (1, 2)


def _vectorisers() -> tuple:
    """Unfitted (chars, words, char_idf, word_idf) of scikit-learn, for training."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    chars = CountVectorizer(
        analyzer="char_wb", ngram_range=CHAR_NGRAM_RANGE, min_df=2, dtype=np.float32
    )
    words = CountVectorizer(
        analyzer="word",
        preprocessor=stem_prefixes,
        token_pattern=WORD_TOKEN_PATTERN,
        ngram_range=WORD_NGRAM_RANGE,
        min_df=2,
        dtype=np.float32,
    )
    return chars, words, TfidfTransformer(sublinear_tf=True), TfidfTransformer(sublinear_tf=True)


class Fitted:
    """The fitted attributes scoring reads (``vocabulary_``, ``idf_``, ``coef_``, ...) of a loaded
    model, without importing scikit-learn (its import is most of `monitor classify`'s start-up)."""

    def __init__(self, **attributes) -> None:
        self.__dict__.update(attributes)

    def build_preprocessor(self):
        return stem_prefixes

    def build_tokenizer(self):
        return re.compile(WORD_TOKEN_PATTERN).findall


def tfidf_weights(counts, idf: np.ndarray):
    """``TfidfTransformer(sublinear_tf=True).transform(counts)`` with fitted ``idf``: 1 + log of
    each count, times idf, rows scaled to unit L2 norm, in scikit-learn's arithmetic (row sums of
    squares in float64, in order) and dtype."""
    from scipy import sparse

    matrix = sparse.csr_matrix(counts, copy=True)
    np.log(matrix.data, matrix.data)
    matrix.data += 1.0
    matrix.data *= idf[matrix.indices]
    squares = sparse.csr_matrix(
        (np.square(matrix.data).astype(np.float64), matrix.indices, matrix.indptr),
        shape=matrix.shape,
    )
    norms = np.sqrt(squares @ np.ones(matrix.shape[1]))
    norms[norms == 0.0] = 1.0
    matrix.data[:] = matrix.data / np.repeat(norms, np.diff(matrix.indptr))
    return matrix


def positive_scores(classifier, matrix) -> np.ndarray:
    """A fitted binary logistic regression's ``predict_proba(matrix)[:, 1]``: expit of
    ``matrix @ coef.T + intercept``, as scikit-learn computes it."""
    scores = np.asarray(matrix @ classifier.coef_.T) + classifier.intercept_
    return _expit(scores.reshape(-1))


def _expit(x: np.ndarray) -> np.ndarray:
    """``scipy.special.expit``, 1 / (1 + exp(-x)), with the C library's exp as SciPy's has it
    (bit for bit), without importing scipy.special."""
    return np.array([_logistic(v) for v in x.tolist()], dtype=np.float64)


def _logistic(v: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-v))
    except OverflowError:  # exp(-v) beyond the largest double: expit is 0
        return 0.0


class MonitorModel:
    """NB-LR and TF-IDF-LR over shared n-gram counts; ``predict_proba(texts, languages)``."""

    def __init__(self, target: str, rule_names: tuple[str, ...] = RULE_FEATURES) -> None:
        self.target = target
        self.rule_names = tuple(rule_names)
        self.threshold = 0.5
        self.card: dict = {}
        # scikit-learn's vectorisers when training (``views(fit=True)``), ``Fitted`` when loaded
        self.chars = self.words = self.char_idf = self.word_idf = None
        self.nb_ratio: np.ndarray | None = None
        self.nb_classifier = None
        self.tfidf_classifier = None
        # NB log-count ratio weighting the TF-IDF view's columns (None: models saved before it)
        self.tfidf_ratio: np.ndarray | None = None
        self.nb_weight = 0.5
        # weight of the rules' score in classify_batch's combined scores: 0 for a model trained
        # on the user's own data (its score decides), 0.5 for the shipped out-of-domain models
        self.rule_weight = 0.0
        # lowest hostility score with which classify_batch lifts a tier-1/2 document to tier 3
        # (0: no bar beyond the threshold; the shipped model's is chosen by corpus.build)
        self.lift_threshold = 0.0
        self.group_blind = True  # group names masked before counting (module docstring)
        # weight of the rule features in the TF-IDF view (chosen by cross-validation in train)
        self.rule_scale = 1.0

    def views(
        self,
        texts: list[str],
        languages: list[str | None],
        fit: bool = False,
        rule_results: list[RuleResult] | None = None,
    ):
        """The two unweighted feature matrices ``(binary, tfidf)``; ``fit=True`` fits the
        vocabularies and IDF weights first. ``rule_results`` (one per text) saves re-running
        the rules."""
        from scipy import sparse

        if self.group_blind:
            spans = [r.group_spans for r in rule_results] if rule_results else [None] * len(texts)
            raw = texts
            texts = [
                mask_groups(t, s, lang) for t, s, lang in zip(texts, spans, languages, strict=True)
            ]
        else:
            raw = texts
        if fit:
            self.chars, self.words, self.char_idf, self.word_idf = _vectorisers()
            self.chars.fit(texts)
            self.words.fit(texts)
        chars, words = char_ngram_counts(self.chars, texts), word_ngram_counts(self.words, texts)
        if fit:
            self.char_idf.fit(chars)
            self.word_idf.fit(words)
        rules = sparse.csr_matrix(self.rule_matrix(raw, languages, rule_results))
        binary = sparse.hstack([chars.sign(), words.sign(), rules], format="csr")
        tfidf = sparse.hstack(
            [
                tfidf_weights(chars, self.char_idf.idf_),
                tfidf_weights(words, self.word_idf.idf_) * WORD_WEIGHT,
                rules * self.rule_scale,
            ],
            format="csr",
        )
        return binary, tfidf

    def rule_matrix(self, texts, languages, rule_results) -> np.ndarray:
        """The rule features this model was trained with (``rule_names``), one row per text."""
        if not self.rule_names:
            return np.zeros((len(texts), 0), dtype=np.float32)
        if rule_results is None:
            rule_results = [apply_rules(t, lang) for t, lang in zip(texts, languages, strict=True)]
        missing = [name for name in self.rule_names if name not in RULE_FEATURES]
        if missing:
            raise ArgumentError("model", f"needs rule features this version lacks: {missing}")
        columns = [RULE_FEATURES.index(name) for name in self.rule_names]
        values = np.array([rule_features(r) for r in rule_results], dtype=np.float32)
        return values.reshape(len(texts), -1)[:, columns]

    def predict_proba(
        self,
        texts: list[str],
        languages: list[str | None],
        rule_results: list[RuleResult] | None = None,
    ) -> np.ndarray:
        """Probability-like score of the positive class for each text (the weighted average)."""
        return self.score_views(*self.views(texts, languages, rule_results=rule_results))

    def feature_key(self) -> tuple:
        """Models with the same key compute the same ``views`` (see ``share_features``)."""
        parts = (self.chars.vocabulary_, self.words.vocabulary_, self.char_idf, self.word_idf)
        return (*map(id, parts), self.rule_names, self.group_blind, self.rule_scale)

    def score_views(self, binary, tfidf) -> np.ndarray:
        """``predict_proba`` from the matrices of ``views``."""
        nb = positive_scores(self.nb_classifier, binary.multiply(self.nb_ratio).tocsr())
        if self.tfidf_ratio is not None:
            tfidf = tfidf.multiply(self.tfidf_ratio).tocsr()
        plain = positive_scores(self.tfidf_classifier, tfidf)
        return self.nb_weight * nb + (1 - self.nb_weight) * plain


def share_features(models: list[MonitorModel]) -> None:
    """Let models loaded with the same vocabularies and equal IDF weights (e.g. the shipped
    relevance and hostility models, fitted on the same texts) share one set of vectorisers, so
    ``predict_many`` counts the n-grams of a batch once."""
    for model in models[1:]:
        first = models[0]
        if (
            model.chars.vocabulary_ is first.chars.vocabulary_
            and model.words.vocabulary_ is first.words.vocabulary_
            and np.array_equal(model.char_idf.idf_, first.char_idf.idf_)
            and np.array_equal(model.word_idf.idf_, first.word_idf.idf_)
        ):
            model.chars, model.words = first.chars, first.words
            model.char_idf, model.word_idf = first.char_idf, first.word_idf


def predict_many(models: dict, texts, languages, rule_results=None) -> dict:
    """``{target: model.predict_proba(...)}``, computing the views once per ``feature_key``."""
    views: dict[tuple, tuple] = {}
    scores = {}
    for target, model in models.items():
        key = model.feature_key()
        if key not in views:
            views[key] = model.views(texts, languages, rule_results=rule_results)
        scores[target] = model.score_views(*views[key])
    return scores


def _fit_nb(binary, labels: np.ndarray, c: float, alpha: float = NB_ALPHA):
    ratio = nb_log_ratio(binary, labels, alpha)
    return ratio, _classifier(c).fit(binary.multiply(ratio).tocsr(), labels)


def _nb_scores(binary_fit, labels, binary_test, c: float, alpha: float = NB_ALPHA) -> np.ndarray:
    ratio, fitted = _fit_nb(binary_fit, labels, c, alpha)
    return positive_scores(fitted, binary_test.multiply(ratio).tocsr())


def binary_labels(values: pd.Series, threshold: float = 0.5) -> np.ndarray:
    """Labels as 0/1: booleans and yes/no words as such, numbers as ``value >= threshold``."""
    import pandas as pd

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


def _scale_rules(tfidf, rule_count: int, scale: float):
    """``tfidf`` with its last ``rule_count`` columns (the rule features) times ``scale``."""
    from scipy import sparse

    if scale == 1.0 or not rule_count:
        return tfidf
    weights = np.ones(tfidf.shape[1], dtype=tfidf.dtype)
    weights[-rule_count:] = scale
    return sparse.csr_matrix(tfidf @ sparse.diags(weights))


def _setting_name(key: tuple, alphas: tuple, scales: tuple) -> str:
    """``nb_C=..,tfidf_C=..,nb_weight=..``, with ``nb_alpha`` and ``rule_scale`` when more than
    one value of them was tried."""
    nb_c, alpha, tfidf_c, scale, weight = key
    alpha_part = f",nb_alpha={alpha}" if len(alphas) > 1 else ""
    scale_part = f",rule_scale={scale}" if len(scales) > 1 else ""
    return f"nb_C={nb_c}{alpha_part},tfidf_C={tfidf_c}{scale_part},nb_weight={weight}"


def train(
    frame: pd.DataFrame,
    text_col: str,
    label_col: str,
    target: str = "relevance",
    *,
    language_col: str | None = "language",
    label_threshold: float = 0.5,
    nb_cs: tuple[float, ...] = DEFAULT_NB_CS,
    tfidf_cs: tuple[float, ...] = DEFAULT_TFIDF_CS,
    nb_weights: tuple[float, ...] = DEFAULT_NB_WEIGHTS,
    nb_alphas: tuple[float, ...] = DEFAULT_NB_ALPHAS,
    rule_scales: tuple[float, ...] = DEFAULT_RULE_SCALES,
    folds: int = 3,
    seed: int = 0,
    rule_names: tuple[str, ...] = RULE_FEATURES,
) -> MonitorModel:
    """Fit a ``MonitorModel``; both C values, the NB smoothing ``alpha``, the weight of the rule
    features in the TF-IDF view (``rule_scales``; without rule features only 1) and the NB weight
    by ``folds``-fold cross-validated average precision on these rows only.

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
    model = MonitorModel(target, rule_names)
    binary, tfidf = model.views(texts, languages, fit=True)
    rule_scales = tuple(rule_scales) if rule_names else (1.0,)
    scaled = {scale: _scale_rules(tfidf, len(rule_names), scale) for scale in rule_scales}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(labels)), labels))
    nb_grid = list(itertools.product(nb_cs, nb_alphas))
    tfidf_grid = list(itertools.product(tfidf_cs, rule_scales))
    nb_oof = {key: np.zeros(len(labels)) for key in nb_grid}
    tfidf_oof = {key: np.zeros(len(labels)) for key in tfidf_grid}
    for fit_idx, test_idx in splits:
        for c, alpha in nb_grid:
            nb_oof[(c, alpha)][test_idx] = _nb_scores(
                binary[fit_idx], labels[fit_idx], binary[test_idx], c, alpha
            )
        ratio = nb_log_ratio(binary[fit_idx], labels[fit_idx])
        for c, scale in tfidf_grid:
            weighted = scaled[scale].multiply(ratio).tocsr()
            fitted = _classifier(c).fit(weighted[fit_idx], labels[fit_idx])
            tfidf_oof[(c, scale)][test_idx] = positive_scores(fitted, weighted[test_idx])
    cv_ap, oof = {}, {}
    for nb_key, tfidf_key, weight in itertools.product(nb_grid, tfidf_grid, nb_weights):
        scores = weight * nb_oof[nb_key] + (1 - weight) * tfidf_oof[tfidf_key]
        cv_ap[(*nb_key, *tfidf_key, weight)] = float(average_precision_score(labels, scores))
        oof[(*nb_key, *tfidf_key, weight)] = scores
    best = max(cv_ap, key=cv_ap.get)
    nb_c, nb_alpha, tfidf_c, model.rule_scale, model.nb_weight = best
    model.nb_ratio, model.nb_classifier = _fit_nb(binary, labels, nb_c, nb_alpha)
    model.tfidf_ratio = nb_log_ratio(binary, labels)
    weighted = scaled[model.rule_scale].multiply(model.tfidf_ratio).tocsr()
    model.tfidf_classifier = _classifier(tfidf_c).fit(weighted, labels)
    grid = np.round(np.linspace(0.05, 0.95, 19), 2)  # 0.45, never 0.44999999999999996
    f1s = [f1_score(labels, oof[best] >= t) for t in grid]
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
        "features": recipe(rule_names, nb_alpha, model.rule_scale),
        "classifier": {
            "type": "average of NB-LR and delta-TF-IDF-LR (liblinear, L2)",
            "nb_C": nb_c,
            "nb_alpha": nb_alpha,
            "tfidf_C": tfidf_c,
            "rule_scale": model.rule_scale,
            "nb_weight": model.nb_weight,
        },
        "threshold": model.threshold,
        "cross_validation": {
            "folds": folds,
            "seed": seed,
            "average_precision_by_setting": {
                _setting_name(key, nb_alphas, rule_scales): value for key, value in cv_ap.items()
            },
            "average_precision_by_view": {
                **{
                    f"nb_only,C={c}" + (f",alpha={a}" if len(nb_alphas) > 1 else ""): float(
                        average_precision_score(labels, s)
                    )
                    for (c, a), s in nb_oof.items()
                },
                **{
                    f"tfidf_only,C={c}" + (f",rule_scale={r}" if len(rule_scales) > 1 else ""): (
                        float(average_precision_score(labels, s))
                    )
                    for (c, r), s in tfidf_oof.items()
                },
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
    """Write ``model.npz`` (arrays), ``vocabulary.json``, ``model_card.json`` and
    ``model_card.md`` into ``out_dir``; nothing is pickled."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / MODEL_FILE,
        char_idf=model.char_idf.idf_,
        word_idf=model.word_idf.idf_,
        nb_ratio=model.nb_ratio,
        nb_coef=model.nb_classifier.coef_,
        nb_intercept=model.nb_classifier.intercept_,
        tfidf_coef=model.tfidf_classifier.coef_,
        tfidf_intercept=model.tfidf_classifier.intercept_,
        **({} if model.tfidf_ratio is None else {"tfidf_ratio": model.tfidf_ratio}),
    )
    vocabulary = {
        "format": MODEL_FORMAT,
        "target": model.target,
        "threshold": model.threshold,
        "nb_weight": model.nb_weight,
        "rule_weight": model.rule_weight,
        "lift_threshold": model.lift_threshold,
        "group_blind": model.group_blind,
        "rule_scale": model.rule_scale,
        "rule_names": list(model.rule_names),
        "chars": sorted(model.chars.vocabulary_, key=model.chars.vocabulary_.get),
        "words": sorted(model.words.vocabulary_, key=model.words.vocabulary_.get),
    }
    (out / VOCABULARY_FILE).write_text(json.dumps(vocabulary, ensure_ascii=False))
    (out / CARD_FILE).write_text(json.dumps(model.card, indent=2, ensure_ascii=False) + "\n")
    (out / "model_card.md").write_text(card_markdown(model.card))
    return out


_VOCABULARIES: dict[str, dict[str, int]] = {}


def _vocabulary(grams: list[str]) -> dict[str, int]:
    """``{gram: column}``, one dictionary per distinct vocabulary in this process (the shipped
    relevance and hostility models have the same vocabulary)."""
    key = "\n".join(grams)
    if key not in _VOCABULARIES:
        _VOCABULARIES[key] = {gram: i for i, gram in enumerate(grams)}
    return _VOCABULARIES[key]


def load(model_dir: str | Path) -> MonitorModel:
    """Read a model written by ``save`` (arrays without pickle, vocabularies from JSON)."""
    folder = Path(model_dir)
    path = folder / MODEL_FILE
    if not path.exists():
        old = (
            f" ({PICKLED_MODEL_FILE} is an old pickled model: retrain it)"
            if (folder / PICKLED_MODEL_FILE).exists()
            else ""
        )
        raise ArgumentError("model", f"no {MODEL_FILE} in {model_dir}{old}")
    meta = json.loads((folder / VOCABULARY_FILE).read_text())
    if meta.get("format") != MODEL_FORMAT:
        raise ArgumentError("model", f"{folder / VOCABULARY_FILE} is not a {MODEL_FORMAT} file")
    model = MonitorModel(meta["target"], tuple(meta["rule_names"]))
    model.threshold, model.nb_weight = meta["threshold"], meta["nb_weight"]
    model.rule_weight = meta.get("rule_weight", 0.0)
    model.lift_threshold = meta.get("lift_threshold", 0.0)
    model.group_blind = meta.get("group_blind", False)  # older models saw raw text
    model.rule_scale = meta.get("rule_scale", 1.0)  # older models: rule features unscaled
    model.chars = Fitted(vocabulary_=_vocabulary(meta["chars"]), ngram_range=CHAR_NGRAM_RANGE)
    model.words = Fitted(vocabulary_=_vocabulary(meta["words"]), ngram_range=WORD_NGRAM_RANGE)
    with np.load(path, allow_pickle=False) as arrays:
        model.char_idf = Fitted(idf_=arrays["char_idf"])
        model.word_idf = Fitted(idf_=arrays["word_idf"])
        model.nb_ratio = arrays["nb_ratio"]
        model.nb_classifier = Fitted(coef_=arrays["nb_coef"], intercept_=arrays["nb_intercept"])
        model.tfidf_classifier = Fitted(
            coef_=arrays["tfidf_coef"], intercept_=arrays["tfidf_intercept"]
        )
        if "tfidf_ratio" in arrays.files:  # older models score the plain TF-IDF
            model.tfidf_ratio = arrays["tfidf_ratio"]
    card = folder / CARD_FILE
    model.card = (
        json.loads(card.read_text()) if card.exists() else {"name": f"model-{model.target}"}
    )
    return model
