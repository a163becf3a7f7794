"""Prodigy: Adam whose step size d·η is set by an online estimate d of the distance to the solution."""
import math

import numpy as np

from descent._types import Group
from descent.optim import arguments
from descent.optim.optimizer import Closure, Optimizer, Params, Rate


class Prodigy(Optimizer):
    """Prodigy (Mishchenko and Defazio 2024), as prodigyopt 1.1.2 (all its arguments except
    ``fsdp_in_use`` and ``slice_p``). With g = ∇L(θ) (+ λθ unless ``decouple``), θ₀ the starting
    point, β₃ = beta3 (default √β₂), k the step (from 0) and the current estimate d:

        η̂ = d·η·(√(1 − β₂^{k+1})/(1 − β₁^{k+1}) if use_bias_correction else 1)
        m ← β₁m + (1 − β₁)d·g;   v ← β₂v + (1 − β₂)d²·g²
        r ← β₃r + (d/d₀)·η̂·⟨g, θ₀ − θ⟩              (summed over all parameters)
        s ← β₃s + (d/d₀)·η̂·g                        (d/d₀·d·g with safeguard_warmup)
        d̂ = d_coef·r/‖s‖₁;   d_max ← max(d_max, d̂);   d ← min(d_max, d·growth_rate)
                          (while d is still d₀, d ← max(d₀, d̂) first; d never decreases)
        θ ← θ(1 − λη̂) (if decouple);   θ ← θ − η̂·m/(√v + d·ε)   (β₁ = 0: θ − η̂·d·g/(√v + dε))

    The step uses the estimate from before this step's update of d, the denominator the new
    one. d estimates the distance ‖θ₀ − θ*‖ from how far the iterates have moved along the
    gradients: r/‖s‖₁ is a lower bound on it for convex problems, so d starts at d0 (tiny) and
    grows until steps are the right size; η stays a multiplier, 1 by default. d, its maximum and
    the sums live in the parameter groups (``group["d"]`` …), as in the reference; all groups
    must share one rate (or have rate 0: frozen). ``state[p]["s"]`` has the parameter's shape
    (the reference keeps it flat).
    """

    def __init__(self, params: Params, lr: Rate = 1.0, betas: tuple[float, float] = (0.9, 0.999),
                 beta3: float | None = None, eps: float = 1e-8, weight_decay: float = 0.0,
                 decouple: bool = True, use_bias_correction: bool = False,
                 safeguard_warmup: bool = False, d0: float = 1e-6, d_coef: float = 1.0,
                 growth_rate: float = math.inf) -> None:
        if not callable(lr):
            arguments.real("lr", lr, low=0.0, low_open=True)
        super().__init__(params, dict(lr=lr, betas=betas, beta3=beta3, eps=eps,
                                      weight_decay=weight_decay, d=d0, d0=d0, d_max=d0,
                                      d_numerator=0.0, d_coef=d_coef, k=0,
                                      growth_rate=growth_rate,
                                      use_bias_correction=use_bias_correction,
                                      decouple=decouple, safeguard_warmup=safeguard_warmup))

    def _check_group(self, group: Group) -> None:
        arguments.betas(group["betas"])
        if group["beta3"] is not None:
            arguments.real("beta3", group["beta3"], low=0.0, high=1.0, high_open=True)
        arguments.real("eps", group["eps"], low=0.0, low_open=True)
        arguments.real("weight_decay", group["weight_decay"], low=0.0)
        arguments.real("d0", group["d0"], low=0.0, low_open=True)
        arguments.real("d_coef", group["d_coef"], low=0.0, low_open=True)
        arguments.real("growth_rate", group["growth_rate"], low=1.0)
        for name in ("decouple", "use_bias_correction", "safeguard_warmup"):
            arguments.flag(name, group[name])

    def step(self, closure: Closure | None = None) -> float | None:
        """One step of every parameter; ``closure``, if given, is called first and its loss returned."""
        loss = closure() if closure is not None else None
        first = self.param_groups[0]
        beta1, beta2 = first["betas"]
        beta3 = math.sqrt(beta2) if first["beta3"] is None else first["beta3"]
        k, d, d_max = first["k"], first["d"], first["d_max"]
        rates = [self.rate(group) for group in self.param_groups]
        lr = max(rates)
        if any(rate not in (lr, 0.0) for rate in rates):
            raise ValueError(f"Prodigy needs one rate for all parameter groups (or 0 to freeze "
                             f"a group), got {rates}")
        correction = ((1 - beta2 ** (k + 1)) ** 0.5 / (1 - beta1 ** (k + 1))
                      if first["use_bias_correction"] else 1)
        dlr = d * lr * correction
        d_numerator = first["d_numerator"] * beta3
        delta_numerator = 0.0
        d_denom = 0.0
        gradients = {}
        for group, rate in zip(self.param_groups, rates):
            decay, d0 = group["weight_decay"], group["d0"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + decay * p.data if decay != 0 and not group["decouple"] else p.grad
                gradients[p] = g
                state = self.state.setdefault(p, {})
                if "step" not in state:
                    state["step"] = 0
                    state["s"] = np.zeros_like(p.data)
                    state["p0"] = p.data.copy() if p.data.any() else np.zeros((), p.data.dtype)
                    if beta1 > 0:
                        state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                if rate > 0.0:
                    delta_numerator += (d / d0) * dlr * float(
                        np.dot(g.ravel(), (state["p0"] - p.data).ravel()))
                    if beta1 > 0:
                        state["exp_avg"] *= beta1
                        state["exp_avg"] += g * (d * (1 - beta1))
                    state["exp_avg_sq"] *= beta2
                    state["exp_avg_sq"] += (d * d * (1 - beta2)) * g * g
                    s = state["s"]
                    s *= beta3
                    s += g * ((d / d0) * (d if group["safeguard_warmup"] else dlr))
                    d_denom += float(np.abs(s).sum())
        if d_denom == 0:
            return loss
        d_numerator += delta_numerator
        d_hat = d
        if lr > 0.0:
            d_hat = first["d_coef"] * d_numerator / d_denom
            if d == self.param_groups[-1]["d0"]:
                d = max(d, d_hat)
            d_max = max(d_max, d_hat)
            d = min(d_max, d * first["growth_rate"])
        for group in self.param_groups:
            group.update(d_numerator=d_numerator, d_denom=d_denom, d=d, d_max=d_max, d_hat=d_hat)
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                state["step"] += 1
                denom = np.sqrt(state["exp_avg_sq"])
                denom += d * group["eps"]
                if group["weight_decay"] != 0 and group["decouple"]:
                    p.data += p.data * (-group["weight_decay"] * dlr)
                if beta1 > 0:
                    p.data += -dlr * (state["exp_avg"] / denom)
                else:
                    p.data += -dlr * d * (gradients[p] / denom)
            group["k"] = k + 1
        self.steps_taken += 1
        return loss
