"""The abstract base class of all distributions (PyTorch's ``torch.distributions.Distribution``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import ember
from ember import Tensor

from . import constraints
from .utils import _size, lazy_property

__all__ = ["Distribution"]


class Distribution:
    """Abstract base class for probability distributions.

    A distribution holds a batch of independent distributions of shape ``batch_shape``, each
    over events of shape ``event_shape``. ``sample(sample_shape)`` returns
    ``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` takes a value whose
    rightmost dims are ``event_shape`` and broadcast with ``batch_shape`` and returns the
    broadcast ``sample_shape + batch_shape``.

    Validation: with ``validate_args`` True (the default, as PyTorch's default under
    ``python`` without ``-O``; change it for all new instances with
    :meth:`set_default_validate_args`) the constructor checks every parameter against
    ``arg_constraints`` and ``log_prob``/``cdf`` check values against ``support``, raising
    ``ValueError`` with PyTorch's messages (shapes print as tuples, e.g. ``(3,)``, where
    PyTorch prints ``torch.Size([3])``).

    Args:
        batch_shape: shape over which parameters are batched. Default ``()``.
        event_shape: shape of one sample without batching. Default ``()``.
        validate_args: check parameters and values; None (default) uses the class default.
    Raises:
        ValueError: a parameter outside its constraint (when validating).
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Sets whether new distributions validate their arguments by default.

        Validation is on by default (off under ``python -O``, like ``assert``).

        Args:
            value: True or False.
        Raises:
            ValueError: ``value`` is not a bool.
        """
        if value not in [True, False]:
            raise ValueError(f"set_default_validate_args: value must be True or False, got "
                             f"{value!r}")
        Distribution._validate_args = bool(value)

    def __init__(self, batch_shape: Sequence[int] = (), event_shape: Sequence[int] = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = _size(batch_shape)
        self._event_shape = _size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(
                    f"{self.__class__} does not define `arg_constraints`. Please set "
                    "`arg_constraints = {}` or initialize the distribution with "
                    "`validate_args=False` to turn off validation.", stacklevel=2)
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                if param not in self.__dict__ and isinstance(getattr(type(self), param, None),
                                                             lazy_property):
                    continue
                value = getattr(self, param)
                valid = constraint.check(value)
                if not bool(valid.all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")
        super().__init__()

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Distribution:
        """A new distribution with batch dims expanded to ``batch_shape``.

        Parameters are expanded views (no copies); arguments are not validated again.

        Args:
            batch_shape: the new batch shape; must be expandable from the current one.
            _instance: internal, a new instance provided by a subclass.
        Returns:
            Distribution: same type, ``batch_shape`` as given.
        Raises:
            NotImplementedError: the distribution does not support expand.
        """
        raise NotImplementedError

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape over which parameters are batched (a tuple)."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        """Shape of one sample without batching (a tuple)."""
        return self._event_shape

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:
        """Dict from parameter names to the :class:`Constraint` each must satisfy."""
        raise NotImplementedError

    @property
    def support(self) -> constraints.Constraint:
        """The :class:`Constraint` of the values this distribution takes."""
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        """Mean, shape ``batch_shape + event_shape``."""
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        """Mode, shape ``batch_shape + event_shape``."""
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """Variance, shape ``batch_shape + event_shape``."""
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        """Standard deviation: ``variance.sqrt()``."""
        return self.variance.sqrt()

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Samples of shape ``sample_shape + batch_shape + event_shape``, not differentiable.

        Args:
            sample_shape: leading shape of independent draws. Default ``()``.
        Returns:
            Tensor: the samples (ember's generator: ``ember.manual_seed`` reproduces them).
        """
        with ember.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """Reparameterized samples: like :meth:`sample` but differentiable with respect to the
        parameters (only where ``has_rsample`` is True).

        Args:
            sample_shape: leading shape of independent draws. Default ``()``.
        Returns:
            Tensor: ``sample_shape + batch_shape + event_shape``.
        Raises:
            NotImplementedError: the distribution has no reparameterized sampler.
        """
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        """Deprecated: ``sample((n,))`` (warns with a FutureWarning)."""
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.",
                      FutureWarning, stacklevel=2)
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        """Log of the density (or mass) at ``value``.

        Args:
            value: ``(*, *batch_shape, *event_shape)`` (batch dims broadcast).
        Returns:
            Tensor: ``(*, *batch_shape)``.
        Raises:
            ValueError: (when validating) a value of the wrong shape or outside the support.
        """
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        """Cumulative distribution function at ``value`` (shapes as :meth:`log_prob`)."""
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        """Inverse cumulative distribution function at probabilities ``value`` in [0, 1]."""
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """All values of a discrete distribution along dim 0.

        Args:
            expand: expand to ``(cardinality,) + batch_shape + event_shape`` (default True);
                False gives singleton batch dims.
        Returns:
            Tensor: the support values.
        """
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """Entropy (nats), shape ``batch_shape``."""
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """``exp(entropy())``, shape ``batch_shape``."""
        return ember.exp(self.entropy())

    def _extended_shape(self, sample_shape: Sequence[int] = ()) -> tuple[int, ...]:
        """``sample_shape + batch_shape + event_shape`` as a tuple."""
        return _size(sample_shape) + self._batch_shape + self._event_shape

    def _validate_sample(self, value: Tensor) -> None:
        """Checks ``value``'s type, shape and support for ``log_prob``/``cdf``.

        Raises:
            ValueError: PyTorch's messages: not a Tensor; rightmost dims not ``event_shape``;
                not broadcastable with ``batch_shape + event_shape``; outside the support.
        """
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")  # noqa: TRY004
        actual = tuple(value.shape)
        start = len(actual) - len(self._event_shape)
        if actual[start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {actual} vs "
                             f"{self._event_shape}.")
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual} vs {expected}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample "
                          "validation. Please initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=2)
            return
        valid = support.check(value)
        if not bool(valid.all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {actual}) to be "
                f"within the support ({support!r}) of the distribution {self!r}, but found "
                f"invalid values:\n{value}")

    def _get_checked_instance(self, cls: type, _instance: Any = None) -> Any:
        """A blank instance of ``type(self)`` for ``expand`` (or ``_instance``)."""
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def __repr__(self) -> str:
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        parts = []
        for p in names:
            v = self.__dict__[p]
            parts.append(f"{p}: {v if v.numel() == 1 else tuple(v.shape)}")
        return self.__class__.__name__ + "(" + ", ".join(parts) + ")"
