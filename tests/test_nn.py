"""descent.nn: gradients against central differences, numbers against torch, errors that explain."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descent
from descent import nn

REF = np.load(Path(__file__).parent / "reference" / "nn_reference.npz")
TORCH_RTOL = 1e-12
FD_TOL = 1e-6
small = settings(max_examples=15, deadline=None)


def assert_close(actual, expected, rtol=TORCH_RTOL):
    """Relative error of the whole array (‖a − e‖/‖e‖) at most rtol."""
    assert nn.relative_error(actual, expected) <= rtol, (actual, expected)


def ref(prefix):
    return {key.split("/", 1)[1]: REF[key] for key in REF.files if key.startswith(prefix + "/")}


# --------------------------------------------------------------------------- finite differences

ACTIVATIONS = {
    "ReLU": nn.ReLU, "LeakyReLU": lambda: nn.LeakyReLU(0.2), "Tanh": nn.Tanh,
    "Sigmoid": nn.Sigmoid,
}


def away_from_kinks(x, margin=1e-3):
    """ReLU and LeakyReLU are not differentiable at 0: keep finite differences off the kink."""
    return np.where(np.abs(x) < margin, margin * 10, x)


@small
@given(n=st.integers(1, 6), d=st.integers(1, 5), name=st.sampled_from(sorted(ACTIVATIONS)),
       seed=st.integers(0, 2**16))
def test_activations_match_central_differences(n, d, name, seed):
    x = away_from_kinks(np.random.default_rng(seed).standard_normal((n, d)) * 2)
    errors = nn.gradcheck_module(ACTIVATIONS[name](), x, rng=seed + 1)
    assert max(errors.values()) <= FD_TOL, errors


@small
@given(n=st.integers(1, 6), d_in=st.integers(1, 5), d_out=st.integers(1, 5), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_linear_matches_central_differences(n, d_in, d_out, bias, seed):
    layer = nn.Linear(d_in, d_out, bias=bias, rng=seed)
    x = np.random.default_rng(seed + 1).standard_normal((n, d_in))
    errors = nn.gradcheck_module(layer, x, rng=seed + 2)
    assert set(errors) == {"input", "param0"} | ({"param1"} if bias else set())
    assert max(errors.values()) <= FD_TOL, errors


@small
@given(n=st.integers(3, 7), d=st.integers(1, 4), affine=st.booleans(), training=st.booleans(),
       seed=st.integers(0, 2**16))
def test_batchnorm_matches_central_differences(n, d, affine, training, seed):
    # n = 2 is degenerate: x̂ = ±1 whatever x is, so dL/dx is ~eps and relative errors mean nothing.
    rng = np.random.default_rng(seed)
    layer = nn.BatchNorm1d(d, affine=affine)
    if affine:
        layer.weight.data[...] = rng.uniform(0.5, 2.0, d)
        layer.bias.data[...] = rng.standard_normal(d)
    layer.running_mean[...] = rng.standard_normal(d)
    layer.running_var[...] = rng.uniform(0.5, 2.0, d)
    layer.train(training)
    x = rng.standard_normal((n, d)) * 3 + 1
    errors = nn.gradcheck_module(layer, x, rng=seed + 1)
    assert max(errors.values()) <= FD_TOL, errors


@small
@given(n=st.integers(1, 5), d=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_dropout_in_eval_mode_is_the_identity(n, d, seed):
    x = np.random.default_rng(seed).standard_normal((n, d))
    layer = nn.Dropout(0.3).eval()
    np.testing.assert_array_equal(layer(x), x)
    assert nn.gradcheck_module(layer, x, rng=seed + 1)["input"] <= FD_TOL


def test_dropout_training_scales_kept_units_and_backward_uses_the_same_mask():
    x = np.ones((200, 50))
    layer = nn.Dropout(0.25, rng=0)
    y = layer(x)
    assert set(np.unique(y)) == {0.0, 1.0 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.01
    g = np.random.default_rng(1).standard_normal(x.shape)
    np.testing.assert_array_equal(layer.backward(g), g * y)  # y = mask/(1 − p) since x = 1
    assert np.all(nn.Dropout(1.0)(x) == 0.0)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x), x)


def test_dropout_without_rng_follows_descent_seed():
    layer, x = nn.Dropout(0.5), np.ones((4, 8))
    descent.seed(3)
    first = layer(x)
    descent.seed(3)
    np.testing.assert_array_equal(layer(x), first)


def test_loss_gradients_match_central_differences():
    rng = np.random.default_rng(0)
    for reduction in ("mean", "sum"):
        out, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
        cases = [
            (nn.MSELoss(reduction=reduction), out, target),
            (nn.CrossEntropyLoss(reduction=reduction), out, rng.integers(0, 3, 5)),
            (nn.BCEWithLogitsLoss(reduction=reduction), out * 3, rng.uniform(0, 1, (5, 3))),
        ]
        for loss_fn, z, t in cases:
            def f(z, loss_fn=loss_fn, t=t):
                return loss_fn(z, t), loss_fn.backward()
            assert nn.gradcheck(f, z) <= FD_TOL, (type(loss_fn).__name__, reduction)


@small
@given(n=st.integers(1, 6), c=st.integers(1, 6), scale=st.floats(0.1, 2.0), seed=st.integers(0, 2**16))
def test_cross_entropy_gradient_over_random_shapes(n, c, scale, seed):
    # Bounded logits: a confident, correct prediction has a gradient near 0, where central
    # differences (absolute error ~1e-10) cannot give a small *relative* error. Huge logits are
    # checked against torch below.
    rng = np.random.default_rng(seed)
    logits, labels = rng.uniform(-scale, scale, (n, c)), rng.integers(0, c, n)
    loss_fn = nn.CrossEntropyLoss()
    err = nn.gradcheck(lambda z: (loss_fn(z, labels), loss_fn.backward()), logits)
    assert err <= FD_TOL
    # Each row of softmax − onehot sums to zero.
    np.testing.assert_allclose(loss_fn.backward().sum(axis=1), 0.0, atol=1e-15)


@small
@given(shape=st.tuples(st.integers(1, 5), st.integers(1, 5)), seed=st.integers(0, 2**16))
def test_mse_and_bce_gradients_over_random_shapes(shape, seed):
    rng = np.random.default_rng(seed)
    z, t = rng.standard_normal(shape) * 3, rng.uniform(0, 1, shape)
    for loss_fn in (nn.MSELoss(), nn.BCEWithLogitsLoss()):
        assert nn.gradcheck(lambda v: (loss_fn(v, t), loss_fn.backward()), z) <= FD_TOL


@small
@given(n=st.integers(1, 5), hidden=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_sequential_matches_central_differences(n, hidden, seed):
    model = nn.Sequential(nn.Linear(3, hidden, rng=seed), nn.Tanh(), nn.Linear(hidden, hidden, rng=seed + 1),
                          nn.Sigmoid(), nn.Linear(hidden, 2, rng=seed + 2))
    x = np.random.default_rng(seed + 3).standard_normal((n, 3))
    errors = nn.gradcheck_module(model, x, rng=seed + 4)
    assert len(errors) == 1 + 6
    assert max(errors.values()) <= FD_TOL, errors


def test_backward_accumulates_until_zero_grad():
    layer = nn.Linear(3, 2, rng=0)
    x, g = np.ones((4, 3)), np.ones((4, 2))
    layer(x)
    layer.backward(g)
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    kept = layer.weight.grad
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is kept and not kept.any() and not layer.bias.grad.any()
    layer.zero_grad()                                 # torch 2's default: set_to_none=True
    assert layer.weight.grad is None and layer.bias.grad is None
    layer(x)
    layer.backward(g)                                 # the next backward starts afresh
    np.testing.assert_allclose(layer.weight.grad, once)
    assert layer.weight.grad.dtype == layer.weight.data.dtype


# --------------------------------------------------------------------------- against torch

def test_reference_inputs_are_the_draws_of_its_generating_script():
    """The stored inputs are those make_nn_reference.py draws from its seed, in its order: the
    reference file and the script that made it have not drifted apart."""
    rng = np.random.default_rng(2024)
    x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    g = rng.standard_normal((5, 3))
    r = ref("linear")
    for mine, key in ((x, "x"), (W, "weight"), (b, "bias"), (g, "grad_output")):
        np.testing.assert_array_equal(mine, r[key])
    x = rng.standard_normal((6, 5)) * 3
    x[0, :3] = 0.0
    np.testing.assert_array_equal(x, ref("activations")["x"])


def test_linear_matches_torch():
    r = ref("linear")
    layer = nn.Linear(4, 3)
    layer.weight.data[...], layer.bias.data[...] = r["weight"], r["bias"]
    assert_close(layer(r["x"]), r["y"])
    assert_close(layer.backward(r["grad_output"]), r["grad_x"])
    assert_close(layer.weight.grad, r["grad_weight"])
    assert_close(layer.bias.grad, r["grad_bias"])


@pytest.mark.parametrize("name, layer", [("relu", nn.ReLU()), ("leaky_relu", nn.LeakyReLU(0.2)),
                                         ("tanh", nn.Tanh()), ("sigmoid", nn.Sigmoid())])
def test_activations_match_torch_including_the_kink(name, layer):
    inputs, r = ref("activations"), ref(name)
    assert_close(layer(inputs["x"]), r["y"])
    assert_close(layer.backward(inputs["grad_output"]), r["grad_x"])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name, loss_cls, inputs", [
    ("mse", nn.MSELoss, ("output", "target")),
    ("cross_entropy", nn.CrossEntropyLoss, ("logits", "labels")),
    ("bce", nn.BCEWithLogitsLoss, ("logits", "target")),
])
def test_losses_match_torch(name, loss_cls, inputs, reduction):
    r = ref(f"{name}_{reduction}")
    loss_fn = loss_cls(reduction=reduction)
    loss = loss_fn(r[inputs[0]], r[inputs[1]])
    assert isinstance(loss, float)
    assert_close(loss, r["loss"])
    assert_close(loss_fn.backward(), r["grad"])


def test_cross_entropy_is_stable_for_huge_logits():
    r = ref("cross_entropy_large")
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(r["logits"], r["labels"])
    assert np.isfinite(loss)
    assert_close(loss, r["loss"])
    assert_close(loss_fn.backward(), r["grad"])


def test_bce_with_logits_is_stable_for_huge_logits():
    loss_fn = nn.BCEWithLogitsLoss()
    loss = loss_fn(np.array([[800.0, -800.0]]), np.array([[0.0, 1.0]]))
    assert loss == pytest.approx(800.0)
    np.testing.assert_allclose(loss_fn.backward(), [[0.5, -0.5]])


def test_sequential_matches_torch():
    r = ref("sequential")
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    for p, key in zip(model.parameters(), ("W1", "b1", "W2", "b2")):
        p.data[...] = r[key]
    loss_fn = nn.CrossEntropyLoss()
    assert_close(loss_fn(model(r["x"]), r["labels"]), r["loss"])
    assert_close(model.backward(loss_fn.backward()), r["grad_x"])
    for i, p in enumerate(model.parameters()):
        assert_close(p.grad, r[f"grad{i}"])


def test_batchnorm_matches_torch_in_training_and_evaluation():
    r = ref("batchnorm")
    layer = nn.BatchNorm1d(4, eps=float(r["eps"]), momentum=float(r["momentum"]))
    layer.weight.data[...], layer.bias.data[...] = r["gamma"], r["beta"]
    for step in range(2):
        s = ref(f"batchnorm_train{step}")
        layer.zero_grad()
        assert_close(layer(s["x"]), s["y"])
        assert_close(layer.backward(s["grad_output"]), s["grad_x"])
        assert_close(layer.weight.grad, s["grad_weight"])
        assert_close(layer.bias.grad, s["grad_bias"])
        assert_close(layer.running_mean, s["running_mean"])
        assert_close(layer.running_var, s["running_var"])
    s = ref("batchnorm_eval")
    layer.eval()
    layer.zero_grad()
    assert_close(layer(s["x"]), s["y"])
    assert_close(layer.backward(s["grad_output"]), s["grad_x"])
    assert_close(layer.weight.grad, s["grad_weight"])
    assert_close(layer.bias.grad, s["grad_bias"])


@pytest.mark.parametrize("name", ["l2", "l1", "inf", "noclip"])
def test_clip_grad_norm_matches_torch(name):
    grads, r = ref("clip"), ref(f"clip_{name}")
    params = [nn.Parameter(np.zeros(grads[k].shape)) for k in ("grad0", "grad1")]
    for p, k in zip(params, ("grad0", "grad1")):
        p.grad[...] = grads[k]
    total = nn.utils.clip_grad_norm_(params, float(r["max_norm"]), float(r["norm_type"]))
    assert_close(total, r["total"])
    assert_close(params[0].grad, r["clipped0"])
    assert_close(params[1].grad, r["clipped1"])


def test_clip_grad_norm_with_non_finite_gradients_behaves_as_torch():
    p = nn.Parameter(np.zeros(2))
    p.grad[...] = [np.nan, 1.0]
    assert np.isnan(nn.utils.clip_grad_norm_([p], 1.0))
    assert np.isnan(p.grad).all()  # torch: tensor([nan, nan])
    p.grad[...] = [np.inf, 1.0]
    with np.errstate(invalid="ignore"):
        assert nn.utils.clip_grad_norm_([p], 1.0) == np.inf
    np.testing.assert_array_equal(p.grad, [np.nan, 0.0])  # torch: tensor([nan, 0.])
    p.grad[...] = [np.inf, 1.0]
    with pytest.raises(RuntimeError, match="the total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clamps_in_place():
    p = nn.Parameter(np.zeros(4))
    p.grad[...] = [-3.0, -0.5, 0.5, 3.0]
    nn.utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad, [-1.0, -0.5, 0.5, 1.0])


# --------------------------------------------------------------------------- the API contract

def test_linear_shapes_and_torch_default_init():
    layer = nn.Linear(400, 30, rng=0)
    assert layer.weight.shape == (30, 400) and layer.bias.shape == (30,)
    bound = 1 / np.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.95 * bound
    assert np.abs(layer.bias.data).max() <= bound
    assert layer.weight.data.dtype == np.float64
    assert nn.Linear(3, 2, dtype=np.float32).weight.grad.dtype == np.float32
    np.testing.assert_array_equal(nn.Linear(3, 2, rng=5).weight.data, nn.Linear(3, 2, rng=5).weight.data)


def test_parameters_in_definition_order_weight_before_bias():
    a, b = nn.Linear(2, 3), nn.Linear(3, 1)
    model = nn.Sequential(a, nn.ReLU(), b)
    assert model.parameters() == [a.weight, a.bias, b.weight, b.bias]
    assert nn.Sequential(a, a).parameters() == [a.weight, a.bias]  # shared layers count once
    assert nn.Linear(2, 3, bias=False).parameters()[0].shape == (3, 2)


def test_train_and_eval_reach_nested_layers():
    bn = nn.BatchNorm1d(2)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(bn, nn.Dropout(0.5)))
    model.eval()
    assert not bn.training and not model[1][1].training
    model.train()
    assert bn.training and model[1][1].training


def test_parameter_converts_integers_and_keeps_floats():
    assert nn.Parameter([1, 2]).data.dtype == np.float64
    assert nn.Parameter(np.zeros(2, dtype=np.float32)).data.dtype == np.float32
    source = np.zeros(3)
    p = nn.Parameter(source)
    source[0] = 1.0
    assert p.data[0] == 0.0  # a copy, not a view
    np.testing.assert_array_equal(p.grad, np.zeros(3))


def test_relu_derivative_at_zero_is_zero_as_torch():
    layer = nn.ReLU()
    layer(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])
    leaky = nn.LeakyReLU(0.1)
    leaky(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_allclose(leaky.backward(np.ones((1, 3))), [[0.1, 0.1, 1.0]])


def test_numerical_gradient_works_on_views_and_restores_x():
    x = np.arange(6.0).reshape(2, 3).T  # not contiguous
    before = x.copy()
    np.testing.assert_allclose(nn.numerical_gradient(lambda z: (z**2).sum(), x), 2 * before, rtol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_gradcheck_catches_a_wrong_gradient():
    x = np.array([1.0, -2.0, 0.5])
    assert nn.gradcheck(lambda z: ((z**3).sum(), 3 * z**2), x) < 1e-8
    assert nn.gradcheck(lambda z: ((z**3).sum(), 2 * z**2), x) > 0.1


def test_relative_error():
    assert nn.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert nn.relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2))
    assert nn.relative_error([1.0], [1.0 + 1e-10]) == pytest.approx(1e-10, rel=1e-5)


# --------------------------------------------------------------------------- errors that explain

@pytest.mark.parametrize("make, match", [
    (lambda: nn.Linear(0, 3), "in_features must be an integer >= 1, got 0"),
    (lambda: nn.Dropout(1.5), r"p must be in \[0, 1\], got 1.5"),
    (lambda: nn.Dropout(-0.1), r"p must be in \[0, 1\], got -0.1"),
    (lambda: nn.BatchNorm1d(3, eps=0.0), r"eps must be in \(0, inf\], got 0.0"),
    (lambda: nn.BatchNorm1d(3, momentum=2.0), r"momentum must be in \[0, 1\], got 2.0"),
    (lambda: nn.BatchNorm1d(0), "num_features must be an integer >= 1, got 0"),
    (lambda: nn.MSELoss(reduction="avg"), "reduction must be one of"),
    (lambda: nn.utils.clip_grad_norm_([nn.Parameter([1.0])], -1.0), r"max_norm must be in \[0, inf\]"),
    (lambda: nn.utils.clip_grad_value_([nn.Parameter([1.0])], -1.0), r"clip_value must be in \[0, inf\]"),
])
def test_bad_hyperparameters_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make, match", [
    (lambda: nn.Linear(3, 2.5), r"out_features must be an integer, got 2.5 \(float\)"),
    (lambda: nn.LeakyReLU("0.1"), r"negative_slope must be a real number, got '0.1' \(str\)"),
    (lambda: nn.Dropout(None), "p must be a real number, got None"),
    (lambda: nn.BatchNorm1d(3, momentum=None), "momentum must be a real number, got None"),
])
def test_arguments_of_the_wrong_type_are_type_errors(make, match):
    with pytest.raises(TypeError, match=match):
        make()


@pytest.mark.parametrize("dtype", [np.int64, np.complex128, bool])
def test_non_float_parameter_dtype_is_refused(dtype):
    with pytest.raises(TypeError, match=f"Parameter dtype must be a floating type, got {np.dtype(dtype)}"):
        nn.Parameter(np.zeros(3), dtype=dtype)


def test_non_numeric_parameter_data_is_refused():
    with pytest.raises(TypeError, match="Parameter dtype must be a floating type, got <U1"):
        nn.Parameter(["a"])


def test_linear_input_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"Linear expected input of shape \(batch, 3\), got shape \(4, 2\)"):
        nn.Linear(3, 2)(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        nn.Linear(3, 2)(np.ones(3))


@pytest.mark.parametrize("layer", [nn.Linear(3, 2), nn.ReLU(), nn.LeakyReLU(), nn.Tanh(), nn.Sigmoid(),
                                   nn.Dropout(), nn.BatchNorm1d(3)])
def test_backward_before_forward_is_explained(layer):
    with pytest.raises(RuntimeError, match=f"{type(layer).__name__}.backward called before forward"):
        layer.backward(np.ones((4, 3)))


def test_sequential_backward_before_forward_names_the_layer():
    with pytest.raises(RuntimeError, match="Tanh.backward called before forward"):
        nn.Sequential(nn.Linear(2, 2), nn.Tanh()).backward(np.ones((1, 2)))  # the last layer runs first


@pytest.mark.parametrize("loss_fn", [nn.MSELoss(), nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss()])
def test_loss_backward_before_forward_is_explained(loss_fn):
    with pytest.raises(RuntimeError, match=f"{type(loss_fn).__name__}.backward called before the loss"):
        loss_fn.backward()


@pytest.mark.parametrize("layer, x, g, shape", [
    (nn.Linear(3, 2), np.ones((4, 3)), np.ones((4, 3)), r"\(4, 2\)"),
    (nn.Tanh(), np.ones((4, 3)), np.ones((3, 4)), r"\(4, 3\)"),
    (nn.ReLU(), np.ones((4, 3)), np.ones(12), r"\(4, 3\)"),
    (nn.BatchNorm1d(3), np.arange(12.0).reshape(4, 3), np.ones((4, 2)), r"\(4, 3\)"),
    (nn.Sigmoid(), np.ones((4, 3)), np.ones((3, 4)), r"\(4, 3\)"),
    (nn.LeakyReLU(), np.ones((4, 3)), np.ones((3, 4)), r"\(4, 3\)"),
    (nn.Dropout(0.5, rng=0), np.ones((4, 3)), np.ones((3, 4)), r"\(4, 3\)"),
])
def test_backward_gradient_of_the_wrong_shape_is_explained(layer, x, g, shape):
    layer(x)
    with pytest.raises(ValueError, match=f"^{type(layer).__name__}.backward expected a gradient of shape {shape}"):
        layer.backward(g)


def test_loss_shape_mismatch_is_refused_not_broadcast():
    with pytest.raises(ValueError, match=r"output shape \(4, 1\) and target shape \(4,\) differ"):
        nn.MSELoss()(np.ones((4, 1)), np.ones(4))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss: output shape \(2, 2\) and target shape \(2, 1\)"):
        nn.BCEWithLogitsLoss()(np.ones((2, 2)), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"^BCEWithLogitsLoss: targets must lie in \[0, 1\]"):
        nn.BCEWithLogitsLoss()(np.ones((2, 1)), np.array([[0.0], [2.0]]))


def test_cross_entropy_label_errors_name_the_problem():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"label 4 is out of range \[0, 4\)"):
        nn.CrossEntropyLoss()(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"label -1 is out of range \[0, 4\)"):
        nn.CrossEntropyLoss()(logits, np.array([0, -1, 1]))
    with pytest.raises(TypeError, match="expects integer class labels, got dtype float64"):
        nn.CrossEntropyLoss()(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="one-hot targets are not accepted"):
        nn.CrossEntropyLoss()(logits, np.eye(4)[:3])
    with pytest.raises(ValueError, match=r"expects labels of shape \(3,\) for logits \(3, 4\), got \(3, 1\)"):
        nn.CrossEntropyLoss()(logits, np.zeros((3, 1), dtype=int))
    with pytest.raises(ValueError, match=r"expects logits of shape \(N, C\), got \(4,\)"):
        nn.CrossEntropyLoss()(np.zeros(4), np.array([0]))


def test_batchnorm_refuses_a_single_sample_in_training():
    with pytest.raises(ValueError, match="more than 1 sample per batch in training mode, got batch size 1"):
        nn.BatchNorm1d(3)(np.ones((1, 3)))
    assert nn.BatchNorm1d(3).eval()(np.ones((1, 3))).shape == (1, 3)


def test_sequential_refuses_non_modules():
    with pytest.raises(TypeError, match="Sequential layer 1 must be a Module, got function"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


def test_bad_rng_is_named():
    with pytest.raises(TypeError, match="rng must be a numpy Generator, an int seed or None, got str"):
        nn.Linear(3, 2, rng="seed")


def test_numerical_gradient_refuses_integer_arrays():
    with pytest.raises(TypeError, match="needs a floating array, got dtype int64"):
        nn.numerical_gradient(lambda z: z.sum(), np.arange(3))


@pytest.mark.parametrize("layer, good, bad", [
    (lambda: nn.Linear(3, 2, rng=0), np.ones((4, 3)), np.ones((4, 5))),
    (lambda: nn.BatchNorm1d(3), np.arange(12.0).reshape(4, 3), np.ones((4, 5))),
])
def test_a_forward_that_raises_leaves_no_stale_cache_for_backward(layer, good, bad):
    module = layer()
    module(good)
    with pytest.raises(ValueError):
        module(bad)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        module.backward(np.ones((4, 2 if isinstance(module, nn.Linear) else 3)))


def test_a_loss_call_that_raises_leaves_no_stale_cache_for_backward():
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match="out of range"):
        loss_fn(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(RuntimeError, match="before the loss was computed"):
        loss_fn.backward()


# --------------------------------------------------------------------------- torch at the edges

NAN_LAYERS = [("relu", nn.ReLU), ("leaky_relu", lambda: nn.LeakyReLU(0.2)), ("tanh", nn.Tanh),
              ("sigmoid", nn.Sigmoid)]


@pytest.mark.parametrize("name, make", NAN_LAYERS)
def test_activations_propagate_nan_as_torch(name, make):
    inputs, r = ref("activations_nan"), ref(f"{name}_nan")
    layer = make()
    y = layer(inputs["x"])
    np.testing.assert_array_equal(np.isnan(y), np.isnan(r["y"]))
    np.testing.assert_allclose(y, r["y"], rtol=TORCH_RTOL, atol=0)
    grad_x = layer.backward(inputs["grad_output"])
    np.testing.assert_array_equal(np.isnan(grad_x), np.isnan(r["grad_x"]))
    np.testing.assert_allclose(grad_x, r["grad_x"], rtol=TORCH_RTOL, atol=0)


@pytest.mark.parametrize("name, loss_cls, inputs", [
    ("mse", nn.MSELoss, ("output", "target")),
    ("cross_entropy", nn.CrossEntropyLoss, ("logits", "labels")),
    ("bce", nn.BCEWithLogitsLoss, ("logits", "target")),
])
def test_losses_with_reduction_none_match_torch(name, loss_cls, inputs):
    r = ref(f"{name}_none")
    loss_fn = loss_cls(reduction="none")
    per_item = loss_fn(r[inputs[0]], r[inputs[1]])
    assert per_item.shape == r["loss"].shape
    assert_close(per_item, r["loss"])
    assert_close(loss_fn.backward(r["weights"]), r["grad"])
    # the default upstream gradient is ones: the gradient of the per-item losses' sum
    total = loss_cls(reduction="sum")
    total(r[inputs[0]], r[inputs[1]])
    assert_close(loss_fn.backward(), total.backward())
    with pytest.raises(ValueError, match=r"grad_output of shape .* got \(2,\)"):
        loss_fn.backward(np.ones(2))


@pytest.mark.parametrize("reduction, factor", [("mean", 3.0), ("sum", -0.5)])
def test_loss_backward_scales_by_a_scalar_upstream_gradient(reduction, factor):
    loss_fn = nn.MSELoss(reduction=reduction)
    output, target = np.array([[1.0, 2.0], [0.5, -1.0]]), np.zeros((2, 2))
    loss_fn(output, target)
    plain = loss_fn.backward()
    np.testing.assert_allclose(loss_fn.backward(factor), factor * plain, rtol=1e-15)
    with pytest.raises(ValueError, match="expected a scalar grad_output"):
        loss_fn.backward(np.ones(3))


HANDED_OUT = [
    ("Linear", lambda: nn.Linear(3, 3, rng=0)),
    ("ReLU", nn.ReLU), ("LeakyReLU", nn.LeakyReLU), ("Tanh", nn.Tanh), ("Sigmoid", nn.Sigmoid),
    ("Dropout", lambda: nn.Dropout(0.3, rng=0)),
    ("Dropout eval", lambda: nn.Dropout(0.3, rng=0).eval()),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3)),
    ("BatchNorm1d no affine", lambda: nn.BatchNorm1d(3, affine=False)),
    ("BatchNorm1d eval", lambda: nn.BatchNorm1d(3, affine=False).eval()),
]


@pytest.mark.parametrize("name, make", HANDED_OUT)
def test_no_layer_hands_out_an_array_it_reads_in_backward(name, make):
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    untouched = make()
    untouched(x.copy())
    expected = untouched.backward(g)
    layer = make()
    y = layer(x.copy())
    y *= 2.0  # the caller owns y
    y[0] = np.nan
    np.testing.assert_array_equal(layer.backward(g), expected)


def test_tanh_backward_survives_an_in_place_change_of_its_output():
    layer = nn.Tanh()
    y = layer(np.array([0.5]))
    y *= 2
    assert layer.backward(np.array([1.0]))[0] == pytest.approx(1 - np.tanh(0.5) ** 2)  # 0.786


def test_modules_keep_their_dtype():
    x32 = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    drop = nn.Dropout(0.5, rng=0)
    assert drop(x32).dtype == np.float32 and drop.backward(x32).dtype == np.float32
    bn = nn.BatchNorm1d(4, dtype=np.float32)
    for _ in range(2):
        assert bn(x32).dtype == np.float32
    assert bn.running_mean.dtype == np.float32 and bn.running_var.dtype == np.float32
    model = nn.Sequential(nn.Linear(4, 5, dtype=np.float32, rng=0), nn.Tanh(), nn.Sigmoid(),
                          nn.ReLU(), nn.LeakyReLU(), nn.Linear(5, 3, dtype=np.float32, rng=1))
    loss_fn = nn.CrossEntropyLoss()
    out = model(x32)
    assert out.dtype == np.float32
    loss_fn(out, np.array([0, 1, 2, 0, 1, 2]))
    assert model.backward(loss_fn.backward()).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    mse = nn.MSELoss()
    mse(out, np.zeros((6, 3)))                     # a float64 target follows the output
    assert mse.backward().dtype == np.float32
    assert nn.Linear(2, 1, dtype=np.float32)(np.array([[1, 2]])).dtype == np.float32  # integers convert


@pytest.mark.parametrize("layer", [nn.Linear(4, 2, dtype=np.float32), nn.BatchNorm1d(4, dtype=np.float32)])
def test_mixing_floating_dtypes_is_refused_as_torch(layer):
    name = type(layer).__name__
    with pytest.raises(TypeError, match=f"{name} has float32 parameters, got float64 input"):
        layer(np.ones((3, 4)))
    if isinstance(layer, nn.BatchNorm1d):
        assert layer.running_mean.dtype == np.float32
        np.testing.assert_array_equal(layer.running_mean, np.zeros(4))


def test_parameter_grad_assignment_is_checked():
    p = nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    p.grad = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"grad must have its shape \(2, 3\), got \(3, 2\)"):
        p.grad = np.ones((3, 2), dtype=np.float32)
    with pytest.raises(TypeError, match="grad must have its dtype float32, got float64"):
        p.grad = np.ones((2, 3))
    p.grad = None
    assert p.grad is None


def test_module_state_dict_names_and_restores_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, rng=1))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "3.weight", "3.bias"]  # torch's names, less num_batches_tracked
    assert state["0.weight"] is not model[0].weight.data  # copies
    x = np.random.default_rng(0).standard_normal((8, 3))
    for p in model.parameters():
        p.data += 1.0
    model(x)  # moves the running statistics
    assert not np.array_equal(model[1].running_mean, state["1.running_mean"])
    model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    with pytest.raises(KeyError, match=r"does not fit Sequential: missing \['3.bias'\], unexpected \['3.beta'\]"):
        model.load_state_dict({**{k: v for k, v in state.items() if k != "3.bias"}, "3.beta": state["3.bias"]})
    with pytest.raises(ValueError, match=r"state_dict\['0.bias'\] has shape \(3,\)"):
        model.load_state_dict({**state, "0.bias": np.zeros(3)})


def test_gradcheck_module_refuses_float32_instead_of_misleading():
    layer = nn.Linear(4, 3, dtype=np.float32, rng=0)
    with pytest.raises(TypeError, match="gradcheck_module needs float64 parameters, got float32"):
        nn.gradcheck_module(layer, np.ones((2, 4)))
    errors = nn.gradcheck_module(nn.Linear(4, 3, rng=0), np.ones((2, 4)), rng=1)
    assert max(errors.values()) < FD_TOL


def test_accumulate_converts_a_first_gradient_to_the_parameter_dtype():
    p = nn.Parameter(np.zeros(3, dtype=np.float32))
    p.zero_grad()
    p.accumulate(np.ones(3))                        # float64 in
    assert p.grad.dtype == np.float32
    p.accumulate(np.ones(3))
    np.testing.assert_array_equal(p.grad, [2.0, 2.0, 2.0])
    p.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad, np.zeros(3))
    p.zero_grad()                                   # the default, as torch 2: None
    assert p.grad is None


class Blocks(nn.Module):
    """A module that keeps its layers in a list attribute, not in a Sequential."""

    def __init__(self):
        self.blocks = [nn.Linear(2, 2, rng=0), nn.BatchNorm1d(2)]


def test_state_dict_names_modules_held_in_a_list():
    model = Blocks()
    state = model.state_dict()
    assert list(state) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                           "blocks.1.running_mean", "blocks.1.running_var"]
    with pytest.raises(KeyError, match=r"missing \['blocks.1.running_var'\], unexpected \[\]"):
        model.load_state_dict({k: v for k, v in state.items() if k != "blocks.1.running_var"})
    with pytest.raises(KeyError, match=r"missing \[\], unexpected \['extra'\]"):
        model.load_state_dict({**state, "extra": np.zeros(1)})


def test_clip_grad_norm_without_gradients_returns_zero():
    p = nn.Parameter(np.ones(2))
    p.zero_grad()
    assert nn.utils.clip_grad_norm_([p], 1.0) == 0.0


def test_dropout_with_p_one_drops_everything_and_keeps_the_dtype():
    layer = nn.Dropout(1.0, rng=0)
    x = np.ones((3, 2), dtype=np.float32)
    y = layer(x)
    assert y.dtype == np.float32 and not y.any()
    assert not layer.backward(np.ones((3, 2), dtype=np.float32)).any()


def test_batchnorm_trains_on_a_batch_of_two():
    layer = nn.BatchNorm1d(2)
    y = layer(np.array([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_allclose(y, [[-1.0, -1.0], [1.0, 1.0]], rtol=1e-5)


# --- contracts checked on objects built inside the test ------------------------------------------

def test_layer_defaults_are_torch_s():
    assert nn.LeakyReLU().negative_slope == 0.01 and nn.Dropout().p == 0.5


def test_linear_bias_is_drawn_from_both_sides_of_zero():
    """torch's Linear: bias ~ U(−1/√in, 1/√in), so about half the entries are negative."""
    bias = nn.Linear(4, 400, rng=0).bias.data
    assert np.abs(bias).max() <= 0.5 and 150 < np.sum(bias < 0) < 250


def test_linear_needs_at_least_one_output():
    with pytest.raises(ValueError, match=r"^out_features must be an integer >= 1, got 0"):
        nn.Linear(3, 0)


def test_batchnorm_without_affine_has_no_parameters_and_checks_its_input():
    bn = nn.BatchNorm1d(3, affine=False)
    assert bn.weight is None and bn.bias is None and list(bn.parameters()) == []
    with pytest.raises(ValueError, match=r"^BatchNorm1d expected input of shape \(batch, 3\), got shape \(4, 2\)"):
        bn(np.zeros((4, 2)))
    with pytest.raises(TypeError, match=r"^BatchNorm1d has float32 parameters, got float64 input: "
                                        r"convert one to the other \(x\.astype\(np\.float32\)"):
        nn.BatchNorm1d(3, dtype=np.float32)(np.ones((4, 3)))


@pytest.mark.parametrize("loss_fn, target", [
    (nn.MSELoss, np.zeros((4, 3))), (nn.BCEWithLogitsLoss, np.full((4, 3), 0.5)),
    (nn.CrossEntropyLoss, np.array([0, 2, 1, 1])),
])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_float32_losses_give_float32_gradients(loss_fn, target, reduction):
    loss = loss_fn(reduction=reduction)
    out = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    value = loss(out, target)
    grad_output = None if reduction == "mean" else np.ones(np.shape(value), dtype=np.float32)
    assert loss.backward(grad_output).dtype == np.float32
    if reduction == "none":
        assert loss.backward().dtype == np.float32
        assert loss.backward(np.ones(np.shape(value))).dtype == np.float32   # float64 weights too


@pytest.mark.parametrize("loss_fn", [nn.MSELoss, nn.BCEWithLogitsLoss])
def test_loss_messages_begin_with_the_loss(loss_fn):
    name = loss_fn.__name__
    with pytest.raises(ValueError, match=rf"^{name}: output shape \(4, 1\) and target shape \(4,\) differ"):
        loss_fn()(np.zeros((4, 1)), np.zeros(4))
    loss = loss_fn()
    loss(np.zeros((4, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=rf"^{name}\.backward with reduction='mean' expected a scalar "
                                         r"grad_output, got shape \(3,\)"):
        loss.backward(np.ones(3))
    loss = loss_fn(reduction="none")
    loss(np.zeros((4, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=rf"^{name}\.backward with reduction='none' expected grad_output"):
        loss.backward(np.ones(3))


def test_log_softmax_works_along_the_last_axis_of_any_array():
    z = np.random.default_rng(0).standard_normal((2, 3, 4))
    np.testing.assert_allclose(nn.log_softmax(z), z - np.log(np.exp(z).sum(axis=-1, keepdims=True)),
                               rtol=1e-12, atol=1e-12)


def test_relative_error_is_the_norm_of_the_difference_over_the_larger_norm():
    assert nn.relative_error([3.0, 4.0], [0.0, 0.0]) == 1.0
    assert nn.relative_error([6.0, 8.0], [3.0, 4.0]) == 0.5
    with pytest.raises(ValueError, match=r"^relative_error: shapes \(2,\) and \(3,\) differ"):
        nn.relative_error([1.0, 2.0], [1.0, 2.0, 3.0])


def test_central_differences_err_by_h_squared():
    """For x³ the central difference is exactly 3x² + h²: the step h is the one asked for."""
    def cube(x):
        return float((x ** 3).sum()), 3 * x ** 2
    assert abs(nn.numerical_gradient(lambda x: cube(x)[0], np.array([1.0]))[0] - 3.0) < 1e-8
    assert nn.gradcheck(cube, [1.0], h=0.1) == pytest.approx(0.01 / 3.01, rel=1e-6)
    assert nn.gradcheck(cube, [1, 2]) < 1e-8                        # integers become float64
    g32 = nn.numerical_gradient(lambda x: float((x.astype(np.float64) ** 2).sum()),
                                np.array([1.0, 2.0], dtype=np.float32), h=1e-2)
    np.testing.assert_allclose(g32, [2.0, 4.0], rtol=1e-5)          # float32 arrays are floats too


def test_gradcheck_module_uses_its_step_and_its_seed():
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.Tanh())
    x = np.random.default_rng(1).standard_normal((4, 3))
    coarse = nn.gradcheck_module(model, x, h=0.3, rng=2)
    fine = nn.gradcheck_module(model, x, rng=2)
    assert all(coarse[k] > 1e-4 and fine[k] < 1e-7 for k in fine)
    assert nn.gradcheck_module(model, x, rng=2) == fine
    assert nn.gradcheck_module(model, [[1, 2, 3]], rng=2)["input"] < 1e-7   # integer input
