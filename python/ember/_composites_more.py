"""More PyTorch tensor functions written with ember's own ops (autograd and ember.jit follow the
composition): broadcasting and shape helpers, products (einsum, tensordot, kron, ...),
reductions (amax, median, quantile, cumprod, ...), elementwise composites (logaddexp, xlogy,
isclose, ...), indexing and search (unique, searchsorted, scatter, ...) and a few random
factories. Each is ``ember.<name>`` and, where PyTorch has one, a ``Tensor`` method.

Results that are indices, counts or other non-differentiable data (unique, bincount,
searchsorted, the indices of median/cummax, ...) are computed by numpy from the tensor's values,
like :func:`ember.sort`; ember.jit cannot trace those (it raises, naming the read).
"""

from __future__ import annotations

import math
import numbers
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _C
from ._C import Tensor, ceil, floor
from ._C import round as _round
from ._C import diagonal
from ._composites import _dim, _dims, isfinite, isnan, lerp, movedim, sort

__all__ = [
    "addbmm", "addmv", "amax", "amin", "argwhere", "atleast_1d", "atleast_2d", "atleast_3d",
    "baddbmm", "bincount", "broadcast_shapes", "broadcast_tensors", "broadcast_to", "bucketize",
    "cartesian_prod", "cdist", "clamp_max", "clamp_min", "combinations", "count_nonzero", "cross",
    "cummax", "cummin", "cumprod", "deg2rad", "diag", "diag_embed", "diagflat", "dot", "einsum",
    "equal", "float_power", "fmax", "fmin", "heaviside", "histc", "inner", "isclose", "isneginf",
    "isposinf", "isreal", "kron", "logaddexp", "logaddexp2", "logcumsumexp", "logspace", "median",
    "meshgrid", "mode", "moveaxis", "multinomial", "mv", "nanmean", "nanmedian", "nanquantile",
    "nansum", "normal", "positive", "quantile", "rad2deg", "randint_like", "ravel",
    "repeat_interleave", "scatter", "searchsorted", "sgn", "signbit", "std_mean", "swapdims",
    "take", "take_along_dim", "tensordot", "tril_indices", "triu_indices", "true_divide", "unique",
    "unique_consecutive", "var_mean", "vdot", "xlogy",
]

# Functions PyTorch has only as ``torch.<name>``, not as Tensor methods.
_FUNCTION_ONLY = frozenset({
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
    "meshgrid", "einsum", "tensordot", "std_mean", "var_mean", "bucketize", "cartesian_prod",
    "cdist", "combinations", "searchsorted", "tril_indices", "triu_indices", "logspace",
    "normal", "randint_like",
})

_INF = float("inf")
_DT = _C.dtype
_FLOATS = (_DT.float32, _DT.float64)
_RANK = {_DT.bool: 0, _DT.uint8: 1, _DT.int32: 2, _DT.int64: 3, _DT.float32: 4, _DT.float64: 5}

# (values, indices) results, named as PyTorch's.
_cummax_result = namedtuple("cummax", ("values", "indices"), module="ember.return_types")
_cummin_result = namedtuple("cummin", ("values", "indices"), module="ember.return_types")
_median_result = namedtuple("median", ("values", "indices"), module="ember.return_types")
_nanmedian_result = namedtuple("nanmedian", ("values", "indices"), module="ember.return_types")
_mode_result = namedtuple("mode", ("values", "indices"), module="ember.return_types")


# ---- helpers ----------------------------------------------------------------------------------


def _shp(t: Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def _kind(dt: Any) -> int:
    """0 for bool, 1 for integers, 2 for floating dtypes (PyTorch's promotion categories)."""
    return 0 if dt == _DT.bool else (2 if dt in _FLOATS else 1)


def _join(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return a if _RANK[a] >= _RANK[b] else b


def _result_type(*args: Any) -> Any:
    """PyTorch's result dtype for tensors and Python numbers: dimensioned tensors decide; 0-d
    tensors, then Python numbers, count only when of a higher category (bool < int < float;
    a Python float is float32, a Python int int64)."""
    dims = zero = wrapped = None
    for a in args:
        if isinstance(a, Tensor):
            if a.dim() > 0:
                dims = _join(dims, a.dtype)
            else:
                zero = _join(zero, a.dtype)
        elif isinstance(a, (bool, np.bool_)):
            wrapped = _join(wrapped, _DT.bool)
        elif isinstance(a, numbers.Integral):
            wrapped = _join(wrapped, _DT.int64)
        elif isinstance(a, numbers.Real):
            wrapped = _join(wrapped, _DT.float32)
        else:
            raise TypeError(f"expected a Tensor or a real number, got {type(a).__name__}")
    out = dims
    for other in (zero, wrapped):
        if other is not None and (out is None or _kind(other) > _kind(out)):
            out = other
    return out


def _as_tensor(x: Any, dtype: Any) -> Tensor:
    """``x`` (a Tensor or a Python number) as a tensor of ``dtype`` (numbers become 0-d)."""
    if isinstance(x, Tensor):
        return x if x.dtype == dtype else x.to(dtype)
    return _C._full([], x, dtype)


def _check_tensor(x: Any, op: str, name: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")


def _check_float(x: Tensor, op: str, name: str = "input") -> None:
    if x.dtype not in _FLOATS:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {x.dtype.name}")


def _same_dtype(a: Tensor, b: Tensor, op: str, na: str = "input", nb: str = "other") -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: {na} and {nb} must have the same dtype, got {a.dtype.name} and "
                        f"{b.dtype.name}")


def _bshape(shapes: Sequence[Sequence[int]], op: str) -> tuple[int, ...]:
    """The broadcast of ``shapes`` (numpy's rules), or a ValueError naming ``op``."""
    nd = max((len(s) for s in shapes), default=0)
    out = [1] * nd
    for s in shapes:
        for i, n in enumerate(s):
            j = nd - len(s) + i
            if out[j] == 1:
                out[j] = n
            elif n != 1 and n != out[j]:
                raise ValueError(f"{op}: shapes {', '.join(str(tuple(x)) for x in shapes)} do not "
                                 f"broadcast (dim {j - nd} has sizes {out[j]} and {n})")
    return tuple(out)


def _index_error(op: str, err: Exception) -> Exception:
    """``err`` (raised by the op this function calls) restated, same type, under ``op``'s
    name."""
    msg = str(err)
    return type(err)(f"{op}: {msg.split(': ', 1)[1] if ': ' in msg else msg}")


def _prod(xs: Sequence[int]) -> int:
    out = 1
    for x in xs:
        out *= x
    return out


def _from_np(arr: np.ndarray, dtype: Any = None) -> Tensor:
    """A tensor owning a copy of ``arr`` (0-d arrays stay 0-d)."""
    arr = np.asarray(arr) if dtype is None else np.asarray(arr).astype(dtype)
    return _C.from_numpy(np.array(arr, copy=True, order="C"))


def _np(x: Tensor) -> np.ndarray:
    return x.detach().numpy()


def _idx(x: Any) -> Tensor:
    """An int64 index tensor from a numpy array or list."""
    return _from_np(np.asarray(x, dtype=np.int64))


def _arange(n: int, start: int = 0) -> Tensor:
    return _C._arange(start, start + n, 1, _DT.int64)


def _reduce_dims(dim: Any, ndim: int, op: str) -> list[int]:
    """``dim`` (None, an int or a sequence; None and ``()`` mean all) as sorted positive dims."""
    if dim is None or (not isinstance(dim, int) and len(dim) == 0):
        return list(range(ndim))
    return sorted(_dims(dim, ndim, op))


def _squeeze_dims(t: Tensor, dims: list[int]) -> Tensor:
    """``t`` (with keepdim-shaped reduced ``dims``) without those dims."""
    if not dims:
        return t
    return t.reshape(*[n for i, n in enumerate(t.shape) if i not in dims])


def _sum(t: Tensor, dims: list[int], keepdim: bool) -> Tensor:
    """Sum over ``dims``; an empty list sums nothing (ember's ``sum(())`` sums everything)."""
    return t.sum(tuple(dims), keepdim=keepdim) if dims else t


def _evenly(input: Tensor, picked: Tensor, dims: list[int]) -> Tensor:
    """``picked`` (the extreme or median of ``input`` over ``dims``, keepdim-shaped), with the
    gradient split evenly among the elements equal to it, as PyTorch's backward of max(),
    median() and amax() (NaN results: among the NaN elements)."""
    m = picked.detach()
    zero = _C._full([], 0, input.dtype)
    tie = _C.where(isnan(m), isnan(input), input == m)
    count = _sum(tie.to(input.dtype), dims, True)
    # m + mean(input - m) over the ties: the value m exactly, the gradient 1/count to each tie.
    # An infinite m uses base 0 instead (inf - inf is NaN): the mean of equal infinities is m.
    base = _C.where(m.abs() == _INF, zero, m)
    return base + _sum(_C.where(tie, input - base, zero), dims, True) / count


# The most elements one partial product of a traced integer matmul holds (8 MiB of int64).
_INT_MM_BLOCK = 1 << 20


def _int_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Exact ``a @ b`` for integer or bool operands of one dtype, ``(*, n, k) @ (*, k, m)`` with
    equal batch dims ``*`` (integers have no gradient). numpy's matmul, or within an ember.jit
    trace (which cannot read values) sums of products over blocks of ``k``, each partial
    product at most ``_INT_MM_BLOCK`` elements."""
    if not _C._jit_is_tracing():
        x, y = _np(a), _np(b)
        return _from_np(np.matmul(x, y).astype(x.dtype, copy=False))
    k = a.shape[-1]
    out_shape = [*a.shape[:-1], b.shape[-1]]
    step = max(1, _INT_MM_BLOCK // max(_prod(out_shape), 1))
    out = None
    for k0 in range(0, k, step):
        w = min(step, k - k0)
        part = (a.narrow(-1, k0, w).unsqueeze(-1) * b.narrow(-2, k0, w).unsqueeze(-3)).sum(-2)
        out = part if out is None else out + part
    return _C._zeros(out_shape, a.dtype) if out is None else out.to(a.dtype)


def _mm(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` for 2-D operands of one dtype, integer dtypes too (exact, see _int_matmul)."""
    if a.dtype in _FLOATS:
        return _C.mm(a, b)
    return _int_matmul(a, b)


def _bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched ``a @ b`` for 3-D operands of one dtype, integer dtypes too."""
    if a.dtype in _FLOATS:
        if a.shape[0] == 1:
            return _C.mm(a.select(0, 0), b.select(0, 0)).unsqueeze(0)
        return _C.bmm(a, b)
    return _int_matmul(a, b)


def _scaled_sum(input: Tensor, prod: Tensor, beta: Any, alpha: Any, op: str) -> Tensor:
    """``beta * input + alpha * prod`` as addmm: ``input`` must have ``prod``'s dtype and
    broadcast to its shape (checked even when ``beta`` is 0, which ignores its values); for
    integer dtypes ``beta`` and ``alpha`` are truncated to integers, as PyTorch."""
    _check_tensor(input, op)
    if input.dtype != prod.dtype:
        raise TypeError(f"{op}: input must have the dtype of the product ({prod.dtype.name}), "
                        f"got {input.dtype.name}")
    ps, ins = _shp(prod), _shp(input)
    if len(ins) > len(ps) or any(a not in (1, b) for a, b in zip(ins[::-1], ps[::-1])):
        raise ValueError(f"{op}: input of shape {ins} does not broadcast to the result's shape "
                         f"{ps}")
    if prod.dtype not in _FLOATS:
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return (input if beta == 1 else input * beta) + prod


# ---- shape and broadcasting -------------------------------------------------------------------


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that tensors of ``shapes`` broadcast to, without making any tensor.

    Args:
        *shapes: each an int (a 1-D shape) or a sequence of non-negative ints.
    Returns:
        tuple[int, ...]: the broadcast shape (PyTorch returns a ``torch.Size``, a tuple too).
    Raises:
        ValueError: shapes that do not broadcast, or a negative size.
    Example:
        >>> ember.broadcast_shapes((2, 1), (3,))
        (2, 3)
    """
    norm = []
    for s in shapes:
        s = (s,) if isinstance(s, numbers.Integral) else tuple(int(n) for n in s)
        if any(n < 0 for n in s):
            raise ValueError(f"broadcast_shapes: sizes must be >= 0, got shape {s}")
        norm.append(s)
    return _bshape(norm, "broadcast_shapes")


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """``input`` broadcast to ``size``: a view (no copy), as :meth:`Tensor.expand`.

    Args:
        input: any shape and dtype.
        size: the target shape; -1 keeps the size of that dim; extra leading dims are added.
    Returns:
        Tensor: shape ``size``, dtype of ``input``, sharing its memory.
    Raises:
        ValueError: ``input``'s shape does not broadcast to ``size``.
    Example:
        >>> ember.broadcast_to(ember.tensor([1, 2]), (2, 2))
        tensor([[1, 2],
                [1, 2]])
    """
    size = [int(s) for s in size]
    shape = _shp(input)
    lead = len(size) - len(shape)
    ok = lead >= 0 and all(s == -1 or n == s or n == 1 for n, s in zip(shape, size[lead:]))
    ok = ok and all(s >= 0 for s in size[:lead])
    if not ok:
        raise ValueError(f"broadcast_to: cannot broadcast shape {shape} to {tuple(size)}")
    return input.expand(*size)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors broadcast to their common shape, as views.

    Args:
        *tensors: tensors of any dtypes.
    Returns:
        tuple[Tensor, ...]: one view per input, all of the broadcast shape.
    Raises:
        ValueError: shapes that do not broadcast.
    Example:
        >>> a, b = ember.broadcast_tensors(ember.ones(2, 1), ember.zeros(3))
        >>> tuple(a.shape), tuple(b.shape)
        ((2, 3), (2, 3))
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        _check_tensor(t, "broadcast_tensors", "each argument")
    shape = _bshape([_shp(t) for t in tensors], "broadcast_tensors")
    return tuple(t if _shp(t) == shape else t.expand(*shape) for t in tensors)


def meshgrid(*tensors: Tensor, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: ``out[i][j0, j1, ...] = tensors[i][j_i]``.

    With ``indexing="xy"`` the first two dims are swapped (numpy's default, Cartesian
    indexing). PyTorch warns when ``indexing`` is not given; ember uses ``"ij"`` silently.

    Args:
        *tensors: 0-d or 1-D tensors of one dtype (or one list of them).
        indexing: ``"ij"`` (default, matrix indexing) or ``"xy"``.
    Returns:
        tuple[Tensor, ...]: one broadcast view per input, of shape
        ``(len(t0), len(t1), ...)`` (``(len(t1), len(t0), ...)`` for ``"xy"``).
    Raises:
        ValueError: an input with more than one dim, no inputs, or an unknown ``indexing``.
        TypeError: inputs of different dtypes.
    Example:
        >>> x, y = ember.meshgrid(ember.tensor([1, 2]), ember.tensor([3, 4, 5]), indexing="ij")
        >>> x.tolist()
        [[1, 1, 1], [2, 2, 2]]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise ValueError("meshgrid: expected at least one tensor")
    for t in tensors:
        _check_tensor(t, "meshgrid", "each argument")
        if t.dim() > 1:
            raise ValueError(f"meshgrid: expected 0-d or 1-D tensors, got shape {_shp(t)}")
        _same_dtype(tensors[0], t, "meshgrid", "the first tensor", "another")
    n = len(tensors)
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * n
    for p, t in zip(pos, tensors):
        shape[p] = t.numel()
    out = []
    for p, t in zip(pos, tensors):
        view = [1] * n
        view[p] = -1
        out.append(t.reshape(*view).expand(*shape))
    return tuple(out)


def _atleast(tensors: tuple, op: str, fn: Any) -> Any:
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        _check_tensor(t, op, "each argument")
    return fn(tensors[0]) if single else tuple(fn(t) for t in tensors)


def atleast_1d(*tensors: Tensor) -> Any:
    """Each tensor viewed with at least one dim (a 0-d tensor becomes shape ``(1,)``).

    Args:
        *tensors: one tensor, several, or one list of them.
    Returns:
        Tensor for one tensor argument, else a tuple of tensors; views of the inputs.
    Example:
        >>> ember.atleast_1d(ember.tensor(1.0))
        tensor([1.])
    """
    return _atleast(tensors, "atleast_1d", lambda t: t.reshape(1) if t.dim() == 0 else t)


def atleast_2d(*tensors: Tensor) -> Any:
    """Each tensor viewed with at least two dims: 0-d -> ``(1, 1)``, ``(n,)`` -> ``(1, n)``.

    Args:
        *tensors: one tensor, several, or one list of them.
    Returns:
        Tensor for one tensor argument, else a tuple of tensors; views of the inputs.
    """
    def f(t: Tensor) -> Tensor:
        """``t`` viewed with at least two dims."""
        return t.reshape(1, 1) if t.dim() == 0 else (t.unsqueeze(0) if t.dim() == 1 else t)

    return _atleast(tensors, "atleast_2d", f)


def atleast_3d(*tensors: Tensor) -> Any:
    """Each tensor viewed with at least three dims: 0-d -> ``(1, 1, 1)``, ``(n,)`` ->
    ``(1, n, 1)``, ``(m, n)`` -> ``(m, n, 1)``.

    Args:
        *tensors: one tensor, several, or one list of them.
    Returns:
        Tensor for one tensor argument, else a tuple of tensors; views of the inputs.
    """
    def f(t: Tensor) -> Tensor:
        """``t`` viewed with at least three dims."""
        if t.dim() == 0:
            return t.reshape(1, 1, 1)
        if t.dim() == 1:
            return t.reshape(1, -1, 1)
        return t.unsqueeze(-1) if t.dim() == 2 else t

    return _atleast(tensors, "atleast_3d", f)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Alias of :func:`ember.transpose`: a view with dims ``dim0`` and ``dim1`` swapped.

    Args:
        input: any tensor.
        dim0, dim1: the dims to swap (negative counts from the end).
    Returns:
        Tensor: a view of ``input``.
    """
    return _C.transpose(input, dim0, dim1)


def moveaxis(input: Tensor, source: int | Sequence[int],
             destination: int | Sequence[int]) -> Tensor:
    """Alias of :func:`ember.movedim`.

    Args:
        input: any tensor.
        source: dim(s) to move.
        destination: their new positions, same count as ``source``.
    Returns:
        Tensor: a view of ``input``.
    """
    return movedim(input, source, destination)


def ravel(input: Tensor) -> Tensor:
    """``input`` flattened to 1-D (a view when the memory layout allows, else a copy).

    Args:
        input: any tensor (0-d gives shape ``(1,)``).
    Returns:
        Tensor: shape ``(input.numel(),)``, dtype of ``input``.
    """
    return input.reshape(-1)


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of ``input`` read as a 1-D tensor (row-major) at ``index``.

    Args:
        input: any shape and dtype.
        index: int64 tensor of any shape; negative values count from the end.
    Returns:
        Tensor: shape of ``index``, dtype of ``input``; differentiable with respect to ``input``.
    Raises:
        TypeError: ``index`` not int64.
        IndexError: an index outside ``[-input.numel(), input.numel())``.
    Example:
        >>> ember.take(ember.tensor([[1, 2], [3, 4]]), ember.tensor([-1, 0]))
        tensor([4, 1])
    """
    _check_tensor(index, "take", "index")
    if index.dtype != _DT.int64:
        raise TypeError(f"take: index must be int64, got {index.dtype.name}")
    try:
        return input.reshape(-1).index_select(0, index.reshape(-1)).reshape(*index.shape)
    except IndexError as e:
        raise _index_error("take", e) from None


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (numpy's ``take_along_axis``): like
    :func:`ember.gather`, with ``input`` and ``indices`` broadcast in the other dims.

    Args:
        input: any shape and dtype.
        indices: int64, same number of dims as ``input`` (any shape when ``dim`` is None).
        dim: the dim to index; None reads both tensors flattened. Default None.
    Returns:
        Tensor: 1-D of ``indices.numel()`` elements when ``dim`` is None, else the broadcast
        shape with ``indices.shape[dim]`` along ``dim``; dtype of ``input``.
    Raises:
        ValueError: different numbers of dims, or shapes that do not broadcast.
        TypeError: ``indices`` not int64.
    Example:
        >>> x = ember.tensor([[10, 30, 20], [60, 40, 50]])
        >>> ember.take_along_dim(x, ember.argsort(x, dim=1), dim=1)
        tensor([[10, 20, 30],
                [40, 50, 60]])
    """
    _check_tensor(indices, "take_along_dim", "indices")
    if indices.dtype != _DT.int64:
        raise TypeError(f"take_along_dim: indices must be int64, got {indices.dtype.name}")
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    if input.dim() != indices.dim():
        raise ValueError(f"take_along_dim: input and indices must have the same number of dims, "
                         f"got shapes {_shp(input)} and {_shp(indices)}")
    d = _dim(dim, input.dim(), "take_along_dim")
    if input.dim() == 0:
        return input.reshape(1).gather(0, indices.reshape(1)).reshape(())
    a, b = list(input.shape), list(indices.shape)
    a[d] = b[d] = 1
    shape = list(_bshape([a, b], "take_along_dim"))
    sa, sb = shape.copy(), shape.copy()
    sa[d], sb[d] = input.shape[d], indices.shape[d]
    x = input if list(input.shape) == sa else input.expand(*sa)
    i = indices if list(indices.shape) == sb else indices.expand(*sb)
    try:
        return x.gather(d, i)
    except IndexError as e:
        raise _index_error("take_along_dim", e) from None


_diagonal = diagonal  # (diag's argument is named diagonal, as PyTorch's)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A matrix with ``input`` on a diagonal (1-D input), or a matrix's diagonal (2-D input).

    ``diagonal`` > 0 is above the main diagonal, < 0 below.

    Args:
        input: 1-D of ``n`` elements, or 2-D; any dtype.
        diagonal: which diagonal. Default 0.
    Returns:
        Tensor: ``(n + |diagonal|, n + |diagonal|)`` zeros except the diagonal for 1-D input;
        the 1-D diagonal (a copy) for 2-D input. Differentiable.
    Raises:
        ValueError: ``input`` with another number of dims.
    Example:
        >>> ember.diag(ember.tensor([1, 2]), 1)
        tensor([[0, 1, 0],
                [0, 0, 2],
                [0, 0, 0]])
    """
    if input.dim() == 1:
        n, k = input.shape[0], diagonal
        m = n + abs(k)
        rows, cols = _arange(n, max(-k, 0)), _arange(n, max(k, 0))
        return _C.index_put(_C._zeros([m, m], input.dtype), (rows, cols), input)
    if input.dim() == 2:
        return _diagonal(input, diagonal).clone()  # a copy, as in PyTorch (diagonal is a view)
    raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {_shp(input)}")


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose diagonals (of dims ``dim1``, ``dim2`` of the result) are the last dim of
    ``input``; zeros elsewhere.

    Args:
        input: shape ``(*, n)``, at least 1-D, any dtype.
        offset: which diagonal (> 0 above the main one). Default 0.
        dim1, dim2: the result dims holding the matrices (of ``input.dim() + 1`` dims).
            Default -2 and -1.
    Returns:
        Tensor: ``input.dim() + 1`` dims; sizes ``n + |offset|`` at ``dim1`` and ``dim2``, the
        other dims of ``input`` in order elsewhere. Differentiable.
    Raises:
        ValueError: 0-d input, or ``dim1 == dim2``.
        IndexError: a dim out of range.
    Example:
        >>> ember.diag_embed(ember.tensor([[1, 2]])).tolist()
        [[[1, 0], [0, 2]]]
    """
    if input.dim() == 0:
        raise ValueError("diag_embed: expected a tensor with at least 1 dim, got a 0-d tensor")
    nd = input.dim() + 1
    d1, d2 = _dim(dim1, nd, "diag_embed"), _dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise ValueError(f"diag_embed: dim1 and dim2 must differ, both are {dim1}")
    n = input.shape[-1]
    m = n + abs(offset)
    x = movedim(input, -1, 0)
    z = _C._zeros([m, m, *x.shape[1:]], input.dtype)
    z = _C.index_put(z, (_arange(n, max(-offset, 0)), _arange(n, max(offset, 0))), x)
    return movedim(z, (0, 1), (d1, d2))


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A matrix with the flattened ``input`` on diagonal ``offset`` (see :func:`diag`).

    Args:
        input: any shape and dtype.
        offset: which diagonal (> 0 above the main one). Default 0.
    Returns:
        Tensor: ``(n + |offset|, n + |offset|)`` with ``n = input.numel()``.
    """
    return diag(input.reshape(-1), offset)


# ---- products ---------------------------------------------------------------------------------


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Dot product of two 1-D tensors: ``sum(input * tensor)``.

    Args:
        input: 1-D, any numeric dtype.
        tensor: 1-D, same size and dtype.
    Returns:
        Tensor: 0-d, dtype of the inputs.
    Raises:
        ValueError: not both 1-D, or sizes differ.
        TypeError: dtypes differ.
    Example:
        >>> ember.dot(ember.tensor([2, 3]), ember.tensor([2, 1]))
        tensor(7)
    """
    return _dot(input, tensor, "dot")


def _dot(a: Tensor, b: Tensor, op: str) -> Tensor:
    if a.dim() != 1 or b.dim() != 1:
        raise ValueError(f"{op}: expected two 1-D tensors, got shapes {_shp(a)} and {_shp(b)}")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{op}: sizes differ: {a.shape[0]} and {b.shape[0]}")
    _same_dtype(a, b, op, "input", "tensor" if op == "dot" else "other")
    if a.dtype in _FLOATS:
        return _C.matmul(a, b)
    return (a * b).sum().to(a.dtype)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Dot product of two 1-D tensors (``input`` would be conjugated; ember tensors are real,
    so this equals :func:`dot`).

    Args:
        input: 1-D, any numeric dtype.
        other: 1-D, same size and dtype.
    Returns:
        Tensor: 0-d, dtype of the inputs.
    Raises:
        ValueError: not both 1-D, or sizes differ.
        TypeError: dtypes differ.
    """
    return _dot(input, other, "vdot")


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product ``input @ vec``.

    Args:
        input: ``(n, m)``, any numeric dtype.
        vec: ``(m,)``, same dtype.
    Returns:
        Tensor: ``(n,)``.
    Raises:
        ValueError: wrong numbers of dims or sizes.
        TypeError: dtypes differ.
    """
    if input.dim() != 2 or vec.dim() != 1:
        raise ValueError(f"mv: expected a 2-D matrix and a 1-D vector, got shapes {_shp(input)} "
                         f"and {_shp(vec)}")
    if input.shape[1] != vec.shape[0]:
        raise ValueError(f"mv: shapes {_shp(input)} and {_shp(vec)} cannot be multiplied; "
                         f"input.shape[1] ({input.shape[1]}) must equal vec.shape[0] "
                         f"({vec.shape[0]})")
    _same_dtype(input, vec, "mv", "input", "vec")
    return _mm(input, vec.unsqueeze(1)).reshape(input.shape[0])


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``; ``input`` broadcasts to ``(n,)`` (its values
    are ignored when ``beta`` is 0).

    Args:
        input: broadcastable to ``(n,)``, dtype of ``mat``.
        mat: ``(n, m)``.
        vec: ``(m,)``, dtype of ``mat``.
        beta, alpha: scale factors (keyword-only), truncated to integers for integer
            operands, as PyTorch. Default 1.
    Returns:
        Tensor: ``(n,)``.
    Raises:
        ValueError, TypeError: as :func:`mv`; also an ``input`` that does not broadcast to
            ``(n,)`` (ValueError) or of another dtype (TypeError).
    """
    return _scaled_sum(input, mv(mat, vec), beta, alpha, "addmv")


def _check_bmm(b1: Tensor, b2: Tensor, op: str) -> None:
    if b1.dim() != 3 or b2.dim() != 3:
        raise ValueError(f"{op}: expected 3-D batch1 and batch2, got shapes {_shp(b1)} and "
                         f"{_shp(b2)}")
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        raise ValueError(f"{op}: shapes {_shp(b1)} and {_shp(b2)} cannot be multiplied; "
                         "expected (b, n, m) and (b, m, p)")
    _same_dtype(b1, b2, op, "batch1", "batch2")


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1,
            alpha: float = 1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)``, batched.

    Args:
        input: broadcastable to ``(b, n, p)``, dtype of ``batch1``; its values are ignored
            when ``beta`` is 0.
        batch1: ``(b, n, m)``.
        batch2: ``(b, m, p)``, dtype of ``batch1``.
        beta, alpha: scale factors (keyword-only), truncated to integers for integer
            operands, as PyTorch. Default 1.
    Returns:
        Tensor: ``(b, n, p)``.
    Raises:
        ValueError: operands not 3-D, sizes that do not match, or an ``input`` that does not
            broadcast. TypeError: dtypes differ.
    """
    _check_bmm(batch1, batch2, "baddbmm")
    return _scaled_sum(input, _bmm(batch1, batch2), beta, alpha, "baddbmm")


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1,
           alpha: float = 1) -> Tensor:
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])`` (one matrix product).

    Args:
        input: broadcastable to ``(n, p)``, dtype of ``batch1``; its values are ignored when
            ``beta`` is 0.
        batch1: ``(b, n, m)``.
        batch2: ``(b, m, p)``, dtype of ``batch1``.
        beta, alpha: scale factors (keyword-only), truncated to integers for integer
            operands, as PyTorch. Default 1.
    Returns:
        Tensor: ``(n, p)``.
    Raises:
        ValueError: operands not 3-D, sizes that do not match, or an ``input`` that does not
            broadcast. TypeError: dtypes differ.
    """
    _check_bmm(batch1, batch2, "addbmm")
    b, n, m = _shp(batch1)
    p = batch2.shape[2]
    prod = _mm(batch1.permute(1, 0, 2).reshape(n, b * m), batch2.reshape(b * m, p))
    return _scaled_sum(input, prod, beta, alpha, "addbmm")


def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        k = int(dims)
        if k < 0 or k > min(a.dim(), b.dim()):
            raise ValueError(f"tensordot: dims ({k}) must be between 0 and the smaller number of "
                             f"dims ({min(a.dim(), b.dim())})")
        return list(range(a.dim() - k, a.dim())), list(range(k))
    if len(dims) != 2:
        raise ValueError(f"tensordot: dims must be an int or a pair of dim lists, got {dims!r}")
    da, db = dims
    da = [da] if isinstance(da, numbers.Integral) else list(da)
    db = [db] if isinstance(db, numbers.Integral) else list(db)
    if len(da) != len(db):
        raise ValueError(f"tensordot: dims lists {da} and {db} must have the same length")
    return _dims(da, a.dim(), "tensordot"), _dims(db, b.dim(), "tensordot")


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sums the products of ``a`` and ``b`` over the given pairs of dims.

    The result's dims are ``a``'s remaining dims then ``b``'s. Computed as one matrix product.

    Args:
        a, b: tensors of one dtype.
        dims: an int ``k`` (``a``'s last ``k`` dims with ``b``'s first ``k``) or a pair of lists
            ``(dims_a, dims_b)`` of equal length. Default 2.
    Returns:
        Tensor: shape ``a``'s free dims + ``b``'s free dims.
    Raises:
        ValueError: bad ``dims`` or contracted sizes that differ. TypeError: dtypes differ.
    Example:
        >>> ember.tensordot(ember.ones(2, 3), ember.ones(3, 4), dims=1).shape
        (2, 4)
    """
    _same_dtype(a, b, "tensordot", "a", "b")
    da, db = _tensordot_dims(a, b, dims)
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: contracted dims differ in size: a.shape[{i}] = "
                             f"{a.shape[i]}, b.shape[{j}] = {b.shape[j]} (shapes {_shp(a)} and "
                             f"{_shp(b)})")
    fa = [i for i in range(a.dim()) if i not in da]
    fb = [j for j in range(b.dim()) if j not in db]
    sa, sb = [a.shape[i] for i in fa], [b.shape[j] for j in fb]
    k = _prod(a.shape[i] for i in da)
    am = a.permute(*(fa + da)).reshape(_prod(sa), k) if a.dim() else a.reshape(1, 1)
    bm = b.permute(*(db + fb)).reshape(k, _prod(sb)) if b.dim() else b.reshape(1, 1)
    return _mm(am, bm).reshape(*sa, *sb)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Inner product over the last dims: ``out[i..., j...] = sum_k input[i..., k] *
    other[j..., k]``; a 0-d operand multiplies instead.

    Args:
        input, other: tensors of one dtype; last dims of equal size unless one is 0-d.
    Returns:
        Tensor: shape ``input.shape[:-1] + other.shape[:-1]``.
    Raises:
        ValueError: last dims differ. TypeError: dtypes differ.
    """
    _same_dtype(input, other, "inner")
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise ValueError(f"inner: last dims differ: shapes {_shp(input)} and {_shp(other)}")
    return tensordot(input, other, ([input.dim() - 1], [other.dim() - 1]))


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (after broadcasting the inputs).

    With ``dim=None`` the first dim of size 3 is used (PyTorch's deprecated default; it warns,
    ember does not).

    Args:
        input, other: same dtype, broadcastable, size 3 along ``dim``.
        dim: the dim holding the vectors. Default None.
    Returns:
        Tensor: the broadcast shape; ``out = input x other``.
    Raises:
        ValueError: no dim of size 3, or ``dim``'s size is not 3. TypeError: dtypes differ.
    Example:
        >>> ember.cross(ember.tensor([1, 0, 0]), ember.tensor([0, 1, 0]), dim=0)
        tensor([0, 0, 1])
    """
    _same_dtype(input, other, "cross")
    shape = _bshape([_shp(input), _shp(other)], "cross")
    if dim is None:
        d = next((i for i, n in enumerate(shape) if n == 3), None)
        if d is None:
            raise ValueError(f"cross: no dim of size 3 in the broadcast shape {shape}")
    else:
        d = _dim(dim, len(shape), "cross")
        if len(shape) == 0 or shape[d] != 3:
            raise ValueError(f"cross: dim {dim} must have size 3, got shape {shape}")
    a = input.expand(*shape) if _shp(input) != shape else input
    b = other.expand(*shape) if _shp(other) != shape else other
    a0, a1, a2 = (a.select(d, i) for i in range(3))
    b0, b1, b2 = (b.select(d, i) for i in range(3))
    return _C.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: blocks ``input[i] * other`` (the shorter shape padded with 1s).

    Args:
        input, other: any shapes; dtypes promote as in multiplication.
    Returns:
        Tensor: shape ``(a0 * b0, a1 * b1, ...)``.
    Example:
        >>> ember.kron(ember.tensor([1, 2]), ember.tensor([1, 10]))
        tensor([ 1, 10,  2, 20])
    """
    nd = max(input.dim(), other.dim())
    sa = [1] * (nd - input.dim()) + list(input.shape)
    sb = [1] * (nd - other.dim()) + list(other.shape)
    a = input.reshape(*[v for n in sa for v in (n, 1)])
    b = other.reshape(*[v for n in sb for v in (1, n)])
    return (a * b).reshape(*[x * y for x, y in zip(sa, sb)])


# ---- einsum -----------------------------------------------------------------------------------


def _einsum_term(term: str, ndim: int | None, eq: str, what: str) -> tuple[list[int], int | None]:
    """Labels of one term: letters as their code points, with the position of '...' (or None)."""
    labels: list[int] = []
    ell = None
    i = 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i:i + 3] != "..." or ell is not None:
                raise ValueError(f"einsum: {what} in equation {eq!r} has a '.' that is not part "
                                 "of a single '...'")
            ell = len(labels)
            i += 3
            continue
        if not (c.isascii() and c.isalpha()):
            raise ValueError(f"einsum: invalid subscript {c!r} in equation {eq!r}; expected "
                             "letters a-z, A-Z and '...'")
        labels.append(ord(c))
        i += 1
    if ndim is not None:
        if ell is None and len(labels) != ndim:
            raise ValueError(f"einsum: {what} has {len(labels)} subscripts in equation {eq!r} but "
                             f"the operand has {ndim} dims")
        if ell is not None and len(labels) > ndim:
            raise ValueError(f"einsum: {what} has {len(labels)} subscripts and '...' in equation "
                             f"{eq!r} but the operand has only {ndim} dims")
    return labels, ell


def _einsum_sublist(args: tuple) -> tuple[str, list]:
    """The equation and operands of ``einsum(op0, sub0, op1, sub1, ..., [out])``."""
    def letters(sub: Any) -> str:
        """A sublist of integer labels (and Ellipsis) as equation letters."""
        out = ""
        for s in sub:
            if s is Ellipsis:
                out += "..."
            elif isinstance(s, numbers.Integral) and 0 <= s < 52:
                out += chr(ord("a") + s) if s < 26 else chr(ord("A") + s - 26)
            else:
                raise ValueError(f"einsum: sublist entries must be ints in [0, 52) or ..., "
                                 f"got {s!r}")
        return out

    ops, terms = [], []
    args = list(args)
    while len(args) >= 2:
        ops.append(args.pop(0))
        terms.append(letters(args.pop(0)))
    eq = ",".join(terms)
    if args:
        eq += "->" + letters(args[0])
    return eq, ops


def _perm(x: Tensor, have: list[int], want: list[int]) -> Tensor:
    p = [have.index(lab) for lab in want]
    return x if p == list(range(len(p))) else x.permute(*p)


def _sum_labels(x: Tensor, lx: list[int], drop: list[int]) -> tuple[Tensor, list[int]]:
    if not drop:
        return x, lx
    dims = [lx.index(lab) for lab in drop]
    return x.sum(tuple(dims)), [lab for lab in lx if lab not in drop]


def _contract(a: Tensor, la: list[int], b: Tensor, lb: list[int],
              keep: set[int]) -> tuple[Tensor, list[int]]:
    """``a`` and ``b`` (dims labelled ``la``, ``lb``) multiplied, summing the shared labels that
    are not in ``keep``: one bmm over (batch, left, contracted) x (batch, contracted, right)."""
    a, la = _sum_labels(a, la, [lab for lab in la if lab not in lb and lab not in keep])
    b, lb = _sum_labels(b, lb, [lab for lab in lb if lab not in la and lab not in keep])
    batch = [lab for lab in la if lab in lb and lab in keep]
    contr = [lab for lab in la if lab in lb and lab not in keep]
    left = [lab for lab in la if lab not in lb]
    right = [lab for lab in lb if lab not in la]
    for lab in contr:  # a size-1 dim against a size-n dim: sum the other side first
        i, j = la.index(lab), lb.index(lab)
        if a.shape[i] != b.shape[j]:
            if a.shape[i] == 1:
                b = b.sum(j, keepdim=True)
            else:
                a = a.sum(i, keepdim=True)
    size_a = dict(zip(la, a.shape))
    size_b = dict(zip(lb, b.shape))
    bs = [max(size_a[lab], size_b[lab]) for lab in batch]
    ls = [size_a[lab] for lab in left]
    rs = [size_b[lab] for lab in right]
    ks = [size_a[lab] for lab in contr]
    A = _perm(a, la, batch + left + contr)
    B = _perm(b, lb, batch + contr + right)
    if list(A.shape) != bs + ls + ks:
        A = A.expand(*(bs + ls + ks))
    if list(B.shape) != bs + ks + rs:
        B = B.expand(*(bs + ks + rs))
    nb, nl, nk, nr = _prod(bs), _prod(ls), _prod(ks), _prod(rs)
    if nk == 1:  # nothing to sum: an outer product
        out = A.reshape(nb, nl, 1) * B.reshape(nb, 1, nr)
    elif nl == 1 and nr == 1:  # batched dot products
        out = (A.reshape(nb, nk) * B.reshape(nb, nk)).sum(1)
        if out.dtype != A.dtype:
            out = out.to(A.dtype)
    elif not batch:
        out = _mm(A.reshape(nl, nk), B.reshape(nk, nr))
    else:
        out = _bmm(A.reshape(nb, nl, nk), B.reshape(nb, nk, nr))
    return out.reshape(*(bs + ls + rs)), batch + left + right


def einsum(*args: Any) -> Tensor:
    """Sums of products of the operands' elements, described by an Einstein-summation equation.

    ``equation`` names each operand's dims with letters, separated by commas, and optionally
    the result's after ``->``: labels shared by operands are multiplied together, labels missing
    from the result are summed over. ``...`` stands for the (broadcast) dims not named. Without
    ``->`` the result holds ``...`` then the labels that appear exactly once, in ASCII order
    (upper case first). A label repeated within one operand takes its diagonal (``'ii->i'``).
    Size-1 dims broadcast against other operands. Operands are contracted left to right, each
    pair by one batched matrix product, so ``'bij,bjk->bik'``, ``'bhqd,bhkd->bhqk'`` and
    ``'ij,jk'`` cost one bmm/mm. Differentiable and traceable by ember.jit.

    Args:
        equation: e.g. ``"bij,bjk->bik"``, ``"ii"``, ``"...ij,...jk"``; spaces are ignored.
        *operands: the tensors (or one list of them), promoted to a common dtype (PyTorch
            raises for mixed dtypes unless no matrix product is needed). The sublist form
            ``einsum(op0, [0, 1], op1, [1, 2], [0, 2])`` is accepted too.
    Returns:
        Tensor: the result, of the promoted dtype.
    Raises:
        ValueError: a malformed equation, a term that does not match its operand's dims, sizes
            that differ for a label (other than 1), or an output label not in any input.
    Example:
        >>> a, b = ember.ones(2, 3), ember.ones(3, 4)
        >>> ember.einsum("ij,jk->ik", a, b).shape
        (2, 4)
        >>> ember.einsum("ii", ember.eye(3))
        tensor(3.)
    """
    if not args:
        raise TypeError("einsum: expected an equation and operands")
    if isinstance(args[0], str):
        eq, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
    else:
        eq, ops = _einsum_sublist(args)
    for t in ops:
        _check_tensor(t, "einsum", "each operand")
    if not ops:
        raise ValueError("einsum: expected at least one operand")
    eq_s = eq.replace(" ", "")
    if eq_s.count("->") > 1:
        raise ValueError(f"einsum: equation {eq!r} has more than one '->'")
    lhs, rhs = eq_s.split("->") if "->" in eq_s else (eq_s, None)
    terms = lhs.split(",")
    if len(terms) != len(ops):
        raise ValueError(f"einsum: equation {eq!r} names {len(terms)} operands but "
                         f"{len(ops)} were given")
    dtype = None
    for t in ops:
        dtype = _join(dtype, t.dtype)
    labels: list[list[int]] = []
    max_ell, any_ell = 0, False
    for k, (term, x) in enumerate(zip(terms, ops)):
        lab, ell = _einsum_term(term, x.dim(), eq, f"operand {k}")
        if ell is not None:
            any_ell = True
            n = x.dim() - len(lab)
            max_ell = max(max_ell, n)
            lab = lab[:ell] + list(range(-n, 0)) + lab[ell:]
        labels.append(lab)
    # sizes of each label: equal, or 1 (broadcast); equal within an operand (diagonals).
    sizes: dict[int, int] = {}
    for k, (lab, x) in enumerate(zip(labels, ops)):
        mine: dict[int, int] = {}
        for lb_, n in zip(lab, x.shape):
            name = "..." if lb_ < 0 else chr(lb_)
            if lb_ in mine and mine[lb_] != n:
                raise ValueError(f"einsum: subscript {name!r} is repeated for operand {k} but its "
                                 f"sizes differ ({mine[lb_]} and {n}, shape {_shp(x)})")
            mine[lb_] = n
            if lb_ in sizes and sizes[lb_] != n and 1 not in (sizes[lb_], n):
                raise ValueError(f"einsum: subscript {name!r} has size {n} for operand {k}, which "
                                 f"does not broadcast with size {sizes[lb_]} of an earlier "
                                 "operand")
            sizes[lb_] = n if lb_ not in sizes or sizes[lb_] == 1 else sizes[lb_]
    ell_labels = list(range(-max_ell, 0))
    if rhs is None:
        counts: dict[int, int] = {}
        for lab in labels:
            for lb_ in lab:
                if lb_ >= 0:
                    counts[lb_] = counts.get(lb_, 0) + 1
        out = (ell_labels if any_ell else []) + sorted(lb_ for lb_, c in counts.items() if c == 1)
    else:
        olab, oell = _einsum_term(rhs, None, eq, "the output")
        for lb_ in olab:
            if lb_ not in sizes:
                raise ValueError(f"einsum: output subscript {chr(lb_)!r} in equation {eq!r} does "
                                 "not appear in any operand")
        if len(set(olab)) != len(olab):
            raise ValueError(f"einsum: an output subscript is repeated in equation {eq!r}")
        out = olab if oell is None else olab[:oell] + ell_labels + olab[oell:]
    # Diagonals of repeated labels, then labels used nowhere else are summed right away.
    work = []
    for k, (x, lab) in enumerate(zip(ops, labels)):
        if x.dtype != dtype:
            x = x.to(dtype)
        lab = list(lab)
        while len(set(lab)) != len(lab):
            lb_ = next(v for v in lab if lab.count(v) > 1)
            i = lab.index(lb_)
            j = lab.index(lb_, i + 1)
            x = diagonal(x, 0, i, j)
            lab = [v for p, v in enumerate(lab) if p not in (i, j)] + [lb_]
        others = set(out)
        for m, l2 in enumerate(labels):
            if m != k:
                others.update(l2)
        x, lab = _sum_labels(x, lab, [v for v in lab if v not in others])
        work.append((x, lab))
    x, lab = work[0]
    for j in range(1, len(work)):
        keep = set(out)
        for _, l2 in work[j + 1:]:
            keep.update(l2)
        x, lab = _contract(x, lab, work[j][0], work[j][1], keep)
    x, lab = _sum_labels(x, lab, [v for v in lab if v not in out])
    return _perm(x, lab, out)


# ---- reductions and scans ---------------------------------------------------------------------


def _amax(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    dims = _reduce_dims(dim, input.dim(), op)
    if input.dim() == 0:
        return input.clone()
    for d in dims:
        if input.shape[d] == 0:
            raise IndexError(f"{op}: expected reduction dim {d} to have non-zero size, got "
                             f"shape {_shp(input)}")
    # One sweep over all the dims, values only; the gradient (split evenly among the ties)
    # comes with it.
    return (_C._amax if op == "amax" else _C._amin)(input, list(dims), keepdim)


def amax(input: Tensor, dim: int | Sequence[int] = (), keepdim: bool = False) -> Tensor:
    """The largest element over ``dim`` (values only; NaN if a slice holds NaN).

    The gradient is split evenly among the elements equal to the maximum (infinite ones too),
    as in PyTorch; where the result is NaN, among the NaN elements (PyTorch gives NaN
    gradients there). Traceable by ember.jit.

    Args:
        input: any numeric dtype.
        dim: a dim or several; ``()`` or None (default) reduces all dims.
        keepdim: keep the reduced dims with size 1. Default False.
    Returns:
        Tensor: dtype of ``input``.
    Raises:
        IndexError: a dim out of range, or a reduced dim of size 0.
    Example:
        >>> ember.amax(ember.tensor([[1, 5], [7, 2]]), dim=1)
        tensor([5, 7])
    """
    return _amax(input, dim, keepdim, "amax")


def amin(input: Tensor, dim: int | Sequence[int] = (), keepdim: bool = False) -> Tensor:
    """The smallest element over ``dim``; see :func:`amax`.

    Args:
        input: any numeric dtype.
        dim: a dim or several; ``()`` or None (default) reduces all dims.
        keepdim: keep the reduced dims with size 1. Default False.
    Returns:
        Tensor: dtype of ``input``.
    Raises:
        IndexError: a dim out of range, or a reduced dim of size 0.
    """
    return _amax(input, dim, keepdim, "amin")


def nansum(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
           dtype: Any = None) -> Tensor:
    """Sum over ``dim`` treating NaN as 0 (gradient 0 at the NaNs).

    Args:
        input: any dtype; integer and bool inputs give int64, as :func:`ember.sum`.
        dim: dim(s) to reduce; None (default) reduces all.
        keepdim: keep reduced dims with size 1. Default False.
        dtype: convert ``input`` to this dtype first (keyword-only).
    Returns:
        Tensor: the sum.
    Example:
        >>> ember.nansum(ember.tensor([1.0, float("nan"), 2.0]))
        tensor(3.)
    """
    x = input if dtype is None else input.to(dtype)
    if x.dtype in _FLOATS:
        x = _C.where(isnan(x), _C._full([], 0, x.dtype), x)
    return x.sum(dim, keepdim=keepdim)


def nanmean(input: Tensor, dim: int | Sequence[int] | None = None, keepdim: bool = False, *,
            dtype: Any = None) -> Tensor:
    """Mean over ``dim`` of the elements that are not NaN (NaN where all are NaN).

    Args:
        input: float32 or float64 (or any dtype with a floating ``dtype``).
        dim: dim(s) to reduce; None (default) reduces all.
        keepdim: keep reduced dims with size 1. Default False.
        dtype: convert ``input`` to this dtype first (keyword-only).
    Returns:
        Tensor: dtype of ``input``.
    Raises:
        TypeError: a non-floating input.
    """
    x = input if dtype is None else input.to(dtype)
    _check_float(x, "nanmean")
    keep = ~isnan(x)
    return nansum(x, dim, keepdim) / keep.sum(dim, keepdim=keepdim).to(x.dtype)


def count_nonzero(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Number of nonzero elements over ``dim`` (all dims when None).

    Args:
        input: any dtype.
        dim: a dim or several; None (default) counts all.
    Returns:
        Tensor: int64.
    Example:
        >>> ember.count_nonzero(ember.tensor([[0, 1], [2, 0]]), dim=0)
        tensor([1, 1])
    """
    nz = input != 0
    if dim is None:
        return nz.sum()
    return nz.sum(tuple(_dims(dim, input.dim(), "count_nonzero")))


def _stat_args(dim: Any, unbiased: Any, op: str) -> tuple[Any, Any]:
    """``(dim, unbiased)`` with PyTorch's ``op(input, unbiased: bool)`` overload resolved: a
    bool in ``dim``'s place is ``unbiased`` over all dims."""
    if isinstance(dim, (bool, np.bool_)):
        if unbiased is not None:
            raise TypeError(f"{op}: unbiased given twice (a bool in dim's place is unbiased)")
        return None, bool(dim)
    return dim, unbiased


def std_mean(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(std(input, dim), mean(input, dim))`` in one call.

    Args:
        input: float32 or float64.
        dim: dim(s) to reduce; None (default) reduces all. A bool here is ``unbiased`` over
            all dims (PyTorch's ``std_mean(input, unbiased)``).
        unbiased: legacy form of ``correction`` (True = 1, False = 0).
        keepdim: keep reduced dims with size 1. Default False.
        correction: keyword-only; 1 (default) divides by ``N - 1``, 0 by ``N``.
    Returns:
        tuple[Tensor, Tensor]: standard deviation and mean, dtype of ``input``.
    Raises:
        TypeError: a non-floating input, or ``unbiased`` given both positionally and by name.
    """
    _check_float(input, "std_mean")
    dim, unbiased = _stat_args(dim, unbiased, "std_mean")
    s = _C.std(input, dim, unbiased, keepdim, correction=correction)
    return s, input.mean(dim, keepdim=keepdim)


def var_mean(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(var(input, dim), mean(input, dim))`` in one call.

    Args:
        input: float32 or float64.
        dim: dim(s) to reduce; None (default) reduces all. A bool here is ``unbiased`` over
            all dims (PyTorch's ``var_mean(input, unbiased)``).
        unbiased: legacy form of ``correction`` (True = 1, False = 0).
        keepdim: keep reduced dims with size 1. Default False.
        correction: keyword-only; 1 (default) divides by ``N - 1``, 0 by ``N``.
    Returns:
        tuple[Tensor, Tensor]: variance and mean, dtype of ``input``.
    Raises:
        TypeError: a non-floating input, or ``unbiased`` given both positionally and by name.
    """
    _check_float(input, "var_mean")
    dim, unbiased = _stat_args(dim, unbiased, "var_mean")
    v = _C.var(input, dim, unbiased, keepdim, correction=correction)
    return v, input.mean(dim, keepdim=keepdim)


def _scan(x: Tensor, d: int, step: Any, fill: float) -> Tensor:
    """Inclusive scan of ``step`` along ``d`` in log2(n) rounds (Hillis-Steele): each round
    combines every element with the one ``s`` places before it (``fill`` before the start)."""
    n = x.shape[d]
    if n <= 1:
        return x.clone()  # a new tensor even when nothing is combined
    s = 1
    while s < n:
        pad_shape = list(x.shape)
        pad_shape[d] = s
        shifted = _C.cat([_C._full(pad_shape, fill, x.dtype), x.narrow(d, 0, n - s)], d)
        x = step(x, shifted)
        s *= 2
    return x


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative product along ``dim``: ``out[i] = input[0] * ... * input[i]``.

    Computed by products only (a log-depth scan), so the gradient is exact also where the
    input holds zeros. Values can differ from a sequential product in the last bits.

    Args:
        input: any dtype; integer and bool inputs give int64.
        dim: the dim to scan.
        dtype: convert ``input`` to this dtype first (keyword-only).
    Returns:
        Tensor: shape of ``input``.
    Raises:
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.cumprod(ember.tensor([1, 2, 3, 4]), 0)
        tensor([ 1,  2,  6, 24])
    """
    x = input if dtype is None else input.to(dtype)
    d = _dim(dim, x.dim(), "cumprod")
    if x.dtype not in _FLOATS and x.dtype != _DT.int64:
        x = x.to(_DT.int64)
    if x.dim() == 0:
        return x.clone()
    return _scan(x, d, lambda a, b: a * b, 1)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, computed stably with :func:`logaddexp`.

    Args:
        input: float32 or float64.
        dim: the dim to scan.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        TypeError: a non-floating input. IndexError: ``dim`` out of range.
    """
    _check_float(input, "logcumsumexp")
    d = _dim(dim, input.dim(), "logcumsumexp")
    if input.dim() == 0:
        return input.clone()
    return _scan(input, d, _logaddexp, -_INF)


def _cum_extreme(input: Tensor, dim: int, op: str) -> Any:
    d = _dim(dim, input.dim(), op)
    res = _cummax_result if op == "cummax" else _cummin_result
    if input.dim() == 0:
        return res(input.clone(), _C._zeros([], _DT.int64))
    arr = _np(input)
    if arr.size == 0:
        idx = np.zeros(arr.shape, np.int64)
    else:
        run = (np.maximum if op == "cummax" else np.minimum).accumulate(arr, axis=d)
        mark = arr == run  # a new extreme or a tie: the latest position wins, as PyTorch
        if arr.dtype.kind == "f":
            mark |= np.isnan(arr)
        pos = np.arange(arr.shape[d]).reshape([-1 if i == d else 1 for i in range(arr.ndim)])
        idx = np.maximum.accumulate(np.where(mark, pos, 0), axis=d)
    idx_t = _idx(idx)
    return res(input.gather(d, idx_t), idx_t)


def cummax(input: Tensor, dim: int) -> Any:
    """Running maximum along ``dim`` and where it was found.

    Ties take the latest position; NaN propagates (and its position is reported), as PyTorch.
    The indices are computed by numpy (not traceable by ember.jit); values carry the gradient
    to those positions.

    Args:
        input: any dtype.
        dim: the dim to scan.
    Returns:
        namedtuple ``(values, indices)``: shape of ``input``; indices int64.
    Raises:
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.cummax(ember.tensor([1, 3, 2, 5]), 0).indices
        tensor([0, 1, 1, 3])
    """
    return _cum_extreme(input, dim, "cummax")


def cummin(input: Tensor, dim: int) -> Any:
    """Running minimum along ``dim`` and where it was found; see :func:`cummax`.

    Args:
        input: any dtype.
        dim: the dim to scan.
    Returns:
        namedtuple ``(values, indices)``: shape of ``input``; indices int64.
    Raises:
        IndexError: ``dim`` out of range.
    """
    return _cum_extreme(input, dim, "cummin")


def _median_positions(arr: np.ndarray, axis: int, ignore_nan: bool) -> np.ndarray:
    """Index (along ``axis``, keepdims) of the lower median of each slice; with NaN in a slice:
    its first NaN (``ignore_nan=False``) or the median of the other elements."""
    order = np.argsort(arr, axis=axis, kind="stable")  # NaN last
    n = arr.shape[axis]
    if arr.dtype.kind == "f":
        nans = np.isnan(arr)
        k = n - nans.sum(axis=axis, keepdims=True)
    else:
        nans = None
        k = np.full([1 if i == axis else s for i, s in enumerate(arr.shape)], n)
    pos = np.maximum((k - 1) // 2, 0) if ignore_nan else np.full(k.shape, (n - 1) // 2)
    idx = np.take_along_axis(order, pos, axis=axis)
    if not ignore_nan and nans is not None:
        has = nans.any(axis=axis, keepdims=True)
        idx = np.where(has, np.argmax(nans, axis=axis, keepdims=True), idx)
    return idx


def _median(input: Tensor, dim: Any, keepdim: bool, op: str, ignore_nan: bool) -> Any:
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            if input.dtype in _FLOATS:
                return _C._full([], float("nan"), input.dtype)
            raise ValueError(f"{op}: cannot take the median of an empty {input.dtype.name} tensor")
        k = int(_median_positions(_np(flat), 0, ignore_nan)[0])
        m = flat.select(0, k)
        if input.dtype in _FLOATS and input.requires_grad:
            return _evenly(flat, m.reshape(1), [0]).reshape(())
        return m.clone()  # a new tensor, not a view of input
    d = _dim(dim, input.dim(), op)
    res = _median_result if op == "median" else _nanmedian_result
    if input.dim() == 0:
        return res(input.clone(), _C._zeros([], _DT.int64))
    if input.shape[d] == 0:
        raise IndexError(f"{op}: expected reduction dim {d} to have non-zero size, got shape "
                         f"{_shp(input)}")
    idx = _idx(_median_positions(_np(input), d, ignore_nan))
    vals = input.gather(d, idx)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return res(vals, idx)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median: the ``(n - 1) // 2``-th smallest element (NaN if there is NaN).

    ``median(input)`` gives a 0-d tensor (NaN for an empty float tensor) whose gradient is split
    evenly among the elements equal to it, as PyTorch. ``median(input, dim)`` gives
    ``(values, indices)``; with NaN in a slice, the value is NaN and the index that of its first
    NaN. Among equal values the index may differ from PyTorch's (whose choice is unspecified).
    The order is found by numpy: not traceable by ember.jit.

    Args:
        input: any dtype.
        dim: the dim to reduce, or None (default) for all elements.
        keepdim: keep the reduced dim with size 1 (with ``dim``). Default False.
    Returns:
        Tensor (``dim`` None) or namedtuple ``(values, indices)``, indices int64.
    Raises:
        IndexError: ``dim`` out of range or of size 0.
    Example:
        >>> ember.median(ember.tensor([4.0, 1.0, 3.0, 2.0]))
        tensor(2.)
    """
    return _median(input, dim, keepdim, "median", False)


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """:func:`median` ignoring NaN: the lower median of the other elements (NaN where a slice
    is all NaN, with index 0). Not traceable by ember.jit.

    Args:
        input: any dtype.
        dim: the dim to reduce, or None (default) for all elements.
        keepdim: keep the reduced dim with size 1 (with ``dim``). Default False.
    Returns:
        Tensor (``dim`` None) or namedtuple ``(values, indices)``, indices int64.
    Raises:
        IndexError: ``dim`` out of range or of size 0.
    """
    return _median(input, dim, keepdim, "nanmedian", True)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the first of equally frequent ones in sorted
    order: the smallest, without NaN) and the position of its last occurrence, as PyTorch's
    CPU kernel.

    NaN equals nothing, not even NaN, so each NaN counts once. PyTorch sorts each slice with
    ``<``, under which a NaN also blocks the sort: this reproduces its insertion sort (used up to
    16 elements): values are sorted within the stretches between NaNs, except that one smaller
    than every value before it moves to the front (unless the slice starts with NaN). So
    ``mode([1, nan, nan, 3])`` is ``(1, 0)`` and ``mode([nan, 3])`` is ``(nan, 0)``. For
    slices longer than 16, PyTorch's sort (an introsort) is not stable and its result with NaN
    is unspecified: its index among equal values, and its value with NaN, can differ. Computed
    by numpy: not traceable by ember.jit; the values carry the gradient to the reported
    positions.

    Args:
        input: any dtype.
        dim: the dim to reduce. Default -1.
        keepdim: keep the reduced dim with size 1. Default False.
    Returns:
        namedtuple ``(values, indices)``: ``input``'s shape without ``dim``; indices int64.
    Raises:
        IndexError: ``dim`` out of range or of size 0.
    Example:
        >>> ember.mode(ember.tensor([1, 2, 2, 3, 3, 1, 5]))
        mode(values=tensor(1), indices=tensor(5))
    """
    d = _dim(dim, input.dim(), "mode")
    if input.dim() == 0:
        return _mode_result(input.clone(), _C._zeros([], _DT.int64))
    if input.shape[d] == 0:
        raise IndexError(f"mode: expected reduction dim {d} to have non-zero size, got shape "
                         f"{_shp(input)}")
    arr = np.moveaxis(_np(input), d, -1)
    n = arr.shape[-1]
    rows = arr.reshape(-1, n)
    # Each value's group in the sorted slice: 2 * (NaNs before it), or 0 if it moves to the
    # front (a strict running minimum after a NaN); NaN number j alone in group 2 * j - 1.
    nan = np.isnan(rows) if rows.dtype.kind == "f" else np.zeros(rows.shape, bool)
    seg = np.cumsum(nan, axis=1)
    key = np.where(nan, 0, rows)
    if nan.any():
        big = np.array(np.inf if rows.dtype.kind == "f" else 0, rows.dtype)
        low = np.minimum.accumulate(np.where(nan, big, rows), axis=1)
        before = np.concatenate([np.full((rows.shape[0], 1), big), low[:, :-1]], axis=1)
        front = ~nan & (seg > 0) & (rows < before) & ~nan[:, :1]
        group = np.where(nan, 2 * seg - 1, np.where(front, 0, 2 * seg))
    else:
        group = seg
    order = np.lexsort((key, group), axis=1)  # stable: equal values keep their order
    srt = np.take_along_axis(rows, order, axis=1)
    grp = np.take_along_axis(group, order, axis=1)
    same = (srt[:, 1:] == srt[:, :-1]) & (grp[:, 1:] == grp[:, :-1])  # NaN != NaN
    start = np.concatenate([np.ones((rows.shape[0], 1), bool), ~same], axis=1)
    pos = np.arange(n)
    run_len = pos - np.maximum.accumulate(np.where(start, pos, 0), axis=1) + 1
    # The first position reaching the longest run ends the first most frequent run; its
    # (stable) sort order is that value's last occurrence.
    end = np.argmax(run_len == run_len.max(axis=1, keepdims=True), axis=1)
    idx = order[np.arange(rows.shape[0]), end].reshape(arr.shape[:-1])
    idx_t = _idx(np.expand_dims(idx, d))
    vals = input.gather(d, idx_t)
    if not keepdim:
        vals, idx_t = vals.squeeze(d), idx_t.squeeze(d)
    return _mode_result(vals, idx_t)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str, op: str,
              ignore_nan: bool) -> Tensor:
    _check_float(input, op)
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}: interpolation must be one of {_INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    if isinstance(q, Tensor):
        if q.dim() > 1:
            raise ValueError(f"{op}: q must be a scalar or a 1-D tensor, got shape {_shp(q)}")
        _same_dtype(input, q, op, "input", "q")
        qs = _np(q).reshape(-1)
        qt = q  # linear interpolation has a gradient with respect to q, as PyTorch
    else:
        qs = np.array([float(q)])
        qt = _C._full([], float(q), input.dtype)
    if not np.all((qs >= 0) & (qs <= 1)):
        raise ValueError(f"{op}: q values must be in [0, 1], got {qs.tolist()}")
    if input.numel() == 0:
        raise ValueError(f"{op}: input must be non-empty, got shape {_shp(input)}")
    nd = input.dim()
    if dim is None:
        x = input.reshape(-1)
    else:
        d = _dim(dim, nd, op)
        x = input.reshape(1) if nd == 0 else movedim(input, d, -1)
    srt = sort(x, -1).values  # NaN last
    n = srt.shape[-1]
    rest = list(srt.shape[:-1])
    if isinstance(q, Tensor) and q.dim() == 1:
        nq = q.shape[0]
        srt = srt.unsqueeze(0).expand(nq, *rest, n)
        qt = qt.reshape(nq, *([1] * (len(rest) + 1)))
    nan = isnan(srt)
    if ignore_nan:
        k = (~nan).sum(-1, keepdim=True).to(input.dtype)
        ranks = qt * (k - 1)
        ranks = _C.where(ranks < 0, _C._full([], 0, ranks.dtype), ranks)
    else:
        ranks = _C.where(nan.any(-1, keepdim=True), _C._full([], n - 1, input.dtype), qt * (n - 1))
    ranks = ranks.expand(*srt.shape[:-1], 1)
    if interpolation == "lower":
        ranks = floor(ranks)
    elif interpolation == "higher":
        ranks = ceil(ranks)
    elif interpolation == "nearest":
        ranks = _round(ranks)
    below = ranks.to(_DT.int64)
    out = srt.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        above = ceil(ranks).to(_DT.int64)
        if interpolation == "midpoint":
            w = _C._full([], 0.5, input.dtype)
        else:
            w = ranks - below.to(input.dtype)
        out = lerp(out, srt.gather(-1, above), w)
    out = out.squeeze(-1)
    if keepdim:
        lead = list(out.shape[:1]) if isinstance(q, Tensor) and q.dim() == 1 else []
        if dim is None:
            out = out.reshape(*lead, *([1] * nd))
        elif nd > 0:
            shape = list(input.shape)
            shape[d] = 1
            out = out.reshape(*lead, *shape)
    return out


def quantile(input: Tensor, q: float | Tensor, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles of ``input`` over ``dim`` (NaN where a slice holds NaN).

    For a slice of ``n`` sorted values the quantile sits at rank ``q * (n - 1)``; between two
    ranks ``interpolation`` decides: ``"linear"`` (``lo + (hi - lo) * frac``), ``"lower"``,
    ``"higher"``, ``"midpoint"`` or ``"nearest"`` (halves to even). The sort is done by numpy
    (not traceable by ember.jit); the gradient flows to the values used.

    Args:
        input: float32 or float64, non-empty.
        q: a number or a 0-d/1-D tensor of ``input``'s dtype, values in [0, 1].
        dim: the dim to reduce; None (default) flattens ``input``.
        keepdim: keep the reduced dim(s) with size 1. Default False.
        interpolation: see above (keyword-only). Default ``"linear"``.
    Returns:
        Tensor: the reduced shape, with a leading dim of ``len(q)`` for a 1-D ``q``.
    Raises:
        TypeError: non-floating input, or ``q`` of another dtype.
        ValueError: ``q`` outside [0, 1], empty input, or unknown ``interpolation``.
    Example:
        >>> ember.quantile(ember.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
        tensor(2.5000)
    """
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", False)


def nanquantile(input: Tensor, q: float | Tensor, dim: int | None = None, keepdim: bool = False,
                *, interpolation: str = "linear") -> Tensor:
    """:func:`quantile` ignoring NaN (NaN where a slice is all NaN). Not traceable by ember.jit.

    Args:
        input: float32 or float64, non-empty.
        q: a number or a 0-d/1-D tensor of ``input``'s dtype, values in [0, 1].
        dim: the dim to reduce; None (default) flattens ``input``.
        keepdim: keep the reduced dim(s) with size 1. Default False.
        interpolation: as :func:`quantile` (keyword-only). Default ``"linear"``.
    Returns:
        Tensor: the reduced shape, with a leading dim of ``len(q)`` for a 1-D ``q``.
    Raises:
        TypeError, ValueError: as :func:`quantile`.
    """
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", True)


# ---- elementwise ------------------------------------------------------------------------------


def clamp_min(input: Tensor, min: Any) -> Tensor:
    """``clamp(input, min=min)``: each element at least ``min`` (a number or a tensor).

    Args:
        input: any numeric tensor.
        min: the lower bound; tensors broadcast.
    Returns:
        Tensor: promoted dtype of ``input`` and ``min``.
    """
    return _C.clamp(input, min, None)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """``clamp(input, max=max)``: each element at most ``max`` (a number or a tensor).

    Args:
        input: any numeric tensor.
        max: the upper bound; tensors broadcast.
    Returns:
        Tensor: promoted dtype of ``input`` and ``max``.
    """
    return _C.clamp(input, None, max)


def true_divide(dividend: Any, divisor: Any) -> Tensor:
    """Alias of :func:`ember.div`: true division (integers give float32).

    Args:
        dividend, divisor: tensors or numbers (at least one tensor); broadcast.
    Returns:
        Tensor: floating.
    """
    return _C.div(dividend, divisor)


def deg2rad(input: Tensor) -> Tensor:
    """Angles converted from degrees to radians: ``input * pi / 180``.

    Args:
        input: degrees; integer and bool inputs give float32.
    Returns:
        Tensor: radians.
    """
    x = input if input.dtype != _DT.bool else input.to(_DT.float32)
    return x * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    """Angles converted from radians to degrees: ``input * 180 / pi``.

    Args:
        input: radians; integer and bool inputs give float32.
    Returns:
        Tensor: degrees.
    """
    x = input if input.dtype != _DT.bool else input.to(_DT.float32)
    return x * (180.0 / math.pi)


def sgn(input: Tensor) -> Tensor:
    """Sign of each element (-1, 0 or 1; 0 for NaN); for real tensors the same as
    :func:`ember.sign`.

    Args:
        input: any real tensor.
    Returns:
        Tensor: dtype of ``input``.
    """
    return _C.sign(input)


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set: negative numbers and ``-0.0``.

    ember cannot read a NaN's sign bit: NaN gives False (PyTorch gives True for a NaN with the
    sign bit set, e.g. ``-nan``).

    Args:
        input: any dtype.
    Returns:
        Tensor: bool, shape of ``input``.
    Example:
        >>> ember.signbit(ember.tensor([-1.0, -0.0, 0.0, 2.0]))
        tensor([ True,  True, False, False])
    """
    if input.dtype in (_DT.bool, _DT.uint8):
        return _C._zeros(list(input.shape), _DT.bool)
    neg = input < 0
    if input.dtype in _FLOATS:
        zero = input == 0
        neg = neg | (zero & ((1.0 / _C.where(zero, input, _C._full([], 1, input.dtype))) < 0))
    return neg


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The Heaviside step: 0 where ``input < 0``, ``values`` where ``input == 0``, 1 where
    ``input > 0`` (0 for NaN, as PyTorch).

    Args:
        input: any real dtype.
        values: same dtype, broadcastable with ``input``.
    Returns:
        Tensor: the broadcast shape, dtype of ``input``.
    Raises:
        TypeError: dtypes differ.
    """
    _check_tensor(values, "heaviside", "values")
    _same_dtype(input, values, "heaviside", "input", "values")
    step = (input > 0).to(input.dtype)
    return _C.where(input == 0, values, step)


def xlogy(input: Any, other: Any) -> Tensor:
    """``input * log(other)``, and 0 where ``input == 0`` (unless ``other`` is NaN).

    Args:
        input, other: tensors or numbers (at least one tensor), broadcast; integer inputs give
            float32.
    Returns:
        Tensor: the promoted floating dtype.
    Example:
        >>> ember.xlogy(ember.tensor([0.0, 2.0]), ember.tensor([0.0, 1.0]))
        tensor([0., 0.])
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlogy: expected at least one Tensor argument")
    dt = _result_type(input, other)
    if dt not in _FLOATS:
        dt = _DT.float32
    x, y = _as_tensor(input, dt), _as_tensor(other, dt)
    one = _C._full([], 1, dt)
    zero = (x == 0) & ~isnan(y)
    # At input == 0 the product is 0; the base is made safe where log(other) is not finite, so
    # the gradient with respect to input is log(other) where that is finite, as in PyTorch.
    bad = zero & ((y <= 0) | (y == _INF))
    t = x * _C.log(_C.where(bad, one, y))
    return _C.where(zero, t + 0.0, t)  # (+0.0, not -0.0, where input is 0)


def _float_pair(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    for v, name in ((a, "input"), (b, "other")):
        if not isinstance(v, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(v).__name__}")
    dt = _result_type(a, b)
    if dt not in _FLOATS:
        raise TypeError(f"{op}: expected floating tensors, got {a.dtype.name} and {b.dtype.name}")
    return _as_tensor(a, dt), _as_tensor(b, dt)


def _logaddexp(a: Tensor, b: Tensor, base2: bool = False) -> Tensor:
    # hi + log(1 + exp(lo - hi)): never overflows; the gradient is sigmoid(a - b) to a (half
    # each at ties). Equal infinities would give inf - inf: they keep their value.
    ge = a >= b
    hi = _C.where(ge, a, b)
    lo = _C.where(ge, b, a)
    same_inf = (hi == lo) & (hi.abs() == _INF)
    diff = _C.where(same_inf, _C._full([], 0, a.dtype), lo - hi)
    if base2:
        return hi + _C.log1p(_C.exp(diff * math.log(2.0))) * (1.0 / math.log(2.0))
    return hi + _C.log1p(_C.exp(diff))


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """``log(exp(input) + exp(other))`` without overflow: ``max + log1p(exp(-|input - other|))``.

    ``-inf`` and ``-inf`` give ``-inf``. Traceable by ember.jit.

    Args:
        input, other: floating tensors, broadcast (float32 and float64 give float64).
    Returns:
        Tensor: the broadcast shape.
    Raises:
        TypeError: an integer or bool input.
    Example:
        >>> ember.logaddexp(ember.tensor(1000.0), ember.tensor(1000.0))
        tensor(1000.6932)
    """
    a, b = _float_pair(input, other, "logaddexp")
    return _logaddexp(a, b)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """``log2(2**input + 2**other)`` without overflow: ``max + log2(1 + 2**(-|input - other|))``.

    Args:
        input, other: floating tensors, broadcast.
    Returns:
        Tensor: the broadcast shape.
    Raises:
        TypeError: an integer or bool input.
    """
    a, b = _float_pair(input, other, "logaddexp2")
    return _logaddexp(a, b, base2=True)


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (or equal), as a bool tensor.

    Infinities are close only to themselves; NaNs only with ``equal_nan``. Integer inputs are
    compared in float32, as PyTorch.

    Args:
        input, other: tensors of one dtype, broadcastable.
        rtol: relative tolerance. Default 1e-5.
        atol: absolute tolerance. Default 1e-8.
        equal_nan: count two NaNs as close. Default False.
    Returns:
        Tensor: bool, the broadcast shape.
    Raises:
        TypeError: dtypes differ. ValueError: a negative tolerance.
    Example:
        >>> ember.isclose(ember.tensor([1.0, 1.1]), ember.tensor([1.0 + 1e-7, 1.0]))
        tensor([ True, False])
    """
    _check_tensor(other, "isclose", "other")
    _same_dtype(input, other, "isclose")
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose: rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
    a, b = input.detach(), other.detach()
    close = a == b
    if input.dtype in _FLOATS and equal_nan:
        close = close | (isnan(a) & isnan(b))
    if rtol == 0 and atol == 0:
        return close
    if a.dtype not in _FLOATS:
        a, b = a.to(_DT.float32), b.to(_DT.float32)
    allowed = (b * rtol).abs() + atol
    actual = (a - b).abs()
    return close | (isfinite(actual) & (actual <= allowed))


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether the tensors have the same shape and equal elements (NaN is never equal).

    Args:
        input, other: tensors (dtypes promote).
    Returns:
        bool.
    """
    _check_tensor(other, "equal", "other")
    if _shp(input) != _shp(other):
        return False
    return bool((input.detach() == other.detach()).all().item())


def _fext(input: Tensor, other: Tensor, op: str) -> Tensor:
    _check_tensor(input, op)
    _check_tensor(other, op, "other")
    dt = _result_type(input, other)
    a, b = _as_tensor(input, dt), _as_tensor(other, dt)
    pick_a = (a >= b) if op == "fmax" else (a <= b)
    if dt in _FLOATS:
        pick_a = pick_a | isnan(b)
    return _C.where(pick_a, a, b)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum that ignores NaN: the other value where one is NaN (NaN only where
    both are). The gradient at ties goes to ``input``, as PyTorch.

    Args:
        input, other: tensors, broadcast; dtypes promote.
    Returns:
        Tensor: the broadcast shape.
    """
    return _fext(input, other, "fmax")


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum that ignores NaN; see :func:`fmax`.

    Args:
        input, other: tensors, broadcast; dtypes promote.
    Returns:
        Tensor: the broadcast shape.
    """
    return _fext(input, other, "fmin")


def float_power(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` computed in float64.

    Args:
        input: a tensor or a number.
        exponent: a tensor or a number (at least one of the two is a tensor).
    Returns:
        Tensor: float64, the broadcast shape.
    """
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power: expected at least one Tensor argument")
    a = input.to(_DT.float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(_DT.float64) if isinstance(exponent, Tensor) else float(exponent)
    return _C.pow(a, b)


def positive(input: Tensor) -> Tensor:
    """``input`` itself (unary plus).

    Args:
        input: a numeric tensor.
    Returns:
        Tensor: ``input`` (the same object).
    Raises:
        TypeError: a bool tensor.
    """
    if input.dtype == _DT.bool:
        raise TypeError("positive: not supported for bool tensors")
    return input


def isposinf(input: Tensor) -> Tensor:
    """Bool tensor, True where ``input`` is +inf.

    Args:
        input: any dtype.
    Returns:
        Tensor: bool, shape of ``input``.
    """
    if input.dtype not in _FLOATS:
        return _C._zeros(list(input.shape), _DT.bool)
    return input == _INF


def isneginf(input: Tensor) -> Tensor:
    """Bool tensor, True where ``input`` is -inf.

    Args:
        input: any dtype.
    Returns:
        Tensor: bool, shape of ``input``.
    """
    if input.dtype not in _FLOATS:
        return _C._zeros(list(input.shape), _DT.bool)
    return input == -_INF


def isreal(input: Tensor) -> Tensor:
    """Bool tensor, True where the element is real: everywhere (ember has no complex dtype).

    Args:
        input: any dtype.
    Returns:
        Tensor: bool ones, shape of ``input``.
    """
    return _C._ones(list(input.shape), _DT.bool)


# ---- indexing and search ----------------------------------------------------------------------


def argwhere(input: Tensor) -> Tensor:
    """Coordinates of the nonzero elements, one row each (``nonzero(input)``).

    Args:
        input: any shape and dtype.
    Returns:
        Tensor: int64, shape ``(count, input.dim())``.
    """
    return _C.nonzero(input)


def _check_int(t: Tensor, op: str, name: str) -> None:
    if t.dtype in _FLOATS or t.dtype == _DT.bool:
        raise TypeError(f"{op}: {name} must be an integer tensor, got {t.dtype.name}")


def repeat_interleave(input: Tensor, repeats: int | Tensor | None = None, dim: int | None = None,
                      *, output_size: int | None = None) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times, in place order.

    ``repeat_interleave(repeats)`` with one 1-D integer tensor gives
    ``repeat_interleave(arange(len(repeats)), repeats)`` (int32 for int32 ``repeats``, else
    int64). An int ``repeats`` is a broadcast and
    a reshape (traceable, differentiable); a tensor ``repeats`` builds the index with numpy (not
    traceable by ember.jit; still differentiable with respect to ``input``).

    Args:
        input: any tensor.
        repeats: an int >= 0, or an integer tensor with one count per element of ``dim`` (or one
            count for all).
        dim: the dim to repeat along; None (default) flattens ``input`` first.
        output_size: the result's size along ``dim``, if known (checked).
    Returns:
        Tensor: ``input``'s shape with ``dim`` of size ``sum(repeats)`` (1-D when ``dim`` is None).
    Raises:
        ValueError: a negative count, counts that do not match ``dim``, or a wrong
            ``output_size``.
    Example:
        >>> ember.repeat_interleave(ember.tensor([1, 2]), 2)
        tensor([1, 1, 2, 2])
        >>> ember.repeat_interleave(ember.tensor([[1, 2], [3, 4]]), ember.tensor([1, 2]), dim=0)
        tensor([[1, 2],
                [3, 4],
                [3, 4]])
    """
    op = "repeat_interleave"
    if repeats is None:
        _check_int(input, op, "repeats")
        if input.dim() != 1:
            raise ValueError(f"{op}: repeats must be 1-D, got shape {_shp(input)}")
        reps = _np(input)
        if (reps < 0).any():
            raise ValueError(f"{op}: repeats must be >= 0, got {reps.tolist()}")
        out = _idx(np.repeat(np.arange(reps.shape[0]), reps))
        if input.dtype == _DT.int32:
            out = out.to(_DT.int32)  # the dtype of repeats, as PyTorch
        if output_size is not None and output_size != out.shape[0]:
            raise ValueError(f"{op}: output_size ({output_size}) does not match the sum of "
                             f"repeats ({out.shape[0]})")
        return out
    if dim is None:
        x, d = input.reshape(-1), 0
    else:
        d = _dim(dim, input.dim(), op)
        x = input.reshape(1) if input.dim() == 0 else input
    n = x.shape[d]
    if isinstance(repeats, Tensor):
        _check_int(repeats, op, "repeats")
        if repeats.dim() > 1:
            raise ValueError(f"{op}: repeats must be 0-d or 1-D, got shape {_shp(repeats)}")
        if repeats.numel() == 1:
            repeats = int(repeats.reshape(-1)[0].item())
    if isinstance(repeats, Tensor):
        reps = _np(repeats)
        if reps.shape[0] != n:
            raise ValueError(f"{op}: repeats has {reps.shape[0]} counts but dim {d} of the input "
                             f"has size {n}")
        if (reps < 0).any():
            raise ValueError(f"{op}: repeats must be >= 0, got {reps.tolist()}")
        total = int(reps.sum())
        if output_size is not None and output_size != total:
            raise ValueError(f"{op}: output_size ({output_size}) does not match the sum of "
                             f"repeats ({total})")
        return x.index_select(d, _idx(np.repeat(np.arange(n), reps)))
    r = int(repeats)
    if r < 0:
        raise ValueError(f"{op}: repeats must be >= 0, got {r}")
    if output_size is not None and output_size != n * r:
        raise ValueError(f"{op}: output_size ({output_size}) does not match {n} * {r}")
    shape = list(x.shape)
    big = shape[:d + 1] + [r] + shape[d + 1:]
    out_shape = shape.copy()
    out_shape[d] = n * r
    out = x.unsqueeze(d + 1).expand(*big).reshape(*out_shape)
    return out.clone() if r == 1 else out  # r == 1 reshapes to a view of input: copy it


def _unique_dim(input: Tensor, dim: int, op: str) -> int:
    """``dim`` of ``unique(input, dim=dim)`` as a positive dim, checked as PyTorch: ``input``
    has dims, and a size-0 dim can only be ``dim`` itself."""
    if input.dim() == 0:
        raise IndexError(f"{op}: dim {dim} is out of range for a 0-d tensor")
    d = _dim(dim, input.dim(), op)
    zero = [i for i, n in enumerate(input.shape) if n == 0]
    if zero and zero != [d]:
        raise ValueError(f"{op}: shape {_shp(input)} has a dim of size 0 other than dim {d}; "
                         "its slices cannot be compared")
    return d


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements (or distinct slices along ``dim``), sorted.

    NaNs are all distinct, as PyTorch. Computed by numpy: not traceable by ember.jit and not
    differentiable.

    Args:
        input: any tensor.
        sorted: accepted for PyTorch compatibility; the result is always sorted (as PyTorch's
            CPU result).
        return_inverse: also return, for each element (slice), its position in the result.
        return_counts: also return how often each distinct element (slice) occurs.
        dim: compare slices along this dim; None (default) compares elements of the flattened
            input.
    Returns:
        Tensor, or a tuple ``(output, inverse_indices?, counts?)`` of the requested parts:
        ``output`` 1-D (``dim`` None) or ``input``'s shape with fewer slices; ``inverse_indices``
        int64 of ``input``'s shape (``dim`` None) or ``(input.shape[dim],)``; ``counts`` int64.
    Raises:
        IndexError: ``dim`` out of range, or given for a 0-d ``input``.
        ValueError: with ``dim``, a size-0 dim other than ``dim``.
    Example:
        >>> ember.unique(ember.tensor([3, 1, 3, 2]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    arr = _np(input)
    if dim is None:
        vals, inv, cnt = np.unique(arr.reshape(-1), return_inverse=True, return_counts=True,
                                   equal_nan=False)
        inv = inv.reshape(arr.shape)
    else:
        d = _unique_dim(input, dim, "unique")
        if arr.shape[d] == 0:
            vals, inv, cnt = arr, np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            vals, inv, cnt = np.unique(arr, return_inverse=True, return_counts=True, axis=d,
                                       equal_nan=False)
            inv = inv.reshape(-1)
    return _unique_result(vals, inv, cnt, return_inverse, return_counts)


def _unique_result(vals: np.ndarray, inv: np.ndarray, cnt: np.ndarray, ri: bool, rc: bool) -> Any:
    out = _from_np(vals)
    if not ri and not rc:
        return out
    parts = [out]
    if ri:
        parts.append(_idx(inv))
    if rc:
        parts.append(_idx(cnt))
    return tuple(parts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """Collapses runs of equal consecutive elements (or slices along ``dim``) to one.

    NaNs never compare equal, so each forms its own run. Computed by numpy: not traceable by
    ember.jit.

    Args:
        input: any tensor.
        return_inverse: also return, for each element (slice), the index of its run.
        return_counts: also return each run's length.
        dim: compare slices along this dim; None (default) uses the flattened input.
    Returns:
        Tensor, or a tuple ``(output, inverse_indices?, counts?)`` as :func:`unique`.
    Raises:
        IndexError: ``dim`` out of range, or given for a 0-d ``input``.
        ValueError: with ``dim``, a size-0 dim other than ``dim``.
    Example:
        >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 2, 1]))
        tensor([1, 2, 1])
    """
    arr = _np(input)
    if dim is None:
        rows = arr.reshape(-1, 1)
        d, shape_inv = 0, arr.shape
        moved = arr.reshape(-1)
    else:
        d = _unique_dim(input, dim, "unique_consecutive")
        if arr.shape[d] == 0:
            empty = np.zeros(0, np.int64)
            return _unique_result(arr, empty, empty, return_inverse, return_counts)
        moved = np.moveaxis(arr, d, 0)
        rows = moved.reshape(moved.shape[0], -1)
        shape_inv = (arr.shape[d],)
    n = rows.shape[0]
    change = np.ones(n, bool)
    if n > 1:
        change[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    vals = moved[change]
    if dim is not None:
        vals = np.moveaxis(vals, 0, d)
    inv = (np.cumsum(change) - 1).reshape(shape_inv)
    starts = np.flatnonzero(change)
    cnt = np.diff(np.append(starts, n))
    return _unique_result(vals, inv, cnt, return_inverse, return_counts)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in ``input`` (or the sum of ``weights`` there).

    Computed by numpy: not traceable by ember.jit and not differentiable.

    Args:
        input: 1-D, non-negative integers.
        weights: optional, same length; float32 weights give float32, others float64.
        minlength: the least length of the result. Default 0.
    Returns:
        Tensor: 1-D of length ``max(input.max() + 1, minlength)``; int64 without weights.
    Raises:
        ValueError: ``input`` not 1-D, negative values, ``weights`` of another length, or a
            negative ``minlength``.
        TypeError: non-integer ``input``.
    Example:
        >>> ember.bincount(ember.tensor([0, 2, 2]))
        tensor([1, 0, 2])
    """
    _check_int(input, "bincount", "input")
    if input.dim() != 1:
        raise ValueError(f"bincount: input must be 1-D, got shape {_shp(input)}")
    if minlength < 0:
        raise ValueError(f"bincount: minlength must be >= 0, got {minlength}")
    arr = _np(input).astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"bincount: input must be non-negative, got minimum {int(arr.min())}")
    if weights is None:
        return _idx(np.bincount(arr, minlength=minlength))
    if _shp(weights) != _shp(input):
        raise ValueError(f"bincount: weights must have input's shape {_shp(input)}, got "
                         f"{_shp(weights)}")
    out_dt = np.float32 if weights.dtype == _DT.float32 else np.float64
    w = _np(weights).astype(np.float64)
    return _from_np(np.bincount(arr, weights=w, minlength=minlength), out_dt)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Histogram of ``input`` in ``bins`` equal-width bins over ``[min, max]``.

    With ``min == max`` the data's own range is used (widened by 1 each side if it is a single
    value). Elements outside the range (and NaN) are ignored; ``max`` falls in the last bin.
    Computed by numpy: not traceable by ember.jit.

    Args:
        input: float32 or float64, any shape.
        bins: number of bins, > 0. Default 100.
        min, max: the range. Default 0 and 0 (the data's range).
    Returns:
        Tensor: 1-D of ``bins`` counts, dtype of ``input``.
    Raises:
        TypeError: non-floating input. ValueError: ``bins <= 0``, ``min > max`` or a range
            that is not finite.
    Example:
        >>> ember.histc(ember.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    _check_float(input, "histc")
    if bins <= 0:
        raise ValueError(f"histc: bins must be > 0, got {bins}")
    arr = _np(input).reshape(-1)
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ValueError(f"histc: max must be larger than min, got min={lo}, max={hi}")
    if lo == hi and arr.size:
        lo, hi = float(arr.min()), float(arr.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"histc: range of [{lo}, {hi}] is not finite")
    dt = arr.dtype
    # Edges as a linspace in the input's dtype; each element goes to the last edge <= it.
    i = np.arange(bins + 1)
    step = (dt.type(hi) - dt.type(lo)) / dt.type(bins)
    edges = np.where(i < (bins + 1) // 2, dt.type(lo) + step * i.astype(dt),
                     dt.type(hi) - step * (bins - i).astype(dt)).astype(dt)
    inside = arr[(arr >= dt.type(lo)) & (arr <= dt.type(hi))]
    pos = np.clip(np.searchsorted(edges, inside, side="right") - 1, 0, bins - 1)
    return _from_np(np.bincount(pos, minlength=bins).astype(dt))


def _search(seq: np.ndarray, vals: np.ndarray, right: bool) -> np.ndarray:
    """Per row of ``seq`` (last dim sorted), the insertion points of that row of ``vals``: one
    lexsort of both sets, queries placed before (left) or after (right) equal entries."""
    if seq.ndim == 1:
        return np.searchsorted(seq, vals, side="right" if right else "left")
    rows = int(np.prod(seq.shape[:-1]))
    n, m = seq.shape[-1], vals.shape[-1]
    s2, v2 = seq.reshape(rows, n), vals.reshape(rows, m)
    values = np.concatenate([s2.reshape(-1), v2.reshape(-1)])
    row = np.concatenate([np.repeat(np.arange(rows), n), np.repeat(np.arange(rows), m)])
    is_seq = np.concatenate([np.ones(rows * n, bool), np.zeros(rows * m, bool)])
    tag = np.where(is_seq, 0 if right else 1, 1 if right else 0)
    order = np.lexsort((tag, values, row))
    seen = np.cumsum(is_seq[order])
    q = ~is_seq[order]
    qid = order[q] - rows * n
    out = np.empty(rows * m, np.int64)
    out[qid] = seen[q] - row[order][q] * n
    return out.reshape(vals.shape)


def searchsorted(sorted_sequence: Tensor, input: Tensor | float, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None,
                 sorter: Tensor | None = None) -> Tensor:
    """Where ``input``'s values would be inserted into ``sorted_sequence`` to keep it sorted.

    Left side: the first index ``i`` with ``seq[i] >= v``; right side: the first with
    ``seq[i] > v``. An N-D ``sorted_sequence`` is searched row by row (its last dim) with the
    matching rows of ``input``. Computed by numpy: not traceable by ember.jit.

    Args:
        sorted_sequence: 1-D, or N-D sorted along the last dim (unless ``sorter`` is given).
        input: values to insert: a tensor (with the same leading dims for an N-D sequence) or a
            number (1-D sequence only).
        out_int32: int32 result instead of int64 (keyword-only). Default False.
        right: use the right side. Default False.
        side: ``"left"`` or ``"right"``; overrides ``right`` (they must agree if both given).
        sorter: int64 indices that sort ``sorted_sequence`` along its last dim.
    Returns:
        Tensor: shape of ``input`` (0-d for a number), int64 (int32 with ``out_int32``).
    Raises:
        ValueError: shapes that do not match, a bad ``side``, or ``side`` against ``right``.
    Example:
        >>> ember.searchsorted(ember.tensor([1, 3, 5, 7]), ember.tensor([3, 6]))
        tensor([1, 3])
    """
    op = "searchsorted"
    _check_tensor(sorted_sequence, op, "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"{op}: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError(f"{op}: side='left' and right=True contradict each other")
        right = side == "right"
    if sorted_sequence.dim() == 0:
        raise ValueError(f"{op}: sorted_sequence must have at least 1 dim, got a 0-d tensor")
    seq = _np(sorted_sequence)
    if sorter is not None:
        if _shp(sorter) != _shp(sorted_sequence):
            raise ValueError(f"{op}: sorter must have sorted_sequence's shape "
                             f"{_shp(sorted_sequence)}, got {_shp(sorter)}")
        seq = np.take_along_axis(seq, _np(sorter).astype(np.int64), axis=-1)
    if isinstance(input, Tensor):
        vals = _np(input)
        if seq.ndim > 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
            raise ValueError(f"{op}: input's leading dims must match sorted_sequence's: shapes "
                             f"{_shp(sorted_sequence)} and {_shp(input)}")
    else:
        if seq.ndim != 1:
            raise ValueError(f"{op}: a number input needs a 1-D sorted_sequence, got shape "
                             f"{_shp(sorted_sequence)}")
        vals = np.asarray(input)
    out = np.asarray(_search(seq, vals, right))
    return _from_np(out, np.int32 if out_int32 else np.int64)


def bucketize(input: Tensor | float, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value of ``input`` among the sorted 1-D ``boundaries``.

    ``right=False``: ``boundaries[i-1] < v <= boundaries[i]``; ``right=True``:
    ``boundaries[i-1] <= v < boundaries[i]``. This is ``searchsorted(boundaries, input,
    right=right)``. Not traceable by ember.jit.

    Args:
        input: a tensor or a number.
        boundaries: 1-D, sorted ascending.
        out_int32: int32 result (keyword-only). Default False.
        right: see above (keyword-only). Default False.
    Returns:
        Tensor: shape of ``input``, int64 (int32 with ``out_int32``).
    Raises:
        ValueError: ``boundaries`` not 1-D.
    Example:
        >>> ember.bucketize(ember.tensor([1, 5, 9]), ember.tensor([1, 5, 9]), right=True)
        tensor([1, 2, 3])
    """
    _check_tensor(boundaries, "bucketize", "boundaries")
    if boundaries.dim() != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {_shp(boundaries)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _scatter_parts(input: Tensor, dim: int, index: Tensor, src: Any, value: Any,
                   reduce: Any, op: str) -> tuple[Tensor, tuple, Tensor]:
    if reduce is not None:
        raise NotImplementedError(f"{op}: reduce={reduce!r} is not supported; use scatter_add "
                                  "for sums")
    _check_tensor(index, op, "index")
    if index.dtype != _DT.int64:
        raise TypeError(f"{op}: index must be int64, got {index.dtype.name}")
    nd = max(input.dim(), 1)
    if max(index.dim(), 1) != nd:
        raise ValueError(f"{op}: index must have as many dims as input, got shapes "
                         f"{_shp(index)} and {_shp(input)}")
    d = _dim(dim, input.dim(), op)
    ishape = list(index.shape) if index.dim() else [1]
    inshape = list(input.shape) if input.dim() else [1]
    for i in range(nd):
        if i != d and ishape[i] > inshape[i]:
            raise ValueError(f"{op}: index {tuple(ishape)} is larger than input "
                             f"{tuple(inshape)} in dim {i}")
    if isinstance(src, Tensor):
        if value is not None:
            raise TypeError(f"{op}: give src or value, not both")
        _same_dtype(input, src, op, "input", "src")
        sshape = list(src.shape) if src.dim() else [1]
        if len(sshape) != nd or any(a > b for a, b in zip(ishape, sshape)):
            raise ValueError(f"{op}: index {tuple(ishape)} is larger than src {tuple(sshape)}")
        vals = src.reshape(*sshape)
        for i, n in enumerate(ishape):
            if sshape[i] != n:
                vals = vals.narrow(i, 0, n)
    else:
        v = value if src is None else src
        if v is None:
            raise TypeError(f"{op}: expected src (a Tensor) or value (a number)")
        vals = _C._full(ishape, v, input.dtype)
    coords = []
    for i, n in enumerate(ishape):
        if i == d:
            coords.append(index.reshape(*ishape))
        else:
            coords.append(_arange(n).reshape(*[n if j == i else 1 for j in range(nd)]))
    # The input itself (written in place by scatter_), as 1-D when 0-d.
    return (input if input.dim() else input.reshape(1)), tuple(coords), vals


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` written at ``index`` along ``dim``:
    ``out[i][index[i][j]] = src[i][j]`` (dim=1), the inverse of :func:`ember.gather`.

    Where ``index`` repeats a position, which write wins is unspecified (as PyTorch). Negative
    indices count from the end (PyTorch raises). Differentiable with respect to ``input`` and
    ``src``; ``Tensor.scatter_`` writes in place (recorded by autograd too, except on a view;
    a leaf that requires grad raises, as PyTorch).

    Args:
        input: any tensor.
        dim: the dim indexed.
        index: int64, as many dims as ``input``, no larger than ``src`` (and than ``input``
            outside ``dim``).
        src: a tensor of ``input``'s dtype, or a number (same as ``value``).
        value: a number written at every indexed position (keyword), instead of ``src``.
        reduce: only None is supported (use :func:`ember.scatter_add` to add).
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        ValueError: shapes that do not fit. TypeError: dtypes that differ, or a non-int64 index.
        IndexError: an index out of range. NotImplementedError: a ``reduce``.
    Example:
        >>> ember.scatter(ember.zeros(2, 3), 1, ember.tensor([[2], [0]]), 5.0)
        tensor([[0., 0., 5.],
                [5., 0., 0.]])
    """
    x, coords, vals = _scatter_parts(input, dim, index, src, value, reduce, "scatter")
    try:
        return _C.index_put(x, coords, vals).reshape(*input.shape)
    except IndexError as e:
        raise _index_error("scatter", e) from None


def _scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
              reduce: str | None = None) -> Tensor:
    """In-place :func:`scatter`; returns ``self``. Recorded by autograd (gradients to ``self``'s
    history and to ``src``; through a view, to its base's history too).

    Raises:
        RuntimeError: ``self`` is a leaf (or a view of one) that requires grad, as PyTorch.
    """
    op = "scatter_"
    if self.requires_grad and _C.is_grad_enabled() and (self.is_leaf or self._view_of_leaf):
        what = "a leaf tensor" if self.is_leaf else "a view of a leaf tensor"
        raise RuntimeError(f"{op}: {what} that requires grad is being used in an in-place "
                           "operation. Wrap the update in `with ember.no_grad():` (as optimizers "
                           "do), or work on a .clone()")
    x, coords, vals = _scatter_parts(self, dim, index, src, value, reduce, op)
    try:
        if self.dim() > 0:
            self.index_put_(coords, vals)
        elif coords[0].numel() > 0:
            # A 0-d self is overwritten whole by the out-of-place result.
            self.index_put_((), _C.index_put(x, coords, vals).reshape(()))
    except (IndexError, RuntimeError, NotImplementedError) as e:
        raise _index_error(op, e) from None
    return self


def _tri_indices(row: int, col: int, offset: int, dtype: Any, lower: bool, op: str) -> Tensor:
    if row < 0 or col < 0:
        raise ValueError(f"{op}: row and col must be >= 0, got {row} and {col}")
    r, c = np.indices((row, col))
    keep = (c - r <= offset) if lower else (c - r >= offset)
    out = np.stack([r[keep], c[keep]])
    dt = _DT.int64 if dtype is None else dtype
    return _from_np(out.astype(np.int64)).to(dt)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """Coordinates of the lower triangle (``col - row <= offset``) of a ``row x col`` matrix,
    in row-major order.

    Args:
        row, col: the matrix shape.
        offset: the diagonal bounding the triangle (> 0 above the main one). Default 0.
        dtype: result dtype (keyword-only). Default int64.
    Returns:
        Tensor: shape ``(2, count)``: rows then columns.
    Raises:
        ValueError: a negative ``row`` or ``col``.
    Example:
        >>> ember.tril_indices(2, 2)
        tensor([[0, 1, 1],
                [0, 0, 1]])
    """
    return _tri_indices(row, col, offset, dtype, True, "tril_indices")


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """Coordinates of the upper triangle (``col - row >= offset``) of a ``row x col`` matrix,
    in row-major order.

    Args:
        row, col: the matrix shape.
        offset: the diagonal bounding the triangle (> 0 above the main one). Default 0.
        dtype: result dtype (keyword-only). Default int64.
    Returns:
        Tensor: shape ``(2, count)``: rows then columns.
    Raises:
        ValueError: a negative ``row`` or ``col``.
    """
    return _tri_indices(row, col, offset, dtype, False, "triu_indices")


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of one element from each 1-D tensor, in row-major order.

    Args:
        *tensors: 1-D tensors of one dtype.
    Returns:
        Tensor: ``(prod(len), len(tensors))``; one tensor is returned as it is.
    Raises:
        ValueError: an input that is not 1-D. TypeError: dtypes differ.
    Example:
        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        _check_tensor(t, "cartesian_prod", "each argument")
        if t.dim() != 1:
            raise ValueError(f"cartesian_prod: expected 1-D tensors, got shape {_shp(t)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _C.stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-``r`` combinations of the elements of ``input``, as ``itertools``.

    Args:
        input: 1-D.
        r: the length of each combination, >= 0. Default 2.
        with_replacement: allow an element more than once. Default False.
    Returns:
        Tensor: ``(count, r)``, dtype of ``input`` (1-D empty for ``r == 0``); differentiable.
    Raises:
        ValueError: ``input`` not 1-D, or ``r < 0``.
    Example:
        >>> ember.combinations(ember.tensor([1, 2, 3]))
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    if input.dim() != 1:
        raise ValueError(f"combinations: expected a 1-D tensor, got shape {_shp(input)}")
    if r < 0:
        raise ValueError(f"combinations: r must be >= 0, got {r}")
    if r == 0:
        return _C._zeros([0], input.dtype)
    n = input.shape[0]
    # Index rows in lexicographic order, built one column at a time: each row is followed by
    # every allowed next index (> its last one, or >= with replacement).
    idx = np.arange(n, dtype=np.int64).reshape(-1, 1)
    for _ in range(r - 1):
        start = idx[:, -1] + (0 if with_replacement else 1)
        counts = np.maximum(n - start, 0)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        nxt = np.repeat(start, counts) + (np.arange(int(counts.sum())) - first)
        idx = np.concatenate([np.repeat(idx, counts, axis=0), nxt.reshape(-1, 1)], axis=1)
    return input.index_select(0, _idx(idx.reshape(-1))).reshape(idx.shape[0], r)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` and each row of ``x2``.

    ``out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p``; batch dims broadcast. For
    ``p = 2`` with more than 25 rows on a side (or ``compute_mode="use_mm_for_euclid_dist"``)
    the squares are expanded into one matrix product, ``|a|^2 + |b|^2 - 2 a.b`` clamped at
    1e-30, as PyTorch (faster, less exact for near points). The gradient at a zero distance is
    0 on the direct path. For ``p = inf`` each coordinate whose ``|difference|`` equals the
    distance gets the whole gradient, with its sign (PyTorch's backward; not split among ties;
    for an infinite distance PyTorch gives NaN, ember this same rule). ``p = 0`` and ``M = 0``
    give results that autograd records, with zero gradients. Traceable by ember.jit.

    Args:
        x1: ``(*, P, M)``, float32 or float64.
        x2: ``(*, R, M)``, same dtype.
        p: >= 0; 0 counts differing coordinates, ``inf`` takes the largest. Default 2.
        compute_mode: ``"use_mm_for_euclid_dist_if_necessary"`` (default),
            ``"use_mm_for_euclid_dist"`` or ``"donot_use_mm_for_euclid_dist"``.
    Returns:
        Tensor: ``(*, P, R)``.
    Raises:
        ValueError: fewer than 2 dims, different ``M``, batch dims that do not broadcast,
            ``p < 0`` or an unknown ``compute_mode``.
        TypeError: non-floating inputs or dtypes that differ.
    Example:
        >>> ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0], [0.0, 1.0]]))
        tensor([[5., 1.]])
    """
    op = "cdist"
    _check_tensor(x1, op, "x1")
    _check_tensor(x2, op, "x2")
    if x1.dim() < 2 or x2.dim() < 2:
        raise ValueError(f"{op}: x1 and x2 must have at least 2 dims, got shapes {_shp(x1)} and "
                         f"{_shp(x2)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"{op}: x1 and x2 must have the same number of columns, got shapes "
                         f"{_shp(x1)} and {_shp(x2)}")
    _check_float(x1, op, "x1")
    _same_dtype(x1, x2, op, "x1", "x2")
    p = float(p)
    if p < 0 or math.isnan(p):
        raise ValueError(f"{op}: p must be >= 0, got {p}")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{op}: compute_mode must be one of {modes}, got {compute_mode!r}")
    batch = _bshape([_shp(x1)[:-2], _shp(x2)[:-2]], op)
    P, R, M = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    a = x1 if _shp(x1)[:-2] == batch else x1.expand(*batch, P, M)
    b = x2 if _shp(x2)[:-2] == batch else x2.expand(*batch, R, M)
    dt = x1.dtype
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == "use_mm_for_euclid_dist_if_necessary" and (P > 25 or R > 25)))
    if M == 0:
        # Distance 0, still recorded by autograd (zero gradients), as PyTorch.
        return (a.unsqueeze(-2) - b.unsqueeze(-3)).sum(-1)
    if use_mm:
        an = (a * a).sum(-1, keepdim=True)
        bn = (b * b).sum(-1, keepdim=True)
        ones_a = _C._ones([*batch, P, 1], dt)
        ones_b = _C._ones([*batch, R, 1], dt)
        a_ = _C.cat([a * -2.0, an, ones_a], -1)
        b_ = _C.cat([b, ones_b, bn], -1)
        return _C.clamp(_C.matmul(a_, b_.transpose(-1, -2)), 1e-30, None).sqrt()
    diff = (a.unsqueeze(-2) - b.unsqueeze(-3)).abs()  # (*, P, R, M)
    zero, one = _C._full([], 0, dt), _C._full([], 1, dt)
    if p == 0:
        # 1 per differing coordinate, NaN for a NaN one (as PyTorch); diff * 0 (0 or NaN where
        # picked) keeps the zero gradient recorded.
        return _C.where((diff == 0) | isnan(diff), diff * 0, one).sum(-1)
    if p == 1:
        return diff.sum(-1)
    if p == _INF:
        # The largest |difference|; every coordinate reaching it gets the whole gradient (with
        # its sign), as PyTorch's backward. Base 0 for an infinite distance (inf - inf is NaN).
        m = diff.detach().max(-1, keepdim=True).values
        base = _C.where(m == _INF, zero, m)
        tie = diff == m
        return (base + _C.where(tie, diff - base, zero).sum(-1, keepdim=True)).squeeze(-1)
    if p == 2:
        s = (diff * diff).sum(-1)
    else:
        d0 = diff == 0
        s = _C.where(d0, diff, _C.where(d0, one, diff) ** p).sum(-1)
    z = s == 0  # (root has an infinite slope at 0: a safe base keeps the gradient 0 there)
    safe = _C.where(z, one, s)
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return _C.where(z, zero, root)


# ---- random and creation ----------------------------------------------------------------------


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """``steps`` values ``base ** e`` with exponents evenly spaced from ``start`` to ``end``.

    Args:
        start, end: the first and last exponents.
        steps: the number of values, >= 0.
        base: the base. Default 10.
        dtype: result dtype (keyword-only). Default float32.
        requires_grad: make the result a leaf that records gradients.
    Returns:
        Tensor: 1-D of ``steps`` values.
    Raises:
        ValueError: negative ``steps``.
    Example:
        >>> ember.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    from ._creation import _check_device

    _check_device(device)
    if steps < 0:
        raise ValueError(f"logspace: steps must be >= 0, got {steps}")
    from ._tensor import _to_dtype

    dt = _to_dtype(dtype) or _DT.float32
    i = np.arange(steps, dtype=np.float64)
    step = (float(end) - float(start)) / (steps - 1) if steps > 1 else 0.0
    # Front half from start, back half from end, as PyTorch's linspace (one step: start).
    expo = np.where(i < max(steps // 2, 1), float(start) + step * i,
                    float(end) - step * (steps - 1 - i))
    vals = np.power(float(base), expo)
    out = _from_np(vals.astype(_C._numpy_dtype(dt)))
    if requires_grad:
        out.requires_grad_(True)
    return out


def normal(mean: Any, std: Any = 1.0, size: Sequence[int] | None = None, *,
           generator: Any = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """Samples from normal distributions: ``mean + std * N(0, 1)`` elementwise.

    Forms: ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)`` (shapes broadcast), and ``normal(mean, std, size)`` for
    numbers. As in PyTorch the sample is not differentiable with respect to ``mean`` or ``std``
    (PyTorch's result records zero gradients; ember's records none).

    Args:
        mean: a floating tensor or a number.
        std: a floating tensor or a number, >= 0. Default 1.
        size: the shape, for the all-numbers form only.
        generator: an ``ember.Generator``; default the global one (keyword-only).
        dtype: the dtype of the all-numbers form (default float32).
        requires_grad: make the result a leaf that records gradients.
    Returns:
        Tensor: the broadcast shape (or ``size``).
    Raises:
        ValueError: a negative std, or ``size`` missing/extra.
        TypeError: non-floating tensors.
    Example:
        >>> ember.normal(0.0, 1.0, size=(2, 3)).shape
        (2, 3)
    """
    from ._creation import _check_device
    from ._tensor import _to_dtype

    _check_device(device)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if tensors:
        if size is not None:
            raise ValueError("normal: size is only for the form with numbers for mean and std")
        for t in tensors:
            _check_float(t, "normal", "mean" if t is mean else "std")
        dt = _to_dtype(dtype) or _result_type(*tensors)
        shape = list(_bshape([_shp(t) for t in tensors], "normal"))
    else:
        if size is None:
            raise ValueError("normal: size is required when mean and std are numbers")
        dt = _to_dtype(dtype) or _DT.float32
        shape = [int(s) for s in ((size,) if isinstance(size, numbers.Integral) else size)]
    if isinstance(std, Tensor):
        if std.numel() and not _C._jit_is_tracing() and float(_np(std).min()) < 0:
            raise ValueError("normal: std must be >= 0 everywhere")
        std = std.detach()
    elif std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std}")
    if isinstance(mean, Tensor):
        mean = mean.detach()
    eps = _C._randn(shape, dt, generator)
    out = eps * std + mean
    if out.dtype != dt:
        out = out.to(dt)
    if list(out.shape) != shape:
        out = out.expand(*shape).contiguous()
    if requires_grad:
        out.requires_grad_(True)
    return out


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Any = None) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of ``input``.

    Without replacement the draw is sequential (each category at most once), done as an
    exponential race: ``argsort(-log(u) / w)``. With replacement, inverse CDF sampling. Random
    numbers come from ember's generator (``manual_seed`` reproduces them); the streams differ
    from PyTorch's. Not traceable by ember.jit.

    Args:
        input: 1-D ``(n,)`` or 2-D ``(rows, n)`` non-negative finite weights (need not sum to 1),
            float32 or float64.
        num_samples: draws per row, > 0 (at most the number of nonzero weights without
            replacement).
        replacement: draw with replacement. Default False.
        generator: an ``ember.Generator`` (keyword-only).
    Returns:
        Tensor: int64, ``(num_samples,)`` or ``(rows, num_samples)``.
    Raises:
        ValueError: bad shape, negative/non-finite weights, a zero row, or too many samples.
        TypeError: non-floating ``input``.
    """
    op = "multinomial"
    if input.dim() not in (1, 2):
        raise ValueError(f"{op}: input must be 1-D or 2-D, got shape {_shp(input)}")
    _check_float(input, op)
    if num_samples <= 0:
        raise ValueError(f"{op}: num_samples must be > 0, got {num_samples}")
    w = _np(input).astype(np.float64).reshape(-1, input.shape[-1])
    rows, n = w.shape
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ValueError(f"{op}: probabilities must be finite and >= 0")
    if n == 0 or (w.sum(axis=1) <= 0).any():
        raise ValueError(f"{op}: each row of probabilities must have a positive sum")
    if not replacement:
        nz = int((w > 0).sum(axis=1).min())
        if num_samples > nz:
            raise ValueError(f"{op}: cannot draw {num_samples} samples without replacement from "
                             f"a row with {nz} nonzero probabilities")
    if replacement:
        u = _np(_C._rand([rows, num_samples], _DT.float64, generator))
        cdf = np.cumsum(w, axis=1)
        cdf = cdf / cdf[:, -1:]
        # The first category whose cumulative probability exceeds u (never a zero weight).
        idx = np.minimum(_search(cdf, u, right=True), n - 1)
    else:
        u = _np(_C._rand([rows, n], _DT.float64, generator))
        with np.errstate(divide="ignore"):
            keys = np.log(u) / w  # the largest keys win; zero weights give -inf
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = _idx(idx)
    return out.reshape(num_samples) if input.dim() == 1 else out


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None,
                 dtype: Any = None, device: Any = None, requires_grad: bool = False,
                 **kwargs: Any) -> Tensor:
    """Integers uniform on ``[low, high)`` with ``input``'s shape; ``randint_like(input, high)``
    uses ``low = 0``.

    Args:
        input: gives the shape (and the default dtype).
        low: the smallest value. Default 0.
        high: one above the largest value.
        generator: an ``ember.Generator`` (keyword-only).
        dtype: result dtype. Default ``input``'s.
    Returns:
        Tensor: shape of ``input``.
    Raises:
        ValueError: ``high <= low``.
    """
    from ._tensor import _to_dtype

    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint_like: high ({high}) must be larger than low ({low})")
    dt = _to_dtype(dtype) or input.dtype
    out = _C._randint(int(low), int(high), list(input.shape), dt, generator)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _install() -> None:
    """Makes the functions that PyTorch also has as Tensor methods methods here too, plus
    ``Tensor.scatter_``."""
    for name in __all__:
        if name not in _FUNCTION_ONLY:
            setattr(_C.Tensor, name, globals()[name])
    _C.Tensor.scatter_ = _scatter_
