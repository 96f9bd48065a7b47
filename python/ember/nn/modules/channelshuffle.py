"""``ChannelShuffle``."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Splits the channels of ``(N, C, *)`` into ``groups`` groups and interleaves them
    (``F.channel_shuffle``): output channel ``j * groups + g`` is input channel
    ``g * (C / groups) + j``.

    Args:
        groups: number of groups; must divide the channel count.
    Shape:
        ``(N, C, *)`` with at least 3 dims -> same.
    Raises:
        ValueError: ``groups`` not a positive int; at call time, ``groups`` not dividing ``C``
            or an input with fewer than 3 dims.
    Reference:
        Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural Network for
        Mobile Devices", CVPR 2018.
    Example:
        >>> shuffle = nn.ChannelShuffle(2)
        >>> shuffle
        ChannelShuffle(groups=2)
        >>> shuffle(ember.arange(4.0).reshape(1, 4, 1)).flatten()
        tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"ChannelShuffle: groups must be a positive int, got {groups!r}")
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`ChannelShuffle`; see the class docstring."""
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"groups={self.groups}"
