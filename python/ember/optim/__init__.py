"""Optimizers and learning-rate schedules with PyTorch's names, defaults and update rules.

Every optimizer except LBFGS updates each param group with one fused C++ call
(``ember._C._<name>_step``) over all of the group's parameters that have a gradient: one pass
over each parameter and its state, following the order of operations of PyTorch's single-tensor
loops. LBFGS works on the parameters as one flat vector with ember ops (its loops run over its
history and line-search trials); ``swa_utils`` averages weights for SWA and EMA.
"""

from __future__ import annotations

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
    "swa_utils",
]
