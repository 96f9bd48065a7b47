"""``AdaptiveLogSoftmaxWithLoss``: the efficient softmax approximation of Grave et al. (2017)
for large output vocabularies."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

from ... import bool as bool_
from ... import cat, int64, tensor, where, zeros
from ..._C import Tensor
from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])
_ASMoutput.__doc__ = """Result of :class:`AdaptiveLogSoftmaxWithLoss`'s forward: ``output`` (the
log-probability of each target, shape ``(N)`` or ``()``) and ``loss`` (their negated mean, 0-d)."""


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: classes are split by frequency into a shortlist and tail clusters, so
    frequent classes cost one small softmax and rare ones two.

    The ``head`` (``Linear(in_features, shortlist_size + n_clusters)``) scores the shortlist
    classes ``[0, cutoffs[0])`` and one logit per cluster. Cluster ``i`` holds classes
    ``[cutoffs[i], cutoffs[i + 1])`` and is scored by ``tail[i]`` =
    ``Sequential(Linear(in_features, in_features // div_value ** (i + 1), bias=False),
    Linear(that, cluster_size, bias=False))``. The log-probability of a shortlist class is its
    head log-softmax; of a tail class, the head log-softmax of its cluster plus its log-softmax
    within the cluster. Classes should be sorted by decreasing frequency.

    Args:
        in_features: size of each input sample.
        n_classes: number of classes.
        cutoffs: increasing, unique ints in ``[1, n_classes - 1]`` splitting the classes.
        div_value: divisor of the tail projection sizes. Default 4.0.
        head_bias: give the head a bias. Default False.
        device: accepted for PyTorch compatibility (CPU only).
        dtype: parameter dtype (default float32).
    Attributes:
        head (Linear), tail (ModuleList of Sequential), shortlist_size, n_clusters, head_size,
        cutoffs (the given cutoffs plus ``n_classes``).
    Shape:
        ``forward(input, target)``: input ``(N, in_features)`` or ``(in_features)``, target
        integer (int64, int32 or uint8) ``(N)`` or ``()`` with values in ``[0, n_classes)`` -> ``_ASMoutput(output,
        loss)`` with ``output`` ``(N)`` or ``()`` and ``loss`` 0-d.
    Raises:
        ValueError: bad ``cutoffs``; at call time mismatched ranks or batch sizes, or targets
            outside ``[0, n_classes)``.
        TypeError: at call time a float or bool ``target`` (PyTorch raises too; ember also
            accepts uint8 class indices).
    Reference:
        Grave et al., "Efficient softmax approximation for GPUs", ICML 2017.
    Example:
        >>> asm = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 7])
        >>> out = asm(ember.randn(5, 8), ember.tensor([0, 3, 4, 8, 9]))
        >>> out.output.shape, out.loss.shape
        ((5,), ())
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError(
                "AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of length larger than 0"
            )
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > (n_classes - 1)
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of unique, positive "
                "integers sorted in an increasing order, where each value is between 1 and "
                f"n_classes-1 (n_classes={n_classes}), got {cutoffs}"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(self.in_features, self.head_size, bias=self.head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):  # one projection per cluster
            hsz = int(self.in_features // (self.div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(self.in_features, hsz, bias=False, **kw),
                    Linear(hsz, osz, bias=False, **kw),
                )
            )

    def reset_parameters(self) -> None:
        """Re-initializes the head and every tail projection (Linear's initialization)."""
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        """Log-probabilities of the targets and the loss; see the class docstring."""
        name = type(self).__name__
        if not isinstance(input_, Tensor) or not isinstance(target_, Tensor):
            raise TypeError(f"{name}: expected Tensor input and target")
        if target_.is_floating_point() or target_.dtype == bool_:
            # Float targets would be truncated to wrong classes; PyTorch rejects them too.
            raise TypeError(
                f"{name}: target must be an integer tensor of class indices (int64, int32 or "
                f"uint8), got {str(target_.dtype).replace('ember.', '')}"
            )
        if target_.dim() == 1:
            if input_.dim() != 2:
                raise ValueError(
                    f"{name}: a 1-D target expects a 2-D input, got input of shape "
                    f"{tuple(input_.shape)}"
                )
            if input_.shape[0] != target_.shape[0]:
                raise ValueError(
                    f"{name}: input and target should have the same size in the batch dim, got "
                    f"input {tuple(input_.shape)} and target {tuple(target_.shape)}"
                )
        elif target_.dim() == 0:
            if input_.dim() != 1:
                raise ValueError(
                    f"{name}: a 0-D target expects a 1-D input, got input of shape "
                    f"{tuple(input_.shape)}"
                )
        else:
            raise ValueError(
                f"{name}: 0-D or 1-D target expected (multi-target not supported), got target "
                f"of shape {tuple(target_.shape)}"
            )
        batched = target_.dim() > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = (target_ if batched else target_.unsqueeze(0)).to(int64)
        n = int(target.shape[0])
        if n > 0:
            lo, hi = int(target.min().item()), int(target.max().item())
            if lo < 0 or hi >= self.n_classes:
                raise ValueError(
                    f"{name}: target values should be in [0, {self.n_classes - 1}], but values "
                    f"in range [{lo}, {hi}] were found"
                )
        # Cluster of each target (0: shortlist) and the head column to read.
        bounds = tensor(self.cutoffs[:-1], dtype=int64)
        cluster = (target.unsqueeze(1) >= bounds).to(int64).sum(1)
        head_col = where(cluster == 0, target, cluster + (self.shortlist_size - 1))
        output = zeros(n, dtype=input.dtype)
        for i in range(1, self.n_clusters + 1):  # one small softmax per tail cluster
            rows = (cluster == i).nonzero().reshape([-1])
            if int(rows.shape[0]) == 0:
                continue
            rel = target.index_select(0, rows) - self.cutoffs[i - 1]
            logp = F.log_softmax(self.tail[i - 1](input.index_select(0, rows)), dim=1)
            output = output.index_add(0, rows, logp.gather(1, rel.unsqueeze(1)).reshape([-1]))
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = output + head_logprob.gather(1, head_col.unsqueeze(1)).reshape([-1])
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        """``(N, n_classes)`` log-probabilities from the input and the head's output."""
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of all ``n_classes`` classes.

        Args:
            input: ``(N, in_features)``.
        Returns:
            ``(N, n_classes)``; each row's exponentials sum to 1.
        """
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most probable class of each row: ``log_prob(input).argmax(dim=1)``, computing
        the tail clusters only for rows whose head argmax is a cluster.

        Args:
            input: ``(N, in_features)``.
        Returns:
            int64 ``(N)``.
        """
        head_output = self.head(input)
        output = head_output.argmax(dim=1)
        not_in_shortlist = output >= self.shortlist_size
        if not bool(not_in_shortlist.any()):
            return output
        if bool(not_in_shortlist.all()):
            return self._get_full_log_prob(input, head_output).argmax(dim=1)
        rows = not_in_shortlist.nonzero().reshape([-1])
        log_prob = self._get_full_log_prob(
            input.index_select(0, rows), head_output.index_select(0, rows)
        )
        return output.index_copy(0, rows, log_prob.argmax(dim=1))
