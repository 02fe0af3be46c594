"""Word analysis for the frame rules: lemmas and the verb forms that make a call.

- Russian: lemmas and grammemes (mood, person, number, tense) from pymorphy3 with the OpenCorpora
  dictionaries (M. Korobov, "Morphological Analyzer and Generator for Russian and Ukrainian
  Languages", AIST 2015): the lexemes of the frame lemmas are generated once, so a word is read by
  one dictionary look-up. A form *calls* when it is imperative ("гоните") or first person plural
  of the future or present ("выгоним", "проучим"); a third-person form calls after
  "пусть"/"пускай" and an infinitive after a modal ("надо выгнать"), which the frame rules check.
- Kazakh: the documented suffix analysis of ``extract.py`` (Krippes 1993, "Kazakh grammar with
  affix list") extended to verb moods: imperative 2nd person (-ңдар/-ңдер, -(ы)ңыз, -(ы)ңыздар),
  hortative (-йық/-йік, -айық/-ейік, 1sg -айын/-ейін, colloquial -алық/-елік), jussive 3rd person
  (-сын/-сін), first-person-plural future and intention (-амыз/-еміз, -ймыз/-йміз, -мақпыз/
  -мекпіз), the infinitive -у (a call with "керек"/"қажет"/"тиіс" after it), the converb
  -ып/-іп/-п (a call through the auxiliary that follows: "қуып жіберейік") and the negative
  -ма/-ме/-ба/-бе/-па/-пе.
- English: a base form counts as an infinitive; its call form is decided by context (sentence
  start, "let's", "we", modals) in the frame rules.

Kazakh and English analyses are memoised per token by the frame rules (word frequencies are
Zipfian).
"""

from __future__ import annotations

import functools
import hashlib
from itertools import product
from pathlib import Path

from kelisim.monitor.extract import _KK_SUFFIXES, fold_kazakh, kk_to_latin

KK_IMPERATIVE = "imperative"  # 2nd person imperative and 3rd person jussive: a call on others
KK_HORTATIVE = "hortative"  # 1st person hortative and plural future: "let us", "we will"
KK_INFINITIVE = "infinitive"
KK_CONVERB = "converb"
KK_NEGATIVE = "negative"
KK_NOUN = "noun"

_KK_VERB_SUFFIXES = {
    KK_IMPERATIVE: (
        # imperative 2nd person (the bare stem, 2sg, is left out: "қу" is also "sly", "құрт" "worm")
        "ңдар",
        "ңдер",
        "ыңдар",
        "іңдер",
        "ңыз",
        "ңіз",
        "ыңыз",
        "іңіз",
        "ңыздар",
        "ңіздер",
        "ыңыздар",
        "іңіздер",
        # jussive 3rd person
        "сын",
        "сін",
        "сыншы",
        "сінші",
    ),
    KK_HORTATIVE: (
        # after a vowel-final present stem ("жоя-мыз")
        "мыз",
        "міз",
        # hortative 1st person
        "йық",
        "йік",
        "айық",
        "ейік",
        "йын",
        "йін",
        "айын",
        "ейін",
        "алық",
        "елік",
        # 1st person plural future / intention
        "амыз",
        "еміз",
        "ймыз",
        "йміз",
        "мақпыз",
        "мекпіз",
        "бақпыз",
        "бекпіз",
        "пақпыз",
        "пекпіз",
    ),
    # the infinitive, and the participle of "-атын уақыт келді" ("it is time to ...")
    KK_INFINITIVE: (
        "у",
        "ю",
        "уы",
        "уі",
        "уымыз",
        "уіміз",
        "уға",
        "уге",
        "атын",
        "етін",
        "йтын",
        "йтін",
    ),
    KK_CONVERB: ("ып", "іп", "п"),
}
_KK_NEGATIVE_HEADS = ("ма", "ме", "ба", "бе", "па", "пе")
# Statements in the past or the present ("қуды", "қуады") and participles: not calls, but
# the stem is still a predicate of its frame (exclusion, dehumanisation "көбейіп кетті").
_KK_OTHER_VERB = tuple(
    "".join(p)
    for p in product(
        ("", "ып", "іп", "п", "ды", "ді", "ты", "ті", "а", "е", "й", "ған", "ген", "қан", "кен"),
        ("", "ды", "ді", "тұр", "жатыр", "мыз", "міз", "сың", "сің", "лар", "лер", "ты", "ті"),
    )
)


def _kk_suffix_moods() -> dict[str, str]:
    """Every Kazakh suffix chain the analysis accepts, with its mood (calls win ties)."""
    moods: dict[str, str] = {s: KK_NOUN for s in _KK_SUFFIXES}
    moods.update({s: KK_NOUN for s in _KK_OTHER_VERB if s not in moods})
    for mood in (KK_CONVERB, KK_INFINITIVE, KK_HORTATIVE, KK_IMPERATIVE):
        moods.update({s: mood for s in _KK_VERB_SUFFIXES[mood]})
    negative = {}
    for head in _KK_NEGATIVE_HEADS:
        for tail in (
            "",
            "у",
            "ңдар",
            "ңдер",
            "ңыз",
            "ңіз",
            "йық",
            "йік",
            "сын",
            "сін",
            "йды",
            "йді",
            "ды",
            "ді",
            "ған",
            "ген",
            "ймыз",
            "йміз",
            "ңыздар",
            "ңіздер",
            "с",
            "ймын",
        ):
            negative[head + tail] = KK_NEGATIVE
    moods.update(negative)
    return moods


@functools.cache
def kk_suffix_moods(script: str) -> dict[str, str]:
    """Suffix -> mood for ``script`` cyrillic, folded (typed without Kazakh letters) or latin."""
    moods = _kk_suffix_moods()
    if script == "folded":
        return {
            fold_kazakh(s): m
            for s, m in sorted(moods.items(), key=lambda i: i[1] == KK_NOUN, reverse=True)
        }
    if script == "latin":
        return {kk_to_latin(s) if s else "": m for s, m in moods.items()}
    return moods


@functools.cache
def _ru_analyser():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _ru_moods(tag) -> frozenset[str]:
    """The moods that matter for a call: ``imperative``, ``plural1`` (1st person plural future or
    present), ``infinitive`` and ``third`` (3rd person, a call after "пусть")."""
    moods = set()
    if "impr" in tag:
        moods.add("imperative")
    if "1per" in tag and "plur" in tag and ("futr" in tag or "pres" in tag):
        moods.add("plural1")
    if "INFN" in tag:
        moods.add("infinitive")
    if "3per" in tag:
        moods.add("third")
    return frozenset(moods)


RU_FORMS_FILE = Path(__file__).parent / "lexicon" / "frames_ru_forms.tsv"


def _lemmas_digest(lemmas: frozenset[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lemmas)).encode()).hexdigest()[:16]


def generate_ru_forms(lemmas: frozenset[str]) -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
    """Every inflected form of ``lemmas`` (pymorphy3's lexemes of the parses whose normal form is
    the lemma), each with its lemmas and moods."""
    analyser = _ru_analyser()
    forms: dict[str, dict[str, set[str]]] = {}
    for lemma in sorted(lemmas):
        for parse in analyser.parse(lemma):
            if parse.normal_form.replace("ё", "е") != lemma:
                continue
            for form in parse.lexeme:
                word = form.word.replace("ё", "е")
                forms.setdefault(word, {}).setdefault(lemma, set()).update(_ru_moods(form.tag))
    return {
        word: tuple((lemma, frozenset(moods)) for lemma, moods in sorted(by_lemma.items()))
        for word, by_lemma in sorted(forms.items())
    }


def ru_forms(lemmas: frozenset[str]) -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
    """``generate_ru_forms(lemmas)``, read from ``lexicon/frames_ru_forms.tsv`` when that file was
    generated for the same lemmas (loading pymorphy3's dictionaries costs 0.2 s of every
    command's start-up; the file is read in 0.02 s), else generated now. Run
    ``python -m kelisim.monitor.morph`` after editing the Russian rows of ``frames.tsv``."""
    if RU_FORMS_FILE.exists():
        with open(RU_FORMS_FILE, encoding="utf-8") as handle:
            header = handle.readline()
            if header.split("lemmas ")[-1].strip() == _lemmas_digest(lemmas):
                forms: dict[str, list[tuple[str, frozenset[str]]]] = {}
                for line in handle:
                    word, lemma, moods = line.rstrip("\n").split("\t")
                    forms.setdefault(word, []).append(
                        (lemma, frozenset(filter(None, moods.split(","))))
                    )
                return {word: tuple(readings) for word, readings in forms.items()}
    return generate_ru_forms(lemmas)


def write_ru_forms(lemmas: frozenset[str]) -> int:
    """Write ``lexicon/frames_ru_forms.tsv`` for ``lemmas``; returns the number of forms."""
    import pymorphy3

    forms = generate_ru_forms(lemmas)
    with open(RU_FORMS_FILE, "w", encoding="utf-8") as handle:
        handle.write(
            "# Russian forms of the frames.tsv lemmas, generated by "
            "`python -m kelisim.monitor.morph` "
            f"with pymorphy3 {pymorphy3.__version__} (OpenCorpora dictionaries); "
            f"lemmas {_lemmas_digest(lemmas)}\n"
        )
        for word, readings in forms.items():
            for lemma, moods in readings:
                handle.write(f"{word}\t{lemma}\t{','.join(sorted(moods))}\n")
    return len(forms)


# Voiceless stem-final consonants voice before a vowel-initial suffix: қ->ғ, к->г, п->б
# ("шық" + "амыз" -> "шығамыз"; Krippes 1993, consonant alternation).
_KK_VOICING = {"қ": "ғ", "к": "г", "п": "б", "q": "g"}


def kk_stem_variants(stem: str) -> tuple[str, ...]:
    """The stem, and its voiced form when it ends in a voiceless consonant."""
    voiced = _KK_VOICING.get(stem[-1:])
    return (stem, stem[:-1] + voiced) if voiced else (stem,)


def kk_readings(
    word: str, stems: frozenset[str], heads: frozenset[str], script: str
) -> tuple[tuple[str, str], ...]:
    """(stem, mood) for every known stem that ``word`` starts with and whose rest is a suffix
    chain of ``kk_suffix_moods(script)``; the rest decides the mood. ``heads`` holds every
    leading part of every stem, so the search stops at the first letter no stem continues with."""
    moods = kk_suffix_moods(script)
    found = []
    for cut in range(1, len(word) + 1):
        stem = word[:cut]
        if stem not in heads:
            break
        if stem in stems:
            mood = moods.get(word[cut:])
            if mood is not None:
                found.append((stem, mood))
    return tuple(found)


_EN_ENDINGS = ("ies", "es", "s", "ed", "d", "ing")


def en_bases(word: str) -> tuple[str, ...]:
    """The word and its candidate bases with a plural, past or -ing ending cut off."""
    bases = [word]
    for ending in _EN_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            base = word[: -len(ending)]
            bases.append(base + "y" if ending == "ies" else base)
            if ending in ("ed", "ing") and len(base) > 3 and base[-1] == base[-2]:
                bases.append(base[:-1])  # "dragged" -> "drag"
            if ending in ("ed", "ing"):
                bases.append(base + "e")  # "invaded" -> "invade"
    return tuple(dict.fromkeys(bases))


if __name__ == "__main__":
    from kelisim.monitor.frames import FrameLexicon, _rows

    lexicon = FrameLexicon(_rows(), forms=generate_ru_forms)
    print(f"{write_ru_forms(lexicon.stems_of['ru'])} forms written to {RU_FORMS_FILE}")
