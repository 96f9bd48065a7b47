"""expand, Independent and the batch/event/sample shape bookkeeping."""

from __future__ import annotations

import ember
import ember.distributions as D
import numpy as np
import pytest

from ._util import assert_close, to_np


def _t(x):
    return ember.tensor(np.asarray(x, dtype=np.float64))


EXPANDABLE = [
    ("Normal", lambda: D.Normal(_t([0.0, 1.0, 2.0]), _t([1.0, 2.0, 3.0])), (4, 3)),
    ("Bernoulli", lambda: D.Bernoulli(logits=_t([0.5])), (2, 5)),
    ("Categorical", lambda: D.Categorical(probs=_t([[0.2, 0.8]])), (3, 1)),
    ("OneHotCategorical", lambda: D.OneHotCategorical(probs=_t([0.2, 0.8])), (3,)),
    ("Uniform", lambda: D.Uniform(_t([0.0]), _t([1.0])), (2, 4)),
    ("Beta", lambda: D.Beta(_t([2.0]), _t([3.0])), (5,)),
    ("Gamma", lambda: D.Gamma(_t([2.0, 1.0]), _t([3.0, 1.0])), (3, 2)),
    ("Chi2", lambda: D.Chi2(_t([2.0])), (3,)),
    ("Exponential", lambda: D.Exponential(_t([2.0])), (2, 2)),
    ("Laplace", lambda: D.Laplace(_t([0.0]), _t([1.0])), (3,)),
    ("LogNormal", lambda: D.LogNormal(_t([0.0]), _t([1.0])), (3,)),
    ("Poisson", lambda: D.Poisson(_t([2.0])), (3,)),
    ("Binomial", lambda: D.Binomial(_t([5.0]), probs=_t([0.3])), (3,)),
    ("MultivariateNormal", lambda: D.MultivariateNormal(_t([0.0, 0.0]),
                                                        covariance_matrix=_t(np.eye(2))), (3,)),
    ("Dirichlet", lambda: D.Dirichlet(_t([1.0, 2.0])), (2, 3)),
    ("StudentT", lambda: D.StudentT(_t([3.0])), (4,)),
    ("Independent", lambda: D.Independent(D.Normal(_t([[0.0, 1.0]]), _t([[1.0, 1.0]])), 1),
     (3,)),
    ("RelaxedBernoulli", lambda: D.RelaxedBernoulli(_t(0.5), probs=_t([0.3])), (2,)),
    ("RelaxedOneHotCategorical", lambda: D.RelaxedOneHotCategorical(
        _t(0.5), probs=_t([0.3, 0.7])), (2,)),
    ("TransformedDistribution", lambda: D.TransformedDistribution(
        D.Normal(_t([0.0]), _t([1.0])), [D.transforms.ExpTransform()]), (2, 1)),
]


@pytest.mark.parametrize("name,build,new_batch", EXPANDABLE, ids=[c[0] for c in EXPANDABLE])
def test_expand_broadcasts_batch_and_keeps_values(name, build, new_batch):
    d = build()
    e = d.expand(new_batch)
    assert type(e) is type(d)
    assert e.batch_shape == new_batch and e.event_shape == d.event_shape
    x = e.sample((2,))
    assert tuple(x.shape) == (2,) + new_batch + d.event_shape
    lp = e.log_prob(x)
    assert tuple(lp.shape) == (2,) + new_batch
    # the expanded log_prob equals the original's on the same values
    assert_close(lp, d.log_prob(x))
    assert e._validate_args == d._validate_args


def test_expand_shares_memory_and_keeps_gradients():
    loc = _t([0.0, 1.0]).requires_grad_()
    e = D.Normal(loc, 1.0).expand((3, 2))
    e.log_prob(_t(np.zeros((3, 2)))).sum().backward()
    assert_close(loc.grad, np.array([0.0, -3.0]))


def test_independent_shapes_and_log_prob_sum():
    loc = np.random.default_rng(0).standard_normal((4, 2, 3))
    base = D.Normal(_t(loc), _t(np.ones_like(loc)))
    for n, batch, event in [(0, (4, 2, 3), ()), (1, (4, 2), (3,)), (2, (4,), (2, 3)),
                            (3, (), (4, 2, 3))]:
        d = D.Independent(base, n)
        assert d.batch_shape == batch and d.event_shape == event
        x = d.sample((5,))
        assert tuple(x.shape) == (5, 4, 2, 3)
        lp = d.log_prob(x)
        assert tuple(lp.shape) == (5,) + batch
        full = to_np(base.log_prob(x))
        assert_close(lp, full.reshape((5,) + batch + (-1,)).sum(-1))
        assert tuple(d.entropy().shape) == batch
        assert d.has_rsample
    assert D.Independent(D.Bernoulli(probs=_t([[0.5]])), 0).has_enumerate_support
    assert not D.Independent(D.Bernoulli(probs=_t([[0.5]])), 1).has_enumerate_support
    with pytest.raises(NotImplementedError, match="cartesian product"):
        D.Independent(D.Bernoulli(probs=_t([[0.5]])), 1).enumerate_support()


def test_log_prob_broadcasts_value_against_batch():
    d = D.Normal(_t([0.0, 1.0, 2.0]), _t([1.0, 1.0, 1.0]))
    assert tuple(d.log_prob(_t([0.5])).shape) == (3,)
    assert tuple(d.log_prob(_t(np.zeros((4, 1)))).shape) == (4, 3)
    mvn = D.MultivariateNormal(_t(np.zeros((2, 3))), scale_tril=_t(np.eye(3)))
    assert tuple(mvn.log_prob(_t(np.zeros((5, 1, 3)))).shape) == (5, 2)
    with pytest.raises(ValueError, match=r"Value is not broadcastable with "
                                         r"batch_shape\+event_shape: \(4,\) vs \(3,\)"):
        d.log_prob(_t(np.zeros(4)))


def test_perplexity_and_stddev():
    d = D.Normal(_t([0.0]), _t([2.0]))
    assert_close(d.perplexity(), np.exp(to_np(d.entropy())))
    assert_close(D.Gamma(_t([4.0]), _t([2.0])).stddev, np.array([1.0]))


def test_subclass_with_custom_init_must_define_expand():
    class Shifted(D.Normal):
        def __init__(self, loc):
            super().__init__(loc + 1, 1.0)

    with pytest.raises(NotImplementedError, match="must also define a custom .expand"):
        Shifted(_t([0.0])).expand((2,))
