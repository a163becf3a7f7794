"""Neural-network layers with explicit forward and backward passes, losses and gradient checks.

Names, shapes, formulas and default initialization follow torch.nn, so numbers carry over.
"""
from descent.nn import init, utils
from descent.nn.gradcheck import gradcheck, gradcheck_module, numerical_gradient, relative_error
from descent.nn.layers import (BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh,
                               sigmoid)
from descent.nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss, log_softmax
from descent.nn.module import Module, Parameter, Sequential

__all__ = [
    "Parameter", "Module", "Sequential",
    "Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Dropout", "BatchNorm1d", "sigmoid",
    "Loss", "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "log_softmax",
    "gradcheck", "gradcheck_module", "numerical_gradient", "relative_error", "init", "utils",
]
