"""max/avg/adaptive pooling (1-D and 2-D): values and indices against naive NumPy loops, values
and gradients against PyTorch, float64 gradcheck, second order, and error messages."""

from __future__ import annotations

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember.autograd import gradcheck

from ._refs import adaptive_avg_pool2d_ref, adaptive_max_pool2d_ref, avg_pool2d_ref, max_pool2d_ref

torch = pytest.importorskip("torch")
TF = torch.nn.functional

F64 = {"rtol": 1e-7, "atol": 1e-10}


@pytest.fixture(autouse=True)
def _restore_threads():
    n = ember.get_num_threads()
    yield
    ember.set_num_threads(n)


def _two_threads():
    ember.set_num_threads(2)


def _np(t):
    return t.detach().numpy()


def _p2(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def assert_grads_match(fe, ft, arr, out_grad=True):
    xe = ember.tensor(arr, requires_grad=True)
    xt = torch.tensor(arr, requires_grad=True)
    ye, yt = fe(xe), ft(xt)
    assert tuple(ye.shape) == tuple(yt.shape)
    np.testing.assert_allclose(_np(ye), yt.detach().numpy(), **F64)
    g = np.random.randn(*yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(xe.grad), xt.grad.numpy(), **F64)


MAX_GRID = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 2},
]


@pytest.mark.parametrize("kw", MAX_GRID)
def test_max_pool2d_values_indices_and_grads(kw):
    x = np.random.randn(2, 3, 9, 8)
    ye, ie = F.max_pool2d(ember.tensor(x), return_indices=True, **kw)
    k = _p2(kw["kernel_size"])
    ref, ridx = max_pool2d_ref(x, k, _p2(kw.get("stride", k)), _p2(kw.get("padding", 0)),
                               _p2(kw.get("dilation", 1)), kw.get("ceil_mode", False))
    np.testing.assert_allclose(_np(ye), ref, **F64)
    np.testing.assert_array_equal(ie.numpy(), ridx)
    assert ie.dtype == ember.int64
    _, it = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    assert_grads_match(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw), x)


def test_max_pool2d_ties_take_first_and_nan_wins():
    x = np.zeros((1, 1, 2, 2))
    y, i = F.max_pool2d(ember.tensor(x), 2, return_indices=True)
    assert i.numpy().item() == 0
    x[0, 0, 1, 0] = np.nan
    y, i = F.max_pool2d(ember.tensor(x), 2, return_indices=True)
    assert np.isnan(y.numpy().item()) and i.numpy().item() == 2


@pytest.mark.parametrize("shape", [(2, 3, 24, 24), (1, 2, 7, 37), (3, 1, 4, 16), (1, 1, 2, 2),
                                   (2, 16, 8, 8), (1, 3, 5, 13), (1, 2, 3, 9)])
def test_max_pool2d_float32_2x2_vector_rows(shape):
    # float32 2x2 / stride 2 rows run 8 outputs at a time: ties keep the first cell in window
    # order, indices point into the plane; odd widths leave a scalar tail.
    x = np.random.randn(*shape).astype(np.float32)
    x[..., ::3, ::5] = 0.5  # ties inside windows
    x[..., 1::4, 2::7] = 0.5
    ye, ie = F.max_pool2d(ember.from_numpy(x), 2, return_indices=True)
    yt, it = TF.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(_np(ye), yt.numpy())
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    ref, ridx = max_pool2d_ref(x.astype(np.float64), (2, 2), (2, 2), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(ie.numpy(), ridx)
    # NaN wins its window and its index points at a NaN (the last one in window order).
    x.reshape(-1)[::11] = np.nan
    ye, ie = F.max_pool2d(ember.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(_np(ye), TF.max_pool2d(torch.from_numpy(x), 2).numpy())
    planes = x.reshape(-1, shape[2] * shape[3])
    picked = np.take_along_axis(planes, ie.numpy().reshape(planes.shape[0], -1), axis=1)
    np.testing.assert_array_equal(picked.reshape(ye.shape), _np(ye))


def test_max_pool1d_and_unbatched():
    x = np.random.randn(2, 3, 11)
    kw = {"kernel_size": 3, "stride": 2, "padding": 1}
    ye, ie = F.max_pool1d(ember.tensor(x), return_indices=True, **kw)
    yt, it = TF.max_pool1d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_allclose(_np(ye), yt.numpy(), **F64)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    assert_grads_match(lambda t: F.max_pool1d(t, **kw), lambda t: TF.max_pool1d(t, **kw), x)
    x3 = np.random.randn(3, 6, 6)
    assert_grads_match(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), x3)


AVG_GRID = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1), "ceil_mode": True},
    {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1), "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True, "divisor_override": 5},
]


@pytest.mark.parametrize("kw", AVG_GRID)
def test_avg_pool2d_values_and_grads(kw):
    x = np.random.randn(2, 3, 9, 8)
    k = _p2(kw["kernel_size"])
    ref = avg_pool2d_ref(x, k, _p2(kw.get("stride", k)), _p2(kw.get("padding", 0)),
                         kw.get("ceil_mode", False), kw.get("count_include_pad", True),
                         kw.get("divisor_override"))
    np.testing.assert_allclose(_np(F.avg_pool2d(ember.tensor(x), **kw)), ref, **F64)
    assert_grads_match(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), x)


def test_avg_pool1d_matches_torch():
    x = np.random.randn(2, 3, 10)
    for kw in ({"kernel_size": 3}, {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True,
                                           "count_include_pad": False}):
        assert_grads_match(lambda t, kw=kw: F.avg_pool1d(t, **kw), lambda t, kw=kw: TF.avg_pool1d(t, **kw), x)


@pytest.mark.parametrize("out", [1, (3, 2), (4, 5), (7, 8), (None, 3)])
def test_adaptive_pools_match_reference_and_torch(out):
    x = np.random.randn(2, 3, 7, 8)
    o = tuple(7 if s is None else s for s in (_p2(out) if out is not None else (7, 8)))
    if isinstance(out, tuple) and out[0] is None:
        o = (7, out[1])
    np.testing.assert_allclose(_np(F.adaptive_avg_pool2d(ember.tensor(x), out)),
                               adaptive_avg_pool2d_ref(x, o), **F64)
    ye, ie = F.adaptive_max_pool2d(ember.tensor(x), out, return_indices=True)
    rv, ri = adaptive_max_pool2d_ref(x, o)
    np.testing.assert_allclose(_np(ye), rv, **F64)
    np.testing.assert_array_equal(ie.numpy(), ri)
    assert_grads_match(lambda t: F.adaptive_avg_pool2d(t, out), lambda t: TF.adaptive_avg_pool2d(t, out), x)
    assert_grads_match(lambda t: F.adaptive_max_pool2d(t, out), lambda t: TF.adaptive_max_pool2d(t, out), x)


def test_adaptive_pool1d_match_torch():
    x = np.random.randn(2, 3, 10)
    assert_grads_match(lambda t: F.adaptive_avg_pool1d(t, 4), lambda t: TF.adaptive_avg_pool1d(t, 4), x)
    assert_grads_match(lambda t: F.adaptive_max_pool1d(t, 3), lambda t: TF.adaptive_max_pool1d(t, 3), x)


def test_pooling_gradcheck():
    x = ember.tensor(np.random.randn(1, 2, 5, 6), requires_grad=True)
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), [x])
    assert gradcheck(lambda t: F.max_pool2d(t, 2, 1, dilation=(1, 2)), [x])
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), [x])
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, 2), [x])


def test_pooling_second_order_matches_torch():
    xa = np.random.randn(2, 2, 6, 6)
    res = []
    for lib, fn in ((ember, F), (torch, TF)):
        x = lib.tensor(xa, requires_grad=True)
        y = fn.max_pool2d(x * x, 2) + fn.avg_pool2d(x * x * x, 3, 1, 1) .mean() + fn.adaptive_avg_pool2d(x * x, 2).sum()
        (gx,) = lib.autograd.grad(y.sum(), [x], create_graph=True)
        (gx * gx).sum().backward()
        res.append(x.grad.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-7, atol=1e-9)


def test_pooling_errors():
    with pytest.raises(ValueError, match=r"max_pool2d: expected 3-D \(unbatched\) or 4-D \(batched\) "
                       r"input, got input of shape \(4, 4\)"):
        F.max_pool2d(ember.zeros(4, 4), 2)
    with pytest.raises(ValueError, match=r"max_pool2d: padding should be at most half of the "
                       r"effective kernel size, got padding=\(2, 2\), kernel_size=\(3, 3\)"):
        F.max_pool2d(ember.zeros(1, 1, 8, 8), 3, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: padding should be at most half of kernel_size"):
        F.avg_pool2d(ember.zeros(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: output size \(0, 0\) is too small; input "
                       r"shape \(1, 1, 2, 2\)"):
        F.max_pool2d(ember.zeros(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match=r"max_pool2d: stride must be positive"):
        F.max_pool2d(ember.zeros(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(ValueError, match=r"max_pool2d: kernel_size must be an int or a tuple of 2 ints"):
        F.max_pool2d(ember.zeros(1, 1, 4, 4), (2, 2, 2))
    with pytest.raises(TypeError, match=r"avg_pool2d: expected input of dtype float32 or float64, got int64"):
        F.avg_pool2d(ember.zeros(1, 1, 4, 4, dtype=ember.int64), 2)
    with pytest.raises(ValueError, match=r"avg_pool2d: divisor_override must be non-zero"):
        F.avg_pool2d(ember.zeros(1, 1, 4, 4), 2, divisor_override=0)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: output_size must be positive"):
        F.adaptive_avg_pool2d(ember.zeros(1, 1, 4, 4), 0)
    with pytest.raises(ValueError, match=r"max_pool1d: expected 2-D \(unbatched\) or 3-D"):
        F.max_pool1d(ember.zeros(1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match=r"adaptive_max_pool2d: expected input with non-zero channel"):
        F.adaptive_max_pool2d(ember.zeros(1, 0, 4, 4), 2)


def test_pooling_planes_split_over_threads_match_torch():
    _two_threads()
    x = np.random.randn(4, 8, 32, 32)
    assert_grads_match(lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: TF.max_pool2d(t, 3, 2, 1), x)
    assert_grads_match(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), x)
    assert_grads_match(lambda t: F.avg_pool2d(t, 3, 2, 1), lambda t: TF.avg_pool2d(t, 3, 2, 1), x)
    assert_grads_match(lambda t: F.adaptive_avg_pool2d(t, 5), lambda t: TF.adaptive_avg_pool2d(t, 5), x)
    assert_grads_match(lambda t: F.adaptive_max_pool2d(t, 5), lambda t: TF.adaptive_max_pool2d(t, 5), x)


@pytest.mark.parametrize("shape, kw", [
    ((1, 1, 1, 4), dict(kernel_size=2, stride=1, padding=1, dilation=2)),
    ((1, 1, 1, 8), dict(kernel_size=2, stride=2, padding=1, dilation=(2, 1), ceil_mode=True)),
])
def test_max_pool_window_wholly_in_padding_raises(shape, kw):
    # Such a window has no input to take the maximum of (PyTorch returns -inf and then writes
    # out of bounds in backward); ember refuses the geometry up front.
    with pytest.raises(ValueError, match=r"max_pool2d: output position 0 of spatial dim 0 has a "
                                         r"window that lies wholly in the padding"):
        F.max_pool2d(ember.randn(*shape, requires_grad=True), **kw)


def test_max_pool_dilated_windows_that_reach_the_input_still_work():
    x = ember.randn(1, 1, 5, 5, dtype=ember.float64, requires_grad=True)
    y = F.max_pool2d(x, 2, 1, padding=1, dilation=2)
    ref = TF.max_pool2d(torch.from_numpy(x.detach().numpy()), 2, 1, padding=1, dilation=2)
    np.testing.assert_array_equal(y.detach().numpy(), ref.numpy())
    assert gradcheck(lambda t: F.max_pool2d(t, 2, 1, padding=1, dilation=2), (x,))
