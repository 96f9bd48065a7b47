"""The gamma distribution (and chi-squared, a special case)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from ._special import _gammainc, _log_standard_gamma
from .exp_family import ExponentialFamily
from .utils import _is_number, broadcast_all

__all__ = ["Chi2", "Gamma"]


def _clamp_tiny(value: Tensor) -> Tensor:
    """``value`` clamped below at the dtype's smallest normal number, with the gradient of the
    unclamped value (PyTorch clamps its gamma samples outside the autograd graph)."""
    tiny = ember.finfo(value.dtype).tiny
    return value + (value.clamp(min=tiny) - value).detach()


class Gamma(ExponentialFamily):
    """Gamma distribution with shape ``concentration`` (alpha) and ``rate`` (beta).

    Density ``beta^alpha x^(alpha - 1) exp(-beta x) / Gamma(alpha)`` on x > 0; mean
    ``alpha / beta``; variance ``alpha / beta^2``; mode ``max((alpha - 1) / beta, 0)``; entropy
    ``alpha - log(beta) + lgamma(alpha) + (1 - alpha) digamma(alpha)``; cdf the regularized
    lower incomplete gamma ``P(alpha, beta x)`` (differentiable in ``x`` and ``rate``; the
    derivative in ``concentration`` raises NotImplementedError, as PyTorch).

    Sampling: Marsaglia & Tsang's squeeze/rejection method (with ``G(a) = G(a + 1) U^(1/a)``
    for ``a < 1``), vectorized over rejection rounds, in log space; samples are clamped to the
    dtype's ``tiny``. ``rsample`` is differentiable in both parameters: in ``rate`` through
    ``x = G / rate``, in ``concentration`` by implicit reparameterization
    ``dG/dalpha = -(dP/dalpha)(G) / p(G)``, computed from the series of ``dP/dalpha`` (exact to
    ~1e-10) for ``alpha <= 1000`` and the Wilson-Hilferty approximation above.

    Args:
        concentration: shape alpha (> 0), float tensor or number.
        rate: rate beta = 1 / scale (> 0), float tensor or number; broadcast with
            ``concentration``.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = broadcast shape of the parameters; ``event_shape = ()``.
    Raises:
        ValueError: a parameter <= 0 (when validating); negative values (when validating).
    Reference:
        G. Marsaglia and W. W. Tsang, "A simple method for generating gamma variables", ACM
        TOMS 26(3), 2000. M. Figurnov, S. Mohamed and A. Mnih, "Implicit reparameterization
        gradients", NeurIPS 2018.
    Example:
        >>> from ember.distributions import Gamma
        >>> Gamma(2.0, 3.0).mean
        tensor(0.6667)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration: Tensor | float, rate: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        scalar = _is_number(concentration) and _is_number(rate)
        batch_shape = () if scalar else tuple(self.concentration.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Gamma:
        """Gamma with parameters expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``concentration / rate``."""
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        """``max((concentration - 1) / rate, 0)``."""
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        """``concentration / rate^2``."""
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Reparameterized samples ``G / rate``, ``G ~ Gamma(concentration, 1)``; shape
        ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        log_g = _log_standard_gamma(self.concentration.expand(shape))
        value = log_g.exp() / self.rate.expand(shape)
        return _clamp_tiny(value)

    def log_prob(self, value: Tensor | float) -> Tensor:
        """``xlogy(alpha, beta) + xlogy(alpha - 1, value) - beta value - lgamma(alpha)``."""
        value = ember.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration, self.rate)
                + ember.xlogy(self.concentration - 1, value)
                - self.rate * value - ember.lgamma(self.concentration))

    def entropy(self) -> Tensor:
        """``alpha - log(beta) + lgamma(alpha) + (1 - alpha) digamma(alpha)``."""
        return (self.concentration - ember.log(self.rate) + ember.lgamma(self.concentration)
                + (1.0 - self.concentration) * ember.digamma(self.concentration))

    def cdf(self, value: Tensor) -> Tensor:
        """Regularized lower incomplete gamma ``P(concentration, rate * value)``: 1 at
        ``value = inf`` (and where ``rate * value`` overflows to inf), NaN at NaN and (without
        validation) negative values, as PyTorch's ``igamma``."""
        if self._validate_args:
            self._validate_sample(value)
        return _gammainc(self.concentration, self.rate * value)

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return ember.lgamma(x + 1) + (x + 1) * ember.log(-y.reciprocal())


class Chi2(Gamma):
    """Chi-squared distribution with ``df`` degrees of freedom: ``Gamma(df / 2, 1 / 2)``.

    Args:
        df: degrees of freedom (> 0), float tensor or number.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape = df.shape``; ``event_shape = ()``.
    Raises:
        ValueError: ``df <= 0`` (when validating).
    Example:
        >>> from ember.distributions import Chi2
        >>> Chi2(ember.tensor(4.0)).variance
        tensor(8.)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"df": constraints.positive}

    def __init__(self, df: Tensor | float, validate_args: bool | None = None) -> None:
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Chi2:
        """Chi2 with ``df`` expanded to ``batch_shape``."""
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self) -> Tensor:
        """Degrees of freedom: ``2 * concentration``."""
        return self.concentration * 2
