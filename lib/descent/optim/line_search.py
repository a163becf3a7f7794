"""Line searches: how far to go along a descent direction d from the point θ.

Every search looks at φ(t) = L(θ + t d) through ``func(t) -> (loss, grad)``, the loss and the
full gradient at θ + t d (one call = one evaluation of the loss and its gradient), and is given
L(θ), ∇L(θ) and d. It returns a ``LineSearchResult``: the step t, the loss and gradient there,
the number of calls made, and whether the conditions it looks for hold at t.

The conditions, with φ'(t) = ∇L(θ + t d)ᵀd and 0 < c₁ < c₂ < 1:

    sufficient decrease (Armijo):  φ(t) ≤ φ(0) + c₁ t φ'(0)
    strong curvature (Wolfe):      |φ'(t)| ≤ c₂ |φ'(0)|

Use with plain gradient descent on a test problem ``f``::

    g = f.grad(x); d = -g
    result = armijo(lambda t: (f(x + t * d), f.grad(x + t * d)), f(x), g, d)
    x = x + result.step * d
"""
import math
from collections.abc import Callable
from typing import Generic, NamedTuple, Protocol, TypeVar

import numpy as np

from descent._checks import check_int, check_real
from descent._types import Array

Grad = TypeVar("Grad", bound=Array | None)  # None: a func that returns no gradient (armijo only)


class LineSearchResult(NamedTuple, Generic[Grad]):
    """What a line search found: the step t, the loss and gradient at θ + t d, the number of
    calls of ``func`` made, and whether the search's conditions hold at t."""

    step: float
    loss: float
    grad: Grad
    evals: int
    success: bool


class LineSearch(Protocol):
    """A line search as the closure optimizers call one (``armijo``, ``strong_wolfe``, …)."""

    def __call__(self, func: Callable[[float], tuple[float, Array]], loss: float, grad: Array,
                 direction: Array, step: float = ..., *,
                 max_evals: int = ...) -> LineSearchResult[Array]: ...


def _check_start(loss: float, grad: Array, direction: Array) -> float:
    if not np.isfinite(loss):
        raise FloatingPointError(f"the loss at the start of the line search is {loss!r}, not finite")
    slope = float(np.dot(grad, direction))
    if not slope < 0:
        raise ValueError(f"direction must be a descent direction (gradientᵀdirection < 0), "
                         f"got gradientᵀdirection = {slope!r}")
    return slope


def armijo(func: Callable[[float], tuple[float, Grad]], loss: float, grad: Array,
           direction: Array, step: float = 1.0, c1: float = 1e-4, shrink: float = 0.5,
           max_evals: int = 50) -> LineSearchResult[Grad | Array]:
    """Backtracking (Nocedal & Wright, Algorithm 3.1): try t = step, step·ρ, step·ρ², … with
    ρ = ``shrink`` until φ(t) ≤ φ(0) + c₁ t φ'(0). A non-finite φ(t) counts as too long a step.

    If ``max_evals`` trials all fail, returns t = 0 (stay put: never a step uphill) with
    ``success=False``.
    """
    check_real("step", step, low=0.0, low_open=True)
    check_real("c1", c1, low=0.0, high=1.0, low_open=True, high_open=True)
    check_real("shrink", shrink, low=0.0, high=1.0, low_open=True, high_open=True)
    check_int("max_evals", max_evals, low=1)
    slope = _check_start(loss, grad, direction)
    t = step
    for evals in range(1, max_evals + 1):
        new_loss, new_grad = func(t)
        if np.isfinite(new_loss) and new_loss <= loss + c1 * t * slope:
            return LineSearchResult(t, new_loss, new_grad, evals, True)
        t *= shrink
    return LineSearchResult(0.0, loss, grad, max_evals, False)


def cubic_minimizer(t1: float, f1: float, g1: float, t2: float, f2: float, g2: float,
                    bounds: tuple[float, float] | None = None) -> float:
    """The minimizer of the cubic through (t1, f1) and (t2, f2) with slopes g1 and g2, clipped to
    ``bounds`` (default: between t1 and t2); the midpoint of the bounds if the cubic has none.

    d₁ = g₁ + g₂ − 3(f₁ − f₂)/(t₁ − t₂),  d₂ = √(d₁² − g₁g₂),
    t = t₂ − (t₂ − t₁)(g₂ + d₂ − d₁)/(g₂ − g₁ + 2d₂)   (Nocedal & Wright, eq. 3.59).
    This is torch.optim.lbfgs's ``_cubic_interpolate``, operation for operation.
    """
    low, high = bounds if bounds is not None else ((t1, t2) if t1 <= t2 else (t2, t1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (t1 - t2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if t1 <= t2:
            t = t2 - (t2 - t1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            t = t1 - (t1 - t2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(t, low), high)
    return (low + high) / 2.0


def strong_wolfe(func: Callable[[float], tuple[float, Array]], loss: float, grad: Array,
                 direction: Array, step: float = 1.0, c1: float = 1e-4, c2: float = 0.9,
                 max_evals: int = 25, max_step: float = 1e10) -> LineSearchResult[Array]:
    """A step satisfying the strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5 and 3.6).

    Bracketing: try t₁ = step, t₂, …; the first t_i that breaks sufficient decrease, or is no
    lower than t_{i−1}, or has φ'(t_i) ≥ 0 closes a bracket, and zoom searches it; a t_i that
    satisfies both conditions is returned at once; otherwise t_{i+1} is the minimizer of the
    cubic through t_{i−1} and t_i, kept in [2t_i, min(10t_i, max_step)].
    Zoom: keep t_lo (lowest point with sufficient decrease so far) and t_hi (φ'(t_lo)(t_hi − t_lo)
    < 0); try the cubic's minimizer, moved to the bisection point if it falls within 10% of an end
    of the bracket, and shrink the bracket until the curvature condition holds.

    A non-finite φ(t) counts as breaking sufficient decrease. If ``max_evals`` runs out, the
    lowest point with sufficient decrease is returned with ``success=False`` (t = 0 if none).
    """
    check_real("step", step, low=0.0, low_open=True)
    check_real("c1", c1, low=0.0, high=1.0, low_open=True, high_open=True)
    check_real("c2", c2, low=c1, high=1.0, low_open=True, high_open=True)
    check_int("max_evals", max_evals, low=1)
    slope = _check_start(loss, grad, direction)
    evals = 0

    def phi(t: float) -> tuple[float, Array, float]:
        nonlocal evals
        evals += 1
        f, g = func(t)
        return f, g, float(np.dot(g, direction))

    def armijo_holds(t: float, f: float) -> bool:
        return np.isfinite(f) and f <= loss + c1 * t * slope

    best = (0.0, loss, grad)
    prev = (0.0, loss, grad, slope)
    t = min(step, max_step)
    while evals < max_evals:
        f, g, s = phi(t)
        if not armijo_holds(t, f) or (evals > 1 and f >= prev[1]):
            lo, hi = prev, (t, f, g, s)
            break
        best = (t, f, g)
        if abs(s) <= -c2 * slope:
            return LineSearchResult(t, f, g, evals, True)
        if s >= 0:
            lo, hi = (t, f, g, s), prev
            break
        if t >= max_step:
            return LineSearchResult(*best, evals, False)
        grow = cubic_minimizer(prev[0], prev[1], prev[3], t, f, s,
                               bounds=(min(2 * t, max_step), min(10 * t, max_step)))
        prev, t = (t, f, g, s), grow
    else:
        return LineSearchResult(*best, evals, False)

    while evals < max_evals:
        (t_lo, f_lo, _, s_lo), (t_hi, f_hi, _, s_hi) = lo, hi
        width = abs(t_hi - t_lo)
        if np.isfinite(f_hi):
            t = cubic_minimizer(t_lo, f_lo, s_lo, t_hi, f_hi, s_hi)
        else:
            t = (t_lo + t_hi) / 2
        if min(abs(t - t_lo), abs(t - t_hi)) < 0.1 * width:
            t = (t_lo + t_hi) / 2
        f, g, s = phi(t)
        if not armijo_holds(t, f) or f >= f_lo:
            hi = (t, f, g, s)
        else:
            if abs(s) <= -c2 * slope:
                return LineSearchResult(t, f, g, evals, True)
            if s * (t_hi - t_lo) >= 0:
                hi = lo
            lo = (t, f, g, s)
            best = (t, f, g)
        if abs(hi[0] - lo[0]) * np.max(np.abs(direction)) < 1e-16 * (1 + abs(lo[0])):
            break
    return LineSearchResult(*best, evals, False)


def _trial(func: Callable[[float], tuple[float, Array]], t: float, number: int
           ) -> tuple[float, Array]:
    """func(t) for the line search's trial ``number`` (from 1); a NaN loss is an error."""
    f, g = func(t)
    if math.isnan(f):
        raise FloatingPointError(f"the loss is NaN at line-search trial {number} (step length "
                                 f"t={t:g}); the closure's loss or the model has left the finite "
                                 "numbers there")
    return f, g


def strong_wolfe_torch(func: Callable[[float], tuple[float, Array]], loss: float, grad: Array,
                       direction: Array, step: float = 1.0, c1: float = 1e-4, c2: float = 0.9,
                       tolerance_change: float = 1e-9,
                       max_evals: int = 25) -> LineSearchResult[Array]:
    """torch.optim.LBFGS's strong Wolfe search (a port of minFunc's), reproduced exactly.

    It differs from ``strong_wolfe`` in its details: bracketing extrapolates with the cubic kept
    in [t + 0.01(t − t_prev), 10t] and, from the third trial on, closes a bracket when φ stops
    decreasing; zoom moves a trial within 10% of an end of the bracket to 10% inside it only after
    two such trials in a row; it stops when the bracket is shorter than ``tolerance_change`` in
    max-norm (torch always passes 1e-9), and after ``max_evals`` trials it returns the lowest end
    of the last bracket — whether or not the conditions hold there. The first trial is always
    made, even with ``max_evals`` ≤ 0, as torch intends (torch itself fails for a negative
    value). A NaN loss at a trial raises FloatingPointError naming the trial and its step length
    (torch fails with an IndexError or carries on, depending on where the NaN falls).
    """
    d_norm = np.max(np.abs(direction))
    gtd = float(np.dot(grad, direction))
    t = step
    f_new, g_new = _trial(func, t, 1)
    evals = 1
    gtd_new = float(np.dot(g_new, direction))

    t_prev, f_prev, g_prev, gtd_prev = 0.0, loss, grad, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_evals:
        if f_new > (loss + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        low, high = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, cubic_minimizer(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                       bounds=(low, high))
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        evals += 1
        f_new, g_new = _trial(func, t, evals)
        gtd_new = float(np.dot(g_new, direction))
        ls_iter += 1

    if ls_iter >= max_evals:  # torch tests ==, and fails for max_evals < 0
        bracket, bracket_f, bracket_g = [0, t], [loss, f_new], [grad, g_new]

    insufficient_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_evals:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_minimizer(bracket[0], bracket_f[0], bracket_gtd[0],
                            bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insufficient_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) \
                    else min(bracket) + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False

        evals += 1
        f_new, g_new = _trial(func, t, evals)
        gtd_new = float(np.dot(g_new, direction))
        ls_iter += 1

        if f_new > (loss + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new

    t = bracket[low_pos]
    success = done or (bracket_f[low_pos] <= loss + c1 * t * gtd and t > 0)
    return LineSearchResult(t, bracket_f[low_pos], bracket_g[low_pos], evals, bool(success))
