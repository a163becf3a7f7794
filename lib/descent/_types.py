"""Type aliases for the library's signatures (checked by mypy in CI; see pyproject.toml).

``Array`` is a floating-point numpy array (float64 unless a ``dtype=`` said otherwise), what
layers, losses, optimizers and problems compute with; ``ArrayLike`` (numpy's) is anything
``np.asarray`` turns into one: an array, a list of numbers, a number.
"""
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

Array: TypeAlias = NDArray[np.floating[Any]]
IntArray: TypeAlias = NDArray[np.integer[Any]]
Seed: TypeAlias = np.random.Generator | int | np.integer[Any] | None  # rng=: see descent._random
Group: TypeAlias = dict[str, Any]  # an optimizer's parameter group: "params" and hyperparameters
State: TypeAlias = dict[str, Any]  # what an optimizer keeps about a parameter (step, moments, …)

__all__ = ["Array", "ArrayLike", "DTypeLike", "Group", "IntArray", "NDArray", "Seed", "State"]
