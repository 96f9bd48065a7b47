"""``Dropout``."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout"]


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
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"p={self.p}, inplace={self.inplace}"
