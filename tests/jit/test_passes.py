"""Graph passes: each rewrites the graph as expected and leaves results unchanged."""

import ember
import ember.nn.functional as F
import numpy as np
from ember import _C, jit, nn


def _run(graph, *xs):
    return _C._JitExecutor(graph).run(list(xs))


def test_cse_merges_repeated_subexpressions():
    def f(x):
        a = ember.exp(x) * 2
        b = ember.exp(x) * 2
        return a + b

    x = ember.randn(3)
    tf = jit.trace(f, x, optimize=False)
    before = str(tf.graph)
    assert tf.graph.ops() == ["exp", "mul", "exp", "mul", "add"]
    want = _run(tf.graph, x)[0].numpy().copy()
    merged = tf.graph.eliminate_common_subexpressions()
    assert merged == 2
    assert tf.graph.ops() == ["exp", "mul", "add"]
    assert str(tf.graph) != before
    np.testing.assert_array_equal(_run(tf.graph, x)[0].numpy(), want)


def test_cse_keeps_reads_across_in_place_writes():
    def f(x):
        y = x.clone()
        a = y * 2
        y.add_(1.0)
        b = y * 2
        return a, b

    x = ember.randn(3)
    tf = jit.trace(f, x, optimize=False)
    tf.graph.eliminate_common_subexpressions()
    a, b = _run(tf.graph, x)
    np.testing.assert_allclose(a.numpy(), x.numpy() * 2)
    np.testing.assert_allclose(b.numpy(), (x.numpy() + 1) * 2)


def test_cse_does_not_merge_random_ops():
    tf = jit.trace(lambda x: ember.rand(3) + ember.rand(3) + x, ember.zeros(3), optimize=False)
    assert tf.graph.eliminate_common_subexpressions() == 0
    (out,) = _run(tf.graph, ember.zeros(3))
    assert out.shape == (3,)


def test_dce_removes_unused_nodes_and_params():
    w = ember.randn(3)

    def f(x):
        unused = ember.exp(x) * w  # noqa: F841 - dead on purpose
        return x + 1

    x = ember.randn(3)
    tf = jit.trace(f, x, optimize=False)
    assert tf.graph.ops() == ["exp", "mul", "add"]
    assert len(tf.graph.params()) == 1
    removed = tf.graph.eliminate_dead_code()
    assert removed == 2
    assert tf.graph.ops() == ["add"]
    assert tf.graph.params() == []
    np.testing.assert_allclose(_run(tf.graph, x)[0].numpy(), x.numpy() + 1)


def test_dce_keeps_side_effects():
    m = nn.Linear(4, 2)
    opt = ember.optim.SGD(m.parameters(), lr=0.1)

    def step(x):
        opt.zero_grad()
        m(x).sum().backward()
        opt.step()
        return x * 1.0

    tf = jit.trace(step, ember.randn(3, 4), optimize=False)
    n = tf.graph.num_nodes
    tf.graph.eliminate_dead_code()
    ops = tf.graph.ops()
    assert "sgd_step" in ops and ops.count("accumulate_grad") == 2
    assert tf.graph.num_nodes <= n


def test_peephole_makes_weight_gradient_contiguous():
    # A linear layer written as separate ops (nn.Linear's own op has no transposed gradient).
    w = ember.randn(4, 6, requires_grad=True)
    b = ember.randn(4, requires_grad=True)

    def f(x):
        w.grad = None
        F.relu(ember.matmul(x, w.transpose(0, 1)) + b).sum().backward()
        return w.grad * 1.0

    x = ember.randn(5, 6)
    tf = jit.trace(f, x, optimize=False)
    want = _run(tf.graph, x)[0].numpy().copy()
    ops_before = tf.graph.ops()
    stats = tf.run_passes()
    assert stats["peephole_rewrites"] >= 1
    assert "transpose" in ops_before and "sum_to" in ops_before
    ops = tf.graph.ops()
    assert ops.count("sum_to") < ops_before.count("sum_to")
    assert ops.count("transpose") < ops_before.count("transpose")
    np.testing.assert_allclose(tf(x).numpy(), want, rtol=1e-6)


def test_optimize_false_runs_no_pass():
    tf = jit.trace(lambda x: ember.exp(x) + ember.exp(x), ember.ones(2), optimize=False)
    assert tf.pass_stats is None and tf.graph.ops() == ["exp", "exp", "add"]
    tf2 = jit.trace(lambda x: ember.exp(x) + ember.exp(x), ember.ones(2))
    assert tf2.graph.ops() == ["exp", "add"] and tf2.pass_stats["merged_common"] == 1
