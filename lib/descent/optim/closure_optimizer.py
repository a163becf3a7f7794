"""The base of the methods that need a closure: they see all parameters as one flat vector θ.

``step(closure)`` may evaluate the loss many times (a line search, Hessian-vector products by
differences); ``closure()`` recomputes the loss, writes the gradients into ``.grad`` and returns
the loss. Like torch.optim.LBFGS, these methods take one parameter group and keep their memory
in the state of its first parameter, with ``func_evals`` (closure calls so far) and ``n_iter``
(iterations so far).
"""
import copy
from typing import Any

import numpy as np

from descent._types import Array, Group, State
from descent.optim.optimizer import Closure, Optimizer, Params, StateDict


class ClosureOptimizer(Optimizer):
    """Flat views of the parameters and a checked, counted evaluation of the closure.

    ``step(closure=None)``: calling it without a closure raises a TypeError that says what the
    closure must do (``train.fit`` builds one over the current batch).
    """

    needs_closure = True

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        super().__init__(params, defaults)
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, group: Group) -> None:
        if self.param_groups:
            raise ValueError(f"{type(self).__name__} doesn't support per-parameter options "
                             "(parameter groups)")
        super().add_param_group(group)

    @property
    def _state(self) -> State:
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        return state

    def _gather_flat_params(self) -> Array:
        return np.concatenate([p.data.ravel() for p in self._params]).astype(np.float64)

    def _gather_flat_grad(self) -> Array:
        """The gradients joined into one float64 vector; a gradient of None counts as zeros, as
        in torch.optim.LBFGS."""
        return np.concatenate([np.zeros(p.data.size) if p.grad is None else p.grad.ravel()
                               for p in self._params]).astype(np.float64)

    def _set_flat_params(self, x: Array) -> None:
        offset = 0
        for p in self._params:
            p.data[...] = x[offset:offset + p.data.size].reshape(p.data.shape)
            offset += p.data.size

    def _evaluate(self, closure: Closure) -> tuple[float, Array]:
        """Call the closure at the current parameters: (loss as a float, flat gradient)."""
        loss = float(closure())
        self._state["func_evals"] += 1
        return loss, self._gather_flat_grad()

    def _evaluate_at(self, closure: Closure, x: Array) -> tuple[float, Array]:
        """Loss and flat gradient at θ = x; the parameters are restored afterwards."""
        saved = [p.data.copy() for p in self._params]
        self._set_flat_params(x)
        try:
            return self._evaluate(closure)
        finally:
            for p, data in zip(self._params, saved):
                p.data[...] = data

    def _required(self, closure: Closure | None) -> Closure:
        """``closure`` itself, or a TypeError that says what it must do."""
        if closure is None or not callable(closure):
            raise TypeError(f"{type(self).__name__}.step needs a closure that recomputes the loss "
                            f"and gradients and returns the loss, got {closure!r}")
        return closure

    def _start(self, closure: Closure) -> tuple[float, float, Array]:
        """The first evaluation of a step; a non-finite loss or gradient stops with an error."""
        orig_loss = closure()
        loss = float(orig_loss)
        self._state["func_evals"] += 1
        grad = self._gather_flat_grad()
        if not np.isfinite(loss):
            raise FloatingPointError(f"{type(self).__name__}: the closure returned a non-finite "
                                     f"loss {loss!r}")
        if not np.all(np.isfinite(grad)):
            raise FloatingPointError(f"{type(self).__name__}: the closure wrote a non-finite "
                                     "gradient into .grad")
        return orig_loss, loss, grad

    def state_dict(self) -> StateDict:
        saved = super().state_dict()
        saved["state"] = copy.deepcopy(saved["state"])
        return saved

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Restore a ``state_dict``; the memory of these methods lives in flat vectors."""
        params = self._all_params()
        if len(state_dict["param_groups"]) != 1 or \
                len(state_dict["param_groups"][0]["params"]) != len(params):
            raise ValueError("loaded state dict has a different number of parameter groups or "
                             "parameters")
        loaded = self._loaded_groups(state_dict["param_groups"])
        self.state = {params[i]: copy.deepcopy(s) for i, s in state_dict["state"].items()}
        self._install(loaded, state_dict)
