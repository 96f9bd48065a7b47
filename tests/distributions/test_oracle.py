"""Densities, moments, entropies, cdf and icdf of every distribution match torch.distributions
on random valid parameters, in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember.distributions as D
import torch.distributions as TD

from ._cases import CASE_IDS, CASES
from ._util import DTYPES, assert_close, to_ember, to_torch

PROPERTIES = ["mean", "variance", "stddev", "mode"]


def _pair(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    p = case.params(rng)
    ours = case.build(D, to_ember(p, dtype))
    ref = case.build(TD, to_torch(p, dtype))
    return ours, ref


def assert_same_or_both_raise(get_ours, get_ref, dtype, tol, what):
    """Both raise NotImplementedError, or both return matching values."""
    try:
        expected = get_ref()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            get_ours()
        return
    assert_close(get_ours(), expected, dtype, what=what, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_matches_torch(case, dtype):
    ours, ref = _pair(case, dtype)
    tol = case.tol.get(dtype, {})
    assert ours.batch_shape == tuple(ref.batch_shape)
    assert ours.event_shape == tuple(ref.event_shape)
    assert ours.has_rsample == ref.has_rsample
    for name in PROPERTIES:
        assert_same_or_both_raise(lambda name=name: getattr(ours, name),
                                  lambda name=name: getattr(ref, name),
                                  dtype, tol, f"{case.name}.{name}")
    assert_same_or_both_raise(ours.entropy, ref.entropy, dtype, tol, f"{case.name}.entropy")
    torch.manual_seed(0)
    values = ref.sample((5,))
    lp = ours.log_prob(to_ember(values.numpy(), dtype) if values.is_floating_point()
                       else to_ember(values.numpy()))
    assert_close(lp, ref.log_prob(values), dtype, what=f"{case.name}.log_prob", **tol)
    if case.cdf:
        ev = to_ember(values.numpy(), dtype)
        assert_close(ours.cdf(ev), ref.cdf(values), dtype, what=f"{case.name}.cdf", **tol)
    if case.icdf:
        q = np.random.default_rng(1).uniform(0.02, 0.98, (5,) + tuple(ref.batch_shape))
        assert_close(ours.icdf(to_ember(q, dtype)), ref.icdf(to_torch(q, dtype)), dtype,
                     what=f"{case.name}.icdf", **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mvn_derived_matrices_match_torch(dtype):
    rng = np.random.default_rng(3)
    loc, a = rng.standard_normal(3), rng.standard_normal((3, 3))
    cov = a @ a.T + 3 * np.eye(3)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-7, "atol": 1e-9}
    for kw in ("covariance_matrix", "precision_matrix", "scale_tril"):
        mat = cov if kw != "scale_tril" else np.linalg.cholesky(cov)
        ours = D.MultivariateNormal(to_ember(loc, dtype), **{kw: to_ember(mat, dtype)})
        ref = TD.MultivariateNormal(to_torch(loc, dtype), **{kw: to_torch(mat, dtype)})
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            assert_close(getattr(ours, name), getattr(ref, name), dtype, what=f"{kw}:{name}",
                         **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binomial_entropy_and_enumerate_support_match_torch(dtype):
    p = np.array([0.2, 0.5, 0.9])
    ours = D.Binomial(6, probs=to_ember(p, dtype))
    ref = TD.Binomial(6, probs=to_torch(p, dtype))
    tol = {"rtol": 2e-5, "atol": 1e-5} if dtype == "float32" else {}
    assert_close(ours.entropy(), ref.entropy(), dtype, **tol)
    assert_close(ours.enumerate_support(), ref.enumerate_support(), dtype)
    assert_close(ours.enumerate_support(expand=False), ref.enumerate_support(expand=False),
                 dtype)
    mixed = D.Binomial(to_ember(np.array([2.0, 3.0])), probs=to_ember(np.array([0.5, 0.5])))
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
        mixed.entropy()


def test_enumerate_support_matches_torch():
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    for cls in ("Categorical", "OneHotCategorical"):
        ours = getattr(D, cls)(probs=to_ember(probs))
        ref = getattr(TD, cls)(probs=to_torch(probs))
        for expand in (True, False):
            assert_close(ours.enumerate_support(expand), ref.enumerate_support(expand))
    ours_b = D.Bernoulli(probs=to_ember(probs))
    ref_b = TD.Bernoulli(probs=to_torch(probs))
    assert_close(ours_b.enumerate_support(), ref_b.enumerate_support())


def test_mode_edge_cases_match_torch():
    b = np.array([0.5, 0.7, 0.2])
    assert_close(D.Bernoulli(probs=to_ember(b)).mode, TD.Bernoulli(probs=to_torch(b)).mode)
    c = np.array([[0.5, 0.3, 0.2], [2.0, 3.0, 0.5], [1.5, 0.9, 0.1]])
    assert_close(D.Dirichlet(to_ember(c)).mode, TD.Dirichlet(to_torch(c)).mode)
    assert_close(D.Beta(to_ember(c[:, 0]), to_ember(c[:, 1])).mode,
                 TD.Beta(to_torch(c[:, 0]), to_torch(c[:, 1])).mode)


def test_boundary_values_match_torch():
    """log_prob at the edges of the support: 0/1 Bernoulli probabilities, x = 0 for Gamma and
    Poisson, the Uniform's low end."""
    pb = np.array([0.0, 1.0, 0.3])
    v = np.array([0.0, 1.0, 1.0])
    assert_close(D.Bernoulli(probs=to_ember(pb)).log_prob(to_ember(v)),
                 TD.Bernoulli(probs=to_torch(pb)).log_prob(to_torch(v)), atol=1e-7)
    c = np.array([0.5, 1.0, 3.0])
    zero = np.zeros(3)
    assert_close(D.Gamma(to_ember(c), 1.0).log_prob(to_ember(zero)),
                 TD.Gamma(to_torch(c), 1.0).log_prob(to_torch(zero)))
    assert_close(D.Poisson(to_ember(c)).log_prob(to_ember(zero)),
                 TD.Poisson(to_torch(c)).log_prob(to_torch(zero)))
    assert_close(D.Poisson(to_ember(zero)).log_prob(to_ember(zero)),
                 TD.Poisson(to_torch(zero)).log_prob(to_torch(zero)))
    assert_close(D.Uniform(to_ember(zero), 2.0).log_prob(to_ember(zero)),
                 TD.Uniform(to_torch(zero), 2.0).log_prob(to_torch(zero)))


def test_scalar_parameters_give_float32_and_empty_batch_shape():
    for ours, ref in [(D.Normal(0.0, 1.0), TD.Normal(0.0, 1.0)),
                      (D.Gamma(2.0, 3.0), TD.Gamma(2.0, 3.0)),
                      (D.Beta(2.0, 3.0), TD.Beta(2.0, 3.0)),
                      (D.Bernoulli(0.3), TD.Bernoulli(0.3)),
                      (D.Exponential(2.0), TD.Exponential(2.0))]:
        assert ours.batch_shape == tuple(ref.batch_shape) == ()
        assert ours.mean.dtype.name == "float32"
        assert_close(ours.mean, ref.mean, "float32")
        assert_close(ours.entropy(), ref.entropy(), "float32", rtol=2e-5)
