"""Import and export population tables: CSV, Excel (.xlsx) and Parquet, long
(area, group, period, count) or wide (one column per group).

Every file is validated completely before anything is written, and written in one
transaction, so a bad file leaves the store unchanged. Errors name the file, the row (the
header is row 1) and the column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from kelisim.core.areas import VERSIONS, area_name, areas, resolve_area, suggest_area
from kelisim.core.groups import TOTAL, default_registry, unknown_message
from kelisim.errors import ArgumentError, InputError
from kelisim.limits import MAX_WORKBOOK_BYTES, MAX_WORKBOOK_CELLS, parse_count

PERIOD_RANGE = (1800, 2100)
FORMATS = {".csv": "csv", ".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet",
           ".pq": "parquet"}
# Accepted header names (lower case) for each long-format column: English, Russian, Kazakh.
COLUMN_NAMES = {
    "area": ("area", "area_code", "kato", "като", "код като", "область", "регион", "район",
             "облыс", "аудан", "өңір"),
    "group": ("group", "group_code", "ethnic_group", "национальность", "этнос", "этническая "
              "группа", "ұлты", "ұлт", "этнос тобы"),
    "period": ("period", "year", "год", "жыл"),
    "count": ("count", "population", "persons", "численность", "число", "количество", "саны",
              "халық саны"),
}
OPTIONAL_COLUMNS = ("share", "basis", "source_id", "boundary_version", "reference_date", "note")
CHUNK_ROWS = 20_000


def file_format(path: str | Path) -> str:
    """csv, excel or parquet, from the file name's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ArgumentError("file", f"cannot tell the format of '{Path(path).name}'; use a "
                            ".csv, .xlsx or .parquet file")
    return FORMATS[suffix]


def read_table(path: str | Path) -> pd.DataFrame:
    """The file's cells as text (CSV must be UTF-8), columns as in its header."""
    path = Path(path)
    if not path.is_file():
        raise ArgumentError("file", f"no such file '{path}'")
    kind = file_format(path)
    if kind == "csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            row = raw[: error.start].count(b"\n") + 1
            raise InputError(path, row, None, "the file is not UTF-8 text; save it as UTF-8 "
                             "(for example 'CSV UTF-8' in Excel)") from None
        from io import StringIO

        from kelisim.core.tables import read_csv_cells

        if not text.strip():
            raise InputError(path, None, None, "the file is empty; a population table needs a "
                             "header row and rows of counts")
        try:
            frame = read_csv_cells(StringIO(text), path, dtype=str, keep_default_na=False)
        except pd.errors.ParserError as error:
            match = re.search(r"line (\d+)", str(error))
            row = int(match.group(1)) if match else None
            raise InputError(path, row, None, f"not a well-formed CSV table ({error})") from None
    elif kind == "excel":
        check_workbook(path)
        try:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        except Exception as error:  # openpyxl raises several types for a bad workbook
            raise InputError(path, None, None, f"not a readable Excel workbook ({error})") from None
    else:
        try:
            frame = pd.read_parquet(path)
        except Exception as error:  # pyarrow raises several types for a bad file
            raise InputError(path, None, None, f"not a readable Parquet file ({error})") from None
        frame = frame.astype(object).where(frame.notna(), "").astype(str)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def check_workbook(path: Path) -> None:
    """Refuse a workbook that inflates past MAX_WORKBOOK_BYTES or holds more than
    MAX_WORKBOOK_CELLS cells, before it is parsed (a "zip bomb" is refused at once).

    The sizes come from the zip directory; Python's zipfile never inflates a member past its
    declared size, so they bound what openpyxl can read. Cells are counted as ``<c`` tags in
    the sheets' XML while it streams, in chunks.
    """
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            inflated = sum(member.file_size for member in members)
            if inflated > MAX_WORKBOOK_BYTES:
                raise InputError(path, None, None, f"the workbook inflates to "
                                 f"{inflated / 1e6:,.0f} MB, more than the limit of "
                                 f"{MAX_WORKBOOK_BYTES / 1e6:,.0f} MB")
            cells = 0
            for member in members:
                if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", member.filename):
                    continue
                with archive.open(member) as sheet:
                    cells += _count_cells(sheet)
                if cells > MAX_WORKBOOK_CELLS:
                    raise InputError(path, None, None, f"the workbook has more than "
                                     f"{MAX_WORKBOOK_CELLS:,} cells, the limit")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
            RuntimeError) as error:  # a damaged, encrypted or oddly compressed archive
        raise InputError(path, None, None, f"not a readable Excel workbook ({error})") from None


_CELL_TAG = re.compile(rb"<(?:\w{1,8}:)?c[\s>/]")


def _count_cells(stream) -> int:
    """Number of ``<c>`` elements in a streamed sheet XML, read 1 MB at a time."""
    count, carry = 0, b""
    while chunk := stream.read(1 << 20):
        text = carry + chunk
        cut = max(len(text) - 16, 0)  # a tag starting in the last bytes is counted next time
        count += sum(1 for m in _CELL_TAG.finditer(text) if m.start() < cut)
        carry = text[cut:]
    return count + len(_CELL_TAG.findall(carry))


def _find(columns: list[str], role: str) -> str | None:
    from kelisim.core.groups import normalise_name

    lower = {normalise_name(c): c for c in columns}
    return next((lower[n] for n in COLUMN_NAMES[role] if n in lower), None)


def to_long(frame: pd.DataFrame, path: str | Path, layout: str = "auto") -> pd.DataFrame:
    """Long rows (area, group, period, count, optional columns, ``row`` = file row number).

    ``layout`` is long, wide or auto (long when there is a group column). In a wide file every
    column other than area, period and the optional ones is a group (names in any language).
    """
    columns = list(frame.columns)
    area, period = _find(columns, "area"), _find(columns, "period")
    group, count = _find(columns, "group"), _find(columns, "count")
    if layout == "auto":
        layout = "long" if group is not None else "wide"
    if layout not in ("long", "wide"):
        raise ArgumentError("format", f"unknown layout '{layout}'; use long or wide")
    for role, column in (("area", area), ("period", period)):
        if column is None:
            raise InputError(path, 1, role, f"missing column '{role}' "
                             f"(accepted names: {', '.join(COLUMN_NAMES[role])})")
    frame = frame.assign(row=np.arange(len(frame)) + 2)
    optional = [c for c in columns if c.lower() in OPTIONAL_COLUMNS]
    if layout == "long":
        for role, column in (("group", group), ("count", count)):
            if column is None:
                raise InputError(path, 1, role, f"missing column '{role}' "
                                 f"(accepted names: {', '.join(COLUMN_NAMES[role])})")
        long = frame[[area, group, period, count, "row", *optional]].copy()
        long.columns = ["area", "group", "period", "count", "row", *[c.lower() for c in optional]]
        long["source_column"] = "group"
        return long
    groupsource_columns = [c for c in columns if c not in (area, period, *optional)]
    if not groupsource_columns:
        raise InputError(path, 1, None, "a wide table needs one column per group")
    long = frame.melt(id_vars=[area, period, "row", *optional], value_vars=groupsource_columns,
                      var_name="group", value_name="count")
    long = long.rename(columns={area: "area", period: "period",
                                **{c: c.lower() for c in optional}})
    long["source_column"] = long["group"]
    long = long[long["count"].astype(str).str.strip() != ""]
    return long.sort_values("row", kind="stable").reset_index(drop=True)


def validate_population(
    long: pd.DataFrame, path: str | Path, boundaries: str = "2024"
) -> pd.DataFrame:
    """Check every row and return clean rows (area_code, group_code, period, count, ...).

    Raises InputError at the first bad row: unknown area or group (with a suggestion),
    a count that is missing, negative or not a whole number, a period outside 1800-2100,
    a duplicated (area, group, period), or groups summing to more than the area's total.
    """
    registry = default_registry()
    known_areas: dict[str, set[str]] = {v: set(areas(v)["area_code"]) for v in VERSIONS}
    out = {"area_code": [], "group_code": [], "period": [], "count": [], "share": [],
           "boundary_version": []}
    group_cache: dict[str, str | None] = {}
    has_version = "boundary_version" in long
    has_share = "share" in long
    for record in long.itertuples(index=False):
        row = record.row
        version = (getattr(record, "boundary_version", "") or boundaries) if has_version \
            else boundaries
        version = str(version).strip()
        if version not in known_areas:
            raise InputError(path, row, "boundary_version",
                             f"unknown boundary version '{version}'; use one of "
                             f"{', '.join(VERSIONS)}")
        area = str(record.area).strip()
        if re.fullmatch(r"\d{1,9}", area):
            area = area.zfill(9)
        elif area and not area.isdigit():
            area = resolve_area(area, version) or area
        if area not in known_areas[version]:
            hint = [f"{c} ({area_name(c, version)})" for c in suggest_area(area, version)]
            raise InputError(path, row, "area",
                             unknown_message(f"area code (boundaries {version})", area, hint))
        label = str(record.group).strip()
        if label not in group_cache:
            group_cache[label] = registry.resolve(label, allow_total=True)
        code = group_cache[label]
        if code is None:
            raise InputError(path, row, record.source_column,
                             unknown_message("group", label, registry.suggest(label)))
        period = _integer(record.period, path, row, "period", "period")
        if not PERIOD_RANGE[0] <= period <= PERIOD_RANGE[1]:
            raise InputError(path, row, "period", f"period {period} is out of range "
                             f"{PERIOD_RANGE[0]}-{PERIOD_RANGE[1]}")
        share = _share(getattr(record, "share", ""), path, row) if has_share else None
        text = str(record.count).strip()
        column = record.source_column if record.source_column != "group" else "count"
        if text == "" and share is not None:
            count = None
        else:
            count = int(parse_count(text, path, row, column))
        for key, value in (("area_code", area), ("group_code", code), ("period", period),
                           ("count", count), ("share", share), ("boundary_version", version)):
            out[key].append(value)
    clean = pd.DataFrame(out)
    clean["row"] = long["row"].to_numpy()
    for column in ("basis", "source_id", "reference_date", "note"):
        clean[column] = long[column].replace("", None).to_numpy() if column in long else None
    _check_duplicates(clean, path)
    _check_totals(clean, path)
    return clean


def _integer(value, path, row, column, what) -> int:
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text == "":
        raise InputError(path, row, column, f"missing {what}")
    try:
        number = float(text)
    except ValueError:
        raise InputError(path, row, column, f"{what} '{value}' is not a number") from None
    if not np.isfinite(number) or number != int(number):
        raise InputError(path, row, column, f"{what} '{value}' is not a whole number")
    return int(number)


def _share(value, path, row) -> float | None:
    text = str(value).strip()
    if text == "":
        return None
    try:
        share = float(text)
    except ValueError:
        raise InputError(path, row, "share", f"share '{value}' is not a number") from None
    if not 0 <= share <= 1:
        raise InputError(path, row, "share", f"share {text} is outside 0..1")
    return share


def _check_duplicates(clean: pd.DataFrame, path) -> None:
    keys = ["area_code", "group_code", "period"]
    duplicated = clean.duplicated(keys, keep="first")
    if duplicated.any():
        second = clean[duplicated].iloc[0]
        first = clean[(clean[keys] == second[keys]).all(axis=1)].iloc[0]
        raise InputError(path, int(second["row"]), "group",
                         f"duplicates row {int(first['row'])} (same area {second['area_code']}, "
                         f"group {second['group_code']} and period {second['period']})")


def _check_totals(clean: pd.DataFrame, path) -> None:
    counted = clean[clean["count"].notna()]
    totals = counted[counted["group_code"] == TOTAL].set_index(["area_code", "period"])
    if totals.empty:
        return
    sums = counted[counted["group_code"] != TOTAL].groupby(["area_code", "period"])["count"].sum()
    joined = totals.join(sums.rename("groups_sum"), how="inner")
    over = joined[joined["groups_sum"] > joined["count"]]
    if not over.empty:
        (area, period), first = next(iter(over.iterrows()))
        raise InputError(path, int(first["row"]), "count",
                         f"the groups of area {area} in {period} sum to "
                         f"{int(first['groups_sum'])}, more than the total {int(first['count'])}")


def read_population(path: str | Path, layout: str = "auto", boundaries: str = "2024"):
    """Read and validate a population file; returns clean long rows (see validate_population)."""
    if boundaries not in VERSIONS:
        raise ArgumentError("boundaries", f"unknown boundary version '{boundaries}'; use one of "
                            f"{', '.join(VERSIONS)}")
    frame = read_table(path)
    if frame.empty:
        raise InputError(path, 2, None, "no rows of counts below the header; nothing to import")
    return validate_population(to_long(frame, path, layout), path, boundaries)


def dataset_name(path: str | Path) -> str:
    """A dataset name from a file name: lower case, letters, digits and underscores."""
    name = re.sub(r"[^0-9a-z]+", "_", Path(path).stem.lower()).strip("_")
    return name or "imported"


def import_population(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    name: str | None = None,
    layout: str = "auto",
    boundaries: str = "2024",
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
    rows: pd.DataFrame | None = None,
    description: str | None = None,
    also: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None,
) -> int:
    """Validate ``path`` completely, then write it as dataset ``name`` in one transaction.

    ``rows`` may carry the already validated result of :func:`read_population`. ``progress``
    is called with (rows written, rows in total); ``also(con, name)`` writes more tables in
    the same transaction. Returns the number of rows written.
    """
    from kelisim import store
    from kelisim.datasets import BUNDLED_DATASETS, POPULATION_COLUMNS
    from kelisim.store import population as population_store
    from kelisim.store import workbooks

    name = name or dataset_name(path)
    if name in BUNDLED_DATASETS:
        raise ArgumentError("name", f"'{name}' is a bundled dataset; choose another name")
    exists = population_store.dataset_exists(con, name)
    if exists and not replace:
        raise ArgumentError("replace", f"dataset '{name}' exists and replacing it was not asked "
                            "for")
    clean = read_population(path, layout, boundaries) if rows is None else rows
    source_id = f"file:{name}"
    clean = clean.assign(dataset=name)
    clean["source_id"] = clean["source_id"].fillna(source_id)
    clean["reference_date"] = pd.to_datetime(clean["reference_date"], errors="coerce").dt.date
    clean = clean[POPULATION_COLUMNS]
    versions = clean["boundary_version"].unique()
    with store.transaction(con):
        population_store.delete_dataset_rows(con, name)
        workbooks.delete_dataset(con, name)
        population_store.replace_source(con, source_id, f"imported from {Path(path).name}")
        population_store.add_dataset(
            con, name, description or f"imported from {Path(path).name}",
            versions[0] if len(versions) == 1 else None, str(Path(path).resolve()))
        for start in range(0, len(clean), CHUNK_ROWS):
            population_store.insert_population(con, clean.iloc[start : start + CHUNK_ROWS])
            if progress is not None:
                progress(min(start + CHUNK_ROWS, len(clean)), len(clean))
        if also is not None:
            also(con, name)
    return len(clean)


def export_population(frame: pd.DataFrame, path: str | Path, layout: str = "long") -> int:
    """Write a tidy frame from :func:`kelisim.datasets.population_frame` to CSV, Excel or
    Parquet (chosen by suffix), long or wide. Returns the number of rows written."""
    kind = file_format(path)
    table = frame.rename(columns={"area": "area_code"})
    table = table[[c for c in ("area_code", "group", "period", "count", "share", "basis",
                               "source_id", "boundary_version", "note") if c in table]]
    if layout == "wide":
        table = table.pivot_table(index=["area_code", "period"], columns="group",
                                  values="count", aggfunc="sum").reset_index()
        table.columns.name = None
    elif layout != "long":
        raise ArgumentError("format", f"unknown layout '{layout}'; use long or wide")
    for column in table.columns:
        if column not in ("share",) and table[column].dtype.kind == "f":
            values = table[column]
            if (values.dropna() % 1 == 0).all():
                table[column] = values.astype("Int64")
    if kind == "csv":
        table.to_csv(path, index=False, encoding="utf-8")
    elif kind == "excel":
        table.to_excel(path, index=False, engine="openpyxl")
    else:
        table.to_parquet(path, index=False)
    return len(table)
