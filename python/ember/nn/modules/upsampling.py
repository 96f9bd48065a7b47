"""Upsampling layers of ``ember.nn``."""

from __future__ import annotations

from collections.abc import Sequence

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Upsample"]


class Upsample(Module):
    """Resamples ``(N, C, L)`` or ``(N, C, H, W)`` inputs with :func:`ember.nn.functional.interpolate`.

    Args:
        size: output spatial size (int or one per spatial dim), or None.
        scale_factor: multiplier of the spatial size (float or one per dim), or None; exactly
            one of ``size`` and ``scale_factor`` is given.
        mode: ``"nearest"`` (default), ``"linear"`` or ``"bilinear"``.
        align_corners: for the linear modes only.
        recompute_scale_factor: compute the scale from the output size.
    Shape:
        ``(N, C, H, W)`` -> ``(N, C, floor(H * scale), floor(W * scale))`` or ``(N, C, *size)``.
    Raises:
        ValueError: as :func:`ember.nn.functional.interpolate`.
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        scale_factor: float | Sequence[float] | None = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(s) for s in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Resamples ``input``; see the class docstring."""
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)
