"""Rate tables: readers with validation, national defaults and model schedules.

Every table is long format (CSV or Parquet). Readers check everything before any computation
and raise :class:`kelisim.errors.InputError` naming the file, the row (1-based, header = row 1)
and the column. Model schedules fill detail the data lack:

- mortality: Brass (1971) relational logit, logit(1 - l_x) = alpha + logit(1 - l_x^s), on a
  standard l_x^s from a Siler (1979) hazard with constructed parameters (a shape, not data),
  alpha solved so that e0 matches a target (UN WPP 2024 by sex for Kazakhstan);
- fertility: Hadwiger (1940) function with constructed parameters (mean age near 29), scaled to
  the target TFR (UN WPP 2024).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from kelisim.errors import ArgumentError, InputError
from kelisim.forecast.lifetable import survival_from_nLx
from kelisim.limits import MAX_PERSONS, parse_count

SEXES = ("female", "male")
WILDCARD = "all"


@dataclass(frozen=True)
class Grid:
    """Axes of the state: area codes, group codes, age lower bounds (last one open), step."""

    areas: tuple[str, ...]
    groups: tuple[str, ...]
    ages: tuple[int, ...]
    width: int

    def age_labels(self) -> list[str]:
        """'0-4', ..., '85+' (or '0', '1', ..., '100+' for single years)."""
        labels = [
            str(age) if self.width == 1 else f"{age}-{age + self.width - 1}"
            for age in self.ages[:-1]
        ]
        return [*labels, f"{self.ages[-1]}+"]


def read_table(path: str | Path, columns: dict[str, str]) -> pd.DataFrame:
    """Read a long table and check its columns: kind 'text', 'int', 'number', 'optional'.

    'optional' columns may be absent (filled with the wildcard 'all'); text cells are stripped.
    """
    from kelisim.datasets.io import read_table as read_cells

    path = Path(path)
    if not path.exists():
        raise InputError(path, None, None, "file not found")
    try:
        frame = read_cells(path)  # the one reader of CSV, Excel and Parquet tables
    except ArgumentError as error:  # a format it cannot tell, named against the spec's file
        raise InputError(path, None, None, error.message) from None
    for column, kind in columns.items():
        if column not in frame.columns:
            if kind == "optional":
                frame[column] = WILDCARD
                continue
            raise InputError(path, 1, column, "required column is missing")
        if kind in ("int", "number"):
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.isna() | (kind == "int") & (values % 1 != 0)
            if bad.any():
                row = int(np.argmax(bad.to_numpy())) + 2
                raise InputError(path, row, column, f"not a {'whole ' * (kind == 'int')}number:"
                                 f" {frame[column].iloc[row - 2]!r}")
            frame[column] = values.astype(int if kind == "int" else float)
        else:
            frame[column] = frame[column].astype(str).str.strip()
    return frame.reset_index(drop=True)


def check_range(path, frame: pd.DataFrame, column: str, low=None, high=None) -> None:
    """InputError at the first value below ``low`` or above ``high``, or not finite."""
    values = frame[column].to_numpy(float)
    bad = ~np.isfinite(values)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        row = int(np.argmax(bad))
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InputError(path, row + 2, column, f"value {values[row]:g} must be {bounds}")


def check_codes(path, frame: pd.DataFrame, column: str, known, what: str) -> None:
    """InputError at the first code not in ``known`` (the wildcard 'all' is accepted)."""
    allowed = set(known) | {WILDCARD}
    bad = ~frame[column].isin(allowed).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError(path, row + 2, column, f"unknown {what} {frame[column].iloc[row]!r}")


def check_ages(path, frame: pd.DataFrame, column: str, grid: Grid) -> None:
    """InputError at the first age not on the population's age grid."""
    values = frame[column]
    numeric = pd.to_numeric(values, errors="coerce")
    bad = ~(numeric.isin(grid.ages) | (values.astype(str) == WILDCARD)).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError(path, row + 2, column, f"age {values.iloc[row]!r} is not on the age "
                         f"grid of the population ({grid.ages[0]}, {grid.ages[1]}, ..., "
                         f"{grid.ages[-1]}+)")


def read_population(path, width: int) -> tuple[Grid, np.ndarray]:
    """Population table (area, group, sex, age, count) -> grid and array [A, G, 2, X].

    Ages are lower bounds on a grid of ``width`` years from 0; the largest is the open group.
    """
    frame = read_table(path, {"area": "text", "group": "text", "sex": "text", "age": "int",
                              "count": "number"})
    return population_array(path, frame, width)


def population_array(path, frame: pd.DataFrame, width: int) -> tuple[Grid, np.ndarray]:
    """Checked population rows (area, group, sex, age, count) -> grid and array [A, G, 2, X];
    ``path`` names the rows' origin in errors."""
    check_range(path, frame, "count", low=0)
    implausible = np.flatnonzero(frame["count"].to_numpy(float) > MAX_PERSONS)
    if implausible.size:  # refused in the words of `data import`
        row, value = int(implausible[0]), float(frame["count"].iloc[implausible[0]])
        parse_count(f"{value:.15g}", path, row + 2, "count")
    check_codes(path, frame, "sex", SEXES, "sex (use female or male)")
    bad_age = (frame["age"] % width != 0) | (frame["age"] < 0)
    if bad_age.any():
        row = int(np.argmax(bad_age.to_numpy())) + 2
        raise InputError(path, row, "age", f"age must be a multiple of the step {width}")
    duplicated = frame.duplicated(["area", "group", "sex", "age"])
    if duplicated.any():
        row = int(np.argmax(duplicated.to_numpy())) + 2
        raise InputError(path, row, "area", "duplicate area, group, sex and age")
    grid = Grid(
        tuple(dict.fromkeys(frame["area"])),
        tuple(dict.fromkeys(frame["group"])),
        tuple(range(0, int(frame["age"].max()) + 1, width)),
        width,
    )
    population = np.zeros((len(grid.areas), len(grid.groups), 2, len(grid.ages)))
    index = _indices(frame, grid)
    np.add.at(population, index, frame["count"].to_numpy(float))
    return grid, population


def _indices(frame: pd.DataFrame, grid: Grid):
    area = frame["area"].map({a: i for i, a in enumerate(grid.areas)}).to_numpy()
    group = frame["group"].map({g: i for i, g in enumerate(grid.groups)}).to_numpy()
    sex = frame["sex"].map({s: i for i, s in enumerate(SEXES)}).to_numpy()
    age = (frame["age"].to_numpy(int) // grid.width).astype(int)
    return area, group, sex, age


def _spread(path, frame: pd.DataFrame, grid: Grid, value: str, keys: tuple[str, ...],
            default: float) -> np.ndarray:
    """Fill an array [A, G, 2, X] from rows whose key cells may be the wildcard 'all'.

    Specific rows override wildcard rows; ``default`` fills cells no row names.
    """
    axes = {"area": grid.areas, "group": grid.groups, "sex": SEXES,
            "age": tuple(str(age) for age in grid.ages)}
    out = np.full((len(grid.areas), len(grid.groups), 2, len(grid.ages)), default)
    filled = np.zeros(out.shape, dtype=bool)
    specificity = (frame[list(keys)] != WILDCARD).sum(axis=1).to_numpy()
    for row in np.argsort(specificity, kind="stable"):
        selection = []
        for axis in ("area", "group", "sex", "age"):
            cell = str(frame[axis].iloc[row]) if axis in keys else WILDCARD
            selection.append(slice(None) if cell == WILDCARD else axes[axis].index(cell))
        out[tuple(selection)] = frame[value].iloc[row]
        filled[tuple(selection)] = True
    if np.isnan(default) and not filled.all():
        area, group, sex, age = (int(i[0]) for i in np.nonzero(~filled))
        raise InputError(path, None, "group", f"no rate for area {grid.areas[area]}, group "
                         f"{grid.groups[group]}, {SEXES[sex]}, age {grid.ages[age]}")
    return out


def read_rates(path, grid: Grid, value: str, *, low=0.0, high=None, default=np.nan,
               keys=("area", "group", "sex", "age")) -> np.ndarray:
    """A rate table over (some of) area, group, sex, age -> array [A, G, 2, X].

    Key columns may be absent or hold 'all'. Values outside [low, high] are an InputError, as
    are areas, groups, sexes or ages not in the population, and (with no ``default``) any cell
    left without a rate.
    """
    frame = read_table(path, {**{key: "optional" for key in keys}, value: "number"})
    check_range(path, frame, value, low=low, high=high)
    for key, known in (("area", grid.areas), ("group", grid.groups), ("sex", SEXES)):
        if key in keys:
            check_codes(path, frame, key, known, key)
    if "age" in keys:
        check_ages(path, frame, "age", grid)
    return _spread(path, frame, grid, value, keys, default)


def read_life_table(path, grid: Grid, radix: float = 100_000.0) -> np.ndarray:
    """Person-years nLx (area, group, sex, age, nLx; radix 100,000; the open group's row holds
    T) -> survival ratios [A, G, 2, X+1] (Preston et al. 2001, Box 6.1).

    Person-years above n x radix, or rising with age (a survival ratio above 1), are an
    InputError at the offending row.
    """
    keys = ("area", "group", "sex", "age")
    frame = read_table(path, {**{key: "optional" for key in keys}, "nLx": "number"})
    check_range(path, frame, "nLx", low=0.0)
    for key, known in (("area", grid.areas), ("group", grid.groups), ("sex", SEXES)):
        check_codes(path, frame, key, known, key)
    check_ages(path, frame, "age", grid)
    person_years = _spread(path, frame, grid, "nLx", keys, np.nan)
    too_many = person_years[..., :-1] > grid.width * radix
    rising = np.zeros(person_years.shape, dtype=bool)
    rising[..., 1:-1] = person_years[..., 1:-1] > person_years[..., :-2] * (1 + 1e-12)
    for bad, message in ((too_many, f"more person-years than {grid.width} x {radix:g}"),
                         (rising, "person-years rise with age: a survival ratio above 1")):
        if bad.any():
            area, group, sex, age = (int(i[0]) for i in np.nonzero(bad))
            cell = (grid.areas[area], grid.groups[group], SEXES[sex], str(grid.ages[age]))
            matches = np.ones(len(frame), dtype=bool)
            for key, value in zip(keys, cell, strict=True):
                matches &= frame[key].astype(str).isin([value, WILDCARD]).to_numpy()
            raise InputError(path, int(np.argmax(matches)) + 2, "nLx",
                             f"{message} (area {cell[0]}, group {cell[1]}, {cell[2]}, "
                             f"age {cell[3]})")
    return survival_from_nLx(person_years, grid.width, radix)


def read_migration(path, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Internal migration (origin, destination, rate, optional group/sex/age), annual rates.

    Returns (out_rate [A, G, 2, X], destination shares summing to 1 over destinations where
    anyone leaves: [A, A] when they do not vary by group, sex and age, else [A, A, G, 2, X]).
    """
    frame = read_table(path, {"origin": "text", "destination": "text", "rate": "number",
                              "group": "optional", "sex": "optional", "age": "optional"})
    check_range(path, frame, "rate", low=0.0, high=1.0)
    check_codes(path, frame, "origin", grid.areas, "area")
    check_codes(path, frame, "destination", grid.areas, "area")
    check_codes(path, frame, "group", grid.groups, "group")
    check_codes(path, frame, "sex", SEXES, "sex")
    check_ages(path, frame, "age", grid)
    same = (frame["origin"] == frame["destination"]).to_numpy()
    if same.any():
        raise InputError(path, int(np.argmax(same)) + 2, "destination",
                         "destination equals origin")
    flows = np.zeros((len(grid.areas), *((len(grid.areas), len(grid.groups), 2,
                                           len(grid.ages)))))
    for destination_index, destination in enumerate(grid.areas):
        for origin_index, origin in enumerate(grid.areas):
            rows = frame[(frame["origin"] == origin) & (frame["destination"] == destination)]
            if len(rows):
                flows[origin_index, destination_index] = _spread(
                    path, rows, grid, "rate", ("group", "sex", "age"), 0.0)[0]
    out_rate = flows.sum(axis=1)
    over = out_rate > 1.0
    if over.any():
        origin = grid.areas[int(np.nonzero(over)[0][0])]
        raise InputError(path, None, "rate", f"rates out of {origin} add up to more than 1")
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(out_rate[:, None] > 0, flows / out_rate[:, None], np.nan)
    per_origin = np.nanmax(np.where(np.isnan(shares), -np.inf, shares), axis=(2, 3, 4))
    lowest = np.nanmin(np.where(np.isnan(shares), np.inf, shares), axis=(2, 3, 4))
    if np.allclose(per_origin[np.isfinite(per_origin)], lowest[np.isfinite(lowest)]):
        return out_rate, np.where(np.isfinite(per_origin), per_origin, 0.0)
    return out_rate, np.nan_to_num(shares)


def read_switching(path, grid: Grid) -> np.ndarray:
    """Identity switching (from_group, to_group, rate): annual probabilities [G, G]."""
    frame = read_table(path, {"from_group": "text", "to_group": "text", "rate": "number"})
    check_range(path, frame, "rate", low=0.0, high=1.0)
    check_codes(path, frame, "from_group", grid.groups, "group")
    check_codes(path, frame, "to_group", grid.groups, "group")
    matrix = np.zeros((len(grid.groups), len(grid.groups)))
    for row in frame.itertuples(index=False):
        matrix[grid.groups.index(row.from_group), grid.groups.index(row.to_group)] = row.rate
    np.fill_diagonal(matrix, 0.0)
    if (matrix.sum(axis=1) > 1).any():
        group = grid.groups[int(np.argmax(matrix.sum(axis=1) > 1))]
        raise InputError(path, None, "rate", f"switching rates out of {group} exceed 1")
    return matrix


def read_child_group(path, grid: Grid) -> np.ndarray:
    """Mother group -> child group shares (mother_group, child_group, share) [G, G]."""
    frame = read_table(path, {"mother_group": "text", "child_group": "text", "share": "number"})
    check_range(path, frame, "share", low=0.0, high=1.0)
    check_codes(path, frame, "mother_group", grid.groups, "group")
    check_codes(path, frame, "child_group", grid.groups, "group")
    matrix = np.eye(len(grid.groups))
    for mother, rows in frame.groupby("mother_group", sort=False):
        index = grid.groups.index(mother)
        matrix[index] = 0.0
        for row in rows.itertuples(index=False):
            matrix[index, grid.groups.index(row.child_group)] = row.share
        if not np.isclose(matrix[index].sum(), 1.0, atol=1e-6):
            first = int(rows.index[0]) + 2
            raise InputError(path, first, "share", f"shares for mother group {mother} add up "
                             f"to {matrix[index].sum():.4g}, not 1")
    return matrix


# -- national defaults (UN WPP 2024) and model schedules ---------------------------------------

def wpp_kazakhstan() -> pd.DataFrame:
    """UN WPP 2024 Kazakhstan by year (2000-2100): TFR, e0 by sex, net migrants, bounds."""
    data = resources.files("kelisim.forecast") / "data" / "wpp2024_kazakhstan.csv"
    with data.open(encoding="utf-8") as handle:
        return pd.read_csv(handle)


def siler_standard(ages: np.ndarray) -> np.ndarray:
    """Standard survivorship l_x (l_0 = 1) from a Siler (1979) hazard, constructed parameters.

    mu(x) = a1 exp(-b1 x) + a2 + a3 exp(b3 x), a1 = 0.03, b1 = 1.2, a2 = 0.0004,
    a3 = 0.00005, b3 = 0.09 (a smooth adult shape; the level is set by the Brass alpha).
    """
    ages = np.asarray(ages, dtype=float)
    cumulative = (0.03 / 1.2 * (1 - np.exp(-1.2 * ages)) + 0.0004 * ages
                  + 0.00005 / 0.09 * (np.exp(0.09 * ages) - 1))
    return np.exp(-cumulative)


def brass_nLx(alpha: float, ages, width: float, beta: float = 1.0) -> np.ndarray:  # noqa: N802
    """Person-years per unit radix on the grid ``ages`` from the Brass logit model.

    Y(x) = alpha + beta Y_s(x), Y = 0.5 ln((1 - l)/l) (Brass 1971); nLx by the trapezoid
    on a fine grid, the open group integrated to age 130.
    """
    fine = np.linspace(0.0, 130.0, 2601)
    standard = siler_standard(fine)
    logit = 0.5 * np.log((1 - standard[1:]) / standard[1:])
    survivors = np.concatenate([[1.0], 1.0 / (1.0 + np.exp(2 * (alpha + beta * logit)))])
    cumulative = np.concatenate([[0.0], np.cumsum((survivors[1:] + survivors[:-1]) / 2
                                                   * np.diff(fine))])
    bounds = np.interp(np.append(np.asarray(ages, float), 130.0), fine, cumulative)
    return np.diff(bounds)


def brass_alpha_for_e0(e0: float, ages, width: float) -> float:
    """The Brass alpha whose life table has life expectancy ``e0`` (bisection)."""
    low, high = -3.0, 3.0
    for _ in range(60):
        middle = (low + high) / 2
        if brass_nLx(middle, ages, width).sum() > e0:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def hadwiger_schedule(tfr: float, ages, width: float, mean_age: float = 29.0,
                      shape: float = 3.2) -> np.ndarray:
    """Annual ASFR by age group from the Hadwiger (1940) function, summing to ``tfr``.

    f(x) proportional to (c/x)^(3/2) exp(-b^2 (c/x + x/c - 2)), c = mean_age, b = shape,
    integrated over each age group (constructed parameters, documented in docs/forecast.md).
    """
    fine = np.linspace(10.0, 55.0, 901)
    density = (mean_age / fine) ** 1.5 * np.exp(-shape**2 * (mean_age / fine + fine / mean_age
                                                             - 2))
    cumulative = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2
                                                   * np.diff(fine))])
    bounds = np.interp(np.append(np.asarray(ages, float), 1000.0), fine, cumulative)
    per_group = np.diff(bounds) / cumulative[-1]
    return tfr * per_group / width
