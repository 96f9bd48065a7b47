"""MultiplicativeLR, ConstantLR, LinearLR, PolynomialLR, SequentialLR, ChainedScheduler,
CyclicLR, OneCycleLR and CosineAnnealingWarmRestarts against torch.optim.lr_scheduler: lr (and
momentum) sequences, state-dict round trips, epoch arguments and error messages."""

from __future__ import annotations

import math
import re
import warnings

import pytest

torch = pytest.importorskip("torch")

import ember
from ember import optim
from ember.optim import lr_scheduler as sched

TS = torch.optim.lr_scheduler
STEPS = 60


def assert_close(a, b):
    """Two lists of numbers (or of lists) equal to 1e-12 relative."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if isinstance(x, (list, tuple)):
            assert_close(x, y)
        elif y is None:  # no momentum to record (newer pytest refuses approx(None))
            assert x is None
        else:
            assert x == pytest.approx(y, rel=1e-12, abs=1e-15)


def _optimizers(name="SGD", lrs=(0.1, 0.05), **kw):
    e = [ember.zeros(2, requires_grad=True) for _ in lrs]
    t = [torch.zeros(2, requires_grad=True) for _ in lrs]
    eo = getattr(optim, name)([{"params": [p], "lr": lr} for p, lr in zip(e, lrs)], **kw)
    to = getattr(torch.optim, name)([{"params": [p], "lr": lr} for p, lr in zip(t, lrs)], **kw)
    return eo, to


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _record(s, opt):
    return [list(s.get_last_lr()), [g["lr"] for g in opt.param_groups], _momenta(opt)]


def assert_same_schedule(es, ts, eo, to, steps=STEPS, epochs=None):
    """Steps both schedulers (after their optimizers), comparing the last lrs, the groups' lrs
    and momenta after every step."""
    assert_close(_record(es, eo), _record(ts, to))
    for i in range(steps):
        eo.step()
        to.step()
        if epochs is None:
            es.step()
            ts.step()
        else:
            es.step(epochs[i])
            ts.step(epochs[i])
        assert_close(_record(es, eo), _record(ts, to))
    assert getattr(es, "last_epoch", None) == getattr(ts, "last_epoch", None)


def _ids(cases):
    return [c[0] + "-" + "-".join(f"{k}={v}" for k, v in c[1].items()) for c in cases]


SIMPLE = [
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.95}),
    ("MultiplicativeLR", {"lr_lambda": [lambda e: 0.9, lambda e: 1.0 + 0.01 * (e % 3)]}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 17}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 23}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 40}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 30, "power": 2.0}),
    ("PolynomialLR", {"total_iters": 45, "power": 0.5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 7}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.01}),
    ("CosineAnnealingWarmRestarts", {"T_0": 1, "T_mult": 3}),
]


@pytest.mark.parametrize("name,kwargs", SIMPLE, ids=_ids(SIMPLE))
def test_sequence_matches_torch(name, kwargs):
    eo, to = _optimizers()
    es = getattr(sched, name)(eo, **kwargs)
    ts = getattr(TS, name)(to, **kwargs)
    assert_same_schedule(es, ts, eo, to)


CYCLIC = [
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5},
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "step_size_down": 9, "mode": "triangular2"},
    {
        "base_lr": [0.01, 0.02],
        "max_lr": [0.1, 0.3],
        "step_size_up": 6,
        "mode": "exp_range",
        "gamma": 0.97,
    },
    {
        "base_lr": 0.001,
        "max_lr": 0.01,
        "step_size_up": 3,
        "step_size_down": 2,
        "scale_fn": lambda x: 1.0 / (1.0 + 0.1 * x),
    },
    {
        "base_lr": 0.001,
        "max_lr": 0.01,
        "step_size_up": 7,
        "scale_fn": lambda x: 0.99**x,
        "scale_mode": "iterations",
        "mode": "anything",
    },
    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "cycle_momentum": False},
    {
        "base_lr": 0.01,
        "max_lr": 0.1,
        "step_size_up": 5,
        "base_momentum": [0.7, 0.75],
        "max_momentum": 0.95,
    },
]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("kwargs", CYCLIC, ids=[str(i) for i in range(len(CYCLIC))])
def test_cyclic_lr_matches_torch_with_momentum(kwargs, opt_name):
    kw = {"momentum": 0.9} if opt_name == "SGD" else {}
    eo, to = _optimizers(opt_name, **kw)
    es = sched.CyclicLR(eo, **kwargs)
    ts = TS.CyclicLR(to, **kwargs)
    assert [g["lr"] for g in eo.param_groups] == [g["lr"] for g in to.param_groups]
    assert_same_schedule(es, ts, eo, to)
    if kwargs.get("cycle_momentum", True):
        for key in ("max_momentum", "base_momentum"):
            assert [g[key] for g in eo.param_groups] == [g[key] for g in to.param_groups]
    else:
        assert "max_momentum" not in eo.param_groups[0]


def test_cyclic_lr_momentum_moves_against_the_lr():
    eo, _ = _optimizers("SGD", lrs=(0.1,), momentum=0.9)
    s = sched.CyclicLR(eo, base_lr=0.0, max_lr=1.0, step_size_up=4)
    lrs, moms = [], []
    for _ in range(8):
        eo.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        moms.append(eo.param_groups[0]["momentum"])
    assert_close(lrs, [0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0])
    assert_close(moms, [0.9 - 0.1 * lr for lr in lrs])


ONE_CYCLE = [
    {"max_lr": 0.1, "total_steps": STEPS},
    {"max_lr": [0.1, 0.5], "total_steps": STEPS, "anneal_strategy": "linear"},
    {"max_lr": 0.1, "total_steps": STEPS, "three_phase": True},
    {
        "max_lr": 0.1,
        "total_steps": STEPS,
        "three_phase": True,
        "anneal_strategy": "linear",
        "pct_start": 0.25,
    },
    {"max_lr": 0.1, "epochs": 6, "steps_per_epoch": 10, "pct_start": 0.4},
    {"max_lr": 1.0, "total_steps": STEPS, "div_factor": 5.0, "final_div_factor": 100.0},
    {"max_lr": 0.1, "total_steps": STEPS, "cycle_momentum": False},
    {"max_lr": 0.1, "total_steps": STEPS, "base_momentum": [0.8, 0.7], "max_momentum": 0.99},
    {"max_lr": 0.1, "total_steps": STEPS + 15},  # not finished after STEPS steps
]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("kwargs", ONE_CYCLE, ids=[str(i) for i in range(len(ONE_CYCLE))])
def test_one_cycle_lr_matches_torch_with_momentum(kwargs, opt_name):
    kw = {"momentum": 0.9} if opt_name == "SGD" else {}
    eo, to = _optimizers(opt_name, **kw)
    es = sched.OneCycleLR(eo, **kwargs)
    ts = TS.OneCycleLR(to, **kwargs)
    for key in ("initial_lr", "max_lr", "min_lr"):
        assert [g[key] for g in eo.param_groups] == [g[key] for g in to.param_groups], key
    assert_same_schedule(es, ts, eo, to)


@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_lr_ends_at_min_lr_and_raises_past_total_steps(three_phase):
    eo, to = _optimizers("SGD", momentum=0.9)
    es = sched.OneCycleLR(eo, max_lr=0.1, total_steps=20, three_phase=three_phase)
    ts = TS.OneCycleLR(to, max_lr=0.1, total_steps=20, three_phase=three_phase)
    assert_same_schedule(es, ts, eo, to, steps=19)
    assert_close(es.get_last_lr(), [0.1 / 25 / 1e4] * 2)  # min_lr at step total_steps - 1
    assert_same_schedule(es, ts, eo, to, steps=1)  # step total_steps is still allowed
    eo.step()
    to.step()
    with pytest.raises(ValueError) as expected:
        ts.step()
    assert (
        str(expected.value) == "Tried to step 21 times. The specified number of total steps is 20"
    )
    with pytest.raises(ValueError, match="^" + re.escape(str(expected.value)) + "$"):
        es.step()
    assert es.last_epoch == ts.last_epoch == 21


def test_one_cycle_lr_peaks_at_max_lr_with_base_momentum():
    eo, _ = _optimizers("Adam", lrs=(0.1,))
    s = sched.OneCycleLR(eo, max_lr=2.0, total_steps=11, pct_start=0.5)  # peak at step 4.5
    assert s.get_last_lr()[0] == pytest.approx(2.0 / 25, rel=1e-12)
    assert eo.param_groups[0]["betas"] == (0.95, 0.999)
    lrs = [s.get_last_lr()[0]]
    for _ in range(11):
        eo.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    assert max(lrs) < 2.0 and lrs.index(max(lrs)) in (4, 5)
    assert eo.param_groups[0]["betas"][1] == 0.999  # only beta1 cycles


# ---- CosineAnnealingWarmRestarts with epoch arguments ------------------------------------------


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_match_torch(T_mult):
    iters = 7
    epochs = [e + i / iters for e in range(12) for i in range(iters)]
    eo, to = _optimizers()
    es = sched.CosineAnnealingWarmRestarts(eo, T_0=2, T_mult=T_mult, eta_min=0.001)
    ts = TS.CosineAnnealingWarmRestarts(to, T_0=2, T_mult=T_mult, eta_min=0.001)
    assert_same_schedule(es, ts, eo, to, steps=len(epochs), epochs=epochs)
    assert (es.T_cur, es.T_i) == pytest.approx((ts.T_cur, ts.T_i), rel=1e-12)


def test_warm_restarts_interleaved_step_and_epoch_match_torch():
    eo, to = _optimizers()
    es = sched.CosineAnnealingWarmRestarts(eo, T_0=5, T_mult=2)
    ts = TS.CosineAnnealingWarmRestarts(to, T_0=5, T_mult=2)
    assert_same_schedule(es, ts, eo, to, steps=20)
    for s in (es, ts):
        s.step(26)
    assert_close(_record(es, eo), _record(ts, to))
    assert_same_schedule(es, ts, eo, to, steps=30)  # continues from 26: step() is step(27), ...
    assert es.last_epoch == 56


def test_warm_restarts_closed_form():
    eo, _ = _optimizers(lrs=(1.0,))
    s = sched.CosineAnnealingWarmRestarts(eo, T_0=4, T_mult=2, eta_min=0.1)
    # Restarts at epochs 4 and 12 (periods 4, 8, 16).
    for t in range(1, 28):
        eo.step()
        s.step()
        start, period = (0, 4) if t < 4 else (4, 8) if t < 12 else (12, 16)
        expected = 0.1 + 0.9 * (1 + math.cos(math.pi * (t - start) / period)) / 2
        assert s.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)


def test_warm_restarts_negative_epoch_raises():
    eo, _ = _optimizers()
    s = sched.CosineAnnealingWarmRestarts(eo, T_0=3)
    with pytest.raises(ValueError, match=r"^Expected non-negative epoch, but got -1$"):
        s.step(-1)


# ---- epoch arguments (closed forms) -----------------------------------------------------------


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("ConstantLR", {"factor": 0.25, "total_iters": 6}),
        ("LinearLR", {"start_factor": 0.2, "total_iters": 8}),
        ("PolynomialLR", {"total_iters": 9, "power": 1.5}),
        ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9}),  # no closed form: recursive
    ],
)
def test_epoch_argument_matches_torch(name, kwargs):
    eo, to = _optimizers()
    es = getattr(sched, name)(eo, **kwargs)
    ts = getattr(TS, name)(to, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_schedule(es, ts, eo, to, steps=8, epochs=[3, 5, 5, 7, 10, 12, 2, 0])
    with pytest.warns(UserWarning, match="epoch parameter"):
        es.step(4)


# ---- SequentialLR and ChainedScheduler --------------------------------------------------------


def _make_sequence(lib, opt, milestones=(5, 12)):
    s = lib.optim.lr_scheduler if lib is torch else sched
    schedulers = [
        s.LinearLR(opt, start_factor=0.1, total_iters=5),
        s.ExponentialLR(opt, gamma=0.9),
        s.CosineAnnealingLR(opt, T_max=20, eta_min=0.001),
    ]
    return s.SequentialLR(opt, schedulers=schedulers, milestones=list(milestones))


@pytest.mark.parametrize("milestones", [(5, 12), (1, 2), (10, 50)])
def test_sequential_lr_matches_torch(milestones):
    eo, to = _optimizers()
    es, ts = _make_sequence(ember, eo, milestones), _make_sequence(torch, to, milestones)
    assert_same_schedule(es, ts, eo, to)
    assert [s.last_epoch for s in es._schedulers] == [s.last_epoch for s in ts._schedulers]


def test_sequential_lr_milestone_restarts_the_next_scheduler():
    eo, _ = _optimizers(lrs=(1.0,))
    s = sched.SequentialLR(
        eo,
        [sched.ConstantLR(eo, factor=0.1, total_iters=10), sched.ExponentialLR(eo, gamma=0.5)],
        milestones=[3],
    )
    lrs = [s.get_last_lr()[0]]
    for _ in range(5):
        eo.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    assert_close(lrs, [0.1, 0.1, 0.1, 1.0, 0.5, 0.25])


def test_sequential_lr_of_one_scheduler_and_nested_sequences_match_torch():
    eo, to = _optimizers()
    es = sched.SequentialLR(eo, [sched.PolynomialLR(eo, total_iters=20, power=2.0)], [])
    ts = TS.SequentialLR(to, [TS.PolynomialLR(to, total_iters=20, power=2.0)], [])
    assert_same_schedule(es, ts, eo, to, steps=30)

    def nested(s, opt):
        inner = s.SequentialLR(
            opt, [s.ConstantLR(opt, factor=0.5, total_iters=3), s.ExponentialLR(opt, 0.8)], [4]
        )
        return s.ChainedScheduler([inner, s.MultiplicativeLR(opt, lambda e: 0.99)], opt)

    eo, to = _optimizers()
    assert_same_schedule(nested(sched, eo), nested(TS, to), eo, to, steps=20)


CHAINS = [
    lambda s, o: [s.ConstantLR(o, factor=0.1, total_iters=20), s.ExponentialLR(o, gamma=0.9)],
    lambda s, o: [
        s.LinearLR(o, start_factor=0.2, total_iters=10),
        s.MultiplicativeLR(o, lambda e: 0.98),
        s.PolynomialLR(o, total_iters=50, power=0.7),
    ],
    lambda s, o: [s.CosineAnnealingLR(o, T_max=9), s.StepLR(o, step_size=4, gamma=0.5)],
]


@pytest.mark.parametrize("make", CHAINS, ids=["constant+exp", "linear+mult+poly", "cos+step"])
def test_chained_scheduler_matches_torch(make):
    eo, to = _optimizers()
    es = sched.ChainedScheduler(make(sched, eo), optimizer=eo)
    ts = TS.ChainedScheduler(make(TS, to), optimizer=to)
    assert_same_schedule(es, ts, eo, to)
    es2 = sched.ChainedScheduler(make(sched, eo))  # the optimizer defaults to the first one's
    assert es2.optimizer is eo


# ---- state_dict round trips mid-run -----------------------------------------------------------


class Halving:
    """A callable object: its attributes are saved in state dicts (a lambda's are not)."""

    def __init__(self, period):
        self.period = period

    def __call__(self, x):
        return 0.5 ** (x // self.period)


ROUND_TRIP = [
    ("MultiplicativeLR", lambda s, o: s.MultiplicativeLR(o, [Halving(4), lambda e: 0.97])),
    ("ConstantLR", lambda s, o: s.ConstantLR(o, factor=0.3, total_iters=20)),
    ("LinearLR", lambda s, o: s.LinearLR(o, start_factor=0.05, total_iters=25)),
    ("PolynomialLR", lambda s, o: s.PolynomialLR(o, total_iters=30, power=3.0)),
    ("CosineAnnealingWarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, 4, 2, 1e-3)),
    ("CyclicLR", lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="triangular2")),
    ("CyclicLR-exp", lambda s, o: s.CyclicLR(o, 0.01, 0.1, 3, 5, "exp_range", gamma=0.95)),
    ("CyclicLR-object", lambda s, o: s.CyclicLR(o, 0.01, 0.1, 5, scale_fn=Halving(2))),
    ("OneCycleLR", lambda s, o: s.OneCycleLR(o, max_lr=0.2, total_steps=40)),
    (
        "OneCycleLR-3",
        lambda s, o: s.OneCycleLR(
            o, 0.2, epochs=4, steps_per_epoch=10, three_phase=True, anneal_strategy="linear"
        ),
    ),
    ("SequentialLR", lambda s, o: _make_sequence(torch if s is TS else ember, o)),
    ("ChainedScheduler", lambda s, o: s.ChainedScheduler(CHAINS[1](s, o))),
]


@pytest.mark.parametrize("make", [m for _, m in ROUND_TRIP], ids=[n for n, _ in ROUND_TRIP])
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_state_dict_round_trip_mid_run_matches_torch(make, opt_name):
    kw = {"momentum": 0.9} if opt_name == "SGD" else {}
    eo, to = _optimizers(opt_name, **kw)
    es, ts = make(sched, eo), make(TS, to)
    assert_same_schedule(es, ts, eo, to, steps=13)
    sd = es.state_dict()
    assert "optimizer" not in sd and set(sd) == set(ts.state_dict())
    # A restored checkpoint: a fresh optimizer and scheduler, then the optimizer's state (its
    # lrs, momenta, initial_lr, ...) and the scheduler's.
    eo2, _ = _optimizers(opt_name, **kw)
    es2 = make(sched, eo2)
    eo2.load_state_dict(eo.state_dict())
    es2.load_state_dict(sd)
    assert es2.state_dict().keys() == sd.keys()
    assert_same_schedule(es2, ts, eo2, to, steps=25)


def test_state_dict_saves_callable_objects_only():
    eo, _ = _optimizers()
    s = sched.MultiplicativeLR(eo, [Halving(3), lambda e: 1.0])
    assert s.state_dict()["lr_lambdas"] == [{"period": 3}, None]
    c = sched.CyclicLR(eo, 0.01, 0.1, scale_fn=Halving(5))
    assert c.state_dict()["_scale_fn_custom"] == {"period": 5}
    assert "_scale_fn_ref" not in sched.CyclicLR(eo, 0.01, 0.1).state_dict()
    c2 = sched.CyclicLR(eo, 0.01, 0.1, scale_fn=Halving(1))
    sd = c.state_dict()
    c2.load_state_dict(sd)
    assert c2._scale_fn_custom.period == 5 and sd["_scale_fn_custom"] == {"period": 5}


def test_cyclic_lr_state_survives_ember_save(tmp_path):
    eo, _ = _optimizers("SGD", momentum=0.9)
    s = sched.CyclicLR(eo, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9)
    for _ in range(4):
        eo.step()
        s.step()
    path = tmp_path / "sched.safetensors"
    ember.save(s.state_dict(), path)
    eo2, _ = _optimizers("SGD", momentum=0.9)
    s2 = sched.CyclicLR(eo2, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9)
    s2.load_state_dict(ember.load(path))
    assert s2.last_epoch == 4 and s2.scale_fn(2) == pytest.approx(0.81)


# ---- errors -----------------------------------------------------------------------------------


def assert_same_error(make, exc=ValueError):
    """``make(lib)`` raises the same exception type with the same message for torch and ember."""
    with pytest.raises(exc) as expected:
        make(torch)
    with pytest.raises(exc, match="^" + re.escape(str(expected.value)) + "$"):
        make(ember)


def _parts(lib, opt_name="SGD", **kw):
    opt = _optimizers(opt_name, **kw)[0 if lib is ember else 1]
    return (sched if lib is ember else TS), opt


ERRORS = [
    ("ConstantLR-factor>1", lambda s, o: s.ConstantLR(o, factor=1.5)),
    ("ConstantLR-factor<0", lambda s, o: s.ConstantLR(o, factor=-0.1)),
    ("LinearLR-start=0", lambda s, o: s.LinearLR(o, start_factor=0.0)),
    ("LinearLR-start>1", lambda s, o: s.LinearLR(o, start_factor=1.1)),
    ("LinearLR-end<0", lambda s, o: s.LinearLR(o, end_factor=-0.5)),
    ("MultiplicativeLR-length", lambda s, o: s.MultiplicativeLR(o, [lambda e: 1.0])),
    ("WarmRestarts-T_0=0", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=0)),
    ("WarmRestarts-T_0=1.5", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=1.5)),
    ("WarmRestarts-T_mult=0", lambda s, o: s.CosineAnnealingWarmRestarts(o, 3, T_mult=0)),
    ("WarmRestarts-T_mult=1.5", lambda s, o: s.CosineAnnealingWarmRestarts(o, 3, T_mult=1.5)),
    ("WarmRestarts-eta_min", lambda s, o: s.CosineAnnealingWarmRestarts(o, 3, eta_min="0")),
    ("CyclicLR-mode", lambda s, o: s.CyclicLR(o, 0.01, 0.1, mode="square")),
    ("CyclicLR-base_lr-length", lambda s, o: s.CyclicLR(o, [0.01], 0.1)),
    ("CyclicLR-max_lr-length", lambda s, o: s.CyclicLR(o, 0.01, [0.1, 0.2, 0.3])),
    ("CyclicLR-momentum-length", lambda s, o: s.CyclicLR(o, 0.01, 0.1, base_momentum=[0.8])),
    ("OneCycleLR-no-steps", lambda s, o: s.OneCycleLR(o, 0.1)),
    ("OneCycleLR-epochs-only", lambda s, o: s.OneCycleLR(o, 0.1, epochs=3)),
    ("OneCycleLR-total=0", lambda s, o: s.OneCycleLR(o, 0.1, total_steps=0)),
    ("OneCycleLR-total=2.5", lambda s, o: s.OneCycleLR(o, 0.1, total_steps=2.5)),
    ("OneCycleLR-epochs=0", lambda s, o: s.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3)),
    ("OneCycleLR-spe=-1", lambda s, o: s.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=-1)),
    ("OneCycleLR-pct>1", lambda s, o: s.OneCycleLR(o, 0.1, 10, pct_start=1.5)),
    ("OneCycleLR-pct-int", lambda s, o: s.OneCycleLR(o, 0.1, 10, pct_start=1)),
    ("OneCycleLR-anneal", lambda s, o: s.OneCycleLR(o, 0.1, 10, anneal_strategy="exp")),
    ("OneCycleLR-max_lr-length", lambda s, o: s.OneCycleLR(o, [0.1, 0.2, 0.3], 10)),
    ("SequentialLR-empty", lambda s, o: s.SequentialLR(o, [], [])),
    (
        "SequentialLR-milestones",
        lambda s, o: s.SequentialLR(o, [s.ConstantLR(o), s.ExponentialLR(o, 0.9)], [2, 4]),
    ),
    (
        "SequentialLR-plateau",
        lambda s, o: s.SequentialLR(o, [s.ConstantLR(o), s.ReduceLROnPlateau(o)], [2]),
    ),
    ("ChainedScheduler-empty", lambda s, o: s.ChainedScheduler([])),
    ("ChainedScheduler-plateau", lambda s, o: s.ChainedScheduler([s.ReduceLROnPlateau(o)], o)),
]


@pytest.mark.parametrize("make", [m for _, m in ERRORS], ids=[n for n, _ in ERRORS])
def test_errors_match_torch(make):
    assert_same_error(lambda lib: make(*_parts(lib)))


@pytest.mark.parametrize(
    "make",
    [
        lambda s, o: s.CyclicLR(o, 0.01, 0.1),
        lambda s, o: s.OneCycleLR(o, 0.1, total_steps=10),
    ],
    ids=["CyclicLR", "OneCycleLR"],
)
def test_cycle_momentum_needs_an_optimizer_with_momentum(make):
    assert_same_error(lambda lib: make(*_parts(lib, "Adagrad")))


def test_cycle_momentum_false_works_without_momentum():
    eo, to = _optimizers("Adagrad")
    es = sched.CyclicLR(eo, 0.01, 0.1, step_size_up=3, cycle_momentum=False)
    ts = TS.CyclicLR(to, 0.01, 0.1, step_size_up=3, cycle_momentum=False)
    assert_same_schedule(es, ts, eo, to, steps=10)
    es = sched.OneCycleLR(eo, 0.1, total_steps=10, cycle_momentum=False)
    ts = TS.OneCycleLR(to, 0.1, total_steps=10, cycle_momentum=False)
    assert_same_schedule(es, ts, eo, to, steps=10)


def test_multiplicative_lr_rejects_non_callable():
    assert_same_error(lambda lib: _parts(lib)[0].MultiplicativeLR(_parts(lib)[1], 0.5), TypeError)


def test_schedulers_need_an_optimizer():
    for make in (
        lambda s: s.CyclicLR([], 0.01, 0.1),
        lambda s: s.OneCycleLR([], 0.1, 10),
        lambda s: s.ConstantLR([]),
    ):
        assert_same_error(lambda lib, make=make: make(sched if lib is ember else TS), TypeError)


def test_sequential_and_chained_check_their_schedulers():
    eo, _ = _optimizers()
    other, _ = _optimizers()
    mine, foreign = sched.ConstantLR(eo), sched.ExponentialLR(other, 0.9)
    with pytest.raises(
        ValueError,
        match=r"^SequentialLR expects all schedulers to belong to the same optimizer, but got "
        r"scheduler ExponentialLR at index 1 has SGD \(",
    ):
        sched.SequentialLR(eo, [mine, foreign], [3])
    with pytest.raises(ValueError, match=r"^ChainedScheduler expects all schedulers to belong"):
        sched.ChainedScheduler([mine, foreign])
    with pytest.raises(
        TypeError, match=r"^SequentialLR at index 1 should have `optimizer` as its attribute\.$"
    ):
        sched.SequentialLR(eo, [mine, object()], [3])
    with pytest.raises(TypeError, match=r"^ChainedScheduler at index 0 should have `optimizer`"):
        sched.ChainedScheduler([object()], optimizer=eo)


# ---- miscellany -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda o: sched.ConstantLR(o),
        lambda o: sched.CyclicLR(o, 0.01, 0.1),
        lambda o: sched.OneCycleLR(o, 0.1, 10),
        lambda o: sched.CosineAnnealingWarmRestarts(o, 3),
    ],
    ids=["ConstantLR", "CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts"],
)
def test_get_lr_called_directly_warns(make):
    eo, _ = _optimizers("SGD", momentum=0.9)
    s = make(eo)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_step_before_optimizer_step_warns():
    eo, _ = _optimizers()
    s = sched.LinearLR(eo)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_new_schedulers_are_exported_and_listed():
    names = [
        "ChainedScheduler",
        "ConstantLR",
        "CosineAnnealingWarmRestarts",
        "CyclicLR",
        "LinearLR",
        "MultiplicativeLR",
        "OneCycleLR",
        "PolynomialLR",
        "SequentialLR",
    ]
    for name in names:
        assert name in sched.__all__
        assert issubclass(getattr(optim.lr_scheduler, name), sched.LRScheduler)
        doc = getattr(sched, name).__doc__
        assert "Args:" in doc and "Example:" in doc, name


@pytest.mark.parametrize("make", [
    lambda o: sched.LambdaLR(o, lambda e: 0.5**e),
    lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=2),
    lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=3),
])
def test_a_group_added_after_the_scheduler_raises(make):
    opt = optim.SGD([ember.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    s = make(opt)
    opt.add_param_group({"params": [ember.zeros(2, requires_grad=True)], "lr": 0.7})
    opt.step()
    with pytest.raises(ValueError, match=r"the optimizer has 2 param groups but the scheduler "
                                         r"gives 1 values"):
        s.step()


def test_sequential_lr_refuses_a_nested_scheduler_after_the_first():
    opt = optim.SGD([ember.zeros(2, requires_grad=True)], lr=0.1)
    chained = sched.ChainedScheduler([sched.ConstantLR(opt, 0.5, 3), sched.ExponentialLR(opt, 0.9)])
    with pytest.raises(ValueError, match=r"SequentialLR: schedulers\[1\] is a ChainedScheduler, "
                                         "which cannot be restarted at a milestone"):
        sched.SequentialLR(opt, [sched.LinearLR(opt, 0.2, 1.0, 4), chained], [3])
