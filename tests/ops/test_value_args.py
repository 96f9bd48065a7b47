"""Tensor-valued "value" and bound arguments (masked_fill, masked_fill_, fill_, clamp) keep their
gradients, and numbers that do not fit the destination dtype raise instead of wrapping."""

from __future__ import annotations

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def test_masked_fill_with_a_0d_tensor_value_backpropagates_to_it():
    for inplace in (False, True):
        v, vt = ember.tensor(2.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
        x, xt = ember.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
        m, mt = ember.tensor([True, False, True]), torch.tensor([True, False, True])
        if inplace:
            y, yt = x * 1, xt * 1
            y.masked_fill_(m, v)
            yt.masked_fill_(mt, vt)
        else:
            y, yt = x.masked_fill(m, v), xt.masked_fill(mt, vt)
        np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
        (y * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
        (yt * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
        assert v.grad.item() == vt.grad.item() == 4.0
        np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_fill_with_a_0d_tensor_value_backpropagates_to_it():
    v = ember.tensor(2.0, requires_grad=True)
    z = ember.zeros(3)
    z.fill_(v)
    assert z.requires_grad
    z.sum().backward()
    assert v.grad.item() == 3.0
    with pytest.raises(ValueError, match="fill_: value must be a number or a 0-d tensor"):
        ember.zeros(3).fill_(ember.ones(2, requires_grad=True))


def test_clamp_with_tensor_bounds_matches_torch_values_and_gradients():
    x = np.array([[-2.0, 0.5, 3.0], [1.0, -1.0, 5.0]])
    lo = np.array([0.0, 0.0, 1.0])
    hi = np.array([[1.0], [2.0]])
    es = [ember.from_numpy(a.copy()).requires_grad_(True) for a in (x, lo, hi)]
    ts = [torch.tensor(a, requires_grad=True) for a in (x, lo, hi)]
    re, rt = ember.clamp(*es), torch.clamp(*ts)
    np.testing.assert_array_equal(re.detach().numpy(), rt.detach().numpy())
    w = np.arange(6.0).reshape(2, 3)
    (re * ember.from_numpy(w)).sum().backward()
    (rt * torch.from_numpy(w)).sum().backward()
    for e, t in zip(es, ts):
        np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    # A 0-d bound that requires grad, min only, and the method form.
    lo0, lo0t = ember.tensor(0.5, requires_grad=True), torch.tensor(0.5, requires_grad=True)
    ember.tensor([0.0, 1.0]).clamp(min=lo0).sum().backward()
    torch.tensor([0.0, 1.0]).clamp(min=lo0t).sum().backward()
    assert lo0.grad.item() == lo0t.grad.item() == 1.0


def test_clamp_in_place_with_tensor_bounds():
    x = ember.tensor([-2.0, 0.5, 3.0])
    assert x.clamp_(ember.tensor([0.0, 1.0, 0.0]), ember.tensor(2.0)) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(TypeError, match="clamp_: result dtype float32 can't be cast"):
        ember.tensor([1, 2]).clamp_(ember.tensor([0.5, 0.5]), None)
    with pytest.raises(TypeError, match="clamp: min must be a number, a tensor or None, got str"):
        ember.tensor([1.0]).clamp(min="a")


@pytest.mark.parametrize("call, match", [
    (lambda: ember.zeros(2, dtype=ember.int32).fill_(2**40), "fill_: value 1099511627776"),
    (lambda: ember.full((2,), 2**32 + 7, dtype=ember.int32), "full: value 4294967303"),
    (lambda: ember.zeros(2, dtype=ember.uint8).masked_fill(ember.tensor([True, False]), 300),
     "masked_fill: value 300"),
    (lambda: ember.zeros(2, dtype=ember.uint8).masked_fill_(ember.tensor([True, False]), 300),
     "masked_fill_: value 300"),
    (lambda: ember.zeros(2, dtype=ember.int32).clamp(min=2**40), "clamp: value 1099511627776"),
    (lambda: ember.zeros(2).fill_(1e300), "fill_: value 1e\\+300 cannot be converted to dtype float32"),
    (lambda: ember.full((2,), 9.3e18, dtype=ember.int64), "full: value 9.3e\\+18"),
])
def test_values_that_do_not_fit_the_dtype_raise(call, match):
    with pytest.raises(ValueError, match=match + ".*without overflow"):
        call()


@pytest.mark.parametrize("dtype, value", [(ember.int64, float("nan")), (ember.uint8, 256),
                                          (ember.int32, -(2**31) - 1)])
def test_setitem_values_that_do_not_fit_raise_and_leave_the_tensor(dtype, value):
    x = ember.zeros(2, dtype=dtype)
    with pytest.raises(ValueError, match="setitem: value .* without overflow"):
        x[0] = value
    np.testing.assert_array_equal(x.numpy(), [0, 0])


def test_values_that_fit_are_stored_as_pytorch_stores_them():
    cases = [(lambda m: m.zeros(2, dtype=m.uint8).fill_(-1)),   # -1 wraps to 255
             (lambda m: m.full((2,), 2**63 - 1, dtype=m.int64)),
             (lambda m: m.zeros(2).fill_(float("inf"))),
             (lambda m: m.zeros(2, dtype=m.bool).fill_(5)),
             (lambda m: m.zeros(2, dtype=m.uint8) + 300)]    # arithmetic wraps, as in PyTorch
    for case in cases:
        np.testing.assert_array_equal(case(ember).numpy(), case(torch).numpy())
    x, xt = ember.zeros(2, dtype=ember.int64), torch.zeros(2, dtype=torch.int64)
    x[0] = 2.7
    xt[0] = 2.7
    np.testing.assert_array_equal(x.numpy(), xt.numpy())


def test_chunk_of_an_empty_dim_gives_the_requested_number_of_chunks():
    for shape, chunks, dim in (((0,), 2, 0), ((2, 0), 3, 1)):
        got = ember.ones(*shape).chunk(chunks, dim)
        ref = torch.ones(*shape).chunk(chunks, dim)
        assert [tuple(c.shape) for c in got] == [tuple(c.shape) for c in ref]


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_gradients_at_nan_and_ties_match_torch(name):
    a = np.array([np.nan, 1.0, 2.0, 0.0])
    b = np.array([0.0, np.nan, 2.0, 1.0])
    ea, eb = (ember.from_numpy(v.copy()).requires_grad_(True) for v in (a, b))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    getattr(ember, name)(ea, eb).sum().backward()
    getattr(torch, name)(ta, tb).sum().backward()
    np.testing.assert_array_equal(ea.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(eb.grad.numpy(), tb.grad.numpy())


# ---- review follow-ups: 0-d targets, tensor values in integer tensors, tracing, views --------


def test_masked_fill_inplace_on_a_0d_tensor_with_a_grad_value():
    v = ember.tensor(9.0, requires_grad=True)
    y = ember.tensor(-1.0, requires_grad=True) * 1
    y.masked_fill_(ember.tensor(True), v)
    assert y.item() == 9.0
    y.backward()
    assert v.grad.item() == 1.0


def test_tensor_values_into_integer_tensors_are_checked_like_numbers():
    m = ember.tensor([True, False])
    with pytest.raises(ValueError, match="masked_fill_: value 1e\\+20 cannot be converted to dtype "
                                         "int32 without overflow"):
        ember.zeros(2, dtype=ember.int32).masked_fill_(m, ember.tensor(1e20))
    with pytest.raises(ValueError, match="masked_fill: value nan cannot be converted to dtype int64"):
        ember.zeros(2, dtype=ember.int64).masked_fill(m, ember.tensor(float("nan")))
    np.testing.assert_array_equal(
        ember.zeros(2, dtype=ember.int32).masked_fill(m, ember.tensor(7)).numpy(), [7, 0])


def test_python_ints_beyond_int64_get_a_clear_error():
    with pytest.raises(ValueError, match=r"fill_: value 9223372036854775808 is outside the int64 "
                                         r"range"):
        ember.zeros(2, dtype=ember.int64).fill_(2**63)
    with pytest.raises(ValueError, match="masked_fill: value .* is outside the int64 range"):
        ember.zeros(2).masked_fill(ember.tensor([True, False]), 2**70)


@pytest.mark.parametrize("fn", [
    lambda x, v: x.masked_fill(x < 0, v),
    lambda x, v: x.clone().masked_fill_(x < 0, v),
    lambda x, v: x.clamp(min=v),
    lambda x, v: x.clamp(max=v),
    lambda x, v: ember.zeros(3).fill_(v) + x,
], ids=["masked_fill", "masked_fill_", "clamp_min", "clamp_max", "fill_"])
def test_0d_tensor_values_stay_graph_inputs_when_traced(fn):
    x0 = ember.tensor([[1.0, -2.0, 3.0]])
    traced = ember.jit.trace(fn, (x0, ember.tensor(9.0)))
    for v in (1.0, -5.0):
        np.testing.assert_array_equal(traced(x0, ember.tensor(v)).numpy(),
                                      fn(x0, ember.tensor(v)).numpy())


def test_fill_on_a_view_that_autograd_records_cuts_the_gradient_there():
    x = ember.ones(2, 3, requires_grad=True)
    y = x * 1
    y[:, 1:].fill_(5.0)
    np.testing.assert_array_equal(y.detach().numpy(), [[1, 5, 5], [1, 5, 5]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 0], [1, 0, 0]])
    x.grad = None
    y = x * 1
    y[:, 2:].zero_()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1, 0], [1, 1, 0]])
    x.grad = None
    y = x * 1
    y[:, 1:] = 5.0  # setitem records the write on y itself: the same gradient
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 0], [1, 0, 0]])


def test_chunks_of_an_empty_dim_are_separate_tensors():
    a, b, c = ember.empty(0, 2).chunk(3)
    a.requires_grad_()
    assert not b.requires_grad and not c.requires_grad
