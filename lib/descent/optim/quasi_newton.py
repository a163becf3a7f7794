"""The loop shared by the quasi-Newton methods (BFGS, L-BFGS): torch.optim.LBFGS's ``step``.

One ``step(closure)`` runs up to ``max_iter`` iterations. An iteration: from the new gradient and
the last step, s = θ_k − θ_{k−1} and y = g_k − g_{k−1} are remembered if the curvature yᵀs is
positive enough; the direction is d = −H g with H the method's inverse-Hessian approximation
(d = −g on the very first iteration); the step length starts at ``_trial_step`` — torch's
min(1, 1/‖g‖₁)·η on the very first iteration and η afterwards, unless a subclass says otherwise —
and a line search adjusts it (or θ ← θ + t d without one).
The step stops early when max|g| ≤ tolerance_grad, when the closure has been called max_eval
times, when gᵀd > −tolerance_change, when max|t d| ≤ tolerance_change or when
|L_k − L_{k−1}| < tolerance_change. The memory carries over from one ``step`` to the next.
"""
from typing import Any

import numpy as np

from descent._checks import check_int, check_nonnegative
from descent._types import Array, Group, State
from descent.optim.closure_optimizer import ClosureOptimizer
from descent.optim.line_search import LineSearch
from descent.optim.optimizer import Closure, Params, Rate


class QuasiNewton(ClosureOptimizer):
    """Subclasses name their line searches in ``line_searches`` and define how the memory is
    reset, updated with a pair (s, y) and turned into a direction."""

    line_searches: dict[str | None, LineSearch | None] = {}

    def __init__(self, params: Params, lr: Rate, max_iter: int, max_eval: int | None,
                 tolerance_grad: float, tolerance_change: float, line_search_fn: str | None,
                 **extra: Any) -> None:
        check_int("max_iter", max_iter, low=1)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      line_search_fn=line_search_fn, **extra))

    def _check_group(self, group: Group) -> None:
        check_int("max_iter", group["max_iter"], low=1)
        check_int("max_eval", group["max_eval"], low=1)
        check_nonnegative("tolerance_grad", group["tolerance_grad"])
        check_nonnegative("tolerance_change", group["tolerance_change"])
        if group["line_search_fn"] not in self.line_searches:
            allowed = ", ".join(repr(name) for name in self.line_searches)
            raise ValueError(f"line_search_fn must be one of {allowed}, "
                             f"got {group['line_search_fn']!r}")

    def step(self, closure: Closure | None = None) -> float:
        """Up to ``max_iter`` iterations; returns the loss at the start of the step."""
        group = self.param_groups[0]
        lr = self.rate(group)
        self.steps_taken += 1
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        search = self.line_searches[group["line_search_fn"]]
        state = self._state

        closure = self._required(closure)
        orig_loss, loss, flat_grad = self._start(closure)
        current_evals = 1
        if np.max(np.abs(flat_grad)) <= tolerance_grad:
            return orig_loss

        d: Array | None = state.get("d")
        t: float | None = state.get("t")
        prev_flat_grad: Array | None = state.get("prev_flat_grad")
        prev_loss: float | None = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                self._reset_memory(state)
            else:  # the iteration before (in this step or the last) left d, t and the gradient
                assert d is not None and t is not None and prev_flat_grad is not None
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    self._remember(state, s, y, ys)
                d = self._direction(state, flat_grad)
            gtd = float(flat_grad @ d)
            t = self._trial_step(state, lr, flat_grad, gtd, loss, prev_loss)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            if gtd > -tolerance_change:
                break

            x = self._gather_flat_params()
            if search is None:
                self._set_flat_params(x + t * d)
                ls_func_evals = 0
                if n_iter != max_iter:
                    loss, flat_grad = self._evaluate(closure)
                    ls_func_evals = 1
            else:
                try:
                    result = search(lambda step: self._evaluate_at(closure, x + step * d), loss,
                                    flat_grad, d, t, max_evals=max_eval - current_evals)
                except FloatingPointError as error:
                    raise FloatingPointError(f"{type(self).__name__} step {self.steps_taken}, "
                                             f"iteration {n_iter}: {error}") from error
                loss, flat_grad, t, ls_func_evals = result.loss, result.grad, result.step, result.evals
                self._set_flat_params(x + t * d)
            opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
            current_evals += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.max(np.abs(d * t)) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    def _trial_step(self, state: State, lr: float, grad: Array, gtd: float, loss: float,
                    prev_loss: float | None) -> float:
        """The first step length tried along d: torch's min(1, 1/‖g‖₁)·η on the very first
        iteration, η afterwards. ``gtd`` is gᵀd, ``prev_loss`` the loss one iteration back."""
        return min(1.0, 1.0 / np.abs(grad).sum()) * lr if state["n_iter"] == 1 else lr

    def _reset_memory(self, state: State) -> None:
        raise NotImplementedError

    def _remember(self, state: State, s: Array, y: Array, ys: float) -> None:
        raise NotImplementedError

    def _direction(self, state: State, grad: Array) -> Array:
        raise NotImplementedError
