import ipywidgets
import numpy as np
import matplotlib.pyplot as plt

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
