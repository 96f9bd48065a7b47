"""Shrinkage, thresholding, softmin and channel shuffling (re-exported by
``ember.nn.functional``): ``softmin``, ``softshrink``, ``hardshrink``, ``tanhshrink``,
``threshold`` and ``channel_shuffle``.

Each is a composition of ember ops (``where``, ``tanh``, ``softmax``, views), so autograd and
``ember.jit`` follow it.
"""

from __future__ import annotations

import numbers
import operator
from typing import Any

from .. import _C
from .._C import Tensor

__all__ = [
    "channel_shuffle",
    "hardshrink",
    "softmin",
    "softshrink",
    "tanhshrink",
    "threshold",
]


def _check(input: Any, op: str, floating: bool = True) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected input to be a Tensor, got {type(input).__name__}")
    if floating and not input.is_floating_point():
        dt = str(input.dtype).replace("ember.", "")
        raise TypeError(f"{op}: expected a floating input (float32 or float64), got {dt}")


def _number(v: Any, name: str, op: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {type(v).__name__}")
    return float(v)


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """Softmin along ``dim``: ``softmax(-input, dim)``; entries are positive and sum to 1, the
    largest for the smallest input.

    Args:
        input: floating tensor.
        dim: the normalized dim. None picks PyTorch's legacy default (with a warning).
        _stacklevel: accepted for PyTorch compatibility; unused.
        dtype: if given, ``input`` is converted to it first.
    Returns:
        Tensor of ``input``'s shape (and ``dtype`` when given).
    Raises:
        IndexError: ``dim`` out of range.
    Example:
        >>> F.softmin(ember.tensor([0.0, 0.0, 1e9]), dim=0)
        tensor([0.5000, 0.5000, 0.0000])
    """
    from .functional import _softmax_dim

    _check(input, "softmin", floating=False)
    if dtype is not None:
        input = input.to(dtype)
    return _C.softmax(-input, _softmax_dim(input, dim, "softmin"))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Soft shrinkage: ``x - lambd`` where ``x > lambd``, ``x + lambd`` where ``x < -lambd``,
    else 0.

    Args:
        input: any shape, float32/float64.
        lambd: the threshold, >= 0. Default 0.5.
    Returns:
        Tensor shaped and typed like ``input`` (NaN stays NaN).
    Raises:
        ValueError: ``lambd < 0``.
        TypeError: non-floating input.
    Example:
        >>> F.softshrink(ember.tensor([-2.0, 0.25, 1.0]))
        tensor([-1.5000,  0.0000,  0.5000])
    """
    op = "softshrink"
    _check(input, op)
    lam = _number(lambd, "lambd", op)
    if lam < 0:
        raise ValueError(f"{op}: lambd must be >= 0, got {lambd}")
    return _C.where(input > lam, input - lam, _C.where(input < -lam, input + lam, input * 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Hard shrinkage: ``x`` where ``|x| > lambd``, else 0.

    Args:
        input: any shape, float32/float64.
        lambd: the threshold. Default 0.5.
    Returns:
        Tensor shaped and typed like ``input`` (NaN stays NaN).
    Raises:
        TypeError: non-floating input.
    Example:
        >>> F.hardshrink(ember.tensor([-2.0, 0.25, 1.0]))
        tensor([-2.,  0.,  1.])
    """
    op = "hardshrink"
    _check(input, op)
    lam = _number(lambd, "lambd", op)
    return _C.where((input >= -lam).logical_and(input <= lam), 0.0, input)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``.

    Args:
        input: any shape, float32/float64.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        TypeError: non-floating input.
    Example:
        >>> F.tanhshrink(ember.tensor([0.0, 10.0]))
        tensor([0., 9.])
    """
    _check(input, "tanhshrink")
    return input - _C.tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``; with ``inplace``, written into ``input``,
    which is returned.

    Args:
        input: any shape, float32/float64.
        threshold: values at or below it are replaced.
        value: the replacement.
        inplace: write into ``input``. Default False.
    Returns:
        Tensor shaped and typed like ``input`` (NaN stays NaN); the gradient is 1 where the
        input is kept, else 0.
    Raises:
        TypeError: non-floating input or non-numeric ``threshold``/``value``.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Example:
        >>> F.threshold(ember.tensor([-1.0, 0.5, 2.0]), 0.5, -9.0)
        tensor([-9., -9.,  2.])
    """
    from .functional import _writable

    op = "threshold"
    _check(input, op)
    th = _number(threshold, "threshold", op)
    val = _number(value, "value", op)
    if inplace and _writable(input, op):
        input.masked_fill_(input <= th, val)
        return input
    return _C.where(input <= th, val, input)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Splits the channels of ``(N, C, *)`` into ``groups`` groups and interleaves them:
    output channel ``j * groups + g`` is input channel ``g * (C / groups) + j``.

    Args:
        input: ``(N, C, *)`` with at least 3 dims, any dtype.
        groups: positive int dividing ``C``.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        ValueError: fewer than 3 dims, ``groups <= 0``, or ``C`` not divisible by ``groups``.
        TypeError: a non-int ``groups``.
    Reference:
        Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural Network for
        Mobile Devices", CVPR 2018.
    Example:
        >>> F.channel_shuffle(ember.arange(6.0).reshape(1, 6, 1), 3).flatten()
        tensor([0., 2., 4., 1., 3., 5.])
    """
    op = "channel_shuffle"
    _check(input, op, floating=False)
    if isinstance(groups, bool):
        raise TypeError(f"{op}: groups must be an int, got bool")
    try:
        g = operator.index(groups)
    except TypeError:
        raise TypeError(f"{op}: groups must be an int, got {type(groups).__name__}") from None
    if input.dim() < 3:
        raise ValueError(
            f"{op}: expected an input with more than 2 dims (N, C, *), got shape "
            f"{tuple(input.shape)}"
        )
    if g <= 0:
        raise ValueError(f"{op}: groups must be positive, got {g}")
    shape = [int(s) for s in input.shape]
    if shape[1] % g:
        raise ValueError(
            f"{op}: the channel count input.shape[1] ({shape[1]}) must be divisible by groups "
            f"({g}); input shape {tuple(shape)}"
        )
    x = input.reshape([shape[0], g, shape[1] // g] + shape[2:]).transpose(1, 2)
    return x.reshape(shape)
