"""Likelihood and margin loss modules: ``PoissonNLLLoss``, ``GaussianNLLLoss``,
``SoftMarginLoss``, ``HingeEmbeddingLoss``, ``MultiLabelSoftMarginLoss``,
``MultiLabelMarginLoss``, ``MultiMarginLoss`` and ``CTCLoss``; each forwards to the function of
the same name in ``nn.functional``."""

from __future__ import annotations

from ..._C import Tensor
from .. import functional as F
from .loss import _LegacyLoss, _Loss

__all__ = [
    "CTCLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "PoissonNLLLoss",
    "SoftMarginLoss",
]


class PoissonNLLLoss(_LegacyLoss):
    """Poisson negative log likelihood; see :func:`ember.nn.functional.poisson_nll_loss`.

    ``exp(input) - target * input`` with ``log_input``, else ``input - target * log(input +
    eps)``; ``full`` adds Stirling's approximation of ``log(target!)`` where ``target > 1``.

    Args:
        log_input: the input holds log-rates. Default True.
        full: add the Stirling term. Default False.
        size_average: deprecated (see ``reduction``); None.
        eps: added before the log when not ``log_input``. Default 1e-8.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        input ``(*)``, target broadcastable -> 0-d, or the broadcast shape for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Example:
        >>> nn.PoissonNLLLoss()(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
        tensor(0.8591)
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average: bool | None = None,
        eps: float = 1e-8,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`PoissonNLLLoss`; see the class docstring."""
        return F.poisson_nll_loss(
            log_input,
            target,
            log_input=self.log_input,
            full=self.full,
            eps=self.eps,
            reduction=self.reduction,
        )


class GaussianNLLLoss(_Loss):
    """Gaussian negative log likelihood; see :func:`ember.nn.functional.gaussian_nll_loss`.

    ``0.5 * (log(max(var, eps)) + (input - target) ** 2 / max(var, eps))`` (+ ``0.5 log(2 pi)``
    with ``full``).

    Args:
        full: add the constant term. Default False (keyword only).
        eps: lower clamp of the variance. Default 1e-6 (keyword only).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (keyword only).
    Shape:
        ``forward(input, target, var)``: input ``(N, *)``, target broadcastable, var the input's
        shape, that shape without the last dim or with one dim of size 1, or a number -> 0-d,
        or the input's shape for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Reference:
        Nix & Weigend, "Estimating the mean and variance of the target probability
        distribution", ICNN 1994.
    Example:
        >>> loss = nn.GaussianNLLLoss()
        >>> loss(ember.tensor([0.0]), ember.tensor([2.0]), ember.tensor([1.0]))
        tensor(2.)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        """Applies :class:`GaussianNLLLoss`; see the class docstring."""
        return F.gaussian_nll_loss(
            input, target, var, full=self.full, eps=self.eps, reduction=self.reduction
        )


class SoftMarginLoss(_LegacyLoss):
    """Two-class logistic loss ``log(1 + exp(-y x))``; see
    :func:`ember.nn.functional.soft_margin_loss`.

    Args:
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        input ``(*)``, target (1 or -1) broadcastable -> 0-d, or the broadcast shape.
    Raises:
        ValueError: an unknown ``reduction``.
    Example:
        >>> nn.SoftMarginLoss()(ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`SoftMarginLoss`; see the class docstring."""
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class HingeEmbeddingLoss(_LegacyLoss):
    """``x`` for target 1 and ``max(0, margin - x)`` for target -1; see
    :func:`ember.nn.functional.hinge_embedding_loss`.

    Args:
        margin: the hinge. Default 1.0.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        input ``(*)``, target broadcastable -> 0-d, or the broadcast shape for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Example:
        >>> nn.HingeEmbeddingLoss()(ember.tensor([0.3, 0.3]), ember.tensor([1.0, -1.0]))
        tensor(0.5000)
    """

    def __init__(
        self,
        margin: float = 1.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`HingeEmbeddingLoss`; see the class docstring."""
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_LegacyLoss):
    """One-versus-all logistic loss averaged over the classes; see
    :func:`ember.nn.functional.multilabel_soft_margin_loss`.

    Args:
        weight: per-class weights ``(C)`` (a buffer), or None.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        input ``(N, C)`` or ``(C)``, target the same -> 0-d, or ``(N)`` for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Example:
        >>> loss = nn.MultiLabelSoftMarginLoss()
        >>> loss(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`MultiLabelSoftMarginLoss`; see the class docstring."""
        return F.multilabel_soft_margin_loss(
            input, target, weight=self.weight, reduction=self.reduction
        )


class MultiLabelMarginLoss(_LegacyLoss):
    """Multi-class multi-label hinge loss; see :func:`ember.nn.functional.multilabel_margin_loss`.

    Args:
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        input ``(N, C)`` or ``(C)``, int64 target of the same shape (class indices, then -1)
        -> 0-d, or ``(N)`` for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Example:
        >>> loss = nn.MultiLabelMarginLoss()
        >>> loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`MultiLabelMarginLoss`; see the class docstring."""
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_LegacyLoss):
    """Multi-class hinge loss ``sum_{i != y} w[y] max(0, margin - x[y] + x[i]) ** p / C``; see
    :func:`ember.nn.functional.multi_margin_loss`.

    Args:
        p: 1 or 2. Default 1.
        margin: the hinge. Default 1.0.
        weight: per-class weights ``(C)`` (a buffer), or None.
        size_average: deprecated (see ``reduction``); None.
        reduce: deprecated (see ``reduction``); None.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
    Shape:
        input ``(N, C)`` or ``(C)``, int64 target ``(N)`` or ``()`` -> 0-d, or the target's
        shape for ``"none"``.
    Raises:
        ValueError: ``p`` not 1 or 2, a weight that is not 1-D, or an unknown ``reduction``.
    Example:
        >>> nn.MultiMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p!r}")
        if weight is not None and weight.dim() != 1:
            raise ValueError(
                f"MultiMarginLoss: weight must be 1-D, got shape {tuple(weight.shape)}"
            )
        self.p = p
        self.margin = margin
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Applies :class:`MultiMarginLoss`; see the class docstring."""
        return F.multi_margin_loss(
            input,
            target,
            p=self.p,
            margin=self.margin,
            weight=self.weight,
            reduction=self.reduction,
        )


class CTCLoss(_Loss):
    """Connectionist Temporal Classification loss; see :func:`ember.nn.functional.ctc_loss`.

    ``-log`` of the total probability of every alignment of each target sequence to its input
    frames (blanks between and around the labels, repeated labels separated by a blank).

    Args:
        blank: the blank class. Default 0.
        reduction: ``"mean"`` (default: each loss divided by its target length, then the batch
            mean), ``"sum"`` or ``"none"``.
        zero_infinity: impossible alignments give a loss and gradient of 0 instead of ``inf``.
            Default False.
    Shape:
        ``forward(log_probs, targets, input_lengths, target_lengths)``: log_probs ``(T, N, C)``
        or ``(T, C)``; targets ``(N, S)`` or ``(sum(target_lengths),)``; lengths ``(N)`` ->
        0-d, or ``(N)`` for ``"none"``.
    Raises:
        ValueError: an unknown ``reduction``.
    Reference:
        Graves et al., "Connectionist Temporal Classification: Labelling Unsegmented Sequence
        Data with Recurrent Neural Networks", ICML 2006.
    Example:
        >>> ctc = nn.CTCLoss(reduction="sum")
        >>> lp = ember.log(ember.full((1, 1, 2), 0.5))
        >>> ctc(lp, ember.tensor([[1]]), [1], [1])
        tensor(0.6931)
    """

    def __init__(
        self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False
    ) -> None:
        super().__init__(reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(
        self, log_probs: Tensor, targets: Tensor, input_lengths: Tensor, target_lengths: Tensor
    ) -> Tensor:
        """Applies :class:`CTCLoss`; see the class docstring."""
        return F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )
