"""Neural-network building blocks with PyTorch's names and semantics (``torch.nn``)."""

from . import functional, init, utils
from . import modules
from .modules import *
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "utils", *modules.__all__]
