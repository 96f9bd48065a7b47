"""Normalization layers: BatchNormalization (Keras semantics: normalizes over every axis but
``axis``), LayerNormalization, GroupNormalization, UnitNormalization."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from ... import _C
from ..._C import Tensor
from ...autograd import no_grad
from ...nn import functional as F
from .. import initializers, regularizers
from .base import Layer, shape_str

__all__ = [
    "BatchNormalization",
    "GroupNormalization",
    "LayerNormalization",
    "UnitNormalization",
    "batch_norm",
]

_MASK_EPSILON = 1e-7  # Keras's backend epsilon in the masked moments


def batch_norm(
    x: Tensor,
    moving_mean: Tensor,
    moving_var: Tensor,
    gamma: Tensor | None,
    beta: Tensor | None,
    training: bool,
    momentum: float,
    epsilon: float,
    axis: int,
    mask: Tensor | None = None,
) -> Tensor:
    """Keras batch normalization of ``x`` along feature axis ``axis``.

    Training: ``mean``/``var`` (biased) over all other axes, ``y = (x - mean) / sqrt(var + eps)
    * gamma + beta``, and in place (no gradient)
    ``moving = moving * momentum + batch_stat * (1 - momentum)``. Inference: the moving
    statistics replace the batch ones. With a Keras ``mask`` (``x``'s shape without the last
    axis, True for the steps to use), the training statistics are Keras's masked moments:
    ``mean = sum(m x) / (sum(m) + 1e-7)``, ``var = sum(m (m x - mean) ** 2) / (sum(m) +
    1e-7)`` over the other axes, ``m`` the mask broadcast over the last axis; every step is
    then normalized with them.

    Args:
        x: floating tensor, rank >= 2.
        moving_mean, moving_var: ``(C,)`` buffers, updated in place when training.
        gamma, beta: ``(C,)`` scale and offset, or None.
        axis: the feature axis (non-negative).
        mask: optional bool tensor of shape ``x.shape[:-1]`` (used when training).
    Returns:
        Tensor of ``x``'s shape.
    Raises:
        ValueError: a mask whose shape is not ``x.shape[:-1]``.
    Reference: Ioffe & Szegedy, "Batch Normalization", 2015; Keras 3's
        ``BatchNormalization._moments``.
    """
    ndim = x.dim()
    bshape = [1] * ndim
    bshape[axis] = x.shape[axis]
    last = axis == ndim - 1

    def b(t: Tensor) -> Tensor:
        """Shapes a per-channel vector to broadcast against the input (no-op for channels-last)."""
        return t if last else t.reshape(bshape)

    if mask is not None and tuple(mask.shape) != tuple(x.shape[:-1]):
        raise ValueError(f"BatchNormalization: the mask should have the input's shape without "
                         f"its last axis; got mask.shape={tuple(mask.shape)}, "
                         f"inputs.shape={tuple(x.shape)}")
    if training and mask is not None:
        dims = [d for d in range(ndim) if d != axis]
        m = mask.to(x.dtype).unsqueeze(-1)
        count = m.sum(dims, keepdim=True) + _MASK_EPSILON
        mx = m * x
        mean = mx.sum(dims, keepdim=True) / count
        dev = mx - mean
        var = (m * dev * dev).sum(dims, keepdim=True) / count
        y = (x - mean) * _C.rsqrt(var + epsilon)
        with no_grad():
            moving_mean.mul_(momentum).add_(mean.detach().reshape(-1) * (1.0 - momentum))
            moving_var.mul_(momentum).add_(var.detach().reshape(-1) * (1.0 - momentum))
    elif training:
        dims = [d for d in range(ndim) if d != axis]
        mean = x.mean(dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dims, keepdim=True)
        y = centered * _C.rsqrt(var + epsilon)
        with no_grad():
            moving_mean.mul_(momentum).add_(mean.detach().reshape(-1) * (1.0 - momentum))
            moving_var.mul_(momentum).add_(var.detach().reshape(-1) * (1.0 - momentum))
    else:
        y = (x - b(moving_mean)) * b(_C.rsqrt(moving_var + epsilon))
    if gamma is not None:
        y = y * b(gamma)
    if beta is not None:
        y = y + b(beta)
    return y


class BatchNormalization(Layer):
    """Normalizes each feature with the batch statistics while training and with moving
    averages of them otherwise (Keras's defaults: ``momentum=0.99``, ``epsilon=1e-3``, the
    last axis).

    Args:
        axis: the feature axis (default -1).
        momentum: moving-average momentum in [0, 1] (default 0.99).
        epsilon: added to the variance (default 1e-3).
        center, scale: learn ``beta`` / ``gamma`` (default True).
        beta_initializer, gamma_initializer: default ``'zeros'`` / ``'ones'``.
        moving_mean_initializer, moving_variance_initializer: default ``'zeros'`` / ``'ones'``.
    Raises:
        ValueError: momentum outside [0, 1], epsilon <= 0, or an axis outside the input rank.
    Shape:
        any ``(batch, ...)``; same shape out. Weights: ``gamma``, ``beta`` (trainable),
        ``moving_mean``, ``moving_variance`` (non-trainable), each ``(C,)``.
    Reference: Ioffe & Szegedy, "Batch Normalization", 2015.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum}")
        if epsilon <= 0:
            raise ValueError(f"BatchNormalization: epsilon must be > 0, got {epsilon}")
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape: Any) -> None:
        """Creates ``gamma``, ``beta``, ``moving_mean``, ``moving_variance`` of shape ``(C,)``.

        Raises:
            ValueError: ``axis`` out of range or the feature dimension unknown.
        """
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} is out of range "
                             f"for input shape {shape_str(tuple(input_shape))}")
        self._axis = self.axis % ndim
        c = input_shape[self._axis]
        if c is None:
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} of input shape "
                             f"{shape_str(tuple(input_shape))} must be known")
        if self.scale:
            self.add_weight("gamma", (c,), self.gamma_initializer)
        if self.center:
            self.add_weight("beta", (c,), self.beta_initializer)
        self.add_weight("moving_mean", (c,), self.moving_mean_initializer, trainable=False)
        self.add_weight("moving_variance", (c,), self.moving_variance_initializer,
                        trainable=False)

    supports_masking = True  # the mask passes through; training moments skip masked steps

    def call(self, inputs: Tensor, training: bool | None = None, mask: Any = None) -> Tensor:
        """Normalizes with batch statistics (and updates the moving ones) when ``training``;
        with a Keras ``mask`` (``inputs.shape[:-1]``) the statistics are over the unmasked
        steps only, as Keras 3 (see :func:`batch_norm`).

        Raises:
            ValueError: a mask whose shape is not ``inputs.shape[:-1]``.
        """
        p, bufs = self._parameters, self._buffers
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None and not isinstance(mask, Tensor):  # a numpy mask given by the caller
            mask = ember.from_numpy(np.array(mask, dtype=bool, order="C"))
        return batch_norm(inputs, bufs["moving_mean"], bufs["moving_variance"],
                          p.get("gamma"), p.get("beta"), bool(training) and self.trainable,
                          self.momentum, self.epsilon, self._axis, mask)

    # Channels-first path, used by models inside a run of spatial layers (see
    # ember.keras.layers.convolutional): a channels-last feature axis of a 3-D/4-D input is
    # axis 1 of the permuted data, which the fused batch_norm kernel normalizes over.
    _channels_first_keeps_layout = True

    def _channels_first_ok(self, input_shape: tuple) -> bool:
        n = len(input_shape)
        return n in (3, 4) and getattr(self, "_axis", None) == n - 1

    def call_channels_first(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """The layer on channels-first data ``(N, C, *spatial)`` (features on axis 1)."""
        p, bufs = self._parameters, self._buffers
        mm, mv = bufs["moving_mean"], bufs["moving_variance"]
        train = bool(training) and self.trainable
        count = inputs.numel() // max(int(inputs.shape[1]), 1)
        if not train:
            return F.batch_norm(inputs, mm, mv, p.get("gamma"), p.get("beta"), False, 0.0,
                                self.epsilon)
        if count < 2:
            return batch_norm(inputs, mm, mv, p.get("gamma"), p.get("beta"), True,
                              self.momentum, self.epsilon, 1)
        # The kernel's running variance is unbiased; Keras averages the biased one. Let the
        # kernel write the batch statistics into scratch buffers (momentum 1), then update.
        with no_grad():
            batch_mean = ember.zeros_like(mm)
            batch_var = ember.zeros_like(mv)
        y = F.batch_norm(inputs, batch_mean, batch_var, p.get("gamma"), p.get("beta"), True,
                         1.0, self.epsilon)
        with no_grad():
            m = self.momentum
            mm.mul_(m).add_(batch_mean * (1.0 - m))
            mv.mul_(m).add_(batch_var * ((1.0 - m) * (count - 1) / count))
        return y

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        config = super().get_config()
        config.update(axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
                      center=self.center, scale=self.scale)
        return config


class LayerNormalization(Layer):
    """Normalizes each sample over its last axis: ``(x - mean) / sqrt(var + epsilon) * gamma +
    beta`` (biased variance; Keras's default ``epsilon=1e-3``).

    Args:
        axis: must be -1 (the last axis).
        epsilon: added to the variance (default 1e-3).
        center, scale: learn ``beta`` / ``gamma`` (default True).
    Raises:
        NotImplementedError: another axis.  ValueError: epsilon <= 0.
    Reference: Ba et al., "Layer Normalization", 2016.
    """

    supports_masking = True  # per-step normalization: a mask passes through (Keras 3)

    def __init__(self, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if axis != -1:
            raise NotImplementedError("LayerNormalization: only axis=-1 is supported")
        if epsilon <= 0:
            raise ValueError(f"LayerNormalization: epsilon must be > 0, got {epsilon}")
        self.axis, self.epsilon, self.center, self.scale = -1, float(epsilon), bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)

    def build(self, input_shape: Any) -> None:
        """Creates ``gamma`` and ``beta`` of shape ``(C,)``, C the last input dimension."""
        c = input_shape[-1]
        if self.scale:
            self.add_weight("gamma", (c,), self.gamma_initializer)
        if self.center:
            self.add_weight("beta", (c,), self.beta_initializer)
        self._c = int(c)

    def call(self, inputs: Tensor) -> Tensor:
        """One ``layer_norm`` call over the last axis."""
        p = self._parameters
        return F.layer_norm(inputs, (self._c,), p.get("gamma"), p.get("beta"), self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale)
        return config


def _init_config(init: Any) -> Any:
    try:
        return initializers.serialize(init)
    except ValueError:
        return getattr(init, "__name__", repr(init))


class GroupNormalization(Layer):
    """Group normalization: the channels (along ``axis``) are split into ``groups`` groups;
    each (sample, group) block, over all its positions and channels, is normalized by its own
    mean and (biased) variance, then ``* gamma + beta`` per channel. Independent of the batch
    size; ``groups=1`` normalizes whole samples, ``groups=-1`` (one channel per group) is
    instance normalization.

    Args:
        groups: number of groups (default 32), dividing the channel count; -1 for one group
            per channel.
        axis: the channel axis (default -1).
        epsilon: added to the variance (default 1e-3).
        center, scale: learn ``beta`` / ``gamma`` (default True).
        beta_initializer, gamma_initializer: default ``'zeros'`` / ``'ones'``.
        beta_regularizer, gamma_regularizer: penalties added to the loss (default None).
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: ``groups`` 0 or < -1, epsilon <= 0; at build time an unknown channel
            dimension, more groups than channels, or channels not divisible by ``groups``.
        NotImplementedError: a constraint given.
    Shape:
        any ``(batch, ..., C)``; same shape out. Weights ``gamma``, ``beta`` of shape ``(C,)``.
    Reference: Wu & He, "Group Normalization", ECCV 2018.
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if beta_constraint is not None or gamma_constraint is not None:
            raise NotImplementedError("GroupNormalization: constraints are not supported")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups == 0 or groups < -1:
            raise ValueError(f"GroupNormalization: groups must be a positive int or -1, got "
                             f"{groups!r}")
        if epsilon <= 0:
            raise ValueError(f"GroupNormalization: epsilon must be > 0, got {epsilon}")
        self.groups, self.axis, self.epsilon = groups, int(axis), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape: Any) -> None:
        """Creates ``gamma`` and ``beta`` of shape ``(C,)``.

        Raises:
            ValueError: ``axis`` out of range, an unknown channel dimension, more groups than
                channels, or channels not divisible by ``groups``.
        """
        shape = tuple(input_shape)
        ndim = len(shape)
        if not -ndim < self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(f"GroupNormalization '{self.name}': axis {self.axis} is out of range "
                             f"for input shape {shape_str(shape)}")
        self._axis = self.axis % ndim
        c = shape[self._axis]
        if c is None:
            raise ValueError(f"GroupNormalization '{self.name}': axis {self.axis} of the input "
                             f"should have a defined dimension, got input shape {shape_str(shape)}")
        c = int(c)
        g = c if self.groups == -1 else self.groups
        if c < g:
            raise ValueError(f"GroupNormalization '{self.name}': number of groups ({g}) cannot be "
                             f"more than the number of channels ({c}); input shape "
                             f"{shape_str(shape)}")
        if c % g:
            raise ValueError(f"GroupNormalization '{self.name}': the number of channels ({c}) "
                             f"must be a multiple of the number of groups ({g}); input shape "
                             f"{shape_str(shape)}")
        self._groups, self._c = g, c
        if self.scale:
            self.add_weight("gamma", (c,), self.gamma_initializer,
                            regularizer=self.gamma_regularizer)
        if self.center:
            self.add_weight("beta", (c,), self.beta_initializer, regularizer=self.beta_regularizer)

    def _check(self, x: Tensor, axis: int) -> None:
        if x.dim() <= axis or x.shape[axis] != self._c:
            raise ValueError(f"GroupNormalization '{self.name}': expected {self._c} channels on "
                             f"axis {self.axis}, got input shape {tuple(x.shape)}")

    def call(self, inputs: Tensor) -> Tensor:
        """Normalizes each (sample, group) block, then scales and shifts per channel.

        Raises:
            ValueError: a channel count other than the built one.
        """
        x = inputs
        last = x.dim() - 1
        self._check(x, self._axis if self._axis < x.dim() else last)
        moved = self._axis != last
        if moved:
            x = x.movedim(self._axis, -1)
        shape = tuple(x.shape)
        g = self._groups
        xr = x.reshape(shape[0], -1, g, self._c // g)
        mean = xr.mean([1, 3], keepdim=True)
        centered = xr - mean
        var = (centered * centered).mean([1, 3], keepdim=True)
        y = (centered * _C.rsqrt(var + self.epsilon)).reshape(shape)
        p = self._parameters
        if self.scale:
            y = y * p["gamma"]
        if self.center:
            y = y + p["beta"]
        return y.movedim(-1, self._axis) if moved else y

    # Channels-first path inside runs of spatial layers: the fused group_norm kernel.
    _channels_first_keeps_layout = True

    def _channels_first_ok(self, input_shape: tuple) -> bool:
        n = len(input_shape)
        return n in (3, 4) and getattr(self, "_axis", None) == n - 1

    def call_channels_first(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """The layer on channels-first data ``(N, C, *spatial)``."""
        self._check(inputs, 1)
        p = self._parameters
        return F.group_norm(inputs, self._groups, p.get("gamma"), p.get("beta"), self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config.update(groups=self.groups, axis=self.axis, epsilon=self.epsilon,
                      center=self.center, scale=self.scale,
                      beta_initializer=_init_config(self.beta_initializer),
                      gamma_initializer=_init_config(self.gamma_initializer),
                      beta_regularizer=regularizers.serialize(self.beta_regularizer),
                      gamma_regularizer=regularizers.serialize(self.gamma_regularizer))
        return config


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along ``axis``: ``x / sqrt(max(sum(x ** 2), 1e-12))``
    (Keras's formula).

    Args:
        axis: int or list of ints (default -1) to compute the norm over.
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: (at call) an axis outside the input rank.
    Shape:
        any shape; same shape out.
    Example:
        >>> keras.layers.UnitNormalization()(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """

    supports_masking = True  # an input mask passes through (Keras 3)

    def __init__(self, axis: int | list[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs * rsqrt(max(sum(inputs ** 2, axis), 1e-12))``.

        Raises:
            ValueError: an axis outside the input rank.
        """
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        n = inputs.dim()
        if any(not -n <= a < n for a in axes):
            raise ValueError(f"UnitNormalization '{self.name}': axis {self.axis} is out of range "
                             f"for input shape {tuple(inputs.shape)}")
        square_sum = (inputs * inputs).sum(axes, keepdim=True)
        return inputs * _C.rsqrt(_C.clamp(square_sum, 1e-12, None))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "axis": self.axis}
