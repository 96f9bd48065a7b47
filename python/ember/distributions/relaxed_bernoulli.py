"""Relaxed (concrete / Gumbel-sigmoid) Bernoulli distributions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ember import Tensor

from . import constraints
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import (
    _is_number,
    _uniform,
    broadcast_all,
    clamp_probs,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(Distribution):
    """The logit of a :class:`RelaxedBernoulli` sample: a logistic variable
    ``(logit(p) + logit(u)) / temperature``, ``u ~ U(0, 1)``.

    ``log_prob(y) = log t + (logits - t y) - 2 log1p(exp(logits - t y))``.

    Args:
        temperature: relaxation temperature (> 0), float tensor.
        probs: probability in [0, 1], float tensor or number.
        logits: log-odds, float tensor or number.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = the parameter's shape; ``event_shape = ()``.
    Raises:
        ValueError: both or neither of ``probs``/``logits``; ``probs`` outside [0, 1] (when
            validating).
    Reference:
        C. Maddison, A. Mnih and Y. W. Teh, "The Concrete Distribution: A Continuous
        Relaxation of Discrete Random Variables", ICLR 2017.
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        self.temperature = temperature
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = _is_number(probs)
            (self.probs,) = broadcast_all(probs)
        else:
            is_scalar = _is_number(logits)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = () if is_scalar else tuple(self._param.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> LogitRelaxedBernoulli:
        """Expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(LogitRelaxedBernoulli, _instance)
        batch_shape = tuple(batch_shape)
        new.temperature = self.temperature
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(LogitRelaxedBernoulli, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def logits(self) -> Tensor:
        """Log-odds (probabilities clamped)."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """``sigmoid(logits)``."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple[int, ...]:
        """Shape of the given parameter."""
        return tuple(self._param.shape)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``(logit(u) + logit(p)) / temperature`` with clamped ``u``, ``p``."""
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(_uniform(shape, probs.dtype))
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value: Tensor) -> Tensor:
        """``log t + diff - 2 log1p(exp(diff))``, ``diff = logits - t value``."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    """Relaxed Bernoulli (binary concrete): ``sigmoid`` of a :class:`LogitRelaxedBernoulli`;
    values in (0, 1), reparameterized; approaches a Bernoulli as ``temperature -> 0``.

    Args:
        temperature: relaxation temperature (> 0), float tensor.
        probs: probability in [0, 1], float tensor or number.
        logits: log-odds, float tensor or number.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = the parameter's shape; ``event_shape = ()``.
    Raises:
        ValueError: as :class:`LogitRelaxedBernoulli`; values outside [0, 1] (when
            validating).
    Reference:
        C. Maddison, A. Mnih and Y. W. Teh, ICLR 2017; E. Jang, S. Gu and B. Poole,
        "Categorical Reparameterization with Gumbel-Softmax", ICLR 2017.
    Example:
        >>> from ember.distributions import RelaxedBernoulli
        >>> d = RelaxedBernoulli(ember.tensor(0.5), probs=ember.tensor([0.3, 0.9]))
        >>> d.rsample((4,)).shape
        (4, 2)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> RelaxedBernoulli:
        """Expanded to ``batch_shape``."""
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self) -> Tensor:
        """Relaxation temperature."""
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        """Log-odds."""
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        """Probability."""
        return self.base_dist.probs
