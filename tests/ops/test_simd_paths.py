"""Special kernel paths: tiled copies of transposed views, where() with contiguous operands,
broadcast rows through the vectorized binary kernel. Values against numpy."""

import ember
import numpy as np
import pytest


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (32, 32), (33, 65), (128, 784), (700, 130)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8, np.bool_])
def test_transposed_contiguous(shape, dtype):
    a = (np.random.default_rng(0).standard_normal(shape) * 50).astype(dtype)
    t = ember.from_numpy(a)
    np.testing.assert_array_equal(t.t().contiguous().numpy(), a.T)
    np.testing.assert_array_equal(t.t().clone().numpy(), a.T)


def test_transposed_copy_converts_dtype():
    a = np.random.default_rng(1).standard_normal((300, 257)).astype(np.float32)
    t = ember.from_numpy(a)
    np.testing.assert_array_equal(t.t().double().numpy(), a.T.astype(np.float64))
    np.testing.assert_array_equal(t.t().to(ember.int32).numpy(), a.T.astype(np.int32))


def test_transposed_copy_into_view():
    a = np.random.default_rng(2).standard_normal((40, 70)).astype(np.float32)
    dst = ember.zeros(70, 40)
    dst.copy_(ember.from_numpy(a).t())
    np.testing.assert_array_equal(dst.numpy(), a.T)
    # A permuted 3-D view takes the general path.
    b = np.random.default_rng(3).standard_normal((4, 5, 6)).astype(np.float32)
    np.testing.assert_array_equal(ember.from_numpy(b).permute(2, 0, 1).contiguous().numpy(),
                                  b.transpose(2, 0, 1))


@pytest.mark.parametrize("n", [1, 7, 100, 70001])
def test_where_contiguous_paths(n):
    rng = np.random.default_rng(4)
    c = rng.random(n) > 0.5
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    tc, ta, tb = ember.from_numpy(c), ember.from_numpy(a), ember.from_numpy(b)
    np.testing.assert_array_equal(ember.where(tc, ta, tb).numpy(), np.where(c, a, b))
    np.testing.assert_array_equal(ember.where(tc, ta, ember.tensor(2.5)).numpy(),
                                  np.where(c, a, np.float32(2.5)))
    np.testing.assert_array_equal(ember.where(tc, ember.tensor(-1.0), tb).numpy(),
                                  np.where(c, np.float32(-1), b))


def test_relu_backward_values():
    x = ember.from_numpy(np.array([-1.0, 0.0, 2.0, np.nan, 3.0] * 10, np.float32))
    x.requires_grad_(True)
    (x.relu() * ember.arange(50, dtype=ember.float32)).sum().backward()
    # PyTorch's rule: 0 where the output is <= 0, else the gradient (NaN passes it through).
    want = np.where(np.array([-1.0, 0.0, 2.0, np.nan, 3.0] * 10) <= 0, 0, np.arange(50))
    np.testing.assert_array_equal(x.grad.numpy(), want.astype(np.float32))


@pytest.mark.parametrize("shape,row", [((64, 128), (128,)), ((5, 3, 16), (3, 16)),
                                       ((4, 9), (1, 9)), ((600, 130), (130,)),
                                       ((2, 3, 4), (4,)), ((70, 1000), (1, 1000))])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum"])
def test_broadcast_rows(shape, row, op):
    rng = np.random.default_rng(5)
    a = rng.standard_normal(shape).astype(np.float32)
    r = rng.standard_normal(row).astype(np.float32) + 3
    f = getattr(ember, op)
    nf = getattr(np, {"add": "add", "sub": "subtract", "mul": "multiply", "div": "divide",
                      "maximum": "maximum"}[op])
    ta, tr = ember.from_numpy(a), ember.from_numpy(r)
    np.testing.assert_array_equal(f(ta, tr).numpy(), nf(a, r))
    np.testing.assert_array_equal(f(tr, ta).numpy(), nf(r, a))
