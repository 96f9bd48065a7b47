"""normalize, cosine_similarity, pairwise_distance, kl_div, margin_ranking_loss,
cosine_embedding_loss and triplet_margin_loss (functional and module forms) vs torch: values
and gradients for every reduction, edge cases and error messages."""

from __future__ import annotations

import warnings

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn
from ember.autograd import gradcheck

from ._util import assert_close, et, pair, to_np

torch = pytest.importorskip("torch")
TF = torch.nn.functional
tnn = torch.nn

REDUCTIONS = ["mean", "sum", "none"]


def _backward_both(e_out, t_out, seed=0):
    g = np.asarray(np.random.RandomState(seed).randn(*tuple(t_out.shape)))
    g = g.astype(t_out.detach().numpy().dtype)
    e_out.backward(et(g))
    t_out.backward(torch.tensor(g))


def _pairs(*arrays):
    """ember and torch leaves (requiring grad) for each array."""
    es, ts = zip(*(pair(a, requires_grad=True) for a in arrays))
    return list(es), list(ts)


def assert_matches_torch(e_fn, t_fn, arrays, grad=True, **tol):
    es, ts = _pairs(*arrays)
    eo, to = e_fn(*es), t_fn(*ts)
    assert_close(eo, to, **tol)
    if grad:
        _backward_both(eo, to)
        for e, t in zip(es, ts):
            assert_close(e.grad, t.grad, **tol)
    return eo


# ---- normalize / cosine_similarity / pairwise_distance -----------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape,p,dim",
    [
        ((4, 5), 2.0, 1),
        ((4, 5), 1.0, 0),
        ((2, 3, 4), 3.0, -1),
        ((2, 3, 4), float("inf"), 1),
        ((6,), 2.0, 0),
        ((3, 4), 0.5, 1),
    ],
)
def test_normalize_matches_torch(shape, p, dim, dtype):
    x = np.random.randn(*shape).astype(dtype)
    assert_matches_torch(lambda a: F.normalize(a, p, dim), lambda a: TF.normalize(a, p, dim), [x])


def test_normalize_zero_slice_uses_eps_like_torch():
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    out = assert_matches_torch(lambda a: F.normalize(a, eps=1e-3), lambda a: TF.normalize(a, eps=1e-3), [x])
    np.testing.assert_allclose(to_np(out), [[0.0, 0.0], [0.6, 0.8]])


def test_normalize_out_argument_and_dim_error():
    x = ember.randn(3, 4)
    out = ember.empty(3, 4)
    assert F.normalize(x, out=out) is out
    np.testing.assert_allclose(to_np(out), to_np(F.normalize(x)))
    with pytest.raises(IndexError, match=r"normalize: dim 1 is out of range for a tensor with 1"):
        F.normalize(ember.randn(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "s1,s2,dim",
    [
        ((4, 5), (4, 5), 1),
        ((4, 5), (1, 5), 1),
        ((3, 4, 5), (4, 5), -1),
        ((3, 4, 5), (3, 1, 5), 0),
        ((5,), (5,), 0),
        ((4, 1), (4, 6), 1),
    ],
)
def test_cosine_similarity_matches_torch(s1, s2, dim, dtype):
    a, b = np.random.randn(*s1).astype(dtype), np.random.randn(*s2).astype(dtype)
    assert_matches_torch(
        lambda x, y: F.cosine_similarity(x, y, dim),
        lambda x, y: TF.cosine_similarity(x, y, dim),
        [a, b],
    )


def test_cosine_similarity_tiny_vectors_match_torch():
    # The norms are clamped to eps, but the gradient flows through the unclamped norm, as torch.
    a = np.array([[1e-10, -2e-10, 3e-10], [1.0, 2.0, 3.0]])
    b = np.array([[0.5, 0.1, -0.3], [0.0, 0.0, 0.0]])
    assert_matches_torch(F.cosine_similarity, TF.cosine_similarity, [a, b])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("s1,s2", [((4, 5), (4, 5)), ((4, 5), (5,)), ((5,), (5,))])
def test_pairwise_distance_matches_torch(s1, s2, p, keepdim, dtype):
    a, b = np.random.randn(*s1).astype(dtype), np.random.randn(*s2).astype(dtype)
    assert_matches_torch(
        lambda x, y: F.pairwise_distance(x, y, p, 1e-6, keepdim),
        lambda x, y: TF.pairwise_distance(x, y, p, 1e-6, keepdim),
        [a, b],
    )


def test_distance_gradcheck():
    a = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    b = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda x, y: F.cosine_similarity(x, y), (a, b))
    assert gradcheck(lambda x, y: F.pairwise_distance(x, y, 3.0), (a, b))
    assert gradcheck(lambda x: F.normalize(x, 2.0, 1), (a,))


def test_distance_shape_errors_name_the_function_and_shapes():
    with pytest.raises(
        ValueError, match=r"cosine_similarity: shapes x1 \(3, 4\), x2 \(2, 4\) do not broadcast"
    ):
        F.cosine_similarity(ember.randn(3, 4), ember.randn(2, 4))
    with pytest.raises(
        ValueError, match=r"pairwise_distance: shapes x1 \(3, 4\), x2 \(2, 4\) do not broadcast"
    ):
        F.pairwise_distance(ember.randn(3, 4), ember.randn(2, 4))
    with pytest.raises(IndexError, match=r"cosine_similarity: dim 2 is out of range"):
        F.cosine_similarity(ember.randn(3, 4), ember.randn(3, 4), dim=2)
    with pytest.raises(TypeError, match=r"cosine_similarity: expected x2 to have a floating"):
        F.cosine_similarity(ember.randn(3, 4), ember.tensor([[1, 2, 3, 4]]))


# ---- kl_div ------------------------------------------------------------------------------


def _kl_inputs(shape, dtype, log_target):
    rs = np.random.RandomState(3)
    x = np.log(rs.dirichlet(np.ones(shape[-1]), size=shape[:-1])).astype(dtype)
    t = rs.dirichlet(np.ones(shape[-1]), size=shape[:-1]).astype(dtype)
    return x, (np.log(t) if log_target else t)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (6,)])
def test_kl_div_matches_torch(shape, reduction, log_target, dtype):
    x, t = _kl_inputs(shape, dtype, log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_matches_torch(
            lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
            lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
            [x, t],
        )


def test_kl_div_zero_target_contributes_zero_and_gradients_stay_finite():
    # Values and the input's gradient as torch. The target's gradient where the target is 0 is
    # -input (the entropy term t log t counts as constant there); torch gives NaN (0 / 0).
    x = np.log(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]))
    t = np.array([[0.0, 0.4, 0.6], [0.5, 0.5, 0.0]])
    (ex, etg), (tx, ttg) = _pairs(x, t)
    eo, to = F.kl_div(ex, etg, reduction="none"), TF.kl_div(tx, ttg, reduction="none")
    assert_close(eo, to)
    assert to_np(eo)[0, 0] == 0.0 and to_np(eo)[1, 2] == 0.0
    _backward_both(eo, to)
    assert_close(ex.grad, tx.grad)
    g, tg = to_np(etg.grad), ttg.grad.numpy()
    zero = t == 0
    np.testing.assert_allclose(g[~zero], tg[~zero], rtol=1e-7)
    assert np.isnan(tg[zero]).all()
    gout = np.random.RandomState(0).randn(2, 3)
    np.testing.assert_allclose(g[zero], (-x * gout)[zero], rtol=1e-12)


def test_kl_div_batchmean_closed_form_and_0d_input():
    x = ember.log(ember.tensor([[0.25, 0.75], [0.5, 0.5]], dtype=ember.float64))
    t = ember.tensor([[0.5, 0.5], [0.5, 0.5]], dtype=ember.float64)
    want = 0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)
    np.testing.assert_allclose(F.kl_div(x, t, reduction="batchmean").item(), want / 2, rtol=1e-12)
    e0, t0 = ember.tensor(-0.5), torch.tensor(-0.5)
    assert_close(
        F.kl_div(e0, ember.tensor(0.3), reduction="batchmean"),
        TF.kl_div(t0, torch.tensor(0.3), reduction="batchmean"),
    )


def test_kl_div_mean_warns_like_torch_and_batchmean_does_not():
    x, t = ember.randn(2, 3), ember.rand(2, 3)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(x, t, reduction="batchmean")


def test_kl_div_gradcheck_both_arguments():
    x = ember.tensor(np.log(np.random.dirichlet(np.ones(4), size=3)), requires_grad=True)
    t = ember.tensor(np.random.dirichlet(np.ones(4), size=3), requires_grad=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (x, t))
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), (x, t))


def test_kl_div_errors():
    with pytest.raises(ValueError, match=r"kl_div: reduction must be 'mean', 'batchmean', 'sum'"):
        F.kl_div(ember.randn(2, 3), ember.rand(2, 3), reduction="avg")
    with pytest.raises(
        ValueError, match=r"kl_div: target shape \(3,\) must equal input shape \(2, 3\)"
    ):
        F.kl_div(ember.randn(2, 3), ember.rand(3), reduction="sum")


def test_legacy_size_average_and_reduce_map_to_a_reduction_like_torch():
    x, t = np.random.randn(4), np.random.randn(4)
    y = np.sign(np.random.randn(4))
    for sa, rd in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            eo = F.margin_ranking_loss(et(x), et(t), et(y), size_average=sa, reduce=rd)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            to = TF.margin_ranking_loss(
                torch.tensor(x), torch.tensor(t), torch.tensor(y), size_average=sa, reduce=rd
            )
        assert_close(eo, to)


# ---- margin ranking / cosine embedding / triplet -----------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
@pytest.mark.parametrize("shape", [(7,), ()])
def test_margin_ranking_loss_matches_torch(shape, margin, reduction, dtype):
    rs = np.random.RandomState(1)
    a = np.asarray(rs.randn(*shape)).astype(dtype)
    b = np.asarray(rs.randn(*shape)).astype(dtype)
    y = np.asarray(np.sign(rs.randn(*shape))).astype(dtype)
    assert_matches_torch(
        lambda p, q, r: F.margin_ranking_loss(p, q, r, margin, reduction=reduction),
        lambda p, q, r: TF.margin_ranking_loss(p, q, r, margin, reduction=reduction),
        [a, b, y],
    )


def test_margin_ranking_loss_gradient_at_the_hinge_matches_torch():
    # -y (x1 - x2) + margin == 0 exactly: torch's clamp_min passes the gradient there.
    assert_matches_torch(
        lambda p, q, r: F.margin_ranking_loss(p, q, r, 1.0, reduction="sum"),
        lambda p, q, r: TF.margin_ranking_loss(p, q, r, 1.0, reduction="sum"),
        [np.array([2.0, 0.0]), np.array([1.0, 1.0]), np.array([1.0, -1.0])],
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_loss_matches_torch(margin, reduction, dtype):
    rs = np.random.RandomState(2)
    a = rs.randn(6, 4).astype(dtype)
    b = rs.randn(6, 4).astype(dtype)
    y = np.array([1, -1, 1, -1, -1, 1])
    es, ts = _pairs(a, b)
    eo = F.cosine_embedding_loss(es[0], es[1], et(y), margin, reduction=reduction)
    to = TF.cosine_embedding_loss(ts[0], ts[1], torch.tensor(y), margin, reduction=reduction)
    assert_close(eo, to)
    _backward_both(eo, to)
    assert_close(es[0].grad, ts[0].grad)
    assert_close(es[1].grad, ts[1].grad)


def test_cosine_embedding_loss_0d_target_and_other_labels_match_torch():
    a, b = np.random.randn(5), np.random.randn(5)
    assert_matches_torch(
        lambda p, q: F.cosine_embedding_loss(p, q, ember.tensor(-1.0), -0.5),
        lambda p, q: TF.cosine_embedding_loss(p, q, torch.tensor(-1.0), -0.5),
        [a, b],
    )
    # A label other than +-1 contributes 0, as torch.
    a2, b2 = np.random.randn(3, 4), np.random.randn(3, 4)
    y = np.array([1.0, 0.0, -1.0])
    assert_matches_torch(
        lambda p, q: F.cosine_embedding_loss(p, q, et(y), reduction="none"),
        lambda p, q: TF.cosine_embedding_loss(p, q, torch.tensor(y), reduction="none"),
        [a2, b2],
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [2.0, 1.0])
@pytest.mark.parametrize("shape", [(6, 4), (4,)])
def test_triplet_margin_loss_matches_torch(shape, p, swap, reduction, dtype):
    rs = np.random.RandomState(5)
    a, pos, neg = (rs.randn(*shape).astype(dtype) for _ in range(3))
    assert_matches_torch(
        lambda x, y, z: F.triplet_margin_loss(x, y, z, 0.8, p, swap=swap, reduction=reduction),
        lambda x, y, z: TF.triplet_margin_loss(x, y, z, 0.8, p, swap=swap, reduction=reduction),
        [a, pos, neg],
    )


def test_losses_gradcheck():
    rs = np.random.RandomState(0)
    a, b, c = (ember.tensor(rs.randn(4, 3), requires_grad=True) for _ in range(3))
    y = ember.tensor([1.0, -1.0, 1.0, -1.0])
    assert gradcheck(lambda x, z: F.cosine_embedding_loss(x, z, y, 0.1), (a, b))
    assert gradcheck(lambda x, z, w: F.triplet_margin_loss(x, z, w, swap=True), (a, b, c))
    s1 = ember.tensor(rs.randn(5), requires_grad=True)
    s2 = ember.tensor(rs.randn(5) + 0.3, requires_grad=True)
    assert gradcheck(lambda x, z: F.margin_ranking_loss(x, z, y[:1].expand(5), 0.2), (s1, s2))


def test_loss_errors_name_the_function_and_shapes():
    with pytest.raises(
        ValueError,
        match=r"margin_ranking_loss: input1 \(3,\), input2 \(3, 1\) and target \(3,\) must have "
        r"the same number of dims",
    ):
        F.margin_ranking_loss(ember.randn(3), ember.randn(3, 1), ember.randn(3))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: reduction must be"):
        F.margin_ranking_loss(ember.randn(3), ember.randn(3), ember.randn(3), reduction="x")
    with pytest.raises(
        ValueError, match=r"cosine_embedding_loss: expected a 0-d or 1-d target .* \(3, 1\)"
    ):
        F.cosine_embedding_loss(ember.randn(3, 4), ember.randn(3, 4), ember.randn(3, 1))
    with pytest.raises(
        ValueError,
        match=r"cosine_embedding_loss: a 1-d target expects 2-d inputs, got input1 \(4,\)",
    ):
        F.cosine_embedding_loss(ember.randn(4), ember.randn(4), ember.ones(2))
    with pytest.raises(
        ValueError,
        match=r"triplet_margin_loss: anchor \(3, 4\), positive \(3, 4\) and negative \(4,\) "
        r"must have the same number of dims",
    ):
        F.triplet_margin_loss(ember.randn(3, 4), ember.randn(3, 4), ember.randn(4))
    with pytest.raises(
        ValueError,
        match=r"triplet_margin_loss: shapes anchor \(3, 4\), positive \(2, 4\), negative "
        r"\(3, 4\) do not broadcast",
    ):
        F.triplet_margin_loss(ember.randn(3, 4), ember.randn(2, 4), ember.randn(3, 4))


# ---- modules -----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kldiv_loss_module_matches_torch(reduction, log_target):
    x, t = _kl_inputs((4, 5), np.float64, log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_matches_torch(
            nn.KLDivLoss(reduction=reduction, log_target=log_target),
            tnn.KLDivLoss(reduction=reduction, log_target=log_target),
            [x, t],
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_and_triplet_loss_modules_match_torch(reduction):
    rs = np.random.RandomState(8)
    s1, s2, y = rs.randn(6), rs.randn(6), np.sign(rs.randn(6))
    assert_matches_torch(
        lambda a, b: nn.MarginRankingLoss(0.2, reduction=reduction)(a, b, et(y)),
        lambda a, b: tnn.MarginRankingLoss(0.2, reduction=reduction)(a, b, torch.tensor(y)),
        [s1, s2],
    )
    a, b, c = rs.randn(6, 3), rs.randn(6, 3), rs.randn(6, 3)
    assert_matches_torch(
        lambda p, q: nn.CosineEmbeddingLoss(0.1, reduction=reduction)(p, q, et(y)),
        lambda p, q: tnn.CosineEmbeddingLoss(0.1, reduction=reduction)(p, q, torch.tensor(y)),
        [a, b],
    )
    assert_matches_torch(
        nn.TripletMarginLoss(0.5, 1.0, swap=True, reduction=reduction),
        tnn.TripletMarginLoss(0.5, 1.0, swap=True, reduction=reduction),
        [a, b, c],
    )


def test_distance_modules_match_torch():
    a, b = np.random.randn(5, 4), np.random.randn(5, 4)
    assert_matches_torch(nn.CosineSimilarity(dim=0, eps=1e-6), tnn.CosineSimilarity(dim=0, eps=1e-6), [a, b])
    assert_matches_torch(nn.PairwiseDistance(1.0, 1e-4, True), tnn.PairwiseDistance(1.0, 1e-4, True), [a, b])


def test_loss_module_reprs_and_validation():
    for name, kw in [
        ("KLDivLoss", {"reduction": "batchmean"}),
        ("MarginRankingLoss", {}),
        ("CosineEmbeddingLoss", {"margin": 0.2}),
        ("TripletMarginLoss", {}),
        ("CosineSimilarity", {}),
        ("PairwiseDistance", {"p": 1.0}),
    ]:
        assert repr(getattr(nn, name)(**kw)) == repr(getattr(tnn, name)(**kw))
    assert nn.KLDivLoss(log_target=True).log_target
    with pytest.raises(ValueError, match=r"KLDivLoss: reduction must be 'mean', 'batchmean'"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match=r"MarginRankingLoss: reduction must be 'mean', 'sum'"):
        nn.MarginRankingLoss(reduction="batchmean")
    with pytest.raises(ValueError, match=r"TripletMarginLoss: expected margin to be greater"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        assert nn.KLDivLoss(size_average=False).reduction == "sum"
    assert nn.PairwiseDistance(3.0).norm == tnn.PairwiseDistance(3.0).norm


def test_module_signatures_follow_torch():
    import inspect

    for name in (
        "KLDivLoss",
        "MarginRankingLoss",
        "CosineEmbeddingLoss",
        "TripletMarginLoss",
        "CosineSimilarity",
        "PairwiseDistance",
    ):
        e = inspect.signature(getattr(nn, name).__init__).parameters
        t = inspect.signature(getattr(tnn, name).__init__).parameters
        assert list(e) == list(t), name
        assert [p.default for p in e.values()] == [p.default for p in t.values()], name
    for name in (
        "kl_div",
        "margin_ranking_loss",
        "cosine_embedding_loss",
        "triplet_margin_loss",
        "normalize",
    ):
        e = inspect.signature(getattr(F, name)).parameters
        t = inspect.signature(getattr(TF, name)).parameters
        assert list(e) == list(t), name
        assert [p.default for p in e.values()] == [p.default for p in t.values()], name
