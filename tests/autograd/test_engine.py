"""The backward engine: accumulation, retain_graph, autograd.grad, higher-order gradients."""

from __future__ import annotations

import math

import ember
import numpy as np
import pytest
from ember import autograd

torch = pytest.importorskip("torch")


def _x(values, dtype=ember.float64):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


def test_backward_accumulates_into_grad() -> None:
    x = _x([1.0, 2.0, 3.0])
    (x * x).backward(ember.ones(3, dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    (x * 3.0).backward(ember.ones(3, dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])
    x.grad = None
    (x * 1.0).backward(ember.ones(3, dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_grad_of_reused_input_sums_paths() -> None:
    x = _x([2.0])
    y = x * x * x + x.exp() * x
    y.backward()
    expected = 3 * 4.0 + math.exp(2.0) * (1 + 2.0)
    np.testing.assert_allclose(x.grad.numpy(), [expected])


def test_scalar_backward_without_gradient() -> None:
    x = _x(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0
    y = _x([4.0])
    (y * 2).backward()  # one element: implicit gradient 1
    assert y.grad.tolist() == [2.0]


def test_backward_on_non_scalar_without_gradient_raises() -> None:
    x = _x([1.0, 2.0])
    with pytest.raises(
        RuntimeError,
        match=r"backward: grad can be implicitly created only for "
        r"outputs with one element; got an output of shape \(2,\)",
    ):
        (x * 2).backward()


def test_backward_gradient_shape_mismatch_raises() -> None:
    x = _x([1.0, 2.0])
    with pytest.raises(ValueError, match=r"backward: gradient has shape \(3,\)"):
        (x * 2).backward(ember.ones(3, dtype=ember.float64))


def test_backward_on_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).backward(ember.ones(2))


def test_second_backward_raises_unless_retain_graph() -> None:
    x = _x([1.0, 2.0])
    y = (x * x).exp()
    y.backward(ember.ones(2, dtype=ember.float64), retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward(ember.ones(2, dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward(ember.ones(2, dtype=ember.float64))


def test_graph_without_saved_tensors_can_run_twice() -> None:
    x = _x([1.0])
    y = x + 1.0
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0]


def test_autograd_grad_returns_without_touching_grad() -> None:
    x = _x([1.0, 2.0])
    w = _x([3.0, 4.0])
    y = x * w
    gx, gw = autograd.grad(y, [x, w], ember.ones(2, dtype=ember.float64))
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None


def test_autograd_grad_allow_unused() -> None:
    x = _x([1.0])
    unused = _x([5.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"grad: input 1 \(shape \(1,\)\) was not used"):
        autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = autograd.grad(y, [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_autograd_grad_wrt_non_leaf() -> None:
    x = _x([1.0, 2.0])
    h = x * x
    y = h * 3.0
    (gh,) = autograd.grad(y, h, ember.ones(2, dtype=ember.float64))
    assert gh.tolist() == [3.0, 3.0]


def test_autograd_grad_input_without_grad_raises() -> None:
    x = _x([1.0])
    with pytest.raises(RuntimeError, match="grad: input 0 does not require grad"):
        autograd.grad(x * 2, [ember.ones(1)])


def test_multiple_roots_backward() -> None:
    x = _x([1.0, 2.0])
    a, b = x * 2, x * x
    autograd.backward(
        [a, b], [ember.ones(2, dtype=ember.float64), ember.ones(2, dtype=ember.float64)]
    )
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 6.0])


HIGHER = [
    ("x**3", lambda x: x**3, lambda v: 6 * v),
    ("tanh", lambda x: x.tanh(), lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    (
        "sigmoid",
        lambda x: x.sigmoid(),
        lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s) * (1 - 2 * s),
    ),
    ("exp", lambda x: x.exp(), np.exp),
    ("sin", lambda x: x.sin(), lambda v: -np.sin(v)),
    ("log", lambda x: x.log(), lambda v: -1 / v**2),
    ("sqrt", lambda x: x.sqrt(), lambda v: -0.25 * v**-1.5),
    ("x*exp(x)", lambda x: x * x.exp(), lambda v: (v + 2) * np.exp(v)),
    ("1/x", lambda x: 1.0 / x, lambda v: 2 / v**3),
    (
        "gelu",
        lambda x: ember.gelu(x),
        lambda v: np.exp(-v * v / 2) / math.sqrt(2 * math.pi) * (2 - v * v),
    ),
]


@pytest.mark.parametrize("name,f,d2", HIGHER, ids=[h[0] for h in HIGHER])
def test_second_derivative_matches_closed_form(name, f, d2) -> None:
    v = np.array([0.3, 0.9, 1.7])
    x = _x(v)
    y = f(x)
    (g,) = autograd.grad(y, x, ember.ones(3, dtype=ember.float64), create_graph=True)
    assert g.requires_grad
    (gg,) = autograd.grad(g, x, ember.ones(3, dtype=ember.float64))
    np.testing.assert_allclose(gg.numpy(), d2(v), rtol=1e-10, atol=1e-12)


def test_third_derivative_of_cube() -> None:
    x = _x([2.0])
    (g1,) = autograd.grad(x**3, x, create_graph=True)
    (g2,) = autograd.grad(g1, x, create_graph=True)
    (g3,) = autograd.grad(g2, x)
    assert g1.tolist() == [12.0] and g2.tolist() == [12.0] and g3.tolist() == [6.0]


def test_create_graph_backward_then_grad_of_grad() -> None:
    x = _x([1.5])
    y = x**4
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = autograd.grad(x.grad, x)
    np.testing.assert_allclose(gg.numpy(), [12 * 1.5**2])


def test_hessian_vector_product_matches_torch() -> None:
    a = np.array([0.5, -1.2, 2.0])
    x = _x(a)
    tx = torch.tensor(a, requires_grad=True)
    v = np.array([1.0, 0.5, -0.3])
    for mod, t in ((ember, x), (torch, tx)):
        y = (t.sin() * t * t).tanh() + t * t.exp()
        grad_fn = autograd.grad if mod is ember else torch.autograd.grad
        (g,) = grad_fn(y, t, mod.ones(3, dtype=mod.float64), create_graph=True)
        (hv,) = grad_fn(g, t, mod.tensor(v))
        if mod is ember:
            ours = hv.numpy()
        else:
            theirs = hv.numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_retain_grad_on_non_leaf() -> None:
    x = _x([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    y = h * h
    y.backward(ember.ones(2, dtype=ember.float64))
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])
    plain = x * 2
    with pytest.warns(UserWarning, match="not a leaf"):
        assert plain.grad is None


def test_retain_grad_accumulates_over_backwards() -> None:
    x = _x([1.0])
    h = x * 2
    h.retain_grad()
    y = h * 5
    y.backward(retain_graph=True)
    y.backward()
    assert h.grad.tolist() == [10.0]


def test_detach_stops_gradient() -> None:
    x = _x([2.0])
    y = x * x.detach()
    y.backward()
    assert x.grad.tolist() == [2.0]
    d = (x * 3).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf


def test_requires_grad_on_non_leaf_raises() -> None:
    x = _x([1.0])
    y = x * 2
    with pytest.raises(
        RuntimeError,
        match="requires_grad_: you can only change requires_grad of leaf tensors.*MulBackward0",
    ):
        y.requires_grad_(False)
    y.requires_grad_(True)  # already true: allowed, like PyTorch
    with pytest.raises(
        RuntimeError, match="only floating point tensors can require gradients, got dtype int64"
    ):
        ember.tensor([1]).requires_grad_()


def test_is_leaf_and_requires_grad_propagation() -> None:
    a = ember.ones(2)
    b = ember.ones(2, requires_grad=True)
    assert a.is_leaf and b.is_leaf
    c = a + b
    assert c.requires_grad and not c.is_leaf
    d = a * 2
    assert not d.requires_grad and d.is_leaf
    e = b > 0
    assert not e.requires_grad and e.grad_fn is None  # bool outputs never require grad
    f = b.to(ember.int64)
    assert not f.requires_grad


def test_grad_fn_next_functions_chain() -> None:
    x = _x([1.0])
    y = (x * 2).exp()
    assert y.grad_fn.name() == "ExpBackward0"
    ((nxt, _),) = y.grad_fn.next_functions
    assert nxt.name() == "MulBackward0"
    names = [f.name() if f is not None else None for f, _ in nxt.next_functions]
    assert names[0] == "AccumulateGrad"


@pytest.mark.parametrize(
    "sa,sb", [((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 2)), ((4, 1, 3), (5, 1))]
)
def test_broadcast_gradients_reduce_to_input_shape(sa, sb) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    for op in ("add", "sub", "mul", "div", "maximum", "pow"):
        av = np.abs(a) + 0.5 if op == "pow" else a
        xa, xb = _x(av), _x(b)
        ta, tb = torch.tensor(av, requires_grad=True), torch.tensor(b, requires_grad=True)
        y = getattr(ember, op)(xa, xb)
        ty = getattr(torch, op)(ta, tb)
        w = rng.normal(size=tuple(ty.shape))
        y.backward(ember.tensor(w))
        ty.backward(torch.tensor(w))
        assert tuple(xa.grad.shape) == sa and tuple(xb.grad.shape) == sb
        np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-10, err_msg=op)
        np.testing.assert_allclose(xb.grad.numpy(), tb.grad.numpy(), rtol=1e-10, err_msg=op)


def test_gradient_through_dtype_promotion() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)  # float32
    w = ember.tensor([3.0, 4.0], dtype=ember.float64, requires_grad=True)
    y = x * w  # float64
    y.backward(ember.ones(2, dtype=ember.float64))
    assert x.grad.dtype == ember.float32 and w.grad.dtype == ember.float64
    assert x.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [1.0, 2.0]


def test_int_input_gets_no_gradient() -> None:
    x = _x([1.5, 2.5])
    k = ember.tensor([2, 3])
    y = x * k
    y.backward(ember.ones(2, dtype=ember.float64))
    assert x.grad.tolist() == [2.0, 3.0] and k.grad is None


def test_pow_special_points_match_torch() -> None:
    a = np.array([0.0, 0.0, 2.0, -1.5])
    e = np.array([0.0, 2.0, 0.0, 2.0])
    xa, xe = _x(a), _x(e)
    ta, te = torch.tensor(a, requires_grad=True), torch.tensor(e, requires_grad=True)
    (xa**xe).backward(ember.ones(4, dtype=ember.float64))
    (ta**te).backward(torch.ones(4, dtype=torch.float64))
    np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(xe.grad.numpy()[:3], te.grad.numpy()[:3])


def test_relu_abs_clamp_gradient_conventions_match_torch() -> None:
    a = np.array([-1.0, 0.0, 0.5, 2.0, 3.0])
    for name, f in [
        ("relu", lambda m, t: t.relu()),
        ("abs", lambda m, t: t.abs()),
        ("clamp", lambda m, t: t.clamp(0.5, 2.0)),
        ("maximum", lambda m, t: m.maximum(t, m.zeros_like(t))),
    ]:
        x = _x(a)
        tx = torch.tensor(a, requires_grad=True)
        f(ember, x).backward(ember.ones(5, dtype=ember.float64))
        f(torch, tx).backward(torch.ones(5, dtype=torch.float64))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), err_msg=name)


def test_concurrent_backward_into_shared_leaf_loses_nothing() -> None:
    import threading

    x = ember.ones(10_000, requires_grad=True)

    def work() -> None:
        for _ in range(100):
            (x * 2.0).backward(ember.ones(10_000))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(10_000, 4 * 100 * 2.0))


def test_reading_grad_of_a_non_leaf_warns_like_torch() -> None:
    import warnings

    x = ember.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match=r"not a leaf .*retain_grad\(\)"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None  # a leaf: no warning
        y.retain_grad()
        assert y.grad is None  # retained: no warning either
        y.sum().backward()
        np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
