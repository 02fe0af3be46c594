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


@pytest.fixture
def lexicon_cache(tmp_path, monkeypatch):
    """A home of its own for compiled lexicons; the process's lexicon is compiled afresh after."""
    from kelisim.monitor import extract as extract_module

    monkeypatch.setenv("KELISIM_HOME", str(tmp_path / "home"))
    extract_module.load_lexicon.cache_clear()
    yield tmp_path / "home" / "cache"
    extract_module.load_lexicon.cache_clear()


CACHE_TEXTS = [
    ("Казахи и уйгуры в Алматы живут рядом.", "ru"),
    ("Масанчи ауылында қазақтар мен дүнгендер тұрады.", "kk"),
    ("Uyghurs and Kazakhs of Sortobe village met in Kordai district.", "en"),
    ("Караганды облысындағы казактар", "kk"),
]


def _found(lexicon):
    return [lexicon.find(text, language) for text, language in CACHE_TEXTS]


def test_compiled_lexicon_is_cached_and_read_back_unchanged(lexicon_cache, monkeypatch):
    from kelisim.monitor import extract as extract_module

    compiled = load_lexicon()
    [cached] = lexicon_cache.glob("lexicon-*.pickle")
    extract_module.load_lexicon.cache_clear()

    def no_compiling():
        raise AssertionError("compiled again instead of read from the cache")

    monkeypatch.setattr(extract_module, "_lexicon_rows", no_compiling)
    read = load_lexicon()
    assert read is not compiled
    assert read.entries == compiled.entries and _found(read) == _found(compiled)
    assert read._plain.__dict__ == compiled._plain.__dict__
    assert read._folded.__dict__ == compiled._folded.__dict__
    assert list(lexicon_cache.glob("lexicon-*.pickle")) == [cached]


def test_compiled_lexicon_cache_follows_the_store_settlements(lexicon_cache):
    from kelisim.monitor.gazetteer import locate, use_store_settlements

    load_lexicon()
    try:
        # CONSTRUCTED code and name (a settlement of an imported workbook)
        use_store_settlements([("314831100", "с.Жаңатестовка", "census2021")])
        [place] = locate("В Жаңатестовке прошёл сход.", "ru")
        assert place["settlement"] == "314831100"
        assert len(list(lexicon_cache.glob("lexicon-*.pickle"))) == 2
    finally:
        use_store_settlements([])
    assert locate("В Жаңатестовке прошёл сход.", "ru") == []


@pytest.mark.parametrize("content", ["truncated", "foreign"])
def test_unreadable_or_foreign_cache_file_is_compiled_again(lexicon_cache, content):
    import os
    import pickle

    from kelisim.monitor import extract as extract_module

    compiled = load_lexicon()
    [cached] = lexicon_cache.glob("lexicon-*.pickle")
    marker = lexicon_cache / "made-by-the-pickle"

    class Foreign:
        def __reduce__(self):
            return os.mkdir, (str(marker),)

    if content == "truncated":
        cached.write_bytes(cached.read_bytes()[:1000])
    else:  # a pickle calling a function outside the lexicon's types is never loaded
        cached.write_bytes(pickle.dumps(Foreign()))
    extract_module.load_lexicon.cache_clear()
    again = load_lexicon()
    assert not marker.exists()
    assert again.entries == compiled.entries and _found(again) == _found(compiled)
    assert pickle.loads(cached.read_bytes()).entries == compiled.entries  # written anew
