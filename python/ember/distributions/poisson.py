"""The Poisson distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from ._special import _sample_poisson
from .exp_family import ExponentialFamily
from .utils import _is_number, broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    """Poisson distribution with ``rate`` lambda: ``P(k) = lambda^k e^-lambda / k!``.

    ``log_prob(k) = xlogy(k, lambda) - lambda - lgamma(k + 1)``; mean and variance ``lambda``;
    mode ``floor(lambda)``. Samples are float counts of the rate's dtype: inversion for
    ``lambda < 10``, Hormann's PTRS transformed rejection above (ember's generator). No
    ``rsample``; no closed-form entropy (NotImplementedError, as PyTorch).

    Args:
        rate: lambda (>= 0), float tensor or number.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape = rate.shape``; ``event_shape = ()``.
    Raises:
        ValueError: ``rate < 0`` (when validating); values that are not nonnegative integers
            (when validating).
    Reference:
        W. Hormann, "The transformed rejection method for generating Poisson random
        variables", Insurance: Mathematics and Economics 12, 1993.
    Example:
        >>> from ember.distributions import Poisson
        >>> Poisson(2.0).log_prob(ember.tensor(0.0))
        tensor(-2.)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Tensor | float, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch_shape = () if _is_number(rate) else tuple(self.rate.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Poisson:
        """Poisson with ``rate`` expanded to ``batch_shape`` (a view)."""
        new = self._get_checked_instance(Poisson, _instance)
        batch_shape = tuple(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Poisson, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``rate``."""
        return self.rate

    @property
    def mode(self) -> Tensor:
        """``floor(rate)``."""
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        """``rate``."""
        return self.rate

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Float counts of ``sample_shape + batch_shape``, dtype of ``rate``."""
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            rate = self.rate.detach().to(ember.float64).expand(shape).contiguous()
            return _sample_poisson(rate).to(self.rate.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        """``xlogy(value, rate) - rate - lgamma(value + 1)``."""
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return ember.xlogy(value, rate) - rate - ember.lgamma(value + 1)

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (ember.log(self.rate),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return ember.exp(x)
