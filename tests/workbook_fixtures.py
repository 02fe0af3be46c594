"""Constructed workbooks in the layout of the BNS 2021 census workbook (sheets 2.1 and 3.1).

CONSTRUCTED: every count is drawn from a seeded generator; the layout mirrors the published
workbook as issue 14 describes it cell for cell (title rows, the header row starting
'Уровень', a row of column numbers, level / KATO / name / total columns, one column per group,
'-' for zero, numbers typed as text with spaces, a header with a Latin look-alike letter, a
footnote mark, notes after the data). Used by the tests and by bench/bench_census_workbook.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# (KATO, name, [(district KATO, name, settlements, {rural district: settlements} or None)])
SMALL = [
    ("310000000", "Жамбылская область", [
        ("311000000", "г.Тараз", ["311010000"]),
        ("314800000", "Кордайский район", {
            "314830000": ["314831100", "314831200", "314831300"],
            "314850000": ["314851100", "314851200"],
        }),
        ("316600000", "Шуский район", ["316630100", "316630200", "316630300"]),
    ]),
    ("630000000", "Восточно-Казахстанская область", [
        ("631000000", "г.Усть-Каменогорск", ["631010000", "631030100"]),
        ("632800000", "г.Семей", ["632810000", "632830100"]),
        ("635000000", "Кокпектинский район", ["635030100", "635030200"]),
    ]),
    ("750000000", "г.Алматы", [
        ("751110000", "Алмалинский район", None),
        ("751310000", "Ауэзовский район", None),
    ]),
]
# Header spellings as typed in the workbook: a Latin H in 'Hемцы', a footnote mark on Uyghurs.
SMALL_HEADERS = ["Казахи", "Русские", "Узбеки", "Украинцы", "Уйгуры¹", "Hемцы", "Татары",
                 "Дунгане", "Корейцы", "Другие"]
GROUP_WEIGHTS = {"Казахи": 60, "Русские": 20, "Узбеки": 4, "Уйгуры¹": 3, "Hемцы": 2,
                 "Дунгане": 1}


def full_size_structure(n_settlements: int = 7049, seed: int = 1):
    """17 regions and the bundled 2018 districts with ``n_settlements`` settlements spread
    over them (constructed codes below each district)."""
    from kelisim.core.areas import areas

    rng = np.random.default_rng(seed)
    regions = areas("2018", "region")
    districts = areas("2018", "district")
    per_district = rng.multinomial(n_settlements - len(districts),
                                   np.full(len(districts), 1 / len(districts))) + 1
    structure = []
    for region in regions.itertuples():
        mine = districts[districts["parent_code"] == region.area_code]
        entries = []
        for district, count in zip(mine.itertuples(), per_district[mine.index], strict=True):
            stem = district.area_code[:4]
            codes = [f"{stem}{3 + i // 900:01d}{i % 900 + 100:03d}0"[:9] for i in range(count)]
            entries.append((district.area_code, district.name_ru, codes))
        structure.append((region.area_code, region.name_ru, entries))
    return structure


def full_size_headers() -> list[str]:
    """44 groups by their Russian names (one with a Latin look-alike letter) and 'Другие'."""
    from kelisim.core.groups import default_registry

    groups = default_registry().groups
    names = [n.capitalize() for n in groups.loc[groups["kind"] == "group", "name_ru"][:44]]
    return [n.replace("Н", "H", 1) if n == "Немцы" else n for n in names] + ["Другие"]


def _settlement_counts(rng, headers, n):
    weights = np.array([GROUP_WEIGHTS.get(h, 0.5) for h in headers], dtype=float)
    shares = rng.dirichlet(weights * 2, size=n)
    sizes = rng.integers(200, 6000, size=n)
    counts = np.floor(shares * sizes[:, None]).astype(np.int64)
    counts[rng.random(counts.shape) < 0.15] = 0  # some groups absent: written as '-'
    return counts


# Settlements named as published (codes the generated structures never use: fifth digit 5).
NAMED = {"116650100": "с.Косшы"}


def settlement_name(code: str) -> str:
    """A settlement's name in the constructed workbooks (a bench may name them otherwise)."""
    return NAMED.get(code, f"с.{code[-5:]}")


def build_rows(structure, headers, seed=1):
    """Rows (level, code, name, counts) of sheet 3.1, country first, parents before children."""
    rng = np.random.default_rng(seed)
    rows = []

    def add(level, code, name, children):
        index = len(rows)
        rows.append([level, code, name, None])
        if children is None:  # an area without areas below it
            rows[index][3] = _settlement_counts(rng, headers, 1)[0] * 50
            return rows[index][3]
        if isinstance(children, dict):
            parts = [add(level + 1, okrug, f"{okrug} сельский округ", settlements)
                     for okrug, settlements in children.items()]
        elif isinstance(children, list) and children and isinstance(children[0], tuple):
            parts = [add(level + 1, c[0], c[1], c[2]) for c in children]
        else:
            counts = _settlement_counts(rng, headers, len(children))
            parts = []
            for code_, vector in zip(children, counts, strict=True):
                rows.append([level + 1, code_, settlement_name(code_), vector])
                parts.append(vector)
        rows[index][3] = np.sum(parts, axis=0)
        return rows[index][3]

    add(0, "000000000", "Республика Казахстан", list(structure))
    return rows


def match_national(rows, column: int, total: int, seed: int = 1) -> None:
    """Redraw one group's counts over the settlements so the country has ``total`` persons
    of it (a multinomial draw in proportion to the drawn counts), then re-add every level."""
    rng = np.random.default_rng(seed)
    leaves = _leaves(rows)
    weights = np.array([rows[i][3][column] + 1.0 for i in leaves])
    drawn = rng.multinomial(total, weights / weights.sum())
    for i, value in zip(leaves, drawn, strict=True):
        rows[i][3] = rows[i][3].copy()
        rows[i][3][column] = value
    add_up(rows)


def _leaves(rows) -> list[int]:
    return [i for i in range(len(rows)) if i + 1 == len(rows) or rows[i + 1][0] <= rows[i][0]]


def add_up(rows) -> None:
    """Every area above the leaves becomes the sum of the areas one level below it."""
    leaf_set = set(_leaves(rows))
    for i in reversed(range(len(rows))):  # parents from their children, deepest first
        if i not in leaf_set:
            children = []
            for j in range(i + 1, len(rows)):
                if rows[j][0] <= rows[i][0]:
                    break
                if rows[j][0] == rows[i][0] + 1:
                    children.append(rows[j][3])
            rows[i][3] = np.sum(children, axis=0)


def plant(rows, counts: dict[str, dict[int, int]]) -> None:
    """Set some settlements' counts ({KATO: {column: persons}}), then re-add every level."""
    for i, (_, code, _, vector) in enumerate(rows):
        if code in counts:
            rows[i][3] = vector.copy()
            for column, value in counts[code].items():
                rows[i][3][column] = value
    add_up(rows)


def write_workbook(path, structure=SMALL, headers=SMALL_HEADERS, seed=1, break_=None,
                   sheets=("2.1", "3.1"), national: dict[int, int] | None = None,
                   planted: dict[str, dict[int, int]] | None = None):
    """Write a constructed census workbook; ``break_`` spoils it: 'settlement_total',
    'district_sum', 'unknown_header', 'shifted_header' or 'no_numbers_row'; ``national``
    {column: total} sets the country's count of some groups; ``planted`` sets some
    settlements' counts ({KATO: {column: persons}})."""
    import openpyxl

    rows = build_rows(structure, headers, seed)
    for column, total in (national or {}).items():
        match_national(rows, column, total, seed)
    if planted:
        plant(rows, planted)
    book = openpyxl.Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet)
        ws.append(["Численность населения Республики Казахстан по этносам (CONSTRUCTED)"])
        ws.append([])
        ws.append(["человек"])
        shown = list(headers)
        if break_ == "unknown_header" and sheet == sheets[-1]:
            shown[3] = "Марсиане"
        header = ["Уровень", "КАТО", "Наименование", "Всего", *shown]
        pad = [None] if break_ == "shifted_header" and sheet == sheets[-1] else []
        ws.append(pad + header)
        if break_ != "no_numbers_row" or sheet != sheets[-1]:
            ws.append(pad + list(range(1, len(header) + 1)))
        for number, (level, code, name, counts) in enumerate(rows):
            if sheet == "2.1" and level > 1:
                continue
            total = int(counts.sum())
            cells = []
            for j, value in enumerate(counts):
                value = int(value)
                if value == 0:
                    cells.append("-")
                elif (number + j) % 7 == 0:
                    cells.append(f"{value:,}".replace(",", " "))  # a number typed as text
                else:
                    cells.append(value)
            if sheet == sheets[-1] and level >= 3 and break_ == "settlement_total" \
                    and code == _first_settlement(rows):
                total += 5
            if sheet == sheets[-1] and break_ == "district_sum" and \
                    code == _first_settlement(rows):
                cells[0] = int(counts[0]) + 7
                total += 7
            code_cell = code if level == 0 else int(code)
            ws.append(pad + [level, code_cell, name, total, *cells])
        ws.append([])
        ws.append(["Примечание: знак '-' означает отсутствие явления."])
        ws.append(["¹ Constructed fixture, not BNS data."])
    book.save(path)
    return Path(path)


def _first_settlement(rows):
    return next(code for level, code, _, _ in rows if level >= 3)


def expected_totals(structure=SMALL, headers=SMALL_HEADERS, seed=1,
                    planted: dict[str, dict[int, int]] | None = None) -> dict[str, np.ndarray]:
    """KATO -> counts by header, as written (for the tests' own sums)."""
    rows = build_rows(structure, headers, seed)
    if planted:
        plant(rows, planted)
    return {code: counts for _, code, _, counts in rows}
