"""``skip_init``: build a module whose parameters the caller initializes itself
(PyTorch's ``torch.nn.utils.init``)."""

from __future__ import annotations

import inspect
from typing import Any

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Module:
    """Instantiates ``module_cls(*args, **kwargs)`` for a caller that initializes its
    parameters and buffers itself.

    PyTorch builds the module on the ``meta`` device and allocates uninitialized memory, so the
    default initialization is skipped. ember has no meta device: the module is built normally
    (the default initialization runs, so this is not faster) and the values must be treated as
    arbitrary, exactly as PyTorch's uninitialized memory. The checks are PyTorch's.

    Args:
        module_cls: a :class:`~ember.nn.Module` subclass whose constructor takes ``device``.
        *args: positional arguments of the constructor.
        **kwargs: keyword arguments of the constructor (``device`` defaults to ``"cpu"``).
    Returns:
        The module.
    Raises:
        RuntimeError: ``module_cls`` is not a Module subclass, or its constructor has no
            ``device`` argument (PyTorch's errors).
    Example:
        >>> m = skip_init(nn.Linear, 5, 1)
        >>> m.weight.shape
        (1, 5)
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"skip_init: Expected a Module; got {module_cls}")  # noqa: TRY004
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError(
            f"skip_init: Module must support a 'device' arg to skip initialization "
            f"({module_cls.__name__}'s constructor has none)"
        )
    kwargs.setdefault("device", "cpu")
    return module_cls(*args, **kwargs)
