"""nn.init: formulas, bounds, statistics and the default inits of Linear and Embedding."""

from __future__ import annotations

import math

import ember
import numpy as np
import pytest
from ember import nn
from ember.nn import init

from ._util import to_np


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for nl in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
        assert init.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl))
    for a in [None, 0.2, math.sqrt(5)]:
        assert init.calculate_gain("leaky_relu", a) == pytest.approx(
            torch.nn.init.calculate_gain("leaky_relu", a)
        )
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swishy")


def test_kaiming_uniform_bound_equals_formula():
    w = ember.empty(200, 300)
    init.kaiming_uniform_(w, a=0, mode="fan_in", nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 300)
    v = to_np(w)
    assert np.abs(v).max() <= bound
    assert np.abs(v).max() > 0.99 * bound
    np.testing.assert_allclose(v.var(), bound**2 / 3, rtol=0.03)
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    assert np.abs(to_np(w)).max() <= math.sqrt(6.0 / 200)


def test_kaiming_normal_std():
    w = ember.empty(300, 400)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    np.testing.assert_allclose(to_np(w).std(), math.sqrt(2.0 / 300), rtol=0.02)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(w, mode="fan_avg")


def test_xavier_uniform_bound_and_normal_std():
    w = ember.empty(100, 300, 2)  # fan_in 600, fan_out 200
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 800)
    v = to_np(w)
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.99 * bound
    init.xavier_normal_(w)
    np.testing.assert_allclose(to_np(w).std(), math.sqrt(2.0 / 800), rtol=0.02)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(5))


def test_uniform_normal_constant_zeros_ones():
    w = ember.empty(1000, 100)
    init.uniform_(w, -2.0, 3.0)
    v = to_np(w)
    assert v.min() >= -2.0 and v.max() < 3.0
    np.testing.assert_allclose(v.mean(), 0.5, atol=0.02)
    init.normal_(w, 1.0, 0.5)
    np.testing.assert_allclose(to_np(w).mean(), 1.0, atol=0.01)
    np.testing.assert_allclose(to_np(w).std(), 0.5, rtol=0.01)
    assert np.all(to_np(init.constant_(w, 0.25)) == 0.25)
    assert np.all(to_np(init.zeros_(w)) == 0)
    assert np.all(to_np(init.ones_(w)) == 1)


def test_init_on_parameter_does_not_record_history():
    p = nn.Parameter(ember.empty(3, 4))
    assert init.kaiming_uniform_(p) is p
    assert p.is_leaf and p.grad_fn is None


def test_init_is_seeded():
    ember.manual_seed(3)
    a = to_np(nn.Linear(4, 4).weight)
    ember.manual_seed(3)
    b = to_np(nn.Linear(4, 4).weight)
    np.testing.assert_array_equal(a, b)


def test_linear_default_init_bounds():
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives the same bound
    gain = math.sqrt(2.0 / (1 + 5))
    assert gain * math.sqrt(3.0 / 400) == pytest.approx(bound)
    w, b = to_np(m.weight), to_np(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    np.testing.assert_allclose(w.var(), bound**2 / 3, rtol=0.03)
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound


def test_embedding_default_init_is_standard_normal():
    w = to_np(nn.Embedding(1000, 64).weight)
    np.testing.assert_allclose(w.mean(), 0.0, atol=0.01)
    np.testing.assert_allclose(w.std(), 1.0, rtol=0.01)


def test_layer_norm_default_init():
    m = nn.LayerNorm(5)
    assert np.all(to_np(m.weight) == 1) and np.all(to_np(m.bias) == 0)
