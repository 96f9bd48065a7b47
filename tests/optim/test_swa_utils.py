"""ember.optim.swa_utils against torch.optim.swa_utils: averages, batch-norm statistics and
SWALR learning rates."""

from __future__ import annotations

import copy
import doctest
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember
from ember import nn, optim
from ember.optim import swa_utils
from torch.optim import swa_utils as tswa

F64 = {"rtol": 1e-7, "atol": 1e-10}
F32 = {"rtol": 1e-5, "atol": 1e-6}


# ---- a model built twice --------------------------------------------------------------------


def ember_model(dtype=ember.float32):
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).to(dtype)


def torch_model(dtype=torch.float32):
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    ).to(dtype)


def set_weights(em, tm, rng, np_dtype):
    """Gives both models the same random parameters and buffers (``num_batches_tracked`` too)."""
    with ember.no_grad(), torch.no_grad():
        for (name, pe), (_, pt) in zip(
            list(em.named_parameters()) + list(em.named_buffers()),
            list(tm.named_parameters()) + list(tm.named_buffers()),
        ):
            if name.endswith("num_batches_tracked"):
                value = int(rng.integers(0, 50))
                pe.fill_(value)
                pt.fill_(value)
                continue
            values = rng.standard_normal(tuple(pt.shape)).astype(np_dtype)
            if name.endswith("running_var"):
                values = np.abs(values) + 0.5
            pe.copy_(ember.tensor(values))
            pt.copy_(torch.tensor(values))


def state_arrays(module):
    return {k: v.detach().numpy().astype(np.float64) for k, v in module.state_dict().items()}


def assert_same_state_dict(em, tm, tol):
    se, st = state_arrays(em), state_arrays(tm)
    assert list(se) == list(st)
    for key in st:
        np.testing.assert_allclose(se[key], st[key], **tol, err_msg=key)


def run_averaging(np_dtype, updates=4, seed=0, **kw):
    """Builds both AveragedModels (``kw`` as for the constructor, functions given as names) and
    folds ``updates`` random weight sets of the source model into each."""
    e_dtype = ember.float64 if np_dtype == np.float64 else ember.float32
    t_dtype = torch.float64 if np_dtype == np.float64 else torch.float32
    rng = np.random.default_rng(seed)
    em, tm = ember_model(e_dtype), torch_model(t_dtype)
    set_weights(em, tm, rng, np_dtype)
    ekw, tkw = {}, {}
    for key, value in kw.items():
        if key in ("avg_fn", "multi_avg_fn"):
            name, args = value
            ekw[key] = getattr(swa_utils, name)(*args)
            tkw[key] = getattr(tswa, name)(*args)
        else:
            ekw[key] = tkw[key] = value
    ea, ta = swa_utils.AveragedModel(em, **ekw), tswa.AveragedModel(tm, **tkw)
    for _ in range(updates):
        set_weights(em, tm, rng, np_dtype)
        ea.update_parameters(em)
        ta.update_parameters(tm)
    return ea, ta, em, tm


# ---- AveragedModel ---------------------------------------------------------------------------


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("np_dtype", [np.float64, np.float32])
def test_averaged_model_default_swa_matches_torch(use_buffers, np_dtype):
    ea, ta, em, _ = run_averaging(np_dtype, use_buffers=use_buffers)
    assert_same_state_dict(ea, ta, F64 if np_dtype == np.float64 else F32)
    assert ea.n_averaged.item() == 4 and ea.n_averaged.dtype == ember.int64
    if not use_buffers:
        # Buffers are copied from the source model, not averaged.
        np.testing.assert_array_equal(ea.module[1].running_mean.numpy(), em[1].running_mean.numpy())


def test_averaged_model_is_the_plain_mean():
    rng = np.random.default_rng(5)
    model = nn.Linear(2, 3).double()
    swa = swa_utils.AveragedModel(model)
    seen = []
    for _ in range(5):
        w = rng.standard_normal((3, 2))
        with ember.no_grad():
            model.weight.copy_(ember.tensor(w))
        seen.append(w)
        swa.update_parameters(model)
    np.testing.assert_allclose(swa.module.weight.detach().numpy(), np.mean(seen, axis=0), **F64)


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("np_dtype", [np.float64, np.float32])
def test_averaged_model_ema_multi_avg_fn_matches_torch(use_buffers, np_dtype):
    ea, ta, _, _ = run_averaging(
        np_dtype, use_buffers=use_buffers, multi_avg_fn=("get_ema_multi_avg_fn", (0.9,))
    )
    # lerp rounds one ulp apart from torch's.
    assert_same_state_dict(ea, ta, F64 if np_dtype == np.float64 else F32)


@pytest.mark.parametrize("use_buffers", [False, True])
def test_averaged_model_ema_avg_fn_matches_torch(use_buffers):
    ea, ta, _, _ = run_averaging(
        np.float64, use_buffers=use_buffers, avg_fn=("get_ema_avg_fn", (0.75,))
    )
    assert_same_state_dict(ea, ta, F64)


def test_averaged_model_swa_avg_fn_matches_torch():
    ea, ta, _, _ = run_averaging(np.float64, use_buffers=True, avg_fn=("get_swa_avg_fn", ()))
    assert_same_state_dict(ea, ta, F64)


def test_averaged_model_swa_multi_avg_fn_matches_torch():
    # Parameters only: torch's version raises on the integer num_batches_tracked buffer.
    ea, ta, _, _ = run_averaging(np.float64, multi_avg_fn=("get_swa_multi_avg_fn", ()))
    assert_same_state_dict(ea, ta, F64)


def test_averaged_model_swa_multi_avg_fn_averages_integer_buffers():
    # torch's get_swa_multi_avg_fn raises on integer buffers (addcdiv); ember's averages them
    # like the default (torch's CPU) path, which the torch model below runs.
    _, ta, _, _ = run_averaging(np.float64, use_buffers=True, updates=3, seed=2)
    rng = np.random.default_rng(2)
    model = ember_model(ember.float64)
    set_weights(model, torch_model(torch.float64), rng, np.float64)
    eb = swa_utils.AveragedModel(
        model, use_buffers=True, multi_avg_fn=swa_utils.get_swa_multi_avg_fn()
    )
    for _ in range(3):
        set_weights(model, torch_model(torch.float64), rng, np.float64)
        eb.update_parameters(model)
    assert eb.module[1].num_batches_tracked.dtype == ember.int64
    assert eb.module[1].num_batches_tracked.item() == ta.module[1].num_batches_tracked.item()
    # The multi function's weight 1 / (n + 1) is a float32 number, as in torch: ~1e-7 apart.
    assert_same_state_dict(eb, ta, {"rtol": 1e-6, "atol": 1e-7})


def test_averaged_model_multi_avg_fn_gets_lists_grouped_by_dtype():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    calls = []

    def record(averaged, current, n):
        calls.append(([a.dtype for a in averaged], len(current), int(n.item())))

    swa = swa_utils.AveragedModel(model, multi_avg_fn=record, use_buffers=True)
    swa.update_parameters(model)
    assert calls == []  # the first update copies
    swa.update_parameters(model)
    assert calls == [([ember.float32] * 6, 6, 1), ([ember.int64], 1, 1)]


def test_averaged_model_state_dict_keys_and_forward_match_torch():
    ea, ta, _, _ = run_averaging(np.float64, updates=2)
    assert list(ea.state_dict()) == list(ta.state_dict())
    x = np.random.default_rng(1).standard_normal((5, 3))
    ea.eval()
    ta.eval()
    with torch.no_grad():
        expected = ta(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ea(ember.tensor(x)).detach().numpy(), expected, **F64)


def test_averaged_model_copies_the_model():
    model = nn.Linear(2, 2)
    swa = swa_utils.AveragedModel(model)
    assert swa.module is not model
    assert swa.module.weight.data_ptr() != model.weight.data_ptr()
    with ember.no_grad():
        model.weight.fill_(7.0)
    assert not np.any(swa.module.weight.detach().numpy() == 7.0)
    assert swa.n_averaged.item() == 0


def test_deepcopy_of_ember_modules_and_tensors():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.BatchNorm1d(2), shared)
    clone = copy.deepcopy(model)
    assert clone[0] is clone[2]  # tied modules stay tied
    assert clone[0].weight is not shared.weight
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    np.testing.assert_array_equal(clone[0].weight.detach().numpy(), shared.weight.detach().numpy())
    np.testing.assert_array_equal(clone[1].running_var.numpy(), np.ones(2, np.float32))
    t = ember.tensor([1.0, 2.0], requires_grad=True)
    c = copy.deepcopy(t)
    assert c.requires_grad and c.data_ptr() != t.data_ptr()


# ---- update_bn --------------------------------------------------------------------------------


@pytest.mark.parametrize("tuple_batches", [False, True])
def test_update_bn_matches_torch(tuple_batches):
    rng = np.random.default_rng(3)
    em, tm = ember_model(ember.float64), torch_model(torch.float64)
    set_weights(em, tm, rng, np.float64)
    batches = [rng.standard_normal((6, 3)) * 2 + 1 for _ in range(4)]
    if tuple_batches:
        e_loader = [(ember.tensor(b), ember.zeros(6)) for b in batches]
        t_loader = [(torch.tensor(b), torch.zeros(6)) for b in batches]
    else:
        e_loader = [ember.tensor(b) for b in batches]
        t_loader = [torch.tensor(b) for b in batches]
    em.eval()
    tm.eval()
    swa_utils.update_bn(e_loader, em)
    tswa.update_bn(t_loader, tm)
    bn_e, bn_t = em[1], tm[1]
    np.testing.assert_allclose(bn_e.running_mean.numpy(), bn_t.running_mean.numpy(), **F64)
    np.testing.assert_allclose(bn_e.running_var.numpy(), bn_t.running_var.numpy(), **F64)
    assert bn_e.num_batches_tracked.item() == bn_t.num_batches_tracked.item() == 4
    assert bn_e.momentum == 0.1 and not em.training and not bn_e.training


def test_update_bn_on_averaged_model_matches_torch():
    ea, ta, _, _ = run_averaging(np.float64, updates=3)
    rng = np.random.default_rng(4)
    batches = [rng.standard_normal((8, 3)) for _ in range(3)]
    swa_utils.update_bn([ember.tensor(b) for b in batches], ea)
    tswa.update_bn([torch.tensor(b) for b in batches], ta)
    assert_same_state_dict(ea, ta, F64)
    assert ea.training


def test_update_bn_without_batchnorm_leaves_model_alone():
    model = nn.Linear(2, 2)
    model.eval()
    reads = []

    class Loader:
        def __iter__(self):
            reads.append(1)
            return iter([ember.zeros(1, 2)])

    swa_utils.update_bn(Loader(), model)
    assert reads == []  # the loader is not read
    assert not model.training


# ---- SWALR --------------------------------------------------------------------------------------


def lr_histories(epochs=15, swa_lr=0.05, lrs=(0.5, 0.2), **kw):
    pe = [ember.zeros(1, requires_grad=True) for _ in lrs]
    pt = [torch.zeros(1, requires_grad=True) for _ in lrs]
    oe = optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(pe, lrs)])
    ot = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(pt, lrs)])
    se = swa_utils.SWALR(oe, swa_lr, **kw)
    st = tswa.SWALR(ot, swa_lr, **kw)
    he, ht = [se.get_last_lr()], [st.get_last_lr()]
    for _ in range(epochs):
        oe.step()
        ot.step()
        se.step()
        st.step()
        he.append(list(se.get_last_lr()))
        ht.append(list(st.get_last_lr()))
    return he, ht, se, oe


def assert_same_lrs(he, ht):
    assert len(he) == len(ht)
    for epoch, (a, b) in enumerate(zip(he, ht)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=f"epoch {epoch}")


@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 5, 10])
def test_swalr_matches_torch(anneal_strategy, anneal_epochs):
    he, ht, _, oe = lr_histories(anneal_epochs=anneal_epochs, anneal_strategy=anneal_strategy)
    assert_same_lrs(he, ht)
    assert he[-1] == pytest.approx([0.05, 0.05])
    assert [g["swa_lr"] for g in oe.param_groups] == [0.05, 0.05]


def test_swalr_per_group_swa_lr_matches_torch():
    he, ht, _, _ = lr_histories(swa_lr=[0.01, 0.3], anneal_epochs=4)
    assert_same_lrs(he, ht)
    assert he[-1] == pytest.approx([0.01, 0.3])


def test_swalr_cosine_values():
    he, _, _, _ = lr_histories(epochs=4, lrs=(1.0,), swa_lr=0.0, anneal_epochs=4)
    expected = [1.0] + [(1 + math.cos(math.pi * k / 4)) / 2 for k in range(1, 5)]
    np.testing.assert_allclose([h[0] for h in he], expected, atol=1e-15)


def test_swalr_after_other_schedule_matches_torch():
    pe, pt = ember.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    oe, ot = optim.SGD([pe], lr=1.0), torch.optim.SGD([pt], lr=1.0)
    ce = optim.lr_scheduler.CosineAnnealingLR(oe, T_max=20)
    ct = torch.optim.lr_scheduler.CosineAnnealingLR(ot, T_max=20)
    he, ht = [], []
    for _ in range(5):
        oe.step()
        ot.step()
        ce.step()
        ct.step()
    se = swa_utils.SWALR(oe, swa_lr=0.1, anneal_epochs=3)
    st = tswa.SWALR(ot, swa_lr=0.1, anneal_epochs=3)
    for _ in range(6):
        oe.step()
        ot.step()
        se.step()
        st.step()
        he.append(se.get_last_lr())
        ht.append(st.get_last_lr())
    assert_same_lrs(he, ht)


def test_swalr_state_dict_round_trip():
    _, _, se, oe = lr_histories(epochs=3, anneal_epochs=6, anneal_strategy="linear")
    saved = se.state_dict()
    assert "optimizer" not in saved and "anneal_func" not in saved
    assert saved["_anneal_strategy"] == "linear"
    other = swa_utils.SWALR(oe, 0.05, anneal_epochs=6, anneal_strategy="cos")
    other.load_state_dict(saved)
    assert other.anneal_func(0.25) == 0.25  # linear again
    assert other._step_count == se._step_count and other.last_epoch == se.last_epoch


def test_swalr_get_lr_outside_step_warns():
    _, _, se, _ = lr_histories(epochs=1)
    with pytest.warns(UserWarning, match="get_last_lr"):
        se.get_lr()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"swa_lr": -0.1}, ValueError, r"SWALR: swa_lr must be >= 0, got -0.1"),
        (
            {"swa_lr": [0.1]},
            ValueError,
            r"swa_lr must have the same length as optimizer.param_groups",
        ),
        (
            {"swa_lr": 0.1, "anneal_strategy": "exp"},
            ValueError,
            r"SWALR: anneal_strategy must be one of 'cos' or 'linear', got 'exp'",
        ),
        (
            {"swa_lr": 0.1, "anneal_epochs": -1},
            ValueError,
            r"SWALR: anneal_epochs must be an int >= 0, got -1",
        ),
        (
            {"swa_lr": 0.1, "anneal_epochs": 2.5},
            ValueError,
            r"SWALR: anneal_epochs must be an int >= 0, got 2.5",
        ),
    ],
)
def test_swalr_bad_arguments_raise(kwargs, error, message):
    groups = [{"params": [ember.zeros(1, requires_grad=True)], "lr": 0.5} for _ in range(2)]
    opt = optim.SGD(groups)
    with pytest.raises(error, match=message):
        swa_utils.SWALR(opt, **kwargs)
    assert all("swa_lr" not in g and g["lr"] == 0.5 for g in opt.param_groups)


def test_swalr_needs_an_optimizer():
    with pytest.raises(TypeError, match=r"list is not an Optimizer"):
        swa_utils.SWALR([], swa_lr=0.1)


# ---- errors of the averaging helpers ------------------------------------------------------------


@pytest.mark.parametrize("name", ["get_ema_multi_avg_fn", "get_ema_avg_fn"])
@pytest.mark.parametrize("decay", [-0.1, 1.5])
def test_ema_bad_decay_raises(name, decay):
    with pytest.raises(
        ValueError, match=rf"{name}: invalid decay value {decay}; expected a value in \[0, 1\]"
    ):
        getattr(swa_utils, name)(decay)


def test_averaged_model_bad_arguments_raise():
    model = nn.Linear(2, 2)
    with pytest.raises(
        ValueError, match=r"AveragedModel: give at most one of avg_fn and multi_avg_fn"
    ):
        swa_utils.AveragedModel(
            model, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn()
        )
    with pytest.raises(
        TypeError, match=r"AveragedModel: model must be an ember.nn.Module, got Tensor"
    ):
        swa_utils.AveragedModel(ember.zeros(2))
    with pytest.raises(TypeError, match=r"AveragedModel: avg_fn must be callable or None, got int"):
        swa_utils.AveragedModel(model, avg_fn=3)
    swa = swa_utils.AveragedModel(model)
    with pytest.raises(
        ValueError,
        match=r"AveragedModel.update_parameters: model has 4 parameters but the averaged "
        r"model has 2",
    ):
        swa.update_parameters(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)))
    assert swa.n_averaged.item() == 0
    with pytest.raises(TypeError, match=r"update_bn: model must be an ember.nn.Module, got list"):
        swa_utils.update_bn([], [])


def test_swa_utils_exports():
    assert optim.swa_utils is swa_utils
    assert optim.LBFGS is optim.lbfgs.LBFGS
    assert "LBFGS" in optim.__all__ and "swa_utils" in optim.__all__
    assert sorted(swa_utils.__all__) == sorted(tswa.__all__)


def test_swa_utils_docstring_examples_run():
    globs = {"ember": ember, **{name: getattr(swa_utils, name) for name in swa_utils.__all__}}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for test in doctest.DocTestFinder().find(swa_utils, globs=globs):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0
