"""GEMM on both sides of the single-thread threshold: values against numpy (float64 products),
transposed operands, and the configured thread count left as it was."""

from __future__ import annotations

import ember
import numpy as np
import pytest

# (m, k, n): tiny, in the single-thread range (below 32M multiply-adds), and above it.
SHAPES = [(5, 7, 3), (64, 784, 128), (128, 130, 129), (300, 400, 200), (400, 500, 200)]


@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("trans", [(False, False), (True, False), (False, True), (True, True)],
                         ids=["nn", "tn", "nt", "tt"])
@pytest.mark.parametrize("threads", [1, 2])
def test_matmul_matches_numpy(m, k, n, dtype, trans, threads):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if trans[0] else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans[1] else (k, n)).astype(dtype)
    ea, eb = ember.from_numpy(a), ember.from_numpy(b)
    if trans[0]:
        ea, a = ea.t(), a.T
    if trans[1]:
        eb, b = eb.t(), b.T
    saved = ember.get_num_threads()
    try:
        ember.set_num_threads(threads)
        got = ember.matmul(ea, eb).numpy()
        assert ember.get_num_threads() == threads
    finally:
        ember.set_num_threads(saved)
    want = a.astype(np.float64) @ b.astype(np.float64)
    tol = 1e-4 * np.sqrt(k) if dtype == np.float32 else 1e-11 * np.sqrt(k)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_linear_backward_small_and_large():
    """Both backward products of a Linear layer, on either side of the threshold."""
    rng = np.random.default_rng(1)
    for batch in (64, 600):  # 6.4M and 60M multiply-adds per product
        x = rng.standard_normal((batch, 784)).astype(np.float32)
        w = rng.standard_normal((128, 784)).astype(np.float32)
        gy = rng.standard_normal((batch, 128)).astype(np.float32)
        ex = ember.from_numpy(x).requires_grad_()
        ew = ember.from_numpy(w).requires_grad_()
        y = ember.matmul(ex, ew.t())
        y.backward(ember.from_numpy(gy))
        x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), gy.astype(np.float64)
        np.testing.assert_allclose(y.detach().numpy(), x64 @ w64.T, rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(ex.grad.numpy(), g64 @ w64, rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(ew.grad.numpy(), g64.T @ x64, rtol=1e-3, atol=1e-3)


def test_thread_count_unchanged_by_small_products():
    saved = ember.get_num_threads()
    try:
        ember.set_num_threads(2)
        a = ember.ones(64, 784)
        b = ember.ones(784, 128)
        for _ in range(5):
            out = ember.matmul(a, b)
        assert ember.get_num_threads() == 2
        np.testing.assert_array_equal(out.numpy(), np.full((64, 128), 784.0, np.float32))
    finally:
        ember.set_num_threads(saved)
