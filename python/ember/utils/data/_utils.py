"""Array helpers shared by datasets, samplers and the loader (numpy in, ember tensors out)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

import ember

_SUPPORTED = (np.bool_, np.uint8, np.int32, np.int64, np.float32, np.float64)


def to_numpy_array(x: Any) -> np.ndarray:
    """A numpy view of a tensor (or array) in a dtype ember supports, copying only to convert."""
    if isinstance(x, ember.Tensor):
        return x.detach().numpy()
    arr = np.asarray(x)
    if arr.dtype.type in _SUPPORTED:
        return arr
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        return arr.astype(np.float32)
    if arr.dtype.kind == "b":
        return arr.astype(np.bool_)
    raise TypeError(
        f"numpy dtype {arr.dtype} is not supported; ember supports bool, uint8, int32, int64, "
        "float32 and float64"
    )


def as_index_array(indices: Any, n: int | None, name: str) -> np.ndarray:
    """``indices`` as a 1-D int64 numpy array, negative entries wrapped, checked against ``n``."""
    if isinstance(indices, ember.Tensor):
        arr = indices.detach().numpy()
    elif isinstance(indices, np.ndarray):
        arr = indices
    else:
        if isinstance(indices, range):
            arr = np.arange(indices.start, indices.stop, indices.step, dtype=np.int64)
        else:
            seq = list(indices)
            for v in seq:
                not_int = isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral)
                if not_int and not (isinstance(v, ember.Tensor) and v.numel() == 1):
                    raise TypeError(f"{name}: indices must be integers, got {type(v).__name__}")
            arr = np.array([int(v) for v in seq], dtype=np.int64)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise TypeError(
            f"{name}: indices must be a 1-D sequence of integers, got shape {arr.shape} and "
            f"dtype {arr.dtype}"
        )
    arr = arr.astype(np.int64, copy=False)
    if n is not None and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise IndexError(f"{name}: index {bad} is out of range for a dataset of size {n}")
        if lo < 0:
            arr = np.where(arr < 0, arr + n, arr)
    return arr


def tree_cat_reorder(parts: Sequence[Any], order: np.ndarray) -> Any:
    """Concatenate collated batches leaf by leaf along dim 0, then take rows ``order``."""
    first = parts[0]
    if isinstance(first, ember.Tensor):
        arr = np.concatenate([p.detach().numpy() for p in parts], axis=0)
        return ember.from_numpy(np.ascontiguousarray(arr[order]))
    if isinstance(first, dict):
        return {k: tree_cat_reorder([p[k] for p in parts], order) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(tree_cat_reorder(list(c), order) for c in zip(*parts)))
    if isinstance(first, (list, tuple)):
        return type(first)(tree_cat_reorder(list(c), order) for c in zip(*parts))
    # Non-tensor leaves (strings) are lists of per-sample values.
    flat = [v for p in parts for v in p]
    return [flat[i] for i in order.tolist()]
