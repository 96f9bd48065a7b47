"""The one-hot categorical distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .utils import _one_hot

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]


class OneHotCategorical(Distribution):
    """Categorical distribution whose samples are one-hot vectors of length ``K``.

    Wraps a :class:`Categorical` (same ``probs``/``logits`` handling). ``log_prob(v)`` is the
    categorical log-probability of ``argmax(v)``; ``mean = probs``; ``variance =
    probs (1 - probs)``; ``mode`` the one-hot argmax. Samples have the parameter's dtype.

    Args:
        probs: ``(*batch_shape, K)`` event probabilities, float.
        logits: ``(*batch_shape, K)`` unnormalized log-probabilities, float.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape = param.shape[:-1]``, ``event_shape = (K,)``.
    Raises:
        ValueError: as :class:`Categorical`; values that are not one-hot (when validating).
    Example:
        >>> from ember.distributions import OneHotCategorical
        >>> d = OneHotCategorical(probs=ember.tensor([0.5, 0.5]))
        >>> d.log_prob(ember.tensor([0.0, 1.0]))
        tensor(-0.6931)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> OneHotCategorical:
        """Expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(OneHotCategorical, _instance)
        batch_shape = tuple(batch_shape)
        new._categorical = self._categorical.expand(batch_shape)
        super(OneHotCategorical, new).__init__(batch_shape, self.event_shape,
                                               validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def _param(self) -> Tensor:
        return self._categorical._param

    @property
    def probs(self) -> Tensor:
        """Normalized probabilities, ``(*batch_shape, K)``."""
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        """Normalized log-probabilities, ``(*batch_shape, K)``."""
        return self._categorical.logits

    @property
    def mean(self) -> Tensor:
        """``probs``."""
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        """One-hot of ``argmax(probs)``, dtype of ``probs``."""
        probs = self._categorical.probs
        return _one_hot(probs.argmax(dim=-1), probs.shape[-1], probs.dtype)

    @property
    def variance(self) -> Tensor:
        """``probs * (1 - probs)``."""
        return self._categorical.probs * (1 - self._categorical.probs)

    @property
    def param_shape(self) -> tuple[int, ...]:
        """``batch_shape + (K,)``."""
        return self._categorical.param_shape

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """One-hot samples ``sample_shape + batch_shape + (K,)``, dtype of ``probs``."""
        probs = self._categorical.probs
        indices = self._categorical.sample(sample_shape)
        return _one_hot(indices, self._categorical._num_events, probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        """Categorical log-probability of ``argmax(value, -1)``."""
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        """Categorical entropy, ``batch_shape``."""
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot vectors along dim 0: ``(K,) + batch_shape + (K,)``."""
        n = self.event_shape[0]
        values = ember.eye(n, dtype=self._param.dtype)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = values.expand((n,) + self.batch_shape + (n,))
        return values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """:class:`OneHotCategorical` with a straight-through ``rsample``: the one-hot sample plus
    ``probs - probs.detach()``, so gradients flow to ``probs`` as if the sample were ``probs``.

    Reference:
        Y. Bengio, N. Leonard and A. Courville, "Estimating or propagating gradients through
        stochastic neurons for conditional computation", arXiv:1308.3432, 2013.
    """

    has_rsample = True

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """One-hot sample + ``(probs - probs.detach())``."""
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())
