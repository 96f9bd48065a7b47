"""kl_divergence against torch for every registered same-family pair, float32 and float64;
infinite cases; dispatch and registration."""

from __future__ import annotations

import warnings

import ember
import ember.distributions as D
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.distributions as TD

from ._util import DTYPES, assert_close, to_ember, to_torch


def _spd(r, n):
    a = r.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


KL_CASES = [
    ("Normal", lambda r: {"loc": r.standard_normal(3), "scale": r.uniform(0.5, 2, 3)},
     lambda m, p: m.Normal(p["loc"], p["scale"])),
    ("Bernoulli", lambda r: {"probs": r.uniform(0.05, 0.95, 4)},
     lambda m, p: m.Bernoulli(probs=p["probs"])),
    ("Binomial", lambda r: {"probs": r.uniform(0.05, 0.95, 4)},
     lambda m, p: m.Binomial(8, probs=p["probs"])),
    ("Categorical", lambda r: {"logits": r.standard_normal((2, 5))},
     lambda m, p: m.Categorical(logits=p["logits"])),
    ("OneHotCategorical", lambda r: {"probs": r.uniform(0.1, 1, (3, 4))},
     lambda m, p: m.OneHotCategorical(probs=p["probs"])),
    ("Uniform", lambda r: {"low": r.uniform(-1.0, -0.5, 3), "high": r.uniform(0.5, 1.0, 3)},
     lambda m, p: m.Uniform(p["low"], p["high"])),
    ("Beta", lambda r: {"a": r.uniform(0.5, 3, 3), "b": r.uniform(0.5, 3, 3)},
     lambda m, p: m.Beta(p["a"], p["b"])),
    ("Gamma", lambda r: {"c": r.uniform(0.5, 4, 3), "rate": r.uniform(0.5, 2, 3)},
     lambda m, p: m.Gamma(p["c"], p["rate"])),
    ("Exponential", lambda r: {"rate": r.uniform(0.5, 2, 3)},
     lambda m, p: m.Exponential(p["rate"])),
    ("Laplace", lambda r: {"loc": r.standard_normal(3), "scale": r.uniform(0.5, 2, 3)},
     lambda m, p: m.Laplace(p["loc"], p["scale"])),
    ("Poisson", lambda r: {"rate": r.uniform(0.5, 10, 3)}, lambda m, p: m.Poisson(p["rate"])),
    ("Dirichlet", lambda r: {"c": r.uniform(0.5, 3, (2, 4))}, lambda m, p: m.Dirichlet(p["c"])),
    ("MultivariateNormal", lambda r: {"loc": r.standard_normal((2, 3)),
                                          "cov": np.stack([_spd(r, 3), _spd(r, 3)])},
     lambda m, p: m.MultivariateNormal(p["loc"], covariance_matrix=p["cov"])),
    ("Independent", lambda r: {"loc": r.standard_normal((2, 3)),
                               "scale": r.uniform(0.5, 2, (2, 3))},
     lambda m, p: m.Independent(m.Normal(p["loc"], p["scale"]), 1)),
    ("LogNormal", lambda r: {"loc": r.standard_normal(3), "scale": r.uniform(0.5, 2, 3)},
     lambda m, p: m.LogNormal(p["loc"], p["scale"])),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,params,build", KL_CASES, ids=[c[0] for c in KL_CASES])
def test_kl_matches_torch(name, params, build, dtype):
    pp, qp = params(np.random.default_rng(1)), params(np.random.default_rng(2))
    ours = D.kl_divergence(build(D, to_ember(pp, dtype)), build(D, to_ember(qp, dtype)))
    ref = TD.kl_divergence(build(TD, to_torch(pp, dtype)), build(TD, to_torch(qp, dtype)))
    tol = {"rtol": 5e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-7, "atol": 1e-9}
    assert_close(ours, ref, dtype, what=name, **tol)
    # KL(p || p) = 0
    same = D.kl_divergence(build(D, to_ember(pp, dtype)), build(D, to_ember(pp, dtype)))
    assert_close(same, np.zeros(tuple(ref.shape)), dtype, atol=1e-5 if dtype == "float32"
                 else 1e-10)


def test_kl_infinite_where_not_absolutely_continuous_matches_torch():
    pairs = [
        (lambda m, t: (m.Uniform(t([0.0, 0.0]), t([2.0, 1.0])),
                       m.Uniform(t([0.0, -1.0]), t([1.0, 2.0])))),
        (lambda m, t: (m.Bernoulli(probs=t([0.5, 0.0, 1.0])),
                       m.Bernoulli(probs=t([0.0, 0.5, 1.0])))),
        (lambda m, t: (m.Categorical(probs=t([[0.5, 0.5], [1.0, 0.0]])),
                       m.Categorical(probs=t([[1.0, 0.0], [0.5, 0.5]])))),
        (lambda m, t: (m.Binomial(t([5.0, 3.0]), probs=t([0.5, 0.5])),
                       m.Binomial(t([3.0, 3.0]), probs=t([0.5, 0.4])))),
    ]
    for make in pairs:
        ours = D.kl_divergence(*make(D, lambda x: ember.tensor(np.asarray(x, np.float64))))
        ref = TD.kl_divergence(*make(TD, lambda x: torch.tensor(np.asarray(x, np.float64))))
        assert_close(ours, ref)


def test_kl_broadcasts_batch_shapes_like_torch():
    ours = D.kl_divergence(D.Normal(ember.zeros(2, 1), 1.0), D.Normal(ember.ones(3), 2.0))
    ref = TD.kl_divergence(TD.Normal(torch.zeros(2, 1), 1.0), TD.Normal(torch.ones(3), 2.0))
    assert_close(ours, ref, "float32")


def test_kl_gradient_matches_torch():
    a = np.array([0.3, 1.2])
    loc_e = ember.tensor(a).requires_grad_()
    loc_t = torch.tensor(a, requires_grad=True)
    D.kl_divergence(D.Normal(loc_e, 2.0), D.Normal(0.0, 1.0)).sum().backward()
    TD.kl_divergence(TD.Normal(loc_t, 2.0), TD.Normal(0.0, 1.0)).sum().backward()
    assert_close(loc_e.grad, loc_t.grad)


def test_kl_unregistered_pair_raises():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type "
                                                  "Laplace and q type StudentT"):
        D.kl_divergence(D.Laplace(0.0, 1.0), D.StudentT(3.0))
    # two different exponential families fall to the Bregman rule, which refuses (as torch)
    with pytest.raises(NotImplementedError, match="different exponential families"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Binomial(3, probs=0.5), D.Binomial(5, probs=0.5))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Independent(D.Normal(ember.zeros(2, 2), 1.0), 1),
                        D.Independent(D.Normal(ember.zeros(2, 2), 1.0), 2))


def test_generic_exponential_family_kl_matches_closed_forms():
    """The Bregman-divergence fallback agrees with the registered closed forms."""
    from ember.distributions.kl import _kl_expfamily_expfamily

    pairs = [(D.Gamma(ember.tensor([2.0, 0.7], dtype=ember.float64), 1.5),
              D.Gamma(ember.tensor([1.0, 3.0], dtype=ember.float64), 0.5)),
             (D.Normal(ember.tensor([0.3], dtype=ember.float64), 1.2), D.Normal(-1.0, 0.5)),
             (D.Beta(ember.tensor([2.0], dtype=ember.float64), 1.5),
              D.Beta(ember.tensor([0.5], dtype=ember.float64), 3.0)),
             (D.Poisson(ember.tensor([2.0, 7.0], dtype=ember.float64)),
              D.Poisson(ember.tensor([3.0, 1.0], dtype=ember.float64)))]
    for p, q in pairs:
        assert_close(_kl_expfamily_expfamily(p, q), D.kl_divergence(p, q).detach())
    with pytest.raises(NotImplementedError, match="different exponential"):
        _kl_expfamily_expfamily(pairs[0][0], pairs[1][1])


def test_exponential_family_entropy_matches_closed_forms():
    for d in (D.Gamma(ember.tensor([2.0, 0.7], dtype=ember.float64), 1.5),
              D.Normal(ember.tensor([0.3], dtype=ember.float64), 1.2),
              D.Exponential(ember.tensor([0.4], dtype=ember.float64))):
        assert_close(D.ExponentialFamily.entropy(d), d.entropy().detach())


def test_register_kl_dispatches_to_most_specific_pair():
    class MyNormal(D.Normal):
        pass

    calls = []

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        calls.append("mine")
        return ember.zeros(p.batch_shape)

    try:
        p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)
        assert float(D.kl_divergence(p, q).item()) == 0.0
        assert calls == ["mine"]
        # the base pair still uses the closed form
        assert_close(D.kl_divergence(D.Normal(0.0, 1.0), q), np.float32(0.5), "float32")
        # subclass of q only: the Normal/Normal rule applies
        assert_close(D.kl_divergence(D.Normal(0.0, 1.0), MyNormal(1.0, 1.0)), np.float32(0.5),
                     "float32")
    finally:
        from ember.distributions import kl as klmod

        del klmod._KL_REGISTRY[MyNormal, D.Normal]
        klmod._KL_MEMOIZE.clear()


def test_register_kl_warns_on_ambiguous_pairs_and_rejects_non_distributions():
    class A(D.Normal):
        pass

    class B(D.Normal):
        pass

    @D.register_kl(A, D.Normal)
    def _kl_a(p, q):
        return ember.zeros(())

    @D.register_kl(D.Normal, B)
    def _kl_b(p, q):
        return ember.ones(())

    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = D.kl_divergence(A(0.0, 1.0), B(0.0, 1.0))
        assert any("Ambiguous kl_divergence(A, B)" in str(x.message) for x in w)
        assert float(out.item()) == 0.0  # the most specific p wins
    finally:
        from ember.distributions import kl as klmod

        del klmod._KL_REGISTRY[A, D.Normal]
        del klmod._KL_REGISTRY[D.Normal, B]
        klmod._KL_MEMOIZE.clear()
    with pytest.raises(TypeError, match="type_p"):
        D.register_kl(int, D.Normal)
