"""More activation functions (re-exported by ``ember.nn.functional``).

Each is a composition of ember ops, so autograd and ``ember.jit`` follow it without new kernels.
Branches are chosen with ``where`` on the input, never by a Python test on values, and the
argument of every ``exp`` is kept in the range that branch is used for, so an unused branch
never overflows and never turns a gradient into ``0 * inf = NaN``. Gradients at the kinks (0 for
the ELU family, the bounds of Hardtanh and ReLU6, +-3 for Hardswish and Hardsigmoid, the
threshold of Softplus) are PyTorch's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .. import _C
from .._C import Tensor
from .functional import _writable

__all__ = [
    "celu",
    "elu",
    "glu",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "logsigmoid",
    "mish",
    "prelu",
    "relu6",
    "selu",
    "softplus",
    "softsign",
]

# SELU's constants (Klambauer et al. 2017, eq. 14), to double precision.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _dtype_name(t: Tensor) -> str:
    return str(t.dtype).replace("ember.", "")


def _check_floating(input: Tensor, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected input to be a Tensor, got {type(input).__name__}")
    if not input.is_floating_point():
        raise TypeError(
            f"{op}: expected input to have a floating dtype (float32 or float64), "
            f"got {_dtype_name(input)}"
        )


def _inplace(input: Tensor, op: str, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """``fn(input)`` written into ``input`` (returned); under autograd ``fn`` reads a copy of
    the input, which stays unchanged for its backward. Writing into a view rewrites its base's
    autograd history, as PyTorch does (see ``functional._writable`` for what is refused)."""
    if not _writable(input, op):
        return fn(input)
    src = input.clone() if input.requires_grad and _C.is_grad_enabled() else input
    input.copy_(fn(src))
    return input


def _maybe_inplace(input: Tensor, op: str, inplace: bool, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """``fn(input)``, written into ``input`` as :func:`_inplace` does when ``inplace``."""
    return _inplace(input, op, fn) if inplace else fn(input)


def _expm1_small(a: Tensor) -> Tensor:
    """``exp(a) - 1`` for ``a <= 1`` without cancellation near 0: ``2 t / (1 - t)`` with
    ``t = tanh(a / 2)`` in ``(-1, 0.47]``, so ``1 - t`` is at least 0.53. Its gradient is
    ``(1 + t) / (1 - t) = exp(a)``."""
    t = _C.tanh(a * 0.5)
    return (t * 2.0) / (1.0 - t)


def _expm1(x: Tensor) -> Tensor:
    """``exp(x) - 1`` for any ``x``: :func:`_expm1_small` up to 1, ``exp(x) - 1`` above (no
    cancellation there). Each branch only sees inputs in its own range, so neither produces
    an infinity the other branch's gradient would multiply by 0."""
    small = x <= 1.0
    big = _C.exp(_C.where(small, 1.0, x)) - 1.0
    return _C.where(small, _expm1_small(_C.where(small, x, 0.0)), big)


def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """``scale * x`` where ``x > 0``, else ``scale * alpha * expm1(x * input_scale)``; the
    negative branch includes 0 (PyTorch's gradient there is ``scale * alpha * input_scale``)."""
    neg = x <= 0
    xn = _C.where(neg, x, 0.0) * input_scale
    em1 = _expm1_small(xn) if input_scale > 0 else _expm1(xn)
    pos = x if scale == 1.0 else x * scale
    return _C.where(neg, em1 * (scale * alpha), pos)


def _selu(x: Tensor) -> Tensor:
    """SELU of ``x``: :func:`_elu` with SELU's ``alpha`` and ``scale``."""
    return _elu(x, _SELU_ALPHA, _SELU_SCALE, 1.0)


def _hardsigmoid(x: Tensor) -> Tensor:
    """Hardsigmoid of ``x`` (out of place); see :func:`hardsigmoid`."""
    return _C.where(x <= -3.0, 0.0, _C.where(x >= 3.0, 1.0, (x + 3.0) / 6.0))


def _hardswish(x: Tensor) -> Tensor:
    """Hardswish of ``x`` (out of place); see :func:`hardswish`."""
    lo = x <= -3.0
    hi = (x >= 3.0) | (x != x)  # NaN passes through with gradient 1, as in PyTorch
    # The middle piece sees 0 outside (-3, 3), so its unused gradient is never 0 * inf.
    xm = _C.where(lo | hi, _C._full([], 0, x.dtype), x)
    return _C.where(lo, x * 0.0, _C.where(hi, x, xm * (xm + 3.0) / 6.0))


def _mish(x: Tensor) -> Tensor:
    """Mish of ``x`` (out of place); see :func:`mish`."""
    return x * _C.tanh(softplus(x))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit, elementwise.

    ``ELU(x) = x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` for ``x <= 0``; ``exp(x) - 1`` is
    computed without cancellation near 0 and the positive side never evaluates ``exp``.

    Args:
        input: any shape, float32 or float64.
        alpha: the negative saturation value is ``-alpha``. Default 1.0.
        inplace: write the result into ``input`` and return it (a view's base
            sees the write, as for ``relu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        TypeError: a non-floating ``input``.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Clevert et al., "Fast and Accurate Deep Network Learning by Exponential Linear Units
        (ELUs)", ICLR 2016.
    Example:
        >>> F.elu(ember.tensor([-1.0, 0.0, 2.0]))
        tensor([-0.6321,  0.0000,  2.0000])
    """
    _check_floating(input, "elu")
    alpha = float(alpha)

    return _maybe_inplace(
        input, "elu", inplace, partial(_elu, alpha=alpha, scale=1.0, input_scale=1.0)
    )


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled exponential linear unit, elementwise.

    ``SELU(x) = scale * (x if x > 0 else alpha * (exp(x) - 1))`` with
    ``alpha = 1.6732632423543772848170429916717`` and
    ``scale = 1.0507009873554804934193349852946``.

    Args:
        input: any shape, float32 or float64.
        inplace: write the result into ``input`` and return it (a view's base
            sees the write, as for ``relu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        TypeError: a non-floating ``input``.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017.
    Example:
        >>> F.selu(ember.tensor([-1.0, 0.0, 2.0]))
        tensor([-1.1113,  0.0000,  2.1014])
    """
    _check_floating(input, "selu")

    return _maybe_inplace(input, "selu", inplace, _selu)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Continuously differentiable exponential linear unit, elementwise.

    ``CELU(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        input: any shape, float32 or float64.
        alpha: nonzero; the negative saturation value is ``-alpha``. Default 1.0.
        inplace: write the result into ``input`` and return it (a view's base
            sees the write, as for ``relu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        TypeError: a non-floating ``input``.
        ValueError: ``alpha == 0``.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Barron, "Continuously Differentiable Exponential Linear Units", 2017.
    Example:
        >>> F.celu(ember.tensor([-1.0, 0.0, 2.0]), alpha=2.0)
        tensor([-0.7869,  0.0000,  2.0000])
    """
    _check_floating(input, "celu")
    alpha = float(alpha)
    if alpha == 0.0:
        raise ValueError("celu: alpha must be nonzero (the input is divided by it), got 0.0")

    return _maybe_inplace(
        input, "celu", inplace, partial(_elu, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)
    )


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Smooth approximation of ReLU, elementwise.

    ``Softplus(x) = log(1 + exp(beta * x)) / beta``, and ``x`` itself where
    ``beta * x > threshold`` (where the two differ by less than ``exp(-threshold)``). The
    logarithm branch is ``log1p(exp(.))`` of an argument capped at ``threshold``, so it never
    overflows; at ``beta * x == threshold`` exactly it is the logarithm branch, as PyTorch.

    Args:
        input: any shape, float32 or float64.
        beta: sharpness. Default 1.0.
        threshold: above it (in units of ``beta * x``) the result is linear. Default 20.0.
    Returns:
        Tensor of ``input``'s shape and dtype; the gradient is ``sigmoid(beta * x)`` below
        the threshold and 1 above it.
    Raises:
        TypeError: a non-floating ``input``.
    Reference:
        Dugas et al., "Incorporating Second-Order Functional Knowledge for Better Option
        Pricing", NeurIPS 2000.
    Example:
        >>> F.softplus(ember.tensor([-50.0, 0.0, 50.0]))
        tensor([1.9287e-22, 6.9315e-01, 5.0000e+01])
    """
    _check_floating(input, "softplus")
    beta, threshold = float(beta), float(threshold)
    bx = input * beta if beta != 1.0 else input
    linear = bx > threshold
    soft = _C.log1p(_C.exp(_C.where(linear, 0.0, bx)))
    if beta != 1.0:
        soft = soft / beta
    return _C.where(linear, input, soft)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``, elementwise.

    Args:
        input: any shape, float32 or float64.
    Returns:
        Tensor of ``input``'s shape and dtype, values in (-1, 1).
    Raises:
        TypeError: a non-floating ``input``.
    Reference:
        Turian et al., "Quadratic Features and Deep Architectures for Chunking", NAACL 2009.
    Example:
        >>> F.softsign(ember.tensor([-3.0, 0.0, 1.0]))
        tensor([-0.7500,  0.0000,  0.5000])
    """
    _check_floating(input, "softsign")
    return input / (_C.abs(input) + 1.0)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """Clamps to ``[min_val, max_val]``, elementwise.

    ``min_val`` below ``min_val``, ``max_val`` above ``max_val``, ``x`` between. The gradient
    is 1 strictly between the bounds and 0 at and outside them, as PyTorch. Integer inputs are
    clamped (bounds truncated to integers) and keep their dtype. A NaN bound makes every value
    NaN, as in PyTorch.

    Args:
        input: any shape; float32, float64 or an integer dtype.
        min_val: lower bound. Default -1.0.
        max_val: upper bound, ``>= min_val``. Default 1.0.
        inplace: write the result into ``input`` and return it (a view's base
            sees the write, as for ``relu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        ValueError: ``min_val > max_val``.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Example:
        >>> F.hardtanh(ember.tensor([-2.0, 0.5, 3.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    return _hardtanh(input, min_val, max_val, inplace, "hardtanh")


def _hardtanh(input: Tensor, lo: float, hi: float, inplace: bool, op: str) -> Tensor:
    if lo > hi:
        raise ValueError(f"{op}: min_val ({lo}) must not be greater than max_val ({hi})")
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected input to be a Tensor, got {type(input).__name__}")
    if not input.is_floating_point():
        if input.dtype == _C.dtype.bool:
            raise TypeError(f"{op}: expected a floating or integer input, got bool")
        lo_i, hi_i = int(lo), int(hi)
        if inplace:
            input.clamp_(lo_i, hi_i)
            return input
        return input.clamp(lo_i, hi_i)
    if lo != lo or hi != hi:
        # A NaN bound makes every value NaN, as in PyTorch (the comparisons below would be
        # false and leave the input as it is); NaN inputs keep their own NaN.
        keep = input != input
        if inplace and _writable(input, op):
            input.masked_fill_(~keep, float("nan"))
            return input
        return _C.where(keep, input, float("nan"))
    if inplace and _writable(input, op):
        # Differentiable in place: filled elements get a zero gradient, the others pass it.
        input.masked_fill_(input <= lo, lo)
        input.masked_fill_(input >= hi, hi)
        return input
    return _C._hardtanh(input, float(lo), float(hi))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``, elementwise: :func:`hardtanh` with bounds 0 and 6.

    Args:
        input: any shape; float32, float64 or an integer dtype.
        inplace: write the result into ``input`` and return it (a view's base
            sees the write, as for ``relu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype; gradient 1 on (0, 6), else 0.
    Raises:
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Krizhevsky, "Convolutional Deep Belief Networks on CIFAR-10", 2010.
    Example:
        >>> F.relu6(ember.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """
    return _hardtanh(input, 0.0, 6.0, inplace, "relu6")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Piecewise-linear sigmoid, elementwise.

    ``0`` for ``x <= -3``, ``1`` for ``x >= 3``, ``(x + 3) / 6`` between; gradient ``1/6``
    strictly between -3 and 3, else 0.

    Args:
        input: any shape, float32 or float64.
        inplace: write the result into ``input`` and return it (a view's base
            sees the write, as for ``relu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype, values in [0, 1].
    Raises:
        TypeError: a non-floating ``input``.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Howard et al., "Searching for MobileNetV3", ICCV 2019.
    Example:
        >>> F.hardsigmoid(ember.tensor([-4.0, 0.0, 1.5]))
        tensor([0.0000, 0.5000, 0.7500])
    """
    _check_floating(input, "hardsigmoid")

    return _maybe_inplace(input, "hardsigmoid", inplace, _hardsigmoid)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * hardsigmoid(x)``, elementwise.

    ``0`` for ``x <= -3``, ``x`` for ``x >= 3``, ``x * (x + 3) / 6`` between; the gradient is
    0, 1 and ``x / 3 + 1/2`` on those pieces (0 at -3 and 1 at 3, as PyTorch).

    Args:
        input: any shape, float32 or float64.
        inplace: write the result into ``input`` and return it (a view's base
            sees the write, as for ``relu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        TypeError: a non-floating ``input``.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Howard et al., "Searching for MobileNetV3", ICCV 2019.
    Example:
        >>> F.hardswish(ember.tensor([-4.0, 1.0, 4.0]))
        tensor([-0.0000, 0.6667, 4.0000])
    """
    _check_floating(input, "hardswish")

    return _maybe_inplace(input, "hardswish", inplace, _hardswish)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``, elementwise.

    ``softplus`` is :func:`softplus` with its defaults (linear above 20, where
    ``tanh(softplus(x))`` is 1 to double precision), so large inputs stay finite.

    Args:
        input: any shape, float32 or float64.
        inplace: write the result into ``input`` and return it (a view's base
            sees the write, as for ``relu``). Default False.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        TypeError: a non-floating ``input``.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Misra, "Mish: A Self Regularized Non-Monotonic Neural Activation Function", 2019.
    Example:
        >>> F.mish(ember.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.3034,  0.0000,  0.8651])
    """
    _check_floating(input, "mish")

    return _maybe_inplace(input, "mish", inplace, _mish)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, elementwise, stable for any ``x``.

    Computed as ``min(x, 0) - log1p(exp(-|x|))``: the exponent is never positive, so nothing
    overflows, and ``x -> -inf`` gives ``x`` while ``x -> +inf`` gives ``-exp(-x)``, not 0. The
    gradient is ``1 - sigmoid(x)`` (0.5 at 0).

    Args:
        input: any shape, float32 or float64.
    Returns:
        Tensor of ``input``'s shape and dtype, values <= 0.
    Raises:
        TypeError: a non-floating ``input``.
    Example:
        >>> F.logsigmoid(ember.tensor([-50.0, 0.0, 50.0]))
        tensor([-5.0000e+01, -6.9315e-01, -1.9287e-22])
    """
    _check_floating(input, "logsigmoid")
    neg = input < 0
    # -|x| written with where, so that its slope at 0 is -1 (abs has slope 0 there).
    return _C.where(neg, input, 0.0) - _C.log1p(_C.exp(_C.where(neg, input, -input)))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)``, where ``a`` and ``b`` are the first and second
    halves of ``input`` along ``dim``.

    Args:
        input: shape ``(*, 2 * M, *)`` (``dim`` has an even size), float32 or float64.
        dim: the halved dim. Default -1.
    Returns:
        Tensor of shape ``(*, M, *)``, ``input``'s dtype.
    Raises:
        TypeError: a non-floating ``input``.
        ValueError: a 0-d ``input`` or an odd size along ``dim``.
        IndexError: ``dim`` out of range.
    Reference:
        Dauphin et al., "Language Modeling with Gated Convolutional Networks", ICML 2017.
    Example:
        >>> F.glu(ember.tensor([[1.0, 2.0, 0.0, 100.0]]))
        tensor([[0.5000, 2.0000]])
    """
    _check_floating(input, "glu")
    nd = input.dim()
    if nd == 0:
        raise ValueError("glu: expected an input with at least 1 dim, got a 0-d tensor")
    if not -nd <= dim < nd:
        raise IndexError(
            f"glu: dim {dim} is out of range for a tensor with {nd} dims "
            f"(expected {-nd} <= dim < {nd})"
        )
    d = dim % nd
    size = input.shape[d]
    if size % 2:
        raise ValueError(
            f"glu: input.shape[{d}] ({size}) must be even to be halved; "
            f"input shape {tuple(input.shape)}"
        )
    a, b = input.split(size // 2, d)
    return a * _C.sigmoid(b)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Parametric ReLU: ``x`` where ``x > 0``, else ``weight * x``, per channel.

    The channel dim is dim 1 (inputs with fewer than 2 dims have one channel). The gradient at
    ``x == 0`` is ``weight``, as PyTorch.

    Args:
        input: shape ``(N, C, *)``, or any shape with fewer than 2 dims (one channel);
            float32 or float64.
        weight: the learned slopes: 0-d or shape ``(1,)`` (shared), or ``(C,)``; ``input``'s
            dtype.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        TypeError: non-floating tensors, or ``weight`` of another dtype.
        ValueError: ``weight`` with more than 1 dim, or neither 1 nor C elements.
    Reference:
        He et al., "Delving Deep into Rectifiers", ICCV 2015.
    Example:
        >>> F.prelu(ember.tensor([[-2.0, 3.0]]), ember.tensor([0.25]))
        tensor([[-0.5000,  3.0000]])
    """
    _check_floating(input, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu: expected weight to be a Tensor, got {type(weight).__name__}")
    if weight.dtype != input.dtype:
        raise TypeError(
            f"prelu: weight dtype {_dtype_name(weight)} must equal input dtype {_dtype_name(input)}"
        )
    if weight.dim() > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-d, got shape {tuple(weight.shape)}")
    n = weight.numel()
    channels = input.shape[1] if input.dim() >= 2 else 1
    if n == 1:
        w = weight.reshape([])
    elif n == channels:
        w = weight.reshape([n] + [1] * (input.dim() - 2))
    else:
        raise ValueError(
            f"prelu: weight has {n} elements but input shape {tuple(input.shape)} has "
            f"{channels} channel(s) (input.shape[1]); expected 1 or {channels}"
        )
    return _C.where(input > 0, input, input * w)
