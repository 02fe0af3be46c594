"""Official wide workbooks read by layout recipes: the BNS 2021 census workbook (sheets 2.1 and
3.1, country down to settlements) and any wide table described by a small TOML recipe.

A recipe (``kelisim/datasets/layouts/*.toml``, or a file of the user's) names the sheets, how
to find the header row, which columns hold the level, the KATO code and the name, which header
is the total, what stands for zero, and the checks to run. Reading is all-or-nothing: the first
cell that does not fit stops it with one sentence naming the sheet, the row and the column.

Public API: :func:`load_recipe`, :func:`detect_recipe`, :func:`read_workbook`,
:class:`Recipe`, :class:`WorkbookTable`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from kelisim.core.areas import (
    COUNTRY,
    areas,
    clean_settlement_name,
    crosswalk,
    region_code,
    resolve_area,
)
from kelisim.core.groups import default_registry, normalise_name, unknown_message
from kelisim.core.keys import check_keys
from kelisim.errors import ArgumentError, InputError

LEVEL_NAMES = {0: "country", 1: "region", 2: "district"}
# Footnote marks after a name: superscript digits, asterisks, '1)' or a digit glued to a word.
FOOTNOTE = re.compile(r"(\s*[\u00b9\u00b2\u00b3\u2070-\u2079*]+|\s*\d+\)|(?<=[^\W\d])\d+)$")
SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
HEADER_SEARCH_ROWS = 40


@dataclass(frozen=True)
class Recipe:
    """How one official layout is read (see ``kelisim/datasets/layouts/*.toml``)."""

    name: str
    title: str
    source: str
    sheets: tuple[str, ...]
    period: int
    boundaries: str
    header_first_cell: str
    header_rows: int = 1
    numbers_row: bool = False
    areas_on: str = "rows"
    zero: tuple[str, ...] = ("-",)
    keep_subheader: tuple[str, ...] = ()
    total_rows: tuple[str, ...] = ()
    level_column: int | None = None
    code_column: int | None = None
    name_column: int = 1
    total_headers: tuple[str, ...] = ()
    group_names: dict[str, str] = field(default_factory=dict)
    area_names: dict[str, str] = field(default_factory=dict)
    check_sums: bool = True
    national: dict[str, int] = field(default_factory=dict)
    reference_date: str | None = None
    recognise: bool = True

    @property
    def first_value_column(self) -> int:
        """1-based index of the first column after the level, code and name columns."""
        return max(c for c in (self.level_column, self.code_column, self.name_column) if c) + 1


def _choice(value: str, allowed: tuple[str, ...], key: str) -> str:
    if value not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(allowed)}, not '{value}'")
    return value


def recipe_names() -> list[str]:
    """Names of the shipped recipes."""
    folder = resources.files("kelisim.datasets") / "layouts"
    return sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".toml"))


RECIPE_KEYS = {
    "": ("name", "title", "source", "sheets", "period", "boundaries", "header_first_cell",
         "header_rows", "numbers_row", "areas_on", "zero", "keep_subheader", "total_rows",
         "columns", "group_names", "area_names", "checks", "reference_date", "recognise"),
    "columns": ("level", "code", "name", "total"),
    "checks": ("sums", "national"),
}
"""The keys a layout recipe may have, at the top and in its [columns] and [checks] tables."""


def load_recipe(name_or_path: str | Path) -> Recipe:
    """A shipped recipe by name (``bns-census-2021``) or a TOML file of the user's."""
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if not path.is_file():
            raise ArgumentError("layout", f"no such recipe file '{path}'")
        text, shown = path.read_text(encoding="utf-8"), str(path)
    elif str(name_or_path) in recipe_names():
        source = resources.files("kelisim.datasets") / "layouts" / f"{name_or_path}.toml"
        text, shown = source.read_text(encoding="utf-8"), str(name_or_path)
    else:
        raise ArgumentError("layout", f"unknown layout '{name_or_path}'; use one of "
                            f"{', '.join(recipe_names())}, long, wide or a recipe .toml file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ArgumentError("layout", f"recipe {shown} is not valid ({error!r})") from None
    check_keys(shown, data, RECIPE_KEYS[""], "")
    for section in ("columns", "checks"):
        check_keys(shown, data.get(section, {}), RECIPE_KEYS[section], section)
    try:
        columns, checks = data.get("columns", {}), data.get("checks", {})
        return Recipe(
            name=data["name"], title=data.get("title", data["name"]),
            source=data.get("source", shown), sheets=tuple(str(s) for s in data["sheets"]),
            period=int(data["period"]), boundaries=str(data["boundaries"]),
            header_first_cell=data["header_first_cell"],
            header_rows=int(data.get("header_rows", 1)),
            numbers_row=bool(data.get("numbers_row", False)),
            areas_on=_choice(data.get("areas_on", "rows"), ("rows", "columns"), "areas_on"),
            zero=tuple(data.get("zero", ["-"])),
            keep_subheader=tuple(normalise_name(s) for s in data.get("keep_subheader", [])),
            total_rows=tuple(normalise_name(s) for s in data.get("total_rows", [])),
            level_column=columns.get("level"), code_column=columns.get("code"),
            name_column=int(columns.get("name", 1)),
            total_headers=tuple(normalise_name(s) for s in columns.get("total", [])),
            group_names={normalise_name(k): v for k, v in data.get("group_names", {}).items()},
            area_names={normalise_name(k): str(v) for k, v in data.get("area_names", {}).items()},
            check_sums=bool(checks.get("sums", True)),
            national={k: int(v) for k, v in checks.get("national", {}).items()},
            reference_date=data.get("reference_date"),
            recognise=bool(data.get("recognise", True)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ArgumentError("layout", f"recipe {shown} is not valid ({error!r})") from None


def sheet_names(path: str | Path) -> list[str]:
    """The sheet names of an .xlsx workbook."""
    return list(_open(path).sheet_names)


def detect_recipe(path: str | Path) -> Recipe | None:
    """The shipped recipe (with ``recognise = true``) whose sheets are all in the workbook
    (None: a tidy table)."""
    names = set(sheet_names(path))
    for name in recipe_names():
        recipe = load_recipe(name)
        if recipe.recognise and set(recipe.sheets) <= names:
            return recipe
    return None


def _open(path: str | Path):
    """The workbook through python-calamine (Rust calamine: ~40x faster than openpyxl)."""
    from python_calamine import CalamineWorkbook

    from kelisim.datasets.io import check_workbook

    path = Path(path)
    if not path.is_file():
        raise ArgumentError("file", f"no such file '{path}'")
    check_workbook(path)  # the input limits, before anything is inflated
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises several types for a bad workbook
        raise InputError(path, None, None, f"not a readable Excel workbook ({error})") from None


def _sheet_rows(book, name: str) -> list[list]:
    """A sheet's cells from A1, row by row (empty cells as None; merged cells hold their
    value in the first cell only)."""
    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [[None if cell == "" else cell for cell in row] for row in rows]


def column_letter(index: int) -> str:
    """Excel's letter for a 1-based column index (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def clean_label(value) -> str:
    """A header or name without footnote marks, line breaks and repeated spaces."""
    text = " ".join(str(value if value is not None else "").split())
    previous = None
    while previous != text:
        previous, text = text, FOOTNOTE.sub("", text).strip()
    return text


@dataclass
class WorkbookTable:
    """What a workbook holds: one row per area (all levels) and one column per group.

    ``areas``: row (sheet row), sheet, level (0 country, 1 region, ...), area_code, name,
    parent_code, kind (country | region | district | rural_district | settlement),
    leaf; ``counts``: persons [area, group] (int64) in the order of ``groups``; ``totals``
    the area totals (the total column, or the sum of groups without one).
    """

    recipe: Recipe
    path: str
    areas: pd.DataFrame
    groups: list[str]
    counts: np.ndarray
    totals: np.ndarray
    placement: pd.DataFrame = field(default_factory=pd.DataFrame)

    def long_rows(self) -> pd.DataFrame:
        """Tidy rows area_code, group_code, period, count (group 'total' included)."""
        n, k = self.counts.shape
        frame = pd.DataFrame({
            "area_code": np.repeat(self.areas["area_code"].to_numpy(), k + 1),
            "group_code": np.tile(np.array([*self.groups, "total"], dtype=object), n),
            "count": np.column_stack([self.counts, self.totals]).ravel().astype(float),
        })
        frame["period"] = self.recipe.period
        return frame

    def summary(self) -> dict:
        """Levels with their number of areas, groups, persons, sheets."""
        kinds = self.areas["kind"].value_counts()
        order = ["country", "region", "district", "rural_district", "settlement"]
        persons = int(self.totals[self.areas["level"].to_numpy() ==
                                  self.areas["level"].min()].sum())
        return {"levels": {k: int(kinds[k]) for k in order if k in kinds},
                "groups": len(self.groups), "persons": persons, "sheets": self.recipe.sheets}


class _Sheet:
    """One sheet's cells and how errors name places in it. A sheet with areas in columns
    (``areas_on = "columns"``) is read transposed; errors still name the cell as in the file."""

    def __init__(self, path: Path, name: str, rows: list[list], transposed: bool = False):
        if transposed:
            width = max((len(r) for r in rows), default=0)
            rows = [list(c) for c in zip(*[r + [None] * (width - len(r)) for r in rows],
                                         strict=True)]
        self.path, self.name, self.rows, self.transposed = path, name, rows, transposed

    def error(self, row: int | None, column: int | None, message: str,
              header: str | None = None) -> InputError:
        where = f"{self.path}, sheet {self.name}"
        if self.transposed:
            row, column = column, row
        shown = None
        if column is not None:
            shown = column_letter(column) + (f" ({header})" if header else "")
        return InputError(where, row, shown, message)


def read_workbook(path: str | Path, recipe: Recipe) -> WorkbookTable:
    """Read and check a workbook laid out as ``recipe`` describes; nothing is written.

    Checks: the header row and the column numbers below it, every header mapped to a group
    (Latin look-alike letters folded; unknown headers named), counts whole and not negative
    ('-' = 0), the total column equal to the sum of the groups, every area equal to the sum
    of the areas one level below it, the same area equal on every sheet, and the country's
    published figures (``[checks] national``) when the workbook covers every region.
    """
    path = Path(path)
    book = _open(path)
    missing = [s for s in recipe.sheets if s not in book.sheet_names]
    if missing:
        raise InputError(path, None, None, f"no sheet '{missing[0]}' (the workbook has "
                         f"{', '.join(book.sheet_names)}); the layout {recipe.name} has changed")
    parts = [_read_sheet(_Sheet(path, name, _sheet_rows(book, name),
                                transposed=recipe.areas_on == "columns"), recipe)
             for name in recipe.sheets]
    table = _merge_sheets(parts, recipe, str(path))
    if recipe.check_sums:
        _check_levels(table, parts)
    _check_national(table, parts, recipe)
    return table


def _find_header(sheet: _Sheet, recipe: Recipe) -> int:
    """0-based index of the header row (the first whose first cell is the marker)."""
    marker = normalise_name(recipe.header_first_cell)
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        cells = [normalise_name(clean_label(c)) for c in row]
        if cells and cells[0] == marker:
            return index
        if marker in cells:
            column = cells.index(marker) + 1
            raise sheet.error(index + 1, column, f"the header row starts in column "
                              f"{column_letter(column)}, not A; the layout {recipe.name} "
                              "has changed")
    raise sheet.error(None, 1, f"no header row whose first cell is '{recipe.header_first_cell}' "
                      f"in the first {HEADER_SEARCH_ROWS} rows; the layout {recipe.name} "
                      "has changed")


def _header_labels(sheet: _Sheet, recipe: Recipe, start: int) -> list[tuple[int, str]]:
    """(1-based column, label) of the value columns; two-row headers keep one sub-column."""
    width = max(len(r) for r in sheet.rows[start:start + recipe.header_rows])
    grid = [list(r) + [None] * (width - len(r)) for r in
            sheet.rows[start:start + recipe.header_rows]]
    top = []
    current = None
    for value in grid[0]:  # a merged cell holds its value in its first column only
        current = clean_label(value) if value not in (None, "") else current
        top.append(current)
    labels = []
    for column in range(recipe.first_value_column, width + 1):
        label = top[column - 1]
        if recipe.header_rows > 1:
            sub = normalise_name(clean_label(grid[-1][column - 1]))
            if sub and sub not in recipe.keep_subheader:
                continue
            if not sub and grid[0][column - 1] in (None, ""):
                continue
        if label:
            labels.append((column, label))
    return labels


def _count(sheet: _Sheet, recipe: Recipe, value, row: int, column: int, header: str) -> int:
    if value is None:
        raise sheet.error(row, column, "missing count (use '-' for zero)", header)
    if isinstance(value, bool):
        raise sheet.error(row, column, f"count '{value}' is not a number", header)
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = SPACES.sub("", str(value))
        if text in recipe.zero or str(value).strip() in recipe.zero:
            return 0
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise sheet.error(row, column, f"count '{value}' is not a number", header) from None
    if not np.isfinite(number) or number != int(number):
        raise sheet.error(row, column, f"count '{value}' is not a whole number", header)
    if number < 0:
        raise sheet.error(row, column, f"negative count {value}", header)
    return int(number)


@dataclass
class _SheetPart:
    sheet: _Sheet
    rows: list[int]
    levels: list[int]
    codes: list[str]
    names: list[str]
    parents: list[int | None]  # index into this sheet's rows
    groups: list[str]
    group_columns: list[tuple[int, str]]
    counts: np.ndarray
    totals: np.ndarray
    total_column: tuple[int, str] | None


def _read_sheet(sheet: _Sheet, recipe: Recipe) -> _SheetPart:
    header = _find_header(sheet, recipe)
    labels = _header_labels(sheet, recipe, header)
    first_data = header + recipe.header_rows
    if recipe.numbers_row:
        _check_numbers_row(sheet, recipe, first_data)
        first_data += 1
    total_column = None
    group_columns: list[tuple[int, str]] = []
    codes_seen: dict[str, int] = {}
    registry = default_registry()
    for column, label in labels:
        key = normalise_name(label)
        if key in recipe.total_headers:
            total_column = (column, label)
            continue
        code = recipe.group_names.get(key) or registry.resolve(label)
        if code is None:
            raise sheet.error(header + 1, column, unknown_message("group header", label,
                                                                  registry.suggest(label)),
                              None)
        if code in codes_seen:
            raise sheet.error(header + 1, column, f"header '{label}' is the group {code} "
                              f"again (already column {column_letter(codes_seen[code])})")
        codes_seen[code] = column
        group_columns.append((column, label))
    if not group_columns:
        raise sheet.error(header + 1, recipe.first_value_column,
                          "no group columns after the name column")
    groups = [registry.resolve(label) or recipe.group_names[normalise_name(label)]
              for _, label in group_columns]
    rows, levels, codes, names, values, totals = [], [], [], [], [], []
    for index in range(first_data, len(sheet.rows)):
        cells = sheet.rows[index]
        number = index + 1
        area = _area_of_row(sheet, recipe, cells, number)
        if area is None:
            break  # notes follow the data
        level, code, name = area
        row_values = [_count(sheet, recipe, cells[c - 1] if c - 1 < len(cells) else None,
                             number, c, label) for c, label in group_columns]
        if total_column is not None:
            c, label = total_column
            total = _count(sheet, recipe, cells[c - 1] if c - 1 < len(cells) else None, number,
                           c, label)
            if total != sum(row_values):
                raise sheet.error(number, c, f"the groups of {name} sum to "
                                  f"{_number(sum(row_values))} but the total is "
                                  f"{_number(total)}", label)
        else:
            total = sum(row_values)
        rows.append(number)
        levels.append(level)
        codes.append(code)
        names.append(name)
        values.append(row_values)
        totals.append(total)
    if not rows:
        raise sheet.error(first_data + 1, 1, "no data rows below the header")
    parents = _parents(sheet, recipe, rows, levels, codes)
    return _SheetPart(sheet, rows, levels, codes, names, parents, groups, group_columns,
                      np.array(values, dtype=np.int64), np.array(totals, dtype=np.int64),
                      total_column)


def _check_numbers_row(sheet: _Sheet, recipe: Recipe, index: int) -> None:
    """The row below the header holds the column numbers 1, 2, 3, ..."""
    cells = sheet.rows[index] if index < len(sheet.rows) else ()
    for column, value in enumerate(cells[:3], start=1):
        try:
            ok = float(str(value).strip()) == column
        except ValueError:
            ok = False
        if not ok:
            raise sheet.error(index + 1, column, f"expected the column number {column} in the "
                              f"row below the header, found '{value}'; the layout "
                              f"{recipe.name} has changed")


def _area_of_row(sheet, recipe, cells, number) -> tuple[int, str, str] | None:
    """(level, KATO code, name) of a data row; None where the data end (notes, blank)."""
    def cell(column):
        return cells[column - 1] if column and column - 1 < len(cells) else None

    name = clean_label(cell(recipe.name_column))
    if recipe.level_column:
        raw = cell(recipe.level_column)
        text = str(raw).strip() if raw is not None else ""
        if not re.fullmatch(r"\d(\.0)?", text):
            return None
        level = int(float(text))
        raw_code = cell(recipe.code_column)
        if isinstance(raw_code, float) and raw_code.is_integer():
            raw_code = int(raw_code)  # a code stored as a number
        code = re.sub(r"\D", "", str(raw_code if raw_code is not None else ""))
        if level == 0 and not code.strip("0"):
            return 0, COUNTRY, name
        if not code or len(code) > 9:
            raise sheet.error(number, recipe.code_column, f"'{raw_code}' is not a KATO code")
        return level, code.zfill(9), name
    if not name:
        return None
    key = normalise_name(name)
    if key in recipe.total_rows:
        return 0, COUNTRY, name
    code = recipe.area_names.get(key) or resolve_area(name, recipe.boundaries)
    if code is None:
        values = cells[recipe.first_value_column - 1:]
        if not any(_looks_like_count(c, recipe) for c in values):
            return None  # a note below the data
        raise sheet.error(number, recipe.name_column, f"unknown area '{name}' (boundaries "
                          f"{recipe.boundaries}); add it to [area_names] of the recipe")
    level = {"country": 0, "region": 1, "district": 2}[
        areas(recipe.boundaries).set_index("area_code").loc[code, "level"]]
    return level, code, name


def _looks_like_count(value, recipe: Recipe) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    text = SPACES.sub("", str(value if value is not None else ""))
    return text in recipe.zero or text.isdigit()


def _parents(sheet, recipe, rows, levels, codes) -> list[int | None]:
    """Each row's parent row: the last row one level up (hierarchical sheets) or the bundled
    parent area (named areas)."""
    parents: list[int | None] = []
    if recipe.level_column:
        last: dict[int, int] = {}
        for index, level in enumerate(levels):
            if level > 0 and level - 1 not in last:
                raise sheet.error(rows[index], recipe.level_column, f"level {level} row "
                                  f"without a level {level - 1} row above it")
            parents.append(last.get(level - 1) if level > 0 else None)
            last[level] = index
            for deeper in [k for k in last if k > level]:
                del last[deeper]
        return parents
    table = areas(recipe.boundaries).set_index("area_code")["parent_code"]
    position = {code: i for i, code in enumerate(codes)}
    return [position.get(table.get(code)) if code != COUNTRY else None for code in codes]


def _merge_sheets(parts: list[_SheetPart], recipe: Recipe, path: str) -> WorkbookTable:
    """One table from all sheets; an area on two sheets must have the same counts."""
    groups = list(dict.fromkeys(g for p in parts for g in p.groups))
    seen: dict[str, tuple[_SheetPart, int]] = {}
    records, counts, totals = [], [], []
    index_of: dict[str, int] = {}
    for part in parts:
        position = [groups.index(g) for g in part.groups]
        for i, code in enumerate(part.codes):
            vector = np.zeros(len(groups), dtype=np.int64)
            vector[position] = part.counts[i]
            if code in seen:
                other, j = seen[code]
                first = index_of[code]
                if not np.array_equal(counts[first], vector) or totals[first] != part.totals[i]:
                    diff = int(np.flatnonzero(counts[first] != vector)[0]) \
                        if not np.array_equal(counts[first], vector) else None
                    column = part.group_columns[part.groups.index(groups[diff])] if diff is not \
                        None and groups[diff] in part.groups else part.total_column or (None, None)
                    raise part.sheet.error(part.rows[i], column[0], f"{part.names[i]} differs "
                                           f"from row {other.rows[j]} of sheet {other.sheet.name}",
                                           column[1])
                continue
            seen[code] = (part, i)
            index_of[code] = len(records)
            parent = part.parents[i]
            records.append((part.rows[i], part.sheet.name, part.levels[i], code, part.names[i],
                            part.codes[parent] if parent is not None else None))
            counts.append(vector)
            totals.append(int(part.totals[i]))
    frame = pd.DataFrame(records, columns=["row", "sheet", "level", "area_code", "name",
                                           "parent_code"])
    has_children = frame["area_code"].isin(set(frame["parent_code"].dropna()))
    frame["leaf"] = ~has_children
    frame["kind"] = [LEVEL_NAMES.get(level) or ("settlement" if leaf else "rural_district")
                     for level, leaf in zip(frame["level"], frame["leaf"], strict=True)]
    return WorkbookTable(recipe, path, frame, groups, np.array(counts, dtype=np.int64),
                         np.array(totals, dtype=np.int64))


def _check_levels(table: WorkbookTable, parts: list[_SheetPart]) -> None:
    """Every area with areas below it equals their sum, column by column."""
    for part in parts:
        n = len(part.rows)
        parent = np.array([p if p is not None else -1 for p in part.parents])
        has_parent = parent >= 0
        if not has_parent.any():
            continue
        values = np.column_stack([part.counts, part.totals])  # groups first, then the total
        sums = np.zeros_like(values)
        np.add.at(sums, parent[has_parent], values[has_parent])
        children = np.bincount(parent[has_parent], minlength=n)
        wrong = (children > 0)[:, None] & (sums != values)
        if not wrong.any():
            continue
        i, j = (int(x) for x in np.argwhere(wrong)[0])
        column, label = (part.group_columns[j] if j < len(part.group_columns) else
                         part.total_column)
        below = np.flatnonzero(parent == i)
        rows = [part.rows[k] for k in below]
        shown = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]}-{rows[-1]}"
        level = part.levels[below[0]]
        raise part.sheet.error(
            part.rows[i], column,
            (f"the {len(rows)} level-{level} areas below {part.names[i]} ({shown}) sum to "
             if len(rows) > 1 else f"the level-{level} area below {part.names[i]} ({shown}) "
             "is ") +
            f"{_number(int(sums[i, j]))}, not {_number(int(values[i, j]))} as this row says",
            label)


def _check_national(table: WorkbookTable, parts: list[_SheetPart], recipe: Recipe) -> None:
    """The country's published figures, when the workbook covers every region."""
    if not recipe.national:
        return
    regions = set(areas(recipe.boundaries, "region")["area_code"])
    present = set(table.areas.loc[table.areas["level"] == 1, "area_code"])
    country = table.areas.index[table.areas["area_code"] == COUNTRY]
    if not regions <= present or country.empty:
        return
    row = table.areas.loc[country[0]]
    part = next(p for p in parts if p.sheet.name == row["sheet"])
    for group, expected in recipe.national.items():
        value = int(table.counts[country[0], table.groups.index(group)]) \
            if group in table.groups else 0
        if value != expected:
            column, label = part.group_columns[part.groups.index(group)] \
                if group in part.groups else (None, None)
            raise part.sheet.error(int(row["row"]), column, f"the country's {group} count is "
                                   f"{_number(value)}, not the published {_number(expected)}; "
                                   f"this is not the {recipe.period} workbook", label)


def place(table: WorkbookTable, to_version: str = "2024") -> pd.DataFrame:
    """Where each area of the workbook lies in ``to_version``: one row per workbook area with
    area_code, district_code (the bundled district or region of the recipe's boundaries that
    holds it), target_code (that area in ``to_version``), weight and exact.

    A settlement inherits the 2024 district of its district; a district crosswalked whole is
    placed exactly (weight 1); so is a district split after 2021 whose parts the curated
    table ``district_parts.csv`` names (:func:`named_parts`); any other split district (e.g.
    Kokpekty between Abai and East Kazakhstan) spreads its settlements by the bundled
    crosswalk's population weights, reported as not exact.
    """
    version = table.recipe.boundaries
    frame = table.areas[["area_code", "level", "parent_code", "kind", "row", "sheet",
                         "name"]].copy()
    bundled = areas(version)
    district_codes = set(bundled.loc[bundled["level"] == "district", "area_code"])
    parent_of = dict(zip(frame["area_code"], frame["parent_code"], strict=True))
    level_of = dict(zip(frame["area_code"], frame["level"], strict=True))
    anchors = []
    for code in frame["area_code"]:
        anchor = code
        while level_of.get(anchor, 0) >= 2 and anchor not in district_codes:
            anchor = parent_of.get(anchor)
        if anchor is None or (level_of[code] >= 2 and anchor not in district_codes):
            anchor = region_code(code)  # no bundled district above it: its region
        anchors.append(anchor)
    frame["district_code"] = anchors
    if to_version == version:
        frame["target_code"], frame["weight"], frame["exact"] = frame["district_code"], 1.0, True
        return frame
    links = crosswalk()
    links = links[(links["from_version"] == version) & (links["to_version"] == to_version)]
    links = links[["from_code", "to_code", "weight"]]
    merged = frame.merge(links, left_on="district_code", right_on="from_code", how="left")
    missing = merged[merged["to_code"].isna()]
    if not missing.empty:
        first = missing.iloc[0]
        raise InputError(f"{table.path}, sheet {first['sheet']}", int(first["row"]), "B",
                         f"area {first['area_code']} cannot be placed on the {to_version} "
                         f"boundaries (no crosswalk for {first['district_code']})")
    parts = named_parts(frame, version, to_version)
    if parts:  # one row each, to the part named, instead of the population weights
        resolved = merged["area_code"].isin(parts)
        named = merged[resolved].drop_duplicates("area_code").assign(weight=1.0)
        named["to_code"] = named["area_code"].map(parts)
        merged = pd.concat([merged[~resolved], named]).sort_index().reset_index(drop=True)
    counts = merged.groupby("area_code")["to_code"].transform("size")
    merged["exact"] = (counts == 1) & np.isclose(merged["weight"], 1.0)
    merged = merged.rename(columns={"to_code": "target_code"}).drop(columns=["from_code"])
    return merged


def named_parts(frame: pd.DataFrame, version: str, to_version: str) -> dict[str, str]:
    """Areas below a split district placed by name: area code -> its ``to_version`` district.

    The curated ``district_parts.csv`` (every row citing its source) names, for a district
    split after the census, the settlements or rural districts that went to each part, and
    with ``*`` the part that kept the rest. An area goes to the part that its own name, or a
    name above it up to the district, is listed under (type words such as "с." dropped,
    letter case ignored), else to the ``*`` part. A district with an area left unresolved
    keeps the crosswalk's population weights for all its areas (mixing exact and weighted
    parts would count the named ones twice).
    """
    from kelisim.core.curated import read_curated

    table = read_curated("district_parts")
    table = table[table["from_version"] == version]
    table = table[table["to_code"].isin(set(areas(to_version)["area_code"]))]
    if to_version == version or table.empty:
        return {}
    listed = {(r.from_code, r.part.lower()): r.to_code for r in table.itertuples()}
    split = set(table["from_code"])
    parent_of = dict(zip(frame["area_code"], frame["parent_code"], strict=True))
    name_of = {code: clean_settlement_name(str(name)).lower()
               for code, name in zip(frame["area_code"], frame["name"], strict=True)}
    found: dict[str, tuple[str, str | None]] = {}
    for code, district in zip(frame["area_code"], frame["district_code"], strict=True):
        if code == district or district not in split:
            continue
        step, target = code, None
        while step is not None and step != district and target is None:
            target = listed.get((district, name_of.get(step, "")))
            step = parent_of.get(step)
        found[code] = (district, target or listed.get((district, "*")))
    unresolved = {district for district, target in found.values() if target is None}
    return {code: target for code, (district, target) in found.items()
            if district not in unresolved}


def placed_rows(table: WorkbookTable, placement: pd.DataFrame, to_version: str) -> pd.DataFrame:
    """The workbook's counts summed from its smallest areas (the leaves) up the ``to_version``
    hierarchy (district, region, country): rows area_code, group_code, period, count, exact
    (False where a split district's population weights were used)."""
    leaf_codes = set(table.areas.loc[table.areas["leaf"], "area_code"])
    links = placement[placement["area_code"].isin(leaf_codes)]
    position = pd.Series(np.arange(len(table.areas)), index=table.areas["area_code"])
    values = np.column_stack([table.counts, table.totals]).astype(float)
    weighted = values[position[links["area_code"]].to_numpy()] * \
        links["weight"].to_numpy()[:, None]
    parent_of = dict(areas(to_version)[["area_code", "parent_code"]].dropna().to_numpy())
    sums: dict[str, np.ndarray] = {}
    exact: dict[str, bool] = {}
    for target, vector, is_exact in zip(links["target_code"], weighted, links["exact"],
                                        strict=True):
        code = target
        while isinstance(code, str) and code:
            sums[code] = sums.get(code, 0) + vector
            exact[code] = exact.get(code, True) and bool(is_exact)
            code = parent_of.get(code)
    codes = list(sums)
    k = len(table.groups) + 1
    rows = pd.DataFrame({
        "area_code": np.repeat(np.array(codes, dtype=object), k),
        "group_code": np.tile(np.array([*table.groups, "total"], dtype=object), len(codes)),
        "count": np.array([sums[c] for c in codes]).ravel(),
        "exact": np.repeat(np.array([exact[c] for c in codes]), k),
    })
    rows["period"] = table.recipe.period
    rows["boundary_version"] = to_version
    return rows


def settlement_units(table: WorkbookTable, placement: pd.DataFrame, version: str
                     ) -> pd.DataFrame:
    """Each settlement's district, region and country in ``version`` (a settlement of a split
    district goes to the part with the larger population weight)."""
    links = placement[placement["kind"] == "settlement"].sort_values("weight", ascending=False)
    links = links.drop_duplicates("area_code").set_index("area_code")
    settlements = table.areas.loc[table.areas["kind"] == "settlement", "area_code"]
    district = links.loc[settlements, "target_code"].to_numpy()
    parent_of = dict(areas(version)[["area_code", "parent_code"]].dropna().to_numpy())
    region = [c if region_code(c) == c else parent_of.get(c, region_code(c))
              for c in district]
    return pd.DataFrame({"district": district, "region": region, "country": COUNTRY},
                        index=settlements.index)


def settlement_indices(table: WorkbookTable, placements: dict[str, pd.DataFrame]
                       ) -> pd.DataFrame:
    """M and H among settlements for every district, region and the country of each
    boundary version in ``placements`` (rows of the ``settlement_indices`` table)."""
    from kelisim.measure.settlements import nested_segregation

    keep = [i for i, g in enumerate(table.groups) if g != "not_stated"]
    parts = []
    for version, placement in placements.items():
        units = settlement_units(table, placement, version)
        if units.empty:
            continue
        counts = table.counts[units.index.to_numpy()][:, keep]
        frame = nested_segregation(counts, units.reset_index(drop=True))
        parts.append(frame.rename(columns={"area": "area_code"}).assign(
            boundary_version=version, period=table.recipe.period))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


POINT_COLUMNS = {"area_code": ("kato", "като", "code", "area_code", "area"),
                 "lat": ("lat", "latitude", "широта", "ендік"),
                 "lon": ("lon", "lng", "longitude", "долгота", "бойлық")}


def read_points(path: str | Path) -> pd.DataFrame:
    """A user's settlement points: a table with a KATO code, a latitude and a longitude (in
    degrees, WGS 84) per row; columns area_code, lat, lon. A bad cell is one sentence naming
    its row and column."""
    from kelisim.datasets.io import read_table

    frame = read_table(path)
    named = {c.strip().lower(): c for c in frame.columns}
    chosen = {}
    for role, options in POINT_COLUMNS.items():
        column = next((named[o] for o in options if o in named), None)
        if column is None:
            raise InputError(path, 1, None, f"no {role.replace('area_code', 'KATO code')} "
                             f"column; name one {', '.join(options[:3])}")
        chosen[role] = column
    codes = frame[chosen["area_code"]].str.strip()
    bad = ~codes.str.fullmatch(r"\d{9}")
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(path, row + 2, chosen["area_code"],
                         f"'{codes.iloc[row]}' is not a 9-digit KATO code")
    points = pd.DataFrame({"area_code": codes})
    for role, limit in (("lat", 90), ("lon", 180)):
        text = frame[chosen[role]].str.strip().str.replace(",", ".", regex=False)
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() | (values.abs() > limit)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(path, row + 2, chosen[role], f"'{frame[chosen[role]].iloc[row]}' "
                             f"is not a {'latitude' if role == 'lat' else 'longitude'} in "
                             f"degrees (-{limit} to {limit})")
        points[role] = values.to_numpy()
    twice = points.duplicated("area_code", keep=False) & ~points.duplicated(keep=False)
    if twice.any():
        row = int(np.flatnonzero(twice)[-1])
        raise InputError(path, row + 2, chosen["area_code"], f"settlement "
                         f"{points['area_code'].iloc[row]} has two different points")
    return points.drop_duplicates("area_code").reset_index(drop=True)


def settlement_points(table: WorkbookTable, district_codes: pd.Series,
                      points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Where each settlement of the workbook lies, as far as known: lat, lon and source, one
    row per settlement (index of ``table.areas``); NaN where no point is known, never a
    guessed one. Points come from the user's ``points`` (by KATO code) first, then the bundled
    gazetteer (``datasets/data/settlements.csv``) by KATO code or by name within the same
    district (``district_codes``: each area's bundled district, as :func:`place` gives). The
    gazetteer's points are its villages' (``settlements.csv``) and the towns and regional
    centres of ``settlement_points.csv`` (GeoNames cities500, geokz centres); a name that two
    points of one district share gives no point."""
    from kelisim.core.curated import read_curated

    settlements = table.areas[table.areas["kind"] == "settlement"]
    result = pd.DataFrame({"area_code": settlements["area_code"], "lat": np.nan,
                           "lon": np.nan, "source": None}, index=settlements.index)
    with (resources.files("kelisim.datasets") / "data" / "settlements.csv").open(
            encoding="utf-8") as handle:
        villages = pd.read_csv(handle, dtype=str, keep_default_na=False)
    towns = read_curated("settlement_points").fillna("").astype(str)
    by_code, by_name = {}, {}
    for rows in (towns, villages):  # a village's own row wins over a GeoNames town's
        located = rows[rows["lat"].str.strip() != ""]
        by_code |= {r.kato: (float(r.lat), float(r.lon)) for r in located.itertuples() if r.kato}
        named: dict[tuple[str, str], set[tuple[float, float]]] = {}
        for r in located.itertuples():
            for name in (r.name_ru, r.name_kk, *r.variants.split("|")):
                if name and not name.isascii():
                    key = (r.district_kato, clean_settlement_name(name).lower())
                    named.setdefault(key, set()).add((float(r.lat), float(r.lon)))
        by_name |= {key: next(iter(points)) for key, points in named.items() if len(points) == 1}
    given = {} if points is None else dict(zip(
        points["area_code"], zip(points["lat"], points["lon"], strict=True), strict=True))
    found = []
    for district, code, name in zip(district_codes.loc[settlements.index],
                                    settlements["area_code"], settlements["name"], strict=True):
        key = (district, clean_settlement_name(str(name)).lower())
        found.append(next(((*point, source) for source, point in (
            ("points file", given.get(code)), ("gazetteer", by_code.get(code)),
            ("gazetteer", by_name.get(key))) if point is not None), (np.nan, np.nan, None)))
    if found:
        result[["lat", "lon", "source"]] = pd.DataFrame(found, index=settlements.index)
    return result


def enclave_rows(table: WorkbookTable, units: pd.DataFrame, located: pd.DataFrame,
                 neighbours: int = 6, permutations: int = 999, seed: int = 0) -> pd.DataFrame:
    """Enclaves among the settlements that have a point (rows of ``settlement_enclaves``),
    by :func:`kelisim.measure.settlements.settlement_enclaves`; ``units`` gives each
    settlement's 2024 district and region (:func:`settlement_units`). Empty with fewer
    located settlements than ``neighbours`` + 1."""
    from kelisim.measure.settlements import settlement_enclaves

    located = located.dropna(subset=["lat", "lon"])
    if len(located) <= neighbours:
        return pd.DataFrame()
    keep = [i for i, g in enumerate(table.groups) if g != "not_stated"]
    counts = table.counts[located.index.to_numpy()][:, keep]
    found = settlement_enclaves(counts, [table.groups[i] for i in keep],
                                located["area_code"].to_numpy(), located["lat"].to_numpy(),
                                located["lon"].to_numpy(), neighbours, permutations, seed)
    local = found.local[["area", "group", "count", "total", "gi_star_z", "p_adjusted"]]
    rows = found.members.merge(local, on=["area", "group"])
    where = units.set_index(table.areas.loc[units.index, "area_code"])
    rows["district_code"] = rows["area"].map(where["district"])
    rows["region_code"] = rows["area"].map(where["region"])
    return rows.rename(columns={"area": "area_code", "group": "group_code"}).assign(
        period=table.recipe.period, weights=f"knn:{neighbours}")


def point_coverage(table: WorkbookTable, placements: dict[str, pd.DataFrame],
                   located: pd.Series) -> pd.DataFrame:
    """Per district, region and the country of each boundary version: its settlements and how
    many have a point (rows of ``settlement_coverage``)."""
    parts = []
    for version, placement in placements.items():
        units = settlement_units(table, placement, version)
        has_point = located.loc[units.index].to_numpy()
        for level in units.columns:
            counted = pd.DataFrame({"area_code": units[level].to_numpy(), "located": has_point})
            counted = counted.groupby("area_code")["located"].agg(["size", "sum"])
            parts.append(pd.DataFrame({
                "area_code": counted.index, "settlements": counted["size"].to_numpy(),
                "located": counted["sum"].to_numpy().astype(int), "boundary_version": version,
                "period": table.recipe.period}))
    return (pd.concat(parts, ignore_index=True).drop_duplicates(["boundary_version",
                                                                 "area_code"])
            if parts else pd.DataFrame())


def import_workbook(con, path: str | Path, recipe: Recipe, name: str | None = None,
                    replace: bool = False, table: WorkbookTable | None = None,
                    points: str | Path | None = None, neighbours: int = 6) -> dict:
    """Read and check ``path`` (unless ``table`` is given) and the settlement ``points`` file
    (see :func:`read_points`), then write every level as one dataset, its placement on the
    2024 boundaries, its settlement-level indices and the enclaves among the settlements with
    a point (``neighbours`` nearest), in one transaction. Returns what was read: levels,
    groups, persons, rows, placement, located settlements, enclaves."""
    from kelisim.datasets.io import dataset_name, import_population
    from kelisim.store import workbooks

    table = table or read_workbook(path, recipe)
    given = read_points(points) if points is not None else None
    name = name or dataset_name(path)
    rows = table.long_rows()
    rows["boundary_version"] = recipe.boundaries
    rows["share"] = None
    rows["row"] = np.repeat(table.areas["row"].to_numpy(), len(table.groups) + 1)
    for column in ("basis", "source_id", "note"):
        rows[column] = None
    rows["reference_date"] = recipe.reference_date
    placements = {recipe.boundaries: place(table, recipe.boundaries)}
    placed = pd.DataFrame()
    if recipe.boundaries == "2018" and (table.areas["level"] >= 2).any():
        placements["2024"] = place(table, "2024")
        placed = placed_rows(table, placements["2024"], "2024")
    own = placements[recipe.boundaries]
    dataset_areas = table.areas[["area_code", "level", "kind", "parent_code", "name",
                                 "leaf"]].assign(boundary_version=recipe.boundaries,
                                                 district_code=own["district_code"].to_numpy())
    indices = settlement_indices(table, placements)
    located = settlement_points(table, own["district_code"], given)
    dataset_areas = dataset_areas.join(located[["lat", "lon"]].astype(float))
    latest = "2024" if "2024" in placements else recipe.boundaries
    units = settlement_units(table, placements[latest], latest)
    enclaves = enclave_rows(table, units, located, neighbours)
    coverage = point_coverage(table, placements, located["lat"].notna())

    def write_tables(con, dataset):
        workbooks.write_dataset(con, dataset, dataset_areas, placed, indices, enclaves, coverage)

    written = import_population(con, path, name=name, replace=replace, rows=rows,
                                description=f"{recipe.title} (from {Path(path).name})",
                                also=write_tables)
    settlements = placements.get("2024", own)
    settlements = settlements[settlements["kind"] == "settlement"]
    exact = settlements.groupby("area_code")["exact"].all()
    return {**table.summary(), "name": name, "rows": written, "period": recipe.period,
            "boundaries": recipe.boundaries, "settlements_placed_exactly": int(exact.sum()),
            "settlements": int(exact.size),
            "split_districts": sorted(set(settlements.loc[~settlements["exact"],
                                                          "district_code"])),
            "located": int(located["lat"].notna().sum()), "neighbours": neighbours,
            "points_matched": int(located["source"].eq("points file").sum()),
            "points_given": 0 if given is None else len(given),
            "enclaves": 0 if enclaves.empty else int(enclaves["enclave"].nunique()),
            "enclave_groups": 0 if enclaves.empty else int(enclaves["group_code"].nunique())}


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def describe_import(report: dict) -> str:
    """What an import read, in a few lines for the terminal."""
    levels = ", ".join(f"{_number(count)} {kind.replace('_', ' ')}{'s' if count != 1 else ''}"
                       for kind, count in report["levels"].items())
    lines = [
        f"read sheets {', '.join(report['sheets'])}: {levels}",
        f"{report['groups']} groups, {_number(report['persons'])} persons, period "
        f"{report['period']}, boundaries {report['boundaries']}",
    ]
    if report["settlements"]:
        placed = (f"placed on the 2024 boundaries: {report['settlements_placed_exactly']} of "
                  f"{report['settlements']} settlements exactly")
        if report["split_districts"]:
            split = ", ".join(report["split_districts"])
            placed += (f"; those of the districts split since ({split}) by the crosswalk's "
                       "population weights")
        lines.append(placed)
        lines.append(describe_enclaves(report))
        lines.append(f"{_number(report['settlements'])} settlements added to the gazetteer: "
                     "kelisim monitor matches their names")
    lines.append(f"imported {_number(report['rows'])} rows as '{report['name']}'")
    return "\n".join(lines)


def describe_coverage(settlements: int, located: int) -> str:
    """How many settlements had no point, said plainly."""
    missing = settlements - located
    return (f"{_number(missing)} of {_number(settlements)} settlements have no coordinates and "
            "are left out" if missing else f"all {_number(settlements)} settlements have "
            "coordinates")


def describe_enclaves(report: dict) -> str:
    """The enclave line of an import: how many settlements had a point, and what was found."""
    text = describe_coverage(report["settlements"], report["located"])
    if report["points_given"]:
        text += (f" (the points file gave {_number(report['points_matched'])} of its "
                 f"{_number(report['points_given'])} points)")
    if report["located"] <= report["neighbours"]:
        return f"enclaves among settlements: not computed, {text}"
    return (f"enclaves among settlements (knn:{report['neighbours']}): {report['enclaves']} "
            f"enclave{'s' if report['enclaves'] != 1 else ''} of {report['enclave_groups']} "
            f"group{'s' if report['enclave_groups'] != 1 else ''}; {text}")
