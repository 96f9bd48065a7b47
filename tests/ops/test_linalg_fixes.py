"""ember.linalg against torch.linalg on the cases of a review: matrix_exp scaled per matrix,
non-finite input to the SVD/eigh-based functions and to det's gradient, solve's gradient for a
numerically singular matrix (one LU of A, reused), and matrix_norm/cond of empty matrices."""

from __future__ import annotations

import math
import subprocess
import sys

import ember
import ember.linalg as LA
import numpy as np
import pytest

torch = pytest.importorskip("torch")

NAN, INF = math.nan, math.inf


def _e(a, dtype=np.float64):
    return ember.from_numpy(np.array(a, dtype=dtype))


def _tt(a, dtype=np.float64):
    return torch.tensor(np.array(a, dtype=dtype))


def assert_same(e, t, rtol=1e-12, atol=0.0, what=""):
    """ember result ``e`` equals torch result ``t``: shape, NaN positions and values."""
    e = e.detach().numpy() if hasattr(e, "detach") else np.asarray(e)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert e.shape == t.shape, f"{what}: shape {e.shape} != torch {t.shape}"
    np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def assert_raises_like_torch(fe, ft, a, pattern):
    """``fe`` on ``a`` raises ember's LinAlgError matching ``pattern`` where ``ft`` on ``a``
    raises in torch (any RuntimeError)."""
    with pytest.raises(RuntimeError):
        ft(_tt(a))
    with pytest.raises(LA.LinAlgError, match=pattern):
        fe(_e(a))


# ---- matrix_exp: degree and scaling per matrix -------------------------------------------------


def test_matrix_exp_nonfinite_member_does_not_change_the_others():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4)) * 40  # 1-norm ~ 100: degree 13 with scaling
    batch = np.stack([A, np.full((4, 4), NAN), A * 1e-3, A.copy()])
    batch[3, 1, 2] = INF
    e = LA.matrix_exp(_e(batch)).numpy()
    t = torch.linalg.matrix_exp(_tt(batch)).numpy()
    alone = LA.matrix_exp(_e(A)).numpy()
    np.testing.assert_array_equal(e[0], alone)  # bit for bit as when computed alone
    np.testing.assert_allclose(e[0], t[0], rtol=1e-12)
    np.testing.assert_allclose(e[2], t[2], rtol=1e-13)
    assert np.isnan(e[1]).all() and np.isnan(t[1]).all()
    assert np.isnan(e[3]).all() and np.isnan(t[3]).all()


def test_matrix_exp_small_member_keeps_float32_accuracy_next_to_a_large_one():
    rng = np.random.default_rng(1)
    small = (rng.standard_normal((4, 4)) * 0.01).astype(np.float32)
    big = (rng.standard_normal((4, 4)) * 200).astype(np.float32)
    e = LA.matrix_exp(_e(np.stack([small, big]), np.float32)).numpy()
    t = torch.linalg.matrix_exp(_tt(np.stack([small, big]), np.float32)).numpy()
    np.testing.assert_array_equal(e[0], LA.matrix_exp(_e(small, np.float32)).numpy())
    ref = torch.linalg.matrix_exp(_tt(small)).numpy()  # float64 reference
    assert np.abs(e[0] - ref).max() / np.abs(ref).max() < 5e-7  # was 2.6e-5 (batch-wide s)
    np.testing.assert_allclose(e[0], t[0], rtol=1e-6)


def test_matrix_exp_mixed_batch_gradient_matches_torch_and_isolates_nan():
    rng = np.random.default_rng(2)
    norms = (0.005, 0.2, 0.8, 1.5, 4.0, 30.0)  # one matrix per Pade degree, two scalings
    batch = np.stack([rng.standard_normal((3, 3)) * s for s in norms])
    w = rng.standard_normal(batch.shape)
    a = _e(batch).requires_grad_(True)
    (LA.matrix_exp(a) * _e(w)).sum().backward()
    ta = _tt(batch).requires_grad_(True)
    (torch.linalg.matrix_exp(ta) * _tt(w)).sum().backward()
    for i in range(len(norms)):
        assert_same(a.grad[i], ta.grad[i], rtol=1e-10, atol=1e-12, what=f"grad of member {i}")
    withnan = np.concatenate([batch, np.full((1, 3, 3), NAN)])
    b = _e(withnan).requires_grad_(True)
    (LA.matrix_exp(b) * _e(np.concatenate([w, w[:1]]))).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy()[:-1], a.grad.numpy())
    assert np.isnan(b.grad.numpy()[-1]).all()


def test_matrix_exp_gradcheck_mixed_degrees():
    from ember.autograd import gradcheck

    rng = np.random.default_rng(3)
    x = _e(np.stack([rng.standard_normal((3, 3)) * s for s in (0.05, 0.6, 3.0)]))
    assert gradcheck(LA.matrix_exp, (x.requires_grad_(True),))


# ---- non-finite input: SVD/eigh family -----------------------------------------------------------

_NAN_A = [[1.0, NAN], [2.0, 3.0]]

# name -> (ember call, torch call)
_SVD_BASED = {
    "linalg.svdvals": (lambda A: LA.svdvals(A), lambda A: torch.linalg.svdvals(A)),
    "linalg.svd": (lambda A: LA.svd(A), lambda A: torch.linalg.svd(A)),
    "svd": (lambda A: A.svd(), lambda A: A.svd()),
    "linalg.pinv": (lambda A: LA.pinv(A), lambda A: torch.linalg.pinv(A)),
    "linalg.cond": (lambda A: LA.cond(A), lambda A: torch.linalg.cond(A)),
    "linalg.matrix_norm": (lambda A: LA.matrix_norm(A, 2), lambda A: torch.linalg.matrix_norm(A, 2)),
    "linalg.matrix_rank": (lambda A: LA.matrix_rank(A), lambda A: torch.linalg.matrix_rank(A)),
    "linalg.lstsq": (lambda A: LA.lstsq(A, A), lambda A: torch.linalg.lstsq(A, A)),
}


@pytest.mark.parametrize("name", sorted(_SVD_BASED))
def test_nan_raises_ember_linalg_error_where_torch_raises(name):
    fe, ft = _SVD_BASED[name]
    pattern = "^" + name.replace(".", r"\.") + ": "
    assert_raises_like_torch(fe, ft, _NAN_A, pattern)
    assert_raises_like_torch(fe, ft, [np.eye(2), _NAN_A], pattern + r"\(Batch element 1\): ")


def test_nan_in_other_svd_based_norms_raises():
    for fe, ft in [(lambda A: LA.matrix_norm(A, -2), lambda A: torch.linalg.matrix_norm(A, -2)),
                   (lambda A: LA.matrix_norm(A, "nuc"),
                    lambda A: torch.linalg.matrix_norm(A, "nuc")),
                   (lambda A: LA.cond(A, -2), lambda A: torch.linalg.cond(A, -2)),
                   (lambda A: LA.cond(A, "nuc"), lambda A: torch.linalg.cond(A, "nuc")),
                   (lambda A: LA.svd(A, full_matrices=False).S,
                    lambda A: torch.linalg.svd(A, full_matrices=False).S),
                   (lambda A: A.svd(compute_uv=False).S, lambda A: A.svd(compute_uv=False).S)]:
        assert_raises_like_torch(fe, ft, _NAN_A, "The algorithm failed to converge because the "
                                 "input matrix contained non-finite values")


def test_lstsq_nan_in_b_raises():
    A, B = [[1.0, 2.0], [3.0, 5.0], [1.0, 1.0]], [[1.0], [NAN], [1.0]]
    assert_raises_like_torch(lambda a: LA.lstsq(a, _e(B)),
                             lambda a: torch.linalg.lstsq(a, _tt(B)), A, r"^linalg\.lstsq: ")


def test_inf_gives_nan_like_torch_and_leaves_the_batch_alone():
    ok = np.array([[1.0, 2.0], [3.0, 4.0]])
    batch = np.stack([ok, [[1.0, INF], [2.0, 3.0]]])
    for fe, ft in [(LA.svdvals, torch.linalg.svdvals),
                   (lambda A: LA.matrix_norm(A, 2), lambda A: torch.linalg.matrix_norm(A, 2)),
                   (lambda A: LA.matrix_norm(A, "nuc"),
                    lambda A: torch.linalg.matrix_norm(A, "nuc")),
                   (LA.cond, torch.linalg.cond), (LA.pinv, torch.linalg.pinv),
                   (LA.matrix_rank, torch.linalg.matrix_rank),
                   (lambda A: LA.svd(A).S, lambda A: torch.linalg.svd(A).S)]:
        assert_same(fe(_e(batch)), ft(_tt(batch)), rtol=1e-12)
        assert_same(fe(_e(batch))[0], fe(_e(ok)), rtol=0)


def test_svd_of_a_matrix_with_inf_returns_instead_of_hanging():
    # numpy's own svd (OpenBLAS gesdd) never returns on this matrix; ember must not call it.
    code = ("import numpy as np, ember\n"
            "a = np.ones((3, 16)); a[0, 5] = np.inf\n"
            "U, S, Vh = ember.linalg.svd(ember.from_numpy(a))\n"
            "assert np.isnan(S.numpy()).all() and np.isnan(U.numpy()).all()\n"
            "assert np.isnan(ember.linalg.pinv(ember.from_numpy(a)).numpy()).all()\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    a = np.ones((3, 16))
    a[0, 5] = INF
    assert_same(LA.svdvals(_e(a)), torch.linalg.svdvals(_tt(a)))


def test_eigh_nonfinite_matches_torch():
    for a in ([[1.0, NAN], [2.0, 3.0]],  # NaN outside the read triangle: finite results
              [[1.0, 2.0], [NAN, 3.0]],  # inside: NaN results
              [[INF, 0.0], [0.0, 1.0]]):
        assert_same(LA.eigvalsh(_e(a)), torch.linalg.eigvalsh(_tt(a)), rtol=1e-12)
        assert_same(LA.eigh(_e(a)).eigenvalues, torch.linalg.eigh(_tt(a)).eigenvalues,
                    rtol=1e-12)
        assert_same(LA.matrix_rank(_e(a), hermitian=True),
                    torch.linalg.matrix_rank(_tt(a), hermitian=True))


def test_eigh_not_converging_raises_ember_linalg_error_like_torch():
    a = [[0.0, 0.7, -1.3], [0.4, 0.4, 0.7], [NAN, -0.7, -0.4]]  # LAPACK syevd fails on it
    batch = [np.eye(3), a]
    msg = r"\(Batch element 1\): The algorithm failed to converge because the input matrix is"
    for name, fe, ft in [
        ("linalg.eigh", LA.eigh, torch.linalg.eigh),
        ("linalg.eigvalsh", LA.eigvalsh, torch.linalg.eigvalsh),
        ("linalg.pinv", lambda A: LA.pinv(A, hermitian=True),
         lambda A: torch.linalg.pinv(A, hermitian=True)),
        ("linalg.matrix_rank", lambda A: LA.matrix_rank(A, hermitian=True),
         lambda A: torch.linalg.matrix_rank(A, hermitian=True)),
    ]:
        assert_raises_like_torch(fe, ft, batch, "^" + name.replace(".", r"\.") + ": " + msg)


# ---- det backward on non-finite matrices ---------------------------------------------------------


def test_det_gradient_nan_for_nonfinite_matrices_only():
    batch = [[[1.0, 2.0], [3.0, 4.0]], _NAN_A, [[2.0, 1.0], [1.0, 3.0]], [[1.0, INF], [2.0, 3.0]]]
    a = _e(batch).requires_grad_(True)
    LA.det(a).sum().backward()
    t = _tt(batch[:3]).requires_grad_(True)
    torch.linalg.det(t).sum().backward()
    g = a.grad.numpy()
    assert_same(g[:3], t.grad, rtol=1e-12, atol=1e-15, what="det grad")  # NaN for element 1
    assert np.isnan(g[1]).all() and np.isnan(g[3]).all()
    # a batch with a singular member (SVD branch) and a NaN one
    b = _e([[[1.0, 2.0], [2.0, 4.0]], _NAN_A]).requires_grad_(True)
    LA.det(b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy()[0], [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    assert np.isnan(b.grad.numpy()[1]).all()


def test_det_gradient_of_nan_matrix_matches_torch():
    a = _e(_NAN_A).requires_grad_(True)
    LA.det(a).backward()
    t = _tt(_NAN_A).requires_grad_(True)
    torch.linalg.det(t).backward()
    assert_same(a.grad, t.grad)


# ---- solve: the adjoint system with A's own LU -------------------------------------------------


def test_solve_gradient_finite_for_numerically_singular_matrix_like_torch():
    A = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]  # getrf(A^T) meets an exact 0
    b = [1.0, -2.0, 0.5]
    a = _e(A).requires_grad_(True)
    bb = _e(b).requires_grad_(True)
    x = LA.solve(a, bb)
    x.sum().backward()
    ta = _tt(A).requires_grad_(True)
    tb = _tt(b).requires_grad_(True)
    tx = torch.linalg.solve(ta, tb)
    tx.sum().backward()
    assert np.isfinite(a.grad.numpy()).all() and np.isfinite(bb.grad.numpy()).all()
    # A is singular: x is a huge multiple of its null vector (1, -2, 1), the multiple set by the
    # rounding left in U's last pivot, which differs between LAPACK builds and CPUs (on one CPU
    # PyTorch gave 1.7e16 times it, ember -2.5e16). So the direction and size of x are
    # checked, and the gradients against their formulas: dL/db = solve(A^T, 1), which is
    # well determined here, and dL/dA = -dL/db x^T with ember's own x.
    xv, tv = x.detach().numpy(), tx.detach().numpy()
    null = np.array([1.0, -2.0, 1.0]) / np.sqrt(6.0)
    for v in (xv, tv):
        assert np.linalg.norm(v) > 1e15
        np.testing.assert_allclose(abs(v @ null) / np.linalg.norm(v), 1.0, rtol=1e-12)
    assert_same(bb.grad, tb.grad, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(a.grad.numpy(), -np.outer(bb.grad.numpy(), xv), rtol=1e-8)
    c = _e(A).requires_grad_(True)  # X A = B: A^T X^T = B^T with A's LU
    LA.solve(c, _e([b]), left=False).sum().backward()
    assert np.isfinite(c.grad.numpy()).all()


def test_solve_backward_reuses_the_forward_lu(monkeypatch):
    calls = []
    real = LA._np_lu
    monkeypatch.setattr(LA, "_np_lu", lambda a: calls.append(a.shape) or real(a))
    rng = np.random.default_rng(4)
    A = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    B = rng.standard_normal((2, 3, 2))
    a, b = _e(A).requires_grad_(True), _e(B).requires_grad_(True)
    x = LA.solve(a, b)
    assert len(calls) == 1
    w = rng.standard_normal((2, 3, 2))
    (x * _e(w)).sum().backward()
    assert len(calls) == 1  # the backward solved A^T gB = G with the forward's factors
    ta, tb = _tt(A).requires_grad_(True), _tt(B).requires_grad_(True)
    (torch.linalg.solve(ta, tb) * _tt(w)).sum().backward()
    assert_same(a.grad, ta.grad, rtol=1e-12, atol=1e-14)
    assert_same(b.grad, tb.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("left", [True, False])
def test_solve_gradients_and_second_derivatives_match_torch(left):
    rng = np.random.default_rng(5)
    A = rng.standard_normal((2, 1, 3, 3)) + 3 * np.eye(3)
    B = rng.standard_normal((3, 3, 2) if left else (3, 2, 3))
    a, b = _e(A).requires_grad_(True), _e(B).requires_grad_(True)
    ta, tb = _tt(A).requires_grad_(True), _tt(B).requires_grad_(True)
    x = LA.solve(a, b, left=left)
    tx = torch.linalg.solve(ta, tb, left=left)
    assert_same(x, tx, rtol=1e-12, atol=1e-14)
    ga, = ember.autograd.grad(x.sum(), [a], create_graph=True)
    tga, = torch.autograd.grad(tx.sum(), [ta], create_graph=True)
    assert_same(ga, tga, rtol=1e-12, atol=1e-14)
    (ga ** 2).sum().backward()
    (tga ** 2).sum().backward()
    assert_same(a.grad, ta.grad, rtol=1e-10, atol=1e-12)
    assert_same(b.grad, tb.grad, rtol=1e-10, atol=1e-12)


# ---- empty matrices in matrix_norm and cond ----------------------------------------------------

_EMPTY = [(0, 3), (3, 0), (2, 0, 0), (0, 0), (2, 0, 3), (2, 3, 0), (0, 2, 2)]
_ORDS = ["fro", "nuc", 1, -1, 2, -2, INF, -INF]


@pytest.mark.parametrize("shape", _EMPTY, ids=str)
def test_matrix_norm_of_empty_matches_torch(shape):
    for o in _ORDS:
        for keepdim in (False, True):
            try:
                t = torch.linalg.matrix_norm(torch.zeros(*shape), o, keepdim=keepdim)
            except (RuntimeError, IndexError):
                with pytest.raises(ValueError, match=r"^linalg\.matrix_norm: cannot compute"):
                    LA.matrix_norm(ember.zeros(*shape), o, keepdim=keepdim)
                continue
            e = LA.matrix_norm(ember.zeros(*shape), o, keepdim=keepdim)
            assert_same(e, t, rtol=0, what=f"{shape} ord={o} keepdim={keepdim}")


@pytest.mark.parametrize("shape", _EMPTY, ids=str)
def test_cond_of_empty_matches_torch(shape):
    for p in [None, *_ORDS]:
        try:
            t = torch.linalg.cond(torch.zeros(*shape), p)
        except RuntimeError:
            with pytest.raises(ValueError, match=r"^linalg\.cond: A must be a square matrix"):
                LA.cond(ember.zeros(*shape), p)
            continue
        assert_same(LA.cond(ember.zeros(*shape), p), t, rtol=0, what=f"{shape} p={p}")


def test_matrix_norm_of_empty_has_a_gradient():
    x = ember.zeros(2, 0, 3, requires_grad=True)
    LA.matrix_norm(x, 1).sum().backward()
    assert tuple(x.grad.shape) == (2, 0, 3)


def test_cond_singular_and_nan_matrices_match_torch():
    for a in ([[0.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]], _NAN_A,
              [[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]]]):
        for p in ["fro", 1, -1, INF, -INF] + ([] if a is _NAN_A else ["nuc"]):
            assert_same(LA.cond(_e(a), p), torch.linalg.cond(_tt(a), p), rtol=1e-12,
                        what=f"{a} p={p}")
