"""matmul: 1-D, 2-D, batched and broadcast shapes, transposed operands, gradients, errors."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")

SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((1, 1), (1, 1)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (4, 3, 2)),
    ((3,), (2, 3, 4)),
    ((2, 2, 3), (3,)),
    ((0, 3), (3, 4)),
    ((2, 0), (0, 4)),
    ((2, 3), (3, 0)),
    ((0, 2, 3), (3, 4)),
]


def _rand(shape, dtype, seed):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa,sb", SHAPES, ids=[f"{a}@{b}" for a, b in SHAPES])
def test_matmul_matches_numpy(sa, sb, dtype) -> None:
    a, b = _rand(sa, dtype, 0), _rand(sb, dtype, 1)
    out = ember.matmul(ember.tensor(a), ember.tensor(b))
    expected = np.matmul(a, b)
    assert tuple(out.shape) == expected.shape
    assert out.dtype == (ember.float32 if dtype == np.float32 else ember.float64)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(
        (ember.tensor(a) @ ember.tensor(b)).numpy(), expected, rtol=rtol, atol=1e-6
    )


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_transposed_and_strided_operands(ta: bool, tb: bool) -> None:
    a = _rand((3, 4) if ta else (4, 3), np.float64, 2)
    b = _rand((5, 3) if tb else (3, 5), np.float64, 3)
    ea = ember.tensor(a).T if ta else ember.tensor(a)
    eb = ember.tensor(b).T if tb else ember.tensor(b)
    na = a.T if ta else a
    nb = b.T if tb else b
    np.testing.assert_allclose((ea @ eb).numpy(), na @ nb, rtol=1e-12)
    # Stepped (non-unit inner stride) operands are copied for BLAS.
    big = _rand((8, 10), np.float64, 4)
    sa = ember.from_numpy(big[::2, ::2])  # (4, 5)
    sb = ember.from_numpy(big[1::2, 1::2]).T  # (5, 4)
    np.testing.assert_allclose((sa @ sb).numpy(), big[::2, ::2] @ big[1::2, 1::2].T, rtol=1e-12)


def test_matmul_batched_transposed_operands() -> None:
    a = _rand((3, 4, 2), np.float32, 5)
    b = _rand((3, 4, 5), np.float32, 6)
    out = ember.tensor(a).mT @ ember.tensor(b)
    np.testing.assert_allclose(out.numpy(), np.swapaxes(a, -1, -2) @ b, rtol=1e-5, atol=1e-6)
    out = ember.tensor(a).permute(1, 0, 2).mT @ ember.tensor(_rand((4, 3, 1), np.float32, 7))
    np.testing.assert_allclose(
        out.numpy(),
        np.swapaxes(a.transpose(1, 0, 2), -1, -2) @ _rand((4, 3, 1), np.float32, 7),
        rtol=1e-5,
        atol=1e-6,
    )


GRAD_SHAPES = [s for s in SHAPES if 0 not in s[0] + s[1]]


@pytest.mark.parametrize("sa,sb", GRAD_SHAPES, ids=[f"{a}@{b}" for a, b in GRAD_SHAPES])
def test_matmul_gradcheck_and_torch(sa, sb) -> None:
    a, b = _rand(sa, np.float64, 8), _rand(sb, np.float64, 9)
    xa, xb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    assert gradcheck(ember.matmul, [xa, xb])
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ty = ta @ tb
    w = _rand(tuple(ty.shape), np.float64, 10)
    (xa @ xb).backward(ember.tensor(w))
    ty.backward(torch.tensor(w))
    np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xb.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_matmul_gradcheck_transposed_inputs() -> None:
    a = ember.tensor(_rand((3, 2), np.float64, 11), requires_grad=True)
    b = ember.tensor(_rand((4, 3), np.float64, 12), requires_grad=True)
    assert gradcheck(lambda p, q: p.T @ q.T, [a, b])


def test_matmul_errors() -> None:
    with pytest.raises(
        ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied"
    ):
        ember.matmul(ember.zeros(2, 3), ember.zeros(4, 5))
    with pytest.raises(ValueError, match="matmul: both arguments need at least 1 dimension"):
        ember.matmul(ember.tensor(1.0), ember.zeros(2))
    with pytest.raises(TypeError, match="matmul: expected both inputs to have the same dtype"):
        ember.matmul(ember.zeros(2, 2), ember.zeros(2, 2, dtype=ember.float64))
    with pytest.raises(TypeError, match="matmul: only float32 and float64"):
        ember.matmul(ember.zeros(2, 2, dtype=ember.int64), ember.zeros(2, 2, dtype=ember.int64))
    with pytest.raises(ValueError, match="matmul"):
        ember.matmul(ember.zeros(2, 2, 3), ember.zeros(3, 3, 4))


def test_matmul_result_is_writable_and_backward_through_inplace() -> None:
    a = ember.tensor(_rand((2, 3), np.float64, 13), requires_grad=True)
    b = ember.tensor(_rand((3,), np.float64, 14))
    y = a @ b
    y.mul_(2.0)
    y.backward(ember.ones(2, dtype=ember.float64))
    np.testing.assert_allclose(a.grad.numpy(), 2 * np.broadcast_to(b.numpy(), (2, 3)))


def test_matmul_expanded_and_selected_operands() -> None:
    rng = np.random.default_rng(15)
    m = rng.normal(size=(4, 3))
    v = ember.tensor([2.0], dtype=ember.float64).expand(3)  # stride 0
    np.testing.assert_allclose((ember.tensor(m) @ v).numpy(), m @ np.full(3, 2.0), rtol=1e-12)
    col = ember.tensor(m).select(1, 2)  # stride 3
    row = ember.tensor(m).T.select(1, 0)  # (3,), stride 1 of a transposed view
    np.testing.assert_allclose((row @ ember.tensor(m).T).numpy(), m[0] @ m.T, rtol=1e-12)
    np.testing.assert_allclose((col @ ember.tensor(m)).numpy(), m[:, 2] @ m, rtol=1e-12)
    e = ember.tensor(m[:1]).expand(5, 3)  # rows with stride 0
    np.testing.assert_allclose(
        (e @ ember.tensor(m).T).numpy(), np.repeat(m[:1], 5, 0) @ m.T, rtol=1e-12
    )
    bm, am = rng.normal(size=(3, 2)), rng.normal(size=(4, 2, 3))
    b = ember.tensor(bm).expand(4, 3, 2)  # broadcast batch, stride 0
    np.testing.assert_allclose((ember.tensor(am) @ b).numpy(), am @ bm, rtol=1e-12)
