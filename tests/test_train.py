import math

import numpy as np
import pytest

from descent import data, nn, optim, problems, train


def small_classifier(seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(2, 16, rng=rng), nn.Tanh(), nn.Linear(16, 3, rng=rng))


def test_fit_learns_spirals_and_records_every_step():
    X, y = data.spirals(n_per_class=60, seed=1)
    model = small_classifier()
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    history = train.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=30, batch_size=30,
                        validation=(X, y))
    steps_per_epoch = math.ceil(len(X) / 30)
    assert history.loss.shape == history.lr.shape == history.grad_norm.shape == (30 * steps_per_epoch,)
    assert history.epoch_loss.shape == history.val_loss.shape == history.val_accuracy.shape == (30,)
    assert np.all(history.lr == 0.5)
    assert history.epoch_loss[-1] < 0.5 * history.epoch_loss[0]
    assert history.val_accuracy[-1] > 0.8
    # The epoch loss is the mean of that epoch's mini-batch losses.
    assert history.epoch_loss[0] == pytest.approx(history.loss[:steps_per_epoch].mean())


def test_fit_is_reproducible_with_a_seed_and_differs_with_another():
    X, y = data.spirals(n_per_class=30, seed=2)

    def run(seed):
        model = small_classifier()
        opt = optim.SGD(model.parameters(), lr=0.1)
        return train.fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=3, batch_size=16, seed=seed).loss

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_full_batch_fit_equals_the_hand_written_gradient_descent_loop():
    X, y = data.linear_regression(n=50, d=3, seed=0)
    model_a, model_b = nn.Linear(3, 1, rng=5), nn.Linear(3, 1, rng=5)
    loss_fn = nn.MSELoss()
    history = train.fit(model_a, loss_fn, optim.SGD(model_a.parameters(), lr=0.1), X, y,
                        epochs=20, batch_size=None)
    for _ in range(20):
        model_b.zero_grad()
        loss_fn(model_b(X), y)
        model_b.backward(loss_fn.backward())
        for p in model_b.parameters():
            p.data -= 0.1 * p.grad
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-13)
    assert history.steps == 20


def test_fit_records_the_rate_each_step_used_from_a_schedule():
    X, y = data.linear_regression(n=40, d=2, seed=0)
    model = nn.Linear(2, 1, rng=0)
    opt = optim.SGD(model.parameters(), lr=lambda t: 0.1 * 0.5**t)
    history = train.fit(model, nn.MSELoss(), opt, X, y, epochs=2, batch_size=10)
    np.testing.assert_allclose(history.lr, 0.1 * 0.5 ** np.arange(8))


def test_fit_clips_the_gradient_norm_and_records_it_before_clipping():
    X, y = data.linear_regression(n=40, d=2, noise=0.0, seed=0)
    y = 100 * y
    model = nn.Linear(2, 1, rng=0)
    seen = []

    class Spy(optim.SGD):
        def step(self, closure=None):
            seen.append(math.sqrt(sum(float((p.grad**2).sum()) for p in model.parameters())))
            return super().step(closure)

    history = train.fit(model, nn.MSELoss(), Spy(model.parameters(), lr=1e-3), X, y, epochs=1,
                        batch_size=40, clip_grad_norm=1.0)
    assert history.grad_norm[0] > 10
    assert seen[0] == pytest.approx(1.0, rel=1e-5)


def test_divergence_stops_with_an_error_naming_step_rate_and_last_loss():
    X, y = data.linear_regression(n=64, d=2, seed=0)
    model = nn.Linear(2, 1, rng=0)
    with pytest.raises(train.NonFiniteLossError, match=r"at step \d+ \(epoch \d+\) with lr=1e\+06; last finite loss"):
        with np.errstate(over="ignore", invalid="ignore"):
            train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=1e6), X, y, epochs=50,
                      batch_size=8)


def test_callbacks_are_called_at_the_end_of_every_epoch():
    X, y = data.linear_regression(n=20, d=1, seed=0)
    model = nn.Linear(1, 1, rng=0)
    calls = []

    class Hook:
        def on_epoch_end(self, history):
            calls.append(("hook", len(history.epoch_loss)))

    train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=3,
              callbacks=[Hook(), lambda h: calls.append(("fn", len(h.epoch_loss)))])
    assert calls == [("hook", 1), ("fn", 1), ("hook", 2), ("fn", 2), ("hook", 3), ("fn", 3)]


@pytest.mark.parametrize("bad, message", [
    (dict(epochs=0), "epochs must be an integer >= 1"),
    (dict(batch_size=0), "batch_size must be an integer >= 1"),
    (dict(clip_grad_norm=-1.0), "clip_grad_norm must be in"),
])
def test_fit_rejects_bad_arguments(bad, message):
    X, y = data.linear_regression(n=10, d=1, seed=0)
    model = nn.Linear(1, 1, rng=0)
    with pytest.raises(ValueError, match=message):
        train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, **bad)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_fit_and_lr_find_refuse_per_item_losses_with_a_type_error(batch_size):
    """A loss with reduction="none" gives an array, not the one number a step records."""
    X, y = data.linear_regression(n=8, d=1, seed=0)
    model = nn.Linear(1, 1, rng=0)
    message = r"MSELoss returned per-item losses of shape \(%d, 1\) \(reduction='none'\)" % batch_size
    with pytest.raises(TypeError, match=message):
        train.fit(model, nn.MSELoss(reduction="none"), optim.SGD(model.parameters(), lr=0.1), X,
                  y, batch_size=batch_size, progress=False)
    with pytest.raises(TypeError, match=message):
        train.lr_find(model, nn.MSELoss(reduction="none"), optim.SGD, X, y, batch_size=batch_size)
    history = train.fit(model, nn.MSELoss(reduction="sum"), optim.SGD(model.parameters(), lr=0.01),
                        X, y, batch_size=batch_size, epochs=2, progress=False)
    assert history.loss.shape == (2 * 8 // batch_size,)


def test_fit_rejects_mismatched_data():
    model = nn.Linear(1, 1, rng=0)
    with pytest.raises(ValueError, match="different numbers of samples: 10 and 9"):
        train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
                  np.zeros((10, 1)), np.zeros((9, 1)))


def test_minimize_follows_gradient_descent_exactly():
    f = problems.quadratic(condition_number=10)
    path = train.minimize(f, optim.SGD, steps=30, lr=0.05)
    expected = [f.x0]
    for _ in range(30):
        expected.append(expected[-1] - 0.05 * f.grad(expected[-1]))
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-14)
    assert path.shape == (31, 2)


def test_minimize_stops_with_a_warning_when_the_path_diverges():
    f = problems.quadratic(condition_number=10)
    with pytest.warns(RuntimeWarning, match="left the finite numbers at step"):
        path = train.minimize(f, optim.SGD, steps=2000, lr=1.0)
    assert np.all(np.isfinite(path)) and len(path) < 2001


def test_lr_find_spans_the_rates_restores_the_model_and_finds_a_sensible_rate():
    X, Xt, y, yt = data.digits()
    model = nn.Sequential(nn.Linear(64, 32, rng=0), nn.ReLU(), nn.Linear(32, 10, rng=1))
    before = [p.data.copy() for p in model.parameters()]
    result = train.lr_find(model, nn.CrossEntropyLoss(), optim.SGD, X, y, start_lr=1e-5,
                           end_lr=100.0, steps=120)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    assert result.lrs[0] == pytest.approx(1e-5)
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, (100.0 / 1e-5) ** (1 / 119))
    # Training digits with SGD works for rates of order 0.01 to 1; the test must land there.
    assert 1e-3 < result.steepest < 5 and 1e-2 < result.min_loss_lr < 20


def test_lr_find_stops_once_the_loss_blows_up():
    X, y = data.linear_regression(n=200, d=3, seed=0)
    model = nn.Linear(3, 1, rng=0)
    with np.errstate(over="ignore", invalid="ignore"):
        result = train.lr_find(model, nn.MSELoss(), optim.SGD, X, y, start_lr=1e-4, end_lr=1e3,
                               steps=200)
    # Gradient descent on this regression diverges above about lr = 1; the test stops there.
    assert len(result.lrs) < 200 and 0.5 < result.lrs[-1] < 50
    assert result.smoothed[-1] > 4 * result.smoothed.min() or not np.isfinite(result.losses[-1])


def test_evaluations_to_tolerance_counts_closure_calls_up_to_the_first_small_gradient():
    f = problems.quadratic(condition_number=1.0)     # ∇f = θ: one step of η = 1 lands on 0
    count, x = train.evaluations_to_tolerance(f, lambda p: optim.SGD(p, lr=1.0))
    assert count == 2 and np.all(x == 0.0)
    f = problems.quadratic(condition_number=10.0)
    count, x = train.evaluations_to_tolerance(f, lambda p: optim.SGD(p, lr=0.01), budget=50)
    assert count is None and np.linalg.norm(f.grad(x)) > 1e-8


def test_evaluations_to_tolerance_stops_when_the_method_stalls():
    f = problems.quadratic(condition_number=10.0)
    count, x = train.evaluations_to_tolerance(f, lambda p: optim.SGD(p, lr=0.0), budget=10_000)
    assert count is None and np.array_equal(x, f.x0)


# --------------------------------------------------------------------------- one loop for every method

class Recorder(nn.Module):
    """The identity, remembering every batch it sees (to observe the order fit visits samples)."""

    def __init__(self, inner):
        self.inner, self.seen = inner, []

    def forward(self, x):
        self.seen.append(np.array(x[:, 0]))
        return self.inner(x)

    def backward(self, grad_output):
        return self.inner.backward(grad_output)


def test_fit_shuffles_the_samples_anew_every_epoch():
    X = np.column_stack([np.arange(12.0), np.ones(12)])
    y = np.arange(12) % 3
    model = Recorder(nn.Linear(2, 3, rng=0))
    train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01), X, y,
              epochs=4, batch_size=4, seed=3)
    epochs = [np.concatenate(model.seen[i:i + 3]) for i in range(0, 12, 3)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(12.0))  # every sample once
    assert len({tuple(order) for order in epochs}) == 4                  # a new order each epoch
    assert not np.array_equal(epochs[0], np.arange(12.0))


def test_fit_drives_closure_optimizers_on_the_full_batch_by_default():
    X, y = data.linear_regression(n=60, d=3, noise=0.1, seed=0)
    model = nn.Linear(3, 1, rng=1)
    opt = optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
    history = train.fit(model, nn.MSELoss(), opt, X, y, epochs=3)
    assert history.steps == 3                                     # one step per epoch
    A = np.column_stack([X, np.ones(len(X))])
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    fitted = np.concatenate([model.weight.data.ravel(), model.bias.data])
    np.testing.assert_allclose(fitted, best.ravel(), rtol=1e-6, atol=1e-8)
    assert history.loss[0] > 10 * history.loss[-1]
    # the same steps written by hand
    twin = nn.Linear(3, 1, rng=1)
    opt_twin = optim.LBFGS(twin.parameters(), line_search_fn="strong_wolfe")
    loss_fn = nn.MSELoss()

    def closure():
        opt_twin.zero_grad()
        loss = loss_fn(twin(X), y)
        twin.backward(loss_fn.backward())
        return loss

    first_losses = [opt_twin.step(closure) for _ in range(3)]
    np.testing.assert_allclose(history.loss, first_losses, rtol=1e-12)
    np.testing.assert_allclose(twin.weight.data, model.weight.data, rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda p, H: optim.Newton(p, hessian=lambda x: H),
    lambda p, H: optim.NewtonCG(p),
    lambda p, H: optim.BFGS(p),
])
def test_fit_drives_every_closure_method_downhill(make):
    X, y = data.linear_regression(n=40, d=2, seed=3)
    A = np.column_stack([X, np.ones(len(X))])
    hessian = 2 * A.T @ A / len(X)        # of the mean squared error in (w₁, w₂, b)
    model = nn.Linear(2, 1, rng=0)
    history = train.fit(model, nn.MSELoss(), make(model.parameters(), hessian), X, y, epochs=4)
    assert history.steps == 4 and history.loss[-1] < 0.1 * history.loss[0]


def test_fit_refuses_clipping_with_a_line_search_method():
    X, y = data.linear_regression(n=20, d=2, seed=0)
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="clip_grad_norm=1.0 cannot be used with LBFGS"):
        train.fit(model, nn.MSELoss(), optim.LBFGS(model.parameters()), X, y, clip_grad_norm=1.0)


def test_nan_weights_stop_fit_instead_of_training_on_with_frozen_weights():
    X, y = data.spirals(n_per_class=20, seed=0)
    model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
    model[0].weight.data[0, 0] = np.nan
    with pytest.raises(train.NonFiniteLossError, match="loss is nan at step 1"):
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y,
                  epochs=2)


def test_lr_find_restores_running_statistics_and_modes():
    X, y = data.linear_regression(n=200, d=3, seed=0)
    model = nn.Sequential(nn.Linear(3, 8, rng=0), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1, rng=1))
    model.eval()
    before = model.state_dict()
    with np.errstate(over="ignore", invalid="ignore"):
        train.lr_find(model, nn.MSELoss(), optim.SGD, X, y, start_lr=1e-4, end_lr=1e3, steps=60)
    assert not model.training and not model[1].training
    after = model.state_dict()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])


def test_levenberg_marquardt_has_no_learning_rate():
    def residuals(x):
        return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])

    def jacobian(x):
        return np.array([[-20 * x[0], 10.0], [-1.0, 0.0]])

    opt = optim.LevenbergMarquardt([nn.Parameter([-1.2, 1.0])], residuals, jacobian)
    assert "lr" not in opt.param_groups[0] and opt.lr is None
    assert "lr" not in repr(opt)
