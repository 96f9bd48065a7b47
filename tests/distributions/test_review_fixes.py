"""Regression tests for review findings in ember.distributions, checked against torch:
Dirichlet/Beta samples clamped away from 0 and 1, ``Gamma.cdf``/``Chi2.cdf`` at infinite,
overflowing, NaN and negative values, Bernoulli's ``log_prob`` dtype and infinite logits, and
MultivariateNormal's ``log_prob`` of a value of the other float dtype."""

from __future__ import annotations

import warnings

import ember
import ember.distributions as ED
import numpy as np
import pytest
from ember.distributions._special import _gammainc
from ember.distributions.dirichlet import _clamp_open_unit

from ._util import DTYPES, assert_close, edt, tdt, to_np

torch = pytest.importorskip("torch")
TD = torch.distributions

INF = float("inf")
NAN = float("nan")


def _bounds(dtype):
    """PyTorch's Dirichlet sample bounds: the smallest normal number and the float below 1."""
    np_dtype = np.dtype(dtype)
    return np.finfo(np_dtype).tiny, np.nextafter(np_dtype.type(1), np_dtype.type(0))


def assert_open_unit(samples, dtype, what):
    """Every entry of ``samples`` lies in PyTorch's ``[tiny, nextafter(1, 0)]``."""
    s = to_np(samples)
    lo, hi = _bounds(dtype)
    assert s.dtype == np.dtype(dtype), what
    assert s.min() >= lo and s.max() <= hi, f"{what}: range [{s.min()!r}, {s.max()!r}]"
    assert not np.any(s == 0) and not np.any(s == 1), what


# ---- 1. Dirichlet and Beta samples for small concentrations ----------------------------------

SMALL = [("float32", 0.05), ("float64", 1e-3)]


@pytest.mark.parametrize(("dtype", "alpha"), SMALL)
def test_dirichlet_small_concentration_samples_inside_torch_bounds(dtype, alpha):
    conc = ember.tensor([alpha, alpha], dtype=edt(dtype), requires_grad=True)
    d = ED.Dirichlet(conc)
    x = d.rsample((20000,))
    assert_open_unit(x, dtype, "ember Dirichlet")
    # torch's sampler clamps to the same bounds
    tx = TD.Dirichlet(torch.tensor([alpha, alpha], dtype=tdt(dtype))).sample((20000,))
    assert_open_unit(tx, dtype, "torch Dirichlet")
    lp = d.log_prob(x)
    assert np.isfinite(to_np(lp)).all()
    # log_prob of ember's (clamped) samples equals torch's log_prob of the same values
    t_lp = TD.Dirichlet(torch.tensor([alpha, alpha], dtype=tdt(dtype))).log_prob(
        torch.tensor(to_np(x))
    )
    assert_close(lp, t_lp, dtype, rtol=1e-5 if dtype == "float32" else 1e-7)
    lp.sum().backward()
    assert np.isfinite(to_np(conc.grad)).all(), to_np(conc.grad)


@pytest.mark.parametrize(("dtype", "alpha"), SMALL)
def test_beta_small_concentration_samples_never_0_or_1(dtype, alpha):
    c = ember.tensor(alpha, dtype=edt(dtype), requires_grad=True)
    b = ED.Beta(c, c)
    x = b.rsample((20000,))
    assert_open_unit(x, dtype, "ember Beta")
    tb = TD.Beta(torch.tensor(alpha, dtype=tdt(dtype)), torch.tensor(alpha, dtype=tdt(dtype)))
    assert_open_unit(tb.sample((20000,)), dtype, "torch Beta")
    lp = b.log_prob(x)
    assert np.isfinite(to_np(lp)).all()
    assert_close(
        lp, tb.log_prob(torch.tensor(to_np(x))), dtype, rtol=1e-5 if dtype == "float32" else 1e-7
    )
    lp.sum().backward()
    assert np.isfinite(to_np(c.grad)).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_beta_small_concentration_pathwise_gradient_matches_mean_derivative(dtype):
    # E[x] = a / (a + b): d/da = b / (a + b)^2 = 3.2, d/db = -a / (a + b)^2 = -0.8. The clamp
    # passes the gradient of the unclamped sample, so the estimate stays unbiased.
    a = ember.tensor(0.05, dtype=edt(dtype), requires_grad=True)
    b = ember.tensor(0.2, dtype=edt(dtype), requires_grad=True)
    x = ED.Beta(a, b).rsample((40000,))
    x.mean().backward()
    assert abs(a.grad.item() - 3.2) < 0.1 * 3.2, a.grad.item()
    assert abs(b.grad.item() + 0.8) < 0.1 * 0.8, b.grad.item()


@pytest.mark.parametrize("dtype", DTYPES)
def test_clamp_open_unit_is_exact_and_passes_the_gradient(dtype):
    lo, hi = _bounds(dtype)
    v = np.array([0.0, lo / 4, lo, 0.3, hi, 1.0], dtype=dtype)
    x = ember.tensor(v, requires_grad=True)
    y = _clamp_open_unit(x)
    want = np.array([lo, lo, lo, v[3], hi, hi], dtype=dtype)
    np.testing.assert_array_equal(to_np(y), want)  # bit-exact bounds, other values untouched
    y.sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), np.ones(6, dtype=dtype))


# ---- 2. Gamma.cdf / Chi2.cdf -----------------------------------------------------------------

CDF_VALUES = [INF, 1e30, 3e38, 1e300, 0.0, 1e-30, 5.0]


def _gamma_pair(name, dtype, validate):
    if name == "Gamma":
        kw = {"concentration": [0.5, 3.0, 1e-3, 50.0], "rate": [1.0, 2.0, 1.0, 1e-3]}
    else:
        kw = {"df": [0.5, 3.0, 1e-3, 100.0]}
    e = getattr(ED, name)(
        **{k: ember.tensor(v, dtype=edt(dtype)) for k, v in kw.items()}, validate_args=validate
    )
    t = getattr(TD, name)(
        **{k: torch.tensor(v, dtype=tdt(dtype)) for k, v in kw.items()}, validate_args=validate
    )
    return e, t


def _values(v, dtype):
    with warnings.catch_warnings():  # 1e300 overflows to inf in float32, as in torch
        warnings.simplefilter("ignore")
        a = np.full(4, v, dtype=np.float64).astype(dtype)
    return ember.tensor(a), torch.tensor(a)


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("name", ["Gamma", "Chi2"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", CDF_VALUES)
def test_gamma_cdf_at_large_and_infinite_values_matches_torch(value, dtype, name, validate):
    e, t = _gamma_pair(name, dtype, validate)
    ev, tv = _values(value, dtype)
    got, want = e.cdf(ev), t.cdf(tv)
    assert got.dtype == edt(dtype)
    assert_close(got, want, dtype, rtol=1e-5 if dtype == "float32" else 1e-7)


@pytest.mark.parametrize("name", ["Gamma", "Chi2"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [NAN, -1.0, -INF, -1e30])
def test_gamma_cdf_without_validation_nan_and_negative_match_torch(value, dtype, name):
    e, t = _gamma_pair(name, dtype, False)
    ev, tv = _values(value, dtype)
    got = to_np(e.cdf(ev))
    assert np.isnan(got).all(), got
    assert np.isnan(t.cdf(tv).numpy()).all()


def test_gammainc_special_cases_match_torch_igamma():
    a = [3.0, 0.5, 1.0, NAN, NAN, 0.0, 0.0, INF, INF, -1.0, 2.0, 2.0, 0.0, 2.0, 1e-3, 1e3, 5.0]
    x = [
        INF,
        INF,
        -1.0,
        0.0,
        1.0,
        1.0,
        0.0,
        1.0,
        INF,
        1.0,
        NAN,
        1e300,
        -1.0,
        -INF,
        1e-5,
        999.0,
        0.0,
    ]
    got = _gammainc(ember.tensor(a, dtype=ember.float64), ember.tensor(x, dtype=ember.float64))
    want = torch.special.gammainc(
        torch.tensor(a, dtype=torch.float64), torch.tensor(x, dtype=torch.float64)
    )
    assert_close(got, want, "float64")  # torch is off by 1e-10 at (1e3, 999); ember 6e-13


@pytest.mark.parametrize("dtype", DTYPES)
def test_gamma_cdf_gradient_finite_at_infinity(dtype):
    # dP/dx is the density, 0 at x = inf (torch's formula gives NaN there for a > 1: not
    # compared); at finite values it matches torch.
    conc = [0.5, 3.0, 3.0]
    v = np.array([INF, INF, 2.0], dtype=dtype)
    ev = ember.tensor(v, requires_grad=True)
    ED.Gamma(ember.tensor(conc, dtype=edt(dtype)), 1.0).cdf(ev).sum().backward()
    tv = torch.tensor(v, requires_grad=True)
    TD.Gamma(torch.tensor(conc, dtype=tdt(dtype)), 1.0).cdf(tv).sum().backward()
    g = to_np(ev.grad)
    assert g[0] == 0 and g[1] == 0, g
    assert_close(ev.grad[2:], tv.grad[2:], dtype)


# ---- 3. Bernoulli dtype and infinite logits; MVN value dtype ---------------------------------


@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize(
    ("pdt", "vdt"),
    [
        ("float32", "float64"),
        ("float64", "float32"),
        ("float32", "float32"),
        ("float64", "float64"),
    ],
)
def test_bernoulli_log_prob_dtype_and_values_match_torch(param, pdt, vdt):
    pv = [0.3, 0.9, 0.5] if param == "probs" else [0.3, -2.0, 40.0]
    val = [1.0, 0.0, 1.0]
    ep = ember.tensor(pv, dtype=edt(pdt), requires_grad=True)
    tp = torch.tensor(pv, dtype=tdt(pdt), requires_grad=True)
    got = ED.Bernoulli(**{param: ep}).log_prob(ember.tensor(val, dtype=edt(vdt)))
    want = TD.Bernoulli(**{param: tp}).log_prob(torch.tensor(val, dtype=tdt(vdt)))
    assert got.dtype == edt(vdt)
    assert str(want.dtype) == f"torch.{vdt}"
    narrow = "float32" if "float32" in (pdt, vdt) else "float64"
    assert_close(got, want, narrow)
    got.sum().backward()
    want.sum().backward()
    assert ep.grad.dtype == edt(pdt)
    assert_close(ep.grad, tp.grad, narrow)


def test_bernoulli_log_prob_of_integer_values_keeps_parameter_dtype():
    # torch raises for integer values (a dtype-cast artifact); ember accepts 0/1 class labels.
    d = ED.Bernoulli(probs=ember.tensor([0.25, 0.75], dtype=ember.float64))
    got = d.log_prob(ember.tensor([1, 0]))
    assert got.dtype == ember.float64
    np.testing.assert_allclose(to_np(got), np.log([0.25, 0.25]), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_positive_infinite_logit_log_prob_zero_is_minus_inf_as_torch(dtype):
    logits = [INF, INF, 50.0, -50.0, 0.0]
    value = [0.0, 0.0, 1.0, 0.0, 1.0]
    e = ED.Bernoulli(logits=ember.tensor(logits, dtype=edt(dtype)), validate_args=False)
    t = TD.Bernoulli(logits=torch.tensor(logits, dtype=tdt(dtype)), validate_args=False)
    got = e.log_prob(ember.tensor(value, dtype=edt(dtype)))
    assert_close(got, t.log_prob(torch.tensor(value, dtype=tdt(dtype))), dtype)
    assert to_np(got)[0] == -INF


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_infinite_logits_give_limits_where_torch_gives_nan(dtype):
    # logits +inf is probs 1, -inf is probs 0: log_prob is 0 or -inf and the entropy 0. torch
    # returns NaN for these three combinations (0 * inf in its formula); ember the limits.
    logits = ember.tensor([INF, -INF, -INF], dtype=edt(dtype), requires_grad=True)
    d = ED.Bernoulli(logits=logits, validate_args=False)
    got = d.log_prob(ember.tensor([1.0, 0.0, 1.0], dtype=edt(dtype)))
    np.testing.assert_array_equal(to_np(got), np.array([0.0, 0.0, -INF], dtype=dtype))
    t = TD.Bernoulli(logits=torch.tensor([INF, -INF, -INF], dtype=tdt(dtype)), validate_args=False)
    assert torch.isnan(t.log_prob(torch.tensor([1.0, 0.0, 1.0], dtype=tdt(dtype)))).all()
    np.testing.assert_array_equal(to_np(d.entropy()), np.zeros(3, dtype=dtype))
    got[:2].sum().backward()
    assert np.isfinite(to_np(logits.grad)).all()


@pytest.mark.parametrize(("pdt", "vdt"), [("float32", "float64"), ("float64", "float32")])
def test_multivariate_normal_log_prob_of_other_float_dtype_matches_torch(pdt, vdt):
    loc, cov, val = [0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]], [[0.3, 0.2], [-1.0, 2.5]]
    e = ED.MultivariateNormal(ember.tensor(loc, dtype=edt(pdt)), ember.tensor(cov, dtype=edt(pdt)))
    t = TD.MultivariateNormal(torch.tensor(loc, dtype=tdt(pdt)), torch.tensor(cov, dtype=tdt(pdt)))
    got = e.log_prob(ember.tensor(val, dtype=edt(vdt)))
    want = t.log_prob(torch.tensor(val, dtype=tdt(vdt)))
    assert got.dtype == edt(pdt) and want.dtype == tdt(pdt)
    assert_close(got, want, "float32")
