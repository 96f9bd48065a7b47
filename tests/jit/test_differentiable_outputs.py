"""Outputs of a traced forward backpropagate like eager ones: into the inputs that require grad
and into the captured parameters (by running the function again eagerly in backward, or eagerly
outright when the graph writes state such as running statistics)."""

import ember
import ember.nn as nn
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit


def _np(t):
    return t.detach().numpy().copy()


def _grads(model):
    return [_np(p.grad) for p in model.parameters()]


def test_traced_module_output_gradients_reach_the_parameters():
    ember.manual_seed(0)
    lin = nn.Linear(3, 2).double()
    x = ember.randn(4, 3, dtype=ember.float64)
    y = ember.randn(4, 2, dtype=ember.float64)
    traced = jit.trace(lin, x)

    def loss_of(out):
        return F.mse_loss(out, y) + 0.01 * (lin.weight ** 2).sum()

    loss_of(lin(x)).backward()
    eager = _grads(lin)
    lin.zero_grad()
    out = traced(x)
    assert out.requires_grad and "TracedLinearBackward" in repr(out.grad_fn)
    loss_of(out).backward()
    for a, b in zip(_grads(lin), eager):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_gradient_of_a_traced_function_with_respect_to_its_input():
    w = ember.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=ember.float64, requires_grad=True)

    def f(x, scale):
        return (x @ w).tanh() * scale

    x0 = ember.randn(5, 2, dtype=ember.float64, requires_grad=True)
    t = jit.trace(f, (x0, 2.0))
    x = ember.randn(5, 2, dtype=ember.float64, requires_grad=True)
    (t(x, 2.0) ** 2).sum().backward()
    gx, gw = _np(x.grad), _np(w.grad)
    x.grad = None
    w.grad = None
    (f(x, 2.0) ** 2).sum().backward()
    np.testing.assert_allclose(gx, _np(x.grad), rtol=1e-12)
    np.testing.assert_allclose(gw, _np(w.grad), rtol=1e-12)


def test_batchnorm_module_trains_eagerly_when_grad_is_enabled():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU()).double()
    twin = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU()).double()
    twin.load_state_dict(model.state_dict())
    x = ember.randn(6, 3, dtype=ember.float64)
    traced = jit.trace(model, x)
    # The trace itself ran once: bring the twin to the same running statistics.
    twin(x)
    for _ in range(3):
        traced(x).sum().backward()
        twin(x).sum().backward()
    for (k, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, err_msg=k)
    for a, b in zip(_grads(model), _grads(twin)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_no_grad_calls_run_the_graph_and_return_plain_tensors():
    lin = nn.Linear(3, 2)
    x = ember.randn(4, 3)
    traced = jit.trace(lin, x)
    with ember.no_grad():
        out = traced(x)
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), _np(lin(x)))


def test_jit_function_forward_inside_an_eager_training_loop_matches_eager():
    def run(traced):
        ember.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
        opt = ember.optim.Adam(model.parameters(), lr=0.01)
        fwd = jit.function(lambda x: model(x)) if traced else model
        for i in range(5):
            x = ember.full((3, 4), 0.1 * i, dtype=ember.float64) + ember.arange(4, dtype=ember.float64)
            opt.zero_grad()
            (fwd(x) ** 2).mean().backward()
            opt.step()
        return [_np(p) for p in model.parameters()]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_training_step_graph_outputs_stay_plain():
    lin = nn.Linear(3, 1)
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)

    @jit.function
    def step(x):
        opt.zero_grad()
        loss = lin(x).sum()
        loss.backward()
        opt.step()
        return loss

    x = ember.randn(2, 3)
    step(x)
    out = step(x)
    assert out.grad_fn is None  # its backward already ran inside the graph
    assert len(step._table) == 1  # and the call table runs it


def test_returning_a_captured_parameter_or_the_input_keeps_them_leaves():
    w = nn.Parameter(ember.tensor([1.0, 2.0], dtype=ember.float64))
    t = jit.trace(lambda x: (x * w, w, x), ember.ones(2, dtype=ember.float64))
    x = ember.ones(2, dtype=ember.float64, requires_grad=True)
    prod, w_out, x_out = t(x)
    assert w.is_leaf and w.grad_fn is None and x.is_leaf
    (w * w).sum().backward()
    np.testing.assert_array_equal(_np(w.grad), [2.0, 4.0])
    w.grad = None
    (prod.sum() + (w_out * 3).sum() + x_out.sum()).backward()
    np.testing.assert_array_equal(_np(w.grad), [4.0, 4.0])  # x + 3
    np.testing.assert_array_equal(_np(x.grad), [2.0, 3.0])  # w + 1


def test_function_first_called_under_no_grad_still_backpropagates_later():
    lin = nn.Linear(3, 2)
    f = jit.function(lambda x: lin(x))
    x = ember.randn(4, 3)
    with ember.no_grad():
        f(x)
        f(x)
    out = f(x)
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(_np(lin.bias.grad), [4.0, 4.0])


def test_in_place_change_before_backward_raises():
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = jit.trace(lambda x: (x * w).tanh(), ember.ones(3))
    out = t(ember.ones(3))
    with ember.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified in place before backward"):
        out.sum().backward()


def test_double_backward_through_a_traced_function():
    def f(x):
        return (x * x * x).sum()

    t = jit.trace(f, ember.ones(2, dtype=ember.float64))
    x = ember.tensor([0.3, 0.7], dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(t(x), [x], create_graph=True)
    np.testing.assert_allclose(_np(g), 3 * np.array([0.3, 0.7]) ** 2)
    g.sum().backward()
    np.testing.assert_allclose(_np(x.grad), 6 * np.array([0.3, 0.7]))


def test_outputs_eager_leaves_grad_free_stay_grad_free():
    lin = nn.Linear(3, 2)

    def detached(x):
        return lin(x).detach()

    def no_grad_body(x):
        with ember.no_grad():
            return lin(x)

    x = ember.randn(4, 3)
    for body in (detached, no_grad_body):
        f = jit.function(body)
        for _ in range(3):
            out = f(x)
            assert not out.requires_grad
            np.testing.assert_allclose(out.numpy(), _np(lin(x)), rtol=1e-6)


def test_a_call_with_inputs_newly_requiring_grad_runs_eagerly():
    w = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    t = jit.trace(lambda x: (x * w).sum() + x.sum(), ember.ones(2, dtype=ember.float64))
    x = ember.tensor([3.0, 4.0], dtype=ember.float64, requires_grad=True)
    t(x).backward()
    np.testing.assert_array_equal(_np(x.grad), [2.0, 3.0])
    np.testing.assert_array_equal(_np(w.grad), [3.0, 4.0])


def test_unfreezing_parameters_after_tracing_gives_them_gradients():
    ember.manual_seed(0)
    backbone, head = nn.Linear(4, 3), nn.Linear(3, 1)
    for p in backbone.parameters():
        p.requires_grad_(False)
    enc = jit.function(lambda x: backbone(x))
    x = ember.randn(2, 4)
    for _ in range(3):
        head(enc(x)).sum().backward()
    for p in backbone.parameters():
        p.requires_grad_(True)
    head(enc(x)).sum().backward()  # the C++ call table must not serve the frozen-time graph
    jit_grad = _np(backbone.weight.grad)
    backbone.weight.grad = None
    head(backbone(x)).sum().backward()
    np.testing.assert_allclose(jit_grad, _np(backbone.weight.grad), rtol=1e-6)


def test_trace_made_under_no_grad_follows_eager_when_called_with_grad():
    lin = nn.Linear(3, 2)
    x = ember.randn(2, 3)
    with ember.no_grad():
        detached = jit.trace(lambda v: lin(v).detach(), x)
        live = jit.trace(lambda v: lin(v), x)
    assert not detached(x).requires_grad
    out = live(x)
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(_np(lin.bias.grad), [2.0, 2.0])
