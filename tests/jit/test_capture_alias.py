"""A tensor passed as an argument that the traced function also captures (or passed twice) is
told apart from its other uses, so calls with other tensors there give eager results."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember import jit, nn

W = ember.tensor([1.0, 2.0])


def _times_w(x):
    return x * W


def _via_helper(x):
    return _times_w(x) + 1.0


def assert_values(t, expected):
    np.testing.assert_allclose(t.detach().numpy(), np.asarray(expected, dtype=np.float32))


def test_function_traced_with_the_captured_global_then_called_with_another_tensor():
    f = jit.function(_times_w)
    assert_values(f(W), [1.0, 4.0])
    v = ember.tensor([10.0, 20.0])
    assert_values(f(v), [10.0, 40.0])  # was v * v = [100, 400]
    assert_values(f(W), [1.0, 4.0])


def test_capture_reached_through_a_called_helper():
    f = jit.function(_via_helper)
    f(W)
    assert_values(f(ember.tensor([3.0, 4.0])), [4.0, 9.0])


def test_closure_capture_and_trace():
    w = ember.tensor([2.0, 3.0])
    g = jit.trace(lambda x: x * w + w, (w,))
    assert_values(g(ember.tensor([1.0, 1.0])), [4.0, 6.0])


def test_module_weight_passed_with_the_module():
    lin = nn.Linear(2, 2)

    @jit.function
    def h(m, x):
        return m(x) + m.weight.sum()

    assert_values(h(lin, lin.weight), (lin(lin.weight) + lin.weight.sum()).detach().numpy())
    x = ember.ones(2, 2)
    assert_values(h(lin, x), (lin(x) + lin.weight.sum()).detach().numpy())


def test_a_detached_alias_of_a_captured_tensor_as_argument():
    # An alias made before tracing shares the captured tensor's memory: it is still an input,
    # and the captured tensor a parameter.
    w = ember.tensor([1.0, 2.0])
    f = jit.function(lambda x: x * w)
    f(w.detach())
    assert_values(f(ember.tensor([5.0, 5.0])), [5.0, 10.0])


def test_captured_leaf_with_backward_inside_runs_eagerly_with_a_warning():
    p = ember.tensor([1.0, 2.0], requires_grad=True)

    @jit.function
    def step(x):
        (x * p).sum().backward()
        return x.sum()

    with pytest.warns(RuntimeWarning, match=r"argument 0 .* with this signature run eagerly"):
        step(p)
    assert_values(p.grad, [2.0, 4.0])
    p.grad = None
    q = ember.tensor([3.0, 5.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step(q)
    assert_values(p.grad, [3.0, 5.0])
    assert_values(q.grad, [1.0, 2.0])


def test_argument_passed_twice_with_backward_inside_runs_eagerly():
    c = ember.tensor([1.0, 10.0])

    @jit.function
    def step(x, y):
        (x * y * c).sum().backward()
        return x.sum()

    a = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(RuntimeWarning, match="argument 1"):
        step(a, a)
    assert_values(a.grad, [2.0, 40.0])
    a.grad = None
    b = ember.tensor([3.0, 5.0], requires_grad=True)
    step(a, b)
    assert_values(a.grad, [3.0, 50.0])
    assert_values(b.grad, [1.0, 20.0])


def test_trace_refuses_a_shared_argument_with_backward():
    p = ember.tensor([1.0, 2.0], requires_grad=True)

    def step(x):
        (x * p).sum().backward()
        return x.sum()

    expected = r"jit\.trace: argument 0 .*detach\(\)\.requires_grad_"
    with pytest.raises(RuntimeError, match=expected):
        jit.trace(step, (p,))


def test_training_step_with_data_arguments_still_runs_as_a_graph():
    lin = nn.Linear(3, 1)
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)

    @jit.function
    def step(x, y):
        opt.zero_grad()
        loss = ((lin(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    x, y = ember.ones(4, 3), ember.zeros(4, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step(x, y)
        step(x, y)
    assert len(step.traces) == 1


# ---- captures the reachability search cannot see, and arguments changed in place -------------

W2 = ember.tensor([1.0, 2.0])


class _Cfg:
    W = ember.tensor([1.0, 2.0])


class _Slotted:
    __slots__ = ("w",)

    def __init__(self, w):
        self.w = w


_SLOTTED = _Slotted(ember.tensor([1.0, 2.0]))
_DEEP = {"a": {"b": {"c": {"d": {"e": {"f": ember.tensor([1.0, 2.0])}}}}}}


@pytest.mark.parametrize(
    "make",
    [
        lambda: (lambda x, w=W2: x * w, W2),
        lambda: (lambda x: x * _Cfg.W, _Cfg.W),
        lambda: (lambda x: x * _SLOTTED.w, _SLOTTED.w),
        lambda: (lambda x: x * _DEEP["a"]["b"]["c"]["d"]["e"]["f"], _DEEP["a"]["b"]["c"]["d"]["e"]["f"]),
        lambda: (lambda x: x * globals()["W2"], W2),
    ],
    ids=["default-arg", "class-attribute", "slots", "deeply-nested", "dynamic-lookup"],
)
def test_any_capture_passed_as_the_argument_is_told_apart(make):
    # Arguments that do not require grad always get an input of their own, however the
    # function reaches the captured tensor.
    fn, w = make()
    for f in (jit.function(fn), None):
        if f is None:
            f = jit.trace(fn, (w,))
        else:
            assert_values(f(w), [1.0, 4.0])
        assert_values(f(ember.tensor([10.0, 20.0])), [10.0, 40.0])


def test_argument_changed_in_place_while_its_original_is_captured():
    w = ember.tensor([1.0, 2.0])

    def f(x):
        x.add_(1.0)
        return x * w

    g = jit.function(f)
    g(w.detach())  # eager: w becomes [2, 3] through the alias
    w.copy_(ember.tensor([1.0, 2.0]))
    assert_values(g(ember.tensor([10.0, 20.0])), [11.0, 42.0])
    w.copy_(ember.tensor([1.0, 2.0]))
    t = jit.trace(f, (w,))
    w.copy_(ember.tensor([1.0, 2.0]))
    assert_values(t(ember.tensor([10.0, 20.0])), [11.0, 42.0])


def test_captured_view_of_the_argument():
    base = ember.tensor([1.0, 2.0, 3.0])
    w = base[1:]

    def f(x):
        return x[1:] * w

    g = jit.function(f)
    assert_values(g(base), [4.0, 9.0])
    assert_values(g(ember.tensor([10.0, 20.0, 30.0])), [40.0, 90.0])


def test_function_returning_its_argument_gives_back_the_callers_tensor():
    f = jit.function(lambda x: x)
    x = ember.ones(2)
    assert f(x) is x


def test_module_overriding_state_dict_and_unfriendly_globals_still_trace():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def state_dict(self):  # a different signature
            return {"fc": self.fc.state_dict()}

        def forward(self, x):
            return self.fc(x)

    class Raising:
        @property
        def __dict__(self):
            raise RuntimeError("no")

    net, odd = Net(), Raising()
    x = ember.ones(3, 4)

    def f(x):
        _ = odd
        return net(x)

    g = jit.function(f)
    assert_values(g(x), net(x).detach().numpy())
    assert_values(g(x), net(x).detach().numpy())


def test_requires_grad_argument_found_through_a_python_module_attribute():
    import types

    cfg = types.ModuleType("cfg_for_test")
    cfg.P = ember.tensor([1.0, 2.0], requires_grad=True)
    f = jit.function(lambda x: (x * cfg.P).sum())
    f(cfg.P)
    assert_values(f(ember.tensor([3.0, 4.0], requires_grad=True)), 11.0)
