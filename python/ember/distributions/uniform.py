"""The continuous uniform distribution."""

from __future__ import annotations

import math
from collections.abc import Sequence

import ember
from ember import Tensor

from . import constraints
from .distribution import Distribution
from .utils import _is_number, _uniform, broadcast_all

__all__ = ["Uniform"]


class Uniform(Distribution):
    """Uniform distribution on the half-open interval ``[low, high)``.

    Density ``1 / (high - low)`` inside, 0 outside (``log_prob`` gives ``-inf`` there when
    validation is off); cdf ``clamp((x - low) / (high - low), 0, 1)``; icdf
    ``low + p (high - low)``; entropy ``log(high - low)``; mean ``(low + high) / 2``; variance
    ``(high - low)^2 / 12``; mode NaN. ``rsample = low + u (high - low)``, ``u ~ U[0, 1)``.

    Args:
        low: lower bound (inclusive), float tensor or number.
        high: upper bound (exclusive), float tensor or number, > ``low``; broadcast with
            ``low``.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = broadcast shape of ``low`` and ``high``; ``event_shape = ()``.
    Raises:
        ValueError: ``low >= high`` (when validating); values outside ``[low, high]`` in
            ``log_prob``/``cdf`` (when validating).
    Example:
        >>> from ember.distributions import Uniform
        >>> Uniform(0.0, 4.0).cdf(ember.tensor(1.0))
        tensor(0.2500)
    """

    has_rsample = True

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:
        """``low < high`` and ``high > low``."""
        return {"low": constraints.less_than(self.high),
                "high": constraints.greater_than(self.low)}

    def __init__(self, low: Tensor | float, high: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all(low, high)
        batch_shape = () if _is_number(low) and _is_number(high) else tuple(self.low.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Uniform:
        """Uniform with parameters expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(Uniform, _instance)
        batch_shape = tuple(batch_shape)
        new.low = self.low.expand(batch_shape)
        new.high = self.high.expand(batch_shape)
        super(Uniform, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``(high + low) / 2``."""
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        """NaN (every point of the interval is a mode)."""
        return math.nan * self.high

    @property
    def stddev(self) -> Tensor:
        """``(high - low) / sqrt(12)``."""
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self) -> Tensor:
        """``(high - low)^2 / 12``."""
        return (self.high - self.low).pow(2) / 12

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        """``interval(low, high)``."""
        return constraints.interval(self.low, self.high)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``low + u (high - low)``, ``u ~ U[0, 1)``; shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        rand = _uniform(shape, self.low.dtype)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value: Tensor) -> Tensor:
        """``log(1[low <= value < high]) - log(high - low)``."""
        if self._validate_args:
            self._validate_sample(value)
        lb = (self.low <= value).to(self.low.dtype)
        ub = (self.high > value).to(self.low.dtype)
        return ember.log(lb * ub) - ember.log(self.high - self.low)

    def cdf(self, value: Tensor) -> Tensor:
        """``clamp((value - low) / (high - low), 0, 1)``."""
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value: Tensor) -> Tensor:
        """``value (high - low) + low``."""
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        """``log(high - low)``, ``batch_shape``."""
        return ember.log(self.high - self.low)
