"""InstanceNorm, LocalResponseNorm, Bilinear, EmbeddingBag, the channel-wise and alpha
dropouts, the small activations and ChannelShuffle vs torch: values, float64 gradients,
state_dict keys, init, jit traces, statistics of the random masks, errors."""

from __future__ import annotations

import math
import warnings

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit, nn

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}
DTYPES = [np.float32, np.float64]


def e_of(a):
    return ember.tensor(np.array(a))


def assert_close(e, t, dtype=np.float64, **kw):
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **(kw or TOL[dtype]))


def leaf_pair(arr):
    e, t = e_of(arr), torch.tensor(arr)
    e.requires_grad_(True)
    t.requires_grad_(True)
    return e, t


def backward_both(eo, to, seed=3):
    g = np.random.RandomState(seed).randn(*tuple(to.shape)).astype(to.detach().numpy().dtype)
    eo.backward(e_of(g))
    to.backward(torch.tensor(g))


def copy_state(e_mod, t_mod):
    e_mod.load_state_dict({k: e_of(v.detach().numpy()) for k, v in t_mod.state_dict().items()})


def randomize(t_mod):
    with torch.no_grad():
        for p in t_mod.parameters():
            p.copy_(torch.randn_like(p))


def assert_module_matches(e_mod, t_mod, x, dtype, *extra):
    if dtype == np.float64:
        e_mod.double()
        t_mod.double()
    copy_state(e_mod, t_mod)
    e, t = leaf_pair(x.astype(dtype))
    eo, to = e_mod(e, *[e_of(a) for a in extra]), t_mod(t, *[torch.tensor(a) for a in extra])
    assert_close(eo, to, dtype)
    backward_both(eo, to)
    assert_close(e.grad, t.grad, dtype)
    ep = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert_close(ep[name].grad, p.grad, dtype)


# ---- InstanceNorm --------------------------------------------------------------------------

IN_SHAPES = {
    "InstanceNorm1d": (3, 4, 7),
    "InstanceNorm2d": (2, 4, 5, 3),
    "InstanceNorm3d": (2, 4, 3, 2, 3),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(IN_SHAPES))
@pytest.mark.parametrize(
    "affine,track", [(False, False), (True, False), (True, True), (False, True)]
)
def test_instance_norm_matches_torch_train_and_eval(name, affine, track, dtype):
    kw = {"affine": affine, "track_running_stats": track}
    e_mod, t_mod = getattr(nn, name)(4, **kw), getattr(tnn, name)(4, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    randomize(t_mod)
    x = np.random.randn(*IN_SHAPES[name]) * 2 + 1
    k = {} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for step in range(2):
        assert_module_matches(e_mod, t_mod, x + step, dtype) if dtype == np.float64 else None
        if dtype == np.float32:
            copy_state(e_mod, t_mod)
            assert_close(e_mod(e_of(x.astype(dtype))), t_mod(torch.tensor(x.astype(dtype))), dtype, **k)
    if track:
        assert_close(e_mod.running_mean, t_mod.running_mean, dtype, **k)
        assert_close(e_mod.running_var, t_mod.running_var, dtype, **k)
    e_mod.eval()
    t_mod.eval()
    xe = x.astype(dtype) * 0.5
    assert_close(e_mod(e_of(xe)), t_mod(torch.tensor(xe)), dtype, **k)


def test_instance_norm_running_stats_follow_torch_over_steps():
    e_mod = nn.InstanceNorm2d(3, track_running_stats=True, momentum=0.3)
    t_mod = tnn.InstanceNorm2d(3, track_running_stats=True, momentum=0.3)
    for step in range(3):
        x = np.random.randn(2, 3, 4, 4).astype(np.float32) * (step + 1) + step
        e_mod(e_of(x))
        t_mod(torch.tensor(x))
    assert_close(e_mod.running_mean, t_mod.running_mean, np.float32)
    assert_close(e_mod.running_var, t_mod.running_var, np.float32, rtol=1e-5, atol=1e-6)
    assert int(e_mod.num_batches_tracked.item()) == int(t_mod.num_batches_tracked.item())


def test_instance_norm_momentum_none_keeps_running_stats():
    m = nn.InstanceNorm1d(2, track_running_stats=True, momentum=None)
    m(ember.randn(3, 2, 5))
    np.testing.assert_array_equal(to_np(m.running_mean), [0, 0])
    np.testing.assert_array_equal(to_np(m.running_var), [1, 1])


def test_instance_norm_unbatched_input_and_batch_of_one():
    e_mod, t_mod = nn.InstanceNorm2d(3, affine=True), tnn.InstanceNorm2d(3, affine=True)
    randomize(t_mod)
    assert_module_matches(e_mod, t_mod, np.random.randn(3, 4, 5), np.float64)
    assert_module_matches(e_mod, t_mod, np.random.randn(1, 3, 4, 5), np.float64)


def test_instance_norm_functional_matches_torch():
    x = np.random.randn(2, 3, 6)
    rm, rv = np.random.rand(3), np.random.rand(3) + 0.5
    erm, erv, trm, trv = e_of(rm), e_of(rv), torch.tensor(rm), torch.tensor(rv)
    assert_close(
        F.instance_norm(e_of(x), erm, erv, momentum=0.2),
        TF.instance_norm(torch.tensor(x), trm, trv, momentum=0.2),
    )
    assert_close(erm, trm)
    assert_close(erv, trv)
    assert_close(
        F.instance_norm(e_of(x), erm, erv, use_input_stats=False),
        TF.instance_norm(torch.tensor(x), trm, trv, use_input_stats=False),
    )


def test_instance_norm_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D or 4D input \(got 2D input"):
        nn.InstanceNorm2d(3)(ember.randn(3, 4))
    with pytest.raises(
        ValueError,
        match=r"InstanceNorm1d: expected input's size at dim=1 to match num_features \(3\)",
    ):
        nn.InstanceNorm1d(3, affine=True)(ember.randn(2, 4, 5))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn.InstanceNorm1d(3)(ember.randn(2, 4, 5))
    assert any("does not match num_features" in str(x.message) for x in w)
    with pytest.raises(ValueError, match=r"instance_norm: expected more than 1 spatial element"):
        F.instance_norm(ember.randn(2, 3, 1))
    with pytest.raises(
        ValueError, match=r"instance_norm: use_input_stats=False needs running_mean"
    ):
        F.instance_norm(ember.randn(2, 3, 4), use_input_stats=False)


def test_jit_trace_instance_norm_matches_eager():
    w, b = ember.randn(3), ember.randn(3)
    fn = lambda x: F.instance_norm(x, weight=w, bias=b)
    traced = jit.trace(fn, (ember.randn(2, 3, 4, 5),))
    for _ in range(2):
        x = ember.randn(2, 3, 4, 5) * 3
        np.testing.assert_allclose(to_np(traced(x)), to_np(fn(x)), rtol=1e-6, atol=1e-6)
    m = nn.Sequential(nn.Conv2d(2, 3, 3), nn.InstanceNorm2d(3, affine=True), nn.ReLU())
    x = ember.randn(2, 2, 5, 5)
    traced = jit.trace(m, x)
    x2 = ember.randn(2, 2, 5, 5)
    np.testing.assert_allclose(to_np(traced(x2)), to_np(m(x2)), rtol=1e-5, atol=1e-6)


# ---- LocalResponseNorm -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 6, 3, 4), (1, 4, 2, 3, 2)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_local_response_norm_matches_torch(size, shape, dtype):
    kw = {"alpha": 0.3, "beta": 0.6, "k": 1.5}
    e_mod, t_mod = nn.LocalResponseNorm(size, **kw), tnn.LocalResponseNorm(size, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert_module_matches(e_mod, t_mod, np.random.randn(*shape), dtype)


def test_local_response_norm_errors():
    with pytest.raises(
        ValueError, match=r"local_response_norm: expected a 3-D or higher input .* \(2, 3\)"
    ):
        F.local_response_norm(ember.randn(2, 3), 2)


# ---- Bilinear --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lead", [(5,), (1,), (2, 3), ()])
def test_bilinear_matches_torch(dtype, bias, lead):
    e_mod, t_mod = nn.Bilinear(3, 4, 2, bias=bias), tnn.Bilinear(3, 4, 2, bias=bias)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    x1, x2 = np.random.randn(*lead, 3), np.random.randn(*lead, 4).astype(dtype)
    if dtype == np.float64:
        e_mod.double()
        t_mod.double()
    copy_state(e_mod, t_mod)
    (e1, t1), (e2, t2) = leaf_pair(x1.astype(dtype)), leaf_pair(x2)
    eo, to = e_mod(e1, e2), t_mod(t1, t2)
    assert_close(eo, to, dtype)
    backward_both(eo, to)
    assert_close(e1.grad, t1.grad, dtype)
    assert_close(e2.grad, t2.grad, dtype)
    assert_close(e_mod.weight.grad, t_mod.weight.grad, dtype)


def test_bilinear_init_bound():
    m = nn.Bilinear(16, 8, 32)
    bound = 1 / math.sqrt(16)
    w = to_np(m.weight)
    assert np.abs(w).max() <= bound and np.abs(to_np(m.bias)).max() <= bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.05)


def test_bilinear_errors():
    w = ember.randn(2, 3, 4)
    with pytest.raises(
        ValueError,
        match=r"bilinear: input1 \(5, 3\) and input2 \(4, 4\) must have the same leading",
    ):
        F.bilinear(ember.randn(5, 3), ember.randn(4, 4), w)
    with pytest.raises(
        ValueError, match=r"bilinear: input1.shape\[-1\] \(2\) .* weight.shape\[1\] \(3\)"
    ):
        F.bilinear(ember.randn(5, 2), ember.randn(5, 4), w)
    with pytest.raises(ValueError, match=r"Bilinear: in1_features must be > 0"):
        nn.Bilinear(0, 2, 3)


# ---- EmbeddingBag ------------------------------------------------------------------------------

INPUT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7])
OFFSETS = np.array([0, 2, 2, 5, 6])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_1d_matches_torch(dtype, mode, padding_idx, include_last_offset):
    kw = {"mode": mode, "padding_idx": padding_idx, "include_last_offset": include_last_offset}
    e_mod, t_mod = nn.EmbeddingBag(10, 3, **kw), tnn.EmbeddingBag(10, 3, **kw)
    assert repr(e_mod) == repr(t_mod)
    off = np.append(OFFSETS, len(INPUT)) if include_last_offset else OFFSETS
    if dtype == np.float64:
        e_mod.double()
        t_mod.double()
    copy_state(e_mod, t_mod)
    eo = e_mod(e_of(INPUT), e_of(off))
    to = t_mod(torch.tensor(INPUT), torch.tensor(off))
    assert_close(eo, to, dtype)
    backward_both(eo, to)
    assert_close(e_mod.weight.grad, t_mod.weight.grad, dtype)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_matches_torch(mode):
    e_mod, t_mod = (
        nn.EmbeddingBag(10, 4, mode=mode, padding_idx=3),
        tnn.EmbeddingBag(10, 4, mode=mode, padding_idx=3),
    )
    e_mod.double()
    t_mod.double()
    copy_state(e_mod, t_mod)
    idx = np.random.randint(0, 10, (5, 3))
    idx[1] = 3  # a bag of padding only
    eo, to = e_mod(e_of(idx)), t_mod(torch.tensor(idx))
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(e_mod.weight.grad, t_mod.weight.grad)


@pytest.mark.parametrize("two_d", [False, True])
def test_embedding_bag_per_sample_weights_gradients(two_d):
    w = np.random.randn(10, 3)
    (ew, tw) = leaf_pair(w)
    if two_d:
        idx, off = np.random.randint(0, 10, (3, 4)), None
    else:
        idx, off = INPUT, OFFSETS
    psw = np.random.randn(*idx.shape)
    ep, tp = leaf_pair(psw)
    eo = F.embedding_bag(
        e_of(idx), ew, None if off is None else e_of(off), mode="sum", per_sample_weights=ep
    )
    to = TF.embedding_bag(
        torch.tensor(idx),
        tw,
        None if off is None else torch.tensor(off),
        mode="sum",
        per_sample_weights=tp,
    )
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(ew.grad, tw.grad)
    assert_close(ep.grad, tp.grad)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_empty_offsets_and_empty_bags(mode):
    w = np.random.randn(6, 2).astype(np.float32)
    empty = np.array([], dtype=np.int64)
    for idx, off in [
        (empty, empty),
        (empty, np.array([0, 0])),
        (np.array([1, 2]), np.array([0, 0, 2])),
    ]:
        ew = e_of(w).requires_grad_(True)
        tw = torch.tensor(w, requires_grad=True)
        eo = F.embedding_bag(e_of(idx), ew, e_of(off), mode=mode)
        to = TF.embedding_bag(torch.tensor(idx), tw, torch.tensor(off), mode=mode)
        assert_close(eo, to, np.float32)
        eo.sum().backward()
        to.sum().backward()
        assert_close(ew.grad, tw.grad, np.float32)


def test_embedding_bag_padding_row_is_zero_and_init_is_normal():
    m = nn.EmbeddingBag(1000, 16, padding_idx=5)
    w = to_np(m.weight)
    assert (w[5] == 0).all()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    assert list(m.state_dict()) == ["weight"]


def test_embedding_bag_from_pretrained():
    w = ember.randn(4, 3)
    m = nn.EmbeddingBag.from_pretrained(w, mode="sum")
    assert not m.weight.requires_grad
    np.testing.assert_allclose(
        to_np(m(ember.tensor([[0, 1]]))), to_np(w[0] + w[1])[None], rtol=1e-6
    )


def test_embedding_bag_errors():
    w = ember.randn(5, 2)
    with pytest.raises(ValueError, match=r"embedding_bag: a 1-D input needs offsets"):
        F.embedding_bag(ember.tensor([1, 2]), w)
    with pytest.raises(ValueError, match=r"embedding_bag: if input is 2-D .* offsets must be None"):
        F.embedding_bag(ember.tensor([[1, 2]]), w, ember.tensor([0]))
    with pytest.raises(ValueError, match=r"embedding_bag: offsets\[0\] must be 0 .* got 1"):
        F.embedding_bag(ember.tensor([1, 2]), w, ember.tensor([1]))
    with pytest.raises(ValueError, match=r"embedding_bag: offsets\[-1\] \(3\) cannot be greater"):
        F.embedding_bag(ember.tensor([1, 2]), w, ember.tensor([0, 3]))
    with pytest.raises(
        NotImplementedError,
        match=r"embedding_bag: per_sample_weights is only supported for mode='sum'",
    ):
        F.embedding_bag(ember.tensor([[1, 2]]), w, per_sample_weights=ember.ones(1, 2))
    with pytest.raises(
        ValueError,
        match=r"embedding_bag: per_sample_weights shape \(2,\) must equal the input shape \(1, 2\)",
    ):
        F.embedding_bag(ember.tensor([[1, 2]]), w, mode="sum", per_sample_weights=ember.ones(2))
    with pytest.raises(
        IndexError, match=r"embedding_bag: index 7 is out of range for num_embeddings 5"
    ):
        F.embedding_bag(ember.tensor([[1, 7]]), w)
    with pytest.raises(ValueError, match=r"EmbeddingBag: mode must be 'sum', 'mean' or 'max'"):
        nn.EmbeddingBag(3, 2, mode="min")


def _bag_pair(idx, w, off, psw=None, **kw):
    """embedding_bag in ember and torch on the same data; returns outputs and leaves."""
    (ew, tw) = leaf_pair(w)
    ep, tp = (None, None) if psw is None else leaf_pair(psw)
    e_off = None if off is None else e_of(off)
    t_off = None if off is None else torch.tensor(off)
    eo = F.embedding_bag(e_of(idx), ew, e_off, per_sample_weights=ep, **kw)
    to = TF.embedding_bag(torch.tensor(idx), tw, t_off, per_sample_weights=tp, **kw)
    return eo, to, (ew, tw), (ep, tp)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_skewed_bags_match_torch(mode):
    # 299 bags of one index and one bag of ~100k: the lookups must not be padded to the
    # longest bag (that took 16 GB); values and gradients as torch.
    idx = np.random.randint(0, 50, 100_000)
    off = np.arange(300)
    w = np.random.randn(50, 4)
    eo, to, (ew, tw), _ = _bag_pair(idx, w, off, mode=mode)
    assert_close(eo, to, rtol=1e-9, atol=1e-9)
    backward_both(eo, to)
    assert_close(ew.grad, tw.grad, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 3])
@pytest.mark.parametrize("include_last_offset", [False, True])
@pytest.mark.parametrize("itype", [np.int64, np.int32])
def test_embedding_bag_many_random_bags_match_torch(mode, padding_idx, include_last_offset, itype):
    n, nbags = 20_000, 1000
    idx = np.random.randint(0, 200, n).astype(itype)
    off = np.sort(np.random.randint(0, n, nbags))  # repeats give empty bags
    off[0] = 0
    off[-5:] = n  # empty bags at the end too
    if include_last_offset:
        off = np.append(off, n)
    off = off.astype(itype)
    w = np.random.randn(200, 6)
    psw = np.random.randn(n) if mode == "sum" else None
    eo, to, (ew, tw), (ep, tp) = _bag_pair(
        idx,
        w,
        off,
        psw,
        mode=mode,
        padding_idx=padding_idx,
        include_last_offset=include_last_offset,
    )
    assert_close(eo, to, rtol=1e-9, atol=1e-9)
    backward_both(eo, to)
    assert_close(ew.grad, tw.grad, rtol=1e-9, atol=1e-9)
    if psw is not None:
        assert_close(ep.grad, tp.grad, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("two_d", [False, True])
def test_embedding_bag_max_ties_send_the_gradient_to_the_first_row_as_torch(two_d):
    w = np.round(np.random.randn(8, 5))  # many equal values across rows
    if two_d:
        idx, off = np.random.randint(0, 8, (40, 7)), None
    else:
        idx = np.random.randint(0, 8, 300)
        off = np.sort(np.random.randint(0, 300, 40))
        off[0] = 0
    eo, to, (ew, tw), _ = _bag_pair(idx, w, off, mode="max", padding_idx=2)
    assert_close(eo, to)
    backward_both(eo, to)
    assert_close(ew.grad, tw.grad)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_jit_trace_embedding_bag_2d_and_1d_sum_mean(mode):
    w = ember.randn(10, 3)
    i2 = np.random.randint(0, 10, (4, 5))
    traced = jit.trace(lambda i: F.embedding_bag(i, w, mode=mode, padding_idx=2), (e_of(i2),))
    j2 = np.random.randint(0, 10, (4, 5))
    j2[1] = 2
    ref = TF.embedding_bag(torch.tensor(j2), torch.tensor(to_np(w)), mode=mode, padding_idx=2)
    assert_close(traced(e_of(j2)), ref, np.float32)

    def bags(i, o):
        return F.embedding_bag(i, w, o, mode=mode, padding_idx=2)

    i1, o1 = e_of(np.random.randint(0, 10, 11)), e_of([0, 2, 2, 5, 6])
    if mode == "max":
        with pytest.raises(NotImplementedError, match=r"embedding_bag: mode='max' with 1-D"):
            jit.trace(bags, (i1, o1))
        return
    traced = jit.trace(bags, (i1, o1))
    j1, p1 = np.random.randint(0, 10, 11), np.array([0, 0, 3, 9, 11])
    ref = TF.embedding_bag(
        torch.tensor(j1), torch.tensor(to_np(w)), torch.tensor(p1), mode=mode, padding_idx=2
    )
    assert_close(traced(e_of(j1), e_of(p1)), ref, np.float32)


# ---- dropout -----------------------------------------------------------------------------------

CHANNEL_DROPOUTS = [("Dropout1d", (40, 50, 6)), ("Dropout3d", (20, 50, 2, 3, 2))]


@pytest.mark.parametrize("name,shape", CHANNEL_DROPOUTS)
def test_channel_dropout_p0_p1_and_eval(name, shape):
    x = ember.randn(*shape)
    np.testing.assert_array_equal(to_np(getattr(nn, name)(0.0)(x)), to_np(x))
    np.testing.assert_array_equal(to_np(getattr(nn, name)(1.0)(x)), np.zeros(shape, np.float32))
    np.testing.assert_array_equal(to_np(getattr(nn, name)(0.7).eval()(x)), to_np(x))
    assert repr(getattr(nn, name)(0.3, True)) == repr(getattr(tnn, name)(0.3, True))


@pytest.mark.parametrize("name,shape", CHANNEL_DROPOUTS)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_channel_dropout_drops_whole_channels_at_rate_p(name, shape, p):
    x = ember.ones(*shape)
    y = to_np(getattr(nn, name)(p)(x)).reshape(shape[0], shape[1], -1)
    # every channel is all zero or all 1 / (1 - p)
    assert np.all(y == y[:, :, :1])
    assert np.all(np.isclose(y, 0.0) | np.isclose(y, 1 / (1 - p), rtol=1e-6))
    kept = (y[:, :, 0] != 0).mean()
    n = shape[0] * shape[1]
    assert abs(kept - (1 - p)) < 4 * math.sqrt(p * (1 - p) / n)


def test_dropout1d_unbatched_and_gradient_follows_the_mask():
    x = ember.ones(30, 5, requires_grad=True)
    y = F.dropout1d(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), to_np(y))


def test_dropout1d_inplace_writes_the_input():
    x = ember.ones(4, 30, 3)
    y = F.dropout1d(x, 0.5, inplace=True)
    assert y is x
    assert set(np.unique(to_np(x))) <= {0.0, 2.0}


def test_channel_dropout_errors():
    with pytest.raises(
        ValueError,
        match=r"dropout1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input, got shape "
        r"\(2, 3, 4, 5\)",
    ):
        F.dropout1d(ember.randn(2, 3, 4, 5))
    with pytest.raises(
        ValueError, match=r"dropout3d: dropout probability has to be between 0 and 1, but got 1.5"
    ):
        F.dropout3d(ember.randn(1, 2, 3, 4, 5), 1.5)
    with pytest.raises(
        ValueError, match=r"Dropout1d: dropout probability has to be between 0 and 1"
    ):
        nn.Dropout1d(-0.1)
    with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input"):
        F.dropout3d(ember.randn(2, 3, 4), 0.5)


ALPHA = 1.7580993408473766


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_values_and_statistics(p):
    x = ember.randn(200, 500)
    y = to_np(F.alpha_dropout(x, p, training=True))
    xs = to_np(x)
    a = 1 / math.sqrt((ALPHA**2 * p + 1) * (1 - p))
    kept = np.isclose(y, a * xs + ALPHA * a * p, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(y, ALPHA * a * (p - 1), rtol=1e-5, atol=1e-6)
    assert np.all(kept | dropped)
    n = y.size
    assert abs(kept.mean() - (1 - p)) < 4 * math.sqrt(p * (1 - p) / n) + 1e-3
    # self-normalizing: zero mean and unit variance are kept for standard normal input
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


def test_alpha_dropout_p0_p1_eval_and_module():
    x = ember.randn(3, 4)
    assert F.alpha_dropout(x, 0.5) is x  # training=False by default, as torch
    assert F.alpha_dropout(x, 0.0, training=True) is x
    np.testing.assert_array_equal(to_np(F.alpha_dropout(x, 1.0, training=True)), np.zeros((3, 4)))
    np.testing.assert_array_equal(to_np(nn.AlphaDropout(0.5).eval()(x)), to_np(x))
    assert repr(nn.AlphaDropout(0.2)) == repr(tnn.AlphaDropout(0.2))
    assert repr(nn.FeatureAlphaDropout(0.2)) == repr(tnn.FeatureAlphaDropout(0.2))


def test_feature_alpha_dropout_draws_per_channel():
    p = 0.4
    x = ember.randn(100, 60, 4)
    y = to_np(nn.FeatureAlphaDropout(p)(x))
    a = 1 / math.sqrt((ALPHA**2 * p + 1) * (1 - p))
    drop_val = ALPHA * a * (p - 1)
    dropped = np.isclose(y, drop_val, rtol=1e-5, atol=1e-6).all(-1)
    kept = np.isclose(y, a * to_np(x) + ALPHA * a * p, rtol=1e-5, atol=1e-6).all(-1)
    assert np.all(dropped | kept)
    assert abs(kept.mean() - (1 - p)) < 4 * math.sqrt(p * (1 - p) / 6000)
    with pytest.raises(
        ValueError, match=r"feature_alpha_dropout: feature dropout requires at least 2 dims"
    ):
        F.feature_alpha_dropout(ember.randn(5), 0.5, training=True)


def test_alpha_dropout_gradient_is_the_scale_where_kept():
    p = 0.3
    x = ember.randn(50, 40, requires_grad=True)
    y = F.alpha_dropout(x, p, training=True)
    y.sum().backward()
    a = 1 / math.sqrt((ALPHA**2 * p + 1) * (1 - p))
    g = to_np(x.grad)
    assert np.all(np.isclose(g, 0.0) | np.isclose(g, a, rtol=1e-6))


def test_alpha_dropout_inplace():
    x = ember.randn(10, 10)
    y = F.alpha_dropout(x, 0.5, training=True, inplace=True)
    assert y is x


# ---- activations and channel shuffle -------------------------------------------------------

ACTS = [
    ("Softmin", {"dim": 1}),
    ("Softmin", {"dim": -1}),
    ("Softmax2d", {}),
    ("Tanhshrink", {}),
    ("Softshrink", {}),
    ("Softshrink", {"lambd": 1.2}),
    ("Hardshrink", {}),
    ("Hardshrink", {"lambd": 0.1}),
    ("Threshold", {"threshold": 0.2, "value": -3.0}),
    ("Threshold", {"threshold": -0.5, "value": 2.0, "inplace": True}),
    ("ChannelShuffle", {"groups": 2}),
    ("ChannelShuffle", {"groups": 3}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ACTS, ids=[f"{a}-{k}" for a, k in ACTS])
def test_activation_modules_match_torch(case, dtype):
    name, kw = case
    e_mod, t_mod = getattr(nn, name)(**kw), getattr(tnn, name)(**kw)
    assert repr(e_mod) == repr(t_mod)
    x = np.random.randn(2, 6, 3, 4) * 2
    if kw.get("inplace"):
        e, t = e_of(x.astype(dtype)), torch.tensor(x.astype(dtype))
        assert_close(e_mod(e), t_mod(t), dtype)
        assert_close(e, t, dtype)  # written into the input
        return
    e, t = leaf_pair(x.astype(dtype))
    eo, to = e_mod(e), t_mod(t)
    assert_close(eo, to, dtype)
    backward_both(eo, to)
    assert_close(e.grad, t.grad, dtype)


def test_shrink_and_threshold_keep_nan_and_edges():
    x = np.array([np.nan, -1.0, -0.5, 0.0, 0.3, 0.5, 2.0])
    for name, kw in [
        ("softshrink", {}),
        ("hardshrink", {}),
        ("tanhshrink", {}),
        ("threshold", {"threshold": 0.3, "value": -7.0}),
    ]:
        got = to_np(getattr(F, name)(e_of(x), **kw))
        want = getattr(TF, name)(torch.tensor(x), **kw).numpy()
        if name == "tanhshrink":
            # x - tanh(x) cancels: one ulp of tanh is 1.5e-15 of the result near 0.5, and
            # PyTorch's tanh is one ulp off there on some CPUs (its AVX-512 build).
            np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, equal_nan=True)
            exact = x - np.tanh(x)
            np.testing.assert_allclose(got, exact, rtol=1e-14, atol=0, equal_nan=True)
        else:
            np.testing.assert_array_equal(got, want)


def test_softmin_with_dtype_and_legacy_dim_warns():
    x = np.random.randn(3, 4).astype(np.float32)
    assert_close(
        F.softmin(e_of(x), 0, dtype=ember.float64),
        TF.softmin(torch.tensor(x), 0, dtype=torch.float64),
    )
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(e_of(x))


def test_small_activation_errors():
    with pytest.raises(ValueError, match=r"softshrink: lambd must be >= 0, got -1"):
        F.softshrink(ember.randn(3), -1)
    with pytest.raises(ValueError, match=r"Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(ember.randn(2, 3))
    with pytest.raises(
        ValueError,
        match=r"channel_shuffle: the channel count input.shape\[1\] \(5\) must be divisible "
        r"by groups \(2\)",
    ):
        F.channel_shuffle(ember.randn(2, 5, 3), 2)
    with pytest.raises(
        ValueError, match=r"channel_shuffle: expected an input with more than 2 dims"
    ):
        F.channel_shuffle(ember.randn(2, 4), 2)
    with pytest.raises(RuntimeError, match=r"threshold\(inplace=True\): a leaf tensor"):
        F.threshold(ember.randn(3, requires_grad=True), 0.0, 1.0, inplace=True)


def test_channel_shuffle_functional_any_dtype():
    x = ember.arange(12).reshape(1, 6, 2)
    got = to_np(F.channel_shuffle(x, 3))
    want = TF.channel_shuffle(torch.arange(12).reshape(1, 6, 2), 3).numpy()
    np.testing.assert_array_equal(got, want)


def test_hyperparameters_are_validated_in_init():
    with pytest.raises(ValueError, match=r"ChannelShuffle: groups must be a positive int, got 0"):
        nn.ChannelShuffle(0)
    with pytest.raises(ValueError, match=r"LocalResponseNorm: size must be a positive int, got 0"):
        nn.LocalResponseNorm(0)
    with pytest.raises(ValueError, match=r"Softshrink: lambd must be >= 0, got -1"):
        nn.Softshrink(-1)
    with pytest.raises(ValueError, match=r"LPPool2d: norm_type must be non-zero"):
        nn.LPPool2d(0, 2)
    with pytest.raises(ValueError, match=r"Unfold: stride must be positive, got 0"):
        nn.Unfold(2, stride=0)
    with pytest.raises(ValueError, match=r"Fold: output_size must be positive, got \(0, 3\)"):
        nn.Fold((0, 3), 2)
    with pytest.raises(ValueError, match=r"InstanceNorm2d: num_features must be a positive int"):
        nn.InstanceNorm2d(0)
    with pytest.raises(ValueError, match=r"Bilinear: in2_features must be a non-negative int"):
        nn.Bilinear(2, -1, 3)
