"""``ember.finfo`` / ``ember.iinfo``: the numerical limits of ember's dtypes (PyTorch's names
and attributes), and ``ember.seed``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _C

__all__ = ["finfo", "iinfo", "seed"]


def _name(dtype: Any) -> str:
    return str(dtype).replace("ember.", "")


class finfo:  # noqa: N801  (PyTorch's lower-case class name)
    """Limits of a floating dtype: ``ember.finfo(ember.float32).eps`` etc.

    Attributes:
        bits: storage size in bits.
        eps: the gap between 1.0 and the next representable number.
        max, min: the largest and the most negative finite values.
        tiny, smallest_normal: the smallest positive normal number.
        resolution: the approximate decimal resolution, ``10**-precision``.
        dtype: the dtype's name (``"float32"``).
    Args:
        type: a floating ember dtype; default ``ember.get_default_dtype()``.
    Raises:
        TypeError: an integer or bool dtype (use :class:`iinfo`).
    Example:
        >>> ember.finfo(ember.float32).eps
        1.1920928955078125e-07
    """

    def __init__(self, type: Any = None) -> None:
        if type is None:
            from . import get_default_dtype

            type = get_default_dtype()
        name = _name(type)
        if name not in ("float32", "float64"):
            raise TypeError(f"finfo: expected a floating dtype (float32 or float64), got {name}; "
                            "use ember.iinfo for integer dtypes")
        info = np.finfo(getattr(np, name))
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.tiny)
        self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801
    """Limits of an integer or bool dtype: ``ember.iinfo(ember.int64).max`` etc.

    Attributes:
        bits: storage size in bits.
        max, min: the largest and smallest values.
        dtype: the dtype's name (``"int64"``).
    Args:
        type: an integer or bool ember dtype.
    Raises:
        TypeError: a floating dtype (use :class:`finfo`).
    Example:
        >>> ember.iinfo(ember.uint8).max
        255
    """

    def __init__(self, type: Any) -> None:
        name = _name(type)
        if name == "bool":
            self.bits, self.max, self.min = 8, 1, 0
        elif name in ("uint8", "int32", "int64"):
            info = np.iinfo(getattr(np, name))
            self.bits, self.max, self.min = int(info.bits), int(info.max), int(info.min)
        else:
            raise TypeError(f"iinfo: expected an integer dtype, got {name}; use ember.finfo "
                            "for floating dtypes")
        self.dtype = name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def seed() -> int:
    """Seeds the default generator from a non-deterministic source and returns the seed (read
    it back later with ``ember.initial_seed()``)."""
    return int(_C.default_generator().seed())
