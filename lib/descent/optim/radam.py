"""RAdam: Adam whose adaptive rate is switched on only once its variance is bounded."""
import numpy as np

from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim.adam import check_adam_group
from descent.optim.elementwise import (ElementwiseOptimizer, decayed_gradient, update_mean,
                                       update_mean_square)
from descent.optim.optimizer import Params, Rate


class RAdam(ElementwiseOptimizer):
    """torch.optim.RAdam (Liu et al. 2020). With g = ∇L(θ) (negated if ``maximize``),
    λ = weight_decay and t the step:

        g ← g + λθ                     (or, decoupled: θ ← θ(1 − ηλ))
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   m̂ = m/(1 − β₁ᵗ)
        ρ_∞ = 2/(1 − β₂) − 1;   ρ_t = ρ_∞ − 2t β₂ᵗ/(1 − β₂ᵗ)
        ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
                  θ ← θ − η m̂ r_t √(1 − β₂ᵗ)/(√v + ε)
        else:     θ ← θ − η m̂          (momentum SGD while the variance of 1/√v̂ is unbounded)

    The paper's text switches on at ρ_t > 4 (its Algorithm 2); torch and its reference code use
    5, so with β₂ = 0.999 the first rectified step is t = 6. Unlike Adam, ε is added to √v
    before the bias correction. The library follows torch.
    """

    def __init__(self, params: Params, lr: Rate = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: Group) -> None:
        check_adam_group(group)

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        t = self.count_step(state, param, "exp_avg", "exp_avg_sq")
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        correction1, correction2 = 1 - beta1**t, 1 - beta2**t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / correction2
        rectified = rho_t > 5.0
        if rectified:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        for p, g, m, v, d, s in self.blocks(param.data, grad, state["exp_avg"],
                                            state["exp_avg_sq"], scratch=2):
            g = decayed_gradient(g, p, d, group, lr)
            update_mean(g, m, beta1, s)
            update_mean_square(g, v, beta2, s)
            np.divide(m, correction1, out=d)
            d *= lr
            if rectified:
                np.sqrt(v, out=s)
                s += eps
                np.divide(correction2**0.5, s, out=s)
                d *= s
                d *= rect
            p -= d
