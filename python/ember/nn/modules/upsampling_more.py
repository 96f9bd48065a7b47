"""Fixed-mode upsampling layers of ``ember.nn``: ``UpsamplingNearest2d`` and
``UpsamplingBilinear2d`` (PyTorch's, kept for compatibility; they do not warn)."""

from __future__ import annotations

from collections.abc import Sequence

from .upsampling import Upsample

__all__ = ["UpsamplingBilinear2d", "UpsamplingNearest2d"]


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of ``(N, C, H, W)``: :class:`Upsample` with
    ``mode="nearest"``.

    Args:
        size: output ``(H_out, W_out)`` or int, or None.
        scale_factor: multiplier of ``H`` and ``W`` (float or pair), or None; exactly one of
            ``size`` and ``scale_factor`` is given.
    Shape:
        ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)`` with ``H_out = floor(H * scale_factor)``
        or ``size``.
    Raises:
        ValueError: as :func:`ember.nn.functional.interpolate`.
    Example:
        >>> m = nn.UpsamplingNearest2d(scale_factor=2)
        >>> m
        UpsamplingNearest2d(scale_factor=2.0, mode='nearest')
        >>> m(ember.ones(1, 1, 2, 2)).shape
        (1, 1, 4, 4)
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
    ) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of ``(N, C, H, W)`` with ``align_corners=True``: :class:`Upsample`
    with ``mode="bilinear", align_corners=True`` (the corner cells of input and output
    coincide; ``nn.Upsample(..., mode="bilinear")`` defaults to ``align_corners=False``).

    Args:
        size: output ``(H_out, W_out)`` or int, or None.
        scale_factor: multiplier of ``H`` and ``W`` (float or pair), or None; exactly one of
            ``size`` and ``scale_factor`` is given.
    Shape:
        ``(N, C, H, W)`` -> ``(N, C, H_out, W_out)``; float32 or float64.
    Raises:
        ValueError: as :func:`ember.nn.functional.interpolate` (e.g. a non-4-D input).
    Example:
        >>> nn.UpsamplingBilinear2d(size=(3, 4))
        UpsamplingBilinear2d(size=(3, 4), mode='bilinear')
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
    ) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
