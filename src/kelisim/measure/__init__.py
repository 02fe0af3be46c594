"""Measure: diversity, segregation and enclaves of a composition counts[area, group].

The entry points here take tidy long frames (area, group, count); the kernels in
``aspatial``, ``information``, ``diversity`` and ``inference`` take dense arrays. Heavy
imports happen inside the functions so that importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def segregation_table(
    long_frame: pd.DataFrame,
    area: str = "area",
    group: str = "group",
    count: str = "count",
    indices=None,
    **params,
) -> pd.DataFrame:
    """Segregation and diversity indices of a tidy frame as rows (index, group, value).

    ``indices`` and ``params`` are those of :func:`kelisim.measure.aspatial.segregation_indices`.
    """
    from kelisim.measure.aspatial import counts_from_long, segregation_indices

    counts, _, groups = counts_from_long(long_frame, area, group, count)
    return segregation_indices(counts, groups, indices, **params)


def diversity_by_area(
    long_frame: pd.DataFrame,
    area: str = "area",
    group: str = "group",
    count: str = "count",
    indices=None,
    alpha: float = 1.0,
) -> pd.DataFrame:
    """Diversity indices of each area's composition as rows (area, index, value).

    ``indices`` are names from :data:`kelisim.measure.diversity.DIVERSITY_INDICES` (default
    all). Areas without persons get NaN.
    """
    import pandas as pd

    from kelisim.errors import ArgumentError
    from kelisim.measure.aspatial import counts_from_long
    from kelisim.measure.diversity import DIVERSITY_INDICES, diversity_indices

    wanted = list(DIVERSITY_INDICES) if indices is None else list(indices)
    unknown = [name for name in wanted if name not in DIVERSITY_INDICES]
    if unknown:
        raise ArgumentError("indices", f"unknown diversity index {unknown[0]!r}")
    counts, areas, _ = counts_from_long(long_frame, area, group, count)
    values = diversity_indices(counts, alpha=alpha)
    return pd.concat(
        [pd.DataFrame({"area": areas, "index": name, "value": values[name]}) for name in wanted],
        ignore_index=True,
    )
