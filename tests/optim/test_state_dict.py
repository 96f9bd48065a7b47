"""Optimizer.state_dict / load_state_dict: PyTorch's format, exact resumption, safe failures."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember
from ember import optim
from optim_testutil import (
    ember_params,
    problem,
    snapshot_ember,
    torch_params,
    train_ember,
    train_torch,
)

CASES = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01}),
    ("AdamW", {"lr": 0.05}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
]


def _ids(case):
    return case[0] + "-" + "-".join(f"{k}={v}" for k, v in case[1].items())


def _two_group_opt(cls, params, kwargs):
    return cls([{"params": [params[0]], "lr": kwargs["lr"] * 2}, {"params": [params[1]]}], **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_resume_after_load_equals_uninterrupted(case, dtype):
    name, kwargs = case
    cls = getattr(optim, name)
    data = problem(dtype)
    # Uninterrupted: 10 steps.
    ref_params = ember_params(data)
    ref = _two_group_opt(cls, ref_params, kwargs)
    ref_traj = train_ember(ref, ref_params, data, 10)
    # Interrupted after 4 steps: copy params, a fresh optimizer loads the state, 6 more steps.
    params = ember_params(data)
    first = _two_group_opt(cls, params, kwargs)
    train_ember(first, params, data, 4)
    sd = first.state_dict()
    resumed_params = [ember.tensor(a, requires_grad=True) for a in snapshot_ember(params)]
    second = _two_group_opt(cls, resumed_params, dict(kwargs, lr=123.0))  # lr comes from sd
    second.load_state_dict(sd)
    assert second.param_groups[0]["lr"] == kwargs["lr"] * 2
    traj = train_ember(second, resumed_params, data, 6)
    for a, b in zip(traj, ref_traj[4:]):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    # The loaded state does not share memory with the state dict (or the first optimizer).
    train_ember(first, params, data, 6)
    for a, b in zip(snapshot_ember(params), snapshot_ember(resumed_params)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_state_dict_format_matches_torch(case):
    name, kwargs = case
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = _two_group_opt(getattr(optim, name), ep, kwargs)
    to = _two_group_opt(getattr(torch.optim, name), tp, kwargs)
    train_ember(eo, ep, data, 3)
    train_torch(to, tp, data, 3)
    es, ts = eo.state_dict(), to.state_dict()
    assert set(es) == {"state", "param_groups"}
    assert sorted(es["state"]) == sorted(ts["state"])
    for idx, st in ts["state"].items():
        assert set(es["state"][idx]) == set(st)
        for key, value in st.items():
            ev = es["state"][idx][key]
            assert isinstance(ev, ember.Tensor)
            assert ev.shape == tuple(value.shape)
            np.testing.assert_allclose(ev.numpy(), value.numpy(), rtol=1e-9, atol=1e-14)
        if "step" in st:
            assert es["state"][idx]["step"].dtype == ember.float32
    assert len(es["param_groups"]) == len(ts["param_groups"])
    for eg, tg in zip(es["param_groups"], ts["param_groups"]):
        assert eg["params"] == tg["params"]
        for key, value in eg.items():
            assert tg[key] == value, key


def test_state_dict_keys_are_indices_across_groups():
    a, b, c = (ember.tensor([float(i)], requires_grad=True) for i in range(3))
    opt = optim.SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p in (a, b, c):
        p.grad = ember.tensor([1.0])
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sd["param_groups"][1]["params"] == [2]
    assert sorted(sd["state"]) == [0, 1, 2]
    assert sd["state"][2]["momentum_buffer"].numpy().tolist() == [1.0]


def test_load_converts_state_to_param_dtype_but_keeps_step():
    w32 = ember.tensor([1.0, 2.0], requires_grad=True)
    opt32 = optim.Adam([w32])
    (w32 * w32).sum().backward()
    opt32.step()
    w64 = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    opt64 = optim.Adam([w64])
    opt64.load_state_dict(opt32.state_dict())
    assert opt64.state[w64]["exp_avg"].dtype == ember.float64
    assert opt64.state[w64]["step"].dtype == ember.float32
    (w64 * w64).sum().backward()
    opt64.step()
    assert opt64.state[w64]["step"].item() == 2.0


def _trained_adam():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0], requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    ((a * a).sum() + (b * b).sum()).backward()
    opt.step()
    return opt, a, b


def test_load_wrong_number_of_groups_raises_and_leaves_optimizer_unchanged():
    opt, _a, _b = _trained_adam()
    other = optim.Adam([ember.tensor([1.0, 2.0], requires_grad=True)], lr=0.7)
    before_groups = other.param_groups
    before_state = other.state
    with pytest.raises(ValueError, match="different number of parameter groups"):
        other.load_state_dict(opt.state_dict())
    assert other.param_groups is before_groups and other.state is before_state
    assert other.param_groups[0]["lr"] == 0.7


def test_load_group_size_mismatch_raises_and_leaves_optimizer_unchanged():
    opt, _a, _b = _trained_adam()
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor([1.0], requires_grad=True)
    z = ember.tensor([1.0], requires_grad=True)
    other = optim.Adam([{"params": [x, y]}, {"params": [z]}], lr=0.7)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["lr"] == 0.7 and len(other.state) == 0


def test_load_rejects_non_state_dict():
    opt, _a, _b = _trained_adam()
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


def test_adamw_keeps_decoupled_flag_after_loading_adam_state():
    opt, _a, _b = _trained_adam()
    a2 = ember.tensor([1.0, 2.0], requires_grad=True)
    b2 = ember.tensor([3.0], requires_grad=True)
    w = optim.AdamW([{"params": [a2]}, {"params": [b2]}])
    w.load_state_dict(opt.state_dict())
    assert all(g["decoupled_weight_decay"] for g in w.param_groups)
    assert w.param_groups[1]["lr"] == 0.5
    assert isinstance(w.param_groups[0]["betas"], tuple)


def test_state_dict_survives_save_and_load(tmp_path):
    # Through ember.save/ember.load: nested dicts with integer keys and tensors.
    opt, a, _b = _trained_adam()
    path = tmp_path / "opt.safetensors"
    ember.save(opt.state_dict(), str(path))
    sd = ember.load(str(path))
    assert list(sd["state"]) == list(opt.state_dict()["state"])
    a2 = ember.tensor([1.0, 2.0], requires_grad=True)
    b2 = ember.tensor([3.0], requires_grad=True)
    opt2 = optim.Adam([{"params": [a2]}, {"params": [b2]}])
    opt2.load_state_dict(sd)
    np.testing.assert_array_equal(
        opt2.state[a2]["exp_avg"].numpy(), opt.state[a]["exp_avg"].numpy()
    )


@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad"])
def test_plain_number_step_is_loaded_as_a_tensor(name):
    # Older checkpoints and hand-written state hold "step" as a number; PyTorch converts it.
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    ref = ember.tensor([1.0, 2.0], requires_grad=True)
    opt, opt_ref = getattr(optim, name)([w], lr=0.1), getattr(optim, name)([ref], lr=0.1)
    for o, p in ((opt, w), (opt_ref, ref)):
        p.grad = ember.tensor([1.0, -3.0])
        o.step()
    sd = opt.state_dict()
    sd["state"][0]["step"] = 1
    fresh = getattr(optim, name)([w], lr=0.1)
    fresh.load_state_dict(sd)
    assert isinstance(fresh.state[w]["step"], ember.Tensor)
    for o, p in ((fresh, w), (opt_ref, ref)):
        p.grad = ember.tensor([0.5, 2.0])
        o.step()
    assert fresh.state[w]["step"].item() == 2.0
    np.testing.assert_array_equal(w.detach().numpy(), ref.detach().numpy())


def test_sgd_keeps_a_plain_number_in_its_state_as_is():
    w = ember.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.load_state_dict({"state": {0: {"step": 3, "momentum_buffer": None}},
                         "param_groups": opt.state_dict()["param_groups"]})
    assert opt.state[w]["step"] == 3 and isinstance(opt.state[w]["step"], int)
