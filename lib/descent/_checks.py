"""Argument checks shared by the library: each error names the argument, its value and what is allowed."""
import math
import numbers


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_real(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Raise ValueError unless ``value`` is a real number in the given interval (NaN is never allowed)."""
    if not _is_real(value) or math.isnan(value):
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


def check_nonnegative(name, value):
    """Raise ValueError unless ``value`` is a real number >= 0."""
    return check_real(name, value, low=0.0)


def check_int(name, value, *, low=None):
    """Raise ValueError unless ``value`` is an integer (not a bool) >= ``low``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_choice(name, value, choices):
    """Raise ValueError unless ``value`` is one of ``choices`` (strings, compared exactly)."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
