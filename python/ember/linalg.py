"""Linear algebra: PyTorch's ``torch.linalg`` (names, signatures, defaults, batching, results).

Every function takes batches of matrices ``(*, m, n)`` (leading batch dims, broadcast where
PyTorch broadcasts) of float32 or float64.

How the work is split:

* Factorizations and solves run in LAPACK through ``numpy.linalg`` on the tensor's values
  (numpy loops over the batch in C). numpy has no LU factorization, so :func:`lu_factor`,
  the singular-matrix paths of ``inv``/``solve`` and ``solve`` with a gradient or
  ``left=False`` (whose adjoint solves reuse the factors of ``A``, as PyTorch) use a
  partial-pivoting LU (LAPACK ``getrf``'s blocked algorithm) vectorized over the batch, one
  numpy step per column; triangular solves use LAPACK (``numpy.linalg.solve``) unless the
  diagonal holds a zero, where a vectorized substitution gives the same inf/NaN results as
  LAPACK's ``trsm``.
* Each backward is written with ember ops (an :class:`ember.autograd.Function` per
  factorization), so gradients of gradients work: when a backward runs with grad mode on
  (``create_graph=True``) it recomputes the factorization through the differentiable function
  instead of using the saved, history-free result.
* Functions made only of ember ops (``vector_norm``, ``matrix_norm`` with ``'fro'``/``inf``/``1``,
  ``cross``, ``vecdot``, ``multi_dot``, ``diagonal``, ``matmul``, ``householder_product``,
  ``vander``, ``matrix_power`` with ``n >= 0``) are traced by ``ember.jit`` like any op. The
  others read values, which a trace would bake in as constants: they raise ``RuntimeError``
  (naming the function) inside ``ember.jit.trace``/``ember.jit.function``.

Errors follow ember's conventions: a wrong dtype is a ``TypeError``, a wrong shape a
``ValueError`` (PyTorch raises ``RuntimeError`` for both), and a singular or not positive-definite
matrix, where PyTorch raises ``torch.linalg.LinAlgError``, raises :class:`LinAlgError` (a
``RuntimeError``). Messages start with the function's name (``linalg.inv: ...``).

Non-finite input follows PyTorch and never leaks numpy's ``LinAlgError``: the SVD-based
functions raise :class:`LinAlgError` for a NaN and give NaN for infinities (LAPACK never sees
such a matrix: OpenBLAS's ``gesdd`` can loop forever on one); ``eigh``/``eigvalsh`` give NaN
or raise :class:`LinAlgError` when LAPACK does not converge; ``det``, ``matrix_exp`` and the
solves give NaN for the matrices concerned and leave the rest of the batch alone.

``_install()`` adds PyTorch's Tensor methods (``det``, ``inverse``, ``svd``, ...); ``_TOP_LEVEL``
lists the ``(name, function)`` pairs PyTorch has as ``torch.<name>``.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _C
from ._C import Tensor
from ._composites import _dim, _dims, movedim
from ._C import diagonal as _diagonal
from ._composites import norm as _norm
from ._composites_more import _int_matmul, amax, amin, diag_embed
from ._composites_more import cross as _cross
from .autograd.function import Function

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh",
    "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor",
    "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power",
    "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex",
    "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot",
    "vector_norm",
]

_DT = _C.dtype
_FLOATS = (_DT.float32, _DT.float64)
_NP = {_DT.float32: np.float32, _DT.float64: np.float64}
_INF = float("inf")
_LU_BLOCK = 32  # panel width of the blocked LU


class LinAlgError(RuntimeError):
    """Raised when a matrix is singular or not positive-definite where the result needs it
    (``inv``, ``solve``, ``cholesky``, ``lu_factor``, the ``check_errors=True`` forms), or when
    a decomposition fails on non-finite input (the SVD on a NaN, ``eigh`` not converging), as
    ``torch.linalg.LinAlgError``. A subclass of ``RuntimeError``."""


# Result types, named and ordered as PyTorch's ``torch.return_types``.
_module = "ember.return_types"
_SlogdetResult = namedtuple("slogdet", ("sign", "logabsdet"), module=_module)
_InvExResult = namedtuple("inv_ex", ("inverse", "info"), module=_module)
_SolveExResult = namedtuple("solve_ex", ("result", "info"), module=_module)
_CholeskyExResult = namedtuple("cholesky_ex", ("L", "info"), module=_module)
_LUFactorResult = namedtuple("lu_factor", ("LU", "pivots"), module=_module)
_LUFactorExResult = namedtuple("lu_factor_ex", ("LU", "pivots", "info"), module=_module)
_LUResult = namedtuple("lu", ("P", "L", "U"), module=_module)
_QRResult = namedtuple("qr", ("Q", "R"), module=_module)
_EighResult = namedtuple("eigh", ("eigenvalues", "eigenvectors"), module=_module)
_SVDResult = namedtuple("svd", ("U", "S", "Vh"), module=_module)
_LstsqResult = namedtuple("lstsq", ("solution", "residuals", "rank", "singular_values"),
                          module=_module)
_SvdLegacyResult = namedtuple("svd", ("U", "S", "V"), module=_module)
_TriangularSolveResult = namedtuple("triangular_solve", ("solution", "cloned_coefficient"),
                                    module=_module)
_LUWithInfoResult = namedtuple("lu_with_info", ("LU", "pivots", "info"), module=_module)


# ---- checks -----------------------------------------------------------------------------------


def _shp(t: Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def _no_trace(op: str) -> None:
    """Raises when called inside an ember.jit trace: ``op`` reads values through numpy."""
    if _C._jit_is_tracing():
        raise RuntimeError(
            f"{op}: cannot be traced by ember.jit: it computes with LAPACK (numpy.linalg) on "
            "the tensor's values, which a trace would bake in as constants; call it outside "
            "the traced function"
        )


def _check_tensor(x: Any, op: str, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    if x.is_cuda:
        raise NotImplementedError(f"{op}: only CPU tensors are supported, {name} is on "
                                  f"{x.device}")


def _check_float(x: Any, op: str, name: str) -> None:
    _check_tensor(x, op, name)
    if x.dtype not in _FLOATS:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {x.dtype.name}")


def _check_matrix(x: Any, op: str, name: str = "A", square: bool = False) -> None:
    """A float tensor of at least 2 dims, square when ``square``."""
    _check_float(x, op, name)
    if x.dim() < 2:
        raise ValueError(f"{op}: {name} must have at least 2 dims (a matrix or a batch of "
                         f"matrices), got shape {_shp(x)}")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{op}: {name} must be a square matrix or a batch of square matrices, "
                         f"got shape {_shp(x)} ({x.shape[-2]} by {x.shape[-1]} matrices)")


def _same_dtype(a: Tensor, b: Tensor, op: str, na: str, nb: str) -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: {na} and {nb} must have the same dtype, got {a.dtype.name} and "
                        f"{b.dtype.name}")


def _batch_shape(a: Sequence[int], b: Sequence[int], op: str, na: str, nb: str) -> tuple:
    """The broadcast of two batch shapes, or a ValueError naming both."""
    try:
        return tuple(np.broadcast_shapes(tuple(a), tuple(b)))
    except ValueError:
        raise ValueError(f"{op}: the batch dims of {na} {tuple(a)} and {nb} {tuple(b)} do not "
                         "broadcast") from None


def _where_failed(info: np.ndarray) -> str:
    """``"(Batch element i): "`` for the first nonzero ``info`` of a batch, ``""`` unbatched."""
    if info.ndim == 0:
        return ""
    return f"(Batch element {int(np.flatnonzero(info.reshape(-1))[0])}): "


def _first_info(info: np.ndarray) -> int:
    return int(info.reshape(-1)[np.flatnonzero(info.reshape(-1))[0]])


def _nonfinite(a: np.ndarray) -> np.ndarray:
    """``(*,)`` bool: which matrices of ``a`` ``(*, m, n)`` hold a NaN or an infinity."""
    return np.asarray(~np.isfinite(a).all((-2, -1)))


def _check_no_nan(a: np.ndarray, op: str) -> None:
    """PyTorch's SVD (MKL ``gesdd``) refuses a matrix holding a NaN: the same
    :class:`LinAlgError`, naming ``op`` and the first such batch element."""
    bad = np.asarray(np.isnan(a).any((-2, -1)))
    if bad.any():
        raise LinAlgError(f"{op}: {_where_failed(bad)}The algorithm failed to converge because "
                          "the input matrix contained non-finite values.")


def _np_svd(a: np.ndarray, op: str, compute_uv: bool = True,
            full_matrices: bool = False) -> Any:
    """``numpy.linalg.svd`` that never hands LAPACK a non-finite matrix (OpenBLAS's ``gesdd``
    can loop forever on one holding an infinity): a NaN raises :class:`LinAlgError` as
    PyTorch; a matrix with infinities (and no NaN) gets NaN singular values and vectors, as
    PyTorch's ``svdvals`` (its ``svd`` gives NaN or raises, depending on MKL's path). The other
    matrices of the batch are not affected."""
    _check_no_nan(a, op)
    bad = _nonfinite(a)
    if bad.any():
        a = np.where(bad[..., None, None], 0, a)
    try:
        res = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{op}: The algorithm failed to converge because the input matrix is "
                          "ill-conditioned or has too many repeated singular values.") from None
    if not bad.any():
        return res
    if not compute_uv:
        return np.where(bad[..., None], np.nan, res).astype(a.dtype)
    u, s, vh = res
    return (np.where(bad[..., None, None], np.nan, u).astype(a.dtype),
            np.where(bad[..., None], np.nan, s).astype(a.dtype),
            np.where(bad[..., None, None], np.nan, vh).astype(a.dtype))


def _np_eigh(a: np.ndarray, uplo: str, op: str, vectors: bool = True) -> Any:
    """``numpy.linalg.eigh`` (``eigvalsh`` without ``vectors``) of the triangle ``uplo``,
    its convergence failure raised as :class:`LinAlgError` naming ``op``. Non-finite values in
    the triangle give NaN results or that error, as PyTorch (the same LAPACK ``syevd``)."""
    try:
        with np.errstate(all="ignore"):
            if vectors:
                return np.linalg.eigh(a, UPLO=uplo)
            return np.linalg.eigvalsh(a, UPLO=uplo)
    except np.linalg.LinAlgError:
        tri = np.tril(a) if uplo == "L" else np.triu(a)
        bad = _nonfinite(tri)
        # numpy does not say which matrix failed: name it when only one can have.
        where = _where_failed(bad) if bad.ndim and int(bad.sum()) == 1 else ""
        raise LinAlgError(f"{op}: {where}The algorithm failed to converge because the input "
                          "matrix is ill-conditioned or has too many repeated eigenvalues."
                          ) from None


# ---- numpy <-> tensor -------------------------------------------------------------------------


def _np(x: Tensor) -> np.ndarray:
    """The values of ``x`` (a read-only view: never written to)."""
    return x.detach().numpy()


def _t(arr: Any, dtype: Any) -> Tensor:
    """A tensor of ember ``dtype`` from a numpy result (not a view of an input)."""
    np_dtype = _NP.get(dtype, None)
    if np_dtype is None:
        np_dtype = {_DT.int32: np.int32, _DT.int64: np.int64, _DT.bool: np.bool_}[dtype]
    return _C.from_numpy(np.asarray(arr, dtype=np_dtype, order="C"))


def _eye(n: int, dtype: Any) -> Tensor:
    r = _C._arange(0, n, 1, _DT.int64)
    return (r.unsqueeze(1) == r.unsqueeze(0)).to(dtype)


def _nz(g: Tensor | None) -> Tensor | None:
    """``g``, or None when it is absent or all zeros (an output the loss did not use)."""
    if g is None or not bool((g != 0).any().item()):
        return None
    return g


def _sum_to(g: Tensor | None, shape: Sequence[int]) -> Tensor | None:
    if g is None or _shp(g) == tuple(shape):
        return g
    return g.sum_to_size(tuple(shape))


def _unsq2(t: Tensor) -> Tensor:
    """``(*,)`` -> ``(*, 1, 1)``."""
    return t.unsqueeze(-1).unsqueeze(-1)


# ---- numpy kernels (vectorized over the batch) ------------------------------------------------


def _np_lu(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LU with partial pivoting of ``a`` ``(*, m, n)``, LAPACK ``getrf``'s algorithm: at column
    j, the row with the largest ``|a|`` (the first of ties) is swapped up; a zero pivot leaves
    the column unscaled and sets ``info``.

    Returns ``(lu, piv, info)``: L (unit, strictly below the diagonal) and U packed in one
    array; ``piv`` ``(*, k)`` the 0-based row swapped with row j; ``info`` ``(*,)`` int32, the
    1-based index of the first zero pivot or 0.
    """
    *batch, m, n = a.shape
    k = min(m, n)
    nb = math.prod(batch)
    x = np.array(a, copy=True).reshape(nb, m, n)
    piv = np.zeros((nb, k), dtype=np.int64)
    info = np.zeros(nb, dtype=np.int32)
    bi = np.arange(nb)
    with np.errstate(all="ignore"):
        # Blocked right-looking form (LAPACK getrf's): each panel of _LU_BLOCK columns is
        # factored column by column, then the rows right of it are solved and the trailing
        # matrix updated by one matrix product.
        for j0 in range(0, k, _LU_BLOCK):
            j1 = min(j0 + _LU_BLOCK, k)
            for j in range(j0, j1):
                p = j + np.argmax(np.abs(x[:, j:, j]), axis=1)
                piv[:, j] = p
                if (p != j).any():
                    row = x[bi, j, :].copy()
                    x[bi, j, :] = x[bi, p, :]
                    x[bi, p, :] = row
                d = x[:, j, j]
                zero = d == 0
                info[(info == 0) & zero] = j + 1
                if j + 1 < m:
                    x[:, j + 1:, j] /= np.where(zero, 1, d)[:, None]
                    if j + 1 < j1:
                        x[:, j + 1:, j + 1:j1] -= x[:, j + 1:, j:j + 1] * x[:, j:j + 1, j + 1:j1]
            if j1 < n:
                x[:, j0:j1, j1:] = _np_trsolve(x[:, j0:j1, j0:j1], x[:, j0:j1, j1:], upper=False,
                                               unit=True)
                if j1 < m:
                    x[:, j1:, j1:] -= x[:, j1:, j0:j1] @ x[:, j0:j1, j1:]
    return x.reshape(a.shape), piv.reshape(*batch, k), info.reshape(batch)


def _np_perm(piv: np.ndarray, m: int) -> np.ndarray:
    """The row order ``perm`` ``(*, m)`` of the swaps ``piv`` (0-based): ``P^T A = A[perm]``."""
    *batch, k = piv.shape
    nb = math.prod(batch)
    perm = np.broadcast_to(np.arange(m), (*batch, m)).reshape(nb, m).copy()
    pf = piv.reshape(nb, k)
    bi = np.arange(perm.shape[0])
    for j in range(k):
        p = pf[:, j]
        row = perm[bi, j].copy()
        perm[bi, j] = perm[bi, p]
        perm[bi, p] = row
    return perm.reshape(*batch, m)


def _np_trsolve(t: np.ndarray, b: np.ndarray, upper: bool, unit: bool) -> np.ndarray:
    """``T^{-1} b`` for the triangle of ``t`` (``(*, n, n)``, unit diagonal if ``unit``) and
    ``b`` ``(*, n, k)``, batch dims broadcast. LAPACK when the diagonal has no zero; else
    substitution, which divides by the zeros (inf/NaN, as LAPACK's trsm)."""
    n = t.shape[-1]
    tt = np.triu(t) if upper else np.tril(t)
    idx = np.arange(n)
    if unit:
        tt[..., idx, idx] = 1
    batch = np.broadcast_shapes(tt.shape[:-2], b.shape[:-2])
    if n == 0:
        return np.zeros((*batch, 0, b.shape[-1]), dtype=b.dtype)
    if np.all(tt[..., idx, idx] != 0):
        try:
            return np.linalg.solve(tt, b)
        except np.linalg.LinAlgError:
            pass
    tt = np.broadcast_to(tt, (*batch, n, n))
    bb = np.broadcast_to(b, (*batch, n, b.shape[-1]))
    x = np.zeros(bb.shape, dtype=b.dtype)
    with np.errstate(all="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            if upper:
                acc = tt[..., i:i + 1, i + 1:] @ x[..., i + 1:, :]
            else:
                acc = tt[..., i:i + 1, :i] @ x[..., :i, :]
            x[..., i, :] = (bb[..., i, :] - acc[..., 0, :]) / tt[..., i, i][..., None]
    return x


def _np_lu_solve(lu: np.ndarray, piv: np.ndarray, b: np.ndarray,
                 adjoint: bool = False) -> np.ndarray:
    """``A^{-1} b`` (``A^{-T} b`` with ``adjoint``) from ``A``'s packed LU and 0-based ``piv``;
    batch dims broadcast."""
    n = lu.shape[-1]
    batch = np.broadcast_shapes(lu.shape[:-2], b.shape[:-2])
    perm = np.broadcast_to(_np_perm(piv, n), (*batch, n))
    if adjoint:  # A^T = U^T L^T P^T, so x = P L^{-T} U^{-T} b
        lut = np.swapaxes(lu, -1, -2)
        z = _np_trsolve(lut, b, upper=False, unit=False)
        w = _np_trsolve(lut, z, upper=True, unit=True)
        w = np.broadcast_to(w, (*batch, *w.shape[-2:]))
        return np.take_along_axis(w, np.argsort(perm, axis=-1)[..., None], -2)
    bb = np.take_along_axis(np.broadcast_to(b, (*batch, *b.shape[-2:])), perm[..., None], -2)
    y = _np_trsolve(lu, bb, upper=False, unit=True)
    return _np_trsolve(lu, y, upper=True, unit=False)


def _np_solve(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a^{-1} b`` (b ``(*, n, k)``) and the LU ``info`` of ``a``; singular matrices give
    inf/NaN instead of raising."""
    try:
        return np.linalg.solve(a, b), np.zeros(a.shape[:-2], dtype=np.int32)
    except np.linalg.LinAlgError:
        lu, piv, info = _np_lu(a)
        return _np_lu_solve(lu, piv, b), info


def _np_inv(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a^{-1}`` and the LU ``info`` of ``a``; singular matrices give inf/NaN."""
    try:
        return np.linalg.inv(a), np.zeros(a.shape[:-2], dtype=np.int32)
    except np.linalg.LinAlgError:
        lu, piv, info = _np_lu(a)
        eye = np.eye(a.shape[-1], dtype=a.dtype)
        return _np_lu_solve(lu, piv, np.broadcast_to(eye, a.shape)), info


def _np_cholesky(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower Cholesky factor of ``a`` (its lower triangle read) and LAPACK ``potrf``'s
    ``info``: the order of the first leading minor that is not positive-definite, or 0.
    Failed matrices hold the partial factorization (with the failing pivot)."""
    try:
        return np.linalg.cholesky(a), np.zeros(a.shape[:-2], dtype=np.int32)
    except np.linalg.LinAlgError:
        pass
    *batch, n, _ = a.shape
    nb = math.prod(batch)
    x = np.tril(a).reshape(nb, n, n).copy()
    info = np.zeros(x.shape[0], dtype=np.int32)
    with np.errstate(all="ignore"):
        for j in range(n):
            d = x[:, j, j]
            info[(info == 0) & ~(d > 0)] = j + 1
            act = info == 0
            s = np.sqrt(np.where(act, d, 1))
            x[:, j, j] = np.where(act, s, d)
            col = np.where(act[:, None], x[:, j + 1:, j] / s[:, None], x[:, j + 1:, j])
            x[:, j + 1:, j] = col
            upd = np.where(act[:, None], col, 0)
            x[:, j + 1:, j + 1:] -= upd[:, :, None] * upd[:, None, :]
    x = np.tril(x)
    ok = info == 0
    if ok.any():
        x[ok] = np.linalg.cholesky(a.reshape(nb, n, n)[ok])
    return x.reshape(a.shape), info.reshape(batch)


# ---- differentiable kernels -------------------------------------------------------------------


class _Inv(Function):
    """``(A^{-1}, info)``; backward ``-A^{-T} G A^{-T}``."""

    @staticmethod
    def forward(ctx, A, check, op):
        """Inverts each matrix of A (*, n, n) through LAPACK; returns (A^{-1}, info)."""
        x, info = _np_inv(_np(A))
        if check and info.any():
            raise LinAlgError(
                f"{op}: {_where_failed(info)}The diagonal element {_first_info(info)} is zero, "
                "the inversion could not be completed because the input matrix is singular."
            )
        X = _t(x, A.dtype)
        inf = _t(info, _DT.int32)
        ctx.mark_non_differentiable(inf)
        ctx.save_for_backward(A, X)
        return X, inf

    @staticmethod
    def backward(ctx, g):
        """dA = -A^{-T} G A^{-T}."""
        A, X = ctx.saved_tensors
        if _C.is_grad_enabled():
            X = _inv_nothrow(A)
        Xt = X.mT
        return -(Xt @ g @ Xt), None, None


def _inv_nothrow(A: Tensor) -> Tensor:
    """Differentiable ``A^{-1}``; inf/NaN for singular matrices instead of an error."""
    return _Inv.apply(A, False, "linalg.inv")[0]


class _Det(Function):
    """``det(A)``; backward ``G det(A) A^{-T}``, or the cofactor matrix from the SVD for
    (nearly) singular matrices."""

    @staticmethod
    def forward(ctx, A):
        """det of each matrix of A (*, n, n) through LAPACK; saves what the backward reads."""
        with np.errstate(all="ignore"):
            D = _t(np.linalg.det(_np(A)), A.dtype)
        ctx.save_for_backward(A, D)
        return D

    @staticmethod
    def backward(ctx, g):
        """The gradient of A (the formula in the class docstring)."""
        A, D = ctx.saved_tensors
        if _C.is_grad_enabled():
            D = _Det.apply(A)
        return _det_grad(A, D) * _unsq2(g)


def _det_grad(A: Tensor, D: Tensor) -> Tensor:
    """The gradient of ``det`` at ``A``: the cofactor matrix ``det(A) A^{-T}``. Where
    ``s_min < sqrt(eps) s_max`` (inverting would lose the digits), ``sign U diag(prod_{j != i}
    s_j) V^T`` from ``A = U diag(s) V^T``, which is exact for singular matrices too. Matrices
    holding a NaN or an infinity get NaN (as PyTorch) and are never handed to the SVD."""
    n = A.shape[-1]
    if n == 0:
        return _C._zeros(list(A.shape), A.dtype)
    a = _np(A)
    bad = _nonfinite(a)
    eye_np = np.eye(n, dtype=a.dtype)
    s = np.linalg.svd(np.where(bad[..., None, None], eye_np, a), compute_uv=False)
    near = (s[..., -1] <= s[..., 0] * math.sqrt(np.finfo(a.dtype).eps)) & ~bad
    if not near.any() and not bad.any():
        return _unsq2(D) * _inv_nothrow(A).mT
    eye = _eye(n, A.dtype)
    grad = None
    if near.any():
        m = _unsq2(_t(near, _DT.bool))
        U, S, Vh = _Svd.apply(_C.where(m, A, eye), False, "linalg.det")
        sign = _t(np.linalg.det(_np(U)) * np.linalg.det(_np(Vh)), A.dtype)
        others = _C.where(_eye(n, _DT.bool), _C._full([], 1, A.dtype),
                          S.unsqueeze(-2).expand(*S.shape[:-1], n, n))
        grad = _unsq2(sign) * ((U * others.prod(-1).unsqueeze(-2)) @ Vh)
    if not near.all():
        plain = ~near & ~bad
        p = _unsq2(_t(plain, _DT.bool))
        inv_part = _unsq2(D) * _inv_nothrow(_C.where(p, A, eye)).mT
        grad = inv_part if grad is None else _C.where(m, grad, inv_part)
    if bad.any():
        grad = _C.where(_unsq2(_t(bad, _DT.bool)), _C._full([], math.nan, A.dtype), grad)
    return grad


class _Slogdet(Function):
    """``(sign, log|det A|)``; backward of ``logabsdet`` is ``G A^{-T}``."""

    @staticmethod
    def forward(ctx, A):
        """(sign, log|det A|) of each matrix through LAPACK; saves what the backward reads."""
        sign, logabs = np.linalg.slogdet(_np(A))
        S, L = _t(sign, A.dtype), _t(logabs, A.dtype)
        ctx.mark_non_differentiable(S)
        ctx.save_for_backward(A)
        return S, L

    @staticmethod
    def backward(ctx, g):
        """dA = G A^{-T} for the gradient of logabsdet (sign has none)."""
        (A,) = ctx.saved_tensors
        return _unsq2(g) * _inv_nothrow(A).mT


class _Solve(Function):
    """``(A^{-1} B, info)`` (``A^{-T} B`` with ``adjoint``) for ``B`` ``(*, n, k)``, batch dims
    broadcast. Backward: ``gB = A^{-T} G`` (``A^{-1} G``), ``gA = -gB X^T`` (``-X gB^T``), each
    summed to its input's shape.

    When a gradient is needed (and for ``adjoint``) the LU of ``A`` is computed here and kept,
    and the backward solves the adjoint system with those same factors, as PyTorch: a fresh LU
    of ``A^T`` can meet an exactly zero pivot where ``A``'s has a tiny one, and give NaN for a
    numerically singular ``A`` where PyTorch's gradient is finite."""

    @staticmethod
    def forward(ctx, A, B, check, op, adjoint=False):
        """Solves A X = B (A^T X = B with adjoint); returns (X, info) and saves what the backward reads."""
        a, b = _np(A), _np(B)
        ctx.lu = None
        if adjoint or any(ctx.needs_input_grad):
            lu, piv, info = _np_lu(a)
            with np.errstate(all="ignore"):
                x = _np_lu_solve(lu, piv, b, adjoint)
            ctx.lu = (lu, piv)
        else:
            x, info = _np_solve(a, b)
        if check and info.any():
            raise LinAlgError(f"{op}: {_where_failed(info)}The solver failed because the input "
                              "matrix is singular.")
        X = _t(x, A.dtype)
        inf = _t(info, _DT.int32)
        ctx.mark_non_differentiable(inf)
        ctx.save_for_backward(A, B, X)
        ctx.op, ctx.adjoint = op, adjoint
        return X, inf

    @staticmethod
    def backward(ctx, g):
        """dB = A^{-T} G (A's own LU factors) and dA = -dB X^T, summed over broadcast batch dims."""
        A, B, X = ctx.saved_tensors
        adjoint = ctx.adjoint
        if _C.is_grad_enabled():  # differentiable: recompute through _Solve (the same LU of A)
            X = _Solve.apply(A, B, False, ctx.op, adjoint)[0]
            gB = _Solve.apply(A, g, False, ctx.op, not adjoint)[0]
        else:
            lu, piv = ctx.lu
            with np.errstate(all="ignore"):
                gB = _t(_np_lu_solve(lu, piv, _np(g), not adjoint), A.dtype)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(X @ gB.mT) if adjoint else -(gB @ X.mT)
        return (_sum_to(gA, A.shape), _sum_to(gB, B.shape) if ctx.needs_input_grad[1] else None,
                None, None, None)


class _SolveTriangular(Function):
    """``A^{-1} B`` (``left``) or ``B A^{-1}`` for the triangle of ``A``. Backward:
    ``gB = A^{-T} G`` (or ``G A^{-T}``), ``gA = -gB X^T`` (or ``-X^T gB``) on the triangle."""

    @staticmethod
    def forward(ctx, A, B, upper, left, unit):
        """Solves with the upper or lower triangle of A (unit diagonal when unit), on the left or right."""
        a, b = _np(A), _np(B)
        if left:
            x = _np_trsolve(a, b, upper, unit)
        else:
            x = np.swapaxes(_np_trsolve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2),
                                        not upper, unit), -1, -2)
        X = _t(x, A.dtype)
        ctx.save_for_backward(A, B, X)
        ctx.flags = (upper, left, unit)
        return X

    @staticmethod
    def backward(ctx, g):
        """The gradients of A (its triangle) and B (the formulas in the class docstring)."""
        A, B, X = ctx.saved_tensors
        upper, left, unit = ctx.flags
        if _C.is_grad_enabled():
            X = _SolveTriangular.apply(A, B, upper, left, unit)
        gB = _SolveTriangular.apply(A.mT, g, not upper, left, unit)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(gB @ X.mT) if left else -(X.mT @ gB)
            gA = gA.triu(1 if unit else 0) if upper else gA.tril(-1 if unit else 0)
        return (_sum_to(gA, A.shape), _sum_to(gB, B.shape) if ctx.needs_input_grad[1] else None,
                None, None, None)


def _trsolve(A: Tensor, B: Tensor, upper: bool, left: bool = True, unit: bool = False) -> Tensor:
    return _SolveTriangular.apply(A, B, upper, left, unit)


class _Cholesky(Function):
    """``(L, info)``, ``A = L L^T`` from the lower triangle. Backward (Murray 2016):
    ``gA = L^{-T} Phi(L^T gL) L^{-1}``, ``Phi`` the lower triangle with a halved diagonal,
    symmetrized."""

    @staticmethod
    def forward(ctx, A, check, op):
        """L with A = L L^T from A's lower triangle; returns (L, info) and saves L."""
        low, info = _np_cholesky(_np(A))
        if check and info.any():
            raise LinAlgError(
                f"{op}: {_where_failed(info)}The factorization could not be completed because "
                f"the input is not positive-definite (the leading minor of order "
                f"{_first_info(info)} is not positive-definite)."
            )
        L = _t(low, A.dtype)
        inf = _t(info, _DT.int32)
        ctx.mark_non_differentiable(inf)
        ctx.save_for_backward(A, L)
        return L, inf

    @staticmethod
    def backward(ctx, gL):
        """The gradient of A from that of L (Murray 2016, the formula in the class docstring)."""
        A, L = ctx.saved_tensors
        if _C.is_grad_enabled():
            L = _Cholesky.apply(A, False, "linalg.cholesky")[0]
        P = (L.mT @ gL).tril()
        P = (P + P.tril(-1).mT) * 0.5
        gA = _trsolve(L.mT, P, upper=True)
        return _trsolve(L, gA, upper=False, left=False), None, None


class _QR(Function):
    """``(Q, R)`` (``Q`` empty for ``mode='r'``). Backward for ``m >= n`` (Walter & Lehmann
    2018): ``gA = (gQ + Q copyltu(M)) R^{-T}``, ``M = R gR^T - gQ^T Q``; for ``m < n`` the
    square formula on the first ``m`` columns with ``gQ + Y gV^T``, and ``Q gV`` for the rest
    (``A = [X | Y]``, ``R = [U | V]``)."""

    @staticmethod
    def forward(ctx, A, mode):
        """(Q, R) of A (*, m, n) in the given mode through LAPACK; saves what the backward reads."""
        a = _np(A)
        if mode == "r":
            Q = _C._zeros([0], A.dtype)
            R = _t(np.linalg.qr(a, mode="r"), A.dtype)
        else:
            q, r = np.linalg.qr(a, mode=mode)
            Q, R = _t(q, A.dtype), _t(r, A.dtype)
        ctx.save_for_backward(A, Q, R)
        ctx.mode = mode
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        """The gradient of A from those of Q and R (the formula in the class docstring)."""
        A, Q, R = ctx.saved_tensors
        m, n = A.shape[-2], A.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError(
                "linalg.qr: the derivative of linalg.qr depends on Q, which is not computed "
                "when mode='r'. Use linalg.qr(A, mode='reduced') to differentiate through it."
            )
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the QR decomposition is not differentiable when "
                               f"mode='complete' and nrows > ncols (A is {m} by {n})")
        if _C.is_grad_enabled():
            Q, R = _QR.apply(A, ctx.mode)
        gQ, gR = _nz(gQ), _nz(gR)
        if gR is not None:
            gR = gR.triu()
        if m >= n:
            return _qr_backward_square(Q, R, gQ, gR), None
        Y = A.narrow(-1, m, n - m)
        gV = gR.narrow(-1, m, n - m) if gR is not None else None
        gQ2 = gQ
        if gV is not None:
            gQ2 = Y @ gV.mT if gQ is None else gQ + Y @ gV.mT
        gX = _qr_backward_square(Q, R.narrow(-1, 0, m), gQ2,
                                 gR.narrow(-1, 0, m) if gR is not None else None)
        gY = Q @ gV if gV is not None else _C._zeros(list(Y.shape), A.dtype)
        return _C.cat([gX, gY], -1), None


def _qr_backward_square(Q: Tensor, R: Tensor, gQ: Tensor | None, gR: Tensor | None) -> Tensor:
    """``(gQ + Q copyltu(M)) R^{-T}`` with ``M = R gR^T - gQ^T Q`` (``R`` square)."""
    if gQ is None and gR is None:
        return _C._zeros([*Q.shape[:-1], R.shape[-1]], Q.dtype)
    M = None
    if gR is not None:
        M = R @ gR.mT
    if gQ is not None:
        M = -(gQ.mT @ Q) if M is None else M - gQ.mT @ Q
    M = M.tril() + M.tril(-1).mT
    b = Q @ M if gQ is None else gQ + Q @ M
    return _trsolve(R.mT, b, upper=False, left=False)


class _Eigh(Function):
    """``(L, V)`` of a symmetric matrix (triangle ``uplo`` read). Backward (Giles 2008),
    symmetrized: ``gA = V (diag(gL) + F o (V^T gV - gV^T V) / 2) V^T``, ``F_ij = 1 / (L_j -
    L_i)`` (inf/NaN for repeated eigenvalues)."""

    @staticmethod
    def forward(ctx, A, uplo, op):
        """Eigenvalues (ascending) and eigenvectors of the symmetric matrices (triangle uplo read)."""
        w, v = _np_eigh(_np(A), uplo, op)
        L, V = _t(w, A.dtype), _t(v, A.dtype)
        ctx.save_for_backward(A, L, V)
        ctx.uplo, ctx.op = uplo, op
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        """The gradient of A from those of the eigenvalues and vectors (Giles 2008, see the class)."""
        A, L, V = ctx.saved_tensors
        if _C.is_grad_enabled():
            L, V = _Eigh.apply(A, ctx.uplo, ctx.op)
        return _eigh_backward(_nz(gL), _nz(gV), L, V), None, None


def _eigh_backward(gL: Tensor | None, gV: Tensor | None, L: Tensor, V: Tensor) -> Tensor:
    n = L.shape[-1]
    if gV is None:
        if gL is None:
            return _C._zeros([*L.shape, n], L.dtype)
        return (V * gL.unsqueeze(-2)) @ V.mT
    X = V.mT @ gV
    eye = _eye(n, _DT.bool)
    E = _C.where(eye, _C._full([], 1, L.dtype), L.unsqueeze(-2) - L.unsqueeze(-1))
    inner = (X - X.mT) * 0.5 / E
    if gL is not None:
        inner = _C.where(eye, diag_embed(gL), inner)
    return V @ inner @ V.mT


class _Eigvalsh(Function):
    """Eigenvalues of a symmetric matrix; backward ``V diag(G) V^T``."""

    @staticmethod
    def forward(ctx, A, uplo, op):
        """Eigenvalues of the symmetric matrices; saves what the backward reads."""
        ctx.save_for_backward(A)
        ctx.uplo, ctx.op = uplo, op
        return _t(_np_eigh(_np(A), uplo, op, vectors=False), A.dtype)

    @staticmethod
    def backward(ctx, g):
        """dA = V diag(G) V^T."""
        (A,) = ctx.saved_tensors
        _, V = _Eigh.apply(A, ctx.uplo, ctx.op)
        return (V * g.unsqueeze(-2)) @ V.mT, None, None


class _Svd(Function):
    """``(U, S, Vh)``. Backward (Townsend 2016; Ionescu et al. 2015) with ``E_ij = s_j^2 -
    s_i^2``: ``gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T`` plus the
    ``(I - U U^T) gU S^{-1} V^T`` (tall) or ``U S^{-1} gV^T (I - V V^T)`` (wide) terms; with
    ``full_matrices`` the extra columns of U/V get no gradient (as PyTorch)."""

    @staticmethod
    def forward(ctx, A, full, op):
        """(U, S, Vh) of A (*, m, n) through LAPACK (full or reduced); saves what the backward reads."""
        u, s, vh = _np_svd(_np(A), op, full_matrices=full)
        U, S, Vh = _t(u, A.dtype), _t(s, A.dtype), _t(vh, A.dtype)
        ctx.save_for_backward(A, U, S, Vh)
        ctx.full, ctx.op = full, op
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        """The gradient of A from those of U, S and Vh (Townsend 2016; see the class docstring)."""
        A, U, S, Vh = ctx.saved_tensors
        if _C.is_grad_enabled():
            U, S, Vh = _Svd.apply(A, ctx.full, ctx.op)
        k = S.shape[-1]
        if ctx.full:
            U, gU = U.narrow(-1, 0, k), gU.narrow(-1, 0, k)
            Vh, gVh = Vh.narrow(-2, 0, k), gVh.narrow(-2, 0, k)
        return _svd_backward(_nz(gU), _nz(gS), _nz(gVh), U, S, Vh), None, None


def _svd_backward(gU: Tensor | None, gS: Tensor | None, gVh: Tensor | None, U: Tensor,
                  S: Tensor, Vh: Tensor) -> Tensor:
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return _C._zeros([*U.shape[:-1], n], U.dtype)
        return (U * gS.unsqueeze(-2)) @ Vh
    k = S.shape[-1]
    eye = _eye(k, _DT.bool)
    S2 = S * S
    E = _C.where(eye, _C._full([], 1, S.dtype), S2.unsqueeze(-2) - S2.unsqueeze(-1))
    if gU is not None:
        UgU = U.mT @ gU
        UgU = UgU - UgU.mT
    if gVh is not None:
        VgV = Vh @ gVh.mT
        VgV = VgV - VgV.mT
    if gU is not None and gVh is not None:
        inner = (UgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VgV) / E
    elif gU is not None:
        inner = UgU * (S.unsqueeze(-2) / E)
    else:
        inner = S.unsqueeze(-1) * (VgV / E)
    if gS is not None:
        inner = inner + diag_embed(gS)
    if m > n and gU is not None:
        gA = U @ inner
        gUS = gU / S.unsqueeze(-2)
        gA = (gA + gUS - U @ (U.mT @ gUS)) @ Vh
    elif m < n and gVh is not None:
        gA = inner @ Vh
        SgVh = gVh / S.unsqueeze(-1)
        gA = U @ (gA + SgVh - (SgVh @ Vh.mT) @ Vh)
    else:
        gA = U @ inner @ Vh
    return gA


class _Svdvals(Function):
    """Singular values, descending; backward ``U diag(G) V^T``."""

    @staticmethod
    def forward(ctx, A, op):
        """Singular values (descending) of A; saves what the backward reads."""
        ctx.save_for_backward(A)
        ctx.op = op
        return _t(_np_svd(_np(A), op, compute_uv=False), A.dtype)

    @staticmethod
    def backward(ctx, g):
        """dA = U diag(G) Vh."""
        (A,) = ctx.saved_tensors
        U, _, Vh = _Svd.apply(A, False, ctx.op)
        return (U * g.unsqueeze(-2)) @ Vh, None


def _tols(atol: Any, rtol: Any, m: int, n: int, dtype: Any, op: str) -> tuple[Any, Any]:
    """PyTorch's defaults: ``rtol = eps * max(m, n)``, or 0 where a given ``atol`` is > 0;
    ``atol = 0``. Tensors become numpy arrays (broadcast against the batch)."""

    def val(x: Any, name: str) -> Any:
        """A tolerance as None, a float or a float64 array; TypeError for anything else."""
        if x is None:
            return None
        if isinstance(x, Tensor):
            return np.asarray(_np(x), dtype=np.float64)
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return float(x)
        raise TypeError(f"{op}: {name} must be a float or a Tensor, got {type(x).__name__}")

    a, r = val(atol, "atol"), val(rtol, "rtol")
    if r is None:
        default = float(np.finfo(_NP[dtype]).eps) * max(m, n)
        r = default if a is None else np.where(np.asarray(a) > 0, 0.0, default)
    return (0.0 if a is None else a), r


def _np_pinv(a: np.ndarray, atol: Any, rtol: Any, hermitian: bool, op: str) -> np.ndarray:
    """Pseudo-inverse: singular values (or |eigenvalues|) ``<= max(atol, rtol * max)`` count
    as zero."""
    m, n = a.shape[-2], a.shape[-1]
    if min(m, n) == 0:
        return np.zeros((*a.shape[:-2], n, m), dtype=a.dtype)
    with np.errstate(all="ignore"):
        if hermitian:
            w, v = _np_eigh(a, "L", op)
            tol = np.maximum(atol, rtol * np.abs(w).max(-1))
            winv = np.where(np.abs(w) > np.asarray(tol)[..., None], 1 / w, 0).astype(a.dtype)
            return (v * winv[..., None, :]) @ np.swapaxes(v, -1, -2)
        u, s, vh = _np_svd(a, op, full_matrices=False)
        tol = np.maximum(atol, rtol * s[..., 0])
        sinv = np.where(s > np.asarray(tol)[..., None], 1 / s, 0).astype(a.dtype)
        return (np.swapaxes(vh, -1, -2) * sinv[..., None, :]) @ np.swapaxes(u, -1, -2)


class _Pinv(Function):
    """Moore-Penrose pseudo-inverse ``X``. Backward (Golub & Pereyra 1973, as PyTorch's
    ``pinv_backward``): ``gA = -X^T G X^T + (I - A X)^T G^T X X^T + X^T X G^T (I - X A)^T``,
    grouped for the smaller of ``m``, ``n``."""

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian, op):
        """The pseudo-inverse X of A with the given tolerances; saves what the backward reads."""
        X = _t(_np_pinv(_np(A), atol, rtol, hermitian, op), A.dtype)
        ctx.save_for_backward(A, X)
        ctx.args = (atol, rtol, hermitian, op)
        return X

    @staticmethod
    def backward(ctx, g):
        """The gradient of A by the pseudo-inverse's derivative (Golub & Pereyra 1973)."""
        A, X = ctx.saved_tensors
        if _C.is_grad_enabled():
            X = _Pinv.apply(A, *ctx.args)
        m, n = A.shape[-2], A.shape[-1]
        Xt, gt = X.mT, g.mT
        if m <= n:
            K = gt @ X
            KXt = K @ Xt
            gA = -(X @ K).mT + KXt - (A @ X) @ KXt + (Xt @ X) @ (gt - K @ A)
        else:
            K = X @ gt
            XtK = Xt @ K
            gA = -(K @ X).mT + ((gt - A @ K) @ X) @ Xt + XtK - (XtK @ X) @ A
        return gA, None, None, None, None


class _LU(Function):
    """``(L, U, pivots, info)`` with ``A = P L U``; ``P`` from the pivots. Backward (derived
    from ``dA = P (dL U + L dU)``, as PyTorch's ``linalg_lu_backward``), with ``k = min(m, n)``:
    square ``gA = P L^{-T} [tril_{-1}(L^T gL) + triu(gU U^T)] U^{-T}``; tall and wide matrices
    add the rows ``L2`` / columns ``U2`` beyond ``k``."""

    @staticmethod
    def forward(ctx, A):
        """(L, U, pivots, info) with A = P L U by partial pivoting; saves what the backward reads."""
        a = _np(A)
        m, n = a.shape[-2], a.shape[-1]
        k = min(m, n)
        lu, piv, info = _np_lu(a)
        low = np.tril(lu[..., :, :k], -1)
        low[..., np.arange(k), np.arange(k)] = 1
        up = np.triu(lu[..., :k, :])
        L, U = _t(low, A.dtype), _t(up, A.dtype)
        P = _t(piv + 1, _DT.int32)
        I = _t(info, _DT.int32)
        ctx.mark_non_differentiable(P, I)
        ctx.save_for_backward(A, L, U)
        ctx.invperm = np.argsort(_np_perm(piv, m), axis=-1)
        return L, U, P, I

    @staticmethod
    def backward(ctx, gL, gU):
        """The gradient of A from those of L and U (the formula in the class docstring)."""
        A, L, U = ctx.saved_tensors
        if _C.is_grad_enabled():
            L, U = _LU.apply(A)[:2]
        m, n = A.shape[-2], A.shape[-1]
        k = min(m, n)
        gL, gU = gL.tril(-1), gU.triu()
        if m == n:
            M = (L.mT @ gL).tril(-1) + (gU @ U.mT).triu()
            gA = _trsolve(L.mT, _trsolve(U.mT, M, upper=False, left=False), upper=True,
                          unit=True)
        elif m > n:
            L1, L2 = L.narrow(-2, 0, k), L.narrow(-2, k, m - k)
            gL1, gL2 = gL.narrow(-2, 0, k), gL.narrow(-2, k, m - k)
            M = (gU @ U.mT - L2.mT @ gL2).triu() + (L1.mT @ gL1).tril(-1)
            gA = _C.cat([_trsolve(L1.mT, M, upper=True, unit=True), gL2], -2)
            gA = _trsolve(U.mT, gA, upper=False, left=False)
        else:
            U1, U2 = U.narrow(-1, 0, k), U.narrow(-1, k, n - k)
            gU1, gU2 = gU.narrow(-1, 0, k), gU.narrow(-1, k, n - k)
            M = (L.mT @ gL - gU2 @ U2.mT).tril(-1) + (gU1 @ U1.mT).triu()
            gA = _C.cat([_trsolve(U1.mT, M, upper=False, left=False), gU2], -1)
            gA = _trsolve(L.mT, gA, upper=True, unit=True)
        return _rows(gA, ctx.invperm)


def _rows(x: Tensor, order: np.ndarray) -> Tensor:
    """``x[..., order, :]`` with a per-batch row order ``(*, m)`` (a gather: exact)."""
    idx = _t(order, _DT.int64).unsqueeze(-1)
    batch = _batch_shape(x.shape[:-2], idx.shape[:-2], "linalg", "x", "order")
    x = x.expand(*batch, *x.shape[-2:]) if _shp(x)[:-2] != batch else x
    return x.gather(-2, idx.expand(*batch, x.shape[-2], x.shape[-1]))


class _CholeskySolve(Function):
    """``A^{-1} B`` with ``A = L L^T`` (``U^T U`` when ``upper``). Backward as PyTorch's:
    ``gB = A^{-1} G``, ``gL = -(gB X^T + X gB^T) L`` (``-U (gB X^T + X gB^T)``), not masked to
    the triangle."""

    @staticmethod
    def forward(ctx, B, L, upper):
        """Solves A X = B with A = L L^T (U^T U when upper); saves what the backward reads."""
        low = _np(L)
        low = np.swapaxes(np.triu(low), -1, -2) if upper else np.tril(low)
        y = _np_trsolve(low, _np(B), upper=False, unit=False)
        x = _np_trsolve(np.swapaxes(low, -1, -2), y, upper=True, unit=False)
        X = _t(x, B.dtype)
        ctx.save_for_backward(B, L, X)
        ctx.upper = upper
        return X

    @staticmethod
    def backward(ctx, g):
        """The gradients of B and of the factor (the formulas in the class docstring)."""
        B, L, X = ctx.saved_tensors
        if _C.is_grad_enabled():
            X = _CholeskySolve.apply(B, L, ctx.upper)
        gB = _CholeskySolve.apply(g, L, ctx.upper)
        gL = None
        if ctx.needs_input_grad[1]:
            c = gB @ X.mT
            c = c + c.mT
            gL = _sum_to(-(L @ c) if ctx.upper else -(c @ L), L.shape)
        return _sum_to(gB, B.shape) if ctx.needs_input_grad[0] else None, gL, None


# ---- norms ------------------------------------------------------------------------------------


def _ord_number(ord: Any, op: str) -> float:
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"{op}: ord must be a real number, got {ord!r}")
    return float(ord)


def _cast_dtype(x: Tensor, dtype: Any, op: str) -> Tensor:
    _check_float(x, op, "x" if op == "linalg.vector_norm" else "A")
    if dtype is None or dtype == x.dtype:
        return x
    if dtype not in _FLOATS or (x.dtype == _DT.float64 and dtype == _DT.float32):
        raise TypeError(f"{op}: the dtype of the input ({x.dtype.name}) must convert without "
                        f"narrowing to dtype ({getattr(dtype, 'name', dtype)})")
    return x.to(dtype)


def vector_norm(x: Tensor, ord: float = 2, dim: int | Sequence[int] | None = None,
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Vector ``ord``-norm of ``x`` over ``dim`` (all elements when None).

    ``ord``: ``inf`` -> ``max |x|``; ``-inf`` -> ``min |x|``; 0 -> number of nonzeros; other
    ``p`` -> ``(sum |x|^p)^(1/p)``. Gradients as PyTorch's: 0 at a zero norm (p > 0), split
    evenly among ties for ``+-inf``, zero for ``ord=0``. Made of ember ops (``ember.jit``
    traces it).

    Args:
        x: any shape, float32 or float64.
        ord: the order, a real number or ``+-inf``. Default 2.
        dim: a dim or dims to reduce; None (default) or ``()`` reduces all.
        keepdim: keep the reduced dims with size 1. Default False.
        dtype: if given (a floating dtype at least as wide), ``x`` is cast to it first.
    Returns:
        Tensor: the norms, ``x``'s shape without (or with size-1) ``dim``; dtype of ``x`` or
        ``dtype``.
    Raises:
        TypeError: integer ``x``, a non-number ``ord``, or a narrowing ``dtype``.
        IndexError: a dim out of range.
        ValueError: ``ord = +-inf`` over an empty dim (no identity).
    Reference:
        ``torch.linalg.vector_norm``.
    Example:
        >>> ember.linalg.vector_norm(ember.tensor([3.0, -4.0]))
        tensor(5.)
    """
    op = "linalg.vector_norm"
    x = _cast_dtype(x, dtype, op)
    p = _ord_number(ord, op)
    if dim is not None and not isinstance(dim, int) and len(dim) == 0:
        dim = None
    dims = list(range(x.dim())) if dim is None else _dims(dim, max(x.dim(), 1), op)
    if abs(p) == _INF and x.dim() > 0 and any(x.shape[d] == 0 for d in dims):
        raise ValueError(f"{op}: cannot compute the {ord} norm of shape {_shp(x)} over an "
                         "empty dim: the reduction has no identity")
    return _norm(x, p, dim, keepdim)


def _matrix_dims(A: Tensor, dim: Any, op: str) -> tuple[int, int]:
    if isinstance(dim, int) or len(dim) != 2:
        raise ValueError(f"{op}: dim must be a pair of dims, got {dim!r}")
    d = _dims(dim, A.dim(), op)
    return d[0], d[1]


def _unkeep(t: Tensor, d0: int, d1: int) -> Tensor:
    """``t`` with its (size-1) dims ``d0``, ``d1`` removed."""
    return t.reshape(*[s for i, s in enumerate(t.shape) if i not in (d0, d1)])


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Matrix norm of the matrices over dims ``dim`` of ``A``.

    ``ord``: ``'fro'`` (default) ``sqrt(sum a_ij^2)``; ``'nuc'`` sum of singular values;
    ``inf``/``-inf`` max/min absolute row sum; ``1``/``-1`` max/min absolute column sum;
    ``2``/``-2`` largest/smallest singular value. Gradients of max/min split evenly among ties
    (as PyTorch); ``'nuc'`` and ``+-2`` differentiate the SVD.

    Args:
        A: ``(*, m, n)`` (or matrices over ``dim``), float32 or float64.
        ord: the order. Default ``'fro'``.
        dim: the two dims holding the matrices. Default ``(-2, -1)``.
        keepdim: keep the reduced dims with size 1. Default False.
        dtype: if given, ``A`` is cast to it first.
    Returns:
        Tensor: the norms, shape ``*``; dtype of ``A`` or ``dtype``.
    Raises:
        TypeError: integer ``A`` or a narrowing ``dtype``.
        ValueError: fewer than 2 dims, a bad ``dim`` or an unsupported ``ord``; ``-1``,
            ``-inf`` or ``-2`` where the minimum is over an empty dim (PyTorch raises an
            ``IndexError`` there). Other empty cases give 0, as PyTorch.
        LinAlgError: ``'nuc'``/``+-2`` of a matrix holding a NaN (see :func:`svd`).
        RuntimeError: ``'nuc'``/``+-2`` inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.matrix_norm``; nuclear and spectral norms from the SVD.
    Example:
        >>> ember.linalg.matrix_norm(ember.tensor([[1.0, -2.0], [3.0, 4.0]]), 1)
        tensor(6.)
    """
    op = "linalg.matrix_norm"
    A = _cast_dtype(A, dtype, op)
    if A.dim() < 2:
        raise ValueError(f"{op}: A must have at least 2 dims, got shape {_shp(A)}")
    d0, d1 = _matrix_dims(A, dim, op)
    if isinstance(ord, str):
        if ord == "fro":
            return _norm(A, 2.0, [d0, d1], keepdim)
        if ord != "nuc":
            raise ValueError(f"{op}: ord {ord!r} is not supported; use 'fro', 'nuc', inf, -inf, "
                             "1, -1, 2 or -2")
    elif isinstance(ord, bool) or not isinstance(ord, (int, float)) or \
            float(ord) not in (_INF, -_INF, 1.0, -1.0, 2.0, -2.0):
        raise ValueError(f"{op}: ord {ord!r} is not supported; use 'fro', 'nuc', inf, -inf, "
                         "1, -1, 2 or -2")
    # Norms are >= 0, so a max over nothing is 0 (as PyTorch); a min over nothing raises.
    if ord == "nuc" or abs(float(ord)) == 2.0:
        if ord != "nuc" and float(ord) < 0 and min(A.shape[d0], A.shape[d1]) == 0:
            raise ValueError(f"{op}: cannot compute the {ord} norm of shape {_shp(A)}: an "
                             "empty matrix has no smallest singular value")
        _no_trace(op)
        s = _svdvals(movedim(A, (d0, d1), (-2, -1)), op)
        if ord == "nuc" or s.shape[-1] == 0:
            out = s.sum(-1)
        else:
            out = amax(s, -1) if float(ord) > 0 else amin(s, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    p = float(ord)
    sum_dim, red_dim = (d0, d1) if abs(p) == 1.0 else (d1, d0)
    s = A.abs().sum(sum_dim, keepdim=True)
    if A.shape[red_dim] == 0:
        if p < 0:
            raise ValueError(f"{op}: cannot compute the {ord} norm of shape {_shp(A)}: the min "
                             f"over an empty dim ({red_dim}) has no identity")
        out = s.sum(red_dim, keepdim=True)
    else:
        out = amax(s, red_dim, keepdim=True) if p > 0 else amin(s, red_dim, keepdim=True)
    return out if keepdim else _unkeep(out, d0, d1)


def norm(A: Tensor, ord: Any = None, dim: int | Sequence[int] | None = None,
         keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Vector or matrix norm, as ``torch.linalg.norm``.

    ``dim`` an int (or one dim) -> :func:`vector_norm`; two dims -> :func:`matrix_norm`. With
    ``dim=None``: ``ord=None`` flattens ``A`` (2-norm of all elements); otherwise ``A`` must be
    1-D (vector norm) or 2-D (matrix norm). A string ``ord`` means a matrix norm (``dim``
    defaults to ``(-2, -1)``).

    Args:
        A: float32 or float64 tensor.
        ord: the order (see :func:`vector_norm`, :func:`matrix_norm`). Default None
            (2 for vectors, ``'fro'`` for matrices).
        dim: None, an int, or one or two dims. Default None.
        keepdim: keep reduced dims with size 1. Default False.
        dtype: cast ``A`` to it first.
    Returns:
        Tensor: the norms.
    Raises:
        ValueError: ``ord`` given with ``dim=None`` on a tensor that is not 1-D or 2-D, or
            more than two dims.
        TypeError: integer ``A``.
    Example:
        >>> ember.linalg.norm(ember.tensor([[3.0, 0.0], [0.0, 4.0]]))
        tensor(5.)
    """
    op = "linalg.norm"
    _check_float(A, op, "A")
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        if len(dims) not in (1, 2):
            raise ValueError(f"{op}: dim must be an int or a sequence of 1 or 2 ints, got {dim!r}")
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1) if dim is None else tuple(dims), keepdim, dtype=dtype)
    if ord is None:
        if dim is not None and len(dims) == 2:
            return matrix_norm(A, "fro", tuple(dims), keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.dim() == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)
        if A.dim() == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        raise ValueError(f"{op}: if dim is not given but ord is, A must be 1-D or 2-D, got shape "
                         f"{_shp(A)}")
    if len(dims) == 1:
        return vector_norm(A, ord, dims, keepdim, dtype=dtype)
    return matrix_norm(A, ord, tuple(dims), keepdim, dtype=dtype)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """Condition number of ``A`` in the ``p`` norm: ``norm(A, p) * norm(A^{-1}, p)``.

    ``p=None`` or ``2``: ``s_max / s_min``; ``-2``: ``s_min / s_max`` (any ``m x n``).
    ``'nuc'``: ``sum(s) * sum(1 / s)``; ``'fro'``, ``inf``, ``-inf``, ``1``, ``-1``: from the
    inverse, singular matrices (and NaN results) giving ``inf``; all of these need square
    ``A``. Empty matrices give 0 (``'fro'``/``'nuc'`` still need them square). As PyTorch.

    Args:
        A: ``(*, m, n)``, float32 or float64 (square for the norms other than ``+-2``).
        p: the norm. Default None (2).
    Returns:
        Tensor: shape ``*``, dtype of ``A``.
    Raises:
        TypeError: integer ``A``. ValueError: bad shape or ``p``.
        LinAlgError: a NaN in ``A`` with ``p`` None, ``+-2`` or ``'nuc'`` (the SVD fails, as
            PyTorch's).
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.cond``.
    Example:
        >>> ember.linalg.cond(ember.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(4.)
    """
    op = "linalg.cond"
    _no_trace(op)
    two = p is None or (not isinstance(p, (str, bool)) and isinstance(p, (int, float))
                        and abs(float(p)) == 2.0)
    if isinstance(p, str):
        if p not in ("fro", "nuc"):
            raise ValueError(f"{op}: p {p!r} is not supported; use None, 'fro', 'nuc', inf, "
                             "-inf, 1, -1, 2 or -2")
    elif not two and (isinstance(p, bool) or not isinstance(p, (int, float))
                      or float(p) not in (_INF, -_INF, 1.0, -1.0)):
        raise ValueError(f"{op}: p {p!r} is not supported; use None, 'fro', 'nuc', inf, -inf, "
                         "1, -1, 2 or -2")
    # As PyTorch: 'fro'/'nuc' check squareness first; then an empty input gives zeros.
    _check_matrix(A, op, square=isinstance(p, str))
    if A.numel() == 0:
        return _C._zeros(list(A.shape[:-2]), A.dtype)
    if two:
        s = _svdvals(A, op)
        big, small = s.select(-1, 0), s.select(-1, s.shape[-1] - 1)
        return big / small if p is None or float(p) > 0 else small / big
    _check_matrix(A, op, square=True)
    if p == "nuc":  # PyTorch's formula: no inverse, so 0 * inf stays NaN
        s = _svdvals(A, op)
        return s.sum(-1) * s.reciprocal().sum(-1)
    Ainv, info = _Inv.apply(A, False, op)
    out = matrix_norm(A, p) * matrix_norm(Ainv, p)
    out = _C.where(info > 0, _C._full([], _INF, A.dtype), out)
    # NaN (0 * inf, or a NaN in A) becomes inf, as PyTorch's nan_to_num.
    return _C.where(out.isnan(), _C._full([], _INF, A.dtype), out)


# ---- determinants and inverses ----------------------------------------------------------------


def det(A: Tensor) -> Tensor:
    """Determinant of each square matrix.

    Computed from LAPACK's LU (``numpy.linalg.det``). Gradient: the cofactor matrix
    ``det(A) A^{-T}``; for (nearly) singular matrices, where the inverse is not usable, the
    same cofactor matrix from the SVD (``sign U diag(prod_{j != i} s_j) V^T``), so a singular
    matrix gets its true, finite gradient. A matrix holding a NaN or an infinity gets a NaN
    gradient (as PyTorch), without touching the others of the batch.

    Args:
        A: ``(*, n, n)``, float32 or float64.
    Returns:
        Tensor: shape ``*``, dtype of ``A``.
    Raises:
        TypeError: integer ``A``. ValueError: not square or fewer than 2 dims.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.det``; Jacobi's formula ``d det(A) = det(A) tr(A^{-1} dA)``.
    Example:
        >>> ember.linalg.det(ember.tensor([[2.0, 1.0], [1.0, 3.0]]))
        tensor(5.)
    """
    op = "linalg.det"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    return _Det.apply(A)


def slogdet(A: Tensor) -> Any:
    """Sign and log of the absolute value of the determinant: ``det = sign * exp(logabsdet)``.

    A singular matrix gives ``(0, -inf)``. ``sign`` has no gradient; the gradient of
    ``logabsdet`` is ``A^{-T}`` (inf/NaN for singular matrices, as PyTorch).

    Args:
        A: ``(*, n, n)``, float32 or float64.
    Returns:
        ``(sign, logabsdet)`` named tuple of tensors of shape ``*``, dtype of ``A``.
    Raises:
        TypeError: integer ``A``. ValueError: not square.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.slogdet``; ``d log|det A| = tr(A^{-1} dA)``.
    Example:
        >>> ember.linalg.slogdet(ember.tensor([[-2.0, 0.0], [0.0, 1.0]])).sign
        tensor(-1.)
    """
    op = "linalg.slogdet"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    return _SlogdetResult(*_Slogdet.apply(A))


def inv(A: Tensor) -> Tensor:
    """Inverse of each square matrix.

    LAPACK (``numpy.linalg.inv``). Gradient ``-A^{-T} G A^{-T}``.

    Args:
        A: ``(*, n, n)``, float32 or float64.
    Returns:
        Tensor: ``(*, n, n)``, dtype of ``A``.
    Raises:
        LinAlgError: a singular matrix (an exactly zero pivot of the LU), naming the batch
            element and the pivot, as PyTorch.
        TypeError: integer ``A``. ValueError: not square.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.inv``; ``d(A^{-1}) = -A^{-1} dA A^{-1}``.
    Example:
        >>> ember.linalg.inv(ember.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    op = "linalg.inv"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    return _Inv.apply(A, True, op)[0]


def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:
    """Inverse with an error code instead of an exception.

    Args:
        A: ``(*, n, n)``, float32 or float64.
        check_errors: raise :class:`LinAlgError` for singular matrices. Default False.
    Returns:
        ``(inverse, info)``: ``inverse`` as :func:`inv` (inf/NaN for singular matrices);
        ``info`` int32 shape ``*``, 0 or the 1-based index of the first zero pivot of the LU.
    Raises:
        LinAlgError: a singular matrix with ``check_errors=True``.
        TypeError, ValueError: as :func:`inv`. RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.inv_ex``.
    """
    op = "linalg.inv_ex"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    return _InvExResult(*_Inv.apply(A, bool(check_errors), op))


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse from the SVD (or ``eigh`` when ``hermitian``).

    Singular values ``<= max(atol, rtol * s_max)`` are treated as zero. Defaults as PyTorch:
    ``atol = 0``; ``rtol = eps * max(m, n)`` unless ``atol > 0`` is given (then 0).

    Args:
        A: ``(*, m, n)``, float32 or float64 (square and symmetric when ``hermitian``; only
            its lower triangle is read then).
        atol, rtol: absolute and relative tolerances, floats or tensors broadcastable to ``*``.
        hermitian: use the symmetric eigendecomposition. Default False.
    Returns:
        Tensor: ``(*, n, m)``, dtype of ``A``.
    Raises:
        TypeError: integer ``A``. ValueError: fewer than 2 dims; non-square with
            ``hermitian``. RuntimeError: inside an ``ember.jit`` trace.
        LinAlgError: a NaN in ``A`` (the SVD fails, as PyTorch's; infinities give NaN), or
            with ``hermitian`` the eigensolver not converging (see :func:`eigh`).
    Reference:
        ``torch.linalg.pinv``; gradient of Golub & Pereyra (1973), "The differentiation of
        pseudo-inverses", as PyTorch's ``pinv_backward``.
    Example:
        >>> ember.linalg.pinv(ember.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    op = "linalg.pinv"
    _check_matrix(A, op, square=hermitian)
    _no_trace(op)
    a, r = _tols(atol, rtol, A.shape[-2], A.shape[-1], A.dtype, op)
    return _Pinv.apply(A, a, r, bool(hermitian), op)


def matrix_rank(A: Tensor, *, atol: Any = None, rtol: Any = None,
                hermitian: bool = False) -> Tensor:
    """Numerical rank: the number of singular values (``|eigenvalues|`` when ``hermitian``)
    greater than ``max(atol, rtol * s_max)``; tolerances as :func:`pinv`.

    Args:
        A: ``(*, m, n)``, float32 or float64.
        atol, rtol: tolerances (floats or tensors broadcastable to ``*``).
        hermitian: ``A`` is symmetric (eigenvalues instead of the SVD). Default False.
    Returns:
        Tensor: int64, shape ``*``.
    Raises:
        TypeError: integer ``A``. ValueError: fewer than 2 dims.
        LinAlgError: as :func:`pinv` (a matrix with infinities has rank 0, as PyTorch).
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.matrix_rank``.
    Example:
        >>> ember.linalg.matrix_rank(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    op = "linalg.matrix_rank"
    _check_matrix(A, op, square=hermitian)
    _no_trace(op)
    m, n = A.shape[-2], A.shape[-1]
    if min(m, n) == 0:
        return _C._zeros(list(A.shape[:-2]), _DT.int64)
    at, rt = _tols(atol, rtol, m, n, A.dtype, op)
    a = _np(A)
    if hermitian:
        s = np.abs(_np_eigh(a, "L", op, vectors=False))
    else:
        s = _np_svd(a, op, compute_uv=False)
    tol = np.maximum(at, rt * s.max(-1))
    return _t((s > np.asarray(tol)[..., None]).sum(-1), _DT.int64)


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    return _C.matmul(a, b) if a.dtype in _FLOATS else _int_matmul(a, b)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A^n`` for an integer ``n``: repeated squaring; ``n = 0`` the identity; ``n < 0``
    powers of :func:`inv`.

    Args:
        A: ``(*, m, m)``; float32 or float64 (int32/int64 too for ``n >= 0``).
        n: the exponent.
    Returns:
        Tensor: ``(*, m, m)``, dtype of ``A``.
    Raises:
        TypeError: ``n`` not an int; integer ``A`` with ``n < 0``.
        ValueError: not square. LinAlgError: ``n < 0`` and a singular matrix.
        RuntimeError: ``n < 0`` inside an ``ember.jit`` trace (``n >= 0`` is traced).
    Reference:
        ``torch.linalg.matrix_power``.
    Example:
        >>> ember.linalg.matrix_power(ember.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    op = "linalg.matrix_power"
    _check_tensor(A, op, "A")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{op}: n must be an int, got {type(n).__name__}")
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{op}: A must be a square matrix or a batch of square matrices, got "
                         f"shape {_shp(A)}")
    n = int(n)
    if n == 0:
        # The identity, kept in the graph (zero gradient) through a where() that picks no A.
        keep = _C._full(list(A.shape), True, _DT.bool)
        return _C.where(keep, _eye(A.shape[-1], A.dtype).expand(*A.shape), A)
    if n < 0:
        _no_trace(op)
        if A.dtype not in _FLOATS:
            raise TypeError(f"{op}: negative powers need float32 or float64, got "
                            f"{A.dtype.name}")
        A = inv(A)
        n = -n
    result, base = None, A
    while True:
        if n & 1:
            result = base if result is None else _matmul(result, base)
        n >>= 1
        if not n:
            break
        base = _matmul(base, base)
    return result.clone() if result is A else result


# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# Pade degree -> (largest 1-norm it serves in double precision, coefficients b_0..b_m).
_PADE = (
    (3, 1.495585217958292e-2, (120.0, 60.0, 12.0, 1.0)),
    (5, 2.539398330063230e-1, (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0)),
    (7, 9.504178996162932e-1, (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0,
                               56.0, 1.0)),
    (9, 2.097847961257068e0, (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0,
                              30270240.0, 2162160.0, 110880.0, 3960.0, 90.0, 1.0)),
)
_PADE13 = (5.371920351148152e0, (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
    40840800.0, 960960.0, 16380.0, 182.0, 1.0))


def matrix_exp(A: Tensor) -> Tensor:
    """Matrix exponential ``sum_k A^k / k!`` by scaling and squaring with a Pade approximant.

    For each matrix on its own, the degree (3, 5, 7, 9 or 13) and the scaling ``2^-s`` follow
    Higham (2005) from its 1-norm; ``exp(A) = r(A / 2^s)^(2^s)``. The batch is evaluated in
    one group per degree, the squarings of each matrix stopping at its own ``s``, so a large
    or non-finite member does not change the others' results. A matrix holding a NaN or an
    infinity gives NaN, as PyTorch. Made of ember ops and the differentiable LU solve, so the
    gradient (and its gradient) is the derivative of that approximant.

    Args:
        A: ``(*, n, n)``, float32 or float64.
    Returns:
        Tensor: ``(*, n, n)``, dtype of ``A``.
    Raises:
        TypeError: integer ``A``. ValueError: not square.
        RuntimeError: inside an ``ember.jit`` trace (the scaling depends on the values).
    Reference:
        N. J. Higham, "The scaling and squaring method for the matrix exponential revisited",
        SIAM J. Matrix Anal. Appl. 26(4), 2005; ``torch.linalg.matrix_exp``.
    Example:
        >>> ember.linalg.matrix_exp(ember.tensor([[0.0, 0.0], [0.0, 1.0]]))
        tensor([[1.0000, 0.0000],
                [0.0000, 2.7183]])
    """
    op = "linalg.matrix_exp"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    flat = A.reshape(-1, n, n)
    a = _np(flat)
    bad = _nonfinite(a)
    with np.errstate(all="ignore"):
        # float64 norms (a float32 sum cannot overflow there); a float64 overflow is capped.
        norm1 = np.minimum(np.abs(a.astype(np.float64)).sum(-2).max(-1),
                           np.finfo(np.float64).max)
    # Degree index per matrix: 0..3 for the _PADE rows whose theta covers the norm, 4 for 13.
    degree = np.searchsorted(np.array([t for _, t, _ in _PADE]), norm1, side="left")
    with np.errstate(all="ignore"):
        scale = np.maximum(0, np.ceil(np.log2(norm1 / _PADE13[0]))).astype(np.int64)
    scale = np.where((degree == 4) & ~bad, scale, 0)
    groups = [(np.flatnonzero((degree == d) & ~bad), d) for d in range(5)]
    groups = [(idx, d) for idx, d in groups if idx.size]
    parts, order = [], []
    for idx, d in groups:
        whole = idx.size == a.shape[0]
        X = flat if whole else flat.index_select(0, _t(idx, _DT.int64))
        parts.append(_pade_exp(X, d, scale[idx]))
        order.append(idx)
    if bad.any():  # NaN results that keep the graph: their gradient is NaN too
        idx = np.flatnonzero(bad)
        X = flat.index_select(0, _t(idx, _DT.int64))
        parts.append(X * _C._full([], math.nan, A.dtype))
        order.append(idx)
    if len(parts) == 1:
        R = parts[0]
    else:
        inverse = np.argsort(np.concatenate(order))
        R = _C.cat(parts, 0).index_select(0, _t(inverse, _DT.int64))
    return R.reshape(*A.shape)


def _pade_exp(X: Tensor, d: int, s: np.ndarray) -> Tensor:
    """``exp`` of the matrices ``X`` ``(k, n, n)`` by the Pade approximant ``_PADE[d]`` (13 for
    ``d == 4``) of ``X / 2^s``, squared ``s`` times; ``s`` ``(k,)`` per matrix."""
    n = X.shape[-1]
    eye = _eye(n, X.dtype)
    smax = int(s.max()) if s.size else 0
    if smax:
        X = X * _unsq2(_t(np.ldexp(1.0, -s), X.dtype))
    X2 = X @ X
    if d < 4:
        m, _, b = _PADE[d]
        powers = [eye, X2]
        for _ in range(2, m // 2 + 1):
            powers.append(powers[-1] @ X2)
        U = X @ sum((b[2 * i + 1] * powers[i] for i in range(1, len(powers))),
                    b[1] * powers[0])
        V = sum((b[2 * i] * powers[i] for i in range(1, len(powers))), b[0] * powers[0])
    else:
        b = _PADE13[1]
        X4 = X2 @ X2
        X6 = X4 @ X2
        U = X @ (X6 @ (b[13] * X6 + b[11] * X4 + b[9] * X2) + b[7] * X6 + b[5] * X4
                 + b[3] * X2 + b[1] * eye)
        V = X6 @ (b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 \
            + b[0] * eye
    R = _Solve.apply(V - U, V + U, False, "linalg.matrix_exp")[0]
    uniform = bool((s == smax).all())
    for r in range(smax):
        if uniform:
            R = R @ R
        else:  # square only the matrices whose own s is not reached yet
            R = _C.where(_unsq2(_t(r < s, _DT.bool)), R @ R, R)
    return R


# ---- solves -----------------------------------------------------------------------------------


def _solve_args(A: Tensor, B: Tensor, left: bool, op: str) -> bool:
    """Checks ``A X = B`` (or ``X A = B``) and says whether ``B`` is a (batch of) vector(s)."""
    _check_matrix(A, op, square=True)
    _check_float(B, op, "B")
    _same_dtype(A, B, op, "A", "B")
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and _shp(B) == _shp(A)[:-1])
    if vector and not left:
        raise ValueError(f"{op}: a vector B is not supported with left=False; there it is "
                         "B / A.squeeze(-1)")
    if B.dim() < 1 or (not vector and B.dim() < 2):
        raise ValueError(f"{op}: B must be a vector or a batch of matrices, got shape {_shp(B)}")
    n = A.shape[-1]
    rows = B.shape[-1] if vector else (B.shape[-2] if left else B.shape[-1])
    if rows != n:
        shape = f"{n}x{n} and {B.shape[-1]}" if vector else f"{n}x{n} and " \
            f"{B.shape[-2]}x{B.shape[-1]}"
        raise ValueError(f"{op}: incompatible shapes of A {_shp(A)} and B {_shp(B)} for the "
                         f"equation {'AX = B' if left else 'XA = B'} ({shape})")
    _batch_shape(A.shape[:-2], B.shape[:-1 if vector else -2], op, "A", "B")
    return vector


def _solve(A: Tensor, B: Tensor, left: bool, check: bool, op: str) -> tuple[Tensor, Tensor]:
    vector = _solve_args(A, B, left, op)
    if vector:
        X, info = _Solve.apply(A, B.unsqueeze(-1), check, op)
        return X.squeeze(-1), info
    if left:
        return _Solve.apply(A, B, check, op)
    # X A = B is A^T X^T = B^T: solved with A's own LU, as PyTorch.
    X, info = _Solve.apply(A, B.mT, check, op, True)
    return X.mT, info


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """Solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``) for square ``A``.

    ``B`` is a batch of vectors ``(*, n)`` when it is 1-D or ``B.shape == A.shape[:-1]``,
    otherwise a batch of matrices ``(*, n, k)``; batch dims broadcast. LAPACK ``gesv``
    (``numpy.linalg.solve``); when a gradient is needed, and for ``left=False``, the LU of
    ``A`` is computed once and reused for ``X A = B`` (as ``A^T X^T = B^T``) and for the
    backward's adjoint system, as PyTorch. Gradients: ``gB = A^{-T} G``, ``gA = -gB X^T``.

    Args:
        A: ``(*, n, n)``, float32 or float64.
        B: ``(*, n)`` or ``(*, n, k)`` (``(*, k, n)`` for ``left=False``), same dtype.
        left: solve ``A X = B`` (True, default) or ``X A = B``.
    Returns:
        Tensor: ``X``, the broadcast batch shape with ``B``'s matrix (vector) shape.
    Raises:
        LinAlgError: a singular ``A``.
        TypeError: integer or mixed dtypes. ValueError: incompatible shapes or batch dims.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.solve``.
    Example:
        >>> ember.linalg.solve(ember.tensor([[2.0, 0.0], [0.0, 4.0]]), ember.tensor([2.0, 2.0]))
        tensor([1.0000, 0.5000])
    """
    op = "linalg.solve"
    _no_trace(op)
    return _solve(A, B, left, True, op)[0]


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> Any:
    """:func:`solve` with an error code instead of an exception.

    Args:
        A, B, left: as :func:`solve`.
        check_errors: raise :class:`LinAlgError` for a singular ``A``. Default False.
    Returns:
        ``(result, info)``: the solution (inf/NaN for singular matrices) and int32 ``info``
        of shape ``A.shape[:-2]`` (0, or the 1-based index of the first zero pivot).
    Raises:
        As :func:`solve` (LinAlgError only with ``check_errors=True``).
    Reference:
        ``torch.linalg.solve_ex``.
    """
    op = "linalg.solve_ex"
    _no_trace(op)
    return _SolveExResult(*_solve(A, B, left, bool(check_errors), op))


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """Solution of ``A X = B`` (``X A = B`` with ``left=False``) for triangular ``A``.

    Only the triangle of ``A`` named by ``upper`` is read (its diagonal taken as ones when
    ``unitriangular``). A zero on the diagonal gives inf/NaN (no error), as PyTorch. Gradients:
    ``gB = A^{-T} G`` (``G A^{-T}``), ``gA = -gB X^T`` (``-X^T gB``) on the read triangle.

    Args:
        A: ``(*, n, n)``, float32 or float64.
        B: ``(*, n, k)`` (``(*, k, n)`` for ``left=False``), same dtype; batch dims broadcast.
        upper: ``A`` is upper (True) or lower (False) triangular. Keyword-only, required.
        left: solve ``A X = B`` (default) or ``X A = B``.
        unitriangular: the diagonal of ``A`` is all ones (not read). Default False.
    Returns:
        Tensor: ``X``, the broadcast batch shape with ``B``'s matrix shape.
    Raises:
        TypeError: integer or mixed dtypes. ValueError: incompatible shapes.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.solve_triangular``.
    Example:
        >>> A = ember.tensor([[2.0, 1.0], [0.0, 1.0]])
        >>> ember.linalg.solve_triangular(A, ember.tensor([[3.0], [1.0]]), upper=True)
        tensor([[1.],
                [1.]])
    """
    op = "linalg.solve_triangular"
    _check_matrix(A, op, square=True)
    _check_matrix(B, op, "B")
    _same_dtype(A, B, op, "A", "B")
    _no_trace(op)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise ValueError(f"{op}: incompatible shapes of A {_shp(A)} and B {_shp(B)} for the "
                         f"equation {'AX = B' if left else 'XA = B'}")
    _batch_shape(A.shape[:-2], B.shape[:-2], op, "A", "B")
    return _trsolve(A, B, bool(upper), bool(left), bool(unitriangular))


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> Any:
    """Least-squares solution of ``A X = B`` (minimum-norm when rank-deficient), LAPACK
    ``gelsd``-like: from the SVD of ``A``, singular values ``<= rcond * s_max`` count as zero.

    ``B`` is a batch of vectors when ``B.dim() == A.dim() - 1``; batch dims broadcast.
    ``solution = pinv(A) B`` (gradients flow through :func:`pinv` and the product, as
    PyTorch's); ``residuals = ||A X - B||^2`` per column (differentiable).

    The other results follow the driver as in PyTorch: ``'gelsd'``/``'gelss'`` (and None)
    give rank and singular values; ``'gelsy'`` rank only; ``'gels'`` neither (empty tensors).
    residuals are computed when ``m > n`` and every matrix has full rank (for ``'gels'`` when
    ``m > n``), else empty, except for ``'gelsy'`` whose residuals are always empty.

    Args:
        A: ``(*, m, n)``, float32 or float64.
        B: ``(*, m, k)`` or ``(*, m)``, same dtype.
        rcond: relative cutoff for small singular values. Default None: ``eps * max(m, n)``.
        driver: None (``'gelsd'`` results; PyTorch's CPU default is ``'gelsy'``), ``'gels'``,
            ``'gelsy'``, ``'gelsd'`` or ``'gelss'``.
    Returns:
        ``(solution, residuals, rank, singular_values)``: solution ``(*, n, k)`` (or
        ``(*, n)``); residuals ``(*, k)`` (``(*, 1)`` for vector B) or empty; rank int64 of
        ``A``'s batch shape; singular_values ``(*, min(m, n))`` of ``A``'s batch.
    Raises:
        TypeError: integer or mixed dtypes. ValueError: bad shapes or driver.
        LinAlgError: a NaN in ``A`` or ``B`` (PyTorch's drivers fail on it too); infinities
            in ``A`` give a NaN solution and rank 0 instead.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.lstsq``; LAPACK ``xGELSD``.
    Example:
        >>> A = ember.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> ember.linalg.lstsq(A, ember.tensor([[1.0], [2.0], [3.0]])).solution
        tensor([[1.],
                [2.]])
    """
    op = "linalg.lstsq"
    _check_matrix(A, op)
    _check_float(B, op, "B")
    _same_dtype(A, B, op, "A", "B")
    _no_trace(op)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"{op}: driver must be None, 'gels', 'gelsy', 'gelsd' or 'gelss', got "
                         f"{driver!r}")
    if not (A.dim() >= B.dim() >= A.dim() - 1) or B.dim() < 1:
        raise ValueError(f"{op}: A.dim() must be >= B.dim() and A.dim() - B.dim() <= 1, got "
                         f"shapes {_shp(A)} and {_shp(B)}")
    vector = B.dim() == A.dim() - 1
    Bm = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2], A.shape[-1]
    if Bm.shape[-2] != m:
        raise ValueError(f"{op}: A {_shp(A)} and B {_shp(B)} must have the same number of rows "
                         f"({m} != {Bm.shape[-2]})")
    _batch_shape(A.shape[:-2], Bm.shape[:-2], op, "A", "B")
    a, b = _np(A), _np(Bm)
    nan = np.logical_or(*np.broadcast_arrays(np.isnan(a).any((-2, -1)),
                                             np.isnan(b).any((-2, -1))))
    if nan.any():  # PyTorch's LAPACK drivers refuse a NaN in A or B
        raise LinAlgError(f"{op}: {_where_failed(nan)}The least squares solution could not be "
                          "computed because the input (A or B) contained NaN values.")
    if rcond is None:
        rcond = float(np.finfo(_NP[A.dtype]).eps) * max(m, n)
    X = _Pinv.apply(A, 0.0, float(rcond), False, op) @ Bm
    k = min(m, n)
    s = _np_svd(a, op, compute_uv=False) if k else np.zeros((*a.shape[:-2], 0), a.dtype)
    if k:
        rank_np = (s > float(rcond) * s[..., :1]).sum(-1)
    else:
        rank_np = np.zeros(a.shape[:-2], dtype=np.int64)
    driver = driver or "gelsd"
    empty_f = _C._zeros([0], A.dtype)
    full_rank = bool(np.all(rank_np == n))
    if m > n and (driver == "gels" or (driver in ("gelsd", "gelss") and full_rank)):
        residuals = ((A @ X - Bm) ** 2).sum(-2)
    else:
        residuals = empty_f
    rank = _t(rank_np, _DT.int64) if driver != "gels" else _C._zeros([0], _DT.int64)
    sv = _t(s, A.dtype) if driver in ("gelsd", "gelss") else empty_f
    return _LstsqResult(X.squeeze(-1) if vector else X, residuals, rank, sv)


# ---- factorizations ---------------------------------------------------------------------------


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Cholesky factor ``L`` of symmetric positive-definite matrices: ``A = L L^T``.

    Only the lower triangle of ``A`` is read (the upper one with ``upper=True``). Gradient
    (Murray 2016): ``gA = L^{-T} Phi(L^T gL) L^{-1}`` symmetrized, ``Phi`` taking the lower
    triangle with half the diagonal.

    Args:
        A: ``(*, n, n)``, float32 or float64.
        upper: return the upper factor ``U = L^T`` (``A = U^T U``). Default False.
    Returns:
        Tensor: ``(*, n, n)`` lower (or upper) triangular, dtype of ``A``.
    Raises:
        LinAlgError: a matrix that is not positive-definite, naming the batch element and the
            order of the failing leading minor, as PyTorch.
        TypeError: integer ``A``. ValueError: not square.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        I. Murray, "Differentiation of the Cholesky decomposition", arXiv:1602.07527, 2016;
        ``torch.linalg.cholesky``.
    Example:
        >>> ember.linalg.cholesky(ember.tensor([[4.0, 2.0], [2.0, 2.0]]))
        tensor([[2., 0.],
                [1., 1.]])
    """
    op = "linalg.cholesky"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    if upper:
        return _Cholesky.apply(A.mT, True, op)[0].mT
    return _Cholesky.apply(A, True, op)[0]


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:
    """:func:`cholesky` with an error code instead of an exception.

    Args:
        A, upper: as :func:`cholesky`.
        check_errors: raise :class:`LinAlgError` when not positive-definite. Default False.
    Returns:
        ``(L, info)``: ``info`` int32 shape ``*``, 0 or the order of the first leading minor
        that is not positive-definite (then ``L`` holds the partial factorization).
    Raises:
        As :func:`cholesky` (LinAlgError only with ``check_errors=True``).
    Reference:
        ``torch.linalg.cholesky_ex``.
    """
    op = "linalg.cholesky_ex"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    if upper:
        L, info = _Cholesky.apply(A.mT, bool(check_errors), op)
        return _CholeskyExResult(L.mT, info)
    return _CholeskyExResult(*_Cholesky.apply(A, bool(check_errors), op))


def _lu_factor(A: Tensor, pivot: bool, check: bool, op: str) -> tuple[Tensor, ...]:
    """``(LU, pivots, info, L, U)`` through the differentiable LU."""
    _check_matrix(A, op)
    _no_trace(op)
    if not pivot:
        raise RuntimeError(f"{op}: LU without pivoting is not implemented on the CPU")
    L, U, piv, info = _LU.apply(A)
    if check and bool((info != 0).any().item()):
        inf = _np(info)
        i = _first_info(inf)
        raise LinAlgError(
            f"{op}: {_where_failed(inf)}U[{i},{i}] is zero and using it on lu_solve would "
            "result in a division by zero. If you still want to perform the factorization, "
            "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )
    m, n = A.shape[-2], A.shape[-1]
    if m >= n:
        pad = _C._zeros([*A.shape[:-2], m - n, n], A.dtype)
        LU = L.tril(-1) + _C.cat([U, pad], -2)
    else:
        pad = _C._zeros([*A.shape[:-2], m, n - m], A.dtype)
        LU = U + _C.cat([L.tril(-1), pad], -1)
    return LU, piv, info, L, U


def lu_factor(A: Tensor, *, pivot: bool = True) -> Any:
    """Compact LU factorization with partial pivoting: ``A = P L U``.

    ``LU`` holds ``U`` on and above the diagonal and ``L`` (unit diagonal, not stored) below.
    Computed with LAPACK ``getrf``'s blocked algorithm vectorized over the batch (numpy has no
    LU).
    Differentiable (see :func:`lu`).

    Args:
        A: ``(*, m, n)``, float32 or float64.
        pivot: must be True (as PyTorch on the CPU).
    Returns:
        ``(LU, pivots)``: ``LU`` ``(*, m, n)``; ``pivots`` int32 ``(*, min(m, n))``, 1-based
        (row ``i`` was swapped with row ``pivots[i]``), as LAPACK and PyTorch.
    Raises:
        LinAlgError: an exactly zero pivot (``U[i, i] = 0``), as PyTorch.
        RuntimeError: ``pivot=False``; inside an ``ember.jit`` trace.
        TypeError: integer ``A``. ValueError: fewer than 2 dims.
    Reference:
        ``torch.linalg.lu_factor``; Golub & Van Loan, Matrix Computations, Alg. 3.4.1.
    """
    LU, piv, _, _, _ = _lu_factor(A, pivot, True, "linalg.lu_factor")
    return _LUFactorResult(LU, piv)


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> Any:
    """:func:`lu_factor` with an error code instead of an exception.

    Returns:
        ``(LU, pivots, info)``: ``info`` int32 shape ``*``, 0 or the 1-based index of the
        first exactly zero pivot of ``U``.
    Raises:
        LinAlgError: a zero pivot with ``check_errors=True``; otherwise as :func:`lu_factor`.
    Reference:
        ``torch.linalg.lu_factor_ex``.
    """
    LU, piv, info, _, _ = _lu_factor(A, pivot, bool(check_errors), "linalg.lu_factor_ex")
    return _LUFactorExResult(LU, piv, info)


def _perm_matrix(piv: Tensor, m: int, dtype: Any) -> Tensor:
    """``P`` with ``A = P L U`` from 1-based ``pivots``."""
    perm = _np_perm(_np(piv).astype(np.int64) - 1, m)
    p = np.zeros((*perm.shape, m), dtype=_NP[dtype])
    np.put_along_axis(p, perm[..., None], 1, -1)   # P^T[i, perm[i]] = 1
    return _t(np.swapaxes(p, -1, -2), dtype)


def lu(A: Tensor, *, pivot: bool = True) -> Any:
    """LU factorization with partial pivoting: ``A = P L U``.

    Gradient (as PyTorch's ``linalg_lu_backward``, from ``dA = P (dL U + L dU)``), with
    ``k = min(m, n)``: square ``gA = P L^{-T} [tril_{-1}(L^T gL) + triu(gU U^T)] U^{-T}``;
    tall and wide matrices add the parts beyond ``k``. Exact-zero pivots give inf/NaN.

    Args:
        A: ``(*, m, n)``, float32 or float64.
        pivot: must be True (as PyTorch on the CPU).
    Returns:
        ``(P, L, U)``: ``P`` ``(*, m, m)`` permutation (dtype of ``A``), ``L`` ``(*, m, k)``
        unit lower triangular, ``U`` ``(*, k, n)`` upper triangular.
    Raises:
        RuntimeError: ``pivot=False``; inside an ``ember.jit`` trace.
        TypeError: integer ``A``. ValueError: fewer than 2 dims.
    Reference:
        ``torch.linalg.lu``.
    Example:
        >>> P, L, U = ember.linalg.lu(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> U
        tensor([[3.0000, 4.0000],
                [0.0000, 0.6667]])
    """
    _, piv, _, L, U = _lu_factor(A, pivot, False, "linalg.lu")
    return _LUResult(_perm_matrix(piv, A.shape[-2], A.dtype), L, U)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True) -> Any:
    """``(P, L, U)`` from the compact form of :func:`lu_factor` (``torch.lu_unpack``).

    Args:
        LU_data: ``(*, m, n)``, float32 or float64.
        LU_pivots: int32 ``(*, min(m, n))``, 1-based.
        unpack_data: build ``L`` and ``U`` (else they are empty). Default True.
        unpack_pivots: build ``P`` (else empty). Default True.
    Returns:
        ``(P, L, U)`` as :func:`lu`; differentiable with respect to ``LU_data``.
    Raises:
        TypeError: bad dtypes. ValueError: bad shapes.
    """
    op = "lu_unpack"
    _check_matrix(LU_data, op, "LU_data")
    _check_tensor(LU_pivots, op, "LU_pivots")
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    if LU_pivots.dtype not in (_DT.int32, _DT.int64) or _shp(LU_pivots)[-1:] != (k,):
        raise ValueError(f"{op}: LU_pivots must be int32 of shape (*, {k}), got "
                         f"{LU_pivots.dtype.name} {_shp(LU_pivots)}")
    empty = _C._zeros([0], LU_data.dtype)
    L = U = P = empty
    if unpack_data:
        L = LU_data.narrow(-1, 0, k).tril(-1) + _eye(m, LU_data.dtype).narrow(-1, 0, k)
        U = LU_data.narrow(-2, 0, k).triu()
    if unpack_pivots:
        _no_trace(op)
        P = _perm_matrix(LU_pivots, m, LU_data.dtype)
    return _LUResult(P, L, U)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False) -> Tensor:
    """Solution of ``A X = B`` from ``A``'s LU factorization (:func:`lu_factor`).

    ``adjoint=True`` solves ``A^T X = B``; ``left=False`` solves ``X A = B`` (``X A^T = B``).
    Two triangular solves and a row permutation, each differentiable, so gradients flow to
    ``LU`` (its two triangles) and ``B``.

    Args:
        LU: ``(*, n, n)``, float32 or float64.
        pivots: int32 ``(*, n)``, 1-based, from :func:`lu_factor`.
        B: ``(*, n, k)`` (``(*, k, n)`` for ``left=False``), same dtype; batch dims broadcast.
        left: solve ``A X = B`` (default) or ``X A = B``.
        adjoint: use ``A^T``. Default False.
    Returns:
        Tensor: ``X``, the broadcast batch shape with ``B``'s matrix shape.
    Raises:
        TypeError: bad dtypes. ValueError: bad shapes.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.lu_solve``.
    """
    op = "linalg.lu_solve"
    _check_matrix(LU, op, "LU", square=True)
    _check_matrix(B, op, "B")
    _same_dtype(LU, B, op, "LU", "B")
    _check_tensor(pivots, op, "pivots")
    _no_trace(op)
    n = LU.shape[-1]
    if pivots.dtype not in (_DT.int32, _DT.int64) or _shp(pivots) != _shp(LU)[:-1]:
        raise ValueError(f"{op}: pivots must be int32 of shape {_shp(LU)[:-1]}, got "
                         f"{pivots.dtype.name} {_shp(pivots)}")
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise ValueError(f"{op}: incompatible shapes of LU {_shp(LU)} and B {_shp(B)} for the "
                         f"equation {'AX = B' if left else 'XA = B'}")
    _batch_shape(LU.shape[:-2], B.shape[:-2], op, "LU", "B")
    perm = _np_perm(_np(pivots).astype(np.int64) - 1, n)
    inv_perm = np.argsort(perm, axis=-1)
    if left and not adjoint:      # X = U^{-1} L^{-1} P^T B
        Y = _trsolve(LU, _rows(B, perm), upper=False, unit=True)
        return _trsolve(LU, Y, upper=True)
    if left:                      # X = P L^{-T} U^{-T} B
        Y = _trsolve(LU.mT, B, upper=False)
        return _rows(_trsolve(LU.mT, Y, upper=True, unit=True), inv_perm)
    if not adjoint:               # X = B U^{-1} L^{-1} P^T
        Y = _trsolve(LU, B, upper=True, left=False)
        Z = _trsolve(LU, Y, upper=False, left=False, unit=True)
        return _rows(Z.mT, inv_perm).mT
    # X = B P L^{-T} U^{-T}
    W = _rows(B.mT, perm).mT
    Y = _trsolve(LU.mT, W, upper=True, left=False, unit=True)
    return _trsolve(LU.mT, Y, upper=False, left=False)


def qr(A: Tensor, mode: str = "reduced") -> Any:
    """QR decomposition ``A = Q R`` (Householder, LAPACK ``geqrf``/``orgqr`` through
    ``numpy.linalg.qr``).

    Gradient for ``m >= n`` (Walter & Lehmann 2018): ``gA = (gQ + Q copyltu(M)) R^{-T}`` with
    ``M = R gR^T - gQ^T Q`` and ``copyltu`` mirroring the lower triangle; for ``m < n`` the
    same on the leading square block plus ``Q gV`` for the rest.

    Args:
        A: ``(*, m, n)``, float32 or float64.
        mode: ``'reduced'`` (default; Q ``(*, m, k)``, R ``(*, k, n)``, ``k = min(m, n)``),
            ``'complete'`` (Q ``(*, m, m)``, R ``(*, m, n)``) or ``'r'`` (R only; Q empty).
    Returns:
        ``(Q, R)`` named tuple, dtype of ``A``.
    Raises:
        ValueError: an unknown mode or fewer than 2 dims. TypeError: integer ``A``.
        RuntimeError: backward with ``mode='r'``, or ``'complete'`` with ``m > n`` (not
            differentiable, as PyTorch); inside an ``ember.jit`` trace.
    Reference:
        S. F. Walter, L. Lehmann, "Algorithmic differentiation of linear algebra functions
        with application in optimum experimental design", 2018; ``torch.linalg.qr``.
    """
    op = "linalg.qr"
    _check_matrix(A, op)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"{op}: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    _no_trace(op)
    return _QRResult(*_QR.apply(A, mode))


def _uplo(UPLO: Any, op: str) -> str:
    if UPLO not in ("L", "U"):
        raise ValueError(f"{op}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO


def eigh(A: Tensor, UPLO: str = "L") -> Any:
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices
    (LAPACK ``syevd`` through ``numpy.linalg.eigh``).

    Only the triangle ``UPLO`` of ``A`` is read. Eigenvectors are unique up to sign (and
    within repeated eigenvalues), so only sign-invariant functions of them are well defined.
    Gradient (Giles 2008), symmetric: ``gA = V (diag(gL) + F o (V^T gV - gV^T V) / 2) V^T``
    with ``F_ij = 1 / (L_j - L_i)``; repeated eigenvalues make it inf/NaN when the loss
    depends on the eigenvectors, as PyTorch.

    Args:
        A: ``(*, n, n)``, float32 or float64.
        UPLO: ``'L'`` (default) or ``'U'``.
    Returns:
        ``(eigenvalues, eigenvectors)``: ``(*, n)`` and ``(*, n, n)`` (columns), dtype of ``A``.
    Raises:
        TypeError: integer ``A``. ValueError: not square or a bad UPLO.
        LinAlgError: LAPACK's ``syevd`` did not converge, which a NaN or an infinity in the
            read triangle may cause (otherwise the results are NaN), as PyTorch.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        M. B. Giles, "An extended collection of matrix derivative results for forward and
        reverse mode AD", 2008; ``torch.linalg.eigh``.
    Example:
        >>> ember.linalg.eigh(ember.tensor([[2.0, 0.0], [0.0, 1.0]])).eigenvalues
        tensor([1., 2.])
    """
    op = "linalg.eigh"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    return _EighResult(*_Eigh.apply(A, _uplo(UPLO, op), op))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues (ascending) of symmetric matrices; gradient ``V diag(G) V^T``.

    Args:
        A: ``(*, n, n)``, float32 or float64; triangle ``UPLO`` read.
        UPLO: ``'L'`` (default) or ``'U'``.
    Returns:
        Tensor: ``(*, n)``, dtype of ``A``.
    Raises:
        TypeError, ValueError, LinAlgError, RuntimeError: as :func:`eigh`.
    Reference:
        ``torch.linalg.eigvalsh``.
    """
    op = "linalg.eigvalsh"
    _check_matrix(A, op, square=True)
    _no_trace(op)
    return _Eigvalsh.apply(A, _uplo(UPLO, op), op)


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> Any:
    """Singular value decomposition ``A = U diag(S) Vh`` (LAPACK ``gesdd`` through
    ``numpy.linalg.svd``).

    Singular vectors are unique up to sign, so only sign-invariant functions of them are
    well defined. Gradient (Townsend 2016; Ionescu et al. 2015), ``E_ij = s_j^2 - s_i^2``:
    ``gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T`` plus
    ``(I - U U^T) gU S^{-1} V^T`` (``m > n``) or ``U S^{-1} gV^T (I - V V^T)`` (``m < n``);
    repeated singular values make it inf/NaN when the loss depends on U or V, as PyTorch. With
    ``full_matrices=True`` and ``m != n`` the extra columns of U (rows of Vh) get no gradient.

    Args:
        A: ``(*, m, n)``, float32 or float64.
        full_matrices: U ``(*, m, m)`` and Vh ``(*, n, n)`` (True, default) or
            ``(*, m, k)`` and ``(*, k, n)``, ``k = min(m, n)``.
        driver: must be None (PyTorch takes it on CUDA only).
    Returns:
        ``(U, S, Vh)``: S ``(*, k)`` descending; dtype of ``A``.
    Raises:
        TypeError: integer ``A``. ValueError: fewer than 2 dims, or a driver.
        LinAlgError: a matrix holding a NaN (naming its batch element), as PyTorch. A matrix
            with infinities and no NaN gives NaN U, S and Vh instead (PyTorch's MKL gives NaN
            or raises, depending on the matrix); the rest of the batch is unaffected.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        J. Townsend, "Differentiating the singular value decomposition", 2016; C. Ionescu,
        O. Vantzos, C. Sminchisescu, "Matrix backpropagation for deep networks with
        structured layers", ICCV 2015; ``torch.linalg.svd``.
    """
    op = "linalg.svd"
    _check_matrix(A, op)
    if driver is not None:
        raise ValueError(f"{op}: driver= is only supported on CUDA (cuSOLVER); got "
                         f"{driver!r} for a CPU tensor")
    _no_trace(op)
    return _SVDResult(*_Svd.apply(A, bool(full_matrices), op))


def _svdvals(A: Tensor, op: str) -> Tensor:
    return _Svdvals.apply(A, op)


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """Singular values, descending; gradient ``U diag(G) V^T`` (well defined even for repeated
    singular values).

    Args:
        A: ``(*, m, n)``, float32 or float64.
        driver: must be None (CUDA only in PyTorch).
    Returns:
        Tensor: ``(*, min(m, n))``, dtype of ``A``.
    Raises:
        TypeError, ValueError, LinAlgError, RuntimeError: as :func:`svd` (a matrix with
            infinities gives NaN, as PyTorch).
    Reference:
        ``torch.linalg.svdvals``.
    Example:
        >>> ember.linalg.svdvals(ember.tensor([[3.0, 0.0], [0.0, -4.0]]))
        tensor([4., 3.])
    """
    op = "linalg.svdvals"
    _check_matrix(A, op)
    if driver is not None:
        raise ValueError(f"{op}: driver= is only supported on CUDA (cuSOLVER); got "
                         f"{driver!r} for a CPU tensor")
    _no_trace(op)
    return _svdvals(A, op)


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """First ``n`` columns of the product of Householder reflections ``H_1 ... H_k``,
    ``H_i = I - tau_i v_i v_i^T``, ``v_i = (0, ..., 0, 1, A[i+1:, i])`` (LAPACK ``orgqr``).

    Made of ember ops (``k`` rank-1 updates): differentiable in ``A`` and ``tau`` and traced by
    ``ember.jit``.

    Args:
        A: ``(*, m, n)``, ``m >= n``, float32 or float64.
        tau: ``(*, k)``, ``k <= n``, same dtype and batch dims.
    Returns:
        Tensor: ``(*, m, n)``.
    Raises:
        TypeError: bad or mixed dtypes. ValueError: shapes as above.
    Reference:
        ``torch.linalg.householder_product``; Golub & Van Loan, Matrix Computations, 5.1.6.
    """
    op = "linalg.householder_product"
    _check_matrix(A, op)
    _check_float(tau, op, "tau")
    _same_dtype(A, tau, op, "A", "tau")
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise ValueError(f"{op}: A.shape[-2] must be >= A.shape[-1], got shape {_shp(A)}")
    if tau.dim() != A.dim() - 1 or _shp(tau)[:-1] != _shp(A)[:-2] or tau.shape[-1] > n:
        raise ValueError(f"{op}: tau must have shape (*, k) with the batch dims of A "
                         f"{_shp(A)[:-2]} and k <= {n}, got {_shp(tau)}")
    rows = _C._arange(0, m, 1, _DT.int64)
    Q = _eye(m, A.dtype).expand(*A.shape[:-2], m, m)
    for i in range(tau.shape[-1]):
        v = _C.where(rows > i, A.select(-1, i), (rows == i).to(A.dtype))
        t = _unsq2(tau.select(-1, i))
        Q = Q - t * ((Q @ v.unsqueeze(-1)) @ v.unsqueeze(-2))
    return Q.narrow(-1, 0, n)


# ---- products and shape helpers ---------------------------------------------------------------


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with broadcasting, as ``ember.matmul`` (``torch.linalg.matmul`` is an
    alias of ``torch.matmul``).

    Args:
        input, other: float32 or float64 tensors (1-D operands are vectors).
    Returns:
        Tensor: the product.
    Raises:
        ValueError: shapes that cannot be multiplied. TypeError: unsupported dtypes.
    """
    return _C.matmul(input, other)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Diagonals of the matrices over dims ``dim1``, ``dim2`` (a copy), as the last dim.

    Args:
        A: at least 2-D, any dtype.
        offset: which diagonal (> 0 above the main one). Default 0.
        dim1, dim2: the matrix dims. Default -2 and -1.
    Returns:
        Tensor: ``A`` without ``dim1``, ``dim2``, plus the diagonal as the last dim.
    Raises:
        ValueError: fewer than 2 dims or ``dim1 == dim2``. IndexError: a dim out of range.
    Reference:
        ``torch.linalg.diagonal``.
    """
    return _diagonal(A, offset, dim1, dim2)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (batch dims broadcast).

    Args:
        input, other: same dtype (any numeric), broadcastable, size 3 along ``dim``.
        dim: the dim holding the vectors. Default -1.
    Returns:
        Tensor: the broadcast shape.
    Raises:
        ValueError: ``dim`` of a size other than 3, or shapes that do not broadcast.
        TypeError: dtypes differ. IndexError: ``dim`` out of range.
    Reference:
        ``torch.linalg.cross``.
    Example:
        >>> ember.linalg.cross(ember.tensor([1.0, 0.0, 0.0]), ember.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    op = "linalg.cross"
    _check_tensor(input, op, "input")
    _check_tensor(other, op, "other")
    _same_dtype(input, other, op, "input", "other")
    if input.dim() != other.dim():
        raise ValueError(f"{op}: input and other must have the same number of dims, got shapes "
                         f"{_shp(input)} and {_shp(other)}")
    shape = _batch_shape(_shp(input), _shp(other), op, "input", "other")
    d = _dim(dim, len(shape), op)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise ValueError(f"{op}: dim {dim} must have size 3 in both inputs, got shapes "
                         f"{_shp(input)} and {_shp(other)}")
    return _cross(input, other, d)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot product of vectors along ``dim``: ``sum(x * y, dim)`` (broadcasting).

    Args:
        x, y: same float dtype, broadcastable.
        dim: the dim holding the vectors. Default -1.
    Returns:
        Tensor: the broadcast shape without ``dim``.
    Raises:
        TypeError: non-float or mixed dtypes. ValueError: shapes that do not broadcast.
        IndexError: ``dim`` out of range.
    Reference:
        ``torch.linalg.vecdot`` (real tensors: no conjugation).
    """
    op = "linalg.vecdot"
    _check_float(x, op, "x")
    _check_float(y, op, "y")
    _same_dtype(x, y, op, "x", "y")
    shape = _batch_shape(_shp(x), _shp(y), op, "x", "y")
    d = _dim(dim, len(shape), op)
    return (x * y).sum(d)


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """Product of two or more matrices in the cheapest order (matrix-chain dynamic
    programming on the shapes).

    The first tensor may be 1-D (a row vector) and the last 1-D (a column vector); the others
    are 2-D. Made of ember ops (``ember.jit`` traces it).

    Args:
        tensors: a sequence of at least 2 tensors of one float dtype.
    Returns:
        Tensor: the product, 2-D, 1-D or 0-d as the ends are vectors.
    Raises:
        ValueError: fewer than 2 tensors, wrong dims or shapes that do not chain.
        TypeError: mixed or non-float dtypes.
    Reference:
        ``torch.linalg.multi_dot``; Cormen et al., Introduction to Algorithms, 15.2.
    """
    op = "linalg.multi_dot"
    ts = list(tensors)
    if len(ts) < 2:
        raise ValueError(f"{op}: expected at least 2 tensors, got {len(ts)}")
    for i, t in enumerate(ts):
        _check_float(t, op, f"tensors[{i}]")
        _same_dtype(ts[0], t, op, "tensors[0]", f"tensors[{i}]")
        ok = t.dim() == 2 or (t.dim() == 1 and i in (0, len(ts) - 1))
        if not ok:
            raise ValueError(f"{op}: tensors[{i}] must be 2-D (the first and last may be 1-D), "
                             f"got shape {_shp(t)}")
    row, col = ts[0].dim() == 1, ts[-1].dim() == 1
    if row:
        ts[0] = ts[0].unsqueeze(0)
    if col:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i in range(len(ts) - 1):
        if ts[i].shape[1] != ts[i + 1].shape[0]:
            raise ValueError(f"{op}: tensors[{i}] and tensors[{i + 1}] cannot be multiplied "
                             f"(shapes {_shp(ts[i])} and {_shp(ts[i + 1])})")
    p = [ts[0].shape[0]] + [t.shape[1] for t in ts]
    k = len(ts)
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = -1
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + p[i] * p[s + 1] * p[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def chain(i: int, j: int) -> Tensor:
        """The product of matrices ``i..j`` in the cheapest order found."""
        if i == j:
            return ts[i]
        s = split[i][j]
        return chain(i, s) @ chain(s + 1, j)

    out = chain(0, k - 1)
    if row and col:
        return out.reshape(())
    if row:
        return out.squeeze(0)
    if col:
        return out.squeeze(-1)
    return out


def vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """Vandermonde matrix: column ``j`` is ``x ** j``, ``j = 0 .. N - 1`` (increasing powers).

    Args:
        x: ``(*, n)``, float32, float64, int32 or int64.
        N: number of columns. Default ``n``.
    Returns:
        Tensor: ``(*, n, N)``, dtype of ``x``. Differentiable (products of ``x``).
    Raises:
        ValueError: 0-d ``x`` or ``N < 1``.
    Reference:
        ``torch.linalg.vander``.
    Example:
        >>> ember.linalg.vander(ember.tensor([2.0, 3.0]), N=3)
        tensor([[1., 2., 4.],
                [1., 3., 9.]])
    """
    op = "linalg.vander"
    _check_tensor(x, op, "x")
    if x.dim() == 0:
        raise ValueError(f"{op}: x must have at least 1 dim, got a 0-d tensor")
    N = x.shape[-1] if N is None else N
    if N < 1:
        raise ValueError(f"{op}: N must be >= 1, got {N}")
    cols = [_C._full(list(x.shape), 1, x.dtype)]
    for _ in range(1, N):
        cols.append(cols[-1] * x)
    return _C.stack(cols, -1)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """Inverse of ``A`` as a linear map from its first ``ind`` dims to the rest: with
    ``A.shape = I + J``, ``prod(I) = prod(J)``, the result ``X`` of shape ``J + I`` satisfies
    ``tensordot(X, A, ind) = identity``.

    Args:
        A: float32 or float64.
        ind: how many leading dims form the input of the map (> 0). Default 2.
    Returns:
        Tensor: shape ``A.shape[ind:] + A.shape[:ind]``.
    Raises:
        ValueError: ``ind <= 0`` or ``prod(I) != prod(J)``. LinAlgError: singular.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.tensorinv``.
    """
    op = "linalg.tensorinv"
    _check_float(A, op, "A")
    if ind <= 0:
        raise ValueError(f"{op}: ind must be > 0, got {ind}")
    left, right = _shp(A)[:ind], _shp(A)[ind:]
    p = int(np.prod(left, dtype=np.int64))
    if p != int(np.prod(right, dtype=np.int64)):
        raise ValueError(f"{op}: the product of the first {ind} dims of A {_shp(A)} must equal "
                         "the product of the rest")
    _no_trace(op)
    return _Inv.apply(A.reshape(p, p), True, op)[0].reshape(*right, *left)


def tensorsolve(A: Tensor, B: Tensor, dims: Sequence[int] | None = None) -> Tensor:
    """Solution ``X`` of ``tensordot(A, X, X.dim()) = B``.

    ``A``'s leading dims equal ``B.shape``; the rest are ``X``'s shape, of the same number of
    elements. ``dims`` (dims of ``A``) are first moved to the end.

    Args:
        A: float32 or float64.
        B: same dtype, ``A.shape[:B.dim()]``.
        dims: dims of ``A`` to move to the end first. Default None.
    Returns:
        Tensor: ``X`` of shape ``A.shape[B.dim():]`` (after moving ``dims``).
    Raises:
        ValueError: shapes as above. TypeError: dtypes. LinAlgError: singular.
        RuntimeError: inside an ``ember.jit`` trace.
    Reference:
        ``torch.linalg.tensorsolve``.
    """
    op = "linalg.tensorsolve"
    _check_float(A, op, "A")
    _check_float(B, op, "B")
    _same_dtype(A, B, op, "A", "B")
    if dims is not None:
        d = _dims(dims, A.dim(), op)
        A = movedim(A, d, list(range(A.dim() - len(d), A.dim())))
    xs = _shp(A)[B.dim():]
    p = int(np.prod(_shp(B), dtype=np.int64))
    if _shp(A)[:B.dim()] != _shp(B) or int(np.prod(xs, dtype=np.int64)) != p:
        raise ValueError(f"{op}: A {_shp(A)} must start with B's shape {_shp(B)} and its other "
                         "dims must hold as many elements as B")
    _no_trace(op)
    X = _Solve.apply(A.reshape(p, p), B.reshape(p, 1), True, op)[0]
    return X.reshape(*xs)


# ---- PyTorch's top-level and Tensor forms -----------------------------------------------------


def logdet(input: Tensor) -> Tensor:
    """Log of the determinant: ``logabsdet`` of :func:`slogdet` where ``det > 0``, NaN where it
    is negative, ``-inf`` where it is 0 (``torch.logdet``).

    Args:
        input: ``(*, n, n)``, float32 or float64.
    Returns:
        Tensor: shape ``*``.
    Raises:
        As :func:`slogdet`.
    """
    op = "logdet"
    _check_matrix(input, op, "input", square=True)
    _no_trace(op)
    sign, logabs = _Slogdet.apply(input)
    return _C.where(sign < 0, _C._full([], float("nan"), input.dtype), logabs)


def inverse(input: Tensor) -> Tensor:
    """Inverse of square matrices: :func:`inv` (``torch.inverse``).

    Args:
        input: ``(*, n, n)``, float32 or float64.
    Returns:
        Tensor: ``(*, n, n)``.
    Raises:
        As :func:`inv`.
    """
    op = "inverse"
    _check_matrix(input, op, "input", square=True)
    _no_trace(op)
    return _Inv.apply(input, True, op)[0]


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse with relative cutoff ``rcond`` (``torch.pinverse``): :func:`pinv` with
    ``rtol=rcond``.

    Args:
        input: ``(*, m, n)``, float32 or float64.
        rcond: singular values ``<= rcond * s_max`` count as zero. Default 1e-15.
    Returns:
        Tensor: ``(*, n, m)``.
    Raises:
        As :func:`pinv`.
    """
    _no_trace("pinverse")
    return pinv(input, rtol=rcond)


def _cholesky_legacy(input: Tensor, upper: bool = False) -> Tensor:
    """Cholesky factor (``torch.cholesky``): :func:`cholesky` with ``upper`` positional.

    Args:
        input: ``(*, n, n)`` symmetric positive-definite, float32 or float64.
        upper: return ``U`` with ``A = U^T U``. Default False.
    Returns:
        Tensor: ``(*, n, n)`` triangular.
    Raises:
        As :func:`cholesky`.
    """
    _no_trace("cholesky")
    return cholesky(input, upper=upper)


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """Solution of ``A X = B`` given the Cholesky factor of ``A`` (``torch.cholesky_solve``):
    ``A = L L^T`` (``U^T U`` with ``upper``).

    Two triangular solves. Gradients as PyTorch's: ``gB = A^{-1} G``; for the factor
    ``-(gB X^T + X gB^T) L`` (``-U (gB X^T + X gB^T)``), not restricted to the triangle.

    Args:
        B: ``(*, n, k)``, float32 or float64.
        L: ``(*, n, n)`` triangular (only its triangle read), same dtype; batch dims broadcast.
        upper: ``L`` is upper triangular. Default False.
    Returns:
        Tensor: ``(*, n, k)``.
    Raises:
        TypeError: dtypes. ValueError: shapes. RuntimeError: inside an ``ember.jit`` trace.
    """
    op = "cholesky_solve"
    _check_matrix(B, op, "B")
    _check_matrix(L, op, "L", square=True)
    _same_dtype(B, L, op, "B", "L")
    if B.shape[-2] != L.shape[-1]:
        raise ValueError(f"{op}: incompatible shapes of B {_shp(B)} and L {_shp(L)}")
    _batch_shape(B.shape[:-2], L.shape[:-2], op, "B", "L")
    _no_trace(op)
    return _CholeskySolve.apply(B, L, bool(upper))


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """Inverse of ``A = L L^T`` (``U^T U`` with ``upper``) from its Cholesky factor
    (``torch.cholesky_inverse``): :func:`cholesky_solve` of the identity.

    Args:
        L: ``(*, n, n)`` triangular, float32 or float64.
        upper: ``L`` is upper triangular. Default False.
    Returns:
        Tensor: ``(*, n, n)``.
    Raises:
        As :func:`cholesky_solve`.
    """
    op = "cholesky_inverse"
    _check_matrix(L, op, "L", square=True)
    _no_trace(op)
    n = L.shape[-1]
    return cholesky_solve(_eye(n, L.dtype).expand(*L.shape), L, upper)


def _qr_legacy(input: Tensor, some: bool = True) -> Any:
    """QR decomposition (``torch.qr``): :func:`qr` with mode ``'reduced'`` when ``some``,
    else ``'complete'``.

    Args:
        input: ``(*, m, n)``, float32 or float64.
        some: reduced (True, default) or complete decomposition.
    Returns:
        ``(Q, R)``.
    Raises:
        As :func:`qr`.
    """
    _no_trace("qr")
    return qr(input, "reduced" if some else "complete")


def _svd_legacy(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:
    """SVD returning ``V`` (not ``Vh``) (``torch.svd``): ``input = U diag(S) V^T``.

    Args:
        input: ``(*, m, n)``, float32 or float64.
        some: reduced U, V (True, default) or full.
        compute_uv: when False, U and V are zero matrices ``(*, m, m)`` and ``(*, n, n)``
            and only S is computed.
    Returns:
        ``(U, S, V)``.
    Raises:
        As :func:`svd`.
    """
    op = "svd"
    _check_matrix(input, op, "input")
    _no_trace(op)
    if not compute_uv:
        S = _svdvals(input, op)
        m, n = input.shape[-2], input.shape[-1]
        return _SvdLegacyResult(_C._zeros([*input.shape[:-2], m, m], input.dtype), S,
                                _C._zeros([*input.shape[:-2], n, n], input.dtype))
    U, S, Vh = _Svd.apply(input, not some, op)
    return _SvdLegacyResult(U, S, Vh.mT)


def _lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False) -> Any:
    """Compact LU factorization (``torch.lu``): :func:`lu_factor_ex` without raising.

    Args:
        A: ``(*, m, n)``, float32 or float64.
        pivot: must be True.
        get_infos: also return ``info``. Default False.
    Returns:
        ``(LU, pivots)`` or ``(LU, pivots, info)``.
    Raises:
        As :func:`lu_factor` (but not for zero pivots).
    """
    LU, piv, info, _, _ = _lu_factor(A, pivot, False, "lu")
    return _LUWithInfoResult(LU, piv, info) if get_infos else (LU, piv)


def _lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """Solution of ``A X = b`` from ``A``'s LU factorization (``torch.lu_solve``): note the
    argument order, ``b`` first.

    Args:
        b: ``(*, n, k)``.
        LU_data, LU_pivots: from :func:`lu_factor`.
    Returns:
        Tensor: ``(*, n, k)``.
    Raises:
        As :func:`lu_solve`.
    """
    _no_trace("lu_solve")
    return lu_solve(LU_data, LU_pivots, b)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> Any:
    """Solution of ``A X = b`` (``A^T X = b`` with ``transpose``) for triangular ``A``
    (``torch.triangular_solve``).

    Args:
        b: ``(*, n, k)``, float32 or float64.
        A: ``(*, n, n)``, same dtype; only its ``upper`` (default) or lower triangle read.
        upper: ``A`` is upper triangular. Default True.
        transpose: solve with ``A^T``. Default False.
        unitriangular: ``A``'s diagonal is ones (not read). Default False.
    Returns:
        ``(solution, cloned_coefficient)``: ``X`` and a copy of ``A``.
    Raises:
        As :func:`solve_triangular`.
    """
    _no_trace("triangular_solve")
    M = A.mT if transpose else A
    X = solve_triangular(M, b, upper=bool(upper) != bool(transpose), left=True,
                         unitriangular=unitriangular)
    return _TriangularSolveResult(X, A.clone())


def chain_matmul(*matrices: Tensor) -> Tensor:
    """Product of 2-D matrices in the cheapest order (``torch.chain_matmul``): :func:`multi_dot`
    (one matrix is returned as a copy).

    Args:
        matrices: one or more 2-D tensors of one float dtype.
    Returns:
        Tensor: the 2-D product.
    Raises:
        ValueError: no matrix, or not 2-D. Otherwise as :func:`multi_dot`.
    """
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise ValueError("chain_matmul: expected at least one matrix")
    for i, t in enumerate(matrices):
        _check_float(t, "chain_matmul", f"matrices[{i}]")
        if t.dim() != 2:
            raise ValueError(f"chain_matmul: matrices[{i}] must be 2-D, got shape {_shp(t)}")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)


def orgqr(input: Tensor, tau: Tensor) -> Tensor:
    """``Q`` from Householder reflectors (``torch.orgqr``): :func:`householder_product`.

    Args:
        input: ``(*, m, n)``, ``m >= n``.
        tau: ``(*, k)``, ``k <= n``.
    Returns:
        Tensor: ``(*, m, n)``.
    Raises:
        As :func:`householder_product`.
    """
    return householder_product(input, tau)


def _named(fn: Any, name: str) -> Any:
    fn.__name__ = fn.__qualname__ = name
    return fn


# PyTorch's Tensor methods that live here (``Tensor.<name>``).
_TENSOR_METHODS = (
    ("det", det), ("logdet", logdet), ("slogdet", slogdet), ("inverse", inverse),
    ("pinverse", pinverse), ("cholesky", _named(_cholesky_legacy, "cholesky")),
    ("cholesky_inverse", cholesky_inverse), ("cholesky_solve", cholesky_solve),
    ("qr", _named(_qr_legacy, "qr")), ("svd", _named(_svd_legacy, "svd")),
    ("matrix_power", matrix_power), ("matrix_exp", matrix_exp),
    ("lu", _named(_lu_legacy, "lu")), ("lu_solve", _named(_lu_solve_legacy, "lu_solve")),
    ("triangular_solve", triangular_solve), ("orgqr", orgqr),
)

# PyTorch's top-level functions that live here: ``ember.<name> = function``.
_TOP_LEVEL = _TENSOR_METHODS + (("lu_unpack", lu_unpack), ("chain_matmul", chain_matmul))


def _install() -> None:
    """Sets PyTorch's Tensor methods of this module on ``ember.Tensor`` (``A.det()``,
    ``A.inverse()``, ``A.svd()``, ...; see ``_TENSOR_METHODS``)."""
    for name, fn in _TENSOR_METHODS:
        setattr(_C.Tensor, name, fn)
