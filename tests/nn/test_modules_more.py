"""The new activation modules, PReLU, ParameterList, ParameterDict, pixel (un)shuffle and
scaled_dot_product_attention vs torch; ember.jit traces of the compositions; the docstring
examples of the new code."""

from __future__ import annotations

import doctest
import inspect
import math
from collections import OrderedDict

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit, nn
from ember.autograd import gradcheck

from ._util import assert_close, et, pair, to_np

torch = pytest.importorskip("torch")
TF = torch.nn.functional
tnn = torch.nn


def _backward_both(e_out, t_out, seed=0):
    g = np.asarray(np.random.RandomState(seed).randn(*tuple(t_out.shape)))
    g = g.astype(t_out.detach().numpy().dtype)
    e_out.backward(et(g))
    t_out.backward(torch.tensor(g))


def _match(e_mod, t_mod, x, dtype=np.float64):
    e, t = pair(np.asarray(x).astype(dtype), requires_grad=True)
    eo, to = e_mod(e), t_mod(t)
    assert_close(eo, to)
    _backward_both(eo, to)
    assert_close(e.grad, t.grad)
    return e_mod


# ---- activation modules ------------------------------------------------------------------

MODULES = [
    ("ELU", {}),
    ("ELU", {"alpha": 0.5, "inplace": True}),
    ("SELU", {}),
    ("SELU", {"inplace": True}),
    ("CELU", {"alpha": 2.0}),
    ("CELU", {"inplace": True}),
    ("Softplus", {}),
    ("Softplus", {"beta": 2, "threshold": 10}),
    ("Softsign", {}),
    ("Hardtanh", {}),
    ("Hardtanh", {"min_val": -2, "max_val": 3, "inplace": True}),
    ("ReLU6", {}),
    ("ReLU6", {"inplace": True}),
    ("Hardswish", {}),
    ("Hardswish", {"inplace": True}),
    ("Hardsigmoid", {"inplace": True}),
    ("Mish", {}),
    ("Mish", {"inplace": True}),
    ("LogSigmoid", {}),
    ("GLU", {}),
    ("GLU", {"dim": 1}),
    ("PixelShuffle", {"upscale_factor": 2}),
    ("PixelUnshuffle", {"downscale_factor": 2}),
]


def _kw_id(case):
    name, kw = case
    return name + "".join(f"-{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("case", MODULES, ids=[_kw_id(c) for c in MODULES])
def test_module_matches_torch_and_has_its_repr(case):
    name, kw = case
    e_mod, t_mod = getattr(nn, name)(**kw), getattr(tnn, name)(**kw)
    assert repr(e_mod) == repr(t_mod)
    x = np.random.randn(2, 4, 6, 6) * 4
    if kw.get("inplace"):
        # In place on a non-leaf that records history, as one would after another layer.
        e, t = pair(x, requires_grad=True)
        ey, ty = e * 1.0, t * 1.0
        eo, to = e_mod(ey), t_mod(ty)
        assert eo is ey
        assert_close(eo, to)
        _backward_both(eo, to)
        assert_close(e.grad, t.grad)
    else:
        _match(e_mod, t_mod, x)


def test_module_signatures_and_attributes_follow_torch():
    for name in (
        "ELU",
        "SELU",
        "CELU",
        "Softplus",
        "Hardtanh",
        "ReLU6",
        "Hardswish",
        "Hardsigmoid",
        "Mish",
        "GLU",
        "PReLU",
        "PixelShuffle",
        "PixelUnshuffle",
    ):
        e = inspect.signature(getattr(nn, name).__init__).parameters
        t = inspect.signature(getattr(tnn, name).__init__).parameters
        assert list(e) == list(t), name
        assert [p.default for p in e.values()] == [p.default for p in t.values()], name
    m = nn.Hardtanh(-2.0, 2.0)
    assert (m.min_val, m.max_val, m.inplace) == (-2.0, 2.0, False)
    assert nn.ReLU6().min_val == 0.0 and nn.ReLU6().max_val == 6.0
    assert isinstance(nn.ReLU6(), nn.Hardtanh)


def test_module_argument_errors():
    with pytest.raises(ValueError, match=r"Hardtanh: max_val \(1.0\) must be greater than "):
        nn.Hardtanh(1.0, 1.0)
    with pytest.warns(DeprecationWarning, match="min_value"):
        assert nn.Hardtanh(min_value=-3.0).min_val == -3.0
    with pytest.raises(ValueError, match=r"PReLU: num_parameters must be a positive int, got 0"):
        nn.PReLU(0)
    with pytest.raises(TypeError, match=r"PReLU: num_parameters must be a positive int"):
        nn.PReLU(1.5)
    with pytest.raises(ValueError, match=r"celu: alpha must be nonzero"):
        nn.CELU(0.0)(ember.randn(2))


# ---- PReLU -------------------------------------------------------------------------------


@pytest.mark.parametrize("num_parameters", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_module_matches_torch_with_weight_gradient(num_parameters, dtype):
    e_mod, t_mod = nn.PReLU(num_parameters, 0.1), tnn.PReLU(num_parameters, 0.1)
    if dtype == np.float64:
        e_mod.double()
        t_mod.double()
    with torch.no_grad():
        t_mod.weight.uniform_(0.0, 0.5)
    e_mod.load_state_dict({k: et(v.numpy()) for k, v in t_mod.state_dict().items()})
    _match(e_mod, t_mod, np.random.randn(2, 3, 4), dtype)
    assert_close(e_mod.weight.grad, t_mod.weight.grad)
    assert repr(e_mod) == repr(t_mod)


def test_prelu_parameter_state_dict_and_optimizer():
    m = nn.PReLU(4, init=0.3, dtype=ember.float64)
    assert m.weight.dtype == ember.float64 and m.num_parameters == 4 and m.init == 0.3
    sd = m.state_dict()
    assert list(sd) == ["weight"]
    np.testing.assert_array_equal(to_np(sd["weight"]), np.full(4, 0.3))
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    opt = ember.optim.SGD(m.parameters(), lr=0.5)
    m(-ember.ones(2, 4, dtype=ember.float64)).sum().backward()
    opt.step()
    np.testing.assert_allclose(to_np(m.weight), 0.3 + 0.5 * 2.0)
    fresh = nn.PReLU(4, dtype=ember.float64)
    fresh.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(to_np(fresh.weight), to_np(m.weight))
    fresh.reset_parameters()
    np.testing.assert_array_equal(to_np(fresh.weight), np.full(4, 0.25))


# ---- ParameterList -----------------------------------------------------------------------


def test_parameter_list_registers_parameters_like_torch():
    a, b = ember.randn(2, 3), ember.randn(3, dtype=ember.float64)
    pl = nn.ParameterList([a, nn.Parameter(b), "label"])
    tpl = tnn.ParameterList(
        [torch.zeros(2, 3), tnn.Parameter(torch.zeros(3, dtype=torch.float64)), "label"]
    )
    assert repr(pl) == repr(tpl).replace("torch.", "ember.")
    assert len(pl) == 3 and isinstance(pl[0], nn.Parameter) and pl[0].requires_grad
    assert pl[2] == "label"
    # A plain tensor is wrapped without a copy; a Parameter is kept as it is.
    assert pl[0].data_ptr() == a.data_ptr() and pl[1] is not b
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert list(pl.state_dict()) == ["0", "1"]
    assert pl[-1] == "label" and pl[-3] is pl[0]
    with pytest.raises(IndexError, match=r"ParameterList: index 3 is out of range for length 3"):
        pl[3]


def test_parameter_list_mutation_slicing_and_errors():
    pl = nn.ParameterList()
    assert repr(pl) == "ParameterList()" and len(pl) == 0
    pl.append(ember.zeros(1))
    pl.extend([ember.ones(2), ember.ones(3)])
    pl += [ember.ones(4)]
    assert [tuple(p.shape) for p in pl] == [(1,), (2,), (3,), (4,)]
    pl[1] = ember.full((5,), 2.0)
    assert tuple(pl[1].shape) == (5,) and isinstance(pl[1], nn.Parameter)
    sub = pl[1:3]
    assert isinstance(sub, nn.ParameterList) and len(sub) == 2 and sub[0] is pl[1]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable"):
        pl.extend(ember.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        pl(ember.ones(1))
    assert "0" not in dir(pl) and "append" in dir(pl)
    single = nn.ParameterList([ember.zeros(2)])
    assert repr(single) == repr(tnn.ParameterList([torch.zeros(2)])).replace("torch.", "ember.")


def test_parameter_list_in_a_model_trains_saves_and_converts():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([ember.ones(3), ember.full((3,), 2.0)])

        def forward(self, x):
            for w in self.ws:
                x = x * w
            return x.sum()

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["ws.0", "ws.1"]
    assert list(net.state_dict()) == ["ws.0", "ws.1"]
    opt = ember.optim.SGD(net.parameters(), lr=0.1)
    net(ember.ones(3)).backward()
    opt.step()
    np.testing.assert_allclose(to_np(net.ws[0]), np.full(3, 0.8), rtol=1e-6)
    np.testing.assert_allclose(to_np(net.ws[1]), np.full(3, 1.9), rtol=1e-6)
    other = Net()
    other.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(to_np(other.ws[1]), to_np(net.ws[1]))
    net.double()  # the list reads its entries from the module, so it sees the new Parameters
    assert all(p.dtype == ember.float64 for p in net.ws)
    assert net.ws[0] is dict(net.named_parameters())["ws.0"]


# ---- ParameterDict -----------------------------------------------------------------------


def test_parameter_dict_registers_parameters_like_torch():
    pd = nn.ParameterDict({"b": ember.zeros(2), "a": ember.ones(1, 2, 3, dtype=ember.float64)})
    tpd = tnn.ParameterDict({"b": torch.zeros(2), "a": torch.ones(1, 2, 3, dtype=torch.float64)})
    assert list(pd.keys()) == list(tpd.keys()) == ["a", "b"]  # a plain dict is sorted, as torch
    assert repr(pd) == repr(tpd).replace("torch.", "ember.")
    assert list(pd.state_dict()) == ["a", "b"]
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]
    assert isinstance(pd["a"], nn.Parameter) and pd["a"].dtype == ember.float64
    ordered = nn.ParameterDict(OrderedDict([("z", ember.ones(1)), ("y", ember.ones(1))]))
    assert list(ordered) == ["z", "y"]
    pairs = nn.ParameterDict([("q", ember.ones(1)), ("p", ember.ones(1))])
    assert list(pairs) == ["q", "p"]
    assert repr(nn.ParameterDict()) == "ParameterDict()"


def test_parameter_dict_mapping_methods():
    pd = nn.ParameterDict()
    pd["w"] = ember.ones(2)
    pd["note"] = "text"
    assert "w" in pd and len(pd) == 2 and pd["note"] == "text"
    assert [n for n, _ in pd.named_parameters()] == ["w"]
    assert pd.get("missing", 5) == 5 and pd.get("w") is pd["w"]
    assert pd.setdefault("v", ember.zeros(3)) is pd["v"]
    assert list(reversed(pd)) == ["v", "note", "w"]
    assert dict(pd.items())["w"] is pd["w"] and len(list(pd.values())) == 3
    cp = pd.copy()
    assert list(cp) == list(pd) and cp["w"] is pd["w"]
    assert pd.popitem()[0] == "v"
    assert pd.pop("note") == "text" and list(pd) == ["w"]
    del pd["w"]
    assert len(pd) == 0 and list(pd.parameters()) == []
    merged = nn.ParameterDict({"a": ember.ones(1)}) | nn.ParameterDict({"b": ember.ones(1)})
    assert list(merged) == ["a", "b"]
    merged |= [("c", ember.ones(1))]
    assert list(merged) == ["a", "b", "c"]
    fk = nn.ParameterDict().fromkeys(["x", "y"], ember.zeros(2))
    assert list(fk) == ["x", "y"]
    merged.clear()
    assert len(merged) == 0


def test_parameter_dict_errors():
    pd = nn.ParameterDict()
    with pytest.raises(KeyError, match="missing"):
        pd["missing"]
    with pytest.raises(TypeError, match=r"ParameterDict: keys must be strings, got 1 of type int"):
        pd[1] = ember.ones(1)
    with pytest.raises(KeyError, match=r'contain "\.", got: a\.b'):
        pd["a.b"] = ember.ones(1)
    with pytest.raises(KeyError, match=r"would hide the ParameterDict attribute"):
        pd["update"] = ember.ones(1)
    assert len(pd) == 0
    with pytest.raises(ValueError, match=r"element #0 has length 3; 2 is required"):
        pd.update([("a", ember.ones(1), 3)])
    with pytest.raises(TypeError, match=r"ParameterDict.update should be called with an iterable"):
        pd.update(5)
    with pytest.raises(RuntimeError, match="ParameterDict should not be called"):
        pd()


def test_parameter_dict_in_a_model_trains_and_loads():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.ParameterDict({"scale": ember.full((2,), 2.0), "shift": ember.zeros(2)})

        def forward(self, x):
            return (x * self.p["scale"] + self.p["shift"]).sum()

    net = Net()
    assert list(net.state_dict()) == ["p.scale", "p.shift"]
    opt = ember.optim.SGD(net.parameters(), lr=0.5)
    net(ember.ones(2)).backward()
    opt.step()
    np.testing.assert_allclose(to_np(net.p["scale"]), [1.5, 1.5])
    np.testing.assert_allclose(to_np(net.p["shift"]), [-0.5, -0.5])
    other = Net()
    other.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(to_np(other.p["shift"]), [-0.5, -0.5])
    net.double()
    assert net.p["scale"].dtype == ember.float64


# ---- pixel shuffle -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,r",
    [((2, 8, 3, 5), 2), ((1, 9, 2, 2), 3), ((4, 2, 2), 1), ((2, 3, 8, 2, 2), 2), ((0, 4, 2, 2), 2)],
)
def test_pixel_shuffle_and_unshuffle_match_torch(shape, r):
    x = np.random.randn(*shape)
    e, t = pair(x, requires_grad=True)
    eo, to = F.pixel_shuffle(e, r), TF.pixel_shuffle(t, r)
    assert_close(eo, to)
    if eo.numel():
        _backward_both(eo, to)
        assert_close(e.grad, t.grad)
    back = F.pixel_unshuffle(eo.detach(), r)
    np.testing.assert_array_equal(to_np(back), x)  # the inverse, empty batches included
    if eo.numel():  # (torch returns an empty input of pixel_unshuffle unchanged in shape)
        assert_close(back, TF.pixel_unshuffle(to.detach(), r))


def test_pixel_shuffle_keeps_integer_dtypes():
    x = np.arange(32).reshape(2, 4, 2, 2)
    np.testing.assert_array_equal(
        to_np(F.pixel_shuffle(ember.tensor(x), 2)), TF.pixel_shuffle(torch.tensor(x), 2).numpy()
    )


def test_pixel_shuffle_errors_name_the_function_and_shape():
    with pytest.raises(ValueError, match=r"pixel_shuffle: expected an input with at least 3 dims"):
        F.pixel_shuffle(ember.randn(2, 3), 2)
    with pytest.raises(
        ValueError,
        match=r"pixel_shuffle: input.shape\[-3\] \(5\) must be divisible by "
        r"upscale_factor \*\* 2 \(4\); input shape \(1, 5, 2, 2\)",
    ):
        F.pixel_shuffle(ember.randn(1, 5, 2, 2), 2)
    with pytest.raises(ValueError, match=r"pixel_shuffle: upscale_factor must be positive, got 0"):
        F.pixel_shuffle(ember.randn(1, 4, 2, 2), 0)
    with pytest.raises(TypeError, match=r"pixel_shuffle: upscale_factor must be an int, got float"):
        F.pixel_shuffle(ember.randn(1, 4, 2, 2), 2.0)
    with pytest.raises(
        ValueError, match=r"pixel_unshuffle: the width input.shape\[-1\] \(3\) must be divisible"
    ):
        F.pixel_unshuffle(ember.randn(1, 1, 4, 3), 2)
    with pytest.raises(ValueError, match=r"pixel_unshuffle: the height input.shape\[-2\] \(3\)"):
        F.pixel_unshuffle(ember.randn(1, 1, 3, 4), 2)


# ---- scaled_dot_product_attention -------------------------------------------------------


def _qkv(qshape, kshape, vshape, dtype=np.float64, seed=0):
    rs = np.random.RandomState(seed)
    return [rs.randn(*s).astype(dtype) for s in (qshape, kshape, vshape)]


def assert_sdpa_matches(arrays, e_kw=None, t_kw=None, **kw):
    e_kw = dict(kw, **(e_kw or {}))
    t_kw = dict(kw, **(t_kw or {}))
    es, ts = zip(*(pair(a, requires_grad=True) for a in arrays))
    eo = F.scaled_dot_product_attention(*es, **e_kw)
    to = TF.scaled_dot_product_attention(*ts, **t_kw)
    assert_close(eo, to)
    _backward_both(eo, to)
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad)
    return eo


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "qs,ks,vs",
    [
        ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)),
        ((5, 4), (7, 4), (7, 3)),
        ((2, 5, 4), (2, 5, 4), (2, 5, 4)),
        ((2, 1, 3, 4), (2, 3, 5, 4), (2, 3, 5, 2)),
    ],
)
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_matches_torch(qs, ks, vs, causal, dtype):
    assert_sdpa_matches(_qkv(qs, ks, vs, dtype), is_causal=causal)


@pytest.mark.parametrize("L,S", [(3, 5), (5, 3), (4, 4)])
def test_sdpa_causal_is_top_left_aligned_like_torch(L, S):
    assert_sdpa_matches(_qkv((2, L, 4), (2, S, 4), (2, S, 3)), is_causal=True)


def test_sdpa_scale_and_masks_match_torch():
    q, k, v = _qkv((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6))
    assert_sdpa_matches([q, k, v], scale=0.3)
    bool_mask = np.random.RandomState(1).rand(3, 5) > 0.4
    bool_mask[:, 0] = True
    assert_sdpa_matches(
        [q, k, v],
        e_kw={"attn_mask": ember.tensor(bool_mask)},
        t_kw={"attn_mask": torch.tensor(bool_mask)},
    )
    float_mask = np.random.RandomState(2).randn(2, 1, 3, 5)
    assert_sdpa_matches(
        [q, k, v],
        e_kw={"attn_mask": ember.tensor(float_mask)},
        t_kw={"attn_mask": torch.tensor(float_mask)},
        scale=2.0,
    )


def test_sdpa_fully_masked_rows_give_zeros_like_torch():
    q, k, v = _qkv((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 6))
    m = np.ones((3, 5), bool)
    m[1] = False
    out = assert_sdpa_matches(
        [q, k, v], e_kw={"attn_mask": ember.tensor(m)}, t_kw={"attn_mask": torch.tensor(m)}
    )
    assert (to_np(out)[:, :, 1] == 0).all()
    fm = np.zeros((3, 5))
    fm[2] = -np.inf
    out = assert_sdpa_matches(
        [q, k, v], e_kw={"attn_mask": ember.tensor(fm)}, t_kw={"attn_mask": torch.tensor(fm)}
    )
    assert np.isfinite(to_np(out)).all() and (to_np(out)[:, :, 2] == 0).all()


def test_sdpa_grouped_query_attention_matches_torch():
    assert_sdpa_matches(_qkv((2, 6, 3, 4), (2, 2, 5, 4), (2, 3, 5, 2)), enable_gqa=True)
    assert_sdpa_matches(_qkv((2, 4, 3, 4), (2, 4, 5, 4), (2, 4, 5, 2)), enable_gqa=True)


def test_sdpa_gradcheck():
    rs = np.random.RandomState(0)
    q, k, v = (ember.tensor(rs.randn(2, 3, 4), requires_grad=True) for _ in range(3))
    mask = ember.tensor(rs.rand(3, 3) > 0.3)
    assert gradcheck(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), (q, k, v)
    )
    assert gradcheck(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask), (q, k, v)
    )


def test_sdpa_dropout_is_applied_to_the_weights():
    q, k, v = (ember.randn(2, 4, 8) for _ in range(3))
    assert (to_np(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)) == 0).all()
    np.testing.assert_array_equal(
        to_np(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)),
        to_np(F.scaled_dot_product_attention(q, k, v)),
    )
    # The same draws as F.dropout on the weights, from the default generator.
    ember.manual_seed(3)
    got = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    ember.manual_seed(3)
    w = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(8), -1)
    want = F.dropout(w, 0.4) @ v
    np.testing.assert_allclose(to_np(got), to_np(want), rtol=1e-5, atol=1e-6)


def test_sdpa_signature_follows_torch():
    params = inspect.signature(F.scaled_dot_product_attention).parameters
    assert list(params) == [
        "query",
        "key",
        "value",
        "attn_mask",
        "dropout_p",
        "is_causal",
        "scale",
        "enable_gqa",
    ]
    assert params["scale"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["enable_gqa"].kind is inspect.Parameter.KEYWORD_ONLY


def test_sdpa_errors_name_the_function_and_shapes():
    q, k, v = ember.randn(2, 3, 4), ember.randn(2, 5, 4), ember.randn(2, 5, 6)
    f = F.scaled_dot_product_attention
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: attn_mask must be None"):
        f(q, k, v, attn_mask=ember.ones(3, 5, dtype=ember.bool), is_causal=True)
    with pytest.raises(
        ValueError,
        match=r"scaled_dot_product_attention: query.shape\[-1\] \(4\) must equal "
        r"key.shape\[-1\] \(3\); got query \(2, 3, 4\), key \(2, 5, 3\), value \(2, 5, 6\)",
    ):
        f(q, ember.randn(2, 5, 3), v)
    with pytest.raises(ValueError, match=r"key.shape\[-2\] \(5\) must equal value.shape\[-2\]"):
        f(q, k, ember.randn(2, 4, 6))
    with pytest.raises(ValueError, match=r"need at least 2 dims, got query \(4,\)"):
        f(ember.randn(4), k, v)
    with pytest.raises(ValueError, match=r"dropout_p must be in \[0, 1\], got 1.5"):
        f(q, k, v, dropout_p=1.5)
    with pytest.raises(TypeError, match=r"must have the same dtype, got float32, float64, float32"):
        f(q, k.double(), v)
    with pytest.raises(TypeError, match=r"attn_mask dtype float64 must be bool or the query dtype"):
        f(q, k, v, attn_mask=ember.zeros(3, 5, dtype=ember.float64))
    with pytest.raises(
        ValueError, match=r"query heads \(query.shape\[-3\] = 4\) must be a multiple"
    ):
        f(
            ember.randn(1, 4, 3, 4),
            ember.randn(1, 3, 5, 4),
            ember.randn(1, 3, 5, 2),
            enable_gqa=True,
        )


# ---- ember.jit ---------------------------------------------------------------------------

TRACED = {
    "mish": (F.mish, lambda: (ember.randn(4, 5) * 5,)),
    "softplus": (
        lambda x: F.softplus(x, beta=2.0, threshold=5.0),
        lambda: (ember.randn(4, 5) * 5,),
    ),
    "glu": (lambda x: F.glu(x, 1), lambda: (ember.randn(3, 6, 2),)),
    "elu": (lambda x: F.elu(x, 0.5), lambda: (ember.randn(4, 5) * 3,)),
    "logsigmoid": (F.logsigmoid, lambda: (ember.randn(4, 5) * 30,)),
    "hardswish": (F.hardswish, lambda: (ember.randn(4, 5) * 4,)),
    "sdpa_causal": (
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        lambda: tuple(ember.randn(2, 3, 4, 8) for _ in range(3)),
    ),
    "sdpa_mask": (
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
        lambda: tuple(ember.randn(2, 3, 4, 8) for _ in range(3)) + (ember.rand(4, 4) > 0.5,),
    ),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), lambda: (ember.randn(2, 8, 3, 3),)),
    "cosine_embedding": (
        lambda a, b, y: F.cosine_embedding_loss(a, b, y, 0.2),
        lambda: (ember.randn(5, 4), ember.randn(5, 4), ember.tensor([1.0, -1.0, 1.0, -1.0, 1.0])),
    ),
}


@pytest.mark.parametrize("name", sorted(TRACED))
def test_jit_trace_gives_the_eager_result_on_new_inputs(name):
    fn, make = TRACED[name]
    traced = jit.trace(fn, make())
    assert traced.graph.ops()  # something was recorded
    for _ in range(2):
        args = make()
        got, want = traced(*args), fn(*args)
        np.testing.assert_allclose(to_np(got), to_np(want), rtol=1e-6, atol=1e-7)


def test_jit_traced_module_with_prelu_and_mish_matches_and_trains():
    model = nn.Sequential(
        nn.Linear(4, 6), nn.PReLU(6), nn.Mish(), nn.Linear(6, 6), nn.GLU(), nn.Softplus()
    )
    x = ember.randn(5, 4)
    traced = jit.trace(model, x)
    x2 = ember.randn(5, 4)
    np.testing.assert_allclose(to_np(traced(x2)), to_np(model(x2)), rtol=1e-6, atol=1e-7)
    traced(x2).sum().backward()
    g_traced = to_np(model[1].weight.grad).copy()
    model.zero_grad()
    model(x2).sum().backward()
    np.testing.assert_allclose(g_traced, to_np(model[1].weight.grad), rtol=1e-5, atol=1e-7)


# ---- docstring examples ------------------------------------------------------------------


def _doc_targets():
    from ember.nn import (
        _functional_activation,
        _functional_attention,
        _functional_loss,
        _functional_vision,
    )
    from ember.nn.modules import activation, container, distance, loss, pixelshuffle

    return [
        _functional_activation,
        _functional_attention,
        _functional_loss,
        _functional_vision,
        activation,
        container,
        distance,
        loss,
        pixelshuffle,
    ]


@pytest.mark.parametrize("module", _doc_targets(), ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    globs = {"ember": ember, "nn": nn, "F": F}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(module, globs=globs)
    assert any(t.examples for t in tests)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


NEW_PUBLIC = [
    "elu",
    "selu",
    "celu",
    "softplus",
    "softsign",
    "hardtanh",
    "relu6",
    "hardswish",
    "hardsigmoid",
    "mish",
    "logsigmoid",
    "glu",
    "prelu",
    "normalize",
    "cosine_similarity",
    "pairwise_distance",
    "kl_div",
    "margin_ranking_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "pixel_shuffle",
    "pixel_unshuffle",
    "scaled_dot_product_attention",
]
NEW_MODULES = [
    "ELU",
    "SELU",
    "CELU",
    "Softplus",
    "Softsign",
    "Hardtanh",
    "ReLU6",
    "Hardswish",
    "Hardsigmoid",
    "Mish",
    "LogSigmoid",
    "GLU",
    "PReLU",
    "CosineSimilarity",
    "PairwiseDistance",
    "KLDivLoss",
    "MarginRankingLoss",
    "CosineEmbeddingLoss",
    "TripletMarginLoss",
    "PixelShuffle",
    "PixelUnshuffle",
    "ParameterList",
    "ParameterDict",
]


def test_new_names_are_exported_and_documented():
    for name in NEW_PUBLIC:
        assert name in F.__all__, name
        doc = getattr(F, name).__doc__
        assert "Example:" in doc and ("Returns:" in doc), name
    for name in NEW_MODULES:
        assert name in nn.__all__ and name in nn.modules.__all__, name
        assert "Example:" in getattr(nn, name).__doc__, name
