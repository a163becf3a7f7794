"""Every optimizer against torch.optim: trajectories, state_dict round trips, parameter groups
and schedules as rates, parametrized over the recorded cases.

The registry is the set of files tests/reference/optim_<name>.npz, each written by
tests/reference/make_<name>_reference.py with the helpers in tests/reference/optim_reference.py
(the problem, the case format, the torch runner). A new optimizer is tested by adding its file.
"""
import json
import pathlib
import pickle
import re

import numpy as np
import pytest

from descent import nn, optim, schedules

REFERENCE_DIR = pathlib.Path(__file__).with_name("reference")
FILES = sorted(REFERENCE_DIR.glob("optim_*.npz"))


def load(path):
    with np.load(path, allow_pickle=False) as z:
        cases = json.loads(str(z["cases"]))
        problem = {k: z[k] for k in ("X", "Y", "W0", "b0")}
        return [(case, problem, z[f"case_{i}"]) for i, case in enumerate(cases)]


CASES = [entry for path in FILES for entry in load(path)]
IDS = [f"{case['optimizer']}: {case['id']}" for case, _, _ in CASES]


def build_schedule(spec):
    kwargs = dict(spec["kwargs"])
    if "schedule" in kwargs:
        kwargs["schedule"] = build_schedule(kwargs["schedule"])
    if "schedules" in kwargs:
        kwargs["schedules"] = [build_schedule(s) for s in kwargs["schedules"]]
    return getattr(schedules, spec["name"])(**kwargs)


class Run:
    """One case: the parameters, the optimizer, and the gradient of the case's objective."""

    def __init__(self, case, problem, start=None):
        self.case, self.problem = case, problem
        flat = np.concatenate([problem["W0"].ravel(), problem["b0"]]) if start is None else start
        self.W = nn.Parameter(flat[:6].reshape(2, 3))
        self.b = nn.Parameter(flat[6:])
        params = [self.W, self.b]
        defaults = dict(case["defaults"])
        self.schedule = None
        if case["schedule"]:
            self.schedule = build_schedule(case["schedule"])
            defaults["lr"] = self.schedule
        if case["groups"]:
            params = [dict(g, params=[params[i] for i in g["params"]]) for g in case["groups"]]
        self.opt = getattr(optim, case["optimizer"])(params, **defaults)
        self.sign = -1.0 if case["objective"] == "maximize" else 1.0
        self.cycle_momentum = bool(case["schedule"] and case["schedule"].get("cycle_momentum"))

    def step(self):
        X, Y = self.problem["X"], self.problem["Y"]
        r = X @ self.W.data.T + self.b.data - Y
        G = self.sign * np.tanh(r) / r.size
        self.W.grad[...] = G.T @ X
        self.b.grad[...] = G.sum(axis=0)
        if self.cycle_momentum:
            momentum = self.schedule.momentum()(self.opt.steps_taken)
            for group in self.opt.param_groups:
                group["momentum"] = momentum
        self.opt.step()
        return self.flat()

    def flat(self):
        return np.concatenate([self.W.data.ravel(), self.b.data])


def assert_close(path, reference, rtol):
    """Each iterate within rtol of torch's, relative to the iterate's norm."""
    errors = np.linalg.norm(path - reference, axis=1) / np.linalg.norm(reference, axis=1)
    assert errors.max() <= rtol, f"relative error {errors.max():.2e} at step {errors.argmax()}"


def test_the_registry_is_not_empty_and_names_real_optimizers():
    assert any(f.name == "optim_sgd.npz" for f in FILES)
    assert all(hasattr(optim, case["optimizer"]) for case, _, _ in CASES)


@pytest.mark.parametrize("case, problem, reference", CASES, ids=IDS)
def test_trajectory_matches_torch(case, problem, reference):
    run = Run(case, problem)
    path = np.array([run.flat()] + [run.step() for _ in range(len(reference) - 1)])
    assert_close(path, reference, case.get("rtol", 1e-10))
    assert np.linalg.norm(reference[-1] - reference[0]) > 1e-2      # the case really moves


@pytest.mark.parametrize("case, problem, reference", CASES, ids=IDS)
def test_state_dict_round_trip_mid_run(case, problem, reference):
    half = len(reference) // 2
    first = Run(case, problem)
    for _ in range(half):
        first.step()
    saved = pickle.loads(pickle.dumps(first.opt.state_dict()))   # as a checkpoint on disk would
    for _ in range(3):                     # the saved copy must not follow the optimizer
        first.step()
    second = Run(case, problem, start=reference[half])
    second.opt.load_state_dict(saved)
    path = np.array([second.step() for _ in range(len(reference) - 1 - half)])
    assert_close(path, reference[half + 1:], case.get("rtol", 1e-10))


@pytest.mark.parametrize("case, problem, reference",
                         [c for c in CASES if c[0]["groups"]],
                         ids=[i for i, c in zip(IDS, CASES) if c[0]["groups"]])
def test_parameter_groups_keep_their_own_hyperparameters(case, problem, reference):
    """Without its groups' own settings the run leaves torch's trajectory: the per-group values
    are what the matching trajectory used."""
    plain = dict(case, groups=[{"params": g["params"]} for g in case["groups"]])
    run = Run(plain, problem)
    path = np.array([run.flat()] + [run.step() for _ in range(len(reference) - 1)])
    errors = np.linalg.norm(path - reference, axis=1) / np.linalg.norm(reference, axis=1)
    assert errors.max() > 1e-4


def torch_closed_form(spec, t):
    """The rate torch's scheduler gives after t calls of scheduler.step(), from its documentation."""
    kw = spec["kwargs"]
    if spec["name"] == "cosine_annealing":   # CosineAnnealingLR, eta_min = 0
        return kw["lr"] * (1 + np.cos(np.pi * t / kw["T_max"])) / 2
    return kw["lr"] * kw["gamma"] ** (t // kw["step_size"])   # StepLR


CLOSED_FORM = [c for c in CASES if c[0]["schedule"]
               and c[0]["schedule"]["name"] in ("cosine_annealing", "step_decay")]


@pytest.mark.parametrize("case, problem, reference", CLOSED_FORM,
                         ids=[f"{c[0]['optimizer']}: {c[0]['id']}" for c in CLOSED_FORM])
def test_a_schedule_sets_the_rate_of_every_step_as_torch(case, problem, reference):
    run = Run(case, problem)
    for t in range(len(reference) - 1):
        assert run.opt.lr == pytest.approx(torch_closed_form(case["schedule"], t), rel=1e-12, abs=1e-15)
        run.step()
    assert run.opt.steps_taken == len(reference) - 1


# --------------------------------------------------------------------------- torch at the edges

FIRST_ORDER = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam", "Adamax", "RAdam"]


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_load_state_dict_checks_the_loaded_hyperparameters(name):
    p = nn.Parameter(np.ones(3))
    opt = getattr(optim, name)([p], lr=0.1)
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr must be in"):
        opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.1       # nothing changed


def test_load_state_dict_refuses_adam_betas_out_of_range():
    p = nn.Parameter(np.ones(3))
    opt = optim.Adam([p], lr=0.1)
    saved = opt.state_dict()
    saved["param_groups"][0].update(betas=(1.5, 0.999))
    with pytest.raises(ValueError, match="beta"):
        opt.load_state_dict(saved)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_zero_grad_sets_to_none_and_step_skips_those_parameters(name):
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.full(2, 2.0))
    opt = getattr(optim, name)([a, b], lr=0.1)
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    a.grad = np.array([1.0, -2.0, 3.0])
    opt.step()
    assert not np.array_equal(a.data, np.ones(3))
    np.testing.assert_array_equal(b.data, [2.0, 2.0])    # no gradient: untouched, as torch
    assert b not in opt.state
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad, np.zeros(3))
    assert b.grad is None


def test_parameter_groups_keep_extra_keys_as_torch():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": [a], "name": "weights"}, {"params": [b], "name": "biases", "lr": 0.5}],
                    lr=0.1)
    assert [g["name"] for g in opt.param_groups] == ["weights", "biases"]
    restored = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    restored.load_state_dict(opt.state_dict())
    assert [g["name"] for g in restored.param_groups] == ["weights", "biases"]
    assert restored.param_groups[1]["lr"] == 0.5


@pytest.mark.parametrize("value", ["0.1", None, [0.1], True])
def test_a_rate_of_the_wrong_type_is_a_type_error(value):
    with pytest.raises(TypeError, match=f"lr must be a number or a schedule .*got {re.escape(repr(value))}"):
        optim.SGD([nn.Parameter(np.ones(2))], lr=value)


@pytest.mark.parametrize("name, kwargs, error, match", [
    ("SGD", dict(momentum="0.9"), TypeError, "momentum must be a real number, got '0.9'"),
    ("SGD", dict(momentum=-0.9), ValueError, r"momentum must be in \[0, inf\], got -0.9"),
    ("Adam", dict(eps=None), TypeError, "eps must be a real number, got None"),
    ("LBFGS", dict(max_iter=2.5), TypeError, "max_iter must be an integer, got 2.5"),
    ("LBFGS", dict(max_iter=0), ValueError, "max_iter must be an integer >= 1, got 0"),
])
def test_wrong_types_and_values_follow_pythons_convention(name, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(optim, name)([nn.Parameter(np.ones(2))], **kwargs)


def test_load_state_dict_refuses_a_different_number_of_groups():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    two = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    one = optim.SGD([nn.Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups or parameters"):
        two.load_state_dict(one.state_dict())


def test_sgd_weight_decay_of_one_is_applied():
    p = nn.Parameter(np.array([2.0, -1.0]))
    opt = optim.SGD([p], lr=0.1, weight_decay=1.0)
    p.grad = np.array([0.5, 0.5])
    opt.step()
    np.testing.assert_allclose(p.data, [2.0 - 0.1 * (0.5 + 2.0), -1.0 - 0.1 * (0.5 - 1.0)], rtol=1e-15)


@pytest.mark.parametrize("make, error, match", [
    (lambda p: optim.SGD([]), ValueError, "optimizer got an empty parameter list"),
    (lambda p: optim.SGD([{"params": [p]}, [p]]), TypeError, "a parameter group must be a dict, got list"),
    (lambda p: optim.SGD([{"params": []}]), ValueError, "a parameter group needs a non-empty 'params' list"),
    (lambda p: optim.SGD([p, np.ones(2)]), TypeError, r"params\[1\] must be a descent.nn.Parameter, got ndarray"),
    (lambda p: optim.SGD([p, p]), ValueError, "a parameter appears in more than one place in the parameter groups"),
    (lambda p: optim.SGD([p], lr="0.1"), TypeError, r"got '0.1' \(str\)"),
    (lambda p: optim.SGD([p], dampening="0"), TypeError, "dampening must be a real number"),
    (lambda p: optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "nesterov=True requires momentum > 0 and dampening = 0, got"),
])
def test_optimizer_errors_name_the_problem(make, error, match):
    with pytest.raises(error, match=match):
        make(nn.Parameter(np.ones(2)))


def test_load_state_dict_names_a_state_of_the_wrong_shape():
    p = nn.Parameter(np.ones(3))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(3)
    opt.step()
    saved = opt.state_dict()
    other = optim.SGD([nn.Parameter(np.ones(4))], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"loaded state for parameter 0 has shape \(3,\), the "
                                         r"parameter has shape \(4,\)"):
        other.load_state_dict(saved)


def test_a_single_parameter_is_accepted_where_a_list_is():
    p = nn.Parameter(np.ones(2))
    assert optim.SGD(p, lr=0.1).param_groups[0]["params"] == [p]
    assert optim.SGD([{"params": p}], lr=0.1).param_groups[0]["params"] == [p]
    assert optim.SGD([{"params": (p,)}], lr=0.1).param_groups[0]["params"] == [p]
    p.grad = np.array([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0) == pytest.approx(5.0)   # a bare Parameter, as torch


def test_repr_lists_each_group_as_torch():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": [a], "name": "w"}, {"params": [b], "lr": 0.5}], lr=0.1)
    group = ("    dampening: 0.0\n    lr: {lr}\n    maximize: False\n    momentum: 0.0\n"
             "{name}    nesterov: False\n    weight_decay: 0.0\n")
    assert repr(opt) == ("SGD (\nParameter Group 0\n" + group.format(lr=0.1, name="    name: w\n")
                         + "Parameter Group 1\n" + group.format(lr=0.5, name="") + ")")
