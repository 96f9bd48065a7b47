"""Shared helpers for the distribution tests: ember <-> torch conversion and comparisons."""

from __future__ import annotations

import ember
import numpy as np

DTYPES = ["float32", "float64"]

# Default comparison tolerances per dtype (STYLE.md section 7).
TOL = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-7, "atol": 1e-10}}


def to_np(t):
    """A numpy copy of an ember or torch tensor (or a number)."""
    if hasattr(t, "detach"):
        return np.array(t.detach().numpy(), copy=True)
    return np.asarray(t)


def edt(name):
    """The ember dtype called ``name``."""
    return getattr(ember, name)


def tdt(name):
    """The torch dtype called ``name``."""
    import torch

    return getattr(torch, name)


def to_ember(x, dtype="float64"):
    """A numpy array (or nested dict/list of them) as ember tensors of ``dtype`` (int arrays stay
    int64)."""
    if isinstance(x, dict):
        return {k: to_ember(v, dtype) for k, v in x.items()}
    a = np.asarray(x)
    if a.dtype.kind in "iub":
        return ember.tensor(a.astype(np.int64))
    return ember.tensor(a.astype(np.float64)).to(edt(dtype))


def to_torch(x, dtype="float64"):
    """A numpy array (or dict of them) as torch tensors of ``dtype`` (int arrays stay int64)."""
    import torch

    if isinstance(x, dict):
        return {k: to_torch(v, dtype) for k, v in x.items()}
    a = np.asarray(x)
    if a.dtype.kind in "iub":
        return torch.tensor(a.astype(np.int64))
    return torch.tensor(a.astype(np.float64)).to(tdt(dtype))


def assert_close(actual, expected, dtype="float64", rtol=None, atol=None, what=""):
    """``actual`` (ember) equals ``expected`` (torch or numpy) within the dtype's tolerances
    (or the given ones); same shape; NaN and inf must match."""
    a, e = to_np(actual), to_np(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    tol = dict(TOL[dtype])
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), equal_nan=True,
                               err_msg=what, **tol)


def assert_moment(samples, expected, n_sigma=5.0, spread=None, what="mean"):
    """The sample mean over dim 0 of ``samples`` is within ``n_sigma`` standard errors of
    ``expected`` (``spread`` is the per-sample standard deviation; default: the sample's)."""
    s = to_np(samples).astype(np.float64)
    n = s.shape[0]
    m = s.mean(0)
    sd = s.std(0) if spread is None else np.asarray(spread, dtype=np.float64)
    se = np.maximum(sd / np.sqrt(n), 1e-12)
    z = np.abs(m - np.asarray(expected)) / se
    assert np.all(z < n_sigma), f"{what}: sample {m} vs expected {expected} (z={z})"
