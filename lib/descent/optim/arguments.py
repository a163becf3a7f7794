"""Argument checks for the optimizers' constructors: a value of the wrong type raises TypeError,
a value outside its range ValueError; both name the argument, the value and what is allowed."""
import numbers
from typing import Any

from descent._checks import T, check_real


def real(name: str, value: T, **interval: Any) -> T:
    """``value`` as a real number (not a bool) inside ``interval`` (``check_real``'s keywords)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    return check_real(name, value, **interval)


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int (not a bool) with low ≤ value ≤ high."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return number


def flag(name: str, value: Any) -> bool:
    """``value`` as a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return value


def sequence(name: str, value: Any, length: int) -> tuple[Any, ...]:
    """``value`` as a tuple of ``length`` entries (a tuple or a list)."""
    if not isinstance(value, (tuple, list)) or len(value) != length:
        raise TypeError(f"{name} must be a tuple of {length} numbers, got {value!r}")
    return tuple(value)


def betas(value: Any, *, low_open: bool = False) -> tuple[float, float]:
    """A pair (β₁, β₂) with β₁ in [0, 1) (or (0, 1) if ``low_open``) and β₂ in [0, 1)."""
    beta1, beta2 = sequence("betas", value, 2)
    real("betas[0]", beta1, low=0.0, high=1.0, low_open=low_open, high_open=True)
    real("betas[1]", beta2, low=0.0, high=1.0, high_open=True)
    return beta1, beta2
