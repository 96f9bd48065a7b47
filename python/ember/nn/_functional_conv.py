"""Functional convolution and pooling ops (re-exported by ``ember.nn.functional``).

Layout is PyTorch's channels-first: ``(N, C, L)`` for 1-D ops and ``(N, C, H, W)`` for 2-D ops;
the batch dim may be omitted (unbatched input). Inputs are float32 or float64; other dtypes raise
``TypeError``. Every function is a single call into the C++ core, which records autograd
(gradients of any order for convolutions and pooling).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import _C
from .._C import Tensor

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
]

_Size = int | Sequence[int]


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _Size = 1,
    padding: _Size | str = 0,
    dilation: _Size = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation over ``(N, C_in, L)`` input.

    ``out[n, o, l] = bias[o] + sum_{c, k} weight[o, c, k] * x_pad[n, g*C_in/groups + c,
    l * stride + k * dilation]`` where ``g`` is the group of output channel ``o``.

    Args:
        input: ``(N, C_in, L)`` or ``(C_in, L)``, float32/float64.
        weight: ``(C_out, C_in / groups, kW)``, input's dtype.
        bias: ``(C_out,)`` or None.
        stride: int or 1-tuple, positive. Default 1.
        padding: zero padding on both sides (int or 1-tuple), or ``'valid'`` (none) or
            ``'same'`` (output length = input length; stride must be 1; an odd total padding
            puts the extra cell at the end). Default 0.
        dilation: spacing between kernel taps, positive. Default 1.
        groups: ``C_in`` and ``C_out`` are split into this many independent groups. Default 1.
    Returns:
        ``(N, C_out, L_out)`` with ``L_out = (L + 2 * padding - dilation * (kW - 1) - 1) //
        stride + 1``.
    Raises:
        ValueError: wrong input rank, channel count, bias shape, groups, non-positive stride or
            dilation, negative padding, or a kernel larger than the padded input.
        TypeError: non-floating dtype, or weight/bias dtype differing from input's.
    """
    return _C._conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _Size = 1,
    padding: _Size | str = 0,
    dilation: _Size = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation over ``(N, C_in, H, W)`` input (PyTorch's ``F.conv2d``).

    ``out[n, o, i, j] = bias[o] + sum_{c, p, q} weight[o, c, p, q] * x_pad[n, g*C_in/groups + c,
    i * sH + p * dH, j * sW + q * dW]``. Computed as im2col + one GEMM per group (OpenBLAS).

    Args:
        input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``, float32/float64.
        weight: ``(C_out, C_in / groups, kH, kW)``, input's dtype.
        bias: ``(C_out,)`` or None.
        stride: int or ``(sH, sW)``, positive. Default 1.
        padding: int or ``(pH, pW)`` zeros on each side, or ``'valid'`` / ``'same'`` (stride 1
            only; odd total padding puts the extra row/column at the bottom/right). Default 0.
        dilation: int or ``(dH, dW)``, positive. Default 1.
        groups: number of channel groups; ``groups == C_in`` gives a depthwise convolution.
    Returns:
        ``(N, C_out, H_out, W_out)``, ``H_out = (H + 2 pH - dH (kH - 1) - 1) // sH + 1``.
    Raises:
        ValueError: non-3-D/4-D input, channel mismatch (``C_in != weight.shape[1] * groups``),
            ``C_out`` not divisible by groups, bad bias shape, bad stride/padding/dilation, or a
            (dilated) kernel larger than the padded input.
        TypeError: non-floating dtype or mismatched dtypes.
    Example:
        >>> x = ember.ones(1, 1, 3, 3)
        >>> F.conv2d(x, ember.ones(1, 1, 2, 2)).shape
        (1, 1, 2, 2)
    """
    return _C._conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _Size = 1,
    padding: _Size = 0,
    output_padding: _Size = 0,
    groups: int = 1,
    dilation: _Size = 1,
) -> Tensor:
    """Transposed 1-D convolution (the gradient of :func:`conv1d` with respect to its input).

    Args:
        input: ``(N, C_in, L)`` or ``(C_in, L)``.
        weight: ``(C_in, C_out / groups, kW)``.
        bias: ``(C_out,)`` or None.
        stride, padding, dilation: as for :func:`conv1d` (padding removes cells from both ends).
        output_padding: cells added at the end of the output; smaller than stride or dilation.
        groups: channel groups.
    Returns:
        ``(N, C_out, L_out)``, ``L_out = (L - 1) stride - 2 padding + dilation (kW - 1) +
        output_padding + 1``.
    Raises:
        ValueError: bad shapes or arguments (see :func:`conv_transpose2d`).
        TypeError: non-floating or mismatched dtypes.
    """
    return _C._conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _Size = 1,
    padding: _Size = 0,
    output_padding: _Size = 0,
    groups: int = 1,
    dilation: _Size = 1,
) -> Tensor:
    """Transposed 2-D convolution ("deconvolution"): the input gradient of :func:`conv2d`.

    Args:
        input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``, float32/float64.
        weight: ``(C_in, C_out / groups, kH, kW)``.
        bias: ``(C_out,)`` or None.
        stride: int or pair, positive. Default 1.
        padding: int or pair: ``dilation * (k - 1) - padding`` zeros are implicitly added to
            each side of the input. Default 0.
        output_padding: int or pair added to the bottom/right of the output; each entry must be
            smaller than the stride or the dilation. Default 0.
        groups: channel groups (``C_in`` divisible by it). Default 1.
        dilation: int or pair, positive. Default 1.
    Returns:
        ``(N, C_out, H_out, W_out)``, ``H_out = (H - 1) sH - 2 pH + dH (kH - 1) + opH + 1``.
    Raises:
        ValueError: wrong rank, ``C_in != weight.shape[0]``, groups not dividing ``C_in``, bad
            bias shape, output_padding too large, or an empty output.
        TypeError: non-floating or mismatched dtypes.
    """
    return _C._conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def max_pool1d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """1-D max pooling over ``(N, C, L)`` (see :func:`max_pool2d` for the rules).

    Returns:
        ``(N, C, L_out)`` maxima, and with ``return_indices`` also their int64 positions in
        ``[0, L)``.
    """
    out, idx = _C._max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool2d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """2-D max pooling over ``(N, C, H, W)`` (or ``(C, H, W)``).

    Padding cells count as ``-inf``; NaN is the maximum of any window holding one.

    Args:
        input: float32/float64, non-empty channel and spatial dims.
        kernel_size: int or ``(kH, kW)``.
        stride: int or pair; default (None) equals ``kernel_size``.
        padding: int or pair, at most half the effective kernel size. Default 0.
        dilation: int or pair. Default 1.
        ceil_mode: round the output size up (windows starting inside the input or left
            padding only). Default False.
        return_indices: also return the flat position ``h * W + w`` of each maximum.
    Returns:
        ``(N, C, H_out, W_out)`` with ``H_out = floor_or_ceil((H + 2 pH - dH (kH - 1) - 1) / sH)
        + 1``; with ``return_indices`` a tuple ``(values, int64 indices)``.
    Raises:
        ValueError: wrong rank, empty dims, bad kernel/stride/padding/dilation, or an output
            size below 1.
        TypeError: non-floating dtype.
    """
    out, idx = _C._max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def avg_pool1d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over ``(N, C, L)`` (see :func:`avg_pool2d` for the divisor rules)."""
    return _C._avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling over ``(N, C, H, W)`` (or ``(C, H, W)``).

    Each output is the window sum divided by ``divisor_override`` if given, else by the window
    size including zero padding (``count_include_pad=True``; windows running past the padding in
    ``ceil_mode`` are clipped) or by the number of real input cells in it.

    Args:
        input: float32/float64.
        kernel_size: int or ``(kH, kW)``.
        stride: int or pair; default (None) equals ``kernel_size``.
        padding: int or pair, at most half the kernel size. Default 0.
        ceil_mode: round the output size up. Default False.
        count_include_pad: count padding cells in the divisor. Default True.
        divisor_override: non-zero int divisor, or None.
    Returns:
        ``(N, C, H_out, W_out)``, sizes as for :func:`max_pool2d` with dilation 1.
    Raises:
        ValueError: wrong rank, bad sizes, zero divisor, or an output size below 1.
        TypeError: non-floating dtype.
    """
    return _C._avg_pool2d(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def _adaptive_size(input: Tensor, output_size: _Size | None, n: int) -> object:
    # None entries keep the input's size along that dim (PyTorch's convention).
    if output_size is None or isinstance(output_size, int):
        sizes = [output_size] * n
    else:
        sizes = list(output_size)
        if len(sizes) == 1:
            sizes = sizes * n
    if all(s is not None for s in sizes) or len(sizes) != n:
        return output_size
    spatial = tuple(input.shape)[-n:]
    return tuple(spatial[i] if s is None else s for i, s in enumerate(sizes))


def adaptive_avg_pool1d(input: Tensor, output_size: _Size) -> Tensor:
    """Adaptive average pooling of ``(N, C, L)`` to length ``output_size``.

    Output cell ``i`` averages input cells ``[floor(i L / out), ceil((i + 1) L / out))``.
    """
    return _C._adaptive_avg_pool1d(input, _adaptive_size(input, output_size, 1))


def adaptive_avg_pool2d(input: Tensor, output_size: _Size | Sequence[int | None]) -> Tensor:
    """Adaptive average pooling of ``(N, C, H, W)`` to ``output_size`` (int or pair; a None
    entry keeps that input size).

    Output cell ``(i, j)`` averages rows ``[floor(i H / oH), ceil((i + 1) H / oH))`` and the
    matching columns, so the output size is exact for any input size.

    Raises:
        ValueError: wrong rank, empty dims, or non-positive output size.
        TypeError: non-floating dtype.
    """
    return _C._adaptive_avg_pool2d(input, _adaptive_size(input, output_size, 2))


def adaptive_max_pool1d(
    input: Tensor, output_size: _Size, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Adaptive max pooling of ``(N, C, L)``; windows as :func:`adaptive_avg_pool1d`."""
    out, idx = _C._adaptive_max_pool1d(input, _adaptive_size(input, output_size, 1))
    return (out, idx) if return_indices else out


def adaptive_max_pool2d(
    input: Tensor, output_size: _Size | Sequence[int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Adaptive max pooling of ``(N, C, H, W)``; windows as :func:`adaptive_avg_pool2d`,
    indices as :func:`max_pool2d`."""
    out, idx = _C._adaptive_max_pool2d(input, _adaptive_size(input, output_size, 2))
    return (out, idx) if return_indices else out
