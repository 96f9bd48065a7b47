"""Attention layers with Keras's names, arguments, weights and semantics:
``MultiHeadAttention``, ``Attention`` (dot-product / Luong) and ``AdditiveAttention``
(Bahdanau).

``MultiHeadAttention`` keeps Keras's weights (``EinsumDense`` projections ``query``, ``key``,
``value`` and ``attention_output``, in that order) and computes the attention with
``ember.nn.functional.scaled_dot_product_attention``. Masks: an ``attention_mask`` ``(batch,
T, S)`` (True: attend), the causal mask (``use_causal_mask``) and the Keras masks of the
query and value (from ``Masking``/``Embedding(mask_zero=True)``) are combined with a logical
and; a query whose keys are all masked gets zero attention weights, as in Keras 3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ember

from ... import _C
from ..._C import Tensor
from ...nn import functional as F
from .. import initializers, regularizers
from .base import KerasTensor, Layer, _batch_shape, get_keras_mask, set_keras_mask, shape_str
from .core import _init_config, _unsupported

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]

# Keras's "large negative number" added to masked scores in Attention (float32).
_LARGE_NEGATIVE = 1.0e9


class _SymbolicKwargs(Layer):
    """Keeps the keyword arguments of a functional-API call while its output shapes are
    computed (the number of outputs depends on ``return_attention_scores``)."""

    def _symbolic_call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        self.__dict__["_sym_kwargs"] = kwargs
        try:
            return super()._symbolic_call(inputs, *args, **kwargs)
        finally:
            self.__dict__["_sym_kwargs"] = None

    def _call_kwargs(self) -> dict[str, Any]:
        return self.__dict__.get("_sym_kwargs") or {}


class _EinsumDense(Layer):
    """The projections inside MultiHeadAttention (Keras's ``EinsumDense``): contracts the last
    ``n_in`` input axes with a kernel of shape ``(*in_dims, *out_dims)`` and adds a bias of
    shape ``out_dims``, as one matrix product."""

    def __init__(self, n_in: int, out_dims: Sequence[int], use_bias: bool,
                 kernel_initializer: Any, bias_initializer: Any, kernel_regularizer: Any,
                 bias_regularizer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_in, self.out_dims, self.use_bias = n_in, tuple(int(d) for d in out_dims), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel`` ``(*in_dims, *out_dims)`` and ``bias`` ``out_dims``."""
        in_dims = tuple(int(d) for d in tuple(input_shape)[-self.n_in:])
        self.add_weight("kernel", in_dims + self.out_dims, self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.add_weight("bias", self.out_dims, self.bias_initializer,
                            regularizer=self.bias_regularizer)
        self.in_dims = in_dims

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs`` ``(..., *in_dims)`` -> ``(..., *out_dims)``."""
        lead = tuple(inputs.shape[:inputs.dim() - self.n_in])
        n_in, n_out = math.prod(self.in_dims), math.prod(self.out_dims)
        y = _C.matmul(inputs.reshape(*lead, n_in), self._parameters["kernel"].reshape(n_in, n_out))
        if self.use_bias:
            y = y + self._parameters["bias"].reshape(n_out)
        return y.reshape(*lead, *self.out_dims)


def _to_bool(mask: Any, dtype_like: Tensor) -> Tensor:
    if not isinstance(mask, Tensor):
        import numpy as np

        mask = ember.from_numpy(np.ascontiguousarray(np.asarray(mask).astype(bool)))
    return mask if mask.dtype == ember.bool else mask != 0


def _causal_mask(t: int, s: int) -> Tensor:
    """``(1, t, s)`` bool: query ``i`` attends to keys ``j <= i`` (Keras's lower triangle)."""
    return ember.ones(t, s, dtype=ember.bool).tril().unsqueeze(0)


class MultiHeadAttention(_SymbolicKwargs):
    """Multi-head attention (Vaswani et al.), Keras's ``MultiHeadAttention``.

    ``query`` ``(B, T, dim_q)``, ``value`` ``(B, S, dim_v)`` and ``key`` (default ``value``)
    are projected to ``num_heads`` heads (``Q = query @ Wq + bq``: ``(B, T, num_heads,
    key_dim)``, likewise ``K``, ``V`` with ``value_dim``); each head computes
    ``softmax(Q K^T / sqrt(key_dim) + mask) V`` (dropout on the attention weights in
    training); the heads are projected back to ``dim_q`` (or ``output_shape``) by
    ``attention_output``.

    Args:
        num_heads: number of heads (positive int).
        key_dim: size of each query/key head (positive int).
        value_dim: size of each value head; default ``key_dim``.
        dropout: dropout probability in [0, 1) on the attention weights, in training only.
            Default 0.0.
        use_bias: the projections have biases (default True).
        output_shape: output size (int or tuple) besides the batch and sequence dims;
            default the query's last dimension.
        attention_axes: only the default (None: attention over the sequence axis of 3-D
            inputs; ``1``/``(1,)`` are accepted as the same).
        flash_attention: accepted for Keras compatibility (ignored), but True with
            ``dropout > 0`` raises as in Keras.
        kernel_initializer: default ``'glorot_uniform'`` (fans from the kernel shapes below,
            as Keras).
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, bias_regularizer: penalties on every projection (default None).
        activity_regularizer, kernel_constraint, bias_constraint: must be None.
        seed: accepted for Keras compatibility.
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: non-positive sizes, ``dropout`` outside [0, 1), a bad ``output_shape``;
            at call time inputs that are not 3-D, ``key``/``value`` of different lengths, or
            masks that do not broadcast to ``(B, T, S)``.
        NotImplementedError: other ``attention_axes``, a regularizer/constraint that must be
            None.
    Shape:
        ``call(query, value, key=None, attention_mask=None, return_attention_scores=False,
        training=None, use_causal_mask=False)``: query ``(B, T, dim_q)``, value ``(B, S,
        dim_v)``, key ``(B, S, dim_k)``, attention_mask bool ``(B, T, S)`` (True: attend;
        broadcastable) -> output ``(B, T, dim_q)`` (``(B, T, *output_shape)``), and with
        ``return_attention_scores`` also the weights ``(B, num_heads, T, S)``. The output
        keeps the query's Keras mask. Weights (order of ``get_weights``): query kernel
        ``(dim_q, num_heads, key_dim)``, bias ``(num_heads, key_dim)``; key kernel ``(dim_k,
        num_heads, key_dim)``, bias; value kernel ``(dim_v, num_heads, value_dim)``, bias
        ``(num_heads, value_dim)``; output kernel ``(num_heads, value_dim, dim_q)``, bias
        ``(dim_q,)``.
    Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017; Keras's
        ``MultiHeadAttention``.
    Example:
        >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = np.zeros((3, 5, 8), np.float32)
        >>> out, scores = mha(x, x, return_attention_scores=True)
        >>> out.shape, scores.shape
        ((3, 5, 8), (3, 2, 5, 5))
    """

    supports_masking = True

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape: Any = None,
                 attention_axes: Any = None, flash_attention: bool | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cls = "MultiHeadAttention"
        _unsupported(cls, activity_regularizer=activity_regularizer,
                     kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        for n, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"{cls}: {n} must be a positive int, got {v!r}")
        if value_dim is not None and (isinstance(value_dim, bool) or not isinstance(
                value_dim, int) or value_dim <= 0):
            raise ValueError(f"{cls}: value_dim must be None or a positive int, got {value_dim!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
                0.0 <= dropout < 1.0):
            raise ValueError(f"{cls}: dropout must be a number in [0, 1), got {dropout!r}")
        if output_shape is not None:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(int(d) for d in output_shape)
            except (TypeError, ValueError):
                raise ValueError(f"{cls}: invalid `output_shape`: {output_shape!r}. When "
                                 "specified, the `output_shape` should be of type tuple, list, "
                                 "or int.") from None
            if not output_shape or any(d <= 0 for d in output_shape):
                raise ValueError(f"{cls}: output_shape must hold positive sizes, got "
                                 f"{output_shape!r}")
        axes = (attention_axes,) if isinstance(attention_axes, int) else attention_axes
        if axes is not None and tuple(axes) not in ((1,), (-2,)):
            raise NotImplementedError(f"{cls}: only the default attention_axes (attention over "
                                      f"the sequence axis of 3-D inputs) is supported, got "
                                      f"{attention_axes!r}")
        if flash_attention and dropout > 0:
            raise ValueError(f"{cls}: dropout is not supported when flash attention is enabled. "
                             "Please set dropout to 0.0 to use flash attention.")
        self._num_heads, self._key_dim = num_heads, key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout, self._use_bias = float(dropout), bool(use_bias)
        self._attn_output_shape = output_shape
        self._attention_axes = None if axes is None else (1,)
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    num_heads = property(lambda self: self._num_heads, doc="Number of heads.")
    key_dim = property(lambda self: self._key_dim, doc="Size of each query/key head.")
    value_dim = property(lambda self: self._value_dim, doc="Size of each value head.")
    dropout = property(lambda self: self._dropout, doc="Attention-weight dropout rate.")
    use_bias = property(lambda self: self._use_bias, doc="Whether the projections have biases.")
    attention_axes = property(lambda self: self._attention_axes, doc="The attention axes.")

    # -- calling ------------------------------------------------------------------------------

    def __call__(self, query: Any, value: Any = None, key: Any = None, **kwargs: Any) -> Any:
        if "_packed" in kwargs:  # a saved functional graph calling with the packed list
            return super().__call__(query, **kwargs)
        if value is None:
            raise TypeError("MultiHeadAttention: call it as mha(query, value[, key]); value is "
                            "missing")
        names, tensors = ["query", "value"], [query, value]
        if key is not None:
            names.append("key")
            tensors.append(key)
        symbolic = any(isinstance(t, KerasTensor) for t in tensors)
        if symbolic and not all(isinstance(t, KerasTensor) for t in tensors):
            raise ValueError("MultiHeadAttention: query, value and key must all be symbolic "
                             "(keras.Input-derived) tensors or all be arrays/tensors")
        mask = kwargs.get("attention_mask")
        if isinstance(mask, KerasTensor):
            names.append("attention_mask")
            tensors.append(kwargs.pop("attention_mask"))
        elif symbolic:
            for k in ("attention_mask", "query_mask", "value_mask", "key_mask"):
                if kwargs.get(k) is not None:
                    raise NotImplementedError(
                        f"MultiHeadAttention: in the functional API, {k} must be a symbolic "
                        "tensor (e.g. a keras.Input) or None; masks from Masking or "
                        "Embedding(mask_zero=True) are used automatically")
        if not self.built:
            shapes = [_batch_shape(t) for n, t in zip(names, tensors) if n != "attention_mask"]
            Layer._maybe_build(self, shapes)
        kwargs["_packed"] = names
        return super().__call__(tensors, **kwargs)

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        """Creates the projections for the input shapes (or a list ``[query_shape,
        value_shape(, key_shape)]``).

        Raises:
            ValueError: inputs that are not 3-D, ``value``/``key`` of different lengths, or an
                unknown last dimension.
        """
        if isinstance(query_shape, list) and value_shape is None:
            shapes = list(query_shape) + [None]
            query_shape, value_shape, key_shape = shapes[0], shapes[1], shapes[2]
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        common = {"use_bias": self._use_bias, "kernel_initializer": self._kernel_initializer,
                  "bias_initializer": self._bias_initializer,
                  "kernel_regularizer": self._kernel_regularizer,
                  "bias_regularizer": self._bias_regularizer, "dtype": self._dtype}
        h = self._num_heads
        for name, shape, size in (("query", query_shape, self._key_dim),
                                  ("key", key_shape, self._key_dim),
                                  ("value", value_shape, self._value_dim)):
            proj = _EinsumDense(1, (h, size), name=name, **common)
            proj._maybe_build(shape)
            self.add_module(name, proj)
        out = self._attn_output_shape or (query_shape[-1],)
        proj = _EinsumDense(2, out, name="attention_output", **common)
        proj._maybe_build(query_shape[:-1] + (h, self._value_dim))
        self.add_module("attention_output", proj)

    def _check_shapes(self, query_shape: tuple, value_shape: tuple, key_shape: tuple) -> None:
        for n, s in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(s) != 3:
                raise ValueError(f"MultiHeadAttention '{self.name}': expected {n} of rank 3 "
                                 f"(batch, sequence, features), got shape {shape_str(s)}; "
                                 "other ranks (attention_axes) are not supported")
            if s[-1] is None:
                raise ValueError(f"MultiHeadAttention '{self.name}': the last dimension of {n} "
                                 f"must be known, got shape {shape_str(s)}")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("MultiHeadAttention: all dimensions of `value` and `key`, except the "
                             "last one, must be "
                             f"equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")

    query_dense = property(lambda self: self._modules["query"], doc="The query projection.")
    key_dense = property(lambda self: self._modules["key"], doc="The key projection.")
    value_dense = property(lambda self: self._modules["value"], doc="The value projection.")
    output_dense = property(lambda self: self._modules["attention_output"],
                            doc="The output projection.")

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None,
                             key_shape: Any = None) -> Any:
        """The output shape: the query's, with the last dim replaced by ``output_shape``."""
        if isinstance(query_shape, list) and value_shape is None:
            query_shape = query_shape[0]
        query_shape = tuple(query_shape)
        if self._attn_output_shape:
            return query_shape[:-1] + tuple(self._attn_output_shape)
        return query_shape

    def _output_spec(self, input_shape: Any, dtype: Any) -> tuple[Any, Any]:
        kw = self._call_kwargs()
        names = kw.get("_packed") or ["query", "value", "key"]
        shapes = dict(zip(names, input_shape))
        q, v = tuple(shapes["query"]), tuple(shapes["value"])
        self._check_shapes(q, v, tuple(shapes.get("key", v)))
        out = self.compute_output_shape(q)
        if kw.get("return_attention_scores"):
            return [out, (q[0], self._num_heads, q[1], v[1])], [self._dtype, self._dtype]
        return out, self._dtype

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The query's mask (a second None for the attention scores)."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        return mask

    def _compute_attention_mask(self, query: Tensor, value: Tensor, query_mask: Any,
                                value_mask: Any, key_mask: Any, attention_mask: Any,
                                use_causal_mask: bool) -> Tensor | None:
        """The combined bool mask ``(B or 1, T, S)`` (Keras's ``_compute_attention_mask``)."""
        auto = None
        if query_mask is not None:
            auto = _to_bool(query_mask, query).unsqueeze(-1)  # (B, T, 1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = _to_bool(m, value).unsqueeze(-2)  # (B, 1, S)
                auto = m if auto is None else ember.logical_and(auto, m)
        if use_causal_mask:
            m = _causal_mask(int(query.shape[1]), int(value.shape[1]))
            auto = m if auto is None else ember.logical_and(auto, m)
        if attention_mask is not None:
            attention_mask = _to_bool(attention_mask, query)
            if auto is not None:
                attention_mask = ember.logical_and(attention_mask, auto)
            return attention_mask
        return auto

    def call(self, query: Any, value: Any = None, key: Any = None, query_mask: Any = None,
             value_mask: Any = None, key_mask: Any = None, attention_mask: Any = None,
             return_attention_scores: bool = False, training: bool | None = None,
             use_causal_mask: bool = False, _packed: Sequence[str] | None = None) -> Any:
        """The attention; see the class docstring.

        Raises:
            ValueError: inputs that are not 3-D or do not match the built sizes, or masks that
                do not broadcast to ``(B, T, S)``.
        """
        if _packed is not None:
            given = dict(zip(_packed, query))
            query, value, key = given["query"], given["value"], given.get("key")
            if "attention_mask" in given:
                attention_mask = given["attention_mask"]
        if key is None:
            key = value
        for n, t in (("query", query), ("value", value), ("key", key)):
            if t.dim() != 3:
                raise ValueError(f"MultiHeadAttention '{self.name}': expected {n} of rank 3 "
                                 f"(batch, sequence, features), got shape {tuple(t.shape)}")
        if query_mask is None:
            query_mask = get_keras_mask(query)
        if value_mask is None:
            value_mask = get_keras_mask(value)
        if key_mask is None and key is not value:
            key_mask = get_keras_mask(key)
        mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask,
                                            attention_mask, use_causal_mask)
        b, t, s = int(query.shape[0]), int(query.shape[1]), int(value.shape[1])
        if mask is not None:
            try:
                mask = mask.expand(b, t, s).unsqueeze(1)  # (B, 1, T, S): every head
            except ValueError:
                raise ValueError(f"MultiHeadAttention '{self.name}': the attention mask of "
                                 f"shape {tuple(mask.shape)} does not broadcast to (batch, "
                                 f"query length, key length) = ({b}, {t}, {s})") from None
        m = self._modules  # the built projections, run directly (no mask handling)
        q = m["query"].call(query).permute(0, 2, 1, 3)  # (B, N, T, key_dim)
        k = m["key"].call(key).permute(0, 2, 1, 3)
        v = m["value"].call(value).permute(0, 2, 1, 3)  # (B, N, S, value_dim)
        rate = self._dropout if training else 0.0
        scores = None
        if return_attention_scores:
            logits = _C.matmul(q * self._inverse_sqrt_key_dim, k.transpose(-2, -1))
            if mask is not None:
                logits = logits.masked_fill(mask.logical_not(), -_LARGE_NEGATIVE)
            scores = _C.softmax(logits, -1)
            if mask is not None:  # a query with every key masked gets zero weights
                scores = scores * mask.to(scores.dtype)
            weights = F.dropout(scores, rate, True) if rate > 0 else scores
            o = _C.matmul(weights, v)
        else:
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=rate,
                                               scale=self._inverse_sqrt_key_dim)
        out = m["attention_output"].call(o.permute(0, 2, 1, 3))  # (B, T, N, v) -> (B, T, dim)
        if query_mask is not None:
            set_keras_mask(out, _to_bool(query_mask, query))
        if return_attention_scores:
            return out, scores
        return out

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config.update(
            num_heads=self._num_heads, key_dim=self._key_dim, value_dim=self._value_dim,
            dropout=self._dropout, use_bias=self._use_bias,
            output_shape=list(self._attn_output_shape) if self._attn_output_shape else None,
            attention_axes=list(self._attention_axes) if self._attention_axes else None,
            kernel_initializer=_init_config(self._kernel_initializer),
            bias_initializer=_init_config(self._bias_initializer),
            kernel_regularizer=regularizers.serialize(self._kernel_regularizer),
            bias_regularizer=regularizers.serialize(self._bias_regularizer),
            activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
            seed=self.seed)
        return config


class Attention(_SymbolicKwargs):
    """Dot-product attention (Luong style), Keras's ``Attention``.

    For ``[query (B, Tq, dim), value (B, Tv, dim)(, key (B, Tv, dim))]`` (key defaults to
    value): scores ``query @ key^T`` (times the learned ``scale`` with ``use_scale``) or, with
    ``score_mode='concat'``, ``concat_score_weight * sum(tanh(scale * (q_i + k_j)), -1)``;
    masked keys get ``-1e9`` added; ``weights = softmax(scores)`` (dropout in training);
    output ``weights @ value``, zeroed at masked query steps.

    Args:
        use_scale: learn a scalar ``scale`` (initialized to 1). Default False.
        score_mode: ``'dot'`` (default) or ``'concat'`` (adds a scalar
            ``concat_score_weight``).
        dropout: dropout probability in [0, 1) on the weights, in training (default 0.0).
        seed: accepted for Keras compatibility.
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: an unknown ``score_mode``, ``dropout`` outside [0, 1); at call time inputs
            that are not a list of 2 or 3 tensors, or masks that are not a list.
    Shape:
        ``call(inputs, mask=None, training=None, return_attention_scores=False,
        use_causal_mask=False)``: ``inputs`` ``[query, value(, key)]``, ``mask`` ``[query_mask
        (B, Tq), value_mask (B, Tv)]`` (default: the inputs' Keras masks) -> ``(B, Tq,
        dim_v)``, and with ``return_attention_scores`` the weights ``(B, Tq, Tv)``.
    Reference: Luong et al., "Effective Approaches to Attention-based Neural Machine
        Translation", 2015; Keras's ``Attention``.
    Example:
        >>> q = np.ones((2, 3, 4), np.float32)
        >>> keras.layers.Attention()([q, q]).shape
        (2, 3, 4)
    """

    supports_masking = True

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{type(self).__name__}: invalid value for argument score_mode. "
                             "Expected one of {'dot', 'concat'}. Received: "
                             f"score_mode={score_mode!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
                0.0 <= dropout < 1.0):
            raise ValueError(f"{type(self).__name__}: dropout must be a number in [0, 1), got "
                             f"{dropout!r}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout, self.seed = float(dropout), seed

    def _validate(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            msg = (f"{name} layer must be called on a list of inputs, namely [query, value] or "
                   f"[query, value, key]. Received: inputs={inputs!r}.")
            raise ValueError(msg)  # noqa: TRY004 (Keras's type)
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely "
                             f"[query, value] or [query, value, key]. Received length: "
                             f"{len(inputs)}.")
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{name} layer mask must be a list of length 2 or 3, namely "
                             f"[query_mask, value_mask]. Received: mask={mask!r}.")

    def build(self, input_shape: Any) -> None:
        """Creates ``scale`` (with ``use_scale``) and ``concat_score_weight`` (``'concat'``),
        scalars initialized to 1.

        Raises:
            ValueError: not a list of 2 or 3 shapes.
        """
        self._validate(input_shape)
        if self.use_scale:
            self.add_weight("scale", (), "ones")
        if self.score_mode == "concat":
            self.add_weight("concat_score_weight", (), "ones")

    def _scale(self) -> Tensor | None:
        return self._parameters.get("scale") if self.use_scale else None

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        """Scores ``(B, Tq, Tv)``."""
        scale = self._scale()
        if self.score_mode == "dot":
            scores = _C.matmul(query, key.transpose(-2, -1))
            return scores if scale is None else scores * scale
        s = query.unsqueeze(-2) + key.unsqueeze(-3)  # (B, Tq, Tv, dim)
        if scale is not None:
            s = s * scale
        return self._parameters["concat_score_weight"] * _C.tanh(s).sum(-1)

    def call(self, inputs: Any, mask: Any = None, training: bool | None = None,
             return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        """The attention; see the class docstring.

        Raises:
            ValueError: inputs not a list of 2 or 3 tensors, or a mask that is not a list.
        """
        self._validate(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(q, k)
        score_mask = _to_bool(v_mask, v).unsqueeze(-2) if v_mask is not None else None
        if use_causal_mask:
            causal = _causal_mask(int(scores.shape[-2]), int(scores.shape[-1]))
            score_mask = causal if score_mask is None else ember.logical_and(score_mask, causal)
        if score_mask is not None:
            scores = scores - _LARGE_NEGATIVE * score_mask.logical_not().to(scores.dtype)
        weights = _C.softmax(scores, -1)
        if training and self.dropout > 0:
            weights = F.dropout(weights, self.dropout, True)
        out = _C.matmul(weights, v)
        if q_mask is not None:
            out = out * _to_bool(q_mask, q).unsqueeze(-1).to(out.dtype)
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The query mask (None without masks)."""
        if not mask:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape: Any) -> Any:
        """``(*query_shape[:-1], value_shape[-1])``."""
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def _output_spec(self, input_shape: Any, dtype: Any) -> tuple[Any, Any]:
        self._validate(input_shape)
        out = self.compute_output_shape(input_shape)
        if self._call_kwargs().get("return_attention_scores"):
            q, v = input_shape[0], input_shape[1]
            return [out, (q[0], q[1], v[1])], [self._dtype, self._dtype]
        return out, self._dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode,
                      dropout=self.dropout, seed=self.seed)
        return config


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau style), Keras's ``AdditiveAttention``: scores
    ``sum(scale * tanh(q_i + k_j), -1)`` with a learned ``scale`` of shape ``(dim,)``
    (``use_scale``), then as :class:`Attention`.

    Args:
        use_scale: learn ``scale`` ``(dim,)`` (``'glorot_uniform'``). Default True.
        dropout: dropout probability in [0, 1) on the weights, in training (default 0.0).
        **kwargs: :class:`Layer` arguments (and ``seed``).
    Raises:
        ValueError: as :class:`Attention`.
    Shape:
        As :class:`Attention`; query and key share the last dimension ``dim``.
    Reference: Bahdanau et al., "Neural Machine Translation by Jointly Learning to Align and
        Translate", 2015; Keras's ``AdditiveAttention``.
    Example:
        >>> q = np.ones((2, 3, 4), np.float32)
        >>> keras.layers.AdditiveAttention()([q, q]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        """Creates ``scale`` ``(dim,)`` with ``use_scale``.

        Raises:
            ValueError: not a list of 2 or 3 shapes.
        """
        self._validate(input_shape)
        if self.use_scale:
            self.add_weight("scale", (int(input_shape[0][-1]),), "glorot_uniform")

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        """Scores ``(B, Tq, Tv)``."""
        s = _C.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        scale = self._scale()
        return (s if scale is None else s * scale).sum(-1)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        del config["score_mode"]
        return config
