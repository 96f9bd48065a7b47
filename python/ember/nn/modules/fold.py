"""``Fold`` and ``Unfold``: col2im and im2col (sliding local blocks)."""

from __future__ import annotations

from typing import Any

from ..._C import Tensor
from .. import functional as F
from .._functional_conv_more import _fold_args, _ints, _positive
from .module import Module

__all__ = ["Fold", "Unfold"]


class Unfold(Module):
    """Extracts sliding local blocks (im2col, ``F.unfold``): column ``l`` of the output holds
    block ``l`` of every channel, flattened as ``(c * kH + i) * kW + j``.

    Args:
        kernel_size: int or ``(kH, kW)``.
        dilation: int or pair. Default 1.
        padding: int or pair of zeros added to both sides. Default 0.
        stride: int or pair. Default 1.
    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C * kH * kW, L)``, ``L`` the number of blocks
        ``prod((size + 2 p - d (k - 1) - 1) // s + 1)``.
    Raises:
        ValueError: a non-positive kernel size, dilation or stride, or negative padding; at call
            time, an input with no complete block.
    Example:
        >>> unfold = nn.Unfold(kernel_size=(2, 3))
        >>> unfold
        Unfold(kernel_size=(2, 3), dilation=1, padding=0, stride=1)
        >>> unfold(ember.randn(2, 5, 3, 4)).shape
        (2, 30, 4)
    """

    def __init__(
        self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
    ) -> None:
        super().__init__()
        _fold_args("Unfold", kernel_size, dilation, padding, stride)
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Unfold`; see the class docstring."""
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding},"
            f" stride={self.stride}"
        )


class Fold(Module):
    """Combines sliding local blocks into an image (col2im, ``F.fold``), summing overlapping
    values: the adjoint of :class:`Unfold`.

    Args:
        output_size: int or ``(H, W)``, the spatial size of the image.
        kernel_size: int or ``(kH, kW)``.
        dilation: int or pair. Default 1.
        padding: int or pair of implicit zeros on both sides. Default 0.
        stride: int or pair. Default 1.
    Shape:
        ``(N, C * kH * kW, L)`` or ``(C * kH * kW, L)`` -> ``(N, C, H, W)``.
    Raises:
        ValueError: non-positive sizes, dilation or stride, or negative padding; at call time,
            an input whose sizes do not match the blocks.
    Example:
        >>> fold = nn.Fold(output_size=(4, 5), kernel_size=(2, 2))
        >>> fold
        Fold(output_size=(4, 5), kernel_size=(2, 2), dilation=1, padding=0, stride=1)
        >>> fold(ember.randn(1, 3 * 2 * 2, 12)).shape
        (1, 3, 4, 5)
    """

    def __init__(
        self,
        output_size: Any,
        kernel_size: Any,
        dilation: Any = 1,
        padding: Any = 0,
        stride: Any = 1,
    ) -> None:
        super().__init__()
        _fold_args("Fold", kernel_size, dilation, padding, stride)
        _positive(_ints(output_size, 2, "output_size", "Fold"), "output_size", "Fold", output_size)
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Fold`; see the class docstring."""
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
