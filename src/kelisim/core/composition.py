"""Composition: counts of persons by area and group for one period, the shared input of the
measure and forecast kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kelisim.core.groups import TOTAL
from kelisim.errors import ArgumentError


@dataclass(frozen=True)
class Composition:
    """``counts[i, j]`` persons of group ``groups[j]`` in area ``areas[i]`` at ``period``.

    >>> c = Composition(np.array([[3.0, 1.0], [0.0, 4.0]]), ("a", "b"), ("x", "y"), 2021)
    >>> c.area_totals.tolist(), c.shares[0].tolist()
    ([4.0, 4.0], [0.75, 0.25])
    """

    counts: np.ndarray
    areas: tuple[str, ...]
    groups: tuple[str, ...]
    period: int | None = None

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts, dtype=float)
        if counts.shape != (len(self.areas), len(self.groups)):
            raise ArgumentError("counts", f"shape {counts.shape} does not match "
                                f"{len(self.areas)} areas x {len(self.groups)} groups")
        if np.isnan(counts).any() or (counts < 0).any():
            raise ArgumentError("counts", "counts must be non-negative numbers")
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "areas", tuple(self.areas))
        object.__setattr__(self, "groups", tuple(self.groups))

    @property
    def area_totals(self) -> np.ndarray:
        """Persons per area (sum over groups)."""
        return self.counts.sum(axis=1)

    @property
    def group_totals(self) -> np.ndarray:
        """Persons per group (sum over areas)."""
        return self.counts.sum(axis=0)

    @property
    def shares(self) -> np.ndarray:
        """Share of each group within each area (rows sum to 1; empty areas give 0)."""
        totals = self.area_totals[:, None]
        return np.divide(self.counts, totals, out=np.zeros_like(self.counts), where=totals > 0)

    @classmethod
    def from_long(
        cls,
        frame: pd.DataFrame,
        period: int | None = None,
        area: str = "area",
        group: str = "group",
        count: str = "count",
    ) -> Composition:
        """Build from a tidy frame (area, group, period, count); ``total`` rows are left out and
        missing (area, group) cells are 0. With several periods in ``frame``, ``period`` picks one.
        """
        data = frame
        if "period" in data and period is not None:
            data = data[data["period"] == period]
        elif "period" in data and data["period"].nunique() > 1:
            raise ArgumentError("period", "the frame has several periods; choose one")
        elif "period" in data and len(data):
            period = int(data["period"].iloc[0])
        data = data[(data[group] != TOTAL) & data[count].notna()]
        if data.duplicated([area, group]).any():
            raise ArgumentError("frame", "duplicated (area, group) rows")
        table = data.pivot(index=area, columns=group, values=count).fillna(0.0)
        return cls(table.to_numpy(dtype=float), tuple(map(str, table.index)),
                   tuple(map(str, table.columns)), period)

    def to_long(self) -> pd.DataFrame:
        """Tidy frame with columns area, group, period, count."""
        n_areas, n_groups = self.counts.shape
        return pd.DataFrame({
            "area": np.repeat(self.areas, n_groups),
            "group": np.tile(self.groups, n_areas),
            "period": self.period,
            "count": self.counts.ravel(),
        })
