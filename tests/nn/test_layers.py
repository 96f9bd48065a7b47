"""Every layer and loss module vs torch with the same weights and inputs."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember import nn

from ._util import assert_close, et, pair, to_np

torch = pytest.importorskip("torch")
tnn = torch.nn


def copy_params(e_mod, t_mod):
    """Loads torch's parameters into the ember module through load_state_dict."""
    sd = {k: et(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    e_mod.load_state_dict(sd)


def assert_modules_match(e_mod, t_mod, x, dtype=np.float32):
    copy_params(e_mod, t_mod)
    e, t = pair(x.astype(dtype), requires_grad=True)
    eo, to = e_mod(e), t_mod(t)
    assert_close(eo, to)
    g = np.random.RandomState(7).randn(*tuple(to.shape)).astype(dtype)
    eo.backward(et(g))
    to.backward(torch.tensor(g))
    assert_close(e.grad, t.grad)
    e_params = dict(e_mod.named_parameters())
    for name, tp in t_mod.named_parameters():
        assert_close(e_params[name].grad, tp.grad)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear(bias, dtype):
    e_mod, t_mod = nn.Linear(5, 3, bias=bias), tnn.Linear(5, 3, bias=bias)
    if dtype == np.float64:
        e_mod.double()
        t_mod.double()
    assert_modules_match(e_mod, t_mod, np.random.randn(4, 2, 5), dtype)


def test_linear_rejects_bad_features():
    with pytest.raises(ValueError, match="Linear: in_features"):
        nn.Linear(-1, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm(dtype):
    e_mod, t_mod = nn.LayerNorm((3, 4)), tnn.LayerNorm((3, 4))
    with torch.no_grad():
        t_mod.weight.normal_()
        t_mod.bias.normal_()
    if dtype == np.float64:
        e_mod.double()
        t_mod.double()
    copy_params(e_mod, t_mod)
    x = np.random.randn(2, 3, 4).astype(dtype) * 3
    e, t = pair(x, requires_grad=True)
    eo, to = e_mod(e), t_mod(t)
    k = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}
    assert_close(eo, to, **k)
    eo.sum().backward() if False else (eo * eo).sum().backward()
    (to * to).sum().backward()
    assert_close(e.grad, t.grad, **k)
    assert_close(e_mod.weight.grad, t_mod.weight.grad, **k)
    assert_close(e_mod.bias.grad, t_mod.bias.grad, **k)


def test_layer_norm_without_affine_has_no_parameters():
    m = nn.LayerNorm(4, elementwise_affine=False)
    assert list(m.parameters()) == []
    y = to_np(m(ember.randn(3, 4)))
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-6)
    np.testing.assert_allclose(y.var(-1), 1, rtol=1e-3)


def test_embedding_module():
    e_mod, t_mod = nn.Embedding(7, 3, padding_idx=1), tnn.Embedding(7, 3, padding_idx=1)
    copy_params(e_mod, t_mod)
    idx = np.array([[1, 2, 6], [0, 1, 1]])
    eo, to = e_mod(et(idx)), t_mod(torch.tensor(idx))
    assert_close(eo, to)
    (eo * eo).sum().backward()
    (to * to).sum().backward()
    assert_close(e_mod.weight.grad, t_mod.weight.grad)
    fresh = nn.Embedding(5, 2, padding_idx=3)
    assert np.all(to_np(fresh.weight)[3] == 0)


def test_embedding_from_pretrained():
    w = ember.randn(4, 2)
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad
    np.testing.assert_array_equal(to_np(m(ember.tensor([2]))), to_np(w)[[2]])


@pytest.mark.parametrize(
    "e_cls,t_cls,kw",
    [
        ("ReLU", "ReLU", {}),
        ("LeakyReLU", "LeakyReLU", {"negative_slope": 0.1}),
        ("GELU", "GELU", {}),
        ("GELU", "GELU", {"approximate": "tanh"}),
        ("SiLU", "SiLU", {}),
        ("Sigmoid", "Sigmoid", {}),
        ("Tanh", "Tanh", {}),
        ("Softmax", "Softmax", {"dim": 1}),
        ("LogSoftmax", "LogSoftmax", {"dim": -1}),
        ("Identity", "Identity", {}),
        ("Flatten", "Flatten", {}),
    ],
)
def test_activation_and_shape_modules(e_cls, t_cls, kw):
    assert_modules_match(getattr(nn, e_cls)(**kw), getattr(tnn, t_cls)(**kw), np.random.randn(3, 4, 2))


def test_sequential_mlp_matches_torch():
    e_mod = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 3))
    t_mod = tnn.Sequential(tnn.Linear(4, 8), tnn.GELU(), tnn.LayerNorm(8), tnn.Linear(8, 3))
    copy_params(e_mod, t_mod)
    x = np.random.randn(6, 4).astype(np.float32)
    tgt = np.random.randint(0, 3, size=6)
    e, t = pair(x)
    el = nn.CrossEntropyLoss()(e_mod(e), et(tgt))
    tl = tnn.CrossEntropyLoss()(t_mod(t), torch.tensor(tgt))
    assert_close(el, tl, rtol=1e-5, atol=1e-6)
    el.backward()
    tl.backward()
    e_params = dict(e_mod.named_parameters())
    for name, tp in t_mod.named_parameters():
        assert_close(e_params[name].grad, tp.grad, rtol=1e-4, atol=1e-6)


def _loss_inputs(name):
    rs = np.random.RandomState(4)
    if name in ("CrossEntropyLoss",):
        return rs.randn(5, 4), rs.randint(0, 4, size=5)
    if name == "NLLLoss":
        x = rs.randn(5, 4)
        x = x - np.log(np.exp(x).sum(1, keepdims=True))
        return x, rs.randint(0, 4, size=5)
    if name == "BCELoss":
        return rs.rand(5, 4) * 0.98 + 0.01, rs.rand(5, 4)
    return rs.randn(5, 4), rs.randn(5, 4) if name != "BCEWithLogitsLoss" else rs.rand(5, 4)


@pytest.mark.parametrize(
    "name,kw",
    [
        ("MSELoss", {}),
        ("L1Loss", {"reduction": "sum"}),
        ("SmoothL1Loss", {"beta": 0.5}),
        ("HuberLoss", {"delta": 0.7}),
        ("CrossEntropyLoss", {"label_smoothing": 0.1}),
        ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5, 1.5], "ignore_index": 2}),
        ("NLLLoss", {"reduction": "none"}),
        ("NLLLoss", {"weight": [1.0, 2.0, 0.5, 1.5]}),
        ("BCELoss", {}),
        ("BCEWithLogitsLoss", {"pos_weight": [1.0, 2.0, 0.5, 3.0]}),
    ],
)
def test_loss_modules_match_torch(name, kw):
    x, y = _loss_inputs(name)
    e_kw = {k: (ember.tensor(np.array(v)) if isinstance(v, list) else v) for k, v in kw.items()}
    t_kw = {k: (torch.tensor(np.array(v)) if isinstance(v, list) else v) for k, v in kw.items()}
    e, t = pair(x, requires_grad=True)
    eo = getattr(nn, name)(**e_kw)(e, et(y))
    to = getattr(tnn, name)(**t_kw)(t, torch.tensor(y))
    assert_close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    assert_close(e.grad, t.grad)


def test_loss_module_repr_and_weight_buffer():
    w = ember.tensor([1.0, 2.0])
    m = nn.CrossEntropyLoss(weight=w)
    assert "weight" in dict(m.named_buffers())
    assert repr(m) == "CrossEntropyLoss()"
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_dropout_module_train_vs_eval():
    m = nn.Dropout(0.25)
    x = ember.ones(2000)
    y = to_np(m(x))
    assert set(np.unique(y).tolist()) <= {0.0, np.float32(1 / 0.75)}
    m.eval()
    np.testing.assert_array_equal(to_np(m(x)), to_np(x))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)
