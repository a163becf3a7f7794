"""BFGS: a dense inverse-Hessian approximation updated from the secant condition."""
from collections.abc import Callable
from typing import Literal

import numpy as np

from descent._types import Array, State
from descent.optim.line_search import LineSearch, LineSearchResult, armijo, strong_wolfe
from descent.optim.quasi_newton import QuasiNewton
from descent.optim.optimizer import Params, Rate


def bfgs_update(H: Array, s: Array, y: Array) -> Array:
    """The BFGS update of an inverse Hessian H from the step s and the gradient change y:

        ρ = 1/(yᵀs),   H⁺ = (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ

    H⁺ is the symmetric matrix closest to H (in a weighted norm) with H⁺y = s, the secant
    condition; it stays positive definite when H is and yᵀs > 0 (Nocedal & Wright, eq. 6.17).
    """
    rho = 1.0 / (y @ s)
    Hy = H @ y
    return (H - rho * (np.outer(s, Hy) + np.outer(Hy, s))
            + (rho**2 * (y @ Hy) + rho) * np.outer(s, s))


def _at_least_one_trial(search: LineSearch) -> LineSearch:
    def at_least_one(func: Callable[[float], tuple[float, Array]], loss: float, grad: Array,
                     direction: Array, step: float = 1.0, *,
                     max_evals: int = 25) -> LineSearchResult[Array]:
        return search(func, loss, grad, direction, step, max_evals=max(1, max_evals))

    return at_least_one


class BFGS(QuasiNewton):
    """BFGS in torch.optim.LBFGS's loop (same arguments and stopping rules).

    H starts as I for the first direction −g; at the first update it is rescaled to
    H₀ = (yᵀs / yᵀy) I (Nocedal & Wright, eq. 6.20) and then updated by ``bfgs_update``. A pair with
    yᵀs ≤ 1e-10 is skipped: the update would lose positive definiteness.
    ``line_search_fn``: "strong_wolfe" (``line_search.strong_wolfe``, c₁ = 1e-4, c₂ = 0.9),
    "armijo" or None. With a line search the first trial step follows ``_trial_step``; without
    one, θ ← θ + η d (torch's min(1, 1/‖g‖₁)·η on the very first iteration).
    Memory O(n²), work O(n²) per iteration.
    """

    line_searches: dict[str | None, LineSearch | None] = {
        "strong_wolfe": _at_least_one_trial(strong_wolfe), "armijo": _at_least_one_trial(armijo),
        None: None}

    def __init__(self, params: Params, lr: Rate = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9,
                 line_search_fn: Literal["strong_wolfe", "armijo"] | None = "strong_wolfe"
                 ) -> None:
        super().__init__(params, lr, max_iter, max_eval, tolerance_grad, tolerance_change,
                         line_search_fn)

    def _trial_step(self, state: State, lr: float, grad: Array, gtd: float, loss: float,
                    prev_loss: float | None) -> float:
        """With a line search, the minimizer of the quadratic along d with slope gᵀd that
        promises the decrease the last iteration achieved, capped at 1 (Nocedal & Wright, eq. 3.60
        and their safeguard min(1, 1.01 t); scipy's BFGS starts its searches the same way):

            t = η · min(1, 1.01 · 2(L_k − L_{k−1}) / gᵀd)     (t = η if that is not positive)

        On the very first iteration L₋₁ = L₀ + ‖g‖₂/2, as in scipy, so t = η · min(1, 1.01/‖g‖₂):
        a first step of length about 1 along −g.
        """
        if self.param_groups[0]["line_search_fn"] is None:
            return super()._trial_step(state, lr, grad, gtd, loss, prev_loss)
        if state["n_iter"] == 1 or prev_loss is None:  # None only on the very first iteration
            prev_loss = loss + float(np.linalg.norm(grad)) / 2
        step = 1.01 * 2 * (loss - prev_loss) / gtd if gtd < 0 else 0.0
        return lr * min(1.0, step) if step > 0 else lr

    def _reset_memory(self, state: State) -> None:
        state["inverse_hessian"] = None

    def _remember(self, state: State, s: Array, y: Array, ys: float) -> None:
        H = state["inverse_hessian"]
        if H is None:
            H = ys / (y @ y) * np.eye(s.size)
        state["inverse_hessian"] = bfgs_update(H, s, y)

    def _direction(self, state: State, grad: Array) -> Array:
        H = state["inverse_hessian"]
        return -grad if H is None else -(H @ grad)
