"""Convolution layers (``Conv1D``, ``Conv2D``) with Keras's channels-last convention, and the
layout planning that lets a model run a stretch of spatial layers channels-first.

Keras feeds images as ``(batch, height, width, channels)``; ember's convolution and pooling
kernels work on ``(batch, channels, height, width)``. A layer called on its own permutes its
input to channels-first, computes, and permutes back. Inside ``Sequential`` and functional
models a run of consecutive spatial layers (convolutions, pooling, 4-D batch normalization,
with element-wise layers such as ``Dropout`` or ``Activation('relu')`` between them) is run
channels-first through each layer's ``call_channels_first``: the data is permuted once at the
start of the run and once back at its end (or not at all when the run ends in a global
pooling layer), so ``Flatten`` still sees Keras's ``(H, W, C)`` order.

A layer takes part in such a run when it defines ``call_channels_first(x, training=None)``
and ``_channels_first_ok(input_shape)`` (True for the input shapes it handles that way); its
class attribute ``_channels_first_keeps_layout`` says whether its output is still
channels-first (False for a global pooling without ``keepdims``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..._C import Tensor
from ...nn import functional as F
from ...nn.parameter import Parameter
from .. import activations, initializers
from .base import (
    _MASKS,
    Layer,
    _set_fused_mask,
    _snake,
    _unique_name,
    get_keras_mask,
    shape_str,
)

__all__ = ["Conv1D", "Conv2D", "Convolution1D", "Convolution2D"]

# Number of layout conversions (channels-last <-> channels-first) run so far; read by tests to
# check that a model converts once per run of spatial layers, not once per layer.
layout_conversions = 0

_ELEMENTWISE_ACTIVATIONS = frozenset(
    ["relu", "sigmoid", "tanh", "gelu", "silu", "swish", "leaky_relu", "elu", "selu",
     "softplus", "softsign", "exponential", "linear", "relu6", "hard_sigmoid", "mish"]
)


def to_channels_first(x: Tensor) -> Tensor:
    """``(N, *spatial, C)`` -> contiguous ``(N, C, *spatial)``."""
    global layout_conversions
    layout_conversions += 1
    nd = x.dim()
    return x.permute(0, nd - 1, *range(1, nd - 1)).contiguous()


def to_channels_last(x: Tensor) -> Tensor:
    """``(N, C, *spatial)`` -> contiguous ``(N, *spatial, C)``."""
    global layout_conversions
    layout_conversions += 1
    nd = x.dim()
    return x.permute(0, *range(2, nd), 1).contiguous()


def _is_elementwise_activation(fn: Any) -> bool:
    try:
        return activations.serialize(fn) in _ELEMENTWISE_ACTIVATIONS
    except Exception:
        return False


def layout_role(layer: Any, input_shape: Any) -> str | None:
    """How ``layer`` can run inside a channels-first run: ``'cf'`` (it has a channels-first
    path for ``input_shape``), ``'any'`` (element-wise, layout does not matter) or None (it
    needs the API's channels-last layout)."""
    if input_shape is None or isinstance(input_shape, list) or len(input_shape) < 3:
        return None
    ok = getattr(layer, "_channels_first_ok", None)
    if ok is not None:
        return "cf" if ok(tuple(input_shape)) else None
    from .core import Activation, Dropout

    if type(layer) is Dropout or getattr(layer, "_layout_agnostic", False):
        return "any"
    if isinstance(layer, Activation) and _is_elementwise_activation(layer.activation):
        return "any"
    return None


def _takes_training(layer: Layer) -> bool:
    return layer._call_takes_training()


def chain_plan(layers: Sequence[Layer], fuse: bool = False) -> list[tuple[Callable[..., Any], bool]]:
    """The steps ``(fn, takes_training)`` that run ``layers`` one after the other with one
    layout conversion per run of spatial layers. With ``fuse`` the last step is the last
    layer's ``_call_logits`` (run in the API layout).

    Layers not built yet (input shape unknown) run as plain layers. The steps call ``call``
    directly, so Keras masks are not passed between them: models whose layers may make masks
    run them through ``__call__`` instead (``Sequential._masked_forward_plan``).
    """
    steps: list[tuple[Callable[..., Any], bool]] = []
    first = False  # whether the data is channels-first at this point
    n = len(layers)
    for i, layer in enumerate(layers):
        last_fused = fuse and i == n - 1
        role = None if last_fused else layout_role(layer, layer._build_input_shape)
        if role == "cf":
            if not first:
                steps.append((to_channels_first, False))
            steps.append((layer.call_channels_first, True))
            first = bool(layer._channels_first_keeps_layout)
            continue
        if role == "any" and first:
            steps.append((layer.call, _takes_training(layer)))
            continue
        if first:
            steps.append((to_channels_last, False))
            first = False
        if last_fused:  # a nested model takes `training` for its own layers
            steps.append((layer._call_logits, hasattr(layer, "_fit_forward_plan")))
        else:
            steps.append((layer.call, _takes_training(layer)))
    if first:
        steps.append((to_channels_last, False))
    return steps


def run_chain(layers: Sequence[Layer], x: Any, training: bool | None) -> Any:
    """Applies ``layers`` in order (plain layer calls, so unbuilt layers build themselves and
    errors name the layer), converting the layout once per run of spatial layers."""
    first = False
    for layer in layers:
        role = layout_role(layer, layer._build_input_shape) if layer.built else None
        if role == "cf" and _MASKS and get_keras_mask(x) is not None:
            role = None  # a masked input goes through the layer's call, which uses the mask
        if role == "cf":
            if not first:
                x = to_channels_first(x)
            x = layer.call_channels_first(x, training=training)
            first = bool(layer._channels_first_keeps_layout)
            continue
        if first and role != "any":
            x = to_channels_last(x)
            first = False
        x = layer(x, training=training)
    return to_channels_last(x) if first else x


class LayoutValues:
    """Tensors of a functional graph run, each kept in the layout it was made in and converted
    (once, then cached) when a consumer needs the other layout."""

    def __init__(self) -> None:
        self._last: dict[int, Any] = {}
        self._first: dict[int, Any] = {}

    def put(self, key: int, value: Any, channels_first: bool = False) -> None:
        """Stores ``value`` for tensor ``key`` in the given layout."""
        (self._first if channels_first else self._last)[key] = value

    def has_first(self, key: int) -> bool:
        """Whether a channels-first version of ``key`` exists already."""
        return key in self._first

    def last(self, key: int) -> Any:
        """The value in the API (channels-last) layout."""
        if key not in self._last:
            self._last[key] = to_channels_last(self._first[key])
        return self._last[key]

    def first(self, key: int) -> Any:
        """The value channels-first."""
        if key not in self._first:
            self._first[key] = to_channels_first(self._last[key])
        return self._first[key]


def run_node(values: LayoutValues, node: Any, training: Any, fuse_last: bool) -> None:
    """Runs one functional-graph node (a ``_Node``: layer, inputs, kwargs, outputs), choosing
    the layout (see :class:`LayoutValues`); with ``fuse_last`` it runs ``_call_logits``."""
    layer, inputs, kwargs = node.layer, node.inputs, node.kwargs
    if isinstance(inputs, (list, tuple)) or fuse_last:
        args = ([values.last(id(t)) for t in inputs] if isinstance(inputs, (list, tuple))
                else values.last(id(inputs)))
        if not fuse_last:
            out = layer(args, training=training, **kwargs)
        elif hasattr(layer, "_fit_forward_plan"):  # a nested model
            out = layer._call_logits(args, training=training)
        else:
            out = layer._call_logits(args)
            _set_fused_mask(layer, args, out)  # the mask the full output would carry
    else:
        key = id(inputs)
        role = layout_role(layer, inputs.shape) if not kwargs else None
        if role == "cf" and _MASKS and not values.has_first(key) and get_keras_mask(
                values.last(key)) is not None:
            role = None  # a masked input goes through the layer's call, which uses the mask
        if role == "cf":
            out = layer.call_channels_first(values.first(key), training=training)
            values.put(id(node.outputs[0]), out, bool(layer._channels_first_keeps_layout))
            return
        if role == "any" and values.has_first(key):
            values.put(id(node.outputs[0]), layer(values.first(key), training=training), True)
            return
        out = layer(values.last(key), training=training, **kwargs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    for kt, v in zip(node.outputs, outs):
        values.put(id(kt), v)


# ---- shared helpers for convolution and pooling -------------------------------------------


def normalize_tuple(value: Any, n: int, name: str, layer: str) -> tuple[int, ...]:
    """``value`` (int or sequence of ``n`` ints, all positive) as an ``n``-tuple.

    Raises:
        ValueError: wrong length or a non-positive entry.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} ints, "
                             f"got {value!r}") from None
        if len(out) != n:
            raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v <= 0 for v in out):
        raise ValueError(f"{layer}: {name} must be positive, got {value!r}")
    return out


def normalize_padding(padding: Any, layer: str, causal: bool = False) -> str:
    """``'valid'`` or ``'same'`` (case-insensitive), and ``'causal'`` when ``causal`` is True.

    Raises:
        ValueError: anything else.
    """
    p = str(padding).lower()
    if causal and p == "causal":
        return p
    if p not in ("valid", "same"):
        accepted = "'valid', 'same' or 'causal'" if causal else "'valid' or 'same'"
        raise ValueError(f"{layer}: padding must be {accepted}, got {padding!r}")
    return p


def normalize_data_format(data_format: Any, layer: str) -> str:
    """``'channels_last'`` (default for None) or ``'channels_first'``.

    Raises:
        ValueError: anything else.
    """
    if data_format is None:
        return "channels_last"
    df = str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}")
    return df


def output_length(size: int | None, kernel: int, stride: int, padding: str,
                  dilation: int = 1) -> int | None:
    """Keras's output size along one axis: ``ceil(size / stride)`` for ``'same'`` and
    ``'causal'``, else ``floor((size - dilation (kernel - 1) - 1) / stride) + 1``."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // stride)
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Keras/TensorFlow ``'same'`` padding along one axis: ``(before, after)``, with the odd
    cell after: total ``max((ceil(size / stride) - 1) stride + dilation (kernel - 1) + 1 - size,
    0)``."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def pad_arg(pads: Sequence[tuple[int, int]]) -> list[int]:
    """``F.pad``'s argument (last spatial dim first) for per-axis ``(before, after)`` pads."""
    out: list[int] = []
    for before, after in reversed(list(pads)):
        out += [before, after]
    return out


def default_name(cls: type, kwargs: dict) -> None:
    """Sets Keras's automatic name (``conv2d``, ``max_pooling2d_1``: the digit stays with the
    word) in ``kwargs`` when no name is given."""
    if kwargs.get("name") is None:
        kwargs["name"] = _unique_name(re.sub(r"(\d)_d\b", r"\1d", _snake(cls.__name__)))


def _init_config(init: Any) -> Any:
    try:
        return initializers.serialize(init)
    except ValueError:
        return getattr(init, "__name__", repr(init))


class _Conv(Layer):
    """Shared code of :class:`Conv1D` and :class:`Conv2D` (``rank`` spatial dims)."""

    rank = 2
    _channels_first_keeps_layout = True
    _allows_causal = False

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
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
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"{cls}: filters must be a positive int, got {filters!r}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{cls}: groups must be a positive int, got {groups!r}")
        if filters % groups:
            raise ValueError(f"{cls}: filters ({filters}) must be divisible by groups ({groups})")
        for n, v in (("kernel_regularizer", kernel_regularizer),
                     ("bias_regularizer", bias_regularizer),
                     ("activity_regularizer", activity_regularizer),
                     ("kernel_constraint", kernel_constraint), ("bias_constraint", bias_constraint)):
            if v is not None:
                raise NotImplementedError(f"{cls}: {n} is not supported")
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = normalize_tuple(strides, self.rank, "strides", cls)
        self.padding = normalize_padding(padding, cls, causal=self._allows_causal)
        self.data_format = normalize_data_format(data_format, cls)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", cls)
        self.groups = groups
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._elementwise_act = _is_elementwise_activation(self.activation)
        self._is_linear = self.activation is activations.linear

    # -- shapes ----------------------------------------------------------------------------

    def _channel_axis(self, ndim: int) -> int:
        return 1 if self.data_format == "channels_first" else ndim - 1

    def _input_spec(self) -> tuple[int | None, dict[int, int]] | None:
        if not self.built:
            return None
        return self.rank + 2, {1 if self.data_format == "channels_first" else -1:
                               self.input_channels}

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` (Keras layout ``(*kernel_size, in_channels // groups, filters)``,
        stored as ember's ``(filters, in_channels // groups, *kernel_size)``) and ``bias``
        ``(filters,)``.

        Raises:
            ValueError: wrong input rank, unknown channel count, or channels not divisible by
                ``groups``.
        """
        cls = type(self).__name__
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{cls} '{self.name}': expected input of rank {self.rank + 2} "
                             f"(batch, {'spatial, ' * self.rank}channels), got shape "
                             f"{shape_str(input_shape)}")
        c = input_shape[self._channel_axis(len(input_shape))]
        if c is None:
            raise ValueError(f"{cls} '{self.name}': the channel dimension of the input must be "
                             f"known, got input shape {shape_str(input_shape)}")
        c = int(c)
        if c % self.groups:
            raise ValueError(f"{cls} '{self.name}': input channels ({c}) must be divisible by "
                             f"groups ({self.groups}); input shape {shape_str(input_shape)}")
        keras_shape = (*self.kernel_size, c // self.groups, self.filters)
        k = self.kernel_initializer(keras_shape, self._dtype)
        # (k..., in, out) -> (out, in, k...)
        perm = (self.rank + 1, self.rank, *range(self.rank))
        self.register_parameter("kernel", Parameter(k.permute(*perm).contiguous()))
        self._weight_names.append("kernel")
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)
        self.input_channels = c

    @property
    def kernel(self) -> Tensor:
        """The kernel in Keras layout ``(*kernel_size, in_channels // groups, filters)`` (a view
        of the stored weight).

        Raises:
            AttributeError: the layer is not built yet.
        """
        w = self._parameters.get("kernel")
        if w is None:
            raise AttributeError(f"{type(self).__name__} '{self.name}' has no kernel before it "
                                 "is built")
        return w.permute(*range(2, self.rank + 2), 1, 0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        input_shape = tuple(input_shape)
        cf = self.data_format == "channels_first"
        spatial = input_shape[2:] if cf else input_shape[1:-1]
        out = tuple(output_length(s, k, st, self.padding, d) for s, k, st, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the kernel {self.kernel_size} (dilation "
                f"{self.dilation_rate}) is larger than the input, shape {shape_str(input_shape)}")
        if cf:
            return (input_shape[0], self.filters, *out)
        return (input_shape[0], *out, self.filters)

    # -- computing -----------------------------------------------------------------------

    def _conv(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _channels_first_ok(self, input_shape: tuple) -> bool:
        return (self.data_format == "channels_last" and len(input_shape) == self.rank + 2
                and self._elementwise_act)

    def _check_channels(self, x: Tensor, cf: bool) -> None:
        c = x.shape[1] if cf else x.shape[-1]
        if x.dim() != self.rank + 2 or c != self.input_channels:
            layout = "(batch, channels, spatial...)" if cf else "(batch, spatial..., channels)"
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected input of rank {self.rank + 2} "
                f"{layout} with {self.input_channels} channels, got shape {tuple(x.shape)}")

    def call_channels_first(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """The layer on channels-first data ``(N, C, *spatial)`` -> ``(N, filters, *out)``;
        the activation must be element-wise."""
        self._check_channels(inputs, True)
        y = self._conv(inputs)
        return y if self._is_linear else self.activation(y)

    def call(self, inputs: Tensor) -> Tensor:
        """``activation(conv(inputs, kernel) + bias)`` in the layer's ``data_format``.

        Raises:
            ValueError: wrong rank or channel count, or an input smaller than the kernel.
        """
        if self.data_format == "channels_first":
            self._check_channels(inputs, True)
            y = self._conv(inputs)
            return y if self._is_linear else self.activation(y)
        self._check_channels(inputs, False)
        y = to_channels_last(self._conv(to_channels_first(inputs)))
        return y if self._is_linear else self.activation(y)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
            padding=self.padding, data_format=self.data_format,
            dilation_rate=list(self.dilation_rate), groups=self.groups,
            activation=activations.serialize(self.activation), use_bias=self.use_bias,
            kernel_initializer=_init_config(self.kernel_initializer),
            bias_initializer=_init_config(self.bias_initializer),
        )
        return config


class Conv2D(_Conv):
    """2-D convolution: ``activation(conv2d(inputs, kernel) + bias)``.

    Args:
        filters: number of output channels (positive int, divisible by ``groups``).
        kernel_size: int or ``(kh, kw)``.
        strides: int or ``(sh, sw)``. Default 1.
        padding: ``'valid'`` (no padding, default) or ``'same'`` (output size
            ``ceil(size / stride)``; the padding is split as in Keras, the odd cell at the
            bottom/right).
        data_format: ``'channels_last'`` (default; inputs ``(batch, H, W, C)``) or
            ``'channels_first'`` (``(batch, C, H, W)``).
        dilation_rate: int or pair. Default 1.
        groups: number of channel groups (input channels and ``filters`` divisible by it).
        activation: name, callable or None (linear).
        use_bias: add a bias (default True).
        kernel_initializer: default ``'glorot_uniform'`` (fans from the Keras kernel shape).
        bias_initializer: default ``'zeros'``.
        **kwargs: :class:`Layer` arguments (``input_shape``, ``name``, ...).
    Raises:
        ValueError: bad sizes, padding or data_format; at build/call time a wrong input rank
            or channel count, or a kernel larger than the (padded) input.
    Shape:
        ``(batch, H, W, C)`` -> ``(batch, H_out, W_out, filters)``; ``H_out = ceil(H / sh)``
        (``'same'``) or ``floor((H - dh (kh - 1) - 1) / sh) + 1`` (``'valid'``). The kernel is
        ``(kh, kw, C // groups, filters)`` as in Keras (:attr:`kernel`, ``get_weights``,
        saving); it is stored as ember's ``(filters, C // groups, kh, kw)`` so the convolution
        is one ``conv2d`` call on channels-first data.
    Example:
        >>> layer = keras.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1))
    """

    rank = 2

    def _conv(self, x: Tensor) -> Tensor:
        w = self._parameters["kernel"]
        b = self._parameters["bias"] if self.use_bias else None
        padding: Any = 0
        if self.padding == "same":
            pads = [same_pads(int(s), k, st, d) for s, k, st, d in
                    zip(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
            if all(a == b_ for a, b_ in pads):
                padding = tuple(a for a, _ in pads)
            else:
                x = F.pad(x, pad_arg(pads))
        else:
            self._check_fits(x)
        return F.conv2d(x, w, b, self.strides, padding, self.dilation_rate, self.groups)

    def _check_fits(self, x: Tensor) -> None:
        for s, k, d in zip(x.shape[2:], self.kernel_size, self.dilation_rate):
            if d * (k - 1) + 1 > s:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': the kernel {self.kernel_size} "
                    f"(dilation {self.dilation_rate}) is larger than the input, spatial size "
                    f"{tuple(x.shape[2:])}")


class Conv1D(Conv2D):
    """1-D convolution over sequences: ``(batch, steps, channels)`` -> ``(batch, new_steps,
    filters)``; the arguments are those of :class:`Conv2D` with ints for the sizes.

    The kernel is ``(kernel_size, C // groups, filters)`` in Keras layout, stored as
    ``(filters, C // groups, kernel_size)``. ``padding='causal'`` pads
    ``dilation_rate * (kernel_size - 1)`` zeros at the start of the sequence only, so output
    step ``t`` sees inputs up to ``t`` (output length ``ceil(steps / strides)``, as Keras).

    Raises:
        ValueError: as :class:`Conv2D`.
    Example:
        >>> layer = keras.layers.Conv1D(8, 3, padding="same", input_shape=(100, 4))
    """

    rank = 1
    _allows_causal = True

    def _conv(self, x: Tensor) -> Tensor:
        w = self._parameters["kernel"]
        b = self._parameters["bias"] if self.use_bias else None
        padding: Any = 0
        if self.padding == "causal":
            x = F.pad(x, [self.dilation_rate[0] * (self.kernel_size[0] - 1), 0])
        elif self.padding == "same":
            before, after = same_pads(int(x.shape[2]), self.kernel_size[0], self.strides[0],
                                      self.dilation_rate[0])
            if before == after:
                padding = before
            else:
                x = F.pad(x, [before, after])
        else:
            self._check_fits(x)
        return F.conv1d(x, w, b, self.strides, padding, self.dilation_rate, self.groups)


Convolution1D = Conv1D
Convolution2D = Conv2D

