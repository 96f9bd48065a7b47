"""F.max_unpool1d/2d/3d, nn.MaxUnpool1d/2d/3d and nn.BatchNorm3d against PyTorch."""

from __future__ import annotations

import doctest

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn
from ember.nn.modules import batchnorm, unpooling

from ._util import et, to_np

torch = pytest.importorskip("torch")
TF = torch.nn.functional

POOL = {
    1: (F.max_pool1d, TF.max_pool1d),
    2: (F.max_pool2d, TF.max_pool2d),
    3: (F.max_pool3d, TF.max_pool3d),
}
UNPOOL = {
    1: (F.max_unpool1d, TF.max_unpool1d),
    2: (F.max_unpool2d, TF.max_unpool2d),
    3: (F.max_unpool3d, TF.max_unpool3d),
}

# (spatial input size, kernel_size, stride, padding) per number of spatial dims; strides below
# the kernel size overlap windows, so one position can be the maximum of several.
POOL_CASES = {
    1: [((9,), 2, None, 0), ((10,), 3, 2, 1), ((7,), 3, 1, 1), ((8,), (4,), (3,), (2,))],
    2: [
        ((6, 7), 2, None, 0),
        ((7, 8), 3, 2, 1),
        ((5, 5), (3, 2), (1, 2), (1, 0)),
        ((8, 6), (2, 3), None, (1, 1)),
    ],
    3: [
        ((4, 5, 6), 2, None, 0),
        ((5, 6, 5), 3, 2, 1),
        ((4, 4, 5), (2, 3, 2), (1, 2, 2), (0, 1, 1)),
    ],
}


def assert_unpool_matches_torch(
    n_dims, shape, kernel, stride, padding, batched, rng, output_size=None
):
    """Max-pools the same random input in ember and PyTorch, checks the indices are equal,
    unpools both (optionally to ``output_size``) and asserts the outputs and the gradients
    with respect to the pooled values are equal."""
    pool_e, pool_t = POOL[n_dims]
    unpool_e, unpool_t = UNPOOL[n_dims]
    lead = (2, 3) if batched else (3,)
    x = rng.standard_normal(lead + shape)
    pe, ie = pool_e(et(x), kernel, stride, padding, return_indices=True)
    pt, it = pool_t(torch.tensor(x), kernel, stride, padding, return_indices=True)
    np.testing.assert_array_equal(to_np(ie), it.numpy())  # the same index convention
    pe = pe.detach().requires_grad_(True)
    pt = pt.detach().requires_grad_(True)
    ue = unpool_e(pe, ie, kernel, stride, padding, output_size=output_size)
    ut = unpool_t(pt, it, kernel, stride, padding, output_size=output_size)
    assert ue.dtype == ember.float64
    np.testing.assert_array_equal(to_np(ue), ut.detach().numpy())
    go = rng.standard_normal(tuple(ut.shape))
    ue.backward(et(go))
    ut.backward(torch.tensor(go))
    np.testing.assert_array_equal(to_np(pe.grad), pt.grad.numpy())
    return x, ue


# ---- functional unpooling -----------------------------------------------------------------


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_max_unpool_round_trip_matches_torch(n_dims, batched):
    rng = np.random.default_rng(n_dims * 2 + int(batched))
    for shape, kernel, stride, padding in POOL_CASES[n_dims]:
        # The default output size can be smaller than the input (whose last maxima would then
        # be out of range, in PyTorch too): restore the input's size.
        _, ue = assert_unpool_matches_torch(
            n_dims, shape, kernel, stride, padding, batched, rng, output_size=shape
        )
        assert tuple(ue.shape[-n_dims:]) == shape


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_max_unpool_restores_the_maxima_at_their_positions(n_dims):
    # Non-overlapping windows: unpooling puts every window's maximum back where it was and
    # zeros elsewhere, so pooling the (positive) result again gives the same values and indices.
    rng = np.random.default_rng(5)
    shape = (4, 6, 8)[:n_dims]
    x = et(rng.uniform(0.5, 2.0, (2, 3) + shape))
    pool_e, _ = POOL[n_dims]
    unpool_e, _ = UNPOOL[n_dims]
    v, i = pool_e(x, 2, return_indices=True)
    u = unpool_e(v, i, 2)
    assert tuple(u.shape) == tuple(x.shape)
    kept = to_np(u) != 0
    np.testing.assert_array_equal(to_np(u)[kept], to_np(x)[kept])
    assert kept.sum() == v.numel()
    v2, i2 = pool_e(u, 2, return_indices=True)
    np.testing.assert_array_equal(to_np(v2), to_np(v))
    np.testing.assert_array_equal(to_np(i2), to_np(i))


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_max_unpool_output_size_matches_torch(n_dims):
    # Odd sizes pool to the same size as the even size below; output_size restores them,
    # given as the spatial size or as the full (N, C, *spatial) size.
    rng = np.random.default_rng(9)
    shape = (5, 7, 9)[:n_dims]
    for full in (False, True):
        output_size = ((2, 3) if full else ()) + shape
        _, ue = assert_unpool_matches_torch(
            n_dims, shape, 2, None, 0, True, rng, output_size=output_size
        )
        assert tuple(ue.shape) == (2, 3) + shape


def test_max_unpool_float32_and_duplicate_indices():
    # Overlapping windows report one position several times; every copy carries the same value
    # and each gets the gradient at that position, as PyTorch.
    x = np.array([[[1.0, 5.0, 2.0, 0.0, 3.0]]], dtype=np.float32)
    ve, ie = F.max_pool1d(et(x), 3, 1, return_indices=True)
    vt, it = TF.max_pool1d(torch.tensor(x), 3, 1, return_indices=True)
    np.testing.assert_array_equal(to_np(ie), [[[1, 1, 4]]])
    ve = ve.detach().requires_grad_(True)
    vt = vt.detach().requires_grad_(True)
    ue = F.max_unpool1d(ve, ie, 3, 1)
    ut = TF.max_unpool1d(vt, it, 3, 1)
    assert ue.dtype == ember.float32
    np.testing.assert_array_equal(to_np(ue), ut.detach().numpy())
    (ue * et(np.arange(5.0, dtype=np.float32))).sum().backward()
    (ut * torch.arange(5.0)).sum().backward()
    np.testing.assert_array_equal(to_np(ve.grad), vt.grad.numpy())


def _unpool2d(input_shape=(1, 1, 2, 2), indices=None, **kw):
    x = ember.ones(*input_shape)
    idx = ember.zeros(*input_shape, dtype=ember.int64) if indices is None else indices
    kw.setdefault("kernel_size", 2)
    return F.max_unpool2d(x, idx, **kw)


@pytest.mark.parametrize(
    "call,exc,pattern",
    [
        (
            lambda: _unpool2d(indices=ember.tensor([[[[0, 1], [2, 16]]]])),
            IndexError,
            (
                r"max_unpool2d: found an invalid max index 16: output planes are of size 4x4, so "
                r"indices must be in \[0, 16\)"
            ),
        ),
        (
            lambda: _unpool2d(indices=ember.tensor([[[[0, -1], [2, 3]]]])),
            IndexError,
            r"max_unpool2d: found an invalid max index -1",
        ),
        (
            lambda: _unpool2d(indices=ember.zeros(1, 1, 2, 1, dtype=ember.int64)),
            ValueError,
            (
                r"max_unpool2d: expected indices of the input's shape \(1, 1, 2, 2\), got indices of "
                r"shape \(1, 1, 2, 1\)"
            ),
        ),
        (
            lambda: _unpool2d(indices=ember.zeros(1, 1, 2, 2, dtype=ember.int32)),
            TypeError,
            r"max_unpool2d: expected indices to be int64, got int32",
        ),
        (
            lambda: _unpool2d((2, 2), indices=ember.zeros(2, 2, dtype=ember.int64)),
            ValueError,
            r"max_unpool2d: expected a 3-D or 4-D input, got input of shape \(2, 2\)",
        ),
        (
            lambda: F.max_unpool2d(
                ember.ones(1, 1, 2, 2, dtype=ember.int64),
                ember.zeros(1, 1, 2, 2, dtype=ember.int64),
                2,
            ),
            TypeError,
            r"max_unpool2d: expected input to be float32 or float64, got int64",
        ),
        (
            lambda: _unpool2d(output_size=(6, 4)),
            ValueError,
            r"max_unpool2d: invalid output_size \(6, 4\) \(dim 0 must be between 2 and 6",
        ),
        (
            lambda: _unpool2d(output_size=(4, 4, 4)),
            ValueError,
            r"max_unpool2d: output_size should be a sequence containing 2 or 4 elements",
        ),
        (
            lambda: _unpool2d(kernel_size=0),
            ValueError,
            r"max_unpool2d: kernel_size and stride must be positive",
        ),
        (lambda: _unpool2d(padding=-1), ValueError, r"max_unpool2d: padding must be non-negative"),
        (
            lambda: _unpool2d(kernel_size=(2, 2, 2)),
            ValueError,
            r"max_unpool2d: kernel_size must be an int or a sequence of 2 ints",
        ),
        (
            lambda: F.max_unpool1d(ember.ones(1, 2, 3), ember.tensor([[[0, 1, 9], [0, 1, 2]]]), 2),
            IndexError,
            r"max_unpool1d: found an invalid max index 9: output planes are of size 6",
        ),
        (
            lambda: F.max_unpool3d(ember.ones(1, 1, 1), ember.zeros(1, 1, 1, dtype=ember.int64), 2),
            ValueError,
            (
                r"max_unpool3d: expected a 4-D or 5-D input, got input of shape "
                r"\(1, 1, 1\)"
            ),
        ),
        (
            lambda: F.max_unpool2d([[1.0]], ember.zeros(1, 1, dtype=ember.int64), 2),
            TypeError,
            r"max_unpool2d: expected input to be a Tensor, got list",
        ),
        (
            lambda: nn.MaxUnpool2d(0),
            ValueError,
            (
                r"MaxUnpool2d: kernel_size and stride must be "
                r"positive, got kernel_size \(0, 0\)"
            ),
        ),
        (
            lambda: nn.MaxUnpool3d(2, padding=-1),
            ValueError,
            r"MaxUnpool3d: padding must be non-negative",
        ),
        (lambda: nn.MaxUnpool1d("a"), TypeError, r"MaxUnpool1d: kernel_size must be an int"),
    ],
)
def test_max_unpool_bad_input_raises(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_max_unpool_traces_with_jit_and_still_rejects_bad_indices():
    def fn(v, i):
        return F.max_unpool2d(v, i, 2)

    x = ember.randn(2, 3, 4, 6)
    traced = ember.jit.trace(fn, F.max_pool2d(x, 2, return_indices=True))
    v, i = F.max_pool2d(ember.randn(2, 3, 4, 6), 2, return_indices=True)
    np.testing.assert_array_equal(to_np(traced(v, i)), to_np(fn(v, i)))
    with pytest.raises(IndexError):
        traced(v, i + 24)  # past the end of the 4 x 6 planes
    with pytest.raises(IndexError):
        traced(v, i * 0 - 1)  # negative


# ---- modules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("MaxUnpool1d", (3,)),
        ("MaxUnpool1d", (3, 2, 1)),
        ("MaxUnpool2d", (2,)),
        ("MaxUnpool2d", ((3, 2), (1, 2), (1, 0))),
        ("MaxUnpool3d", (2,)),
        ("MaxUnpool3d", (3, 2, 1)),
    ],
)
def test_max_unpool_module_repr_and_attributes_match_torch(name, args):
    em, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(em) == repr(tm)
    assert (em.kernel_size, em.stride, em.padding) == (tm.kernel_size, tm.stride, tm.padding)
    assert list(em.parameters()) == []


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_max_unpool_module_forward_matches_torch(n_dims):
    rng = np.random.default_rng(21)
    shape = (4, 6, 8)[:n_dims]
    x = rng.standard_normal((2, 3) + shape)
    name_pool, name_unpool = f"MaxPool{n_dims}d", f"MaxUnpool{n_dims}d"
    ep = getattr(nn, name_pool)(2, return_indices=True)
    tp = getattr(torch.nn, name_pool)(2, return_indices=True)
    eu, tu = getattr(nn, name_unpool)(2), getattr(torch.nn, name_unpool)(2)
    ve, ie = ep(et(x))
    vt, it = tp(torch.tensor(x))
    for size in (None, shape, (2, 3) + shape):
        np.testing.assert_array_equal(to_np(eu(ve, ie, size)), tu(vt, it, size).numpy())
        np.testing.assert_array_equal(
            to_np(eu(ve, ie, output_size=size)), tu(vt, it, output_size=size).numpy()
        )


# ---- BatchNorm3d ---------------------------------------------------------------------------


def _bn_pair(*args, **kw):
    em, tm = nn.BatchNorm3d(*args, **kw), torch.nn.BatchNorm3d(*args, **kw)
    if em.weight is not None:  # random affine parameters, the same in both
        rng = np.random.default_rng(1)
        for name in ("weight", "bias"):
            if getattr(em, name) is not None:
                v = rng.standard_normal(em.num_features).astype(np.float32)
                getattr(em, name).data.copy_(et(v))
                with torch.no_grad():
                    getattr(tm, name).copy_(torch.tensor(v))
    return em, tm


def assert_bn_state_matches(em, tm):
    for name in ("running_mean", "running_var"):
        e, t = getattr(em, name), getattr(tm, name)
        assert (e is None) == (t is None)
        if e is not None:
            np.testing.assert_allclose(to_np(e), t.numpy(), rtol=1e-5, atol=1e-6)
    if tm.num_batches_tracked is not None:
        assert int(em.num_batches_tracked.item()) == int(tm.num_batches_tracked.item())


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"momentum": None},
        {"momentum": 0.3, "eps": 1e-3},
        {"affine": False},
        {"track_running_stats": False},
        {"bias": False},
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "default",
)
def test_batchnorm3d_train_then_eval_matches_torch(kw):
    em, tm = _bn_pair(4, **kw)
    rng = np.random.default_rng(3)
    for step in range(4):
        x = (rng.standard_normal((3, 4, 2, 3, 5)) * (step + 1) + step).astype(np.float32)
        ex, tx = et(x).requires_grad_(True), torch.tensor(x, requires_grad=True)
        eo, to = em(ex), tm(tx)
        np.testing.assert_allclose(to_np(eo), to.detach().numpy(), rtol=1e-5, atol=1e-5)
        go = rng.standard_normal(x.shape).astype(np.float32)
        eo.backward(et(go))
        to.backward(torch.tensor(go))
        np.testing.assert_allclose(to_np(ex.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
        if em.weight is not None:
            np.testing.assert_allclose(
                to_np(em.weight.grad), tm.weight.grad.numpy(), rtol=1e-4, atol=1e-4
            )
            em.weight.grad = None
            tm.weight.grad = None
        assert_bn_state_matches(em, tm)
    em.eval()
    tm.eval()
    x = rng.standard_normal((2, 4, 3, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(
        to_np(em(et(x))), tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5
    )
    assert_bn_state_matches(em, tm)


def test_batchnorm3d_float64_and_state_dict_match_torch():
    em = nn.BatchNorm3d(3, dtype=ember.float64)
    tm = torch.nn.BatchNorm3d(3, dtype=torch.float64)
    x = np.random.default_rng(4).standard_normal((2, 3, 2, 2, 3))
    np.testing.assert_allclose(
        to_np(em(et(x))), tm(torch.tensor(x)).detach().numpy(), rtol=1e-7, atol=1e-10
    )
    assert sorted(em.state_dict()) == sorted(tm.state_dict())
    assert_bn_state_matches(em, tm)
    assert repr(em) == repr(tm)


@pytest.mark.parametrize(
    "shape,pattern",
    [
        ((2, 4, 3, 3), r"BatchNorm3d: expected 5D input \(got 4D input of shape \(2, 4, 3, 3\)\)"),
        (
            (2, 3, 1, 2, 2),
            (
                r"BatchNorm3d: expected input with 4 channels \(input.shape\[1\]\), got "
                r"input of shape \(2, 3, 1, 2, 2\)"
            ),
        ),
    ],
)
def test_batchnorm3d_bad_input_raises(shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        nn.BatchNorm3d(4)(ember.zeros(*shape))


def test_batchnorm3d_bad_hyperparameters_raise():
    with pytest.raises(ValueError, match=r"BatchNorm3d: num_features must be positive, got 0"):
        nn.BatchNorm3d(0)
    with pytest.raises(ValueError, match=r"BatchNorm3d: momentum must be in \[0, 1\]"):
        nn.BatchNorm3d(2, momentum=2.0)


# ---- exports and docstrings ----------------------------------------------------------------


def test_new_modules_are_exported():
    for name in ("BatchNorm3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"):
        assert name in nn.__all__
        assert name in nn.modules.__all__
        assert getattr(nn, name).__doc__


@pytest.mark.parametrize("module", [unpooling, batchnorm], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    globs = {"ember": ember, "nn": nn, "F": F}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(module, globs=globs)
    assert any(t.examples for t in tests)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
