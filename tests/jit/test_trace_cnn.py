"""A traced CNN training step (conv, batch/group norm, pooling, Adam) equals the eager one."""

import ember
import ember.nn.functional as F
import numpy as np
from ember import jit, nn


def _make():
    ember.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding="same"), nn.GroupNorm(2, 8), nn.ReLU(), nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10),
    )


def _step(m, opt, x, y):
    opt.zero_grad()
    loss = F.cross_entropy(m(x), y)
    loss.backward()
    opt.step()
    return loss


def test_traced_cnn_step_matches_eager_after_five_steps():
    rng = np.random.default_rng(0)
    xs = [ember.from_numpy(rng.standard_normal((8, 1, 12, 12)).astype(np.float32)) for _ in range(5)]
    ys = [ember.from_numpy(rng.integers(0, 10, 8)) for _ in range(5)]
    m1, m2 = _make(), _make()
    o1 = ember.optim.Adam(m1.parameters(), lr=1e-2)
    o2 = ember.optim.Adam(m2.parameters(), lr=1e-2)
    traced = jit.trace(lambda x, y: _step(m2, o2, x, y), (xs[0], ys[0]))  # runs step 0 on m2
    ops = str(traced.graph)
    assert "conv2d" in ops and "batch_norm" in ops and "max_pool2d_with_indices" in ops
    _step(m1, o1, xs[0], ys[0])
    for x, y in zip(xs[1:], ys[1:]):
        eager = float(_step(m1, o1, x, y))
        out = traced(x, y)
        got = float(out[0] if isinstance(out, (list, tuple)) else out)
        assert abs(eager - got) <= 1e-6 * max(1.0, abs(eager))
    for (name, p1), p2 in zip(m1.named_parameters(), m2.parameters()):
        np.testing.assert_allclose(p2.detach().numpy(), p1.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    for b1, b2 in zip(m1.buffers(), m2.buffers()):
        np.testing.assert_allclose(b2.numpy(), b1.numpy(), rtol=1e-5, atol=1e-6)


def test_interpolate_traces_with_size_and_scale_factor_and_survives_save_load(tmp_path):
    def f(x):
        a = F.interpolate(x, size=(6, 10), mode="nearest")
        b = F.interpolate(x, scale_factor=(1.5, 2.5), mode="bilinear", align_corners=False)
        return a.sum() + (b * b).sum(), b

    x = ember.from_numpy(np.random.default_rng(1).standard_normal((2, 3, 4, 4)).astype(np.float32))
    traced = jit.trace(f, x)
    assert "interpolate" in str(traced.graph)
    x2 = ember.from_numpy(np.random.default_rng(2).standard_normal((2, 3, 4, 4)).astype(np.float32))
    want = f(x2)
    got = traced(x2)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-6)
    path = str(tmp_path / "interp.ejit")
    jit.save(traced, path)
    loaded = jit.load(path)
    for w, g in zip(want, loaded(x2)):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-6)


def test_interpolate_gradient_through_a_trace_matches_eager():
    w0 = np.random.default_rng(3).standard_normal((1, 2, 3, 3)).astype(np.float32)

    def make():
        return ember.from_numpy(w0.copy()).requires_grad_()

    def step(w):
        w.grad = None
        loss = (F.interpolate(w, scale_factor=2.0, mode="bilinear") ** 2).sum()
        loss.backward()
        return w.grad.clone()

    w_eager, w_traced = make(), make()
    want = step(w_eager)
    traced = jit.trace(lambda: step(w_traced), ())
    out = traced()
    got = out[0] if isinstance(out, (list, tuple)) else out
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
