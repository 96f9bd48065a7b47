"""Vectorized float32 kernels: accuracy against numpy (float64 reference rounded to float32)
over wide ranges and special values, and equality of the AVX2 and baseline paths."""

import ember
import numpy as np
import pytest
from ember import _C

ISAS = ["baseline", "avx2", "avx512"]


@pytest.fixture(params=ISAS)
def isa(request):
    before = _C._cpu_isa()
    try:
        _C._set_cpu_isa(request.param)
    except ValueError:
        pytest.skip(f"this CPU has no {request.param}")
    yield request.param
    _C._set_cpu_isa(before)


def _ordered(a):
    i = a.astype(np.float32).view(np.int32).astype(np.int64)
    return np.where(i < 0, -(i & 0x7FFFFFFF), i)


def ulp_diff(got, want):
    """ulps between float32 arrays; 0 where both are the same special value (nan, inf)."""
    got = np.asarray(got, np.float32)
    want = np.asarray(want, np.float32)
    d = np.abs(_ordered(got) - _ordered(want))
    both_nan = np.isnan(got) & np.isnan(want)
    return np.where(both_nan, 0, d)


SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-45, -1e-45, 1e-38,
                    1.1754942e-38, 3.4028235e38, -3.4028235e38, 0.5, -0.5, 1e-7, -1e-7],
                   np.float32)


def _inputs(lo, hi, n=200001):
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(lo, hi, n, dtype=np.float32),
                        rng.uniform(lo, hi, n).astype(np.float32), SPECIAL])
    return x


def _assert_within_ulp(op, ref, x, max_ulp, isa):
    got = getattr(ember.from_numpy(x), op)().numpy()
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64)).astype(np.float32)
    assert np.array_equal(np.isnan(got), np.isnan(want)), x[np.isnan(got) != np.isnan(want)][:5]
    fin = np.isfinite(want)
    assert np.array_equal(got[~fin & ~np.isnan(want)], want[~fin & ~np.isnan(want)])
    d = ulp_diff(got, want)
    # Subnormal results carry fewer bits: judge them on an absolute scale.
    sub = np.abs(want) < np.float32(1.1754944e-38)
    assert np.all(np.abs(got[sub].astype(np.float64) - want[sub]) <= 2 * 1.4e-45), x[sub][:5]
    worst = d[~sub].max()
    assert worst <= max_ulp, (op, isa, worst, x[~sub][np.argmax(d[~sub])])


@pytest.mark.parametrize("lo,hi", [(-110.0, 90.0), (-1.0, 1.0), (-1e-3, 1e-3)])
def test_exp_accuracy(isa, lo, hi):
    _assert_within_ulp("exp", np.exp, _inputs(lo, hi), 2, isa)


def test_exp_overflow_underflow(isa):
    x = np.array([88.72283, 88.72284, 89.0, 100.0, 1e30, -87.3, -103.0, -103.97, -104.0, -105.0,
                  -1e30, np.inf, -np.inf, np.nan], np.float32)
    got = ember.from_numpy(x).exp().numpy()
    with np.errstate(all="ignore"):
        want = np.exp(x.astype(np.float64)).astype(np.float32)
    assert np.all(ulp_diff(got, want) <= 2), (got, want)
    assert got[-3] == np.inf and got[-2] == 0.0 and np.isnan(got[-1])


@pytest.mark.parametrize("lo,hi", [(0.0, 10.0), (1e-3, 1e5), (0.5, 2.0)])
def test_log_accuracy(isa, lo, hi):
    x = np.abs(_inputs(lo, hi))
    _assert_within_ulp("log", np.log, x, 2, isa)


def test_log_wide_and_special(isa):
    rng = np.random.default_rng(1)
    x = (2.0 ** rng.uniform(-149, 128, 100000)).astype(np.float32)
    x = np.concatenate([x, np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan, 1.0, 1e-45,
                                     3.4028235e38], np.float32)])
    _assert_within_ulp("log", np.log, x, 2, isa)
    got = ember.from_numpy(np.array([0.0, -1.0, 1.0, np.inf], np.float32)).log().numpy()
    assert got[0] == -np.inf and np.isnan(got[1]) and got[2] == 0.0 and got[3] == np.inf


@pytest.mark.parametrize("lo,hi", [(-20.0, 20.0), (-1.0, 1.0), (-1e-4, 1e-4)])
def test_tanh_accuracy(isa, lo, hi):
    _assert_within_ulp("tanh", np.tanh, _inputs(lo, hi), 3, isa)


@pytest.mark.parametrize("lo,hi", [(-110.0, 110.0), (-2.0, 2.0)])
def test_sigmoid_accuracy(isa, lo, hi):
    _assert_within_ulp("sigmoid", lambda v: 1.0 / (1.0 + np.exp(-v)), _inputs(lo, hi), 3, isa)


def test_tanh_keeps_the_sign_of_zero_and_tiny_values(isa):
    x = np.array([-0.0, 0.0, -1e-45, 1e-45, -1e-30, -0.3, 0.3] * 5, np.float32)
    got = ember.from_numpy(x).tanh().numpy()
    np.testing.assert_array_equal(np.signbit(got), np.signbit(x))
    np.testing.assert_array_equal(got[:4], x[:4])  # tanh(x) = x below float32's resolution


def test_sigmoid_tails(isa):
    x = np.array([-100.0, -90.0, 20.0, 100.0, np.inf, -np.inf], np.float32)
    got = ember.from_numpy(x).sigmoid().numpy()
    assert got[0] > 0 and got[0] == pytest.approx(3.7200760e-44, abs=3e-45)
    assert got[2] == 1.0 and got[3] == 1.0 and got[4] == 1.0 and got[5] == 0.0


# Sizes around the vector width and the unroll, and one large enough to run on threads.
SIZES = [1, 7, 8, 9, 15, 16, 17, 31, 33, 255, 257, 1000, (1 << 16) + 13]


def _with(isa_name, fn):
    before = _C._cpu_isa()
    try:
        _C._set_cpu_isa(isa_name)
    except ValueError:
        pytest.skip(f"this CPU has no {isa_name}")
    try:
        return fn()
    finally:
        _C._set_cpu_isa(before)


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(np.float32) * 4
    if n > 20:
        x[3] = np.nan
        x[5] = np.inf
        x[7] = -np.inf
        x[11] = 0.0
    return x


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("op", ["neg", "abs", "relu", "sqrt", "rsqrt"])
def test_exact_unary_matches_baseline(n, op):
    x = ember.from_numpy(_data(n))
    a = _with("avx2", lambda: getattr(x, op)().numpy())
    b = _with("baseline", lambda: getattr(x, op)().numpy())
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("op", ["exp", "log", "tanh", "sigmoid"])
def test_transcendental_close_to_baseline(n, op):
    x = ember.from_numpy(np.abs(_data(n)) if op == "log" else _data(n))
    a = _with("avx2", lambda: getattr(x, op)().numpy())
    b = _with("baseline", lambda: getattr(x, op)().numpy())
    assert np.all(ulp_diff(a, b) <= 3)


def _every_float_sample(step=997):
    """Every `step`-th float32 bit pattern (4.3M values for 997: both signs, subnormals, inf,
    nan) followed by SPECIAL."""
    # Used with tails of several lengths: the 16-lane form must equal the 8-lane one bit for bit
    # wherever a value sits (NaN results: NaN in both, their sign and payload being the
    # compiler's choice of operand order).
    bits = np.arange(0, 1 << 32, step, dtype=np.uint64).astype(np.uint32)
    return np.concatenate([bits.view(np.float32), SPECIAL])


@pytest.mark.parametrize("op", ["exp", "log", "tanh", "sigmoid", "silu", "erf", "sin", "cos",
                                "gelu", "gelu_tanh"])
def test_avx512_transcendentals_equal_avx2_bit_for_bit(op):
    """The 16-lane kernels give the 8-lane kernels' bits on a sample of every float32 bit
    pattern, for every tail length."""
    F = ember.nn.functional
    f = {"silu": F.silu, "gelu": F.gelu,
         "gelu_tanh": lambda t: F.gelu(t, approximate="tanh")}.get(op, lambda t: getattr(t, op)())
    x = _every_float_sample()
    cases = [ember.from_numpy(x)] + [ember.from_numpy(x[:n]) for n in (1, 15, 17, 31, 33, 47)]
    for t in cases:
        a = _with("avx2", lambda: f(t).numpy())
        b = _with("avx512", lambda: f(t).numpy())
        nan = np.isnan(a)
        np.testing.assert_array_equal(nan, np.isnan(b))
        np.testing.assert_array_equal(a[~nan].view(np.uint32), b[~nan].view(np.uint32))


def test_avx512_exp_equals_avx2_where_results_are_denormal_with_and_without_flushing():
    """The 16-lane exp scales by 2^k in one step (scalef); the 8-lane one in two. Both round
    once, so results in the denormal range (and their flushing to zero) agree bit for bit."""
    x = ember.from_numpy(np.linspace(-104.0, -80.0, 200_001, dtype=np.float32))
    for flush in (False, True):
        ember.set_flush_denormal(flush)
        try:
            a = _with("avx2", lambda: x.exp().numpy())
            b = _with("avx512", lambda: x.exp().numpy())
        finally:
            ember.set_flush_denormal(False)
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
        tiny = a[(a > 0) & (a < np.finfo(np.float32).tiny)]
        assert (tiny.size == 0) if flush else (tiny.size > 100_000)


def test_avx512_is_the_default_where_the_cpu_has_it():
    import os
    import subprocess
    import sys

    def isa_of_new_process(**env):
        """`_C._cpu_isa()` in a fresh interpreter with `env` added to the environment."""
        code = "from ember import _C; print(_C._cpu_isa())"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env=dict(os.environ, **env)).stdout.strip()

    with open("/proc/cpuinfo") as f:
        flags = set(next(line for line in f if line.startswith("flags")).split())
    avx2 = {"avx2", "fma"} <= flags
    best = "avx512" if avx2 and "avx512f" in flags else "avx2" if avx2 else "baseline"
    assert isa_of_new_process() == best
    assert isa_of_new_process(EMBER_CPU_ISA="avx2") == ("avx2" if avx2 else "baseline")
    assert isa_of_new_process(EMBER_CPU_ISA="baseline") == "baseline"


def test_silu_leaky_relu_match_baseline():
    x = ember.from_numpy(_data(1000))
    for f in (ember.nn.functional.silu, lambda t: ember.nn.functional.leaky_relu(t, 0.1)):
        a = _with("avx2", lambda: f(x).numpy())
        b = _with("baseline", lambda: f(x).numpy())
        assert np.all(ulp_diff(a, b) <= 3)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
def test_binary_matches_baseline(n, op):
    x = ember.from_numpy(_data(n, 0))
    y = ember.from_numpy(_data(n, 1)[::-1].copy())
    s = ember.tensor(1.5)
    f = getattr(ember, op)
    for args in ((x, y), (x, s), (s, y), (x, 2.5)):
        a = _with("avx2", lambda: f(*args).numpy())
        b = _with("baseline", lambda: f(*args).numpy())
        np.testing.assert_array_equal(a, b)


def test_maximum_nan_either_side(isa):
    a = ember.tensor([np.nan, 1.0, 2.0, np.nan] * 5)
    b = ember.tensor([1.0, np.nan, 1.0, np.nan] * 5)
    got = ember.maximum(a, b).numpy()
    np.testing.assert_array_equal(got, np.maximum(a.numpy(), b.numpy()))
    got = ember.minimum(a, b).numpy()
    np.testing.assert_array_equal(got, np.minimum(a.numpy(), b.numpy()))


@pytest.mark.parametrize("n", SIZES + [(1 << 20) + 5])
def test_sum_max_min(isa, n):
    x = np.random.default_rng(2).standard_normal(n).astype(np.float32)
    t = ember.from_numpy(x)
    np.testing.assert_allclose(t.sum().item(), x.astype(np.float64).sum(), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(t.mean().item(), x.astype(np.float64).mean(), rtol=1e-6, atol=1e-6)
    assert t.max().item() == x.max() and t.min().item() == x.min()
    if n > 20:
        x[n // 2] = np.nan
        x[n - 1] = np.inf
        t = ember.from_numpy(x)
        assert np.isnan(t.max().item()) and np.isnan(t.min().item()) and np.isnan(t.sum().item())


# Runs of 4096 floats and more are read as four streams (the quarters of the run) plus a rest;
# rows of 4M floats and more are split into 128K-float chunks. Each case puts the extreme
# value, then a NaN, in every quarter and in the rest.
@pytest.mark.parametrize("n", [4095, 4096, 4097, 4096 + 255, 40000 + 31, (1 << 22) + 77])
def test_stream_reductions_every_position(isa, n):
    rng = np.random.default_rng(5)
    x = rng.uniform(-1.0, 1.0, n).astype(np.float32)
    q = n // 4 // 64 * 64
    for where in [0, q - 1, q, 2 * q + 5, 3 * q + 7, 4 * q - 1, n - 1]:
        y = x.copy()
        y[where] = 7.5
        y[(where + 3) % n] = -6.25
        t = ember.from_numpy(y)
        assert t.max().item() == 7.5 and t.min().item() == -6.25, (n, where)
        np.testing.assert_allclose(t.sum().item(), y.astype(np.float64).sum(), rtol=1e-6,
                                   atol=1e-6 * n)
        y[where] = np.nan
        t = ember.from_numpy(y)
        assert np.isnan(t.max().item()) and np.isnan(t.min().item()), (n, where)
        assert np.isnan(t.sum().item())


def test_long_sum_exact_on_integers(isa):
    # Small integers are exact in float32 partial sums of 8 terms and in double: the result
    # must equal the exact sum, whatever the chunk and stream split.
    n = (1 << 22) + 12345
    x = (np.arange(n) % 17 - 8).astype(np.float32)
    assert ember.from_numpy(x).sum().item() == float(x.astype(np.int64).sum())


@pytest.mark.parametrize("shape", [(3, 1000), (300, 300), (70, 2000), (5000, 17), (2, 3, 40000)])
def test_row_reductions(isa, shape):
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    t = ember.from_numpy(x)
    np.testing.assert_allclose(t.sum(-1).numpy(), x.astype(np.float64).sum(-1), rtol=1e-5,
                               atol=1e-4)
    np.testing.assert_array_equal(t.max(-1)[0].numpy(), x.max(-1))
    np.testing.assert_array_equal(t.min(-1)[0].numpy(), x.min(-1))
    if len(shape) == 3:
        np.testing.assert_allclose(t.sum((1, 2)).numpy(), x.astype(np.float64).sum((1, 2)),
                                   rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("shape,dims", [((16, 128), 0), ((64, 10), 0), ((1000, 300), 0),
                                        ((9, 1), 0), ((3, 5, 700), (0, 1)), ((4, 1, 6), 0),
                                        ((257, 2, 3), 0), ((13, 513), (0,))])
def test_sum_over_leading_dims(shape, dims):
    # Contiguous inputs summed over their leading dims (a bias gradient) take a column kernel:
    # float partials over 8 rows, then double per column.
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(np.float32) * 10
    t = ember.from_numpy(x)
    want = x.astype(np.float64).sum(dims)
    # Float rounding spans 8 terms: errors scale with the magnitudes summed, not the result.
    tol = 1e-6 * np.abs(x).astype(np.float64).sum(dims).max()
    np.testing.assert_allclose(t.sum(dims).numpy(), want, rtol=1e-6, atol=tol)
    np.testing.assert_allclose(t.sum(dims, keepdim=True).numpy(),
                               x.astype(np.float64).sum(dims, keepdims=True), rtol=1e-6, atol=tol)
    # Small integers are exact: the result equals the exact column sums.
    xi = rng.integers(-50, 50, shape).astype(np.float32)
    np.testing.assert_array_equal(ember.from_numpy(xi).sum(dims).numpy(),
                                  xi.astype(np.int64).sum(dims).astype(np.float32))
    # NaN and inf stay in their columns.
    y = x.copy()
    y.reshape(-1)[0] = np.nan
    y.reshape(-1)[-1] = np.inf
    got = ember.from_numpy(y).sum(dims).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(y.astype(np.float64).sum(dims)))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(y.astype(np.float64).sum(dims)))


@pytest.mark.parametrize("shape", [(700, 1500), (200000, 3), (9000, 600), (4097, 17)])
def test_sum_over_leading_dims_independent_of_threads(shape):
    # Tasks of 256 columns by 4096 rows; their partials are added in row order.
    xn = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    x = ember.from_numpy(xn)
    before = ember.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            ember.set_num_threads(n)
            results.append(x.sum(0).numpy())
    finally:
        ember.set_num_threads(before)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    tol = 1e-6 * np.abs(xn).astype(np.float64).sum(0).max()
    np.testing.assert_allclose(results[0], xn.astype(np.float64).sum(0), rtol=1e-6, atol=tol)
    xi = (np.arange(xn.size) % 13 - 6).reshape(shape).astype(np.float32)
    np.testing.assert_array_equal(ember.from_numpy(xi).sum(0).numpy(),
                                  xi.astype(np.int64).sum(0).astype(np.float32))


def test_sum_float64_and_int_unchanged(isa):
    x = np.random.default_rng(4).standard_normal(100003)
    assert ember.from_numpy(x).sum().item() == pytest.approx(x.sum(), rel=1e-12)
    i = np.arange(100003, dtype=np.int32)
    assert ember.from_numpy(i).sum().item() == int(i.astype(np.int64).sum())
    assert ember.from_numpy(i).max().item() == 100002


def test_isa_switch_rejects_unknown():
    with pytest.raises(ValueError, match="_set_cpu_isa"):
        _C._set_cpu_isa("avx512-imaginary")
    assert _C._cpu_isa() in ("avx512", "avx2", "baseline")


ROUNDING_INPUTS = np.concatenate([
    SPECIAL,
    np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 8388607.5, 8388608.0, -8388609.0, 0.49999997,
              -0.49999997, 1e10, -1e10, 123.456, -0.0], np.float32),
    (np.random.default_rng(5).standard_normal(100003) * 1e3).astype(np.float32),
])


def _bits(t):
    """A float32 tensor's values as uint32 bit patterns (NaNs compared by payload too)."""
    return t.numpy().view(np.uint32)


@pytest.mark.parametrize("op", ["floor", "ceil", "trunc", "round", "frac"])
def test_rounding_kernels_match_numpy_bit_for_bit(isa, op):
    """floor, ceil, trunc, round (halves to even) and frac = x - trunc(x), vectorized with
    the rounding instruction: every value and special value gives numpy's bits (NaN as NaN)."""
    x = ROUNDING_INPUTS
    got = getattr(ember.from_numpy(x), op)().numpy()
    with np.errstate(invalid="ignore"):
        want = {"floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "round": np.round,
                "frac": lambda v: v - np.trunc(v)}[op](x).astype(np.float32)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))


@pytest.mark.parametrize("decimals", [1, -1, 3])
def test_round_with_decimals_matches_the_portable_loop(isa, decimals):
    """round(decimals != 0) runs the portable formula inside the vector kernel's call: the
    same bits on every instruction set."""
    x = ember.from_numpy(ROUNDING_INPUTS)
    got = _bits(x.round(decimals=decimals))
    before = _C._cpu_isa()
    _C._set_cpu_isa("baseline")
    try:
        want = _bits(x.round(decimals=decimals))
    finally:
        _C._set_cpu_isa(before)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("lo,hi", [(-1.0, 1.0), (0.1, 0.7), (-0.0, 0.0), (0.0, -0.0),
                                   (1e-46, 1.0), (-1.0, -1e-46), (-1e-46, 1e-46),
                                   (2.0, -2.0), (-np.inf, 0.5), (-0.5, np.inf),
                                   (float("nan"), 1.0), (-1.0, float("nan")), (1e-45, 3e38)])
def test_clamp_kernel_matches_the_portable_loop_and_numpy(isa, lo, hi):
    """clamp(x, lo, hi) = min(max(x, lo), hi) with NaN inputs kept, bounds rounded to float32
    (0.1, 0.7), signed zeros, lo > hi (hi everywhere), infinite and NaN bounds (a NaN bound
    gives NaN everywhere): the same bits as EMBER_CPU_ISA=baseline, and numpy's clip where
    the bounds are ordered numbers."""
    x = ember.from_numpy(ROUNDING_INPUTS)
    got = _bits(x.clamp(lo, hi))
    before = _C._cpu_isa()
    _C._set_cpu_isa("baseline")
    try:
        want = _bits(x.clamp(lo, hi))
    finally:
        _C._set_cpu_isa(before)
    np.testing.assert_array_equal(got, want)
    if not (np.isnan(lo) or np.isnan(hi)) and lo <= hi:
        ref = np.minimum(np.maximum(ROUNDING_INPUTS, np.float32(lo)), np.float32(hi))
        np.testing.assert_array_equal(x.clamp(lo, hi).numpy(), ref)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 70001, (1 << 20) + 3])
@pytest.mark.parametrize("a_one,b_one", [(False, False), (True, False), (False, True),
                                         (True, True)])
def test_where_kernel_matches_numpy(isa, n, a_one, b_one):
    """where(c, a, b) on float32 with a contiguous condition (here a slice starting at element
    3, so the kernel starts mid-buffer) and each value operand contiguous or a single value:
    numpy's values, NaN included, on every instruction set and with tails of every length."""
    rng = np.random.default_rng(n)
    c_full = rng.random(n + 3) > 0.4
    a = np.float32(2.5) if a_one else rng.standard_normal(n).astype(np.float32)
    b = np.float32(-7.0) if b_one else rng.standard_normal(n).astype(np.float32)
    if not a_one:
        a[::5] = np.nan
    c = ember.from_numpy(c_full)[3:]
    ea = ember.tensor(float(a)) if a_one else ember.from_numpy(a)
    eb = ember.tensor(float(b)) if b_one else ember.from_numpy(b)
    got = ember.where(c, ea, eb).numpy()
    want = np.where(c_full[3:], a, b).astype(np.float32)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("lo,hi", [(-20.0, 90.0), (-1.0, 1.0), (-1e-3, 1e-3), (0.3, 0.4),
                                   (-18.0, -16.0), (78.0, 82.0), (-100.0, 100.0)])
def test_expm1_accuracy(isa, lo, hi):
    """e^x - 1 within 2 ulp of the rounded float64 value: no cancellation near 0, the -1
    floor below -17.3, overflow to inf past 88.7."""
    _assert_within_ulp("expm1", np.expm1, _inputs(lo, hi), 2, isa)


@pytest.mark.parametrize("lo,hi", [(-1.0, 10.0), (-0.999, 1.0), (-1e-3, 1e-3), (0.0, 1e6),
                                   (1e6, 3e38)])
def test_log1p_accuracy(isa, lo, hi):
    """log(1 + x) within 2 ulp of the rounded float64 value; -1 gives -inf and x < -1 NaN."""
    x = _inputs(lo, hi)
    _assert_within_ulp("log1p", np.log1p, x, 2, isa)


def test_expm1_log1p_keep_signed_zeros_and_tiny_values(isa):
    """Signed zeros and values below 2^-25 come back unchanged (x + x^2/2 rounds to x)."""
    x = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-30, -1e-30, 2.9e-8, -2.9e-8], np.float32)
    for op in ("expm1", "log1p"):
        got = getattr(ember.from_numpy(x), op)().numpy()
        np.testing.assert_array_equal(got.view(np.uint32), x.view(np.uint32))


def _erf64(v):
    """erf in float64 (numpy has none): math.erf per element."""
    import math
    return np.vectorize(math.erf, otypes=[np.float64])(v)


@pytest.mark.parametrize("lo,hi", [(-5.0, 5.0), (-1.0, 1.0), (0.9, 1.1), (3.7, 4.0),
                                   (-1e-3, 1e-3), (-30.0, 30.0)])
def test_erf_accuracy(isa, lo, hi):
    """erf within 2 ulp of the rounded float64 value across both fitted ranges, their seam
    at 1, and the saturation to +-1 from 3.92."""
    x = _inputs(lo, hi, n=40001)
    _assert_within_ulp("erf", _erf64, x, 2, isa)


@pytest.mark.parametrize("op", ["sin", "cos"])
@pytest.mark.parametrize("lo,hi", [(-10.0, 10.0), (-1e-3, 1e-3), (-8192.0, 8192.0),
                                   (-1e5, 1e5), (-2e6, 2e6), (-1e38, 1e38)])
def test_sin_cos_accuracy(isa, op, lo, hi):
    """sin and cos within 2 ulp of the rounded float64 value, near their zeros too (the
    reduction by pi/2 runs in double precision), and lanes past 2^20 through std::sin/cos."""
    ref = {"sin": np.sin, "cos": np.cos}[op]
    _assert_within_ulp(op, ref, _inputs(lo, hi), 2, isa)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_kernel_matches_the_float64_formula(isa, approximate):
    """GELU in both forms against the float64 formula: absolute error under 1e-6 over
    [-10, 10] (the 1 + erf(x / sqrt 2) of the exact form loses relative accuracy for very
    negative x, as any float32 evaluation of that formula does)."""
    import ember.nn.functional as F
    x = np.linspace(-10, 10, 200001, dtype=np.float32)
    got = F.gelu(ember.from_numpy(x), approximate=approximate).numpy().astype(np.float64)
    v = x.astype(np.float64)
    if approximate == "none":
        want = 0.5 * v * (1 + _erf64(v / np.sqrt(2)))
    else:
        want = 0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v ** 3)))
    assert np.abs(got - want).max() < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_nan_bound_makes_every_value_nan(isa, dtype):
    """As in PyTorch: clamp with a NaN min or max (number or tensor) and hardtanh with a NaN
    bound give NaN everywhere, on the vector kernel (1M values) and the portable loop alike."""
    import ember.nn.functional as F
    nan = float("nan")
    x = ember.from_numpy(np.linspace(-3, 3, (1 << 20) + 5).astype(dtype))
    outs = [x.clamp(nan, 1.0), x.clamp(-1.0, nan), x.clamp(min=nan), x.clamp(max=nan),
            x.clamp(ember.tensor(nan, dtype=x.dtype), ember.tensor(1.0, dtype=x.dtype)),
            x.clamp(ember.tensor(-1.0, dtype=x.dtype), ember.tensor(nan, dtype=x.dtype)),
            F.hardtanh(x, nan, 1.0), F.hardtanh(x, -1.0, nan)]
    for y in outs:
        assert np.isnan(y.numpy()).all()
    y = x.clone()
    F.hardtanh(y, nan, 1.0, inplace=True)
    assert np.isnan(y.numpy()).all()
