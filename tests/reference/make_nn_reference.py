"""Record torch's float64 outputs, losses and gradients for fixed weights and inputs.

Run with a Python that has torch (never a dependency of the course):

    python tests/reference/make_nn_reference.py

It writes ``tests/reference/nn_reference.npz``; ``tests/test_nn.py`` loads it with numpy alone
and checks that ``descent.nn`` computes the same numbers to float64 rounding. Every input is
stored next to torch's results, so the tests need nothing else.
"""
from pathlib import Path

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(2024)
out = {"torch_version": np.array(torch.__version__)}


def t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def record(prefix, **arrays):
    for name, value in arrays.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().numpy().copy()  # buffers change in place later
        out[f"{prefix}/{name}"] = np.array(value)


# Linear: y = x W^T + b, backpropagate an upstream gradient g.
x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
g = rng.standard_normal((5, 3))
lin = torch.nn.Linear(4, 3)
with torch.no_grad():
    lin.weight.copy_(t(W))
    lin.bias.copy_(t(b))
xt = t(x, True)
y = lin(xt)
y.backward(t(g))
record("linear", x=x, weight=W, bias=b, grad_output=g, y=y, grad_x=xt.grad,
       grad_weight=lin.weight.grad, grad_bias=lin.bias.grad)

# Activations, on inputs that include exact zeros (the kink of ReLU and LeakyReLU).
x = rng.standard_normal((6, 5)) * 3
x[0, :3] = 0.0
g = rng.standard_normal((6, 5))
record("activations", x=x, grad_output=g)
for name, layer in [("relu", torch.nn.ReLU()), ("leaky_relu", torch.nn.LeakyReLU(0.2)),
                    ("tanh", torch.nn.Tanh()), ("sigmoid", torch.nn.Sigmoid())]:
    xt = t(x, True)
    y = layer(xt)
    y.backward(t(g))
    record(name, y=y, grad_x=xt.grad)

# Losses, mean and sum reductions.
for reduction in ("mean", "sum"):
    output, target = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    ot = t(output, True)
    loss = torch.nn.MSELoss(reduction=reduction)(ot, t(target))
    loss.backward()
    record(f"mse_{reduction}", output=output, target=target, loss=loss, grad=ot.grad)

    logits = rng.standard_normal((7, 4)) * 4
    labels = rng.integers(0, 4, 7)
    lt = t(logits, True)
    loss = torch.nn.CrossEntropyLoss(reduction=reduction)(lt, torch.tensor(labels))
    loss.backward()
    record(f"cross_entropy_{reduction}", logits=logits, labels=labels, loss=loss, grad=lt.grad)

    logits = rng.standard_normal((7, 3)) * 4
    target = rng.uniform(0.0, 1.0, (7, 3))
    target[:, 0] = rng.integers(0, 2, 7)
    lt = t(logits, True)
    loss = torch.nn.BCEWithLogitsLoss(reduction=reduction)(lt, t(target))
    loss.backward()
    record(f"bce_{reduction}", logits=logits, target=target, loss=loss, grad=lt.grad)

# Cross-entropy with huge logits: log-sum-exp must not overflow.
logits = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 0.0]])
labels = np.array([2, 1])
lt = t(logits, True)
loss = torch.nn.CrossEntropyLoss()(lt, torch.tensor(labels))
loss.backward()
record("cross_entropy_large", logits=logits, labels=labels, loss=loss, grad=lt.grad)

# A small network: Linear(4, 8) -> Tanh -> Linear(8, 3) -> cross-entropy.
x, labels = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
W1, b1 = rng.standard_normal((8, 4)) * 0.5, rng.standard_normal(8) * 0.1
W2, b2 = rng.standard_normal((3, 8)) * 0.5, rng.standard_normal(3) * 0.1
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
with torch.no_grad():
    for p, v in zip(model.parameters(), (W1, b1, W2, b2)):
        p.copy_(t(v))
xt = t(x, True)
loss = torch.nn.CrossEntropyLoss()(model(xt), torch.tensor(labels))
loss.backward()
record("sequential", x=x, labels=labels, W1=W1, b1=b1, W2=W2, b2=b2, loss=loss, grad_x=xt.grad,
       **{f"grad{i}": p.grad for i, p in enumerate(model.parameters())})

# BatchNorm1d: two training steps (batch statistics, running averages), then evaluation.
gamma, beta = rng.uniform(0.5, 2.0, 4), rng.standard_normal(4)
bn = torch.nn.BatchNorm1d(4, eps=1e-5, momentum=0.2)
with torch.no_grad():
    bn.weight.copy_(t(gamma))
    bn.bias.copy_(t(beta))
record("batchnorm", gamma=gamma, beta=beta, momentum=0.2, eps=1e-5)
for step in range(2):
    x, g = rng.standard_normal((6, 4)) * 2 + 1, rng.standard_normal((6, 4))
    bn.zero_grad()
    xt = t(x, True)
    y = bn(xt)
    y.backward(t(g))
    record(f"batchnorm_train{step}", x=x, grad_output=g, y=y, grad_x=xt.grad,
           grad_weight=bn.weight.grad, grad_bias=bn.bias.grad,
           running_mean=bn.running_mean, running_var=bn.running_var)
bn.eval()
bn.zero_grad()
x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
xt = t(x, True)
y = bn(xt)
y.backward(t(g))
record("batchnorm_eval", x=x, grad_output=g, y=y, grad_x=xt.grad,
       grad_weight=bn.weight.grad, grad_bias=bn.bias.grad)

# clip_grad_norm_ over two parameters, for several norms and thresholds (one that does not clip).
grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
record("clip", grad0=grads[0], grad1=grads[1])
for name, max_norm, norm_type in [("l2", 1.0, 2.0), ("l1", 2.5, 1.0), ("inf", 0.5, float("inf")),
                                  ("noclip", 100.0, 2.0)]:
    params = [torch.nn.Parameter(torch.zeros(a.shape)) for a in grads]
    for p, a in zip(params, grads):
        p.grad = t(a)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    record(f"clip_{name}", max_norm=max_norm, norm_type=norm_type, total=total,
           clipped0=params[0].grad, clipped1=params[1].grad)

# Activations on inputs with NaN entries: torch propagates NaN forward, and ReLU's gradient
# passes through a NaN unmasked (its backward zeroes only where the output is <= 0).
x = rng.standard_normal((3, 4))
x[0, 1], x[2, :] = np.nan, np.nan
g = rng.standard_normal((3, 4))
record("activations_nan", x=x, grad_output=g)
for name, layer in [("relu", torch.nn.ReLU()), ("leaky_relu", torch.nn.LeakyReLU(0.2)),
                    ("tanh", torch.nn.Tanh()), ("sigmoid", torch.nn.Sigmoid())]:
    xt = t(x, True)
    y = layer(xt)
    y.backward(t(g))
    record(f"{name}_nan", y=y, grad_x=xt.grad)

# Losses with reduction="none": per-item losses, backpropagated with an upstream gradient w.
output, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
w = rng.standard_normal((5, 3))
ot = t(output, True)
loss = torch.nn.MSELoss(reduction="none")(ot, t(target))
loss.backward(t(w))
record("mse_none", output=output, target=target, weights=w, loss=loss, grad=ot.grad)

logits, labels, w = rng.standard_normal((5, 4)) * 3, rng.integers(0, 4, 5), rng.standard_normal(5)
lt = t(logits, True)
loss = torch.nn.CrossEntropyLoss(reduction="none")(lt, torch.tensor(labels))
loss.backward(t(w))
record("cross_entropy_none", logits=logits, labels=labels, weights=w, loss=loss, grad=lt.grad)

logits, target = rng.standard_normal((5, 3)) * 3, rng.uniform(0.0, 1.0, (5, 3))
w = rng.standard_normal((5, 3))
lt = t(logits, True)
loss = torch.nn.BCEWithLogitsLoss(reduction="none")(lt, t(target))
loss.backward(t(w))
record("bce_none", logits=logits, target=target, weights=w, loss=loss, grad=lt.grad)

path = Path(__file__).with_name("nn_reference.npz")
np.savez_compressed(path, **out)
print(f"wrote {len(out)} arrays to {path}")
