"""Special functions and the C-style binary ops beyond op_db's generic rows: polygamma of every
order, digamma and erfinv at their poles and tails, fmod/hypot/copysign edge cases, and the new
ops inside ember.jit's fused kernels. References: mpmath (installed with PyTorch) and PyTorch."""

from __future__ import annotations

import math

import ember
import numpy as np
import pytest
from ember import jit
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")
mpmath = pytest.importorskip("mpmath")

POINTS = [0.3, 1.7, 5.5, 25.0, 1e3, -0.3, -2.7, -10.5]


def _t(values, dtype=ember.float64, **kw):
    return ember.tensor(values, dtype=dtype, **kw)


def _cancellation_scale(n, x):
    """The size of the terms a direct sum adds for negative x: n! * sum |x + k|^-(n+1)."""
    if x >= 0 or n < 2:
        return 0.0
    return math.factorial(n) * sum(abs(x + k) ** -(n + 1) for k in range(int(-x) + 2))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_polygamma_matches_mpmath(n):
    got = ember.polygamma(n, _t(POINTS)).numpy()
    for x, g in zip(POINTS, got):
        want = float(mpmath.psi(n, x))
        # Relative accuracy, except where a negative x's terms cancel (as in PyTorch's sum).
        assert abs(g - want) <= 2e-14 * abs(want) + 1e-15 * _cancellation_scale(n, x), (x, g)
    np.testing.assert_array_equal(_t(POINTS).polygamma(n).numpy(), got)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_polygamma_poles_match_torch(n):
    x = [0.0, -0.0, -1.0, -4.0, float("nan")]
    got = ember.polygamma(n, _t(x)).numpy()
    want = torch.polygamma(n, torch.tensor(x, dtype=torch.float64)).numpy()
    # PyTorch's trigamma at -1 is a large finite number (its reflection rounds); the pole is +inf.
    if n == 1:
        want[2:4] = np.inf
    np.testing.assert_array_equal(got, want)
    # The limit at +inf is 0 (PyTorch gives NaN).
    assert ember.polygamma(n, _t([float("inf")])).item() == 0.0


@pytest.mark.parametrize("n", [0, 1, 2])
def test_polygamma_gradients(n):
    x = _t([0.4, 1.3, 3.2, -0.6], requires_grad=True)
    assert gradcheck(lambda v: ember.polygamma(n, v), [x])
    (g,) = ember.autograd.grad(ember.polygamma(n, x).sum(), [x])
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    (tg,) = torch.autograd.grad(torch.polygamma(n, tx).sum(), [tx])
    # PyTorch's trigamma is about 5e-10 off (see test_polygamma_matches_mpmath for ember's).
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-9)
    want = [float(mpmath.psi(n + 1, v)) for v in x.detach().numpy()]
    np.testing.assert_allclose(g.numpy(), want, rtol=1e-13)


def test_polygamma_rejects_negative_order_and_integer_inputs_give_float32():
    with pytest.raises(ValueError, match="polygamma: n must be >= 0, got -1"):
        ember.polygamma(-1, _t([1.0]))
    out = ember.polygamma(1, ember.tensor([1, 2]))
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), [math.pi**2 / 6, math.pi**2 / 6 - 1], rtol=1e-6)


def test_digamma_special_points_match_torch():
    x = [0.0, -0.0, -1.0, -3.0, 1e-30, -1e-30, 1e30, -2.5, float("inf"), float("-inf")]
    got = ember.digamma(_t(x)).numpy()
    want = torch.digamma(torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-14)
    # Exact known values: psi(1) = -Euler's gamma, psi(1/2) = -gamma - 2 ln 2.
    g = 0.57721566490153286061
    np.testing.assert_allclose(ember.digamma(_t([1.0, 0.5])).numpy(),
                               [-g, -g - 2 * math.log(2)], rtol=1e-15)


def test_lgamma_matches_math_including_poles_and_negatives():
    x = [0.5, 1.0, 2.0, 10.5, 171.5, -0.5, -2.5, 0.0, -3.0]
    got = ember.lgamma(_t(x)).numpy()
    want = [math.lgamma(v) if v > 0 or v != math.floor(v) else math.inf for v in x]
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_erfinv_tails_and_edges():
    ys = [1e-20, 1e-8, 0.5, 0.9, 1 - 1e-6, 1 - 1e-12, 1 - 2**-52, -0.999999, -(1 - 1e-15)]
    got = ember.erfinv(_t(ys)).numpy()
    want = [float(mpmath.erfinv(mpmath.mpf(y))) for y in ys]
    np.testing.assert_allclose(got, want, rtol=1e-14)
    edge = ember.erfinv(_t([1.0, -1.0, 1.5, -2.0, float("nan"), 0.0, -0.0])).numpy()
    np.testing.assert_array_equal(edge[:2], [np.inf, -np.inf])
    assert np.isnan(edge[2:5]).all()
    assert edge[5] == 0 and np.signbit(edge[6])
    # The round trip through erf, in float32 too (PyTorch as the float32 reference).
    y = ember.linspace(-0.999, 0.999, 101)
    np.testing.assert_allclose(ember.erfinv(y).numpy(),
                               torch.erfinv(torch.from_numpy(y.numpy())).numpy(), rtol=2e-6)
    x = ember.erfinv(y.double())
    np.testing.assert_allclose(ember.erf(x).numpy(), y.double().numpy(), rtol=1e-15, atol=1e-16)


def test_fmod_sign_follows_the_dividend_and_integer_zero_raises():
    a = ember.tensor([-7, 7, -7, 7])
    b = ember.tensor([3, 3, -3, -3])
    np.testing.assert_array_equal(ember.fmod(a, b).numpy(), [-1, 1, -1, 1])
    np.testing.assert_array_equal(ember.remainder(a, b).numpy(), [2, 1, -1, -2])
    assert ember.fmod(ember.tensor([-9223372036854775808]), -1).item() == 0
    with pytest.raises(ValueError, match="fmod: integer division by zero"):
        ember.fmod(a, ember.tensor([1, 0, 1, 1]))
    x = ember.fmod(_t([5.5, -5.5, 1.0]), _t([0.0, 2.0, float("inf")])).numpy()
    assert np.isnan(x[0]) and x[1] == -1.5 and x[2] == 1.0
    u = _t([5.3, -7.1, 2.2], requires_grad=True)
    v = _t([2.0, 1.5, -0.7], requires_grad=True)
    assert gradcheck(ember.fmod, [u, v])


def test_hypot_does_not_overflow_and_needs_a_floating_input():
    big = ember.hypot(_t([1e200, 3.0]), _t([1e200, 4.0])).numpy()
    np.testing.assert_allclose(big, [math.sqrt(2) * 1e200, 5.0], rtol=1e-15)
    assert ember.hypot(ember.tensor([3.0]), ember.tensor([4])).item() == 5.0
    with pytest.raises(TypeError, match="hypot: expected floating inputs, got int64 and int64"):
        ember.hypot(ember.tensor([3]), ember.tensor([4]))


def test_copysign_uses_the_sign_bit_and_its_gradient_matches_torch():
    out = ember.copysign(_t([1.0, 2.0, -3.0, 0.0]), _t([-0.0, 0.0, 5.0, -1.0])).numpy()
    np.testing.assert_array_equal(out, [-1.0, 2.0, 3.0, -0.0])
    assert np.signbit(out[3])
    assert ember.copysign(ember.tensor([3, -2]), 1).dtype == ember.float32
    a = _t([1.5, -2.0, 0.0, 3.0], requires_grad=True)
    b = _t([-1.0, -1.0, -1.0, 2.0], requires_grad=True)
    ga, gb = ember.autograd.grad(ember.copysign(a, b).sum(), [a, b])
    ta = torch.tensor(a.detach().numpy(), requires_grad=True)
    tb = torch.tensor(b.detach().numpy(), requires_grad=True)
    tga, tgb = torch.autograd.grad(torch.copysign(ta, tb).sum(), [ta, tb])
    np.testing.assert_array_equal(ga.numpy(), tga.numpy())
    np.testing.assert_array_equal(gb.numpy(), tgb.numpy())


def test_atan2_quadrants_and_alias():
    y = _t([0.0, 1.0, 0.0, -1.0, -0.0])
    x = _t([1.0, 0.0, -1.0, 0.0, -1.0])
    np.testing.assert_allclose(ember.atan2(y, x).numpy(),
                               [0.0, math.pi / 2, math.pi, -math.pi / 2, -math.pi], rtol=1e-15)
    assert ember.arctan2 is ember.atan2
    np.testing.assert_array_equal(y.atan2(x).numpy(), ember.atan2(y, x).numpy())


def test_square_keeps_integer_dtypes():
    assert ember.square(ember.tensor([True, False])).tolist() == [1, 0]
    assert ember.square(ember.tensor([True])).dtype == ember.int64
    assert ember.square(ember.tensor([-3], dtype=ember.int32)).dtype == ember.int32
    assert ember.tensor([-3.0]).square().item() == 9.0


def test_new_ops_fuse_and_trace_like_eager():
    def f(x, y):
        a = ember.tan(x * 0.5) + ember.asinh(x) + ember.atan(y) + ember.expm1(x * 0.1)
        b = ember.log2(y.abs() + 1.0) - ember.log10(x * x + 1.0) + ember.erfc(x)
        c = ember.atan2(a, b) + ember.hypot(a, b) + ember.fmod(a, 0.7) + ember.copysign(b, a)
        return c * ember.reciprocal(ember.cosh(x)) + ember.square(ember.sinh(y) * 0.1)

    x, y = ember.randn(16, 8, dtype=ember.float64), ember.randn(16, 8, dtype=ember.float64)
    tf = jit.trace(f, (x, y), optimize=False)
    tf.run_passes(memory=False)
    assert tf.graph.ops() == ["fused_elementwise"]
    text = str(tf.graph)
    for name in ("Tan(", "Atan2(", "Hypot(", "Fmod(", "Copysign(", "Square("):
        assert name in text
    for _ in range(2):
        a, b = ember.randn(16, 8, dtype=ember.float64), ember.randn(16, 8, dtype=ember.float64)
        np.testing.assert_array_equal(tf(a, b).numpy(), f(a, b).numpy())
    # Gradients through a traced step of the special functions.
    w = ember.tensor(np.linspace(0.3, 2.0, 12), requires_grad=True)

    def loss(v):
        return (ember.lgamma(v) + ember.digamma(v) * ember.erfinv(v * 0.4)).sum()

    (want,) = ember.autograd.grad(loss(w), [w])
    traced = jit.function(lambda v: ember.autograd.grad(loss(v), [v])[0])
    np.testing.assert_allclose(traced(w).numpy(), want.numpy(), rtol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 3])
def test_round_with_decimals_matches_torch(dtype, decimals):
    rng = np.random.default_rng(decimals + 10)
    a = (rng.normal(size=200) * 10 ** (2 - decimals)).astype(dtype)
    a[:20] = np.round(a[:20] * 2) / 2  # halves
    got = ember.round(ember.tensor(a), decimals=decimals).numpy()
    want = torch.round(torch.from_numpy(a), decimals=decimals).numpy()
    np.testing.assert_array_equal(got, want)
    x = ember.tensor(a, requires_grad=True)
    (g,) = ember.autograd.grad(x.round(decimals=decimals).sum(), [x])
    assert not g.numpy().any()


def test_rounding_ops_fuse_in_jit():
    def f(x):
        return ember.floor(x) + ember.ceil(x * 2) - ember.trunc(x) * ember.frac(x)

    x = ember.randn(8, 8) * 4
    tf = jit.trace(f, (x,), optimize=False)
    tf.run_passes(memory=False)
    assert tf.graph.ops() == ["fused_elementwise"]
    y = ember.randn(8, 8) * 4
    np.testing.assert_array_equal(tf(y).numpy(), f(y).numpy())


def test_atan2_gradient_at_the_origin_is_zero_as_in_torch():
    y = _t([0.0, 1.0, 0.0], requires_grad=True)
    x = _t([0.0, 1.0, -0.0], requires_grad=True)
    gy, gx = ember.autograd.grad(ember.atan2(y, x).sum(), [y, x])
    ty = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64, requires_grad=True)
    tx = torch.tensor([0.0, 1.0, -0.0], dtype=torch.float64, requires_grad=True)
    tgy, tgx = torch.autograd.grad(torch.atan2(ty, tx).sum(), [ty, tx])
    np.testing.assert_array_equal(gy.numpy(), tgy.numpy())
    np.testing.assert_array_equal(gx.numpy(), tgx.numpy())


def test_polygamma_high_orders_and_minus_infinity():
    x = [0.5, 3.0, 40.0]
    for n in (30, 120):
        got = ember.polygamma(n, _t(x)).numpy()
        want = torch.polygamma(n, torch.tensor(x, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-13)
    # n = 30 at x = 40: the direct sum stops early; mpmath as the reference.
    np.testing.assert_allclose(ember.polygamma(30, _t([40.0])).item(),
                               float(mpmath.psi(30, 40)), rtol=1e-13)
    for n in (0, 1, 2):
        assert math.isnan(ember.polygamma(n, _t([float("-inf")])).item())


def test_numpy_style_aliases():
    for alias, name in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"),
                        ("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh"),
                        ("arctan2", "atan2")):
        assert getattr(ember, alias) is getattr(ember, name)
        assert hasattr(ember.Tensor, alias)
    assert ember.tensor([1.0]).arctan2(ember.tensor([1.0])).item() == pytest.approx(math.pi / 4)
