"""Constraints: regions where a distribution's parameters or values are valid.

Each constraint has ``check(value)``, returning a bool tensor of shape
``value.shape[:value.dim() - event_dim]`` (True where an event is valid), ``is_discrete`` and
``event_dim`` (how many rightmost dims form one event). Names and semantics follow
``torch.distributions.constraints``:

- ``real`` (not NaN), ``real_vector``, ``boolean`` ({0, 1}), ``one_hot``
- ``positive`` (> 0), ``nonnegative`` (>= 0), ``greater_than(b)``, ``greater_than_eq(b)``,
  ``less_than(b)``, ``unit_interval`` ([0, 1]), ``interval(a, b)``, ``half_open_interval(a, b)``
- ``nonnegative_integer``, ``positive_integer``, ``integer_interval(a, b)``
- ``simplex`` (entries >= 0 summing to 1 within 1e-6 along the last dim), ``multinomial(n)``
- ``lower_triangular``, ``lower_cholesky`` (lower triangular, positive diagonal), ``square``,
  ``symmetric`` (isclose to its transpose, atol 1e-6), ``positive_semidefinite``,
  ``positive_definite`` (symmetric and Cholesky succeeds)
- ``independent(c, n)`` (``c`` on each entry, reduced with ``all`` over ``n`` more dims),
  ``dependent`` and ``dependent_property`` (placeholders that cannot be checked)

Bounds may be numbers or tensors broadcastable with the checked value.

Example:
    >>> from ember.distributions import constraints
    >>> constraints.positive.check(ember.tensor([1.0, 0.0]))
    tensor([ True, False])
    >>> constraints.simplex.check(ember.tensor([[0.25, 0.75], [0.5, 0.6]]))
    tensor([ True, False])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor

__all__ = [
    "Constraint",
    "boolean",
    "dependent",
    "dependent_property",
    "greater_than",
    "greater_than_eq",
    "half_open_interval",
    "independent",
    "integer_interval",
    "interval",
    "is_dependent",
    "less_than",
    "lower_cholesky",
    "lower_triangular",
    "multinomial",
    "nonnegative",
    "nonnegative_integer",
    "one_hot",
    "positive",
    "positive_definite",
    "positive_integer",
    "positive_semidefinite",
    "real",
    "real_vector",
    "simplex",
    "square",
    "symmetric",
    "unit_interval",
]


class Constraint:
    """Base class of constraints.

    Attributes:
        is_discrete (bool): the constrained space is discrete. Default False.
        event_dim (int): number of rightmost dims that form one event; ``check`` reduces them.
            Default 0.
    """

    is_discrete = False
    event_dim = 0

    def check(self, value: Tensor) -> Tensor:
        """Bool tensor of ``value.shape[:value.dim() - event_dim]``: True where the event is
        valid."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.__class__.__name__[1:] + "()"


class _Dependent(Constraint):
    """Placeholder for a parameter whose valid region depends on other parameters.

    ``check`` raises; validation skips such parameters.

    Args:
        is_discrete: static value of ``is_discrete`` if known (keyword-only).
        event_dim: static value of ``event_dim`` if known (keyword-only).
    Raises:
        NotImplementedError: reading ``is_discrete``/``event_dim`` that were not given.
    """

    def __init__(self, *, is_discrete: Any = NotImplemented, event_dim: Any = NotImplemented):
        self._is_discrete = is_discrete
        self._event_dim = event_dim
        super().__init__()

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        """Static ``is_discrete`` if given, else NotImplementedError."""
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        """Static ``event_dim`` if given, else NotImplementedError."""
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete: Any = NotImplemented, event_dim: Any = NotImplemented):
        """A dependent constraint with the given static attributes."""
        if is_discrete is NotImplemented:
            is_discrete = self._is_discrete
        if event_dim is NotImplemented:
            event_dim = self._event_dim
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, x: Tensor) -> Tensor:
        """Always raises ValueError: a dependent constraint cannot be checked."""
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint: Any) -> bool:
    """True when ``constraint`` is a dependent placeholder (validation skips it).

    Args:
        constraint: any object.
    Returns:
        bool.
    """
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property that reads as a dependent constraint on the class and as a constraint built
    from the instance's parameters on an instance (e.g. ``Uniform.support``).

    Args:
        fn: the property getter.
        is_discrete: static ``is_discrete`` (keyword-only).
        event_dim: static ``event_dim`` (keyword-only).
    """

    def __init__(self, fn: Callable[..., Any] | None = None, *, is_discrete: Any = NotImplemented,
                 event_dim: Any = NotImplemented) -> None:
        property.__init__(self, fn)
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    def __call__(self, fn: Callable[..., Any]) -> _DependentProperty:  # type: ignore[override]
        """Decorates ``fn`` keeping the static attributes."""
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


class _IndependentConstraint(Constraint):
    """``base_constraint`` on every entry, with ``reinterpreted_batch_ndims`` more rightmost
    dims reduced by ``all`` in ``check``.

    Args:
        base_constraint: a Constraint.
        reinterpreted_batch_ndims: int >= 0.
    Raises:
        TypeError: a non-Constraint base or non-int ndims. ValueError: negative ndims, or (in
            ``check``) a value with too few dims.
    """

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int) -> None:
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"independent: base_constraint must be a Constraint, got "
                            f"{type(base_constraint).__name__}")
        if not isinstance(reinterpreted_batch_ndims, int):
            raise TypeError(f"independent: reinterpreted_batch_ndims must be an int, got "
                            f"{type(reinterpreted_batch_ndims).__name__}")
        if reinterpreted_batch_ndims < 0:
            raise ValueError(f"independent: reinterpreted_batch_ndims must be >= 0, got "
                             f"{reinterpreted_batch_ndims}")
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__()

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        """The base constraint's ``is_discrete``."""
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        """Base ``event_dim`` plus ``reinterpreted_batch_ndims``."""
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value: Tensor) -> Tensor:
        """Base check, then ``all`` over ``reinterpreted_batch_ndims`` rightmost dims."""
        result = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        if result.dim() < n:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {value.dim()}")
        if n == 0:
            return result
        return result.reshape(tuple(result.shape[: result.dim() - n]) + (-1,)).all(-1)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__[1:]}({self.base_constraint!r}, "
                f"{self.reinterpreted_batch_ndims})")


class _Boolean(Constraint):
    """The two values {0, 1}."""

    is_discrete = True

    def check(self, value: Tensor) -> Tensor:
        """``(value == 0) | (value == 1)``."""
        return (value == 0) | (value == 1)


class _OneHot(Constraint):
    """One-hot vectors along the last dim (entries in {0, 1} summing to 1)."""

    is_discrete = True
    event_dim = 1

    def check(self, value: Tensor) -> Tensor:
        """True where the last dim is one-hot; shape ``value.shape[:-1]``."""
        is_boolean = ((value == 0) | (value == 1)).all(-1)
        return is_boolean & (value.sum(-1) == 1)


class _IntegerInterval(Constraint):
    """Integers in ``[lower_bound, upper_bound]``.

    Args:
        lower_bound: number or tensor. upper_bound: number or tensor.
    """

    is_discrete = True

    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        """``value % 1 == 0`` and within the bounds."""
        return (value % 1 == 0) & (value >= self.lower_bound) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__[1:]}(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _IntegerLessThan(Constraint):
    """Integers ``<= upper_bound``.

    Args:
        upper_bound: number or tensor.
    """

    is_discrete = True

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        """``value % 1 == 0`` and ``value <= upper_bound``."""
        return (value % 1 == 0) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__[1:]}(upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    """Integers ``>= lower_bound``.

    Args:
        lower_bound: number or tensor.
    """

    is_discrete = True

    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        """``value % 1 == 0`` and ``value >= lower_bound``."""
        return (value % 1 == 0) & (value >= self.lower_bound)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__[1:]}(lower_bound={self.lower_bound})"


class _Real(Constraint):
    """The extended real line ``[-inf, inf]`` (rejects NaN only)."""

    def check(self, value: Tensor) -> Tensor:
        """``value == value`` (False for NaN)."""
        return value == value  # noqa: PLR0124 - False exactly for NaN


class _GreaterThan(Constraint):
    """The half line ``(lower_bound, inf]``.

    Args:
        lower_bound: number or tensor.
    """

    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        """``value > lower_bound``."""
        return value > self.lower_bound

    def __repr__(self) -> str:
        return f"{self.__class__.__name__[1:]}(lower_bound={self.lower_bound})"


class _GreaterThanEq(Constraint):
    """The half line ``[lower_bound, inf)``.

    Args:
        lower_bound: number or tensor.
    """

    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        """``value >= lower_bound``."""
        return value >= self.lower_bound

    def __repr__(self) -> str:
        return f"{self.__class__.__name__[1:]}(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    """The half line ``[-inf, upper_bound)``.

    Args:
        upper_bound: number or tensor.
    """

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        """``value < upper_bound``."""
        return value < self.upper_bound

    def __repr__(self) -> str:
        return f"{self.__class__.__name__[1:]}(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    """The closed interval ``[lower_bound, upper_bound]``.

    Args:
        lower_bound: number or tensor. upper_bound: number or tensor.
    """

    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        """``lower_bound <= value <= upper_bound``."""
        return (value >= self.lower_bound) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__[1:]}(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _HalfOpenInterval(Constraint):
    """The interval ``[lower_bound, upper_bound)``.

    Args:
        lower_bound: number or tensor. upper_bound: number or tensor.
    """

    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        """``lower_bound <= value < upper_bound``."""
        return (value >= self.lower_bound) & (value < self.upper_bound)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__[1:]}(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _Simplex(Constraint):
    """The probability simplex along the last dim: ``x >= 0`` and ``|sum(x) - 1| < 1e-6``."""

    event_dim = 1

    def check(self, value: Tensor) -> Tensor:
        """True where the last dim is on the simplex; shape ``value.shape[:-1]``."""
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _Multinomial(Constraint):
    """Nonnegative vectors whose sum along the last dim is at most ``upper_bound`` (PyTorch's
    weaker-than-exact check).

    Args:
        upper_bound: number or tensor.
    """

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def check(self, x: Tensor) -> Tensor:
        """``(x >= 0).all(-1) & (x.sum(-1) <= upper_bound)``."""
        return (x >= 0).all(-1) & (x.sum(-1) <= self.upper_bound)


def _flat_all(mask: Tensor) -> Tensor:
    """``all`` over the last two dims of a ``(*, n, m)`` bool tensor."""
    return mask.reshape(tuple(mask.shape[:-2]) + (-1,)).all(-1)


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices (last two dims)."""

    event_dim = 2

    def check(self, value: Tensor) -> Tensor:
        """True where ``value.tril() == value``; shape ``value.shape[:-2]``."""
        return _flat_all(value.tril() == value)


class _LowerCholesky(Constraint):
    """Lower-triangular square matrices with a positive diagonal (Cholesky factors)."""

    event_dim = 2

    def check(self, value: Tensor) -> Tensor:
        """Lower triangular and ``diagonal > 0``; shape ``value.shape[:-2]``."""
        lower = _flat_all(value.tril() == value)
        positive_diag = (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)
        return lower & positive_diag


class _Square(Constraint):
    """Square matrices (last two dims equal)."""

    event_dim = 2

    def check(self, value: Tensor) -> Tensor:
        """All True (or all False) of shape ``value.shape[:-2]``."""
        return ember.full(tuple(value.shape[:-2]), value.shape[-2] == value.shape[-1],
                          dtype=ember.bool)


class _Symmetric(_Square):
    """Symmetric square matrices: ``isclose(value, value.mT, atol=1e-6)`` entrywise."""

    def check(self, value: Tensor) -> Tensor:
        """Square and symmetric; shape ``value.shape[:-2]``."""
        square = super().check(value)
        if not bool(square.all()):
            return square
        return _flat_all(ember.isclose(value, value.mT, atol=1e-6))


class _PositiveSemidefinite(_Symmetric):
    """Symmetric positive-semidefinite matrices (eigenvalues >= 0)."""

    def check(self, value: Tensor) -> Tensor:
        """Symmetric with ``eigvalsh(value) >= 0``; shape ``value.shape[:-2]``."""
        sym = super().check(value)
        if not bool(sym.all()):
            return sym
        return (ember.linalg.eigvalsh(value) >= 0).all(-1)


class _PositiveDefinite(_Symmetric):
    """Symmetric positive-definite matrices (Cholesky succeeds)."""

    def check(self, value: Tensor) -> Tensor:
        """Symmetric and ``cholesky_ex(value).info == 0``; shape ``value.shape[:-2]``."""
        sym = super().check(value)
        if not bool(sym.all()):
            return sym
        return ember.linalg.cholesky_ex(value).info == 0


# Public interface (PyTorch's names).
dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
multinomial = _Multinomial
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
