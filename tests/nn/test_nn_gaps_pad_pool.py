"""3-D and circular padding, UpsamplingNearest2d/UpsamplingBilinear2d and the deprecated
F.upsample* aliases, the *_with_indices pooling forms and fractional max pooling vs torch:
values, indices, float64 gradients, reprs, state_dict keys, errors."""

from __future__ import annotations

import warnings

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}


def e_of(a):
    return ember.tensor(np.array(a))


def assert_close(e, t, dtype=np.float64):
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **TOL[dtype])


def assert_same_forward_backward(e_fn, t_fn, x, seed=0):
    """Runs both functions on float64 ``x``; asserts equal outputs and input gradients."""
    xe, xt = e_of(x).requires_grad_(True), torch.tensor(x, requires_grad=True)
    ye, yt = e_fn(xe), t_fn(xt)
    assert_close(ye, yt)
    g = np.random.RandomState(seed).randn(*tuple(yt.shape))
    ye.backward(e_of(g))
    yt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad)


# ---- padding ---------------------------------------------------------------------------------

PAD_CASES = [
    ("ZeroPad3d", ((1, 2, 0, 1, 2, 0),), (2, 2, 3, 3, 4)),
    ("ZeroPad3d", ((-1, 1, 1, -1, 0, 1),), (1, 2, 3, 4, 3)),
    ("ConstantPad3d", (1, 3.5), (1, 2, 2, 3, 2)),
    ("ConstantPad3d", ((0, 1, 2, 0, 1, 1), -2.0), (2, 3, 3, 2)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 4, 5)),
    ("ReflectionPad3d", ((2, 0, 1, 2, 0, 1),), (2, 3, 4, 3)),
    ("ReflectionPad3d", ((-1, 2, 0, 0, 1, -1),), (1, 1, 3, 3, 4)),
    ("ReplicationPad3d", (2,), (1, 2, 2, 3, 2)),
    ("ReplicationPad3d", ((3, 0, 1, 2, 0, 2),), (2, 2, 3, 2)),
    ("ReplicationPad3d", ((-1, 2, 1, -1, 0, 1),), (1, 2, 3, 4, 3)),
    ("CircularPad1d", (2,), (2, 3, 4)),
    ("CircularPad1d", ((3, 1),), (2, 3)),
    ("CircularPad1d", ((-1, 2),), (1, 2, 4)),
    ("CircularPad2d", ((1, 2, 0, 3),), (2, 2, 3, 4)),
    ("CircularPad2d", (1,), (2, 3, 3)),
    ("CircularPad2d", ((2, -1, -2, 1),), (1, 1, 4, 5)),
    ("CircularPad3d", ((1, 0, 2, 1, 1, 1),), (1, 2, 2, 3, 4)),
    ("CircularPad3d", (1,), (2, 2, 3, 3)),
]


@pytest.mark.parametrize("name,args,shape", PAD_CASES)
def test_padding_module_matches_torch(name, args, shape):
    e, t = getattr(nn, name)(*args), getattr(tnn, name)(*args)
    assert repr(e) == repr(t)
    x = np.random.RandomState(1).randn(*shape)
    assert_same_forward_backward(e, t, x)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "pad,shape",
    [
        ((1, 2), (2, 3, 5)),
        ((2, 1, 1, 2), (1, 2, 4, 3)),
        ((1, 1, 2, 0, 0, 1), (2, 3, 3, 4)),
    ],
)
def test_functional_pad_modes_match_torch(mode, pad, shape):
    x = np.random.RandomState(2).randn(*shape)
    assert_same_forward_backward(lambda v: F.pad(v, pad, mode), lambda v: TF.pad(v, pad, mode), x)


def test_functional_pad_constant_path_unchanged():
    x = np.random.RandomState(3).randn(2, 3, 4).astype(np.float32)
    e, t = F.pad(e_of(x), (1, 2, 0, 1), value=4.0), TF.pad(torch.tensor(x), (1, 2, 0, 1), value=4.0)
    assert_close(e, t, np.float32)
    assert "pad" in F.__all__ and F.__all__.count("pad") == 1


def test_circular_pad_integer_input_keeps_dtype():
    x = ember.arange(6).reshape(1, 2, 3)
    y = F.pad(x, (1, 1), mode="circular")
    assert y.dtype == ember.int64
    assert to_np(y).tolist() == [[[2, 0, 1, 2, 0], [5, 3, 4, 5, 3]]]


def test_padding_errors():
    with pytest.raises(
        ValueError, match=r"pad: mode 'reflect' needs each pad smaller than its dim \(3\)"
    ):
        F.pad(ember.zeros(1, 1, 3, 3, 3), (3, 3, 0, 0, 0, 0), mode="reflect")
    with pytest.raises(
        ValueError, match=r"pad: mode 'circular' pads at most the \(cropped\) dim's size \(3\)"
    ):
        F.pad(ember.zeros(1, 1, 3, 3), (4, 4, 0, 0), mode="circular")
    with pytest.raises(
        NotImplementedError, match=r"pad: mode 'replicate' with 6 pad values .* 3-D"
    ):
        F.pad(ember.zeros(3, 3, 3), (1,) * 6, mode="replicate")
    with pytest.raises(ValueError, match="doesn't take in value"):
        F.pad(ember.zeros(1, 2, 3), (1, 1), mode="circular", value=2.0)
    with pytest.raises(ValueError, match=r"CircularPad1d: expected 2D or 3D input \(got 1D"):
        nn.CircularPad1d(1)(ember.zeros(3))
    with pytest.raises(ValueError, match="padding must be an int or a tuple of 6 ints"):
        nn.ReflectionPad3d((1, 1))
    with pytest.raises(ValueError, match="negative padding makes an empty dim"):
        F.pad(ember.zeros(1, 1, 2), (-1, -1), mode="circular")


# ---- upsampling ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("UpsamplingNearest2d", {"scale_factor": 2}),
        ("UpsamplingNearest2d", {"size": (5, 7)}),
        ("UpsamplingBilinear2d", {"scale_factor": 3}),
        ("UpsamplingBilinear2d", {"size": (4, 9)}),
    ],
)
def test_upsampling_modules_match_torch(name, kwargs):
    e, t = getattr(nn, name)(**kwargs), getattr(tnn, name)(**kwargs)
    assert repr(e) == repr(t)
    x = np.random.RandomState(4).randn(2, 3, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the modules do not warn
        assert_same_forward_backward(e, t, x)


@pytest.mark.parametrize(
    "name,args,kwargs",
    [
        ("upsample", ((2, 6),), {"mode": "bilinear", "align_corners": False}),
        ("upsample", (None, 2), {}),
        ("upsample_nearest", (None, 3), {}),
        ("upsample_bilinear", ((5, 5),), {}),
    ],
)
def test_deprecated_upsample_functions_warn_and_match_torch(name, args, kwargs):
    x = np.random.RandomState(5).randn(1, 2, 3, 3)
    with pytest.warns(UserWarning, match=rf"`nn.functional.{name}` is deprecated"):
        e = getattr(F, name)(e_of(x), *args, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = getattr(TF, name)(torch.tensor(x), *args, **kwargs)
    assert_close(e, t)


# ---- pooling with indices ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,shape,args",
    [
        ("max_pool1d_with_indices", (2, 3, 9), (3, 2, 1)),
        ("max_pool2d_with_indices", (2, 2, 7, 6), (3, 2, 1)),
        ("max_pool3d_with_indices", (1, 2, 5, 6, 5), (2, 2)),
        ("adaptive_max_pool1d_with_indices", (2, 3, 10), (4,)),
        ("adaptive_max_pool2d_with_indices", (2, 2, 7, 9), ((3, 4),)),
        ("adaptive_max_pool3d_with_indices", (1, 2, 5, 6, 7), ((2, 3, 4),)),
    ],
)
def test_pool_with_indices_matches_torch(name, shape, args):
    x = np.random.RandomState(6).randn(*shape)
    ve, ie = getattr(F, name)(e_of(x), *args)
    vt, it = getattr(TF, name)(torch.tensor(x), *args)
    assert_close(ve, vt)
    assert to_np(ie).tolist() == it.numpy().tolist()
    assert ie.dtype == ember.int64


# ---- fractional max pooling ----------------------------------------------------------------------

FRAC_CASES = [
    (2, (2, 3, 11, 13), (2, 2), {"output_size": (5, 6)}),
    (2, (2, 3, 11, 13), 3, {"output_size": (9, 11)}),
    (2, (3, 10, 8), (3, 2), {"output_ratio": (0.5, 0.75)}),  # unbatched
    (2, (1, 2, 7, 7), 2, {"output_size": 6}),  # windows reach the last cell
    (3, (2, 2, 7, 8, 9), 2, {"output_size": (3, 4, 5)}),
    (3, (1, 2, 6, 7, 8), (3, 2, 4), {"output_size": (2, 3, 4)}),
    (3, (2, 5, 6, 7), 2, {"output_ratio": 0.5}),  # unbatched
]


@pytest.mark.parametrize("n,shape,k,kw", FRAC_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pool_matches_torch(n, shape, k, kw, dtype):
    rng = np.random.RandomState(7)
    x = rng.randn(*shape).astype(dtype)
    batch = shape[0] if len(shape) == n + 2 else 1
    s = rng.rand(batch, shape[-n - 1], n).astype(dtype)
    fe = getattr(F, f"fractional_max_pool{n}d")
    ft = getattr(TF, f"fractional_max_pool{n}d")
    if "output_ratio" in kw and not isinstance(kw["output_ratio"], tuple):
        kw_t = {"output_ratio": (kw["output_ratio"],) * n}  # torch's F needs a tuple
    else:
        kw_t = kw
    xe, xt = e_of(x).requires_grad_(True), torch.tensor(x, requires_grad=True)
    ve, ie = fe(xe, k, **kw, return_indices=True, _random_samples=e_of(s))
    vt, it = ft(xt, k, **kw_t, return_indices=True, _random_samples=torch.tensor(s))
    assert_close(ve, vt, dtype)
    assert to_np(ie).tolist() == it.numpy().tolist()
    g = rng.randn(*tuple(vt.shape)).astype(dtype)
    ve.backward(e_of(g))
    vt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad, dtype)


def test_fractional_max_pool_ties_and_nan_pick_torch_indices():
    x = np.zeros((1, 2, 6, 6))
    x[0, 0] = np.floor(np.random.RandomState(8).rand(6, 6) * 2)  # many ties
    x[0, 1, 1, 1] = x[0, 1, 1, 2] = x[0, 1, 4, 4] = np.nan
    s = np.random.RandomState(9).rand(1, 2, 2)
    ve, ie = F.fractional_max_pool2d_with_indices(e_of(x), 2, (3, 3), _random_samples=e_of(s))
    vt, it = TF.fractional_max_pool2d_with_indices(
        torch.tensor(x), 2, (3, 3), _random_samples=torch.tensor(s)
    )
    np.testing.assert_array_equal(to_np(ve), vt.numpy())
    assert to_np(ie).tolist() == it.numpy().tolist()


def test_fractional_max_pool_random_samples_default():
    x = ember.randn(2, 3, 9, 9)
    v, i = F.fractional_max_pool2d(x, 2, output_ratio=0.5, return_indices=True)
    assert tuple(v.shape) == (2, 3, 4, 4)
    flat = to_np(x).reshape(2, 3, 81)
    np.testing.assert_array_equal(
        np.take_along_axis(flat, to_np(i).reshape(2, 3, 16), 2), to_np(v).reshape(2, 3, 16)
    )


@pytest.mark.parametrize("n", [2, 3])
def test_fractional_max_pool_module_matches_torch(n):
    cls_e, cls_t = getattr(nn, f"FractionalMaxPool{n}d"), getattr(tnn, f"FractionalMaxPool{n}d")
    e = cls_e(2, output_size=3, return_indices=True)
    t = cls_t(2, output_size=3, return_indices=True)
    assert repr(e) == repr(t) == f"FractionalMaxPool{n}d()"
    assert list(e.state_dict()) == list(t.state_dict()) == []
    s = np.random.RandomState(10).rand(2, 2, n)
    e2 = cls_e(2, output_ratio=0.5, _random_samples=e_of(s))
    t2 = cls_t(2, output_ratio=0.5, _random_samples=torch.tensor(s))
    assert list(e2.state_dict()) == list(t2.state_dict()) == ["_random_samples"]
    x = np.random.RandomState(11).randn(2, 2, *([8] * n))
    assert_same_forward_backward(e2, t2, x)
    ve, ie = e(e_of(x))
    assert tuple(ve.shape) == (2, 2) + (3,) * n and ie.dtype == ember.int64


def test_fractional_max_pool_errors():
    x = ember.zeros(2, 3, 7, 7)
    with pytest.raises(
        ValueError,
        match=r"fractional_max_pool2d: pool height 5 too large "
        r"relative to input height 7",
    ):
        F.fractional_max_pool2d(x, 5, output_size=5)
    with pytest.raises(ValueError, match="pool time 2 too large relative to input time 7"):
        F.fractional_max_pool3d(ember.zeros(1, 1, 7, 7, 7), 2, output_size=6)
    with pytest.raises(ValueError, match=r"_random_samples must have shape \(N', C, 2\)"):
        F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=ember.rand(2, 3, 3))
    with pytest.raises(ValueError, match=r"N' >= the batch size \(2\)"):
        F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=ember.rand(1, 3, 2))
    with pytest.raises(TypeError, match="_random_samples must have the input's dtype"):
        F.fractional_max_pool2d(
            x, 2, output_size=3, _random_samples=ember.rand(2, 3, 2, dtype=ember.float64)
        )
    with pytest.raises(ValueError, match="requires specifying either an output_size or an"):
        F.fractional_max_pool2d(x, 2)
    with pytest.raises(TypeError, match="expected input to be float32 or float64, got int64"):
        F.fractional_max_pool2d(ember.zeros(1, 1, 4, 4, dtype=ember.int64), 2, output_size=2)
    with pytest.raises(ValueError, match=r"expected a non-empty 3-D"):
        F.fractional_max_pool2d(ember.zeros(7, 7), 2, output_size=3)
    with pytest.raises(ValueError, match="requires specifying either an output size, or a"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
        nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)
    with pytest.raises(ValueError, match=r"output_ratio must be between 0 and 1 \(got 1.5\)"):
        nn.FractionalMaxPool3d(2, output_ratio=1.5)
