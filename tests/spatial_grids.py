"""Constructed test geometry (written for kelisim's tests, not taken from any data set).

A lattice of quadrilaterals whose interior vertices are jittered by a seeded generator, so
areas, perimeters and shared boundary lengths all differ, plus synthetic counts.
"""

from __future__ import annotations

import numpy as np
import shapely


def jittered_grid(side: int, jitter: float = 0.25, seed: int = 0, cell: float = 1.0):
    """side x side quadrilaterals over a (side+1)^2 vertex lattice, interior vertices jittered."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(side + 1.0), np.arange(side + 1.0), indexing="xy")
    shift = rng.uniform(-jitter, jitter, size=(2, side + 1, side + 1))
    shift[:, [0, -1], :] = 0.0
    shift[:, :, [0, -1]] = 0.0
    vx, vy = (xs + shift[0]) * cell, (ys + shift[1]) * cell
    polygons = [
        shapely.Polygon(
            [
                (vx[r, c], vy[r, c]),
                (vx[r, c + 1], vy[r, c + 1]),
                (vx[r + 1, c + 1], vy[r + 1, c + 1]),
                (vx[r + 1, c], vy[r + 1, c]),
            ]
        )
        for r in range(side)
        for c in range(side)
    ]
    return np.array(polygons, dtype=object)


def synthetic_counts(n: int, groups: int = 3, seed: int = 1) -> np.ndarray:
    """Counts with a west-east gradient for group 0 and noise elsewhere (integers)."""
    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(n)))
    column = np.arange(n) % side
    gradient = (column + 1) / side
    weights = np.column_stack(
        [gradient * 3] + [rng.uniform(0.2, 1.5, n) for _ in range(groups - 1)]
    )
    sizes = rng.integers(50, 500, n)
    return np.vstack(
        [rng.multinomial(s, w / w.sum()) for s, w in zip(sizes, weights, strict=True)]
    ).astype(float)


# Each spatial index of kelisim and the class of PySAL segregation 2.5 it is checked against
# (tests/measure/test_spatial.py, bench/bench_measure.py).
PYSAL_CLASSES = {
    "spatial_dissimilarity": "SpatialDissim",
    "boundary_spatial_dissimilarity": "BoundarySpatialDissim",
    "perimeter_area_spatial_dissimilarity": "PARDissim",
    "spatial_proximity": "SpatialProximity",
    "absolute_clustering": "AbsoluteClustering",
    "relative_clustering": "RelativeClustering",
    "distance_decay_isolation": "DistanceDecayIsolation",
    "distance_decay_interaction": "DistanceDecayInteraction",
    "delta": "Delta",
    "absolute_concentration": "AbsoluteConcentration",
    "relative_concentration": "RelativeConcentration",
    "absolute_centralization": "AbsoluteCentralization",
    "relative_centralization": "RelativeCentralization",
    "spatial_proximity_profile": "SpatialProxProf",
}
