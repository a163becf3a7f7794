import math
import re

import numpy as np
import pytest

from descent import data, nn, optim, train
from descent.experiments import EdgeOptimumError, clearly_better, compare, log_grid, tune


def quadratic_run(best_rate, noise=0.0):
    """A score with its minimum at best_rate on a log scale, and a seed-dependent offset."""
    return lambda lr, seed: (math.log10(lr) - math.log10(best_rate)) ** 2 + noise * seed


def test_log_grid_is_log_spaced_from_low_to_high():
    grid = log_grid(1e-4, 1e-1, 2)
    assert len(grid) == 7
    assert grid[0] == pytest.approx(1e-4) and grid[-1] == pytest.approx(1e-1)
    np.testing.assert_allclose(grid[1:] / grid[:-1], 10 ** 0.5)


def test_an_interior_optimum_is_found_without_widening():
    result = tune(quadratic_run(1e-2), log_grid(1e-4, 1.0, 1), seeds=(0, 1))
    assert result.widened == 0 and result.interior
    assert result.best_rate == pytest.approx(1e-2)
    assert result.scores.shape == (5, 2)


@pytest.mark.parametrize("best_rate", [1e-6, 30.0])
def test_the_grid_widens_on_the_side_of_the_optimum_until_it_is_interior(best_rate):
    calls = []

    def run(lr, seed):
        calls.append(lr)
        return quadratic_run(best_rate)(lr, seed)

    start = log_grid(1e-3, 1e-1, 1)
    result = tune(run, start, seeds=(0,))
    assert result.interior
    assert abs(math.log10(result.best_rate / best_rate)) <= 0.5  # the nearest grid rate
    assert result.widened == len(result.rates) - len(start) >= 2
    # Only one side was extended, one rate at a time at the grid's ratio.
    np.testing.assert_allclose(result.rates[1:] / result.rates[:-1], 10.0)
    assert len(calls) == len(result.rates)


def test_an_optimum_that_stays_on_the_edge_fails_loudly():
    # The score keeps falling as the rate grows: no rate is ever best in the interior.
    with pytest.raises(EdgeOptimumError, match="largest of the grid after 4 widenings"):
        tune(lambda lr, seed: -lr, log_grid(1e-3, 1e-1, 1), max_widenings=4)
    with pytest.raises(EdgeOptimumError, match="smallest"):
        tune(lambda lr, seed: lr, log_grid(1e-3, 1e-1, 1), max_widenings=2)


def test_divergence_counts_as_the_worst_score_and_ends_the_widening():
    def run(lr, seed):
        if lr > 0.5:
            raise train.NonFiniteLossError("diverged")
        return 1.0 / lr  # the larger the better, until the run diverges

    result = tune(run, log_grid(1e-3, 1e-1, 1), seeds=(0, 1))
    assert result.best_rate == pytest.approx(0.1) and result.widened == 1
    assert np.isinf(result.scores[-1]).all()
    assert result.interior
    with pytest.raises(EdgeOptimumError, match="every rate diverged"):
        tune(lambda lr, seed: math.nan, log_grid(1e-3, 1e-1, 1))


def test_the_spread_is_over_seeds_at_the_best_rate():
    result = tune(quadratic_run(1e-2, noise=0.5), log_grid(1e-4, 1.0, 1), seeds=(0, 1, 2))
    assert (result.low, result.mean, result.high) == pytest.approx((0.0, 0.5, 1.0))
    assert "over 3 seeds" in result.spread()


def test_bad_grids_and_seeds_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="at least 3"):
        tune(quadratic_run(1.0), [0.1, 1.0])
    with pytest.raises(ValueError, match="log-spaced"):
        tune(quadratic_run(1.0), [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="seeds"):
        tune(quadratic_run(1.0), log_grid(0.1, 10, 1), seeds=())
    with pytest.raises(ValueError, match="low"):
        log_grid(0.0, 1.0)


@pytest.mark.parametrize("seeds", [(0, 1.5), ("0",), (True, False)])
def test_seeds_that_are_not_integers_raise_type_error(seeds):
    """A value of the wrong type is a TypeError (an empty tuple of seeds stays a ValueError)."""
    with pytest.raises(TypeError, match=r"seeds must be a non-empty sequence of integers, got "
                                        + re.escape(repr(seeds))):
        tune(quadratic_run(1.0), log_grid(0.1, 10, 1), seeds=seeds)


def test_a_bad_rate_is_named_by_its_index():
    with pytest.raises(ValueError, match=r"rates\[1\] must be in \(0, inf\], got -1.0"):
        tune(quadratic_run(1.0), [0.1, -1.0, 10.0])
    with pytest.raises(TypeError, match=r"rates\[2\] must be a real number"):
        tune(quadratic_run(1.0), np.array([0.1, 1.0, "10"], dtype=object))


def test_compare_ranks_real_training_runs_at_their_own_best_rates():
    X, y = data.spirals(n_per_class=30, seed=0)

    def runner(make):
        def run(lr, seed):
            rng = np.random.default_rng(seed)
            model = nn.Sequential(nn.Linear(2, 16, rng=rng), nn.Tanh(), nn.Linear(16, 3, rng=rng))
            history = train.fit(model, nn.CrossEntropyLoss(), make(model.parameters(), lr), X, y,
                                epochs=15, batch_size=None, seed=seed, progress=False)
            return history.epoch_loss[-1]
        return run

    ranked = compare({"SGD": runner(lambda p, lr: optim.SGD(p, lr=lr)),
                      "Adam": runner(lambda p, lr: optim.Adam(p, lr=lr))},
                     log_grid(1e-3, 1.0, 1), seeds=(0, 1))
    assert list(ranked) == ["Adam", "SGD"]
    assert all(t.interior for t in ranked.values())
    # Adam's best rate is far below plain SGD's, as the theory of its normalized step says.
    assert ranked["Adam"].best_rate < ranked["SGD"].best_rate


def test_clearly_better_compares_the_seed_ranges():
    low = tune(quadratic_run(1e-2, noise=0.1), log_grid(1e-4, 1.0, 1), seeds=(0, 1))
    high = tune(lambda lr, seed: quadratic_run(1e-2, noise=0.1)(lr, seed) + 1.0,
                log_grid(1e-4, 1.0, 1), seeds=(0, 1))
    overlapping = tune(lambda lr, seed: quadratic_run(1e-2, noise=0.1)(lr, seed) + 0.05,
                       log_grid(1e-4, 1.0, 1), seeds=(0, 1))
    assert clearly_better(low, high) and not clearly_better(high, low)
    assert not clearly_better(low, overlapping)
