"""Rprop: a step size per weight that grows while the gradient keeps its sign and shrinks when it flips."""
import numpy as np

from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim import arguments
from descent.optim.optimizer import Optimizer, Params, Rate


class Rprop(Optimizer):
    """torch.optim.Rprop (Riedmiller and Braun 1993). With g = ∇L(θ) (negated if ``maximize``),
    g′ the gradient kept from the previous step (0 at first), η₋, η₊ = etas and
    Γmin, Γmax = step_sizes, for every coordinate:

        g·g′ > 0:  Δ ← min(η₊Δ, Γmax)
        g·g′ < 0:  Δ ← max(η₋Δ, Γmin),  g ← 0      (the step overshot: no move, forget g)
        else:      Δ unchanged
        θ ← θ − sign(g)·Δ;   g′ ← g

    The move depends on the gradient's sign only, never on its size. ``lr`` is the initial Δ
    and nothing else: as in torch, changing it after the first step has no effect, and a
    schedule given as ``lr`` is read once, at the step that starts the state. This is torch's
    variant, iRprop⁻ in Igel and Hüsken's naming: no weight backtracking, and the gradient is
    forgotten after a sign change.
    """

    def __init__(self, params: Params, lr: Rate = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize))

    def _check_group(self, group: Group) -> None:
        etaminus, etaplus = arguments.sequence("etas", group["etas"], 2)
        arguments.real("etas[0]", etaminus, low=0.0, high=1.0, low_open=True, high_open=True)
        arguments.real("etas[1]", etaplus, low=1.0, low_open=True)
        smallest, largest = arguments.sequence("step_sizes", group["step_sizes"], 2)
        arguments.real("step_sizes[0]", smallest, low=0.0)
        arguments.real("step_sizes[1]", largest, low=smallest)
        arguments.flag("maximize", group["maximize"])

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["prev"] = np.zeros_like(param.data)
            state["step_size"] = np.full_like(param.data, lr)
        state["step"] += 1
        etaminus, etaplus = group["etas"]
        smallest, largest = group["step_sizes"]
        agreement = np.sign(g * state["prev"])
        factor = np.where(agreement > 0, etaplus, np.where(agreement < 0, etaminus, 1.0))
        step_size = state["step_size"]
        step_size *= factor
        np.clip(step_size, smallest, largest, out=step_size)
        g = np.where(factor == etaminus, 0.0, g)
        param.data -= np.sign(g) * step_size
        state["prev"][...] = g
