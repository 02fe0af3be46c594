"""The dashboard's views: the store's reads (``kelisim.store``) combined with the measures.

Every function takes an open DuckDB connection (a per-request cursor) and returns plain rows
(lists of dicts) or small dicts; the SQL lives in the store modules imported below and
rendering in the pages and the API. Measures come from ``kelisim.measure``; where the data
cannot give an index the functions return nothing and the pages show an empty state.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from datetime import date

import duckdb

from kelisim.core.areas import COUNTRY, check_version  # noqa: F401 (COUNTRY: the pages' default)
from kelisim.core.groups import LANGUAGES, alphabetical_key
from kelisim.datasets import population_frame
from kelisim.errors import KelisimError
from kelisim.store import incidents as incidents_store
from kelisim.store import monitor as monitor_store
from kelisim.store import population as population_store
from kelisim.store.accounts import audit_entries  # noqa: F401 (the pages' and API's view)
from kelisim.store.incidents import (  # noqa: F401 (the pages', API's and briefs' views)
    INCIDENT_FIELDS,
    create_incident,
    update_incident,
)
from kelisim.store.monitor import (  # noqa: F401 (the pages', API's and briefs' views)
    FLAG_TIER,
    add_review,
    alerts,
    document_tier,
    flagged,
    flagged_count,
    reviews,
    tension_periods,
)
from kelisim.store.population import (  # noqa: F401 (the pages', API's and briefs' views)
    area_exists,
    region_codes,
)
from kelisim.store.population import ethnic_datasets as population_datasets  # noqa: F401
from kelisim.store.projections import (  # noqa: F401 (the pages', API's and briefs' views)
    projection_runs,
    projection_shares,
    projection_totals,
    projections,
)

# ---------------------------------------------------------------- names


def areas(
    con: duckdb.DuckDBPyConnection, lang: str, level: str | None = None, on: date | None = None
) -> list[dict]:
    """Areas in their latest boundary version: area_code, level, parent_code, name, ordered
    by name without its unit word ('г. Астана' under А). With ``on``, names are the ones in
    force that day (the dated name table: Nur-Sultan in 2019-2022, ...). ``label`` is what a
    selector shows: the name, and for a name two areas share (a district in two regions)
    the parent's name after it, 'Район А (Павлодарская область)'."""
    from kelisim.core.areas import name_sort_key, names_on

    rows = population_store.latest_areas(con, lang, level)
    if on is not None:
        dated = names_on(on, lang if lang in LANGUAGES else "en")
        for row in rows:
            row["name"] = dated.get((row["area_code"], row["boundary_version"]),
                                    dated.get((row["area_code"], None), row["name"]))
    taken = Counter(row["name"] for row in rows)
    parents: dict[str, str] = {}
    if any(times > 1 for times in taken.values()):
        every = rows if level is None else areas(con, lang, on=on)
        parents = {row["area_code"]: row["name"] for row in every}
    for row in rows:
        parent = parents.get(row["parent_code"]) if taken[row["name"]] > 1 else None
        row["label"] = f"{row['name']} ({parent})" if parent else row["name"]
    return sorted(rows, key=lambda row: (name_sort_key(row["name"]), row["label"]))


def area_names(
    con: duckdb.DuckDBPyConnection, lang: str, on: date | None = None
) -> dict[str, str]:
    """area_code -> name (in force on ``on`` when given)."""
    return {a["area_code"]: a["name"] for a in areas(con, lang, on=on)}


@functools.cache
def _registry_names(lang: str) -> tuple[tuple[str, str], ...]:
    from kelisim.core.groups import default_registry

    table = default_registry().groups
    own = table[f"name_{lang}"].where(table[f"name_{lang}"].notna(), table["name_en"])
    return tuple(zip(table["group_code"], own, strict=True))


def group_names(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """Group names in ``lang``: the store's, else the bundled group registry's (a code used
    by a classification or an incident but missing from the store's table), else English."""
    lang = lang if lang in LANGUAGES else "en"
    names = dict(_registry_names(lang))
    for code, own, english in population_store.group_name_rows(con, lang):
        names[code] = own or names.get(code) or english or code
    return names


def dataset_labels(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """Dataset name -> what a person reads in a selector: its label in ``lang`` (a bundled
    dataset's; an imported one keeps the name it was given) and the periods it covers,
    e.g. 'Censuses and official estimates, 1897–2025'."""
    from kelisim.views.i18n import translator

    t = translator(lang)
    return {name: f"{t.label('dataset_' + name, name)}, "
                  + (str(first) if first == last else f"{first}–{last}")
            for name, (first, last) in population_store.ethnic_dataset_periods(con).items()}


def run_labels(con: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """Projection run name -> its label in ``lang`` (a bundled run's; a run of the user's
    own spec keeps its spec's name) and the day it was stored, e.g. 'Kazakhstan,
    cohort-component, 03.12.2026'."""
    from kelisim.store.projections import projection_run_dates
    from kelisim.views.formats import day
    from kelisim.views.i18n import translator

    t = translator(lang)
    return {run: f"{t.label('run_' + run, run)}, {day(stored)}" if stored else
            t.label("run_" + run, run) for run, stored in projection_run_dates(con).items()}


# ---------------------------------------------------------------- population


BOUNDARIES = ("2018", "2024")  # the border versions a user can choose for maps and series
_POPULATION_CACHE: dict[tuple, object] = {}
_POPULATION_LOCK = threading.Lock()
_POPULATION_COMPUTING = threading.Lock()


def population(con: duckdb.DuckDBPyConnection, boundaries: str = "2024",
               dataset: str | None = None):
    """Every population cell in one border version as a frame (area, group, period, count,
    share; NaN where missing), 'total' rows included, ordered by area, period, group.

    Rows come from :func:`kelisim.datasets.population_frame` with ``boundaries``: the bundled
    ``regions_annual`` mixes the borders of its time (2000-2016 South Kazakhstan with Shymkent;
    Abai, Zhetysu and Ulytau from 2022), and converting every row keeps a series in one
    version. Per cell the first dataset (by name) with a count wins; a share not published is
    the count over the cell's 'total'. A dataset whose rows cannot be converted (e.g. districts
    of the 2000 division) is left out; ``dataset`` keeps that dataset alone. Cached by the
    table's content, so imports show at once; pages take their few rows from it with
    :func:`composition` (no page turns every cell into Python objects).
    """
    check_version(boundaries)
    key = (boundaries, dataset, *population_store.population_fingerprint(con))
    cells = _POPULATION_CACHE.get(key)
    if cells is None:
        with _POPULATION_COMPUTING:  # one computation at a time: the others then reuse it
            cells = _POPULATION_CACHE.get(key)
            if cells is None:
                cells = _cells(con, boundaries, dataset)
                with _POPULATION_LOCK:
                    for old in [k for k in _POPULATION_CACHE if k[2:] != key[2:]]:
                        del _POPULATION_CACHE[old]  # keep the current content (both borders)
                    _POPULATION_CACHE[key] = cells
    return cells


def _cells(con: duckdb.DuckDBPyConnection, boundaries: str, dataset: str | None = None):
    import numpy as np
    import pandas as pd

    from kelisim.store import workbooks

    columns = ["area", "group", "period", "count", "share"]
    parts = []
    for name in population_store.dataset_names(con, dataset):
        part = None
        if workbooks.placed_frame(con, name, boundaries).empty and not \
                workbooks.fine_area_codes(con, name):  # else population_frame places them
            part = population_store.cells_in_version(con, name, boundaries)
        if part is None:
            try:
                part = population_frame(con, name, boundaries=boundaries)
            except KelisimError:
                continue
        parts.append(part[columns].assign(dataset=name))
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.assign(_missing=frame["count"].isna()).sort_values(
        ["area", "group", "period", "_missing", "dataset"], kind="stable")
    best = frame.drop_duplicates(["area", "group", "period"])
    total = best.loc[best["group"] == "total", ["area", "period", "count"]].rename(
        columns={"count": "_total"})
    best = best.merge(total, on=["area", "period"], how="left")
    best["share"] = best["share"].fillna(best["count"] / best["_total"].replace(0, np.nan))
    best = best.sort_values(["area", "period", "group"])[columns]
    return best.assign(period=best["period"].astype("int64")).reset_index(drop=True)


def _records(frame) -> list[dict]:
    """Rows of a cells frame as dicts (None where missing, period an int)."""
    frame = frame.astype(object).where(frame.notna(), None)
    return [{**row, "period": int(row["period"])} for row in frame.to_dict("records")]


def _cells_where(con: duckdb.DuckDBPyConnection, area: str | None = None,
                 period: int | None = None, areas_in: list[str] | None = None,
                 boundaries: str = "2024", totals: bool = False, dataset: str | None = None):
    """The cells frame of :func:`population`, filtered as :func:`composition` says."""
    import numpy as np

    cells = population(con, boundaries, dataset)
    keep = np.ones(len(cells), bool) if totals else (cells["group"] != "total").to_numpy()
    if area is not None:
        keep = keep & (cells["area"] == area).to_numpy()
    if areas_in is not None:
        keep = keep & cells["area"].isin(areas_in).to_numpy()
    if period is not None:
        keep = keep & (cells["period"] == period).to_numpy()
    return cells[keep]


def composition(
    con: duckdb.DuckDBPyConnection,
    area: str | None = None,
    period: int | None = None,
    areas_in: list[str] | None = None,
    boundaries: str = "2024",
    totals: bool = False,
    dataset: str | None = None,
) -> list[dict]:
    """Tidy rows area, group, period, count, share of :func:`population` (one border
    version, one dataset when given), filtered; ``totals`` keeps the 'total' rows."""
    return _records(_cells_where(con, area, period, areas_in, boundaries, totals, dataset))


def _regional(con: duckdb.DuckDBPyConnection, boundaries: str, group: str | None = None,
              dataset: str | None = None):
    """Composition frame of the regions of ``boundaries`` (one group when given)."""
    rows = _cells_where(con, areas_in=region_codes(con, boundaries), boundaries=boundaries,
                        dataset=dataset)
    return rows if group is None else rows[rows["group"] == group]


def population_periods(
    con: duckdb.DuckDBPyConnection, group: str | None = None, boundaries: str = "2024",
    dataset: str | None = None,
) -> list[int]:
    """Years with ethnic figures for regions (for one group when given)."""
    return sorted(int(p) for p in _regional(con, boundaries, group, dataset)["period"].unique())


def complete_choice(
    con: duckdb.DuckDBPyConnection, boundaries: str = "2024", dataset: str | None = None
) -> tuple[int, str] | None:
    """The map's opening view: the latest year in which some group has a share for every
    region, and the largest such group (most persons); None when no year is complete."""
    regions = set(region_codes(con, boundaries))
    rows = _regional(con, boundaries, dataset=dataset)
    rows = rows[rows["share"].notna() &
                ~rows["group"].isin(["other", "other_nationality", "not_stated"])]
    by_key = rows.assign(count=rows["count"].fillna(0.0)).groupby(["period", "group"])
    found = by_key.agg(areas=("area", "nunique"), persons=("count", "sum"))
    complete = found[found["areas"] >= len(regions)]
    if complete.empty:
        return None
    latest = int(complete.index.get_level_values("period").max())
    persons = complete.loc[latest, "persons"]
    return latest, max(persons.index, key=lambda g: (persons[g], g))


def best_period(
    con: duckdb.DuckDBPyConnection,
    group: str | None = None,
    need: str = "count",
    boundaries: str = "2024",
    dataset: str | None = None,
) -> int | None:
    """The year with usable figures (``need``: share or count) for the most regions (the
    latest of equals)."""
    rows = _regional(con, boundaries, group, dataset)
    regions = rows[rows[need].notna()].groupby("period")["area"].nunique()
    return max((int(p) for p in regions.index), key=lambda p: (regions[p], p), default=None)


def best_group(
    con: duckdb.DuckDBPyConnection, boundaries: str = "2024", dataset: str | None = None
) -> str | None:
    """The group with regional shares for the most (region, year) pairs."""
    rows = _regional(con, boundaries, dataset=dataset)
    rows = rows[rows["share"].notna() & ~rows["group"].isin(["other", "not_stated"])]
    pairs = rows.drop_duplicates(["group", "area", "period"]).groupby("group").size()
    return min(pairs.index, key=lambda g: (-pairs[g], g), default=None)


# An area's published groups must make up at least this share of its 'total' row before an
# index of its composition is shown: a partial composition gives wrong numbers (a region where
# only one group is published would show diversity 0).
COMPLETE_SHARE = 0.99


def _complete_long_frame(rows: list[dict]):
    """Long frame (area, group, period, count) of the areas whose composition is complete.

    ``rows`` include the 'total' rows. An area without a total is taken as complete (an
    imported table of its groups); 'not_stated' counts towards completeness but is not a group.
    """
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["area", "group", "period", "count", "share"])
    frame = frame.dropna(subset=["count"])
    is_total = frame["group"] == "total"
    totals = frame[is_total].set_index(["area", "period"])["count"]
    group_rows = frame[~is_total]
    covered = group_rows.groupby(["area", "period"])["count"].sum()
    total = totals.reindex(covered.index)
    complete = covered.index[total.isna().to_numpy() | (covered >= COMPLETE_SHARE * total)
                             .to_numpy()]
    keep = pd.MultiIndex.from_frame(group_rows[["area", "period"]]).isin(complete)
    group_rows = group_rows[keep & (group_rows["group"] != "not_stated").to_numpy()]
    return group_rows[["area", "group", "period", "count"]]


def diversity(
    con: duckdb.DuckDBPyConnection,
    period: int,
    areas_in: list[str] | None = None,
    boundaries: str = "2024",
    dataset: str | None = None,
) -> list[dict]:
    """Rows area, index, value from ``kelisim.measure.diversity_by_area``."""
    from kelisim.measure import diversity_by_area

    frame = _complete_long_frame(composition(con, period=period, areas_in=areas_in,
                                             boundaries=boundaries, totals=True,
                                             dataset=dataset))
    if frame.empty:
        return []
    try:
        result = diversity_by_area(frame)
    except KelisimError:  # e.g. a period with a single group published
        return []
    return [
        {"area": str(r.area), "index": str(r.index), "value": float(r.value)}
        for r in result.itertuples(index=False)
        if r.value == r.value  # NaN for areas without persons
    ]


def segregation(
    con: duckdb.DuckDBPyConnection, parent: str, period: int, boundaries: str = "2024",
    dataset: str | None = None,
) -> list[dict]:
    """Rows index, group, value of segregation across the areas under ``parent``: the
    per-group indices (one row per group) and the multigroup ones (group ''), not the
    diversity of the whole (that is the diversity indicator's).

    Uses ``kelisim.measure.segregation_table``; [] without sub-area data.
    """
    from kelisim.measure import segregation_table
    from kelisim.measure.aspatial import MULTIGROUP_INDICES, PER_GROUP_INDICES

    children = population_store.child_codes(con, parent, boundaries)
    frame = (_complete_long_frame(composition(con, period=period, areas_in=children,
                                              boundaries=boundaries, totals=True,
                                              dataset=dataset))
             if children else None)
    if frame is None or frame["area"].nunique() < 2:
        return []
    try:
        result = segregation_table(frame, indices=[*MULTIGROUP_INDICES, *PER_GROUP_INDICES])
    except KelisimError:
        return []
    return [
        {"index": str(r.index), "group": str(r.group), "value": float(r.value)}
        for r in result.itertuples(index=False)
        if r.value == r.value
    ]


def _choose_index(rows: list[dict], index: str | None) -> tuple[list[str], str | None]:
    names = list(dict.fromkeys(r["index"] for r in rows))
    return names, (index if index in names else (names[0] if names else None))


def indicator_values(
    con: duckdb.DuckDBPyConnection,
    indicator: str,
    period: int | None,
    group: str | None,
    index: str | None,
    boundaries: str = "2024",
    dataset: str | None = None,
) -> tuple[dict[str, float], list[str], str | None]:
    """Value per region for the overview map: share | diversity | segregation | tension.

    Returns the values, the index names available (diversity, segregation) and the index
    shown (``index`` when available, else the first).
    """
    regions = region_codes(con, boundaries)
    if period is None:
        return {}, [], None
    if indicator == "share":
        rows = composition(con, period=period, areas_in=regions, boundaries=boundaries,
                           dataset=dataset)
        values = {r["area"]: r["share"] for r in rows
                  if r["group"] == group and r["share"] is not None}
        return values, [], None
    if indicator == "diversity":
        rows = diversity(con, period, regions, boundaries, dataset)
        names, chosen = _choose_index(rows, index)
        return {r["area"]: r["value"] for r in rows if r["index"] == chosen}, names, chosen
    if indicator == "segregation":  # of the chosen group, else of all groups together
        rows = [
            {**r, "area": code}
            for code in regions
            for r in segregation(con, code, period, boundaries, dataset)
            if r["group"] == (group or "")
        ]
        names, chosen = _choose_index(rows, index)
        return {r["area"]: r["value"] for r in rows if r["index"] == chosen}, names, chosen
    return monitor_store.tension_by_area(con, period, regions), [], None


# ---------------------------------------------------------------- forecasts


# ---------------------------------------------------------------- watch


# ---------------------------------------------------------------- incidents


def incidents(
    con: duckdb.DuckDBPyConnection, area: str | None = None, year: int | None = None,
    limit: int = 500, bbox: tuple[float, float, float, float] | None = None,
) -> list[dict]:
    """Incidents of an area (as place or as region), a year and a bounding box (west, south,
    east, north), newest first, each with the gazetteer settlements its place names."""
    return [_with_settlements(row)
            for row in incidents_store.incidents(con, area, year, limit, bbox)]


def incident(con: duckdb.DuckDBPyConnection, incident_id: str) -> dict | None:
    row = incidents_store.incident(con, incident_id)
    return _with_settlements(row) if row else None


def _with_settlements(row: dict) -> dict:
    """An incident with the gazetteer settlements its place names (key, code, district)."""
    from kelisim.monitor.gazetteer import settlements_named

    return {**row, "settlements": settlements_named(row["place"]) if row.get("place") else []}

def groups(con: duckdb.DuckDBPyConnection, lang: str) -> list[dict]:
    """The groups a selector offers: group_code, kind, name (its first letter a capital, as
    an item of a list), by kind and then in the alphabet's order of ``lang``."""
    rows = [{**row, "name": row["name"][:1].upper() + row["name"][1:]}
            for row in population_store.groups(con, lang)]
    return sorted(rows, key=lambda row: (row["kind"], alphabetical_key(row["name"])))


def partial_groups(rows: list[dict], period: int | None = None) -> list[str]:
    """The groups published for an area in ``period`` (default: its latest year with groups)
    when they do not make up its population (composition rows with the 'total' rows);
    [] when the composition is complete."""
    groups_rows = [r for r in rows if r["group"] != "total"]
    if period is None:
        period = max((r["period"] for r in groups_rows), default=None)
    if period is None or period in set(_complete_long_frame(rows)["period"]):
        return []
    return sorted({r["group"] for r in groups_rows if r["period"] == period})
def settlement_enclaves(con: duckdb.DuckDBPyConnection, area: str,
                        boundaries: str = "2024") -> dict:
    """The enclaves among the settlements of an area: ``coverage`` (dataset, period,
    settlements, located: how many had a point), ``enclaves`` (one row per enclave's part in
    the area: dataset, period, group, enclave, settlements, count, total, share) and, when
    two periods are loaded (e.g. 2009 and 2021), ``change`` between the earliest and the
    latest (:func:`kelisim.measure.enclaves.compare_enclaves`, by shared settlement codes)."""
    from kelisim.measure.enclaves import compare_enclaves
    from kelisim.store import workbooks

    coverage = workbooks.settlement_coverage(con, area, boundaries)
    members = workbooks.settlement_enclaves(con, area)
    result = {"coverage": coverage.to_dict("records"), "enclaves": [], "change": []}
    if members.empty:
        return result
    members = members.rename(columns={"group_code": "group"})
    first = members.groupby("period")["dataset"].min()  # one dataset per period
    members = members[members["dataset"] == members["period"].map(first)]
    summary = members.groupby(["dataset", "period", "group", "enclave"], sort=False).agg(
        settlements=("area_code", "size"), count=("count", "sum"), total=("total", "sum"))
    summary = summary.reset_index().sort_values(["period", "group", "count"],
                                                ascending=[True, True, False])
    summary["share"] = summary["count"] / summary["total"]
    result["enclaves"] = summary.to_dict("records")
    periods = sorted(first.index)
    if len(periods) > 1:
        before, after = (members[members["period"] == p].rename(columns={"area_code": "area"})
                         for p in (periods[0], periods[-1]))
        sums = {p: summary[summary["period"] == p] for p in (periods[0], periods[-1])}
        change = compare_enclaves(before[["area", "group", "enclave"]],
                                  after[["area", "group", "enclave"]],
                                  sums[periods[0]], sums[periods[-1]])
        change = change.assign(before=periods[0], after=periods[-1]).astype(object)
        result["change"] = change.where(change.notna(), None).to_dict("records")
    return result


def area_incidents(con: duckdb.DuckDBPyConnection, area: str) -> list[dict]:
    """The incidents of an area (as place or as region) of every year, newest first: the one
    list its page and its brief show."""
    return incidents(con, area=area, limit=100)


def area_alerts(con: duckdb.DuckDBPyConnection, area: str) -> list[dict]:
    """The alerts of an area, newest first: the one list its page and its brief show."""
    return alerts(con, area=area, limit=200)


def area_detail(
    con: duckdb.DuckDBPyConnection, area: str, lang: str, boundaries: str = "2024"
) -> dict | None:
    """Everything the area page shows (population in the borders of ``boundaries``), or None
    for an unknown area."""
    info = next((a for a in areas(con, lang) if a["area_code"] == area), None)
    if info is None:
        return None
    from kelisim.store import workbooks

    rows = composition(con, area=area, boundaries=boundaries, totals=True)
    groups_rows = [r for r in rows if r["group"] != "total"]
    latest = max((r["period"] for r in groups_rows if r["count"] is not None), default=None)
    from kelisim.core.areas import name_history

    return {
        "partial_groups": partial_groups(rows),
        "settlement_indices": workbooks.settlement_indices(con, area, boundaries)
        .to_dict("records"),
        "settlement_enclaves": settlement_enclaves(con, area, boundaries),
        "area_code": area,
        "name": info["name"],
        "name_history": name_history(area, lang if lang in LANGUAGES else "en",
                                     info["boundary_version"]),
        "level": info["level"],
        "boundaries": boundaries,
        "in_boundaries": population_store.area_in_version(con, area, boundaries),
        "population": [{"period": r["period"], "count": r["count"]} for r in rows
                       if r["group"] == "total" and r["count"] is not None],
        "composition": groups_rows,
        "indices": diversity(con, latest, [area], boundaries) if latest is not None else [],
        "segregation": segregation(con, area, latest, boundaries) if latest is not None else [],
        "projections": projections(con, area),
        "tension": area_alerts(con, area),
        "incidents": area_incidents(con, area),
        "flagged": flagged(con, area=area, limit=20),
    }
