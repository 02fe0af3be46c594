"""Streaming quantiles: the vectorised P-square agrees with a textbook scalar transcription of
Jain & Chlamtac (1985, Comm. ACM 28:1076, the algorithm box) written independently here, and
approaches exact sample quantiles. Samples are CONSTRUCTED (seeded random numbers)."""

import numpy as np

from kelisim.forecast.engine import Rates
from kelisim.forecast.outputs import QUANTILES
from kelisim.forecast.uncertainty import PSquare, RatePaths, monte_carlo


def textbook_p_square(values, p):
    heights, positions = sorted(values[:5]), [0, 1, 2, 3, 4]
    desired, increments = [0, 2 * p, 4 * p, 2 + 2 * p, 4], [0, p / 2, p, (1 + p) / 2, 1]
    for x in values[5:]:
        if x < heights[0]:
            heights[0], cell = x, 0
        elif x >= heights[4]:
            heights[4], cell = x, 3
        else:
            cell = max(i for i in range(4) if heights[i] <= x)
        for i in range(cell + 1, 5):
            positions[i] += 1
        desired = [a + b for a, b in zip(desired, increments, strict=True)]
        for i in (1, 2, 3):
            gap = desired[i] - positions[i]
            n, q = positions, heights
            if (gap >= 1 and n[i + 1] - n[i] > 1) or (gap <= -1 and n[i - 1] - n[i] < -1):
                d = 1 if gap > 0 else -1
                candidate = q[i] + d / (n[i + 1] - n[i - 1]) * (
                    (n[i] - n[i - 1] + d) * (q[i + 1] - q[i]) / (n[i + 1] - n[i])
                    + (n[i + 1] - n[i] - d) * (q[i] - q[i - 1]) / (n[i] - n[i - 1]))
                if not q[i - 1] < candidate < q[i + 1]:
                    candidate = q[i] + d * (q[i + d] - q[i]) / (n[i + d] - n[i])
                q[i] = candidate
                n[i] += d
    return heights[2]


def test_vectorised_p_square_equals_textbook_version():
    samples = np.random.default_rng(1).lognormal(size=(400, 3))
    sketch = PSquare((0.1, 0.5, 0.9))
    for row in samples:
        sketch.update(row)
    expected = [[textbook_p_square(list(samples[:, c]), p) for c in range(3)]
                for p in (0.1, 0.5, 0.9)]
    assert np.allclose(sketch.quantiles(), expected)


def test_p_square_close_to_exact_quantiles():
    samples = np.random.default_rng(2).normal(10, 2, size=(5000, 50))
    sketch = PSquare()
    for row in samples:
        sketch.update(row)
    exact = np.quantile(samples, [0.025, 0.1, 0.5, 0.9, 0.975], axis=0)
    assert np.abs(sketch.quantiles() - exact).mean() < 0.05
    few = PSquare()
    for row in samples[:3]:
        few.update(row)
    assert np.allclose(few.quantiles()[2], np.median(samples[:3], axis=0))


def test_monte_carlo_seeded_and_centred():
    population = np.full((2, 2, 2, 4), 100.0)
    survival = np.full((2, 2, 2, 5), 0.95)
    fertility = np.zeros((2, 2, 4))
    fertility[:, :, 1:3] = 0.2
    base = [Rates(survival, fertility, international_rate=0.0)] * 3
    paths = RatePaths(np.full(3, 2.0), np.full(3, 0.2), np.full(3, 1.0), np.full(3, 0.002),
                      20.0)
    quantiles, mean = monte_carlo(population, base, paths, 5, 200, seed=9)
    again, _ = monte_carlo(population, base, paths, 5, 200, seed=9)
    assert np.array_equal(quantiles, again)
    assert quantiles.shape == (5, 4, 2, 3)
    assert np.allclose(quantiles[:, 0, :, :2], 800.0)  # the start is not drawn
    last = quantiles[:, -1]
    assert (last[0] < last[2]).all() and (last[2] < last[4]).all()
    assert np.allclose(last[2], mean[-1], rtol=0.05)


def test_draws_reuse_shared_scalings_without_changing_results():
    """A draw's rates reuse the engine's migrant counts, internal-flow matrix and switching
    operator computed once on the base rates; the projection equals the one of a fresh copy
    of the same drawn rates that computes them itself (constructed inputs)."""
    from dataclasses import replace

    from kelisim.forecast.engine import iterate
    from kelisim.forecast.uncertainty import draw_rates

    rng = np.random.default_rng(5)
    population = rng.uniform(10, 100, (3, 20, 2, 6)).astype(np.float32)
    destination = np.full((3, 3), 0.5, dtype=np.float32)
    np.fill_diagonal(destination, 0.0)
    base = [Rates(np.full((3, 20, 2, 7), 0.97, dtype=np.float32),
                  np.full((3, 20, 6), 0.1, dtype=np.float32),
                  out_migration=np.full((3, 20, 2, 6), 0.02, dtype=np.float32),
                  destination=destination,
                  international=rng.normal(0, 5, (3, 20, 2, 6)).astype(np.float32),
                  switching=np.diag(np.full(19, 0.01), 1))] * 4
    paths = RatePaths(np.full(4, 2.0), np.full(4, 0.2), np.full(4, 1.0), np.full(4, 0.002),
                      20.0)
    for seed in (1, 2):
        drawn = draw_rates(base, paths, np.random.default_rng(seed), 1.0)
        fresh = [replace(drawn[index]) for index in range(len(drawn))]  # empty caches
        assert all(not rates.scaled for rates in fresh)
        shared = list(iterate(population, drawn, len(drawn), 1.0))
        alone = list(iterate(population, fresh, len(fresh), 1.0))
        assert all(np.array_equal(a, b) for a, b in zip(shared, alone, strict=True))
    assert {key[0] for key in base[0].scaled} >= {"international", "net_flow", "switching"}


def test_stored_draws_give_numpy_sample_quantiles():
    from kelisim.forecast.uncertainty import StoredDraws

    samples = np.random.default_rng(3).lognormal(10, 1, size=(300, 40))
    stored = StoredDraws(300)
    for row in samples:
        stored.update(row)
    exact = np.quantile(samples, [0.025, 0.1, 0.5, 0.9, 0.975], axis=0)
    # float32 differences from the first draw: within a float32 rounding of the cell's range
    assert (np.abs(stored.quantiles(block=7) - exact) <= 1e-7 * samples.max(axis=0)).all()
    # a cell every draw shares stays exact to the person above float32's 2^24
    same = StoredDraws(4)
    for _ in range(4):
        same.update(np.array([19_186_015.0, 1.5]))
    assert np.array_equal(same.quantiles(), np.tile([19_186_015.0, 1.5], (5, 1)))


def small_problem(steps=3):
    population = np.full((2, 2, 2, 4), 100.0)
    fertility = np.zeros((2, 2, 4))
    fertility[:, :, 1:3] = 0.2
    base = [Rates(np.full((2, 2, 2, 5), 0.95), fertility, international_rate=0.0)] * steps
    paths = RatePaths(np.full(steps, 2.0), np.full(steps, 0.2), np.full(steps, 1.0),
                      np.full(steps, 0.002), 20.0)
    return population, base, paths


def test_monte_carlo_quantiles_exact_when_stored_and_p_square_beyond_the_budget(monkeypatch):
    """Exact quantiles of the same draws the P-square fallback sees; the fallback (memory
    over STORED_DRAWS_BYTES) lands close to them."""
    from kelisim.forecast import uncertainty

    population, base, paths = small_problem()
    exact, mean = monte_carlo(population, base, paths, 5, 400, seed=4)
    uncertainty._set_worker(population, base, paths, 5, 4)
    cells = np.stack([uncertainty._summaries(draw) for draw in range(400)])
    assert np.allclose(exact, np.quantile(cells, QUANTILES, axis=0), rtol=1e-6)
    monkeypatch.setattr(uncertainty, "STORED_DRAWS_BYTES", 0)
    estimated, same_mean = monte_carlo(population, base, paths, 5, 400, seed=4)
    assert np.array_equal(mean, same_mean)
    assert not np.array_equal(estimated, exact)
    assert np.allclose(estimated, exact, rtol=0.01)


def test_monte_carlo_same_with_two_worker_processes():
    population, base, paths = small_problem()
    alone = monte_carlo(population, base, paths, 5, 30, seed=6)
    pooled = monte_carlo(population, base, paths, 5, 30, seed=6, workers=2)
    for one, other in zip(alone, pooled, strict=True):
        assert np.allclose(one, other, rtol=1e-6)
