"""Mentions of ethnic groups, places and rule cues in kk/ru/en text.

The lexicons in ``kelisim/monitor/lexicon`` are compiled once into per-token indexes: an exact-form
dictionary, stem dictionaries checked against closed suffix sets (Russian case and number endings;
Kazakh plural, possessive, case and predicate suffixes, after Krippes (1993) "Kazakh grammar with
affix list"), and prefix dictionaries for rule cues. Each distinct token is analysed once and
memoised, so a batch costs one regex tokenisation plus dictionary look-ups per token.
Kazakh Latin forms are derived from the Cyrillic entries by the 2021 Kazakh Latin alphabet; Kazakh
written without its own letters (қ→к, ө→о, ...) is matched for documents tagged ``kk``.
"""

from __future__ import annotations

import csv
import functools
import gc
import hashlib
import os
import pickle
import re
import sys
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import NamedTuple

LEXICON_DIR = Path(__file__).parent / "lexicon"

_RU_SUFFIXES = frozenset(
    "а у ом е ы и ов ам ами ах ой ей ою ею ий ый ая ое ие ые ого его ому ему им ым ых их ыми "
    "ими ую юю я ю ем ев ям ями ях ин ина ину ином ине ь ью ья ье ьи ьев ец ца цу цем це цы цев "
    "цам цами цах ка ки ку кой ке ок кам ками ках".split()
) | {""}

_KK_PLURAL = ("", "лар", "лер", "дар", "дер", "тар", "тер")
_KK_POSSESSIVE = (
    "",
    "ы",
    "і",
    "сы",
    "сі",
    "ым",
    "ім",
    "м",
    "ың",
    "ің",
    "ң",
    "ымыз",
    "іміз",
    "мыз",
    "міз",
    "ңыз",
    "ңіз",
    "ыңыз",
    "іңіз",
)
_KK_CASE = (
    "",
    "дың",
    "дің",
    "тың",
    "тің",
    "ның",
    "нің",
    "ға",
    "ге",
    "қа",
    "ке",
    "на",
    "не",
    "а",
    "е",
    "ды",
    "ді",
    "ты",
    "ті",
    "ны",
    "ні",
    "н",
    "да",
    "де",
    "та",
    "те",
    "нда",
    "нде",
    "дан",
    "ден",
    "тан",
    "тен",
    "нан",
    "нен",
    "мен",
    "бен",
    "пен",
    "ша",
    "ше",
    "дай",
    "дей",
    "тай",
    "тей",
    "дағы",
    "дегі",
    "тағы",
    "тегі",
    "ндағы",
    "ндегі",
    "мын",
    "мін",
    "бын",
    "бін",
    "пын",
    "пін",
    "мыз",
    "міз",
    "быз",
    "біз",
    "пыз",
    "піз",
    "сың",
    "сің",
    "сыз",
    "сіз",
    "ғы",
    "гі",
    "лық",
    "лік",
    "дық",
    "дік",
    "тық",
    "тік",
)
_KK_SUFFIXES = frozenset("".join(parts) for parts in product(_KK_PLURAL, _KK_POSSESSIVE, _KK_CASE))
_EN_SUFFIXES = frozenset({"", "s", "es"})
_KK_NEGATIVE_AFFIXES = ("ма", "ме", "ба", "бе", "па", "пе")

# 2021 Kazakh Latin alphabet (Decree of the President of 28 January 2021), folded to ASCII below.
_KK_TO_LATIN = str.maketrans(
    {
        "а": "a",
        "ә": "ä",
        "б": "b",
        "в": "v",
        "г": "g",
        "ғ": "ğ",
        "д": "d",
        "е": "e",
        "ё": "io",
        "ж": "j",
        "з": "z",
        "и": "i",
        "й": "i",
        "к": "k",
        "қ": "q",
        "л": "l",
        "м": "m",
        "н": "n",
        "ң": "ñ",
        "о": "o",
        "ө": "ö",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ұ": "ū",
        "ү": "ü",
        "ф": "f",
        "х": "h",
        "һ": "h",
        "ц": "ts",
        "ч": "ch",
        "ш": "ş",
        "щ": "şş",
        "ъ": "",
        "ы": "y",
        "і": "ı",
        "ь": "",
        "э": "e",
        "ю": "iu",
        "я": "ia",
    }
)
_LATIN_SPECIAL = str.maketrans({"ş": "sh", "ç": "ch", "ı": "i", "’": "'", "ʼ": "'", "ǵ": "g"})
_KK_FOLD = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
    }
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?…;\n]+")
_QUOTED = re.compile(r"[«\"“„]([^«»\"“”„]{1,400})[»\"”“]")
# single quotation marks ('...', ‘...’) only where no letter touches them from outside, so the
# apostrophes of "blogger's", "don't" neither open nor close a quotation
_SINGLE_QUOTED = re.compile(r"(?<![\w'‘’])['‘]([^\n]{1,400}?)['’](?![\w'‘’])")


@functools.lru_cache(maxsize=4)
def tokenise(text: str) -> tuple[re.Match, ...]:
    """The word tokens of ``text``, memoised for the last few texts: the lexicon and the frame
    rules read the same text one after the other."""
    return tuple(_TOKEN.finditer(text))


@functools.lru_cache(maxsize=1 << 18)
def normalise_token(token: str) -> str:
    """Lower-case; ё→е; Latin i→Kazakh і inside Cyrillic words; Latin diacritics folded to ASCII."""
    if token.isascii():  # the steps below change nothing else in ASCII
        token = token.lower()
        return token[:-2] if token.endswith("'s") else token
    token = token.lower().replace("’", "'")
    if _CYRILLIC.search(token):
        return token.replace("ё", "е").replace("i", "і")
    token = token.translate(_LATIN_SPECIAL)
    token = unicodedata.normalize("NFKD", token)
    token = "".join(ch for ch in token if not unicodedata.combining(ch))
    return token[:-2] if token.endswith("'s") else token


def kk_to_latin(text: str) -> str:
    """Kazakh Cyrillic to 2021 Kazakh Latin, folded like every Latin token (``normalise_token``)."""
    text = text.lower()
    if _KK_OR_ASCII.fullmatch(text):  # each letter folds on its own: one table does it all
        return " ".join(text.translate(_KK_TO_ASCII).split())
    return " ".join(normalise_token(word) for word in text.translate(_KK_TO_LATIN).split())


# ``_KK_TO_LATIN`` with each Latin letter already folded by ``normalise_token``; it serves text of
# those letters, ASCII letters and digits, spaces and hyphens only (no apostrophe: "'s").
_KK_TO_ASCII = str.maketrans({chr(c): normalise_token(latin) for c, latin in _KK_TO_LATIN.items()})
_KK_OR_ASCII = re.compile("[a-z0-9 \\-" + "".join(chr(c) for c in _KK_TO_LATIN) + "]*")


def fold_kazakh(token: str) -> str:
    """Kazakh letters to their nearest Russian letters, as in Kazakh typed on a Russian keyboard."""
    return token.translate(_KK_FOLD)


@functools.cache
def _kk_latin_suffixes() -> frozenset[str]:
    """The Kazakh suffix set in 2021 Kazakh Latin (computed once)."""
    return frozenset(kk_to_latin(s) for s in _KK_SUFFIXES)


@dataclass(frozen=True)
class Entry:
    """One lexicon row: ``kind`` group, place or cue; ``code`` a group code, KATO or rule."""

    kind: str
    code: str
    lang: str
    term: str
    units: tuple[int, ...]
    head: tuple[str, ...]
    tier: str = ""
    label: str = ""
    source: str = ""
    context: bool = False  # a settlement named like an ordinary word or a person: needs a head
    key: str = ""  # the gazetteer row of a settlement


class Mention(NamedTuple):
    """A matched entry: token span [start, end), character span, sentence number, text (a
    named tuple: a batch makes hundreds of thousands, and a frozen dataclass took four times as
    long to build)."""

    entry: Entry
    start: int
    end: int
    char_start: int
    char_end: int
    sentence: int
    text: str
    negative_affix: bool = False
    headed: bool = False  # a settlement head word ("село", "ауылы", "village") stands next to it


class _TokenIndex:
    """Token patterns (exact, inflect, prefix) by language, compiled to dictionaries."""

    def __init__(self, fold) -> None:
        self.fold = fold
        self.exact: dict[str, list[int]] = {}
        self.stems: dict[str, list[tuple[frozenset[str], int]]] = {}
        self.prefixes: dict[str, list[int]] = {}
        self.suffixes: dict[str, frozenset[str]] = {}
        self.stem_lengths: list[int] = []
        self.prefix_lengths: list[int] = []
        # Every leading part of every stem / prefix: a token whose first k letters are not
        # among them matches no stem / prefix of k letters or more.
        self.stem_heads: set[str] = set()
        self.prefix_heads: set[str] = set()
        self.max_suffix = 0

    def add(self, unit: int, text: str, match: str, lang: str) -> None:
        text = self.fold(text)
        if match == "exact":
            self.exact.setdefault(text, []).append(unit)
        elif match == "prefix":
            self.prefixes.setdefault(text, []).append(unit)
            if text not in self.prefix_heads:  # else its leading parts are there already
                self.prefix_heads.update(text[:k] for k in range(1, len(text) + 1))
        else:
            self.stems.setdefault(text, []).append((self.suffixes[lang], unit))
            if text not in self.stem_heads:
                self.stem_heads.update(text[:k] for k in range(1, len(text) + 1))

    def finish(self) -> None:
        """Sort the stem and prefix lengths once, after the last ``add``."""
        self.stem_lengths = sorted({len(text) for text in self.stems})
        self.prefix_lengths = sorted({len(text) for text in self.prefixes})

    def set_suffixes(self, lang: str, suffixes: frozenset[str]) -> None:
        self.suffixes[lang] = frozenset(self.fold(s) for s in suffixes)
        self.max_suffix = max(self.max_suffix, max(len(s) for s in self.suffixes[lang]))

    def analyse(self, token: str) -> tuple[tuple[int, str], ...]:
        """Units matched by one normalised token, each with the text left after a prefix unit."""
        token = self.fold(token)
        found = [(unit, "") for unit in self.exact.get(token, ())]
        length = len(token)
        shortest = length - self.max_suffix
        for cut in self.stem_lengths:
            if cut > length or token[:cut] not in self.stem_heads:
                break
            if cut < shortest:
                continue
            for suffixes, unit in self.stems.get(token[:cut], ()):
                if token[cut:] in suffixes:
                    found.append((unit, ""))
        for cut in self.prefix_lengths:
            if cut > length or token[:cut] not in self.prefix_heads:
                break
            for unit in self.prefixes.get(token[:cut], ()):
                found.append((unit, token[cut:]))
        return tuple(found)


_MEMOS = ("_analyse_plain", "_analyse_folded", "_read_token")


class Lexicon:
    """Groups, places and cues compiled for matching; build once with ``load_lexicon()``."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.entries: list[Entry] = []
        self._unit_ids: dict[tuple[str, str, str], int] = {}
        # the entries by their first unit, each with what ``find`` asks of it: (entry, whether it
        # is one word without a head word, the fields a match is told apart by)
        self._first: dict[int, list[tuple[Entry, bool, tuple[str, str, str, str]]]] = {}
        self._plain = _TokenIndex(str)
        self._folded = _TokenIndex(fold_kazakh)
        for index in (self._plain, self._folded):
            index.set_suffixes("ru", _RU_SUFFIXES)
            index.set_suffixes("kk", _KK_SUFFIXES)
            index.set_suffixes("en", _EN_SUFFIXES)
            index.set_suffixes("kk_latn", _kk_latin_suffixes())
        for row in rows:
            self._add_row(row)
            if row["lang"] == "kk" and _CYRILLIC.search(row["term"]):
                latin = dict(row, lang="kk_latn", term=kk_to_latin(row["term"]))
                latin["head"] = "|".join(kk_to_latin(h) for h in row["head"].split("|") if h)
                latin["source"] = row["source"] + "+kk_latin_2021"
                self._add_row(latin)
        self._plain.finish()
        self._folded.finish()
        self._memoise()

    def _memoise(self) -> None:
        """Fresh per-token memos (not part of the compiled lexicon a cache file holds)."""
        self._analyse_plain = functools.lru_cache(maxsize=1 << 18)(self._plain.analyse)
        self._analyse_folded = functools.lru_cache(maxsize=1 << 18)(self._folded.analyse)
        self._read_token = functools.lru_cache(maxsize=1 << 18)(self._read_token_once)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in _MEMOS}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._memoise()

    def _read_token_once(self, raw: str, folded: bool) -> tuple[str, tuple, tuple]:
        """A raw token's normalised form, its units, and the entries starting with them as
        (entry, one word without a head word, identity, negative affix) in match order, where a
        one-word entry whose identity an earlier one-word entry has is left out: it could only
        repeat that match (memoised per raw token: word frequencies are Zipfian, so most tokens
        of a batch were read before)."""
        token = normalise_token(raw)
        units = self._analyse(token, folded)
        candidates = []
        single_identities = set()
        for unit, rest in units:
            for entry, single, identity in self._first.get(unit, ()):
                if single:
                    if identity in single_identities:
                        continue
                    single_identities.add(identity)
                candidates.append((entry, single, identity, rest.startswith(_KK_NEGATIVE_AFFIXES)))
        return token, units, tuple(candidates)

    def _analyse(self, token: str, folded: bool) -> tuple[tuple[int, str], ...]:
        """Units of a token; a hyphenated word without a match of its own is read part by part."""
        units = self._analyse_plain(token) + (self._analyse_folded(token) if folded else ())
        if units or "-" not in token:
            return units
        return tuple(u for part in token.split("-") for u in self._analyse(part, folded))

    def _unit(self, word: str, match: str, lang: str) -> int:
        key = (word, match, lang)
        unit = self._unit_ids.get(key)
        if unit is None:
            unit = self._unit_ids[key] = len(self._unit_ids)
            self._plain.add(unit, word, match, lang)
            if lang == "kk":
                self._folded.add(unit, word, match, lang)
        return unit

    def _add_row(self, row: dict[str, str]) -> None:
        term, lang, row_match = row["term"], row["lang"], row["match"]
        words = term.split()
        units = []
        last = len(words) - 1
        for position, word in enumerate(words):
            if row_match == "phrase":
                match = (
                    "prefix" if word.endswith("*") else "inflect" if word.endswith("~") else "exact"
                )
                word = word.rstrip("*~")
            else:
                match = row_match if position == last else "exact"
            units.append(self._unit(normalise_token(word), match, lang))
        heads = row.get("head", "")
        entry = Entry(
            kind=row["kind"],
            code=row["code"],
            lang=lang,
            term=term,
            units=tuple(units),
            head=tuple(normalise_token(h) for h in heads.split("|") if h) if heads else (),
            tier=row.get("tier", ""),
            label=row.get("label", ""),
            source=row.get("source", ""),
            context=row.get("context") == "yes",
            key=row.get("key", ""),
        )
        single = len(entry.units) == 1 and not entry.head
        identity = (entry.kind, entry.code, entry.tier, entry.key)
        self._first.setdefault(units[0], []).append((entry, single, identity))
        self.entries.append(entry)

    def find(self, text: str, language: str | None = None) -> list[Mention]:
        """Every lexicon match in ``text``, one per entry identity (kind, code, tier, key) and
        token span, the first found; overlapping group/place matches keep the longest."""
        matches = tokenise(text)
        if not matches:
            return []
        folded = language == "kk"
        read = [self._read_token(m.group(), folded) for m in matches]
        tokens = [token for token, _, _ in read]
        analysed = [units for _, units, _ in read]
        ends: list[int] | None = None
        found: list[Mention] = []
        seen: set[tuple] = set()
        for i, (_, _, candidates) in enumerate(read):
            for entry, single, identity, negative_affix in candidates:
                if single:  # most entries: one word, each identity once (_read_token_once)
                    end = i + 1
                else:
                    end = self._match_rest(entry, analysed, tokens, i)
                    if end is None or (identity, i, end) in seen:
                        continue
                    seen.add((identity, i, end))
                if ends is None:
                    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
                a, b = matches[i].start(), matches[end - 1].end()
                found.append(
                    Mention(
                        entry,
                        i,
                        end,
                        a,
                        b,
                        bisect_right(ends, a),
                        text[a:b],
                        negative_affix=negative_affix,
                        headed=entry.label == "settlement" and _headed(tokens, i, end),
                    )
                )
        return _longest(found)

    @staticmethod
    def _match_rest(entry: Entry, analysed, tokens: list[str], i: int) -> int | None:
        end = i + len(entry.units)
        if end > len(tokens):
            return None
        for offset, unit in enumerate(entry.units[1:], start=1):
            if all(u != unit for u, _ in analysed[i + offset]):
                return None
        if entry.head:
            if end >= len(tokens) or not tokens[end].startswith(entry.head):
                return None
            end += 1
        return end


# Words that mark a settlement: before the name in Russian and English ("село Масанчи", "в селе",
# "village of Sortobe", "аул"), after it in Kazakh and English ("Масанчи ауылы", "Sortobe village").
SETTLEMENT_HEADS_BEFORE = frozenset(
    "село селе села селу селом с пос поселок поселке поселка поселком аул ауле аула аулу аулом "
    "деревня деревне станция ст village aul auyl settlement selo".split()
)
SETTLEMENT_HEADS_AFTER = ("ауыл", "auyl", "village", "aul", "селение", "кент")


def _headed(tokens: list[str], start: int, end: int) -> bool:
    """A settlement head word right before the name (or "village of" before it) or right after."""
    before = tokens[start - 1] if start > 0 else ""
    if before in SETTLEMENT_HEADS_BEFORE:
        return True
    if before == "of" and start > 1 and tokens[start - 2] in SETTLEMENT_HEADS_BEFORE:
        return True
    return end < len(tokens) and tokens[end].startswith(SETTLEMENT_HEADS_AFTER)


def _longest(found: list[Mention]) -> list[Mention]:
    """Drop group/place matches covered by a longer match of the same kind."""
    spans: dict[str, set[tuple[int, int]]] = {}
    for m in found:
        if m.entry.kind in ("group", "place"):
            spans.setdefault(m.entry.kind, set()).add((m.start, m.end))
    widest = {kind: max(e - s for s, e in kind_spans) for kind, kind_spans in spans.items()}
    return [
        m
        for m in found
        if m.entry.kind not in spans
        or m.end - m.start == widest[m.entry.kind]  # nothing of its kind is longer
        or not any(
            s <= m.start and m.end <= e and (e - s) > (m.end - m.start)
            for s, e in spans[m.entry.kind]
        )
    ]


def _read_tsv(name: str) -> list[dict[str, str]]:
    with open(LEXICON_DIR / name, encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


@functools.cache
def load_lexicon() -> Lexicon:
    """The bundled lexicons (groups.tsv, places.tsv, cues.tsv) and the settlements of
    ``kelisim.monitor.gazetteer`` compiled into one ``Lexicon``; the compiled lexicon is kept in
    KELISIM_HOME's ``cache`` folder under the digest of everything it is compiled from
    (``_compiled_key``), so later processes read it instead of compiling it again."""
    path = _compiled_path()
    lexicon = _read_compiled(path) if path is not None else None
    if lexicon is None:
        lexicon = Lexicon(_lexicon_rows())
        if path is not None:
            _write_compiled(lexicon, path)
    return lexicon


COMPILED_PREFIX = "lexicon-"
COMPILED_KEPT = 4  # compiled lexicons kept in the cache (one per store in use, say)


def _compiled_key() -> str:
    """SHA-256 of the lexicons' digest (files and settlements matched, bundled and the
    store's), of the code that compiles them and of Python's version."""
    from kelisim.monitor import gazetteer

    digest = hashlib.sha256(_lexicon_digest().encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(Path(gazetteer.__file__).read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _compiled_path() -> Path | None:
    """Where the compiled lexicon of the current inputs is cached; None without a writable home."""
    from kelisim.config import home_dir

    try:
        folder = home_dir() / "cache"
        folder.mkdir(exist_ok=True)
    except OSError:
        return None
    return folder / f"{COMPILED_PREFIX}{_compiled_key()}.pickle"


class _LexiconUnpickler(pickle.Unpickler):
    """Reads only a compiled lexicon: no class or function outside this module's lexicon types
    is ever loaded from a cache file (Python docs, pickle, "Restricting Globals")."""

    ALLOWED = {
        ("kelisim.monitor.extract", n) for n in ("Lexicon", "_TokenIndex", "Entry", "fold_kazakh")
    } | {("builtins", n) for n in ("str", "frozenset", "set")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a compiled lexicon")
        return super().find_class(module, name)


def _read_compiled(path: Path) -> Lexicon | None:
    """The cached compiled lexicon, or None when there is none or it cannot be read."""
    enabled = gc.isenabled()
    gc.disable()  # ~40,000 objects, none garbage: the collector's passes would cost 4 times more
    try:
        with open(path, "rb") as handle:
            lexicon = _LexiconUnpickler(handle).load()
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError, ValueError):
        return None
    finally:
        if enabled:
            gc.enable()
    return lexicon if isinstance(lexicon, Lexicon) else None


def _write_compiled(lexicon: Lexicon, path: Path) -> None:
    """Cache a compiled lexicon (written whole, then renamed: readers never see half a file),
    keeping the ``COMPILED_KEPT`` newest; a cache that cannot be written is skipped."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as handle:
            pickle.dump(lexicon, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
        older = sorted(
            path.parent.glob(f"{COMPILED_PREFIX}*.pickle"),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )[COMPILED_KEPT:]
        for stale in older:
            stale.unlink(missing_ok=True)
    except OSError:
        partial.unlink(missing_ok=True)


def _lexicon_rows() -> list[dict[str, str]]:
    """The rows ``load_lexicon`` compiles: groups, places, settlements and cues."""
    rows = []
    for row in _read_tsv("groups.tsv"):
        rows.append(
            {
                "kind": "group",
                "code": row["group"],
                "lang": row["lang"],
                "term": row["term"],
                "match": row["match"],
                "head": "",
                "label": row["kind"],
                "source": row["source"],
            }
        )
    for row in _read_tsv("places.tsv"):
        rows.append(
            {
                "kind": "place",
                "code": row["kato"],
                "lang": row["lang"],
                "term": row["term"],
                "match": row["match"],
                "head": row["head"] or "",
                "label": row["level"],
                "source": row["source"],
            }
        )
    from kelisim.monitor.gazetteer import lexicon_rows

    rows.extend(lexicon_rows())
    for row in _read_tsv("cues.tsv"):
        rows.append(
            {
                "kind": "cue",
                "code": row["rule"],
                "lang": row["lang"],
                "term": row["phrase"],
                "match": "phrase",
                "head": "",
                "tier": row["tier"],
                "source": row["source"],
            }
        )
    return rows


LEXICON_FILES = ("groups.tsv", "places.tsv", "cues.tsv", "frames.tsv")


@functools.cache
def lexicon_version() -> str:
    """The version of the lexicons: the first 12 hex digits of the SHA-256 of their files and
    of the settlements matched, so every score can name the exact lexicons that produced it."""
    return _lexicon_digest()[:12]


def _lexicon_digest() -> str:
    """SHA-256 (hex) of the lexicon files and of the settlements matched."""
    from kelisim.monitor.gazetteer import settlements_digest

    digest = hashlib.sha256()
    for name in LEXICON_FILES:
        digest.update((LEXICON_DIR / name).read_bytes())
    digest.update(settlements_digest())
    return digest.hexdigest()


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character spans inside quotation marks (« », " ", “ ”, „ “, ' ', ‘ ’)."""
    spans = [(m.start(1), m.end(1)) for m in _QUOTED.finditer(text)]
    if "'" in text or "‘" in text:
        spans += [(m.start(1), m.end(1)) for m in _SINGLE_QUOTED.finditer(text)]
    return spans


GROUP_PLACEHOLDER = "xgroupx"  # one token for every group name (see ``mask_groups``)


def weak_mention(m: Mention) -> bool:
    """A group mention that also names a language, product or state: adjectives ("Korean
    carrots", "the Uzbek restaurant"), bare Kazakh stems ("қытай компаниясы")."""
    if m.entry.label == "adjective":
        return True
    if m.entry.lang in ("kk", "kk_latn"):
        return fold_kazakh(normalise_token(m.text)) == fold_kazakh(normalise_token(m.entry.term))
    return False


def group_name_spans(mentions: list[Mention]) -> list[tuple[int, int]]:
    """Character spans of the group names (ethnonyms and their adjectives, not derogatory terms)
    among ``mentions``."""
    return [
        (m.char_start, m.char_end)
        for m in mentions
        if m.entry.kind == "group" and m.entry.label != "derogatory"
    ]


def mask_groups(text: str, spans: list[tuple[int, int]] | None = None, language=None) -> str:
    """``text`` with every group name (``group_name_spans``; found with the lexicon when
    ``spans`` is None) replaced by ``GROUP_PLACEHOLDER``: a model fed this text cannot tell one
    group from another (counterfactual token fairness, Garg et al. 2019, "blindness", section 4).

    >>> mask_groups("Уйгуры и казахи живут рядом.", language="ru")
    'xgroupx и xgroupx живут рядом.'
    """
    if spans is None:
        spans = group_name_spans(load_lexicon().find(text, language))
    for start, end in sorted(set(spans), reverse=True):
        text = text[:start] + GROUP_PLACEHOLDER + text[end:]
    return text


def extract(text: str, language: str | None = None) -> dict[str, list[dict]]:
    """Group and place mentions in one text: codes with their matched spans.

    >>> extract("Казахи и уйгуры в Алматы")["groups"][0]["code"]
    'kazakh'
    """
    out: dict[str, list[dict]] = {"groups": [], "places": []}
    for m in load_lexicon().find(text, language):
        if m.entry.kind in ("group", "place"):
            out[m.entry.kind + "s"].append(
                {
                    "code": m.entry.code,
                    "text": m.text,
                    "start": m.char_start,
                    "end": m.char_end,
                    "lang": m.entry.lang,
                    "label": m.entry.label,
                }
            )
    return out
