"""The normal (Gaussian) distribution."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .exp_family import ExponentialFamily
from .utils import _is_number, _standard_normal, broadcast_all

__all__ = ["Normal"]


class Normal(ExponentialFamily):
    """Normal distribution ``N(loc, scale^2)``.

    Density ``exp(-(x - loc)^2 / (2 scale^2)) / (scale sqrt(2 pi))``; cdf
    ``(1 + erf((x - loc) / (scale sqrt 2))) / 2``; icdf ``loc + scale sqrt(2) erfinv(2p - 1)``;
    entropy ``1/2 + log(2 pi)/2 + log(scale)``. ``rsample`` is ``loc + scale * eps`` with
    ``eps ~ N(0, 1)`` from ember's generator, so gradients reach ``loc`` (1) and ``scale``
    (``eps``).

    Args:
        loc: mean, float tensor or number.
        scale: standard deviation (> 0), float tensor or number; broadcast with ``loc``.
        validate_args: check the parameters and values (default: the class default, True).
    Shapes:
        ``batch_shape`` is the broadcast shape of ``loc`` and ``scale`` (``()`` when both are
        numbers, which become float32); ``event_shape`` is ``()``.
    Raises:
        ValueError: ``scale <= 0`` or NaN ``loc`` (when validating).
    Example:
        >>> from ember.distributions import Normal
        >>> Normal(0.0, 1.0).log_prob(ember.tensor(0.0))
        tensor(-0.9189)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = () if _is_number(loc) and _is_number(scale) else tuple(self.loc.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Normal:
        """Normal with parameters expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(Normal, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        super(Normal, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``loc``."""
        return self.loc

    @property
    def mode(self) -> Tensor:
        """``loc``."""
        return self.loc

    @property
    def stddev(self) -> Tensor:
        """``scale``."""
        return self.scale

    @property
    def variance(self) -> Tensor:
        """``scale ** 2``."""
        return self.stddev.pow(2)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Samples of ``sample_shape + batch_shape``, not differentiable."""
        with ember.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``loc + eps * scale``, ``eps ~ N(0, 1)``; shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        """``-(value - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi))``."""
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        return (-((value - self.loc) ** 2) / (2 * var) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value: Tensor) -> Tensor:
        """``(1 + erf((value - loc) / (scale sqrt 2))) / 2``."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ember.erf((value - self.loc) * self.scale.reciprocal()
                                    / math.sqrt(2)))

    def icdf(self, value: Tensor) -> Tensor:
        """``loc + scale * erfinv(2 value - 1) * sqrt(2)`` for probabilities ``value``."""
        return self.loc + self.scale * ember.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        """``1/2 + log(2 pi)/2 + log(scale)``, shape ``batch_shape``."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + ember.log(self.scale)

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return (self.loc / self.scale.pow(2), -0.5 * self.scale.pow(2).reciprocal())

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return -0.25 * x.pow(2) / y + 0.5 * ember.log(-math.pi / y)
