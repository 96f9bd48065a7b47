"""The Tensor object: numpy interop, DLPack, repr, conversions, in-place ops and versions."""

from __future__ import annotations

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")


# ---- numpy interop -------------------------------------------------------------------------


def test_numpy_is_zero_copy_both_ways() -> None:
    t = ember.zeros(2, 3)
    a = t.numpy()
    a[0, 1] = 5.0
    assert t.numpy()[0, 1] == 5.0
    t.add_(1.0)
    assert a[0, 1] == 6.0 and a[1, 2] == 1.0


def test_numpy_of_view_keeps_strides() -> None:
    base = ember.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    v = base.transpose(0, 1)
    a = v.numpy()
    np.testing.assert_array_equal(a, np.arange(12).reshape(3, 4).T)
    assert a.strides == (4, 16)
    a[0, 0] = -1
    assert base.numpy()[0, 0] == -1


def test_numpy_outlives_tensor() -> None:
    a = ember.ones(1000).numpy()
    import gc

    gc.collect()
    assert a.sum() == 1000.0


def test_numpy_requires_grad_raises() -> None:
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"numpy: .*detach\(\)\.numpy\(\)"):
        x.numpy()
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int32, np.int64, np.float32, np.float64])
def test_from_numpy_shares_memory(dtype) -> None:
    a = np.zeros((2, 3), dtype=dtype)
    t = ember.from_numpy(a)
    assert t.dtype == ember._C._dtype_from_numpy(np.dtype(dtype))
    a[1, 2] = 1
    assert t.numpy()[1, 2] == 1
    assert t.numpy().base is not None or np.shares_memory(t.numpy(), a)
    assert np.shares_memory(t.numpy(), a)


def test_from_numpy_non_contiguous_and_errors() -> None:
    a = np.arange(20.0).reshape(4, 5)[::2, 1::2]
    t = ember.from_numpy(a)
    assert not t.is_contiguous()
    np.testing.assert_array_equal(t.numpy(), a)
    with pytest.raises(TypeError, match="from_numpy: numpy dtype 'complex128' is not supported"):
        ember.from_numpy(np.zeros(2, dtype=np.complex128))
    with pytest.raises(ValueError, match="negative strides"):
        ember.from_numpy(np.arange(4.0)[::-1])
    with pytest.raises(TypeError, match="from_numpy"):
        ember.from_numpy([1, 2])


def test_from_numpy_keeps_array_alive() -> None:
    t = ember.from_numpy(np.arange(5.0))
    import gc

    gc.collect()
    np.testing.assert_array_equal(t.numpy(), np.arange(5.0))


def test_array_protocol_tolist_item() -> None:
    t = ember.tensor([[1.5, 2.0], [3.0, 4.0]])
    a = np.asarray(t)
    np.testing.assert_array_equal(a, [[1.5, 2.0], [3.0, 4.0]])
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert t.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert ember.tensor([1, 2]).tolist() == [1, 2]
    assert ember.tensor(3).tolist() == 3
    assert ember.tensor(2.5).item() == 2.5
    assert isinstance(ember.tensor(7).item(), int)
    assert ember.tensor([True]).item() is True
    assert ember.tensor([[4.0]]).item() == 4.0
    with pytest.raises(ValueError, match=r"item: a Tensor with 2 elements"):
        ember.tensor([1.0, 2.0]).item()
    # Requires-grad tensors still convert (through a detached view).
    g = ember.tensor([1.0], requires_grad=True)
    assert g.item() == 1.0 and g.tolist() == [1.0]


def test_python_number_conversions() -> None:
    assert float(ember.tensor(2.5)) == 2.5
    assert int(ember.tensor(3.9)) == 3
    assert bool(ember.tensor([0.0])) is False
    assert [10, 20, 30][ember.tensor(1)] == 20
    with pytest.raises(ValueError, match="ambiguous"):
        bool(ember.tensor([1.0, 2.0]))
    assert len(ember.zeros(4, 2)) == 4
    with pytest.raises(TypeError):
        len(ember.tensor(1.0))


def test_dlpack_round_trip_with_numpy() -> None:
    t = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.from_dlpack(t)
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])
    assert np.shares_memory(a, t.numpy())
    b = np.arange(6, dtype=np.int64).reshape(2, 3)
    u = ember.from_dlpack(b)
    assert u.dtype == ember.int64
    b[0, 0] = 42
    assert u.numpy()[0, 0] == 42
    assert t.__dlpack_device__() == (1, 0)


def test_iteration_yields_rows() -> None:
    t = ember.tensor([[1, 2], [3, 4]])
    rows = [r.tolist() for r in t]
    assert rows == [[1, 2], [3, 4]]
    with pytest.raises(TypeError):
        iter(ember.tensor(1.0)).__next__()


# ---- repr ----------------------------------------------------------------------------------

REPRS = [
    ([1.0, 2.0], None, False),
    ([1.5, -2.25], None, False),
    ([1.0, 2.0], "float64", False),
    ([1, 2, 3], None, False),
    ([1, 2], "int32", False),
    ([True, False], None, False),
    (3.0, None, False),
    (7, None, False),
    ([[1.0, 2.0], [3.0, 4.0]], None, False),
    ([1.0, 2.0], None, True),
    ([], None, False),
    ([0.1234567, 100.5], None, False),
]


@pytest.mark.parametrize("data,dtype,rg", REPRS, ids=[repr(r) for r in REPRS])
def test_repr_matches_torch(data, dtype, rg) -> None:
    t = ember.tensor(data, dtype=getattr(ember, dtype) if dtype else None, requires_grad=rg)
    r = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None, requires_grad=rg)
    assert repr(t) == repr(r).replace("torch.", "ember.")


def test_repr_grad_fn() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x + 1) == "tensor([2., 3.], grad_fn=<AddBackward0>)"
    assert repr(x * 2).endswith("grad_fn=<MulBackward0>)")
    assert repr(ember.tensor([1.0], dtype=ember.float64) * x).endswith(
        "dtype=ember.float64, grad_fn=<MulBackward0>)"
    )
    assert repr(ember.float64) == "ember.float64"


def test_dtype_and_device_attributes() -> None:
    t = ember.zeros(2, 3, dtype=ember.float64)
    assert t.dtype == ember.float64 and t.dtype.is_floating_point and t.dtype.itemsize == 8
    assert str(t.device) == "cpu" and not t.is_cuda
    assert t.shape == (2, 3) and t.size() == (2, 3) and t.size(-1) == 3 and t.ndim == 2
    assert t.numel() == 6 and t.element_size() == 8 and t.nbytes == 48
    assert t.stride() == (3, 1)
    assert (
        ember.float is ember.float32 and ember.long is ember.int64 and ember.double is ember.float64
    )
    with pytest.raises(IndexError, match="size: dim 2 is out of range"):
        t.size(2)


def test_to_and_type_conversions() -> None:
    t = ember.tensor([1.7, -2.5])
    assert t.to(ember.int64).tolist() == [1, -2]
    assert t.to(ember.float32) is t
    assert t.to(ember.float32, copy=True) is not t
    assert t.to("cpu") is t
    assert t.double().dtype == ember.float64
    assert t.long().dtype == ember.int64
    assert t.int().dtype == ember.int32
    assert t.bool().tolist() == [True, True]
    assert t.to(dtype=ember.float64).dtype == ember.float64
    assert t.to(ember.zeros(1, dtype=ember.int32)).dtype == ember.int32
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.backward(ember.ones(2, dtype=ember.float64))
    assert x.grad.dtype == ember.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


# ---- in-place ops ----------------------------------------------------------------------------

INPLACE = [
    ("add_", lambda t: t.add_(ember.tensor([1.0, 2.0, 3.0])), lambda a: a + [1, 2, 3]),
    ("add_alpha", lambda t: t.add_(ember.tensor(2.0), alpha=3), lambda a: a + 6),
    ("add_scalar", lambda t: t.add_(1.5), lambda a: a + 1.5),
    ("sub_", lambda t: t.sub_(ember.ones(2, 3)), lambda a: a - 1),
    ("sub_alpha", lambda t: t.sub_(1.0, alpha=2), lambda a: a - 2),
    ("mul_", lambda t: t.mul_(ember.tensor([[2.0], [3.0]])), lambda a: a * [[2.0], [3.0]]),
    ("div_", lambda t: t.div_(4), lambda a: a / 4),
    ("zero_", lambda t: t.zero_(), lambda a: a * 0),
    ("fill_", lambda t: t.fill_(-2.5), lambda a: np.full_like(a, -2.5)),
    (
        "copy_",
        lambda t: t.copy_(ember.tensor([7.0, 8.0, 9.0])),
        lambda a: np.broadcast_to([7.0, 8.0, 9.0], a.shape),
    ),
    (
        "copy_int",
        lambda t: t.copy_(ember.tensor([[1], [2]])),
        lambda a: np.broadcast_to([[1.0], [2.0]], a.shape),
    ),
    ("clamp_", lambda t: t.clamp_(1.0, 4.0), lambda a: np.clip(a, 1, 4)),
    ("clamp_min", lambda t: t.clamp_(min=2.0), lambda a: np.maximum(a, 2)),
    ("iadd", lambda t: t.__iadd__(1), lambda a: a + 1),
    ("imul", lambda t: t.__imul__(2.0), lambda a: a * 2),
]


@pytest.mark.parametrize("name,f,ref", INPLACE, ids=[n for n, _, _ in INPLACE])
def test_inplace_values_identity_and_version(name, f, ref) -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ember.tensor(a)
    alias = t.view(6)
    v0 = t._version
    out = f(t)
    assert out is t
    np.testing.assert_allclose(t.numpy(), ref(a).astype(np.float32), rtol=1e-6)
    assert t._version > v0
    assert alias._version == t._version  # views share the counter
    np.testing.assert_allclose(alias.numpy(), t.numpy().reshape(6))


@pytest.mark.parametrize("name,f,ref", INPLACE, ids=[n for n, _, _ in INPLACE])
def test_inplace_on_non_contiguous_view(name, f, ref) -> None:
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    base = ember.tensor(a)
    v = base.transpose(0, 1).narrow(0, 1, 3).narrow(1, 0, 2).transpose(0, 1)  # (2, 3) view
    expected_view = ref(a.T[1:4, 0:2].T.copy())
    f(v)
    np.testing.assert_allclose(v.numpy(), np.asarray(expected_view, dtype=np.float32), rtol=1e-6)
    full = a.copy()
    full.T[1:4, 0:2] = np.asarray(expected_view).T
    np.testing.assert_allclose(base.numpy(), full, rtol=1e-6)


def test_inplace_integer_dtype_rules() -> None:
    t = ember.tensor([1, 2, 3])
    t.add_(2)
    assert t.tolist() == [3, 4, 5] and t.dtype == ember.int64
    with pytest.raises(TypeError, match=r"add_: result dtype float32 can't be cast"):
        t.add_(1.5)
    with pytest.raises(TypeError, match="div_"):
        t.div_(2)
    f = ember.tensor([1.0, 2.0])
    f.add_(ember.tensor([1, 1]))
    assert f.tolist() == [2.0, 3.0]
    with pytest.raises(
        ValueError, match=r"add_: output with shape \(2,\) doesn't match the broadcast"
    ):
        f.add_(ember.ones(2, 2))


def test_inplace_self_overlap_copy() -> None:
    t = ember.tensor([1.0, 2.0, 3.0, 4.0])
    t.narrow(0, 1, 3).copy_(t.narrow(0, 0, 3))
    assert t.tolist() == [1.0, 1.0, 2.0, 3.0]
    u = ember.tensor([1.0, 2.0, 3.0])
    u.add_(u)
    assert u.tolist() == [2.0, 4.0, 6.0]


def test_inplace_on_leaf_requiring_grad_raises() -> None:
    x = ember.ones(3, requires_grad=True)
    for f in (
        lambda: x.add_(1),
        lambda: x.mul_(2),
        lambda: x.zero_(),
        lambda: x.fill_(1.0),
        lambda: x.copy_(ember.zeros(3)),
        lambda: x.clamp_(0, 1),
        lambda: x.sub_(1),
        lambda: x.div_(2.0),
    ):
        with pytest.raises(
            RuntimeError,
            match="a leaf tensor that requires grad is being used in an in-place operation",
        ):
            f()
    with ember.no_grad():
        x.add_(1)
    assert x.detach().tolist() == [2.0, 2.0, 2.0]
    assert x.grad_fn is None and x.is_leaf


def test_modified_saved_tensor_raises_on_backward() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward(ember.ones(2))


def test_modified_saved_output_raises_on_backward() -> None:
    x = ember.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # saves its output
    y.mul_(2)
    with pytest.raises(
        RuntimeError,
        match="ExpBackward0: one of the tensors needed for gradient "
        "computation has been modified by an in-place",
    ):
        y.backward(ember.ones(2))


def test_inplace_on_non_leaf_records_gradient() -> None:
    a = np.array([1.0, -2.0, 3.0])
    x = ember.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    for mod, t in ((ember, x), (torch, tx)):
        y = t * 2
        y.add_(t)
        y.mul_(t)
        y.sub_(1.0)
        y.div_(2.0)
        y.clamp_(-5, 5)
        y.backward(mod.ones(3, dtype=mod.float64))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    y = x * 1.0
    v = y._version
    y.add_(1)
    assert y._version == v + 1 and y.grad_fn is not None


def test_copy_into_non_leaf_gradient_flows_to_source() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    s = ember.tensor([3.0], requires_grad=True)
    y = x * 1.0
    y.copy_(s * 2)
    y.backward(ember.tensor([1.0, 1.0]))
    assert x.grad.tolist() == [0.0, 0.0]
    assert s.grad.tolist() == [4.0]


def test_zero_and_fill_on_non_leaf_block_gradient() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.zero_()
    (y + x).backward(ember.ones(2))
    assert x.grad.tolist() == [1.0, 1.0]


def test_data_setter_and_detach_share_storage() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.untyped_storage_ptr() == x.untyped_storage_ptr()
    d.add_(1)
    assert x.detach().tolist() == [2.0, 3.0]
    assert d._version == x._version
    x.data = ember.tensor([5.0, 6.0])
    assert x.detach().tolist() == [5.0, 6.0] and x.requires_grad


def test_dlpack_exchange_with_torch() -> None:
    t = ember.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ember.float64)
    tt = torch.from_dlpack(t)
    assert tt.dtype == torch.float64 and tt.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    tt[0, 0] = 9.0
    assert t.numpy()[0, 0] == 9.0  # shares memory
    src = torch.arange(6, dtype=torch.int32).reshape(2, 3)
    e = ember.from_dlpack(src)
    assert e.dtype == ember.int32 and e.tolist() == src.tolist()


def test_inplace_on_base_invalidates_saved_view() -> None:
    x = ember.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1.0
    v = y.view(2, 2)
    z = v * v  # saves the view
    y.add_(1)  # the view shares y's version counter
    assert v._version == y._version
    with pytest.raises(RuntimeError, match="MulBackward0: one of the tensors needed for gradient"):
        z.backward(ember.ones(2, 2))


def test_inplace_on_view_under_autograd_rewrites_the_base_history() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    v = y.view(2)
    v.mul_(2)
    assert y.grad_fn.name() == "CopySlices"
    (y * y).sum().backward()  # y = 2x: d/dx sum(4x^2) = 8x
    assert x.grad.tolist() == [8.0, 16.0]
    with ember.no_grad():
        v.mul_(2)  # fine without autograd
    assert v.tolist() == [4.0, 8.0]


def test_inplace_self_operand_with_autograd() -> None:
    # PyTorch itself rejects y.mul_(y) here; ember records on a copy of the old value.
    a = np.array([1.5, -2.0])
    x = ember.tensor(a, requires_grad=True)
    y = x * 1.0
    y.mul_(y)  # x ** 2
    y.mul_(x)  # x ** 3
    y.backward(ember.ones(2, dtype=ember.float64))
    np.testing.assert_allclose(y.detach().numpy(), a**3)
    np.testing.assert_allclose(x.grad.numpy(), 3 * a**2)


def test_inplace_methods_return_self_and_keep_subclass() -> None:
    class Sub(ember.Tensor):
        pass

    p = Sub(ember.ones(2))
    q = p
    p += 1
    p *= 2.0
    p -= 1
    p /= 3
    assert p is q and type(p) is Sub
    assert p.add_(1) is p and p.zero_() is p and p.requires_grad_() is p
    np.testing.assert_array_equal(p.detach().numpy(), [0.0, 0.0])


def test_as_tensor_shares_memory_when_it_can() -> None:
    a = np.arange(4.0)
    t = ember.as_tensor(a)
    a[0] = 7.0
    assert t.tolist()[0] == 7.0
    u = ember.as_tensor(a, dtype=ember.float32)  # needs a conversion: a copy
    a[1] = 9.0
    assert u.tolist()[1] == 1.0 and u.dtype == ember.float32
    x = ember.ones(2)
    assert ember.as_tensor(x) is x
    assert ember.as_tensor([1, 2]).dtype == ember.int64
    assert tuple(ember.as_tensor(np.array(5.0)).shape) == ()


def test_grad_setter_checks_shape_and_dtype() -> None:
    x = ember.ones(2, requires_grad=True)
    x.grad = ember.tensor([1.0, 2.0])
    assert x.grad.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"grad: assigned gradient has shape \(3,\)"):
        x.grad = ember.ones(3)
    with pytest.raises(TypeError, match="grad: assigned gradient has dtype float64"):
        x.grad = ember.ones(2, dtype=ember.float64)
    x.grad = None
    assert x.grad is None


def test_numpy_array_operands_combine_like_tensors() -> None:
    # An array operand acts like the tensor it would convert to, on either side.
    a = np.arange(3, dtype=np.float64)
    t = ember.ones(3)
    for f in (lambda x, y: x + y, lambda x, y: y * x, lambda x, y: y - x):
        out = f(t, a)
        assert isinstance(out, ember.Tensor)
        assert out.dtype == ember.float64  # float32 tensor with float64 tensor
        np.testing.assert_array_equal(out.numpy(), f(np.ones(3), a))
    assert (np.arange(3) * t).dtype == ember.float32  # int64 with float32


def test_split_and_chunk_return_tuples() -> None:
    parts = ember.arange(5).split(2)
    assert isinstance(parts, tuple) and [p.tolist() for p in parts] == [[0, 1], [2, 3], [4]]
    chunks = ember.chunk(ember.arange(6), 3)
    assert isinstance(chunks, tuple) and [c.tolist() for c in chunks] == [[0, 1], [2, 3], [4, 5]]


def test_random_fill_of_leaf_requiring_grad_raises() -> None:
    w = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="uniform_: a leaf tensor that requires grad"):
        w.uniform_()
    with pytest.raises(RuntimeError, match="normal_: a leaf tensor that requires grad"):
        w.normal_()
    with ember.no_grad():
        w.normal_()
    assert w.requires_grad


def test_ragged_nested_list_error_says_rows_must_match():
    for data, kw in (([[1, 2], [3]], {}), ([[1.0, 2.0], [3.0]], {"dtype": ember.float64})):
        with pytest.raises(ValueError, match=r"tensor: nested lists must be rectangular"):
            ember.tensor(data, **kw)


def test_deepcopy_and_pickle_copy_values_and_flags():
    import copy
    import pickle

    t = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (t * 3).sum().backward()
    c = copy.deepcopy(t)
    assert c is not t and c.requires_grad and c.is_leaf
    np.testing.assert_array_equal(c.detach().numpy(), t.detach().numpy())
    np.testing.assert_array_equal(c.grad.numpy(), np.full((2, 2), 3.0, np.float32))
    with ember.no_grad():
        c.add_(1)
    assert t[0, 0].item() == 1.0  # a copy, not a view
    pair = copy.deepcopy({"a": t, "b": t})
    assert pair["a"] is pair["b"]  # the memo keeps shared tensors shared
    v = ember.arange(6).reshape(2, 3).T  # non-contiguous int64
    back = pickle.loads(pickle.dumps(v))
    assert back.dtype == ember.int64 and back.tolist() == v.tolist()
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        copy.deepcopy(t * 2)
    back = pickle.loads(pickle.dumps(t * 2))  # a non-leaf pickles as a leaf, as in PyTorch
    assert back.is_leaf and back.requires_grad
    np.testing.assert_array_equal(back.detach().numpy(), [[2.0, 4.0], [6.0, 8.0]])
