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


def test_leaf_hooks_run_for_autograd_grad_too():
    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        x.register_hook(lambda g: g * 2)
        (g,) = m.autograd.grad((x * 3).sum(), [x])
        np.testing.assert_array_equal(g.numpy(), [6.0, 6.0, 6.0])


def test_a_hook_may_not_change_the_dtype():
    x = ember.ones(2, requires_grad=True)
    x.register_hook(lambda g: g.double())
    with pytest.raises(ValueError, match="dtype float64 for a tensor whose gradient has shape "
                                         r"\(2,\) and dtype float32"):
        x.sum().backward()


def test_hooks_removed_while_running_count_from_the_next_pass():
    import gc
    import weakref

    x = ember.ones(1, requires_grad=True)
    handles = []
    handles.append(x.register_hook(lambda g: (handles[1].remove(), g * 2)[1]))
    handles.append(x.register_hook(lambda g: g * 3))
    (x * 1).sum().backward()
    assert x.grad.item() == 6.0  # the removed hook still ran in this pass, as in PyTorch
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.item() == 2.0

    class Big:
        pass

    big = Big()
    ref = weakref.ref(big)
    h = x.register_hook(lambda g, big=big: g)
    del big
    h.remove()
    gc.collect()
    assert ref() is None  # remove() releases the function and what it holds


def test_a_hook_in_a_traced_step_is_noted():
    import warnings

    w = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([w], lr=0.1)
    w.register_hook(lambda g: g * 2)

    def step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.jit.function(step)(ember.ones(2))
    assert any("tensor hook (register_hook) ran during the traced backward" in str(c.message)
               for c in caught)
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 0.8])  # the hook's doubling applied
