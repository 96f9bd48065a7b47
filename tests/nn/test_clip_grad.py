"""nn.utils.clip_grad_norm_ / clip_grad_value_ vs closed forms and torch."""

from __future__ import annotations

import math

import ember
import numpy as np
import pytest
from ember import nn
from ember.nn.utils import clip_grad_norm_, clip_grad_value_

from ._util import et, to_np

torch = pytest.importorskip("torch")


def make(grads):
    ps, ts = [], []
    for g in grads:
        p = nn.Parameter(ember.zeros(*g.shape))
        p.grad = et(g.astype(np.float32))
        t = torch.zeros(*g.shape, requires_grad=True)
        t.grad = torch.tensor(g.astype(np.float32))
        ps.append(p)
        ts.append(t)
    return ps, ts


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads = [np.random.randn(3, 4), np.random.randn(5)]
    ps, ts = make(grads)
    en = clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    tn = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type=norm_type)
    assert en.dim() == 0
    np.testing.assert_allclose(en.item(), tn.item(), rtol=1e-5)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(to_np(p.grad), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_closed_form():
    ps, _ = make([np.array([3.0, 4.0])])
    total = clip_grad_norm_(ps, 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(to_np(ps[0].grad), [0.6, 0.8], rtol=1e-5)
    assert clip_grad_norm_([nn.Parameter(ember.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite_error():
    ps, _ = make([np.array([np.inf, 1.0])])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    ps, ts = make([np.array([-3.0, 0.5, 2.0])])
    clip_grad_value_(ps, 1.0)
    torch.nn.utils.clip_grad_value_(ts, 1.0)
    np.testing.assert_array_equal(to_np(ps[0].grad), ts[0].grad.numpy())


def test_clip_grad_norm_inside_a_traced_training_step_matches_eager():
    import ember.nn.functional as F
    from ember import jit

    def run(traced):
        ember.manual_seed(0)
        model = nn.Linear(4, 3).double()
        opt = ember.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
            return norm

        fn = jit.function(step) if traced else step
        norms = []
        for i in range(6):
            x = ember.full((5, 4), 0.3 * i, dtype=ember.float64) + ember.eye(5, 4, dtype=ember.float64)
            norms.append(float(fn(x, ember.ones(5, 3, dtype=ember.float64) * i)))
        return norms, [p.detach().numpy() for p in model.parameters()]

    (n1, p1), (n2, p2) = run(True), run(False)
    np.testing.assert_allclose(n1, n2, rtol=1e-12)
    assert max(n2) > 0.5 and min(n2) < 0.5  # both the clipping and the pass-through case
    for a, b in zip(p1, p2):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_item_while_tracing_names_the_calling_line():
    from ember import jit

    bn = nn.BatchNorm1d(3, momentum=None)
    with pytest.raises(RuntimeError, match=r"Tensor\.item\(\) \(in forward at .*batchnorm\.py:\d+\)"):
        jit.trace(bn, ember.randn(4, 3))


@pytest.mark.parametrize("norm_type", [float("-inf"), 0.0, -2.0, 0.5, float("inf")])
def test_unusual_norm_orders_match_torch(norm_type):
    torch = pytest.importorskip("torch")
    grads = [np.array([3.0, -0.5, 2.0], np.float32), np.zeros(2, np.float32),
             np.array([[0.25, -4.0]], np.float32)]
    ps, ts = [], []
    for g in grads:
        p = ember.zeros(*g.shape, requires_grad=True)
        p.grad = ember.from_numpy(g.copy())
        t = torch.zeros(*g.shape, requires_grad=True)
        t.grad = torch.from_numpy(g.copy())
        ps.append(p)
        ts.append(t)
    total = clip_grad_norm_(ps, 1.0, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(ts, 1.0, norm_type)
    np.testing.assert_allclose(total.item(), ref.item(), rtol=1e-6)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_order_minus_inf_and_zero_closed_forms():
    p = ember.zeros(3, requires_grad=True)
    p.grad = ember.tensor([3.0, -0.5, 2.0])
    assert clip_grad_norm_([p], 1.0, float("-inf")).item() == 0.5  # smallest |g|
    np.testing.assert_array_equal(p.grad.numpy(), [3.0, -0.5, 2.0])  # 0.5 < 1: unchanged
    q = ember.zeros(2, requires_grad=True)
    q.grad = ember.zeros(2)
    assert clip_grad_norm_([p, q], 5.0, 0).item() == 1.0  # one gradient holds a nonzero


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=s) for s in ((3, 4), (5,), (2, 2, 2))]
    for norm_type in (1.0, 2.0, 3.5, float("inf")):
        eg = [ember.tensor(a) for a in arrays]
        tg = [torch.tensor(a) for a in arrays]
        et = ember.nn.utils.get_total_norm(eg, norm_type)
        tt = torch.nn.utils.get_total_norm(tg, norm_type)
        np.testing.assert_allclose(et.item(), tt.item(), rtol=1e-14)
        ep = [ember.zeros(a.shape, dtype=ember.float64, requires_grad=True) for a in arrays]
        tp = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
        for p, g in zip(ep, eg):
            p.grad = g
        for p, g in zip(tp, tg):
            p.grad = g
        ember.nn.utils.clip_grads_with_norm_(ep, 1.0, et)
        torch.nn.utils.clip_grads_with_norm_(tp, 1.0, tt)
        for p, q in zip(ep, tp):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-14)


def test_parameters_to_vector_round_trip_matches_torch():
    torch = pytest.importorskip("torch")
    from ember.nn.utils import parameters_to_vector, vector_to_parameters

    m, tm = ember.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    tm.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    v = parameters_to_vector(m.parameters())
    np.testing.assert_array_equal(
        v.detach().numpy(), torch.nn.utils.parameters_to_vector(tm.parameters()).detach().numpy())
    assert v.requires_grad
    vector_to_parameters(ember.arange(8).float(), m.parameters())
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(m.bias.detach().numpy(), [6, 7])
    with pytest.raises(ValueError, match=r"vec has shape \(5,\); expected \(8,\)"):
        vector_to_parameters(ember.zeros(5), m.parameters())
