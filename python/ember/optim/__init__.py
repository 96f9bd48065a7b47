"""Optimizers and learning-rate schedules with PyTorch's names, defaults and update rules.

Every ``step()`` updates each param group with one fused C++ call (``ember._C._<name>_step``)
over all of the group's parameters that have a gradient.
"""

from __future__ import annotations

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
