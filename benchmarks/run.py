"""Speed of descent against PyTorch on the CPU, measured side by side in one process.

    PYTHONPATH=lib /path/to/python-with-torch benchmarks/run.py [--threads 1] [--rounds 15]

Needs torch (never a dependency of the course) and descent. Writes benchmarks/results.json
and benchmarks/results.md next to this file. Measured:

  (a) one training step of an MLP 64-256-256-10 (float32, batch 128, cross-entropy, SGD):
      zero_grad, forward, loss, backward, step — descent against torch, and against the same
      step written as bare numpy (the floor: no modules, no checks, the same products);
  (b) Adam.step on 10 M float32 parameters — descent against torch.optim.Adam (its CPU
      default, and fused=True for information);
  (c) the share of the descent MLP step spent in its matrix products (the same products,
      timed alone);
  (d) the descent Adam step against a memory-traffic floor: copying as many bytes as the step
      must move (read θ, g, m, v; write θ, m, v: 7 arrays of 4 bytes per parameter);
  and whether a descent Adam step after the first allocates any parameter-sized array;
  (e) the same Adam step with the plain rule the book shows (descent.optim.rules.adam_rule:
      whole arrays, a new array per operation) against the fast kernel of optim.Adam (blocks
      that stay in the cache, scratch space reused), which the tests prove equal to it.

Both libraries get the same number of threads (numpy's OpenBLAS through OPENBLAS_NUM_THREADS,
torch through set_num_threads). Timings alternate between the two libraries round by round, so
load from other processes on the machine falls on both; each figure is the median over rounds,
and the ratio is the median of the per-round ratios.
"""
import argparse
import os
import sys


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--adam-size", type=int, default=10_000_000)
    parser.add_argument("--mlp-only", action="store_true", help="measure (a) and (c) alone")
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    return parser.parse_args()


ARGS = parse()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import descent  # noqa: E402
from descent import nn, optim  # noqa: E402
from descent.optim import rules  # noqa: E402

torch.set_num_threads(ARGS.threads)

TARGETS = {"mlp_ratio": 0.5, "mlp_numpy_ratio": 1.15, "matmul_share": 0.70, "adam_ratio": 1.0,
           "adam_floor_ratio": 1.3}


def timed(fn, repeat):
    """Seconds per call of fn, over ``repeat`` calls."""
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def alternate(fns, repeats, rounds):
    """{name: [seconds per call in each round]}, the functions taking turns in every round."""
    for name, fn in fns.items():
        timed(fn, max(1, repeats[name] // 2))  # warm up
    times = {name: [] for name in fns}
    for r in range(rounds):
        order = list(fns) if r % 2 == 0 else list(fns)[::-1]
        for name in order:
            times[name].append(timed(fns[name], repeats[name]))
    return times


def summary(seconds):
    q = statistics.quantiles(seconds, n=4)
    return {"median_ms": 1e3 * statistics.median(seconds), "q1_ms": 1e3 * q[0], "q3_ms": 1e3 * q[2]}


def ratio(num, den):
    return statistics.median(a / b for a, b in zip(num, den))


# (a), (c): the MLP step ---------------------------------------------------------------------
def mlp_benchmark(rounds):
    sizes, batch = [64, 256, 256, 10], 128
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)

    layers = []
    for i in range(3):
        layers.append(nn.Linear(sizes[i], sizes[i + 1], dtype=np.float32, rng=rng))
        if i < 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=0.01)

    def descent_step():
        opt.zero_grad()
        loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        opt.step()

    tmodel = torch.nn.Sequential(
        torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 10))
    with torch.no_grad():  # same weights, so both do the same arithmetic
        for p, q in zip(tmodel.parameters(), model.parameters()):
            p.copy_(torch.from_numpy(q.data))
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)
    tloss = torch.nn.CrossEntropyLoss()
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.01)

    def torch_step():
        topt.zero_grad()
        tloss(tmodel(tX), ty).backward()
        topt.step()

    # The floor: the same step as bare numpy, on its own copy of the same weights.
    W1, b1, W2, b2, W3, b3 = (p.data.copy() for p in model.parameters())
    rows = np.arange(batch)

    def numpy_step():
        h1 = X @ W1.T
        h1 += b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ W2.T
        h2 += b2
        a2 = np.maximum(h2, 0)
        z = a2 @ W3.T
        z += b3
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)           # softmax
        -np.log(z[rows, y]).mean()                   # the loss
        z[rows, y] -= 1
        z /= batch                                   # dL/dz
        gW3, gb3, da2 = z.T @ a2, z.sum(axis=0), z @ W3
        da2 *= h2 > 0
        gW2, gb2, da1 = da2.T @ a1, da2.sum(axis=0), da2 @ W2
        da1 *= h1 > 0
        gW1, gb1 = da1.T @ X, da1.sum(axis=0)
        for p, g in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2), (W3, gW3), (b3, gb3)):
            p -= 0.01 * g

    # The matrix products the descent step computes, with the same shapes and transposes.
    W = [layer.weight.data for layer in model.layers if isinstance(layer, nn.Linear)]
    acts = [X, np.ones((batch, 256), np.float32), np.ones((batch, 256), np.float32)]
    grads = [np.ones((batch, 256), np.float32), np.ones((batch, 256), np.float32),
             np.ones((batch, 10), np.float32)]

    def matmuls():
        for a, w in zip(acts, W):
            a @ w.T
        for a, g, w in zip(acts, grads, W):
            g.T @ a
            g @ w

    times = alternate({"descent": descent_step, "numpy": numpy_step, "torch": torch_step,
                       "matmul": matmuls},
                      {"descent": 200, "numpy": 200, "torch": 200, "matmul": 200}, rounds)
    return {
        "descent": summary(times["descent"]), "torch": summary(times["torch"]),
        "numpy": summary(times["numpy"]), "matmul": summary(times["matmul"]),
        "ratio": ratio(times["descent"], times["torch"]),
        "numpy_ratio": ratio(times["descent"], times["numpy"]),
        "numpy_torch_ratio": ratio(times["numpy"], times["torch"]),
        "matmul_share": ratio(times["matmul"], times["descent"]),
    }


# (b), (d): Adam on 10 M float32 parameters -----------------------------------------------------
def adam_benchmark(rounds, size):
    rng = np.random.default_rng(1)
    theta = rng.standard_normal(size, dtype=np.float32)
    grad = rng.standard_normal(size, dtype=np.float32)

    p = nn.Parameter(theta)
    p.grad[...] = grad
    opt = optim.Adam([p], lr=1e-4)
    opt.step()  # the first step allocates the state
    tracemalloc.start()
    opt.step()
    allocated = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    tp = torch.from_numpy(theta.copy()).requires_grad_()
    tp.grad = torch.from_numpy(grad.copy())
    topt = torch.optim.Adam([tp], lr=1e-4)
    fp = torch.from_numpy(theta.copy()).requires_grad_()
    fp.grad = torch.from_numpy(grad.copy())
    fopt = torch.optim.Adam([fp], lr=1e-4, fused=True)

    moved = 7 * size * 4  # bytes: read θ, g, m, v; write θ, m, v
    src = np.ones(moved // 8, dtype=np.float32)  # a copy reads and writes each byte once
    dst = np.empty_like(src)

    times = alternate({"descent": opt.step, "torch": topt.step, "torch_fused": fopt.step,
                       "floor": lambda: np.copyto(dst, src)},
                      {"descent": 3, "torch": 3, "torch_fused": 3, "floor": 3}, rounds)
    close = float(np.max(np.abs(p.data - tp.detach().numpy())))
    return {
        "size": size, "descent": summary(times["descent"]), "torch": summary(times["torch"]),
        "torch_fused": summary(times["torch_fused"]), "floor": summary(times["floor"]),
        "ratio": ratio(times["descent"], times["torch"]),
        "ratio_fused": ratio(times["descent"], times["torch_fused"]),
        "floor_ratio": ratio(times["descent"], times["floor"]),
        "floor_gbytes_per_s": moved / 1e9 / statistics.median(times["floor"]),
        "allocated_bytes_after_first_step": allocated,
        "parameter_bytes": theta.nbytes,
        "max_abs_difference_from_torch": close,
    }


# (e): the plain Adam rule against the fast kernel ----------------------------------------------
def plain_rule_benchmark(rounds, size):
    """optim.Adam.step (the fast kernel) against rules.adam_rule (the plain rule) on the same
    ``size`` float32 parameters and gradient, both starting from zero state."""
    rng = np.random.default_rng(2)
    p = nn.Parameter(rng.standard_normal(size, dtype=np.float32))
    p.grad[...] = rng.standard_normal(size, dtype=np.float32)
    opt = optim.Adam([p], lr=1e-4)
    plain = {"theta": p.data.copy(), "state": {}}

    def plain_step():
        plain["theta"], plain["state"] = rules.adam_rule(plain["theta"], p.grad, plain["state"],
                                                         lr=1e-4)

    times = alternate({"kernel": opt.step, "plain": plain_step}, {"kernel": 3, "plain": 3}, rounds)
    steps = (opt.state[p]["step"], plain["state"]["step"])
    return {
        "size": size, "kernel": summary(times["kernel"]), "plain": summary(times["plain"]),
        "ratio": ratio(times["plain"], times["kernel"]),
        "same_steps_taken": steps[0] == steps[1],
        "bitwise_equal": bool(steps[0] == steps[1] and np.array_equal(p.data, plain["theta"])),
    }


def plain_rule_row(plain):
    return ("Adam step, plain rule / fast kernel (descent)",
            f"{plain['plain']['median_ms']:.1f} / {plain['kernel']['median_ms']:.1f} ms",
            f"{plain['ratio']:.2f}×", "(information)",
            "same result" if plain["bitwise_equal"] else "results differ")


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "logical_cpus": os.cpu_count(), "threads_used": ARGS.threads,
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch.__version__,
            "descent": descent.__version__}


def table(results):
    mlp, adam = results["mlp"], results.get("adam")
    t = results["targets"]

    def verdict(ok):
        return "met" if ok else "missed"

    rows = [
        ("MLP step, descent / torch", f"{mlp['descent']['median_ms']:.3f} / "
         f"{mlp['torch']['median_ms']:.3f} ms", f"{mlp['ratio']:.2f}×", f"≤ {t['mlp_ratio']}×",
         verdict(mlp["ratio"] <= t["mlp_ratio"])),
        ("MLP step, descent / bare numpy", f"{mlp['descent']['median_ms']:.3f} / "
         f"{mlp['numpy']['median_ms']:.3f} ms", f"{mlp['numpy_ratio']:.2f}×",
         f"≤ {t['mlp_numpy_ratio']}×", verdict(mlp["numpy_ratio"] <= t["mlp_numpy_ratio"])),
        ("MLP step, bare numpy / torch", f"{mlp['numpy']['median_ms']:.3f} / "
         f"{mlp['torch']['median_ms']:.3f} ms", f"{mlp['numpy_torch_ratio']:.2f}×",
         "(information)", ""),
        ("MLP step, share in matrix products", f"{mlp['matmul']['median_ms']:.3f} ms",
         f"{100 * mlp['matmul_share']:.0f}%", f"≥ {100 * t['matmul_share']:.0f}%",
         verdict(mlp["matmul_share"] >= t["matmul_share"])),
    ]
    if adam is not None:
        rows += _adam_rows(adam, t, verdict)
    if "adam_plain" in results:
        rows.append(plain_rule_row(results["adam_plain"]))
    lines = ["| measurement | times (median) | ratio | target | |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _adam_rows(adam, t, verdict):
    return [
        (f"Adam step ({adam['size'] / 1e6:g} M float32), descent / torch",
         f"{adam['descent']['median_ms']:.1f} / {adam['torch']['median_ms']:.1f} ms",
         f"{adam['ratio']:.2f}×", f"≤ {t['adam_ratio']}×", verdict(adam["ratio"] <= t["adam_ratio"])),
        ("Adam step, descent / torch fused=True",
         f"{adam['descent']['median_ms']:.1f} / {adam['torch_fused']['median_ms']:.1f} ms",
         f"{adam['ratio_fused']:.2f}×", "(information)", ""),
        ("Adam step, descent / memory-traffic floor",
         f"{adam['descent']['median_ms']:.1f} / {adam['floor']['median_ms']:.1f} ms",
         f"{adam['floor_ratio']:.2f}×", f"≤ {t['adam_floor_ratio']}×",
         verdict(adam["floor_ratio"] <= t["adam_floor_ratio"])),
        ("Adam step, bytes allocated after the first step",
         f"{adam['allocated_bytes_after_first_step']:,} B", "",
         f"≪ {adam['parameter_bytes']:,} B",
         verdict(adam["allocated_bytes_after_first_step"] < adam["parameter_bytes"] / 10)),
    ]


def main():
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.timezone.utc)
    mlp = mlp_benchmark(ARGS.rounds)
    adam = None if ARGS.mlp_only else adam_benchmark(ARGS.rounds, ARGS.adam_size)
    results = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "rounds": ARGS.rounds, "targets": TARGETS, "mlp": mlp, "adam": adam,
    }
    results["adam_plain"] = plain_rule_benchmark(ARGS.rounds, ARGS.adam_size)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["table"] = table(results)
    m = results["machine"]
    md = (f"# Benchmark results\n\n{results['date']} on {m['cpu']} ({m['logical_cpus']} logical "
          f"CPUs, {m['threads_used']} thread(s) for each library), numpy {m['numpy']}, "
          f"torch {m['torch']}; load average {results['load_average_before'][0]} before, "
          f"{results['load_average_after'][0]} after; medians over {ARGS.rounds} alternating "
          f"rounds.\n\n{results['table']}\n")
    with open(os.path.join(ARGS.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    with open(os.path.join(ARGS.out, "results.md"), "w") as f:
        f.write(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
