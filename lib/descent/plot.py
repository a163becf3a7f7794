"""Figures used across the book: trajectories on contours, loss curves, schedules, animations.

One colour per method everywhere (``color(name)``), log scales for losses, labelled axes.
Every function draws on ``ax`` (a new figure if None) and returns the axes.
"""
import re
import zlib

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.colors import LogNorm

PALETTE = {
    "gd": "#1f77b4", "sgd": "#1f77b4",
    "momentum": "#ff7f0e", "heavy ball": "#ff7f0e", "nesterov": "#d62728",
    "adagrad": "#2ca02c", "rmsprop": "#9467bd", "adadelta": "#8c564b",
    "adam": "#e377c2", "adamw": "#7f7f7f", "amsgrad": "#bcbd22", "nadam": "#17becf",
    "adamax": "#aec7e8", "radam": "#ffbb78",
    "newton": "#98df8a", "newtoncg": "#ff9896", "bfgs": "#c5b0d5", "lbfgs": "#c49c94",
    "gaussnewton": "#f7b6d2", "levenbergmarquardt": "#dbdb8d",
    "rprop": "#5254a3", "asgd": "#8ca252", "adafactor": "#bd9e39", "muon": "#ad494a",
    "lion": "#a55194", "sgdschedulefree": "#6baed6", "adamwschedulefree": "#fd8d3c",
    "prodigy": "#74c476", "sam": "#9e9ac8",
}
# Colours for labels that name no method, in the order a figure takes them: neighbours differ in
# hue and lightness, so the first few lines of a figure never look alike.
_FALLBACK = ["#393b79", "#e6550d", "#31a354", "#843c39", "#756bb1", "#8c6d31", "#3182bd",
             "#637939", "#7b4173", "#636363"]


def _method(name):
    """The palette key of a label ('Adam (lr=0.1)' -> 'adam'), or None for an unknown method."""
    key = str(name).lower().replace("-", "").replace("_", "")
    for separator in ("(", ",", ":"):
        key = key.split(separator)[0]
    key = key.strip()
    first = key.split(" ")[0] if key else key
    return key if key in PALETTE else (first if first in PALETTE else None)


def color(name):
    """The book's colour for a method: 'Adam', 'adam (lr=0.1)' and 'Adam, β₁=0.5' share one.

    The method is the name's first word, case and '-'/'_' ignored; unknown names get a fixed
    colour derived from the name, so a figure looks the same every time it is drawn.
    """
    method = _method(name)
    if method is not None:
        return PALETTE[method]
    return _FALLBACK[zlib.crc32(str(name).encode()) % len(_FALLBACK)]


def colors(labels):
    """Colours for the lines of one figure: a known method keeps its book colour; other labels
    take, in order, the colours no line of the figure uses yet, so no two lines look alike."""
    labels = list(labels)
    taken = {PALETTE[m] for m in map(_method, labels) if m is not None}
    spare = iter([c for c in _FALLBACK if c not in taken])
    result = {}
    for label in labels:
        method = _method(label)
        result[label] = PALETTE[method] if method is not None else next(spare, color(label))
    return result


def _axes(ax, figsize=(6, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def contour(f, paths=None, ax=None, bounds=None, levels=30, resolution=200, log=True,
            show_minimum=True, title=None):
    """Contours of a 2-D test problem with optimizer paths drawn over them.

    ``paths`` maps a label to an array of points, shape (steps + 1, 2) (as ``train.minimize``
    returns). Levels are spaced logarithmically above the minimum when ``log`` is True, which
    shows the floor of a narrow valley. The start is a circle, the end a cross.
    """
    if f.dim != 2:
        raise ValueError(f"contour draws 2-D problems, {f.name} has dim={f.dim}")
    ax = _axes(ax)
    (x_lo, x_hi), (y_lo, y_hi) = bounds or f.bounds
    xs, ys = np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution)
    grid = np.stack(np.meshgrid(xs, ys))
    values = f(grid)
    if log:
        shifted = values - min(values.min(), f.f_star) + 1e-3 * max(np.ptp(values), 1e-12)
        ax.contour(xs, ys, shifted, levels=np.geomspace(shifted.min(), shifted.max(), levels),
                   norm=LogNorm(), cmap="Greys_r", linewidths=0.6)
    else:
        ax.contour(xs, ys, values, levels=levels, cmap="Greys_r", linewidths=0.6)
    if show_minimum:
        ax.plot(*f.x_star, marker="*", markersize=12, color="gold", markeredgecolor="black",
                linestyle="none", label="minimum", zorder=5)
    palette = colors(paths or {})
    for label, path in (paths or {}).items():
        path = np.asarray(path)
        c = palette[label]
        ax.plot(path[:, 0], path[:, 1], "-", color=c, linewidth=1.5, label=label, zorder=4)
        ax.plot(*path[0], "o", color=c, markersize=5, zorder=4)
        ax.plot(*path[-1], "x", color=c, markersize=7, markeredgewidth=2, zorder=4)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel=r"$\theta_1$", ylabel=r"$\theta_2$",
           title=title or f.name)
    if paths:
        ax.legend(loc="best", fontsize="small")
    return ax


def _series(record, key):
    values = getattr(record, key) if hasattr(record, key) else record
    return np.asarray(values, dtype=np.float64)


def curves(histories, key="loss", ax=None, log=True, xlabel=None, ylabel=None, title=None):
    """Loss (or any recorded series) against the step or epoch, one line per method.

    ``histories`` maps a label to a ``train.History`` (then ``key`` picks the series: 'loss',
    'epoch_loss', 'val_loss', 'lr', 'grad_norm', …) or to an array of values.
    """
    ax = _axes(ax)
    palette = colors(histories)
    for label, record in histories.items():
        values = _series(record, key)
        ax.plot(np.arange(1, values.size + 1), values, color=palette[label], label=label)
    per_epoch = key.startswith(("epoch", "val"))
    ax.set(xlabel=xlabel or ("epoch" if per_epoch else "step"),
           ylabel=ylabel or key.replace("_", " "), title=title)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    return ax


def schedules(schedules, steps=300, ax=None, log=False, title=None):
    """Each schedule's rate η(t) for t = 0 … steps − 1, one line per schedule."""
    ax = _axes(ax)
    t = np.arange(steps)
    palette = colors(schedules)
    for label, schedule in schedules.items():
        ax.plot(t, [float(schedule(int(k))) for k in t], label=label, color=palette[label])
    ax.set(xlabel="step t (optimizer steps already taken)", ylabel=r"learning rate $\eta(t)$",
           title=title)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    return ax


def lr_find(result, ax=None):
    """The LR range test: loss (raw, faint; smoothed, solid) against the rate on a log axis,
    with the steepest-descent and minimum-loss rates marked."""
    ax = _axes(ax)
    ax.plot(result.lrs, result.losses, color="0.75", linewidth=0.8, label="loss")
    ax.plot(result.lrs, result.smoothed, color="C0", label="smoothed loss")
    ax.axvline(result.steepest, color="C2", linestyle="--", label=f"steepest: {result.steepest:.2g}")
    ax.axvline(result.min_loss_lr, color="C3", linestyle=":", label=f"minimum: {result.min_loss_lr:.2g}")
    ax.set(xscale="log", xlabel=r"learning rate $\eta$", ylabel="mini-batch loss",
           title="Learning-rate range test")
    ax.legend(fontsize="small")
    return ax


def animate(f, paths, interval=80, frames=None, bounds=None, title=None, dpi=60):
    """An animation of optimizer paths on a 2-D problem, as self-contained HTML.

    The result (``IPython.display.HTML``) plays in a notebook and in the static book without a
    kernel (matplotlib's ``to_jshtml``). ``frames`` caps the number of frames (default: the
    longest path, at most 60, sub-sampled evenly).
    """
    from IPython.display import HTML

    paths = {label: np.asarray(p) for label, p in paths.items()}
    longest = max(len(p) for p in paths.values())
    frames = min(longest, 60) if frames is None else frames
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=dpi)
    contour(f, None, ax=ax, bounds=bounds, title=title)
    palette = colors(paths)
    lines = {label: ax.plot([], [], "-o", color=palette[label], markersize=3, label=label)[0]
             for label in paths}
    ax.legend(loc="best", fontsize="small")
    index = np.linspace(1, longest, frames).round().astype(int)

    def draw(k):
        for label, path in paths.items():
            lines[label].set_data(path[:index[k], 0], path[:index[k], 1])
        return list(lines.values())

    movie = animation.FuncAnimation(fig, draw, frames=frames, interval=interval, blit=True)
    with plt.rc_context({"animation.frame_format": "jpeg", "savefig.dpi": dpi}):
        page = movie.to_jshtml(default_mode="once")
    plt.close(fig)
    return HTML(_without_icon_font(page))


# Characters every common font has (DejaVu, Liberation, Arial): ⏮ and ⏭ render as empty boxes.
_ICONS = {"fa-play fa-flip-horizontal": "&#9664;", "fa-play": "&#9654;", "fa-pause": "&#10074;&#10074;",
          "fa-step-backward": "|&#9664;", "fa-step-forward": "&#9654;|",
          "fa-fast-backward": "&#8676;", "fa-fast-forward": "&#8677;",
          "fa-minus": "&minus;", "fa-plus": "+"}


def _without_icon_font(page):
    """matplotlib's player loads its button icons from a CDN; use plain characters instead, so the
    page needs nothing from the network."""
    page = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", page)
    return re.sub(r'<i class="fa ([a-z -]+)"></i>',
                  lambda m: _ICONS.get(m.group(1).strip(), ""), page)
