"""``Flatten`` and ``Unflatten``."""

from __future__ import annotations

from collections.abc import Sequence

from ..._C import Tensor
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flattens dims ``start_dim..end_dim`` into one (defaults 1 and -1: keeps the batch)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Flatten` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim ``dim`` into ``unflattened_size`` (whose product must equal its size)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Unflatten` to its inputs; shapes, dtypes and errors as in the class docstring."""
        shape = list(input.shape)
        d = self.dim + len(shape) if self.dim < 0 else self.dim
        if not 0 <= d < len(shape):
            raise IndexError(
                f"Unflatten: dim {self.dim} out of range for input of shape {tuple(shape)}"
            )
        return input.reshape(shape[:d] + list(self.unflattened_size) + shape[d + 1 :])

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
