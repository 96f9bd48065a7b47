"""Activation modules: ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, Softmax, LogSoftmax."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["GELU", "LeakyReLU", "LogSoftmax", "ReLU", "SiLU", "Sigmoid", "Softmax", "Tanh"]


class ReLU(Module):
    """``max(x, 0)`` elementwise. Shape: any -> same."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`ReLU` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (default slope 0.01)."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LeakyReLU` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """GELU ``x * Phi(x)``; ``approximate`` is ``"none"`` (default) or ``"tanh"``."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`GELU` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`SiLU` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``."""

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Sigmoid` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Tanh` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.tanh(input)


class Softmax(Module):
    """Softmax along ``dim`` (see :func:`ember.nn.functional.softmax`)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Softmax` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log-softmax along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LogSoftmax` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"dim={self.dim}"
