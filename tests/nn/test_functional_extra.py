"""In-place functional activations, rms_norm/RMSNorm, pdist, gumbel_softmax, rrelu/RReLU, and the
review fixes for hardswish at infinities and attention with an empty head dim; against PyTorch."""

from __future__ import annotations

import doctest

import ember
import ember.nn as nn
import ember.nn.functional as F
import numpy as np
import pytest
from ember import jit

torch = pytest.importorskip("torch")
TF = torch.nn.functional

INPLACE = [
    ("relu_", ()), ("elu_", (0.7,)), ("selu_", ()), ("celu_", (1.3,)), ("leaky_relu_", (0.2,)),
    ("hardtanh_", (-0.5, 0.8)), ("threshold_", (0.1, 20.0)),
]


@pytest.mark.parametrize("name,args", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_functional_forms_match_torch(name, args):
    a = np.linspace(-2, 2, 12).reshape(3, 4)
    e, t = ember.tensor(a), torch.tensor(a)
    out = getattr(F, name)(e, *args)
    getattr(TF, name)(t, *args)
    assert out is e
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-15)
    # Through a non-leaf, the gradient matches PyTorch's.
    we, wt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = we * 1.0, wt * 1.0
    getattr(F, name)(ye, *args)
    getattr(TF, name)(yt, *args)
    (ge,) = ember.autograd.grad(ye.sum(), [we])
    (gt,) = torch.autograd.grad(yt.sum(), [wt])
    if name == "celu_":
        # PyTorch's celu gradient uses 1/alpha rounded to float32 (3e-8 off in float64); the
        # exact derivative is exp(x / alpha) below 0.
        gt = torch.tensor(np.where(a > 0, 1.0, np.exp(a / args[0])))
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-15)


@pytest.mark.parametrize("shape,norm", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((7,), 7)])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_matches_torch(shape, norm, eps):
    rng = np.random.default_rng(1)
    a = rng.normal(size=shape)
    nshape = (norm,) if isinstance(norm, int) else norm
    w = rng.normal(size=nshape)
    xe, we = ember.tensor(a, requires_grad=True), ember.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(a, requires_grad=True), torch.tensor(w, requires_grad=True)
    ye, yt = F.rms_norm(xe, norm, we, eps), TF.rms_norm(xt, nshape, wt, eps)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    g = rng.normal(size=shape)
    ge = ember.autograd.grad(ye, [xe, we], ember.tensor(g))
    gt = torch.autograd.grad(yt, [xt, wt], torch.tensor(g))
    for a_, b_ in zip(ge, gt):
        np.testing.assert_allclose(a_.numpy(), b_.numpy(), rtol=1e-10, atol=1e-12)
    # float32 with the default eps.
    a32 = a.astype(np.float32)
    np.testing.assert_allclose(F.rms_norm(ember.tensor(a32), norm).numpy(),
                               TF.rms_norm(torch.tensor(a32), nshape).numpy(), rtol=1e-5)


def test_rms_norm_module_and_errors():
    m, tm = nn.RMSNorm((2, 3)), torch.nn.RMSNorm((2, 3))
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((2, 3)))
    assert nn.RMSNorm(3, elementwise_affine=False).weight is None
    with pytest.raises(ValueError, match=r"rms_norm: normalized_shape \(3,\) does not match the "
                                         r"trailing dims of the input of shape \(2, 4\)"):
        F.rms_norm(ember.ones(2, 4), (3,))
    with pytest.raises(TypeError, match="rms_norm: expected a floating input"):
        F.rms_norm(ember.ones(2, 3, dtype=ember.int64), 3)


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.5, float("inf")])
def test_pdist_matches_torch(p):
    a = np.random.default_rng(2).normal(size=(6, 4))
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = F.pdist(xe, p), TF.pdist(xt, p)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    if p > 0:
        (ge,) = ember.autograd.grad(ye.sum(), [xe])
        (gt,) = torch.autograd.grad(yt.sum(), [xt])
        np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-10, atol=1e-12)
    assert F.pdist(ember.ones(1, 3)).shape == (0,)
    with pytest.raises(ValueError, match=r"pdist: expected a 2-D input \(N, M\), got shape \(3,\)"):
        F.pdist(ember.ones(3))


def test_gumbel_softmax_samples_follow_the_softmax():
    ember.manual_seed(3)
    logits = ember.tensor([[1.0, 0.0, -1.0]]).expand(20000, 3)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    np.testing.assert_array_equal(hard.sum(-1).numpy(), np.ones(20000))
    freq = hard.numpy().mean(0)
    np.testing.assert_allclose(freq, np.exp([1.0, 0.0, -1.0]) / np.exp([1.0, 0.0, -1.0]).sum(),
                               atol=0.015)
    soft = F.gumbel_softmax(logits[:5], tau=2.0)
    np.testing.assert_allclose(soft.sum(-1).numpy(), np.ones(5), rtol=1e-6)
    # Straight-through: the hard sample's gradient is the soft sample's.
    w = ember.tensor([[0.5, 0.1, -0.3]], requires_grad=True)
    (g,) = ember.autograd.grad((F.gumbel_softmax(w, hard=True) * ember.tensor([1.0, 2.0, 3.0]))
                               .sum(), [w])
    assert np.abs(g.numpy()).sum() > 0
    with pytest.raises(ValueError, match="gumbel_softmax: tau must be > 0"):
        F.gumbel_softmax(w, tau=0.0)


def test_rrelu_eval_matches_torch_and_training_slopes_lie_in_the_range():
    a = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(F.rrelu(ember.tensor(a)).numpy(),
                               TF.rrelu(torch.tensor(a)).numpy(), rtol=1e-15)
    m = nn.RReLU(0.1, 0.3)
    assert repr(m) == repr(torch.nn.RReLU(0.1, 0.3))
    x = -ember.ones(10000)
    slopes = -m(x).numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.005
    np.testing.assert_allclose(m.eval()(x).numpy(), -0.2, rtol=1e-6)
    pos = ember.tensor([0.5, 2.0])
    np.testing.assert_array_equal(m.train()(pos).numpy(), [0.5, 2.0])
    with pytest.raises(ValueError, match=r"rrelu: lower \(0.5\) must not exceed upper \(0.1\)"):
        F.rrelu(x, 0.5, 0.1)


def test_hardswish_at_infinities_and_nan_matches_torch():
    vals = [float("inf"), -float("inf"), -4.0, -3.0, 3.0, 1.0, float("nan")]
    xe = ember.tensor(vals, requires_grad=True)
    xt = torch.tensor(vals, requires_grad=True)
    ye, yt = F.hardswish(xe), TF.hardswish(xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), equal_nan=True)
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), equal_nan=True)


def test_attention_with_an_empty_head_dim_averages_the_values():
    q = ember.randn(1, 3, 0)
    v = ember.tensor(np.arange(6, dtype=np.float32).reshape(1, 3, 2))
    out = F.scaled_dot_product_attention(q, q, v)
    tq = torch.randn(1, 3, 0)
    want = TF.scaled_dot_product_attention(tq, tq, torch.from_numpy(v.numpy()))
    np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-6)


def test_rms_norm_and_pdist_trace_like_eager():
    def f(x, w):
        return F.rms_norm(x, (5,), w).sum() + F.pdist(x).sum()

    x, w = ember.randn(4, 5), ember.randn(5)
    tf = jit.trace(f, (x, w))
    x2, w2 = ember.randn(4, 5), ember.randn(5)
    np.testing.assert_allclose(tf(x2, w2).numpy(), f(x2, w2).numpy(), rtol=1e-6)


def test_docstring_examples_run():
    from ember.nn import _functional_extra
    from ember.nn.modules import activation_more, normalization

    globs = {"ember": ember, "nn": nn, "F": F}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    count = 0
    for obj in (_functional_extra, nn.RMSNorm, nn.RReLU):
        for test in doctest.DocTestFinder().find(obj, globs=globs):
            count += len(test.examples)
            runner.run(test)
    assert count >= 4 and runner.summarize(verbose=False).failed == 0
    assert activation_more and normalization
