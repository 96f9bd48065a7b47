"""PyTorch tensor functions written with ember's own ops, so autograd and ember.jit follow the
composition: NaN/inf tests, reordering (flip, roll, movedim, sort, topk), repetition
(repeat, tile), triangles and diagonals, and a few products. Each is both ``ember.<name>`` and
a ``Tensor`` method, with PyTorch's arguments and results.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _C
from ._C import Tensor

__all__ = [
    "addmm", "allclose", "argsort", "clip", "flip", "isfinite", "isinf", "isnan",
    "lerp", "masked_select", "movedim", "nan_to_num", "norm", "outer", "repeat", "roll", "sort",
    "tile", "topk", "trace", "tril", "triu", "unflatten",
]

_INF = float("inf")

# (values, indices) results, named as PyTorch's.
_sort_result = namedtuple("sort", ("values", "indices"), module="ember.return_types")
_topk_result = namedtuple("topk", ("values", "indices"), module="ember.return_types")


def _dim(dim: int, ndim: int, op: str) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims "
                         f"(expected -{max(ndim, 1)} <= dim < {max(ndim, 1)})")
    return dim % max(ndim, 1)


def _dims(dims: Any, ndim: int, op: str) -> list[int]:
    dims = [dims] if isinstance(dims, int) else list(dims)
    out = [_dim(d, ndim, op) for d in dims]
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dims {tuple(dims)} name a dim more than once")
    return out


def _zero(x: Tensor) -> Tensor:
    return _C._full([], 0, x.dtype)


# ---- NaN and infinity -------------------------------------------------------------------------


def isnan(input: Tensor) -> Tensor:
    """Bool tensor, True where ``input`` is NaN (never for integer or bool tensors)."""
    return input != input


def isinf(input: Tensor) -> Tensor:
    """Bool tensor, True where ``input`` is +inf or -inf."""
    if not input.is_floating_point():
        return _C._zeros(list(input.shape), _C.dtype.bool)
    return input.abs() == _INF


def isfinite(input: Tensor) -> Tensor:
    """Bool tensor, True where ``input`` is neither NaN nor infinite."""
    if not input.is_floating_point():
        return _C._ones(list(input.shape), _C.dtype.bool)
    return input.abs() < _INF


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """``input`` with NaN replaced by ``nan`` and +-inf by ``posinf``/``neginf`` (default: the
    dtype's largest/lowest finite value). Integer tensors are copied as they are."""
    if not input.is_floating_point():
        return input.clone()
    info = np.finfo(np.float32 if input.dtype == _C.dtype.float32 else np.float64)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    out = _C.where(isnan(input), nan, input)
    out = _C.where(input == _INF, posinf, out)
    return _C.where(input == -_INF, neginf, out)


# ---- reordering -------------------------------------------------------------------------------


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    """``input`` with the order of elements reversed along ``dims`` (a copy)."""
    dims = _dims(dims, input.dim(), "flip")
    if input.dim() == 0:
        return input.clone()
    out = input
    for d in dims:
        n = input.shape[d]
        out = out.index_select(d, _C._arange(n - 1, -1, -1, _C.dtype.int64))
    return out


def roll(input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
    """Elements shifted by ``shifts`` along ``dims``, wrapping around (over the flattened tensor
    when ``dims`` is None)."""
    if dims is None:
        if not isinstance(shifts, int):
            raise ValueError("roll: with dims=None, shifts must be one int")
        return roll(input.flatten(), shifts, 0).reshape(*input.shape)
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    dims = _dims(dims, input.dim(), "roll")
    if len(shifts) != len(dims):
        raise ValueError(f"roll: shifts {tuple(shifts)} and dims {tuple(dims)} must have the "
                         "same length")
    out = input
    for s, d in zip(shifts, dims):
        n = input.shape[d]
        if n == 0 or s % n == 0:
            continue
        s %= n
        out = _C.cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d)
    return out


def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """A view with the dims ``source`` moved to positions ``destination``, the others kept in
    order."""
    nd = input.dim()
    src = _dims(source, nd, "movedim")
    dst = _dims(destination, nd, "movedim")
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must have the "
                         "same length")
    if nd == 0:
        return input
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    return input.permute(*[o if o is not None else next(rest) for o in order])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """``input`` with dim ``dim`` split into ``sizes`` (one may be -1)."""
    d = _dim(dim, input.dim(), "unflatten")
    shape = list(input.shape)
    return input.reshape(*shape[:d], *sizes, *shape[d + 1:])


def _sort_indices(input: Tensor, dim: int, descending: bool, stable: bool) -> Tensor:
    arr = input.detach().numpy()
    if not descending:
        idx = np.argsort(arr, axis=dim, kind="stable" if stable else "quicksort")
    else:
        # Descending and stable without negating (which wraps unsigned and minimum integers):
        # a stable ascending sort of the reversed data, read backwards. NaN comes first, as in
        # PyTorch.
        n = arr.shape[dim]
        rev = np.flip(arr, axis=dim)
        idx = n - 1 - np.flip(np.argsort(rev, axis=dim, kind="stable"), axis=dim)
    return _C.from_numpy(np.ascontiguousarray(idx.astype(np.int64)))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """``(values, indices)`` of ``input`` sorted along ``dim``; values carry the gradient (to the
    positions they came from). NaN sorts as the largest value. The order is computed by numpy,
    so ember.jit cannot trace it (it raises, naming the read)."""
    d = _dim(dim, input.dim(), "sort")
    if input.dim() == 0:
        return _sort_result(input.clone(), _C._zeros([], _C.dtype.int64))
    idx = _sort_indices(input, d, descending, stable)
    return _sort_result(input.gather(d, idx), idx)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (see :func:`sort`)."""
    d = _dim(dim, input.dim(), "argsort")
    if input.dim() == 0:
        return _C._zeros([], _C.dtype.int64)
    return _sort_indices(input, d, descending, stable)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, largest
    first (smallest first with ``largest=False``). Not traceable by ember.jit, as :func:`sort`.

    Raises:
        ValueError: ``k`` outside ``[0, size of dim]``.
    """
    d = _dim(dim, input.dim(), "topk")
    n = input.shape[d] if input.dim() else 1
    if not 0 <= k <= n:
        raise ValueError(f"topk: k ({k}) must be between 0 and the size of dim {dim} ({n})")
    if input.dim() == 0:
        return _topk_result(input.clone(), _C._zeros([], _C.dtype.int64))
    if _C._jit_is_tracing():
        # numpy's order: reading the values raises inside a trace, naming the read.
        idx = _sort_indices(input, d, largest, True).narrow(d, 0, k).contiguous()
    else:
        # A partial sort per line in C++ (the first k of the stable order, NaN largest).
        idx = _C._topk_indices(input.detach(), k, d, largest)
    return _topk_result(input.gather(d, idx), idx)


# ---- repetition -------------------------------------------------------------------------------


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """``input`` repeated ``sizes[i]`` times along each dim (more sizes than dims add leading
    dims), as a new tensor."""
    if len(sizes) == 1 and not isinstance(sizes[0], int):
        sizes = tuple(sizes[0])
    if len(sizes) < input.dim():
        raise ValueError(f"repeat: got {len(sizes)} repeat counts for a tensor with "
                         f"{input.dim()} dims; expected at least {input.dim()}")
    if any(s < 0 for s in sizes):
        raise ValueError(f"repeat: repeat counts must be >= 0, got {tuple(sizes)}")
    shape = [1] * (len(sizes) - input.dim()) + list(input.shape)
    x = input.reshape(*shape)
    # (r0, s0, r1, s1, ...) from an expanded view, then merged pairwise.
    inter = [v for s in shape for v in (1, s)]
    big = [v for r, s in zip(sizes, shape) for v in (r, s)]
    out = x.reshape(*inter).expand(*big)
    return out.reshape(*[r * s for r, s in zip(sizes, shape)])


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """:func:`repeat`, with fewer ``dims`` than tensor dims padded with leading 1s."""
    dims = tuple(dims)
    return repeat(input, *((1,) * (input.dim() - len(dims)) + dims))


# ---- triangles and diagonals ------------------------------------------------------------------


def _triangle(input: Tensor, diagonal: int, lower: bool, op: str) -> Tensor:
    if input.dim() < 2:
        raise ValueError(f"{op}: expected a tensor with at least 2 dims, got shape "
                         f"{tuple(input.shape)}")
    r, c = input.shape[-2], input.shape[-1]
    rows = _C._arange(0, r, 1, _C.dtype.int64).reshape(r, 1)
    cols = _C._arange(0, c, 1, _C.dtype.int64).reshape(1, c)
    keep = (cols - rows <= diagonal) if lower else (cols - rows >= diagonal)
    return _C.where(keep, input, _zero(input))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements with col - row <= ``diagonal``); the
    rest zero."""
    return _triangle(input, diagonal, True, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (elements with col - row >= ``diagonal``); the
    rest zero."""
    return _triangle(input, diagonal, False, "triu")


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix."""
    if input.dim() != 2:
        raise ValueError(f"trace: expected a matrix (2-D tensor), got shape {tuple(input.shape)}")
    return _C.diagonal(input).sum()


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """1-D tensor of the elements of ``input`` where ``mask`` (bool, broadcast with it) is True."""
    if mask.dtype != _C.dtype.bool:
        raise TypeError(f"masked_select: mask must be a bool tensor, got {mask.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    return input.expand(*shape)[mask.expand(*shape)]


# ---- products and interpolation ---------------------------------------------------------------


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``."""
    if input.dim() != 1 or vec2.dim() != 1:
        raise ValueError(f"outer: expected two 1-D tensors, got shapes {tuple(input.shape)} and "
                         f"{tuple(vec2.shape)}")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape (and
    is ignored when ``beta`` is 0, NaN included, as in PyTorch)."""
    prod = _C.mm(mat1, mat2)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return (input if beta == 1 else input * beta) + prod


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``, computed as PyTorch does (from ``end`` when
    ``|weight| >= 0.5``) so that ``weight = 1`` gives ``end`` exactly."""
    diff = end - input
    if isinstance(weight, Tensor):
        return _C.where(weight.abs() < 0.5, input + weight * diff, end - diff * (1 - weight))
    return input + weight * diff if abs(weight) < 0.5 else end - diff * (1 - weight)


# ---- norms and comparisons -------------------------------------------------------------------


def norm(input: Tensor, p: Any = "fro", dim: int | Sequence[int] | None = None,
         keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The ``p``-norm of ``input`` over ``dim`` (all elements when None), as ``torch.norm``:
    ``p`` is a number (2 and "fro" are the Euclidean norm), ``inf`` (largest absolute value),
    ``-inf`` (smallest) or 0 (count of nonzeros). The gradient at a zero norm is 0, as in
    PyTorch, not NaN.

    Raises:
        ValueError: an unknown ``p`` (a string other than "fro").
    """
    x = input if dtype is None else input.to(dtype)
    if not x.is_floating_point():
        raise TypeError(f"norm: expected a floating tensor, got {x.dtype}")
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm: p={p!r} is not supported; use a number, inf or 'fro'")
        p = 2.0
    p = float(p)
    dims = list(range(x.dim())) if dim is None else _dims(dim, x.dim(), "norm")
    if x.dim() == 0:
        dims = []
    a = x.abs()

    def reduce(t: Tensor, how: str) -> Tensor:
        """``t`` summed (``how="sum"``) or maxed/minned over ``dims``, keeping dims or not."""
        if not dims:
            return t
        if how == "sum":
            return t.sum(dims, keepdim=keepdim)
        out = t
        for d in sorted(dims, reverse=True):
            out = getattr(out, how)(d, keepdim=True).values
        return out if keepdim else out.reshape(*[n for i, n in enumerate(t.shape) if i not in dims])

    if p in (_INF, -_INF):
        # The largest (smallest) |x|, its gradient split evenly among ties, as PyTorch: the
        # extreme m, then m + mean of (x - m) over the tied elements, which is m exactly.
        m = reduce(a.detach(), "max" if p > 0 else "min")
        mk = m if keepdim or not dims else _keep(m, dims, x.dim())
        tie = a == mk
        count = reduce(tie.to(x.dtype), "sum")
        spread = reduce(_C.where(tie, a - mk, _C._full([], 0, a.dtype)), "sum") / count
        return _C.where(m.abs() == _INF, m, m + spread)
    if p == 0:
        # The count of nonzeros, kept in the graph (a zero gradient, as PyTorch) through a
        # where() that selects no element: 0 * inf would make NaN.
        nowhere = _C._full(list(a.shape), False, _C.dtype.bool)
        return reduce((a != 0).to(x.dtype) + _C.where(nowhere, a, _zero(a)), "sum")
    if p == 1:
        return reduce(a, "sum")
    if p == 2:
        s = reduce(a * a, "sum")
        # (sqrt has an infinite slope at 0: the safe base keeps the gradient there 0.)
        zero = s == 0
        return _C.where(zero, s, _C.where(zero, _C._full([], 1, s.dtype), s).sqrt())
    # |x| ** p on a safe base: 0 ** p has an infinite slope for p < 1, and is inf for p < 0,
    # where a slice holding a zero has norm 0 (gradient 0, as PyTorch).
    a0 = a == 0
    safe = _C.where(a0, _C._full([], 1, a.dtype), a)
    if p < 0:
        has_zero = reduce(a0.to(x.dtype), "sum") > 0
        root = reduce(safe ** p, "sum") ** (1.0 / p)
        return _C.where(has_zero, _C._full([], 0, root.dtype), root)
    s = reduce(_C.where(a0, a, safe ** p), "sum")
    zero = s == 0
    return _C.where(zero, s, _C.where(zero, _C._full([], 1, s.dtype), s) ** (1.0 / p))


def _keep(t: Tensor, dims: list[int], ndim: int) -> Tensor:
    """``t`` reduced over ``dims`` without keepdim, reshaped as if with keepdim."""
    shape = list(t.shape)
    for d in sorted(dims):
        shape.insert(d, 1)
    return t.reshape(*shape) if shape else t


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether ``|input - other| <= atol + rtol * |other|`` everywhere (broadcasting), as
    ``torch.allclose``; NaNs count as equal only with ``equal_nan``, infinities only as equal
    infinities."""
    a, b = input.detach(), other.detach()
    finite = isfinite(a) & isfinite(b)
    # Infinities are close only to the same infinity (|inf - x| <= inf would say yes).
    close = _C.where(finite, (a - b).abs() <= atol + rtol * b.abs(), a == b)
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    return bool(close.all().item())


def clip(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Alias of ``clamp``."""
    return _C.clamp(input, min, max)


def _relu_(self: Tensor) -> Tensor:
    """In-place ReLU (``F.relu(self, inplace=True)``)."""
    from .nn.functional import relu

    return relu(self, inplace=True)


def _install() -> None:
    """Makes every function here a Tensor method too (``x.flip(0)``, ``x.sort()``)."""
    for name in __all__:
        setattr(_C.Tensor, name, globals()[name])
    _C.Tensor.relu_ = _relu_
