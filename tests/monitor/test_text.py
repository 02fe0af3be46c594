"""Normalisation, redaction and language identification (kelisim.monitor.text).

All sentences and personal data here are CONSTRUCTED for the tests (made-up numbers).
"""

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kelisim.monitor.text import (
    detect_language,
    detect_languages,
    iin_is_valid,
    language_evidence,
    luhn_is_valid,
    normalize_text,
    redact,
)

SENTENCES = Path(__file__).parents[1] / "fixtures" / "monitor" / "language_sentences.tsv"


def test_normalize_joins_forms_and_drops_invisible_characters():
    decomposed = "a\u0308ke"  # a + combining diaeresis
    assert normalize_text(decomposed) == "\u00e4ke"
    assert normalize_text("бір\u200bге  \t  келді\r\n\n\n\nсоң") == "бірге келді\n\nсоң"


def test_normalize_maps_latin_homoglyphs_inside_cyrillic_words():
    # Latin i and schwa typed inside Kazakh words; pure Latin words are left alone.
    assert normalize_text("бiз Aлматыда əкеммен, Almaty") == "біз Алматыда әкеммен, Almaty"


@pytest.mark.parametrize(
    "text",
    [
        "+7 701 123 45 67",
        "+7 (701) 123-45-67",
        "8 (7172) 74-32-10",
        "87011234567",
        "+77011234567",
        "8-701-123-45-67",
        "+44 20 7946 0958",
        "+1 (555) 123-4567",
        "123-45-67",
    ],
)
def test_phone_numbers_are_redacted(text):
    assert redact(f"звоните {text} сегодня") == "звоните [PHONE] сегодня"


def test_email_is_redacted():
    assert redact("пишите на ivan.petrov+news@mail.kz или a_b@gov.kz.") == (
        "пишите на [EMAIL] или [EMAIL]."
    )


def test_iin_check_digit():
    # Hand computation, weights 1..11: 9+4+6+21+11 = 51, 51 mod 11 = 7.
    assert iin_is_valid("900101300017")
    assert not iin_is_valid("900101300018")
    # First pass gives 131 mod 11 = 10, so the second weights (3..11, 1, 2) apply:
    # 27+6+8+27+8+2 = 78, 78 mod 11 = 1.
    assert iin_is_valid("900101300811")
    assert not iin_is_valid("901301300017")  # month 13


def test_iin_redacted_only_when_valid():
    assert redact("ИИН 900101300017 указан") == "ИИН [IIN] указан"
    assert redact("номер 900101300018 указан") == "номер 900101300018 указан"


def test_luhn_published_example():
    # The standard worked example of the Luhn algorithm (ISO/IEC 7812-1 annex B style).
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")


def test_card_numbers_are_redacted_only_when_luhn_valid():
    assert redact("карта 4111 1111 1111 1111 или 5500-0000-0000-0004") == (
        "карта [CARD] или [CARD]"
    )
    assert redact("код 4111 1111 1111 1112") == "код 4111 1111 1111 1112"


def test_statistics_dates_and_years_are_not_redacted():
    text = "В 2021 году в области жили 1 386 000 человек, рост 3,5% с 01.01.2020 по 31-12-2021."
    assert redact(text) == text
    money = "бюджет 8 500 000 000 тенге, из них 8 000 000 на школы; 2024-05-12"
    assert redact(money) == money


def _sentences() -> pd.DataFrame:
    return pd.read_csv(SENTENCES, sep="\t", comment="#")


def test_fixture_has_fifty_sentences_per_language():
    counts = _sentences()["language"].value_counts()
    assert counts["kk"] >= 50 and counts["ru"] >= 50 and counts["en"] >= 50
    kinds = _sentences().groupby("language")["kind"].unique()
    assert {"cyrillic", "latin", "short", "mixed"} <= set(kinds["kk"])


@pytest.mark.parametrize("language", ["kk", "ru", "en", "other"])
def test_language_accuracy_on_constructed_sentences(language):
    table = _sentences()
    subset = table[table["language"] == language]
    predicted = detect_languages(subset["text"].tolist())
    wrong = [t for t, p in zip(subset["text"], predicted, strict=True) if p != language]
    assert len(wrong) <= 0.05 * len(subset), wrong


def test_mixed_post_needs_more_than_one_kazakh_word():
    # A Russian news line quoting one Kazakh place name stays Russian.
    assert detect_language("Аким сообщил, что в Қарағанды прошла встреча с жителями") == "ru"
    evidence = language_evidence("Мен вообще не понял, бұл не болып жатыр?")
    assert evidence.language == "kk" and evidence.ru > 0


def test_empty_and_symbol_only_texts_are_other():
    assert detect_language("") == "other"
    assert detect_language("!!! 2024 ...") == "other"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.text(alphabet=st.sampled_from("абвгқәіaäbcq 0123456789+-()@.\u200b\n\u0308"), max_size=80)
)
def test_normalize_and_redact_are_idempotent(text):
    once = redact(normalize_text(text))
    assert normalize_text(once) == once
    assert redact(once) == once


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.dates(), st.integers(min_value=1, max_value=6), st.integers(0, 9999))
def test_any_valid_iin_inside_text_is_redacted(born, century, serial):
    digits = f"{born:%y%m%d}{century}{serial:04d}"
    for check in "0123456789":
        if iin_is_valid(digits + check):
            assert "[IIN]" in redact(f"ИИН: {digits}{check}.")


def test_script_gated_word_evidence_equals_every_pattern():
    """Skipping the patterns a word's script cannot match changes no word's evidence."""
    from kelisim.monitor import text as text_module

    words = {w for t in _sentences()["text"] for w in text_module._TOKEN.findall(t.lower())}
    words |= {"québec", "їжак", "yaxshi", "ıyor", "日本", "qazaq", "boiynşa", "менен", "ß"}
    for word in words:
        every = text_module._evidence_of(word, text_module._EVIDENCE_PATTERNS)
        assert text_module._word_evidence(word) == every, word
        unknown = sum(c not in text_module._KNOWN_LETTERS for c in word)
        assert text_module._evidence_of(word, ())[-1] == 0.5 * unknown, word


def test_redaction_needs_seven_digits():
    """The seven-digit gate counts digits anywhere in the text, as the patterns need."""
    assert redact("1-2-3-4-5-6") == "1-2-3-4-5-6"
    assert redact("+7 701 123 45 67") == "[PHONE]"
