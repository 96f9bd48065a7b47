"""trunc_normal_, orthogonal_, eye_, dirac_, sparse_ (nn.init) and ember.finfo/iinfo/seed,
against PyTorch and closed forms."""

from __future__ import annotations

import math

import ember
import ember.nn.init as init
import numpy as np
import pytest

torch = pytest.importorskip("torch")


def test_trunc_normal_matches_the_truncated_distribution():
    t = ember.empty(200000)
    init.trunc_normal_(t, mean=1.0, std=2.0, a=-1.0, b=2.5)
    x = t.numpy().astype(np.float64)
    assert x.min() >= -1.0 and x.max() <= 2.5
    # Moments of N(1, 4) truncated to [-1, 2.5] (closed forms).
    alpha, beta = (-1.0 - 1.0) / 2.0, (2.5 - 1.0) / 2.0
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    mean = 1.0 + 2.0 * (phi(alpha) - phi(beta)) / z
    var = 4.0 * (1 + (alpha * phi(alpha) - beta * phi(beta)) / z
                 - ((phi(alpha) - phi(beta)) / z) ** 2)
    assert abs(x.mean() - mean) < 0.01 and abs(x.var() - var) < 0.02
    with pytest.raises(ValueError, match=r"trunc_normal_: a \(1.0\) must be less than b"):
        init.trunc_normal_(t, a=1.0, b=0.0)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (6, 2, 3), (4, 4)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    w = ember.empty(*shape, dtype=ember.float64)
    init.orthogonal_(w, gain=1.5)
    m = w.numpy().reshape(shape[0], -1) / 1.5
    if m.shape[0] <= m.shape[1]:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-12)
    else:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-12)
    with pytest.raises(ValueError, match="orthogonal_: only tensors with 2 or more dimensions"):
        init.orthogonal_(ember.empty(3))


def test_eye_and_dirac_match_torch():
    e, te = ember.empty(3, 5), torch.empty(3, 5)
    init.eye_(e)
    torch.nn.init.eye_(te)
    np.testing.assert_array_equal(e.numpy(), te.numpy())
    for shape, groups in (((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 4, 1, 3, 3), 1)):
        d, td = ember.empty(*shape), torch.empty(*shape)
        init.dirac_(d, groups)
        torch.nn.init.dirac_(td, groups)
        np.testing.assert_array_equal(d.numpy(), td.numpy())
    # A Dirac-initialized convolution copies its input.
    conv = ember.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = ember.randn(1, 3, 5, 5)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.numpy(), rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match=r"dirac_: out_channels \(5\) must be divisible"):
        init.dirac_(ember.empty(5, 2, 3), groups=2)


def test_sparse_zeros_a_fraction_of_each_column():
    w = ember.empty(10, 6)
    init.sparse_(w, 0.3, std=0.5)
    np.testing.assert_array_equal((w.numpy() == 0).sum(0), [3] * 6)
    assert abs(w.numpy()[w.numpy() != 0].std() - 0.5) < 0.25


def test_finfo_iinfo_match_torch():
    for name in ("float32", "float64"):
        e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(e, attr) == getattr(t, attr), (name, attr)
        assert e.dtype == t.dtype == name
    assert repr(ember.finfo(ember.float32)) == repr(torch.finfo(torch.float32))
    assert ember.finfo().eps == torch.finfo().eps
    for name in ("uint8", "int32", "int64"):
        e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
        assert (e.bits, e.max, e.min, e.dtype) == (t.bits, t.max, t.min, t.dtype)
    with pytest.raises(TypeError, match="finfo: expected a floating dtype"):
        ember.finfo(ember.int64)
    with pytest.raises(TypeError, match="iinfo: expected an integer dtype"):
        ember.iinfo(ember.float32)


def test_seed_reseeds_nondeterministically_and_is_reported():
    s1 = ember.seed()
    a = ember.rand(3)
    assert ember.initial_seed() == s1
    ember.manual_seed(s1)
    np.testing.assert_array_equal(ember.rand(3).numpy(), a.numpy())
    assert ember.seed() != s1 or ember.seed() != s1
