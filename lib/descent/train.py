"""One training loop for every method, trajectories on test problems, and the LR range test.

``fit`` trains a ``descent.nn`` model on mini-batches and records a ``History``; ``minimize``
follows an optimizer on a test problem from ``descent.problems``; ``lr_find`` runs the
learning-rate range test.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol, Self

import numpy as np
from tqdm import tqdm

from descent._checks import check_int, check_real
from descent._types import Array, ArrayLike, NDArray
from descent.nn.losses import CrossEntropyLoss, Loss
from descent.nn.module import Module, Parameter
from descent.nn.utils import clip_grad_norm_
from descent.optim.optimizer import Optimizer

DEFAULT_BATCH_SIZE = 32


class Objective(Protocol):
    """What ``minimize`` needs of a test problem (a ``descent.problems.Problem``)."""

    @property
    def x0(self) -> Array: ...

    def __call__(self, x: ArrayLike) -> float | Array: ...

    def grad(self, x: ArrayLike) -> Array: ...


class EpochCallback(Protocol):
    """A callback of ``fit`` that is an object: ``on_epoch_end(history)`` after every epoch."""

    def on_epoch_end(self, history: History) -> None: ...


class NonFiniteLossError(FloatingPointError):
    """Training produced a loss that is inf or nan."""


class History:
    """What a run of ``fit`` recorded.

    Per step: ``loss`` (the mini-batch loss), ``lr`` (the rate the step used), ``grad_norm``
    (the gradients' joint 2-norm, before any clipping). Per epoch: ``epoch_loss`` (the mean of
    the epoch's mini-batch losses), and with validation data ``val_loss`` and, for
    classification, ``val_accuracy``. Each is a list while training runs and a numpy array after.
    """

    fields = ("loss", "lr", "grad_norm", "epoch_loss", "val_loss", "val_accuracy")
    loss: list[float] | Array
    lr: list[float] | Array
    grad_norm: list[float] | Array
    epoch_loss: list[float] | Array
    val_loss: list[float] | Array
    val_accuracy: list[float] | Array

    def __init__(self) -> None:
        for name in self.fields:
            setattr(self, name, [])

    def record(self, **values: float) -> None:
        """Append each value to the list of its name, ``record(loss=0.3, lr=0.1)``, while training."""
        for name, value in values.items():
            getattr(self, name).append(value)

    def finish(self) -> Self:
        """Turn the lists into arrays (``fit`` calls this at the end)."""
        for name in self.fields:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        return self

    @property
    def steps(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        last = f", last epoch loss {self.epoch_loss[-1]:.4g}" if len(self.epoch_loss) else ""
        return f"History({self.steps} steps, {len(self.epoch_loss)} epochs{last})"


def _check_data(X: ArrayLike, y: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y have different numbers of samples: {len(X)} and {len(y)}")
    if len(X) == 0:
        raise ValueError("X and y are empty")
    return X, y


def _scalar(loss: float | Array, loss_fn: Loss) -> float:
    """The loss of a batch as one number: training needs a loss that reduces to one."""
    if np.ndim(loss) != 0:
        raise TypeError(f"{type(loss_fn).__name__} returned per-item losses of shape "
                        f"{np.shape(loss)} (reduction={getattr(loss_fn, 'reduction', None)!r}); "
                        "training needs one number: use reduction='mean' or 'sum'")
    return float(loss)


def _global_norm(params: list[Parameter]) -> float:
    return math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params if p.grad is not None))


def evaluate(model: Module, loss_fn: Loss, X: ArrayLike, y: ArrayLike
             ) -> tuple[float | Array, float | None]:
    """Loss (and accuracy, for CrossEntropyLoss) of ``model`` on (X, y) in evaluation mode."""
    X, y = _check_data(X, y)
    was_training = model.training
    model.eval()
    output = model(X)
    model.train(was_training)
    loss = loss_fn(output, y)
    accuracy = float((output.argmax(axis=1) == y).mean()) if isinstance(loss_fn, CrossEntropyLoss) else None
    return loss, accuracy


def fit(model: Module, loss_fn: Loss, optimizer: Optimizer, X: ArrayLike, y: ArrayLike,
        epochs: int = 20, batch_size: int | Literal["auto"] | None = "auto", seed: int = 0,
        clip_grad_norm: float | None = None,
        validation: tuple[ArrayLike, ArrayLike] | None = None,
        callbacks: Iterable[EpochCallback | Callable[[History], object]] = (),
        progress: bool | None = None) -> History:
    """Train ``model`` with ``optimizer`` on mini-batches of (X, y) and return a ``History``.

    Each epoch visits the samples in a new order, shuffled by a generator seeded with ``seed``.
    ``batch_size``: a number of samples, None for the full batch, or "auto" (the default): 32,
    or the full batch for an optimizer that needs a closure (``optimizer.needs_closure``:
    L-BFGS, Newton, …, whose line searches and curvature pairs assume one fixed function).

    One step is the same for every method: a closure over the current batch runs zero_grad,
    forward, loss, backward and the optional clipping of the gradients' joint norm to
    ``clip_grad_norm``, and returns the loss. A first-order optimizer gets ``step()`` after one
    call of it; an optimizer that needs a closure gets ``step(closure)`` and calls it as often as
    it needs (its steps cannot be clipped: the gradient would no longer be the loss's).
    The history records the loss and gradient norm of a step's first evaluation.
    ``validation=(X_val, y_val)`` is evaluated after every epoch. At the end of every epoch each
    callback gets ``on_epoch_end(history)`` (for example ``schedules.ReduceLROnPlateau``), or is
    called with the history if it is a plain function. ``progress``: True shows a progress bar,
    False never, None (default) only when the output is a terminal.

    A loss that is inf or nan at the start of a step stops training with
    ``NonFiniteLossError``, naming the step, the rate and the last finite loss. An optimizer with
    ``train()`` and ``eval()`` (the schedule-free methods) is put in training mode for the steps
    and in evaluation mode for validation and at the end, so that the model is validated and left
    with the averaged weights.
    """
    X, y = _check_data(X, y)
    epochs = check_int("epochs", epochs, low=1)
    needs_closure = bool(getattr(optimizer, "needs_closure", False))
    if batch_size == "auto":
        batch_size = None if needs_closure else DEFAULT_BATCH_SIZE
    batch_size = len(X) if batch_size is None else check_int("batch_size", batch_size, low=1)
    if clip_grad_norm is not None:
        check_real("clip_grad_norm", clip_grad_norm, low=0.0, low_open=True)
        if needs_closure:
            raise ValueError(f"clip_grad_norm={clip_grad_norm!r} cannot be used with "
                             f"{type(optimizer).__name__}: its line search needs the loss's own "
                             "gradient; leave clip_grad_norm=None")
    checked_validation = None if validation is None else _check_data(*validation)
    params = model.parameters()
    rng = np.random.default_rng(seed)
    history = History()
    batches = math.ceil(len(X) / batch_size)
    bar = tqdm(total=epochs * batches, disable=None if progress is None else not progress,
               unit="step", leave=False)
    model.train()
    _optimizer_mode(optimizer, "train")
    try:
        for epoch in range(epochs):
            order = rng.permutation(len(X))
            epoch_losses: list[float] = []
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                lr = optimizer.lr
                rate = math.nan if lr is None else lr
                X_batch, y_batch = X[batch], y[batch]
                first: list[tuple[float, float]] = []

                def closure() -> float:
                    optimizer.zero_grad()
                    loss = _scalar(loss_fn(model(X_batch), y_batch), loss_fn)
                    if not first and not math.isfinite(loss):
                        last = f"{history.loss[-1]:.6g}" if history.loss else "none (the first step)"
                        raise NonFiniteLossError(
                            f"loss is {loss} at step {history.steps + 1} (epoch {epoch + 1}) with "
                            f"lr={rate:g}; last finite loss: {last}. Lower the learning rate or "
                            "clip the gradients (clip_grad_norm=...).")
                    model.backward(loss_fn.backward())
                    norm = (clip_grad_norm_(params, clip_grad_norm) if clip_grad_norm is not None
                            else _global_norm(params))
                    if not first:
                        first.append((loss, norm))
                    return loss

                if needs_closure:
                    optimizer.step(closure)
                else:
                    closure()
                    optimizer.step()
                loss, norm = first[0]
                history.record(loss=loss, lr=rate, grad_norm=norm)
                epoch_losses.append(loss)
                bar.update(1)
            history.record(epoch_loss=float(np.mean(epoch_losses)))
            if checked_validation is not None:
                _optimizer_mode(optimizer, "eval")
                val_loss, val_accuracy = evaluate(model, loss_fn, *checked_validation)
                _optimizer_mode(optimizer, "train")
                history.record(val_loss=_scalar(val_loss, loss_fn))
                if val_accuracy is not None:
                    history.record(val_accuracy=val_accuracy)
            bar.set_postfix(loss=f"{history.epoch_loss[-1]:.4g}")
            for callback in callbacks:
                if hasattr(callback, "on_epoch_end"):
                    callback.on_epoch_end(history)
                else:
                    callback(history)
        _optimizer_mode(optimizer, "eval")
    finally:
        bar.close()
    return history.finish()


def _optimizer_mode(optimizer: Optimizer, mode: str) -> None:
    """Call ``optimizer.train()`` or ``.eval()`` if it has them (schedule-free methods: the
    parameters hold the training point y in one mode and the averaged weights x in the other)."""
    switch = getattr(optimizer, mode, None)
    if callable(switch):
        switch()


def minimize(f: Objective, optimizer: Callable[..., Optimizer], x0: ArrayLike | None = None,
             steps: int = 100, **hyperparameters: Any) -> Array:
    """Follow ``optimizer`` on the test problem ``f`` and return the path, shape (steps + 1, dim).

    ``optimizer`` is an optimizer class (``optim.SGD``, ``optim.Adam``, ``optim.LBFGS``, …),
    built on one parameter at ``x0`` (default ``f.x0``) with ``hyperparameters``. Each step calls
    ``optimizer.step(closure)``, where the closure writes ∇f into the gradient and returns f, so
    methods that need several evaluations per step work too. A run that leaves the finite numbers
    stops there with a RuntimeWarning; the path ends at the last finite point.
    """
    steps = check_int("steps", steps, low=0)
    theta = Parameter(f.x0 if x0 is None else x0)
    opt = optimizer([theta], **hyperparameters)

    def closure() -> float:
        theta.grad = f.grad(theta.data).astype(theta.data.dtype, copy=False)
        return float(f(theta.data))

    path = [theta.data.copy()]
    for step in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):
            opt.step(closure)
        if not np.all(np.isfinite(theta.data)):
            warnings.warn(f"{type(opt).__name__} left the finite numbers at step {step + 1} "
                          f"(lr={opt.lr}); the path stops at step {step}", RuntimeWarning,
                          stacklevel=2)
            break
        path.append(theta.data.copy())
    return np.array(path)


def evaluations_to_tolerance(f: Objective, make_optimizer: Callable[[list[Parameter]], Optimizer],
                             budget: int = 10_000, tolerance: float = 1e-8
                             ) -> tuple[int | None, Array]:
    """How many evaluations of f (closure calls) a method needs before ‖∇f‖₂ < ``tolerance``.

    ``make_optimizer(params)`` builds the optimizer on one parameter at ``f.x0``; ``step(closure)``
    is called until the first evaluation below the tolerance, until ``budget`` evaluations, or
    until a step leaves θ unchanged (the method has stalled). Returns ``(count, x)``: the index
    (from 1) of the first evaluation below the tolerance, or None, and the final point. This is
    the count scipy.optimize reports as ``nfev`` when it stops at the same gradient norm.
    """
    check_int("budget", budget, low=1)
    theta = Parameter(f.x0)
    norms: list[float] = []

    def closure() -> float:
        theta.grad = f.grad(theta.data).astype(theta.data.dtype, copy=False)
        norms.append(float(np.linalg.norm(theta.grad)))
        return float(f(theta.data))

    opt = make_optimizer([theta])
    while len(norms) < budget and not (norms and norms[-1] < tolerance):
        before = theta.data.copy()
        opt.step(closure)
        if np.array_equal(theta.data, before):
            break
    count = next((i + 1 for i, norm in enumerate(norms) if norm < tolerance), None)
    return count, theta.data.copy()


class LRFinderResult:
    """The LR range test's record: ``lrs``, raw ``losses``, ``smoothed`` losses, and two readings:
    ``steepest`` (the rate where the smoothed loss falls fastest per decade) and
    ``min_loss_lr`` (the rate of the lowest smoothed loss; a tenth of it is a common pick)."""

    def __init__(self, lrs: ArrayLike, losses: ArrayLike, smoothed: ArrayLike) -> None:
        self.lrs, self.losses, self.smoothed = np.asarray(lrs), np.asarray(losses), np.asarray(smoothed)
        self.min_loss_lr = float(self.lrs[np.argmin(self.smoothed)])
        best = int(np.argmin(self.smoothed))
        if best >= 2:
            slopes = np.gradient(self.smoothed[:best + 1], np.log10(self.lrs[:best + 1]))
            self.steepest = float(self.lrs[int(np.argmin(slopes))])
        else:
            self.steepest = float(self.lrs[0])

    def __repr__(self) -> str:
        return (f"LRFinderResult({len(self.lrs)} steps, steepest={self.steepest:.3g}, "
                f"min_loss_lr={self.min_loss_lr:.3g})")


def lr_find(model: Module, loss_fn: Loss, optimizer: Callable[..., Optimizer], X: ArrayLike,
            y: ArrayLike, start_lr: float = 1e-7, end_lr: float = 10.0, steps: int = 100,
            batch_size: int = 32, seed: int = 0, smoothing: float = 0.98, divergence: float = 4.0,
            **hyperparameters: Any) -> LRFinderResult:
    """The learning-rate range test in its geometric, smoothed-loss form (Smith 2018, as in
    fastai; Smith 2017 raised the rate linearly and read the accuracy): train for ``steps``
    mini-batches while the rate grows geometrically from ``start_lr`` to ``end_lr``, η_k = start·(end/start)^(k/(steps−1)),
    and record the loss. Stops early once the smoothed loss exceeds ``divergence`` times its
    minimum or is not finite. The model is restored afterwards: its parameters and buffers
    (``state_dict``, BatchNorm1d's running statistics included) and each module's train/eval
    mode; its gradients are reset (to None).

    The smoothed loss is a bias-corrected exponential moving average with factor ``smoothing``.
    """
    X, y = _check_data(X, y)
    check_real("start_lr", start_lr, low=0.0, low_open=True)
    check_real("end_lr", end_lr, low=start_lr, low_open=True)
    steps = check_int("steps", steps, low=2)
    check_real("smoothing", smoothing, low=0.0, high=1.0, high_open=True)
    check_real("divergence", divergence, low=1.0, low_open=True)
    params = model.parameters()
    saved = model.state_dict()
    modes = [(module, module.training) for module in model.modules()]
    ratio = end_lr / start_lr
    opt = optimizer(params, lr=lambda t: start_lr * ratio ** (t / (steps - 1)), **hyperparameters)
    rng = np.random.default_rng(seed)
    batch_size = min(check_int("batch_size", batch_size, low=1), len(X))
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, best = 0.0, math.inf
    order, position = rng.permutation(len(X)), 0
    model.train()
    try:
        for k in range(steps):
            if position + batch_size > len(X):
                order, position = rng.permutation(len(X)), 0
            batch = order[position:position + batch_size]
            position += batch_size
            lr = opt.rate(opt.param_groups[0])  # opt.lr: lr_find gives the optimizer its rate
            opt.zero_grad()
            loss = _scalar(loss_fn(model(X[batch]), y[batch]), loss_fn)
            if not math.isfinite(loss):
                break
            model.backward(loss_fn.backward())
            opt.step()
            average = smoothing * average + (1 - smoothing) * loss
            value = average / (1 - smoothing ** (k + 1))
            lrs.append(lr)
            losses.append(loss)
            smoothed.append(value)
            best = min(best, value)
            if value > divergence * best:
                break
    finally:
        model.load_state_dict(saved)
        for module, training in modes:
            module.training = training
        model.zero_grad()
    if len(lrs) < 2:
        raise NonFiniteLossError(f"the loss was not finite from the first rate {start_lr:g}: "
                                 "lower start_lr")
    return LRFinderResult(lrs, losses, smoothed)
