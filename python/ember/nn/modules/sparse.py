"""``Embedding`` and ``EmbeddingBag``."""

from __future__ import annotations

from typing import Any

from ... import empty, no_grad
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``.

    Args:
        num_embeddings: table size.
        embedding_dim: vector size.
        padding_idx: a row that is initialized to zeros and never gets a gradient
            (negative counts from the end). Default None.
        _weight: an initial weight ``(num_embeddings, embedding_dim)`` instead of N(0, 1).
    Shape:
        input int64 ``(*)`` -> output ``(*, embedding_dim)``.
    Raises:
        ValueError: ``padding_idx`` outside the table.  IndexError (forward): bad index.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx ({padding_idx}) must be within "
                    f"num_embeddings ({num_embeddings})"
                )
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        kw = {} if dtype is None else {"dtype": dtype}
        if _weight is None:
            self.weight = Parameter(
                empty(num_embeddings, embedding_dim, **kw), requires_grad=not _freeze
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    "Embedding: _weight shape does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Re-initializes the parameters with PyTorch's default initialization for this layer."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.detach().select(0, self.padding_idx).fill_(0)

    def forward(self, input: Tensor) -> Tensor:
        """Applies :class:`Embedding` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(
        cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None, **kwargs: Any
    ) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D); frozen by default."""
        if embeddings.dim() != 2:
            raise ValueError("Embedding.from_pretrained: embeddings must be 2-D")
        rows, cols = embeddings.shape
        return cls(
            rows, cols, padding_idx=padding_idx, _weight=embeddings, _freeze=freeze, **kwargs
        )


class EmbeddingBag(Module):
    """Sums, averages or takes the maximum of bags of embeddings (``F.embedding_bag``) without
    materializing a per-bag Python loop.

    Args:
        num_embeddings: table size.
        embedding_dim: vector size.
        max_norm: unsupported (must be None).
        norm_type: used with ``max_norm`` only. Default 2.0.
        scale_grad_by_freq: unsupported (must be False).
        mode: ``"sum"``, ``"mean"`` (default) or ``"max"``.
        sparse: unsupported (must be False).
        _weight: an initial weight ``(num_embeddings, embedding_dim)`` instead of N(0, 1).
        include_last_offset: ``offsets`` has one more entry, ``len(input)``. Default False.
        padding_idx: an index left out of every bag; its row is initialized to zeros
            (negative counts from the end). Default None.
        dtype: parameter dtype (default float32).
    Attributes:
        weight: ``(num_embeddings, embedding_dim)``, N(0, 1).
    Shape:
        ``forward(input, offsets=None, per_sample_weights=None)``: int64 ``input`` ``(B, L)``,
        or ``(n,)`` with ``offsets`` ``(B,)`` (``(B + 1,)`` with ``include_last_offset``) ->
        ``(B, embedding_dim)``.
    Raises:
        ValueError: ``padding_idx`` outside the table, an unknown ``mode``, or a ``_weight`` of
            another shape; at call time the errors of :func:`ember.nn.functional.embedding_bag`.
    Example:
        >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag
        EmbeddingBag(10, 3, mode='sum')
        >>> bag(ember.tensor([1, 2, 4, 5]), ember.tensor([0, 2])).shape
        (2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"EmbeddingBag: padding_idx ({padding_idx}) must be within "
                    f"num_embeddings ({num_embeddings})"
                )
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.padding_idx = padding_idx
        kw = {} if dtype is None else {"dtype": dtype}
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, **kw))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"EmbeddingBag: _weight shape {tuple(_weight.shape)} does not match "
                    f"(num_embeddings, embedding_dim) = ({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def reset_parameters(self) -> None:
        """N(0, 1) weight with the ``padding_idx`` row zeroed (PyTorch's initialization)."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.detach().select(0, self.padding_idx).fill_(0)

    def forward(
        self,
        input: Tensor,
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        """Reduces each bag; shapes and errors as in the class docstring."""
        return F.embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr (PyTorch's format)."""
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag whose weight is ``embeddings`` (2-D); frozen by default.

        Raises:
            ValueError: ``embeddings`` is not 2-D.
        """
        if embeddings.dim() != 2:
            raise ValueError(
                f"EmbeddingBag.from_pretrained: embeddings must be 2-D, got shape "
                f"{tuple(embeddings.shape)}"
            )
        rows, cols = (int(s) for s in embeddings.shape)
        bag = cls(
            rows,
            cols,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            mode=mode,
            sparse=sparse,
            _weight=embeddings,
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        bag.weight.requires_grad_(not freeze)
        return bag
