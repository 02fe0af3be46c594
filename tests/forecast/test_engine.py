"""Engine identities on small CONSTRUCTED arrays (values chosen by hand), and life tables
checked against closed forms (constant hazard: e0 = 1/m exactly when nax is the exponential
mean, Preston et al. 2001 section 3.3)."""

import numpy as np
import pytest

from kelisim.forecast.engine import Rates, Transfer, project, step
from kelisim.forecast.lifetable import life_expectancy, nLx_from_mx, survival_from_nLx
from kelisim.forecast.rates import brass_alpha_for_e0, brass_nLx, hadwiger_schedule

AREAS, GROUPS, AGES = 3, 4, 6


def constructed(seed=3, **extra):
    rng = np.random.default_rng(seed)
    population = rng.uniform(100, 1000, (AREAS, GROUPS, 2, AGES))
    survival = rng.uniform(0.9, 0.99, (AREAS, GROUPS, 2, AGES + 1))
    fertility = np.zeros((AREAS, GROUPS, AGES))
    fertility[:, :, 2:4] = 0.1
    return population, Rates(survival, fertility, **extra)


def no_deaths(rates):
    return Rates(np.ones_like(rates.survival), np.zeros_like(rates.fertility), srb=rates.srb,
                 out_migration=rates.out_migration, destination=rates.destination,
                 switching=rates.switching, transfers=rates.transfers, timing=rates.timing)


@pytest.mark.parametrize("timing", ["start", "end", "even"])
def test_internal_migration_nets_to_zero(timing):
    destination = np.array([[0, 0.5, 0.5], [1, 0, 0], [0.2, 0.8, 0]])
    population, rates = constructed(out_migration=np.full((AREAS, GROUPS, 2, AGES), 0.05),
                                    destination=destination, timing=timing)
    with_migration = step(population, rates, 5)
    without = step(population, Rates(rates.survival, rates.fertility), 5)
    # Identical rates everywhere would keep totals; with area-specific rates, compare
    # persons moved: with no deaths and no births the total is exactly kept.
    moved = step(population, no_deaths(rates), 5)
    assert np.isclose(moved[:, :, :, 1:].sum(), population[:, :, :, :].sum())
    assert not np.allclose(with_migration.sum(axis=(1, 2, 3)), without.sum(axis=(1, 2, 3)))


def test_destination_by_age_equals_matrix_when_constant():
    destination = np.array([[0, 0.5, 0.5], [1, 0, 0], [0.2, 0.8, 0]])
    population, rates = constructed(out_migration=np.full((AREAS, GROUPS, 2, AGES), 0.05),
                                    destination=destination)
    full = np.broadcast_to(destination[:, :, None, None, None], (AREAS, AREAS, GROUPS, 2, AGES))
    other = Rates(rates.survival, rates.fertility, out_migration=rates.out_migration,
                  destination=full)
    assert np.allclose(step(population, rates, 5), step(population, other, 5))


def test_switching_conserves_persons_sparse_and_dense_agree():
    sparse = np.zeros((GROUPS, GROUPS))
    sparse[0, 1], sparse[2, 3] = 0.1, 0.05
    population, rates = constructed(switching=sparse)
    plain = step(population, Rates(rates.survival, rates.fertility), 5)
    switched = step(population, rates, 5)
    assert np.allclose(switched.sum(axis=1), plain.sum(axis=1))
    dense = np.full((GROUPS, GROUPS), 0.01)
    dense[0, 1] = 0.1
    many = step(population, Rates(rates.survival, rates.fertility, switching=dense), 5)
    assert np.allclose(many.sum(axis=1), plain.sum(axis=1))
    expected = plain[:, 0] * (1 - 0.1 - 0.01 * 2) + plain[:, 1:].sum(axis=1) * 0.01
    assert np.allclose(many[:, 1] - plain[:, 1] * (1 - 0.03), plain[:, 0] * 0.1
                       + plain[:, 2:].sum(axis=1) * 0.01)
    assert np.allclose(many[:, 0], expected)


def test_child_group_matrix_moves_births_and_srb_splits_them():
    child = np.eye(GROUPS)
    child[0] = [0.5, 0.5, 0, 0]
    population, rates = constructed(child_group=child, srb=1.0)
    base = step(population, Rates(rates.survival, rates.fertility, srb=1.0), 5)
    mixed = step(population, rates, 5)
    births_base = base[..., 0] / rates.survival[..., 0]
    births_mixed = mixed[..., 0] / rates.survival[..., 0]
    assert np.allclose(births_mixed.sum(axis=1), births_base.sum(axis=1))
    assert np.allclose(births_mixed[:, 0], births_base[:, 0] / 2)
    assert np.allclose(births_mixed[:, 1], births_base[:, 1] + births_base[:, 0] / 2)
    # srb 1: as many boys as girls before survival.
    assert np.allclose(base[:, :, 0, 0] / rates.survival[:, :, 0, 0],
                       base[:, :, 1, 0] / rates.survival[:, :, 1, 0])


def test_transfers_move_exactly_and_never_more_than_present():
    ages = np.zeros(AGES, dtype=bool)
    ages[2:4] = True
    population, rates = constructed(transfers=(Transfer(0, 2, 1000.0, ages),), timing="start")
    rates = no_deaths(rates)
    after = step(population, rates, 5)
    before = step(population, Rates(rates.survival, rates.fertility), 5)
    assert np.isclose(before[0].sum() - after[0].sum(), 1000.0)
    assert np.isclose(after[2].sum() - before[2].sum(), 1000.0)
    huge = Rates(rates.survival, rates.fertility, timing="start",
                 transfers=(Transfer(0, 2, 1e12, ages),))
    emptied = step(population, huge, 5)
    assert np.isclose(emptied[0, :, :, 3:5].sum(), 0.0)
    assert emptied.min() >= 0


def test_international_counts_and_rates():
    population, rates = constructed()
    counts = np.full(population.shape, 10.0)
    with_counts = step(population, Rates(rates.survival, rates.fertility, international=counts,
                                         timing="end"), 5)
    plain = step(population, Rates(rates.survival, rates.fertility), 5)
    assert np.allclose(with_counts[..., 1:], plain[..., 1:] + 10.0)
    doubled = step(population, Rates(rates.survival, rates.fertility, international_rate=1.0,
                                     timing="start"), 5)
    assert np.allclose(doubled[..., 1:], 2 * plain[..., 1:])


def test_multiregional_survival_without_migration_equals_ordinary():
    population, rates = constructed()
    matrix = np.zeros((AREAS, AREAS, GROUPS, 2, AGES + 1))
    for area in range(AREAS):
        matrix[area, area] = rates.survival[area]
    ordinary = project(population, rates, 3, 5)
    multiregional = project(population, Rates(matrix, rates.fertility), 3, 5)
    assert np.allclose(ordinary, multiregional)


def test_constant_hazard_life_table_has_e0_one_over_m():
    m, width = 0.02, 5.0
    mx = np.full(18, m)
    ax = 1 / m - width * np.exp(-m * width) / (1 - np.exp(-m * width))
    person_years = nLx_from_mx(mx, width, ax=np.full(18, ax))
    assert np.isclose(life_expectancy(person_years), 1 / m)
    survival = survival_from_nLx(person_years, width)
    assert np.allclose(survival[2:-2], np.exp(-m * width))


def test_brass_and_hadwiger_hit_their_targets():
    ages = np.arange(0, 101)
    for e0 in (65.0, 80.0):
        alpha = brass_alpha_for_e0(e0, ages, 1)
        assert np.isclose(brass_nLx(alpha, ages, 1).sum(), e0, atol=1e-6)
    schedule = hadwiger_schedule(2.4, np.arange(0, 90, 5), 5)
    assert np.isclose(schedule.sum() * 5, 2.4)
    assert np.argmax(schedule) in (5, 6)


def test_switching_paths_agree():
    """The one-by-one, sparse-product and dense-product paths give the same result."""
    rng = np.random.default_rng(4)
    population = rng.uniform(1, 10, (2, 40, 2, 3))
    chain = np.diag(np.full(39, 0.01), 1)  # 39 rates: the sparse-product path
    full = np.full((40, 40), 0.0005)  # dense
    few = np.zeros((40, 40))
    few[0, 1] = 0.01  # one by one
    from kelisim.forecast.engine import _switch

    for matrix in (chain, full, few):
        transition = matrix.copy()
        np.fill_diagonal(transition, 0)
        transition += np.diag(1 - transition.sum(axis=1))
        expected = np.einsum("gh,agsx->ahsx", transition, population)
        assert np.allclose(_switch(population, matrix), expected)
