"""Helpers shared by the distributions: broadcasting parameters, probabilities <-> logits, lazy
properties and shape utilities (PyTorch's ``torch.distributions.utils``)."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import ember
from ember import Tensor

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "euler_constant",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant

_FLOATS = (ember.float32, ember.float64)


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, Tensor)


def broadcast_all(*values: Tensor | float) -> tuple[Tensor, ...]:
    """Tensors and numbers broadcast to one shape.

    Numbers become tensors of the dtype of the first tensor in ``values`` (float32 when all are
    numbers, as PyTorch's default dtype), then everything is broadcast with
    :func:`ember.broadcast_tensors` (views, no copies). Tensors keep their own dtypes.

    Args:
        *values: ``Tensor`` or real numbers.
    Returns:
        tuple of tensors, one per value, all of the broadcast shape.
    Raises:
        ValueError: a value that is neither a Tensor nor a number, or shapes that do not
            broadcast.
    Example:
        >>> a, b = broadcast_all(ember.tensor([1.0, 2.0]), 3.0)
        >>> b
        tensor([3., 3.])
    """
    if not all(isinstance(v, Tensor) or _is_number(v) for v in values):
        raise ValueError("Input arguments must all be instances of Number or ember.Tensor.")
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), ember.float32)
    tensors = [v if isinstance(v, Tensor) else ember.tensor(float(v), dtype=dtype) for v in values]
    if len(tensors) == 1:
        return (tensors[0],)
    return tuple(ember.broadcast_tensors(*tensors))


def _finfo(t: Tensor) -> Any:
    """finfo of ``t``'s dtype (float32 for non-floating tensors)."""
    return ember.finfo(t.dtype if t.dtype in _FLOATS else ember.float32)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities clamped into ``[eps, 1 - eps]`` (``eps`` the dtype's machine epsilon).

    Args:
        probs: probabilities in [0, 1], float32 or float64, any shape.
    Returns:
        Tensor: same shape and dtype.
    Example:
        >>> clamp_probs(ember.tensor([0.0, 0.5, 1.0])).tolist()[1]
        0.5
    """
    eps = _finfo(probs).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from logits.

    ``sigmoid(logits)`` when ``is_binary`` (each value a log-odds), else
    ``softmax(logits, dim=-1)`` (unnormalized log-probabilities along the last dim).

    Args:
        logits: float32 or float64 tensor, any shape (at least 1-D unless ``is_binary``).
        is_binary: binary (Bernoulli) logits. Default False.
    Returns:
        Tensor: same shape and dtype.
    """
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits from probabilities (clamped with :func:`clamp_probs` first).

    ``log(p) - log1p(-p)`` when ``is_binary``, else ``log(p)``.

    Args:
        probs: probabilities in [0, 1], float32 or float64, any shape.
        is_binary: binary (Bernoulli) probabilities. Default False.
    Returns:
        Tensor: same shape and dtype.
    """
    p = clamp_probs(probs)
    if is_binary:
        return p.log() - (-p).log1p()
    return p.log()


class lazy_property:
    """A property computed on first access and then stored on the instance.

    Used for the parameter that was not given (``probs`` when built from ``logits`` and the
    reverse): the first read computes it (with gradients enabled) and replaces the descriptor by
    an instance attribute. Validation skips lazy parameters that were never computed.

    Args:
        wrapped: the method computing the value from the instance.
    """

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """``value`` summed over its ``dim`` rightmost dims (``value`` itself when ``dim`` is 0)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)


def _size(shape: Sequence[int] | int | None) -> tuple[int, ...]:
    """A shape argument (a sequence of ints, an int, or None) as a tuple."""
    if shape is None:
        return ()
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _standard_normal(shape: Sequence[int], dtype: Any) -> Tensor:
    """N(0, 1) samples of ``shape`` and ``dtype`` from ember's generator."""
    return ember.randn(tuple(shape), dtype=dtype)


def _uniform(shape: Sequence[int], dtype: Any) -> Tensor:
    """U[0, 1) samples of ``shape`` and ``dtype`` from ember's generator."""
    return ember.rand(tuple(shape), dtype=dtype)


def _float_dtype(t: Tensor) -> Any:
    """``t``'s dtype when floating, else float32."""
    return t.dtype if t.dtype in _FLOATS else ember.float32


def _softplus(x: Tensor) -> Tensor:
    """``log(1 + exp(x))`` computed as ``log1p(exp(-|x|)) + (x + |x|) / 2``: no overflow, and
    the gradient is ``sigmoid(x)`` everywhere (1/2 at 0)."""
    a = x.abs()
    return ember.log1p(ember.exp(-a)) + (x + a) * 0.5


def _bce_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Elementwise binary cross-entropy ``-(t log p + (1 - t) log(1 - p))`` with
    ``p = sigmoid(logits)``, as ``max(logits, 0) - t * logits + log1p(exp(-|logits|))`` (exact
    for ``t`` in {0, 1}: no cancellation of large logits).

    Infinite logits give the limits: ``(1 - t) * inf`` at ``+inf`` (0 for ``t = 1``, inf for
    ``t < 1``) and ``t * inf`` at ``-inf`` (0 for ``t = 0``). PyTorch's
    ``binary_cross_entropy_with_logits`` agrees for ``(+inf, t = 0)`` (inf) and gives NaN for
    the other three combinations of an infinite logit with ``t`` in {0, 1}.
    """
    inf = float("inf")
    pos, neg = logits == inf, logits == -inf
    x = ember.where(pos | neg, 0.0, logits)  # finite stand-in: no inf - inf, NaN-free gradients
    a = x.abs()
    # max(x, 0) as (x + |x|) / 2: the gradient is then sigmoid(x) - t everywhere (1/2 - t at 0)
    loss = (x + a) * 0.5 - target * x + ember.log1p(ember.exp(-a))
    loss = ember.where(pos, ember.where(target == 1, 0.0, inf), loss)
    return ember.where(neg, ember.where(target == 0, 0.0, inf), loss)


def _one_hot(index: Tensor, num_classes: int, dtype: Any) -> Tensor:
    """One-hot vectors of ``dtype``: ``index.shape + (num_classes,)``."""
    return (index.unsqueeze(-1) == ember.arange(num_classes, dtype=index.dtype)).to(dtype)
