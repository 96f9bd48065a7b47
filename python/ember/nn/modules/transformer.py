"""Attention layers: ``MultiheadAttention`` and the Transformer encoder and decoder stacks.

Compositions of ember ops (``linear``, ``matmul``, ``softmax``, ``scaled_dot_product_attention``,
``layer_norm``), so autograd and ``ember.jit`` follow them. Parameter names and shapes are
PyTorch's, so a PyTorch ``state_dict`` loads by name.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable
from typing import Any

from ... import _C, empty, zeros
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = [
    "MultiheadAttention",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]


def _dt(t: Any) -> str:
    return str(t).replace("ember.", "")


def _check_int(cls: str, name: str, v: Any, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        what = "a positive" if minimum == 1 else "a non-negative"
        raise ValueError(f"{cls}: {name} must be {what} int, got {v!r}")
    return int(v)


def _check_p(cls: str, p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{cls}: dropout must be a probability in [0, 1], got {p!r}")
    return float(p)


def _canonical_mask(mask: Any, name: str, dtype: Any, cls: str) -> Tensor | None:
    """None, or ``mask`` as an additive float mask of ``dtype``: a bool mask becomes -inf where
    True (masked out) and 0 elsewhere; a float mask of ``dtype`` is kept."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{cls}: expected {name} to be a Tensor or None, got {type(mask).__name__}")
    if mask.dtype == _C.dtype.bool:
        return zeros(*mask.shape, dtype=dtype).masked_fill(mask, -math.inf)
    if mask.dtype != dtype:
        raise TypeError(
            f"{cls}: {name} must be bool or of the query dtype {_dt(dtype)}, got {_dt(mask.dtype)}"
        )
    return mask


class MultiheadAttention(Module):
    """Multi-head attention: ``MultiHead(Q, K, V) = concat(head_1, ..., head_h) W_O^T + b_O``.

    Each head is ``head_i = softmax(Q_i K_i^T / sqrt(d) + M) V_i`` with ``Q_i = query W_Qi^T +
    b_Qi`` (and likewise ``K_i`` from ``key``, ``V_i`` from ``value``), ``d = embed_dim /
    num_heads`` and ``M`` the additive mask made of ``attn_mask`` and ``key_padding_mask``
    (-inf where a bool mask is True, the values of a float mask). With ``dropout > 0`` the
    attention weights are dropped out in training mode. The weights returned are those after
    dropout, averaged over the heads unless ``average_attn_weights=False``. As in PyTorch, a
    query whose keys are all masked gets NaN weights and output when ``need_weights=True`` and
    zero attention (the output bias only) when ``need_weights=False``.

    Args:
        embed_dim: model width ``E`` (query features and output features).
        num_heads: heads; must divide ``embed_dim``.
        dropout: dropout probability in [0, 1] on the attention weights. Default 0.0.
        bias: learn ``in_proj_bias`` and ``out_proj.bias``. Default True.
        add_bias_kv: only False is supported (default).
        add_zero_attn: append a zero key and value (after the projections), which every query
            can attend to. Default False.
        kdim: features of ``key``. Default ``embed_dim``.
        vdim: features of ``value``. Default ``embed_dim``.
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``. Default False.
        dtype: parameter dtype (default float32).
    Attributes:
        in_proj_weight: ``(3 E, E)``, the query, key and value projections stacked (rows ``0:E``,
            ``E:2E``, ``2E:3E``), xavier_uniform; None when ``kdim``/``vdim`` differ from ``E``.
        q_proj_weight, k_proj_weight, v_proj_weight: ``(E, E)``, ``(E, kdim)``, ``(E, vdim)``,
            xavier_uniform; only when ``kdim``/``vdim`` differ from ``E`` (else None).
        in_proj_bias: ``(3 E,)``, zeros (None without ``bias``).
        out_proj: ``Linear(E, E)`` (Linear's initialization, bias zeros).
    Returns:
        ``(attn_output, attn_weights)`` from ``forward``; ``attn_weights`` is None when
        ``need_weights=False``.
    Raises:
        ValueError: bad constructor arguments; inputs, masks of the wrong rank or shape;
            ``is_causal`` without ``attn_mask``.
        TypeError: non-Tensor inputs, a dtype other than the parameters', or a mask that is
            neither bool nor of the query dtype.
        NotImplementedError: ``add_bias_kv=True``.
    Shape:
        ``L`` is the target (query) length, ``S`` the source (key/value) length, ``N`` the batch
        size, ``E`` = ``embed_dim``, ``H`` = ``num_heads``.

        * query: ``(L, N, E)``, ``(N, L, E)`` with ``batch_first``, or unbatched ``(L, E)``.
        * key: ``(S, N, kdim)`` (``(N, S, kdim)``; unbatched ``(S, kdim)``); value likewise
          with ``vdim``.
        * key_padding_mask: ``(N, S)`` (unbatched ``(S)``), bool (True: ignore that key) or
          float (added to the scores).
        * attn_mask: ``(L, S)`` or ``(N * H, L, S)``, bool (True: not allowed to attend) or
          float (added to the scores).
        * attn_output: the query's layout, with ``E`` features.
        * attn_weights: ``(N, L, S)`` (unbatched ``(L, S)``), or ``(N, H, L, S)`` (unbatched
          ``(H, L, S)``) with ``average_attn_weights=False``.
    Reference:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
    Example:
        >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = ember.randn(3, 5, 8)
        >>> out, w = mha(x, x, x)
        >>> tuple(out.shape), tuple(w.shape)
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cls = "MultiheadAttention"
        self.embed_dim = _check_int(cls, "embed_dim", embed_dim)
        self.num_heads = _check_int(cls, "num_heads", num_heads)
        self.kdim = _check_int(cls, "kdim", kdim) if kdim is not None else embed_dim
        self.vdim = _check_int(cls, "vdim", vdim) if vdim is not None else embed_dim
        if embed_dim % num_heads:
            raise ValueError(
                f"{cls}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        if add_bias_kv:
            raise NotImplementedError(f"{cls}: add_bias_kv=True is not supported")
        self.dropout = _check_p(cls, dropout)
        self.batch_first = bool(batch_first)
        self.add_zero_attn = bool(add_zero_attn)
        self.head_dim = embed_dim // num_heads
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        kw = {} if dtype is None else {"dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **kw)
        self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _check_inputs(
        self, query: Any, key: Any, value: Any, key_padding_mask: Any, attn_mask: Any
    ) -> bool:
        """Checks ranks, feature sizes and dtypes; returns whether the call is batched."""
        cls = self._get_name()
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{cls}: expected {name} to be a Tensor, got {type(t).__name__}")
        shapes = f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
        if query.dim() not in (2, 3):
            raise ValueError(
                f"{cls}: query should be unbatched 2-D (L, E) or batched 3-D, got "
                f"{query.dim()}-D query of shape {tuple(query.shape)}"
            )
        batched = query.dim() == 3
        if key.dim() != query.dim() or value.dim() != query.dim():
            raise ValueError(
                f"{cls}: for {query.dim()}-D query, key and value must be {query.dim()}-D too; "
                f"got {shapes}"
            )
        for name, t, want in (
            ("query", query, self.embed_dim),
            ("key", key, self.kdim),
            ("value", value, self.vdim),
        ):
            if t.shape[-1] != want:
                what = {"query": "embed_dim", "key": "kdim", "value": "vdim"}[name]
                raise ValueError(
                    f"{cls}: {name}.shape[-1] ({t.shape[-1]}) must equal {what} ({want}); "
                    f"got {shapes}"
                )
        if tuple(key.shape[:-1]) != tuple(value.shape[:-1]):
            raise ValueError(
                f"{cls}: key and value must agree in all but the last dim; got {shapes}"
            )
        if batched:
            b = 0 if self.batch_first else 1
            if key.shape[b] != query.shape[b]:
                raise ValueError(
                    f"{cls}: key and query batch sizes differ ({key.shape[b]} vs "
                    f"{query.shape[b]}); got {shapes}"
                )
        dtype = self.out_proj.weight.dtype
        for name, t in (("query", query), ("key", key), ("value", value)):
            if t.dtype != dtype:
                raise TypeError(
                    f"{cls}: {name} dtype {_dt(t.dtype)} must equal the parameters' dtype "
                    f"{_dt(dtype)}"
                )
        if key_padding_mask is not None and isinstance(key_padding_mask, Tensor):
            want_dim = 2 if batched else 1
            if key_padding_mask.dim() != want_dim:
                raise ValueError(
                    f"{cls}: for {'batched' if batched else 'unbatched'} query, key_padding_mask "
                    f"must be {want_dim}-D, got shape {tuple(key_padding_mask.shape)}"
                )
        if (
            attn_mask is not None
            and isinstance(attn_mask, Tensor)
            and attn_mask.dim() not in (2, 3)
        ):
            raise ValueError(
                f"{cls}: attn_mask must be 2-D (L, S) or 3-D (N * num_heads, L, S), got shape "
                f"{tuple(attn_mask.shape)}"
            )
        return batched

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Attends ``query`` to ``key``/``value``; shapes, masks and errors as in the class
        docstring. ``is_causal`` is a hint that ``attn_mask`` is the causal mask (it must be
        given, as in PyTorch)."""
        cls = self._get_name()
        batched = self._check_inputs(query, key, value, key_padding_mask, attn_mask)
        dtype = query.dtype
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", dtype, cls)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", dtype, cls)
        # One fused projection when query, key and value are one tensor. Only in eager mode:
        # ember.jit does not key its graphs on aliasing, so a traced graph must not depend on
        # it (the separate projections give the same values, up to rounding).
        self_attn = query is key and key is value and not _C._jit_is_tracing()
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        L, N, E = (int(n) for n in query.shape)
        S = int(key.shape[0])
        H, d = self.num_heads, self.head_dim

        if is_causal and attn_mask is None:
            raise ValueError(
                f"{cls}: is_causal=True needs attn_mask (the causal mask it hints at), got None"
            )
        if is_causal and key_padding_mask is None and not need_weights:
            attn_mask = None  # the causal mask itself is applied by the attention below
        else:
            is_causal = False
            if attn_mask is not None:
                want = [(L, S), (N * H, L, S)][attn_mask.dim() - 2]
                if tuple(attn_mask.shape) != want:
                    raise ValueError(
                        f"{cls}: the shape of the {attn_mask.dim()}-D attn_mask is "
                        f"{tuple(attn_mask.shape)}, but should be {want} for query length {L}, "
                        f"key length {S}, batch {N} and {H} heads"
                    )
                if attn_mask.dim() == 2:
                    attn_mask = attn_mask.unsqueeze(0)

        # input projections
        b = self.in_proj_bias
        b_q, b_k, b_v = b.chunk(3, 0) if b is not None else (None, None, None)
        if self._qkv_same_embed_dim and self_attn:
            q, k, v = F.linear(query, self.in_proj_weight, b).chunk(3, -1)
        else:
            if self._qkv_same_embed_dim:
                w_q, w_k, w_v = self.in_proj_weight.chunk(3, 0)
            else:
                w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
            q, k, v = F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)
        q = q.reshape(L, N * H, d).transpose(0, 1)  # (N * H, L, d)
        k = k.reshape(S, N * H, d).transpose(0, 1)  # (N * H, S, d)
        v = v.reshape(S, N * H, d).transpose(0, 1)

        if key_padding_mask is not None and tuple(key_padding_mask.shape) != (N, S):
            want, meaning = ((N, S), "(batch, key length)") if batched else ((S,), "(key length)")
            got = tuple(key_padding_mask.shape[int(not batched) :])
            raise ValueError(
                f"{cls}: expected key_padding_mask of shape {want} {meaning}, got {got}"
            )
        if self.add_zero_attn:
            k = _C.cat([k, zeros(N * H, 1, d, dtype=dtype)], 1)
            v = _C.cat([v, zeros(N * H, 1, d, dtype=dtype)], 1)
            if attn_mask is not None:
                pad = zeros(attn_mask.shape[0], L, 1, dtype=dtype)
                attn_mask = _C.cat([attn_mask, pad], -1)
            if key_padding_mask is not None:
                key_padding_mask = _C.cat([key_padding_mask, zeros(N, 1, dtype=dtype)], -1)
            S += 1
        if key_padding_mask is not None:
            kpm = key_padding_mask.reshape(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
            attn_mask = kpm if attn_mask is None else attn_mask + kpm

        dropout_p = self.dropout if self.training else 0.0
        if need_weights:
            scores = _C.matmul(q * math.sqrt(1.0 / d), k.transpose(1, 2))
            if attn_mask is not None:
                scores = attn_mask + scores
            weights = _C.softmax(scores, -1)
            if dropout_p > 0.0:
                weights = F.dropout(weights, dropout_p, True)
            out = _C.matmul(weights, v)  # (N * H, L, d)
            out = out.transpose(0, 1).reshape(L * N, E)
            weights = weights.reshape(N, H, L, S)
            if average_attn_weights:
                weights = weights.mean(1)
            if not batched:
                weights = weights.squeeze(0)
        else:
            weights = None
            if attn_mask is not None:
                if attn_mask.shape[0] == 1:
                    attn_mask = attn_mask.unsqueeze(0)
                else:
                    attn_mask = attn_mask.reshape(N, H, -1, S)
            out = F.scaled_dot_product_attention(
                q.reshape(N, H, L, d),
                k.reshape(N, H, S, d),
                v.reshape(N, H, S, d),
                attn_mask,
                dropout_p,
                is_causal,
            )  # (N, H, L, d)
            out = out.permute(2, 0, 1, 3).reshape(L * N, E)
        out = self.out_proj(out).reshape(L, N, E)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, weights


def _activation(cls: str, activation: Any) -> Callable[[Tensor], Tensor]:
    if isinstance(activation, str):
        if activation == "relu":
            return F.relu
        if activation == "gelu":
            return F.gelu
        raise ValueError(
            f"{cls}: activation should be 'relu', 'gelu' or a callable, got {activation!r}"
        )
    if not callable(activation):
        raise TypeError(
            f"{cls}: activation should be 'relu', 'gelu' or a callable, got "
            f"{type(activation).__name__}"
        )
    return activation


def _attend(
    attn: MultiheadAttention,
    x: Tensor,
    mem: Tensor,
    attn_mask: Tensor | None,
    key_padding_mask: Tensor | None,
    is_causal: bool,
) -> Tensor:
    """The attention output of ``attn`` with queries ``x`` and keys and values ``mem`` (no
    weights)."""
    return attn(
        x,
        mem,
        mem,
        attn_mask=attn_mask,
        key_padding_mask=key_padding_mask,
        need_weights=False,
        is_causal=is_causal,
    )[0]


class _TransformerLayer(Module):
    """Construction and blocks shared by :class:`TransformerEncoderLayer` and
    :class:`TransformerDecoderLayer`: ``self_attn`` (and ``multihead_attn`` with cross
    attention), the feed-forward ``linear1``/``dropout``/``linear2``, and a ``norm{i}`` and
    ``dropout{i}`` per sub-block (2, or 3 with cross attention)."""

    def _build(
        self,
        cross_attention: bool,
        d_model: int,
        nhead: int,
        dim_feedforward: int,
        dropout: float,
        activation: str | Callable[[Tensor], Tensor],
        layer_norm_eps: float,
        batch_first: bool,
        norm_first: bool,
        bias: bool,
        dtype: Any,
    ) -> None:
        """Checks the arguments and registers the submodules in PyTorch's order (which fixes
        the state_dict order and the draws of the initial weights)."""
        cls = type(self).__name__
        _check_int(cls, "dim_feedforward", dim_feedforward)
        _check_p(cls, dropout)
        kw = {} if dtype is None else {"dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
        )
        if cross_attention:
            self.multihead_attn = MultiheadAttention(
                d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
            )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = bool(norm_first)
        blocks = range(1, 4 if cross_attention else 3)
        for i in blocks:
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for i in blocks:
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(cls, activation)

    def _sa_block(
        self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None, is_causal: bool
    ) -> Tensor:
        """Self-attention of ``x``, then ``dropout1``."""
        return self.dropout1(_attend(self.self_attn, x, x, attn_mask, key_padding_mask, is_causal))

    def _feed_forward(self, x: Tensor) -> Tensor:
        """``linear2(dropout(activation(linear1(x))))``."""
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class TransformerEncoderLayer(_TransformerLayer):
    """One Transformer encoder block: self-attention and a feed-forward network.

    With ``norm_first=False`` (post-norm, the original paper)::

        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    and with ``norm_first=True`` (pre-norm)::

        x = x + dropout1(self_attn(norm1(x), norm1(x), norm1(x)))
        x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))

    Args:
        d_model: model width ``E``.
        nhead: attention heads; must divide ``d_model``.
        dim_feedforward: hidden width of the feed-forward network. Default 2048.
        dropout: dropout probability in [0, 1] (attention weights and the three dropouts
            above), training mode only. Default 0.1.
        activation: ``"relu"`` (default), ``"gelu"``, or a callable (a function or a module).
        layer_norm_eps: ``eps`` of both layer norms. Default 1e-5.
        batch_first: ``(N, L, E)`` instead of ``(L, N, E)``. Default False.
        norm_first: pre-norm instead of post-norm. Default False.
        bias: biases in the linear layers and layer norms. Default True.
        dtype: parameter dtype (default float32).
    Attributes:
        self_attn: :class:`MultiheadAttention`;  linear1: ``Linear(E, dim_feedforward)``;
        linear2: ``Linear(dim_feedforward, E)``;  norm1, norm2: ``LayerNorm(E)``;
        dropout, dropout1, dropout2: ``Dropout``.
    Returns:
        ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)`` returns a
        tensor of ``src``'s shape.
    Raises:
        ValueError: bad constructor arguments (including an unknown activation name), or
            inputs and masks that :class:`MultiheadAttention` rejects.
        TypeError: an ``activation`` that is neither a name nor callable.
    Shape:
        ``L`` is the sequence length, ``N`` the batch size, ``E`` = ``d_model``.

        * src: ``(L, N, E)``, ``(N, L, E)`` with ``batch_first``, or unbatched ``(L, E)``.
        * src_mask: ``(L, L)`` or ``(N * nhead, L, L)``, bool (True: masked) or float (added).
        * src_key_padding_mask: ``(N, L)`` (unbatched ``(L)``), bool or float.
        * output: the shape of ``src``.
    Reference:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017; Xiong et al., "On Layer
        Normalization in the Transformer Architecture", ICML 2020 (pre-norm).
    Example:
        >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> tuple(layer(ember.randn(3, 5, 8)).shape)
        (3, 5, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self._build(
            False,
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
            bias,
            dtype,
        )

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        """Runs the block; shapes, masks and errors as in the class docstring (``is_causal``
        is a hint that ``src_mask`` is the causal mask)."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self._feed_forward(x))


class TransformerDecoderLayer(_TransformerLayer):
    """One Transformer decoder block: self-attention, attention to the encoder output
    (``memory``) and a feed-forward network.

    With ``norm_first=False`` (post-norm)::

        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(multihead_attn(x, memory, memory)))
        x = norm3(x + dropout3(linear2(dropout(activation(linear1(x))))))

    and with ``norm_first=True`` each sublayer reads ``norm_k(x)`` and is added to ``x``.

    Args:
        d_model: model width ``E``.
        nhead: attention heads; must divide ``d_model``.
        dim_feedforward: hidden width of the feed-forward network. Default 2048.
        dropout: dropout probability in [0, 1], training mode only. Default 0.1.
        activation: ``"relu"`` (default), ``"gelu"``, or a callable (a function or a module).
        layer_norm_eps: ``eps`` of the layer norms. Default 1e-5.
        batch_first: ``(N, L, E)`` instead of ``(L, N, E)``. Default False.
        norm_first: pre-norm instead of post-norm. Default False.
        bias: biases in the linear layers and layer norms. Default True.
        dtype: parameter dtype (default float32).
    Attributes:
        self_attn, multihead_attn: :class:`MultiheadAttention`;  linear1, linear2: the
        feed-forward ``Linear`` layers;  norm1, norm2, norm3: ``LayerNorm(E)``;  dropout,
        dropout1, dropout2, dropout3: ``Dropout``.
    Returns:
        ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)`` returns a
        tensor of ``tgt``'s shape.
    Raises:
        ValueError: bad constructor arguments (including an unknown activation name), or
            inputs and masks that :class:`MultiheadAttention` rejects.
        TypeError: an ``activation`` that is neither a name nor callable.
    Shape:
        ``T`` is the target length, ``S`` the memory length, ``N`` the batch size,
        ``E`` = ``d_model``.

        * tgt: ``(T, N, E)``, ``(N, T, E)`` with ``batch_first``, or unbatched ``(T, E)``.
        * memory: ``(S, N, E)``, ``(N, S, E)`` with ``batch_first``, or unbatched ``(S, E)``.
        * tgt_mask: ``(T, T)`` or ``(N * nhead, T, T)``; memory_mask: ``(T, S)`` or
          ``(N * nhead, T, S)``; bool (True: masked) or float (added).
        * tgt_key_padding_mask: ``(N, T)``; memory_key_padding_mask: ``(N, S)``.
        * output: the shape of ``tgt``.
    Reference:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
    Example:
        >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
        >>> tuple(layer(ember.randn(4, 3, 8), ember.randn(6, 3, 8)).shape)
        (4, 3, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self._build(
            True,
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
            bias,
            dtype,
        )

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Runs the block; shapes, masks and errors as in the class docstring (the
        ``*_is_causal`` flags are hints that the matching mask is the causal mask)."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(
        self,
        x: Tensor,
        mem: Tensor,
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool,
    ) -> Tensor:
        x = _attend(self.multihead_attn, x, mem, attn_mask, key_padding_mask, is_causal)
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self._feed_forward(x))


def _clones(cls: str, layer: Any, what: str, num_layers: Any) -> ModuleList:
    if not isinstance(layer, Module):
        raise TypeError(f"{cls}: expected {what} to be a Module, got {type(layer).__name__}")
    n = _check_int(cls, "num_layers", num_layers, 0)
    return ModuleList([copy.deepcopy(layer) for _ in range(n)])


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of an encoder layer, then an optional norm.

    ``x = layer_{num_layers-1}(... layer_0(src) ...)``, then ``norm(x)`` when ``norm`` is given.
    Each layer is a deep copy of ``encoder_layer`` (independent parameters, starting equal), as
    in PyTorch.

    Args:
        encoder_layer: the layer to copy, usually a :class:`TransformerEncoderLayer`.
        num_layers: number of copies (>= 0).
        norm: a module applied to the output (e.g. ``LayerNorm``), or None (default).
        enable_nested_tensor: accepted for PyTorch compatibility; ember has no nested tensors,
            so padded positions are computed like the others (PyTorch's inference fast path
            returns zeros there).
        mask_check: accepted for PyTorch compatibility; unused.
    Attributes:
        layers: ``ModuleList`` of the copies (state_dict keys ``layers.0.self_attn...``).
    Returns:
        ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)`` returns a tensor
        of ``src``'s shape; the masks are passed to every layer.
    Raises:
        TypeError: ``encoder_layer`` is not a Module.
        ValueError: negative ``num_layers``, or masks/inputs the layers reject.
    Shape:
        As :class:`TransformerEncoderLayer`: ``src`` ``(L, N, E)`` (``(N, L, E)`` with
        ``batch_first``, unbatched ``(L, E)``) -> same shape.
    Reference:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
    Example:
        >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
        >>> enc = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8))
        >>> tuple(enc(ember.randn(5, 3, 8)).shape)
        (5, 3, 8)
    """

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _clones(type(self).__name__, encoder_layer, "encoder_layer", num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        """Runs the layers and the norm; shapes and errors as in the class docstring.
        ``is_causal`` is a hint that ``mask`` is the causal mask."""
        out = src
        for mod in self.layers:
            out = mod(
                out,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
            )
        if self.norm is not None:
            out = self.norm(out)
        return out


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of a decoder layer, then an optional norm.

    ``x = layer_{num_layers-1}(... layer_0(tgt, memory) ..., memory)``, then ``norm(x)``.
    Each layer is a deep copy of ``decoder_layer``, as in PyTorch.

    Args:
        decoder_layer: the layer to copy, usually a :class:`TransformerDecoderLayer`.
        num_layers: number of copies (>= 0).
        norm: a module applied to the output, or None (default).
    Attributes:
        layers: ``ModuleList`` of the copies.
    Returns:
        ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)`` returns a
        tensor of ``tgt``'s shape; the masks are passed to every layer.
    Raises:
        TypeError: ``decoder_layer`` is not a Module.
        ValueError: negative ``num_layers``, or masks/inputs the layers reject.
    Shape:
        As :class:`TransformerDecoderLayer`: ``tgt`` ``(T, N, E)``, ``memory`` ``(S, N, E)``
        (batch first or unbatched likewise) -> the shape of ``tgt``.
    Reference:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
    Example:
        >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> dec = nn.TransformerDecoder(layer, num_layers=2)
        >>> tuple(dec(ember.randn(3, 4, 8), ember.randn(3, 6, 8)).shape)
        (3, 4, 8)
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(type(self).__name__, decoder_layer, "decoder_layer", num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Runs the layers and the norm; shapes and errors as in the class docstring.
        ``tgt_is_causal`` is a hint that ``tgt_mask`` is the causal mask."""
        out = tgt
        for mod in self.layers:
            out = mod(
                out,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            out = self.norm(out)
        return out
