"""Generate tests/reference/optim_sgd.npz: torch.optim.SGD trajectories in float64.

Run with a Python that has torch (never needed by the tests):
    python tests/reference/make_sgd_reference.py
Every valid combination of momentum, dampening, nesterov, weight_decay and maximize; torch's
default rate; two parameter groups with different settings; and rates from schedules (with
OneCycleLR also cycling the momentum). 100 steps each, on the problem in optim_reference.py.
"""
import itertools
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from optim_reference import problem, run, save  # noqa: E402

OUT = pathlib.Path(__file__).with_name("optim_sgd.npz")


def case(id, defaults, groups=None, schedule=None, objective="minimize"):
    return dict(id=id, optimizer="SGD", defaults=defaults, groups=groups, schedule=schedule,
                objective=objective)


def cases():
    out = []
    for mu, damp, nesterov, wd, maximize in itertools.product(
            (0.0, 0.9), (0.0, 0.5), (False, True), (0.0, 0.05), (False, True)):
        if nesterov and (mu == 0 or damp != 0):
            continue                                  # torch rejects these
        kw = dict(lr=0.1, momentum=mu, dampening=damp, nesterov=nesterov, weight_decay=wd,
                  maximize=maximize)
        name = ",".join(f"{k}={v}" for k, v in kw.items() if k != "lr")
        out.append(case(name, kw, objective="maximize" if maximize else "minimize"))
    out.append(case("torch defaults", {}))
    out.append(case("nesterov momentum=0.5 lr=0.3", dict(lr=0.3, momentum=0.5, nesterov=True)))
    out.append(case("two parameter groups", dict(lr=0.1, momentum=0.9),
                    groups=[{"params": [0], "lr": 0.05, "weight_decay": 0.1},
                            {"params": [1], "momentum": 0.5, "nesterov": True}]))
    out.append(case("cosine_annealing past T_max, momentum", dict(lr=0.2, momentum=0.9),
                    schedule={"name": "cosine_annealing", "kwargs": {"lr": 0.2, "T_max": 40}}))
    out.append(case("step_decay, nesterov", dict(lr=0.2, momentum=0.9, nesterov=True),
                    schedule={"name": "step_decay",
                              "kwargs": {"lr": 0.2, "step_size": 25, "gamma": 0.5}}))
    out.append(case("warmup then exponential, dampening, weight decay",
                    dict(lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.01),
                    schedule={"name": "warmup", "kwargs": {
                        "schedule": {"name": "exponential_decay",
                                     "kwargs": {"lr": 0.1, "gamma": 0.98}},
                        "warmup_steps": 10, "start_factor": 0.1}}))
    out.append(case("one_cycle cycling momentum", dict(lr=0.5, momentum=0.9),
                    schedule={"name": "one_cycle", "cycle_momentum": True,
                              "kwargs": {"max_lr": 0.5, "total_steps": 100}}))
    out.append(case("cyclic triangular2", dict(lr=0.01),
                    schedule={"name": "cyclic", "kwargs": {
                        "base_lr": 0.01, "max_lr": 0.3, "step_size_up": 10,
                        "mode": "triangular2"}}))
    return out


def main():
    all_cases = cases()
    data = problem()
    trajectories = [run(c, data) for c in all_cases]
    save(OUT, all_cases, trajectories)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB): {len(all_cases)} SGD cases")


if __name__ == "__main__":
    main()
