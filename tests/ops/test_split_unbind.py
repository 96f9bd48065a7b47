"""split/chunk/unbind record one autograd node for all their views (the gradients are joined by
one cat or stack), and unary ops on strided float32 views take the vector kernels."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember import jit, nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_values_and_gradients_match_torch(dim):
    a = np.random.default_rng(0).normal(size=(3, 4, 5))
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    pe, pt = xe.unbind(dim), xt.unbind(dim)
    assert len(pe) == len(pt)
    for e, t in zip(pe, pt):
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    assert pe[0].grad_fn.name() == "UnbindBackward0"
    # Only some pieces used: the others get zeros.
    w = [float(i + 1) for i in range(len(pe))]
    (ge,) = ember.autograd.grad(sum((p * w[i]).sum() for i, p in enumerate(pe) if i % 2 == 0),
                                [xe])
    (gt,) = torch.autograd.grad(sum((p * w[i]).sum() for i, p in enumerate(pt) if i % 2 == 0),
                                [xt])
    np.testing.assert_array_equal(ge.numpy(), gt.numpy())
    assert ember.unbind(xe, dim)[0].shape == pt[0].shape
    with pytest.raises(IndexError, match="unbind: a 0-d tensor has no dim to unbind"):
        ember.tensor(1.0).unbind()


def test_split_and_chunk_share_one_node_and_support_double_backward():
    a = np.random.default_rng(1).normal(size=(6, 4))
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for sizes in ([1, 2, 3], 4):
        pe, pt = xe.split(sizes), xt.split(sizes)
        assert pe[0].grad_fn is pe[-1].grad_fn
        ye = (pe[0] ** 3).sum() + (pe[-1] ** 2).sum()
        yt = (pt[0] ** 3).sum() + (pt[-1] ** 2).sum()
        (ge,) = ember.autograd.grad(ye, [xe], create_graph=True)
        (gt,) = torch.autograd.grad(yt, [xt], create_graph=True)
        np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy(), rtol=1e-15)
        (he,) = ember.autograd.grad(ge.sum(), [xe])
        (ht,) = torch.autograd.grad(gt.sum(), [xt])
        np.testing.assert_allclose(he.numpy(), ht.numpy(), rtol=1e-15)
    ce = xe.chunk(3, 1)
    assert len(ce) == 2 and ce[0].grad_fn.name() == "SplitWithSizesBackward0"


def test_a_view_from_unbind_follows_its_base_changed_in_place():
    # As in PyTorch, the view's history is remade from the base's new one: d rows[0] / dx is 6.
    x = ember.ones(3, 2, requires_grad=True)
    y = x * 2
    rows = y.unbind(0)
    y.mul_(3)
    assert rows[0].tolist() == [6.0, 6.0]
    rows[0].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6, 6], [0, 0], [0, 0]])


def test_long_unbind_backward_is_linear():
    # 20000 pieces: one node whose backward is one stack (a node per piece took seconds).
    z = ember.randn(20000, 2, requires_grad=True)
    total = sum(p.sum() for p in z.unbind(0))
    total.backward()
    np.testing.assert_array_equal(z.grad.numpy(), np.ones((20000, 2)))


def test_unbind_and_split_trace_like_eager():
    def f(x):
        a, b, c = x.unbind(1)
        p, q = x.split([1, 2], 1)
        return (a * b - c).sum() + (p * q).sum()

    x = ember.randn(4, 3, requires_grad=True)
    traced = jit.function(lambda v: ember.autograd.grad(f(v), [v])[0])
    for _ in range(2):
        v = ember.randn(4, 3, requires_grad=True)
        np.testing.assert_array_equal(traced(v).numpy(),
                                      ember.autograd.grad(f(v), [v])[0].numpy())
    assert x.grad is None


@pytest.mark.parametrize("op", ["tanh", "sigmoid", "exp", "relu", "sqrt", "neg"])
def test_unary_ops_on_strided_views_equal_the_contiguous_result(op):
    x = ember.rand(16, 64) + 0.1
    view = x.chunk(4, -1)[1]
    transposed = x.t()
    f = getattr(ember, op)
    np.testing.assert_array_equal(f(view).numpy(), f(view.contiguous()).numpy())
    np.testing.assert_array_equal(f(transposed).numpy(), f(transposed.contiguous()).numpy())
    assert f(transposed).is_contiguous()


def test_multihead_self_attention_traced_with_aliased_inputs_serves_distinct_ones():
    m = nn.MultiheadAttention(8, 2).eval()
    f = jit.function(lambda q, k, v: m(q, k, v, need_weights=False)[0])
    x = ember.randn(3, 2, 8)
    f(x, x, x)
    y, z = ember.randn(3, 2, 8), ember.randn(3, 2, 8)
    with ember.no_grad():
        want = m(x, y, z, need_weights=False)[0]
    np.testing.assert_allclose(f(x, y, z).detach().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("take", [lambda y: y.unbind(0)[0], lambda y: y[0],
                                  lambda y: y.split(2, 1)[0], lambda y: y.narrow(1, 0, 2),
                                  lambda y: y.t()[1:]])
def test_a_no_grad_view_of_a_tensor_that_requires_grad_refuses_in_place_writes_under_grad(take):
    # PyTorch raises here too: the write would change the base behind autograd's back.
    x = ember.tensor(np.arange(12.0).reshape(3, 4) / 7, requires_grad=True)
    y = x * 1
    with ember.no_grad():
        v = take(y)
        w = v[0:1]  # a view of such a view is marked too
    for t in (v, w):
        with pytest.raises(RuntimeError, match="taken under no_grad from a tensor that requires "
                                               "grad, and is written in place with grad mode on"):
            t.mul_(2)
    with ember.no_grad():
        v.mul_(2)  # allowed without grad mode
    z = ember.ones(3)
    with ember.no_grad():
        u = z[0:2]
    u.mul_(2)  # the base does not require grad: nothing to protect
    np.testing.assert_array_equal(z.numpy(), [2.0, 2.0, 1.0])


def test_a_view_of_a_no_grad_view_taken_with_grad_on_is_refused_too():
    x = ember.ones(3, 4, requires_grad=True)
    y = x * 1
    with ember.no_grad():
        v = y[0]
    for write in (lambda: v.view(2, 2).mul_(2), lambda: v[1:].mul_(2),
                  lambda: v.unsqueeze(0).zero_()):
        with pytest.raises(RuntimeError, match="taken under no_grad"):
            write()
    with pytest.raises(RuntimeError, match="taken under no_grad"):
        v[0] = 5.0
    np.testing.assert_array_equal(y.detach().numpy(), np.ones((3, 4)))


def test_a_no_grad_view_may_be_written_once_its_base_is_frozen():
    # Fine-tuning: take a slice under no_grad, freeze the layer, write the slice (PyTorch
    # allows it: nothing that requires grad is behind the view any more).
    w = ember.ones(2, 3, requires_grad=True)
    with ember.no_grad():
        row = w[0]
    with pytest.raises(RuntimeError, match="taken under no_grad"):
        row.add_(1.0)
    w.requires_grad_(False)
    row.add_(1.0)
    row[0:1].mul_(3.0)  # a view of it, taken with grad on
    np.testing.assert_array_equal(w.numpy(), [[6.0, 2.0, 2.0], [1.0, 1.0, 1.0]])
