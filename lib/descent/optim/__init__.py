"""Optimizers with torch.optim's names, arguments, defaults and update rules.

Each takes a list of ``descent.nn.Parameter`` (or of parameter-group dicts) and a rate ``lr``
that is a number or a schedule from ``descent.schedules``.
"""
from descent.optim import line_search
from descent.optim.bfgs import BFGS
from descent.optim.lbfgs import LBFGS
from descent.optim.least_squares import GaussNewton, LevenbergMarquardt
from descent.optim.newton import Newton
from descent.optim.newton_cg import NewtonCG
from descent.optim.optimizer import Optimizer
from descent.optim.sgd import SGD
from descent.optim.adagrad import Adagrad
from descent.optim.rmsprop import RMSprop
from descent.optim.adadelta import Adadelta
from descent.optim.adam import Adam, AdamW
from descent.optim.nadam import NAdam
from descent.optim.adamax import Adamax
from descent.optim.radam import RAdam
from descent.optim.rprop import Rprop
from descent.optim.asgd import ASGD
from descent.optim.adafactor import Adafactor
from descent.optim.muon import Muon, newton_schulz
from descent.optim.lion import Lion
from descent.optim.schedule_free import AdamWScheduleFree, SGDScheduleFree
from descent.optim.prodigy import Prodigy
from descent.optim.sam import SAM
from descent.optim.memory import state_bytes_per_parameter

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam",
           "Adamax", "RAdam", "line_search", "LBFGS", "BFGS", "Newton", "NewtonCG",
           "GaussNewton", "LevenbergMarquardt", "Rprop", "ASGD", "Adafactor", "Muon",
           "newton_schulz", "Lion", "SGDScheduleFree", "AdamWScheduleFree", "Prodigy", "SAM",
           "state_bytes_per_parameter"]
