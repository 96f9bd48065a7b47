"""Pooling layers of ``ember.nn``: max, average and adaptive pooling over 1-D, 2-D and 3-D
inputs, and power-average (LP) pooling."""

from __future__ import annotations

from typing import Any

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
]


class _MaxPoolNd(Module):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling (``F.max_pool1d``) over ``(N, C, L)`` or ``(C, L)``.

    Args:
        kernel_size, stride (default ``kernel_size``), padding, dilation, return_indices,
        ceil_mode: as :class:`MaxPool2d` with one spatial dim.
    """

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """Applies :class:`MaxPool1d`; see the class docstring."""
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling (``F.max_pool2d``).

    Args:
        kernel_size: int or ``(kH, kW)``.
        stride: int or pair; default (None) is ``kernel_size``.
        padding: int or pair of implicit ``-inf`` padding, at most half the effective kernel.
        dilation: int or pair. Default 1.
        return_indices: also return the int64 flat positions ``h * W + w`` of the maxima.
        ceil_mode: round output sizes up. Default False.
    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, H_out, W_out)``,
        ``H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1`` (ceil with ``ceil_mode``).
    Raises:
        ValueError: bad sizes or an empty output (at call time).
    Example:
        >>> nn.MaxPool2d(2)
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """Applies :class:`MaxPool2d`; see the class docstring."""
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """1-D average pooling (``F.avg_pool1d``) over ``(N, C, L)`` or ``(C, L)``.

    Args:
        kernel_size, stride (default ``kernel_size``), padding, ceil_mode, count_include_pad:
        as :class:`AvgPool2d` with one spatial dim.
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if (stride is not None) else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`AvgPool1d`; see the class docstring."""
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _single(v: Any) -> Any:
    return (v,) if isinstance(v, int) else tuple(v)


class AvgPool2d(Module):
    """2-D average pooling (``F.avg_pool2d``).

    Args:
        kernel_size: int or ``(kH, kW)``.
        stride: int or pair; default (None) is ``kernel_size``.
        padding: int or pair of zero padding, at most half the kernel size. Default 0.
        ceil_mode: round output sizes up. Default False.
        count_include_pad: include padding cells in the divisor. Default True.
        divisor_override: a fixed non-zero divisor, or None.
    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, H_out, W_out)``.
    Example:
        >>> nn.AvgPool2d(2)
        AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`AvgPool2d`; see the class docstring."""
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveNd(Module):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveNd):
    """Adaptive average pooling of ``(N, C, L)`` to length ``output_size``."""

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`AdaptiveAvgPool1d`."""
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptiveNd):
    """Adaptive average pooling of ``(N, C, H, W)`` to ``output_size`` (int or pair; a None
    entry keeps that input size). ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, oH, oW)``.
    Example:
        >>> nn.AdaptiveAvgPool2d((1, 1))
        AdaptiveAvgPool2d(output_size=(1, 1))
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`AdaptiveAvgPool2d`."""
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptiveNd):
    """Adaptive max pooling of ``(N, C, L)`` to length ``output_size`` (``return_indices``
    also returns the int64 positions)."""

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """Applies :class:`AdaptiveMaxPool1d`."""
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveNd):
    """Adaptive max pooling of ``(N, C, H, W)`` to ``output_size`` (``return_indices`` also
    returns the int64 flat positions ``h * W + w``)."""

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """Applies :class:`AdaptiveMaxPool2d`."""
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling (``F.max_pool3d``) over ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    Args:
        kernel_size: int or ``(kD, kH, kW)``.
        stride: int or triple; default (None) is ``kernel_size``.
        padding: int or triple of implicit ``-inf`` padding, at most half the kernel size.
            Default 0.
        dilation: int or triple. Default 1.
        return_indices: also return the int64 flat positions ``d * H * W + h * W + w`` of the
            maxima.
        ceil_mode: round output sizes up. Default False.
    Shape:
        ``(N, C, D, H, W)`` -> ``(N, C, D_out, H_out, W_out)``,
        ``D_out = floor((D + 2 pD - dD (kD - 1) - 1) / sD) + 1`` (ceil with ``ceil_mode``).
    Raises:
        ValueError: bad sizes or an empty output (at call time).
    Example:
        >>> pool = nn.MaxPool3d(2)
        >>> pool
        MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(ember.zeros(1, 1, 4, 4, 4)).shape
        (1, 1, 2, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """Applies :class:`MaxPool3d`; see the class docstring."""
        return F.max_pool3d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )


class AvgPool3d(Module):
    """3-D average pooling (``F.avg_pool3d``) over ``(N, C, D, H, W)`` or ``(C, D, H, W)``.

    Args:
        kernel_size: int or ``(kD, kH, kW)``.
        stride: int or triple; default (None) is ``kernel_size``.
        padding: int or triple of zero padding, at most half the kernel size. Default 0.
        ceil_mode: round output sizes up. Default False.
        count_include_pad: include padding cells in the divisor. Default True.
        divisor_override: a fixed non-zero divisor, or None.
    Shape:
        ``(N, C, D, H, W)`` -> ``(N, C, D_out, H_out, W_out)``, sizes as :class:`MaxPool3d`.
    Raises:
        ValueError: bad sizes or an empty output (at call time).
    Example:
        >>> pool = nn.AvgPool3d(3, stride=2, padding=1)
        >>> pool
        AvgPool3d(kernel_size=3, stride=2, padding=1)
        >>> pool(ember.zeros(1, 1, 5, 5, 5)).shape
        (1, 1, 3, 3, 3)
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`AvgPool3d`; see the class docstring."""
        return F.avg_pool3d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(_AdaptiveNd):
    """Adaptive average pooling of ``(N, C, D, H, W)`` to ``output_size`` (int or triple; a None
    entry keeps that input size). ``AdaptiveAvgPool3d(1)`` is global average pooling.

    Args:
        output_size: int or ``(oD, oH, oW)``.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> ``(N, C, oD, oH, oW)``.
    Raises:
        ValueError: a non-positive output size or a bad input (at call time).
    Example:
        >>> nn.AdaptiveAvgPool3d((1, None, 2))(ember.zeros(1, 3, 4, 5, 6)).shape
        (1, 3, 1, 5, 2)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`AdaptiveAvgPool3d`."""
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveNd):
    """Adaptive max pooling of ``(N, C, D, H, W)`` to ``output_size`` (``return_indices`` also
    returns the int64 flat positions ``d * H * W + h * W + w``).

    Args:
        output_size: int or ``(oD, oH, oW)``; a None entry keeps that input size.
        return_indices: also return the indices. Default False.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> ``(N, C, oD, oH, oW)``.
    Raises:
        ValueError: a non-positive output size or a bad input (at call time).
    Example:
        >>> nn.AdaptiveMaxPool3d(2)(ember.zeros(1, 3, 4, 5, 6)).shape
        (1, 3, 2, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        """Applies :class:`AdaptiveMaxPool3d`."""
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _LPPoolNd(Module):
    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        if norm_type == 0:
            raise ValueError(f"{type(self).__name__}: norm_type must be non-zero, got {norm_type}")
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """1-D power-average pooling (``F.lp_pool1d``): ``(sum over the window of x ** p) ** (1 / p)``.

    Args:
        norm_type: the power ``p`` (1 is sum pooling, inf max pooling of ``|x|``).
        kernel_size: window size.
        stride: default (None) is ``kernel_size``.
        ceil_mode: round the output size up. Default False.
    Shape:
        ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, L_out)``, ``L_out = floor((L - k) / s) + 1``.
    Raises:
        ValueError: a zero ``norm_type``; bad sizes (at call time).
    Example:
        >>> nn.LPPool1d(2, 2)(ember.tensor([[[3.0, 4.0]]]))
        tensor([[[5.]]])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LPPool1d`; see the class docstring."""
        return F.lp_pool1d(
            input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode
        )


class LPPool2d(_LPPoolNd):
    """2-D power-average pooling (``F.lp_pool2d``): ``(sum over the window of x ** p) ** (1 / p)``.

    Args:
        norm_type: the power ``p``.
        kernel_size: int or ``(kH, kW)``.
        stride: int or pair; default (None) is ``kernel_size``.
        ceil_mode: round output sizes up. Default False.
    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, H_out, W_out)``.
    Raises:
        ValueError: a zero ``norm_type``; bad sizes (at call time).
    Example:
        >>> pool = nn.LPPool2d(2, 3)
        >>> pool
        LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)
        >>> pool(ember.ones(1, 1, 6, 6)).shape
        (1, 1, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LPPool2d`; see the class docstring."""
        return F.lp_pool2d(
            input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode
        )


class LPPool3d(_LPPoolNd):
    """3-D power-average pooling (``F.lp_pool3d``): ``(sum over the window of x ** p) ** (1 / p)``.

    Args:
        norm_type: the power ``p``.
        kernel_size: int or ``(kD, kH, kW)``.
        stride: int or triple; default (None) is ``kernel_size``.
        ceil_mode: round output sizes up. Default False.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> ``(N, C, D_out, H_out, W_out)``.
    Raises:
        ValueError: a zero ``norm_type``; bad sizes (at call time).
    Example:
        >>> nn.LPPool3d(1, 2)(ember.ones(1, 1, 2, 2, 2)).flatten()
        tensor([8.])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LPPool3d`; see the class docstring."""
        return F.lp_pool3d(
            input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode
        )
