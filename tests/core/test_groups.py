"""Group registry: lookups in three languages, aliases, near-match suggestions."""

import re

import pytest

from kelisim.core.curated import read_curated
from kelisim.core.groups import TOTAL, default_registry, normalise_name
from kelisim.errors import ArgumentError


def test_lookup_by_code_name_and_alias_in_each_language():
    registry = default_registry()
    assert registry.lookup("kazakh") == "kazakh"
    assert registry.lookup("Kazakhs") == "kazakh"
    assert registry.lookup("казахи") == "kazakh"
    assert registry.lookup("қазақтар") == "kazakh"
    assert registry.lookup("Қазақ") == "kazakh"
    assert registry.lookup("русский") == "russian"
    assert registry.lookup("Meskhetian Turks") == "turkish"
    assert registry.lookup("Uighur") == "uyghur"


def test_other_and_not_stated_are_distinct():
    registry = default_registry()
    kinds = {registry.lookup(n): registry.kind(registry.lookup(n))
             for n in ("other", "not stated", "другая национальность")}
    assert kinds == {"other": "other", "not_stated": "not_stated", "other_nationality": "other"}


def test_total_only_when_allowed():
    registry = default_registry()
    assert registry.resolve("total") is None
    assert registry.resolve("total", allow_total=True) == TOTAL
    assert TOTAL not in registry.codes


def test_unknown_group_suggests_near_matches():
    registry = default_registry()
    with pytest.raises(ArgumentError, match="did you mean kazakh"):
        registry.lookup("kazak")
    assert registry.suggest("руские")[0] == "russian"


def test_registry_is_large_and_codes_are_unique_snake_case():
    registry = default_registry()
    codes = registry.codes
    assert len(codes) == len(set(codes)) >= 100
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes)


def test_every_group_in_the_bundled_data_is_registered():
    codes = set(default_registry().codes)
    for name in ("census_national", "regions_annual", "regional_partial"):
        assert set(read_curated(name)["group_code"]) - {TOTAL} <= codes, name
    for groups in read_curated("incidents")["groups"].dropna():
        assert set(groups.split(";")) <= codes


def test_smallest_groups_of_the_2021_census_are_registered():
    # Aqparat.info 2023-11-07 (source S6) names the smallest of the 124 groups of the 2021 census
    registry = default_registry()
    for name in ("ливцы", "вепсы", "орочи", "долганы", "датчане", "удэгейцы", "цахуры",
                 "мансийцы", "нанайцы", "монголы", "селькупы", "чукчи", "ульта", "нивхы",
                 "ижорцы", "кеты", "коряки", "крымчаки", "нганасаны", "саамы", "чуванцы"):
        assert registry.resolve(name) is not None, name


def test_no_alias_names_two_groups():
    aliases = read_curated("group_aliases")
    assert set(aliases["language"]) == {"kk", "ru", "en"}
    per_language = aliases.groupby(["alias", "language"])["group_code"].nunique()
    assert (per_language == 1).all(), per_language[per_language > 1]
    # lookups ignore the language, so an alias must not be ambiguous across languages either
    keys = aliases.assign(key=aliases["alias"].map(normalise_name))
    assert (keys.groupby("key")["group_code"].nunique() == 1).all()
    assert set(aliases["group_code"]) <= set(default_registry().codes)


def test_singular_plural_and_adjectival_forms():
    registry = default_registry()
    for name in ("узбек", "узбекский", "Uzbeks", "өзбек", "крымскотатарский", "кәрістер",
                 "корейлер", "Danes", "датский"):
        assert registry.resolve(name) is not None, name


def test_kazakh_names_say_where_they_come_from():
    groups = read_curated("groups")
    known = set(read_curated("sources")["source_id"]) | {"own"}
    assert set(groups["name_kk_source"]) <= known
    official = groups.set_index("group_code")["name_kk_source"]
    # BNS statement in Kazakh, 2023 (source BNS_2023_KK): Koreans are "кәрістер"
    assert official["korean"] == "BNS_2023_KK"
    assert default_registry().name("korean", "kk") == "кәрістер"


def test_names_in_three_languages():
    registry = default_registry()
    assert registry.name("dungan", "ru") == "дунгане"
    assert registry.name("dungan", "kk") == "дүнгендер"
    assert registry.name("total", "en") == "Total"


def test_normalise_kazakh_latin_i():
    # Some sources type Latin i for Kazakh і (constructed example)
    assert normalise_name("Немiстер") == normalise_name("Немістер")
