"""Gradients: reparameterized samples (deterministic formulas, fixed-noise finite differences,
torch's gamma gradient and Monte Carlo expectations for implicit reparameterization) and
float64 finite differences of log_prob, cdf and entropy."""

from __future__ import annotations

import math

import ember
import ember.distributions as D
import numpy as np
import pytest
from ember.autograd import gradcheck

from ._util import assert_close, assert_moment, to_np

torch = pytest.importorskip("torch")


def _leaf(x, dtype=ember.float64):
    return ember.tensor(np.asarray(x, dtype=np.float64)).to(dtype).requires_grad_()


def _grads(out, params):
    return ember.autograd.grad(out.sum(), params)


def test_normal_rsample_gradient_is_the_noise():
    loc, scale = _leaf([0.5, -1.0, 2.0]), _leaf([1.0, 0.5, 3.0])
    x = D.Normal(loc, scale).rsample((7,))
    eps = (x.detach() - loc.detach()) / scale.detach()
    g_loc, g_scale = _grads(x, [loc, scale])
    assert_close(g_loc, np.full(3, 7.0))
    assert_close(g_scale, to_np(eps).sum(0))


def test_closed_form_rsample_gradients():
    rate = _leaf([0.5, 2.0])
    x = D.Exponential(rate).rsample((5,))
    assert_close(_grads(x, [rate])[0], (-to_np(x) / to_np(rate)).sum(0))

    low, high = _leaf([0.0, -1.0]), _leaf([1.0, 3.0])
    x = D.Uniform(low, high).rsample((5,))
    u = (to_np(x) - to_np(low)) / (to_np(high) - to_np(low))
    g_low, g_high = _grads(x, [low, high])
    assert_close(g_low, (1 - u).sum(0))
    assert_close(g_high, u.sum(0))

    loc, scale = _leaf([0.0, 1.0]), _leaf([0.5, 2.0])
    x = D.Laplace(loc, scale).rsample((5,))
    g_loc, g_scale = _grads(x, [loc, scale])
    assert_close(g_loc, np.full(2, 5.0))
    assert_close(g_scale, ((to_np(x) - to_np(loc)) / to_np(scale)).sum(0))

    x = D.LogNormal(loc, scale).rsample((5,))
    g_loc, g_scale = _grads(x, [loc, scale])
    assert_close(g_loc, to_np(x).sum(0))
    assert_close(g_scale, (to_np(x) * (np.log(to_np(x)) - to_np(loc)) / to_np(scale)).sum(0))

    df, loc, scale = _leaf([4.0, 9.0]), _leaf([0.0, 1.0]), _leaf([1.0, 2.0])
    x = D.StudentT(df, loc, scale).rsample((5,))
    g_loc, g_scale = _grads(x, [loc, scale])
    assert_close(g_loc, np.full(2, 5.0))
    assert_close(g_scale, ((to_np(x) - to_np(loc)) / to_np(scale)).sum(0))


def test_mvn_scale_tril_rsample_gradient_is_outer_product_with_noise():
    L0 = np.array([[1.0, 0.0, 0.0], [0.3, 2.0, 0.0], [-0.5, 0.1, 0.7]])
    loc, L = _leaf([1.0, 2.0, 3.0]), _leaf(L0)
    x = D.MultivariateNormal(loc, scale_tril=L).rsample((6,))
    eps = np.linalg.solve(L0, (to_np(x) - to_np(loc)).T).T
    g_loc, g_L = _grads(x, [loc, L])
    assert_close(g_loc, np.full(3, 6.0))
    assert_close(g_L, np.tril(np.tile(eps.sum(0), (3, 1))) + np.triu(to_np(g_L), 1))


def assert_rsample_matches_fixed_noise_fd(build, params, sample_shape=(3,), h=1e-6, rtol=1e-5,
                                          atol=1e-7):
    """d sum(rsample) / d param equals central differences of rsample re-drawn with the same
    seed (the same noise) at param +- h, for every element of every parameter."""
    def value(ps):
        ember.manual_seed(7)
        with ember.no_grad():
            return float(to_np(build(*ps).rsample(sample_shape)).sum())

    ember.manual_seed(7)
    out = build(*params).rsample(sample_shape)
    analytic = _grads(out, params)
    base = [to_np(p) for p in params]
    for i, p in enumerate(base):
        num = np.zeros(p.size)
        for k in range(p.size):
            hi, lo = [b.copy() for b in base], [b.copy() for b in base]
            hi[i].flat[k] += h
            lo[i].flat[k] -= h
            num[k] = (value([ember.tensor(v) for v in hi])
                      - value([ember.tensor(v) for v in lo])) / (2 * h)
        np.testing.assert_allclose(to_np(analytic[i]).reshape(-1), num, rtol=rtol, atol=atol)


def _spd():
    return np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 0.5]])


FD_RSAMPLE_CASES = [
    # matrices enter symmetrized so that finite differences perturb symmetrically (cholesky
    # reads one triangle; its gradient is the symmetrized one, as PyTorch's)
    ("MVN_cov", lambda m, c: D.MultivariateNormal(m, covariance_matrix=(c + c.mT) / 2),
     [[0.5, 1.0, -1.0], _spd()]),
    ("MVN_prec", lambda m, c: D.MultivariateNormal(m, precision_matrix=(c + c.mT) / 2),
     [[0.5, 1.0, -1.0], _spd()]),
    ("RelaxedBernoulli", lambda t, p: D.RelaxedBernoulli(t, probs=p), [0.7, [0.3, 0.6]]),
    ("RelaxedOneHotCategorical", lambda t, lg: D.RelaxedOneHotCategorical(t, logits=lg),
     [0.6, [[0.1, -0.4, 0.9]]]),
    ("TD_tanh_affine", lambda m, s: D.TransformedDistribution(
        D.Normal(m, s), [D.transforms.AffineTransform(0.5, 0.3),
                         D.transforms.TanhTransform()]), [[0.1, 0.4], [0.5, 1.5]]),
    ("Independent", lambda m, s: D.Independent(D.Laplace(m, s), 1), [[[0.1, 0.4]], [[0.5, 1.5]]]),
]


@pytest.mark.parametrize("name,build,values", FD_RSAMPLE_CASES,
                         ids=[c[0] for c in FD_RSAMPLE_CASES])
def test_rsample_gradient_matches_fixed_noise_finite_differences(name, build, values):
    params = [_leaf(v) for v in values]
    assert_rsample_matches_fixed_noise_fd(build, params)


def test_gamma_rsample_gradient_matches_torch_standard_gamma_grad():
    conc = np.array([0.05, 0.4, 1.0, 2.5, 9.0, 40.0, 500.0])
    rate = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 0.1])
    c, r = _leaf(np.tile(conc, (20, 1))), _leaf(np.tile(rate, (20, 1)))
    x = D.Gamma(c, r).rsample()
    g_c, g_r = _grads(x, [c, r])
    xn = to_np(x)
    assert_close(g_r, -xn / to_np(r))
    g = to_np(x) * to_np(r)  # the standard gamma draw
    ref = torch._standard_gamma_grad(torch.tensor(to_np(c)), torch.tensor(g)).numpy()
    # torch's gradient uses rational/asymptotic approximations good to ~1e-4
    assert_close(g_c, ref / to_np(r), rtol=5e-4, atol=1e-12)


def test_gamma_rsample_gradient_matches_incomplete_gamma_finite_differences():
    """dx/da = -(dP/da)(x) / p(x) with dP/da by central differences of torch's float64
    regularized incomplete gamma: ember's series is exact to ~1e-10."""
    a = np.array([0.02, 0.3, 1.0, 3.7, 25.0, 400.0, 1500.0])
    c = _leaf(a)
    ember.manual_seed(3)
    x = D.Gamma(c, 1.0).rsample()
    (g,) = _grads(x, [c])
    ta, tx = torch.tensor(a), torch.tensor(to_np(x))
    h = 1e-5 * ta
    dp = (torch.special.gammainc(ta + h, tx) - torch.special.gammainc(ta - h, tx)) / (2 * h)
    pdf = torch.distributions.Gamma(ta, 1.0).log_prob(tx).exp()
    ref = (-dp / pdf).numpy()
    # a = 1500 uses the Wilson-Hilferty branch (about 1e-6 relative)
    assert_close(g, ref, rtol=2e-6, atol=1e-12)


N = 20000


def assert_mc_gradient(per_sample_grads, expected, n_sigma=5.0):
    """The mean of per-sample pathwise gradients is within ``n_sigma`` standard errors of the
    analytic gradient of the expectation."""
    assert_moment(to_np(per_sample_grads), expected, n_sigma, what="E[grad]")


def test_beta_rsample_gradient_is_unbiased():
    a, b = 0.7, 2.5
    ca, cb = _leaf(np.full(N, a)), _leaf(np.full(N, b))
    ember.manual_seed(11)
    x = D.Beta(ca, cb).rsample()
    ga, gb = _grads(x, [ca, cb])
    assert_mc_gradient(ga, b / (a + b) ** 2)
    assert_mc_gradient(gb, -a / (a + b) ** 2)


def test_dirichlet_rsample_gradient_is_unbiased():
    alpha = np.array([0.4, 1.5, 3.0])
    a0 = alpha.sum()
    c = _leaf(np.tile(alpha, (N, 1)))
    ember.manual_seed(12)
    x = D.Dirichlet(c).rsample()
    (g,) = _grads(x[:, 0], [c])
    expected = (np.eye(3)[0] * a0 - alpha[0]) / a0**2  # d/da_j (a_0 / a0)
    assert_mc_gradient(g, expected)
    np.testing.assert_allclose(to_np(x).sum(-1), 1.0, rtol=1e-12)


def test_gamma_and_student_t_df_gradients_are_unbiased():
    k = 1.7
    c = _leaf(np.full(N, k))
    ember.manual_seed(13)
    x = D.Gamma(c, 1.0).rsample()
    (g,) = _grads(x * x, [c])  # d E[x^2] / dk = d (k + k^2) / dk
    assert_mc_gradient(g, 1 + 2 * k)
    df = 7.0
    d = _leaf(np.full(N, df))
    y = D.StudentT(d).rsample()
    (g,) = _grads(y * y, [d])  # d Var / d df = -2 / (df - 2)^2
    assert_mc_gradient(g, -2 / (df - 2) ** 2)


def test_straight_through_gradient_is_identity_on_probs():
    probs = _leaf([0.2, 0.3, 0.5])
    d = D.OneHotCategoricalStraightThrough(probs=probs)
    x = d.rsample((4,))
    assert bool(((x.detach() == 0) | (x.detach() == 1)).all())
    w = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    (g,) = _grads((x * w).sum(-1), [probs])
    # probs are normalized by their sum (1): d/dp_j of sum_i w_i p_i / sum p = w_j - E[w]
    assert_close(g, 4 * (np.array([1.0, 2.0, 3.0]) - (0.2 + 0.6 + 1.5)))


LOGPROB_FD_CASES = [
    ("Normal", lambda m, s, v: D.Normal(m, s).log_prob(v), [[0.3, -1.0], [0.5, 2.0], [0.1, 0.2]]),
    ("Bernoulli_logits", lambda lg, v: D.Bernoulli(logits=lg).log_prob(v),
     [[0.3, -1.5, 0.0], None]),
    ("Bernoulli_probs", lambda p, v: D.Bernoulli(probs=p).log_prob(v), [[0.3, 0.8, 0.5], None]),
    ("Categorical", lambda lg: D.Categorical(logits=lg).log_prob(ember.tensor([2, 0])),
     [[[0.1, 0.5, -0.3], [1.0, 0.0, 2.0]]]),
    ("Categorical_entropy", lambda p: D.Categorical(probs=p).entropy(), [[0.2, 0.5, 0.3]]),
    ("Uniform", lambda lo, hi: D.Uniform(lo, hi).log_prob(ember.tensor([0.5])), [[0.0], [2.0]]),
    ("Beta", lambda a, b, v: D.Beta(a, b).log_prob(v), [[0.7, 2.0], [1.5, 3.0], [0.3, 0.6]]),
    ("Beta_entropy", lambda a, b: D.Beta(a, b).entropy(), [[0.7, 2.0], [1.5, 3.0]]),
    ("Gamma", lambda a, r, v: D.Gamma(a, r).log_prob(v), [[0.7, 3.0], [1.5, 0.5], [0.4, 2.0]]),
    ("Gamma_cdf", lambda r, v: D.Gamma(ember.tensor([0.7, 3.0], dtype=ember.float64),
                                       r).cdf(v), [[1.5, 0.5], [0.4, 2.0]]),
    ("Gamma_entropy", lambda a, r: D.Gamma(a, r).entropy(), [[0.7, 3.0], [1.5, 0.5]]),
    ("Exponential_cdf", lambda r, v: D.Exponential(r).cdf(v), [[1.5, 0.5], [0.4, 2.0]]),
    ("Laplace", lambda m, s, v: D.Laplace(m, s).log_prob(v), [[0.3], [0.5], [1.1]]),
    ("LogNormal", lambda m, s, v: D.LogNormal(m, s).log_prob(v), [[0.3], [0.5], [1.1]]),
    ("Poisson", lambda r: D.Poisson(r).log_prob(ember.tensor([0.0, 3.0], dtype=ember.float64)),
     [[0.5, 4.0]]),
    ("Binomial", lambda p: D.Binomial(10, probs=p).log_prob(
        ember.tensor([0.0, 3.0, 10.0], dtype=ember.float64)), [[0.2, 0.5, 0.9]]),
    ("StudentT", lambda d, m, s, v: D.StudentT(d, m, s).log_prob(v),
     [[1.5, 6.0], [0.0, 1.0], [1.0, 2.0], [0.5, -0.3]]),
    ("StudentT_entropy", lambda d, s: D.StudentT(d, 0.0, s).entropy(), [[1.5, 6.0], [1.0, 2.0]]),
    ("Dirichlet", lambda c: D.Dirichlet(c).log_prob(
        ember.tensor([0.2, 0.3, 0.5], dtype=ember.float64)), [[0.7, 2.0, 1.3]]),
    ("MVN_tril", lambda m, L: D.MultivariateNormal(m, scale_tril=L.tril()).log_prob(
        ember.tensor([0.3, -0.2], dtype=ember.float64)), [[0.1, 0.2], [[1.2, 0.0], [0.3, 0.8]]]),
    ("MVN_cov", lambda m, C: D.MultivariateNormal(m, covariance_matrix=(C + C.mT) / 2).log_prob(
        ember.tensor([0.3, -0.2], dtype=ember.float64)), [[0.1, 0.2], [[1.2, 0.3], [0.3, 0.8]]]),
    ("RelaxedBernoulli", lambda t, lg: D.RelaxedBernoulli(t, logits=lg).log_prob(
        ember.tensor([0.3, 0.9], dtype=ember.float64)), [0.6, [0.2, -0.7]]),
    ("TD_tanh", lambda m, s: D.TransformedDistribution(
        D.Normal(m, s), [D.transforms.TanhTransform()]).log_prob(
        ember.tensor([0.3, -0.6], dtype=ember.float64)), [[0.1, 0.2], [0.5, 1.0]]),
]


@pytest.mark.parametrize("name,fn,values", LOGPROB_FD_CASES,
                         ids=[c[0] for c in LOGPROB_FD_CASES])
def test_log_prob_gradient_matches_finite_differences(name, fn, values):
    args = []
    for v in values:
        if v is None:  # a 0/1 value for Bernoulli, not differentiated
            args.append(ember.tensor([1.0, 0.0, 1.0], dtype=ember.float64))
        else:
            args.append(_leaf(v))
    assert gradcheck(fn, args, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gamma_cdf_gradient_in_concentration_raises_like_torch():
    c = _leaf([1.5])
    y = D.Gamma(c, 1.0).cdf(ember.tensor([0.7], dtype=ember.float64))
    with pytest.raises(NotImplementedError, match="gammainc"):
        y.sum().backward()


def test_rsample_raises_where_torch_has_none():
    for d in (D.Bernoulli(0.3), D.Categorical(probs=ember.tensor([0.5, 0.5])), D.Poisson(2.0),
              D.Binomial(3, probs=0.5)):
        assert not d.has_rsample
        with pytest.raises(NotImplementedError):
            d.rsample()
    assert math.isfinite(float(D.Gamma(2.0, 1.0).rsample().item()))
