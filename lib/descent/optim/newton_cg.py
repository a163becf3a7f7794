"""Newton-CG ("Hessian-free"): Newton's step solved by conjugate gradients on H v products."""
from collections.abc import Callable
from typing import Literal

import numpy as np

from descent._checks import check_int, check_nonnegative
from descent._types import Array, ArrayLike, Group
from descent.optim.closure_optimizer import ClosureOptimizer
from descent.optim.line_search import LineSearch, armijo, strong_wolfe
from descent.optim.optimizer import Closure, Params, Rate


def finite_difference_hvp(grad: Callable[[Array], Array], x: Array, v: Array,
                          grad_x: Array | None = None) -> Array:
    """H v ≈ (∇L(x + εv) − ∇L(x)) / ε, with ε = 2√(machine ε)(1 + ‖x‖)/‖v‖.

    ``grad`` is the gradient as a function of x; ``grad_x`` = ∇L(x) if already known (then one
    gradient evaluation per product). Error O(ε‖v‖²) from the third derivative plus rounding.
    """
    norm = np.linalg.norm(v)
    if norm == 0:
        return np.zeros_like(v)
    eps = 2 * np.sqrt(np.finfo(np.float64).eps) * (1 + np.linalg.norm(x)) / norm
    if grad_x is None:
        grad_x = grad(x)
    return (grad(x + eps * v) - grad_x) / eps


def conjugate_gradient(hvp: Callable[[Array], Array], g: Array, tolerance: float,
                       max_iter: int) -> tuple[Array, int, bool]:
    """Approximately solve H d = −g by conjugate gradients using only products v ↦ H v
    (Nocedal & Wright, Algorithm 7.1). Stops when the residual r = H d + g has ‖r‖₁ ≤
    ``tolerance``, after ``max_iter`` products, or at a direction p whose curvature pᵀHp is not
    positive (≤ 3·machine ε, "truncation"): then it returns the d built so far — a descent
    direction — or, on the first iteration, the steepest-descent step −(gᵀg / |gᵀHg|) g.

    Returns (d, number of products, whether negative curvature stopped it).
    """
    d = np.zeros_like(g)
    r = g.copy()
    p = -r
    rr = r @ r
    for j in range(max_iter):
        if np.abs(r).sum() <= tolerance:
            return d, j, False
        Hp = hvp(p)
        curvature = float(p @ Hp)
        if curvature <= 3 * np.finfo(np.float64).eps:
            negative = curvature < 0
            if j:
                return d, j + 1, negative
            return -(rr / -curvature if negative else 1.0) * g, 1, negative
        alpha = rr / curvature
        d = d + alpha * p
        r = r + alpha * Hp
        rr_new = r @ r
        p = -r + (rr_new / rr) * p
        rr = rr_new
    return d, max_iter, False


class NewtonCG(ClosureOptimizer):
    """Truncated Newton: d ≈ −H⁻¹∇L by ``conjugate_gradient`` to the relative accuracy
    ‖Hd + g‖₁ ≤ min(0.5, √‖g‖₁)‖g‖₁ (superlinear convergence, Nocedal & Wright eq. 7.3; the
    1-norm as in scipy's Newton-CG), then θ ← θ + t d with t from the line search
    ``line_search_fn``, or t = η for None. The line search starts from
    t₀ = min(η, 2.02 (L_{k−1} − L_k)/(−gᵀd)) (Nocedal & Wright eq. 3.60, as scipy), η at first.

    H v comes from ``hessian_vector(θ, v)`` if given (exact products, e.g. a problem's
    ``hessian_vector``), else from differences of gradients, one extra closure call per
    product (``finite_difference_hvp``). ``cg_max_iter`` (default 20n for n parameters) caps
    the products per iteration. Memory O(n): H is never formed.
    """

    line_searches: dict[str | None, LineSearch | None] = {"armijo": armijo,
                                                           "strong_wolfe": strong_wolfe, None: None}

    def __init__(self, params: Params, lr: Rate = 1.0, max_iter: int = 20,
                 cg_max_iter: int | None = None, tolerance_grad: float = 1e-7,
                 line_search_fn: Literal["armijo", "strong_wolfe"] | None = "armijo",
                 hessian_vector: Callable[[Array, Array], ArrayLike] | None = None) -> None:
        if hessian_vector is not None and not callable(hessian_vector):
            raise TypeError(f"hessian_vector must be None or a callable (θ, v) -> H v, "
                            f"got {hessian_vector!r}")
        self.hessian_vector = hessian_vector
        super().__init__(params, dict(lr=lr, max_iter=max_iter, cg_max_iter=cg_max_iter,
                                      tolerance_grad=tolerance_grad,
                                      line_search_fn=line_search_fn))

    def _check_group(self, group: Group) -> None:
        check_int("max_iter", group["max_iter"], low=1)
        if group["cg_max_iter"] is not None:
            check_int("cg_max_iter", group["cg_max_iter"], low=1)
        check_nonnegative("tolerance_grad", group["tolerance_grad"])
        if group["line_search_fn"] not in self.line_searches:
            raise ValueError(f"line_search_fn must be one of 'armijo', 'strong_wolfe', None, "
                             f"got {group['line_search_fn']!r}")

    def _hvp(self, closure: Closure, x: Array, grad: Array) -> Callable[[Array], Array]:
        exact = self.hessian_vector
        if exact is not None:
            return lambda v: np.asarray(exact(x, v), dtype=np.float64)
        return lambda v: finite_difference_hvp(lambda z: self._evaluate_at(closure, z)[1],
                                               x, v, grad)

    def step(self, closure: Closure | None = None) -> float:
        """Up to ``max_iter`` Newton-CG iterations; returns the loss at the start of the step."""
        group = self.param_groups[0]
        lr = self.rate(group)
        self.steps_taken += 1
        search = self.line_searches[group["line_search_fn"]]
        state = self._state
        closure = self._required(closure)
        orig_loss, loss, grad = self._start(closure)
        for _ in range(group["max_iter"]):
            if np.max(np.abs(grad)) <= group["tolerance_grad"]:
                break
            x = self._gather_flat_params()
            norm = np.abs(grad).sum()
            cg_max_iter = group["cg_max_iter"] or 20 * x.size
            d, products, _ = conjugate_gradient(self._hvp(closure, x, grad), grad,
                                                min(0.5, np.sqrt(norm)) * norm, cg_max_iter)
            state["n_iter"] += 1
            state["hessian_vector_products"] = state.get("hessian_vector_products", 0) + products
            if search is None:
                self._set_flat_params(x + lr * d)
                loss, grad = self._evaluate(closure)
                continue
            previous, state["previous_loss"] = state.get("previous_loss"), loss
            t = lr if previous is None else min(lr, 2.02 * (previous - loss) / -(grad @ d))
            result = search(lambda t: self._evaluate_at(closure, x + t * d), loss, grad, d,
                            t if t > 0 else lr)
            if result.step == 0:
                break
            self._set_flat_params(x + result.step * d)
            loss, grad = result.loss, result.grad
        return orig_loss
