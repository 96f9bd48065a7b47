"""batch_norm / group_norm ops and the BatchNorm1d/2d, GroupNorm modules."""

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


def np_batch_norm(x, rm, rv, w, b, training, momentum, eps):
    """Naive per-channel loops."""
    C = x.shape[1]
    y = np.empty_like(x)
    rm = None if rm is None else rm.copy()
    rv = None if rv is None else rv.copy()
    for c in range(C):
        xc = x[:, c]
        if training:
            m = xc.mean()
            v = ((xc - m) ** 2).mean()
            if rm is not None:
                n = xc.size
                rm[c] = (1 - momentum) * rm[c] + momentum * m
                rv[c] = (1 - momentum) * rv[c] + momentum * v * n / (n - 1)
        else:
            m, v = rm[c], rv[c]
        yc = (xc - m) / np.sqrt(v + eps)
        if w is not None:
            yc = yc * w[c]
        if b is not None:
            yc = yc + b[c]
        y[:, c] = yc
    return y, rm, rv


def np_group_norm(x, G, w, b, eps):
    N, C = x.shape[:2]
    y = np.empty_like(x)
    cpg = C // G
    for n in range(N):
        for g in range(G):
            blk = x[n, g * cpg : (g + 1) * cpg]
            m = blk.mean()
            v = ((blk - m) ** 2).mean()
            y[n, g * cpg : (g + 1) * cpg] = (blk - m) / np.sqrt(v + eps)
    shape = (1, C) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


SHAPES = [(4, 3), (3, 2, 5), (2, 3, 4, 5), (5, 1, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_numpy_and_torch(shape, training, affine):
    rng = np.random.default_rng(1)
    C = shape[1]
    x = rng.normal(2.0, 3.0, shape)
    rm0 = rng.normal(size=C)
    rv0 = rng.uniform(0.5, 2.0, C)
    w = rng.normal(size=C) if affine else None
    b = rng.normal(size=C) if affine else None
    ref, rm_ref, rv_ref = np_batch_norm(x, rm0, rv0, w, b, training, 0.3, 1e-5)

    for dt, tol in ((np.float64, 1e-10), (np.float32, 1e-5)):
        xe = _t(x.astype(dt), True)
        rme, rve = _t(rm0.astype(dt)), _t(rv0.astype(dt))
        we = _t(w.astype(dt), True) if affine else None
        be = _t(b.astype(dt), True) if affine else None
        y = F.batch_norm(xe, rme, rve, we, be, training, 0.3, 1e-5)
        assert y.dtype == xe.dtype and tuple(y.shape) == shape
        np.testing.assert_allclose(y.detach().numpy(), ref, rtol=tol * 10, atol=tol * 10)
        np.testing.assert_allclose(rme.numpy(), rm_ref, rtol=tol, atol=tol)
        np.testing.assert_allclose(rve.numpy(), rv_ref, rtol=tol, atol=tol)

        xt = _tt(x.astype(dt), True)
        rmt, rvt = _tt(rm0.astype(dt)), _tt(rv0.astype(dt))
        wt = _tt(w.astype(dt), True) if affine else None
        bt = _tt(b.astype(dt), True) if affine else None
        yt = torch.nn.functional.batch_norm(xt, rmt, rvt, wt, bt, training, 0.3, 1e-5)
        g = rng.normal(size=shape).astype(dt)
        y.backward(_t(g))
        yt.backward(_tt(g))
        np.testing.assert_allclose(
            y.detach().numpy(), yt.detach().numpy(), rtol=tol * 10, atol=tol * 10
        )
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=tol * 100, atol=tol * 100)
        if affine:
            np.testing.assert_allclose(
                we.grad.numpy(), wt.grad.numpy(), rtol=tol * 100, atol=tol * 100
            )
            np.testing.assert_allclose(
                be.grad.numpy(), bt.grad.numpy(), rtol=tol * 10, atol=tol * 10
            )


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_and_double_backward(training):
    rng = np.random.default_rng(2)
    x = _t(rng.normal(size=(3, 2, 3)), True)
    w = _t(rng.normal(size=2), True)
    b = _t(rng.normal(size=2), True)
    rm, rv = _t(rng.normal(size=2)), _t(rng.uniform(0.5, 2, 2))

    def f(x, w, b):
        return F.batch_norm(x, rm.clone(), rv.clone(), w, b, training, 0.1, 1e-3)

    assert gradcheck(f, (x, w, b))
    # Second order: d/dx of sum(grad_x ** 2) against torch.
    y = f(x, w, b)
    (gx,) = ember.autograd.grad((y * y * y).sum(), [x], create_graph=True)
    (ggx,) = ember.autograd.grad((gx * gx).sum(), [x])
    xt = _tt(x.detach().numpy(), True)
    yt = torch.nn.functional.batch_norm(
        xt,
        _tt(rm.numpy()),
        _tt(rv.numpy()),
        _tt(w.detach().numpy()),
        _tt(b.detach().numpy()),
        training,
        0.1,
        1e-3,
    )
    (gxt,) = torch.autograd.grad((yt * yt * yt).sum(), [xt], create_graph=True)
    (ggxt,) = torch.autograd.grad((gxt * gxt).sum(), [xt])
    np.testing.assert_allclose(gx.detach().numpy(), gxt.detach().numpy(), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(ggx.numpy(), ggxt.numpy(), rtol=1e-7, atol=1e-8)


def test_batch_norm_grad_fn_name_and_no_running_stats():
    x = ember.randn(4, 3, requires_grad=True)
    y = F.batch_norm(x, None, None, training=True)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    np.testing.assert_allclose(y.detach().numpy().mean(0), 0, atol=1e-6)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize(
    "cls,shape",
    [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 5))],
)
def test_batchnorm_module_running_stats_match_torch(cls, shape, momentum):
    rng = np.random.default_rng(3)
    m = getattr(nn, cls)(3, momentum=momentum)
    mt = getattr(torch.nn, cls)(3, momentum=momentum)
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    optt = torch.optim.SGD(mt.parameters(), lr=0.1)
    for step in range(5):
        x = rng.normal(step, 1 + step, shape).astype(np.float32)
        target = rng.normal(size=shape).astype(np.float32)
        y = m(_t(x))
        yt = mt(_tt(x))
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
        (y * _t(target)).sum().backward()
        (yt * _tt(target)).sum().backward()
        opt.step()
        optt.step()
        opt.zero_grad()
        optt.zero_grad()
    np.testing.assert_allclose(
        m.running_mean.numpy(), mt.running_mean.numpy(), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(m.running_var.numpy(), mt.running_var.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        m.weight.detach().numpy(), mt.weight.detach().numpy(), rtol=1e-4, atol=1e-5
    )
    assert m.num_batches_tracked.item() == 5 == mt.num_batches_tracked.item()
    assert m.num_batches_tracked.dtype == ember.int64
    # Eval uses the running statistics and leaves them alone.
    m.eval()
    mt.eval()
    x = rng.normal(size=shape).astype(np.float32)
    np.testing.assert_allclose(
        m(_t(x)).detach().numpy(), mt(_tt(x)).detach().numpy(), rtol=1e-4, atol=1e-5
    )
    assert m.num_batches_tracked.item() == 5
    np.testing.assert_allclose(
        m.running_mean.numpy(), mt.running_mean.numpy(), rtol=1e-5, atol=1e-6
    )


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    m = nn.BatchNorm2d(2, track_running_stats=False, affine=False).eval()
    x = ember.randn(3, 2, 4, 4) * 5 + 3
    y = m(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert m.running_mean is None and m.num_batches_tracked is None
    assert list(m.state_dict()) == []


def test_batchnorm_init_repr_state_dict():
    m = nn.BatchNorm2d(4)
    t = torch.nn.BatchNorm2d(4)
    assert (
        repr(m)
        == repr(t)
        == (
            "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
            "track_running_stats=True)"
        )
    )
    m2, t2 = nn.BatchNorm1d(3, bias=False), torch.nn.BatchNorm1d(3, bias=False)
    assert repr(m2) == repr(t2) and list(m2.state_dict()) == list(t2.state_dict())
    assert (
        list(m.state_dict())
        == list(t.state_dict())
        == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    )
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(4))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(4))
    np.testing.assert_array_equal(m.running_var.numpy(), np.ones(4))
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == repr(
        torch.nn.BatchNorm1d(3, momentum=None, affine=False)
    )
    # Loading a torch state dict (converted) round-trips.
    t.running_mean.fill_(0.5)
    t.num_batches_tracked.fill_(7)
    m.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    np.testing.assert_allclose(m.running_mean.numpy(), 0.5)
    assert m.num_batches_tracked.item() == 7
    m.double()
    assert m.running_mean.dtype == ember.float64 and m.num_batches_tracked.dtype == ember.int64


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 3D input"):
        nn.BatchNorm2d(3)(ember.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected input with 3 channels .*\(2, 4\)"):
        nn.BatchNorm1d(3)(ember.randn(2, 4))
    with pytest.raises(
        ValueError,
        match=r"batch_norm: running_mean of shape \(4,\) does not match "
        r"input of shape \(2, 3\); expected shape \(3\)",
    ):
        F.batch_norm(ember.randn(2, 3), ember.zeros(4), ember.ones(4))
    with pytest.raises(ValueError, match=r"batch_norm: expected more than 1 value per channel"):
        F.batch_norm(ember.randn(1, 3), ember.zeros(3), ember.ones(3), training=True)
    with pytest.raises(ValueError, match=r"batch_norm: running_mean and running_var are required"):
        F.batch_norm(ember.randn(2, 3), None, None, training=False)
    with pytest.raises(TypeError, match=r"batch_norm: expected input to have a floating dtype"):
        F.batch_norm(ember.ones(2, 3, dtype=ember.int64), ember.zeros(3), ember.ones(3))
    with pytest.raises(ValueError, match=r"batch_norm: expected input of shape \(N, C, \*\)"):
        F.batch_norm(ember.randn(3), ember.zeros(3), ember.ones(3))
    with pytest.raises(ValueError, match=r"BatchNorm2d: momentum must be in \[0, 1\]"):
        nn.BatchNorm2d(3, momentum=2.0)


@pytest.mark.parametrize(
    "shape,G", [((2, 6, 4), 3), ((3, 4, 2, 3), 2), ((2, 4), 4), ((1, 3, 5), 1)]
)
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_numpy_and_torch(shape, G, affine):
    rng = np.random.default_rng(4)
    C = shape[1]
    x = rng.normal(1.0, 2.0, shape)
    w = rng.normal(size=C) if affine else None
    b = rng.normal(size=C) if affine else None
    ref = np_group_norm(x, G, w, b, 1e-5)
    for dt, tol in ((np.float64, 1e-9), (np.float32, 1e-4)):
        xe = _t(x.astype(dt), True)
        we = _t(w.astype(dt), True) if affine else None
        be = _t(b.astype(dt), True) if affine else None
        y = F.group_norm(xe, G, we, be)
        np.testing.assert_allclose(y.detach().numpy(), ref, rtol=tol, atol=tol)
        xt = _tt(x.astype(dt), True)
        wt = _tt(w.astype(dt), True) if affine else None
        bt = _tt(b.astype(dt), True) if affine else None
        yt = torch.nn.functional.group_norm(xt, G, wt, bt)
        g = rng.normal(size=shape).astype(dt)
        y.backward(_t(g))
        yt.backward(_tt(g))
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=tol * 10, atol=tol * 10)
        if affine:
            np.testing.assert_allclose(
                we.grad.numpy(), wt.grad.numpy(), rtol=tol * 10, atol=tol * 10
            )
            np.testing.assert_allclose(
                be.grad.numpy(), bt.grad.numpy(), rtol=tol * 10, atol=tol * 10
            )


def test_group_norm_gradcheck_module_and_errors():
    rng = np.random.default_rng(5)
    x = _t(rng.normal(size=(2, 4, 3)), True)
    w = _t(rng.normal(size=4), True)
    b = _t(rng.normal(size=4), True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    m = nn.GroupNorm(2, 4)
    assert (
        repr(m)
        == repr(torch.nn.GroupNorm(2, 4))
        == ("GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)")
    )
    assert list(m.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(4))
    with pytest.raises(
        ValueError,
        match=r"GroupNorm: num_channels \(6\) must be divisible by "
        r"num_groups \(4\)",
    ):
        nn.GroupNorm(4, 6)
    with pytest.raises(
        ValueError,
        match=r"group_norm: the number of channels of input of shape "
        r"\(2, 6, 4\) \(6\) must be divisible by num_groups \(4\)",
    ):
        F.group_norm(ember.randn(2, 6, 4), 4)
    with pytest.raises(ValueError, match=r"GroupNorm: expected input of shape \(N, 4, \*\)"):
        m(ember.randn(2, 3, 5))


def test_group_norm_double_backward_matches_torch():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 4, 3))
    w = rng.normal(size=4)
    b = rng.normal(size=4)
    xe, we = _t(x, True), _t(w, True)
    xt, wt = _tt(x, True), _tt(w, True)
    ye = F.group_norm(xe, 2, we, _t(b))
    yt = torch.nn.functional.group_norm(xt, 2, wt, _tt(b))
    ge = ember.autograd.grad((ye * ye * ye).sum(), [xe, we], create_graph=True)
    gt = torch.autograd.grad((yt * yt * yt).sum(), [xt, wt], create_graph=True)
    for a, c in zip(ge, gt):
        np.testing.assert_allclose(a.detach().numpy(), c.detach().numpy(), rtol=1e-8, atol=1e-9)
    gge = ember.autograd.grad((ge[0] * ge[0]).sum() + (ge[1] * ge[1]).sum(), [xe, we])
    ggt = torch.autograd.grad((gt[0] * gt[0]).sum() + (gt[1] * gt[1]).sum(), [xt, wt])
    for a, c in zip(gge, ggt):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-7, atol=1e-8)
