"""conv1d / conv2d / conv_transpose1d / conv_transpose2d: values against naive NumPy loops,
values and gradients against PyTorch over a grid of stride/padding/dilation/groups, float64
gradcheck, second-order gradients, and error messages."""

from __future__ import annotations

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember.autograd import gradcheck

from ._refs import conv2d_ref, conv_transpose2d_ref

torch = pytest.importorskip("torch")
TF = torch.nn.functional

F64 = {"rtol": 1e-7, "atol": 1e-10}
# float32 sums over up to a few hundred products: rounding differs from PyTorch's order.
F32 = {"rtol": 1e-4, "atol": 1e-5}


@pytest.fixture(autouse=True)
def _restore_threads():
    n = ember.get_num_threads()
    yield
    ember.set_num_threads(n)


def _two_threads():
    ember.set_num_threads(2)


def _np(t):
    return t.detach().numpy()


def _pair2(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _same_pad(k, d):
    total = d * (k - 1)
    return (total // 2, total - total // 2)


# (N, C, H, W, OC, KH, KW, kwargs)
CONV2D_GRID = [
    (2, 4, 7, 8, 6, 3, 3, {}),
    (2, 4, 9, 8, 6, 3, 2, {"stride": 2, "padding": 1}),
    (2, 4, 9, 8, 6, 3, 2, {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 2}),
    (1, 3, 8, 8, 3, 3, 3, {"stride": 3, "dilation": 2, "padding": 2}),
    (3, 4, 6, 7, 8, 3, 3, {"groups": 4, "padding": 1}),  # depthwise, channel multiplier 2
    (3, 5, 6, 6, 4, 1, 1, {}),  # pointwise
    (2, 2, 7, 6, 3, 4, 2, {"padding": "same"}),  # even kernel: asymmetric padding
    (2, 2, 7, 6, 3, 3, 3, {"padding": "same", "dilation": 2}),
    (2, 2, 7, 6, 3, 3, 3, {"padding": "valid"}),
    (9, 2, 5, 5, 3, 2, 2, {"stride": 1, "padding": 1}),  # many small images share one GEMM
]


def _ref_padding(KH, KW, kw):
    pad = kw.get("padding", 0)
    dil = _pair2(kw.get("dilation", 1))
    if pad == "same":
        return (_same_pad(KH, dil[0]), _same_pad(KW, dil[1]))
    if pad == "valid":
        return ((0, 0), (0, 0))
    p = _pair2(pad)
    return ((p[0], p[0]), (p[1], p[1]))


@pytest.mark.parametrize("case", CONV2D_GRID)
def test_conv2d_matches_numpy_reference(case):
    N, C, H, W, OC, KH, KW, kw = case
    groups = kw.get("groups", 1)
    x = np.random.randn(N, C, H, W)
    w = np.random.randn(OC, C // groups, KH, KW)
    b = np.random.randn(OC)
    y = F.conv2d(ember.tensor(x), ember.tensor(w), ember.tensor(b), **kw)
    ref = conv2d_ref(x, w, b, _pair2(kw.get("stride", 1)), _ref_padding(KH, KW, kw),
                     _pair2(kw.get("dilation", 1)), groups)
    np.testing.assert_allclose(_np(y), ref, **F64)


@pytest.mark.parametrize("case", CONV2D_GRID)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_values_and_grads_match_torch(case, bias):
    N, C, H, W, OC, KH, KW, kw = case
    groups = kw.get("groups", 1)
    arrs = [np.random.randn(N, C, H, W), np.random.randn(OC, C // groups, KH, KW), np.random.randn(OC)]
    e = [ember.tensor(a, requires_grad=True) for a in arrs]
    t = [torch.tensor(a, requires_grad=True) for a in arrs]
    ye = F.conv2d(e[0], e[1], e[2] if bias else None, **kw)
    yt = TF.conv2d(t[0], t[1], t[2] if bias else None, **kw)
    assert tuple(ye.shape) == tuple(yt.shape)
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), **F64)
    g = np.random.randn(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for i in range(3 if bias else 2):
        np.testing.assert_allclose(_np(e[i].grad), t[i].grad.numpy(), **F64)


def test_conv2d_float32_matches_torch():
    x = np.random.randn(4, 8, 12, 12).astype(np.float32)
    w = (np.random.randn(16, 8, 3, 3) * 0.1).astype(np.float32)
    b = np.random.randn(16).astype(np.float32)
    e = [ember.from_numpy(a).requires_grad_(True) for a in (x, w, b)]
    t = [torch.from_numpy(a).requires_grad_(True) for a in (x, w, b)]
    ye = F.conv2d(*e, stride=1, padding=1)
    yt = TF.conv2d(*t, stride=1, padding=1)
    assert ye.dtype == ember.float32
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), **F32)
    ye.sum().backward()
    yt.sum().backward()
    for a, b_ in zip(e, t):
        np.testing.assert_allclose(_np(a.grad), b_.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv2d_large_pointwise_writes_in_place():
    # One image large enough to run without batching: the 1x1 GEMM reads and writes the planes.
    x = np.random.randn(1, 130, 128, 128).astype(np.float32)
    w = np.random.randn(3, 130, 1, 1).astype(np.float32)
    e = [ember.from_numpy(a).requires_grad_(True) for a in (x, w)]
    t = [torch.from_numpy(a).requires_grad_(True) for a in (x, w)]
    ye, yt = F.conv2d(*e), TF.conv2d(*t)
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = np.random.randn(*yt.shape).astype(np.float32)
    ye.backward(ember.from_numpy(g))
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(_np(e[0].grad), t[0].grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(e[1].grad), t[1].grad.numpy(), rtol=1e-3, atol=1e-2)


def test_conv2d_unbatched_and_non_contiguous_input():
    x = np.random.randn(3, 8, 9)
    w = np.random.randn(2, 3, 3, 3)
    y = F.conv2d(ember.tensor(x), ember.tensor(w), padding=1)
    assert tuple(y.shape) == (2, 8, 9)
    np.testing.assert_allclose(_np(y), conv2d_ref(x[None], w, padding=((1, 1), (1, 1)))[0], **F64)
    xt = np.random.randn(2, 3, 9, 8)
    et = ember.tensor(xt).transpose(2, 3)  # (2, 3, 8, 9), not contiguous
    np.testing.assert_allclose(_np(F.conv2d(et, ember.tensor(w))),
                               conv2d_ref(xt.transpose(0, 1, 3, 2), w), **F64)


def test_conv2d_empty_batch():
    y = F.conv2d(ember.zeros(0, 3, 5, 5), ember.zeros(4, 3, 3, 3))
    assert tuple(y.shape) == (0, 4, 3, 3)


CONV1D_GRID = [
    {},
    {"stride": 2, "padding": 1},
    {"stride": (2,), "padding": (2,), "dilation": 2, "groups": 2},
    {"padding": "same"},
    {"padding": "same", "dilation": 3},
]


@pytest.mark.parametrize("kw", CONV1D_GRID)
def test_conv1d_values_and_grads_match_torch(kw):
    groups = kw.get("groups", 1)
    arrs = [np.random.randn(2, 4, 11), np.random.randn(6, 4 // groups, 4), np.random.randn(6)]
    e = [ember.tensor(a, requires_grad=True) for a in arrs]
    t = [torch.tensor(a, requires_grad=True) for a in arrs]
    ye, yt = F.conv1d(*e, **kw), TF.conv1d(*t, **kw)
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), **F64)
    g = np.random.randn(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(e, t):
        np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), **F64)


def test_conv1d_matches_numpy_reference_and_unbatched():
    x, w = np.random.randn(3, 10), np.random.randn(2, 3, 3)
    y = F.conv1d(ember.tensor(x), ember.tensor(w), stride=2, padding=1)
    ref = conv2d_ref(x[None, :, None, :], w[:, :, None, :], stride=(1, 2), padding=((0, 0), (1, 1)))
    np.testing.assert_allclose(_np(y), ref[0, :, 0, :], **F64)


# (N, Cin, H, W, Cout, K, kwargs)
CONVT_GRID = [
    (2, 4, 5, 6, 6, 3, {}),
    (2, 4, 5, 6, 6, 3, {"stride": 2, "padding": 1, "output_padding": 1}),
    (2, 4, 4, 5, 6, 2, {"stride": (2, 3), "padding": (0, 1), "output_padding": (1, 2), "groups": 2}),
    (1, 3, 4, 4, 2, 3, {"stride": 2, "dilation": 2, "padding": 1, "output_padding": 1}),
    (2, 4, 3, 3, 4, 3, {"groups": 4, "stride": 2}),
]


@pytest.mark.parametrize("case", CONVT_GRID)
def test_conv_transpose2d_matches_reference_and_torch(case):
    N, Cin, H, W, Cout, K, kw = case
    groups = kw.get("groups", 1)
    arrs = [np.random.randn(N, Cin, H, W), np.random.randn(Cin, Cout // groups, K, K), np.random.randn(Cout)]
    e = [ember.tensor(a, requires_grad=True) for a in arrs]
    t = [torch.tensor(a, requires_grad=True) for a in arrs]
    ye, yt = F.conv_transpose2d(*e, **kw), TF.conv_transpose2d(*t, **kw)
    ref = conv_transpose2d_ref(arrs[0], arrs[1], arrs[2], _pair2(kw.get("stride", 1)),
                               _pair2(kw.get("padding", 0)), _pair2(kw.get("output_padding", 0)),
                               groups, _pair2(kw.get("dilation", 1)))
    np.testing.assert_allclose(_np(ye), ref, **F64)
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), **F64)
    g = np.random.randn(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(e, t):
        np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), **F64)


def test_conv_transpose1d_matches_torch():
    arrs = [np.random.randn(2, 4, 7), np.random.randn(4, 3, 3), np.random.randn(3)]
    e = [ember.tensor(a, requires_grad=True) for a in arrs]
    t = [torch.tensor(a, requires_grad=True) for a in arrs]
    kw = {"stride": 2, "padding": 1, "output_padding": 1}
    ye, yt = F.conv_transpose1d(*e, **kw), TF.conv_transpose1d(*t, **kw)
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), **F64)
    ye.sum().backward()
    yt.sum().backward()
    for a, b in zip(e, t):
        np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), **F64)


@pytest.mark.parametrize("kw", [{"stride": 2, "padding": 1, "groups": 2}, {"dilation": 2, "padding": "same"}])
def test_conv2d_gradcheck(kw):
    x = ember.tensor(np.random.randn(2, 4, 5, 5), requires_grad=True)
    w = ember.tensor(np.random.randn(4, 4 // kw.get("groups", 1), 3, 3), requires_grad=True)
    b = ember.tensor(np.random.randn(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), [x, w, b])


def test_conv1d_and_conv_transpose2d_gradcheck():
    x = ember.tensor(np.random.randn(2, 2, 7), requires_grad=True)
    w = ember.tensor(np.random.randn(3, 2, 3), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1), [x, w])
    x2 = ember.tensor(np.random.randn(1, 2, 3, 4), requires_grad=True)
    w2 = ember.tensor(np.random.randn(2, 3, 3, 2), requires_grad=True)
    b2 = ember.tensor(np.random.randn(3), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, output_padding=1),
                     [x2, w2, b2])


def test_conv2d_second_order_gradients_match_torch():
    xa, wa = np.random.randn(2, 4, 6, 6), np.random.randn(6, 2, 3, 3)
    res = []
    for lib, mk in ((ember, lambda a: ember.tensor(a, requires_grad=True)),
                    (torch, lambda a: torch.tensor(a, requires_grad=True))):
        fn = F if lib is ember else TF
        x, w = mk(xa), mk(wa)
        y = fn.conv2d(x, w, stride=2, padding=1, groups=2)
        gx, gw = lib.autograd.grad((y * y).sum(), [x, w], create_graph=True)
        ((gx * gx).sum() + (gw * gw * gw).sum()).backward()
        res.append((x.grad.detach().numpy(), w.grad.detach().numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-7, atol=1e-8)


def test_conv2d_double_backward_gradcheck():
    x = ember.tensor(np.random.randn(1, 2, 4, 4), requires_grad=True)
    w = ember.tensor(np.random.randn(2, 2, 2, 2), requires_grad=True)

    def first_grads(x, w):
        with ember.enable_grad():  # gradcheck evaluates under no_grad for the differences
            y = F.conv2d(x, w, padding=1)
            gx, gw = ember.autograd.grad((y * y).sum(), [x, w], create_graph=True)
            return (gx * gx).sum() + (gw * gw).sum()

    assert gradcheck(first_grads, [x, w])


# ---- errors ---------------------------------------------------------------------------------


def test_conv2d_wrong_channel_count_names_shapes():
    with pytest.raises(ValueError, match=r"conv2d: input of shape \(2, 3, 8, 8\) has 3 channels, "
                       r"but weight of shape \(4, 2, 3, 3\) with groups=1 expects 2"):
        F.conv2d(ember.zeros(2, 3, 8, 8), ember.zeros(4, 2, 3, 3))


def test_conv2d_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"conv2d: kernel size \(5, 5\) \(after dilation\) is larger "
                       r"than the padded input size \(4, 4\)"):
        F.conv2d(ember.zeros(1, 1, 4, 4), ember.zeros(1, 1, 5, 5))
    with pytest.raises(ValueError, match=r"conv2d: kernel size \(5, 5\) .* padded input size \(4, 4\)"):
        F.conv2d(ember.zeros(1, 1, 4, 4), ember.zeros(1, 1, 3, 3), dilation=2)


def test_conv2d_bad_rank_and_arguments():
    with pytest.raises(ValueError, match=r"conv2d: expected 3-D \(unbatched\) or 4-D \(batched\) "
                       r"input, got input of shape \(8, 8\)"):
        F.conv2d(ember.zeros(8, 8), ember.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: expected 4-D weight"):
        F.conv2d(ember.zeros(1, 1, 8, 8), ember.zeros(1, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: stride must be positive, got stride=\(0, 1\)"):
        F.conv2d(ember.zeros(1, 1, 8, 8), ember.zeros(1, 1, 3, 3), stride=(0, 1))
    with pytest.raises(ValueError, match=r"conv2d: padding must be non-negative"):
        F.conv2d(ember.zeros(1, 1, 8, 8), ember.zeros(1, 1, 3, 3), padding=-1)
    with pytest.raises(ValueError, match=r"conv2d: stride must be an int or a tuple of 2 ints, got \(1, 2, 3\)"):
        F.conv2d(ember.zeros(1, 1, 8, 8), ember.zeros(1, 1, 3, 3), stride=(1, 2, 3))
    with pytest.raises(ValueError, match=r"conv2d: groups must be positive, got groups=0"):
        F.conv2d(ember.zeros(1, 2, 8, 8), ember.zeros(2, 1, 3, 3), groups=0)
    with pytest.raises(ValueError, match=r"conv2d: out_channels \(weight.shape\[0\] = 3\) must be "
                       r"divisible by groups \(2\)"):
        F.conv2d(ember.zeros(1, 2, 8, 8), ember.zeros(3, 1, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(4,\)"):
        F.conv2d(ember.zeros(1, 1, 8, 8), ember.zeros(4, 1, 3, 3), ember.zeros(3))
    with pytest.raises(ValueError, match=r"conv2d: padding='same' is not supported for strided"):
        F.conv2d(ember.zeros(1, 1, 8, 8), ember.zeros(1, 1, 3, 3), stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: padding must be 'same', 'valid'"):
        F.conv2d(ember.zeros(1, 1, 8, 8), ember.zeros(1, 1, 3, 3), padding="full")


def test_conv_dtype_errors():
    with pytest.raises(TypeError, match=r"conv2d: expected input of dtype float32 or float64, got int64"):
        F.conv2d(ember.zeros(1, 1, 4, 4, dtype=ember.int64), ember.zeros(1, 1, 3, 3))
    with pytest.raises(TypeError, match=r"conv2d: weight dtype \(float64\) must equal input dtype \(float32\)"):
        F.conv2d(ember.zeros(1, 1, 4, 4), ember.zeros(1, 1, 3, 3, dtype=ember.float64))
    with pytest.raises(TypeError, match=r"conv1d: expected input of dtype float32 or float64"):
        F.conv1d(ember.zeros(1, 1, 4, dtype=ember.int32), ember.zeros(1, 1, 3))


def test_conv1d_and_transpose_errors():
    with pytest.raises(ValueError, match=r"conv1d: expected 2-D \(unbatched\) or 3-D \(batched\) input, "
                       r"got input of shape \(1, 1, 4, 4\)"):
        F.conv1d(ember.zeros(1, 1, 4, 4), ember.zeros(1, 1, 3))
    with pytest.raises(ValueError, match=r"conv1d: kernel size \(5,\)"):
        F.conv1d(ember.zeros(1, 1, 4), ember.zeros(1, 1, 5))
    with pytest.raises(ValueError, match=r"conv_transpose2d: input of shape \(1, 3, 4, 4\) has 3 channels, "
                       r"but weight of shape \(2, 1, 3, 3\) expects 2"):
        F.conv_transpose2d(ember.zeros(1, 3, 4, 4), ember.zeros(2, 1, 3, 3))
    with pytest.raises(ValueError, match=r"conv_transpose2d: output_padding must be smaller than "
                       r"either stride or dilation"):
        F.conv_transpose2d(ember.zeros(1, 2, 4, 4), ember.zeros(2, 1, 3, 3), output_padding=1)


@pytest.mark.parametrize("kw", [{"padding": 1, "groups": 2}, {"stride": 2, "dilation": 2, "padding": 2}])
def test_conv2d_batch_split_over_threads_matches_torch(kw):
    # Enough work that the images are split over the worker threads (partial weight gradients).
    _two_threads()
    groups = kw.get("groups", 1)
    arrs = [np.random.randn(7, 8, 16, 16), np.random.randn(16, 8 // groups, 3, 3), np.random.randn(16)]
    e = [ember.tensor(a, requires_grad=True) for a in arrs]
    t = [torch.tensor(a, requires_grad=True) for a in arrs]
    ye, yt = F.conv2d(*e, **kw), TF.conv2d(*t, **kw)
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), **F64)
    g = np.random.randn(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(e, t):
        np.testing.assert_allclose(_np(a.grad), b.grad.numpy(), **F64)
