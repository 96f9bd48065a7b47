"""One tensor passed as several arguments: each argument is its own graph input, so a graph
traced with aliased arguments serves distinct ones (and the reverse), and gradients count each
tensor once."""

from __future__ import annotations

import ember
import numpy as np
from ember import jit


def test_a_graph_traced_with_one_tensor_twice_serves_two_tensors():
    x, y = ember.ones(3), ember.zeros(3)
    f = jit.function(lambda a, b: a - b * 2)
    np.testing.assert_array_equal(f(x, x).numpy(), [-1, -1, -1])
    np.testing.assert_array_equal(f(x, y).numpy(), [1, 1, 1])
    t = jit.trace(lambda a, b: a - b * 2, (x, x))
    np.testing.assert_array_equal(t(x, y).numpy(), [1, 1, 1])
    np.testing.assert_array_equal(t(y, x).numpy(), [-2, -2, -2])
    nested = jit.trace(lambda d: d["p"] * d["q"], ({"p": x, "q": x},))
    np.testing.assert_array_equal(nested({"p": x, "q": y * 0 + 3}).numpy(), [3, 3, 3])


def test_gradients_count_a_tensor_passed_twice_once_per_use():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    v = ember.tensor([3.0, 4.0], requires_grad=True)
    g = jit.function(lambda a, b: (a * b).sum())
    g(w, w).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    w.grad = None
    g(w, v).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(v.grad.numpy(), [1.0, 2.0])
    w.grad = None
    g(w, w).backward()  # the cached graph (distinct inputs) with the same tensor twice
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_a_training_step_traced_with_an_aliased_input():
    w = ember.tensor([0.5, -1.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)

    def step(a, b):
        opt.zero_grad()
        loss = ((w * a - b) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    traced = jit.function(step)
    x = ember.tensor([1.0, 2.0])
    traced(x, x)
    w_eager = ember.tensor([0.5, -1.0], requires_grad=True)
    opt_e = ember.optim.SGD([w_eager], lr=0.1)
    opt_e.zero_grad()
    ((w_eager * x - x) ** 2).sum().backward()
    opt_e.step()
    np.testing.assert_allclose(w.detach().numpy(), w_eager.detach().numpy(), rtol=1e-7)
    y = ember.tensor([0.0, 1.0])
    traced(x, y)
    opt_e.zero_grad()
    ((w_eager * x - y) ** 2).sum().backward()
    opt_e.step()
    np.testing.assert_allclose(w.detach().numpy(), w_eager.detach().numpy(), rtol=1e-7)

