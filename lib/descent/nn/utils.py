"""Gradient clipping, as torch.nn.utils."""
from collections.abc import Iterable

import numpy as np

from descent._checks import check_real
from descent._types import Array
from descent.nn.module import Parameter


def _grads(parameters: Parameter | Iterable[Parameter]) -> list[Array]:
    params = [parameters] if isinstance(parameters, Parameter) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Parameter | Iterable[Parameter], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    total = ‖(‖g_1‖_p, …, ‖g_k‖_p)‖_p (the norm of all gradients joined into one vector);
    g_i ← g_i · min(1, max_norm/(total + 1e-6)).
    Returns the total norm before clipping, as torch does.
    """
    check_real("max_norm", max_norm, low=0.0)
    norm_type = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return 0.0
    norms = [np.linalg.norm(g.ravel(), norm_type) for g in grads]
    total = float(np.linalg.norm(np.array(norms), norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total}")
    coef = np.minimum(1.0, max_norm / (total + 1e-6))  # NaN propagates into the gradients, as in torch
    for g in grads:
        g *= coef
    return total


def clip_grad_value_(parameters: Parameter | Iterable[Parameter], clip_value: float) -> None:
    """Clip every gradient element into [−clip_value, clip_value], in place."""
    check_real("clip_value", clip_value, low=0.0)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
