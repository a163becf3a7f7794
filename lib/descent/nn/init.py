"""Weight initialization, as torch.nn.init: the same names, formulas and arguments.

Each function fills ``tensor`` (a ``Parameter`` or a float numpy array) in place, draws from
``rng`` (a Generator, an int seed, or None for the shared generator) and returns ``tensor``.
For a weight of shape (out, in, *kernel): fan_in = in · Π kernel, fan_out = out · Π kernel.
"""
import math
from typing import Literal, TypeVar

import numpy as np

from descent._checks import _is_real, check_choice, check_real
from descent._random import as_generator
from descent._types import Array, ArrayLike, Seed
from descent.nn.module import Parameter

Tensor = TypeVar("Tensor", Parameter, Array)  # what is filled in place, and returned

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")
_NONLINEARITIES = _LINEAR + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance through ``nonlinearity``, as torch:
    linear, conv*, sigmoid 1; tanh 5/3; relu √2; leaky_relu √(2/(1 + slope²)) with
    slope = ``param`` (default 0.01); selu 3/4."""
    check_choice("nonlinearity", nonlinearity, _NONLINEARITIES)
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    slope = 0.01 if param is None else param
    if not _is_real(slope):
        raise TypeError(f"param (the negative slope of leaky_relu) must be a real number or None, "
                        f"got {param!r} ({type(param).__name__})")
    if math.isnan(slope):
        raise ValueError(f"param (the negative slope of leaky_relu) must be a real number, got {param!r}")
    return math.sqrt(2.0 / (1.0 + slope**2))


def _array(tensor: Parameter | Array) -> Array:
    array = tensor.data if isinstance(tensor, Parameter) else tensor
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"tensor must be a Parameter or a float numpy array, got {type(tensor).__name__}")
    return array


def calculate_fan_in_and_fan_out(tensor: Parameter | Array) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor: Tensor, values: ArrayLike) -> Tensor:
    _array(tensor)[...] = values
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, *, rng: Seed = None) -> Tensor:
    """Fill with draws from U(a, b)."""
    check_real("a", a)
    check_real("b", b, low=a)
    return _fill(tensor, as_generator(rng).uniform(a, b, _array(tensor).shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, *, rng: Seed = None) -> Tensor:
    """Fill with draws from N(mean, std²)."""
    check_real("mean", mean)
    check_real("std", std, low=0.0)
    return _fill(tensor, as_generator(rng).normal(mean, std, _array(tensor).shape))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return _fill(tensor, 0.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, *, rng: Seed = None) -> Tensor:
    """Glorot: U(−a, a) with a = gain · √(6/(fan_in + fan_out)), so std = gain · √(2/(fan_in + fan_out))."""
    check_real("gain", gain, low=0.0)
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng=rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, *, rng: Seed = None) -> Tensor:
    """Glorot: N(0, std²) with std = gain · √(2/(fan_in + fan_out))."""
    check_real("gain", gain, low=0.0)
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


def _kaiming_std(tensor: Parameter | Array, a: float, mode: str, nonlinearity: str) -> float:
    check_choice("mode", mode, ("fan_in", "fan_out"))
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: Literal["fan_in", "fan_out"] = "fan_in",
                     nonlinearity: str = "leaky_relu", *, rng: Seed = None) -> Tensor:
    """He: U(−b, b) with b = √3 · gain/√fan, gain = calculate_gain(nonlinearity, a) and fan the
    layer's fan_in or fan_out (``mode``). torch's Linear default is a = √5: b = 1/√fan_in."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: Literal["fan_in", "fan_out"] = "fan_in",
                    nonlinearity: str = "leaky_relu", *, rng: Seed = None) -> Tensor:
    """He: N(0, std²) with std = gain/√fan, gain = calculate_gain(nonlinearity, a)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng=rng)
