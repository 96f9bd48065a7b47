"""The new losses (Poisson, Gaussian NLL, soft margin, hinge embedding, the multi-label and
multi-class margins) and nn.Transformer vs torch: values, float64 gradients, state_dict keys
(torch weights load), init, masks, errors."""

from __future__ import annotations

import math
import warnings

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-9, "atol": 1e-12}}
REDUCTIONS = ["mean", "sum", "none"]


def e_of(a):
    return ember.tensor(np.array(a))


def assert_close(e, t, dtype=np.float64, **kw):
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **(kw or TOL[dtype]))


def assert_loss_matches(name, floats, ints=(), dtype=np.float64, n_grad=None, **kw):
    """Calls ``F.<name>`` and ``torch``'s with the same arguments; compares the values and the
    gradients of the first ``n_grad`` floating arguments (all by default)."""
    e_args, t_args = [], []
    n_grad = len(floats) if n_grad is None else n_grad
    for i, a in enumerate(floats):
        a = np.asarray(a, dtype=dtype)
        grad = i < n_grad
        e, t = e_of(a).requires_grad_(grad), torch.tensor(a, requires_grad=grad)
        e_args.append(e)
        t_args.append(t)
    e_all = e_args + [e_of(i) for i in ints]
    t_all = t_args + [torch.tensor(i) for i in ints]
    ekw = {k: e_of(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    eo, to = getattr(F, name)(*e_all, **ekw), getattr(TF, name)(*t_all, **tkw)
    assert_close(eo, to, dtype)
    g = np.asarray(np.random.RandomState(1).randn(*tuple(to.shape))).astype(dtype)
    eo.backward(e_of(g))
    to.backward(torch.tensor(g))
    for e, t in zip(e_args, t_args):
        if t.grad is not None:
            assert_close(e.grad, t.grad, dtype)


X = np.random.RandomState(0).randn(4, 5)
Y = np.random.RandomState(1).rand(4, 5) * 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss_matches_torch(reduction, dtype):
    assert_loss_matches("poisson_nll_loss", [X, np.floor(Y)], dtype=dtype, reduction=reduction)
    # With full=True torch's target gradient is NaN where target <= 1 (0 * log(0) inside the
    # masked Stirling term); ember's is finite there, so only the input gradient is compared.
    assert_loss_matches(
        "poisson_nll_loss",
        [np.abs(X) + 0.1, np.floor(Y)],
        dtype=dtype,
        n_grad=1,
        log_input=False,
        full=True,
        eps=1e-3,
        reduction=reduction,
    )
    assert_loss_matches(
        "poisson_nll_loss",
        [X, np.floor(Y[0])],
        dtype=dtype,
        n_grad=1,
        full=True,
        reduction=reduction,
    )
    assert_loss_matches("poisson_nll_loss", [X, Y + 1.5], dtype=dtype, full=True, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 5), (4,), (4, 1), (1, 5)])
def test_gaussian_nll_loss_matches_torch(reduction, var_shape, dtype):
    var = np.random.rand(*var_shape) + 0.1
    assert_loss_matches("gaussian_nll_loss", [X, Y, var], dtype=dtype, reduction=reduction)
    assert_loss_matches(
        "gaussian_nll_loss",
        [X, Y, var * 1e-9],
        dtype=dtype,
        full=True,
        eps=1e-4,
        reduction=reduction,
    )


def test_gaussian_nll_loss_scalar_var_and_module():
    assert_loss_matches("gaussian_nll_loss", [X, Y], var=0.7)
    m, tm = nn.GaussianNLLLoss(full=True, eps=1e-3), tnn.GaussianNLLLoss(full=True, eps=1e-3)
    v = np.random.rand(4, 5)
    assert_close(m(e_of(X), e_of(Y), e_of(v)), tm(torch.tensor(X), torch.tensor(Y), torch.tensor(v)))


def test_gaussian_nll_loss_errors():
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var is of incorrect size \(4, 2\)"):
        F.gaussian_nll_loss(e_of(X), e_of(Y), ember.ones(4, 2))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(e_of(X), e_of(Y), -ember.ones(4, 5))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: reduction must be"):
        F.gaussian_nll_loss(e_of(X), e_of(Y), ember.ones(4, 5), reduction="avg")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_and_hinge_embedding_match_torch(reduction):
    s = np.sign(np.random.randn(4, 5))
    assert_loss_matches(
        "soft_margin_loss", [X * 40, s], n_grad=1, reduction=reduction
    )  # large margins: no overflow
    s2 = s.copy()
    s2[0, 0] = 0.0  # neither 1 nor -1: both terms, as torch
    assert_loss_matches("hinge_embedding_loss", [X, s2], n_grad=1, margin=0.4, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss_matches_torch(reduction, weighted):
    y = (Y > 1.5).astype(np.float64)
    kw = {"weight": np.random.rand(5)} if weighted else {}
    assert_loss_matches("multilabel_soft_margin_loss", [X, y], reduction=reduction, **kw)
    assert_loss_matches("multilabel_soft_margin_loss", [X[0], y[0]], reduction=reduction, **kw)


TARGETS = np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [-1, 0, 0, 0, 0], [2, 2, -1, 4, 4]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss_matches_torch(reduction, dtype):
    assert_loss_matches("multilabel_margin_loss", [X], ints=(TARGETS,), dtype=dtype, reduction=reduction)
    assert_loss_matches("multilabel_margin_loss", [X[0]], ints=(TARGETS[0],), dtype=dtype, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 0.7, True), (1, 2.0, True)])
def test_multi_margin_loss_matches_torch(reduction, p, margin, weighted, dtype):
    kw = {"p": p, "margin": margin, "reduction": reduction}
    if weighted:
        kw["weight"] = np.random.rand(5).astype(dtype)
    assert_loss_matches("multi_margin_loss", [X], ints=(np.array([0, 4, 1, 1]),), dtype=dtype, **kw)
    assert_loss_matches("multi_margin_loss", [X[1]], ints=(np.array(3),), dtype=dtype, **kw)
    assert_loss_matches("multi_margin_loss", [X[1]], ints=(np.array([3]),), dtype=dtype, **kw)


LOSS_MODULES = [
    ("PoissonNLLLoss", {"log_input": False, "full": True}, lambda: (np.abs(X) + 0.5, np.floor(Y))),
    ("PoissonNLLLoss", {"reduction": "sum"}, lambda: (X, np.floor(Y))),
    ("SoftMarginLoss", {}, lambda: (X, np.sign(np.random.randn(4, 5)))),
    ("HingeEmbeddingLoss", {"margin": 0.3}, lambda: (X, np.sign(np.random.randn(4, 5)))),
    ("MultiLabelSoftMarginLoss", {"reduction": "none"}, lambda: (X, (Y > 1).astype(float))),
    ("MultiLabelMarginLoss", {}, lambda: (X, TARGETS)),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}, lambda: (X, np.array([0, 4, 1, 1]))),
]


@pytest.mark.parametrize("case", LOSS_MODULES, ids=[c[0] for c in LOSS_MODULES])
def test_loss_modules_match_torch(case):
    name, kw, make = case
    e_mod, t_mod = getattr(nn, name)(**kw), getattr(tnn, name)(**kw)
    assert repr(e_mod) == repr(t_mod)
    x, y = make()
    e = e_of(x).requires_grad_(True)
    t = torch.tensor(x, requires_grad=True)
    eo, to = e_mod(e, e_of(y)), t_mod(t, torch.tensor(y))
    assert_close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    assert_close(e.grad, t.grad)


def test_weighted_loss_modules_keep_the_weight_as_a_buffer():
    w = np.random.rand(5)
    for name in ("MultiMarginLoss", "MultiLabelSoftMarginLoss"):
        m, tm = getattr(nn, name)(weight=e_of(w)), getattr(tnn, name)(weight=torch.tensor(w))
        assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]


def test_legacy_reduction_flags_warn_and_override():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        m = nn.SoftMarginLoss(reduce=False)
    assert m.reduction == "none"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = F.hinge_embedding_loss(e_of(X), e_of(np.ones((4, 5))), size_average=False)
    assert_close(got, torch.tensor(X).sum())


def test_margin_loss_errors():
    x = ember.randn(3, 4)
    with pytest.raises(
        ValueError, match=r"multi_margin_loss: only p == 1 and p == 2 are supported, got p=3"
    ):
        F.multi_margin_loss(x, ember.tensor([0, 1, 2]), p=3)
    with pytest.raises(
        ValueError,
        match=r"multi_margin_loss: target must be 1-D with one class index per sample \(3\), "
        r"got shape \(2,\)",
    ):
        F.multi_margin_loss(x, ember.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"multi_margin_loss: target values must be in \[0, 4\)"):
        F.multi_margin_loss(x, ember.tensor([0, 1, 4]))
    with pytest.raises(
        ValueError,
        match=r"multilabel_margin_loss: target shape \(2, 4\) must equal the input shape \(3, 4\)",
    ):
        F.multilabel_margin_loss(x, ember.tensor([[0, 1, -1, 0]] * 2))
    with pytest.raises(
        ValueError, match=r"multilabel_margin_loss: target values must be in \[-1, 4\)"
    ):
        F.multilabel_margin_loss(x, ember.tensor([[0, 5, -1, 0]] * 3))
    with pytest.raises(
        TypeError,
        match=r"multi_margin_loss: expected target to hold int64 class indices, got float32",
    ):
        F.multi_margin_loss(x, ember.zeros(3))
    with pytest.raises(ValueError, match=r"MultiMarginLoss: only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=0)
    with pytest.raises(
        ValueError, match=r"poisson_nll_loss: shapes input \(3, 4\), target \(2,\) do not broadcast"
    ):
        F.poisson_nll_loss(x, ember.ones(2))


# ---- nn.Transformer --------------------------------------------------------------------------

D, H = 8, 2


def make_pair(dtype=np.float64, **kw):
    kw = dict(
        d_model=D,
        nhead=H,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=16,
        dropout=0.0,
        **kw,
    )
    t_mod = tnn.Transformer(**kw)
    e_mod = nn.Transformer(**kw)
    with torch.no_grad():
        for p in t_mod.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    if dtype == np.float64:
        t_mod.double()
        e_mod.double()
    e_mod.load_state_dict({k: e_of(v.detach().numpy()) for k, v in t_mod.state_dict().items()})
    return e_mod, t_mod


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch_with_masks(dtype, batch_first, norm_first):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_mod, t_mod = make_pair(
            dtype, batch_first=batch_first, norm_first=norm_first, activation="gelu"
        )
    S, T, N = 5, 4, 3
    src = np.random.randn(N, S, D) if batch_first else np.random.randn(S, N, D)
    tgt = np.random.randn(N, T, D) if batch_first else np.random.randn(T, N, D)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(
        T, dtype=ember.float64 if dtype == np.float64 else None
    )
    t_tgt_mask = tnn.Transformer.generate_square_subsequent_mask(
        T, dtype=torch.float64 if dtype == np.float64 else None
    )
    pad = np.zeros((N, S), dtype=bool)
    pad[1, -2:] = True
    es, ts = (
        e_of(src.astype(dtype)).requires_grad_(True),
        torch.tensor(src.astype(dtype), requires_grad=True),
    )
    et, tt = (
        e_of(tgt.astype(dtype)).requires_grad_(True),
        torch.tensor(tgt.astype(dtype), requires_grad=True),
    )
    eo = e_mod(
        es,
        et,
        tgt_mask=tgt_mask,
        src_key_padding_mask=e_of(pad),
        memory_key_padding_mask=e_of(pad),
        tgt_is_causal=True,
    )
    to = t_mod(
        ts,
        tt,
        tgt_mask=t_tgt_mask,
        src_key_padding_mask=torch.tensor(pad),
        memory_key_padding_mask=torch.tensor(pad),
        tgt_is_causal=True,
    )
    k = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-10}
    assert_close(eo, to, dtype, **k)
    g = np.random.RandomState(2).randn(*tuple(to.shape)).astype(dtype)
    eo.backward(e_of(g))
    to.backward(torch.tensor(g))
    assert_close(es.grad, ts.grad, dtype, **k)
    assert_close(et.grad, tt.grad, dtype, **k)
    ep = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert_close(ep[name].grad, p.grad, dtype, **k)


def test_transformer_unbatched_and_batch_of_one():
    e_mod, t_mod = make_pair()
    src, tgt = np.random.randn(5, D), np.random.randn(3, D)
    assert_close(e_mod(e_of(src), e_of(tgt)), t_mod(torch.tensor(src), torch.tensor(tgt)))
    src, tgt = np.random.randn(5, 1, D), np.random.randn(3, 1, D)
    mm = np.random.randn(3, 5) * 0.1
    assert_close(
        e_mod(e_of(src), e_of(tgt), memory_mask=e_of(mm)),
        t_mod(torch.tensor(src), torch.tensor(tgt), memory_mask=torch.tensor(mm)),
    )


def test_transformer_state_dict_keys_equal_torch_and_defaults():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_mod = tnn.Transformer()
    e_mod = nn.Transformer()
    e_sd, t_sd = e_mod.state_dict(), t_mod.state_dict()
    assert list(e_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape), k
    assert e_mod.d_model == 512 and e_mod.nhead == 8 and e_mod.batch_first is False
    assert len(e_mod.encoder.layers) == 6 and len(e_mod.decoder.layers) == 6
    assert e_mod.encoder.layers[0].dropout.p == 0.1
    assert e_mod.encoder.layers[0].linear1.out_features == 2048


def test_transformer_init_is_xavier_uniform_and_layers_differ():
    m = nn.Transformer(
        d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=64
    )
    w = to_np(m.encoder.layers[0].linear1.weight)
    bound = math.sqrt(6 / (32 + 64))
    assert np.abs(w).max() <= bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.1)
    w2 = to_np(m.encoder.layers[1].linear1.weight)
    assert not np.allclose(w, w2)  # re-initialized after the deep copies, as torch
    np.testing.assert_array_equal(to_np(m.encoder.norm.weight), np.ones(32))


def test_transformer_custom_encoder_and_decoder():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, 16, dropout=0.0), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, 16, dropout=0.0), 1)
    m = nn.Transformer(d_model=D, nhead=H, custom_encoder=enc, custom_decoder=dec)
    assert m.encoder is enc and m.decoder is dec
    src, tgt = ember.randn(4, 2, D), ember.randn(3, 2, D)
    np.testing.assert_allclose(to_np(m(src, tgt)), to_np(dec(tgt, enc(src))), rtol=1e-6, atol=1e-6)


def test_generate_square_subsequent_mask_matches_torch():
    for sz in (0, 1, 4):
        got = to_np(nn.Transformer.generate_square_subsequent_mask(sz))
        want = tnn.Transformer.generate_square_subsequent_mask(sz).numpy()
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.float32
    m = nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    assert m.dtype == ember.float64


def test_transformer_errors():
    m = nn.Transformer(
        d_model=D, nhead=H, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16
    )
    with pytest.raises(
        ValueError,
        match=r"Transformer: the batch sizes of src and tgt must be equal .* src shape "
        r"\(4, 2, 8\) and tgt shape \(3, 3, 8\)",
    ):
        m(ember.randn(4, 2, D), ember.randn(3, 3, D))
    with pytest.raises(
        ValueError, match=r"Transformer: the feature size .* must equal d_model \(8\)"
    ):
        m(ember.randn(4, 2, D), ember.randn(3, 2, 6))
    with pytest.raises(ValueError, match=r"must be divisible by num_heads"):
        nn.Transformer(d_model=10, nhead=3)
    with pytest.raises(
        ValueError, match=r"generate_square_subsequent_mask: sz must be a non-negative int"
    ):
        nn.Transformer.generate_square_subsequent_mask(-1)


# ---- CTC -------------------------------------------------------------------------------------

CTC_T, CTC_N, CTC_C = 12, 4, 6
CTC_TG = np.array([[2, 2, 3, 1, 5, 4], [1, 1, 1, 1, 1, 1], [5, 4, 3, 2, 1, 3], [4, 4, 0, 0, 0, 0]])
CTC_TG_LEN = np.array([3, 0, 5, 2])
CTC_IN_LEN = np.array([12, 7, 10, 3])


def assert_ctc_matches(logits, targets, in_len, tg_len, dtype=np.float64, **kw):
    el = e_of(logits.astype(dtype)).requires_grad_(True)
    tl = torch.tensor(logits.astype(dtype), requires_grad=True)
    eo = F.ctc_loss(F.log_softmax(el, -1), e_of(targets), e_of(in_len), e_of(tg_len), **kw)
    to = TF.ctc_loss(
        TF.log_softmax(tl, -1),
        torch.tensor(targets),
        torch.tensor(in_len),
        torch.tensor(tg_len),
        **kw,
    )
    k = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {}
    assert_close(eo, to, dtype, **k)
    if np.isfinite(to.detach().numpy()).all():
        eo.sum().backward()
        to.sum().backward()
        assert_close(el.grad, tl.grad, dtype, **k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 5])
def test_ctc_loss_matches_torch_padded_targets(dtype, reduction, blank):
    logits = np.random.randn(CTC_T, CTC_N, CTC_C)
    tg = np.where(CTC_TG == blank, (blank + 1) % CTC_C, CTC_TG)
    assert_ctc_matches(logits, tg, CTC_IN_LEN, CTC_TG_LEN, dtype, blank=blank, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_matches_torch_concatenated_and_unbatched_targets(reduction):
    logits = np.random.randn(CTC_T, CTC_N, CTC_C)
    flat = np.concatenate([CTC_TG[i, : CTC_TG_LEN[i]] for i in range(CTC_N)])
    assert_ctc_matches(logits, flat, CTC_IN_LEN, CTC_TG_LEN, reduction=reduction)
    assert_ctc_matches(logits[:, 0], CTC_TG[0, :3], np.array(9), np.array(3), reduction=reduction)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_impossible_alignments(zero_infinity):
    # sample 0 needs 4 frames for "1 1 2" (a blank between the repeated 1s) but has 3; sample 1
    # has no frames and no labels (probability 1, loss 0).
    logits = np.random.randn(5, 3, 4)
    tg = np.array([[1, 1, 2], [1, 2, 3], [2, 3, 1]])
    assert_ctc_matches(
        logits,
        tg,
        np.array([3, 0, 5]),
        np.array([3, 0, 2]),
        reduction="none",
        zero_infinity=zero_infinity,
    )
    assert_ctc_matches(
        logits, tg, np.array([3, 0, 5]), np.array([3, 0, 2]), reduction="mean", zero_infinity=True
    )


def test_ctc_loss_gradient_is_exact_and_torch_adds_exp_log_probs():
    from ember.autograd import gradcheck

    lp = TF.log_softmax(torch.randn(6, 2, 4, dtype=torch.float64), 2).numpy()
    tg, il, tl = np.array([[1, 2], [3, 3]]), [6, 5], [2, 2]
    assert gradcheck(
        lambda x: F.ctc_loss(x, e_of(tg), il, tl, reduction="sum"), (e_of(lp).requires_grad_(True),)
    )
    e, t = e_of(lp).requires_grad_(True), torch.tensor(lp, requires_grad=True)
    F.ctc_loss(e, e_of(tg), il, tl, reduction="sum").backward()
    TF.ctc_loss(t, torch.tensor(tg), il, tl, reduction="sum").backward()
    active = np.arange(6)[:, None, None] < np.array(il)[None, :, None]
    # PyTorch's gradient with respect to log_probs assumes they come from log_softmax
    np.testing.assert_allclose(t.grad.numpy() - to_np(e.grad), np.exp(lp) * active, atol=1e-12)


def test_ctc_loss_module_and_errors():
    m, tm = nn.CTCLoss(blank=1, zero_infinity=True), tnn.CTCLoss(blank=1, zero_infinity=True)
    assert repr(m) == repr(tm)
    lp = TF.log_softmax(torch.randn(5, 2, 3), 2).numpy()
    assert_close(
        m(e_of(lp), e_of(np.array([[0, 2], [2, 2]])), [5, 4], [2, 1]),
        tm(torch.tensor(lp), torch.tensor([[0, 2], [2, 2]]), (5, 4), (2, 1)),
        np.float32,
    )
    with pytest.raises(
        ValueError, match=r"ctc_loss: input_lengths must be in \[0, T\] = \[0, 5\], got \[6, 4\]"
    ):
        F.ctc_loss(e_of(lp), ember.tensor([[0, 2], [2, 2]]), [6, 4], [2, 1])
    with pytest.raises(
        ValueError, match=r"ctc_loss: target labels must be in \[0, C\) = \[0, 3\), got 7"
    ):
        F.ctc_loss(e_of(lp), ember.tensor([[0, 7], [2, 2]]), [5, 4], [2, 1])
    with pytest.raises(
        ValueError, match=r"ctc_loss: input_lengths must have one entry per sample \(2\), got 3"
    ):
        F.ctc_loss(e_of(lp), ember.tensor([[0, 2], [2, 2]]), [5, 4, 3], [2, 1])
    with pytest.raises(
        ValueError, match=r"ctc_loss: target_lengths \[3, 1\] exceed targets.shape\[1\] \(2\)"
    ):
        F.ctc_loss(e_of(lp), ember.tensor([[0, 2], [2, 2]]), [5, 4], [3, 1])
