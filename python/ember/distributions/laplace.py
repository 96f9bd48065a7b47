"""The Laplace distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .distribution import Distribution
from .utils import _is_number, _uniform, broadcast_all

__all__ = ["Laplace"]


class Laplace(Distribution):
    """Laplace distribution: density ``exp(-|x - loc| / scale) / (2 scale)``.

    cdf ``1/2 - sign(x - loc) expm1(-|x - loc| / scale) / 2``; icdf
    ``loc - scale sign(p - 1/2) log1p(-2 |p - 1/2|)``; entropy ``1 + log(2 scale)``; mean and
    mode ``loc``; variance ``2 scale^2``. ``rsample`` applies the icdf form to
    ``u ~ U[eps - 1, 1)``, differentiable in ``loc`` and ``scale``.

    Args:
        loc: location, float tensor or number.
        scale: scale (> 0), float tensor or number; broadcast with ``loc``.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = broadcast shape of ``loc`` and ``scale``; ``event_shape = ()``.
    Raises:
        ValueError: ``scale <= 0`` (when validating).
    Example:
        >>> from ember.distributions import Laplace
        >>> Laplace(0.0, 1.0).log_prob(ember.tensor(0.0))
        tensor(-0.6931)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = () if _is_number(loc) and _is_number(scale) else tuple(self.loc.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Laplace:
        """Laplace with parameters expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(Laplace, _instance)
        batch_shape = tuple(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        super(Laplace, new).__init__(batch_shape, validate_args=False)
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
    def variance(self) -> Tensor:
        """``2 scale^2``."""
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        """``sqrt(2) scale``."""
        return (2**0.5) * self.scale

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``loc - scale sign(u) log1p(-|u|)``, ``u ~ U[eps - 1, 1)``."""
        shape = self._extended_shape(sample_shape)
        eps = ember.finfo(self.loc.dtype).eps
        u = _uniform(shape, self.loc.dtype) * (2 - eps) + (eps - 1)
        return self.loc - self.scale * u.sign() * ember.log1p(-u.abs())

    def log_prob(self, value: Tensor) -> Tensor:
        """``-log(2 scale) - |value - loc| / scale``."""
        if self._validate_args:
            self._validate_sample(value)
        return -ember.log(2 * self.scale) - ember.abs(value - self.loc) / self.scale

    def cdf(self, value: Tensor) -> Tensor:
        """``1/2 - sign(value - loc) expm1(-|value - loc| / scale) / 2``."""
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * ember.expm1(-d.abs() / self.scale)

    def icdf(self, value: Tensor) -> Tensor:
        """``loc - scale sign(value - 1/2) log1p(-2 |value - 1/2|)``."""
        term = value - 0.5
        return self.loc - self.scale * term.sign() * ember.log1p(-2 * term.abs())

    def entropy(self) -> Tensor:
        """``1 + log(2 scale)``, ``batch_shape``."""
        return 1 + ember.log(2 * self.scale)
