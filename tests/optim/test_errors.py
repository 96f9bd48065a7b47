"""Bad hyperparameters and inputs: the same errors and messages as PyTorch, and clear errors from
the fused C++ steps."""

from __future__ import annotations

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember
from ember import (
    _C,
    optim,
)

BAD = [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"momentum": -0.5}),
    ("SGD", {"weight_decay": -1e-3}),
    ("SGD", {"nesterov": True}),
    ("SGD", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": -1.0}),
    ("Adam", {"eps": -1e-8}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (-0.1, 0.999)}),
    ("Adam", {"betas": (0.9, 1.0)}),
    ("Adam", {"weight_decay": -0.1}),
    ("AdamW", {"lr": -0.01}),
    ("AdamW", {"betas": (0.9, 1.5)}),
    ("AdamW", {"weight_decay": -0.01}),
    ("RMSprop", {"lr": -0.01}),
    ("RMSprop", {"eps": -1.0}),
    ("RMSprop", {"momentum": -0.9}),
    ("RMSprop", {"weight_decay": -0.5}),
    ("RMSprop", {"alpha": -0.99}),
    ("Adagrad", {"lr": -0.01}),
    ("Adagrad", {"lr_decay": -0.1}),
    ("Adagrad", {"weight_decay": -0.1}),
    ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adagrad", {"eps": -1e-10}),
]


@pytest.mark.parametrize(
    "name,kwargs", BAD, ids=[n + "-" + "-".join(f"{k}={v}" for k, v in kw.items()) for n, kw in BAD]
)
def test_bad_hyperparameter_raises_torch_message(name, kwargs):
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match="^" + re.escape(str(expected.value)) + "$"):
        getattr(optim, name)([ember.zeros(2, requires_grad=True)], **kwargs)


def test_invalid_learning_rate_text():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -0\.1$"):
        optim.SGD([ember.zeros(2, requires_grad=True)], lr=-0.1)


def test_empty_parameter_list():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])


def test_single_tensor_instead_of_iterable():
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got"):
        optim.SGD(ember.zeros(2, requires_grad=True))


def test_non_tensor_param():
    with pytest.raises(
        TypeError,
        match="optimizer can only optimize Tensors, but one of the "
        "params is builtins.int|optimizer can only optimize Tensors, but one of the "
        "params is int",
    ):
        optim.SGD([ember.zeros(2, requires_grad=True), 3])


def test_non_leaf_param():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2])


def test_param_in_two_groups():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}])


def test_param_set_rejected():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}])


def test_add_param_group_requires_dict():
    opt = optim.SGD([ember.zeros(2, requires_grad=True)])
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([ember.zeros(2, requires_grad=True)])


def test_duplicate_params_warn():
    w = ember.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([w, w])


# ---- the fused C++ steps check every list before writing anything ------------------------------


def _p(*shape, dtype=ember.float32):
    return ember.zeros(*shape, dtype=dtype)


def test_grad_shape_mismatch_names_optimizer_and_shapes():
    p = _p(2, 3)
    with pytest.raises(
        ValueError,
        match=r"^Adam\.step: grads\[0\] has shape \(3, 2\) but "
        r"params\[0\] has shape \(2, 3\)$",
    ):
        _C._adam_step(
            [p],
            [_p(3, 2)],
            [_p(2, 3)],
            [_p(2, 3)],
            [],
            [ember.zeros(())],
            0.1,
            0.9,
            0.999,
            1e-8,
            0.0,
            False,
            False,
            False,
        )


def test_grad_dtype_mismatch_is_type_error():
    with pytest.raises(
        TypeError,
        match=r"SGD\.step: grads\[1\] has dtype float64 but "
        r"params\[1\] has dtype float32",
    ):
        _C._sgd_step(
            [_p(2), _p(2)],
            [_p(2), _p(2, dtype=ember.float64)],
            [],
            0.1,
            0.0,
            0.0,
            0.0,
            False,
            False,
        )


def test_state_shape_mismatch_names_state():
    with pytest.raises(ValueError, match=r"RMSprop\.step: square_avgs\[0\] has shape \(3,\)"):
        _C._rmsprop_step(
            [_p(2)],
            [_p(2)],
            [_p(3)],
            [],
            [],
            [ember.zeros(())],
            0.01,
            0.99,
            1e-8,
            0.0,
            0.0,
            False,
            False,
        )


def test_list_length_mismatch():
    with pytest.raises(ValueError, match=r"Adagrad\.step: got 2 params but 1 state_sums"):
        _C._adagrad_step(
            [_p(2), _p(2)],
            [_p(2), _p(2)],
            [_p(2)],
            [ember.zeros(()), ember.zeros(())],
            0.1,
            0.0,
            0.0,
            1e-10,
            False,
        )


def test_integer_params_rejected():
    with pytest.raises(
        TypeError,
        match=r"AdamW\.step: params\[0\] has dtype int64; expected "
        r"float32 or float64",
    ):
        x = ember.zeros(2, dtype=ember.int64)
        _C._adam_step(
            [x],
            [x],
            [x],
            [x],
            [],
            [ember.zeros(())],
            0.1,
            0.9,
            0.999,
            1e-8,
            0.01,
            False,
            True,
            False,
        )


def test_bad_step_counter_rejected():
    with pytest.raises(ValueError, match=r"Adam\.step: steps\[0\] must have one element"):
        _C._adam_step(
            [_p(2)],
            [_p(2)],
            [_p(2)],
            [_p(2)],
            [],
            [ember.zeros(2)],
            0.1,
            0.9,
            0.999,
            1e-8,
            0.0,
            False,
            False,
            False,
        )


def test_failed_step_writes_nothing():
    # The second parameter is bad: the first must not have been updated.
    p0, p1 = ember.ones(2), ember.ones(2)
    s0, s1 = ember.zeros(()), ember.zeros(())
    v0 = p0._version
    with pytest.raises(ValueError, match=r"exp_avgs\[1\]"):
        _C._adam_step(
            [p0, p1],
            [_p(2), _p(2)],
            [_p(2), _p(3)],
            [_p(2), _p(2)],
            [],
            [s0, s1],
            0.1,
            0.9,
            0.999,
            1e-8,
            0.0,
            False,
            False,
            False,
        )
    assert p0.numpy().tolist() == [1.0, 1.0] and p0._version == v0
    assert s0.item() == 0.0


def test_sgd_nesterov_checked_in_step_too():
    with pytest.raises(ValueError, match="SGD.step: Nesterov momentum requires a momentum"):
        _C._sgd_step([_p(2)], [_p(2)], [], 0.1, 0.0, 0.0, 0.0, True, False)


# ---- Adamax, NAdam, RAdam, Adadelta: the same checks, before anything is written ---------------


def _fused_call(name, params, grads, state_a, state_b, steps, mu_products=None):
    """Calls one of the four newer fused steps with default hyperparameters."""
    if name == "Adamax":
        return _C._adamax_step(params, grads, state_a, state_b, steps, 0.1, 0.9, 0.999, 1e-8,
                               0.0, False)
    if name == "NAdam":
        mp = mu_products if mu_products is not None else [ember.ones(()) for _ in params]
        return _C._nadam_step(params, grads, state_a, state_b, mp, steps, 0.1, 0.9, 0.999, 1e-8,
                              0.0, 4e-3, False, False)
    if name == "RAdam":
        return _C._radam_step(params, grads, state_a, state_b, steps, 0.1, 0.9, 0.999, 1e-8,
                              0.0, False, False)
    return _C._adadelta_step(params, grads, state_a, state_b, steps, 1.0, 0.9, 1e-6, 0.0, False)


STATE_NAMES = {
    "Adamax": ("exp_avgs", "exp_infs"),
    "NAdam": ("exp_avgs", "exp_avg_sqs"),
    "RAdam": ("exp_avgs", "exp_avg_sqs"),
    "Adadelta": ("square_avgs", "acc_deltas"),
}


@pytest.mark.parametrize("name", sorted(STATE_NAMES))
def test_newer_fused_steps_name_the_bad_state_and_write_nothing(name):
    p0, p1 = ember.ones(2), ember.ones(2)
    s0, s1 = ember.zeros(()), ember.zeros(())
    v0 = p0._version
    second = STATE_NAMES[name][1]
    with pytest.raises(
        ValueError,
        match=rf"^{name}\.step: {second}\[1\] has shape \(3,\) but params\[1\] has shape \(2,\)$",
    ):
        _fused_call(name, [p0, p1], [_p(2), _p(2)], [_p(2), _p(2)], [_p(2), _p(3)], [s0, s1])
    assert p0.numpy().tolist() == [1.0, 1.0] and p0._version == v0
    assert s0.item() == 0.0 and s1.item() == 0.0


@pytest.mark.parametrize("name", sorted(STATE_NAMES))
def test_newer_fused_steps_reject_integer_params_and_short_lists(name):
    x = ember.zeros(2, dtype=ember.int64)
    with pytest.raises(TypeError, match=rf"^{name}\.step: params\[0\] has dtype int64"):
        _fused_call(name, [x], [x], [x], [x], [ember.zeros(())])
    with pytest.raises(ValueError, match=rf"^{name}\.step: got 1 params but 0 steps$"):
        _fused_call(name, [_p(2)], [_p(2)], [_p(2)], [_p(2)], [])


def test_nadam_mu_products_are_checked():
    args = ([_p(2)], [_p(2)], [_p(2)], [_p(2)])
    with pytest.raises(ValueError, match=r"NAdam\.step: mu_products\[0\] must have one element"):
        _fused_call("NAdam", *args, [ember.zeros(())], mu_products=[ember.ones(2)])
    with pytest.raises(TypeError, match=r"NAdam\.step: mu_products\[0\] has dtype int64"):
        _fused_call("NAdam", *args, [ember.zeros(())],
                    mu_products=[ember.ones((), dtype=ember.int64)])
    with pytest.raises(ValueError, match=r"NAdam\.step: got 1 params but 0 mu_products"):
        _fused_call("NAdam", *args, [ember.zeros(())], mu_products=[])


def test_nadam_step_multiplies_mu_product_in_float32():
    # mu_1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004), rounded to float32 before the product, as PyTorch.
    mp = ember.ones(())
    step = ember.zeros(())
    _fused_call("NAdam", [_p(2)], [_p(2)], [_p(2)], [_p(2)], [step], mu_products=[mp])
    mu = 0.9 * (1.0 - 0.5 * 0.96 ** (1.0 * 4e-3))
    assert mp.item() == float(np.float32(mu))
    assert step.item() == 1.0
