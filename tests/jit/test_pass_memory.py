"""Memory planning: elementwise results written into the buffers of inputs that die there
(fused nodes reusing a buffer, add_/mul_ forms); lower peak memory and fewer allocations with the
same results."""

import ember
import ember.nn.functional as F
import numpy as np
from ember import jit, nn


def _np(t):
    return t.detach().numpy().copy()


def _traced(fn, example, memory):
    tf = jit.trace(fn, example, optimize=False)
    tf.run_passes(memory=memory)
    return tf


def _measure(tf, *args):
    """(peak bytes above what was allocated before the call, allocations) of one call."""
    tf(*args)  # warm up
    ember.reset_peak_memory_stats()
    before = ember.memory_stats()
    out = tf(*args)
    after = ember.memory_stats()
    return (
        out,
        after["peak_allocated_bytes"] - before["allocated_bytes"],
        after["num_allocs"] - before["num_allocs"],
    )


def test_chain_peak_memory_is_lower_with_the_pass():
    w = ember.randn(256, 256)

    def f(x):
        h = x @ w
        return ember.sigmoid(ember.relu(h) * 2.0).sum(1)

    x = ember.randn(512, 256)
    plain = _traced(f, x, memory=False)
    planned = _traced(f, x, memory=True)
    assert "out=r3>i0" in str(planned.graph)  # the fused node writes into the matmul output
    assert planned.pass_stats["inplace_rewrites"] == 1
    assert planned.pass_stats["bytes_reused"] == 512 * 256 * 4
    out_a, peak_a, allocs_a = _measure(plain, x)
    out_b, peak_b, allocs_b = _measure(planned, x)
    np.testing.assert_array_equal(_np(out_a), _np(out_b))
    np.testing.assert_array_equal(_np(out_b), _np(f(x)))
    assert allocs_b == allocs_a - 1
    # Without the pass the matmul output and the fused output are live together.
    assert peak_a >= 2 * 512 * 256 * 4
    assert peak_b <= peak_a - 512 * 256 * 4 + 512 * 4  # + the small sum(1) output


def test_broadcast_add_becomes_in_place():
    b = ember.randn(32)

    def f(x):
        return ((x * 3.0).exp() + b).sum(0)

    x = ember.randn(64, 32)
    tf = _traced(f, x, memory=True)
    assert tf.graph.ops() == ["fused_elementwise", "add_", "sum"]
    assert "in-place on input 0" in str(tf.graph)
    np.testing.assert_array_equal(_np(tf(x)), _np(f(x)))
    # a + b with the dead full-size operand second: the operands are swapped.
    tf2 = _traced(lambda x: (b + x.exp()).sum(0), x, memory=True)
    assert "add_" in tf2.graph.ops()
    np.testing.assert_array_equal(_np(tf2(x)), _np((b + x.exp()).sum(0)))


def test_inputs_params_and_live_values_are_never_overwritten():
    w = ember.randn(64, 32)

    def f(x):
        a = ember.relu(x)  # x is a graph input: never reused
        c = ember.sigmoid(w)  # w is a param: never reused
        e = x.exp()
        v = e.view(-1)  # a view of e is returned: e's buffer stays
        g = ember.tanh(e)
        return a + c + g, v, e.sum()

    x = ember.randn(64, 32)
    keep_x, keep_w = _np(x), _np(w)
    tf = _traced(f, x, memory=True)
    for got, want in zip(tf(x), f(x)):
        np.testing.assert_array_equal(_np(got), _np(want))
    np.testing.assert_array_equal(_np(x), keep_x)
    np.testing.assert_array_equal(_np(w), keep_w)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def test_mlp_training_step_lower_peak_fewer_allocations_same_weights():
    models = [MLP(), MLP(), MLP()]
    with ember.no_grad():
        for ps in zip(*(m.parameters() for m in models)):
            for p in ps[1:]:
                p.copy_(ps[0])
    steps = []
    x, y = ember.randn(64, 784), ember.randint(0, 10, (64,))
    for m, passes in zip(models, (None, {"memory": False}, {})):
        opt = ember.optim.Adam(m.parameters(), lr=1e-3)

        def step(x, y, m=m, opt=opt):
            opt.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            opt.step()
            return loss

        tf = jit.trace(step, (x, y), optimize=False)
        if passes is not None:
            tf.run_passes(**passes)
        steps.append(tf)
    assert steps[2].pass_stats["inplace_rewrites"] >= 1
    assert steps[1].pass_stats["inplace_rewrites"] == 0
    stats = []
    for i in range(4):
        x, y = ember.randn(64, 784), ember.randint(0, 10, (64,))
        stats.append([_measure(s, x, y) for s in steps])  # two steps each (warm-up + measured)
        losses = [_np(r[0]) for r in stats[-1]]
        np.testing.assert_allclose(losses[1], losses[0], rtol=1e-6)
        np.testing.assert_array_equal(losses[2], losses[1])
    for (_, peak_raw, allocs_raw), (_, peak_a, allocs_a), (_, peak_b, allocs_b) in stats[1:]:
        # Memory planning: fewer allocations, never a higher peak.
        assert allocs_b < allocs_a < allocs_raw
        assert peak_b <= peak_a
        # All passes against none: never a higher peak (linear's backward already writes the
        # weight gradient in place of a transposed copy, so the passes have no copy to remove).
        assert peak_b <= peak_raw
    for a, b, c in zip(*(m.parameters() for m in models)):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(_np(c), _np(b))
