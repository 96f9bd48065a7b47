"""ember.nn.utils.parametrize, parametrizations and the hook-based weight/spectral norm:
behaviour, errors and float64 finite-difference gradients, without PyTorch (the PyTorch
comparisons are in test_weight_spectral_norm.py)."""

from __future__ import annotations

import copy
import doctest
import pickle
import sys
import warnings

import ember
import numpy as np
import pytest
from ember import nn
from ember.autograd import gradcheck
from ember.nn import functional as F
from ember.nn.utils import (
    parametrizations,
    parametrize,
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    weight_norm,
)


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


class Double(nn.Module):
    def forward(self, x):
        return 2 * x


class Scale(nn.Module):
    """forward(x) = x * 3; right_inverse divides by 3."""

    def forward(self, x):
        return x * 3.0

    def right_inverse(self, y):
        return y / 3.0


class Sum2(nn.Module):
    """Two originals: forward(a, b) = a + b; right_inverse(w) = (w / 2, w / 2)."""

    def forward(self, a, b):
        return a + b

    def right_inverse(self, w):
        return w / 2.0, w / 2.0


class Transpose(nn.Module):
    def forward(self, x):
        return x.mT


class ToDouble(nn.Module):
    def forward(self, x):
        return x.double()


def to_np(t):
    return t.detach().numpy().copy()


def old_weight_norm(module, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return weight_norm(module, **kw)


def assert_allclose(a, b, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(
        to_np(a) if isinstance(a, ember.Tensor) else a,
        to_np(b) if isinstance(b, ember.Tensor) else b,
        rtol=rtol,
        atol=atol,
    )


# ---- register_parametrization ------------------------------------------------------------


def test_forward_uses_parametrized_weight():
    m = nn.Linear(3, 3)
    w0 = to_np(m.weight)
    parametrize.register_parametrization(m, "weight", Symmetric())
    sym = np.triu(w0) + np.triu(w0, 1).T
    assert_allclose(m.weight, sym)
    x = ember.randn(4, 3)
    assert_allclose(m(x), to_np(x) @ sym.T + to_np(m.bias))


def test_class_is_swapped_and_restored():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", Double())
    assert type(m).__name__ == "ParametrizedLinear"
    assert isinstance(m, nn.Linear)
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    other = nn.Linear(2, 2)
    assert not hasattr(type(other), "weight")  # only this instance's class has the property
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert not hasattr(m, "parametrizations")


def test_names_and_state_dict_keys():
    m = nn.Linear(3, 3)
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert len(list(m.parameters())) == 2
    assert "weight" not in m._parameters


def test_single_original_keeps_parameter_identity():
    m = nn.Linear(3, 3)
    w = m.weight
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert m.parametrizations.weight.original is w
    # right_inverse was applied in place: the original now holds triu(w).
    assert bool((w == w.triu()).all())


def test_backward_flows_to_original():
    m = nn.Linear(3, 3)
    parametrize.register_parametrization(m, "weight", Scale())
    x = ember.randn(5, 3)
    m(x).sum().backward()
    orig = m.parametrizations.weight.original
    # d/dW0 of sum(x @ (3 W0)^T) = 3 * column sums of x, broadcast over rows.
    expected = 3.0 * np.tile(to_np(x).sum(0), (3, 1))
    assert_allclose(orig.grad, expected, rtol=1e-5, atol=1e-5)


def test_gradcheck_through_chain_float64():
    m = nn.Linear(3, 3).double()
    parametrize.register_parametrization(m, "weight", Symmetric())
    parametrize.register_parametrization(m, "weight", Scale())
    orig = m.parametrizations.weight.original
    x = ember.randn(2, 3, dtype=ember.float64)

    def fn(w0, inp):
        with ember.no_grad():
            orig.copy_(w0.detach())
        return F.linear(inp, 3.0 * (w0.triu() + w0.triu(1).mT), m.bias)

    assert gradcheck(fn, (orig.detach().clone().requires_grad_(True), x.requires_grad_(True)))
    # The module computes the same value as the composition checked above.
    y = m(x)
    assert_allclose(y, fn(orig.detach(), x.detach()), rtol=1e-12, atol=1e-12)


def test_assignment_calls_right_inverse():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", Scale())
    orig = m.parametrizations.weight.original
    m.weight = ember.ones(2, 2)
    assert m.parametrizations.weight.original is orig
    assert_allclose(orig, np.full((2, 2), 1 / 3), rtol=1e-6)
    assert_allclose(m.weight, np.ones((2, 2)), rtol=1e-6)


def test_assignment_without_right_inverse_raises():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", Double())
    with pytest.raises(RuntimeError, match="Double does not implement right_inverse"):
        m.weight = ember.ones(2, 2)


def test_assigning_a_parameter_to_parametrized_name_raises():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", Double())
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.weight = nn.Parameter(ember.ones(2, 2))


def test_chain_applies_in_registration_order():
    m = nn.Linear(3, 3)
    w0 = to_np(m.weight)
    parametrize.register_parametrization(m, "weight", Double())
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert len(m.parametrizations.weight) == 2
    expected = np.triu(2 * w0) + np.triu(2 * w0, 1).T
    assert_allclose(m.weight, expected)


def test_tuple_right_inverse_registers_original0_original1():
    m = nn.Linear(3, 2)
    w0 = to_np(m.weight)
    parametrize.register_parametrization(m, "weight", Sum2())
    pl = m.parametrizations.weight
    assert not pl.is_tensor and pl.ntensors == 2
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    assert isinstance(pl.original0, nn.Parameter) and pl.original0.requires_grad
    assert_allclose(pl.original0, w0 / 2)
    assert_allclose(m.weight, w0)
    m.weight = ember.ones(2, 3)
    assert_allclose(pl.original1, np.full((2, 3), 0.5))


def test_buffer_can_be_parametrized_and_stays_a_buffer():
    m = nn.Module()
    m.register_buffer("b", ember.arange(4.0))
    parametrize.register_parametrization(m, "b", Double())
    assert list(m.state_dict()) == ["parametrizations.b.original"]
    assert list(m.parameters()) == []
    assert_allclose(m.b, [0.0, 2.0, 4.0, 6.0])
    parametrize.remove_parametrizations(m, "b")
    assert "b" in m._buffers
    assert_allclose(m.b, [0.0, 2.0, 4.0, 6.0])


def test_registering_on_two_tensors_and_removing_one():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", Double())
    parametrize.register_parametrization(m, "bias", Double())
    assert parametrize.is_parametrized(m)
    assert parametrize.is_parametrized(m, "weight") and parametrize.is_parametrized(m, "bias")
    parametrize.remove_parametrizations(m, "bias")
    assert type(m).__name__ == "ParametrizedLinear"
    assert not parametrize.is_parametrized(m, "bias")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]


def test_is_parametrized_on_plain_module():
    m = nn.Linear(2, 2)
    assert parametrize.is_parametrized(m) is False
    assert parametrize.is_parametrized(m, "weight") is False


def test_training_mode_follows_module():
    m = nn.Linear(2, 2).eval()
    p = Double()
    parametrize.register_parametrization(m, "weight", p)
    assert p.training is False
    m.train()
    assert p.training is True


# ---- remove_parametrizations --------------------------------------------------------------


def test_remove_leave_parametrized_keeps_value_and_identity():
    m = nn.Linear(3, 3)
    parametrize.register_parametrization(m, "weight", Symmetric())
    orig = m.parametrizations.weight.original
    value = to_np(m.weight)
    parametrize.remove_parametrizations(m, "weight")
    assert m.weight is orig
    assert isinstance(m.weight, nn.Parameter)
    assert_allclose(m.weight, value)
    assert list(m.state_dict()) == ["bias", "weight"]


def test_remove_leave_unparametrized_restores_original():
    m = nn.Linear(2, 2)
    parametrize.register_parametrization(m, "weight", Double())
    orig = to_np(m.parametrizations.weight.original)
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    assert_allclose(m.weight, orig)


def test_remove_tuple_parametrization():
    m = nn.Linear(3, 2)
    parametrize.register_parametrization(m, "weight", Sum2())
    value = to_np(m.weight)
    with pytest.raises(
        ValueError, match="remove_parametrizations: cannot use leave_parametrized=False"
    ):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(m, "weight")
    assert isinstance(m.weight, nn.Parameter) and m.weight.is_leaf
    assert_allclose(m.weight, value)


def test_remove_unparametrized_raises():
    with pytest.raises(
        ValueError,
        match="remove_parametrizations: module Linear has no "
        "parametrization on tensor_name 'weight'",
    ):
        parametrize.remove_parametrizations(nn.Linear(2, 2), "weight")


# ---- errors ------------------------------------------------------------------------------


def test_missing_tensor_name_raises():
    with pytest.raises(
        ValueError,
        match=r"register_parametrization: module Linear has no "
        r"parameter, buffer or parametrized tensor named "
        r"'weigth' \(tensor_name\)",
    ):
        parametrize.register_parametrization(nn.Linear(2, 2), "weigth", Double())


def test_shape_change_needs_unsafe():
    with pytest.raises(
        ValueError,
        match=r"may not change the shape of the tensor unless "
        r"unsafe=True; unparametrized shape \(2, 3\), "
        r"parametrized shape \(3, 2\)",
    ):
        parametrize.register_parametrization(nn.Linear(3, 2), "weight", Transpose())
    m = parametrize.register_parametrization(nn.Linear(3, 2), "weight", Transpose(), unsafe=True)
    assert m.weight.shape == (3, 2)
    assert m.parametrizations.weight.unsafe is True


def test_shape_change_on_second_registration_needs_unsafe():
    m = parametrize.register_parametrization(nn.Linear(3, 2), "weight", Double())
    with pytest.raises(
        ValueError,
        match=r"register_parametrization: the parametrization "
        r"changes the shape of module.weight from \(2, 3\) "
        r"to \(3, 2\); pass unsafe=True",
    ):
        parametrize.register_parametrization(m, "weight", Transpose())
    assert len(m.parametrizations.weight) == 1


def test_dtype_change_needs_unsafe():
    with pytest.raises(
        ValueError, match="may not change the dtype of the tensor unless unsafe=True"
    ):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", ToDouble())


def test_non_module_parametrization_raises():
    with pytest.raises(
        TypeError, match="register_parametrization: parametrization must be an ember.nn.Module"
    ):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", lambda x: x)


def test_non_module_raises():
    with pytest.raises(
        TypeError, match="register_parametrization: module must be an ember.nn.Module, got Tensor"
    ):
        parametrize.register_parametrization(ember.ones(2), "weight", Double())


def test_empty_parametrization_list_raises():
    with pytest.raises(ValueError, match="ParametrizationList: modules must hold at least one"):
        parametrize.ParametrizationList([], ember.ones(2))


def test_right_inverse_returning_non_tensor_raises():
    class Bad(nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return 3

    with pytest.raises(ValueError, match="right_inverse must return a Tensor or a sequence"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Bad())


# ---- cached ------------------------------------------------------------------------------


def test_cached_computes_once_per_block():
    calls = []

    class Counting(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x * 2.0

    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Counting())
    calls.clear()
    with parametrize.cached():
        a = m.weight
        with parametrize.cached():
            b = m.weight
        c = m.weight
    assert a is b is c
    assert len(calls) == 1
    d = m.weight
    assert d is not a
    assert len(calls) == 2
    assert parametrize._cache == {}


def test_cached_value_is_differentiable():
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Double())
    with parametrize.cached():
        (m.weight.sum() + m.weight.sum()).backward()
    assert_allclose(m.parametrizations.weight.original.grad, np.full((2, 2), 4.0))


# ---- optimizers, state_dict, copying --------------------------------------------------------


def test_sgd_steps_on_original():
    m = parametrize.register_parametrization(nn.Linear(3, 2), "weight", Scale())
    orig = m.parametrizations.weight.original
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    x = ember.randn(4, 3)
    expected = to_np(orig)
    for _ in range(3):
        opt.zero_grad()
        m(x).sum().backward()
        expected = expected - 0.1 * 3.0 * np.tile(to_np(x).sum(0), (2, 1))
        opt.step()
    assert_allclose(orig, expected, rtol=1e-5, atol=1e-5)


def test_state_dict_round_trip_between_ember_modules():
    a = parametrizations.weight_norm(nn.Linear(3, 2))
    b = parametrizations.weight_norm(nn.Linear(3, 2))
    b.load_state_dict(a.state_dict())
    x = ember.randn(4, 3)
    assert_allclose(a(x), b(x))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        assert_allclose(va, vb, rtol=0, atol=0)


def test_deepcopy_works_and_pickle_refuses():
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Double())
    c = copy.deepcopy(m)
    # the copy has its own generated class (see test_parametrize_fixes.py), of the same kind
    assert type(c) is not type(m) and type(c).__name__ == type(m).__name__
    assert parametrize.type_before_parametrizations(c) is nn.Linear
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    assert_allclose(c.weight, m.weight)
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)


def test_double_converts_original():
    m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Double()).double()
    assert m.parametrizations.weight.original.dtype == ember.float64
    assert m.weight.dtype == ember.float64


def test_transfer_parametrizations_and_params():
    src = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    dst = nn.Linear(3, 3)
    parametrize.transfer_parametrizations_and_params(src, dst)
    assert parametrize.is_parametrized(dst, "weight")
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original
    assert_allclose(dst.weight, src.weight)


# ---- parametrizations.weight_norm -------------------------------------------------------


@pytest.mark.parametrize(
    "dim,g_shape", [(0, (4, 1, 1, 1)), (1, (1, 3, 1, 1)), (None, ()), (-1, ()), (-2, (1, 1, 2, 1))]
)
def test_weight_norm_g_shape_and_value(dim, g_shape):
    m = nn.Conv2d(3, 4, 2)
    w = to_np(m.weight)
    parametrizations.weight_norm(m, dim=dim)
    g = m.parametrizations.weight.original0
    assert g.shape == g_shape
    if dim is None or dim == -1:
        expected = np.linalg.norm(w)
    else:
        d = dim % 4
        expected = np.sqrt((w**2).sum(axis=tuple(i for i in range(4) if i != d), keepdims=True))
    assert_allclose(g, expected, rtol=1e-5)
    assert_allclose(m.weight, w, rtol=1e-5)
    assert_allclose(m.parametrizations.weight.original1, w, rtol=0, atol=0)


def test_weight_norm_gradcheck_float64():
    from ember.nn.utils.weight_norm import _weight_norm

    v = ember.randn(3, 4, dtype=ember.float64).requires_grad_(True)
    for dim in (0, 1, -1):
        g_shape = (3, 1) if dim == 0 else (1, 4) if dim == 1 else ()
        g = ember.rand(*g_shape, dtype=ember.float64).add(0.5).requires_grad_(True)
        assert gradcheck(lambda v_, g_, d=dim: _weight_norm(v_, g_, d), (v, g))
    m = parametrizations.weight_norm(nn.Linear(4, 3).double())
    x = ember.randn(2, 4, dtype=ember.float64)
    y = m(x)
    pl = m.parametrizations.weight
    expected = F.linear(x, _weight_norm(pl.original1, pl.original0, 0), m.bias)
    assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_weight_norm_makes_rows_of_norm_g():
    m = parametrizations.weight_norm(nn.Linear(5, 3))
    with ember.no_grad():
        m.parametrizations.weight.original0.copy_(ember.tensor([[1.0], [2.0], [3.0]]))
    assert_allclose(np.linalg.norm(to_np(m.weight), axis=1), [1.0, 2.0, 3.0], rtol=1e-5)


def test_weight_norm_errors():
    with pytest.raises(
        IndexError,
        match=r"weight_norm: dim 2 is out of range for 'weight' of "
        r"shape \(3, 4\); expected None or an int in \[-2, 1\]",
    ):
        parametrizations.weight_norm(nn.Linear(4, 3), dim=2)
    with pytest.raises(
        ValueError, match="weight_norm: module Linear has no parameter or buffer named 'wieght'"
    ):
        parametrizations.weight_norm(nn.Linear(4, 3), name="wieght")
    with pytest.raises(TypeError, match="weight_norm: dim must be an int or None, got str"):
        parametrizations.weight_norm(nn.Linear(4, 3), dim="0")


# ---- parametrizations.spectral_norm -----------------------------------------------------


def test_spectral_norm_sigma_approaches_largest_singular_value():
    m = parametrizations.spectral_norm(nn.Linear(6, 4), n_power_iterations=5)
    for _ in range(20):
        w = m.weight  # each read in training mode runs power iterations
    orig = to_np(m.parametrizations.weight.original)
    s = np.linalg.svd(orig, compute_uv=False)
    assert_allclose(w, orig / s[0], rtol=1e-4, atol=1e-5)
    assert_allclose(np.linalg.svd(to_np(w), compute_uv=False)[0], 1.0, rtol=1e-4)


def test_spectral_norm_buffers_update_only_in_training():
    m = parametrizations.spectral_norm(nn.Linear(5, 4))
    sn = m.parametrizations.weight[0]
    sn._u.copy_(ember.ones(4) / 2.0)
    m.eval()
    u0 = to_np(sn._u)
    m(ember.randn(2, 5))
    assert_allclose(sn._u, u0, rtol=0, atol=0)
    m.train()
    m(ember.randn(2, 5))
    assert not np.allclose(to_np(sn._u), u0)


def test_spectral_norm_keys_and_default_dim_for_transposed_conv():
    m = parametrizations.spectral_norm(nn.ConvTranspose2d(3, 5, 2))
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original",
        "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]
    # weight (3, 5, 2, 2): dim 1 becomes the rows.
    assert m.parametrizations.weight[0]._u.shape == (5,)
    assert m.parametrizations.weight[0]._v.shape == (12,)


def test_spectral_norm_1d_weight_is_normalized():
    m = nn.Module()
    m.w = nn.Parameter(ember.tensor([3.0, 4.0]))
    parametrizations.spectral_norm(m, name="w")
    assert_allclose(m.w, [0.6, 0.8])


def test_spectral_norm_gradcheck_float64_eval():
    m = parametrizations.spectral_norm(nn.Linear(4, 3).double()).eval()
    sn = m.parametrizations.weight[0]
    u, v = sn._u.detach().clone(), sn._v.detach().clone()

    def fn(w):
        return w / ember.vdot(u, ember.mv(w, v))

    orig = m.parametrizations.weight.original
    assert gradcheck(fn, (orig.detach().clone().requires_grad_(True),))
    assert_allclose(m.weight, fn(orig.detach()), rtol=1e-12, atol=1e-12)
    # Through the module: gradient of sum(weight) equals the gradient of fn.
    m.weight.sum().backward()
    w = orig.detach().clone().requires_grad_(True)
    fn(w).sum().backward()
    assert_allclose(orig.grad, w.grad, rtol=1e-12, atol=1e-12)


def test_spectral_norm_errors():
    with pytest.raises(
        ValueError,
        match="spectral_norm: n_power_iterations must be positive, got n_power_iterations=0",
    ):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(
        IndexError,
        match=r"spectral_norm: dim -3 is out of range for 'weight' "
        r"of shape \(2, 2\); expected an int in \[-2, 1\]",
    ):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=-3)
    with pytest.raises(
        ValueError, match="spectral_norm: module Linear has no parameter or buffer named 'w'"
    ):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="w")


# ---- hook-based weight_norm / spectral_norm ------------------------------------------------


def test_old_weight_norm_warns_keys_and_value():
    m = nn.Linear(4, 3)
    w = to_np(m.weight)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert m.weight_g.shape == (3, 1)
    assert_allclose(m.weight, w, rtol=1e-5)
    assert not isinstance(m.weight, nn.Parameter)


def test_old_weight_norm_recomputes_before_forward_and_backprops():
    m = old_weight_norm(nn.Linear(4, 3))
    w_before = to_np(m.weight)
    with ember.no_grad():
        m.weight_g.mul_(2.0)
    assert_allclose(m.weight, w_before, rtol=0, atol=0)  # not recomputed until forward
    x = ember.randn(2, 4)
    y = m(x)
    assert_allclose(m.weight, 2 * w_before, rtol=1e-5)
    assert_allclose(np.linalg.norm(to_np(m.weight), axis=1), to_np(m.weight_g)[:, 0], rtol=1e-5)
    y.sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    assert m.weight_g.grad.shape == (3, 1)


def test_old_weight_norm_remove():
    m = old_weight_norm(nn.Linear(4, 3), dim=None)
    assert m.weight_g.shape == ()
    value = to_np(m.weight)
    remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter)
    assert_allclose(m.weight, value)
    assert len(m._forward_pre_hooks) == 0


def test_old_weight_norm_errors():
    m = old_weight_norm(nn.Linear(4, 3))
    with pytest.raises(
        RuntimeError,
        match="weight_norm: cannot register two weight_norm hooks on the same parameter weight",
    ):
        old_weight_norm(m)
    with pytest.raises(
        ValueError, match="remove_weight_norm: weight_norm of 'bias' \\(name\\) not found"
    ):
        remove_weight_norm(m, "bias")
    with pytest.raises(
        ValueError, match="weight_norm: module Linear has no parameter named 'w' \\(name\\)"
    ):
        old_weight_norm(nn.Linear(4, 3), name="w")
    with pytest.raises(IndexError, match="weight_norm: dim 3 is out of range"):
        old_weight_norm(nn.Linear(4, 3), dim=3)


def test_old_spectral_norm_keys_and_training_updates():
    m = spectral_norm(nn.Linear(5, 4))
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert_allclose(m.weight, m.weight_orig)  # before the first forward: the raw weight
    u0 = to_np(m.weight_u)
    m.eval()
    m(ember.randn(2, 5))
    assert_allclose(m.weight_u, u0, rtol=0, atol=0)
    m.train()
    for _ in range(30):
        m(ember.randn(2, 5))
    s = np.linalg.svd(to_np(m.weight_orig), compute_uv=False)[0]
    assert_allclose(m.weight, to_np(m.weight_orig) / s, rtol=1e-4, atol=1e-5)


def test_old_spectral_norm_remove_and_errors():
    m = spectral_norm(nn.Linear(5, 4))
    m(ember.randn(2, 5))
    m.eval()
    m(ember.randn(1, 5))  # eval: weight recomputed from the stored u, v
    w = to_np(m.weight)
    remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter)
    assert_allclose(m.weight, w)
    with pytest.raises(ValueError, match="remove_spectral_norm: spectral_norm of 'weight'"):
        remove_spectral_norm(m)
    with pytest.raises(ValueError, match="spectral_norm: n_power_iterations must be positive"):
        spectral_norm(nn.Linear(2, 2), n_power_iterations=-1)
    with pytest.raises(IndexError, match="spectral_norm: dim 2 is out of range"):
        spectral_norm(nn.Linear(2, 2), dim=2)
    m2 = spectral_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="cannot register two spectral_norm hooks"):
        spectral_norm(m2)


def test_old_spectral_norm_gradcheck_float64_eval():
    m = spectral_norm(nn.Linear(4, 3).double()).eval()
    u, v = m.weight_u.detach().clone(), m.weight_v.detach().clone()

    def fn(w):
        return w / ember.dot(u, ember.mv(w, v))

    assert gradcheck(fn, (m.weight_orig.detach().clone().requires_grad_(True),))
    x = ember.randn(2, 4, dtype=ember.float64)
    assert_allclose(m(x), F.linear(x, fn(m.weight_orig.detach()), m.bias), rtol=1e-12, atol=1e-12)


# ---- misc --------------------------------------------------------------------------------


def test_import_ember_does_not_import_torch():
    import subprocess

    code = "import sys, ember, ember.nn.utils.parametrize; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_exported_names():
    import ember.nn.utils as U

    for name in (
        "parametrize",
        "parametrizations",
        "weight_norm",
        "remove_weight_norm",
        "spectral_norm",
        "remove_spectral_norm",
    ):
        assert name in U.__all__ and hasattr(U, name)
    assert callable(U.weight_norm) and callable(U.spectral_norm)


@pytest.mark.parametrize(
    "modname", ["parametrize", "parametrizations", "weight_norm", "spectral_norm"]
)
def test_docstring_examples(modname):
    module = sys.modules[f"ember.nn.utils.{modname}"]
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(module, globs={"ember": ember})
    assert any(t.examples for t in tests)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for t in tests:
            runner.run(t)
    assert runner.summarize(verbose=False).failed == 0
