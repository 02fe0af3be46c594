"""Bundled projection specs and their starting population, built from bundled facts.

A bundled spec (``src/kelisim/forecast/data/NAME.toml``) may name its population as a census
period of the bundled ``census_national`` table instead of a file::

    population = { dataset = "census_national", period = 2021, groups = ["kazakh", ...] }

The census gives counts by group only. The age-sex structure is **reconstructed**, the same for
every group (an assumption, documented in docs/forecast.md): cohorts born from 2000 on are the
UN WPP 2024 births of their year; earlier cohorts are births growing at a constant rate r
(B(y) = B(2000) e^(r (y - 2000))); each cohort is survived to its age with the Brass life table
of the mean WPP 2000-2021 e0 by sex (a period table used as a cohort one), births split by the
sex ratio at birth; r is solved so that the total equals the census total. This is the
stable-population relation N(x) = B e^(-r x) l(x) (Lotka; Preston, Heuveline & Guillot 2001,
ch. 7) above age 21, with observed births below.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from kelisim.core.areas import COUNTRY
from kelisim.errors import ArgumentError, InputError
from kelisim.forecast import rates as tables

OLDEST = 130
BIRTHS_FROM = 2000


def bundled_spec(name: str) -> Path:
    """Path of the bundled spec ``name`` (e.g. 'kazakhstan_national')."""
    folder = resources.files("kelisim.forecast") / "data"
    known = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))
    if name not in known:
        raise ArgumentError("bundled", f"no bundled spec {name!r} (known: {', '.join(known)})")
    return Path(str(folder / f"{name}.toml"))


def cohort_population(births: np.ndarray, survivorship: np.ndarray, years_before: np.ndarray,
                      ages) -> np.ndarray:
    """Persons by age group from births by year before the reference date.

    ``births[k]`` are born ``years_before[k]`` - 1 to ``years_before[k]`` years before it
    (mean age ``years_before[k]`` - 0.5); ``survivorship[a]`` is l at age a + 0.5 (radix 1).
    Age groups start at ``ages``, the last one open.
    """
    survivors = births * survivorship[years_before - 1]
    group = np.searchsorted(np.asarray(ages)[1:], years_before - 1, side="right")
    return np.bincount(group, weights=survivors, minlength=len(ages))


def reconstructed_structure(wpp: pd.DataFrame, year: int, total: float, srb: float,
                            ages) -> np.ndarray:
    """National persons [2 (female, male), X] at the start of ``year`` summing to ``total``.

    WPP births (thousands) for the years from 2000, constant growth r before (solved by
    bisection); survivorship from the Brass table of the mean WPP e0 by sex from 2000 to
    ``year``.
    """
    wpp = wpp.set_index("year")
    years_before = np.arange(1, OLDEST + 1)
    birth_years = year - years_before
    observed = wpp["births"].reindex(birth_years).to_numpy() * 1000.0
    known = birth_years >= BIRTHS_FROM
    single = np.arange(OLDEST)
    past = wpp.loc[BIRTHS_FROM:year]
    survivorship = [
        tables.brass_nLx(tables.brass_alpha_for_e0(past[column].mean(), single, 1), single, 1)
        for column in ("e0F", "e0M")]
    shares = np.array([1.0, srb]) / (1.0 + srb)

    def structure(growth: float) -> np.ndarray:
        births = np.where(known, observed, observed[known][-1]
                          * np.exp(growth * (birth_years - BIRTHS_FROM)))
        return np.stack([share * cohort_population(births, lx, years_before, ages)
                         for share, lx in zip(shares, survivorship, strict=True)])

    low, high = -0.1, 0.1
    for _ in range(60):
        middle = (low + high) / 2
        if structure(middle).sum() > total:  # more growth before 2000 = fewer older persons
            low = middle
        else:
            high = middle
    return structure((low + high) / 2)


def census_population(path: Path, table: dict, width: int, srb: float,
                      structures: np.ndarray | None = None) -> pd.DataFrame:
    """Population rows (area, group, sex, age, count) for a census period of census_national.

    The named groups keep their census counts; ``other`` is the census total minus them
    (groups not named, not stated and other nationalities); every group gets the national
    reconstructed age-sex structure, or its own from ``structures`` [group (named, then
    other), sex, age] (the calibrated ones of :mod:`kelisim.forecast.calibrate`).
    """
    from kelisim.core.curated import read_curated

    if table.get("dataset") != "census_national":
        raise InputError(path, None, "inputs.population.dataset",
                         "only the bundled census_national dataset can be named")
    census = read_curated("census_national")
    rows = census[(census["period"] == table.get("period")) & census["count"].notna()]
    counts = dict(zip(rows["group_code"], rows["count"], strict=True))
    if "total" not in counts:
        raise InputError(path, None, "inputs.population.period",
                         f"census_national has no total for {table.get('period')!r}")
    groups = list(table.get("groups", []))
    missing = [group for group in groups if group not in counts]
    if missing:
        raise InputError(path, None, "inputs.population.groups",
                         f"no census count for {', '.join(missing)}")
    group_counts = {group: float(counts[group]) for group in groups}
    group_counts["other"] = float(counts["total"]) - sum(group_counts.values())
    ages = np.arange(0, 86, width)
    structure = reconstructed_structure(tables.wpp_kazakhstan(), int(table["period"]),
                                        float(counts["total"]), srb, ages)
    structure = structure / structure.sum()
    by_group = ([structure] * len(group_counts) if structures is None else
                [part / part.sum() for part in structures])
    return pd.DataFrame([
        {"area": COUNTRY, "group": group, "sex": sex, "age": int(age),
         "count": count * shape[s, x]}
        for (group, count), shape in zip(group_counts.items(), by_group, strict=True)
        for s, sex in enumerate(tables.SEXES) for x, age in enumerate(ages)])
