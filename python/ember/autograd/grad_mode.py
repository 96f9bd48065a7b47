"""Grad-mode switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` (thread-local)."""

from __future__ import annotations

import functools
from typing import Any
from collections.abc import Callable

from .. import _C

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled"]

is_grad_enabled = _C.is_grad_enabled


class _GradModeBase:
    _mode: bool = False

    def __new__(cls, orig_func: Any = None, *args: Any, **kwargs: Any) -> Any:
        # Bare decorator form, ``@ember.no_grad`` (PyTorch accepts it as well as ``@no_grad()``).
        if callable(orig_func):
            return cls()(orig_func)
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)

    def __exit__(self, *exc: object) -> None:
        _C._set_grad_enabled(self._prev)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            """Runs the decorated function inside this grad mode."""
            with self.__class__() if not isinstance(self, set_grad_enabled) else set_grad_enabled(
                self._mode
            ):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeBase):
    """Context manager / decorator: ops inside record no autograd history.

    Example:
        >>> with ember.no_grad():
        ...     y = x * 2   # y.requires_grad is False
    """

    _mode = False


class enable_grad(_GradModeBase):
    """Context manager / decorator that turns autograd recording back on inside ``no_grad``."""

    _mode = True


class inference_mode(no_grad):
    """Alias of :class:`no_grad` (ember has no separate inference tensors)."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode


class set_grad_enabled(_GradModeBase):
    """Sets grad mode to ``mode``; works as a function call, context manager or decorator."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _C._set_grad_enabled(self._prev)

    def __call__(self, fn: Callable) -> Callable:
        # Used as a decorator: the constructor already switched the mode; undo that so only
        # calls of ``fn`` run under ``mode``.
        _C._set_grad_enabled(self._prev)
        return super().__call__(fn)
