"""Text hygiene for Watch: Unicode normalisation, redaction of personal data, language id.

Every function works on one string or a list of strings and is pure (no I/O).

Redaction replaces, before anything is stored, phone numbers (Kazakh +7/8 formats and
international +CC numbers), IIN (the 12-digit Kazakh individual identification number,
accepted only when its date part and check digit are valid), e-mail addresses and payment
card numbers (13-19 digits passing the Luhn check, ISO/IEC 7812-1).

Language identification returns ``kk`` (Kazakh, Cyrillic or Latin script), ``ru``, ``en`` or
``other``. It is a transparent scorer: words carrying Kazakh-specific letters (Cyrillic
ә ғ қ ң ө ұ ү һ і; Latin 2021 alphabet ä ğ ñ ö ş ū ü ı and q), frequent function words of
each language, and a profile of language-typical character n-grams (word endings) each give
evidence to one language; the language with the most evidence wins. A Cyrillic post is
Kazakh as soon as Kazakh evidence reaches a quarter of the Kazakh-plus-Russian evidence,
because Kazakh posts routinely mix in Russian words while Russian posts rarely carry
Kazakh-specific words (Cavnar and Trenkle 1994, "N-gram-based text categorization", for the
n-gram profile idea; the letter inventories follow the official Kazakh Cyrillic alphabet and
the Latin alphabet of Presidential Decree No. 637, 2017, as amended in 2021).
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from dataclasses import dataclass

# --- normalisation -------------------------------------------------------------------------

_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\s*\n\s*(?:\n\s*)+")
# Latin look-alikes typed inside Cyrillic words (a common Kazakh keyboard habit: Latin i for
# і, the schwa ə for ә, h for һ) are mapped back to the Cyrillic letter.
_HOMOGLYPHS = str.maketrans(
    "aAeEoOpPcCxXyKMHTBiIəƏhH",
    "аАеЕоОрРсСхХуКМНТВіІәӘһҺ",
)
_MIXED_WORD = re.compile(r"\b(?=\w*[а-яёәғқңөұүһі])(?=\w*[a-zəh])\w+\b", re.IGNORECASE)


def normalize_text(text: str) -> str:
    """Drop invisible characters, NFC-normalise, replace control characters, fix Latin
    homoglyphs inside Cyrillic words, and collapse runs of spaces (paragraph breaks are kept
    as one blank line)."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    text = _CONTROL.sub(" ", text).replace("\r\n", "\n").replace("\r", "\n")
    if _MIXED_WORD.search(text):
        text = _MIXED_WORD.sub(lambda m: m.group(0).translate(_HOMOGLYPHS), text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


# --- redaction -----------------------------------------------------------------------------

REDACTION_TOKENS = {
    "email": "[EMAIL]",
    "card": "[CARD]",
    "iin": "[IIN]",
    "phone": "[PHONE]",
}

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zа-я]{2,}\b", re.IGNORECASE)
# 12 to 19 digits, optionally in groups separated by one space or hyphen.
_DIGIT_RUN = re.compile(r"(?<![\w+])\d(?:[ -]?\d){11,18}(?![\w])")
_PHONE_KZ = re.compile(r"(?<![\w+])(?:\+\s?7|8)[\s-]*\(?\s*\d{3,5}\s*\)?(?:[\s-]*\d){5,7}(?!\w)")
_PHONE_INTL = re.compile(
    r"(?<![\w+])\+\s?[1-9]\d{0,2}[\s-]*\(?\s*\d{1,5}\s*\)?(?:[\s.-]*\d){4,11}(?!\w)"
)
_PHONE_LOCAL = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{2}(?![\w-])")
_SEVEN_DIGITS = re.compile(r"(?:\d\D*){6}\d")


def iin_is_valid(digits: str) -> bool:
    """True when a 12-digit string is a well-formed IIN: YYMMDD date, a century/sex digit
    0-6, and the check digit of the two-pass mod-11 scheme (weights 1..11, then 3..11,1,2;
    a remainder of 10 after both passes means the number is never issued).
    """
    if len(digits) != 12 or not digits.isdigit():
        return False
    month, day, century = int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if not (1 <= month <= 12 and 1 <= day <= 31 and century <= 6):
        return False
    values = [int(c) for c in digits]
    check = sum(v * w for v, w in zip(values[:11], range(1, 12), strict=True)) % 11
    if check == 10:
        weights = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
        check = sum(v * w for v, w in zip(values[:11], weights, strict=True)) % 11
        if check == 10:
            return False
    return check == values[11]


def luhn_is_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn (mod 10) check of ISO/IEC 7812-1."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _redact_digit_run(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = raw.replace(" ", "").replace("-", "")
    if len(digits) == 12 and iin_is_valid(digits):
        return REDACTION_TOKENS["iin"]
    if 13 <= len(digits) <= 19 and luhn_is_valid(digits):
        return REDACTION_TOKENS["card"]
    return raw


def _redact_kz_phone(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    return REDACTION_TOKENS["phone"] if digits == 11 else match.group(0)


def _redact_international_phone(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    return REDACTION_TOKENS["phone"] if 8 <= digits <= 15 else match.group(0)


def redact(text: str) -> str:
    """Replace personal data with [EMAIL], [IIN], [CARD] and [PHONE] tokens.

    >>> redact("звоните +7 (701) 123-45-67 или a.b@mail.kz")
    'звоните [PHONE] или [EMAIL]'
    """
    if "@" in text:
        text = _EMAIL.sub(REDACTION_TOKENS["email"], text)
    if not _SEVEN_DIGITS.search(text):  # every pattern below needs at least 7 digits
        return text
    text = _DIGIT_RUN.sub(_redact_digit_run, text)
    text = _PHONE_KZ.sub(_redact_kz_phone, text)
    text = _PHONE_INTL.sub(_redact_international_phone, text)
    return _PHONE_LOCAL.sub(REDACTION_TOKENS["phone"], text)


# --- language identification ---------------------------------------------------------------

_KK_CYR_LETTERS = "әғқңөұүһі"
_KK_LAT_LETTERS = "äğñöşūüıq"

_KK_CYR_FUNCTION = (
    "мен сен ол біз сіз олар және бұл осы сол деп үшін туралы бар жоқ емес ма ме ба бе па пе"
    " ғой бірақ немесе екен еді болып болды болса қазір кейін бойынша арасында дейін соң"
    " кім неге қалай қайда өте тек әлі енді барлық бәрі біреу ешкім бізге оған оны мына"
    " анау мынау сонда ғана керек жатыр отыр тұр келді кетті айтты болады рахмет"
)
_RU_FUNCTION = (
    "и в не на что с по это как а к у из за от для так все он она они мы вы я же бы ли но"
    " или уже только когда если был была были было его ее её их нам вам кто где чем при"
    " о об под над про без до после тоже еще ещё очень может надо нет здесь там этот эта"
    " эти того чтобы потому который которые которая сейчас теперь всех весь вот ну"
)
_KK_LAT_FUNCTION = (
    "jäne jane men sen ol biz siz olar bul būl osy sol dep üşin ushin turaly bar joq jok emes"
    " ğoi goi biraq nemese eken edi bolyp boldy qazir keiin boiynşa arasynda deiin soñ kim"
    " qalai qaida öte tek äli endi barlyq bäri kerek jatyr"
)
_EN_FUNCTION = (
    "the of and to in is that it for on with as was are be this by at from or have has not"
    " they we you he she his her their our an will would can could been were which who what"
    " there about all but if do does did so no my your its than then them these those"
)
# Frequent words of neighbouring languages that share letters with Kazakh (Turkish, Uzbek,
# Kyrgyz, Ukrainian) or with English (German, French), so that they fall to "other".
_OTHER_FUNCTION = (
    "ve bir için ile olarak daha gibi değil çok ama var yok şey kadar sonra bugün hava va"
    " bilan uchun ham emas juda yaxshi menen üçün жана менен үчүн эмес болот і що як та це"
    " від які також буде він вона вони але ще її сьогодні дуже"
    " und der die das ist nicht ein eine mit auf ich habe les des est une pour dans qui avec"
    " sur nous"
)
# Typical endings (the character n-gram profile). Kazakh endings listed here carry no
# Kazakh-specific letter and are rare as Russian word endings.
_KK_CYR_SUFFIXES = "лар лер дар тар дан ден нан нен мыз сыз йды ушы дағы тағы"
_RU_SUFFIXES = (
    "ого его ому ему ться тся ость ости ение ения ании ание ный ная ное ные ных ными ыми"
    " ими ами ями ской ские ского ство ства ется ются ает ают ить ать ешь ишь ции ция ций"
    " ой ей ий ый ая яя ов ев"
)
_KK_LAT_SUFFIXES = "lar ler dar der tar ter nyñ niñ dyñ diñ tyñ tiñ ğa ğan gen qan ken dağy"
_EN_SUFFIXES = "ing tion tions ment ness ed ly ies ous ful able"
_OTHER_SUFFIXES = "yor ıyor iyor yordu acak ecek ması mesi mış miş dır dir ında inde ння ють ій ії"


def _word_alternation(words: str) -> str:
    return "|".join(sorted(set(words.split()), key=len, reverse=True))


def _endings(suffixes: str, stem: str) -> str:
    return rf"{stem}{{2,}}(?:{_word_alternation(suffixes)})"


_CYR = "а-яё" + _KK_CYR_LETTERS
_KK_LAT = "a-zäğñöşūüıç"
_KNOWN_LETTERS = frozenset(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя" + _KK_CYR_LETTERS + "abcdefghijklmnopqrstuvwxyz"
    "äğñöşūüıçéèàâîôûëïáóúýßøåõãæœїєґў"
)
_SLOTS = ("kk_cyr", "kk_lat", "ru", "en", "other")

# (language, weight, pattern): each word that the pattern matches in full adds the weight to
# that language's evidence. A letter unique to a language is strong evidence, a function word
# or typical ending weaker; bare Cyrillic words lean Russian and bare Latin words lean English.
_EVIDENCE = (
    ("kk_cyr", 2.0, rf"[{_CYR}]*[әғқңөұһ][{_CYR}]*"),
    ("kk_cyr", 1.0, r"[а-яёүі]*[үі][а-яёүі]*"),
    ("kk_cyr", 1.5, _word_alternation(_KK_CYR_FUNCTION)),
    ("kk_cyr", 1.0, _endings(_KK_CYR_SUFFIXES, "[а-яё]")),
    ("ru", 2.0, r"[а-яё]*[ёъэщ][а-яё]*"),
    ("ru", 1.5, _word_alternation(_RU_FUNCTION)),
    ("ru", 1.0, _endings(_RU_SUFFIXES, "[а-яё]")),
    ("ru", 0.3, r"[а-яё]+"),
    ("kk_lat", 2.0, rf"[{_KK_LAT}]*(?:[äñū]|q(?!u))[{_KK_LAT}]*"),
    ("kk_lat", 1.0, r"[a-zçşı]*[ğöüşı][a-zçşığöü]*"),
    ("kk_lat", 1.5, _word_alternation(_KK_LAT_FUNCTION)),
    ("kk_lat", 1.0, _endings(_KK_LAT_SUFFIXES, f"[{_KK_LAT}]")),
    ("en", 1.5, _word_alternation(_EN_FUNCTION)),
    ("en", 1.0, _endings(_EN_SUFFIXES, "[a-z]")),
    ("en", 0.3, r"[a-z]+"),
    ("other", 2.0, r"\w*[éèàâîôûëïßøåõãæœїєґў]\w*"),
    ("other", 1.5, _word_alternation(_OTHER_FUNCTION)),
    ("other", 1.0, _endings(_OTHER_SUFFIXES, "\\w")),
)
_EVIDENCE_PATTERNS = tuple(
    (_SLOTS.index(language), weight, re.compile(f"(?:{pattern})"))
    for language, weight, pattern in _EVIDENCE
)
# Patterns that can match a word at all, by the word's script: a pattern without Cyrillic
# letters, classes or escapes never matches a Cyrillic word, one without a Latin letter (escapes
# such as \w have one) never matches a Latin word. Skipping them leaves the evidence unchanged.
_CAN_MATCH_CYRILLIC = re.compile(r"[\u0400-\u04ff]|\\[wWSD]|\.|\[\^")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")
_LATIN_WORD = re.compile(r"[a-z]+")
_CYRILLIC_PATTERNS = tuple(
    item for item in _EVIDENCE_PATTERNS if _CAN_MATCH_CYRILLIC.search(item[2].pattern)
)
_LATIN_PATTERNS = tuple(
    item for item in _EVIDENCE_PATTERNS if re.search("[a-zA-Z]", item[2].pattern)
)
_UNKNOWN_LETTER = re.compile(f"[^{re.escape(''.join(sorted(_KNOWN_LETTERS)))}]")
_OTHER_SCRIPT_WEIGHT = 0.5  # per letter outside the Latin and Cyrillic sets above
_TOKEN = re.compile(r"[^\W\d_]+")


def _evidence_of(word: str, patterns) -> tuple[float, ...]:
    score = [0.0] * len(_SLOTS)
    for slot, weight, pattern in patterns:
        if pattern.fullmatch(word):
            score[slot] += weight
    score[-1] += _OTHER_SCRIPT_WEIGHT * len(_UNKNOWN_LETTER.findall(word))
    return tuple(score)


@functools.lru_cache(maxsize=1 << 18)
def _word_evidence(word: str) -> tuple[float, ...]:
    """Evidence of one lower-case word, per slot of :data:`_SLOTS` (cached: word frequencies
    are Zipfian, so most words of a batch are seen before)."""
    if _CYRILLIC_WORD.fullmatch(word):
        return _evidence_of(word, _CYRILLIC_PATTERNS)
    if _LATIN_WORD.fullmatch(word):
        return _evidence_of(word, _LATIN_PATTERNS)
    return _evidence_of(word, _EVIDENCE_PATTERNS)


LANGUAGE_WINDOW = 1500  # characters read from the start of a text
KAZAKH_SHARE_OF_MIXED = 0.25
MIXED_MINIMUM = 3.5  # more than one Kazakh word: a lone Kazakh place name keeps Russian


@dataclass(frozen=True)
class LanguageEvidence:
    """Evidence per language for one text; ``language`` is the decision."""

    kk_cyrillic: float
    kk_latin: float
    ru: float
    en: float
    other: float
    language: str


def language_evidence(text: str) -> LanguageEvidence:
    """Score a text's evidence for each language and decide: the largest wins, except that
    Cyrillic text is Kazakh once Kazakh evidence reaches a quarter of Kazakh plus Russian
    (mixed kk-ru posts), and Latin text is Kazakh once Kazakh Latin evidence reaches half of
    the English evidence; both need more than one Kazakh word.
    """
    evidence = map(_word_evidence, _TOKEN.findall(text[:LANGUAGE_WINDOW].lower()))
    # A running total per slot, word by word in text order.
    columns = zip(*evidence, strict=True)
    totals_by_slot = [functools.reduce(operator.add, column, 0.0) for column in columns]
    totals_by_slot = totals_by_slot or [0.0] * len(_SLOTS)
    score = dict(zip(_SLOTS, totals_by_slot, strict=True))
    kk = score["kk_cyr"] + score["kk_lat"]
    totals = {"kk": kk, "ru": score["ru"], "en": score["en"], "other": score["other"]}
    best = max(totals, key=totals.__getitem__)
    if totals[best] == 0:
        best = "other"
    elif (
        best == "ru"
        and score["kk_cyr"] >= KAZAKH_SHARE_OF_MIXED * (kk + score["ru"])
        and score["kk_cyr"] >= MIXED_MINIMUM
    ):
        best = "kk"
    elif best == "en" and score["kk_lat"] >= max(0.5 * score["en"], MIXED_MINIMUM):
        best = "kk"
    return LanguageEvidence(
        kk_cyrillic=score["kk_cyr"],
        kk_latin=score["kk_lat"],
        ru=score["ru"],
        en=score["en"],
        other=score["other"],
        language=best,
    )


def detect_language(text: str) -> str:
    """The language of one text: kk, ru, en or other.

    >>> detect_language("Біз бүгін Алматыға бардық")
    'kk'
    """
    return language_evidence(text).language


def detect_languages(texts: list[str]) -> list[str]:
    """The language of each text in a batch."""
    return [language_evidence(text).language for text in texts]


def clean_texts(texts: list[str]) -> list[str]:
    """Normalised texts with personal data redacted (what may be stored or shown)."""
    return [redact(normalize_text(text)) for text in texts]
