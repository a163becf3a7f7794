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


# Lecture 4: momentum

def momentum_radii(lr, momentum, eigenvalues, nesterov=False):
    """Per eigenvalue h of a quadratic's Hessian, the contraction per step of torch's SGD with
    momentum μ = ``momentum`` (heavy ball, or Nesterov with ``nesterov=True``): the largest
    modulus of the roots of
        heavy ball:  z² − (1 + μ − ηh) z + μ,
        Nesterov:    z² − (1 + μ)(1 − ηh) z + μ(1 − ηh).
    With μ = 0 both are |1 − ηh|, gradient descent's factor. Returns an array shaped like
    ``eigenvalues``."""
    h = np.asarray(eigenvalues, dtype=np.float64)
    if nesterov:
        b, c = (1 + momentum) * (1 - lr * h), momentum * (1 - lr * h)
    else:
        b, c = 1 + momentum - lr * h, np.full(h.shape, float(momentum))
    root = np.sqrt((b * b - 4 * c).astype(np.complex128))
    return np.maximum(np.abs(b + root), np.abs(b - root)) / 2


def momentum_rate(lr, momentum, eigenvalues, nesterov=False):
    """The contraction per step on a quadratic with Hessian ``eigenvalues``: the largest of
    ``momentum_radii`` over them. Above 1 the method diverges."""
    return float(np.max(momentum_radii(lr, momentum, eigenvalues, nesterov)))


def momentum_explorer(condition_number=100, lr=None, momentum=0.9, steps=100):
    """Momentum on the 2-D quadratic ``problems.quadratic(condition_number)``: sliders for the
    rate η (default η* = 4/(√L + √μ_min)²), the momentum μ and the number of steps, and a
    checkbox for Nesterov. The momentum method redraws on the contours (left) and as ‖θ_t‖ per
    step (right), beside gradient descent at its best fixed rate 2/(L + μ_min) and each one's
    predicted contraction ρ^t (``momentum_rate``); the title gives both ρ."""
    from descent import problems
    f = problems.quadratic(condition_number=condition_number)
    eigenvalues = np.linalg.eigvalsh(f.A)
    lr = 4 / (np.sqrt(f.L) + np.sqrt(f.mu)) ** 2 if lr is None else lr
    best_gd = 2 / (f.L + f.mu)
    controls = dict(
        lr=_log_slider("η", lr, 1e-4, 1.0),
        momentum=w.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01, description="μ",
                               continuous_update=False),
        nesterov=w.Checkbox(value=False, description="Nesterov"),
        steps=w.IntSlider(value=steps, min=1, max=max(500, steps), description="steps",
                          continuous_update=False),
    )

    def draw(lr, momentum, nesterov, steps):
        name = "Nesterov" if nesterov and momentum > 0 else "heavy ball"
        runs = {f"GD (best η={best_gd:.3g})": dict(lr=best_gd),
                f"{name} (η={lr:.3g}, μ={momentum:.2f})": dict(
                    lr=lr, momentum=momentum, nesterov=name == "Nesterov")}
        rates = {label: momentum_rate(hyper["lr"], hyper.get("momentum", 0.0), eigenvalues,
                                      hyper.get("nesterov", False))
                 for label, hyper in runs.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a diverging path just stops early
            paths = {label: minimize(f, SGD, steps=steps, **hyper) for label, hyper in runs.items()}
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        plot.contour(f, paths, ax=left, title=f"{f.name}, {steps} steps")
        palette = plot.colors(paths)
        start = np.linalg.norm(f.x0)
        for label, path in paths.items():
            t = np.arange(len(path))
            right.semilogy(t, np.maximum(np.linalg.norm(path, axis=1), 1e-300),
                           color=palette[label], label=label)
            right.semilogy(t, start * rates[label] ** t, "--", color=palette[label], linewidth=0.8)
        right.set(xlabel="step t", ylabel="‖θ_t − θ*‖ (dashed: ρ^t‖θ₀‖)", ylim=(1e-16, 1e3 * start),
                  title="predicted ρ: " + ", ".join(f"{label.split(' (')[0]} {rho:.4f}"
                                                     for label, rho in rates.items()))
        right.legend(fontsize="small")
        plt.tight_layout()
        plt.show()

    return w.interactive(draw, **controls)
