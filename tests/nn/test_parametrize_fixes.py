"""ember.nn.utils.parametrize on the cases of a review: a deep copy owns its generated class,
``unsafe=True`` with a shape-changing ``right_inverse`` warns that the Parameter is new, and
parametrizations.weight_norm loads the state dict of the hook-based weight_norm."""

from __future__ import annotations

import copy
import pickle
import warnings

import ember
import numpy as np
import pytest
from ember import nn
from ember.nn.utils import parametrizations, parametrize, weight_norm


class Double(nn.Module):
    def forward(self, x):
        return 2 * x


class Unflatten(nn.Module):
    """Stores a 3x3 weight as a flat 9-vector."""

    def forward(self, x):
        return x.reshape(3, 3)

    def right_inverse(self, w):
        return w.reshape(-1)


def to_np(t):
    return t.detach().numpy().copy()


def assert_allclose(a, b, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(to_np(a), to_np(b), rtol=rtol, atol=atol)


def legacy_weight_norm(module, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return weight_norm(module, **kw)


# ---- deepcopy: the copy owns its generated class -----------------------------------------------


def test_removing_a_parametrization_from_a_copy_leaves_the_original_working():
    model = parametrizations.weight_norm(nn.Linear(3, 3))
    x = ember.randn(2, 3)
    before = to_np(model(x))
    export = copy.deepcopy(model)
    assert type(export) is not type(model)
    assert type(export).__name__ == type(model).__name__ == "ParametrizedLinear"
    parametrize.remove_parametrizations(export, "weight")
    assert type(export) is nn.Linear
    np.testing.assert_allclose(to_np(model(x)), before, rtol=0, atol=0)
    assert parametrize.is_parametrized(model, "weight")
    assert_allclose(export(x), model(x))


def test_adding_a_parametrization_to_a_copy_does_not_reach_the_original():
    model = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Double())
    twin = copy.deepcopy(model)
    parametrize.register_parametrization(twin, "bias", Double())
    assert "bias" not in vars(type(model))
    assert_allclose(model.bias, model._parameters["bias"])  # still a plain parameter
    assert_allclose(twin.bias, 2 * model.bias)
    parametrize.remove_parametrizations(model, "weight")  # and the other way round
    assert type(model) is nn.Linear
    assert_allclose(twin.weight, 2 * twin.parametrizations.weight.original)


def test_copy_inside_a_container_gets_its_own_class_and_pickling_still_refuses():
    net = nn.Sequential(parametrizations.weight_norm(nn.Linear(3, 4)), nn.ReLU())
    twin = copy.deepcopy(net)
    assert type(twin[0]) is not type(net[0])
    copy.deepcopy(twin)  # a copy of a copy works too
    for m in (net, twin):
        with pytest.raises(RuntimeError, match="only supported through state_dict"):
            pickle.dumps(m)
    parametrize.remove_parametrizations(twin[0], "weight")
    restored = pickle.loads(pickle.dumps(twin))  # plain again: pickles
    x = ember.randn(2, 3)
    assert_allclose(restored(x), net(x))


# ---- unsafe=True with a shape-changing right_inverse -------------------------------------------


def test_shape_changing_right_inverse_warns_that_the_parameter_is_new():
    m = nn.Linear(3, 3)
    w0 = to_np(m.weight)
    with pytest.warns(
        UserWarning,
        match=r"register_parametrization: the original tensor changes "
        r"shape from \(3, 3\) to \(9,\); ember cannot resize a tensor in place",
    ):
        parametrize.register_parametrization(m, "weight", Unflatten(), unsafe=True)
    original = m.parametrizations.weight.original
    assert isinstance(original, nn.Parameter) and tuple(original.shape) == (9,)
    np.testing.assert_array_equal(to_np(m.weight), w0)
    # an optimizer built after registering (as the warning says) trains the new Parameter
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    m(ember.ones(2, 3)).sum().backward()
    opt.step()
    np.testing.assert_allclose(to_np(m.weight), w0 - 0.1 * 2.0, rtol=1e-6)


def test_same_shape_unsafe_keeps_the_parameter_without_warning():
    m = nn.Linear(3, 3)
    w = m.weight
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parametrize.register_parametrization(m, "weight", Double(), unsafe=True)
    assert m.parametrizations.weight.original is w


def test_removing_a_shape_changing_parametrization_warns():
    m = nn.Linear(3, 3)
    with pytest.warns(UserWarning):
        parametrize.register_parametrization(m, "weight", Unflatten(), unsafe=True)
    value = to_np(m.weight)
    with pytest.warns(
        UserWarning,
        match=r"remove_parametrizations: the original tensor changes "
        r"shape from \(9,\) to \(3, 3\)",
    ):
        parametrize.remove_parametrizations(m, "weight")
    assert isinstance(m.weight, nn.Parameter) and tuple(m.weight.shape) == (3, 3)
    np.testing.assert_array_equal(to_np(m.weight), value)


# ---- weight_norm: legacy state dicts ------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrized_weight_norm_loads_a_legacy_state_dict(dim):
    old = legacy_weight_norm(nn.Linear(3, 4), dim=dim)
    sd = old.state_dict()
    keys = list(sd)
    new = parametrizations.weight_norm(nn.Linear(3, 4), dim=dim)
    result = new.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(sd) == keys  # the caller's dict is not renamed
    assert_allclose(new.parametrizations.weight.original0, old.weight_g, 0, 0)
    assert_allclose(new.parametrizations.weight.original1, old.weight_v, 0, 0)
    x = ember.randn(5, 3)
    assert_allclose(new(x), old(x), 1e-6, 1e-6)


def test_legacy_state_dict_loads_into_a_nested_parametrized_module():
    old = nn.Sequential(legacy_weight_norm(nn.Linear(3, 4)), nn.Tanh(), nn.Linear(4, 2))
    new = nn.Sequential(parametrizations.weight_norm(nn.Linear(3, 4)), nn.Tanh(), nn.Linear(4, 2))
    new.load_state_dict(old.state_dict())
    x = ember.randn(5, 3)
    assert_allclose(new(x), old(x))
    assert sorted(new.state_dict()) == [
        "0.bias",
        "0.parametrizations.weight.original0",
        "0.parametrizations.weight.original1",
        "2.bias",
        "2.weight",
    ]


def test_failed_legacy_load_leaves_module_and_dict_unchanged():
    old = nn.Sequential(legacy_weight_norm(nn.Linear(3, 4)))
    new = nn.Sequential(parametrizations.weight_norm(nn.Linear(3, 4)))
    before = {k: to_np(v) for k, v in new.state_dict().items()}
    sd = dict(old.state_dict())
    sd["extra"] = ember.zeros(1)
    keys = list(sd)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra"'):
        new.load_state_dict(sd)
    assert list(sd) == keys  # renamed back
    for k, v in new.state_dict().items():
        np.testing.assert_array_equal(to_np(v), before[k])


def test_only_a_complete_legacy_pair_is_renamed():
    new = parametrizations.weight_norm(nn.Linear(3, 4))
    sd = {"weight_g": ember.ones(4, 1), "bias": ember.zeros(4)}
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "weight_g"'):
        new.load_state_dict(sd)


def test_legacy_load_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import parametrizations as TP

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4), dim=1)
    t_new = TP.weight_norm(torch.nn.Linear(3, 4), dim=1)
    t_new.load_state_dict(t_old.state_dict())
    e_new = parametrizations.weight_norm(nn.Linear(3, 4), dim=1)
    e_new.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in t_old.state_dict().items()}
    )
    assert sorted(e_new.state_dict()) == sorted(t_new.state_dict())
    np.testing.assert_allclose(to_np(e_new.weight), t_new.weight.detach().numpy(), rtol=1e-6)
