"""Reference trajectories of the recent optimizers, for tests/test_optim_recent.py.

Run in a scratch environment with the reference implementations (none is a dependency of the
course):

    pip install torch==2.13.0 lion-pytorch==0.2.5 schedulefree==1.4.1 prodigyopt==1.1.2 \
        pytorch-optimizer==4.1.0 numpy
    python tests/reference/make_recent_reference.py

It writes recent_reference.json (the cases) and recent_reference.npz (the problem, every
trajectory and the extra records below), and optim_rprop.npz, optim_asgd.npz and
optim_adafactor.npz for the shared registry of tests/test_optim.py. The references:

    Rprop, ASGD, Adafactor, Muon   torch.optim 2.13
    Lion                           lion-pytorch 0.2.5
    SGDScheduleFree, AdamWScheduleFree   schedulefree 1.4.1
    Prodigy                        prodigyopt 1.1.2
    SAM                            pytorch-optimizer 4.1.0

torch's Muon runs its Newton–Schulz iteration in bfloat16; descent runs it in the parameter's
dtype. This script removes the cast (the iteration's source is recompiled with ``grad.clone()``
in place of ``grad.bfloat16()``), so the reference is the same iteration in float64.

The problem is elementwise, so numpy and torch compute bit-identical gradients and a difference
in a trajectory comes from the optimizer alone:

    f(θ) = Σ ½ a (θ − c)² + ¼ θ⁴,   ∇f = a (θ − c) + θ·θ·θ

over five parameters of shapes (3, 4), (4, 2), (2, 2, 3), (3,) and (); a case uses a subset
(Muon: the two matrices; SAM: four parameters). Cases with ``maximize`` receive −∇f. Float64
parameters, torch's default dtype left at float32 as users have it (ASGD keeps its scalars η and
μ in that dtype). 100 steps.

SAM: pytorch-optimizer keeps the perturbation radius ρ/‖g‖ in float32, and torch's float32
square root (torch 2.13 CPU wheel, measured on an AVX-512 machine) is within one ulp but not
always correctly rounded (about 0.6% of values), where numpy's is. At such a step the radii differ in their last float32
bit and the trajectories by about 1e-11 relative from then on (case SAM-4, step 36).

Extra records: schedule-free cases switch to ``eval()`` after steps 50 and 100 and record the
averaged point x (``eval/<step>/<i>``), switching back to ``train()`` after step 50; ASGD records
its average ``ax`` after the last step (``ax/<i>``); Prodigy records its estimate d after every
step (``d``).
"""
import inspect
import json
import sys
from importlib import metadata
from pathlib import Path

import lion_pytorch
import numpy as np
import prodigyopt
import pytorch_optimizer
import schedulefree
import torch
from torch.optim import _muon

import optim_reference

HERE = Path(__file__).parent
STEPS = 100
SHAPES = [(3, 4), (4, 2), (2, 2, 3), (3,), ()]
EVAL_STEPS = (50, 100)
SCHEDULE_GAMMA = 0.97

REFERENCES = {
    "Rprop": torch.optim.Rprop, "ASGD": torch.optim.ASGD, "Adafactor": torch.optim.Adafactor,
    "Muon": torch.optim.Muon, "Lion": lion_pytorch.Lion,
    "SGDScheduleFree": schedulefree.SGDScheduleFree,
    "AdamWScheduleFree": schedulefree.AdamWScheduleFree, "Prodigy": prodigyopt.Prodigy,
    "SAM": pytorch_optimizer.SAM,
}
PARAMS = {"Muon": [0, 1], "SAM": [0, 2, 3, 4]}
SCHEDULE_FREE = ("SGDScheduleFree", "AdamWScheduleFree")

# Per optimizer: settings (the first is the defaults or the defaults with a rate that suits this
# problem), the rate used by the group and schedule cases, and the groups' own settings (the
# first group holds the first half of the case's parameters, rounded down). SAM's rates keep it
# away from its minimum for the 100 steps: there ∇L(θ + ρg/‖g‖) amplifies last-bit differences
# in g about thirtyfold per step (measured: with lr = 0.02 from step 62 on), a property of the
# method, not of either implementation.
CASES = {
    "Rprop": [
        {},
        {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-3, 0.2]},
        {"maximize": True},
    ],
    "ASGD": [
        {},
        {"lr": 0.02, "lambd": 1e-2, "alpha": 0.5, "t0": 20.0, "weight_decay": 0.1},
        {"t0": 10.0, "maximize": True},
    ],
    "Adafactor": [
        {},
        {"lr": 0.05, "beta2_decay": -0.5, "eps": [1e-3, 1e-2], "d": 2.0, "weight_decay": 0.1},
        {"lr": 0.03, "d": 1.5},
        {"maximize": True},
    ],
    "Muon": [
        {},
        {"lr": 0.02, "weight_decay": 0.0, "momentum": 0.9, "nesterov": False, "ns_steps": 3,
         "adjust_lr_fn": "match_rms_adamw", "eps": 1e-5},
        {"lr": 0.01, "ns_coefficients": [1.5, -0.5, 0.0], "ns_steps": 10},
    ],
    "Lion": [
        {},
        {"lr": 0.01, "betas": [0.8, 0.95], "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ],
    "SGDScheduleFree": [
        {"lr": 0.02},
        {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "warmup_steps": 10, "r": 1.0,
         "weight_lr_power": 1.0},
        {"lr": 0.02, "warmup_steps": 5},
    ],
    "AdamWScheduleFree": [
        {},
        {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1,
         "warmup_steps": 10, "r": 0.5, "weight_lr_power": 0.0},
        {"lr": 0.02, "warmup_steps": 20},
    ],
    "Prodigy": [
        {},
        {"lr": 0.5, "betas": [0.8, 0.99], "beta3": 0.9, "eps": 1e-6, "weight_decay": 0.1,
         "decouple": False, "use_bias_correction": True, "safeguard_warmup": True, "d0": 1e-4,
         "d_coef": 0.5, "growth_rate": 1.05},
        {"weight_decay": 0.1},
        {"betas": [0.0, 0.999], "weight_decay": 0.05, "decouple": False},
        {"d_coef": 10.0, "growth_rate": 2.0},
    ],
    "SAM": [
        {"base_optimizer": "SGD", "lr": 0.005},
        {"base_optimizer": "SGD", "lr": 0.02, "momentum": 0.9, "rho": 0.1, "adaptive": True},
        {"base_optimizer": "Adam", "lr": 0.05, "rho": 0.02, "perturb_eps": 1e-6},
    ],
}
BASE_RATE = {"Rprop": 0.02, "ASGD": 0.01, "Adafactor": 0.03, "Muon": 0.02, "Lion": 0.01,
             "SGDScheduleFree": 0.02, "AdamWScheduleFree": 0.02, "Prodigy": 1.0, "SAM": 0.005}
GROUPS = {
    "Rprop": [{"lr": 0.01}, {"lr": 0.05, "etas": [0.4, 1.1]}],
    "ASGD": [{"lr": 0.005}, {"lr": 0.02, "t0": 5.0}],
    "Adafactor": [{"lr": 0.01}, {"lr": 0.05, "weight_decay": 0.1}],
    "Muon": [{"lr": 0.01}, {"lr": 0.003, "nesterov": False}],
    "Lion": [{"lr": 0.003}, {"lr": 0.02, "betas": [0.5, 0.9]}],
    "SGDScheduleFree": [{"lr": 0.01}, {"lr": 0.03, "momentum": 0.5}],
    "AdamWScheduleFree": [{"lr": 0.01}, {"lr": 0.05, "weight_decay": 0.1}],
    "Prodigy": [{}, {"weight_decay": 0.05}],
    "SAM": [{"lr": 0.01}, {"rho": 0.2}],
}


def without_bfloat16_cast():
    """torch's Newton–Schulz iteration, with the input kept in its own dtype."""
    source = inspect.getsource(_muon._zeropower_via_newtonschulz)
    if source.count("grad.bfloat16()") != 1:
        raise RuntimeError("torch's Muon source changed: the bfloat16 cast is not where expected")
    namespace = dict(vars(_muon))
    exec(source.replace("grad.bfloat16()", "grad.clone()"), namespace)  # noqa: S102
    return namespace["_zeropower_via_newtonschulz"]


def problem():
    return optim_reference.separable_problem(SHAPES, seed=20261205)


def pairs_to_tuples(kwargs):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def build(name, params, kwargs, groups):
    kwargs = pairs_to_tuples(kwargs)
    if groups is not None:
        half = len(params) // 2
        params = [dict(pairs_to_tuples(groups[0]), params=params[:half]),
                  dict(pairs_to_tuples(groups[1]), params=params[half:])]
    if name == "SAM":
        base = getattr(torch.optim, kwargs.pop("base_optimizer"))
        return pytorch_optimizer.SAM(params, base, **kwargs)
    return REFERENCES[name](params, **kwargs)


def run(name, case):
    theta0, a, c = problem()
    used = PARAMS.get(name, range(len(SHAPES)))
    params = [torch.tensor(theta0[i], dtype=torch.float64, requires_grad=True) for i in used]
    at = [torch.tensor(a[i]) for i in used]
    ct = [torch.tensor(c[i]) for i in used]
    opt = build(name, params, case["kwargs"], case["groups"])
    base_rates = [g["lr"] for g in opt.param_groups]
    sign = -1.0 if case["kwargs"].get("maximize") else 1.0

    def set_gradients():
        with torch.no_grad():
            for p, ai, ci in zip(params, at, ct):
                p.grad = sign * (ai * (p - ci) + p * p * p)
        with torch.no_grad():
            return float(sum((0.5 * ai * (p - ci) ** 2 + 0.25 * p**4).sum()
                             for p, ai, ci in zip(params, at, ct)))

    def closure():
        opt.zero_grad()
        return set_gradients()

    if name in SCHEDULE_FREE:
        opt.train()
    extras = {}
    path = [[p.detach().numpy().copy()] for p in params]
    for t in range(STEPS):
        if case["schedule_gamma"] is not None:
            for g, base in zip(opt.param_groups, base_rates):
                g["lr"] = base * case["schedule_gamma"] ** t
        set_gradients()
        if name == "SAM":
            opt.step(closure)
        else:
            opt.step()
        for trace, p in zip(path, params):
            trace.append(p.detach().numpy().copy())
        if name in SCHEDULE_FREE and t + 1 in EVAL_STEPS:
            opt.eval()
            for i, p in enumerate(params):
                extras[f"eval/{t + 1}/{i}"] = p.detach().numpy().copy()
            if t + 1 < STEPS:
                opt.train()
        if name == "Prodigy":
            extras.setdefault("d", []).append(opt.param_groups[0]["d"])
    if name == "ASGD":
        for i, p in enumerate(params):
            extras[f"ax/{i}"] = opt.state[p]["ax"].numpy().copy()
    if "d" in extras:
        extras["d"] = np.array(extras["d"])
    return [np.stack(trace) for trace in path], extras


def cases():
    out = []
    for name, settings in CASES.items():
        variants = [dict(kwargs=k) for k in settings]
        base = {"lr": BASE_RATE[name]}
        if name == "SAM":
            base["base_optimizer"] = "SGD"
        variants.append(dict(kwargs=base, groups=GROUPS[name]))
        variants.append(dict(kwargs=base, schedule_gamma=SCHEDULE_GAMMA))
        for i, v in enumerate(variants):
            out.append({"id": f"{name}-{i}", "optimizer": name, "kwargs": v["kwargs"],
                        "params": list(PARAMS.get(name, range(len(SHAPES)))),
                        "groups": v.get("groups"), "schedule_gamma": v.get("schedule_gamma")})
    return out


# The torch.optim ones also join the shared registry of tests/test_optim.py (optim_<name>.npz,
# problem and format in optim_reference.py): settings, two groups, two schedules. Adafactor's
# rate there is 0.02: at 0.05 without weight decay it reaches the minimum within the 100 steps,
# where its normalized update amplifies last-bit differences about 2.5-fold per step (measured:
# 1e-11 at step 90, 2e-8 at step 100), a property of the method near a minimum.
REGISTRY = {
    "Rprop": dict(rate=0.01, settings=[
        {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-4, 0.1]}],
        groups=[{"params": [0], "lr": 0.005}, {"params": [1], "etas": [0.4, 1.1]}]),
    "ASGD": dict(rate=0.5, settings=[
        {"lr": 0.5, "lambd": 0.01, "alpha": 0.5, "t0": 10.0, "weight_decay": 0.05}],
        groups=[{"params": [0], "lr": 0.2}, {"params": [1], "t0": 5.0}]),
    "Adafactor": dict(rate=0.02, settings=[
        {"lr": 0.05, "beta2_decay": -0.5, "eps": [1e-3, 1e-2], "d": 2.0, "weight_decay": 0.1}],
        groups=[{"params": [0], "lr": 0.02}, {"params": [1], "weight_decay": 0.1}]),
}


def registry_cases(name):
    spec = REGISTRY[name]
    rate = spec["rate"]

    def case(id, defaults, groups=None, schedule=None, objective="minimize"):
        return dict(id=id, optimizer=name, defaults=defaults, groups=groups, schedule=schedule,
                    objective=objective)

    out = [case(f"lr={rate}", {"lr": rate})]
    out += [case(",".join(f"{k}={v}" for k, v in kw.items()), kw) for kw in spec["settings"]]
    out.append(case("maximize", {"lr": rate, "maximize": True}, objective="maximize"))
    out.append(case("two parameter groups", {"lr": rate}, groups=spec["groups"]))
    out.append(case("cosine_annealing", {"lr": rate},
                    schedule={"name": "cosine_annealing", "kwargs": {"lr": rate, "T_max": 60}}))
    out.append(case("step_decay", {"lr": rate},
                    schedule={"name": "step_decay",
                              "kwargs": {"lr": rate, "step_size": 30, "gamma": 0.3}}))
    return out


def main():
    sys.path.insert(0, str(HERE))
    optim_reference.write_registry(REGISTRY, registry_cases, HERE)
    _muon._zeropower_via_newtonschulz = without_bfloat16_cast()
    torch.set_default_dtype(torch.float32)
    theta0, a, c = problem()
    arrays = {}
    for i in range(len(SHAPES)):
        arrays[f"theta0_{i}"], arrays[f"a_{i}"], arrays[f"c_{i}"] = theta0[i], a[i], c[i]
    all_cases = cases()
    for case in all_cases:
        path, extras = run(case["optimizer"], case)
        for i, trace in enumerate(path):
            arrays[f"{case['id']}/{i}"] = trace
        for key, value in extras.items():
            arrays[f"{case['id']}/{key}"] = value
    versions = {package: metadata.version(package) for package in
                ("torch", "lion-pytorch", "schedulefree", "prodigyopt", "pytorch-optimizer")}
    meta = {"versions": versions, "steps": STEPS, "shapes": [list(s) for s in SHAPES],
            "eval_steps": list(EVAL_STEPS), "cases": all_cases}
    (HERE / "recent_reference.json").write_text(json.dumps(meta, indent=1) + "\n")
    np.savez_compressed(HERE / "recent_reference.npz", **arrays)
    print(f"{len(all_cases)} cases written", versions, file=sys.stderr)


if __name__ == "__main__":
    main()
