"""In-place ops on views under autograd: the base's history is rewritten (CopySlices) and views
follow their base, as in PyTorch. Values and gradients against PyTorch (float64), finite
differences, double backward, ember.jit, and no reference cycles."""

from __future__ import annotations

import gc

import ember
import numpy as np
import pytest
from ember import autograd

torch = pytest.importorskip("torch")

rng = np.random.default_rng(7)
X = rng.standard_normal((4, 5))
W = rng.standard_normal(5)
C = rng.standard_normal((4, 5))  # weights of the loss, so every element's gradient differs


def _scenario_iadd_row(lib, x, w):
    y = x * 2
    y[0] += 1
    y[1] += w
    return y


def _scenario_column_mul(lib, x, w):
    y = x * 1
    y[:, 1].mul_(w[:4])
    return y


def _scenario_diagonal(lib, x, w):
    y = x * 1
    y.diagonal().add_(w[:4])
    return y


def _scenario_transposed_view(lib, x, w):
    y = x.sin()
    y.t().mul_(w[:4])  # a non-contiguous view: each column scaled by w[i] across rows
    return y


def _scenario_view_of_view(lib, x, w):
    y = x * 3
    y[1:][:, ::2].sub_(w[:3] * w[:3])
    return y


def _scenario_base_without_grad(lib, x, w):
    buf = lib.zeros(4, 5, dtype=lib.float64)
    buf[0].add_(w)
    buf[1].copy_(w * 2)
    buf[2:, 1:3] = x[:2, :2]
    return buf + x


def _scenario_sibling_views(lib, x, w):
    y = x * 1
    a, b = y[0:2], y[1:3]
    a.mul_(3)  # rows 0-1; b (taken before) sees row 1 changed
    return b * b + y[2:4].sum()


def _scenario_view_taken_before_base_changed(lib, x, w):
    y = x * 1
    v = y[1]
    y.exp_()
    return v * w


def _scenario_unbind_pieces(lib, x, w):
    # PyTorch refuses in-place writes into unbind's views (one node for several views); ember
    # allows them. The oracle takes the same row with select.
    y = x * 1
    r2 = y.unbind(0)[2] if lib is ember else y[2]
    r2.mul_(w)
    return r2 + y.sum(0)


def _scenario_chained_writes(lib, x, w):
    y = x.tanh() * 1  # (tanh saves its output, which must not be written)
    y[:, 0].mul_(2)
    y[0].add_(w)
    y[:, 0].div_(y[:, 1].exp() + 3)
    return y * y


def _scenario_fill_and_zero(lib, x, w):
    y = x * w
    y[1:3, 2:].fill_(7.0)
    y[3].zero_()
    return y


def _scenario_relu_inplace(lib, x, w):
    y = x * w
    F = torch.nn.functional if lib is torch else ember.nn.functional
    F.relu(y[:, 1:4], inplace=True)
    return y


def _scenario_masked_and_clamp(lib, x, w):
    y = x * w
    y[0:2].clamp_(-0.5, 0.5)
    y[2:].masked_fill_(y[2:] > 0.3, 0.0)
    return y


SCENARIOS = [
    _scenario_iadd_row, _scenario_column_mul, _scenario_diagonal, _scenario_transposed_view,
    _scenario_view_of_view, _scenario_base_without_grad, _scenario_sibling_views,
    _scenario_view_taken_before_base_changed, _scenario_unbind_pieces, _scenario_chained_writes,
    _scenario_fill_and_zero, _scenario_relu_inplace, _scenario_masked_and_clamp,
]


def _run(lib, scenario):
    x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
    out = scenario(lib, x, w)
    loss = (out * lib.tensor(C[: out.shape[0], : out.shape[1]] if out.dim() == 2 else
                             C[0, : out.shape[0]], dtype=lib.float64)).sum()
    loss.backward()
    return out.detach().numpy(), x.grad, w.grad


def _np(g):
    return None if g is None else g.numpy()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__[10:])
def test_values_and_gradients_match_torch(scenario):
    oe, gxe, gwe = _run(ember, scenario)
    ot, gxt, gwt = _run(torch, scenario)
    np.testing.assert_allclose(oe, ot, rtol=1e-12, atol=1e-12)
    for ge, gt in ((gxe, gxt), (gwe, gwt)):
        assert (ge is None) == (gt is None)
        if gt is not None:
            np.testing.assert_allclose(_np(ge), _np(gt), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__[10:])
def test_gradients_match_finite_differences(scenario):
    def f(x, w):
        return scenario(ember, x, w)

    x = ember.tensor(X, dtype=ember.float64, requires_grad=True)
    w = ember.tensor(W, dtype=ember.float64, requires_grad=True)
    assert autograd.gradcheck(f, (x, w))


def test_second_derivatives_match_torch():
    def f(lib, x, w):
        y = x * x
        y[:, 1].mul_(w[:4] * w[:4])
        y.diagonal().add_(w[:4].sin())
        return (y * y).sum()

    res = {}
    for lib in (ember, torch):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
        gx, gw = lib.autograd.grad(f(lib, x, w), [x, w], create_graph=True)
        hx, hw = lib.autograd.grad((gx * gx).sum() + gw.sum(), [x, w])
        res[lib.__name__] = [t.detach().numpy() for t in (gx, gw, hx, hw)]
    for a, b in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


def test_a_view_of_a_base_that_gained_history_requires_grad_and_has_it():
    w = ember.ones(4, requires_grad=True)
    buf = ember.zeros(4)
    v = buf[1:3]
    assert not v.requires_grad and v.is_leaf
    buf.add_(w)
    assert v.requires_grad and not v.is_leaf
    assert v.grad_fn.name() == "AsStridedBackward0"
    (v.sum() + buf.sum()).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0, 2.0, 1.0])


def test_a_base_with_other_strides_is_written_through_its_views():
    # A Fortran-ordered base (not a view, not contiguous), written through row and column views.
    for lib, make in ((ember, ember.from_numpy), (torch, torch.from_numpy)):
        buf = make(np.asfortranarray(np.zeros((3, 4))))
        w = lib.tensor(W[:4], dtype=lib.float64, requires_grad=True)
        buf[1].add_(w)
        buf[:, 2].mul_(w[:3])
        (buf * lib.tensor(C[:3, :4], dtype=lib.float64)).sum().backward()
        if lib is ember:
            e_val, e_grad = buf.detach().numpy(), w.grad.numpy()
        else:
            np.testing.assert_allclose(e_val, buf.detach().numpy(), rtol=1e-14)
            np.testing.assert_allclose(e_grad, w.grad.numpy(), rtol=1e-14)


def test_a_view_of_a_leaf_that_requires_grad_is_refused_in_place():
    x = ember.ones(3, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_: a view of a leaf tensor that requires grad "
                                           r"\(shape \(3, 2\)\)"):
        x[0].add_(1)
    with pytest.raises(RuntimeError, match="index_put_: a leaf tensor that requires grad"):
        x[:, 1] = 2.0
    with ember.no_grad():
        x[0].add_(1)  # as optimizers do
    np.testing.assert_array_equal(x.detach().numpy(), [[2, 2], [1, 1], [1, 1]])


def test_a_value_saved_for_backward_and_then_written_through_a_view_is_detected():
    x = ember.tensor(X, dtype=ember.float64, requires_grad=True)
    y = x * 1
    z = y.sin()  # saves y
    y[0].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_traced_function_with_view_writes_matches_eager():
    def step(x, w):
        y = x * 2
        y[:, 1].mul_(w[:4])
        y.diagonal().add_(1.0)
        loss = (y * y).sum()
        gx, gw = autograd.grad(loss, [x, w])
        return loss, gx, gw

    traced = ember.jit.function(step)
    for seed in range(3):
        r = np.random.default_rng(seed)
        xs, ws = r.standard_normal((4, 5)), r.standard_normal(5)
        args = [ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in (xs, ws)]
        eager = step(*args)
        args2 = [ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in (xs, ws)]
        graph = traced(*args2)
        for e, g in zip(eager, graph):
            np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=1e-14)
    # and they are PyTorch's
    xt = torch.tensor(xs, requires_grad=True)
    wt = torch.tensor(ws, requires_grad=True)
    yt = xt * 2
    yt[:, 1].mul_(wt[:4])
    yt.diagonal().add_(1.0)
    gxt, gwt = torch.autograd.grad((yt * yt).sum(), [xt, wt])
    np.testing.assert_allclose(graph[1].numpy(), gxt.numpy(), rtol=1e-13)
    np.testing.assert_allclose(graph[2].numpy(), gwt.numpy(), rtol=1e-13)


def test_no_reference_cycle_through_a_saved_view():
    # x's history reaches a node that saved a view of x: the view must not keep x alive.
    def step():
        x = ember.randn(500, 50, requires_grad=True) * 1
        x.add_(x[:, :1] * 2.0)
        x[:, 1:].atan2_(x[:, :49])
        x[:, :1].mul_(x[:, 1:2])

    step()
    gc.collect()
    before = ember.memory_stats()["allocated_bytes"]
    for _ in range(10):
        step()
    gc.collect()
    assert ember.memory_stats()["allocated_bytes"] == before


def test_a_custom_function_saving_a_view_does_not_leak():
    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2 + a * 0

    def step():
        x = ember.randn(200, 50, requires_grad=True)
        y = x * 1
        y.add_(Double.apply(y[1]))  # y's history reaches the node whose ctx saved a view of y

    step()
    gc.collect()
    before = ember.memory_stats()["allocated_bytes"]
    for _ in range(10):
        step()
    gc.collect()
    assert ember.memory_stats()["allocated_bytes"] == before
    x = ember.randn(4, 3, requires_grad=True)
    y = x * 1
    out = y * 1
    out[0].add_(Double.apply(y[1]))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1, 1], [3, 3, 3], [1, 1, 1], [1, 1, 1]])


def test_retain_grad_and_hooks_on_a_view_whose_base_changed_see_its_gradient():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    u = y[:2]
    y[2:].mul_(3)
    u.retain_grad()
    seen = []
    u.register_hook(lambda g: seen.append(g.numpy().copy()))
    (u * 5).sum().backward()
    np.testing.assert_array_equal(u.grad.numpy(), [5.0, 5.0])
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 10.0, 0.0])


def test_a_refused_write_through_a_view_changes_nothing():
    b = ember.zeros(3, dtype=ember.float64).expand(2, 3).detach()  # rows share memory
    w = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"copy_: in-place write through a view whose "
                                                  r"base, of shape \(2, 3\) and strides \(0, 1\)"):
        b[0].copy_(w)
    assert b.tolist() == [[0.0] * 3] * 2 and b._version == 0 and b.grad_fn is None


def test_threads_reading_views_while_the_base_is_written_do_not_crash():
    import threading

    x = ember.randn(64, 32, requires_grad=True)
    w = ember.randn(32, 32)
    y = x * 1
    views = [y[i:i + 8] for i in range(0, 56, 8)]
    stop = threading.Event()
    errors = []

    def reader(k):
        try:
            while not stop.is_set():
                ember.matmul(views[k % len(views)], w).sum()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for i in range(300):
        y[63].add_(1.0)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    np.testing.assert_allclose(y[63].detach().numpy(), x[63].detach().numpy() + 300, rtol=1e-5)


def test_jit_gradient_through_a_clamped_view_does_not_bake_in_the_first_mask():
    w = ember.randn(3, 4)

    def grad_of(x):
        y = x * 1
        y[0].clamp_(-0.1, 0.1)
        (y * w).sum().backward()
        return x.grad

    traced = ember.jit.function(grad_of)
    first = ember.randn(3, 4) + 5  # every clamped value outside the range: a zero gradient
    for x0 in (first, ember.randn(3, 4) * 0.05, ember.randn(3, 4)):
        xe = x0.clone().requires_grad_()
        xt = x0.clone().requires_grad_()
        np.testing.assert_allclose(traced(xt).numpy(), grad_of(xe).numpy(), rtol=1e-6)


def test_jit_traces_writes_through_views_of_a_buffer_made_inside():
    def build(w):
        buf = ember.zeros(3, 4)
        buf[0].add_(w)
        buf[2, 1:3].mul_(2)
        buf[2, 1:3].add_(w[:2])
        return buf * 2

    traced = ember.jit.trace(build, (ember.randn(4),))
    for _ in range(3):
        w = ember.randn(4)
        np.testing.assert_array_equal(traced(w).numpy(), build(w).numpy())

    def grad_of(w):
        buf = ember.empty(3, 4)
        buf[1:].zero_()
        buf[0].copy_(w * 3)
        (buf * buf).sum().backward()
        return w.grad

    fn = ember.jit.function(grad_of)
    for _ in range(3):
        w0 = ember.randn(4)
        got = fn(w0.clone().requires_grad_())
        np.testing.assert_allclose(got.numpy(), 18 * w0.numpy(), rtol=1e-6)
