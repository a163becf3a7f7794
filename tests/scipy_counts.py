"""scipy.optimize's evaluation counts, taken the way ``train.evaluations_to_tolerance`` takes ours."""
import numpy as np
from scipy import optimize


def scipy_evaluations(f, method, tolerance=1e-8, **minimize_kwargs):
    """Calls of f (value and gradient together) up to the first with ‖∇f‖₂ < tolerance, for
    ``scipy.optimize.minimize(method=...)`` from ``f.x0``; None if it never gets there."""
    norms = []

    def fun(x):
        g = f.grad(x)
        norms.append(np.linalg.norm(g))
        return f(x), g

    optimize.minimize(fun, f.x0, jac=True, method=method, **minimize_kwargs)
    return next((i + 1 for i, v in enumerate(norms) if v < tolerance), None)
