"""Newton's method: safe directions on indefinite Hessians, iteration count on Rosenbrock."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from descent import nn, optim, problems
from descent.optim.newton import newton_direction


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 6), damping=st.sampled_from([0.0, 0.1, 10.0]))
def test_direction_is_downhill_for_any_symmetric_hessian(seed, n, damping):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    H = (M + M.T) * rng.uniform(0.1, 100)
    g = rng.standard_normal(n)
    d, tau = newton_direction(H, g, damping)
    assert g @ d < 0
    assert tau >= damping
    np.testing.assert_allclose((H + tau * np.eye(n)) @ d, -g, rtol=1e-6, atol=1e-6 * np.abs(g).max())


def test_positive_definite_hessian_gives_the_plain_newton_step():
    H = np.array([[4.0, 1.0], [1.0, 3.0]])
    g = np.array([1.0, -2.0])
    d, tau = newton_direction(H, g)
    assert tau == 0.0
    np.testing.assert_allclose(d, -np.linalg.solve(H, g), rtol=1e-14)


def test_quadratic_is_solved_in_one_iteration():
    f = problems.quadratic(condition_number=1e4, dim=5)
    p = nn.Parameter(np.ones(5))
    opt = optim.Newton([p], hessian=f.hessian, max_iter=1)

    def closure():
        p.grad[...] = f.grad(p.data)
        return f(p.data)

    opt.step(closure)
    np.testing.assert_allclose(p.data, 0.0, atol=1e-12)


def test_saddle_start_is_not_followed_uphill():
    """At (1, 1e-3) the saddle's Hessian is indefinite; the pure Newton step would head to the
    saddle point (0, 0). The modified step goes downhill, and the loss never rises."""
    f = problems.saddle()
    p = nn.Parameter(f.x0)
    losses = []

    def closure():
        p.grad[...] = f.grad(p.data)
        return f(p.data)

    opt = optim.Newton([p], hessian=f.hessian, max_iter=1)
    for _ in range(30):
        losses.append(opt.step(closure))
    assert np.all(np.diff(losses) <= 0)
    np.testing.assert_allclose(p.data, [0.0, 1.0], atol=1e-8)


def test_rosenbrock_2d_in_at_most_25_iterations():
    f = problems.rosenbrock()
    p = nn.Parameter(f.x0)
    opt = optim.Newton([p], hessian=f.hessian, max_iter=25, tolerance_grad=1e-10)

    def closure():
        p.grad[...] = f.grad(p.data)
        return f(p.data)

    opt.step(closure)
    assert np.linalg.norm(f.grad(p.data)) < 1e-8
    assert opt.state[p]["n_iter"] <= 25


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(damping=-1.0), ValueError, "damping"), (dict(max_iter=0), ValueError, "max_iter"),
    (dict(tolerance_grad=-1.0), ValueError, "tolerance_grad"),
    (dict(line_search_fn="exact"), ValueError, "line_search_fn"),
    (dict(hessian=np.eye(2)), TypeError, "hessian"),
])
def test_bad_arguments_are_named(kwargs, error, name):
    kwargs = {"hessian": problems.rosenbrock().hessian, **kwargs}
    with pytest.raises(error, match=rf"^{re.escape(name)}(?!\w)"):
        optim.Newton([nn.Parameter(np.zeros(2))], **kwargs)


@pytest.mark.parametrize("hessian, error", [
    (lambda x: np.eye(3), ValueError), (lambda x: np.full((2, 2), np.nan), FloatingPointError)])
def test_bad_hessian_is_a_named_error(hessian, error):
    f = problems.rosenbrock()
    p = nn.Parameter(f.x0)

    def closure():
        p.grad[...] = f.grad(p.data)
        return f(p.data)

    with pytest.raises(error, match="hessian"):
        optim.Newton([p], hessian=hessian).step(closure)


@pytest.mark.parametrize("lr, damping", [(1.0, 0.0), (0.5, 0.0), (1.0, 2.0)])
def test_without_a_line_search_a_step_is_eta_times_the_damped_newton_step(lr, damping):
    """line_search_fn=None: θ ← θ − η (H + damping·I)⁻¹ ∇L (H positive definite: the shift is the damping);
    with η = 1 and no damping a quadratic is solved in one iteration."""
    A = np.array([[4.0, 1.0], [1.0, 2.0]])
    p = nn.Parameter(np.array([1.0, -3.0]))

    def closure():
        p.grad[...] = A @ p.data
        return 0.5 * float(p.data @ A @ p.data)

    opt = optim.Newton([p], hessian=lambda x: A, lr=lr, damping=damping, line_search_fn=None,
                       max_iter=1)
    opt.step(closure)
    x0 = np.array([1.0, -3.0])
    np.testing.assert_allclose(p.data, x0 - lr * np.linalg.solve(A + damping * np.eye(2), A @ x0),
                               rtol=1e-12, atol=1e-15)
    assert opt.state[p]["shift"] == damping and opt.state[p]["n_iter"] == 1 and opt.steps_taken == 1
