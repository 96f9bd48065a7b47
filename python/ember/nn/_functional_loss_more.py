"""Likelihood and margin losses (re-exported by ``ember.nn.functional``):
``poisson_nll_loss``, ``gaussian_nll_loss``, ``soft_margin_loss``, ``hinge_embedding_loss``,
``multilabel_soft_margin_loss``, ``multilabel_margin_loss``, ``multi_margin_loss`` and
``ctc_loss``.

Each is a composition of ember ops, so autograd follows it. The deprecated ``size_average`` and
``reduce`` flags override ``reduction`` with PyTorch's warning, as for the other losses.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import _C, arange, int64, tensor
from .._C import Tensor
from .._creation import full_like
from ._functional_loss import _broadcast_shape, _check_floating, _legacy_reduction
from .functional import _check_reduction, _reduce

__all__ = [
    "ctc_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "poisson_nll_loss",
    "soft_margin_loss",
]


def _softplus(x: Tensor) -> Tensor:
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    return _C.relu(x) + _C.log1p(_C.exp(-_C.abs(x)))


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of ``target`` under a Poisson distribution of rate ``input``.

    ``exp(input) - target * input`` with ``log_input`` (``input`` is the log-rate), else
    ``input - target * log(input + eps)``. ``full`` adds Stirling's approximation of
    ``log(target!)``, ``target log(target) - target + 0.5 log(2 pi target)``, where
    ``target > 1``.

    Args:
        input: rates (or log-rates), any shape, float32/float64.
        target: counts, broadcastable with ``input``, same dtype.
        log_input: ``input`` holds log-rates. Default True.
        full: add the Stirling term. Default False.
        size_average: deprecated (see ``reduction``); None.
        eps: added to ``input`` before the log when not ``log_input``. Default 1e-8.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or the broadcast shape for ``"none"``.
    Raises:
        ValueError: unknown ``reduction`` or shapes that do not broadcast.
        TypeError: non-floating tensors.
    Example:
        >>> F.poisson_nll_loss(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
        tensor(0.8591)
    """
    op = "poisson_nll_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    _check_floating(op, input=input, target=target)
    _broadcast_shape(op, input=input, target=target)
    if log_input:
        loss = _C.exp(input) - target * input
    else:
        loss = input - target * _C.log(input + float(eps))
    if full:
        # Evaluated on a target of 1 where target <= 1 (then zeroed): no 0 * log(0) NaN.
        big = target > 1
        t = _C.where(big, target, 1.0)
        stirling = t * _C.log(t) - t + 0.5 * _C.log(2 * math.pi * t)
        loss = loss + _C.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var``: ``0.5 * (log(max(var, eps)) + (input - target) ** 2 / max(var, eps))``, plus
    ``0.5 log(2 pi)`` with ``full``.

    The clamp at ``eps`` does not stop the gradient (as PyTorch, which clamps without
    recording it): ``var``'s gradient is that of the formula at the clamped value.

    Args:
        input: means, shape ``(N, *)`` or ``(*)``, float32/float64.
        target: samples, broadcastable with ``input``.
        var: variances: ``input``'s shape; ``input``'s shape with the last dim dropped or with
            exactly one dim of size 1 (homoscedastic); or a non-negative number.
        full: add the constant ``0.5 log(2 pi)``. Default False.
        eps: lower clamp of ``var``. Default 1e-6.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or the broadcast shape for ``"none"``.
    Raises:
        ValueError: a negative ``var`` entry, a ``var`` of incorrect size, an unknown
            ``reduction``, or shapes that do not broadcast.
        TypeError: non-floating tensors.
    Example:
        >>> F.gaussian_nll_loss(ember.tensor([0.0]), ember.tensor([2.0]), ember.tensor([1.0]))
        tensor(2.)
    """
    op = "gaussian_nll_loss"
    _check_floating(op, input=input, target=target)
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries, got {var}")
        var = full_like(input, float(var))
    else:
        _check_floating(op, var=var)
        if bool((var < 0).any()):
            raise ValueError(f"{op}: var has negative entry/entries")
    si, sv = tuple(input.shape), tuple(var.shape)
    if sv != si:
        if si[:-1] == sv:
            var = var.unsqueeze(-1)
        elif not (len(si) == len(sv) and sum(b for a, b in zip(si, sv) if a != b) == 1):
            raise ValueError(
                f"{op}: var is of incorrect size {sv} for input shape {si}; expected the input "
                "shape, the input shape without its last dim, or the input shape with one dim "
                "of size 1"
            )
    _check_reduction(reduction, op)
    _broadcast_shape(op, input=input, target=target, var=var)
    var = var + (var.detach().clamp(min=float(eps)) - var.detach())
    loss = 0.5 * (_C.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target * input))`` (computed without overflow).

    Args:
        input: scores, any shape, float32/float64.
        target: 1 or -1, broadcastable with ``input``.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or the broadcast shape for ``"none"``.
    Raises:
        ValueError: unknown ``reduction`` or shapes that do not broadcast.
        TypeError: non-floating tensors.
    Example:
        >>> F.soft_margin_loss(ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.6931)
    """
    op = "soft_margin_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    _check_floating(op, input=input, target=target)
    _broadcast_shape(op, input=input, target=target)
    return _reduce(_softplus(-input * target), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Hinge embedding loss: ``input`` where ``target == 1``, ``max(0, margin - input)`` where
    ``target == -1`` (both terms for any other target value, as PyTorch).

    Args:
        input: distances, any shape, float32/float64.
        target: 1 or -1, broadcastable with ``input``.
        margin: the hinge. Default 1.0.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or the broadcast shape for ``"none"``.
    Raises:
        ValueError: unknown ``reduction`` or shapes that do not broadcast.
        TypeError: non-floating input.
    Example:
        >>> F.hinge_embedding_loss(ember.tensor([0.3, 0.3]), ember.tensor([1.0, -1.0]))
        tensor(0.5000)
    """
    op = "hinge_embedding_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    _check_floating(op, input=input)
    _broadcast_shape(op, input=input, target=target)
    margin_term = _C.where(target != 1, (float(margin) - input).clamp(min=0), 0.0)
    self_term = _C.where(target != -1, input, 0.0)
    return _reduce(margin_term + self_term, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """One-versus-all logistic loss averaged over the classes:
    ``-mean_c(w_c (y_c log(sigmoid(x_c)) + (1 - y_c) log(sigmoid(-x_c))))``.

    Args:
        input: logits ``(N, C)`` or ``(C)``, float32/float64.
        target: 0/1 labels broadcastable with ``input``.
        weight: per-class weights broadcastable with ``input``, or None.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or ``input``'s shape without the class (last) dim for ``"none"``.
    Raises:
        ValueError: unknown ``reduction``, a 0-d input, or shapes that do not broadcast.
        TypeError: non-floating tensors.
    Example:
        >>> F.multilabel_soft_margin_loss(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    op = "multilabel_soft_margin_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    _check_floating(op, input=input, target=target)
    if input.dim() == 0:
        raise ValueError(f"{op}: expected an input of shape (N, C) or (C), got a 0-d tensor")
    tensors = {"input": input, "target": target}
    if weight is not None:
        _check_floating(op, weight=weight)
        tensors["weight"] = weight
    _broadcast_shape(op, **tensors)
    # -(y log sigmoid(x) + (1 - y) log sigmoid(-x)) = y softplus(-x) + (1 - y) softplus(x)
    loss = target * _softplus(-input) + (1 - target) * _softplus(input)
    if weight is not None:
        loss = loss * weight
    d = input.dim() - 1
    loss = loss.sum(d) / int(input.shape[d])
    return _reduce(loss, reduction)


def _check_class_target(
    op: str, input: Tensor, target: Tensor, same_shape: bool
) -> tuple[Tensor, Tensor, bool]:
    """``input`` as ``(N, C)``, ``target`` as ``(N, ...)`` and whether a batch dim was added."""
    _check_floating(op, input=input)
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: expected target to be a Tensor, got {type(target).__name__}")
    if target.dtype not in (int64, _C.dtype.int32):
        dt = str(target.dtype).replace("ember.", "")
        raise TypeError(f"{op}: expected target to hold int64 class indices, got {dt}")
    if input.dim() not in (1, 2) or input.numel() == 0:
        raise ValueError(
            f"{op}: expected a non-empty input of shape (N, C) or (C), got shape "
            f"{tuple(input.shape)}"
        )
    n = 1 if input.dim() == 1 else int(input.shape[0])
    if same_shape:
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(
                f"{op}: target shape {tuple(target.shape)} must equal the input shape "
                f"{tuple(input.shape)}"
            )
    elif target.numel() != n or target.dim() > 1 or (input.dim() == 2 and target.dim() != 1):
        raise ValueError(
            f"{op}: target must be 1-D with one class index per sample ({n}), got shape "
            f"{tuple(target.shape)} for input shape {tuple(input.shape)}"
        )
    x = input.unsqueeze(0) if input.dim() == 1 else input
    t = target.to(int64).reshape([n, -1])
    return x, t, input.dim() == 1


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class multi-label hinge loss:
    ``sum_{j in targets} sum_{i not in targets} max(0, 1 - (x[j] - x[i])) / C`` per sample.

    A sample's targets are the class indices of its row of ``target`` up to the first -1.

    Args:
        input: scores ``(N, C)`` or ``(C)``, float32/float64.
        target: int64 ``input``'s shape; class indices in ``[0, C)`` followed by -1 (and
            anything after it).
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or ``(N)`` (``()`` for 1-D input) for ``"none"``.
    Raises:
        ValueError: unknown ``reduction``, bad shapes, or a target value outside ``[-1, C)``.
        TypeError: non-floating input or a non-integer target.
    Example:
        >>> x = ember.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> F.multilabel_margin_loss(x, ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    op = "multilabel_margin_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    x, t, unbatched = _check_class_target(op, input, target, True)
    c = int(x.shape[1])
    if t.numel() and (bool((t < -1).any()) or bool((t >= c).any())):
        raise ValueError(f"{op}: target values must be in [-1, {c}) (C = {c}), got out of range")
    # valid[n, k]: position k comes before the first -1 of row n.
    valid = (t == -1).to(int64).cumsum(1) == 0
    tc = t.clamp(min=0)
    classes = arange(c, dtype=int64)
    hit = (tc.unsqueeze(-1) == classes).logical_and(valid.unsqueeze(-1))  # (N, K, C)
    is_target = hit.any(1)  # (N, C)
    xt = x.gather(1, tc)  # (N, K)
    z = 1.0 - xt.unsqueeze(-1) + x.unsqueeze(1)  # (N, K, C)
    keep = valid.unsqueeze(-1).logical_and(is_target.logical_not().unsqueeze(1))
    h = _C.where(keep.logical_and(z > 0), z, 0.0)
    loss = h.sum([1, 2]) / c
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss:
    ``sum_{i != y} w[y] * max(0, margin - x[y] + x[i]) ** p / C`` per sample, ``y`` its target.

    Args:
        input: scores ``(N, C)`` or ``(C)``, float32/float64.
        target: int64 class indices ``(N)`` (``()`` or ``(1)`` for 1-D input) in ``[0, C)``.
        p: 1 or 2. Default 1.
        margin: the hinge. Default 1.0.
        weight: per-class weights ``(C)`` or None.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or ``target``'s shape for ``"none"``.
    Raises:
        ValueError: ``p`` not 1 or 2, a weight that is not 1-D, an unknown ``reduction``, bad
            shapes, or a target outside ``[0, C)``.
        TypeError: non-floating input or weight, or a non-integer target.
    Example:
        >>> F.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """
    op = "multi_margin_loss"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got p={p!r}")
    if weight is not None:
        _check_floating(op, weight=weight)
        if weight.dim() != 1:
            raise ValueError(f"{op}: weight must be 1-D, got shape {tuple(weight.shape)}")
    _check_reduction(reduction, op)
    x, t, unbatched = _check_class_target(op, input, target, False)
    c = int(x.shape[1])
    if weight is not None and int(weight.shape[0]) != c:
        raise ValueError(
            f"{op}: weight must have one entry per class ({c}), got shape {tuple(weight.shape)}"
        )
    if bool((t < 0).any()) or bool((t >= c).any()):
        raise ValueError(f"{op}: target values must be in [0, {c}) (C = {c}), got out of range")
    xt = x.gather(1, t)  # (N, 1)
    z = float(margin) - xt + x
    h = _C.where(z > 0, z, 0.0)
    if p == 2:
        h = h * h
    h = h.masked_fill(t == arange(c, dtype=int64), 0.0)
    if weight is not None:
        h = h * weight.index_select(0, t.reshape([-1])).unsqueeze(-1)
    loss = h.sum(1) / c
    loss = loss.reshape(list(target.shape)) if unbatched else loss
    return _reduce(loss, reduction)


_CTC_NEG = -1e30  # "log 0" of the CTC recursion: finite, so that gradients never meet inf - inf


def _lse(*xs: Tensor) -> Tensor:
    """``log(sum(exp(x)))`` of same-shape tensors, stabilized by their (constant) maximum."""
    m = xs[0].detach()
    for x in xs[1:]:
        m = _C.maximum(m, x.detach())
    total = _C.exp(xs[0] - m)
    for x in xs[1:]:
        total = total + _C.exp(x - m)
    return m + _C.log(total)


def _lengths(v: Any, name: str, n: int, op: str) -> Any:
    arr = np.asarray(v.detach().numpy() if isinstance(v, Tensor) else v)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64).reshape(-1)
    if arr.size != n:
        raise ValueError(f"{op}: {name} must have one entry per sample ({n}), got {arr.size}")
    return arr


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: Tensor | Any,
    target_lengths: Tensor | Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist Temporal Classification loss: ``-log`` of the total probability of every
    alignment of a target sequence to the input frames.

    The alignments are paths through the target with a blank inserted before, between and after
    its labels: at each frame a path stays on its symbol, moves to the next, or skips a blank
    between two different labels. The sum over paths is the forward (alpha) recursion in log
    space, one step per frame, so autograd gives the exact gradient.

    Args:
        log_probs: ``(T, N, C)`` (or unbatched ``(T, C)``) log-probabilities over the ``C``
            classes (blank included), usually from ``log_softmax``; float32/float64.
        targets: int64 labels, padded ``(N, S)`` or concatenated ``(sum(target_lengths),)``;
            unbatched ``(S,)``.
        input_lengths: ``(N)`` frames used per sample, each at most ``T`` (tensor or ints).
        target_lengths: ``(N)`` labels per sample (tensor or ints).
        blank: the blank class. Default 0.
        reduction: ``"mean"`` (default: each loss divided by its target length, then the batch
            mean), ``"sum"`` or ``"none"``.
        zero_infinity: give impossible alignments (too few frames) a loss and gradient of 0
            instead of ``inf``. Default False.
    Returns:
        0-d tensor, or ``(N)`` (unbatched ``()``) for ``"none"``; ``log_probs``' dtype.
    Raises:
        ValueError: bad ranks or lengths, a label outside ``[0, C)``, a ``blank`` outside
            ``[0, C)``, or an unknown ``reduction``.
        TypeError: non-floating ``log_probs`` or non-integer targets or lengths.
    Reference:
        Graves et al., "Connectionist Temporal Classification: Labelling Unsegmented Sequence
        Data with Recurrent Neural Networks", ICML 2006.
    Example:
        >>> lp = ember.log(ember.full((1, 1, 2), 0.5))
        >>> F.ctc_loss(lp, ember.tensor([[1]]), [1], [1], reduction="sum")
        tensor(0.6931)
    """
    op = "ctc_loss"
    _check_reduction(reduction, op)
    _check_floating(op, log_probs=log_probs)
    if not isinstance(targets, Tensor):
        raise TypeError(f"{op}: expected targets to be a Tensor, got {type(targets).__name__}")
    if targets.dtype not in (int64, _C.dtype.int32):
        dt = str(targets.dtype).replace("ember.", "")
        raise TypeError(f"{op}: expected targets to hold int64 labels, got {dt}")
    if log_probs.dim() not in (2, 3):
        raise ValueError(
            f"{op}: expected log_probs of shape (T, N, C) or (T, C), got {tuple(log_probs.shape)}"
        )
    unbatched = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_max, n, c = (int(v) for v in lp.shape)
    if not 0 <= blank < c:
        raise ValueError(f"{op}: blank ({blank}) must be in [0, C) = [0, {c})")
    in_len = _lengths(input_lengths, "input_lengths", n, op)
    tg_len = _lengths(target_lengths, "target_lengths", n, op)
    if np.any(in_len < 0) or np.any(in_len > t_max):
        raise ValueError(
            f"{op}: input_lengths must be in [0, T] = [0, {t_max}], got {in_len.tolist()}"
        )
    tg = targets.detach().numpy().astype(np.int64)
    if unbatched:
        tg = tg.reshape(1, -1)
    if np.any(tg_len < 0):
        raise ValueError(f"{op}: target_lengths must be >= 0, got {tg_len.tolist()}")
    smax = int(tg_len.max()) if n else 0
    j = np.arange(smax)[None, :]
    valid = j < tg_len[:, None]
    if tg.ndim == 2 and tg.shape[0] == n:
        if np.any(tg_len > tg.shape[1]):
            raise ValueError(
                f"{op}: target_lengths {tg_len.tolist()} exceed targets.shape[1] ({tg.shape[1]})"
            )
        labels = tg[:, :smax]
    elif tg.ndim == 1:
        if tg.size < tg_len.sum():
            raise ValueError(
                f"{op}: 1-D targets hold {tg.size} labels but target_lengths sum to "
                f"{int(tg_len.sum())}"
            )
        starts = np.cumsum(tg_len) - tg_len
        labels = tg[np.where(valid, starts[:, None] + j, 0)] if tg.size else np.zeros_like(j)
    else:
        raise ValueError(
            f"{op}: targets must be (N, S) with N = {n} or 1-D (concatenated), got shape "
            f"{tuple(targets.shape)}"
        )
    labels = np.where(valid, labels, blank)
    bad = valid & ((labels < 0) | (labels >= c))
    if bad.any():
        raise ValueError(
            f"{op}: target labels must be in [0, C) = [0, {c}), got {int(labels[bad][0])}"
        )
    width = 2 * smax + 1
    ext = np.full((n, width), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros((n, width), dtype=bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    neg = _CTC_NEG
    em = lp.gather(2, tensor(ext).unsqueeze(0).expand([t_max, n, width]))  # (T, N, width)
    start = np.zeros((n, width), dtype=bool)
    start[:, 0] = True
    start[:, 1] = tg_len > 0 if width > 1 else False
    # Before any frame only the empty prefix (state 0) has probability 1: the start of samples
    # with no frames; the others start at frame 0 in state 0 or 1.
    empty = np.full((n, width), neg)
    empty[:, 0] = 0.0
    alpha = tensor(empty).to(lp.dtype)
    if t_max > 0:
        first = _C.where(tensor(start), em[0], neg)
        alpha = _C.where(tensor(in_len > 0).unsqueeze(1), first, alpha)
    skip_t = tensor(skip)
    for t in range(1, int(in_len.max()) if n else 0):
        a2 = _C._pad(alpha, [1, 0], "constant", neg).narrow(1, 0, width)
        a3 = _C._pad(alpha, [2, 0], "constant", neg).narrow(1, 0, width)
        a3 = _C.where(skip_t, a3, neg)
        new = _lse(alpha, a2, a3) + em[t]
        active = tensor(in_len > t).unsqueeze(1)
        alpha = _C.where(active, new, alpha)
    last = tensor(2 * tg_len).unsqueeze(1)
    prev = tensor(np.maximum(2 * tg_len - 1, 0)).unsqueeze(1)
    a_last = alpha.gather(1, last).squeeze(1)
    a_prev = _C.where(tensor(tg_len > 0), alpha.gather(1, prev).squeeze(1), neg)
    loss = -_lse(a_last, a_prev)
    impossible = loss > -neg / 10
    loss = _C.where(impossible, 0.0 if zero_infinity else math.inf, loss)
    if reduction == "mean":
        div = tensor(np.maximum(tg_len, 1).astype(np.float64)).to(loss.dtype)
        return (loss / div).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss
