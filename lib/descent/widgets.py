"""Live demos for lectures and notebooks (ipywidgets): move a slider, the figure redraws.

They need a running kernel; the static book shows ``plot.animate`` instead.
"""
import warnings

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np

from descent import plot
from descent.optim import SGD, Adagrad, Adam, AdamWScheduleFree, Lion, Prodigy, RMSprop
from descent.nn.module import Parameter
from descent.train import minimize


def _log_slider(description, value, low, high):
    return w.FloatLogSlider(value=value, base=10, min=np.log10(low), max=np.log10(high),
                            step=0.05, description=description, readout_format=".3g",
                            continuous_update=False)


def _start_sliders(f):
    """Sliders ``x`` and ``y`` for a start point inside the plot bounds of the 2-D problem f."""
    return {name: w.FloatSlider(value=float(start), min=lo, max=hi, step=(hi - lo) / 100,
                                description=f"start θ{index}", continuous_update=False)
            for name, start, (lo, hi), index in zip("xy", f.x0, f.bounds, "₁₂")}


def lr_explorer(f, optimizer=SGD, lr=0.01, lr_range=(1e-4, 1.0), steps=50, **hyperparameters):
    """Sliders for the learning rate, the start point and the number of steps; the contour plot of
    the test problem ``f`` with the optimizer's path redraws, and the title gives the final f."""
    controls = dict(
        lr=_log_slider("η", lr, *lr_range),
        **_start_sliders(f),
        steps=w.IntSlider(value=steps, min=1, max=max(500, steps), description="steps",
                          continuous_update=False),
    )

    def draw(lr, x, y, steps):
        path = minimize(f, optimizer, x0=[x, y], steps=steps, lr=lr, **hyperparameters)
        fig, ax = plt.subplots(figsize=(6, 4.5))
        label = f"{optimizer.__name__} (η={lr:.3g})"
        plot.contour(f, {label: path}, ax=ax,
                     title=f"{f.name}: f = {f(path[-1]):.3g} after {len(path) - 1} steps")
        plt.show()

    return w.interactive(draw, **controls)


def start_explorer(f, methods, steps=10):
    """Sliders for the start point and the number of steps; the paths of several methods from
    that start redraw on the contour plot of ``f``. ``methods`` maps a label to
    ``(optimizer class, hyperparameters)``, e.g. ``{"GD": (SGD, {"lr": 1e-3}),
    "Newton": (Newton, {"hessian": f.hessian, "max_iter": 1})}``; the title gives each final f."""
    controls = dict(
        **_start_sliders(f),
        steps=w.IntSlider(value=steps, min=1, max=max(100, steps), description="steps",
                          continuous_update=False),
    )

    def draw(x, y, steps):
        paths = {label: minimize(f, optimizer, x0=[x, y], steps=steps, **hyperparameters)
                 for label, (optimizer, hyperparameters) in methods.items()}
        fig, ax = plt.subplots(figsize=(6, 4.5))
        finals = ", ".join(f"{label}: {f(path[-1]):.2g}" for label, path in paths.items())
        plot.contour(f, paths, ax=ax, title=f"f after {steps} steps: {finals}")
        plt.show()

    return w.interactive(draw, **controls)


_SHAPES = ("step", "exponential", "inverse time", "polynomial", "cosine", "cosine restarts",
           "cyclic", "one-cycle")


def _schedule(kind, lr, steps, shape):
    """The schedule ``kind`` with base rate lr over ``steps`` steps; ``shape`` in (0, 1) bends it."""
    from descent import schedules
    if kind == "step":
        return schedules.step_decay(lr, step_size=max(1, steps // 4), gamma=shape)
    if kind == "exponential":
        return schedules.exponential_decay(lr, gamma=shape ** (4 / steps))
    if kind == "inverse time":
        return schedules.inverse_time_decay(lr, decay_rate=(1 / shape - 1) * 4 / steps)
    if kind == "polynomial":
        return schedules.polynomial_decay(lr, total_iters=steps, power=4 * shape)
    if kind == "cosine":
        return schedules.cosine_annealing(lr, T_max=steps, eta_min=shape * lr / 10)
    if kind == "cosine restarts":
        return schedules.cosine_restarts(lr, T_0=max(1, int(steps * shape / 4)), T_mult=2)
    if kind == "cyclic":
        return schedules.cyclic(lr / 10, lr, step_size_up=max(1, int(steps * shape / 4)),
                                mode="triangular2")
    return schedules.one_cycle(lr, total_steps=steps, pct_start=min(0.9, max(0.1, shape)))


def schedule_designer(kind="cosine", lr=0.1, steps=300):
    """Pick a schedule's shape, base rate, length and warmup; the curve η(t), its total Σ η(t)
    and the ``descent.schedules`` call that makes it redraw."""
    from descent import schedules

    controls = dict(
        kind=w.Dropdown(options=_SHAPES, value=kind, description="schedule"),
        lr=_log_slider("η₀", lr, 1e-4, 1.0),
        steps=w.IntSlider(value=steps, min=50, max=2000, step=50, description="steps",
                          continuous_update=False),
        shape=w.FloatSlider(value=0.5, min=0.05, max=0.95, step=0.05, description="shape",
                            continuous_update=False),
        warmup=w.IntSlider(value=0, min=0, max=200, step=10, description="warmup",
                           continuous_update=False),
    )

    def draw(kind, lr, steps, shape, warmup):
        s = _schedule(kind, lr, steps, shape)
        if warmup:
            s = schedules.warmup(s, warmup, start_factor=0.0)
        t = np.arange(steps)
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.plot(t, s(t), color="C0")
        ax.set(xlabel="step t", ylabel="η(t)", title=f"{kind}: total rate Σ η(t) = {s(t).sum():.3g}")
        plt.show()
        print(repr(s))

    return w.interactive(draw, **controls)


RACERS = {
    "GD": lambda lr, adaptive_lr, momentum: (SGD, dict(lr=lr)),
    "momentum": lambda lr, adaptive_lr, momentum: (SGD, dict(lr=lr, momentum=momentum)),
    "Nesterov": lambda lr, adaptive_lr, momentum: (
        SGD, dict(lr=lr, momentum=momentum, nesterov=momentum > 0)),
    "AdaGrad": lambda lr, adaptive_lr, momentum: (Adagrad, dict(lr=adaptive_lr)),
    "RMSprop": lambda lr, adaptive_lr, momentum: (RMSprop, dict(lr=adaptive_lr)),
    "Adam": lambda lr, adaptive_lr, momentum: (Adam, dict(lr=adaptive_lr, betas=(momentum, 0.999))),
}


def optimizer_race(functions, methods=None, lr=1e-3, adaptive_lr=0.05, momentum=0.9, steps=150):
    """An optimizer race: a menu of 2-D test problems (``functions`` maps a name to a problem),
    sliders for the rate of the SGD family (η), the rate of the adaptive methods (η adaptive),
    the momentum (μ for SGD, β₁ for Adam) and the number of steps. Every method's path redraws
    on the contours, next to its f − f* per step. ``methods`` maps a label to a function
    (lr, adaptive_lr, momentum) -> (optimizer class, hyperparameters); default ``RACERS``."""
    methods = RACERS if methods is None else methods
    controls = dict(
        name=w.Dropdown(options=list(functions), description="problem"),
        lr=_log_slider("η", lr, 1e-5, 1.0),
        adaptive_lr=_log_slider("η adaptive", adaptive_lr, 1e-4, 1.0),
        momentum=w.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01,
                               description="μ, β₁", continuous_update=False),
        steps=w.IntSlider(value=steps, min=1, max=max(1000, steps), description="steps",
                          continuous_update=False),
    )

    def draw(name, lr, adaptive_lr, momentum, steps):
        f = functions[name]
        paths = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a diverging path just stops early
            for label, make in methods.items():
                optimizer, hyperparameters = make(lr, adaptive_lr, momentum)
                paths[label] = minimize(f, optimizer, steps=steps, **hyperparameters)
        _race_figure(f, paths, steps)

    return w.interactive(draw, **controls)


def _race_figure(f, paths, steps):
    """Paths on the contour of ``f`` (left) and each method's f(θ) − f* per step (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    plot.contour(f, paths, ax=left, title=f"{f.name}, {steps} steps")
    gaps = {label: np.maximum([f(x) - f.f_star for x in path[1:]], 1e-16)
            for label, path in paths.items() if len(path) > 1}
    plot.curves(gaps, ax=right, ylabel="f(θ) − f*", title="the race")
    plt.tight_layout()
    plt.show()


def _layer_statistics(activation, scale, depth, width, samples=256, rng=0):
    """Std of each hidden layer's activations, and of dL/d(activation) for L = Σ output / √samples,
    in a ``depth``-layer MLP whose weights are N(0, (scale/√fan_in)²) and biases zero."""
    from descent import nn
    rng = np.random.default_rng(rng)
    act = {"tanh": nn.Tanh, "relu": nn.ReLU}[activation]
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width, rng=rng)
        nn.init.normal_(linear.weight, 0.0, scale / np.sqrt(width), rng=rng)
        nn.init.zeros_(linear.bias)
        layers += [linear, act()]
    x = rng.standard_normal((samples, width))
    forward = []
    for layer in layers:
        x = layer(x)
        if not isinstance(layer, nn.Linear):
            forward.append(float(x.std()))
    grad = rng.standard_normal(x.shape) / np.sqrt(samples)
    backward = []
    for layer in reversed(layers):
        if not isinstance(layer, nn.Linear):
            backward.append(float(grad.std()))
        grad = layer.backward(grad)
    return np.array(forward), np.array(backward[::-1])


def init_explorer(activation="tanh", scale=1.0, depth=20, width=128):
    """A deep MLP at initialization: pick the nonlinearity and the weight scale (std · √fan_in;
    Xavier/LeCun is 1, Kaiming for ReLU √2, tanh's gain 5/3); the std of every layer's activations
    (forward) and of the gradient reaching it (backward) redraws, on a log scale."""
    controls = dict(
        activation=w.Dropdown(options=["tanh", "relu"], value=activation, description="activation"),
        scale=_log_slider("scale", scale, 0.1, 10.0),
        depth=w.IntSlider(value=depth, min=2, max=50, description="layers", continuous_update=False),
    )

    def draw(activation, scale, depth):
        forward, backward = _layer_statistics(activation, scale, depth, width)
        layer = np.arange(1, depth + 1)
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.semilogy(layer, np.maximum(forward, 1e-300), "o-", color="C0", label="activations (forward)")
        ax.semilogy(layer, np.maximum(backward, 1e-300), "s--", color="C3", label="gradients (backward)")
        ax.set(xlabel="layer", ylabel="std",
               title=f"{activation}, weight std = {scale:.3g}/√fan_in: "
                     f"last layer {forward[-1]:.2g}, first gradient {backward[0]:.2g}")
        ax.legend()
        plt.show()

    return w.interactive(draw, **controls)


def recent_paths(f, adam_lr=0.05, lion_lr=0.01, schedule_free_lr=0.05, steps=150, x0=None):
    """The paths of Adam, Lion, AdamW schedule-free and Prodigy on the 2-D problem ``f`` from
    ``x0`` (default ``f.x0``), each at its own rate (Prodigy: η = 1, no rate to choose). The
    schedule-free path records the averaged weights x (the point ``eval()`` gives), not the
    training point y. Returns a dict label → array (steps + 1, 2); a path that leaves the finite
    numbers stops there."""
    x0 = f.x0 if x0 is None else np.asarray(x0, dtype=np.float64)
    paths = {label: minimize(f, optimizer, x0=x0, steps=steps, **hyperparameters)
             for label, optimizer, hyperparameters in (
                 (f"Adam (η={adam_lr:.3g})", Adam, dict(lr=adam_lr)),
                 (f"Lion (η={lion_lr:.3g})", Lion, dict(lr=lion_lr)),
                 ("Prodigy (η=1)", Prodigy, {}))}
    theta = Parameter(x0)
    opt = AdamWScheduleFree([theta], lr=schedule_free_lr)
    path = [theta.data.copy()]
    for _ in range(steps):
        opt.train()
        theta.grad[...] = f.grad(theta.data)
        opt.step()
        opt.eval()
        if not np.all(np.isfinite(theta.data)):
            break
        path.append(theta.data.copy())
    paths[f"AdamWScheduleFree (η={schedule_free_lr:.3g}, x)"] = np.array(path)
    return paths


def recent_race(functions, adam_lr=0.05, lion_lr=0.01, schedule_free_lr=0.05, steps=150):
    """Recent optimizers on the same 2-D problem: a menu of problems (``functions`` maps a name to
    a problem), a rate slider each for Adam, Lion and AdamW schedule-free (Prodigy needs none)
    and the number of steps. The paths (``recent_paths``) redraw on the contours, next to
    f − f* per step."""
    controls = dict(
        name=w.Dropdown(options=list(functions), description="problem"),
        adam_lr=_log_slider("η Adam", adam_lr, 1e-4, 1.0),
        lion_lr=_log_slider("η Lion", lion_lr, 1e-5, 1.0),
        schedule_free_lr=_log_slider("η sched.-free", schedule_free_lr, 1e-4, 1.0),
        steps=w.IntSlider(value=steps, min=1, max=max(1000, steps), description="steps",
                          continuous_update=False),
    )

    def draw(name, adam_lr, lion_lr, schedule_free_lr, steps):
        f = functions[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a diverging path just stops early
            paths = recent_paths(f, adam_lr, lion_lr, schedule_free_lr, steps)
        _race_figure(f, paths, steps)

    return w.interactive(draw, **controls)


# Lecture 7 (in practice): gradient clipping on a cliff of the loss.

def cliff_paths(lr=0.2, max_norm=1.0, steps=40, height=20.0, steepness=10.0, start=(2.5, 2.0)):
    """SGD paths on the cliff f(θ) = ½‖θ‖² + h·σ(k(θ₁ − 1)) (h = ``height``, k = ``steepness``,
    σ the logistic function), whose gradient reaches h·k/4 on the wall at θ₁ = 1: without
    clipping, with every gradient element clipped into [−c, c] (``clip_grad_value_``) and with
    the gradient's norm clipped to c (``clip_grad_norm_``), c = ``max_norm``. Returns a dict
    label → array (steps + 1, 2)."""
    from descent import nn

    def gradient(theta):
        s = 1.0 / (1.0 + np.exp(-steepness * (theta[0] - 1.0)))
        return theta + np.array([height * steepness * s * (1.0 - s), 0.0])

    clips = {"no clipping": None,
             f"clip by value (c={max_norm:.3g})": nn.utils.clip_grad_value_,
             f"clip by norm (c={max_norm:.3g})": nn.utils.clip_grad_norm_}
    paths = {}
    for label, clip in clips.items():
        theta = Parameter(np.array(start, dtype=np.float64))
        opt = SGD([theta], lr=lr)
        path = [theta.data.copy()]
        for _ in range(steps):
            theta.grad = gradient(theta.data)
            if clip is not None:
                clip([theta], max_norm)
            opt.step()
            path.append(theta.data.copy())
        paths[label] = np.array(path)
    return paths


def clip_explorer(lr=0.2, max_norm=1.0, steps=40, height=20.0, steepness=10.0):
    """Sliders for the rate η, the clipping threshold c and the number of steps; the three paths
    of ``cliff_paths`` redraw on the cliff's contours, and the legend gives each path's longest
    step (clipping by norm caps it at η·c)."""
    controls = dict(
        lr=_log_slider("η", lr, 1e-2, 1.0),
        max_norm=_log_slider("clip c", max_norm, 0.01, 100.0),
        steps=w.IntSlider(value=steps, min=1, max=max(200, steps), description="steps",
                          continuous_update=False),
    )
    a, b = np.meshgrid(np.linspace(-4.5, 3.5, 200), np.linspace(-1.5, 3.0, 100))
    surface = 0.5 * (a**2 + b**2) + height / (1.0 + np.exp(-steepness * (a - 1.0)))

    def draw(lr, max_norm, steps):
        paths = cliff_paths(lr, max_norm, steps, height, steepness)
        fig, ax = plt.subplots(figsize=(9, 4.2))
        ax.contourf(a, b, surface, levels=30, cmap="Greys")
        for (label, path), colour in zip(paths.items(), ("C3", "C2", "C0")):
            longest = np.linalg.norm(np.diff(path, axis=0), axis=1).max()
            ax.plot(path[:, 0], path[:, 1], "o-", ms=3, color=colour,
                    label=f"{label}: longest step {longest:.3g}")
        ax.set(xlabel="θ₁", ylabel="θ₂", xlim=(-4.5, 3.5), ylim=(-1.5, 3.0),
               title=f"SGD, η = {lr:.3g}, {steps} steps; wall at θ₁ = 1, minimum at 0")
        ax.legend(loc="lower left", fontsize=8)
        plt.show()

    return w.interactive(draw, **controls)


# Lecture 8 (recent optimizers): the Newton–Schulz iteration of Muon.

NEWTON_SCHULZ_COEFFICIENTS = {"quintic (Muon)": (3.4445, -4.7750, 2.0315),
                              "cubic": (1.5, -0.5, 0.0)}


def spread_matrix(condition, shape=(64, 128), rng=0):
    """A matrix U·diag(σ)·Vᵀ of the given shape with random orthonormal U, V and singular values
    σ spaced evenly on a log scale from 1 down to 1/``condition``."""
    if not condition >= 1:
        raise ValueError(f"condition must be at least 1, got {condition!r}")
    rng = np.random.default_rng(rng)
    rows, cols = shape
    k = min(rows, cols)
    U, _ = np.linalg.qr(rng.standard_normal((rows, k)))
    V, _ = np.linalg.qr(rng.standard_normal((cols, k)))
    return (U * np.geomspace(1.0, 1.0 / condition, k)) @ V.T


def newton_schulz_explorer(steps=5, condition=100.0, shape=(64, 128)):
    """A menu for the coefficients (Muon's quintic or the classical cubic) and sliders for the
    number of Newton–Schulz steps and the spread of the input's singular values
    (``spread_matrix``); the singular values before (scaled by ‖G‖_F) and after redraw, and the
    title gives the spectral distance ‖X − UVᵀ‖₂ to the polar factor."""
    from descent.optim import newton_schulz
    controls = dict(
        coefficients=w.Dropdown(options=list(NEWTON_SCHULZ_COEFFICIENTS),
                                description="coefficients"),
        steps=w.IntSlider(value=steps, min=0, max=30, description="steps", continuous_update=False),
        condition=_log_slider("σ₁/σₙ", condition, 1.0, 1e6),
    )

    def draw(coefficients, steps, condition):
        G = spread_matrix(condition, shape)
        U, _, Vt = np.linalg.svd(G, full_matrices=False)
        X = newton_schulz(G, steps, NEWTON_SCHULZ_COEFFICIENTS[coefficients])
        fig, ax = plt.subplots(figsize=(8, 3.8))
        ax.plot(np.linalg.svd(G / np.linalg.norm(G), compute_uv=False), color="0.5",
                label="G / ‖G‖_F")
        ax.plot(np.linalg.svd(X, compute_uv=False), color="C0", label=f"after {steps} steps")
        ax.axhline(1.0, color="0.6", linewidth=0.8)
        distance = np.linalg.norm(X - U @ Vt, 2)
        ax.set(xlabel="index", ylabel="singular value", yscale="log",
               title=f"{coefficients}, {steps} steps: ‖X − UVᵀ‖₂ = {distance:.3g}")
        ax.legend(fontsize=8)
        plt.show()

    return w.interactive(draw, **controls)
