"""Adafactor: Adam's second moment stored as row and column averages, with relative steps."""
import math

import numpy as np

from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim import arguments
from descent.optim.lerp import lerp
from descent.optim.optimizer import Optimizer, Params, Rate


class Adafactor(Optimizer):
    """torch.optim.Adafactor (Shazeer and Stern 2018), without first moment. With
    g = ∇L(θ) (negated if ``maximize``), t the step, τ = beta2_decay, ε₁, ε₂ = eps, λ = weight_decay:

        β̂₂ = 1 − t^τ;   ρ = min(η, 1/√t);   α = max(ε₂, RMS(θ))·ρ;   θ ← θ(1 − ηλ)
        matrix (ndim ≥ 2, over the last two axes, R: n×1, C: 1×m):
            R ← β̂₂R + (1 − β̂₂)·mean_row(g²);   C ← β̂₂C + (1 − β̂₂)·mean_col(g²)
            V̂ = R·C / max(mean(R), ε₁)        (the rank-one estimate of Adam's v)
        vector or scalar:  V̂ ← β̂₂V̂ + (1 − β̂₂)g²
        U = g / max(√V̂, ε₁);   θ ← θ − α·U / max(1, RMS(U)/d)

    A matrix of n×m entries keeps n + m numbers instead of Adam's 2nm. ε₁ = None means the
    machine epsilon of the parameter's dtype. torch's conventions, which the library follows:
    ``lr`` caps the relative step ρ and scales the decoupled weight decay (the paper uses a
    constant 0.01 and no decay), ε₁ enters at V̂ and U rather than being added to g², and the
    means replace the paper's sums. No momentum (the paper's optional β₁), as torch.
    """

    def __init__(self, params: Params, lr: Rate = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, maximize=maximize))

    def _check_group(self, group: Group) -> None:
        arguments.real("beta2_decay", group["beta2_decay"], high=0.0)
        eps1, eps2 = arguments.sequence("eps", group["eps"], 2)
        if eps1 is not None:
            arguments.real("eps[0]", eps1, low=0.0)
        arguments.real("eps[1]", eps2, low=0.0)
        arguments.real("d", group["d"], low=1.0)
        arguments.real("weight_decay", group["weight_decay"], low=0.0)
        arguments.flag("maximize", group["maximize"])

    def _state_shapes(self, param: Parameter) -> tuple[tuple[int, ...], ...]:
        shape = param.shape
        if len(shape) < 2:
            return ((), shape)
        return ((), shape[:-1] + (1,), shape[:-2] + (1, shape[-1]))

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        g = -grad if group["maximize"] else grad
        factored = g.ndim > 1
        if not state:
            state["step"] = 0
            if factored:
                state["row_var"] = np.zeros(g.shape[:-1] + (1,), dtype=param.data.dtype)
                state["col_var"] = np.zeros(g.shape[:-2] + (1, g.shape[-1]), dtype=param.data.dtype)
            else:
                state["variance"] = np.zeros_like(param.data)
        state["step"] += 1
        t = float(state["step"])
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(param.data.dtype).eps)
        one_minus_beta2 = t ** group["beta2_decay"]
        rho = min(lr, 1 / t**0.5)
        alpha = max(eps2, float(np.linalg.norm(param.data)) / math.sqrt(param.data.size)) * rho
        if group["weight_decay"] != 0:
            param.data *= 1 - lr * group["weight_decay"]
        if factored:
            row, col = state["row_var"], state["col_var"]
            lerp(row, np.linalg.norm(g, axis=-1, keepdims=True) ** 2 / g.shape[-1],
                 one_minus_beta2, out=row)
            lerp(col, np.linalg.norm(g, axis=-2, keepdims=True) ** 2 / g.shape[-2],
                 one_minus_beta2, out=col)
            estimate = row @ col
            estimate /= np.maximum(row.mean(axis=-2, keepdims=True), eps1)
        else:
            lerp(state["variance"], g * g, one_minus_beta2, out=state["variance"])
            estimate = state["variance"].copy()
        update = 1 / np.sqrt(np.maximum(estimate, eps1 * eps1, out=estimate), out=estimate)
        update *= g
        scale = max(1.0, float(np.linalg.norm(update)) / (math.sqrt(update.size) * group["d"]))
        param.data += update * (-alpha / scale)
