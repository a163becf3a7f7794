"""LBFGS against torch.optim.LBFGS (reference data from tests/reference/make_lbfgs_reference.py)."""
import json
import os
import re

import numpy as np
import pytest
from scipy_counts import scipy_evaluations

from descent import nn, optim, problems, train
from descent.optim.bfgs import bfgs_update
from descent.optim.lbfgs import two_loop_direction

REFERENCE = np.load(os.path.join(os.path.dirname(__file__), "reference", "lbfgs.npz"))
CASES = json.loads(str(REFERENCE["cases"]))


def problem_closure(problem, x0):
    """One flat parameter and a closure for a test problem."""
    p = nn.Parameter(x0)

    def closure():
        p.grad[...] = problem.grad(p.data)
        return problem(p.data)

    return [p], closure, lambda: p.data.copy()


def mlp_closure(x0):
    """The reference's Linear(3, 6) → Tanh → Linear(6, 1) with MSE, parameters taken from x0."""
    X, y = REFERENCE["mlp_X"], REFERENCE["mlp_y"]
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1))
    params = model.parameters()
    offset = 0
    for p in params:
        p.data[...] = x0[offset:offset + p.data.size].reshape(p.data.shape)
        offset += p.data.size
    loss_fn = nn.MSELoss()

    def closure():
        model.zero_grad()
        loss = loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        return loss

    return params, closure, lambda: np.concatenate([p.data.ravel() for p in params])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_lbfgs_matches_torch(case):
    name = case["name"]
    x0 = REFERENCE[f"{name}_x0"]
    if case["problem"] == "mlp":
        params, closure, flat = mlp_closure(x0)
    else:
        f = problems.quadratic(condition_number=100.0, dim=10) if case["problem"] == "quadratic" \
            else problems.rosenbrock()
        params, closure, flat = problem_closure(f, x0)
    calls = [0]

    def counted():
        calls[0] += 1
        return closure()

    opt = optim.LBFGS(params, **case["options"])
    for expected_x, expected_calls in zip(REFERENCE[f"{name}_iterates"], REFERENCE[f"{name}_calls"]):
        opt.step(counted)
        x = flat()
        assert np.max(np.abs(x - expected_x)) <= 1e-8 * np.max(np.abs(expected_x))
        assert calls[0] == expected_calls
    assert opt.state[params[0]]["func_evals"] == calls[0]


def test_two_loop_equals_dense_bfgs_inverse_hessian():
    """Without truncation, the two-loop recursion applies the BFGS matrix built from H₀ = γI."""
    rng = np.random.default_rng(1)
    n = 6
    M = rng.standard_normal((n, n))
    A = M @ M.T + n * np.eye(n)
    steps = [rng.standard_normal(n) for _ in range(4)]
    changes = [A @ s for s in steps]
    gamma = 0.7
    H = gamma * np.eye(n)
    for s, y in zip(steps, changes):
        H = bfgs_update(H, s, y)
    g = rng.standard_normal(n)
    d = two_loop_direction(g, steps, changes, [1 / (y @ s) for s, y in zip(steps, changes)], gamma)
    np.testing.assert_allclose(d, -H @ g, rtol=1e-12)


def test_state_dict_round_trip_continues_identically():
    f = problems.rosenbrock()
    params, closure, flat = problem_closure(f, f.x0)
    opt = optim.LBFGS(params, max_iter=3, line_search_fn="strong_wolfe")
    opt.step(closure)
    saved = opt.state_dict()
    x_saved = flat()
    opt.step(closure)
    after = flat()
    params2, closure2, flat2 = problem_closure(f, x_saved)
    opt2 = optim.LBFGS(params2, max_iter=3, line_search_fn="strong_wolfe")
    opt2.load_state_dict(saved)
    opt2.step(closure2)
    np.testing.assert_array_equal(flat2(), after)


@pytest.mark.parametrize("kwargs, name", [
    (dict(lr=-1.0), "lr"), (dict(max_iter=0), "max_iter"), (dict(max_eval=0), "max_eval"),
    (dict(history_size=0), "history_size"), (dict(tolerance_grad=-1e-3), "tolerance_grad"),
    (dict(tolerance_change=float("nan")), "tolerance_change"),
    (dict(line_search_fn="wolfe"), "line_search_fn"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}(?!\w)"):
        optim.LBFGS([nn.Parameter(np.zeros(2))], **kwargs)


def test_parameter_groups_are_refused():
    groups = [{"params": [nn.Parameter(np.zeros(2))]}, {"params": [nn.Parameter(np.zeros(2))]}]
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS(groups)


def lbfgs_evaluations(f, history_size=100):
    """Closure calls of torch-semantics L-BFGS with strong Wolfe until ‖∇f‖₂ < 1e-8, and the end."""
    return train.evaluations_to_tolerance(f, lambda p: optim.LBFGS(
        p, max_iter=10000, max_eval=100000, tolerance_grad=1e-10, tolerance_change=0.0,
        history_size=history_size, line_search_fn="strong_wolfe"))


def scipy_lbfgsb_evaluations(f):
    """scipy's L-BFGS-B counted the same way (it stops on gtol alone, in max-norm)."""
    return scipy_evaluations(f, "L-BFGS-B", options=dict(gtol=1e-10, ftol=0.0, maxfun=10000))


@pytest.mark.parametrize("history_size", [100, 10, 5])
def test_rosenbrock_2d_needs_about_as_many_evaluations_as_torch(history_size):
    """2-D Rosenbrock from (−1.2, 1) to ‖∇f‖₂ < 1e-8, counted as closure calls up to the first
    evaluation below it. torch 2.13 needed 47 with its default history_size=100, 46 with 10 and
    45 with 5 (the committed reference); ours, the same algorithm, needs as many up to rounding:
    the test allows two evaluations either way, since another CPU's rounding may move a line
    search's decision (the iterates themselves are compared with torch's above). scipy's L-BFGS-B
    (10 pairs), measured in the same run, needs about as many: within 10 %."""
    evals, x = lbfgs_evaluations(problems.rosenbrock(), history_size)
    key = "rosenbrock2_evals_to_1e-8" if history_size == 100 \
        else f"rosenbrock2_m{history_size}_evals_to_1e-8"
    assert evals is not None and abs(evals - REFERENCE[key]) <= 2, (evals, REFERENCE[key])
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-9)
    scipy_count = scipy_lbfgsb_evaluations(problems.rosenbrock())
    assert abs(evals - scipy_count) <= 0.1 * scipy_count, (evals, scipy_count)


def test_rosenbrock_100d_against_scipy():
    """100-D Rosenbrock from (−1.2, 1, …) to ‖∇f‖₂ < 1e-8. Over ~500 iterations rounding
    differences change the path (another CPU's BLAS kernels, or torch's fused multiply-add: torch's
    run of the same algorithm needed 684), so these counts measure a path, not the method: the
    test asserts a band, about 600 within 10 % (594 and 600 have been seen on two kinds of CPU),
    and compares with scipy's L-BFGS-B measured in the same run (637 on both): ours, with 100
    pairs, needs no more than scipy's count plus 5 %. Both reach all ones."""
    f = problems.rosenbrock(100)
    evals, x = lbfgs_evaluations(f)
    scipy_count = scipy_lbfgsb_evaluations(f)
    assert evals is not None and 540 <= evals <= 660, evals
    assert evals <= 1.05 * scipy_count, (evals, scipy_count)
    np.testing.assert_allclose(x, np.ones(100), atol=1e-8)
