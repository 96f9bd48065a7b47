"""Instance and local response normalization, bilinear maps, bags of embeddings and the
channel-wise and self-normalizing dropouts (re-exported by ``ember.nn.functional``):
``instance_norm``, ``local_response_norm``, ``bilinear``, ``embedding_bag``, ``dropout1d``,
``dropout3d``, ``alpha_dropout`` and ``feature_alpha_dropout``.

Each is a composition of ember ops (``group_norm``, ``batch_norm``, ``avg_pool2d``, ``matmul``,
``embedding``, the C++ dropout masks), so autograd follows it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from .. import _C, arange, bernoulli, full, int64, no_grad, ones, tensor, zeros
from .._C import Generator, Tensor

__all__ = [
    "alpha_dropout",
    "bilinear",
    "dropout1d",
    "dropout3d",
    "embedding_bag",
    "feature_alpha_dropout",
    "instance_norm",
    "local_response_norm",
]


def _dt(t: Tensor) -> str:
    return str(t.dtype).replace("ember.", "")


def _check_tensor(x: Any, name: str, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(x).__name__}")


def _check_floating(x: Tensor, name: str, op: str) -> None:
    _check_tensor(x, name, op)
    if not x.is_floating_point():
        raise TypeError(f"{op}: expected {name} to be float32 or float64, got {_dt(x)}")


# ---- normalization -----------------------------------------------------------------------


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalization: each ``(sample, channel)`` plane is normalized by its own mean
    and biased variance, ``y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]``.

    With ``use_input_stats`` (the default) the statistics are the input's; when running
    statistics are given they are updated in place with the average over the batch of the
    per-instance statistics: ``running = (1 - momentum) * running + momentum * stat`` (the
    variance unbiased). Otherwise the running statistics normalize every instance.

    Args:
        input: ``(N, C, *)`` with at least one spatial dim, float32/float64.
        running_mean: ``(C,)`` or None.
        running_var: ``(C,)`` or None.
        weight: per-channel scale ``(C,)`` or None.
        bias: per-channel shift ``(C,)`` or None.
        use_input_stats: normalize with the input's statistics. Default True.
        momentum: running-statistics update factor in [0, 1]. Default 0.1.
        eps: added to the variance. Default 1e-5.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        ValueError: fewer than 3 dims, a single spatial element with ``use_input_stats``, a
            parameter or statistic whose shape is not ``(C,)``, or missing running statistics
            without ``use_input_stats``.
        TypeError: non-floating input.
    Reference:
        Ulyanov et al., "Instance Normalization: The Missing Ingredient for Fast Stylization",
        2016.
    Example:
        >>> y = F.instance_norm(ember.tensor([[[1.0, 3.0], [2.0, 2.0]]]))
        >>> y
        tensor([[[-1.0000,  1.0000],
                 [ 0.0000,  0.0000]]])
    """
    op = "instance_norm"
    _check_floating(input, "input", op)
    if input.dim() < 3:
        raise ValueError(
            f"{op}: expected an input of shape (N, C, *) with at least one spatial dim, got "
            f"shape {tuple(input.shape)}"
        )
    shape = tuple(int(s) for s in input.shape)
    c = shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(
                f"{op}: {name} must have shape ({c},) for input shape {shape}, got {tuple(t.shape)}"
            )
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError(
                f"{op}: use_input_stats=False needs running_mean and running_var, got None"
            )
        return _C._batch_norm(
            input, running_mean, running_var, weight, bias, False, 0.0, float(eps)
        )
    spatial = math.prod(shape[2:])
    if spatial == 1:
        raise ValueError(
            f"{op}: expected more than 1 spatial element when training, got input size {shape}"
        )
    out = _C._group_norm(input, c, weight, bias, float(eps))
    if running_mean is not None or running_var is not None:
        with no_grad():
            x = input.detach().reshape([shape[0], c, spatial])
            m = float(momentum)
            if running_mean is not None:
                mean = x.mean(2).mean(0).to(running_mean.dtype)
                running_mean.mul_(1.0 - m).add_(mean * m)
            if running_var is not None:
                var = x.var(2, unbiased=True).mean(0).to(running_var.dtype)
                running_var.mul_(1.0 - m).add_(var * m)
    return out


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Local response normalization across channels:
    ``y[n, c] = x[n, c] / (k + alpha / size * sum_{c'} x[n, c'] ** 2) ** beta``, the sum over
    the ``size`` channels ``c - size // 2 <= c' <= c + (size - 1) // 2`` (zeros beyond the
    edges).

    Args:
        input: ``(N, C, *)`` with at least one spatial dim, float32/float64.
        size: number of neighbouring channels summed (positive).
        alpha: multiplicative factor. Default 1e-4.
        beta: exponent. Default 0.75.
        k: additive factor. Default 1.0.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        ValueError: fewer than 3 dims or a non-positive ``size``.
        TypeError: non-floating input.
    Reference:
        Krizhevsky et al., "ImageNet Classification with Deep Convolutional Neural Networks",
        NeurIPS 2012.
    Example:
        >>> F.local_response_norm(ember.ones(1, 2, 1), 2, alpha=1.0, beta=1.0)
        tensor([[[0.6667],
                 [0.5000]]])
    """
    op = "local_response_norm"
    _check_floating(input, "input", op)
    if input.dim() < 3:
        raise ValueError(
            f"{op}: expected a 3-D or higher input (N, C, *), got {input.dim()} dims (shape "
            f"{tuple(input.shape)})"
        )
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0:
        raise ValueError(f"{op}: size must be a positive int, got {size!r}")
    if input.numel() == 0:
        return input
    shape = [int(s) for s in input.shape]
    div = (input * input).reshape([shape[0], 1, shape[1], -1])
    div = _C._pad(div, [0, 0, size // 2, (size - 1) // 2], "constant", 0.0)
    div = _C._avg_pool2d(div, [int(size), 1], [1, 1], [0, 0], False, True, None)
    div = (div.reshape(shape) * float(alpha) + float(k)).pow(float(beta))
    return input / div


# ---- bilinear, embedding bags --------------------------------------------------------------


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Bilinear map ``y[..., o] = sum_{i, j} x1[..., i] * weight[o, i, j] * x2[..., j] + bias[o]``.

    Args:
        input1: ``(*, in1_features)``, float32/float64.
        input2: ``(*, in2_features)`` with ``input1``'s leading dims, same dtype.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)`` or None.
    Returns:
        ``(*, out_features)``.
    Raises:
        ValueError: leading dims that differ, or feature sizes that do not match ``weight``.
        TypeError: non-floating or mismatched dtypes.
    Example:
        >>> w = ember.ones(1, 2, 2)
        >>> F.bilinear(ember.tensor([[1.0, 2.0]]), ember.tensor([[3.0, 4.0]]), w)
        tensor([[21.]])
    """
    op = "bilinear"
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        _check_floating(t, name, op)
    if bias is not None:
        _check_floating(bias, "bias", op)
    dts = {input1.dtype, input2.dtype, weight.dtype} | ({bias.dtype} if bias is not None else set())
    if len(dts) > 1:
        bd = "" if bias is None else f", bias {_dt(bias)}"
        raise TypeError(
            f"{op}: input1 {_dt(input1)}, input2 {_dt(input2)}, weight {_dt(weight)}{bd}: the "
            "dtypes must be equal"
        )
    s1, s2 = tuple(input1.shape), tuple(input2.shape)
    if input1.dim() == 0 or s1[:-1] != s2[:-1] or input1.dim() != input2.dim():
        raise ValueError(
            f"{op}: input1 {s1} and input2 {s2} must have the same leading (batch) dims"
        )
    if weight.dim() != 3:
        raise ValueError(
            f"{op}: expected a 3-D weight (out_features, in1_features, in2_features), got shape "
            f"{tuple(weight.shape)}"
        )
    o, i, j = (int(s) for s in weight.shape)
    if s1[-1] != i or s2[-1] != j:
        raise ValueError(
            f"{op}: input1.shape[-1] ({s1[-1]}) and input2.shape[-1] ({s2[-1]}) must equal "
            f"weight.shape[1] ({i}) and weight.shape[2] ({j})"
        )
    if bias is not None and tuple(bias.shape) != (o,):
        raise ValueError(f"{op}: bias must have shape ({o},), got {tuple(bias.shape)}")
    lead = list(s1[:-1])
    b = math.prod(lead)
    x1 = input1.reshape([b, i])
    x2 = input2.reshape([b, j, 1])
    t = x1.matmul(weight.permute(1, 0, 2).reshape([i, o * j])).reshape([b, o, j])
    y = t.matmul(x2).reshape([b, o])
    if bias is not None:
        y = y + bias
    return y.reshape(lead + [o])


def _check_ints(t: Tensor, name: str, op: str) -> None:
    _check_tensor(t, name, op)
    if t.dtype not in (int64, _C.dtype.int32):
        raise TypeError(f"{op}: expected {name} to be int64 or int32, got {_dt(t)}")


def _host_ints(t: Tensor, name: str, op: str) -> Any:
    _check_ints(t, name, op)
    return t.detach().numpy().astype("int64")


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, averages or takes the maximum of bags of embeddings.

    Bag ``b`` holds ``input[offsets[b]:offsets[b + 1]]`` (1-D input; the last bag runs to the
    end of ``input``, with ``include_last_offset`` too, as in PyTorch) or row ``b`` (2-D
    input). Indices equal to ``padding_idx`` are left out (and not counted by ``"mean"``); an
    empty bag gives zeros.

    The rows are looked up once for the flat index list and reduced per bag, so time and
    memory are ``O(n * embedding_dim)`` however uneven the bags are: ``"sum"`` and ``"mean"``
    add each row into its bag with an accumulating ``index_put`` by bag id (the bag id of each
    position is a cumulative sum of the bag starts); ``"max"`` runs a pairwise tournament over
    the bag's positions (1-D input: over bags grouped by length, padded to at most twice
    their length) and gathers the winning rows, ties going to the first position as in
    PyTorch, so the gradient reaches one row per bag and column.

    ember.jit can trace every mode with 2-D input and ``"sum"``/``"mean"`` with 1-D input
    (the checks that read indices and offsets on the host are skipped in a trace; the lookup
    still rejects an out-of-range index). ``"max"`` with 1-D input groups the bags on the host
    and cannot be traced.

    Args:
        input: int64/int32 indices, 1-D ``(n,)`` with ``offsets`` or 2-D ``(B, L)``.
        weight: ``(num_embeddings, embedding_dim)``, float32/float64.
        offsets: 1-D int64/int32 start of each bag (``offsets[0] == 0``, non-decreasing); only
            for 1-D input.
        max_norm: unsupported (NotImplementedError unless None).
        norm_type: used with ``max_norm`` only. Default 2.
        scale_grad_by_freq: unsupported (NotImplementedError unless False).
        mode: ``"sum"``, ``"mean"`` (default) or ``"max"``.
        sparse: unsupported (NotImplementedError unless False).
        per_sample_weights: ``input``'s shape, ``weight``'s dtype; multiplies each embedding
            before the sum (``mode="sum"`` only).
        include_last_offset: ``offsets`` has ``B + 1`` entries, the last ``len(input)`` (CSR
            format). Default False.
        padding_idx: index left out of every bag (negative counts from the end), or None.
    Returns:
        ``(B, embedding_dim)``, ``weight``'s dtype.
    Raises:
        ValueError: bad ranks, offsets (not starting at 0, decreasing or past the end),
            ``per_sample_weights`` of another shape, or an unknown mode.
        IndexError: an index outside ``[0, num_embeddings)``.
        NotImplementedError: ``per_sample_weights`` with a mode other than ``"sum"``;
            ``max_norm``, ``scale_grad_by_freq`` or ``sparse``; ``"max"`` with 1-D input
            while ember.jit traces.
        TypeError: non-integer indices or offsets, non-floating weight.
    Example:
        >>> w = ember.tensor([[1.0, 1.0], [2.0, 4.0], [3.0, 9.0]])
        >>> F.embedding_bag(ember.tensor([0, 1, 2]), w, ember.tensor([0, 2]), mode="sum")
        tensor([[3., 5.],
                [3., 9.]])
    """
    op = "embedding_bag"
    _check_floating(weight, "weight", op)
    if weight.dim() != 2:
        raise ValueError(
            f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got shape "
            f"{tuple(weight.shape)}"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{op}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            f"{op}: max_norm, scale_grad_by_freq and sparse are not supported"
        )
    if per_sample_weights is not None:
        _check_tensor(per_sample_weights, "per_sample_weights", op)
        if mode != "sum":
            raise NotImplementedError(
                f"{op}: per_sample_weights is only supported for mode='sum', got mode={mode!r}"
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"{op}: per_sample_weights shape {tuple(per_sample_weights.shape)} must equal "
                f"the input shape {tuple(input.shape)}"
            )
        if per_sample_weights.dtype != weight.dtype:
            raise TypeError(
                f"{op}: per_sample_weights dtype {_dt(per_sample_weights)} must equal weight's "
                f"{_dt(weight)}"
            )
    _check_ints(input, "input", op)
    num, dim = (int(s) for s in weight.shape)
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(
                f"{op}: padding_idx ({padding_idx}) must be within num_embeddings ({num})"
            )
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
    # Value checks read the indices on the host; a trace cannot, so it skips them (the
    # embedding op still rejects an out-of-range index).
    checked = not _C._jit_is_tracing()
    if checked:
        idx_np = _host_ints(input, "input", op)
        if idx_np.size and (idx_np.min() < 0 or idx_np.max() >= num):
            bad = int(idx_np.min() if idx_np.min() < 0 else idx_np.max())
            raise IndexError(
                f"{op}: index {bad} is out of range for num_embeddings {num} (weight shape "
                f"{tuple(weight.shape)})"
            )
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                f"{op}: if input is 2-D (bags of fixed length), offsets must be None, got "
                f"offsets of shape {tuple(offsets.shape)}"
            )
        nbags, length = (int(s) for s in input.shape)
        if nbags == 0 or length == 0:
            return _empty_bags(weight, nbags, per_sample_weights)
        if mode == "max":
            pad = None if padding_idx is None else input == padding_idx
            out = weight.gather(0, _max_rows(weight, input, pad))
            return out if pad is None else out.masked_fill(pad.all(1).unsqueeze(-1), 0.0)
        flat = input.reshape([-1])
        bag = arange(nbags, device=weight.device).unsqueeze(1).expand([nbags, length])
        bag = bag.reshape([-1])
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError(f"{op}: a 1-D input needs offsets (a 1-D tensor), got None")
        _check_ints(offsets, "offsets", op)
        if offsets.dim() != 1:
            raise ValueError(f"{op}: offsets must be 1-D, got shape {tuple(offsets.shape)}")
        n = int(input.shape[0])
        nstarts = int(offsets.shape[0])
        if include_last_offset and nstarts == 0:
            raise ValueError(f"{op}: include_last_offset needs at least one offset, got none")
        # As PyTorch: with include_last_offset the last offset only counts the bags; the last
        # bag runs to the end of input.
        nbags = nstarts - 1 if include_last_offset else nstarts
        starts = offsets.narrow(0, 0, nbags)
        if checked:
            off = _host_ints(offsets, "offsets", op)
            if off.size and off[0] != 0:
                raise ValueError(
                    f"{op}: offsets[0] must be 0 (the first bag starts at position 0), got {off[0]}"
                )
            if off.size and off[-1] > n:
                raise ValueError(
                    f"{op}: offsets[-1] ({off[-1]}) cannot be greater than the input length ({n})"
                )
            if np.any(np.diff(off) < 0):
                raise ValueError(f"{op}: offsets must be non-decreasing, got {off.tolist()}")
        if nbags == 0 or n == 0:
            return _empty_bags(weight, nbags, per_sample_weights)
        if mode == "max":
            if not checked:
                raise NotImplementedError(
                    f"{op}: mode='max' with 1-D input and offsets groups the bags on the host "
                    f"and cannot be traced by ember.jit; use 2-D input or mode 'sum'/'mean'"
                )
            rows, empty = _ragged_max_rows(weight, idx_np, off[:nbags], padding_idx)
            out = weight.gather(0, rows)
            return out if empty is None else out.masked_fill(empty, 0.0)
        flat = input
        # Bag id of each position: how many bags start at or before it, minus one.
        starts_at = zeros(n + 1, dtype=int64, device=weight.device).index_put(
            (starts,), ones(nbags, dtype=int64, device=weight.device), True
        )
        bag = starts_at.narrow(0, 0, n).cumsum(0) - 1
    else:
        raise ValueError(f"{op}: input must be 1-D or 2-D, got shape {tuple(input.shape)}")
    emb = _C._embedding(weight, flat, -1 if padding_idx is None else padding_idx)
    if per_sample_weights is not None:
        emb = emb * per_sample_weights.reshape([-1, 1])
    nrows = nbags
    if padding_idx is not None:
        # Padding positions go to one extra row that is dropped: out of the sums and counts.
        bag = bag.masked_fill(flat == padding_idx, nbags)
        nrows = nbags + 1
    total = weight.new_zeros((nrows, dim)).index_put((bag,), emb, True).narrow(0, 0, nbags)
    if mode == "sum":
        return total
    ones_n = ones(int(bag.shape[0]), dtype=weight.dtype, device=weight.device)
    count = weight.new_zeros((nrows,)).index_put((bag,), ones_n, True).narrow(0, 0, nbags)
    return total / count.clamp(min=1).unsqueeze(-1)


def _empty_bags(weight: Tensor, nbags: int, psw: Tensor | None = None) -> Tensor:
    """``(nbags, dim)`` zeros, still connected to ``weight`` (and ``psw``) so that backward
    gives zero gradients (as PyTorch's) instead of None."""
    dim = int(weight.shape[1])
    zero = weight.narrow(0, 0, 0).sum(0)
    if psw is not None:
        zero = zero + psw.reshape([-1]).narrow(0, 0, 0).sum()
    return zero.reshape([1, dim]).expand([nbags, dim]) * 1.0


def _max_rows(weight: Tensor, idx: Tensor, exclude: Tensor | None) -> Tensor:
    """For ``(bags, length)`` indices, the ``(bags, dim)`` int64 weight row holding each bag's
    maximum in each column, positions where ``exclude`` is True left out (a bag with nothing
    left gets any row; the caller zeroes it).

    A pairwise tournament of adjacent positions: ``log2(length)`` elementwise steps on halving
    tensors (``length`` is first padded to a power of two with copies of position 0, which
    never win a tie against it). The later position wins only when strictly greater, so ties
    go to the first position, as PyTorch's ``max_indices``. Rows are carried as floats (exact
    below 2**24, or 2**53 in float64), whose elementwise kernels are the fast ones. Not
    differentiable (no graph is recorded).
    """
    r, length = (int(s) for s in idx.shape)
    dim = int(weight.shape[1])
    width = 1 << max(length - 1, 0).bit_length()
    if width != length:
        fill = [r, width - length]
        idx = _C.cat([idx, idx.narrow(1, 0, 1).expand(fill)], 1)
        if exclude is not None:
            exclude = _C.cat([exclude, exclude.narrow(1, 0, 1).expand(fill)], 1)
    row_dtype = _C.dtype.float32 if int(weight.shape[0]) <= 1 << 24 else _C.dtype.float64
    with no_grad():
        vals = _C._embedding(weight, idx, -1)
        if exclude is not None:
            vals = vals.masked_fill(exclude.unsqueeze(-1), -math.inf)
        rows = idx.to(row_dtype).unsqueeze(-1)
        while width > 1:
            width //= 2
            v2 = vals.reshape([r, width, 2, dim])
            i2 = rows.reshape([r, width, 2, int(rows.shape[2])])
            first, later = i2.select(2, 0), i2.select(2, 1)
            take = (v2.select(2, 1) > v2.select(2, 0)).to(row_dtype)
            rows = first + take * (later - first)
            vals = _C.maximum(v2.select(2, 0), v2.select(2, 1))
        return rows.reshape([r, -1]).expand([r, dim]).to(int64)


def _ragged_max_rows(weight: Tensor, idx: Any, starts: Any, padding_idx: int | None) -> Any:
    """:func:`_max_rows` for the host index array ``idx`` (``(n,)``) cut at ``starts``.

    Padding indices are dropped first. The bags are then grouped by length into buckets
    ``(2**(k-1), 2**k]`` and each bucket is padded to ``2**k`` with copies of each bag's
    first index (later positions: they never win a tie against it), so the lookups hold under
    ``2 * n * dim`` elements however uneven the bags are.

    Returns:
        ``(rows, empty)``: ``(bags, dim)`` int64 rows, and a ``(bags, 1)`` bool tensor that is
        True for a bag with no index left (or None when there is none).
    """
    n, nbags = idx.shape[0], starts.shape[0]
    if padding_idx is not None:
        keep = idx != padding_idx
        kept_before = np.concatenate([[0], np.cumsum(keep)])
        idx, starts, n = idx[keep], kept_before[starts], int(keep.sum())
    lens = np.append(starts[1:], n) - starts
    nonempty = lens > 0
    bucket = np.zeros(nbags, dtype=np.int64)
    bucket[nonempty] = np.ceil(np.log2(lens[nonempty])).astype(np.int64) + 1
    order, parts = [], []
    for k in np.unique(bucket[nonempty]):
        bags = np.flatnonzero(bucket == k)
        j = np.arange(1 << int(k - 1))[None, :]
        first = starts[bags][:, None]
        pos = np.where(j < lens[bags][:, None], first + j, first)
        order.append(bags)
        parts.append(_max_rows(weight, tensor(idx[pos]), None))
    dim = int(weight.shape[1])
    empty = np.flatnonzero(~nonempty)
    if empty.size:
        order.append(empty)
        parts.append(zeros(int(empty.size), dim, dtype=int64, device=weight.device))
    rows = parts[0] if len(parts) == 1 else _C.cat(parts, 0)
    perm = np.concatenate(order)
    if not (perm == np.arange(nbags)).all():
        rows = rows.index_select(0, tensor(np.argsort(perm)))
    return rows, (tensor(~nonempty).unsqueeze(-1) if empty.size else None)


# ---- dropout -----------------------------------------------------------------------------


def _check_p(p: Any, op: str) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _channel_dropout(
    op: str,
    input: Tensor,
    p: float,
    training: bool,
    inplace: bool,
    generator: Any,
    batched: bool,
) -> Tensor:
    """Zeroes whole ``(n, c)`` channels: ``_dropout2d`` on ``input`` viewed as (N, C, -1, 1)."""
    from .functional import _dropout_inplace

    def _mask_op(x: Tensor, prob: float, train: bool, gen: Any) -> Tensor:
        """Channel dropout of ``x`` through ``_dropout2d`` on its (N, C, -1, 1) view."""
        shape = [int(s) for s in x.shape]
        v = x if batched else x.unsqueeze(0)
        lead = [int(s) for s in v.shape[:2]]
        y = _C._dropout2d(v.reshape(lead + [-1, 1]), prob, train, gen)
        return y.reshape(shape)

    _mask_op.__name__ = "_" + op
    p = _check_p(p, op)
    if inplace:
        return _dropout_inplace(_mask_op, input, p, training, generator)
    return _mask_op(input, p, bool(training), generator)


def dropout1d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Zeroes whole channels of ``(N, C, L)`` input with probability ``p`` and scales the kept
    ones by ``1 / (1 - p)``; the identity when not ``training``.

    One Bernoulli draw per ``(n, c)`` pair, from ``generator`` or the default generator
    (seeded by ``ember.manual_seed``).

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``, floating.
        p: drop probability in [0, 1]. Default 0.5.
        training: apply dropout. Default True.
        inplace: write the result into ``input`` and return it.
        generator: random source or None.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        ValueError: ``p`` outside [0, 1] or an input that is not 2-D or 3-D.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Tompson et al., "Efficient Object Localization Using Convolutional Networks", CVPR 2015.
    Example:
        >>> F.dropout1d(ember.ones(1, 2, 3), p=0.0)
        tensor([[[1., 1., 1.],
                 [1., 1., 1.]]])
    """
    op = "dropout1d"
    _check_tensor(input, "input", op)
    _check_p(p, op)
    if input.dim() not in (2, 3):
        raise ValueError(
            f"{op}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {tuple(input.shape)}"
        )
    return _channel_dropout(op, input, p, training, inplace, generator, input.dim() == 3)


def dropout3d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Zeroes whole channels of ``(N, C, D, H, W)`` input with probability ``p`` and scales the
    kept ones by ``1 / (1 - p)``; the identity when not ``training``.

    One Bernoulli draw per ``(n, c)`` pair. Inputs that are not 4-D or 5-D are accepted with
    PyTorch's deprecation warning (anything not 5-D is treated as unbatched).

    Args:
        input: ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)``, floating.
        p: drop probability in [0, 1]. Default 0.5.
        training: apply dropout. Default True.
        inplace: write the result into ``input`` and return it.
        generator: random source or None.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        ValueError: ``p`` outside [0, 1] or a 0-d input.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Tompson et al., "Efficient Object Localization Using Convolutional Networks", CVPR 2015.
    Example:
        >>> F.dropout3d(ember.ones(1, 1, 1, 1, 2), training=False)
        tensor([[[[[1., 1.]]]]])
    """
    op = "dropout3d"
    _check_tensor(input, "input", op)
    _check_p(p, op)
    if input.dim() == 0:
        raise ValueError(f"{op}: expected a 4-D or 5-D input, got a 0-d tensor")
    if input.dim() not in (4, 5):
        warnings.warn(
            f"{op}: Received a {input.dim()}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _channel_dropout(op, input, p, training, inplace, generator, input.dim() == 5)


_SELU_ALPHA_SCALE = 1.7580993408473766  # -SELU's negative saturation: scale * alpha


def _alpha_dropout(
    op: str,
    input: Tensor,
    p: float,
    training: bool,
    inplace: bool,
    generator: Any,
    feature: bool,
) -> Tensor:
    from .functional import _writable

    _check_floating(input, "input", op)
    p = _check_p(p, op)
    if feature and input.dim() < 2:
        raise ValueError(
            f"{op}: feature dropout requires at least 2 dims (N, C, *), got shape "
            f"{tuple(input.shape)}"
        )
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        if inplace and _writable(input, op):
            return input.mul_(0.0)
        return input * 0.0
    shape = [int(s) for s in input.shape]
    noise_shape = shape[:2] + [1] * (len(shape) - 2) if feature else shape
    keep = bernoulli(full(noise_shape, 1.0 - p, dtype=input.dtype), generator=generator)
    a = 1.0 / math.sqrt((_SELU_ALPHA_SCALE**2 * p + 1.0) * (1.0 - p))
    b = (keep - 1.0) * (_SELU_ALPHA_SCALE * a) + _SELU_ALPHA_SCALE * a * p
    noise = keep * a
    if inplace and _writable(input, op):
        return input.mul_(noise).add_(b)
    return input * noise + b


def alpha_dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Alpha dropout: dropout that keeps the mean and variance of self-normalizing (SELU)
    activations.

    Each element is kept with probability ``1 - p``. With ``alpha' = 1.7580993408473766`` (SELU's
    ``scale * alpha``) and ``a = 1 / sqrt((alpha'**2 p + 1)(1 - p))``, a kept element becomes
    ``a x + a alpha' p`` and a dropped one ``a alpha' (p - 1)``. ``p = 1`` gives zeros; ``p = 0``
    and ``training=False`` (the default) return ``input`` itself.

    Args:
        input: any shape, floating.
        p: drop probability in [0, 1]. Default 0.5.
        training: apply dropout. Default False (as PyTorch).
        inplace: write the result into ``input`` and return it.
        generator: random source or None.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        ValueError: ``p`` outside [0, 1].
        TypeError: non-floating input.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017.
    Example:
        >>> F.alpha_dropout(ember.ones(2), p=1.0, training=True)
        tensor([0., 0.])
    """
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, generator, False)


def feature_alpha_dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Alpha dropout of whole channels: one keep/drop draw per ``(n, c)`` pair, the values of
    :func:`alpha_dropout` otherwise.

    Args:
        input: ``(N, C, *)``, floating.
        p: drop probability in [0, 1]. Default 0.5.
        training: apply dropout. Default False (as PyTorch).
        inplace: write the result into ``input`` and return it.
        generator: random source or None.
    Returns:
        Tensor shaped and typed like ``input``.
    Raises:
        ValueError: ``p`` outside [0, 1] or fewer than 2 dims.
        TypeError: non-floating input.
        RuntimeError: ``inplace`` on a leaf that requires grad.
    Reference:
        Klambauer et al., "Self-Normalizing Neural Networks", NeurIPS 2017.
    Example:
        >>> F.feature_alpha_dropout(ember.ones(1, 2), p=0.0, training=True)
        tensor([[1., 1.]])
    """
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace, generator, True)
