"""Regression tests for review findings in ember.nn, checked against torch: load_state_dict of
non-tensor or uninitialized values with lazy modules, ember.save of a lazy module's state_dict,
and AdaptiveLogSoftmaxWithLoss's integer-target check."""

from __future__ import annotations

import os

import ember
import numpy as np
import pytest
from ember import nn

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn


def assert_still_lazy(m, size_attr="in_features"):
    """``m`` is unchanged by a failed load: lazy, placeholders in place, size not inferred."""
    assert m.has_uninitialized_params()
    assert nn.parameter.is_lazy(m.weight)
    assert getattr(m, size_attr) == 0


# ---- 4a. load_state_dict into lazy modules -----------------------------------------------------

NON_TENSOR_STATES = [
    ({"weight": np.zeros((3, 5)), "bias": [0.0, 0.0, 0.0]}, ["weight", "bias"]),
    ({"weight": np.zeros((3, 5)), "bias": np.zeros(3)}, ["weight", "bias"]),
    ({"weight": [[0.0] * 5] * 3, "bias": "zeros"}, ["weight", "bias"]),
    ({"weight": "ones", "bias": 3}, ["weight", "bias"]),
]


@pytest.mark.parametrize(("state", "bad"), NON_TENSOR_STATES)
def test_lazy_linear_load_state_dict_non_tensor_values_raise_like_linear(state, bad):
    with pytest.raises(Exception):  # noqa: B017 - torch's error type varies with the value
        tnn.LazyLinear(3).load_state_dict(state)
    m = nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match=r"Error\(s\) in loading state_dict for LazyLinear") as e:
        m.load_state_dict(state)
    for k in bad:
        assert f'While copying the parameter named "{k}", expected ember.Tensor' in str(e.value)
    assert_still_lazy(m)
    # the same message as an ordinary module
    with pytest.raises(RuntimeError) as e_lin:
        nn.Linear(5, 3).load_state_dict(state)
    assert str(e.value).split("\n", 1)[1] == str(e_lin.value).split("\n", 1)[1]


def test_lazy_linear_load_state_dict_one_bad_value_loads_nothing():
    # a good weight next to a bad bias: the weight is not materialized either
    m = nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match=r'named "bias", expected ember.Tensor .* got int'):
        m.load_state_dict({"weight": ember.ones(3, 5), "bias": 3})
    assert_still_lazy(m)
    # after the failure the module still infers its size and initializes at the first forward
    assert tuple(m(ember.ones(2, 4)).shape) == (2, 3)
    assert tuple(m.weight.shape) == (3, 4) and type(m) is nn.Linear


def test_lazy_batchnorm_load_state_dict_numpy_buffer_raises():
    t = tnn.BatchNorm1d(4)
    state = {k: v.detach().numpy() for k, v in t.state_dict().items()}
    with pytest.raises(RuntimeError, match="expected torch.Tensor"):
        tnn.LazyBatchNorm1d().load_state_dict(state)
    m = nn.LazyBatchNorm1d()
    with pytest.raises(RuntimeError, match=r'named "running_mean", expected ember.Tensor'):
        m.load_state_dict(state)
    assert_still_lazy(m, "num_features")


def test_lazy_linear_load_state_dict_of_tensors_still_works():
    t = tnn.Linear(5, 3).double()
    m = nn.LazyLinear(3, dtype=ember.float64)
    m.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(2, 5))
    np.testing.assert_allclose(
        to_np(m(ember.tensor(x))), t(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )
    # an uninitialized state into an uninitialized module: nothing to copy, no error (as torch)
    tnn.LazyLinear(3).load_state_dict(tnn.LazyLinear(3).state_dict())
    lazy = nn.LazyLinear(3)
    assert lazy.load_state_dict(nn.LazyLinear(3).state_dict()) == ([], [])
    assert_still_lazy(lazy)


def test_initialized_module_load_of_uninitialized_state_raises_runtime_error_like_torch():
    with pytest.raises(RuntimeError, match="uninitialized"):
        tnn.Linear(5, 3).load_state_dict(tnn.LazyLinear(3).state_dict())
    m = nn.Linear(5, 3)
    w = to_np(m.weight)
    with pytest.raises(RuntimeError, match=r'"weight", the state_dict holds an uninitialized'):
        m.load_state_dict(nn.LazyLinear(3).state_dict())
    np.testing.assert_array_equal(to_np(m.weight), w)


# ---- 4b. ember.save of an uninitialized state_dict ---------------------------------------------


def test_save_of_lazy_state_dict_raises_clear_error(tmp_path):
    path = os.fspath(tmp_path / "lazy.safetensors")
    sd = nn.LazyLinear(3).state_dict()
    for kind in (TypeError, ValueError):  # save's "cannot store" type; the placeholder's type
        with pytest.raises(kind) as e:
            ember.save(sd, path)
        msg = str(e.value)
        assert "uninitialized (lazy)" in msg
        assert "dry forward" in msg
        assert "safetensors" in msg
    assert not os.path.exists(path)


def test_save_of_lazy_state_dict_works_after_dry_forward(tmp_path):
    path = os.fspath(tmp_path / "lazy.safetensors")
    m = nn.LazyLinear(3)
    m(ember.ones(2, 5))
    ember.save(m.state_dict(), path)
    loaded = ember.load(path)
    assert sorted(loaded) == ["bias", "weight"]
    np.testing.assert_array_equal(to_np(loaded["weight"]), to_np(m.weight))


def test_numpy_of_placeholder_raises_the_save_message():
    with pytest.raises(ValueError, match=r"UninitializedParameter\.numpy: .*uninitialized \(lazy"):
        nn.LazyLinear(3).weight.numpy()
    with pytest.raises(ValueError, match=r"__array__: .*dry forward"):
        np.asarray(nn.LazyLinear(3).weight)


# ---- 5. AdaptiveLogSoftmaxWithLoss targets -----------------------------------------------------


def _asm_pair():
    t = tnn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 7], div_value=2.0).double()
    e = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 7], div_value=2.0, dtype=ember.float64)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return e, t


@pytest.mark.parametrize(
    ("values", "dtype"),
    [([1.0, 2.0, 9.0], "float32"), ([1.5, 2.0, 9.0], "float64"), ([True, False, True], "bool")],
)
def test_adaptive_log_softmax_non_integer_target_raises(values, dtype):
    e, t = _asm_pair()
    x = np.random.default_rng(0).normal(size=(3, 8))
    with pytest.raises(RuntimeError):
        t(torch.tensor(x), torch.tensor(values, dtype=getattr(torch, dtype)))
    with pytest.raises(TypeError, match=rf"target must be an integer tensor .*got {dtype}"):
        e(ember.tensor(x), ember.tensor(values, dtype=getattr(ember, dtype)))
    with pytest.raises(TypeError, match="integer tensor"):  # unbatched 0-d target
        e(ember.tensor(x[0]), ember.tensor(values[0], dtype=getattr(ember, dtype)))


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_adaptive_log_softmax_integer_targets_match_torch(dtype):
    e, t = _asm_pair()
    x = np.random.default_rng(1).normal(size=(5, 8))
    target = [0, 3, 4, 8, 9]
    eo = e(ember.tensor(x), ember.tensor(target, dtype=getattr(ember, dtype)))
    to = t(torch.tensor(x), torch.tensor(target, dtype=getattr(torch, dtype)))
    np.testing.assert_allclose(to_np(eo.output), to.output.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(to_np(eo.loss), to.loss.detach().numpy(), rtol=1e-10)
