"""Functional ops re-exported by ``ember.nn.functional``: 3-D reflect/replicate and circular
padding (``pad``), the deprecated ``upsample*`` aliases, ``triplet_margin_with_distance_loss``,
the ``*_with_indices`` pooling forms and fractional max pooling.

All are compositions of ember ops (autograd follows the composition); none loops over elements.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _C
from .._C import Tensor
from . import _functional_conv as _conv
from . import _functional_conv_more as _conv_more
from . import _functional_norm as _norm
from ._functional_conv_more import _check_floating, _check_tensor, _dt, _ints

__all__ = [
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "pad",
    "triplet_margin_with_distance_loss",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]

_Size = int | Sequence[int]


# ---- padding ------------------------------------------------------------------------------------


def _pad_index(n: int, left: int, right: int, mode: str, dim: int, shape: tuple) -> np.ndarray:
    """Source index along one dim of size ``n`` for each output position ``-left .. n + right``
    (``mode`` reflect, replicate or circular); ValueError for pads the mode cannot do."""
    out = n + left + right
    where = f"padding ({left}, {right}) of dim {dim} of input shape {shape}"
    if mode == "reflect" and (left >= n or right >= n):
        raise ValueError(
            f"pad: mode 'reflect' needs each pad smaller than its dim ({n}), got {where}"
        )
    if mode == "replicate" and n == 0:
        raise ValueError(f"pad: mode 'replicate' cannot pad an empty dim, got {where}")
    if out < 1:
        raise ValueError(f"pad: negative padding makes an empty dim, got {where}")
    if mode == "circular":
        # PyTorch crops first (negative pads), then wraps around within the cropped part.
        lo = max(-left, 0)
        m = n - lo - max(-right, 0)
        if max(left, 0) > m or max(right, 0) > m:
            raise ValueError(
                f"pad: mode 'circular' pads at most the (cropped) dim's size ({m}) on each side "
                f"(padding would wrap around more than once), got {where}"
            )
        return lo + np.mod(np.arange(-max(left, 0), m + max(right, 0), dtype=np.int64), m)
    j = np.arange(-left, n + right, dtype=np.int64)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j >= n, 2 * (n - 1) - j, j)
    return np.clip(j, 0, n - 1)


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pads ``input`` (PyTorch's ``F.pad``); the pad order is ``(left, right)`` of the last dim,
    then ``(top, bottom)`` of the one before, and so on. Negative values crop.

    ``"constant"`` fills with ``value``; ``"reflect"`` mirrors without repeating the edge
    (``[1, 2, 3]`` padded by 2 on the left gives ``[3, 2, 1, 2, 3]``); ``"replicate"`` repeats the
    edge; ``"circular"`` wraps around (``[1, 2, 3]`` padded by 1 on both sides gives
    ``[3, 1, 2, 3, 1]``). The non-constant modes pad the last 1, 2 or 3 dims of an input with one
    or two leading dims: 2 values for 2-D/3-D input, 4 for 3-D/4-D, 6 for 4-D/5-D (ember also
    keeps its reflect/replicate padding of the last 1 or 2 dims of any rank).

    Args:
        input: any shape for ``"constant"``; see above for the other modes. Any dtype for
            ``"constant"``, ``"circular"`` and 3-dim padding; float for the ember kernels of
            2- and 4-value reflect/replicate padding.
        pad: even-length sequence of ints, at most ``2 * input.dim()`` long.
        mode: ``"constant"`` (default), ``"reflect"``, ``"replicate"`` or ``"circular"``.
        value: fill value for ``"constant"``. Default 0.
    Returns:
        The padded tensor, dtype of ``input``; gradients flow back to the copied cells (summed
        where a cell is copied several times).
    Raises:
        ValueError: odd or too long ``pad``; a reflect pad not smaller than its dim; a circular
            pad larger than its dim; an empty result dim; an unknown mode; a ``value`` given
            with a non-constant mode.
        NotImplementedError: a non-constant pad length that does not fit the input's rank.
        TypeError: non-floating input for the 2-/4-value reflect/replicate kernels.
    Example:
        >>> F.pad(ember.tensor([[[1.0, 2.0, 3.0]]]), (1, 1), mode="circular")
        tensor([[[3., 1., 2., 3., 1.]]])
    """
    if mode == "constant" or (mode in ("reflect", "replicate") and len(pad) <= 4):
        return _norm.pad(input, pad, mode, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    if value is not None and value != 0:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    _check_tensor(input, "input", "pad")
    pads = [int(p) for p in pad]
    k, shape = len(pads) // 2, tuple(input.shape)
    if len(pads) % 2 or k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: mode {mode!r} with {len(pads)} pad values is not supported for "
            f"{input.dim()}-D input of shape {shape}; non-constant padding takes 2 values "
            "(2-D or 3-D input), 4 values (3-D or 4-D input) or 6 values (4-D or 5-D input)"
        )
    out = input
    for i in range(k):  # one index_select per padded dim
        dim = input.dim() - 1 - i
        left, right = pads[2 * i], pads[2 * i + 1]
        if left == 0 and right == 0:
            continue
        idx = _pad_index(shape[dim], left, right, mode, dim, shape)
        out = out.index_select(dim, _from_numpy(idx))
    return out


def _from_numpy(a: np.ndarray) -> Tensor:
    from .. import from_numpy

    return from_numpy(np.ascontiguousarray(a))


# ---- upsampling (deprecated aliases) ------------------------------------------------------------


def upsample(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of :func:`interpolate` (PyTorch's ``F.upsample``); warns.

    Args:
        input, size, scale_factor, mode, align_corners: as :func:`interpolate`.
    Returns:
        ``interpolate(input, size, scale_factor, mode, align_corners)``.
    Raises:
        ValueError, TypeError: as :func:`interpolate`.
    Warns:
        UserWarning: ``nn.functional.upsample`` is deprecated.
    """
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return _norm.interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode="nearest")``; warns.

    Args:
        input: ``(N, C, L)`` or ``(N, C, H, W)``, float32 or float64.
        size: output spatial size (int or one per spatial dim), or None.
        scale_factor: multiplier of the spatial size, or None (exactly one of the two).
    Returns:
        ``(N, C, *size)`` tensor of ``input``'s dtype.
    Raises:
        ValueError, TypeError: as :func:`interpolate`.
    Warns:
        UserWarning: ``nn.functional.upsample_nearest`` is deprecated.
    """
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return _norm.interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode="bilinear",
    align_corners=True)``; warns.

    Args:
        input: ``(N, C, H, W)``, float32 or float64.
        size: output ``(H_out, W_out)`` or int, or None.
        scale_factor: multiplier of the spatial size, or None (exactly one of the two).
    Returns:
        ``(N, C, H_out, W_out)`` tensor of ``input``'s dtype.
    Raises:
        ValueError, TypeError: as :func:`interpolate` (e.g. a non-4-D input).
    Warns:
        UserWarning: ``nn.functional.upsample_bilinear`` is deprecated.
    """
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return _norm.interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- losses -------------------------------------------------------------------------------------


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Triplet loss with any distance: ``max(d(a, p) - d(a, n) + margin, 0)``.

    With ``swap``, ``d(a, n)`` is replaced by ``min(d(a, n), d(p, n))`` (the distance swap).

    Args:
        anchor: shape ``(N, D)`` or ``(D,)`` (any shape ``distance_function`` accepts).
        positive: same number of dims as ``anchor``.
        negative: same number of dims as ``anchor``.
        distance_function: (keyword) callable ``(x1, x2) -> Tensor`` of non-negative
            distances; default :func:`pairwise_distance` (Euclidean, ``eps=1e-6``).
        margin: (keyword) required gap, > 0. Default 1.0.
        swap: (keyword) use the distance swap. Default False.
        reduction: (keyword) ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or the per-triplet losses (shape of the distances, ``(N)``) for ``"none"``.
    Raises:
        ValueError: unknown ``reduction``, ``margin <= 0``, or inputs with different numbers
            of dims.
    Reference:
        Balntas et al., "Learning local feature descriptors with triplets and shallow
        convolutional neural networks", BMVC 2016.
    Example:
        >>> a, pos, neg = ember.zeros(1, 2), ember.tensor([[3.0, 4.0]]), ember.tensor([[0.0, 1.0]])
        >>> l1 = lambda x, y: (x - y).abs().sum(-1)
        >>> F.triplet_margin_with_distance_loss(a, pos, neg, distance_function=l1)
        tensor(7.)
    """
    op = "triplet_margin_with_distance_loss"
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_tensor(t, name, op)
    if not anchor.dim() == positive.dim() == negative.dim():
        raise ValueError(
            f"{op}: the anchor, positive and negative tensors must have the same number of "
            f"dims, got anchor {tuple(anchor.shape)}, positive {tuple(positive.shape)} and "
            f"negative {tuple(negative.shape)}"
        )
    if distance_function is None:
        from ._functional_loss import pairwise_distance as distance_function
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = _C.minimum(d_neg, distance_function(positive, negative))
    loss = (d_pos - d_neg + margin).clamp(min=0)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ---- pooling with indices -----------------------------------------------------------------------


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool1d` that always returns ``(values, int64 indices)`` (``return_indices`` is
    accepted and ignored, as in PyTorch).

    Args:
        input: ``(N, C, L)`` or ``(C, L)``, float32/float64.
        kernel_size, stride, padding, dilation, ceil_mode: as :func:`max_pool1d`.
    Returns:
        ``(N, C, L_out)`` maxima and their positions in ``[0, L)``.
    Raises:
        ValueError, TypeError: as :func:`max_pool1d`.
    """
    return _conv.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool2d` that always returns ``(values, int64 indices)`` (``return_indices`` is
    accepted and ignored, as in PyTorch).

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``, float32/float64.
        kernel_size, stride, padding, dilation, ceil_mode: as :func:`max_pool2d`.
    Returns:
        ``(N, C, H_out, W_out)`` maxima and their flat positions ``h * W + w``.
    Raises:
        ValueError, TypeError: as :func:`max_pool2d`.
    Example:
        >>> v, i = F.max_pool2d_with_indices(ember.arange(4.0).reshape(1, 1, 2, 2), 2)
        >>> v.flatten(), i.flatten()
        (tensor([3.]), tensor([3]))
    """
    return _conv.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input: Tensor,
    kernel_size: _Size,
    stride: _Size | None = None,
    padding: _Size = 0,
    dilation: _Size = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """:func:`max_pool3d` that always returns ``(values, int64 indices)`` (``return_indices`` is
    accepted and ignored, as in PyTorch).

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``, float32/float64.
        kernel_size, stride, padding, dilation, ceil_mode: as :func:`max_pool3d`.
    Returns:
        ``(N, C, D_out, H_out, W_out)`` maxima and their flat positions ``d * H * W + h * W + w``.
    Raises:
        ValueError, TypeError: as :func:`max_pool3d`.
    """
    return _conv_more.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(
    input: Tensor, output_size: _Size, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool1d` that always returns ``(values, int64 indices)``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``, float32/float64.
        output_size: output length.
        return_indices: accepted and ignored (PyTorch's signature).
    Returns:
        ``(N, C, output_size)`` maxima and their positions in ``[0, L)``.
    Raises:
        ValueError, TypeError: as :func:`adaptive_max_pool1d`.
    """
    return _conv.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(
    input: Tensor, output_size: _Size | Sequence[int | None], return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool2d` that always returns ``(values, int64 indices)``.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``, float32/float64.
        output_size: int or ``(oH, oW)``; a None entry keeps that input size.
        return_indices: accepted and ignored (PyTorch's signature).
    Returns:
        ``(N, C, oH, oW)`` maxima and their flat positions ``h * W + w``.
    Raises:
        ValueError, TypeError: as :func:`adaptive_max_pool2d`.
    """
    return _conv.adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(
    input: Tensor, output_size: _Size | Sequence[int | None], return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """:func:`adaptive_max_pool3d` that always returns ``(values, int64 indices)``.

    Args:
        input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``, float32/float64.
        output_size: int or ``(oD, oH, oW)``; a None entry keeps that input size.
        return_indices: accepted and ignored (PyTorch's signature).
    Returns:
        ``(N, C, oD, oH, oW)`` maxima and their flat positions ``d * H * W + h * W + w``.
    Raises:
        ValueError, TypeError: as :func:`adaptive_max_pool3d`.
    """
    return _conv_more.adaptive_max_pool3d(input, output_size, True)


# ---- fractional max pooling ---------------------------------------------------------------------

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}
# Which of a plane's random samples drives each spatial dim (PyTorch's kernels: 2-D uses
# sample 0 for the width and 1 for the height; 3-D uses 0, 1, 2 for time, height, width).
_SAMPLE_OF_DIM = {2: (1, 0), 3: (0, 1, 2)}


def _interval_starts(u: Tensor, size: int, out: int, k: int) -> Tensor:
    """Window starts ``(N, C, out)`` along one dim from the samples ``u`` ``(N, C)`` in
    ``[0, 1)``: ``int((i + u) * alpha) - int(u * alpha)`` with ``alpha = (size - k) / (out - 1)``
    for ``i < out - 1`` and ``size - k`` last, computed in ``u``'s dtype (Graham's
    pseudo-random sequence, as PyTorch's kernels round it)."""
    from .. import arange, full, int64

    n, c = (int(s) for s in u.shape)
    last = full((n, c, 1), size - k, dtype=int64)
    if out <= 1:
        return last[:, :, :out]
    alpha = _C.div(
        full((), float(size - k), dtype=u.dtype), full((), float(out - 1), dtype=u.dtype)
    )
    i = arange(out - 1, dtype=u.dtype)
    u3 = u.unsqueeze(-1)
    seq = ((i + u3) * alpha).to(int64) - (u3 * alpha).to(int64)
    return _C.cat([seq, last], -1)


def _fractional_max_pool(
    input: Tensor,
    kernel_size: Any,
    output_size: Any,
    output_ratio: Any,
    random_samples: Tensor | None,
    n: int,
) -> tuple[Tensor, Tensor]:
    from .. import arange, int64, isnan, no_grad, rand

    op = f"fractional_max_pool{n}d"
    _check_tensor(input, "input", op)
    names = _DIM_NAMES[n]
    if input.dim() not in (n + 1, n + 2) or input.numel() == 0:
        raise ValueError(
            f"{op}: expected a non-empty {n + 1}-D (C, {', '.join(names)}) or {n + 2}-D "
            f"(N, C, ...) input, got shape {tuple(input.shape)}"
        )
    _check_floating(input, "input", op)
    batched = input.dim() == n + 2
    x = input if batched else input.unsqueeze(0)
    nb, c = int(x.shape[0]), int(x.shape[1])
    sizes = tuple(int(s) for s in x.shape[2:])
    k = _ints(kernel_size, n, "kernel_size", op)
    if any(v <= 0 for v in k):
        raise ValueError(f"{op}: kernel_size must be positive, got {kernel_size!r}")
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
        ratios = _ratios(output_ratio, n, op)
        out = tuple(int(s * r) for s, r in zip(sizes, ratios))
    else:
        out = _ints(output_size, n, "output_size", op)
        if any(v < 0 for v in out):
            raise ValueError(f"{op}: output_size must be non-negative, got {output_size!r}")
    for name, s, o, kk in zip(names, sizes, out, k):
        # PyTorch's 2-D kernel allows a window ending at the last cell, the 3-D one does not.
        if o + kk - 1 > s or (n == 3 and o + kk - 1 == s):
            raise ValueError(
                f"{op}: pool {name} {kk} too large relative to input {name} {s} (output {name} "
                f"{o}; need output + kernel_size - 1 {'<' if n == 3 else '<='} input)"
            )
    if random_samples is None:
        samples = rand(nb, c, n, dtype=x.dtype)
    else:
        samples = _check_samples(random_samples, x, nb, c, n, op)
    if any(o == 0 for o in out):
        empty_shape = (nb, c, *out)
        from .. import empty

        vals, idx = x.new_zeros(*empty_shape), empty(*empty_shape, dtype=int64)
        return (vals, idx) if batched else (vals.squeeze(0), idx.squeeze(0))
    with no_grad():
        samples = samples.detach()
        # Flat input index of every window cell: (N, C, o_1, ..., o_n, k_1 * ... * k_n), the
        # window cells in row-major order (PyTorch's scan order).
        flat = None
        strides = [math.prod(sizes[d + 1 :]) for d in range(n)]
        for d in range(n):
            starts = _interval_starts(samples[:, :, _SAMPLE_OF_DIM[n][d]], sizes[d], out[d], k[d])
            pos = starts.unsqueeze(-1) + arange(k[d], dtype=int64)  # (N, C, o_d, k_d)
            shape = [nb, c] + [1] * n + [1] * n
            shape[2 + d] = out[d]
            shape[2 + n + d] = k[d]
            term = (pos * strides[d]).reshape(shape)
            flat = term if flat is None else flat + term
        flat = flat.reshape([nb, c, math.prod(out), math.prod(k)])
        plane = x.detach().reshape([nb, c, math.prod(sizes)])
        vals = plane.gather(2, flat.reshape([nb, c, -1])).reshape(flat.shape)
        # First maximum of each window, but the last NaN when there is one (PyTorch's scan).
        first_max = vals.argmax(-1, keepdim=True)
        nan = isnan(vals)
        last_nan = (nan.to(int64).flip(-1).argmax(-1, keepdim=True) - (math.prod(k) - 1)).neg()
        pick = _C.where(nan.any(-1, keepdim=True), last_nan, first_max)
        idx = flat.gather(-1, pick).reshape([nb, c, math.prod(out)])
    values = x.reshape([nb, c, math.prod(sizes)]).gather(2, idx).reshape([nb, c, *out])
    idx = idx.reshape([nb, c, *out])
    return (values, idx) if batched else (values.squeeze(0), idx.squeeze(0))


def _ratios(output_ratio: Any, n: int, op: str) -> tuple[float, ...]:
    if isinstance(output_ratio, (int, float)) and not isinstance(output_ratio, bool):
        ratios = (float(output_ratio),) * n
    else:
        try:
            ratios = tuple(float(r) for r in output_ratio)
        except TypeError:
            raise ValueError(
                f"{op}: output_ratio must be a float or a tuple of {n} floats, got {output_ratio!r}"
            ) from None
        if len(ratios) == 1:
            ratios = ratios * n
    if len(ratios) != n:
        raise ValueError(
            f"{op}: output_ratio must be a float or a tuple of {n} floats, got {output_ratio!r}"
        )
    return ratios


def _check_samples(s: Any, x: Tensor, nb: int, c: int, n: int, op: str) -> Tensor:
    if not isinstance(s, Tensor):
        raise TypeError(f"{op}: _random_samples must be a Tensor, got {type(s).__name__}")
    if s.dim() != 3 or int(s.shape[0]) < nb or int(s.shape[1]) != c or int(s.shape[2]) != n:
        raise ValueError(
            f"{op}: _random_samples must have shape (N', C, {n}) with N' >= the batch size "
            f"({nb}) and C = {c} channels, got shape {tuple(s.shape)} for input shape "
            f"{tuple(x.shape)}"
        )
    if s.dtype != x.dtype:
        raise TypeError(
            f"{op}: _random_samples must have the input's dtype ({_dt(x)}), got {_dt(s)}"
        )
    return s[:nb] if int(s.shape[0]) > nb else s


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size: _Size,
    output_size: _Size | None = None,
    output_ratio: float | Sequence[float] | None = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Same as :func:`fractional_max_pool2d` with ``return_indices=True`` (the argument is ignored): always returns ``(values, indices)``.


    Each output cell is the maximum over a ``kernel_size`` window whose start along each dim
    follows a pseudo-random sequence: with one sample ``u`` in ``[0, 1)`` per plane and dim,
    ``start_i = int((i + u) * alpha) - int(u * alpha)`` for ``i < out - 1``, ``alpha = (in -
    kernel_size) / (out - 1)``, and ``in - kernel_size`` for the last window (PyTorch's
    sequence, computed in the input's dtype, so equal ``_random_samples`` give PyTorch's exact
    windows). Ties pick the first maximum in row-major window order; a window holding NaN gives
    NaN. The gradient goes to the chosen cell of each window (summed over windows sharing it).

    Args:
        input: ``(N, C, H, W)`` or without the batch dim; float32/float64, non-empty.
        kernel_size: int or 2-tuple, positive.
        output_size: int or 2-tuple of the output spatial size, or None.
        output_ratio: float or 2-tuple; ``output = int(input_size * ratio)``; used when
            ``output_size`` is None (one of the two is required).
        return_indices: also return the int64 flat positions of the maxima in each input
            plane (``h * W + w``).
        _random_samples: ``(N', C, 2)`` samples in ``[0, 1)`` of the input's dtype
            (``N' >=`` the batch size, 1 for an unbatched input; the first ``N`` are used);
            default drawn with ``ember.rand`` from the default generator.
    Returns:
        ``(N, C, oH, oW)`` maxima (``input``'s dtype), and with ``return_indices`` a tuple
        ``(values, indices)``.
    Raises:
        ValueError: wrong rank or empty input, neither output_size nor output_ratio, a
            non-positive kernel_size, a window that does not fit (``output + kernel_size - 1``
            must be <= the input size), or ``_random_samples`` of the wrong shape.
        TypeError: non-floating input or ``_random_samples`` of another dtype.
    Reference:
        Graham, "Fractional Max-Pooling", arXiv:1412.6071, 2014.
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2)


def fractional_max_pool2d(
    input: Tensor,
    kernel_size: _Size,
    output_size: _Size | None = None,
    output_ratio: float | Sequence[float] | None = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Tensor | tuple[Tensor, Tensor]:
    """Fractional max pooling over ``(N, C, H, W)`` (Graham 2014).

    Each output cell is the maximum over a ``kernel_size`` window whose start along each dim
    follows a pseudo-random sequence: with one sample ``u`` in ``[0, 1)`` per plane and dim,
    ``start_i = int((i + u) * alpha) - int(u * alpha)`` for ``i < out - 1``, ``alpha = (in -
    kernel_size) / (out - 1)``, and ``in - kernel_size`` for the last window (PyTorch's
    sequence, computed in the input's dtype, so equal ``_random_samples`` give PyTorch's exact
    windows). Ties pick the first maximum in row-major window order; a window holding NaN gives
    NaN. The gradient goes to the chosen cell of each window (summed over windows sharing it).

    Args:
        input: ``(N, C, H, W)`` or without the batch dim; float32/float64, non-empty.
        kernel_size: int or 2-tuple, positive.
        output_size: int or 2-tuple of the output spatial size, or None.
        output_ratio: float or 2-tuple; ``output = int(input_size * ratio)``; used when
            ``output_size`` is None (one of the two is required).
        return_indices: also return the int64 flat positions of the maxima in each input
            plane (``h * W + w``).
        _random_samples: ``(N', C, 2)`` samples in ``[0, 1)`` of the input's dtype
            (``N' >=`` the batch size, 1 for an unbatched input; the first ``N`` are used);
            default drawn with ``ember.rand`` from the default generator.
    Returns:
        ``(N, C, oH, oW)`` maxima (``input``'s dtype), and with ``return_indices`` a tuple
        ``(values, indices)``.
    Raises:
        ValueError: wrong rank or empty input, neither output_size nor output_ratio, a
            non-positive kernel_size, a window that does not fit (``output + kernel_size - 1``
            must be <= the input size), or ``_random_samples`` of the wrong shape.
        TypeError: non-floating input or ``_random_samples`` of another dtype.
    Reference:
        Graham, "Fractional Max-Pooling", arXiv:1412.6071, 2014.
    Example:
        >>> x = ember.arange(16.0).reshape(1, 1, 4, 4)
        >>> F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=ember.zeros(1, 1, 2))
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    out, idx = _fractional_max_pool(
        input, kernel_size, output_size, output_ratio, _random_samples, 2
    )
    return (out, idx) if return_indices else out


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size: _Size,
    output_size: _Size | None = None,
    output_ratio: float | Sequence[float] | None = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Same as :func:`fractional_max_pool3d` with ``return_indices=True`` (the argument is ignored): always returns ``(values, indices)``.


    Each output cell is the maximum over a ``kernel_size`` window whose start along each dim
    follows a pseudo-random sequence: with one sample ``u`` in ``[0, 1)`` per plane and dim,
    ``start_i = int((i + u) * alpha) - int(u * alpha)`` for ``i < out - 1``, ``alpha = (in -
    kernel_size) / (out - 1)``, and ``in - kernel_size`` for the last window (PyTorch's
    sequence, computed in the input's dtype, so equal ``_random_samples`` give PyTorch's exact
    windows). Ties pick the first maximum in row-major window order; a window holding NaN gives
    NaN. The gradient goes to the chosen cell of each window (summed over windows sharing it).

    Args:
        input: ``(N, C, T, H, W)`` or without the batch dim; float32/float64, non-empty.
        kernel_size: int or 3-tuple, positive.
        output_size: int or 3-tuple of the output spatial size, or None.
        output_ratio: float or 3-tuple; ``output = int(input_size * ratio)``; used when
            ``output_size`` is None (one of the two is required).
        return_indices: also return the int64 flat positions of the maxima in each input
            plane (``t * H * W + h * W + w``).
        _random_samples: ``(N', C, 3)`` samples in ``[0, 1)`` of the input's dtype
            (``N' >=`` the batch size, 1 for an unbatched input; the first ``N`` are used);
            default drawn with ``ember.rand`` from the default generator.
    Returns:
        ``(N, C, oT, oH, oW)`` maxima (``input``'s dtype), and with ``return_indices`` a tuple
        ``(values, indices)``.
    Raises:
        ValueError: wrong rank or empty input, neither output_size nor output_ratio, a
            non-positive kernel_size, a window that does not fit (``output + kernel_size - 1``
            must be < the input size), or ``_random_samples`` of the wrong shape.
        TypeError: non-floating input or ``_random_samples`` of another dtype.
    Reference:
        Graham, "Fractional Max-Pooling", arXiv:1412.6071, 2014.
    """
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3)


def fractional_max_pool3d(
    input: Tensor,
    kernel_size: _Size,
    output_size: _Size | None = None,
    output_ratio: float | Sequence[float] | None = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Tensor | tuple[Tensor, Tensor]:
    """Fractional max pooling over ``(N, C, T, H, W)`` (Graham 2014).

    Each output cell is the maximum over a ``kernel_size`` window whose start along each dim
    follows a pseudo-random sequence: with one sample ``u`` in ``[0, 1)`` per plane and dim,
    ``start_i = int((i + u) * alpha) - int(u * alpha)`` for ``i < out - 1``, ``alpha = (in -
    kernel_size) / (out - 1)``, and ``in - kernel_size`` for the last window (PyTorch's
    sequence, computed in the input's dtype, so equal ``_random_samples`` give PyTorch's exact
    windows). Ties pick the first maximum in row-major window order; a window holding NaN gives
    NaN. The gradient goes to the chosen cell of each window (summed over windows sharing it).

    Args:
        input: ``(N, C, T, H, W)`` or without the batch dim; float32/float64, non-empty.
        kernel_size: int or 3-tuple, positive.
        output_size: int or 3-tuple of the output spatial size, or None.
        output_ratio: float or 3-tuple; ``output = int(input_size * ratio)``; used when
            ``output_size`` is None (one of the two is required).
        return_indices: also return the int64 flat positions of the maxima in each input
            plane (``t * H * W + h * W + w``).
        _random_samples: ``(N', C, 3)`` samples in ``[0, 1)`` of the input's dtype
            (``N' >=`` the batch size, 1 for an unbatched input; the first ``N`` are used);
            default drawn with ``ember.rand`` from the default generator.
    Returns:
        ``(N, C, oT, oH, oW)`` maxima (``input``'s dtype), and with ``return_indices`` a tuple
        ``(values, indices)``.
    Raises:
        ValueError: wrong rank or empty input, neither output_size nor output_ratio, a
            non-positive kernel_size, a window that does not fit (``output + kernel_size - 1``
            must be < the input size), or ``_random_samples`` of the wrong shape.
        TypeError: non-floating input or ``_random_samples`` of another dtype.
    Reference:
        Graham, "Fractional Max-Pooling", arXiv:1412.6071, 2014.
    """
    out, idx = _fractional_max_pool(
        input, kernel_size, output_size, output_ratio, _random_samples, 3
    )
    return (out, idx) if return_indices else out


