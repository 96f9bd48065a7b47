"""TripletMarginWithDistanceLoss, AdaptiveLogSoftmaxWithLoss, the conv/linear + BatchNorm fusion
utilities, skip_init and stateless.functional_call vs torch: values, float64 gradients, reprs,
state_dict keys, errors."""

from __future__ import annotations

import warnings

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import nn
from ember.nn.utils import fusion, skip_init, stateless

from ._util import to_np

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}


def e_of(a):
    return ember.tensor(np.array(a))


def assert_close(e, t, dtype=np.float64, **kw):
    a, b = to_np(e), t.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **(kw or TOL[dtype]))


def load_from_torch(e_mod, t_mod):
    e_mod.load_state_dict({k: e_of(v.detach().numpy()) for k, v in t_mod.state_dict().items()})


def leaves(*arrays):
    es = [e_of(a).requires_grad_(True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    return es, ts


# ---- TripletMarginWithDistanceLoss -------------------------------------------------------------


def _cosine_distance_e(x, y):
    return 1.0 - F.cosine_similarity(x, y)


def _cosine_distance_t(x, y):
    return 1.0 - TF.cosine_similarity(x, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("dist", ["default", "cosine", "module"])
def test_triplet_margin_with_distance_loss_matches_torch(reduction, swap, dist):
    rng = np.random.RandomState(1)
    arrays = [rng.randn(6, 5) for _ in range(3)]
    (ea, ep, en), (ta, tp, tn) = leaves(*arrays)
    kw_e = {"margin": 0.7, "swap": swap, "reduction": reduction}
    kw_t = dict(kw_e)
    if dist == "cosine":
        kw_e["distance_function"], kw_t["distance_function"] = (
            _cosine_distance_e,
            _cosine_distance_t,
        )
    elif dist == "module":
        kw_e["distance_function"] = nn.PairwiseDistance(p=1.0)
        kw_t["distance_function"] = tnn.PairwiseDistance(p=1.0)
    e_loss, t_loss = (
        nn.TripletMarginWithDistanceLoss(**kw_e),
        tnn.TripletMarginWithDistanceLoss(**kw_t),
    )
    if dist != "cosine":
        assert repr(e_loss) == repr(t_loss)
    le, lt = e_loss(ea, ep, en), t_loss(ta, tp, tn)
    assert_close(le, lt)
    g = np.asarray(rng.randn(*tuple(lt.shape)))  # float64 also for 0-d losses
    le.backward(e_of(g))
    lt.backward(torch.tensor(g))
    for a, b in ((ea, ta), (ep, tp), (en, tn)):
        assert_close(a.grad, b.grad)
    fe = F.triplet_margin_with_distance_loss(ea, ep, en, **kw_e)
    assert_close(fe, lt)


def test_triplet_margin_with_distance_loss_errors():
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        nn.TripletMarginWithDistanceLoss(reduction="avg")
    with pytest.raises(
        ValueError, match=r"same number of dims, got anchor \(2, 3\), positive \(3,\)"
    ):
        F.triplet_margin_with_distance_loss(ember.zeros(2, 3), ember.zeros(3), ember.zeros(2, 3))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(
            ember.zeros(3), ember.zeros(3), ember.zeros(3), margin=-1.0
        )
    with pytest.raises(TypeError):
        nn.TripletMarginWithDistanceLoss(None)  # keyword-only, as in torch


# ---- AdaptiveLogSoftmaxWithLoss -------------------------------------------------------------------


def _asm_pair(head_bias=False):
    t = tnn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7, 10], div_value=2.0, head_bias=head_bias)
    t = t.double()
    e = nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7, 10], div_value=2.0, head_bias=head_bias)
    e = e.double()
    load_from_torch(e, t)
    return e, t


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_forward_and_grads_match_torch(head_bias):
    e, t = _asm_pair(head_bias)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    rng = np.random.RandomState(2)
    x = rng.randn(9, 8)
    target = np.array([0, 2, 3, 6, 7, 9, 10, 11, 1])
    (xe,), (xt,) = leaves(x)
    oe, ot = e(xe, e_of(target)), t(xt, torch.tensor(target))
    assert type(oe).__name__ == "_ASMoutput" and oe._fields == ("output", "loss")
    assert_close(oe.output, ot.output)
    assert_close(oe.loss, ot.loss)
    oe.loss.backward()
    ot.loss.backward()
    assert_close(xe.grad, xt.grad)
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad), name


def test_adaptive_log_softmax_unbatched_log_prob_and_predict_match_torch():
    e, t = _asm_pair()
    rng = np.random.RandomState(3)
    x = rng.randn(20, 8) * 3
    oe, ot = e(e_of(x[0]), e_of(np.array(8))), t(torch.tensor(x[0]), torch.tensor(8))
    assert tuple(oe.output.shape) == () and tuple(oe.loss.shape) == ()
    assert_close(oe.output, ot.output)
    lpe, lpt = e.log_prob(e_of(x)), t.log_prob(torch.tensor(x))
    assert_close(lpe, lpt)
    np.testing.assert_allclose(np.exp(to_np(lpe)).sum(1), 1.0, rtol=1e-12)
    pe, pt = e.predict(e_of(x)), t.predict(torch.tensor(x))
    assert to_np(pe).tolist() == pt.numpy().tolist()
    assert to_np(pe).tolist() == to_np(lpe).argmax(1).tolist()


def test_adaptive_log_softmax_errors():
    with pytest.raises(ValueError, match="cutoffs should be a sequence of length larger than 0"):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, [])
    with pytest.raises(ValueError, match="unique, positive integers sorted in an increasing"):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, [5, 3])
    with pytest.raises(ValueError, match="unique, positive integers"):
        nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 10])
    asm = nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3])
    with pytest.raises(
        ValueError,
        match=r"target values should be in \[0, 9\], but values in "
        r"range \[0, 12\]",
    ):
        asm(ember.zeros(2, 4), ember.tensor([0, 12]))
    with pytest.raises(ValueError, match="same size in the batch dim"):
        asm(ember.zeros(3, 4), ember.tensor([0, 1]))
    with pytest.raises(ValueError, match="a 0-D target expects a 1-D input"):
        asm(ember.zeros(3, 4), ember.tensor(1))
    with pytest.raises(ValueError, match="0-D or 1-D target expected"):
        asm(ember.zeros(3, 4), ember.zeros(3, 1, dtype=ember.int64))


# ---- fusion ------------------------------------------------------------------------------------


def _random_bn(e_bn, t_bn, c, seed):
    rng = np.random.RandomState(seed)
    vals = {
        "weight": rng.randn(c),
        "bias": rng.randn(c),
        "running_mean": rng.randn(c),
        "running_var": rng.rand(c) + 0.5,
    }
    t_sd = t_bn.state_dict()
    for k, v in vals.items():
        t_sd[k] = torch.tensor(v, dtype=t_sd[k].dtype)
    t_bn.load_state_dict(t_sd)
    load_from_torch(e_bn, t_bn)


@pytest.mark.parametrize(
    "name,bn,args,shape,transpose",
    [
        ("Conv2d", "BatchNorm2d", (3, 4, 3), (2, 3, 6, 6), False),
        ("Conv1d", "BatchNorm1d", (2, 5, 3), (2, 2, 7), False),
        ("Conv3d", "BatchNorm3d", (2, 3, 2), (1, 2, 4, 4, 4), False),
        ("ConvTranspose2d", "BatchNorm2d", (3, 4, 2), (2, 3, 3, 3), True),
    ],
)
@pytest.mark.parametrize("bias", [True, False])
def test_fuse_conv_bn_eval_matches_eval_conv_bn_and_torch(name, bn, args, shape, transpose, bias):
    tc = getattr(tnn, name)(*args, bias=bias).double().eval()
    tb = getattr(tnn, bn)(args[1]).double().eval()
    ec = getattr(nn, name)(*args, bias=bias).double().eval()
    eb = getattr(nn, bn)(args[1]).double().eval()
    load_from_torch(ec, tc)
    _random_bn(eb, tb, args[1], 4)
    fe = fusion.fuse_conv_bn_eval(ec, eb, transpose=transpose)
    ft = torch.nn.utils.fusion.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    assert type(fe) is type(ec) and fe is not ec
    assert ec.bias is None if not bias else ec.bias is not None  # original unchanged
    assert_close(fe.weight, ft.weight)
    assert_close(fe.bias, ft.bias)
    x = e_of(np.random.RandomState(5).randn(*shape))
    np.testing.assert_allclose(to_np(fe(x)), to_np(eb(ec(x))), rtol=1e-10, atol=1e-10)


def test_fuse_linear_bn_eval_matches_eval_linear_bn_and_torch():
    tl, tb = tnn.Linear(5, 4).double().eval(), tnn.BatchNorm1d(4).double().eval()
    el, eb = nn.Linear(5, 4).double().eval(), nn.BatchNorm1d(4).double().eval()
    load_from_torch(el, tl)
    _random_bn(eb, tb, 4, 6)
    fe, ft = fusion.fuse_linear_bn_eval(el, eb), torch.nn.utils.fusion.fuse_linear_bn_eval(tl, tb)
    assert_close(fe.weight, ft.weight)
    assert_close(fe.bias, ft.bias)
    assert type(fe.weight) is nn.Parameter and fe.weight.requires_grad
    x = e_of(np.random.RandomState(7).randn(3, 5))
    np.testing.assert_allclose(to_np(fe(x)), to_np(eb(el(x))), rtol=1e-10, atol=1e-10)


def test_fuse_weights_functions_match_torch():
    rng = np.random.RandomState(8)
    w, rm, rv, bw, bb = (
        rng.randn(4, 3, 2, 2),
        rng.randn(4),
        rng.rand(4) + 0.1,
        rng.randn(4),
        rng.randn(4),
    )
    we, be = fusion.fuse_conv_bn_weights(e_of(w), None, e_of(rm), e_of(rv), 1e-3, None, e_of(bb))
    wt, bt = torch.nn.utils.fusion.fuse_conv_bn_weights(
        torch.tensor(w), None, torch.tensor(rm), torch.tensor(rv), 1e-3, None, torch.tensor(bb)
    )
    assert_close(we, wt)
    assert_close(be, bt)
    lw, lb = rng.randn(4, 6), rng.randn(4)
    we, be = fusion.fuse_linear_bn_weights(
        e_of(lw), e_of(lb), e_of(rm), e_of(rv), 1e-5, e_of(bw), e_of(bb)
    )
    wt, bt = torch.nn.utils.fusion.fuse_linear_bn_weights(
        torch.tensor(lw),
        torch.tensor(lb),
        torch.tensor(rm),
        torch.tensor(rv),
        1e-5,
        torch.tensor(bw),
        torch.tensor(bb),
    )
    assert_close(we, wt)
    assert_close(be, bt)


def test_fusion_errors():
    conv, bn = nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3)
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        fusion.fuse_conv_bn_eval(conv, bn.eval())
    with pytest.raises(AssertionError, match="running_mean and bn.running_var must not be None"):
        fusion.fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(3, track_running_stats=False).eval())
    with pytest.raises(AssertionError, match=r"linear.out_features=4 and bn.num_features=3"):
        fusion.fuse_linear_bn_eval(nn.Linear(2, 4).eval(), nn.BatchNorm1d(3).eval())
    assert nn.utils.fuse_conv_bn_eval is fusion.fuse_conv_bn_eval


# ---- skip_init ---------------------------------------------------------------------------------


def test_skip_init_builds_module_with_shapes():
    m = skip_init(nn.Linear, 5, 1)
    t = torch.nn.utils.skip_init(tnn.Linear, 5, 1)
    assert repr(m) == repr(t)
    assert tuple(m.weight.shape) == tuple(t.weight.shape) == (1, 5)
    m2 = skip_init(nn.Conv2d, in_channels=2, out_channels=3, kernel_size=3)
    assert tuple(m2.weight.shape) == (3, 2, 3, 3)

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()

    with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
        skip_init(NoDevice, 3)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        skip_init(int, 3)


# ---- functional_call -----------------------------------------------------------------------------


class _TiedE(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.lin2 = nn.Linear(3, 3)
        self.lin2.weight = self.lin.weight
        self.register_buffer("scale", ember.ones(3))

    def forward(self, x, shift=0.0):
        return self.lin2(self.lin(x)) * self.scale + shift


class _TiedT(tnn.Module):
    def __init__(self):
        super().__init__()
        self.lin = tnn.Linear(3, 3)
        self.lin2 = tnn.Linear(3, 3)
        self.lin2.weight = self.lin.weight
        self.register_buffer("scale", torch.ones(3))

    def forward(self, x, shift=0.0):
        return self.lin2(self.lin(x)) * self.scale + shift


def _functional_call_t(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.nn.utils.stateless.functional_call(*args, **kwargs)


@pytest.mark.parametrize("tie_weights", [True, False])
def test_functional_call_values_and_grads_match_torch(tie_weights):
    e, t = _TiedE().double(), _TiedT().double()
    load_from_torch(e, t)
    rng = np.random.RandomState(9)
    arrays = [rng.randn(3, 3), rng.randn(3), rng.randn(3)]
    (w, b, s), (wt, bt, st) = leaves(*arrays)
    x = rng.randn(2, 3)
    before = to_np(e.lin.weight)
    ye = stateless.functional_call(
        e,
        {"lin.weight": w, "lin.bias": b, "scale": s},
        e_of(x),
        {"shift": 1.5},
        tie_weights=tie_weights,
    )
    yt = _functional_call_t(
        t,
        {"lin.weight": wt, "lin.bias": bt, "scale": st},
        torch.tensor(x),
        {"shift": 1.5},
        tie_weights=tie_weights,
    )
    assert_close(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    for a, c in ((w, wt), (b, bt), (s, st)):
        assert_close(a.grad, c.grad)
    np.testing.assert_array_equal(to_np(e.lin.weight), before)  # restored
    assert type(e.lin.weight) is nn.Parameter and e.lin2.weight is e.lin.weight
    if tie_weights:  # every name of the tied weight was replaced
        assert e.lin.weight.grad is None and t.lin.weight.grad is None
    else:  # lin2 kept the module's own weight
        assert_close(e.lin.weight.grad, t.lin.weight.grad)


def test_functional_call_strict_tied_and_multiple_dicts():
    e = _TiedE()
    with pytest.raises(
        RuntimeError,
        match=r"Error\(s\) in reparametrizing for _TiedE:\n\t"
        r"Unexpected key\(s\): 'foo'.\n\tMissing key\(s\): ",
    ):
        stateless.functional_call(e, {"foo": ember.zeros(1)}, ember.zeros(1, 3), strict=True)
    with pytest.raises(
        ValueError,
        match=r"multiple values for keys \['lin.weight', "
        r"'lin2.weight'\], which are tied",
    ):
        stateless.functional_call(
            e, {"lin.weight": ember.zeros(3, 3), "lin2.weight": ember.ones(3, 3)}, ember.zeros(1, 3)
        )
    with pytest.raises(ValueError, match=r"\['scale'\] appeared in multiple dictionaries"):
        stateless.functional_call(
            e, ({"scale": ember.ones(3)}, {"scale": ember.ones(3)}), ember.zeros(1, 3)
        )
    out = stateless.functional_call(
        e, ({"scale": ember.zeros(3)}, {"lin.bias": ember.zeros(3)}), (ember.zeros(1, 3),)
    )
    np.testing.assert_array_equal(to_np(out), np.zeros((1, 3)))


def test_functional_call_restores_after_error_and_writes_back_buffers():
    e = nn.BatchNorm1d(2).double()
    t = tnn.BatchNorm1d(2).double()
    rm_e, rm_t = ember.zeros(2, dtype=ember.float64), torch.zeros(2, dtype=torch.float64)
    x = np.random.RandomState(10).randn(4, 2)
    stateless.functional_call(e, {"running_mean": rm_e}, e_of(x))
    _functional_call_t(t, {"running_mean": rm_t}, torch.tensor(x))
    assert_close(rm_e, rm_t)  # updated in place by the call
    np.testing.assert_array_equal(to_np(e.running_mean), np.zeros(2))  # module's own unchanged
    orig = e.weight
    with pytest.raises(ValueError):
        stateless.functional_call(
            e, {"weight": ember.ones(2, dtype=ember.float64)}, e_of(np.zeros((4, 3)))
        )
    assert e.weight is orig


# ---- docstring examples --------------------------------------------------------------------------


def _new_modules():
    from ember.nn import _functional_extra2, parameter
    from ember.nn.modules import (
        adaptive,
        fractional,
        lazy,
        loss_extra,
        padding_more,
        upsampling_more,
    )
    from ember.nn.utils import init as utils_init

    return [
        _functional_extra2,
        parameter,
        adaptive,
        fractional,
        lazy,
        loss_extra,
        padding_more,
        upsampling_more,
        fusion,
        utils_init,
        stateless,
    ]


@pytest.mark.parametrize("module", _new_modules(), ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    import doctest

    globs = {
        "ember": ember,
        "nn": nn,
        "F": F,
        "fuse_conv_bn_eval": fusion.fuse_conv_bn_eval,
        "skip_init": skip_init,
        "functional_call": stateless.functional_call,
        "Parameter": nn.Parameter,
    }
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(module, globs=globs)
    assert any(t.examples for t in tests)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
