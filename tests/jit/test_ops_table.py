"""Every elementwise op of the op table (tests/ops/op_db.py): traced == eager in float64, values
and gradients, the graph run on fresh inputs of hypothesis-drawn shapes."""

import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import jit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ops"))
from op_db import OPS, make_input  # noqa: E402

CASES = [c for c in OPS if "float64" in c.dtypes]
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@settings(max_examples=3, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_traced_op_equals_eager(case, shape, seed):
    rng = np.random.default_rng(seed)
    fn = case.fn()
    differentiable = case.grad and not case.bool_out

    def inputs():
        return [ember.from_numpy(np.asarray(make_input(shape, "float64", case.domain, rng, arg=i)))
                .requires_grad_(differentiable) for i in range(case.nargs)]

    def body(*xs):
        out = fn(*xs)
        if not differentiable:
            return [out]
        grads = ember.autograd.grad((out * out).sum(), list(xs), allow_unused=True)
        return [out] + [g if g is not None else ember.zeros(()) for g in grads]

    traced = jit.trace(body, tuple(inputs()))
    xs = inputs()
    got, want = traced(*xs), body(*xs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, case.id
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=case.id)
