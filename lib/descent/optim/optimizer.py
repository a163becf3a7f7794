"""The optimizer base class: parameter groups, per-parameter state, rates from schedules.

Mirrors torch.optim.Optimizer: ``param_groups`` hold hyperparameters, ``state[p]`` holds what a
method remembers about parameter p (its step count, moment estimates, …). A group's ``lr`` is a
float or a schedule — a function of t, the number of ``step()`` calls already made — so the rate
of step t+1 is ``lr(t)``.

As in torch 2, ``zero_grad()`` sets every gradient to None and ``step()`` skips a parameter whose
gradient is None. A group may carry keys of its own (a ``"name"``, say): they are kept.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypedDict

import numpy as np

from descent._checks import check_nonnegative
from descent._types import Array, Group, State
from descent.nn.module import Parameter

Closure = Callable[[], float]  # recomputes the loss, writes the gradients into .grad, returns it
Rate = float | Callable[[int], float]  # a learning rate: a number, or a schedule of the step t
Params = Parameter | Iterable[Parameter] | Iterable[Group]  # parameters, or parameter groups


class StateDict(TypedDict):
    """What ``Optimizer.state_dict`` saves: parameters are referred to by their position."""

    state: dict[int, State]
    param_groups: list[Group]
    steps_taken: int


class Optimizer:
    """Base class. A subclass passes its defaults to ``__init__``, checks a group's
    hyperparameters in ``_check_group`` and updates one parameter in ``_update``.

    ``needs_closure``: True for a method whose ``step`` must re-evaluate the loss (L-BFGS,
    Newton, …); ``train.fit`` then passes a closure over the current batch.
    """

    needs_closure: ClassVar[bool] = False

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Parameter, State] = {}
        self.param_groups: list[Group] = []
        self.steps_taken = 0
        groups: list[Any] = [params] if isinstance(params, Parameter) else list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: Group) -> None:
        """Add a dict with ``"params"`` and any hyperparameters that differ from the defaults;
        other keys (a group's ``"name"``, say) are kept as they are, as torch keeps them."""
        if not isinstance(group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(group).__name__}")
        group = dict(group)
        params = group.get("params")
        params = [params] if isinstance(params, Parameter) else list(params or [])
        if not params:
            raise ValueError("a parameter group needs a non-empty 'params' list")
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(f"params[{i}] must be a descent.nn.Parameter, got {type(p).__name__}")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or existing & {id(p) for p in params}:
            raise ValueError("a parameter appears in more than one place in the parameter groups")
        group["params"] = params
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: Group) -> None:
        if "lr" in self.defaults:
            _check_lr(group["lr"])
        self._check_group(group)

    def _check_group(self, group: Group) -> None:
        """Raise TypeError or ValueError, naming the argument, for a bad hyperparameter."""

    @property
    def lr(self) -> float | None:
        """The rate the next step will use, in the first parameter group (None for a method
        without one, such as LevenbergMarquardt)."""
        group = self.param_groups[0]
        return self.rate(group) if "lr" in group else None

    def rate(self, group: Group) -> float:
        """The rate of ``group`` for the next step: its ``lr``, or ``lr(steps_taken)`` for a schedule."""
        lr = group["lr"]
        return float(lr(self.steps_taken)) if callable(lr) else lr

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default, as torch 2), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad(set_to_none)

    def step(self, closure: Closure | None = None) -> float | None:
        """One update of every parameter from its ``grad`` (a parameter whose grad is None is
        skipped, as in torch).

        ``closure``, if given, recomputes the loss and the gradients and returns the loss; it is
        called first, and its loss is returned.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr = self.rate(group)
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, self.state.setdefault(p, {}), group, lr)
        self.steps_taken += 1
        return loss

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define _update")

    def state_dict(self) -> StateDict:
        """A copy of the state and hyperparameters; parameters are referred to by position."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = []
        for group in self.param_groups:
            g = {k: v for k, v in group.items() if k != "params"}
            g["params"] = [index[id(p)] for p in group["params"]]
            groups.append(g)
        state = {index[id(p)]: _copy_state(s) for p, s in self.state.items()}
        return {"state": state, "param_groups": groups, "steps_taken": self.steps_taken}

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Restore what ``state_dict`` saved, for an optimizer over parameters of the same shapes.

        The loaded hyperparameters are checked as the constructor checks them; nothing changes
        if one is refused."""
        params = self._all_params()
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(mine["params"]) for g, mine in zip(groups, self.param_groups)):
            raise ValueError("loaded state dict has a different number of parameter groups or parameters")
        for i, s in state_dict["state"].items():
            for value in s.values():
                if isinstance(value, np.ndarray) and value.shape not in self._state_shapes(params[i]):
                    raise ValueError(f"loaded state for parameter {i} has shape {value.shape}, "
                                     f"the parameter has shape {params[i].shape}")
        loaded = self._loaded_groups(groups)
        self.state = {params[i]: _copy_state(s) for i, s in state_dict["state"].items()}
        self._install(loaded, state_dict)

    def _loaded_groups(self, groups: list[Group]) -> list[Group]:
        """The current groups with the saved hyperparameters, each checked (before any change)."""
        loaded = []
        for mine, saved in zip(self.param_groups, groups):
            group = {**mine, **{k: v for k, v in saved.items() if k != "params"}}
            self._validate(group)
            loaded.append(group)
        return loaded

    def _install(self, loaded: list[Group], state_dict: StateDict) -> None:
        for mine, group in zip(self.param_groups, loaded):
            mine.update(group)
        self.steps_taken = state_dict["steps_taken"]

    def _state_shapes(self, param: Parameter) -> tuple[tuple[int, ...], ...]:
        """The shapes an array in the state of ``param`` may have: a scalar or the parameter's."""
        return ((), param.shape)

    def _all_params(self) -> list[Parameter]:
        return [p for group in self.param_groups for p in group["params"]]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _check_lr(lr: Any) -> None:
    if callable(lr):
        return
    if not isinstance(lr, numbers.Real) or isinstance(lr, bool):
        raise TypeError(f"lr must be a number or a schedule (a function of the step), got {lr!r} "
                        f"({type(lr).__name__})")
    check_nonnegative("lr", lr)


def _copy_state(state: State) -> State:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state.items()}
