"""Optimizers and learning-rate schedules with PyTorch's names, defaults and update rules.

SGD, Adam, AdamW, RMSprop and Adagrad update each param group with one fused C++ call
(``ember._C._<name>_step``) over all of the group's parameters that have a gradient; Adadelta,
Adamax, NAdam and RAdam are composed of in-place ember ops, one parameter at a time.
"""

from __future__ import annotations

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
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
    "lr_scheduler",
]
