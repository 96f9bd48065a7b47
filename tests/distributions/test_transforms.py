"""Transforms (forward, inverse, log-det-Jacobian, shapes, caching) and transformed
distributions against torch."""

from __future__ import annotations

import ember
import ember.distributions as D
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.distributions as TD

from ._util import DTYPES, assert_close, to_ember, to_torch

TRANSFORMS = [
    ("Exp", lambda m, t: m.transforms.ExpTransform(), (-2.0, 2.0)),
    ("Affine", lambda m, t: m.transforms.AffineTransform(t([0.5, -1.0, 2.0]), t([2.0, -0.5, 3.0])),
     (-2.0, 2.0)),
    ("AffineScalar", lambda m, t: m.transforms.AffineTransform(1.0, -2.0), (-2.0, 2.0)),
    ("AffineEvent", lambda m, t: m.transforms.AffineTransform(0.0, t([2.0, 0.5, 3.0]),
                                                              event_dim=1), (-2.0, 2.0)),
    ("Sigmoid", lambda m, t: m.transforms.SigmoidTransform(), (-5.0, 5.0)),
    ("Tanh", lambda m, t: m.transforms.TanhTransform(), (-2.0, 2.0)),
    ("Softplus", lambda m, t: m.transforms.SoftplusTransform(), (-3.0, 3.0)),
    ("Power", lambda m, t: m.transforms.PowerTransform(t([0.5, 2.0, -1.0])), (0.2, 3.0)),
    ("Compose", lambda m, t: m.transforms.ComposeTransform(
        [m.transforms.AffineTransform(0.5, 2.0), m.transforms.TanhTransform()]), (-1.0, 1.0)),
    ("Independent", lambda m, t: m.transforms.IndependentTransform(
        m.transforms.ExpTransform(), 1), (-2.0, 2.0)),
    ("Inverse", lambda m, t: m.transforms.ExpTransform().inv, (0.2, 3.0)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,build,rng_range", TRANSFORMS, ids=[c[0] for c in TRANSFORMS])
def test_transform_matches_torch(name, build, rng_range, dtype):
    x = np.random.default_rng(0).uniform(*rng_range, (4, 3))
    ours = build(D, lambda v: to_ember(np.asarray(v), dtype))
    ref = build(TD, lambda v: to_torch(np.asarray(v), dtype))
    xe, xt = to_ember(x, dtype), to_torch(x, dtype)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-7, "atol": 1e-9}
    ye, yt = ours(xe), ref(xt)
    assert_close(ye, yt, dtype, **tol)
    assert_close(ours.inv(ye), ref.inv(yt), dtype, **tol)
    assert_close(ours.log_abs_det_jacobian(xe, ye), ref.log_abs_det_jacobian(xt, yt), dtype,
                 **tol)
    assert ours.forward_shape((4, 3)) == tuple(ref.forward_shape(torch.Size((4, 3))))
    assert repr(ours.domain) == repr(ref.domain) and repr(ours.codomain) == repr(ref.codomain)
    assert ours.bijective == ref.bijective


def test_transform_cache_returns_the_same_input():
    t = D.transforms.ExpTransform().with_cache(1)
    x = ember.tensor([0.1, 0.2])
    y = t(x)
    assert t.inv(y) is x
    assert t(x) is y
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        D.transforms.ExpTransform(cache_size=2)


def test_inverse_of_inverse_and_equality():
    t = D.transforms.TanhTransform()
    assert t.inv.inv is t
    assert D.transforms.ExpTransform() == D.transforms.ExpTransform()
    assert D.transforms.AffineTransform(1.0, 2.0) == D.transforms.AffineTransform(1.0, 2.0)
    assert D.transforms.AffineTransform(1.0, 2.0) != D.transforms.AffineTransform(1.0, 3.0)
    c = D.transforms.ComposeTransform([D.transforms.ExpTransform(), D.transforms.TanhTransform()])
    assert c.inv.inv is c
    assert D.transforms.identity_transform(ember.tensor([1.0])).item() == 1.0


def test_transformed_distribution_shapes_and_sampling_match_torch():
    loc = np.zeros((2, 3))
    ours = D.TransformedDistribution(D.Normal(to_ember(loc), 1.0),
                                     [D.transforms.AffineTransform(0.0, to_ember(np.ones(3)),
                                                                   event_dim=1)])
    ref = TD.TransformedDistribution(TD.Normal(to_torch(loc), 1.0),
                                     [TD.transforms.AffineTransform(0.0, to_torch(np.ones(3)),
                                                                    event_dim=1)])
    assert ours.batch_shape == tuple(ref.batch_shape) == (2,)
    assert ours.event_shape == tuple(ref.event_shape) == (3,)
    assert tuple(ours.sample((5,)).shape) == (5, 2, 3)
    v = np.random.default_rng(0).standard_normal((5, 2, 3))
    assert_close(ours.log_prob(to_ember(v)), ref.log_prob(to_torch(v)))
    assert repr(ours.support) == repr(ref.support)


def test_tanh_normal_rsample_is_differentiable_and_in_support():
    loc = ember.tensor([0.0, 1.0], dtype=ember.float64).requires_grad_()
    d = D.TransformedDistribution(D.Normal(loc, 0.5), [D.transforms.TanhTransform()])
    x = d.rsample((100,))
    assert bool(d.support.check(x).all())
    x.sum().backward()
    assert loc.grad is not None and bool((loc.grad > 0).all())
    assert not D.TransformedDistribution(D.Poisson(2.0), [D.transforms.AffineTransform(
        0.0, 2.0)]).has_rsample
