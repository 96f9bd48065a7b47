"""ember.nn convolution and pooling modules: PyTorch's reprs, default initialization statistics,
forward/backward equal to PyTorch's modules with the same parameters, argument validation."""

from __future__ import annotations

import math

import ember
import numpy as np
import pytest
from ember import nn

torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("make", [
    lambda m: m.Conv2d(1, 6, 5),
    lambda m: m.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1)),
    lambda m: m.Conv2d(4, 8, 3, padding="same", groups=4, bias=False),
    lambda m: m.Conv2d(4, 8, 3, padding="valid"),
    lambda m: m.Conv1d(4, 6, 3, stride=2, padding=1),
    lambda m: m.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
    lambda m: m.ConvTranspose1d(8, 4, 3, groups=2, dilation=2),
    lambda m: m.MaxPool2d(2),
    lambda m: m.MaxPool2d((3, 2), stride=1, padding=1, dilation=2, ceil_mode=True),
    lambda m: m.MaxPool1d(3, 2),
    lambda m: m.AvgPool2d(3, stride=2, padding=1),
    lambda m: m.AvgPool1d(3),
    lambda m: m.AdaptiveAvgPool2d((1, 1)),
    lambda m: m.AdaptiveAvgPool2d(7),
    lambda m: m.AdaptiveMaxPool2d((2, 3)),
    lambda m: m.AdaptiveAvgPool1d(4),
])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("cls,args,fan_in", [
    ("Conv2d", (64, 128, 3), 64 * 9),
    ("Conv2d", (32, 64, (3, 5), 1, 0, 1, 4), 8 * 15),
    ("Conv1d", (40, 96, 7), 40 * 7),
    ("ConvTranspose2d", (64, 96, 4), 96 * 16),  # PyTorch's fan_in: weight.shape[1] * kH * kW
])
def test_default_init_statistics(cls, args, fan_in):
    m = getattr(nn, cls)(*args)
    w = m.weight.detach().numpy().ravel()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)): gain sqrt(2/6) * sqrt(3/fan_in)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.98 * bound
    assert abs(w.mean()) < 0.05 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.05)
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= bound
    assert b.std() > 0.3 * bound


def test_modules_match_torch_forward_and_backward():
    pairs = [
        (nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3), torch.nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3)),
        (nn.Conv2d(3, 4, 2, padding="same"), torch.nn.Conv2d(3, 4, 2, padding="same")),
        (nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1), torch.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1)),
        (nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
        (nn.AvgPool2d(2, ceil_mode=True), torch.nn.AvgPool2d(2, ceil_mode=True)),
        (nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
    ]
    for em, tm in pairs:
        for name, p in tm.named_parameters():
            getattr(em, name).detach().copy_(ember.from_numpy(p.detach().numpy().copy()))
        x = np.random.randn(2, 3, 7, 9).astype(np.float32)
        xe = ember.from_numpy(x).requires_grad_(True)
        xt = torch.from_numpy(x).requires_grad_(True)
        ye, yt = em(xe), tm(xt)
        np.testing.assert_allclose(_np(ye), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
        ye.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(_np(xe.grad), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
        for name, p in tm.named_parameters():
            np.testing.assert_allclose(_np(getattr(em, name).grad), p.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv_transpose_output_size_selects_output_padding():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = ember.zeros(1, 2, 4, 4)
    assert tuple(m(x).shape) == (1, 3, 7, 7)
    assert tuple(m(x, output_size=(8, 8)).shape) == (1, 3, 8, 8)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: requested output_size \(9, 9\) is not reachable"):
        m(x, output_size=(9, 9))


def test_pool_modules_return_indices():
    x = ember.randn(1, 2, 4, 4)
    y, i = nn.MaxPool2d(2, return_indices=True)(x)
    assert tuple(y.shape) == (1, 2, 2, 2) and i.dtype == ember.int64
    y, i = nn.AdaptiveMaxPool2d(1, return_indices=True)(x)
    np.testing.assert_allclose(y.numpy().ravel(), x.numpy().reshape(2, -1).max(1))


def test_conv_module_argument_errors():
    with pytest.raises(ValueError, match=r"Conv2d: in_channels \(3\) must be divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d: out_channels \(3\) must be divisible by groups \(2\)"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d: padding='same' is not supported for strided"):
        nn.Conv2d(4, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv2d: padding_mode must be one of"):
        nn.Conv2d(4, 4, 3, padding_mode="mirror")
    with pytest.raises(NotImplementedError, match=r"Conv2d: padding_mode='reflect' is not implemented"):
        nn.Conv2d(4, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"Conv2d: kernel_size must be an int or a tuple of 2 ints"):
        nn.Conv2d(4, 4, (3, 3, 3))
    with pytest.raises(ValueError, match=r"Conv1d: in_channels must be a positive int, got 0"):
        nn.Conv1d(0, 4, 3)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: padding must be an int, a tuple of ints, got 'same'"):
        nn.ConvTranspose2d(4, 4, 3, padding="same")


def test_conv_module_float64_and_state_dict_names():
    m = nn.Conv2d(2, 3, 3, dtype=ember.float64)
    assert m.weight.dtype == ember.float64
    assert sorted(m.state_dict()) == ["bias", "weight"]
    assert m(ember.zeros(1, 2, 5, 5, dtype=ember.float64)).dtype == ember.float64
