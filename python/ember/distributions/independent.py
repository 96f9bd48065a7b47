"""Reinterpreting batch dims of a distribution as event dims."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ember import Tensor

from . import constraints
from .distribution import Distribution
from .utils import _sum_rightmost

__all__ = ["Independent"]


class Independent(Distribution):
    """Treats the ``reinterpreted_batch_ndims`` rightmost batch dims of ``base_distribution``
    as event dims: ``log_prob`` and ``entropy`` are summed over them.

    E.g. ``Independent(Normal(loc, scale), 1)`` with ``loc`` of shape ``(B, D)`` is a
    diagonal-covariance Gaussian over ``D``-vectors: ``batch_shape (B,)``,
    ``event_shape (D,)``. Sampling, mean, mode and variance are the base's.

    Args:
        base_distribution: a Distribution.
        reinterpreted_batch_ndims: number of batch dims to move into the event (int >= 0).
        validate_args: check values (default: class default, True).
    Shapes:
        ``batch_shape = base.batch_shape[:-n]``,
        ``event_shape = base.batch_shape[-n:] + base.event_shape``.
    Raises:
        ValueError: ``reinterpreted_batch_ndims`` larger than the base batch rank.
    Example:
        >>> from ember.distributions import Independent, Normal
        >>> d = Independent(Normal(ember.zeros(3, 2), ember.ones(3, 2)), 1)
        >>> d.batch_shape, d.event_shape
        ((3,), (2,))
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        if reinterpreted_batch_ndims > len(base_distribution.batch_shape):
            raise ValueError(
                "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                f"actual {reinterpreted_batch_ndims} vs {len(base_distribution.batch_shape)}")
        shape = base_distribution.batch_shape + base_distribution.event_shape
        event_dim = reinterpreted_batch_ndims + len(base_distribution.event_shape)
        batch_shape = shape[: len(shape) - event_dim]
        event_shape = shape[len(shape) - event_dim:]
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Independent:
        """Expanded to ``batch_shape`` (the base is expanded underneath)."""
        new = self._get_checked_instance(Independent, _instance)
        batch_shape = tuple(batch_shape)
        new.base_dist = self.base_dist.expand(
            batch_shape + self.event_shape[: self.reinterpreted_batch_ndims])
        new.reinterpreted_batch_ndims = self.reinterpreted_batch_ndims
        super(Independent, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        """The base's ``has_rsample``."""
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self) -> bool:  # type: ignore[override]
        """False when dims are reinterpreted, else the base's."""
        if self.reinterpreted_batch_ndims > 0:
            return False
        return self.base_dist.has_enumerate_support

    @constraints.dependent_property
    def support(self) -> constraints.Constraint:
        """The base support, made independent over the reinterpreted dims."""
        result = self.base_dist.support
        if self.reinterpreted_batch_ndims:
            result = constraints.independent(result, self.reinterpreted_batch_ndims)
        return result

    @property
    def mean(self) -> Tensor:
        """The base mean."""
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        """The base mode."""
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        """The base variance."""
        return self.base_dist.variance

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Base samples."""
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Base reparameterized samples."""
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Tensor) -> Tensor:
        """Base log_prob summed over the reinterpreted dims."""
        return _sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        """Base entropy summed over the reinterpreted dims."""
        return _sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The base's support (only when no dims are reinterpreted)."""
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.base_dist}, {self.reinterpreted_batch_ndims})"
