"""ELU, SELU, CELU, Softplus, Softsign, Hardtanh, ReLU6, Hardswish, Hardsigmoid, Mish,
LogSigmoid, GLU and PReLU (functional forms) vs torch: values, gradients at random points, at
the kinks and thresholds and at extreme inputs, in-place forms and error messages."""

from __future__ import annotations

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember.autograd import gradcheck

from ._util import assert_close, et, pair, to_np

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# name -> (ember call, torch call); each takes the input tensor only.
ACTIVATIONS = {
    "elu": (lambda x: F.elu(x), lambda x: TF.elu(x)),
    "elu_alpha": (lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    "selu": (F.selu, TF.selu),
    "celu": (lambda x: F.celu(x), lambda x: TF.celu(x)),
    "celu_alpha2": (lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0)),
    "celu_negative_alpha": (lambda x: F.celu(x, -1.5), lambda x: TF.celu(x, -1.5)),
    "softplus": (lambda x: F.softplus(x), lambda x: TF.softplus(x)),
    "softplus_beta": (
        lambda x: F.softplus(x, beta=2.0, threshold=10.0),
        lambda x: TF.softplus(x, beta=2.0, threshold=10.0),
    ),
    "softplus_small_beta": (
        lambda x: F.softplus(x, 0.5, 3.0),
        lambda x: TF.softplus(x, 0.5, 3.0),
    ),
    "softsign": (F.softsign, TF.softsign),
    "hardtanh": (lambda x: F.hardtanh(x), lambda x: TF.hardtanh(x)),
    "hardtanh_bounds": (lambda x: F.hardtanh(x, -2.0, 3.0), lambda x: TF.hardtanh(x, -2.0, 3.0)),
    "relu6": (lambda x: F.relu6(x), lambda x: TF.relu6(x)),
    "hardswish": (lambda x: F.hardswish(x), lambda x: TF.hardswish(x)),
    "hardsigmoid": (lambda x: F.hardsigmoid(x), lambda x: TF.hardsigmoid(x)),
    "mish": (lambda x: F.mish(x), lambda x: TF.mish(x)),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid),
}

# Inputs that sit on every kink and threshold used above, plus large magnitudes.
EDGES = [
    -1000.0,
    -50.0,
    -30.0,
    -20.5,
    -20.0,
    -10.0,
    -6.0,
    -3.0,
    -2.0,
    -1.5,
    -1.0,
    -1e-3,
    -1e-8,
    0.0,
    1e-8,
    1e-3,
    1.0,
    1.5,
    2.0,
    3.0,
    5.0,
    6.0,
    10.0,
    20.0,
    20.5,
    30.0,
    50.0,
    1000.0,
]


def _backward_both(e_out, t_out, seed=0):
    g = np.asarray(np.random.RandomState(seed).randn(*tuple(t_out.shape)))
    g = g.astype(t_out.detach().numpy().dtype)
    e_out.backward(et(g))
    t_out.backward(torch.tensor(g))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_random_inputs_match_torch_values_and_gradients(name, dtype):
    ef, tf = ACTIVATIONS[name]
    x = (np.random.randn(3, 4, 5) * 4).astype(dtype)
    e, t = pair(x, requires_grad=True)
    eo, to = ef(e), tf(t)
    assert eo.dtype == (ember.float32 if dtype == np.float32 else ember.float64)
    assert_close(eo, to)
    _backward_both(eo, to)
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_edge_and_extreme_inputs_match_torch(name, dtype):
    # Exactly on 0, +-3, 6, the softplus thresholds (20, 10 / beta, 3 / beta) and at +-50,
    # +-1000: values and gradients as torch, finite where torch's are (only CELU with a
    # negative alpha overflows, to inf, at -1000).
    ef, tf = ACTIVATIONS[name]
    x = np.array(EDGES, dtype=dtype)
    e, t = pair(x, requires_grad=True)
    eo, to = ef(e), tf(t)
    assert_close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    np.testing.assert_array_equal(np.isfinite(to_np(e.grad)), np.isfinite(t.grad.numpy()))
    assert name == "celu_negative_alpha" or np.isfinite(to_np(e.grad)).all()
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_infinite_and_nan_inputs_match_torch(name):
    ef, tf = ACTIVATIONS[name]
    x = np.array([-np.inf, np.inf, np.nan, 0.0], dtype=np.float32)
    a, b = to_np(ef(et(x))), tf(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-6)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_gradcheck_float64(name):
    ef, _ = ACTIVATIONS[name]
    # Away from the kinks, where finite differences are meaningful.
    x = np.random.randn(4, 5) * 3
    x[np.abs(x) < 0.05] += 0.2
    for k in (-3.0, 3.0, 6.0, -2.0):
        x[np.abs(x - k) < 0.05] += 0.2
    e = ember.tensor(x, requires_grad=True)
    assert gradcheck(ef, (e,))


def test_softplus_is_linear_strictly_above_the_threshold():
    # beta * x == threshold takes the log1p branch, as torch; above it, x itself.
    x = np.array([20.0, np.nextafter(20.0, 30.0), 25.0])
    y = to_np(F.softplus(ember.tensor(x)))
    assert y[0] == np.log1p(np.exp(20.0))
    np.testing.assert_array_equal(y[1:], x[1:])
    y2 = to_np(F.softplus(ember.tensor([5.0, 5.5], dtype=ember.float64), beta=2.0, threshold=10.0))
    assert y2[0] == np.log1p(np.exp(10.0)) / 2 and y2[1] == 5.5


def test_softplus_and_logsigmoid_are_exact_far_out():
    # No overflow and no cancellation: softplus(-50) = exp(-50), logsigmoid(50) = -exp(-50).
    x = ember.tensor([-50.0, 50.0, -1000.0, 1000.0], dtype=ember.float64)
    np.testing.assert_allclose(to_np(F.softplus(x)), [np.exp(-50.0), 50.0, 0.0, 1000.0], rtol=1e-15)
    np.testing.assert_allclose(
        to_np(F.logsigmoid(x)), [-50.0, -np.exp(-50.0), -1000.0, 0.0], rtol=1e-15
    )


def test_elu_family_negative_side_is_accurate_near_zero():
    # expm1 without cancellation: elu(-1e-10) = -1e-10 (exp(x) - 1 would give -1.000000082e-10).
    x = ember.tensor([-1e-10, -1e-5], dtype=ember.float64)
    np.testing.assert_allclose(to_np(F.elu(x)), np.expm1([-1e-10, -1e-5]), rtol=1e-14)
    np.testing.assert_allclose(
        to_np(F.celu(x, 0.5)), 0.5 * np.expm1(np.array([-1e-10, -1e-5]) / 0.5), rtol=1e-14
    )
    x32 = ember.tensor([-1e-6, -3e-4])
    np.testing.assert_allclose(to_np(F.elu(x32)), np.expm1([-1e-6, -3e-4]), rtol=3e-7)


@pytest.mark.parametrize(
    "name,x,grad",
    [
        ("elu", 0.0, 1.0),
        ("selu", 0.0, 1.0507009873554805 * 1.6732632423543772),
        ("hardtanh", -1.0, 0.0),
        ("hardtanh", 1.0, 0.0),
        ("relu6", 0.0, 0.0),
        ("relu6", 6.0, 0.0),
        ("hardswish", -3.0, 0.0),
        ("hardswish", 3.0, 1.0),
        ("hardsigmoid", -3.0, 0.0),
        ("hardsigmoid", 3.0, 0.0),
        ("logsigmoid", 0.0, 0.5),
        ("softsign", 0.0, 1.0),
        ("softplus", 20.0, 1.0 / (1.0 + np.exp(-20.0))),
    ],
)
def test_gradient_at_the_kinks_is_torchs(name, x, grad):
    ef, tf = ACTIVATIONS[name]
    e = ember.tensor([x], dtype=ember.float64, requires_grad=True)
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    ef(e).sum().backward()
    tf(t).sum().backward()
    np.testing.assert_allclose(to_np(e.grad), t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_np(e.grad), [grad], rtol=1e-12)


@pytest.mark.parametrize("fn", ["hardtanh", "relu6"])
def test_integer_inputs_are_clamped_like_torch(fn):
    x = np.array([-7, -1, 0, 1, 5, 9])
    e, t = getattr(F, fn)(ember.tensor(x)), getattr(TF, fn)(torch.tensor(x))
    assert e.dtype == ember.int64
    np.testing.assert_array_equal(to_np(e), t.numpy())


# ---- in place ---------------------------------------------------------------------------

INPLACE = {
    "elu": (lambda x, i: F.elu(x, 0.5, inplace=i), lambda x, i: TF.elu(x, 0.5, inplace=i)),
    "selu": (lambda x, i: F.selu(x, inplace=i), lambda x, i: TF.selu(x, inplace=i)),
    "celu": (lambda x, i: F.celu(x, 1.5, inplace=i), lambda x, i: TF.celu(x, 1.5, inplace=i)),
    "hardtanh": (
        lambda x, i: F.hardtanh(x, -0.5, 0.5, inplace=i),
        lambda x, i: TF.hardtanh(x, -0.5, 0.5, inplace=i),
    ),
    "relu6": (lambda x, i: F.relu6(x, inplace=i), lambda x, i: TF.relu6(x, inplace=i)),
    "hardswish": (lambda x, i: F.hardswish(x, inplace=i), lambda x, i: TF.hardswish(x, inplace=i)),
    "hardsigmoid": (
        lambda x, i: F.hardsigmoid(x, inplace=i),
        lambda x, i: TF.hardsigmoid(x, inplace=i),
    ),
    "mish": (lambda x, i: F.mish(x, inplace=i), lambda x, i: TF.mish(x, inplace=i)),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_writes_into_the_input_and_backpropagates(name):
    ef, tf = INPLACE[name]
    x = np.random.randn(3, 4) * 4
    e, t = pair(x, requires_grad=True)
    ey, ty = e * 1.0, t * 1.0  # non-leaf tensors that record history
    eo, to = ef(ey, True), tf(ty, True)
    assert eo is ey
    assert_close(eo, to)
    _backward_both(eo, to)
    assert_close(e.grad, t.grad)
    with pytest.raises(RuntimeError, match=name + r"\(inplace=True\): a leaf tensor"):
        ef(ember.randn(3, requires_grad=True), True)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_without_autograd_equals_out_of_place(name):
    ef, _ = INPLACE[name]
    x = ember.randn(5, 3) * 4
    want = to_np(ef(x, False))
    y = x.clone()
    assert ef(y, True) is y
    np.testing.assert_array_equal(to_np(y), want)


def test_inplace_on_a_recorded_view_writes_the_base_as_torch():
    x = np.random.randn(4, 4)
    e, t = pair(x, requires_grad=True)
    be, bt = e * 1.0, t * 1.0
    oe, ot = F.elu(be[1], inplace=True), TF.elu(bt[1], inplace=True)
    assert_close(oe, ot)
    assert_close(be, bt)  # the base holds the written row
    w = np.random.randn(4, 4)
    (be * et(w)).sum().backward()
    (bt * torch.tensor(w)).sum().backward()
    assert_close(e.grad, t.grad)


# ---- glu / prelu -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dim", [((4, 6), -1), ((4, 6), 1), ((2, 4, 3), 1), ((8,), 0)])
def test_glu_matches_torch(shape, dim, dtype):
    x = np.random.randn(*shape).astype(dtype) * 3
    e, t = pair(x, requires_grad=True)
    eo, to = F.glu(e, dim), TF.glu(t, dim)
    assert_close(eo, to)
    _backward_both(eo, to)
    assert_close(e.grad, t.grad)


def test_glu_errors_name_the_function_and_shape():
    with pytest.raises(ValueError, match=r"glu: input.shape\[1\] \(3\) must be even .* \(2, 3\)"):
        F.glu(ember.randn(2, 3))
    with pytest.raises(ValueError, match=r"glu: expected an input with at least 1 dim"):
        F.glu(ember.tensor(1.0))
    with pytest.raises(IndexError, match=r"glu: dim 2 is out of range for a tensor with 2 dims"):
        F.glu(ember.randn(2, 4), 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape,wshape",
    [
        ((2, 3, 4, 5), (3,)),
        ((2, 3, 4, 5), (1,)),
        ((4, 3), (3,)),
        ((5,), (1,)),
        ((), (1,)),
        ((2, 3), ()),
    ],
)
def test_prelu_matches_torch(shape, wshape, dtype):
    x = np.asarray(np.random.randn(*shape)).astype(dtype)
    if x.ndim:
        x.flat[0] = 0.0  # the gradient at 0 is the weight, as torch
    w = np.asarray(np.random.rand(*wshape)).astype(dtype)
    e, t = pair(x, requires_grad=True)
    ew, tw = pair(w, requires_grad=True)
    eo, to = F.prelu(e, ew), TF.prelu(t, tw)
    assert_close(eo, to)
    _backward_both(eo, to)
    assert_close(e.grad, t.grad)
    assert_close(ew.grad, tw.grad)


def test_prelu_gradcheck():
    x = ember.tensor(np.random.randn(3, 4, 2) + 0.1, requires_grad=True)
    w = ember.tensor(np.random.rand(4), requires_grad=True)
    assert gradcheck(F.prelu, (x, w))


def test_prelu_errors_name_the_function_and_shapes():
    with pytest.raises(ValueError, match=r"prelu: weight has 2 elements but input shape \(2, 3\)"):
        F.prelu(ember.randn(2, 3), ember.randn(2))
    with pytest.raises(ValueError, match=r"prelu: weight must be 0-d or 1-d, got shape \(3, 1\)"):
        F.prelu(ember.randn(2, 3), ember.randn(3, 1))
    with pytest.raises(TypeError, match=r"prelu: weight dtype float64 must equal input dtype"):
        F.prelu(ember.randn(2, 3), ember.randn(3, dtype=ember.float64))


# ---- argument errors ---------------------------------------------------------------------


def test_argument_errors_name_the_function():
    with pytest.raises(ValueError, match=r"celu: alpha must be nonzero"):
        F.celu(ember.randn(3), 0.0)
    with pytest.raises(ValueError, match=r"hardtanh: min_val \(2.0\) must not be greater than"):
        F.hardtanh(ember.randn(3), 2.0, 1.0)
    for name in ("elu", "selu", "softplus", "softsign", "mish", "logsigmoid", "hardswish"):
        with pytest.raises(TypeError, match=name + r": expected input to have a floating dtype"):
            getattr(F, name)(ember.tensor([1, 2]))


def test_functional_signatures_follow_torch():
    import inspect

    for name in (
        "elu",
        "selu",
        "celu",
        "hardtanh",
        "relu6",
        "hardswish",
        "hardsigmoid",
        "mish",
        "glu",
        "softsign",
    ):
        e = list(inspect.signature(getattr(F, name)).parameters)
        t = list(inspect.signature(getattr(TF, name)).parameters)
        assert e == t, name
    assert list(inspect.signature(F.softplus).parameters) == ["input", "beta", "threshold"]
    assert list(inspect.signature(F.prelu).parameters) == ["input", "weight"]


def test_hardtanh_is_one_node_and_traces_like_eager():
    """Hardtanh and ReLU6 on floating inputs run as one hardtanh op (the clamp kernel): a
    traced forward and backward gives eager's values and gradients exactly, NaN inputs pass
    their gradient (PyTorch's rule), and the graph holds a hardtanh node."""
    x_np = np.array([-7.0, -1.0, -0.5, 0.0, 1.0, 2.5, 6.0, 8.0, np.nan], np.float32)

    def step(x):
        """relu6 then hardtanh(-0.5, 2.5), summed, and its gradient."""
        y = F.hardtanh(F.relu6(x) - 1.0, -0.5, 2.5)
        (g,) = ember.autograd.grad(y.sum(), [x])
        return y, g

    x = ember.from_numpy(x_np).requires_grad_(True)
    traced = ember.jit.trace(step, (x,))
    assert "hardtanh" in str(traced.graph)
    x2 = ember.from_numpy(x_np).requires_grad_(True)
    got, want = traced(x2), step(x2)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    t = torch.from_numpy(x_np.copy()).requires_grad_(True)
    yt = TF.hardtanh(TF.relu6(t) - 1.0, -0.5, 2.5)
    yt.sum().backward()
    np.testing.assert_array_equal(want[0].detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(want[1].numpy(), t.grad.numpy())
