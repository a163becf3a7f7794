"""Argument checks shared by the library: each error names the argument, its value and what is allowed.

Python's convention: a value of the wrong type raises TypeError, a value of the right type
outside the allowed range (or NaN) raises ValueError.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, TypeVar, cast

T = TypeVar("T")  # a checked value is returned as it came


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_real(name: str, value: T, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> T:
    """Raise TypeError unless ``value`` is a real number, ValueError unless it lies in the given
    interval (NaN is never allowed)."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    number = cast(float, value)  # a numbers.Real (typeshed's Real lacks comparisons with float)
    if math.isnan(number):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}")
    return value


def check_nonnegative(name: str, value: T) -> T:
    """Raise TypeError unless ``value`` is a real number, ValueError unless it is >= 0."""
    return check_real(name, value, low=0.0)


def check_int(name: str, value: Any, *, low: int | None = None) -> int:
    """Raise TypeError unless ``value`` is an integer (not a bool), ValueError unless >= ``low``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if low is not None and value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_choice(name: str, value: T, choices: Sequence[Any]) -> T:
    """Raise ValueError unless ``value`` is one of ``choices`` (strings, compared exactly)."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
