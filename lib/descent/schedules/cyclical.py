"""Schedules that go down and up again: cosine annealing, cosine with warm restarts (SGDR),
cyclical rates (CLR) and the one-cycle policy. Each equals torch's scheduler after t calls of
``scheduler.step()``.

torch's CyclicLR and OneCycleLR also *set the optimizer's momentum* every step
(``cycle_momentum=True`` by default), high when the rate is low. A schedule here gives the rate
only; ``s.momentum()`` gives torch's momentum cycle as a schedule of its own, to be written into
the parameter group before each step: ``group["momentum"] = m(opt.steps_taken)``.
"""
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from descent._checks import check_choice, check_int, check_real
from descent._types import Array, IntArray
from descent.schedules.base import RateFunction, Schedule, check_rate

MomentumFunction = Callable[[IntArray, float, float], Array]  # (t, base, max) -> momenta


def cosine_annealing(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    """η(t) = eta_min + (lr − eta_min) · (1 + cos(π t / T_max)) / 2.

    torch CosineAnnealingLR(T_max, eta_min). Like torch it is NOT clamped: after t = T_max the
    rate rises again along the same cosine (period 2·T_max), back to lr at t = 2·T_max. Keras'
    CosineDecay holds the end value instead (and its ``alpha`` is a fraction of lr, not a rate).
    """
    lr = check_rate("lr", lr)
    T_max = check_int("T_max", T_max, low=1)
    eta_min = float(check_real("eta_min", eta_min, low=0.0, high=lr))

    def rate(t: IntArray) -> Array:
        return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * t / T_max)) / 2.0

    return Schedule(cosine_annealing, dict(lr=lr, T_max=T_max, eta_min=eta_min), rate)


def cosine_restarts(lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> Schedule:
    """η(t) = eta_min + (lr − eta_min) · (1 + cos(π T_cur / T_i)) / 2   (SGDR).

    Cycle i lasts T_i = T_0 · T_mult^i steps; T_cur counts the steps since the last restart, and
    the rate jumps back to lr at each restart (it never quite reaches eta_min). torch
    CosineAnnealingWarmRestarts(T_0, T_mult, eta_min); the cycles go on for ever.
    """
    lr = check_rate("lr", lr)
    T_0 = check_int("T_0", T_0, low=1)
    T_mult = check_int("T_mult", T_mult, low=1)
    eta_min = float(check_real("eta_min", eta_min, low=0.0, high=lr))

    def rate(t: IntArray) -> Array:
        if T_mult == 1:
            since_restart, length = t % T_0, np.full(t.shape, T_0)
        else:
            since_restart, length = t.copy(), np.full(t.shape, T_0, dtype=np.int64)
            while np.any(past := since_restart >= length):
                since_restart = np.where(past, since_restart - length, since_restart)
                length = np.where(past, length * T_mult, length)
        return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * since_restart / length)) / 2.0

    return Schedule(cosine_restarts, dict(lr=lr, T_0=T_0, T_mult=T_mult, eta_min=eta_min), rate)


class CyclicSchedule(Schedule):
    """A schedule from ``cyclic`` or ``one_cycle``, which also knows torch's momentum cycle."""

    def __init__(self, maker: Callable[..., Any], arguments: dict[str, Any], rate: RateFunction,
                 momentum: MomentumFunction, default_momenta: tuple[float, float]) -> None:
        super().__init__(maker, arguments, rate)
        self._momentum = momentum
        self._default_momenta = default_momenta

    def momentum(self, base_momentum: float | None = None,
                 max_momentum: float | None = None) -> Schedule:
        """The momentum torch's scheduler sets with this rate (``cycle_momentum=True``).

        It runs against the rate: max_momentum where the rate is lowest, base_momentum where it
        is highest. Defaults are torch's (CyclicLR 0.8, 0.9; OneCycleLR 0.85, 0.95).
        """
        low, high = self._default_momenta
        base = float(check_real("base_momentum", low if base_momentum is None else base_momentum,
                                low=0.0, high=1.0))
        top = float(check_real("max_momentum", high if max_momentum is None else max_momentum,
                               low=base, high=1.0))

        def rate(t: IntArray) -> Array:
            return self._momentum(t, base, top)

        return Schedule(self._maker, dict(base_momentum=base, max_momentum=top), rate,
                        name=f"{self!r}.momentum", rebuild=self.momentum)


def cyclic(base_lr: float, max_lr: float, step_size_up: int = 2000,
           step_size_down: int | None = None,
           mode: Literal["triangular", "triangular2", "exp_range"] = "triangular",
           gamma: float = 1.0) -> CyclicSchedule:
    """η(t) = base_lr + (max_lr − base_lr) · h(t) · scale(t)   (Smith's cyclical rates).

    With U = step_size_up, D = step_size_down (default U), c = ⌊1 + t/(U+D)⌋ the cycle and
    x = 1 + t/(U+D) − c the position in it: h = x(U+D)/U on the way up, then falls linearly
    back to 0. scale = 1 ("triangular"), 1/2^(c−1) ("triangular2"), gamma^t ("exp_range").
    torch CyclicLR with the same arguments; cycles for ever. torch also cycles the momentum
    by default: see ``.momentum()``.
    """
    base_lr = check_rate("base_lr", base_lr)
    max_lr = float(check_real("max_lr", max_lr, low=base_lr))
    up = check_int("step_size_up", step_size_up, low=1)
    down = up if step_size_down is None else check_int("step_size_down", step_size_down, low=1)
    mode = check_choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    gamma = float(check_real("gamma", gamma, low=0.0, high=1.0, low_open=True))
    total, up_ratio = float(up + down), up / (up + down)

    def height(t: IntArray) -> tuple[Array, float | Array]:
        cycle = np.floor(1.0 + t / total)
        x = 1.0 + t / total - cycle
        h = np.where(x <= up_ratio, x / up_ratio, (x - 1.0) / (up_ratio - 1.0))
        if mode == "triangular":
            return h, 1.0
        if mode == "triangular2":
            return h, 1.0 / 2.0 ** (cycle - 1.0)
        return h, gamma ** t

    def rate(t: IntArray) -> Array:
        h, scale = height(t)
        return base_lr + (max_lr - base_lr) * h * scale

    def momentum(t: IntArray, base_momentum: float, max_momentum: float) -> Array:
        h, scale = height(t)
        return max_momentum - (max_momentum - base_momentum) * h * scale

    arguments = dict(base_lr=base_lr, max_lr=max_lr, step_size_up=up, step_size_down=down,
                     mode=mode, gamma=gamma)
    return CyclicSchedule(cyclic, arguments, rate, momentum, (0.8, 0.9))


def one_cycle(max_lr: float, total_steps: int, pct_start: float = 0.3,
              anneal_strategy: Literal["cos", "linear"] = "cos", div_factor: float = 25.0,
              final_div_factor: float = 1e4, three_phase: bool = False) -> CyclicSchedule:
    """The one-cycle policy: up from max_lr/div_factor to max_lr, then down far below the start.

    η₀ = max_lr/div_factor, η_min = η₀/final_div_factor, T = total_steps, p = pct_start.
    Two phases: η₀ → max_lr over t ∈ [0, pT−1], max_lr → η_min over [pT−1, T−1]. Three phases
    (the paper's form): η₀ → max_lr → η₀ → η_min with ends pT−1, 2pT−2, T−1. Within a phase
    from a to b, with fraction f of it done: a + (b−a)·f ("linear") or b + (a−b)(1+cos πf)/2 ("cos").

    torch OneCycleLR(max_lr, total_steps, …). Steps 1…T use t = 0…T−1. Like torch, t = T
    extends the last phase past its end (with "linear" that is below η_min) and t > T raises
    ValueError: make ``total_steps`` at least the number of optimizer steps. torch also cycles
    the momentum by default: see ``.momentum()``.
    """
    max_lr = check_rate("max_lr", max_lr)
    total_steps = check_int("total_steps", total_steps, low=2)
    pct_start = float(check_real("pct_start", pct_start, low=0.0, high=1.0, low_open=True,
                                 high_open=True))
    anneal_strategy = check_choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    div_factor = float(check_real("div_factor", div_factor, low=1.0))
    final_div_factor = float(check_real("final_div_factor", final_div_factor, low=1.0))
    three_phase = bool(three_phase)
    initial = max_lr / div_factor
    lowest = initial / final_div_factor
    warm_end = float(pct_start * total_steps) - 1
    if three_phase:
        ends = [warm_end, float(2 * pct_start * total_steps) - 2, total_steps - 1]
        rates = [(initial, max_lr), (max_lr, initial), (initial, lowest)]
        momenta = [("max", "base"), ("base", "max"), ("max", "max")]
    else:
        ends = [warm_end, total_steps - 1]
        rates = [(initial, max_lr), (max_lr, lowest)]
        momenta = [("max", "base"), ("base", "max")]
    starts = [0.0] + ends[:-1]
    if any(end <= start for start, end in zip(starts, ends)):
        raise ValueError(f"pct_start={pct_start!r} with total_steps={total_steps} leaves a phase "
                         f"of the cycle without steps (phases end at t = {ends}); "
                         "increase total_steps or move pct_start towards the middle")

    def anneal(start: float, end: float, fraction: Array) -> Array:
        if anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (np.cos(np.pi * fraction) + 1)
        return (end - start) * fraction + start

    def along_phases(t: IntArray, values: Sequence[tuple[float, float]]) -> Array:
        if np.any(t > total_steps):
            raise ValueError(f"one_cycle has total_steps={total_steps}: there is no rate after "
                             f"t={int(np.max(t))} steps (torch raises too); make total_steps at "
                             "least the number of optimizer steps")
        out = np.empty(t.shape)
        done = np.zeros(t.shape, dtype=bool)
        for i, (start, end, (a, b)) in enumerate(zip(starts, ends, values)):
            here = ~done & ((t <= end) | (i == len(ends) - 1))
            out[here] = anneal(a, b, (t[here] - start) / (end - start))
            done |= here
        return out

    def rate(t: IntArray) -> Array:
        return along_phases(t, rates)

    def momentum(t: IntArray, base_momentum: float, max_momentum: float) -> Array:
        level = {"base": base_momentum, "max": max_momentum}
        return along_phases(t, [(level[a], level[b]) for a, b in momenta])

    arguments = dict(max_lr=max_lr, total_steps=total_steps, pct_start=pct_start,
                     anneal_strategy=anneal_strategy, div_factor=div_factor,
                     final_div_factor=final_div_factor, three_phase=three_phase)
    return CyclicSchedule(one_cycle, arguments, rate, momentum, (0.85, 0.95))
