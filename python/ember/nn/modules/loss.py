"""Loss modules; each forwards to the function of the same name in ``nn.functional``."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .._functional_loss import _legacy_reduction
from .module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CosineEmbeddingLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "MarginRankingLoss",
    "NLLLoss",
    "SmoothL1Loss",
    "TripletMarginLoss",
]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or "
                f"'none', got {reduction!r}"
            )
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error; see :func:`ember.nn.functional.mse_loss`."""

    def __init__(
        self, size_average: None = None, reduce: None = None, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`MSELoss` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error; see :func:`ember.nn.functional.l1_loss`."""

    def __init__(
        self, size_average: None = None, reduce: None = None, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`L1Loss` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Smooth L1 with threshold ``beta`` (default 1.0)."""

    def __init__(
        self,
        size_average: None = None,
        reduce: None = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`SmoothL1Loss` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber loss with threshold ``delta`` (default 1.0)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`HuberLoss` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits; see :func:`ember.nn.functional.cross_entropy`.

    Args:
        weight: per-class weights ``(C,)`` (a buffer).
        ignore_index: ignored target value. Default -100.
        reduction: ``"mean"`` (weighted mean), ``"sum"`` or ``"none"``.
        label_smoothing: in [0, 1]. Default 0.
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: None = None,
        ignore_index: int = -100,
        reduce: None = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}"
            )
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`CrossEntropyLoss` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of log-probabilities; see :func:`ember.nn.functional.nll_loss`."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: None = None,
        ignore_index: int = -100,
        reduce: None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`NLLLoss` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities (logs clamped at -100)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: None = None,
        reduce: None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`BCELoss` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy, stable; ``pos_weight`` weights positive examples."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: None = None,
        reduce: None = None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`BCEWithLogitsLoss` to its inputs; shapes, dtypes and errors as in the class docstring."""
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, pos_weight=self.pos_weight, reduction=self.reduction
        )


class _LegacyLoss(_Loss):
    """A loss whose deprecated ``size_average``/``reduce`` flags override ``reduction`` (with
    PyTorch's deprecation warning), validated like any other reduction."""

    _reductions: tuple[str, ...] = ("mean", "sum", "none")

    def __init__(
        self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
    ) -> None:
        Module.__init__(self)
        reduction = _legacy_reduction(size_average, reduce, reduction)
        if reduction not in self._reductions:
            allowed = ", ".join(repr(r) for r in self._reductions[:-1])
            raise ValueError(
                f"{type(self).__name__}: reduction must be {allowed} or "
                f"{self._reductions[-1]!r}, got {reduction!r}"
            )
        self.reduction = reduction


class KLDivLoss(_LegacyLoss):
    """Kullback-Leibler divergence of the target from the log-probabilities ``input``; see
    :func:`ember.nn.functional.kl_div`.

    Pointwise ``target * (log(target) - input)`` (0 where ``target`` is 0), or
    ``exp(target) * (target - input)`` with ``log_target``.

    Args:
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default; warns when called, as PyTorch), ``"batchmean"`` (the
            sum divided by the batch size: the KL divergence per sample), ``"sum"`` or
            ``"none"``.
        log_target: the target holds log-probabilities. Default False.
    Shape:
        input ``(*)``, target ``(*)`` -> 0-d, or ``(*)`` for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Reference:
        Kullback & Leibler, "On Information and Sufficiency", 1951.
    Example:
        >>> loss = nn.KLDivLoss(reduction="batchmean")
        >>> loss(ember.log(ember.tensor([[0.25, 0.75]])), ember.tensor([[0.5, 0.5]]))
        tensor(0.1438)
    """

    _reductions = ("mean", "batchmean", "sum", "none")

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`KLDivLoss`; see the class docstring."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MarginRankingLoss(_LegacyLoss):
    """Ranking hinge loss ``max(0, -y * (x1 - x2) + margin)``; see
    :func:`ember.nn.functional.margin_ranking_loss`.

    Args:
        margin: required score gap. Default 0.0.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        input1 ``(N)`` or ``()``, input2 and target the same -> 0-d, or ``(N)`` for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Example:
        >>> loss = nn.MarginRankingLoss(margin=0.5)
        >>> loss(ember.tensor([1.0, 2.0]), ember.tensor([2.0, 1.0]), ember.tensor([1.0, 1.0]))
        tensor(0.7500)
    """

    def __init__(
        self,
        margin: float = 0.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`MarginRankingLoss`; see the class docstring."""
        return F.margin_ranking_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class CosineEmbeddingLoss(_LegacyLoss):
    """``1 - cos(x1, x2)`` for target 1, ``max(0, cos(x1, x2) - margin)`` for target -1; see
    :func:`ember.nn.functional.cosine_embedding_loss`.

    Args:
        margin: in [-1, 1]. Default 0.0.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        input1, input2 ``(N, D)`` or ``(D)``; target ``(N)`` or ``()`` -> 0-d, or the target's
        shape for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Example:
        >>> a, b = ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]])
        >>> nn.CosineEmbeddingLoss()(a, b, ember.tensor([1.0]))
        tensor(0.2929)
    """

    def __init__(
        self,
        margin: float = 0.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`CosineEmbeddingLoss`; see the class docstring."""
        return F.cosine_embedding_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class TripletMarginLoss(_LegacyLoss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the ``p``-norm distance; see
    :func:`ember.nn.functional.triplet_margin_loss`.

    Args:
        margin: required distance gap. Default 1.0.
        p: the norm's exponent. Default 2.0.
        eps: added to differences before the norm. Default 1e-6.
        swap: use ``min(d(a, n), d(p, n))`` (the distance swap). Default False.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        anchor, positive, negative ``(N, D)`` or ``(D)`` -> 0-d, or ``(N)`` for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``, or ``margin <= 0``.
    Reference:
        Balntas et al., "Learning local feature descriptors with triplets and shallow
        convolutional neural networks", BMVC 2016.
    Example:
        >>> a, pos, neg = ember.zeros(1, 2), ember.tensor([[3.0, 4.0]]), ember.tensor([[0.0, 1.0]])
        >>> nn.TripletMarginLoss(eps=0.0)(a, pos, neg)
        tensor(5.)
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
            )
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        """Applies :class:`TripletMarginLoss`; see the class docstring."""
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            margin=self.margin,
            p=self.p,
            eps=self.eps,
            swap=self.swap,
            reduction=self.reduction,
        )
