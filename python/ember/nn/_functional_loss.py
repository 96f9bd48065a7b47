"""Distances and the losses built on them (re-exported by ``ember.nn.functional``):
``normalize``, ``cosine_similarity``, ``pairwise_distance``, ``kl_div``,
``margin_ranking_loss``, ``cosine_embedding_loss`` and ``triplet_margin_loss``.

Each is a composition of ember ops, so autograd and ``ember.jit`` follow it.
"""

from __future__ import annotations

import warnings

from .. import _C
from .._C import Tensor
from .._composites import norm as _norm
from .functional import _check_reduction, _check_same_shape, _reduce

__all__ = [
    "cosine_embedding_loss",
    "cosine_similarity",
    "kl_div",
    "margin_ranking_loss",
    "normalize",
    "pairwise_distance",
    "triplet_margin_loss",
]


def _check_floating(op: str, **tensors: Tensor) -> None:
    for name, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            dt = str(t.dtype).replace("ember.", "")
            raise TypeError(
                f"{op}: expected {name} to have a floating dtype (float32 or float64), got {dt}"
            )


def _broadcast_shape(op: str, **tensors: Tensor) -> tuple[int, ...]:
    """The broadcast shape of ``tensors``; ValueError naming ``op`` and every shape if none."""
    shapes = [tuple(t.shape) for t in tensors.values()]
    nd = max(len(s) for s in shapes)
    out = []
    for i in range(nd):
        sizes = {s[len(s) - nd + i] for s in shapes if len(s) - nd + i >= 0} - {1}
        if len(sizes) > 1:
            given = ", ".join(f"{name} {tuple(t.shape)}" for name, t in tensors.items())
            raise ValueError(f"{op}: shapes {given} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _check_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor with {ndim} dims "
            f"(expected {-n} <= dim < {n})"
        )
    return dim % n


def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` flags (either given
    overrides ``reduction``), with its deprecation warning."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        stacklevel=3,
    )
    return ret


# ---- distances ---------------------------------------------------------------------------


def normalize(
    input: Tensor,
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    """Divides ``input`` by its ``p``-norm along ``dim``.

    ``v / max(||v||_p, eps)`` for each slice ``v`` along ``dim``. Where the norm is below
    ``eps`` the slice is divided by ``eps`` (and the gradient is ``1 / eps``, as PyTorch).

    Args:
        input: any shape with at least ``dim + 1`` dims, float32 or float64.
        p: the norm's exponent (``inf`` for the largest absolute value). Default 2.0.
        dim: the normalized dim. Default 1.
        eps: lower bound of the divisor. Default 1e-12.
        out: if given, the result is copied into it, which is returned.
    Returns:
        Tensor of ``input``'s shape and dtype.
    Raises:
        TypeError: a non-floating ``input``.
        IndexError: ``dim`` out of range.
    Example:
        >>> F.normalize(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    _check_floating("normalize", input=input)
    d = _check_dim(dim, input.dim(), "normalize")
    denom = _norm(input, p, d, keepdim=True).clamp(min=eps)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def _clamped_norm(x: Tensor, dim: int | list[int], eps: float) -> Tensor:
    """The 2-norm along ``dim`` (kept), raised to ``eps`` where smaller, with the gradient of
    the unclamped norm (PyTorch clamps it outside autograd)."""
    n = _norm(x, 2.0, dim, keepdim=True)
    nd = n.detach()
    return _C.where(nd < eps, (n - nd) + eps, n)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim``.

    ``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` over ``dim`` (2-norms), after
    broadcasting ``x1`` and ``x2``. Normalizing each side first keeps the result in [-1, 1].

    Args:
        x1: shape ``(*, D, *)``, float32 or float64.
        x2: broadcastable with ``x1``, same dtype.
        dim: the dim of the vectors (of the broadcast shape). Default 1.
        eps: lower bound of each norm. Default 1e-8.
    Returns:
        Tensor of the broadcast shape without ``dim``.
    Raises:
        TypeError: non-floating inputs.
        ValueError: shapes that do not broadcast.
        IndexError: ``dim`` out of range.
    Example:
        >>> F.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    _check_floating("cosine_similarity", x1=x1, x2=x2)
    shape = _broadcast_shape("cosine_similarity", x1=x1, x2=x2)
    d = _check_dim(dim, len(shape), "cosine_similarity")
    if tuple(x1.shape) != shape:
        x1 = x1.expand(*shape)
    if tuple(x2.shape) != shape:
        x2 = x2.expand(*shape)
    if not shape:
        d = []
    a = x1 / _clamped_norm(x1, d, eps)
    b = x2 / _clamped_norm(x2, d, eps)
    return (a * b).sum(d) if shape else a * b


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``p``-norm of ``x1 - x2 + eps`` along the last dim, after broadcasting.

    Args:
        x1: shape ``(N, D)`` or ``(D,)``, float32 or float64.
        x2: broadcastable with ``x1``, same dtype.
        p: the norm's exponent. Default 2.0.
        eps: added to the difference (keeps the 2-norm's gradient finite). Default 1e-6.
        keepdim: keep the reduced dim with size 1. Default False.
    Returns:
        Tensor of the broadcast shape without (or, with ``keepdim``, with size 1 in) the
        last dim.
    Raises:
        TypeError: non-floating inputs.
        ValueError: shapes that do not broadcast.
    Example:
        >>> F.pairwise_distance(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]), eps=0.0)
        tensor([5.])
    """
    _check_floating("pairwise_distance", x1=x1, x2=x2)
    _broadcast_shape("pairwise_distance", x1=x1, x2=x2)
    return _norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


# ---- losses ------------------------------------------------------------------------------


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from the distribution ``input``.

    ``input`` holds log-probabilities. Pointwise, ``target * (log(target) - input)`` (0 where
    ``target`` is 0), or with ``log_target`` (``target`` holds log-probabilities too)
    ``exp(target) * (target - input)``. ``"batchmean"`` sums and divides by the batch size
    ``input.shape[0]``, which is the KL divergence per sample; ``"mean"`` divides by the
    number of elements and warns, as PyTorch. Where ``target`` is 0 its gradient is
    ``-input`` (the ``target * log(target)`` term counts as the constant 0 there; PyTorch
    gives NaN).

    Args:
        input: log-probabilities, shape ``(*)``, float32 or float64.
        target: probabilities (or log-probabilities with ``log_target``), ``input``'s shape.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"batchmean"``, ``"sum"`` or ``"none"``.
        log_target: ``target`` is given as log-probabilities. Default False.
    Returns:
        0-d tensor, or shape ``(*)`` for ``"none"``; ``input``'s dtype.
    Raises:
        TypeError: non-floating tensors.
        ValueError: unknown ``reduction``, or ``target``'s shape differs from ``input``'s.
    Reference:
        Kullback & Leibler, "On Information and Sufficiency", 1951.
    Example:
        >>> p = ember.tensor([[0.5, 0.5]])
        >>> F.kl_div(ember.log(ember.tensor([[0.25, 0.75]])), p, reduction="batchmean")
        tensor(0.1438)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(
            f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}"
        )
    _check_floating("kl_div", input=input, target=target)
    _check_same_shape(input, target, "kl_div")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    if log_target:
        loss = _C.exp(target) * (target - input)
    else:
        # xlogy(t, t): 0 at t == 0, NaN for t < 0 (log of a negative number).
        zero = target == 0
        ent = _C.where(zero, 0.0, target * _C.log(_C.where(zero, 1.0, target)))
        loss = ent - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() > 0 else total
    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Ranking hinge loss: ``max(0, -target * (input1 - input2) + margin)``.

    ``target`` is 1 where ``input1`` should rank higher and -1 where ``input2`` should. The
    gradient passes where the hinge is exactly 0, as PyTorch's ``clamp_min``.

    Args:
        input1: scores, shape ``(N)`` or ``()``, float32 or float64.
        input2: scores with ``input1``'s number of dims (broadcastable).
        target: 1 or -1, with ``input1``'s number of dims (broadcastable).
        margin: required score gap. Default 0.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or the broadcast shape for ``"none"``.
    Raises:
        TypeError: non-floating tensors.
        ValueError: unknown ``reduction``, different numbers of dims, or shapes that do not
            broadcast.
    Example:
        >>> x1, x2 = ember.tensor([1.0, 2.0]), ember.tensor([2.0, 1.0])
        >>> F.margin_ranking_loss(x1, x2, ember.tensor([1.0, 1.0]), margin=0.5)
        tensor(0.7500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "margin_ranking_loss")
    _check_floating("margin_ranking_loss", input1=input1, input2=input2)
    if not input1.dim() == input2.dim() == target.dim():
        raise ValueError(
            f"margin_ranking_loss: input1 {tuple(input1.shape)}, input2 {tuple(input2.shape)} "
            f"and target {tuple(target.shape)} must have the same number of dims"
        )
    _broadcast_shape("margin_ranking_loss", input1=input1, input2=input2, target=target)
    loss = (-target * (input1 - input2) + margin).clamp(min=0)
    return _reduce(loss, reduction)


_COS_EMB_EPS = 1e-12  # added to each squared norm of cosine_embedding_loss, as PyTorch


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Cosine embedding loss: ``1 - cos(x1, x2)`` where ``target == 1``,
    ``max(0, cos(x1, x2) - margin)`` where ``target == -1`` (0 for other target values).

    ``cos = sum(x1 * x2) / sqrt((sum(x1 ** 2) + 1e-12) * (sum(x2 ** 2) + 1e-12))`` along the
    last dim.

    Args:
        input1: shape ``(N, D)`` (or ``(D,)`` with a 0-d target), float32 or float64.
        input2: ``input1``'s shape (broadcastable), same dtype.
        target: 1 or -1 per pair, shape ``(N)`` (or ``()``).
        margin: in [-1, 1]; 0 to 0.5 is usual. Default 0.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or shape ``(N)`` (``()``) for ``"none"``.
    Raises:
        TypeError: non-floating inputs.
        ValueError: unknown ``reduction``, a target with more than 1 dim, or inputs that are
            not 2-D for a 1-D target (1-D for a 0-d target).
    Example:
        >>> a = ember.tensor([[1.0, 0.0], [1.0, 0.0]])
        >>> b = ember.tensor([[1.0, 1.0], [1.0, 1.0]])
        >>> F.cosine_embedding_loss(a, b, ember.tensor([1.0, -1.0]), reduction="none")
        tensor([0.2929, 0.7071])
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cosine_embedding_loss")
    _check_floating("cosine_embedding_loss", input1=input1, input2=input2)
    td = target.dim()
    if td > 1:
        raise ValueError(
            f"cosine_embedding_loss: expected a 0-d or 1-d target (one label per pair), got "
            f"target shape {tuple(target.shape)}"
        )
    want = td + 1
    if input1.dim() != want or input2.dim() != want:
        raise ValueError(
            f"cosine_embedding_loss: a {td}-d target expects {want}-d inputs, got input1 "
            f"{tuple(input1.shape)} and input2 {tuple(input2.shape)}"
        )
    _broadcast_shape("cosine_embedding_loss", input1=input1, input2=input2)
    d = want - 1
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + _COS_EMB_EPS
    mag2 = (input2 * input2).sum(d) + _COS_EMB_EPS
    cos = prod / _C.sqrt(mag1 * mag2)
    pos = _C.where(target == 1, 1.0 - cos, 0.0)
    neg = _C.where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Triplet loss: ``max(d(a, p) - d(a, n) + margin, 0)``, with ``d`` the
    :func:`pairwise_distance` (``p``-norm, ``eps``).

    With ``swap``, ``d(a, n)`` is replaced by ``min(d(a, n), d(p, n))`` (the distance swap).

    Args:
        anchor: shape ``(N, D)`` or ``(D,)``, float32 or float64.
        positive: ``anchor``'s number of dims (broadcastable).
        negative: ``anchor``'s number of dims (broadcastable).
        margin: required distance gap. Default 1.0.
        p: the norm's exponent. Default 2.
        eps: as in :func:`pairwise_distance`. Default 1e-6.
        swap: use the distance swap. Default False.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Returns:
        0-d tensor, or shape ``(N)`` for ``"none"``.
    Raises:
        TypeError: non-floating inputs.
        ValueError: unknown ``reduction``, different numbers of dims, or shapes that do not
            broadcast.
    Reference:
        Balntas et al., "Learning local feature descriptors with triplets and shallow
        convolutional neural networks", BMVC 2016.
    Example:
        >>> a, pos = ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]])
        >>> F.triplet_margin_loss(a, pos, ember.tensor([[0.0, 1.0]]), eps=0.0)
        tensor(5.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "triplet_margin_loss")
    _check_floating("triplet_margin_loss", anchor=anchor, positive=positive, negative=negative)
    if not anchor.dim() == positive.dim() == negative.dim():
        raise ValueError(
            f"triplet_margin_loss: anchor {tuple(anchor.shape)}, positive "
            f"{tuple(positive.shape)} and negative {tuple(negative.shape)} must have the same "
            "number of dims"
        )
    _broadcast_shape("triplet_margin_loss", anchor=anchor, positive=positive, negative=negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _C.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = (d_pos - d_neg + margin).clamp(min=0)
    return _reduce(loss, reduction)
