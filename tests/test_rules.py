"""The plain update rules (descent.optim.rules) against the fast kernels and against torch.

Two links, so that each kernel is tied to torch through exactly one chain:

- fast kernel = plain rule, **bit for bit**. Each kernel performs the rule's floating-point
  operations in the same order on the same operands (it only splits the arrays into blocks and
  writes into scratch buffers), so there is nothing to round differently: the parameter and
  every state buffer after a step are compared as raw float64 bit patterns (so even 0.0 and −0.0
  differ). Checked on random shapes (0-d to 3-d, single elements included), memory layouts
  (C order, Fortran order, transposed, strided and reversed views, for the parameter, the
  gradient and each buffer), block sizes down to one element, random states and step counts,
  and every hyperparameter and flag (hypothesis), plus every combination of the flags.
- plain rule = torch.optim, through the trajectories recorded in tests/reference/ (100 steps,
  default and non-default settings, parameter groups, schedules), to the same tolerance as the
  kernels: each iterate within 1e-10 of torch's, relative.

The second-order rules are a different computation from the library's (a dense product of
three matrices against a multiplied-out rank-two update; a dense matrix against the two-loop
recursion), so their equality is to rounding, with the tolerance justified at each test. The
L-BFGS rule, put in place of the recursion, also reproduces torch.optim.LBFGS's recorded runs
(tests/reference/lbfgs.npz); torch has no BFGS, so bfgs_inverse_rule's only link is to
bfgs_update, which tests/test_bfgs.py checks against the secant condition and scipy.
"""
import ast
import contextlib
import inspect
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes

import test_optim
import test_lbfgs
import test_optim_adaptive
from descent import nn, optim
from descent.optim import elementwise, rules
from descent.optim.bfgs import bfgs_update
from descent.optim.lbfgs import two_loop_direction

RULES = {"SGD": rules.sgd_rule, "Adagrad": rules.adagrad_rule, "RMSprop": rules.rmsprop_rule,
         "Adadelta": rules.adadelta_rule, "Adam": rules.adam_rule, "AdamW": rules.adam_rule,
         "NAdam": rules.nadam_rule, "Adamax": rules.adamax_rule, "RAdam": rules.radam_rule,
         "Rprop": rules.rprop_rule, "Lion": rules.lion_rule}
BOOKS_FIRST_ORDER = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam", "Adamax",
                     "RAdam", "Rprop", "Lion"]
LAYOUTS = ["C", "F", "transposed", "strided", "reversed"]
# Every flag of each optimizer, and the numbers that switch a branch on or off (0 or not).
FLAGS = {
    "SGD": dict(momentum=[0.0, 0.9], dampening=[0.0, 0.5], nesterov=[False, True],
                weight_decay=[0.0, 0.1], maximize=[False, True]),
    "Adagrad": dict(lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.1],
                    initial_accumulator_value=[0.0, 0.5], maximize=[False, True]),
    "RMSprop": dict(momentum=[0.0, 0.9], centered=[False, True], weight_decay=[0.0, 0.1],
                    maximize=[False, True]),
    "Adadelta": dict(weight_decay=[0.0, 0.1], maximize=[False, True]),
    "Adam": dict(amsgrad=[False, True], weight_decay=[0.0, 0.1],
                 decoupled_weight_decay=[False, True], maximize=[False, True]),
    "AdamW": dict(amsgrad=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True]),
    "NAdam": dict(weight_decay=[0.0, 0.1], decoupled_weight_decay=[False, True],
                  maximize=[False, True]),
    "Adamax": dict(weight_decay=[0.0, 0.1], maximize=[False, True]),
    "RAdam": dict(weight_decay=[0.0, 0.1], decoupled_weight_decay=[False, True],
                  maximize=[False, True]),
    "Rprop": dict(maximize=[False, True], step_sizes=[(1e-6, 50), (0.5, 0.6)]),
    "Lion": dict(weight_decay=[0.0, 0.1], betas=[(0.9, 0.99), (0.0, 1.0)]),
}


def flag_combinations(name):
    names = list(FLAGS[name])
    combos = [{}]
    for key in names:
        combos = [dict(c, **{key: value}) for c in combos for value in FLAGS[name][key]]
    if name == "SGD":   # torch refuses nesterov without momentum or with dampening
        combos = [c for c in combos
                  if not c["nesterov"] or (c["momentum"] > 0 and c["dampening"] == 0)]
    return combos


def in_layout(array, layout):
    """The same values as ``array`` in a given memory layout (a view where the layout needs one)."""
    if array.ndim == 0 or layout == "C":
        return array.copy()
    if layout == "F":
        return np.array(array, order="F", copy=True)
    if layout == "transposed":
        return array.T.copy().T
    if layout == "strided":
        base = np.zeros(array.shape[:-1] + (2 * array.shape[-1],))
        base[..., ::2] = array
        return base[..., ::2]
    return array[::-1].copy()[::-1]


def random_state(name, hyper, shape, t, rng):
    """A state the optimizer could hold after t steps (t = 0: none yet), with the invariants
    its buffers keep (squares nonnegative, v ≥ a² for centered RMSprop, max ≥ v for AMSGrad)."""
    if t == 0:
        return {}
    normal = lambda: rng.standard_normal(shape)        # noqa: E731
    square = lambda: rng.standard_normal(shape) ** 2   # noqa: E731
    state = {"step": t}
    if name == "SGD":
        state = {"momentum_buffer": normal()} if hyper["momentum"] != 0 else {}
    elif name == "Adagrad":
        state["sum"] = hyper["initial_accumulator_value"] + t * square()
    elif name == "RMSprop":
        state["square_avg"] = square()
        if hyper["centered"]:
            state["grad_avg"] = normal()
            state["square_avg"] += state["grad_avg"] ** 2
        if hyper["momentum"] > 0:
            state["momentum_buffer"] = normal()
    elif name == "Adadelta":
        state.update(square_avg=square(), acc_delta=1e-4 * square())
    elif name == "Adamax":
        state.update(exp_avg=normal(), exp_inf=np.abs(normal()) + hyper["eps"])
    elif name == "Rprop":   # the previous gradient is 0 where its sign flipped
        state.update(prev=normal() * (rng.random(shape) < 0.8),
                     step_size=rng.uniform(*hyper["step_sizes"], size=shape))
    elif name == "Lion":
        state = {"exp_avg": normal()}
    else:
        state.update(exp_avg=normal(), exp_avg_sq=square())
        if hyper.get("amsgrad"):
            state["max_exp_avg_sq"] = state["exp_avg_sq"] + square()
        if name == "NAdam":
            product = np.float32(1.0)
            beta1, psi = hyper["betas"][0], hyper["momentum_decay"]
            for k in range(1, t + 1):
                product = np.float32(product * np.float32(beta1 * (1 - 0.5 * 0.96 ** (k * psi))))
            state["mu_product"] = float(product)
    return {k: v if k in ("step", "mu_product") else np.array(v, dtype=np.float64)
            for k, v in state.items()}


@contextlib.contextmanager
def block_bytes(size):
    saved = elementwise.BLOCK_BYTES
    elementwise.BLOCK_BYTES = size
    try:
        yield
    finally:
        elementwise.BLOCK_BYTES = saved


def bits(x):
    """The raw bit pattern of a float64 array or number, for a comparison that sees every bit."""
    return np.ascontiguousarray(np.asarray(x, dtype=np.float64)).view(np.uint64)


def assert_bitwise_equal(fast, plain, what):
    assert np.shape(fast) == np.shape(plain), what
    assert np.array_equal(bits(fast), bits(plain)), (
        f"{what}: largest difference {np.max(np.abs(np.asarray(fast) - plain))}")


def kernel_step_equals_rule(name, hyper, lr, shape, t, layouts, block, seed):
    """One step of optim.<name>'s fast kernel and of its plain rule from the same θ, g and state:
    the same θ and state, bit for bit; the kernel works in place, the rule changes nothing."""
    rng = np.random.default_rng(seed)
    theta, grad = rng.standard_normal(shape), rng.standard_normal(shape)
    param = nn.Parameter(np.zeros(1))
    opt = getattr(optim, name)([param], lr=lr, **hyper)
    group = {k: v for k, v in opt.param_groups[0].items() if k not in ("params", "lr")}
    state = random_state(name, group, shape, t, rng)
    layout = iter(layouts * 4)
    param.data, param.grad = in_layout(theta, next(layout)), in_layout(grad, next(layout))
    opt.state[param] = {k: in_layout(v, next(layout)) if isinstance(v, np.ndarray) else v
                        for k, v in state.items()}
    data = param.data
    inputs = [theta.copy(), grad.copy(), {k: np.copy(v) for k, v in state.items()}]
    with block_bytes(block), np.errstate(all="ignore"):    # eps = 0 may divide by 0: both alike
        opt.step()
        new_theta, new_state = RULES[name](theta, grad, state, lr, **group)
    assert param.data is data, "the fast kernel updates the parameter in place"
    assert_bitwise_equal(param.data, new_theta, "parameter")
    assert sorted(opt.state[param]) == sorted(new_state)
    for key, value in new_state.items():
        assert_bitwise_equal(opt.state[param][key], value, key)
    assert_bitwise_equal(theta, inputs[0], "the rule's θ argument is unchanged")
    assert_bitwise_equal(grad, inputs[1], "the rule's g argument is unchanged")
    for key, value in inputs[2].items():
        assert_bitwise_equal(state[key], value, f"the rule's state[{key!r}] is unchanged")
    for out in [new_theta, *new_state.values()]:
        assert not any(np.shares_memory(out, arg) for arg in [theta, grad, *state.values()])
    return new_theta


@pytest.mark.parametrize("name", BOOKS_FIRST_ORDER)
def test_every_flag_combination_bitwise(name):
    """Every combination of each optimizer's flags, on several shapes and layouts, from the first
    step and from a later one, in blocks of 3 elements and in the default blocks."""
    shapes = [(), (1,), (7,), (4, 5), (3, 1, 6)]
    for i, flags in enumerate(flag_combinations(name)):
        for j, shape in enumerate(shapes):
            for t in (0, 9):
                layouts = LAYOUTS[(i + j):] + LAYOUTS[:(i + j)]
                kernel_step_equals_rule(name, flags, 0.03, shape, t, layouts,
                                        block=24 if j % 2 else elementwise.BLOCK_BYTES,
                                        seed=1000 * i + 10 * j + t)


def hyperparameters(name):
    """A strategy for every hyperparameter of optim.<name> in its valid range."""
    unit = st.floats(0.0, 0.999)
    small = st.floats(0.0, 0.5)
    eps = st.sampled_from([0.0, 1e-10, 1e-8, 1e-6, 1e-3])
    betas = st.tuples(unit, unit)
    common = dict(weight_decay=small, maximize=st.booleans())
    spec = {
        "SGD": st.one_of(
            st.fixed_dictionaries(dict(momentum=unit, dampening=st.floats(-0.5, 1.0),
                                       nesterov=st.just(False), **common)),
            st.fixed_dictionaries(dict(momentum=st.floats(0.01, 0.999), dampening=st.just(0.0),
                                       nesterov=st.just(True), **common))),
        "Adagrad": st.fixed_dictionaries(dict(lr_decay=small, initial_accumulator_value=small,
                                              eps=eps, **common)),
        "RMSprop": st.fixed_dictionaries(dict(alpha=unit, eps=eps, momentum=unit,
                                              centered=st.booleans(), **common)),
        "Adadelta": st.fixed_dictionaries(dict(rho=st.floats(0.0, 1.0),
                                               eps=st.sampled_from([1e-8, 1e-6, 1e-3]), **common)),
        "Adam": st.fixed_dictionaries(dict(betas=betas, eps=eps, amsgrad=st.booleans(),
                                           decoupled_weight_decay=st.booleans(), **common)),
        "AdamW": st.fixed_dictionaries(dict(betas=betas, eps=eps, amsgrad=st.booleans(),
                                            **common)),
        "NAdam": st.fixed_dictionaries(dict(betas=betas, eps=eps, momentum_decay=st.floats(0, 0.1),
                                            decoupled_weight_decay=st.booleans(), **common)),
        "Adamax": st.fixed_dictionaries(dict(betas=betas, eps=st.sampled_from([1e-8, 1e-3]),
                                             **common)),
        "RAdam": st.fixed_dictionaries(dict(betas=betas, eps=eps,
                                            decoupled_weight_decay=st.booleans(), **common)),
        "Rprop": st.fixed_dictionaries(dict(
            etas=st.tuples(st.floats(0.01, 0.99), st.floats(1.01, 3.0)),
            step_sizes=st.tuples(st.floats(0.0, 1e-3), st.floats(1e-3, 100.0)),
            maximize=st.booleans())),
        "Lion": st.fixed_dictionaries(dict(betas=st.tuples(st.floats(0.0, 1.0),
                                                           st.floats(0.0, 1.0)),
                                           weight_decay=small)),
    }
    return spec[name]


@pytest.mark.parametrize("name", BOOKS_FIRST_ORDER)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fast_kernel_equals_plain_rule_bitwise(name, data):
    hyper = data.draw(hyperparameters(name), label="hyperparameters")
    shape = data.draw(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=9), label="shape")
    layouts = data.draw(st.lists(st.sampled_from(LAYOUTS), min_size=5, max_size=5), label="layouts")
    kernel_step_equals_rule(
        name, hyper, shape=shape,     # Lion refuses lr = 0
        lr=data.draw(st.floats(1e-9 if name == "Lion" else 0.0, 1.0), label="lr"),
        t=data.draw(st.sampled_from([0, 1, 2, 5, 6, 7, 30, 1000]), label="steps before"),
        layouts=layouts, block=data.draw(st.sampled_from([8, 24, 64, 1 << 18]), label="block"),
        seed=data.draw(st.integers(0, 2**32 - 1), label="seed"))


def test_many_steps_in_a_row_stay_bitwise_equal():
    """Fifty steps of Adam with every option on, rule and kernel fed the same gradients."""
    rng = np.random.default_rng(3)
    hyper = dict(betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True, maximize=True)
    param = nn.Parameter(rng.standard_normal((40, 30)))
    opt = optim.Adam([param], lr=0.01, **hyper)
    theta, state = param.data.copy(), {}
    with block_bytes(1000):
        for _ in range(50):
            param.grad[...] = rng.standard_normal(param.data.shape)
            opt.step()
            theta, state = rules.adam_rule(theta, param.grad, state, 0.01, **hyper)
    assert_bitwise_equal(param.data, theta, "parameter after 50 steps")


def test_every_first_order_optimizer_of_the_book_has_a_rule():
    assert set(RULES) == set(BOOKS_FIRST_ORDER)
    assert all(name in optim.__all__ for name in RULES)


PLAIN_RULES = [rules.sgd_rule, rules.adagrad_rule, rules.rmsprop_rule, rules.adadelta_rule,
               rules.adam_rule, rules.nadam_rule, rules.adamax_rule, rules.radam_rule,
               rules.rprop_rule, rules.lion_rule, rules.newton_schulz_rule,
               rules.bfgs_inverse_rule, rules.lbfgs_direction_rule]


def body_lines(function):
    """Lines of code in a function's body: no signature, docstring, blank or comment-only line."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    body = tree.body[1:] if isinstance(tree.body[0], ast.Expr) else tree.body
    lines = inspect.getsource(function).splitlines()[body[0].lineno - 1:body[-1].end_lineno]
    return [line for line in lines if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("rule", PLAIN_RULES, ids=lambda rule: rule.__name__)
def test_each_rule_reads_in_a_dozen_lines_at_most(rule):
    """A plain rule states its formula in its docstring and fits in twelve lines of code."""
    assert "←" in rule.__doc__ or " = " in rule.__doc__
    assert 1 <= len(body_lines(rule)) <= 12


def plain_optimizer(name):
    """optim.<name> with its fast kernel replaced by the plain rule: the same groups, schedules
    and checks (those are the Optimizer base class's), only the update is the rule's."""
    rule = RULES[name]

    class Plain(getattr(optim, name)):
        def _update(self, param, grad, state, group, lr):
            hyper = {k: v for k, v in group.items() if k not in ("params", "lr")}
            param.data[...], new_state = rule(param.data, grad, dict(state), lr, **hyper)
            state.clear()
            state.update(new_state)

    Plain.__name__ = name
    return Plain


REGISTRY = [entry for entry in test_optim.CASES if entry[0]["optimizer"] in RULES]


@pytest.mark.parametrize("case, problem, reference", REGISTRY,
                         ids=[f"{c['optimizer']}: {c['id']}" for c, _, _ in REGISTRY])
def test_plain_rule_follows_torch(case, problem, reference, monkeypatch):
    """tests/reference/optim_<name>.npz: W (2, 3) and b (2,), 100 steps, schedules (and cycled
    momentum), parameter groups; each iterate within the registry's tolerance of torch's."""
    monkeypatch.setattr(optim, case["optimizer"], plain_optimizer(case["optimizer"]))
    run = test_optim.Run(case, problem)
    path = np.array([run.flat()] + [run.step() for _ in range(len(reference) - 1)])
    test_optim.assert_close(path, reference, case.get("rtol", 1e-10))
    assert np.linalg.norm(reference[-1] - reference[0]) > 1e-2


ADAPTIVE = test_optim_adaptive.META["cases"]


@pytest.mark.parametrize("case", ADAPTIVE, ids=[case["id"] for case in ADAPTIVE])
def test_plain_rule_follows_torch_on_three_shapes(case, monkeypatch):
    """tests/reference/adaptive_reference.npz: parameters shaped (3, 4), (5,) and (), 100 steps."""
    monkeypatch.setattr(optim, case["optimizer"], plain_optimizer(case["optimizer"]))
    path = test_optim_adaptive.run_case(case, test_optim_adaptive.META["steps"])
    assert test_optim_adaptive.max_relative_error(path, case["id"]) <= 1e-10


@pytest.mark.parametrize("name", BOOKS_FIRST_ORDER)
def test_the_plain_optimizer_really_runs_the_rule(name, monkeypatch):
    """Guard for the two tests above: a rule that is broken makes the plain optimizer move
    differently (so those tests do not pass by running the fast kernel)."""
    broken = lambda param, grad, state, lr, **hyper: (param + 1.0, {})   # noqa: E731
    monkeypatch.setitem(RULES, name, broken)
    param = nn.Parameter(np.zeros(3))
    param.grad[...] = 1.0
    plain_optimizer(name)([param], lr=0.1).step()
    np.testing.assert_array_equal(param.data, np.ones(3))


UNIT_ROUNDOFF = np.finfo(np.float64).eps / 2


def random_quadratic(rng, n):
    """A random symmetric matrix with eigenvalues in [0.5, 2]: the Hessian of a quadratic."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(rng.uniform(0.5, 2.0, n)) @ Q.T


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_bfgs_update_equals_the_textbook_product(n, seed):
    """bfgs_update multiplies the product (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ out into a rank-two update
    of H: the same matrix, rounded differently. Each entry of either form is a sum of at most
    about n² products of factors bounded by the entries of H, ρ|s||y| and ρ|s|², so each is within
    a small multiple of n²·u of the exact matrix relative to scale = ‖H‖(1 + ρ‖s‖‖y‖)² + ρ‖s‖²
    (u the unit roundoff). We allow 4(n + 1)²·u·scale; the worst seen in 3000 random cases was
    1.5e-16·scale.
    """
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    H = M @ M.T + 0.1 * np.eye(n)
    s = rng.standard_normal(n)
    y = random_quadratic(rng, n) @ s
    rho = 1 / (y @ s)
    scale = (np.linalg.norm(H) * (1 + rho * np.linalg.norm(s) * np.linalg.norm(y)) ** 2
             + rho * (s @ s))
    difference = bfgs_update(H, s, y) - rules.bfgs_inverse_rule(H, s, y)
    assert np.linalg.norm(difference) <= 4 * (n + 1) ** 2 * UNIT_ROUNDOFF * scale


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 12), pairs=st.integers(0, 8), seed=st.integers(0, 2**32 - 1))
def test_two_loop_recursion_equals_the_dense_bfgs_matrix(n, pairs, seed):
    """The two-loop recursion applies, without forming it, the matrix that the plain rule forms
    by m dense BFGS updates of H₀ = 0.7·I (pairs s, y = A s of one quadratic): the same direction,
    rounded differently. Each of the m + 1 stages of either computation is a product or a sum
    of n terms, and an error made at one stage is carried on by the later matrices, so the
    relative difference is of order (m + 1)(n + 1)·κ·u, κ the largest condition number of the
    matrices H_k. We allow 8 times that; the worst of 5000 random cases was 0.73 times it.
    """
    rng = np.random.default_rng(seed)
    A = random_quadratic(rng, n)
    steps = [rng.standard_normal(n) for _ in range(pairs)]
    changes = [A @ s for s in steps]
    g = rng.standard_normal(n)
    d = two_loop_direction(g, steps, changes, [1 / (y @ s) for s, y in zip(steps, changes)], 0.7)
    plain = rules.lbfgs_direction_rule(g, steps, changes, 0.7)
    H, kappa = 0.7 * np.eye(n), 1.0
    for s, y in zip(steps, changes):
        H = rules.bfgs_inverse_rule(H, s, y)
        kappa = max(kappa, np.linalg.cond(H))
    bound = 8 * (pairs + 1) * (n + 1) * kappa * UNIT_ROUNDOFF
    assert np.linalg.norm(d - plain) <= bound * np.linalg.norm(plain)


class PlainLBFGS(optim.LBFGS):
    """optim.LBFGS whose direction is the plain rule's dense −H g instead of the two-loop recursion."""

    def _direction(self, state, grad):
        return rules.lbfgs_direction_rule(grad, state["old_stps"], state["old_dirs"],
                                          state["H_diag"])


@pytest.mark.parametrize("case", test_lbfgs.CASES, ids=[c["name"] for c in test_lbfgs.CASES])
def test_plain_lbfgs_direction_follows_torch(case, monkeypatch):
    """tests/reference/lbfgs.npz: with the dense rule in place of the recursion, the iterates and
    the numbers of closure calls of torch.optim.LBFGS, to the tolerance of tests/test_lbfgs.py."""
    monkeypatch.setattr(optim, "LBFGS", PlainLBFGS)
    test_lbfgs.test_lbfgs_matches_torch(case)


@settings(max_examples=200, deadline=None)
@given(rows=st.integers(1, 12), cols=st.integers(1, 12), steps=st.integers(0, 8),
       seed=st.integers(0, 2**32 - 1))
def test_muons_newton_schulz_equals_the_plain_iteration(rows, cols, steps, seed):
    """optim.newton_schulz works with the smaller Gram matrix (a tall G is transposed, iterated
    and transposed back); the plain rule iterates X ← aX + b(XXᵀ)X + c(XXᵀ)²X as written. Both
    apply the same polynomial to the singular values, so they agree to rounding: every product
    is a sum of at most 12 terms bounded by |a| + |b| + |c| < 11 times the band's top (1.2) to
    the fifth power, and each step carries the last one's error forward multiplied by at most
    the polynomial's slope (below 4 on the band); we allow 12·11·4^steps·u·‖X‖ and saw at most
    a twentieth of it.
    """
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((rows, cols)) * 10.0 ** rng.uniform(-3, 3)
    plain = rules.newton_schulz_rule(G, steps)
    fast = optim.newton_schulz(G, steps)
    assert plain.shape == fast.shape == G.shape
    bound = 12 * 11 * 4.0**steps * UNIT_ROUNDOFF * max(1.0, np.linalg.norm(plain))
    assert np.max(np.abs(plain - fast)) <= bound


def test_newton_schulz_rule_with_the_cubic_coefficients_reaches_the_polar_factor():
    """(1.5, −0.5, 0) is the classical iteration: it converges to UVᵀ; the quintic does not."""
    rng = np.random.default_rng(0)
    G = rng.standard_normal((8, 5))
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    cubic = rules.newton_schulz_rule(G, steps=60, coefficients=(1.5, -0.5, 0.0))
    quintic = rules.newton_schulz_rule(G, steps=60)
    assert np.linalg.norm(cubic - U @ Vt, 2) < 1e-12
    assert np.linalg.norm(quintic - U @ Vt, 2) > 0.1
