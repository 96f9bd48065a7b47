"""Tensor.register_hook against PyTorch: leaf and non-leaf hooks, replacement gradients, order,
retain_grad seeing the hooked gradient, removal, and errors."""

from __future__ import annotations

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _run(m):
    x = m.tensor([1.0, -2.0, 3.0], dtype=m.float64, requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.clone()))
    x.register_hook(lambda g: g * 2)  # runs second: replaces what .grad receives
    y = x * x
    y.register_hook(lambda g: g + 1)
    y.retain_grad()
    (y * 3).sum().backward()
    first = (x.grad.clone(), y.grad.clone(), [s.clone() for s in seen])
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    return first, x.grad.clone(), len(seen)


def test_hooks_match_torch():
    (eg, ey, es), e2, en = _run(ember)
    (tg, ty, ts), t2, tn = _run(torch)
    np.testing.assert_array_equal(eg.numpy(), tg.numpy())  # 2 * (3 + 1) * 2x
    np.testing.assert_array_equal(ey.numpy(), ty.numpy())  # retain_grad sees the hooked value
    assert len(es) == len(ts) == 1
    np.testing.assert_array_equal(es[0].numpy(), ts[0].numpy())
    np.testing.assert_array_equal(e2.numpy(), t2.numpy())  # the removed hook did not run...
    assert en == tn == 1  # ...and the other one still doubles


def test_hooks_clip_parameter_gradients_in_a_model():
    ember.manual_seed(0)
    m = ember.nn.Linear(3, 2)
    for p in m.parameters():
        p.register_hook(lambda g: g.clamp(-0.01, 0.01))
    m(ember.randn(5, 3) * 100).sum().backward()
    assert m.weight.grad.abs().max().item() <= 0.01 and m.bias.grad.abs().max().item() <= 0.01


def test_hook_errors():
    x = ember.ones(2, requires_grad=True)
    x.register_hook(lambda g: ember.ones(3))
    with pytest.raises(ValueError, match=r"register_hook: a hook returned a gradient of shape \(3,\)"):
        (x * 2).sum().backward()
    y = ember.ones(2, requires_grad=True)
    y.register_hook(lambda g: 5)
    with pytest.raises(TypeError, match="a hook must return a tensor or None, got int"):
        (y * 2).sum().backward()
    z = ember.ones(2, requires_grad=True)
    z.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        (z * 2).sum().backward()
    with pytest.raises(RuntimeError, match="register_hook: the tensor does not require grad"):
        ember.ones(2).register_hook(lambda g: g)
