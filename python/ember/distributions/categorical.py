"""The categorical distribution over class indices."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .distribution import Distribution
from .utils import _size, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """Categorical distribution over ``{0, ..., K - 1}``, from ``probs`` or ``logits``.

    ``probs`` (nonnegative, any positive scale) are normalized along the last dim;
    ``logits`` are normalized as ``logits - logsumexp(logits)``. ``log_prob(k)`` gathers the
    normalized logits at index ``k``; entropy ``-sum p log p``. Samples are int64 indices drawn
    with :func:`ember.multinomial` (inverse-CDF, ember's generator). ``mean`` and ``variance``
    are NaN (as PyTorch); ``mode`` is the argmax.

    Args:
        probs: ``(*batch_shape, K)`` event probabilities (at least 1-D), float.
        logits: ``(*batch_shape, K)`` unnormalized log-probabilities (at least 1-D), float.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape = param.shape[:-1]``, ``event_shape = ()``.
    Raises:
        ValueError: both or neither of ``probs``/``logits``; a 0-d parameter; ``probs`` not
            on the simplex after normalization or negative (when validating); values outside
            ``{0, ..., K-1}`` in ``log_prob`` (when validating).
    Example:
        >>> from ember.distributions import Categorical
        >>> Categorical(probs=ember.tensor([1.0, 3.0])).log_prob(ember.tensor(1))
        tensor(-0.2877)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {
        "probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = tuple(self._param.shape[:-1]) if self._param.dim() > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> Categorical:
        """Categorical with parameters expanded to ``batch_shape + (K,)`` (views)."""
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = tuple(batch_shape)
        param_shape = batch_shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        super(Categorical, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        """``integer_interval(0, K - 1)``."""
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        """Normalized log-probabilities ``log(probs)`` (clamped), ``(*batch_shape, K)``."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        """Normalized probabilities ``softmax(logits)``, ``(*batch_shape, K)``."""
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple[int, ...]:
        """Shape of the given parameter, ``batch_shape + (K,)``."""
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        """NaN of ``batch_shape`` (undefined for categories)."""
        return ember.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        """``argmax(probs, -1)``, int64 of ``batch_shape``."""
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        """NaN of ``batch_shape`` (undefined for categories)."""
        return ember.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """int64 indices of shape ``sample_shape + batch_shape``."""
        sample_shape = _size(sample_shape)
        n = math.prod(sample_shape)
        with ember.no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events).contiguous()
            if n == 0 or probs_2d.shape[0] == 0:
                return ember.zeros(self._extended_shape(sample_shape), dtype=ember.int64)
            samples_2d = ember.multinomial(probs_2d, n, True).T
            return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """The normalized logit at index ``value`` (broadcast with ``batch_shape``)."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = ember.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self) -> Tensor:
        """``-sum(probs * logits, -1)`` (logits clamped to the dtype's min), ``batch_shape``."""
        min_real = ember.finfo(self.logits.dtype).min
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """``0..K-1`` (int64) along dim 0: ``(K,) + batch_shape``."""
        values = ember.arange(self._num_events, dtype=ember.int64)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values
