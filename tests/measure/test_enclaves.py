"""Local statistics and enclaves (kelisim.measure.local, .enclaves, `kelisim enclaves`).

Independent references: esda's Moran_Local and G_Local (PySAL) for I_i, its moments, Gi* and
its z (Anselin 1995; Ord & Getis 1995); Benjamini & Hochberg (1995) worked by hand. Test
geometry and counts are constructed here (a 10 x 10 lattice with planted clusters).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely

from cli_support import run_main
from kelisim.errors import ArgumentError
from kelisim.measure.enclaves import compare_enclaves, enclaves_geojson, find_enclaves
from kelisim.measure.local import (
    benjamini_hochberg,
    conditional_permutation_counts,
    getis_ord_g_star,
    local_entropy,
    local_moran,
    location_quotients,
)
from kelisim.measure.weights import weights_from_geometry
from spatial_grids import jittered_grid, synthetic_counts

SIDE = 10
N = SIDE * SIDE
POLYGONS = jittered_grid(SIDE, cell=1000.0)
IDS = np.array([f"{i:09d}" for i in range(N)])
QUEEN = weights_from_geometry(POLYGONS, IDS, "queen")
ROW, COLUMN = np.arange(N) // SIDE, np.arange(N) % SIDE


def planted(blocks, seed=0):
    """Background: group x 0-9 persons, group y 80-119 per area; +150 x in each block."""
    rng = np.random.default_rng(seed)
    counts = np.column_stack([rng.integers(0, 10, N), rng.integers(80, 120, N)]).astype(float)
    for rows, columns, extra in blocks:
        counts[np.isin(ROW, rows) & np.isin(COLUMN, columns), 0] += extra
    return counts


def test_location_quotients_and_local_entropy_closed_form():
    counts = np.array([[10.0, 0.0], [5.0, 5.0], [0.0, 0.0]])
    with np.errstate(invalid="ignore"):
        quotients = location_quotients(counts)
    # group a: 15 of 20 persons overall; area 1 is all a: LQ = 1 / 0.75
    assert quotients[0, 0] == pytest.approx(4 / 3) and quotients[1, 1] == pytest.approx(2.0)
    entropy = local_entropy(counts)
    assert entropy[0] == 0.0 and entropy[1] == pytest.approx(1.0) and np.isnan(entropy[2])


def test_benjamini_hochberg_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.2 times 4/rank: 0.04, 0.06, 0.0533, 0.2 -> running minimum
    adjusted = benjamini_hochberg([0.01, 0.04, 0.03, 0.2, np.nan])
    np.testing.assert_allclose(adjusted[:4], [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert np.isnan(adjusted[4])


def test_local_moran_and_gi_star_match_esda():
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    counts = synthetic_counts(N, 3)
    share = counts[:, 0] / counts.sum(axis=1)
    w = libpysal.weights.WSP(QUEEN.matrix).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # permutations=0: esda's permutation engine costs a minute of numba compilation
        moran_theirs = esda.Moran_Local(share, w, permutations=0)
        gi_theirs = esda.G_Local(share, w, transform="B", star=True, permutations=0)
    moran = local_moran(share, QUEEN.matrix, 999, seed=1)
    gi = getis_ord_g_star(share, QUEEN.matrix, 999, seed=1)
    np.testing.assert_allclose(moran.statistic, moran_theirs.Is, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(moran.expected, moran_theirs.EI, rtol=1e-9)
    np.testing.assert_allclose(moran.variance, moran_theirs.VI, rtol=1e-9)
    np.testing.assert_allclose(gi.statistic, gi_theirs.Gs, rtol=1e-9)
    np.testing.assert_allclose(gi.z, gi_theirs.Zs, rtol=1e-9)
    # Gi* and local Moran rank the same permuted lags (pysal-segregation-quirks note)
    np.testing.assert_array_equal(moran.p_sim, gi.p_sim)


def test_pseudo_p_values_approach_the_exact_conditional_distribution():
    # 8 areas on a line, each with its 2 nearest as neighbours: under conditional permutation
    # the neighbour pair is a uniformly random 2-subset of the 7 others (21 subsets), so the
    # exact one-sided p is the share of subsets whose sum reaches the observed lag.
    from itertools import combinations

    values = np.array([3.0, 9.0, 1.0, 7.0, 2.0, 8.0, 5.0, 4.0])
    cells = np.array([shapely.box(i, 0, i + 1, 1) for i in range(8)])
    matrix = weights_from_geometry(cells, np.arange(8), "knn:2").matrix
    observed = matrix @ values
    exact = [
        np.mean(
            [sum(pair) >= observed[i] - 1e-12 for pair in combinations(np.delete(values, i), 2)]
        )
        for i in range(8)
    ]
    greater, _ = conditional_permutation_counts(values, matrix, 20_000, seed=11)
    np.testing.assert_allclose(greater / 20_000, exact, atol=0.015)


def test_permutation_is_seeded_and_draws_distinct_neighbours():
    values = np.arange(6.0)
    matrix = weights_from_geometry(
        np.array([shapely.box(i, 0, i + 1, 1) for i in range(6)]), np.arange(6), "knn:5"
    ).matrix
    # with all 5 others as neighbours every permutation reproduces the observed lag exactly
    greater, lesser = conditional_permutation_counts(values, matrix, 199, seed=3)
    assert greater.tolist() == [199] * 6 and lesser.tolist() == [199] * 6
    counts = synthetic_counts(N, 2)
    first = local_moran(counts[:, 0], QUEEN.matrix, 99, seed=7).p_sim
    again = local_moran(counts[:, 0], QUEEN.matrix, 99, seed=7).p_sim
    np.testing.assert_array_equal(first, again)


def test_planted_cluster_is_found_and_nothing_else():
    counts = planted([(range(0, 3), range(0, 3), 150)])
    found = find_enclaves(counts, QUEEN, ["x", "y"], groups=["x"], seed=2)
    assert len(found.summary) == 1
    members = set(found.members["area"])
    block = set(IDS[(ROW < 3) & (COLUMN < 3)])
    assert members <= block and len(members) >= 6
    assert found.local.groupby("group").size().to_dict() == {"x": N}
    assert (found.local["p_adjusted"] >= found.local["p_value"]).all()


def test_moran_method_and_analytic_inference():
    counts = planted([(range(0, 3), range(0, 3), 150)])
    by_moran = find_enclaves(counts, QUEEN, ["x", "y"], groups=["x"], method="moran")
    analytic = find_enclaves(counts, QUEEN, ["x", "y"], groups=["x"], permutations=0)
    block = set(IDS[(ROW < 3) & (COLUMN < 3)])
    assert set(by_moran.members["area"]) <= block
    assert set(analytic.members["area"]) <= block and len(analytic.members) >= 6


def test_two_periods_compare():
    before = find_enclaves(planted([(range(0, 3), range(0, 3), 150)]), QUEEN, ["x", "y"])
    after_counts = planted(
        [(range(0, 5), range(0, 5), 150), (range(7, 10), range(7, 10), 200)], seed=1
    )
    after = find_enclaves(after_counts, QUEEN, ["x", "y"])
    table = compare_enclaves(before.members, after.members, before.summary, after.summary)
    statuses = dict(zip(table["enclave_after"].fillna("-"), table["status"], strict=True))
    grown = table[table["status"] == "grown"]
    assert len(grown) == 1 and grown["areas_after"].iloc[0] > grown["areas_before"].iloc[0]
    assert "new" in statuses.values()
    reverse = compare_enclaves(after.members, before.members)
    assert set(reverse["status"]) == {"shrunk", "dissolved"}
    same = compare_enclaves(before.members, before.members)
    assert set(same["status"]) == {"stable"}


def test_enclaves_as_geojson():
    found = find_enclaves(planted([(range(0, 3), range(0, 3), 150)]), QUEEN, ["x", "y"])
    collection = enclaves_geojson(found.members, found.summary, POLYGONS, IDS)
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["areas"] == len(feature["properties"]["member_areas"])
    json.dumps(collection)


def test_bad_input():
    counts = planted([])
    with pytest.raises(ArgumentError, match="method"):
        find_enclaves(counts, QUEEN, ["x", "y"], method="lisa")
    with pytest.raises(ArgumentError, match="fdr"):
        find_enclaves(counts, QUEEN, ["x", "y"], fdr=1.5)
    with pytest.raises(ArgumentError, match="no group"):
        find_enclaves(counts, QUEEN, ["x", "y"], groups=["z"])
    with pytest.raises(ArgumentError, match="zero population"):
        find_enclaves(np.zeros((N, 2)), QUEEN, ["x", "y"])
    empty = counts.copy()
    empty[5] = 0
    local = find_enclaves(empty, QUEEN, ["x", "y"], permutations=99).local
    assert local[local["area"] == IDS[5]]["share"].isna().all()
    assert not local[local["area"] == IDS[5]]["over_concentrated"].any()


# ---- the command line -------------------------------------------------------------------


@pytest.fixture()
def files(tmp_path):
    geopandas = pytest.importorskip("geopandas")
    geometry = tmp_path / "areas.geojson"
    geopandas.GeoDataFrame({"kato": IDS}, geometry=list(POLYGONS), crs="EPSG:32642").to_file(
        geometry
    )

    def tidy(counts, name):
        rows = [
            (IDS[i], group, counts[i, k])
            for i in range(N)
            for k, group in enumerate(["uzbek", "kazakh"])
        ]
        path = tmp_path / name
        pd.DataFrame(rows, columns=["area", "group", "count"]).to_csv(path, index=False)
        return path

    before = tidy(planted([(range(0, 3), range(0, 3), 150)]), "before.csv")
    after = tidy(planted([(range(0, 5), range(0, 5), 150)], seed=1), "after.csv")
    return geometry, before, after


def run_cli(monkeypatch, capsys, *args):
    """``kelisim enclaves ARGS`` through the real entry point."""
    return run_main(monkeypatch, capsys, "enclaves", *map(str, args))


def test_cli_summary_comparison_and_geojson(files, monkeypatch, capsys, tmp_path):
    geometry, before, after = files
    code, out, _ = run_cli(
        monkeypatch, capsys, before, "--geometry", geometry, "--groups", "uzbek", "--format", "csv"
    )
    assert code == 0
    summary = pd.read_csv(pd.io.common.StringIO(out))
    assert summary["enclave"].tolist() == ["uzbek-1"]
    code, out, _ = run_cli(
        monkeypatch, capsys, before, "--geometry", geometry, "--compare", after, "--format", "json"
    )
    assert code == 0 and any(row["status"] == "grown" for row in json.loads(out))
    target = tmp_path / "enclaves.geojson"
    code, _, _ = run_cli(
        monkeypatch, capsys, before, "--geometry", geometry, "--format", "geojson", "--out", target
    )
    assert code == 0 and json.loads(target.read_text())["type"] == "FeatureCollection"


def test_cli_errors_exit_2_without_writing(files, monkeypatch, capsys, tmp_path):
    geometry, before, _ = files
    target = tmp_path / "never.csv"
    code, _, err = run_cli(
        monkeypatch, capsys, before, "--geometry", geometry, "--weights", "hex", "--out", target
    )
    assert code == 2 and err.startswith("error: --weights:") and not target.exists()
    broken = tmp_path / "broken.csv"
    broken.write_text("area,group,count\n000000000,uzbek,-4\n")
    code, _, err = run_cli(monkeypatch, capsys, broken, "--geometry", geometry)
    assert code == 2 and "row 2, column count" in err
    partial = tmp_path / "partial.csv"
    partial.write_text("area,group,count\nnowhere,uzbek,4\n")
    code, _, err = run_cli(monkeypatch, capsys, partial, "--geometry", geometry)
    assert code == 2 and "no column of the geometry file holds the area ids" in err


def test_cli_total_group_and_local_table(files, monkeypatch, capsys, tmp_path):
    geometry, before, _ = files
    frame = pd.read_csv(before, dtype={"area": str})
    totals = frame.groupby("area", as_index=False)["count"].sum().assign(group="total")
    totals["count"] += 10  # ten persons per area in no listed group
    with_total = tmp_path / "with_total.csv"
    pd.concat([frame, totals]).to_csv(with_total, index=False)
    code, out, _ = run_cli(
        monkeypatch, capsys, with_total, "--geometry", geometry, "--local", "--format", "csv"
    )
    assert code == 0
    local = pd.read_csv(pd.io.common.StringIO(out), dtype={"area": str})
    assert set(local["group"]) == {"uzbek", "kazakh", "residual"}
    assert (local.groupby("area")["total"].first() == totals.set_index("area")["count"]).all()
    over = pd.concat([frame, totals.assign(count=1)])
    over.to_csv(with_total, index=False)
    code, _, err = run_cli(monkeypatch, capsys, with_total, "--geometry", geometry)
    assert code == 2 and "above its total" in err


def test_compare_when_the_later_period_has_no_enclave():
    """Issue 9: every enclave dissolved used to crash (str + float in the Jaccard sum)."""
    before = find_enclaves(planted([(range(0, 3), range(0, 3), 150)]), QUEEN, ["x", "y"])
    after = find_enclaves(planted([], seed=2), QUEEN, ["x", "y"])
    assert after.summary.empty
    table = compare_enclaves(before.members, after.members, before.summary, after.summary)
    assert len(table) == len(before.summary) and set(table["status"]) == {"dissolved"}
    reverse = compare_enclaves(after.members, before.members, after.summary, before.summary)
    assert set(reverse["status"]) == {"new"}
