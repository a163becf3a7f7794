"""Layers with explicit forward and backward passes; PyTorch's names, shapes and defaults.

No layer hands out an array it reads again in ``backward``: what a forward returns belongs to
the caller, who may change it in place.
"""
from __future__ import annotations

import numpy as np

from descent._checks import check_int, check_real
from descent._random import as_generator
from descent._types import Array, ArrayLike, DTypeLike, Seed
from descent.nn.module import Module, Parameter


def _as_input(layer: str, x: ArrayLike, features: int | None = None,
              dtype: DTypeLike | None = None) -> Array:
    """Check that x is a floating array (with ``features`` columns, if given) and return it.

    A layer with parameters passes their ``dtype``: integer input is converted to it, floating
    input of another dtype is refused (as torch does; descent never mixes dtypes silently).
    Without ``dtype``, floating input keeps its dtype and integer input becomes float64.
    """
    array = np.asarray(x)
    if array.dtype.kind != "f":  # not a floating dtype (dtype.kind: cheaper than np.issubdtype)
        array = array.astype(np.float64 if dtype is None else dtype)
    elif dtype is not None and array.dtype != dtype:
        raise TypeError(f"{layer} has {np.dtype(dtype)} parameters, got {array.dtype} input: "
                        f"convert one to the other (x.astype(np.{np.dtype(dtype)}) or dtype=...)")
    if features is not None and (array.ndim != 2 or array.shape[1] != features):
        raise ValueError(
            f"{layer} expected input of shape (batch, {features}), got shape {array.shape}")
    return array


def _as_grad(layer: str, grad: ArrayLike, shape: tuple[int, ...]) -> Array:
    """Check that the incoming gradient dL/dy has the forward output's shape and return it."""
    array = np.asarray(grad)
    if array.shape != shape:
        raise ValueError(
            f"{layer}.backward expected a gradient of shape {shape} "
            f"(the forward output's), got {array.shape}")
    return array


class Linear(Module):
    """y = x Wᵀ + b.  Shapes: x (N, in), W (out, in), b (out,), y (N, out).

    Backward: dL/dW += gᵀx, dL/db += Σ_n g, dL/dx = g W, with g = dL/dy.
    Initialization as torch: W and b ~ U(-1/√in, 1/√in).
    """

    _cache = ("x",)

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: DTypeLike = np.float64, rng: Seed = None) -> None:
        self.in_features = check_int("in_features", in_features, low=1)
        self.out_features = check_int("out_features", out_features, low=1)
        rng = as_generator(rng)
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)), dtype=dtype)
        self.bias = Parameter(rng.uniform(-bound, bound, out_features), dtype=dtype) if bias else None

    def forward(self, x: ArrayLike) -> Array:
        self.x = _as_input("Linear", x, self.in_features, self.weight.data.dtype)
        y = self.x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_output: ArrayLike) -> Array:
        x = self._cached("x")
        g = _as_grad("Linear", grad_output, (x.shape[0], self.out_features))
        self.weight.accumulate(g.T @ x)
        if self.bias is not None:
            self.bias.accumulate(g.sum(axis=0))
        return g @ self.weight.data

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None})")


class ReLU(Module):
    """y = max(x, 0);  dL/dx = dL/dy · [not x ≤ 0]  (0 at the kink, as torch does).

    NaN propagates as in torch: relu(NaN) = NaN, and its gradient passes through unmasked, so a
    diverged network shows a NaN loss instead of training on with frozen weights.
    """

    _cache = ("mask",)

    def forward(self, x: ArrayLike) -> Array:
        array = _as_input("ReLU", x)
        self.mask = np.less_equal(array, 0)
        np.logical_not(self.mask, out=self.mask)
        return np.maximum(array, 0)

    def backward(self, grad_output: ArrayLike) -> Array:
        mask = self._cached("mask")
        # A product, not np.where (tens of times slower on a random mask); it differs from
        # torch only where the incoming gradient is already inf or NaN at a masked element.
        return _as_grad("ReLU", grad_output, mask.shape) * mask

    def __repr__(self) -> str:
        return "ReLU()"


class LeakyReLU(Module):
    """y = x if x > 0 else a·x;  dL/dx = dL/dy · (1 if x > 0 else a)  (a at 0, as torch)."""

    _cache = ("mask",)

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = check_real("negative_slope", negative_slope)

    def forward(self, x: ArrayLike) -> Array:
        array = _as_input("LeakyReLU", x)
        self.mask = array > 0
        return np.maximum(array, 0) + self.negative_slope * np.minimum(array, 0)  # NaN stays NaN

    def backward(self, grad_output: ArrayLike) -> Array:
        mask = self._cached("mask")
        g = _as_grad("LeakyReLU", grad_output, mask.shape)
        slope = np.multiply(mask, 1 - self.negative_slope, dtype=g.dtype)
        slope += self.negative_slope  # 1 where x > 0, a elsewhere (NaN included), as torch
        return g * slope

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Tanh(Module):
    """y = tanh(x);  dL/dx = dL/dy · (1 − y²).  Shapes: any → same.

    Forward keeps the local derivative 1 − y², not y, so the caller owns the y it gets.
    """

    _cache = ("slope",)

    def forward(self, x: ArrayLike) -> Array:
        y = np.tanh(_as_input("Tanh", x))
        self.slope = 1 - y * y
        return y

    def backward(self, grad_output: ArrayLike) -> Array:
        slope = self._cached("slope")
        return _as_grad("Tanh", grad_output, slope.shape) * slope

    def __repr__(self) -> str:
        return "Tanh()"


def sigmoid(x: ArrayLike) -> Array:
    """σ(x) = 1/(1 + e^(−x)), computed without overflow for large |x|."""
    array = _as_input("sigmoid", x)
    e = np.exp(-np.abs(array))
    return np.where(array >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class Sigmoid(Module):
    """y = σ(x) = 1/(1 + e^(−x));  dL/dx = dL/dy · y(1 − y).  Shapes: any → same.

    Forward keeps the local derivative y(1 − y), not y, so the caller owns the y it gets.
    """

    _cache = ("slope",)

    def forward(self, x: ArrayLike) -> Array:
        y = sigmoid(x)
        self.slope = y * (1 - y)
        return y

    def backward(self, grad_output: ArrayLike) -> Array:
        slope = self._cached("slope")
        return _as_grad("Sigmoid", grad_output, slope.shape) * slope

    def __repr__(self) -> str:
        return "Sigmoid()"


class Dropout(Module):
    """Training: y = x · m / (1 − p) with m ~ Bernoulli(1 − p) per element; evaluation: y = x.

    dL/dx = dL/dy · m / (1 − p) (inverted dropout, as torch). p = 1 zeroes everything.
    """

    _cache = ("scale",)

    def __init__(self, p: float = 0.5, *, rng: Seed = None) -> None:
        self.p = check_real("p", p, low=0.0, high=1.0)
        # None: draw from the shared generator at call time, so descent.seed(n) governs the masks.
        self.rng = None if rng is None else as_generator(rng)

    def forward(self, x: ArrayLike) -> Array:
        array = _as_input("Dropout", x)
        if not self.training or self.p == 0.0:
            self.scale = np.ones_like(array)
        elif self.p == 1.0:
            self.scale = np.zeros_like(array)
        else:
            keep = as_generator(self.rng).random(array.shape) >= self.p
            self.scale = np.multiply(keep, 1.0 / (1.0 - self.p), dtype=array.dtype)
        return array * self.scale

    def backward(self, grad_output: ArrayLike) -> Array:
        scale = self._cached("scale")
        return _as_grad("Dropout", grad_output, scale.shape) * scale

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class BatchNorm1d(Module):
    """Training: x̂ = (x − μ_B)/√(σ²_B + eps), y = γ x̂ + β, with the batch mean and biased variance;
    running_mean and running_var (unbiased) move by ``momentum``, as torch. Evaluation uses them.

    Backward (training), with g = dL/dy and N the batch size:
    dL/dγ = Σ g x̂,  dL/dβ = Σ g,  dL/dx = γ/(N√(σ²_B + eps)) · (N g − Σ g − x̂ Σ g x̂).
    Shapes: x (N, C).
    """

    _cache = ("x_hat",)
    _buffers = ("running_mean", "running_var")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, *, dtype: DTypeLike = np.float64) -> None:
        self.num_features = check_int("num_features", num_features, low=1)
        self.eps = check_real("eps", eps, low=0.0, low_open=True)
        self.momentum = check_real("momentum", momentum, low=0.0, high=1.0)
        self.dtype = np.dtype(dtype)
        self.weight = Parameter(np.ones(num_features), dtype=dtype) if affine else None
        self.bias = Parameter(np.zeros(num_features), dtype=dtype) if affine else None
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)

    def forward(self, x: ArrayLike) -> Array:
        x = _as_input("BatchNorm1d", x, self.num_features, self.dtype)
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    f"BatchNorm1d needs more than 1 sample per batch in training mode, got batch size {n}")
            mean, var = x.mean(axis=0), x.var(axis=0)
            m = self.momentum  # in place: the running statistics keep the layer's dtype
            self.running_mean *= 1 - m
            self.running_mean += m * mean
            self.running_var *= 1 - m
            self.running_var += m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (x - mean) * self.inv_std
        self.batch_stats = self.training
        if self.weight is None or self.bias is None:  # both or neither (affine)
            return self.x_hat.copy()  # backward reads x_hat: the caller gets its own array
        return self.x_hat * self.weight.data + self.bias.data

    def backward(self, grad_output: ArrayLike) -> Array:
        x_hat = self._cached("x_hat")
        g = _as_grad("BatchNorm1d", grad_output, x_hat.shape)
        gamma: float | Array = 1.0
        if self.weight is not None and self.bias is not None:
            self.weight.accumulate((g * x_hat).sum(axis=0))
            self.bias.accumulate(g.sum(axis=0))
            gamma = self.weight.data
        if not self.batch_stats:
            return g * gamma * self.inv_std
        n = x_hat.shape[0]
        return (gamma * self.inv_std / n) * (
            n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps}, momentum={self.momentum})"
