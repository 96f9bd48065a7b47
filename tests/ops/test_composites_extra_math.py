"""The math functions, aliases, Tensor queries and windows of ember/_composites_extra.py against
PyTorch (and numpy for exactness): values, result dtypes, float64 gradients, in-place forms,
errors and ember.jit traces."""

from __future__ import annotations

import zlib

import ember
import numpy as np
import pytest
from test_composites_extra import assert_grads_match, assert_same

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _i(*vals, dtype=np.int64):
    return np.array(vals, dtype=dtype)


def _unit(*shape):
    """Spec for values in (0.02, 0.98): probabilities for logit."""
    return ("unit", shape)


def _pos(*shape):
    """Spec for values in (2, 5): arguments of mvlgamma."""
    return ("pos", shape)


# name: (function of (lib, *tensors), input specs, differentiable)
CASES = {
    "diff": (lambda m, x: m.diff(x), [(5,)], True),
    "diff_n2_dim0": (lambda m, x: x.diff(2, 0), [(5, 3)], True),
    "diff_prepend_append": (lambda m, x, p, a: m.diff(x, 1, 1, p, a), [(2, 3), (2, 1), (2, 2)], True),
    "diff_n_too_big": (lambda m, x: m.diff(x, n=5), [(3,)], True),
    "diff_n0": (lambda m, x: m.diff(x, n=0), [(3,)], True),
    "diff_int": (lambda m, x: m.diff(x, 2), [_i(1, 4, 9, 16, 25)], False),
    "diff_bool": (lambda m, x: m.diff(x), [np.array([True, False, False, True])], False),
    "diff_int_prepend_float": (lambda m, x, p: m.diff(x, prepend=p), [_i(1, 2, 4, dtype=np.int32), (1,)], False),
    "kthvalue": (lambda m, x: m.kthvalue(x, 2), [(3, 5)], True),
    "kthvalue_dim0_keepdim": (lambda m, x: x.kthvalue(3, 0, True), [(4, 2)], True),
    "kthvalue_0d": (lambda m, x: m.kthvalue(x, 1), [()], True),
    "kthvalue_nan": (lambda m, x: m.kthvalue(x, 4), [np.array([3.0, NAN, 1.0, 2.0])], False),
    "kthvalue_int": (lambda m, x: m.kthvalue(x, 1, 0), [_i(4, -2, 7)], False),
    "isin": (lambda m, x, y: m.isin(x, y), [_i(1, 2, 3, 4), _i(2, 4, 6)], False),
    "isin_promote": (lambda m, x, y: m.isin(x, y), [_i(1, 2, 3), np.array([2.0, 3.5])], False),
    "isin_nan": (lambda m, x, y: m.isin(x, y), [np.array([1.0, 2.0, NAN]), np.array([NAN, 2.0])], False),
    "isin_scalar_elements": (lambda m, y: m.isin(2, y), [np.array([2.0, 3.5])], False),
    "isin_scalar_test": (lambda m, x: m.isin(x, 2, invert=True), [_i(1, 2, 2).reshape(3, 1)], False),
    "isin_empty_test": (lambda m, x, y: m.isin(x, y), [_i(1, 2), _i()], False),
    "logit": (lambda m, x: m.logit(x), [_unit(3, 4)], True),
    "logit_eps": (lambda m, x: x.logit(eps=0.2), [_unit(10)], True),
    "logit_edges": (lambda m, x: m.logit(x), [np.array([0.0, 1.0, -0.5, 1.5, 0.5])], False),
    "logit_int": (lambda m, x: m.logit(x), [_i(0, 1)], False),
    "sinc": (lambda m, x: m.sinc(x), [(4, 3)], True),
    "sinc_zero": (lambda m, x: x.sinc(), [np.array([0.0, -0.0, 1.0, 2.5, -3.0])], True),
    "sinc_int": (lambda m, x: m.sinc(x), [_i(0, 1, -2)], False),
    "i0": (lambda m, x: m.i0(x), [(3, 4)], True),
    "i0_wide": (lambda m, x: x.i0(), [np.array([0.0, 1e-8, 7.5, -19.99, 20.0, 20.01, 45.0, -300.0, 709.0])], True),
    "i0_overflow": (lambda m, x: m.i0(x), [np.array([710.0, -800.0, INF, NAN])], False),
    "i0_int": (lambda m, x: m.i0(x), [_i(0, 1, -3)], False),
    "gcd": (lambda m, x, y: m.gcd(x, y), [_i(12, -18, 0, 7, 0, 48), _i(-8, 0, 0, 13, 5, 36)], False),
    "gcd_bcast_promote": (lambda m, x, y: x.gcd(y), [_i(6, 9, 15, dtype=np.int32).reshape(3, 1), _i(4, 10)], False),
    "gcd_uint8": (lambda m, x, y: m.gcd(x, y), [_i(200, 48, 255, dtype=np.uint8), _i(150, 18, 17, dtype=np.uint8)], False),
    "lcm": (lambda m, x, y: m.lcm(x, y), [_i(-4, 6, 0, 21), _i(6, -4, 5, 6)], False),
    "lcm_uint8_wraps": (lambda m, x, y: m.lcm(x, y), [_i(238, 8, 0, dtype=np.uint8), _i(3, 12, 0, dtype=np.uint8)], False),
    "ldexp": (lambda m, x: m.ldexp(x, m.tensor([3, 1, 0])), [(2, 3)], True),
    # (PyTorch's gradient for a negative integer exponent is 0, from an integer 2 ** -1; see
    # test_ldexp_gradient_is_two_to_the_exponent)
    "ldexp_neg_exp": (lambda m, x: m.ldexp(x, m.tensor([3, -1, 0])), [(2, 3)], False),
    "ldexp_float_exp": (lambda m, x, e: x.ldexp(e), [(3,), (3,)], True),
    "ldexp_int": (lambda m, x, e: m.ldexp(x, e), [_i(1, 2), _i(3, -1)], False),
    "frexp": (lambda m, x: m.frexp(x), [(3, 4)], True),
    "frexp_special": (lambda m, x: x.frexp(),
                      [np.array([0.0, -0.0, 1.0, -3.0, INF, -INF, NAN, 5e-324, -2.2e-308, 1.7e308, 0.5, 0.9999999999999999])],
                      False),
    "nextafter": (lambda m, x, y: m.nextafter(x, y), [(3, 4), (3, 4)], False),
    "nextafter_special": (lambda m, x, y: x.nextafter(y),
                          [np.array([0.0, 0.0, -0.0, 1.0, 1.0, 2.0, INF, INF, -INF, NAN, 1.0, 5e-324, 2.2250738585072014e-308,
                                     1.7976931348623157e308, -4.0]),
                           np.array([1.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, INF, 0.0, 1.0, NAN, 0.0, 0.0, INF, 0.0])], False),
    "cov": (lambda m, x: m.cov(x), [(3, 6)], True),
    "cov_1d_correction0": (lambda m, x: x.cov(correction=0), [(5,)], True),
    "cov_fweights": (lambda m, x: m.cov(x, fweights=m.tensor([1, 2, 0, 3])), [(2, 4)], True),
    "cov_aweights": (lambda m, x, w: m.cov(x, aweights=w.abs()), [(2, 4), (4,)], True),
    "cov_both_weights": (lambda m, x, w: m.cov(x, correction=2, fweights=m.tensor([1, 2, 1, 3]), aweights=w.abs()),
                         [(3, 4), (4,)], True),
    "cov_int": (lambda m, x: m.cov(x), [_i(1, 2, 4, 7, 3, 3).reshape(2, 3)], False),
    "corrcoef": (lambda m, x: m.corrcoef(x), [(3, 5)], True),
    "corrcoef_1d": (lambda m, x: x.corrcoef(), [(5,)], False),
    "corrcoef_constant_row": (lambda m, x: m.corrcoef(x), [np.array([[1.0, 2.0, 4.0], [1.0, 1.0, 1.0]])], False),
    "trapezoid": (lambda m, y: m.trapezoid(y), [(3, 5)], True),
    "trapezoid_dx_dim": (lambda m, y: m.trapezoid(y, dx=0.5, dim=0), [(4, 2)], True),
    "trapezoid_x1d": (lambda m, y, x: m.trapezoid(y, x, dim=0), [(4, 2), (4,)], True),
    "trapezoid_x_same": (lambda m, y, x: m.trapezoid(y, x), [(2, 4), (2, 4)], True),
    "trapezoid_x_bcast": (lambda m, y, x: m.trapezoid(y, x), [(3, 2, 4), (2, 4)], True),
    "trapezoid_int": (lambda m, y: m.trapezoid(y), [_i(1, 2, 4)], False),
    "trapezoid_int_x": (lambda m, y, x: m.trapezoid(y, x), [_i(1, 2, 4), _i(1, 2, 5)], False),
    "trapezoid_empty": (lambda m, y: m.trapezoid(y), [(2, 0)], False),
    "trapezoid_one": (lambda m, y: m.trapezoid(y), [(2, 1)], True),
    "trapz": (lambda m, y, x: m.trapz(y, x), [(2, 3), (3,)], True),
    "trapz_dx": (lambda m, y: m.trapz(y, dx=2), [(3,)], True),
    "cumulative_trapezoid": (lambda m, y: m.cumulative_trapezoid(y), [(2, 5)], True),
    "cumulative_trapezoid_dx": (lambda m, y: m.cumulative_trapezoid(y, dx=0.25, dim=0), [(4, 3)], True),
    "cumulative_trapezoid_x": (lambda m, y, x: m.cumulative_trapezoid(y, x), [(2, 4), (4,)], True),
    "cumulative_trapezoid_int": (lambda m, y: m.cumulative_trapezoid(y, dx=2), [_i(1, 2, 4)], False),
    "cumulative_trapezoid_empty": (lambda m, y: m.cumulative_trapezoid(y), [(2, 0)], False),
    "dist": (lambda m, x, y: m.dist(x, y), [(3, 4), (3, 4)], True),
    "dist_bcast_p1": (lambda m, x, y: x.dist(y, 1), [(3, 4), (4,)], True),
    "dist_p3": (lambda m, x, y: m.dist(x, y, 3), [(5,), (5,)], True),
    "dist_inf": (lambda m, x, y: m.dist(x, y, INF), [(5,), (5,)], True),
    "dist_neginf": (lambda m, x, y: m.dist(x, y, -INF), [(5,), (5,)], True),
    "dist_p0": (lambda m, x, y: m.dist(x, y, 0), [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.5])], False),
    "renorm": (lambda m, x: m.renorm(x, 2, 0, 2.0), [(3, 4)], True),
    "renorm_p1_dim1": (lambda m, x: x.renorm(1, 1, 3.0), [(3, 4, 2)], True),
    "renorm_inf": (lambda m, x: m.renorm(x, INF, -1, 1.0), [(2, 5)], True),
    "mvlgamma": (lambda m, x: m.mvlgamma(x, 1), [_pos(4)], True),
    "mvlgamma_p3": (lambda m, x: x.mvlgamma(3), [_pos(2, 3)], True),
    "mvlgamma_int": (lambda m, x: m.mvlgamma(x, 2), [_i(2, 3)], False),
    "aminmax": (lambda m, x: m.aminmax(x), [(3, 4)], True),
    "aminmax_dim": (lambda m, x: x.aminmax(dim=0), [(3, 4)], True),
    "aminmax_keepdim": (lambda m, x: m.aminmax(x, dim=-1, keepdim=True), [(3, 4)], True),
    "aminmax_all_keepdim": (lambda m, x: m.aminmax(x, keepdim=True), [(2, 3)], True),
    "aminmax_ties": (lambda m, x: m.aminmax(x, dim=1), [np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])], True),
    "aminmax_bool": (lambda m, x: m.aminmax(x), [np.array([True, False])], False),
    "aminmax_empty_rows": (lambda m, x: m.aminmax(x, dim=1), [(0, 2)], False),
}

_LOOSE = {"i0", "i0_wide", "cov", "cov_1d_correction0", "cov_fweights", "cov_aweights", "cov_both_weights",
          "cov_int", "corrcoef", "corrcoef_1d", "trapezoid", "trapezoid_dx_dim", "trapezoid_x1d",
          "trapezoid_x_same", "trapezoid_x_bcast", "trapz", "cumulative_trapezoid",
          "cumulative_trapezoid_dx", "cumulative_trapezoid_x", "dist", "i0_int", "dist_bcast_p1", "dist_p3",
          "renorm", "renorm_p1_dim1", "renorm_inf", "mvlgamma", "mvlgamma_p3", "mvlgamma_int",
          "logit", "logit_eps", "sinc", "sinc_zero", "corrcoef_constant_row"}


def _inputs(specs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for s in specs:
        if isinstance(s, np.ndarray):
            out.append(s)
        elif isinstance(s, tuple) and s and s[0] == "unit":
            out.append(rng.uniform(0.02, 0.98, s[1]))
        elif isinstance(s, tuple) and s and s[0] == "pos":
            out.append(rng.uniform(2.0, 5.0, s[1]))
        else:
            out.append(np.asarray(rng.standard_normal(s) * 3))
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    fn, specs, diff = CASES[name]
    arrays = _inputs(specs, zlib.crc32(name.encode()))
    if diff:
        e, t = assert_grads_match(fn, arrays, rtol=1e-9 if name in _LOOSE else 1e-10)
    else:
        e = fn(ember, *[ember.from_numpy(a.copy()) for a in arrays])
        t = fn(torch, *[torch.from_numpy(a.copy()) for a in arrays])
    assert_same(e, t, name in _LOOSE)


@pytest.mark.parametrize("name", ["diff", "kthvalue", "logit_eps", "sinc", "i0", "i0_wide", "ldexp", "frexp",
                                  "frexp_special", "nextafter", "nextafter_special", "cov_aweights", "corrcoef",
                                  "trapezoid_x1d", "cumulative_trapezoid", "dist", "renorm", "mvlgamma_p3",
                                  "aminmax_dim"])
def test_float32_matches_torch(name):
    fn, specs, _ = CASES[name]
    with np.errstate(over="ignore"):
        arrays = [a.astype(np.float32) if a.dtype == np.float64 else a
                  for a in _inputs(specs, zlib.crc32(name.encode()))]
        e = fn(ember, *[ember.from_numpy(a.copy()) for a in arrays])
        t = fn(torch, *[torch.from_numpy(a.copy()) for a in arrays])
    exact = name.startswith(("frexp", "nextafter", "kthvalue", "aminmax", "ldexp"))
    for a, b in zip(e if isinstance(e, tuple) else [e], t if isinstance(t, tuple) else [t]):
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        if exact:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        else:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=3e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["diff_prepend_append", "kthvalue_dim0_keepdim", "logit_eps", "sinc_zero", "i0_wide",
                                  "ldexp_float_exp", "frexp", "cov_both_weights", "corrcoef", "trapezoid_x_bcast",
                                  "cumulative_trapezoid_x", "dist_p3", "renorm_p1_dim1", "mvlgamma_p3", "aminmax_dim"])
def test_float64_gradcheck(name):
    fn, specs, _ = CASES[name]
    arrays = _inputs(specs, zlib.crc32(name.encode()) + 1)
    if name == "i0_wide":
        arrays = [np.array([0.0, 0.3, 7.5, -19.99, 20.01, 35.0])]
    inputs = [ember.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in arrays]

    def f(*xs):
        out = fn(ember, *xs)
        out = out if isinstance(out, tuple) else (out,)
        return tuple(o for o in out if o.is_floating_point())

    assert ember.autograd.gradcheck(f, inputs, rtol=2e-3)


# ---- exactness -------------------------------------------------------------------------------


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_frexp_and_nextafter_are_exact_over_the_whole_exponent_range(dt):
    rng = np.random.default_rng(5)
    info = np.finfo(dt)
    lo = int(np.log2(info.smallest_subnormal))
    mant = rng.uniform(0.5, 1.0, 3000) * rng.choice([-1, 1], 3000)
    x = np.ldexp(mant, rng.integers(lo, info.maxexp + 1, 3000)).astype(dt)
    x = np.concatenate([x, np.array([info.smallest_subnormal, info.tiny, info.max, -info.tiny], dtype=dt),
                        np.ldexp(np.ones(40, dt), np.arange(-20, 20))])
    x = x[np.isfinite(x)]
    m, e = ember.frexp(ember.from_numpy(x.copy()))
    want_m, want_e = np.frexp(x)
    np.testing.assert_array_equal(m.numpy(), want_m)
    np.testing.assert_array_equal(e.numpy(), want_e)
    for toward in (np.full_like(x, np.inf), np.full_like(x, -np.inf), np.zeros_like(x)):
        got = ember.nextafter(ember.from_numpy(x.copy()), ember.from_numpy(toward))
        with np.errstate(over="ignore"):
            np.testing.assert_array_equal(got.numpy(), np.nextafter(x, toward))


def test_diff_of_order_zero_is_a_new_tensor():
    x = ember.arange(3.0)
    y = ember.diff(x, n=0)
    assert y is not x and not y._is_view and y.tolist() == x.tolist()


def test_ldexp_gradient_is_two_to_the_exponent():
    x = ember.ones(4, dtype=ember.float64, requires_grad=True)
    ember.ldexp(x, ember.tensor([3, -1, 0, -2])).sum().backward()
    assert x.grad.tolist() == [8.0, 0.5, 1.0, 0.25]


def test_i0_is_accurate_over_its_range():
    x = np.concatenate([np.linspace(-30, 30, 6001), np.linspace(30, 709, 2000)])
    got = ember.i0(ember.from_numpy(x.copy())).numpy()
    want = torch.special.i0(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=3e-15)
    # its derivative is I1
    t = ember.from_numpy(x[:6001].copy()).requires_grad_()
    ember.i0(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), torch.special.i1(torch.from_numpy(x[:6001])).numpy(), rtol=1e-13,
                               atol=1e-300)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_gcd_and_lcm_match_numpy_on_random_integers(dtype):
    rng = np.random.default_rng(2)
    hi = 200 if dtype == np.uint8 else 10**6
    lo = 0 if dtype == np.uint8 else -hi
    a = rng.integers(lo, hi, 500).astype(dtype)
    b = rng.integers(lo, hi, 500).astype(dtype)
    b[::7] = 0
    g = ember.gcd(ember.from_numpy(a.copy()), ember.from_numpy(b.copy()))
    np.testing.assert_array_equal(g.numpy(), np.gcd(a, b))
    small_a, small_b = a % 100, b % 100
    lcm = ember.lcm(ember.from_numpy(small_a.copy()), ember.from_numpy(small_b.copy()))
    np.testing.assert_array_equal(lcm.numpy(), torch.lcm(torch.from_numpy(small_a), torch.from_numpy(small_b)).numpy())


def test_gcd_of_consecutive_fibonacci_numbers_takes_the_most_steps():
    fib = [1, 1]
    while fib[-1] < 2**62:
        fib.append(fib[-1] + fib[-2])
    a = np.array(fib[2:], dtype=np.int64)
    b = np.array(fib[1:-1], dtype=np.int64)
    np.testing.assert_array_equal(ember.gcd(ember.from_numpy(a), ember.from_numpy(b)).numpy(), np.ones_like(a))


def test_isin_large_inputs_use_the_sorted_path_and_match_torch():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 10000, (300, 50))
    b = rng.integers(0, 10000, 400)
    got = ember.isin(ember.from_numpy(a.copy()), ember.from_numpy(b.copy()))
    np.testing.assert_array_equal(got.numpy(), torch.isin(torch.from_numpy(a), torch.from_numpy(b)).numpy())
    got = ember.isin(ember.from_numpy(a.copy()), ember.from_numpy(b.copy()), invert=True)
    np.testing.assert_array_equal(got.numpy(), ~np.isin(a, b))


def test_kthvalue_matches_torch_on_random_shapes():
    rng = np.random.default_rng(6)
    for shape, k, dim in [((7,), 4, 0), ((3, 6, 2), 6, 1), ((5, 4), 1, -1)]:
        a = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
        e, t = assert_grads_match(lambda m, x, k=k, d=dim: m.kthvalue(x, k, d), [a])
        assert_same(e, t)
        assert type(e).__name__ == "kthvalue" and e._fields == ("values", "indices")


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_histogram_matches_torch(dt):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((40, 3)) * 2).astype(dt)
    w = rng.uniform(0, 2, (40, 3)).astype(dt)
    calls = [
        lambda m, a, b: m.histogram(a, 7),
        lambda m, a, b: a.histogram(5, range=(-1.0, 2.0)),
        lambda m, a, b: m.histogram(a, 4, weight=b),
        lambda m, a, b: m.histogram(a, 6, density=True),
        lambda m, a, b: m.histogram(a, 3, range=(-1.5, 1.5), weight=b, density=True),
        lambda m, a, b: m.histogram(a, m.tensor([-3.0, -1.0, 0.0, 0.5, 4.0], dtype=a.dtype)),
        lambda m, a, b: m.histogram(a[:1, :1] * 0 + 1, 3),
        lambda m, a, b: m.histogram(a[:0], 2),
        lambda m, a, b: m.histogram(m.where(a > 2, a * float("nan"), a), 4, range=(-2.0, 2.0)),
    ]
    for i, f in enumerate(calls):
        e = f(ember, ember.from_numpy(x.copy()), ember.from_numpy(w.copy()))
        t = f(torch, torch.from_numpy(x.copy()), torch.from_numpy(w.copy()))
        assert type(e).__name__ == "histogram" and e._fields == ("hist", "bin_edges")
        assert e.hist.dtype == e.bin_edges.dtype == ember.from_numpy(x).dtype
        np.testing.assert_array_max_ulp(e.bin_edges.numpy(), t.bin_edges.numpy(), maxulp=1)
        np.testing.assert_allclose(e.hist.numpy(), t.hist.numpy(), rtol=1e-5, atol=1e-6, err_msg=f"call {i}")


# ---- aliases, queries and in-place forms ------------------------------------------------------


def test_aliases_match_torch_as_functions_and_methods():
    a = np.array([[1.5, -2.0, 0.0], [3.0, -0.5, 2.0]])
    b = np.array([1.5, 0.5, -1.0])
    e1, e2, t1, t2 = ember.from_numpy(a), ember.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    for name in ["greater", "greater_equal", "less", "less_equal", "not_equal"]:
        assert_same(getattr(ember, name)(e1, e2), getattr(torch, name)(t1, t2), where=name)
        assert_same(getattr(e1, name)(1.5), getattr(t1, name)(1.5), where=name)
    for name in ["negative", "absolute"]:
        assert_same(getattr(ember, name)(e1), getattr(torch, name)(t1), where=name)
        assert_same(getattr(e1, name)(), getattr(t1, name)(), where=name)
    assert_same(e1.multiply(e2), t1.multiply(t2))
    assert_same(e1.subtract(e2, alpha=2), t1.subtract(t2, alpha=2))
    assert_same(e1.divide(e2), t1.divide(t2))
    assert_same(e1.fix(), t1.fix())


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
def test_divide_rounding_modes_match_torch(mode):
    ints = (_i(7, -7, 7, -7, 6, -9, 0), _i(2, 2, -2, -2, 3, 4, 5))
    floats = (np.array([7.5, -7.5, 1.0, -0.3]), np.array([2.0, 2.0, -3.0, 0.1]))
    for a, b in (ints, floats):
        e = ember.from_numpy(a.copy()).divide(ember.from_numpy(b.copy()), rounding_mode=mode)
        t = torch.from_numpy(a.copy()).divide(torch.from_numpy(b.copy()), rounding_mode=mode)
        assert_same(e, t, loose=True)
        e = ember.from_numpy(a.copy()).divide(3, rounding_mode=mode)
        t = torch.from_numpy(a.copy()).divide(3, rounding_mode=mode)
        assert_same(e, t, loose=True)


INPLACE = {
    "logit_": lambda m, x: x.abs_().mul_(0.1).logit_(),
    "sinc_": lambda m, x: x.sinc_(),
    "i0_": lambda m, x: x.i0_(),
    "ldexp_": lambda m, x: x.ldexp_(m.tensor([1, 2, -1, 0])),
    "renorm_": lambda m, x: x.renorm_(2, 0, 1.0),
    "mvlgamma_": lambda m, x: x.abs_().add_(2).mvlgamma_(2),
    "nextafter_": lambda m, x: x.nextafter_(m.zeros(4, dtype=m.float64)),
    "negative_": lambda m, x: x.negative_(),
    "absolute_": lambda m, x: x.absolute_(),
    "greater_": lambda m, x: x.greater_(0.5),
    "less_equal_": lambda m, x: x.less_equal_(0.5),
    "not_equal_": lambda m, x: x.not_equal_(x.clone()),
    "multiply_": lambda m, x: x.multiply_(3),
    "divide_": lambda m, x: x.divide_(3, rounding_mode="floor"),
    "subtract_": lambda m, x: x.subtract_(1, alpha=2),
    "true_divide_": lambda m, x: x.true_divide_(4),
    "fix_": lambda m, x: x.fix_(),
    "clip_": lambda m, x: x.clip_(-1, 1),
    "arcsin_": lambda m, x: x.clip_(-1, 1).arcsin_(),
    "arccos_": lambda m, x: x.clip_(-1, 1).arccos_(),
    "arctan_": lambda m, x: x.arctan_(),
    "arctan2_": lambda m, x: x.arctan2_(m.ones(4, dtype=m.float64)),
    "arcsinh_": lambda m, x: x.arcsinh_(),
    "arccosh_": lambda m, x: x.abs_().add_(1).arccosh_(),
    "arctanh_": lambda m, x: x.clip_(-0.5, 0.5).arctanh_(),
    "float_power_": lambda m, x: x.float_power_(2),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_forms_return_self_and_match_torch(name):
    a = np.array([[0.3, -1.7, 2.5, 4.0], [-0.2, 0.9, -3.1, 1.0]])
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    r = INPLACE[name](ember, e)
    INPLACE[name](torch, t)
    assert r is e
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)


def test_gcd_and_lcm_in_place_forms():
    a = _i(12, 18, 7)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    assert e.gcd_(ember.tensor([8, 4, 0])) is e
    t.gcd_(torch.tensor([8, 4, 0]))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    e.lcm_(ember.tensor([3, 5, 2]))
    t.lcm_(torch.tensor([3, 5, 2]))
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("call,err,match", [
    (lambda: ember.ones(2).float_power_(2), TypeError, "float_power_: the result is float64"),
    (lambda: ember.tensor([1, 2]).true_divide_(2), TypeError, "true_divide_: the result dtype ember.float32 can't be cast"),
    (lambda: ember.tensor([1, 2]).logit_(), TypeError, "logit_: the result dtype ember.float32"),
])
def test_in_place_forms_refuse_results_they_cannot_hold(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_tensor_queries_match_torch():
    for dt in ["float32", "float64", "int32", "int64", "uint8", "bool"]:
        e, t = ember.zeros(2, 3, dtype=getattr(ember, dt)), torch.zeros(2, 3, dtype=getattr(torch, dt))
        assert e.type() == t.type()
        assert e.is_signed() == t.is_signed() == ember.is_signed(e)
        assert e.is_complex() is False and ember.is_complex(e) is False
        assert e.ndimension() == t.ndimension() == 2
    x = ember.ones(2, 3)
    assert x.is_same_size(ember.zeros(2, 3)) and not ember.is_same_size(x, ember.ones(3, 2))
    assert ember.is_nonzero(ember.tensor([[0.5]])) and not ember.tensor(0).is_nonzero()
    assert ember.is_nonzero(ember.tensor(float("nan")))


def test_type_converts_with_torch_type_names_and_dtypes():
    x = ember.tensor([1.7, -2.2])
    assert x.type("torch.DoubleTensor").dtype == ember.float64
    assert x.type("torch.LongTensor").tolist() == torch.tensor([1.7, -2.2]).type("torch.LongTensor").tolist()
    assert x.type("ember.IntTensor").dtype == ember.int32
    assert x.type(ember.uint8).dtype == ember.uint8
    assert x.type("torch.FloatTensor") is x and x.type(ember.float32) is x
    assert x.type("BoolTensor").dtype == ember.bool
    with pytest.raises(TypeError, match=r"type: unknown type 'torch.HalfTensor'"):
        x.type("torch.HalfTensor")


@pytest.mark.parametrize("n", [0, 2])
def test_is_nonzero_refuses_zero_or_several_elements(n):
    with pytest.raises(RuntimeError, match="is_nonzero: the truth value of a tensor with"):
        ember.is_nonzero(ember.ones(n))


# ---- windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
                                  "kaiser_window"])
def test_windows_match_torch(name):
    for length in [0, 1, 2, 3, 4, 5, 8, 17, 64]:
        for periodic in [True, False]:
            for dt in ["float32", "float64"]:
                e = getattr(ember, name)(length, periodic, dtype=getattr(ember, dt))
                t = getattr(torch, name)(length, periodic, dtype=getattr(torch, dt))
                assert e.dtype == getattr(ember, dt) and tuple(e.shape) == tuple(t.shape)
                tol = {"rtol": 2e-6, "atol": 2e-7} if dt == "float32" else {"rtol": 1e-13, "atol": 1e-15}
                np.testing.assert_allclose(e.numpy(), t.numpy(), **tol, err_msg=f"{length} {periodic} {dt}")
    w = getattr(ember, name)(5, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == ember.float32


def test_window_parameters_match_torch():
    np.testing.assert_allclose(ember.hamming_window(9, False, 0.6, 0.3).numpy(),
                               torch.hamming_window(9, False, 0.6, 0.3).numpy(), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(ember.kaiser_window(9, True, 5.0, dtype=ember.float64).numpy(),
                               torch.kaiser_window(9, True, 5.0, dtype=torch.float64).numpy(), rtol=1e-13)


# ---- ember.jit -------------------------------------------------------------------------------


def test_math_functions_trace_into_graphs_and_match_eager():
    def f(x, y, i, j):
        p = ember.sigmoid(x)
        a = ember.diff(x, 2, 0, append=y[:1]).sum() + ember.logit(p, 1e-3).sum() + ember.sinc(x).sum()
        b = ember.i0(x).sum() + ember.ldexp(x, i).sum() + ember.frexp(x).mantissa.sum()
        c = ember.cov(x).sum() + ember.corrcoef(x).sum() + ember.trapezoid(x, y[0]).sum()
        d = ember.cumulative_trapezoid(x, dx=0.5).sum() + ember.dist(x, y) + ember.renorm(x, 2, 0, 1.0).sum()
        e = ember.mvlgamma(p + 2, 2).sum() + ember.aminmax(x, dim=1).max.sum() + ember.nextafter(x, y).sum()
        g = ember.gcd(i, j).float().sum() + ember.lcm(i, j).float().sum() + ember.isin(i, j).float().sum()
        return a + b + c + d + e + g + ember.hann_window(4).sum() + ember.kaiser_window(5).sum()

    def args():
        return (ember.randn(3, 4), ember.randn(3, 4), ember.randint(-20, 20, (3, 4)), ember.randint(-20, 20, (3, 4)))

    traced = ember.jit.trace(f, args())
    for _ in range(2):
        new = args()
        np.testing.assert_allclose(traced(*new).numpy(), f(*new).numpy(), rtol=1e-5, atol=1e-4)


def test_kthvalue_and_histogram_refuse_to_trace():
    with pytest.raises(RuntimeError):
        ember.jit.trace(lambda x: ember.kthvalue(x, 1).values * 2, (ember.randn(3, 2),))
    with pytest.raises(RuntimeError):
        ember.jit.trace(lambda x: ember.histogram(x, 3).hist * 2, (ember.randn(3, 2),))


def test_import_does_not_load_torch():
    import subprocess
    import sys

    code = "import sys; import ember; print('torch' in sys.modules)"
    env_path = ember.__file__.rsplit("/ember/", 1)[0]
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {env_path!r}); {code}"],
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "False"


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call,err,match", [
    (lambda: ember.diff(ember.tensor(1.0)), ValueError, "diff: input must have at least 1 dim"),
    (lambda: ember.diff(ember.ones(3), n=-1), ValueError, "diff: n \\(the order\\) must be >= 0, got -1"),
    (lambda: ember.diff(ember.ones(3), prepend=ember.tensor(1.0)), ValueError,
     r"diff: prepend has shape \(\), expected input's shape \(3,\) except along dim 0"),
    (lambda: ember.diff(ember.ones(2, 3), append=ember.ones(3, 1)), ValueError, r"diff: append has shape \(3, 1\)"),
    (lambda: ember.diff(ember.ones(3), dim=1), IndexError, "diff: dim 1 is out of range"),
    (lambda: ember.kthvalue(ember.ones(3), 4), ValueError,
     r"kthvalue: k \(4\) is out of range for dim 0 of size 3 \(expected 1 <= k <= 3\)"),
    (lambda: ember.kthvalue(ember.ones(3), 0), ValueError, r"kthvalue: k \(0\) is out of range"),
    (lambda: ember.kthvalue(ember.tensor([True]), 1), TypeError, "kthvalue: bool tensors are not supported"),
    (lambda: ember.isin(1, 2), TypeError, "isin: elements or test_elements must be a Tensor"),
    (lambda: ember.isin(ember.tensor([True]), ember.tensor([True])), TypeError, "isin: bool tensors"),
    (lambda: ember.isin(ember.ones(2), "a"), TypeError, "isin: test_elements must be a Tensor or a number, got str"),
    (lambda: ember.gcd(ember.ones(2), ember.ones(2)), TypeError,
     r"gcd: input must be an integer tensor \(uint8, int32 or int64\), got float32"),
    (lambda: ember.lcm(ember.tensor([1]), ember.tensor([True])), TypeError, "lcm: other must be an integer tensor"),
    (lambda: ember.gcd(ember.tensor([1, 2]), ember.tensor([1, 2, 3])), ValueError, r"gcd: shapes \(2,\), \(3,\) do not broadcast"),
    (lambda: ember.gcd(ember.tensor([1]), 2), TypeError, "gcd: other must be a Tensor, got int"),
    (lambda: ember.ldexp(ember.ones(2), 3), TypeError, "ldexp: other must be a Tensor, got int"),
    (lambda: ember.frexp(ember.tensor([1, 2])), TypeError, "frexp: input must be float32 or float64, got int64"),
    (lambda: ember.nextafter(ember.tensor([1]), ember.tensor([2])), TypeError, "nextafter: input must be float32"),
    (lambda: ember.nextafter(ember.ones(2), 2.0), TypeError, "nextafter: other must be a Tensor, got float"),
    (lambda: ember.cov(ember.ones(2, 2, 2)), ValueError, r"cov: input must have 2 or fewer dims .* got shape \(2, 2, 2\)"),
    (lambda: ember.cov(ember.tensor([True, False])), TypeError, "cov: bool tensors are not supported"),
    (lambda: ember.cov(ember.ones(3), fweights=ember.ones(3)), TypeError, "cov: fweights must be an integer tensor"),
    (lambda: ember.cov(ember.ones(3), fweights=ember.tensor([1, -2, 1])), ValueError, "cov: fweights must be >= 0"),
    (lambda: ember.cov(ember.ones(3), aweights=ember.tensor([1, 2, 1])), TypeError, "cov: aweights must be float32 or float64"),
    (lambda: ember.cov(ember.ones(3), aweights=ember.ones(2)), ValueError,
     r"cov: aweights must have one weight per observation \(3\), got 2"),
    (lambda: ember.cov(ember.ones(3), fweights=ember.ones(3, 1, dtype=ember.int64)), ValueError,
     "cov: fweights must be 0-d or 1-D"),
    (lambda: ember.corrcoef(ember.ones(2, 2, 2)), ValueError, "corrcoef: input must have 2 or fewer dims"),
    (lambda: ember.trapezoid(ember.ones(3), 2.0), TypeError, "trapezoid: x must be a Tensor of sample points"),
    (lambda: ember.trapezoid(ember.ones(3), ember.ones(3), dx=1.0), TypeError, "trapezoid: give x or dx, not both"),
    (lambda: ember.trapezoid(ember.ones(2, 3), ember.ones(3), dim=0), ValueError,
     "trapezoid: x has 3 sample points but y has 2 along dim 0"),
    (lambda: ember.trapz(ember.tensor(1.0)), ValueError, "trapz: y must have at least 1 dim"),
    (lambda: ember.cumulative_trapezoid(ember.tensor([True, False])), TypeError,
     "cumulative_trapezoid: bool tensors are not supported"),
    (lambda: ember.histogram(ember.tensor([1, 2]), 3), TypeError, "histogram: input must be float32 or float64, got int64"),
    (lambda: ember.histogram(ember.ones(2), 0), ValueError, "histogram: bins must be an int > 0"),
    (lambda: ember.histogram(ember.ones(2), 2, range=(3.0, 1.0)), ValueError,
     r"histogram: range min \(3.0\) must not exceed max \(1.0\)"),
    (lambda: ember.histogram(ember.tensor([1.0, float("inf")]), 2), ValueError,
     r"histogram: the range \[1.0, inf\] is not finite"),
    (lambda: ember.histogram(ember.tensor([1.0, float("nan")]), 2), ValueError, "histogram: the range .* is not finite"),
    (lambda: ember.histogram(ember.ones(2), ember.tensor([0.0, 1.0], dtype=ember.float64)), TypeError,
     r"histogram: bins \(float64\) must have input's dtype \(float32\)"),
    (lambda: ember.histogram(ember.ones(2), ember.tensor([3.0, 1.0, 5.0])), ValueError,
     "histogram: the bin edges must be non-decreasing"),
    (lambda: ember.histogram(ember.ones(2), 2, weight=ember.ones(3)), ValueError,
     r"histogram: weight has shape \(3,\), expected input's shape \(2,\)"),
    (lambda: ember.histogram(ember.ones(2), 2, weight=ember.tensor([1, 2])), TypeError, "histogram: weight \\(int64\\)"),
    (lambda: ember.dist(ember.tensor([1, 2]), ember.tensor([1, 2])), TypeError, "dist: input must be float32 or float64"),
    (lambda: ember.dist(ember.ones(2), ember.ones(3)), ValueError, r"dist: shapes \(2,\), \(3,\) do not broadcast"),
    (lambda: ember.renorm(ember.ones(2, 3), 0, 0, 1), ValueError, "renorm: p must be > 0, got 0"),
    (lambda: ember.renorm(ember.ones(2, 3), 2, 0, -1), ValueError, "renorm: maxnorm must be >= 0, got -1"),
    (lambda: ember.renorm(ember.ones(3), 2, 0, 1), ValueError, r"renorm: input must have at least 2 dims"),
    (lambda: ember.renorm(ember.ones(2, 3, dtype=ember.int64), 2, 0, 1), TypeError, "renorm: input must be float32 or float64"),
    (lambda: ember.mvlgamma(ember.ones(2), 0), ValueError, "mvlgamma: p must be >= 1, got 0"),
    (lambda: ember.mvlgamma(ember.tensor([True]), 1), TypeError, "mvlgamma: bool tensors are not supported"),
    (lambda: ember.aminmax(ember.ones(0)), ValueError, r"aminmax: cannot reduce an empty tensor \(shape \(0,\)\)"),
    (lambda: ember.aminmax(ember.ones(2, 0), dim=1), ValueError, "aminmax: cannot reduce dim 1 of size 0"),
    (lambda: ember.aminmax(ember.ones(2), dim=2), IndexError, "aminmax: dim 2 is out of range"),
    (lambda: ember.ones(2).divide(2, rounding_mode="round"), ValueError,
     "divide: rounding_mode must be None, 'trunc' or 'floor', got 'round'"),
    (lambda: ember.hann_window(-1), ValueError, "hann_window: window_length must be >= 0, got -1"),
    (lambda: ember.hamming_window(4, dtype=ember.int64), TypeError, "hamming_window: dtype must be float32 or float64, got int64"),
    (lambda: ember.kaiser_window(2.5), TypeError, "kaiser_window: window_length must be an int, got float"),
    (lambda: ember.blackman_window(3, device="cuda"), (ValueError, RuntimeError, TypeError), "cuda|CUDA"),
])
def test_errors_name_the_function(call, err, match):
    with pytest.raises(err, match=match):
        call()
