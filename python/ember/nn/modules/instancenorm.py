"""Instance normalization layers of ``ember.nn``: ``InstanceNorm1d``, ``InstanceNorm2d`` and
``InstanceNorm3d``."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from ..._C import Tensor
from .. import functional as F
from .batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    """Shared implementation; ``_spatial`` is the number of spatial dims."""

    _spatial = 1

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if (
            isinstance(num_features, bool)
            or not isinstance(num_features, numbers.Integral)
            or num_features <= 0
        ):
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        self._init_norm(num_features, eps, momentum, affine, track_running_stats, dtype, bias)

    def forward(self, input: Tensor) -> Tensor:
        """Normalizes each instance; see the class docstring for shapes and statistics."""
        name = type(self).__name__
        nb = self._spatial + 1  # dims of an unbatched input
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.dim() not in (nb, nb + 1):
            raise ValueError(
                f"{name}: expected {nb}D or {nb + 1}D input (got {input.dim()}D input of shape "
                f"{tuple(input.shape)})"
            )
        feature_dim = input.dim() - nb
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"{name}: expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got input of shape {tuple(input.shape)}"
                )
            warnings.warn(
                f"{name}: input's size at dim={feature_dim} does not match num_features. You "
                "can silence this warning by not passing in num_features, which is not used "
                "because affine=False",
                stacklevel=2,
            )
        x = input.unsqueeze(0) if input.dim() == nb else input
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if input.dim() == nb else out

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        return super().extra_repr()


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of ``(N, C, L)``: each ``(n, c)`` sequence is normalized by its
    own mean and biased variance, ``y = (x - mean) / sqrt(var + eps) * weight + bias``.

    In training mode (or without ``track_running_stats``) the statistics are the input's; with
    ``track_running_stats`` the running averages of the per-instance statistics are updated
    (``running = (1 - momentum) * running + momentum * stat``, the variance unbiased) and used in
    eval mode. ``momentum=None`` leaves the running statistics unchanged, as in PyTorch.

    Args:
        num_features: ``C``.
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros). Default False.
        track_running_stats: keep ``running_mean``/``running_var`` buffers. Default False.
        dtype: parameter dtype (float32 default).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Attributes:
        weight, bias: ``(C,)`` when ``affine``.
        running_mean, running_var, num_batches_tracked: buffers with ``track_running_stats``
            (``num_batches_tracked`` is kept for PyTorch's state_dict and not incremented).
    Shape:
        ``(N, C, L)`` or ``(C, L)`` -> same.
    Raises:
        ValueError: bad constructor arguments; an input that is not 2-D or 3-D, a channel count
            other than ``num_features`` with ``affine``, or ``L == 1`` when normalizing with the
            input's statistics.
    Reference:
        Ulyanov et al., "Instance Normalization: The Missing Ingredient for Fast Stylization",
        2016.
    Example:
        >>> m = nn.InstanceNorm1d(2)
        >>> m.affine, m.track_running_stats, list(m.state_dict())
        (False, False, [])
        >>> m(ember.tensor([[[1.0, 3.0], [5.0, 5.0]]]))
        tensor([[[-1.0000,  1.0000],
                 [ 0.0000,  0.0000]]])
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of ``(N, C, H, W)``: each ``(n, c)`` plane is normalized by its
    own mean and biased variance (see :class:`InstanceNorm1d` for the running statistics).

    Args:
        num_features: ``C``.
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros). Default False.
        track_running_stats: keep ``running_mean``/``running_var`` buffers. Default False.
        dtype: parameter dtype (float32 default).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> same.
    Raises:
        ValueError: as :class:`InstanceNorm1d` with 3-D or 4-D inputs.
    Reference:
        Ulyanov et al., "Instance Normalization: The Missing Ingredient for Fast Stylization",
        2016.
    Example:
        >>> m = nn.InstanceNorm2d(3, affine=True)
        >>> sorted(m.state_dict())
        ['bias', 'weight']
        >>> m(ember.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of ``(N, C, D, H, W)``: each ``(n, c)`` volume is normalized by its
    own mean and biased variance (see :class:`InstanceNorm1d` for the running statistics).

    Args:
        num_features: ``C``.
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None. Default 0.1.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros). Default False.
        track_running_stats: keep ``running_mean``/``running_var`` buffers. Default False.
        dtype: parameter dtype (float32 default).
        bias: (keyword) learn the bias when ``affine``. Default True.
    Shape:
        ``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> same.
    Raises:
        ValueError: as :class:`InstanceNorm1d` with 4-D or 5-D inputs.
    Reference:
        Ulyanov et al., "Instance Normalization: The Missing Ingredient for Fast Stylization",
        2016.
    Example:
        >>> m = nn.InstanceNorm3d(2, track_running_stats=True)
        >>> sorted(m.state_dict())
        ['num_batches_tracked', 'running_mean', 'running_var']
        >>> m(ember.randn(1, 2, 3, 3, 3)).shape
        (1, 2, 3, 3, 3)
    """

    _spatial = 3
