"""Line searches: the conditions they promise hold on random smooth functions."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from descent import nn, optim, problems
from descent.optim import line_search


def random_smooth_function(seed, dim):
    """f(x) = ½xᵀAx + bᵀx + a Σ sin(W x) with A positive definite and a small: smooth, bounded
    below, with many inflections along any line."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((dim, dim))
    A = M @ M.T / dim + 0.1 * np.eye(dim)
    b = rng.standard_normal(dim)
    W = 2 * rng.standard_normal((3, dim))
    amplitude = rng.uniform(0, 0.5)

    def value(x):
        return 0.5 * x @ A @ x + b @ x + amplitude * np.sum(np.sin(W @ x))

    def grad(x):
        return A @ x + b + amplitude * W.T @ np.cos(W @ x)

    x = rng.standard_normal(dim) * 2
    return value, grad, x


def along(value, grad, x, d):
    return lambda t: (value(x + t * d), grad(x + t * d))


searches = st.sampled_from(["armijo", "strong_wolfe", "strong_wolfe_torch"])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), dim=st.integers(1, 6), step=st.floats(1e-3, 1e2),
       c2=st.floats(0.1, 0.9), name=searches, newton_like=st.booleans())
def test_returned_step_satisfies_the_conditions(seed, dim, step, c2, name, newton_like):
    value, grad, x = random_smooth_function(seed, dim)
    g = grad(x)
    d = -g if not newton_like else -np.linalg.solve(np.eye(dim) + np.outer(g, g), g)
    f0, slope = value(x), g @ d
    c1 = 1e-4
    search = getattr(line_search, name)
    kwargs = {} if name == "armijo" else dict(c2=c2)
    result = search(along(value, grad, x, d), f0, g, d, step, c1=c1, max_evals=60, **kwargs)
    t = result.step
    # the returned loss and gradient are those at θ + t d
    assert result.loss == pytest.approx(value(x + t * d), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(result.grad, grad(x + t * d), rtol=1e-12, atol=1e-12)
    assert result.loss <= f0  # never uphill
    assert result.success
    assert t > 0
    assert result.loss <= f0 + c1 * t * slope
    if name != "armijo":
        assert abs(result.grad @ d) <= c2 * abs(slope) + 1e-12


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), step=st.floats(1e-3, 1e2))
def test_armijo_steps_are_backtracked_from_the_first_trial(seed, step):
    value, grad, x = random_smooth_function(seed, 3)
    g = grad(x)
    result = line_search.armijo(along(value, grad, x, -g), value(x), g, -g, step, shrink=0.5)
    assert result.step == pytest.approx(step * 0.5 ** (result.evals - 1), rel=1e-12)


def test_cubic_minimizer_is_exact_on_a_cubic():
    def p(t):
        return (t - 1.0) ** 3 / 3 - 2.0 * (t - 1.0) ** 2 + 5.0

    def dp(t):
        return (t - 1.0) ** 2 - 4.0 * (t - 1.0)

    # local minimizer of p: t − 1 = 4
    assert line_search.cubic_minimizer(2.0, p(2.0), dp(2.0), 7.0, p(7.0), dp(7.0)) == \
        pytest.approx(5.0, rel=1e-12)
    # clipped to the bounds
    assert line_search.cubic_minimizer(2.0, p(2.0), dp(2.0), 7.0, p(7.0), dp(7.0),
                                       bounds=(2.0, 4.0)) == 4.0


@pytest.mark.parametrize("name", ["armijo", "strong_wolfe"])
def test_non_finite_trials_count_as_too_long(name):
    f = problems.rosenbrock()
    x = f.x0
    g = f.grad(x)

    def func(t):
        return (np.inf, g) if t > 1e-3 else (f(x - t * g), f.grad(x - t * g))

    result = getattr(line_search, name)(func, f(x), g, -g, 1.0, max_evals=40)
    assert 0 < result.step <= 1e-3 and result.loss < f(x)


@pytest.mark.parametrize("name", ["armijo", "strong_wolfe"])
def test_bad_arguments_are_named(name):
    f = problems.quadratic()
    x, g = f.x0, f.grad(f.x0)
    search = getattr(line_search, name)
    func = along(f, f.grad, x, -g)
    with pytest.raises(ValueError, match="descent direction"):
        search(func, f(x), g, g)
    with pytest.raises(ValueError, match="^c1 "):
        search(func, f(x), g, -g, c1=1.5)
    with pytest.raises(ValueError, match="^step "):
        search(func, f(x), g, -g, step=0.0)
    with pytest.raises(ValueError, match="^max_evals "):
        search(func, f(x), g, -g, max_evals=0)
    with pytest.raises(FloatingPointError, match="loss"):
        search(func, float("nan"), g, -g)


def test_strong_wolfe_refuses_c2_below_c1():
    f = problems.quadratic()
    g = f.grad(f.x0)
    with pytest.raises(ValueError, match="^c2 "):
        line_search.strong_wolfe(along(f, f.grad, f.x0, -g), f(f.x0), g, -g, c1=0.5, c2=0.1)


def test_failed_armijo_stays_put():
    f = problems.quadratic()
    x, g = f.x0, f.grad(f.x0)
    result = line_search.armijo(lambda t: (np.nan, g), f(x), g, -g, max_evals=5)
    assert not result.success and result.step == 0.0 and result.loss == f(x) and result.evals == 5


# --------------------------------------------------------------------------- edge cases

def test_strong_wolfe_torch_makes_its_first_trial_even_with_a_negative_budget():
    f = problems.rosenbrock()
    x = f.x0
    g = f.grad(x)
    calls = []

    def func(t):
        calls.append(t)
        return f(x - t * g), f.grad(x - t * g)

    result = line_search.strong_wolfe_torch(func, f(x), g, -g, 1e-3, max_evals=-1)
    assert calls == [1e-3] and result.evals == 1
    assert result.step == 1e-3 and result.loss == f(x - 1e-3 * g)


def test_a_nan_loss_inside_an_lbfgs_step_is_a_named_floating_point_error():
    f = problems.rosenbrock()
    p = nn.Parameter(f.x0)
    calls = [0]

    def closure():
        calls[0] += 1
        if calls[0] == 3:                  # the second trial of the first line search
            p.grad = np.zeros(2)           # a finite gradient that satisfies the curvature test
            return float("nan")
        p.grad = f.grad(p.data)
        return f(p.data)

    opt = optim.LBFGS([p], line_search_fn="strong_wolfe")
    with pytest.raises(FloatingPointError,
                       match=r"LBFGS step 1, iteration 1: the loss is NaN at line-search trial 2 "
                             r"\(step length t=0.00081"):
        opt.step(closure)


@pytest.mark.parametrize("kwargs, name", [
    (dict(c1=0.0), "c1"), (dict(c1=1.0), "c1"), (dict(c1=-0.1), "c1"), (dict(c1=1.5), "c1"),
    (dict(c1=1e-4, c2=1e-4), "c2"), (dict(c2=1.0), "c2"), (dict(c2=1.5), "c2"),
    (dict(step=0.0), "step"), (dict(max_evals=0), "max_evals"),
])
def test_strong_wolfe_constants_lie_in_open_intervals(kwargs, name):
    """0 < c₁ < c₂ < 1 (Nocedal & Wright, eq. 3.7), both ends excluded; one evaluation may be enough."""
    f = problems.quadratic()
    g = f.grad(f.x0)
    func = along(f, f.grad, f.x0, -g)
    with pytest.raises(ValueError, match=f"^{name} must be"):
        line_search.strong_wolfe(func, f(f.x0), g, -g, **kwargs)
    assert line_search.strong_wolfe(func, f(f.x0), g, -g, c1=1e-9, c2=1 - 1e-9, max_evals=1).evals == 1


@pytest.mark.parametrize("kwargs, name", [
    (dict(c1=0.0), "c1"), (dict(c1=1.0), "c1"), (dict(shrink=0.0), "shrink"),
    (dict(shrink=1.0), "shrink"), (dict(step=0.0), "step"), (dict(max_evals=0), "max_evals"),
])
def test_armijo_constants_lie_in_open_intervals(kwargs, name):
    f = problems.quadratic()
    g = f.grad(f.x0)
    func = along(f, f.grad, f.x0, -g)
    with pytest.raises(ValueError, match=f"^{name} must be"):
        line_search.armijo(func, f(f.x0), g, -g, **kwargs)
    assert line_search.armijo(func, f(f.x0), g, -g, c1=1e-9, shrink=1 - 1e-9, max_evals=1).evals == 1
