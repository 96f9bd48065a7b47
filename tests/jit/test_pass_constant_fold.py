"""Constant folding: pure nodes on constants become constants; params, random draws, values
written in place and large results are left alone; results are unchanged."""

import ember
import numpy as np
import pytest
from ember import jit


def _np(t):
    return t.detach().numpy().copy()


def _pair(fn, example):
    """The function traced without passes, and with the passes that run before fusion (so the
    graph shows folding alone)."""
    opt = jit.trace(fn, example, optimize=False)
    opt.run_passes(fusion=False, memory=False)
    return jit.trace(fn, example, optimize=False), opt


def test_creation_and_arithmetic_on_constants_fold():
    def f(x):
        return x * (ember.ones(3) * 2.0 + 1.0)

    x = ember.randn(3)
    raw, opt = _pair(f, x)
    assert raw.graph.ops() == ["ones", "mul", "add", "mul"]
    assert opt.graph.ops() == ["mul"]
    assert opt.pass_stats["folded_constants"] == 3
    assert "const" in str(opt.graph)
    x2 = ember.randn(3)
    np.testing.assert_array_equal(_np(opt(x2)), _np(f(x2)))
    np.testing.assert_array_equal(_np(opt(x2)), _np(raw(x2)))
    np.testing.assert_array_equal(_np(jit.trace(f, x)(x2)), _np(f(x2)))


def test_graph_folds_only_the_constant_part():
    def f(x):
        c = ember.arange(6, dtype=ember.float64).reshape(2, 3).exp()
        return (x + c).sum(1), c.sum()

    x = ember.randn(2, 3, dtype=ember.float64)
    _, opt = _pair(f, x)
    ops = opt.graph.ops()
    assert "arange" not in ops and "exp" not in ops and "reshape" not in ops
    assert ops.count("sum") == 2  # c.sum() is returned: outputs are never constants
    for a, b in zip(opt(x), f(x)):
        np.testing.assert_array_equal(_np(a), _np(b))


def test_params_are_never_folded():
    w = ember.tensor([1.0, 2.0, 3.0])

    def f(x):
        return x * (w * 2.0)

    _, tf = _pair(f, ember.ones(3))
    assert tf.graph.ops() == ["mul", "mul"]
    full = jit.trace(f, ember.ones(3))
    w.mul_(10.0)
    np.testing.assert_allclose(_np(full(ember.ones(3))), [20.0, 40.0, 60.0])
    np.testing.assert_allclose(_np(tf(ember.ones(3))), [20.0, 40.0, 60.0])


def test_random_nodes_are_never_folded():
    def f(x):
        return x + ember.rand(4) * 0.0 + ember.rand(4)

    tf = jit.trace(f, ember.zeros(4))
    assert tf.graph.ops().count("rand") == 2
    a, b = _np(tf(ember.zeros(4))), _np(tf(ember.zeros(4)))
    assert not np.array_equal(a, b)


def test_constant_written_in_place_is_not_folded():
    def f(x):
        z = ember.zeros(3)
        z.add_(x)
        return z * 2.0

    tf = jit.trace(f, ember.ones(3))
    assert "zeros" in tf.graph.ops()
    np.testing.assert_allclose(_np(tf(ember.ones(3))), [2.0, 2.0, 2.0])
    # A folded (shared) zeros tensor would accumulate across runs.
    np.testing.assert_allclose(_np(tf(ember.ones(3))), [2.0, 2.0, 2.0])


def test_size_cap_leaves_large_results_computed():
    def f(x):
        return x + ember.ones(1200, 1000) * 3.0

    x = ember.zeros(1200, 1000)
    tf = jit.trace(f, x)
    assert tf.graph.ops()[0] == "ones"  # 1.2M elements > the 1M-element cap
    np.testing.assert_array_equal(_np(tf(x))[:2, :2], np.full((2, 2), 3.0, np.float32))


def test_fold_pass_alone_reports_count():
    tf = jit.trace(lambda x: x + ember.full((2,), 4.0).sqrt(), ember.zeros(2), optimize=False)
    assert tf.graph.fold_constants() == 2
    assert tf.graph.ops() == ["add"]
    tf.graph.lint()


def test_values_and_gradients_unchanged_in_traced_grad():
    torch = pytest.importorskip("torch")

    def f(x, w):
        scale = ember.linspace(0.5, 2.0, 4, dtype=ember.float64) ** 2
        y = (ember.tanh(x @ w) * scale).sum()
        (g,) = ember.autograd.grad(y, [w])
        return y, g

    x = ember.randn(3, 5, dtype=ember.float64)
    w = ember.randn(5, 4, dtype=ember.float64, requires_grad=True)
    raw, opt = _pair(f, (x, w))
    assert len(opt.graph.ops()) < len(raw.graph.ops())
    y, g = opt(x, w)
    tx = torch.tensor(_np(x))
    tw = torch.tensor(_np(w), requires_grad=True)
    ty = (torch.tanh(tx @ tw) * torch.linspace(0.5, 2.0, 4, dtype=torch.float64) ** 2).sum()
    ty.backward()
    np.testing.assert_allclose(_np(y), ty.item(), rtol=1e-12)
    np.testing.assert_allclose(_np(g), tw.grad.numpy(), rtol=1e-12)
    yr, gr = raw(x, w)
    np.testing.assert_array_equal(_np(y), _np(yr))
    np.testing.assert_array_equal(_np(g), _np(gr))
