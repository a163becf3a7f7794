"""Generate tests/reference/schedules.json: the rates torch.optim.lr_scheduler gives.

Run with a Python that has torch (never needed by the tests):
    python tests/reference/make_schedule_reference.py
For each setting of each schedule in ``descent.schedules`` it builds the torch scheduler that
``descent`` claims to equal and records group["lr"] after 0, 1, 2, … calls of
``scheduler.step()`` (each after an ``optimizer.step()``), long enough to pass every phase; for
CyclicLR and OneCycleLR also the momentum they set. For ReduceLROnPlateau it records every
group's rate and the count of bad epochs after each ``step(metric)`` for several metric sequences.
"""
import json
import math
import pathlib
import warnings

import numpy as np
import torch
from torch.optim import lr_scheduler as L

OUT = pathlib.Path(__file__).with_name("schedules.json")

# (name, kwargs, steps): steps = number of rates recorded, t = 0 … steps-1.
SETTINGS = [
    ("constant", dict(lr=0.1), 20),
    ("constant", dict(lr=0.0), 5),
    ("step_decay", dict(lr=0.1, step_size=7), 60),
    ("step_decay", dict(lr=0.5, step_size=1, gamma=0.5), 30),
    ("step_decay", dict(lr=1.0, step_size=10, gamma=0.9), 100),
    ("multistep_decay", dict(lr=0.1, milestones=[5, 12, 30]), 50),
    ("multistep_decay", dict(lr=0.3, milestones=[1, 2], gamma=0.5), 10),
    ("multistep_decay", dict(lr=0.1, milestones=[], gamma=0.5), 10),
    ("exponential_decay", dict(lr=0.1, gamma=0.9), 100),
    ("exponential_decay", dict(lr=1.0, gamma=0.999), 300),
    ("exponential_decay", dict(lr=0.1, gamma=0.5, decay_steps=4, staircase=True), 40),
    ("exponential_decay", dict(lr=0.1, gamma=0.5, decay_steps=4), 40),
    ("exponential_decay", dict(lr=0.2, gamma=0.96, decay_steps=2.5), 40),
    ("inverse_time_decay", dict(lr=0.1, decay_rate=0.5), 50),
    ("inverse_time_decay", dict(lr=0.1, decay_rate=1e-3), 50),
    ("inverse_time_decay", dict(lr=0.1, decay_rate=0.5, decay_steps=10, staircase=True), 50),
    ("inverse_time_decay", dict(lr=0.1, decay_rate=2.0, decay_steps=10), 50),
    ("polynomial_decay", dict(lr=0.1), 12),
    ("polynomial_decay", dict(lr=0.1, total_iters=30, power=2.0), 50),
    ("polynomial_decay", dict(lr=0.1, total_iters=20, power=0.5), 30),
    ("polynomial_decay", dict(lr=0.1, total_iters=20, power=1.0, end_lr=0.01), 30),
    ("polynomial_decay", dict(lr=0.1, total_iters=20, power=3.0, end_lr=1e-4), 30),
    ("linear", dict(lr=0.1), 12),
    ("linear", dict(lr=0.1, start_factor=0.01, end_factor=1.0, total_iters=20), 30),
    ("linear", dict(lr=0.1, start_factor=1.0, end_factor=0.0, total_iters=25), 40),
    ("linear", dict(lr=0.1, start_factor=0.5, end_factor=0.1, total_iters=7), 15),
    ("cosine_annealing", dict(lr=0.1, T_max=10), 45),
    ("cosine_annealing", dict(lr=0.1, T_max=1), 8),
    ("cosine_annealing", dict(lr=0.1, T_max=25, eta_min=0.001), 110),
    ("cosine_annealing", dict(lr=1.0, T_max=7, eta_min=0.5), 40),
    ("cosine_restarts", dict(lr=0.1, T_0=10), 45),
    ("cosine_restarts", dict(lr=0.1, T_0=5, T_mult=2), 80),
    ("cosine_restarts", dict(lr=0.1, T_0=1, T_mult=3, eta_min=0.01), 45),
    ("cosine_restarts", dict(lr=0.1, T_0=3, T_mult=1, eta_min=0.001), 20),
    ("cyclic", dict(base_lr=0.001, max_lr=0.1, step_size_up=5), 40),
    ("cyclic", dict(base_lr=0.001, max_lr=0.1, step_size_up=4, step_size_down=6), 45),
    ("cyclic", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2"), 40),
    ("cyclic", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=5,
                    mode="exp_range", gamma=0.97), 50),
    ("cyclic", dict(base_lr=0.05, max_lr=0.05, step_size_up=3), 10),
    ("one_cycle", dict(max_lr=0.1, total_steps=50), None),
    ("one_cycle", dict(max_lr=0.1, total_steps=50, anneal_strategy="linear"), None),
    ("one_cycle", dict(max_lr=1.0, total_steps=40, pct_start=0.25, three_phase=True), None),
    ("one_cycle", dict(max_lr=0.4, total_steps=31, pct_start=0.45, anneal_strategy="linear",
                       div_factor=10.0, final_div_factor=100.0, three_phase=True), None),
    ("one_cycle", dict(max_lr=0.1, total_steps=7, pct_start=0.5, div_factor=1.0,
                       final_div_factor=1.0), None),
    ("warmup", dict(schedule=("cosine_annealing", dict(lr=0.1, T_max=30)), warmup_steps=5), 45),
    ("warmup", dict(schedule=("exponential_decay", dict(lr=0.1, gamma=0.9)), warmup_steps=10,
                    start_factor=0.01), 30),
    ("warmup", dict(schedule=("constant", dict(lr=0.1)), warmup_steps=8, start_factor=0.5), 15),
    ("warmup", dict(schedule=("step_decay", dict(lr=0.1, step_size=5, gamma=0.5)),
                    warmup_steps=1, start_factor=1.0), 20),
    ("sequential", dict(schedules=[("constant", dict(lr=0.1)),
                                   ("exponential_decay", dict(lr=0.1, gamma=0.8))],
                        milestones=[10]), 30),
    ("sequential", dict(schedules=[("linear", dict(lr=0.1, start_factor=0.1, total_iters=5)),
                                   ("cosine_annealing", dict(lr=0.1, T_max=20)),
                                   ("step_decay", dict(lr=0.1, step_size=3, gamma=0.5))],
                        milestones=[5, 25]), 40),
    ("sequential", dict(schedules=[("multistep_decay", dict(lr=0.1, milestones=[2, 4])),
                                   ("polynomial_decay", dict(lr=0.1, total_iters=6, power=2.0))],
                        milestones=[7]), 20),
]


def base_rate(name, kwargs):
    if name == "warmup":
        return base_rate(*kwargs["schedule"])
    if name == "sequential":
        return base_rate(*kwargs["schedules"][0])
    return kwargs.get("lr", kwargs.get("base_lr", kwargs.get("max_lr")))


def scheduler(opt, name, kw):
    """The torch scheduler that ``descent.schedules.<name>(**kw)`` claims to equal."""
    if name == "constant":
        return L.LambdaLR(opt, lambda s: 1.0)
    if name == "step_decay":
        return L.StepLR(opt, kw["step_size"], kw.get("gamma", 0.1))
    if name == "multistep_decay":
        return L.MultiStepLR(opt, kw["milestones"], kw.get("gamma", 0.1))
    if name == "exponential_decay":
        gamma, ds, stair = kw["gamma"], kw.get("decay_steps", 1), kw.get("staircase", False)
        if ds == 1 and not stair:
            return L.ExponentialLR(opt, gamma)
        if stair:
            return L.StepLR(opt, ds, gamma)
        return L.LambdaLR(opt, lambda s: gamma ** (s / ds))  # Keras ExponentialDecay
    if name == "inverse_time_decay":
        rate, ds, stair = kw["decay_rate"], kw.get("decay_steps", 1), kw.get("staircase", False)
        return L.LambdaLR(opt, lambda s: 1.0 / (1.0 + rate * (s // ds if stair else s / ds)))
    if name == "polynomial_decay":
        T, p, end = kw.get("total_iters", 5), kw.get("power", 1.0), kw.get("end_lr", 0.0)
        if end == 0.0:
            return L.PolynomialLR(opt, total_iters=T, power=p)
        lr = kw["lr"]  # Keras PolynomialDecay(lr, T, end, p), cycle=False
        return L.LambdaLR(opt, lambda s: ((lr - end) * (1 - min(s, T) / T) ** p + end) / lr)
    if name == "linear":
        return L.LinearLR(opt, kw.get("start_factor", 1 / 3), kw.get("end_factor", 1.0),
                          kw.get("total_iters", 5))
    if name == "cosine_annealing":
        return L.CosineAnnealingLR(opt, kw["T_max"], kw.get("eta_min", 0.0))
    if name == "cosine_restarts":
        return L.CosineAnnealingWarmRestarts(opt, kw["T_0"], kw.get("T_mult", 1),
                                             kw.get("eta_min", 0.0))
    if name == "cyclic":
        return L.CyclicLR(opt, **kw)
    if name == "one_cycle":
        return L.OneCycleLR(opt, **kw)
    if name == "warmup":
        start = kw.get("start_factor", 1 / 3)
        first = L.LinearLR(opt, start_factor=start, end_factor=1.0, total_iters=kw["warmup_steps"])
        return L.SequentialLR(opt, [first, scheduler(opt, *pair(kw["schedule"]))],
                              milestones=[kw["warmup_steps"]])
    if name == "sequential":
        return L.SequentialLR(opt, [scheduler(opt, *pair(s)) for s in kw["schedules"]],
                              milestones=kw["milestones"])
    raise KeyError(name)


def pair(spec):
    """A nested schedule as (name, kwargs), from either that pair or a {"name", "kwargs"} record."""
    return (spec["name"], spec["kwargs"]) if isinstance(spec, dict) else spec


def jsonable(kw):
    """Nested (name, kwargs) pairs become {"name": …, "kwargs": …}."""
    out = {}
    for key, value in kw.items():
        if key == "schedule":
            value = {"name": value[0], "kwargs": jsonable(value[1])}
        elif key == "schedules":
            value = [{"name": n, "kwargs": jsonable(k)} for n, k in value]
        out[key] = value
    return out


def record(name, kw, steps):
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([param], lr=base_rate(name, kw), momentum=0.9)
    sched = scheduler(opt, name, kw)
    if name == "one_cycle":
        steps = kw["total_steps"] + 1
    lrs, momenta = [], []
    for t in range(steps):
        lrs.append(float(opt.param_groups[0]["lr"]))
        momenta.append(float(opt.param_groups[0]["momentum"]))
        if t < steps - 1:
            param.grad = torch.zeros_like(param)
            opt.step()
            sched.step()
    entry = {"name": name, "kwargs": jsonable(kw), "lr": lrs}
    if name in ("cyclic", "one_cycle"):
        entry["momentum"] = momenta
    if name == "one_cycle":
        opt.step()
        try:
            sched.step()
        except ValueError:
            entry["raises_after"] = kw["total_steps"]
    return entry


def metric_sequences():
    rng = np.random.default_rng(0)
    n = 60
    t = np.arange(n)
    falling = np.exp(-t / 15) + 0.02 * rng.standard_normal(n)        # a loss that stalls
    falling[30:42] = falling[29]                                     # exact ties
    negative = -1.0 - np.log1p(t) + 0.05 * rng.standard_normal(n)     # rel mode inverts here
    rising = 1 - np.exp(-t / 10) + 0.01 * rng.standard_normal(n)      # an accuracy
    stepped = np.repeat([5.0, 4.9996, 4.0, 3.9999, 3.0, 2.0], 10)     # tiny improvements
    with_nan = falling.copy()
    with_nan[[10, 11, 40]] = np.nan
    return {"falling": falling, "negative": negative, "rising": rising, "stepped": stepped,
            "with_nan": with_nan}


PLATEAU_SETTINGS = [
    dict(),
    dict(patience=0),
    dict(patience=2, cooldown=3),
    dict(patience=3, threshold=0.0),
    dict(patience=2, threshold=0.05, threshold_mode="abs"),
    dict(patience=1, factor=0.5, min_lr=[0.01, 0.002]),
    dict(patience=1, factor=0.5, min_lr=0.02, cooldown=1),
    dict(patience=1, factor=0.9, eps=0.01),
    dict(mode="max", patience=2),
    dict(mode="max", patience=0, threshold=0.0),
    dict(mode="max", patience=3, threshold=0.01, threshold_mode="abs", cooldown=2),
    dict(mode="max", patience=1, factor=0.2, min_lr=0.001),
]


def record_plateau(kw, name, metrics):
    a = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.05}])
    sched = L.ReduceLROnPlateau(opt, **kw)
    lrs, bad = [], []
    for m in metrics:
        sched.step(float(m))
        lrs.append([g["lr"] for g in opt.param_groups])
        bad.append(sched.num_bad_epochs)
    return {"kwargs": kw, "metrics": name, "lr": lrs, "num_bad_epochs": bad}


def main():
    warnings.simplefilter("ignore")
    torch.set_default_dtype(torch.float64)
    sequences = metric_sequences()
    plateau = [record_plateau(kw, name, m) for kw in PLATEAU_SETTINGS
               for name, m in sequences.items()]
    data = {
        "torch_version": torch.__version__,
        "schedules": [record(name, kw, steps) for name, kw, steps in SETTINGS],
        "plateau": {"metrics": {k: [None if math.isnan(x) else float(x) for x in v]
                                for k, v in sequences.items()},
                    "initial_lr": [0.1, 0.05], "runs": plateau},
    }
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB): {len(data['schedules'])} schedule "
          f"settings, {len(plateau)} plateau runs, torch {torch.__version__}")


if __name__ == "__main__":
    main()
