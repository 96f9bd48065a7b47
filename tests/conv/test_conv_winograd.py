"""The Winograd F(2x2, 3x3) path of float32 conv2d (3x3, stride 1, dilation 1, one group):
forward, input gradient and weight gradient against float64 NumPy / PyTorch references over odd
sizes, paddings 0..2, batch 1 and unbatched input; geometries it does not cover (groups, stride,
dilation, padding 3) and float64 inputs take the exact im2col path.

EMBER_CONV_WINOGRAD=1 forces the path for every geometry it supports (by default only layers
with enough channels and work take it), =0 turns it off.

Tolerance: the transforms only add, subtract and halve (entries of B, G, A are 0, +-1, +-1/2),
so each product's rounding is that of a sum of 16 terms per tile plus the channel sum; the
observed error is below 1e-6 of the output's largest magnitude. The checks allow 2e-5 of it
(float32 epsilon is 1.2e-7; a direct float32 sum over a few hundred products errs by ~1e-6).
"""

from __future__ import annotations

import ember
import ember.nn.functional as F
import numpy as np
import pytest

from ._refs import conv2d_ref, conv_transpose2d_ref

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REL = 2e-5


@pytest.fixture(autouse=True)
def _restore_threads():
    n = ember.get_num_threads()
    yield
    ember.set_num_threads(n)


@pytest.fixture
def winograd(monkeypatch):
    monkeypatch.setenv("EMBER_CONV_WINOGRAD", "1")


def assert_close_rel(actual, expected, rel=REL):
    """|actual - expected| <= rel * max|expected| elementwise (float32 vs float64 reference)."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(np.abs(expected).max(), 1e-30)
    err = np.abs(np.asarray(actual, dtype=np.float64) - expected).max()
    assert err <= rel * scale, f"max error {err:.3g} > {rel} * {scale:.3g}"


def assert_grads_close(ye, yt, e, t):
    """Backpropagates one random float32 gradient through the ember output `ye` and the float64
    PyTorch output `yt`; the leaves' gradients (`e` vs `t`) agree to float32 rounding."""
    g = np.random.randn(*yt.shape).astype(np.float32)
    ye.backward(ember.from_numpy(g))
    yt.backward(torch.from_numpy(g).double())
    for a, b_ in zip(e, t):
        assert_close_rel(_np(a.grad), b_.grad.numpy())


def _np(t):
    return t.detach().numpy()


# (N, C, H, W, OC, padding)
SHAPES = [
    (2, 8, 8, 8, 8, 1),
    (1, 5, 7, 9, 6, 1),  # batch 1, odd plane: a partial last tile in both directions
    (3, 4, 5, 6, 7, 0),
    (2, 3, 6, 5, 4, 2),
    (1, 4, 1, 1, 3, 2),  # one pixel, output 3x3 from padding only
    (2, 6, 11, 4, 5, (0, 2)),
    (2, 16, 19, 33, 12, (1, 0)),  # more than one block of tile rows, wide rows
    (1, 2, 3, 70, 3, 1),  # rows wider than one block
    (2, 160, 9, 20, 130, 1),  # many channels: blocks of fewer tiles
]


@pytest.mark.parametrize("case", SHAPES)
def test_winograd_forward_and_gradients_match_float64(winograd, case):
    N, C, H, W, OC, pad = case
    ember.set_num_threads(2)
    x = np.random.randn(N, C, H, W).astype(np.float32)
    w = np.random.randn(OC, C, 3, 3).astype(np.float32)
    b = np.random.randn(OC).astype(np.float32)
    e = [ember.from_numpy(a).requires_grad_(True) for a in (x, w, b)]
    t = [torch.from_numpy(a).double().requires_grad_(True) for a in (x, w, b)]
    ye = F.conv2d(*e, padding=pad)
    yt = TF.conv2d(*t, padding=pad)
    p = (pad, pad) if isinstance(pad, int) else pad
    ref = conv2d_ref(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64),
                     padding=((p[0], p[0]), (p[1], p[1])))
    assert ye.dtype == ember.float32 and tuple(ye.shape) == ref.shape
    assert_close_rel(_np(ye), ref)
    assert_grads_close(ye, yt, e, t)


def test_winograd_default_path_on_a_large_layer_matches_im2col(monkeypatch):
    # Large enough to take the path without forcing: compare with the forced-off im2col path.
    x = np.random.randn(4, 24, 16, 16).astype(np.float32)
    w = (np.random.randn(24, 24, 3, 3) * 0.1).astype(np.float32)
    b = np.random.randn(24).astype(np.float32)
    g = np.random.randn(4, 24, 16, 16).astype(np.float32)
    res = {}
    for mode in ("auto", "0"):
        if mode == "0":
            monkeypatch.setenv("EMBER_CONV_WINOGRAD", "0")
        else:
            monkeypatch.delenv("EMBER_CONV_WINOGRAD", raising=False)
        e = [ember.from_numpy(a).requires_grad_(True) for a in (x, w, b)]
        y = F.conv2d(*e, padding=1)
        y.backward(ember.from_numpy(g))
        res[mode] = [_np(y)] + [_np(a.grad) for a in e]
    ref = conv2d_ref(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64),
                     padding=((1, 1), (1, 1)))
    assert_close_rel(res["auto"][0], ref)
    for a, b_ in zip(res["auto"], res["0"]):
        assert_close_rel(a, b_)


def test_winograd_single_thread_and_unbatched(winograd):
    ember.set_num_threads(1)
    x = np.random.randn(6, 9, 10).astype(np.float32)
    w = np.random.randn(5, 6, 3, 3).astype(np.float32)
    y = F.conv2d(ember.from_numpy(x), ember.from_numpy(w), padding=1)
    ref = conv2d_ref(x[None].astype(np.float64), w.astype(np.float64), padding=((1, 1), (1, 1)))[0]
    assert_close_rel(_np(y), ref)


@pytest.mark.parametrize("kw", [
    {"groups": 2, "padding": 1},
    {"stride": 2, "padding": 1},
    {"dilation": 2, "padding": 2},
    {"padding": 3},
])
def test_geometries_outside_winograd_stay_exact(winograd, kw):
    # float64 under the forced setting: these run im2col, exact to float64 rounding.
    groups = kw.get("groups", 1)
    x = np.random.randn(2, 4, 9, 8)
    w = np.random.randn(6, 4 // groups, 3, 3)
    e = [ember.tensor(a, requires_grad=True) for a in (x, w)]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    ye, yt = F.conv2d(*e, **kw), TF.conv2d(*t, **kw)
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.randn(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b_ in zip(e, t):
        np.testing.assert_allclose(_np(a.grad), b_.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", [{"groups": 2, "padding": 1}, {"stride": 2}, {"padding": 3}])
def test_float32_geometries_outside_winograd(winograd, kw):
    groups = kw.get("groups", 1)
    x = np.random.randn(2, 4, 9, 8).astype(np.float32)
    w = np.random.randn(6, 4 // groups, 3, 3).astype(np.float32)
    e = [ember.from_numpy(a).requires_grad_(True) for a in (x, w)]
    t = [torch.from_numpy(a).double().requires_grad_(True) for a in (x, w)]
    ye, yt = F.conv2d(*e, **kw), TF.conv2d(*t, **kw)
    assert_close_rel(_np(ye), yt.detach().numpy())
    ye.sum().backward()
    yt.sum().backward()
    for a, b_ in zip(e, t):
        assert_close_rel(_np(a.grad), b_.grad.numpy())


def test_float64_takes_the_exact_path(winograd):
    x = np.random.randn(2, 8, 7, 9)
    w = np.random.randn(8, 8, 3, 3)
    y = F.conv2d(ember.tensor(x), ember.tensor(w), padding=1)
    np.testing.assert_allclose(_np(y), conv2d_ref(x, w, padding=((1, 1), (1, 1))),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_conv_transpose2d_through_winograd(winograd, padding):
    # A 3x3 stride-1 transposed convolution is conv2d's input gradient: the flipped-kernel path.
    x = np.random.randn(2, 6, 7, 5).astype(np.float32)
    w = np.random.randn(6, 4, 3, 3).astype(np.float32)
    e = [ember.from_numpy(a).requires_grad_(True) for a in (x, w)]
    y = F.conv_transpose2d(*e, padding=padding)
    ref = conv_transpose2d_ref(x.astype(np.float64), w.astype(np.float64),
                               padding=(padding, padding))
    assert_close_rel(_np(y), ref)
    t = [torch.from_numpy(a).double().requires_grad_(True) for a in (x, w)]
    yt = TF.conv_transpose2d(*t, padding=padding)
    assert_grads_close(y, yt, e, t)


def test_winograd_second_order_gradients(winograd):
    x = np.random.randn(2, 4, 6, 7).astype(np.float32)
    w = np.random.randn(5, 4, 3, 3).astype(np.float32)
    e = [ember.from_numpy(a).requires_grad_(True) for a in (x, w)]
    t = [torch.from_numpy(a).double().requires_grad_(True) for a in (x, w)]
    res = []
    for lib, F_, (a, b) in ((ember, F, e), (torch, TF, t)):
        y = F_.conv2d(a, b, padding=1)
        gx, gw = lib.autograd.grad((y * y).sum(), [a, b], create_graph=True)
        (gx.sum() + (gw * gw).sum()).backward()
        res.append([_np(gx), _np(gw), _np(a.grad), _np(b.grad)])
    for a, b_ in zip(*res):
        assert_close_rel(a, b_)


def test_non_finite_operands_take_the_direct_path(winograd):
    # Winograd's transforms subtract inputs, so an Inf would turn into NaN; such operands go
    # through im2col and give what the direct sum gives (torch in float64 as the reference).
    x = np.random.randn(2, 8, 6, 6).astype(np.float32)
    w = np.abs(np.random.randn(4, 8, 3, 3)).astype(np.float32) + 0.1
    x[0, 0, 2, 2] = np.inf
    x[1, 3, 4, 1] = np.nan
    ex = ember.from_numpy(x).requires_grad_(True)
    ew = ember.from_numpy(w).requires_grad_(True)
    tx = torch.from_numpy(x).double().requires_grad_(True)
    tw = torch.from_numpy(w).double().requires_grad_(True)
    ye = F.conv2d(ex, ew, padding=1)
    yt = TF.conv2d(tx, tw, padding=1)
    want = yt.detach().numpy()
    got = _np(ye)
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    assert_close_rel(got[finite], want[finite])
    g = np.random.randn(*want.shape).astype(np.float32)
    g[0, 1, 3, 3] = np.inf
    ye.backward(ember.from_numpy(g))
    yt.backward(torch.from_numpy(g).double())
    for a, b in ((ex.grad.numpy(), tx.grad.numpy()), (ew.grad.numpy(), tw.grad.numpy())):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
