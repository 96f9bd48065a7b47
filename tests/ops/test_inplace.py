"""In-place forms of elementwise ops (x.exp_(), x.addcmul_(a, b), ...), addcmul/addcdiv and the
dtype-promotion functions, against PyTorch: values, gradients through the write, views, and the
errors for leaves, dtypes and shapes."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember import jit
from ember._inplace import _INPLACE

torch = pytest.importorskip("torch")

# Extra arguments per op (the same for ember and torch); a value in (0.2, 0.9) suits every
# domain here (log, acos, atanh, erfinv, acosh after the shift below, ...).
_TWO = np.linspace(0.25, 0.8, 6).reshape(2, 3)
ARGS = {
    "polygamma": lambda T: (1,),
    "nan_to_num": lambda T: (),
    "logical_and": lambda T: (T(_TWO > 0.5),),
    "logical_or": lambda T: (T(_TWO > 0.5),),
    "logical_xor": lambda T: (T(_TWO > 0.5),),
    "fmod": lambda T: (T(_TWO[::-1].copy() + 0.1),),
    "atan2": lambda T: (T(_TWO[::-1].copy()),),
    "hypot": lambda T: (T(_TWO[::-1].copy()),),
    "copysign": lambda T: (T(_TWO - 0.5),),
    "lerp": lambda T: (T(_TWO[::-1].copy()), 0.3),
    "clamp_min": lambda T: (0.5,),
    "clamp_max": lambda T: (0.5,),
    "xlogy": lambda T: (T(_TWO[::-1].copy()),),
    "heaviside": lambda T: (T(_TWO),),
    "tril": lambda T: (),
    "triu": lambda T: (1,),
    "addcmul": lambda T: (T(_TWO), T(_TWO[::-1].copy())),
    "addcdiv": lambda T: (T(_TWO), T(_TWO[::-1].copy() + 1.0)),
    "eq": lambda T: (T(_TWO),),
    "ne": lambda T: (T(_TWO),),
    "lt": lambda T: (0.5,),
    "le": lambda T: (0.5,),
    "gt": lambda T: (0.5,),
    "ge": lambda T: (0.5,),
}
# Piecewise-constant results: PyTorch's gradient is zero (or the op is not differentiable).
NO_GRAD = {"sign", "sgn", "floor", "ceil", "trunc", "round", "logical_not", "logical_and",
           "logical_or", "logical_xor", "heaviside", "eq", "ne", "lt", "le", "gt", "ge"}


def _base(name):
    x = _TWO + (1.0 if name == "acosh" else 0.0)
    return x.astype(np.float64)


def _args(name, framework):
    make = ARGS.get(name, lambda T: ())
    if framework == "ember":
        return make(lambda a: ember.tensor(a))
    return make(lambda a: torch.tensor(a))


@pytest.mark.parametrize("name", _INPLACE)
def test_inplace_matches_torch_values_and_gradients(name):
    x = _base(name)
    e, t = ember.tensor(x), torch.tensor(x)
    out = getattr(e, name + "_")(*_args(name, "ember"))
    getattr(t, name + "_")(*_args(name, "torch"))
    assert out is e
    rtol = 1e-9 if name == "polygamma" else 1e-12  # PyTorch's trigamma, as below
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=rtol, atol=1e-15)
    if name in NO_GRAD:
        return
    # Through a non-leaf: the gradient reaches the leaf through the op and the write. PyTorch's
    # out-of-place op is the reference (it has no derivative for asinh_, acosh_, atanh_).
    we = ember.tensor(x, requires_grad=True)
    wt = torch.tensor(x, requires_grad=True)
    ye = we * 1.5
    getattr(ye, name + "_")(*_args(name, "ember"))
    yt = getattr(wt * 1.5, name)(*_args(name, "torch"))
    g = np.linspace(-1, 1, 6).reshape(2, 3)
    (ge,) = ember.autograd.grad(ye, [we], ember.tensor(g))
    (gt,) = torch.autograd.grad(yt, [wt], torch.tensor(g))
    # PyTorch's trigamma (the gradient of digamma) is accurate to about 5e-10 only.
    rtol = 1e-9 if name in ("digamma", "polygamma") else 1e-10
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=rtol, atol=1e-13)


def test_inplace_writes_through_views_and_bumps_the_version():
    base = ember.zeros(2, 3) + 0.5
    row = base[1]
    v = base._version
    row.exp_()
    np.testing.assert_allclose(base.numpy(), [[0.5] * 3, [np.exp(0.5)] * 3], rtol=1e-6)
    assert base._version > v


def test_inplace_refuses_leaves_dtypes_and_growing_shapes():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.exp_()
    with ember.no_grad():
        w.exp_()
    np.testing.assert_allclose(w.detach().numpy(), np.e, rtol=1e-6)
    i = ember.tensor([1, 2])
    with pytest.raises(TypeError, match=r"sqrt_: the result dtype ember.float32 can't be cast"):
        i.sqrt_()
    np.testing.assert_array_equal(i.numpy(), [1, 2])
    small = ember.ones(3)
    with pytest.raises(ValueError, match=r"atan2_: the result has shape \(2, 3\), which differs "
                                         r"from the tensor's shape \(3,\)"):
        small.atan2_(ember.ones(2, 3))
    np.testing.assert_array_equal(small.numpy(), [1, 1, 1])
    f = ember.tensor([0.2, 0.7])
    f.gt_(0.5)
    assert f.dtype == ember.float32 and f.tolist() == [0.0, 1.0]


def test_addcmul_addcdiv_match_torch():
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(size=(3, 1)), rng.normal(size=(4,)), rng.uniform(1, 2, size=(3, 4))
    for name in ("addcmul", "addcdiv"):
        for value in (1, -0.5):
            got = getattr(ember, name)(ember.tensor(a), ember.tensor(b), ember.tensor(c),
                                       value=value)
            want = getattr(torch, name)(torch.tensor(a), torch.tensor(b), torch.tensor(c),
                                        value=value)
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-15, atol=1e-15)
    ints = ember.tensor([1, 2])
    assert ember.addcmul(ints, ints, ints, value=2).tolist() == [3, 10]
    with pytest.raises(TypeError, match=r"addcdiv: integer division of tensor1 \(ember.int64\)"):
        ember.addcdiv(ints, ints, ints)
    with pytest.raises(TypeError, match="addcmul: value 0.5 is floating"):
        ember.addcmul(ints, ints, ints, value=0.5)


def test_promotion_functions_match_torch():
    dts = ["bool", "uint8", "int32", "int64", "float32", "float64"]
    for a in dts:
        for b in dts:
            ea, eb = getattr(ember, a), getattr(ember, b)
            ta, tb = getattr(torch, a), getattr(torch, b)
            assert str(ember.promote_types(ea, eb)).split(".")[1] == \
                str(torch.promote_types(ta, tb)).split(".")[1]
            assert ember.can_cast(ea, eb) == torch.can_cast(ta, tb), (a, b)
    assert ember.result_type(ember.tensor([1, 2]), 2.5) == ember.float32
    assert ember.result_type(ember.tensor([1.0], dtype=ember.float64), 1) == ember.float64
    assert ember.result_type(ember.tensor(1.5), ember.tensor([1, 2])) == ember.float32


def test_inplace_ops_trace_like_eager():
    def step(x, y):
        h = x * 2.0
        h.tanh_().mul_(3.0)
        h.addcmul_(y, y, value=0.5).clamp_min_(0.1)
        return h.log_()

    x, y = ember.randn(4, 5), ember.randn(4, 5)
    traced = jit.trace(step, (x, y))
    for _ in range(2):
        a, b = ember.randn(4, 5), ember.randn(4, 5)
        np.testing.assert_array_equal(traced(a, b).numpy(), step(a, b).numpy())
