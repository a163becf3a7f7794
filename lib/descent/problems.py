"""Test problems with exact gradients and Hessians, a standard start and bounds for plots.

Each is a ``Problem``: ``f(x)`` is the value, ``f.grad(x)`` the gradient, ``f.hessian(x)`` the
Hessian, for x of shape (dim,). ``f(x)`` also takes x of shape (dim, ...) — a stack of grids —
and returns values of shape (...), so a contour plot is one call.
"""
from collections.abc import Callable

import numpy as np

from descent._checks import check_int, check_real
from descent._types import Array, ArrayLike

Bounds = tuple[tuple[float, float], tuple[float, float]]  # ((xmin, xmax), (ymin, ymax))
Value = Callable[[Array], float | Array]  # x of shape (dim, ...) -> f(x) of shape (...)
Derivative = Callable[[Array], Array]  # x of shape (dim,) -> ∇f(x) or ∇²f(x)


class Problem:
    """A smooth function with its derivatives.

    Attributes: ``name``, ``dim``, ``x0`` (a standard start), ``x_star`` (a minimizer),
    ``f_star`` (the minimum), ``bounds`` ((xmin, xmax), (ymin, ymax)) for 2-D plots.
    Some problems add their own: ``quadratic`` its matrix ``A`` and extreme eigenvalues ``L``
    and ``mu``; ``himmelblau`` its four ``minima``.
    """

    A: np.ndarray
    L: float
    mu: float
    minima: np.ndarray

    def __init__(self, name: str, value: Value, grad: Derivative, hessian: Derivative,
                 x0: ArrayLike, x_star: ArrayLike, bounds: Bounds) -> None:
        self.name = name
        self._value, self._grad, self._hessian = value, grad, hessian
        self.x0 = np.asarray(x0, dtype=np.float64)
        self.x_star = np.asarray(x_star, dtype=np.float64)
        self.dim = self.x0.size
        self.bounds = bounds
        self.f_star = float(self._value(self.x_star))

    def _point(self, x: ArrayLike, name: str) -> Array:
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.dim,):
            raise ValueError(f"{self.name}.{name} expects x of shape ({self.dim},), got {x.shape}")
        return x

    def __call__(self, x: ArrayLike) -> float | Array:
        x = np.asarray(x, dtype=np.float64)
        if x.shape[:1] != (self.dim,):
            raise ValueError(f"{self.name} expects x of shape ({self.dim}, ...), got {x.shape}")
        value = self._value(x)
        return float(value) if np.ndim(value) == 0 else value

    def grad(self, x: ArrayLike) -> Array:
        """∇f(x), shape (dim,)."""
        return self._grad(self._point(x, "grad"))

    def hessian(self, x: ArrayLike) -> Array:
        """∇²f(x), shape (dim, dim)."""
        return self._hessian(self._point(x, "hessian"))

    def hessian_vector(self, x: ArrayLike, v: ArrayLike) -> Array:
        """∇²f(x) v, shape (dim,)."""
        return self.hessian(x) @ np.asarray(v, dtype=np.float64)

    def __repr__(self) -> str:
        return f"<Problem {self.name}, dim={self.dim}>"


def quadratic(condition_number: float | None = None, dim: int = 2, angle: float = 0.0) -> Problem:
    """f(x) = ½ xᵀAx, with the eigenvalues of A spread geometrically from μ = 1 to L = κ.

    κ = ``condition_number`` defaults to 10 (to 1 for dim = 1, where A = [[1]]). ``angle`` (radians, 2-D only) rotates the eigenvectors away from the axes. Minimum 0 at 0.
    Attributes ``A``, ``L`` (largest eigenvalue) and ``mu`` (smallest) are exposed for analysis:
    gradient descent is stable for η < 2/L and contracts by max|1 − ηλ| per step.
    """
    dim = check_int("dim", dim, low=1)
    if condition_number is None:
        condition_number = 10.0 if dim > 1 else 1.0
    kappa = check_real("condition_number", condition_number, low=1.0)
    if dim == 1 and kappa != 1.0:
        raise ValueError(f"a 1-D quadratic has condition number 1, got condition_number={kappa!r}")
    eigenvalues = np.geomspace(1.0, kappa, dim)
    basis = np.eye(dim)
    if angle:
        if dim != 2:
            raise ValueError(f"angle is only defined for dim=2, got dim={dim}")
        c, s = np.cos(angle), np.sin(angle)
        basis = np.array([[c, -s], [s, c]])
    A = basis @ np.diag(eigenvalues) @ basis.T

    def value(x: Array) -> float | Array:
        return 0.5 * np.einsum("i...,ij,j...->...", x, A, x)

    x0 = np.tile([-1.5, 1.0], dim)[:dim] if dim > 1 else np.array([1.5])
    span = 2.0
    problem = Problem(f"quadratic(κ={kappa:g})", value, lambda x: A @ x, lambda x: A.copy(),
                      x0, np.zeros(dim), ((-span, span), (-span, span)))
    problem.A, problem.L, problem.mu = A, float(eigenvalues[-1]), float(eigenvalues[0])
    return problem


def rosenbrock(dim: int = 2, a: float = 1.0, b: float = 100.0) -> Problem:
    """f(x) = Σ_{i<n} b(x_{i+1} − x_i²)² + (a − x_i)²  (Rosenbrock 1960).

    Minimum 0 at (a, a², …) — all ones for a = 1; start (−1.2, 1, −1.2, 1, …).
    """
    dim = check_int("dim", dim, low=2)

    def value(x: Array) -> float | Array:
        return np.sum(b * (x[1:] - x[:-1] ** 2) ** 2 + (a - x[:-1]) ** 2, axis=0)

    def grad(x: Array) -> Array:
        g = np.zeros_like(x)
        inner = x[1:] - x[:-1] ** 2
        g[:-1] = -4 * b * x[:-1] * inner - 2 * (a - x[:-1])
        g[1:] += 2 * b * inner
        return g

    def hessian(x: Array) -> Array:
        H = np.zeros((dim, dim))
        diag = np.zeros(dim)
        diag[:-1] = 12 * b * x[:-1] ** 2 - 4 * b * x[1:] + 2
        diag[1:] += 2 * b
        off = -4 * b * x[:-1]
        H[np.arange(dim), np.arange(dim)] = diag
        H[np.arange(dim - 1), np.arange(1, dim)] = off
        H[np.arange(1, dim), np.arange(dim - 1)] = off
        return H

    if dim == 2:
        x_star = np.array([a, a**2])
    elif a == 1.0:
        x_star = np.ones(dim)
    else:
        raise ValueError(f"rosenbrock with dim > 2 has a known minimizer only for a = 1, got a={a!r}")
    problem = Problem("rosenbrock" if dim == 2 else f"rosenbrock({dim})", value, grad, hessian,
                      np.tile([-1.2, 1.0], dim)[:dim], x_star, ((-2.0, 2.0), (-1.0, 3.0)))

    def hessian_vector(x: ArrayLike, v: ArrayLike) -> Array:
        x, v = problem._point(x, "hessian_vector"), np.asarray(v, dtype=np.float64)
        hv = np.zeros(dim)
        diag = np.zeros(dim)
        diag[:-1] = 12 * b * x[:-1] ** 2 - 4 * b * x[1:] + 2
        diag[1:] += 2 * b
        off = -4 * b * x[:-1]
        hv += diag * v
        hv[:-1] += off * v[1:]
        hv[1:] += off * v[:-1]
        return hv

    problem.hessian_vector = hessian_vector  # type: ignore[method-assign]  # O(n), not H @ v
    return problem


def beale() -> Problem:
    """f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)².  Minimum 0 at (3, 0.5)."""
    c = np.array([1.5, 2.25, 2.625])

    def terms(x: Array) -> list[Array]:
        return [(c[k] - x[0] + x[0] * x[1] ** (k + 1)) for k in range(3)]

    def value(x: Array) -> float | Array:
        return sum(t**2 for t in terms(x))

    def grad(x: Array) -> Array:
        t = terms(x)
        gx = sum(2 * t[k] * (x[1] ** (k + 1) - 1) for k in range(3))
        gy = sum(2 * t[k] * x[0] * (k + 1) * x[1] ** k for k in range(3))
        return np.array([gx, gy])

    def hessian(x: Array) -> Array:
        t = terms(x)
        hxx = hxy = hyy = 0.0
        for k in range(3):
            dx = x[1] ** (k + 1) - 1
            dy = x[0] * (k + 1) * x[1] ** k
            hxx += 2 * dx**2
            hxy += 2 * dx * dy + 2 * t[k] * (k + 1) * x[1] ** k
            hyy += 2 * dy**2 + (2 * t[k] * x[0] * (k + 1) * k * x[1] ** (k - 1) if k else 0.0)
        return np.array([[hxx, hxy], [hxy, hyy]])

    return Problem("beale", value, grad, hessian, [1.0, 1.5], [3.0, 0.5],
                   ((-4.5, 4.5), (-4.5, 4.5)))


def himmelblau() -> Problem:
    """f(x, y) = (x² + y − 11)² + (x + y² − 7)².  Four minima with value 0; ``x_star`` is (3, 2),
    ``minima`` lists all four."""

    def value(x: Array) -> float | Array:
        return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2

    def grad(x: Array) -> Array:
        a, b = x[0] ** 2 + x[1] - 11, x[0] + x[1] ** 2 - 7
        return np.array([4 * a * x[0] + 2 * b, 2 * a + 4 * b * x[1]])

    def hessian(x: Array) -> Array:
        a, b = x[0] ** 2 + x[1] - 11, x[0] + x[1] ** 2 - 7
        hxy = 4 * x[0] + 4 * x[1]
        return np.array([[4 * a + 8 * x[0] ** 2 + 2, hxy], [hxy, 2 + 4 * b + 8 * x[1] ** 2]])

    problem = Problem("himmelblau", value, grad, hessian, [0.0, 0.0], [3.0, 2.0],
                      ((-5.0, 5.0), (-5.0, 5.0)))
    problem.minima = np.array([[3.0, 2.0], [-2.805118, 3.131312],
                               [-3.779310, -3.283186], [3.584428, -1.848126]])
    return problem


def saddle() -> Problem:
    """f(x, y) = x² + y⁴/4 − y²/2: a saddle point at the origin, minima −1/4 at (0, ±1).

    The start (1, 1e-3) lies almost on the saddle's stable direction, so plain gradient descent
    crawls past the saddle before it escapes towards (0, 1).
    """

    def value(x: Array) -> float | Array:
        return x[0] ** 2 + x[1] ** 4 / 4 - x[1] ** 2 / 2

    def grad(x: Array) -> Array:
        return np.array([2 * x[0], x[1] ** 3 - x[1]])

    def hessian(x: Array) -> Array:
        return np.array([[2.0, 0.0], [0.0, 3 * x[1] ** 2 - 1]])

    return Problem("saddle", value, grad, hessian, [1.0, 1e-3], [0.0, 1.0],
                   ((-1.5, 1.5), (-1.5, 1.5)))
