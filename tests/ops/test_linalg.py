"""ember.linalg against torch.linalg: values (float64 and float32, with batch dims), gradients
and second derivatives (float64) compared with PyTorch's, finite-difference gradient checks,
and sign/gauge-invariant comparisons for qr, eigh and svd (errors, jit and the top-level forms
are in test_linalg_errors.py)."""

from __future__ import annotations

import zlib

import ember
import ember.linalg
import numpy as np
import pytest
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")

INF = float("inf")


# ---- inputs -----------------------------------------------------------------------------------


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def gen(*shape):
    """A random matrix (batch), shifted towards the identity so it is well conditioned."""
    def make(rng):
        a = rng.standard_normal(shape)
        if shape[-1] == shape[-2]:
            a = a + shape[-1] * 0.5 * np.eye(shape[-1])
        return a
    return make


def rand(*shape):
    return lambda rng: rng.standard_normal(shape)


def spd(*shape):
    """A symmetric positive-definite matrix (batch) with distinct eigenvalues."""
    def make(rng):
        a = rng.standard_normal(shape)
        return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])
    return make


def sym(*shape):
    def make(rng):
        a = rng.standard_normal(shape)
        return a + np.swapaxes(a, -1, -2)
    return make


def tri(*shape, upper, unit=False):
    """A triangular matrix with a dominant diagonal (noise in the other triangle is ignored)."""
    def make(rng):
        signs = np.sign(rng.standard_normal(shape[-1]))
        return rng.standard_normal(shape) + 3 * np.eye(shape[-1]) * signs
    return make


def taus(*shape):
    return lambda rng: rng.uniform(0.5, 1.5, shape)


# ---- gauge fixes (both libraries share these tensor methods) ----------------------------------


def qr_fixed(Q, R):
    """``(Q D, D R)`` with ``D = sign(diag R)``: unique."""
    d = R.diagonal(0, -2, -1).sign().detach()
    return Q * d.unsqueeze(-2), R * d.unsqueeze(-1)


def eigh_fixed(L, V):
    """Eigenvectors with a positive first row."""
    return L, V * V[..., :1, :].sign().detach()


def svd_fixed(U, S, Vh):
    """Singular vectors (first k) with a positive first row of U."""
    k = S.shape[-1]
    U, Vh = U[..., :, :k], Vh[..., :k, :]
    d = U[..., :1, :].sign().detach()
    return U * d, S, Vh * d.mT


# name: (function of (lib, *inputs) -> tensor or tuple, input makers, differentiable)
CASES = {
    "det": (lambda m, A: m.linalg.det(A), [gen(2, 3, 3)], True),
    "det_unbatched": (lambda m, A: m.linalg.det(A), [gen(4, 4)], True),
    "det_2batch": (lambda m, A: m.linalg.det(A), [gen(2, 2, 3, 3)], True),
    "slogdet": (lambda m, A: m.linalg.slogdet(A).logabsdet, [rand(3, 3, 3)], True),
    "inv": (lambda m, A: m.linalg.inv(A), [gen(2, 3, 3)], True),
    "inv_ex": (lambda m, A: m.linalg.inv_ex(A).inverse, [gen(4, 4)], True),
    "pinv_tall": (lambda m, A: m.linalg.pinv(A), [rand(2, 4, 3)], True),
    "pinv_wide": (lambda m, A: m.linalg.pinv(A), [rand(2, 3, 4)], True),
    "pinv_hermitian": (lambda m, A: m.linalg.pinv(A, hermitian=True), [spd(2, 3, 3)], True),
    "pinv_atol": (lambda m, A: m.linalg.pinv(A, atol=0.5), [rand(3, 4)], True),
    "pinv_tensor_tols": (lambda m, A: m.linalg.pinv(A, atol=m.tensor([0.0, 1.0], dtype=m.float64),
                                                     rtol=m.tensor([0.3, 0.3], dtype=m.float64)),
                         [rand(2, 3, 4)], True),
    "matrix_rank_tensor_atol": (lambda m, A: m.linalg.matrix_rank(
        A, atol=m.tensor([0.0, 1.5, 0.5], dtype=m.float64)), [rand(3, 4, 4)], False),
    "matrix_power_3": (lambda m, A: m.linalg.matrix_power(A, 3), [rand(2, 3, 3)], True),
    "matrix_power_5": (lambda m, A: m.linalg.matrix_power(A, 5), [rand(3, 3)], True),
    "matrix_power_neg": (lambda m, A: m.linalg.matrix_power(A, -2), [gen(2, 3, 3)], True),
    "matrix_power_1": (lambda m, A: m.linalg.matrix_power(A, 1), [rand(3, 3)], True),
    "matrix_exp_small": (lambda m, A: m.linalg.matrix_exp(A * 0.01), [rand(2, 3, 3)], True),
    "matrix_exp": (lambda m, A: m.linalg.matrix_exp(A), [rand(2, 3, 3)], True),
    "matrix_exp_large": (lambda m, A: m.linalg.matrix_exp(A * 4), [rand(3, 3)], True),
    "solve": (lambda m, A, B: m.linalg.solve(A, B), [gen(2, 3, 3), rand(2, 3, 2)], True),
    "solve_vector": (lambda m, A, B: m.linalg.solve(A, B), [gen(2, 3, 3), rand(2, 3)], True),
    "solve_1d": (lambda m, A, B: m.linalg.solve(A, B), [gen(2, 3, 3), rand(3)], True),
    "solve_broadcast": (lambda m, A, B: m.linalg.solve(A, B), [gen(2, 1, 3, 3), rand(4, 3, 2)],
                        True),
    "solve_right": (lambda m, A, B: m.linalg.solve(A, B, left=False), [gen(2, 3, 3), rand(2, 4, 3)],
                    True),
    "solve_ex": (lambda m, A, B: m.linalg.solve_ex(A, B).result, [gen(3, 3), rand(3, 2)], True),
    "solve_tri_upper": (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True),
                        [tri(2, 3, 3, upper=True), rand(2, 3, 2)], True),
    "solve_tri_lower": (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=False),
                        [tri(2, 3, 3, upper=False), rand(2, 3, 2)], True),
    "solve_tri_right_unit": (lambda m, A, B: m.linalg.solve_triangular(
        A, B, upper=False, left=False, unitriangular=True), [tri(3, 3, upper=False), rand(2, 4, 3)],
        True),
    "solve_tri_upper_right": (lambda m, A, B: m.linalg.solve_triangular(A, B, upper=True,
                                                                          left=False),
                              [tri(2, 3, 3, upper=True), rand(1, 2, 3)], True),
    "lstsq_tall": (lambda m, A, B: m.linalg.lstsq(A, B, driver="gelsd")[:2],
                   [rand(2, 5, 3), rand(2, 5, 2)], True),
    "lstsq_wide": (lambda m, A, B: m.linalg.lstsq(A, B, driver="gelsd").solution,
                   [rand(2, 3, 5), rand(2, 3, 2)], True),
    "lstsq_vector": (lambda m, A, B: m.linalg.lstsq(A, B, driver="gelsd")[:2],
                     [rand(2, 5, 3), rand(2, 5)], True),
    "cholesky": (lambda m, A: m.linalg.cholesky(A), [spd(2, 3, 3)], True),
    "cholesky_upper": (lambda m, A: m.linalg.cholesky(A, upper=True), [spd(2, 4, 4)], True),
    "cholesky_ex": (lambda m, A: m.linalg.cholesky_ex(A).L, [spd(3, 3)], True),
    "lu_factor": (lambda m, A: m.linalg.lu_factor(A).LU, [rand(2, 4, 4)], True),
    "lu_square": (lambda m, A: m.linalg.lu(A)[1:], [rand(2, 3, 3)], True),
    "lu_tall": (lambda m, A: m.linalg.lu(A)[1:], [rand(2, 5, 3)], True),
    "lu_wide": (lambda m, A: m.linalg.lu(A)[1:], [rand(2, 3, 5)], True),
    "lu_P": (lambda m, A: m.linalg.lu(A).P, [rand(2, 4, 3)], False),
    "lu_solve": (lambda m, A, B: m.linalg.lu_solve(*m.linalg.lu_factor(A), B),
                 [gen(2, 3, 3), rand(2, 3, 2)], True),
    "lu_solve_adjoint": (lambda m, A, B: m.linalg.lu_solve(*m.linalg.lu_factor(A), B, adjoint=True),
                         [gen(2, 3, 3), rand(2, 3, 2)], True),
    "lu_solve_right": (lambda m, A, B: m.linalg.lu_solve(*m.linalg.lu_factor(A), B, left=False),
                       [gen(2, 3, 3), rand(2, 4, 3)], True),
    "lu_solve_right_adjoint": (lambda m, A, B: m.linalg.lu_solve(*m.linalg.lu_factor(A), B,
                                                                 left=False, adjoint=True),
                               [gen(3, 3), rand(2, 4, 3)], True),
    "qr_tall": (lambda m, A: qr_fixed(*m.linalg.qr(A)), [rand(2, 5, 3)], True),
    "qr_square_complete": (lambda m, A: qr_fixed(*m.linalg.qr(A, mode="complete")),
                           [rand(2, 3, 3)], True),
    "qr_wide": (lambda m, A: qr_fixed(*m.linalg.qr(A)), [rand(2, 3, 5)], True),
    "qr_r": (lambda m, A: m.linalg.qr(A, mode="r")[1].abs(), [rand(2, 5, 3)], False),
    "qr_complete_tall": (lambda m, A: m.linalg.qr(A, mode="complete")[0].shape[-1] * A.sum(),
                         [rand(4, 2)], False),
    "eigh": (lambda m, A: eigh_fixed(*m.linalg.eigh(A)), [sym(2, 4, 4)], True),
    "eigh_upper": (lambda m, A: eigh_fixed(*m.linalg.eigh(A, UPLO="U")), [sym(2, 3, 3)], True),
    "eigh_reads_lower": (lambda m, A: m.linalg.eigh(A).eigenvalues, [rand(2, 3, 3)], False),
    "eigh_reads_upper": (lambda m, A: m.linalg.eigh(A, "U").eigenvalues, [rand(2, 3, 3)], False),
    "eigh_values_only": (lambda m, A: m.linalg.eigh(A)[0], [sym(2, 3, 3)], True),
    "eigvalsh": (lambda m, A: m.linalg.eigvalsh(A), [sym(2, 4, 4)], True),
    "svd_tall": (lambda m, A: svd_fixed(*m.linalg.svd(A, full_matrices=False)), [rand(2, 5, 3)],
                 True),
    "svd_wide": (lambda m, A: svd_fixed(*m.linalg.svd(A, full_matrices=False)), [rand(2, 3, 5)],
                 True),
    "svd_square": (lambda m, A: svd_fixed(*m.linalg.svd(A)), [rand(2, 3, 3)], True),
    "svd_full": (lambda m, A: svd_fixed(*m.linalg.svd(A)), [rand(2, 4, 3)], True),
    "svd_S_only": (lambda m, A: m.linalg.svd(A)[1], [rand(2, 4, 3)], True),
    "svd_U_only": (lambda m, A: svd_fixed(*m.linalg.svd(A, False))[0], [rand(2, 4, 3)], True),
    "svdvals": (lambda m, A: m.linalg.svdvals(A), [rand(2, 3, 4)], True),
    "matrix_rank": (lambda m, A: m.linalg.matrix_rank(A @ A.mT), [rand(2, 4, 2)], False),
    "matrix_rank_hermitian": (lambda m, A: m.linalg.matrix_rank(A @ A.mT, hermitian=True),
                              [rand(2, 4, 2)], False),
    "matrix_rank_rtol": (lambda m, A: m.linalg.matrix_rank(A, rtol=0.5), [rand(3, 4, 4)], False),
    "vector_norm": (lambda m, x: m.linalg.vector_norm(x), [rand(2, 3, 4)], True),
    "vector_norm_dim": (lambda m, x: m.linalg.vector_norm(x, 3, dim=(0, 2), keepdim=True),
                        [rand(2, 3, 4)], True),
    "vector_norm_1": (lambda m, x: m.linalg.vector_norm(x, 1, dim=-1), [rand(2, 3)], True),
    "vector_norm_inf": (lambda m, x: m.linalg.vector_norm(x, INF, dim=1), [rand(2, 3)], True),
    "vector_norm_neginf": (lambda m, x: m.linalg.vector_norm(x, -INF), [rand(2, 3)], True),
    "vector_norm_half": (lambda m, x: m.linalg.vector_norm(x, 0.5, 0), [rand(3, 2)], True),
    "vector_norm_0": (lambda m, x: m.linalg.vector_norm(x, 0), [rand(3, 2)], False),
    "vector_norm_dtype": (lambda m, x: m.linalg.vector_norm(x.float(), dtype=m.float64),
                          [rand(3, 2)], True),
    "matrix_norm_fro": (lambda m, A: m.linalg.matrix_norm(A), [rand(2, 3, 4)], True),
    "matrix_norm_nuc": (lambda m, A: m.linalg.matrix_norm(A, "nuc"), [rand(2, 3, 4)], True),
    "matrix_norm_inf": (lambda m, A: m.linalg.matrix_norm(A, INF), [rand(2, 3, 4)], True),
    "matrix_norm_neginf": (lambda m, A: m.linalg.matrix_norm(A, -INF), [rand(2, 3, 4)], True),
    "matrix_norm_1": (lambda m, A: m.linalg.matrix_norm(A, 1, keepdim=True), [rand(2, 3, 4)],
                      True),
    "matrix_norm_neg1": (lambda m, A: m.linalg.matrix_norm(A, -1), [rand(2, 3, 4)], True),
    "matrix_norm_2": (lambda m, A: m.linalg.matrix_norm(A, 2), [rand(2, 3, 4)], True),
    "matrix_norm_neg2_dims": (lambda m, A: m.linalg.matrix_norm(A, -2, dim=(0, 2), keepdim=True),
                              [rand(3, 2, 4)], True),
    "norm_default": (lambda m, A: m.linalg.norm(A), [rand(2, 3, 4)], True),
    "norm_vector_ord": (lambda m, x: m.linalg.norm(x, 3), [rand(5)], True),
    "norm_matrix_ord": (lambda m, A: m.linalg.norm(A, -INF), [rand(3, 4)], True),
    "norm_dim_pair": (lambda m, A: m.linalg.norm(A, "nuc", dim=(1, 2)), [rand(2, 3, 4)], True),
    "norm_dim_int": (lambda m, A: m.linalg.norm(A, 1, dim=1), [rand(2, 3, 4)], True),
    "cond": (lambda m, A: m.linalg.cond(A), [gen(2, 3, 3)], True),
    "cond_neg2_rect": (lambda m, A: m.linalg.cond(A, -2), [rand(2, 4, 3)], True),
    "cond_fro": (lambda m, A: m.linalg.cond(A, "fro"), [gen(2, 3, 3)], True),
    "cond_1": (lambda m, A: m.linalg.cond(A, 1), [gen(3, 3)], True),
    "cond_nuc": (lambda m, A: m.linalg.cond(A, "nuc"), [gen(3, 3)], True),
    "cross": (lambda m, a, b: m.linalg.cross(a, b), [rand(2, 3), rand(1, 3)], True),
    "cross_dim": (lambda m, a, b: m.linalg.cross(a, b, dim=0), [rand(3, 2), rand(3, 2)], True),
    "cross_int": (lambda m, a, b: m.linalg.cross((a * 4).long(), (b * 4).long()),
                  [rand(2, 3), rand(2, 3)], False),
    "vecdot": (lambda m, a, b: m.linalg.vecdot(a, b), [rand(2, 4), rand(4)], True),
    "vecdot_dim": (lambda m, a, b: m.linalg.vecdot(a, b, dim=0), [rand(4, 2), rand(4, 1)], True),
    "multi_dot": (lambda m, a, b, c, d: m.linalg.multi_dot([a, b, c, d]),
                  [rand(2, 5), rand(5, 1), rand(1, 4), rand(4, 3)], True),
    "multi_dot_vectors": (lambda m, a, b, c: m.linalg.multi_dot([a, b, c]),
                          [rand(3), rand(3, 4), rand(4)], True),
    "multi_dot_two": (lambda m, a, b: m.linalg.multi_dot((a, b)), [rand(3), rand(3, 2)], True),
    "diagonal": (lambda m, A: m.linalg.diagonal(A, offset=1), [rand(2, 3, 4)], True),
    "diagonal_dims": (lambda m, A: m.linalg.diagonal(A, dim1=0, dim2=2), [rand(3, 2, 3)], True),
    "householder_product": (lambda m, A, t: m.linalg.householder_product(A, t),
                            [rand(2, 4, 3), taus(2, 2)], True),
    "householder_square": (lambda m, A, t: m.linalg.householder_product(A, t),
                           [rand(3, 3), taus(3)], True),
    "tensorinv": (lambda m, A: m.linalg.tensorinv(A, ind=1), [gen(4, 2, 2)], True),
    "tensorsolve": (lambda m, A, B: m.linalg.tensorsolve(A, B), [gen(2, 3, 6), rand(2, 3)], True),
    "tensorsolve_dims": (lambda m, A, B: m.linalg.tensorsolve(A, B, dims=(0,)),
                         [gen(6, 2, 3), rand(2, 3)], True),
    "vander": (lambda m, x: m.linalg.vander(x), [rand(2, 3)], True),
    "vander_N": (lambda m, x: m.linalg.vander(x, N=5), [rand(4)], True),
    "matmul": (lambda m, a, b: m.linalg.matmul(a, b), [rand(2, 3, 4), rand(4, 2)], True),
}

# Functions reading one triangle of a symmetric input: finite differences of single elements
# see only that triangle, while the gradient (PyTorch's convention) is symmetric, so gradcheck
# runs them on (A + A^T) / 2.
_SYMMETRIC = {"eigh", "eigh_upper", "eigh_values_only", "eigvalsh", "cholesky",
              "cholesky_upper", "cholesky_ex", "pinv_hermitian"}
# matrix_exp_large: the same code as matrix_exp with more squarings; vector_norm_dtype: its
# input is rounded to float32 inside the function.
# pinv_tensor_tols: a cutoff that drops a nonzero singular value makes the result the
# pseudo-inverse of a truncated matrix, which the pinv gradient formula (PyTorch's, compared
# above) does not describe.
_NO_GRADCHECK = {"matrix_exp_large", "vector_norm_dtype", "pinv_tensor_tols"}
# torch.linalg.cond(A, p) for these p fails in its own backward (an in-place write on the saved
# inverse), so only finite differences check ember's gradient.
_TORCH_GRAD_FAILS = {"cond_fro", "cond_1"}


def _arrays(name):
    rng = _rng(name)
    return [np.asarray(make(rng), dtype=np.float64) for make in CASES[name][1]]


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def assert_close(e, t, rtol, atol, what=""):
    """ember result ``e`` equals torch result ``t`` (values, shape, dtype kind)."""
    ea = e.detach().numpy()
    ta = t.detach().cpu().numpy()
    assert ea.shape == ta.shape, f"{what}: shape {ea.shape} != torch {ta.shape}"
    np.testing.assert_allclose(ea, ta, rtol=rtol, atol=atol, err_msg=what)


def _run(name, arrays, dtype_np, requires_grad):
    fn = CASES[name][0]
    es = [ember.from_numpy(a.astype(dtype_np)).requires_grad_(requires_grad) for a in arrays]
    ts = [torch.tensor(a.astype(dtype_np), requires_grad=requires_grad) for a in arrays]
    return es, ts, _as_tuple(fn(ember, *es)), _as_tuple(fn(torch, *ts))


@pytest.mark.parametrize("name", list(CASES))
def test_forward_matches_torch_float64(name):
    _, _, eo, to = _run(name, _arrays(name), np.float64, False)
    assert len(eo) == len(to)
    for i, (e, t) in enumerate(zip(eo, to)):
        assert_close(e, t, 1e-9, 1e-10, f"{name} output {i}")


@pytest.mark.parametrize("name", [n for n in CASES if not n.startswith(("matrix_rank", "lu_P"))])
def test_forward_matches_torch_float32(name):
    _, _, eo, to = _run(name, _arrays(name), np.float32, False)
    for i, (e, t) in enumerate(zip(eo, to)):
        assert e.dtype.name == str(t.dtype).split(".")[-1], f"{name} output {i}: {e.dtype}"
        # float32 LAPACK results differ in the last digits (different blocking and order).
        assert_close(e, t, 2e-4, 2e-4, f"{name} output {i}")


def _weights(name, outs):
    rng = _rng(name + "/w")
    return [rng.standard_normal(tuple(o.shape)) for o in outs]


def _loss(lib, outs, ws):
    total = 0
    for o, w in zip(outs, ws):
        if o.dtype in (ember.float64, torch.float64):
            total = total + (o * lib.from_numpy(w.copy())).sum()
    return total


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][2] and n not in _TORCH_GRAD_FAILS])
def test_gradients_match_torch(name):
    es, ts, eo, to = _run(name, _arrays(name), np.float64, True)
    ws = _weights(name, to)
    ge = ember.autograd.grad([_loss(ember, eo, ws)], es)
    gt = torch.autograd.grad([_loss(torch, to, ws)], ts)
    for i, (a, b) in enumerate(zip(ge, gt)):
        assert_close(a, b, 1e-7, 1e-9, f"{name} grad of input {i}")


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][2] and n not in _NO_GRADCHECK])
def test_gradcheck_float64(name):
    arrays = _arrays(name)
    es = [ember.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    fn = CASES[name][0]
    if name in _SYMMETRIC:
        assert gradcheck(lambda A: fn(ember, (A + A.mT) * 0.5), es, eps=1e-6, atol=1e-5,
                         rtol=1e-3)
    else:
        assert gradcheck(lambda *xs: fn(ember, *xs), es, eps=1e-6, atol=1e-5, rtol=1e-3)


# name, function (lib, A) of one float64 input, input maker: second derivatives vs torch.
SECOND = {
    "det": (lambda m, A: m.linalg.det(A), gen(2, 3, 3)),
    "slogdet": (lambda m, A: m.linalg.slogdet(A)[1], rand(2, 3, 3)),
    "inv": (lambda m, A: m.linalg.inv(A), gen(3, 3)),
    "solve": (lambda m, A: m.linalg.solve(A, A[..., 0] * 2 + 1), gen(2, 3, 3)),
    "solve_triangular": (lambda m, A: m.linalg.solve_triangular(A, A.mT, upper=True),
                         tri(3, 3, upper=True)),
    "cholesky": (lambda m, A: m.linalg.cholesky(A), spd(2, 3, 3)),
    "eigh": (lambda m, A: eigh_fixed(*m.linalg.eigh(A))[1], sym(3, 3)),
    "eigvalsh": (lambda m, A: m.linalg.eigvalsh(A), sym(3, 3)),
    "svd": (lambda m, A: svd_fixed(*m.linalg.svd(A, False))[0], rand(4, 3)),
    "svdvals": (lambda m, A: m.linalg.svdvals(A), rand(3, 4)),
    "qr": (lambda m, A: qr_fixed(*m.linalg.qr(A))[0], rand(4, 3)),
    "pinv": (lambda m, A: m.linalg.pinv(A), rand(3, 4)),
    "lu": (lambda m, A: m.linalg.lu(A).U, rand(3, 3)),
    "matrix_exp": (lambda m, A: m.linalg.matrix_exp(A), rand(3, 3)),
}


@pytest.mark.parametrize("name", list(SECOND))
def test_second_derivatives_match_torch(name):
    fn, make = SECOND[name]
    a = np.asarray(make(_rng("2nd/" + name)), dtype=np.float64)
    e = ember.from_numpy(a.copy()).requires_grad_(True)
    t = torch.tensor(a, requires_grad=True)
    eo, to = fn(ember, e), fn(torch, t)
    w1 = _rng("w1/" + name).standard_normal(tuple(to.shape))
    w2 = _rng("w2/" + name).standard_normal(a.shape)
    (ge,) = ember.autograd.grad([(eo * ember.from_numpy(w1.copy())).sum()], [e], create_graph=True)
    (gt,) = torch.autograd.grad([(to * torch.from_numpy(w1.copy())).sum()], [t], create_graph=True)
    assert_close(ge, gt, 1e-7, 1e-9, f"{name} first derivative")
    assert ge.requires_grad
    (gge,) = ember.autograd.grad([(ge * ember.from_numpy(w2.copy())).sum()], [e])
    (ggt,) = torch.autograd.grad([(gt * torch.from_numpy(w2.copy())).sum()], [t])
    assert_close(gge, ggt, 1e-6, 1e-8, f"{name} second derivative")


# ---- reconstructions and properties -----------------------------------------------------------


def test_factorizations_reconstruct_batched_inputs():
    rng = _rng("reconstruct")
    A = rng.standard_normal((2, 3, 5, 4))
    E = ember.from_numpy(A.copy())
    Q, R = ember.linalg.qr(E)
    np.testing.assert_allclose((Q @ R).numpy(), A, atol=1e-12)
    np.testing.assert_allclose((Q.mT @ Q).numpy(), np.broadcast_to(np.eye(4), (2, 3, 4, 4)),
                               atol=1e-12)
    U, S, Vh = ember.linalg.svd(E, full_matrices=False)
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ Vh).numpy(), A, atol=1e-12)
    P, L, U2 = ember.linalg.lu(E)
    np.testing.assert_allclose((P @ L @ U2).numpy(), A, atol=1e-12)
    S2 = A @ np.swapaxes(A, -1, -2) + np.eye(5)
    w, V = ember.linalg.eigh(ember.from_numpy(S2.copy()))
    np.testing.assert_allclose(((V * w.unsqueeze(-2)) @ V.mT).numpy(), S2, atol=1e-10)
    C = ember.linalg.cholesky(ember.from_numpy(S2.copy()))
    np.testing.assert_allclose((C @ C.mT).numpy(), S2, atol=1e-10)


def test_lu_factor_pivots_and_lu_unpack_match_torch():
    a = _rng("pivots").standard_normal((3, 4, 4))
    LU, piv = ember.linalg.lu_factor(ember.from_numpy(a.copy()))
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    assert piv.dtype == ember.int32
    np.testing.assert_array_equal(piv.numpy(), tpiv.numpy())
    P, L, U = ember.linalg.lu_unpack(LU, piv)
    tP, tL, tU = torch.lu_unpack(tLU, tpiv)
    for e, t in ((P, tP), (L, tL), (U, tU)):
        assert_close(e, t, 1e-10, 1e-12, "lu_unpack")


def test_lstsq_results_match_torch_gelsd_and_driver_conventions():
    rng = _rng("lstsq")
    a, b = rng.standard_normal((2, 1, 6, 3)), rng.standard_normal((1, 4, 6, 2))
    a[0, 0, :, 2] = a[0, 0, :, 1]  # rank 2 in one batch element: residuals become empty
    e = ember.linalg.lstsq(ember.from_numpy(a.copy()), ember.from_numpy(b.copy()))
    t = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver="gelsd")
    assert_close(e.solution, t.solution, 1e-8, 1e-10, "solution")
    assert tuple(e.residuals.shape) == tuple(t.residuals.shape) == (0,)
    np.testing.assert_array_equal(e.rank.numpy(), t.rank.numpy())
    assert e.rank.dtype == ember.int64
    assert_close(e.singular_values, t.singular_values, 1e-10, 1e-12, "singular values")
    full = rng.standard_normal((6, 3))
    for driver in ("gels", "gelsy", "gelss"):
        e = ember.linalg.lstsq(ember.from_numpy(full.copy()), ember.from_numpy(b[0, 0].copy()),
                               driver=driver)
        t = torch.linalg.lstsq(torch.tensor(full), torch.tensor(b[0, 0]), driver=driver)
        assert_close(e.solution, t.solution, 1e-8, 1e-10, driver)
        for field in ("residuals", "rank", "singular_values"):
            assert tuple(getattr(e, field).shape) == tuple(getattr(t, field).shape), (driver, field)
        if driver != "gelsy":
            assert_close(e.residuals, t.residuals, 1e-8, 1e-10, driver)


def test_singular_matrices_gradients():
    # det of a singular matrix: the cofactor matrix (finite), as PyTorch for rank n-1.
    u = _rng("singular").standard_normal((3, 2))
    s = u @ u.T
    e = ember.from_numpy(s.copy()).requires_grad_(True)
    t = torch.tensor(s, requires_grad=True)
    ember.linalg.det(e).backward()
    torch.linalg.det(t).backward()
    assert_close(e.grad, t.grad, 1e-6, 1e-8, "det grad at a singular matrix")
    # slogdet at an exactly singular matrix: not finite (PyTorch gives inf too).
    z = ember.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=ember.float64, requires_grad=True)
    sign, logabs = ember.linalg.slogdet(z)
    assert sign.item() == 0 and logabs.item() == -INF
    logabs.backward()
    assert not np.isfinite(z.grad.numpy()).all()


def test_det_gradient_at_exactly_singular_matrix_is_the_cofactor_matrix():
    # An exactly zero LU pivot: PyTorch returns zeros here; the derivative of the polynomial
    # det is the cofactor matrix, which ember returns (and finite differences confirm).
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]])
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])
    e = ember.from_numpy(a.copy()).requires_grad_(True)
    ember.linalg.det(e).backward()
    np.testing.assert_allclose(e.grad.numpy(), cof, atol=1e-12)
    assert np.abs(cof).max() > 1
    assert gradcheck(ember.linalg.det, [ember.from_numpy(a.copy()).requires_grad_(True)])
    # a batch mixing singular and regular matrices
    b = np.stack([a, a + np.eye(3), np.zeros((3, 3))])
    e = ember.from_numpy(b.copy()).requires_grad_(True)
    t = torch.tensor(b[1:], requires_grad=True)
    ember.linalg.det(e).sum().backward()
    torch.linalg.det(t).sum().backward()
    np.testing.assert_allclose(e.grad.numpy()[1:], t.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(e.grad.numpy()[0], cof, atol=1e-12)


def test_no_grad_inputs_give_outputs_without_grad():
    a = ember.randn(2, 3, 3, dtype=ember.float64)
    outs = [ember.linalg.inv(a), ember.linalg.svd(a).U, ember.linalg.qr(a).Q, ember.linalg.det(a)]
    assert not any(o.requires_grad for o in outs)
    b = a.clone().requires_grad_(True)
    with ember.no_grad():
        assert not ember.linalg.eigh(b @ b.mT).eigenvectors.requires_grad
    info = ember.linalg.inv_ex(b).info
    assert info.dtype == ember.int32 and not info.requires_grad


def test_repeated_eigenvalues_give_non_finite_eigenvector_gradients():
    a = ember.eye(3, dtype=ember.float64).requires_grad_(True)
    _, V = ember.linalg.eigh(a)
    (V * ember.tensor([[1.0, 2.0, 3.0]] * 3, dtype=ember.float64)).sum().backward()
    assert not np.isfinite(a.grad.numpy()).all()
    # eigenvalues alone stay well defined
    b = ember.eye(3, dtype=ember.float64).requires_grad_(True)
    ember.linalg.eigvalsh(b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.eye(3), atol=1e-12)
    c = ember.eye(3, dtype=ember.float64).requires_grad_(True)
    ember.linalg.svdvals(c).sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), np.eye(3), atol=1e-12)


def test_ex_functions_report_info_like_torch():
    s = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 3.0]]])
    e, t = ember.from_numpy(s.copy()), torch.tensor(s)
    ei, ti = ember.linalg.inv_ex(e), torch.linalg.inv_ex(t)
    np.testing.assert_array_equal(ei.info.numpy(), ti.info.numpy())
    assert ei.info.dtype == ember.int32
    assert_close(ei.inverse[1], ti.inverse[1], 1e-12, 1e-12, "good element of inv_ex")
    assert not np.isfinite(ei.inverse[0].numpy()).all()
    es = ember.linalg.solve_ex(e, ember.ones(2, 2, dtype=ember.float64))
    ts = torch.linalg.solve_ex(t, torch.ones(2, 2, dtype=torch.float64))
    np.testing.assert_array_equal(es.info.numpy(), ts.info.numpy())
    lf, tf = ember.linalg.lu_factor_ex(e), torch.linalg.lu_factor_ex(t)
    np.testing.assert_array_equal(lf.info.numpy(), tf.info.numpy())
    assert_close(lf.LU, tf.LU, 1e-12, 1e-12, "lu_factor_ex LU")
    npd = np.array([[[1.0, 2.0], [2.0, 1.0]], [[4.0, 2.0], [2.0, 3.0]], [[-1.0, 0], [0, 1]]])
    ec = ember.linalg.cholesky_ex(ember.from_numpy(npd.copy()))
    tc = torch.linalg.cholesky_ex(torch.tensor(npd))
    np.testing.assert_array_equal(ec.info.numpy(), tc.info.numpy())
    assert_close(ec.L[1], tc.L[1], 1e-12, 1e-12, "good element of cholesky_ex")


def test_solve_triangular_with_zero_diagonal_gives_inf_like_torch():
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    e = ember.linalg.solve_triangular(ember.from_numpy(a.copy()),
                                      ember.ones(2, 1, dtype=ember.float64), upper=False)
    t = torch.linalg.solve_triangular(torch.tensor(a), torch.ones(2, 1, dtype=torch.float64),
                                      upper=False)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_empty_and_singular_cond_match_torch():
    z = np.zeros((2, 0, 0))
    assert_close(ember.linalg.det(ember.from_numpy(z.copy())), torch.linalg.det(torch.tensor(z)),
                 0, 0, "det of 0x0")
    assert tuple(ember.linalg.inv(ember.from_numpy(z.copy())).shape) == (2, 0, 0)
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    for p in ("fro", 1, INF):
        e = ember.linalg.cond(ember.from_numpy(s.copy()), p)
        assert e.item() == torch.linalg.cond(torch.tensor(s), p).item() == INF


def test_matrix_power_zero_and_integers():
    a = ember.tensor([[1, 1], [0, 1]])
    np.testing.assert_array_equal(ember.linalg.matrix_power(a, 4).numpy(), [[1, 4], [0, 1]])
    x = ember.randn(2, 3, 3, dtype=ember.float64).requires_grad_(True)
    y = ember.linalg.matrix_power(x, 0)
    np.testing.assert_array_equal(y.detach().numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 3)))


def test_vector_norm_gradient_at_zero_is_zero_like_torch():
    for ord in (2, 3, 1.5, INF):
        x = ember.zeros(3, dtype=ember.float64, requires_grad=True)
        t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        ember.linalg.vector_norm(x, ord).backward()
        torch.linalg.vector_norm(t, ord).backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
