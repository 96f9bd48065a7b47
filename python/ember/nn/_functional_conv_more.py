"""3-D convolution and pooling, power-average pooling and im2col/col2im (re-exported by
``ember.nn.functional``): ``conv3d``, ``conv_transpose3d``, ``max_pool3d``, ``avg_pool3d``,
``adaptive_avg_pool3d``, ``adaptive_max_pool3d``, ``lp_pool1d``/``2d``/``3d``, ``unfold`` and
``fold``.

Each is a composition of the 1-D/2-D ops in the C++ core (``conv2d``, ``conv_transpose2d``,
pooling) and of views, gathers and scatters, so autograd and ``ember.jit`` follow it. The 3-D
ops take ``(N, C, D, H, W)`` input or the unbatched ``(C, D, H, W)``; ``D`` is the depth.

* ``conv3d`` stacks the ``kD`` depth taps of the input as extra channels and runs one grouped
  ``conv2d`` over every output depth slice.
* ``conv_transpose3d`` runs one ``conv_transpose2d`` per input depth slice with the depth taps as
  extra output channels, then adds the taps into their output depths (a 1-D col2im).
* Max and average pooling are separable: a 2-D pooling over ``(H, W)``, then a ``(kD, 1)`` 2-D
  pooling over depth; the divisors (padding included or not, ``ceil_mode`` clipping) are
  products of per-dim counts, so the result is PyTorch's.
* ``unfold`` gathers the padded input with a precomputed index; ``fold`` scatter-adds into it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

from .. import _C, arange, int64, zeros
from .._C import Tensor

__all__ = [
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "avg_pool3d",
    "conv3d",
    "conv_transpose3d",
    "fold",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "max_pool3d",
    "unfold",
]

_Size = int | Sequence[int]


def _dt(t: Tensor) -> str:
    return str(t.dtype).replace("ember.", "")


def _ints(v: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """``v`` as an n-tuple of ints (an int or a 1-sequence is repeated); ValueError otherwise,
    as the convolution modules' argument checks."""
    msg = f"{op}: {name} must be an int or a tuple of {n} ints, got {v!r}"
    if isinstance(v, bool):
        raise ValueError(msg)  # noqa: TRY004
    try:
        return (operator.index(v),) * n
    except TypeError:
        pass
    try:
        t = tuple(v)
    except TypeError:
        raise ValueError(msg) from None
    if len(t) == 1:
        t = t * n
    if len(t) != n or any(isinstance(e, bool) for e in t):
        raise ValueError(msg)
    try:
        return tuple(operator.index(e) for e in t)
    except TypeError:
        raise ValueError(msg) from None


def _positive(t: tuple[int, ...], name: str, op: str, v: Any) -> tuple[int, ...]:
    if any(e <= 0 for e in t):
        raise ValueError(f"{op}: {name} must be positive, got {v!r}")
    return t


def _non_negative(t: tuple[int, ...], name: str, op: str, v: Any) -> tuple[int, ...]:
    if any(e < 0 for e in t):
        raise ValueError(f"{op}: {name} must be non-negative, got {v!r}")
    return t


def _check_tensor(x: Any, name: str, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(x).__name__}")


def _check_floating(x: Tensor, name: str, op: str) -> None:
    if not x.is_floating_point():
        raise TypeError(f"{op}: expected {name} to be float32 or float64, got {_dt(x)}")


def _batched(input: Tensor, n: int, op: str, layout: str) -> tuple[Tensor, bool]:
    """``input`` with a batch dim (added for the unbatched form) and whether it had one."""
    _check_tensor(input, "input", op)
    if input.dim() not in (n + 1, n + 2):
        raise ValueError(
            f"{op}: expected a {n + 1}-D (C, {layout}) or {n + 2}-D (N, C, {layout}) input, got "
            f"shape {tuple(input.shape)}"
        )
    _check_floating(input, "input", op)
    if input.dim() == n + 1:
        return input.unsqueeze(0), False
    return input, True


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size along one dim."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


# ---- convolution -------------------------------------------------------------------------


def _check_conv3d_weight(
    op: str, x: Tensor, weight: Any, bias: Tensor | None, groups: Any, layout: str
) -> None:
    """Checks that ``weight`` is a 5-D Tensor (dims named by ``layout``), that ``weight`` and
    ``bias`` have ``x``'s dtype and that ``groups`` is a positive int."""
    _check_tensor(weight, "weight", op)
    if weight.dim() != 5:
        raise ValueError(f"{op}: expected a 5-D weight ({layout}), got shape {tuple(weight.shape)}")
    if weight.dtype != x.dtype or (bias is not None and bias.dtype != x.dtype):
        bd = "" if bias is None else f", bias {_dt(bias)}"
        raise TypeError(f"{op}: input {_dt(x)}, weight {_dt(weight)}{bd}: the dtypes must be equal")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")


def _check_bias(op: str, bias: Tensor | None, co: int) -> None:
    """Checks that ``bias`` is None or of shape ``(co,)``."""
    if bias is not None and tuple(bias.shape) != (co,):
        raise ValueError(f"{op}: bias must have shape ({co},), got {tuple(bias.shape)}")


def _stride_dilation3d(op: str, stride: Any, dilation: Any) -> tuple[tuple[int, ...], ...]:
    """``stride`` and ``dilation`` as checked 3-tuples of positive ints."""
    st = _positive(_ints(stride, 3, "stride", op), "stride", op, stride)
    dil = _positive(_ints(dilation, 3, "dilation", op), "dilation", op, dilation)
    return st, dil


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _Size = 1,
    padding: _Size | str = 0,
    dilation: _Size = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation over ``(N, C_in, D, H, W)`` input (PyTorch's ``F.conv3d``).

    ``out[n, o, z, i, j] = bias[o] + sum_{c, a, p, q} weight[o, c, a, p, q] * x_pad[n,
    g * C_in / groups + c, z sD + a dD, i sH + p dH, j sW + q dW]``, ``g`` the group of output
    channel ``o``. Computed as one grouped :func:`conv2d` whose input channels are the ``kD``
    depth taps of each input channel.

    Args:
        input: ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``, float32/float64.
        weight: ``(C_out, C_in / groups, kD, kH, kW)``, input's dtype.
        bias: ``(C_out,)`` or None.
        stride: int or ``(sD, sH, sW)``, positive. Default 1.
        padding: int or ``(pD, pH, pW)`` zeros on both sides, ``'valid'`` (none) or ``'same'``
            (output size = input size; stride 1 only; an odd total padding puts the extra cell
            at the end). Default 0.
        dilation: int or ``(dD, dH, dW)``, positive. Default 1.
        groups: ``C_in`` and ``C_out`` are split into this many independent groups. Default 1.
    Returns:
        ``(N, C_out, D_out, H_out, W_out)`` (no batch dim for unbatched input), ``D_out =
        (D + 2 pD - dD (kD - 1) - 1) // sD + 1`` and likewise for ``H`` and ``W``.
    Raises:
        ValueError: wrong input or weight rank, ``C_in != weight.shape[1] * groups``, ``C_out``
            not divisible by groups, a bad bias shape, bad stride/padding/dilation, or a
            (dilated) kernel larger than the padded input.
        TypeError: non-floating dtype, or weight/bias dtype differing from input's.
    Example:
        >>> F.conv3d(ember.ones(1, 2, 4, 4, 4), ember.ones(3, 2, 2, 2, 2)).shape
        (1, 3, 3, 3, 3)
    """
    op = "conv3d"
    x, batched = _batched(input, 3, op, "D, H, W")
    _check_conv3d_weight(op, x, weight, bias, groups, "C_out, C_in / groups, kD, kH, kW")
    n, c, d, h, w = (int(s) for s in x.shape)
    co, cg, kd, kh, kw = (int(s) for s in weight.shape)
    if cg * groups != c:
        raise ValueError(
            f"{op}: input has {c} channels (input shape {tuple(input.shape)}) but weight.shape[1]"
            f" * groups = {cg} * {groups} = {cg * groups}; they must be equal"
        )
    if co % groups:
        raise ValueError(
            f"{op}: weight.shape[0] (C_out = {co}) must be divisible by groups ({groups})"
        )
    _check_bias(op, bias, co)
    st, dil = _stride_dilation3d(op, stride, dilation)
    ks = (kd, kh, kw)
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0, 0, 0)
        elif padding == "same":
            if any(s != 1 for s in st):
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided convolutions, got "
                    f"stride={st}"
                )
            total = [dl * (k - 1) for dl, k in zip(dil, ks)]
            lo = tuple(t // 2 for t in total)
            hi = tuple(t - t // 2 for t in total)
        else:
            raise ValueError(
                f"{op}: padding must be an int, a tuple of 3 ints, 'same' or 'valid', got "
                f"{padding!r}"
            )
    else:
        lo = hi = _non_negative(_ints(padding, 3, "padding", op), "padding", op, padding)
    spatial = (d, h, w)
    for i, name in enumerate(("depth", "height", "width")):
        eff = dil[i] * (ks[i] - 1) + 1
        padded = spatial[i] + lo[i] + hi[i]
        if eff > padded:
            raise ValueError(
                f"{op}: the dilated kernel {name} ({eff}) is larger than the padded input "
                f"{name} ({padded}); input shape {tuple(input.shape)}, weight shape "
                f"{tuple(weight.shape)}"
            )
    # Depth padding, and the part of 'same' padding that is not symmetric, go through pad();
    # the symmetric height/width padding is conv2d's.
    sym = (min(lo[1], hi[1]), min(lo[2], hi[2]))
    extra = (lo[2] - sym[1], hi[2] - sym[1], lo[1] - sym[0], hi[1] - sym[0], lo[0], hi[0])
    if any(extra):
        x = _C._pad(x, list(extra), "constant", 0.0)
    dp = int(x.shape[2])
    do = (dp - dil[0] * (kd - 1) - 1) // st[0] + 1
    span = (do - 1) * st[0] + 1
    taps = [x[:, :, a * dil[0] : a * dil[0] + span : st[0]] for a in range(kd)]
    cols = _C.stack(taps, 3)  # (N, C, D_out, kD, H, W): channel-major taps
    hp, wp = int(x.shape[3]), int(x.shape[4])
    cols = cols.permute(0, 2, 1, 3, 4, 5).reshape([n * do, c * kd, hp, wp])
    w2 = weight.reshape([co, cg * kd, kh, kw])
    y = _C._conv2d(cols, w2, bias, list(st[1:]), list(sym), list(dil[1:]), groups)
    y = y.reshape([n, do, co, int(y.shape[2]), int(y.shape[3])]).permute(0, 2, 1, 3, 4)
    return y if batched else y.squeeze(0)


def _depth_col2im(y: Tensor, length: int, k: int, s: int, p: int, dl: int, out: int) -> Tensor:
    """Adds ``y[b, d, a, :]`` (shape ``(B, D, k, M)``) into output depth ``d s + a dl - p`` of
    a ``(B, out, M)`` result (positions outside ``[0, out)`` are dropped)."""
    b, m = int(y.shape[0]), int(y.shape[3])
    full = max(out + p, (length - 1) * s + dl * (k - 1) + 1)
    # Built with ember ops (not numpy) so that ember.jit records it.
    z = arange(length, dtype=int64).reshape([length, 1]) * s + arange(k, dtype=int64) * dl
    index = z.reshape([1, length * k, 1]).expand([b, length * k, m])
    base = zeros(b, full, m, dtype=y.dtype)
    return base.scatter_add(1, index, y.reshape([b, length * k, m])).narrow(1, p, out)


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _Size = 1,
    padding: _Size = 0,
    output_padding: _Size = 0,
    groups: int = 1,
    dilation: _Size = 1,
) -> Tensor:
    """Transposed 3-D convolution ("deconvolution"): the input gradient of :func:`conv3d`.

    Each input cell ``x[n, c, z, i, j]`` adds ``x * weight[c, o, a, p, q]`` to output cell
    ``(z sD + a dD - pD, i sH + p dH - pH, j sW + q dW - pW)`` of channel ``o`` of its group.

    Args:
        input: ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``, float32/float64.
        weight: ``(C_in, C_out / groups, kD, kH, kW)``, input's dtype.
        bias: ``(C_out,)`` or None.
        stride: int or triple, positive. Default 1.
        padding: int or triple: ``dilation * (k - 1) - padding`` zeros are implicitly added to
            each side of the input. Default 0.
        output_padding: int or triple added at the end of each output dim; each entry smaller
            than the stride or the dilation. Default 0.
        groups: channel groups (``C_in`` divisible by it). Default 1.
        dilation: int or triple, positive. Default 1.
    Returns:
        ``(N, C_out, D_out, H_out, W_out)``, ``D_out = (D - 1) sD - 2 pD + dD (kD - 1) + opD +
        1`` and likewise for ``H`` and ``W``.
    Raises:
        ValueError: wrong ranks, ``C_in != weight.shape[0]``, groups not dividing ``C_in``, a
            bad bias shape, output_padding too large, or an empty output.
        TypeError: non-floating or mismatched dtypes.
    Example:
        >>> F.conv_transpose3d(ember.ones(1, 2, 2, 2, 2), ember.ones(2, 3, 3, 3, 3), stride=2).shape
        (1, 3, 5, 5, 5)
    """
    op = "conv_transpose3d"
    x, batched = _batched(input, 3, op, "D, H, W")
    _check_conv3d_weight(op, x, weight, bias, groups, "C_in, C_out / groups, kD, kH, kW")
    n, c, d, h, w = (int(s) for s in x.shape)
    ci, cog, kd, kh, kw = (int(s) for s in weight.shape)
    if ci != c:
        raise ValueError(
            f"{op}: input has {c} channels (input shape {tuple(input.shape)}) but weight.shape[0]"
            f" is {ci}; they must be equal"
        )
    if c % groups:
        raise ValueError(f"{op}: input channels ({c}) must be divisible by groups ({groups})")
    co = cog * groups
    _check_bias(op, bias, co)
    st, dil = _stride_dilation3d(op, stride, dilation)
    pad = _non_negative(_ints(padding, 3, "padding", op), "padding", op, padding)
    opad = _non_negative(
        _ints(output_padding, 3, "output_padding", op), "output_padding", op, output_padding
    )
    for i in range(3):
        if opad[i] >= st[i] and opad[i] >= dil[i]:
            raise ValueError(
                f"{op}: output_padding {opad} must be smaller than either stride {st} or "
                f"dilation {dil} in every dim"
            )
    ks = (kd, kh, kw)
    out = [
        (s - 1) * st[i] - 2 * pad[i] + dil[i] * (ks[i] - 1) + opad[i] + 1
        for i, s in enumerate((d, h, w))
    ]
    if any(o <= 0 for o in out):
        raise ValueError(
            f"{op}: the output size {tuple(out)} is too small for input shape "
            f"{tuple(input.shape)}, weight shape {tuple(weight.shape)} and padding {pad}"
        )
    x2 = x.permute(0, 2, 1, 3, 4).reshape([n * d, c, h, w])
    w2 = weight.reshape([ci, cog * kd, kh, kw])
    y = _C._conv_transpose2d(
        x2, w2, None, list(st[1:]), list(pad[1:]), list(opad[1:]), groups, list(dil[1:])
    )
    ho, wo = int(y.shape[2]), int(y.shape[3])
    # (N, D, C_out, kD, Ho, Wo) -> (N * C_out, D, kD, Ho * Wo) -> depth col2im.
    y = y.reshape([n, d, co, kd, ho * wo]).permute(0, 2, 1, 3, 4).reshape([n * co, d, kd, ho * wo])
    y = _depth_col2im(y, d, kd, st[0], pad[0], dil[0], out[0])
    y = y.reshape([n, co, out[0], ho, wo])
    if bias is not None:
        y = y + bias.reshape([1, co, 1, 1, 1])
    return y if batched else y.squeeze(0)


# ---- pooling -----------------------------------------------------------------------------


def _pool3d_args(
    op: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1
) -> tuple[tuple[int, ...], ...]:
    k = _positive(_ints(kernel_size, 3, "kernel_size", op), "kernel_size", op, kernel_size)
    s = (
        k
        if stride is None or (not isinstance(stride, int) and len(stride) == 0)
        else _positive(_ints(stride, 3, "stride", op), "stride", op, stride)
    )
    p = _non_negative(_ints(padding, 3, "padding", op), "padding", op, padding)
    dl = _positive(_ints(dilation, 3, "dilation", op), "dilation", op, dilation)
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise ValueError(f"{op}: padding {p} must be at most half of kernel_size {k} in every dim")
    return k, s, p, dl


def _check_pool_output(
    op: str, input: Tensor, x: Tensor, k: tuple, s: tuple, p: tuple, dl: tuple, ceil_mode: bool
) -> tuple[int, ...]:
    sizes = tuple(int(v) for v in x.shape[2:])
    if any(v == 0 for v in x.shape[1:]):
        raise ValueError(
            f"{op}: expected non-empty channel and spatial dims, got input shape "
            f"{tuple(input.shape)}"
        )
    out = tuple(_out_size(sizes[i], k[i], s[i], p[i], dl[i], ceil_mode) for i in range(3))
    if any(o < 1 for o in out):
        raise ValueError(
            f"{op}: the output size {out} is too small: input shape {tuple(input.shape)}, "
            f"kernel_size {k}, stride {s}, padding {p}, dilation {dl}"
        )
    return out


def max_pool3d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """3-D max pooling over ``(N, C, D, H, W)`` (or ``(C, D, H, W)``).

    Padding cells count as ``-inf``. Computed as a 2-D max pooling over ``(H, W)`` then one over
    depth (the maximum is separable); the index of a tie is the first in ``(d, h, w)`` order.

    Args:
        input: float32/float64, non-empty channel and spatial dims.
        kernel_size: int or ``(kD, kH, kW)``.
        stride: int or triple; default (None) equals ``kernel_size``.
        padding: int or triple, at most half the kernel size. Default 0.
        dilation: int or triple. Default 1.
        ceil_mode: round output sizes up (windows must start inside the input or the left
            padding). Default False.
        return_indices: also return the flat position ``d * H * W + h * W + w`` of each maximum.
    Returns:
        ``(N, C, D_out, H_out, W_out)`` maxima, ``D_out = floor_or_ceil((D + 2 pD - dD (kD - 1)
        - 1) / sD) + 1``; with ``return_indices`` a tuple ``(values, int64 indices)``.
    Raises:
        ValueError: wrong rank, empty dims, bad kernel/stride/padding/dilation, or an output
            size below 1.
        TypeError: non-floating dtype.
    Example:
        >>> F.max_pool3d(ember.arange(8.0).reshape(1, 1, 2, 2, 2), 2).flatten()
        tensor([7.])
    """
    op = "max_pool3d"
    x, batched = _batched(input, 3, op, "D, H, W")
    k, s, p, dl = _pool3d_args(op, kernel_size, stride, padding, dilation)
    _check_pool_output(op, input, x, k, s, p, dl, ceil_mode)
    n, c, d, h, w = (int(v) for v in x.shape)
    v1, i1 = _C._max_pool2d(
        x.reshape([n, c * d, h, w]),
        list(k[1:]),
        list(s[1:]),
        list(p[1:]),
        list(dl[1:]),
        bool(ceil_mode),
    )
    ho, wo = int(v1.shape[2]), int(v1.shape[3])
    v2, i2 = _C._max_pool2d(
        v1.reshape([n, c, d, ho * wo]), [k[0], 1], [s[0], 1], [p[0], 0], [dl[0], 1], bool(ceil_mode)
    )
    do = int(v2.shape[2])
    out = v2.reshape([n, c, do, ho, wo])
    if not return_indices:
        return out if batched else out.squeeze(0)
    depth = i2.floor_divide(ho * wo)
    hw = i1.reshape([n, c, d, ho * wo]).gather(2, depth)
    idx = (depth * (h * w) + hw).reshape([n, c, do, ho, wo])
    return (out, idx) if batched else (out.squeeze(0), idx.squeeze(0))


def avg_pool3d(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """3-D average pooling over ``(N, C, D, H, W)`` (or ``(C, D, H, W)``).

    Each output is the window sum divided by ``divisor_override`` if given, else by the window
    volume including zero padding (``count_include_pad=True``; windows running past the padding
    in ``ceil_mode`` are clipped) or by the number of real input cells in it.

    Args:
        input: float32/float64.
        kernel_size: int or ``(kD, kH, kW)``.
        stride: int or triple; default (None) equals ``kernel_size``.
        padding: int or triple, at most half the kernel size. Default 0.
        ceil_mode: round output sizes up. Default False.
        count_include_pad: count padding cells in the divisor. Default True.
        divisor_override: non-zero int divisor, or None.
    Returns:
        ``(N, C, D_out, H_out, W_out)``, sizes as for :func:`max_pool3d` with dilation 1.
    Raises:
        ValueError: wrong rank, bad sizes, zero divisor, or an output size below 1.
        TypeError: non-floating dtype.
    Example:
        >>> F.avg_pool3d(ember.arange(8.0).reshape(1, 1, 2, 2, 2), 2).flatten()
        tensor([3.5000])
    """
    op = "avg_pool3d"
    x, batched = _batched(input, 3, op, "D, H, W")
    k, s, p, dl = _pool3d_args(op, kernel_size, stride, padding)
    _check_pool_output(op, input, x, k, s, p, dl, ceil_mode)
    if divisor_override is not None and (
        isinstance(divisor_override, bool) or int(divisor_override) == 0
    ):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}")
    n, c, d, h, w = (int(v) for v in x.shape)
    div = None if divisor_override is None else 1
    y = _C._avg_pool2d(
        x.reshape([n, c * d, h, w]),
        list(k[1:]),
        list(s[1:]),
        list(p[1:]),
        bool(ceil_mode),
        bool(count_include_pad),
        div,
    )
    ho, wo = int(y.shape[2]), int(y.shape[3])
    y = _C._avg_pool2d(
        y.reshape([n, c, d, ho * wo]),
        [k[0], 1],
        [s[0], 1],
        [p[0], 0],
        bool(ceil_mode),
        bool(count_include_pad),
        div,
    )
    y = y.reshape([n, c, int(y.shape[2]), ho, wo])
    if divisor_override is not None:
        y = y / float(int(divisor_override))
    return y if batched else y.squeeze(0)


def _adaptive3d_size(input: Tensor, output_size: Any, op: str) -> tuple[int, int, int]:
    if output_size is None or isinstance(output_size, int):
        sizes = [output_size] * 3
    else:
        sizes = list(output_size)
        if len(sizes) == 1:
            sizes = sizes * 3
    if len(sizes) != 3 or any(isinstance(v, bool) for v in sizes):
        raise ValueError(
            f"{op}: output_size must be an int or a triple of ints (None keeps that size), got "
            f"{output_size!r}"
        )
    spatial = tuple(int(v) for v in input.shape[-3:])
    out = tuple(spatial[i] if v is None else int(v) for i, v in enumerate(sizes))
    if any(v <= 0 for v in out):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return out  # type: ignore[return-value]


def adaptive_avg_pool3d(input: Tensor, output_size: _Size | Sequence[int | None]) -> Tensor:
    """Adaptive average pooling of ``(N, C, D, H, W)`` to ``output_size``.

    Output cell ``(z, i, j)`` averages input depths ``[floor(z D / oD), ceil((z + 1) D / oD))``
    and the matching rows and columns, so the output size is exact for any input size.

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``, float32/float64.
        output_size: int or ``(oD, oH, oW)``; a None entry keeps that input size.
    Returns:
        ``(N, C, oD, oH, oW)`` (no batch dim for unbatched input).
    Raises:
        ValueError: wrong rank, empty dims, or a non-positive output size.
        TypeError: non-floating dtype.
    Example:
        >>> F.adaptive_avg_pool3d(ember.arange(8.0).reshape(1, 1, 2, 2, 2), 1).flatten()
        tensor([3.5000])
    """
    op = "adaptive_avg_pool3d"
    x, batched = _batched(input, 3, op, "D, H, W")
    if any(v == 0 for v in x.shape[1:]):
        raise ValueError(
            f"{op}: expected non-empty channel and spatial dims, got input shape "
            f"{tuple(input.shape)}"
        )
    od, oh, ow = _adaptive3d_size(x, output_size, op)
    n, c, d, h, w = (int(v) for v in x.shape)
    y = _C._adaptive_avg_pool2d(x.reshape([n, c * d, h, w]), [oh, ow])
    y = _C._adaptive_avg_pool2d(y.reshape([n, c, d, oh * ow]), [od, oh * ow])
    y = y.reshape([n, c, od, oh, ow])
    return y if batched else y.squeeze(0)


def adaptive_max_pool3d(
    input: Tensor, output_size: _Size | Sequence[int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Adaptive max pooling of ``(N, C, D, H, W)`` to ``output_size``; windows as
    :func:`adaptive_avg_pool3d`, indices as :func:`max_pool3d`.

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``, float32/float64.
        output_size: int or ``(oD, oH, oW)``; a None entry keeps that input size.
        return_indices: also return the int64 flat positions ``d * H * W + h * W + w``.
    Returns:
        ``(N, C, oD, oH, oW)`` maxima, and with ``return_indices`` their indices.
    Raises:
        ValueError: wrong rank, empty dims, or a non-positive output size.
        TypeError: non-floating dtype.
    Example:
        >>> F.adaptive_max_pool3d(ember.arange(8.0).reshape(1, 1, 2, 2, 2), 1).flatten()
        tensor([7.])
    """
    op = "adaptive_max_pool3d"
    x, batched = _batched(input, 3, op, "D, H, W")
    if any(v == 0 for v in x.shape[1:]):
        raise ValueError(
            f"{op}: expected non-empty channel and spatial dims, got input shape "
            f"{tuple(input.shape)}"
        )
    od, oh, ow = _adaptive3d_size(x, output_size, op)
    n, c, d, h, w = (int(v) for v in x.shape)
    v1, i1 = _C._adaptive_max_pool2d(x.reshape([n, c * d, h, w]), [oh, ow])
    v2, i2 = _C._adaptive_max_pool2d(v1.reshape([n, c, d, oh * ow]), [od, oh * ow])
    out = v2.reshape([n, c, od, oh, ow])
    if not return_indices:
        return out if batched else out.squeeze(0)
    depth = i2.floor_divide(oh * ow)
    hw = i1.reshape([n, c, d, oh * ow]).gather(2, depth)
    idx = (depth * (h * w) + hw).reshape([n, c, od, oh, ow])
    return (out, idx) if batched else (out.squeeze(0), idx.squeeze(0))


def _lp_finish(out: Tensor, norm_type: float, volume: int) -> Tensor:
    # PyTorch's formula: (sign(out) * relu(|out|)) * volume, to the power 1 / norm_type.
    return (_C.sign(out) * _C.relu(_C.abs(out)) * float(volume)).pow(1.0 / norm_type)


def _lp_pool(
    op: str,
    n: int,
    input: Tensor,
    norm_type: float,
    kernel_size: Any,
    stride: Any,
    ceil_mode: bool,
) -> Tensor:
    _check_tensor(input, "input", op)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)):
        raise TypeError(f"{op}: norm_type must be a number, got {type(norm_type).__name__}")
    if norm_type == 0:
        raise ValueError(f"{op}: norm_type must be non-zero, got {norm_type}")
    k = _positive(_ints(kernel_size, n, "kernel_size", op), "kernel_size", op, kernel_size)
    s = None if stride is None else _ints(stride, n, "stride", op)
    from . import _functional_conv as C

    if math.isinf(norm_type):
        sign = 1.0 if norm_type > 0 else -1.0
        mp = {1: C.max_pool1d, 2: C.max_pool2d, 3: max_pool3d}[n]
        return mp(_C.abs(input) * sign, k, s, 0, 1, ceil_mode) * sign
    powered = input.pow(norm_type)
    if n == 1:
        out = C.avg_pool1d(powered, k, s, 0, ceil_mode)
    elif n == 2:
        out = C.avg_pool2d(powered, k, s, 0, ceil_mode)
    else:
        out = avg_pool3d(powered, k, s, 0, ceil_mode)
    return _lp_finish(out, norm_type, math.prod(k))


def lp_pool1d(
    input: Tensor,
    norm_type: float,
    kernel_size: int,
    stride: _Size | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """1-D power-average pooling: ``(sum over the window of x ** p) ** (1 / p)``, ``p =
    norm_type``.

    Computed as PyTorch does: ``avg_pool1d(x ** p)`` times the window size, to the power
    ``1 / p`` (negative window sums are clamped to 0 first). ``p = inf`` is max pooling of
    ``|x|`` and ``p = -inf`` the minimum of ``|x|``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``, float32/float64.
        norm_type: the power ``p`` (non-zero; 1 is sum pooling, 2 the Euclidean norm).
        kernel_size: window size (int or 1-tuple).
        stride: int or 1-tuple; default (None) equals ``kernel_size``.
        ceil_mode: round the output size up. Default False.
    Returns:
        ``(N, C, L_out)``, ``L_out = floor_or_ceil((L - k) / stride) + 1``.
    Raises:
        ValueError: bad sizes or a zero ``norm_type``.
        TypeError: non-floating input or a non-numeric ``norm_type``.
    Example:
        >>> F.lp_pool1d(ember.tensor([[[3.0, 4.0]]]), 2, 2)
        tensor([[[5.]]])
    """
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(
    input: Tensor,
    norm_type: float,
    kernel_size: _Size,
    stride: _Size | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """2-D power-average pooling: ``(sum over the window of x ** p) ** (1 / p)``, ``p =
    norm_type`` (see :func:`lp_pool1d` for the formula PyTorch uses).

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``, float32/float64.
        norm_type: the power ``p`` (non-zero).
        kernel_size: int or ``(kH, kW)``.
        stride: int or pair; default (None) equals ``kernel_size``.
        ceil_mode: round output sizes up. Default False.
    Returns:
        ``(N, C, H_out, W_out)``.
    Raises:
        ValueError: bad sizes or a zero ``norm_type``.
        TypeError: non-floating input or a non-numeric ``norm_type``.
    Example:
        >>> F.lp_pool2d(ember.ones(1, 1, 2, 2), 1, 2)
        tensor([[[[4.]]]])
    """
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(
    input: Tensor,
    norm_type: float,
    kernel_size: _Size,
    stride: _Size | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """3-D power-average pooling: ``(sum over the window of x ** p) ** (1 / p)``, ``p =
    norm_type`` (see :func:`lp_pool1d` for the formula PyTorch uses).

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``, float32/float64.
        norm_type: the power ``p`` (non-zero).
        kernel_size: int or ``(kD, kH, kW)``.
        stride: int or triple; default (None) equals ``kernel_size``.
        ceil_mode: round output sizes up. Default False.
    Returns:
        ``(N, C, D_out, H_out, W_out)``.
    Raises:
        ValueError: bad sizes or a zero ``norm_type``.
        TypeError: non-floating input or a non-numeric ``norm_type``.
    Example:
        >>> F.lp_pool3d(ember.ones(1, 1, 2, 2, 2), 1, 2).flatten()
        tensor([8.])
    """
    return _lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


# ---- im2col / col2im ---------------------------------------------------------------------


def _fold_args(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    k = _positive(_ints(kernel_size, 2, "kernel_size", op), "kernel_size", op, kernel_size)
    dl = _positive(_ints(dilation, 2, "dilation", op), "dilation", op, dilation)
    p = _non_negative(_ints(padding, 2, "padding", op), "padding", op, padding)
    s = _positive(_ints(stride, 2, "stride", op), "stride", op, stride)
    return k, dl, p, s


def _patch_index(wp: int, k: tuple, dl: tuple, s: tuple, oh: int, ow: int) -> Tensor:
    """Flat int64 positions in the padded image (``wp`` columns) of column ``(i * kW + j) * L +
    l``, built with ember ops so that ember.jit records them."""
    rows = (arange(k[0], dtype=int64) * dl[0]).reshape([k[0], 1, 1, 1]) + (
        arange(oh, dtype=int64) * s[0]
    ).reshape([1, 1, oh, 1])
    cols = (arange(k[1], dtype=int64) * dl[1]).reshape([1, k[1], 1, 1]) + (
        arange(ow, dtype=int64) * s[1]
    ).reshape([1, 1, 1, ow])
    return (rows * wp + cols).reshape([-1])


def unfold(
    input: Tensor,
    kernel_size: _Size,
    dilation: _Size = 1,
    padding: _Size = 0,
    stride: _Size = 1,
) -> Tensor:
    """Extracts sliding local blocks (im2col): each column holds one ``kH x kW`` patch of every
    channel.

    ``out[n, (c * kH + i) * kW + j, l] = x_pad[n, c, r * sH + i * dH, q * sW + j * dW]`` where
    block ``l = r * W_blocks + q``. Any values (inf, NaN) are copied exactly.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``, any floating dtype.
        kernel_size: int or ``(kH, kW)``, positive.
        dilation: int or pair, positive. Default 1.
        padding: int or pair of zeros added to both sides. Default 0.
        stride: int or pair, positive. Default 1.
    Returns:
        ``(N, C * kH * kW, L)`` (``(C * kH * kW, L)`` unbatched), ``L = H_blocks * W_blocks``,
        ``H_blocks = (H + 2 pH - dH (kH - 1) - 1) // sH + 1``.
    Raises:
        ValueError: wrong rank, bad sizes, or no complete block.
        TypeError: non-floating input.
    Example:
        >>> F.unfold(ember.arange(4.0).reshape(1, 1, 2, 2), 2).flatten()
        tensor([0., 1., 2., 3.])
    """
    op = "unfold"
    x, batched = _batched(input, 2, op, "H, W")
    k, dl, p, s = _fold_args(op, kernel_size, dilation, padding, stride)
    n, c, h, w = (int(v) for v in x.shape)
    hp, wp = h + 2 * p[0], w + 2 * p[1]
    oh = (hp - dl[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (wp - dl[1] * (k[1] - 1) - 1) // s[1] + 1
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{op}: no complete block fits: input shape {tuple(input.shape)} with padding {p}, "
            f"kernel_size {k} and dilation {dl} gives {oh} x {ow} blocks; expected at least 1"
        )
    if any(p):
        x = _C._pad(x, [p[1], p[1], p[0], p[0]], "constant", 0.0)
    idx = _patch_index(wp, k, dl, s, oh, ow)
    cols = x.reshape([n, c, hp * wp]).index_select(2, idx)
    cols = cols.reshape([n, c * k[0] * k[1], oh * ow])
    return cols if batched else cols.squeeze(0)


def fold(
    input: Tensor,
    output_size: _Size,
    kernel_size: _Size,
    dilation: _Size = 1,
    padding: _Size = 0,
    stride: _Size = 1,
) -> Tensor:
    """Combines sliding local blocks into an image (col2im), summing overlapping values: the
    adjoint of :func:`unfold`.

    ``out[n, c, y, x] = sum`` of every ``input[n, (c * kH + i) * kW + j, l]`` whose position in
    :func:`unfold` is ``(y, x)``; entries that fall into the padding are dropped.

    Args:
        input: ``(N, C * kH * kW, L)`` or unbatched ``(C * kH * kW, L)``, float32/float64.
        output_size: int or ``(H, W)``, the spatial size of the image.
        kernel_size: int or ``(kH, kW)``, positive.
        dilation: int or pair, positive. Default 1.
        padding: int or pair of implicit zeros on both sides. Default 0.
        stride: int or pair, positive. Default 1.
    Returns:
        ``(N, C, H, W)`` (``(C, H, W)`` unbatched).
    Raises:
        ValueError: wrong rank, ``input.shape[-2]`` not divisible by ``kH * kW``, or
            ``input.shape[-1]`` not the number of blocks ``output_size`` holds.
        TypeError: non-floating input.
    Example:
        >>> F.fold(ember.ones(1, 4, 4), 3, 2).reshape(3, 3)
        tensor([[1., 2., 1.],
                [2., 4., 2.],
                [1., 2., 1.]])
    """
    op = "fold"
    _check_tensor(input, "input", op)
    if input.dim() not in (2, 3):
        raise ValueError(
            f"{op}: expected a 2-D (C * kH * kW, L) or 3-D (N, C * kH * kW, L) input, got shape "
            f"{tuple(input.shape)}"
        )
    _check_floating(input, "input", op)
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    k, dl, p, s = _fold_args(op, kernel_size, dilation, padding, stride)
    h, w = _positive(_ints(output_size, 2, "output_size", op), "output_size", op, output_size)
    n, ckk, length = (int(v) for v in x.shape)
    kk = k[0] * k[1]
    if ckk % kk:
        raise ValueError(
            f"{op}: input.shape[-2] ({ckk}) must be divisible by the product of kernel_size "
            f"({k[0]} * {k[1]} = {kk}); input shape {tuple(input.shape)}"
        )
    hp, wp = h + 2 * p[0], w + 2 * p[1]
    oh = (hp - dl[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (wp - dl[1] * (k[1] - 1) - 1) // s[1] + 1
    if oh < 1 or ow < 1 or oh * ow != length:
        raise ValueError(
            f"{op}: input.shape[-1] ({length}) must equal the number of sliding blocks "
            f"({max(oh, 0)} x {max(ow, 0)} = {max(oh, 0) * max(ow, 0)}) for output_size "
            f"{(h, w)}, kernel_size {k}, dilation {dl}, padding {p} and stride {s}; input shape "
            f"{tuple(input.shape)}"
        )
    c = ckk // kk
    idx = _patch_index(wp, k, dl, s, oh, ow)
    src = x.reshape([n, c, kk * length])
    index = idx.reshape([1, 1, -1]).expand([n, c, kk * length])
    img = zeros(n, c, hp * wp, dtype=x.dtype).scatter_add(2, index, src)
    img = img.reshape([n, c, hp, wp])
    if any(p):
        img = img[:, :, p[0] : p[0] + h, p[1] : p[1] + w]
    return img if batched else img.squeeze(0)
