"""`kelisim measure`: segregation and diversity indices of a tidy counts file."""

from __future__ import annotations

from pathlib import Path

import typer

from kelisim.cli.output import check_format, format_option, out_option, render
from kelisim.errors import ArgumentError, InputError


def project_option():
    """`--project` of `kelisim measure` and `kelisim enclaves`: reproject the geometry first."""
    return typer.Option(
        None, "--project", help="Reproject the geometry first: a CRS (e.g. EPSG:32642), or "
        "'auto' for the local UTM zone (needed for distance weights on lon/lat files)."
    )


def register(app: typer.Typer) -> None:
    """Add the `measure` command to the kelisim app."""
    app.command("measure")(measure)


def measure(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT", help="CSV, Excel or Parquet file with one row per area and group."
    ),
    area: str = typer.Option("area", "--area", help="Column with the area id."),
    group: str = typer.Option("group", "--group", help="Column with the group code."),
    count: str = typer.Option("count", "--count", help="Column with the number of persons."),
    within: str | None = typer.Option(
        None,
        "--within",
        help="Column with each area's higher-level unit: adds the between/within split of M, H.",
    ),
    index: str | None = typer.Option(
        None,
        "--index",
        help="Comma-separated index names, or 'all' (default: every deterministic index).",
    ),
    geometry: Path | None = typer.Option(
        None, "--geometry", help="Polygon file of the areas, for spatial indices."
    ),
    weights: str | None = typer.Option(
        None, "--weights", help="Spatial weights: queen, rook, knn:K or distance:D."
    ),
    project: str | None = project_option(),
    decay_scale: float | None = typer.Option(
        None,
        "--decay-scale",
        help="Distance-decay scale in the CRS's units (default: 1 mile when the CRS is in metres).",
    ),
    bootstrap: int = typer.Option(
        0, "--bootstrap", help="Bootstrap replicates for bias-corrected values and 95% limits."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for every random step."),
    output_format: str = format_option(),
    out: Path | None = out_option(),
) -> None:
    """Print segregation and diversity indices as rows index, group, value (+ lower, upper)."""
    import pandas as pd

    from kelisim.measure.aspatial import ALL_INDICES, resolve_indices

    check_format(output_format, out)
    if (geometry is None) != (weights is None):
        raise ArgumentError("--weights", "spatial indices need both --geometry and --weights")
    if project is not None and geometry is None:
        raise ArgumentError("--project", "reprojecting needs --geometry and --weights")
    if bootstrap < 0 or bootstrap == 1:
        raise ArgumentError("--bootstrap", f"use 0 (off) or at least 2 replicates, not {bootstrap}")
    frame, counts, areas, groups = read_counts(input_path, area, group, count)
    requested = None if index is None else [n.strip() for n in index.split(",") if n.strip()]
    if requested == ["all"]:
        aspatial_names, spatial_names = list(ALL_INDICES), None
    elif requested is None:
        aspatial_names, spatial_names = resolve_indices(None), None
    else:
        aspatial_names = [n for n in requested if n in ALL_INDICES]
        spatial_names = [n for n in requested if n not in ALL_INDICES]
        if spatial_names and weights is None:
            raise ArgumentError(
                "--index",
                f"unknown index {spatial_names[0]!r} (spatial indices need --geometry and "
                f"--weights); aspatial indices: {', '.join(ALL_INDICES)}",
            )
    parts = [_aspatial_part(groups, aspatial_names, seed)] if aspatial_names else []
    if within is not None:
        parts.append(_within_part(frame, area, within, areas, str(input_path)))
    if weights is not None and spatial_names != []:
        parts.append(
            _spatial_part(geometry, areas, groups, weights, spatial_names, decay_scale, project)
        )

    def statistic(table):
        return pd.concat([part(table) for part in parts], ignore_index=True)

    if bootstrap:
        from kelisim.measure.inference import bootstrap as run_bootstrap

        result = run_bootstrap(counts, statistic, bootstrap, seed)
        result = result[["index", "group", "value", "lower", "upper"]]
    else:
        result = statistic(counts)
    render(result.round(6) if output_format == "table" else result, output_format, out=out)


def read_counts(path: str | Path, area: str, group: str, count: str):
    """Read a tidy CSV/Excel/Parquet counts file for ``kelisim measure`` and ``kelisim enclaves``
    with the reader of ``data import`` (:func:`kelisim.datasets.io.read_table`), so a bad file
    is reported in the same words.

    Returns (frame, counts[area, group], area ids, group names); every row is checked by
    :func:`kelisim.measure.aspatial.counts_from_long`, which raises the InputErrors.
    """
    from kelisim.datasets.io import read_table
    from kelisim.measure.aspatial import counts_from_long

    path = Path(path)
    if not path.exists():
        raise InputError(path, None, None, "file not found")
    frame = read_table(path)
    if frame.empty:
        raise InputError(path, 2, None, "no rows of counts below the header")
    counts, areas, groups = counts_from_long(frame, area, group, count, path=str(path))
    return frame, counts, areas, groups


def _aspatial_part(groups, names, seed):
    from kelisim.measure.aspatial import segregation_indices

    return lambda table: segregation_indices(table, groups, names, seed=seed)


def _within_part(frame, area, within, areas, path):
    import pandas as pd

    from kelisim.measure.information import decompose

    if within not in frame.columns:
        raise InputError(path, 1, within, f"no column {within!r}")
    labels = frame[[area, within]].astype(str).drop_duplicates()
    clash = labels[area].duplicated()
    if clash.any():
        raise InputError(
            path, None, within, f"area {labels[area][clash].iloc[0]} has more than one {within}"
        )
    per_area = labels.set_index(area)[within].reindex([str(a) for a in areas]).to_numpy()

    def part(table):
        rows = decompose(table, per_area)
        rows = rows[rows["component"] != "total"]
        return pd.DataFrame(
            {
                "index": rows["index"] + "_" + rows["component"],
                "group": "",
                "value": rows["value"],
            }
        )

    return part


def _spatial_part(geometry, areas, groups, spec, names, decay_scale, project):
    from kelisim.measure.spatial import spatial_indices
    from kelisim.measure.weights import build_weights

    weights = build_weights(geometry, areas, spec, project=project)
    return lambda table: spatial_indices(
        table, weights, names=groups, indices=names or None, decay_scale=decay_scale
    )
