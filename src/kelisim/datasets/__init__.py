"""Bundled datasets and the population store: build the database from the curated tables, list
datasets and read a population table as a tidy frame (optionally in other borders).

Public API: :func:`open_store`, :func:`build_database`, :func:`list_datasets`,
:func:`population_frame`, :func:`composition`, :data:`BUNDLED_DATASETS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kelisim import store
from kelisim.core.curated import bundle_checksum, read_curated
from kelisim.store import incidents as incidents_store
from kelisim.store import population as population_store

if TYPE_CHECKING:  # imported where used, so that `kelisim --help` stays fast
    import duckdb
    import pandas as pd

# name -> (description, boundary version of rows without their own)
BUNDLED_DATASETS = {
    "census_national": (
        "Kazakhstan by ethnic group at the censuses 1897-2021 and the latest official estimates",
        "2024",
    ),
    "regions_annual": (
        "Population by region at the start of each year 2000-2023 (BNS), borders of the time",
        None,
    ),
    "regional_partial": (
        "Partial regional ethnic figures: Uyghurs by region 1970-2009, Dungans, press releases",
        None,
    ),
}
POPULATION_COLUMNS = [
    "dataset", "area_code", "group_code", "period", "reference_date", "count", "share", "basis",
    "source_id", "note", "boundary_version",
]


def open_store(
    location: str | Path | None = None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the store (KELISIM_DB or the default file) with the bundled data built in;
    ``read_only`` for commands that only read (they run beside the dashboard at once)."""
    con = store.connect(location, read_only=read_only)
    if read_only and not is_built(con):
        con.close()
        build_database(writer := store.connect(location))
        writer.close()
        return store.connect(location, read_only=True)
    if not read_only:
        build_database(con)
    return con


def is_built(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the database holds the current bundled tables."""
    return population_store.bundle_checksum(con) == bundle_checksum()


def build_database(con: duckdb.DuckDBPyConnection, force: bool = False) -> bool:
    """Load the bundled tables into the store in one transaction; idempotent.

    Does nothing when the database already holds the same bundled files (unless ``force``);
    otherwise replaces the bundled rows and leaves imported datasets alone. Returns whether it
    wrote anything.
    """
    if not force and is_built(con):
        return False
    frames = {name: read_curated(name) for name in
              ("sources", "groups", "group_aliases", "areas", "area_crosswalk")}
    population = bundled_population()
    incidents = bundled_incidents()
    with store.transaction(con):
        population_store.replace_reference_tables(con, frames)
        for name, (description, version) in BUNDLED_DATASETS.items():
            population_store.delete_dataset_rows(con, name)
            population_store.add_dataset(con, name, description, version, "bundled")
        population_store.insert_population(con, population)
        incidents_store.replace_bundled(con, incidents)
        population_store.set_bundle_checksum(con, bundle_checksum())
    return True


def bundled_population() -> pd.DataFrame:
    """The three bundled population tables as rows of the ``population`` table."""
    import pandas as pd

    parts = []
    for name, (_, version) in BUNDLED_DATASETS.items():
        frame = read_curated(name)
        if "boundary_version" not in frame:
            frame["boundary_version"] = version
        frame.insert(0, "dataset", name)
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    frame["reference_date"] = pd.to_datetime(frame["reference_date"]).dt.date
    return frame[POPULATION_COLUMNS]


def bundled_incidents() -> pd.DataFrame:
    """The curated incidents as rows of the ``incidents`` table."""
    import pandas as pd

    frame = read_curated("incidents")
    for column in ("date_start", "date_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    for column in ("groups", "sources"):
        frame[column] = [str(v).split(";") if isinstance(v, str) and v else [] for v in
                         frame[column]]
    frame["origin"] = "bundled"
    for column in ("fatalities", "injured"):
        frame[column] = frame[column].astype("Int64")
    return frame[list(incidents_store.INCIDENT_COLUMNS)]


def list_datasets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every population dataset: name, description, boundary_version, origin, rows, periods."""
    return population_store.list_datasets(con)


def population_frame(
    con: duckdb.DuckDBPyConnection,
    name: str,
    periods: list[int] | None = None,
    areas: list[str] | None = None,
    groups: list[str] | None = None,
    boundaries: str | None = None,
) -> pd.DataFrame:
    """A population dataset as a tidy frame.

    Columns: area, group, period, count, share, basis, source_id, boundary_version,
    reference_date, note. ``boundaries`` ('2000', '2018', '2024') converts every row into those
    borders with :func:`kelisim.core.areas.convert_boundaries`, or, for an official workbook,
    takes its counts summed from the settlements up the borders of ``boundaries`` (areas below
    the districts are left out then); ``areas`` (KATO codes, in the output borders) and
    ``groups`` (codes) filter the result.
    """
    from kelisim.errors import ArgumentError

    known = population_store.dataset_boundary_version(con, name)
    if known is None:
        names = population_store.dataset_names(con)
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(names)}"
        raise ArgumentError("name", f"no dataset named '{name}'{hint}")
    frame = population_store.dataset_rows(con, name, known[0])
    if periods:
        frame = frame[frame["period"].isin(periods)]
    if groups:
        frame = frame[frame["group"].isin(groups)]
    if boundaries is not None:
        frame = _in_boundaries(con, name, frame, boundaries)
        frame = frame.sort_values(["period", "area", "group"], kind="stable")
    if areas:
        frame = frame[frame["area"].isin(areas)]
    return frame.reset_index(drop=True)


def _in_boundaries(con, name: str, frame: pd.DataFrame, boundaries: str) -> pd.DataFrame:
    """A dataset's rows in the borders of ``boundaries`` (see :func:`population_frame`)."""
    from kelisim.core.areas import convert_boundaries
    from kelisim.store import workbooks

    placed = workbooks.placed_frame(con, name, boundaries)
    if not placed.empty:  # filtered like the published rows
        placed = placed[placed["period"].isin(frame["period"]) &
                        placed["group"].isin(frame["group"])]
        source, dates = frame["source_id"].dropna(), frame["reference_date"].dropna()
        return placed.drop(columns=["exact"]).assign(
            share=float("nan"), basis=None, source_id=source.iloc[0] if len(source) else None,
            boundary_version=boundaries, reference_date=dates.iloc[0] if len(dates) else None,
            note=None)[frame.columns]
    fine = workbooks.fine_area_codes(con, name)
    if fine:
        frame = frame[~frame["area"].isin(fine)]
    return convert_boundaries(frame, boundaries)


def composition(
    con: duckdb.DuckDBPyConnection,
    name: str,
    period: int,
    boundaries: str | None = None,
    areas: list[str] | None = None,
):
    """One period of a dataset as a :class:`kelisim.core.composition.Composition` (counts by
    area and group; ``total`` rows and share-only rows left out)."""
    from kelisim.core.composition import Composition

    frame = population_frame(con, name, periods=[period], areas=areas, boundaries=boundaries)
    return Composition.from_long(frame, period=period)
