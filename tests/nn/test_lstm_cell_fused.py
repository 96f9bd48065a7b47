"""The fused LSTM step (``_C._lstm_cell``) that nn.LSTM runs: values and gradients equal to the
unfused formulas (and PyTorch), double backward through the composite form, shape errors, and
ember.jit recording one node for the step and one for its backward."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember import _C, jit

torch = pytest.importorskip("torch")


def _reference(gates, c):
    i, f, g, o = gates.chunk(4, 1)
    c2 = ember.sigmoid(f) * c + ember.sigmoid(i) * ember.tanh(g)
    return ember.sigmoid(o) * ember.tanh(c2), c2


@pytest.mark.parametrize("dtype,tol", [(ember.float32, 1e-6), (ember.float64, 1e-15)])
@pytest.mark.parametrize("n,h", [(1, 1), (5, 3), (32, 128), (3, 300)])
def test_forward_and_backward_match_the_unfused_formulas(dtype, tol, n, h):
    rng = np.random.default_rng(n * h)
    ga = rng.normal(size=(n, 4 * h)) * 3
    ca = rng.normal(size=(n, h))
    gates = ember.tensor(ga, dtype=dtype, requires_grad=True)
    c = ember.tensor(ca, dtype=dtype, requires_grad=True)
    h1, c1 = _C._lstm_cell(gates, c)
    h2, c2 = _reference(gates, c)
    np.testing.assert_allclose(h1.detach().numpy(), h2.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(c1.detach().numpy(), c2.detach().numpy(), rtol=tol, atol=tol)
    wh, wc = rng.normal(size=(n, h)), rng.normal(size=(n, h))
    loss1 = (h1 * ember.tensor(wh, dtype=dtype)).sum() + (c1 * ember.tensor(wc, dtype=dtype)).sum()
    loss2 = (h2 * ember.tensor(wh, dtype=dtype)).sum() + (c2 * ember.tensor(wc, dtype=dtype)).sum()
    g1 = ember.autograd.grad(loss1, [gates, c], retain_graph=True)
    g2 = ember.autograd.grad(loss2, [gates, c], retain_graph=True)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=10 * tol, atol=10 * tol)
    # Only h used: c's gradient comes in as zeros.
    (gh,) = ember.autograd.grad(h1.sum(), [gates])
    (gh2,) = ember.autograd.grad(h2.sum(), [gates])
    np.testing.assert_allclose(gh.numpy(), gh2.numpy(), rtol=10 * tol, atol=10 * tol)


def test_double_backward_matches_torch():
    rng = np.random.default_rng(3)
    ga, ca = rng.normal(size=(4, 8)), rng.normal(size=(4, 2))
    gates = ember.tensor(ga, requires_grad=True)
    c = ember.tensor(ca, requires_grad=True)
    tg = torch.tensor(ga, requires_grad=True)
    tc = torch.tensor(ca, requires_grad=True)
    h1, c1 = _C._lstm_cell(gates, c)
    ti, tf, tgg, to = tg.chunk(4, 1)
    tc1 = torch.sigmoid(tf) * tc + torch.sigmoid(ti) * torch.tanh(tgg)
    th1 = torch.sigmoid(to) * torch.tanh(tc1)
    ge = ember.autograd.grad((h1 * h1).sum() + c1.sum(), [gates, c], create_graph=True)
    gt = torch.autograd.grad((th1 * th1).sum() + tc1.sum(), [tg, tc], create_graph=True)
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    he = ember.autograd.grad(sum(g.sum() for g in ge), [gates, c])
    ht = torch.autograd.grad(sum(g.sum() for g in gt), [tg, tc])
    for a, b in zip(he, ht):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_shape_and_dtype_errors():
    with pytest.raises(ValueError, match=r"lstm_cell: gates of shape \(2, 7\) do not match a "
                                         r"cell state of shape \(2, 2\)"):
        _C._lstm_cell(ember.ones(2, 7), ember.ones(2, 2))
    with pytest.raises(ValueError, match="lstm_cell: expected 2-D gates"):
        _C._lstm_cell(ember.ones(8), ember.ones(2))
    with pytest.raises(TypeError, match="lstm_cell: expected gates and cell state of one "
                                        "floating dtype"):
        _C._lstm_cell(ember.ones(2, 8), ember.ones(2, 2, dtype=ember.float64))


def test_a_traced_lstm_training_step_uses_the_fused_layer_nodes_and_matches_eager():
    def make():
        ember.manual_seed(0)
        m = ember.nn.LSTM(4, 6)
        return m, ember.optim.SGD(m.parameters(), lr=0.1)

    x = [ember.randn(5, 3, 4) for _ in range(3)]
    m1, o1 = make()
    m2, o2 = make()

    def step(m, o, xb):
        o.zero_grad()
        loss = m(xb)[0].pow(2).mean()
        loss.backward()
        o.step()
        return loss

    traced = jit.trace(lambda xb: step(m1, o1, xb), (x[0],))
    ops = traced.graph.ops()
    # nn.LSTM runs each layer as one lstm_layer node; its backward is one node too.
    assert ops.count("lstm_layer") == 1 and ops.count("lstm_layer_backward") == 1
    assert "lstm_cell" not in ops
    step(m2, o2, x[0])
    for xb in x[1:]:
        traced(xb)
        step(m2, o2, xb)
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_the_new_cell_state_may_be_changed_in_place_before_backward():
    # The backward recomputes c instead of saving it, as PyTorch's LSTMCell allows this.
    ember.manual_seed(1)
    cell = ember.nn.LSTMCell(4, 5)
    x = ember.randn(3, 4)
    h, c = cell(x)
    c.add_(1.0)
    h.sum().backward()
    ember.manual_seed(1)
    ref = ember.nn.LSTMCell(4, 5)
    h2, _ = ref(x)
    h2.sum().backward()
    np.testing.assert_allclose(cell.weight_ih.grad.numpy(), ref.weight_ih.grad.numpy(), rtol=1e-6)


def test_double_backward_through_the_layer_op_with_tied_weights_matches_torch():
    torch = pytest.importorskip("torch")
    tm = torch.nn.LSTM(4, 4, 2).double()
    em = ember.nn.LSTM(4, 4, 2, dtype=ember.float64)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tm.weight_hh_l1 = tm.weight_hh_l0  # one weight shared by both layers
    em.weight_hh_l1 = em.weight_hh_l0
    xa = np.random.default_rng(0).normal(size=(5, 3, 4))
    to, _ = tm(torch.tensor(xa))
    eo, _ = em(ember.tensor(xa))
    (tg,) = torch.autograd.grad((to**2).sum(), [tm.weight_hh_l0], create_graph=True)
    (eg,) = ember.autograd.grad((eo**2).sum(), [em.weight_hh_l0], create_graph=True)
    np.testing.assert_allclose(eg.detach().numpy(), tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    (tg**2).sum().backward()
    (eg**2).sum().backward()
    np.testing.assert_allclose(em.weight_hh_l0.grad.numpy(), tm.weight_hh_l0.grad.numpy(),
                               rtol=1e-9, atol=1e-11)


def test_traced_step_with_a_double_backward_through_lstm_matches_eager():
    ember.manual_seed(3)
    m = ember.nn.LSTM(2, 3)

    def f(x):
        out, _ = m(x)
        (g,) = ember.autograd.grad(out.sum(), [x], create_graph=True)
        return g.pow(2).sum()

    x = ember.randn(4, 1, 2, requires_grad=True)
    traced = jit.trace(f, (x,))
    np.testing.assert_allclose(traced(x).item(), f(x).item(), rtol=1e-6)
