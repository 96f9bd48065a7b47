"""F.linear is one op (x W^T + b) with its own backward: values and gradients against numpy,
float64 gradcheck of first and second order, every input rank, no bias, mixed-dtype bias (which
promotes like the separate ops), and the in-place check on saved inputs."""

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember.autograd import gradcheck


def _t(a, grad=True):
    t = ember.from_numpy(np.ascontiguousarray(a))
    return t.requires_grad_(True) if grad else t


@pytest.mark.parametrize("xshape", [(7,), (5, 7), (2, 3, 7), (2, 1, 3, 7)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_values_and_grads_match_numpy(xshape, with_bias):
    rng = np.random.default_rng(len(xshape))
    x = rng.standard_normal(xshape)
    w = rng.standard_normal((4, 7))
    b = rng.standard_normal(4)
    gy = rng.standard_normal(xshape[:-1] + (4,))
    X, W, B = _t(x), _t(w), _t(b)
    y = F.linear(X, W, B if with_bias else None)
    want = x @ w.T + (b if with_bias else 0)
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    y.backward(ember.from_numpy(gy))
    np.testing.assert_allclose(X.grad.numpy(), gy @ w, rtol=1e-12, atol=1e-12)
    g2, x2 = gy.reshape(-1, 4), x.reshape(-1, 7)
    np.testing.assert_allclose(W.grad.numpy(), g2.T @ x2, rtol=1e-12, atol=1e-12)
    assert W.grad.is_contiguous()
    if with_bias:
        np.testing.assert_allclose(B.grad.numpy(), g2.sum(0), rtol=1e-12, atol=1e-12)
    assert y.grad_fn.name() == "LinearBackward0"


def test_gradcheck_and_second_order_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    xa, wa, ba = rng.standard_normal((3, 5)), rng.standard_normal((2, 5)), rng.standard_normal(2)
    x, w, b = _t(xa), _t(wa), _t(ba)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    (gx,) = ember.autograd.grad(F.linear(x, w, b).tanh().sum(), [x], create_graph=True)
    second = ember.autograd.grad((gx ** 2).sum(), [x, w, b])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (xa, wa, ba))
    (tgx,) = torch.autograd.grad(torch.nn.functional.linear(tx, tw, tb).tanh().sum(), tx,
                                 create_graph=True)
    tsecond = torch.autograd.grad((tgx ** 2).sum(), [tx, tw, tb])
    for got, want in zip(second, tsecond):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_matches_float64_reference():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 784)).astype(np.float32)
    w = rng.standard_normal((128, 784)).astype(np.float32)
    b = rng.standard_normal(128).astype(np.float32)
    y = F.linear(_t(x, False), _t(w, False), _t(b, False)).numpy()
    want = x.astype(np.float64) @ w.astype(np.float64).T + b
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-4)


def test_mixed_dtype_bias_promotes():
    x = ember.ones(2, 3)
    w = ember.ones(4, 3)
    b = ember.ones(4, dtype=ember.float64)
    y = F.linear(x, w, b)
    assert y.dtype == ember.float64
    np.testing.assert_array_equal(y.numpy(), np.full((2, 4), 4.0))


def test_in_place_change_of_a_saved_input_is_caught():
    x = ember.randn(2, 3, requires_grad=True)
    w = ember.randn(4, 3, requires_grad=True)
    y = F.linear(x, w)
    with ember.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified"):
        y.sum().backward()


def test_bad_shapes_name_the_op():
    with pytest.raises(ValueError, match=r"linear: input.shape\[-1\] \(3\) must equal in_features \(5\)"):
        F.linear(ember.ones(2, 3), ember.ones(4, 5))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(4,\)"):
        F.linear(ember.ones(2, 5), ember.ones(4, 5), ember.ones(3))


@pytest.mark.parametrize(
    "x_shape,w_shape",
    [((4, 0), (5, 0)), ((4, 3), (0, 3)), ((2, 4, 0), (5, 0)), ((0, 3), (5, 3))],
)
def test_backward_with_an_empty_dim(x_shape, w_shape):
    # A layer with 0 input or output features (an adaptive softmax's empty tail cluster).
    x = ember.ones(*x_shape, requires_grad=True)
    w = ember.ones(*w_shape, requires_grad=True)
    b = ember.ones(w_shape[0], requires_grad=True)
    F.linear(x, w, b).sum().backward()
    assert x.grad.shape == x_shape and w.grad.shape == w_shape
    rows = int(np.prod(x_shape[:-1]))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(w_shape[0], float(rows)))
    np.testing.assert_array_equal(w.grad.numpy(), np.full(w_shape, float(rows)))
    np.testing.assert_array_equal(x.grad.numpy(), np.full(x_shape, float(w_shape[0])))
