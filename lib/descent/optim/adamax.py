"""Adamax: Adam with the infinity norm in place of the root mean square."""
import numpy as np

from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim.adam import check_adam_group
from descent.optim.elementwise import ElementwiseOptimizer, gradient, update_mean
from descent.optim.optimizer import Params, Rate


class Adamax(ElementwiseOptimizer):
    """torch.optim.Adamax (Kingma and Ba 2015, section 7.1). With g = ∇L(θ) (negated if
    ``maximize``), λ = weight_decay and t the step:

        g ← g + λθ
        m ← β₁ m + (1 − β₁) g
        u ← max(β₂ u, |g| + ε)
        θ ← θ − η/(1 − β₁ᵗ) · m/u

    The paper's u_t = max(β₂ u, |g|) has no ε; torch puts ε inside the maximum, so a coordinate
    whose gradient has always been 0 divides 0 by ε rather than by 0. The library follows torch.
    """

    def __init__(self, params: Params, lr: Rate = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: Group) -> None:
        check_adam_group(group)

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        t = self.count_step(state, param, "exp_avg", "exp_inf")
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        step_size = lr / (1 - beta1**t)
        for p, g, m, u, d, s in self.blocks(param.data, grad, state["exp_avg"], state["exp_inf"],
                                            scratch=2):
            g = gradient(g, p, d, group["maximize"], group["weight_decay"])
            update_mean(g, m, beta1, s)
            u *= beta2
            np.abs(g, out=s)
            s += eps
            np.maximum(u, s, out=u)
            np.divide(m, u, out=s)
            s *= -step_size
            p += s
