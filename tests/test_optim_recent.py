"""The recent optimizers against their reference implementations: trajectories, averages,
estimates, state, groups, schedules, argument checks, and their protocols (SAM's closure, the
schedule-free train()/eval() switch).

Reference data: tests/reference/make_recent_reference.py (needs torch and the reference
packages) wrote the trajectories; these tests need numpy only. Every generic test is
parametrized over RECENT, so a new optimizer is tested by being registered there (with its
cases added to the reference script).
"""
import inspect
import json
import math
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from descent import data, nn, optim, problems, train

REFERENCE = Path(__file__).parent / "reference"
META = json.loads((REFERENCE / "recent_reference.json").read_text())
DATA = np.load(REFERENCE / "recent_reference.npz")
RECENT = [optim.Rprop, optim.ASGD, optim.Adafactor, optim.Muon, optim.Lion,
          optim.SGDScheduleFree, optim.AdamWScheduleFree, optim.Prodigy, optim.SAM]
NAMES = [cls.__name__ for cls in RECENT]
SCHEDULE_FREE = ["SGDScheduleFree", "AdamWScheduleFree"]

# Settings that switch on most branches of each update (for the generic tests below).
BUSY = {
    "Rprop": dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)),
    "ASGD": dict(lr=0.02, lambd=1e-2, alpha=0.5, t0=5.0, weight_decay=0.1),
    "Adafactor": dict(lr=0.05, beta2_decay=-0.5, eps=(1e-3, 1e-2), d=2.0, weight_decay=0.1),
    "Muon": dict(lr=0.02, momentum=0.9, ns_steps=4, adjust_lr_fn="match_rms_adamw"),
    "Lion": dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1),
    "SGDScheduleFree": dict(lr=0.05, momentum=0.8, weight_decay=0.1, warmup_steps=5, r=1.0),
    "AdamWScheduleFree": dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, warmup_steps=5,
                              r=0.5),
    "Prodigy": dict(weight_decay=0.1, use_bias_correction=True, growth_rate=1.1),
    "SAM": dict(base_optimizer=optim.SGD, lr=0.02, momentum=0.9, rho=0.1, adaptive=True),
}
# The reference packages' defaults (SAM's base optimizer's own defaults are its own).
DEFAULTS = {
    "Rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False),
    "ASGD": dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False),
    "Adafactor": dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0,
                      maximize=False),
    "Muon": dict(lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, ns_steps=5,
                 adjust_lr_fn=None),
    "Lion": dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, decoupled_weight_decay=False),
    "SGDScheduleFree": dict(lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0,
                            weight_lr_power=2.0),
    "AdamWScheduleFree": dict(lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                              warmup_steps=0, r=0.0, weight_lr_power=2.0),
    "Prodigy": dict(lr=1.0, betas=(0.9, 0.999), beta3=None, eps=1e-8, weight_decay=0.0,
                    decouple=True, use_bias_correction=False, safeguard_warmup=False, d0=1e-6,
                    d_coef=1.0, growth_rate=math.inf),
    "SAM": dict(rho=0.05, adaptive=False, perturb_eps=1e-12),
}
# One out-of-range value (ValueError) per argument.
INVALID = {
    "Rprop": dict(lr=-1e-3, etas=(1.5, 1.2), step_sizes=(-1.0, 50)),
    "ASGD": dict(lr=-1e-3, weight_decay=-0.1, alpha=math.nan),
    "Adafactor": dict(lr=-1e-3, beta2_decay=0.5, eps=(-1.0, 1e-3), d=0.5, weight_decay=-0.1),
    "Muon": dict(lr=-1e-3, weight_decay=-0.1, momentum=-0.9, eps=-1.0, ns_steps=100,
                 adjust_lr_fn="spectral"),
    "Lion": dict(lr=0.0, betas=(0.9, 1.5), weight_decay=-0.1),
    "SGDScheduleFree": dict(lr=-1.0, momentum=1.0, weight_decay=-0.1, warmup_steps=-1),
    "AdamWScheduleFree": dict(lr=-1.0, betas=(0.0, 0.999), eps=-1e-8, weight_decay=-0.1,
                              warmup_steps=-1),
    "Prodigy": dict(lr=0.0, betas=(0.9, 1.0), beta3=1.5, eps=0.0, d0=0.0, d_coef=-1.0,
                    growth_rate=0.5, weight_decay=-0.1),
    "SAM": dict(rho=-0.05, perturb_eps=-1.0),
}
# One value of the wrong type (TypeError) per argument.
WRONG_TYPE = {
    "Rprop": dict(etas=0.5, maximize="yes"),
    "ASGD": dict(lambd="1e-4", maximize=1),
    "Adafactor": dict(eps=1e-3, d="1"),
    "Muon": dict(nesterov="yes", ns_steps=5.0, ns_coefficients=(1.0, 2.0)),
    "Lion": dict(decoupled_weight_decay="yes", betas=0.9),
    "SGDScheduleFree": dict(warmup_steps=2.5, r="1"),
    "AdamWScheduleFree": dict(betas=0.9, weight_lr_power=None),
    "Prodigy": dict(decouple="yes", d_coef=None),
    "SAM": dict(adaptive="yes", base_optimizer=optim.SGD([nn.Parameter(np.zeros(1))])),
}


def matrices(n=2, seed=0):
    """Parameters every optimizer accepts (Muon takes matrices only)."""
    rng = np.random.default_rng(seed)
    return [nn.Parameter(rng.uniform(-1, 1, (3, 4))) for _ in range(n)]


def build(name, params, **kwargs):
    cls = getattr(optim, name)
    if name == "SAM":
        kwargs.setdefault("base_optimizer", optim.SGD)
        kwargs.setdefault("lr", 0.01)
        return cls(params, **kwargs)
    return cls(params, **kwargs)


def set_gradients(params, a, c, sign=1.0):
    """∇f = a(θ − c) + θ·θ·θ, elementwise (bit-identical to the reference script's)."""
    for p, ai, ci in zip(params, a, c):
        p.grad[...] = sign * (ai * (p.data - ci) + p.data * p.data * p.data)


def step(opt, params, a, c, sign=1.0):
    """One step on the reference problem (see ``advance``)."""
    advance(opt, params, lambda: set_gradients(params, a, c, sign))


def advance(opt, params, set_grads):
    """One step after ``set_grads()`` wrote the gradients; SAM gets ``set_grads`` as its closure
    (the gradient at the perturbed point)."""
    set_grads()
    if isinstance(opt, optim.SAM):
        opt.step(set_grads)
    else:
        opt.step()


def gradient_setter(params, function):
    """A closure that writes ``function(θ)`` into each parameter's gradient."""
    def set_grads():
        for p in params:
            p.grad[...] = function(p.data)
        return 0.0
    return set_grads


def reference_problem(case):
    idx = case["params"]
    params = [nn.Parameter(DATA[f"theta0_{i}"]) for i in idx]
    return params, [DATA[f"a_{i}"] for i in idx], [DATA[f"c_{i}"] for i in idx]


def tuples(kwargs):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def build_case(case, params):
    kwargs = tuples(case["kwargs"])
    if case["optimizer"] == "SAM":
        kwargs["base_optimizer"] = getattr(optim, kwargs["base_optimizer"])
    groups = params
    if case["groups"] is not None:
        half = len(params) // 2
        groups = [dict(tuples(case["groups"][0]), params=params[:half]),
                  dict(tuples(case["groups"][1]), params=params[half:])]
    if case["schedule_gamma"] is not None:
        base, gamma = kwargs.pop("lr"), case["schedule_gamma"]
        kwargs["lr"] = lambda t: base * gamma**t
    return getattr(optim, case["optimizer"])(groups, **kwargs)


def run_case(case):
    """The trajectory (one array per parameter) and the records the reference script keeps."""
    params, a, c = reference_problem(case)
    opt = build_case(case, params)
    sign = -1.0 if case["kwargs"].get("maximize") else 1.0
    schedule_free = case["optimizer"] in SCHEDULE_FREE
    if schedule_free:
        opt.train()
    path, records = [[p.data.copy()] for p in params], {}
    for t in range(1, META["steps"] + 1):
        step(opt, params, a, c, sign)
        for trace, p in zip(path, params):
            trace.append(p.data.copy())
        if schedule_free and t in META["eval_steps"]:
            opt.eval()
            records.update({f"eval/{t}/{i}": p.data.copy() for i, p in enumerate(params)})
            if t < META["steps"]:
                opt.train()
        if case["optimizer"] == "Prodigy":
            records.setdefault("d", []).append(opt.param_groups[0]["d"])
    if case["optimizer"] == "ASGD":
        records.update({f"ax/{i}": opt.state[p]["ax"] for i, p in enumerate(params)})
    return [np.stack(trace) for trace in path], records


def relative_error(path, case_id):
    """Per step, ‖θ − θ_ref‖/‖θ_ref‖ over all the case's parameters together (as test_optim.py)."""
    ours = np.concatenate([trace.reshape(len(trace), -1) for trace in path], axis=1)
    ref = np.concatenate([DATA[f"{case_id}/{i}"].reshape(len(trace), -1)
                          for i, trace in enumerate(path)], axis=1)
    return np.linalg.norm(ours - ref, axis=1) / np.linalg.norm(ref, axis=1)


CASES = META["cases"]


def test_every_registered_optimizer_has_reference_cases():
    assert {case["optimizer"] for case in CASES} == set(NAMES)
    assert set(NAMES) <= set(optim.__all__)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_trajectory_matches_reference(case):
    path, records = run_case(case)
    assert relative_error(path, case["id"]).max() <= 1e-10
    moved = max(np.abs(trace[-1] - trace[0]).max() for trace in path)
    assert moved > 1e-3, "a trajectory that does not move tests nothing"
    for key, value in records.items():
        ref = DATA[f"{case['id']}/{key}"]
        np.testing.assert_allclose(value, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_schedule_free_reference_records_the_average_and_it_differs_from_y():
    """The eval() records are x, not y: they differ from the trajectory at the same step."""
    case = next(c for c in CASES if c["optimizer"] == "SGDScheduleFree")
    for t in META["eval_steps"]:
        x = DATA[f"{case['id']}/eval/{t}/0"]
        y = DATA[f"{case['id']}/0"][t]
        assert np.abs(x - y).max() > 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_the_references(name):
    signature = inspect.signature(getattr(optim, name))
    defaults = {k: v.default for k, v in signature.parameters.items()
                if v.default is not inspect.Parameter.empty}
    assert defaults == DEFAULTS[name]


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_mid_run_continues_identically(name):
    rng = np.random.default_rng(1)
    a = [rng.uniform(0.5, 2, (3, 4)) for _ in range(2)]
    c = [rng.uniform(-1, 1, (3, 4)) for _ in range(2)]
    params = matrices()
    opt = build(name, params, **BUSY[name])
    if name in SCHEDULE_FREE:
        opt.train()
    for _ in range(20):
        step(opt, params, a, c)
    saved = pickle.loads(pickle.dumps(opt.state_dict()))
    copies = [nn.Parameter(p.data) for p in params]
    resumed = build(name, copies, **BUSY[name])
    resumed.load_state_dict(saved)
    for _ in range(20):
        step(opt, params, a, c)
        step(resumed, copies, a, c)
    for p, q in zip(params, copies):
        np.testing.assert_array_equal(p.data, q.data)
    assert resumed.steps_taken == opt.steps_taken == 40


def test_adafactor_state_dict_keeps_its_factored_shapes():
    p = nn.Parameter(np.ones((3, 4)))
    p.grad[...] = 0.5
    opt = optim.Adafactor([p])
    opt.step()
    saved = opt.state_dict()
    assert saved["state"][0]["row_var"].shape == (3, 1)
    assert saved["state"][0]["col_var"].shape == (1, 4)
    saved["state"][0]["row_var"] = np.zeros((4, 1))
    with pytest.raises(ValueError, match="shape"):
        optim.Adafactor([nn.Parameter(np.ones((3, 4)))]).load_state_dict(saved)


@pytest.mark.parametrize("name", NAMES)
def test_state_holds_the_references_keys(name):
    keys = {"Rprop": {"step", "prev", "step_size"}, "ASGD": {"step", "eta", "mu", "ax"},
            "Adafactor": {"step", "row_var", "col_var"}, "Muon": {"momentum_buffer"},
            "Lion": {"exp_avg"}, "SGDScheduleFree": {"z"},
            "AdamWScheduleFree": {"z", "exp_avg_sq"},
            "Prodigy": {"step", "s", "p0", "exp_avg", "exp_avg_sq"},
            "SAM": {"momentum_buffer"}}
    p = matrices(1)[0]
    opt = build(name, [p], **BUSY[name])
    if name in SCHEDULE_FREE:
        opt.train()
    advance(opt, [p], gradient_setter([p], lambda x: x - 0.5))
    assert set(opt.state[p]) == keys[name]


# Rprop reads its rate once, Prodigy's estimate d and SAM's perturbation norm are shared by
# all groups: their groups are tested against the references and below.
GROUP_RATES = [n for n in NAMES if n not in ("Rprop", "Prodigy", "SAM")]


@pytest.mark.parametrize("name", GROUP_RATES)
def test_param_groups_use_their_own_rates(name):
    """Two groups, identical parameters: each moves as a one-group optimizer with its rate."""
    kwargs = {k: v for k, v in BUSY[name].items() if k != "lr"}
    slow, fast = matrices(2, seed=3)
    fast.data[...] = slow.data
    alone_slow, alone_fast = nn.Parameter(slow.data), nn.Parameter(fast.data)
    both = build(name, [{"params": [slow], "lr": 0.01}, {"params": [fast], "lr": 0.03}], **kwargs)
    singles = [build(name, [alone_slow], lr=0.01, **kwargs),
               build(name, [alone_fast], lr=0.03, **kwargs)]
    for opt in [both] + singles:
        if name in SCHEDULE_FREE:
            opt.train()
    for _ in range(20):
        for opt, params in [(both, [slow, fast]), (singles[0], [alone_slow]),
                            (singles[1], [alone_fast])]:
            advance(opt, params, gradient_setter(params, lambda x: x**3 - 0.5))
    np.testing.assert_array_equal(slow.data, alone_slow.data)
    np.testing.assert_array_equal(fast.data, alone_fast.data)
    assert not np.allclose(slow.data, fast.data)


@pytest.mark.parametrize("name", GROUP_RATES + ["Prodigy", "SAM"])
def test_schedule_as_lr_gives_each_step_its_rate(name):
    """lr=schedule equals setting the group's float lr to schedule(t) before step t + 1."""
    kwargs = {k: v for k, v in BUSY[name].items() if k != "lr"}
    base = BUSY[name].get("lr", 1.0)
    schedule = lambda t: base / (1 + 0.1 * t)  # noqa: E731
    p, q = matrices(2, seed=4)
    q.data[...] = p.data
    scheduled, manual = build(name, [p], lr=schedule, **kwargs), build(name, [q], lr=1.0, **kwargs)
    if name in SCHEDULE_FREE:
        scheduled.train()
        manual.train()
    start = p.data.copy()
    for t in range(30):
        assert scheduled.lr == schedule(t)
        manual.param_groups[0]["lr"] = schedule(t)
        for opt, x in ((scheduled, p), (manual, q)):
            advance(opt, [x], gradient_setter([x], lambda v: np.sin(3 * v) + 0.2))
    np.testing.assert_array_equal(p.data, q.data)
    assert np.abs(p.data - start).max() > 1e-5


def test_rprop_reads_its_rate_once_as_torch_does():
    """lr is only Rprop's initial step size: a schedule's later values change nothing."""
    p, q = matrices(2, seed=5)
    q.data[...] = p.data
    scheduled = optim.Rprop([p], lr=lambda t: 0.05 * 0.5**t)
    constant = optim.Rprop([q], lr=0.05)
    for _ in range(10):
        for x in (p, q):
            x.grad[...] = x.data - 0.3
        scheduled.step()
        constant.step()
    np.testing.assert_array_equal(p.data, q.data)


def test_rprop_steps_do_not_depend_on_the_gradients_scale():
    p, q = matrices(2, seed=6)
    q.data[...] = p.data
    opts = optim.Rprop([p], lr=0.01), optim.Rprop([q], lr=0.01)
    for _ in range(15):
        p.grad[...] = p.data - 0.3
        q.grad[...] = 1e6 * (q.data - 0.3)
        for opt in opts:
            opt.step()
    np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name, argument", [(n, a) for n in NAMES for a in INVALID[n]])
def test_out_of_range_argument_is_rejected_with_its_name(name, argument):
    value = INVALID[name][argument]
    params = matrices(1)
    with pytest.raises(ValueError, match=rf"^{re.escape(argument)}(?!\w)") as error:
        build(name, params, **{argument: value})
    assert "must be" in str(error.value)


@pytest.mark.parametrize("name, argument", [(n, a) for n in NAMES for a in WRONG_TYPE[n]])
def test_argument_of_the_wrong_type_is_a_type_error_with_its_name(name, argument):
    with pytest.raises(TypeError, match=rf"^{re.escape(argument)}(?!\w)"):
        build(name, matrices(1), **{argument: WRONG_TYPE[name][argument]})


@pytest.mark.parametrize("name", NAMES)
def test_float32_parameters_stay_float32(name):
    p = nn.Parameter(np.linspace(-1, 1, 12).reshape(3, 4), dtype=np.float32)
    opt = build(name, [p], **BUSY[name])
    if name in SCHEDULE_FREE:
        opt.train()
    for _ in range(3):
        advance(opt, [p], gradient_setter([p], np.cos))
    assert p.data.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))


# Muon and Newton–Schulz

def test_muon_refuses_parameters_that_are_not_matrices():
    with pytest.raises(ValueError, match=r"params\[1\].*\(3,\)"):
        optim.Muon([nn.Parameter(np.ones((2, 3))), nn.Parameter(np.ones(3))])


def test_cubic_newton_schulz_converges_to_the_polar_factor():
    rng = np.random.default_rng(7)
    for shape in [(4, 6), (6, 4), (5, 5)]:
        G = rng.standard_normal(shape)
        U, _, Vt = np.linalg.svd(G, full_matrices=False)
        X = optim.newton_schulz(G, steps=60, coefficients=(1.5, -0.5, 0.0))
        np.testing.assert_allclose(X, U @ Vt, atol=1e-12)


def test_quintic_newton_schulz_spreads_singular_values_around_one():
    """The default coefficients do not converge: the singular values end in a band around 1,
    the singular vectors are G's."""
    rng = np.random.default_rng(8)
    G = rng.standard_normal((32, 64))
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    X = optim.newton_schulz(G)
    sigma = np.linalg.svd(X, compute_uv=False)
    assert 0.6 < sigma.min() < 0.95 and 1.05 < sigma.max() < 1.3
    np.testing.assert_allclose(U.T @ X @ Vt.T, np.diag(np.diag(U.T @ X @ Vt.T)), atol=1e-10)
    more = optim.newton_schulz(G, steps=30)
    assert np.abs(np.linalg.svd(more, compute_uv=False) - 1).max() > 0.05


def test_quintic_map_settles_in_a_band_around_one_not_at_one():
    """p(σ) = aσ + bσ³ + cσ⁵ with the default coefficients, iterated from any σ in (0, 1]:
    the values settle in [0.68, 1.14] (measured: 0.6818…1.1344), so the distance of the result
    to the polar factor UVᵀ in the spectral norm stays about 0.32 however many steps are taken."""
    a, b, c = optim.muon.NS_COEFFICIENTS
    sigma = np.linspace(1e-3, 1.0, 10_001)
    for _ in range(60):
        sigma = a * sigma + b * sigma**3 + c * sigma**5
    assert 0.68 < sigma.min() < 0.69 and 1.13 < sigma.max() < 1.14


def test_newton_schulz_of_a_tall_matrix_is_the_transpose_of_its_transposes():
    G = np.random.default_rng(9).standard_normal((7, 3))
    np.testing.assert_array_equal(optim.newton_schulz(G), optim.newton_schulz(G.T).T)


# Schedule-free: the train()/eval() switch

@pytest.mark.parametrize("name", SCHEDULE_FREE)
def test_schedule_free_refuses_to_step_in_evaluation_mode(name):
    p = matrices(1)[0]
    opt = build(name, [p])
    assert not opt.training
    with pytest.raises(RuntimeError, match=r"train\(\)"):
        opt.step()
    opt.train()
    opt.step()
    opt.eval()
    with pytest.raises(RuntimeError, match="evaluation mode"):
        opt.step()


@pytest.mark.parametrize("name", SCHEDULE_FREE)
def test_eval_gives_the_average_and_train_returns_to_y(name):
    p = matrices(1, seed=10)[0]
    opt = build(name, [p], **BUSY[name])
    opt.train()
    for _ in range(15):
        p.grad[...] = p.data**3 - 0.5
        opt.step()
    y = p.data.copy()
    z = opt.state[p]["z"]
    beta = opt.param_groups[0]["momentum"] if name == "SGDScheduleFree" else opt.param_groups[0]["betas"][0]
    opt.eval()
    x = p.data.copy()
    np.testing.assert_allclose(y, (1 - beta) * z + beta * x, rtol=1e-12, atol=1e-14)
    assert np.abs(x - y).max() > 1e-4
    opt.eval()                                    # a second eval() changes nothing
    np.testing.assert_array_equal(p.data, x)
    opt.train()
    np.testing.assert_allclose(p.data, y, rtol=1e-12, atol=1e-14)


# Prodigy

def test_prodigy_estimate_grows_from_d0_and_never_falls():
    case = next(c for c in CASES if c["optimizer"] == "Prodigy" and not c["kwargs"])
    _, records = run_case(case)
    d = np.array(records["d"])
    assert d[0] >= 1e-6 and d[-1] > 1e3 * d[0]
    assert np.all(np.diff(d) >= 0)


def test_prodigy_needs_one_rate_for_all_groups_but_may_freeze_one():
    p, q = matrices(2)
    frozen = q.data.copy()
    opt = optim.Prodigy([{"params": [p]}, {"params": [q], "lr": 0.0}])
    for _ in range(5):
        p.grad[...] = q.grad[...] = 1.0
        opt.step()
    np.testing.assert_array_equal(q.data, frozen)
    opt = optim.Prodigy([{"params": [p]}, {"params": [q], "lr": 0.5}])
    with pytest.raises(ValueError, match="one rate"):
        opt.step()


# SAM: the closure protocol

def test_sam_declares_that_it_needs_a_closure_and_says_so_without_one():
    assert optim.SAM.needs_closure is True
    p = matrices(1)[0]
    opt = optim.SAM([p], optim.SGD, lr=0.1)
    with pytest.raises(TypeError, match=r"SAM\.step needs a closure"):
        opt.step()


def test_sam_takes_the_base_step_with_the_gradient_at_the_perturbed_point():
    """On f = ½‖θ − c‖² with SGD: e = ρg/‖g‖, θ ← θ − η(θ + e − c). The closure runs at θ, then
    at θ + e, each time after the gradients were zeroed (it may accumulate into them, as
    ``backward`` does); step returns the loss at θ."""
    c = np.array([1.0, -2.0, 0.5])
    p = nn.Parameter(np.array([3.0, 1.0, -1.0]))
    p.grad[...] = 123.0                            # stale: must not be used
    opt = optim.SAM([p], optim.SGD, lr=0.1, rho=0.2)
    seen = []

    def closure():
        seen.append((p.data.copy(), p.grad.copy()))
        p.grad[...] += p.data - c
        return 0.5 * float(np.sum((p.data - c) ** 2))

    theta = p.data.copy()
    e = 0.2 * (theta - c) / np.linalg.norm(theta - c)
    loss = opt.step(closure)
    assert len(seen) == 2
    np.testing.assert_array_equal(seen[0][0], theta)
    np.testing.assert_allclose(seen[1][0], theta + e, rtol=1e-7)    # radius rounded to float32
    assert all(np.all(grad == 0.0) for _, grad in seen)
    assert loss == 0.5 * np.sum((theta - c) ** 2)
    np.testing.assert_allclose(p.data, theta - 0.1 * (theta + e - c), rtol=1e-7)
    assert "old_p" not in opt.state[p]


def test_minimize_drives_sam_with_its_closure():
    """train.minimize hands SAM only a closure: its path is SAM's (here with plain SGD on a
    quadratic, e = ρ∇f/‖∇f‖ computed by hand), not SGD's."""
    f = problems.quadratic(condition_number=10)
    path = train.minimize(f, optim.SAM, steps=20, base_optimizer=optim.SGD, lr=0.05, rho=0.1)
    theta = f.x0.astype(float)
    for k in range(20):
        g = f.grad(theta)
        e = 0.1 * g / np.linalg.norm(g)
        theta = theta - 0.05 * f.grad(theta + e)
        np.testing.assert_allclose(path[k + 1], theta, rtol=1e-6, atol=1e-9)
    plain = train.minimize(f, optim.SGD, steps=20, lr=0.05)
    assert np.abs(path[-1] - plain[-1]).max() > 1e-3


@pytest.mark.parametrize("base", [optim.LBFGS, optim.SAM])
def test_sam_refuses_a_base_optimizer_that_needs_a_closure(base):
    with pytest.raises(TypeError, match=f"base_optimizer.*{base.__name__}"):
        optim.SAM(matrices(1), base)


def test_sam_groups_keep_their_own_rho():
    p, q = matrices(2)
    opt = optim.SAM([{"params": [p], "rho": 0.3}, {"params": [q]}], optim.Adam, lr=0.01)
    assert [g["rho"] for g in opt.param_groups] == [0.3, 0.05]
    assert opt.param_groups is opt.base_optimizer.param_groups
    assert opt.lr == 0.01 and opt.defaults["rho"] == 0.05


# train.fit drives every one of them

def regression(seed=0):
    """Linear regression with the bias as a weight on a column of ones: every parameter is a
    matrix, so Muon can take them all."""
    X, y = data.linear_regression(n=96, d=4, noise=0.1, seed=seed)
    X = np.hstack([X, np.ones((len(X), 1))])
    model = nn.Sequential(nn.Linear(5, 1, bias=False, rng=np.random.default_rng(seed)))
    return model, X, y


FIT_SETTINGS = {
    "Rprop": dict(lr=0.01), "ASGD": dict(lr=0.02, t0=20.0), "Adafactor": dict(lr=0.1),
    "Muon": dict(lr=0.05, weight_decay=0.0), "Lion": dict(lr=0.05),
    "SGDScheduleFree": dict(lr=0.05), "AdamWScheduleFree": dict(lr=0.05),
    "Prodigy": dict(), "SAM": dict(base_optimizer=optim.SGD, lr=0.05, momentum=0.9),
}
@pytest.mark.parametrize("name", NAMES)
def test_fit_drives_each_new_optimizer(name):
    model, X, y = regression()
    opt = getattr(optim, name)(model.parameters(), **FIT_SETTINGS[name])
    history = train.fit(model, nn.MSELoss(), opt, X, y, epochs=15, batch_size=16,
                        validation=(X, y), progress=False)
    assert np.all(np.isfinite(history.loss))
    assert history.epoch_loss[-1] < 0.5 * history.epoch_loss[0]
    assert history.val_loss[-1] < 0.5 * history.val_loss[0]


@pytest.mark.parametrize("name", SCHEDULE_FREE)
def test_fit_validates_and_leaves_the_model_at_the_averaged_weights(name):
    model, X, y = regression(seed=2)
    Xv, yv = X[:32], y[:32]
    opt = getattr(optim, name)(model.parameters(), **FIT_SETTINGS[name])
    history = train.fit(model, nn.MSELoss(), opt, X, y, epochs=4, batch_size=16,
                        validation=(Xv, yv), progress=False)
    assert not opt.training
    at_x = train.evaluate(model, nn.MSELoss(), Xv, yv)[0]
    assert history.val_loss[-1] == at_x
    opt.train()                                   # y, the training point, scores differently
    assert train.evaluate(model, nn.MSELoss(), Xv, yv)[0] != pytest.approx(at_x, rel=1e-6)


# Memory: the bytes of state per parameter

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_state_bytes_per_parameter_counts_each_methods_arrays(dtype):
    """A 30×40 matrix and a 40-vector: SGD keeps nothing (a momentum buffer with momentum),
    Adam two moments, Lion and Muon one buffer, Adafactor 30 + 40 numbers for the matrix and a
    full second moment for the vector."""
    size = np.dtype(dtype).itemsize
    expected = {("SGD", 0.0): 0.0, ("SGD", 0.9): size, ("Adam", None): 2 * size,
                ("Lion", None): size, ("Adafactor", None): size * (30 + 40 + 40) / (1200 + 40)}
    for (name, momentum), bytes_per_parameter in expected.items():
        params = [nn.Parameter(np.ones((30, 40)), dtype=dtype), nn.Parameter(np.ones(40), dtype=dtype)]
        for p in params:
            p.grad[...] = 0.5
        kwargs = {"momentum": momentum} if momentum is not None else {}
        opt = getattr(optim, name)(params, **kwargs)
        opt.step()
        assert optim.state_bytes_per_parameter(opt) == pytest.approx(bytes_per_parameter, rel=1e-12)
    W = nn.Parameter(np.ones((30, 40)), dtype=dtype)
    W.grad[...] = 0.5
    muon = optim.Muon([W])
    muon.step()
    assert optim.state_bytes_per_parameter(muon) == size
