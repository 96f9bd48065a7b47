"""ember.special against torch.special (and mpmath in the tails, where PyTorch's float64 ndtr
is 0): values, NaN/inf handling, gradients by finite differences, and the aliases."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")
mpmath = pytest.importorskip("mpmath")

X = np.concatenate([np.linspace(-12, 12, 97), [0.0, -0.0, np.inf, -np.inf, np.nan]])
P = np.concatenate([np.linspace(0, 1, 41), [1e-6, 1 - 1e-6, -0.5, 1.5, np.nan]])


def assert_match(e, t, rtol, atol=0.0):
    e, t = e.numpy(), t.numpy()
    np.testing.assert_array_equal(np.isnan(e), np.isnan(t))
    np.testing.assert_allclose(e, t, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,args", [
    ("expit", ()), ("erf", ()), ("erfc", ()), ("exp2", ()), ("expm1", ()), ("sinc", ()),
    ("entr", ()), ("i0e", ()), ("round", ()),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_functions_match_torch(name, args, dtype):
    x = X.astype(dtype) if name not in ("entr",) else np.abs(X).astype(dtype) - 1.0
    rtol = 3e-6 if dtype == np.float32 else 1e-13
    assert_match(getattr(ember.special, name)(ember.tensor(x), *args),
         getattr(torch.special, name)(torch.tensor(x), *args), rtol, atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functions_of_positive_arguments_match_torch(dtype):
    x = np.abs(X[np.isfinite(X)]).astype(dtype) + np.array(0.5, dtype=dtype)
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    for name in ("gammaln", "digamma", "psi", "log1p", "i0"):
        assert_match(getattr(ember.special, name)(ember.tensor(x)),
             getattr(torch.special, name)(torch.tensor(x)), rtol)
    assert_match(ember.special.polygamma(2, ember.tensor(x)), torch.special.polygamma(2, torch.tensor(x)),
         rtol * 10)
    assert_match(ember.special.multigammaln(ember.tensor(x + 2), 3),
         torch.special.multigammaln(torch.tensor(x + 2), 3), rtol)


def test_probability_functions_match_torch_and_mpmath():
    mpmath.mp.dps = 40
    p = P.astype(np.float64)
    assert_match(ember.special.logit(ember.tensor(p)), torch.special.logit(torch.tensor(p)), 1e-12)
    assert_match(ember.special.logit(ember.tensor(p), eps=1e-3),
         torch.special.logit(torch.tensor(p), eps=1e-3), 1e-12)
    assert_match(ember.special.erfinv(ember.tensor(2 * p - 1)), torch.special.erfinv(torch.tensor(2 * p - 1)),
         1e-12)
    ok = (p > 1e-3) & (p < 1 - 1e-3) | ~np.isfinite(p) | (p <= 0) | (p >= 1)
    assert_match(ember.special.ndtri(ember.tensor(p[ok])), torch.special.ndtri(torch.tensor(p[ok])), 1e-12)
    x = np.linspace(-60, 10, 141)
    ref_cdf = np.array([float(mpmath.ncdf(v)) for v in x])
    ref_log = np.array([float(mpmath.log(mpmath.ncdf(v))) for v in x])
    np.testing.assert_allclose(ember.special.ndtr(ember.tensor(x)).numpy(), ref_cdf, rtol=1e-12,
                               atol=1e-300)
    np.testing.assert_allclose(ember.special.log_ndtr(ember.tensor(x)).numpy(), ref_log,
                               rtol=1e-13)
    np.testing.assert_allclose(
        ember.special.log_ndtr(ember.tensor(x.astype(np.float32))).numpy(), ref_log, rtol=1e-5)
    e = ember.special.log_ndtr(ember.tensor([np.inf, -np.inf, np.nan])).numpy()
    assert e[0] == 0.0 and e[1] == -np.inf and np.isnan(e[2])


def test_reductions_and_binary_functions_match_torch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 6))
    assert_match(ember.special.logsumexp(ember.tensor(a), 1), torch.special.logsumexp(torch.tensor(a), 1),
         1e-13)
    assert_match(ember.special.softmax(ember.tensor(a), 0), torch.special.softmax(torch.tensor(a), 0), 1e-13)
    assert_match(ember.special.log_softmax(ember.tensor(a.astype(np.float32)), 1, dtype=ember.float64),
         torch.special.log_softmax(torch.tensor(a.astype(np.float32)), 1, dtype=torch.float64),
         1e-13)
    x = np.array([0.0, 0.0, 1.0, 2.0, -1.0, 3.0])
    y = np.array([np.nan, -1.0, 1.0, -1.0, 0.5, np.inf])
    for name in ("xlogy", "xlog1py"):
        assert_match(getattr(ember.special, name)(ember.tensor(x), ember.tensor(y)),
             getattr(torch.special, name)(torch.tensor(x), torch.tensor(y)), 1e-13)
    assert_match(ember.special.xlog1py(2.0, ember.tensor(y)), torch.special.xlog1py(2.0, torch.tensor(y)),
         1e-13)
    with pytest.raises(TypeError, match="at least one argument must be a Tensor"):
        ember.special.xlog1py(1.0, 2.0)


def test_composite_functions_have_finite_difference_gradients():
    x = ember.tensor([0.3, 1.7, 2.5, 4.0], dtype=ember.float64, requires_grad=True)
    for f in (ember.special.entr, ember.special.ndtr, ember.special.log_ndtr, ember.special.i0e,
              lambda t: ember.special.ndtri(t / 5), lambda t: ember.special.xlog1py(t, t * 2)):
        assert gradcheck(f, (x,))
    far = ember.tensor([-45.0, -40.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(ember.special.log_ndtr, (far,))


def test_tails_keep_values_and_finite_gradients_as_torch():
    p = np.array([1e-300, 1e-100, 1e-20, 1e-16, 1e-8, 1e-3, 0.019, 0.021, 0.3, 0.9, 0.99,
                  1 - 1e-10, 0.0, 1.0])
    assert_match(ember.special.ndtri(ember.tensor(p)), torch.special.ndtri(torch.tensor(p)), 1e-14)
    p32 = np.array([1e-30, 1e-10, 1e-7, 0.01, 0.5], dtype=np.float32)
    assert_match(ember.special.ndtri(ember.tensor(p32)), torch.special.ndtri(torch.tensor(p32)), 2e-6)
    for f, vals in ((ember.special.ndtri, [1e-20, 1e-5, 0.3, 1 - 1e-9]),
                    (ember.special.log_ndtr, [-40.0, -10.0, -5.0, 0.5, 9.0])):
        e = ember.tensor(vals, dtype=ember.float64, requires_grad=True)
        t = torch.tensor(vals, dtype=torch.float64, requires_grad=True)
        f(e).sum().backward()
        getattr(torch.special, f.__name__)(t).sum().backward()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    x32 = ember.tensor([-12.0, -7.0], requires_grad=True)
    ember.special.log_ndtr(x32).sum().backward()
    assert np.isfinite(x32.grad.numpy()).all()
