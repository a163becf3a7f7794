import matplotlib.pyplot as plt
import numpy as np
import pytest

from descent import optim, plot, problems, train


def teardown_function():
    plt.close("all")


def test_each_method_keeps_one_colour_whatever_the_label():
    assert plot.color("Adam") == plot.color("adam (lr=0.1)") == plot.color("Adam, β₁=0.5")
    assert plot.color("SGD") != plot.color("Adam")
    assert plot.color("my method") == plot.color("my method")


def test_every_first_order_optimizer_has_its_own_colour():
    names = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam", "Adamax", "RAdam",
             "Rprop", "ASGD", "Adafactor", "Muon", "Lion", "SGDScheduleFree",
             "AdamWScheduleFree", "Prodigy", "SAM"]
    assert all(hasattr(optim, name) for name in names)
    assert all(name.lower() in plot.PALETTE for name in names)
    assert len({plot.color(name) for name in names}) == len(names)


def test_lines_of_one_figure_never_share_a_colour():
    labels = ["SGD", "too small", "divergent", "exponential", "cosine", "step", "Adam (lr=1)"]
    palette = plot.colors(labels)
    assert len(set(palette.values())) == len(labels)
    assert palette["SGD"] == plot.color("SGD") and palette["Adam (lr=1)"] == plot.color("Adam")


def test_the_first_lines_of_a_figure_without_method_names_are_far_apart_in_colour():
    from matplotlib.colors import to_rgb
    palette = plot.colors(["tiny", "best", "oscillating", "divergent"])
    rgb = [np.array(to_rgb(c)) for c in palette.values()]
    distances = [np.linalg.norm(a - b) for i, a in enumerate(rgb) for b in rgb[i + 1:]]
    assert min(distances) > 0.3, f"two of the first four colours are {min(distances):.2f} apart in RGB"


def test_animation_buttons_use_characters_common_fonts_have():
    f = problems.quadratic(condition_number=10)
    page = plot.animate(f, {"SGD": train.minimize(f, optim.SGD, steps=5, lr=0.1)}, frames=3).data
    assert "font-awesome" not in page and 'class="fa ' not in page
    assert "&#9198;" not in page and "&#9197;" not in page        # ⏮ ⏭: boxes in DejaVu
    assert "&#8676;" in page and "&#8677;" in page                # ⇤ ⇥


def test_contour_draws_every_path_and_the_minimum():
    f = problems.rosenbrock()
    paths = {"SGD": train.minimize(f, optim.SGD, steps=50, lr=1e-3),
             "momentum": train.minimize(f, optim.SGD, steps=50, lr=1e-3, momentum=0.9)}
    ax = plot.contour(f, paths)
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"SGD", "momentum", "minimum"} <= set(labels)
    sgd = next(line for line in ax.get_lines() if line.get_label() == "SGD")
    np.testing.assert_array_equal(sgd.get_xdata(), paths["SGD"][:, 0])
    assert sgd.get_color() == plot.color("SGD")


def test_contour_rejects_problems_that_are_not_two_dimensional():
    with pytest.raises(ValueError, match="dim=5"):
        plot.contour(problems.rosenbrock(dim=5))


def test_curves_and_schedules_plot_the_values_given():
    ax = plot.curves({"SGD": np.array([4.0, 2.0, 1.0])})
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [4.0, 2.0, 1.0])
    assert ax.get_yscale() == "log"
    ax = plot.schedules({"halving": lambda t: 0.5**t}, steps=4)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [1, 0.5, 0.25, 0.125])


def test_animate_returns_self_contained_html():
    f = problems.quadratic(condition_number=5)
    html = plot.animate(f, {"SGD": train.minimize(f, optim.SGD, steps=10, lr=0.1)}, frames=5)
    assert "<script" in html.data and "data:image/jpeg;base64" in html.data
    assert "https://" not in html.data and "http://" not in html.data
