"""Multiregional, multigroup cohort-component projection over a state [area, group, sex, age].

One step of width ``h`` years (the width of the age groups, the last one open):

1. migrants moving at the "start" of the step (all of them, half under "even") join the
   population and are exposed to survival and fertility;
2. survival: ordinary ratios per area (Preston, Heuveline & Guillot 2001, Box 6.1) or, in the
   multiregional form, matrices [destination area, origin area] that carry survival and internal
   migration together (Rogers 1975; Willekens & Rogers 1978, "option 3");
3. migrants moving at the "end" of the step (all, or the other half under "even") join the
   survivors without exposure to survival (end-of-step rates act on persons alive at the start);
4. births B = h/2 sum_x f_x (W_x(t) + W_x(t+h)), W(t+h) including the end-of-step migrants, by
   mother's area and group (as in ccmppWPP's reproduction of Preston et al. Box 6.2), mixed into
   child groups by a mother-group -> child-group matrix, split by the sex ratio at birth and
   survived into the first age group;
5. identity switching moves persons between groups in proportion to a rate matrix, conserving
   persons.

Sex index 0 is female, 1 male; a one-sex projection has a single (female) sex.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

TIMINGS = {"start": (1.0, 0.0), "end": (0.0, 1.0), "even": (0.5, 0.5)}
# Up to this many non-zero switching rates are applied one by one; up to an eighth of the
# matrix by a sparse product; beyond it by a dense matrix product.
SPARSE_SWITCHING = 16


@dataclass(frozen=True)
class Transfer:
    """A programme moving ``count`` persons per step from one area to another.

    The persons are taken from the origin's ages in ``ages`` (a boolean mask over the age axis),
    across groups and sexes in proportion to the origin's population, never more than present.
    """

    origin: int
    destination: int
    count: float
    ages: np.ndarray


@dataclass(frozen=True)
class Rates:
    """Rates for one projection step (arrays broadcast against the state [A, G, S, X]).

    survival: (A, G, S, X+1), or (A, A, G, S, X+1) [destination, origin] for the multiregional
        form (see :mod:`kelisim.forecast.lifetable`).
    fertility: (A, G, X) births per woman-year by the mother's age.
    srb: males per female birth; 0 for a one-sex projection whose fertility counts daughters.
    child_group: (G, G) or (A, G, G) share of a mother-group's (row) births in each child group.
    out_migration: (A, G, S, X) probability of leaving the area during the step; destination
        (A origin, A destination) or (A, A, G, S, X) shares of the leavers (summing to 1 over
        destinations, zero diagonal).
    international: (A, G, S, X) net international migrants per step (counts).
    international_rate: (A, G, S, X) net international migrants per person per step.
    switching: (G, G) probability per step of a person of the row group being counted in the
        column group at the end of the step (diagonal ignored).
    transfers: count programmes between areas.
    timing: "start", "end" or "even" for every migration flow.
    """

    survival: np.ndarray
    fertility: np.ndarray
    srb: float | np.ndarray = 1.05
    child_group: np.ndarray | None = None
    out_migration: np.ndarray | None = None
    destination: np.ndarray | None = None
    international: np.ndarray | None = None
    international_rate: np.ndarray | None = None
    switching: np.ndarray | None = None
    transfers: tuple[Transfer, ...] = field(default_factory=tuple)
    timing: str = "even"
    scaled: dict = field(init=False, default_factory=dict, repr=False, compare=False)


def _scaled(rates: Rates, name: str, fraction: float, dtype=None):
    """``fraction`` times one of the rates' arrays, computed once per Rates object.

    'international_outflow': whether any net count is negative; 'international_growth':
    1 + fraction x the net international rate, in ``dtype``; 'net_flow': the matrix
    fraction (D' - I) [destination, origin] of the internal flows, contiguous, in ``dtype``;
    'switching': the switching operator in ``dtype`` (:func:`_switching_operator`).
    """
    key = (name, fraction, dtype)
    if key not in rates.scaled:
        if name == "international_growth":
            growth = 1.0 + fraction * np.asarray(rates.international_rate, dtype=float)
            rates.scaled[key] = growth.astype(dtype)
        elif name == "international_outflow":
            rates.scaled[key] = bool((rates.international < 0).any())
        elif name == "net_flow":
            net = fraction * (rates.destination.T - np.eye(len(rates.destination)))
            rates.scaled[key] = np.ascontiguousarray(net, dtype=dtype)
        elif name == "switching":
            rates.scaled[key] = _switching_operator(rates.switching, dtype)
        else:
            rates.scaled[key] = getattr(rates, name) * fraction
    return rates.scaled[key]


def _migrate(population: np.ndarray, rates: Rates, fraction: float,
             in_place: bool = False) -> np.ndarray:
    """Apply ``fraction`` of the step's migration flows to ``population``.

    A new array, or ``population`` itself changed when ``in_place``. The net international
    rate r enters as the factor (1 + fraction r), internal flows as one net change, fraction
    (D' - I) applied to the leavers over areas.
    """
    leaving = None if rates.out_migration is None else population * rates.out_migration
    growth = (None if rates.international_rate is None
              else _scaled(rates, "international_growth", fraction, population.dtype))
    counts = None if rates.international is None else _scaled(rates, "international", fraction)
    into = population if in_place else None
    if growth is not None:
        moved = np.multiply(population, growth, out=into)
        if counts is not None:
            moved += counts
    elif counts is not None:
        moved = np.add(population, counts, out=into)
    else:
        moved = population if in_place else population.copy()
    if leaving is not None:
        if rates.destination.ndim == 2:
            _add_product(moved, _scaled(rates, "net_flow", fraction, population.dtype), leaving)
        else:
            flows = np.einsum("od...,o...->d...", rates.destination, leaving)
            flows -= leaving
            flows *= fraction
            moved += flows
    if counts is not None and _scaled(rates, "international_outflow", 1.0):
        np.maximum(moved, 0.0, out=moved)
    for transfer in rates.transfers:
        taken = moved[transfer.origin][..., transfer.ages]
        available = taken.sum()
        if available > 0:
            flow = taken * (min(fraction * transfer.count, available) / available)
            moved[transfer.origin][..., transfer.ages] -= flow
            moved[transfer.destination][..., transfer.ages] += flow
    return moved


def _add_product(target: np.ndarray, matrix: np.ndarray, operand: np.ndarray) -> None:
    """target[d, ...] += sum_o matrix[d, o] operand[o, ...], in place.

    One BLAS gemm with beta = 1 on the transposed (Fortran-ordered) views, so neither the
    product nor a sum is allocated.
    """
    from scipy.linalg import blas

    rows = len(matrix)
    accumulated = target.reshape(rows, -1).T
    gemm = blas.get_blas_funcs("gemm", (accumulated,))
    result = gemm(1.0, operand.reshape(rows, -1).T, matrix.T, beta=1.0, c=accumulated,
                  overwrite_c=True)
    if not np.shares_memory(result, target):
        accumulated[...] = result


def _switching_operator(switching: np.ndarray, dtype) -> tuple:
    """How :func:`_switch` applies a switching matrix to a state of ``dtype``: ("pairs",
    sources, targets, rates) one by one, ("sparse", transition CSR matrix [to, from], its
    block-diagonal copies by number of areas) or ("dense", transition matrix); built once per
    rates (the draws of a Monte Carlo run share it).
    """
    rates = np.array(switching, dtype=float)
    np.fill_diagonal(rates, 0.0)
    sources, targets = np.nonzero(rates)
    groups = len(rates)
    if len(sources) <= SPARSE_SWITCHING:
        return "pairs", sources, targets, rates[sources, targets][None, :, None, None]
    if len(sources) <= groups * groups // 8:
        from scipy import sparse

        transition = rates.T + np.diag(1.0 - rates.sum(axis=1))
        return "sparse", sparse.csr_matrix(transition.astype(dtype)), {}
    return "dense", (rates + np.diag(1.0 - rates.sum(axis=1))).astype(dtype)


def _switch(population: np.ndarray, switching: np.ndarray, operator: tuple | None = None
            ) -> np.ndarray:
    """Persons move from row group to column group; the totals over groups are unchanged.

    ``operator``: the matrix prepared by :func:`_switching_operator` (built here if not given).
    """
    areas, groups = population.shape[:2]
    kind, *parts = operator or _switching_operator(switching, population.dtype)
    if kind == "pairs":
        sources, targets, rates = parts
        switched = population.copy()
        flows = population[:, sources] * rates
        for k, (source, target) in enumerate(zip(sources, targets, strict=True)):
            switched[:, source] -= flows[:, k]
            switched[:, target] += flows[:, k]
        return switched
    if kind == "sparse":  # one product of the areas' block-diagonal transition matrix
        from scipy import sparse

        transition, by_areas = parts
        if areas not in by_areas:
            by_areas[areas] = sparse.kron(sparse.identity(areas, dtype=transition.dtype),
                                          transition, format="csr")
        switched = by_areas[areas] @ population.reshape(areas * groups, -1)
        return switched.reshape(population.shape)
    flat = population.reshape(areas, groups, -1)
    return np.matmul(parts[0].T, flat).reshape(population.shape)


def _survive(population: np.ndarray, survival: np.ndarray) -> np.ndarray:
    """Age the population one step (age group 0 is left at zero for the births)."""
    ages = population.shape[-1]
    aged = np.empty_like(population)
    if survival.ndim == population.ndim + 1:
        aged[..., 1:] = np.einsum("dogsx,ogsx->dgsx", survival[..., 1:ages], population[..., :-1])
        aged[..., -1] += np.einsum("dogs,ogs->dgs", survival[..., ages], population[..., -1])
    else:
        np.multiply(survival[..., 1:ages], population[..., :-1], out=aged[..., 1:])
        aged[..., -1] += survival[..., ages] * population[..., -1]
    aged[..., 0] = 0.0
    return aged


def births_by_mother(start: np.ndarray, aged: np.ndarray, fertility, width: float) -> np.ndarray:
    """Births B[a, g, x] = h/2 f_x (W_x(t) + W_x(t+h)) by mother's area, group and age.

    Preston et al. (2001), eq. 6.5; ``start`` and ``aged`` are the women [A, G, X].
    """
    return width / 2.0 * fertility * (start + aged)


def step(population: np.ndarray, rates: Rates, width: float) -> np.ndarray:
    """Project ``population`` [A, G, S, X] one step of ``width`` years."""
    early, late = TIMINGS[rates.timing]
    start = _migrate(population, rates, early) if early else population
    aged = _survive(start, rates.survival)
    end = _migrate(aged, rates, late, in_place=True) if late else aged
    births = width / 2.0 * (np.einsum("agx,agx->ag", rates.fertility, start[:, :, 0])
                            + np.einsum("agx,agx->ag", rates.fertility, end[:, :, 0]))
    if rates.child_group is not None:
        if np.ndim(rates.child_group) == 2:
            births = births @ rates.child_group
        else:
            births = np.einsum("ag,agh->ah", births, rates.child_group)
    srb = np.asarray(rates.srb, dtype=float)
    newborn = np.stack([births / (1.0 + srb), births * srb / (1.0 + srb)], axis=2)
    newborn = newborn[:, :, : population.shape[2]]
    if rates.survival.ndim == population.ndim + 1:
        end[..., 0] += np.einsum("dogs,ogs->dgs", rates.survival[..., 0], newborn)
    else:
        end[..., 0] += rates.survival[..., 0] * newborn
    if rates.switching is not None:
        end = _switch(end, rates.switching, _scaled(rates, "switching", 1.0, end.dtype))
    return end


#: The names of :func:`_scaled` entries that depend on none of the arrays a Monte Carlo draw
#: replaces (survival, fertility, international_rate), so every draw can reuse them.
SHARED_SCALINGS = ("international", "international_outflow", "net_flow", "switching")


def shared_scalings(rates: Rates, dtype) -> dict:
    """The :data:`SHARED_SCALINGS` entries of ``rates`` for a state of ``dtype``, computed once
    and kept in ``rates.scaled``; a copy of ``rates`` with other survival, fertility or net
    international rates takes them instead of computing them again at every step."""
    for fraction in {fraction for fraction in TIMINGS[rates.timing] if fraction}:
        if rates.international is not None:
            _scaled(rates, "international", fraction)
        if rates.destination is not None and np.ndim(rates.destination) == 2:
            _scaled(rates, "net_flow", fraction, dtype)
    if rates.international is not None:
        _scaled(rates, "international_outflow", 1.0)
    if rates.switching is not None:
        _scaled(rates, "switching", 1.0, dtype)
    return {key: value for key, value in rates.scaled.items() if key[0] in SHARED_SCALINGS}


def iterate(
    population, rates: Rates | Sequence[Rates], steps: int, width: float
) -> Iterator[np.ndarray]:
    """Yield the population after each of ``steps`` steps (rates per step or constant)."""
    current = np.asarray(population, dtype=np.result_type(population, np.float32))
    for index in range(steps):
        step_rates = rates if isinstance(rates, Rates) else rates[index]
        current = step(current, step_rates, width)
        yield current


def project(
    population, rates: Rates | Sequence[Rates], steps: int, width: float
) -> np.ndarray:
    """Population [steps + 1, A, G, S, X], the first slice being the starting population."""
    start = np.asarray(population, dtype=np.result_type(population, np.float32))
    path = np.empty((steps + 1, *start.shape), dtype=start.dtype)
    path[0] = start
    for index, current in enumerate(iterate(start, rates, steps, width), start=1):
        path[index] = current
    return path


def leslie_matrix(survival, fertility, width: float, birth_share: float = 1.0) -> np.ndarray:
    """Generalised Leslie matrix for R areas and X ages, one group, one sex (age-major blocks).

    ``survival`` (R, R, X+1) [destination, origin] or (X+1,) for one area; ``fertility``
    (R, X) or (X,). First block row B_x = h/2 S_0 (F_x + F_(x+1) S_(x+1)) times the share of
    births kept, sub-diagonal blocks S_(x+1), last diagonal block the open group's S_X (Rogers
    1975, eq. 5.9; Willekens & Rogers 1978, ch. 3; Preston et al. 2001, Box 6.1).
    """
    survival = np.asarray(survival, dtype=float)
    fertility = np.asarray(fertility, dtype=float)
    if survival.ndim == 1:
        survival = survival[None, None, :]
        fertility = fertility[None, :]
    regions, ages = fertility.shape
    blocks = np.zeros((ages, ages, regions, regions))
    for age in range(ages):
        into = min(age + 1, ages - 1)
        carried = survival[..., age + 1]
        if age + 1 < ages:
            blocks[age + 1, age] = carried
        else:
            blocks[age, age] = carried
        exposure = np.diag(fertility[:, age]) + np.diag(fertility[:, into]) @ carried
        blocks[0, age] = width / 2.0 * birth_share * survival[..., 0] @ exposure
    return blocks.transpose(0, 2, 1, 3).reshape(ages * regions, ages * regions)
