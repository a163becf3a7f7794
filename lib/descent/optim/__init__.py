"""Optimizers with torch.optim's names, arguments, defaults and update rules.

Each takes a list of ``descent.nn.Parameter`` (or of parameter-group dicts) and a rate ``lr``
that is a number or a schedule from ``descent.schedules``.
"""
from descent.optim import line_search
from descent.optim.bfgs import BFGS
from descent.optim.lbfgs import LBFGS
from descent.optim.optimizer import Optimizer
from descent.optim.sgd import SGD

__all__ = ["Optimizer", "SGD"]
__all__ += ["line_search", "LBFGS", "BFGS"]
