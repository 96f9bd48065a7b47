"""Pooling layers with Keras's channels-last convention: ``MaxPooling1D/2D``,
``AveragePooling1D/2D``, ``GlobalAveragePooling1D/2D``, ``GlobalMaxPooling1D/2D``.

Each has a channels-first path (``call_channels_first``) used by models inside a run of
spatial layers (see ``ember.keras.layers.convolutional``).
"""

from __future__ import annotations

from typing import Any

import ember

from ..._C import Tensor
from ...autograd import no_grad
from ...nn import functional as F
from .base import Layer, shape_str
from .convolutional import (
    default_name,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    output_length,
    pad_arg,
    same_pads,
    to_channels_first,
    to_channels_last,
)

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
]


class _Pooling(Layer):
    """Shared code of the windowed pooling layers (``rank`` spatial dims)."""

    rank = 2
    _channels_first_keeps_layout = True

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", cls)
        self.strides = (self.pool_size if strides is None
                        else normalize_tuple(strides, self.rank, "strides", cls))
        self.padding = normalize_padding(padding, cls)
        self.data_format = normalize_data_format(data_format, cls)
        self._count_cache: dict[tuple, Tensor] = {}

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None).

        Raises:
            ValueError: wrong rank, or a window larger than a 'valid' input.
        """
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of rank "
                             f"{self.rank + 2}, got shape {shape_str(input_shape)}")
        cf = self.data_format == "channels_first"
        spatial = input_shape[2:] if cf else input_shape[1:-1]
        out = tuple(output_length(s, k, st, self.padding)
                    for s, k, st in zip(spatial, self.pool_size, self.strides))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"{type(self).__name__} '{self.name}': pool_size {self.pool_size} "
                             f"is larger than the input, shape {shape_str(input_shape)}")
        if cf:
            return (input_shape[0], input_shape[1], *out)
        return (input_shape[0], *out, input_shape[-1])

    def _channels_first_ok(self, input_shape: tuple) -> bool:
        return self.data_format == "channels_last" and len(input_shape) == self.rank + 2

    def _check(self, x: Tensor) -> None:
        if x.dim() != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of rank "
                             f"{self.rank + 2}, got shape {tuple(x.shape)}")
        for s, k in zip(x.shape[2:], self.pool_size):
            if self.padding == "valid" and k > s:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': pool_size {self.pool_size} is larger "
                    f"than the input, spatial size {tuple(x.shape[2:])}")

    def _pads(self, x: Tensor) -> list[tuple[int, int]] | None:
        if self.padding == "valid":
            return None
        return [same_pads(int(s), k, st) for s, k, st in
                zip(x.shape[2:], self.pool_size, self.strides)]

    def _pool(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def call_channels_first(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """Pooling of channels-first data ``(N, C, *spatial)``."""
        self._check(inputs)
        return self._pool(inputs)

    def call(self, inputs: Tensor) -> Tensor:
        """Pooling in the layer's ``data_format``.

        Raises:
            ValueError: wrong rank, or a window larger than a 'valid' input.
        """
        if self.data_format == "channels_first":
            return self.call_channels_first(inputs)
        if inputs.dim() != self.rank + 2:
            self._check(inputs)
        return to_channels_last(self.call_channels_first(to_channels_first(inputs)))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format)
        return config


def _squeeze_1d(fn: Any, x: Tensor, *args: Any) -> Tensor:
    # (N, C, L) -> 2-D op on (N, C, 1, L) -> (N, C, L_out)
    return fn(x.unsqueeze(2), *args).squeeze(2)


class MaxPooling2D(_Pooling):
    """Max pooling over ``pool_size`` windows.

    Args:
        pool_size: int or ``(ph, pw)``. Default ``(2, 2)``.
        strides: int or pair; default (None) equals ``pool_size``.
        padding: ``'valid'`` (default) or ``'same'`` (output ``ceil(size / stride)``; the
            padding, split as in Keras with the odd cell at the bottom/right, never wins).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, H_out, W_out, C)``.
    Raises:
        ValueError: bad sizes or padding; a window larger than a 'valid' input.
    Example:
        >>> layer = keras.layers.MaxPooling2D(2)
    """

    rank = 2

    def _pool(self, x: Tensor) -> Tensor:
        pads = self._pads(x)
        padding: Any = 0
        if pads is not None:
            if all(a == b for a, b in pads):
                padding = tuple(a for a, _ in pads)
            else:
                x = F.pad(x, pad_arg(pads), value=float("-inf"))
        if self.rank == 1:
            return _squeeze_1d(F.max_pool2d, x, (1, self.pool_size[0]), (1, self.strides[0]),
                               (0, padding if isinstance(padding, int) else padding[0]))
        return F.max_pool2d(x, self.pool_size, self.strides, padding)


class MaxPooling1D(MaxPooling2D):
    """Max pooling over sequences ``(batch, steps, channels)``; arguments as
    :class:`MaxPooling2D` with ints (``pool_size`` default 2)."""

    rank = 1


class AveragePooling2D(_Pooling):
    """Average pooling over ``pool_size`` windows.

    Args:
        pool_size: int or ``(ph, pw)``. Default ``(2, 2)``.
        strides: int or pair; default (None) equals ``pool_size``.
        padding: ``'valid'`` (default) or ``'same'``; with ``'same'`` each average is taken
            over the real input cells of its window only (Keras's rule: padding is not
            counted).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, H_out, W_out, C)``.
    Raises:
        ValueError: bad sizes or padding; a window larger than a 'valid' input.
    """

    rank = 2

    def _pool(self, x: Tensor) -> Tensor:
        if self.rank == 1:
            pads = self._pads(x)
            y = _squeeze_1d(self._pool2d, x, [(0, 0)] + pads if pads is not None else None,
                            (1, self.pool_size[0]), (1, self.strides[0]))
            return y
        return self._pool2d(x, self._pads(x), self.pool_size, self.strides)

    def _pool2d(self, x: Tensor, pads: Any, pool: tuple, strides: tuple) -> Tensor:
        if pads is None:
            return F.avg_pool2d(x, pool, strides)
        if all(a == b for a, b in pads):
            return F.avg_pool2d(x, pool, strides, tuple(a for a, _ in pads),
                                count_include_pad=False)
        # Asymmetric padding: zero-pad, average over whole windows, then rescale each output by
        # window size / real cells in it (a constant map per input size).
        y = F.avg_pool2d(F.pad(x, pad_arg(pads)), pool, strides)
        key = (tuple(x.shape[2:]), x.dtype, tuple(pads), pool, strides)
        scale = self._count_cache.get(key)
        if scale is None:
            with no_grad():
                ones = ember.ones(1, 1, *x.shape[2:], dtype=x.dtype)
                frac = F.avg_pool2d(F.pad(ones, pad_arg(pads)), pool, strides)
                scale = 1.0 / frac
            self._count_cache[key] = scale
        return y * scale


class AveragePooling1D(AveragePooling2D):
    """Average pooling over sequences ``(batch, steps, channels)``; arguments as
    :class:`AveragePooling2D` with ints (``pool_size`` default 2)."""

    rank = 1


class _GlobalPooling(Layer):
    """Shared code of the global pooling layers."""

    rank = 2

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    @property
    def _channels_first_keeps_layout(self) -> bool:
        return self.keepdims

    def _channels_first_ok(self, input_shape: tuple) -> bool:
        return self.data_format == "channels_last" and len(input_shape) == self.rank + 2

    def _check(self, x: Tensor) -> None:
        if x.dim() != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of rank "
                             f"{self.rank + 2}, got shape {tuple(x.shape)}")

    def _reduce(self, x: Tensor, dims: list[int]) -> Tensor:
        raise NotImplementedError

    def call_channels_first(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """``(N, C, *spatial)`` -> ``(N, C)`` (or ``(N, C, 1, ...)`` with ``keepdims``)."""
        self._check(inputs)
        return self._reduce(inputs, list(range(2, self.rank + 2)))

    def call(self, inputs: Tensor) -> Tensor:
        """Reduces the spatial axes of ``inputs`` (in the layer's ``data_format``).

        Raises:
            ValueError: wrong input rank.
        """
        self._check(inputs)
        if self.data_format == "channels_first":
            return self._reduce(inputs, list(range(2, self.rank + 2)))
        return self._reduce(inputs, list(range(1, self.rank + 1)))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input of rank "
                             f"{self.rank + 2}, got shape {shape_str(input_shape)}")
        cf = self.data_format == "channels_first"
        c = input_shape[1] if cf else input_shape[-1]
        if not self.keepdims:
            return (input_shape[0], c)
        ones = (1,) * self.rank
        return (input_shape[0], c, *ones) if cf else (input_shape[0], *ones, c)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over the spatial axes: ``(batch, H, W, C)`` -> ``(batch, C)`` (``(batch, 1, 1, C)``
    with ``keepdims=True``).

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with size 1. Default False.
    Raises:
        ValueError: input not of rank 4.
    """

    rank = 2

    def _reduce(self, x: Tensor, dims: list[int]) -> Tensor:
        return x.mean(dims, keepdim=self.keepdims)


class GlobalAveragePooling1D(GlobalAveragePooling2D):
    """Mean over the steps: ``(batch, steps, C)`` -> ``(batch, C)``.

    With a mask (from ``Masking``, ``Embedding(mask_zero=True)`` or a recurrent layer with
    ``return_sequences=True``), the mean is over the unmasked steps only, as in Keras:
    ``sum(x * mask) / sum(mask)`` (a sample with every step masked gives NaN); the output
    carries no mask.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the steps axis with size 1. Default False.
    Raises:
        ValueError: input not of rank 3.
    """

    rank = 1
    supports_masking = True

    def call(self, inputs: Tensor, mask: Tensor | None = None) -> Tensor:
        """Mean over the steps; over the unmasked steps when ``mask`` ``(batch, steps)`` is
        given.

        Raises:
            ValueError: wrong input rank.
        """
        if mask is None:
            return super().call(inputs)
        self._check(inputs)
        axis = 2 if self.data_format == "channels_first" else 1
        m = mask.to(inputs.dtype).unsqueeze(1 if axis == 2 else 2)
        total = (inputs * m).sum(axis, keepdim=self.keepdims)
        return total / m.sum(axis, keepdim=self.keepdims)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """None: the steps axis is reduced away."""
        return None


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over the spatial axes: ``(batch, H, W, C)`` -> ``(batch, C)`` (``(batch, 1, 1,
    C)`` with ``keepdims=True``).

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with size 1. Default False.
    Raises:
        ValueError: input not of rank 4.
    """

    rank = 2

    def _reduce(self, x: Tensor, dims: list[int]) -> Tensor:
        # Spatial axes are the trailing ones (channels-first) or the middle ones
        # (channels-last); bring them together and take one max over them.
        if dims[0] != 2:
            x = x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))
        y = x.reshape(x.shape[0], x.shape[1], -1).max(2).values
        if self.keepdims:
            ones = (1,) * self.rank
            y = (y.reshape(y.shape[0], y.shape[1], *ones) if dims[0] == 2
                 else y.reshape(y.shape[0], *ones, y.shape[1]))
        return y


class GlobalMaxPooling1D(GlobalMaxPooling2D):
    """Maximum over the steps: ``(batch, steps, C)`` -> ``(batch, C)``."""

    rank = 1


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
