"""``LayerNorm``, ``RMSNorm``, ``GroupNorm``, ``LocalResponseNorm``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ... import empty
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["GroupNorm", "LayerNorm", "LocalResponseNorm", "RMSNorm"]


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape`` dims.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance.

    Args:
        normalized_shape: int or tuple: the trailing dims to normalize.
        eps: added to the variance. Default 1e-5.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        bias: learn the bias (when affine). Default True.
    Shape:
        input ``(*, *normalized_shape)`` -> same.
    Reference: Ba et al., "Layer Normalization", 2016.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._has_bias = bias
        kw = {} if dtype is None else {"dtype": dtype}
        if elementwise_affine:
            self.weight = Parameter(empty(*self.normalized_shape, **kw))
            if bias:
                self.bias = Parameter(empty(*self.normalized_shape, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initializes the parameters with PyTorch's default initialization for this layer."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LayerNorm` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self._has_bias}"
        )


class RMSNorm(Module):
    """Root-mean-square normalization over the trailing ``normalized_shape`` dims.

    ``y = x / sqrt(mean(x**2) + eps) * weight`` (``F.rms_norm``): no centering and no bias.

    Args:
        normalized_shape: int or tuple: the trailing dims to normalize.
        eps: added to the mean square; default None, the dtype's machine epsilon.
        elementwise_affine: learn ``weight`` (ones). Default True.
    Shape:
        input ``(*, *normalized_shape)`` -> same.
    Raises:
        ValueError: an input whose trailing dims differ from ``normalized_shape``.
    Reference: Zhang & Sennrich, "Root Mean Square Layer Normalization", NeurIPS 2019.
    Example:
        >>> nn.RMSNorm(2, eps=0.0)(ember.tensor([[3.0, 4.0]]))
        tensor([[0.8485, 1.1314]], grad_fn=<MulBackward0>)
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            kw = {} if dtype is None else {"dtype": dtype}
            self.weight = Parameter(empty(*self.normalized_shape, **kw))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Sets ``weight`` to ones (PyTorch's initialization)."""
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`RMSNorm` to its input; shapes and errors as in the class docstring."""
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Group normalization: the ``num_channels`` channels are split into ``num_groups``
    groups and each (sample, group) block is normalized by its own mean and biased variance,
    then scaled and shifted per channel: ``y = (x - mean) / sqrt(var + eps) * weight + bias``.

    Args:
        num_groups: number of groups; must divide ``num_channels``.
        num_channels: ``C``.
        eps: added to the variance. Default 1e-5.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros). Default True.
        bias: (keyword) learn the bias when ``affine``. Default True.
        dtype: parameter dtype (float32 default).
    Shape:
        ``(N, C, *)`` -> same.
    Raises:
        ValueError: ``num_channels`` not divisible by ``num_groups``; an input whose channel
            count is not ``num_channels``.
    Reference: Wu & He, "Group Normalization", ECCV 2018.
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups != 0:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = eps
        self.affine = affine
        kw = {} if dtype is None else {"dtype": dtype}
        if affine:
            self.weight = Parameter(empty(self.num_channels, **kw))
            if bias:
                self.bias = Parameter(empty(self.num_channels, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to ones, bias to zeros (PyTorch's default initialization)."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`GroupNorm`; shapes and errors as in the class docstring."""
        if input.dim() < 2 or input.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm: expected input of shape (N, {self.num_channels}, *), got "
                f"{tuple(input.shape)}"
            )
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class LocalResponseNorm(Module):
    """Local response normalization across channels (``F.local_response_norm``):
    ``y[n, c] = x[n, c] / (k + alpha / size * sum_{c'} x[n, c'] ** 2) ** beta`` over the ``size``
    neighbouring channels ``c - size // 2 <= c' <= c + (size - 1) // 2``.

    Args:
        size: number of neighbouring channels summed.
        alpha: multiplicative factor. Default 1e-4.
        beta: exponent. Default 0.75.
        k: additive factor. Default 1.0.
    Shape:
        ``(N, C, *)`` with at least one spatial dim -> same.
    Raises:
        ValueError: a non-positive ``size``; an input with fewer than 3 dims (at call time).
    Reference:
        Krizhevsky et al., "ImageNet Classification with Deep Convolutional Neural Networks",
        NeurIPS 2012.
    Example:
        >>> lrn = nn.LocalResponseNorm(2)
        >>> lrn
        LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
        >>> lrn(ember.zeros(1, 4, 3, 3)).shape
        (1, 4, 3, 3)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"LocalResponseNorm: size must be a positive int, got {size!r}")
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`LocalResponseNorm`; see the class docstring."""
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
