"""Python-side pieces of ``ember.Tensor``: construction, printing, conversion, backward."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _C
from ._C import Tensor

__all__ = ["as_tensor", "from_numpy", "is_tensor", "tensor"]

_DTYPE_BY_NAME = {
    "float32": _C.dtype.float32,
    "float": _C.dtype.float32,
    "float64": _C.dtype.float64,
    "double": _C.dtype.float64,
    "int32": _C.dtype.int32,
    "int": _C.dtype.int32,
    "int64": _C.dtype.int64,
    "long": _C.dtype.int64,
    "uint8": _C.dtype.uint8,
    "bool": _C.dtype.bool,
}


def _to_dtype(dtype: Any) -> _C.dtype | None:
    """Accepts ember dtypes, numpy dtypes/types and names like ``"float32"``."""
    if dtype is None or isinstance(dtype, _C.dtype):
        return dtype
    if isinstance(dtype, str):
        if dtype in _DTYPE_BY_NAME:
            return _DTYPE_BY_NAME[dtype]
        raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(_DTYPE_BY_NAME)}")
    if dtype is float:
        return _C.dtype.float32
    if dtype is int:
        return _C.dtype.int64
    if dtype is bool:
        return _C.dtype.bool
    try:
        return _C._dtype_from_numpy(np.dtype(dtype))
    except TypeError:
        raise
    except Exception:
        raise TypeError(f"cannot interpret {dtype!r} as an ember dtype") from None


def _infer_numpy(data: Any) -> np.ndarray:
    """numpy array of ``data`` with PyTorch's dtype inference for Python values."""
    if isinstance(data, np.ndarray):
        arr = data
        if not arr.dtype.isnative:  # big-endian data: convert the values, not the bytes
            arr = arr.astype(arr.dtype.newbyteorder("="))
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
        return arr
    try:
        arr = np.array(data)
    except OverflowError:
        raise OverflowError("tensor: an integer in the data is out of range for int64") from None
    if arr.dtype == object:
        raise TypeError(
            "tensor: could not infer a dtype from the data (ragged nested lists, integers "
            "beyond int64, or unsupported objects?); give a rectangular nested list of numbers"
        )
    if arr.dtype == np.uint64 and not _has_numpy_leaf(data):
        raise OverflowError("tensor: an integer in the data is out of range for int64 "
                            f"(largest value {int(arr.max())})")
    if arr.dtype.kind == "f":
        # Python floats default to float32 (ember's default dtype).
        if not _has_float64_leaf(data):
            arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu" and not _has_numpy_leaf(data):
        arr = arr.astype(np.int64)
    return arr


def _has_float64_leaf(data: Any) -> bool:
    if isinstance(data, (np.floating, np.ndarray)):
        return np.asarray(data).dtype == np.float64
    if isinstance(data, Tensor):
        return data.dtype == _C.dtype.float64
    if isinstance(data, (list, tuple)) and data:
        return any(_has_float64_leaf(d) for d in data)
    return False


def _has_numpy_leaf(data: Any) -> bool:
    if isinstance(data, (np.generic, np.ndarray)):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _has_numpy_leaf(data[0])
    return False


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Args:
        data: a Python number, a (nested) list/tuple of numbers, a numpy array or a Tensor.
        dtype: result dtype; default inferred like PyTorch (Python floats -> float32,
            ints -> int64, bools -> bool; numpy arrays keep their dtype).
        device: ``"cpu"`` (the only device in this build) or None.
        requires_grad: make the result a leaf that records gradients (floating dtypes only).
    Returns:
        Tensor: owns its memory (never shares with ``data``).
    Raises:
        TypeError: unsupported element types or dtype.
        ValueError: ragged nested lists.
    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).dtype
        ember.int64
    """
    _check_device(device)
    dt = _to_dtype(dtype)
    if isinstance(data, Tensor):
        out = data.detach().clone()
    else:
        try:
            if dt is not None and not isinstance(data, np.ndarray):
                # Python numbers go straight to the requested dtype: tensor([0.1], dtype=float64)
                # must not pass through float32.
                arr = np.array(data, dtype=_C._numpy_dtype(dt))
            else:
                arr = _infer_numpy(data)
        except ValueError as e:
            if "inhomogeneous" in str(e) or "sequence" in str(e):
                raise ValueError(
                    "tensor: nested lists must be rectangular (every row of a dimension the same "
                    f"length); numpy could not build an array from them ({e})"
                ) from None
            raise ValueError(f"tensor: {e}") from None
        # np.array(copy=True) keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d).
        out = _C.from_numpy(np.array(arr, copy=True, order="C"))
    if dt is not None and out.dtype != dt:
        out = out._to_dtype(dt)
    if requires_grad:
        out.requires_grad_(True)
    return out


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but shares memory with numpy arrays and tensors when it can."""
    _check_device(device)
    dt = _to_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dt is None or data.dtype == dt else data._to_dtype(dt)
    if isinstance(data, np.ndarray):
        try:
            out = _C.from_numpy(data)
        except (TypeError, ValueError):
            out = _C.from_numpy(np.asarray(_infer_numpy(data), order="C"))
        return out if dt is None or out.dtype == dt else out._to_dtype(dt)
    return tensor(data, dtype=dt)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (see ``ember._C.from_numpy``)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    return _C.from_numpy(ndarray)


def is_tensor(obj: Any) -> bool:
    """True when ``obj`` is an ``ember.Tensor`` (including subclasses such as Parameter)."""
    return isinstance(obj, Tensor)


def _check_device(device: Any) -> None:
    if device is None:
        return
    name = str(device)
    if name not in ("cpu", "cpu:0"):
        _C.device(name)  # raises a clear error for cuda / unknown names


# ---- methods added to the C++ Tensor class -----------------------------------------------


_EDGE = 3  # elements shown at each end of a summarized dim
_THRESHOLD = 1000  # more elements than this are summarized with "..."
_LINEWIDTH = 80


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows (first and last ``_EDGE`` along every dim)."""
    if arr.ndim == 0:
        return arr.reshape(1)
    if arr.shape[0] > 2 * _EDGE:
        arr = np.concatenate([arr[:_EDGE], arr[-_EDGE:]])
    if arr.ndim == 1:
        return arr
    return np.concatenate([_summarized(a).reshape(-1) for a in arr])


def _formatter(arr: np.ndarray):
    """PyTorch's element formatting: integer-valued floats as ``1.``, else 4 decimals, with
    scientific notation for wide ranges; every element padded to a common width."""
    flat = arr.reshape(-1)
    if arr.dtype == np.bool_:
        fmt = lambda v: "True" if v else "False"
        sized = flat
    elif arr.dtype.kind in "iu":
        fmt = lambda v: str(int(v))
        sized = flat
    else:
        vals = arr.astype(np.float64)
        finite = np.abs(vals[np.isfinite(vals)])
        nonzero = finite[finite != 0]
        int_mode = bool(np.all(np.ceil(finite) == finite))
        sci = False
        if nonzero.size:
            lo, hi = float(nonzero.min()), float(nonzero.max())
            sci = hi / lo > 1000.0 or hi > 1e8 or (not int_mode and lo < 1e-4)
        spec = "{:.4e}" if sci else ("{:.0f}." if int_mode else "{:.4f}")
        fmt = lambda v: _float_str(float(v), spec)
        # Like PyTorch, the width comes from the nonzero finite values only.
        sized = flat[np.isfinite(flat) & (flat != 0)]
    width = max((len(fmt(v)) for v in sized), default=1)
    return lambda v: fmt(v).rjust(width), width


def _format_array(arr: np.ndarray, indent: int, summarize: bool, fmt, width: int) -> str:
    if arr.ndim == 0:
        return fmt(arr.item())
    if arr.ndim == 1:
        n = arr.shape[0]
        if summarize and n > 2 * _EDGE:
            items = [fmt(v) for v in arr[:_EDGE]] + [" ..."] + [fmt(v) for v in arr[-_EDGE:]]
        else:
            items = [fmt(v) for v in arr]
        per_line = max(1, (_LINEWIDTH - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    n = arr.shape[0]
    if summarize and n > 2 * _EDGE:
        parts = [_format_array(a, indent + 1, summarize, fmt, width) for a in arr[:_EDGE]]
        parts += ["..."]
        parts += [_format_array(a, indent + 1, summarize, fmt, width) for a in arr[-_EDGE:]]
    else:
        parts = [_format_array(a, indent + 1, summarize, fmt, width) for a in arr]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _repr(self: Tensor) -> str:
    """PyTorch's layout: ``tensor([1., 2.], dtype=ember.float64, requires_grad=True)``."""
    arr = self._numpy_view()
    prefix = "tensor("
    if arr.size == 0:
        body = "[]"
    else:
        summarize = arr.size > _THRESHOLD
        fmt, width = _formatter(_summarized(arr) if summarize else arr)
        body = _format_array(arr, len(prefix), summarize, fmt, width)
    extras = []
    if self.dtype not in (_C.dtype.float32, _C.dtype.int64, _C.dtype.bool) or (
        self.numel() == 0 and self.dtype != _C.dtype.float32
    ):
        extras.append(f"dtype={self.dtype!r}")
    if self.numel() == 0 and self.dim() > 1:
        extras.insert(0, f"size={tuple(self.shape)}")
    if self.grad_fn is not None:
        extras.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"


def _float_str(v: float, fmt: str) -> str:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return fmt.format(v)


def _tolist(self: Tensor) -> Any:
    return self._numpy_view().tolist()


def _array(self: Tensor, dtype: Any = None, copy: Any = None) -> np.ndarray:
    arr = self._numpy_view()
    return arr if dtype is None else arr.astype(dtype)


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; ``copy=False``."""
    copy = kwargs.pop("copy", False)
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, _C.dtype):
            dtype = a
        elif isinstance(a, (str, _C.device)):
            device = a
        else:
            dtype = _to_dtype(a)
    _check_device(device)
    if dtype is None:
        return self.clone() if copy else self
    dtype = _to_dtype(dtype)
    if dtype == self.dtype and not copy:
        return self  # the same Python object, like PyTorch
    return self._to_dtype(dtype, copy)


def _backward(self: Tensor, gradient: Tensor | None = None, retain_graph: bool | None = None,
              create_graph: bool = False, inputs: Any = None) -> None:
    from .autograd import backward

    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def _iter(self: Tensor):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    for i in range(self.shape[0]):
        yield self.select(0, i)


def _dlpack(self: Tensor, stream: Any = None, **kwargs: Any) -> Any:
    return self.detach().numpy().__dlpack__(**kwargs)


def _dlpack_device(self: Tensor) -> tuple[int, int]:
    return (1, 0)  # kDLCPU


def _format(self: Tensor, spec: str) -> str:
    if self.dim() == 0:
        return self.item().__format__(spec)
    return object.__format__(repr(self), spec)


def _deepcopy(self: Tensor, memo: dict) -> Tensor:
    """``copy.deepcopy(t)``: a new leaf with a copy of the values, the same requires_grad and a
    copy of ``.grad`` (PyTorch's rule: only leaves can be deep-copied)."""
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError(
            "deepcopy: only leaf tensors (made by the user, not by an op that autograd recorded) "
            "can be deep-copied; copy t.detach() instead"
        )
    out = self.detach().clone()
    if self.requires_grad:
        out.requires_grad_(True)
    memo[id(self)] = out
    g = self.grad
    if g is not None:
        out.grad = g.detach().clone()
    return out


def _rebuild_tensor(values: np.ndarray, requires_grad: bool) -> Tensor:
    out = _C.from_numpy(values)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _reduce_ex(self: Tensor, protocol: int) -> Any:
    """Pickling: the values as a numpy array (copied) and requires_grad (a non-leaf comes back
    as a leaf, without its history, as in PyTorch)."""
    return (_rebuild_tensor, (np.array(self.detach().numpy(), copy=True), self.requires_grad))


def _install() -> None:
    # pybind11's enum repr (<dtype.float64: 5>) would win over one defined in C++.
    _C.dtype.__repr__ = lambda self: f"ember.{self.name}"
    _C.dtype.__str__ = lambda self: f"ember.{self.name}"
    T = Tensor
    T.__repr__ = _repr
    T.__str__ = _repr
    T.__format__ = _format
    T.tolist = _tolist
    T.__array__ = _array
    T.to = _to
    T.backward = _backward
    T.__iter__ = _iter
    T.__dlpack__ = _dlpack
    T.__dlpack_device__ = _dlpack_device
    T.__deepcopy__ = _deepcopy
    T.__reduce_ex__ = _reduce_ex
    T.float = lambda self: self._to_dtype(_C.dtype.float32)
    T.double = lambda self: self._to_dtype(_C.dtype.float64)
    T.long = lambda self: self._to_dtype(_C.dtype.int64)
    T.int = lambda self: self._to_dtype(_C.dtype.int32)
    T.bool = lambda self: self._to_dtype(_C.dtype.bool)
    T.byte = lambda self: self._to_dtype(_C.dtype.uint8)
    T.type_as = lambda self, other: self._to_dtype(other.dtype)
    T.cpu = lambda self: self
    T.new_zeros = lambda self, *size, dtype=None: _C._zeros(
        _C_shape(size), _to_dtype(dtype) or self.dtype)
    T.new_ones = lambda self, *size, dtype=None: _C._ones(
        _C_shape(size), _to_dtype(dtype) or self.dtype)
    T.new_full = lambda self, size, fill_value, dtype=None: _C._full(
        _C_shape((size,)), fill_value, _to_dtype(dtype) or self.dtype)
    T.new_tensor = lambda self, data, dtype=None: tensor(data, dtype=dtype or self.dtype)
    T.data = property(lambda self: self.detach(), _set_data)
    # In-place methods return the very object they modify (PyTorch: ``x.add_(1) is x``), so
    # ``p += 1`` keeps a Parameter a Parameter.
    for name in _SELF_RETURNING:
        if hasattr(T, name):
            setattr(T, name, _returning_self(getattr(T, name)))


_SELF_RETURNING = (
    "add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "clamp_", "uniform_", "normal_",
    "requires_grad_", "detach_", "__iadd__", "__isub__", "__imul__", "__itruediv__",
    "floor_divide_", "remainder_", "pow_", "bitwise_and_", "bitwise_or_", "bitwise_xor_",
    "__ifloordiv__", "__imod__", "__ipow__", "__iand__", "__ior__", "__ixor__",
    "bitwise_left_shift_", "bitwise_right_shift_", "__ilshift__", "__irshift__",
)


def _returning_self(method: Any) -> Any:
    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """Runs ``method`` (an in-place op) and returns ``self``, as PyTorch's ``x.add_(y)`` does."""
        method(self, *args, **kwargs)
        return self

    inplace.__name__ = getattr(method, "__name__", "inplace")
    inplace.__doc__ = getattr(method, "__doc__", None)
    return inplace


def _set_data(self: Tensor, value: Tensor) -> None:
    """``t.data = value``: as in PyTorch, ``t`` becomes a handle on ``value``'s memory (shape
    and dtype may change; later writes to either show in both) and keeps its own autograd
    state (``requires_grad``, ``.grad``, the same Python object). TypeError for a non-tensor,
    or a non-floating value for a tensor that requires grad."""
    if not isinstance(value, Tensor):
        raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
    self._set_data(value)


def _C_shape(size: tuple) -> list[int]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return [int(s) for s in size]
