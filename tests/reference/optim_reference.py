"""Shared by the scripts that record torch.optim trajectories (make_<optimizer>_reference.py).

The problem: θ = (W of shape (2, 3), b of shape (2,)), fixed data X (20, 3), Y (20, 2),
    f(W, b) = mean over all entries of log cosh(X Wᵀ + b − Y),
smooth, convex, not quadratic; ∇ through G = tanh(r)/r.size: ∇_W f = Gᵀ X, ∇_b f = Σ_rows G.
A case with ``"objective": "maximize"`` hands the optimizer −f (and is run with maximize=True).

A case is a dict, stored as JSON next to its trajectory:
    {"id": str, "optimizer": "SGD", "defaults": {constructor kwargs except params},
     "groups": null or [{"params": [indices into (W, b)], **group kwargs}],
     "schedule": null or {"name", "kwargs"} (a descent.schedules record, applied to every group
        through torch's scheduler; "cycle_momentum": true also cycles momentum as torch does),
     "objective": "minimize" | "maximize"}
The trajectory is (steps + 1, 8): W and b flattened and concatenated, before every step and after
the last. Save with ``save(path, cases, trajectories)``; tests/test_optim.py reads every
tests/reference/optim_*.npz, so a new optimizer is tested by adding its file.
"""
import json

import numpy as np
import torch

from make_schedule_reference import scheduler

STEPS = 100


def problem():
    rng = np.random.default_rng(1234)
    return dict(X=rng.standard_normal((20, 3)), Y=rng.standard_normal((20, 2)),
                W0=0.5 * rng.standard_normal((2, 3)), b0=0.5 * rng.standard_normal(2))


def separable_problem(shapes, seed):
    """Start θ₀, curvatures a and centres c, one array per shape, for the separable test function
    whose gradient is a·(θ − c) + θ³ in each coordinate (the adaptive and recent references)."""
    rng = np.random.default_rng(seed)
    theta0 = [rng.uniform(-2.0, 2.0, shape) for shape in shapes]
    a = [rng.uniform(0.1, 10.0, shape) for shape in shapes]
    c = [rng.uniform(-1.5, 1.5, shape) for shape in shapes]
    return theta0, a, c


def gradients(W, b, data, sign):
    r = data["X"] @ W.T + b - data["Y"]
    G = sign * torch.tanh(r) / r.numel()
    return G.T @ data["X"], G.sum(0)


def run(case, data, steps=STEPS):
    """The trajectory torch.optim gives for ``case``."""
    torch.set_default_dtype(torch.float64)
    tensors = {k: torch.tensor(v) for k, v in data.items()}
    params = [tensors["W0"].clone().requires_grad_(), tensors["b0"].clone().requires_grad_()]
    if case["groups"]:
        groups = [dict(g, params=[params[i] for i in g["params"]]) for g in case["groups"]]
    else:
        groups = params
    opt = getattr(torch.optim, case["optimizer"])(groups, **case["defaults"])
    sched = None
    if case["schedule"]:
        spec = case["schedule"]
        kwargs = dict(spec["kwargs"])
        if spec["name"] in ("cyclic", "one_cycle"):
            kwargs["cycle_momentum"] = spec.get("cycle_momentum", False)
        sched = scheduler(opt, spec["name"], kwargs)
    sign = -1.0 if case["objective"] == "maximize" else 1.0
    path = [torch.cat([p.detach().flatten() for p in params]).numpy().copy()]
    for _ in range(steps):
        with torch.no_grad():
            gW, gb = gradients(params[0], params[1], tensors, sign)
        params[0].grad, params[1].grad = gW.clone(), gb.clone()
        opt.step()
        if sched is not None:
            sched.step()
        path.append(torch.cat([p.detach().flatten() for p in params]).numpy().copy())
    return np.array(path)


def save(path, cases, trajectories):
    data = problem()
    arrays = {f"case_{i}": t for i, t in enumerate(trajectories)}
    np.savez_compressed(path, cases=np.array(json.dumps(cases)), torch_version=np.array(torch.__version__),
                        **data, **arrays)


def write_registry(names, registry_cases, folder):
    """Write ``optim_<name>.npz`` into ``folder`` for each name, from ``registry_cases(name)``.

    ``run`` sets torch's default dtype to float64, which would also make an optimizer's scalar state
    float64 (NAdam's mu_product, ASGD's η and μ); torch's own default, float32, is kept, as users
    have it.
    """
    data = problem()
    set_default_dtype = torch.set_default_dtype
    set_default_dtype(torch.float32)
    torch.set_default_dtype = lambda dtype: None
    try:
        for name in names:
            cases = registry_cases(name)
            trajectories = [run(c, data) for c in cases]
            save(folder / f"optim_{name.lower()}.npz", cases, trajectories)
    finally:
        torch.set_default_dtype = set_default_dtype
