"""The log-normal distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ember import Tensor

from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform

__all__ = ["LogNormal"]


class LogNormal(TransformedDistribution):
    """Log-normal distribution: ``exp(X)`` for ``X ~ Normal(loc, scale)``.

    Mean ``exp(loc + scale^2 / 2)``; variance ``expm1(scale^2) exp(2 loc + scale^2)``; mode
    ``exp(loc - scale^2)``; entropy ``H(Normal) + loc``; ``log_prob(y) = log p_X(log y) -
    log y``. Reparameterized (``exp`` of a Normal rsample).

    Args:
        loc: mean of log(X), float tensor or number.
        scale: standard deviation of log(X) (> 0), float tensor or number.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = broadcast shape of ``loc`` and ``scale``; ``event_shape = ()``.
    Raises:
        ValueError: ``scale <= 0`` (when validating); values <= 0 (when validating).
    Example:
        >>> from ember.distributions import LogNormal
        >>> LogNormal(0.0, 1.0).log_prob(ember.tensor(1.0))
        tensor(-0.9189)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> LogNormal:
        """LogNormal expanded to ``batch_shape``."""
        new = self._get_checked_instance(LogNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self) -> Tensor:
        """``loc`` of the underlying Normal."""
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        """``scale`` of the underlying Normal."""
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        """``exp(loc + scale^2 / 2)``."""
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self) -> Tensor:
        """``exp(loc - scale^2)``."""
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self) -> Tensor:
        """``expm1(scale^2) exp(2 loc + scale^2)``."""
        s2 = self.scale.pow(2)
        return s2.expm1() * (2 * self.loc + s2).exp()

    def entropy(self) -> Tensor:
        """``Normal entropy + loc``."""
        return self.base_dist.entropy() + self.loc
