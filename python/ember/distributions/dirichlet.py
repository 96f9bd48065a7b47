"""The Dirichlet distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from ._special import _log_standard_gamma
from .exp_family import ExponentialFamily
from .utils import _one_hot

__all__ = ["Dirichlet"]


def _clamp_open_unit(value: Tensor) -> Tensor:
    """``value`` clamped into ``[tiny, 1 - eps / 2]`` of its dtype (the smallest normal number
    and the largest float below 1, the bounds of PyTorch's Dirichlet sampler), with the gradient
    of the unclamped value. ``value + (clamped - value)`` reproduces ``clamped`` exactly: the
    difference is exact (both ends are within a factor of two of the clamped bound, or
    multiples of the smallest subnormal below ``2 tiny``)."""
    info = ember.finfo(value.dtype)
    clamped = value.detach().clamp(min=info.tiny, max=1.0 - info.eps / 2)
    return value + (clamped - value.detach())


class Dirichlet(ExponentialFamily):
    """Dirichlet distribution on the probability simplex with ``concentration`` alpha.

    Density ``Gamma(sum a) / prod Gamma(a_i) * prod x_i^(a_i - 1)``; mean ``a / a0``
    (``a0 = sum a``); variance ``a (a0 - a) / (a0^2 (a0 + 1))``; entropy
    ``sum lgamma(a) - lgamma(a0) - (K - a0) digamma(a0) - sum (a - 1) digamma(a)``; mode
    ``(a - 1)^+ / sum (a - 1)^+`` (one-hot of the argmax where all ``a < 1``).

    ``rsample`` draws ``G_i ~ Gamma(a_i, 1)`` in log space (see :class:`Gamma`) and returns
    ``softmax(log G)`` = ``G / sum G`` (no underflow for tiny concentrations), clamped into
    ``[tiny, 1 - eps / 2]`` (``tiny``, ``eps`` of the dtype: the smallest normal number and the
    largest float below 1), as PyTorch's sampler does, so that no coordinate is exactly 0 or 1
    and ``log_prob`` of a sample stays finite for small concentrations. The clamp is outside
    the autograd graph (the gradient is that of the unclamped sample). The gradient is
    the pathwise gradient of this normalization of implicitly reparameterized gammas; it has the
    same expectation as PyTorch's but differs per sample (PyTorch differentiates the
    marginal Beta cdf instead).

    Args:
        concentration: ``(*batch_shape, K)`` (at least 1-D), > 0, float.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape = concentration.shape[:-1]``, ``event_shape = (K,)``.
    Raises:
        ValueError: a 0-d ``concentration``; entries <= 0 (when validating); values not on
            the simplex (when validating).
    Example:
        >>> from ember.distributions import Dirichlet
        >>> Dirichlet(ember.tensor([1.0, 3.0])).mean
        tensor([0.2500, 0.7500])
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Dirichlet:
        """Dirichlet with ``concentration`` expanded to ``batch_shape + (K,)`` (a view)."""
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = tuple(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``softmax(log G)``, ``G_i ~ Gamma(a_i, 1)``; ``sample_shape + batch_shape + (K,)``."""
        shape = self._extended_shape(sample_shape)
        log_g = _log_standard_gamma(self.concentration.expand(shape))
        return _clamp_open_unit(ember.softmax(log_g, dim=-1))

    def log_prob(self, value: Tensor) -> Tensor:
        """``sum xlogy(a - 1, value) + lgamma(a0) - sum lgamma(a)``."""
        if self._validate_args:
            self._validate_sample(value)
        return (ember.xlogy(self.concentration - 1.0, value).sum(-1)
                + ember.lgamma(self.concentration.sum(-1))
                - ember.lgamma(self.concentration).sum(-1))

    @property
    def mean(self) -> Tensor:
        """``a / sum(a)``."""
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self) -> Tensor:
        """``(a - 1)^+ / sum (a - 1)^+``; one-hot of the argmax of that (index 0, as PyTorch's
        argmax of the all-NaN ratio) where every ``a < 1``."""
        am1 = (self.concentration - 1).clamp(min=0.0)
        mode = am1 / am1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1, keepdim=True)
        k = am1.shape[-1]
        first = _one_hot(ember.zeros(tuple(mode.shape[:-1]), dtype=ember.int64), k, mode.dtype)
        return ember.where(mask, first, mode)

    @property
    def variance(self) -> Tensor:
        """``a (a0 - a) / (a0^2 (a0 + 1))``."""
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self) -> Tensor:
        """``sum lgamma(a) - lgamma(a0) - (K - a0) digamma(a0) - sum (a - 1) digamma(a)``."""
        k = self.concentration.shape[-1]
        a0 = self.concentration.sum(-1)
        return (ember.lgamma(self.concentration).sum(-1) - ember.lgamma(a0)
                - (k - a0) * ember.digamma(a0)
                - ((self.concentration - 1.0) * ember.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.concentration,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.lgamma().sum(-1) - ember.lgamma(x.sum(-1))
