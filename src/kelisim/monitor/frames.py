"""Frames: a target plus a hostile predicate, found over lemmas rather than fixed phrases.

A frame hit needs a **target** in the sentence: a group mention (any form, including adjectives
and derogatory terms), an outgroup noun ("migrants", "этот народ"), or a pronoun or demonstrative
("они", "them", "олар") resolved to the group named last earlier in the document (or, failing a
group, to the place named last). Dehumanisation may also take a place word ("our town") as its
target, since vermin metaphors are often said of "them" without naming anyone. A sentence with
no target word takes the group of the sentence before (dropped subjects and objects:
"Выгоним отсюда!", "Дүкендерін өртейік").

Its **predicate** is a pattern of ``lexicon/frames.tsv`` of one class: essentialising
generalisation, criminalisation, exclusion and denial of rights (tier 3, ECRI GPR 15),
dehumanisation (animals, vermin, disease, breeding, invasion) and threat or accusation in a mirror
(tier 4, Dangerous Speech hallmarks, Benesch 2023), calls to violence or expulsion (tier 5, Rabat
Plan of Action para. 29). Slots match Russian lemmas (pymorphy3), Kazakh stems with their suffix
chains and English base forms (``kelisim.monitor.morph``); call slots must be in a call form:
imperative, hortative, jussive, first person plural future, or an infinitive after a modal ("надо
выгнать", "қуу керек", "they should go back").

Counter-speech that warns against turning an everyday quarrel into a conflict between peoples
("бытовую ссору не надо превращать в межнациональный конфликт") is a frame of its own; it makes
the sentence relevant and caps its hostile cues like any counter-speech rejection.
"""

from __future__ import annotations

import csv
import functools
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

from kelisim.monitor.extract import (
    _CYRILLIC,
    _SENTENCE_END,
    LEXICON_DIR,
    Mention,
    fold_kazakh,
    kk_to_latin,
    normalise_token,
    tokenise,
    weak_mention,
)
from kelisim.monitor.morph import (
    KK_CONVERB,
    KK_HORTATIVE,
    KK_IMPERATIVE,
    KK_INFINITIVE,
    KK_NEGATIVE,
    en_bases,
    kk_readings,
    kk_stem_variants,
    ru_forms,
)

FRAMES_FILE = "frames.tsv"
# Letters only Kazakh Cyrillic has: Kazakh suffix analysis runs on a Russian document's word only
# when it has one of them (code-switching), and on every word of a Kazakh document.
_KAZAKH_LETTER = re.compile("[әғқңөұүһі]")
SLOT_GAP = 3  # words allowed between two consecutive slots of a pattern
MODAL_WINDOW = 3  # a modal this many words before an infinitive makes it a call
MODAL_AFTER = 2  # Russian: a modal this many words after an infinitive too ("Бить их надо")
JUSSIVE_WINDOW = 6  # Russian "пусть" reaches a third person this far, over coordinated verbs
NEGATION_WINDOW = 3  # a negation this many words before the predicate (ru, en) negates it
# a negated subject ("nobody", "никто", "ешкім"; cue code ``negation_clause``) negates its whole
# clause: "Nobody is going to expel Russians"
CLAUSE_NEGATION_WINDOW = 6
KK_NEGATION_AFTER = 2  # Kazakh: емес / жоқ / болмайды up to two words after the predicate
PREDICATE_TIERS = {"3", "4", "5", "c"}
_KK_AUXILIARIES = ("жібер", "таста", "сал", "шық", "шығар", "кет")
_NEGATION_SLOTS = {
    "нельзя",
    "не",
    "нет",
    "ни",
    "никогда",
    "никакой",
    "not",
    "no",
    "never",
    "don't",
    "won't",
    "shouldn't",
    "жоқ",
    "емес",
}


@dataclass(frozen=True)
class Slot:
    """One word of a pattern: ``key`` to look up, ``call`` '' / '!' (any call) / '^' (a call on
    others: imperative, jussive, modal + infinitive)."""

    key: str
    call: str


@dataclass(frozen=True)
class Pattern:
    frame: str
    tier: str
    lang: str
    text: str
    slots: tuple[Slot, ...]
    source: str
    negative: bool  # the pattern itself holds a negation ("не иметь право")
    anchor: int  # the slot looked up first: the rarest word ("право" in "не иметь право")


@dataclass(frozen=True)
class FrameHit:
    """A frame found in one sentence: its predicate and target with their character spans."""

    frame: str
    tier: int
    lang: str
    phrase: str
    span: tuple[int, int]
    target: str
    target_phrase: str
    target_span: tuple[int, int]
    sentence: int
    negated: bool
    start: int  # token index of the predicate's first word
    counter: bool = False

    def as_hit(self, rule: str | None = None, tier: int | None = None) -> dict:
        """The rationale entry: rule ``frame:<class>``, predicate phrase and span, and target."""
        return {
            "rule": rule or "frame:" + self.frame,
            "tier": self.tier if tier is None else tier,
            "phrase": self.phrase,
            "span": list(self.span),
            "target": self.target,
            "target_phrase": self.target_phrase,
            "target_span": list(self.target_span),
        }


class Word(NamedTuple):
    """What one token can match: keys, and per key the moods it carries (a named tuple: one is
    built per distinct word)."""

    text: str
    keys: frozenset[str]
    moods: tuple[tuple[str, frozenset[str]], ...]
    predicates: tuple[int, ...] = ()  # patterns of a predicate class looked up by this word
    markers: tuple[int, ...] = ()  # target, pronoun, place-word and modal patterns likewise

    def moods_of(self, key: str) -> frozenset[str]:
        for k, m in self.moods:
            if k == key:
                return m
        return frozenset()


def _slot(word: str, lang: str) -> Slot:
    call = word[0] if word[0] in "!^" else ""
    word = word.lstrip("!^")
    if word.endswith("*"):
        return Slot("p:" + normalise_token(word[:-1]), call)
    if word.startswith("="):
        return Slot("x:" + normalise_token(word[1:]), call)
    return Slot(f"{lang}:" + normalise_token(word), call)


class Clauses(NamedTuple):
    """Sentence number of every token, the tokens that open a clause (the first of a sentence,
    and the one after a vocative: "Russians, pack your bags"), and the sentences ending in "!"."""

    sentences: list[int]
    starts: frozenset[int]
    exclaimed: frozenset[int]


def _clauses(text: str, matches, sentences: list[int]) -> Clauses:
    starts = {i for i in range(len(matches)) if i == 0 or sentences[i - 1] != sentences[i]}
    for i in range(1, len(matches)):
        if i - 1 in starts and text[matches[i - 1].end() : matches[i].start()].strip() in ",:—-":
            if text[matches[i - 1].end() : matches[i].start()].strip():
                starts.add(i)
    exclaimed = (k for k, end in enumerate(_SENTENCE_END.finditer(text)) if "!" in end.group())
    return Clauses(sentences, frozenset(starts), frozenset(exclaimed))


class FrameLexicon:
    """The patterns of ``frames.tsv`` indexed by their first slot; words analysed once each."""

    def __init__(self, rows: list[dict[str, str]], forms=ru_forms) -> None:
        self.patterns: list[Pattern] = []
        for row in [*rows, *_mirrored_calls(rows)]:
            self._add(row["frame"], row["tier"], row["lang"], row["pattern"], row["source"])
            if row["lang"] == "kk" and _CYRILLIC.search(row["pattern"]):
                latin = " ".join(_latin_word(w) for w in row["pattern"].split())
                self._add(row["frame"], row["tier"], "kl", latin, row["source"])
        self.first: dict[str, list[int]] = {}
        self.stems: dict[str, set[str]] = {
            "ru": set(),
            "en": set(),
            "kk": set(),
            "kl": set(),
            "kf": set(),
        }
        self.prefixes: set[str] = set()
        for index, pattern in enumerate(self.patterns):
            anchor_key = pattern.slots[pattern.anchor].key
            self.first.setdefault(anchor_key, []).append(index)
            folded_key = _fold_key(anchor_key, pattern.lang, True)
            if folded_key != anchor_key:
                self.first.setdefault(folded_key, []).append(index)
            for slot in pattern.slots:
                kind, _, word = slot.key.partition(":")
                if kind == "p":
                    self.prefixes.add(word)
                    if pattern.lang == "kk":
                        self.prefixes.add(fold_kazakh(word))
                elif kind in self.stems:
                    self.stems[kind].add(word)
                    if kind == "kk":
                        self.stems["kf"].add(fold_kazakh(word))
        self.prefix_lengths = sorted({len(p) for p in self.prefixes})
        self.canonical = {
            variant: stem
            for kind in ("kk", "kf", "kl")
            for stem in self.stems[kind]
            for variant in kk_stem_variants(stem)
        }
        for kind in ("kk", "kf", "kl"):
            self.stems[kind] |= {v for stem in self.stems[kind] for v in kk_stem_variants(stem)}
        self.stems_of = {k: frozenset(v) for k, v in self.stems.items()}
        self.heads = {
            k: frozenset(stem[:cut] for stem in v for cut in range(1, len(stem) + 1))
            for k, v in self.stems_of.items()
        }
        self.prefix_heads = frozenset(
            p[:cut] for p in self.prefixes for cut in range(1, len(p) + 1)
        )
        self.ru_forms = forms(self.stems_of["ru"])
        self.standalone_forms, self.standalone_prefixes = self._standalone()
        self.standalone_heads = frozenset(
            w[:3] for w in (*self.standalone_forms, *self.standalone_prefixes)
        )
        self.word = functools.lru_cache(maxsize=1 << 18)(self._word)

    def _standalone(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """Word forms and prefixes of the patterns that can hit with no group or place named in
        the document (outgroup nouns, place words, quarrel counter-speech): a document with none
        of them and no group or place mention is skipped without analysing its words."""
        forms, prefixes, ru_lemmas = set(), set(), set()
        for pattern in self.patterns:
            if pattern.tier not in ("t", "d", "c"):
                continue
            kind, _, word = pattern.slots[pattern.anchor].key.partition(":")
            if kind == "ru":
                ru_lemmas.add(word)
            elif kind == "x":
                forms.update({word, fold_kazakh(word)})
            else:  # prefixes, Kazakh stems, English bases
                prefixes.update({word, fold_kazakh(word)})
        forms.update(
            form
            for form, lemmas in self.ru_forms.items()
            if any(lemma in ru_lemmas for lemma, _ in lemmas)
        )
        return frozenset(forms), tuple(sorted(prefixes))

    def _may_hit_alone(self, matches) -> bool:
        """Whether a document without group or place mentions has a word of ``_standalone``."""
        heads = self.standalone_heads
        for match in matches:
            token = normalise_token(match.group())
            if token[:3] in heads and (
                token in self.standalone_forms or token.startswith(self.standalone_prefixes)
            ):
                return True
        return False

    def _add(self, frame: str, tier: str, lang: str, text: str, source: str) -> None:
        slots = tuple(_slot(w, lang) for w in text.split())
        negative = any(s.key.partition(":")[2] in _NEGATION_SLOTS for s in slots) or any(
            s.key.startswith(("p:", "x:")) and _kk_negative_word(s.key[2:]) for s in slots
        )
        anchor = max(range(len(slots)), key=lambda k: _rarity(slots[k]))
        self.patterns.append(Pattern(frame, tier, lang, text, slots, source, negative, anchor))

    def _word(self, raw: str, folded: bool) -> Word:
        """Keys and moods of one raw token (memoised: most tokens of a batch were seen before)."""
        text = normalise_token(raw)
        keys = {"x:" + text, "x:" + fold_kazakh(text)} if folded else {"x:" + text}
        moods: dict[str, frozenset[str]] = {}
        for candidate in {text, fold_kazakh(text)} if folded else (text,):
            for length in self.prefix_lengths:
                if length > len(candidate) or candidate[:length] not in self.prefix_heads:
                    break
                if candidate[:length] in self.prefixes:
                    keys.add("p:" + candidate[:length])
        if _CYRILLIC.search(text):
            for lemma, lemma_moods in self.ru_forms.get(text, ()):
                keys.add("ru:" + lemma)
                moods["ru:" + lemma] = lemma_moods
            readings = []
            if folded or _KAZAKH_LETTER.search(text):
                readings = [
                    ("kk", kk_readings(text, self.stems_of["kk"], self.heads["kk"], "cyrillic"))
                ]
            if folded:
                folded_text = fold_kazakh(text)
                readings.append(
                    (
                        "kf",
                        kk_readings(folded_text, self.stems_of["kf"], self.heads["kf"], "folded"),
                    )
                )
            for kind, found in readings:
                for variant, mood in found:
                    stem = self.canonical.get(variant, variant)
                    if _homograph(text, stem, kind):
                        continue
                    keys.add(f"{kind}:{stem}")
                    moods[f"{kind}:{stem}"] = moods.get(f"{kind}:{stem}", frozenset()) | {mood}
        else:
            for base in en_bases(text):
                if base in self.stems["en"]:
                    keys.add("en:" + base)
                    if base == text:
                        moods["en:" + base] = frozenset({"base"})
            for variant, mood in kk_readings(text, self.stems_of["kl"], self.heads["kl"], "latin"):
                stem = self.canonical.get(variant, variant)
                if _homograph(text, stem, "kl"):
                    continue
                keys.add("kl:" + stem)
                moods["kl:" + stem] = moods.get("kl:" + stem, frozenset()) | {mood}
        first = sorted({index for key in keys for index in self.first.get(key, ())})
        return Word(
            text,
            frozenset(keys),
            tuple(moods.items()),
            tuple(i for i in first if self.patterns[i].tier in PREDICATE_TIERS),
            tuple(i for i in first if self.patterns[i].tier not in PREDICATE_TIERS),
        )

    def find(self, text: str, language: str | None, mentions: list[Mention]) -> list[FrameHit]:
        """Frame hits of ``text``; ``mentions`` are its lexicon matches (groups, places, cues)."""
        matches = tokenise(text)
        if not matches:
            return []
        folded = language == "kk"
        if not any(m.entry.kind in ("group", "place") for m in mentions) and not (
            self._may_hit_alone(matches)
        ):
            return []
        words = [self.word(m.group(), folded) for m in matches]
        if not any(word.predicates for word in words):
            return []
        starts = [m.start() for m in matches]
        ends = [m.end() for m in _SENTENCE_END.finditer(text)]
        sentences = [bisect_right(ends, s) for s in starts]
        clauses = _clauses(text, matches, sentences)
        found = []
        for i, word in enumerate(words):
            for index in word.predicates:
                hit = self._match(self.patterns[index], words, clauses, i, folded)
                if hit is not None:
                    found.append((self.patterns[index], *hit))
        if not found:
            return []
        for i, word in enumerate(words):
            for index in word.markers:
                hit = self._match(self.patterns[index], words, clauses, i, folded)
                if hit is not None:
                    found.append((self.patterns[index], *hit))
        return _with_targets(text, found, words, matches, sentences, mentions, folded)

    def _match(self, pattern: Pattern, words, clauses: Clauses, i: int, folded: bool):
        """Token positions of the pattern's slots, its anchor slot at token ``i``, and whether the
        call slot is negated; or None."""
        sentences = clauses.sentences
        sentence = sentences[i]
        after = [i]
        for slot in pattern.slots[pattern.anchor + 1 :]:
            key = _fold_key(slot.key, pattern.lang, folded)
            last = after[-1]
            nxt = next(
                (
                    j
                    for j in range(last + 1, min(len(words), last + 2 + SLOT_GAP))
                    if sentences[j] == sentence and key in words[j].keys
                ),
                None,
            )
            if nxt is None:
                return None
            after.append(nxt)
        before: list[int] = []
        for slot in reversed(pattern.slots[: pattern.anchor]):
            key = _fold_key(slot.key, pattern.lang, folded)
            first = before[-1] if before else i
            previous = next(
                (
                    j
                    for j in range(first - 1, max(-1, first - 2 - SLOT_GAP), -1)
                    if sentences[j] == sentence and key in words[j].keys
                ),
                None,
            )
            if previous is None:
                return None
            before.append(previous)
        positions = before[::-1] + after
        negated = False
        auxiliaries = []
        for slot, position in zip(pattern.slots, positions, strict=True):
            if not slot.call:
                continue
            key = _fold_key(slot.key, pattern.lang, folded)
            call = _is_call(slot, key, words, clauses, position, self)
            if call is None:
                return None
            negated = negated or call == "negated"
            if call == "aux":
                auxiliaries.append(position + 1)
        return positions + auxiliaries, negated

    def modal_key(self, word: Word, lang: str) -> str | None:
        """'m' (a modal for any call), 'm1' (first person plural: "давайте", "we") or None."""
        for key in word.keys:
            tier = _MODALS().get((lang, key))
            if tier:
                return tier
        return None


# Everyday Kazakh words that start with a predicate stem and read as it with a suffix chain:
# "ұрысын" is "the quarrel" (ұрыс) far more often than "his thief" (ұры + сы + н), and a
# quarrel is what counter-speech talks about. The longer word wins.
_KK_HOMOGRAPHS = {"ұры": "ұрыс"}
_HOMOGRAPH_FORMS = {
    (kind, to_script(stem)): to_script(word)
    for stem, word in _KK_HOMOGRAPHS.items()
    for kind, to_script in (
        ("kk", lambda w: w),
        ("kf", fold_kazakh),
        ("kl", lambda w: normalise_token(kk_to_latin(w))),
    )
}


def _homograph(text: str, stem: str, kind: str) -> bool:
    """Whether ``text`` is an everyday word of ``_KK_HOMOGRAPHS`` rather than ``stem``."""
    word = _HOMOGRAPH_FORMS.get((kind, stem))
    return word is not None and (fold_kazakh(text) if kind == "kf" else text).startswith(word)


# The verbs of calls, said of "us", are accusation in a mirror ("выгонят нас", "massacre us",
# "бізді қуады"); verbs that also mean winning a game ("побьют нас в финале", "beat us") are left
# out.
_US = {"ru": "=нас", "en": "=us", "kk": "=бізді"}
_SPORT_VERBS = frozenset(
    "бить побить избить громить разгромить давить раздавить задавить наказать проучить "
    "beat smash crush destroy bash hit wreck punish attack "
    "саба ұр соқ тапта жанышта талқанда жазала".split()
)


def _mirrored_calls(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Mirror rows (tier 4) derived from the call rows of ``rows``: the call's verb with "us"
    as its object, before the verb in Russian and Kazakh and after it in Russian and English."""
    mirrored = []
    for row in rows:
        words = row["pattern"].split()
        if row["frame"] not in ("call_violence", "call_expulsion") or words[0] in ("^быть", "^be"):
            continue
        plain = [w.lstrip("!^") for w in words]
        verb = next((w for w in plain if not w.startswith("=")), "")
        if verb.rstrip("*") in _SPORT_VERBS:
            continue
        us = _US[row["lang"]]
        variants = [[plain[0], us, *plain[1:]]] if row["lang"] != "kk" else []
        if row["lang"] != "en":
            variants.append([us, *plain])
        mirrored += [
            {**row, "frame": "mirror", "tier": "4", "pattern": " ".join(v)} for v in variants
        ]
    return mirrored


# Words too frequent to look a pattern up by ("не", "в", "этот"); any other slot is rarer.
_FREQUENT = frozenset(
    "не в на по у из с к о а и это этот все весь они мы наш свой такой один быть тут здесь "
    "the a an in of to not no they them their we our us all every is are be this that "
    "бұл мына осы сол олар біз біздің бәрі жоқ емес".split()
)


def _rarity(slot: Slot) -> int:
    """How good a slot is to look its pattern up by: a call verb first, then the longest word
    that is not one of the most frequent."""
    word = slot.key.partition(":")[2]
    if word in _FREQUENT:
        return 0
    return len(word) + (100 if slot.call else 0)


def _kk_negative_word(word: str) -> bool:
    return any(word.endswith(s) for s in ("ма", "ме", "ба", "бе", "па", "пе", "мау", "меу", "пау"))


def _latin_word(word: str) -> str:
    marks = "".join(ch for ch in word[:2] if ch in "!^=")
    tail = "*" if word.endswith("*") else ""
    core = word.strip("!^=*")
    return marks + kk_to_latin(core) + tail


def _fold_key(key: str, lang: str, folded: bool) -> str:
    """A kk key as a document typed without Kazakh letters writes it."""
    if folded and lang == "kk" and key.startswith("kk:"):
        return "kf:" + fold_kazakh(key[3:])
    if folded and lang == "kk" and key.startswith(("p:", "x:")):
        return key[:2] + fold_kazakh(key[2:])
    return key


@functools.cache
def _MODALS() -> dict[tuple[str, str], str]:  # noqa: N802 - a constant built once
    modals = {}
    for row in _rows():
        if row["frame"] == "modal":
            slot = _slot(row["pattern"], row["lang"])
            if modals.get((row["lang"], slot.key)) == "m":
                continue  # "let's" reads as "let": the stronger modal wins
            modals[(row["lang"], slot.key)] = row["tier"]
            if row["lang"] == "kk":
                modals[("kk", "x:" + fold_kazakh(slot.key[2:]))] = row["tier"]
                modals[("kl", "x:" + kk_to_latin(slot.key[2:]))] = row["tier"]
    return modals


def _is_call(slot: Slot, key: str, words, clauses: Clauses, position: int, lexicon: FrameLexicon):
    """'call', 'aux' (a Kazakh converb with its auxiliary in a call form), 'negated' (a call
    form with a negative affix) or None."""
    word = words[position]
    moods = word.moods_of(key)
    lang = key.partition(":")[0]
    any_call = slot.call == "!"
    if not moods and lang in ("ru", "x") and _exclaimed_opening(clauses, position, lang):
        return "call"  # a noun slogan: "Смерть ...!", "...-ға өлім!"
    if lang in ("kk", "kf", "kl"):
        if KK_IMPERATIVE in moods or (any_call and KK_HORTATIVE in moods):
            return "call"
        if KK_NEGATIVE in moods or KK_INFINITIVE in moods:
            following = words[position + 1 : position + 3]
            if any(lexicon.modal_key(w, "kk" if lang != "kl" else "kl") for w in following):
                return "negated" if KK_NEGATIVE in moods else "call"
            return None
        if KK_CONVERB in moods and position + 1 < len(words):
            aux = words[position + 1]
            for stem in _KK_AUXILIARIES:
                stem_key = {"kk": "kk:", "kf": "kf:", "kl": "kl:"}[lang] + (
                    fold_kazakh(stem)
                    if lang == "kf"
                    else kk_to_latin(stem)
                    if lang == "kl"
                    else stem
                )
                aux_moods = _aux_moods(aux, stem_key, lexicon)
                if KK_IMPERATIVE in aux_moods or (any_call and KK_HORTATIVE in aux_moods):
                    return "aux"
                if (
                    KK_INFINITIVE in aux_moods
                    and any(  # "қуып шығу керек"
                        lexicon.modal_key(w, "kk" if lang != "kl" else "kl")
                        for w in words[position + 2 : position + 4]
                    )
                ):
                    return "aux"
        return None
    before = [
        lexicon.modal_key(words[j], lang)
        for j in range(max(0, position - MODAL_WINDOW), position)
        if clauses.sentences[j] == clauses.sentences[position]
    ]
    if lang == "ru":
        if "imperative" in moods or (any_call and "plural1" in moods):
            return "call"
        if "infinitive" in moods and ("m" in before or (any_call and "m1" in before)):
            return "call"
        if "infinitive" in moods and "m" in _modals_after(words, clauses, position, lexicon):
            return "call"  # the modal after its infinitive: "Бить их надо"
        if "infinitive" in moods and (
            _exclaimed_opening(clauses, position, lang) or _opens_sentence(clauses, position)
        ):
            # an infinitive opening a sentence, or a clause of an exclaimed one, is a command
            # (the infinitive of command: "Гнать их в шею.", "Выгнать всех!")
            return "call"
        if "third" in moods and any(
            words[j].text in ("пусть", "пускай")
            for j in range(max(0, position - JUSSIVE_WINDOW), position)
            if clauses.sentences[j] == clauses.sentences[position]
        ):
            return "call"
        return None
    if not moods and _passive_after_modal(words, clauses, position, lexicon, lang):
        return "call"  # "they must be resettled", "need to be hunted down"
    if "base" in moods:
        if position - _negative_imperative(words, position) in clauses.starts:
            return "call"  # "Kill them", and "Do not beat them" (negated by the negation rule)
        if "m" in before or (any_call and "m1" in before):
            return "call"
    return None


def _opens_sentence(clauses: Clauses, position: int) -> bool:
    return position == 0 or clauses.sentences[position - 1] != clauses.sentences[position]


def _modals_after(words, clauses: Clauses, position: int, lexicon: FrameLexicon) -> list:
    sentence = clauses.sentences[position]
    return [
        lexicon.modal_key(words[j], "ru")
        for j in range(position + 1, min(len(words), position + 1 + MODAL_AFTER))
        if clauses.sentences[j] == sentence
    ]


def _passive_after_modal(words, clauses: Clauses, position, lexicon: FrameLexicon, lang) -> bool:
    """An English participle after "be" after a modal: "must be resettled"."""
    if lang != "en" or position < 2 or words[position - 1].text != "be":
        return False
    sentence = clauses.sentences[position]
    return any(
        lexicon.modal_key(words[j], "en") == "m"
        for j in range(max(0, position - 1 - MODAL_WINDOW), position - 1)
        if clauses.sentences[j] == sentence
    )


def _exclaimed_opening(clauses: Clauses, position: int, lang: str) -> bool:
    """Whether the word opens a clause of a sentence ending in "!" (an exact-form slot, Kazakh
    word order, may stand anywhere in it)."""
    sentence = clauses.sentences[position]
    return sentence in clauses.exclaimed and (lang == "x" or position in clauses.starts)


def _negative_imperative(words: list[Word], position: int) -> int:
    """How many words of "do not" / "don't" / "never" stand right before ``position``."""
    before = [w.text for w in words[max(0, position - 2) : position]]
    if before == ["do", "not"]:
        return 2
    if before[-1:] in (["don't"], ["never"], ["dont"]):
        return 1
    return 0


@functools.cache
def _heads(stem: str) -> frozenset[str]:
    return frozenset(stem[:cut] for cut in range(1, len(stem) + 1))


def _aux_moods(word: Word, stem_key: str, lexicon: FrameLexicon) -> frozenset[str]:
    """Moods of a Kazakh auxiliary verb after a converb ("қуып жіберейік", "қуып шығамыз")."""
    lang, _, stem = stem_key.partition(":")
    script = {"kk": "cyrillic", "kf": "folded", "kl": "latin"}[lang]
    variants = frozenset(kk_stem_variants(stem))
    heads = frozenset(h for v in variants for h in _heads(v))
    text = fold_kazakh(word.text) if lang == "kf" else word.text
    return frozenset(mood for s, mood in kk_readings(text, variants, heads, script))


def _with_targets(text, found, words, matches, sentences, mentions, kazakh) -> list[FrameHit]:
    """Attach a target to every predicate match; matches without one are dropped."""
    groups = [m for m in mentions if m.entry.kind == "group"]
    places = [m for m in mentions if m.entry.kind == "place"]
    negations = [
        (m.start, CLAUSE_NEGATION_WINDOW if m.entry.code == "negation_clause" else NEGATION_WINDOW)
        for m in mentions
        if m.entry.kind == "cue" and m.entry.tier == "n"
    ]
    markers: dict[int, list[tuple[str, int, int]]] = {}  # sentence -> (kind, first, last token)
    for pattern, positions, _call_negated in found:
        if pattern.tier in ("t", "p", "d"):
            markers.setdefault(sentences[positions[0]], []).append(
                (pattern.tier, positions[0], positions[-1])
            )
    hits = []
    for pattern, positions, call_negated in found:
        if pattern.tier not in PREDICATE_TIERS:
            continue
        sentence = sentences[positions[0]]
        span = (matches[positions[0]].start(), matches[max(positions)].end())
        counter = pattern.tier == "c"
        target = (
            ("", "", (0, 0))
            if counter
            else _target(pattern, sentence, positions, groups, places, markers, matches, sentences)
        )
        if target is None:
            continue
        negated = call_negated or (
            not pattern.negative
            and not counter
            and _negated(pattern, positions, words, negations, kazakh)
        )
        hits.append(
            FrameHit(
                frame=pattern.frame,
                tier=1 if counter else int(pattern.tier),
                lang=pattern.lang,
                phrase=text[span[0] : span[1]],
                span=span,
                target=target[0],
                target_phrase=target[1],
                target_span=target[2],
                sentence=sentence,
                negated=negated,
                start=positions[0],
                counter=counter,
            )
        )
    return _dedupe(hits)


def _negated(
    pattern: Pattern,
    positions: list[int],
    words: list[Word],
    negations: list[tuple[int, int]],
    kazakh: bool,
) -> bool:
    """A negation after the predicate in Kazakh, before it in Russian and English; a Russian or
    English pattern in a Kazakh document takes either (a loanword: "паразит емес")."""
    after_words = words[max(positions) + 1 : max(positions) + 1 + KK_NEGATION_AFTER]
    after = any(
        w.text in ("емес", "жоқ", "жок", "болмайды", "emes", "joq", "bolmaidy") for w in after_words
    )
    if pattern.lang in ("kk", "kl"):
        return after
    first = min(positions)
    before = any(first - window <= n < first for n, window in negations) or any(
        first - NEGATION_WINDOW <= n < p for p in positions for n, _ in negations if n > first
    )
    return before or (kazakh and after)


def _target(pattern, sentence, positions, groups, places, markers, matches, sentences):
    """(code, phrase, span) of the frame's target, nearest to its predicate, or None."""
    centre = positions[0]
    inside = [
        g
        for g in groups
        if g.sentence == sentence
        and g.start not in positions
        and (
            pattern.frame in _PROPERTY_FRAMES
            or _names_people(g, matches, sentences)
            or (pattern.lang == "en" and g.end == min(positions))  # "Kyrgyz breed"
        )
    ]
    if inside:
        g = min(inside, key=lambda g: abs(g.start - centre))
        return g.entry.code, g.text, (g.char_start, g.char_end)
    own = [m for m in markers.get(sentence, []) if m[1] not in positions]
    for kind in ("p", "t", "d"):
        candidates = [m for m in own if m[0] == kind]
        if not candidates:
            continue
        kind_, first, last = min(candidates, key=lambda m: abs(m[1] - centre))
        phrase_span = (matches[first].start(), matches[last].end())
        if kind == "t":
            return "outgroup", _slice(matches, first, last), phrase_span
        if kind == "d":
            if pattern.frame != "dehumanisation":
                continue
            return "place:here", _slice(matches, first, last), phrase_span
        earlier = [g for g in groups if g.char_start < phrase_span[0]]
        if earlier:
            g = earlier[-1]
            return g.entry.code, _slice(matches, first, last), phrase_span
        if _outgroup_before(markers, sentence, first):  # "Мигранты опять тут. Гнать их надо."
            return "outgroup", _slice(matches, first, last), phrase_span
        earlier_places = [p for p in places if p.char_start < phrase_span[0]]
        if earlier_places:
            return (
                "place:" + earlier_places[-1].entry.code,
                _slice(matches, first, last),
                phrase_span,
            )
    if pattern.frame == "dehumanisation":
        here = [p for p in places if p.sentence == sentence]
        if here:
            return (
                "place:" + here[0].entry.code,
                here[0].text,
                (here[0].char_start, here[0].char_end),
            )
    # no target word: the subject or object dropped ("Выгоним отсюда!", "Дүкендерін өртейік")
    # is the group of the sentence before
    before = [g for g in groups if g.sentence == sentence - 1]
    if before:
        g = before[-1]
        return g.entry.code, g.text, (g.char_start, g.char_end)
    return None


def _outgroup_before(markers, sentence: int, first: int) -> bool:
    """Whether an outgroup noun ("мигранты", "newcomers") stands before token ``first``."""
    return any(
        kind == "t" and start < first
        for number, found in markers.items()
        if number <= sentence
        for kind, start, _ in found
    )


# Calls may target what a group owns ("wreck the Armenian shops", "өзбек дүкендерін өртейік");
# every other frame says something of people, so a weak mention must name them (_names_people).
_PROPERTY_FRAMES = frozenset({"call_violence", "call_expulsion"})
# Words after a weak mention (an adjective, a bare Kazakh stem) that show it names people: a
# verb, quantifier, preposition or conjunction ("Kyrgyz are lazy", "get the Kyrgyz out", "қазақ
# пен орыс") or a noun for people ("Uzbek traders", "қазақ халқы").
_NOMINAL_NEXT = frozenset(
    "are is were was will would should must have has had can do don't never always all only "
    "just i you he she we they who that people men women guys folk traders workers families "
    "youth migrants want wants keep come came breed multiply steal live deserve need plan plot "
    "try spread take took buy bring get go hate think "
    "out back from in of to and or with here there away off into at on by for than like "
    "и из в на с от как мен пен бен және "
    "люди народ мужики парни торговцы рабочие семьи мигранты".split()
)
_KK_PEOPLE = tuple(
    "халқ халк жігіт жигит адам саудагер жұмысшы жумысшы ағайын агайын мигрант "
    "halq jigit adam".split()
)


def _names_people(mention: Mention, matches, sentences: list[int]) -> bool:
    """Whether a group mention names people rather than qualifies a thing: a strong mention
    always; a weak one ("Kazakh children", "узбекские учёные", "өзбек дәрігерлері" qualify)
    only before punctuation, at the end of its sentence or before a word of ``_NOMINAL_NEXT``."""
    if not weak_mention(mention):
        return True
    following = mention.end
    if following >= len(matches) or sentences[following] != mention.sentence:
        return True
    if matches[mention.end - 1].string[mention.char_end : matches[following].start()].strip():
        return True  # a dash or comma: "Қытай — ..."
    word = normalise_token(matches[following].group())
    return word in _NOMINAL_NEXT or word.startswith(_KK_PEOPLE)


def _slice(matches, first: int, last: int) -> str:
    start, end = matches[first].start(), matches[last].end()
    return matches[first].string[start:end]


def _dedupe(hits: list[FrameHit]) -> list[FrameHit]:
    """One hit per frame and predicate span; a span inside a longer one of the same frame goes."""
    kept = []
    seen = set()
    for h in sorted(hits, key=lambda h: (h.span[0], -(h.span[1] - h.span[0]))):
        key = (h.frame, h.span)
        if key in seen or any(
            k.frame == h.frame and k.span[0] <= h.span[0] and h.span[1] <= k.span[1] for k in kept
        ):
            continue
        seen.add(key)
        kept.append(h)
    return kept


@functools.cache
def _rows() -> list[dict[str, str]]:
    with open(LEXICON_DIR / FRAMES_FILE, encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


@functools.cache
def load_frames() -> FrameLexicon:
    """The bundled frame patterns (``lexicon/frames.tsv``), compiled once per process."""
    return FrameLexicon(_rows())


def find_frames(text: str, language: str | None, mentions: list[Mention]) -> list[FrameHit]:
    """Frame hits of one text (see the module docstring)."""
    return load_frames().find(text, language, mentions)
