"""The beta distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .dirichlet import Dirichlet
from .exp_family import ExponentialFamily
from .utils import _is_number, broadcast_all

__all__ = ["Beta"]


class Beta(ExponentialFamily):
    """Beta distribution on [0, 1] with ``concentration1`` (alpha) and ``concentration0``
    (beta).

    Density ``x^(alpha - 1) (1 - x)^(beta - 1) / B(alpha, beta)``; mean
    ``alpha / (alpha + beta)``; variance ``alpha beta / ((alpha + beta)^2 (alpha + beta + 1))``.
    Implemented, as in PyTorch, as the first coordinate of a :class:`Dirichlet` with
    concentration ``[alpha, beta]``, so sampling, ``rsample`` gradients, ``log_prob`` and
    entropy come from the Dirichlet (a parameter error names the Dirichlet's
    ``concentration``, as PyTorch); samples lie in ``[tiny, 1 - eps / 2]`` of the dtype, never
    exactly 0 or 1, even for small concentrations.

    Args:
        concentration1: alpha (> 0), float tensor or number.
        concentration0: beta (> 0), float tensor or number; broadcast with alpha.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = broadcast shape of the parameters; ``event_shape = ()``.
    Raises:
        ValueError: a parameter <= 0 (when validating); values outside [0, 1] (when
            validating).
    Example:
        >>> from ember.distributions import Beta
        >>> Beta(2.0, 2.0).log_prob(ember.tensor(0.5))
        tensor(0.4055)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Tensor | float, concentration0: Tensor | float,
                 validate_args: bool | None = None) -> None:
        if _is_number(concentration1) and _is_number(concentration0):
            c10 = ember.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            c10 = ember.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(c10, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Beta:
        """Beta expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = tuple(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        super(Beta, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        """``alpha / (alpha + beta)``."""
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """First coordinate of the Dirichlet mode."""
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        """``alpha beta / ((alpha + beta)^2 (alpha + beta + 1))``."""
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """First coordinate of a Dirichlet([alpha, beta]) rsample; ``sample_shape +
        batch_shape``."""
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value: Tensor) -> Tensor:
        """Dirichlet log-density of ``[value, 1 - value]``."""
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = ember.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self) -> Tensor:
        """Dirichlet entropy, ``batch_shape``."""
        return self._dirichlet.entropy()

    @property
    def concentration1(self) -> Tensor:
        """alpha, ``batch_shape``."""
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        """beta, ``batch_shape``."""
        return self._dirichlet.concentration[..., 1]

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return (self.concentration1, self.concentration0)

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return ember.lgamma(x) + ember.lgamma(y) - ember.lgamma(x + y)
