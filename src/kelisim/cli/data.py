"""`kelisim data ...`: list, show, import and export population datasets."""

from __future__ import annotations

from pathlib import Path

import typer

from kelisim.cli.output import format_option, out_option, render

data_app = typer.Typer(help="Population datasets: list, show, import, export, delete.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `data` command group to the main app."""
    app.add_typer(data_app, name="data")


def parse_periods(values: list[str] | None) -> list[int] | None:
    """'2021', '2000-2005' or '1999,2009' into a list of years."""
    from kelisim.errors import ArgumentError

    if not values:
        return None
    years: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            try:
                if "-" in part:
                    low, high = (int(x) for x in part.split("-", 1))
                    years.extend(range(low, high + 1))
                elif part:
                    years.append(int(part))
            except ValueError:
                raise ArgumentError("--period", f"'{part}' is not a year or a range like "
                                    "2000-2005") from None
    return years


def year_ranges(years) -> str:
    """Years as a user types them to --period: '1897, 1926, 2023-2025'."""
    spans: list[list[int]] = []
    for year in sorted(set(years)):
        if spans and year == spans[-1][1] + 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def tidy_rows(frame):
    """The tidy CSV columns: area_code, group, period, count, share, source_id (counts as
    integers where whole; the published share where there is one)."""
    out = frame.rename(columns={"area": "area_code"})[
        ["area_code", "group", "period", "count", "share", "source_id"]].copy()
    counts = out["count"]
    if (counts.dropna() % 1 == 0).all():
        out["count"] = counts.round().astype("Int64")
    return out


@data_app.command("list")
def list_command(
    output_format: str = format_option(),
    out: Path | None = out_option(),
) -> None:
    """List the population datasets in the store (bundled and imported)."""
    from kelisim.datasets import list_datasets, open_store

    con = open_store(read_only=True)
    render(list_datasets(con), output_format, title="kelisim datasets", out=out)


@data_app.command("show")
def show_command(
    name: str = typer.Argument(..., help="Dataset name, e.g. census_national."),
    period: list[str] = typer.Option(None, "--period", help="Year, range 2000-2005 or list."),
    area: list[str] = typer.Option(None, "--area", help="KATO code or area name (repeatable)."),
    group: list[str] = typer.Option(None, "--group", help="Group code or name (repeatable)."),
    boundaries: str = typer.Option(None, "--boundaries",
                                   help="Show in the borders of 2018 or 2024 (or 2000)."),
    output_format: str = format_option(),
    out: Path | None = out_option(),
) -> None:
    """Show a dataset; csv prints tidy rows area_code,group,period,count,share,source_id."""
    from kelisim.core.areas import LATEST, check_version, lookup_area
    from kelisim.core.groups import default_registry
    from kelisim.core.numbers import format_share
    from kelisim.datasets import open_store, population_frame

    if boundaries is not None:
        check_version(boundaries)
    registry = default_registry()
    groups = [registry.lookup(g, allow_total=True) for g in group] if group else None
    areas = [lookup_area(a, boundaries or LATEST) for a in area] if area else None
    con = open_store(read_only=True)
    periods = parse_periods(period)
    frame = population_frame(con, name, periods=periods, areas=areas, groups=groups,
                             boundaries=boundaries)
    if frame.empty and periods:
        from kelisim.errors import ArgumentError

        known = set(population_frame(con, name)["period"])
        if not known & set(periods):
            raise ArgumentError("--period", f"dataset '{name}' has no period "
                                f"{year_ranges(periods)}; its periods are {year_ranges(known)}")
    if output_format == "table":
        shown = frame[["area", "group", "period", "count", "share", "source_id",
                       "boundary_version"]].copy()
        shown.insert(1, "area_name", area_names(shown["area"], shown["boundary_version"]))
        # counts split across new borders are estimates: whole persons, not raw floats
        shown["count"] = shown["count"].astype(float).round()
        shown["share"] = [format_share(v, decimals=2) for v in shown["share"]]
        render(shown, "table", title=name, out=out)
    else:
        render(tidy_rows(frame), output_format, out=out)


def area_names(codes, versions) -> list[str]:
    """English names of KATO codes, each in its row's boundary version."""
    from kelisim.core.areas import LATEST, areas

    tables: dict[str, dict[str, str]] = {}
    names = []
    for code, version in zip(codes, versions, strict=True):
        version = version if isinstance(version, str) and version else LATEST
        if version not in tables:
            table = areas(version)
            tables[version] = dict(zip(table["area_code"], table["name_en"], strict=True))
        names.append(tables[version].get(code, ""))
    return names


@data_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="CSV (UTF-8), .xlsx or .parquet file."),
    name: str = typer.Option(None, "--name", help="Dataset name (default: the file name)."),
    layout: str = typer.Option("auto", "--format",
                               help="long (area, group, period, count), wide, or auto."),
    boundaries: str = typer.Option("2024", "--boundaries",
                                   help="Boundary version of the area codes."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite an imported dataset."),
    recipe: str = typer.Option(
        None, "--layout",
        help="Official workbook layout: bns-census-2021, bns-regions-wide or a recipe .toml "
             "(default: recognised from the workbook's sheets)."),
    points: Path = typer.Option(
        None, "--points",
        help="Official workbook: a CSV of settlement points (KATO code, lat, lon in degrees) "
             "for the enclaves among settlements, besides the bundled gazetteer's."),
    neighbours: int = typer.Option(
        6, "--neighbours", min=1,
        help="Official workbook: nearest settlements each settlement is compared with."),
) -> None:
    """Import a population table or an official workbook; a bad row stops the import and
    changes nothing."""
    from rich.progress import Progress

    from kelisim.datasets import open_store
    from kelisim.datasets.io import dataset_name, import_population, read_population

    if recipe is not None or file.suffix.lower() in (".xlsx", ".xlsm"):
        from kelisim.datasets import workbook

        chosen = workbook.load_recipe(recipe) if recipe else workbook.detect_recipe(file)
        if chosen is not None:
            table = workbook.read_workbook(file, chosen)  # every check before the store opens
            report = workbook.import_workbook(open_store(), file, chosen, name=name,
                                              replace=replace, table=table, points=points,
                                              neighbours=neighbours)
            typer.echo(workbook.describe_import(report))
            return
    if points is not None:
        from kelisim.errors import ArgumentError

        raise ArgumentError("--points", f"settlement points go with an official workbook with "
                            f"settlements; '{file.name}' is a plain population table")
    rows = read_population(file, layout, boundaries)  # validate before opening the store
    con = open_store()
    with Progress(transient=True, disable=len(rows) < 50_000) as progress:
        task = progress.add_task("importing", total=len(rows))
        written = import_population(
            con, file, name=name, layout=layout, boundaries=boundaries, replace=replace,
            rows=rows, progress=lambda done, total: progress.update(task, completed=done),
        )
    typer.echo(f"imported {written} rows as '{name or dataset_name(file)}'")


@data_app.command("settlements")
def settlements_command(
    area: str = typer.Argument(..., help="KATO code or name of a district, region or the "
                                         "country."),
    boundaries: str = typer.Option("2024", "--boundaries",
                                   help="Borders of 2024 or of the workbook (2018)."),
    output_format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """The settlement-level picture of an area from the imported workbooks: segregation among
    its settlements (M and H, between/within), the enclaves among the settlements with
    coordinates, how many have none, and the enclaves' change between censuses."""
    import json

    import pandas as pd

    from kelisim.core.areas import check_version, lookup_area
    from kelisim.datasets import open_store
    from kelisim.datasets.workbook import describe_coverage
    from kelisim.errors import ArgumentError
    from kelisim.store import workbooks
    from kelisim.views.queries import settlement_enclaves

    check_version(boundaries)
    if output_format not in ("table", "json"):
        raise ArgumentError("--format", f"unknown format '{output_format}'; use table or json")
    code = lookup_area(area, boundaries)
    con = open_store(read_only=True)
    indices = workbooks.settlement_indices(con, code, boundaries)
    found = settlement_enclaves(con, code, boundaries)
    if output_format == "json":
        typer.echo(json.dumps({"area": code, "indices": indices.to_dict("records"), **found},
                              ensure_ascii=False, default=str))
        return
    if indices.empty and not found["coverage"]:
        typer.echo(f"no imported workbook has settlements in {code}")
        return
    if not indices.empty:
        render(indices.round({"value": 4}), "table",
               title=f"segregation among the settlements of {code}")
    for row in found["coverage"]:
        typer.echo(f"{row['dataset']} ({row['period']}): "
                   f"{describe_coverage(row['settlements'], row['located'])}")
    if found["enclaves"]:
        render(pd.DataFrame(found["enclaves"]), "table", title="enclaves among settlements")
    elif found["coverage"]:
        typer.echo("no enclave found among the settlements with coordinates")
    if found["change"]:
        render(pd.DataFrame(found["change"]), "table", title="change of the enclaves")


@data_app.command("delete")
def delete_command(
    name: str = typer.Argument(..., help="Name of an imported dataset (see `kelisim data list`)."),
) -> None:
    """Delete an imported dataset and what was derived from it, with an audit entry."""
    from kelisim import store
    from kelisim.datasets import open_store
    from kelisim.store.lifecycle import delete_dataset

    con = open_store()
    with store.transaction(con):
        removed = delete_dataset(con, name)
    typer.echo(f"deleted dataset '{name}': {removed} rows")


@data_app.command("export")
def export_command(
    name: str = typer.Argument(..., help="Dataset name."),
    file: Path = typer.Argument(..., help="Output file: .csv, .xlsx or .parquet."),
    layout: str = typer.Option("long", "--format", help="long or wide."),
    boundaries: str = typer.Option(None, "--boundaries", help="Export in these borders."),
) -> None:
    """Export a dataset to CSV, Excel or Parquet (chosen by the file suffix)."""
    from kelisim.cli.output import check_folder, write
    from kelisim.datasets import open_store, population_frame
    from kelisim.datasets.io import export_population, file_format

    file_format(file)
    check_folder(file, "FILE")
    con = open_store(read_only=True)
    frame = population_frame(con, name, boundaries=boundaries)
    written = write(file, lambda path: export_population(frame, path, layout), "FILE")
    typer.echo(f"wrote {written} rows to {file}")
