"""AdaGrad: per-coordinate rates from the running sum of squared gradients."""
import numpy as np

from descent._checks import check_nonnegative
from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim.elementwise import ElementwiseOptimizer, gradient
from descent.optim.optimizer import Params, Rate


class Adagrad(ElementwiseOptimizer):
    """torch.optim.Adagrad (Duchi, Hazan and Singer 2011). With g = ∇L(θ) (negated if
    ``maximize``), λ = weight_decay and t the step:

        g ← g + λθ
        G_t = G_{t−1} + g²            (G_0 = initial_accumulator_value)
        θ ← θ − η/(1 + (t − 1)·lr_decay) · g/(√G_t + ε)

    The paper's diagonal update, θ ← θ − η g/(δ + √G_t), also adds its δ after the square root;
    Keras and some textbooks put it inside, θ ← θ − η g/√(G_t + ε), and have no ``lr_decay``.
    The library follows torch: ε is added after the square root, and ``lr_decay`` divides the
    rate by 1 + (t − 1)·lr_decay (inverse-time decay, on top of any schedule given as ``lr``).
    """

    def __init__(self, params: Params, lr: Rate = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _check_group(self, group: Group) -> None:
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_nonnegative(name, group[name])

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param.data, group["initial_accumulator_value"])
        state["step"] += 1
        rate = lr / (1 + (state["step"] - 1) * group["lr_decay"])
        eps, maximize, decay = group["eps"], group["maximize"], group["weight_decay"]
        for p, g, total, d, s in self.blocks(param.data, grad, state["sum"], scratch=2):
            g = gradient(g, p, d, maximize, decay)
            np.multiply(g, g, out=s)
            total += s
            np.sqrt(total, out=s)
            s += eps
            np.divide(g, s, out=s)
            s *= -rate
            p += s
