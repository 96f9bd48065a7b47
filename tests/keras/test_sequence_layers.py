"""Keras sequence layers (SimpleRNN, LSTM, GRU, RNN, Bidirectional, TimeDistributed, Masking,
MultiHeadAttention, Attention, AdditiveAttention) against numpy references of Keras's
formulas and, where the mapping is exact, PyTorch; masks, training, saving and errors."""

from __future__ import annotations

import doctest
import math
import warnings

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers
from ember.keras.layers import attention as attention_mod
from ember.keras.layers import recurrent as recurrent_mod
from ember.keras.layers.base import get_keras_mask

# float32 recurrences over a few steps: a few ulps per step.
RTOL, ATOL = 1e-5, 1e-5


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---- numpy references of Keras's cells and of backend.rnn ------------------------------------


def _lstm_step(x, states, w):
    k, r, b = w
    h, c = states
    z = x @ k + h @ r + b
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sig(f) * c + _sig(i) * np.tanh(g)
    h = _sig(o) * np.tanh(c)
    return h, [h, c]


def _gru_step(x, states, w, reset_after=True):
    k, r, b = w
    h = states[0]
    u = h.shape[-1]
    if reset_after:
        mx = x @ k + b[0]
        inner = h @ r + b[1]
        xz, xr, xh = np.split(mx, 3, axis=-1)
        rz, rr, rh = np.split(inner, 3, axis=-1)
        z, rg = _sig(xz + rz), _sig(xr + rr)
        hh = np.tanh(xh + rg * rh)
    else:
        mx = x @ k + b
        xz, xr, xh = np.split(mx, 3, axis=-1)
        z = _sig(xz + h @ r[:, :u])
        rg = _sig(xr + h @ r[:, u:2 * u])
        hh = np.tanh(xh + (rg * h) @ r[:, 2 * u:])
    h = z * h + (1 - z) * hh
    return h, [h]


def _rnn_step(x, states, w):
    k, r, b = w
    h = np.tanh(x @ k + b + states[0] @ r)
    return h, [h]


def _run(step, x, states, mask=None, go_backwards=False, zero_output=False):
    """Keras's backend.rnn: a masked step keeps the states; its output is the previous output
    (zeros at first), or zeros with zero_output_for_mask. Outputs in processing order."""
    x = np.asarray(x, np.float64)
    t = x.shape[1]
    order = range(t - 1, -1, -1) if go_backwards else range(t)
    outs, prev = [], None
    for i in order:
        out, new = step(x[:, i], states)
        if mask is not None:
            m = mask[:, i][:, None]
            if prev is None or zero_output:
                prev = np.zeros_like(out)
            new = [np.where(m, a, s) for a, s in zip(new, states)]
            out = np.where(m, out, prev)
            prev = out
        states = new
        outs.append(out)
    return np.stack(outs, 1), states


def _weights64(layer):
    return [w.astype(np.float64) for w in layer.get_weights()]


def _random_weights(layer, rng, scale=0.5):
    layer.set_weights([rng.normal(0, scale, w.shape).astype(np.float32)
                       for w in layer.get_weights()])


# ---- values against the references -------------------------------------------------------


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_before", "simple"])
def test_recurrent_layers_match_numpy_reference(kind):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 4)).astype(np.float32)
    if kind == "lstm":
        layer = layers.LSTM(5, return_sequences=True, return_state=True)
    elif kind == "gru":
        layer = layers.GRU(5, return_sequences=True, return_state=True)
    elif kind == "gru_before":
        layer = layers.GRU(5, reset_after=False, return_sequences=True, return_state=True)
    else:
        layer = layers.SimpleRNN(5, return_sequences=True, return_state=True)
    layer.build((None, 6, 4))
    _random_weights(layer, rng)
    w = _weights64(layer)
    step = {"lstm": lambda a, s: _lstm_step(a, s, w),
            "gru": lambda a, s: _gru_step(a, s, w, True),
            "gru_before": lambda a, s: _gru_step(a, s, w, False),
            "simple": lambda a, s: _rnn_step(a, s, w)}[kind]
    zeros = [np.zeros((3, 5))] * (2 if kind == "lstm" else 1)
    ref_seq, ref_states = _run(step, x, zeros)
    out = layer(x)
    np.testing.assert_allclose(_np(out[0]), ref_seq, rtol=RTOL, atol=ATOL)
    assert len(out) == 1 + len(zeros)
    for got, want in zip(out[1:], ref_states):
        np.testing.assert_allclose(_np(got), want, rtol=RTOL, atol=ATOL)


def test_lstm_matches_torch_lstm():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.LSTM(4, 6, batch_first=True)
    x = np.random.default_rng(1).normal(size=(2, 7, 4)).astype(np.float32)
    want, (h, c) = ref(torch.from_numpy(x))
    layer = layers.LSTM(6, return_sequences=True, return_state=True)
    layer.build((None, 7, 4))
    # torch's gate blocks (i, f, g, o) are Keras's (i, f, c, o): transpose, add the biases.
    layer.set_weights([ref.weight_ih_l0.detach().numpy().T, ref.weight_hh_l0.detach().numpy().T,
                       (ref.bias_ih_l0 + ref.bias_hh_l0).detach().numpy()])
    seq, h_k, c_k = layer(x)
    np.testing.assert_allclose(_np(seq), want.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(h_k), h[0].detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(c_k), c[0].detach().numpy(), rtol=RTOL, atol=ATOL)


def test_gru_matches_torch_gru_with_gate_reorder():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.GRU(3, 5, batch_first=True)
    x = np.random.default_rng(2).normal(size=(4, 6, 3)).astype(np.float32)
    want, h = ref(torch.from_numpy(x))

    def zrn(a):  # torch's (r, z, n) blocks -> Keras's (z, r, h)
        r, z, n = np.split(a.detach().numpy(), 3, axis=0)
        return np.concatenate([z, r, n], axis=0)

    layer = layers.GRU(5, return_sequences=True, return_state=True)
    layer.build((None, 6, 3))
    layer.set_weights([zrn(ref.weight_ih_l0).T, zrn(ref.weight_hh_l0).T,
                       np.stack([zrn(ref.bias_ih_l0), zrn(ref.bias_hh_l0)])])
    seq, h_k = layer(x)
    np.testing.assert_allclose(_np(seq), want.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(h_k), h[0].detach().numpy(), rtol=RTOL, atol=ATOL)


def test_simple_rnn_matches_torch_rnn():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.RNN(3, 4, batch_first=True)
    x = np.random.default_rng(3).normal(size=(2, 5, 3)).astype(np.float32)
    want, _ = ref(torch.from_numpy(x))
    layer = layers.SimpleRNN(4, return_sequences=True)
    layer.build((None, 5, 3))
    layer.set_weights([ref.weight_ih_l0.detach().numpy().T, ref.weight_hh_l0.detach().numpy().T,
                       (ref.bias_ih_l0 + ref.bias_hh_l0).detach().numpy()])
    np.testing.assert_allclose(_np(layer(x)), want.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_rnn_wrapper_with_builtin_and_custom_cell_matches_layer():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    lstm = layers.LSTM(3, return_sequences=True)
    rnn = layers.RNN(layers.LSTMCell(3), return_sequences=True)
    lstm.build((None, 4, 3))
    rnn.build((None, 4, 3))
    rnn.set_weights(lstm.get_weights())
    np.testing.assert_allclose(_np(rnn(x)), _np(lstm(x)), rtol=1e-6, atol=1e-6)

    class MinimalRNNCell(layers.Layer):  # Keras's documented example cell
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.add_weight("kernel", (input_shape[-1], self.units), "glorot_uniform")
            self.add_weight("recurrent_kernel", (self.units, self.units), "glorot_uniform")

        def call(self, inputs, states):
            output = ember.matmul(inputs, self.kernel) + ember.matmul(states[0],
                                                                       self.recurrent_kernel)
            return output, [output]

    layer = layers.RNN(MinimalRNNCell(2), return_sequences=True)
    out = _np(layer(x))
    k, r = _weights64(layer)
    ref, _ = _run(lambda a, s: (a @ k + s[0] @ r, [a @ k + s[0] @ r]), x, [np.zeros((2, 2))])
    np.testing.assert_allclose(out, ref, rtol=RTOL, atol=ATOL)


def test_standalone_cells_run_one_step():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3)).astype(np.float32)
    cell = layers.LSTMCell(4)
    h0, c0 = np.zeros((2, 4), np.float32), np.zeros((2, 4), np.float32)
    out, (h, c) = cell(x, [h0, c0])
    ref, (_, rc) = _lstm_step(x.astype(np.float64), [h0, c0], _weights64(cell))
    np.testing.assert_allclose(_np(out), ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(c), rc, rtol=RTOL, atol=ATOL)
    gru = layers.GRUCell(4)
    out, h = gru(x, h0)  # a single (unnested) state comes back unnested, as Keras
    assert tuple(out.shape) == (2, 4) and tuple(h.shape) == (2, 4)


# ---- shapes, direction, initial states --------------------------------------------------------


@pytest.mark.parametrize("cls,n_states", [(layers.LSTM, 2), (layers.GRU, 1),
                                          (layers.SimpleRNN, 1)])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_output_shapes_eager_and_symbolic(cls, n_states, return_sequences, return_state):
    x = np.zeros((2, 7, 3), np.float32)
    layer = cls(5, return_sequences=return_sequences, return_state=return_state)
    out = layer(x)
    seq_shape = (2, 7, 5) if return_sequences else (2, 5)
    if return_state:
        assert isinstance(out, tuple) and len(out) == 1 + n_states
        assert tuple(out[0].shape) == seq_shape
        assert all(tuple(s.shape) == (2, 5) for s in out[1:])
    else:
        assert tuple(out.shape) == seq_shape
    sym = cls(5, return_sequences=return_sequences, return_state=return_state)(
        keras.Input((7, 3)))
    if return_state:
        assert [t.shape for t in sym] == [(None,) + seq_shape[1:]] + [(None, 5)] * n_states
    else:
        assert sym.shape == (None,) + seq_shape[1:]


def test_weight_shapes_order_and_initializers():
    lstm = layers.LSTM(6)
    lstm.build((None, 3, 4))
    k, r, b = lstm.get_weights()
    assert (k.shape, r.shape, b.shape) == ((4, 24), (6, 24), (24,))
    assert [w is v for w, v in zip(lstm.weights, [lstm.cell.kernel, lstm.cell.recurrent_kernel,
                                                   lstm.cell.bias])] == [True] * 3
    np.testing.assert_array_equal(b, np.r_[np.zeros(6), np.ones(6), np.zeros(12)])
    np.testing.assert_allclose(r @ r.T, np.eye(6), atol=1e-5)  # orthogonal rows
    assert np.abs(k).max() <= math.sqrt(6 / (4 + 24)) + 1e-6  # glorot_uniform
    gru = layers.GRU(3)
    gru.build((None, 2, 5))
    assert [w.shape for w in gru.get_weights()] == [(5, 9), (3, 9), (2, 9)]
    gru = layers.GRU(3, reset_after=False, use_bias=False)
    gru.build((None, 2, 5))
    assert [w.shape for w in gru.get_weights()] == [(5, 9), (3, 9)]
    rnn = layers.SimpleRNN(3)
    rnn.build((None, 2, 5))
    assert [w.shape for w in rnn.get_weights()] == [(5, 3), (3, 3), (3,)]
    assert lstm.units == 6 and lstm.recurrent_activation is keras.activations.sigmoid


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_go_backwards_returns_the_reversed_sequence(cls):
    x = np.random.default_rng(6).normal(size=(2, 5, 3)).astype(np.float32)
    fwd = cls(4, return_sequences=True)
    bwd = cls(4, return_sequences=True, go_backwards=True)
    fwd.build((None, 5, 3))
    bwd.build((None, 5, 3))
    bwd.set_weights(fwd.get_weights())
    np.testing.assert_allclose(_np(bwd(x)), _np(fwd(x[:, ::-1].copy())), rtol=1e-6, atol=1e-6)


def test_initial_state_eager_and_in_a_functional_encoder_decoder(tmp_path):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    h0, c0 = rng.normal(size=(2, 5)).astype(np.float32), rng.normal(size=(2, 5)).astype(np.float32)
    lstm = layers.LSTM(5, return_sequences=True)
    out = lstm(x, initial_state=[h0, c0])
    ref, _ = _run(lambda a, s: _lstm_step(a, s, _weights64(lstm)), x,
                  [h0.astype(np.float64), c0.astype(np.float64)])
    np.testing.assert_allclose(_np(out), ref, rtol=RTOL, atol=ATOL)
    with pytest.raises(ValueError, match=r"initial state must have shape \(2, 5\)"):
        lstm(x, initial_state=[h0[:, :3], c0])
    with pytest.raises(ValueError, match="expected 2 initial state"):
        lstm(x, initial_state=[h0])

    enc_in, dec_in = keras.Input((4, 3)), keras.Input((6, 2))
    _, h, c = layers.LSTM(5, return_state=True)(enc_in)
    dec = layers.LSTM(5, return_sequences=True)(dec_in, initial_state=[h, c])
    model = keras.Model([enc_in, dec_in], layers.Dense(1)(dec))
    xd = rng.normal(size=(2, 6, 2)).astype(np.float32)
    y = model.predict([x, xd], verbose=0)
    assert y.shape == (2, 6, 1)
    path = str(tmp_path / "seq2seq.keras")
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict([x, xd], verbose=0), y,
                               rtol=1e-6, atol=1e-6)


# ---- masks ---------------------------------------------------------------------------------


def _padded(rng, lengths, t, f, right=True):
    x = np.zeros((len(lengths), t, f), np.float32)
    mask = np.zeros((len(lengths), t), bool)
    for i, n in enumerate(lengths):
        sl = slice(0, n) if right else slice(t - n, t)
        x[i, sl] = rng.normal(size=(n, f))
        mask[i, sl] = True
    return x, mask


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple"])
def test_masking_layer_steps_keep_previous_state_and_output(kind):
    rng = np.random.default_rng(8)
    x, mask = _padded(rng, [5, 3, 0], 5, 2)
    x[1, 4] = rng.normal(size=2)  # a mask with a gap: steps 0-2 and 4 of sample 1
    mask[1, 4] = True
    x[0, 1] = 0.0  # a masked step in the middle of sample 0
    mask[0, 1] = False
    x[0, 0] = 0.0  # and a leading one: its output is zeros
    mask[0, 0] = False
    cls = {"lstm": layers.LSTM, "gru": layers.GRU, "simple": layers.SimpleRNN}[kind]
    rnn = cls(3, return_sequences=True, return_state=True)
    model = keras.Sequential([layers.Masking(input_shape=(5, 2)), rnn])
    out = model(x)
    w = _weights64(rnn)
    step = {"lstm": lambda a, s: _lstm_step(a, s, w), "gru": lambda a, s: _gru_step(a, s, w),
            "simple": lambda a, s: _rnn_step(a, s, w)}[kind]
    zeros = [np.zeros((3, 3))] * (2 if kind == "lstm" else 1)
    ref_seq, ref_states = _run(step, x, zeros, mask=mask)
    np.testing.assert_allclose(_np(out[0]), ref_seq, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(_np(out[1]), ref_states[0], rtol=RTOL, atol=ATOL)
    assert not np.any(_np(out[0])[0, :2])  # leading masked steps output zeros
    np.testing.assert_array_equal(_np(out[0])[1, 3], _np(out[0])[1, 2])  # previous output
    assert not np.any(_np(out[1])[2])  # a fully masked sample keeps the zero state
    np.testing.assert_array_equal(_np(get_keras_mask(out[0])), mask)  # the output mask
    assert get_keras_mask(out[1]) is None


def test_embedding_mask_zero_lstm_equals_unpadded_sequences_in_predict_and_fit_plan():
    tokens = np.array([[3, 5, 2, 0, 0], [7, 1, 4, 6, 2], [9, 0, 0, 0, 0]])
    model = keras.Sequential([keras.Input((None,), dtype="int64"),
                              layers.Embedding(10, 4, mask_zero=True), layers.LSTM(3)])
    got = model.predict(tokens, verbose=0)
    plan = _np(model._fit_forward_plan(False)(ember.tensor(tokens), False))
    np.testing.assert_allclose(plan, got, rtol=1e-6, atol=1e-6)
    for i, row in enumerate(tokens):
        n = int((row != 0).sum())
        alone = model.predict(row[None, :n], verbose=0)
        np.testing.assert_allclose(got[i], alone[0], rtol=RTOL, atol=ATOL)


def test_mask_passes_through_dense_and_dropout_and_is_dropped_with_a_warning_by_flatten():
    tokens = np.array([[3, 5, 0, 0], [7, 1, 4, 6]])
    emb = layers.Embedding(10, 4, mask_zero=True)
    e = emb(tokens)
    np.testing.assert_array_equal(_np(get_keras_mask(e)), tokens != 0)
    d = layers.Dropout(0.5)(layers.Dense(3)(e))
    np.testing.assert_array_equal(_np(get_keras_mask(d)), tokens != 0)
    with pytest.warns(UserWarning, match="does not support masking"):
        f = layers.Flatten()(e)
    assert get_keras_mask(f) is None
    model = keras.Sequential([keras.Input((None,), dtype="int64"),
                              layers.Embedding(10, 4, mask_zero=True), layers.Dense(4),
                              layers.GRU(2)])
    ref = keras.Sequential([keras.Input((None,), dtype="int64"), layers.Embedding(10, 4),
                            layers.Dense(4), layers.GRU(2)])
    ref.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(tokens[:1], verbose=0),
                               ref.predict(tokens[:1, :2], verbose=0), rtol=RTOL, atol=ATOL)


def test_global_average_pooling1d_uses_the_mask():
    tokens = np.array([[3, 5, 0, 0], [7, 1, 4, 6]])
    inp = keras.Input((4,), dtype="int64")
    e = layers.Embedding(10, 3, mask_zero=True)(inp)
    model = keras.Model(inp, [e, layers.GlobalAveragePooling1D()(e)])
    emb, pooled = model.predict(tokens, verbose=0)
    np.testing.assert_allclose(pooled[0], emb[0, :2].mean(0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pooled[1], emb[1].mean(0), rtol=1e-6, atol=1e-6)
    seq = keras.Sequential([layers.Embedding(10, 3, mask_zero=True),
                            layers.GlobalAveragePooling1D()])
    seq.build((None, 4))
    seq.set_weights(model.get_weights())
    np.testing.assert_allclose(seq.predict(tokens, verbose=0), pooled, rtol=1e-6, atol=1e-6)


def test_explicit_mask_argument_equals_masking_layer():
    rng = np.random.default_rng(10)
    x, mask = _padded(rng, [4, 2], 4, 3)
    lstm = layers.LSTM(2)
    a = _np(lstm(x, mask=mask))
    b = _np(lstm(layers.Masking()(x)))
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\)"):
        lstm(x, mask=mask[:, :3])


# ---- Bidirectional and TimeDistributed --------------------------------------------------------


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    bi = layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode=merge_mode)
    out = bi(x)
    assert bi.forward_layer.name.startswith("forward_lstm")
    assert bi.backward_layer.go_backwards and bi.backward_layer.name.startswith("backward_lstm")
    fw_w, bw_w = bi.get_weights()[:3], bi.get_weights()[3:]
    fw, bw = layers.LSTM(4, return_sequences=True), layers.LSTM(4, return_sequences=True)
    fw.build((None, 5, 3))
    bw.build((None, 5, 3))
    fw.set_weights(fw_w)
    bw.set_weights(bw_w)
    y = _np(fw(x))
    y_rev = _np(bw(x[:, ::-1].copy()))[:, ::-1]  # back in time order
    want = {"concat": np.concatenate([y, y_rev], -1), "sum": y + y_rev, "mul": y * y_rev,
            "ave": (y + y_rev) / 2}.get(merge_mode)
    if merge_mode is None:
        np.testing.assert_allclose(_np(out[0]), y, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(_np(out[1]), y_rev, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_allclose(_np(out), want, rtol=1e-6, atol=1e-6)
    sym = layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode=merge_mode)(
        keras.Input((5, 3)))
    width = 8 if merge_mode == "concat" else 4
    shapes = [t.shape for t in sym] if merge_mode is None else [sym.shape]
    assert all(s == (None, 5, width) for s in shapes)


def test_bidirectional_return_state_backward_layer_and_masks():
    rng = np.random.default_rng(12)
    x, _ = _padded(rng, [5, 2], 5, 3)
    bi = layers.Bidirectional(layers.GRU(4, return_state=True))
    out, h_f, h_b = bi(x)
    assert tuple(out.shape) == (2, 8) and tuple(h_f.shape) == (2, 4)
    np.testing.assert_allclose(_np(out), np.concatenate([_np(h_f), _np(h_b)], -1), rtol=1e-6)
    sym = layers.Bidirectional(layers.LSTM(3, return_state=True))(keras.Input((5, 3)))
    assert [t.shape for t in sym] == [(None, 6)] + [(None, 3)] * 4

    back = layers.SimpleRNN(2, activation="relu", return_sequences=True, go_backwards=True)
    bi = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True), backward_layer=back)
    assert bi.backward_layer is back
    seq = _np(bi(layers.Masking()(x)))
    assert seq.shape == (2, 5, 4)
    assert not np.any(seq[1, 2:])  # masked steps output zeros (zero_output_for_mask)
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="same value for attribute 'return_sequences'"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(
            2, return_sequences=True, go_backwards=True))
    with pytest.raises(ValueError, match="Invalid merge mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="must be a recurrent keras layer"):
        layers.Bidirectional(layers.Dense(2))


def test_time_distributed_dense_equals_dense_per_step():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    td = layers.TimeDistributed(layers.Dense(2, activation="relu"))
    out = _np(td(x))
    k, b = td.get_weights()
    assert k.shape == (5, 2) and b.shape == (2,)
    np.testing.assert_allclose(out, np.maximum(x @ k + b, 0), rtol=1e-5, atol=1e-6)
    assert layers.TimeDistributed(layers.Dense(7))(keras.Input((4, 5))).shape == (None, 4, 7)
    conv = layers.TimeDistributed(layers.Conv2D(3, 2))(keras.Input((4, 6, 6, 1)))
    assert conv.shape == (None, 4, 5, 5, 3)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="initialize `TimeDistributed` layer"):
        layers.TimeDistributed("dense")


# ---- attention -----------------------------------------------------------------------------


def _softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _mha_reference(mha, q, v, k=None, mask=None, causal=False):
    """Keras's MultiHeadAttention in numpy: einsum projections, scaled scores, masked
    softmax (a fully masked row gives zeros), output projection."""
    k = v if k is None else k
    wq, bq, wk, bk, wv, bv, wo, bo = [w.astype(np.float64) for w in mha.get_weights()]
    qp = np.einsum("btd,dnh->btnh", q, wq) + bq
    kp = np.einsum("bsd,dnh->bsnh", k, wk) + bk
    vp = np.einsum("bsd,dnh->bsnh", v, wv) + bv
    scores = np.einsum("bsnh,btnh->bnts", kp, qp / math.sqrt(wq.shape[-1]))
    m = np.ones((q.shape[0], q.shape[1], v.shape[1]), bool)
    if mask is not None:
        m &= np.broadcast_to(mask, m.shape)
    if causal:
        m &= np.tril(np.ones((q.shape[1], v.shape[1]), bool))[None]
    scores = scores + np.where(m[:, None], 0.0, -1e9)
    probs = _softmax(scores) * m[:, None]
    ctx = np.einsum("bnts,bsnh->btnh", probs, vp)
    return np.einsum("btnh,nhd->btd", ctx, wo) + bo, probs


def test_multi_head_attention_matches_numpy_with_masks_and_causal_mask():
    rng = np.random.default_rng(14)
    q = rng.normal(size=(2, 4, 6)).astype(np.float32)
    v = rng.normal(size=(2, 5, 3)).astype(np.float32)
    k = rng.normal(size=(2, 5, 7)).astype(np.float32)
    mha = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4)
    out = mha(q, v, k)
    shapes = [w.shape for w in mha.get_weights()]
    assert shapes == [(6, 3, 2), (3, 2), (7, 3, 2), (3, 2), (3, 3, 4), (3, 4), (3, 4, 6), (6,)]
    _random_weights(mha, rng)
    mask = rng.random((2, 4, 5)) > 0.3
    mask[0, 1] = False  # a query that attends to nothing: zero weights, as Keras 3
    out, scores = mha(q, v, k, attention_mask=mask, return_attention_scores=True)
    ref, ref_scores = _mha_reference(mha, q, v, k, mask)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(scores), ref_scores, rtol=1e-4, atol=1e-6)
    fast = mha(q, v, k, attention_mask=mask)  # the fused path without the scores
    np.testing.assert_allclose(_np(fast), ref, rtol=1e-4, atol=1e-5)

    x = rng.normal(size=(2, 5, 6)).astype(np.float32)
    self_attn = layers.MultiHeadAttention(2, 3)
    out, scores = self_attn(x, x, use_causal_mask=True, return_attention_scores=True)
    ref, ref_scores = _mha_reference(self_attn, x, x, causal=True)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-4, atol=1e-5)
    assert not np.any(np.triu(_np(scores)[0, 0], 1))  # no weight on later steps
    both = _np(self_attn(x, x, attention_mask=mask[:, :, :5].repeat(2, 1)[:, :5],
                         use_causal_mask=True))
    ref, _ = _mha_reference(self_attn, x, x, mask=mask[:, :, :5].repeat(2, 1)[:, :5],
                            causal=True)
    np.testing.assert_allclose(both, ref, rtol=1e-4, atol=1e-5)


def test_multi_head_attention_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    e, h = 8, 2
    ref = torch.nn.MultiheadAttention(e, h, batch_first=True)
    x = np.random.default_rng(15).normal(size=(3, 4, e)).astype(np.float32)
    want, _ = ref(*(torch.from_numpy(x),) * 3)
    mha = layers.MultiHeadAttention(h, e // h)
    mha(x, x)
    w_in = ref.in_proj_weight.detach().numpy()
    b_in = ref.in_proj_bias.detach().numpy()
    wts = []
    for i in range(3):  # torch's q, k, v rows -> Keras (dim, heads, key_dim) kernels
        wts += [w_in[i * e:(i + 1) * e].T.reshape(e, h, e // h),
                b_in[i * e:(i + 1) * e].reshape(h, e // h)]
    wts += [ref.out_proj.weight.detach().numpy().T.reshape(h, e // h, e),
            ref.out_proj.bias.detach().numpy()]
    mha.set_weights(wts)
    np.testing.assert_allclose(_np(mha(x, x)), want.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_multi_head_attention_uses_keras_masks_in_a_functional_model():
    tokens = np.array([[4, 2, 7, 0, 0], [1, 3, 3, 3, 9]])
    inp = keras.Input((5,), dtype="int64")
    e = layers.Embedding(10, 6, mask_zero=True)(inp)
    mha = layers.MultiHeadAttention(2, 3, output_shape=4)
    out = mha(e, e)
    assert out.shape == (None, 5, 4)
    model = keras.Model(inp, layers.GlobalAveragePooling1D()(out))
    emb = _np(model.layers[1](tokens))
    valid = tokens != 0
    want, _ = _mha_reference(mha, emb.astype(np.float64), emb.astype(np.float64),
                             mask=valid[:, :, None] & valid[:, None, :])
    pooled = (want * valid[..., None]).sum(1) / valid.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(tokens, verbose=0), pooled, rtol=1e-4, atol=1e-5)
    q_mask = get_keras_mask(mha(layers.Embedding(10, 6, mask_zero=True)(tokens), emb))
    np.testing.assert_array_equal(_np(q_mask), valid)


def test_multi_head_attention_dropout_only_in_training_and_errors():
    x = np.random.default_rng(16).normal(size=(2, 3, 4)).astype(np.float32)
    mha = layers.MultiHeadAttention(2, 2, dropout=0.5)
    a, b = _np(mha(x, x)), _np(mha(x, x, training=False))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(_np(mha(x, x, training=True)), a)
    with pytest.raises(NotImplementedError, match="attention_axes"):
        layers.MultiHeadAttention(2, 2, attention_axes=(1, 2))
    with pytest.raises(ValueError, match="expected query of rank 3"):
        layers.MultiHeadAttention(2, 2)(x[0], x[0])
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        layers.MultiHeadAttention(0, 2)
    with pytest.raises(ValueError, match="does not broadcast"):
        layers.MultiHeadAttention(2, 2)(x, x, attention_mask=np.ones((2, 4, 4), bool))
    with pytest.raises(TypeError, match="value is missing"):
        layers.MultiHeadAttention(2, 2)(x)


def _luong(q, v, k=None, q_mask=None, v_mask=None, scale=None, causal=False, additive=None,
           concat_w=None):
    k = v if k is None else k
    if additive is not None:
        scores = (np.tanh(q[:, :, None] + k[:, None]) * additive).sum(-1)
    elif concat_w is not None:
        scores = concat_w * np.tanh(q[:, :, None] + k[:, None]).sum(-1)
    else:
        scores = q @ k.transpose(0, 2, 1) * (1.0 if scale is None else scale)
    m = np.ones(scores.shape, bool)
    if v_mask is not None:
        m &= v_mask[:, None, :]
    if causal:
        m &= np.tril(np.ones(scores.shape[1:], bool))[None]
    w = _softmax(scores - 1e9 * ~m)
    out = w @ v
    if q_mask is not None:
        out = out * q_mask[..., None]
    return out, w


def test_attention_and_additive_attention_match_numpy():
    rng = np.random.default_rng(17)
    q = rng.normal(size=(2, 3, 4)).astype(np.float32)
    v = rng.normal(size=(2, 5, 4)).astype(np.float32)
    q_mask = np.array([[True, True, False], [True, True, True]])
    v_mask = np.array([[True, False, True, True, False], [True] * 5])
    att = layers.Attention(use_scale=True)
    att([q, v])
    att.set_weights([np.array(0.7, np.float32)])
    out, w = att([q, v], mask=[q_mask, v_mask], return_attention_scores=True)
    ref, ref_w = _luong(q, v, q_mask=q_mask, v_mask=v_mask, scale=0.7)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(w), ref_w, rtol=1e-5, atol=1e-6)
    causal = layers.Attention(score_mode="concat")
    np.testing.assert_allclose(_np(causal([q, q], use_causal_mask=True)),
                               _luong(q, q, concat_w=1.0, causal=True)[0], rtol=1e-5, atol=1e-6)
    add = layers.AdditiveAttention()
    out = _np(add([q, v], mask=[q_mask, v_mask]))
    (scale,) = add.get_weights()
    assert scale.shape == (4,)
    np.testing.assert_allclose(out, _luong(q, v, q_mask=q_mask, v_mask=v_mask,
                                           additive=scale)[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="must be called on a list of inputs"):
        layers.Attention()(q)
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="add")
    assert "score_mode" not in add.get_config()


# ---- training, saving, configs, errors ------------------------------------------------------


@pytest.mark.parametrize("rnn", ["lstm", "gru", "bidirectional"])
def test_fit_learns_sum_of_sequence(rnn):
    ember.manual_seed(1)
    rng = np.random.default_rng(18)
    x = rng.uniform(-1, 1, size=(128, 6, 1)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None].astype(np.float32)
    make = {"lstm": lambda: layers.LSTM(8), "gru": lambda: layers.GRU(8),
            "bidirectional": lambda: layers.Bidirectional(layers.SimpleRNN(6))}[rnn]
    model = keras.Sequential([keras.Input((6, 1)), make(), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    hist = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert after < 0.25 * before, (before, hist.history["loss"], after)


def test_fit_with_masks_dropout_and_regularizers():
    ember.manual_seed(2)
    rng = np.random.default_rng(19)
    tokens = rng.integers(1, 6, size=(96, 7))
    lengths = rng.integers(2, 8, size=96)
    for i, n in enumerate(lengths):
        tokens[i, n:] = 0
    y = ((tokens == 1).sum(1) >= 2).astype(np.float32)[:, None]  # "at least two 1s"
    model = keras.Sequential([
        layers.Embedding(6, 8, mask_zero=True),
        layers.LSTM(12, dropout=0.1, recurrent_dropout=0.1, kernel_regularizer="l2"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(tokens, y, epochs=15, batch_size=32, verbose=0)
    loss, acc = model.evaluate(tokens, y, verbose=0)
    assert acc > 0.85, (loss, acc)
    assert len(model.losses) == 1  # the kernel's L2 penalty
    lstm = model.layers[1]
    x = model.layers[0](tokens[:4])
    a, b = _np(lstm(x, training=False)), _np(lstm(x))
    np.testing.assert_array_equal(a, b)  # no dropout outside training
    assert not np.allclose(_np(lstm(x, training=True)), a)


def test_save_load_round_trip_of_every_sequence_layer(tmp_path):
    tokens = np.array([[3, 5, 2, 0, 0], [7, 1, 4, 6, 2]])
    inp = keras.Input((5,), dtype="int64")
    e = layers.Embedding(10, 6, mask_zero=True)(inp)
    s = layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode="sum")(e)
    s = layers.TimeDistributed(layers.Dense(6))(s)
    a = layers.MultiHeadAttention(2, 3)(s, s, use_causal_mask=True)
    a = layers.Attention(use_scale=True)([a, s])
    a = layers.AdditiveAttention()([a, s])
    g = layers.GRU(3, reset_after=False, return_sequences=True, go_backwards=True)(a)
    g = layers.SimpleRNN(2)(layers.Masking()(g))
    g = layers.RNN(layers.GRUCell(2))(layers.Reshape((1, 2))(g))
    model = keras.Model(inp, layers.Dense(1)(g))
    model.compile(optimizer="adam", loss="mse")
    want = model.predict(tokens, verbose=0)
    path = str(tmp_path / "seq.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(tokens, verbose=0), want, rtol=1e-6, atol=1e-6)
    assert [w.shape for w in loaded.get_weights()] == [w.shape for w in model.get_weights()]
    seq = keras.Sequential([layers.Masking(input_shape=(4, 2)),
                            layers.Bidirectional(layers.GRU(3)), layers.Dense(1)])
    x = np.random.default_rng(20).normal(size=(3, 4, 2)).astype(np.float32)
    seq.save(str(tmp_path / "s.keras"))
    np.testing.assert_allclose(keras.models.load_model(str(tmp_path / "s.keras")).predict(
        x, verbose=0), seq.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(3, return_sequences=True, go_backwards=True, dropout=0.2,
                        unit_forget_bias=False, recurrent_regularizer="l2"),
    lambda: layers.GRU(3, reset_after=False, recurrent_activation="hard_sigmoid"
                       if "hard_sigmoid" in keras.activations.__all__ else "relu"),
    lambda: layers.SimpleRNN(3, activation="relu", return_state=True),
    lambda: layers.RNN(layers.LSTMCell(2), return_sequences=True),
    lambda: layers.Bidirectional(layers.LSTM(2), merge_mode="mul"),
    lambda: layers.TimeDistributed(layers.Dense(2)),
    lambda: layers.Masking(mask_value=-1.0),
    lambda: layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=(5,), dropout=0.1),
    lambda: layers.Attention(use_scale=True, score_mode="concat", dropout=0.1),
    lambda: layers.AdditiveAttention(use_scale=False),
    lambda: layers.LSTMCell(2),
    lambda: layers.Embedding(5, 2, mask_zero=True),
])
def test_config_round_trip_and_registration(make):
    layer = make()
    config = layer.get_config()
    clone = keras.saving.deserialize_layer(keras.saving.serialize_layer(layer))
    assert type(clone) is type(layer)
    assert clone.get_config() == config
    assert keras.saving._builtin_classes()[type(layer).__name__] is type(layer)
    assert type(layer).__doc__ and len(type(layer).__doc__) > 200


def test_wrong_input_rank_and_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=2"):
        layers.LSTM(3)(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=4"):
        keras.Sequential([layers.GRU(3, input_shape=(2, 3, 4))])
    lstm = layers.LSTM(3)
    lstm(np.zeros((1, 2, 4), np.float32))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4"):
        lstm(np.zeros((1, 2, 5), np.float32))
    with pytest.raises(NotImplementedError, match="stateful=True is not supported"):
        layers.LSTM(3, stateful=True)
    with pytest.raises(ValueError, match="units must be a positive int"):
        layers.GRU(0)
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\)"):
        layers.SimpleRNN(2, dropout=1.5)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.LSTM(2, use_cudnn="yes")
    with pytest.raises(NotImplementedError, match="list of cells"):
        layers.RNN([layers.LSTMCell(2), layers.LSTMCell(2)])
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(NotImplementedError, match="kernel_constraint"):
        layers.LSTM(2, kernel_constraint="non_neg")
    with pytest.raises(ValueError, match="no time steps"):
        layers.SimpleRNN(2)(np.zeros((2, 0, 3), np.float32))


def test_masked_sequential_fit_plan_equals_predict_and_input_shape_passes_through():
    rng = np.random.default_rng(22)
    x, _ = _padded(rng, [4, 1, 3], 4, 2)
    model = keras.Sequential([layers.Masking(input_shape=(4, 2)),
                              layers.LSTM(3, return_sequences=True),
                              layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    y = np.ones((3, 1), np.float32)
    pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), ((pred - y) ** 2).mean(),
                               rtol=1e-5)
    seq = _np(model.layers[1](model.layers[0](x)))
    pooled = seq[1, :1].mean(0)  # sample 1 has one valid step
    np.testing.assert_allclose(pred[1], pooled @ model.layers[3].get_weights()[0]
                               + model.layers[3].get_weights()[1], rtol=1e-5, atol=1e-6)
    bi = keras.Sequential([layers.Bidirectional(layers.LSTM(2, input_shape=(4, 2))),
                           layers.Dense(1)])
    assert bi.built and bi.output_shape == (None, 1)


def test_frozen_recurrent_layer_keeps_its_weights():
    x = np.random.default_rng(21).normal(size=(8, 3, 2)).astype(np.float32)
    model = keras.Sequential([keras.Input((3, 2)), layers.GRU(2, trainable=False),
                              layers.Dense(1)])
    before = model.layers[0].get_weights()
    assert len(model.trainable_weights) == 2
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((8, 1), np.float32), epochs=1, verbose=0)
    for a, b in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_summary_lists_sequence_layers():
    model = keras.Sequential([keras.Input((5, 3)), layers.Bidirectional(layers.LSTM(4)),
                              layers.Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "bidirectional" in text and "(None, 8)" in text
    assert f"{2 * (3 * 16 + 4 * 16 + 16) + 9:,}" in text


@pytest.mark.parametrize("module", [recurrent_mod, attention_mod], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {"ember": ember, "keras": keras, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for test in doctest.DocTestFinder().find(module, globs=globs):
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
