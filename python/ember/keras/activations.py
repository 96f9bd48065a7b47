"""Activation functions by Keras name (``keras.activations``).

Each function maps a tensor to a tensor of the same shape with one or a few ember ops.
``get(identifier)`` resolves a name, a callable or None (the identity, ``'linear'``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _C
from .._C import Tensor

__all__ = [
    "elu",
    "exponential",
    "gelu",
    "get",
    "leaky_relu",
    "linear",
    "relu",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
]


def relu(x: Tensor) -> Tensor:
    """Rectified linear unit ``max(x, 0)``."""
    return _C.relu(x)


def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, values in (0, 1)."""
    return _C.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent, values in (-1, 1)."""
    return _C.tanh(x)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Softmax over ``axis`` (default the last): positive entries summing to 1 along it."""
    return _C.softmax(x, axis)


def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    """GELU ``x * Phi(x)`` (erf form; ``approximate=True`` uses the tanh form).

    Reference: Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016.
    """
    return _C.gelu(x, "tanh" if approximate else "none")


def silu(x: Tensor) -> Tensor:
    """SiLU / swish ``x * sigmoid(x)``."""
    return _C.silu(x)


swish = silu


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """``x`` where ``x > 0`` else ``negative_slope * x`` (Keras's default slope 0.2)."""
    return _C.leaky_relu(x, negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """``x`` where ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return _C.where(x > 0, x, (_C.exp(_C.clamp(x, None, 0.0)) - 1.0) * alpha)


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def selu(x: Tensor) -> Tensor:
    """Scaled ELU: ``scale * elu(x, alpha)`` with Klambauer et al.'s constants.

    Reference: Klambauer et al., "Self-Normalizing Neural Networks", 2017.
    """
    return elu(x, _SELU_ALPHA) * _SELU_SCALE


def softplus(x: Tensor) -> Tensor:
    """``log(1 + exp(x))``, computed stably as ``max(x, 0) + log1p(exp(-|x|))``."""
    return _C.relu(x) + _C.log1p(_C.exp(-_C.abs(x)))


def softsign(x: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return x / (_C.abs(x) + 1.0)


def exponential(x: Tensor) -> Tensor:
    """``exp(x)``."""
    return _C.exp(x)


def linear(x: Tensor) -> Tensor:
    """The identity (Keras's ``'linear'`` activation, also what ``activation=None`` means)."""
    return x


_BY_NAME: dict[str, Callable[..., Tensor]] = {
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "gelu": gelu,
    "silu": silu,
    "swish": swish,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
    "exponential": exponential,
    "linear": linear,
}


def get(identifier: Any) -> Callable[..., Tensor]:
    """Resolves an activation.

    Args:
        identifier: a name (``'relu'``, ``'sigmoid'``, ``'tanh'``, ``'softmax'``, ``'gelu'``,
            ``'linear'``, ...), a callable taking and returning a tensor, or None (identity).
    Returns:
        A callable ``Tensor -> Tensor``.
    Raises:
        ValueError: an unknown name (the message lists the accepted names).
        TypeError: neither a string, a callable nor None.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        from .saving import _custom_object

        custom = _custom_object(identifier)
        if custom is not None:
            return custom
        fn = _BY_NAME.get(identifier.lower())
        if fn is None:
            raise ValueError(
                f"Unknown activation {identifier!r}; accepted names: {', '.join(sorted(_BY_NAME))}"
                " (or any callable taking and returning a tensor)"
            )
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(
        f"activation must be a name, a callable or None, got {type(identifier).__name__}"
    )


def serialize(fn: Callable[..., Tensor]) -> str:
    """The name stored for an activation in ``get_config``: the Keras name of a built-in, else
    the callable's ``__name__`` (give it back through ``custom_objects`` when loading)."""
    for name, f in _BY_NAME.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", repr(fn))
