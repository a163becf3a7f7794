"""Every method driven by step(closure): convergence on the test problems from several starts,
closure-call accounting, named errors for bad arguments and non-finite losses."""
import numpy as np
import pytest

from descent import nn, optim, problems

PROBLEMS = {
    "quadratic": (lambda: problems.quadratic(condition_number=50.0),
                  [[-1.5, 1.0], [1.9, 1.9], [0.3, -1.7]]),
    "rosenbrock": (problems.rosenbrock, [[-1.2, 1.0], [1.5, -0.5], [-0.5, 2.5]]),
    "beale": (problems.beale, [[1.0, 1.5], [2.0, -1.0], [0.5, -0.5]]),
    "himmelblau": (problems.himmelblau, [[0.0, 0.0], [-4.0, 4.0], [1.0, -4.0]]),
    "saddle": (problems.saddle, [[1.0, 1e-3], [-1.0, -0.5], [0.5, 1e-8]]),
}

# Each entry builds an optimizer for parameters `p` on problem `f`, run to tight tolerances.
METHODS = {
    "LBFGS": lambda p, f: optim.LBFGS(p, max_iter=200, max_eval=1000, tolerance_grad=1e-10,
                                      tolerance_change=0, line_search_fn="strong_wolfe"),
    "BFGS": lambda p, f: optim.BFGS(p, max_iter=200, max_eval=1000, tolerance_grad=1e-10,
                                    tolerance_change=0),
    "Newton": lambda p, f: optim.Newton(p, hessian=f.hessian, max_iter=200, tolerance_grad=1e-10),
    "NewtonCG": lambda p, f: optim.NewtonCG(p, max_iter=200, tolerance_grad=1e-10),
    "NewtonCG-exact": lambda p, f: optim.NewtonCG(p, max_iter=200, tolerance_grad=1e-10,
                                                  hessian_vector=f.hessian_vector),
}


def closure_for(f, p, counter=None):
    def closure():
        if counter is not None:
            counter[0] += 1
        p.grad[...] = f.grad(p.data)
        return f(p.data)
    return closure


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_reaches_a_local_minimum_from_every_start(method, problem):
    make_problem, starts = PROBLEMS[problem]
    f = make_problem()
    for x0 in starts:
        p = nn.Parameter(np.array(x0, dtype=float))
        opt = METHODS[method]([p], f)
        closure = closure_for(f, p)
        for _ in range(3):
            opt.step(closure)
        assert np.linalg.norm(f.grad(p.data)) < 1e-6, (x0, p.data)
        assert np.linalg.eigvalsh(f.hessian(p.data)).min() > 0, (x0, p.data)  # not a saddle
        assert f(p.data) < f(np.array(x0)) or np.allclose(x0, p.data)


@pytest.mark.parametrize("method", METHODS)
def test_state_counts_every_closure_call(method):
    f = problems.rosenbrock()
    p = nn.Parameter(f.x0)
    calls = [0]
    opt = METHODS[method]([p], f)
    opt.step(closure_for(f, p, calls))
    assert opt.state[p]["func_evals"] == calls[0] > 1
    assert opt.state[p]["n_iter"] >= 1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_loss_is_a_named_error(method, bad):
    f = problems.rosenbrock()
    p = nn.Parameter(f.x0)
    opt = METHODS[method]([p], f)

    def closure():
        p.grad[...] = f.grad(p.data)
        return bad

    with pytest.raises(FloatingPointError, match="non-finite loss"):
        opt.step(closure)


@pytest.mark.parametrize("method", METHODS)
def test_non_finite_gradient_is_a_named_error(method):
    f = problems.rosenbrock()
    p = nn.Parameter(f.x0)
    opt = METHODS[method]([p], f)

    def closure():
        p.grad[...] = np.nan
        return 1.0

    with pytest.raises(FloatingPointError, match="gradient"):
        opt.step(closure)


@pytest.mark.parametrize("method", METHODS)
def test_step_needs_a_closure(method):
    f = problems.rosenbrock()
    opt = METHODS[method]([nn.Parameter(f.x0)], f)
    assert opt.needs_closure
    for call in (opt.step, lambda: opt.step(None)):
        with pytest.raises(TypeError, match=f"{type(opt).__name__}.step needs a closure that "
                                            "recomputes the loss and gradients"):
            call()


@pytest.mark.parametrize("method", METHODS)
def test_parameters_spread_over_several_arrays(method):
    """The flat view joins several Parameters of different shapes (here 2-D Rosenbrock split in two)."""
    f = problems.rosenbrock()
    a, b = nn.Parameter(f.x0[:1].reshape(1, 1)), nn.Parameter(f.x0[1:])

    def closure():
        x = np.array([a.data[0, 0], b.data[0]])
        g = f.grad(x)
        a.grad[...], b.grad[...] = g[0], g[1]
        return f(x)

    class Joined:
        hessian = staticmethod(f.hessian)
        hessian_vector = staticmethod(f.hessian_vector)

    opt = METHODS[method]([a, b], Joined)
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose([a.data[0, 0], b.data[0]], [1.0, 1.0], atol=1e-6)
