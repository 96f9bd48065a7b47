"""ember.optim optimizers against torch.optim: same start, same loss, same trajectory."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember
from ember import optim
from optim_testutil import (
    assert_trajectories_close,
    ember_loss,
    ember_params,
    problem,
    snapshot_ember,
    torch_loss,
    torch_params,
    train_ember,
    train_torch,
)

DTYPES = ["float32", "float64"]

# (optimizer name, constructor kwargs) — every option and several combinations.
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "maximize": True}),
    (
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05, "maximize": True},
    ),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.1, "weight_decay": 0.2}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-4}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.05, "amsgrad": True, "betas": (0.5, 0.6)}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-3}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    (
        "RMSprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1, "maximize": True},
    ),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.1},
    ),
]


def _case_id(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch_10_steps(case, dtype):
    name, kwargs = case
    data = problem(dtype)
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)(ep, **kwargs)
    to = getattr(torch.optim, name)(tp, **kwargs)
    assert_trajectories_close(train_ember(eo, ep, data, 10), train_torch(to, tp, data, 10), dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_default_hyperparameters_match_torch(name):
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)(ep)
    to = getattr(torch.optim, name)(tp)
    for key, value in eo.defaults.items():
        assert to.defaults[key] == value, key
    assert_trajectories_close(
        train_ember(eo, ep, data, 10), train_torch(to, tp, data, 10), "float64"
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.01, "momentum": 0.9}),
        ("Adam", {"lr": 0.01}),
        ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
        ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.3}),
        ("Adagrad", {"lr": 0.01, "lr_decay": 0.01}),
    ],
)
def test_param_groups_with_different_lr(name, kwargs, dtype):
    data = problem(dtype)
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)([{"params": [ep[0]], "lr": 0.1}, {"params": [ep[1]]}], **kwargs)
    to = getattr(torch.optim, name)([{"params": [tp[0]], "lr": 0.1}, {"params": [tp[1]]}], **kwargs)
    assert eo.param_groups[0]["lr"] == 0.1 and eo.param_groups[1]["lr"] == kwargs["lr"]
    assert_trajectories_close(train_ember(eo, ep, data, 10), train_torch(to, tp, data, 10), dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_group_overrides_other_hyperparameters(name):
    over = {
        "SGD": {"momentum": 0.5, "nesterov": True},
        "Adam": {"betas": (0.5, 0.7), "amsgrad": True},
        "RMSprop": {"alpha": 0.5, "centered": True},
        "Adagrad": {"lr_decay": 0.5},
    }[name]
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    kw = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.05}
    eo = getattr(optim, name)([{"params": [ep[0]], **over}, {"params": [ep[1]]}], **kw)
    to = getattr(torch.optim, name)([{"params": [tp[0]], **over}, {"params": [tp[1]]}], **kw)
    assert_trajectories_close(
        train_ember(eo, ep, data, 10), train_torch(to, tp, data, 10), "float64"
    )


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_closure_returns_loss_and_matches_torch(name):
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    kw = {"lr": 0.05, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.05}
    eo = getattr(optim, name)(ep, **kw)
    to = getattr(torch.optim, name)(tp, **kw)
    for _ in range(10):

        def e_closure():
            eo.zero_grad()
            loss = ember_loss(ep, data)
            loss.backward()
            return loss

        def t_closure():
            to.zero_grad()
            loss = torch_loss(tp, data)
            loss.backward()
            return loss

        el = eo.step(e_closure)
        tl = to.step(t_closure)
        assert isinstance(el, ember.Tensor)
        np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-10)
        for a, b in zip(snapshot_ember(ep), [p.detach().numpy() for p in tp]):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)


def test_closure_runs_with_grad_enabled_inside_no_grad():
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        assert ember.is_grad_enabled()
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6], rtol=1e-6)


def test_step_without_closure_returns_none():
    w = ember.tensor([1.0], requires_grad=True)
    assert optim.Adam([w]).step() is None


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_params_without_grad_are_skipped(name):
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    extra_e = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    extra_t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    kw = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.05}
    eo = getattr(optim, name)(ep + [extra_e], **kw)
    to = getattr(torch.optim, name)(tp + [extra_t], **kw)
    assert_trajectories_close(train_ember(eo, ep, data, 5), train_torch(to, tp, data, 5), "float64")
    np.testing.assert_array_equal(extra_e.detach().numpy(), [1.0, 2.0])
    assert extra_e.grad is None
    # No state is created for a parameter that never had a gradient (Adagrad creates it eagerly).
    assert (extra_e in eo.state) == (extra_t in to.state)
    assert sorted(eo.state[ep[0]].keys()) == sorted(to.state[tp[0]].keys())


def test_param_joining_later_gets_fresh_state():
    # A parameter whose gradient appears only from step 3 on starts its Adam state then.
    a_e = ember.tensor([1.0, -1.0], dtype=ember.float64, requires_grad=True)
    b_e = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    a_t = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    eo = optim.Adam([a_e, b_e], lr=0.1)
    to = torch.optim.Adam([a_t, b_t], lr=0.1)
    for i in range(6):
        eo.zero_grad()
        to.zero_grad()
        le = (a_e * a_e).sum() + ((b_e * b_e * b_e).sum() if i >= 2 else 0.0)
        lt = (a_t * a_t).sum() + ((b_t * b_t * b_t).sum() if i >= 2 else 0.0)
        le.backward()
        lt.backward()
        eo.step()
        to.step()
        np.testing.assert_allclose(a_e.detach().numpy(), a_t.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(b_e.detach().numpy(), b_t.detach().numpy(), rtol=1e-12)
    assert eo.state[b_e]["step"].item() == to.state[b_t]["step"].item() == 4.0
    assert eo.state[a_e]["step"].item() == 6.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
        ("Adam", {"lr": 0.05, "amsgrad": True}),
        ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
        ("Adagrad", {"lr": 0.1}),
    ],
)
def test_non_contiguous_params_match_torch(name, kwargs, dtype):
    # A transposed leaf: the fused step works on a dense copy and writes the result back.
    rng = np.random.default_rng(1)
    base = rng.standard_normal((3, 5)).astype(dtype)
    pe = ember.from_numpy(base.copy().T).requires_grad_()
    pt = torch.from_numpy(base.copy().T).requires_grad_()
    assert not pe.is_contiguous()
    target = rng.standard_normal((5, 3)).astype(dtype)
    eo = getattr(optim, name)([pe], **kwargs)
    to = getattr(torch.optim, name)([pt], **kwargs)
    for _ in range(5):
        eo.zero_grad()
        to.zero_grad()
        d_e = pe - ember.tensor(target)
        (d_e * d_e * pe).sum().backward()
        d_t = pt - torch.tensor(target)
        (d_t * d_t * pt).sum().backward()
        eo.step()
        to.step()
        np.testing.assert_allclose(
            pe.detach().numpy(), pt.detach().numpy(), rtol=1e-5 if dtype == "float32" else 1e-10
        )
    assert not pe.is_contiguous()


def test_step_bumps_version_counters():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    v0 = w._version
    opt.step()
    assert w._version > v0
    state = opt.state[w]
    v_avg = state["exp_avg"]._version
    opt.step()
    assert state["exp_avg"]._version > v_avg


def test_step_invalidates_saved_tensors():
    # The in-place update is visible to autograd's version check, like PyTorch's.
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    (w * 3.0).sum().backward()
    opt.step()
    with pytest.raises(RuntimeError):
        loss.backward()


def test_state_is_keyed_by_parameter_and_step_is_float32_tensor():
    w = ember.tensor([[1.0, 2.0]], requires_grad=True)
    opt = optim.Adam([w])
    (w * w).sum().backward()
    opt.step()
    opt.step()
    st = opt.state[w]
    assert set(st) == {"step", "exp_avg", "exp_avg_sq"}
    assert isinstance(st["step"], ember.Tensor) and st["step"].dtype == ember.float32
    assert st["step"].item() == 2.0
    assert st["exp_avg"].shape == (1, 2) and not st["exp_avg"].requires_grad


def test_tensor_subclass_params_are_optimized():
    class MyParam(ember.Tensor):
        pass

    p = MyParam(ember.tensor([1.0, -3.0]))
    p.requires_grad_(True)
    opt = optim.SGD([p], lr=0.5)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0], atol=1e-7)
    assert isinstance(opt.param_groups[0]["params"][0], MyParam)


def test_zero_grad_set_to_none_and_to_zero():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


def test_zero_grad_false_keeps_momentum_moving():
    # A zeroed (not None) gradient still takes part in the step, as in PyTorch.
    we = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    wt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    eo, to = optim.SGD([we], lr=0.1, momentum=0.9), torch.optim.SGD([wt], lr=0.1, momentum=0.9)
    (we * we).sum().backward()
    (wt * wt).sum().backward()
    eo.step()
    to.step()
    for _ in range(3):
        eo.zero_grad(set_to_none=False)
        to.zero_grad(set_to_none=False)
        eo.step()
        to.step()
    np.testing.assert_allclose(we.detach().numpy(), wt.detach().numpy(), rtol=1e-12)


def test_add_param_group_takes_defaults_and_matches_torch():
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = optim.SGD([ep[0]], lr=0.1, momentum=0.9)
    to = torch.optim.SGD([tp[0]], lr=0.1, momentum=0.9)
    train_ember(eo, ep, data, 3)
    train_torch(to, tp, data, 3)
    eo.add_param_group({"params": ep[1], "lr": 0.01})
    to.add_param_group({"params": tp[1], "lr": 0.01})
    assert eo.param_groups[1]["momentum"] == 0.9
    assert eo.param_groups[1]["params"] == [ep[1]]
    assert_trajectories_close(train_ember(eo, ep, data, 5), train_torch(to, tp, data, 5), "float64")


def test_adagrad_param_group_added_later_gets_state():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0], requires_grad=True)
    opt = optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.5)
    assert opt.state[a]["sum"].numpy().tolist() == [0.5, 0.5]
    opt.add_param_group({"params": [b]})
    ((a * a).sum() + (b * b).sum()).backward()
    opt.step()
    assert opt.state[b]["step"].item() == 1.0
    assert opt.state[b]["sum"].numpy().tolist() == pytest.approx([0.5 + 36.0])


def test_repr_lists_groups():
    w = ember.tensor([1.0], requires_grad=True)
    text = repr(optim.SGD([w], lr=0.5))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.5\n" in text and text.endswith(")")


def test_float64_and_float32_params_in_one_group():
    a = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([1.0, 2.0], dtype=ember.float32, requires_grad=True)
    ta = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    eo, to = optim.Adam([a, b], lr=0.1), torch.optim.Adam([ta, tb], lr=0.1)
    for _ in range(5):
        eo.zero_grad()
        to.zero_grad()
        ((a * a).sum() + (b * b * b).sum()).backward()
        ((ta * ta).sum() + (tb * tb * tb).sum()).backward()
        eo.step()
        to.step()
    np.testing.assert_allclose(a.detach().numpy(), ta.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy(), rtol=1e-6)
    assert a.dtype == ember.float64 and b.dtype == ember.float32


def test_long_training_converges_like_torch():
    # 200 Adam steps on the regression: both reach the same loss.
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo, to = optim.Adam(ep, lr=0.02), torch.optim.Adam(tp, lr=0.02)
    train_ember(eo, ep, data, 200)
    train_torch(to, tp, data, 200)
    le = ember_loss(ep, data).item()
    lt = torch_loss(tp, data).item()
    assert le == pytest.approx(lt, rel=1e-6)
    assert le < torch_loss(torch_params(data), data).item()


@pytest.mark.parametrize(
    "owner,name",
    [("optim", n) for n in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")]
    + [("lr_scheduler", n) for n in optim.lr_scheduler.__all__],
)
def test_constructor_signature_matches_torch(owner, name):
    import inspect

    ours = getattr(optim if owner == "optim" else optim.lr_scheduler, name)
    theirs = getattr(torch.optim if owner == "optim" else torch.optim.lr_scheduler, name)

    def params(cls):
        sig = inspect.signature(cls.__init__)
        return [(p.name, p.kind, p.default) for p in sig.parameters.values()]

    assert params(ours) == params(theirs)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_foreach_and_fused_flags_are_accepted(name):
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)(ep, lr=0.05, foreach=False, fused=None)
    to = getattr(torch.optim, name)(tp, lr=0.05, foreach=False)
    assert_trajectories_close(train_ember(eo, ep, data, 3), train_torch(to, tp, data, 3), "float64")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_differentiable_is_not_supported(name):
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        getattr(optim, name)([ember.zeros(2, requires_grad=True)], differentiable=True)
