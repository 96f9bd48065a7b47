"""The binomial distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from ._special import _sample_binomial
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Binomial"]


def _clamp_by_zero(x: Tensor) -> Tensor:
    """``max(x, 0)`` with gradient 1/2 at 0 (as PyTorch)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(Distribution):
    """Binomial distribution: successes in ``total_count`` trials of probability ``probs``.

    ``log_prob(k) = lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k logit
    - n log(1 + e^logit)`` (computed stably); mean ``n p``; variance ``n p (1 - p)``; mode
    ``min(floor((n + 1) p), n)``. ``entropy`` and ``enumerate_support`` need one
    ``total_count`` for the whole batch (NotImplementedError otherwise, as PyTorch). Samples
    are float counts of the parameter's dtype: inversion for ``n min(p, 1 - p) < 10``,
    Hormann's BTRS above (ember's generator). No ``rsample``.

    Args:
        total_count: number of trials (nonnegative integer values), tensor or int. Default 1.
        probs: success probability in [0, 1], float tensor or number.
        logits: log-odds of success, float tensor or number.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = broadcast shape of ``total_count`` and the probability parameter;
        ``event_shape = ()``. ``total_count`` is converted to the parameter's dtype.
    Raises:
        ValueError: both or neither of ``probs``/``logits``; a non-integer or negative
            ``total_count`` or ``probs`` outside [0, 1] (when validating); values outside
            ``{0, ..., total_count}`` (when validating).
    Reference:
        W. Hormann, "The generation of binomial random variates", J. Statist. Comput. Simul.
        46, 1993.
    Example:
        >>> from ember.distributions import Binomial
        >>> Binomial(4, probs=ember.tensor(0.5)).log_prob(ember.tensor(2.0))
        tensor(-0.9808)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count: Tensor | int = 1, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.to(self.probs.dtype)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.to(self.logits.dtype)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(tuple(self._param.shape), validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Binomial:
        """Binomial with parameters expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = tuple(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(Binomial, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        """``integer_interval(0, total_count)``."""
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        """``total_count * probs``."""
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        """``min(floor((total_count + 1) probs), total_count)``."""
        return ember.minimum(((self.total_count + 1) * self.probs).floor(), self.total_count)

    @property
    def variance(self) -> Tensor:
        """``total_count * probs * (1 - probs)``."""
        return self.total_count * self.probs * (1 - self.probs)

    @lazy_property
    def logits(self) -> Tensor:
        """Log-odds of success (probabilities clamped to [eps, 1 - eps])."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """Success probability ``sigmoid(logits)``."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple[int, ...]:
        """Shape of the probability parameter."""
        return tuple(self._param.shape)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Float counts of ``sample_shape + batch_shape``, dtype of the parameter."""
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            n = self.total_count.detach().to(ember.float64).expand(shape).contiguous()
            p = self.probs.detach().to(ember.float64).expand(shape).contiguous()
            return _sample_binomial(n, p).to(self._param.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        """Binomial log-mass at ``value`` (see the class docstring)."""
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = ember.lgamma(self.total_count + 1)
        log_factorial_k = ember.lgamma(value + 1)
        log_factorial_nmk = ember.lgamma(self.total_count - value + 1)
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * ember.log1p(ember.exp(-ember.abs(self.logits)))
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def _homogeneous_count(self, what: str) -> int:
        hi = int(self.total_count.max().item())
        if int(self.total_count.min().item()) != hi:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return hi

    def entropy(self) -> Tensor:
        """``-sum_k P(k) log P(k)`` over the support (one ``total_count`` only)."""
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """``0..total_count`` along dim 0: ``(total_count + 1,) + batch_shape``."""
        n = self._homogeneous_count("enumerate_support")
        values = ember.arange(1 + n, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values
