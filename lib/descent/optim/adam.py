"""Adam and AdamW: momentum on the gradient, per-coordinate scale from its square, bias-corrected."""
import numpy as np

from descent._checks import check_nonnegative
from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim import arguments
from descent.optim.elementwise import (ElementwiseOptimizer, decayed_gradient, update_mean,
                                       update_mean_square)
from descent.optim.optimizer import Params, Rate


def check_adam_group(group: Group) -> None:
    """The checks torch makes for the Adam family: eps ≥ 0, both betas in [0, 1), weight_decay ≥ 0."""
    check_nonnegative("eps", group["eps"])
    arguments.betas(group["betas"])  # TypeError unless a pair of numbers, ValueError outside [0, 1)
    check_nonnegative("weight_decay", group["weight_decay"])


class Adam(ElementwiseOptimizer):
    """torch.optim.Adam (Kingma and Ba 2015). With g = ∇L(θ) (negated if ``maximize``),
    λ = weight_decay and t the step (from 1):

        g ← g + λθ                     (or, decoupled: θ ← θ(1 − ηλ))
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        v̂max ← max(v̂max, v)            (amsgrad; then v̂max replaces v below)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)

    This is the paper's Algorithm 1: ε is added to √v̂ = √(v/(1 − β₂ᵗ)). Keras and the paper's
    "efficient" form add ε̂ to √v instead, θ ← θ − η√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m/(√v + ε̂); the two
    agree for ε̂ = ε√(1 − β₂ᵗ). AMSGrad (Reddi et al. 2018) takes the maximum of the raw v and,
    as in torch, still bias-corrects it (the paper has no bias correction).
    """

    def __init__(self, params: Params, lr: Rate = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_group(self, group: Group) -> None:
        check_adam_group(group)

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        t = self.count_step(state, param, "exp_avg", "exp_avg_sq")
        amsgrad = group["amsgrad"]
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(param.data)
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        step_size = lr / (1 - beta1**t)
        root_correction2 = (1 - beta2**t) ** 0.5
        arrays = [param.data, grad, state["exp_avg"], state["exp_avg_sq"]]
        arrays += [state["max_exp_avg_sq"]] if amsgrad else []
        for p, g, m, v, *vmax, d, s in self.blocks(*arrays, scratch=2):
            g = decayed_gradient(g, p, d, group, lr)
            update_mean(g, m, beta1, s)
            update_mean_square(g, v, beta2, s)
            if amsgrad:
                np.maximum(vmax[0], v, out=vmax[0])
            np.sqrt(vmax[0] if amsgrad else v, out=s)
            s /= root_correction2
            s += eps
            np.divide(m, s, out=s)
            s *= -step_size
            p += s


class AdamW(Adam):
    """torch.optim.AdamW (Loshchilov and Hutter 2019): Adam with decoupled weight decay,

        θ ← θ(1 − ηλ)   then the Adam step on the plain gradient,

    and weight_decay = 1e-2 by default. The paper writes θ ← θ − η_t λ' θ with a schedule
    multiplier η_t that does not include the rate α, so torch's λ equals the paper's λ'/α.
    L2 regularization (Adam's ``weight_decay``) instead adds λθ to g, where the division by
    √v̂ shrinks the decay of coordinates with large gradients.
    """

    def __init__(self, params: Params, lr: Rate = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
