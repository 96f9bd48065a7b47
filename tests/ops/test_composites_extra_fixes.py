"""Regression tests against PyTorch for fixes in ember/_inplace.py and ember/_composites_extra.py:
in-place forms when only another operand requires grad, index_fill's value gradient with a
repeated index, sinc's gradient near 0, ldexp over the whole exponent range, and the edge cases
of diff, cumulative_trapezoid, logit and divide."""

from __future__ import annotations

import math

import ember
import numpy as np
import pytest
from test_composites_extra import assert_grads_match, assert_same

torch = pytest.importorskip("torch")

INF = float("inf")


def _pair(a, requires_grad=False):
    a = np.asarray(a)
    return (ember.from_numpy(a.copy()).requires_grad_(requires_grad),
            torch.from_numpy(a.copy()).requires_grad_(requires_grad))


# ---- in-place forms when only the other operand requires grad ------------------------------------

INPLACE_OTHER = {
    "divide_": lambda x, w: x.divide_(w),
    "divide_floor": lambda x, w: x.divide_(w.detach(), rounding_mode="floor") + w.sum(),
    "true_divide_": lambda x, w: x.true_divide_(w),
    "ldexp_": lambda x, w: x.ldexp_(w),
    "arctan2_": lambda x, w: x.arctan2_(w),
    "atan2_": lambda x, w: x.atan2_(w),
    "hypot_": lambda x, w: x.hypot_(w),
    "copysign_": lambda x, w: x.copysign_(w),
    "xlogy_": lambda x, w: x.xlogy_(w),
    "lerp_weight": lambda x, w: x.lerp_(x * 0 + 5, w),
    "lerp_weight_kw": lambda x, w: x.lerp_(x * 0 + 5, weight=w),
    "addcmul_": lambda x, w: x.addcmul_(w, w),
    "addcdiv_value": lambda x, w: x.addcdiv_(w, w * w, value=0.5),
    "fmod_": lambda x, w: x.fmod_(w),
}


@pytest.mark.parametrize("name", list(INPLACE_OTHER))
def test_in_place_form_where_only_the_other_operand_requires_grad_matches_torch(name):
    fn = INPLACE_OTHER[name]
    results = []
    for m in (ember, torch):
        x = m.tensor([1.0, -2.0, 3.5], dtype=m.float64)
        w = m.tensor([2.0, 4.0, 0.75], dtype=m.float64, requires_grad=True)
        out = fn(x, w)
        (out * m.tensor([1.0, 2.0, -3.0], dtype=m.float64)).sum().backward()
        results.append((x.detach().numpy().copy(), w.grad.numpy().copy(), x.requires_grad))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-15)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-14)
    assert results[0][2] == results[1][2]


def test_in_place_form_on_a_non_leaf_with_both_operands_requiring_grad_matches_torch():
    grads = []
    for m in (ember, torch):
        a = m.tensor([1.0, -2.0, 3.0], dtype=m.float64, requires_grad=True)
        w = m.tensor([2.0, 4.0, 8.0], dtype=m.float64, requires_grad=True)
        x = a * a
        x.divide_(w).arctan2_(w)
        (x * x).sum().backward()
        grads.append((a.grad.numpy().copy(), w.grad.numpy().copy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-14)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-14)


def test_in_place_form_without_grad_keeps_the_tensor_a_plain_leaf():
    x = ember.tensor([1.0, 2.0])
    w = ember.tensor([2.0, 4.0], requires_grad=True)
    with ember.no_grad():
        r = x.divide_(w)
    assert r is x and not x.requires_grad and x.grad_fn is None
    assert x.tolist() == [0.5, 0.5]
    y = ember.tensor([1.0, 4.0])
    y.sqrt_().divide_(ember.tensor([2.0, 2.0]))
    assert not y.requires_grad and y.grad_fn is None and y.tolist() == [0.5, 1.0]


# ---- index_fill with a tensor value --------------------------------------------------------------


# (torch's backward rejects negative indices, so they are compared in the forward test below)
@pytest.mark.parametrize("dim, index", [(0, [0, 2, 2]), (1, [1, 2, 1, 1]), (0, [3, 3]), (2, [0]), (1, [])])
def test_index_fill_tensor_value_gradient_counts_each_slice_once_like_torch(dim, index):
    a = np.random.default_rng(3).standard_normal((4, 3, 2))
    v = np.array(1.5)

    def fn(m, x, val):
        return m.index_fill(x, dim, m.tensor(index, dtype=m.int64), val)

    e, t = assert_grads_match(fn, [a, v], rtol=1e-13, atol=1e-14)
    assert_same(e, t)


def test_index_fill_repeated_index_value_gradient_from_the_review_matches_torch():
    grads = []
    for m in (ember, torch):
        x = m.zeros(4, 3, requires_grad=True)
        v = m.tensor(1.5, requires_grad=True)
        out = m.index_fill(x, 0, m.tensor([0, 2, 2]), v)
        (out * m.arange(12.0).reshape(4, 3)).sum().backward()
        grads.append((v.grad.item(), x.grad.numpy().copy()))
    assert grads[0][0] == grads[1][0] == 24.0
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


def test_index_fill_tensor_value_in_place_integer_and_0d_match_torch():
    for m_dtype, value in (("float64", 2.5), ("int64", 2.7), ("int32", -3.2)):
        e, t = _pair(np.arange(12).reshape(4, 3).astype(m_dtype))
        ve, vt = ember.tensor(value), torch.tensor(value)
        assert_same(ember.index_fill(e, 1, ember.tensor([2, 0, 2]), ve),
                    torch.index_fill(t, 1, torch.tensor([2, 0, 2]), vt))
        assert_same(e.index_fill_(0, ember.tensor([-1, 1]), ve), t.index_fill_(0, torch.tensor([-1, 1]), vt))
        ve, vt = ember.tensor(value, requires_grad=m_dtype == "float64"), torch.tensor(value)
        assert_same(ember.index_fill(e, 1, ember.tensor([-1, 2, -3]), ve).detach(),
                    torch.index_fill(t, 1, torch.tensor([-1, 2, -3]), vt))
    e, t = _pair(np.array(4.0))
    assert_same(ember.index_fill(e, 0, ember.tensor(0), ember.tensor(9.0)),
                torch.index_fill(t, 0, torch.tensor(0), torch.tensor(9.0)))


def test_index_fill_tensor_value_out_of_range_names_the_dim():
    with pytest.raises(IndexError, match="index_fill: index 3 is out of bounds for dimension 1 with size 3"):
        ember.index_fill(ember.zeros(4, 3), 1, ember.tensor([3]), ember.tensor(2.0))


def test_index_fill_tensor_value_traces_into_a_graph():
    def f(x, i, v):
        return ember.index_fill(x, 1, i, v) * 3

    traced = ember.jit.trace(f, (ember.randn(2, 4), ember.tensor([0, 2, 2]), ember.tensor(0.5)))
    args = (ember.randn(2, 4), ember.tensor([3, 1, 3]), ember.tensor(-1.25))
    np.testing.assert_array_equal(traced(*args).numpy(), f(*args).numpy())


# ---- sinc near 0 ---------------------------------------------------------------------------------


def _sinc_grad_reference(x: np.ndarray) -> np.ndarray:
    """d/dx sin(pi x) / (pi x) in float64: the series -(pi t / 3) (1 - t^2 / 10 + t^4 / 280 -
    t^6 / 15120) (t = pi x) below |t| = 0.1, where it is exact to rounding, the direct
    formula (cos t - sin t / t) / x above."""
    x = x.astype(np.float64)
    t = np.pi * x
    series = -np.pi * t / 3 * (1 - t**2 / 10 + t**4 / 280 - t**6 / 15120)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = (np.cos(t) - np.sin(t) / t) / x
    return np.where(np.abs(t) < 0.1, series, direct)


SINC_POINTS = [0.0, -0.0, 1e-30, -1e-20, 1e-8, -1e-6, 3e-4, 0.01, -0.1, 0.3, 0.318, 0.3183, -0.3184, 0.32, 0.5,
               1.0, -1.5, 2.0, 7.3]


@pytest.mark.parametrize("dt, rtol", [(np.float32, 4e-7), (np.float64, 2e-15)])
def test_sinc_gradient_is_accurate_near_zero(dt, rtol):
    x = np.array(SINC_POINTS, dtype=dt)
    e = ember.from_numpy(x.copy()).requires_grad_()
    ember.sinc(e).sum().backward()
    want = _sinc_grad_reference(x)
    got = e.grad.numpy().astype(np.float64)
    # float32 rounds pi x once (as PyTorch), which moves the gradient by ~1 ulp of pi x times
    # its slope: a bound relative to the gradient's own scale there.
    np.testing.assert_allclose(got, want, rtol=rtol, atol=np.abs(x).max() * 1e-7 if dt == np.float32 else 0)
    assert got[0] == 0.0 and got[1] == 0.0  # as PyTorch at exactly 0


def test_sinc_gradient_near_zero_from_the_review():
    for v, g in [(1e-20, 1.0), (1e-8, 0.7), (1e-6, 0.7), (3e-4, 1.0)]:
        a = ember.tensor([v], requires_grad=True)
        (ember.sinc(a) * g).sum().backward()
        exact = -g * math.pi**2 / 3 * v
        assert a.grad.item() == pytest.approx(exact, rel=1e-6)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_sinc_values_match_torch(dt):
    x = np.concatenate([np.array(SINC_POINTS), np.linspace(-3, 3, 601), [np.inf, -np.inf, np.nan]]).astype(dt)
    e, t = _pair(x)
    got, want = ember.sinc(e).numpy(), torch.sinc(t).numpy()
    # the series below |pi x| = 1 is within an ulp or two of PyTorch's quotient
    np.testing.assert_allclose(got, want, rtol=3e-7 if dt == np.float32 else 5e-16, atol=0)
    assert got.dtype == want.dtype


def test_sinc_float64_gradcheck_across_the_series_switch():
    # |pi x| = 1 at x = 0.3183...: the gradient and its own gradient are smooth across it
    x = ember.tensor([-0.5, -0.31831, -0.3183, 0.0, 1e-3, 0.31830, 0.31832, 0.9], dtype=ember.float64,
                     requires_grad=True)
    assert ember.autograd.gradcheck(ember.sinc, (x,))

    def grad_of_sinc(t):
        with ember.enable_grad():  # gradcheck's finite differences run under no_grad
            (g,) = ember.autograd.grad(ember.sinc(t).sum(), [t], create_graph=True)
        return g

    assert ember.autograd.gradcheck(grad_of_sinc, (x,))


def test_sinc_gradient_on_integer_and_random_points_matches_torch_float64():
    x = np.random.default_rng(0).standard_normal(200) * 2
    assert_grads_match(lambda m, a: m.sinc(a), [x], rtol=1e-12, atol=1e-14)


def test_sinc_traces_into_a_graph_and_matches_eager_near_zero():
    traced = ember.jit.trace(ember.sinc, (ember.randn(6),))
    x = ember.tensor([0.0, 1e-6, -0.2, 0.5, 3.0, -1e-30])
    np.testing.assert_array_equal(traced(x).numpy(), ember.sinc(x).numpy())


# ---- ldexp ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("exp_dtype", [np.int64, np.int32])
def test_ldexp_integer_exponent_is_exact_over_the_whole_range_like_torch(dt, exp_dtype):
    rng = np.random.default_rng(11)
    info = np.finfo(dt)
    lo = int(np.log2(info.smallest_subnormal))
    mant = rng.uniform(0.5, 1.0, 3000) * rng.choice([-1, 1], 3000)
    x = np.ldexp(mant, rng.integers(lo, info.maxexp + 1, 3000)).astype(dt)
    x = np.concatenate([x, np.array([0.0, -0.0, INF, -INF, np.nan, info.tiny, info.smallest_subnormal, info.max,
                                     1.5 * info.smallest_subnormal, 0.75], dtype=dt)])
    span = info.maxexp - lo
    e = rng.integers(-2 * span, 2 * span, x.size)
    e[:200] = rng.integers(-100000, 100000, 200)
    e[-10:] = [5000, -5000, 7, -7, 3, -lo - 1, 2 * lo, info.maxexp, 2, -1 + lo]
    e = e.astype(exp_dtype)
    ex, tx = _pair(x)
    ee, te = _pair(e)
    got = ember.ldexp(ex, ee)
    want = torch.ldexp(tx, te)
    assert_same(got, want)
    np.testing.assert_array_equal(np.signbit(got.numpy()), np.signbit(want.numpy()))


def test_ldexp_cases_from_the_review_match_torch():
    cases = [(np.float64, 1.0, 200), (np.float64, 2.0**100, -160), (np.float32, 2.0**-100, 200),
             (np.float32, 2.0**-149, 149), (np.float32, 1.0, -149), (np.float32, 1.0, -150), (np.float64, 1.5, -1075)]
    for dt, x, e in cases:
        ex, tx = _pair(np.array([x], dtype=dt))
        assert_same(ember.ldexp(ex, ember.tensor([e])), torch.ldexp(tx, torch.tensor([e])))


@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")  # torch's, on broadcasting
@pytest.mark.parametrize("x, e", [
    (np.array([3, -2, 7]), np.array([2, -3, 40])),
    (np.array([3], dtype=np.uint8), np.array([3, 200], dtype=np.uint8)),
    (np.array([True, False]), np.array([3, 4])),
    (np.ones((2, 1)), np.array([1, -2, 1500])),
    (np.array(3.0, dtype=np.float32), np.array(2)),
    (np.array([3.0, 5.0]), np.array([2.5, -1.25])),
    (np.array([3.0, 5.0], dtype=np.float32), np.array([2.0, -1.0])),
    (np.array([2.0**-100], dtype=np.float32), np.array([200.0], dtype=np.float32)),  # inf, as torch
    (np.array([1.0]), np.array([200.0], dtype=np.float32)),  # 2**200 in float32: inf, as torch
    (np.array([2.0**-100]), np.array([1100.0])),
])
def test_ldexp_dtypes_broadcasting_and_floating_exponents_match_torch(x, e):
    (ex, tx), (ee, te) = _pair(x), _pair(e)
    with np.errstate(over="ignore"):
        assert_same(ember.ldexp(ex, ee), torch.ldexp(tx, te))


def test_ldexp_gradients_keep_two_to_the_exponent():
    x = ember.tensor([1.0, 3.0, -2.0, 0.0, 5.0], dtype=ember.float64, requires_grad=True)
    ember.ldexp(x, ember.tensor([3, -1, 0, -2, 200])).sum().backward()
    assert x.grad.tolist() == [8.0, 0.5, 1.0, 0.25, 2.0**200]
    # a floating exponent: both gradients as torch
    assert_grads_match(lambda m, a, b: m.ldexp(a, b), [np.array([1.5, -2.0, 0.25]), np.array([3.0, -1.5, 0.5])],
                       rtol=1e-14, atol=1e-15)


def test_ldexp_in_place_with_a_large_exponent_and_a_trace():
    x = ember.tensor([2.0**-100, 3.0])
    assert x.ldexp_(ember.tensor([200, -2])) is x
    assert x.tolist() == [2.0**100, 0.75]
    traced = ember.jit.trace(lambda a, b: ember.ldexp(a, b), (ember.randn(4), ember.tensor([1, 2, 3, 4])))
    a, b = ember.tensor([1.0, 2.0**-100, -3.0, 0.0]), ember.tensor([200, 200, -1, 9])
    np.testing.assert_array_equal(traced(a, b).numpy(), ember.ldexp(a, b).numpy())


# ---- diff, cumulative_trapezoid, logit, divide -----------------------------------------------------


@pytest.mark.parametrize("kw", [{"prepend": [0.0]}, {"append": [5.0, 6.0]}, {"prepend": [1.0], "append": [2.0]}, {}])
def test_diff_of_order_zero_ignores_prepend_and_append_like_torch(kw):
    e_kw = {k: ember.tensor(v) for k, v in kw.items()}
    t_kw = {k: torch.tensor(v) for k, v in kw.items()}
    x = np.array([1.0, 3.0, 8.0])
    e, t = _pair(x, requires_grad=True)
    got, want = ember.diff(e, n=0, **e_kw), torch.diff(t, n=0, **t_kw)
    assert_same(got, want)
    got.sum().backward()
    want.sum().backward()
    assert_same(e.grad, t.grad)


def test_diff_of_order_zero_still_checks_prepend():
    with pytest.raises(ValueError, match=r"diff: prepend has shape \(2, 2\)"):
        ember.diff(ember.tensor([1.0, 3.0]), n=0, prepend=ember.zeros(2, 2))


@pytest.mark.parametrize("y_shape, x_shape, y_dt, x_dt, dim", [
    ((3, 0), (0,), np.float32, np.float32, -1),
    ((3, 0), (3, 0), np.float32, np.float32, -1),
    ((3, 0), (1, 0), np.float32, np.float32, -1),
    ((3, 0), (3, 1), np.float32, np.float32, -1),
    ((3, 0), (0,), np.int64, np.int64, -1),
    ((3, 0), (0,), np.int64, np.float64, -1),
    ((3, 0), (0,), np.float32, np.float64, 1),
    ((0, 3), (3,), np.float64, np.float64, -1),
    ((2, 0, 4), (0,), np.float32, np.float32, 1),
])
def test_cumulative_trapezoid_with_x_and_an_empty_dim_matches_torch(y_shape, x_shape, y_dt, x_dt, dim):
    (ey, ty), (ex, tx) = _pair(np.zeros(y_shape, y_dt)), _pair(np.zeros(x_shape, x_dt))
    assert_same(ember.cumulative_trapezoid(ey, ex, dim=dim), torch.cumulative_trapezoid(ty, tx, dim=dim))


def test_cumulative_trapezoid_with_x_still_matches_torch_on_data():
    rng = np.random.default_rng(4)
    y, x = rng.standard_normal((3, 5)), np.sort(rng.standard_normal(5))
    e, t = assert_grads_match(lambda m, a, b: m.cumulative_trapezoid(a, b), [y, x], rtol=1e-12, atol=1e-14)
    assert_same(e, t, loose=True)
    with pytest.raises(ValueError, match="cumulative_trapezoid: x has 5 sample points but y has 0"):
        ember.cumulative_trapezoid(ember.zeros(3, 0), ember.zeros(5))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_logit_gradient_at_zero_and_one_is_inf_like_torch(dt):
    x = np.array([0.0, 1.0, 0.5, 1e-3, 0.999], dtype=dt)
    e, t = _pair(x, requires_grad=True)
    ember.logit(e).sum().backward()
    torch.logit(t).sum().backward()
    assert e.grad.numpy()[0] == INF and e.grad.numpy()[1] == INF
    tol = {"rtol": 1e-6, "atol": 0} if dt == np.float32 else {"rtol": 1e-14, "atol": 0}
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), **tol)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_logit_values_and_gradients_match_torch(dt):
    rng = np.random.default_rng(6)
    x = np.concatenate([rng.uniform(0, 1, 2000), rng.uniform(0.49, 0.51, 200), 10.0 ** -rng.uniform(1, 30, 100),
                        1 - 10.0 ** -rng.uniform(1, 7, 100), [0.0, 1.0, 0.5, -0.25, 1.25]]).astype(dt)
    e, t = _pair(x)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dt == np.float32 else {"rtol": 1e-7, "atol": 1e-10}
    got, want = ember.logit(e), torch.logit(t)
    assert got.numpy().dtype == want.numpy().dtype
    np.testing.assert_allclose(got.numpy(), want.numpy(), **tol)
    inside = x[(x > 0) & (x < 1)].astype(np.float64)
    assert_grads_match(lambda m, a: m.logit(a), [inside], rtol=1e-12, atol=0)
    assert_grads_match(lambda m, a: m.logit(a, eps=0.1), [inside], rtol=1e-12, atol=0)


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("a, b", [
    ([7, -7, 9, -9, 0], [2]),
    ([7.5, -7.5, 1.0, -0.5], [2.0, 2.0, -3.0, 4.0]),
    ([7, -7], [2.5]),
    ([[7], [-7]], [2, -3, 5]),
])
def test_ember_divide_accepts_rounding_mode_like_torch(mode, a, b):
    (ea, ta), (eb, tb) = _pair(np.array(a)), _pair(np.array(b))
    assert_same(ember.divide(ea, eb, rounding_mode=mode), torch.divide(ta, tb, rounding_mode=mode))
    assert_same(ember.divide(ea, 3, rounding_mode=mode), torch.divide(ta, 3, rounding_mode=mode))
    assert_same(ember.divide(7, eb, rounding_mode=mode), torch.divide(7, tb, rounding_mode=mode))
    assert_same(ea.divide(eb, rounding_mode=mode), ta.divide(tb, rounding_mode=mode))


def test_ember_divide_without_rounding_is_div_and_checks_the_mode():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.divide(x, ember.tensor([4.0, 8.0]))
    assert y.tolist() == [0.25, 0.25] and y.grad_fn is not None
    assert ember.divide(ember.tensor([7]), ember.tensor([2])).tolist() == [3.5]
    assert ember.Tensor.divide is ember.divide
    with pytest.raises(ValueError, match="divide: rounding_mode must be None, 'trunc' or 'floor', got 'round'"):
        ember.divide(ember.ones(2), 2, rounding_mode="round")
