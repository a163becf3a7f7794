"""descent.schedules against torch.optim.lr_scheduler (committed reference), against each
schedule's formula written out independently, and against the invariants a schedule promises."""
import json
import math
import pathlib
import pickle
import re
import types
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent import data, nn, optim, schedules, train

REFERENCE = json.loads(pathlib.Path(__file__).with_name("reference").joinpath(
    "schedules.json").read_text())
SCHEDULES = [name for name in schedules.__all__
             if name not in ("Schedule", "CyclicSchedule", "ReduceLROnPlateau")]


def build(spec):
    """A schedule from a {"name", "kwargs"} record; nested schedules are records too."""
    kwargs = dict(spec["kwargs"])
    if "schedule" in kwargs:
        kwargs["schedule"] = build(kwargs["schedule"])
    if "schedules" in kwargs:
        kwargs["schedules"] = [build(s) for s in kwargs["schedules"]]
    return getattr(schedules, spec["name"])(**kwargs)


def close(got, want, rtol=1e-13):
    """Equal to rounding: torch's schedulers multiply step by step, we evaluate the closed form."""
    want = np.asarray(want, dtype=float)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.abs(want).max())


# --- against torch --------------------------------------------------------------------------

def test_reference_covers_every_schedule():
    assert {e["name"] for e in REFERENCE["schedules"]} == set(SCHEDULES)


@pytest.mark.parametrize("entry", REFERENCE["schedules"],
                         ids=[f"{e['name']}-{i}" for i, e in enumerate(REFERENCE["schedules"])])
def test_matches_torch(entry):
    s = build(entry)
    t = np.arange(len(entry["lr"]))
    close(s(t), entry["lr"])
    assert [s(int(k)) for k in t] == list(s(t))          # scalar calls give the same floats
    if "momentum" in entry:
        close(s.momentum()(t), entry["momentum"])
    if "raises_after" in entry:
        with pytest.raises(ValueError, match="total_steps"):
            s(entry["raises_after"] + 1)


@pytest.mark.parametrize("entry", REFERENCE["schedules"],
                         ids=[f"{e['name']}-{i}" for i, e in enumerate(REFERENCE["schedules"])])
def test_one_step_and_many_steps_give_the_same_float(entry):
    """One code path per quantity: a step asked alone, or inside an array of any length, is the
    same float. (numpy's SIMD ``power`` can differ from its scalar path by one unit in the last
    place, so a schedule that took two paths would disagree with itself on some CPUs.)"""
    s = build(entry)
    n = len(entry["lr"])
    every = s(np.arange(n))
    for k in range(n):
        assert s(k) == every[k]
        for length in (1, 2, 3, 8, 9, 17):
            if k + length <= n:
                assert s(np.arange(k, k + length))[0] == every[k]


@pytest.mark.parametrize("entry", REFERENCE["schedules"],
                         ids=[f"{e['name']}-{i}" for i, e in enumerate(REFERENCE["schedules"])])
def test_pickles_as_the_call_that_made_it(entry):
    s = build(entry)
    again = pickle.loads(pickle.dumps(s))
    t = np.arange(len(entry["lr"]))
    assert repr(again) == repr(s) and np.array_equal(again(t), s(t))
    if "momentum" in entry:
        m = pickle.loads(pickle.dumps(s.momentum(0.5, 0.99)))
        assert repr(m) == repr(s.momentum(0.5, 0.99)) and np.array_equal(m(t), s.momentum(0.5, 0.99)(t))


# --- against the formulas, written out once more -------------------------------------------

def formula(name, t, kw):
    """The rate after t steps, in plain Python, from the formulas in the book's table."""
    if name == "constant":
        return kw["lr"]
    if name == "step_decay":
        return kw["lr"] * kw.get("gamma", 0.1) ** (t // kw["step_size"])
    if name == "multistep_decay":
        return kw["lr"] * kw.get("gamma", 0.1) ** sum(m <= t for m in kw["milestones"])
    if name == "exponential_decay":
        ds = kw.get("decay_steps", 1)
        return kw["lr"] * kw["gamma"] ** (math.floor(t / ds) if kw.get("staircase") else t / ds)
    if name == "inverse_time_decay":
        ds = kw.get("decay_steps", 1)
        p = math.floor(t / ds) if kw.get("staircase") else t / ds
        return kw["lr"] / (1 + kw["decay_rate"] * p)
    if name == "polynomial_decay":
        T, end = kw.get("total_iters", 5), kw.get("end_lr", 0.0)
        return (kw["lr"] - end) * (1 - min(t, T) / T) ** kw.get("power", 1.0) + end
    if name == "linear":
        a, b, T = kw.get("start_factor", 1 / 3), kw.get("end_factor", 1.0), kw.get("total_iters", 5)
        return kw["lr"] * (a + (b - a) * min(t, T) / T)
    if name == "cosine_annealing":
        lo = kw.get("eta_min", 0.0)
        return lo + (kw["lr"] - lo) * (1 + math.cos(math.pi * t / kw["T_max"])) / 2
    if name == "cosine_restarts":
        lo, length, mult = kw.get("eta_min", 0.0), kw["T_0"], kw.get("T_mult", 1)
        while t >= length:
            t, length = t - length, length * mult
        return lo + (kw["lr"] - lo) * (1 + math.cos(math.pi * t / length)) / 2
    if name == "cyclic":
        up = kw["step_size_up"]
        down = kw.get("step_size_down") or up
        cycle, x = divmod(t, up + down)
        h = x / up if x <= up else 1 - (x - up) / down
        scale = {"triangular": 1.0, "triangular2": 0.5 ** cycle,
                 "exp_range": kw.get("gamma", 1.0) ** t}[kw.get("mode", "triangular")]
        return kw["base_lr"] + (kw["max_lr"] - kw["base_lr"]) * h * scale
    if name == "one_cycle":
        T, p = kw["total_steps"], kw.get("pct_start", 0.3)
        top = kw["max_lr"]
        start = top / kw.get("div_factor", 25.0)
        low = start / kw.get("final_div_factor", 1e4)
        if kw.get("three_phase"):
            phases = [(p * T - 1, start, top), (2 * p * T - 2, top, start), (T - 1, start, low)]
        else:
            phases = [(p * T - 1, start, top), (T - 1, top, low)]
        begin = 0.0
        for i, (end, a, b) in enumerate(phases):
            if t <= end or i == len(phases) - 1:
                f = (t - begin) / (end - begin)
                if kw.get("anneal_strategy", "cos") == "linear":
                    return a + (b - a) * f
                return b + (a - b) * (1 + math.cos(math.pi * f)) / 2
            begin = end
    if name == "warmup":
        inner, W = kw["schedule"], kw["warmup_steps"]
        a = kw.get("start_factor", 1 / 3)
        if t < W:
            return formula(inner["name"], 0, inner["kwargs"]) * (a + (1 - a) * t / W)
        return formula(inner["name"], t - W, inner["kwargs"])
    if name == "sequential":
        i = sum(m <= t for m in kw["milestones"])
        start = ([0] + kw["milestones"])[i]
        return formula(kw["schedules"][i]["name"], t - start, kw["schedules"][i]["kwargs"])
    raise KeyError(name)


@pytest.mark.parametrize("entry", REFERENCE["schedules"],
                         ids=[f"{e['name']}-{i}" for i, e in enumerate(REFERENCE["schedules"])])
def test_matches_formula(entry):
    t = np.arange(len(entry["lr"]))
    close(build(entry)(t), [formula(entry["name"], int(k), entry["kwargs"]) for k in t], 1e-12)


# --- invariants --------------------------------------------------------------------------------

rates = st.floats(1e-4, 1.0)
steps = st.lists(st.integers(0, 2000), min_size=1, max_size=20)


@st.composite
def decays(draw):
    lr = draw(rates)
    gamma = draw(st.floats(0.01, 1.0))
    return draw(st.sampled_from([
        schedules.step_decay(lr, draw(st.integers(1, 50)), gamma),
        schedules.multistep_decay(lr, sorted(draw(st.sets(st.integers(1, 500), max_size=5))), gamma),
        schedules.exponential_decay(lr, gamma, draw(st.floats(0.5, 20.0)), draw(st.booleans())),
        schedules.inverse_time_decay(lr, draw(st.floats(0.0, 10.0)), draw(st.integers(1, 50)),
                                     draw(st.booleans())),
        schedules.polynomial_decay(lr, draw(st.integers(1, 500)), draw(st.floats(0.1, 5.0)),
                                   lr * draw(st.floats(0.0, 1.0))),
        schedules.linear(lr, draw(st.floats(0.01, 1.0)), 0.0, draw(st.integers(1, 500))),
        schedules.cosine_annealing(lr, draw(st.integers(1000, 3000)), lr * draw(st.floats(0, 1))),
    ]))


@settings(max_examples=60, deadline=None)
@given(decays())
def test_decays_never_increase(s):
    rate = s(np.arange(1000))
    assert np.all(np.diff(rate) <= 1e-15 * rate[0])
    assert np.all(rate >= 0)


@settings(max_examples=40, deadline=None)
@given(rates, st.floats(0.0, 1.0), st.integers(1, 200), st.integers(1, 3), steps)
def test_cosines_stay_between_eta_min_and_lr(lr, fraction, period, mult, t):
    eta_min = lr * fraction
    for s in (schedules.cosine_annealing(lr, period, eta_min),
              schedules.cosine_restarts(lr, period, mult, eta_min)):
        rate = s(np.array(t))
        assert np.all((eta_min - 1e-15 <= rate) & (rate <= lr + 1e-15))


@settings(max_examples=40, deadline=None)
@given(rates, st.floats(1.0, 100.0), st.integers(1, 50), st.integers(1, 50),
       st.sampled_from(["triangular", "triangular2", "exp_range"]), st.floats(0.9, 1.0), steps)
def test_cyclic_stays_between_base_and_max(base, ratio, up, down, mode, gamma, t):
    s = schedules.cyclic(base, base * ratio, up, down, mode, gamma)
    rate, momentum = s(np.array(t)), s.momentum()(np.array(t))
    tol = 1e-15 * base * ratio
    assert np.all((base - tol <= rate) & (rate <= base * ratio + tol))
    assert np.all((0.8 - 1e-15 <= momentum) & (momentum <= 0.9 + 1e-15))
    if mode != "exp_range":
        assert s(up) == pytest.approx(base * ratio)     # the first peak reaches max_lr


@settings(max_examples=40, deadline=None)
@given(rates, st.integers(20, 500), st.floats(0.1, 0.45), st.sampled_from(["cos", "linear"]),
       st.floats(1.0, 100.0), st.floats(1.0, 1e4), st.booleans())
def test_one_cycle_stays_between_min_and_max(top, total, pct, anneal, div, final_div, three):
    s = schedules.one_cycle(top, total, pct, anneal, div, final_div, three)
    rate = s(np.arange(total))
    lowest = top / div / final_div
    assert np.all((lowest - 1e-14 * top <= rate) & (rate <= top * (1 + 1e-14)))
    assert rate[0] == pytest.approx(top / div) and rate[-1] == pytest.approx(lowest)
    # The peak max_lr sits at t = pct_start·total_steps − 1, which need not be a whole step:
    # the highest rate taken is at a step next to it, and is max_lr itself when it is one.
    peak = pct * total - 1
    assert rate.max() == max(rate[int(np.floor(peak))], rate[int(np.ceil(peak))])
    if peak == int(peak):
        assert rate.max() == pytest.approx(top)


@settings(max_examples=30, deadline=None)
@given(rates, st.integers(1, 100), st.floats(0.0, 1.0), st.integers(1, 300))
def test_warmup_rises_then_hands_over(lr, warmup_steps, start_factor, T_max):
    inner = schedules.cosine_annealing(lr, T_max)
    s = schedules.warmup(inner, warmup_steps, start_factor)
    rise = s(np.arange(warmup_steps + 1))
    assert np.all(np.diff(rise) >= 0) and rise[0] == pytest.approx(start_factor * lr)
    t = np.arange(warmup_steps, warmup_steps + 400)
    assert np.array_equal(s(t), inner(t - warmup_steps))


def test_array_and_float_calls():
    s = schedules.exponential_decay(0.1, 0.9)
    assert isinstance(s(3), float) and isinstance(s(np.int64(3)), float)
    assert s(np.arange(6).reshape(2, 3)).shape == (2, 3)
    assert s(np.array([2.0, 4.0]))[1] == s(4)                # whole numbers as floats are steps
    assert schedules.constant(0.1)(np.arange(4)).shape == (4,)


@pytest.mark.parametrize("t", [-1, 1.5, np.array([0, -2]), np.nan, np.array([1.0, np.inf])])
def test_bad_steps_rejected(t):
    with pytest.raises(ValueError, match="t must be a whole number of steps"):
        schedules.constant(0.1)(t)


@pytest.mark.parametrize("t", ["3", True, None, np.array([True]), 2j, np.array(["1"])])
def test_steps_of_the_wrong_type_raise_type_error(t):
    """Python's convention: a t that is no number is a TypeError (a bad number a ValueError);
    the message names t, its value and what is allowed."""
    with pytest.raises(TypeError, match=r"t must be a whole number of steps >= 0 \(an int.*got "
                                        + re.escape(repr(t))):
        schedules.constant(0.1)(t)


def test_past_the_last_step():
    assert schedules.cosine_annealing(0.1, 10)(15) == pytest.approx(0.05)    # not clamped: rises
    assert schedules.cosine_annealing(0.1, 10)(20) == pytest.approx(0.1)
    assert schedules.polynomial_decay(0.1, 10, end_lr=0.01)(500) == 0.01      # holds end_lr
    assert schedules.linear(0.1, 1.0, 0.5, 10)(500) == 0.05                   # holds lr·end_factor
    s = schedules.one_cycle(0.1, 10, anneal_strategy="linear")
    assert s(10) < s(9) == pytest.approx(0.1 / 25 / 1e4)                      # extrapolates, as torch
    with pytest.raises(ValueError, match="total_steps=10"):
        s(np.arange(12))


def test_repr_and_doc():
    s = schedules.cosine_annealing(0.1, T_max=100)
    assert repr(s) == "cosine_annealing(lr=0.1, T_max=100, eta_min=0.0)"
    again = eval(repr(s), vars(schedules))
    assert np.array_equal(again(np.arange(300)), s(np.arange(300)))
    assert "cos(π t / T_max)" in s.__doc__
    m = schedules.one_cycle(0.1, 100).momentum()
    assert repr(m).endswith(".momentum(base_momentum=0.85, max_momentum=0.95)")
    w = schedules.warmup(s, 10)
    assert repr(w).startswith("warmup(schedule=cosine_annealing(")


def test_composition_takes_numbers_and_functions():
    s = schedules.sequential([0.1, lambda t: 0.05 / (t + 1)], [3])
    assert list(s(np.arange(6))) == [0.1, 0.1, 0.1, 0.05, 0.025, 0.05 / 3]
    assert schedules.warmup(0.2, 4, 0.0)(np.arange(6)) == pytest.approx([0, 0.05, 0.1, 0.15, 0.2, 0.2])


BAD_ARGUMENTS = [
    (schedules.constant, dict(lr=-0.1), "lr"),
    (schedules.step_decay, dict(lr=0.1, step_size=0), "step_size"),
    (schedules.step_decay, dict(lr=0.1, step_size=5, gamma=0.0), "gamma"),
    (schedules.step_decay, dict(lr=0.1, step_size=5, gamma=1.5), "gamma"),
    (schedules.multistep_decay, dict(lr=0.1, milestones=[5, 3]), "milestones"),
    (schedules.multistep_decay, dict(lr=0.1, milestones=[0, 3]), "milestones"),
    (schedules.multistep_decay, dict(lr=0.1, milestones=[2, 2]), "milestones"),
    (schedules.exponential_decay, dict(lr=0.1, gamma=-0.9), "gamma"),
    (schedules.exponential_decay, dict(lr=0.1, gamma=0.9, decay_steps=0), "decay_steps"),
    (schedules.inverse_time_decay, dict(lr=0.1, decay_rate=-1.0), "decay_rate"),
    (schedules.inverse_time_decay, dict(lr=0.1, decay_rate=1.0, decay_steps=-2), "decay_steps"),
    (schedules.polynomial_decay, dict(lr=0.1, total_iters=0), "total_iters"),
    (schedules.polynomial_decay, dict(lr=0.1, power=0.0), "power"),
    (schedules.polynomial_decay, dict(lr=0.1, end_lr=0.2), "end_lr"),
    (schedules.linear, dict(lr=0.1, start_factor=0.0), "start_factor"),
    (schedules.linear, dict(lr=0.1, end_factor=1.5), "end_factor"),
    (schedules.linear, dict(lr=0.1, total_iters=0), "total_iters"),
    (schedules.cosine_annealing, dict(lr=0.1, T_max=0), "T_max"),
    (schedules.cosine_annealing, dict(lr=0.1, T_max=10, eta_min=-0.01), "eta_min"),
    (schedules.cosine_annealing, dict(lr=0.1, T_max=10, eta_min=0.2), "eta_min"),
    (schedules.cosine_restarts, dict(lr=0.1, T_0=0), "T_0"),
    (schedules.cosine_restarts, dict(lr=0.1, T_0=10, T_mult=0), "T_mult"),
    (schedules.cyclic, dict(base_lr=0.1, max_lr=0.01), "max_lr"),
    (schedules.cyclic, dict(base_lr=-0.1, max_lr=0.01), "base_lr"),
    (schedules.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size_up=0), "step_size_up"),
    (schedules.cyclic, dict(base_lr=0.01, max_lr=0.1, step_size_down=0), "step_size_down"),
    (schedules.cyclic, dict(base_lr=0.01, max_lr=0.1, mode="triangle"), "mode"),
    (schedules.cyclic, dict(base_lr=0.01, max_lr=0.1, mode="exp_range", gamma=0.0), "gamma"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=0), "total_steps"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=100, pct_start=1.0), "pct_start"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=100, pct_start=0.0), "pct_start"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=3, pct_start=0.3), "pct_start"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=100, pct_start=0.6, three_phase=True),
     "pct_start"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=100, anneal_strategy="cosine"),
     "anneal_strategy"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=100, div_factor=0.5), "div_factor"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=100, final_div_factor=0.0),
     "final_div_factor"),
    (schedules.warmup, dict(schedule=0.1, warmup_steps=0), "warmup_steps"),
    (schedules.warmup, dict(schedule=0.1, warmup_steps=5, start_factor=1.5), "start_factor"),
    (schedules.sequential, dict(schedules=[0.1, 0.01], milestones=[]), "milestones"),
    (schedules.sequential, dict(schedules=[0.1, 0.01, 0.001], milestones=[5, 5]), "milestones"),
    (schedules.sequential, dict(schedules=[], milestones=[]), "schedules"),
]


def names_argument(name):
    """The pattern of an error message that begins with the argument's name, as they all do."""
    return rf"^{re.escape(name)}(?!\w)"


# Each range ends where the formula stops making sense; the values just outside are rejected with
# the argument's name, in addition to the cases above.
BAD_ARGUMENTS += [
    (schedules.step_decay, dict(lr=-0.1, step_size=5), "lr"),
    (schedules.multistep_decay, dict(lr=-0.1, milestones=[5]), "lr"),
    (schedules.multistep_decay, dict(lr=0.1, milestones=[5], gamma=0.0), "gamma"),
    (schedules.multistep_decay, dict(lr=0.1, milestones=[5], gamma=1.5), "gamma"),
    (schedules.multistep_decay, dict(lr=0.1, milestones=[3, 0]), "milestones[1]"),
    (schedules.exponential_decay, dict(lr=-0.1, gamma=0.9), "lr"),
    (schedules.exponential_decay, dict(lr=0.1, gamma=1.5), "gamma"),
    (schedules.inverse_time_decay, dict(lr=-0.1, decay_rate=1.0), "lr"),
    (schedules.inverse_time_decay, dict(lr=0.1, decay_rate=1.0, decay_steps=0), "decay_steps"),
    (schedules.polynomial_decay, dict(lr=-0.1), "lr"),
    (schedules.polynomial_decay, dict(lr=0.1, end_lr=-0.01), "end_lr"),
    (schedules.linear, dict(lr=-0.1), "lr"),
    (schedules.linear, dict(lr=0.1, start_factor=1.5), "start_factor"),
    (schedules.linear, dict(lr=0.1, end_factor=-0.5), "end_factor"),
    (schedules.cosine_annealing, dict(lr=-0.1, T_max=10), "lr"),
    (schedules.cosine_restarts, dict(lr=-0.1, T_0=10), "lr"),
    (schedules.cosine_restarts, dict(lr=0.1, T_0=10, eta_min=-0.01), "eta_min"),
    (schedules.cosine_restarts, dict(lr=0.1, T_0=10, eta_min=0.2), "eta_min"),
    (schedules.cyclic, dict(base_lr=0.01, max_lr=0.1, gamma=1.5), "gamma"),
    (schedules.one_cycle, dict(max_lr=-0.1, total_steps=100), "max_lr"),
    (schedules.one_cycle, dict(max_lr=0.1, total_steps=1), "total_steps"),
    (schedules.warmup, dict(schedule=0.1, warmup_steps=5, start_factor=-0.1), "start_factor"),
    (schedules.sequential, dict(schedules=[0.1, 0.01], milestones=[0]), "milestones[0]"),
    (schedules.sequential, dict(schedules=[0.1, 0.01], milestones=[5, 8]), "milestones"),
    (lambda **kw: schedules.cyclic(0.01, 0.1).momentum(**kw), dict(base_momentum=-0.1),
     "base_momentum"),
    (lambda **kw: schedules.cyclic(0.01, 0.1).momentum(**kw), dict(base_momentum=1.5),
     "base_momentum"),
    (lambda **kw: schedules.cyclic(0.01, 0.1).momentum(**kw),
     dict(base_momentum=0.5, max_momentum=1.5), "max_momentum"),
]


@pytest.mark.parametrize("factory, kwargs, name", BAD_ARGUMENTS,
                         ids=[f"{getattr(f, '__name__', 'f')}-{n}-{i}"
                              for i, (f, _, n) in enumerate(BAD_ARGUMENTS)])
def test_bad_arguments_rejected(factory, kwargs, name):
    with pytest.raises(ValueError, match=names_argument(name)):
        factory(**kwargs)


# The edges of the allowed ranges are allowed, and there the formula degenerates as it should.
EDGES = [
    (lambda: schedules.step_decay(0.1, step_size=2, gamma=1.0), lambda t: 0.1),
    (lambda: schedules.multistep_decay(0.1, [1, 3], gamma=1.0), lambda t: 0.1),
    (lambda: schedules.exponential_decay(0.1, gamma=1.0), lambda t: 0.1),
    (lambda: schedules.inverse_time_decay(0.1, decay_rate=0.0), lambda t: 0.1),
    (lambda: schedules.polynomial_decay(0.1, total_iters=4, end_lr=0.0), lambda t: 0.1 * max(0, 1 - t / 4)),
    (lambda: schedules.polynomial_decay(0.1, total_iters=4, end_lr=0.1), lambda t: 0.1),
    (lambda: schedules.linear(0.1, start_factor=1.0, end_factor=0.0, total_iters=4),
     lambda t: 0.1 * max(0.0, 1 - t / 4)),
    (lambda: schedules.cosine_annealing(0.1, T_max=4, eta_min=0.0),
     lambda t: 0.05 * (1 + math.cos(math.pi * t / 4))),
    (lambda: schedules.cosine_annealing(0.1, T_max=4, eta_min=0.1), lambda t: 0.1),
    (lambda: schedules.cosine_restarts(0.1, T_0=3, eta_min=0.1), lambda t: 0.1),
    (lambda: schedules.cyclic(0.1, 0.1, step_size_up=2), lambda t: 0.1),
    (lambda: schedules.cyclic(0.0, 0.1, step_size_up=2, mode="exp_range", gamma=1.0),
     lambda t: 0.1 * (1 - abs(t % 4 - 2) / 2)),
    (lambda: schedules.cyclic(0.0, 0.1, step_size_up=2).momentum(0.0, 1.0), lambda t: abs(t % 4 - 2) / 2),
    (lambda: schedules.one_cycle(0.1, total_steps=2, pct_start=0.75, div_factor=1.0, final_div_factor=1.0),
     lambda t: 0.1),
    (lambda: schedules.warmup(0.1, warmup_steps=2, start_factor=0.0), lambda t: 0.1 * min(1.0, t / 2)),
    (lambda: schedules.warmup(0.1, warmup_steps=2, start_factor=1.0), lambda t: 0.1),
    (lambda: schedules.sequential([0.1, 0.01], milestones=[1]), lambda t: 0.1 if t < 1 else 0.01),
]


@pytest.mark.parametrize("make, formula", EDGES, ids=[repr(make()) for make, _ in EDGES])
def test_edges_of_the_ranges_are_allowed(make, formula):
    schedule = make()                            # built here, so that the test runs the checks
    t = np.arange(3 if repr(schedule).startswith("one_cycle") else 9)   # one_cycle ends at T
    close(schedule(t), [formula(k) for k in t], rtol=1e-12)


def test_cyclic_defaults_are_torch_s():
    """CyclicLR's step_size_up=2000: the top at step 2000, back at the base at step 4000."""
    s = schedules.cyclic(0.01, 0.1)
    assert s(2000) == pytest.approx(0.1, rel=1e-12) and s(1999) < 0.1
    assert s(4000) == pytest.approx(0.01, rel=1e-12)


def test_messages_name_the_value_and_what_was_given():
    with pytest.raises(TypeError, match=names_argument("schedules[1]")):
        schedules.sequential([0.1, "cosine"], [3])
    with pytest.raises(ValueError, match=r"^schedules must hold at least one schedule"):
        schedules.sequential([], [])


WRONG_TYPES = [
    (schedules.constant, dict(lr="0.1"), "lr must be a real number, got '0.1' \\(str\\)"),
    (schedules.constant, dict(lr=None), "lr must be a real number, got None"),
    (schedules.step_decay, dict(lr=0.1, step_size=2.5), "step_size must be an integer, got 2.5"),
    (schedules.cosine_restarts, dict(lr=0.1, T_0=10, T_mult=1.5), "T_mult must be an integer"),
    (schedules.warmup, dict(schedule="cosine", warmup_steps=5), "schedule must be a schedule or a number"),
    (lambda **kw: schedules.ReduceLROnPlateau(plateau_optimizer(), **kw), dict(patience=1.5),
     "patience must be an integer, got 1.5"),
]


@pytest.mark.parametrize("factory, kwargs, message", WRONG_TYPES)
def test_arguments_of_the_wrong_type_raise_type_error(factory, kwargs, message):
    with pytest.raises(TypeError, match=message):
        factory(**kwargs)


def test_bad_momentum_rejected():
    with pytest.raises(ValueError, match="max_momentum"):
        schedules.cyclic(0.01, 0.1).momentum(0.9, 0.8)


# --- a schedule as an optimizer's rate ----------------------------------------------------------

def test_schedule_as_lr():
    s = schedules.step_decay(0.1, step_size=3, gamma=0.5)
    p = nn.Parameter(np.zeros(2))
    opt = optim.SGD([p], lr=s)
    for t in range(10):
        assert opt.lr == s(t)
        p.grad[...] = 1.0
        opt.step()
    assert np.allclose(p.data, -sum(s(t) for t in range(10)))


def test_schedule_momentum_drives_sgd():
    s = schedules.one_cycle(0.1, total_steps=20)
    m = s.momentum()
    p = nn.Parameter(np.ones(1))
    opt = optim.SGD([p], lr=s, momentum=m(0))
    used = []
    for _ in range(20):
        opt.param_groups[0]["momentum"] = m(opt.steps_taken)
        used.append(opt.param_groups[0]["momentum"])
        p.grad[...] = p.data
        opt.step()
    assert used[0] == 0.95 and min(used) == pytest.approx(0.85) and used[-1] > 0.94


# --- ReduceLROnPlateau ---------------------------------------------------------------------

PLATEAU = REFERENCE["plateau"]


def plateau_optimizer():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))
    lr_a, lr_b = PLATEAU["initial_lr"]
    return optim.SGD([{"params": [a], "lr": lr_a}, {"params": [b], "lr": lr_b}])


def metric_values(name):
    return [math.nan if x is None else x for x in PLATEAU["metrics"][name]]


@pytest.mark.parametrize("run", PLATEAU["runs"],
                         ids=[f"{r['metrics']}-{i}" for i, r in enumerate(PLATEAU["runs"])])
def test_plateau_decisions_match_torch(run):
    opt = plateau_optimizer()
    plateau = schedules.ReduceLROnPlateau(opt, **run["kwargs"])
    for metric, lrs, bad in zip(metric_values(run["metrics"]), run["lr"], run["num_bad_epochs"]):
        plateau.step(metric)
        assert plateau.last_lr == lrs                       # exactly: the same decisions
        assert plateau.num_bad_epochs == bad


def test_plateau_reference_cuts_in_every_mode():
    """The reference exercises real decisions: cuts happen in min and max mode, and min_lr binds."""
    cuts = {}
    for run in PLATEAU["runs"]:
        mode = run["kwargs"].get("mode", "min")
        cuts[mode] = cuts.get(mode, 0) + (run["lr"][-1][0] < PLATEAU["initial_lr"][0])
    assert cuts["min"] > 10 and cuts["max"] > 5


def test_plateau_state_dict_round_trip():
    run = next(r for r in PLATEAU["runs"] if r["kwargs"].get("cooldown"))
    metrics = metric_values(run["metrics"])
    opt = plateau_optimizer()
    first = schedules.ReduceLROnPlateau(opt, **run["kwargs"])
    for metric in metrics[:25]:
        first.step(metric)
    saved = first.state_dict()
    second = schedules.ReduceLROnPlateau(opt, **run["kwargs"])
    second.load_state_dict(saved)
    for metric, lrs in zip(metrics[25:], run["lr"][25:]):
        second.step(metric)
        assert second.last_lr == lrs


def test_plateau_on_epoch_end_watches_validation_loss_first():
    opt = plateau_optimizer()
    plateau = schedules.ReduceLROnPlateau(opt, patience=0)
    history = train.History()
    history.epoch_loss.append(1.0)
    plateau.on_epoch_end(history)                 # no validation: the training loss
    assert plateau.best == 1.0
    history.val_loss.append(2.0)
    history.epoch_loss.append(0.5)
    plateau.on_epoch_end(history)                 # watches 2.0, not 0.5: worse, so a cut
    assert plateau.best == 1.0 and plateau.last_lr == [0.1 * 0.1, 0.05 * 0.1]


def test_plateau_drives_fit():
    X, y = data.spirals(n_per_class=20, seed=0)
    model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 3, rng=1))
    opt = optim.SGD(model.parameters(), lr=3.0)
    plateau = schedules.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=15, batch_size=None,
                        callbacks=[plateau], progress=False)
    assert np.all(np.diff(history.lr) <= 0) and history.lr[-1] < 3.0
    replay = optim.SGD([nn.Parameter(np.zeros(1))], lr=3.0)     # one step per epoch here
    watcher = schedules.ReduceLROnPlateau(replay, patience=1, factor=0.5)
    for epoch, loss in enumerate(history.epoch_loss[:-1]):
        watcher.step(loss)
        assert replay.lr == history.lr[epoch + 1]


def test_plateau_refuses_a_scheduled_rate():
    """A schedule where the plateau controller needs a number is a value of the wrong type:
    TypeError, naming the group's lr, its value and what is allowed."""
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=schedules.constant(0.1))
    with pytest.raises(TypeError, match=r"parameter group 0 .* lr must be a number, got "
                                        r"constant\(lr=0.1\)"):
        schedules.ReduceLROnPlateau(opt)
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
    plateau = schedules.ReduceLROnPlateau(opt, patience=0)
    opt.param_groups[0]["lr"] = schedules.constant(0.1)      # swapped in after construction
    plateau.step(1.0)
    with pytest.raises(TypeError, match="lr must be a number"):
        plateau.step(2.0)
    opt = plateau_optimizer()
    opt.param_groups[1]["lr"] = schedules.constant(0.1)
    with pytest.raises(TypeError, match="parameter group 1 itself"):
        schedules.ReduceLROnPlateau(opt)


@pytest.mark.parametrize("kwargs, name", [
    (dict(factor=1.0), "factor"), (dict(factor=-0.5), "factor"), (dict(mode="minimum"), "mode"),
    (dict(threshold_mode="relative"), "threshold_mode"), (dict(patience=-1), "patience"),
    (dict(cooldown=-1), "cooldown"),
    (dict(threshold=-1e-4), "threshold"), (dict(min_lr=-1.0), "min_lr"),
    (dict(min_lr=[0.0, 0.0, 0.0]), "min_lr"), (dict(eps=-1.0), "eps"),
])
def test_plateau_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=names_argument(name)):
        schedules.ReduceLROnPlateau(plateau_optimizer(), **kwargs)


def test_plateau_messages_name_the_entry_and_the_type():
    with pytest.raises(ValueError, match=names_argument("min_lr[1]")):
        schedules.ReduceLROnPlateau(plateau_optimizer(), min_lr=[0.0, -1.0])
    with pytest.raises(TypeError, match="^optimizer must be an optimizer.*got list"):
        schedules.ReduceLROnPlateau([0.1])


def one_rate(lr=1.0):
    return optim.SGD([nn.Parameter(np.zeros(1))], lr=lr)


def test_plateau_starts_with_no_bad_evaluation_and_no_cooldown():
    """torch's starting state: best = +inf, no bad evaluation, no cooldown. A NaN is never an
    improvement, so a first NaN counts as one bad evaluation (and with patience 0 cuts at once)."""
    patient = schedules.ReduceLROnPlateau(one_rate(), patience=1)
    patient.step(math.nan)
    assert patient.num_bad_epochs == 1 and patient.last_lr == [1.0]
    hasty = schedules.ReduceLROnPlateau(one_rate(), patience=0)
    hasty.step(math.nan)
    assert hasty.last_lr == [pytest.approx(0.1)] and hasty.num_bad_epochs == 0
    for _ in range(2):
        hasty.step(1.0)
    assert hasty.last_epoch == 3                  # counts the evaluations, as torch's last_epoch


@pytest.mark.parametrize("mode, threshold_mode, threshold, first, second, improves", [
    ("min", "abs", 0.0, 1.0, 1.0, False),         # equal is no improvement
    ("min", "abs", 0.25, 1.0, 0.75, False),       # a < best − threshold, strictly
    ("min", "abs", 0.25, 1.0, 0.5, True),
    ("max", "abs", 0.0, 1.0, 1.0, False),
    ("max", "abs", 0.25, 1.0, 1.25, False),       # a > best + threshold, strictly
    ("max", "abs", 0.25, 1.0, 1.5, True),
    ("max", "rel", 0.5, 10.0, 12.0, False),       # a > best·(1 + threshold): 12 is not above 15
    ("max", "rel", 0.5, 10.0, 16.0, True),
    ("min", "rel", 0.5, 10.0, 8.0, False),        # a < best·(1 − threshold): 8 is not below 5
    ("min", "rel", 0.5, 10.0, 4.0, True),
])
def test_plateau_improvement_is_strict(mode, threshold_mode, threshold, first, second, improves):
    plateau = schedules.ReduceLROnPlateau(one_rate(), mode=mode, threshold_mode=threshold_mode,
                                          threshold=threshold, patience=5)
    plateau.step(first)
    plateau.step(second)
    assert plateau.best == (second if improves else first)
    assert plateau.num_bad_epochs == (0 if improves else 1)


@pytest.mark.parametrize("eps, cut", [(0.5, False), (0.25, True)])
def test_plateau_skips_a_cut_of_eps_or_less(eps, cut):
    """torch changes the rate only when old − new > eps: 1.0 → 0.5 is a change of exactly 0.5."""
    plateau = schedules.ReduceLROnPlateau(one_rate(1.0), factor=0.5, patience=0, eps=eps)
    plateau.step(1.0)
    plateau.step(2.0)
    assert plateau.last_lr == [0.5 if cut else 1.0]


def test_plateau_checks_the_groups_again_when_it_cuts():
    opt = plateau_optimizer()
    plateau = schedules.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
    opt.param_groups[1]["lr"] = schedules.constant(0.1)
    plateau.step(1.0)
    with pytest.raises(TypeError, match="parameter group 1 itself"):
        plateau.step(2.0)
    opt.param_groups[1]["lr"] = 0.1
    opt.add_param_group({"params": [nn.Parameter(np.zeros(1))], "lr": 0.1})
    with pytest.raises(ValueError, match="has 3 parameter groups, min_lr was given for 2"):
        plateau.step(3.0)


def test_plateau_on_epoch_end_takes_any_history_with_a_training_loss():
    plateau = schedules.ReduceLROnPlateau(one_rate(), patience=0)
    plateau.on_epoch_end(types.SimpleNamespace(epoch_loss=[2.0, 1.5]))
    assert plateau.best == 1.5


def test_plateau_state_dict_is_a_copy_without_the_optimizer():
    plateau = schedules.ReduceLROnPlateau(plateau_optimizer(), min_lr=[0.01, 0.02])
    plateau.step(1.0)
    saved = plateau.state_dict()
    assert "optimizer" not in saved
    assert {"best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs"} <= set(saved)
    saved["min_lrs"][0] = 5.0                     # editing the saved state leaves the controller
    assert plateau.min_lrs == [0.01, 0.02]
    other = schedules.ReduceLROnPlateau(plateau_optimizer())
    other.load_state_dict(saved)
    saved["min_lrs"][1] = 7.0                     # and the one that loaded it
    assert other.min_lrs == [5.0, 0.02] and other.best == 1.0 and other.last_epoch == 1
