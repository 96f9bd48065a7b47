"""Reshaping layers: ``UpSampling1D/2D/3D``, ``ZeroPadding1D/2D/3D``, ``Cropping1D/2D/3D``,
``RepeatVector``, ``Permute``.

The spatial ones take Keras's channels-last data by default (``data_format``) and have a
channels-first path, so a model runs them inside a run of spatial layers without a layout
conversion (see ``ember.keras.layers.convolutional``). None of them has weights; the output
dtype is the input's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._C import Tensor
from ...nn import functional as F
from .base import Layer, shape_str
from .convolutional import default_name, normalize_data_format, normalize_tuple

__all__ = [
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Permute",
    "RepeatVector",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]


def _pairs(value: Any, rank: int, name: str, cls: str) -> tuple[tuple[int, int], ...]:
    """Keras's ``padding``/``cropping`` argument as ``rank`` ``(before, after)`` pairs: an int
    (the same everywhere), ``rank`` ints (symmetric per axis) or ``rank`` pairs.

    Raises:
        ValueError: another structure or a negative entry.
    """
    bad = ValueError(f"{cls}: {name} must be an int, a tuple of {rank} ints or a tuple of "
                     f"{rank} tuples of 2 ints (non-negative), got {value!r}")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        out = ((value, value),) * rank
    elif rank == 1 and isinstance(value, Sequence) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        out = ((int(value[0]), int(value[1])),)
    elif isinstance(value, Sequence) and len(value) == rank:
        entries = []
        for v in value:
            if isinstance(v, int) and not isinstance(v, bool):
                entries.append((v, v))
            elif isinstance(v, Sequence) and len(v) == 2 and all(
                    isinstance(a, int) and not isinstance(a, bool) for a in v):
                entries.append((int(v[0]), int(v[1])))
            else:
                raise bad
        out = tuple(entries)
    else:
        raise bad
    if any(a < 0 for p in out for a in p):
        raise bad
    return out


class _Spatial(Layer):
    """Shared code of the spatial reshaping layers (``rank`` spatial dims)."""

    rank = 2
    _channels_first_keeps_layout = True

    def _axes(self, cf: bool) -> list[int]:
        return list(range(2, self.rank + 2)) if cf else list(range(1, self.rank + 1))

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected input of rank {self.rank + 2} "
                f"(batch, {'spatial, ' * self.rank}channels), got shape {shape_str(shape)}")

    def _channels_first_ok(self, input_shape: tuple) -> bool:
        return self.data_format == "channels_last" and len(input_shape) == self.rank + 2

    def _apply(self, x: Tensor, cf: bool) -> Tensor:
        raise NotImplementedError

    def call_channels_first(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """The layer on channels-first data ``(N, C, *spatial)``."""
        self._check_rank(tuple(inputs.shape))
        return self._apply(inputs, True)

    def call(self, inputs: Tensor) -> Tensor:
        """The layer in its ``data_format``.

        Raises:
            ValueError: wrong input rank (or, for cropping, a crop larger than the input).
        """
        self._check_rank(tuple(inputs.shape))
        return self._apply(inputs, self.data_format == "channels_first")

    def _out_sizes(self, sizes: tuple) -> tuple:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None).

        Raises:
            ValueError: wrong input rank, or a crop larger than the input.
        """
        shape = tuple(input_shape)
        self._check_rank(shape)
        axes = self._axes(self.data_format == "channels_first")
        out = list(shape)
        for a, v in zip(axes, self._out_sizes(tuple(shape[a] for a in axes))):
            out[a] = v
        return tuple(out)

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


# ---- UpSampling ----------------------------------------------------------------------------


class _UpSampling(_Spatial):
    _interpolations = ("nearest",)

    def __init__(self, size: Any = 2, data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.size = normalize_tuple(size, self.rank, "size", cls)
        self.data_format = normalize_data_format(data_format, cls)
        known = ("nearest", "bilinear", "bicubic", "area", "lanczos3", "lanczos5")
        if interpolation not in known:
            raise ValueError(f"{cls}: interpolation must be one of {', '.join(known)}, got "
                             f"{interpolation!r}")
        if interpolation not in self._interpolations:
            raise NotImplementedError(f"{cls}: interpolation={interpolation!r} is not supported "
                                      f"(supported: {', '.join(self._interpolations)})")
        self.interpolation = interpolation

    def _apply(self, x: Tensor, cf: bool) -> Tensor:
        if self.interpolation == "bilinear":
            if not cf:
                x = x.permute(0, 3, 1, 2)
            y = F.interpolate(x, scale_factor=[float(s) for s in self.size], mode="bilinear",
                              align_corners=False)
            return y if cf else y.permute(0, 2, 3, 1)
        for a, f in zip(self._axes(cf), self.size):
            if f != 1:
                x = x.repeat_interleave(f, dim=a)
        return x

    def _out_sizes(self, sizes: tuple) -> tuple:
        return tuple(None if s is None else s * f for s, f in zip(sizes, self.size))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config["size"] = self.size[0] if self.rank == 1 else list(self.size)
        if self.rank == 2:
            config["interpolation"] = self.interpolation
        return config


class UpSampling1D(_UpSampling):
    """Repeats each time step ``size`` times: ``(batch, steps, features)`` -> ``(batch, steps *
    size, features)``.

    Args:
        size: repetition factor (positive int, default 2).
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: a non-positive ``size``; a call on an input that is not 3-D.
    Example:
        >>> keras.layers.UpSampling1D(2)(ember.tensor([[[1.0], [2.0]]])).reshape(-1)
        tensor([1., 1., 2., 2.])
    """

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(size=size, **kwargs)


class UpSampling2D(_UpSampling):
    """Upsamples images by repeating rows and columns (``'nearest'``) or by bilinear
    interpolation (``'bilinear'``, TensorFlow's half-pixel rule, as ``keras.ops.image.resize``).

    Args:
        size: int or ``(rows, cols)`` factors (positive; default 2).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'`` (default) or ``'bilinear'``.
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: bad ``size``, ``data_format`` or ``interpolation``; a call on a non-4-D
            input.
        NotImplementedError: ``'bicubic'``, ``'area'``, ``'lanczos3'``, ``'lanczos5'``.
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, H * rows, W * cols, C)``.
    """

    rank = 2
    _interpolations = ("nearest", "bilinear")


class UpSampling3D(_UpSampling):
    """Repeats each of the three spatial axes: ``(batch, D, H, W, C)`` -> ``(batch, D * s0,
    H * s1, W * s2, C)``.

    Args:
        size: int or 3 ints (positive; default 2).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    Raises:
        ValueError: bad ``size`` or ``data_format``; a call on a non-5-D input.
    """

    rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(size=size, data_format=data_format, **kwargs)


# ---- ZeroPadding ---------------------------------------------------------------------------


def _pad_list(pairs: Sequence[tuple[int, int]], axes: list[int], ndim: int) -> list[int]:
    """``F.pad``'s argument (last dim first) padding ``axes`` by ``pairs``."""
    per = {a: p for a, p in zip(axes, pairs)}
    out: list[int] = []
    for d in range(ndim - 1, min(axes) - 1, -1):
        out += list(per.get(d, (0, 0)))
    return out


class _ZeroPadding(_Spatial):
    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.padding = _pairs(padding, self.rank, "padding", cls)
        self.data_format = normalize_data_format(data_format, cls)

    def _apply(self, x: Tensor, cf: bool) -> Tensor:
        return F.pad(x, _pad_list(self.padding, self._axes(cf), x.dim()))

    def _out_sizes(self, sizes: tuple) -> tuple:
        return tuple(None if s is None else s + a + b for s, (a, b) in zip(sizes, self.padding))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config["padding"] = (list(self.padding[0]) if self.rank == 1
                             else [list(p) for p in self.padding])
        return config


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at the start and end of the time axis: ``(batch, steps, features)`` ->
    ``(batch, left + steps + right, features)``.

    Args:
        padding: int (both ends, default 1) or ``(left, right)``.
    Raises:
        ValueError: a negative or malformed ``padding``; a call on a non-3-D input.
    """

    rank = 1

    def __init__(self, padding: Any = 1, **kwargs: Any) -> None:
        super().__init__(padding=padding, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around images.

    Args:
        padding: int (all sides, default 1), ``(rows, cols)`` (symmetric) or ``((top,
            bottom), (left, right))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    Raises:
        ValueError: a negative or malformed ``padding``; a call on a non-4-D input.
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, top + H + bottom, left + W + right, C)``.
    Example:
        >>> tuple(keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(ember.ones(1, 2, 2, 3)).shape)
        (1, 3, 5, 3)
    """

    rank = 2


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around volumes: ``padding`` is an int, 3 ints or 3 ``(before, after)``
    pairs for the three spatial axes (default 1).

    Raises:
        ValueError: a negative or malformed ``padding``; a call on a non-5-D input.
    """

    rank = 3


# ---- Cropping ------------------------------------------------------------------------------


class _Cropping(_Spatial):
    _default: Any = 1

    def __init__(self, cropping: Any = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.cropping = _pairs(self._default if cropping is None else cropping, self.rank,
                               "cropping", cls)
        self.data_format = normalize_data_format(data_format, cls)

    def _too_large(self, shape: tuple) -> ValueError:
        return ValueError(
            f"{type(self).__name__} '{self.name}': values in cropping {self.cropping} must be "
            f"smaller than the corresponding spatial dimension of the input, got input shape "
            f"{shape_str(shape)}")

    def _apply(self, x: Tensor, cf: bool) -> Tensor:
        for a, (lo, hi) in zip(self._axes(cf), self.cropping):
            size = int(x.shape[a])
            if lo + hi >= size:
                raise self._too_large(tuple(x.shape))
            if lo or hi:
                x = x.narrow(a, lo, size - lo - hi)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None).

        Raises:
            ValueError: wrong input rank, or a crop not smaller than the input.
        """
        shape = tuple(input_shape)
        self._check_rank(shape)
        for a, (lo, hi) in zip(self._axes(self.data_format == "channels_first"), self.cropping):
            if shape[a] is not None and lo + hi >= shape[a]:
                raise self._too_large(shape)
        return super().compute_output_shape(shape)

    def _out_sizes(self, sizes: tuple) -> tuple:
        return tuple(None if s is None else s - a - b for s, (a, b) in zip(sizes, self.cropping))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config["cropping"] = (list(self.cropping[0]) if self.rank == 1
                              else [list(p) for p in self.cropping])
        return config


class Cropping1D(_Cropping):
    """Removes steps at the start and end of the time axis: ``(batch, steps, features)`` ->
    ``(batch, steps - start - end, features)``.

    Args:
        cropping: int (both ends) or ``(start, end)``; default ``(1, 1)``.
    Raises:
        ValueError: a negative or malformed ``cropping``; a crop not smaller than the input.
    """

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping=cropping, **kwargs)


class Cropping2D(_Cropping):
    """Removes rows and columns at the borders of images.

    Args:
        cropping: int (all sides), ``(rows, cols)`` (symmetric) or ``((top, bottom), (left,
            right))``; default ``((0, 0), (0, 0))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    Raises:
        ValueError: a negative or malformed ``cropping``; a wrong input rank; a crop not smaller
            than the input (message names the layer and the input shape).
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, H - top - bottom, W - left - right, C)``.
    """

    rank = 2
    _default = ((0, 0), (0, 0))

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes borders of volumes: ``cropping`` is an int, 3 ints or 3 ``(before, after)``
    pairs (default ``((1, 1), (1, 1), (1, 1))``).

    Raises:
        ValueError: as :class:`Cropping2D`.
    """

    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping=cropping, data_format=data_format, **kwargs)


# ---- RepeatVector, Permute -------------------------------------------------------------------


class RepeatVector(Layer):
    """Repeats the input ``n`` times: ``(batch, features)`` -> ``(batch, n, features)``.

    Args:
        n: number of repetitions (positive int).
    Raises:
        TypeError: ``n`` not an int.  ValueError: ``n`` < 1, or a call on a non-2-D input.
    Example:
        >>> keras.layers.RepeatVector(3)(ember.tensor([[1.0, 2.0]])).shape
        (1, 3, 2)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"RepeatVector: expected an integer value for n, got {n!r}")
        if n < 1:
            raise ValueError(f"RepeatVector: n must be >= 1, got {n}")
        self.n = n

    def _check(self, shape: tuple) -> None:
        if len(shape) != 2:
            raise ValueError(f"RepeatVector '{self.name}': expected input of rank 2 (batch, "
                             f"features), got shape {shape_str(shape)}")

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs`` repeated along a new axis 1 (a broadcast view).

        Raises:
            ValueError: ``inputs`` is not 2-D.
        """
        self._check(tuple(inputs.shape))
        return inputs.unsqueeze(1).expand(inputs.shape[0], self.n, inputs.shape[1])

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``(batch, n, features)``."""
        self._check(tuple(input_shape))
        return (input_shape[0], self.n, input_shape[1])

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config["n"] = self.n
        return config


class Permute(Layer):
    """Permutes the non-batch axes: ``Permute((2, 1))`` swaps the two axes of ``(batch, a,
    b)`` inputs. Indices start at 1 (the batch axis stays first).

    Args:
        dims: a permutation of ``1..rank-1``.
    Raises:
        ValueError: ``dims`` not such a permutation, or an input of another rank.
    Example:
        >>> keras.layers.Permute((2, 1))(ember.zeros(4, 10, 64)).shape
        (4, 64, 10)
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute: invalid permutation argument dims={tuple(dims)}; the set of indices "
                "in dims must be consecutive and start from 1")

    def _check(self, shape: tuple) -> None:
        if len(shape) != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}': dims {self.dims} need an input of rank "
                             f"{len(self.dims) + 1}, got shape {shape_str(shape)}")

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs.permute(0, *dims)`` (a view).

        Raises:
            ValueError: an input of another rank.
        """
        self._check(tuple(inputs.shape))
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape with its non-batch axes permuted."""
        shape = tuple(input_shape)
        self._check(shape)
        return (shape[0],) + tuple(shape[d] for d in self.dims)

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config
