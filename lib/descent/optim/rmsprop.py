"""RMSprop: divide by a running root-mean-square of recent gradients."""
import numpy as np

from descent._checks import check_nonnegative
from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim.elementwise import ElementwiseOptimizer, gradient
from descent.optim.optimizer import Params, Rate


class RMSprop(ElementwiseOptimizer):
    """torch.optim.RMSprop (Hinton's lecture 6e, 2012). With g = ∇L(θ) (negated if ``maximize``),
    λ = weight_decay, α = alpha, μ = momentum:

        g ← g + λθ
        v ← α v + (1 − α) g²
        centered:  a ← α a + (1 − α) g;   d = √(v − a²) + ε      else  d = √v + ε
        μ > 0:     b ← μ b + g/d;  θ ← θ − η b                   else  θ ← θ − η g/d

    Textbook/Keras form: θ ← θ − η g/√(v + ε) (ε inside the root; Keras defaults ρ = 0.9,
    η = 1e-3, ε = 1e-7). The library follows torch: ε is added after the square root. There is
    no bias correction, so the first steps are large: v₁ = (1 − α) g² makes |g|/√v₁ = 10 for α = 0.99.
    """

    def __init__(self, params: Params, lr: Rate = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _check_group(self, group: Group) -> None:
        for name in ("eps", "momentum", "weight_decay", "alpha"):
            check_nonnegative(name, group[name])

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        alpha, eps, mu = group["alpha"], group["eps"], group["momentum"]
        centered = group["centered"]
        self.count_step(state, param, "square_avg")
        if mu > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param.data)
        if centered and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(param.data)
        arrays = [param.data, grad, state["square_avg"]]
        arrays += [state["momentum_buffer"]] if mu > 0 else []
        arrays += [state["grad_avg"]] if centered else []
        for p, g, v, *rest, d, s in self.blocks(*arrays, scratch=2):
            buf = rest.pop(0) if mu > 0 else None
            g = gradient(g, p, d, group["maximize"], group["weight_decay"])
            v *= alpha
            np.multiply(g, g, out=s)
            s *= 1 - alpha
            v += s
            if centered:
                avg = rest[0]
                np.subtract(g, avg, out=s)
                s *= 1 - alpha
                avg += s
                np.multiply(avg, avg, out=s)
                np.subtract(v, s, out=s)
                np.sqrt(s, out=s)
            else:
                np.sqrt(v, out=s)
            s += eps
            np.divide(g, s, out=s)
            if buf is not None:
                buf *= mu
                buf += s
                np.multiply(buf, -lr, out=s)
            else:
                s *= -lr
            p += s
