"""Adadelta, Adamax, NAdam, RAdam, Rprop and ASGD against torch.optim: trajectories, defaults, errors, state
dicts (PyTorch's keys, in both directions) and a step traced by ember.jit.function."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember
from ember import jit, optim
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

NAMES = ["Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"]
STEPS = 25
# float64 trajectories agree to rounding: PyTorch's vectorized lerp_ and addcmul_ may round once
# (fused multiply-add) where ember's fused steps round each operation, and the difference grows
# slowly (Adamax ended 1.7e-12 apart relative after 18 steps on an AVX-512 CPU).
F64 = {"rtol": 1e-10, "atol": 1e-13}

# (optimizer name, constructor kwargs): every option and several combinations.
CASES = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8}),
    ("Adadelta", {"lr": 2.0, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 1.0, "maximize": True}),
    ("Adadelta", {"lr": 0.5, "rho": 0.95, "weight_decay": 0.05, "maximize": True}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-4}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "maximize": True}),
    ("Adamax", {"lr": 0.02, "betas": (0.3, 0.9), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-4}),
    ("NAdam", {"lr": 0.05, "momentum_decay": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.05, "maximize": True}),
    (
        "NAdam",
        {
            "lr": 0.03,
            "betas": (0.3, 0.99),
            "weight_decay": 0.2,
            "decoupled_weight_decay": True,
            "maximize": True,
        },
    ),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-4}),
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.5)}),  # rho_inf = 3: never rectified
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05, "maximize": True}),
    (
        "RAdam",
        {
            "lr": 0.03,
            "betas": (0.4, 0.8),
            "weight_decay": 0.2,
            "decoupled_weight_decay": True,
            "maximize": True,
        },
    ),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5)}),
    ("Rprop", {"lr": 0.05, "step_sizes": (1e-3, 0.1), "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 5}),  # averaging from step 6
    ("ASGD", {"lr": 0.05, "t0": 0, "weight_decay": 0.1, "maximize": True}),
]


def _case_id(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


def assert_close64(a, b):
    assert len(a) == len(b)
    for step, (pa, pb) in enumerate(zip(a, b)):
        for i, (x, y) in enumerate(zip(pa, pb)):
            assert x.dtype == y.dtype == np.float64
            np.testing.assert_allclose(x, y, **F64, err_msg=f"step {step}, param {i}")


# ---- trajectories -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch_float64_25_steps(case):
    name, kwargs = case
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)(ep, **kwargs)
    to = getattr(torch.optim, name)(tp, **kwargs)
    assert_close64(train_ember(eo, ep, data, STEPS), train_torch(to, tp, data, STEPS))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch_on_a_quadratic_30_steps(case):
    # f(w) = 0.5 * |A w - b|^2 + 0.1 * sum(w): gradients A^T (A w - b) + 0.1, in float64.
    name, kwargs = case
    rng = np.random.default_rng(3)
    A, b, w0 = rng.standard_normal((6, 4)), rng.standard_normal(6), rng.standard_normal(4)
    we = ember.tensor(w0, requires_grad=True)
    wt = torch.tensor(w0, requires_grad=True)
    eo = getattr(optim, name)([we], **kwargs)
    to = getattr(torch.optim, name)([wt], **kwargs)
    Ae, be, At, bt = ember.tensor(A), ember.tensor(b), torch.tensor(A), torch.tensor(b)
    for step in range(30):
        eo.zero_grad()
        to.zero_grad()
        re = ember.matmul(Ae, we) - be
        rt = At @ wt - bt
        ((re * re).sum() * 0.5 + we.sum() * 0.1).backward()
        ((rt * rt).sum() * 0.5 + wt.sum() * 0.1).backward()
        eo.step()
        to.step()
        np.testing.assert_allclose(
            we.detach().numpy(), wt.detach().numpy(), **F64, err_msg=f"step {step}"
        )


@pytest.mark.parametrize("case", CASES[::2], ids=_case_id)
def test_matches_torch_float32_10_steps(case):
    name, kwargs = case
    data = problem("float32")
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)(ep, **kwargs)
    to = getattr(torch.optim, name)(tp, **kwargs)
    assert_trajectories_close(
        train_ember(eo, ep, data, 10), train_torch(to, tp, data, 10), "float32"
    )


@pytest.mark.parametrize("name", NAMES)
def test_default_hyperparameters_match_torch(name):
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)(ep)
    to = getattr(torch.optim, name)(tp)
    for key, value in eo.defaults.items():
        assert to.defaults[key] == value, key
    assert_close64(train_ember(eo, ep, data, STEPS), train_torch(to, tp, data, STEPS))


@pytest.mark.parametrize("name", NAMES)
def test_constructor_signature_matches_torch(name):
    def params(cls):
        sig = inspect.signature(cls.__init__)
        return [(p.name, p.kind, p.default) for p in sig.parameters.values()]

    assert params(getattr(optim, name)) == params(getattr(torch.optim, name))


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_with_own_hyperparameters(name):
    over = {
        "Adadelta": {"lr": 0.5, "rho": 0.5},
        "Adamax": {"lr": 0.1, "betas": (0.5, 0.7)},
        "NAdam": {"lr": 0.05, "betas": (0.8, 0.9), "momentum_decay": 0.01},
        "RAdam": {"lr": 0.1, "betas": (0.5, 0.99), "weight_decay": 0.1},
        "Rprop": {"lr": 0.1, "etas": (0.4, 1.1)},
        "ASGD": {"lr": 0.1, "t0": 3, "lambd": 0.01},
    }[name]
    kw = {"lr": 1.0} if name == "Adadelta" else {"lr": 0.03}
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)([{"params": [ep[0]], **over}, {"params": [ep[1]]}], **kw)
    to = getattr(torch.optim, name)([{"params": [tp[0]], **over}, {"params": [tp[1]]}], **kw)
    assert eo.param_groups[1]["lr"] == kw["lr"]
    assert_close64(train_ember(eo, ep, data, STEPS), train_torch(to, tp, data, STEPS))


@pytest.mark.parametrize("name", NAMES)
def test_closure_returns_loss_and_matches_torch(name):
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo, to = getattr(optim, name)(ep), getattr(torch.optim, name)(tp)
    for _ in range(5):

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

        el, tl = eo.step(e_closure), to.step(t_closure)
        np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-12)
    for a, b in zip(snapshot_ember(ep), [p.detach().numpy() for p in tp]):
        np.testing.assert_allclose(a, b, **F64)


@pytest.mark.parametrize("name", NAMES)
def test_params_without_grad_are_skipped_and_state_keys_match_torch(name):
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    extra_e = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    extra_t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    eo = getattr(optim, name)(ep + [extra_e])
    to = getattr(torch.optim, name)(tp + [extra_t])
    assert_close64(train_ember(eo, ep, data, 5), train_torch(to, tp, data, 5))
    np.testing.assert_array_equal(extra_e.detach().numpy(), [1.0, 2.0])
    assert extra_e not in eo.state and extra_t not in to.state
    assert sorted(eo.state[ep[0]]) == sorted(to.state[tp[0]])
    for key, value in eo.state[ep[0]].items():
        expected = to.state[tp[0]][key]
        assert value.shape == tuple(expected.shape), key
        assert str(value.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1], key
        assert not value.requires_grad


def test_param_joining_later_gets_fresh_state():
    # A parameter whose gradient appears only from step 3 on starts its NAdam state then:
    # its own step count and mu_product.
    a_e = ember.tensor([1.0, -1.0], dtype=ember.float64, requires_grad=True)
    b_e = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    a_t = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    b_t = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    eo, to = optim.NAdam([a_e, b_e], lr=0.1), torch.optim.NAdam([a_t, b_t], lr=0.1)
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
    assert eo.state[b_e]["mu_product"].item() == to.state[b_t]["mu_product"].item()
    assert eo.state[a_e]["mu_product"].item() == to.state[a_t]["mu_product"].item()


@pytest.mark.parametrize("name", NAMES)
def test_non_contiguous_params_match_torch(name):
    rng = np.random.default_rng(1)
    base = rng.standard_normal((3, 5))
    pe = ember.from_numpy(base.copy().T).requires_grad_()
    pt = torch.from_numpy(base.copy().T).requires_grad_()
    assert not pe.is_contiguous()
    target = rng.standard_normal((5, 3))
    eo, to = getattr(optim, name)([pe], lr=0.05), getattr(torch.optim, name)([pt], lr=0.05)
    for _ in range(8):
        eo.zero_grad()
        to.zero_grad()
        d_e = pe - ember.tensor(target)
        (d_e * d_e * pe).sum().backward()
        d_t = pt - torch.tensor(target)
        (d_t * d_t * pt).sum().backward()
        eo.step()
        to.step()
    np.testing.assert_allclose(pe.detach().numpy(), pt.detach().numpy(), **F64)
    assert not pe.is_contiguous()


@pytest.mark.parametrize("name", NAMES)
def test_float32_and_float64_params_in_one_group(name):
    a = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([1.0, 2.0], dtype=ember.float32, requires_grad=True)
    ta = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    eo = getattr(optim, name)([a, b], lr=0.1)
    to = getattr(torch.optim, name)([ta, tb], lr=0.1)
    for _ in range(5):
        eo.zero_grad()
        to.zero_grad()
        ((a * a).sum() + (b * b * b).sum()).backward()
        ((ta * ta).sum() + (tb * tb * tb).sum()).backward()
        eo.step()
        to.step()
    np.testing.assert_allclose(a.detach().numpy(), ta.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy(), rtol=1e-5)
    assert a.dtype == ember.float64 and b.dtype == ember.float32


@pytest.mark.parametrize("name", NAMES)
def test_step_updates_params_and_state_in_place(name):
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = getattr(optim, name)([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    state = dict(opt.state[w])
    v0 = w._version
    opt.step()
    assert w._version > v0
    assert all(opt.state[w][k] is v for k, v in state.items())  # same tensors, updated
    assert opt.state[w]["step"].item() == 2.0


def test_maximize_ascends():
    w = ember.tensor([1.0, -1.0], dtype=ember.float64, requires_grad=True)
    opt = optim.RAdam([w], lr=0.1, maximize=True)
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert np.all(np.abs(w.detach().numpy()) > 1.0)


# ---- errors -----------------------------------------------------------------------------------

BAD = [
    ("Adadelta", {"lr": -1.0}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"rho": -0.1}),
    ("Adadelta", {"eps": -1e-6}),
    ("Adadelta", {"weight_decay": -0.1}),
    ("Adamax", {"lr": -0.1}),
    ("Adamax", {"eps": -1e-8}),
    ("Adamax", {"betas": (1.0, 0.999)}),
    ("Adamax", {"betas": (0.9, -0.1)}),
    ("Adamax", {"weight_decay": -1e-3}),
    ("NAdam", {"lr": -0.1}),
    ("NAdam", {"eps": -1.0}),
    ("NAdam", {"betas": (-0.5, 0.999)}),
    ("NAdam", {"betas": (0.9, 1.0)}),
    ("NAdam", {"weight_decay": -0.5}),
    ("NAdam", {"momentum_decay": -4e-3}),
    ("NAdam", {"lr": -0.1, "momentum_decay": -1.0}),  # the first failing check is reported
    ("RAdam", {"lr": -0.1}),
    ("RAdam", {"eps": -1e-8}),
    ("RAdam", {"betas": (1.5, 0.999)}),
    ("RAdam", {"betas": (0.9, 1.0)}),
    ("RAdam", {"weight_decay": -0.1}),
    ("Rprop", {"lr": -0.1}),
    ("Rprop", {"etas": (1.5, 1.2)}),
    ("Rprop", {"etas": (0.5, 0.9)}),
    ("Rprop", {"etas": (0.0, 1.2)}),
    ("ASGD", {"lr": -0.1}),
    ("ASGD", {"weight_decay": -0.1}),
]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[_case_id(c) for c in BAD])
def test_bad_hyperparameter_raises_torch_message(name, kwargs):
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match="^" + re.escape(str(expected.value)) + "$"):
        getattr(optim, name)([ember.zeros(2, requires_grad=True)], **kwargs)


def test_bad_hyperparameter_texts():
    w = [ember.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match=r"^Invalid momentum_decay value: -0\.1$"):
        optim.NAdam(w, momentum_decay=-0.1)
    with pytest.raises(ValueError, match=r"^Invalid rho value: 1\.5$"):
        optim.Adadelta(w, rho=1.5)
    with pytest.raises(ValueError, match=r"^Invalid beta parameter at index 1: 1\.0$"):
        optim.RAdam(w, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"^Invalid epsilon value: -1e-08$"):
        optim.Adamax(w, eps=-1e-8)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("flag", ["differentiable", "capturable"])
def test_differentiable_and_capturable_are_not_supported(name, flag):
    with pytest.raises(NotImplementedError, match=f"{flag}=True is not supported"):
        getattr(optim, name)([ember.zeros(2, requires_grad=True)], **{flag: True})


@pytest.mark.parametrize("name", NAMES)
def test_foreach_flag_is_accepted(name):
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = getattr(optim, name)(ep, foreach=False)
    to = getattr(torch.optim, name)(tp, foreach=False)
    assert_close64(train_ember(eo, ep, data, 3), train_torch(to, tp, data, 3))


# ---- state dicts ------------------------------------------------------------------------------

SD_CASES = [
    ("Adadelta", {"lr": 0.5, "weight_decay": 0.01}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.01}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.01, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.05, "maximize": True}),
    ("Rprop", {"lr": 0.05, "etas": (0.4, 1.3)}),
    ("ASGD", {"lr": 0.05, "t0": 2}),
]


def _two_group_opt(cls, params, kwargs):
    return cls([{"params": [params[0]], "lr": kwargs["lr"] * 2}, {"params": [params[1]]}], **kwargs)


@pytest.mark.parametrize("case", SD_CASES, ids=_case_id)
def test_resume_after_load_equals_uninterrupted(case):
    name, kwargs = case
    cls = getattr(optim, name)
    data = problem("float64")
    ref_params = ember_params(data)
    ref_traj = train_ember(_two_group_opt(cls, ref_params, kwargs), ref_params, data, 12)
    params = ember_params(data)
    first = _two_group_opt(cls, params, kwargs)
    train_ember(first, params, data, 5)
    sd = first.state_dict()
    resumed = [ember.tensor(a, requires_grad=True) for a in snapshot_ember(params)]
    second = _two_group_opt(cls, resumed, dict(kwargs, lr=123.0))  # lr comes from sd
    second.load_state_dict(sd)
    assert second.param_groups[0]["lr"] == kwargs["lr"] * 2
    assert isinstance(second.param_groups[0].get("betas", ()), tuple)
    traj = train_ember(second, resumed, data, 7)
    if name == "NAdam":
        # Loading casts "mu_product" (float32 while training) to the parameter's dtype, as
        # PyTorch's load_state_dict does, so the resumed run differs from the uninterrupted one
        # (by about 1e-10 here); it follows PyTorch resuming the same way.
        assert second.state[resumed[0]]["mu_product"].dtype == ember.float64
        tp = torch_params(data)
        to = _two_group_opt(torch.optim.NAdam, tp, kwargs)
        train_torch(to, tp, data, 5)
        tp2 = [p.detach().clone().requires_grad_() for p in tp]
        to2 = _two_group_opt(torch.optim.NAdam, tp2, kwargs)
        to2.load_state_dict(to.state_dict())
        assert_close64(traj, train_torch(to2, tp2, data, 7))
    else:
        for a, b in zip(traj, ref_traj[5:]):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)
    # The loaded state does not share memory with the first optimizer (whose NAdam mu_product
    # stayed float32).
    train_ember(first, params, data, 7)
    for a, b in zip(snapshot_ember(params), snapshot_ember(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-8 if name == "NAdam" else 0)


@pytest.mark.parametrize("case", SD_CASES, ids=_case_id)
def test_state_dict_format_matches_torch(case):
    name, kwargs = case
    data = problem("float64")
    ep, tp = ember_params(data), torch_params(data)
    eo = _two_group_opt(getattr(optim, name), ep, kwargs)
    to = _two_group_opt(getattr(torch.optim, name), tp, kwargs)
    train_ember(eo, ep, data, 4)
    train_torch(to, tp, data, 4)
    es, ts = eo.state_dict(), to.state_dict()
    assert sorted(es["state"]) == sorted(ts["state"])
    for idx, st in ts["state"].items():
        assert set(es["state"][idx]) == set(st)
        for key, value in st.items():
            ev = es["state"][idx][key]
            assert isinstance(ev, ember.Tensor) and ev.shape == tuple(value.shape)
            np.testing.assert_allclose(ev.numpy(), value.numpy(), rtol=1e-12, atol=1e-15)
        assert es["state"][idx]["step"].dtype == ember.float32
        if name == "NAdam":
            assert es["state"][idx]["mu_product"].dtype == ember.float32
    for eg, tg in zip(es["param_groups"], ts["param_groups"]):
        assert eg["params"] == tg["params"]
        for key, value in eg.items():
            assert tg[key] == value, key


def _to_ember(value):
    if isinstance(value, torch.Tensor):
        return ember.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {k: _to_ember(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_ember(v) for v in value)
    return value


@pytest.mark.parametrize("case", SD_CASES, ids=_case_id)
def test_loads_a_torch_state_dict_and_continues_like_torch(case):
    # A checkpoint written by PyTorch (tensors converted) resumes, in ember and in PyTorch, on
    # the same trajectory: the state keys, their meaning and the casts on loading agree.
    name, kwargs = case
    data = problem("float64")
    tp = torch_params(data)
    to = _two_group_opt(getattr(torch.optim, name), tp, kwargs)
    train_torch(to, tp, data, 6)
    sd = to.state_dict()
    ep = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in tp]
    eo = _two_group_opt(getattr(optim, name), ep, kwargs)
    eo.load_state_dict(_to_ember(sd))
    tp2 = [p.detach().clone().requires_grad_() for p in tp]
    to2 = _two_group_opt(getattr(torch.optim, name), tp2, kwargs)
    to2.load_state_dict(sd)
    assert_close64(train_ember(eo, ep, data, 10), train_torch(to2, tp2, data, 10))


def test_nadam_plain_number_step_and_mu_product_are_loaded_as_tensors():
    w = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    ref = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    opt, opt_ref = optim.NAdam([w], lr=0.1), optim.NAdam([ref], lr=0.1)
    for o, p in ((opt, w), (opt_ref, ref)):
        p.grad = ember.tensor([1.0, -3.0], dtype=ember.float64)
        o.step()
    sd = opt.state_dict()
    sd["state"][0]["step"] = 1
    sd["state"][0]["mu_product"] = sd["state"][0]["mu_product"].item()
    fresh = optim.NAdam([w], lr=0.1)
    fresh.load_state_dict(sd)
    st = fresh.state[w]
    assert isinstance(st["step"], ember.Tensor) and st["step"].dtype == ember.float32
    assert isinstance(st["mu_product"], ember.Tensor) and st["mu_product"].dtype == ember.float32
    for o, p in ((fresh, w), (opt_ref, ref)):
        p.grad = ember.tensor([0.5, 2.0], dtype=ember.float64)
        o.step()
    np.testing.assert_array_equal(w.detach().numpy(), ref.detach().numpy())


def test_loaded_mu_product_takes_the_param_dtype_like_torch():
    # PyTorch casts every floating state tensor but "step" to its parameter's dtype on load.
    we = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    wt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    eo, to = optim.NAdam([we], lr=0.1), torch.optim.NAdam([wt], lr=0.1)
    for _ in range(3):
        for o, p in ((eo, we), (to, wt)):
            o.zero_grad()
            (p * p * p).sum().backward()
            o.step()
    eo.load_state_dict(eo.state_dict())
    to.load_state_dict(to.state_dict())
    assert eo.state[we]["mu_product"].dtype == ember.float64
    assert to.state[wt]["mu_product"].dtype == torch.float64
    for _ in range(5):
        for o, p in ((eo, we), (to, wt)):
            o.zero_grad()
            (p * p * p).sum().backward()
            o.step()
    np.testing.assert_allclose(we.detach().numpy(), wt.detach().numpy(), **F64)


# ---- docstrings (their examples run in test_docstring_examples.py) -------------------------


@pytest.mark.parametrize("name", NAMES)
def test_docstring_has_every_section(name):
    doc = getattr(optim, name).__doc__
    for section in ("Args:", "Raises:", "Reference:", "Example:"):
        assert section in doc, section
    for arg in inspect.signature(getattr(optim, name).__init__).parameters:
        if arg != "self":
            assert arg in doc, arg


# ---- a traced training step -------------------------------------------------------------------


def _linear_model():
    ember.manual_seed(0)
    return ember.nn.Linear(4, 3).to(ember.float64)


def _train_step(model, opt):
    def step(x, y):
        opt.zero_grad()
        loss = ember.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("NAdam", {"lr": 0.05, "weight_decay": 0.01}),
        ("NAdam", {"lr": 0.05, "weight_decay": 0.01, "decoupled_weight_decay": True}),
        ("RAdam", {"lr": 0.05, "betas": (0.9, 0.99)}),  # crosses rho_t > 5 at step 6
        ("Adamax", {"lr": 0.05, "maximize": True}),
        ("Adadelta", {"weight_decay": 0.1}),
        ("Rprop", {"lr": 0.05}),
        ("ASGD", {"lr": 0.05, "t0": 4}),  # mu leaves 1 at step 5
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(f"{k}={x}" for k, x in v.items()),
)
def test_jit_traced_step_equals_eager_over_10_steps(name, kwargs, monkeypatch):
    # ember.jit.function traces the first call; the step-dependent factors are tensor ops on
    # state["step"], so every later run of the graph recomputes them and the weights follow the
    # eager ones exactly.
    eager_model, traced_model = _linear_model(), _linear_model()
    eager_opt = getattr(optim, name)(eager_model.parameters(), **kwargs)
    traced_opt = getattr(optim, name)(traced_model.parameters(), **kwargs)
    eager = _train_step(eager_model, eager_opt)
    traced = jit.function(_train_step(traced_model, traced_opt))
    python_steps = []
    step = type(traced_opt).step
    monkeypatch.setattr(
        type(traced_opt), "step", lambda self, *a: (python_steps.append(self), step(self, *a))[1]
    )
    rng = np.random.default_rng(0)
    for _ in range(10):
        x = ember.from_numpy(rng.standard_normal((8, 4)))
        y = ember.from_numpy(rng.standard_normal((8, 3)))
        np.testing.assert_array_equal(traced(x, y).detach().numpy(), eager(x, y).detach().numpy())
    # Only the traced call ran the Python step (for the traced optimizer); the graph did the rest.
    assert python_steps.count(traced_opt) == 1 and len(traced.traces) == 1
    for pe, pt in zip(eager_model.parameters(), traced_model.parameters()):
        np.testing.assert_array_equal(pe.detach().numpy(), pt.detach().numpy())
    for pe, pt in zip(eager_model.parameters(), traced_model.parameters()):
        for key, value in eager_opt.state[pe].items():
            np.testing.assert_array_equal(value.numpy(), traced_opt.state[pt][key].numpy())
    assert traced_opt.state[next(iter(traced_model.parameters()))]["step"].item() == 10.0


def test_jit_traced_nadam_retraces_when_lr_changes_and_matches_torch():
    # The graph bakes in the hyperparameters; changing lr (as a scheduler does) traces anew.
    rng = np.random.default_rng(1)
    W0 = rng.standard_normal((4, 3))
    X, Y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    we = ember.tensor(W0, requires_grad=True)
    wt = torch.tensor(W0, requires_grad=True)
    eo, to = optim.NAdam([we], lr=0.05), torch.optim.NAdam([wt], lr=0.05)
    Xe, Ye, Xt, Yt = ember.tensor(X), ember.tensor(Y), torch.tensor(X), torch.tensor(Y)

    def step():
        eo.zero_grad()
        r = ember.matmul(Xe, we) - Ye
        (r * r).mean().backward()
        eo.step()

    traced = jit.function(step)
    for i in range(12):
        if i == 6:
            eo.param_groups[0]["lr"] = to.param_groups[0]["lr"] = 0.01
        traced()
        to.zero_grad()
        r = Xt @ wt - Yt
        (r * r).mean().backward()
        to.step()
        np.testing.assert_allclose(we.detach().numpy(), wt.detach().numpy(), **F64)
    assert len(traced.traces) == 2


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "Adadelta"])
def test_integer_parameters_fail_before_any_state_changes(name):
    good = ember.ones(2, requires_grad=True)
    bad = ember.ones(2, dtype=ember.int64)
    bad.grad = ember.ones(2, dtype=ember.int64)
    opt = getattr(optim, name)([good, bad])
    good.grad = ember.ones(2)
    with pytest.raises(TypeError, match=rf"{name}.step: params\[1\] has dtype ember.int64; "
                                        "expected float32 or float64"):
        opt.step()
    assert len(opt.state) == 0
    np.testing.assert_array_equal(good.detach().numpy(), [1.0, 1.0])
