"""descent.term: a term's hidden tests draw fresh inputs; without a term they are the committed ones."""
import numpy as np
import pytest

from descent.term import VARIABLE, term_rng


def draws(k=3):
    return term_rng(k).standard_normal(5)


def test_without_a_term_the_draws_are_numpys_for_that_seed(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    np.testing.assert_array_equal(draws(), np.random.default_rng(3).standard_normal(5))


def test_a_term_gives_its_own_reproducible_draws(monkeypatch):
    monkeypatch.setenv(VARIABLE, "2027-spring")
    spring, again = draws(), draws()
    monkeypatch.setenv(VARIABLE, "2027-fall")
    fall = draws()
    np.testing.assert_array_equal(spring, again)
    assert not np.allclose(spring, fall)
    assert not np.allclose(spring, np.random.default_rng(3).standard_normal(5))
    assert not np.allclose(draws(3), draws(4))  # each hidden test its own stream


@pytest.mark.parametrize("seed, error", [("3", TypeError), (2.0, TypeError), (True, TypeError), (-1, ValueError)])
def test_a_seed_must_be_a_non_negative_int(seed, error):
    with pytest.raises(error, match="seed must be a non-negative int"):
        term_rng(seed)
