"""Regularization layers: ``GaussianNoise``, ``GaussianDropout``, ``SpatialDropout1D/2D/3D``
(active only while training, inside ``fit``) and ``ActivityRegularization``.

Random draws come from ember's default generator (seeded by ``ember.manual_seed`` or
``keras.utils.set_random_seed``); the ``seed`` arguments are accepted for Keras compatibility.
"""

from __future__ import annotations

import math
from typing import Any

import ember

from ... import _C
from ..._C import Tensor
from .base import Layer, shape_str
from .convolutional import default_name, normalize_data_format

__all__ = [
    "ActivityRegularization",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]


class _Elementwise(Layer):
    """A layer whose output has the input's shape and dtype; an input mask passes through
    (Keras 3's GaussianNoise, GaussianDropout, SpatialDropout and ActivityRegularization
    support masking)."""

    supports_masking = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype


class GaussianNoise(_Elementwise):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` while training; the
    identity otherwise.

    Args:
        stddev: standard deviation of the noise, in [0, 1].
        seed: accepted for Keras compatibility (the default generator is used).
    Raises:
        ValueError: ``stddev`` outside [0, 1].
    Shape:
        any shape; same shape out.
    """

    _layout_agnostic = True

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not 0.0 <= float(stddev) <= 1.0:
            raise ValueError(f"GaussianNoise: stddev must be a float in [0, 1], got {stddev!r}")
        self.stddev, self.seed = float(stddev), seed

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """``inputs + N(0, stddev)`` when ``training``, else ``inputs``."""
        if training and self.stddev > 0:
            return inputs + ember.randn(*inputs.shape, dtype=inputs.dtype) * self.stddev
        return inputs

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Elementwise):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` while training; the identity otherwise.

    Args:
        rate: drop probability of the equivalent dropout, in [0, 1).
        seed: accepted for Keras compatibility (the default generator is used).
    Raises:
        ValueError: ``rate`` outside [0, 1).
    Shape:
        any shape; same shape out.
    Reference: Srivastava et al., "Dropout", JMLR 2014, section 10.
    """

    _layout_agnostic = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"GaussianDropout: rate must be a float in [0, 1), got {rate!r}")
        self.rate, self.seed = float(rate), seed

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """``inputs * N(1, sqrt(rate / (1 - rate)))`` when ``training``, else ``inputs``."""
        if training and self.rate > 0:
            std = math.sqrt(self.rate / (1.0 - self.rate))
            return inputs * (ember.randn(*inputs.shape, dtype=inputs.dtype) * std + 1.0)
        return inputs

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class _SpatialDropout(_Elementwise):
    rank = 1
    _channels_first_keeps_layout = True

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        cls = type(self).__name__
        if isinstance(rate, bool) or not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"{cls}: rate must be a float in [0, 1), got {rate!r}")
        self.rate, self.seed = float(rate), seed
        self.data_format = normalize_data_format(data_format, cls)

    def _check(self, shape: tuple) -> None:
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected input of rank {self.rank + 2} "
                f"(batch, {'spatial, ' * self.rank}channels), got shape {shape_str(shape)}")

    def _drop(self, x: Tensor, cf: bool) -> Tensor:
        # One keep/drop draw per (sample, channel), scaled by 1 / (1 - rate).
        shape = [1] * x.dim()
        shape[0] = int(x.shape[0])
        c = 1 if cf else x.dim() - 1
        shape[c] = int(x.shape[c])
        mask = _C._dropout(ember.ones(*shape, dtype=x.dtype), self.rate, True, None)
        return x * mask

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """Drops whole channels with probability ``rate`` when ``training``.

        Raises:
            ValueError: wrong input rank.
        """
        self._check(tuple(inputs.shape))
        if training and self.rate > 0:
            return self._drop(inputs, self.data_format == "channels_first")
        return inputs

    def _channels_first_ok(self, input_shape: tuple) -> bool:
        return self.data_format == "channels_last" and len(input_shape) == self.rank + 2

    def call_channels_first(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """The layer on channels-first data ``(N, C, *spatial)``."""
        self._check(tuple(inputs.shape))
        if training and self.rate > 0:
            return self._drop(inputs, True)
        return inputs

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = {**super().get_config(), "rate": self.rate, "seed": self.seed}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole feature maps: while training, each ``(sample, channel)`` of a
    ``(batch, steps, channels)`` input is zeroed with probability ``rate`` (the kept ones are
    scaled by ``1 / (1 - rate)``); the identity otherwise.

    Args:
        rate: drop probability in [0, 1).
        seed: accepted for Keras compatibility.
    Raises:
        ValueError: ``rate`` outside [0, 1); a call on a non-3-D input.
    Reference: Tompson et al., "Efficient Object Localization Using Convolutional Networks",
    CVPR 2015.
    """

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, None, seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole channels of images (see :class:`SpatialDropout1D`).

    Args:
        rate: drop probability in [0, 1).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        seed: accepted for Keras compatibility.
    Raises:
        ValueError: ``rate`` outside [0, 1); a call on a non-4-D input.
    Shape:
        ``(batch, H, W, C)``; same shape out.
    """

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole channels of volumes ``(batch, D, H, W, C)`` (see
    :class:`SpatialDropout1D`).

    Raises:
        ValueError: ``rate`` outside [0, 1); a call on a non-5-D input.
    """

    rank = 3


class ActivityRegularization(_Elementwise):
    """Passes its input through and adds ``(l1 * sum(|x|) + l2 * sum(x ** 2)) / batch_size``
    to the model's loss (in ``fit`` and ``evaluate``; see ``Layer.add_loss``).

    Args:
        l1: L1 factor (default 0).
        l2: L2 factor (default 0).
    Raises:
        ValueError: a negative factor.
    Shape:
        any shape; same shape out.
    """

    _layout_agnostic = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for n, v in (("l1", l1), ("l2", l2)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f"ActivityRegularization: {n} must be a number >= 0, got {v!r}")
        self.l1, self.l2 = float(l1), float(l2)

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs``; records the activity penalty with :meth:`add_loss`."""
        if self.l1 or self.l2:
            loss = None
            if self.l1:
                loss = _C.abs(inputs).sum() * self.l1
            if self.l2:
                sq = (inputs * inputs).sum() * self.l2
                loss = sq if loss is None else loss + sq
            if inputs.dim() > 0 and inputs.shape[0] > 0:
                loss = loss / float(inputs.shape[0])
            self.add_loss(loss)
        return inputs

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}

