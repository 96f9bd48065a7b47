"""Custom ``ember.autograd.Function`` and ``gradcheck`` itself."""

from __future__ import annotations

import math

import ember
import numpy as np
import pytest
from ember.autograd import Function, gradcheck


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3.0 * x * x


class MulAdd(Function):
    """y = a * b + c, with a non-tensor scale argument."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b * ctx.scale, g * a * ctx.scale, None


class SplitTwo(Function):
    """Two outputs: (exp(x), 2x)."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y, x * 2

    @staticmethod
    def backward(ctx, gy, gz):
        (y,) = ctx.saved_tensors
        return gy * y + gz * 2


class WrongBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x  # should be 2 * x


def _x(values):
    return ember.tensor(values, dtype=ember.float64, requires_grad=True)


def test_custom_function_values_and_gradient_closed_form() -> None:
    v = np.array([0.5, -1.0, 2.0])
    x = _x(v)
    y = Cube.apply(x)
    np.testing.assert_allclose(y.detach().numpy(), v**3)
    assert y.grad_fn is not None and "Cube" in y.grad_fn.name()
    y.backward(ember.ones(3, dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), 3 * v**2)


def test_custom_function_gradcheck() -> None:
    assert gradcheck(Cube.apply, [_x([0.3, -0.7])])
    a, b = _x([1.0, 2.0]), _x([0.5, -1.5])
    assert gradcheck(lambda p, q: MulAdd.apply(p, q, 3.0), [a, b])


def test_custom_function_non_tensor_args_and_needs_input_grad() -> None:
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen["needs"] = ctx.needs_input_grad
            seen["enabled"] = ember.is_grad_enabled()
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    a = _x([1.0])
    b = ember.tensor([2.0], dtype=ember.float64)
    y = Probe.apply(a, b, 3)
    assert seen == {"needs": (True, False, False), "enabled": False}
    y.backward()
    assert a.grad.tolist() == [1.0] and b.grad is None


def test_custom_function_multiple_outputs() -> None:
    x = _x([0.2, 1.1])
    y, z = SplitTwo.apply(x)
    (y + z).backward(ember.ones(2, dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.2, 1.1]) + 2)
    x.grad = None
    y, z = SplitTwo.apply(x)
    z.backward(ember.ones(2, dtype=ember.float64))  # the other output's gradient counts as zero
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_custom_function_in_a_larger_graph() -> None:
    x = _x([0.5])
    y = (Cube.apply(x.sin()) * 2).exp()
    y.backward()
    s = math.sin(0.5)
    expected = math.exp(2 * s**3) * 2 * 3 * s**2 * math.cos(0.5)
    np.testing.assert_allclose(x.grad.numpy(), [expected])


def test_custom_function_no_grad_inputs_records_nothing() -> None:
    y = Cube.apply(ember.tensor([2.0]))
    assert not y.requires_grad and y.grad_fn is None
    with ember.no_grad():
        z = Cube.apply(_x([2.0]))
    assert not z.requires_grad


def test_custom_function_saved_tensor_modified_raises() -> None:
    x = _x([1.0, 2.0])
    h = x * 1.0
    y = Cube.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward(ember.ones(2, dtype=ember.float64))


def test_custom_function_backward_twice_needs_retain_graph() -> None:
    x = _x([1.0])
    y = Cube.apply(x)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [6.0]
    with pytest.raises(
        RuntimeError, match="CubeBackward: trying to backward through the graph a second time"
    ):
        y.backward()


def test_custom_function_frees_saved_tensors_after_backward() -> None:
    import gc
    import weakref

    x = _x([1.0, 2.0])
    h = x * 1.0
    y = Cube.apply(h)
    ref = weakref.ref(h)
    del h
    gc.collect()
    y.backward(ember.ones(2, dtype=ember.float64))
    gc.collect()
    assert ref() is None  # the ctx (and its saved tensors) went with the first backward


def test_gradcheck_catches_wrong_backward() -> None:
    x = _x([0.7, -1.3])
    with pytest.raises(
        RuntimeError, match="gradcheck: Jacobian mismatch for output 0 with respect to input 0"
    ):
        gradcheck(WrongBackward.apply, [x])
    assert gradcheck(WrongBackward.apply, [x], raise_exception=False) is False


def test_gradcheck_passes_multi_output_and_requires_grad_inputs() -> None:
    assert gradcheck(lambda t: SplitTwo.apply(t), [_x([0.1, 0.4])])
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        gradcheck(lambda t: t * 2, [ember.ones(2, dtype=ember.float64)])


def test_backward_gradient_of_the_wrong_shape_raises_and_broadcast_ones_are_summed():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum()  # 0-d for a (2,) input

    class Broadcast(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.expand(3, 2) * 2

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BadBackward\.backward returned a gradient of shape \(\) "
                                         r"for input 0, which has shape \(2,\)"):
        Bad.apply(x).sum().backward()
    Broadcast.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])  # three copies of 2 * 1, summed


def test_gradient_shape_is_not_checked_for_inputs_without_grad():
    class TwoInputs(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y.sum()

        @staticmethod
        def backward(ctx, g):
            return g * 2, ember.ones(5)  # y needs no gradient: its shape is not checked

    x = ember.ones(2, requires_grad=True)
    TwoInputs.apply(x, ember.ones(2)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
