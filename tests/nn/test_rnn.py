"""RNN, LSTM, GRU and their cells vs torch: values, gradients, state_dict, init, errors."""

from __future__ import annotations

import doctest
import math

import ember
import numpy as np
import pytest
from ember import jit, nn
from ember.nn.modules import rnn as rnn_module

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn

# torch's CPU LSTM with proj_size says it falls back from oneDNN: not about ember.
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}

# (ember/torch class name, constructor keywords)
KINDS = {
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 3}),
    "gru": ("GRU", {}),
}

# layout: "batched" (L, N, H), "batch_first" (N, L, H) or "unbatched" (L, H)
CONFIGS = {
    "one_layer": ({}, "batched", False),
    "two_layers": ({"num_layers": 2}, "batched", False),
    "bidirectional": ({"bidirectional": True}, "batched", False),
    "two_layers_bidir_batch_first": (
        {"num_layers": 2, "bidirectional": True, "batch_first": True},
        "batch_first",
        False,
    ),
    "unbatched_bidir": ({"bidirectional": True}, "unbatched", False),
    "given_h0": ({"num_layers": 2}, "batched", True),
    "given_h0_bidir_batch_first": (
        {"num_layers": 2, "bidirectional": True, "batch_first": True},
        "batch_first",
        True,
    ),
    "given_h0_unbatched": ({"num_layers": 2}, "unbatched", True),
    "no_bias": ({"bias": False, "num_layers": 2}, "batched", False),
}

L, N, H_IN, H = 5, 3, 4, 6


def e_of(a):
    return ember.tensor(np.ascontiguousarray(a))


def copy_state(e_mod, t_mod):
    """torch's state_dict loaded into the ember module by name."""
    e_mod.load_state_dict(
        {k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )


def assert_close(e, t, dtype):
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **TOL[dtype])


def make_pair(cls_name, dtype, **kw):
    t_mod = getattr(tnn, cls_name)(**kw)
    e_mod = getattr(nn, cls_name)(**kw)
    if dtype == np.float64:
        t_mod.double()
        e_mod.double()
    copy_state(e_mod, t_mod)
    return e_mod, t_mod


def leaf_pair(arr, grad):
    e = e_of(arr)
    t = torch.tensor(arr)
    if grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    return e, t


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_recurrent_layer_matches_torch(kind, config, dtype):
    cls_name, kind_kw = KINDS[kind]
    cfg_kw, layout, given_h0 = CONFIGS[config]
    kw = dict(input_size=H_IN, hidden_size=H, **kind_kw, **cfg_kw)
    e_mod, t_mod = make_pair(cls_name, dtype, **kw)
    rs = np.random.RandomState(3)
    shape = {"batched": (L, N, H_IN), "batch_first": (N, L, H_IN), "unbatched": (L, H_IN)}[layout]
    x = rs.randn(*shape).astype(dtype)
    grad = dtype == np.float64
    ex, tx = leaf_pair(x, grad)
    d = 2 if kw.get("bidirectional") else 1
    layers = d * kw.get("num_layers", 1)
    h_out = kw.get("proj_size", 0) or H
    batch = () if layout == "unbatched" else (N,)
    hidden_in = []
    if given_h0:
        hidden_in.append(leaf_pair(rs.randn(layers, *batch, h_out).astype(dtype), grad))
        if cls_name == "LSTM":
            hidden_in.append(leaf_pair(rs.randn(layers, *batch, H).astype(dtype), grad))
    if not hidden_in:
        e_out, t_out = e_mod(ex), t_mod(tx)
    elif cls_name == "LSTM":
        e_out = e_mod(ex, tuple(p[0] for p in hidden_in))
        t_out = t_mod(tx, tuple(p[1] for p in hidden_in))
    else:
        e_out, t_out = e_mod(ex, hidden_in[0][0]), t_mod(tx, hidden_in[0][1])

    e_flat = [e_out[0], *(e_out[1] if cls_name == "LSTM" else (e_out[1],))]
    t_flat = [t_out[0], *(t_out[1] if cls_name == "LSTM" else (t_out[1],))]
    for e, t in zip(e_flat, t_flat):
        assert_close(e, t, dtype)
    if not grad:
        return
    # Gradients of a weighted sum of every output, hidden state and cell state.
    weights = [rs.randn(*tuple(t.shape)) for t in t_flat]
    e_loss = sum((e * e_of(w)).sum() for e, w in zip(e_flat, weights))
    t_loss = sum((t * torch.tensor(w)).sum() for t, w in zip(t_flat, weights))
    e_loss.backward()
    t_loss.backward()
    assert_close(ex.grad, tx.grad, dtype)
    for e_h, t_h in hidden_in:
        assert_close(e_h.grad, t_h.grad, dtype)
    e_params = dict(e_mod.named_parameters())
    for name, tp in t_mod.named_parameters():
        assert_close(e_params[name].grad, tp.grad, dtype)


CELL_KINDS = {
    "rnn_cell_tanh": ("RNNCell", {}),
    "rnn_cell_relu": ("RNNCell", {"nonlinearity": "relu"}),
    "lstm_cell": ("LSTMCell", {}),
    "gru_cell": ("GRUCell", {}),
    "gru_cell_no_bias": ("GRUCell", {"bias": False}),
    "lstm_cell_no_bias": ("LSTMCell", {"bias": False}),
}


@pytest.mark.parametrize("given_hx", [False, True], ids=["zeros", "given"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("kind", list(CELL_KINDS))
def test_cell_matches_torch(kind, dtype, batched, given_hx):
    cls_name, kw = CELL_KINDS[kind]
    e_mod, t_mod = make_pair(cls_name, dtype, input_size=H_IN, hidden_size=H, **kw)
    rs = np.random.RandomState(5)
    batch = (N,) if batched else ()
    grad = dtype == np.float64
    ex, tx = leaf_pair(rs.randn(*batch, H_IN).astype(dtype), grad)
    lstm = cls_name == "LSTMCell"
    hidden = []
    if given_hx:
        hidden = [
            leaf_pair(rs.randn(*batch, H).astype(dtype), grad) for _ in range(2 if lstm else 1)
        ]
    if not hidden:
        e_out, t_out = e_mod(ex), t_mod(tx)
    elif lstm:
        e_out = e_mod(ex, tuple(p[0] for p in hidden))
        t_out = t_mod(tx, tuple(p[1] for p in hidden))
    else:
        e_out, t_out = e_mod(ex, hidden[0][0]), t_mod(tx, hidden[0][1])
    e_flat = list(e_out) if lstm else [e_out]
    t_flat = list(t_out) if lstm else [t_out]
    for e, t in zip(e_flat, t_flat):
        assert_close(e, t, dtype)
    if not grad:
        return
    weights = [rs.randn(*tuple(t.shape)) for t in t_flat]
    sum((e * e_of(w)).sum() for e, w in zip(e_flat, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(t_flat, weights)).backward()
    assert_close(ex.grad, tx.grad, dtype)
    for e_h, t_h in hidden:
        assert_close(e_h.grad, t_h.grad, dtype)
    e_params = dict(e_mod.named_parameters())
    for name, tp in t_mod.named_parameters():
        assert_close(e_params[name].grad, tp.grad, dtype)


def test_cell_steps_equal_layer():
    # An LSTMCell stepped by hand over the sequence is the one-layer LSTM.
    lstm, cell = nn.LSTM(H_IN, H).double(), nn.LSTMCell(H_IN, H).double()
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = ember.randn(L, N, H_IN, dtype=ember.float64)
    out, (_, c_n) = lstm(x)
    h = c = ember.zeros(N, H, dtype=ember.float64)
    for t in range(L):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(to_np(h), to_np(out[t]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_np(c), to_np(c_n[0]), rtol=1e-12, atol=1e-14)


# ---- dropout between layers ------------------------------------------------------------------


def test_dropout_one_matches_torch_in_training():
    # p = 1 is deterministic: the second layer reads zeros in training mode, in both libraries.
    e_mod, t_mod = make_pair(
        "GRU", np.float64, input_size=H_IN, hidden_size=H, num_layers=2, dropout=1.0
    )
    x = np.random.RandomState(0).randn(L, N, H_IN)
    e_out, e_h = e_mod(e_of(x))
    t_out, t_h = t_mod(torch.tensor(x))
    assert_close(e_out, t_out, np.float64)
    assert_close(e_h, t_h, np.float64)
    e_mod.eval()
    t_mod.eval()
    e_eval, t_eval = e_mod(e_of(x))[0], t_mod(torch.tensor(x))[0]
    assert_close(e_eval, t_eval, np.float64)
    assert not np.allclose(to_np(e_eval), to_np(e_out))


def test_dropout_only_in_training_and_not_after_last_layer():
    m = nn.LSTM(H_IN, H, num_layers=2, dropout=0.5)
    x = ember.randn(L, N, H_IN)
    a, b = m(x)[0], m(x)[0]
    assert not np.allclose(to_np(a), to_np(b))  # fresh masks each call
    m.eval()
    np.testing.assert_array_equal(to_np(m(x)[0]), to_np(m(x)[0]))
    # The last layer's output is never dropped: no exact zeros in the training output.
    m.train()
    assert np.count_nonzero(to_np(m(x)[0]) == 0) == 0


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


# ---- state_dict, shapes, repr, init ----------------------------------------------------------


@pytest.mark.parametrize(
    "cls_name,kw",
    [
        ("RNN", {"num_layers": 3, "nonlinearity": "relu"}),
        ("RNN", {"bias": False, "bidirectional": True}),
        ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
        ("LSTM", {"num_layers": 2, "bias": False, "proj_size": 3}),
        ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
        ("RNNCell", {"bias": False}),
        ("LSTMCell", {}),
        ("GRUCell", {}),
    ],
)
def test_state_dict_keys_shapes_and_repr_equal_torch(cls_name, kw):
    e_mod = getattr(nn, cls_name)(H_IN, H, **kw)
    t_mod = getattr(tnn, cls_name)(H_IN, H, **kw)
    e_sd, t_sd = e_mod.state_dict(), t_mod.state_dict()
    assert list(e_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape), k
    assert [n for n, _ in e_mod.named_parameters()] == [n for n, _ in t_mod.named_parameters()]
    assert repr(e_mod) == repr(t_mod)
    if cls_name in ("RNN", "LSTM", "GRU"):
        assert [[tuple(p.shape) for p in w] for w in e_mod.all_weights] == [
            [tuple(p.shape) for p in w] for w in t_mod.all_weights
        ]


def test_torch_state_dict_round_trip_through_ember():
    t_mod = tnn.LSTM(H_IN, H, num_layers=2, proj_size=2)
    e_mod = nn.LSTM(H_IN, H, num_layers=2, proj_size=2)
    copy_state(e_mod, t_mod)
    back = tnn.LSTM(H_IN, H, num_layers=2, proj_size=2)
    back.load_state_dict({k: torch.tensor(to_np(v)) for k, v in e_mod.state_dict().items()})
    for k, v in t_mod.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)


@pytest.mark.parametrize("cls_name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_init_is_uniform_in_plus_minus_one_over_sqrt_hidden(cls_name):
    hidden = 64
    kw = {"num_layers": 2} if cls_name in ("RNN", "LSTM", "GRU") else {}
    m = getattr(nn, cls_name)(32, hidden, **kw)
    bound = 1 / math.sqrt(hidden)
    for name, p in m.named_parameters():
        a = to_np(p).ravel()
        assert np.all(np.abs(a) <= bound), name
        if a.size >= 1000:  # the weights: U(-b, b) has mean 0, variance b^2 / 3, fills the range
            se = bound / math.sqrt(3 * a.size)
            assert abs(a.mean()) < 5 * se, name
            np.testing.assert_allclose(a.var(), bound**2 / 3, rtol=0.1, err_msg=name)
            assert a.max() > 0.95 * bound and a.min() < -0.95 * bound, name
    everything = np.concatenate([to_np(p).ravel() for p in m.parameters()])
    assert abs(everything.mean()) < 5 * bound / math.sqrt(3 * everything.size)


def test_dtype_argument_and_double():
    m = nn.GRU(3, 4, dtype=ember.float64)
    assert all(p.dtype == ember.float64 for p in m.parameters())
    out, h = m(ember.randn(2, 3, dtype=ember.float64))
    assert out.dtype == h.dtype == ember.float64


# ---- errors ----------------------------------------------------------------------------------


def test_wrong_input_size_names_module_and_shapes():
    m = nn.LSTM(4, 5)
    with pytest.raises(
        ValueError,
        match=r"LSTM: input.shape\[-1\] \(3\) must equal input_size \(4\); "
        r"got input of shape \(2, 1, 3\)",
    ):
        m(ember.randn(2, 1, 3))


def test_wrong_input_rank():
    with pytest.raises(ValueError, match=r"GRU: expected input to be 3-D \(N, L, H_in\).*got 4-D"):
        nn.GRU(4, 5, batch_first=True)(ember.randn(1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"RNNCell: expected input to be 2-D .*got 3-D"):
        nn.RNNCell(4, 5)(ember.randn(1, 2, 4))


def test_wrong_hidden_shape():
    m = nn.RNN(4, 5, num_layers=2)
    with pytest.raises(ValueError, match=r"RNN: expected hx of shape \(2, 3, 5\).*got \(1, 3, 5\)"):
        m(ember.randn(6, 3, 4), ember.zeros(1, 3, 5))
    with pytest.raises(
        ValueError, match=r"RNN: for unbatched 2-D input of shape \(6, 4\), hx should be 2-D"
    ):
        m(ember.randn(6, 4), ember.zeros(2, 1, 5))
    lstm = nn.LSTM(4, 5, proj_size=2)
    with pytest.raises(ValueError, match=r"LSTM: expected h_0 of shape \(1, 3, 2\)"):
        lstm(ember.randn(6, 3, 4), (ember.zeros(1, 3, 5), ember.zeros(1, 3, 5)))
    with pytest.raises(ValueError, match=r"LSTM: expected c_0 of shape \(1, 3, 5\)"):
        lstm(ember.randn(6, 3, 4), (ember.zeros(1, 3, 2), ember.zeros(1, 3, 2)))
    with pytest.raises(TypeError, match=r"LSTM: expected hx to be a tuple \(h_0, c_0\)"):
        lstm(ember.randn(6, 3, 4), ember.zeros(1, 3, 2))
    with pytest.raises(
        ValueError,
        match=r"GRUCell: for batched 2-D input of shape \(3, 4\), expected hx of shape \(3, 5\)",
    ):
        nn.GRUCell(4, 5)(ember.randn(3, 4), ember.zeros(2, 5))


def test_wrong_dtype_and_empty_sequence():
    with pytest.raises(
        TypeError, match="GRU: input dtype float64 must equal the parameters' dtype float32"
    ):
        nn.GRU(4, 5)(ember.randn(2, 3, 4, dtype=ember.float64))
    with pytest.raises(TypeError, match="RNN: hx dtype float64 must equal the input dtype float32"):
        nn.RNN(4, 5)(ember.randn(2, 3, 4), ember.zeros(1, 3, 5, dtype=ember.float64))
    with pytest.raises(ValueError, match=r"LSTM: expected a sequence length larger than 0"):
        nn.LSTM(4, 5)(ember.randn(0, 3, 4))


def test_error_inside_a_model_names_the_submodule():
    model = nn.Sequential(nn.Linear(3, 4), nn.GRU(5, 2))
    with pytest.raises(
        ValueError, match=r"in Sequential.1 \(GRU\(5, 2\)\): GRU: input.shape\[-1\] \(4\)"
    ):
        model(ember.randn(2, 1, 3))


@pytest.mark.parametrize(
    "make,exc,pattern",
    [
        (
            lambda: nn.LSTM(4, 5, proj_size=5),
            ValueError,
            r"LSTM: proj_size \(5\) must be smaller than hidden_size \(5\)",
        ),
        (
            lambda: nn.LSTM(4, 5, proj_size=-1),
            ValueError,
            "LSTM: proj_size must be a non-negative int",
        ),
        (
            lambda: nn.RNN(4, 5, nonlinearity="sigmoid"),
            ValueError,
            "RNN: unknown nonlinearity 'sigmoid'",
        ),
        (
            lambda: nn.RNNCell(4, 5, nonlinearity="gelu"),
            ValueError,
            "RNNCell: unknown nonlinearity",
        ),
        (lambda: nn.GRU(4, 0), ValueError, "GRU: hidden_size must be a positive int, got 0"),
        (lambda: nn.GRU(4, 5, num_layers=0), ValueError, "GRU: num_layers must be a positive int"),
        (
            lambda: nn.RNN(4, 5, num_layers=2, dropout=1.5),
            ValueError,
            r"RNN: dropout should be a number in range \[0, 1\]",
        ),
        (
            lambda: nn.RNNBase("GRU", 4, 5, proj_size=2),
            ValueError,
            "RNNBase: proj_size is supported only by LSTM",
        ),
        (lambda: nn.LSTMCell(4, -2), ValueError, "LSTMCell: hidden_size must be a positive int"),
    ],
)
def test_bad_constructor_arguments(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


# ---- training, jit ---------------------------------------------------------------------------


def test_lstm_adam_training_matches_torch_trajectory():
    rs = np.random.RandomState(11)
    x = rs.randn(7, 4, 3)
    y = rs.randn(4, 2)
    t_lstm, t_head = (
        tnn.LSTM(3, 8, num_layers=2, batch_first=False).double(),
        tnn.Linear(8, 2).double(),
    )
    e_lstm, e_head = nn.LSTM(3, 8, num_layers=2).double(), nn.Linear(8, 2).double()
    copy_state(e_lstm, t_lstm)
    copy_state(e_head, t_head)
    e_params = list(e_lstm.parameters()) + list(e_head.parameters())
    t_params = list(t_lstm.parameters()) + list(t_head.parameters())
    e_opt = ember.optim.Adam(e_params, lr=0.02)
    t_opt = torch.optim.Adam(t_params, lr=0.02)
    e_losses, t_losses = [], []
    for _ in range(8):
        e_opt.zero_grad()
        _, (e_h, _) = e_lstm(e_of(x))
        e_loss = nn.functional.mse_loss(e_head(e_h[-1]), e_of(y))
        e_loss.backward()
        e_opt.step()
        t_opt.zero_grad()
        _, (t_h, _) = t_lstm(torch.tensor(x))
        t_loss = tnn.functional.mse_loss(t_head(t_h[-1]), torch.tensor(y))
        t_loss.backward()
        t_opt.step()
        e_losses.append(float(e_loss))
        t_losses.append(t_loss.item())
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-9)
    assert e_losses[-1] < 0.8 * e_losses[0]
    for ep, tp in zip(e_params, t_params):
        np.testing.assert_allclose(to_np(ep), tp.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_jit_trace_of_lstm_forward_backward_matches_eager():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    params = list(m.parameters())

    def step(x, h0, c0):
        m.zero_grad()
        out, (h, c) = m(x, (h0, c0))
        loss = (out * out).sum() + (h * c).sum()
        loss.backward()
        return loss, out, [p.grad * 1.0 for p in params]

    f64 = ember.float64
    example = (
        ember.randn(2, 5, 3, dtype=f64),
        ember.randn(4, 2, 4, dtype=f64),
        ember.randn(4, 2, 4, dtype=f64),
    )
    traced = jit.trace(step, example)
    for _ in range(2):
        args = (
            ember.randn(2, 5, 3, dtype=f64),
            ember.randn(4, 2, 4, dtype=f64),
            ember.randn(4, 2, 4, dtype=f64),
        )
        got = traced(*args)
        want = step(*args)
        np.testing.assert_allclose(float(got[0]), float(want[0]), rtol=1e-12)
        np.testing.assert_allclose(to_np(got[1]), to_np(want[1]), rtol=1e-12, atol=1e-14)
        for g, w in zip(got[2], want[2]):
            np.testing.assert_allclose(to_np(g), to_np(w), rtol=1e-10, atol=1e-12)


def test_docstring_examples_run():
    globs = {"ember": ember, "nn": nn}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(rnn_module, globs=globs)
    assert sum(len(t.examples) for t in tests) >= 6
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_exported_from_nn():
    for name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase"):
        assert name in nn.__all__ and getattr(nn, name) is getattr(rnn_module, name)
