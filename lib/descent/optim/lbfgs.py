"""L-BFGS with torch.optim.LBFGS's arguments, defaults and iterates (Nocedal & Wright, Alg. 7.4)."""
from collections.abc import Sequence
from typing import Literal

import numpy as np

from descent._checks import check_int
from descent._types import Array, Group, State
from descent.optim.line_search import LineSearch, strong_wolfe_torch
from descent.optim.quasi_newton import QuasiNewton
from descent.optim.optimizer import Params, Rate


def two_loop_direction(grad: Array, steps: Sequence[Array], grad_changes: Sequence[Array],
                       rhos: Sequence[float], gamma: float) -> Array:
    """d = −H g for the L-BFGS inverse Hessian H built from the pairs (s_i, y_i), oldest first,
    ρ_i = 1/(y_iᵀs_i), on top of H₀ = γI (the two-loop recursion, Nocedal & Wright Alg. 7.4):

        q ← −g;  for i = newest … oldest:  α_i = ρ_i s_iᵀq,  q ← q − α_i y_i
        r ← γ q;  for i = oldest … newest:  β_i = ρ_i y_iᵀr,  r ← r + (α_i − β_i) s_i

    Cost O(mn) for m pairs in n dimensions: H is never formed.
    """
    q = -grad
    alphas = np.zeros(len(steps))
    for i in range(len(steps) - 1, -1, -1):
        alphas[i] = steps[i] @ q * rhos[i]
        q = q - alphas[i] * grad_changes[i]
    r = q * gamma
    for i in range(len(steps)):
        beta = grad_changes[i] @ r * rhos[i]
        r = r + (alphas[i] - beta) * steps[i]
    return r


class LBFGS(QuasiNewton):
    """torch.optim.LBFGS. Remembers the last ``history_size`` pairs s = θ_k − θ_{k−1},
    y = g_k − g_{k−1} with yᵀs > 1e-10 and uses H₀ = (yᵀs / yᵀy) I from the newest pair.

    ``line_search_fn``: None (θ ← θ + η d) or "strong_wolfe" (torch's search, c₁ = 1e-4,
    c₂ = 0.9: ``line_search.strong_wolfe_torch``). ``max_eval`` defaults to max_iter·5//4.
    Same iterates and closure calls as torch; unlike torch, a bad ``line_search_fn`` is refused
    at construction, and a non-finite loss at the start of a step raises FloatingPointError.
    """

    line_searches: dict[str | None, LineSearch | None] = {None: None,
                                                           "strong_wolfe": strong_wolfe_torch}

    def __init__(self, params: Params, lr: Rate = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: Literal["strong_wolfe"] | None = None) -> None:
        super().__init__(params, lr, max_iter, max_eval, tolerance_grad, tolerance_change,
                         line_search_fn, history_size=history_size)

    def _check_group(self, group: Group) -> None:
        super()._check_group(group)
        check_int("history_size", group["history_size"], low=1)

    def _reset_memory(self, state: State) -> None:
        state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)

    def _remember(self, state: State, s: Array, y: Array, ys: float) -> None:
        if len(state["old_dirs"]) == self.param_groups[0]["history_size"]:
            for key in ("old_dirs", "old_stps", "ro"):
                state[key].pop(0)
        state["old_dirs"].append(y)
        state["old_stps"].append(s)
        state["ro"].append(1.0 / ys)
        state["H_diag"] = ys / (y @ y)

    def _direction(self, state: State, grad: Array) -> Array:
        return two_loop_direction(grad, state["old_stps"], state["old_dirs"], state["ro"],
                                  state["H_diag"])
