"""Severity rules (kelisim.monitor.rules) on constructed sentences and the constructed sets.

Tier definitions: Dangerous Speech hallmarks (Benesch 2023, "Dangerous Speech: A Practical Guide",
sections on dehumanisation, accusation in a mirror, threats to purity); incitement per the Rabat
Plan of Action (OHCHR 2012, A/HRC/22/17/Add.4, para. 29). The constructed sets are ours (see the
note in each file); they were also used while writing the lexicons, so the floors below are
optimistic for real text and only guard against regressions.
"""

import numpy as np
import pytest

from kelisim.monitor.rules import apply_rules
from monitor_fixtures import constructed_eval

RELEVANCE_PRECISION_FLOOR = 0.9
HOSTILITY_PRECISION_FLOOR = 0.9
RELEVANCE_RECALL_FLOOR = 0.85
HOSTILITY_RECALL_FLOOR = 0.8


@pytest.mark.parametrize(
    ("text", "language", "tier"),
    [
        ("Погода в Алматы хорошая.", "ru", 0),
        ("Казахи отмечают Наурыз.", "ru", 1),
        ("Казахи и уйгуры в селе подрались.", "ru", 2),
        ("Все узбеки воры.", "ru", 3),
        ("Uyghurs are cockroaches.", "en", 4),
        ("Орыстарды елден қуу керек!", "kk", 5),
        ("Надо выгнать всех узбеков из Шымкента!", "ru", 5),
    ],
)
def test_tiers(text, language, tier):
    assert apply_rules(text, language).tier == tier


def test_every_hit_names_rule_and_phrase():
    text = "Надо выгнать всех узбеков из Шымкента!"
    result = apply_rules(text, "ru")
    rules = {hit["rule"] for hit in result.hits}
    assert {"group_mention", "incitement_expulsion"} <= rules
    for hit in result.hits:
        start, end = hit["span"]
        assert text[start:end] == hit["phrase"]


def test_negation_turns_a_hostile_cue_into_counter_speech():
    ru = apply_rules("Нельзя ненавидеть казахов.", "ru")
    kk = apply_rules("Орыстарды өлтірмеу керек.", "kk")
    en = apply_rules("Russians are not animals.", "en")
    for result in (ru, kk, en):
        assert result.tier == 1
        assert result.counter_speech
        assert any(hit["rule"].startswith("negated:") for hit in result.hits)


def test_negation_inside_a_cue_is_part_of_the_cue():
    assert apply_rules("Казахи — не люди, а скот.", "ru").tier == 4


def test_reported_speech_is_capped_at_tension():
    result = apply_rules("The court sentenced a blogger who called to kill Kazakhs.", "en")
    assert result.tier == 2
    assert any(hit["rule"] == "reported:incitement_violence" for hit in result.hits)
    quoted = apply_rules("Он написал «всех уйгуров надо выгнать».", "ru")
    assert quoted.tier == 2


def test_weak_mentions_need_context():
    assert apply_rules("Китайская компания построит завод.", "ru").tier == 0
    assert apply_rules("The Russian president met governors.", "en").tier == 0
    assert apply_rules("Қытай компаниясы зауыт салады.", "kk").tier == 0
    assert apply_rules("Уйгурский театр показал премьеру.", "ru").tier == 1


def test_group_in_previous_sentence_anchors_a_pronoun_sentence():
    assert apply_rules("Уйгуры переехали в наш район. Они тараканы.", "ru").tier == 4


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_rules_precision_on_constructed_set(language):
    frame = constructed_eval(language)
    results = [apply_rules(text, language) for text in frame["text"]]
    predicted_tier = np.array([r.tier for r in results])
    relevant, flagged = frame["relevant"].to_numpy(), predicted_tier > 0
    hostile, flagged_hostile = frame["tier"].to_numpy() >= 3, predicted_tier >= 3
    assert relevant[flagged].mean() >= RELEVANCE_PRECISION_FLOOR
    assert flagged[relevant].mean() >= RELEVANCE_RECALL_FLOOR
    assert hostile[flagged_hostile].mean() >= HOSTILITY_PRECISION_FLOOR
    assert flagged_hostile[hostile].mean() >= HOSTILITY_RECALL_FLOOR


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_constructed_sets_cover_every_tier_and_counter_speech(language):
    frame = constructed_eval(language)
    assert len(frame) >= 150
    assert set(frame["tier"]) == {0, 1, 2, 3, 4, 5}
    assert frame["counter_speech"].sum() >= 10
