"""Indexing: __getitem__/__setitem__, index_select, gather, scatter_add, index_put_, nonzero,
masked_fill — values vs numpy, gradients vs torch and gradcheck, views, errors."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember.autograd import gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

A = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
MASK = (A % 3) == 1


def et(a, requires_grad=False):
    """ember tensor owning a copy of ``a`` (same dtype and shape, 0-d included)."""
    t = ember.from_numpy(np.array(a))
    return t.requires_grad_(True) if requires_grad else t


def scalar(v):
    """0-d ember tensor."""
    return ember.from_numpy(np.array(v))


def tt(a, requires_grad=False):
    return torch.tensor(np.array(a), requires_grad=requires_grad)


def to_np(t):
    return t.detach().numpy()


def ember_key(key):
    """numpy key with numpy arrays turned into ember tensors (to test tensor indices)."""
    if isinstance(key, tuple):
        return tuple(ember_key(k) for k in key)
    if isinstance(key, np.ndarray):
        return et(key)
    return key


def torch_key(key):
    if isinstance(key, tuple):
        return tuple(torch_key(k) for k in key)
    if isinstance(key, np.ndarray):
        return torch.tensor(key)
    return key


BASIC_KEYS = [
    0,
    -1,
    (1, 2),
    (1, -1, 3),
    slice(None),
    slice(1, None),
    (slice(None), 1),
    (slice(None), slice(0, 3, 2)),
    (slice(None), slice(None), slice(1, None, 3)),
    (Ellipsis, 1),
    (0, Ellipsis),
    (Ellipsis,),
    (),
    None,
    (None, 0, None),
    (slice(None), None, slice(1, 2)),
    (Ellipsis, None),
    (slice(-2, None), slice(-100, 100)),
    (slice(5, 10),),
    (1, slice(2, 1)),
]

ADVANCED_KEYS = [
    np.array([0, 1, 1]),
    np.array([-1, 0]),
    (slice(None), np.array([2, 0, 2])),
    (np.array([0, 1]), np.array([1, 2])),
    (np.array([[0], [1]]), np.array([0, 2, 1])),  # broadcast index tensors
    (np.array([0, 1]), slice(None), np.array([3, 1])),  # separated: broadcast dims go first
    (slice(None), np.array([0, 2]), np.array([[1], [3]])),
    (np.array([0]), slice(None), 1),  # int after a slice: numpy and PyTorch agree
    (np.array([1, 0]), 1),
    (Ellipsis, np.array([3, 0])),
    (None, np.array([1]), slice(None), None, np.array([0, 2])),
    MASK,
    (1, MASK[0]),
    (slice(None), MASK[0, :, 0]),
    (MASK[:, :, 0], slice(1, 3)),
    (np.array([True, False]), np.array([0, 2])),
    np.array([], dtype=np.int64),
    np.array(1),
    (np.array([0, 1]), np.array([[0, 1], [2, 0]]), np.array([3])),
]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_getitem_basic_matches_numpy(key, dtype):
    a = (A % 5).astype(dtype)
    r = et(a)[key]
    e = a[key]
    assert tuple(r.shape) == e.shape
    assert r.dtype == ember.tensor(a).dtype
    np.testing.assert_array_equal(r.numpy(), e)


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_getitem_advanced_matches_numpy(key, as_tensor):
    x = et(A)
    r = x[ember_key(key) if as_tensor else key]
    e = A[key]
    assert tuple(r.shape) == e.shape
    assert r.dtype == ember.float32
    np.testing.assert_array_equal(r.numpy(), e)


def test_int_separated_from_advanced_index_follows_torch():
    # numpy counts an int as an advanced index (x[0, :, [1, 3]] has shape (2, 3)); PyTorch,
    # whose semantics ember follows, applies it as a view first (shape (3, 2)).
    for key in [(0, slice(None), [1, 3]), (1, slice(1, 3), None, [[0], [2]])]:
        r = et(A)[key]
        e = torch.tensor(A)[key]
        assert tuple(r.shape) == tuple(e.shape)
        np.testing.assert_array_equal(r.numpy(), e.numpy())


@pytest.mark.parametrize(
    "key",
    [[0, 1], [-1], [[0, 1], [1, 0]], [True, False], [], (1, [2, 0]), ([0, 1], [1, 2], [0, 3])],
    ids=repr,
)
def test_getitem_python_lists(key):
    np.testing.assert_array_equal(et(A)[key].numpy(), A[key])


def test_getitem_python_bool_scalars():
    x = et(A)
    assert tuple(x[True].shape) == (1, 2, 3, 4)
    assert tuple(x[False].shape) == (0, 2, 3, 4)
    np.testing.assert_array_equal(x[True, [0, 1]].numpy(), A[True, [0, 1]])
    np.testing.assert_array_equal(x[scalar(True)].numpy(), A[None])
    np.testing.assert_array_equal(x[scalar(False), 1].numpy(), A[None, 1][:0])


def test_getitem_int32_and_numpy_integer_indices():
    x = et(A)
    idx = ember.tensor(np.array([1, 0], dtype=np.int32))
    np.testing.assert_array_equal(x[:, idx].numpy(), A[:, [1, 0]])
    np.testing.assert_array_equal(x[np.int64(1), np.int32(2)].numpy(), A[1, 2])
    np.testing.assert_array_equal(x[np.array([1, 0], dtype=np.int32)].numpy(), A[[1, 0]])
    np.testing.assert_array_equal(x[np.array([0, 1], dtype=np.uint8)].numpy(), A[[0, 1]])


def test_getitem_on_non_contiguous_input():
    a = A.transpose(2, 0, 1)
    x = et(A).permute(2, 0, 1)
    assert not x.is_contiguous()
    for key in [
        (np.array([3, 0]), 1),
        (slice(None), np.array([1, 0]), np.array([2, 0])),
        a > 10,
        (slice(1, None, 2), 1),
    ]:
        np.testing.assert_array_equal(x[key].numpy(), a[key])


def test_getitem_0d_and_empty():
    s = scalar(np.float32(3.5))
    assert s[()].item() == 3.5
    assert tuple(s[None].shape) == (1,)
    assert tuple(s[...].shape) == ()
    e = ember.zeros(0, 3)
    assert tuple(e[:, [0, 2]].shape) == (0, 2)
    assert tuple(e[ember.tensor([], dtype=ember.int64)].shape) == (0, 3)


# ---- views ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [0, (1, 2), (slice(None), 1), (Ellipsis, slice(1, None, 2)), (None, 1), ()], ids=repr
)
def test_basic_indexing_returns_view_sharing_memory(key):
    x = et(A)
    v = x[key]
    assert v._is_view
    v.fill_(-7.0)
    expected = A.copy()
    expected[key] = -7.0
    np.testing.assert_array_equal(x.numpy(), expected)
    assert v.untyped_storage_ptr() == x.untyped_storage_ptr()


def test_advanced_indexing_returns_copy():
    x = et(A)
    y = x[[0, 1]]
    y.fill_(-1.0)
    np.testing.assert_array_equal(x.numpy(), A)
    assert y.untyped_storage_ptr() != x.untyped_storage_ptr()


# ---- __setitem__ --------------------------------------------------------------------------

SET_CASES = [
    (0, 5.0),
    ((1, 2), np.array([1, 2, 3, 4], dtype=np.float32)),
    ((slice(None), 1), np.array([9.0, 8.0, 7.0, 6.0], dtype=np.float32)),  # broadcast
    ((slice(0, 2), slice(None), slice(1, None, 2)), -1.0),
    ((Ellipsis, 0), np.arange(6, dtype=np.float32).reshape(2, 3)),
    (MASK, 0.5),
    (MASK, np.arange(MASK.sum(), dtype=np.float32)),
    ((np.array([0, 1]), np.array([2, 0])), np.array([[1.0], [2.0]], dtype=np.float32)),
    ((slice(None), np.array([0, 2]), np.array([1, 3])), 3.0),
    (
        (np.array([1, 0]), slice(None), np.array([3, 1])),
        np.arange(6, dtype=np.float32).reshape(2, 3),
    ),
    ((None, 1), np.ones((1, 3, 4), dtype=np.float32)),
    (np.array([True, False]), 2.0),
    ((slice(None), [True, False, True]), np.array([[1.0], [2.0]], dtype=np.float32)[:, :, None]),
]


@pytest.mark.parametrize("key,value", SET_CASES, ids=lambda v: repr(v)[:40])
@pytest.mark.parametrize("value_as", ["tensor", "numpy"])
def test_setitem_matches_numpy(key, value, value_as):
    x = et(A)
    expected = A.copy()
    expected[key] = value
    if value_as == "tensor" and isinstance(value, np.ndarray):
        value = ember.tensor(value)
    x[ember_key(key)] = value
    np.testing.assert_array_equal(x.numpy(), expected)


def test_setitem_strips_leading_unit_dims_like_torch():
    x = ember.zeros(3)
    x[0:2] = ember.ones(1, 1, 2)
    t = torch.zeros(3)
    t[0:2] = torch.ones(1, 1, 2)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_setitem_converts_values_to_tensor_dtype():
    x = ember.zeros(4, dtype=ember.int64)
    x[1] = 2.7
    x[2:] = ember.tensor([1.9, -3.2])
    np.testing.assert_array_equal(x.numpy(), np.array([0, 2, 1, -3]))
    b = ember.zeros(3, dtype=ember.bool)
    b[[0, 2]] = True
    np.testing.assert_array_equal(b.numpy(), [True, False, True])
    f = ember.zeros(2, dtype=ember.float64)
    f[0] = ember.tensor([1.5])
    assert f.dtype == ember.float64 and f[0].item() == 1.5


def test_setitem_writes_through_views():
    x = ember.zeros(3, 4)
    x[0:2] = 5
    x[:, 1] = ember.tensor([1.0, 2.0, 3.0])
    v = x[2]
    v[[0, 3]] = -1.0
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[0:2] = 5
    expected[:, 1] = [1, 2, 3]
    expected[2, [0, 3]] = -1
    np.testing.assert_array_equal(x.numpy(), expected)
    w = x.T  # non-contiguous destination
    w[1, ::2] = 9.0
    expected[::2, 1] = 9.0
    np.testing.assert_array_equal(x.numpy(), expected)


def test_setitem_from_overlapping_source():
    x = et(np.arange(6, dtype=np.float32))
    x[1:] = x[:-1]
    np.testing.assert_array_equal(x.numpy(), [0, 0, 1, 2, 3, 4])
    y = et(np.arange(6, dtype=np.float32))
    y[[1, 2, 3, 4, 5]] = y[:-1]
    np.testing.assert_array_equal(y.numpy(), [0, 0, 1, 2, 3, 4])


def test_setitem_bumps_version_counter():
    x = ember.zeros(3, 4)
    v0 = x._version
    x[0] = 1.0
    assert x._version > v0
    v1 = x._version
    x[[0, 1], [1, 2]] = 2.0
    assert x._version > v1
    view = x[1]
    v2 = x._version
    view[0] = 3.0
    assert x._version > v2 and view._version == x._version
    v3 = x._version
    x.index_put_((ember.tensor([0]),), ember.tensor(1.0))
    assert x._version > v3
    v4 = x._version
    x.masked_fill_(x > 1, 0.0)
    assert x._version > v4


def test_setitem_version_bump_invalidates_saved_tensor():
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = w * 2
    z = y * y  # saves y
    y[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


# ---- autograd through indexing ------------------------------------------------------------

GRAD_KEYS = [
    0,
    (slice(None), 1),
    (Ellipsis, slice(1, None, 2)),
    (None, 1, slice(0, 2)),
    np.array([0, 1, 1]),
    (slice(None), np.array([2, 0, 2])),
    (np.array([[0], [1]]), np.array([0, 2, 1])),
    (np.array([0, 1]), slice(None), np.array([3, 3])),
    MASK,
    (slice(None), MASK[0, :, 0]),
]


@pytest.mark.parametrize("key", GRAD_KEYS, ids=repr)
def test_getitem_gradient_matches_torch(key):
    a = np.random.randn(2, 3, 4)
    x = et(a, requires_grad=True)
    t = tt(a, requires_grad=True)
    y = x[ember_key(key)]
    u = t[torch_key(key)]
    g = np.random.randn(*u.shape)
    y.backward(et(g))
    u.backward(tt(g))
    np.testing.assert_allclose(to_np(y), u.detach().numpy(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("key", GRAD_KEYS[4:], ids=repr)
def test_index_gradcheck(key):
    x = et(np.random.randn(2, 3, 4), requires_grad=True)
    k = ember_key(key)
    assert gradcheck(lambda x: x[k], (x,))


def test_index_double_backward_matches_torch():
    a = np.random.randn(4, 3)
    idx = np.array([0, 2, 2, 3])
    x = et(a, requires_grad=True)
    t = tt(a, requires_grad=True)
    (gx,) = ember.autograd.grad([(x[ember.tensor(idx)] ** 3).sum()], [x], create_graph=True)
    (gt,) = torch.autograd.grad((t[torch.tensor(idx)] ** 3).sum(), t, create_graph=True)
    gx.sum().backward()
    gt.sum().backward()
    np.testing.assert_allclose(to_np(gx), gt.detach().numpy(), rtol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7)


@pytest.mark.parametrize(
    "key",
    [
        1,
        (slice(None), 2),
        (slice(None), np.array([0, 2])),
        (1, MASK[0]),
        (np.array([1, 0]), 0),
        MASK,
    ],
    ids=repr,
)
def test_setitem_on_non_leaf_gradients_match_torch(key):
    a = np.random.randn(2, 3, 4)
    xa = et(a, requires_grad=True)
    ta = tt(a, requires_grad=True)
    vshape = a[key].shape
    vals = np.random.randn(*vshape)
    xv = et(vals, requires_grad=True)
    tv = tt(vals, requires_grad=True)
    y = xa * 2
    u = ta * 2
    y[ember_key(key)] = xv
    u[torch_key(key)] = tv
    assert y.grad_fn is not None
    g = np.random.randn(2, 3, 4)
    (y * et(g)).sum().backward()
    (u * tt(g)).sum().backward()
    np.testing.assert_allclose(to_np(y), u.detach().numpy(), rtol=1e-7)
    np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-7)
    np.testing.assert_allclose(xv.grad.numpy(), tv.grad.numpy(), rtol=1e-7)


def test_setitem_into_plain_tensor_records_value_gradient():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    x = ember.zeros(2, 3)
    x[:, 1] = w
    assert x.grad_fn is not None
    (x * ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 5.0])


def test_setitem_on_leaf_requiring_grad_raises_and_no_grad_allows_it():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="index_put_: a leaf tensor that requires grad"):
        w[0] = 2.0
    with ember.no_grad():
        w[0] = 2.0
        w[w > 1.5] = 3.0
    np.testing.assert_array_equal(w.detach().numpy(), [3.0, 1.0, 1.0])


# ---- index_put_ ---------------------------------------------------------------------------


def test_index_put_accumulate_with_duplicates_matches_numpy_add_at():
    a = np.random.randn(5, 3).astype(np.float32)
    idx = np.array([0, 4, 0, 0, 2])
    vals = np.random.randn(5, 3).astype(np.float32)
    x = et(a)
    x.index_put_((ember.tensor(idx),), et(vals), accumulate=True)
    expected = a.copy()
    np.add.at(expected, idx, vals)
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)


def test_index_put_out_of_place_and_none_entries():
    x = ember.zeros(2, 3)
    y = ember.index_put(x, (None, ember.tensor([2, 0])), ember.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(x.numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(y.numpy(), [[2, 0, 1], [2, 0, 1]])


def test_index_put_gradients_match_torch():
    a = np.random.randn(4, 3)
    vals = np.random.randn(3, 3)
    idx = np.array([0, 3, 0])
    for accumulate in (False, True):
        xa, ta = et(a, True), tt(a, True)
        xv, tv = et(vals, True), tt(vals, True)
        y = xa * 1.0
        u = ta * 1.0
        y.index_put_((ember.tensor(idx),), xv, accumulate=accumulate)
        u.index_put_((torch.tensor(idx),), tv, accumulate=accumulate)
        g = np.random.randn(4, 3)
        (y * et(g)).sum().backward()
        (u * tt(g)).sum().backward()
        if accumulate:  # without accumulate, duplicate writes pick an arbitrary winner
            np.testing.assert_allclose(to_np(y), u.detach().numpy(), rtol=1e-7)
            np.testing.assert_allclose(xv.grad.numpy(), tv.grad.numpy(), rtol=1e-7)
        np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-7)


def test_index_put_gradcheck():
    x = et(np.random.randn(4, 3), True)
    v = et(np.random.randn(2, 3), True)
    idx = ember.tensor([3, 1])

    def f(x, v):
        y = x * 1.0
        y.index_put_((idx,), v)
        return y

    def g(x, v):
        return ember.index_put(x, (idx, ember.tensor([0, 2])), v[:, 1], accumulate=True)

    assert gradcheck(f, (x, v))
    assert gradcheck(g, (x, v))


# ---- index_select / gather / scatter_add --------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_index_select_matches_numpy(dim, idx_dtype):
    idx = np.array([2, 0, -1, 1], dtype=idx_dtype) % A.shape[dim]
    idx[2] = -1
    r = ember.index_select(et(A), dim, ember.tensor(idx))
    np.testing.assert_array_equal(r.numpy(), np.take(A, idx, axis=dim))
    np.testing.assert_array_equal(
        et(A).index_select(dim, ember.tensor(idx)).numpy(), np.take(A, idx, axis=dim)
    )


def test_index_select_0d_index_and_non_contiguous():
    r = et(A).index_select(1, ember.tensor(2))
    assert tuple(r.shape) == (2, 1, 4)
    x = et(A).transpose(0, 2)
    np.testing.assert_array_equal(
        x.index_select(0, ember.tensor([3, 1])).numpy(), A.transpose(2, 1, 0)[[3, 1]]
    )


def test_index_select_gradient_and_gradcheck():
    a = np.random.randn(3, 4)
    idx = np.array([1, 1, 3])
    x, t = et(a, True), tt(a, True)
    y = x.index_select(1, ember.tensor(idx))
    u = t.index_select(1, torch.tensor(idx))
    g = np.random.randn(3, 3)
    y.backward(et(g))
    u.backward(tt(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7)
    assert y.grad_fn.name() == "IndexSelectBackward0"
    assert gradcheck(lambda x: x.index_select(0, ember.tensor([2, 0, 2])), (et(a, True),))


@pytest.mark.parametrize("dim", [0, 1, 2, -2])
def test_gather_matches_torch(dim):
    a = np.random.randn(3, 4, 5)
    shape = [2, 3, 4]
    shape[dim] = 6
    idx = np.random.randint(-a.shape[dim], a.shape[dim], size=shape)
    r = ember.gather(et(a), dim, ember.tensor(idx))
    e = torch.gather(tt(a), dim, torch.tensor(idx % a.shape[dim]))
    np.testing.assert_array_equal(r.numpy(), e.numpy())
    np.testing.assert_array_equal(
        r.numpy(),
        np.take_along_axis(
            a[tuple(slice(0, s) if d != dim % 3 else slice(None) for d, s in enumerate(shape))],
            idx % a.shape[dim],
            axis=dim,
        ),
    )


def test_gather_non_contiguous_int32_and_grad():
    a = np.random.randn(4, 3)
    x, t = et(a, True), tt(a, True)
    idx = np.array([[0, 2, 1, 0], [1, 1, 0, 2]], dtype=np.int32).T  # (4, 2), non-contiguous
    y = x.gather(1, ember.tensor(idx))
    u = t.gather(1, torch.tensor(idx.astype(np.int64)))
    np.testing.assert_array_equal(to_np(y), u.detach().numpy())
    g = np.random.randn(4, 2)
    y.backward(et(g))
    u.backward(tt(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7)
    assert y.grad_fn.name() == "GatherBackward0"
    assert gradcheck(lambda x: x.gather(0, ember.tensor([[3, 0, 3], [1, 1, 2]])), (et(a, True),))


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add_matches_torch_and_gradients(dim):
    a = np.random.randn(3, 4)
    idx = np.random.randint(0, a.shape[dim], size=(2, 3))
    src = np.random.randn(2, 3)
    x, t = et(a, True), tt(a, True)
    s, ts = et(src, True), tt(src, True)
    y = ember.scatter_add(x, dim, ember.tensor(idx), s)
    u = torch.scatter_add(t, dim, torch.tensor(idx), ts)
    np.testing.assert_allclose(to_np(y), u.detach().numpy(), rtol=1e-12)
    g = np.random.randn(3, 4)
    y.backward(et(g))
    u.backward(tt(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7)
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy(), rtol=1e-7)
    assert y.grad_fn.name() == "ScatterAddBackward0"


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add_gradcheck_with_src_larger_than_index(dim):
    # src elements that index does not reach get a zero gradient (torch 2.13 rejects this case
    # in its own backward, so it is checked numerically only).
    a = np.random.randn(3, 4)
    idx = np.random.randint(0, a.shape[dim], size=(2, 3))
    src = np.random.randn(4, 5)
    y = ember.scatter_add(et(a), dim, ember.tensor(idx), et(src))
    expected = a.copy()
    for i in range(2):
        for j in range(3):
            pos = (idx[i, j], j) if dim == 0 else (i, idx[i, j])
            expected[pos] += src[i, j]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    assert gradcheck(
        lambda x, s: ember.scatter_add(x, dim, ember.tensor(idx), s), (et(a, True), et(src, True))
    )


def test_scatter_add_integer_and_duplicates():
    x = ember.zeros(5, dtype=ember.int64)
    y = x.scatter_add(0, ember.tensor([0, 0, 4, -1]), ember.tensor([1, 2, 3, 4]))
    np.testing.assert_array_equal(y.numpy(), [3, 0, 0, 0, 7])
    np.testing.assert_array_equal(x.numpy(), np.zeros(5))


# ---- nonzero / masked_fill ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_, np.uint8])
def test_nonzero_matches_numpy(dtype):
    a = (np.random.randn(3, 4, 2) > 0.3).astype(dtype) * (np.arange(24).reshape(3, 4, 2) % 3 != 0)
    a = a.astype(dtype)
    r = ember.nonzero(et(a))
    assert r.dtype == ember.int64
    np.testing.assert_array_equal(r.numpy(), np.argwhere(a))
    tup = et(a).nonzero(as_tuple=True)
    assert len(tup) == 3
    for got, want in zip(tup, np.nonzero(a)):
        np.testing.assert_array_equal(got.numpy(), want)


def test_nonzero_edge_cases():
    assert tuple(ember.nonzero(ember.zeros(2, 3)).shape) == (0, 2)
    assert tuple(ember.nonzero(scalar(5.0)).shape) == (1, 0)
    assert tuple(ember.nonzero(scalar(0.0)).shape) == (0, 0)
    (t,) = scalar(5.0).nonzero(as_tuple=True)
    np.testing.assert_array_equal(t.numpy(), [0])
    x = et(A).transpose(0, 2)  # non-contiguous: row-major order of the transposed view
    np.testing.assert_array_equal(
        ember.nonzero(x > 15).numpy(), np.argwhere(A.transpose(2, 1, 0) > 15)
    )
    np.testing.assert_array_equal(ember.nonzero(ember.tensor([0.0, float("nan")])).numpy(), [[1]])


def test_masked_fill_matches_numpy_and_broadcasts():
    m = np.array([True, False, True, False])
    r = et(A).masked_fill(ember.tensor(m), -1.0)
    np.testing.assert_array_equal(r.numpy(), np.where(m, -1.0, A))
    r2 = ember.zeros(3).masked_fill(ember.ones(2, 3, dtype=ember.bool), 1.0)
    assert tuple(r2.shape) == (2, 3)
    ri = ember.zeros(3, dtype=ember.int64).masked_fill(ember.tensor([True, False, True]), 1.7)
    np.testing.assert_array_equal(ri.numpy(), [1, 0, 1])
    assert ri.dtype == ember.int64
    r3 = et(A).masked_fill(ember.tensor(MASK), scalar(np.float32(2.5)))
    np.testing.assert_array_equal(r3.numpy(), np.where(MASK, 2.5, A))


def test_masked_fill_gradients_match_torch_and_gradcheck():
    a = np.random.randn(3, 4)
    m = np.random.rand(3, 4) > 0.5
    x, t = et(a, True), tt(a, True)
    y = x.masked_fill(ember.tensor(m), 0.5)
    u = t.masked_fill(torch.tensor(m), 0.5)
    g = np.random.randn(3, 4)
    y.backward(et(g))
    u.backward(tt(g))
    np.testing.assert_allclose(to_np(y), u.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    assert y.grad_fn.name() == "MaskedFillBackward0"
    mb = ember.tensor(m[0])  # broadcast mask
    assert gradcheck(lambda x: x.masked_fill(mb, 2.0), (et(a, True),))


def test_masked_fill_inplace():
    x = et(A)
    out = x.masked_fill_(ember.tensor(MASK), 0.0)
    np.testing.assert_array_equal(x.numpy(), np.where(MASK, 0.0, A))
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    row = np.array([True, False, False, True])
    x.masked_fill_(ember.tensor(row), 7.0)  # broadcast to x
    np.testing.assert_array_equal(x.numpy(), np.where(row, 7.0, np.where(MASK, 0.0, A)))
    a = np.random.randn(3, 4)
    w, t = et(a, True), tt(a, True)
    y = w * 3
    u = t * 3
    y.masked_fill_(ember.tensor(a > 0), 1.0)
    u.masked_fill_(torch.tensor(a > 0), 1.0)
    y.sum().backward()
    u.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), t.grad.numpy())


# ---- errors -------------------------------------------------------------------------------


def oob(op, value, dim, size):
    """The out-of-range message every indexing op raises."""
    return rf"{op}: index {value} is out of bounds for dimension {dim} with size {size}"


def test_out_of_range_indices_raise_index_error_naming_value_dim_and_size():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match=oob("index", 5, 0, 3)):
        x[5]
    with pytest.raises(IndexError, match=oob("index", -5, 1, 4)):
        x[0, -5]
    with pytest.raises(IndexError, match=oob("index", 4, 1, 4)):
        x[:, ember.tensor([0, 4])]
    with pytest.raises(IndexError, match=oob("index", -4, 0, 3)):
        x[[-4]]
    with pytest.raises(IndexError, match=oob("index_select", 3, 0, 3)):
        x.index_select(0, ember.tensor([3]))
    with pytest.raises(IndexError, match=oob("gather", 7, 1, 4)):
        x.gather(1, ember.tensor([[7]]))
    with pytest.raises(IndexError, match=oob("scatter_add", -6, 1, 4)):
        x.scatter_add(1, ember.tensor([[-6]]), ember.ones(1, 1))
    with pytest.raises(IndexError, match=oob("index_put_", 9, 0, 3)):
        x[ember.tensor([9])] = 1.0
    with pytest.raises(IndexError, match=oob("index_put_", 3, 0, 3)):
        x.index_put_((ember.tensor([3]),), ember.tensor(1.0))


def test_too_many_indices_raise():
    x = ember.zeros(2, 3)
    msg = r"index: too many indices for tensor of dimension 2 \(got 3\)"
    with pytest.raises(IndexError, match=msg):
        x[0, 1, 0]
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 2"):
        x[:, :, [0]]
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 0"):
        scalar(1.0)[0]
    with pytest.raises(IndexError, match=r"too many indices"):
        x.index_put_((ember.tensor([0]), ember.tensor([0]), ember.tensor([0])), ember.tensor(1.0))
    with pytest.raises(IndexError, match=r"single ellipsis"):
        x[..., ...]


def test_wrong_mask_shape_raises():
    x = ember.zeros(2, 3)
    msg = (
        r"index: the shape of the mask \(3, 2\) at index 0 does not match the shape of the "
        r"indexed tensor \(2, 3\) at index 0"
    )
    with pytest.raises(IndexError, match=msg):
        x[ember.ones(3, 2, dtype=ember.bool)]
    with pytest.raises(IndexError, match=r"shape of the mask \(2,\) at index 0"):
        x[:, [True, False]]
    msg = r"masked_fill: shapes \(2, 3\) and \(2,\) cannot be broadcast"
    with pytest.raises(ValueError, match=msg):
        x.masked_fill(ember.tensor([True, False]), 1.0)
    msg = r"masked_fill_: mask of shape \(2, 2, 3\) cannot be broadcast"
    with pytest.raises(ValueError, match=msg):
        x.masked_fill_(ember.ones(2, 2, 3, dtype=ember.bool), 1.0)


def test_bad_index_types_and_steps_raise():
    x = ember.zeros(4, 3)
    with pytest.raises(ValueError, match=r"index: slice step must be greater than zero, got -1"):
        x[::-1]
    msg = r"index: tensors used as indices must be int64, int32 or bool tensors, got float32"
    with pytest.raises(IndexError, match=msg):
        x[ember.tensor([0.0])]
    with pytest.raises(IndexError, match=r"only integers, slices .* valid indices \(got float\)"):
        x[1.5]
    with pytest.raises(IndexError, match=r"must be of integer or bool type"):
        x[[0.5, 1.0]]
    msg = (
        r"index: shape mismatch: indexing tensors could not be broadcast together with "
        r"shapes \(2,\), \(3,\)"
    )
    with pytest.raises(IndexError, match=msg):
        x[[0, 1], [0, 1, 2]]
    msg = r"index_select: expected index of dtype int64 or int32, got float32"
    with pytest.raises(TypeError, match=msg):
        x.index_select(0, ember.tensor([0.0]))
    with pytest.raises(IndexError, match=r"index_select: index must be a vector"):
        x.index_select(0, ember.tensor([[0]]))
    with pytest.raises(TypeError, match=r"gather: expected index of dtype int64 or int32"):
        x.gather(0, ember.tensor([[0.0]]))
    msg = r"gather: index must have the same number of dimensions"
    with pytest.raises(ValueError, match=msg):
        x.gather(0, ember.tensor([0]))
    msg = r"gather: index of shape \(5, 1\) must be no larger than input"
    with pytest.raises(ValueError, match=msg):
        x.gather(1, ember.zeros(5, 1, dtype=ember.int64))
    msg = r"scatter_add: expected src to have the dtype of input \(float32\), got float64"
    with pytest.raises(TypeError, match=msg):
        x.scatter_add(0, ember.tensor([[0]]), ember.ones(1, 1, dtype=ember.float64))
    with pytest.raises(TypeError, match=r"masked_fill: mask must be a bool tensor, got int64"):
        x.masked_fill(ember.tensor([1, 0, 1]), 1.0)
    with pytest.raises(TypeError, match=r"index_put_: values must have the dtype"):
        x.index_put_((ember.tensor([0]),), ember.ones(3, dtype=ember.float64))


def test_setitem_value_shape_mismatch_raises():
    x = ember.zeros(2, 3)
    msg = (
        r"index_put_: shape mismatch: value tensor of shape \(2,\) cannot be broadcast to "
        r"indexing result of shape \(3,\)"
    )
    with pytest.raises(ValueError, match=msg):
        x[0] = ember.ones(2)
    with pytest.raises(ValueError, match=r"shape mismatch: value tensor of shape \(4,\)"):
        x[[0, 1]] = ember.ones(4)
    w = ember.ones(2, 3, requires_grad=True) * 1
    with pytest.raises(ValueError, match=r"shape mismatch"):
        w[:, 0] = ember.ones(3)


# ---- hypothesis: random basic index tuples vs numpy ---------------------------------------


@st.composite
def shape_and_basic_key(draw):
    shape = draw(st.lists(st.integers(0, 4), min_size=0, max_size=4))
    items = []
    dim = 0
    used_ellipsis = False
    while dim < len(shape) and draw(st.booleans()):
        kind = draw(st.sampled_from(["int", "slice", "none", "ellipsis"]))
        if kind == "int" and shape[dim] > 0:
            items.append(draw(st.integers(-shape[dim], shape[dim] - 1)))
            dim += 1
        elif kind == "slice" or kind == "int":
            start = draw(st.none() | st.integers(-6, 6))
            stop = draw(st.none() | st.integers(-6, 6))
            step = draw(st.none() | st.integers(1, 3))
            items.append(slice(start, stop, step))
            dim += 1
        elif kind == "none":
            items.append(None)
        elif not used_ellipsis:
            used_ellipsis = True
            items.append(Ellipsis)
            dim = len(shape)  # the rest is covered; trailing items may follow
            if draw(st.booleans()):
                items.append(None)
    return tuple(shape), tuple(items)


@settings(max_examples=150, deadline=None)
@given(shape_and_basic_key(), st.booleans())
def test_hypothesis_basic_indexing_matches_numpy(shape_key, write):
    shape, key = shape_key
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = et(a)
    r = x[key]
    e = a[key]
    assert tuple(r.shape) == e.shape
    np.testing.assert_array_equal(r.numpy(), e)
    if write:
        # The result is a view: writing into it writes into x, like numpy's basic indexing.
        r.fill_(-1.0)
        a[key] = -1.0
        np.testing.assert_array_equal(x.numpy(), a)
    else:
        x[key] = 7.0
        a[key] = 7.0
        np.testing.assert_array_equal(x.numpy(), a)


@st.composite
def shape_and_advanced_key(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    n = draw(st.integers(0, 3))
    items = []
    for size in shape:
        kind = draw(st.sampled_from(["array", "slice", "stop"]))
        if kind == "stop":
            break
        if kind == "slice":
            items.append(slice(draw(st.none() | st.integers(-4, 4)), None, draw(st.integers(1, 2))))
        else:
            vals = draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
            items.append(np.array(vals, dtype=np.int64))
        if draw(st.booleans()):
            items.append(None)
    return tuple(shape), tuple(items)


@settings(max_examples=150, deadline=None)
@given(shape_and_advanced_key())
def test_hypothesis_advanced_indexing_matches_numpy(shape_key):
    # Integer arrays mixed with slices and None, adjacent or separated (placement rule).
    shape, key = shape_key
    a = np.random.randn(*shape).astype(np.float32)
    x = et(a)
    r = x[ember_key(key)]
    e = a[key]
    assert tuple(r.shape) == e.shape
    np.testing.assert_array_equal(r.numpy(), e)
    x[key] = -2.0
    a[key] = -2.0
    np.testing.assert_array_equal(x.numpy(), a)


# ---- more edge cases ----------------------------------------------------------------------


def test_augmented_assignment_through_index():
    x = et(np.arange(5, dtype=np.float32))
    x[[0, 2]] += 10.0
    x[1:3] *= 2.0
    np.testing.assert_array_equal(x.numpy(), [10, 2, 24, 3, 4])


def test_setitem_empty_and_bool_scalar_keys():
    x = et(A)
    x[[]] = 1.0
    x[False] = 1.0
    np.testing.assert_array_equal(x.numpy(), A)
    x[True] = 2.0
    np.testing.assert_array_equal(x.numpy(), np.full_like(A, 2.0))


def test_setitem_0d_tensor_with_and_without_autograd():
    s = scalar(np.float32(1.0))
    s[()] = 2.0
    assert s.item() == 2.0
    s[...] = ember.ones(1, 1)
    assert s.item() == 1.0
    s[None] = 4.0
    assert s.item() == 4.0
    w = scalar(3.0).requires_grad_(True)
    y = w * 2
    v = scalar(5.0).requires_grad_(True)
    y[()] = v * 3
    y.backward()
    assert y.item() == 15.0
    assert w.grad.item() == 0.0 and v.grad.item() == 3.0


def test_setitem_on_view_under_autograd_writes_the_base():
    x = ember.ones(2, 3, requires_grad=True)
    y = x * 2
    row = y[0]
    row[1] = 5.0
    np.testing.assert_array_equal(y.detach().numpy(), [[2, 5, 2], [2, 2, 2]])
    (y * ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 0, 6], [8, 10, 12]])


def test_index_put_with_bool_mask_indices():
    x = et(A)
    x.index_put_((ember.tensor(MASK),), ember.tensor(-1.0))
    np.testing.assert_array_equal(x.numpy(), np.where(MASK, -1.0, A))
    y = et(A)
    y.index_put_((None, ember.tensor(MASK[0, :, 0])), ember.tensor(0.0), accumulate=True)
    np.testing.assert_array_equal(y.numpy(), A)


def test_indexing_zero_sized_dims():
    x = ember.zeros(3, 0, 2)
    assert tuple(x[[0, 2]].shape) == (2, 0, 2)
    assert tuple(x[1:1].shape) == (0, 0, 2)
    with pytest.raises(IndexError, match=r"index 0 is out of bounds for dimension 1 with size 0"):
        x[:, 0]
    assert tuple(x.index_select(0, ember.tensor([1])).shape) == (1, 0, 2)
    assert tuple(x.gather(0, ember.zeros(1, 0, 2, dtype=ember.int64)).shape) == (1, 0, 2)
    assert tuple(ember.nonzero(x).shape) == (0, 3)


def test_index_ops_on_0d_inputs():
    s = scalar(4.0)
    assert s.index_select(0, ember.tensor([0])).item() == 4.0
    assert s.gather(0, scalar(0)).item() == 4.0
    r = s.scatter_add(0, scalar(0), scalar(1.5))
    assert tuple(r.shape) == () and r.item() == 5.5
    w = scalar(2.0).requires_grad_(True)
    assert gradcheck(lambda w: w.gather(0, scalar(0)) * 3, (w,))


def test_masked_fill_gradcheck_when_input_broadcasts_to_mask():
    x = et(np.random.randn(4), True)
    m = ember.tensor(np.random.rand(3, 4) > 0.5)
    assert gradcheck(lambda x: x.masked_fill(m, 1.0), (x,))
