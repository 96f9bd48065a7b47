"""pad, interpolate, dropout2d and their modules."""

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn
from ember.autograd import gradcheck

torch = pytest.importorskip("torch")


def _t(a, requires_grad=False):
    return ember.tensor(a, requires_grad=requires_grad)


def _tt(a, requires_grad=False):
    return torch.tensor(a, requires_grad=requires_grad)


def _assert_double_backward_matches(fe, ft, x):
    """d/dx sum(grad_x(sum(f(x)^3))^2) against torch (float64)."""
    xe = _t(x, True)
    xt = _tt(x, True)
    ye, yt = fe(xe), ft(xt)
    (ge,) = ember.autograd.grad((ye * ye * ye).sum(), [xe], create_graph=True)
    (gt,) = torch.autograd.grad((yt * yt * yt).sum(), [xt], create_graph=True)
    (gge,) = ember.autograd.grad((ge * ge).sum(), [xe])
    (ggt,) = torch.autograd.grad((gt * gt).sum(), [xt])
    np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gge.numpy(), ggt.numpy(), rtol=1e-10, atol=1e-12)


def _np_widths(ndim, pad):
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


def _assert_matches_torch(fe, ft, x, dtypes=((np.float64, 1e-12), (np.float32, 1e-6)), seed=0):
    rng = np.random.default_rng(seed)
    for dt, tol in dtypes:
        xe = _t(x.astype(dt), True)
        xt = _tt(x.astype(dt), True)
        y, yt = fe(xe), ft(xt)
        assert tuple(y.shape) == tuple(yt.shape)
        assert y.dtype == xe.dtype
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
        g = rng.normal(size=tuple(yt.shape)).astype(dt)
        y.backward(_t(g))
        yt.backward(_tt(g))
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    return y


PADS = [(1, 2), (0, 0), (2, 1, 1, 0), (1, 1, 2, 2), (3, 0, 0, 2)]


@pytest.mark.parametrize("pad", PADS)
@pytest.mark.parametrize(
    "mode,np_mode", [("constant", "constant"), ("reflect", "reflect"), ("replicate", "edge")]
)
def test_pad_matches_numpy_and_torch(pad, mode, np_mode):
    # PyTorch pads the last dim only of 2-D/3-D inputs in the non-constant modes.
    shape = (2, 3, 5) if len(pad) == 2 else (2, 3, 4, 5)
    x = np.random.default_rng(0).normal(size=shape)
    kw = {"value": 1.5} if mode == "constant" else {}
    np_kw = {"constant_values": 1.5} if mode == "constant" else {}
    ref = np.pad(x, _np_widths(x.ndim, pad), mode=np_mode, **np_kw)
    y = _assert_matches_torch(
        lambda a: F.pad(a, pad, mode, **kw),
        lambda a: torch.nn.functional.pad(a, pad, mode, **kw),
        x,
    )
    np.testing.assert_allclose(y.detach().numpy(), ref.astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize(
    "shape,pad", [((2, 3, 4), (1, 2)), ((3, 4), (2, 0)), ((2, 3, 4), (1, 1, 0, 2))]
)
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_pad_1d_and_unbatched(shape, pad, mode):
    x = np.random.default_rng(1).normal(size=shape)
    _assert_matches_torch(
        lambda a: F.pad(a, pad, mode), lambda a: torch.nn.functional.pad(a, pad, mode), x
    )


@pytest.mark.parametrize(
    "pad", [(-1, 2), (1, -2, 0, 1), (0, 0, 0, 0, 1, 1), (-2, -2, 1, 0, 0, 0, 0, 1)]
)
def test_constant_pad_nd_and_negative(pad):
    x = np.random.default_rng(2).normal(size=(2, 3, 4, 5))
    _assert_matches_torch(
        lambda a: F.pad(a, pad, value=-1.0),
        lambda a: torch.nn.functional.pad(a, pad, value=-1.0),
        x,
    )


def test_constant_pad_integer_dtype():
    x = ember.tensor([[1, 2], [3, 4]])
    y = F.pad(x, (1, 0, 0, 1), value=7)
    assert y.dtype == ember.int64
    np.testing.assert_array_equal(y.numpy(), [[7, 1, 2], [7, 3, 4], [7, 7, 7]])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate"])
def test_pad_gradcheck_and_double_backward(mode):
    x = np.random.default_rng(3).normal(size=(1, 2, 3, 3))
    assert gradcheck(lambda a: F.pad(a, (2, 1, 1, 2), mode), (_t(x, True),))
    _assert_double_backward_matches(
        lambda a: F.pad(a, (2, 1, 1, 2), mode),
        lambda a: torch.nn.functional.pad(a, (2, 1, 1, 2), mode),
        x,
    )


def test_pad_errors():
    x = ember.randn(1, 1, 3, 3)
    with pytest.raises(ValueError, match=r"pad: padding length must be divisible by 2, got 3"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(
        ValueError,
        match=r"pad: padding length 10 is too large for input of shape "
        r"\(1, 1, 3, 3\)",
    ):
        F.pad(x, (1,) * 10)
    with pytest.raises(
        ValueError,
        match=r"pad: reflect padding \(3, 0\) of dim 3 must be less "
        r"than its size 3",
    ):
        F.pad(x, (3, 0), "reflect")
    with pytest.raises(
        ValueError, match=r"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular'"
    ):
        F.pad(x, (1, 1), "wrap")
    # Three padded dims of a 4-D input: an unbatched (C, D, H, W) volume, as in PyTorch.
    assert F.pad(x, (1, 1, 1, 1, 1, 1), "replicate").shape == (1, 3, 5, 5)
    with pytest.raises(
        ValueError,
        match=r"pad: padding \(-2, -2\) gives dim 3 of input of shape "
        r"\(1, 1, 3, 3\) a negative size -1",
    ):
        F.pad(x, (-2, -2))
    with pytest.raises(ValueError, match=r"pad: padding mode 'reflect' doesn't take in value"):
        F.pad(x, (1, 1), "reflect", value=2.0)
    with pytest.raises(TypeError, match=r"pad: expected input to have a floating dtype"):
        F.pad(ember.ones(1, 3, dtype=ember.int64), (1, 1), "reflect")


def test_padding_modules():
    x = np.random.default_rng(4).normal(size=(2, 1, 3, 4)).astype(np.float32)
    pairs = [
        (nn.ZeroPad2d(2), torch.nn.ZeroPad2d(2)),
        (nn.ZeroPad2d((1, 0, 2, 1)), torch.nn.ZeroPad2d((1, 0, 2, 1))),
        (nn.ConstantPad2d((1, 2, 0, 1), 3.5), torch.nn.ConstantPad2d((1, 2, 0, 1), 3.5)),
        (nn.ReflectionPad2d(2), torch.nn.ReflectionPad2d(2)),
        (nn.ReplicationPad2d((1, 2, 3, 0)), torch.nn.ReplicationPad2d((1, 2, 3, 0))),
        (nn.ReflectionPad1d(1), torch.nn.ReflectionPad1d(1)),
        (nn.ReplicationPad1d((0, 2)), torch.nn.ReplicationPad1d((0, 2))),
        (nn.ConstantPad1d(1, 2.0), torch.nn.ConstantPad1d(1, 2.0)),
        (nn.ZeroPad1d((1, 2)), torch.nn.ZeroPad1d((1, 2))),
    ]
    for m, mt in pairs:
        assert repr(m) == repr(mt)
        xi = x[:, 0] if "1d" in type(m).__name__ else x
        np.testing.assert_allclose(m(_t(xi)).numpy(), mt(_tt(xi)).numpy())
        assert list(m.state_dict()) == []


def _np_nearest(x, out_size, sf=None):
    """Naive loops with PyTorch's index rule (float32 scale)."""
    spatial = x.shape[2:]
    out = np.empty(x.shape[:2] + tuple(out_size), x.dtype)
    for idx in np.ndindex(*out_size):
        src = []
        for d, i in enumerate(idx):
            n_in, n_out = spatial[d], out_size[d]
            scale = np.float32(1.0 / sf[d]) if sf else np.float32(n_in) / np.float32(n_out)
            src.append(i if n_in == n_out else min(int(np.floor(np.float32(i) * scale)), n_in - 1))
        out[(slice(None), slice(None)) + idx] = x[(slice(None), slice(None)) + tuple(src)]
    return out


def _np_bilinear(x, out_size, align_corners):
    """Naive loops over output pixels, weights in float64."""
    H, W = x.shape[2:]
    Ho, Wo = out_size

    def src(i, n_in, n_out):
        if align_corners:
            s = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            s = max((i + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = min(int(s), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        lam = min(max(s - i0, 0.0), 1.0)
        return i0, i1, lam

    out = np.empty(x.shape[:2] + (Ho, Wo))
    for i in range(Ho):
        h0, h1, a = src(i, H, Ho)
        for j in range(Wo):
            w0, w1, c = src(j, W, Wo)
            out[:, :, i, j] = (1 - a) * ((1 - c) * x[:, :, h0, w0] + c * x[:, :, h0, w1]) + a * (
                (1 - c) * x[:, :, h1, w0] + c * x[:, :, h1, w1]
            )
    return out


INTERP_CASES = [
    {"size": (8, 10)},
    {"size": (3, 2)},
    {"size": (5, 7)},
    {"scale_factor": 2},
    {"scale_factor": (1.5, 0.5)},
    {"scale_factor": 0.7},
    {"scale_factor": 3, "recompute_scale_factor": True},
]


@pytest.mark.parametrize("kw", INTERP_CASES)
@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate_matches_torch_and_numpy(kw, mode, align):
    x = np.random.default_rng(5).normal(size=(2, 3, 4, 5))
    y = _assert_matches_torch(
        lambda a: F.interpolate(a, mode=mode, align_corners=align, **kw),
        lambda a: torch.nn.functional.interpolate(a, mode=mode, align_corners=align, **kw),
        x,
        dtypes=((np.float64, 1e-12), (np.float32, 2e-6)),
    )
    out_size = tuple(y.shape[2:])
    if mode == "nearest":
        sf = kw.get("scale_factor")
        if sf is not None and not kw.get("recompute_scale_factor"):
            sf = (sf, sf) if np.isscalar(sf) else sf
        else:
            sf = None
        np.testing.assert_allclose(
            y.detach().numpy(), _np_nearest(x.astype(np.float32), out_size, sf)
        )
    elif "size" in kw or kw.get("recompute_scale_factor") or align:
        np.testing.assert_allclose(
            y.detach().numpy(), _np_bilinear(x, out_size, align), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize("kw", [{"size": 7}, {"scale_factor": 2}, {"scale_factor": 0.6}])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_interpolate_1d(kw, mode):
    x = np.random.default_rng(6).normal(size=(2, 3, 5))
    _assert_matches_torch(
        lambda a: F.interpolate(a, mode=mode, **kw),
        lambda a: torch.nn.functional.interpolate(a, mode=mode, **kw),
        x,
    )


@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate_gradcheck(mode, align):
    x = _t(np.random.default_rng(7).normal(size=(1, 2, 3, 4)), True)
    f = lambda a: F.interpolate(a, size=(5, 3), mode=mode, align_corners=align)
    assert gradcheck(f, (x,))
    _assert_double_backward_matches(
        f,
        lambda a: torch.nn.functional.interpolate(a, size=(5, 3), mode=mode, align_corners=align),
        x.detach().numpy(),
    )
    assert f(x).grad_fn.name() == (
        "UpsampleNearest2DBackward0" if mode == "nearest" else "UpsampleBilinear2DBackward0"
    )


def test_interpolate_errors():
    x = ember.randn(1, 1, 3, 3)
    with pytest.raises(ValueError, match=r"interpolate: only one of size or scale_factor"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match=r"interpolate: either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(
        ValueError,
        match=r"interpolate: mode 'bilinear' needs a 4-D \(N, C, H, W\) "
        r"input, got shape \(1, 3, 3\)",
    ):
        F.interpolate(ember.randn(1, 3, 3), size=4, mode="bilinear")
    with pytest.raises(ValueError, match=r"interpolate: align_corners can only be set"):
        F.interpolate(x, size=4, align_corners=True)
    with pytest.raises(
        ValueError,
        match=r"interpolate: mode must be 'nearest', 'linear' or "
        r"'bilinear', got 'bicubic'",
    ):
        F.interpolate(x, size=4, mode="bicubic")
    with pytest.raises(ValueError, match=r"interpolate: expected a 3-D \(N, C, L\) or 4-D"):
        F.interpolate(ember.randn(3, 3), size=4)
    with pytest.raises(ValueError, match=r"interpolate: size must have 2 entries"):
        F.interpolate(x, size=(1, 2, 3))
    with pytest.raises(ValueError, match=r"interpolate: scale_factor 0.1 gives an empty output"):
        F.interpolate(x, scale_factor=0.1)


def test_interpolate_recompute_with_size_raises():
    with pytest.raises(ValueError, match=r"interpolate: recompute_scale_factor is not meaningful"):
        F.interpolate(ember.randn(1, 1, 3, 3), size=4, recompute_scale_factor=True)


def test_upsample_module():
    x = np.random.default_rng(8).normal(size=(1, 2, 3, 3)).astype(np.float32)
    for kw in (
        {"scale_factor": 2},
        {"size": (4, 5), "mode": "bilinear"},
        {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
    ):
        m, mt = nn.Upsample(**kw), torch.nn.Upsample(**kw)
        assert repr(m) == repr(mt)
        np.testing.assert_allclose(m(_t(x)).numpy(), mt(_tt(x)).numpy(), rtol=1e-6, atol=1e-6)


def test_dropout2d_zeroes_whole_channels_with_rate_p():
    x = ember.ones(200, 50, 3, 4)
    y = F.dropout2d(x, 0.3, training=True).numpy()
    per_channel = y.reshape(200, 50, -1)
    # Every channel is all-zero or all 1/(1-p).
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert set(np.unique(per_channel)) <= {0.0, np.float32(1 / 0.7)}
    rate = (per_channel[:, :, 0] == 0).mean()
    assert abs(rate - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 10000)
    assert abs(y.mean() - 1.0) < 0.05
    # Gradient is the same mask.
    xe = ember.randn(4, 6, 2, 2, requires_grad=True)
    ye = F.dropout2d(xe, 0.5)
    ye.sum().backward()
    mask = ye.detach().numpy() / xe.detach().numpy()
    np.testing.assert_allclose(xe.grad.numpy(), mask, rtol=1e-5)


def test_dropout2d_eval_p0_p1_3d_determinism_and_errors():
    x = ember.randn(2, 3, 4, 4)
    np.testing.assert_array_equal(F.dropout2d(x, 0.5, training=False).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout2d(x, 1.0).numpy(), 0)
    np.testing.assert_array_equal(F.dropout2d(x, 0.0).numpy(), x.numpy())
    y3 = F.dropout2d(ember.ones(50, 8, 6), 0.5).numpy()
    assert np.all(y3.min(-1) == y3.max(-1))
    ember.manual_seed(5)
    a = F.dropout2d(x, 0.5).numpy()
    ember.manual_seed(5)
    b = F.dropout2d(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    m = nn.Dropout2d(0.25)
    assert repr(m) == repr(torch.nn.Dropout2d(0.25)) == "Dropout2d(p=0.25, inplace=False)"
    np.testing.assert_array_equal(m.eval()(x).numpy(), x.numpy())
    with pytest.raises(
        ValueError, match=r"dropout2d: probability has to be between 0 and 1, but got 1.5"
    ):
        F.dropout2d(x, 1.5)
    with pytest.raises(ValueError, match=r"dropout2d: expected a 4-D \(N, C, H, W\) input"):
        F.dropout2d(ember.randn(3, 4), 0.5)
    with pytest.raises(ValueError, match=r"dropout probability has to be between 0 and 1"):
        nn.Dropout2d(-0.1)


def test_ops_accept_non_contiguous_inputs():
    base = ember.randn(2, 3, 6, 5)
    x = base.transpose(2, 3)  # (2, 3, 5, 6), non-contiguous
    xc = x.contiguous()
    assert not x.is_contiguous()
    cases = [
        lambda a: F.pad(a, (1, 2, 2, 1), "reflect"),
        lambda a: F.pad(a, (1, 2, -1, 1), value=3.0),
        lambda a: F.interpolate(a, size=(7, 4), mode="bilinear"),
        lambda a: F.interpolate(a, scale_factor=2),
        lambda a: F.batch_norm(a, None, None, training=True),
        lambda a: F.group_norm(a, 3),
    ]
    for f in cases:
        np.testing.assert_array_equal(f(x).numpy(), f(xc).numpy())


def test_pad_docstring_example():
    assert F.pad(ember.ones(1, 2), (1, 0), value=5.0).tolist() == [[5.0, 1.0, 1.0]]
