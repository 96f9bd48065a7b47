"""The multivariate normal distribution."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import ember
from ember import Tensor

from . import constraints
from .distribution import Distribution
from .utils import _standard_normal, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat: Tensor, bvec: Tensor) -> Tensor:
    """Batched matrix-vector product ``bmat @ bvec`` (batch dims broadcast)."""
    return ember.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL: Tensor, bx: Tensor) -> Tensor:
    """Squared Mahalanobis distance ``x^T (L L^T)^-1 x = |L^-1 x|^2`` (batch dims broadcast),
    in ``L``'s dtype (``x`` is converted, so a value of the other float dtype gives the
    distribution's dtype, as PyTorch)."""
    sol = ember.linalg.solve_triangular(bL, bx.to(bL.dtype).unsqueeze(-1), upper=False)
    return sol.squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(P: Tensor) -> Tensor:
    """Lower Cholesky factor ``L`` of ``P^-1`` without forming ``P^-1``: with the reversal
    ``R``, ``chol(R P R) = Lf`` gives ``P = U U^T`` for upper ``U = R Lf R``, hence
    ``P^-1 = U^-T U^-1`` and ``L = U^-T`` (lower triangular, positive diagonal)."""
    lf = ember.linalg.cholesky(ember.flip(P, (-2, -1)))
    l_inv = ember.flip(lf, (-2, -1)).mT
    eye = ember.eye(P.shape[-1], dtype=P.dtype)
    return ember.linalg.solve_triangular(l_inv, eye, upper=False)


class MultivariateNormal(Distribution):
    """Multivariate normal ``N(loc, Sigma)`` over vectors of size ``n``.

    Exactly one of ``covariance_matrix`` (Sigma), ``precision_matrix`` (Sigma^-1) or
    ``scale_tril`` (lower Cholesky factor L, Sigma = L L^T) is given; the others are computed
    on first use (``ember.linalg.cholesky`` for the covariance, the reversed-Cholesky trick for
    the precision, ``cholesky_inverse`` back). With ``d = x - loc``:
    ``log_prob = -(n log(2 pi) + |L^-1 d|^2) / 2 - sum log diag(L)``; entropy
    ``n (1 + log(2 pi)) / 2 + sum log diag(L)``; variance ``sum_j L_ij^2``.
    ``rsample = loc + L eps``, ``eps ~ N(0, I)``, differentiable in ``loc`` and the matrix.

    Args:
        loc: ``(*batch, n)`` mean, float.
        covariance_matrix: ``(*batch, n, n)`` symmetric positive-definite.
        precision_matrix: ``(*batch, n, n)`` symmetric positive-definite.
        scale_tril: ``(*batch, n, n)`` lower triangular with positive diagonal.
        validate_args: check parameters and values (default: class default, True).
    Shapes:
        ``batch_shape`` = broadcast of ``loc.shape[:-1]`` and the matrix's ``shape[:-2]``;
        ``event_shape = (n,)``.
    Raises:
        ValueError: 0-d ``loc``; not exactly one matrix given; a matrix with fewer than 2
            dims; (when validating) a matrix violating its constraint.
        LinAlgError: (without validation) a covariance or precision that is not
            positive-definite.
    Example:
        >>> from ember.distributions import MultivariateNormal
        >>> d = MultivariateNormal(ember.zeros(2), covariance_matrix=ember.eye(2))
        >>> d.log_prob(ember.zeros(2))
        tensor(-1.8379)
    """

    arg_constraints: ClassVar[dict[str, constraints.Constraint]] = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m is not None for m in (covariance_matrix, scale_tril, precision_matrix)]
        if sum(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        loc_batch = tuple(loc.shape[:-1])
        if scale_tril is not None:
            if scale_tril.dim() < 2:
                raise ValueError("scale_tril matrix must be at least two-dimensional, with "
                                 "optional leading batch dimensions")
            batch_shape = ember.broadcast_shapes(tuple(scale_tril.shape[:-2]), loc_batch)
            self.scale_tril = scale_tril.expand(batch_shape + (-1, -1))
        elif covariance_matrix is not None:
            if covariance_matrix.dim() < 2:
                raise ValueError("covariance_matrix must be at least two-dimensional, with "
                                 "optional leading batch dimensions")
            batch_shape = ember.broadcast_shapes(tuple(covariance_matrix.shape[:-2]), loc_batch)
            self.covariance_matrix = covariance_matrix.expand(batch_shape + (-1, -1))
        else:
            if precision_matrix.dim() < 2:
                raise ValueError("precision_matrix must be at least two-dimensional, with "
                                 "optional leading batch dimensions")
            batch_shape = ember.broadcast_shapes(tuple(precision_matrix.shape[:-2]), loc_batch)
            self.precision_matrix = precision_matrix.expand(batch_shape + (-1, -1))
        batch_shape = tuple(batch_shape)
        self.loc = loc.expand(batch_shape + (-1,))
        event_shape = tuple(self.loc.shape[-1:])
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape: Sequence[int], _instance=None) -> MultivariateNormal:
        """Expanded to ``batch_shape`` (views)."""
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        loc_shape = batch_shape + self.event_shape
        cov_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        super(MultivariateNormal, new).__init__(batch_shape, self.event_shape,
                                                validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self) -> tuple[int, ...]:
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self) -> Tensor:
        """Lower Cholesky factor L of the covariance, ``(*batch, n, n)``."""
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        """``L L^T``, ``(*batch, n, n)``."""
        L = self._unbroadcasted_scale_tril
        return ember.matmul(L, L.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self) -> Tensor:
        """``(L L^T)^-1`` via ``cholesky_inverse``, ``(*batch, n, n)``."""
        return ember.linalg.cholesky_inverse(self._unbroadcasted_scale_tril).expand(
            self._matrix_shape())

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
        """Diagonal of the covariance: ``sum_j L_ij^2``, ``(*batch, n)``."""
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            self._batch_shape + self._event_shape)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """``loc + L eps``, ``eps ~ N(0, I)``; shape ``sample_shape + batch_shape + (n,)``."""
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc.dtype)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value: Tensor) -> Tensor:
        """``-(n log(2 pi) + |L^-1 (value - loc)|^2) / 2 - sum log diag(L)``."""
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self) -> Tensor:
        """``n (1 + log(2 pi)) / 2 + sum log diag(L)``, ``batch_shape``."""
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
