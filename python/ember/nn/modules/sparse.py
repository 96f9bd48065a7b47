"""``Embedding``."""

from __future__ import annotations

from typing import Any

from ... import empty, no_grad
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding"]


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
