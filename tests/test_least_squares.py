"""Gauss-Newton and Levenberg-Marquardt on curve fitting; LM against scipy's MINPACK."""
import re

import numpy as np
import pytest
from scipy.optimize import least_squares

from descent import nn, optim

T = np.linspace(0.0, 4.0, 40)
TRUE = np.array([2.5, 1.3, 0.5])


def model(theta):
    """y = a·exp(−b t) + c."""
    return theta[0] * np.exp(-theta[1] * T) + theta[2]


Y = model(TRUE) + 0.05 * np.random.default_rng(0).standard_normal(T.size)


def residuals(theta):
    return model(theta) - Y


def jacobian(theta):
    e = np.exp(-theta[1] * T)
    return np.stack([e, -theta[0] * T * e, np.ones_like(T)], axis=1)


def rosenbrock_residuals(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])


def rosenbrock_jacobian(x):
    return np.array([[-20 * x[0], 10.0], [-1.0, 0.0]])


SOLUTION = least_squares(residuals, np.array([1.0, 0.1, 0.0]), jac=jacobian, method="lm",
                         xtol=1e-15, ftol=1e-15, gtol=1e-15).x
STARTS = [[1.0, 0.1, 0.0], [5.0, 5.0, 5.0], [0.1, 3.0, -1.0], [1.0, 1.0, 1.0]]
METHODS = {
    "GaussNewton": lambda p, r, J: optim.GaussNewton(p, r, J, max_iter=200, tolerance_grad=1e-12),
    "LevenbergMarquardt": lambda p, r, J: optim.LevenbergMarquardt(p, r, J, max_iter=200,
                                                                   tolerance_grad=1e-12),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("x0", STARTS)
def test_curve_fit_converges_to_the_least_squares_solution(method, x0):
    p = nn.Parameter(np.array(x0))
    METHODS[method]([p], residuals, jacobian).step()
    np.testing.assert_allclose(p.data, SOLUTION, rtol=1e-7)


@pytest.mark.parametrize("method", METHODS)
def test_rosenbrock_as_least_squares(method):
    p = nn.Parameter(np.array([-1.2, 1.0]))
    opt = METHODS[method]([p], rosenbrock_residuals, rosenbrock_jacobian)
    opt.step()
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-10)


def test_step_returns_the_closure_loss_or_half_the_squared_residual():
    x0 = np.array(STARTS[0])
    p = nn.Parameter(x0)
    opt = optim.GaussNewton([p], residuals, jacobian, max_iter=1)
    assert opt.step() == pytest.approx(0.5 * np.sum(residuals(x0) ** 2))
    assert opt.step(lambda: 123.0) == 123.0


def jacobian_evaluations_to_solution(run):
    """Jacobian evaluations (one per accepted step, plus the start) until within 1e-8 of the
    solution: the same measure for scipy and for us."""
    points = []

    def recorded(theta):
        points.append(np.array(theta, dtype=float))
        return jacobian(theta)

    run(recorded)
    return next(i + 1 for i, x in enumerate(points)
                if np.max(np.abs(x - SOLUTION)) <= 1e-8 * np.max(np.abs(SOLUTION)))


def test_levenberg_marquardt_needs_no_more_iterations_than_minpack():
    x0 = np.array(STARTS[0])
    ours = jacobian_evaluations_to_solution(
        lambda jac: optim.LevenbergMarquardt([nn.Parameter(x0)], residuals, jac, max_iter=200,
                                             tolerance_grad=1e-13).step())
    theirs = jacobian_evaluations_to_solution(
        lambda jac: least_squares(residuals, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15,
                                  gtol=1e-15))
    assert ours <= theirs


def test_levenberg_marquardt_rejects_trial_steps_with_infinite_residuals():
    """Residuals that are infinite for b < 1.2 (the solution has b ≈ 1.34): trial steps that
    land there are rejected (more damping), never taken."""
    def guarded(theta):
        return residuals(theta) if theta[1] >= 1.2 else np.full(T.size, np.inf)

    p = nn.Parameter(np.array([1.0, 3.0, 1.0]))
    opt = optim.LevenbergMarquardt([p], guarded, jacobian, max_iter=200, tolerance_grad=1e-12)
    opt.step()
    np.testing.assert_allclose(p.data, SOLUTION, rtol=1e-7)
    assert opt.state[p]["residual_evals"] > opt.state[p]["jacobian_evals"]


@pytest.mark.parametrize("method", METHODS)
def test_non_finite_residuals_are_a_named_error(method):
    opt = METHODS[method]([nn.Parameter(np.zeros(3))], lambda x: np.full(4, np.nan), jacobian)
    with pytest.raises(FloatingPointError, match="residuals"):
        opt.step()


@pytest.mark.parametrize("method", METHODS)
def test_bad_jacobian_is_a_named_error(method):
    opt = METHODS[method]([nn.Parameter(np.ones(3))], residuals, lambda x: np.ones((3, 3)))
    with pytest.raises(ValueError, match="jacobian"):
        opt.step()


@pytest.mark.parametrize("cls, kwargs, error, name", [
    (optim.LevenbergMarquardt, dict(damping=0.0), ValueError, "damping"),
    (optim.LevenbergMarquardt, dict(max_iter=0), ValueError, "max_iter"),
    (optim.GaussNewton, dict(tolerance_change=-1.0), ValueError, "tolerance_change"),
    (optim.GaussNewton, dict(line_search_fn="strong_wolfe"), ValueError, "line_search_fn"),
    (optim.GaussNewton, dict(residuals="r"), TypeError, "residuals"),
])
def test_bad_arguments_are_named(cls, kwargs, error, name):
    kwargs = {"residuals": residuals, "jacobian": jacobian, **kwargs}
    with pytest.raises(error, match=rf"^{re.escape(name)}(?!\w)"):
        cls([nn.Parameter(np.zeros(3))], **kwargs)


def marquardt_by_the_book(x, r_fn, J_fn, damping, iterations):
    """Madsen, Nielsen & Tingleff (2004), Algorithm 3.16, written out with the normal equations
    (the library solves the stacked least-squares problem instead), with the scaling D the running
    maximum of diag(JᵀJ). Returns θ, μ and ν after each iteration."""
    r, J = r_fn(x), J_fn(x)
    A, g = J.T @ J, J.T @ r
    mu, nu, scale = damping * np.max(np.diag(A)), 2.0, np.zeros(x.size)
    trace = []
    for _ in range(iterations):
        scale = np.maximum(scale, np.diag(A))
        D = np.where(scale > 0, scale, 1.0)
        h = np.linalg.solve(A + mu * np.diag(D), -g)
        trial = r_fn(x + h)
        rho = (r @ r - trial @ trial) / (h @ (mu * D * h - g))
        if rho > 0:
            x, r = x + h, trial
            J = J_fn(x)
            A, g = J.T @ J, J.T @ r
            mu, nu = mu * max(1 / 3, 1 - (2 * rho - 1) ** 3), 2.0
        else:
            mu, nu = mu * nu, 2 * nu
        trace.append((x, mu, nu))
    return trace


@pytest.mark.parametrize("x0, r_fn, J_fn, damping", [
    ([5.0, 5.0, 5.0], residuals, jacobian, 1e-3),
    ([0.1, 3.0, -1.0], residuals, jacobian, 10.0),
    ([-1.2, 1.0], rosenbrock_residuals, rosenbrock_jacobian, 1e-3),
])
def test_levenberg_marquardt_follows_the_algorithm_iteration_by_iteration(x0, r_fn, J_fn, damping):
    """One iteration per step, so the damping μ, its growth factor ν and θ can be compared after
    each; the run includes rejected trials (μ grows by ν) as well as accepted ones."""
    p = nn.Parameter(np.array(x0))
    opt = optim.LevenbergMarquardt([p], r_fn, J_fn, damping=damping, max_iter=1,
                                   tolerance_grad=0.0, tolerance_change=0.0)
    trace = marquardt_by_the_book(np.array(x0), r_fn, J_fn, damping, 12)
    for k, (x, mu, nu) in enumerate(trace, start=1):
        opt.step()
        state = opt.state[p]
        np.testing.assert_allclose(p.data, x, rtol=1e-8, atol=1e-10)
        assert state["mu"] == pytest.approx(mu, rel=1e-6) and state["nu"] == nu
        assert state["n_iter"] == k and opt.steps_taken == k
    accepted = sum(nu == 2 for _, _, nu in trace)
    assert state["jacobian_evals"] == 12 + accepted      # one at each step's start, one per acceptance
    assert state["residual_evals"] == 2 * 12             # one at each step's start, one per trial


def test_gauss_newton_counts_and_steps_by_the_book():
    """Without a line search θ ← θ + η d with J d = −r: the plain iteration, evaluated here with
    the normal equations; the counts are one residual and one Jacobian per iteration."""
    x = np.array([1.0, 0.1, 0.0])
    p = nn.Parameter(x.copy())
    opt = optim.GaussNewton([p], residuals, jacobian, lr=0.5, max_iter=4, line_search_fn=None,
                            tolerance_grad=0.0, tolerance_change=0.0)
    opt.step()
    for _ in range(4):
        J, r = jacobian(x), residuals(x)
        x = x + 0.5 * np.linalg.solve(J.T @ J, -J.T @ r)
    np.testing.assert_allclose(p.data, x, rtol=1e-8)
    state = opt.state[p]
    assert state["n_iter"] == 4 and state["jacobian_evals"] == 5 and state["residual_evals"] == 5
    opt.step()
    assert opt.steps_taken == 2 and state["n_iter"] == 8


@pytest.mark.parametrize("cls", [optim.GaussNewton, optim.LevenbergMarquardt])
def test_a_non_finite_jacobian_is_named(cls):
    def bad_jacobian(theta):
        return np.full((T.size, 3), np.nan)
    with pytest.raises(FloatingPointError, match="^jacobian returned non-finite entries"):
        cls([nn.Parameter(np.ones(3))], residuals, bad_jacobian).step()


def test_the_reference_runs_reject_trials_too():
    nus = [nu for _, _, nu in marquardt_by_the_book(np.array([5.0, 5.0, 5.0]), residuals, jacobian,
                                                     1e-3, 12)]
    assert 2.0 in nus and max(nus) > 2.0
