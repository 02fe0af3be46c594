"""Enclaves: contiguous clusters of significant over-concentration of a group, and their change.

For each group, every area gets its share, location quotient, local Moran's I and Gi* on the
group's share (kelisim.measure.local). An area is *over-concentrated* when it is a hot spot
(Gi* z > 0, method ``gi_star``) or High-High (z_i > 0 and lag > 0, method ``moran``) and its
one-sided p-value passes Benjamini-Hochberg FDR control at ``fdr`` across the areas. The
pseudo p-value comes from conditional permutation (>= 999 draws by default; Gi* and local
Moran share it, since for z_i > 0 both rank the same permuted lags); with ``permutations=0``
the analytic z is used. Enclaves are the connected components of over-concentrated areas in
the (symmetrised) weights graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from kelisim.errors import ArgumentError
from kelisim.measure.local import (
    benjamini_hochberg,
    getis_ord_g_star,
    local_moran,
    location_quotients,
)
from kelisim.measure.spatial import validate_counts
from kelisim.measure.weights import SpatialWeights, row_standardize

METHODS = ("gi_star", "moran")


@dataclass(frozen=True)
class Enclaves:
    """``local``: one row per area and group; ``members``: area -> enclave; ``summary``: one
    row per enclave."""

    local: pd.DataFrame
    members: pd.DataFrame
    summary: pd.DataFrame


def local_table(
    counts,
    weights: SpatialWeights,
    names: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    permutations: int = 999,
    seed=0,
    fdr: float = 0.05,
    method: str = "gi_star",
) -> pd.DataFrame:
    """Per area and group: count, share, location quotient, local Moran, Gi*, p-values and the
    over-concentration flag, as a tidy frame."""
    if method not in METHODS:
        raise ArgumentError("method", f"unknown method {method!r}; use gi_star or moran")
    if not 0 < fdr < 1:
        raise ArgumentError("fdr", f"must be between 0 and 1, got {fdr}")
    if permutations < 0:
        raise ArgumentError("permutations", "must be zero or positive")
    values, group_names = validate_counts(counts, names)
    if weights.n != values.shape[0]:
        raise ArgumentError("weights", f"weights cover {weights.n} areas, counts {len(values)}")
    chosen = list(group_names) if groups is None else list(groups)
    unknown = [g for g in chosen if g not in group_names]
    if unknown:
        raise ArgumentError("groups", f"no group {unknown[0]!r} in the counts")
    totals = values.sum(axis=1)
    inhabited = totals > 0
    if not inhabited.any():
        raise ArgumentError("counts", "every area has zero population")
    quotients = location_quotients(values)
    frames = []
    for group in chosen:
        k = group_names.index(group)
        # one stream per group, so a group's result does not depend on which others are run
        rng = (
            seed.spawn(1)[0]
            if isinstance(seed, np.random.Generator)
            else np.random.default_rng([seed, k])
        )
        share = np.full(len(totals), np.nan)
        share[inhabited] = values[inhabited, k] / totals[inhabited]
        frame = pd.DataFrame(
            {
                "area": weights.ids,
                "group": group,
                "count": values[:, k],
                "total": totals,
                "share": share,
                "location_quotient": quotients[:, k],
            }
        )
        frames.append(
            frame.join(_group_statistics(share, inhabited, weights.matrix, permutations, rng))
        )
    table = pd.concat(frames, ignore_index=True)
    return _flag(table, permutations, fdr, method)


def _group_statistics(share, inhabited, matrix, permutations, rng) -> pd.DataFrame:
    """Local Moran and Gi* over inhabited areas (empty areas have no share: NaN rows)."""
    n = len(share)
    columns = {
        name: np.full(n, np.nan)
        for name in ("moran_i", "moran_z", "lag", "gi_star", "gi_star_z", "p_sim")
    }
    index = np.flatnonzero(inhabited)
    sub = sp.csr_array(matrix)[index][:, index]
    values = share[index]
    if np.ptp(values) > 0:
        moran = local_moran(values, sub, permutations=0)
        gi = getis_ord_g_star(values, sub, permutations, rng)
        columns["moran_i"][index] = moran.statistic
        columns["moran_z"][index] = moran.z
        columns["lag"][index] = row_standardize(sub) @ (values - values.mean())
        columns["gi_star"][index] = gi.statistic
        columns["gi_star_z"][index] = gi.z
        if gi.p_upper is not None:
            columns["p_sim"][index] = gi.p_upper
    return pd.DataFrame(columns)


def _flag(table: pd.DataFrame, permutations: int, fdr: float, method: str) -> pd.DataFrame:
    from scipy import stats

    z_column = "gi_star_z" if method == "gi_star" else "moran_z"
    p_value = table["p_sim"] if permutations else pd.Series(stats.norm.sf(table[z_column]))
    table["p_value"] = p_value.to_numpy()
    table["p_adjusted"] = table.groupby("group", sort=False)["p_value"].transform(
        lambda p: benjamini_hochberg(p.to_numpy())
    )
    if method == "gi_star":
        direction = table["gi_star_z"] > 0
    else:
        direction = (table["share"] > table.groupby("group")["share"].transform("mean")) & (
            table["lag"] > 0
        )
    table["over_concentrated"] = direction & (table["p_adjusted"] <= fdr)
    return table


def delineate(
    table: pd.DataFrame, weights: SpatialWeights, min_areas: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enclaves as connected over-concentrated areas: (members, summary).

    Enclave ids are ``GROUP-1``, ``GROUP-2``, ... by descending group count.
    """
    graph = sp.csr_array(weights.matrix)
    graph = sp.csr_array((graph + graph.T) != 0)
    position = pd.Series(np.arange(weights.n), index=pd.Index(weights.ids))
    members, summaries = [], []
    for group, rows in table.groupby("group", sort=False):
        hot = rows[rows["over_concentrated"].to_numpy()]
        if hot.empty:
            continue
        nodes = position.loc[hot["area"].to_numpy()].to_numpy()
        _, labels = connected_components(graph[nodes][:, nodes], directed=False)
        hot = hot.assign(component=labels)
        stats = hot.groupby("component").agg(
            areas=("area", "size"), count=("count", "sum"), total=("total", "sum")
        )
        stats = stats[stats["areas"] >= min_areas]
        stats = stats.sort_values(["count", "areas"], ascending=False)
        ids = {c: f"{group}-{i + 1}" for i, c in enumerate(stats.index)}
        kept = hot[hot["component"].isin(ids)]
        members.append(
            pd.DataFrame(
                {"area": kept["area"], "group": group, "enclave": kept["component"].map(ids)}
            )
        )
        summaries.append(
            pd.DataFrame(
                {
                    "group": group,
                    "enclave": [ids[c] for c in stats.index],
                    "areas": stats["areas"].to_numpy(),
                    "count": stats["count"].to_numpy(),
                    "total": stats["total"].to_numpy(),
                    "share": (stats["count"] / stats["total"]).to_numpy(),
                }
            )
        )
    member_columns = ["area", "group", "enclave"]
    summary_columns = ["group", "enclave", "areas", "count", "total", "share"]
    return (
        pd.concat(members, ignore_index=True) if members else pd.DataFrame(columns=member_columns),
        pd.concat(summaries, ignore_index=True)
        if summaries
        else pd.DataFrame(columns=summary_columns),
    )


def find_enclaves(
    counts,
    weights: SpatialWeights,
    names: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    permutations: int = 999,
    seed=0,
    fdr: float = 0.05,
    method: str = "gi_star",
    min_areas: int = 1,
) -> Enclaves:
    """The whole pipeline: local statistics, FDR-controlled flags, enclave delineation."""
    table = local_table(counts, weights, names, groups, permutations, seed, fdr, method)
    members, summary = delineate(table, weights, min_areas)
    return Enclaves(table, members, summary)


def compare_enclaves(
    before: pd.DataFrame, after: pd.DataFrame, summary_before=None, summary_after=None
) -> pd.DataFrame:
    """Match the enclaves of two periods by shared member areas (members tables).

    Pairs are matched greedily by descending Jaccard overlap of member areas, per group.
    Status: ``new`` (no match before), ``dissolved`` (no match after), ``grown`` / ``shrunk`` /
    ``stable`` by member-area count; an unmatched enclave overlapping a matched one is
    ``merged`` (before) or ``split`` (after). Counts come from the summaries when given.
    """
    sizes_before = before.groupby("enclave")["area"].size()
    sizes_after = after.groupby("enclave")["area"].size()
    overlap = before.merge(after, on=["area", "group"], suffixes=("_before", "_after"))
    pairs = (
        overlap.groupby(["group", "enclave_before", "enclave_after"]).size().rename("shared")
    ).reset_index()
    # astype(float): with no enclave in one period the mapped columns stay empty strings
    pairs["jaccard"] = pairs["shared"] / (
        pairs["enclave_before"].map(sizes_before).astype(float)
        + pairs["enclave_after"].map(sizes_after).astype(float)
        - pairs["shared"]
    )
    pairs = pairs.sort_values(["jaccard", "shared"], ascending=False, kind="stable")
    matched_before: dict[str, str] = {}
    matched_after: set[str] = set()
    rows = []
    for pair in pairs.itertuples(index=False):
        if pair.enclave_before in matched_before or pair.enclave_after in matched_after:
            continue
        matched_before[pair.enclave_before] = pair.enclave_after
        matched_after.add(pair.enclave_after)
        a, b = sizes_before[pair.enclave_before], sizes_after[pair.enclave_after]
        status = "grown" if b > a else "shrunk" if b < a else "stable"
        rows.append((pair.group, pair.enclave_before, pair.enclave_after, status, pair.shared))
    overlapping_before = set(pairs["enclave_before"])
    overlapping_after = set(pairs["enclave_after"])
    for enclave, group in before.groupby("enclave")["group"].first().items():
        if enclave not in matched_before:
            status = "merged" if enclave in overlapping_before else "dissolved"
            rows.append((group, enclave, None, status, 0))
    for enclave, group in after.groupby("enclave")["group"].first().items():
        if enclave not in matched_after:
            status = "split" if enclave in overlapping_after else "new"
            rows.append((group, None, enclave, status, 0))
    result = pd.DataFrame(
        rows, columns=["group", "enclave_before", "enclave_after", "status", "shared_areas"]
    )
    result["areas_before"] = result["enclave_before"].map(sizes_before)
    result["areas_after"] = result["enclave_after"].map(sizes_after)
    for label, summary in (("before", summary_before), ("after", summary_after)):
        if summary is not None:
            counts = summary.set_index("enclave")["count"]
            result[f"count_{label}"] = result[f"enclave_{label}"].map(counts)
    return result.sort_values(["group", "status"], kind="stable").reset_index(drop=True)


def enclaves_geojson(
    members: pd.DataFrame, summary: pd.DataFrame, geometries: np.ndarray, ids
) -> dict:
    """A GeoJSON FeatureCollection: one dissolved (multi)polygon per enclave with its summary."""
    import shapely

    position = pd.Series(np.arange(len(ids)), index=pd.Index(np.asarray(ids)))
    features = []
    for record in summary.to_dict(orient="records"):
        areas = members.loc[members["enclave"] == record["enclave"], "area"]
        shape = shapely.union_all(geometries[position.loc[areas.to_numpy()].to_numpy()])
        properties = {
            key: (value.item() if isinstance(value, np.generic) else value)
            for key, value in record.items()
        }
        properties["member_areas"] = [str(a) for a in areas]
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": shapely.geometry.mapping(shape),
            }
        )
    return {"type": "FeatureCollection", "features": features}
