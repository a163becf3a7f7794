"""Learning-rate schedules: pure functions of t, the number of optimizer steps already taken.

``s = cosine_annealing(0.1, T_max=100)`` gives ``s(t)``, the rate of step t+1, for an int t ≥ 0
or an integer array (for plots). Pass ``s`` as an optimizer's ``lr``. For every setting, ``s(t)``
equals the rate torch's scheduler of the same name gives after t calls of ``scheduler.step()``.
``ReduceLROnPlateau`` is the exception: it watches a metric, so it keeps state, as in torch.
"""
from descent.schedules.base import Schedule
from descent.schedules.compose import sequential, warmup
from descent.schedules.cyclical import (CyclicSchedule, cosine_annealing, cosine_restarts, cyclic,
                                        one_cycle)
from descent.schedules.decay import (constant, exponential_decay, inverse_time_decay, linear,
                                     multistep_decay, polynomial_decay, step_decay)
from descent.schedules.plateau import ReduceLROnPlateau

__all__ = [
    "Schedule", "CyclicSchedule",
    "constant", "step_decay", "multistep_decay", "exponential_decay", "inverse_time_decay",
    "polynomial_decay", "linear", "cosine_annealing", "cosine_restarts", "cyclic", "one_cycle",
    "warmup", "sequential", "ReduceLROnPlateau",
]
