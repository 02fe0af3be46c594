"""Transparent severity rules over the lexicons: every hit names its rule and matched phrases.

A sentence is *anchored* when it mentions a group, a derogatory term or an interethnic topic cue
(a sentence without an anchor inherits one from the sentence before it). Weak mentions
(adjectives that also name a language, product or state; bare Kazakh stems) count only next to a
cue. Cues of tension (2), hostility (3), dehumanisation (4, the Dangerous Speech hallmarks,
Benesch 2023) and incitement (5, calls to violence or expulsion, Rabat Plan of Action 2012,
para. 29) raise an anchored sentence to their tier; where cues overlap the longer phrase wins.
A cue with a negation close by (before it in Russian and English; after it, or a negative verb
affix, in Kazakh) is not a hit but a rejection and counts as counter-speech; a counter-speech
rejection ("stop blaming", "stereotype") caps the hostile cues of its sentence at tier 1.
Hostile cues in reported or quoted speech (a reporting verb, police or court words, quotation
marks) cap the sentence at tier 2: an article about hateful speech is a tension report.
Frames (``kelisim.monitor.frames``: a target plus a predicate class over lemmas and verb moods)
anchor their sentence and raise it like cues, under the same negation, reporting and
counter-speech rules.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from dataclasses import dataclass, field

from kelisim.monitor.extract import (
    _SENTENCE_END,
    Mention,
    group_name_spans,
    load_lexicon,
    normalise_token,
    quoted_spans,
    tokenise,
    weak_mention,
)
from kelisim.monitor.frames import CLAUSE_NEGATION_WINDOW, FrameHit, find_frames
from kelisim.monitor.gazetteer import resolve_places

TIER_NAMES = {
    0: "not relevant",
    1: "neutral report",
    2: "tension",
    3: "hostility",
    4: "dehumanisation",
    5: "incitement",
}
NEGATION_WINDOW = 2
KK_NEGATION_WINDOW = 2  # Kazakh negation follows the verb: емес, жоқ, болмайды
# Rule-only scores per tier: a transparent, monotone mapping used when no model is given.
RULE_RELEVANCE = {0: 0.0, 1: 0.6, 2: 0.9, 3: 0.95, 4: 0.97, 5: 0.99}
RULE_HOSTILITY = {0: 0.0, 1: 0.05, 2: 0.3, 3: 0.6, 4: 0.8, 5: 0.95}


@dataclass
class RuleResult:
    """Rules verdict for one text: tier, counter-speech, codes and every hit with its phrase."""

    tier: int = 0
    counter_speech: bool = False
    groups: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    place_details: list[dict] = field(default_factory=list)
    hits: list[dict] = field(default_factory=list)
    derogatory: int = 0
    topic: int = 0
    group_spans: list[tuple[int, int]] = field(default_factory=list)  # every group name's span

    @property
    def relevant(self) -> bool:
        return self.tier > 0

    @property
    def relevance_score(self) -> float:
        return RULE_RELEVANCE[self.tier]

    @property
    def hostility_score(self) -> float:
        return RULE_HOSTILITY[self.tier]


def _negated(cue: Mention, negations: list[Mention], language: str | None) -> bool:
    """Whether a negation cancels ``cue``: after it in Kazakh, before it in Russian and English;
    a Russian loanword of a Kazakh document takes either ("паразит емес")."""
    after = any(0 <= n.start - cue.end < KK_NEGATION_WINDOW for n in negations)
    if cue.entry.lang in ("kk", "kk_latn"):
        return cue.negative_affix or after
    before = any(
        0 < cue.start - n.start <= negation_window(n.entry.code) and n.end <= cue.start
        for n in negations
    )
    return before or (language == "kk" and after)


def negation_window(code: str) -> int:
    """Words a negation reaches forward (Russian, English): a negated subject its clause."""
    return CLAUSE_NEGATION_WINDOW if code == "negation_clause" else NEGATION_WINDOW


SEVERE_TIERS = ("2", "3", "4", "5")
# words that open a rejection of the sentence before: "Это ложь.", "It is a lie.", "Бұл өтірік."
_ANAPHORS = frozenset({"это", "this", "that", "it", "that's", "it's", "бұл", "мұның", "осы"})


def _answering_rejections(text: str, by_sentence: dict, frames_by_sentence: dict) -> set[int]:
    """Sentences that only reject the sentence before them: a counter-speech rejection, no group,
    no severe cue or frame of their own, opened by an anaphor ("Кто сказал, что уйгуры — воры?
    Это ложь.", "... are parasites; it is a lie."). The sentence before is countered."""
    candidates = [
        number
        for number, items in by_sentence.items()
        if any(m.entry.code == "counter_rejection" for m in items)
        and not any(m.entry.kind == "group" or m.entry.tier in SEVERE_TIERS for m in items)
        and number not in frames_by_sentence
        and number > 0
    ]
    if not candidates:
        return set()
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    openers = {}
    for match in tokenise(text):
        openers.setdefault(bisect_right(ends, match.start()), normalise_token(match.group()))
    return {number for number in candidates if openers.get(number) in _ANAPHORS}


def _severity_cues(cues: list[Mention]) -> list[Mention]:
    """Tier 2-5 cues, dropping a cue covered by a longer, more specific one."""
    severe = [m for m in cues if m.entry.tier in SEVERE_TIERS]
    return [
        m
        for m in severe
        if not any(
            o.start <= m.start and m.end <= o.end and (o.end - o.start) > (m.end - m.start)
            for o in severe
        )
    ]


def apply_rules(text: str, language: str | None = None) -> RuleResult:
    """Tier, counter-speech flag and hits for one text (see module docstring for the rules)."""
    mentions = load_lexicon().find(text, language)
    frames = find_frames(text, language, mentions)
    result = RuleResult(group_spans=group_name_spans(mentions))
    if not mentions and not frames:
        return result
    result.places, result.place_details = resolve_places(mentions)
    quotes = quoted_spans(text)
    by_sentence: dict[int, list[Mention]] = {}
    for m in mentions:
        by_sentence.setdefault(m.sentence, []).append(m)
    frames_by_sentence: dict[int, list[FrameHit]] = {}
    for f in frames:
        frames_by_sentence.setdefault(f.sentence, []).append(f)
    rejections = _answering_rejections(text, by_sentence, frames_by_sentence)
    anchored_before = False
    for sentence in sorted(set(by_sentence) | set(frames_by_sentence)):
        items = by_sentence.get(sentence, [])
        sentence_frames = frames_by_sentence.get(sentence, [])
        cues = [m for m in items if m.entry.kind == "cue"]
        topic = [m for m in cues if m.entry.tier == "1"]
        negations = [m for m in cues if m.entry.tier == "n"]
        counters = [m for m in cues if m.entry.tier == "c"]
        severe = _severity_cues(cues)
        reported = any(m.entry.tier == "r" for m in cues)
        context = bool(topic or severe or counters or sentence_frames) or any(
            m.entry.tier == "k" for m in cues
        )
        groups = [m for m in items if m.entry.kind == "group" and (context or not weak_mention(m))]
        anchor = bool(groups or topic or sentence_frames) or (
            anchored_before and sentence - 1 in by_sentence
        )
        anchored_before = bool(groups or topic or sentence_frames)
        if not anchor:
            continue
        for m in groups:
            if m.entry.code not in result.groups:
                result.groups.append(m.entry.code)
        for f in sentence_frames:
            if f.target and ":" not in f.target and f.target != "outgroup":
                if f.target not in result.groups:
                    result.groups.append(f.target)
        result.topic += len(topic)
        tier = 1
        for m in groups:
            result.hits.append(_hit("group_mention", 1, m))
        for m in topic:
            result.hits.append(_hit(m.entry.code, 1, m))
        for m in counters:
            result.counter_speech = True
            result.hits.append(_hit(m.entry.code, 0, m))
        hostile_frames = [f for f in sentence_frames if not f.counter]
        # a threat frame over a call cue ("ready to slaughter us") is the threat, as with
        # overlapping cues: the longer phrase wins
        mirrors = [f.span for f in hostile_frames if f.frame == "mirror" and not f.negated]
        severe = [
            m
            for m in severe
            if not (m.entry.tier == "5" and any(a <= m.char_start < b for a, b in mirrors))
        ]
        for f in sentence_frames:
            if f.counter:
                result.counter_speech = True
                result.hits.append(f.as_hit(tier=1))
        negations = [n for n in negations if not any(c.start <= n.start < c.end for c in severe)]
        negated = [m for m in severe if _negated(m, negations, language)]
        countered = (
            any(m.entry.code == "counter_rejection" for m in counters)
            or any(f.counter for f in sentence_frames)
            or sentence + 1 in rejections
        )
        for m in negated:
            result.hits.append(_hit("negated:" + m.entry.code, 0, m))
        for f in hostile_frames:
            if f.negated:
                result.hits.append(f.as_hit("negated:frame:" + f.frame, 0))
        negated_hostile = any(int(m.entry.tier) >= 3 for m in negated) or any(
            f.negated for f in hostile_frames
        )
        if (
            negated_hostile
            and not any(int(m.entry.tier) >= 3 for m in severe if m not in negated)
            and not any(not f.negated for f in hostile_frames)
        ):
            result.counter_speech = True
        for m in groups:
            if m.entry.label != "derogatory":
                continue
            result.derogatory += 1
            if reported or any(a <= m.char_start < b for a, b in quotes):
                result.hits.append(_hit("reported:derogatory_term", 2, m))
                tier = max(tier, 2)
            else:
                result.hits.append(_hit("derogatory_term", 3, m))
                tier = max(tier, 3)
        capped = [
            (int(m.entry.tier), m.entry.code, m.char_start, functools.partial(_hit, m=m))
            for m in severe
            if m not in negated
        ] + [
            (f.tier, "frame:" + f.frame, f.span[0], _frame_hit(f))
            for f in hostile_frames
            if not f.negated
        ]
        grievance = any(m.entry.code == "tension_grievance" for m in cues)
        quarrel = any(f.counter for f in sentence_frames)
        for cue_tier, rule, start, make_hit in capped:
            inside_quote = any(a <= start < b for a, b in quotes)
            if grievance and rule == "frame:exclusion":
                # "they complain they are not hired": a reported grievance, tension
                result.hits.append(make_hit("grievance:" + rule, 2))
                cue_tier = 2
            elif quarrel and cue_tier > 1:
                # "don't turn a quarrel into an ethnic conflict": the conflict words are the warning
                result.hits.append(make_hit("countered:" + rule, 1))
                cue_tier = 1
            elif countered and cue_tier > 2:
                result.hits.append(make_hit("countered:" + rule, 1))
                cue_tier = 1
            elif (reported or inside_quote) and cue_tier > 2:
                result.hits.append(make_hit("reported:" + rule, 2))
                cue_tier = 2
            else:
                result.hits.append(make_hit(rule, cue_tier))
            tier = max(tier, cue_tier)
        result.tier = max(result.tier, tier)
    return result


def _frame_hit(frame: FrameHit):
    return lambda rule, tier: frame.as_hit(rule, tier)


def _hit(rule: str, tier: int, m: Mention) -> dict:
    return {"rule": rule, "tier": tier, "phrase": m.text, "span": [m.char_start, m.char_end]}


RULE_FEATURES = ("tier_3", "tier_4", "tier_5", "derogatory", "topic")


def rule_features(result: RuleResult) -> list[float]:
    """Numeric summary of a ``RuleResult`` in the order of ``RULE_FEATURES`` (model inputs).

    Only the severe tiers, derogatory terms and topic cues: on the Russian validation data the
    low tiers (plain group mentions) added noise to the n-gram model.
    """
    return [
        float(result.tier == 3),
        float(result.tier == 4),
        float(result.tier == 5),
        min(result.derogatory, 3) / 3,
        min(result.topic, 3) / 3,
    ]
