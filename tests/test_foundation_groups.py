"""Group registry: lookups in three languages, aliases, near-match suggestions."""

import pytest

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
    assert len(codes) == len(set(codes)) >= 75
    assert all(code.replace("_", "").isalpha() and code == code.lower() for code in codes)


def test_names_in_three_languages():
    registry = default_registry()
    assert registry.name("dungan", "ru") == "дунгане"
    assert registry.name("dungan", "kk") == "дүнгендер"
    assert registry.name("total", "en") == "Total"


def test_normalise_kazakh_latin_i():
    # Some sources type Latin i for Kazakh і (constructed example)
    assert normalise_name("Немiстер") == normalise_name("Немістер")
