"""The tuning protocol that every comparison of methods in the course goes through.

A fair ranking runs each method at its own best learning rate. ``tune`` finds that rate on a
log-spaced grid that widens until the best rate is interior (it raises ``EdgeOptimumError`` when it
cannot be), and runs several seeds at every rate so the spread is known. ``compare`` tunes several
methods the same way and ranks them by their mean score at their best rates.

    >>> result = tune(lambda lr, seed: (lr - 0.1) ** 2 + 0.001 * seed, log_grid(1e-3, 1e-2, 2))
    >>> result.widened, round(result.best_rate, 3), result.interior
    (3, 0.1, True)
"""
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import SupportsFloat

import numpy as np

from descent._checks import check_int, check_real
from descent._types import Array, ArrayLike

Run = Callable[[float, int], SupportsFloat]  # run(rate, seed) -> the score to minimize


class EdgeOptimumError(RuntimeError):
    """The best rate stayed on the edge of the grid after every allowed widening."""


def log_grid(low: float, high: float, per_decade: int = 2) -> Array:
    """Rates spaced evenly on a log scale from ``low`` to ``high``: η_k = low·10^(k/per_decade).

    The grid stops at the last rate not above ``high`` (within rounding), so its ratio between
    neighbours is exactly 10^(1/per_decade).

    >>> log_grid(1e-3, 1e-1, 1)
    array([0.001, 0.01 , 0.1  ])
    """
    check_real("low", low, low=0.0, low_open=True)
    check_real("high", high, low=low)
    per_decade = check_int("per_decade", per_decade, low=1)
    count = int(math.floor(per_decade * math.log10(high / low) + 1e-9)) + 1
    return low * 10.0 ** (np.arange(count) / per_decade)


class Tuned:
    """One method tuned by ``tune``.

    ``rates`` (ascending) and ``scores`` (one row per rate, one column per seed; ``inf`` where a
    run diverged) cover every rate tried; ``means`` is the mean over seeds per rate. At the best
    rate: ``best_rate``, ``mean``, and the spread over seeds ``low`` and ``high`` (min and max).
    ``widened`` counts the rates added beyond the starting grid.
    """

    def __init__(self, rates: ArrayLike, scores: ArrayLike, seeds: Iterable[int],
                 widened: int) -> None:
        self.rates = np.asarray(rates, dtype=np.float64)
        self.scores = np.asarray(scores, dtype=np.float64)
        self.seeds = tuple(seeds)
        self.widened = widened
        self.means = self.scores.mean(axis=1)
        self.best_index = int(np.argmin(self.means))
        self.best_rate = float(self.rates[self.best_index])
        best = self.scores[self.best_index]
        self.mean, self.low, self.high = float(best.mean()), float(best.min()), float(best.max())

    @property
    def interior(self) -> bool:
        """True when the best rate has a tried rate on each side of it."""
        return 0 < self.best_index < len(self.rates) - 1

    def spread(self, digits: int = 3) -> str:
        """The score at the best rate as text: 'mean (min–max over n seeds)'."""
        return (f"{self.mean:.{digits}g} ({self.low:.{digits}g}–{self.high:.{digits}g} "
                f"over {len(self.seeds)} seeds)")

    def __repr__(self) -> str:
        return f"Tuned(best_rate={self.best_rate:.3g}, score {self.spread()})"


def _score(run: Run, rate: float, seed: int) -> float:
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            value = float(run(rate, seed))
    except FloatingPointError:  # train.NonFiniteLossError is one
        return math.inf
    return value if math.isfinite(value) else math.inf


def tune(run: Run, rates: ArrayLike, seeds: Sequence[int] = (0, 1, 2),
         max_widenings: int = 6) -> Tuned:
    """Tune one method's learning rate by the course's protocol and return a ``Tuned``.

    ``run(rate, seed)`` trains the method once and returns the score to minimize (a final loss, a
    validation loss, an error rate). A run that raises ``FloatingPointError`` (such as
    ``train.NonFiniteLossError``) or returns inf or nan counts as diverged, score inf. Each rate is
    scored by its mean over ``seeds``. ``rates`` is a log-spaced starting grid (for example from
    ``log_grid``) of at least three rates. While the best mean sits on an edge of the grid, one
    more rate is added beyond that edge at the grid's ratio, up to ``max_widenings`` rates in all;
    if the best rate is still on the edge then, ``EdgeOptimumError`` is raised.
    """
    rates = [float(check_real(f"rates[{i}]", r, low=0.0, low_open=True))
             for i, r in enumerate(np.ravel(rates).tolist())]
    if len(rates) < 3:
        raise ValueError(f"rates must hold at least 3 rates, got {len(rates)}")
    ratios = np.diff(np.log(rates))
    if ratios[0] <= 0 or not np.allclose(ratios, ratios[0], rtol=1e-6):
        raise ValueError(f"rates must be ascending and log-spaced (a constant ratio), got {rates}")
    factor = float(np.exp(ratios[0]))
    seeds = tuple(seeds)
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seeds):
        raise TypeError(f"seeds must be a non-empty sequence of integers, got {seeds!r}")
    if not seeds:
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {seeds!r}")
    max_widenings = check_int("max_widenings", max_widenings, low=0)

    scores = {rate: [_score(run, rate, seed) for seed in seeds] for rate in rates}
    widened = 0
    while True:
        ordered = sorted(scores)
        means = [np.mean(scores[r]) for r in ordered]
        if all(math.isinf(m) for m in means):
            raise EdgeOptimumError(f"every rate diverged: {ordered}")
        best = int(np.argmin(means))
        if 0 < best < len(ordered) - 1:
            break
        if widened == max_widenings:
            side = "smallest" if best == 0 else "largest"
            table = ", ".join(f"{r:.3g}: {m:.4g}" for r, m in zip(ordered, means))
            raise EdgeOptimumError(
                f"the best rate {ordered[best]:.3g} is still the {side} of the grid after "
                f"{widened} widenings (mean score per rate: {table}); start from another grid "
                "or allow more widenings (max_widenings=...)")
        new = ordered[0] / factor if best == 0 else ordered[-1] * factor
        scores[new] = [_score(run, new, seed) for seed in seeds]
        widened += 1
    ordered = sorted(scores)
    return Tuned(ordered, [scores[r] for r in ordered], seeds, widened)


def compare(runs: Mapping[str, Run], rates: ArrayLike, seeds: Sequence[int] = (0, 1, 2),
            max_widenings: int = 6) -> dict[str, Tuned]:
    """Tune every method in ``runs`` (a dict name → run(rate, seed)) by ``tune`` on the same
    starting grid and seeds; return a dict name → ``Tuned``, best mean score first."""
    tuned = {name: tune(run, rates, seeds, max_widenings) for name, run in runs.items()}
    return dict(sorted(tuned.items(), key=lambda item: item[1].mean))


def clearly_better(a: Tuned, b: Tuned) -> bool:
    """True when ``a`` beats ``b`` on every seed's range: a's worst seed is below b's best."""
    return a.high < b.low
