"""Scaled dot-product attention (re-exported by ``ember.nn.functional``), written with
``matmul``, ``softmax`` and ``where``, so autograd and ``ember.jit`` follow it."""

from __future__ import annotations

import math

from .. import _C
from .._C import Tensor

__all__ = ["scaled_dot_product_attention"]

_OP = "scaled_dot_product_attention"


def _repeat_heads(t: Tensor, groups: int) -> Tensor:
    """``t`` of shape ``(..., H, S, E)`` with each head repeated ``groups`` times in place:
    ``(..., H * groups, S, E)``, as ``repeat_interleave(groups, dim=-3)``."""
    if groups == 1:
        return t
    *lead, h, s, e = (int(n) for n in t.shape)
    t = t.unsqueeze(-3).expand(*lead, h, groups, s, e)
    return t.reshape([*lead, h * groups, s, e])


def _check(query: Tensor, key: Tensor, value: Tensor) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{_OP}: expected {name} to be a Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            dt = str(t.dtype).replace("ember.", "")
            raise TypeError(f"{_OP}: expected {name} to have a floating dtype, got {dt}")
    if not query.dtype == key.dtype == value.dtype:
        names = ", ".join(str(t.dtype).replace("ember.", "") for t in (query, key, value))
        raise TypeError(f"{_OP}: query, key and value must have the same dtype, got {names}")
    shapes = f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise ValueError(f"{_OP}: query, key and value need at least 2 dims, got {shapes}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"{_OP}: query.shape[-1] ({query.shape[-1]}) must equal key.shape[-1] "
            f"({key.shape[-1]}); got {shapes}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"{_OP}: key.shape[-2] ({key.shape[-2]}) must equal value.shape[-2] "
            f"({value.shape[-2]}); got {shapes}"
        )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    *,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """Attention ``softmax(query @ key^T * scale + bias) @ value``, with optional dropout.

    ``bias`` is 0, or -inf where a bool ``attn_mask`` is False (True means "takes part"), or a
    float ``attn_mask`` itself; ``is_causal`` masks key ``s`` for query ``l`` when ``s > l``
    (a top-left aligned lower triangle). A query whose keys are all masked gets zero weights
    (output 0, gradient 0), not NaN, as PyTorch. Dropout (probability ``dropout_p``) is applied
    to the attention weights whenever ``dropout_p > 0``: pass 0 outside training.

    Args:
        query: ``(N, ..., Hq, L, E)``, float32 or float64 (at least 2 dims).
        key: ``(N, ..., H, S, E)``, query's dtype.
        value: ``(N, ..., H, S, Ev)``, query's dtype.
        attn_mask: bool or query-dtype tensor broadcastable to ``(N, ..., Hq, L, S)``, or None.
        dropout_p: dropout probability in [0, 1]. Default 0.0.
        is_causal: apply the causal mask (``attn_mask`` must then be None). Default False.
        scale: keyword-only; the factor of the scores. Default ``1 / sqrt(E)``.
        enable_gqa: keyword-only; grouped-query attention: each of the ``H`` key/value heads
            serves ``Hq / H`` consecutive query heads. Default False.
    Returns:
        Tensor of shape ``(N, ..., Hq, L, Ev)``, query's dtype.
    Raises:
        TypeError: non-floating or mixed dtypes, or an ``attn_mask`` of another float dtype.
        ValueError: fewer than 2 dims, mismatched ``E`` or ``S``, ``dropout_p`` outside
            [0, 1], ``attn_mask`` together with ``is_causal``, or (``enable_gqa``) a number of
            query heads that is not a multiple of the key/value heads.
    Reference:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
    Example:
        >>> q = k = ember.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> F.scaled_dot_product_attention(q, k, ember.tensor([[1.0], [3.0]]), is_causal=True)
        tensor([[1.0000],
                [2.3395]])
    """
    _check(query, key, value)
    dropout_p = float(dropout_p)
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{_OP}: dropout_p must be in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{_OP}: attn_mask must be None when is_causal=True")
    if enable_gqa and query.dim() >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk == 0 or hv == 0 or hq % hk or hq % hv:
            raise ValueError(
                f"{_OP}: with enable_gqa the query heads (query.shape[-3] = {hq}) must be a "
                f"multiple of the key heads ({hk}) and value heads ({hv})"
            )
        key = _repeat_heads(key, hq // hk)
        value = _repeat_heads(value, hq // hv)
    e = query.shape[-1]
    # With E = 0 every score is an empty sum, 0: any finite factor keeps it 0 (PyTorch then
    # averages the values uniformly).
    factor = (1.0 / math.sqrt(e) if e > 0 else 1.0) if scale is None else float(scale)
    scores = _C.matmul(query, key.transpose(-2, -1)) * factor
    L, S = query.shape[-2], key.shape[-2]
    dead = None
    if is_causal:
        keep = _C._ones([L, S], _C.dtype.bool).tril()
        scores = scores.masked_fill(keep.logical_not(), -math.inf)
    elif attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(
                f"{_OP}: expected attn_mask to be a Tensor or None, got {type(attn_mask).__name__}"
            )
        if attn_mask.dtype == _C.dtype.bool:
            scores = _C.where(attn_mask, scores, -math.inf)
        elif attn_mask.dtype == query.dtype:
            scores = scores + attn_mask
        else:
            raise TypeError(
                f"{_OP}: attn_mask dtype {str(attn_mask.dtype).replace('ember.', '')} must be "
                f"bool or the query dtype {str(query.dtype).replace('ember.', '')}"
            )
        if S > 0:
            # Queries whose keys are all masked: softmax of a zero row, then zero weights.
            dead = scores.detach().max(-1, keepdim=True).values == -math.inf
            scores = _C.where(dead, 0.0, scores)
    weights = _C.softmax(scores, -1)
    if dead is not None:
        weights = _C.where(dead, 0.0, weights)
    if dropout_p > 0.0:
        weights = _C._dropout(weights, dropout_p, True, None)
    return _C.matmul(weights, value)
