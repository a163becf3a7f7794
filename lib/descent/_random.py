"""The library's source of randomness: one numpy Generator, reseeded by ``descent.seed(n)``.

Everything random (initial weights, dropout masks, shuffling) takes ``rng=`` — a
``np.random.Generator``, an integer seed, or None for this shared generator.
"""
import numpy as np

from descent._types import Seed

_shared = np.random.default_rng(0)


def seed(n: int | None) -> None:
    """Reseed the shared generator, so that code that passes no ``rng=`` is reproducible."""
    global _shared
    _shared = np.random.default_rng(n)


def as_generator(rng: Seed = None) -> np.random.Generator:
    """Return a Generator: ``rng`` itself, a new one seeded with the integer ``rng``, or the shared one."""
    if rng is None:
        return _shared
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")
