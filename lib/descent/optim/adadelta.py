"""Adadelta: RMSprop whose rate is a running RMS of past updates, so that units match."""
import numpy as np

from descent._checks import check_nonnegative, check_real
from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim.elementwise import ElementwiseOptimizer, gradient
from descent.optim.optimizer import Params, Rate


class Adadelta(ElementwiseOptimizer):
    """torch.optim.Adadelta (Zeiler 2012). With g = ∇L(θ) (negated if ``maximize``),
    λ = weight_decay, ρ = rho:

        g ← g + λθ
        v ← ρ v + (1 − ρ) g²
        Δ = √(u + ε)/√(v + ε) · g
        u ← ρ u + (1 − ρ) Δ²
        θ ← θ − η Δ

    Zeiler's paper has no rate (η = 1, torch's default); torch multiplies Δ by η but accumulates
    the unscaled Δ in u. ε sits inside both roots, as in the paper.
    """

    def __init__(self, params: Params, lr: Rate = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: Group) -> None:
        check_real("rho", group["rho"], low=0.0, high=1.0)
        check_nonnegative("eps", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        self.count_step(state, param, "square_avg", "acc_delta")
        rho, eps = group["rho"], group["eps"]
        for p, g, v, u, d, s, delta in self.blocks(param.data, grad, state["square_avg"],
                                                   state["acc_delta"], scratch=3):
            g = gradient(g, p, d, group["maximize"], group["weight_decay"])
            v *= rho
            np.multiply(g, g, out=s)
            s *= 1 - rho
            v += s
            np.add(v, eps, out=s)
            np.sqrt(s, out=s)
            np.add(u, eps, out=delta)
            np.sqrt(delta, out=delta)
            delta /= s
            delta *= g
            u *= rho
            np.multiply(delta, delta, out=s)
            s *= 1 - rho
            u += s
            delta *= -lr
            p += delta
