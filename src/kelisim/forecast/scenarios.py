"""Projection specs in TOML: inputs, national anchors and named scenarios of rate changes.

A spec is read and every input table validated before anything is computed
(:func:`load_spec` then :func:`prepare`); :func:`step_rates` turns one scenario into the
engine's per-step :class:`~kelisim.forecast.engine.Rates`. The format is documented in
``docs/forecast.md``.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kelisim.core.keys import check_keys
from kelisim.errors import InputError
from kelisim.forecast import rates as tables
from kelisim.forecast.calibrate import StartInputs, fertility_for, start_inputs, survival_for
from kelisim.forecast.engine import TIMINGS, Rates, Transfer
from kelisim.forecast.lifetable import nLx_from_mx, survival_from_nLx

CHANGE_KINDS = {
    "tfr": ("value", "by"),
    "e0_gain": ("years", "by"),
    "fertility_convergence": ("by",),
    "migration_scale": ("factor",),
    "net_migration_scale": ("factor",),
    "international": ("persons_per_year",),
    "resettlement": ("origin", "destination", "persons_per_year", "ages"),
    "group_migration": ("factor",),
}
#: Optional keys of each change kind (besides ``kind`` and the required ones).
CHANGE_OPTIONS = {
    "tfr": ("start",),
    "e0_gain": ("start",),
    "fertility_convergence": ("start", "target", "groups"),
    "migration_scale": ("start", "end"),
    "net_migration_scale": ("start", "end"),
    "international": ("area", "group", "ages", "start", "end"),
    "resettlement": ("start", "end"),
    "group_migration": ("groups", "decay", "basis", "start", "end"),
}
#: Every key a spec may hold, by section; anything else is refused with a suggestion.
SPEC_KEYS = {
    "": ("projection", "inputs", "national", "scenarios", "uncertainty", "calibration"),
    "projection": ("name", "start", "end", "step", "timing"),
    "inputs": ("population", "fertility_ratio", "mortality_ratio", "fertility", "mortality",
               "life_table", "migration", "international", "switching", "child_group"),
    "inputs.population": ("dataset", "period", "groups"),
    "national": ("source", "srb", "tfr", "e0_female", "e0_male", "net_migration_rate"),
    "scenarios": ("name", "description", "changes"),
    "calibration": ("estimate",),
    "uncertainty": ("draws", "seed", "tfr_sd", "e0_sd", "migration_sd"),
}


@dataclass(frozen=True)
class Scenario:
    """A named list of changes (TOML tables) applied to the baseline rates."""

    name: str
    changes: tuple[dict, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Spec:
    """A parsed projection spec; paths are resolved relative to the spec file."""

    path: Path
    name: str
    start: int
    end: int
    width: int
    timing: str
    inputs: dict[str, Path]
    national: dict
    scenarios: tuple[Scenario, ...]
    uncertainty: dict = field(default_factory=dict)
    calibration: dict | None = None

    @property
    def steps(self) -> int:
        return (self.end - self.start) // self.width

    @property
    def periods(self) -> list[int]:
        return [self.start + self.width * index for index in range(self.steps + 1)]


@dataclass(frozen=True)
class Inputs:
    """Validated inputs on one grid, ready for any scenario."""

    spec: Spec
    grid: tables.Grid
    population: np.ndarray
    fertility_ratio: np.ndarray
    mortality_ratio: np.ndarray
    fertility: np.ndarray | None
    survival: np.ndarray | None
    out_migration: np.ndarray | None
    destination: np.ndarray | None
    international: np.ndarray | None
    switching: np.ndarray | None
    child_group: np.ndarray | None
    national: pd.DataFrame = field(repr=False)
    groups: StartInputs | None = None


def _require(path: Path, table: dict, key: str, kind, where: str):
    if key not in table:
        raise InputError(path, None, f"{where}.{key}", "required key is missing")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        expected = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise InputError(path, None, f"{where}.{key}", f"expected {expected}")
    return value


def load_spec(path: str | Path) -> Spec:
    """Read and check a TOML spec (keys, types, scenario changes); no tables are read yet."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(path, None, None, "file not found") from error
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, None, None, f"not valid TOML ({error})") from error
    check_keys(path, document, SPEC_KEYS[""], "")
    for section in ("projection", "inputs", "national", "uncertainty", "calibration"):
        check_keys(path, document.get(section, {}), SPEC_KEYS[section], section)
    projection = document.get("projection", {})
    start = _require(path, projection, "start", int, "projection")
    end = _require(path, projection, "end", int, "projection")
    width = projection.get("step", 5)
    if width not in (1, 5):
        raise InputError(path, None, "projection.step", "step must be 1 or 5 years")
    if end <= start or (end - start) % width:
        raise InputError(path, None, "projection.end",
                         f"end must be after start by a multiple of the step {width}")
    timing = projection.get("timing", "even")
    if timing not in TIMINGS:
        raise InputError(path, None, "projection.timing", "timing must be start, end or even")
    inputs = document.get("inputs", {})
    if isinstance(_require(path, inputs, "population", (str, dict), "inputs"), dict):
        check_keys(path, inputs["population"], SPEC_KEYS["inputs.population"],
                   "inputs.population")
    resolved = {key: value if isinstance(value, dict) else path.parent / value
                for key, value in inputs.items()}
    scenarios = []
    for index, table in enumerate(document.get("scenarios", [{"name": "baseline"}])):
        where = f"scenarios[{index}]"
        check_keys(path, table, SPEC_KEYS["scenarios"], where)
        name = _require(path, table, "name", str, where)
        changes = tuple(table.get("changes", []))
        for number, change in enumerate(changes):
            kind = _require(path, change, "kind", str, f"{where}.changes[{number}]")
            if kind not in CHANGE_KINDS:
                close = difflib.get_close_matches(kind, CHANGE_KINDS, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else \
                    f"known: {', '.join(CHANGE_KINDS)}"
                raise InputError(path, None, f"{where}.changes[{number}].kind",
                                 f"unknown change {kind!r}, {hint}")
            check_keys(path, change, ("kind", *CHANGE_KINDS[kind], *CHANGE_OPTIONS[kind]),
                       f"{where}.changes[{number}]")
            for key in CHANGE_KINDS[kind]:
                if key not in change:
                    raise InputError(path, None, f"{where}.changes[{number}].{key}",
                                     f"required for a {kind} change")
        scenarios.append(Scenario(name, changes, table.get("description", "")))
    uncertainty = document.get("uncertainty", {})
    for key in ("draws", "seed"):
        if not isinstance(uncertainty.get(key, 0), int) or uncertainty.get(key, 0) < 0:
            raise InputError(path, None, f"uncertainty.{key}", "expected a whole number >= 0")
    calibration = document.get("calibration")
    if calibration is not None and not (isinstance(inputs["population"], dict) and width == 1):
        raise InputError(path, None, "calibration", "calibration needs a census_national "
                         "population (inputs.population = { dataset = ... }) and step = 1")
    return Spec(path, projection.get("name", path.stem), start, end, width, timing, resolved,
                document.get("national", {}), tuple(scenarios), uncertainty, calibration)


def _check_areas(spec: Spec, grid: tables.Grid) -> None:
    """Every area a scenario names must be in the population table."""
    for index, scenario in enumerate(spec.scenarios):
        for number, change in enumerate(scenario.changes):
            for key in ("origin", "destination", "area"):
                if key in change and change[key] not in grid.areas:
                    raise InputError(spec.path, None,
                                     f"scenarios[{index}].changes[{number}].{key}",
                                     f"unknown area {change[key]!r}")
            where = f"scenarios[{index}].changes[{number}]"
            if "group" in change and change["group"] not in grid.groups:
                raise InputError(spec.path, None, f"{where}.group",
                                 f"unknown group {change['group']!r}")
            for group in change.get("groups", []):
                if group not in grid.groups:
                    raise InputError(spec.path, None, f"{where}.groups",
                                     f"unknown group {group!r}")
            if change["kind"] == "group_migration" and spec.calibration is None:
                raise InputError(spec.path, None, f"{where}.kind",
                                 "a group_migration change needs a [calibration] section")
            if change.get("basis", "recent") not in ("recent", "intercensal"):
                raise InputError(spec.path, None, f"{where}.basis",
                                 "basis must be recent or intercensal")


def prepare(spec: Spec) -> Inputs:
    """Read and validate every input table of ``spec`` against the population's grid."""
    source = spec.inputs["population"]
    groups = None
    if isinstance(source, dict):
        from kelisim.forecast.bundled import census_population

        if spec.calibration is not None:
            groups = start_inputs([*source.get("groups", []), "other"], spec.start,
                                  spec.calibration.get("estimate"))
        rows = census_population(spec.path, source, spec.width, spec.national.get("srb", 1.05),
                                 None if groups is None else groups.population)
        grid, population = tables.population_array(spec.path, rows, spec.width)
    else:
        grid, population = tables.read_population(source, spec.width)
    _check_areas(spec, grid)
    files = spec.inputs

    def optional(key, reader, *args, **kwargs):
        return reader(files[key], grid, *args, **kwargs) if key in files else None

    fertility_ratio = optional("fertility_ratio", tables.read_rates, "value",
                               keys=("area", "group"))
    mortality_ratio = optional("mortality_ratio", tables.read_rates, "value",
                               keys=("area", "group", "sex"))
    migration = optional("migration", tables.read_migration)
    out_migration, destination = migration if migration is not None else (None, None)
    international = optional("international", tables.read_rates, "count", low=None,
                             default=0.0)
    ones = np.ones_like(population)
    if groups is not None:
        order = [groups.groups.index(group) for group in grid.groups]
        fertility_ratio = groups.fertility_ratio[order][None, :, None, None]
        groups = StartInputs(tuple(grid.groups), groups.population[order],
                             groups.fertility_ratio[order], groups.recent_migration[order],
                             groups.estimate_year, groups.intercensal_migration[order])
    return Inputs(
        spec, grid, population,
        fertility_ratio[:, :, 0, 0] if fertility_ratio is not None else ones[:, :, 0, 0],
        mortality_ratio[..., 0] if mortality_ratio is not None else ones[..., 0],
        optional("fertility", tables.read_rates, "value", high=1.0,
                 keys=("area", "group", "age")),
        _survival_input(files, grid, spec.width),
        out_migration, destination, international,
        optional("switching", tables.read_switching),
        optional("child_group", tables.read_child_group),
        _national_path(spec),
        groups,
    )


def national_population(wpp: pd.DataFrame) -> pd.Series:
    """Mid-year population (thousands) as births / crude birth rate x 1000 (WPP 2024)."""
    return wpp["births"] / wpp["cbr"] * 1000.0


def _national_path(spec: Spec) -> pd.DataFrame:
    """National TFR, e0 by sex and net migrants per person per year (WPP 2024 or the spec)."""
    years = np.arange(spec.start, spec.end + spec.width)
    national = spec.national
    if national.get("source", "wpp2024_kazakhstan") == "wpp2024_kazakhstan":
        wpp = tables.wpp_kazakhstan().set_index("year")
        clipped = np.clip(years, wpp.index.min(), wpp.index.max())
        chosen = wpp.loc[clipped]
        frame = pd.DataFrame({"year": years, "tfr": chosen["tfr"].to_numpy(),
                              "e0_female": chosen["e0F"].to_numpy(),
                              "e0_male": chosen["e0M"].to_numpy(),
                              "net_migration_rate": (chosen["mig"] / national_population(chosen))
                              .to_numpy()})
    else:
        frame = pd.DataFrame({"year": years})
    for key in ("tfr", "e0_female", "e0_male", "net_migration_rate"):
        if key in national:
            frame[key] = float(national[key])
        elif key not in frame:
            raise InputError(spec.path, None, f"national.{key}", "required without a source")
    return frame.set_index("year")


def _ramp(year: float, start: float, by: float) -> float:
    """0 before ``start``, 1 from ``by`` on, linear between."""
    if by <= start:
        return float(year >= by)
    return float(np.clip((year - start) / (by - start), 0.0, 1.0))


def _active(change: dict, year: int, spec: Spec) -> bool:
    return change.get("start", spec.start) <= year < change.get("end", spec.end + 1)


def _age_mask(grid: tables.Grid, ages) -> np.ndarray:
    low, high = ages
    grid_ages = np.array(grid.ages)
    return (grid_ages >= low) & (grid_ages <= high)


def step_rates(inputs: Inputs, scenario: Scenario) -> list[Rates]:
    """The engine's rates for every step of ``scenario`` (annual inputs scaled to the step)."""
    spec, grid = inputs.spec, inputs.grid
    width = spec.width
    shape = inputs.population.shape
    ages = np.array(grid.ages, dtype=float)
    result = []
    shared: dict = {}  # arrays equal across steps are built once and shared
    for year in spec.periods[:-1]:
        national = inputs.national.loc[year : year + width - 1].mean()
        tfr = national["tfr"]
        e0 = np.array([national["e0_female"], national["e0_male"]])
        fertility_ratio = inputs.fertility_ratio.copy()
        internal_factor = 1.0
        net_migration_rate = national["net_migration_rate"]
        international = None if inputs.international is None else inputs.international * width
        transfers = []
        group_rates = None if inputs.groups is None else inputs.groups.migration(year)
        for change in scenario.changes:
            kind = change["kind"]
            ramp = _ramp(year, change.get("start", spec.start), change.get("by", spec.start))
            if kind == "tfr":
                tfr = tfr + ramp * (change["value"] - tfr)
            elif kind == "e0_gain":
                e0 = e0 + ramp * change["years"]
            elif kind == "fertility_convergence":
                groups = [grid.groups.index(g) for g in change.get("groups", grid.groups)]
                target = change.get("target", 1.0)
                fertility_ratio[:, groups] += ramp * (target - fertility_ratio[:, groups])
            elif kind == "migration_scale" and _active(change, year, spec):
                internal_factor *= change["factor"]
            elif kind == "net_migration_scale" and _active(change, year, spec):
                net_migration_rate *= change["factor"]
            elif kind == "international" and _active(change, year, spec):
                extra = _extra_international(grid, shape, change) * width
                international = extra if international is None else international + extra
            elif kind == "group_migration" and _active(change, year, spec):
                chosen = [grid.groups.index(g) for g in change.get("groups", grid.groups)]
                rates = inputs.groups.migration(year, change.get("decay", True),
                                                change.get("basis", "recent"))
                group_rates = group_rates.copy()
                group_rates[chosen] = change["factor"] * rates[chosen]
            elif kind == "resettlement" and _active(change, year, spec):
                transfers.append(Transfer(grid.areas.index(change["origin"]),
                                          grid.areas.index(change["destination"]),
                                          change["persons_per_year"] * width,
                                          _age_mask(grid, change["ages"])))
        if inputs.fertility is not None:
            fertility = inputs.fertility[:, :, 0, :] * fertility_ratio[:, :, None]
        elif inputs.groups is not None:  # WPP 2024 age pattern, scaled to the scenario's TFR
            national_asfr = fertility_for(year)
            fertility = fertility_ratio[:, :, None] * national_asfr * (tfr / national_asfr.sum())
        else:
            asfr = tables.hadwiger_schedule(tfr, ages, width)
            fertility = fertility_ratio[:, :, None] * asfr
        survival_key = None if inputs.survival is not None else tuple(e0)
        if inputs.groups is not None:  # WPP 2024 death rates of the year, not the Brass model
            survival_key = ("wpp", year)
            shared[survival_key] = np.clip(1.0 - inputs.mortality_ratio[..., None]
                                           * (1.0 - survival_for(year)), 0.0, 1.0)
        if survival_key not in shared:
            shared[survival_key] = _survival(inputs, e0, ages, width)
        out_migration = None
        if inputs.out_migration is not None:
            if internal_factor not in shared:
                shared[internal_factor] = np.minimum(
                    inputs.out_migration * width * internal_factor, 1.0)
            out_migration = shared[internal_factor]
        survival = shared[survival_key]
        result.append(Rates(
            survival=survival, fertility=fertility, srb=spec.national.get("srb", 1.05),
            child_group=inputs.child_group, out_migration=out_migration,
            destination=inputs.destination,
            international=international,
            international_rate=(net_migration_rate if group_rates is None
                                else group_rates[None, :, None, None]) * width,
            switching=None if inputs.switching is None else 1 - (1 - inputs.switching) ** width,
            transfers=tuple(transfers), timing=spec.timing))
    return result


def _survival(inputs: Inputs, e0, ages, width: int) -> np.ndarray:
    """Survival [A, G, 2, X+1]: the input table, or the Brass table for e0 by sex, with the
    mortality ratios applied to the probabilities of dying."""
    if inputs.survival is not None:
        survival = inputs.survival
    else:
        survival = np.stack([
            survival_from_nLx(tables.brass_nLx(tables.brass_alpha_for_e0(e, ages, width),
                                               ages, width), width, radix=1.0)
            for e in e0])[None, None]
    return np.clip(1.0 - inputs.mortality_ratio[..., None] * (1.0 - survival), 0.0, 1.0)


def _survival_input(files: dict, grid: tables.Grid, width: int) -> np.ndarray | None:
    """Survival ratios [A, G, 2, X+1] from a life table (nLx) or death rates (mx), if given."""
    if "life_table" in files:
        return tables.read_life_table(files["life_table"], grid)
    if "mortality" in files:
        mortality = tables.read_rates(files["mortality"], grid, "value")
        return survival_from_nLx(nLx_from_mx(mortality, width), width)
    return None


def _extra_international(grid: tables.Grid, shape, change: dict) -> np.ndarray:
    """Annual net migrants of a change, spread evenly over its area, group, sexes and ages."""
    extra = np.zeros(shape)
    area = slice(None) if "area" not in change else grid.areas.index(change["area"])
    group = slice(None) if "group" not in change else grid.groups.index(change["group"])
    selected = np.zeros(shape, dtype=bool)
    selected[area, group] = True
    selected &= _age_mask(grid, change.get("ages", (0, grid.ages[-1])))
    extra[selected] = change["persons_per_year"] / max(int(selected.sum()), 1)
    return extra
