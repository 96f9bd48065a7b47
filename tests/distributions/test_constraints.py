"""Constraint checks and reprs against torch.distributions.constraints."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember.distributions import constraints as C

torch = pytest.importorskip("torch")
from torch.distributions import constraints as TC

from ._util import to_np

VALUES = np.array([[-1.5, 0.0, 0.3, 1.0, 2.0, float("nan"), float("inf"), 3.0]])

ELEMENTWISE = [
    ("real", lambda c: c.real), ("positive", lambda c: c.positive),
    ("nonnegative", lambda c: c.nonnegative), ("unit_interval", lambda c: c.unit_interval),
    ("boolean", lambda c: c.boolean), ("nonnegative_integer", lambda c: c.nonnegative_integer),
    ("positive_integer", lambda c: c.positive_integer),
    ("integer_interval", lambda c: c.integer_interval(0, 2)),
    ("interval", lambda c: c.interval(-1.0, 1.0)),
    ("half_open_interval", lambda c: c.half_open_interval(0.0, 1.0)),
    ("greater_than", lambda c: c.greater_than(0.3)),
    ("greater_than_eq", lambda c: c.greater_than_eq(0.3)),
    ("less_than", lambda c: c.less_than(1.0)),
    ("independent", lambda c: c.independent(c.positive, 1)),
    ("real_vector", lambda c: c.real_vector),
]


@pytest.mark.parametrize("name,get", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_constraint_check_and_repr_match_torch(name, get):
    ours, ref = get(C), get(TC)
    got = to_np(ours.check(ember.tensor(VALUES)))
    expected = ref.check(torch.tensor(VALUES)).numpy()
    np.testing.assert_array_equal(got, expected)
    assert repr(ours) == repr(ref)
    assert ours.is_discrete == ref.is_discrete and ours.event_dim == ref.event_dim


def test_tensor_bounds_broadcast():
    lo, hi = np.array([0.0, 1.0]), np.array([1.0, 3.0])
    x = np.array([[0.5, 0.5], [1.0, 2.0]])
    got = C.interval(ember.tensor(lo), ember.tensor(hi)).check(ember.tensor(x))
    exp = TC.interval(torch.tensor(lo), torch.tensor(hi)).check(torch.tensor(x))
    np.testing.assert_array_equal(to_np(got), exp.numpy())


MATRICES = np.array([
    [[2.0, 0.5], [0.5, 1.0]],    # symmetric positive-definite
    [[1.0, 2.0], [2.0, 1.0]],    # symmetric, indefinite
    [[1.0, 0.0], [0.3, 2.0]],    # lower Cholesky
    [[1.0, 0.0], [0.3, -2.0]],   # lower triangular, negative diagonal
    [[1.0, 0.0], [0.0, 0.0]],    # PSD, singular
])


@pytest.mark.parametrize("name", ["lower_triangular", "lower_cholesky", "square", "symmetric",
                                  "positive_semidefinite", "positive_definite", "simplex",
                                  "one_hot"])
def test_matrix_and_vector_constraints_match_torch(name):
    ours, ref = getattr(C, name), getattr(TC, name)
    if name in ("simplex", "one_hot"):
        vals = np.array([[0.25, 0.75], [0.5, 0.6], [1.0, 0.0], [-0.5, 1.5], [0.0, 0.0]])
    elif name in ("symmetric", "positive_semidefinite", "positive_definite"):
        vals = MATRICES[[0, 1, 4]]  # the first failing check short-circuits in torch
    else:
        vals = MATRICES
    np.testing.assert_array_equal(to_np(ours.check(ember.tensor(vals))),
                                  ref.check(torch.tensor(vals)).numpy())
    assert repr(ours) == repr(ref) and ours.event_dim == ref.event_dim


def test_positive_definite_rejects_non_symmetric_batches():
    vals = MATRICES[[0, 2]]
    np.testing.assert_array_equal(to_np(C.positive_definite.check(ember.tensor(vals))),
                                  TC.positive_definite.check(torch.tensor(vals)).numpy())


def test_dependent_constraints_cannot_be_checked():
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        C.dependent.check(ember.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="event_dim"):
        _ = C.dependent.event_dim
    d = C.dependent(is_discrete=True, event_dim=1)
    assert d.is_discrete and d.event_dim == 1
    import ember.distributions as D

    assert C.is_dependent(D.Uniform.support)
    assert repr(D.Uniform(0.0, 1.0).support) == "Interval(lower_bound=0.0, upper_bound=1.0)"


def test_independent_constraint_errors():
    with pytest.raises(ValueError, match=r"Expected value.dim\(\) >= 2 but got 1"):
        C.independent(C.real, 2).check(ember.tensor([1.0]))
    with pytest.raises(TypeError, match="base_constraint must be a Constraint"):
        C.independent("real", 1)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims must be >= 0"):
        C.independent(C.real, -1)
