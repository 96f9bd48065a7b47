"""``Dropout``, ``Dropout2d``."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout2d"]


class Dropout(Module):
    """Zeroes elements with probability ``p`` in training mode, scaling the rest by
    ``1 / (1 - p)``; the identity in eval mode.

    Args:
        p: drop probability in [0, 1]. Default 0.5.
    Raises:
        ValueError: ``p`` outside [0, 1].
    Reference: Srivastava et al., "Dropout", JMLR 2014.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Dropout` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Module):
    """Zeroes whole channels (feature maps) with probability ``p`` in training mode, scaling
    the kept ones by ``1 / (1 - p)``; the identity in eval mode.

    One draw per ``(n, c)`` from the default generator (seeded by ``ember.manual_seed``).

    Args:
        p: drop probability in [0, 1]. Default 0.5.
        inplace: write the result into the input and return it.
    Shape:
        ``(N, C, H, W)`` (or ``(N, C, L)``) -> same.
    Raises:
        ValueError: ``p`` outside [0, 1]; input not 3-D or 4-D.
    Reference: Tompson et al., "Efficient Object Localization Using Convolutional Networks",
        CVPR 2015.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Dropout2d`; see the class docstring."""
        return F.dropout2d(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"p={self.p}, inplace={self.inplace}"
