"""Reference trajectories of torch.optim.LBFGS, for tests/test_lbfgs.py.

Run with a Python that has torch 2.13 (never a dependency of the library or the tests):

    PYTHONPATH=lib python tests/reference/make_lbfgs_reference.py

Writes tests/reference/lbfgs.npz: for each case, the flat parameters after every ``step`` and
the number of closure calls so far; and the closure calls that torch's strong-Wolfe LBFGS needs
to reach ‖∇f‖₂ < 1e-8 on 2-D and 100-D Rosenbrock (history_size 100, and 5 and 10 on 2-D). The test problems' losses and gradients are computed in
torch with the formulas of ``descent.problems``, operation for operation; the network's gradient
comes from autograd. The two sides still round differently (torch's ``add_`` uses a fused
multiply-add), and the tests allow 1e-8 relative: the cases stop before such differences grow.
"""
import json
import os

import numpy as np
import torch

from descent import problems

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


def quadratic_case():
    f = problems.quadratic(condition_number=100.0, dim=10)
    A = torch.tensor(f.A)

    def loss_and_grad(x):
        return 0.5 * torch.einsum("i,ij,j->", x, A, x), A @ x

    return f.x0, loss_and_grad


def rosenbrock_case(dim):
    f = problems.rosenbrock(dim)
    a, b = 1.0, 100.0

    def loss_and_grad(x):
        inner = x[1:] - x[:-1] ** 2
        value = torch.sum(b * inner**2 + (a - x[:-1]) ** 2)
        g = torch.zeros_like(x)
        g[:-1] = -4 * b * x[:-1] * inner - 2 * (a - x[:-1])
        g[1:] += 2 * b * inner
        return value, g

    return f.x0, loss_and_grad


def mlp_case():
    """Linear(3, 6) → Tanh → Linear(6, 1), mean squared error on 20 fixed points."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    shapes = [(6, 3), (6,), (1, 6), (1,)]
    x0 = np.concatenate([rng.uniform(-0.5, 0.5, s).ravel() for s in shapes])
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def loss_and_grad(x):
        x = x.detach().requires_grad_(True)
        sizes = [int(np.prod(s)) for s in shapes]
        W1, b1, W2, b2 = (p.view(s) for p, s in zip(torch.split(x, sizes), shapes))
        out = torch.tanh(Xt @ W1.T + b1) @ W2.T + b2
        loss = torch.mean((out - yt) ** 2)
        loss.backward()
        return loss.detach(), x.grad

    return x0, loss_and_grad, X, y, shapes


CASES = [
    ("quadratic_default", "quadratic", dict(max_iter=5), 20),
    ("quadratic_strong_wolfe", "quadratic", dict(max_iter=5, line_search_fn="strong_wolfe"), 20),
    ("rosenbrock_default", "rosenbrock", dict(), 10),
    ("rosenbrock_strong_wolfe", "rosenbrock", dict(line_search_fn="strong_wolfe"), 10),
    ("rosenbrock_options", "rosenbrock", dict(lr=0.5, max_iter=4, max_eval=6, history_size=3,
                                              tolerance_change=1e-12,
                                              line_search_fn="strong_wolfe"), 25),
    ("rosenbrock_small_lr", "rosenbrock", dict(lr=0.1, max_iter=10, history_size=5), 10),
    ("mlp_strong_wolfe", "mlp", dict(max_iter=10, history_size=10,
                                     line_search_fn="strong_wolfe"), 6),
]


def run(x0, loss_and_grad, options, steps):
    x = torch.tensor(x0, dtype=torch.float64)
    opt = torch.optim.LBFGS([x], **options)
    calls = [0]

    def closure():
        calls[0] += 1
        loss, grad = loss_and_grad(x.detach())
        x.grad = grad.clone()
        return loss

    iterates, counts = [], []
    for _ in range(steps):
        opt.step(closure)
        iterates.append(x.detach().numpy().copy())
        counts.append(calls[0])
    return np.array(iterates), np.array(counts)


def evaluations_to_gradient_norm(dim, history_size=100, tolerance=1e-8):
    """Closure calls of one long strong-Wolfe step on Rosenbrock from (−1.2, 1, …) until the first
    evaluation with ‖∇f‖₂ < tolerance."""
    x0, loss_and_grad = rosenbrock_case(dim)
    x = torch.tensor(x0)
    opt = torch.optim.LBFGS([x], max_iter=10000, max_eval=100000, tolerance_grad=1e-10,
                            tolerance_change=0.0, history_size=history_size,
                            line_search_fn="strong_wolfe")
    norms = []

    def closure():
        loss, grad = loss_and_grad(x.detach())
        x.grad = grad.clone()
        norms.append(float(grad.norm()))
        return loss

    opt.step(closure)
    return next(i + 1 for i, v in enumerate(norms) if v < tolerance)


def main():
    out, index = {}, []
    mlp = mlp_case()
    out["mlp_X"], out["mlp_y"] = mlp[2], mlp[3]
    for name, problem, options, steps in CASES:
        if problem == "quadratic":
            x0, fn = quadratic_case()
        elif problem == "rosenbrock":
            x0, fn = rosenbrock_case(2)
        else:
            x0, fn = mlp[0], mlp[1]
        iterates, counts = run(x0, fn, options, steps)
        out[f"{name}_x0"], out[f"{name}_iterates"], out[f"{name}_calls"] = x0, iterates, counts
        index.append({"name": name, "problem": problem, "options": options})
        print(f"{name}: {counts[-1]} closure calls")
    out["cases"] = np.array(json.dumps(index))
    for dim in (2, 100):
        out[f"rosenbrock{dim}_evals_to_1e-8"] = evaluations_to_gradient_norm(dim)
        print(f"rosenbrock({dim}): {out[f'rosenbrock{dim}_evals_to_1e-8']} evaluations to |g| < 1e-8")
    for m in (5, 10):
        out[f"rosenbrock2_m{m}_evals_to_1e-8"] = evaluations_to_gradient_norm(2, history_size=m)
        print(f"rosenbrock(2), history_size={m}: {out[f'rosenbrock2_m{m}_evals_to_1e-8']} evaluations")
    np.savez_compressed(os.path.join(HERE, "lbfgs.npz"), **out)


if __name__ == "__main__":
    main()
