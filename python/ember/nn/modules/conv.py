"""Convolution layers of ``ember.nn``: ``Conv1d``, ``Conv2d``, ``Conv3d``, ``ConvTranspose1d``,
``ConvTranspose2d``, ``ConvTranspose3d``."""

from __future__ import annotations

import math
from typing import Any

from ... import empty
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(v: Any, n: int, name: str, cls: str) -> tuple[int, ...]:
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,) * n
    try:
        t = tuple(v)
    except TypeError:
        raise ValueError(f"{cls}: {name} must be an int or a tuple of {n} ints, got {v!r}") from None
    if len(t) == 1:
        t = t * n
    if len(t) != n or not all(isinstance(e, int) and not isinstance(e, bool) for e in t):
        raise ValueError(f"{cls}: {name} must be an int or a tuple of {n} ints, got {v!r}")
    return t


class _ConvNd(Module):
    _n = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding: Any = 0,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cls = type(self).__name__
        n = self._n
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"{cls}: {name} must be a positive int, got {v!r}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{cls}: groups must be a positive int, got {groups!r}")
        if in_channels % groups != 0:
            raise ValueError(
                f"{cls}: in_channels ({in_channels}) must be divisible by groups ({groups})"
            )
        if out_channels % groups != 0:
            raise ValueError(
                f"{cls}: out_channels ({out_channels}) must be divisible by groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{cls}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"{cls}: padding_mode={padding_mode!r} is not implemented yet; only 'zeros' is "
                "supported (pad the input explicitly instead)"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, n, "kernel_size", cls)
        if any(k <= 0 for k in self.kernel_size):
            raise ValueError(f"{cls}: kernel_size must be positive, got {kernel_size!r}")
        self.stride = _tuple(stride, n, "stride", cls)
        if any(s <= 0 for s in self.stride):
            raise ValueError(f"{cls}: stride must be positive, got {stride!r}")
        if isinstance(padding, str):
            if self._transposed or padding not in ("same", "valid"):
                raise ValueError(
                    f"{cls}: padding must be an int, a tuple of ints"
                    + ("" if self._transposed else ", 'same' or 'valid'")
                    + f", got {padding!r}"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{cls}: padding='same' is not supported for strided convolutions, "
                    f"got stride={self.stride}"
                )
            self.padding: Any = padding
        else:
            self.padding = _tuple(padding, n, "padding", cls)
            if any(p < 0 for p in self.padding):
                raise ValueError(f"{cls}: padding must be non-negative, got {padding!r}")
        self.dilation = _tuple(dilation, n, "dilation", cls)
        if any(d <= 0 for d in self.dilation):
            raise ValueError(f"{cls}: dilation must be positive, got {dilation!r}")
        self.output_padding = _tuple(output_padding, n, "output_padding", cls)
        self.transposed = self._transposed
        self.groups = groups
        self.padding_mode = padding_mode
        kw = {} if dtype is None else {"dtype": dtype}
        if self._transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(empty(*shape, **kw))
        if bias:
            self.bias = Parameter(empty(out_channels, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialization: ``kaiming_uniform_(weight, a=sqrt(5))``, i.e.
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = weight.shape[1] * prod(kernel_size)``,
        and the bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = int(self.weight.shape[1]) * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """Conv1d / Conv2d: PyTorch's constructor signature; forward applies ``_conv``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype=dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        """Applies the convolution; shapes, dtypes and errors as in the class docstring."""
        return self._conv(input, self.weight, self.bias, self.stride, self.padding,
                          self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution layer: ``F.conv1d(input, weight, bias, stride, padding, dilation, groups)``.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: int or 1-tuple.
        stride: int or 1-tuple. Default 1.
        padding: int, 1-tuple, ``'valid'`` or ``'same'``. Default 0.
        dilation: int or 1-tuple. Default 1.
        groups: channel groups (both channel counts divisible by it). Default 1.
        bias: learn an additive bias. Default True.
        padding_mode: only ``'zeros'`` (others raise NotImplementedError).
        dtype: parameter dtype (default float32).
    Attributes:
        weight: ``(out_channels, in_channels / groups, kernel_size)``, kaiming-uniform
            (``a = sqrt(5)``), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        bias: ``(out_channels,)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Shape:
        ``(N, C_in, L)`` or ``(C_in, L)`` -> ``(N, C_out, L_out)``.
    Raises:
        ValueError: non-positive sizes, channels not divisible by groups, bad padding.
    """

    _n = 1
    _conv = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution layer: ``F.conv2d(input, weight, bias, stride, padding, dilation, groups)``.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: int or ``(kH, kW)``.
        stride: int or pair. Default 1.
        padding: int, pair, ``'valid'`` or ``'same'`` (stride 1 only). Default 0.
        dilation: int or pair. Default 1.
        groups: channel groups; ``groups == in_channels`` is a depthwise convolution. Default 1.
        bias: learn an additive bias. Default True.
        padding_mode: only ``'zeros'`` (others raise NotImplementedError).
        dtype: parameter dtype (default float32).
    Attributes:
        weight: ``(out_channels, in_channels / groups, kH, kW)``, kaiming-uniform
            (``a = sqrt(5)``), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            ``fan_in = in_channels / groups * kH * kW``.
        bias: ``(out_channels,)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Shape:
        ``(N, C_in, H, W)`` or ``(C_in, H, W)`` -> ``(N, C_out, H_out, W_out)`` with
        ``H_out = (H + 2 pH - dH (kH - 1) - 1) // sH + 1``.
    Raises:
        ValueError: non-positive sizes, channels not divisible by groups, bad padding.
    Example:
        >>> conv = nn.Conv2d(1, 6, 5)
        >>> conv
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
        >>> conv(ember.zeros(2, 1, 28, 28)).shape
        (2, 6, 24, 24)
    """

    _n = 2
    _conv = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution layer: ``F.conv3d(input, weight, bias, stride, padding, dilation, groups)``.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: int or ``(kD, kH, kW)``.
        stride: int or triple. Default 1.
        padding: int, triple, ``'valid'`` or ``'same'`` (stride 1 only). Default 0.
        dilation: int or triple. Default 1.
        groups: channel groups (both channel counts divisible by it). Default 1.
        bias: learn an additive bias. Default True.
        padding_mode: only ``'zeros'`` (others raise NotImplementedError).
        dtype: parameter dtype (default float32).
    Attributes:
        weight: ``(out_channels, in_channels / groups, kD, kH, kW)``, kaiming-uniform
            (``a = sqrt(5)``), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            ``fan_in = in_channels / groups * kD * kH * kW``.
        bias: ``(out_channels,)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Shape:
        ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)`` -> ``(N, C_out, D_out, H_out, W_out)``
        with ``D_out = (D + 2 pD - dD (kD - 1) - 1) // sD + 1`` (likewise ``H``, ``W``).
    Raises:
        ValueError: non-positive sizes, channels not divisible by groups, bad padding; at call
            time the errors of :func:`ember.nn.functional.conv3d`.
    Example:
        >>> conv = nn.Conv3d(2, 4, 3, padding=1)
        >>> conv
        Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))
        >>> conv(ember.zeros(1, 2, 5, 6, 7)).shape
        (1, 4, 5, 6, 7)
    """

    _n = 3
    _conv = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    """ConvTranspose1d / ConvTranspose2d: PyTorch's constructor signature; forward applies
    ``_conv`` with the output padding that ``output_size`` asks for."""

    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, output_padding=output_padding, dtype=dtype,
        )

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        """Applies the transposed convolution; ``output_size`` optionally selects the output
        padding. Shapes, dtypes and errors as in the class docstring."""
        op = self._output_padding(input, output_size)
        return self._conv(input, self.weight, self.bias, self.stride, self.padding, op,
                          self.groups, self.dilation)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        # An explicit output_size picks the output_padding that produces it (PyTorch's rule).
        if output_size is None:
            return self.output_padding
        n = self._n
        cls = type(self).__name__
        size = list(output_size)[-n:]
        if len(size) != n:
            raise ValueError(f"{cls}: output_size must have {n} or {n + 2} entries, got {output_size!r}")
        spatial = tuple(input.shape)[-n:]
        res = []
        for i in range(n):
            lo = ((spatial[i] - 1) * self.stride[i] - 2 * self.padding[i]
                  + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            hi = lo + self.stride[i] - 1
            if not lo <= size[i] <= hi:
                raise ValueError(
                    f"{cls}: requested output_size {tuple(output_size)} is not reachable; "
                    f"sizes from {lo} to {hi} are possible for input shape {tuple(input.shape)}"
                )
            res.append(size[i] - lo)
        return tuple(res)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution layer (``F.conv_transpose1d``).

    Args:
        in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
        dilation, padding_mode, dtype: as :class:`ConvTranspose2d`, one spatial dim.
    Attributes:
        weight: ``(in_channels, out_channels / groups, kW)``, kaiming-uniform (``a = sqrt(5)``)
            with PyTorch's ``fan_in = weight.shape[1] * kW``.
        bias: ``(out_channels,)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Shape:
        ``(N, C_in, L)`` -> ``(N, C_out, (L - 1) s - 2 p + d (k - 1) + output_padding + 1)``.
    """

    _n = 1
    _conv = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution layer (``F.conv_transpose2d``), the gradient of ``Conv2d``
    with respect to its input; used for learned upsampling.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: int or pair.
        stride: int or pair. Default 1.
        padding: int or pair; removes ``padding`` cells from each side of the output. Default 0.
        output_padding: int or pair added at the bottom/right; smaller than stride or dilation.
        groups: channel groups. Default 1.
        bias: learn an additive bias. Default True.
        dilation: int or pair. Default 1.
        padding_mode: only ``'zeros'``.
        dtype: parameter dtype (default float32).
    Attributes:
        weight: ``(in_channels, out_channels / groups, kH, kW)``, kaiming-uniform
            (``a = sqrt(5)``) with PyTorch's ``fan_in = weight.shape[1] * kH * kW``.
        bias: ``(out_channels,)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Shape:
        ``(N, C_in, H, W)`` -> ``(N, C_out, H_out, W_out)``,
        ``H_out = (H - 1) sH - 2 pH + dH (kH - 1) + opH + 1``.
    Raises:
        ValueError: bad sizes or an unreachable ``output_size`` in ``forward``.
    """

    _n = 2
    _conv = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution layer (``F.conv_transpose3d``), the gradient of ``Conv3d``
    with respect to its input; used for learned volumetric upsampling.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: int or triple.
        stride: int or triple. Default 1.
        padding: int or triple; removes ``padding`` cells from each side of the output.
            Default 0.
        output_padding: int or triple added at the end of each output dim; smaller than stride
            or dilation. Default 0.
        groups: channel groups. Default 1.
        bias: learn an additive bias. Default True.
        dilation: int or triple. Default 1.
        padding_mode: only ``'zeros'``.
        dtype: parameter dtype (default float32).
    Attributes:
        weight: ``(in_channels, out_channels / groups, kD, kH, kW)``, kaiming-uniform
            (``a = sqrt(5)``) with PyTorch's ``fan_in = weight.shape[1] * kD * kH * kW``.
        bias: ``(out_channels,)``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    Shape:
        ``(N, C_in, D, H, W)`` -> ``(N, C_out, D_out, H_out, W_out)``,
        ``D_out = (D - 1) sD - 2 pD + dD (kD - 1) + opD + 1`` (likewise ``H``, ``W``).
    Raises:
        ValueError: bad sizes or an unreachable ``output_size`` in ``forward``.
    Example:
        >>> up = nn.ConvTranspose3d(4, 2, 2, stride=2)
        >>> up(ember.zeros(1, 4, 2, 3, 3)).shape
        (1, 2, 4, 6, 6)
    """

    _n = 3
    _conv = staticmethod(F.conv_transpose3d)
