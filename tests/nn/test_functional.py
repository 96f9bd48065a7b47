"""nn.functional and the C++ nn ops vs torch, closed forms and finite differences."""

from __future__ import annotations

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember.autograd import gradcheck

from ._util import assert_close, et, pair, to_np

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def backward_both(e_out, t_out, seed=0):
    g = np.asarray(np.random.RandomState(seed).randn(*tuple(t_out.shape))).astype(
        t_out.detach().numpy().dtype
    )
    e_out.backward(et(g))
    t_out.backward(torch.tensor(g))


# ---- softmax / log_softmax -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape,dim",
    [((5,), 0), ((3, 7), -1), ((3, 7), 0), ((2, 3, 4), 1), ((2, 3, 4), 2), ((), 0), ((4, 0), 1)],
)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_matches_torch(name, shape, dim, dtype):
    x = (np.asarray(np.random.randn(*shape)) * 3).astype(dtype)
    e, t = pair(x, requires_grad=True)
    eo, to = getattr(F, name)(e, dim), getattr(TF, name)(t, dim)
    assert_close(eo, to)
    if eo.numel():
        backward_both(eo, to)
        assert_close(e.grad, t.grad)


def test_softmax_noncontiguous_input():
    x = np.random.randn(4, 6).astype(np.float32)
    e, t = pair(x)
    assert_close(F.softmax(e.t_all() if hasattr(e, "t_all") else e.transpose(0, 1), 1), TF.softmax(t.T, 1))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_large_logits_finite(name):
    x = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4]], dtype=np.float32)
    e, t = pair(x, requires_grad=True)
    eo = getattr(F, name)(e, 1)
    assert np.isfinite(to_np(eo)).all()
    assert_close(eo, getattr(TF, name)(t, 1))
    eo.sum().backward()
    assert np.isfinite(to_np(e.grad)).all()


def test_softmax_closed_form_and_rows_sum_to_one():
    x = ember.tensor([[0.0, np.log(3.0)]], dtype=ember.float64)
    np.testing.assert_allclose(to_np(F.softmax(x, 1)), [[0.25, 0.75]], rtol=1e-12)
    np.testing.assert_allclose(to_np(F.log_softmax(x, 1)), np.log([[0.25, 0.75]]), rtol=1e-12)
    y = F.softmax(ember.randn(5, 9), -1)
    np.testing.assert_allclose(to_np(y.sum(-1)), np.ones(5), rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_softmax_gradcheck(name, dim):
    x = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda v: getattr(F, name)(v, dim), (x,))


def test_softmax_double_backward_gradcheck():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)

    def first_grad(v):
        with ember.enable_grad():  # gradcheck evaluates finite differences under no_grad
            y = F.log_softmax(v, 1)
            w = ember.tensor(np.arange(12.0).reshape(3, 4))
            (g,) = ember.autograd.grad((y * y * w).sum(), (v,), create_graph=True)
        return g

    assert gradcheck(first_grad, (x,))


def test_softmax_errors():
    with pytest.raises(TypeError, match="softmax: expected input to have a floating dtype"):
        F.softmax(ember.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="softmax"):
        F.softmax(ember.randn(2, 3), 2)


def test_softmax_tensor_method():
    x = ember.randn(2, 3)
    np.testing.assert_allclose(to_np(x.softmax(1)), to_np(F.softmax(x, 1)))


# ---- cross entropy / nll ------------------------------------------------------------------


def ce_case(shape, C, dtype=np.float32, seed=0, ignore=None):
    rs = np.random.RandomState(seed)
    x = (rs.randn(*shape) * 2).astype(dtype)
    tshape = (shape[0],) + tuple(shape[2:]) if len(shape) > 1 else ()
    tgt = np.asarray(rs.randint(0, C, size=tshape)).astype(np.int64)
    if ignore is not None and tgt.size:
        flat = tgt.reshape(-1)
        flat[::3] = ignore
    return x, tgt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (6, 5), (4, 5, 3), (2, 5, 3, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_index_targets_match_torch(shape, reduction, weighted, smoothing, dtype):
    C = 5
    x, tgt = ce_case(shape, C, dtype, ignore=-100 if len(shape) > 1 else None)
    w = np.linspace(0.5, 2.0, C).astype(dtype) if weighted else None
    e, t = pair(x, requires_grad=True)
    ew = ember.tensor(w) if weighted else None
    tw = torch.tensor(w) if weighted else None
    eo = F.cross_entropy(e, et(tgt), weight=ew, reduction=reduction, label_smoothing=smoothing)
    to = TF.cross_entropy(
        t, torch.tensor(tgt), weight=tw, reduction=reduction, label_smoothing=smoothing
    )
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(e.grad, t.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4), (3,)])
def test_cross_entropy_probability_targets_match_torch(shape, reduction, weighted, smoothing):
    rs = np.random.RandomState(1)
    x = np.asarray(rs.randn(*shape))
    p = np.asarray(rs.rand(*shape))
    p = p / p.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    e, t = pair(x, requires_grad=True)
    w = np.array([0.2, 1.0, 3.0])
    kw_e = dict(weight=ember.tensor(w)) if weighted else {}
    kw_t = dict(weight=torch.tensor(w)) if weighted else {}
    eo = F.cross_entropy(e, ember.tensor(p), reduction=reduction, label_smoothing=smoothing, **kw_e)
    to = TF.cross_entropy(
        t, torch.tensor(p), reduction=reduction, label_smoothing=smoothing, **kw_t
    )
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(e.grad, t.grad)


def test_cross_entropy_custom_ignore_index_and_weighted_mean_closed_form():
    x = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]))
    tgt = np.array([0, 1, 7])
    w = np.array([2.0, 1.0, 5.0])
    loss = F.cross_entropy(
        ember.tensor(x), ember.tensor(tgt), weight=ember.tensor(w), ignore_index=7
    )
    expect = (2.0 * -np.log(0.5) + 1.0 * -np.log(0.8)) / (2.0 + 1.0)
    np.testing.assert_allclose(loss.item(), expect, rtol=1e-12)


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x = np.random.randn(2, 3)
    tgt = np.array([-100, -100])
    eo = F.cross_entropy(ember.tensor(x), ember.tensor(tgt))
    to = TF.cross_entropy(torch.tensor(x), torch.tensor(tgt))
    assert np.isnan(eo.item()) and np.isnan(to.item())


def test_cross_entropy_large_logits_finite():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], dtype=np.float32)
    tgt = np.array([1, 0])
    e, t = pair(x, requires_grad=True)
    eo = F.cross_entropy(e, ember.tensor(tgt))
    to = TF.cross_entropy(t, torch.tensor(tgt))
    assert np.isfinite(eo.item())
    assert_close(eo, to)
    eo.backward()
    to.backward()
    assert np.isfinite(to_np(e.grad)).all()
    assert_close(e.grad, t.grad)


def test_cross_entropy_gradcheck_float64():
    x = ember.randn(4, 5, 3, dtype=ember.float64, requires_grad=True)
    tgt = ember.tensor(np.random.randint(0, 5, size=(4, 3)))
    w = ember.tensor(np.linspace(0.5, 1.5, 5))
    assert gradcheck(lambda v: F.cross_entropy(v, tgt, weight=w, label_smoothing=0.1), (x,))


def test_cross_entropy_double_backward_gradcheck():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    tgt = ember.tensor([0, 3, 1])

    def first_grad(v):
        with ember.enable_grad():
            (g,) = ember.autograd.grad(F.cross_entropy(v, tgt), (v,), create_graph=True)
        return g

    assert gradcheck(first_grad, (x,))


def test_cross_entropy_bad_target_names_value_and_classes():
    x = ember.randn(3, 4)
    with pytest.raises(IndexError, match=r"cross_entropy: target 4 .*C = 4"):
        F.cross_entropy(x, ember.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match=r"cross_entropy: target -3 .*C = 4"):
        F.cross_entropy(x, ember.tensor([0, -3, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected target of shape \(3,\)"):
        F.cross_entropy(x, ember.tensor([0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), weight=ember.ones(3))
    with pytest.raises(TypeError, match="int64"):
        F.cross_entropy(x, ember.tensor([0, 1, 2], dtype=ember.int32))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_torch(reduction):
    x = np.random.randn(6, 4, 2)
    tgt = np.random.randint(0, 4, size=(6, 2))
    tgt[0, 0] = 2
    tgt[1, 1] = -1
    w = np.array([1.0, 2.0, 0.5, 3.0])
    e, t = pair(x, requires_grad=True)
    eo = F.nll_loss(
        e, ember.tensor(tgt), weight=ember.tensor(w), ignore_index=-1, reduction=reduction
    )
    to = TF.nll_loss(
        t, torch.tensor(tgt), weight=torch.tensor(w), ignore_index=-1, reduction=reduction
    )
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(e.grad, t.grad)


def test_nll_loss_gradcheck_and_bad_target():
    x = ember.randn(5, 3, dtype=ember.float64, requires_grad=True)
    tgt = ember.tensor([0, 2, 1, 1, -100])
    for red in ("mean", "sum", "none"):
        assert gradcheck(lambda v, r=red: F.nll_loss(v, tgt, reduction=r), (x,))
    with pytest.raises(IndexError, match=r"nll_loss: target 3 .*C = 3"):
        F.nll_loss(x, ember.tensor([0, 3, 1, 1, 1]))


# ---- binary cross entropy -----------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_matches_torch(reduction, weighted, pos, dtype):
    rs = np.random.RandomState(2)
    x = (rs.randn(4, 3) * 3).astype(dtype)
    y = rs.rand(4, 3).astype(dtype)
    w = rs.rand(4, 3).astype(dtype) if weighted else None
    pw = np.array([0.5, 2.0, 3.0], dtype=dtype) if pos else None
    e, t = pair(x, requires_grad=True)
    ey, ty = pair(y, requires_grad=True)
    eo = F.binary_cross_entropy_with_logits(
        e,
        ey,
        None if w is None else ember.tensor(w),
        reduction=reduction,
        pos_weight=None if pw is None else ember.tensor(pw),
    )
    to = TF.binary_cross_entropy_with_logits(
        t,
        ty,
        None if w is None else torch.tensor(w),
        reduction=reduction,
        pos_weight=None if pw is None else torch.tensor(pw),
    )
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(e.grad, t.grad)
    assert_close(ey.grad, ty.grad)


def test_bce_with_logits_extreme_logits_and_zero():
    x = np.array([1e4, -1e4, 0.0, 50.0, -50.0], dtype=np.float32)
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=np.float32)
    e, t = pair(x, requires_grad=True)
    eo = F.binary_cross_entropy_with_logits(e, ember.tensor(y), reduction="none")
    to = TF.binary_cross_entropy_with_logits(t, torch.tensor(y), reduction="none")
    assert_close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    assert_close(e.grad, t.grad)  # at x == 0 the gradient is sigmoid(0) - y = -0.5


def test_bce_with_logits_gradcheck_with_pos_weight():
    x = ember.randn(3, 2, dtype=ember.float64, requires_grad=True)
    y = ember.rand(3, 2, dtype=ember.float64, requires_grad=True)
    pw = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(
        lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, pos_weight=c), (x, y, pw)
    )


def test_bce_with_logits_shape_error():
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target size"):
        F.binary_cross_entropy_with_logits(ember.randn(3), ember.rand(4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_matches_torch_and_clamps(reduction):
    p = np.array([0.0, 0.3, 0.9, 1.0, 0.5])
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    e, t = pair(p)
    eo = F.binary_cross_entropy(e, ember.tensor(y), weight=ember.tensor(w), reduction=reduction)
    to = TF.binary_cross_entropy(t, torch.tensor(y), weight=torch.tensor(w), reduction=reduction)
    assert_close(eo, to)
    assert np.isfinite(to_np(eo)).all()
    ep = ember.tensor(np.array([0.2, 0.7]), requires_grad=True)
    tp = torch.tensor(np.array([0.2, 0.7]), requires_grad=True)
    F.binary_cross_entropy(ep, ember.tensor([0.0, 1.0], dtype=ember.float64)).backward()
    TF.binary_cross_entropy(tp, torch.tensor([0.0, 1.0], dtype=torch.float64)).backward()
    assert_close(ep.grad, tp.grad)


def test_binary_cross_entropy_gradient_at_saturated_probabilities_matches_torch():
    # sigmoid(20) rounds to exactly 1 in float32: the gradient must stay finite (0 where p == t).
    z = np.array([20.0, -20.0, 0.5, 30.0, -30.0], dtype=np.float32)
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0], dtype=np.float32)
    ez = ember.tensor(z, requires_grad=True)
    tz = torch.tensor(z, requires_grad=True)
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0], dtype=np.float32)
    ey = ember.tensor(y, requires_grad=True)
    ty = torch.tensor(y, requires_grad=True)
    F.binary_cross_entropy(ez.sigmoid(), ey, weight=ember.tensor(w)).backward()
    TF.binary_cross_entropy(tz.sigmoid(), ty, weight=torch.tensor(w)).backward()
    assert np.isfinite(to_np(ez.grad)).all()
    assert_close(ez.grad, tz.grad)
    # The target's gradient is that of the loss as computed, with both logs clamped at -100
    # (PyTorch leaves it -inf where p is exactly 0 or 1).
    p = to_np(ez.sigmoid())
    with np.errstate(divide="ignore"):
        slope = np.maximum(np.log1p(-p.astype(np.float64)), -100) - np.maximum(np.log(p), -100)
    np.testing.assert_allclose(to_np(ey.grad), w * slope / len(z), rtol=1e-5, atol=1e-6)
    finite = np.isfinite(to_np(ty.grad))
    np.testing.assert_allclose(to_np(ey.grad)[finite], to_np(ty.grad)[finite], rtol=1e-5)


def test_binary_cross_entropy_gradcheck():
    p = ember.tensor(np.array([0.2, 0.7, 0.45]), requires_grad=True)
    t = ember.tensor(np.array([0.0, 1.0, 0.3]), requires_grad=True)
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b), (p, t))


def test_binary_cross_entropy_rejects_out_of_range():
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input"):
        F.binary_cross_entropy(ember.tensor([float("nan")]), ember.tensor([1.0]))

    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input"):
        F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))


# ---- regression losses ---------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "name,kw",
    [
        ("mse_loss", {}),
        ("l1_loss", {}),
        ("smooth_l1_loss", {"beta": 1.0}),
        ("smooth_l1_loss", {"beta": 0.5}),
        ("smooth_l1_loss", {"beta": 0.0}),
        ("huber_loss", {"delta": 1.0}),
        ("huber_loss", {"delta": 2.5}),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regression_losses_match_torch(name, kw, reduction, dtype):
    rs = np.random.RandomState(3)
    x = (rs.randn(5, 4) * 2).astype(dtype)
    y = (rs.randn(5, 4) * 2).astype(dtype)
    e, t = pair(x, requires_grad=True)
    eo = getattr(F, name)(e, ember.tensor(y), reduction=reduction, **kw)
    to = getattr(TF, name)(t, torch.tensor(y), reduction=reduction, **kw)
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(e.grad, t.grad)


def test_regression_loss_closed_forms():
    x = ember.tensor([0.0, 0.0, 0.0])
    y = ember.tensor([0.5, 2.0, -3.0])
    np.testing.assert_allclose(F.mse_loss(x, y).item(), (0.25 + 4 + 9) / 3, rtol=1e-6)
    np.testing.assert_allclose(F.l1_loss(x, y, reduction="sum").item(), 5.5, rtol=1e-6)
    np.testing.assert_allclose(
        to_np(F.smooth_l1_loss(x, y, reduction="none")), [0.125, 1.5, 2.5], rtol=1e-6
    )
    np.testing.assert_allclose(
        to_np(F.huber_loss(x, y, reduction="none", delta=2.0)), [0.125, 2.0, 4.0], rtol=1e-6
    )
    with pytest.raises(ValueError, match="mse_loss: target shape"):
        F.mse_loss(ember.zeros(3), ember.zeros(2))


# ---- embedding, layer norm, dropout, one_hot, linear, activations -------------------------


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(padding_idx):
    w = np.random.randn(6, 3)
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    e, t = pair(w, requires_grad=True)
    eo = F.embedding(ember.tensor(idx), e, padding_idx=padding_idx)
    to = TF.embedding(torch.tensor(idx), t, padding_idx=padding_idx)
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(e.grad, t.grad)
    if padding_idx is not None:
        assert np.all(to_np(e.grad)[padding_idx] == 0)


def test_embedding_gradcheck_double_backward_and_errors():
    w = ember.randn(5, 2, dtype=ember.float64, requires_grad=True)
    idx = ember.tensor([1, 3, 3, 0])
    assert gradcheck(lambda v: F.embedding(idx, v, padding_idx=2), (w,))  # 2 is unused

    def first_grad(v):
        with ember.enable_grad():
            y = F.embedding(idx, v)
            (g,) = ember.autograd.grad((y * y).sum(), (v,), create_graph=True)
        return g

    assert gradcheck(first_grad, (w,))
    with pytest.raises(IndexError, match=r"embedding: index 5 is out of range"):
        F.embedding(ember.tensor([5]), w)
    with pytest.raises(TypeError, match="embedding"):
        F.embedding(ember.tensor([0.0]), w)


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_matches_torch(affine, dtype):
    x = (np.random.randn(3, 4, 5) * 2 + 1).astype(dtype)
    e, t = pair(x, requires_grad=True)
    if affine:
        ew, tw = pair(np.random.randn(4, 5).astype(dtype), requires_grad=True)
        eb, tb = pair(np.random.randn(4, 5).astype(dtype), requires_grad=True)
    else:
        ew = tw = eb = tb = None
    eo = F.layer_norm(e, (4, 5), ew, eb, eps=1e-5)
    to = TF.layer_norm(t, (4, 5), tw, tb, eps=1e-5)
    k = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    assert_close(eo, to, **k)
    backward_both(eo, to)
    assert_close(e.grad, t.grad, **k)
    if affine:
        assert_close(ew.grad, tw.grad, **k)
        assert_close(eb.grad, tb.grad, **k)


def test_layer_norm_gradcheck_and_errors():
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    w = ember.randn(3, dtype=ember.float64, requires_grad=True)
    b = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, c, d: F.layer_norm(a, (3,), c, d), (x, w, b))
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(2, 3\) does not end"):
        F.layer_norm(x, (4,))


def test_dropout_scaling_mask_and_seed():
    x = ember.ones(10000)
    y = to_np(F.dropout(x, 0.3))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02
    ember.manual_seed(5)
    a = to_np(F.dropout(x, 0.5))
    ember.manual_seed(5)
    b = to_np(F.dropout(x, 0.5))
    np.testing.assert_array_equal(a, b)
    assert F.dropout(x, 0.5, training=False) is x or np.all(to_np(F.dropout(x, 0.5, False)) == 1)
    assert np.all(to_np(F.dropout(x, 1.0)) == 0)
    with pytest.raises(ValueError, match="dropout: probability has to be between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_gradient_uses_same_mask():
    x = ember.randn(50, dtype=ember.float64, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    mask = to_np(y) / to_np(x)
    np.testing.assert_allclose(to_np(x.grad), mask, rtol=1e-12)


def test_one_hot():
    out = F.one_hot(ember.tensor([0, 2, 1]), 4)
    assert out.dtype == ember.int64
    np.testing.assert_array_equal(to_np(out), np.eye(4, dtype=np.int64)[[0, 2, 1]])
    assert tuple(F.one_hot(ember.tensor([[1], [3]])).shape) == (2, 1, 4)
    with pytest.raises(ValueError, match="one_hot"):
        F.one_hot(ember.tensor([0, 5]), 3)


@pytest.mark.parametrize(
    "name,args",
    [
        ("relu", ()),
        ("gelu", ()),
        ("gelu", ("tanh",)),
        ("silu", ()),
        ("leaky_relu", (0.2,)),
        ("sigmoid", ()),
        ("tanh", ()),
    ],
)
def test_activations_match_torch(name, args):
    x = np.random.randn(4, 5).astype(np.float32)
    e, t = pair(x, requires_grad=True)
    kw = {"approximate": args[0]} if name == "gelu" and args else {}
    args = () if kw else args
    eo, to = getattr(F, name)(e, *args, **kw), getattr(TF, name)(t, *args, **kw)
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(e.grad, t.grad)


def test_linear_matches_torch_and_error():
    x, w, b = np.random.randn(3, 4), np.random.randn(2, 4), np.random.randn(2)
    (ex, tx), (ew, tw), (eb, tb) = (pair(a, True) for a in (x, w, b))
    eo, to = F.linear(ex, ew, eb), TF.linear(tx, tw, tb)
    assert_close(eo, to)
    backward_both(eo, to)
    for a, c in ((ex, tx), (ew, tw), (eb, tb)):
        assert_close(a.grad, c.grad)
    with pytest.raises(
        ValueError,
        match=r"linear: input.shape\[-1\] \(5\) must equal "
        r"in_features \(4\)",
    ):
        F.linear(ember.randn(3, 5), ember.randn(2, 4))


def test_softmax_without_dim_warns_and_uses_legacy_default():
    x = ember.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(x)
    np.testing.assert_allclose(to_np(y), to_np(F.softmax(x, 1)))


def test_softmax_masked_row_gives_exact_zero():
    x = ember.tensor([[0.0, -float("inf"), 1.0]])
    y = to_np(F.softmax(x, 1))
    assert y[0, 1] == 0.0
    np.testing.assert_allclose(y.sum(), 1.0, rtol=1e-6)


def test_embedding_accepts_int32_indices():
    w = ember.randn(4, 3)
    a = F.embedding(ember.tensor([3, 0], dtype=ember.int32), w)
    np.testing.assert_array_equal(to_np(a), to_np(w)[[3, 0]])


def test_cross_entropy_none_reduction_kdim_gradcheck():
    x = ember.randn(2, 3, 2, dtype=ember.float64, requires_grad=True)
    tgt = ember.tensor(np.array([[0, 2], [1, -100]]))
    assert gradcheck(lambda v: F.cross_entropy(v, tgt, reduction="none"), (x,))
    p = ember.softmax(ember.randn(2, 3, 2, dtype=ember.float64), 1)
    assert gradcheck(lambda v: F.cross_entropy(v, p, label_smoothing=0.2), (x,))


def test_layer_norm_double_backward_gradcheck():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    w = ember.randn(4, dtype=ember.float64, requires_grad=True)

    def first_grad(v, ww):
        with ember.enable_grad():
            y = F.layer_norm(v, (4,), ww, None)
            c = ember.tensor(np.arange(12.0).reshape(3, 4))
            gx, gw = ember.autograd.grad((y * y * c).sum(), (v, ww), create_graph=True)
        return gx, gw

    assert gradcheck(first_grad, (x, w))


def test_layer_norm_constant_rows_and_multi_dim_shape():
    x = ember.ones(2, 5)
    np.testing.assert_array_equal(to_np(F.layer_norm(x, (5,))), np.zeros((2, 5), np.float32))
    xx = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    w = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, c, d: F.layer_norm(a, (3, 4), c, d), (xx, w, b))


@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 3.0]])
def test_cross_entropy_all_targets_ignored_with_label_smoothing(weight):
    # NaN loss as in PyTorch (a mean over no targets), but a zero gradient, not NaN.
    x = ember.zeros(2, 3, requires_grad=True)
    tx = torch.zeros(2, 3, requires_grad=True)
    kw = {} if weight is None else {"weight": weight}
    el = F.cross_entropy(x, ember.tensor([-100, -100]), label_smoothing=0.1,
                         **{k: ember.tensor(v) for k, v in kw.items()})
    tl = TF.cross_entropy(tx, torch.tensor([-100, -100]), label_smoothing=0.1,
                          **{k: torch.tensor(v) for k, v in kw.items()})
    el.backward()
    tl.backward()
    assert np.isnan(el.item()) and np.isnan(tl.item())
    np.testing.assert_array_equal(to_np(x.grad), np.zeros((2, 3), np.float32))
    assert_close(x.grad, tx.grad)


def test_nll_loss_float_target_error_does_not_offer_probabilities():
    with pytest.raises(TypeError) as info:
        F.nll_loss(ember.randn(3, 4).log_softmax(1), ember.tensor([0.0, 1.0, 2.0]))
    assert str(info.value) == "nll_loss: expected class-index target of dtype int64, got float32"


@pytest.mark.parametrize("row", [[float("inf"), 1.0], [float("inf"), float("inf")],
                                 [float("-inf"), 1.0], [float("nan"), 1.0],
                                 [float("-inf"), float("-inf")], [3.0, -1.0]])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("layout", ["row", "strided"])
def test_softmax_of_infinite_and_nan_entries_matches_torch(row, name, layout):
    e, t = ember.tensor([row] * 3), torch.tensor([row] * 3)
    dim = 1
    if layout == "strided":  # the softmax dim is not the last one
        e, t, dim = e.T.contiguous(), t.T.contiguous(), 0
    a, b = to_np(getattr(F, name)(e, dim)), getattr(TF, name)(t, dim).numpy()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-5, atol=1e-7)


# ---- all-ignored targets, probability targets, loss weights, in-place activations -------------


@pytest.mark.parametrize("loss", [
    lambda x, t: F.nll_loss(x, t, ignore_index=1),
    lambda x, t: F.cross_entropy(x, t, ignore_index=1, label_smoothing=0.1),
    lambda x, t: F.cross_entropy(x, t, ignore_index=1),
    lambda x, t: F.nll_loss(x, t, weight=ember.tensor([1.0, 0.0, 1.0])),
])
def test_every_target_ignored_gives_nan_loss_and_zero_gradient(loss):
    # As PyTorch: the mean over no targets is NaN, but no NaN reaches the gradient.
    x = ember.randn(2, 3, requires_grad=True)
    y = loss(x, ember.tensor([1, 1]))
    assert np.isnan(y.item())
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3), np.float32))


def test_all_ignored_matches_torch_gradient_with_label_smoothing():
    x = np.random.RandomState(0).randn(4, 5).astype(np.float32)
    t = np.array([2, 2, 2, 2])
    xe, xt = et(x).requires_grad_(True), torch.tensor(x, requires_grad=True)
    F.cross_entropy(xe, ember.from_numpy(t), ignore_index=2, label_smoothing=0.2).backward()
    TF.cross_entropy(xt, torch.from_numpy(t), ignore_index=2, label_smoothing=0.2).backward()
    np.testing.assert_array_equal(xe.grad.numpy(), xt.grad.numpy())


def test_probability_target_with_ignore_index_raises():
    with pytest.raises(ValueError, match="cross_entropy: ignore_index is not supported for a "
                                         "probability"):
        F.cross_entropy(ember.randn(4, 3), ember.full((4, 3), 1 / 3), ignore_index=1)


@pytest.mark.parametrize("fn", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_binary_cross_entropy_weight_shape_errors_name_the_op(fn):
    x = ember.rand(3, 4)
    with pytest.raises(ValueError, match=fn.__name__ + r": weight of shape \(3,\) does not "
                                         r"broadcast to the input's shape \(3, 4\)"):
        fn(x, x, weight=ember.ones(3))
    w = np.random.RandomState(1).rand(3, 1).astype(np.float32)
    ref = getattr(TF, fn.__name__)(torch.from_numpy(x.numpy()), torch.from_numpy(x.numpy()),
                                   weight=torch.from_numpy(w))
    np.testing.assert_allclose(fn(x, x, weight=ember.from_numpy(w)).item(), ref.item(), rtol=1e-6)


_INPLACE = [
    ("relu", lambda t, i: F.relu(t, inplace=i), lambda t, i: TF.relu(t, inplace=i)),
    ("leaky_relu", lambda t, i: F.leaky_relu(t, 0.2, inplace=i),
     lambda t, i: TF.leaky_relu(t, 0.2, inplace=i)),
    ("silu", lambda t, i: F.silu(t, inplace=i), lambda t, i: TF.silu(t, inplace=i)),
]


@pytest.mark.parametrize("name, ef, tf", _INPLACE, ids=[c[0] for c in _INPLACE])
def test_inplace_activations_write_into_the_input_and_backpropagate(name, ef, tf):
    x0 = np.array([-1.5, 0.0, 2.0, -3.0, 0.5], np.float64)
    e = ember.from_numpy(x0.copy())
    assert ef(e, True) is e
    np.testing.assert_allclose(e.numpy(), ef(ember.from_numpy(x0), False).numpy(), rtol=0)
    xe = ember.from_numpy(x0.copy()).requires_grad_(True)
    xt = torch.tensor(x0, requires_grad=True)
    w = np.arange(1.0, 6.0)
    (ef(xe * 1, True) * ember.from_numpy(w)).sum().backward()
    (tf(xt * 1, True) * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match=name + r"\(inplace=True\): a leaf tensor"):
        ef(ember.zeros(2, requires_grad=True), True)


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d])
def test_inplace_dropout_draws_the_same_mask(fn):
    x = ember.randn(2, 3, 4)
    ember.manual_seed(7)
    ref = fn(x, 0.4)
    y = x.clone()
    ember.manual_seed(7)
    assert fn(y, 0.4, inplace=True) is y
    np.testing.assert_array_equal(y.numpy(), ref.numpy())
    z = x.clone()
    assert fn(z, 0.4, training=False, inplace=True) is z
    np.testing.assert_array_equal(z.numpy(), x.numpy())


def test_inplace_modules_pass_the_flag():
    for m in (ember.nn.ReLU(inplace=True), ember.nn.LeakyReLU(0.1, inplace=True),
              ember.nn.SiLU(inplace=True)):
        x = ember.tensor([-1.0, 2.0])
        assert m(x) is x and x.numpy()[1] != 0 and x.numpy()[0] != -1.0


def test_probability_target_takes_negative_ignore_index_as_torch():
    x, t = np.zeros((2, 3), np.float32), np.full((2, 3), 1 / 3, np.float32)
    got = F.cross_entropy(ember.from_numpy(x), ember.from_numpy(t), ignore_index=-1)
    ref = TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(t), ignore_index=-1)
    np.testing.assert_allclose(got.item(), ref.item(), rtol=1e-6)


@pytest.mark.parametrize("act", [lambda: ember.nn.ReLU(inplace=True),
                                 lambda: ember.nn.LeakyReLU(0.1, inplace=True),
                                 lambda: ember.nn.SiLU(inplace=True),
                                 lambda: ember.nn.Dropout(0.5, inplace=True)],
                         ids=["relu", "leaky_relu", "silu", "dropout"])
def test_inplace_modules_on_views_that_autograd_records_return_a_new_tensor(act):
    # Flatten gives a view; ember cannot write it in place under autograd, so the module
    # returns the out-of-place result (same values) and training works as in PyTorch.
    ember.manual_seed(0)
    m = ember.nn.Sequential(ember.nn.Conv2d(1, 2, 3), ember.nn.Flatten(), act(),
                            ember.nn.Linear(8, 1))
    x = ember.randn(2, 1, 4, 4)
    ember.manual_seed(1)
    out = m(x)
    out.sum().backward()
    assert m[0].weight.grad is not None and np.isfinite(m[0].weight.grad.numpy()).all()
    ember.manual_seed(1)
    ref = ember.nn.Sequential(m[0], m[1], type(m[2])(*([0.5] if isinstance(m[2], ember.nn.Dropout)
                                                        else [0.1] if isinstance(m[2], ember.nn.LeakyReLU)
                                                        else [])), m[3])(x)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
