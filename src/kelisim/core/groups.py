"""Ethnic group registry: codes, names in kk/ru/en and aliases, with near-match suggestions.

Codes are snake_case English singular ethnonyms (``kazakh``, ``russian``); ``other`` is a
published residual, ``other_nationality`` the 2021 census write-in category, ``not_stated``
persons who did not state a nationality, and ``total`` (not a group) all persons.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from kelisim.errors import ArgumentError

if TYPE_CHECKING:  # the tables are read as frames by their callers
    import pandas as pd

TOTAL = "total"
LANGUAGES = ("kk", "ru", "en")
# The Kazakh Cyrillic alphabet in its order; the Russian one is the same sequence without
# Ә Ғ Қ Ң Ө Ұ Ү Һ І, so one order serves both (Unicode puts the Kazakh letters after Я).
KAZAKH_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_ALPHABET_RANK = {letter: 0x400 + rank for rank, letter in enumerate(KAZAKH_ALPHABET)}


def alphabetical_key(text: str) -> tuple[int, ...]:
    """Sort key that files Kazakh and Russian words in their alphabets' order (Ә after А,
    Қ after К, Ұ and Ү after У), ignoring case; Latin letters sort before Cyrillic."""
    return tuple(_ALPHABET_RANK.get(c, ord(c)) for c in str(text).casefold())


# Latin letters that look like Cyrillic ones (Unicode confusables, UTS #39): official tables
# sometimes type them inside Cyrillic words ('Hемцы' with a Latin H).
CONFUSABLES = str.maketrans("AaBCcEeHIiKMOoPpTXxYy", "АаВСсЕеНІіКМОоРрТХхУу")


def fold_confusables(text: str) -> str:
    """Replace Latin look-alike letters by Cyrillic ones in every word that has Cyrillic."""
    return re.sub(r"\S+", lambda word: word.group().translate(CONFUSABLES)
                  if any("\u0400" <= ch <= "\u04ff" for ch in word.group())
                  else word.group(), str(text))


def normalise_name(text: str) -> str:
    """Lower-case, trimmed, single-spaced; Latin look-alike letters inside Cyrillic words
    become Cyrillic (:func:`fold_confusables`, so ``i`` in Kazakh words becomes ``і``)."""
    text = " ".join(fold_confusables(str(text).strip()).lower().split())
    return text.replace("ё", "е")


class GroupRegistry:
    """Groups (``group_code, kind, name_kk, name_ru, name_en``) and aliases (``alias, language,
    group_code``) as frames; lookups accept a code, a name or an alias in any language."""

    def __init__(self, groups: pd.DataFrame, aliases: pd.DataFrame) -> None:
        self.groups = groups.reset_index(drop=True)
        self.aliases = aliases.reset_index(drop=True)
        index = {normalise_name(c): c for c in self.groups["group_code"]}
        for lang in LANGUAGES:
            for name, code in zip(
                self.groups[f"name_{lang}"], self.groups["group_code"], strict=True
            ):
                if isinstance(name, str) and name:
                    index.setdefault(normalise_name(name), code)
        for alias, code in zip(self.aliases["alias"], self.aliases["group_code"], strict=True):
            index.setdefault(normalise_name(alias), code)
        self._index = index

    @property
    def codes(self) -> list[str]:
        """Every group code, in registry order (``total`` is not a group)."""
        return list(self.groups["group_code"])

    def kind(self, code: str) -> str:
        """group | other | not_stated (``total`` for all persons)."""
        if code == TOTAL:
            return TOTAL
        return str(self.groups.loc[self.groups["group_code"] == code, "kind"].iloc[0])

    def resolve(self, name: str, allow_total: bool = False) -> str | None:
        """The group code for a code, name or alias; None when unknown."""
        key = normalise_name(name)
        if allow_total and key in (TOTAL, "all", "всего", "барлығы"):
            return TOTAL
        return self._index.get(key)

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Codes whose code, names or aliases are close to ``name`` (difflib ratio >= 0.6)."""
        matches = difflib.get_close_matches(normalise_name(name), list(self._index), n=n * 3)
        found: list[str] = []
        for match in matches:
            if self._index[match] not in found:
                found.append(self._index[match])
        return found[:n]

    def lookup(self, name: str, allow_total: bool = False) -> str:
        """Like :meth:`resolve`, but raises ArgumentError with a suggestion when unknown."""
        code = self.resolve(name, allow_total=allow_total)
        if code is None:
            raise ArgumentError("group", unknown_message("group", name, self.suggest(name)))
        return code

    def name(self, code: str, language: str = "en") -> str:
        """The group's name in ``language`` (kk, ru or en), falling back to English."""
        if code == TOTAL:
            return {"kk": "барлық халық", "ru": "всё население"}.get(language, "Total")
        row = self.groups.loc[self.groups["group_code"] == code]
        if row.empty:
            raise ArgumentError("group", unknown_message("group", code, self.suggest(code)))
        value = row.iloc[0][f"name_{language}"]
        return value if isinstance(value, str) and value else row.iloc[0]["name_en"]


def unknown_message(kind: str, value: str, suggestions: list[str]) -> str:
    """'unknown group 'kazak'; did you mean kazakh?' in one sentence."""
    hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
    return f"unknown {kind} '{value}'{hint}"


@lru_cache(maxsize=1)
def default_registry() -> GroupRegistry:
    """The bundled registry (``kelisim/datasets/data/groups.csv`` and ``group_aliases.csv``)."""
    from kelisim.core.curated import read_curated

    return GroupRegistry(read_curated("groups"), read_curated("group_aliases"))
