"""``PixelShuffle`` and ``PixelUnshuffle``: channel <-> space rearrangement."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """Rearranges ``(*, C * r**2, H, W)`` into ``(*, C, H * r, W * r)``; see
    :func:`ember.nn.functional.pixel_shuffle`.

    Args:
        upscale_factor: ``r``, a positive int.
    Shape:
        ``(*, C * r**2, H, W)`` -> ``(*, C, H * r, W * r)``.
    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient
        Sub-Pixel Convolutional Neural Network", CVPR 2016.
    Example:
        >>> nn.PixelShuffle(3)(ember.randn(1, 9, 4, 4)).shape
        (1, 1, 12, 12)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`PixelShuffle`; see the class docstring."""
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearranges ``(*, C, H * r, W * r)`` into ``(*, C * r**2, H, W)``, the inverse of
    :class:`PixelShuffle`; see :func:`ember.nn.functional.pixel_unshuffle`.

    Args:
        downscale_factor: ``r``, a positive int.
    Shape:
        ``(*, C, H * r, W * r)`` -> ``(*, C * r**2, H, W)``.
    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient
        Sub-Pixel Convolutional Neural Network", CVPR 2016.
    Example:
        >>> nn.PixelUnshuffle(3)(ember.randn(1, 1, 12, 12)).shape
        (1, 9, 4, 4)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`PixelUnshuffle`; see the class docstring."""
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"downscale_factor={self.downscale_factor}"
