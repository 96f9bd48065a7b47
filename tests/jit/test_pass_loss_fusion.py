"""Loss fusion: cross_entropy's traced backward chain (grad terms, softmax, mul, add) becomes one
`cross_entropy_backward` node. The graph changes; the gradients stay bit-identical to the
unfused graph and match eager ember and the closed form softmax(x) - onehot."""

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit


def _np(t):
    return t.detach().numpy().copy()


def _grad_fn(kwargs, scale=None):
    def f(x, y):
        x = x.detach().requires_grad_()
        loss = F.cross_entropy(x, y, **kwargs)
        if scale is not None:
            loss = loss * scale
        (g,) = ember.autograd.grad(loss.sum(), [x])
        return loss, g

    return f


CASES = [
    ((4, 5), (4,), {}),
    ((1, 10), (1,), {}),
    ((16, 10), (16,), {"reduction": "sum"}),
    ((6, 3), (6,), {"reduction": "none"}),
    ((5,), (), {}),
    ((3, 4, 7), (3, 7), {"reduction": "mean"}),
    ((8, 6), (8,), {"weight": "w", "ignore_index": 2}),
    ((8, 6), (8,), {"weight": "w", "reduction": "sum"}),
    ((2, 3, 2, 2), (2, 2, 2), {"ignore_index": 1, "reduction": "none"}),
]


def _inputs(xs, ys, seed=0, dtype=ember.float32):
    rng = np.random.default_rng(seed)
    C = xs[0] if len(xs) == 1 else xs[1]
    x = ember.from_numpy((rng.standard_normal(xs) * 3).astype(np.float64)).to(dtype)
    y = ember.from_numpy(rng.integers(0, C, ys).astype(np.int64))
    return x, y, C


def _kwargs(kw, C, dtype):
    kw = dict(kw)
    if kw.get("weight") == "w":
        kw["weight"] = ember.from_numpy(np.linspace(0.5, 2.0, C)).to(dtype)
    return kw


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("xs,ys,kw", CASES)
def test_fused_graph_bit_identical_to_unfused_and_eager(xs, ys, kw, dtype):
    x, y, C = _inputs(xs, ys, dtype=dtype)
    fn = _grad_fn(_kwargs(kw, C, dtype))
    plain = jit.trace(fn, (x, y), optimize=False)
    fused = jit.trace(fn, (x, y), optimize=False)
    assert "softmax" in plain.graph.ops() and "cross_entropy_grad_terms" in plain.graph.ops()
    assert fused.graph.fuse_losses() == 1
    fused._executor = ember._C._JitExecutor(fused.graph)
    ops = fused.graph.ops()
    assert "cross_entropy_backward" in ops
    assert "softmax" not in ops and "cross_entropy_grad_terms" not in ops
    for seed in range(3):
        x, y, _ = _inputs(xs, ys, seed, dtype)
        (lp, gp), (lf, gf), (le, ge) = plain(x, y), fused(x, y), fn(x, y)
        np.testing.assert_array_equal(_np(gf), _np(gp))
        np.testing.assert_array_equal(np.signbit(_np(gf)), np.signbit(_np(gp)))
        np.testing.assert_array_equal(_np(gf), _np(ge))
        np.testing.assert_array_equal(_np(lf), _np(lp))


def test_matches_closed_form():
    x, y, C = _inputs((7, 5), (7,), seed=3, dtype=ember.float64)
    traced = jit.trace(_grad_fn({}), (x, y))
    assert traced.pass_stats["fused_losses"] == 1
    _, g = traced(x, y)
    xn = _np(x)
    p = np.exp(xn - xn.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(7), _np(y)] -= 1.0
    np.testing.assert_allclose(_np(g), p / 7, rtol=1e-12, atol=1e-15)


def test_scaled_loss_keeps_the_outer_multiplication():
    # backward of loss * 3: the chain is fused, the multiplication by the incoming gradient stays.
    x, y, C = _inputs((4, 6), (4,), seed=1)
    fn = _grad_fn({}, scale=3.0)
    traced = jit.trace(fn, (x, y))
    assert traced.pass_stats["fused_losses"] == 1
    np.testing.assert_array_equal(_np(traced(x, y)[1]), _np(fn(x, y)[1]))


def test_not_fused_when_softmax_has_another_reader():
    # The forward's own softmax merges with the backward's (CSE): it has two readers then, and
    # the chain stays as it is.
    def f(x, y):
        x = x.detach().requires_grad_()
        loss = F.cross_entropy(x, y)
        (g,) = ember.autograd.grad(loss, [x])
        return g, ember.softmax(x.detach(), 1)

    x, y, _ = _inputs((4, 5), (4,))
    traced = jit.trace(f, (x, y))
    assert traced.pass_stats["fused_losses"] == 0
    assert "softmax" in traced.graph.ops()
    (g, s), (ge, se) = traced(x, y), f(x, y)
    np.testing.assert_array_equal(_np(g), _np(ge))
    np.testing.assert_array_equal(_np(s), _np(se))


def test_training_step_fuses_and_survives_save_load(tmp_path):
    from ember import nn

    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 5))
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)

    @jit.function
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    x, y = ember.randn(8, 20), ember.randint(0, 5, (8,))
    step(x, y)
    traced = step.traces[0]
    assert traced.pass_stats["fused_losses"] == 1
    assert "cross_entropy_backward" in traced.graph.ops()
    path = tmp_path / "step.ember"
    jit.save(traced, path)
    loaded = jit.load(path)
    assert "cross_entropy_backward" in loaded.graph.ops()



@pytest.mark.parametrize("fusion", [True, False])
def test_out_of_range_target_raises_when_only_the_gradient_is_used(fusion):
    # The forward cross_entropy (which checks targets) is dead and removed; the backward node
    # (fused or the grad terms) must raise the same IndexError instead of a zero gradient.
    def f(x, y):
        x = x.detach().requires_grad_()
        (g,) = ember.autograd.grad(F.cross_entropy(x, y), [x])
        return g

    x, y = ember.randn(4, 5), ember.tensor([0, 1, 2, 3])
    traced = jit.trace(f, (x, y), optimize=False)
    traced.run_passes(fusion=fusion)
    assert "cross_entropy" not in traced.graph.ops()
    np.testing.assert_array_equal(_np(traced(x, y)), _np(f(x, y)))
    with pytest.raises(IndexError, match="target 7 is out of bounds"):
        traced(x, ember.tensor([0, 1, 7, 3]))
    # ignore_index is not out of range
    np.testing.assert_array_equal(_np(traced(x, ember.tensor([0, 1, -100, 3]))),
                                  _np(f(x, ember.tensor([0, 1, -100, 3]))))
