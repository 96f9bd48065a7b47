"""Student's t distribution (module named as PyTorch's ``studentT``)."""

# ruff: noqa: N999

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .distribution import Distribution
from .gamma import Chi2
from .utils import _standard_normal, broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location and scale.

    With ``y = (x - loc) / scale``: log density ``-(df + 1)/2 log1p(y^2 / df) - log(scale)
    - log(df)/2 - log(pi)/2 - lgamma(df/2) + lgamma((df + 1)/2)``; entropy
    ``log(scale) + (df + 1)/2 (digamma((df + 1)/2) - digamma(df/2)) + log(df)/2
    + log B(df/2, 1/2)``; mean ``loc`` (NaN for ``df <= 1``); variance
    ``scale^2 df / (df - 2)`` (inf for ``1 < df <= 2``, NaN for ``df <= 1``); mode ``loc``.
    ``rsample = loc + scale X / sqrt(Z / df)`` with ``X ~ N(0, 1)``, ``Z ~ Chi2(df)``
    (reparameterized, see :class:`Gamma`).

    Args:
        df: degrees of freedom (> 0), float tensor or number.
        loc: location, float tensor or number. Default 0.
        scale: scale (> 0), float tensor or number. Default 1.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = broadcast shape of the three parameters; ``event_shape = ()``.
    Raises:
        ValueError: ``df <= 0`` or ``scale <= 0`` (when validating).
    Example:
        >>> from ember.distributions import StudentT
        >>> StudentT(ember.tensor(1.0)).log_prob(ember.tensor(0.0))
        tensor(-1.1447)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Tensor | float, loc: Tensor | float = 0.0,
                 scale: Tensor | float = 1.0, validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df, validate_args=validate_args)
        super().__init__(tuple(self.df.shape), validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> StudentT:
        """StudentT with parameters expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(StudentT, _instance)
        batch_shape = tuple(batch_shape)
        new.df = self.df.expand(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new._chi2 = self._chi2.expand(batch_shape)
        super(StudentT, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``loc``, NaN where ``df <= 1``."""
        return ember.where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self) -> Tensor:
        """``loc``."""
        return self.loc

    @property
    def variance(self) -> Tensor:
        """``scale^2 df / (df - 2)`` for ``df > 2``, inf for ``1 < df <= 2``, NaN below."""
        df = self.df
        safe = ember.where(df > 2, df, 3.0)
        v = self.scale.pow(2) * safe / (safe - 2)
        v = ember.where(df > 2, v, math.inf)
        return ember.where(df <= 1, math.nan, v)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``loc + scale X rsqrt(Z / df)``; shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(sample_shape)
        x = _standard_normal(shape, self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        y = x * ember.rsqrt(z / self.df)
        return self.loc + self.scale * y

    def log_prob(self, value: Tensor) -> Tensor:
        """Log density (see the class docstring)."""
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + ember.lgamma(0.5 * self.df) - ember.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * ember.log1p(y**2.0 / self.df) - z

    def entropy(self) -> Tensor:
        """Entropy (see the class docstring), ``batch_shape``."""
        lbeta = (ember.lgamma(0.5 * self.df) + math.lgamma(0.5)
                 - ember.lgamma(0.5 * (self.df + 1)))
        return (self.scale.log()
                + 0.5 * (self.df + 1) * (ember.digamma(0.5 * (self.df + 1))
                                         - ember.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
