"""NAdam: Adam with Nesterov momentum and a warming-up momentum schedule."""
import numpy as np

from descent._checks import check_nonnegative
from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim.adam import check_adam_group
from descent.optim.elementwise import (ElementwiseOptimizer, decayed_gradient, update_mean,
                                       update_mean_square)
from descent.optim.optimizer import Params, Rate


class NAdam(ElementwiseOptimizer):
    """torch.optim.NAdam (Dozat 2016). With g = ∇L(θ) (negated if ``maximize``), λ = weight_decay,
    ψ = momentum_decay and t the step:

        g ← g + λθ                     (or, decoupled: θ ← θ(1 − ηλ))
        μ_t = β₁(1 − ½·0.96^(tψ));  P_t = μ_1 μ_2 ⋯ μ_t
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   d = √(v/(1 − β₂ᵗ)) + ε
        θ ← θ − η(1 − μ_t)/(1 − P_t) · g/d − η μ_{t+1}/(1 − P_t μ_{t+1}) · m/d

    Textbook form (the simplified form of Dozat's report; Keras 3 instead uses the same
    0.96ᵗ schedule as torch): a constant μ = β₁ gives
    θ ← θ − η(β₁ m̂ + (1 − β₁) g/(1 − β₁ᵗ))/(√v̂ + ε), Adam with the momentum look-ahead of
    Nesterov. The library follows torch's schedule μ_t, which warms momentum up from about β₁/2.
    torch keeps P_t in a float32 scalar; so does the library (rounded to float32 every step), so
    that trajectories agree to rounding rather than to about 1e-9.
    """

    def __init__(self, params: Params, lr: Rate = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: Group) -> None:
        check_adam_group(group)
        check_nonnegative("momentum_decay", group["momentum_decay"])

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        t = self.count_step(state, param, "exp_avg", "exp_avg_sq")
        state.setdefault("mu_product", 1.0)
        beta1, beta2 = group["betas"]
        eps, psi = group["eps"], group["momentum_decay"]
        correction2 = 1 - beta2**t
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        product = float(np.float32(state["mu_product"]) * np.float32(mu))
        state["mu_product"] = product
        grad_coef = -lr * (1.0 - mu) / (1.0 - product)
        avg_coef = -lr * mu_next / (1.0 - product * mu_next)
        for p, g, m, v, d, s in self.blocks(param.data, grad, state["exp_avg"],
                                            state["exp_avg_sq"], scratch=2):
            g = decayed_gradient(g, p, d, group, lr)
            update_mean(g, m, beta1, s)
            update_mean_square(g, v, beta2, s)
            np.divide(v, correction2, out=s)
            np.sqrt(s, out=s)
            s += eps
            np.divide(g, s, out=d)
            d *= grad_coef
            p += d
            np.divide(m, s, out=s)
            s *= avg_coef
            p += s
