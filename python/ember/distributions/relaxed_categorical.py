"""Relaxed (concrete / Gumbel-softmax) one-hot categorical distributions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from .utils import _uniform, broadcast_all, clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(Distribution):
    """The log of a :class:`RelaxedOneHotCategorical` sample (the ExpConcrete distribution):
    ``log_softmax((logits + g) / temperature)`` with Gumbel noise ``g = -log(-log u)``.

    ``log_prob(v) = lgamma(K) + (K - 1) log t + sum(s - logsumexp(s))`` with
    ``s = logits - t v``.

    Args:
        temperature: relaxation temperature (> 0), float tensor.
        probs: ``(*batch, K)`` event probabilities, float.
        logits: ``(*batch, K)`` unnormalized log-probabilities, float.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape = param.shape[:-1]``, ``event_shape = (K,)``.
    Raises:
        ValueError: as :class:`Categorical`.
    Reference:
        C. Maddison, A. Mnih and Y. W. Teh, "The Concrete Distribution", ICLR 2017.
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Tensor | None = None,
                 logits: Tensor | None = None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> ExpRelaxedCategorical:
        """Expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(ExpRelaxedCategorical, _instance)
        batch_shape = tuple(batch_shape)
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        super(ExpRelaxedCategorical, new).__init__(batch_shape, self.event_shape,
                                                   validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self) -> tuple[int, ...]:
        """``batch_shape + (K,)``."""
        return self._categorical.param_shape

    @property
    def logits(self) -> Tensor:
        """Normalized log-probabilities."""
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        """Normalized probabilities."""
        return self._categorical.probs

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``s - logsumexp(s)``, ``s = (logits + Gumbel) / temperature``."""
        shape = self._extended_shape(sample_shape)
        u = clamp_probs(_uniform(shape, self.logits.dtype))
        gumbels = -((-(u.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        """ExpConcrete log-density (see the class docstring)."""
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_scale = (ember.full_like(self.temperature, float(k)).lgamma()
                     - self.temperature.log() * (-(k - 1)))
        score = logits - value * self.temperature
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    """Relaxed one-hot categorical (concrete / Gumbel-softmax): ``exp`` of an
    :class:`ExpRelaxedCategorical`; values on the simplex, reparameterized; approaches a
    one-hot categorical as ``temperature -> 0``.

    Args:
        temperature: relaxation temperature (> 0), float tensor.
        probs: ``(*batch, K)`` event probabilities, float.
        logits: ``(*batch, K)`` unnormalized log-probabilities, float.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape = param.shape[:-1]``, ``event_shape = (K,)``.
    Raises:
        ValueError: as :class:`Categorical`; values off the simplex (when validating).
    Reference:
        C. Maddison, A. Mnih and Y. W. Teh, ICLR 2017; E. Jang, S. Gu and B. Poole, ICLR 2017.
    Example:
        >>> from ember.distributions import RelaxedOneHotCategorical
        >>> d = RelaxedOneHotCategorical(ember.tensor(0.5), probs=ember.tensor([0.2, 0.8]))
        >>> d.rsample((3,)).shape
        (3, 2)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Tensor | None = None,
                 logits: Tensor | None = None, validate_args: bool | None = None) -> None:
        base_dist = ExpRelaxedCategorical(temperature, probs, logits,
                                          validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> RelaxedOneHotCategorical:
        """Expanded to ``batch_shape``."""
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self) -> Tensor:
        """Relaxation temperature."""
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        """Normalized log-probabilities."""
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        """Normalized probabilities."""
        return self.base_dist.probs
