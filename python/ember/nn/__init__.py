"""Neural-network building blocks with PyTorch's names and semantics (``torch.nn``)."""

from . import functional, init, utils
from .modules import *  # noqa: F403 - the module list is defined once, in modules/__init__.py
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "utils", *_modules_all]
