"""Diversity and polarisation of a composition, vectorised over rows.

Every function takes counts or shares with groups on the last axis (a vector for one
population, or an [N areas, K groups] array for many) and returns one value per row.
Formulas and references are in docs/indices.md.
"""

from __future__ import annotations

import numpy as np

from kelisim.errors import ArgumentError

DIVERSITY_INDICES = (
    "fractionalization",
    "entropy",
    "entropy_normalized",
    "simpson_concentration",
    "simpson_interaction",
    "effective_groups",
    "polarization_rq",
    "polarization_er",
)


def shares(counts: np.ndarray) -> np.ndarray:
    """Row shares p_k = n_k / sum(n); rows without persons give NaN."""
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / totals, np.nan)


def _concentration(p: np.ndarray) -> np.ndarray:
    return (p * p).sum(axis=-1)


def _entropy(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return np.where(np.isnan(p).any(axis=-1), np.nan, terms.sum(axis=-1))


def _log_groups(p: np.ndarray) -> float:
    k = np.shape(p)[-1]
    if k < 2:
        raise ArgumentError("counts", "normalised entropy needs at least two groups")
    return float(np.log(k))


def _polarization_er(p: np.ndarray, alpha: float, scale: float) -> np.ndarray:
    if not 0.0 <= alpha <= 1.6:
        raise ArgumentError("alpha", f"Esteban-Ray alpha must lie in [0, 1.6], got {alpha}")
    return scale * (p ** (1.0 + alpha) * (1.0 - p)).sum(axis=-1)


def simpson_concentration(counts: np.ndarray) -> np.ndarray:
    """Simpson's concentration sum p_k^2 (Simpson 1949, Nature 163:688)."""
    return _concentration(shares(counts))


def fractionalization(counts: np.ndarray) -> np.ndarray:
    """Ethnolinguistic fractionalisation 1 - sum p_k^2 (Alesina et al. 2003, J Econ Growth 8)."""
    return 1.0 - _concentration(shares(counts))


def simpson_interaction(counts: np.ndarray) -> np.ndarray:
    """Simpson's interaction sum p_k (1 - p_k) (Reardon & Firebaugh 2002, Sociol Methodol 32:33)."""
    p = shares(counts)
    return (p * (1.0 - p)).sum(axis=-1)


def effective_groups(counts: np.ndarray) -> np.ndarray:
    """Effective number of groups 1 / sum p_k^2 (Laakso & Taagepera 1979, Comp Polit Stud 12:3)."""
    return 1.0 / _concentration(shares(counts))


def entropy(counts: np.ndarray, normalized: bool = False) -> np.ndarray:
    """Shannon entropy -sum p_k ln p_k with 0 ln 0 = 0; normalised divides by ln K (Theil 1972)."""
    p = shares(counts)
    return _entropy(p) / _log_groups(p) if normalized else _entropy(p)


def polarization_rq(counts: np.ndarray) -> np.ndarray:
    """Reynal-Querol polarisation 1 - sum ((0.5 - p_k) / 0.5)^2 p_k = 4 sum p_k^2 (1 - p_k).

    Reynal-Querol (2002), J Conflict Resolut 46(1):29, eq. 3.
    """
    return _polarization_er(shares(counts), 1.0, 4.0)


def polarization_er(counts: np.ndarray, alpha: float = 1.0, scale: float = 4.0) -> np.ndarray:
    """Esteban-Ray polarisation k sum_i sum_j p_i^(1+alpha) p_j d_ij with d_ij = 1 for i != j.

    Esteban & Ray (1994), Econometrica 62(4):819, with the discrete ethnic distance of Montalvo
    & Reynal-Querol (2005), AER 95(3):796: scale = 4 and alpha = 1 give Reynal-Querol's index.
    """
    return _polarization_er(shares(counts), alpha, scale)


def diversity_indices(counts: np.ndarray, alpha: float = 1.0) -> dict[str, np.ndarray]:
    """Every diversity index for each row of counts, keyed by its snake_case name."""
    p = shares(counts)
    concentration = _concentration(p)
    entropy_value = _entropy(p)
    return {
        "fractionalization": 1.0 - concentration,
        "entropy": entropy_value,
        "entropy_normalized": entropy_value / _log_groups(p),
        "simpson_concentration": concentration,
        "simpson_interaction": (p * (1.0 - p)).sum(axis=-1),
        "effective_groups": 1.0 / concentration,
        "polarization_rq": _polarization_er(p, 1.0, 4.0),
        "polarization_er": _polarization_er(p, alpha, 4.0),
    }
