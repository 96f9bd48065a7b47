"""Lazy modules, UninitializedParameter/UninitializedBuffer and nn.Buffer vs torch: reprs,
state_dict keys, materialized shapes, init distributions, forward and gradients after loading
torch's weights, load_state_dict into lazy modules, dtype conversion, errors."""

from __future__ import annotations

import copy
import math
import pickle

import ember
import numpy as np
import pytest
from ember import nn

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}


def e_of(a):
    return ember.tensor(np.array(a))


def assert_close(e, t, dtype=np.float64):
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **TOL[dtype])


def assert_uniform_init(t, bound):
    """Values of ``t`` look like draws from U(-bound, bound): inside the interval, mean and
    standard deviation within 6 standard errors of the uniform's."""
    a = to_np(t).ravel()
    n = a.size
    sd = bound / math.sqrt(3)
    assert np.all(np.abs(a) <= bound + 1e-7), (np.abs(a).max(), bound)
    assert abs(a.mean()) < 6 * sd / math.sqrt(n), (a.mean(), sd, n)
    assert abs(a.std() - sd) < 6 * sd / math.sqrt(n) + 1e-3 * sd, (a.std(), sd)


def load_from_torch(e_mod, t_mod):
    e_mod.load_state_dict({k: e_of(v.detach().numpy()) for k, v in t_mod.state_dict().items()})


LAZY_NAMES = [
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "UninitializedParameter",
    "UninitializedBuffer",
    "Buffer",
]


@pytest.mark.parametrize("name", LAZY_NAMES)
def test_lazy_names_exported_like_torch(name):
    assert hasattr(tnn, name)
    assert hasattr(nn, name)
    assert name in nn.__all__


def test_uninitialized_reprs_match_torch():
    assert repr(nn.UninitializedParameter()) == repr(tnn.UninitializedParameter())
    assert repr(nn.UninitializedBuffer()) == repr(tnn.UninitializedBuffer())
    assert isinstance(nn.UninitializedParameter(), nn.Parameter)
    assert not isinstance(nn.UninitializedBuffer(), nn.Parameter)
    assert nn.parameter.is_lazy(nn.UninitializedBuffer())
    assert not nn.parameter.is_lazy(nn.Parameter(ember.zeros(1)))


def test_lazy_linear_materializes_like_torch():
    e, t = nn.LazyLinear(200), tnn.LazyLinear(200)
    assert repr(e) == repr(t)
    assert e.has_uninitialized_params() and t.has_uninitialized_params()
    sd = e.state_dict()
    assert list(sd) == list(t.state_dict()) == ["weight", "bias"]
    assert all(type(v) is nn.UninitializedParameter for v in sd.values())
    x = np.random.RandomState(1).randn(3, 50)
    e(e_of(x).float())
    t(torch.tensor(x).float())
    assert type(e) is nn.Linear and type(t) is tnn.Linear
    assert repr(e) == repr(t) == "Linear(in_features=50, out_features=200, bias=True)"
    assert tuple(e.weight.shape) == tuple(t.weight.shape) == (200, 50)
    assert type(e.weight) is nn.Parameter and e.weight.requires_grad
    assert_uniform_init(e.weight, 1 / math.sqrt(50))
    assert_uniform_init(e.bias, 1 / math.sqrt(50))


def test_lazy_linear_forward_and_grads_match_torch_after_loading_weights():
    e, t = nn.LazyLinear(4).double(), tnn.LazyLinear(4).double()
    x = np.random.RandomState(2).randn(5, 3)
    e(e_of(x))
    t(torch.tensor(x))
    load_from_torch(e, t)
    xe, xt = e_of(x).requires_grad_(True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    assert_close(ye, yt)
    g = np.random.RandomState(3).randn(5, 4)
    ye.backward(e_of(g))
    yt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad)
    assert_close(e.weight.grad, t.weight.grad)
    assert_close(e.bias.grad, t.bias.grad)


CONV_CASES = [
    ("LazyConv1d", (4, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("LazyConv2d", (6, 3), {"groups": 2, "dilation": 2}, (2, 4, 9, 8)),
    ("LazyConv3d", (2, 2), {"bias": False}, (1, 3, 4, 5, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 2), {"groups": 2}, (2, 6, 4, 5)),
    ("LazyConvTranspose3d", (3, 2), {"padding": 1}, (1, 2, 3, 4, 3)),
    ("LazyConv2d", (5, 3), {}, (3, 6, 6)),  # unbatched
]


@pytest.mark.parametrize("name,args,kwargs,shape", CONV_CASES)
def test_lazy_conv_matches_torch(name, args, kwargs, shape):
    e = getattr(nn, name)(*args, **kwargs).double()
    t = getattr(tnn, name)(*args, **kwargs).double()
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    x = np.random.RandomState(4).randn(*shape)
    e(e_of(x))
    t(torch.tensor(x))
    eager = name.replace("Lazy", "")
    assert type(e) is getattr(nn, eager)
    assert repr(e) == repr(t)
    assert tuple(e.weight.shape) == tuple(t.weight.shape)
    fan_in = int(e.weight.shape[1]) * math.prod(e.kernel_size)
    assert np.abs(to_np(e.weight)).max() <= 1 / math.sqrt(fan_in) + 1e-12
    if e.bias is not None:
        assert np.abs(to_np(e.bias)).max() <= 1 / math.sqrt(fan_in) + 1e-12
    load_from_torch(e, t)
    xe, xt = e_of(x).requires_grad_(True), torch.tensor(x, requires_grad=True)
    ye, yt = e(xe), t(xt)
    assert_close(ye, yt)
    g = np.random.RandomState(5).randn(*tuple(yt.shape))
    ye.backward(e_of(g))
    yt.backward(torch.tensor(g))
    assert_close(xe.grad, xt.grad)
    assert_close(e.weight.grad, t.weight.grad)


def test_lazy_conv_init_distribution():
    m = nn.LazyConv2d(64, 3)
    m(ember.zeros(1, 16, 5, 5))
    assert repr(m) == "Conv2d(16, 64, kernel_size=(3, 3), stride=(1, 1))"
    bound = 1 / math.sqrt(16 * 9)
    assert_uniform_init(m.weight, bound)


def test_lazy_conv_bad_input_and_groups_raise():
    with pytest.raises(ValueError, match=r"LazyConv2d: expected 3D \(unbatched\) or 4D"):
        nn.LazyConv2d(4, 3)(ember.zeros(2, 3, 4, 5, 6))
    with pytest.raises(ValueError, match=r"in_channels \(3\) .* divisible by groups \(2\)"):
        nn.LazyConv2d(4, 3, groups=2)(ember.zeros(1, 3, 5, 5))
    with pytest.raises(ValueError, match=r"out_channels \(5\) must be divisible by groups \(2\)"):
        nn.LazyConv2d(5, 3, groups=2)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.LazyConv1d(5, -1)


NORM_CASES = [
    ("LazyBatchNorm1d", (4, 3)),
    ("LazyBatchNorm1d", (4, 3, 5)),
    ("LazyBatchNorm2d", (3, 2, 4, 4)),
    ("LazyBatchNorm3d", (2, 3, 2, 3, 3)),
    ("LazyInstanceNorm1d", (2, 3, 6)),
    ("LazyInstanceNorm2d", (2, 3, 4, 5)),
    ("LazyInstanceNorm3d", (2, 2, 3, 3, 4)),
]


@pytest.mark.parametrize("name,shape", NORM_CASES)
def test_lazy_norm_matches_torch(name, shape):
    e, t = getattr(nn, name)().double(), getattr(tnn, name)().double()
    assert repr(e) == repr(t)
    sd_e, sd_t = e.state_dict(), t.state_dict()
    assert list(sd_e) == list(sd_t)
    kinds = {k: type(v).__name__ for k, v in sd_e.items()}
    assert kinds == {
        "weight": "UninitializedParameter",
        "bias": "UninitializedParameter",
        "running_mean": "UninitializedBuffer",
        "running_var": "UninitializedBuffer",
        "num_batches_tracked": "Tensor",
    }
    x = np.random.RandomState(6).randn(*shape)
    ye, yt = e(e_of(x)), t(torch.tensor(x))
    assert_close(ye, yt)
    assert type(e).__name__ == type(t).__name__ == name.replace("Lazy", "")
    assert e.num_features == shape[1]
    assert list(e.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        assert_close(e.state_dict()[k], v)


def test_lazy_batchnorm_without_affine_or_stats_infers_num_features():
    e = nn.LazyBatchNorm1d(affine=False, track_running_stats=False)
    t = tnn.LazyBatchNorm1d(affine=False, track_running_stats=False)
    assert repr(e) == repr(t)
    assert not e.has_uninitialized_params()
    x = np.random.RandomState(7).randn(6, 3).astype(np.float32)
    assert_close(e(e_of(x)), t(torch.tensor(x)), np.float32)
    assert type(e) is nn.BatchNorm1d and e.num_features == 3


def test_lazy_instance_norm_unbatched_uses_channel_dim():
    m = nn.LazyInstanceNorm1d()
    y = m(ember.randn(3, 5))
    assert tuple(y.shape) == (3, 5) and m.num_features == 3
    assert tuple(m.weight.shape) == (3,)


def test_optimizer_before_dry_run_raises_clear_error():
    m = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    with pytest.raises(ValueError, match="dry run"):
        ember.optim.SGD(m.parameters(), lr=0.1)
    m(ember.randn(3, 5))
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    before = to_np(m[0].weight)
    m(ember.randn(3, 5)).sum().backward()
    opt.step()
    assert not np.allclose(to_np(m[0].weight), before)
    assert [tuple(p.shape) for p in m.parameters()] == [(4, 5), (4,), (2, 4), (2,)]


def test_uninitialized_use_raises_and_stale_placeholder_names_it():
    m = nn.LazyLinear(3)
    w = m.weight
    with pytest.raises(ValueError, match=r"UninitializedParameter\.shape: .*dry run"):
        _ = w.shape
    with pytest.raises(ValueError, match=r"__add__"):
        w + 1
    with pytest.raises(ValueError, match=r"UninitializedParameter\.sum"):
        w.sum()
    m(ember.ones(1, 2))
    assert m.weight is not w
    with pytest.raises(ValueError, match="was materialized"):
        w.numel()


def test_materialize_returns_new_tensor_of_requested_shape():
    p = nn.UninitializedParameter(dtype=ember.float64)
    q = p.materialize((2, 3))
    assert type(q) is nn.Parameter and tuple(q.shape) == (2, 3) and q.dtype == ember.float64
    assert q.requires_grad
    b = nn.UninitializedBuffer().materialize(4)
    assert type(b) is ember.Tensor and tuple(b.shape) == (4,) and not b.requires_grad


def test_load_state_dict_into_uninitialized_module_keeps_loaded_values():
    t = tnn.Linear(4, 3)
    e = nn.LazyLinear(3)
    result = e.load_state_dict({k: e_of(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert type(e) is nn.LazyLinear and not e.has_uninitialized_params()
    assert e.in_features == 4
    x = np.random.RandomState(8).randn(2, 4).astype(np.float32)
    assert_close(e(e_of(x)), t(torch.tensor(x)), np.float32)
    assert type(e) is nn.Linear
    assert_close(e.weight, t.weight, np.float32)


def test_nested_lazy_module_state_dict_roundtrip():
    a = nn.Sequential(nn.LazyConv2d(3, 3), nn.LazyBatchNorm2d())
    b = nn.Sequential(nn.LazyConv2d(3, 3), nn.LazyBatchNorm2d())
    assert list(a.state_dict()) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    a(ember.randn(2, 2, 5, 5))
    b.load_state_dict(a.state_dict())
    assert b[0].in_channels == 2 and b[1].num_features == 3
    x = ember.randn(2, 2, 5, 5)
    a.eval(), b.eval()
    np.testing.assert_array_equal(to_np(a(x)), to_np(b(x)))
    assert type(b[0]) is nn.Conv2d and type(b[1]) is nn.BatchNorm2d


def test_lazy_module_to_dtype_before_dry_run():
    m = nn.LazyLinear(2).double()
    assert type(m.weight) is nn.UninitializedParameter and m.weight.dtype == ember.float64
    m(ember.ones(1, 3, dtype=ember.float64))
    assert m.weight.dtype == ember.float64 and tuple(m.weight.shape) == (2, 3)
    bn = nn.LazyBatchNorm1d(dtype=ember.float64)
    assert bn.running_mean.dtype == ember.float64
    bn(ember.randn(4, 2, dtype=ember.float64))
    assert bn.running_var.dtype == ember.float64


def test_uninitialized_module_deepcopy_and_pickle():
    m = nn.LazyConv1d(2, 3)
    for c in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(c.weight) is nn.UninitializedParameter
        assert c.has_uninitialized_params()
        c(ember.ones(1, 4, 6))
        assert type(c) is nn.Conv1d and tuple(c.weight.shape) == (2, 4, 3)
    assert m.has_uninitialized_params()


def test_user_pre_hook_sees_materialized_parameters():
    m = nn.LazyLinear(2)
    seen = []
    m.register_forward_pre_hook(lambda mod, args: seen.append(tuple(mod.weight.shape)))
    m(ember.ones(1, 5))
    m(ember.ones(1, 5))
    assert seen == [(2, 5), (2, 5)]
    assert len(m._forward_pre_hooks) == 1


# ---- nn.Buffer -------------------------------------------------------------------------------


def test_buffer_assignment_registers_like_torch():
    class E(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Buffer(ember.zeros(2))
            self.b = nn.Buffer(ember.ones(3), persistent=False)
            self.c = ember.zeros(1)  # a plain tensor is not registered

    class T(tnn.Module):
        def __init__(self):
            super().__init__()
            self.a = tnn.Buffer(torch.zeros(2))
            self.b = tnn.Buffer(torch.ones(3), persistent=False)
            self.c = torch.zeros(1)

    e, t = E(), T()
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()] == ["a", "b"]
    assert list(e.state_dict()) == list(t.state_dict()) == ["a"]
    e.b = nn.Buffer(ember.ones(3))  # re-registered as persistent
    t.b = tnn.Buffer(torch.ones(3))
    assert list(e.state_dict()) == list(t.state_dict()) == ["a", "b"]
    e.a = ember.full((2,), 5.0)  # a plain tensor replaces an existing buffer
    assert to_np(e.state_dict()["a"]).tolist() == [5.0, 5.0]


def test_buffer_keeps_memory_and_requires_grad():
    base = ember.zeros(2, requires_grad=True)
    b = nn.Buffer(base)
    assert b.requires_grad and b.persistent
    tb = tnn.Buffer(torch.zeros(2, requires_grad=True))
    assert tb.requires_grad
    m = nn.Module()
    m.x = b
    assert m.x is b
    with ember.no_grad():
        m.x.add_(1)
    assert to_np(base).tolist() == [1.0, 1.0]
    c = copy.deepcopy(m)
    assert type(c.x) is nn.Buffer and c.x.persistent and "x" in dict(c.named_buffers())


def test_buffer_errors():
    class Early(nn.Module):
        def __init__(self):
            self.x = nn.Buffer(ember.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    m = nn.Module()
    m.y = 3
    with pytest.raises(KeyError, match="attribute 'y' already exists"):
        m.y = nn.Buffer(ember.zeros(1))
    m.p = nn.Parameter(ember.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'Buffer' as parameter 'p'"):
        m.p = nn.Buffer(ember.zeros(1))
    with pytest.raises(TypeError, match="Buffer: data must be a Tensor"):
        nn.Buffer([1.0])


def test_failed_initialization_keeps_module_lazy():
    m = nn.LazyConv2d(4, 3, groups=2)
    with pytest.raises(ValueError, match="divisible by groups"):
        m(ember.zeros(1, 3, 5, 5))
    assert type(m) is nn.LazyConv2d and m.has_uninitialized_params() and m.in_channels == 0
    with pytest.raises(ValueError, match="dry run"):  # the placeholder's own message again
        m.weight.numel()
    m(ember.zeros(1, 4, 5, 5))
    assert type(m) is nn.Conv2d and tuple(m.weight.shape) == (4, 2, 3, 3)


def test_jit_trace_needs_a_dry_run_first():
    m = nn.Sequential(nn.LazyLinear(4), nn.ReLU())
    x = ember.randn(3, 5)
    with pytest.raises(RuntimeError, match="cannot infer its parameters while ember.jit traces"):
        ember.jit.trace(m, (x,))
    assert m[0].has_uninitialized_params()
    m(x)
    traced = ember.jit.trace(m, (x,))
    np.testing.assert_allclose(to_np(traced(x)), to_np(m(x)), rtol=1e-6, atol=1e-7)


def test_uninitialized_buffer_is_a_buffer_like_torch():
    assert isinstance(tnn.UninitializedBuffer(), tnn.Buffer)
    b = nn.UninitializedBuffer(persistent=False)
    assert isinstance(b, nn.Buffer) and b.persistent is False
    m, t = nn.Module(), tnn.Module()
    m.y = b
    t.y = tnn.UninitializedBuffer(persistent=False)
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()] == ["y"]
    assert list(m.state_dict()) == list(t.state_dict()) == []
    for c in (copy.deepcopy(b), pickle.loads(pickle.dumps(b)), b.double()):
        assert type(c) is nn.UninitializedBuffer and c.persistent is False


def test_failed_load_leaves_lazy_module_uninitialized():
    m = nn.Sequential(nn.LazyLinear(3), nn.Linear(3, 2))
    good = {"0.weight": ember.zeros(3, 4), "0.bias": ember.zeros(3)}
    with pytest.raises(RuntimeError, match=r"size mismatch for 1.weight"):
        m.load_state_dict({**good, "1.weight": ember.zeros(5, 5), "1.bias": ember.zeros(2)})
    assert m[0].has_uninitialized_params() and m[0].in_features == 0
    assert type(m[0].weight) is nn.UninitializedParameter
    m.load_state_dict({**good, "1.weight": ember.ones(2, 3), "1.bias": ember.zeros(2)})
    assert m[0].in_features == 4 and to_np(m[0].weight).tolist() == [[0.0] * 4] * 3
