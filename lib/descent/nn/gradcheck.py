"""Gradient checking: compare an analytic gradient with central finite differences.

Central differences, ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h, have error O(h²) from
truncation and O(ε_machine/h) from rounding; in float64 with h = 1e-6 both are about 1e-10 to
1e-12 relative, which is why checks run in float64.
"""
from collections.abc import Callable
from typing import SupportsFloat

import numpy as np

from descent._random import as_generator
from descent._types import Array, ArrayLike, Seed
from descent.nn.module import Module


def numerical_gradient(f: Callable[[Array], SupportsFloat], x: ArrayLike,
                       h: float = 1e-6) -> Array:
    """Central-difference gradient of the scalar function f at the array x.

    Each element of x is moved to x_i ± h in place (so f may read x through a view, as a
    module reads its parameters) and restored afterwards.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a floating array, got dtype {x.dtype}")
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        f_plus = float(f(x))
        x[index] = old - h
        f_minus = float(f(x))
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖): 0 for equal arrays, about 1 for unrelated ones (0 if both are 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes {a.shape} and {b.shape} differ")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0.0 else float(np.linalg.norm(a - b) / scale)


def gradcheck(f: Callable[[Array], tuple[SupportsFloat, ArrayLike]], x: ArrayLike,
              h: float = 1e-6) -> float:
    """Relative error between the analytic and the numerical gradient of f at x.

    ``f(x)`` returns ``(value, gradient)``. Values below about 1e-7 in float64 mean the analytic
    gradient is right; 1e-2 or more means it is wrong.

    >>> gradcheck(lambda x: ((x**2).sum(), 2 * x), np.array([1.0, -2.0])) < 1e-8
    True
    """
    x = np.array(x, dtype=np.float64)
    _, analytic = f(x.copy())
    numeric = numerical_gradient(lambda z: f(z)[0], x, h)
    return relative_error(analytic, numeric)


def gradcheck_module(module: Module, x: ArrayLike, h: float = 1e-6,
                     rng: Seed = None) -> dict[str, float]:
    """Check a module's backward against finite differences, for the input and every parameter.

    Uses the scalar L = Σ r ⊙ module(x) with a fixed random r, so every output element matters.
    Returns ``{"input": err, "param0": err, ...}`` with relative errors.

    Draw r from a different ``rng`` than x: the same seed gives r = x, a degenerate probe for
    layers such as BatchNorm1d. The module is called many times, so its forward pass must be
    deterministic (Dropout only in evaluation mode). The module's parameters must be float64:
    in float32 the differences themselves have relative errors near 1e-2, so the check could
    not tell a right gradient from a wrong one.
    """
    for i, p in enumerate(module.parameters()):
        if p.data.dtype != np.float64:
            raise TypeError(f"gradcheck_module needs float64 parameters, got {p.data.dtype} for "
                            f"parameter {i}: in lower precision central differences err by "
                            "about 1e-2 even for a right gradient; build the module with "
                            "dtype=np.float64 to check it")
    rng = as_generator(rng)
    x = np.array(x, dtype=np.float64)
    probe = rng.standard_normal(np.shape(module(x.copy())))

    def loss(z: Array) -> float:
        return float((probe * module(z)).sum())

    module.zero_grad()
    module(x.copy())
    grad_x = module.backward(probe)
    errors = {"input": relative_error(grad_x, numerical_gradient(loss, x.copy(), h))}
    for i, p in enumerate(module.parameters()):
        analytic = np.zeros_like(p.data) if p.grad is None else p.grad
        errors[f"param{i}"] = relative_error(
            analytic, numerical_gradient(lambda _: loss(x.copy()), p.data, h))
    return errors
