"""The adaptive optimizers against torch.optim's trajectories, state, groups, schedules and checks.

Reference data: tests/reference/make_adaptive_reference.py (needs torch) wrote the trajectories;
these tests need numpy only. Every test is parametrized over ADAPTIVE, so a new optimizer is
tested by being registered there (with its cases added to the reference script).
"""
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from descent import nn, optim
from descent.optim import elementwise

REFERENCE = Path(__file__).parent / "reference"
META = json.loads((REFERENCE / "adaptive_reference.json").read_text())
DATA = np.load(REFERENCE / "adaptive_reference.npz")
ADAPTIVE = [optim.Adagrad, optim.RMSprop, optim.Adadelta, optim.Adam, optim.AdamW, optim.NAdam,
            optim.Adamax, optim.RAdam]
NAMES = [cls.__name__ for cls in ADAPTIVE]
N_PARAMS = len(META["shapes"])

# Settings that switch on every branch of each update (for the generic tests below).
BUSY = {
    "Adagrad": dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5),
    "RMSprop": dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1),
    "Adadelta": dict(lr=0.5, rho=0.5, weight_decay=0.1),
    "Adam": dict(lr=0.05, amsgrad=True, weight_decay=0.1),
    "AdamW": dict(lr=0.05, amsgrad=True),
    "NAdam": dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    "Adamax": dict(lr=0.01, weight_decay=0.1),
    "RAdam": dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
}
# torch's constraints (ValueError at construction), one bad value per argument.
INVALID = {
    "Adagrad": dict(lr=-1e-3, lr_decay=-0.1, weight_decay=-0.1, initial_accumulator_value=-1.0,
                    eps=-1e-10),
    "RMSprop": dict(lr=-1e-3, eps=-1e-8, momentum=-0.9, weight_decay=-0.1, alpha=-0.5),
    "Adadelta": dict(lr=-1.0, rho=1.5, eps=-1e-6, weight_decay=-0.1),
    "Adam": dict(lr=-1e-3, eps=-1e-8, weight_decay=-0.1),
    "AdamW": dict(lr=-1e-3, eps=-1e-8, weight_decay=-0.1),
    "NAdam": dict(lr=-1e-3, eps=-1e-8, weight_decay=-0.1, momentum_decay=-4e-3),
    "Adamax": dict(lr=-1e-3, eps=-1e-8, weight_decay=-0.1),
    "RAdam": dict(lr=-1e-3, eps=-1e-8, weight_decay=-0.1),
}
HAS_BETAS = ["Adam", "AdamW", "NAdam", "Adamax", "RAdam"]


def problem():
    theta = [DATA[f"theta0_{i}"] for i in range(N_PARAMS)]
    a = [DATA[f"a_{i}"] for i in range(N_PARAMS)]
    c = [DATA[f"c_{i}"] for i in range(N_PARAMS)]
    return [nn.Parameter(t) for t in theta], a, c


def set_gradients(params, a, c, sign=1.0):
    """∇f = a(θ − c) + θ·θ·θ, elementwise (bit-identical to the torch script's)."""
    for p, ai, ci in zip(params, a, c):
        p.grad[...] = sign * (ai * (p.data - ci) + p.data * p.data * p.data)


def build(case, params):
    cls = getattr(optim, case["optimizer"])
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in case["kwargs"].items()}
    if case["groups"] is not None:
        rates = case["groups"]
        if case["schedule_gamma"] is not None:
            raise ValueError("the reference has no case with both groups and a schedule")
        return cls([{"params": params[:2], "lr": rates[0]},
                    {"params": params[2:], "lr": rates[1]}], **kwargs)
    if case["schedule_gamma"] is not None:
        base = kwargs.pop("lr", cls(params).defaults["lr"])
        gamma = case["schedule_gamma"]
        return cls(params, lr=lambda t: base * gamma**t, **kwargs)
    return cls(params, **kwargs)


def run_case(case, steps):
    params, a, c = problem()
    opt = build(case, params)
    sign = -1.0 if case["kwargs"].get("maximize") else 1.0
    path = [[p.data.copy()] for p in params]
    for _ in range(steps):
        set_gradients(params, a, c, sign)
        opt.step()
        for trace, p in zip(path, params):
            trace.append(p.data.copy())
    return [np.stack(trace) for trace in path]


def max_relative_error(path, case_id):
    worst = 0.0
    for i, trace in enumerate(path):
        ref = DATA[f"{case_id}/{i}"]
        assert trace.shape == ref.shape
        diff = np.abs(trace - ref).reshape(len(ref), -1).max(axis=1)
        scale = np.abs(ref).reshape(len(ref), -1).max(axis=1)
        worst = max(worst, float((diff / scale).max()))
    return worst


CASE_IDS = [case["id"] for case in META["cases"]]


def test_every_registered_optimizer_has_reference_cases():
    covered = {case["optimizer"] for case in META["cases"]}
    assert covered == set(NAMES)


@pytest.mark.parametrize("case", META["cases"], ids=CASE_IDS)
def test_trajectory_matches_torch(case):
    path = run_case(case, META["steps"])
    assert max_relative_error(path, case["id"]) <= 1e-10
    moved = np.abs(path[0][-1] - path[0][0]).max()
    assert moved > 1e-4, "a trajectory that does not move tests nothing"


@pytest.mark.parametrize("case", [c for c in META["cases"] if not c["kwargs"]], ids=lambda c: c["id"])
def test_trajectory_matches_torch_in_tiny_blocks(case, monkeypatch):
    """Blocks of 2 elements (3, 4, 5 and 1-element arrays split unevenly) give the same path."""
    monkeypatch.setattr(elementwise, "BLOCK_BYTES", 16)
    assert max_relative_error(run_case(case, META["steps"]), case["id"]) <= 1e-10


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_torchs(name):
    expected = {
        "Adagrad": dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                        eps=1e-10, maximize=False),
        "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                        centered=False, maximize=False),
        "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False),
        "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                     maximize=False, decoupled_weight_decay=False),
        "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                      maximize=False, decoupled_weight_decay=True),
        "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                      momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False),
        "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False),
        "RAdam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                      decoupled_weight_decay=False, maximize=False),
    }[name]
    opt = getattr(optim, name)([nn.Parameter(np.zeros(2))])
    assert opt.defaults == expected
    assert opt.param_groups[0]["lr"] == expected["lr"] == opt.lr


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_mid_run_continues_identically(name):
    case = {"optimizer": name, "kwargs": BUSY[name], "groups": None, "schedule_gamma": None}
    params, a, c = problem()
    opt = build(case, params)
    for _ in range(40):
        set_gradients(params, a, c)
        opt.step()
    saved = opt.state_dict()
    copies = [nn.Parameter(p.data) for p in params]
    resumed = build(case, copies)
    resumed.load_state_dict(saved)
    saved_before = {i: {k: np.copy(v) for k, v in s.items()} for i, s in saved["state"].items()}
    for _ in range(40):
        set_gradients(params, a, c)
        opt.step()
        set_gradients(copies, a, c)
        resumed.step()
    for p, q in zip(params, copies):
        np.testing.assert_array_equal(p.data, q.data)
    for i, s in saved["state"].items():  # the saved dict is a copy: stepping did not change it
        for k, v in s.items():
            np.testing.assert_array_equal(v, saved_before[i][k])
    assert resumed.state_dict()["state"][0]["step"] == 80


@pytest.mark.parametrize("name", NAMES)
def test_state_holds_torchs_keys(name):
    keys = {"Adagrad": {"step", "sum"}, "RMSprop": {"step", "square_avg"},
            "Adadelta": {"step", "square_avg", "acc_delta"},
            "Adam": {"step", "exp_avg", "exp_avg_sq"}, "AdamW": {"step", "exp_avg", "exp_avg_sq"},
            "NAdam": {"step", "mu_product", "exp_avg", "exp_avg_sq"},
            "Adamax": {"step", "exp_avg", "exp_inf"}, "RAdam": {"step", "exp_avg", "exp_avg_sq"}}
    p = nn.Parameter(np.ones(3))
    p.grad[...] = 1.0
    opt = getattr(optim, name)([p])
    opt.step()
    assert set(opt.state[p]) == keys[name]


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_use_their_own_rates(name):
    """Two groups, identical parameters: each moves as a one-group optimizer with its rate."""
    cls = getattr(optim, name)
    kwargs = {k: v for k, v in BUSY[name].items() if k != "lr"}
    slow, fast = nn.Parameter(np.linspace(-1, 1, 6)), nn.Parameter(np.linspace(-1, 1, 6))
    alone_slow, alone_fast = nn.Parameter(slow.data), nn.Parameter(fast.data)
    both = cls([{"params": [slow], "lr": 0.01}, {"params": [fast], "lr": 0.1}], **kwargs)
    singles = [cls([alone_slow], lr=0.01, **kwargs), cls([alone_fast], lr=0.1, **kwargs)]
    for _ in range(20):
        for p in (slow, fast, alone_slow, alone_fast):
            p.grad[...] = p.data**3 - 0.5
        both.step()
        for opt in singles:
            opt.step()
    np.testing.assert_array_equal(slow.data, alone_slow.data)
    np.testing.assert_array_equal(fast.data, alone_fast.data)
    assert not np.allclose(slow.data, fast.data)


@pytest.mark.parametrize("name", NAMES)
def test_schedule_as_lr_gives_each_step_its_rate(name):
    """lr=schedule equals setting the group's float lr to schedule(t) before step t + 1."""
    cls = getattr(optim, name)
    kwargs = {k: v for k, v in BUSY[name].items() if k != "lr"}
    schedule = lambda t: 0.05 / (1 + t)  # noqa: E731
    p, q = nn.Parameter(np.linspace(-1, 1, 5)), nn.Parameter(np.linspace(-1, 1, 5))
    scheduled, manual = cls([p], lr=schedule, **kwargs), cls([q], lr=1.0, **kwargs)
    for t in range(30):
        assert scheduled.lr == schedule(t)
        manual.param_groups[0]["lr"] = schedule(t)
        for x in (p, q):
            x.grad[...] = np.sin(3 * x.data) + 0.2
        scheduled.step()
        manual.step()
    np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name, argument", [(n, a) for n in NAMES for a in INVALID[n]])
def test_invalid_argument_is_rejected_with_its_name(name, argument):
    value = INVALID[name][argument]
    with pytest.raises(ValueError, match=rf"^{re.escape(argument)}(?!\w)"):
        getattr(optim, name)([nn.Parameter(np.zeros(2))], **{argument: value})


@pytest.mark.parametrize("name", HAS_BETAS)
@pytest.mark.parametrize("betas, index", [((1.0, 0.999), 0), ((-0.1, 0.999), 0),
                                          ((0.9, 1.0), 1), ((0.9, math.nan), 1)])
def test_betas_outside_unit_interval_are_rejected(name, betas, index):
    with pytest.raises(ValueError, match=rf"^betas\[{index}\]"):
        getattr(optim, name)([nn.Parameter(np.zeros(2))], betas=betas)


@pytest.mark.parametrize("name", HAS_BETAS)
@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 0.99, 0.999), "ab", None])
def test_betas_must_be_a_pair(name, betas):
    """Not a pair of numbers is a value of the wrong type: TypeError, naming betas, the value
    and what is allowed (a number outside [0, 1) is a ValueError, above)."""
    with pytest.raises(TypeError, match=r"^betas must be a tuple of 2 numbers, got "
                                        + re.escape(repr(betas))):
        getattr(optim, name)([nn.Parameter(np.zeros(2))], betas=betas)


@pytest.mark.parametrize("name", HAS_BETAS)
def test_a_beta_that_is_no_number_raises_type_error(name):
    with pytest.raises(TypeError, match=r"^betas\[1\] must be a real number, got '0.999'"):
        getattr(optim, name)([nn.Parameter(np.zeros(2))], betas=(0.9, "0.999"))


def test_adadelta_rho_may_be_one_but_not_more():
    optim.Adadelta([nn.Parameter(np.zeros(2))], rho=1.0)
    with pytest.raises(ValueError, match="^rho "):
        optim.Adadelta([nn.Parameter(np.zeros(2))], rho=-0.1)


def test_rmsprop_alpha_has_no_upper_bound_as_in_torch():
    optim.RMSprop([nn.Parameter(np.zeros(2))], alpha=1.5)


@pytest.mark.parametrize("name", NAMES)
def test_steps_allocate_no_parameter_sized_arrays(name):
    """After the first step, a step on a 200 000-element float32 parameter allocates no more
    than a few small blocks (tracemalloc counts numpy's allocations)."""
    import tracemalloc
    p = nn.Parameter(np.linspace(-1, 1, 200_000), dtype=np.float32)
    p.grad[...] = np.cos(p.data)
    opt = getattr(optim, name)([p], **BUSY[name])
    opt.step()
    tracemalloc.start()
    opt.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < p.data.nbytes / 4


@pytest.mark.parametrize("name", NAMES)
def test_float32_parameters_stay_float32(name):
    p = nn.Parameter(np.linspace(-1, 1, 7), dtype=np.float32)
    p.grad[...] = 1.0
    opt = getattr(optim, name)([p], **BUSY[name])
    for _ in range(3):
        opt.step()
    assert p.data.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_parameter_is_updated_in_place(name):
    base = np.linspace(-1, 1, 12).reshape(3, 4)
    p = nn.Parameter(base)
    q = nn.Parameter(base)
    p.data = np.asfortranarray(p.data)  # same values, not C-contiguous
    opt_p, opt_q = getattr(optim, name)([p], **BUSY[name]), getattr(optim, name)([q], **BUSY[name])
    for _ in range(5):
        p.grad = np.asfortranarray(np.sin(p.data))
        q.grad[...] = np.sin(q.data)
        opt_p.step()
        opt_q.step()
    np.testing.assert_allclose(p.data, q.data, rtol=1e-14, atol=1e-15)
    assert not np.allclose(q.data, base)
