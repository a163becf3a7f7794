"""Optimizers with torch.optim's names, arguments, defaults and update rules.

Each takes a list of ``descent.nn.Parameter`` (or of parameter-group dicts) and a rate ``lr``
that is a number or a schedule from ``descent.schedules``.
"""
from descent.optim.optimizer import Optimizer
from descent.optim.sgd import SGD

__all__ = ["Optimizer", "SGD"]

# Second-order methods (driven by step(closure)) and the line searches they use.
from descent.optim import line_search  # noqa: E402
from descent.optim.bfgs import BFGS  # noqa: E402
from descent.optim.lbfgs import LBFGS  # noqa: E402
from descent.optim.least_squares import GaussNewton, LevenbergMarquardt  # noqa: E402
from descent.optim.newton import Newton  # noqa: E402
from descent.optim.newton_cg import NewtonCG  # noqa: E402

__all__ += ["line_search", "LBFGS", "BFGS", "Newton", "NewtonCG", "GaussNewton",
            "LevenbergMarquardt"]
