"""Settlements for place matching, and the resolution of place mentions to KATO codes.

A settlement comes from the bundled table ``kelisim/datasets/data/settlements.csv`` (every row
cites its source) or from an imported census workbook (the settlements of ``dataset_areas``,
passed in with :func:`use_store_settlements`). Its code is its 9-digit KATO where known, else
the KATO of its district (or region): the district is the first four digits followed by zeros
(KATO: AB region, CD district, EF rural district, HIJ settlement).

Resolution (:func:`resolve_places`): a name shared by several places keeps the candidates that
lie in a district or region named elsewhere in the same text; if several remain, all are
reported with confidence 1/n and only the district or region they share (if any) is counted,
never a single guessed one. A settlement whose name is an ordinary word or a person's name
counts only with a head word ("село", "ауылы", "village") or with its district or region named
in the text.
"""

from __future__ import annotations

import csv
import functools
import hashlib
from importlib import resources
from typing import TYPE_CHECKING

from kelisim.core.areas import clean_settlement_name, kato_prefix, region_code
from kelisim.core.groups import LANGUAGES
from kelisim.monitor.extract import _CYRILLIC, Mention

if TYPE_CHECKING:
    import duckdb

SETTLEMENTS_FILE = "settlements.csv"
_RU_ADJECTIVE_ENDINGS = ("ое", "ая", "ий", "ый", "ие", "ой")
_store_settlements: tuple[tuple[str, str, str], ...] = ()


@functools.cache
def bundled_settlements() -> tuple[dict[str, str], ...]:
    """The rows of the bundled settlements table."""
    path = resources.files("kelisim.datasets") / "data" / SETTLEMENTS_FILE
    with path.open("r", encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@functools.cache
def district_codes() -> frozenset[str]:
    """KATO codes of the districts and cities of regional rank (bundled areas, every version)."""
    path = resources.files("kelisim.datasets") / "data" / "areas.csv"
    with path.open("r", encoding="utf-8", newline="") as handle:
        return frozenset(r["area_code"] for r in csv.DictReader(handle) if r["level"] == "district")


def district_of(code: str) -> str | None:
    """The district containing a KATO area (itself if it is one); None for a region or a code
    whose district is not among the bundled districts."""
    if code in district_codes():
        return code
    candidate = code[:4] + "00000"
    return candidate if candidate in district_codes() else None


@functools.lru_cache(maxsize=1 << 16)
def area_and_parents(code: str) -> tuple[str, ...]:
    """A place's code, its district (when it has one) and its region: the cells it counts in."""
    return tuple(dict.fromkeys(a for a in (code, district_of(code), region_code(code)) if a))


def _russian_word(word: str) -> tuple[str, bool]:
    """A Russian word's stem and whether it takes case endings: Маловодное -> маловодн,
    Михайловка -> михайловк, Ачисай -> ачиса, Казатком -> казатком; indeclinable words ending
    in a vowel (Масанчи, Сортобе) and short words stay whole."""
    if len(word) < 4:
        return word, False
    if word.endswith(_RU_ADJECTIVE_ENDINGS):
        return word[:-2], True
    if word.endswith(("а", "я", "ь", "й")):
        return word[:-1], True
    return word, word[-1] not in "оеиуыэю"


def _russian_term(name: str) -> tuple[str, str]:
    """The lexicon term of a Russian name: one inflecting stem, or a phrase whose declining
    words end in ``~`` (Старый Колутон -> стар~ колутон~)."""
    words = [_russian_word(w) for w in name.lower().replace("ё", "е").split()]
    if len(words) == 1:
        stem, declines = words[0]
        return stem, "inflect" if declines else "exact"
    return " ".join(stem + "~" * declines for stem, declines in words), "phrase"


def settlement_terms(name_ru: str, name_kk: str, name_en: str, variants: str):
    """(lang, term, match) for every written form of a settlement."""
    forms: set[tuple[str, str, str]] = set()
    for name in (name_ru, *[v for v in variants.split("|") if _CYRILLIC.search(v)]):
        name = clean_settlement_name(name)
        if name:
            forms.add(("ru", *_russian_term(name)))
            forms.add(("ru", name.lower().replace("ё", "е"), "exact"))
    # Kazakh suffixes attach to the Kazakh name and to the Russian one as written in Kazakh
    # text (Масанчиде, Маловодноеге).
    for name in {clean_settlement_name(name_kk), clean_settlement_name(name_ru)} - {""}:
        words = name.lower().replace("ё", "е").split()
        forms.add(("kk", " ".join(words), "inflect" if len(words[-1]) >= 4 else "exact"))
    for name in (name_en, *[v for v in variants.split("|") if v and not _CYRILLIC.search(v)]):
        if name.strip():
            forms.add(("en", name.strip().lower(), "exact"))
    return sorted(forms)


def _needs_context(name: str) -> bool:
    """Store settlements: a name of one short word, or after a person (батыр, би, ата, им.)."""
    words = name.lower().split()
    return len(words[-1]) < 5 or words[-1] in ("батыр", "би", "ата", "баба") or "им" in words


def lexicon_rows() -> list[dict[str, str]]:
    """Lexicon rows (kind place, label settlement) for the bundled and the store settlements."""
    rows = []
    for row in bundled_settlements():
        code = row["kato"] or row["district_kato"] or row["region_kato"]
        for lang, term, match in settlement_terms(
            row["name_ru"], row["name_kk"], row["name_en"], row["variants"]
        ):
            rows.append(_row(code, lang, term, match, row["needs_context"], row["settlement_id"],
                             "settlements.csv:" + row["settlement_id"]))
    for code, name, dataset in _store_settlements:
        name = clean_settlement_name(name)
        if not name:
            continue
        context = "yes" if _needs_context(name) else "no"
        for lang, term, match in settlement_terms(name, name, "", ""):
            rows.append(_row(code, lang, term, match, context, code, f"dataset:{dataset}:{code}"))
    return rows


def _row(code, lang, term, match, context, key, source) -> dict[str, str]:
    return {"kind": "place", "code": code, "lang": lang, "term": term, "match": match,
            "head": "", "label": "settlement", "source": source, "context": context, "key": key}


def use_store_settlements(rows: list[tuple[str, str, str]]) -> None:
    """Match the settlements of imported workbooks too: ``(kato, name, dataset)`` rows. The
    compiled lexicon and its version are rebuilt when the set changes."""
    from kelisim.monitor import extract

    unique = tuple(sorted(set(rows)))
    global _store_settlements
    if unique == _store_settlements:
        return
    _store_settlements = unique
    extract.load_lexicon.cache_clear()
    extract.lexicon_version.cache_clear()


def use_store_gazetteer(con: duckdb.DuckDBPyConnection) -> int:
    """Match the settlements of the store's imported workbooks too; returns how many."""
    from kelisim.store.workbooks import settlement_names

    rows = settlement_names(con)
    use_store_settlements(rows)
    return len(rows)


def settlements_digest() -> bytes:
    """Bytes that change when the settlements matched change (part of the lexicon version)."""
    digest = hashlib.sha256()
    path = resources.files("kelisim.datasets") / "data" / SETTLEMENTS_FILE
    digest.update(path.read_bytes())
    for row in _store_settlements:
        digest.update("\t".join(row).encode())
    return digest.digest()


@functools.lru_cache(maxsize=1 << 16)
def _place_info(code: str) -> dict[str, str | None]:
    """A place's code, settlement, district and region (memoised: callers copy, never change it)."""
    district = district_of(code)
    deeper = district is not None and code != district and code[4:] != "00000"
    return {"code": code, "settlement": code if deeper else None, "district": district,
            "region": region_code(code) if code[:2] != "00" else None}


@functools.lru_cache(maxsize=1 << 16)
def _narrow(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Drop a code that contains another candidate (a district named like its own village)."""
    containers = {a for c in codes for a in area_and_parents(c)[1:] if a != c}
    return tuple(c for c in codes if c not in containers)


def _inside(code: str, area: str) -> bool:
    """True when ``code`` lies in ``area`` (a region, a district or the same code)."""
    if code == area:
        return True
    if area == region_code(area):
        return code.startswith(kato_prefix(area))
    return district_of(code) == area


def resolve_places(mentions: list[Mention]) -> tuple[list[str], list[dict]]:
    """Codes counted for a text's place mentions, and one detail row per mention (its text,
    code, settlement, district, region, gazetteer key of a settlement, candidates and
    confidence); see the module docstring."""
    spans: dict[tuple[int, int], list[Mention]] = {}
    for m in mentions:
        if m.entry.kind == "place":
            spans.setdefault((m.start, m.end), []).append(m)
    first: dict[tuple[int, int], list[str]] = {}
    for span, items in spans.items():
        kept = [m for m in items if not m.entry.context or m.headed]
        first[span] = _narrow(tuple(sorted({m.entry.code for m in kept})))
    codes: list[str] = []
    details: list[dict] = []
    for span, items in spans.items():
        candidates = first[span]
        if len(candidates) != 1:  # the places named elsewhere in the text decide
            context = {c for other, found in first.items() if other != span and len(found) == 1
                       for c in found}
        # An ordinary-word settlement without a head word counts when its area is named.
        if not candidates:
            areas = {a for c in context for a in area_and_parents(c)}
            candidates = _narrow(tuple(sorted({m.entry.code for m in items
                                               if any(_inside(m.entry.code, a) for a in areas)})))
        if len(candidates) > 1:
            near = tuple(c for c in candidates if any(_inside(c, a) for a in context)
                         ) if context else ()  # a shared name alone in its text: all its places
            candidates = near or candidates
            resolved_by_context = bool(near)
        else:
            resolved_by_context = False
        if not candidates:
            continue
        text = items[0].text
        if len(candidates) == 1:
            info = _place_info(candidates[0])
            key = next((m.entry.key for m in items if m.entry.code == candidates[0]
                        and m.entry.key), None)
            details.append({**info, "key": key, "text": text, "candidates": list(candidates),
                            "confidence": 0.9 if resolved_by_context else 1.0})
            counted = candidates[0]
        else:
            infos = [_place_info(c) for c in candidates]
            districts = {i["district"] for i in infos}
            regions = {i["region"] for i in infos}
            counted = (next(iter(districts)) if len(districts) == 1 and None not in districts
                       else next(iter(regions)) if len(regions) == 1 and None not in regions
                       else None)
            shared = _place_info(counted) if counted else {"district": None, "region": None}
            details.append({"code": counted, "settlement": None, "district": shared["district"],
                            "region": shared["region"], "key": None, "text": text,
                            "candidates": list(candidates),
                            "confidence": round(1 / len(candidates), 3)})
        if counted and counted not in codes:
            codes.append(counted)
    return codes, details


def locate(text: str, language: str | None = None) -> list[dict]:
    """The place details of one text (see :func:`resolve_places`)."""
    from kelisim.monitor.extract import load_lexicon

    return resolve_places(load_lexicon().find(text, language))[1]


def score_mentions(rows: list[dict[str, str]]) -> dict[str, dict[str, int]]:
    """Place-mention accuracy on labelled sentences, per language: ``rows`` carry lang, text,
    mention, region, district and candidates ('|'-separated, for a shared name). Counts:
    mentions, right region, mentions with a district, right district, shared names, shared
    names reported with exactly their candidates, and single wrong guesses."""
    scores: dict[str, dict[str, int]] = {}
    for row in rows:
        score = scores.setdefault(row["lang"], dict.fromkeys(
            ("mentions", "region_right", "with_district", "district_right", "shared",
             "shared_right", "wrong_single"), 0))
        details = locate(row["text"], row["lang"])
        found = next((d for d in details if d["text"].lower() == row["mention"].lower()), None)
        if row["candidates"]:
            score["shared"] += 1
            expected = sorted(row["candidates"].split("|"))
            if found and sorted(found["candidates"]) == expected:
                score["shared_right"] += 1
            if found and len(found["candidates"]) == 1:
                score["wrong_single"] += 1
            continue
        score["mentions"] += 1
        if found and found["region"] == row["region"]:
            score["region_right"] += 1
        elif found and found["region"] is not None:
            score["wrong_single"] += 1
        if row["district"]:
            score["with_district"] += 1
            score["district_right"] += bool(found and found["district"] == row["district"])
    return scores


@functools.cache
def _bundled_by_key() -> dict[str, dict[str, str]]:
    """The bundled settlements by their key (settlement_id), built once."""
    return {row["settlement_id"]: row for row in bundled_settlements()}


def settlements_named(text: str) -> list[dict]:
    """The settlements a text names (an incident's place field: "Masanchi; Sortobe"), once
    each, with its gazetteer key, code, district, region and ``names`` (kk, ru, en: the
    bundled table's, else the name as written)."""
    bundled = _bundled_by_key()
    named, seen = [], set()
    for detail in locate(text):
        key = detail["key"]
        if not key or key in seen:
            continue
        seen.add(key)
        row = bundled.get(key)
        names = ({lang: row[f"name_{lang}"] for lang in LANGUAGES} if row
                 else dict.fromkeys(LANGUAGES, detail["text"]))
        named.append({**detail, "names": names})
    return named
