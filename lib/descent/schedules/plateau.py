"""The one schedule that needs state: cut the rate when a watched metric stops improving."""
import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal, Protocol, SupportsFloat

from descent._checks import check_choice, check_int, check_nonnegative, check_real
from descent._types import Array, Group


class HasParamGroups(Protocol):
    """An optimizer, as far as the plateau controller needs one (schedules import no optimizer)."""

    @property
    def param_groups(self) -> list[Group]: ...


class EpochRecord(Protocol):
    """A ``descent.train.History``, as far as ``on_epoch_end`` reads one."""

    @property
    def epoch_loss(self) -> Sequence[float] | Array: ...


class ReduceLROnPlateau:
    """torch.optim.lr_scheduler.ReduceLROnPlateau: the same arguments and the same decisions.

    Call ``step(metric)`` once per evaluation (usually per epoch). With best the best metric so
    far (−∞/+∞ at first), a new value a is an improvement when
        a < best·(1 − threshold)  (mode "min", threshold_mode "rel"),  a < best − threshold  ("abs"),
        a > best·(1 + threshold)  (mode "max", "rel"),                 a > best + threshold  ("abs").
    An improvement resets the count of bad evaluations, anything else (NaN too) adds one. During a
    cooldown after a cut the count stays 0. When the count exceeds ``patience`` every group's rate
    becomes max(lr · factor, min_lr) — unless that changes it by ``eps`` or less — and a cooldown
    of ``cooldown`` evaluations starts. So the first cut comes with the (patience+1)-th evaluation
    in a row without improvement. ("rel" with negative metrics inverts: best·(1 − threshold) is
    then above best.)

    It writes ``group["lr"]`` as a number, so every group's rate must be a number, not a schedule.
    ``on_epoch_end(history)`` lets ``descent.train.fit`` drive it: it watches the validation loss
    when there is one, else the training loss of the epoch.
    """

    def __init__(self, optimizer: HasParamGroups, mode: Literal["min", "max"] = "min",
                 factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 threshold_mode: Literal["rel", "abs"] = "rel", cooldown: int = 0,
                 min_lr: float | list[float] | tuple[float, ...] = 0, eps: float = 1e-8) -> None:
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"optimizer must be an optimizer with param_groups, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.factor = float(check_real("factor", factor, low=0.0, high=1.0, high_open=True))
        self.patience = check_int("patience", patience, low=0)
        self.threshold = float(check_nonnegative("threshold", threshold))
        self.threshold_mode = check_choice("threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = check_int("cooldown", cooldown, low=0)
        self.eps = float(check_nonnegative("eps", eps))
        groups = optimizer.param_groups
        self.min_lrs: list[float]
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"min_lr must have one entry per parameter group ({len(groups)}), "
                                 f"got {min_lr!r}")
            self.min_lrs = [float(check_nonnegative(f"min_lr[{i}]", m)) for i, m in enumerate(min_lr)]
        else:
            self.min_lrs = [float(check_nonnegative("min_lr", min_lr))] * len(groups)
        for i, group in enumerate(groups):
            _check_numeric_lr(i, group)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric value ``a`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metric: SupportsFloat) -> None:
        """Record one evaluation of the watched metric and cut the rates if it has stalled."""
        current = float(metric)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def _reduce(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            raise ValueError(f"the optimizer has {len(groups)} parameter groups, min_lr was given "
                             f"for {len(self.min_lrs)}")
        for i, group in enumerate(groups):
            _check_numeric_lr(i, group)
            old = float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                group["lr"] = new

    def on_epoch_end(self, history: EpochRecord) -> None:
        """``step`` with the epoch's validation loss if ``history`` has one, else its training loss."""
        val_loss = getattr(history, "val_loss", None)
        if val_loss is not None and len(val_loss) > 0:
            self.step(val_loss[-1])
        else:
            self.step(history.epoch_loss[-1])

    @property
    def last_lr(self) -> list[float]:
        """Every group's current rate."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The counters and settings, to resume later with ``load_state_dict``."""
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` saved."""
        for key, value in state_dict.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(mode={self.mode!r}, factor={self.factor!r}, "
                f"patience={self.patience!r}, threshold={self.threshold!r}, "
                f"threshold_mode={self.threshold_mode!r}, cooldown={self.cooldown!r}, "
                f"min_lr={self.min_lrs!r}, eps={self.eps!r})")


def _check_numeric_lr(index: int, group: Group) -> None:
    lr = group["lr"]
    if not isinstance(lr, numbers.Real) or isinstance(lr, bool):
        raise TypeError(f"ReduceLROnPlateau sets the rate of parameter group {index} itself, so "
                        f"its lr must be a number, got {lr!r}; give the optimizer a number "
                        "(a schedule and a plateau controller cannot both own the rate)")
