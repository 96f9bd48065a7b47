"""ember.linalg: errors (types and messages) for bad input, singular and not positive-definite
matrices; ember.jit refusing the functions that read values and tracing the pure composites;
PyTorch's top-level and Tensor forms (``_TOP_LEVEL``, ``_install``) against torch; and
``import ember`` not importing torch."""

from __future__ import annotations

import os
import subprocess
import sys

import ember
import ember.linalg as LA
import numpy as np
import pytest

torch = pytest.importorskip("torch")

# torch's deprecated top-level forms (torch.lu, torch.lu_solve, ...) warn when called as oracles.
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")

F64 = ember.float64


def _t(a):
    return ember.tensor(a, dtype=F64)


# ---- errors -----------------------------------------------------------------------------------

# (call, exception type, message pattern)
ERRORS = {
    "not_square": (lambda: LA.inv(ember.zeros(2, 3)), ValueError,
                   r"linalg\.inv: A must be a square matrix .*got shape \(2, 3\)"),
    "integer": (lambda: LA.det(ember.ones(3, 3, dtype=ember.int64)), TypeError,
                r"linalg\.det: A must be float32 or float64, got int64"),
    "one_dim": (lambda: LA.eigh(ember.ones(3)), ValueError,
                r"linalg\.eigh: A must have at least 2 dims .*got shape \(3,\)"),
    "not_tensor": (lambda: LA.svd(np.ones((2, 2))), TypeError,
                   r"linalg\.svd: A must be a Tensor, got ndarray"),
    "batch_mismatch": (lambda: LA.solve(ember.randn(2, 3, 3), ember.randn(3, 3, 2)), ValueError,
                       r"linalg\.solve: the batch dims of A \(2,\) and B \(3,\) do not broadcast"),
    "mixed_dtypes": (lambda: LA.solve(ember.eye(3), ember.ones(3, 2, dtype=F64)), TypeError,
                     r"linalg\.solve: A and B must have the same dtype, got float32 and float64"),
    "solve_rows": (lambda: LA.solve(ember.eye(3), ember.ones(4)), ValueError,
                   r"linalg\.solve: incompatible shapes of A \(3, 3\) and B \(4,\)"),
    "solve_right_vector": (lambda: LA.solve(ember.eye(3), ember.ones(3), left=False), ValueError,
                           r"linalg\.solve: a vector B is not supported with left=False"),
    "solve_triangular_vector": (lambda: LA.solve_triangular(ember.eye(3), ember.ones(3),
                                                            upper=True),
                                ValueError, r"linalg\.solve_triangular: B must have at least 2"),
    "lu_solve_rows": (lambda: LA.lu_solve(*LA.lu_factor(ember.eye(3)), ember.ones(4, 2)),
                      ValueError, r"linalg\.lu_solve: incompatible shapes of LU \(3, 3\)"),
    "lu_no_pivot": (lambda: LA.lu_factor(ember.eye(3), pivot=False), RuntimeError,
                    r"linalg\.lu_factor: LU without pivoting is not implemented on the CPU"),
    "qr_mode": (lambda: LA.qr(ember.eye(3), mode="full"), ValueError,
                r"linalg\.qr: mode must be 'reduced', 'complete' or 'r', got 'full'"),
    "eigh_uplo": (lambda: LA.eigh(ember.eye(3), "X"), ValueError,
                  r"linalg\.eigh: UPLO must be 'L' or 'U', got 'X'"),
    "matrix_norm_ord": (lambda: LA.matrix_norm(ember.eye(3), 3), ValueError,
                        r"linalg\.matrix_norm: ord 3 is not supported"),
    "matrix_norm_1d": (lambda: LA.matrix_norm(ember.ones(3)), ValueError,
                       r"linalg\.matrix_norm: A must have at least 2 dims"),
    "vector_norm_str": (lambda: LA.vector_norm(ember.ones(3), "fro"), TypeError,
                        r"linalg\.vector_norm: ord must be a real number, got 'fro'"),
    "vector_norm_int": (lambda: LA.vector_norm(ember.ones(3, dtype=ember.int64)), TypeError,
                        r"linalg\.vector_norm: x must be float32 or float64, got int64"),
    "vector_norm_narrowing": (lambda: LA.vector_norm(ember.ones(3, dtype=F64),
                                                     dtype=ember.float32),
                              TypeError, r"vector_norm: the dtype of the input \(float64\)"),
    "vector_norm_inf_empty": (lambda: LA.vector_norm(ember.ones(0, 3), float("inf")), ValueError,
                              r"vector_norm: cannot compute the inf norm of shape \(0, 3\)"),
    "norm_3d_ord": (lambda: LA.norm(ember.ones(2, 2, 2), 2), ValueError,
                    r"linalg\.norm: if dim is not given but ord is, A must be 1-D or 2-D"),
    "cond_p": (lambda: LA.cond(ember.eye(3), 3), ValueError, r"linalg\.cond: p 3 is not supported"),
    "cond_rect": (lambda: LA.cond(ember.ones(3, 2), "fro"), ValueError,
                  r"linalg\.cond: A must be a square matrix"),
    "multi_dot_one": (lambda: LA.multi_dot([ember.ones(3)]), ValueError,
                      r"linalg\.multi_dot: expected at least 2 tensors, got 1"),
    "multi_dot_chain": (lambda: LA.multi_dot([ember.ones(3, 2), ember.ones(3, 2)]), ValueError,
                        r"linalg\.multi_dot: tensors\[0\] and tensors\[1\] cannot be multiplied"),
    "multi_dot_middle_1d": (lambda: LA.multi_dot([ember.ones(3), ember.ones(3), ember.ones(3)]),
                            ValueError, r"linalg\.multi_dot: tensors\[1\] must be 2-D"),
    "cross_size": (lambda: LA.cross(ember.ones(4), ember.ones(4)), ValueError,
                   r"linalg\.cross: dim -1 must have size 3"),
    "vecdot_int": (lambda: LA.vecdot(ember.ones(3, dtype=ember.int32),
                                     ember.ones(3, dtype=ember.int32)),
                   TypeError, r"linalg\.vecdot: x must be float32 or float64, got int32"),
    "householder_wide": (lambda: LA.householder_product(ember.ones(2, 3), ember.ones(1)),
                         ValueError, r"linalg\.householder_product: A\.shape\[-2\] must be >="),
    "householder_tau": (lambda: LA.householder_product(ember.ones(4, 3), ember.ones(4)),
                        ValueError, r"linalg\.householder_product: tau must have shape"),
    "lstsq_dims": (lambda: LA.lstsq(ember.ones(3, 2), ember.ones(2, 3, 2)), ValueError,
                   r"linalg\.lstsq: A\.dim\(\) must be >= B\.dim\(\)"),
    "lstsq_rows": (lambda: LA.lstsq(ember.ones(3, 2), ember.ones(4, 2)), ValueError,
                   r"linalg\.lstsq: A \(3, 2\) and B \(4, 2\) must have the same number of rows"),
    "lstsq_driver": (lambda: LA.lstsq(ember.ones(3, 2), ember.ones(3, 2), driver="foo"), ValueError,
                     r"linalg\.lstsq: driver must be None, 'gels', 'gelsy', 'gelsd' or 'gelss'"),
    "svd_driver": (lambda: LA.svd(ember.ones(3, 2), driver="gesvd"), ValueError,
                   r"linalg\.svd: driver= is only supported on CUDA"),
    "matrix_power_float_n": (lambda: LA.matrix_power(ember.eye(3), 1.5), TypeError,
                             r"linalg\.matrix_power: n must be an int, got float"),
    "matrix_power_int_negative": (lambda: LA.matrix_power(ember.ones(2, 2, dtype=ember.int64), -1),
                                  TypeError, r"linalg\.matrix_power: negative powers need float"),
    "tensorinv_shape": (lambda: LA.tensorinv(ember.ones(2, 3, 4), ind=1), ValueError,
                        r"linalg\.tensorinv: the product of the first 1 dims"),
    "tensorsolve_shape": (lambda: LA.tensorsolve(ember.ones(2, 3, 5), ember.ones(2, 3)), ValueError,
                          r"linalg\.tensorsolve: A \(2, 3, 5\) must start with B's shape"),
    "pinv_hermitian_rect": (lambda: LA.pinv(ember.ones(3, 2), hermitian=True), ValueError,
                            r"linalg\.pinv: A must be a square matrix"),
    "pinv_atol_type": (lambda: LA.pinv(ember.ones(3, 2), atol="big"), TypeError,
                       r"linalg\.pinv: atol must be a float or a Tensor, got str"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_bad_input_raises_named_error(name):
    call, exc, pattern = ERRORS[name]
    with pytest.raises(exc, match=pattern):
        call()


def test_singular_inverse_raises_linalg_error_naming_batch_element():
    s = _t([[[2.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]])
    assert issubclass(LA.LinAlgError, RuntimeError)
    with pytest.raises(LA.LinAlgError, match=r"linalg\.inv: \(Batch element 1\): The diagonal "
                       r"element 2 is zero, the inversion could not be completed because the "
                       r"input matrix is singular"):
        LA.inv(s)
    with pytest.raises(LA.LinAlgError, match=r"^linalg\.inv: The diagonal element 1 is zero"):
        LA.inv(ember.zeros(3, 3))
    with pytest.raises(LA.LinAlgError, match=r"linalg\.solve: \(Batch element 1\): The solver "
                       r"failed because the input matrix is singular"):
        LA.solve(s, ember.ones(2, 2, dtype=F64))
    with pytest.raises(LA.LinAlgError, match=r"linalg\.inv_ex: \(Batch element 1\)"):
        LA.inv_ex(s, check_errors=True)
    with pytest.raises(LA.LinAlgError, match=r"linalg\.lu_factor: \(Batch element 1\): U\[2,2\] "
                       r"is zero"):
        LA.lu_factor(s)
    with pytest.raises(LA.LinAlgError, match=r"linalg\.tensorinv: The diagonal element"):
        LA.tensorinv(ember.zeros(2, 2), ind=1)
    # torch raises its own LinAlgError (also a RuntimeError) for the same input
    with pytest.raises(torch.linalg.LinAlgError, match=r"\(Batch element 1\): The diagonal "
                       r"element 2"):
        torch.linalg.inv(torch.tensor(s.numpy()))


def test_not_positive_definite_cholesky_raises_linalg_error_like_torch():
    a = np.array([[[4.0, 2.0], [2.0, 3.0]], [[1.0, 2.0], [2.0, 1.0]]])
    pattern = (r"linalg\.cholesky: \(Batch element 1\): The factorization could not be completed "
               r"because the input is not positive-definite \(the leading minor of order 2 is "
               r"not positive-definite\)")
    with pytest.raises(LA.LinAlgError, match=pattern):
        LA.cholesky(ember.from_numpy(a.copy()))
    with pytest.raises(torch.linalg.LinAlgError, match=pattern):
        torch.linalg.cholesky(torch.tensor(a))
    # upper=True reads the upper triangle, as PyTorch: this matrix is PD only in its lower one
    m = np.array([[4.0, 100.0], [1.0, 3.0]])
    np.testing.assert_allclose(LA.cholesky(ember.from_numpy(m.copy())).numpy(),
                               torch.linalg.cholesky(torch.tensor(m)).numpy(), rtol=1e-12)
    with pytest.raises(LA.LinAlgError, match=r"leading minor of order 2"):
        LA.cholesky(ember.from_numpy(m.copy()), upper=True)
    with pytest.raises(LA.LinAlgError, match=r"linalg\.cholesky_ex"):
        LA.cholesky_ex(ember.from_numpy(a.copy()), check_errors=True)


def test_qr_backward_errors_like_torch():
    x = ember.randn(3, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"linalg\.qr: the derivative of linalg\.qr depends on "
                       r"Q, which is not computed when mode='r'"):
        LA.qr(x, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match=r"linalg\.qr: the QR decomposition is not "
                       r"differentiable when mode='complete' and nrows > ncols"):
        LA.qr(x, mode="complete").R.sum().backward()
    # Q is an empty tensor for mode='r', as PyTorch
    torch_q = torch.linalg.qr(torch.ones(3, 2), "r").Q
    assert tuple(LA.qr(x, mode="r").Q.shape) == tuple(torch_q.shape) == (0,)


# ---- ember.jit --------------------------------------------------------------------------------

UNTRACEABLE = {
    "linalg.det": lambda A: LA.det(A),
    "linalg.slogdet": lambda A: LA.slogdet(A).logabsdet,
    "linalg.inv": lambda A: LA.inv(A),
    "linalg.inv_ex": lambda A: LA.inv_ex(A).inverse,
    "linalg.pinv": lambda A: LA.pinv(A),
    "linalg.matrix_rank": lambda A: LA.matrix_rank(A),
    "linalg.matrix_exp": lambda A: LA.matrix_exp(A),
    "linalg.matrix_power": lambda A: LA.matrix_power(A, -2),
    "linalg.solve": lambda A: LA.solve(A, A),
    "linalg.solve_ex": lambda A: LA.solve_ex(A, A).result,
    "linalg.solve_triangular": lambda A: LA.solve_triangular(A, A, upper=True),
    "linalg.lstsq": lambda A: LA.lstsq(A, A).solution,
    "linalg.cholesky": lambda A: LA.cholesky(A @ A.mT),
    "linalg.cholesky_ex": lambda A: LA.cholesky_ex(A @ A.mT).L,
    "linalg.lu_factor": lambda A: LA.lu_factor(A).LU,
    "linalg.lu_factor_ex": lambda A: LA.lu_factor_ex(A).LU,
    "linalg.lu": lambda A: LA.lu(A).U,
    "linalg.qr": lambda A: LA.qr(A).R,
    "linalg.eigh": lambda A: LA.eigh(A).eigenvalues,
    "linalg.eigvalsh": lambda A: LA.eigvalsh(A),
    "linalg.svd": lambda A: LA.svd(A).S,
    "linalg.svdvals": lambda A: LA.svdvals(A),
    "linalg.cond": lambda A: LA.cond(A),
    "linalg.matrix_norm": lambda A: LA.matrix_norm(A, "nuc"),
    "linalg.tensorinv": lambda A: LA.tensorinv(A, ind=1),
    "linalg.tensorsolve": lambda A: LA.tensorsolve(A, A[0]),
    "logdet": lambda A: LA.logdet(A),
    "inverse": lambda A: LA.inverse(A),
    "pinverse": lambda A: LA.pinverse(A),
    "cholesky_solve": lambda A: LA.cholesky_solve(A, A),
    "triangular_solve": lambda A: LA.triangular_solve(A, A).solution,
    "svd": lambda A: LA._svd_legacy(A).S,
    "qr": lambda A: LA._qr_legacy(A).R,
}


@pytest.mark.parametrize("name", list(UNTRACEABLE))
def test_value_reading_functions_refuse_to_be_traced(name):
    A = ember.randn(3, 3, dtype=F64) + 3 * ember.eye(3, dtype=F64)
    with pytest.raises(RuntimeError, match=rf"^{name.replace('.', '[.]')}: cannot be traced by "
                       r"ember\.jit"):
        ember.jit.trace(UNTRACEABLE[name], (A,))
    # outside a trace the same call works
    assert UNTRACEABLE[name](A).numel() > 0


def test_pure_composites_are_traced_and_rerun_on_new_values():
    def f(x, tau):
        return (LA.vector_norm(x, 3, dim=-1) + LA.matrix_norm(x, 1).unsqueeze(-1)
                + LA.matrix_norm(x, "fro").unsqueeze(-1) + LA.vecdot(x, x)
                + LA.multi_dot([x[0], x[1], x[0]]).sum() + LA.diagonal(x)
                + LA.householder_product(x, tau).sum(-1) + LA.matrix_power(x, 3).sum(-1)
                + LA.cross(x, x.flip(-1)).sum(-1) + LA.vander(x[0, 0]).sum())

    x0, t0 = ember.randn(2, 3, 3, dtype=F64), ember.randn(2, 2, dtype=F64)
    traced = ember.jit.trace(f, (x0, t0))
    x1, t1 = ember.randn(2, 3, 3, dtype=F64), ember.randn(2, 2, dtype=F64)
    np.testing.assert_allclose(traced(x1, t1).numpy(), f(x1, t1).numpy(), rtol=1e-12, atol=1e-12)


# ---- top-level and Tensor forms ---------------------------------------------------------------


def _spd(n=3, batch=(2,)):
    a = np.random.default_rng(7).standard_normal((*batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _gen(shape=(2, 3, 3)):
    a = np.random.default_rng(8).standard_normal(shape)
    return a + 2 * np.eye(shape[-1]) if shape[-1] == shape[-2] else a


# name: (call with the module-level function f and the library's namespace, inputs)
TOP = {
    "det": (lambda f, m, A: f(A), [_gen()]),
    "logdet": (lambda f, m, A: f(A), [_gen()]),
    "slogdet": (lambda f, m, A: tuple(f(A)), [_gen()]),
    "inverse": (lambda f, m, A: f(A), [_gen()]),
    "pinverse": (lambda f, m, A: f(A), [_gen((2, 4, 3))]),
    "cholesky": (lambda f, m, A: f(A, True), [_spd()]),
    "cholesky_inverse": (lambda f, m, A: f(m.linalg.cholesky(A)), [_spd()]),
    "cholesky_solve": (lambda f, m, A: f(A[..., :2], m.linalg.cholesky(A)), [_spd()]),
    "qr": (lambda f, m, A: tuple(x.abs() for x in f(A, False)), [_gen((2, 4, 3))]),
    "svd": (lambda f, m, A: f(A)[1], [_gen((2, 4, 3))]),
    "matrix_power": (lambda f, m, A: f(A, -3), [_gen()]),
    "matrix_exp": (lambda f, m, A: f(A), [_gen()]),
    "lu": (lambda f, m, A: tuple(f(A, get_infos=True)), [_gen()]),
    "lu_solve": (lambda f, m, A: f(A[..., :2], *m.linalg.lu_factor(A)), [_gen()]),
    "triangular_solve": (lambda f, m, A: tuple(f(A[..., :2], A, upper=False, transpose=True)),
                         [_gen()]),
    "orgqr": (lambda f, m, A, t: f(A, t), [_gen((2, 4, 3)), np.ones((2, 2)) * 0.7]),
    "lu_unpack": (lambda f, m, A: tuple(f(*m.linalg.lu_factor(A))), [_gen((2, 3, 4))]),
    "chain_matmul": (lambda f, m, A: f(A[0], A[1], A[0]), [_gen()]),
}


def test_top_level_table_lists_pytorch_names():
    names = [n for n, _ in LA._TOP_LEVEL]
    assert sorted(names) == sorted(TOP)
    assert all(hasattr(torch, n) for n in names)
    assert all(callable(f) and f.__doc__ for _, f in LA._TOP_LEVEL)


@pytest.mark.parametrize("name", list(TOP))
def test_top_level_functions_match_torch(name):
    call, arrays = TOP[name]
    f = dict(LA._TOP_LEVEL)[name]
    eo = call(f, ember, *[ember.from_numpy(a.copy()) for a in arrays])
    to = call(getattr(torch, name), torch, *[torch.tensor(a) for a in arrays])
    eo = eo if isinstance(eo, tuple) else (eo,)
    to = to if isinstance(to, tuple) else (to,)
    assert len(eo) == len(to)
    for e, t in zip(eo, to):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-9, atol=1e-10, err_msg=name)


def test_install_sets_pytorch_tensor_methods():
    LA._install()
    a = _gen()
    e, t = ember.from_numpy(a.copy()), torch.tensor(a)
    pairs = [
        (e.det(), t.det()), (e.logdet(), t.logdet()), (e.slogdet()[1], t.slogdet()[1]),
        (e.inverse(), t.inverse()), (e.pinverse(), t.pinverse()),
        (e.matrix_power(2), t.matrix_power(2)), (e.matrix_exp(), t.matrix_exp()),
        (e.svd()[1], t.svd()[1]), (e.qr()[1].abs(), t.qr()[1].abs()),
        (e.lu()[0], t.lu()[0]), (e[..., :1].lu_solve(*e.lu()), t[..., :1].lu_solve(*t.lu())),
        (e[..., :1].triangular_solve(e)[0], t[..., :1].triangular_solve(t)[0]),
        (e.orgqr(e[..., 0]), t.orgqr(t[..., 0])),
    ]
    s = _spd()
    es, ts = ember.from_numpy(s.copy()), torch.tensor(s)
    pairs += [(es.cholesky(), ts.cholesky()),
              (es.cholesky().cholesky_inverse(), ts.cholesky().cholesky_inverse()),
              (es.cholesky_solve(es.cholesky()), ts.cholesky_solve(ts.cholesky()))]
    for i, (x, y) in enumerate(pairs):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-9, atol=1e-10, err_msg=str(i))
    assert {n for n, _ in LA._TENSOR_METHODS} <= {n for n in dir(torch.Tensor)}


def test_legacy_svd_returns_v_and_zero_matrices_without_uv():
    a = np.random.default_rng(3).standard_normal((4, 3))
    U, S, V = dict(LA._TOP_LEVEL)["svd"](ember.from_numpy(a.copy()))
    np.testing.assert_allclose(((U * S) @ V.mT).numpy(), a, atol=1e-12)
    U0, S0, V0 = dict(LA._TOP_LEVEL)["svd"](ember.from_numpy(a.copy()), compute_uv=False)
    tU0, tS0, tV0 = torch.svd(torch.tensor(a), compute_uv=False)
    for e, t in ((U0, tU0), (S0, tS0), (V0, tV0)):
        np.testing.assert_allclose(e.numpy(), t.numpy(), atol=1e-12)


def test_every_public_name_is_documented():
    names = [getattr(LA, n) for n in LA.__all__] + [f for _, f in LA._TOP_LEVEL]
    for f in names:
        assert f.__doc__ and len(f.__doc__) > 40, f
        if f is not LA.LinAlgError:
            assert "Raises:" in f.__doc__ or "Returns:" in f.__doc__, f


def test_import_ember_does_not_import_torch():
    # The subprocess imports the same ember as this test process (a source tree or an install).
    root = os.path.dirname(os.path.dirname(ember.__file__))
    code = ("import sys, ember, ember.linalg; ember.linalg._install(); "
            "print('torch' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
