"""Live demos for lectures and notebooks (ipywidgets): move a slider, the figure redraws.

They need a running kernel; the static book shows ``plot.animate`` instead.
"""
import inspect
import warnings

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np

from descent import plot
from descent.optim import (SGD, Adadelta, Adagrad, Adam, Adamax, AdamWScheduleFree, Lion, NAdam,
                           Prodigy, RAdam, RMSprop, line_search)
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


# Lecture 5, adaptive methods: how each rule turns a gradient history into step lengths

def _spike(steps):
    gradients = np.ones(steps)
    gradients[min(50, steps - 1)] = 100.0
    return gradients


GRADIENT_PATTERNS = {
    "constant": lambda steps: np.ones(steps),
    "sparse (every 100th step)": lambda steps: (np.arange(steps) % 100 == 0).astype(np.float64),
    "a spike of 100 at t = 51": _spike,
    "noisy (mean 0.1, sd 1)": lambda steps: 0.1 + np.random.default_rng(0).standard_normal(steps),
}


def adaptive_step_lengths(optimizer, gradients, **hyperparameters):
    """|θ_t − θ_{t−1}| for t = 1, 2, … when ``optimizer`` updates one parameter and is fed the
    gradients g_1, g_2, … in turn (an array of shape (steps,)), whatever θ becomes."""
    theta = Parameter(np.zeros(1))
    opt = optimizer([theta], **hyperparameters)
    lengths = np.empty(len(gradients))
    for t, g in enumerate(gradients):
        before = theta.data[0]
        theta.grad[...] = g
        opt.step()
        lengths[t] = abs(theta.data[0] - before)
    return lengths


def _adaptive_methods(beta2, eps):
    """Label → (optimizer, hyperparameters) at torch's defaults, with β₂ and ε set for the Adam
    family (Adam, NAdam, Adamax, RAdam); AdaGrad, RMSprop and Adadelta keep their own ε."""
    return {"AdaGrad": (Adagrad, {}), "RMSprop": (RMSprop, {}), "Adadelta": (Adadelta, {}),
            **{name: (optimizer, dict(betas=(0.9, beta2), eps=eps)) for name, optimizer in
               (("Adam", Adam), ("NAdam", NAdam), ("Adamax", Adamax), ("RAdam", RAdam))}}


def adaptive_steps(pattern="constant", steps=300, beta2=0.999, eps=1e-8):
    """Step lengths of the adaptive methods on a 1-D gradient sequence: a menu of patterns
    (``GRADIENT_PATTERNS``), sliders for β₂ and ε (the Adam family's) and the number of steps.
    Each method's |Δθ_t|/η redraws against t (Adadelta: |Δθ_t|, its η is 1), with the pattern."""
    controls = dict(
        pattern=w.Dropdown(options=list(GRADIENT_PATTERNS), value=pattern, description="gradients"),
        beta2=w.FloatSlider(value=beta2, min=0.9, max=0.9999, step=0.0001, readout_format=".4f",
                            description="β₂", continuous_update=False),
        eps=_log_slider("ε", eps, 1e-12, 1e-1),
        steps=w.IntSlider(value=steps, min=10, max=max(2000, steps), description="steps",
                          continuous_update=False),
    )

    def draw(pattern, beta2, eps, steps):
        gradients = GRADIENT_PATTERNS[pattern](steps)
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                                          gridspec_kw={"height_ratios": [3, 1]})
        t = np.arange(1, steps + 1)
        for label, (optimizer, hyperparameters) in _adaptive_methods(beta2, eps).items():
            lr = inspect.signature(optimizer).parameters["lr"].default
            lengths = adaptive_step_lengths(optimizer, gradients, **hyperparameters) / lr
            top.plot(t, np.maximum(lengths, 1e-12), color=plot.color(label), label=label)
        top.set(yscale="log", ylabel="|Δθ| / η", ylim=(1e-6, 1e2),
                title=f"step lengths, β₂ = {beta2:.4f}, ε = {eps:.3g}")
        top.legend(fontsize="small", ncol=4)
        bottom.plot(t, gradients, color="0.3")
        bottom.set(xlabel="step t", ylabel="g_t")
        plt.tight_layout()
        plt.show()

    return w.interactive(draw, **controls)


# Lecture 6, second-order methods: which step lengths a line search accepts

def line_search_view(f, x0, c1, c2, step):
    """Backtracking (Armijo) and the strong Wolfe search along steepest descent from ``x0`` on
    ``f``, both started at ``step``, with sufficient-decrease constant c₁ and curvature constant
    c₂: returns (d, armijo result, strong Wolfe result, the strong Wolfe trial steps in order)."""
    x0 = np.asarray(x0, dtype=np.float64)
    g = f.grad(x0)
    d = -g
    trials = []

    def along(t):
        trials.append(t)
        return f(x0 + t * d), f.grad(x0 + t * d)

    armijo = line_search.armijo(lambda t: (f(x0 + t * d), f.grad(x0 + t * d)), f(x0), g, d,
                                step=step, c1=c1)
    wolfe = line_search.strong_wolfe(along, f(x0), g, d, step=step, c1=c1, c2=c2)
    return d, armijo, wolfe, trials


def line_search_explorer(f, x0=None, c1=1e-4, c2=0.9, step=2e-3, t_max=2.5e-3):
    """φ(t) = f(x0 − t∇f(x0)) on t ∈ [0, ``t_max``] with the steps that satisfy Armijo
    (φ(t) ≤ φ(0) + c₁tφ'(0)) and strong Wolfe (also |φ'(t)| ≤ c₂|φ'(0)|) shaded; sliders for c₁,
    c₂ and the first trial step. Backtracking's and the strong Wolfe search's trials redraw, and
    the title gives each accepted step and its number of evaluations (``line_search_view``)."""
    x0 = f.x0 if x0 is None else np.asarray(x0, dtype=np.float64)
    controls = dict(
        c1=_log_slider("c₁", c1, 1e-5, 0.5),
        c2=w.FloatSlider(value=c2, min=0.01, max=0.99, step=0.01, description="c₂",
                         continuous_update=False),
        step=_log_slider("first t", step, t_max * 1e-3, t_max * 10),
    )

    def draw(c1, c2, step):
        d, armijo, wolfe, trials = line_search_view(f, x0, c1, c2, step)
        ts = np.linspace(0.0, t_max, 400)
        phi = np.array([f(x0 + t * d) for t in ts])
        slope0 = f.grad(x0) @ d
        slopes = np.array([f.grad(x0 + t * d) @ d for t in ts])
        sufficient = phi <= phi[0] + c1 * ts * slope0
        curvature = np.abs(slopes) <= c2 * abs(slope0)
        fig, ax = plt.subplots(figsize=(9, 4.5))
        ax.plot(ts, phi, color="k", label="φ(t)")
        ax.plot(ts, phi[0] + c1 * ts * slope0, "--", color="0.5", label="Armijo line")
        top = phi.max()
        ax.fill_between(ts, phi.min(), top, where=sufficient, color=plot.color("GD"), alpha=0.15,
                        label="Armijo holds")
        ax.fill_between(ts, phi.min(), top, where=sufficient & curvature,
                        color=plot.color("BFGS"), alpha=0.6, label="strong Wolfe holds")
        backtracking = step * 0.5 ** np.arange(armijo.evals)
        shown = [t for t in backtracking if t <= t_max]
        ax.plot(shown, [f(x0 + t * d) for t in shown], "v", color="C3", markersize=9,
                label="backtracking trials")
        shown = [t for t in trials if t <= t_max]
        ax.plot(shown, [f(x0 + t * d) for t in shown], "o", color="C0", label="strong Wolfe trials")
        ax.set(xlim=(0, t_max), ylim=(phi.min(), top), xlabel="step length t", ylabel="φ(t)",
               title=f"Armijo: t = {armijo.step:.3g} ({armijo.evals} evaluations); "
                     f"strong Wolfe: t = {wolfe.step:.3g} ({wolfe.evals} evaluations)")
        ax.legend(fontsize="small")
        plt.show()

    return w.interactive(draw, **controls)


# Lecture 1: backpropagation

def tiny_network(x, w1, w2, b1=0.2, b2=-0.1, target=0.5):
    """Forward and backward through the 1-1-1 network ŷ = w₂ tanh(w₁x + b₁) + b₂ with the loss
    L = (ŷ − y)², built from ``descent.nn`` layers. Returns the forward values ``z`` = w₁x + b₁,
    ``h`` = tanh z, ``y_hat``, ``loss`` and the gradients ``x``, ``w1``, ``b1``, ``w2``, ``b2``
    (∂L/∂·) that backpropagation gives, e.g. ∂L/∂w₁ = 2(ŷ − y) · w₂ · (1 − h²) · x."""
    from descent import nn
    net = nn.Sequential(nn.Linear(1, 1, rng=0), nn.Tanh(), nn.Linear(1, 1, rng=0))
    for parameter, value in zip(net.parameters(), (w1, b1, w2, b2)):
        parameter.data[...] = value
    loss_fn = nn.MSELoss()
    z = net[0](np.array([[float(x)]]))
    h = net[1](z)
    y_hat = net[2](h)
    loss = loss_fn(y_hat, np.array([[float(target)]]))
    dx = net.backward(loss_fn.backward())
    grads = [float(p.grad.ravel()[0]) for p in net.parameters()]
    values = dict(z=float(z[0, 0]), h=float(h[0, 0]), y_hat=float(y_hat[0, 0]), loss=float(loss))
    gradients = dict(x=float(dx[0, 0]), w1=grads[0], b1=grads[1], w2=grads[2], b2=grads[3])
    return values, gradients


def backprop_explorer(x=1.0, w1=0.8, w2=1.5, b1=0.2, b2=-0.1, target=0.5):
    """Sliders for the input x and the weights w₁, w₂ of ``tiny_network``; the forward values
    (bars) and the five gradients ∂L/∂· redraw on the left, and on the right the loss as a
    function of w₁ with the tangent at the current w₁, whose slope is ∂L/∂w₁."""
    def slider(value, description):
        return w.FloatSlider(value=value, min=-3.0, max=3.0, step=0.05, description=description,
                             continuous_update=False)

    def draw(x, w1, w2):
        values, grads = tiny_network(x, w1, w2, b1, b2, target)
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        names = ["z = w₁x + b₁", "h = tanh z", "ŷ = w₂h + b₂", "L = (ŷ − y)²"]
        shown = [values["z"], values["h"], values["y_hat"], values["loss"]]
        left.barh(names[::-1], shown[::-1], color="C0")
        for row, value in enumerate(shown[::-1]):
            left.text(2.9, row, f"{value:+.3f}", ha="right", va="center")
        left.axvline(0, color="0.5", lw=0.8)
        left.set(xlim=(-3, 3), title="forward values")
        text = "\n".join(f"∂L/∂{name:2} = {grads[name]:+.3f}" for name in ("x", "w1", "b1", "w2", "b2"))
        left.text(1.02, 0.5, text, transform=left.transAxes, va="center", family="monospace",
                  color="C3")
        grid = np.linspace(-3, 3, 121)
        right.plot(grid, [tiny_network(x, v, w2, b1, b2, target)[0]["loss"] for v in grid],
                   color="C0", label="L(w₁)")
        right.plot(grid, values["loss"] + grads["w1"] * (grid - w1), "--", color="C3",
                   label="tangent, slope ∂L/∂w₁")
        right.plot([w1], [values["loss"]], "o", color="C3")
        right.set(xlabel="w₁", ylabel="loss", ylim=(-0.1, 4), title="the gradient is the slope")
        right.legend(loc="upper right", fontsize=9)
        fig.tight_layout(w_pad=9)
        plt.show()

    return w.interactive(draw, x=slider(x, "input x"), w1=slider(w1, "weight w₁"),
                         w2=slider(w2, "weight w₂"))


# Lecture 2: gradient descent and the learning rate

def least_squares_problem(n=200, noise=0.5, seed=0):
    """A 2-D least-squares problem L(θ) = (1/N) Σ_n (x_nᵀθ − y_n)² on N = ``n`` points
    x_n ~ N(0, diag(1, 1/4)), y_n = x_nᵀ(1, −0.5) + noise·ε_n, as a ``problems.Problem``
    (∇L = (2/N) Xᵀ(Xθ − y), Hessian (2/N) XᵀX, minimizer the least-squares solution).
    Returns the problem and the data X (N, 2), y (N, 1)."""
    from descent.problems import Problem
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2)) * [1.0, 0.5]
    y = X @ np.array([[1.0], [-0.5]]) + noise * rng.standard_normal((n, 1))
    A, c, s = X.T @ X / n, (X.T @ y).ravel() / n, float(np.mean(y**2))

    def value(theta):
        quadratic = np.einsum("i...,ij,j...->...", theta, A, theta)
        return quadratic - 2 * np.tensordot(c, theta, 1) + s

    problem = Problem("least squares", value, lambda theta: 2 * (A @ theta - c),
                      lambda theta: 2 * A, x0=[-1.0, 2.0], x_star=np.linalg.solve(A, c),
                      bounds=((-1.5, 2.5), (-2.0, 2.5)))
    return problem, X, y


def minibatch_path(X, y, lr, batch_size, steps, x0, seed=0):
    """Mini-batch SGD (``optim.SGD`` on an ``nn.Linear(2, 1, bias=False)`` with ``nn.MSELoss``)
    from ``x0``: each step draws ``batch_size`` rows of X without replacement and moves
    θ ← θ − η ĝ, ĝ = (2/B) Σ_batch x_n(x_nᵀθ − y_n). With batch_size = N it is gradient descent.
    Returns the iterates, shape (steps + 1, 2); a path that leaves the finite numbers stops there."""
    from descent import nn
    model = nn.Linear(2, 1, bias=False, rng=0)
    model.weight.data[...] = np.asarray(x0, dtype=np.float64)
    opt = SGD(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    rng = np.random.default_rng(seed)
    path = [model.weight.data.ravel().copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            rows = rng.choice(len(X), size=batch_size, replace=False)
            opt.zero_grad()
            loss_fn(model(X[rows]), y[rows])
            model.backward(loss_fn.backward())
            opt.step()
            if not np.all(np.isfinite(model.weight.data)):
                break
            path.append(model.weight.data.ravel().copy())
    return np.array(path)


def minibatch_explorer(n=200, noise=0.5, lr=0.05, batch_size=8, steps=200, seed=0):
    """Sliders for the rate η, the batch size B and the number of steps on
    ``least_squares_problem``: the mini-batch SGD path and the full-batch gradient-descent path
    at the same rate redraw on the contours, next to L(θ_t) − L* per step; the title gives the
    mean excess loss over the last quarter of the steps, the floor where SGD keeps bouncing."""
    f, X, y = least_squares_problem(n, noise, seed)
    sizes = [size for size in (1, 2, 4, 8, 16, 32, 64, 128) if size < n] + [n]
    controls = dict(
        lr=_log_slider("η", lr, 1e-3, 0.5),
        batch_size=w.SelectionSlider(options=sizes, value=batch_size, description="batch B",
                                     continuous_update=False),
        steps=w.IntSlider(value=steps, min=10, max=max(1000, steps), step=10,
                          description="steps", continuous_update=False),
    )

    def draw(lr, batch_size, steps):
        label = f"mini-batch, B = {batch_size}"
        paths = {label: minibatch_path(X, y, lr, batch_size, steps, f.x0, seed),
                 f"GD, full batch (B = {n})": minibatch_path(X, y, lr, n, steps, f.x0, seed)}
        gaps = {name: np.maximum([f(theta) - f.f_star for theta in path[1:]], 1e-16)
                for name, path in paths.items() if len(path) > 1}
        floor = gaps[label][-max(1, steps // 4):].mean() if label in gaps else np.inf
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        plot.contour(f, paths, ax=left, title=f"B = {batch_size}, η = {lr:.3g}")
        plot.curves(gaps, ax=right, ylabel="L(θ) − L*",
                    title=f"mini-batch excess loss, last quarter: {floor:.2g}")
        plt.tight_layout()
        plt.show()

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
