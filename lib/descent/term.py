"""Fresh random inputs for a term's hidden tests.

A hidden test draws its random inputs from ``term_rng(k)``. A class graded with
``descent-grade --term NAME`` (which sets ``DESCENT_TERM=NAME`` in every grading kernel) gets
streams that depend on the term, so answers fitted to another term's hidden cases do not fit
by accident. Without a term (a student's own run, the course's checks) ``term_rng(k)`` is
``np.random.default_rng(k)``::

    term_rng(k) = default_rng(k)                       no term
    term_rng(k) = default_rng([k, sha256(term)[:8]])   term NAME
"""
import hashlib
import os

import numpy as np

VARIABLE = "DESCENT_TERM"


def term() -> str:
    """The term the hidden tests run for ("" when none is set)."""
    return os.environ.get(VARIABLE, "")


def term_rng(seed: int) -> np.random.Generator:
    """A generator for the hidden test numbered ``seed``, depending on the term when one is set."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative int, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    name = term()
    if not name:
        return np.random.default_rng(int(seed))
    salt = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng([int(seed), salt])
