"""Muon: momentum on matrix parameters, orthogonalized by a Newton–Schulz iteration."""
import math
from typing import Literal

import numpy as np

from descent._types import Array, Group, State
from descent.nn.module import Parameter
from descent.optim import arguments
from descent.optim.lerp import lerp
from descent.optim.optimizer import Optimizer, Params, Rate

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)   # Jordan et al. 2024, as torch's default
ADJUST_LR_FNS = (None, "original", "match_rms_adamw")
AdjustLrFn = Literal["original", "match_rms_adamw"] | None


def newton_schulz(G: Array, steps: int = 5,
                  coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
                  eps: float = 1e-7) -> Array:
    """Approximately orthogonalize G = UΣVᵀ, towards its polar factor UVᵀ.

    X₀ = G/max(‖G‖_F, eps) (all singular values in (0, 1]); then ``steps`` times, with A = XXᵀ,

        X ← aX + (bA + cA²)X,

    which maps each singular value σ to p(σ) = aσ + bσ³ + cσ⁵ and keeps the singular vectors.
    A wide orientation is used (G is transposed if it has more rows than columns, so A is the
    smaller Gram matrix). The default quintic coefficients make p rise steeply from 0 but do not
    converge to 1: iterated, p sends (0, 1] into a band of about [0.68, 1.13] around 1, so the
    result is not UVᵀ (in the spectral norm it stays about 0.3 away however many steps run), and
    after the default 5 steps singular values that started very small relative to ‖G‖_F may
    not have reached the band yet. (a, b, c) = (1.5, −0.5, 0) is the classical cubic
    iteration, which converges to UVᵀ. Runs in G's dtype.
    """
    a, b, c = coefficients
    transpose = G.shape[0] > G.shape[1]
    X = G.T if transpose else G
    X = X / max(float(np.linalg.norm(X)), eps)
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * (A @ A)
        X = a * X + B @ X
    return X.T if transpose else X


def adjusted_lr(lr: float, adjust_lr_fn: AdjustLrFn, shape: tuple[int, ...]) -> float:
    """torch's rate for an A×B matrix: ``"original"`` (or None) η·√max(1, A/B) (Jordan), or
    ``"match_rms_adamw"`` 0.2·η·√max(A, B) (Liu et al. 2025), which gives the update the root
    mean square of a typical AdamW update."""
    rows, cols = shape[:2]
    if adjust_lr_fn in (None, "original"):
        return lr * math.sqrt(max(1, rows / cols))
    return lr * 0.2 * math.sqrt(max(rows, cols))


class Muon(Optimizer):
    """torch.optim.Muon (Jordan et al. 2024), for 2-D parameters only. With g = ∇L(θ), μ = momentum
    and λ = weight_decay:

        B ← μB + (1 − μ)g                     (torch's form: an average, not a sum)
        M = (1 − μ)g + μB  (nesterov)   or   M = B
        O = NS(M)                             (``newton_schulz``, ``ns_steps`` iterations)
        θ ← θ(1 − ηλ) − η′·O,   η′ = ``adjusted_lr(η, adjust_lr_fn, θ.shape)``

    The update has (nearly) all singular values equal: every direction of the matrix moves by
    about the same amount, whatever the gradient's spectrum. Biases, embeddings and the output
    layer are not matrices of this kind: give them to another optimizer (AdamW, for example).

    torch runs the Newton–Schulz iteration in bfloat16 (about 3 significant digits), for speed
    on accelerators; the library runs it in the parameter's dtype, so a float64 run agrees with
    torch's only when torch's bfloat16 cast is removed (as the committed reference does).
    """

    def __init__(self, params: Params, lr: Rate = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS, eps: float = 1e-7,
                 ns_steps: int = 5, adjust_lr_fn: AdjustLrFn = None) -> None:
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=nesterov, ns_coefficients=ns_coefficients,
                                      eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))

    def _check_group(self, group: Group) -> None:
        for i, p in enumerate(group["params"]):
            if p.data.ndim != 2:
                raise ValueError(f"Muon only supports 2-D parameters (matrices); params[{i}] has "
                                 f"shape {p.data.shape}: give biases and other parameters to "
                                 "another optimizer")
        arguments.real("weight_decay", group["weight_decay"], low=0.0)
        arguments.real("momentum", group["momentum"], low=0.0)
        arguments.flag("nesterov", group["nesterov"])
        coefficients = arguments.sequence("ns_coefficients", group["ns_coefficients"], 3)
        for i, value in enumerate(coefficients):
            arguments.real(f"ns_coefficients[{i}]", value)
        arguments.real("eps", group["eps"], low=0.0)
        arguments.integer("ns_steps", group["ns_steps"], low=0, high=99)
        if group["adjust_lr_fn"] not in ADJUST_LR_FNS:
            raise ValueError(f"adjust_lr_fn must be one of {ADJUST_LR_FNS}, "
                             f"got {group['adjust_lr_fn']!r}")

    def _update(self, param: Parameter, grad: Array, state: State, group: Group,
                lr: float) -> None:
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(param.data)
        mu = group["momentum"]
        buf = lerp(state["momentum_buffer"], grad, 1 - mu, out=state["momentum_buffer"])
        update = lerp(grad, buf, mu) if group["nesterov"] else buf
        update = newton_schulz(update, group["ns_steps"], group["ns_coefficients"], group["eps"])
        param.data *= 1 - lr * group["weight_decay"]
        param.data += update * -adjusted_lr(lr, group["adjust_lr_fn"], param.data.shape)
