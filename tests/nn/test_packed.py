"""Packed and padded variable-length sequences (ember.nn.utils.rnn) and RNNs over them, vs torch."""

from __future__ import annotations

import doctest

import ember
import numpy as np
import pytest
from ember import nn
from ember.nn.utils import rnn as rnn_utils
from ember.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn
trnn = torch.nn.utils.rnn

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}

KINDS = {
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 3}),
    "gru": ("GRU", {}),
}

# (constructor keywords, lengths, enforce_sorted, given h0)
CONFIGS = {
    "one_layer_sorted": ({}, [5, 4, 2], True, False),
    "two_layers_sorted": ({"num_layers": 2}, [5, 3, 3], True, False),
    "bidir_sorted": ({"bidirectional": True}, [5, 4, 1], True, False),
    "unsorted": ({}, [2, 5, 1, 4], False, False),
    "unsorted_bidir_two_layers": (
        {"num_layers": 2, "bidirectional": True},
        [3, 1, 5, 4],
        False,
        False,
    ),
    "unsorted_bidir_batch_first_h0": (
        {"num_layers": 2, "bidirectional": True, "batch_first": True},
        [2, 5, 1, 3],
        False,
        True,
    ),
    "sorted_given_h0": ({"num_layers": 2}, [5, 5, 2], True, True),
    "all_full_length_bidir": ({"bidirectional": True}, [5, 5, 5], True, False),
    "no_bias_unsorted": ({"bias": False, "bidirectional": True}, [1, 4, 5], False, False),
}

L, H_IN, H = 5, 4, 6


def e_of(a):
    return ember.tensor(np.ascontiguousarray(a))


def assert_close(e, t, dtype=np.float64):
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **TOL[dtype])


def leaf_pair(arr, grad):
    e, t = e_of(arr), torch.tensor(arr)
    if grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    return e, t


def make_pair(cls_name, dtype, **kw):
    t_mod = getattr(tnn, cls_name)(**kw)
    e_mod = getattr(nn, cls_name)(**kw)
    if dtype == np.float64:
        t_mod.double()
        e_mod.double()
    e_mod.load_state_dict(
        {k: ember.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )
    return e_mod, t_mod


def ints(t):
    return [int(v) for v in t.tolist()]


# ---- recurrent layers over packed input ------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("kind", list(KINDS))
def test_packed_layer_matches_torch(kind, config, dtype):
    cls_name, kind_kw = KINDS[kind]
    cfg_kw, lengths, enforce_sorted, given_h0 = CONFIGS[config]
    kw = dict(input_size=H_IN, hidden_size=H, **kind_kw, **cfg_kw)
    e_mod, t_mod = make_pair(cls_name, dtype, **kw)
    batch_first = kw.get("batch_first", False)
    n = len(lengths)
    rs = np.random.RandomState(7)
    x = rs.randn(*((n, L, H_IN) if batch_first else (L, n, H_IN))).astype(dtype)
    grad = dtype == np.float64
    ex, tx = leaf_pair(x, grad)
    ep = pack_padded_sequence(ex, lengths, batch_first, enforce_sorted)
    tp = trnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first, enforce_sorted)
    d = 2 if kw.get("bidirectional") else 1
    layers = d * kw.get("num_layers", 1)
    h_out = kw.get("proj_size", 0) or H
    hidden_in = []
    if given_h0:
        hidden_in.append(leaf_pair(rs.randn(layers, n, h_out).astype(dtype), grad))
        if cls_name == "LSTM":
            hidden_in.append(leaf_pair(rs.randn(layers, n, H).astype(dtype), grad))
    if not hidden_in:
        e_out, t_out = e_mod(ep), t_mod(tp)
    elif cls_name == "LSTM":
        e_out = e_mod(ep, tuple(p[0] for p in hidden_in))
        t_out = t_mod(tp, tuple(p[1] for p in hidden_in))
    else:
        e_out, t_out = e_mod(ep, hidden_in[0][0]), t_mod(tp, hidden_in[0][1])

    assert isinstance(e_out[0], PackedSequence)
    assert ints(e_out[0].batch_sizes) == ints(t_out[0].batch_sizes)
    if not enforce_sorted:
        assert ints(e_out[0].sorted_indices) == ints(t_out[0].sorted_indices)
        assert ints(e_out[0].unsorted_indices) == ints(t_out[0].unsorted_indices)
    assert_close(e_out[0].data, t_out[0].data, dtype)
    e_pad, e_len = pad_packed_sequence(e_out[0], batch_first, total_length=L)
    t_pad, t_len = trnn.pad_packed_sequence(t_out[0], batch_first, total_length=L)
    assert ints(e_len) == ints(t_len) == lengths
    e_flat = [e_pad, *(e_out[1] if cls_name == "LSTM" else (e_out[1],))]
    t_flat = [t_pad, *(t_out[1] if cls_name == "LSTM" else (t_out[1],))]
    for e, t in zip(e_flat, t_flat):
        assert_close(e, t, dtype)
    if not grad:
        return
    weights = [rs.randn(*tuple(t.shape)) for t in t_flat]
    sum((e * e_of(w)).sum() for e, w in zip(e_flat, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(t_flat, weights)).backward()
    assert_close(ex.grad, tx.grad, dtype)
    for e_h, t_h in hidden_in:
        assert_close(e_h.grad, t_h.grad, dtype)
    e_params = dict(e_mod.named_parameters())
    for name, tp_ in t_mod.named_parameters():
        assert_close(e_params[name].grad, tp_.grad, dtype)


def test_packed_run_equals_each_sequence_alone():
    # Each sequence's output and final state are those of running it alone, unpadded.
    lstm = nn.LSTM(H_IN, H, bidirectional=True).double()
    seqs = [ember.randn(k, H_IN, dtype=ember.float64) for k in (3, 5, 1)]
    out, (h_n, c_n) = lstm(pack_sequence(seqs, enforce_sorted=False))
    outs = unpack_sequence(out)
    for i, s in enumerate(seqs):
        o, (h, c) = lstm(s)
        np.testing.assert_allclose(to_np(outs[i]), to_np(o), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(to_np(h_n[:, i]), to_np(h), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(to_np(c_n[:, i]), to_np(c), rtol=1e-12, atol=1e-14)


def test_packed_output_keeps_batch_sizes_and_indices():
    gru = nn.GRU(H_IN, H)
    p = pack_padded_sequence(ember.randn(L, 3, H_IN), [2, 5, 3], enforce_sorted=False)
    out, h_n = gru(p)
    assert out.batch_sizes is p.batch_sizes
    assert out.sorted_indices is p.sorted_indices
    assert out.unsorted_indices is p.unsorted_indices
    assert tuple(out.data.shape) == (10, H)
    assert tuple(h_n.shape) == (1, 3, H)


def test_packed_input_bad_feature_size_raises():
    p = pack_sequence([ember.randn(3, H_IN + 1)])
    with pytest.raises(ValueError, match=r"LSTM: PackedSequence data.shape\[-1\] \(5\)"):
        nn.LSTM(H_IN, H)(p)


def test_packed_input_bad_dtype_raises():
    p = pack_sequence([ember.randn(3, H_IN, dtype=ember.float64)])
    with pytest.raises(TypeError, match=r"GRU: input dtype float64 must equal"):
        nn.GRU(H_IN, H)(p)


def test_packed_input_bad_h0_shape_raises():
    p = pack_sequence([ember.randn(3, H_IN), ember.randn(2, H_IN)])
    with pytest.raises(ValueError, match=r"RNN: expected hx of shape \(1, 2, 6\)"):
        nn.RNN(H_IN, H)(p, ember.zeros(1, 3, H))


# ---- pack / pad utilities --------------------------------------------------------------------


@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
def test_pack_padded_then_pad_packed_matches_torch_with_grad(batch_first, enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 1, 5, 3]
    rs = np.random.RandomState(1)
    x = rs.randn(*((4, L, 2, 3) if batch_first else (L, 4, 2, 3)))
    ex, tx = leaf_pair(x, True)
    ep = pack_padded_sequence(ex, ember.tensor(lengths), batch_first, enforce_sorted)
    tp = trnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first, enforce_sorted)
    assert_close(ep.data, tp.data)
    assert ep.batch_sizes.dtype == ember.int64 and str(ep.batch_sizes.device) == "cpu"
    assert ints(ep.batch_sizes) == ints(tp.batch_sizes)
    if enforce_sorted:
        assert ep.sorted_indices is None and ep.unsorted_indices is None
    else:
        assert ints(ep.sorted_indices) == ints(tp.sorted_indices)
        assert ints(ep.unsorted_indices) == ints(tp.unsorted_indices)
    e_pad, e_len = pad_packed_sequence(ep, batch_first, padding_value=-2.5, total_length=7)
    t_pad, t_len = trnn.pad_packed_sequence(tp, batch_first, padding_value=-2.5, total_length=7)
    assert_close(e_pad, t_pad)
    assert e_len.dtype == ember.int64 and ints(e_len) == ints(t_len) == lengths
    w = rs.randn(*tuple(t_pad.shape))
    (e_pad * e_of(w)).sum().backward()
    (t_pad * torch.tensor(w)).sum().backward()
    assert_close(ex.grad, tx.grad)


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
def test_pad_sequence_matches_torch_with_grad(batch_first, padding_side):
    rs = np.random.RandomState(2)
    arrs = [rs.randn(k, 2, 3) for k in (2, 4, 0, 1)]
    pairs = [leaf_pair(a, True) for a in arrs]
    e = pad_sequence([p[0] for p in pairs], batch_first, 1.5, padding_side)
    t = trnn.pad_sequence([p[1] for p in pairs], batch_first, 1.5, padding_side)
    assert_close(e, t)
    w = rs.randn(*tuple(t.shape))
    (e * e_of(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    for pe, pt in pairs:
        assert_close(pe.grad, pt.grad)


def test_pad_sequence_accepts_a_tensor_of_sequences():
    x = np.arange(6.0).reshape(2, 3)
    assert_close(pad_sequence(e_of(x)), trnn.pad_sequence(torch.tensor(x)))


@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
def test_pack_sequence_matches_torch_and_unpacks(enforce_sorted):
    rs = np.random.RandomState(3)
    sizes = (4, 3, 1) if enforce_sorted else (1, 4, 2, 3)
    arrs = [rs.randn(k, 3) for k in sizes]
    pairs = [leaf_pair(a, True) for a in arrs]
    ep = pack_sequence([p[0] for p in pairs], enforce_sorted)
    tp = trnn.pack_sequence([p[1] for p in pairs], enforce_sorted)
    assert_close(ep.data, tp.data)
    assert ints(ep.batch_sizes) == ints(tp.batch_sizes)
    e_back = unpack_sequence(ep)
    t_back = trnn.unpack_sequence(tp)
    assert len(e_back) == len(arrs)
    for e, t, a in zip(e_back, t_back, arrs):
        assert_close(e, t)
        np.testing.assert_array_equal(to_np(e), a)
    w = [rs.randn(*a.shape) for a in arrs]
    sum((e * e_of(wi)).sum() for e, wi in zip(e_back, w)).backward()
    sum((t * torch.tensor(wi)).sum() for t, wi in zip(t_back, w)).backward()
    for pe, pt in pairs:
        assert_close(pe.grad, pt.grad)


@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
def test_unpad_sequence_round_trip_matches_torch(batch_first):
    rs = np.random.RandomState(4)
    arrs = [rs.randn(k, 2) for k in (3, 5, 1)]
    padded = pad_sequence([e_of(a) for a in arrs], batch_first)
    t_padded = trnn.pad_sequence([torch.tensor(a) for a in arrs], batch_first)
    lengths = [3, 5, 1]
    e_back = unpad_sequence(padded, lengths, batch_first)
    t_back = trnn.unpad_sequence(t_padded, torch.tensor(lengths), batch_first)
    for e, t, a in zip(e_back, t_back, arrs):
        assert_close(e, t)
        np.testing.assert_array_equal(to_np(e), a)


def test_packed_sequence_is_a_named_tuple():
    p = pack_sequence([ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0, 5.0])], False)
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert PackedSequence._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert data is p.data and batch_sizes is p.batch_sizes
    assert ints(sorted_indices) == [1, 0] and ints(unsorted_indices) == [1, 0]
    q = PackedSequence(p.data, p.batch_sizes, ember.tensor([2, 0, 1]))
    assert ints(q.unsorted_indices) == [1, 2, 0]
    r = PackedSequence((p.data, p.batch_sizes))
    assert r.data is p.data and r.sorted_indices is None
    d = p.double()
    assert d.data.dtype == ember.float64 and d.batch_sizes is p.batch_sizes
    assert d.float().data.dtype == ember.float32 and not d.is_cuda


def test_exported_from_nn_utils():
    assert nn.utils.rnn is rnn_utils
    for name in rnn_utils.__all__:
        assert getattr(rnn_utils, name).__doc__


# ---- errors ----------------------------------------------------------------------------------


def test_pack_padded_unsorted_lengths_raise():
    with pytest.raises(
        ValueError,
        match=r"pack_padded_sequence: `lengths` array must be sorted in decreasing order when "
        r"`enforce_sorted` is True, got \[2, 3\]\. You can pass `enforce_sorted=False`",
    ):
        pack_padded_sequence(ember.randn(3, 2, 1), [2, 3])


def test_pack_sequence_unsorted_lengths_raise():
    with pytest.raises(ValueError, match=r"pack_sequence: `lengths` array must be sorted"):
        pack_sequence([ember.randn(1, 2), ember.randn(3, 2)])


def test_pack_padded_zero_length_raises():
    with pytest.raises(
        ValueError, match=r"pack_padded_sequence: length of all samples has to be greater than 0"
    ):
        pack_padded_sequence(ember.randn(3, 2, 1), [3, 0])


def test_pack_sequence_empty_sequence_raises():
    with pytest.raises(ValueError, match=r"pack_sequence: length of all samples"):
        pack_sequence([ember.randn(2, 1), ember.randn(0, 1)])


def test_pack_padded_length_longer_than_input_raises():
    with pytest.raises(
        ValueError,
        match=r"pack_padded_sequence: a length \(4\) is longer than the input's sequence "
        r"dimension \(3\)",
    ):
        pack_padded_sequence(ember.randn(3, 2, 1), [4, 2])


def test_pack_padded_wrong_number_of_lengths_raises():
    with pytest.raises(
        ValueError, match=r"pack_padded_sequence: expected len\(lengths\) \(3\) to equal the batch"
    ):
        pack_padded_sequence(ember.randn(2, 3, 1), [3, 2, 1], batch_first=True)


def test_pack_padded_non_integer_lengths_raise():
    with pytest.raises(TypeError, match=r"pack_padded_sequence: lengths must be integers"):
        pack_padded_sequence(ember.randn(3, 2, 1), [2.5, 1])


def test_pad_packed_short_total_length_raises():
    p = pack_sequence([ember.randn(3, 1)])
    with pytest.raises(
        ValueError, match=r"pad_packed_sequence: expected total_length to be at least .* got "
        r"total_length=2 and max sequence length being 3",
    ):
        pad_packed_sequence(p, total_length=2)


def test_pad_packed_not_packed_raises():
    with pytest.raises(TypeError, match=r"pad_packed_sequence: expected a PackedSequence"):
        pad_packed_sequence(ember.randn(3, 1))


def test_pad_sequence_bad_side_raises():
    with pytest.raises(ValueError, match=r"pad_sequence: padding_side must be 'left' or 'right'"):
        pad_sequence([ember.randn(2)], padding_side="middle")


def test_pad_sequence_empty_and_mismatched_raise():
    with pytest.raises(ValueError, match=r"pad_sequence: received an empty list"):
        pad_sequence([])
    with pytest.raises(ValueError, match=r"pad_sequence: all sequences must have the same"):
        pad_sequence([ember.randn(2, 3), ember.randn(2, 4)])


def test_unpad_sequence_length_out_of_range_raises():
    with pytest.raises(ValueError, match=r"unpad_sequence: length 4 outside \[0, 3\]"):
        unpad_sequence(ember.randn(3, 2), [4, 1])


# ---- a text classifier -----------------------------------------------------------------------


class _EmberClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(12, 5, padding_idx=0)
        self.lstm = nn.LSTM(5, 7, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(14, 3)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embedding(tokens), lengths, True, False)
        _, (h_n, _) = self.lstm(packed)
        return self.fc(ember.cat([h_n[-2], h_n[-1]], 1))


class _TorchClassifier(tnn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = tnn.Embedding(12, 5, padding_idx=0)
        self.lstm = tnn.LSTM(5, 7, batch_first=True, bidirectional=True)
        self.fc = tnn.Linear(14, 3)

    def forward(self, tokens, lengths):
        packed = trnn.pack_padded_sequence(self.embedding(tokens), lengths, True, False)
        _, (h_n, _) = self.lstm(packed)
        return self.fc(torch.cat([h_n[-2], h_n[-1]], 1))


def test_text_classifier_adam_matches_torch():
    t_model = _TorchClassifier().double()
    e_model = _EmberClassifier().double()
    e_model.load_state_dict(
        {k: ember.tensor(v.detach().numpy()) for k, v in t_model.state_dict().items()}
    )
    rs = np.random.RandomState(8)
    lengths = [4, 6, 2, 5, 1]
    tokens = np.zeros((5, 6), dtype=np.int64)
    for i, k in enumerate(lengths):
        tokens[i, :k] = rs.randint(1, 12, size=k)
    labels = np.array([0, 2, 1, 1, 0], dtype=np.int64)
    e_opt = ember.optim.Adam(e_model.parameters(), lr=0.05)
    t_opt = torch.optim.Adam(t_model.parameters(), lr=0.05)
    for _ in range(4):
        e_opt.zero_grad()
        t_opt.zero_grad()
        e_loss = nn.functional.cross_entropy(e_model(e_of(tokens), lengths), e_of(labels))
        t_loss = tnn.functional.cross_entropy(
            t_model(torch.tensor(tokens), torch.tensor(lengths)), torch.tensor(labels)
        )
        e_loss.backward()
        t_loss.backward()
        assert_close(e_loss, t_loss)
        e_opt.step()
        t_opt.step()
    e_params = dict(e_model.named_parameters())
    for name, tp in t_model.named_parameters():
        assert_close(e_params[name], tp)


# ---- docs ------------------------------------------------------------------------------------


def test_docstring_examples_run():
    globs = {"ember": ember, "nn": nn, **{n: getattr(rnn_utils, n) for n in rnn_utils.__all__}}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = doctest.DocTestFinder().find(rnn_utils, globs=globs)
    assert sum(len(t.examples) for t in tests) >= 8
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
