"""SAM: sharpness-aware minimization, the base optimizer's step with the gradient taken at the
worst point of a small ball around θ."""
from typing import Any

import numpy as np

from descent._types import Group, State
from descent.nn.module import Parameter
from descent.optim import arguments
from descent.optim.closure_optimizer import ClosureOptimizer
from descent.optim.optimizer import Closure, Optimizer, Params, StateDict

SAM_KEYS = ("rho", "adaptive")


class SAM(Optimizer):
    """SAM (Foret et al. 2021) and adaptive SAM (ASAM, Kwon et al. 2021), as pytorch-optimizer
    4.1.0's ``SAM(params, base_optimizer, rho=0.05, adaptive=False, **kwargs)``. A step:

        e = ρ·T²g / (‖T g‖₂ + perturb_eps)      T = I, or T = diag|θ| with ``adaptive``
        g_SAM = ∇L(θ + e)                       (the closure, evaluated at θ + e)
        θ ← base optimizer's step from θ with g_SAM

    e is the first-order solution of max_{‖T⁻¹e‖ ≤ ρ} L(θ + e): SAM descends on the worst loss
    in a ball of radius ρ, which favours flat minima. The norm is over all parameters together,
    accumulated in float32 as the reference does (each parameter's norm squared, summed in
    order; torch sums more than four terms in another order, so beyond four parameters the two
    can differ in the last float32 bit of the radius).

    ``step(closure)``: ``closure()`` must compute the loss and the gradients at the current
    parameters (``.grad``) and return the loss. ``step`` zeroes the gradients and calls it at θ,
    moves to θ + e, zeroes them and calls it there, restores θ and takes the base optimizer's
    step; it returns the loss at θ. A step costs two gradients. pytorch-optimizer's ``SAM``
    instead expects the gradient at θ to be in ``.grad`` before ``step(closure)`` and calls the
    closure once; descent evaluates both points itself, as its other closure methods do, so
    that every loop that hands it a closure (``train.fit``, ``train.minimize``) gets SAM's
    update, and never one built on a stale gradient. The trajectory is the same. The radius
    ρ/‖Tg‖ is rounded to float32 as in the reference (1/‖Tg‖ times ρ).

    ``base_optimizer`` is an optimizer class (for example ``optim.SGD``), built on the same
    parameter groups with ``**kwargs``; ``rho`` and ``adaptive`` may differ per group.
    ``param_groups``, ``state`` and ``lr`` are the base optimizer's.
    """

    needs_closure = True

    def __init__(self, params: Params, base_optimizer: type[Optimizer], rho: float = 0.05,
                 adaptive: bool = False, perturb_eps: float = 1e-12, **kwargs: Any) -> None:
        if not (isinstance(base_optimizer, type) and issubclass(base_optimizer, Optimizer)):
            raise TypeError("base_optimizer must be an optimizer class such as optim.SGD, got "
                            f"{base_optimizer!r}")
        if issubclass(base_optimizer, (SAM, ClosureOptimizer)):
            raise TypeError("base_optimizer must be an optimizer that steps from the gradients "
                            f"in .grad (SGD, Adam, …), got {base_optimizer.__name__}, which "
                            "needs a closure of its own")
        self.perturb_eps = arguments.real("perturb_eps", perturb_eps, low=0.0)
        self.sam_defaults = dict(rho=rho, adaptive=adaptive)
        groups: list[Any] = [params] if isinstance(params, Parameter) else list(params)
        own: list[dict[str, Any]]
        if groups and isinstance(groups[0], dict):
            own = [{k: g[k] for k in SAM_KEYS if k in g} for g in groups]
            groups = [{k: v for k, v in g.items() if k not in SAM_KEYS} for g in groups]
        else:
            own = [{}]
            groups = [{"params": groups}]
        self.base_optimizer = base_optimizer(groups, **kwargs)
        for group, settings in zip(self.base_optimizer.param_groups, own):
            self._add_sam_settings(group, settings)
        self.defaults = dict(self.base_optimizer.defaults, **self.sam_defaults)

    def _add_sam_settings(self, group: Group, settings: dict[str, Any]) -> None:
        for key, value in self.sam_defaults.items():
            group[key] = settings.get(key, value)
        arguments.real("rho", group["rho"], low=0.0)
        arguments.flag("adaptive", group["adaptive"])

    def add_param_group(self, group: Group) -> None:
        """Add a group to the base optimizer, with its own ``rho`` and ``adaptive`` if given."""
        settings = {k: group[k] for k in SAM_KEYS if k in group}
        self.base_optimizer.add_param_group({k: v for k, v in group.items() if k not in SAM_KEYS})
        self._add_sam_settings(self.base_optimizer.param_groups[-1], settings)

    # The base optimizer's, read-only here: mypy flags a property over the base class's attribute.
    @property
    def param_groups(self) -> list[Group]:  # type: ignore[override]
        return self.base_optimizer.param_groups

    @property
    def state(self) -> dict[Parameter, State]:  # type: ignore[override]  # as param_groups
        return self.base_optimizer.state

    @property
    def steps_taken(self) -> int:  # type: ignore[override]  # as param_groups
        return self.base_optimizer.steps_taken

    def rate(self, group: Group) -> float:
        return self.base_optimizer.rate(group)

    def step(self, closure: Closure | None = None) -> float:
        """Evaluate ``closure`` at θ and at θ + e, restore θ and take the base step; return the
        loss at θ."""
        if closure is None or not callable(closure):
            raise TypeError("SAM.step needs a closure that computes the loss and the gradients "
                            "at the current parameters and returns the loss (SAM evaluates two "
                            f"points per step), got {closure!r}: call optimizer.step(closure)")
        # Zeros in place, not None: a closure may write its gradient into .grad[...] directly.
        self.zero_grad(set_to_none=False)
        loss = closure()
        inverse_norm = np.float32(1.0) / self._perturbation_norm()
        for group in self.param_groups:
            radius = float(inverse_norm * np.float32(group["rho"]))
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.state.setdefault(p, {})["old_p"] = p.data.copy()
                direction = p.data**2 * p.grad if group["adaptive"] else p.grad
                p.data += direction * radius
        self.zero_grad(set_to_none=False)
        closure()
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.get(p, {})
                if "old_p" in state:
                    p.data[...] = state.pop("old_p")
        self.base_optimizer.step()
        return loss

    def _perturbation_norm(self) -> np.float32:
        """‖T g‖₂ + perturb_eps over all parameters, in float32 as the reference computes it."""
        total = np.float32(0.0)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad * np.abs(p.data) if group["adaptive"] else p.grad
                norm = np.float32(np.linalg.norm(g))
                total = np.float32(total + norm * norm)
        return np.float32(np.sqrt(total) + np.float32(self.perturb_eps))

    def state_dict(self) -> StateDict:
        return self.base_optimizer.state_dict()

    def load_state_dict(self, state_dict: StateDict) -> None:
        self.base_optimizer.load_state_dict(state_dict)
