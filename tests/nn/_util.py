"""Shared helpers: ember <-> torch conversion and comparisons."""

from __future__ import annotations

import ember
import numpy as np


def to_np(t):
    return t.detach().numpy().copy()


def pair(arr, requires_grad=False):
    """The same values as an ember tensor and a torch tensor (both leaves)."""
    import torch

    arr = np.array(arr)
    e = et(arr)
    t = torch.tensor(arr)
    if requires_grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    return e, t


def tol(dtype):
    if dtype in (np.float64, ember.float64):
        return dict(rtol=1e-7, atol=1e-10)
    return dict(rtol=1e-5, atol=1e-6)


def assert_close(e, t, **kw):
    """Asserts an ember tensor equals a torch tensor (values)."""
    a = to_np(e)
    b = t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    k = tol(a.dtype.type) if not kw else kw
    np.testing.assert_allclose(a, b, **k)


def et(arr):
    """ember tensor of a numpy array, 0-d arrays included (kept 0-d)."""
    return ember.from_numpy(np.array(arr))
