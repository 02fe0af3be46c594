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
