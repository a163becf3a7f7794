"""Stochastic gradient descent, with torch.optim.SGD's momentum, dampening, Nesterov and weight decay."""
from descent._checks import check_nonnegative, check_real
from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim.optimizer import Optimizer, Params, Rate


class SGD(Optimizer):
    """torch.optim.SGD. With g = ∇L(θ) (negated if ``maximize``), λ = weight_decay, μ = momentum:

        g ← g + λθ
        b₁ = g;  b_t = μ b_{t−1} + (1 − dampening) g        (only if μ > 0)
        d = g + μ b_t  (nesterov)   or   d = b_t   or   d = g  (μ = 0)
        θ ← θ − η d

    The rate η sits outside the buffer. The textbook/Keras form v ← μv − ηg, θ ← θ + v puts it
    inside; the two agree while η is constant and differ once a schedule changes η.
    """

    def __init__(self, params: Params, lr: Rate = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_group(self, group: Group) -> None:
        check_nonnegative("momentum", group["momentum"])
        check_real("dampening", group["dampening"])
        check_nonnegative("weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param.data
        mu = group["momentum"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        param.data -= lr * g
