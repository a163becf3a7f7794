"""Lion: the sign of an interpolated momentum, with decoupled weight decay."""
import numpy as np

from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim import arguments
from descent.optim.optimizer import Optimizer, Params, Rate


class Lion(Optimizer):
    """Lion (Chen et al. 2023), as lion-pytorch 0.2.5. With g = ∇L(θ), β₁, β₂ = betas and
    λ = weight_decay:

        θ ← θ(1 − ηλ)
        θ ← θ − η·sign(β₁m + (1 − β₁)g)
        m ← β₂m + (1 − β₂)g

    Every coordinate moves by exactly η (or 0), so the rate must be several times smaller than
    Adam's (the paper suggests 3–10×) and λ correspondingly larger. With
    ``decoupled_weight_decay=True`` the decay is θ ← θ(1 − ηλ/η₀), η₀ the rate at construction
    (for a schedule, its value at step 0), so that λ alone sets the decay per step.
    """

    def __init__(self, params: Params, lr: Rate = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False) -> None:
        arguments.flag("decoupled_weight_decay", decoupled_weight_decay)
        self.decoupled_weight_decay = decoupled_weight_decay
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))
        self.initial_lr = self.lr

    def _check_group(self, group: Group) -> None:
        if not callable(group["lr"]):
            arguments.real("lr", group["lr"], low=0.0, low_open=True)
        beta1, beta2 = arguments.sequence("betas", group["betas"], 2)
        arguments.real("betas[0]", beta1, low=0.0, high=1.0)
        arguments.real("betas[1]", beta2, low=0.0, high=1.0)
        arguments.real("weight_decay", group["weight_decay"], low=0.0)

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        if not state:
            state["exp_avg"] = np.zeros_like(param.data)
        beta1, beta2 = group["betas"]
        decay = group["weight_decay"]
        if self.decoupled_weight_decay:
            decay /= self.initial_lr
        m = state["exp_avg"]
        param.data *= 1 - lr * decay
        param.data -= lr * np.sign(m * beta1 + grad * (1 - beta1))
        m *= beta2
        m += grad * (1 - beta2)
