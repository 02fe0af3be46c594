"""Group and place extraction (kelisim.monitor.extract) on constructed sentences.

Inflection tables checked against: Russian case endings, Zaliznyak (1977) "Grammatical dictionary
of Russian"; Kazakh plural/case suffixes and their harmony variants, Krippes (1993) "Kazakh
(Qazaq-) grammatical sketch with affix list", pp. 9-16; Kazakh Latin per the alphabet of the
Decree of 28 January 2021; KATO codes per geokz 2024 (kz_admin_units_kato).
"""

import pytest

from kelisim.monitor.extract import extract, kk_to_latin, load_lexicon, normalise_token


def codes(text, language=None, kind="groups"):
    return [m["code"] for m in extract(text, language)[kind]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("казахи", "kazakh"),
        ("казахов", "kazakh"),
        ("казахам", "kazakh"),
        ("с казашкой", "kazakh"),
        ("казахских", "kazakh"),
        ("узбечек", "uzbek"),
        ("украинцами", "ukrainian"),
        ("немцев", "german"),
        ("армянину", "armenian"),
        ("уйгурская", "uyghur"),
        ("турки-месхетинцы", "turkish"),
    ],
)
def test_russian_inflected_forms(text, expected):
    assert codes(text, "ru") == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("қазақтар", "kazakh"),
        ("қазақтардың", "kazakh"),
        ("орыстарға", "russian"),
        ("өзбектерді", "uzbek"),
        ("ұйғырлармен", "uyghur"),
        ("немістері", "german"),
        ("дүнгендерден", "dungan"),
        ("біз қазақпыз", "kazakh"),
        ("qazaqtar", "kazakh"),
        ("orystarğa", "russian"),
    ],
)
def test_kazakh_suffix_chains_and_latin(text, expected):
    assert codes(text, "kk") == [expected]


def test_kazakh_typed_without_kazakh_letters_needs_the_kk_tag():
    assert codes("казактар", "kk") == ["kazakh"]
    assert codes("казаки Уральска", "ru") == []  # Cossacks, not Kazakhs


def test_country_names_and_longer_words_are_not_groups():
    assert codes("Казахстан и Қазақстан, Kazakhstan, Татарстан", None) == []
    assert codes("туркменский газ и турка для кофе", "ru") == ["turkmen", "turkish"]


def test_english_plural_and_possessive():
    assert codes("Uyghurs and the Kazakhs' elders", "en") == ["uyghur", "kazakh"]


def test_derogatory_terms_are_marked():
    mentions = [m for m in load_lexicon().find("хохлы", "ru") if m.entry.kind == "group"]
    assert [(m.entry.code, m.entry.label) for m in mentions] == [("ukrainian", "derogatory")]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("в Алматы", "ru", "750000000"),
        ("Алматыда", "kk", "750000000"),
        ("из Караганды", "ru", "351000000"),
        ("Шымкентте", "kk", "790000000"),
        ("в Акмолинской области", "ru", "110000000"),
        ("Ақтөбе облысында", "kk", "150000000"),
        ("Aqtöbe oblysynda", "kk", "150000000"),
        ("West Kazakhstan Region", "en", "270000000"),
        ("в Аксуатском районе", "ru", "103400000"),
        ("в Усть-Каменогорске", "ru", "631000000"),
        ("Өскемен", "kk", "631000000"),
        ("Almatyda", "kk", "750000000"),
    ],
)
def test_places_map_to_kato(text, language, expected):
    assert codes(text, language, "places") == [expected]


def test_region_with_head_word_wins_over_city():
    assert codes("Павлодарская область", "ru", "places") == ["550000000"]
    assert codes("город Павлодар", "ru", "places") == ["551000000"]  # city area (ADM2)


def test_spans_point_at_the_matched_text():
    text = "Вчера в Таразе подрались уйгуры."
    found = extract(text, "ru")
    for mention in found["groups"] + found["places"]:
        assert text[mention["start"] : mention["end"]] == mention["text"]


def test_normalisation_and_transliteration():
    assert normalise_token("Ёлка") == "елка"
    assert normalise_token("Солтүстiк") == "солтүстік"  # Latin i inside a Kazakh word
    assert normalise_token("Şymkent") == "shymkent"
    assert kk_to_latin("Қазақстан") == "qazaqstan"
