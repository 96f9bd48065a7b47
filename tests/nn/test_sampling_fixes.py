"""F.max_unpool1d/2d/3d (ember/nn/_functional_sampling.py) on inputs without elements (an empty
batch, or no channels) against PyTorch: the empty output of the right shape, and a gradient."""

from __future__ import annotations

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn

from ._util import et, to_np

torch = pytest.importorskip("torch")
TF = torch.nn.functional

UNPOOL = {
    1: (F.max_unpool1d, TF.max_unpool1d, nn.MaxUnpool1d, torch.nn.MaxUnpool1d),
    2: (F.max_unpool2d, TF.max_unpool2d, nn.MaxUnpool2d, torch.nn.MaxUnpool2d),
    3: (F.max_unpool3d, TF.max_unpool3d, nn.MaxUnpool3d, torch.nn.MaxUnpool3d),
}


def assert_empty_unpool_matches_torch(n_dims, shape, kernel, stride=None, padding=0, output_size=None,
                                      dtype=np.float32):
    """Unpools a tensor of ``shape`` (with no elements) in ember and PyTorch, functional and
    module forms, and asserts the outputs (shape, dtype, values) and the input gradients agree."""
    fe, ft, me, mt = UNPOOL[n_dims]
    x = np.zeros(shape, dtype)
    i = np.zeros(shape, np.int64)
    xe, xt = et(x).requires_grad_(True), torch.tensor(x, requires_grad=True)
    ue = fe(xe, et(i), kernel, stride, padding, output_size=output_size)
    ut = ft(xt, torch.tensor(i), kernel, stride, padding, output_size=output_size)
    assert tuple(ue.shape) == tuple(ut.shape)
    assert to_np(ue).dtype == ut.detach().numpy().dtype
    np.testing.assert_array_equal(to_np(ue), ut.detach().numpy())
    ue.sum().backward()
    ut.sum().backward()
    assert tuple(xe.grad.shape) == tuple(xt.grad.shape)
    np.testing.assert_array_equal(to_np(xe.grad), xt.grad.numpy())
    module_e = me(kernel, stride, padding)(et(x), et(i), output_size=output_size)
    module_t = mt(kernel, stride, padding)(torch.tensor(x), torch.tensor(i), output_size=output_size)
    assert tuple(module_e.shape) == tuple(module_t.shape)


@pytest.mark.parametrize("n_dims", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_unpool_of_an_empty_batch_matches_torch(n_dims, dtype):
    spatial = (3, 2, 4)[:n_dims]
    assert_empty_unpool_matches_torch(n_dims, (0, 2) + spatial, 2, dtype=dtype)
    assert_empty_unpool_matches_torch(n_dims, (0, 5) + spatial, 3, 2, 1)


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_max_unpool_of_an_unbatched_input_without_channels_matches_torch(n_dims):
    spatial = (3, 2, 4)[:n_dims]
    assert_empty_unpool_matches_torch(n_dims, (0,) + spatial, 2)


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_max_unpool_of_an_empty_batch_with_output_size_matches_torch(n_dims):
    spatial = (3, 3, 3)[:n_dims]
    out = (7, 7, 7)[:n_dims]
    assert_empty_unpool_matches_torch(n_dims, (0, 2) + spatial, 2, output_size=out)
    assert_empty_unpool_matches_torch(n_dims, (0, 2) + spatial, 2, output_size=(0, 2) + out)


@pytest.mark.parametrize("n_dims", [1, 2, 3])
def test_max_unpool_of_a_batch_without_channels_gives_the_empty_output(n_dims):
    # PyTorch's kernels refuse a batched input without channels; ember gives the empty result
    # of the size PyTorch computes for any other channel count.
    spatial = (3, 2, 4)[:n_dims]
    fe, ft = UNPOOL[n_dims][:2]
    x = et(np.zeros((2, 0) + spatial, np.float32)).requires_grad_(True)
    u = fe(x, et(np.zeros((2, 0) + spatial, np.int64)), 2)
    want = ft(torch.zeros((2, 1) + spatial), torch.zeros((2, 1) + spatial, dtype=torch.int64), 2)
    assert tuple(u.shape) == (2, 0) + tuple(want.shape[2:])
    u.sum().backward()
    assert tuple(x.grad.shape) == (2, 0) + spatial


def test_max_unpool_of_an_empty_batch_still_checks_its_arguments():
    with pytest.raises(ValueError, match=r"max_unpool2d: expected indices of the input's shape \(0, 2, 3, 3\)"):
        F.max_unpool2d(ember.zeros(0, 2, 3, 3), ember.zeros(0, 2, 3, 2, dtype=ember.int64), 2)
    with pytest.raises(TypeError, match="max_unpool1d: expected indices to be int64"):
        F.max_unpool1d(ember.zeros(0, 2, 3), ember.zeros(0, 2, 3, dtype=ember.int32), 2)


def test_max_unpool_of_an_empty_batch_traces_into_a_graph():
    i = ember.zeros(0, 2, 3, 3, dtype=ember.int64)
    traced = ember.jit.trace(lambda x, idx: F.max_unpool2d(x, idx, 2) + 1, (ember.zeros(0, 2, 3, 3), i))
    assert tuple(traced(ember.zeros(0, 2, 3, 3), i).shape) == (0, 2, 6, 6)
