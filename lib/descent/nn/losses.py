"""Losses: ``loss_fn(output, target)`` returns the loss; ``loss_fn.backward()`` returns dL/d(output).

``reduction`` as torch's: ``"mean"`` (the default) averages the per-item losses and returns a
Python float, ``"sum"`` adds them, ``"none"`` returns the array of per-item losses (one per
element; one per sample for CrossEntropyLoss). ``backward(grad_output)`` takes dL/d(loss): a
number for "mean" and "sum", an array of the per-item losses' shape for "none"; by default 1
(ones for "none", the gradient of their sum). The target is converted to the output's dtype.
"""
from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from descent._checks import check_choice
from descent._types import Array, ArrayLike, DTypeLike, NDArray
from descent.nn.layers import sigmoid

Reduction = Literal["none", "mean", "sum"]
_REDUCTIONS = ("none", "mean", "sum")


class Loss:
    """Base class: ``__call__`` checks the inputs, computes the loss and caches what backward needs."""

    def __init__(self, reduction: Reduction = "mean") -> None:
        self.reduction: Reduction = check_choice("reduction", reduction, _REDUCTIONS)

    def _reduce(self, per_item: Array) -> float | Array:
        self._items_shape = per_item.shape
        if self.reduction == "none":
            return per_item
        total = per_item.sum()
        return float(total / per_item.size if self.reduction == "mean" else total)

    def _weights(self, grad_output: ArrayLike | None, dtype: DTypeLike) -> float | Array:
        """The factor by which each per-item derivative is multiplied: dL/d(item loss)."""
        shape = self._items_shape
        if self.reduction == "none":
            if grad_output is None:
                return np.ones(shape, dtype=dtype)
            weights = np.asarray(grad_output, dtype=dtype)
            if weights.shape != shape:
                raise ValueError(f"{type(self).__name__}.backward with reduction='none' expected "
                                 f"grad_output of shape {shape} (the per-item losses'), got "
                                 f"{weights.shape}")
            return weights
        if grad_output is not None and np.ndim(grad_output) != 0:
            raise ValueError(f"{type(self).__name__}.backward with reduction={self.reduction!r} "
                             f"expected a scalar grad_output, got shape {np.shape(grad_output)}")
        scale = 1.0 if grad_output is None else float(np.asarray(grad_output))
        size = math.prod(shape)
        return scale / size if self.reduction == "mean" else scale

    _cache: tuple[str, ...] = ()

    def __call__(self, output: ArrayLike, target: ArrayLike) -> float | Array:
        for name in self._cache:
            setattr(self, name, None)  # a call that raises leaves nothing stale behind
        return self.forward(output, target)

    def forward(self, output: ArrayLike, target: ArrayLike) -> float | Array:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output: ArrayLike | None = None) -> Array:
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def _cached(self, name: str) -> NDArray[Any]:
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the loss was computed")
        return value


def _floating(array: ArrayLike, dtype: DTypeLike | None = None) -> Array:
    """``array`` as a floating array: in ``dtype`` if given, else its own floating dtype or float64."""
    array = np.asarray(array)
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype.kind != "f":  # not a floating dtype
        array = array.astype(np.float64)
    return array


def _same_shape(loss: str, output: Array, target: Array) -> None:
    if output.shape != target.shape:
        raise ValueError(
            f"{loss}: output shape {output.shape} and target shape {target.shape} differ "
            "(reshape the target; silent broadcasting is a classic bug)")


class MSELoss(Loss):
    """L = mean((y − t)²) over all elements;  dL/dy = 2(y − t)/n  (per item: 2(y − t))."""

    _cache = ("diff",)

    def forward(self, output: ArrayLike, target: ArrayLike) -> float | Array:
        output = _floating(output)
        target = _floating(target, output.dtype)
        _same_shape("MSELoss", output, target)
        self.diff = output - target
        return self._reduce(self.diff**2)

    def backward(self, grad_output: ArrayLike | None = None) -> Array:
        diff = self._cached("diff")
        return 2 * diff * self._weights(grad_output, diff.dtype)


def log_softmax(logits: Array) -> Array:
    """log softmax along the last axis, via the log-sum-exp shift (no overflow)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class CrossEntropyLoss(Loss):
    """L = mean_n(−log softmax(z_n)[y_n]) for logits z (N, C) and integer labels y (N,) in [0, C).

    dL/dz = (softmax(z) − onehot(y))/N.  With reduction="none", one loss per sample.
    """

    _cache = ("log_probs",)

    def forward(self, logits: ArrayLike, labels: ArrayLike) -> float | Array:
        logits = _floating(logits)
        labels = np.asarray(labels)
        if logits.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expects logits of shape (N, C), got {logits.shape}")
        if labels.dtype.kind not in "iu":  # not an integer dtype (bool is not one either)
            raise TypeError(
                f"CrossEntropyLoss expects integer class labels, got dtype {labels.dtype} "
                "(use labels.astype(int); one-hot targets are not accepted)")
        if labels.shape != (logits.shape[0],):
            raise ValueError(
                f"CrossEntropyLoss expects labels of shape ({logits.shape[0]},) for logits "
                f"{logits.shape}, got {labels.shape}")
        n_classes = logits.shape[1]
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            bad = labels[(labels < 0) | (labels >= n_classes)][0]
            raise ValueError(f"CrossEntropyLoss: label {bad} is out of range [0, {n_classes})")
        self.labels = labels
        self.log_probs = log_softmax(logits)
        return self._reduce(-self.log_probs[np.arange(labels.size), labels])

    def backward(self, grad_output: ArrayLike | None = None) -> Array:
        log_probs = self._cached("log_probs")
        grad = np.exp(log_probs)
        grad[np.arange(self.labels.size), self.labels] -= 1
        weights = self._weights(grad_output, grad.dtype)  # an array (one per sample) for "none"
        grad *= weights[:, None] if isinstance(weights, np.ndarray) else weights  # grad is our own array
        return grad


class BCEWithLogitsLoss(Loss):
    """L = mean(max(z, 0) − z·t + log(1 + e^(−|z|))) = mean BCE(σ(z), t), computed stably;
    dL/dz = (σ(z) − t)/n.  Targets t in [0, 1], same shape as z."""

    _cache = ("logits",)

    def forward(self, logits: ArrayLike, target: ArrayLike) -> float | Array:
        logits = _floating(logits)
        target = _floating(target, logits.dtype)
        _same_shape("BCEWithLogitsLoss", logits, target)
        if target.size and (target.min() < 0 or target.max() > 1):
            raise ValueError("BCEWithLogitsLoss: targets must lie in [0, 1]")
        self.logits, self.target = logits, target
        per_item = np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
        return self._reduce(per_item)

    def backward(self, grad_output: ArrayLike | None = None) -> Array:
        logits = self._cached("logits")
        return (sigmoid(logits) - self.target) * self._weights(grad_output, logits.dtype)
