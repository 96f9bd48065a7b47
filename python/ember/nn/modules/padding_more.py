"""3-D and circular padding layers of ``ember.nn``: ``ZeroPad3d``, ``ConstantPad3d``,
``ReflectionPad3d``, ``ReplicationPad3d``, ``CircularPad1d``, ``CircularPad2d`` and
``CircularPad3d`` (all through :func:`ember.nn.functional.pad`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..._C import Tensor
from .. import functional as F
from .padding import _PadNd

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad3d",
    "ReflectionPad3d",
    "ReplicationPad3d",
    "ZeroPad3d",
]


class ConstantPad3d(_PadNd):
    """Pads the last three dims with ``value``.

    Args:
        padding: int (all six sides) or ``(left, right, top, bottom, front, back)``; negative
            values crop.
        value: fill value.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` (any rank >= 3 works) ->
        ``(*, D + front + back, H + top + bottom, W + left + right)``; dtype kept.
    Raises:
        ValueError: ``padding`` not an int or 6-tuple; a negative result size at call time.
    Example:
        >>> m = nn.ConstantPad3d(1, 3.5)
        >>> m
        ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=3.5)
        >>> m(ember.zeros(1, 1, 1, 1, 1)).shape
        (1, 1, 3, 3, 3)
    """

    _n = 6

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"padding={self.padding}, value={self.value}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros; ``padding`` int or
    ``(left, right, top, bottom, front, back)`` (negative values crop).

    Shape:
        ``(*, D, H, W)`` -> ``(*, D + front + back, H + top + bottom, W + left + right)``.
    Raises:
        ValueError: ``padding`` not an int or 6-tuple.
    Example:
        >>> nn.ZeroPad3d((1, 2, 3, 4, 5, 6))
        ZeroPad3d((1, 2, 3, 4, 5, 6))
    """

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"{self.padding}"


class ReflectionPad3d(_PadNd):
    """Pads the last three dims with their mirror image (edge not repeated).

    Args:
        padding: int or ``(left, right, top, bottom, front, back)``, each smaller than its dim.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` ->
        ``(*, D + front + back, H + top + bottom, W + left + right)``.
    Raises:
        ValueError: ``padding`` not an int or 6-tuple; a pad not smaller than its dim.
        NotImplementedError: an input that is not 4-D or 5-D.
    Example:
        >>> nn.ReflectionPad3d(1)(ember.arange(8.0).reshape(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _n = 6
    _mode = "reflect"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding)


class ReplicationPad3d(_PadNd):
    """Pads the last three dims by repeating their edge values.

    Args:
        padding: int or ``(left, right, top, bottom, front, back)``.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` ->
        ``(*, D + front + back, H + top + bottom, W + left + right)``.
    Raises:
        ValueError: ``padding`` not an int or 6-tuple; an empty padded dim.
        NotImplementedError: an input that is not 4-D or 5-D.
    """

    _n = 6
    _mode = "replicate"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding)


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding)

    def forward(self, input: Tensor) -> Tensor:
        """Pads ``input`` circularly; see the class docstring."""
        k = self._n // 2
        if not isinstance(input, Tensor) or input.dim() not in (k + 1, k + 2):
            got = (
                f"{input.dim()}D input of shape {tuple(input.shape)}"
                if isinstance(input, Tensor)
                else type(input).__name__
            )
            raise ValueError(
                f"{type(self).__name__}: expected {k + 1}D or {k + 2}D input (got {got})"
            )
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pads the last dim circularly: the left pad copies the last cells, the right pad the
    first ones (``[1, 2, 3]`` padded by 1 gives ``[3, 1, 2, 3, 1]``).

    Args:
        padding: int or ``(left, right)``, each at most the dim's size; negative values crop.
    Shape:
        ``(N, C, W)`` or ``(C, W)`` -> ``(*, W + left + right)``.
    Raises:
        ValueError: ``padding`` not an int or 2-tuple; an input that is not 2-D or 3-D; a pad
            larger than the dim.
    Example:
        >>> nn.CircularPad1d(1)(ember.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[3., 1., 2., 3., 1.]]])
    """

    _n = 2


class CircularPad2d(_CircularPadNd):
    """Pads the last two dims circularly (see :class:`CircularPad1d`).

    Args:
        padding: int or ``(left, right, top, bottom)``, each at most its dim's size.
    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(*, H + top + bottom, W + left + right)``.
    Raises:
        ValueError: ``padding`` not an int or 4-tuple; an input that is not 3-D or 4-D; a pad
            larger than its dim.
    """

    _n = 4


class CircularPad3d(_CircularPadNd):
    """Pads the last three dims circularly (see :class:`CircularPad1d`).

    Args:
        padding: int or ``(left, right, top, bottom, front, back)``, each at most its dim's
            size.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` ->
        ``(*, D + front + back, H + top + bottom, W + left + right)``.
    Raises:
        ValueError: ``padding`` not an int or 6-tuple; an input that is not 4-D or 5-D; a pad
            larger than its dim.
    """

    _n = 6
