"""Distance modules: ``CosineSimilarity`` and ``PairwiseDistance``."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim``; see
    :func:`ember.nn.functional.cosine_similarity`.

    ``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` over ``dim``.

    Args:
        dim: the dim of the vectors. Default 1.
        eps: lower bound of each 2-norm. Default 1e-8.
    Shape:
        x1 ``(*1, D, *2)``, x2 broadcastable with x1 -> the broadcast shape without ``dim``.
    Example:
        >>> nn.CosineSimilarity()(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Applies :class:`CosineSimilarity`; see the class docstring."""
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``p``-norm of ``x1 - x2 + eps`` along the last dim; see
    :func:`ember.nn.functional.pairwise_distance`.

    Args:
        p: the norm's exponent. Default 2.0.
        eps: added to the difference. Default 1e-6.
        keepdim: keep the reduced dim. Default False.
    Shape:
        x1 ``(N, D)`` or ``(D)``, x2 broadcastable -> ``(N)`` or ``()`` (``(N, 1)`` or ``(1)``
        with ``keepdim``).
    Example:
        >>> nn.PairwiseDistance(eps=0.0)(ember.zeros(1, 2), ember.tensor([[3.0, 4.0]]))
        tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        """Applies :class:`PairwiseDistance`; see the class docstring."""
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
