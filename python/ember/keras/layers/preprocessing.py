"""Preprocessing layers: ``Rescaling``, ``Normalization`` (with ``adapt``) and
``CategoryEncoding``. They have no trainable weights; ``Normalization`` keeps the adapted mean
and variance as non-trainable weights, saved with the model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

import ember

from ... import _C
from ..._C import Tensor
from ...autograd import no_grad
from .base import Layer, shape_str

__all__ = ["CategoryEncoding", "Normalization", "Rescaling"]

_EPSILON = 1e-7  # Keras's backend epsilon: the smallest standard deviation Normalization uses


def _number_or_list(value: Any, cls: str, name: str) -> Any:
    if isinstance(value, Tensor):
        value = value.detach().numpy()
    if isinstance(value, (np.ndarray, list, tuple)):
        a = np.asarray(value, dtype=np.float64)
        return float(a) if a.ndim == 0 else a.tolist()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{cls}: {name} must be a number or a list of numbers, got {value!r}")
    return float(value)


class Rescaling(Layer):
    """Rescales its input: ``inputs * scale + offset``, computed in the layer's dtype (float32
    by default; integer inputs such as images in [0, 255] are converted).

    Args:
        scale: a number, or a list broadcast against the input's trailing axes (e.g. one
            value per channel); e.g. ``1 / 255`` maps [0, 255] to [0, 1].
        offset: a number or list, added after scaling (default 0).
        **kwargs: :class:`Layer` arguments.
    Raises:
        TypeError: ``scale`` or ``offset`` not a number or list of numbers.
    Shape:
        any shape; same shape out.
    Example:
        >>> keras.layers.Rescaling(1 / 127.5, offset=-1)(ember.tensor([0.0, 255.0]))
        tensor([-1.,  1.])
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = _number_or_list(scale, "Rescaling", "scale")
        self.offset = _number_or_list(offset, "Rescaling", "offset")
        self._layout_agnostic = not isinstance(self.scale, list) and not isinstance(
            self.offset, list)
        self._cache: dict[Any, tuple[Any, Any]] = {}

    def _constants(self, dtype: Any) -> tuple[Any, Any]:
        if dtype not in self._cache:
            def const(v: Any) -> Any:
                """A number as is, a list as a tensor of ``dtype``."""
                return v if not isinstance(v, list) else ember.tensor(v, dtype=dtype)

            self._cache[dtype] = (const(self.scale), const(self.offset))
        return self._cache[dtype]

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs * scale + offset`` in the layer's dtype."""
        x = inputs if inputs.dtype == self._dtype else inputs.to(self._dtype)
        scale, offset = self._constants(self._dtype)
        y = x * scale
        return y + offset if not (isinstance(offset, float) and offset == 0.0) else y

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """Standardizes features: ``(x - mean) / max(sqrt(variance), 1e-7)``, with one mean and
    variance per index of the ``axis`` dimensions, given or learned from data with
    :meth:`adapt`. With ``invert=True`` it undoes that: ``mean + x * max(sqrt(variance),
    1e-7)``.

    Args:
        axis: the axis (int), axes (tuple) that keep separate statistics (default -1: one per
            feature of the last axis), or None for one scalar mean and variance.
        mean, variance: the statistics (numbers or arrays broadcastable to the kept axes), or
            None (default) to learn them with :meth:`adapt`. Give both or neither.
        invert: apply the inverse transformation (default False).
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: ``axis`` 0 (the batch axis), only one of ``mean``/``variance``, or (at
            build/adapt) an axis outside the input rank or an unknown kept dimension.
    Shape:
        any ``(batch, ...)``; same shape out. Weights (when adapted, not given): ``mean`` and
        ``variance`` (non-trainable), of the sizes of the kept axes.
    Example:
        >>> layer = keras.layers.Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]], "float32"))
        >>> layer(np.array([[1.0, 20.0]], "float32"))
        tensor([[0., 0.]])
    """

    def __init__(self, axis: int | Sequence[int] | None = -1, mean: Any = None,
                 variance: Any = None, invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if axis is None:
            self.axis: tuple[int, ...] = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = (axis,)
        else:
            self.axis = tuple(int(a) for a in axis)
        if 0 in self.axis:
            raise ValueError("Normalization: axis may not be 0 (the batch axis)")
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: when setting values directly, both mean and "
                             f"variance must be given, got mean={mean!r}, variance={variance!r}")
        self.input_mean = None if mean is None else np.asarray(
            mean.detach().numpy() if isinstance(mean, Tensor) else mean, np.float64)
        self.input_variance = None if variance is None else np.asarray(
            variance.detach().numpy() if isinstance(variance, Tensor) else variance, np.float64)
        self.invert = bool(invert)
        self._axis_arg = axis

    def build(self, input_shape: Any) -> None:
        """Resolves the kept axes for ``input_shape``; creates the ``mean`` and ``variance``
        weights (zeros and ones until :meth:`adapt`) unless they were given.

        Raises:
            ValueError: an axis outside the input rank, an unknown kept dimension, or given
                statistics that do not broadcast to the kept axes.
        """
        shape = tuple(input_shape)
        ndim = len(shape)
        if any(not -ndim <= a < ndim for a in self.axis) or any(a % ndim == 0 for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': all axis values must be in the range "
                             f"[-{ndim - 1}, {ndim - 1}] without 0, got axis={self._axis_arg} for "
                             f"input shape {shape_str(shape)}")
        keep = tuple(sorted(a % ndim for a in self.axis))
        stat_shape = tuple(shape[a] for a in keep)
        if any(d is None for d in stat_shape):
            raise ValueError(f"Normalization '{self.name}': all axis values to be kept must have "
                             f"known shape, got axis={self._axis_arg} for input shape "
                             f"{shape_str(shape)}")
        self._keep = keep
        self._ndim = ndim
        self._stat_shape = tuple(int(d) for d in stat_shape)
        self._bshape = [int(shape[d]) if d in keep else 1 for d in range(ndim)]
        if self.input_mean is None:
            self.add_weight("mean", self._stat_shape, "zeros", trainable=False)
            self.add_weight("variance", self._stat_shape, "ones", trainable=False)
        else:
            try:
                mean = np.broadcast_to(self.input_mean, self._stat_shape)
                var = np.broadcast_to(self.input_variance, self._stat_shape)
            except ValueError:
                raise ValueError(
                    f"Normalization '{self.name}': mean of shape {self.input_mean.shape} and "
                    f"variance of shape {self.input_variance.shape} do not broadcast to the kept "
                    f"axes' shape {self._stat_shape}") from None
            self._given = (_c_array(mean, self._stat_shape), _c_array(var, self._stat_shape))
        self._consts: dict[Any, tuple[Tensor, Tensor]] = {}

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Computes the mean and (biased) variance of ``data`` over every axis but the kept
        ones, and stores them in the layer (builds it from the data's shape if needed).

        Args:
            data: a numpy array or ember tensor (first axis: samples), or an iterable of
                batches (arrays, tensors, or ``(x, y)`` tuples whose ``x`` is used), such as a
                ``DataLoader``.
            batch_size: accepted for Keras compatibility (statistics are exact in float64).
            steps: the number of batches to read from an iterable (default: all).
        Raises:
            ValueError: the layer was given ``mean``/``variance``, no data, or batches whose
                shape does not match the layer's input shape.
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}': cannot adapt a layer given mean and "
                             "variance at construction")
        batches = self._batches(data, steps)
        count, mean, m2 = 0, None, None
        for a in batches:
            if not self.built:
                self._maybe_build((None,) + tuple(a.shape[1:]))
            if a.ndim != self._ndim or any(a.shape[d] != s for d, s in
                                           zip(self._keep, self._stat_shape)):
                raise ValueError(f"Normalization '{self.name}': adapt data of shape "
                                 f"{a.shape} does not match the layer's input shape "
                                 f"{shape_str(self._build_input_shape)}")
            reduce = tuple(d for d in range(a.ndim) if d not in self._keep)
            n = int(np.prod([a.shape[d] for d in reduce])) if reduce else 1
            if n == 0:
                continue
            b_mean = a.mean(axis=reduce)
            b_m2 = ((a - a.mean(axis=reduce, keepdims=True)) ** 2).sum(axis=reduce)
            if mean is None:
                count, mean, m2 = n, b_mean, b_m2
                continue
            total = count + n  # Chan et al.'s pairwise combination of the two parts
            delta = b_mean - mean
            mean = mean + delta * (n / total)
            m2 = m2 + b_m2 + delta * delta * (count * n / total)
            count = total
        if mean is None:
            raise ValueError(f"Normalization '{self.name}': adapt was given no data")
        with no_grad():
            for name, value in (("mean", mean), ("variance", m2 / count)):
                buf = self._buffers[name]
                buf.copy_(ember.from_numpy(_c_array(value, self._stat_shape)).to(buf.dtype))

    @staticmethod
    def _batches(data: Any, steps: int | None) -> Iterable[np.ndarray]:
        def arr(x: Any) -> np.ndarray:
            """One batch as a float64 numpy array."""
            if isinstance(x, (tuple, list)) and x and not np.isscalar(x[0]) and not isinstance(
                    x, np.ndarray) and hasattr(x[0], "shape"):
                x = x[0]  # (x, y) batches
            if isinstance(x, Tensor):
                x = x.detach().numpy()
            a = np.asarray(x, dtype=np.float64)
            return a.reshape(1) if a.ndim == 0 else a

        if isinstance(data, (np.ndarray, Tensor, list)):
            yield arr(data)
            return
        for i, batch in enumerate(data):
            if steps is not None and i >= steps:
                break
            yield arr(batch)

    def _stats(self, dtype: Any) -> tuple[Tensor, Tensor]:
        if self.input_mean is not None:
            if dtype not in self._consts:
                mean, var = self._given
                self._consts[dtype] = (ember.from_numpy(mean).to(dtype),
                                       ember.from_numpy(var).to(dtype))
            mean, var = self._consts[dtype]
        else:
            mean, var = self._buffers["mean"], self._buffers["variance"]
            if mean.dtype != dtype:
                mean, var = mean.to(dtype), var.to(dtype)
        std = _C.clamp(var.sqrt(), _EPSILON, None)
        if self._keep != (self._ndim - 1,):
            mean, std = mean.reshape(self._bshape), std.reshape(self._bshape)
        return mean, std

    def call(self, inputs: Tensor) -> Tensor:
        """``(inputs - mean) / max(sqrt(variance), 1e-7)`` (or the inverse with ``invert``).

        Raises:
            ValueError: an input of another rank or kept-axis size than the built one.
        """
        if inputs.dim() != self._ndim or any(inputs.shape[d] != s for d, s in
                                             zip(self._keep, self._stat_shape)):
            raise ValueError(f"Normalization '{self.name}': expected input shape "
                             f"{shape_str(self._build_input_shape)}, got {tuple(inputs.shape)}")
        x = inputs if inputs.is_floating_point() else inputs.to(self._dtype)
        mean, std = self._stats(x.dtype)
        if self.invert:
            return mean + x * std
        return (x - mean) / std

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them
        (adapted statistics are weights: they come back with ``load_model``/``set_weights``)."""
        config = super().get_config()
        axis: Any = self._axis_arg
        config.update(axis=list(axis) if isinstance(axis, (tuple, list)) else axis,
                      invert=self.invert,
                      mean=None if self.input_mean is None else self.input_mean.tolist(),
                      variance=None if self.input_variance is None
                      else self.input_variance.tolist())
        return config


def _c_array(value: Any, shape: tuple) -> np.ndarray:
    """A C-contiguous float64 copy of ``value`` with ``shape`` (0-d stays 0-d)."""
    return np.array(np.asarray(value, np.float64).reshape(shape), order="C")


_MODES = ("one_hot", "multi_hot", "count")


class CategoryEncoding(Layer):
    """Encodes integer category indices in ``[0, num_tokens)`` as dense vectors.

    ``'one_hot'``: each index becomes a one-hot vector (a trailing axis of size 1 is replaced
    by the encoding); ``'multi_hot'``: each sample (the last axis holds its indices) becomes a
    vector with 1 at every index present; ``'count'``: a vector of how many times each index
    appears (weighted by ``count_weights`` when given to the call).

    Args:
        num_tokens: the number of categories (positive int).
        output_mode: ``'multi_hot'`` (default), ``'one_hot'`` or ``'count'``.
        sparse: must be False (ember has no sparse tensors).
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: ``num_tokens`` missing or < 1, an unknown ``output_mode``; (at call) an
            index outside ``[0, num_tokens)``, an input of rank > 2, or ``count_weights`` of
            another shape than the input or with another mode than ``'count'``.
        NotImplementedError: ``sparse=True``.
    Shape:
        ``'one_hot'``: ``(batch,)`` or ``(batch, 1)`` -> ``(batch, num_tokens)``, ``(batch,
        k)`` -> ``(batch, k, num_tokens)``; ``'multi_hot'``/``'count'``: ``(batch, k)`` ->
        ``(batch, num_tokens)``, a 1-D input is one sample: ``(k,)`` -> ``(num_tokens,)``.
        Output dtype float32 (the layer's dtype).
    Example:
        >>> layer = keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")
        >>> layer(ember.tensor([[0, 1, 1], [3, 3, 2]]))
        tensor([[1., 2., 0., 0.],
                [0., 0., 1., 2.]])
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if num_tokens is None:
            raise ValueError("CategoryEncoding: num_tokens must be set to use this layer (the "
                             "number of categories)")
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) or num_tokens < 1:
            raise ValueError(f"CategoryEncoding: num_tokens must be an int >= 1, got "
                             f"{num_tokens!r}")
        if output_mode not in _MODES:
            raise ValueError(f"CategoryEncoding: unknown output_mode {output_mode!r}; expected "
                             f"one of {', '.join(_MODES)}")
        if sparse:
            raise NotImplementedError("CategoryEncoding: sparse=True is not supported")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, False

    def call(self, inputs: Tensor, count_weights: Any = None) -> Tensor:
        """The encoding of ``inputs`` (see the class docstring).

        Args:
            inputs: integer (or integral float) indices, rank 0, 1 or 2.
            count_weights: optional weights of ``inputs``' shape, for ``'count'``.
        Raises:
            ValueError: see the class docstring.
        """
        x = inputs
        if x.dim() > 2:
            raise ValueError(f"CategoryEncoding '{self.name}': inputs of rank > 2 are not "
                             f"supported, got shape {tuple(x.shape)}")
        if x.dtype != ember.int64:
            x = x.to(ember.int64)
        if x.numel():
            lo, hi = int(x.min().item()), int(x.max().item())
            if lo < 0 or hi >= self.num_tokens:
                raise ValueError(
                    f"CategoryEncoding '{self.name}': input values must be in the range 0 <= "
                    f"values < num_tokens with num_tokens={self.num_tokens}, got values in "
                    f"[{lo}, {hi}]")
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"CategoryEncoding '{self.name}': count_weights is only used with "
                             f"output_mode='count', not {self.output_mode!r}")
        dt = self._dtype
        if self.output_mode == "one_hot":
            if x.dim() >= 1 and x.dim() == 2 and x.shape[-1] == 1:
                x = x.squeeze(-1)
            return _C.eq(x.unsqueeze(-1), ember.arange(self.num_tokens)).to(dt)
        if x.dim() == 0:
            x = x.reshape(1)
        hot = _C.eq(x.unsqueeze(-1), ember.arange(self.num_tokens)).to(dt)  # (..., k, T)
        if self.output_mode == "multi_hot":
            return hot.amax(-2)
        if count_weights is not None:
            w = count_weights if isinstance(count_weights, Tensor) else ember.from_numpy(
                np.ascontiguousarray(np.asarray(count_weights)))
            if tuple(w.shape) != tuple(x.shape):
                raise ValueError(f"CategoryEncoding '{self.name}': count_weights of shape "
                                 f"{tuple(w.shape)} must have the inputs' shape "
                                 f"{tuple(x.shape)}")
            hot = hot * w.to(dt).unsqueeze(-1)
        return hot.sum(-2)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (see the class docstring)."""
        shape = tuple(input_shape)
        if len(shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return shape + (self.num_tokens,)
        return shape[:-1] + (self.num_tokens,)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}
