"""Schedules made of schedules: a linear warmup in front of one, and one after another."""
import numbers
from collections.abc import Sequence

import numpy as np

from descent._checks import check_int, check_real
from descent._types import Array, IntArray
from descent.schedules.base import Schedule, ScheduleLike
from descent.schedules.decay import constant


def warmup(schedule: ScheduleLike | float, warmup_steps: int,
           start_factor: float = 1 / 3) -> Schedule:
    """A linear warmup, then ``schedule`` from its beginning.

    With W = warmup_steps, a = start_factor and η₀ = schedule(0):
        η(t) = η₀ · (a + (1 − a) · t/W)   for t < W,
        η(t) = schedule(t − W)             for t ≥ W   (the schedule is shifted by W).
    This is torch's SequentialLR([LinearLR(start_factor=a, total_iters=W), S], milestones=[W]).
    ``schedule`` may be a number (a constant rate). ``start_factor=0`` (allowed here, not by
    LinearLR) makes the first step a step of size zero.
    """
    schedule = as_schedule("schedule", schedule)
    warmup_steps = check_int("warmup_steps", warmup_steps, low=1)
    a = float(check_real("start_factor", start_factor, low=0.0, high=1.0))
    target = float(schedule(0))

    def rate(t: IntArray) -> Array:
        warming = t < warmup_steps
        out = np.empty(t.shape)
        out[warming] = target * (a + (1.0 - a) * t[warming] / warmup_steps)
        out[~warming] = evaluate(schedule, t[~warming] - warmup_steps)
        return out

    return Schedule(warmup, dict(schedule=schedule, warmup_steps=warmup_steps, start_factor=a),
                    rate)


def sequential(schedules: Sequence[ScheduleLike | float], milestones: Sequence[int]) -> Schedule:
    """Schedules one after another: the i-th runs from milestones[i−1] on, restarted at its t = 0.

    η(t) = schedules[i](t − m_{i−1})  where i = number of milestones ≤ t (m_{−1} = 0).
    torch SequentialLR(schedulers, milestones) — there every scheduler starts from the
    optimizer's base rate; here each schedule carries its own. After the last milestone the
    last schedule runs for ever. Numbers are constant rates.
    """
    parts = [as_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
    if not parts:
        raise ValueError("schedules must hold at least one schedule, got an empty list")
    milestones = [check_int(f"milestones[{i}]", m, low=1) for i, m in enumerate(milestones)]
    if len(milestones) != len(parts) - 1:
        raise ValueError(f"milestones must have one entry fewer than schedules: got "
                         f"{len(parts)} schedules and milestones={milestones!r}")
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"milestones must be strictly increasing, got {milestones!r}")
    starts = [0] + milestones

    def rate(t: IntArray) -> Array:
        which = np.searchsorted(np.array(milestones, dtype=np.int64), t, side="right")
        out = np.empty(t.shape)
        for i, (schedule, start) in enumerate(zip(parts, starts)):
            here = which == i
            out[here] = evaluate(schedule, t[here] - start)
        return out

    return Schedule(sequential, dict(schedules=parts, milestones=milestones), rate)


def as_schedule(name: str, value: ScheduleLike | float) -> ScheduleLike:
    """``value`` as a schedule: a Schedule or any function of t as it is, a number as a constant."""
    if callable(value):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return constant(value)
    raise TypeError(f"{name} must be a schedule or a number, got {value!r}")


def evaluate(schedule: ScheduleLike, t: IntArray) -> Array:
    """``schedule`` at every entry of the integer array ``t`` (one call per entry for plain functions)."""
    if isinstance(schedule, Schedule):
        return schedule(t)
    return np.array([float(schedule(int(k))) for k in t.ravel()]).reshape(t.shape)
