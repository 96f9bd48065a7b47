"""``TripletMarginWithDistanceLoss``: the triplet loss with any distance function."""

from __future__ import annotations

from collections.abc import Callable

from ..._C import Tensor
from .. import functional as F
from .distance import PairwiseDistance
from .loss import _Loss

__all__ = ["TripletMarginWithDistanceLoss"]


class TripletMarginWithDistanceLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with any distance ``d``; see
    :func:`ember.nn.functional.triplet_margin_with_distance_loss`.

    Args:
        distance_function: (keyword) callable ``(x1, x2) -> Tensor`` of non-negative distances;
            default :class:`PairwiseDistance` (Euclidean), kept as a child module. A Module
            passed here is registered as a child (so it appears in the repr and its parameters
            in ``parameters()``), as in PyTorch.
        margin: (keyword) required gap, > 0. Default 1.0.
        swap: (keyword) use ``min(d(a, n), d(p, n))`` (the distance swap). Default False.
        reduction: (keyword) ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        anchor, positive, negative ``(N, *)`` (whatever ``distance_function`` takes) -> 0-d,
        or ``(N)`` for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction`` or ``margin <= 0``; at call time inputs with
            different numbers of dims.
    Reference:
        Balntas et al., "Learning local feature descriptors with triplets and shallow
        convolutional neural networks", BMVC 2016.
    Example:
        >>> loss = nn.TripletMarginWithDistanceLoss(margin=2.0)
        >>> loss
        TripletMarginWithDistanceLoss(
          (distance_function): PairwiseDistance()
        )
    """

    def __init__(
        self,
        *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        if margin <= 0:
            raise ValueError(
                "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                f"{margin} instead"
            )
        self.distance_function = (
            distance_function if distance_function is not None else PairwiseDistance()
        )
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        """Applies the loss; shapes and errors as in the class docstring."""
        return F.triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )
