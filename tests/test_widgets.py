import ipywidgets
import numpy as np
import matplotlib.pyplot as plt
import pytest

from descent import optim, problems, train, widgets


def test_lr_explorer_builds_its_sliders_and_redraws_without_a_front_end():
    f = problems.quadratic(condition_number=10)
    demo = widgets.lr_explorer(f, lr=0.05, steps=20)
    assert isinstance(demo, ipywidgets.interactive)
    names = [child.description for child in demo.children if hasattr(child, "description")]
    assert names[:4] == ["η", "start θ₁", "start θ₂", "steps"]
    demo.children[0].value = 0.1
    demo.children[1].value = -1.0
    demo.update()
    ax = plt.gcf().axes[0]
    expected = train.minimize(f, optim.SGD, x0=[-1.0, 1.0], steps=20, lr=0.1)
    path = next(line for line in ax.get_lines() if line.get_label() == "SGD (η=0.1)")
    np.testing.assert_array_equal(np.column_stack(path.get_data()), expected)  # the new rate and start
    assert f"f = {f(expected[-1]):.3g} after 20 steps" in ax.get_title()
    plt.close("all")


def test_start_explorer_draws_every_method_from_the_slider_start():
    f = problems.rosenbrock()
    demo = widgets.start_explorer(f, {"GD": (optim.SGD, {"lr": 1e-3}),
                                      "Newton": (optim.Newton, {"hessian": f.hessian,
                                                                "max_iter": 1})}, steps=5)
    assert isinstance(demo, ipywidgets.interactive)
    names = [child.description for child in demo.children if hasattr(child, "description")]
    assert names[:3] == ["start θ₁", "start θ₂", "steps"]
    demo.children[0].value = 0.5
    demo.update()
    ax = plt.gcf().axes[0]
    starts = [line.get_xydata()[0] for line in ax.get_lines() if line.get_label() in ("GD", "Newton")]
    assert len(starts) == 2
    for start in starts:
        np.testing.assert_array_equal(start, [0.5, demo.children[1].value])  # both from the slider
    assert "f after 5 steps: GD: " in ax.get_title()
    plt.close("all")


def test_schedule_designer_draws_every_shape_with_and_without_warmup():
    demo = widgets.schedule_designer()
    controls = {child.description: child for child in demo.children if hasattr(child, "description")}
    assert {"schedule", "η₀", "steps", "shape", "warmup"} <= set(controls)
    for kind in controls["schedule"].options:
        rates = widgets._schedule(kind, 0.1, 300, 0.5)(np.arange(300))
        assert np.all(np.isfinite(rates)) and np.all(rates > 0) and rates.max() <= 0.1 + 1e-12, kind
        for warmup in (0, 20):
            demo.f(kind=kind, lr=0.1, steps=300, shape=0.5, warmup=warmup)
            assert plt.gcf().axes[0].get_lines()[0].get_ydata().size == 300
            plt.close("all")


def test_optimizer_race_redraws_every_method_when_a_slider_moves():
    demo = widgets.optimizer_race({"Rosenbrock": problems.rosenbrock(),
                                   "quadratic": problems.quadratic(condition_number=50)}, steps=20)
    assert isinstance(demo, ipywidgets.interactive)
    names = [child.description for child in demo.children if hasattr(child, "description")]
    assert names[:5] == ["problem", "η", "η adaptive", "μ, β₁", "steps"]
    demo.children[0].value = "quadratic"
    demo.children[3].value = 0.0            # no momentum: Nesterov falls back to plain SGD
    demo.children[1].value = 10.0 ** 0.0    # a rate that diverges must not break the figure
    demo.update()
    assert plt.get_fignums()
    plt.close("all")


def test_layer_statistics_keep_scale_at_the_right_gain_and_vanish_or_explode_off_it():
    relu_he, _ = widgets._layer_statistics("relu", np.sqrt(2), depth=20, width=128)
    relu_small, relu_small_grad = widgets._layer_statistics("relu", 1.0, depth=20, width=128)
    relu_big, _ = widgets._layer_statistics("relu", 2.0, depth=20, width=128)
    assert relu_he.shape == relu_small_grad.shape == (20,)
    assert 0.3 < relu_he[-1] / relu_he[0] < 3
    assert relu_small[-1] / relu_small[0] < 2.0 ** -8        # halves the variance per layer
    assert relu_small_grad[0] / relu_small_grad[-1] < 2.0 ** -8
    assert relu_big[-1] / relu_big[0] > 2.0 ** 8
    tanh_small, _ = widgets._layer_statistics("tanh", 0.5, depth=20, width=128)
    assert tanh_small[-1] < 1e-4


def test_init_explorer_redraws_for_each_nonlinearity():
    demo = widgets.init_explorer(depth=5, width=32)
    assert isinstance(demo, ipywidgets.interactive)
    names = [child.description for child in demo.children if hasattr(child, "description")]
    assert names[:3] == ["activation", "scale", "layers"]
    demo.children[0].value = "relu"
    demo.children[1].value = 3.0
    demo.update()
    assert plt.gcf().axes[0].get_lines()[0].get_ydata().size == 5
    plt.close("all")


def test_recent_paths_follow_each_rate_and_the_schedule_free_average():
    from descent import nn, optim, train
    f = problems.rosenbrock()
    paths = widgets.recent_paths(f, adam_lr=0.05, lion_lr=0.01, schedule_free_lr=0.05, steps=30)
    assert [label.split(" ")[0] for label in paths] == ["Adam", "Lion", "Prodigy",
                                                        "AdamWScheduleFree"]
    np.testing.assert_array_equal(paths["Adam (η=0.05)"],
                                  train.minimize(f, optim.Adam, steps=30, lr=0.05))
    lion = paths["Lion (η=0.01)"]
    assert lion.shape == (31, 2)
    np.testing.assert_allclose(np.abs(np.diff(lion, axis=0)), 0.01, rtol=1e-12)  # sign steps
    average = paths["AdamWScheduleFree (η=0.05, x)"]
    theta = nn.Parameter(f.x0)
    opt = optim.AdamWScheduleFree([theta], lr=0.05)
    opt.train()
    training = [theta.data.copy()]
    for _ in range(30):                                  # the training points y
        theta.grad[...] = f.grad(theta.data)
        opt.step()
        training.append(theta.data.copy())
    training = np.array(training)
    opt.eval()
    np.testing.assert_array_equal(theta.data, average[-1])   # the path ends at eval()'s x
    assert average.shape == training.shape == (31, 2)
    assert np.max(np.abs(average[1:] - training[1:])) > 1e-3   # x is not the training point y


def test_recent_race_redraws_the_path_whose_rate_moved():
    demo = widgets.recent_race({"Rosenbrock": problems.rosenbrock(),
                                "quadratic": problems.quadratic(condition_number=50)}, steps=25)
    assert isinstance(demo, ipywidgets.interactive)
    controls = {child.description: child for child in demo.children
                if hasattr(child, "description")}
    assert list(controls)[:5] == ["problem", "η Adam", "η Lion", "η sched.-free", "steps"]

    def drawn():
        lines = plt.gcf().axes[0].get_lines()
        paths = {line.get_label(): line.get_xydata().copy() for line in lines
                 if not line.get_label().startswith("_") and line.get_label() != "minimum"}
        plt.close("all")
        return paths

    demo.update()
    before = drawn()
    assert len(before) == 4
    controls["η Lion"].value = 0.1
    demo.update()
    after = drawn()
    assert "Lion (η=0.1)" in after and "Lion (η=0.01)" not in after
    assert not np.array_equal(after["Lion (η=0.1)"], before["Lion (η=0.01)"])
    np.testing.assert_array_equal(after["Adam (η=0.05)"], before["Adam (η=0.05)"])
    controls["problem"].value = "quadratic"
    controls["η sched.-free"].value = 1.0          # diverging or not, the figure is drawn
    demo.update()
    assert not np.array_equal(drawn()["Adam (η=0.05)"], after["Adam (η=0.05)"])


def test_adaptive_steps_redraws_every_method_with_the_new_beta2_and_pattern():
    demo = widgets.adaptive_steps(steps=120)
    assert isinstance(demo, ipywidgets.interactive)
    controls = {child.description: child for child in demo.children
                if hasattr(child, "description")}
    assert list(controls)[:4] == ["gradients", "β₂", "ε", "steps"]
    controls["β₂"].value = 0.99
    controls["gradients"].value = "sparse (every 100th step)"
    demo.update()
    lines = {line.get_label(): line.get_ydata() for line in plt.gcf().axes[0].get_lines()}
    assert set(lines) == {"AdaGrad", "RMSprop", "Adadelta", "Adam", "NAdam", "Adamax", "RAdam"}
    gradients = (np.arange(120) % 100 == 0).astype(float)
    expected = widgets.adaptive_step_lengths(optim.Adam, gradients, betas=(0.9, 0.99)) / 1e-3
    np.testing.assert_allclose(lines["Adam"], np.maximum(expected, 1e-12), rtol=1e-12)
    m, v = 0.1 * 0.9**100 + 0.1, 0.01 * 0.99**100 + 0.01       # by hand, at the second gradient
    by_hand = m / (1 - 0.9**101) / (np.sqrt(v / (1 - 0.99**101)) + 1e-8)
    assert abs(lines["Adam"][0] - 1.0) < 1e-6 and abs(lines["Adam"][100] - by_hand) < 1e-9
    adamax = widgets.adaptive_step_lengths(optim.Adamax, gradients, betas=(0.9, 0.99)) / 2e-3
    np.testing.assert_allclose(lines["Adamax"], np.maximum(adamax, 1e-12), rtol=1e-12)
    assert "β₂ = 0.9900" in plt.gcf().axes[0].get_title()
    plt.close("all")


def test_adaptive_step_lengths_follow_adagrad_on_a_constant_gradient():
    lengths = widgets.adaptive_step_lengths(optim.Adagrad, np.full(50, 3.0), lr=0.1)
    np.testing.assert_allclose(lengths, 0.1 / np.sqrt(np.arange(1, 51)), rtol=1e-9)


def test_line_search_explorer_redraws_the_accepted_steps_for_the_new_constants():
    f = problems.rosenbrock()
    demo = widgets.line_search_explorer(f)
    assert isinstance(demo, ipywidgets.interactive)
    controls = {child.description: child for child in demo.children
                if hasattr(child, "description")}
    assert list(controls)[:3] == ["c₁", "c₂", "first t"]
    controls["c₂"].value = 0.1
    controls["first t"].value = 2e-5
    demo.update()
    ax = plt.gcf().axes[0]
    d = -f.grad(f.x0)
    wolfe = optim.line_search.strong_wolfe(lambda t: (f(f.x0 + t * d), f.grad(f.x0 + t * d)),
                                           f(f.x0), f.grad(f.x0), d, step=controls["first t"].value,
                                           c2=0.1)
    assert wolfe.evals >= 3
    assert f"strong Wolfe: t = {wolfe.step:.3g} ({wolfe.evals} evaluations)" in ax.get_title()
    assert abs(f.grad(f.x0 + wolfe.step * d) @ d) <= 0.1 * abs(f.grad(f.x0) @ d)
    trials = next(line for line in ax.get_lines() if line.get_label() == "strong Wolfe trials")
    assert len(trials.get_xdata()) == wolfe.evals
    controls["c₁"].value = 0.5
    demo.update()
    armijo = optim.line_search.armijo(lambda t: (f(f.x0 + t * d), f.grad(f.x0 + t * d)),
                                      f(f.x0), f.grad(f.x0), d, step=controls["first t"].value,
                                      c1=controls["c₁"].value)
    title = plt.gcf().axes[0].get_title()
    assert f"Armijo: t = {armijo.step:.3g} ({armijo.evals} evaluations)" in title
    plt.close("all")


def test_tiny_network_gives_backpropagation_gradients_that_match_finite_differences():
    from descent import nn
    x, w1, w2, b1, b2, y = 0.7, -1.3, 0.9, 0.2, -0.1, 0.5
    values, grads = widgets.tiny_network(x, w1, w2, b1, b2, y)
    h = np.tanh(w1 * x + b1)
    y_hat = w2 * h + b2
    assert values["h"] == pytest.approx(h) and values["loss"] == pytest.approx((y_hat - y) ** 2)
    assert grads["w1"] == pytest.approx(2 * (y_hat - y) * w2 * (1 - h**2) * x)   # the chain rule
    numeric = nn.numerical_gradient(
        lambda v: widgets.tiny_network(v[0], v[1], v[3], v[2], v[4], y)[0]["loss"],
        np.array([x, w1, b1, w2, b2]))
    analytic = [grads[name] for name in ("x", "w1", "b1", "w2", "b2")]
    assert nn.relative_error(analytic, numeric) < 1e-8


def test_backprop_explorer_redraws_values_gradients_and_tangent_when_a_slider_moves():
    demo = widgets.backprop_explorer()
    assert isinstance(demo, ipywidgets.interactive)
    names = [child.description for child in demo.children if hasattr(child, "description")]
    assert names[:3] == ["input x", "weight w₁", "weight w₂"]
    demo.children[0].value = -1.5
    demo.children[1].value = 2.0
    demo.update()
    left, right = plt.gcf().axes
    values, grads = widgets.tiny_network(-1.5, 2.0, 1.5)
    shown = "\n".join(text.get_text() for text in left.texts)
    assert f"∂L/∂w1 = {grads['w1']:+.3f}" in shown and f"∂L/∂x  = {grads['x']:+.3f}" in shown
    assert f"{values['loss']:+.3f}" in shown
    tangent = next(line for line in right.get_lines() if line.get_label().startswith("tangent"))
    t, v = tangent.get_data()
    np.testing.assert_allclose(np.diff(v) / np.diff(t), grads["w1"], rtol=1e-9)  # slope ∂L/∂w₁
    point = right.get_lines()[-1].get_xydata()[0]
    np.testing.assert_allclose(point, [2.0, values["loss"]])
    plt.close("all")


def test_least_squares_problem_has_the_normal_equations_minimizer_and_exact_gradient():
    from descent import nn
    f, X, y = widgets.least_squares_problem(n=50, seed=3)
    theta = np.array([0.3, -1.1])
    assert f(theta) == pytest.approx(np.mean((X @ theta - y.ravel()) ** 2))
    assert nn.relative_error(f.grad(theta), nn.numerical_gradient(f, theta.copy())) < 1e-8
    np.testing.assert_allclose(f.x_star, np.linalg.lstsq(X, y, rcond=None)[0].ravel(), rtol=1e-12)
    np.testing.assert_allclose(f.grad(f.x_star), 0.0, atol=1e-12)


def test_minibatch_path_is_gradient_descent_at_full_batch_and_noisier_at_small_batches():
    f, X, y = widgets.least_squares_problem(n=100, seed=0)
    full = widgets.minibatch_path(X, y, lr=0.1, batch_size=100, steps=30, x0=f.x0)
    theta, by_hand = f.x0.copy(), [f.x0.copy()]
    for _ in range(30):
        theta = theta - 0.1 * 2 / 100 * X.T @ (X @ theta - y.ravel())
        by_hand.append(theta)
    np.testing.assert_allclose(full, by_hand, rtol=1e-12, atol=1e-14)
    floors = {B: np.mean([f(t) - f.f_star for t in
                          widgets.minibatch_path(X, y, 0.05, B, 600, f.x0, seed=1)[300:]])
              for B in (1, 32)}
    assert floors[1] > 5 * floors[32] > 0          # the noise floor shrinks with the batch


def test_minibatch_explorer_redraws_the_path_for_the_new_batch_size():
    demo = widgets.minibatch_explorer(n=100, steps=40)
    assert isinstance(demo, ipywidgets.interactive)
    controls = {child.description: child for child in demo.children if hasattr(child, "description")}
    assert list(controls)[:3] == ["η", "batch B", "steps"]
    controls["batch B"].value = 100
    controls["η"].value = 0.1
    demo.update()
    left, right = plt.gcf().axes
    f, X, y = widgets.least_squares_problem(n=100)
    expected = widgets.minibatch_path(X, y, 0.1, 100, 40, f.x0)
    sgd = next(line for line in left.get_lines() if line.get_label() == "mini-batch, B = 100")
    np.testing.assert_array_equal(sgd.get_xydata(), expected)
    assert left.get_title() == "B = 100, η = 0.1"
    floor = np.mean([f(t) - f.f_star for t in expected[1:]][-10:])
    assert right.get_title() == f"mini-batch excess loss, last quarter: {floor:.2g}"
    plt.close("all")


def test_cliff_paths_clip_by_norm_caps_every_step_and_keeps_the_direction():
    paths = widgets.cliff_paths(lr=0.2, max_norm=1.0, steps=40)
    free, by_value, by_norm = paths.values()
    steps = {label: np.linalg.norm(np.diff(path, axis=0), axis=1) for label, path in paths.items()}
    assert steps["clip by norm (c=1)"].max() <= 0.2 + 1e-9
    assert steps["no clipping"].max() > 5 * steps["no clipping"][0]      # the wall throws it far
    assert np.abs(np.diff(by_value, axis=0)).max() <= 0.2 + 1e-12       # each element ≤ η·c
    # by norm, the first step points along the raw gradient (the start is off the wall)
    s = 1 / (1 + np.exp(-10 * 1.5))
    raw = np.array([2.5, 2.0]) + np.array([200 * s * (1 - s), 0.0])
    step = by_norm[0] - by_norm[1]
    assert np.allclose(step / np.linalg.norm(step), raw / np.linalg.norm(raw), atol=1e-12)
    assert free.shape == (41, 2)


def test_clip_explorer_redraws_the_paths_for_a_new_threshold():
    demo = widgets.clip_explorer(steps=10)
    assert isinstance(demo, ipywidgets.interactive)
    controls = {child.description: child for child in demo.children if hasattr(child, "description")}
    assert list(controls)[:3] == ["η", "clip c", "steps"]
    controls["clip c"].value = 0.1
    demo.update()
    lines = {line.get_label().split(":")[0]: line for line in plt.gcf().axes[0].get_lines()}
    expected = widgets.cliff_paths(lr=0.2, max_norm=0.1, steps=10)
    np.testing.assert_array_equal(lines["clip by norm (c=0.1)"].get_xydata(),
                                  expected["clip by norm (c=0.1)"])
    label = next(line.get_label() for line in plt.gcf().axes[0].get_lines()
                 if line.get_label().startswith("clip by norm"))
    assert label.endswith("longest step 0.02")                        # η·c = 0.2·0.1
    plt.close("all")


def test_spread_matrix_has_the_requested_singular_values():
    G = widgets.spread_matrix(1e3, shape=(20, 30), rng=1)
    assert G.shape == (20, 30)
    np.testing.assert_allclose(np.linalg.svd(G, compute_uv=False), np.geomspace(1, 1e-3, 20), rtol=1e-10)
    try:
        widgets.spread_matrix(0.5)
        raise AssertionError("a condition below 1 was accepted")
    except ValueError as error:
        assert "condition" in str(error) and "0.5" in str(error)


def test_newton_schulz_explorer_redraws_the_singular_values_after_the_steps():
    demo = widgets.newton_schulz_explorer(steps=5, condition=10.0, shape=(8, 12))
    assert isinstance(demo, ipywidgets.interactive)
    controls = {child.description: child for child in demo.children if hasattr(child, "description")}
    assert list(controls)[:3] == ["coefficients", "steps", "σ₁/σₙ"]
    controls["coefficients"].value = "cubic"
    controls["steps"].value = 30
    demo.update()
    ax = plt.gcf().axes[0]
    after = ax.get_lines()[1].get_ydata()
    G = widgets.spread_matrix(10.0, (8, 12))
    expected = np.linalg.svd(optim.newton_schulz(G, 30, (1.5, -0.5, 0.0)), compute_uv=False)
    np.testing.assert_allclose(after, expected, rtol=1e-12)
    np.testing.assert_allclose(after, 1.0, atol=1e-6)                  # the cubic converges to UVᵀ
    assert ax.get_title().startswith("cubic, 30 steps: ‖X − UVᵀ‖₂ = ")
    controls["coefficients"].value = "quintic (Muon)"
    demo.update()
    assert np.abs(plt.gcf().axes[0].get_lines()[1].get_ydata() - 1).max() > 0.05  # a band, not 1
    plt.close("all")


def test_momentum_rate_matches_the_known_rates_and_stability_edges():
    L, mu_min = 100.0, 1.0
    kappa = L / mu_min
    assert np.isclose(widgets.momentum_rate(2 / (L + mu_min), 0.0, [mu_min, L]),
                      (kappa - 1) / (kappa + 1))                       # gradient descent
    eta_star = 4 / (np.sqrt(L) + np.sqrt(mu_min)) ** 2
    mu_star = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    rho = widgets.momentum_rate(eta_star, mu_star, np.geomspace(mu_min, L, 50))
    np.testing.assert_allclose(rho, np.sqrt(mu_star), rtol=1e-6)      # √μ* = (√κ−1)/(√κ+1)
    mu = 0.8
    edge_heavy, edge_nesterov = 2 * (1 + mu), 2 * (1 + mu) / (1 + 2 * mu)   # η·h at the edge
    assert widgets.momentum_rate(0.99 * edge_heavy, mu, [1.0]) < 1 < widgets.momentum_rate(
        1.01 * edge_heavy, mu, [1.0])
    assert widgets.momentum_rate(0.99 * edge_nesterov, mu, [1.0], nesterov=True) < 1 < \
        widgets.momentum_rate(1.01 * edge_nesterov, mu, [1.0], nesterov=True)


def test_momentum_radii_are_the_largest_roots_of_each_characteristic_polynomial():
    h = np.array([0.01, 0.5, 1.0, 3.0, 5.0])
    for nesterov in (False, True):
        for mu in (0.0, 0.3, 0.9):
            for lr in (0.1, 0.7):
                if nesterov:
                    polys = [[1, -(1 + mu) * (1 - lr * x), mu * (1 - lr * x)] for x in h]
                else:
                    polys = [[1, -(1 + mu - lr * x), mu] for x in h]
                expected = [np.abs(np.roots(p)).max() for p in polys]
                np.testing.assert_allclose(widgets.momentum_radii(lr, mu, h, nesterov), expected,
                                           rtol=1e-9, atol=1e-12)


def test_momentum_rate_predicts_the_measured_contraction_of_optim_sgd():
    f = problems.quadratic(condition_number=30)
    for nesterov, momentum, lr in ((False, 0.5, 0.05), (True, 0.5, 0.04), (False, 0.0, 0.05)):
        path = train.minimize(f, optim.SGD, steps=400, lr=lr, momentum=momentum,
                              nesterov=nesterov)
        norms = np.linalg.norm(path, axis=1)
        measured = (norms[400] / norms[200]) ** (1 / 200)
        predicted = widgets.momentum_rate(lr, momentum, [f.mu, f.L], nesterov=nesterov)
        assert abs(measured - predicted) < 5e-3, (nesterov, measured, predicted)


def test_momentum_explorer_redraws_the_path_and_the_predicted_rate():
    demo = widgets.momentum_explorer(condition_number=50, momentum=0.5, steps=30)
    assert isinstance(demo, ipywidgets.interactive)
    controls = {child.description: child for child in demo.children
                if hasattr(child, "description")}
    assert list(controls)[:4] == ["η", "μ", "Nesterov", "steps"]
    controls["η"].value = 0.02
    controls["μ"].value = 0.7
    controls["Nesterov"].value = True
    demo.update()
    left, right = plt.gcf().axes[:2]
    f = problems.quadratic(condition_number=50)
    drawn = {line.get_label(): line.get_xydata() for line in left.get_lines()}
    expected = train.minimize(f, optim.SGD, steps=30, lr=0.02, momentum=0.7, nesterov=True)
    np.testing.assert_array_equal(drawn["Nesterov (η=0.02, μ=0.70)"], expected)
    best_gd = 2 / (f.L + f.mu)                      # the reference: GD at its best fixed rate
    np.testing.assert_array_equal(drawn[f"GD (best η={best_gd:.3g})"],
                                  train.minimize(f, optim.SGD, steps=30, lr=best_gd))
    rho = widgets.momentum_rate(0.02, 0.7, [f.mu, f.L], nesterov=True)
    assert f"Nesterov {rho:.4f}" in right.get_title()
    assert f"GD {(f.L - f.mu) / (f.L + f.mu):.4f}" in right.get_title()
    plt.close("all")
    controls["η"].value = 1.0                       # diverges: the figure is still drawn
    demo.update()
    assert plt.get_fignums()
    plt.close("all")
