"""The job `make run` starts: build the embedded database if needed (with the bundled
projections the dashboard shows), then print Kazakhstan's ethnic composition at the censuses
1989, 1999, 2009 and 2021 and how it changed."""

from __future__ import annotations

import pandas as pd

CENSUSES = (1989, 1999, 2009, 2021)
REMAINDER = "all other groups"


def census_summary(frame: pd.DataFrame, periods: tuple[int, ...] = CENSUSES) -> pd.DataFrame:
    """Counts and shares by group and census, and the change of each share in percentage points.

    ``frame`` is the tidy national table (group, period, count) including ``total``. Groups
    counted at every census are kept; the rest of the total is one computed remainder row.
    Returns one row per group with columns ``count_<year>``, ``share_<year>`` and
    ``change_<from>_<to>`` (percentage points) between consecutive censuses and first to last.
    """
    counted = frame[frame["period"].isin(periods) & frame["count"].notna()]
    table = counted.pivot_table(index="group", columns="period", values="count", aggfunc="sum")
    table = table.reindex(columns=list(periods))
    totals = table.loc["total"]
    groups = table.drop(index="total").dropna()
    groups = groups.sort_values(periods[-1], ascending=False)
    groups.loc[REMAINDER] = totals - groups.sum()
    out = pd.DataFrame(index=groups.index)
    for year in periods:
        out[f"count_{year}"] = groups[year]
        out[f"share_{year}"] = groups[year] / totals[year]
    pairs = [*zip(periods[:-1], periods[1:], strict=True), (periods[0], periods[-1])]
    for start, end in pairs:
        out[f"change_{start}_{end}"] = 100 * (out[f"share_{end}"] - out[f"share_{start}"])
    out.loc["total"] = {**{f"count_{y}": totals[y] for y in periods},
                        **{f"share_{y}": 1.0 for y in periods},
                        **{f"change_{a}_{b}": 0.0 for a, b in pairs}}
    return out.rename_axis("group").reset_index()


def run_main_job() -> None:
    """Build the database if needed, then print the census summary as a rich table."""
    from rich.console import Console
    from rich.table import Table

    from kelisim import store
    from kelisim.config import database_location
    from kelisim.core.groups import default_registry
    from kelisim.core.numbers import format_count
    from kelisim.datasets import build_database, population_frame
    from kelisim.store import projections

    console = Console()
    con = store.connect()
    with console.status(f"Checking the database at {database_location()} (the first run "
                        "builds it from the bundled facts)…"):
        built = build_database(con)
    if built:
        console.print(f"Built the kelisim database at {database_location()}.")
    frame = population_frame(con, "census_national", periods=list(CENSUSES))
    projected = projections.projection_count(con)
    con.close()
    if not projected:
        from kelisim.forecast.pipeline import store_default_projections

        with console.status("Projecting the bundled scenarios (first run only)…"):
            runs = store_default_projections()
        console.print(f"Stored the bundled projections: {', '.join(runs)}.")
    summary = census_summary(frame)
    registry = default_registry()
    names = [code if code == REMAINDER else registry.name(code) for code in summary["group"]]
    pairs = [c for c in summary.columns if c.startswith("change_")]
    counts = Table(title="Kazakhstan: population by ethnic group at the censuses")
    shares = Table(title="Share of the population (%) and its change (percentage points)")
    for table in (counts, shares):
        table.add_column("group")
    for year in CENSUSES:
        counts.add_column(str(year), justify="right")
        shares.add_column(str(year), justify="right")
    for column in pairs:
        _, start, end = column.split("_")
        shares.add_column(f"{start[2:]}→{end[2:]}", justify="right")
    for name, row in zip(names, summary.to_dict("records"), strict=True):
        last = row["group"] == REMAINDER
        counts.add_row(name, *[format_count(row[f"count_{y}"]) for y in CENSUSES],
                       end_section=last)
        changes = [f"{round(row[c], 1) + 0.0:+.1f}" if row["group"] != "total" else ""
                   for c in pairs]
        shares.add_row(name, *[f"{100 * row[f'share_{y}']:.1f}" for y in CENSUSES], *changes,
                       end_section=last)
    console.print(counts)
    console.print(shares)
    console.print(
        "Notes: 1989 counts and total are the present (наличное) population of the 1989 census "
        "(the permanent population was 16,199.1 thousand); the 2009 total is the preliminary "
        "16,004.8 thousand. 'all other groups' is the total minus the groups listed. Sources: "
        "`kelisim data show census_national`."
    )
