"""ember.as_strided / Tensor.as_strided: views with explicit strides, their gradients
(overlapping windows add up), writes through them, and errors, against PyTorch."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
A = rng.standard_normal(12)

CASES = [
    (lambda t: t.as_strided((3, 4), (2, 1), 1)),          # overlapping windows
    (lambda t: t.as_strided((4, 3), (3, 1))),             # a plain reshape
    (lambda t: t.reshape(3, 4).t().as_strided((2, 2), (1, 4))),
    (lambda t: t.as_strided((2, 3), (0, 2), 2)),          # a repeated row
    (lambda t: t[2:].as_strided((5,), (2,), 2)),          # every other element of a slice
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_values_and_gradients_match_torch(case):
    f = CASES[case]
    res = []
    for lib in (ember, torch):
        x = lib.tensor(A, requires_grad=True)
        y = f(x * 1)
        w = lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        res.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)
    x = ember.tensor(A, requires_grad=True)
    assert gradcheck(lambda t: f(t * 1), (x,))


def test_writes_through_an_as_strided_view_reach_the_base_as_torch():
    res = []
    for lib in (ember, torch):
        x = lib.tensor(A, requires_grad=True)
        y = x * 2
        y.as_strided((2, 2), (4, 1), 1).mul_(3)
        (y * y).sum().backward()
        res.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_traced_as_strided_matches_eager():
    def f(x):
        return (x.as_strided((3, 4), (2, 1), 1) ** 2).sum(1)

    g = ember.jit.trace(f, (ember.randn(12),))
    for _ in range(3):
        x = ember.randn(12)
        np.testing.assert_array_equal(g(x).numpy(), f(x).numpy())


def test_errors_name_the_geometry():
    with pytest.raises(ValueError, match="needs more memory than the storage holds"):
        ember.arange(6.0).as_strided((4,), (2,))
    with pytest.raises(ValueError, match="must have the same length"):
        ember.arange(6.0).as_strided((2, 2), (1,))
    x = ember.ones(4, requires_grad=True) * 1
    with pytest.raises(ValueError, match="reaches outside it"):
        x[1:3].as_strided((4,), (1,), 0)
    with ember.no_grad():  # without autograd any view inside the storage is allowed, as PyTorch
        assert x[1:3].as_strided((4,), (1,), 0).shape == (4,)
