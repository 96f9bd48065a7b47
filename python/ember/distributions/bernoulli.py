"""The Bernoulli distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .exp_family import ExponentialFamily
from .utils import (
    _bce_with_logits,
    _is_number,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["Bernoulli"]


class Bernoulli(ExponentialFamily):
    """Bernoulli distribution on {0, 1}, parameterized by ``probs`` or ``logits``.

    ``P(1) = probs = sigmoid(logits)``. ``log_prob(x) = x log p + (1 - x) log(1 - p)`` computed
    as ``-binary_cross_entropy_with_logits(logits, x)``; entropy likewise with ``x = probs``.
    The parameter not given is computed on first use (``logits`` from clamped probabilities).
    ``log_prob`` has the dtype of a floating ``value`` (as PyTorch; the parameter's dtype for
    integer or bool values, which PyTorch rejects). Infinite logits give the limits
    (``log_prob`` 0 or -inf, entropy 0) where PyTorch gives NaN, except ``logits = +inf``,
    ``value = 0``: -inf in both.
    Samples are floats 0./1. of the parameter's dtype; no ``rsample``.

    Args:
        probs: probability of 1 in [0, 1], float tensor or number.
        logits: log-odds of 1, float tensor or number.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = the parameter's shape (``()`` for a number); ``event_shape`` = ``()``.
    Raises:
        ValueError: both or neither of ``probs``/``logits``; ``probs`` outside [0, 1] (when
            validating); values other than 0/1 in ``log_prob`` (when validating).
    Example:
        >>> from ember.distributions import Bernoulli
        >>> Bernoulli(probs=ember.tensor(0.25)).log_prob(ember.tensor(1.0))
        tensor(-1.3863)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
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

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Bernoulli:
        """Bernoulli with parameters expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = tuple(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(Bernoulli, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``probs``."""
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where ``probs > 1/2``, 0 where below, NaN at exactly 1/2."""
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return ember.where(self.probs == 0.5, float("nan"), mode)

    @property
    def variance(self) -> Tensor:
        """``probs * (1 - probs)``."""
        return self.probs * (1 - self.probs)

    @lazy_property
    def logits(self) -> Tensor:
        """Log-odds ``log(p) - log1p(-p)`` (probabilities clamped to [eps, 1 - eps])."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """Probability of 1: ``sigmoid(logits)``."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple[int, ...]:
        """Shape of the given parameter."""
        return tuple(self._param.shape)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """0./1. samples of ``sample_shape + batch_shape``, dtype of the parameter."""
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.bernoulli(self.probs.expand(shape).contiguous())

    def log_prob(self, value: Tensor) -> Tensor:
        """``-binary_cross_entropy_with_logits(logits, value)`` (broadcast)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        # PyTorch's result has the dtype of a floating ``value`` (float64 values of a float32
        # distribution give float64, and the reverse float32); integer and bool values (which
        # PyTorch rejects) give the parameter's dtype. Computed in the wider of the two.
        out_dtype = value.dtype if value.is_floating_point() else logits.dtype
        work = ember.promote_types(logits.dtype, out_dtype)
        return -_bce_with_logits(logits.to(work), value.to(work)).to(out_dtype)

    def entropy(self) -> Tensor:
        """``binary_cross_entropy_with_logits(logits, probs)``, shape ``batch_shape``."""
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """``[0., 1.]`` along dim 0: shape ``(2,) + batch_shape`` (singleton batch dims when
        ``expand`` is False)."""
        values = ember.arange(2, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (ember.logit(self.probs),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return ember.log1p(ember.exp(x))
