"""SGD's own contract: torch's defaults, torch's argument checks, and where its rate sits.
(Its trajectories against torch are in test_optim.py, from tests/reference/optim_sgd.npz.)"""
import inspect
import re

import numpy as np
import pytest

from descent import nn, optim, schedules


def params():
    return [nn.Parameter(np.ones((2, 3))), nn.Parameter(np.zeros(2))]


def test_defaults_are_torch_defaults():
    signature = inspect.signature(optim.SGD)
    defaults = {k: v.default for k, v in signature.parameters.items() if k != "params"}
    assert defaults == dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                            nesterov=False, maximize=False)


@pytest.mark.parametrize("kwargs, name", [
    (dict(lr=-0.1), "lr"), (dict(momentum=-0.9), "momentum"),
    (dict(weight_decay=-1e-4), "weight_decay"), (dict(nesterov=True), "nesterov"),
    (dict(nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    (dict(dampening=float("nan")), "dampening"),
])
def test_bad_arguments_rejected(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}(?!\w)"):
        optim.SGD(params(), **kwargs)


def test_bad_groups_rejected():
    p = params()
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([])
    with pytest.raises(ValueError, match="more than one place"):
        optim.SGD([{"params": [p[0]]}, {"params": [p[0], p[1]]}])
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD([{"params": [p[0]]}, {"params": [p[1]], "momentum": -1.0}], lr=0.1)


def test_momentum_buffer_is_per_parameter_state():
    p = params()
    opt = optim.SGD(p, lr=0.1, momentum=0.9)
    for q in p:
        q.grad[...] = 1.0
    opt.step()
    assert set(opt.state) == set(p)
    assert all(np.array_equal(opt.state[q]["momentum_buffer"], np.ones(q.shape)) for q in p)


def test_rate_outside_the_buffer():
    """With a constant rate torch's form (η outside the buffer) equals Keras' v ← μv − ηg;
    once a schedule changes η they part: the buffer remembers gradients, not steps."""
    def run(lr):
        p = nn.Parameter(np.array([1.0]))
        opt = optim.SGD([p], lr=lr, momentum=0.9)
        v, theta = 0.0, 1.0
        for t in range(30):
            p.grad[...] = p.data                     # f = θ²/2
            opt.step()
            v = 0.9 * v - lr(t) * theta if callable(lr) else 0.9 * v - lr * theta
            theta = theta + v
        return p.data[0], theta

    ours, keras = run(0.1)
    assert ours == pytest.approx(keras, rel=1e-12)
    ours, keras = run(schedules.step_decay(0.1, 10, 0.1))
    assert abs(ours - keras) > 1e-3 * abs(keras)
