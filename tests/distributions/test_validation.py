"""Argument and value validation: PyTorch's ValueError messages (torch.Size printed as a
tuple), the validate_args switch and the class-wide default."""

from __future__ import annotations

import re

import ember
import ember.distributions as D
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.distributions as TD


def _size_as_tuple(msg: str) -> str:
    """torch's ``torch.Size([2, 3])`` written as ember's ``(2, 3)``."""
    def sub(m):
        dims = [d.strip() for d in m.group(1).split(",") if d.strip()]
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    return re.sub(r"torch\.Size\(\[([^\]]*)\]\)", sub, msg)


def assert_same_error(ours, ref):
    """Both callables raise the same exception type with the same message (after writing
    torch.Size as a tuple)."""
    with pytest.raises(Exception) as expected:
        ref()
    with pytest.raises(type(expected.value)) as actual:
        ours()
    assert str(actual.value) == _size_as_tuple(str(expected.value))


def _both(fn_name, arrays, **kw):
    """Calls ``fn_name`` from both libraries with float32 tensors of ``arrays``."""
    def make(lib, mod):
        args = [lib.tensor(np.asarray(a, dtype=np.float32)) for a in arrays]
        return lambda: getattr(mod, fn_name)(*args, **kw)
    return make(ember, D), make(torch, TD)


BAD_PARAMS = [
    ("Normal", [[0.0, 1.0], [1.0, -1.0]]),
    ("Normal", [[float("nan")], [1.0]]),
    ("Laplace", [[0.0], [0.0]]),
    ("Uniform", [[0.0, 1.0], [0.0, 2.0]]),
    ("Gamma", [[-1.0], [1.0]]),
    ("Gamma", [[1.0], [0.0]]),
    ("Beta", [[-1.0], [1.0]]),
    ("Exponential", [[0.0, 2.0]]),
    ("Poisson", [[-0.5]]),
    ("Dirichlet", [[1.0, -1.0]]),
    ("StudentT", [[-1.0], [0.0], [1.0]]),
    ("LogNormal", [[0.0], [-2.0]]),
    ("Chi2", [[0.0]]),
]


@pytest.mark.parametrize("name,arrays", BAD_PARAMS, ids=[b[0] for b in BAD_PARAMS])
def test_invalid_parameter_message_matches_torch(name, arrays):
    assert_same_error(*_both(name, arrays))


def test_invalid_probability_parameters_match_torch():
    for cls in ("Bernoulli", "Categorical", "OneHotCategorical"):
        bad = [1.5, 0.5] if cls == "Bernoulli" else [-0.5, 1.5]
        assert_same_error(lambda cls=cls, bad=bad: getattr(D, cls)(probs=ember.tensor(bad)),
                          lambda cls=cls, bad=bad: getattr(TD, cls)(probs=torch.tensor(bad)))
    assert_same_error(lambda: D.Binomial(ember.tensor([2.5]), probs=ember.tensor([0.5])),
                      lambda: TD.Binomial(torch.tensor([2.5]), probs=torch.tensor([0.5])))
    assert_same_error(lambda: D.Binomial(ember.tensor([2.0]), probs=ember.tensor([1.5])),
                      lambda: TD.Binomial(torch.tensor([2.0]), probs=torch.tensor([1.5])))


def test_invalid_matrices_match_torch():
    notpd = [[1.0, 2.0], [2.0, 1.0]]
    for kw in ("covariance_matrix", "precision_matrix"):
        assert_same_error(
            lambda kw=kw: D.MultivariateNormal(ember.zeros(2), **{kw: ember.tensor(notpd)}),
            lambda kw=kw: TD.MultivariateNormal(torch.zeros(2), **{kw: torch.tensor(notpd)}))
    upper = [[1.0, 0.5], [0.0, 1.0]]
    assert_same_error(lambda: D.MultivariateNormal(ember.zeros(2), scale_tril=ember.tensor(upper)),
                      lambda: TD.MultivariateNormal(torch.zeros(2), scale_tril=torch.tensor(upper)))


def test_constructor_errors_match_torch():
    p = [0.5, 0.5]
    for cls in ("Bernoulli", "Categorical", "OneHotCategorical"):
        assert_same_error(lambda cls=cls: getattr(D, cls)(), lambda cls=cls: getattr(TD, cls)())
        assert_same_error(
            lambda cls=cls: getattr(D, cls)(probs=ember.tensor(p), logits=ember.tensor(p)),
            lambda cls=cls: getattr(TD, cls)(probs=torch.tensor(p), logits=torch.tensor(p)))
    assert_same_error(lambda: D.Categorical(probs=ember.tensor(0.5)),
                      lambda: TD.Categorical(probs=torch.tensor(0.5)))
    assert_same_error(lambda: D.Dirichlet(ember.tensor(1.0)),
                      lambda: TD.Dirichlet(torch.tensor(1.0)))
    assert_same_error(lambda: D.MultivariateNormal(ember.tensor(0.0), ember.eye(1)),
                      lambda: TD.MultivariateNormal(torch.tensor(0.0), torch.eye(1)))
    assert_same_error(lambda: D.MultivariateNormal(ember.zeros(2)),
                      lambda: TD.MultivariateNormal(torch.zeros(2)))
    assert_same_error(lambda: D.MultivariateNormal(ember.zeros(2), scale_tril=ember.ones(2)),
                      lambda: TD.MultivariateNormal(torch.zeros(2), scale_tril=torch.ones(2)))
    assert_same_error(lambda: D.Independent(D.Normal(ember.zeros(2), 1.0), 2),
                      lambda: TD.Independent(TD.Normal(torch.zeros(2), 1.0), 2))
    assert_same_error(
        lambda: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"),
        lambda: TD.TransformedDistribution(TD.Normal(0.0, 1.0), "exp"))


OUT_OF_SUPPORT = [
    ("Bernoulli", lambda m, t: m.Bernoulli(probs=t([0.3, 0.6])), [0.5, 1.0]),
    ("Beta", lambda m, t: m.Beta(t([2.0]), t([2.0])), [1.5]),
    ("Gamma", lambda m, t: m.Gamma(t([2.0]), t([2.0])), [-0.5]),
    ("Exponential", lambda m, t: m.Exponential(t([2.0])), [-1.0]),
    ("Uniform", lambda m, t: m.Uniform(t([0.0]), t([1.0])), [2.0]),
    ("Poisson", lambda m, t: m.Poisson(t([2.0])), [1.5]),
    ("Binomial", lambda m, t: m.Binomial(t([3.0]), probs=t([0.5])), [4.0]),
    ("Categorical", lambda m, t: m.Categorical(probs=t([0.5, 0.5])), 2),
    ("Dirichlet", lambda m, t: m.Dirichlet(t([1.0, 1.0])), [0.7, 0.7]),
    ("OneHotCategorical", lambda m, t: m.OneHotCategorical(probs=t([0.5, 0.5])), [1.0, 1.0]),
    ("LogNormal", lambda m, t: m.LogNormal(t([0.0]), t([1.0])), [-1.0]),
    ("Normal_nan", lambda m, t: m.Normal(t([0.0]), t([1.0])), [float("nan")]),
    ("Normal_event", lambda m, t: m.Independent(m.Normal(t([0.0, 0.0]), t([1.0, 1.0])), 1),
     [0.0, 0.0, 0.0]),
    ("Normal_batch", lambda m, t: m.Normal(t([0.0, 0.0, 0.0]), t([1.0, 1.0, 1.0])), [0.0, 0.0]),
    ("MVN_event", lambda m, t: m.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.0], [0.0, 1.0]])),
     [0.0, 0.0, 0.0]),
]


@pytest.mark.parametrize("name,build,value", OUT_OF_SUPPORT, ids=[c[0] for c in OUT_OF_SUPPORT])
def test_out_of_support_value_message_matches_torch(name, build, value):
    def make(lib, mod):
        def t(x):
            return lib.tensor(np.asarray(x, dtype=np.float32))
        v = lib.tensor(value) if isinstance(value, int) else t(value)
        return lambda: build(mod, t).log_prob(v)

    assert_same_error(make(ember, D), make(torch, TD))


def test_cdf_validates_values_too():
    with pytest.raises(ValueError, match=r"Expected value argument \(Tensor of shape \(1,\)\)"):
        D.Exponential(ember.tensor([1.0])).cdf(ember.tensor([-1.0]))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)


def test_validate_args_false_skips_checks():
    d = D.Normal(ember.tensor([0.0]), ember.tensor([-1.0]), validate_args=False)
    assert d.batch_shape == (1,)
    lp = D.Exponential(ember.tensor([1.0]), validate_args=False).log_prob(ember.tensor([-1.0]))
    assert np.allclose(lp.numpy(), [1.0])
    # validation stays off after expand
    e = d.expand((3, 1))
    assert e._validate_args is False
    e.log_prob(ember.tensor([float("nan")]))


def test_set_default_validate_args_switches_the_default():
    D.Distribution.set_default_validate_args(False)
    try:
        d = D.Gamma(ember.tensor([-1.0]), ember.tensor([1.0]))
        assert d._validate_args is False
        with pytest.raises(ValueError, match="Expected parameter concentration"):
            D.Gamma(ember.tensor([-1.0]), ember.tensor([1.0]), validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Expected parameter concentration"):
        D.Gamma(ember.tensor([-1.0]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match="set_default_validate_args"):
        D.Distribution.set_default_validate_args("yes")


def test_lazy_parameters_are_not_validated_until_computed():
    d = D.Bernoulli(logits=ember.tensor([100.0, -100.0]))
    assert "probs" not in d.__dict__
    assert np.allclose(d.probs.numpy(), [1.0, 0.0])
    assert "probs" in d.__dict__


def test_repr_matches_torch():
    pairs = [(D.Normal(0.0, 1.0), TD.Normal(0.0, 1.0)),
             (D.Normal(ember.zeros(3), 1.0), TD.Normal(torch.zeros(3), 1.0)),
             (D.Bernoulli(probs=ember.tensor([0.5])), TD.Bernoulli(probs=torch.tensor([0.5]))),
             (D.Independent(D.Normal(ember.zeros(2, 3), 1.0), 1),
              TD.Independent(TD.Normal(torch.zeros(2, 3), 1.0), 1))]
    for ours, ref in pairs:
        assert repr(ours) == _size_as_tuple(repr(ref))
