"""Reference trajectories of torch.optim's adaptive optimizers, for tests/test_optim_adaptive.py.

Run with torch installed (it is not a dependency of the course):

    python tests/reference/make_adaptive_reference.py

It writes adaptive_reference.json (the cases) and adaptive_reference.npz (the problem and
every trajectory), for tests/test_optim_adaptive.py, and optim_<name>.npz for each optimizer in
the shared registry of tests/test_optim.py (problem and format in optim_reference.py). The problem is elementwise, so numpy and torch compute bit-identical
gradients and any difference in a trajectory comes from the optimizer alone:

    f(θ) = Σ ½ a (θ − c)² + ¼ θ⁴,   ∇f = a (θ − c) + θ·θ·θ

over three parameters of shapes (3, 4), (5,) and (). Cases with ``maximize`` receive −∇f, so
they follow the same path. Everything is float64; 100 steps.
"""
import json
from pathlib import Path

import sys

import numpy as np
import torch

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import optim_reference  # noqa: E402
STEPS = 100
SHAPES = [(3, 4), (5,), ()]

CASES = {
    "Adagrad": [
        {},
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5,
         "eps": 1e-3},
        {"maximize": True},
    ],
    "RMSprop": [
        {},
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-4, "weight_decay": 0.1, "momentum": 0.9,
         "centered": True},
        {"momentum": 0.5},
        {"centered": True},
        {"maximize": True},
    ],
    "Adadelta": [
        {},
        {"lr": 0.5, "rho": 0.5, "eps": 1e-3, "weight_decay": 0.1},
        {"maximize": True},
    ],
    "Adam": [
        {},
        {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-3, "weight_decay": 0.1, "amsgrad": True},
        {"amsgrad": True, "lr": 0.05},
        {"weight_decay": 0.1, "decoupled_weight_decay": True, "lr": 0.05},
        {"maximize": True},
    ],
    "AdamW": [
        {},
        {"lr": 0.05, "betas": [0.5, 0.9], "eps": 1e-6, "weight_decay": 0.5, "amsgrad": True},
        {"maximize": True},
    ],
    "NAdam": [
        {},
        {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-3, "weight_decay": 0.1,
         "momentum_decay": 0.01},
        {"weight_decay": 0.1, "decoupled_weight_decay": True},
        {"maximize": True},
    ],
    "Adamax": [
        {},
        {"lr": 0.01, "betas": [0.5, 0.9], "eps": 1e-3, "weight_decay": 0.1},
        {"maximize": True},
    ],
    "RAdam": [
        {},
        {"lr": 0.01, "betas": [0.8, 0.9], "eps": 1e-3, "weight_decay": 0.1},
        {"weight_decay": 0.1, "decoupled_weight_decay": True, "lr": 0.01},
        {"maximize": True},
    ],
}
# Two parameter groups (the first two parameters, then the scalar) with different rates, and a
# schedule lr(t) = base·γᵗ for step t+1, applied to every group before each step.
GROUP_RATES = {"Adagrad": (0.05, 0.2), "RMSprop": (0.003, 0.03), "Adadelta": (1.0, 0.3),
               "Adam": (0.01, 0.1), "AdamW": (0.01, 0.1), "NAdam": (0.01, 0.1),
               "Adamax": (0.01, 0.1), "RAdam": (0.01, 0.1)}
SCHEDULE_GAMMA = 0.97


def problem():
    return optim_reference.separable_problem(SHAPES, seed=20260425)


def run(name, kwargs, groups=None, schedule=None):
    theta0, a, c = problem()
    params = [torch.tensor(t, dtype=torch.float64, requires_grad=True) for t in theta0]
    kwargs = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    if groups is None:
        opt = getattr(torch.optim, name)(params, **kwargs)
    else:
        opt = getattr(torch.optim, name)(
            [{"params": params[:2], "lr": groups[0]}, {"params": params[2:], "lr": groups[1]}],
            **kwargs)
    base = [g["lr"] for g in opt.param_groups]
    sign = -1.0 if kwargs.get("maximize") else 1.0
    at, ct = [torch.tensor(x) for x in a], [torch.tensor(x) for x in c]
    path = [[p.detach().numpy().copy()] for p in params]
    for t in range(STEPS):
        if schedule is not None:
            for g, b in zip(opt.param_groups, base):
                g["lr"] = b * schedule**t
        with torch.no_grad():
            for p, ai, ci in zip(params, at, ct):
                p.grad = sign * (ai * (p - ci) + p * p * p)
        opt.step()
        for trace, p in zip(path, params):
            trace.append(p.detach().numpy().copy())
    return [np.stack(trace) for trace in path]


def registry_cases(name):
    """Cases in the shared registry's format: every setting above, two groups, two schedules."""
    def case(id, defaults, groups=None, schedule=None):
        objective = "maximize" if defaults.get("maximize") else "minimize"
        return dict(id=id, optimizer=name, defaults=defaults, groups=groups, schedule=schedule,
                    objective=objective)

    out = []
    for kwargs in CASES[name]:
        kwargs = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
        kwargs.setdefault("lr", 0.05 if name != "Adadelta" else 1.0)
        out.append(case(",".join(f"{k}={v}" for k, v in kwargs.items()), kwargs))
    slow = GROUP_RATES[name][0]
    # On this problem NAdam with L2 decay on b passes through a phase that amplifies last-bit
    # differences tenfold every three steps (to ~4e-10 by step 40; measured against torch), so
    # its second group changes momentum_decay instead (NAdam + weight_decay is covered above).
    other = {"momentum_decay": 0.01} if name == "NAdam" else {"weight_decay": 0.1}
    out.append(case("two parameter groups", dict(lr=0.05 if name != "Adadelta" else 1.0),
                    groups=[{"params": [0], "lr": slow}, {"params": [1], **other}]))
    base = 0.1 if name != "Adadelta" else 2.0
    out.append(case("cosine_annealing", dict(lr=base),
                    schedule={"name": "cosine_annealing", "kwargs": {"lr": base, "T_max": 60}}))
    out.append(case("step_decay", dict(lr=base),
                    schedule={"name": "step_decay",
                              "kwargs": {"lr": base, "step_size": 30, "gamma": 0.3}}))
    return out


def main():
    optim_reference.write_registry(CASES, registry_cases, HERE)
    torch.set_default_dtype(torch.float32)  # torch's default: NAdam's mu_product is float32
    theta0, a, c = problem()
    arrays = {}
    for i in range(len(SHAPES)):
        arrays[f"theta0_{i}"], arrays[f"a_{i}"], arrays[f"c_{i}"] = theta0[i], a[i], c[i]
    cases = []
    for name, settings in CASES.items():
        variants = [dict(kwargs=k) for k in settings]
        variants.append(dict(kwargs={}, groups=list(GROUP_RATES[name])))
        variants.append(dict(kwargs={}, schedule=SCHEDULE_GAMMA))
        for v in variants:
            case_id = f"{name}-{len([c for c in cases if c['optimizer'] == name])}"
            case = {"id": case_id, "optimizer": name, "kwargs": v["kwargs"],
                    "groups": v.get("groups"), "schedule_gamma": v.get("schedule")}
            for i, trace in enumerate(run(name, v["kwargs"], v.get("groups"), v.get("schedule"))):
                arrays[f"{case_id}/{i}"] = trace
            cases.append(case)
    meta = {"torch": torch.__version__, "steps": STEPS, "shapes": [list(s) for s in SHAPES],
            "cases": cases}
    (HERE / "adaptive_reference.json").write_text(json.dumps(meta, indent=1) + "\n")
    np.savez_compressed(HERE / "adaptive_reference.npz", **arrays)
    print(f"{len(cases)} cases written with torch {torch.__version__}")


if __name__ == "__main__":
    main()
