"""Descent: backpropagation and the optimization of neural networks, in numpy.

Import the parts you need::

    from descent import nn, optim, schedules, problems, data, train, plot, widgets

``plot`` and ``widgets`` need matplotlib and ipywidgets; nothing else in the library imports them.
"""
from descent._random import seed

__version__ = "0.1.0"
__all__ = ["seed", "__version__"]
