"""Newton's method with an exact Hessian, made safe far from a minimum."""
from collections.abc import Callable
from typing import Literal

import numpy as np

from descent._checks import check_int, check_nonnegative
from descent._types import Array, ArrayLike, Group
from descent.optim.closure_optimizer import ClosureOptimizer
from descent.optim.line_search import LineSearch, armijo, strong_wolfe
from descent.optim.optimizer import Closure, Params, Rate


def newton_direction(H: Array, g: Array, damping: float = 0.0,
                     beta: float = 1e-3) -> tuple[Array, float]:
    """d = −(H + τI)⁻¹ g with τ = ``damping`` + the shift that "Cholesky with added multiple of
    the identity" finds (Nocedal & Wright, Algorithm 3.3) for A = H + damping·I: no shift if A's
    Cholesky factorization succeeds, else start from β − min_i A_ii (or β) and double until it
    does. Then gᵀd = −gᵀ(H + τI)⁻¹g < 0: d always points downhill.

    Returns (d, τ).
    """
    A = H + damping * np.eye(g.size)
    smallest_diagonal = float(np.min(np.diag(A)))
    shift = 0.0
    for _ in range(200):
        try:
            L = np.linalg.cholesky(A + shift * np.eye(g.size))
            break
        except np.linalg.LinAlgError:
            shift = max(2 * shift, beta - smallest_diagonal, beta)
    else:
        raise np.linalg.LinAlgError(f"no shift τ ≤ {shift:g} makes the Hessian positive definite")
    d = -np.linalg.solve(L.T, np.linalg.solve(L, g))
    return d, damping + shift


class Newton(ClosureOptimizer):
    """Newton's method: θ ← θ + t d,  d = −(H + τI)⁻¹ ∇L(θ),  H = ∇²L(θ) = ``hessian(θ)``.

    ``hessian`` is a callable that takes the flat parameter vector θ and returns the dense
    Hessian there, shape (n, n). τ is ``damping`` (a fixed Levenberg shift) plus whatever more a
    Hessian that is not positive definite needs (``newton_direction``), so a saddle or a maximum
    is never followed uphill. t comes from the line search ``line_search_fn`` ("armijo",
    "strong_wolfe") started at t = η, or is η itself (None). One ``step`` runs up to
    ``max_iter`` iterations and stops once max|∇L| ≤ ``tolerance_grad`` or the line search
    finds no decrease. Cost per iteration O(n³) time and O(n²) memory.
    """

    line_searches: dict[str | None, LineSearch | None] = {"armijo": armijo,
                                                           "strong_wolfe": strong_wolfe, None: None}

    def __init__(self, params: Params, hessian: Callable[[Array], ArrayLike], lr: Rate = 1.0,
                 damping: float = 0.0,
                 line_search_fn: Literal["armijo", "strong_wolfe"] | None = "armijo",
                 max_iter: int = 20, tolerance_grad: float = 1e-7) -> None:
        if not callable(hessian):
            raise TypeError(f"hessian must be a callable of the flat parameters, got {hessian!r}")
        self.hessian = hessian
        super().__init__(params, dict(lr=lr, damping=damping, line_search_fn=line_search_fn,
                                      max_iter=max_iter, tolerance_grad=tolerance_grad))

    def _check_group(self, group: Group) -> None:
        check_nonnegative("damping", group["damping"])
        check_int("max_iter", group["max_iter"], low=1)
        check_nonnegative("tolerance_grad", group["tolerance_grad"])
        if group["line_search_fn"] not in self.line_searches:
            raise ValueError(f"line_search_fn must be one of 'armijo', 'strong_wolfe', None, "
                             f"got {group['line_search_fn']!r}")

    def _hessian_at(self, x: Array) -> Array:
        H = np.asarray(self.hessian(x), dtype=np.float64)
        if H.shape != (x.size, x.size):
            raise ValueError(f"hessian returned shape {H.shape}, expected {(x.size, x.size)}")
        if not np.all(np.isfinite(H)):
            raise FloatingPointError("hessian returned a matrix with non-finite entries")
        return H

    def _direction(self, x: Array, grad: Array, group: Group) -> Array:
        d, tau = newton_direction(self._hessian_at(x), grad, group["damping"])
        self._state["shift"] = tau
        return d

    def step(self, closure: Closure | None = None) -> float:
        """Up to ``max_iter`` Newton iterations; returns the loss at the start of the step."""
        group = self.param_groups[0]
        lr = self.rate(group)
        self.steps_taken += 1
        search = self.line_searches[group["line_search_fn"]]
        closure = self._required(closure)
        orig_loss, loss, grad = self._start(closure)
        for _ in range(group["max_iter"]):
            if np.max(np.abs(grad)) <= group["tolerance_grad"]:
                break
            x = self._gather_flat_params()
            d = self._direction(x, grad, group)
            self._state["n_iter"] += 1
            if search is None:
                self._set_flat_params(x + lr * d)
                loss, grad = self._evaluate(closure)
                continue
            result = search(lambda t: self._evaluate_at(closure, x + t * d), loss, grad, d, lr)
            if result.step == 0:
                break
            self._set_flat_params(x + result.step * d)
            loss, grad = result.loss, result.grad
        return orig_loss
