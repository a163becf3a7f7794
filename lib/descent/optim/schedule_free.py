"""Schedule-free SGD and AdamW: gradients at an interpolation y, an SGD/Adam sequence z, and x,
a weighted average of the z's, evaluated instead of a decaying learning-rate schedule."""
from typing import Any

import numpy as np

from descent._types import Array, Group, State
from descent.optim import arguments
from descent.optim.lerp import lerp
from descent.optim.optimizer import Closure, Optimizer, Params, Rate


class ScheduleFree(Optimizer):
    """The part both methods share (schedulefree 1.4.1): the averaging weights, warmup, and the
    ``train()`` / ``eval()`` switch. The parameters hold y in training mode and x in evaluation
    mode; ``state[p]["z"]`` holds z. With β the interpolation constant (``momentum`` or β₁):

        y = (1 − β)z + βx,   so   x = y + (1 − 1/β)(z − y)   and back   y = x + (1 − β)(z − x)

    Step k (from 0) uses the rate η_k = lr·min(1, (k + 1)/warmup_steps) and the averaging weight

        w_k = (k + 1)^r · (max_{j≤k} η_j)^weight_lr_power,   c_{k+1} = w_k / Σ_{j≤k} w_j,

    x ← (1 − c)x + c·z after z's step (Defazio et al. 2024). The state starts in evaluation mode,
    as the reference's: call ``train()`` before the first step (``step`` refuses otherwise) and
    ``eval()`` before evaluating or saving the model. ``descent.train.fit`` does both.
    """

    def _check_schedule_free_group(self, group: Group) -> None:
        arguments.integer("warmup_steps", group["warmup_steps"], low=0)
        arguments.real("r", group["r"])
        arguments.real("weight_lr_power", group["weight_lr_power"])
        arguments.real("weight_decay", group["weight_decay"], low=0.0)

    def _beta(self, group: Group) -> float:
        raise NotImplementedError

    @property
    def training(self) -> bool:
        """True between ``train()`` and ``eval()``: the parameters hold y."""
        return self.param_groups[0]["train_mode"]

    def eval(self) -> None:
        """Move every parameter from the training point y to the average x (for evaluation)."""
        for group in self.param_groups:
            if group["train_mode"]:
                self._move(group, 1 - 1 / self._beta(group))
                group["train_mode"] = False

    def train(self) -> None:
        """Move every parameter from the average x back to the training point y."""
        for group in self.param_groups:
            if not group["train_mode"]:
                self._move(group, 1 - self._beta(group))
                group["train_mode"] = True

    def _move(self, group: Group, weight: float) -> None:
        for p in group["params"]:
            state = self.state.get(p, {})
            if "z" in state:
                lerp(p.data, state["z"], weight, out=p.data)

    def step(self, closure: Closure | None = None) -> float | None:
        """One step of every group; ``closure``, if given, is called first and its loss returned."""
        if not self.training:
            raise RuntimeError(f"{type(self).__name__}.step() called in evaluation mode: call "
                               "optimizer.train() before training and optimizer.eval() before "
                               "evaluating the model")
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            k = group["k"]
            warmup = group["warmup_steps"]
            lr = self.rate(group) * ((k + 1) / warmup if k < warmup else 1.0)
            group["scheduled_lr"] = lr
            lr_max = group["lr_max"] = max(lr, group["lr_max"])
            weight = (k + 1) ** group["r"] * lr_max ** group["weight_lr_power"]
            weight_sum = group["weight_sum"] = group["weight_sum"] + weight
            ckp1 = weight / weight_sum if weight_sum != 0 else 0.0
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {})
                if "z" not in state:
                    state["z"] = p.data.copy()
                self._update_point(p.data, p.grad, state, group, lr, ckp1)
            group["k"] = k + 1
        self.steps_taken += 1
        return loss

    def _update_point(self, y: Array, grad: Array, state: State, group: Group, lr: float,
                      ckp1: float) -> None:
        raise NotImplementedError


def _defaults(**kwargs: Any) -> dict[str, Any]:
    return dict(kwargs, k=0, train_mode=False, weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0)


class SGDScheduleFree(ScheduleFree):
    """Schedule-free SGD (Defazio et al. 2024), as schedulefree 1.4.1's ``SGDScheduleFree``.
    With g = ∇L(y) + λy (λ = weight_decay), β = momentum, c = c_{k+1} and η = η_k (see
    ``ScheduleFree``):

        z ← z − ηg;   x ← (1 − c)x + cz;   y ← (1 − β)z + βx

    computed on y directly: y ← (1 − c)y + cz + η(β(1 − c) − 1)g, then z ← z − ηg. The rate
    needs no decay: the average x plays the schedule's part. lr defaults to 1.0, as the
    reference's.
    """

    def __init__(self, params: Params, lr: Rate = 1.0, momentum: float = 0.9,
                 weight_decay: float = 0.0, warmup_steps: int = 0, r: float = 0.0,
                 weight_lr_power: float = 2.0) -> None:
        super().__init__(params, _defaults(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                           warmup_steps=warmup_steps, r=r,
                                           weight_lr_power=weight_lr_power))

    def _check_group(self, group: Group) -> None:
        arguments.real("momentum", group["momentum"], low=0.0, high=1.0, low_open=True,
                       high_open=True)
        self._check_schedule_free_group(group)

    def _beta(self, group: Group) -> float:
        return group["momentum"]

    def _update_point(self, y: Array, grad: Array, state: State, group: Group, lr: float,
                      ckp1: float) -> None:
        g = grad + group["weight_decay"] * y if group["weight_decay"] != 0 else grad
        z = state["z"]
        lerp(y, z, ckp1, out=y)
        y += g * (lr * (group["momentum"] * (1 - ckp1) - 1))
        z -= g * lr


class AdamWScheduleFree(ScheduleFree):
    """Schedule-free AdamW (Defazio et al. 2024), as schedulefree 1.4.1's ``AdamWScheduleFree``.
    With g = ∇L(y), β₁, β₂ = betas, λ = weight_decay, c = c_{k+1} and η = η_k (see
    ``ScheduleFree``):

        v ← β₂v + (1 − β₂)g²;   u = g / (√(v/(1 − β₂^{k+1})) + ε) + λy
        z ← z − ηu;   x ← (1 − c)x + cz;   y ← (1 − β₁)z + β₁x

    No first moment: β₁ is the interpolation constant, and the averaging plays momentum's part.
    The weight decay is evaluated at y and added to the normalized gradient.
    """

    def __init__(self, params: Params, lr: Rate = 0.0025,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, warmup_steps: int = 0, r: float = 0.0,
                 weight_lr_power: float = 2.0) -> None:
        super().__init__(params, _defaults(lr=lr, betas=betas, eps=eps,
                                           weight_decay=weight_decay, warmup_steps=warmup_steps,
                                           r=r, weight_lr_power=weight_lr_power))

    def _check_group(self, group: Group) -> None:
        arguments.betas(group["betas"], low_open=True)
        arguments.real("eps", group["eps"], low=0.0)
        self._check_schedule_free_group(group)

    def _beta(self, group: Group) -> float:
        return group["betas"][0]

    def _update_point(self, y: Array, grad: Array, state: State, group: Group, lr: float,
                      ckp1: float) -> None:
        beta1, beta2 = group["betas"]
        if "exp_avg_sq" not in state:
            state["exp_avg_sq"] = np.zeros_like(y)
        v, z = state["exp_avg_sq"], state["z"]
        v *= beta2
        v += (1 - beta2) * grad * grad
        u = grad / (np.sqrt(v / (1 - beta2 ** (group["k"] + 1))) + group["eps"])
        if group["weight_decay"] != 0:
            u = u + group["weight_decay"] * y
        lerp(y, z, ckp1, out=y)
        y += u * (lr * (beta1 * (1 - ckp1) - 1))
        z -= u * lr
