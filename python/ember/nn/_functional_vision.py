"""Channel/space rearrangement (re-exported by ``ember.nn.functional``): ``pixel_shuffle`` and
``pixel_unshuffle``, each a reshape, a permute and a reshape."""

from __future__ import annotations

import operator

from .._C import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _factor(value: int, op: str, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got bool")
    try:
        r = operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__}") from None
    if r <= 0:
        raise ValueError(f"{op}: {name} must be positive, got {r}")
    return r


def _check_input(input: Tensor, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected input to be a Tensor, got {type(input).__name__}")
    if input.dim() < 3:
        raise ValueError(
            f"{op}: expected an input with at least 3 dims (*, C, H, W), got shape "
            f"{tuple(input.shape)}"
        )


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearranges ``(*, C * r**2, H, W)`` into ``(*, C, H * r, W * r)``, ``r = upscale_factor``.

    ``out[..., c, h * r + i, w * r + j] = input[..., c * r**2 + i * r + j, h, w]``: each group
    of ``r**2`` channels becomes an ``r x r`` block of pixels (sub-pixel convolution).

    Args:
        input: shape ``(*, C * r**2, H, W)``, any dtype.
        upscale_factor: ``r``, a positive int.
    Returns:
        Tensor of shape ``(*, C, H * r, W * r)``, ``input``'s dtype.
    Raises:
        TypeError: a non-int ``upscale_factor``.
        ValueError: fewer than 3 dims, ``upscale_factor <= 0``, or ``input.shape[-3]`` not
            divisible by ``upscale_factor ** 2``.
    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient
        Sub-Pixel Convolutional Neural Network", CVPR 2016.
    Example:
        >>> F.pixel_shuffle(ember.arange(4.0).reshape(1, 4, 1, 1), 2)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """
    op = "pixel_shuffle"
    r = _factor(upscale_factor, op, "upscale_factor")
    _check_input(input, op)
    *batch, c, h, w = (int(s) for s in input.shape)
    if c % (r * r):
        raise ValueError(
            f"{op}: input.shape[-3] ({c}) must be divisible by upscale_factor ** 2 ({r * r}); "
            f"input shape {tuple(input.shape)}"
        )
    b = len(batch)
    x = input.reshape([*batch, c // (r * r), r, r, h, w])
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape([*batch, c // (r * r), h * r, w * r])


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearranges ``(*, C, H * r, W * r)`` into ``(*, C * r**2, H, W)``, ``r = downscale_factor``:
    the inverse of :func:`pixel_shuffle`.

    Args:
        input: shape ``(*, C, H * r, W * r)``, any dtype.
        downscale_factor: ``r``, a positive int.
    Returns:
        Tensor of shape ``(*, C * r**2, H, W)``, ``input``'s dtype.
    Raises:
        TypeError: a non-int ``downscale_factor``.
        ValueError: fewer than 3 dims, ``downscale_factor <= 0``, or a height or width not
            divisible by ``downscale_factor``.
    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient
        Sub-Pixel Convolutional Neural Network", CVPR 2016.
    Example:
        >>> F.pixel_unshuffle(ember.arange(4.0).reshape(1, 1, 2, 2), 2).flatten()
        tensor([0., 1., 2., 3.])
    """
    op = "pixel_unshuffle"
    r = _factor(downscale_factor, op, "downscale_factor")
    _check_input(input, op)
    *batch, c, h, w = (int(s) for s in input.shape)
    for name, idx, size in (("height", -2, h), ("width", -1, w)):
        if size % r:
            raise ValueError(
                f"{op}: the {name} input.shape[{idx}] ({size}) must be divisible by "
                f"downscale_factor ({r}); input shape {tuple(input.shape)}"
            )
    b = len(batch)
    x = input.reshape([*batch, c, h // r, r, w // r, r])
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape([*batch, c * r * r, h // r, w // r])
