"""Activation layers with parameters: ``LeakyReLU``, ``PReLU`` (learned slopes), ``ELU``."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from ... import _C
from ..._C import Tensor
from .. import activations, initializers, regularizers
from .base import Layer, shape_str

__all__ = ["ELU", "LeakyReLU", "PReLU"]


class LeakyReLU(Layer):
    """Leaky rectified linear unit: ``x`` where ``x >= 0``, else ``negative_slope * x``.

    Args:
        negative_slope: slope for negative inputs, a float >= 0 (default 0.3, Keras's). The
            deprecated ``alpha=`` is accepted with a warning, as in Keras.
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: ``negative_slope`` None or negative.
    Shape:
        any shape; same shape out.
    Reference: Maas et al., "Rectifier Nonlinearities Improve Neural Network Acoustic
    Models", 2013.
    Example:
        >>> keras.layers.LeakyReLU()(ember.tensor([-10.0, 2.0]))
        tensor([-3.,  2.])
    """

    _layout_agnostic = True
    supports_masking = True  # element-wise: an input mask passes through (Keras 3)

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated; use `negative_slope` "
                          "instead", stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or isinstance(negative_slope, bool) or not negative_slope >= 0:
            raise ValueError("LeakyReLU: negative_slope cannot be None or negative; expected a "
                             f"float >= 0, got negative_slope={negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs: Tensor) -> Tensor:
        """``leaky_relu(inputs, negative_slope)``."""
        return _C.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """Exponential linear unit: ``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: scale of the negative part (default 1.0).
        **kwargs: :class:`Layer` arguments.
    Shape:
        any shape; same shape out.
    Reference: Clevert et al., "Fast and Accurate Deep Network Learning by Exponential Linear
    Units (ELUs)", 2016.
    """

    _layout_agnostic = True
    supports_masking = True  # element-wise: an input mask passes through (Keras 3)

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs: Tensor) -> Tensor:
        """``elu(inputs, alpha)``."""
        return activations.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "alpha": self.alpha}


def _init_config(init: Any) -> Any:
    try:
        return initializers.serialize(init)
    except ValueError:
        return getattr(init, "__name__", repr(init))


class PReLU(Layer):
    """Parametric ReLU: ``relu(x) - alpha * relu(-x)`` with a learned ``alpha`` per input
    element (Keras's formula), shared along ``shared_axes``.

    Args:
        alpha_initializer: default ``'zeros'`` (the layer starts as a ReLU).
        alpha_regularizer: penalty on ``alpha`` added to the loss (default None).
        alpha_constraint: not supported (must be None).
        shared_axes: axes (1-based, the batch axis is 0) along which one slope is shared, e.g.
            ``[1, 2]`` for one slope per channel of ``(batch, H, W, C)`` images. Default None.
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: a shared axis outside ``1..rank-1``, or (at build) an unknown non-shared
            dimension.
        NotImplementedError: ``alpha_constraint`` given.
    Shape:
        any ``(batch, ...)``; same shape out. Weight ``alpha``: the input shape without the
        batch dim, with 1 on the shared axes.
    Reference: He et al., "Delving Deep into Rectifiers", ICCV 2015.
    """

    supports_masking = True  # element-wise: an input mask passes through (Keras 3)

    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: int | Sequence[int] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if alpha_constraint is not None:
            raise NotImplementedError("PReLU: alpha_constraint is not supported (leave None)")
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, int):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = [int(a) for a in shared_axes]
        if self.shared_axes is not None and any(a < 1 for a in self.shared_axes):
            raise ValueError(f"PReLU: shared_axes count from 1 (axis 0 is the batch), got "
                             f"{shared_axes!r}")

    def build(self, input_shape: Any) -> None:
        """Creates ``alpha`` of the input shape without the batch dim (1 on shared axes).

        Raises:
            ValueError: a shared axis beyond the input rank, or an unknown dimension.
        """
        shape = list(input_shape[1:])
        for a in self.shared_axes or []:
            if a > len(shape):
                raise ValueError(f"PReLU '{self.name}': shared axis {a} is out of range for "
                                 f"input shape {shape_str(tuple(input_shape))}")
            shape[a - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU '{self.name}': the non-shared dimensions must be known, "
                             f"got input shape {shape_str(tuple(input_shape))}")
        self.add_weight("alpha", tuple(shape), self.alpha_initializer,
                        regularizer=self.alpha_regularizer)
        self._alpha_shape = tuple(shape)

    def call(self, inputs: Tensor) -> Tensor:
        """``relu(inputs) - alpha * relu(-inputs)``.

        Raises:
            ValueError: ``inputs`` do not broadcast against ``alpha``.
        """
        shape = tuple(inputs.shape[1:])
        if len(shape) != len(self._alpha_shape) or any(
                a != 1 and a != s for a, s in zip(self._alpha_shape, shape)):
            raise ValueError(f"PReLU '{self.name}': input shape {tuple(inputs.shape)} does not "
                             f"match alpha of shape {self._alpha_shape}")
        alpha = self._parameters["alpha"]
        return _C.relu(inputs) - alpha * _C.relu(-inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        return {**super().get_config(), "alpha_initializer": _init_config(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "shared_axes": self.shared_axes}
