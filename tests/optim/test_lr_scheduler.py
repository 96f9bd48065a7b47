"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: identical lr sequences."""

from __future__ import annotations

import math
import re
import warnings

import pytest

torch = pytest.importorskip("torch")

import ember
from ember import optim
from ember.optim import lr_scheduler as sched

STEPS = 40


def _optimizers(name="SGD", lrs=(0.1, 0.05), **kw):
    e = [ember.zeros(2, requires_grad=True) for _ in lrs]
    t = [torch.zeros(2, requires_grad=True) for _ in lrs]
    eo = getattr(optim, name)([{"params": [p], "lr": lr} for p, lr in zip(e, lrs)], **kw)
    to = getattr(torch.optim, name)([{"params": [p], "lr": lr} for p, lr in zip(t, lrs)], **kw)
    return eo, to


def _run(es, ts, eo, to, steps=STEPS, metrics=None):
    """Steps both schedulers (after their optimizers) and returns both lr histories."""
    eh, th = [es.get_last_lr()], [ts.get_last_lr()]
    for i in range(steps):
        eo.step()
        to.step()
        if metrics is None:
            es.step()
            ts.step()
        else:
            es.step(metrics[i])
            ts.step(metrics[i])
        eh.append(list(es.get_last_lr()))
        th.append(list(ts.get_last_lr()))
        assert [g["lr"] for g in eo.param_groups] == [g["lr"] for g in to.param_groups]
    return eh, th


SCHEDULERS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("StepLR", {"step_size": 1, "gamma": 0.9}),
    ("MultiStepLR", {"milestones": [5, 12, 12, 20, 33], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 40, "eta_min": 0.001}),
]


@pytest.mark.parametrize(
    "name,kwargs",
    SCHEDULERS,
    ids=[n + "-" + "-".join(f"{k}={v}" for k, v in kw.items()) for n, kw in SCHEDULERS],
)
def test_sequence_matches_torch(name, kwargs):
    eo, to = _optimizers()
    es = getattr(sched, name)(eo, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(to, **kwargs)
    eh, th = _run(es, ts, eo, to)
    assert eh == th  # same recursive formulas: bit-identical floats
    assert es.last_epoch == ts.last_epoch == STEPS


def test_lambda_lr_matches_torch_with_per_group_lambdas():
    eo, to = _optimizers()
    fns = [lambda e: 0.95**e, lambda e: 1.0 / (1 + e // 4)]
    es = sched.LambdaLR(eo, fns)
    ts = torch.optim.lr_scheduler.LambdaLR(to, fns)
    eh, th = _run(es, ts, eo, to)
    assert eh == th


def test_lambda_lr_single_lambda_and_length_error():
    eo, to = _optimizers()
    es = sched.LambdaLR(eo, lambda e: 1.0 / (e + 1))
    ts = torch.optim.lr_scheduler.LambdaLR(to, lambda e: 1.0 / (e + 1))
    eh, th = _run(es, ts, eo, to, steps=30)
    assert eh == th
    assert eh[30] == [0.1 / 31, 0.05 / 31]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(eo, [lambda e: 1.0])


def test_lambda_lr_state_dict_saves_callable_objects_only():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, e):
            return min(1.0, (e + 1) / self.n)

    eo, _ = _optimizers()
    s = sched.LambdaLR(eo, [Warmup(5), lambda e: 1.0])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"n": 5}, None]
    eo2, _ = _optimizers()
    s2 = sched.LambdaLR(eo2, [Warmup(1), lambda e: 1.0])
    s2.load_state_dict(sd)
    assert s2.lr_lambdas[0].n == 5


def test_chained_schedulers_match_torch():
    # Two recursive schedulers on one optimizer compose the same way.
    eo, to = _optimizers()
    es1, es2 = sched.StepLR(eo, 5, gamma=0.5), sched.ExponentialLR(eo, gamma=0.97)
    ts1 = torch.optim.lr_scheduler.StepLR(to, 5, gamma=0.5)
    ts2 = torch.optim.lr_scheduler.ExponentialLR(to, gamma=0.97)
    for _ in range(STEPS):
        eo.step()
        to.step()
        es1.step()
        es2.step()
        ts1.step()
        ts2.step()
        assert es2.get_last_lr() == ts2.get_last_lr()
        assert [g["lr"] for g in eo.param_groups] == [g["lr"] for g in to.param_groups]


def test_cosine_annealing_follows_closed_form_within_t_max():
    eo, _ = _optimizers(lrs=(0.1,))
    s = sched.CosineAnnealingLR(eo, T_max=20, eta_min=0.01)
    for t in range(1, 21):
        eo.step()
        s.step()
        expected = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 20)) / 2
        assert s.get_last_lr()[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_scheduler_sets_initial_lr_and_base_lrs():
    eo, _ = _optimizers()
    s = sched.ExponentialLR(eo, gamma=0.5)
    assert [g["initial_lr"] for g in eo.param_groups] == [0.1, 0.05]
    assert s.base_lrs == [0.1, 0.05]
    assert s.get_last_lr() == [0.1, 0.05] and s.last_epoch == 0


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("StepLR", {"step_size": 4, "gamma": 0.5}),
        ("CosineAnnealingLR", {"T_max": 9}),
        ("ExponentialLR", {"gamma": 0.8}),
        ("MultiStepLR", {"milestones": [3, 8]}),
    ],
)
def test_scheduler_state_dict_round_trip_matches_torch(name, kwargs):
    eo, to = _optimizers()
    es = getattr(sched, name)(eo, **kwargs)
    ts = getattr(torch.optim.lr_scheduler, name)(to, **kwargs)
    _run(es, ts, eo, to, steps=13)
    sd = es.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 13
    # Resume on a fresh optimizer holding the saved lrs, like a restored checkpoint.
    eo2, _ = _optimizers()
    for g, saved in zip(eo2.param_groups, eo.param_groups):
        g["lr"] = saved["lr"]
        g["initial_lr"] = saved["initial_lr"]
    es2 = getattr(sched, name)(eo2, **kwargs)
    es2.load_state_dict(sd)
    for _ in range(20):
        eo2.step()
        to.step()
        es2.step()
        ts.step()
        assert es2.get_last_lr() == ts.get_last_lr()


def test_resume_without_initial_lr_raises_key_error():
    eo, _ = _optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(eo, 3, last_epoch=5)


def test_scheduler_requires_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], 3)


def test_step_before_optimizer_step_warns():
    eo, _ = _optimizers()
    s = sched.StepLR(eo, 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_no_warning_in_normal_order():
    eo, _ = _optimizers()
    s = sched.StepLR(eo, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eo.step()
        s.step()
    # One step of a step_size=3 schedule leaves every group's rate unchanged.
    assert s.get_last_lr() == [g["initial_lr"] for g in eo.param_groups]


def test_get_lr_called_directly_warns():
    eo, _ = _optimizers()
    s = sched.StepLR(eo, 3)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_epoch_argument_uses_closed_form_like_torch():
    eo, to = _optimizers()
    es = sched.StepLR(eo, 3, gamma=0.5)
    ts = torch.optim.lr_scheduler.StepLR(to, 3, gamma=0.5)
    with pytest.warns(UserWarning):
        es.step(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts.step(7)
    assert es.get_last_lr() == ts.get_last_lr() == [0.1 * 0.25, 0.05 * 0.25]


# ---- ReduceLROnPlateau ------------------------------------------------------------------------

METRICS = [
    1.0,
    0.9,
    0.95,
    0.95,
    0.96,
    0.97,
    0.89,
    0.8899,
    0.8899,
    0.9,
    0.91,
    0.92,
    0.5,
    0.5,
    0.5,
    0.6,
    0.6,
    0.6,
    0.6,
    0.49999,
    0.4,
    0.41,
    0.42,
    0.43,
    0.44,
    0.45,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
    0.3,
    0.2,
    0.2,
    0.2,
    0.2,
    0.2,
    0.2,
    0.2,
]

PLATEAU = [
    {},
    {"patience": 2},
    {"patience": 0, "factor": 0.5},
    {"patience": 1, "cooldown": 2, "factor": 0.5},
    {"mode": "max", "patience": 2, "factor": 0.5},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 1},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 1, "cooldown": 1},
    {"patience": 1, "factor": 0.5, "min_lr": [0.02, 0.04]},
    {"patience": 0, "factor": 0.5, "min_lr": 0.01},
    {"patience": 0, "factor": 0.9, "eps": 0.01},
    {"patience": 3, "threshold": 0.1},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_on_plateau_matches_torch(kwargs):
    eo, to = _optimizers()
    es = sched.ReduceLROnPlateau(eo, **kwargs)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kwargs)
    eh, th = _run(es, ts, eo, to, steps=len(METRICS), metrics=METRICS)
    assert eh == th
    assert (es.best, es.num_bad_epochs, es.cooldown_counter) == (
        ts.best,
        ts.num_bad_epochs,
        ts.cooldown_counter,
    )
    if "patience" in kwargs and kwargs.get("eps") != 0.01:
        assert eh[-1] != eh[0]  # the script does trigger reductions
    if kwargs.get("eps") == 0.01:
        assert eh[-1] == eh[0]  # every reduction is below eps


def test_reduce_on_plateau_accepts_tensor_metric():
    eo, _ = _optimizers(lrs=(0.1,))
    s = sched.ReduceLROnPlateau(eo, patience=0)
    s.step(ember.tensor([1.0]))
    s.step(ember.tensor([2.0]))
    assert s.get_last_lr() == [pytest.approx(0.01)]


def test_reduce_on_plateau_state_dict_round_trip():
    eo, to = _optimizers()
    es = sched.ReduceLROnPlateau(eo, patience=1, cooldown=1)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, patience=1, cooldown=1)
    _run(es, ts, eo, to, steps=15, metrics=METRICS)
    eo2, _ = _optimizers()
    for g, saved in zip(eo2.param_groups, eo.param_groups):
        g["lr"] = saved["lr"]
    es2 = sched.ReduceLROnPlateau(eo2)
    es2.load_state_dict(es.state_dict())
    for m in METRICS[15:]:
        es2.step(m)
        ts.step(m)
        assert es2.get_last_lr() == ts.get_last_lr()


@pytest.mark.parametrize(
    "kwargs",
    [{"factor": 1.0}, {"mode": "median"}, {"threshold_mode": "pct"}, {"min_lr": [0.1]}],
)
def test_reduce_on_plateau_errors_match_torch(kwargs):
    eo, to = _optimizers()
    with pytest.raises(ValueError) as expected:
        torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kwargs)
    with pytest.raises(ValueError, match="^" + re.escape(str(expected.value)) + "$"):
        sched.ReduceLROnPlateau(eo, **kwargs)


def test_schedulers_work_with_every_optimizer():
    for name in ("Adam", "AdamW", "RMSprop", "Adagrad"):
        eo, to = _optimizers(name)
        es = sched.CosineAnnealingLR(eo, T_max=5)
        ts = torch.optim.lr_scheduler.CosineAnnealingLR(to, T_max=5)
        eh, th = _run(es, ts, eo, to, steps=12)
        assert eh == th


def test_multistep_state_saved_with_ember_save_steps_on(tmp_path):
    import warnings
    from collections import Counter

    w = ember.zeros(1, requires_grad=True)
    opt = ember.optim.SGD([w], lr=1.0)
    s = ember.optim.lr_scheduler.MultiStepLR(opt, [3, 6, 6], gamma=0.5)
    ember.save(s.state_dict(), tmp_path / "s.safetensors")
    s.load_state_dict(ember.load(tmp_path / "s.safetensors"))
    assert s.milestones == Counter({3: 1, 6: 2}) and isinstance(s.milestones, Counter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch) is deprecated, as in PyTorch
        s.step(7)
    assert s.get_last_lr() == [0.125]
