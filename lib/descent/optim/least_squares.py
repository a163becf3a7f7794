"""Gauss-Newton and Levenberg-Marquardt for least squares: L(θ) = ½‖r(θ)‖², ∇L = Jᵀr.

Both are given ``residuals(θ)`` → r, shape (m,), and ``jacobian(θ)`` → J = ∂r/∂θ, shape (m, n),
as callables of the flat parameter vector θ. They approximate the Hessian JᵀJ + Σ r_i ∇²r_i by
JᵀJ, which needs first derivatives only and is positive semi-definite. ``step(closure=None)``
runs up to ``max_iter`` iterations; a closure, if given, is called once first and its loss
returned, as ``Optimizer.step`` does (the model itself comes from ``residuals`` and
``jacobian``). The state counts ``residual_evals``, ``jacobian_evals`` and ``n_iter``.
"""
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from descent._checks import check_int, check_nonnegative, check_real
from descent._types import Array, ArrayLike, Group
from descent.optim.closure_optimizer import ClosureOptimizer
from descent.optim.line_search import armijo
from descent.optim.optimizer import Closure, Params, Rate

Residuals = Callable[[Array], ArrayLike]  # θ (flat) -> r, shape (m,)
Jacobian = Callable[[Array], ArrayLike]  # θ (flat) -> J = ∂r/∂θ, shape (m, n)


class _LeastSquares(ClosureOptimizer):
    def __init__(self, params: Params, residuals: Residuals, jacobian: Jacobian,
                 defaults: dict[str, Any]) -> None:
        for name, fn in (("residuals", residuals), ("jacobian", jacobian)):
            if not callable(fn):
                raise TypeError(f"{name} must be a callable of the flat parameters, got {fn!r}")
        self.residuals, self.jacobian = residuals, jacobian
        super().__init__(params, defaults)

    def _check_group(self, group: Group) -> None:
        check_int("max_iter", group["max_iter"], low=1)
        check_nonnegative("tolerance_grad", group["tolerance_grad"])
        check_nonnegative("tolerance_change", group["tolerance_change"])

    def _residuals_at(self, x: Array) -> Array:
        r = np.asarray(self.residuals(x), dtype=np.float64).ravel()
        self._state["residual_evals"] = self._state.get("residual_evals", 0) + 1
        return r

    def _jacobian_at(self, x: Array, m: int) -> Array:
        J = np.asarray(self.jacobian(x), dtype=np.float64)
        self._state["jacobian_evals"] = self._state.get("jacobian_evals", 0) + 1
        if J.shape != (m, x.size):
            raise ValueError(f"jacobian returned shape {J.shape}, expected {(m, x.size)}")
        if not np.all(np.isfinite(J)):
            raise FloatingPointError("jacobian returned non-finite entries")
        return J

    def _begin(self, closure: Closure | None) -> tuple[float, Array, Array, Array]:
        orig_loss = closure() if closure is not None else None
        x = self._gather_flat_params()
        r = self._residuals_at(x)
        if not np.all(np.isfinite(r)):
            raise FloatingPointError(f"{type(self).__name__}: residuals are not finite at the "
                                     "start of the step")
        loss = 0.5 * float(r @ r)
        return (loss if orig_loss is None else orig_loss), x, r, self._jacobian_at(x, r.size)


class GaussNewton(_LeastSquares):
    """θ ← θ + t d with d the least-squares solution of J d = −r, i.e. d = −(JᵀJ)⁻¹Jᵀr when J has
    full column rank (``np.linalg.lstsq`` otherwise). t from Armijo backtracking started at η
    (``line_search_fn="armijo"``) or t = η (None). Stops when max|Jᵀr| ≤ ``tolerance_grad``,
    when max|t d| ≤ ``tolerance_change``·(1 + max|θ|) or when the line search finds no decrease.
    """

    def __init__(self, params: Params, residuals: Residuals, jacobian: Jacobian, lr: Rate = 1.0,
                 max_iter: int = 20, tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 line_search_fn: Literal["armijo"] | None = "armijo") -> None:
        super().__init__(params, residuals, jacobian,
                         dict(lr=lr, max_iter=max_iter, tolerance_grad=tolerance_grad,
                              tolerance_change=tolerance_change, line_search_fn=line_search_fn))

    def _check_group(self, group: Group) -> None:
        super()._check_group(group)
        if group["line_search_fn"] not in ("armijo", None):
            raise ValueError(f"line_search_fn must be 'armijo' or None, "
                             f"got {group['line_search_fn']!r}")

    def step(self, closure: Closure | None = None) -> float:
        """Up to ``max_iter`` Gauss-Newton iterations; returns the loss at the start."""
        group = self.param_groups[0]
        lr = self.rate(group)
        self.steps_taken += 1
        orig_loss, x, r, J = self._begin(closure)
        for _ in range(group["max_iter"]):
            g = J.T @ r
            if np.max(np.abs(g)) <= group["tolerance_grad"]:
                break
            d = np.linalg.lstsq(J, -r, rcond=None)[0]
            self._state["n_iter"] += 1
            t = lr
            if group["line_search_fn"] == "armijo":
                def loss_at(step: float) -> tuple[float, None]:
                    trial = self._residuals_at(x + step * d)
                    return 0.5 * float(trial @ trial), None
                t = armijo(loss_at, 0.5 * float(r @ r), g, d, lr).step
                if t == 0:
                    break
            x = x + t * d
            self._set_flat_params(x)
            r = self._residuals_at(x)
            J = self._jacobian_at(x, r.size)
            if np.max(np.abs(t * d)) <= group["tolerance_change"] * (1 + np.max(np.abs(x))):
                break
        return orig_loss


class LevenbergMarquardt(_LeastSquares):
    """Gauss-Newton with adaptive damping (Levenberg 1944, Marquardt 1963; the update rule of
    Madsen, Nielsen & Tingleff 2004, Algorithm 3.16):

        solve (JᵀJ + μD) h = −Jᵀr       (as the least-squares problem [J; √(μD)] h ≈ [−r; 0])
        ρ = (L(θ) − L(θ + h)) / (½hᵀ(μDh − Jᵀr))      actual over predicted decrease
        ρ > 0: θ ← θ + h,  μ ← μ·max(1/3, 1 − (2ρ − 1)³),  ν ← 2
        else:  μ ← μν,  ν ← 2ν

    D = diag(JᵀJ), elementwise the largest seen so far (Marquardt's scaling, kept monotone as in
    MINPACK; 1 for a zero column). Small μ: a Gauss-Newton step; large μ: a short, scaled
    gradient step. μ starts at ``damping``·max_i (JᵀJ)_ii and carries over between steps. An
    iteration is one trial h (one residual evaluation); the Jacobian is evaluated only after an
    accepted step. Stops when max|Jᵀr| ≤ ``tolerance_grad`` or when
    ‖h‖ ≤ ``tolerance_change``·(‖θ‖ + ``tolerance_change``).
    """

    def __init__(self, params: Params, residuals: Residuals, jacobian: Jacobian,
                 damping: float = 1e-3, max_iter: int = 20, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9) -> None:
        super().__init__(params, residuals, jacobian,
                         dict(damping=damping, max_iter=max_iter,
                              tolerance_grad=tolerance_grad, tolerance_change=tolerance_change))

    def _check_group(self, group: Group) -> None:
        super()._check_group(group)
        check_real("damping", group["damping"], low=0.0, low_open=True)

    def step(self, closure: Closure | None = None) -> float:
        """Up to ``max_iter`` Levenberg-Marquardt iterations; returns the loss at the start."""
        group = self.param_groups[0]
        self.steps_taken += 1
        state = self._state
        orig_loss, x, r, J = self._begin(closure)
        A, g = J.T @ J, J.T @ r
        if "mu" not in state:
            state["mu"], state["nu"] = group["damping"] * float(np.max(np.diag(A))), 2.0
        for _ in range(group["max_iter"]):
            if np.max(np.abs(g)) <= group["tolerance_grad"]:
                break
            D = state["scale"] = np.maximum(state.get("scale", 0.0), np.diag(A))
            D = np.where(D > 0, D, 1.0)
            h = np.linalg.lstsq(np.vstack([J, np.diag(np.sqrt(state["mu"] * D))]),
                                np.concatenate([-r, np.zeros(x.size)]), rcond=None)[0]
            state["n_iter"] += 1
            if np.linalg.norm(h) <= group["tolerance_change"] * (np.linalg.norm(x)
                                                                 + group["tolerance_change"]):
                break
            trial = self._residuals_at(x + h)
            predicted = 0.5 * h @ (state["mu"] * D * h - g)
            with np.errstate(over="ignore", invalid="ignore"):
                actual = 0.5 * float(r @ r) - 0.5 * float(trial @ trial)
            rho = actual / predicted if np.isfinite(actual) else -np.inf
            if rho > 0:
                x, r = x + h, trial
                self._set_flat_params(x)
                J = self._jacobian_at(x, r.size)
                A, g = J.T @ J, J.T @ r
                state["mu"] *= max(1 / 3, 1 - (2 * rho - 1) ** 3)
                state["nu"] = 2.0
            else:
                state["mu"] *= state["nu"]
                state["nu"] *= 2
        return orig_loss
