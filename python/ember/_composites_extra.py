"""More PyTorch tensor functions written with ember's own ops, so autograd (and ember.jit, where
no value is read) follow the composition:

- indexing: ``index_add``/``index_copy``/``index_fill``/``index_reduce``, ``scatter_reduce``,
  ``masked_scatter``, ``diagonal_scatter``/``select_scatter``/``slice_scatter``, ``put``;
- shape: ``Tensor.unfold``, ``rot90``, ``fliplr``/``flipud``, the ``*stack`` and ``*split``
  functions, ``split_with_sizes``, ``narrow_copy``, ``Tensor.new_empty``, ``block_diag``,
  ``vander``, ``unravel_index``;
- math: ``diff``, ``kthvalue``, ``isin``, ``logit``, ``sinc``, ``i0``, ``gcd``/``lcm``,
  ``ldexp``/``frexp``/``nextafter``, ``cov``/``corrcoef``, ``trapezoid``/``trapz``/
  ``cumulative_trapezoid``, ``histogram``, ``dist``, ``renorm``, ``mvlgamma``, ``aminmax``;
- PyTorch's alias names (``multiply``, ``greater``, ``absolute``, ...), small Tensor queries
  (``ndimension``, ``is_signed``, ``type``, ...) and the spectral windows (``hann_window``, ...).

Each is ``ember.<name>`` and, where PyTorch has one, a ``Tensor`` method; PyTorch's in-place
forms (``index_add_``, ``logit_``, ``clip_``, ``arcsin_``, ...) write the out-of-place result
into the tensor (see ``ember._inplace``).

Where a result's layout depends on the values of an index (``index_reduce`` and
``scatter_reduce`` with ``prod``/``amax``/``amin``) or is data itself (``kthvalue``'s order,
``histogram``), numpy reads the values, as :func:`ember.sort` does; ember.jit cannot trace
those (it raises, naming the read).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _C
from ._C import Tensor
from ._C import diagonal
from ._composites import _dim, flip, isnan, movedim, norm
from ._composites_more import (
    _DT,
    _FLOATS,
    _as_tensor,
    _bshape,
    _check_float,
    _check_tensor,
    _from_np,
    _idx,
    _index_error,
    _np,
    _result_type,
    _scatter_parts,
    _shp,
    amax,
    amin,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cumprod,
)
from ._inplace import _inplace

__all__ = [
    "absolute", "aminmax", "bartlett_window", "blackman_window", "block_diag", "column_stack",
    "corrcoef", "cov", "cumulative_trapezoid", "diagonal_scatter", "diff", "dist", "divide",
    "dsplit", "dstack", "fliplr", "flipud", "frexp", "gcd", "greater", "greater_equal",
    "hamming_window", "hann_window", "histogram", "hsplit", "hstack", "i0", "index_add",
    "index_copy", "index_fill", "index_reduce", "is_complex", "is_nonzero", "is_same_size",
    "is_signed", "isin", "kaiser_window", "kthvalue", "lcm", "ldexp", "less", "less_equal", "logit",
    "masked_scatter", "mvlgamma", "narrow_copy", "negative", "nextafter", "not_equal", "put",
    "renorm", "rot90", "row_stack", "scatter_reduce", "select_scatter", "sinc", "slice_scatter",
    "split_with_sizes", "tensor_split", "trapezoid", "trapz", "unravel_index", "vander", "vsplit",
    "vstack",
]

# Functions PyTorch has only as ``torch.<name>``, not as Tensor methods.
_FUNCTION_ONLY = frozenset({
    "block_diag", "column_stack", "dstack", "hstack", "row_stack", "unravel_index", "vander",
    "vstack", "cumulative_trapezoid", "isin", "trapezoid", "trapz", "bartlett_window",
    "blackman_window", "hamming_window", "hann_window", "kaiser_window",
})

# Methods that get an in-place form ``<name>_`` computed by ember._inplace (out of place, then
# copied into the tensor), as PyTorch has them.
_INPLACE = (
    "index_add", "index_copy", "index_fill", "index_reduce", "scatter_add", "scatter_reduce",
    "masked_scatter", "put", "logit", "sinc", "i0", "gcd", "lcm", "ldexp", "nextafter",
    "renorm", "mvlgamma", "negative", "absolute", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "divide", "true_divide",
)

# In-place aliases: PyTorch's name -> ember's in-place method of the same op.
_INPLACE_ALIASES = {
    "multiply_": "mul_", "subtract_": "sub_", "fix_": "trunc_", "clip_": "clamp_",
    "arccos_": "acos_", "arccosh_": "acosh_", "arcsin_": "asin_", "arcsinh_": "asinh_",
    "arctan_": "atan_", "arctanh_": "atanh_", "arctan2_": "atan2_",
}

_INF = float("inf")
_INTS = (_DT.uint8, _DT.int32, _DT.int64)
_INDEX_DTYPES = (_DT.int64, _DT.int32)

# Named results, as PyTorch's torch.return_types.
_kthvalue_result = namedtuple("kthvalue", ("values", "indices"), module="ember.return_types")
_frexp_result = namedtuple("frexp", ("mantissa", "exponent"), module="ember.return_types")
_histogram_result = namedtuple("histogram", ("hist", "bin_edges"), module="ember.return_types")
_aminmax_result = namedtuple("aminmax", ("min", "max"), module="ember.return_types")


# ---- helpers ----------------------------------------------------------------------------------


def _tracing() -> bool:
    return _C._jit_is_tracing()


def _at_least_1d(x: Tensor) -> Tensor:
    return x.reshape(1) if x.dim() == 0 else x


def _to_float(x: Tensor) -> Tensor:
    """``x`` itself when floating, else converted to float32 (PyTorch's default dtype)."""
    return x if x.dtype in _FLOATS else x.to(_DT.float32)


def _full(shape: Sequence[int], value: Any, dtype: Any) -> Tensor:
    return _C._full([int(s) for s in shape], value, dtype)


def _index_vector(index: Any, op: str) -> Tensor:
    """``index`` checked as a 0-d or 1-D int64/int32 tensor, returned 1-D."""
    _check_tensor(index, op, "index")
    if index.dtype not in _INDEX_DTYPES:
        raise TypeError(f"{op}: index must be int64 or int32, got {index.dtype.name}")
    if index.dim() > 1:
        raise ValueError(f"{op}: index must be 0-d or 1-D, got shape {_shp(index)}")
    return index.reshape(-1)


def _index_source(input: Tensor, dim: int, index: Any, source: Any, op: str,
                  ) -> tuple[Tensor, int, Tensor, Tensor | None, list[int]]:
    """Checks the arguments of the ``index_*`` functions: returns ``input`` as at least 1-D,
    the wrapped dim, the 1-D index, ``source`` shaped like the indexed part of ``input`` (or
    None) and that shape."""
    _check_tensor(input, op)
    d = _dim(dim, input.dim(), op)
    idx = _index_vector(index, op)
    x = _at_least_1d(input)
    want = list(x.shape)
    want[d] = idx.shape[0]
    if source is None:
        return x, d, idx, None, want
    _check_tensor(source, op, "source")
    if source.dtype != input.dtype:
        raise TypeError(f"{op}: input ({input.dtype.name}) and source ({source.dtype.name}) must "
                        "have the same dtype")
    got = list(source.shape) if source.dim() else [1]
    if source.dim() != input.dim() or got != want:
        raise ValueError(f"{op}: source has shape {_shp(source)}, expected {tuple(want)} "
                         f"(input's shape {_shp(input)} with dim {d} the size of index, "
                         f"{idx.shape[0]})")
    return x, d, idx, source.reshape(*want), want


def _put_along(x: Tensor, d: int, idx: Tensor, values: Tensor, accumulate: bool, op: str) -> Tensor:
    """A copy of ``x`` with ``values`` written (or added) at ``idx`` along dim ``d``."""
    try:
        return _C.index_put(x, (None,) * d + (idx,), values, accumulate)
    except IndexError as e:
        raise _index_error(op, e) from None


def _int_scalar(value: Any, dtype: Any) -> Any:
    """A Python number as PyTorch casts a scalar argument to an integer tensor's dtype."""
    if dtype in _FLOATS or dtype == _DT.bool:
        return value
    return int(value)


def _wrap_positions(pos: np.ndarray, size: int, op: str, d: int) -> np.ndarray:
    """Index values (numpy) with negatives counted from the end, checked to be in range."""
    if pos.size and (pos.min() < -size or pos.max() >= size):
        bad = pos[(pos < -size) | (pos >= size)][0]
        raise IndexError(f"{op}: index {int(bad)} is out of bounds for dimension {d} with size "
                         f"{size}")
    return np.where(pos < 0, pos + size, pos).astype(np.int64)


def _identity(reduce: str, dtype: Any) -> Any:
    if reduce == "prod":
        return 1
    if dtype in _FLOATS:
        return -_INF if reduce == "amax" else _INF
    info = np.iinfo(_C._numpy_dtype(dtype))
    return int(info.min) if reduce == "amax" else int(info.max)


def _combine(reduce: str, a: Tensor, b: Tensor) -> Tensor:
    if reduce == "prod":
        return a * b
    return _C.maximum(a, b) if reduce == "amax" else _C.minimum(a, b)


def _grouped(rows: Tensor, pos: np.ndarray, src: Tensor, reduce: str, include_self: bool) -> Tensor:
    """``rows`` (n, k) with row ``pos[i]`` (numpy, in [0, n)) combined with ``src[i]`` (N, k)
    by ``reduce`` ("prod", "amax" or "amin").

    The sources are sorted by position and combined by a segmented log-step scan (each step
    combines a row with the one 2**j before it when both go to the same position), so the
    values go through ember ops only and the product's gradient is exact. amax/amin take
    their values without the graph and split the gradient evenly among the elements equal
    to the result, as PyTorch."""
    n_src = pos.shape[0]
    if n_src == 0:
        return rows.clone()
    order = np.argsort(pos, kind="stable")
    ps = pos[order]
    new = np.r_[True, ps[1:] != ps[:-1]]
    last = np.r_[ps[1:] != ps[:-1], True]
    longest = int(np.diff(np.r_[np.flatnonzero(new), n_src]).max())
    is_bool = rows.dtype == _DT.bool
    work_rows = rows.to(_DT.uint8) if is_bool else rows
    work_src = src.to(_DT.uint8) if is_bool else src
    even = reduce != "prod" and rows.dtype in _FLOATS and _C.is_grad_enabled() and (
        rows.requires_grad or src.requires_grad)
    if even:
        work_rows, work_src = work_rows.detach(), work_src.detach()
    ident = _identity(reduce, work_rows.dtype)
    vals = work_src.index_select(0, _idx(order))
    step = 1
    while step < longest:  # log2(longest) steps
        same = np.zeros(n_src, dtype=bool)
        same[step:] = ps[step:] == ps[:-step]
        prev = _C.cat([vals.narrow(0, 0, step), vals.narrow(0, 0, n_src - step)], 0)
        prev = _C.where(_from_np(same).reshape(n_src, 1), prev, ident)
        vals = _combine(reduce, vals, prev)
        step *= 2
    result = vals.index_select(0, _idx(np.flatnonzero(last)))
    uniq = _idx(ps[last])
    if include_self:
        result = _combine(reduce, work_rows.index_select(0, uniq), result)
    out = _C.index_put(work_rows, (uniq,), result)
    if is_bool:
        return out.to(_DT.bool)
    if even:
        return _even_split(rows, _idx(pos), src, out, uniq, include_self)
    return out


def _even_split(rows: Tensor, pos: Tensor, src: Tensor, result: Tensor, uniq: Tensor,
                include_self: bool) -> Tensor:
    """``result`` (the amax/amin of ``rows`` and ``src`` grouped by ``pos``, no graph) as a
    differentiable function of ``rows`` and ``src``: the gradient of each output element goes
    in equal parts to the elements equal to it (NaN results: to the NaN elements)."""
    zero = _C._full([], 0, rows.dtype)
    base = _C.where(result.abs() == _INF, zero, result)
    tie_rows = _C.where(isnan(result), isnan(rows.detach()), rows.detach() == result)
    if not include_self:
        hit = _C.index_put(_C._zeros([rows.shape[0], 1], _DT.bool), (uniq,),
                           _C._full([], True, _DT.bool))
        tie_rows = _C.logical_and(tie_rows, _C.logical_not(hit))
    at_src = result.index_select(0, pos)
    base_src = base.index_select(0, pos)
    tie_src = _C.where(isnan(at_src), isnan(src.detach()), src.detach() == at_src)
    count = tie_rows.to(rows.dtype) + _C.index_put(
        _C._zeros(list(rows.shape), rows.dtype), (pos,), tie_src.to(rows.dtype), True)
    total = _C.where(tie_rows, rows - base, zero) + _C.index_put(
        _C._zeros(list(rows.shape), rows.dtype), (pos,), _C.where(tie_src, src - base_src, zero),
        True)
    return base + total / count


def _mean_divide(total: Tensor, count: Tensor) -> Tensor:
    """``total / count``; integer dtypes divide with floor rounding, as PyTorch's reductions."""
    if total.dtype in _FLOATS:
        return total / count
    return _C.floor_divide(total, count)


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


# ---- indexing ---------------------------------------------------------------------------------


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``:
    ``out[..., index[i], ...] += alpha * source[..., i, ...]``; repeated indices add up.

    Differentiable with respect to ``input`` (gradient passes through) and ``source``
    (``alpha`` times the gradient read at ``index``). Traceable by ember.jit.

    Args:
        input: any shape and numeric dtype.
        dim: the dim indexed (negative counts from the end).
        index: 0-d or 1-D int64/int32; negative values count from the end (PyTorch raises).
        source: ``input``'s dtype and shape, except ``index.numel()`` along ``dim``.
        alpha: the multiplier of ``source`` (keyword-only, default 1); cast to an integer for
            integer tensors, as PyTorch.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        TypeError: an index that is not int64/int32, or ``source`` of another dtype.
        ValueError: a 2-D or larger index, or ``source`` of the wrong shape.
        IndexError: ``dim`` or an index out of range.
    Example:
        >>> ember.index_add(ember.zeros(3, 2), 0, ember.tensor([0, 2, 0]), ember.ones(3, 2))
        tensor([[2., 2.],
                [0., 0.],
                [1., 1.]])
    """
    op = "index_add"
    x, d, idx, src, _ = _index_source(input, dim, index, source, op)
    alpha = _int_scalar(alpha, input.dtype)
    if alpha != 1:
        src = src * alpha
        if src.dtype != input.dtype:
            src = src.to(input.dtype)
    return _put_along(x, d, idx, src, True, op).reshape(*input.shape)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices of ``source`` written at ``index`` along ``dim``:
    ``out[..., index[i], ...] = source[..., i, ...]``.

    Where ``index`` repeats a position, which write wins is unspecified (as PyTorch).
    Differentiable with respect to ``input`` (zero gradient at the overwritten positions) and
    ``source``. Traceable by ember.jit.

    Args:
        input: any shape and dtype.
        dim: the dim indexed.
        index: 0-d or 1-D int64/int32; negative values count from the end (PyTorch raises).
        source: ``input``'s dtype and shape, except ``index.numel()`` along ``dim``.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        TypeError: an index that is not int64/int32, or ``source`` of another dtype.
        ValueError: a 2-D or larger index, or ``source`` of the wrong shape.
        IndexError: ``dim`` or an index out of range.
    Example:
        >>> ember.index_copy(ember.zeros(3), 0, ember.tensor([2, 0]), ember.tensor([5., 7.]))
        tensor([7., 0., 5.])
    """
    op = "index_copy"
    x, d, idx, src, _ = _index_source(input, dim, index, source, op)
    return _put_along(x, d, idx, src, False, op).reshape(*input.shape)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with every element at ``index`` along ``dim`` set to ``value``.

    Differentiable with respect to ``input`` (zero gradient at the filled positions) and a
    0-d tensor ``value`` (the sum of the gradient at the filled positions). Traceable by
    ember.jit.

    Args:
        input: any shape and dtype.
        dim: the dim indexed.
        index: 0-d or 1-D int64/int32; negative values count from the end.
        value: a number or a 0-d tensor, converted to ``input``'s dtype (floats truncate toward
            zero for integer tensors).
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        TypeError: an index that is not int64/int32, or a ``value`` that is not a number or
            tensor.
        ValueError: a 2-D or larger index, or a ``value`` tensor that is not 0-d.
        IndexError: ``dim`` or an index out of range.
    Example:
        >>> ember.index_fill(ember.zeros(2, 3), 1, ember.tensor([0, 2]), -1.0)
        tensor([[-1.,  0., -1.],
                [-1.,  0., -1.]])
    """
    op = "index_fill"
    x, d, idx, _, want = _index_source(input, dim, index, None, op)
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise ValueError(f"{op}: value must be a number or a 0-d tensor, got a tensor of "
                             f"shape {_shp(value)}")
        vals = value if value.dtype == input.dtype else value.to(input.dtype)
        # A mask and where(), not index_put of the expanded value: a repeated index would
        # otherwise add its slice's gradient to value once per occurrence.
        ones = [1] * x.dim()
        hit = _put_along(_full(ones[:d] + [x.shape[d]] + ones[d + 1:], False, _DT.bool), d, idx,
                         _full([], True, _DT.bool), False, op)
        return _C.where(hit, vals, x).reshape(*input.shape)
    elif isinstance(value, numbers.Number):
        vals = _C._full([], _int_scalar(value, input.dtype), input.dtype)
    else:
        raise TypeError(f"{op}: value must be a number or a 0-d tensor, got "
                        f"{type(value).__name__}")
    return _put_along(x, d, idx, vals.expand(*want), False, op).reshape(*input.shape)


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """A copy of ``input`` where the slices at ``index`` along ``dim`` are combined with the
    slices of ``source`` by ``reduce``: ``out[..., index[i], ...] = reduce(input[..., index[i],
    ...], source[..., i, ...], ...)`` over every ``i`` with the same index.

    ``"prod"`` multiplies, ``"mean"`` averages (integer dtypes with floor division, as
    PyTorch), ``"amax"``/``"amin"`` take the largest/smallest (NaN propagates). With
    ``include_self=False`` the indexed slices of ``input`` do not take part (slices that no
    index names keep ``input``'s values). Differentiable with respect to ``input`` and
    ``source``; the product's gradient is exact with zeros, amax/amin split the gradient
    evenly among tied elements, as PyTorch. ``"mean"`` is traceable by ember.jit; the others
    read ``index`` with numpy and are not.

    Args:
        input: any shape; float32, float64 or integer (not bool, as PyTorch).
        dim: the dim indexed.
        index: 0-d or 1-D int64/int32; negative values count from the end (PyTorch raises).
        source: ``input``'s dtype and shape, except ``index.numel()`` along ``dim``.
        reduce: ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``.
        include_self: whether ``input``'s indexed slices take part (keyword-only, default
            True).
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        ValueError: an unknown ``reduce``, a 2-D or larger index, or ``source`` of the wrong
            shape.
        TypeError: bool tensors, an index that is not int64/int32, or ``source`` of another
            dtype.
        IndexError: ``dim`` or an index out of range.
    Example:
        >>> x = ember.ones(3, 2)
        >>> ember.index_reduce(x, 0, ember.tensor([0, 0, 2]), ember.tensor([[2., 3.], [4., 5.],
        ...                    [6., 7.]]), "prod")
        tensor([[ 8., 15.],
                [ 1.,  1.],
                [ 6.,  7.]])
    """
    op = "index_reduce"
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"{op}: reduce must be one of 'prod', 'mean', 'amax', 'amin', got "
                         f"{reduce!r}")
    if input.dtype == _DT.bool:
        raise TypeError(f"{op}: bool tensors are not supported (as in PyTorch); convert to "
                        "uint8 or an integer dtype")
    x, d, idx, src, want = _index_source(input, dim, index, source, op)
    if reduce == "mean":
        base = x if include_self else _put_along(x, d, idx, _full(want, 0, x.dtype), False, op)
        total = _put_along(base, d, idx, src, True, op)
        count0 = _C._ones(list(x.shape), x.dtype)
        if not include_self:
            count0 = _put_along(count0, d, idx, _full(want, 0, x.dtype), False, op)
        count = _put_along(count0, d, idx, _C._ones(want, x.dtype), True, op)
        count = _C.where(count == 0, _C._full([], 1, x.dtype), count)
        return _mean_divide(total, count).reshape(*input.shape)
    n = x.shape[d]
    pos = _wrap_positions(_np(idx).astype(np.int64), n, op, d)
    rest = [s for i, s in enumerate(x.shape) if i != d]
    k = int(np.prod(rest)) if rest else 1
    rows = movedim(x, d, 0).reshape(n, k)
    srows = movedim(src, d, 0).reshape(pos.shape[0], k)
    out = _grouped(rows, pos, srows, reduce, include_self)
    return movedim(out.reshape(n, *rest), 0, d).contiguous().reshape(*input.shape)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of ``input`` where each element ``src[i][j]`` (dim=1) is combined into
    ``out[i][index[i][j]]`` by ``reduce``.

    ``"sum"`` adds, ``"prod"`` multiplies, ``"mean"`` averages (integer dtypes with floor
    division, as PyTorch), ``"amax"``/``"amin"`` take the largest/smallest. With
    ``include_self=False`` the elements of ``input`` that receive a value do not take part.
    Only the part of ``src`` the shape of ``index`` is read. Differentiable with respect to
    ``input`` and ``src`` (amax/amin split the gradient evenly among tied elements, as
    PyTorch). ``"sum"`` and ``"mean"`` are traceable by ember.jit; the others read ``index``
    with numpy and are not.

    Args:
        input: any shape and dtype.
        dim: the dim indexed.
        index: int64, as many dims as ``input``, no larger than ``src`` (and than ``input``
            outside ``dim``); negative values count from the end (PyTorch raises).
        src: a tensor of ``input``'s dtype.
        reduce: ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``.
        include_self: whether ``input``'s elements take part (keyword-only, default True).
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        ValueError: an unknown ``reduce``, or shapes that do not fit.
        TypeError: ``src`` not a tensor or of another dtype; ``index`` not int64.
        IndexError: ``dim`` or an index out of range.
    Example:
        >>> ember.scatter_reduce(ember.zeros(3), 0, ember.tensor([0, 1, 0, 1]),
        ...                      ember.tensor([1., 2., 3., 4.]), "amax", include_self=False)
        tensor([3., 4., 0.])
    """
    op = "scatter_reduce"
    if reduce not in _REDUCES:
        raise ValueError(f"{op}: reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', "
                         f"got {reduce!r}")
    _check_tensor(input, op)
    _check_tensor(src, op, "src")
    x, coords, vals = _scatter_parts(input, dim, index, src, None, None, op)
    ishape = list(vals.shape)
    is_bool = x.dtype == _DT.bool
    if is_bool and reduce in ("sum", "mean"):
        # PyTorch adds bools as a logical or.
        x, vals = x.to(_DT.int64), vals.to(_DT.int64)
    try:
        if reduce in ("sum", "mean"):
            zeros = _full(ishape, 0, x.dtype)
            base = x if include_self else _C.index_put(x, coords, zeros)
            total = _C.index_put(base, coords, vals, True)
            if reduce == "sum":
                out = total
            else:
                count0 = _C._ones(list(x.shape), x.dtype)
                if not include_self:
                    count0 = _C.index_put(count0, coords, zeros)
                count = _C.index_put(count0, coords, _C._ones(ishape, x.dtype), True)
                count = _C.where(count == 0, _C._full([], 1, x.dtype), count)
                out = _mean_divide(total, count)
            if is_bool:
                out = out != 0
            return out.reshape(*input.shape)
    except IndexError as e:
        raise _index_error(op, e) from None
    d = _dim(dim, input.dim(), op)
    size = x.shape[d]
    full = [np.broadcast_to(np.asarray(_np(c)), ishape) for c in coords]
    full[d] = _wrap_positions(full[d].astype(np.int64), size, op, d)
    lin = np.ravel_multi_index(tuple(full), tuple(x.shape)).reshape(-1) if vals.numel() else (
        np.zeros(0, dtype=np.int64))
    out = _grouped(x.reshape(-1, 1), lin, vals.reshape(-1, 1), reduce, include_self)
    return out.reshape(*input.shape)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the positions where ``mask`` is True filled, in row-major order, with
    consecutive elements of ``source`` (read flattened).

    ``input`` and ``mask`` broadcast together. Differentiable with respect to ``input``
    (gradient where ``mask`` is False) and ``source`` (the gradient at the positions each of
    its elements went to). Traceable by ember.jit (the element count is then not checked).

    Args:
        input: any shape and dtype.
        mask: bool, broadcastable with ``input``.
        source: ``input``'s dtype, at least as many elements as ``mask`` has True values.
    Returns:
        Tensor: the broadcast shape of ``input`` and ``mask``, ``input``'s dtype.
    Raises:
        TypeError: a mask that is not bool, or ``source`` of another dtype.
        ValueError: shapes that do not broadcast, or too few elements in ``source``.
    Example:
        >>> ember.masked_scatter(ember.zeros(2, 3), ember.tensor([True, False, True]),
        ...                      ember.tensor([1., 2., 3., 4.]))
        tensor([[1., 0., 2.],
                [3., 0., 4.]])
    """
    op = "masked_scatter"
    _check_tensor(input, op)
    _check_tensor(mask, op, "mask")
    _check_tensor(source, op, "source")
    if mask.dtype != _DT.bool:
        raise TypeError(f"{op}: mask must be bool, got {mask.dtype.name}")
    if source.dtype != input.dtype:
        raise TypeError(f"{op}: input ({input.dtype.name}) and source ({source.dtype.name}) must "
                        "have the same dtype")
    shape = list(_bshape([_shp(input), _shp(mask)], op))
    x = input if list(input.shape) == shape else input.expand(*shape)
    m = mask if list(mask.shape) == shape else mask.expand(*shape)
    flat = m.reshape(-1)
    if not _tracing():
        count = int(_np(flat).sum())
        if count > source.numel():
            raise ValueError(f"{op}: mask has {count} True values but source has only "
                             f"{source.numel()} elements")
        if count == 0:
            return x.clone() if x is input else x.contiguous()
    pos = _C.cumsum(flat, 0) - 1
    pos = _C.where(flat, pos, _C._full([], 0, _DT.int64))
    picked = source.reshape(-1).index_select(0, pos).reshape(*shape)
    return _C.where(m, picked, x)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """A copy of ``input`` with the diagonal ``diagonal(input, offset, dim1, dim2)`` replaced by
    ``src``.

    Differentiable with respect to ``input`` (zero gradient on the diagonal) and ``src``.
    Traceable by ember.jit.

    Args:
        input: at least 2-D, any dtype.
        src: the diagonal's shape (``input``'s shape without ``dim1``/``dim2``, then the
            diagonal's length); converted to ``input``'s dtype.
        offset: 0 the main diagonal, > 0 above it, < 0 below. Default 0.
        dim1, dim2: the two dims of the matrices (default 0 and 1).
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        ValueError: ``input`` below 2-D, ``dim1 == dim2``, or ``src`` of the wrong shape.
        IndexError: a dim out of range.
    Example:
        >>> ember.diagonal_scatter(ember.zeros(2, 3), ember.tensor([1., 2.]), 1)
        tensor([[0., 1., 0.],
                [0., 0., 2.]])
    """
    op = "diagonal_scatter"
    _check_tensor(input, op)
    _check_tensor(src, op, "src")
    if input.dim() < 2:
        raise ValueError(f"{op}: input must have at least 2 dims, got shape {_shp(input)}")
    d1, d2 = _dim(dim1, input.dim(), op), _dim(dim2, input.dim(), op)
    if d1 == d2:
        raise ValueError(f"{op}: dim1 and dim2 must differ, got {dim1} and {dim2}")
    s1, s2 = input.shape[d1], input.shape[d2]
    length = max(min(s1, s2 - offset) if offset >= 0 else min(s1 + offset, s2), 0)
    want = [s for i, s in enumerate(input.shape) if i not in (d1, d2)] + [length]
    if list(src.shape) != want:
        raise ValueError(f"{op}: src has shape {_shp(src)}, expected the diagonal's shape "
                         f"{tuple(want)}")
    vals = src if src.dtype == input.dtype else src.to(input.dtype)
    rows = _C._arange(max(-offset, 0), max(-offset, 0) + length, 1, _DT.int64)
    cols = _C._arange(max(offset, 0), max(offset, 0) + length, 1, _DT.int64)
    moved = movedim(input, (d1, d2), (-2, -1))
    out = _C.index_put(moved, (None,) * (input.dim() - 2) + (rows, cols), vals)
    return movedim(out, (-2, -1), (d1, d2)).contiguous()


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with the slice ``input.select(dim, index)`` replaced by ``src``.

    Differentiable with respect to ``input`` and ``src``. Traceable by ember.jit.

    Args:
        input: at least 1-D, any dtype.
        src: ``input``'s shape without ``dim``; converted to ``input``'s dtype.
        dim: the dim indexed.
        index: the position along ``dim``; negative counts from the end.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        ValueError: a 0-d ``input`` or ``src`` of the wrong shape.
        IndexError: ``dim`` or ``index`` out of range.
    Example:
        >>> ember.select_scatter(ember.zeros(2, 2), ember.tensor([1., 2.]), 0, -1)
        tensor([[0., 0.],
                [1., 2.]])
    """
    op = "select_scatter"
    _check_tensor(input, op)
    _check_tensor(src, op, "src")
    if input.dim() == 0:
        raise ValueError(f"{op}: input must have at least 1 dim, got a 0-d tensor")
    d = _dim(dim, input.dim(), op)
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(f"{op}: index {index} is out of range for dim {d} of size {size} "
                         f"(shape {_shp(input)})")
    want = [s for i, s in enumerate(input.shape) if i != d]
    if list(src.shape) != want:
        raise ValueError(f"{op}: src has shape {_shp(src)}, expected the slice's shape "
                         f"{tuple(want)}")
    vals = src if src.dtype == input.dtype else src.to(input.dtype)
    idx = _C._full([1], index % size, _DT.int64)
    return _C.index_put(input, (None,) * d + (idx,), vals.unsqueeze(d))


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """A copy of ``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``.

    ``start`` and ``end`` follow Python's slicing (negative counts from the end, out-of-range
    values are clipped). Differentiable with respect to ``input`` and ``src``. Traceable by
    ember.jit.

    Args:
        input: at least 1-D, any dtype.
        src: the slice's shape; converted to ``input``'s dtype.
        dim: the dim sliced. Default 0.
        start, end: the slice's bounds (default the whole dim).
        step: > 0. Default 1.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        ValueError: a 0-d ``input``, ``step <= 0`` or ``src`` of the wrong shape.
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.slice_scatter(ember.zeros(5), ember.ones(2), start=1, step=2)
        tensor([0., 1., 0., 1., 0.])
    """
    op = "slice_scatter"
    _check_tensor(input, op)
    _check_tensor(src, op, "src")
    if input.dim() == 0:
        raise ValueError(f"{op}: input must have at least 1 dim, got a 0-d tensor")
    if step <= 0:
        raise ValueError(f"{op}: step must be > 0, got {step}")
    d = _dim(dim, input.dim(), op)
    first, stop, _ = slice(start, end, step).indices(input.shape[d])
    positions = range(first, stop, step)
    want = list(input.shape)
    want[d] = len(positions)
    if list(src.shape) != want:
        raise ValueError(f"{op}: src has shape {_shp(src)}, expected the slice's shape "
                         f"{tuple(want)}")
    if not positions:
        return input.clone()
    vals = src if src.dtype == input.dtype else src.to(input.dtype)
    idx = _C._arange(positions.start, positions.stop, positions.step, _DT.int64)
    return _C.index_put(input, (None,) * d + (idx,), vals)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source``'s elements written at ``index`` of the flattened
    (row-major) tensor; with ``accumulate`` added instead (repeated indices add up).

    Differentiable with respect to ``input`` and ``source``. Traceable by ember.jit.

    Args:
        input: any shape and dtype.
        index: int64, any shape; negative values count from the end.
        source: ``input``'s dtype, as many elements as ``index``.
        accumulate: add instead of write. Default False.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        TypeError: ``index`` not int64, or ``source`` of another dtype.
        ValueError: ``index`` and ``source`` with different numbers of elements.
        IndexError: an index outside ``[-input.numel(), input.numel())``.
    Example:
        >>> ember.put(ember.zeros(2, 2), ember.tensor([0, -1]), ember.tensor([1., 2.]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    op = "put"
    _check_tensor(input, op)
    _check_tensor(index, op, "index")
    _check_tensor(source, op, "source")
    if index.dtype != _DT.int64:
        raise TypeError(f"{op}: index must be int64, got {index.dtype.name}")
    if source.dtype != input.dtype:
        raise TypeError(f"{op}: input ({input.dtype.name}) and source ({source.dtype.name}) must "
                        "have the same dtype")
    if source.numel() != index.numel():
        raise ValueError(f"{op}: source and index must have the same number of elements, got "
                         f"{source.numel()} and {index.numel()}")
    try:
        out = _C.index_put(input.reshape(-1), (index.reshape(-1),), source.reshape(-1),
                           bool(accumulate))
    except IndexError as e:
        raise _index_error(op, e) from None
    return out.reshape(*input.shape)


# ---- shape ------------------------------------------------------------------------------------


def _unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim.

    ``out.shape`` is ``self.shape`` with ``dimension`` replaced by the number of windows
    ``(self.shape[dimension] - size) // step + 1`` and ``size`` appended. Windows may overlap
    (the gradient adds up). A copy made with ``index_select`` (PyTorch returns a strided view;
    ember has no ``as_strided``). Traceable by ember.jit.

    Args:
        dimension: the dim the windows slide along.
        size: elements per window, ``0 <= size <= self.shape[dimension]``.
        step: distance between window starts, > 0.
    Returns:
        Tensor: dtype of ``self``; ``(size,)`` for a 0-d tensor.
    Raises:
        ValueError: ``size`` larger than the dim or negative, or ``step <= 0``.
        IndexError: ``dimension`` out of range.
    Example:
        >>> ember.arange(5).unfold(0, 2, 2)
        tensor([[0, 1],
                [2, 3]])
    """
    op = "unfold"
    x = _at_least_1d(self)
    d = _dim(dimension, self.dim(), op)
    length = x.shape[d]
    if size < 0 or size > length:
        raise ValueError(f"{op}: size {size} is out of range for dim {d} of size {length} "
                         f"(expected 0 <= size <= {length})")
    if step <= 0:
        raise ValueError(f"{op}: step must be > 0, got {step}")
    count = (length - size) // step + 1
    starts = _C._arange(0, count * step, step, _DT.int64).reshape(count, 1)
    idx = (starts + _C._arange(0, size, 1, _DT.int64).reshape(1, size)).reshape(-1)
    out = x.index_select(d, idx)
    shape = list(x.shape[:d]) + [count, size] + list(x.shape[d + 1:])
    out = movedim(out.reshape(*shape), d + 1, -1)
    return out.reshape(size) if self.dim() == 0 else out


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """``input`` rotated by ``k`` quarter turns in the plane of ``dims``, from the first
    toward the second dim (counterclockwise for a matrix shown with row 0 on top).

    Differentiable; traceable by ember.jit.

    Args:
        input: at least 2-D, any dtype.
        k: number of quarter turns; negative turns the other way. Default 1.
        dims: two different dims. Default ``(0, 1)``.
    Returns:
        Tensor: ``input``'s shape with the sizes of ``dims`` swapped when ``k`` is odd.
    Raises:
        ValueError: ``dims`` not two different dims, or ``input`` below 2-D.
        IndexError: a dim out of range.
    Example:
        >>> ember.rot90(ember.tensor([[1, 2], [3, 4]]))
        tensor([[2, 4],
                [1, 3]])
    """
    op = "rot90"
    _check_tensor(input, op)
    dims = list(dims)
    if len(dims) != 2:
        raise ValueError(f"{op}: dims must name 2 dims, got {tuple(dims)}")
    if input.dim() < 2:
        raise ValueError(f"{op}: input must have at least 2 dims, got shape {_shp(input)}")
    d0, d1 = _dim(dims[0], input.dim(), op), _dim(dims[1], input.dim(), op)
    if d0 == d1:
        raise ValueError(f"{op}: dims must be different, got {tuple(dims)}")
    k %= 4
    if k == 1:
        return flip(input, [d1]).transpose(d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return flip(input, [d0]).transpose(d0, d1)
    return input.clone()


def fliplr(input: Tensor) -> Tensor:
    """``input`` with the order of its columns (dim 1) reversed, a copy.

    Args:
        input: at least 2-D, any dtype.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        ValueError: ``input`` below 2-D.
    Example:
        >>> ember.fliplr(ember.tensor([[1, 2, 3]]))
        tensor([[3, 2, 1]])
    """
    _check_tensor(input, "fliplr")
    if input.dim() < 2:
        raise ValueError(f"fliplr: input must have at least 2 dims, got shape {_shp(input)}")
    return flip(input, [1])


def flipud(input: Tensor) -> Tensor:
    """``input`` with the order of its rows (dim 0) reversed, a copy.

    Args:
        input: at least 1-D, any dtype.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        ValueError: a 0-d ``input``.
    Example:
        >>> ember.flipud(ember.tensor([1, 2, 3]))
        tensor([3, 2, 1])
    """
    _check_tensor(input, "flipud")
    if input.dim() < 1:
        raise ValueError("flipud: input must have at least 1 dim, got a 0-d tensor")
    return flip(input, [0])


def _tensor_list(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        _check_tensor(t, op, f"tensors[{i}]")
    return list(tensors)


def _cat(tensors: list[Tensor], dim: int, op: str) -> Tensor:
    try:
        return _C.cat(tensors, dim)
    except (ValueError, IndexError) as e:
        raise type(e)(f"{op}: shapes {', '.join(str(_shp(t)) for t in tensors)} cannot be "
                      f"joined along dim {dim} ({e})") from None


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Tensors joined column-wise: along dim 0 when they are 1-D, else along dim 1 (0-d
    tensors count as 1-D).

    Args:
        tensors: a non-empty list or tuple; dtypes are promoted as :func:`ember.cat`.
    Returns:
        Tensor: the concatenation.
    Raises:
        TypeError: not a list of tensors. ValueError: an empty list or sizes that differ
            outside the joined dim.
    Example:
        >>> ember.hstack([ember.tensor([1, 2]), ember.tensor(3)])
        tensor([1, 2, 3])
    """
    ts = [atleast_1d(t) for t in _tensor_list(tensors, "hstack")]
    return _cat(ts, 0 if ts[0].dim() == 1 else 1, "hstack")


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Tensors joined row-wise (along dim 0), 0-d and 1-D ones first made ``(1, n)``.

    Args:
        tensors: a non-empty list or tuple; dtypes are promoted as :func:`ember.cat`.
    Returns:
        Tensor: the concatenation, at least 2-D.
    Raises:
        TypeError: not a list of tensors. ValueError: an empty list or sizes that differ
            outside dim 0.
    Example:
        >>> ember.vstack([ember.tensor([1, 2]), ember.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
    """
    return _cat([atleast_2d(t) for t in _tensor_list(tensors, "vstack")], 0, "vstack")


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Alias of :func:`vstack`.

    Args:
        tensors: a non-empty list or tuple of tensors.
    Returns:
        Tensor: the row-wise concatenation, at least 2-D.
    Raises:
        TypeError, ValueError: as :func:`vstack`.
    Example:
        >>> ember.row_stack([ember.tensor([1]), ember.tensor([2])])
        tensor([[1],
                [2]])
    """
    return _cat([atleast_2d(t) for t in _tensor_list(tensors, "row_stack")], 0, "row_stack")


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Tensors joined depth-wise (along dim 2), each first made at least 3-D (0-d ->
    ``(1, 1, 1)``, ``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` -> ``(m, n, 1)``).

    Args:
        tensors: a non-empty list or tuple; dtypes are promoted as :func:`ember.cat`.
    Returns:
        Tensor: the concatenation, at least 3-D.
    Raises:
        TypeError: not a list of tensors. ValueError: an empty list or sizes that differ
            outside dim 2.
    Example:
        >>> ember.dstack([ember.tensor([1, 2]), ember.tensor([3, 4])]).shape
        (1, 2, 2)
    """
    return _cat([atleast_3d(t) for t in _tensor_list(tensors, "dstack")], 2, "dstack")


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Tensors joined as columns (along dim 1); 0-d and 1-D tensors become ``(n, 1)``
    columns first.

    Args:
        tensors: a non-empty list or tuple; dtypes are promoted as :func:`ember.cat`.
    Returns:
        Tensor: the concatenation, 2-D (or more when the inputs are).
    Raises:
        TypeError: not a list of tensors. ValueError: an empty list or row counts that differ.
    Example:
        >>> ember.column_stack([ember.tensor([1, 2]), ember.tensor([3, 4])])
        tensor([[1, 3],
                [2, 4]])
    """
    ts = [t.reshape(t.numel(), 1) if t.dim() <= 1 else t
          for t in _tensor_list(tensors, "column_stack")]
    return _cat(ts, 1, "column_stack")


def _bounds(i: int, n: int) -> int:
    """A split point as Python's slicing reads it: negative counts from the end, clipped."""
    if i < 0:
        i += n
    return min(max(i, 0), n)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``input`` split along ``dim``: into ``sections`` nearly equal parts (the first
    ``size % sections`` one element longer), or at the given indices (like
    ``input[:i0], input[i0:i1], ..., input[ik:]``, with Python's slice clipping).

    Args:
        input: at least 1-D.
        indices_or_sections: an int number of sections (> 0); a list/tuple of split indices;
            or an int64 tensor, 0-d (sections) or 1-D (indices).
        dim: the dim to split. Default 0.
    Returns:
        tuple[Tensor, ...]: views sharing memory with ``input``.
    Raises:
        ValueError: a 0-d ``input``, sections <= 0, or an indices tensor that is not 0-d/1-D.
        TypeError: an indices tensor that is not int64.
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.tensor_split(ember.arange(7), 3)
        (tensor([0, 1, 2]), tensor([3, 4]), tensor([5, 6]))
    """
    op = "tensor_split"
    _check_tensor(input, op)
    if input.dim() == 0:
        raise ValueError(f"{op}: input must have at least 1 dim, got a 0-d tensor")
    d = _dim(dim, input.dim(), op)
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype != _DT.int64:
            raise TypeError(f"{op}: an indices_or_sections tensor must be int64, got "
                            f"{ios.dtype.name}")
        if ios.dim() > 1:
            raise ValueError(f"{op}: an indices_or_sections tensor must be 0-d or 1-D, got shape "
                             f"{_shp(ios)}")
        ios = int(ios.item()) if ios.dim() == 0 else [int(v) for v in _np(ios)]
    if isinstance(ios, numbers.Integral) and not isinstance(ios, bool):
        sections = int(ios)
        if sections <= 0:
            raise ValueError(f"{op}: the number of sections must be > 0, got {sections}")
        q, r = divmod(n, sections)
        sizes = [q + 1] * r + [q] * (sections - r)
        out, at = [], 0
        for s in sizes:
            out.append(input.narrow(d, at, s))
            at += s
        return tuple(out)
    if not isinstance(ios, (list, tuple)):
        raise TypeError(f"{op}: indices_or_sections must be an int, a list of ints or an int64 "
                        f"tensor, got {type(ios).__name__}")
    out, start = [], 0
    for i in [int(v) for v in ios] + [n]:
        a, b = _bounds(start, n), _bounds(i, n)
        out.append(input.narrow(d, a, max(b - a, 0)))
        start = i
    return tuple(out)


def _direction_split(input: Tensor, ios: Any, op: str, min_dims: int, dim: int) -> tuple:
    _check_tensor(input, op)
    if input.dim() < min_dims:
        raise ValueError(f"{op}: input must have at least {min_dims} dims, got shape "
                         f"{_shp(input)}")
    if isinstance(ios, numbers.Integral) and not isinstance(ios, bool):
        size = input.shape[dim]
        if ios <= 0 or size % ios != 0:
            raise ValueError(f"{op}: cannot split dim {dim} of size {size} into {ios} equal "
                             "sections")
    return tensor_split(input, ios, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 1 (dim 0 for 1-D tensors); an int must divide that dim
    into equal sections.

    Args:
        input: at least 1-D.
        indices_or_sections: an int number of equal sections, or a list of split indices.
    Returns:
        tuple[Tensor, ...]: views of ``input``.
    Raises:
        ValueError: a 0-d ``input``, or a dim not divisible by the number of sections.
    Example:
        >>> [t.shape for t in ember.hsplit(ember.ones(2, 4), 2)]
        [(2, 2), (2, 2)]
    """
    d = 1 if isinstance(input, Tensor) and input.dim() > 1 else 0
    return _direction_split(input, indices_or_sections, "hsplit", 1, d)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 0 of an at least 2-D tensor; an int must divide dim 0
    into equal sections.

    Args:
        input: at least 2-D.
        indices_or_sections: an int number of equal sections, or a list of split indices.
    Returns:
        tuple[Tensor, ...]: views of ``input``.
    Raises:
        ValueError: ``input`` below 2-D, or dim 0 not divisible by the number of sections.
    Example:
        >>> [t.shape for t in ember.vsplit(ember.ones(4, 2), [1])]
        [(1, 2), (3, 2)]
    """
    return _direction_split(input, indices_or_sections, "vsplit", 2, 0)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 2 of an at least 3-D tensor; an int must divide dim 2
    into equal sections.

    Args:
        input: at least 3-D.
        indices_or_sections: an int number of equal sections, or a list of split indices.
    Returns:
        tuple[Tensor, ...]: views of ``input``.
    Raises:
        ValueError: ``input`` below 3-D, or dim 2 not divisible by the number of sections.
    Example:
        >>> [t.shape for t in ember.dsplit(ember.ones(1, 2, 4), 2)]
        [(1, 2, 2), (1, 2, 2)]
    """
    return _direction_split(input, indices_or_sections, "dsplit", 3, 2)


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``input`` along ``dim`` with the given sizes, which must add up to the size of
    ``dim``.

    Args:
        input: at least 1-D.
        split_sizes: non-negative ints summing to ``input.shape[dim]``.
        dim: the dim to split. Default 0.
    Returns:
        tuple[Tensor, ...]: ``len(split_sizes)`` views.
    Raises:
        ValueError: a negative size, or sizes that do not add up to the dim's size.
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.split_with_sizes(ember.arange(5), [2, 3])
        (tensor([0, 1]), tensor([2, 3, 4]))
    """
    op = "split_with_sizes"
    _check_tensor(input, op)
    d = _dim(dim, input.dim(), op)
    sizes = [int(s) for s in split_sizes]
    n = _at_least_1d(input).shape[d]
    if any(s < 0 for s in sizes):
        raise ValueError(f"{op}: split_sizes must be >= 0, got {sizes}")
    if sum(sizes) != n:
        raise ValueError(f"{op}: split_sizes {sizes} add up to {sum(sizes)}, expected the size of "
                         f"dim {d}, {n}")
    out, at = [], 0
    for s in sizes:
        out.append(input.narrow(d, at, s))
        at += s
    return tuple(out)


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A contiguous copy of ``input.narrow(dim, start, length)``: ``length`` elements of
    ``dim`` from ``start``.

    Args:
        input: at least 1-D.
        dim: the dim narrowed.
        start: first position; negative counts from the end.
        length: number of elements, >= 0.
    Returns:
        Tensor: ``input``'s dtype, with ``length`` along ``dim``; differentiable.
    Raises:
        ValueError: a 0-d ``input``, a negative ``length`` or a range beyond the dim.
        IndexError: ``dim`` or ``start`` out of range.
    Example:
        >>> ember.narrow_copy(ember.arange(5), 0, -2, 2)
        tensor([3, 4])
    """
    op = "narrow_copy"
    _check_tensor(input, op)
    if input.dim() == 0:
        raise ValueError(f"{op}: input must have at least 1 dim, got a 0-d tensor")
    d = _dim(dim, input.dim(), op)
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"{op}: start {start} is out of range for dim {d} of size {size}")
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise ValueError(f"{op}: start ({start}) + length ({length}) exceeds the size of dim {d} "
                         f"({size}), or length is negative")
    return input.narrow(d, start, length).contiguous().clone()


def _new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """An uninitialized tensor of shape ``size`` with ``self``'s dtype (unless ``dtype`` is
    given); ``x.new_empty(2, 3)`` and ``x.new_empty((2, 3))`` are the same.

    Args:
        size: ints or one sequence of ints.
        dtype: result dtype (keyword-only). Default ``self.dtype``.
        device: ``"cpu"`` or None.
        requires_grad: make the result a leaf that records gradients.
    Returns:
        Tensor: values are whatever the memory held.
    Raises:
        TypeError: sizes that are not ints.
    Example:
        >>> ember.ones(2, dtype=ember.int32).new_empty(3).dtype
        ember.int32
    """
    from ._creation import _shape
    from ._tensor import _check_device, _to_dtype

    _check_device(device)
    out = _C._empty(_shape(size), _to_dtype(dtype) or self.dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix with the given tensors on its diagonal and zeros elsewhere.

    0-d tensors count as ``(1, 1)`` and 1-D tensors of ``n`` elements as ``(1, n)``. Dtypes
    are promoted as :func:`ember.result_type` (0-d tensors count less). Differentiable.

    Args:
        tensors: 0-, 1- or 2-D tensors.
    Returns:
        Tensor: ``(sum of rows, sum of columns)``; ``(1, 0)`` float32 with no tensors, as
        PyTorch.
    Raises:
        ValueError: a tensor with more than 2 dims.
    Example:
        >>> ember.block_diag(ember.tensor([[1, 2]]), ember.tensor(3))
        tensor([[1, 2, 0],
                [0, 0, 3]])
    """
    op = "block_diag"
    for i, t in enumerate(tensors):
        _check_tensor(t, op, f"tensors[{i}]")
        if t.dim() > 2:
            raise ValueError(f"{op}: tensors must have 2 or fewer dims, tensors[{i}] has shape "
                             f"{_shp(t)}")
    if not tensors:
        return _C._zeros([1, 0], _DT.float32)
    dt = _result_type(*tensors)
    mats = [t.reshape(1, t.numel()) if t.dim() < 2 else t for t in tensors]
    mats = [m if m.dtype == dt else m.to(dt) for m in mats]
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        parts = [_C._zeros([r, left], dt), m, _C._zeros([r, width - left - c], dt)]
        rows.append(_C.cat(parts, 1))
        left += c
    return _C.cat(rows, 0)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of ``x``: column ``j`` is ``x ** (N - 1 - j)`` (decreasing
    powers), or ``x ** j`` with ``increasing=True``.

    Powers are running products (as PyTorch), so the gradient is exact at zero. Integer and
    bool inputs give int64.

    Args:
        x: 1-D tensor.
        N: number of columns, >= 0. Default ``len(x)``.
        increasing: powers increase left to right. Default False.
    Returns:
        Tensor: ``(len(x), N)``; int64 for integer/bool ``x``, else ``x``'s dtype.
    Raises:
        ValueError: ``x`` not 1-D, or ``N < 0``.
    Example:
        >>> ember.vander(ember.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [4, 2, 1],
                [9, 3, 1]])
    """
    op = "vander"
    _check_tensor(x, op, "x")
    if x.dim() != 1:
        raise ValueError(f"{op}: x must be 1-D, got shape {_shp(x)}")
    n = x.shape[0]
    cols = n if N is None else int(N)
    if cols < 0:
        raise ValueError(f"{op}: N must be >= 0, got {cols}")
    dt = x.dtype if x.dtype in _FLOATS else _DT.int64
    if cols == 0:
        return _C._zeros([n, 0], dt)
    xs = x if x.dtype == dt else x.to(dt)
    out = _C._ones([n, 1], dt)
    if cols > 1:
        powers = cumprod(xs.reshape(n, 1).expand(n, cols - 1), 1)
        out = _C.cat([out, powers], 1)
    return out if increasing else flip(out, [1])


def unravel_index(indices: Tensor, shape: int | Sequence[int]) -> tuple[Tensor, ...]:
    """The coordinates, in a tensor of ``shape``, of flat (row-major) ``indices``.

    Negative indices count from the end. Traceable by ember.jit (indices are then not
    range-checked).

    Args:
        indices: integer tensor (uint8, int32 or int64), any shape.
        shape: an int or a sequence of non-negative ints.
    Returns:
        tuple[Tensor, ...]: one int64 tensor of ``indices``' shape per dim of ``shape``
        (an empty tuple for ``shape == ()``).
    Raises:
        TypeError: ``indices`` not an integer tensor.
        ValueError: a negative size, or a shape without elements.
        IndexError: an index outside ``[-prod(shape), prod(shape))`` (PyTorch wraps such
            indices around silently).
    Example:
        >>> ember.unravel_index(ember.tensor([4, -1]), (2, 3))
        (tensor([1, 1]), tensor([1, 2]))
    """
    op = "unravel_index"
    _check_tensor(indices, op, "indices")
    if indices.dtype not in _INTS:
        raise TypeError(f"{op}: indices must be an integer tensor, got {indices.dtype.name}")
    dims = [int(shape)] if isinstance(shape, numbers.Integral) else [int(s) for s in shape]
    if any(s < 0 for s in dims):
        raise ValueError(f"{op}: shape must not have negative sizes, got {tuple(dims)}")
    if not dims:
        return ()
    total = int(np.prod(dims))
    if total == 0:
        raise ValueError(f"{op}: shape {tuple(dims)} has no elements")
    idx = indices if indices.dtype == _DT.int64 else indices.to(_DT.int64)
    if not _tracing() and idx.numel():
        vals = _np(idx)
        if vals.min() < -total or vals.max() >= total:
            bad = vals[(vals < -total) | (vals >= total)].reshape(-1)[0]
            raise IndexError(f"{op}: index {int(bad)} is out of range for shape {tuple(dims)} "
                             f"with {total} elements")
    idx = _C.remainder(idx, total)
    out, stride = [], total
    for s in dims:
        stride //= s
        out.append(_C.remainder(_C.floor_divide(idx, stride), s))
    return tuple(out)


# ---- math -------------------------------------------------------------------------------------


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``, applied
    ``n`` times, after joining ``prepend`` before and ``append`` after ``input`` along ``dim``.

    Bool tensors give ``x[i + 1] != x[i]`` (logical xor). Differentiable; traceable by
    ember.jit.

    Args:
        input: at least 1-D, any dtype.
        n: how many times to difference, >= 0 (0 returns a copy of ``input``, without
            ``prepend`` and ``append``, as PyTorch). Default 1.
        dim: the dim to difference. Default -1.
        prepend, append: tensors with ``input``'s number of dims and sizes (except along
            ``dim``), joined on each side; dtypes are promoted as :func:`ember.cat`.
    Returns:
        Tensor: ``dim`` shortened by ``n`` (never below 0).
    Raises:
        ValueError: a 0-d ``input``, ``n < 0``, or ``prepend``/``append`` of a wrong shape.
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.diff(ember.tensor([1, 3, 6, 10]))
        tensor([2, 3, 4])
        >>> ember.diff(ember.tensor([1, 3, 6, 10]), n=2, prepend=ember.tensor([0]))
        tensor([1, 1, 1])
    """
    op = "diff"
    _check_tensor(input, op)
    if input.dim() == 0:
        raise ValueError(f"{op}: input must have at least 1 dim, got a 0-d tensor")
    if n < 0:
        raise ValueError(f"{op}: n (the order) must be >= 0, got {n}")
    d = _dim(dim, input.dim(), op)
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        _check_tensor(t, op, name)
        same = t.dim() == input.dim() and all(
            a == b for i, (a, b) in enumerate(zip(t.shape, input.shape)) if i != d)
        if not same:
            raise ValueError(f"{op}: {name} has shape {_shp(t)}, expected input's shape "
                             f"{_shp(input)} except along dim {d}")
    if n == 0:  # as PyTorch: prepend and append are checked but not joined
        return input.clone()
    x = input
    if prepend is not None or append is not None:
        x = _C.cat([t for t in (prepend, input, append) if t is not None], d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = _C.logical_xor(hi, lo) if x.dtype == _DT.bool else hi - lo
    return input.clone() if x is input else x


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest element along ``dim`` and its position, as a named tuple
    ``(values, indices)``.

    NaN counts as larger than every number. Among equal elements the first in a stable sort
    is reported (PyTorch leaves the choice to its selection algorithm). The values carry the
    gradient to the reported positions. The order is found by :func:`ember.sort` (numpy), so
    ember.jit cannot trace this.

    Args:
        input: any shape; integer or floating (not bool, as PyTorch).
        k: 1-based rank, ``1 <= k <= input.shape[dim]``.
        dim: the dim searched. Default -1.
        keepdim: keep ``dim`` with size 1. Default False.
    Returns:
        kthvalue: ``values`` (``input``'s dtype) and ``indices`` (int64), ``input``'s shape
        without ``dim``.
    Raises:
        ValueError: ``k`` out of range. TypeError: a bool tensor.
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.kthvalue(ember.tensor([3., 1., 2.]), 2)
        kthvalue(values=tensor(2.), indices=tensor(2))
    """
    op = "kthvalue"
    _check_tensor(input, op)
    if input.dtype == _DT.bool:
        raise TypeError(f"{op}: bool tensors are not supported (as in PyTorch)")
    d = _dim(dim, input.dim(), op)
    x = _at_least_1d(input)
    size = x.shape[d]
    if not 1 <= k <= size:
        raise ValueError(f"{op}: k ({k}) is out of range for dim {d} of size {size} (expected "
                         f"1 <= k <= {size})")
    from ._composites import argsort

    idx = argsort(x, d).narrow(d, k - 1, 1)
    values = x.gather(d, idx)
    if input.dim() == 0:
        return _kthvalue_result(values.reshape(()), idx.reshape(()))
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _kthvalue_result(values, idx)


# Above this many element pairs isin sorts (with numpy) instead of comparing every pair.
_ISIN_PAIRS = 1 << 22


def isin(elements: Tensor | numbers.Number, test_elements: Tensor | numbers.Number, *,
         assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs in ``test_elements``.

    Values are compared after PyTorch's type promotion (``1`` is in ``[1.0]``); NaN is never
    found. Small inputs compare every pair with ember ops (traceable by ember.jit); above
    ``2**22`` pairs numpy's sorted search is used.

    Args:
        elements: a tensor or a number (not both arguments numbers).
        test_elements: a tensor or a number.
        assume_unique: accepted for PyTorch compatibility (no effect on the result).
        invert: return where the elements are *not* found. Default False.
    Returns:
        Tensor: bool, the shape of ``elements`` (0-d for a number).
    Raises:
        TypeError: bool tensors (as PyTorch), or neither argument a tensor.
    Example:
        >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([2, 5]))
        tensor([False,  True, False])
    """
    op = "isin"
    args = {"elements": elements, "test_elements": test_elements}
    if not any(isinstance(v, Tensor) for v in args.values()):
        raise TypeError(f"{op}: elements or test_elements must be a Tensor")
    for name, v in args.items():
        if isinstance(v, Tensor):
            if v.dtype == _DT.bool:
                raise TypeError(f"{op}: bool tensors are not supported (as in PyTorch), got "
                                f"{name} of dtype bool")
        elif isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{op}: {name} must be a Tensor or a number, got "
                            f"{type(v).__name__}")
    dt = _result_type(elements, test_elements)
    e = _as_tensor(elements, dt)
    t = _as_tensor(test_elements, dt)
    n, m = e.numel(), t.numel()
    if m == 0:
        hit = _C._zeros(list(e.shape), _DT.bool)
    elif n * m <= _ISIN_PAIRS or _tracing():
        hit = _C.any(e.reshape(n, 1) == t.reshape(1, m), 1).reshape(*e.shape)
    else:
        hit = _from_np(np.isin(_np(e).reshape(-1), _np(t).reshape(-1))).reshape(*e.shape)
    return _C.logical_not(hit) if invert else hit


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """The log-odds ``log(p / (1 - p))`` of each element, the inverse of sigmoid.

    With ``eps`` the input is first clamped to ``[eps, 1 - eps]`` (zero gradient outside);
    without it, 0 gives -inf, 1 gives inf and values outside ``[0, 1]`` give NaN.
    Differentiable (``1 / (p (1 - p))``); traceable by ember.jit.

    Args:
        input: probabilities in [0, 1], any shape; integer and bool inputs are computed in
            float32.
        eps: clamping margin, or None (default) for none.
    Returns:
        Tensor: shape of ``input``; its dtype if floating, else float32.
    Example:
        >>> ember.logit(ember.tensor([0.5, 0.75]))
        tensor([0.0000, 1.0986])
    """
    _check_tensor(input, "logit")
    x = _to_float(input)
    if eps is not None:
        x = _C.clamp(x, eps, 1 - eps)
    # log(p) - log1p(-p), not log(p / (1 - p)): its gradient 1/p + 1/(1 - p) is inf at 0 and 1
    # as PyTorch's, where the quotient's backward multiplies inf by 0 (NaN).
    return _C.log(x) - _C.log1p(-x)


# sin(t) / t = sum_k (-1)^k t^(2k) / (2k + 1)!: for |t| < 1 the terms after k = 9 are below
# 1e-19 of the sum, so the value and its gradient are accurate to float64 rounding.
_SINC_SERIES = [(-1) ** k / math.factorial(2 * k + 1) for k in range(10)]


def sinc(input: Tensor) -> Tensor:
    """The normalized sinc function ``sin(pi x) / (pi x)``, 1 at ``x = 0``.

    Differentiable (the gradient at 0 is 0); traceable by ember.jit. For ``|pi x| < 1`` the
    value is the Taylor series ``sum_k (-1)^k (pi x)^(2k) / (2k + 1)!``, whose gradient stays
    accurate near 0 (the direct quotient's gradient ``(cos(pi x) - sinc(x)) / x`` cancels
    catastrophically there); elsewhere it is ``sin(pi x) / (pi x)``.

    Args:
        input: any shape; integer and bool inputs are computed in float32.
    Returns:
        Tensor: shape of ``input``; its dtype if floating, else float32.
    Example:
        >>> ember.sinc(ember.tensor([0.0, 0.5]))
        tensor([1.0000, 0.6366])
    """
    _check_tensor(input, "sinc")
    x = _to_float(input)
    px = x * math.pi
    small = px.abs() < 1
    zero = _C._full([], 0, x.dtype)
    one = _C._full([], 1, x.dtype)
    # Each branch sees a harmless stand-in where where() drops it, so neither its value nor
    # its gradient turns into inf or NaN (0/0, or a huge power of px in the series).
    ps = _C.where(small, px, zero)
    series = _horner(ps * ps, _SINC_SERIES)
    pd = _C.where(small, one, px)
    return _C.where(small, series, _C.sin(pd) / pd)



# I0(x) = sum_k (x^2 / 4)^k / (k!)^2 (Abramowitz & Stegun 9.6.10), used for |x| <= 20, and
# I0(x) ~ e^x / sqrt(2 pi x) * sum_k ((2k - 1)!!)^2 / (k! (8x)^k) (A&S 9.7.1) above: both agree
# with double-precision references to ~1e-15 relative error.
_I0_SWITCH = 20.0
_I0_SERIES = [1.0 / math.factorial(k) ** 2 for k in range(41)]
_I0_ASYMPTOTIC = [1.0]
for _k in range(1, 21):
    _I0_ASYMPTOTIC.append(_I0_ASYMPTOTIC[-1] * (2 * _k - 1) ** 2 / (8 * _k))
del _k


def _horner(t: Tensor, coefs: Sequence[float]) -> Tensor:
    """``sum_k coefs[k] * t**k`` by Horner's rule."""
    p = t * coefs[-1] + coefs[-2]
    for c in reversed(coefs[:-2]):
        p = p * t + c
    return p


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order zero, ``I0(x)``, elementwise.

    Computed in float64 by the power series ``sum_k (x^2/4)^k / (k!)^2`` for ``|x| <= 20`` and
    by the asymptotic expansion ``e^|x| / sqrt(2 pi |x|) * sum_k ((2k-1)!!)^2 / (k! (8|x|)^k)``
    above (about 1e-15 relative error), then rounded to the result dtype. Overflows to inf
    above ``|x| ~ 709.8``, as PyTorch. Differentiable (the gradient is ``I1(x)``); traceable
    by ember.jit.

    Args:
        input: any shape; integer and bool inputs are computed in float32.
    Returns:
        Tensor: shape of ``input``; its dtype if floating, else float32.
    Reference:
        Abramowitz & Stegun, Handbook of Mathematical Functions, 9.6.10 and 9.7.1.
    Example:
        >>> ember.i0(ember.tensor([0.0, 1.0]))
        tensor([1.0000, 1.2661])
    """
    _check_tensor(input, "i0")
    x = _to_float(input)
    x64 = x if x.dtype == _DT.float64 else x.to(_DT.float64)
    ax = x64.abs()
    small = ax <= _I0_SWITCH
    # Each branch reads a harmless value where the other one is taken, so neither overflows
    # nor sends NaN into the gradient.
    xs = _C.where(small, x64, _C._full([], 0.0, _DT.float64))
    series = _horner(xs * xs * 0.25, _I0_SERIES)
    xl = _C.where(small, _C._full([], 2 * _I0_SWITCH, _DT.float64), ax)
    asym = _C.exp(xl) * _horner(_C.reciprocal(xl), _I0_ASYMPTOTIC) / _C.sqrt(xl * (2 * math.pi))
    out = _C.where(small, series, asym)
    return out if x.dtype == _DT.float64 else out.to(x.dtype)


def _int_pair(input: Any, other: Any, op: str) -> tuple[Tensor, Tensor]:
    _check_tensor(input, op)
    _check_tensor(other, op, "other")
    for name, t in (("input", input), ("other", other)):
        if t.dtype not in _INTS:
            raise TypeError(f"{op}: {name} must be an integer tensor (uint8, int32 or int64), "
                            f"got {t.dtype.name}")
    dt = _result_type(input, other)
    shape = list(_bshape([_shp(input), _shp(other)], op))
    a = input if input.dtype == dt else input.to(dt)
    b = other if other.dtype == dt else other.to(dt)
    return a.expand(*shape), b.expand(*shape)


# Euclid's algorithm needs at most this many steps (Fibonacci numbers bound it).
_GCD_STEPS = {_DT.uint8: 14, _DT.int32: 48, _DT.int64: 94}


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor of ``|input|`` and ``|other|``, elementwise
    (``gcd(0, 0) = 0``).

    Euclid's algorithm on whole tensors (a bounded number of steps; eagerly it stops when every
    element is done). Traceable by ember.jit.

    Args:
        input, other: integer tensors (uint8, int32, int64), broadcastable.
    Returns:
        Tensor: the broadcast shape, the promoted integer dtype; never negative.
    Raises:
        TypeError: a floating or bool tensor. ValueError: shapes that do not broadcast.
    Example:
        >>> ember.gcd(ember.tensor([12, -18, 0]), ember.tensor([8, 0, 0]))
        tensor([ 4, 18,  0])
    """
    a, b = _int_pair(input, other, "gcd")
    a, b = a.abs(), b.abs()
    zero, one = _C._full([], 0, a.dtype), _C._full([], 1, a.dtype)
    for step in range(_GCD_STEPS[a.dtype]):
        nonzero = b != 0
        if step % 4 == 0 and not _tracing() and not bool(_C.any(nonzero).item()):
            break
        a, b = _C.where(nonzero, b, a), _C.where(nonzero, _C.remainder(a, _C.where(nonzero, b, one)),
                                                 zero)
    return a


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple of ``|input|`` and ``|other|``, elementwise (0 when either is
    0): ``|input / gcd * other|``, wrapping around on overflow as integer arithmetic does.

    Args:
        input, other: integer tensors (uint8, int32, int64), broadcastable.
    Returns:
        Tensor: the broadcast shape, the promoted integer dtype.
    Raises:
        TypeError: a floating or bool tensor. ValueError: shapes that do not broadcast.
    Example:
        >>> ember.lcm(ember.tensor([4, -6, 0]), ember.tensor([6, 4, 5]))
        tensor([12, 12,  0])
    """
    a, b = _int_pair(input, other, "lcm")
    g = gcd(a, b)
    zero, one = _C._full([], 0, a.dtype), _C._full([], 1, a.dtype)
    none = g == 0
    return _C.where(none, zero, (_C.floor_divide(a, _C.where(none, one, g)) * b).abs())


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2 ** other``, elementwise with broadcasting.

    With an integer ``other`` the result is exact, as C's ``ldexp`` (and PyTorch): rounded once,
    and only where it is subnormal, overflowing or underflowing only where the result itself
    does (``ldexp(2.0 ** -100, 200)`` is ``2.0 ** 100`` in float32 though ``2 ** 200`` is not
    a float32). The input is split by :func:`frexp` and the power of two applied in two factors
    that are each representable. With a floating ``other`` it is ``input * 2.0 ** other``, with
    ``2.0 ** other`` in ``other``'s dtype (as PyTorch, which overflows there too).

    Differentiable (with respect to ``input``, gradient ``2 ** other``, and a floating
    ``other``); traceable by ember.jit.

    Args:
        input: mantissas, any numeric dtype.
        other: exponents, a tensor (usually integer).
    Returns:
        Tensor: the broadcast shape; ``input``'s dtype if floating, else float32, promoted with
        a floating ``other``'s dtype.
    Raises:
        TypeError: ``other`` not a tensor. ValueError: shapes that do not broadcast.
    Example:
        >>> ember.ldexp(ember.tensor([1.0, 3.0]), ember.tensor([3, -1]))
        tensor([8.0000, 1.5000])
    """
    _check_tensor(input, "ldexp")
    _check_tensor(other, "ldexp", "other")
    if other.dtype in _FLOATS:
        return input * _C.pow(2.0, other)
    x = _to_float(input)
    dt = x.dtype
    # h1 keeps mantissa * 2**h1 normal (exact); h2 = E - h1 then rounds once. Beyond +-lim every
    # finite nonzero result is 0 or inf, and 2**h2 stays representable.
    lo, hi, lim = (-1021, 1023, 1200) if dt == _DT.float64 else (-125, 127, 200)
    mantissa, exponent = frexp(x)
    e = _C.clamp(other.to(dt), -2 * lim, 2 * lim)
    total = _C.clamp(exponent.to(dt) + e, -lim, lim)
    h1 = _C.clamp(total, lo, hi)
    return mantissa * _C.exp2(h1) * _C.exp2(total - h1)


def _pow2(e: Tensor) -> tuple[Tensor, Tensor]:
    """Two powers of two whose product is ``2 ** e`` (integer-valued float ``e``), each small
    enough not to overflow where ``2 ** e`` alone would; multiplying by both is exact."""
    h = _C.floor(e * 0.5)
    return _C.exp2(h), _C.exp2(e - h)


def _exponent(ax: Tensor) -> Tensor:
    """For finite ``ax > 0``: the integer-valued float ``e`` with ``ax * 2**-e`` in
    ``[0.5, 1)``."""
    e = _C.floor(_C.log2(ax)) + 1
    for _ in range(2):  # log2 may round across a power of two: fix by one step
        p, q = _pow2(-e)
        m = ax * p * q
        e = _C.where(m >= 1, e + 1, _C.where(m < 0.5, e - 1, e))
    return e


def frexp(input: Tensor) -> Any:
    """Splits each element into ``mantissa * 2 ** exponent`` with ``|mantissa|`` in
    ``[0.5, 1)``; zeros, infinities and NaN give themselves as mantissa and exponent 0.

    Exact for every value, subnormals included. The mantissa is differentiable (its gradient
    is ``2 ** -exponent``); traceable by ember.jit.

    Args:
        input: float32 or float64, any shape.
    Returns:
        frexp: ``mantissa`` (``input``'s dtype) and ``exponent`` (int32), both ``input``'s
        shape.
    Raises:
        TypeError: a non-floating ``input``.
    Example:
        >>> ember.frexp(ember.tensor([8.0, -3.0]))
        frexp(mantissa=tensor([ 0.5000, -0.7500]), exponent=tensor([4, 2], dtype=ember.int32))
    """
    _check_tensor(input, "frexp")
    _check_float(input, "frexp")
    ax = input.detach().abs()
    ok = _C.logical_and(ax > 0, ax < _INF)
    e = _exponent(_C.where(ok, ax, _C._full([], 1, ax.dtype)))
    e = _C.where(ok, e, _C._full([], 0, ax.dtype))
    p, q = _pow2(-e)
    mantissa = _C.where(ok, input * p * q, input)
    return _frexp_result(mantissa, e.to(_DT.int32))


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next floating-point value after ``input`` in the direction of ``other``,
    elementwise (``other`` itself where they are equal; NaN if either is NaN).

    Computed exactly from the exponent (see :func:`frexp`): one unit in the last place away
    from or toward zero, subnormals included. Not differentiable (as PyTorch); traceable by
    ember.jit.

    Args:
        input, other: float32 or float64 tensors, broadcastable.
    Returns:
        Tensor: the broadcast shape, the promoted floating dtype.
    Raises:
        TypeError: a non-floating tensor. ValueError: shapes that do not broadcast.
    Example:
        >>> ember.nextafter(ember.tensor([1.0], dtype=ember.float64),
        ...                 ember.tensor([2.0], dtype=ember.float64)).item() - 1 == 2 ** -52
        True
    """
    op = "nextafter"
    _check_tensor(input, op)
    _check_tensor(other, op, "other")
    _check_float(input, op)
    _check_float(other, op, "other")
    dt = _result_type(input, other)
    shape = list(_bshape([_shp(input), _shp(other)], op))
    x = input.detach().to(dt).expand(*shape)
    y = other.detach().to(dt).expand(*shape)
    digits, lowest = (53, -1074) if dt == _DT.float64 else (24, -149)
    big = float(np.finfo(_C._numpy_dtype(dt)).max)

    def full(v: float) -> Tensor:
        """A 0-d tensor of ``v`` in the input's dtype."""
        return _C._full([], v, dt)

    ax = x.abs()
    ok = _C.logical_and(ax > 0, ax < _INF)
    safe = _C.where(ok, ax, full(1))
    e = _exponent(safe)
    p, q = _pow2(-e)
    at_power = safe * p * q == 0.5  # |x| a power of two: the spacing below is half as large
    up = y > x
    away = _C.where(x > 0, up, y < x)
    k = _C.where(_C.logical_or(away, _C.logical_not(at_power)), e - digits, e - digits - 1)
    p, q = _pow2(_C.maximum(k, full(lowest)))
    step = p * q
    out = x + _C.where(up, step, -step)
    tiny = 2.0 ** lowest
    out = _C.where(x == 0, _C.where(up, full(tiny), full(-tiny)), out)
    out = _C.where(ax == _INF, _C.copysign(full(big), x), out)
    out = _C.where(x == y, y, out)
    return _C.where(_C.logical_or(isnan(x), isnan(y)), full(float("nan")), out)


def _cov(input: Tensor, correction: int, fweights: Any, aweights: Any, op: str) -> Tensor:
    _check_tensor(input, op)
    if input.dim() > 2:
        raise ValueError(f"{op}: input must have 2 or fewer dims (variables x observations), got "
                         f"shape {_shp(input)}")
    if input.dtype == _DT.bool:
        raise TypeError(f"{op}: bool tensors are not supported")
    x = _to_float(input)
    x = x.reshape(1, x.numel()) if x.dim() < 2 else x
    n_obs = x.shape[1]
    w = None
    for name, t in (("fweights", fweights), ("aweights", aweights)):
        if t is None:
            continue
        _check_tensor(t, op, name)
        if t.dim() > 1:
            raise ValueError(f"{op}: {name} must be 0-d or 1-D, got shape {_shp(t)}")
        if name == "fweights" and t.dtype not in _INTS:
            raise TypeError(f"{op}: fweights must be an integer tensor, got {t.dtype.name}")
        if name == "aweights" and t.dtype not in _FLOATS:
            raise TypeError(f"{op}: aweights must be float32 or float64, got {t.dtype.name}")
        if t.numel() != n_obs:
            raise ValueError(f"{op}: {name} must have one weight per observation ({n_obs}), got "
                             f"{t.numel()}")
        if not _tracing() and t.numel() and _np(t).min() < 0:
            raise ValueError(f"{op}: {name} must be >= 0")
        t = t.reshape(-1)
        w = t if w is None else w * t
    if w is None:
        xm = x - x.mean(1, keepdim=True)
        factor = n_obs - correction
        if factor <= 0:
            warnings.warn(f"{op}: degrees of freedom <= 0 (correction {correction} with "
                          f"{n_obs} observations); the result is inf or NaN", stacklevel=3)
            factor = 0
        c = _C.matmul(xm, xm.t()) / factor
    else:
        w_sum = w.sum()
        xm = x - ((x * w).sum(1) / w_sum).reshape(-1, 1)
        if aweights is None:
            factor = w_sum - correction
        else:
            factor = w_sum - correction * (w * aweights.reshape(-1)).sum() / w_sum
        if not _tracing() and float(factor.item()) <= 0:
            warnings.warn(f"{op}: degrees of freedom <= 0; the result is inf or NaN",
                          stacklevel=3)
        factor = _C.clamp(factor, 0, None)
        c = _C.matmul(xm, (xm * w).t()) / factor
    return c.squeeze()


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns).

    With weights ``w = fweights * aweights`` (each 1 when not given):
    ``avg_i = sum_j w_j x_ij / sum(w)`` and ``cov = (x - avg) diag(w) (x - avg)^T / f`` where
    ``f = sum(w) - correction`` without ``aweights`` and
    ``f = sum(w) - correction * sum(w * aweights) / sum(w)`` with them (numpy's rule). A
    non-positive ``f`` warns and gives inf/NaN. Differentiable; traceable by ember.jit.

    Args:
        input: ``(variables, observations)``, or 1-D/0-d for one variable; integer inputs are
            computed in float32 (not bool).
        correction: subtracted from the observation count: 1 (default) unbiased, 0 the
            population covariance (keyword-only).
        fweights: integer repeat counts, one per observation, >= 0 (keyword-only).
        aweights: float importance weights, one per observation, >= 0 (keyword-only).
    Returns:
        Tensor: ``(variables, variables)``, or 0-d for a single variable.
    Raises:
        ValueError: more than 2 dims, or weights of the wrong size or negative.
        TypeError: a bool input, or weights of the wrong dtype.
    Reference:
        numpy.cov (weighted form).
    Example:
        >>> ember.cov(ember.tensor([[0., 1., 2.], [2., 1., 0.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    return _cov(input, correction, fweights, aweights, "cov")


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of ``input``:
    ``cov_ij / sqrt(cov_ii cov_jj)``, clipped to [-1, 1]. A constant variable gives NaN.

    Differentiable; traceable by ember.jit.

    Args:
        input: ``(variables, observations)``, or 1-D/0-d for one variable (not bool).
    Returns:
        Tensor: ``(variables, variables)``, or 0-d for a single variable; float32 for integer
        inputs.
    Raises:
        ValueError: more than 2 dims. TypeError: a bool input.
    Example:
        >>> ember.corrcoef(ember.tensor([[0., 1., 2.], [4., 2., 0.]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    c = _cov(input, 1, None, None, "corrcoef")
    if c.dim() == 0:
        return c / c
    s = _C.sqrt(diagonal(c))
    c = c / s.reshape(-1, 1)
    c = c / s.reshape(1, -1)
    return _C.clamp(c, -1, 1)


def _trapezoid_args(y: Any, x: Any, dx: Any, dim: int, op: str) -> int:
    _check_tensor(y, op, "y")
    if x is not None and dx is not None:
        raise TypeError(f"{op}: give x or dx, not both")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{op}: x must be a Tensor of sample points (use dx= for a constant "
                        f"spacing), got {type(x).__name__}")
    if y.dtype == _DT.bool or (x is not None and x.dtype == _DT.bool):
        raise TypeError(f"{op}: bool tensors are not supported")
    if y.dim() == 0:
        raise ValueError(f"{op}: y must have at least 1 dim, got a 0-d tensor")
    return _dim(dim, y.dim(), op)


def _spacing(x: Tensor, y: Tensor, d: int, op: str) -> Tensor:
    """The differences of the sample points ``x``, shaped to broadcast with ``y``'s pairs."""
    if x.dim() == 1:
        if x.shape[0] != y.shape[d]:
            raise ValueError(f"{op}: x has {x.shape[0]} sample points but y has {y.shape[d]} "
                             f"along dim {d}; expected one x per sample")
        shape = [1] * y.dim()
        shape[d] = x.shape[0]
        x = x.reshape(*shape)
    elif x.dim() < y.dim():
        x = x.reshape(*([1] * (y.dim() - x.dim()) + list(x.shape)))
    m = x.shape[d] if d < x.dim() else 1
    k = max(m - 1, 0)  # no sample points give no differences (an empty result), as PyTorch
    return x.narrow(d, min(1, m), k) - x.narrow(d, 0, k)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
              dim: int = -1) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule.

    With sample points ``x``: ``sum_i (x[i+1] - x[i]) (y[i] + y[i+1]) / 2``; with a constant
    spacing ``dx`` (default 1): ``(sum(y) - (y[0] + y[-1]) / 2) * dx``. Differentiable with
    respect to ``y`` and ``x``; traceable by ember.jit.

    Args:
        y: values, at least 1-D (not bool).
        x: sample points: 1-D with ``y.shape[dim]`` entries, or broadcastable with ``y``.
        dx: constant spacing (keyword-only; not with ``x``). Default 1.
        dim: the dim integrated (keyword-only). Default -1.
    Returns:
        Tensor: ``y``'s shape without ``dim``; floating (float32 for integer inputs). An
        empty ``dim`` gives zeros of ``y``'s dtype.
    Raises:
        TypeError: both ``x`` and ``dx``, a non-tensor ``x`` or bool tensors.
        ValueError: a 0-d ``y`` or an ``x`` of the wrong length.
    Example:
        >>> ember.trapezoid(ember.tensor([1., 2., 4.]))
        tensor(4.5000)
        >>> ember.trapezoid(ember.tensor([1., 2., 4.]), ember.tensor([0., 1., 3.]))
        tensor(7.5000)
    """
    return _trapezoid(y, x, dx, dim, "trapezoid")


def trapz(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
          dim: int = -1) -> Tensor:
    """Alias of :func:`trapezoid`: the integral of ``y`` along ``dim`` by the trapezoidal rule.

    Args:
        y: values, at least 1-D.
        x: sample points (a tensor), or None.
        dx: constant spacing (keyword-only; not with ``x``). Default 1.
        dim: the dim integrated (keyword-only). Default -1.
    Returns:
        Tensor: ``y``'s shape without ``dim``.
    Raises:
        TypeError, ValueError: as :func:`trapezoid`.
    Example:
        >>> ember.trapz(ember.tensor([1., 2., 4.]), dx=2)
        tensor(9.)
    """
    return _trapezoid(y, x, dx, dim, "trapz")


def _trapezoid(y: Tensor, x: Any, dx: Any, dim: int, op: str) -> Tensor:
    d = _trapezoid_args(y, x, dx, dim, op)
    n = y.shape[d]
    if n == 0:
        return _C._zeros([s for i, s in enumerate(y.shape) if i != d], y.dtype)
    if x is None:
        dx = 1 if dx is None else dx
        return (y.sum(d) - (y.select(d, 0) + y.select(d, n - 1)) * 0.5) * dx
    return ((y.narrow(d, 0, n - 1) + y.narrow(d, 1, n - 1)) * _spacing(x, y, d, op)).sum(d) / 2.0


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
                         dim: int = -1) -> Tensor:
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule: element ``i`` is
    :func:`trapezoid` of ``y[..., :i + 2]``.

    Differentiable with respect to ``y`` and ``x``; traceable by ember.jit.

    Args:
        y: values, at least 1-D (not bool).
        x: sample points: 1-D with ``y.shape[dim]`` entries, or broadcastable with ``y``.
        dx: constant spacing (keyword-only; not with ``x``). Default 1.
        dim: the dim integrated (keyword-only). Default -1.
    Returns:
        Tensor: ``y``'s shape with ``dim`` one shorter; floating (float32 for integer inputs).
    Raises:
        TypeError: both ``x`` and ``dx``, a non-tensor ``x`` or bool tensors.
        ValueError: a 0-d ``y`` or an ``x`` of the wrong length.
    Example:
        >>> ember.cumulative_trapezoid(ember.tensor([1., 2., 4.]))
        tensor([1.5000, 4.5000])
    """
    op = "cumulative_trapezoid"
    d = _trapezoid_args(y, x, dx, dim, op)
    n = y.shape[d]
    m = max(n - 1, 0)
    left, right = y.narrow(d, 0, m), y.narrow(d, min(1, n), m)
    if x is None:
        dx = 1 if dx is None else dx
        return _C.cumsum((left + right) * (dx / 2.0), d)
    return _C.cumsum((left + right) * _spacing(x, y, d, op), d) / 2.0


def _linspace_like_torch(start: float, end: float, steps: int, dtype: Any) -> np.ndarray:
    """PyTorch's linspace values in ``dtype`` (its histogram edges): the first half
    ``start + step * i``, the second half ``end - step * (steps - 1 - i)``, each rounded once
    (PyTorch's CPU build fuses the multiply-add), which a wider type emulates."""
    t = np.dtype(_C._numpy_dtype(dtype)).type
    a, b = t(start), t(end)
    if steps == 1:
        return np.array([a])
    step = (b - a) / t(steps - 1)
    wide = np.float64 if t == np.float32 else np.longdouble
    i = np.arange(steps)
    out = np.where(i < steps // 2, wide(a) + wide(step) * i, wide(b) - wide(step) * (steps - 1 - i))
    return out.astype(t)


def histogram(input: Tensor, bins: int | Tensor, *, range: Sequence[float] | None = None,
              weight: Tensor | None = None, density: bool = False) -> Any:
    """A histogram of the values of ``input`` (all elements), with its bin edges.

    An int ``bins`` makes that many equal bins over ``range`` (default: the smallest to the
    largest value, widened by 0.5 each side when they are equal; ``[0, 1]`` for an empty
    input); a tensor gives the edges. Each bin holds ``edges[i] <= x < edges[i + 1]``, the last
    also its right edge; values outside the edges and NaN are not counted. Counted with numpy
    (not differentiable, not traceable by ember.jit, as PyTorch's has no gradient).

    Args:
        input: float32 or float64, any shape.
        bins: number of bins (> 0), or a 1-D non-decreasing tensor of edges of ``input``'s
            dtype.
        range: ``(min, max)`` of the equal bins, ``min <= max`` (keyword-only; int ``bins``).
        weight: per-element weights of ``input``'s shape and dtype (keyword-only).
        density: divide by the total count and the bin widths, so the histogram integrates
            to 1 (keyword-only).
    Returns:
        histogram: ``hist`` (``(bins,)``, ``input``'s dtype) and ``bin_edges``
        (``(bins + 1,)``).
    Raises:
        TypeError: a non-floating ``input``, or ``bins``/``weight`` of another dtype.
        ValueError: ``bins <= 0``, a reversed or non-finite range, decreasing edges, or a
            ``weight`` of another shape.
    Example:
        >>> ember.histogram(ember.tensor([1., 2., 1.]), bins=4, range=(0., 3.))
        histogram(hist=tensor([0., 2., 1., 0.]), bin_edges=tensor([0.0000, 0.7500, 1.5000, 2.2500, 3.0000]))
    """
    op = "histogram"
    _check_tensor(input, op)
    _check_float(input, op)
    values = _np(input).reshape(-1)
    if isinstance(bins, Tensor):
        if range is not None:
            raise ValueError(f"{op}: range cannot be given with a tensor of bin edges")
        if bins.dim() != 1 or bins.numel() == 0:
            raise ValueError(f"{op}: bins must be a number or a 1-D tensor of edges, got shape "
                             f"{_shp(bins)}")
        if bins.dtype != input.dtype:
            raise TypeError(f"{op}: bins ({bins.dtype.name}) must have input's dtype "
                            f"({input.dtype.name})")
        edges_np = _np(bins).copy()
        if (np.diff(edges_np) < 0).any():
            raise ValueError(f"{op}: the bin edges must be non-decreasing")
    else:
        if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins <= 0:
            raise ValueError(f"{op}: bins must be an int > 0 or a tensor of edges, got {bins!r}")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
            if lo > hi:
                raise ValueError(f"{op}: range min ({lo}) must not exceed max ({hi})")
        elif values.size == 0:
            lo, hi = 0.0, 1.0
        else:
            lo, hi = float(values.min()), float(values.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"{op}: the range [{lo}, {hi}] is not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges_np = _linspace_like_torch(lo, hi, int(bins) + 1, input.dtype)
    n_bins = edges_np.shape[0] - 1
    inside = (values >= edges_np[0]) & (values <= edges_np[-1])
    pos = np.minimum(np.searchsorted(edges_np, values[inside], side="right") - 1, n_bins - 1)
    w = None
    if weight is not None:
        _check_tensor(weight, op, "weight")
        if weight.dtype != input.dtype:
            raise TypeError(f"{op}: weight ({weight.dtype.name}) must have input's dtype "
                            f"({input.dtype.name})")
        if _shp(weight) != _shp(input):
            raise ValueError(f"{op}: weight has shape {_shp(weight)}, expected input's shape "
                             f"{_shp(input)}")
        w = _np(weight).reshape(-1)[inside]
    counts = np.bincount(pos, weights=w, minlength=max(n_bins, 0))[:max(n_bins, 0)]
    hist = _from_np(counts.astype(edges_np.dtype))
    edges = _from_np(edges_np)
    if density and n_bins > 0:
        hist = hist / (hist.sum() * (edges.narrow(0, 1, n_bins) - edges.narrow(0, 0, n_bins)))
    return _histogram_result(hist, edges)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast), over all elements.

    ``p`` as in :func:`ember.norm`: any positive number, ``inf`` (largest absolute
    difference), ``-inf`` (smallest) or 0 (count of differing elements). Differentiable (0
    gradient at a zero distance, as PyTorch); traceable by ember.jit.

    Args:
        input, other: floating tensors, broadcastable.
        p: the norm's order. Default 2.
    Returns:
        Tensor: 0-d, the promoted floating dtype.
    Raises:
        TypeError: integer or bool tensors. ValueError: shapes that do not broadcast.
    Example:
        >>> ember.dist(ember.tensor([0., 3.]), ember.tensor([4., 0.]))
        tensor(5.)
    """
    op = "dist"
    _check_tensor(input, op)
    _check_tensor(other, op, "other")
    _check_float(input, op)
    _check_float(other, op, "other")
    _bshape([_shp(input), _shp(other)], op)
    return norm(input - other, p)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """``input`` with each slice along ``dim`` (``input.select(dim, i)``) whose ``p``-norm
    exceeds ``maxnorm`` scaled down to norm ``maxnorm``.

    The scale is ``maxnorm / (norm + 1e-7)`` where ``norm > maxnorm``, else 1 (PyTorch's
    formula). Differentiable (through the norm too); traceable by ember.jit.

    Args:
        input: float32 or float64, at least 2-D.
        p: the norm's order, > 0 (``inf`` allowed).
        dim: the dim whose slices are renormalized.
        maxnorm: the largest norm kept, >= 0.
    Returns:
        Tensor: shape and dtype of ``input``.
    Raises:
        TypeError: a non-floating ``input``.
        ValueError: ``input`` below 2-D, ``p <= 0`` or ``maxnorm < 0``.
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.renorm(ember.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    op = "renorm"
    _check_tensor(input, op)
    _check_float(input, op)
    if input.dim() < 2:
        raise ValueError(f"{op}: input must have at least 2 dims (as PyTorch), got shape "
                         f"{_shp(input)}")
    if not p > 0:
        raise ValueError(f"{op}: p must be > 0, got {p}")
    if maxnorm < 0:
        raise ValueError(f"{op}: maxnorm must be >= 0, got {maxnorm}")
    d = _dim(dim, input.dim(), op)
    others = [i for i in range(input.dim()) if i != d]
    norms = norm(input, p, dim=others, keepdim=True)
    one = _C._full([], 1, input.dtype)
    factor = _C.where(norms > maxnorm, maxnorm / (norms + 1e-7), one)
    return input * factor


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension ``p``, elementwise:
    ``log Gamma_p(x) = p (p - 1) / 4 * log(pi) + sum_{i=0}^{p-1} lgamma(x - i / 2)``.

    Differentiable; traceable by ember.jit. Like PyTorch 2.13, no domain check: inputs at or
    below ``(p - 1) / 2`` give the lgamma values of the shifted points (inf at poles).

    Args:
        input: any shape; integer inputs are computed in float32 (not bool).
        p: the dimension, >= 1.
    Returns:
        Tensor: shape of ``input``; its dtype if floating, else float32.
    Raises:
        ValueError: ``p < 1``. TypeError: a bool input.
    Reference:
        A. K. Gupta, D. K. Nagar, Matrix Variate Distributions (2000), eq. 1.4.4.
    Example:
        >>> ember.mvlgamma(ember.tensor([2.5]), 1)
        tensor([0.2847])
    """
    op = "mvlgamma"
    _check_tensor(input, op)
    if input.dtype == _DT.bool:
        raise TypeError(f"{op}: bool tensors are not supported")
    if p < 1:
        raise ValueError(f"{op}: p must be >= 1, got {p}")
    x = _to_float(input)
    shifts = (_C._arange(0, p, 1, x.dtype) - (p - 1)) * 0.5  # -(p-1)/2, ..., -1/2, 0
    total = _C.lgamma(x.unsqueeze(-1) + shifts).sum(-1)
    return total + p * (p - 1) * math.log(math.pi) / 4


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """The smallest and largest elements, over all elements or along ``dim``, as a named tuple
    ``(min, max)``.

    Gradients are split evenly among tied elements, as :func:`ember.amin`/:func:`ember.amax`.
    Traceable by ember.jit.

    Args:
        input: any shape and dtype.
        dim: the dim reduced, or None (default) for all elements (keyword-only).
        keepdim: keep reduced dims with size 1 (keyword-only). Default False.
    Returns:
        aminmax: ``min`` and ``max``, ``input``'s dtype.
    Raises:
        ValueError: an empty reduction (no identity).
        IndexError: ``dim`` out of range.
    Example:
        >>> ember.aminmax(ember.tensor([[1, 5], [-2, 3]]), dim=1)
        aminmax(min=tensor([ 1, -2]), max=tensor([5, 3]))
    """
    op = "aminmax"
    _check_tensor(input, op)
    if dim is None:
        if input.numel() == 0:
            raise ValueError(f"{op}: cannot reduce an empty tensor (shape {_shp(input)}); the "
                             "operation has no identity")
        lo, hi = amin(input), amax(input)
        if keepdim:
            ones = [1] * input.dim()
            lo, hi = lo.reshape(*ones), hi.reshape(*ones)
        return _aminmax_result(lo, hi)
    d = _dim(dim, input.dim(), op)
    if input.dim() and input.shape[d] == 0:
        raise ValueError(f"{op}: cannot reduce dim {d} of size 0 (shape {_shp(input)}); the "
                         "operation has no identity")
    return _aminmax_result(amin(input, d, keepdim), amax(input, d, keepdim))


# ---- aliases and queries ----------------------------------------------------------------------


def negative(input: Tensor) -> Tensor:
    """Alias of :func:`ember.neg`: ``-input``, elementwise.

    Args:
        input: any numeric tensor.
    Returns:
        Tensor: shape and dtype of ``input``.
    Example:
        >>> ember.negative(ember.tensor([1, -2]))
        tensor([-1,  2])
    """
    return _C.neg(input)


def absolute(input: Tensor) -> Tensor:
    """Alias of :func:`ember.abs`: ``|input|``, elementwise.

    Args:
        input: any numeric tensor.
    Returns:
        Tensor: shape and dtype of ``input``.
    Example:
        >>> ember.absolute(ember.tensor([1, -2]))
        tensor([1, 2])
    """
    return _C.abs(input)


def greater(input: Tensor, other: Any) -> Tensor:
    """Alias of :func:`ember.gt`: ``input > other``, elementwise with broadcasting.

    Args:
        input: a tensor. other: a tensor or number.
    Returns:
        Tensor: bool, the broadcast shape.
    Example:
        >>> ember.greater(ember.tensor([1, 2]), 1)
        tensor([False,  True])
    """
    return _C.gt(input, other)


def greater_equal(input: Tensor, other: Any) -> Tensor:
    """Alias of :func:`ember.ge`: ``input >= other``, elementwise with broadcasting.

    Args:
        input: a tensor. other: a tensor or number.
    Returns:
        Tensor: bool, the broadcast shape.
    Example:
        >>> ember.greater_equal(ember.tensor([1, 2]), 2)
        tensor([False,  True])
    """
    return _C.ge(input, other)


def less(input: Tensor, other: Any) -> Tensor:
    """Alias of :func:`ember.lt`: ``input < other``, elementwise with broadcasting.

    Args:
        input: a tensor. other: a tensor or number.
    Returns:
        Tensor: bool, the broadcast shape.
    Example:
        >>> ember.less(ember.tensor([1, 2]), 2)
        tensor([ True, False])
    """
    return _C.lt(input, other)


def less_equal(input: Tensor, other: Any) -> Tensor:
    """Alias of :func:`ember.le`: ``input <= other``, elementwise with broadcasting.

    Args:
        input: a tensor. other: a tensor or number.
    Returns:
        Tensor: bool, the broadcast shape.
    Example:
        >>> ember.less_equal(ember.tensor([1, 2]), 1)
        tensor([ True, False])
    """
    return _C.le(input, other)


def not_equal(input: Tensor, other: Any) -> Tensor:
    """Alias of :func:`ember.ne`: ``input != other``, elementwise with broadcasting.

    Args:
        input: a tensor. other: a tensor or number.
    Returns:
        Tensor: bool, the broadcast shape.
    Example:
        >>> ember.not_equal(ember.tensor([1, 2]), 1)
        tensor([False,  True])
    """
    return _C.ne(input, other)


def is_signed(input: Tensor) -> bool:
    """Whether ``input``'s dtype can hold negative values (all but uint8 and bool).

    Args:
        input: a tensor.
    Returns:
        bool.
    Example:
        >>> ember.is_signed(ember.tensor([1], dtype=ember.uint8))
        False
    """
    _check_tensor(input, "is_signed")
    return input.dtype not in (_DT.uint8, _DT.bool)


def is_complex(input: Tensor) -> bool:
    """Whether ``input`` has a complex dtype: always False, ember has no complex dtypes.

    Args:
        input: a tensor.
    Returns:
        bool: False.
    Example:
        >>> ember.is_complex(ember.ones(2))
        False
    """
    _check_tensor(input, "is_complex")
    return False


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether ``input`` and ``other`` have the same shape.

    Args:
        input, other: tensors.
    Returns:
        bool.
    Example:
        >>> ember.is_same_size(ember.ones(2, 3), ember.zeros(2, 3))
        True
    """
    _check_tensor(input, "is_same_size")
    _check_tensor(other, "is_same_size", "other")
    return _shp(input) == _shp(other)


def is_nonzero(input: Tensor) -> bool:
    """Whether the single element of ``input`` is nonzero (NaN counts as nonzero).

    Args:
        input: a tensor of exactly one element, any shape.
    Returns:
        bool.
    Raises:
        RuntimeError: zero or several elements (the truth value is ambiguous), as PyTorch.
    Example:
        >>> ember.is_nonzero(ember.tensor([0.5]))
        True
    """
    _check_tensor(input, "is_nonzero")
    n = input.numel()
    if n != 1:
        what = "no values" if n == 0 else f"more than one value ({n})"
        raise RuntimeError(f"is_nonzero: the truth value of a tensor with {what} is ambiguous")
    return bool(input.reshape(()).item() != 0)


def _ndimension(self: Tensor) -> int:
    """The number of dims, as :meth:`Tensor.dim`."""
    return self.dim()


def divide(input: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``, elementwise with broadcasting, optionally rounded.

    Without ``rounding_mode`` it is true division (:func:`ember.div`; integer inputs give
    float32); ``"trunc"`` rounds the quotient toward zero and ``"floor"`` toward -inf
    (:func:`ember.floor_divide`), both keeping integer dtypes integer. Differentiable as the
    ops it calls; traceable by ember.jit. (:func:`ember.div` takes ``rounding_mode`` too.)

    Args:
        input: the dividend, a tensor or a number.
        other: the divisor, a tensor or a number.
        rounding_mode: None (default), ``"trunc"`` or ``"floor"`` (keyword-only).
    Returns:
        Tensor: the broadcast shape; float for true division, else the promoted dtype.
    Raises:
        ValueError: an unknown ``rounding_mode``, or shapes that do not broadcast.
    Example:
        >>> ember.divide(ember.tensor([7, -7]), ember.tensor([2]), rounding_mode="trunc")
        tensor([ 3, -3])
    """
    if rounding_mode is None:
        return _C.div(input, other)
    if rounding_mode == "floor":
        return _C.floor_divide(input, other)
    if rounding_mode != "trunc":
        raise ValueError(f"divide: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    dt = _result_type(input, other)
    if dt in _FLOATS:
        return _C.trunc(_C.div(input, other)).to(dt)
    a, b = _as_tensor(input, dt), _as_tensor(other, dt)
    q = _C.floor_divide(a, b)
    inexact = _C.remainder(a, b) != 0
    # Floor and truncation differ for inexact negative quotients (operands of opposite signs).
    fix = _C.logical_and(inexact, _C.logical_xor(a < 0, b < 0))
    return q + fix.to(dt)


_TYPE_NAMES = {
    _DT.float32: "FloatTensor", _DT.float64: "DoubleTensor", _DT.int32: "IntTensor",
    _DT.int64: "LongTensor", _DT.uint8: "ByteTensor", _DT.bool: "BoolTensor",
}
_TYPE_BY_NAME = {v: k for k, v in _TYPE_NAMES.items()}


def _type(self: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
    """Without ``dtype``: the PyTorch type name of this tensor (``'torch.FloatTensor'``,
    ``'torch.LongTensor'``, ...). With ``dtype``: this tensor converted to it (itself when
    already of that dtype).

    Args:
        dtype: an ember dtype, a name ember's ``to`` accepts (``"float64"``), or a type name
            ``'torch.DoubleTensor'`` / ``'ember.DoubleTensor'`` / ``'DoubleTensor'`` (Float,
            Double, Int, Long, Byte, Bool).
    Returns:
        str or Tensor.
    Raises:
        TypeError: an unknown type name (CUDA, half and complex types are not in ember).
    """
    if dtype is None:
        return "torch." + _TYPE_NAMES[self.dtype]
    from ._tensor import _to_dtype

    if isinstance(dtype, str):
        name = dtype
        for prefix in ("torch.", "ember."):
            if name.startswith(prefix):
                name = name[len(prefix):]
                break
        if name in _TYPE_BY_NAME:
            dt = _TYPE_BY_NAME[name]
        else:
            try:
                dt = _to_dtype(name)
            except TypeError:
                raise TypeError(f"type: unknown type {dtype!r}; expected one of "
                                f"{['torch.' + n for n in _TYPE_BY_NAME]} or an ember dtype"
                                ) from None
    else:
        dt = _to_dtype(dtype)
    return self if dt == self.dtype else self.to(dt)


# ---- windows ----------------------------------------------------------------------------------


def _window(op: str, window_length: int, periodic: bool, dtype: Any, device: Any,
            requires_grad: bool, values: Any) -> Tensor:
    """A window of ``window_length`` points: ``values(n, m)`` for ``n = arange(m)`` with
    ``m = window_length + 1`` when ``periodic`` (the last point dropped), else
    ``window_length``."""
    from ._tensor import _check_device, _to_dtype

    _check_device(device)
    if isinstance(window_length, bool) or not isinstance(window_length, numbers.Integral):
        raise TypeError(f"{op}: window_length must be an int, got {type(window_length).__name__}")
    if window_length < 0:
        raise ValueError(f"{op}: window_length must be >= 0, got {window_length}")
    dt = _to_dtype(dtype) or _DT.float32
    if dt not in _FLOATS:
        raise TypeError(f"{op}: dtype must be float32 or float64, got {dt.name}")
    if window_length <= 1:
        out = _C._ones([int(window_length)], dt)
    else:
        m = int(window_length) + (1 if periodic else 0)
        out = values(_C._arange(0, m, 1, dt), m)
        if periodic:
            out = out.narrow(0, 0, int(window_length)).contiguous().clone()
    if requires_grad:
        out.requires_grad_(True)
    return out


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Hann window ``w[n] = 0.5 - 0.5 cos(2 pi n / (N - 1))``, ``0 <= n < N``.

    With ``periodic`` (default) ``N = window_length + 1`` and the last point is dropped (for
    spectral analysis), else ``N = window_length`` (symmetric, for filter design).

    Args:
        window_length: number of points, >= 0 (0 gives an empty tensor, 1 gives ``[1.]``).
        periodic: as above. Default True.
        dtype: float32 (default) or float64 (keyword-only).
        layout, device: accepted for PyTorch compatibility (strided, CPU).
        requires_grad: make the result a leaf that records gradients.
    Returns:
        Tensor: ``(window_length,)``.
    Raises:
        ValueError: a negative length. TypeError: a non-floating dtype.
    Example:
        >>> ember.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _hamming("hann_window", window_length, periodic, 0.5, 0.5, dtype, device,
                    requires_grad)


def _hamming(op: str, window_length: int, periodic: bool, alpha: float, beta: float, dtype: Any,
             device: Any, requires_grad: bool) -> Tensor:
    return _window(op, window_length, periodic, dtype, device, requires_grad,
                   lambda n, m: _C.cos(n * (2 * math.pi / (m - 1))) * -beta + alpha)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, requires_grad: bool = False) -> Tensor:
    """The generalized Hamming window ``w[n] = alpha - beta cos(2 pi n / (N - 1))``.

    ``N`` as in :func:`hann_window` (``window_length + 1`` with ``periodic``, last point
    dropped).

    Args:
        window_length: number of points, >= 0.
        periodic: periodic (default True) or symmetric window.
        alpha, beta: the coefficients (default 0.54 and 0.46).
        dtype: float32 (default) or float64 (keyword-only).
        layout, device: accepted for PyTorch compatibility (strided, CPU).
        requires_grad: make the result a leaf that records gradients.
    Returns:
        Tensor: ``(window_length,)``.
    Raises:
        ValueError: a negative length. TypeError: a non-floating dtype.
    Example:
        >>> ember.hamming_window(3, periodic=False)
        tensor([0.0800, 1.0000, 0.0800])
    """
    return _hamming("hamming_window", window_length, periodic, alpha, beta, dtype, device,
                    requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Blackman window
    ``w[n] = 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``.

    ``N`` as in :func:`hann_window`.

    Args:
        window_length: number of points, >= 0.
        periodic: periodic (default True) or symmetric window.
        dtype: float32 (default) or float64 (keyword-only).
        layout, device: accepted for PyTorch compatibility (strided, CPU).
        requires_grad: make the result a leaf that records gradients.
    Returns:
        Tensor: ``(window_length,)``.
    Raises:
        ValueError: a negative length. TypeError: a non-floating dtype.
    Example:
        >>> ember.blackman_window(3, periodic=False)
        tensor([-2.9802e-08,  1.0000e+00, -2.9802e-08])
    """
    def values(n: Tensor, m: int) -> Tensor:
        """The Blackman window's values at positions ``n`` of an ``m``-point window."""
        t = n * (math.pi / (m - 1))
        return _C.cos(t * 4) * 0.08 - _C.cos(t * 2) * 0.5 + 0.42

    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   values)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Bartlett (triangular) window ``w[n] = 1 - |2 n / (N - 1) - 1|``.

    ``N`` as in :func:`hann_window`.

    Args:
        window_length: number of points, >= 0.
        periodic: periodic (default True) or symmetric window.
        dtype: float32 (default) or float64 (keyword-only).
        layout, device: accepted for PyTorch compatibility (strided, CPU).
        requires_grad: make the result a leaf that records gradients.
    Returns:
        Tensor: ``(window_length,)``.
    Raises:
        ValueError: a negative length. TypeError: a non-floating dtype.
    Example:
        >>> ember.bartlett_window(5, periodic=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    def values(n: Tensor, m: int) -> Tensor:
        """The Bartlett window's values at positions ``n`` of an ``m``-point window."""
        t = n * (2.0 / (m - 1))
        return _C.where(n < ((m - 1) >> 1) + 1, t, 2 - t)

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   values)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """The Kaiser window ``w[n] = I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta)`` with
    ``a = (N - 1) / 2`` and :func:`i0` the modified Bessel function of order zero.

    ``N`` as in :func:`hann_window`.

    Args:
        window_length: number of points, >= 0.
        periodic: periodic (default True) or symmetric window.
        beta: the shape parameter (default 12.0); larger gives a narrower window.
        dtype: float32 (default) or float64 (keyword-only).
        layout, device: accepted for PyTorch compatibility (strided, CPU).
        requires_grad: make the result a leaf that records gradients.
    Returns:
        Tensor: ``(window_length,)``.
    Raises:
        ValueError: a negative length. TypeError: a non-floating dtype.
    Reference:
        J. F. Kaiser, R. W. Schafer, "On the use of the I0-sinh window for spectrum analysis",
        IEEE Trans. ASSP 28(1), 1980.
    Example:
        >>> ember.kaiser_window(3, periodic=False, beta=0.0)
        tensor([1., 1., 1.])
    """
    def values(n: Tensor, m: int) -> Tensor:
        """The Kaiser window's values at positions ``n`` of an ``m``-point window."""
        a = (m - 1) / 2.0
        r = (n - a) / a
        arg = _C.sqrt((1 - r * r).abs()) * beta
        return i0(arg) / i0(_C._full([], beta, n.dtype))

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   values)


def _install() -> None:
    """Makes the functions that PyTorch also has as Tensor methods methods here too, adds the
    method-only ones (``unfold``, ``new_empty``, ``ndimension``, ``type``, the ``multiply``/
    ``subtract``/``fix`` aliases) and the in-place forms. Methods ember already has
    are left as they are."""
    T = Tensor

    def add(name: str, fn: Any) -> None:
        """Sets ``Tensor.<name>`` unless ember already has it."""
        if not hasattr(T, name):
            setattr(T, name, fn)

    for name in __all__:
        if name not in _FUNCTION_ONLY:
            add(name, globals()[name])
    add("unfold", _unfold)
    add("new_empty", _new_empty)
    add("ndimension", _ndimension)
    add("type", _type)
    add("multiply", T.mul)
    add("subtract", T.sub)
    add("fix", T.trunc)
    for name in _INPLACE:
        add(name + "_", _inplace(name))
    for name, existing in _INPLACE_ALIASES.items():
        add(name, getattr(T, existing))
    add("float_power_", _float_power_)


def _float_power_(self: Tensor, exponent: Any) -> Tensor:
    """In-place :func:`ember.float_power`; the result is float64, so ``self`` must be float64
    (as PyTorch).

    Raises:
        TypeError: ``self`` is not float64.
    """
    if self.dtype != _DT.float64:
        raise TypeError(f"float_power_: the result is float64 but the tensor written in place is "
                        f"{self.dtype.name}; use .double() first or the out-of-place float_power")
    return _inplace("float_power")(self, exponent)
