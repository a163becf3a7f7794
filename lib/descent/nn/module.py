"""Parameters and modules: the containers every layer and model is built from."""
import numpy as np


class Parameter:
    """A trainable array and its gradient.

    ``data`` holds the values (float64 unless ``dtype`` says otherwise); ``grad`` has the same
    shape and dtype, starts at zero and accumulates dL/d(data) on every ``backward`` until
    ``zero_grad`` resets it. Optimizers update ``data`` in place.
    """

    def __init__(self, data, dtype=None):
        array = np.array(data, dtype=dtype, copy=True)
        if dtype is None and (array.dtype == bool or np.issubdtype(array.dtype, np.integer)):
            array = array.astype(np.float64)
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"Parameter dtype must be a floating type, got {array.dtype}")
        self.data = array
        self.grad = np.zeros_like(array)

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``forward`` computes and caches what ``backward`` needs; ``backward``
    takes dL/d(output), accumulates dL/dθ into each parameter's ``grad`` and returns dL/d(input).

    Parameters and sub-modules are found among the attributes, in definition order.
    """

    training = True

    _cache = ()  # names of what forward stores for backward; cleared before every forward

    def __call__(self, x):
        for name in self._cache:
            setattr(self, name, None)  # a forward that raises leaves nothing stale behind
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    def children(self):
        """The sub-modules held as attributes (or in lists/tuples of attributes), in order."""
        for value in vars(self).values():
            if isinstance(value, Module):
                yield value
            elif isinstance(value, (list, tuple)):
                yield from (v for v in value if isinstance(v, Module))

    def parameters(self):
        """All Parameters of this module and its children, in definition order, each once."""
        found, seen = [], set()
        for value in vars(self).values():
            candidates = value if isinstance(value, (list, tuple)) else [value]
            for item in candidates:
                params = [item] if isinstance(item, Parameter) else (
                    item.parameters() if isinstance(item, Module) else [])
                for p in params:
                    if id(p) not in seen:
                        seen.add(id(p))
                        found.append(p)
        return found

    def zero_grad(self):
        """Set every parameter's gradient to zero, in place."""
        for p in self.parameters():
            p.grad[...] = 0.0

    def train(self, mode=True):
        """Switch to training mode (Dropout drops, BatchNorm1d uses batch statistics)."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Switch to evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def _cached(self, name):
        """Return what forward cached under ``name``, or explain that backward came first."""
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value


class Sequential(Module):
    """Layers applied in order: y = layer_n(... layer_1(x)); backward runs them in reverse."""

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential layer {i} must be a Module, got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_output):
        for layer in reversed(self.layers):
            grad_output = layer.backward(grad_output)
        return grad_output

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential(\n  {inner}\n)"
