"""div's rounding_mode (ember.div, Tensor.div, Tensor.div_) and floor division's rounding and
signed zeros, against PyTorch."""

from __future__ import annotations

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")

INTS = ([7, -7, 6, -6, 0, 5, -9], [2, 2, -4, 4, 3, -5, -2])
FLOATS = ([7.5, -7.5, 1.0, -0.0, 0.0, 1e-30, -3.0], [2.0, 2.0, -4.0, 3.0, -3.0, 7.0, 0.5])


def assert_same(e, t):
    en, tn = e.detach().numpy(), t.detach().numpy()
    assert e.dtype.__str__().split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(en, tn)
    np.testing.assert_array_equal(np.signbit(en), np.signbit(tn))


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("values", [INTS, FLOATS], ids=["int64", "float32"])
def test_div_rounding_modes_match_torch(mode, values):
    a, b = values
    assert_same(ember.div(ember.tensor(a), ember.tensor(b), rounding_mode=mode),
          torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode))
    assert_same(ember.tensor(a).div(ember.tensor(b), rounding_mode=mode),
          torch.tensor(a).div(torch.tensor(b), rounding_mode=mode))
    assert_same(ember.div(ember.tensor(a), 3, rounding_mode=mode),
          torch.div(torch.tensor(a), 3, rounding_mode=mode))
    if mode is not None or isinstance(a[0], float):
        e, t = ember.tensor(a), torch.tensor(a)
        e.div_(ember.tensor(b), rounding_mode=mode)
        t.div_(torch.tensor(b), rounding_mode=mode)
        assert_same(e, t)


def test_floor_divide_rounds_and_signs_zeros_as_torch():
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.standard_normal(20000) * 1e3, [0.0, -0.0, 1e-300, 5.0, 7.0]])
    b = np.concatenate([rng.standard_normal(20000) * 3, [3.0, 3.0, -1e300, -0.0, np.inf]])
    for dt in (np.float32, np.float64):
        with np.errstate(over="ignore"):  # 1e300 is inf in float32: one more edge case
            ad, bd = a.astype(dt), b.astype(dt)
        e = ember.floor_divide(ember.tensor(ad), ember.tensor(bd)).numpy()
        t = torch.floor_divide(torch.tensor(ad), torch.tensor(bd)).numpy()
        np.testing.assert_array_equal(e, t)
        np.testing.assert_array_equal(np.signbit(e), np.signbit(t))


def test_rounded_division_has_zero_gradient_and_traces():
    x = ember.tensor([7.5, -7.5, 3.0], requires_grad=True)
    ember.div(x, 2.0, rounding_mode="floor").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    f = ember.jit.trace(lambda a, b: ember.div(a, b, rounding_mode="trunc"),
                        (ember.tensor([7, -7]), ember.tensor([2, 2])))
    np.testing.assert_array_equal(f(ember.tensor([9, -9]), ember.tensor([4, 4])).numpy(), [2, -2])


def test_bad_rounding_modes_and_in_place_casts_raise():
    with pytest.raises(ValueError, match="div: rounding_mode must be None, 'trunc' or 'floor', "
                                         "got 'round'"):
        ember.div(ember.tensor([1.0]), 2, rounding_mode="round")
    x = ember.tensor([1, 2])
    with pytest.raises(TypeError, match="div_: result dtype float32 can't be cast"):
        x.div_(ember.tensor([2.0, 2.0]), rounding_mode="floor")
    with pytest.raises(TypeError, match="div_: result dtype float32 can't be cast"):
        x.div_(2)
    assert x.tolist() == [1, 2]
