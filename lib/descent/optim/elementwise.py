"""Base class for optimizers whose update is elementwise: it runs in cache-sized blocks.

An update such as Adam's is a dozen elementwise operations. Applied to whole arrays, each
operation streams every array through memory again; applied block by block, the intermediates
stay in the processor's cache and memory sees each array about once per step. Scratch space is
allocated once per optimizer and reused, so a step allocates nothing parameter-sized.
"""
from collections.abc import Iterator
from typing import Any

import numpy as np

from descent._types import Array, DTypeLike, Group, State
from descent.nn.module import Parameter
from descent.optim.optimizer import Optimizer, Params

BLOCK_BYTES = 1 << 18  # per array: the arrays of one block stay in the L2 and L3 caches


class ElementwiseOptimizer(Optimizer):
    """An Optimizer whose ``_update`` loops ``for views in self.blocks(...)``."""

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self._scratch: dict[Any, np.ndarray] = {}
        super().__init__(params, defaults)

    def blocks(self, *arrays: Array, scratch: int = 0) -> Iterator[tuple[Array, ...]]:
        """Yield matching flat views of ``arrays`` (same size, C-contiguous), block by block,
        followed by ``scratch`` work arrays of the block's length and the first array's dtype.

        Arrays that are not C-contiguous are yielded whole, once, with fresh scratch arrays.
        """
        first = arrays[0]
        if not all(a.flags.c_contiguous for a in arrays):
            yield (*arrays, *(np.empty_like(first) for _ in range(scratch)))
            return
        flats = [a.reshape(-1) for a in arrays]
        block = max(1, BLOCK_BYTES // first.itemsize)
        work = self._workspace(first.dtype, scratch, min(block, first.size))
        for start in range(0, first.size, block):
            stop = min(start + block, first.size)
            yield (*(f[start:stop] for f in flats), *(w[:stop - start] for w in work))

    @staticmethod
    def count_step(state: State, param: Parameter, *buffers: str) -> int:
        """Count one more step in ``state`` and return it, t = 1 on the first step, when the named
        ``buffers`` also start: arrays of zeros shaped like the parameter, as torch starts them."""
        if not state:
            state["step"] = 0
            state.update((name, np.zeros_like(param.data)) for name in buffers)
        state["step"] += 1
        return state["step"]

    def _workspace(self, dtype: DTypeLike, count: int, length: int) -> Array:
        space = self._scratch.get(dtype)
        if space is None or space.shape[0] < count or space.shape[1] < length:
            rows = max(count, 0 if space is None else space.shape[0])
            cols = max(length, 0 if space is None else space.shape[1])
            space = self._scratch[dtype] = np.empty((rows, cols), dtype=dtype)
        return space[:count]


def gradient(g: Array, param: Array, out: Array, maximize: bool, weight_decay: float) -> Array:
    """The gradient an update uses: g, negated if ``maximize``, plus weight_decay·θ (L2).

    Returns g itself when there is nothing to add, else writes into ``out`` and returns it.
    """
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=out)
        return np.subtract(out, g, out=out) if maximize else np.add(out, g, out=out)
    return np.negative(g, out=out) if maximize else g


def decayed_gradient(g: Array, param: Array, out: Array, group: Group, lr: float) -> Array:
    """The Adam family's gradient: with ``decoupled_weight_decay`` the parameter first shrinks,
    θ ← θ(1 − ηλ), and g is used as it is; otherwise λθ is added to g (L2). See ``gradient``."""
    decay = group["weight_decay"]
    if group.get("decoupled_weight_decay", False):
        if decay != 0:
            param *= 1 - lr * decay
        decay = 0.0
    return gradient(g, param, out, group["maximize"], decay)


def update_mean(g: Array, m: Array, beta1: float, scratch: Array) -> None:
    """m ← β₁m + (1 − β₁)g, computed as torch does: m += (1 − β₁)(g − m)."""
    np.subtract(g, m, out=scratch)
    scratch *= 1 - beta1
    m += scratch


def update_mean_square(g: Array, v: Array, beta2: float, scratch: Array) -> None:
    """v ← β₂v + (1 − β₂)g²."""
    v *= beta2
    np.multiply(g, g, out=scratch)
    scratch *= 1 - beta2
    v += scratch
