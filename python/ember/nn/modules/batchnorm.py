"""Batch normalization layers of ``ember.nn``."""

from __future__ import annotations

from typing import Any

from ... import empty, int64, ones, tensor, zeros
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """Parameters, running-statistics buffers, resets and repr shared by batch and instance
    normalization."""

    def _init_norm(
        self,
        num_features: int,
        eps: float,
        momentum: float | None,
        affine: bool,
        track_running_stats: bool,
        dtype: Any,
        bias: bool,
    ) -> None:
        """Checks ``eps`` and ``momentum`` (``num_features`` is checked by the caller), stores
        the arguments, registers ``weight``/``bias`` and the running-statistics buffers (None
        where off) and resets them."""
        name = type(self).__name__
        if eps < 0:
            raise ValueError(f"{name}: eps must be >= 0, got {eps}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        kw = {} if dtype is None else {"dtype": dtype}
        if affine:
            self.weight = Parameter(empty(self.num_features, **kw))
            if bias:
                self.bias = Parameter(empty(self.num_features, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(self.num_features, **kw))
            self.register_buffer("running_var", ones(self.num_features, **kw))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean to zeros, running variance to ones, ``num_batches_tracked`` to 0."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        """Resets the running statistics; weight to ones and bias to zeros (PyTorch's init)."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """Shared implementation of :class:`BatchNorm1d`, :class:`BatchNorm2d` and
    :class:`BatchNorm3d`."""

    _dims: tuple[int, ...] = ()
    _dims_text = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if int(num_features) <= 0:
            raise ValueError(f"{name}: num_features must be positive, got {num_features}")
        self._init_norm(num_features, eps, momentum, affine, track_running_stats, dtype, bias)

    def _check_input(self, input: Tensor) -> None:
        name = type(self).__name__
        if input.dim() not in self._dims:
            raise ValueError(
                f"{name}: expected {self._dims_text} input (got {input.dim()}D input of shape "
                f"{tuple(input.shape)})"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: expected input with {self.num_features} channels (input.shape[1]), "
                f"got input of shape {tuple(input.shape)}"
            )

    def forward(self, input: Tensor) -> Tensor:
        """Normalizes ``input``; see the class docstring for shapes and the statistics used."""
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            from ... import no_grad

            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of ``(N, C)`` or ``(N, C, L)`` inputs over the channel dim.

    In training mode each channel is normalized by the batch mean and biased variance (over
    ``N`` and ``L``) and the running statistics are updated,
    ``running = (1 - momentum) * running + momentum * batch`` (unbiased variance); with
    ``momentum=None`` they are the cumulative average over ``num_batches_tracked`` batches. In
    eval mode the running statistics are used. ``y = (x - mean) / sqrt(var + eps) * weight +
    bias``.

    Args:
        num_features: ``C``.
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None for a cumulative average.
            Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        bias: (keyword) learn the bias when ``affine``. Default True.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked`` (int64 0) buffers; without them batch statistics are used
            in eval mode too. Default True.
        dtype: parameter and buffer dtype (float32 default).
    Shape:
        ``(N, C)`` or ``(N, C, L)`` -> same.
    Raises:
        ValueError: bad hyperparameters; input of the wrong rank or channel count; a single
            value per channel in training mode.
    Reference: Ioffe & Szegedy, "Batch Normalization", ICML 2015.
    """

    _dims = (2, 3)
    _dims_text = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` inputs over the channel dim.

    Statistics are taken over ``N``, ``H`` and ``W`` per channel; otherwise as
    :class:`BatchNorm1d` (same arguments, buffers and train/eval behaviour).

    Args:
        num_features: ``C``.
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None (cumulative average).
            Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        bias: (keyword) learn the bias when ``affine``. Default True.
        track_running_stats: keep running statistics. Default True.
        dtype: parameter and buffer dtype (float32 default).
    Shape:
        ``(N, C, H, W)`` -> same.
    Raises:
        ValueError: bad hyperparameters; non-4-D input or the wrong channel count.
    Reference: Ioffe & Szegedy, "Batch Normalization", ICML 2015.
    """

    _dims = (4,)
    _dims_text = "4D"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of ``(N, C, D, H, W)`` inputs (volumes, video) over the channel dim.

    Each channel is normalized by the mean and biased variance over ``N``, ``D``, ``H`` and
    ``W``: ``y = (x - mean) / sqrt(var + eps) * weight + bias``. In training mode the batch
    statistics are used and the running ones updated,
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased,
    ``* n / (n - 1)`` with ``n = N * D * H * W``), or, with ``momentum=None``, averaged over
    the ``num_batches_tracked`` batches; in eval mode the running statistics are used. The
    same arguments, buffers and train/eval behaviour as :class:`BatchNorm1d`.

    Args:
        num_features: ``C``.
        eps: added to the variance. Default 1e-5.
        momentum: running-statistics factor in [0, 1], or None (cumulative average).
            Default 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default True.
        bias: (keyword) learn the bias when ``affine``. Default True.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked`` (int64 0); without them batch statistics are used in eval
            mode too. Default True.
        device: accepted for PyTorch compatibility.
        dtype: parameter and buffer dtype (float32 default).
    Shape:
        ``(N, C, D, H, W)`` -> same shape and dtype.
    Raises:
        ValueError: bad hyperparameters; input that is not 5-D or has another channel count;
            a single value per channel in training mode.
    Reference: Ioffe & Szegedy, "Batch Normalization", ICML 2015.
    Example:
        >>> bn = nn.BatchNorm3d(2)
        >>> bn
        BatchNorm3d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> bn(ember.ones(2, 2, 1, 2, 2)).shape
        (2, 2, 1, 2, 2)
    """

    _dims = (5,)
    _dims_text = "5D"
