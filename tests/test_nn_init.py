"""descent.nn.init: draws match torch.nn.init's formulas in distribution; gains are torch's; bad arguments explain."""
import inspect
import math
import re

import numpy as np
import pytest

from descent import nn
from descent.nn import init

SHAPE = (400, 300)          # (out, in): fan_in 300, fan_out 400
FAN_IN, FAN_OUT = 300, 400


def draw(fill, shape=SHAPE, **kwargs):
    return fill(np.empty(shape), rng=0, **kwargs)


def assert_uniform(w, bound):
    """Range within ±bound and touching it; std of U(−b, b) is b/√3 (to 2 % with 120 000 draws)."""
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.999 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def assert_normal(w, std):
    assert abs(w.mean()) < 0.01 * std
    assert w.std() == pytest.approx(std, rel=0.02)
    assert np.mean(np.abs(w) > 2 * std) == pytest.approx(0.0455, abs=0.003)   # Gaussian tails


# torch.nn.init.calculate_gain, torch 2.x
@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv1d", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("leaky_relu", 0, math.sqrt(2)), ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
])
def test_calculate_gain_is_torchs(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_fans_of_a_linear_and_a_convolution_weight():
    assert init.calculate_fan_in_and_fan_out(np.empty((4, 3))) == (3, 4)
    assert init.calculate_fan_in_and_fan_out(np.empty((8, 3, 5, 5))) == (75, 200)


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_matches_glorots_formula(gain):
    std = gain * math.sqrt(2 / (FAN_IN + FAN_OUT))
    assert_uniform(draw(init.xavier_uniform_, gain=gain), math.sqrt(3) * std)
    assert_normal(draw(init.xavier_normal_, gain=gain), std)


@pytest.mark.parametrize("mode, fan", [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0.0), ("leaky_relu", 0.0),
                                             ("leaky_relu", 0.2), ("tanh", 0.0)])
def test_kaiming_matches_hes_formula(mode, fan, nonlinearity, a):
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    assert_uniform(draw(init.kaiming_uniform_, a=a, mode=mode, nonlinearity=nonlinearity),
                   math.sqrt(3) * std)
    assert_normal(draw(init.kaiming_normal_, a=a, mode=mode, nonlinearity=nonlinearity), std)


def test_kaiming_uniform_with_a_sqrt5_is_torchs_linear_default():
    """torch's Linear calls kaiming_uniform_(a=√5): bound 1/√fan_in, as nn.Linear draws."""
    w = draw(init.kaiming_uniform_, a=math.sqrt(5))
    assert_uniform(w, 1 / math.sqrt(FAN_IN))
    linear = nn.Linear(FAN_IN, FAN_OUT, rng=0).weight.data
    assert linear.std() == pytest.approx(w.std(), rel=0.02)


def test_uniform_normal_zeros():
    assert_uniform(draw(init.uniform_, a=-0.5, b=0.5), 0.5)
    w = draw(init.uniform_, a=2.0, b=3.0)
    assert w.min() >= 2.0 and w.max() <= 3.0 and w.mean() == pytest.approx(2.5, abs=0.01)
    w = draw(init.normal_, mean=1.0, std=0.1)
    assert w.mean() == pytest.approx(1.0, abs=1e-3) and w.std() == pytest.approx(0.1, rel=0.02)
    assert np.all(init.zeros_(np.ones(SHAPE)) == 0.0)


def test_fills_a_parameter_in_place_returns_it_and_the_seed_reproduces():
    p = nn.Parameter(np.ones(SHAPE))
    before = p.data
    assert init.kaiming_normal_(p, nonlinearity="relu", rng=3) is p
    assert p.data is before and not np.all(p.data == 1.0)
    again = init.kaiming_normal_(np.empty(SHAPE), nonlinearity="relu", rng=3)
    assert np.array_equal(p.data, again)
    assert p.grad.shape == SHAPE and np.all(p.grad == 0.0)


@pytest.mark.parametrize("call, message", [
    (lambda: init.calculate_gain("softmax"), "nonlinearity must be one of"),
    (lambda: init.calculate_gain("leaky_relu", math.nan), "negative slope"),
    (lambda: init.kaiming_uniform_(np.empty(SHAPE), mode="fan_avg"), "mode must be one of"),
    (lambda: init.kaiming_normal_(np.empty(SHAPE), nonlinearity="gelu"), "nonlinearity"),
    (lambda: init.xavier_uniform_(np.empty(5)), "at least 2 dimensions"),
    (lambda: init.xavier_normal_(np.empty(SHAPE), gain=-1.0), "gain must be in"),
    (lambda: init.uniform_(np.empty(3), a=1.0, b=0.0), "b must be in"),
    (lambda: init.normal_(np.empty(3), std=-0.1), "std must be in"),
])
def test_bad_arguments_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("param", ["0.1", True, [0.1]])
def test_a_slope_of_the_wrong_type_raises_type_error(param):
    """A value of the wrong type is a TypeError (a NaN slope stays a ValueError, above), and the
    message names the argument, the value and what is allowed."""
    with pytest.raises(TypeError, match=r"param \(the negative slope of leaky_relu\) must be a "
                                        r"real number or None, got " + re.escape(repr(param))):
        init.calculate_gain("leaky_relu", param)


def test_rejects_what_is_not_a_float_array():
    with pytest.raises(TypeError, match="tensor must be"):
        init.zeros_([1.0, 2.0])
    with pytest.raises(TypeError, match="tensor must be"):
        init.normal_(np.zeros(3, dtype=int))


FILLS = [init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_,
         init.kaiming_uniform_, init.kaiming_normal_]


def test_defaults_are_torch_s():
    """torch.nn.init's signatures: U(0, 1), N(0, 1), gain 1, a = 0 with fan_in and leaky_relu."""
    def defaults(f):
        return {k: p.default for k, p in inspect.signature(f).parameters.items()
                if p.default is not inspect.Parameter.empty and k != "rng"}
    assert defaults(init.uniform_) == dict(a=0.0, b=1.0)
    assert defaults(init.normal_) == dict(mean=0.0, std=1.0)
    assert defaults(init.xavier_uniform_) == defaults(init.xavier_normal_) == dict(gain=1.0)
    assert (defaults(init.kaiming_uniform_) == defaults(init.kaiming_normal_)
            == dict(a=0, mode="fan_in", nonlinearity="leaky_relu"))


@pytest.mark.parametrize("fill", FILLS, ids=lambda f: f.__name__)
def test_the_same_seed_gives_the_same_draw(fill):
    first, again, other = (fill(np.empty((6, 5)), rng=seed) for seed in (3, 3, 4))
    assert np.array_equal(first, again) and not np.array_equal(first, other)


@pytest.mark.parametrize("fill", FILLS, ids=lambda f: f.__name__)
def test_float32_arrays_are_filled_in_their_dtype(fill):
    w = np.zeros((6, 5), dtype=np.float32)
    assert fill(w, rng=0) is w and w.dtype == np.float32 and np.all(w != 0)


@pytest.mark.parametrize("call, name", [
    (lambda: init.uniform_(np.empty(3), a="0"), "a"),
    (lambda: init.normal_(np.empty(3), mean=None), "mean"),
    (lambda: init.xavier_uniform_(np.empty(SHAPE), gain="1"), "gain"),
])
def test_wrong_types_name_the_argument(call, name):
    with pytest.raises(TypeError, match=rf"^{name} must be a real number"):
        call()


@pytest.mark.parametrize("fill", [init.xavier_uniform_, init.xavier_normal_])
def test_gain_may_be_any_nonnegative_number(fill):
    """gain scales the standard deviation: 0.5 halves it (a gain below 1 is allowed), -1 is refused."""
    half, one = draw(fill, gain=0.5), draw(fill)
    np.testing.assert_allclose(half, 0.5 * one)
    with pytest.raises(ValueError, match="^gain must be in"):
        draw(fill, gain=-1.0)


def test_not_a_float_array_is_named_by_its_type():
    with pytest.raises(TypeError, match="got list$"):
        init.uniform_([1.0, 2.0])


def test_default_arguments_draw_torch_s_distributions():
    """Called without arguments: U(0, 1), N(0, 1), and Kaiming with a = 0 (gain √2)."""
    u = init.uniform_(np.empty(SHAPE), rng=0)
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    z = init.normal_(np.empty(SHAPE), rng=0)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    for fill in (init.kaiming_uniform_, init.kaiming_normal_):
        assert draw(fill).std() == pytest.approx(math.sqrt(2.0 / FAN_IN), rel=0.02)
