"""Transposed, depthwise and separable convolutions with Keras's channels-last convention:
``Conv1DTranspose``, ``Conv2DTranspose``, ``DepthwiseConv1D``, ``DepthwiseConv2D``,
``SeparableConv1D``, ``SeparableConv2D``.

Weights are shown in Keras layout (``kernel``, ``get_weights``, saved files) and stored in
the layout of ember's convolution kernels, so each layer runs as one or two ember
convolution calls on channels-first data. Like ``Conv1D``/``Conv2D`` they take part in the
channels-first runs of spatial layers inside models (see ``ember.keras.layers.convolutional``).
"""

from __future__ import annotations

from typing import Any

from ..._C import Tensor
from ...nn import functional as F
from ...nn.parameter import Parameter
from .. import activations, initializers, regularizers
from .base import Layer, shape_str
from .convolutional import (
    _init_config,
    _is_elementwise_activation,
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
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]

_CONV = {1: F.conv1d, 2: F.conv2d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}


def _conv_cf(layer: Layer, x: Tensor, w: Tensor, b: Tensor | None, kernel_size: tuple,
             strides: tuple, padding: str, dilation: tuple, groups: int) -> Tensor:
    """One ember convolution of channels-first ``x`` with Keras's ``'same'``/``'valid'``
    padding (the odd ``'same'`` cell after, as TensorFlow).

    Raises:
        ValueError: a ``'valid'`` input smaller than the dilated kernel.
    """
    rank = len(kernel_size)
    pad: Any = 0
    if padding == "same":
        pads = [same_pads(int(s), k, st, d) for s, k, st, d in
                zip(x.shape[2:], kernel_size, strides, dilation)]
        if all(a == c for a, c in pads):
            pad = tuple(a for a, _ in pads)
        else:
            x = F.pad(x, pad_arg(pads))
    else:
        for s, k, d in zip(x.shape[2:], kernel_size, dilation):
            if d * (k - 1) + 1 > s:
                raise ValueError(
                    f"{type(layer).__name__} '{layer.name}': the kernel {kernel_size} (dilation "
                    f"{dilation}) is larger than the input, spatial size {tuple(x.shape[2:])}")
    return _CONV[rank](x, w, b, strides, pad, dilation, groups)


def _unsupported(cls: str, **options: Any) -> None:
    given = sorted(k for k, v in options.items() if v is not None)
    if given:
        raise NotImplementedError(f"{cls}: {', '.join(given)} not supported (leave None)")


def _positive_int(cls: str, name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise ValueError(f"{cls}: {name} must be a positive int, got {v!r}")
    return v


class _SpatialConv(Layer):
    """Shared code of the layers here: layout handling, activation, channel checks."""

    rank = 2
    _channels_first_keeps_layout = True

    def _setup(self, kernel_size: Any, strides: Any, padding: Any, data_format: Any,
               dilation_rate: Any, activation: Any, use_bias: Any) -> None:
        cls = type(self).__name__
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = normalize_tuple(strides, self.rank, "strides", cls)
        self.padding = normalize_padding(padding, cls)
        self.data_format = normalize_data_format(data_format, cls)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", cls)
        if any(s > 1 for s in self.strides) and any(d > 1 for d in self.dilation_rate):
            raise ValueError(f"{cls}: strides > 1 together with dilation_rate > 1 is not "
                             f"supported, got strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._elementwise_act = _is_elementwise_activation(self.activation)
        self._is_linear = self.activation is activations.linear

    def _channels(self, input_shape: tuple) -> int:
        cls = type(self).__name__
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{cls} '{self.name}': expected input of rank {self.rank + 2} "
                             f"(batch, {'spatial, ' * self.rank}channels), got shape "
                             f"{shape_str(input_shape)}")
        c = input_shape[1 if self.data_format == "channels_first" else -1]
        if c is None:
            raise ValueError(f"{cls} '{self.name}': the channel dimension of the input must be "
                             f"known, got input shape {shape_str(input_shape)}")
        return int(c)

    def _spatial(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[2:] if self.data_format == "channels_first"
                     else input_shape[1:-1])

    def _with_channels(self, input_shape: tuple, spatial: tuple, channels: int) -> tuple:
        if self.data_format == "channels_first":
            return (input_shape[0], channels, *spatial)
        return (input_shape[0], *spatial, channels)

    def _input_spec(self) -> tuple[int | None, dict[int, int]] | None:
        if not self.built:
            return None
        return self.rank + 2, {1 if self.data_format == "channels_first" else -1:
                               self.input_channels}

    def _check_channels(self, x: Tensor, cf: bool) -> None:
        c = x.shape[1] if cf else x.shape[-1]
        if x.dim() != self.rank + 2 or c != self.input_channels:
            layout = "(batch, channels, spatial...)" if cf else "(batch, spatial..., channels)"
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected input of rank {self.rank + 2} "
                f"{layout} with {self.input_channels} channels, got shape {tuple(x.shape)}")

    def _compute(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _channels_first_ok(self, input_shape: tuple) -> bool:
        return (self.data_format == "channels_last" and len(input_shape) == self.rank + 2
                and self._elementwise_act)

    def call_channels_first(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """The layer on channels-first data ``(N, C, *spatial)``; the activation must be
        element-wise."""
        self._check_channels(inputs, True)
        y = self._compute(inputs)
        return y if self._is_linear else self.activation(y)

    def call(self, inputs: Tensor) -> Tensor:
        """``activation(conv(inputs) + bias)`` in the layer's ``data_format``.

        Raises:
            ValueError: wrong rank or channel count, or an input smaller than the kernel.
        """
        if self.data_format == "channels_first":
            return self.call_channels_first(inputs)
        self._check_channels(inputs, False)
        y = to_channels_last(self._compute(to_channels_first(inputs)))
        return y if self._is_linear else self.activation(y)

    def _output_sizes(self, input_shape: tuple) -> tuple:
        """The spatial output sizes of a strided, dilated convolution over ``input_shape``
        (None where the input size is unknown).

        Raises:
            ValueError: a kernel larger than a ``'valid'`` input.
        """
        out = tuple(output_length(s, k, st, self.padding, d) for s, k, st, d in
                    zip(self._spatial(input_shape), self.kernel_size, self.strides,
                        self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the kernel {self.kernel_size} (dilation "
                f"{self.dilation_rate}) is larger than the input, shape {shape_str(input_shape)}")
        return out

    def _add_stored_weight(self, name: str, value: Tensor, regularizer: Any) -> None:
        """Registers ``value`` (a Keras kernel already permuted to ember's layout) as the
        weight ``name``, with its regularizer (L1/L2 do not depend on the layout)."""
        self.register_parameter(name, Parameter(value.contiguous()))
        self._weight_names.append(name)
        if regularizer is not None:
            self.__dict__.setdefault("_weight_regularizers", {})[name] = regularizer

    def _stored(self, name: str) -> Tensor:
        """The stored weight ``name``.

        Raises:
            AttributeError: the layer is not built yet.
        """
        w = self._parameters.get(name)
        if w is None:
            raise AttributeError(f"{type(self).__name__} '{self.name}' has no {name} before it "
                                 "is built")
        return w

    def _depthwise_to_stored(self, k: Tensor, channels: int) -> Tensor:
        """A Keras depthwise kernel ``(*kernel_size, C, depth_multiplier)`` as ember's grouped
        weight ``(channels = C * depth_multiplier, 1, *kernel_size)``: output channel ``c * m +
        j`` uses ``kernel[..., c, j]``, as TensorFlow's depthwise conv."""
        return k.reshape(*self.kernel_size, channels).permute(
            self.rank, *range(self.rank)).unsqueeze(1)

    def _depthwise_from_stored(self, w: Tensor) -> Tensor:
        """The inverse of :meth:`_depthwise_to_stored` (a view)."""
        w = w.squeeze(1).permute(*range(1, self.rank + 1), 0)
        return w.view(*self.kernel_size, self.input_channels, self.depth_multiplier)

    def _base_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(kernel_size=list(self.kernel_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format,
                      dilation_rate=list(self.dilation_rate),
                      activation=activations.serialize(self.activation), use_bias=self.use_bias)
        return config


# ---- transposed convolution ---------------------------------------------------------------


def deconv_output_length(size: int | None, kernel: int, padding: str,
                         output_padding: int | None, stride: int, dilation: int = 1) -> int | None:
    """Keras's output size of a transposed convolution along one axis.

    With ``output_padding`` None: ``size * stride + max(k - stride, 0)`` for ``'valid'`` and
    ``size * stride`` for ``'same'``; otherwise ``(size - 1) * stride + k - 2 * pad +
    output_padding`` with ``pad = k // 2`` for ``'same'`` (0 for ``'valid'``); ``k`` is the
    dilated kernel size ``dilation * (kernel - 1) + 1``.
    """
    if size is None:
        return None
    k = dilation * (kernel - 1) + 1
    if output_padding is None:
        return size * stride + max(k - stride, 0) if padding == "valid" else size * stride
    pad = k // 2 if padding == "same" else 0
    return (size - 1) * stride + k - 2 * pad + output_padding


def _transpose_crops(size: int, out: int, kernel: int, stride: int, padding: str,
                     dilation: int) -> tuple[int, int]:
    """``(before, after)`` cells cut from the full transposed convolution (length ``(size - 1)
    * stride + k``) to leave ``out`` cells; a negative ``after`` adds zeros at the end. The
    ``'same'`` cut is TensorFlow's padding of the forward convolution from ``out`` cells."""
    k = dilation * (kernel - 1) + 1
    full = (size - 1) * stride + k
    before = max((size - 1) * stride + k - out, 0) // 2 if padding == "same" else 0
    return before, full - before - out


class _ConvTranspose(_SpatialConv):
    """Shared code of :class:`Conv1DTranspose` and :class:`Conv2DTranspose`."""

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        cls = type(self).__name__
        _unsupported(cls, activity_regularizer=activity_regularizer,
                     kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.filters = _positive_int(cls, "filters", filters)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias)
        if output_padding is None:
            self.output_padding = None
        else:
            op = ((output_padding,) * self.rank if isinstance(output_padding, int)
                  else tuple(int(v) for v in output_padding))
            if len(op) != self.rank or any(v < 0 for v in op):
                raise ValueError(f"{cls}: output_padding must be a non-negative int or a tuple "
                                 f"of {self.rank} of them, got {output_padding!r}")
            for v, s in zip(op, self.strides):
                if v >= s:
                    raise ValueError(f"{cls}: strides {self.strides} must be greater than "
                                     f"output_padding {op}")
            self.output_padding = op
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` (Keras layout ``(*kernel_size, filters, in_channels)``, stored as
        ember's ``(in_channels, filters, *kernel_size)``) and ``bias`` ``(filters,)``.

        Raises:
            ValueError: wrong input rank or unknown channel count.
        """
        c = self._channels(tuple(input_shape))
        keras_shape = (*self.kernel_size, self.filters, c)
        k = self.kernel_initializer(keras_shape, self._dtype)
        self._add_stored_weight("kernel", k.permute(self.rank + 1, self.rank, *range(self.rank)),
                                self.kernel_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer,
                            regularizer=self.bias_regularizer)
        self.input_channels = c

    @property
    def kernel(self) -> Tensor:
        """The kernel in Keras layout ``(*kernel_size, filters, in_channels)`` (a view).

        Raises:
            AttributeError: the layer is not built yet.
        """
        return self._stored("kernel").permute(*range(2, self.rank + 2), 1, 0)

    def _out_sizes(self, spatial: tuple) -> tuple:
        ops = self.output_padding or (None,) * self.rank
        return tuple(deconv_output_length(s, k, self.padding, op, st, d) for s, k, op, st, d in
                     zip(spatial, self.kernel_size, ops, self.strides, self.dilation_rate))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None).

        Raises:
            ValueError: wrong input rank.
        """
        input_shape = tuple(input_shape)
        self._channels(input_shape)  # checks the rank and the channel dimension
        return self._with_channels(input_shape, self._out_sizes(self._spatial(input_shape)),
                                   self.filters)

    def _compute(self, x: Tensor) -> Tensor:
        w = self._parameters["kernel"]
        b = self._parameters["bias"] if self.use_bias else None
        sizes = [int(s) for s in x.shape[2:]]
        outs = self._out_sizes(tuple(sizes))
        pads, out_pads, rest = [], [], []
        for size, out, k, s, d in zip(sizes, outs, self.kernel_size, self.strides,
                                      self.dilation_rate):
            if out <= 0:
                raise ValueError(f"{type(self).__name__} '{self.name}': empty output for spatial "
                                 f"size {tuple(sizes)}")
            before, after = _transpose_crops(size, out, k, s, self.padding, d)
            p = max(min(before, after), 0)  # ember crops p cells at both ends
            before, after = before - p, after - p
            op = 0
            if before == 0 and after < 0 and -after < max(s, d):  # output_padding extends the end
                op, after = -after, 0
            pads.append(p)
            out_pads.append(op)
            rest.append((before, after))
        exact = all(r == (0, 0) for r in rest)
        y = _CONV_T[self.rank](x, w, b if exact else None, self.strides, tuple(pads),
                               tuple(out_pads), 1, self.dilation_rate)
        if exact:
            return y
        y = F.pad(y, pad_arg([(-a, -c) for a, c in rest]))
        return y if b is None else y + b.reshape(-1, *([1] * self.rank))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = self._base_config()
        config.update(filters=self.filters,
                      output_padding=None if self.output_padding is None
                      else list(self.output_padding),
                      kernel_initializer=_init_config(self.kernel_initializer),
                      bias_initializer=_init_config(self.bias_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution ("deconvolution"): the gradient of a ``Conv2D`` with
    respect to its input, used to upsample feature maps.

    Each input cell adds ``kernel[:, :, :, c] * x[c]`` to a ``kh x kw`` window of the output,
    windows ``strides`` apart; the output is cut to Keras's size (TensorFlow's
    ``conv2d_transpose`` with the same padding), then ``bias`` and ``activation`` apply.

    Args:
        filters: number of output channels (positive int).
        kernel_size: int or ``(kh, kw)``.
        strides: int or ``(sh, sw)``. Default 1.
        padding: ``'valid'`` (default) or ``'same'`` (output ``H * sh`` when
            ``output_padding`` is None).
        output_padding: None (default: inferred) or int/pair, each smaller than the stride;
            the output size becomes ``(H - 1) sh + kh - 2 pad + output_padding`` with ``pad
            = kh // 2`` for ``'same'``, 0 for ``'valid'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or pair. Default 1 (not together with strides > 1).
        activation: name, callable or None (linear).
        use_bias: add a bias (default True).
        kernel_initializer: default ``'glorot_uniform'``; bias_initializer: default ``'zeros'``.
        kernel_regularizer, bias_regularizer: penalties added to the loss (default None).
        **kwargs: :class:`Layer` arguments (``input_shape``, ``name``, ...).
    Raises:
        ValueError: bad sizes, padding, data_format or output_padding (not smaller than the
            stride); at build/call time a wrong input rank or channel count.
        NotImplementedError: ``activity_regularizer`` or a constraint given.
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, H_out, W_out, filters)`` with ``H_out = H * sh +
        max(kh - sh, 0)`` (``'valid'``) or ``H * sh`` (``'same'``) by default. The kernel is
        ``(kh, kw, filters, C)`` as in Keras; it is stored as ember's ``(C, filters, kh, kw)``.
    Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning", 2016.
    Example:
        >>> layer = keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same")
        >>> tuple(layer(ember.zeros(1, 5, 5, 4)).shape)
        (1, 10, 10, 8)
    """

    rank = 2


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution: ``(batch, steps, C)`` -> ``(batch, new_steps, filters)``;
    the arguments and output size rule are those of :class:`Conv2DTranspose` with ints.
    The kernel is ``(kernel_size, filters, C)`` in Keras layout.

    Raises:
        ValueError: as :class:`Conv2DTranspose`.
        NotImplementedError: ``activity_regularizer`` or a constraint given.
    """

    rank = 1


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose


# ---- depthwise convolution -----------------------------------------------------------------


class _DepthwiseConv(_SpatialConv):
    """Shared code of :class:`DepthwiseConv1D` and :class:`DepthwiseConv2D`."""

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        cls = type(self).__name__
        _unsupported(cls, activity_regularizer=activity_regularizer,
                     depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint)
        self.depth_multiplier = _positive_int(cls, "depth_multiplier", depth_multiplier)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` (Keras layout ``(*kernel_size, C, depth_multiplier)``, stored as
        ember's grouped-convolution weight ``(C * depth_multiplier, 1, *kernel_size)``) and
        ``bias`` ``(C * depth_multiplier,)``.

        Raises:
            ValueError: wrong input rank or unknown channel count.
        """
        c = self._channels(tuple(input_shape))
        m = self.depth_multiplier
        k = self.depthwise_initializer((*self.kernel_size, c, m), self._dtype)
        self._add_stored_weight("kernel", self._depthwise_to_stored(k, c * m),
                                self.depthwise_regularizer)
        if self.use_bias:
            self.add_weight("bias", (c * m,), self.bias_initializer,
                            regularizer=self.bias_regularizer)
        self.input_channels = c

    @property
    def kernel(self) -> Tensor:
        """The depthwise kernel in Keras layout ``(*kernel_size, C, depth_multiplier)``.

        Raises:
            AttributeError: the layer is not built yet.
        """
        return self._depthwise_from_stored(self._stored("kernel"))

    depthwise_kernel = kernel

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None).

        Raises:
            ValueError: wrong input rank, or a kernel larger than a ``'valid'`` input.
        """
        input_shape = tuple(input_shape)
        c = self._channels(input_shape)
        out = self._output_sizes(input_shape)
        return self._with_channels(input_shape, out, c * self.depth_multiplier)

    def _compute(self, x: Tensor) -> Tensor:
        w = self._parameters["kernel"]
        b = self._parameters["bias"] if self.use_bias else None
        return _conv_cf(self, x, w, b, self.kernel_size, self.strides, self.padding,
                        self.dilation_rate, self.input_channels)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = self._base_config()
        config.update(depth_multiplier=self.depth_multiplier,
                      depthwise_initializer=_init_config(self.depthwise_initializer),
                      bias_initializer=_init_config(self.bias_initializer),
                      depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-D convolution: each input channel is convolved with its own
    ``depth_multiplier`` filters; output channel ``c * depth_multiplier + j`` is input channel
    ``c`` convolved with ``kernel[:, :, c, j]``, plus ``bias``, then ``activation``.

    Args:
        kernel_size: int or ``(kh, kw)``.
        strides: int or pair. Default 1.
        padding: ``'valid'`` (default) or ``'same'``.
        depth_multiplier: output channels per input channel (default 1).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: int or pair. Default 1.
        activation: name, callable or None (linear).
        use_bias: default True.
        depthwise_initializer: default ``'glorot_uniform'``; bias_initializer: ``'zeros'``.
        depthwise_regularizer, bias_regularizer: penalties added to the loss (default None).
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: bad sizes, padding or data_format; at build/call time a wrong input rank or
            channel count, or a kernel larger than a ``'valid'`` input.
        NotImplementedError: ``activity_regularizer`` or a constraint given.
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, H_out, W_out, C * depth_multiplier)`` (sizes as
        :class:`Conv2D`). Weights: ``kernel`` ``(kh, kw, C, depth_multiplier)`` (Keras 3's
        name; also readable as ``depthwise_kernel``), ``bias``.
    Reference: Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", 2017.
    Example:
        >>> layer = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
        >>> tuple(layer(ember.zeros(1, 6, 6, 4)).shape)
        (1, 6, 6, 8)
    """

    rank = 2


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-D convolution: ``(batch, steps, C)`` -> ``(batch, new_steps, C *
    depth_multiplier)``; the arguments are those of :class:`DepthwiseConv2D` with ints.

    Raises:
        ValueError: as :class:`DepthwiseConv2D`.
        NotImplementedError: ``activity_regularizer`` or a constraint given.
    """

    rank = 1


# ---- separable convolution -----------------------------------------------------------------


class _SeparableConv(_SpatialConv):
    """Shared code of :class:`SeparableConv1D` and :class:`SeparableConv2D`."""

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        default_name(type(self), kwargs)
        super().__init__(**kwargs)
        cls = type(self).__name__
        _unsupported(cls, activity_regularizer=activity_regularizer,
                     depthwise_constraint=depthwise_constraint,
                     pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint)
        self.filters = _positive_int(cls, "filters", filters)
        self.depth_multiplier = _positive_int(cls, "depth_multiplier", depth_multiplier)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape: Any) -> None:
        """Creates ``depthwise_kernel`` ``(*kernel_size, C, depth_multiplier)``,
        ``pointwise_kernel`` ``(1, ..., C * depth_multiplier, filters)`` (Keras layouts; stored
        as ember convolution weights) and ``bias`` ``(filters,)``.

        Raises:
            ValueError: wrong input rank or unknown channel count.
        """
        c = self._channels(tuple(input_shape))
        m, r = self.depth_multiplier, self.rank
        dk = self.depthwise_initializer((*self.kernel_size, c, m), self._dtype)
        self._add_stored_weight("depthwise_kernel", self._depthwise_to_stored(dk, c * m),
                                self.depthwise_regularizer)
        pk = self.pointwise_initializer((1,) * r + (c * m, self.filters), self._dtype)
        self._add_stored_weight("pointwise_kernel", pk.permute(r + 1, r, *range(r)),
                                self.pointwise_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer,
                            regularizer=self.bias_regularizer)
        self.input_channels = c

    @property
    def depthwise_kernel(self) -> Tensor:
        """The depthwise kernel in Keras layout ``(*kernel_size, C, depth_multiplier)`` (a view
        of the stored weight).

        Raises:
            AttributeError: the layer is not built yet.
        """
        return self._depthwise_from_stored(self._stored("depthwise_kernel"))

    @property
    def pointwise_kernel(self) -> Tensor:
        """The pointwise kernel in Keras layout ``(1, ..., C * depth_multiplier, filters)`` (a
        view of the stored weight).

        Raises:
            AttributeError: the layer is not built yet.
        """
        return self._stored("pointwise_kernel").permute(*range(2, self.rank + 2), 1, 0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None).

        Raises:
            ValueError: wrong input rank, or a kernel larger than a ``'valid'`` input.
        """
        input_shape = tuple(input_shape)
        self._channels(input_shape)
        out = self._output_sizes(input_shape)
        return self._with_channels(input_shape, out, self.filters)

    def _compute(self, x: Tensor) -> Tensor:
        p = self._parameters
        b = p["bias"] if self.use_bias else None
        y = _conv_cf(self, x, p["depthwise_kernel"], None, self.kernel_size, self.strides,
                     self.padding, self.dilation_rate, self.input_channels)
        return _CONV[self.rank](y, p["pointwise_kernel"], b)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = self._base_config()
        config.update(filters=self.filters, depth_multiplier=self.depth_multiplier,
                      depthwise_initializer=_init_config(self.depthwise_initializer),
                      pointwise_initializer=_init_config(self.pointwise_initializer),
                      bias_initializer=_init_config(self.bias_initializer),
                      depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
                      pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config


class SeparableConv2D(_SeparableConv):
    """Depthwise separable 2-D convolution: a depthwise convolution (each input channel with
    its own ``depth_multiplier`` filters) followed by a pointwise ``1 x 1`` convolution mixing
    the channels into ``filters`` outputs, plus ``bias``, then ``activation``.

    Args:
        filters: number of output channels (positive int).
        kernel_size: int or ``(kh, kw)`` of the depthwise step.
        strides, padding, data_format, dilation_rate: of the depthwise step, as
            :class:`Conv2D` (default 1, ``'valid'``, channels-last, 1).
        depth_multiplier: depthwise outputs per input channel (default 1).
        activation: name, callable or None (linear).
        use_bias: default True.
        depthwise_initializer, pointwise_initializer: default ``'glorot_uniform'``;
            bias_initializer: default ``'zeros'``.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer: penalties added to the
            loss (default None).
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: as :class:`DepthwiseConv2D`.
        NotImplementedError: ``activity_regularizer`` or a constraint given.
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, H_out, W_out, filters)``. Weights, in Keras's order
        and layout: ``depthwise_kernel`` ``(kh, kw, C, depth_multiplier)``,
        ``pointwise_kernel`` ``(1, 1, C * depth_multiplier, filters)``, ``bias``
        ``(filters,)``.
    Reference: Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions", 2017.
    Example:
        >>> layer = keras.layers.SeparableConv2D(8, 3, padding="same")
        >>> y = layer(ember.zeros(1, 6, 6, 4))
        >>> [w.shape for w in layer.get_weights()]
        [(3, 3, 4, 1), (1, 1, 4, 8), (8,)]
    """

    rank = 2


class SeparableConv1D(_SeparableConv):
    """Depthwise separable 1-D convolution: ``(batch, steps, C)`` -> ``(batch, new_steps,
    filters)``; the arguments are those of :class:`SeparableConv2D` with ints.

    Raises:
        ValueError: as :class:`SeparableConv2D`.
        NotImplementedError: ``activity_regularizer`` or a constraint given.
    """

    rank = 1


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
