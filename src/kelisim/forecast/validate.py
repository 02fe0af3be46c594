"""Published cases the engine must reproduce exactly (`kelisim forecast validate`).

- Preston, Heuveline & Guillot (2001), *Demography: Measuring and Modeling Population
  Processes*, Box 6.1 (Sweden 1993 females, closed) and Box 6.2 (open, "even" migration); the
  Box 6.2 figures as reproduced by the UN's ccmppWPP test, Box 6.1 as in G. Rodriguez's log.
- Willekens & Rogers (1978), *Spatial Population Analysis*, IIASA RR-78-18, Table 1.1 (Slovenia
  and the rest of Yugoslavia, females 1961), projected eight 5-year steps by the generalised
  Leslie matrix of the multiregional life table ("option 3").

The figures are transcribed with their source in ``kelisim/forecast/data/validation_*.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from kelisim.forecast.engine import Rates, leslie_matrix, project
from kelisim.forecast.lifetable import multiregional_survival, rate_matrix, survival_from_nLx

WIDTH = 5.0
SRB = 1.05


@dataclass(frozen=True)
class Check:
    """One published figure or identity compared with the engine's result."""

    case: str
    name: str
    passed: bool
    detail: str


def _table(name: str) -> pd.DataFrame:
    with (resources.files("kelisim.forecast") / "data" / name).open(encoding="utf-8") as handle:
        return pd.read_csv(handle)


def _figure(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, written out: never scientific notation."""
    return np.format_float_positional(value, precision=digits, fractional=False, trim="-")


def _one_region(values) -> np.ndarray:
    return np.asarray(values, dtype=float)[None, None, None, :]


def _exact(case: str, name: str, computed, expected) -> Check:
    difference = np.abs(np.round(np.asarray(computed)) - np.asarray(expected)).max()
    return Check(case, name, bool(difference == 0),
                 f"largest difference {_figure(difference)}")


def _close(case: str, name: str, computed: float, expected: float, tolerance: float) -> Check:
    return Check(
        case,
        name,
        bool(abs(computed - expected) <= tolerance),
        f"computed {_figure(computed, 9)}, published "
        f"{_figure(expected, 9)}",
    )


def sweden_checks() -> list[Check]:
    """Boxes 6.1 and 6.2: every age group, totals, eigenvalue, births by mother's age."""
    table = _table("validation_sweden1993.csv")
    survival = survival_from_nLx(table["nLx"].to_numpy(float), WIDTH)
    fertility = table["asfr"].to_numpy(float)[None, None, :]
    start = _one_region(table["population_1993"])
    closed = project(start, Rates(survival[None, None, None], fertility, srb=SRB), 2, WIDTH)
    box61 = "Preston Box 6.1 (Sweden 1993, closed)"
    leslie = leslie_matrix(survival, fertility[0, 0], WIDTH, 1.0 / (1.0 + SRB))
    dominant = float(np.abs(np.linalg.eigvals(leslie)).max())
    checks = [
        _exact(box61, "1998 by age", closed[1, 0, 0, 0], table["closed_1998"]),
        _exact(box61, "2003 by age", closed[2, 0, 0, 0], table["closed_2003"]),
        _close(box61, "1998 total", closed[1].sum(), 4449569.727, 1e-3),
        _close(box61, "2003 total", closed[2].sum(), 4478712.273, 1e-3),
        _close(box61, "Leslie dominant eigenvalue", dominant, 1.00111253, 5e-9),
        _close(box61, "intrinsic r per year", np.log(dominant) / WIDTH, 0.000222383, 5e-10),
    ]
    box62 = "Preston Box 6.2 (Sweden 1993, open, even migration)"
    migrants = _one_region(table["net_migrants"])
    open_rates = Rates(survival[None, None, None], fertility, srb=SRB, international=migrants)
    opened = project(start, open_rates, 1, WIDTH)
    exposed = start[0, 0, 0] + migrants[0, 0, 0] / 2
    births = WIDTH / 2 * fertility[0, 0] * (exposed + opened[1, 0, 0, 0])
    two_sex = np.concatenate([start, start], axis=2)
    both = np.broadcast_to(survival, (1, 1, 2, survival.size))
    two_sex_rates = Rates(both, fertility, srb=SRB, international=np.repeat(migrants, 2, axis=2))
    two_sex_run = project(two_sex, two_sex_rates, 1, WIDTH)
    checks += [
        _exact(box62, "1998 by age", opened[1, 0, 0, 0], table["open_1998"]),
        _exact(box62, "births by mother's age 1993-98", births, table["open_births_by_mother"]),
        _exact(box62, "two-sex code path, male branch", two_sex_run[1, 0, 0, 1],
               table["open_1998_male_branch"]),
        _close(box62, "1998 total (sum of rounded ages)", np.round(opened[1]).sum(), 4507581, 0),
    ]
    return checks


@dataclass(frozen=True)
class TwoRegionResult:
    """The two-region projection: areas, ages and population [step, area, age]."""

    areas: tuple[str, ...]
    ages: np.ndarray
    periods: np.ndarray
    population: np.ndarray
    checks: list[Check]


def yugoslavia_case(steps: int = 8) -> TwoRegionResult:
    """Slovenia / rest of Yugoslavia 1961 -> 2001 by the Rogers method, with its identities."""
    table = _table("validation_yugoslavia1961.csv")
    areas = tuple(dict.fromkeys(table["area"]))
    by_area = [table[table["area"] == area] for area in areas]
    population = np.array([part["population_1961"].to_numpy(float) for part in by_area])
    deaths = np.array([part["deaths"].to_numpy(float) for part in by_area]) / population
    fertility = np.array([part["births"].to_numpy(float) for part in by_area]) / population
    migration = np.zeros((len(areas), len(areas), population.shape[1]))
    for origin, part in enumerate(by_area):
        for destination, area in enumerate(areas):
            if destination != origin:
                migration[origin, destination] = part[f"migrants_to_{area}"] / population[origin]
    survival, person_years = multiregional_survival(deaths, migration, WIDTH)
    case = "Rogers two-region (Slovenia / rest of Yugoslavia 1961)"

    leslie = leslie_matrix(survival, fertility, WIDTH, 1.0)
    by_leslie = population.T.reshape(-1)
    for _ in range(steps):
        by_leslie = leslie @ by_leslie
    rates = Rates(survival[:, :, None, None, :], fertility[:, None, :], srb=0.0)
    run = project(population[:, None, None, :], rates, steps, WIDTH)[:, :, 0, 0, :]
    agreement = np.abs(run[-1] - by_leslie.reshape(-1, len(areas)).T).max()

    # Internal migration nets to zero: 1'M_x = d_x, and total decrements of the life table
    # equal deaths alone, 1'(l_x - l_(x+h)) = d_x' L_x (Willekens & Rogers 1978, ch. 2).
    column_sums = rate_matrix(deaths, migration).sum(axis=1)
    decrement = _life_table_decrements(person_years)
    checks = [
        Check(case, "generalised Leslie matrix = engine (multiregional survival)",
              bool(agreement < 1e-6 * run[-1].max()),
              f"largest difference {_figure(agreement)}"),
        Check(case, "internal migration nets to zero: column sums of M_x equal d_x",
              bool(np.allclose(column_sums, deaths.T)),
              f"largest difference {_figure(np.abs(column_sums - deaths.T).max())}"),
        Check(case, "life-table decrements are deaths only: 1'(l_x - l_x+h) = d'L_x",
              bool(np.allclose(decrement, np.einsum("jx,xjr->xr", deaths, person_years))),
              "all ages and radix regions"),
        _switching_check(case, population, rates, steps, run[-1]),
    ]
    periods = 1961 + WIDTH * np.arange(steps + 1)
    return TwoRegionResult(areas, np.arange(0, 90, 5), periods.astype(int), run, checks)


def _life_table_decrements(person_years) -> np.ndarray:
    """1'(l_x - l_(x+h)) per age and radix region, rebuilt from L_x = h/2 (l_x + l_(x+h))."""
    ages = person_years.shape[0]
    survivors = np.empty((ages, *person_years.shape[1:]))
    survivors[0] = np.eye(person_years.shape[1])
    for age in range(ages - 1):
        survivors[age + 1] = 2.0 / WIDTH * person_years[age] - survivors[age]
    following = np.concatenate([survivors[1:], np.zeros_like(survivors[:1])])
    return (survivors - following).sum(axis=1)


def _switching_check(case: str, population, rates: Rates, steps: int, expected) -> Check:
    """Split each region into two groups (constructed 60/40) with switching; totals unchanged."""
    split = np.stack([0.6 * population, 0.4 * population], axis=1)[:, :, None, :]
    switching = np.array([[0.0, 0.02], [0.01, 0.0]])
    survival, fertility = rates.survival, rates.fertility
    two_groups = Rates(
        np.broadcast_to(survival, (*survival.shape[:2], 2, 1, survival.shape[-1])),
        np.broadcast_to(fertility, (fertility.shape[0], 2, fertility.shape[-1])),
        srb=0.0,
        switching=switching,
    )
    run = project(split, two_groups, steps, WIDTH)[-1].sum(axis=(1, 2))
    difference = np.abs(run - expected).max()
    return Check(case, "identity switching conserves persons (two constructed groups)",
                 bool(difference < 1e-6 * expected.max()),
                 f"largest difference {_figure(difference)}")


def run_all() -> tuple[list[Check], TwoRegionResult]:
    """Every published case: the checks, and the two-region projection to print."""
    two_region = yugoslavia_case()
    return sweden_checks() + two_region.checks, two_region
