"""descent.problems: exact derivatives against finite differences, minimizers, shapes, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descent import problems
from descent.nn import numerical_gradient, relative_error

PROBLEMS = {
    "quadratic": lambda: problems.quadratic(condition_number=50.0),
    "quadratic_rotated": lambda: problems.quadratic(condition_number=10.0, angle=0.4),
    "quadratic_5d": lambda: problems.quadratic(condition_number=100.0, dim=5),
    "rosenbrock": problems.rosenbrock,
    "rosenbrock_6d": lambda: problems.rosenbrock(dim=6),
    "beale": problems.beale,
    "himmelblau": problems.himmelblau,
    "saddle": problems.saddle,
}
FD_TOL = 1e-6
small = settings(max_examples=20, deadline=None)


def random_point(f, seed):
    """A point inside the problem's plot bounds (first two coordinates' bounds for every axis)."""
    (lo, hi), _ = f.bounds
    return np.random.default_rng(seed).uniform(lo, hi, f.dim)


@small
@given(name=st.sampled_from(sorted(PROBLEMS)), seed=st.integers(0, 2**16))
def test_gradient_matches_central_differences(name, seed):
    f = PROBLEMS[name]()
    x = random_point(f, seed)
    assert relative_error(f.grad(x), numerical_gradient(f, x.copy())) <= FD_TOL


@small
@given(name=st.sampled_from(sorted(PROBLEMS)), seed=st.integers(0, 2**16))
def test_hessian_matches_differences_of_the_gradient(name, seed):
    f = PROBLEMS[name]()
    x = random_point(f, seed)
    numeric = np.array([numerical_gradient(lambda z, i=i: f.grad(z)[i], x.copy()) for i in range(f.dim)])
    H = f.hessian(x)
    np.testing.assert_array_equal(H, H.T)
    assert relative_error(H, numeric) <= FD_TOL


@small
@given(name=st.sampled_from(sorted(PROBLEMS)), seed=st.integers(0, 2**16))
def test_hessian_vector_product(name, seed):
    f = PROBLEMS[name]()
    x = random_point(f, seed)
    v = np.random.default_rng(seed + 1).standard_normal(f.dim)
    hv = f.hessian_vector(x, v)
    assert relative_error(hv, f.hessian(x) @ v) <= 1e-12
    h = 1e-6  # directional central difference of the gradient
    assert relative_error(hv, (f.grad(x + h * v) - f.grad(x - h * v)) / (2 * h)) <= FD_TOL


# The minima from the literature (Rosenbrock, Beale, Himmelblau: 0; a quadratic ½θᵀAθ: 0;
# saddle: f(x, y) = x² + y⁴/4 − y²/2 has its minima at (0, ±1), f = −1/4).
KNOWN_MINIMUM = {"quadratic": 0.0, "quadratic_rotated": 0.0, "quadratic_5d": 0.0, "rosenbrock": 0.0,
                 "rosenbrock_6d": 0.0, "beale": 0.0, "himmelblau": 0.0, "saddle": -0.25}


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_x_star_is_a_minimizer(name):
    f = PROBLEMS[name]()
    assert f(f.x_star) == pytest.approx(KNOWN_MINIMUM[name], abs=1e-14)
    assert np.linalg.norm(f.grad(f.x_star)) <= 1e-12
    assert np.linalg.eigvalsh(f.hessian(f.x_star)).min() > 0  # a strict local minimum
    around = f.x_star + 1e-3 * np.random.default_rng(0).standard_normal((50, f.dim))
    assert all(f(x) > f.f_star for x in around)
    assert f(f.x0) > f.f_star


def test_known_minimum_values():
    assert problems.rosenbrock().f_star == 0.0
    assert problems.rosenbrock(dim=6).f_star == 0.0
    assert problems.beale().f_star == 0.0
    assert problems.himmelblau().f_star == 0.0
    assert problems.saddle().f_star == -0.25
    assert problems.quadratic(condition_number=7.0).f_star == 0.0


def test_himmelblau_lists_four_minima():
    f = problems.himmelblau()
    assert f.minima.shape == (4, 2)
    for x in f.minima:  # given to 6 decimals
        assert f(x) < 1e-9 and np.linalg.norm(f.grad(x)) < 1e-3
        assert np.linalg.eigvalsh(f.hessian(x)).min() > 0


def test_saddle_point_at_the_origin():
    f = problems.saddle()
    np.testing.assert_array_equal(f.grad(np.zeros(2)), 0.0)
    eigenvalues = np.linalg.eigvalsh(f.hessian(np.zeros(2)))
    assert eigenvalues.min() < 0 < eigenvalues.max()


@pytest.mark.parametrize("kappa, dim", [(1.0, 2), (50.0, 2), (1000.0, 7), (1.0, 1)])
def test_quadratic_condition_number(kappa, dim):
    f = problems.quadratic(condition_number=kappa, dim=dim)
    eigenvalues = np.linalg.eigvalsh(f.A)
    assert eigenvalues.min() == pytest.approx(f.mu) and f.mu == pytest.approx(1.0)
    assert eigenvalues.max() == pytest.approx(f.L) and f.L == pytest.approx(kappa)
    x = np.random.default_rng(0).standard_normal(dim)
    assert f(x) == pytest.approx(0.5 * x @ f.A @ x)


def test_quadratic_defaults():
    assert problems.quadratic().L == pytest.approx(10.0)
    one = problems.quadratic(dim=1)
    assert one.L == one.mu == 1.0 and one(np.array([2.0])) == 2.0


def test_rotation_keeps_the_spectrum():
    f = problems.quadratic(condition_number=20.0, angle=np.pi / 6)
    np.testing.assert_allclose(np.linalg.eigvalsh(f.A), [1.0, 20.0])
    assert abs(f.A[0, 1]) > 1.0  # the axes are no longer eigenvectors


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_value_on_a_grid_is_pointwise(name):
    f = PROBLEMS[name]()
    if f.dim != 2:
        return
    (x0, x1), (y0, y1) = f.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 7), np.linspace(y0, y1, 5))
    Z = f(np.stack([X, Y]))
    assert Z.shape == X.shape
    assert Z[2, 3] == pytest.approx(f(np.array([X[2, 3], Y[2, 3]])), rel=1e-14)
    assert isinstance(f(f.x0), float)


def test_standard_starts_and_bounds():
    f = problems.rosenbrock()
    np.testing.assert_array_equal(f.x0, [-1.2, 1.0])
    np.testing.assert_array_equal(f.x_star, [1.0, 1.0])
    for make in PROBLEMS.values():
        f = make()
        assert f.x0.shape == f.x_star.shape == (f.dim,)
        (a, b), (c, d) = f.bounds
        assert a < b and c < d


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"condition_number must be in \[1, inf\], got 0.5"):
        problems.quadratic(condition_number=0.5)
    with pytest.raises(ValueError, match="dim must be an integer >= 1, got 0"):
        problems.quadratic(dim=0)
    with pytest.raises(ValueError, match="a 1-D quadratic has condition number 1, got condition_number=3"):
        problems.quadratic(condition_number=3, dim=1)
    with pytest.raises(ValueError, match="angle is only defined for dim=2, got dim=3"):
        problems.quadratic(dim=3, angle=0.1)
    with pytest.raises(ValueError, match="dim must be an integer >= 2, got 1"):
        problems.rosenbrock(dim=1)
    with pytest.raises(ValueError, match="known minimizer only for a = 1"):
        problems.rosenbrock(dim=3, a=2.0)


def test_bad_point_shapes_are_named():
    f = problems.rosenbrock()
    with pytest.raises(ValueError, match=r"rosenbrock.grad expects x of shape \(2,\), got \(3,\)"):
        f.grad(np.zeros(3))
    with pytest.raises(ValueError, match=r"rosenbrock.hessian expects x of shape \(2,\), got \(2, 2\)"):
        f.hessian(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"rosenbrock expects x of shape \(2, ...\), got \(3,\)"):
        f(np.zeros(3))
    with pytest.raises(ValueError, match=r"hessian_vector expects x of shape \(2,\)"):
        f.hessian_vector(np.zeros(4), np.zeros(2))
