"""Losses: ``loss_fn(output, target)`` returns a Python float; ``loss_fn.backward()`` returns dL/d(output).

Reduction is the mean, as torch's default (``reduction="sum"`` adds instead).
"""
import numpy as np

from descent.nn.layers import sigmoid

_REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class: ``__call__`` checks the inputs, computes the loss and caches what backward needs."""

    def __init__(self, reduction="mean"):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def _reduce(self, per_item):
        total = per_item.sum()
        return float(total / per_item.size if self.reduction == "mean" else total)

    def _scale(self, count):
        return 1.0 / count if self.reduction == "mean" else 1.0

    _cache = ()

    def __call__(self, output, target):
        for name in self._cache:
            setattr(self, name, None)  # a call that raises leaves nothing stale behind
        return self.forward(output, target)

    def _cached(self, name):
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before the loss was computed")
        return value


def _floating(name, array):
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


def _same_shape(loss, output, target):
    if output.shape != target.shape:
        raise ValueError(
            f"{loss}: output shape {output.shape} and target shape {target.shape} differ "
            "(reshape the target; silent broadcasting is a classic bug)")


class MSELoss(Loss):
    """L = mean((y − t)²) over all elements;  dL/dy = 2(y − t)/n."""

    _cache = ("diff",)

    def forward(self, output, target):
        output, target = _floating("output", output), _floating("target", target)
        _same_shape("MSELoss", output, target)
        self.diff = output - target
        return self._reduce(self.diff**2)

    def backward(self):
        diff = self._cached("diff")
        return 2.0 * diff * self._scale(diff.size)


def log_softmax(logits):
    """log softmax along the last axis, via the log-sum-exp shift (no overflow)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class CrossEntropyLoss(Loss):
    """L = mean_n(−log softmax(z_n)[y_n]) for logits z (N, C) and integer labels y (N,) in [0, C).

    dL/dz = (softmax(z) − onehot(y))/N.
    """

    _cache = ("log_probs",)

    def forward(self, logits, labels):
        logits = _floating("logits", logits)
        labels = np.asarray(labels)
        if logits.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expects logits of shape (N, C), got {logits.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
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

    def backward(self):
        log_probs = self._cached("log_probs")
        grad = np.exp(log_probs)
        grad[np.arange(self.labels.size), self.labels] -= 1.0
        return grad * self._scale(self.labels.size)


class BCEWithLogitsLoss(Loss):
    """L = mean(max(z, 0) − z·t + log(1 + e^(−|z|))) = mean BCE(σ(z), t), computed stably;
    dL/dz = (σ(z) − t)/n.  Targets t in [0, 1], same shape as z."""

    _cache = ("logits",)

    def forward(self, logits, target):
        logits, target = _floating("logits", logits), _floating("target", target)
        _same_shape("BCEWithLogitsLoss", logits, target)
        if target.size and (target.min() < 0 or target.max() > 1):
            raise ValueError("BCEWithLogitsLoss: targets must lie in [0, 1]")
        self.logits, self.target = logits, target
        per_item = np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
        return self._reduce(per_item)

    def backward(self):
        logits = self._cached("logits")
        return (sigmoid(logits) - self.target) * self._scale(logits.size)
