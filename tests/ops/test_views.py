"""Shape and view ops: values vs NumPy, memory sharing, errors, gradients."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")


def _arange(*shape: int, dtype=np.float32) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def _shares_memory(a: ember.Tensor, b: ember.Tensor) -> bool:
    return a.untyped_storage_ptr() == b.untyped_storage_ptr()


# Each entry: (ember function, numpy function) applied to a (2, 3, 4) array.
VIEW_OPS = {
    "view": (lambda t: t.view(4, 6), lambda a: a.reshape(4, 6)),
    "view_infer": (lambda t: t.view(-1, 4), lambda a: a.reshape(-1, 4)),
    "view_tuple": (lambda t: t.view((3, 8)), lambda a: a.reshape(3, 8)),
    "reshape": (lambda t: t.reshape(6, 4), lambda a: a.reshape(6, 4)),
    "reshape_fn": (lambda t: ember.reshape(t, (24,)), lambda a: a.reshape(24)),
    "transpose": (lambda t: t.transpose(0, 2), lambda a: a.transpose(2, 1, 0)),
    "transpose_neg": (lambda t: t.transpose(-1, -2), lambda a: a.swapaxes(-1, -2)),
    "permute": (lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    "permute_fn": (lambda t: ember.permute(t, (1, 2, 0)), lambda a: a.transpose(1, 2, 0)),
    "T": (lambda t: t.T, lambda a: a.transpose(2, 1, 0)),
    "mT": (lambda t: t.mT, lambda a: a.swapaxes(-1, -2)),
    "expand": (
        lambda t: t.narrow(0, 0, 1).expand(3, 3, 4),
        lambda a: np.broadcast_to(a[0:1], (3, 3, 4)),
    ),
    "expand_new_dims": (lambda t: t.expand(2, 2, 3, 4), lambda a: np.broadcast_to(a, (2, 2, 3, 4))),
    "unsqueeze": (lambda t: t.unsqueeze(1), lambda a: a[:, None]),
    "unsqueeze_end": (lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    "squeeze": (lambda t: t.unsqueeze(0).unsqueeze(3).squeeze(), lambda a: a),
    "squeeze_dim": (lambda t: t.unsqueeze(1).squeeze(1), lambda a: a),
    "squeeze_nonsingleton": (lambda t: t.squeeze(0), lambda a: a),
    "flatten": (lambda t: t.flatten(), lambda a: a.reshape(-1)),
    "flatten_range": (lambda t: t.flatten(1, 2), lambda a: a.reshape(2, 12)),
    "narrow": (lambda t: t.narrow(2, 1, 2), lambda a: a[:, :, 1:3]),
    "narrow_neg": (lambda t: t.narrow(-2, -2, 2), lambda a: a[:, 1:3, :]),
    "select": (lambda t: t.select(1, 2), lambda a: a[:, 2]),
    "select_neg": (lambda t: t.select(-1, -1), lambda a: a[..., -1]),
}
VIEW_IDS = list(VIEW_OPS)


@pytest.mark.parametrize("name", VIEW_IDS)
def test_view_values_match_numpy(name: str) -> None:
    f, ref = VIEW_OPS[name]
    a = _arange(2, 3, 4)
    t = ember.tensor(a)
    out = f(t)
    np.testing.assert_array_equal(out.numpy(), ref(a))


@pytest.mark.parametrize("name", VIEW_IDS)
def test_views_share_memory_with_base(name: str) -> None:
    f, _ = VIEW_OPS[name]
    t = ember.tensor(_arange(2, 3, 4))
    out = f(t)
    assert _shares_memory(out, t)
    # A write through the base shows in the view.
    before = out.numpy().copy()
    t.add_(1.0)
    np.testing.assert_array_equal(out.numpy(), before + 1)


@pytest.mark.parametrize("name", VIEW_IDS)
def test_view_ops_gradcheck(name: str) -> None:
    f, _ = VIEW_OPS[name]
    x = ember.tensor(np.random.default_rng(0).normal(size=(2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: f(t) * 1.0, [x])


@pytest.mark.parametrize("name", VIEW_IDS)
def test_view_ops_match_torch_gradients(name: str) -> None:
    f, _ = VIEW_OPS[name]
    a = np.random.default_rng(1).normal(size=(2, 3, 4))
    x = ember.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    y = f(x)
    ty = (
        f(tx)
        if name not in ("reshape_fn", "permute_fn")
        else (torch.reshape(tx, (24,)) if name == "reshape_fn" else torch.permute(tx, (1, 2, 0)))
    )
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    w = np.random.default_rng(2).normal(size=tuple(ty.shape))
    y.backward(ember.tensor(w))
    ty.backward(torch.tensor(w))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_view_of_transposed_raises() -> None:
    t = ember.tensor(_arange(3, 4)).transpose(0, 1)
    with pytest.raises(RuntimeError, match=r"view: .*\(4, 3\).*strides \(1, 4\).*reshape"):
        t.view(12)


def test_view_of_stepped_slice_raises_but_reshape_copies() -> None:
    base = ember.tensor(_arange(4, 6))
    t = base.narrow(1, 0, 3)
    with pytest.raises(RuntimeError, match="view"):
        t.view(12)
    r = t.reshape(12)
    np.testing.assert_array_equal(r.numpy(), _arange(4, 6)[:, :3].reshape(12))
    assert not _shares_memory(r, base)


def test_view_merging_contiguous_dims_of_non_contiguous_tensor() -> None:
    # (2, 3, 4) transposed on dims 0/1: dims 1 and 2 (3, 4 in the original) are still mergeable.
    a = _arange(3, 2, 4)
    t = ember.tensor(a).transpose(0, 1)  # (2, 3, 4), strides (4, 8, 1)
    v = t.view(2, 3, 2, 2)
    np.testing.assert_array_equal(v.numpy(), a.transpose(1, 0, 2).reshape(2, 3, 2, 2))
    assert _shares_memory(v, t)


def test_view_bad_size_raises_value_error() -> None:
    t = ember.zeros(2, 3)
    with pytest.raises(ValueError, match=r"view: shape \(4, 2\) is invalid for input of size 6"):
        t.view(4, 2)
    with pytest.raises(ValueError, match="only one dimension can be inferred"):
        t.view(-1, -1)


def test_reshape_of_contiguous_is_view_and_of_transposed_copies() -> None:
    t = ember.tensor(_arange(3, 4))
    assert _shares_memory(t.reshape(4, 3), t)
    tt = t.transpose(0, 1)
    r = tt.reshape(12)
    assert not _shares_memory(r, t)
    np.testing.assert_array_equal(r.numpy(), _arange(3, 4).T.reshape(12))


def test_view_of_empty_and_zero_dim() -> None:
    e = ember.zeros(0, 3)
    assert tuple(e.view(3, 0).shape) == (3, 0)
    assert tuple(e.reshape(-1).shape) == (0,)
    s = ember.tensor(5.0)
    assert tuple(s.view(1, 1).shape) == (1, 1)
    assert tuple(s.reshape(()).shape) == ()
    assert s.view(1).item() == 5.0


def test_expand_errors_and_stride_zero() -> None:
    t = ember.tensor([[1.0], [2.0]])
    e = t.expand(2, 3)
    assert e.stride() == (1, 0)
    with pytest.raises(ValueError, match="expand"):
        t.expand(3, 3)
    with pytest.raises(ValueError, match="expand"):
        t.expand(3)
    np.testing.assert_array_equal(t.expand(-1, 4).numpy(), np.repeat([[1.0], [2.0]], 4, 1))


def test_transpose_and_permute_errors() -> None:
    t = ember.zeros(2, 3)
    with pytest.raises(IndexError, match="transpose: dim 2 is out of range"):
        t.transpose(0, 2)
    with pytest.raises(ValueError, match="permute"):
        t.permute(0)
    with pytest.raises(ValueError, match="permute: dim 0 is repeated"):
        t.permute(0, 0)
    with pytest.raises(ValueError, match="mT"):
        ember.zeros(3).mT  # noqa: B018


def test_squeeze_unsqueeze_edge_cases() -> None:
    s = ember.tensor(1.0)
    assert tuple(s.unsqueeze(0).shape) == (1,)
    assert tuple(s.squeeze().shape) == ()
    t = ember.zeros(1, 2, 1)
    assert tuple(t.squeeze((0, 2)).shape) == (2,)
    assert tuple(t.squeeze(-1).shape) == (1, 2)
    with pytest.raises(IndexError, match="unsqueeze"):
        t.unsqueeze(4)


def test_select_narrow_errors() -> None:
    t = ember.zeros(2, 3)
    with pytest.raises(IndexError, match="out of bounds"):
        t.select(1, 3)
    with pytest.raises(IndexError):
        ember.tensor(1.0).select(0, 0)
    with pytest.raises(ValueError, match="narrow"):
        t.narrow(1, 2, 2)


def test_flatten_zero_dim_and_errors() -> None:
    assert tuple(ember.tensor(3.0).flatten().shape) == (1,)
    with pytest.raises(ValueError, match="flatten"):
        ember.zeros(2, 3, 4).flatten(2, 1)


# ---- cat / stack / split / chunk ----------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_matches_numpy(dim: int) -> None:
    a, b = _arange(2, 3), _arange(2, 3) + 10
    out = ember.cat([ember.tensor(a), ember.tensor(b)], dim)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a, b], dim))


def test_cat_promotes_dtypes_and_skips_1d_empty() -> None:
    out = ember.cat([ember.tensor([1, 2]), ember.tensor([0.5])])
    assert out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.0, 0.5])
    out = ember.cat([ember.zeros(0), ember.ones(2, 2)], 1)
    assert tuple(out.shape) == (2, 2)


def test_cat_non_contiguous_inputs() -> None:
    a = _arange(3, 2)
    out = ember.cat([ember.tensor(a).T, ember.tensor(a).T], 0)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a.T, a.T], 0))


def test_cat_errors() -> None:
    with pytest.raises(ValueError, match="cat: expected a non-empty list"):
        ember.cat([])
    with pytest.raises(ValueError, match=r"cat: sizes of tensors must match.*\(2, 3\).*\(2, 4\)"):
        ember.cat([ember.zeros(2, 3), ember.zeros(2, 4)], 0)
    with pytest.raises(ValueError, match="zero-dimensional"):
        ember.cat([ember.tensor(1.0), ember.tensor(2.0)])


def test_cat_gradient_matches_torch() -> None:
    a = np.random.default_rng(0).normal(size=(2, 3))
    b = np.random.default_rng(1).normal(size=(2, 2))
    xa, xb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    assert gradcheck(lambda p, q: ember.cat([p, q], 1), [xa, xb])
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    w = np.random.default_rng(2).normal(size=(2, 5))
    ember.cat([xa, xb], 1).backward(ember.tensor(w))
    torch.cat([ta, tb], 1).backward(torch.tensor(w))
    np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(xb.grad.numpy(), tb.grad.numpy())


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack_matches_numpy(dim: int) -> None:
    arrs = [_arange(2, 3) + i for i in range(3)]
    out = ember.stack([ember.tensor(a) for a in arrs], dim)
    np.testing.assert_array_equal(out.numpy(), np.stack(arrs, dim))


def test_stack_errors_and_gradient() -> None:
    with pytest.raises(ValueError, match="stack: expects each tensor to be equal size"):
        ember.stack([ember.zeros(2), ember.zeros(3)])
    xs = [
        ember.tensor(np.random.default_rng(i).normal(size=(2,)), requires_grad=True)
        for i in range(3)
    ]
    assert gradcheck(lambda *t: ember.stack(list(t), 1), xs)


def test_split_and_chunk_match_torch() -> None:
    a = _arange(7, 2)
    t, tt = ember.tensor(a), torch.tensor(a)
    for ours, theirs in [
        (t.split(3), tt.split(3)),
        (t.split([2, 5]), tt.split([2, 5])),
        (ember.split(t, 1, 1), torch.split(tt, 1, 1)),
        (t.chunk(3), tt.chunk(3)),
        (t.chunk(4, 0), tt.chunk(4, 0)),
        (t.chunk(5, 1), tt.chunk(5, 1)),
    ]:
        assert len(ours) == len(theirs)
        for o, p in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), p.numpy())
            assert _shares_memory(o, t)


def test_split_errors() -> None:
    t = ember.zeros(5)
    with pytest.raises(ValueError, match=r"split: split sizes \(2, 2\) sum to 4"):
        t.split([2, 2])
    with pytest.raises(ValueError, match="chunk: chunks must be positive"):
        t.chunk(0)


def test_split_gradient() -> None:
    x = ember.tensor(np.random.default_rng(0).normal(size=(5, 2)), requires_grad=True)
    assert gradcheck(lambda t: t.split([2, 3])[1] * 2.0, [x])


ZERO_DIM_VIEWS = {
    "transpose": lambda t: t.transpose(0, -1),
    "T": lambda t: t.T,
    "squeeze": lambda t: t.squeeze(),
    "unsqueeze": lambda t: t.unsqueeze(0),
    "flatten": lambda t: t.flatten(),
    "view": lambda t: t.view(1, 1),
    "reshape": lambda t: t.reshape(()),
    "expand": lambda t: t.expand(3),
    "permute": lambda t: t.permute(),
}


@pytest.mark.parametrize("name", list(ZERO_DIM_VIEWS))
def test_zero_dim_views_keep_gradient(name: str) -> None:
    x = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    y = ZERO_DIM_VIEWS[name](x)
    assert y.requires_grad and y.grad_fn is not None
    assert gradcheck(lambda t: ZERO_DIM_VIEWS[name](t) * 3.0, [x])


@pytest.mark.parametrize(
    "shape,offset,dim1,dim2",
    [((3, 4), 0, 0, 1), ((3, 4), 1, 0, 1), ((3, 4), -2, 0, 1), ((2, 3, 4), 1, 1, 2),
     ((2, 3, 4), -1, 2, 0), ((3, 4), 5, 0, 1), ((4, 3), -5, 1, 0)],
)
def test_diagonal_is_a_view_with_torchs_values_and_gradients(shape, offset, dim1, dim2):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal(shape)
    e = ember.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    de, dt = ember.diagonal(e, offset, dim1, dim2), torch.diagonal(t, offset, dim1, dim2)
    np.testing.assert_array_equal(de.detach().numpy(), dt.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(dt.shape))
    (de * ember.tensor(w)).sum().backward()
    (dt * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    base = ember.tensor(a)
    base.diagonal(offset, dim1, dim2).fill_(7.0)  # writes through, as in PyTorch
    expected = torch.tensor(a)
    expected.diagonal(offset, dim1, dim2).fill_(7.0)
    np.testing.assert_array_equal(base.numpy(), expected.numpy())


def test_diag_of_a_matrix_is_a_copy_unlike_diagonal():
    x = ember.tensor(np.arange(9.0).reshape(3, 3))
    d = ember.diag(x)
    d.fill_(0.0)
    np.testing.assert_array_equal(x.numpy(), np.arange(9.0).reshape(3, 3))
    y = ember.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    e = ember.diag(y)
    e.mul_(2.0)  # a fresh tensor: in-place under autograd is fine, as in PyTorch
    e.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), 2.0 * np.eye(3))
