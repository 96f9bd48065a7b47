"""Conv3d, ConvTranspose3d, the 3-D and LP pools, Fold/Unfold vs torch: values (float32 and
float64), float64 gradients of inputs and parameters, state_dict keys, init, ember.jit traces,
errors; and the exports and docstring examples of every module and function of this wave."""

from __future__ import annotations

import doctest
import math

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit, nn
from ember.autograd import gradcheck

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}


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


def assert_module_matches(e_mod, t_mod, x, dtype):
    """Same parameters, then output, input gradient and parameter gradients vs torch."""
    if dtype == np.float64:
        e_mod.double()
        t_mod.double()
    copy_state(e_mod, t_mod)
    e, t = leaf_pair(x.astype(dtype))
    eo, to = e_mod(e), t_mod(t)
    assert_close(eo, to, dtype)
    backward_both(eo, to)
    assert_close(e.grad, t.grad, dtype)
    ep = dict(e_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        assert_close(ep[name].grad, p.grad, dtype)


DTYPES = [np.float32, np.float64]


# ---- Conv3d ------------------------------------------------------------------------------

CONV3D = [
    {"in_channels": 2, "out_channels": 3, "kernel_size": 3},
    {
        "in_channels": 4,
        "out_channels": 6,
        "kernel_size": (3, 2, 3),
        "stride": (2, 1, 3),
        "padding": (1, 0, 2),
        "dilation": (2, 1, 1),
        "groups": 2,
    },
    {"in_channels": 3, "out_channels": 3, "kernel_size": (1, 3, 2), "groups": 3, "bias": False},
    {
        "in_channels": 2,
        "out_channels": 4,
        "kernel_size": (2, 3, 4),
        "padding": "same",
        "dilation": (1, 2, 1),
    },
    {"in_channels": 2, "out_channels": 2, "kernel_size": 2, "padding": "valid", "stride": 2},
    {
        "in_channels": 1,
        "out_channels": 2,
        "kernel_size": (3, 1, 1),
        "padding": (2, 1, 0),
        "dilation": (3, 1, 2),
    },
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", range(len(CONV3D)))
def test_conv3d_matches_torch_values_and_gradients(cfg, dtype):
    kw = CONV3D[cfg]
    e_mod, t_mod = nn.Conv3d(**kw), tnn.Conv3d(**kw)
    assert repr(e_mod) == repr(t_mod)
    x = np.random.randn(2, kw["in_channels"], 5, 7, 6)
    assert_module_matches(e_mod, t_mod, x, dtype)


@pytest.mark.parametrize("shape", [(1, 2, 3, 4, 5), (2, 3, 4, 5)])
def test_conv3d_batch_of_one_and_unbatched(shape):
    c = shape[-4]
    e_mod, t_mod = nn.Conv3d(c, 3, 2, padding=1), tnn.Conv3d(c, 3, 2, padding=1)
    assert_module_matches(e_mod, t_mod, np.random.randn(*shape), np.float64)


def test_conv3d_state_dict_keys_and_shapes_equal_torch():
    e_mod, t_mod = nn.Conv3d(4, 6, (3, 2, 1), groups=2), tnn.Conv3d(4, 6, (3, 2, 1), groups=2)
    e_sd, t_sd = e_mod.state_dict(), t_mod.state_dict()
    assert list(e_sd) == list(t_sd)
    for k in t_sd:
        assert tuple(e_sd[k].shape) == tuple(t_sd[k].shape)


def test_conv3d_init_is_uniform_in_the_fan_in_bound():
    m = nn.Conv3d(8, 64, 3)
    bound = 1 / math.sqrt(8 * 27)
    w, b = to_np(m.weight), to_np(m.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.05)
    assert abs(w.mean()) < 0.05 * bound


def test_conv3d_gradcheck_float64():
    x = ember.randn(1, 2, 3, 4, 3, dtype=ember.float64, requires_grad=True)
    w = ember.randn(2, 1, 2, 2, 2, dtype=ember.float64, requires_grad=True)
    b = ember.randn(2, dtype=ember.float64, requires_grad=True)
    assert gradcheck(
        lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1, groups=2), (x, w, b)
    )


def test_conv3d_functional_same_padding_with_even_kernel_matches_torch():
    x, w = np.random.randn(2, 3, 4, 5, 6), np.random.randn(2, 3, 2, 4, 3)
    assert_close(
        F.conv3d(e_of(x), e_of(w), padding="same", dilation=(1, 1, 2)),
        TF.conv3d(torch.tensor(x), torch.tensor(w), padding="same", dilation=(1, 1, 2)),
    )


def test_conv3d_errors_name_the_op_and_shapes():
    w = ember.randn(4, 2, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv3d: expected a 4-D .* got shape \(2, 3, 4\)"):
        F.conv3d(ember.randn(2, 3, 4), w)
    with pytest.raises(ValueError, match=r"conv3d: input has 3 channels .* weight.shape\[1\]"):
        F.conv3d(ember.randn(1, 3, 4, 4, 4), w)
    with pytest.raises(ValueError, match=r"conv3d: padding='same' is not supported for strided"):
        F.conv3d(ember.randn(1, 2, 4, 4, 4), w, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv3d: the dilated kernel depth \(3\) is larger"):
        F.conv3d(ember.randn(1, 2, 2, 4, 4), w)
    with pytest.raises(TypeError, match=r"conv3d: input float64, weight float32"):
        F.conv3d(ember.randn(1, 2, 4, 4, 4, dtype=ember.float64), w)
    with pytest.raises(ValueError, match=r"conv3d: bias must have shape \(4,\), got \(3,\)"):
        F.conv3d(ember.randn(1, 2, 4, 4, 4), w, ember.randn(3))
    with pytest.raises(ValueError, match=r"Conv3d: in_channels \(3\) must be divisible by groups"):
        nn.Conv3d(3, 4, 2, groups=2)


# ---- ConvTranspose3d ---------------------------------------------------------------------

CONVT3D = [
    {"in_channels": 2, "out_channels": 3, "kernel_size": 3},
    {
        "in_channels": 4,
        "out_channels": 6,
        "kernel_size": (3, 2, 3),
        "stride": (2, 1, 3),
        "padding": (1, 0, 2),
        "output_padding": (1, 0, 2),
        "dilation": (2, 1, 1),
        "groups": 2,
    },
    {
        "in_channels": 3,
        "out_channels": 3,
        "kernel_size": (2, 1, 2),
        "stride": 2,
        "groups": 3,
        "bias": False,
    },
    {
        "in_channels": 2,
        "out_channels": 2,
        "kernel_size": 2,
        "stride": 3,
        "padding": 1,
        "output_padding": 2,
    },
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", range(len(CONVT3D)))
def test_conv_transpose3d_matches_torch_values_and_gradients(cfg, dtype):
    kw = CONVT3D[cfg]
    e_mod, t_mod = nn.ConvTranspose3d(**kw), tnn.ConvTranspose3d(**kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    x = np.random.randn(2, kw["in_channels"], 3, 4, 5)
    assert_module_matches(e_mod, t_mod, x, dtype)


def test_conv_transpose3d_unbatched_and_output_size():
    e_mod, t_mod = nn.ConvTranspose3d(2, 3, 3, stride=2), tnn.ConvTranspose3d(2, 3, 3, stride=2)
    copy_state(e_mod, t_mod)
    x = np.random.randn(2, 3, 4, 2).astype(np.float32)
    assert_close(
        e_mod(e_of(x), output_size=(8, 9, 6)),
        t_mod(torch.tensor(x), output_size=(8, 9, 6)),
        np.float32,
    )
    with pytest.raises(ValueError, match=r"ConvTranspose3d: requested output_size"):
        e_mod(e_of(x), output_size=(20, 9, 6))


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    # <conv3d(x, w), y> == <x, conv_transpose3d(y, w)>
    x, w = (
        ember.randn(2, 4, 5, 6, 7, dtype=ember.float64),
        ember.randn(6, 2, 3, 2, 3, dtype=ember.float64),
    )
    kw = {"stride": (2, 1, 2), "padding": (1, 1, 0), "dilation": (1, 2, 1), "groups": 2}
    y = F.conv3d(x, w, **kw)
    r = ember.randn(*y.shape, dtype=ember.float64)
    xt = F.conv_transpose3d(r, w, output_padding=(0, 0, 0), **kw)
    lhs = float((y * r).sum())
    rhs = float(
        (x.narrow(2, 0, xt.shape[2]).narrow(3, 0, xt.shape[3]).narrow(4, 0, xt.shape[4]) * xt).sum()
    )
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))


def test_conv_transpose3d_errors():
    w = ember.randn(2, 3, 2, 2, 2)
    with pytest.raises(
        ValueError, match=r"conv_transpose3d: input has 4 channels .* weight.shape\[0\] is 2"
    ):
        F.conv_transpose3d(ember.randn(1, 4, 2, 2, 2), w)
    with pytest.raises(
        ValueError, match=r"conv_transpose3d: output_padding \(2, 0, 0\) must be smaller"
    ):
        F.conv_transpose3d(ember.randn(1, 2, 2, 2, 2), w, stride=2, output_padding=(2, 0, 0))


# ---- pooling -----------------------------------------------------------------------------

POOL3D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2, 2), "stride": (2, 1, 2), "padding": (1, 1, 0), "ceil_mode": True},
    {"kernel_size": (2, 3, 1), "stride": 1},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", range(len(POOL3D)))
def test_max_pool3d_matches_torch_values_indices_and_gradients(cfg, dtype):
    kw = dict(POOL3D[cfg])
    if cfg == 2:
        kw["dilation"] = (2, 1, 2)
    x = np.random.randn(2, 3, 7, 6, 5).astype(dtype)
    e, t = leaf_pair(x)
    (eo, ei), (to, ti) = (
        F.max_pool3d(e, return_indices=True, **kw),
        TF.max_pool3d(t, return_indices=True, **kw),
    )
    assert_close(eo, to, dtype)
    np.testing.assert_array_equal(to_np(ei), ti.numpy())
    backward_both(eo, to)
    assert_close(e.grad, t.grad, dtype)
    assert repr(nn.MaxPool3d(**kw)) == repr(tnn.MaxPool3d(**kw))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", range(len(POOL3D)))
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 5])
def test_avg_pool3d_matches_torch(cfg, dtype, count_include_pad, divisor_override):
    kw = dict(POOL3D[cfg], count_include_pad=count_include_pad, divisor_override=divisor_override)
    e_mod, t_mod = nn.AvgPool3d(**kw), tnn.AvgPool3d(**kw)
    assert repr(e_mod) == repr(t_mod)
    x = np.random.randn(2, 3, 7, 6, 5)
    assert_module_matches(e_mod, t_mod, x, dtype)


@pytest.mark.parametrize("output_size", [1, 3, (2, None, 4), (5, 3, 2), (7, 6, 5)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_pool3d_matches_torch(output_size, dtype):
    x = np.random.randn(2, 3, 7, 6, 5)
    assert_module_matches(nn.AdaptiveAvgPool3d(output_size), tnn.AdaptiveAvgPool3d(output_size), x, dtype)
    assert_module_matches(nn.AdaptiveMaxPool3d(output_size), tnn.AdaptiveMaxPool3d(output_size), x, dtype)
    _, ei = nn.AdaptiveMaxPool3d(output_size, return_indices=True)(e_of(x))
    _, ti = tnn.AdaptiveMaxPool3d(output_size, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(to_np(ei), ti.numpy())
    assert repr(nn.AdaptiveAvgPool3d(output_size)) == repr(tnn.AdaptiveAvgPool3d(output_size))


def test_pool3d_unbatched_input():
    x = np.random.randn(3, 5, 4, 6)
    assert_close(F.max_pool3d(e_of(x), 2), TF.max_pool3d(torch.tensor(x), 2))
    assert_close(F.avg_pool3d(e_of(x), 2, 1, 1), TF.avg_pool3d(torch.tensor(x), 2, 1, 1))
    assert_close(F.adaptive_avg_pool3d(e_of(x), 2), TF.adaptive_avg_pool3d(torch.tensor(x), 2))


def test_pool3d_errors():
    with pytest.raises(ValueError, match=r"max_pool3d: padding \(2, 2, 2\) must be at most half"):
        F.max_pool3d(ember.randn(1, 1, 4, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool3d: the output size .* is too small"):
        F.avg_pool3d(ember.randn(1, 1, 1, 4, 4), (2, 2, 2))
    with pytest.raises(
        ValueError, match=r"adaptive_max_pool3d: expected a 4-D .* got shape \(2, 3\)"
    ):
        F.adaptive_max_pool3d(ember.randn(2, 3), 1)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool3d: output_size must be positive"):
        F.adaptive_avg_pool3d(ember.randn(1, 1, 2, 2, 2), 0)


LP = [
    ("LPPool1d", 2, 3, None, (2, 3, 8)),
    ("LPPool1d", 1.5, 2, 1, (2, 3, 7)),
    ("LPPool2d", 2, 2, None, (2, 3, 6, 5)),
    ("LPPool2d", 3, (3, 2), (2, 1), (2, 3, 7, 5)),
    ("LPPool3d", 2, 2, None, (1, 2, 4, 5, 4)),
    ("LPPool2d", float("inf"), 2, None, (2, 3, 6, 5)),
]


@pytest.mark.parametrize("case", LP, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in LP])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_lp_pool_matches_torch(case, ceil_mode):
    name, p, k, s, shape = case
    e_mod, t_mod = getattr(nn, name)(p, k, s, ceil_mode), getattr(tnn, name)(p, k, s, ceil_mode)
    assert repr(e_mod) == repr(t_mod)
    x = np.abs(np.random.randn(*shape)) + 0.1  # positive: a real power of a negative is NaN
    assert_module_matches(e_mod, t_mod, x, np.float64)


# ---- Fold / Unfold -----------------------------------------------------------------------

FOLD = [
    {"kernel_size": 2},
    {"kernel_size": (3, 2), "dilation": (1, 2), "padding": 1, "stride": (2, 1)},
    {"kernel_size": 3, "stride": 3},
    {"kernel_size": (1, 4), "padding": (2, 0), "stride": (1, 2), "dilation": (2, 1)},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", range(len(FOLD)))
def test_unfold_and_fold_match_torch(cfg, dtype):
    kw = FOLD[cfg]
    x = np.random.randn(2, 3, 8, 9)
    e_mod, t_mod = nn.Unfold(**kw), tnn.Unfold(**kw)
    assert repr(e_mod) == repr(t_mod)
    assert_module_matches(e_mod, t_mod, x, dtype)
    cols = to_np(e_mod(e_of(x)))
    e_fold, t_fold = nn.Fold((8, 9), **kw), tnn.Fold((8, 9), **kw)
    assert repr(e_fold) == repr(t_fold)
    assert_module_matches(e_fold, t_fold, cols, dtype)


def test_unfold_fold_unbatched_and_batch_of_one():
    x = np.random.randn(3, 5, 4)
    assert_close(F.unfold(e_of(x), 2, padding=1), TF.unfold(torch.tensor(x), 2, padding=1))
    cols = np.random.randn(1, 12, 30)
    assert_close(
        F.fold(e_of(cols), (5, 4), 2, padding=1), TF.fold(torch.tensor(cols), (5, 4), 2, padding=1)
    )
    assert_close(
        F.fold(e_of(cols[0]), (5, 4), 2, padding=1),
        TF.fold(torch.tensor(cols[0]), (5, 4), 2, padding=1),
    )


def test_unfold_copies_inf_and_nan_exactly():
    x = np.random.randn(1, 1, 3, 3)
    x[0, 0, 1, 1], x[0, 0, 0, 2] = np.inf, np.nan
    got, want = to_np(F.unfold(e_of(x), 2)), TF.unfold(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(got, want)


def test_fold_is_the_adjoint_of_unfold():
    x = ember.randn(2, 3, 7, 6, dtype=ember.float64)
    kw = {"kernel_size": (2, 3), "dilation": (2, 1), "padding": (1, 2), "stride": (2, 2)}
    u = F.unfold(x, **kw)
    r = ember.randn(*u.shape, dtype=ember.float64)
    assert abs(float((u * r).sum()) - float((x * F.fold(r, (7, 6), **kw)).sum())) < 1e-9


def test_fold_unfold_errors():
    with pytest.raises(ValueError, match=r"fold: input.shape\[-2\] \(10\) must be divisible"):
        F.fold(ember.randn(1, 10, 4), 3, 2)
    with pytest.raises(ValueError, match=r"fold: input.shape\[-1\] \(5\) must equal the number of"):
        F.fold(ember.randn(1, 4, 5), 3, 2)
    with pytest.raises(ValueError, match=r"unfold: expected a 3-D .* got shape \(2, 3\)"):
        F.unfold(ember.randn(2, 3), 2)
    with pytest.raises(ValueError, match=r"unfold: no complete block fits"):
        F.unfold(ember.randn(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match=r"unfold: stride must be positive"):
        F.unfold(ember.randn(1, 1, 4, 4), 2, stride=0)


# ---- ember.jit -----------------------------------------------------------------------------

TRACED = {
    "conv3d": (
        lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1, groups=2),
        lambda: (ember.randn(2, 4, 4, 5, 4), ember.randn(6, 2, 3, 2, 3), ember.randn(6)),
    ),
    "conv3d_same": (
        lambda x, w: F.conv3d(x, w, padding="same"),
        lambda: (ember.randn(1, 2, 4, 5, 4), ember.randn(3, 2, 2, 3, 2)),
    ),
    "conv_transpose3d": (
        lambda x, w: F.conv_transpose3d(x, w, stride=2, padding=1, output_padding=1),
        lambda: (ember.randn(1, 2, 3, 3, 3), ember.randn(2, 3, 3, 3, 3)),
    ),
    "fold": (
        lambda c: F.fold(c, (5, 6), 2, padding=1, stride=(1, 2)),
        lambda: (ember.randn(2, 12, 24),),
    ),
    "unfold": (
        lambda x: F.unfold(x, (2, 3), dilation=2, padding=1),
        lambda: (ember.randn(2, 3, 5, 6),),
    ),
    "max_pool3d": (lambda x: F.max_pool3d(x, 2, 1, 1), lambda: (ember.randn(1, 2, 4, 4, 5),)),
    "avg_pool3d": (lambda x: F.avg_pool3d(x, 3, 2, 1), lambda: (ember.randn(1, 2, 5, 4, 5),)),
}


@pytest.mark.parametrize("name", sorted(TRACED))
def test_jit_trace_gives_the_eager_result_on_new_inputs(name):
    fn, make = TRACED[name]
    traced = jit.trace(fn, make())
    assert traced.graph.ops()
    for _ in range(2):
        args = make()
        np.testing.assert_allclose(to_np(traced(*args)), to_np(fn(*args)), rtol=1e-6, atol=1e-6)


def test_jit_traced_conv3d_module_trains_like_eager():
    model = nn.Sequential(nn.Conv3d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2))
    x = ember.randn(2, 2, 4, 4, 4)
    traced = jit.trace(model, x)
    x2 = ember.randn(2, 2, 4, 4, 4)
    np.testing.assert_allclose(to_np(traced(x2)), to_np(model(x2)), rtol=1e-6, atol=1e-6)
    traced(x2).sum().backward()
    g = to_np(model[0].weight.grad).copy()
    model.zero_grad()
    model(x2).sum().backward()
    np.testing.assert_allclose(g, to_np(model[0].weight.grad), rtol=1e-5, atol=1e-6)


# ---- exports and docstrings ----------------------------------------------------------------

NEW_FUNCTIONS = [
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "alpha_dropout",
    "avg_pool3d",
    "bilinear",
    "channel_shuffle",
    "conv3d",
    "ctc_loss",
    "conv_transpose3d",
    "dropout1d",
    "dropout3d",
    "embedding_bag",
    "feature_alpha_dropout",
    "fold",
    "gaussian_nll_loss",
    "hardshrink",
    "hinge_embedding_loss",
    "instance_norm",
    "local_response_norm",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "max_pool3d",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "poisson_nll_loss",
    "soft_margin_loss",
    "softmin",
    "softshrink",
    "tanhshrink",
    "threshold",
    "unfold",
]
NEW_MODULES = [
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d",
    "AlphaDropout",
    "AvgPool3d",
    "Bilinear",
    "CTCLoss",
    "ChannelShuffle",
    "Conv3d",
    "ConvTranspose3d",
    "Dropout1d",
    "Dropout3d",
    "EmbeddingBag",
    "FeatureAlphaDropout",
    "Fold",
    "GaussianNLLLoss",
    "Hardshrink",
    "HingeEmbeddingLoss",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "LocalResponseNorm",
    "MaxPool3d",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "PoissonNLLLoss",
    "SoftMarginLoss",
    "Softmax2d",
    "Softmin",
    "Softshrink",
    "Tanhshrink",
    "Threshold",
    "Transformer",
    "Unfold",
]


def test_new_names_are_exported_and_documented():
    import inspect

    for name in NEW_FUNCTIONS:
        assert name in F.__all__, name
        doc = getattr(F, name).__doc__
        assert "Example:" in doc and "Returns:" in doc and "Raises:" in doc, name
        assert hasattr(TF, name), name
        ours = list(inspect.signature(getattr(F, name)).parameters)
        theirs = (
            list(inspect.signature(getattr(TF, name)).parameters)
            if name
            not in (
                "bilinear",
                "conv3d",
                "conv_transpose3d",
                "softshrink",
                "hardshrink",
                "channel_shuffle",
                "avg_pool3d",
            )
            else None
        )
        if theirs is not None and "args" not in theirs:
            assert ours[: len(theirs)] == theirs, (name, ours, theirs)
    for name in NEW_MODULES:
        assert name in nn.__all__ and name in nn.modules.__all__, name
        doc = getattr(nn, name).__doc__
        assert "Example:" in doc and ("Shape:" in doc), name
        ours = [p for p in inspect.signature(getattr(nn, name).__init__).parameters]
        theirs = [p for p in inspect.signature(getattr(tnn, name).__init__).parameters]
        if "args" not in theirs:  # Module.__init__(*args, **kwargs): no constructor arguments
            assert ours == theirs, (name, ours, theirs)


def _doc_targets():
    from ember.nn import (
        _functional_activation_more,
        _functional_conv_more,
        _functional_layers,
        _functional_loss_more,
    )
    from ember.nn.modules import (
        activation_more,
        channelshuffle,
        conv,
        dropout,
        fold,
        instancenorm,
        linear,
        loss_more,
        normalization,
        pooling,
        sparse,
        transformer_model,
    )

    return [
        _functional_activation_more,
        _functional_conv_more,
        _functional_layers,
        _functional_loss_more,
        activation_more,
        channelshuffle,
        conv,
        dropout,
        fold,
        instancenorm,
        linear,
        loss_more,
        normalization,
        pooling,
        sparse,
        transformer_model,
    ]


@pytest.mark.parametrize("module", _doc_targets(), ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    globs = {"ember": ember, "nn": nn, "F": F}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = doctest.DocTestFinder().find(module, globs=globs)
    assert any(t.examples for t in tests)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
