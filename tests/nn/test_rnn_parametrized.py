"""Recurrent layers read their weights through attribute access, so parametrized weights and
biases (weight_norm, spectral_norm, custom parametrizations) take part in the forward."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.utils import parametrizations, parametrize


class _Shift(nn.Module):
    """A parametrization adding 1."""

    def forward(self, x):
        return x + 1.0


def assert_close(a, b, tol=1e-6):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_parametrized_bias_is_used(cls):
    ember.manual_seed(0)
    a = cls(3, 4)
    ember.manual_seed(0)
    ref = cls(3, 4)
    with ember.no_grad():
        ref.bias_ih_l0.add_(1.0)
    parametrize.register_parametrization(a, "bias_ih_l0", _Shift())
    x = ember.randn(5, 2, 3)
    assert_close(a(x)[0], ref(x)[0])
    a(x)[0].sum().backward()
    ref(x)[0].sum().backward()
    assert_close(a.parametrizations.bias_ih_l0.original.grad, ref.bias_ih_l0.grad)


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_weight_norm_on_a_recurrent_weight_matches_torch(cls):
    torch = pytest.importorskip("torch")
    ember.manual_seed(0)
    m = cls(3, 4, num_layers=2, bidirectional=True)
    tm = getattr(torch.nn, cls.__name__)(3, 4, num_layers=2, bidirectional=True)
    tm.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    parametrizations.weight_norm(m, "weight_hh_l1_reverse")
    torch.nn.utils.parametrizations.weight_norm(tm, "weight_hh_l1_reverse")
    x = np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32)
    out = m(ember.tensor(x))[0]
    tout = tm(torch.tensor(x))[0]
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.pow(2).sum().backward()
    tout.pow(2).sum().backward()
    g = m.parametrizations.weight_hh_l1_reverse.original1.grad.numpy()
    tg = tm.parametrizations.weight_hh_l1_reverse.original1.grad.numpy()
    np.testing.assert_allclose(g, tg, rtol=1e-4, atol=1e-5)
