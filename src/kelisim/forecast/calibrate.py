"""Group-specific projection inputs calibrated on the censuses, and the hindcast that checks them.

No published table of Kazakhstan's population by nationality *and* age, of fertility by the
mother's nationality or of net migration by nationality is bundled (docs/forecast.md, "Group
inputs"), so each group's rates are **estimated from the census counts** by the procedure below,
on national UN WPP 2024 schedules (single-year ages 0-84, 85+ open, one-year steps):

1. *Start* (the first census used, 1979): each group's age-sex structure is the stable
   population N(x) = e^(-r x) l(x) (Lotka; Preston, Heuveline & Guillot 2001, ch. 7) with r the
   group's observed growth rate over the previous intercensal interval (1970-1979) and l(x) the
   WPP 1975-1980 life table by sex.
2. *Fertility* (one ratio per group, kept for every later year): the group's total fertility is
   ``ratio x`` the WPP national TFR of each year, with the WPP age pattern; the ratio is the one
   whose projection 1979 -> 1989 reproduces the group's 1989 census count with no net migration
   (assumption: moves within the USSR are absorbed into the ratio), kept within
   :data:`FERTILITY_RATIO_BOUNDS`.
3. *Migration* (one net rate per group and intercensal interval, the same at every age): from
   1989 on, each interval's rate is the one whose projection from the previous census reproduces
   the next census count. After each interval the projected age structure is rescaled to the
   census count of each group (the census counts, the projection the ages).
4. *Forecast*: the structure at the last census used, the fertility ratios, WPP national
   schedules (those of the census year, held), and each group's net migration rate decaying
   from its last fitted value with the half-life :data:`MIGRATION_HALF_LIFE`.

Only censuses up to the calibration year enter the fit: :func:`hindcast` calibrates on the
censuses to 1999 (or to 2009) and compares the projection with the later censuses it never saw.
:func:`start_inputs` gives the bundled projection its inputs; :func:`calibrate_regions` runs the
same method on an area x group table, with interregional migration when given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from kelisim.core.areas import COUNTRY
from kelisim.forecast.engine import Rates, step
from kelisim.forecast.lifetable import nLx_from_mx, survival_from_nLx

TOP_GROUPS = ("kazakh", "russian", "uzbek", "ukrainian", "uyghur", "german", "tatar",
              "azerbaijani", "korean", "turkish")
AGES = np.arange(86)  # single years, 85+ open
SRB = 1.05
#: The first census of the calibration, set when the method was written. The back-test a 2009
#: forecaster can run (calibrated to 1999, scored on 2009) prefers 1970 by 0.010 pp, but with
#: 1970 the groups' fertility ratios imply a national TFR 9% (1999) and 17% (2009) above WPP's
#: at the origin, against 3% and 2% with 1979 (docs/forecast.md, "Group inputs").
FIRST_CENSUS = 1979
MIGRATION_HALF_LIFE = 10.0  # years; set when the method was written (docs/forecast.md)
#: A group's TFR is kept within these multiples of the national TFR; growth beyond them in the
#: first interval is left to migration. Added after the first hindcast showed Turks at 3.65
#: times the national TFR (their 1989 arrival read as fertility), see docs/forecast.md.
FERTILITY_RATIO_BOUNDS = (0.5, 2.0)


def _data(name: str) -> pd.DataFrame:
    with (resources.files("kelisim.forecast") / "data" / name).open(encoding="utf-8") as handle:
        return pd.read_csv(handle)


@cache
def wpp_schedules() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """WPP 2024 death rates by five-year period, fertility pattern, annual TFR (1950-2100)."""
    mx = _data("wpp2024_kazakhstan_mx.csv")
    asfr = _data("wpp2024_kazakhstan_asfr.csv")
    annual = _data("wpp2024_kazakhstan_annual.csv").set_index("year")
    projected = _data("wpp2024_kazakhstan.csv").set_index("year")
    tfr = pd.concat([annual["tfr"], projected["tfr"].loc[annual.index.max() + 1:]])
    return mx, asfr, tfr


def _period(year: int) -> str:
    start = 1950 + 5 * ((year - 1950) // 5)
    return f"{start}-{start + 5}"


@cache
def survival_for(year: int) -> np.ndarray:
    """One-year survival ratios [2 (female, male), 87] from WPP mx of the period holding year."""
    mx, _, _ = wpp_schedules()
    rows = mx[mx["period"] == _period(min(year, 2099))].set_index("age")
    single = []
    for column in ("mxF", "mxM"):
        rates = rows[column]
        by_age = np.empty(101)
        by_age[0] = rates["0"]
        by_age[1:5] = rates["1"]
        for low in range(5, 100, 5):
            by_age[low:low + 5] = rates[str(low)]
        by_age[100] = rates["100+"]
        single.append(by_age)
    person_years = nLx_from_mx(np.array(single), 1.0, radix=1.0)
    collapsed = np.concatenate([person_years[:, :85], person_years[:, 85:].sum(1, keepdims=True)],
                               axis=1)
    return survival_from_nLx(collapsed, 1.0, radix=1.0)


@cache
def fertility_for(year: int) -> np.ndarray:
    """National ASFR by single age [86]: WPP TFR of ``year`` x the WPP age pattern / 5."""
    _, asfr, tfr = wpp_schedules()
    rows = asfr[asfr["period"] == _period(min(year, 2099))]
    schedule = np.zeros(len(AGES))
    for label, percent in zip(rows["age"], rows["pasfr"], strict=True):
        low = int(label.split("-")[0])
        schedule[low:low + 5] = percent / 100.0 / 5.0
    return schedule * float(tfr.loc[min(year, tfr.index.max())])


def stable_structure(growth: np.ndarray, year: int) -> np.ndarray:
    """Stable age-sex structures [G, 2, 86] summing to 1 per group: e^(-r x) l(x)."""
    survival = survival_for(year)
    survivorship = np.cumprod(np.concatenate([survival[:, :1], survival[:, 1:86]], axis=1),
                              axis=1)
    survivorship[:, -1] /= 1 - survival[:, -1]  # the open group keeps its survivors
    shares = np.array([1.0, SRB]) / (1.0 + SRB)
    structure = (np.exp(-np.asarray(growth)[:, None, None] * AGES)
                 * survivorship[None] * shares[None, :, None])
    return structure / structure.sum(axis=(1, 2), keepdims=True)


def project_groups(population: np.ndarray, start: int, years: int, fertility_ratio,
                   migration, internal: tuple | None = None,
                   schedules_until: int | None = None) -> np.ndarray:
    """Project [G, 2, 86] (or [A, G, 2, 86]) ``years`` one-year steps with the engine.

    ``fertility_ratio`` broadcasts to [G] (or [A, G]); ``migration(year)`` gives net
    international rates per person a year [G] (or [A, G]); ``internal`` = (out-migration
    probability a year [A], destination shares [A, A]) adds interregional migration. Each
    year uses the WPP schedules of that year, or of ``schedules_until`` for every later year
    (a forecast from a census holds the last schedules dated at or before it). Returns the
    path [years + 1, *population.shape].
    """
    cells = population if population.ndim == 4 else population[None]
    ratio = np.broadcast_to(fertility_ratio, cells.shape[:2])
    out, destination = (None, None) if internal is None else internal
    if out is not None and np.ndim(out) == 1:
        out = np.asarray(out, dtype=float)[:, None, None, None]
    path = np.empty((years + 1, *cells.shape))
    path[0] = cells
    current = cells
    for index in range(years):
        year = start + index
        dated = year if schedules_until is None else min(year, schedules_until)
        rates = Rates(survival=survival_for(dated)[None, None],
                      fertility=ratio[:, :, None] * fertility_for(dated),
                      srb=SRB,
                      international_rate=np.broadcast_to(migration(year), cells.shape[:2])
                      [:, :, None, None],
                      out_migration=out, destination=destination, timing="even")
        current = step(current, rates, 1.0)
        path[index + 1] = current
    return path if population.ndim == 4 else path[:, 0]


def advance(population: np.ndarray, start: float, length: float, fertility_ratio,
            migration, internal: tuple | None = None,
            schedules_until: int | None = None) -> np.ndarray:
    """Population [G, 2, 86] (or [A, G, 2, 86]) ``length`` years (may be fractional) after
    decimal year ``start`` (arguments as :func:`project_groups`).

    Whole steps use the schedules of the calendar year they start in; a fractional remainder
    is the geometric interpolation between the two steps around it (constant growth within the
    year).
    """
    steps = max(int(np.ceil(length - 1e-9)), 1)
    path = project_groups(population, int(np.floor(start)), steps, fertility_ratio, migration,
                          internal, schedules_until)
    fraction = length - (steps - 1)
    if fraction >= 1.0 - 1e-9:
        return path[-1]
    before, after = np.maximum(path[-2], 1e-12), np.maximum(path[-1], 1e-12)
    return before ** (1 - fraction) * after ** fraction


def _solve(target: np.ndarray, total_for, low: float, high: float) -> np.ndarray:
    """Vectorised bisection: the parameter per group whose ``total_for`` equals ``target``
    (``total_for`` increasing in the parameter)."""
    low = np.full(target.shape, low)
    high = np.full(target.shape, high)
    for _ in range(40):
        middle = (low + high) / 2
        above = total_for(middle) > target
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    return (low + high) / 2


@dataclass(frozen=True)
class Calibration:
    """Calibrated group inputs at the last census used (``year``)."""

    groups: tuple[str, ...]
    year: int
    when: float  # census date as a decimal year
    population: np.ndarray  # [G, 2, 86] at the census of ``year``
    fertility_ratio: np.ndarray  # [G]
    migration: dict  # interval "1989-1999" -> net rates per person a year [G]

    @property
    def migration_sd(self) -> np.ndarray:
        """sd [G] of a draw's shift of the net migration rates (:func:`migration_sd`)."""
        return migration_sd(list(self.migration.values()) or [self.last_migration])

    @property
    def last_migration(self) -> np.ndarray:
        """The last interval's rates (zero when only the fertility interval was fitted)."""
        if not self.migration:
            return np.zeros(len(self.groups))
        return list(self.migration.values())[-1]


def census_counts(groups=TOP_GROUPS) -> pd.DataFrame:
    """Census counts [period x group] of the bundled census_national table, with column
    ``when``: the census date as a decimal year (periods without a date, i.e. estimates, are
    dropped)."""
    from kelisim.core.curated import read_curated

    census = read_curated("census_national")
    census = census[census["reference_date"].notna()]
    counts = census.pivot_table(index="period", columns="group_code", values="count",
                                aggfunc="first")[list(groups)].dropna()
    dates = pd.to_datetime(census.groupby("period")["reference_date"].first())
    counts["when"] = (dates.dt.year + (dates.dt.day_of_year - 1) / 365.25).reindex(counts.index)
    return counts


def calibrate(counts: pd.DataFrame, until: int, first: int = FIRST_CENSUS) -> Calibration:
    """Fit fertility ratios and interval migration rates on censuses ``first``..``until``."""
    groups = [column for column in counts.columns if column != "when"]
    periods = [int(p) for p in counts.index if first <= p <= until]
    previous = int(counts.index[list(counts.index).index(periods[0]) - 1])
    observed = counts.loc[periods, groups].to_numpy(float)
    when = counts.loc[periods, "when"].to_numpy(float)
    growth = (np.log(observed[0] / counts.loc[previous, groups].to_numpy(float))
              / (when[0] - counts.loc[previous, "when"]))
    population = stable_structure(growth, periods[0]) * observed[0][:, None, None]
    zero = np.zeros(len(groups))
    length = when[1] - when[0]
    fertility_ratio = _solve(
        observed[1], lambda ratio: advance(population, when[0], length, ratio,
                                           lambda _: zero).sum(axis=(1, 2)),
        FERTILITY_RATIO_BOUNDS[0], FERTILITY_RATIO_BOUNDS[1])
    population = advance(population, when[0], length, fertility_ratio, lambda _: zero)
    migration = {}
    for index in range(1, len(periods) - 1):
        start, length = when[index], when[index + 1] - when[index]
        population = population * (observed[index] / population.sum(axis=(1, 2)))[:, None, None]
        rates = _solve(
            observed[index + 1],
            lambda rate, start=start, length=length, population=population: advance(
                population, start, length, fertility_ratio, lambda _: rate).sum(axis=(1, 2)),
            -0.3, 0.3)
        migration[f"{periods[index]}-{periods[index + 1]}"] = rates
        population = advance(population, start, length, fertility_ratio,
                             lambda _, rates=rates: rates)
    population = population * (observed[-1] / population.sum(axis=(1, 2)))[:, None, None]
    return Calibration(tuple(groups), periods[-1], float(when[-1]), population, fertility_ratio,
                       migration)


def forecast(calibration: Calibration, until: float,
             half_life: float = MIGRATION_HALF_LIFE) -> np.ndarray:
    """Counts [G] at decimal year ``until`` from the calibration census, on the WPP schedules
    of the calibration year held for every later year (nothing dated after the census)."""
    last = calibration.last_migration

    def migration(year):
        return last * 0.5 ** ((year + 0.5 - calibration.when) / half_life)

    return advance(calibration.population, calibration.when, until - calibration.when,
                   calibration.fertility_ratio, migration,
                   schedules_until=calibration.year).sum(axis=(1, 2))


#: Uncertainty of a forecast (the prior rule, set before the first hindcast; docs/forecast.md):
#: each draw shifts a group's net migration rate by one level for the whole horizon, scales its
#: fertility ratio by exp(N(0, 0.1^2)) and draws the half-life as 10 exp(N(0, 0.5^2)) years. The
#: level's sd is :func:`migration_sd`.
MIGRATION_SD = (0.5, 0.002)
FERTILITY_LOG_SD = 0.1
HALF_LIFE_LOG_SD = 0.5
QUANTILES = {"lower95": 0.025, "lower80": 0.1, "median": 0.5, "upper80": 0.9, "upper95": 0.975}


def migration_sd(intervals: list[np.ndarray]) -> np.ndarray:
    """sd [G] of the shift of each group's future net migration rate (per person a year).

    The prior rule ``0.5 |last rate| + 0.002`` combined (root sum of squares) with the change
    of the group's fitted rate between its last two intercensal intervals: the rates are read as
    a random walk from one interval to the next, whose step is estimated by the one step each
    group has shown (Azerbaijanis -30.3 -> -5.0 per 1,000 from 1989-1999 to 1999-2009). The
    step uses only intervals the calibration has fitted, never a later census. With a single
    interval only the prior rule applies.
    """
    prior = MIGRATION_SD[0] * np.abs(intervals[-1]) + MIGRATION_SD[1]
    if len(intervals) < 2:
        return prior
    return np.hypot(prior, intervals[-1] - intervals[-2])


def forecast_draws(calibration: Calibration, until: float, draws: int, seed: int) -> np.ndarray:
    """Counts [draws, G] at ``until``, schedules held as in :func:`forecast`; all draws advance
    together as one array (seeded)."""
    rng = np.random.default_rng(seed)
    groups = len(calibration.groups)
    last = calibration.last_migration
    shift = rng.normal(size=(draws, groups)) * calibration.migration_sd
    ratio = calibration.fertility_ratio * np.exp(FERTILITY_LOG_SD
                                                 * rng.normal(size=(draws, groups)))
    half_life = MIGRATION_HALF_LIFE * np.exp(HALF_LIFE_LOG_SD * rng.normal(size=(draws, 1)))

    def migration(year):
        decay = 0.5 ** ((year + 0.5 - calibration.when) / half_life)
        return (last * decay + shift).reshape(-1)

    population = np.broadcast_to(calibration.population,
                                 (draws, *calibration.population.shape)).reshape(
        draws * groups, *calibration.population.shape[1:])
    end = advance(population, calibration.when, until - calibration.when, ratio.reshape(-1),
                  migration, schedules_until=calibration.year)
    return end.sum(axis=(1, 2)).reshape(draws, groups)


HINDCASTS = ((1999, 2009), (1999, 2021), (2009, 2021))


def _hindcasts(counts: pd.DataFrame | None, draws: int, seed: int):
    """Each hindcast's (fit_until, target, groups, projected shares, simulated shares [draws,
    G], observed shares, observed counts, baseline shares: constant, log-ratio trend)."""
    from kelisim.forecast.trend import forecast_composition

    counts = census_counts() if counts is None else counts
    groups = [column for column in counts.columns if column != "when"]
    for until, target in HINDCASTS:
        calibration = calibrate(counts, until)
        when = counts.loc[target, "when"]
        projected = forecast(calibration, when)
        observed = counts.loc[target, groups].to_numpy(float)
        simulated = forecast_draws(calibration, when, draws, seed)
        known = counts.loc[[p for p in counts.index if p <= until], groups]
        trend = forecast_composition(known.index, known.to_numpy(float), [target],
                                     np.random.default_rng(seed))["share"][0]
        last = known.iloc[-1].to_numpy(float)
        yield (until, target, groups, projected / projected.sum(),
               simulated / simulated.sum(axis=1, keepdims=True), observed / observed.sum(),
               observed, last / last.sum(), trend)


def hindcast(counts: pd.DataFrame | None = None, draws: int = 1000, seed: int = 12):
    """Each hindcast: mean absolute error (percentage points) of the groups' shares for the
    calibrated projection, constant shares and the log-ratio trend (3 periods), and how many
    groups' census shares fall inside the 95% interval of ``draws`` draws."""
    rows = []
    for until, target, groups, shares, simulated, observed, _, constant, trend in _hindcasts(
            counts, draws, seed):
        low, high = np.quantile(simulated, [0.025, 0.975], axis=0)
        rows.append({
            "fit_until": until, "target": target,
            "calibrated_pp": _mae(shares, observed),
            "constant_shares_pp": _mae(constant, observed),
            "logratio_trend_pp": _mae(trend, observed),
            "inside95": int(((low <= observed) & (observed <= high)).sum()),
            "groups": len(groups)})
    return pd.DataFrame(rows)


HINDCAST_RUN = "hindcast_kazakhstan"


def hindcast_table(counts: pd.DataFrame | None = None, draws: int = 1000,
                   seed: int = 12) -> pd.DataFrame:
    """The hindcasts as projection rows for the store (run ``hindcast_kazakhstan``): scenario
    ``fit_until_1999`` / ``fit_until_2009`` with the projected share and its 95% interval at
    each target census, and scenario ``census`` with the census shares; counts are the shares
    times the census count of the ten groups (the hindcast forecasts shares)."""
    rows = []
    censuses = {}
    for until, target, groups, shares, simulated, observed, counted, _, _ in _hindcasts(
            counts, draws, seed):
        low, high = np.quantile(simulated, [0.025, 0.975], axis=0)
        total = counted.sum()
        censuses[target] = (observed, counted)
        rows += [{"scenario": f"fit_until_{until}", "group": group, "period": target,
                  "count": share * total, "share": share, "share_lower95": lo,
                  "share_upper95": hi}
                 for group, share, lo, hi in zip(groups, shares, low, high, strict=True)]
    for target, (observed, counted) in censuses.items():
        rows += [{"scenario": "census", "group": group, "period": target, "count": count,
                  "share": share} for group, share, count in zip(groups, observed, counted,
                                                                 strict=True)]
    table = pd.DataFrame(rows).assign(area=COUNTRY, sex="both", age="total")
    table.attrs["run_name"] = HINDCAST_RUN
    return table


def _mae(shares: np.ndarray, observed: np.ndarray) -> float:
    return float(100 * np.abs(shares - observed).mean())


@dataclass(frozen=True)
class StartInputs:
    """Calibrated inputs of a projection starting at a census (see :func:`start_inputs`)."""

    groups: tuple[str, ...]
    population: np.ndarray  # [G, 2, 86] at the census, the census date taken as 1 January
    fertility_ratio: np.ndarray  # [G]
    recent_migration: np.ndarray  # [G] net rate per person a year, census -> estimate
    estimate_year: int  # from this year on the recent rates decay with MIGRATION_HALF_LIFE
    intercensal_migration: np.ndarray  # [G] rates fitted between the last two censuses

    def migration(self, year: int, decay: bool = True, basis: str = "recent") -> np.ndarray:
        """Net migration rates [G] of ``year``: the recent (or last intercensal) rates, from
        the estimate year on decaying with MIGRATION_HALF_LIFE unless ``decay`` is false."""
        rates = self.recent_migration if basis == "recent" else self.intercensal_migration
        if year < self.estimate_year or not decay:
            return rates
        return rates * 0.5 ** ((year + 0.5 - self.estimate_year) / MIGRATION_HALF_LIFE)


def start_inputs(groups, period: int, estimate: int | None) -> StartInputs:
    """Calibrate on every census to ``period`` and fit each group's net migration rate from
    the census (taken as 1 January of ``period``, as in the bundled spec) to the Bureau's
    estimate of 1 January ``estimate`` (census_national), so that the projection passes through
    the estimates. ``other`` (any group outside the ten largest) gets the ten groups' mean age
    structure, fertility ratio and migration rate, weighted by their counts."""
    from kelisim.core.curated import read_curated

    counts = census_counts()
    calibration = calibrate(counts, period)
    ten = list(calibration.groups)
    population, ratio = calibration.population, calibration.fertility_ratio
    weights = counts.loc[period, ten].to_numpy(float)
    if estimate is None:
        recent = calibration.last_migration
    else:
        census = read_curated("census_national")
        rows = census[census["period"] == estimate].set_index("group_code")["count"]
        target = rows.reindex(ten).to_numpy(float)
        recent = _solve(target, lambda rate: project_groups(
            population, period, estimate - period, ratio, lambda _: rate)[-1].sum(axis=(1, 2)),
            -0.3, 0.3)
    structure = population.sum(axis=0) / weights.sum()
    chosen = [ten.index(group) if group in ten else None for group in groups]

    def pick(values):
        mean = np.average(values, weights=weights)
        return np.array([values[i] if i is not None else mean for i in chosen])

    return StartInputs(
        tuple(groups),
        np.stack([population[i] if i is not None else structure for i in chosen]),
        pick(ratio), pick(recent), estimate if estimate is not None else period,
        pick(calibration.last_migration))


@dataclass(frozen=True)
class RegionalCalibration:
    """Calibrated cells (area x group) at the last period used (``year``)."""

    areas: tuple[str, ...]
    groups: tuple[str, ...]
    year: int
    when: float
    population: np.ndarray  # [A, G, 2, 86]
    fertility_ratio: np.ndarray  # [G]
    migration: dict  # interval "2009-2021" -> net international rates [A, G]
    internal: tuple | None  # (out-migration probability a year, destination shares)


@cache
def _when(period: int) -> float:
    """The census date of ``period`` as a decimal year where census_national has one, else 1
    January of ``period``."""
    dates = census_counts()["when"]
    return float(dates.get(period, float(period)))


def calibrate_regions(counts: pd.DataFrame, until: int,
                      internal: tuple | None = None) -> RegionalCalibration:
    """The national method on an area x group table (area, group, period, count).

    Each group's fertility ratio and its age-sex structure at the table's first period come
    from the national calibration on the censuses up to that period (groups outside the ten
    largest: the count-weighted mean of the ten); then, for each interval of the table up to
    ``until``, one net migration rate per area and group is solved (simultaneous bisection
    over every cell) so that the projection, with the interregional migration ``internal`` when
    given, reproduces the next period's counts. Without ``internal`` the fitted rates hold
    internal and international migration together.
    """
    table = counts.pivot_table(index="period", columns=["area", "group"], values="count",
                               aggfunc="sum", fill_value=0.0).sort_index()
    periods = [int(p) for p in table.index if p <= until]
    areas = tuple(dict.fromkeys(a for a, _ in table.columns))
    groups = tuple(dict.fromkeys(g for _, g in table.columns))
    observed = np.stack([table.loc[p].reindex(pd.MultiIndex.from_product([areas, groups]),
                                               fill_value=0.0).to_numpy(float)
                         .reshape(len(areas), len(groups)) for p in periods])
    national = start_inputs(groups, periods[0], None) if periods[0] >= 1989 else None
    if national is None:
        raise ValueError("the national calibration starts in 1989; the table must too")
    shapes = national.population / national.population.sum(axis=(1, 2), keepdims=True)
    population = observed[0][:, :, None, None] * shapes[None]
    when = [_when(p) for p in periods]
    migration = {}
    for index in range(len(periods) - 1):
        start, length = when[index], when[index + 1] - when[index]
        if index:
            population = _rescaled(population, observed[index])
        rates = _fixed_point(
            observed[index + 1], length,
            lambda rate, start=start, length=length, population=population: advance(
                population, start, length, national.fertility_ratio, lambda _: rate,
                internal).sum(axis=(2, 3)))
        migration[f"{periods[index]}-{periods[index + 1]}"] = rates
        population = advance(population, start, length, national.fertility_ratio,
                             lambda _, rates=rates: rates, internal)
    population = _rescaled(population, observed[-1])
    return RegionalCalibration(areas, groups, periods[-1], when[-1], population,
                               national.fertility_ratio, migration, internal)


def _fixed_point(target: np.ndarray, length: float, counts_for, rounds: int = 60,
                 tolerance: float = 1e-9) -> np.ndarray:
    """Net rates [A, G] whose projected counts equal ``target``, by the iteration
    rate += ln(target / projected) / length (a rate change d over L years scales a cell by
    about e^(d L)); every cell is updated at once, so the interregional flows that couple the
    cells are followed (Jacobi iteration). Empty cells keep a rate of 0."""
    rates = np.zeros(target.shape)
    filled = target > 0
    for _ in range(rounds):
        projected = counts_for(rates)
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = np.where(filled, np.log(target / np.maximum(projected, 1e-12)), 0.0)
        rates += gap / length
        if np.abs(gap).max() < tolerance:
            break
    return rates


def _rescaled(population: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each cell's projected ages rescaled to its observed count (empty cells stay empty)."""
    totals = population.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(totals > 0, counts / totals, 0.0)
    return population * factor[..., None, None]


def forecast_regions(calibration: RegionalCalibration, until: float,
                     half_life: float = MIGRATION_HALF_LIFE,
                     schedules_until: int | None = None) -> np.ndarray:
    """Counts [A, G] at decimal year ``until``: fitted rates decaying as nationally, with the
    calibration's interregional migration; ``schedules_until`` as in :func:`project_groups`
    (a hindcast passes its calibration year)."""
    last = list(calibration.migration.values())[-1]

    def migration(year):
        return last * 0.5 ** ((year + 0.5 - calibration.when) / half_life)

    return advance(calibration.population, calibration.when, until - calibration.when,
                   calibration.fertility_ratio, migration, calibration.internal,
                   schedules_until).sum(axis=(2, 3))
