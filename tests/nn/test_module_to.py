"""Module.to/double/float keep the Parameter objects (an optimizer built earlier keeps
updating them), and ``t.data = x`` shares ``x``'s memory, as in PyTorch."""

from __future__ import annotations

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _train(lib, convert_after_optimizer):
    rng = np.random.default_rng(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2))
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    params = list(model.parameters())
    opt = lib.optim.Adam(model.parameters(), lr=0.05)
    if convert_after_optimizer:
        model.double()
    x = lib.tensor(rng.standard_normal((16, 4)), dtype=lib.float64)
    y = lib.tensor(rng.standard_normal((16, 2)), dtype=lib.float64)
    for _ in range(5):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
    assert all(a is b for a, b in zip(params, model.parameters()))
    return [p.detach().numpy() for p in model.parameters()]


def test_an_optimizer_built_before_double_trains_the_converted_parameters_as_torch():
    for e, t in zip(_train(ember, True), _train(torch, True)):
        assert e.dtype == np.float64
        np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-12)


def test_to_converts_gradients_and_keeps_requires_grad_and_ties():
    enc = ember.nn.Linear(3, 3)
    dec = ember.nn.Linear(3, 3)
    dec.weight = enc.weight
    model = ember.nn.Sequential(enc, dec)
    frozen = enc.bias
    frozen.requires_grad_(False)
    model(ember.ones(2, 3)).sum().backward()
    g = enc.weight.grad.numpy().copy()
    w = enc.weight
    model.to(ember.float64)
    assert model[0].weight is w and model[1].weight is w
    assert w.dtype == ember.float64 and w.grad.dtype == ember.float64
    np.testing.assert_array_equal(w.grad.numpy(), g.astype(np.float64))
    assert not frozen.requires_grad and frozen.dtype == ember.float64
    model.float()
    assert model[0].weight is w and w.dtype == ember.float32


def test_data_assignment_shares_memory_and_may_change_shape_and_dtype():
    for lib in (ember, torch):
        p = lib.nn.Parameter(lib.ones(2))
        x = lib.zeros(3, dtype=lib.float64)
        p.data = x
        x.add_(4)
        assert tuple(p.shape) == (3,) and p.requires_grad
        assert p.detach().tolist() == [4.0, 4.0, 4.0]
        assert str(p.dtype).endswith("float64")


def test_data_assignment_errors():
    p = ember.nn.Parameter(ember.ones(2))
    with pytest.raises(TypeError, match="data: a tensor that requires grad must stay floating"):
        p.data = ember.zeros(2, dtype=ember.int64)
    with pytest.raises(TypeError, match="data: expected a Tensor, got list"):
        p.data = [1.0, 2.0]
    assert p.detach().tolist() == [1.0, 1.0]  # unchanged

    def f(a):
        a.data = a * 2
        return a

    with pytest.raises(RuntimeError, match="assigning a tensor's .data inside a traced function"):
        ember.jit.trace(f, (ember.ones(2),))


def test_data_assignment_keeps_the_version_counter_and_a_fresh_accumulator():
    # A graph still alive from before the conversion does not make later gradients float32.
    for lib in (ember, torch):
        w = lib.ones(3, requires_grad=True)
        keep = (w * 2).sum()  # noqa: F841  (keeps the old graph and its accumulator alive)
        w.data = lib.ones(3, dtype=lib.float64)
        (w * 2).sum().backward()
        assert str(w.grad.dtype).endswith("float64")
    # The assigned tensor's in-place history is not this tensor's: no false version error.
    res = []
    for lib in (ember, torch):
        w = lib.ones(3, requires_grad=True)
        x = lib.tensor([1.0, 2.0, 3.0])
        y = (w * x).sum()
        z = lib.zeros(3)
        z.add_(1)
        z.add_(1)
        w.data = z
        y.backward()
        res.append(w.grad.numpy().copy())
    np.testing.assert_array_equal(res[0], res[1])


def test_training_continues_after_double_while_the_last_loss_is_referenced():
    lin = ember.nn.Linear(2, 2)
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)
    loss = lin(ember.ones(1, 2)).sum()
    lin.double()
    for _ in range(2):
        opt.zero_grad()
        loss = lin(ember.ones(1, 2, dtype=ember.float64)).sum()
        loss.backward()
        opt.step()
    assert lin.weight.dtype == ember.float64 and lin.weight.grad.dtype == ember.float64


def test_adagrad_built_before_double_steps_as_torch():
    out = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 1)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[0.5, -1.0, 2.0]]))
            m.bias.fill_(0.25)
        opt = lib.optim.Adagrad(m.parameters(), lr=0.1)
        m.double()
        for _ in range(3):
            opt.zero_grad()
            (m(lib.ones(4, 3, dtype=lib.float64)) ** 2).mean().backward()
            opt.step()
        out.append(m.weight.detach().numpy().copy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6)
