"""The exponential distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .exp_family import ExponentialFamily
from .utils import _is_number, _uniform, broadcast_all

__all__ = ["Exponential"]


class Exponential(ExponentialFamily):
    """Exponential distribution with rate ``rate``: density ``rate exp(-rate x)`` on x >= 0.

    cdf ``1 - exp(-rate x)``; icdf ``-log1p(-p) / rate``; entropy ``1 - log(rate)``; mean
    ``1/rate``; variance ``rate^-2``; mode 0. ``rsample = -log1p(-u) / rate``, ``u ~ U[0, 1)``
    (the inverse cdf), differentiable in ``rate``.

    Args:
        rate: rate (inverse scale, > 0), float tensor or number.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape = rate.shape`` (``()`` for a number); ``event_shape = ()``.
    Raises:
        ValueError: ``rate <= 0`` (when validating); negative values (when validating).
    Example:
        >>> from ember.distributions import Exponential
        >>> Exponential(2.0).cdf(ember.tensor(0.5))
        tensor(0.6321)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, rate: Tensor | float, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch_shape = () if _is_number(rate) else tuple(self.rate.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Exponential:
        """Exponential with ``rate`` expanded to ``batch_shape`` (a view)."""
        new = self._get_checked_instance(Exponential, _instance)
        batch_shape = tuple(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Exponential, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``1 / rate``."""
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        """0."""
        return ember.zeros_like(self.rate)

    @property
    def stddev(self) -> Tensor:
        """``1 / rate``."""
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        """``rate ** -2``."""
        return self.rate.pow(-2)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``-log1p(-u) / rate``, ``u ~ U[0, 1)``; shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        u = _uniform(shape, self.rate.dtype)
        return -ember.log1p(-u) / self.rate

    def log_prob(self, value: Tensor) -> Tensor:
        """``log(rate) - rate * value``."""
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value: Tensor) -> Tensor:
        """``1 - exp(-rate * value)``."""
        if self._validate_args:
            self._validate_sample(value)
        return 1 - ember.exp(-self.rate * value)

    def icdf(self, value: Tensor) -> Tensor:
        """``-log1p(-value) / rate``."""
        return -ember.log1p(-value) / self.rate

    def entropy(self) -> Tensor:
        """``1 - log(rate)``, ``batch_shape``."""
        return 1.0 - ember.log(self.rate)

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (-self.rate,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return -ember.log(-x)
