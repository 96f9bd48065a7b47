"""Further activation modules: ``Threshold``, ``Softmin``, ``Softmax2d``, ``Tanhshrink``,
``Softshrink`` and ``Hardshrink``."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "Hardshrink", "RReLU", "Softmax2d", "Softmin", "Softshrink", "Tanhshrink", "Threshold",
]


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value`` (``F.threshold``).

    Args:
        threshold: values at or below it are replaced.
        value: the replacement.
        inplace: overwrite the input. Default False.
    Shape:
        any -> same.
    Raises:
        TypeError: non-floating input (at call time).
    Example:
        >>> m = nn.Threshold(0.1, 20.0)
        >>> m
        Threshold(threshold=0.1, value=20.0)
        >>> m(ember.tensor([0.0, 0.5]))
        tensor([20.0000,  0.5000])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Threshold`; see the class docstring."""
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class Softmin(Module):
    """Softmin along ``dim``: ``softmax(-x, dim)`` (``F.softmin``).

    Args:
        dim: the normalized dim; None picks PyTorch's legacy default (with a warning).
    Shape:
        any -> same.
    Raises:
        IndexError: ``dim`` out of range (at call time).
    Example:
        >>> nn.Softmin(dim=0)(ember.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Softmin`; see the class docstring."""
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every spatial location: ``softmax(x, dim=-3)``.

    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> same.
    Raises:
        ValueError: an input that is not 3-D or 4-D.
    Example:
        >>> nn.Softmax2d()(ember.zeros(1, 2, 1, 1)).flatten()
        tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Softmax2d`; see the class docstring."""
        if input.dim() not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead (shape "
                f"{tuple(input.shape)})"
            )
        return F.softmax(input, -3)


class Tanhshrink(Module):
    """``x - tanh(x)`` (``F.tanhshrink``).

    Shape:
        any -> same.
    Raises:
        TypeError: non-floating input (at call time).
    Example:
        >>> nn.Tanhshrink()(ember.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Tanhshrink`; see the class docstring."""
        return F.tanhshrink(input)


class Softshrink(Module):
    """Soft shrinkage (``F.softshrink``): ``x - lambd`` above ``lambd``, ``x + lambd`` below
    ``-lambd``, else 0.

    Args:
        lambd: the threshold, >= 0. Default 0.5.
    Shape:
        any -> same.
    Raises:
        ValueError: ``lambd < 0``.
    Example:
        >>> m = nn.Softshrink(1.0)
        >>> m
        Softshrink(1.0)
        >>> m(ember.tensor([-3.0, 0.5, 2.0]))
        tensor([-2.,  0.,  1.])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        if lambd < 0:
            raise ValueError(f"Softshrink: lambd must be >= 0, got {lambd}")
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Softshrink`; see the class docstring."""
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return str(self.lambd)


class Hardshrink(Module):
    """Hard shrinkage (``F.hardshrink``): ``x`` where ``|x| > lambd``, else 0.

    Args:
        lambd: the threshold. Default 0.5.
    Shape:
        any -> same.
    Raises:
        TypeError: non-floating input (at call time).
    Example:
        >>> nn.Hardshrink()(ember.tensor([-1.0, 0.25]))
        tensor([-1.,  0.])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Hardshrink`; see the class docstring."""
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"{self.lambd}"


class RReLU(Module):
    """Randomized leaky ReLU (``F.rrelu``): in training each negative element is scaled by a
    slope drawn from ``Uniform(lower, upper)``; in evaluation by ``(lower + upper) / 2``.

    Args:
        lower, upper: the slope range. Defaults 1/8 and 1/3.
        inplace: overwrite the input. Default False.
    Shape:
        any -> same.
    Raises:
        ValueError: ``lower > upper`` (at call time).
    Reference:
        Xu et al., "Empirical Evaluation of Rectified Activations in Convolutional Network",
        2015.
    Example:
        >>> nn.RReLU().eval()(ember.tensor([-1.0, 2.0]))
        tensor([-0.2292,  2.0000])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`RReLU`; see the class docstring."""
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        inplace = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{inplace}"
