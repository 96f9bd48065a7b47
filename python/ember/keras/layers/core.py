"""Core Keras layers: Dense, Activation, Dropout, Flatten, Reshape, Embedding, Lambda,
Identity."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import ember

from ... import _C
from ..._C import Tensor
from ...autograd import no_grad
from ...nn.parameter import Parameter
from .. import activations, initializers, regularizers
from .base import Layer, set_keras_mask, shape_str

__all__ = [
    "Activation",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "Lambda",
    "ReLU",
    "Reshape",
    "Softmax",
]


class _ActivationMixin:
    """Shared by layers ending in an activation: lets ``fit`` fuse a final softmax/sigmoid into
    the loss (``_call_logits`` returns the pre-activation values)."""

    activation: Callable[..., Tensor]

    @property
    def _final_activation(self) -> str | None:
        if self.activation is activations.softmax:
            return "softmax"
        if self.activation is activations.sigmoid:
            return "sigmoid"
        return None


class Dense(_ActivationMixin, Layer):
    """Densely connected layer: ``activation(inputs @ kernel + bias)`` over the last axis.

    Args:
        units: output size (positive int).
        activation: name (``'relu'``, ``'softmax'``, ...), callable, or None (linear).
        use_bias: add a bias vector (default True).
        kernel_initializer: default ``'glorot_uniform'``.
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, bias_regularizer: penalties added to the loss (default None),
            e.g. ``keras.regularizers.L2(1e-4)`` or ``'l2'``.
        **kwargs: :class:`Layer` arguments (``input_shape``, ``name``, ...).
    Raises:
        ValueError: ``units`` not a positive int, unknown activation, initializer or
            regularizer.
        NotImplementedError: ``activity_regularizer``, ``kernel_constraint`` or
            ``bias_constraint`` given.
    Shape:
        ``(batch, ..., input_dim)`` -> ``(batch, ..., units)``. The kernel is ``(input_dim,
        units)`` as in Keras (:attr:`kernel`, ``get_weights``); it is stored transposed, as
        ``ember.nn.Linear``'s weight, so the product runs as one ``linear`` call.
    Example:
        >>> layer = keras.layers.Dense(10, activation="relu", input_shape=(784,))
    """

    supports_masking = True  # a mask on the input passes to the output (Keras 3)

    def __init__(
        self,
        units: int,
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
        super().__init__(**kwargs)
        _unsupported("Dense", activity_regularizer=activity_regularizer,
                     kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` ``(input_dim, units)`` and ``bias`` ``(units,)``.

        Raises:
            ValueError: the last input dimension is unknown.
        """
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"Dense '{self.name}': the last dimension of the input must be "
                             f"known, got input shape {shape_str(tuple(input_shape))}")
        kernel = self.kernel_initializer((int(in_dim), self.units), self._dtype)
        self.register_parameter("kernel", Parameter(kernel.t().contiguous()))
        self._weight_names.append("kernel")
        if self.kernel_regularizer is not None:  # the same penalty on the stored transpose
            self.__dict__.setdefault("_weight_regularizers", {})["kernel"] = self.kernel_regularizer
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer,
                            regularizer=self.bias_regularizer)
        self.input_dim = int(in_dim)

    @property
    def kernel(self) -> Tensor:
        """The kernel in Keras layout ``(input_dim, units)`` (a view of the stored weight).

        Raises:
            AttributeError: the layer is not built yet.
        """
        w = self._parameters.get("kernel")
        if w is None:
            raise AttributeError(f"Dense '{self.name}' has no kernel before it is built")
        return w.t()

    def call(self, inputs: Tensor) -> Tensor:
        """``activation(inputs @ kernel + bias)``.

        Raises:
            ValueError: ``inputs.shape[-1]`` differs from the built ``input_dim``.
        """
        p = self._parameters
        y = _C._linear(inputs, p["kernel"], p["bias"] if self.use_bias else None)
        return self.activation(y)

    def _call_logits(self, inputs: Tensor) -> Tensor:
        p = self._parameters
        return _C._linear(inputs, p["kernel"], p["bias"] if self.use_bias else None)

    def _input_spec(self) -> tuple[int | None, dict[int, int]] | None:
        return (None, {-1: self.input_dim}) if self.built else None

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        config = super().get_config()
        config.update(units=self.units, activation=activations.serialize(self.activation),
                      use_bias=self.use_bias,
                      kernel_initializer=_init_config(self.kernel_initializer),
                      bias_initializer=_init_config(self.bias_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config


def _unsupported(cls: str, **options: Any) -> None:
    given = sorted(k for k, v in options.items() if v is not None)
    if given:
        raise NotImplementedError(f"{cls}: {', '.join(given)} not supported (leave None)")


def _init_config(init: Any) -> Any:
    try:
        return initializers.serialize(init)
    except ValueError:
        return getattr(init, "__name__", repr(init))


class Activation(_ActivationMixin, Layer):
    """Applies an activation function: ``Activation('relu')``.

    Args:
        activation: name or callable (see ``keras.activations.get``).
    """

    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: Tensor) -> Tensor:
        """``activation(inputs)``."""
        return self.activation(inputs)

    def _call_logits(self, inputs: Tensor) -> Tensor:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        return input_shape

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class ReLU(Activation):
    """``max(x, 0)`` as a layer (Keras's ``layers.ReLU()``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("activation", None)
        super().__init__("relu", **kwargs)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        del config["activation"]
        return config


class Softmax(Activation):
    """Softmax over the last axis as a layer (Keras's ``layers.Softmax()``)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        if axis != -1:
            raise NotImplementedError("Softmax: only axis=-1 is supported")
        kwargs.pop("activation", None)
        super().__init__("softmax", **kwargs)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        del config["activation"]
        return config


class Dropout(Layer):
    """Zeroes inputs with probability ``rate`` and scales the rest by ``1 / (1 - rate)``, only
    while training (inside ``fit``); the identity in ``evaluate``/``predict``/plain calls.

    Args:
        rate: drop probability in [0, 1).
        seed: accepted for Keras compatibility; dropout draws from ember's default generator.
    Raises:
        ValueError: ``rate`` outside [0, 1).
    Reference: Srivastava et al., "Dropout", JMLR 2014.
    """

    supports_masking = True

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        if noise_shape is not None:
            raise NotImplementedError("Dropout: noise_shape is not supported")
        self.rate = float(rate)
        self.seed = seed

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """Dropout when ``training`` is True, else ``inputs`` unchanged."""
        if training and self.rate > 0:
            return _C._dropout(inputs, self.rate, True, None)
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        return input_shape

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class Flatten(Layer):
    """Flattens every dimension but the batch: ``(batch, d1, d2, ...)`` -> ``(batch, d1*d2*...)``."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs.flatten(1)`` (1-D inputs become ``(batch, 1)``)."""
        if inputs.dim() == 1:
            return inputs.unsqueeze(1)
        return inputs.flatten(1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        rest = input_shape[1:]
        n = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], n)

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1).

    Args:
        target_shape: tuple of ints, without the batch dim.
    Raises:
        ValueError: more than one -1, or a sample size that does not fit ``target_shape``.
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape: at most one -1 in target_shape, got {self.target_shape}")

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs.reshape(batch, *target_shape)``."""
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        rest = input_shape[1:]
        if -1 not in self.target_shape or any(d is None for d in rest):
            size = None if any(d is None for d in rest) else math.prod(rest)
            if size is not None and -1 not in self.target_shape and size != math.prod(self.target_shape):
                raise ValueError(
                    f"Reshape '{self.name}': input shape {shape_str(tuple(input_shape))} cannot be "
                    f"reshaped to target_shape {self.target_shape}"
                )
            return (input_shape[0],) + self.target_shape
        known = math.prod(d for d in self.target_shape if d != -1)
        size = math.prod(rest)
        if known == 0 or size % known:
            raise ValueError(
                f"Reshape '{self.name}': input shape {shape_str(tuple(input_shape))} cannot be "
                f"reshaped to target_shape {self.target_shape}"
            )
        return (input_shape[0],) + tuple(size // known if d == -1 else d for d in self.target_shape)

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Embedding(Layer):
    """Turns integer indices into dense vectors: ``out[..., :] = embeddings[inputs[...], :]``.

    Args:
        input_dim: vocabulary size (indices in ``[0, input_dim)``).
        output_dim: vector size.
        embeddings_initializer: default ``'uniform'`` (Keras's U(-0.05, 0.05)).
        embeddings_regularizer: penalty on the table added to the loss (default None).
        mask_zero: whether index 0 is padding (default False). If True the output carries
            the mask ``inputs != 0``, which later layers that support masking (``LSTM``,
            ``GRU``, ``SimpleRNN``, ``Bidirectional``, ``MultiHeadAttention``,
            ``GlobalAveragePooling1D``, ``Dense``, ...) use to skip the padded steps; index 0
            still has an embedding row, so ``input_dim`` counts it (vocabulary size + 1).
    Raises:
        ValueError: non-positive sizes.  IndexError (from the lookup): an index out of range.
    Shape:
        ``(batch, ...)`` integer indices -> ``(batch, ..., output_dim)``; the mask (with
        ``mask_zero``) has the input's shape.
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, mask_zero: bool = False,
                 input_length: int | None = None, **kwargs: Any) -> None:
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        for n, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"Embedding: {n} must be a positive int, got {v!r}")
        self.mask_zero = bool(mask_zero)
        self.input_dim, self.output_dim = input_dim, output_dim
        if embeddings_initializer == "uniform":
            embeddings_initializer = initializers.RandomUniform(-0.05, 0.05)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)

    def build(self, input_shape: Any) -> None:
        """Creates ``embeddings`` ``(input_dim, output_dim)``."""
        self.add_weight("embeddings", (self.input_dim, self.output_dim),
                        self.embeddings_initializer, regularizer=self.embeddings_regularizer)

    def call(self, inputs: Tensor) -> Tensor:
        """Row lookup; floating inputs are cast to int64 first (Keras feeds floats). With
        ``mask_zero`` the output carries the mask ``inputs != 0``."""
        if inputs.dtype != ember.int64:
            inputs = inputs.to(ember.int64)
        out = _C._embedding(self._parameters["embeddings"], inputs, -1)
        if self.mask_zero:
            set_keras_mask(out, inputs != 0)
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """``inputs != 0`` with ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return inputs != 0 if isinstance(inputs, Tensor) else None

    @property
    def _makes_masks(self) -> bool:
        # Read by Sequential: a model with a mask-making layer passes masks between layers.
        return self.mask_zero

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      embeddings_initializer=_init_config(self.embeddings_initializer),
                      embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
                      mask_zero=self.mask_zero)
        return config


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: x * 2)``.

    Args:
        function: callable ``Tensor -> Tensor`` built from ember ops (no weights).
    """

    def __init__(self, function: Callable[..., Any], output_shape: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__}")
        self.function = function

    def call(self, inputs: Any) -> Any:
        """``function(inputs)``."""
        return self.function(inputs)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the object from them."""
        config = super().get_config()
        config["function"] = getattr(self.function, "__name__", repr(self.function))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuilds the object from :meth:`get_config`'s output."""
        from ..saving import _custom_object

        config = dict(config)
        fn = _custom_object(config["function"])
        if fn is None:
            raise ValueError(
                f"Lambda: cannot rebuild function {config['function']!r}; pass it through "
                "custom_objects={'" + str(config["function"]) + "': fn} when loading"
            )
        config["function"] = fn
        return cls(**config)


class Identity(Layer):
    """Returns its input unchanged (a placeholder, e.g. to switch a block off).

    Shape:
        any shape; the same tensor out.
    Example:
        >>> keras.layers.Identity()(ember.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """

    _layout_agnostic = True
    supports_masking = True

    def call(self, inputs: Any) -> Any:
        """``inputs``."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype


del no_grad
