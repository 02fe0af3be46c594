"""The constructed training corpus (kelisim.monitor.corpus) and the shipped models built from it.

Kazakh case endings after the plural are checked against the paradigm tables of Z. Muhamedowa,
*Kazakh: A Comprehensive Grammar* (Routledge 2016), section 2.1 (nominal cases): after a final р
the genitive is -дың/-дің, the accusative -ды/-ді, the dative -ға/-ге, the locative -да/-де, the
ablative -дан/-ден and the instrumental -мен, back or front by vowel harmony.
"""

import json

import numpy as np
import pandas as pd
import pytest

from kelisim.monitor.classify import SHIPPED_MODEL_DIR
from kelisim.monitor.corpus.build import read_corpus
from kelisim.monitor.corpus.generate import FRAME_TIERS, build_corpus
from kelisim.monitor.corpus.kk import declined
from kelisim.monitor.model import MODEL_FILE, VOCABULARY_FILE, load


@pytest.fixture(scope="module")
def corpus():
    return read_corpus()


def test_committed_corpus_is_what_the_generator_writes(corpus):
    again = build_corpus()
    pd.testing.assert_frame_equal(
        again.astype(str).reset_index(drop=True), corpus.astype(str).reset_index(drop=True)
    )


def test_corpus_covers_languages_tiers_frames_registers_and_scripts(corpus):
    for lang, part in corpus.groupby("lang"):
        assert len(part) >= 3000, lang
        assert set(part["tier"]) == set(range(6)), lang
        assert set(part["frame"]) == set(FRAME_TIERS), lang
        assert set(part["register"]) == {"news", "comments", "telegram"}, lang
        assert part["template"].nunique() >= 250, lang
        assert part["target"].nunique() >= 20, lang
        assert (part["tier"] == part["frame"].map(FRAME_TIERS)).all()
        assert (part["relevant"] == (part["tier"] >= 1)).all()
    kazakh_scripts = set(corpus.loc[corpus["lang"] == "kk", "script"])
    assert {"cyrillic", "latin", "folded", "mixed"} <= kazakh_scripts
    assert "mixed" in set(corpus.loc[corpus["lang"] == "ru", "script"])
    assert not corpus["text"].duplicated().any()
    assert set(corpus["split"]) == {"train", "test"}
    # a held-out template never appears in the training split
    held = corpus.groupby(["lang", "frame", "template"])["split"].nunique()
    assert (held == 1).all()


def test_traps_are_calm(corpus):
    traps = corpus[corpus["frame"] == "trap"]
    assert traps["text"].str.contains("корейск|Korean|корей", case=False).any()
    assert (traps["tier"] == 0).all() and (traps["target"] == "").all()


def test_kazakh_cases_after_the_plural():
    assert declined("қазақ", "қазақтар") == (
        "қазақтар",
        "қазақтардың",
        "қазақтарды",
        "қазақтарға",
        "қазақтарда",
        "қазақтардан",
        "қазақтармен",
        "қазақ",
    )
    assert declined("өзбек", "өзбектер")[1:7] == (
        "өзбектердің",
        "өзбектерді",
        "өзбектерге",
        "өзбектерде",
        "өзбектерден",
        "өзбектермен",
    )


@pytest.mark.parametrize("target", ["relevance", "hostility"])
def test_shipped_models_are_plain_arrays_and_json(target):
    folder = SHIPPED_MODEL_DIR / target
    with np.load(folder / MODEL_FILE, allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
    meta = json.loads((folder / VOCABULARY_FILE).read_text())
    assert meta["target"] == target and meta["rule_names"] == []
    model = load(folder)
    assert model.rule_weight == 0.5
    assert model.card["data"]["source"].endswith("(constructed, Apache-2.0)")


def test_shipped_models_count_each_batch_once(corpus):
    """Relevance and hostility were fitted on the same texts: they share their vectorisers, and
    predict_many gives each model's own predict_proba."""
    from kelisim.monitor.classify import load_models
    from kelisim.monitor.model import predict_many

    models = load_models(None)
    assert models["relevance"].feature_key() == models["hostility"].feature_key()
    sample = corpus.sample(40, random_state=0)
    texts, langs = sample["text"].tolist(), sample["lang"].tolist()
    together = predict_many(models, texts, langs)
    for target, model in models.items():
        np.testing.assert_allclose(together[target], model.predict_proba(texts, langs))


def test_shipped_models_are_group_blind():
    """Group names are masked before the features (Garg et al. 2019, section 4): sentences that
    differ only in the group get the same scores, inflected and adjectival forms included."""
    from kelisim.monitor.classify import load_models
    from kelisim.monitor.extract import GROUP_PLACEHOLDER, mask_groups
    from kelisim.monitor.model import predict_many

    assert mask_groups("Корейская семья и украинцы", language="ru") == (
        f"{GROUP_PLACEHOLDER} семья и {GROUP_PLACEHOLDER}"
    )
    models = load_models(None)
    assert all(model.group_blind for model in models.values())
    texts = [
        "В нашем районе живут украинцы. Они держат пекарню у рынка.",
        "В нашем районе живут корейцы. Они держат пекарню у рынка.",
        "Ауылымызда өзбектер тұрады.",
        "Ауылымызда орыстар тұрады.",
    ]
    scores = predict_many(models, texts, ["ru", "ru", "kk", "kk"])
    for values in scores.values():
        np.testing.assert_allclose(values[0], values[1])
        np.testing.assert_allclose(values[2], values[3])


def test_shipped_lift_threshold_is_chosen_on_the_held_out_templates():
    """The hostility model's bar for lifting a tier-1/2 document to tier 3 is recorded with the
    held-out calm rates it was chosen for (corpus.build.choose_lift_threshold)."""
    model = load(SHIPPED_MODEL_DIR / "hostility")
    record = model.card["lift_threshold"]
    assert record["value"] == model.lift_threshold > model.threshold
    assert "split == test" in record["chosen_on"]
    without_lift = record["held_out_calm_rates_without_model_lift"]
    for lang, rate in record["held_out_calm_rates"].items():
        assert rate <= max(0.01, without_lift[lang])
