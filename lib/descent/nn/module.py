"""Parameters and modules: the containers every layer and model is built from."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self, overload

import numpy as np

from descent._types import Array, ArrayLike, DTypeLike, NDArray


class Parameter:
    """A trainable array and its gradient.

    ``data`` holds the values (float64 unless ``dtype`` says otherwise); ``grad`` has the same
    shape and dtype, starts at zero and accumulates dL/d(data) on every ``backward`` until
    ``zero_grad`` resets it: to None by default, as torch 2 (the next ``backward`` then writes a
    fresh array and optimizers skip a parameter whose ``grad`` is None), or to zeros with
    ``zero_grad(set_to_none=False)``. Optimizers update ``data`` in place.
    """

    def __init__(self, data: ArrayLike, dtype: DTypeLike | None = None) -> None:
        array = np.array(data, dtype=dtype, copy=True)
        if dtype is None and (array.dtype == bool or np.issubdtype(array.dtype, np.integer)):
            array = array.astype(np.float64)
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"Parameter dtype must be a floating type, got {array.dtype}")
        self.data: Array = array
        self._grad: Array | None = np.zeros_like(array)

    @property
    def grad(self) -> Array | None:
        """dL/d(data), an array of ``data``'s shape and dtype, or None (no gradient yet)."""
        return self._grad

    @grad.setter
    def grad(self, value: ArrayLike | None) -> None:
        if value is None:
            self._grad = None
            return
        value = np.asarray(value)
        if value.shape != self.data.shape:
            raise ValueError(f"a Parameter's grad must have its shape {self.data.shape}, "
                             f"got {value.shape}")
        if value.dtype != self.data.dtype:
            raise TypeError(f"a Parameter's grad must have its dtype {self.data.dtype}, "
                            f"got {value.dtype} (convert with .astype)")
        self._grad = value

    def accumulate(self, value: Array) -> None:
        """grad += value, or grad = value (kept, not copied) when grad is None; ``value`` is
        converted to the parameter's dtype. Layers call this in ``backward``."""
        if self._grad is None:
            self.grad = np.asarray(value).astype(self.data.dtype, copy=False)
        else:
            self._grad += value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradient: to None (default, as torch 2) or, in place, to zeros."""
        if set_to_none:
            self._grad = None
        elif self._grad is not None:
            self._grad[...] = 0.0

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``forward`` computes and caches what ``backward`` needs; ``backward``
    takes dL/d(output), accumulates dL/dθ into each parameter's ``grad`` and returns dL/d(input).

    Parameters and sub-modules are found among the attributes, in definition order.
    """

    training = True

    _cache: tuple[str, ...] = ()  # what forward stores for backward; cleared before every forward
    _buffers: tuple[str, ...] = ()  # arrays that are state but not parameters (running statistics)

    def __call__(self, x: ArrayLike) -> Array:
        for name in self._cache:
            setattr(self, name, None)  # a forward that raises leaves nothing stale behind
        return self.forward(x)

    def forward(self, x: ArrayLike) -> Array:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output: ArrayLike) -> Array:
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def children(self) -> Iterator[Module]:
        """The sub-modules held as attributes (or in lists/tuples of attributes), in order."""
        for value in vars(self).values():
            if isinstance(value, Module):
                yield value
            elif isinstance(value, (list, tuple)):
                yield from (v for v in value if isinstance(v, Module))

    def parameters(self) -> list[Parameter]:
        """All Parameters of this module and its children, in definition order, each once."""
        found: list[Parameter] = []
        seen: set[int] = set()
        for value in vars(self).values():
            candidates = value if isinstance(value, (list, tuple)) else [value]
            for item in candidates:
                params: list[Parameter] = [item] if isinstance(item, Parameter) else (
                    item.parameters() if isinstance(item, Module) else [])
                for p in params:
                    if id(p) not in seen:
                        seen.add(id(p))
                        found.append(p)
        return found

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, sub-module) pairs, in order: an attribute's name, or ``name.i`` inside a list."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                yield from ((f"{name}.{i}", v) for i, v in enumerate(value) if isinstance(v, Module))

    def modules(self) -> list[Module]:
        """This module and every module inside it, each once, parents first."""
        found: list[Module] = [self]
        for child in self.children():
            found += [m for m in child.modules() if all(m is not f for f in found)]
        return found

    def state_dict(self) -> dict[str, Array]:
        """Copies of every parameter and buffer (BatchNorm1d's running statistics), by name,
        as torch's ``state_dict``: ``"weight"``, ``"0.bias"``, ``"1.running_mean"``, …"""
        state: dict[str, Array] = {}
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                state[name] = value.data.copy()
        for name in self._buffers:
            state[name] = getattr(self, name).copy()
        for prefix, child in self.named_children():
            state.update({f"{prefix}.{key}": value for key, value in child.state_dict().items()})
        return state

    def load_state_dict(self, state_dict: Mapping[str, ArrayLike]) -> None:
        """Copy the arrays of ``state_dict`` (from ``state_dict()``) into the parameters and
        buffers, in place. The names must be exactly this module's and the shapes its own."""
        mine = self.state_dict()
        missing, unexpected = sorted(set(mine) - set(state_dict)), sorted(set(state_dict) - set(mine))
        if missing or unexpected:
            raise KeyError(f"state_dict does not fit {type(self).__name__}: missing {missing}, "
                           f"unexpected {unexpected}")
        for name, value in state_dict.items():
            if np.shape(value) != mine[name].shape:
                raise ValueError(f"state_dict[{name!r}] has shape {np.shape(value)}, the module "
                                 f"expects {mine[name].shape}")
        self._load(state_dict, "")

    def _load(self, state_dict: Mapping[str, ArrayLike], prefix: str) -> None:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                value.data[...] = state_dict[prefix + name]
        for name in self._buffers:
            getattr(self, name)[...] = state_dict[prefix + name]
        for child_prefix, child in self.named_children():
            child._load(state_dict, f"{prefix}{child_prefix}.")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default, as torch 2), or to zeros in place."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    def train(self, mode: bool = True) -> Self:
        """Switch to training mode (Dropout drops, BatchNorm1d uses batch statistics)."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Self:
        """Switch to evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def _cached(self, name: str) -> NDArray[Any]:
        """Return what forward cached under ``name``, or explain that backward came first."""
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value


class Sequential(Module):
    """Layers applied in order: y = layer_n(... layer_1(x)); backward runs them in reverse."""

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential layer {i} must be a Module, got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x: ArrayLike) -> Array:
        y = np.asarray(x)
        for layer in self.layers:
            y = layer(y)
        return y

    def backward(self, grad_output: ArrayLike) -> Array:
        grad = np.asarray(grad_output)
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The layers, named by position as torch's Sequential: ``"0"``, ``"1"``, …"""
        return ((str(i), layer) for i, layer in enumerate(self.layers))

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> list[Module]: ...
    def __getitem__(self, index: int | slice) -> Module | list[Module]:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential(\n  {inner}\n)"
