"""``Transformer``: the full encoder-decoder model of "Attention Is All You Need", built from the
:class:`TransformerEncoder` and :class:`TransformerDecoder` stacks of ``transformer.py``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ... import full, get_default_dtype, triu
from ..._C import Tensor
from .. import functional as F
from .. import init
from .module import Module
from .normalization import LayerNorm
from .transformer import (
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = ["Transformer"]


class Transformer(Module):
    """A Transformer: an encoder stack reads ``src`` into ``memory``, a decoder stack reads
    ``tgt`` and attends to ``memory``.

    ``memory = encoder(src)`` and ``output = decoder(tgt, memory)``, where the default encoder is
    ``num_encoder_layers`` :class:`TransformerEncoderLayer` copies followed by a ``LayerNorm``
    and the default decoder ``num_decoder_layers`` :class:`TransformerDecoderLayer` copies
    followed by a ``LayerNorm``. Every parameter with more than one dim is re-initialized with
    ``xavier_uniform_`` (as PyTorch; custom encoders and decoders included). Parameter names and
    shapes are PyTorch's, so a PyTorch ``state_dict`` loads by name.

    Args:
        d_model: model width ``E``. Default 512.
        nhead: attention heads; must divide ``d_model``. Default 8.
        num_encoder_layers: encoder layers (>= 0). Default 6.
        num_decoder_layers: decoder layers (>= 0). Default 6.
        dim_feedforward: hidden width of the feed-forward networks. Default 2048.
        dropout: dropout probability in [0, 1], training mode only. Default 0.1.
        activation: ``"relu"`` (default), ``"gelu"``, or a callable.
        custom_encoder: a module used instead of the default encoder, called as
            ``encoder(src, mask=..., src_key_padding_mask=..., is_causal=...)``.
        custom_decoder: a module used instead of the default decoder, called as
            ``decoder(tgt, memory, tgt_mask=..., memory_mask=..., tgt_key_padding_mask=...,
            memory_key_padding_mask=..., tgt_is_causal=..., memory_is_causal=...)``.
        layer_norm_eps: ``eps`` of the layer norms. Default 1e-5.
        batch_first: inputs and output are ``(N, S, E)`` instead of ``(S, N, E)``. Default
            False.
        norm_first: pre-norm layers instead of post-norm. Default False.
        bias: biases in the linear layers and layer norms. Default True.
        dtype: parameter dtype (default float32).
    Attributes:
        encoder: :class:`TransformerEncoder` (or ``custom_encoder``).
        decoder: :class:`TransformerDecoder` (or ``custom_decoder``).
    Returns:
        ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
        src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
        src_is_causal=None, tgt_is_causal=None, memory_is_causal=False)`` returns a tensor of
        ``tgt``'s shape.
    Raises:
        ValueError: bad constructor arguments; ``src`` and ``tgt`` with different batch sizes
            or a feature size other than ``d_model``; masks the attention layers reject.
        TypeError: an ``activation`` that is neither a name nor callable.
    Shape:
        ``S`` is the source length, ``T`` the target length, ``N`` the batch size, ``E`` =
        ``d_model``.

        * src: ``(S, N, E)``, ``(N, S, E)`` with ``batch_first``, or unbatched ``(S, E)``.
        * tgt: ``(T, N, E)``, ``(N, T, E)`` with ``batch_first``, or unbatched ``(T, E)``.
        * src_mask: ``(S, S)`` or ``(N * nhead, S, S)``; tgt_mask: ``(T, T)`` or
          ``(N * nhead, T, T)``; memory_mask: ``(T, S)`` or ``(N * nhead, T, S)``; bool
          (True: masked) or float (added to the attention scores).
        * src_key_padding_mask: ``(N, S)``; tgt_key_padding_mask: ``(N, T)``;
          memory_key_padding_mask: ``(N, S)`` (unbatched: ``(S)``, ``(T)``, ``(S)``).
        * output: ``(T, N, E)`` (``(N, T, E)`` with ``batch_first``, unbatched ``(T, E)``).
    Reference:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
    Example:
        >>> model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
        ...                        num_decoder_layers=1, dim_feedforward=16)
        >>> src, tgt = ember.randn(5, 3, 8), ember.randn(4, 3, 8)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(4)
        >>> tuple(model(src, tgt, tgt_mask=mask).shape)
        (4, 3, 8)
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = F.relu,
        custom_encoder: Any | None = None,
        custom_decoder: Any | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        kw = {} if dtype is None else {"dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(
                d_model,
                nhead,
                dim_feedforward,
                dropout,
                activation,
                layer_norm_eps,
                batch_first,
                norm_first,
                bias,
                **kw,
            )
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(
                d_model,
                nhead,
                dim_feedforward,
                dropout,
                activation,
                layer_norm_eps,
                batch_first,
                norm_first,
                bias,
                **kw,
            )
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def _reset_parameters(self) -> None:
        # PyTorch's initialization: xavier_uniform_ for every parameter with more than one dim.
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Encodes ``src`` and decodes ``tgt`` against it; shapes, masks and errors as in the
        class docstring. The ``*_is_causal`` flags are hints that the matching mask is the
        causal mask (which must still be given)."""
        name = type(self).__name__
        for what, t in (("src", src), ("tgt", tgt)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: expected {what} to be a Tensor, got {type(t).__name__}")
        is_batched = src.dim() == 3
        b = 0 if self.batch_first else 1
        if is_batched and (tgt.dim() != 3 or src.shape[b] != tgt.shape[b]):
            layout = "(N, S, E)" if self.batch_first else "(S, N, E)"
            raise ValueError(
                f"{name}: the batch sizes of src and tgt must be equal (layout {layout}, "
                f"batch_first={self.batch_first}); got src shape {tuple(src.shape)} and tgt "
                f"shape {tuple(tgt.shape)}"
            )
        if (
            src.dim() == 0
            or tgt.dim() == 0
            or (src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model)
        ):
            raise ValueError(
                f"{name}: the feature size (last dim) of src and tgt must equal d_model "
                f"({self.d_model}); got src shape {tuple(src.shape)} and tgt shape "
                f"{tuple(tgt.shape)}"
            )
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """The causal mask for a sequence of length ``sz``: ``-inf`` above the diagonal
        (position ``i`` may not attend to ``j > i``), 0 elsewhere.

        Args:
            sz: sequence length (>= 0).
            device: accepted for PyTorch compatibility; unused.
            dtype: floating dtype of the mask; the default dtype (float32) when None.
        Returns:
            ``(sz, sz)`` float tensor.
        Raises:
            ValueError: a negative or non-integer ``sz``.
        Example:
            >>> nn.Transformer.generate_square_subsequent_mask(3)
            tensor([[0., -inf, -inf],
                    [0., 0., -inf],
                    [0., 0., 0.]])
        """
        if isinstance(sz, bool) or not isinstance(sz, int) or sz < 0:
            raise ValueError(
                f"Transformer.generate_square_subsequent_mask: sz must be a non-negative int, "
                f"got {sz!r}"
            )
        dt = get_default_dtype() if dtype is None else dtype
        return triu(full((sz, sz), -math.inf, dtype=dt), diagonal=1)
