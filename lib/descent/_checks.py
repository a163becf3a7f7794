"""Argument checks shared by the library: each error names the argument, its value and what is allowed.

Python's convention: a value of the wrong type raises TypeError, a value of the right type
outside the allowed range (or NaN) raises ValueError.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_real(name: str, value: Any, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> Any:
    """Raise TypeError unless ``value`` is a real number, ValueError unless it lies in the given
    interval (NaN is never allowed)."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    if math.isnan(value):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}")
    return value


def check_nonnegative(name: str, value: Any) -> Any:
    """Raise TypeError unless ``value`` is a real number, ValueError unless it is >= 0."""
    return check_real(name, value, low=0.0)


def check_int(name: str, value: Any, *, low: int | None = None) -> int:
    """Raise TypeError unless ``value`` is an integer (not a bool), ValueError unless >= ``low``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if low is not None and value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Raise ValueError unless ``value`` is one of ``choices`` (strings, compared exactly)."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
