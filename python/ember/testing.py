"""Test helpers, as ``torch.testing``: :func:`assert_close` compares tensors (and numbers,
sequences and mappings of them) elementwise with dtype-dependent tolerances."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._C import Tensor

__all__ = ["assert_close"]

# (rtol, atol) defaults by dtype name, PyTorch's.
_DEFAULTS = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _dtype_name(x: Any) -> str:
    """``float32`` for ``ember.float32``: a dtype name without the module prefix."""
    return str(x.dtype).replace("ember.", "")


def _compare(actual: Any, expected: Any, path: str, rtol: float | None, atol: float | None,
             equal_nan: bool, check_dtype: bool, msg: Any) -> None:
    """Compares mappings and sequences recursively, then values; ``path`` names the position in messages."""
    if isinstance(expected, Mapping) or isinstance(actual, Mapping):
        if not (isinstance(expected, Mapping) and isinstance(actual, Mapping)):
            raise AssertionError(f"assert_close: at {path or 'the top level'}, one input is a "
                                 f"mapping and the other a {type(actual).__name__}")
        if set(actual) != set(expected):
            raise AssertionError(f"assert_close: keys differ at {path or 'the top level'}: "
                                 f"{sorted(map(str, actual))} vs {sorted(map(str, expected))}")
        for k in expected:
            _compare(actual[k], expected[k], f"{path}[{k!r}]", rtol, atol, equal_nan,
                     check_dtype, msg)
        return
    seq = (list, tuple)
    if isinstance(expected, seq) and not isinstance(actual, Tensor):
        if not isinstance(actual, seq) or len(actual) != len(expected):
            raise AssertionError(f"assert_close: at {path or 'the top level'}, the sequences "
                                 f"differ in length or type")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{path}[{i}]", rtol, atol, equal_nan, check_dtype, msg)
        return
    _compare_values(actual, expected, path, rtol, atol, equal_nan, check_dtype, msg)


def _to_array(x: Any, path: str) -> tuple[np.ndarray, str]:
    """(numpy array, dtype name) of a tensor, number, array or sequence; TypeError otherwise."""
    if isinstance(x, Tensor):
        return x.detach().numpy(), _dtype_name(x)
    if isinstance(x, (bool, int, float, np.ndarray, np.generic)) or isinstance(x, Sequence):
        arr = np.asarray(x)
        return arr, str(arr.dtype)
    raise TypeError(f"assert_close: at {path or 'the top level'}, cannot compare a "
                    f"{type(x).__name__}")


def _compare_values(actual: Any, expected: Any, path: str, rtol: float | None,
                    atol: float | None, equal_nan: bool, check_dtype: bool, msg: Any) -> None:
    """AssertionError unless two tensors/numbers/arrays agree in shape, dtype (when checked) and values."""
    a, adt = _to_array(actual, path)
    e, edt = _to_array(expected, path)
    where = f" at {path}" if path else ""
    both_tensors = isinstance(actual, Tensor) and isinstance(expected, Tensor)
    if check_dtype and both_tensors and adt != edt:
        raise AssertionError(f"assert_close: the dtypes differ{where}: {adt} vs {edt}")
    if a.shape != e.shape:
        raise AssertionError(f"assert_close: the shapes differ{where}: {a.shape} vs {e.shape}")
    r, t = _DEFAULTS.get(edt if both_tensors else adt, (0.0, 0.0))
    if (isinstance(expected, float) or isinstance(actual, float)) and not both_tensors:
        r, t = _DEFAULTS["float64"]
    rtol = r if rtol is None else rtol
    atol = t if atol is None else atol
    af, ef = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore"):
        close = np.isclose(af, ef, rtol=rtol, atol=atol, equal_nan=equal_nan)
        close |= (af == ef)  # equal infinities
    if close.all():
        return
    if msg is not None:
        raise AssertionError(msg() if callable(msg) else msg)
    bad = ~close
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.abs(af - ef)
        rel = diff / np.abs(ef)
    diff = np.where(np.isnan(diff), np.inf, diff)
    rel = np.where(np.isnan(rel), np.inf, rel)
    i_abs = np.unravel_index(int(np.argmax(np.where(bad, diff, -1))), a.shape) if a.ndim else ()
    i_rel = np.unravel_index(int(np.argmax(np.where(bad, rel, -1))), a.shape) if a.ndim else ()
    what = "Tensor-likes" if both_tensors else "Scalars" if a.ndim == 0 else "Values"
    raise AssertionError(
        f"{what} are not close{where}!\n\n"
        f"Mismatched elements: {int(bad.sum())} / {bad.size} ({100.0 * bad.sum() / bad.size:.1f}%)\n"
        f"Greatest absolute difference: {diff[i_abs] if a.ndim else float(diff)} at index "
        f"{tuple(int(i) for i in i_abs)} (up to {atol} allowed)\n"
        f"Greatest relative difference: {rel[i_rel] if a.ndim else float(rel)} at index "
        f"{tuple(int(i) for i in i_rel)} (up to {rtol} allowed)")


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: Any = None) -> None:
    """Raises AssertionError unless ``actual`` and ``expected`` are close elementwise:
    ``|actual - expected| <= atol + rtol * |expected|`` (infinities must be equal, NaNs only
    match with ``equal_nan``).

    Args:
        actual, expected: Tensors, numbers, numpy arrays, or sequences/mappings of them
            (compared recursively, keys and lengths first).
        rtol, atol (float): both or neither; defaults by dtype: float32 (1.3e-6, 1e-5),
            float64 (1e-7, 1e-7), Python floats as float64, integers and bool exact.
        equal_nan (bool): NaN matches NaN. Default False.
        check_dtype (bool): two tensors must share a dtype. Default True.
        allow_subclasses, check_device, check_layout, check_stride: accepted for PyTorch
            compatibility (ember has one layout and device; strides are not compared).
        msg (str or callable): replaces the message of a value mismatch.
    Raises:
        AssertionError: shapes, dtypes, keys or values differ (the message gives the number of
            mismatched elements and the greatest absolute and relative differences, with
            their indices).
        ValueError: only one of ``rtol`` and ``atol`` given.
        TypeError: an input that is none of the above.
    Example:
        >>> ember.testing.assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
    """
    del allow_subclasses, check_device, check_layout, check_stride
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither (defaults by dtype)")
    _compare(actual, expected, "", rtol, atol, equal_nan, check_dtype, msg)
