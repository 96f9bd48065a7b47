"""Padding layers of ``ember.nn``."""

from __future__ import annotations

from collections.abc import Sequence

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ZeroPad1d",
    "ZeroPad2d",
]


def _ntuple(padding: int | Sequence[int], n: int, name: str) -> tuple[int, ...]:
    if isinstance(padding, int):
        return (padding,) * n
    padding = tuple(int(p) for p in padding)
    if len(padding) != n:
        raise ValueError(f"{name}: padding must be an int or a tuple of {n} ints, got {padding}")
    return padding


class _PadNd(Module):
    _n = 4
    _mode = "constant"

    def __init__(self, padding: int | Sequence[int], value: float = 0.0) -> None:
        super().__init__()
        self.padding = _ntuple(padding, self._n, type(self).__name__)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        """Pads ``input``; see the class docstring."""
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pads the last dim with ``value``.

    Args:
        padding: int (both sides) or ``(left, right)``; negative values crop.
        value: fill value.
    Shape:
        ``(*, W)`` -> ``(*, W + left + right)``.
    """

    _n = 2

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(_PadNd):
    """Pads the last two dims with ``value``.

    Args:
        padding: int (all sides) or ``(left, right, top, bottom)``; negative values crop.
        value: fill value.
    Shape:
        ``(*, H, W)`` -> ``(*, H + top + bottom, W + left + right)``.
    """

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"padding={self.padding}, value={self.value}"


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros; ``padding`` as in :class:`ConstantPad1d`."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros; ``padding`` int or ``(left, right, top, bottom)``.

    Shape:
        ``(*, H, W)`` -> ``(*, H + top + bottom, W + left + right)``.
    """

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pads the last dim with its mirror image (edge not repeated: ``[1, 2, 3]`` padded by 2
    on the left gives ``[3, 2, 1, 2, 3]``).

    Args:
        padding: int or ``(left, right)``, each smaller than the padded dim.
    Shape:
        ``(C, W)`` or ``(N, C, W)`` -> ``(*, W + left + right)``; floating dtype.
    Raises:
        ValueError: a pad not smaller than the dim.
    """

    _n = 2
    _mode = "reflect"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding)


class ReflectionPad2d(_PadNd):
    """Pads the last two dims with their mirror image (edge not repeated).

    Args:
        padding: int or ``(left, right, top, bottom)``, each smaller than its dim.
    Shape:
        ``(C, H, W)`` or ``(N, C, H, W)`` -> ``(*, H + top + bottom, W + left + right)``.
    Raises:
        ValueError: a pad not smaller than its dim.
    """

    _mode = "reflect"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding)


class ReplicationPad1d(_PadNd):
    """Pads the last dim by repeating its edge values.

    Args:
        padding: int or ``(left, right)``.
    Shape:
        ``(C, W)`` or ``(N, C, W)`` -> ``(*, W + left + right)``; floating dtype.
    """

    _n = 2
    _mode = "replicate"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding)


class ReplicationPad2d(_PadNd):
    """Pads the last two dims by repeating their edge values.

    Args:
        padding: int or ``(left, right, top, bottom)``.
    Shape:
        ``(C, H, W)`` or ``(N, C, H, W)`` -> ``(*, H + top + bottom, W + left + right)``.
    """

    _mode = "replicate"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding)
