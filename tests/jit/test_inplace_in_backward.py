"""In-place ops whose backward the tracer records whole (the forward node keeps autograd at run
time): the graph must run them on every call, not just when traced, and give eager's values."""

import ember
import ember.nn as nn
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit


def _writes():
    """In-place edits of an activation that autograd records, each a function of (h, v)."""
    rows = ember.tensor([0, 2])  # made before tracing, so the graph holds it as a constant
    value = ember.tensor(1.5, dtype=ember.float64)
    return {
        "setitem": lambda h, v: h.__setitem__((slice(None), 0), 0.0),
        "mul_": lambda h, v: h.mul_(v),
        "div_": lambda h, v: h.div_(v),
        "imul": lambda h, v: h.__imul__(2.0),
        "masked_fill_": lambda h, v: h.masked_fill_(h > 0.5, 0.25),
        "clamp_": lambda h, v: h.clamp_(-0.5, 0.5),
        "index_put_": lambda h, v: h.index_put_((rows,), value),
    }


def _train(write, traced, steps=10):
    ember.manual_seed(0)
    model = nn.Linear(3, 3).double()
    v = ember.tensor([1.5, -2.0, 0.75], dtype=ember.float64, requires_grad=True)
    opt = ember.optim.SGD(list(model.parameters()) + [v], lr=0.05, momentum=0.9)
    xs = [ember.randn(4, 3, dtype=ember.float64) for _ in range(steps)]
    ys = [ember.randn(4, 3, dtype=ember.float64) for _ in range(steps)]

    def step(x, y):
        opt.zero_grad()
        h = model(x)
        write(h, v)
        loss = F.mse_loss(h, y)
        loss.backward()
        opt.step()
        return loss

    fn = jit.function(step) if traced else step
    losses = [float(fn(x, y)) for x, y in zip(xs, ys)]
    return losses, [p.detach().numpy().copy() for p in list(model.parameters()) + [v]]


@pytest.mark.parametrize("name", sorted(_writes()))
def test_training_step_with_in_place_edit_matches_eager(name):
    write = _writes()[name]
    eager_losses, eager_params = _train(write, traced=False)
    jit_losses, jit_params = _train(write, traced=True)
    np.testing.assert_allclose(jit_losses, eager_losses, rtol=1e-12, atol=1e-12)
    for a, b in zip(jit_params, eager_params):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_grad_of_in_place_product_with_a_leaf_on_every_call():
    v = ember.full((2,), 3.0, requires_grad=True)

    def g(x):
        y = x * 1
        y.mul_(v)
        return ember.autograd.grad(y.sum(), [v])[0]

    t = jit.trace(g, ember.ones(2))
    for x in ([1.0, 2.0], [-4.0, 0.5]):
        np.testing.assert_array_equal(t(ember.tensor(x)).numpy(), np.array(x, dtype=np.float32))
