"""Functional normalization, padding, resampling and 2-D dropout ops (re-exported by ``ember.nn.functional``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import _C
from .._C import Generator, Tensor

__all__ = ["batch_norm", "dropout2d", "group_norm", "interpolate", "pad", "upsample"]


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization over the channel dim (dim 1).

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel. With ``training`` the
    mean and biased variance of the batch (over every dim but 1) are used and, when given,
    ``running_mean``/``running_var`` are updated in place:
    ``running = (1 - momentum) * running + momentum * batch_stat`` (the variance unbiased,
    ``* n / (n - 1)``). Otherwise the running statistics are used.

    Args:
        input: shape ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)`` (any ``(N, C, *)``),
            float32 or float64.
        running_mean: shape ``(C,)`` or None (then ``training`` must be True).
        running_var: shape ``(C,)`` or None, given together with ``running_mean``.
        weight: per-channel scale ``(C,)`` or None (ones).
        bias: per-channel shift ``(C,)`` or None (zeros).
        training: use batch statistics and update the running ones. Default False.
        momentum: running-statistics update factor in [0, 1]. Default 0.1.
        eps: added to the variance. Default 1e-5.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        ValueError: a parameter whose shape is not ``(C,)``, fewer than 2 dims, a single value
            per channel when training, or missing running statistics in eval mode.
        TypeError: non-floating input.
    Reference: Ioffe & Szegedy, "Batch Normalization", ICML 2015.
    """
    return _C._batch_norm(
        input, running_mean, running_var, weight, bias, bool(training), float(momentum), float(eps)
    )


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Group normalization: channels split into ``num_groups`` groups; each (sample, group)
    block is normalized by its mean and biased variance, then ``* weight[c] + bias[c]``.

    Args:
        input: shape ``(N, C, *)``, float32 or float64; ``C`` divisible by ``num_groups``.
        num_groups: number of groups (positive).
        weight: ``(C,)`` or None.  bias: ``(C,)`` or None.
        eps: added to the variance. Default 1e-5.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        ValueError: ``C`` not divisible by ``num_groups``, bad weight/bias shape.
        TypeError: non-floating input.
    Reference: Wu & He, "Group Normalization", ECCV 2018.
    """
    return _C._group_norm(input, int(num_groups), weight, bias, float(eps))


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pads ``input``; PyTorch's pad order: ``(left, right)`` of the last dim first, then
    ``(top, bottom)`` of the one before, and so on. Negative values crop.

    Args:
        input: any shape for ``"constant"``; for ``"reflect"``/``"replicate"`` the last 1 or
            2 dims are padded (pad of 2 or 4 values) and the dtype is floating.
        pad: even-length sequence of ints, at most ``2 * input.dim()`` long.
        mode: ``"constant"`` (default), ``"reflect"`` (mirror without repeating the edge) or
            ``"replicate"`` (repeat the edge).
        value: fill value for ``"constant"``. Default 0.
    Returns:
        The padded tensor, dtype of ``input``.
    Raises:
        ValueError: odd or too long ``pad``, a reflect pad not smaller than its dim, a
            negative result size, an unknown mode or a value given with a non-constant mode.
        TypeError: non-floating input for reflect/replicate.
    Example:
        >>> F.pad(ember.ones(1, 2), (1, 0), value=5.0)
        tensor([[5., 1., 1.]])
    """
    if mode != "constant" and value is not None and value != 0:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    if mode == "circular":
        raise NotImplementedError("pad: mode 'circular' is not supported")
    return _C._pad(input, [int(p) for p in pad], mode, 0.0 if value is None else float(value))


def _spatial_tuple(v: object, n: int, name: str, cast: type) -> list:
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(
                f"interpolate: {name} must have {n} entries (one per spatial dim), got {tuple(v)}"
            )
        return [cast(a) for a in v]
    return [cast(v)] * n


def interpolate(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resamples the spatial dims of ``input`` to ``size`` or by ``scale_factor``.

    ``nearest`` reads input index ``min(floor(i * scale), in - 1)``; ``linear``/``bilinear``
    blend the two nearest inputs at source position ``(i + 0.5) * scale - 0.5`` (clamped at 0),
    or ``i * (in - 1) / (out - 1)`` with ``align_corners``. ``scale`` is ``1 / scale_factor``
    when given (unless ``recompute_scale_factor``), else ``in / out`` (PyTorch's rules).

    Args:
        input: ``(N, C, L)`` or ``(N, C, H, W)``, float32 or float64.
        size: output spatial size, int or one per spatial dim.
        scale_factor: float or one per spatial dim; output size ``floor(in * scale_factor)``.
        mode: ``"nearest"`` (default), ``"linear"`` (3-D) or ``"bilinear"`` (4-D).
        align_corners: for the linear modes only; default False.
        recompute_scale_factor: compute the scale from the output size. Default False.
        antialias: must be False.
    Returns:
        Tensor ``(N, C, *size)`` of ``input``'s dtype.
    Raises:
        ValueError: both or neither of ``size``/``scale_factor``, wrong input rank for the
            mode, ``align_corners`` with ``"nearest"``, non-positive sizes,
            ``recompute_scale_factor`` with ``size``.
        TypeError: non-floating input.
    """
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if recompute_scale_factor and size is not None:
        raise ValueError(
            "interpolate: recompute_scale_factor is not meaningful with an explicit size"
        )
    nd = max(input.dim() - 2, 1)
    sz = None if size is None else _spatial_tuple(size, nd, "size", int)
    sf = None if scale_factor is None else _spatial_tuple(scale_factor, nd, "scale_factor", float)
    if sf is not None and any(math.isnan(s) for s in sf):
        raise ValueError(
            f"interpolate: scale_factor must be positive and finite, got {scale_factor}"
        )
    return _C._interpolate(input, sz, sf, mode, align_corners, recompute_scale_factor)


def upsample(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Same as :func:`interpolate` (PyTorch's older name)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def dropout2d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Zeroes whole channels with probability ``p`` and scales the kept ones by ``1 / (1 - p)``.

    One Bernoulli draw per ``(n, c)`` pair, from ``generator`` or the default generator
    (seeded by ``ember.manual_seed``). The identity when not ``training``.

    Args:
        input: ``(N, C, H, W)``, or ``(N, C, L)`` (dropped channel-wise like PyTorch), floating.
        p: drop probability in [0, 1]. Default 0.5.
        training: apply dropout. Default True.
        inplace: write the result into ``input`` and return it (the same mask and values).
        generator: random source or None.
    Raises:
        ValueError: ``p`` outside [0, 1] or an input that is not 3-D or 4-D.
        RuntimeError: ``inplace`` on a leaf that requires grad (as for any in-place op).
    Reference: Tompson et al., "Efficient Object Localization Using Convolutional Networks",
        CVPR 2015.
    """
    if inplace:
        from .functional import _dropout_inplace

        return _dropout_inplace(_C._dropout2d, input, p, training, generator)
    return _C._dropout2d(input, float(p), bool(training), generator)
