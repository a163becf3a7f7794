"""What every schedule is: a rate as a pure function of t, the number of optimizer steps taken.

A schedule ``s`` is called with an integer t ≥ 0 (or an integer array of them, for plotting) and
returns the rate step t+1 uses: a float for a scalar t, an array for an array. It keeps no state,
so it cannot be stepped twice by mistake, and ``s(t)`` is the same whenever it is asked.
"""
from collections.abc import Callable
from typing import Any, overload

import numpy as np

from descent._checks import check_nonnegative
from descent._types import Array, ArrayLike, IntArray, NDArray

RateFunction = Callable[[IntArray], ArrayLike]  # an int64 array of steps -> their rates
ScheduleLike = Callable[[int], float]  # a Schedule, or any function of the step t


class Schedule:
    """A rate as a function of the steps already taken. Made by the functions of this package.

    ``s(t)``: the rate for t = 0, 1, 2, … (int, or integer array → array of rates).
    ``repr(s)`` is the call that made it; ``s.__doc__`` is that function's docstring (the formula).
    """

    def __init__(self, maker: Callable[..., Any], arguments: dict[str, Any], rate: RateFunction,
                 name: str | None = None, rebuild: Callable[..., Any] | None = None) -> None:
        self._maker = maker
        self._name = name or maker.__qualname__
        self.arguments = dict(arguments)
        self._rate = rate
        self._rebuild = rebuild or maker
        self.__doc__ = maker.__doc__

    @overload
    def __call__(self, t: int | np.integer[Any]) -> float: ...
    @overload
    def __call__(self, t: NDArray[np.integer[Any]] | list[int]) -> Array: ...
    @overload
    def __call__(self, t: ArrayLike) -> float | Array: ...
    def __call__(self, t: ArrayLike) -> float | Array:
        # One code path for a single step and for many: numpy's SIMD kernels (e.g. AVX-512
        # ``power``) can round one unit in the last place away from its scalar path, so a lone
        # step is evaluated as an array of one, and s(k) == s(np.arange(n))[k] on any CPU.
        steps = as_steps(t)
        rate = np.asarray(self._rate(steps.reshape(-1)), dtype=np.float64)
        rate = np.broadcast_to(rate, (steps.size,)).reshape(steps.shape)
        if np.ndim(t) == 0:
            return float(rate)
        return rate.copy()

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Callable[..., Any], dict[str, Any]]]:
        # Pickled as the call that made it (the rate itself is a closure).
        return _call, (self._rebuild, self.arguments)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"{self._name}({args})"


def _call(function: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    return function(**arguments)


def as_steps(t: ArrayLike) -> IntArray:
    """``t`` as an int64 array, after checking it holds whole numbers of steps ≥ 0: TypeError for a
    t that is no number (a string, a bool, None), ValueError for a negative, fractional or NaN t."""
    array = np.asarray(t)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                   or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"t must be a whole number of steps >= 0 (an int, or an integer array), "
                        f"got {t!r} ({type(t).__name__})")
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array) & (array == np.floor(array))):
        raise ValueError(f"t must be a whole number of steps >= 0, got {t!r}")
    if np.any(array < 0):
        raise ValueError(f"t must be a whole number of steps >= 0, got {t!r}")
    return array.astype(np.int64)


def check_rate(name: str, value: float) -> float:
    """A learning rate: a real number ≥ 0, returned as a float."""
    return float(check_nonnegative(name, value))

