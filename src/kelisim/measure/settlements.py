"""Segregation among the settlements of each district, region and the country: Theil's M and
H over settlements with the between/within split over the next level down (Theil & Finizza
1971; Mora & Ruiz-Castillo 2011), computed with :func:`kelisim.measure.information.decompose`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kelisim.measure.information import decompose as decompose_information
from kelisim.measure.information import mutual_information, theil_h

INDICES = ("mutual_information", "multi_theil_h")


def nested_segregation(counts: np.ndarray, units: pd.DataFrame) -> pd.DataFrame:
    """M and H among the settlements of every unit of every level.

    ``counts`` is [settlement, group]; ``units`` has one row per settlement and one column
    per level, finest first (e.g. district, region, country). For each unit: the total over
    its settlements and, above the first level, the split into between (across the units one
    level down) and within. Units with fewer than two inhabited settlements are left out.
    Returns columns area, index, component, value, settlements.

    >>> counts = np.array([[10, 0], [0, 10], [5, 5], [5, 5]])
    >>> units = pd.DataFrame({"district": ["a", "a", "b", "b"], "region": ["r"] * 4})
    >>> table = nested_segregation(counts, units).query("index == 'multi_theil_h'")
    >>> [(r.area, r.component, round(r.value, 3)) for r in table.itertuples()][2:]
    [('r', 'total', 0.5), ('r', 'between', 0.0), ('r', 'within', 0.5)]
    """
    counts = np.asarray(counts, dtype=float)
    inhabited = counts.sum(axis=1) > 0
    counts, units = counts[inhabited], units.loc[inhabited].reset_index(drop=True)
    rows = []
    levels = list(units.columns)
    for depth, level in enumerate(levels):
        for unit, members in units.groupby(level, sort=True).groups.items():
            members = np.asarray(members)
            if members.size < 2:
                continue
            part = counts[members]
            if depth == 0 or units.loc[members, levels[depth - 1]].nunique() < 2:
                for index, value in (("mutual_information", mutual_information(part)),
                                     ("multi_theil_h", theil_h(part))):
                    rows.append((unit, index, "total", value, members.size))
                continue
            table = decompose_information(part, units.loc[members, levels[depth - 1]]
                                          .to_numpy())
            rows.extend((unit, r.index, r.component, r.value, members.size)
                        for r in table.itertuples(index=False))
    frame = pd.DataFrame(rows, columns=["area", "index", "component", "value", "settlements"])
    return frame.dropna(subset=["value"]).reset_index(drop=True)


def point_weights(ids, lat, lon, neighbours: int = 6):
    """Binary k-nearest-neighbour weights among points given in degrees.

    Points go to unit vectors on the sphere, where the straight (chord) distance grows with
    the great-circle distance, so the neighbours are those along the Earth's surface without
    choosing a projection (Anselin 1988, ch. 3, on k-nearest-neighbour weights).
    """
    from kelisim.measure.weights import SpatialWeights, nearest_neighbours

    phi, lam = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    unit = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    return SpatialWeights(matrix=nearest_neighbours(unit, neighbours), ids=np.asarray(ids),
                          spec=f"knn:{neighbours}", coords=np.column_stack([lon, lat]),
                          geographic=True)


def settlement_enclaves(counts, groups, ids, lat, lon, neighbours: int = 6,
                        permutations: int = 999, seed=0, fdr: float = 0.05):
    """Enclaves among settlement points: :func:`kelisim.measure.enclaves.find_enclaves` (Gi*
    on each group's share, conditional permutation, Benjamini-Hochberg FDR) with
    :func:`point_weights`. Settlements without a point must be left out by the caller."""
    from kelisim.measure.enclaves import find_enclaves

    weights = point_weights(ids, lat, lon, neighbours)
    return find_enclaves(np.asarray(counts, float), weights, names=list(groups),
                         permutations=permutations, seed=seed, fdr=fdr)
