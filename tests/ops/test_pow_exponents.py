"""pow with the exponents PyTorch computes without pow (0, 1, 2, 3, 0.5, -0.5, -1, -2): the same
rounding as the products, square roots and reciprocals they stand for, in eager code and in a
fused ember.jit graph."""

from __future__ import annotations

import numpy as np
import pytest

import ember

EXPONENTS = {
    0: lambda x: np.ones_like(x),
    1: lambda x: x,
    2: lambda x: x * x,
    3: lambda x: x * x * x,
    0.5: np.sqrt,
    -0.5: lambda x: 1 / np.sqrt(x),
    -1: lambda x: 1 / x,
    -2: lambda x: 1 / (x * x),
}


def _values(dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(20000) * np.exp(rng.uniform(-8, 8, 20000))
    x[:4] = [0.0, -0.0, np.inf, np.nan]
    return x.astype(dtype)


def assert_same_bits(actual, expected):
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", sorted(EXPONENTS))
def test_scalar_exponent_rounds_like_the_closed_form(dtype, exponent):
    x = _values(dtype)
    if exponent in (0.5, -0.5):
        x = np.abs(x)
    with np.errstate(all="ignore"):
        expected = EXPONENTS[exponent](x).astype(dtype)
    assert_same_bits((ember.tensor(x) ** exponent).numpy(), expected)
    # A tensor exponent holding the same value takes the same path.
    edtype = ember.float32 if dtype == np.float32 else ember.float64
    e = ember.full(x.shape, float(exponent), dtype=edtype)
    assert_same_bits(ember.pow(ember.tensor(x), e).numpy(), expected)


def test_fused_graph_matches_eager_bit_for_bit():
    x = ember.tensor(np.abs(_values(np.float32)[4:]) + 0.5)

    def f(t):
        return (t**2 + t**-0.5) * t**3 - t**0.5

    traced = ember.jit.trace(f, (x,))
    assert_same_bits(traced(x).numpy(), f(x).numpy())


def test_matches_torch_for_the_special_exponents():
    torch = pytest.importorskip("torch")
    x = _values(np.float64)
    for exponent in (2, 3, -1, -2, -0.5):
        with np.errstate(all="ignore"):
            expected = (torch.tensor(x) ** exponent).numpy()
        assert_same_bits((ember.tensor(x) ** exponent).numpy(), expected)


def test_half_exponents_at_negative_zero_and_minus_infinity():
    # A Python-number exponent of +-0.5 is a square root (PyTorch and numpy): -0 -> -0 and
    # -inf -> nan. A tensor exponent is pow (IEEE): -0 -> +0, -inf -> +inf.
    x = np.array([-0.0, -np.inf, 0.0, np.inf, 4.0])
    with np.errstate(all="ignore"):
        for e in (0.5, -0.5):
            as_scalar = np.sqrt(x) if e > 0 else 1 / np.sqrt(x)
            assert_same_bits((ember.tensor(x) ** e).numpy(), as_scalar)
            as_tensor = np.power(x, np.full(5, e))
            exponent = ember.full((5,), e, dtype=ember.float64)
            assert_same_bits(ember.pow(ember.tensor(x), exponent).numpy(), as_tensor)
