"""``Dropout``, ``Dropout1d``, ``Dropout2d``, ``Dropout3d``, ``AlphaDropout``,
``FeatureAlphaDropout``."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
]


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


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"{type(self).__name__}: dropout probability has to be between 0 and 1, but got {p}"
            )
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, L)`` input with probability ``p`` in training mode,
    scaling the kept ones by ``1 / (1 - p)``; the identity in eval mode.

    One draw per ``(n, c)`` from the default generator (seeded by ``ember.manual_seed``).

    Args:
        p: drop probability in [0, 1]. Default 0.5.
        inplace: write the result into the input and return it.
    Shape:
        ``(N, C, L)`` or ``(C, L)`` -> same.
    Raises:
        ValueError: ``p`` outside [0, 1]; an input that is not 2-D or 3-D (at call time).
    Reference:
        Tompson et al., "Efficient Object Localization Using Convolutional Networks",
        CVPR 2015.
    Example:
        >>> m = nn.Dropout1d(p=0.5)
        >>> m.eval()(ember.ones(1, 2, 2))
        tensor([[[1., 1.],
                 [1., 1.]]])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Dropout1d`; see the class docstring."""
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, D, H, W)`` input with probability ``p`` in training
    mode, scaling the kept ones by ``1 / (1 - p)``; the identity in eval mode.

    Args:
        p: drop probability in [0, 1]. Default 0.5.
        inplace: write the result into the input and return it.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> same.
    Raises:
        ValueError: ``p`` outside [0, 1].
    Reference:
        Tompson et al., "Efficient Object Localization Using Convolutional Networks",
        CVPR 2015.
    Example:
        >>> nn.Dropout3d(p=1.0)(ember.ones(1, 1, 1, 1, 2))
        tensor([[[[[0., 0.]]]]])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Dropout3d`; see the class docstring."""
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout (``F.alpha_dropout``) in training mode, keeping the mean and variance of
    SELU activations; the identity in eval mode.

    Args:
        p: drop probability in [0, 1]. Default 0.5.
        inplace: accepted for PyTorch compatibility; unused (as in PyTorch).
    Shape:
        any -> same.
    Raises:
        ValueError: ``p`` outside [0, 1].
    Reference:
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017.
    Example:
        >>> nn.AlphaDropout(0.2)
        AlphaDropout(p=0.2, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`AlphaDropout`; see the class docstring."""
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (``F.feature_alpha_dropout``) in training mode; the
    identity in eval mode.

    Args:
        p: drop probability in [0, 1]. Default 0.5.
        inplace: accepted for PyTorch compatibility; unused (as in PyTorch).
    Shape:
        ``(N, C, *)`` -> same.
    Raises:
        ValueError: ``p`` outside [0, 1]; an input with fewer than 2 dims (at call time).
    Reference:
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017.
    Example:
        >>> nn.FeatureAlphaDropout(0.0)(ember.ones(1, 2))
        tensor([[1., 1.]])
    """

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`FeatureAlphaDropout`; see the class docstring."""
        return F.feature_alpha_dropout(input, self.p, self.training)
