"""In-place forms of elementwise ops (``x.exp_()``, ``x.clamp_min_(0)``, ``x.addcmul_(a, b)``,
...) and the ``addcmul``/``addcdiv`` functions.

Each in-place method computes the out-of-place op and writes the result into the tensor with
``copy_``, so autograd and ember.jit see an ordinary copy: the gradient flows to the tensor's
earlier value through the op, a leaf that requires grad is refused, and views share the write.
When autograd records the op (any operand requires grad), it reads a clone of the input, so
formulas that need the input (sin, atan, ``w``'s gradient of ``x.div_(w)``, ...) still have it
after the write. As in PyTorch, the result must keep the tensor's shape and be castable to its
dtype (no floating -> integer, no non-bool -> bool).
"""

from __future__ import annotations

from typing import Any

from . import _C
from ._C import Tensor

__all__ = ["addcdiv", "addcmul"]

# Tensor methods that get an in-place form ``<name>_``; each exists out of place already.
_INPLACE = (
    "abs", "neg", "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "sigmoid", "sign", "sgn", "erf", "erfc", "erfinv", "reciprocal", "square",
    "lgamma", "digamma", "polygamma", "floor", "ceil", "trunc", "frac", "round", "nan_to_num",
    "logical_not", "logical_and", "logical_or", "logical_xor", "fmod", "atan2", "hypot",
    "copysign", "lerp", "clamp_min", "clamp_max", "xlogy", "heaviside", "tril",
    "triu", "addcmul", "addcdiv", "eq", "ne", "lt", "le", "gt", "ge",
)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``, elementwise with broadcasting.

    Args:
        input, tensor1, tensor2 (Tensor): broadcastable to one shape.
        value (Number): the multiplier (default 1); it must not be floating for integer
            operands.
    Returns:
        Tensor: the broadcast shape, in the promoted dtype of the three tensors.
    Raises:
        ValueError: shapes that do not broadcast.
    Example:
        >>> ember.addcmul(ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]),
        ...               ember.tensor([0.5, 0.25]), value=2)
        tensor([4., 4.])
    """
    _check_value(value, (input, tensor1, tensor2), "addcmul")
    return input + (tensor1 * value if value != 1 else tensor1) * tensor2


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 / tensor2``, elementwise with broadcasting.

    Args:
        input, tensor1, tensor2 (Tensor): broadcastable to one shape.
        value (Number): the multiplier (default 1).
    Returns:
        Tensor: the broadcast shape, in the promoted floating dtype.
    Raises:
        TypeError: ``tensor1`` and ``tensor2`` both integer or bool (PyTorch refuses integer
            division here; convert with ``.float()``).
        ValueError: shapes that do not broadcast.
    Example:
        >>> ember.addcdiv(ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]),
        ...               ember.tensor([2.0, 8.0]))
        tensor([2.5000, 2.5000])
    """
    if not tensor1.is_floating_point() and not tensor2.is_floating_point():
        raise TypeError(f"addcdiv: integer division of tensor1 ({tensor1.dtype}) by tensor2 "
                        f"({tensor2.dtype}) is not supported; convert with .float()")
    _check_value(value, (input, tensor1, tensor2), "addcdiv")
    return input + (tensor1 * value if value != 1 else tensor1) / tensor2


def _check_value(value: Any, tensors: tuple[Tensor, ...], op: str) -> None:
    if isinstance(value, float) and not any(t.is_floating_point() for t in tensors):
        raise TypeError(f"{op}: value {value!r} is floating, but the tensors are "
                        f"{', '.join(str(t.dtype) for t in tensors)}; use an integer value")


def _other_requires_grad(args: tuple, kwargs: dict) -> bool:
    """Whether a tensor among the arguments after ``self`` requires grad."""
    for a in args:
        if isinstance(a, Tensor) and a.requires_grad:
            return True
    for a in kwargs.values():
        if isinstance(a, Tensor) and a.requires_grad:
            return True
    return False


def _inplace(name: str) -> Any:
    out_of_place = getattr(Tensor, name)

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """Writes the out-of-place op of the same name (without the trailing underscore) into
        this tensor and returns it; the arguments are that op's."""
        # The recorded op may save ``self`` for another operand's gradient (x.div_(w) saves x for
        # w's), so clone whenever anything requires grad: copy_ then writes past the saved value.
        recorded = _C.is_grad_enabled() and (
            self.requires_grad or ((args or kwargs) and _other_requires_grad(args, kwargs)))
        src = self.clone() if recorded else self
        result = out_of_place(src, *args, **kwargs)
        if tuple(result.shape) != tuple(self.shape):
            raise ValueError(f"{name}_: the result has shape {tuple(result.shape)}, which "
                             f"differs from the tensor's shape {tuple(self.shape)}; in-place "
                             f"ops cannot grow the tensor they write to")
        if not _C.can_cast(result.dtype, self.dtype):
            raise TypeError(f"{name}_: the result dtype {result.dtype} can't be cast to the "
                            f"dtype of the tensor written in place ({self.dtype})")
        return self.copy_(result)

    method.__name__ = method.__qualname__ = name + "_"
    return method


def _install() -> None:
    Tensor.addcmul = addcmul
    Tensor.addcdiv = addcdiv
    for name in _INPLACE:
        if not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", _inplace(name))
