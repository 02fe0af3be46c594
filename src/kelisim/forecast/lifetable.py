"""Life tables and the survival ratios the projection engine uses.

Survival arrays have ``X + 1`` entries along the last axis for ``X`` age groups (the last one
open): entry 0 takes births during the step to age group 0 at its end; entry ``x`` (1 <= x < X)
takes age group ``x - 1`` at the start to age group ``x`` at the end; entry ``X`` keeps the open
group in itself. Preston, Heuveline & Guillot (2001), *Demography*, section 6.2.
"""

from __future__ import annotations

import numpy as np


def survival_from_nLx(nLx, width: float, radix: float = 100_000.0) -> np.ndarray:  # noqa: N802
    """Survival ratios from person-years ``nLx`` (last entry ``T`` of the open group).

    S_0 = nL0 / (n l0); S_x = nLx / nL(x-n); the open group at t+n is (P_last-1 + P_last) times
    T_open / (nL_last-1 + T_open) (Preston et al. 2001, eqs. 6.1-6.3, Box 6.1).
    """
    person_years = np.asarray(nLx, dtype=float)
    ages = person_years.shape[-1]
    survival = np.empty(person_years.shape[:-1] + (ages + 1,))
    survival[..., 0] = person_years[..., 0] / (width * radix)
    survival[..., 1 : ages - 1] = person_years[..., 1 : ages - 1] / person_years[..., : ages - 2]
    open_ratio = person_years[..., -1] / (person_years[..., -2] + person_years[..., -1])
    survival[..., ages - 1] = open_ratio
    survival[..., ages] = open_ratio
    return survival


def nLx_from_mx(mx, width: float, ax=None, radix: float = 100_000.0) -> np.ndarray:  # noqa: N802
    """Person-years nLx (last entry T of the open group) from death rates nmx.

    nqx = n mx / (1 + (n - nax) mx), nLx = n l(x+n) + nax ndx, open T = l / m (Preston et al.
    2001, eqs. 3.5 and 3.10); ``ax`` defaults to n/2.
    """
    rates = np.asarray(mx, dtype=float)
    lived = np.full(rates.shape, width / 2.0) if ax is None else np.broadcast_to(ax, rates.shape)
    q = np.clip(width * rates / (1.0 + (width - lived) * rates), 0.0, 1.0)
    q[..., -1] = 1.0
    survivors = radix * np.cumprod(np.concatenate([np.ones(q.shape[:-1] + (1,)), 1 - q], -1), -1)
    lx = survivors[..., :-1]
    deaths = lx * q
    person_years = width * survivors[..., 1:] + lived * deaths
    with np.errstate(divide="ignore", invalid="ignore"):
        person_years[..., -1] = np.where(rates[..., -1] > 0, lx[..., -1] / rates[..., -1], 0.0)
    return person_years


def life_expectancy(nLx, radix: float = 100_000.0) -> np.ndarray:
    """e0 = T0 / l0 from person-years (the last entry is the open group's T)."""
    return np.asarray(nLx, dtype=float).sum(axis=-1) / radix


def rate_matrix(death_rates, migration_rates) -> np.ndarray:
    """M_x (X, R, R), column = origin: diagonal d_i + sum_j m_ij, (j, i) = -m_ij.

    Willekens & Rogers (1978), eq. 2.6; its column sums are the death rates.
    """
    deaths = np.asarray(death_rates, dtype=float)
    flows = np.asarray(migration_rates, dtype=float)
    off_diagonal = 1.0 - np.eye(deaths.shape[0])
    moves = np.transpose(flows, (2, 1, 0)) * off_diagonal
    leaving = moves.sum(axis=1)
    return -moves + (deaths.T + leaving)[:, :, None] * np.eye(deaths.shape[0])


def multiregional_survival(
    death_rates, migration_rates, width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Multiregional life table, Willekens & Rogers (1978) "option 3" (IIASA RR-78-18, ch. 2).

    ``death_rates`` (R, X) and ``migration_rates`` (R origin, R destination, X) are observed
    annual rates. M_x has diagonal d_i + sum_j m_ij and (j, i) = -m_ij; P_x = (I + h/2 M_x)^-1
    (I - h/2 M_x); l_(x+h) = P_x l_x with l_0 = I; L_x = h/2 (l_x + l_(x+h)); open L = M^-1 l.
    Returns ``(survival, person_years)``: survival (R dest, R origin, X + 1) in the engine's
    layout, entry 0 = L_0 l_0^-1 / h, entry x = L_x L_(x-1)^-1 (the last maps the group before
    the open one into the whole open group), entry X = 0 (the open group's column block is zero
    in the generalised Leslie matrix); person_years (X, R, R) = L_x l_0^-1.
    """
    big_m = rate_matrix(death_rates, migration_rates)
    ages, regions = big_m.shape[:2]
    eye = np.eye(regions)
    half = width / 2.0 * big_m
    transition = np.linalg.solve(eye + half, eye - half)
    survivors = np.empty((ages, regions, regions))
    survivors[0] = eye
    for age in range(ages - 1):
        survivors[age + 1] = transition[age] @ survivors[age]
    person_years = np.empty((ages, regions, regions))
    person_years[:-1] = width / 2.0 * (survivors[:-1] + survivors[1:])
    person_years[-1] = np.linalg.solve(big_m[-1], survivors[-1])
    survival = np.zeros((regions, regions, ages + 1))
    survival[..., 0] = person_years[0] / width
    for age in range(1, ages):
        survival[..., age] = person_years[age] @ np.linalg.inv(person_years[age - 1])
    return survival, person_years
