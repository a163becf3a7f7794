"""descent.data: shapes, dtypes, seeding, splits — and nothing is downloaded."""
import socket

import numpy as np
import pytest

from descent import data


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test here runs with the network cut: a dataset that tries to download fails loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError("descent.data tried to open a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_xor():
    X, y = data.xor()
    assert X.shape == (4, 2) and y.shape == (4, 1)
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(y[:, 0], np.logical_xor(X[:, 0], X[:, 1]))


def test_linear_regression_shapes_seeding_and_coefficients():
    X, y, w, b = data.linear_regression(n=50, d=3, noise=0.0, seed=1, return_coef=True)
    assert X.shape == (50, 3) and y.shape == (50, 1) and w.shape == (3, 1)
    assert X.dtype == y.dtype == np.float64 and isinstance(b, float)
    np.testing.assert_allclose(y, X @ w + b, rtol=1e-14)
    X2, y2 = data.linear_regression(n=50, d=3, noise=0.0, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = data.linear_regression(n=50, d=3, noise=0.0, seed=2)
    assert not np.array_equal(X, X3)


def test_linear_regression_noise_level():
    X, y, w, b = data.linear_regression(n=20000, d=2, noise=0.5, seed=0, return_coef=True)
    assert np.std(y - X @ w - b) == pytest.approx(0.5, rel=0.02)


def test_spirals():
    X, y = data.spirals(n_per_class=40, classes=4, seed=3)
    assert X.shape == (160, 2) and y.shape == (160,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [40] * 4)
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-12
    np.testing.assert_array_equal(X, data.spirals(n_per_class=40, classes=4, seed=3)[0])
    assert not np.array_equal(X, data.spirals(n_per_class=40, classes=4, seed=4)[0])


def test_moons():
    X, y = data.moons(n=100, seed=0)
    assert X.shape == (100, 2) and y.shape == (100,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    np.testing.assert_array_equal(X, data.moons(n=100, seed=0)[0])


def test_train_test_split_partitions_and_is_seeded():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.3, seed=5)
    assert len(X_test) == 3 and len(X_train) == 7
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_test])), np.arange(10))
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)  # rows stay paired with labels
    again = data.train_test_split(X, y, test_size=0.3, seed=5)
    np.testing.assert_array_equal(again[3], y_test)


def test_digits_are_real_and_offline():
    X_train, X_test, y_train, y_test = data.digits(test_size=0.25, seed=0)
    assert X_train.shape[1] == X_test.shape[1] == 64
    assert len(X_train) + len(X_test) == 1797 and len(X_test) == round(0.25 * 1797)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    np.testing.assert_array_equal(np.unique(y_train), np.arange(10))
    np.testing.assert_array_equal(data.digits(test_size=0.25, seed=0)[3], y_test)
    assert not np.array_equal(data.digits(test_size=0.25, seed=1)[3], y_test)


def test_mnist_subset_is_real_mnist_and_offline():
    X_train, X_test, y_train, y_test = data.mnist_subset(test_size=0.2, seed=0)
    assert X_train.shape == (4000, 784) and X_test.shape == (1000, 784)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    # 500 images of each digit, as the subset promises.
    np.testing.assert_array_equal(np.bincount(np.concatenate([y_train, y_test])), np.full(10, 500))
    # Real 28×28 digits: the border pixels are (almost) always blank, the centre is not.
    images = X_train.reshape(-1, 28, 28)
    assert images[:, 0, :].mean() < 1e-3 and images[:, 10:18, 10:18].mean() > 0.2
    np.testing.assert_array_equal(data.mnist_subset(seed=0)[3], y_test)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        data.linear_regression(n=0)
    with pytest.raises(ValueError, match=r"noise must be in \[0, inf\], got -1"):
        data.linear_regression(noise=-1)
    with pytest.raises(ValueError, match="classes must be an integer >= 2, got 1"):
        data.spirals(classes=1)
    with pytest.raises(ValueError, match=r"test_size must be in \(0, 1\), got 1.5"):
        data.train_test_split(np.zeros((4, 1)), np.zeros(4), test_size=1.5)
    with pytest.raises(ValueError, match="different numbers of samples: 4 and 3"):
        data.train_test_split(np.zeros((4, 1)), np.zeros(3))
