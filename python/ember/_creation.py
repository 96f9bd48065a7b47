"""Tensor factories: zeros, ones, full, arange, linspace, eye, random tensors."""

from __future__ import annotations

import builtins
from typing import Any

from . import _C
from ._C import Tensor
from ._tensor import _check_device, _to_dtype

__all__ = [
    "arange",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "zeros",
    "zeros_like",
]


def _shape(size: tuple) -> list[int]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, builtins.bool) or not hasattr(s, "__index__"):
            raise TypeError(f"size must be a sequence of ints, got {size!r}")
        out.append(s.__index__())
    return out


def _finish(t: Tensor, requires_grad: builtins.bool) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dt(dtype: Any, default: Any = None) -> Any:
    d = _to_dtype(dtype)
    return d if d is not None else (default if default is not None else _C.dtype.float32)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Tensor of zeros with shape ``size`` (ints or one tuple); dtype default float32."""
    _check_device(device)
    return _finish(_C._zeros(_shape(size), _dt(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Tensor of ones with shape ``size``; dtype default float32."""
    _check_device(device)
    return _finish(_C._ones(_shape(size), _dt(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Uninitialized tensor with shape ``size``."""
    _check_device(device)
    return _finish(_C._empty(_shape(size), _dt(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """Tensor filled with ``fill_value``; dtype inferred from the value (float -> float32,
    int -> int64, bool -> bool) unless given."""
    _check_device(device)
    if isinstance(fill_value, builtins.int) and not isinstance(fill_value, builtins.bool):
        if not -(2**63) <= fill_value < 2**63:
            raise OverflowError(f"full: fill_value {fill_value} is out of range for int64")
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = _C.dtype.bool
        elif isinstance(fill_value, builtins.int):
            dtype = _C.dtype.int64
    return _finish(_C._full(_shape((size,)), fill_value, _dt(dtype)), requires_grad)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: builtins.bool = False, **kw: Any) -> Tensor:
    """Zeros with ``input``'s shape; dtype of ``input`` unless ``dtype`` is given."""
    return _finish(_C._zeros(list(input.shape), _dt(dtype, input.dtype)), requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: builtins.bool = False, **kw: Any) -> Tensor:
    """Ones with ``input``'s shape; dtype of ``input`` unless ``dtype`` is given."""
    return _finish(_C._ones(list(input.shape), _dt(dtype, input.dtype)), requires_grad)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: builtins.bool = False, **kw: Any) -> Tensor:
    """Uninitialized tensor with ``input``'s shape; dtype of ``input`` unless given."""
    return _finish(_C._empty(list(input.shape), _dt(dtype, input.dtype)), requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None,
              requires_grad: builtins.bool = False, **kw: Any) -> Tensor:
    """Tensor of ``fill_value`` with ``input``'s shape; dtype of ``input`` unless given."""
    return _finish(_C._full(list(input.shape), fill_value, _dt(dtype, input.dtype)), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: builtins.bool = False) -> Tensor:
    """Values from ``start`` (default 0) up to but excluding ``end``, spaced by ``step``.

    The dtype is int64 when all of start/end/step are ints, else float32 (PyTorch's rule).
    Length: ``ceil((end - start) / step)``.
    Raises:
        ValueError: step is 0, or its sign does not lead from start to end.
    """
    _check_device(device)
    if end is None:
        start, end = 0, start
    vals = (start, end, step)
    if dtype is None:
        is_int = builtins.all(isinstance(v, builtins.int) or (isinstance(v, Tensor) and not v.is_floating_point()) for v in vals)
        dtype = _C.dtype.int64 if is_int else _C.dtype.float32
    vals = tuple(v.item() if isinstance(v, Tensor) else v for v in vals)
    return _finish(_C._arange(*vals, _dt(dtype)), requires_grad)


def linspace(start: float, end: float, steps: builtins.int, dtype: Any = None, device: Any = None,
             requires_grad: builtins.bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    _check_device(device)
    return _finish(_C._linspace(float(start), float(end), builtins.int(steps), _dt(dtype)), requires_grad)


def eye(n: builtins.int, m: builtins.int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: builtins.bool = False) -> Tensor:
    """(n, m) identity matrix (m defaults to n)."""
    _check_device(device)
    return _finish(_C._eye(n, -1 if m is None else m, _dt(dtype)), requires_grad)


def rand(*size: Any, generator: _C.Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    _check_device(device)
    return _finish(_C._rand(_shape(size), _dt(dtype), generator), requires_grad)


def randn(*size: Any, generator: _C.Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: builtins.bool = False) -> Tensor:
    """Standard normal samples (Box-Muller on the seeded generator)."""
    _check_device(device)
    return _finish(_C._randn(_shape(size), _dt(dtype), generator), requires_grad)


def rand_like(input: Tensor, dtype: Any = None, **kw: Any) -> Tensor:
    """Uniform [0, 1) samples with ``input``'s shape (floating dtype of ``input`` unless given)."""
    return rand(*input.shape, dtype=dtype or input.dtype)


def randn_like(input: Tensor, dtype: Any = None, **kw: Any) -> Tensor:
    """Standard normal samples with ``input``'s shape (floating dtype of ``input`` unless given)."""
    return randn(*input.shape, dtype=dtype or input.dtype)


def randint(low: builtins.int, high: Any = None, size: Any = None, *, generator: _C.Generator | None = None,
            dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` uses low = 0. Default int64."""
    _check_device(device)
    if size is None:
        if high is None:
            raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    return _finish(_C._randint(low, high, _shape((size,)), _dt(dtype, _C.dtype.int64), generator), requires_grad)


def randperm(n: builtins.int, *, generator: _C.Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """A random permutation of 0..n-1 (int64 by default)."""
    _check_device(device)
    return _finish(_C._randperm(n, _dt(dtype, _C.dtype.int64), generator), requires_grad)
