"""Monte Carlo over rate paths with streaming quantiles (never holding all trajectories).

Each draw perturbs the national rate paths of a scenario by AR(1) standard-normal paths
(correlation ``rho`` between steps) scaled to the published 80% intervals of UN WPP 2024
(sd = (upper80 - lower80) / 2.563): fertility is scaled by TFR_draw / TFR_median; mortality by
the Brass-logit shift giving e0_draw, applied as deaths x exp(2 delta_alpha) (for small death
probabilities 1 - l ~ exp(2 alpha) in Brass's logit); net international migrants shift by the
drawn difference of the net migration rate.

Quantiles of the summary cells (area x group x period counts) are exact sample quantiles of
the stored draws (:class:`StoredDraws`) while the draws fit in :data:`STORED_DRAWS_BYTES`;
beyond it they are tracked by the P-square algorithm of Jain & Chlamtac (1985, Comm. ACM
28:1076), vectorised over cells and quantiles: five markers per quantile and cell, so memory
does not grow with the number of draws. Draws run in single precision (float32); the central
projection stays in double precision. Draw ``d`` uses ``numpy.random.default_rng([seed, d])``,
so results do not depend on the number of worker processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from kelisim.forecast.engine import Rates, iterate, shared_scalings
from kelisim.forecast.outputs import QUANTILES, summary_cells

Z80 = 1.2815515655446004
#: The most memory the stored draws of one run may take (4 bytes per draw and cell); beyond it
#: the quantiles are estimated by P-square. 1,000 draws of the bench's 51 x 20 x 131 cells take
#: 535 MB.
STORED_DRAWS_BYTES = 1 << 30


class PSquare:
    """Streaming quantile estimates for many cells at once (Jain & Chlamtac 1985).

    Markers are stored as (5, quantiles x cells); each update adjusts only the markers whose
    position has drifted by one or more from its desired position.
    """

    def __init__(self, probabilities=QUANTILES) -> None:
        self.probabilities = np.asarray(probabilities, dtype=float)
        self.count = 0
        self.cells = 0
        self.first: list[np.ndarray] = []
        self.heights: np.ndarray | None = None
        self.positions: np.ndarray | None = None
        p = self.probabilities
        self.desired = np.stack([0 * p, 2 * p, 4 * p, 2 + 2 * p, 4 + 0 * p])
        self.increments = np.stack([0 * p, p / 2, p, (1 + p) / 2, 1 + 0 * p])

    def update(self, values: np.ndarray) -> None:
        """Add one observation per cell (an array of any shape, the same every time)."""
        values = np.asarray(values, dtype=float).reshape(-1)
        self.count += 1
        if self.heights is None:
            self.first.append(values.copy())
            if len(self.first) == 5:
                self.cells = len(values)
                start = np.sort(np.stack(self.first), axis=0)
                self.heights = np.tile(start, (1, len(self.probabilities)))
                self.positions = np.repeat(np.arange(5.0)[:, None], self.heights.shape[1], 1)
                self.first = []
            return
        q, n = self.heights, self.positions
        # Views [marker, quantile, cell] of the same arrays: the new values and the desired
        # positions broadcast over quantiles and cells instead of being copied to each.
        by_quantile = (5, len(self.probabilities), self.cells)
        heights, positions = q.reshape(by_quantile), n.reshape(by_quantile)
        np.minimum(heights[0], values, out=heights[0])
        np.maximum(heights[4], values, out=heights[4])
        positions[1:4] += values < heights[1:4]  # markers above the new value move one up
        n[4] += 1
        self.desired += self.increments
        for i in (1, 2, 3):
            gap = (self.desired[i][:, None] - positions[i]).reshape(-1)
            up = (gap >= 1) & (n[i + 1] - n[i] > 1)
            down = (gap <= -1) & (n[i - 1] - n[i] < -1)
            moving = np.flatnonzero(up | down)
            if not moving.size:
                continue
            d = np.where(up[moving], 1.0, -1.0)
            below, here, above = q[i - 1, moving], q[i, moving], q[i + 1, moving]
            n_below, n_here, n_above = n[i - 1, moving], n[i, moving], n[i + 1, moving]
            parabolic = here + d / (n_above - n_below) * (
                (n_here - n_below + d) * (above - here) / (n_above - n_here)
                + (n_above - n_here - d) * (here - below) / (n_here - n_below))
            linear = here + d * np.where(d > 0, (above - here) / (n_above - n_here),
                                         (below - here) / (n_below - n_here))
            inside = (below < parabolic) & (parabolic < above)
            q[i, moving] = np.where(inside, parabolic, linear)
            n[i, moving] += d

    def quantiles(self) -> np.ndarray:
        """Estimates [quantile, cell], made non-decreasing across the (sorted) probabilities;
        exact order statistics while fewer than 5 draws."""
        if self.heights is None:
            return np.quantile(np.stack(self.first), self.probabilities, axis=0)
        middle = self.heights[2].reshape(len(self.probabilities), self.cells)
        return np.maximum.accumulate(middle, axis=0)


class StoredDraws:
    """Exact sample quantiles of many cells over a known number of draws (numpy's default
    linear interpolation, Hyndman & Fan 1996 type 7).

    Each draw is kept as float32 differences from the first draw's cells (kept in float64):
    4 bytes per draw and cell, and cells every draw shares (the base year) stay exact to the
    person, which float32 counts above 2^24 would not.
    """

    def __init__(self, draws: int, probabilities=QUANTILES) -> None:
        self.probabilities = np.asarray(probabilities, dtype=float)
        self.draws = draws
        self.count = 0
        self.first: np.ndarray | None = None
        self.differences: np.ndarray | None = None

    def update(self, values: np.ndarray) -> None:
        """Add one draw's cells (an array of any shape, the same every time)."""
        values = np.asarray(values, dtype=float).reshape(-1)
        if self.first is None:
            self.first = values.copy()
            self.differences = np.empty((self.draws, len(values)), dtype=np.float32)
        np.subtract(values, self.first, out=self.differences[self.count], casting="same_kind")
        self.count += 1

    def quantiles(self, block: int = 8192) -> np.ndarray:
        """Quantiles [quantile, cell], computed on blocks of cells (a transposed copy of a
        block, not of every draw)."""
        stored = self.differences[:self.count]
        result = np.empty((len(self.probabilities), stored.shape[1]))
        for start in range(0, stored.shape[1], block):
            cells = slice(start, start + block)
            result[:, cells] = np.quantile(stored[:, cells], self.probabilities, axis=0)
        return result + self.first


@dataclass(frozen=True)
class RatePaths:
    """Median national paths per step and their 80%-interval standard deviations."""

    tfr: np.ndarray
    tfr_sd: np.ndarray
    e0_sd: np.ndarray
    migration_sd: np.ndarray
    e0_per_alpha: float
    group_migration_sd: np.ndarray | None = None  # [G] calibrated group inputs only
    group_fertility_log_sd: float = 0.0
    group_from_step: int = 0  # the group draws act from this step on (after the estimates)


class DrawnRates(Sequence):
    """One draw's per-step rates, each built when the engine asks for its step.

    Only one step's drawn survival array is alive at a time: memory and the page faults of
    fresh arrays do not grow with the number of steps.
    """

    def __init__(self, base: list[Rates], fertility_factor: list[float],
                 death_factor: list[float], migration_shift: list[float]) -> None:
        self.base, self.fertility_factor = base, fertility_factor
        self.death_factor, self.migration_shift = death_factor, migration_shift

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: int) -> Rates:
        rates = self.base[index]
        base_rate = 0.0 if rates.international_rate is None else rates.international_rate
        if "deaths" not in rates.scaled:
            rates.scaled["deaths"] = 1.0 - rates.survival
            rates.scaled["most_deaths"] = float(rates.scaled["deaths"].max(initial=0.0))
        survival = np.multiply(rates.scaled["deaths"], -self.death_factor[index])
        survival += 1.0
        if self.death_factor[index] * rates.scaled["most_deaths"] > 0.999:  # float32 margin
            np.maximum(survival, 0.0, out=survival)
        one = replace(rates, fertility=rates.fertility * self.fertility_factor[index],
                      survival=survival,
                      international_rate=base_rate + self.migration_shift[index])
        # Migrant counts, internal flows and switching are not drawn: every draw reuses the
        # arrays the engine derives from them (the draws run in the base rates' precision).
        one.scaled.update(shared_scalings(rates, rates.fertility.dtype))
        return one


def draw_rates(base: list[Rates], paths: RatePaths, rng: np.random.Generator,
               width: float, rho: float = 0.9) -> DrawnRates:
    """One Monte Carlo draw of the per-step rates around ``base`` (see module docstring)."""
    steps = len(base)
    shocks = rng.standard_normal((3, steps))
    z = np.empty_like(shocks)
    z[:, 0] = shocks[:, 0]
    for index in range(1, steps):
        z[:, index] = rho * z[:, index - 1] + np.sqrt(1 - rho**2) * shocks[:, index]
    # Python floats keep the arrays' precision (numpy scalars would promote float32 to 64).
    fertility_factor = (np.maximum(paths.tfr + z[0] * paths.tfr_sd, 0.0) / paths.tfr).tolist()
    death_factor = np.exp(-2.0 * z[1] * paths.e0_sd / paths.e0_per_alpha).tolist()
    migration_shift = (z[2] * paths.migration_sd * width).tolist()
    if paths.group_migration_sd is not None:
        # Calibrated groups: each group's net migration rate shifts by one level for the whole
        # horizon and its fertility ratio by a lognormal factor (kelisim.forecast.calibrate).
        groups = len(paths.group_migration_sd)
        dtype = base[0].fertility.dtype
        level = (rng.standard_normal(groups) * paths.group_migration_sd * width).astype(dtype)
        ratio = np.exp(paths.group_fertility_log_sd * rng.standard_normal(groups)).astype(dtype)
        first = paths.group_from_step
        migration_shift[first:] = [shift + level[None, :, None, None]
                                   for shift in migration_shift[first:]]
        fertility_factor[first:] = [factor * ratio[None, :, None]
                                    for factor in fertility_factor[first:]]
    return DrawnRates(base, fertility_factor, death_factor, migration_shift)


_WORKER: dict = {}


def _set_worker(population, base, paths, width, seed, single_thread=False,
                shares=False) -> None:
    if single_thread:  # one BLAS thread per worker process: the workers are the parallelism
        import scipy.linalg.blas  # noqa: F401  the engine's gemm: loaded, so it is limited too
        from threadpoolctl import threadpool_limits

        _WORKER["limits"] = threadpool_limits(1)
        _keep_freed_memory()
    converted: dict[int, np.ndarray] = {}
    _WORKER.update(population=population.astype(np.float32),
                   base=[_single_precision(rates, converted) for rates in base],
                   paths=paths, width=width, seed=seed, shares=shares)


def _keep_freed_memory() -> None:
    """Make this worker process's glibc malloc keep freed memory for its next allocations
    (mallopt(3): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD) instead of returning it to the system.

    Every step of a draw allocates and frees a few state-sized arrays (2 MB in the bench);
    returned to the system, they came back as about 68,000 page faults (0.15 CPU s) per draw.
    Does nothing on other C libraries.
    """
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL(None)
    libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GB of free memory at the top
    libc.mallopt(-3, 1 << 28)  # M_MMAP_THRESHOLD: arrays under 256 MB come from the heap


def _single_precision(rates: Rates, converted: dict) -> Rates:
    """The rates as float32 arrays: draws run in single precision (half the memory traffic).

    ``converted`` maps id(array) to its float32 copy, so steps sharing an array share a copy.
    """
    arrays = ("survival", "fertility", "out_migration", "destination", "international",
              "international_rate", "switching", "child_group")
    changes = {}
    for name in arrays:
        value = getattr(rates, name)
        if value is not None:
            key = id(value)
            if key not in converted:
                converted[key] = np.asarray(value, dtype=np.float32)
            changes[name] = converted[key]
    return replace(rates, **changes)


def _summaries(draw: int) -> np.ndarray:
    """Summary cells [T + 1, A, G + 1] of one draw (in a worker or in-process), followed by
    each group's share of its area [T + 1, A, G] when the worker was set with ``shares``."""
    state = _WORKER
    rng = np.random.default_rng([state["seed"], draw])
    rates = draw_rates(state["base"], state["paths"], rng, state["width"])
    population = state["population"]
    cells = [summary_cells(population)]
    cells += [summary_cells(current) for current in
              iterate(population, rates, len(rates), state["width"])]
    cells = np.stack(cells)
    if state["shares"]:
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = cells[..., :-1] / cells[..., -1:]
        cells = np.concatenate([cells, np.nan_to_num(shares)], axis=-1)
    return cells


def monte_carlo(population, base: list[Rates], paths: RatePaths, width: float, draws: int,
                seed: int, workers: int = 1,
                shares: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles [quantile, T + 1, A, G + 1] and mean [T + 1, A, G + 1] over ``draws`` draws
    (last axis G + 1 + G with ``shares``: the groups' shares of their area follow)."""
    groups = population.shape[1]
    cells = (len(base) + 1) * population.shape[0] * (groups + 1 + (groups if shares else 0))
    fits = draws * cells * np.dtype(np.float32).itemsize <= STORED_DRAWS_BYTES
    sketch = StoredDraws(draws) if fits else PSquare()
    total = None
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_set_worker,
                                 initargs=(population, base, paths, width, seed, True,
                                           shares)) as pool:
            results = pool.map(_summaries, range(draws), chunksize=max(1, draws // 50))
            for cells in results:
                sketch.update(cells)
                total = cells if total is None else total + cells
    else:
        _set_worker(population, base, paths, width, seed, shares=shares)
        for draw in range(draws):
            cells = _summaries(draw)
            sketch.update(cells)
            total = cells if total is None else total + cells
    shape = total.shape
    return sketch.quantiles().reshape(len(QUANTILES), *shape), total / draws


def rate_paths(inputs) -> RatePaths:
    """Median national TFR per step and sds from the WPP 2024 80% intervals (or the spec).

    ``[uncertainty]`` keys tfr_sd, e0_sd (years) and migration_sd (net migrants per person a
    year) override
    the WPP-derived values, which are zero for years WPP reports as estimates.
    """
    from kelisim.forecast import rates as tables
    from kelisim.forecast.scenarios import national_population

    spec = inputs.spec
    years = [range(year, year + spec.width) for year in spec.periods[:-1]]
    tfr = np.array([inputs.national.loc[list(span), "tfr"].mean() for span in years])
    settings = spec.uncertainty
    sds = {}
    if spec.national.get("source", "wpp2024_kazakhstan") == "wpp2024_kazakhstan":
        wpp = tables.wpp_kazakhstan().set_index("year")
        population = national_population(wpp)
        for key, column, scale in (("tfr", "tfr", 1.0), ("e0", "e0B", 1.0),
                                   ("migration", "mig", 1.0 / population)):
            spread = ((wpp[f"{column}_80u"] - wpp[f"{column}_80l"]) / (2 * Z80) * scale
                      ).fillna(0.0)
            clipped = [np.clip(list(span), wpp.index.min(), wpp.index.max()) for span in years]
            sds[key] = np.array([spread.loc[span].mean() for span in clipped])
    group_sd = None
    if inputs.groups is not None:  # group rates replace the national migration rate
        from kelisim.forecast.calibrate import FERTILITY_LOG_SD, migration_sd

        sds["migration"] = np.zeros(len(years))
        # The prior rule only: the random-walk step of the hindcasts, held for 30 years, puts
        # Germans between 1,800 and 11 million in 2051 (docs/forecast.md, "Intervals").
        group_sd = migration_sd([inputs.groups.intercensal_migration])
    for key in ("tfr", "e0", "migration"):
        if f"{key}_sd" in settings:
            sds[key] = np.full(len(years), float(settings[f"{key}_sd"]))
        sds.setdefault(key, np.zeros(len(years)))
    ages = np.array(inputs.grid.ages, dtype=float)
    e0 = float(inputs.national.iloc[0][["e0_female", "e0_male"]].mean())
    alpha = tables.brass_alpha_for_e0(e0, ages, spec.width)
    slope = (tables.brass_nLx(alpha - 0.01, ages, spec.width).sum()
             - tables.brass_nLx(alpha + 0.01, ages, spec.width).sum()) / 0.02
    if group_sd is None:
        return RatePaths(tfr, sds["tfr"], sds["e0"], sds["migration"], float(slope))
    first = sum(1 for year in spec.periods[:-1] if year < inputs.groups.estimate_year)
    return RatePaths(tfr, sds["tfr"], sds["e0"], sds["migration"], float(slope), group_sd,
                     FERTILITY_LOG_SD, first)

