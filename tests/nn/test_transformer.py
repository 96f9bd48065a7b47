"""MultiheadAttention and the Transformer encoder/decoder vs torch: values, gradients,
masks, state_dict, init, errors."""

from __future__ import annotations

import doctest
import math

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit, nn
from ember.nn.modules import transformer as transformer_module

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}

E, HEADS, L, S, N = 8, 2, 4, 6, 3


def e_of(a):
    return ember.tensor(np.ascontiguousarray(a))


def copy_state(e_mod, t_mod):
    e_mod.load_state_dict(
        {k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )


def assert_close(e, t, dtype, **kw):
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **(kw or TOL[dtype]))


def leaf_pair(arr, grad):
    e, t = e_of(arr), torch.tensor(arr)
    if grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    return e, t


def pair_module(e_mod, t_mod, dtype, train=False):
    """Randomizes torch's parameters (so zero biases and unit norms are exercised too), copies
    them into the ember module, sets both to eval (or train) mode."""
    with torch.no_grad():
        for p in t_mod.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    if dtype == np.float64:
        t_mod.double()
        e_mod.double()
    copy_state(e_mod, t_mod)
    e_mod.train(train)
    t_mod.train(train)
    return e_mod, t_mod


def assert_grads_match(e_outs, t_outs, e_leaves, t_leaves, e_mod, t_mod, dtype, rs):
    weights = [rs.randn(*tuple(t.shape)) for t in t_outs]
    sum((e * e_of(w)).sum() for e, w in zip(e_outs, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(t_outs, weights)).backward()
    for e, t in zip(e_leaves, t_leaves):
        assert_close(e.grad, t.grad, dtype)
    e_params = dict(e_mod.named_parameters())
    t_named = list(t_mod.named_parameters())
    assert sorted(e_params) == sorted(n for n, _ in t_named)
    for name, tp in t_named:
        assert_close(e_params[name].grad, tp.grad, dtype)


# ---- MultiheadAttention ----------------------------------------------------------------------

# name: (constructor keywords, layout, self-attention)
MHA_CONFIGS = {
    "self": ({}, "batched", True),
    "cross": ({}, "batched", False),
    "kdim_vdim": ({"kdim": 3, "vdim": 5}, "batched", False),
    "batch_first": ({"batch_first": True}, "batch_first", False),
    "unbatched": ({}, "unbatched", False),
    "zero_attn": ({"add_zero_attn": True}, "batched", False),
    "no_bias": ({"bias": False}, "batched", False),
}

MASKS = ["none", "bool_attn", "float_attn_3d", "bool_kpm", "float_kpm", "bool_both", "causal"]

WEIGHTS = {
    "avg": {"need_weights": True},
    "per_head": {"need_weights": True, "average_attn_weights": False},
    "none": {"need_weights": False},
}


def make_masks(kind, q_len, k_len, batched, rs, dtype):
    """(ember kwargs, torch kwargs) of a mask kind; no query ever has all its keys masked."""
    out = {}
    bsz = N if batched else 1
    if kind in ("bool_attn", "bool_both"):
        m = rs.rand(q_len, k_len) < 0.4
        m[:, 0] = False
        out["attn_mask"] = m
    if kind == "float_attn_3d":
        m = rs.randn(bsz * HEADS, q_len, k_len).astype(dtype)
        m[..., 1:][rs.rand(bsz * HEADS, q_len, k_len - 1) < 0.3] = -np.inf
        out["attn_mask"] = m
    if kind in ("bool_kpm", "bool_both"):
        m = rs.rand(bsz, k_len) < 0.4
        m[:, 0] = False
        out["key_padding_mask"] = m if batched else m[0]
    if kind == "float_kpm":
        m = rs.randn(bsz, k_len).astype(dtype)
        m[:, 2] = -np.inf
        out["key_padding_mask"] = m if batched else m[0]
    if kind == "causal":
        out["attn_mask"] = np.triu(np.ones((q_len, k_len), dtype=bool), 1)
        out["is_causal"] = True
    e_kw = {k: (e_of(v) if isinstance(v, np.ndarray) else v) for k, v in out.items()}
    t_kw = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in out.items()}
    return e_kw, t_kw


def mha_inputs(config, rs, dtype):
    kw, layout, self_attn = MHA_CONFIGS[config]
    kdim, vdim = kw.get("kdim", E), kw.get("vdim", E)
    k_len = L if self_attn else S

    def shape(length, feat):
        return {
            "batched": (length, N, feat),
            "batch_first": (N, length, feat),
            "unbatched": (length, feat),
        }[layout]

    q = rs.randn(*shape(L, E)).astype(dtype)
    if self_attn:
        return [q], k_len, layout != "unbatched"
    k = rs.randn(*shape(k_len, kdim)).astype(dtype)
    v = rs.randn(*shape(k_len, vdim)).astype(dtype)
    return [q, k, v], k_len, layout != "unbatched"


def assert_mha_case_matches(config, mask, weights, dtype):
    kw = MHA_CONFIGS[config][0]
    e_mod, t_mod = pair_module(
        nn.MultiheadAttention(E, HEADS, **kw), tnn.MultiheadAttention(E, HEADS, **kw), dtype
    )
    rs = np.random.RandomState(17)
    arrays, k_len, batched = mha_inputs(config, rs, dtype)
    grad = dtype == np.float64
    leaves = [leaf_pair(a, grad) for a in arrays]
    e_in = [p[0] for p in leaves] * (3 if len(leaves) == 1 else 1)
    t_in = [p[1] for p in leaves] * (3 if len(leaves) == 1 else 1)
    e_kw, t_kw = make_masks(mask, L, k_len, batched, rs, dtype)
    e_out, e_w = e_mod(*e_in, **e_kw, **WEIGHTS[weights])
    t_out, t_w = t_mod(*t_in, **t_kw, **WEIGHTS[weights])
    assert_close(e_out, t_out, dtype)
    if WEIGHTS[weights]["need_weights"]:
        assert_close(e_w, t_w, dtype)
    else:
        assert e_w is None and t_w is None
    if grad:
        e_outs = [e_out] + ([e_w] if e_w is not None else [])
        t_outs = [t_out] + ([t_w] if t_w is not None else [])
        assert_grads_match(
            e_outs, t_outs, [p[0] for p in leaves], [p[1] for p in leaves], e_mod, t_mod, dtype, rs
        )


@pytest.mark.parametrize("weights", list(WEIGHTS))
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("config", list(MHA_CONFIGS))
def test_mha_matches_torch_float64_with_grads(config, mask, weights):
    assert_mha_case_matches(config, mask, weights, np.float64)


@pytest.mark.parametrize("mask", ["none", "bool_both", "float_attn_3d", "causal"])
@pytest.mark.parametrize("config", list(MHA_CONFIGS))
def test_mha_matches_torch_float32(config, mask):
    assert_mha_case_matches(config, mask, "avg", np.float32)
    assert_mha_case_matches(config, mask, "none", np.float32)


def test_mha_fully_masked_query_behaves_like_torch():
    # All keys of batch 0 padded: NaN with need_weights (softmax of -inf), zero attention without.
    e_mod, t_mod = pair_module(
        nn.MultiheadAttention(E, HEADS), tnn.MultiheadAttention(E, HEADS), np.float64
    )
    x = np.random.RandomState(2).randn(L, 2, E)
    kpm = np.array([[True] * L, [False] * L])
    for need in (True, False):
        e_out, _ = e_mod(e_of(x), e_of(x), e_of(x), key_padding_mask=e_of(kpm), need_weights=need)
        t_out, _ = t_mod(
            *[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm), need_weights=need
        )
        np.testing.assert_allclose(to_np(e_out), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert np.isnan(to_np(e_out)[:, 0]).all() == need


def test_mha_dropout_in_training_only():
    m = nn.MultiheadAttention(E, HEADS, dropout=0.5)
    x = ember.randn(L, N, E)
    a, b = m(x, x, x)[1], m(x, x, x)[1]
    assert not np.allclose(to_np(a), to_np(b))
    m.eval()
    np.testing.assert_array_equal(to_np(m(x, x, x)[0]), to_np(m(x, x, x)[0]))
    w = to_np(m(x, x, x)[1])
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [{}, {"kdim": 3, "vdim": 5}, {"bias": False}, {"kdim": 3}],
    ids=["packed", "separate", "no_bias", "kdim_only"],
)
def test_mha_state_dict_keys_and_shapes_equal_torch(kw):
    e_sd = nn.MultiheadAttention(E, HEADS, **kw).state_dict()
    t_sd = tnn.MultiheadAttention(E, HEADS, **kw).state_dict()
    assert list(e_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape), k


def test_mha_init_xavier_uniform_and_zero_biases():
    e = 64
    m = nn.MultiheadAttention(e, 4)
    w = to_np(m.in_proj_weight)
    bound = math.sqrt(6.0 / (e + 3 * e))  # fan_in E, fan_out 3E
    assert np.abs(w).max() <= bound and w.max() > 0.95 * bound and w.min() < -0.95 * bound
    np.testing.assert_allclose(w.var(), bound**2 / 3, rtol=0.05)
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * w.size)
    assert np.all(to_np(m.in_proj_bias) == 0) and np.all(to_np(m.out_proj.bias) == 0)
    out_bound = 1 / math.sqrt(e)  # Linear's kaiming_uniform(a=sqrt(5))
    assert np.abs(to_np(m.out_proj.weight)).max() <= out_bound
    sep = nn.MultiheadAttention(e, 4, kdim=32, vdim=16)
    for name, fan_in in (("q_proj_weight", e), ("k_proj_weight", 32), ("v_proj_weight", 16)):
        a = to_np(getattr(sep, name))
        b = math.sqrt(6.0 / (fan_in + e))
        assert np.abs(a).max() <= b and a.max() > 0.9 * b, name
        np.testing.assert_allclose(a.var(), b**2 / 3, rtol=0.1, err_msg=name)
    assert sep.in_proj_weight is None


def test_mha_errors_name_module_shapes_and_expectation():
    m = nn.MultiheadAttention(E, HEADS)
    q, k = ember.randn(L, N, E), ember.randn(S, N, E)
    with pytest.raises(
        ValueError,
        match=r"MultiheadAttention: query.shape\[-1\] \(5\) must equal embed_dim \(8\); "
        r"got query \(4, 3, 5\)",
    ):
        m(ember.randn(L, N, 5), k, k)
    with pytest.raises(
        ValueError,
        match=r"MultiheadAttention: the shape of the 2-D attn_mask is \(4, 5\), "
        r"but should be \(4, 6\)",
    ):
        m(q, k, k, attn_mask=ember.zeros(L, 5))
    with pytest.raises(
        ValueError, match=r"the 3-D attn_mask is \(2, 4, 6\), but should be \(6, 4, 6\)"
    ):
        m(q, k, k, attn_mask=ember.zeros(2, L, S))
    with pytest.raises(
        ValueError, match=r"expected key_padding_mask of shape \(3, 6\).*got \(3, 5\)"
    ):
        m(q, k, k, key_padding_mask=ember.zeros(N, 5))
    with pytest.raises(
        ValueError, match=r"query should be unbatched 2-D \(L, E\) or batched 3-D, got 4-D"
    ):
        m(ember.randn(1, L, N, E), k, k)
    with pytest.raises(ValueError, match=r"key and value must be 3-D too"):
        m(q, ember.randn(S, E), k)
    with pytest.raises(ValueError, match=r"key and query batch sizes differ \(2 vs 3\)"):
        m(q, ember.randn(S, 2, E), ember.randn(S, 2, E))
    with pytest.raises(ValueError, match="is_causal=True needs attn_mask"):
        m(q, q, q, is_causal=True)
    with pytest.raises(
        TypeError, match="attn_mask must be bool or of the query dtype float32, got int64"
    ):
        m(q, k, k, attn_mask=ember.zeros(L, S, dtype=ember.int64))
    with pytest.raises(
        TypeError, match="query dtype float64 must equal the parameters' dtype float32"
    ):
        m(q.double(), k.double(), k.double())
    with pytest.raises(ValueError, match=r"embed_dim \(8\) must be divisible by num_heads \(3\)"):
        nn.MultiheadAttention(E, 3)
    with pytest.raises(NotImplementedError, match="add_bias_kv=True is not supported"):
        nn.MultiheadAttention(E, 2, add_bias_kv=True)
    with pytest.raises(ValueError, match=r"dropout must be a probability in \[0, 1\]"):
        nn.MultiheadAttention(E, 2, dropout=2.0)


# ---- encoder and decoder ---------------------------------------------------------------------


def activation_pair(kind):
    if kind == "module":
        return nn.GELU(approximate="tanh"), tnn.GELU(approximate="tanh")
    if kind == "function":
        return F.silu, tnn.functional.silu
    return kind, kind


def layout_shape(length, batch_first, batched=True):
    if not batched:
        return (length, E)
    return (N, length, E) if batch_first else (length, N, E)


def causal_mask(n):
    return np.triu(np.ones((n, n), dtype=bool), 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("activation", ["relu", "gelu", "module", "function"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first, dtype):
    e_act, t_act = activation_pair(activation)
    kw = {
        "d_model": E,
        "nhead": HEADS,
        "dim_feedforward": 16,
        "dropout": 0.1,
        "batch_first": batch_first,
        "norm_first": norm_first,
    }
    e_mod, t_mod = pair_module(
        nn.TransformerEncoderLayer(activation=e_act, **kw),
        tnn.TransformerEncoderLayer(activation=t_act, **kw),
        dtype,
    )
    rs = np.random.RandomState(23)
    grad = dtype == np.float64
    ex, tx = leaf_pair(rs.randn(*layout_shape(L, batch_first)).astype(dtype), grad)
    kpm = rs.rand(N, L) < 0.3
    kpm[:, 0] = False
    mask = causal_mask(L)
    e_out = e_mod(ex, src_mask=e_of(mask), src_key_padding_mask=e_of(kpm))
    t_out = t_mod(tx, src_mask=torch.tensor(mask), src_key_padding_mask=torch.tensor(kpm))
    assert_close(e_out, t_out, dtype)
    if grad:
        assert_grads_match([e_out], [t_out], [ex], [tx], e_mod, t_mod, dtype, rs)


@pytest.mark.parametrize("mask", ["none", "float_mask", "causal_hint", "float_kpm", "unbatched"])
def test_encoder_layer_masks_match_torch(mask):
    dtype = np.float64
    kw = {"d_model": E, "nhead": HEADS, "dim_feedforward": 16}
    e_mod, t_mod = pair_module(
        nn.TransformerEncoderLayer(**kw), tnn.TransformerEncoderLayer(**kw), dtype
    )
    rs = np.random.RandomState(29)
    ex, tx = leaf_pair(rs.randn(*layout_shape(L, False, mask != "unbatched")), True)
    args = {}
    if mask == "float_mask":
        args["src_mask"] = rs.randn(L, L)
    if mask == "causal_hint":
        args.update(src_mask=causal_mask(L), is_causal=True)
    if mask == "float_kpm":
        m = rs.randn(N, L)
        m[:, 3] = -np.inf
        args["src_key_padding_mask"] = m
    if mask == "unbatched":
        args["src_key_padding_mask"] = np.array([False, False, True, False])
    e_out = e_mod(ex, **{k: e_of(v) if isinstance(v, np.ndarray) else v for k, v in args.items()})
    t_out = t_mod(
        tx, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    )
    assert_close(e_out, t_out, dtype)
    assert_grads_match([e_out], [t_out], [ex], [tx], e_mod, t_mod, dtype, rs)


# A float memory_mask with a bool memory_key_padding_mask: valid, torch warns it is deprecated.
@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq_first", "batch_first"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_decoder_layer_matches_torch(norm_first, batch_first, dtype):
    kw = {
        "d_model": E,
        "nhead": HEADS,
        "dim_feedforward": 16,
        "batch_first": batch_first,
        "norm_first": norm_first,
        "activation": "gelu",
    }
    e_mod, t_mod = pair_module(
        nn.TransformerDecoderLayer(**kw), tnn.TransformerDecoderLayer(**kw), dtype
    )
    rs = np.random.RandomState(31)
    grad = dtype == np.float64
    et, tt = leaf_pair(rs.randn(*layout_shape(L, batch_first)).astype(dtype), grad)
    em, tm = leaf_pair(rs.randn(*layout_shape(S, batch_first)).astype(dtype), grad)
    tgt_kpm = rs.rand(N, L) < 0.3
    tgt_kpm[:, 0] = False
    mem_kpm = rs.rand(N, S) < 0.3
    mem_kpm[:, 0] = False
    mem_mask = rs.randn(L, S).astype(dtype)
    args = {
        "tgt_mask": causal_mask(L),
        "memory_mask": mem_mask,
        "tgt_key_padding_mask": tgt_kpm,
        "memory_key_padding_mask": mem_kpm,
    }
    e_out = e_mod(et, em, **{k: e_of(v) for k, v in args.items()}, tgt_is_causal=True)
    t_out = t_mod(tt, tm, **{k: torch.tensor(v) for k, v in args.items()}, tgt_is_causal=True)
    assert_close(e_out, t_out, dtype)
    if grad:
        assert_grads_match([e_out], [t_out], [et, em], [tt, tm], e_mod, t_mod, dtype, rs)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_stack_matches_torch(norm_first):
    dtype = np.float64
    kw = {
        "d_model": E,
        "nhead": HEADS,
        "dim_feedforward": 16,
        "norm_first": norm_first,
        "batch_first": True,
    }
    e_mod = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(**kw), num_layers=2, norm=nn.LayerNorm(E)
    )
    t_mod = tnn.TransformerEncoder(
        tnn.TransformerEncoderLayer(**kw),
        num_layers=2,
        norm=tnn.LayerNorm(E),
        enable_nested_tensor=False,
    )
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    e_mod, t_mod = pair_module(e_mod, t_mod, dtype)
    rs = np.random.RandomState(37)
    ex, tx = leaf_pair(rs.randn(N, L, E), True)
    kpm = np.zeros((N, L), dtype=bool)
    kpm[1, 2:] = True
    mask = causal_mask(L)
    for is_causal in (None, True):
        e_out = e_mod(ex, mask=e_of(mask), src_key_padding_mask=e_of(kpm), is_causal=is_causal)
        t_out = t_mod(
            tx, mask=torch.tensor(mask), src_key_padding_mask=torch.tensor(kpm), is_causal=is_causal
        )
        assert_close(e_out, t_out, dtype)
    assert_grads_match([e_out], [t_out], [ex], [tx], e_mod, t_mod, dtype, rs)


def test_decoder_stack_matches_torch():
    dtype = np.float64
    kw = {"d_model": E, "nhead": HEADS, "dim_feedforward": 16}
    e_mod = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(**kw), num_layers=2, norm=nn.LayerNorm(E)
    )
    t_mod = tnn.TransformerDecoder(
        tnn.TransformerDecoderLayer(**kw), num_layers=2, norm=tnn.LayerNorm(E)
    )
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    e_mod, t_mod = pair_module(e_mod, t_mod, dtype)
    rs = np.random.RandomState(41)
    et, tt = leaf_pair(rs.randn(L, N, E), True)
    em, tm = leaf_pair(rs.randn(S, N, E), True)
    mem_kpm = np.zeros((N, S), dtype=bool)
    mem_kpm[0, 3:] = True
    e_out = e_mod(et, em, tgt_mask=e_of(causal_mask(L)), memory_key_padding_mask=e_of(mem_kpm))
    t_out = t_mod(
        tt, tm, tgt_mask=torch.tensor(causal_mask(L)), memory_key_padding_mask=torch.tensor(mem_kpm)
    )
    assert_close(e_out, t_out, dtype)
    assert_grads_match([e_out], [t_out], [et, em], [tt, tm], e_mod, t_mod, dtype, rs)


def test_training_mode_without_dropout_matches_torch():
    kw = {"d_model": E, "nhead": HEADS, "dim_feedforward": 16, "dropout": 0.0}
    e_mod, t_mod = pair_module(
        nn.TransformerEncoderLayer(**kw), tnn.TransformerEncoderLayer(**kw), np.float64, train=True
    )
    x = np.random.RandomState(43).randn(L, N, E)
    assert_close(e_mod(e_of(x)), t_mod(torch.tensor(x)), np.float64)


def test_encoder_layer_dropout_only_in_training():
    m = nn.TransformerEncoderLayer(E, HEADS, dim_feedforward=16, dropout=0.3)
    x = ember.randn(L, N, E)
    assert not np.allclose(to_np(m(x)), to_np(m(x)))
    m.eval()
    np.testing.assert_array_equal(to_np(m(x)), to_np(m(x)))


def test_stack_layers_are_independent_deep_copies():
    layer = nn.TransformerEncoderLayer(E, HEADS, dim_feedforward=16)
    enc = nn.TransformerEncoder(layer, num_layers=3)
    assert len(enc.layers) == 3
    ids = {id(p) for p in layer.parameters()}
    for sub in enc.layers:
        assert sub is not layer and not ids & {id(p) for p in sub.parameters()}
        np.testing.assert_array_equal(to_np(sub.linear1.weight), to_np(layer.linear1.weight))
    with ember.no_grad():
        enc.layers[0].linear1.weight.add_(1.0)
    assert not np.allclose(to_np(enc.layers[0].linear1.weight), to_np(enc.layers[1].linear1.weight))
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


@pytest.mark.parametrize("bias", [True, False])
def test_layer_state_dict_keys_equal_torch(bias):
    for e_cls, t_cls in (
        (nn.TransformerEncoderLayer, tnn.TransformerEncoderLayer),
        (nn.TransformerDecoderLayer, tnn.TransformerDecoderLayer),
    ):
        e_sd = e_cls(E, HEADS, dim_feedforward=16, bias=bias).state_dict()
        t_sd = t_cls(E, HEADS, dim_feedforward=16, bias=bias).state_dict()
        assert list(e_sd) == list(t_sd)
        for k in t_sd:
            assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape), k


def test_layer_errors():
    with pytest.raises(
        ValueError,
        match="TransformerEncoderLayer: activation should be 'relu', 'gelu' or a callable, "
        "got 'tanh'",
    ):
        nn.TransformerEncoderLayer(E, HEADS, activation="tanh")
    with pytest.raises(
        ValueError,
        match=r"MultiheadAttention: embed_dim \(8\) must be divisible by num_heads \(3\)",
    ):
        nn.TransformerDecoderLayer(E, 3)
    with pytest.raises(
        TypeError, match="TransformerEncoder: expected encoder_layer to be a Module, got str"
    ):
        nn.TransformerEncoder("layer", 2)
    with pytest.raises(
        ValueError, match="TransformerDecoder: num_layers must be a non-negative int"
    ):
        nn.TransformerDecoder(nn.TransformerDecoderLayer(E, HEADS), -1)
    layer = nn.TransformerEncoderLayer(E, HEADS, dim_feedforward=16)
    with pytest.raises(
        ValueError,
        match=r"in TransformerEncoderLayer.self_attn .*"
        r"query.shape\[-1\] \(5\) must equal embed_dim \(8\)",
    ):
        layer(ember.randn(L, N, 5))


def test_jit_trace_of_encoder_layer_forward_backward_matches_eager():
    m = nn.TransformerEncoderLayer(E, HEADS, dim_feedforward=16, norm_first=True).double().eval()
    params = list(m.parameters())
    mask = e_of(causal_mask(L))

    def step(x):
        m.zero_grad()
        y = m(x, src_mask=mask)
        loss = (y * y).sum()
        loss.backward()
        return y, [p.grad * 1.0 for p in params]

    traced = jit.trace(step, ember.randn(L, N, E, dtype=ember.float64))
    x = ember.randn(L, N, E, dtype=ember.float64)
    got, want = traced(x), step(x)
    np.testing.assert_allclose(to_np(got[0]), to_np(want[0]), rtol=1e-12, atol=1e-13)
    for g, w in zip(got[1], want[1]):
        np.testing.assert_allclose(to_np(g), to_np(w), rtol=1e-10, atol=1e-12)


def test_docstring_examples_run():
    globs = {"ember": ember, "nn": nn}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(transformer_module, globs=globs)
    assert sum(len(t.examples) for t in tests) >= 5
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_exported_from_nn():
    for name in transformer_module.__all__:
        assert name in nn.__all__ and getattr(nn, name) is getattr(transformer_module, name)
