"""Schedules that only go one way: constant, step, multistep, exponential, inverse-time,
polynomial and linear. Each equals torch's scheduler after t calls of ``scheduler.step()``."""
from collections.abc import Sequence

import numpy as np

from descent._checks import check_int, check_real
from descent._types import Array, IntArray
from descent.schedules.base import Schedule, check_rate


def constant(lr: float) -> Schedule:
    """η(t) = lr for every t.  (torch: no scheduler; Keras: a float learning_rate.)"""
    lr = check_rate("lr", lr)

    def rate(t: IntArray) -> Array:
        return np.full(t.shape, lr)

    return Schedule(constant, dict(lr=lr), rate)


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """η(t) = lr · gamma^⌊t / step_size⌋: multiply by gamma every ``step_size`` steps.

    torch StepLR(step_size, gamma). It keeps decaying for ever: there is no last step.
    """
    lr = check_rate("lr", lr)
    step_size = check_int("step_size", step_size, low=1)
    gamma = float(check_real("gamma", gamma, low=0.0, high=1.0, low_open=True))

    def rate(t: IntArray) -> Array:
        return lr * gamma ** (t // step_size)

    return Schedule(step_decay, dict(lr=lr, step_size=step_size, gamma=gamma), rate)


def multistep_decay(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """η(t) = lr · gamma^(number of milestones ≤ t): multiply by gamma at each milestone.

    torch MultiStepLR(milestones, gamma): the rate changes *at* the milestone (step
    ``milestones[i] + 1`` is the first to use the smaller rate). Keras' PiecewiseConstantDecay
    changes one step later (its boundary belongs to the interval on its left).
    ``milestones`` must be strictly increasing integers ≥ 1; after the last, the rate stays.
    """
    lr = check_rate("lr", lr)
    gamma = float(check_real("gamma", gamma, low=0.0, high=1.0, low_open=True))
    milestones = [check_int(f"milestones[{i}]", m, low=1) for i, m in enumerate(milestones)]
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"milestones must be strictly increasing, got {milestones!r}")
    edges = np.array(milestones, dtype=np.int64)

    def rate(t: IntArray) -> Array:
        return lr * gamma ** np.searchsorted(edges, t, side="right")

    return Schedule(multistep_decay, dict(lr=lr, milestones=milestones, gamma=gamma), rate)


def exponential_decay(lr: float, gamma: float, decay_steps: float = 1,
                      staircase: bool = False) -> Schedule:
    """η(t) = lr · gamma^(t / decay_steps)   (exponent ⌊t / decay_steps⌋ if ``staircase``).

    torch ExponentialLR(gamma) is ``decay_steps=1``; with ``staircase=True`` it is StepLR.
    Keras ExponentialDecay(lr, decay_steps, decay_rate=gamma, staircase). Decays for ever.
    """
    lr = check_rate("lr", lr)
    gamma = float(check_real("gamma", gamma, low=0.0, high=1.0, low_open=True))
    decay_steps = check_real("decay_steps", decay_steps, low=0.0, low_open=True)
    staircase = bool(staircase)

    def rate(t: IntArray) -> Array:
        exponent = t // decay_steps if staircase else t / decay_steps
        return lr * gamma ** exponent

    return Schedule(exponential_decay, dict(lr=lr, gamma=gamma, decay_steps=decay_steps,
                                            staircase=staircase), rate)


def inverse_time_decay(lr: float, decay_rate: float, decay_steps: float = 1,
                       staircase: bool = False) -> Schedule:
    """η(t) = lr / (1 + decay_rate · t / decay_steps)   (⌊t / decay_steps⌋ if ``staircase``).

    Keras InverseTimeDecay, and the ``decay`` argument of the legacy Keras optimizers
    (``SGD(lr, decay=δ)`` is ``inverse_time_decay(lr, δ)``, per step, not per epoch).
    torch: LambdaLR(lambda t: 1 / (1 + decay_rate * t / decay_steps)). Decays like 1/t for ever.
    """
    lr = check_rate("lr", lr)
    decay_rate = float(check_real("decay_rate", decay_rate, low=0.0))
    decay_steps = check_real("decay_steps", decay_steps, low=0.0, low_open=True)
    staircase = bool(staircase)

    def rate(t: IntArray) -> Array:
        progress = t // decay_steps if staircase else t / decay_steps
        return lr / (1.0 + decay_rate * progress)

    return Schedule(inverse_time_decay, dict(lr=lr, decay_rate=decay_rate,
                                             decay_steps=decay_steps, staircase=staircase), rate)


def polynomial_decay(lr: float, total_iters: int = 5, power: float = 1.0,
                     end_lr: float = 0.0) -> Schedule:
    """η(t) = (lr − end_lr) · (1 − min(t, T)/T)^power + end_lr,  T = ``total_iters``.

    torch PolynomialLR(total_iters, power) is ``end_lr=0``; Keras PolynomialDecay(lr,
    decay_steps=T, end_learning_rate=end_lr, power) with ``cycle=False``. From t = T on the
    rate stays at ``end_lr``.
    """
    lr = check_rate("lr", lr)
    total_iters = check_int("total_iters", total_iters, low=1)
    power = float(check_real("power", power, low=0.0, low_open=True))
    end_lr = float(check_real("end_lr", end_lr, low=0.0, high=lr))

    def rate(t: IntArray) -> Array:
        remaining = 1.0 - np.minimum(t, total_iters) / total_iters
        return (lr - end_lr) * remaining ** power + end_lr

    return Schedule(polynomial_decay, dict(lr=lr, total_iters=total_iters, power=power,
                                           end_lr=end_lr), rate)


def linear(lr: float, start_factor: float = 1 / 3, end_factor: float = 1.0,
           total_iters: int = 5) -> Schedule:
    """η(t) = lr · (a + (b − a) · min(t, T)/T),  a = start_factor, b = end_factor, T = total_iters.

    torch LinearLR, with its defaults and its ranges (0 < a ≤ 1, 0 ≤ b ≤ 1). It warms up when
    a < b and decays when a > b; from t = T on the rate stays at lr · b.
    """
    lr = check_rate("lr", lr)
    a = float(check_real("start_factor", start_factor, low=0.0, high=1.0, low_open=True))
    b = float(check_real("end_factor", end_factor, low=0.0, high=1.0))
    total_iters = check_int("total_iters", total_iters, low=1)

    def rate(t: IntArray) -> Array:
        done = np.minimum(t, total_iters)        # weights ≥ 0: the rate cannot round below 0
        return lr * (a * (total_iters - done) + b * done) / total_iters

    return Schedule(linear, dict(lr=lr, start_factor=a, end_factor=b, total_iters=total_iters),
                    rate)
