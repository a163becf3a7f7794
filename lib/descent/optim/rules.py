"""Every update rule in its plain form: whole arrays, state in and state out, as the formula reads.

A rule takes a parameter array θ, its gradient g, the state the rule keeps about θ (a dict with
torch.optim's names; an empty dict on the first step, when a missing buffer counts as zeros),
the rate η of this step and the optimizer's hyperparameters (torch.optim's names and
defaults). With ``maximize=True`` the rule first replaces g by −g. It returns the new θ and
the new state, new arrays that share no memory with its arguments, which it leaves unchanged:

    theta, state = adam_rule(theta, grad, state, lr=1e-3)

The optimizer classes compute the same numbers with fast kernels that work in place, block by
block, with scratch buffers (``descent.optim.elementwise``); tests/test_rules.py checks that the
two agree bit for bit, and that these rules follow torch.optim's recorded trajectories.
"""
from collections.abc import Sequence

import numpy as np

from descent._types import Array, State


def sgd_rule(param: Array, grad: Array, state: State, lr: float, momentum: float = 0.0,
             dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
             maximize: bool = False) -> tuple[Array, State]:
    """torch.optim.SGD, with μ = momentum, λ = weight_decay:

        g ← g + λθ;   b₁ = g,  b_t = μ b_{t−1} + (1 − dampening) g
        θ ← θ − η (g + μ b_t)   (nesterov)   or   θ ← θ − η b_t   (or θ − η g when μ = 0)
    """
    g = -grad if maximize else grad
    g = g + weight_decay * param if weight_decay != 0 else g
    if momentum == 0:
        return param - lr * g, {}
    b = state.get("momentum_buffer")
    b = np.copy(g) if b is None else momentum * b + (1 - dampening) * g
    step = g + momentum * b if nesterov else b
    return param - lr * step, {"momentum_buffer": b}


def adagrad_rule(param: Array, grad: Array, state: State, lr: float, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, maximize: bool = False) -> tuple[Array, State]:
    """torch.optim.Adagrad, with λ = weight_decay and t the step (from 1):

        g ← g + λθ;   G_t = G_{t−1} + g²   (G_0 = initial_accumulator_value)
        θ ← θ − η/(1 + (t − 1)·lr_decay) · g/(√G_t + ε)
    """
    t = state.get("step", 0) + 1
    g = -grad if maximize else grad
    g = g + weight_decay * param if weight_decay != 0 else g
    G = state.get("sum", initial_accumulator_value) + np.square(g)
    rate = lr / (1 + (t - 1) * lr_decay)
    return param - rate * (g / (np.sqrt(G) + eps)), {"step": t, "sum": G}


def rmsprop_rule(param: Array, grad: Array, state: State, lr: float, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, maximize: bool = False) -> tuple[Array, State]:
    """torch.optim.RMSprop, with λ = weight_decay, μ = momentum:

        g ← g + λθ;   v ← α v + (1 − α) g²
        centered:  a ← α a + (1 − α) g;   d = √(v − a²) + ε      else  d = √v + ε
        μ > 0:     b ← μ b + g/d;  θ ← θ − η b                   else  θ ← θ − η g/d
    """
    g = -grad if maximize else grad
    g = g + weight_decay * param if weight_decay != 0 else g
    v = alpha * state.get("square_avg", 0.0) + (1 - alpha) * np.square(g)
    new = {"step": state.get("step", 0) + 1, "square_avg": v}
    if centered:
        a = state.get("grad_avg", 0.0)
        a = new["grad_avg"] = a + (1 - alpha) * (g - a)
        v = v - np.square(a)
    step = g / (np.sqrt(v) + eps)
    if momentum > 0:
        step = new["momentum_buffer"] = momentum * state.get("momentum_buffer", 0.0) + step
    return param - lr * step, new


def adadelta_rule(param: Array, grad: Array, state: State, lr: float, rho: float = 0.9,
                  eps: float = 1e-6, weight_decay: float = 0.0,
                  maximize: bool = False) -> tuple[Array, State]:
    """torch.optim.Adadelta, with λ = weight_decay:

        g ← g + λθ;   v ← ρ v + (1 − ρ) g²
        Δ = √(u + ε)/√(v + ε) · g;   u ← ρ u + (1 − ρ) Δ²
        θ ← θ − η Δ
    """
    g = -grad if maximize else grad
    g = g + weight_decay * param if weight_decay != 0 else g
    v = rho * state.get("square_avg", 0.0) + (1 - rho) * np.square(g)
    u = state.get("acc_delta", 0.0)
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u = rho * u + (1 - rho) * np.square(delta)
    return param - lr * delta, {"step": state.get("step", 0) + 1, "square_avg": v,
                                "acc_delta": u}


def adam_rule(param: Array, grad: Array, state: State, lr: float,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
              weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False,
              decoupled_weight_decay: bool = False) -> tuple[Array, State]:
    """torch.optim.Adam and, with decoupled_weight_decay=True, AdamW; t the step (from 1):

        g ← g + λθ                     (or, decoupled: θ ← θ(1 − ηλ))
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
        v̂max ← max(v̂max, v)            (amsgrad; then v̂max replaces v below)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)
    """
    (beta1, beta2), t = betas, state.get("step", 0) + 1
    param, g = apply_weight_decay(param, grad, lr, weight_decay, maximize, decoupled_weight_decay)
    m, v = state.get("exp_avg", 0.0), state.get("exp_avg_sq", 0.0)
    m = m + (1 - beta1) * (g - m)                 # = β₁m + (1 − β₁)g, as torch computes it
    v = beta2 * v + (1 - beta2) * np.square(g)
    new = {"step": t, "exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        v = new["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", 0.0), v)
    denominator = np.sqrt(v) / (1 - beta2**t) ** 0.5 + eps
    return param - lr / (1 - beta1**t) * (m / denominator), new


def nadam_rule(param: Array, grad: Array, state: State, lr: float,
               betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 0.0, momentum_decay: float = 4e-3,
               decoupled_weight_decay: bool = False,
               maximize: bool = False) -> tuple[Array, State]:
    """torch.optim.NAdam, with ψ = momentum_decay and t the step (from 1):

        μ_t = β₁(1 − ½·0.96^(tψ));   P_t = μ_1 μ_2 ⋯ μ_t   (kept in float32, as torch does)
        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   d = √(v/(1 − β₂ᵗ)) + ε
        θ ← θ − η(1 − μ_t)/(1 − P_t) · g/d − η μ_{t+1}/(1 − P_t μ_{t+1}) · m/d
    """
    (beta1, beta2), t = betas, state.get("step", 0) + 1
    mu, mu_next = (beta1 * (1.0 - 0.5 * 0.96 ** (k * momentum_decay)) for k in (t, t + 1))
    product = float(np.float32(state.get("mu_product", 1.0)) * np.float32(mu))
    param, g = apply_weight_decay(param, grad, lr, weight_decay, maximize, decoupled_weight_decay)
    m, v = state.get("exp_avg", 0.0), state.get("exp_avg_sq", 0.0)
    m = m + (1 - beta1) * (g - m)                 # = β₁m + (1 − β₁)g, as torch computes it
    v = beta2 * v + (1 - beta2) * np.square(g)
    d = np.sqrt(v / (1 - beta2**t)) + eps
    param = param - lr * (1 - mu) / (1 - product) * (g / d)
    param = param - lr * mu_next / (1 - product * mu_next) * (m / d)
    return param, {"step": t, "exp_avg": m, "exp_avg_sq": v, "mu_product": product}


def adamax_rule(param: Array, grad: Array, state: State, lr: float,
                betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                weight_decay: float = 0.0, maximize: bool = False) -> tuple[Array, State]:
    """torch.optim.Adamax, with λ = weight_decay and t the step (from 1):

        g ← g + λθ;   m ← β₁ m + (1 − β₁) g;   u ← max(β₂ u, |g| + ε)
        θ ← θ − η/(1 − β₁ᵗ) · m/u
    """
    (beta1, beta2), t = betas, state.get("step", 0) + 1
    g = -grad if maximize else grad
    g = g + weight_decay * param if weight_decay != 0 else g
    m = state.get("exp_avg", 0.0)
    m = m + (1 - beta1) * (g - m)                 # = β₁m + (1 − β₁)g, as torch computes it
    u = np.maximum(beta2 * state.get("exp_inf", 0.0), np.abs(g) + eps)
    return param - lr / (1 - beta1**t) * (m / u), {"step": t, "exp_avg": m, "exp_inf": u}


def radam_rule(param: Array, grad: Array, state: State, lr: float,
               betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 0.0, decoupled_weight_decay: bool = False,
               maximize: bool = False) -> tuple[Array, State]:
    """torch.optim.RAdam, with t the step (from 1):

        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²;   m̂ = m/(1 − β₁ᵗ)
        ρ_∞ = 2/(1 − β₂) − 1;   ρ_t = ρ_∞ − 2t β₂ᵗ/(1 − β₂ᵗ)
        ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
                  θ ← θ − η m̂ r_t √(1 − β₂ᵗ)/(√v + ε)
        else:     θ ← θ − η m̂
    """
    (beta1, beta2), t = betas, state.get("step", 0) + 1
    param, g = apply_weight_decay(param, grad, lr, weight_decay, maximize, decoupled_weight_decay)
    m, v = state.get("exp_avg", 0.0), state.get("exp_avg_sq", 0.0)
    m = m + (1 - beta1) * (g - m)                 # = β₁m + (1 − β₁)g, as torch computes it
    v = beta2 * v + (1 - beta2) * np.square(g)
    step = lr * (m / (1 - beta1**t))               # η m̂
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t > 5:
        r_t = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        step = step * ((1 - beta2**t) ** 0.5 / (np.sqrt(v) + eps)) * r_t
    return param - step, {"step": t, "exp_avg": m, "exp_avg_sq": v}


def apply_weight_decay(param: Array, grad: Array, lr: float, weight_decay: float,
                       maximize: bool, decoupled: bool) -> tuple[Array, Array]:
    """(θ, g) for the Adam family: g negated if ``maximize``; then with ``decoupled`` weight decay
    θ ← θ(1 − ηλ), otherwise g ← g + λθ (L2)."""
    g = -grad if maximize else grad
    if decoupled:
        return param * (1 - lr * weight_decay), g
    return param, g + weight_decay * param if weight_decay != 0 else g


def bfgs_inverse_rule(H: Array, s: Array, y: Array) -> Array:
    """The BFGS update of the inverse Hessian H from a step s and the gradient change y:

        ρ = 1/(yᵀs),   H⁺ = (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ

    ``bfgs.bfgs_update`` computes the same matrix in O(n²) by multiplying the product out.
    """
    rho = 1.0 / (y @ s)
    I = np.eye(s.size)
    return (I - rho * np.outer(s, y)) @ H @ (I - rho * np.outer(y, s)) + rho * np.outer(s, s)


def lbfgs_direction_rule(grad: Array, steps: Sequence[Array], grad_changes: Sequence[Array],
                         gamma: float) -> Array:
    """The L-BFGS direction d = −H g, with H built by BFGS updates from the pairs (s_i, y_i),
    oldest first, on top of H₀ = γI. ``lbfgs.two_loop_direction`` computes the same d in
    O(mn) without forming H."""
    H: Array = gamma * np.eye(grad.size)
    for s, y in zip(steps, grad_changes):
        H = bfgs_inverse_rule(H, s, y)
    return -H @ grad


def rprop_rule(param: Array, grad: Array, state: State, lr: float,
               etas: tuple[float, float] = (0.5, 1.2), step_sizes: tuple[float, float] = (1e-6, 50),
               maximize: bool = False) -> tuple[Array, State]:
    """torch.optim.Rprop, with η₋, η₊ = etas, Γmin, Γmax = step_sizes, g′ the previous step's
    gradient (0 at first) and Δ the step sizes (η at first), per coordinate:

        g·g′ > 0: Δ ← min(η₊Δ, Γmax);   g·g′ < 0: Δ ← max(η₋Δ, Γmin), g ← 0
        θ ← θ − sign(g)·Δ;   g′ ← g
    """
    g = -grad if maximize else grad
    previous = state.get("prev", np.zeros_like(param))
    agreement = np.sign(g * previous)
    factor = np.where(agreement > 0, etas[1], np.where(agreement < 0, etas[0], 1.0))
    step_size = np.clip(state.get("step_size", np.full_like(param, lr)) * factor, *step_sizes)
    g = np.where(factor == etas[0], 0.0, g)
    return param - np.sign(g) * step_size, {"step": state.get("step", 0) + 1, "prev": g,
                                            "step_size": step_size}


def lion_rule(param: Array, grad: Array, state: State, lr: float,
              betas: tuple[float, float] = (0.9, 0.99),
              weight_decay: float = 0.0) -> tuple[Array, State]:
    """Lion (Chen et al. 2023), as lion-pytorch, with λ = weight_decay:

        θ ← θ(1 − ηλ);   θ ← θ − η·sign(β₁m + (1 − β₁)g);   m ← β₂m + (1 − β₂)g
    """
    beta1, beta2 = betas
    m = state.get("exp_avg", np.zeros_like(param))
    param = param * (1 - lr * weight_decay)
    param = param - lr * np.sign(m * beta1 + grad * (1 - beta1))
    return param, {"exp_avg": m * beta2 + grad * (1 - beta2)}


def newton_schulz_rule(G: Array, steps: int = 5,
                       coefficients: tuple[float, float, float] = (3.4445, -4.7750, 2.0315),
                       eps: float = 1e-7) -> Array:
    """The Newton–Schulz iteration towards the polar factor UVᵀ of G = UΣVᵀ, as written:

        X₀ = G/max(‖G‖_F, eps);   X ← aX + b(XXᵀ)X + c(XXᵀ)²X   (``steps`` times)

    ``muon.newton_schulz`` computes the same map with the smaller Gram matrix (it transposes a
    tall G), which rounds differently.
    """
    a, b, c = coefficients
    X = G / max(float(np.linalg.norm(G)), eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + b * (A @ X) + c * (A @ (A @ X))
    return X
