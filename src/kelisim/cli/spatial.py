"""`kelisim enclaves`: find contiguous clusters of significant over-concentration of groups."""

from __future__ import annotations

from pathlib import Path

import typer

from kelisim.cli.measure import project_option, read_counts
from kelisim.cli.output import check_format, emit, render
from kelisim.errors import ArgumentError, InputError

FORMATS = ("table", "csv", "json", "parquet", "geojson")


def register(app: typer.Typer) -> None:
    """Add ``kelisim enclaves`` to the main app."""

    @app.command()
    def enclaves(
        input_path: str = typer.Argument(
            ..., metavar="INPUT", help="Tidy CSV, Excel or Parquet counts."
        ),
        area: str = typer.Option("area", "--area", help="Column with area ids."),
        group: str = typer.Option("group", "--group", help="Column with group codes."),
        count: str = typer.Option("count", "--count", help="Column with counts."),
        geometry: str = typer.Option(
            ..., "--geometry", help="Polygons (any file geopandas reads)."
        ),
        geometry_id: str = typer.Option(
            None, "--geometry-id", help="Id column in the geometry file (default: auto)."
        ),
        weights: str = typer.Option(
            "queen", "--weights", help="queen, rook, knn:K, distance:D or kernel:FUNCTION:BW."
        ),
        project: str = project_option(),
        groups: str = typer.Option(None, "--groups", help="Comma-separated groups (default all)."),
        permutations: int = typer.Option(999, "--permutations", help="Conditional permutations."),
        seed: int = typer.Option(0, "--seed", help="Seed of the permutation generator."),
        fdr: float = typer.Option(0.05, "--fdr", help="Benjamini-Hochberg false discovery rate."),
        method: str = typer.Option("gi_star", "--method", help="gi_star (hot spots) or moran."),
        min_areas: int = typer.Option(1, "--min-areas", help="Smallest enclave, in areas."),
        compare: str = typer.Option(None, "--compare", help="Later-period counts to compare."),
        local: bool = typer.Option(False, "--local", help="Print the per-area local table."),
        output_format: str = typer.Option(
            "table", "--format", help="table, csv, json, parquet or geojson."
        ),
        out: Path = typer.Option(None, "--out", help="Write to this file instead of stdout."),
    ) -> None:
        """Find enclaves: contiguous areas where a group is significantly over-concentrated."""
        import json

        from kelisim.measure.enclaves import compare_enclaves, enclaves_geojson, find_enclaves
        from kelisim.measure.weights import read_area_geometry, weights_from_geometry

        check_format(output_format, out, FORMATS)
        if local and output_format == "geojson":
            raise ArgumentError("--local", "the local table has no GeoJSON form; use csv or json")
        _, counts, ids, names = read_counts(input_path, area, group, count)
        chosen = [g.strip() for g in groups.split(",")] if groups else None
        shapes, geographic, unit = read_area_geometry(geometry, ids, geometry_id, project)
        spatial = weights_from_geometry(shapes, ids, weights, geographic, unit)
        options = dict(
            groups=chosen,
            permutations=permutations,
            seed=seed,
            fdr=fdr,
            method=method,
            min_areas=min_areas,
        )
        found = find_enclaves(counts, spatial, names, **options)
        result = found
        comparison = None
        if compare:
            _, later_counts, later_ids, later_names = read_counts(compare, area, group, count)
            if set(later_ids) != set(ids):
                raise InputError(compare, None, area, "the two periods must cover the same areas")
            order = {a: i for i, a in enumerate(later_ids)}
            later_counts = later_counts[[order[a] for a in ids]]
            result = find_enclaves(later_counts, spatial, later_names, **options)
            comparison = compare_enclaves(
                found.members, result.members, found.summary, result.summary
            )
        if result.summary.empty and not local:
            why = why_no_enclaves(result.local, fdr, min_areas)
            if output_format == "table" and (comparison is None or comparison.empty):
                emit(why + "\n", out)
                return
            typer.echo(why, err=True)
        if output_format == "geojson":
            summary = result.summary
            if comparison is not None:
                status = comparison.dropna(subset=["enclave_after"]).set_index("enclave_after")
                summary = summary.assign(status=summary["enclave"].map(status["status"]))
            emit(json.dumps(enclaves_geojson(result.members, summary, shapes, ids), indent=1)
                 + "\n", out)
            return
        frame = result.local if local else comparison if comparison is not None else result.summary
        render(frame, output_format, out=out)


def why_no_enclaves(local, fdr: float, min_areas: int) -> str:
    """One line saying why no enclave was found: no area significant at the FDR level, or no
    cluster of significant areas as large as --min-areas."""
    if not local["over_concentrated"].any():
        return (f"no enclaves: no area is significantly over-concentrated at the false "
                f"discovery rate {fdr:g} (--fdr).")
    return (f"no enclaves: no cluster of significantly over-concentrated areas has "
            f"{min_areas} areas or more (--min-areas).")
