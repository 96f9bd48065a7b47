"""Parametrizations, weight norm and spectral norm against PyTorch (torch 2.13 CPU as the oracle):
forward values, gradients, state_dict keys and values in both directions, power-iteration
buffers, optimizer steps and removal."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

import ember
import numpy as np
import torch.nn.utils.parametrizations as TP
import torch.nn.utils.parametrize as TPz
from ember import nn
from ember.nn.utils import parametrizations as EP
from ember.nn.utils import parametrize as EPz
from ember.nn.utils import (
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    weight_norm,
)

from ._util import assert_close, to_np

F32 = {"rtol": 1e-5, "atol": 1e-6}
F64 = {"rtol": 1e-7, "atol": 1e-10}
# Power iteration repeats mv + normalize; float32 rounding differs slightly between BLAS paths.
SN32 = {"rtol": 1e-4, "atol": 1e-5}


def tsd(sd):
    """An ember state_dict as torch tensors."""
    return {k: torch.from_numpy(to_np(v)) for k, v in sd.items()}


def esd(sd):
    """A torch state_dict as ember tensors."""
    return {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in sd.items()}


def assert_same_state(e_mod, t_mod, **kw):
    """Same state_dict keys in the same order, and the same values."""
    es, ts = e_mod.state_dict(), t_mod.state_dict()
    assert list(es) == list(ts)
    for k in es:
        assert_close(es[k], ts[k], **kw)


def assert_same_grads(e_mod, t_mod, **kw):
    """Same parameter names (in order) and the same gradients."""
    ep, tp = dict(e_mod.named_parameters()), dict(t_mod.named_parameters())
    assert list(ep) == list(tp)
    for k, pe in ep.items():
        assert (pe.grad is None) == (tp[k].grad is None), k
        if pe.grad is not None:
            assert_close(pe.grad, tp[k].grad, **kw)


def twins(make_e, make_t):
    """An ember and a torch module with the same starting parameters and buffers."""
    e, t = make_e(), make_t()
    t.load_state_dict(tsd(e.state_dict()))
    return e, t


def run_both(e, t, x, **kw):
    """Forward both modules on ``x``, compare outputs, backward a weighted sum, return grads of
    the inputs (compared too)."""
    xe = ember.from_numpy(x).requires_grad_(True)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    ye, yt = e(xe), t(xt)
    assert_close(ye, yt, **kw)
    r = np.random.randn(*yt.shape).astype(x.dtype)
    (ye * ember.from_numpy(r)).sum().backward()
    (yt * torch.from_numpy(r)).sum().backward()
    assert_close(xe.grad, xt.grad, **kw)


def quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*a, **kw)


class ESym(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


class TSym(torch.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


class ESplit(nn.Module):
    def forward(self, a, b):
        return a * b

    def right_inverse(self, w):
        return w.abs() + 1.0, w / (w.abs() + 1.0)


class TSplit(torch.nn.Module):
    def forward(self, a, b):
        return a * b

    def right_inverse(self, w):
        return w.abs() + 1.0, w / (w.abs() + 1.0)


# ---- register_parametrization ------------------------------------------------------------


def test_custom_parametrization_matches_torch():
    e, t = twins(lambda: nn.Linear(4, 4).double(), lambda: torch.nn.Linear(4, 4).double())
    EPz.register_parametrization(e, "weight", ESym())
    TPz.register_parametrization(t, "weight", TSym())
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert_same_state(e, t, **F64)
    assert_close(e.weight, t.weight, **F64)
    run_both(e, t, np.random.randn(3, 4), **F64)
    assert_same_grads(e, t, **F64)
    # Assigning goes through right_inverse in both.
    w = np.random.randn(4, 4)
    e.weight = ember.from_numpy(w)
    t.weight = torch.from_numpy(w)
    assert_same_state(e, t, **F64)


def test_tuple_right_inverse_matches_torch():
    e, t = twins(lambda: nn.Linear(3, 2).double(), lambda: torch.nn.Linear(3, 2).double())
    EPz.register_parametrization(e, "weight", ESplit())
    TPz.register_parametrization(t, "weight", TSplit())
    assert_same_state(e, t, **F64)
    assert list(e.state_dict())[1:] == [
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    run_both(e, t, np.random.randn(5, 3), **F64)
    assert_same_grads(e, t, **F64)
    EPz.remove_parametrizations(e, "weight")
    TPz.remove_parametrizations(t, "weight")
    assert_same_state(e, t, **F64)
    assert type(e).__name__ == type(t).__name__ == "Linear"


def test_chained_parametrizations_match_torch():
    e, t = twins(lambda: nn.Linear(4, 4), lambda: torch.nn.Linear(4, 4))
    EPz.register_parametrization(e, "weight", ESym())
    TPz.register_parametrization(t, "weight", TSym())
    EP.spectral_norm(e)
    TP.spectral_norm(t)
    e.load_state_dict(esd(t.state_dict()))  # torch's random u, v into ember
    assert_same_state(e, t, **F32)
    for _ in range(3):
        run_both(e, t, np.random.randn(2, 4).astype(np.float32), **SN32)
    assert_same_state(e, t, **SN32)
    assert_same_grads(e, t, **SN32)


# ---- parametrizations.weight_norm -------------------------------------------------------


WN_CASES = [
    ("linear", 0),
    ("linear", 1),
    ("linear", None),
    ("linear", -1),
    ("linear", -2),
    ("conv2d", 0),
    ("conv2d", 1),
    ("conv2d", 2),
    ("conv2d", None),
    ("conv2d", -2),
    ("conv1d", 0),
    ("convt2d", 0),
    ("convt2d", 1),
]


def wn_modules(kind):
    if kind == "linear":
        return (
            lambda: nn.Linear(5, 3),
            lambda: torch.nn.Linear(5, 3),
            np.random.randn(4, 5).astype(np.float32),
        )
    if kind == "conv2d":
        return (
            lambda: nn.Conv2d(2, 3, 3),
            lambda: torch.nn.Conv2d(2, 3, 3),
            np.random.randn(2, 2, 5, 5).astype(np.float32),
        )
    if kind == "conv1d":
        return (
            lambda: nn.Conv1d(2, 3, 2),
            lambda: torch.nn.Conv1d(2, 3, 2),
            np.random.randn(2, 2, 6).astype(np.float32),
        )
    return (
        lambda: nn.ConvTranspose2d(2, 3, 2),
        lambda: torch.nn.ConvTranspose2d(2, 3, 2),
        np.random.randn(2, 2, 4, 4).astype(np.float32),
    )


@pytest.mark.parametrize("kind,dim", WN_CASES)
def test_weight_norm_matches_torch(kind, dim):
    make_e, make_t, x = wn_modules(kind)
    e, t = twins(make_e, make_t)
    EP.weight_norm(e, dim=dim)
    TP.weight_norm(t, dim=dim)
    assert_same_state(e, t, **F32)
    assert_close(e.weight, t.weight, **F32)
    run_both(e, t, x, **F32)
    assert_same_grads(e, t, **F32)


def test_weight_norm_float64_gradients_match_torch():
    e, t = twins(lambda: nn.Conv2d(2, 3, 2).double(), lambda: torch.nn.Conv2d(2, 3, 2).double())
    EP.weight_norm(e, dim=1)
    TP.weight_norm(t, dim=1)
    run_both(e, t, np.random.randn(2, 2, 4, 4), **F64)
    assert_same_grads(e, t, **F64)


def test_weight_norm_state_dict_loads_both_ways():
    e = EP.weight_norm(nn.Linear(5, 3))
    t = TP.weight_norm(torch.nn.Linear(5, 3))
    e.load_state_dict(esd(t.state_dict()))
    assert_same_state(e, t, rtol=0, atol=0)
    x = np.random.randn(2, 5).astype(np.float32)
    run_both(e, t, x, **F32)
    with ember.no_grad():
        for p in e.parameters():
            p.mul_(1.5)
    t.load_state_dict(tsd(e.state_dict()))
    assert_same_state(e, t, rtol=0, atol=0)
    run_both(e, t, x, **F32)


def test_weight_norm_in_sequential_keys_match_torch():
    e, t = twins(
        lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)),
        lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)),
    )
    EP.weight_norm(e[0])
    TP.weight_norm(t[0])
    EP.spectral_norm(e[2])
    TP.spectral_norm(t[2])
    e.load_state_dict(esd(t.state_dict()))
    assert list(e.state_dict()) == list(t.state_dict())
    assert "0.parametrizations.weight.original0" in e.state_dict()
    assert "2.parametrizations.weight.0._u" in e.state_dict()
    run_both(e, t, np.random.randn(4, 3).astype(np.float32), **SN32)
    assert_same_grads(e, t, **SN32)


# ---- parametrizations.spectral_norm -----------------------------------------------------


SN_CASES = [
    ("linear", {}),
    ("linear", {"n_power_iterations": 3}),
    ("conv2d", {}),
    ("conv2d", {"dim": 2}),
    ("conv2d", {"dim": -1, "eps": 1e-6}),
    ("conv1d", {}),
    ("convt2d", {}),
]


@pytest.mark.parametrize("kind,kw", SN_CASES)
def test_spectral_norm_matches_torch(kind, kw):
    make_e, make_t, x = wn_modules(kind)
    e, t = twins(make_e, make_t)
    EP.spectral_norm(e, **kw)
    TP.spectral_norm(t, **kw)
    assert list(e.state_dict()) == list(t.state_dict())
    # Same starting u, v (each framework draws its own at registration).
    e.load_state_dict(esd(t.state_dict()))
    sn_e, sn_t = e.parametrizations.weight[0], t.parametrizations.weight[0]
    for _ in range(4):
        run_both(e, t, x, **SN32)
        assert_close(sn_e._u, sn_t._u, **SN32)
        assert_close(sn_e._v, sn_t._v, **SN32)
    assert_same_grads(e, t, **SN32)
    e.eval()
    t.eval()
    u_before = to_np(sn_e._u)
    run_both(e, t, x, **SN32)
    np.testing.assert_array_equal(to_np(sn_e._u), u_before)
    assert_same_state(e, t, **SN32)


def test_spectral_norm_float64_matches_torch_and_loads_into_torch():
    e, t = twins(lambda: nn.Linear(6, 4).double(), lambda: torch.nn.Linear(6, 4).double())
    EP.spectral_norm(e, n_power_iterations=2)
    TP.spectral_norm(t, n_power_iterations=2)
    # This time ember's buffers go into torch.
    t.load_state_dict(tsd(e.state_dict()))
    for _ in range(5):
        run_both(e, t, np.random.randn(3, 6), **F64)
    assert_same_state(e, t, **F64)
    assert_same_grads(e, t, **F64)


def test_spectral_norm_on_buffer_matches_torch():
    class EM(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("w", ember.randn(3, 4))

    class TM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("w", torch.zeros(3, 4))

    e, t = twins(EM, TM)
    EP.spectral_norm(e, name="w")
    TP.spectral_norm(t, name="w")
    e.load_state_dict(esd(t.state_dict()))
    for _ in range(3):
        assert_close(e.w, t.w, **SN32)
    assert_same_state(e, t, **SN32)


# ---- optimizers and removal --------------------------------------------------------------


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_optimizer_steps_match_torch(opt_name):
    e, t = twins(
        lambda: nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)),
        lambda: torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)),
    )
    EP.weight_norm(e[0])
    TP.weight_norm(t[0])
    EP.spectral_norm(e[2])
    TP.spectral_norm(t[2])
    e.load_state_dict(esd(t.state_dict()))
    kw = {"lr": 0.1, "momentum": 0.9} if opt_name == "SGD" else {"lr": 0.05}
    oe = getattr(ember.optim, opt_name)(e.parameters(), **kw)
    ot = getattr(torch.optim, opt_name)(t.parameters(), **kw)
    x = np.random.randn(8, 3).astype(np.float32)
    y = np.random.randn(8, 2).astype(np.float32)
    for _ in range(4):
        oe.zero_grad()
        ot.zero_grad()
        le = ((e(ember.from_numpy(x)) - ember.from_numpy(y)) ** 2).mean()
        lt = ((t(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        assert_close(le, lt, **SN32)
        le.backward()
        lt.backward()
        oe.step()
        ot.step()
    assert_same_state(e, t, **SN32)


def test_optimizer_built_before_registration_keeps_stepping_original():
    e, t = twins(lambda: nn.Linear(4, 4), lambda: torch.nn.Linear(4, 4))
    oe = ember.optim.SGD(e.parameters(), lr=0.1)
    ot = torch.optim.SGD(t.parameters(), lr=0.1)
    EPz.register_parametrization(e, "weight", ESym())
    TPz.register_parametrization(t, "weight", TSym())
    x = np.random.randn(3, 4).astype(np.float32)
    for _ in range(3):
        oe.zero_grad()
        ot.zero_grad()
        e(ember.from_numpy(x)).sum().backward()
        t(torch.from_numpy(x)).sum().backward()
        oe.step()
        ot.step()
    assert_same_state(e, t, **F32)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_matches_torch(leave):
    e, t = twins(lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3))
    EP.spectral_norm(e)
    TP.spectral_norm(t)
    e.load_state_dict(esd(t.state_dict()))
    run_both(e, t, np.random.randn(2, 5).astype(np.float32), **SN32)
    e.eval()
    t.eval()
    EPz.remove_parametrizations(e, "weight", leave_parametrized=leave)
    TPz.remove_parametrizations(t, "weight", leave_parametrized=leave)
    assert type(e).__name__ == type(t).__name__ == "Linear"
    assert_same_state(e, t, **SN32)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_remove_weight_norm_parametrization_matches_torch():
    e, t = twins(lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3))
    EP.weight_norm(e, dim=None)
    TP.weight_norm(t, dim=None)
    with ember.no_grad():
        e.parametrizations.weight.original0.mul_(2.0)
    with torch.no_grad():
        t.parametrizations.weight.original0.mul_(2.0)
    EPz.remove_parametrizations(e, "weight")
    TPz.remove_parametrizations(t, "weight")
    assert_same_state(e, t, **F32)
    assert e.weight.requires_grad == t.weight.requires_grad


# ---- hook-based weight_norm -------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,dim", [("linear", 0), ("linear", None), ("conv2d", 1), ("conv2d", -2), ("convt2d", 0)]
)
def test_old_weight_norm_matches_torch(kind, dim):
    make_e, make_t, x = wn_modules(kind)
    e, t = twins(make_e, make_t)
    quiet(weight_norm, e, dim=dim)
    quiet(torch.nn.utils.weight_norm, t, dim=dim)
    assert list(e.state_dict())[-2:] == ["weight_g", "weight_v"]
    assert_same_state(e, t, **F32)
    assert_close(e.weight, t.weight, **F32)
    run_both(e, t, x, **F32)
    assert_same_grads(e, t, **F32)
    remove_weight_norm(e)
    torch.nn.utils.remove_weight_norm(t)
    assert_same_state(e, t, **F32)


def test_old_weight_norm_state_dict_loads_both_ways():
    e = quiet(weight_norm, nn.Linear(4, 3))
    t = quiet(torch.nn.utils.weight_norm, torch.nn.Linear(4, 3))
    e.load_state_dict(esd(t.state_dict()))
    x = np.random.randn(2, 4).astype(np.float32)
    run_both(e, t, x, **F32)
    with ember.no_grad():
        e.weight_g.mul_(0.5)
    t.load_state_dict(tsd(e.state_dict()))
    run_both(e, t, x, **F32)
    assert_same_state(e, t, rtol=0, atol=0)


def test_old_weight_norm_warns_like_torch():
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(torch.nn.Linear(2, 2))
    with pytest.warns(FutureWarning):
        weight_norm(nn.Linear(2, 2))


# ---- hook-based spectral_norm -----------------------------------------------------------


@pytest.mark.parametrize(
    "kind,kw",
    [
        ("linear", {}),
        ("linear", {"n_power_iterations": 2}),
        ("conv2d", {}),
        ("convt2d", {}),
        ("conv2d", {"dim": 1}),
    ],
)
def test_old_spectral_norm_matches_torch(kind, kw):
    make_e, make_t, x = wn_modules(kind)
    e, t = twins(make_e, make_t)
    spectral_norm(e, **kw)
    torch.nn.utils.spectral_norm(t, **kw)
    assert list(e.state_dict()) == list(t.state_dict())
    assert list(e.state_dict())[-3:] == ["weight_orig", "weight_u", "weight_v"]
    e.load_state_dict(esd(t.state_dict()))
    for _ in range(4):
        run_both(e, t, x, **SN32)
        assert_close(e.weight_u, t.weight_u, **SN32)
        assert_close(e.weight_v, t.weight_v, **SN32)
    assert_same_grads(e, t, **SN32)
    e.eval()
    t.eval()
    run_both(e, t, x, **SN32)
    assert_same_state(e, t, **SN32)
    remove_spectral_norm(e)
    torch.nn.utils.remove_spectral_norm(t)
    assert_same_state(e, t, **SN32)


def test_old_spectral_norm_ember_state_dict_loads_into_torch():
    e = spectral_norm(nn.Linear(5, 4).double())
    t = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 4).double())
    for _ in range(2):
        e(ember.randn(1, 5, dtype=ember.float64))
    t.load_state_dict(tsd(e.state_dict()))
    for _ in range(3):
        run_both(e, t, np.random.randn(2, 5), **F64)
    assert_same_state(e, t, **F64)
    assert_close(e.weight, t.weight, **F64)
