"""Sample shapes, dtypes, support, reproducibility and moments (vs closed forms) of every
distribution's sampler. Fixed seeds; tolerances are 5 standard errors of the Monte Carlo
estimate (about one failure in 1.7 million per check if the sampler is right)."""

from __future__ import annotations

import math

import ember
import ember.distributions as D
import numpy as np
import pytest

from ._util import assert_close, assert_moment, to_np


def _t(x, dtype=ember.float64):
    return ember.tensor(np.asarray(x, dtype=np.float64)).to(dtype)


SHAPE_CASES = [
    ("Normal", lambda: D.Normal(_t([0.0, 1.0, 2.0]), _t([1.0, 2.0, 3.0])), (3,), ()),
    ("Bernoulli", lambda: D.Bernoulli(probs=_t([[0.1, 0.9]])), (1, 2), ()),
    ("Categorical", lambda: D.Categorical(logits=_t(np.zeros((2, 3, 4)))), (2, 3), ()),
    ("OneHotCategorical", lambda: D.OneHotCategorical(probs=_t(np.ones((2, 5)))), (2,), (5,)),
    ("Uniform", lambda: D.Uniform(_t([0.0, -1.0]), _t([1.0, 1.0])), (2,), ()),
    ("Beta", lambda: D.Beta(_t([0.5, 2.0]), _t([1.5, 3.0])), (2,), ()),
    ("Gamma", lambda: D.Gamma(_t([0.3, 5.0]), _t([1.0, 2.0])), (2,), ()),
    ("Chi2", lambda: D.Chi2(_t([3.0])), (1,), ()),
    ("Exponential", lambda: D.Exponential(_t([1.0, 2.0])), (2,), ()),
    ("Laplace", lambda: D.Laplace(_t([0.0]), _t([1.0])), (1,), ()),
    ("LogNormal", lambda: D.LogNormal(_t([0.0, 1.0]), _t([0.5, 0.1])), (2,), ()),
    ("Poisson", lambda: D.Poisson(_t([0.0, 3.0, 50.0])), (3,), ()),
    ("Binomial", lambda: D.Binomial(_t([10.0, 100.0]), probs=_t([0.3, 0.6])), (2,), ()),
    ("MultivariateNormal", lambda: D.MultivariateNormal(_t(np.zeros((2, 3))),
                                                        scale_tril=_t(np.eye(3))), (2,), (3,)),
    ("Dirichlet", lambda: D.Dirichlet(_t(np.ones((2, 4)))), (2,), (4,)),
    ("StudentT", lambda: D.StudentT(_t([3.0, 10.0])), (2,), ()),
    ("Independent", lambda: D.Independent(D.Normal(_t(np.zeros((2, 3))),
                                                   _t(np.ones((2, 3)))), 1), (2,), (3,)),
    ("RelaxedBernoulli", lambda: D.RelaxedBernoulli(_t(0.5), probs=_t([0.2, 0.7])), (2,), ()),
    ("RelaxedOneHotCategorical", lambda: D.RelaxedOneHotCategorical(
        _t(0.5), probs=_t([[0.2, 0.8], [0.5, 0.5]])), (2,), (2,)),
    ("TransformedDistribution", lambda: D.TransformedDistribution(
        D.Normal(_t([0.0, 1.0]), _t([1.0, 1.0])), [D.transforms.TanhTransform()]), (2,), ()),
]


@pytest.mark.parametrize("name,build,batch,event", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 3)])
def test_sample_shape_and_support(name, build, batch, event, sample_shape):
    d = build()
    assert d.batch_shape == batch and d.event_shape == event
    x = d.sample(sample_shape)
    assert tuple(x.shape) == sample_shape + batch + event
    assert not x.requires_grad
    assert bool(d.support.check(x).all()), f"{name}: samples outside the support"
    if d.has_rsample:
        assert tuple(d.rsample(sample_shape).shape) == sample_shape + batch + event


def test_sample_reproducible_with_manual_seed():
    d = D.Gamma(_t([0.4, 3.0]), _t([1.0, 1.0]))
    ember.manual_seed(123)
    a = to_np(d.sample((50,)))
    ember.manual_seed(123)
    b = to_np(d.sample((50,)))
    ember.manual_seed(124)
    c = to_np(d.sample((50,)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_sample_dtype_follows_parameters(dtype):
    for d in (D.Normal(_t([0.0], dtype), _t([1.0], dtype)), D.Gamma(_t([2.0], dtype), 1.0),
              D.Beta(_t([2.0], dtype), _t([3.0], dtype)), D.Poisson(_t([3.0], dtype)),
              D.Binomial(5, probs=_t([0.5], dtype)), D.Bernoulli(probs=_t([0.5], dtype)),
              D.Dirichlet(_t([1.0, 2.0], dtype)), D.Exponential(_t([1.0], dtype))):
        assert d.sample((3,)).dtype == dtype
    assert D.Categorical(probs=_t([0.5, 0.5], dtype)).sample((3,)).dtype == ember.int64


N = 40000


def assert_mean_and_variance(d, n=N, n_sigma=5.0):
    """Sample mean within ``n_sigma`` standard errors of ``d.mean`` and the sample variance
    within ``n_sigma`` standard errors of ``d.variance`` (the error of the variance uses the
    sample fourth central moment)."""
    x = to_np(d.sample((n,))).astype(np.float64)
    mean, var = to_np(d.mean), to_np(d.variance)
    assert_moment(x, mean, n_sigma, spread=np.sqrt(var), what=f"{type(d).__name__} mean")
    c = x - x.mean(0)
    m4 = (c**4).mean(0)
    se_var = np.sqrt(np.maximum(m4 - var**2, 1e-300) / n)
    z = np.abs((c**2).mean(0) - var) / se_var
    assert np.all(z < n_sigma), f"{type(d).__name__} variance: {(c**2).mean(0)} vs {var}"


MOMENT_CASES = [
    ("Normal", lambda: D.Normal(_t([0.0, -2.0]), _t([1.0, 0.3]))),
    ("Bernoulli", lambda: D.Bernoulli(probs=_t([0.1, 0.5, 0.97]))),
    ("Uniform", lambda: D.Uniform(_t([0.0, -3.0]), _t([1.0, 5.0]))),
    ("Beta", lambda: D.Beta(_t([0.3, 2.0, 8.0]), _t([0.5, 3.0, 1.0]))),
    ("Gamma", lambda: D.Gamma(_t([0.05, 0.7, 1.0, 4.5, 300.0]), _t([1.0, 2.0, 0.5, 1.0, 3.0]))),
    ("Chi2", lambda: D.Chi2(_t([1.0, 7.0]))),
    ("Exponential", lambda: D.Exponential(_t([0.5, 3.0]))),
    ("Laplace", lambda: D.Laplace(_t([1.0, -1.0]), _t([0.5, 2.0]))),
    ("LogNormal", lambda: D.LogNormal(_t([0.0, 1.0]), _t([0.25, 0.5]))),
    ("Poisson", lambda: D.Poisson(_t([0.3, 4.0, 9.9, 10.0, 37.5, 1000.0]))),
    ("Binomial", lambda: D.Binomial(_t([1.0, 20.0, 30.0, 200.0, 5000.0, 60.0]),
                                    probs=_t([0.5, 0.2, 0.9, 0.4, 0.01, 0.999]))),
    ("StudentT", lambda: D.StudentT(_t([5.0, 30.0]), _t([1.0, 0.0]), _t([2.0, 0.5]))),
    ("Dirichlet", lambda: D.Dirichlet(_t([[0.2, 0.5, 1.0], [3.0, 4.0, 5.0]]))),
    ("OneHotCategorical", lambda: D.OneHotCategorical(probs=_t([0.1, 0.2, 0.7]))),
]


@pytest.mark.parametrize("name,build", MOMENT_CASES, ids=[c[0] for c in MOMENT_CASES])
def test_sample_moments_match_closed_forms(name, build):
    ember.manual_seed(2024)
    assert_mean_and_variance(build())


def test_categorical_frequencies_match_probs():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    x = to_np(D.Categorical(probs=_t(probs)).sample((N,)))
    freq = np.stack([(x == k).mean(0) for k in range(3)], -1)
    se = np.sqrt(probs * (1 - probs) / N)
    assert np.all(np.abs(freq - probs) < 5 * se)


def test_mvn_sample_covariance_matches():
    a = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, -0.3], [0.1, -0.3, 0.5]])
    loc = np.array([1.0, -1.0, 0.0])
    x = to_np(D.MultivariateNormal(_t(loc), covariance_matrix=_t(a)).sample((N,)))
    assert_moment(x, loc, spread=np.sqrt(np.diag(a)))
    cov = np.cov(x.T)
    # standard error of a sample covariance: sqrt((a_ii a_jj + a_ij^2) / n)
    se = np.sqrt((np.outer(np.diag(a), np.diag(a)) + a**2) / N)
    assert np.all(np.abs(cov - a) < 5 * se)


def test_gamma_tiny_concentration_samples_are_positive_and_finite():
    for dtype in (ember.float32, ember.float64):
        x = D.Gamma(_t([1e-3, 0.02], dtype), _t([1.0, 1.0], dtype)).sample((2000,))
        xn = to_np(x)
        assert np.all(xn > 0) and np.all(np.isfinite(xn))
    # log-space Dirichlet sampling stays on the simplex even when every gamma underflows
    y = to_np(D.Dirichlet(_t([1e-3, 1e-3, 1e-3])).sample((1000,)))
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)


def test_gamma_small_shape_mean_of_log_matches_digamma():
    """E[log G] = digamma(a): a check of the alpha < 1 boost in the region the mean barely
    sees."""
    a = np.array([0.05, 0.3])
    lx = np.log(to_np(D.Gamma(_t(a), 1.0).sample((N,))))
    digamma = to_np(ember.digamma(_t(a)))
    trigamma = to_np(ember.polygamma(1, _t(a)))
    assert_moment(lx, digamma, spread=np.sqrt(trigamma), what="E[log G]")


def test_poisson_and_binomial_tails_against_pmf():
    """Chi-square-style check: the empirical pmf matches exp(log_prob) on every value with
    enough mass, in both sampling regimes."""
    for d in (D.Poisson(_t([2.5, 25.0])), D.Binomial(_t([40.0, 40.0]), probs=_t([0.1, 0.5]))):
        x = to_np(d.sample((N,)))
        for j in range(x.shape[1]):
            ks = np.arange(0, int(x[:, j].max()) + 1)
            pmf = np.exp(to_np(d.log_prob(_t(ks).unsqueeze(-1).expand((len(ks), 2))))[:, j])
            freq = np.array([(x[:, j] == k).mean() for k in ks])
            keep = pmf * N > 20
            se = np.sqrt(pmf * (1 - pmf) / N)
            assert np.all(np.abs(freq - pmf)[keep] < 5 * se[keep])


def test_relaxed_bernoulli_low_temperature_approaches_bernoulli():
    """logit(X) * t is Logistic(logit(p), 1): the mass in [0.01, 0.99] is
    sigmoid(4.595 t - logit p) - sigmoid(-4.595 t - logit p), about 0.096 here."""
    t, p = 0.05, 0.3
    x = to_np(D.RelaxedBernoulli(_t(t), probs=_t([p])).sample((N,)))[:, 0]
    sig = lambda v: 1 / (1 + math.exp(-v))
    b = math.log(1 / 0.01 - 1) * t
    lp = math.log(p / (1 - p))
    middle = sig(b - lp) - sig(-b - lp)
    frac = np.mean((x >= 0.01) & (x <= 0.99))
    assert abs(frac - middle) < 5 * math.sqrt(middle * (1 - middle) / N)
    assert_moment((x > 0.5).astype(np.float64), [p], spread=[math.sqrt(p * (1 - p))])


def test_sample_does_not_track_gradients():
    loc = _t([0.0, 1.0]).requires_grad_()
    assert not D.Normal(loc, 1.0).sample((3,)).requires_grad
    assert D.Normal(loc, 1.0).rsample((3,)).requires_grad


def test_sample_n_warns_and_matches_sample_shape():
    d = D.Normal(_t([0.0, 1.0]), 1.0)
    with pytest.warns(FutureWarning, match="sample_n"):
        x = d.sample_n(4)
    assert tuple(x.shape) == (4, 2)


def test_empty_sample_shape():
    assert tuple(D.Categorical(probs=_t([0.5, 0.5])).sample((0,)).shape) == (0,)
    assert tuple(D.Normal(_t([0.0]), 1.0).sample((0, 2)).shape) == (0, 2, 1)
    assert_close(D.Normal(0.0, 1.0).sample((0,)).sum(), np.float64(0.0))
