"""Every optimizer against torch.optim: trajectories, state_dict round trips, parameter groups
and schedules as rates, parametrized over the recorded cases.

The registry is the set of files tests/reference/optim_<name>.npz, each written by
tests/reference/make_<name>_reference.py with the helpers in tests/reference/optim_reference.py
(the problem, the case format, the torch runner). A new optimizer is tested by adding its file.
"""
import json
import pathlib
import pickle

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
    run = Run(case, problem)
    for group, spec in zip(run.opt.param_groups, case["groups"]):
        for key, value in spec.items():
            if key != "params":
                assert group[key] == value
        for key, value in case["defaults"].items():
            if key not in spec:
                assert group[key] == value


@pytest.mark.parametrize("case, problem, reference",
                         [c for c in CASES if c[0]["schedule"]],
                         ids=[i for i, c in zip(IDS, CASES) if c[0]["schedule"]])
def test_a_schedule_sets_every_rate(case, problem, reference):
    run = Run(case, problem)
    for t in range(len(reference) - 1):
        assert run.opt.lr == run.schedule(t)
        run.step()
