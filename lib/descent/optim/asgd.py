"""ASGD: SGD with a decaying step and a running average of the iterates (Polyak–Juditsky)."""
import numpy as np

from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim import arguments
from descent.optim.optimizer import Optimizer, Params, Rate


class ASGD(Optimizer):
    """torch.optim.ASGD (Polyak and Juditsky 1992). With g = ∇L(θ) (negated if ``maximize``)
    plus λ_wd·θ (``weight_decay``), λ = lambd, t the step (from 1), η₁ = lr and μ₁ = 1:

        θ ← θ(1 − λη_t) − η_t g
        ax ← ax + μ_t(θ − ax)              (ax = θ while μ_t = 1)
        η_{t+1} = lr / (1 + λ·lr·t)^alpha;   μ_{t+1} = 1 / max(1, t − t0)

    ``state[p]["ax"]`` is the average of the iterates since step t0 (with torch's default
    t0 = 10⁶ it is simply the last iterate); use it in place of θ to evaluate. As in torch, η and
    μ live in the state as float32 numbers (torch's default dtype), so a float64 run agrees with
    torch's to rounding; ``lr`` as a schedule is read at each step for the next η.
    """

    def __init__(self, params: Params, lr: Rate = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize))

    def _check_group(self, group: Group) -> None:
        arguments.real("lambd", group["lambd"])
        arguments.real("alpha", group["alpha"])
        arguments.real("t0", group["t0"])
        arguments.real("weight_decay", group["weight_decay"], low=0.0)
        arguments.flag("maximize", group["maximize"])

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        g = -grad if group["maximize"] else grad
        if not state:
            state["step"] = 0
            state["eta"] = float(np.float32(lr))
            state["mu"] = 1.0
            state["ax"] = np.zeros_like(param.data)
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param.data
        lambd, eta, ax = group["lambd"], state["eta"], state["ax"]
        param.data *= 1 - lambd * eta
        param.data -= eta * g
        if state["mu"] != 1:
            ax += (param.data - ax) * state["mu"]
        else:
            ax[...] = param.data
        t = state["step"]
        state["eta"] = float(np.float32(lr / (1 + lambd * lr * t) ** group["alpha"]))
        state["mu"] = float(np.float32(1 / max(1, t - group["t0"])))
