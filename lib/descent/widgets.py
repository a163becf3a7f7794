"""Live demos for lectures and notebooks (ipywidgets): move a slider, the figure redraws.

They need a running kernel; the static book shows ``plot.animate`` instead.
"""
import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np

from descent import plot
from descent.optim import SGD
from descent.train import minimize


def _log_slider(description, value, low, high):
    return w.FloatLogSlider(value=value, base=10, min=np.log10(low), max=np.log10(high),
                            step=0.05, description=description, readout_format=".3g",
                            continuous_update=False)


def lr_explorer(f, optimizer=SGD, lr=0.01, lr_range=(1e-4, 1.0), steps=50, **hyperparameters):
    """Sliders for the learning rate, the start point and the number of steps; the contour plot of
    the test problem ``f`` with the optimizer's path redraws, and the title gives the final f."""
    (x_lo, x_hi), (y_lo, y_hi) = f.bounds
    controls = dict(
        lr=_log_slider("η", lr, *lr_range),
        x=w.FloatSlider(value=float(f.x0[0]), min=x_lo, max=x_hi, step=(x_hi - x_lo) / 100,
                        description="start θ₁", continuous_update=False),
        y=w.FloatSlider(value=float(f.x0[1]), min=y_lo, max=y_hi, step=(y_hi - y_lo) / 100,
                        description="start θ₂", continuous_update=False),
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
    (x_lo, x_hi), (y_lo, y_hi) = f.bounds
    controls = dict(
        x=w.FloatSlider(value=float(f.x0[0]), min=x_lo, max=x_hi, step=(x_hi - x_lo) / 100,
                        description="start θ₁", continuous_update=False),
        y=w.FloatSlider(value=float(f.x0[1]), min=y_lo, max=y_hi, step=(y_hi - y_lo) / 100,
                        description="start θ₂", continuous_update=False),
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
