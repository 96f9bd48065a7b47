"""ember.autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) against
torch.autograd.functional, and ember.testing.assert_close against its documented rule."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from ember.autograd import functional as AF

torch = pytest.importorskip("torch")
TAF = torch.autograd.functional

rng = np.random.default_rng(0)
A = rng.standard_normal((2, 3))
B = rng.standard_normal(3)
V3 = rng.standard_normal(3)


def _np(x):
    if isinstance(x, (tuple, list)):
        return [_np(t) for t in x]
    return x.detach().numpy()


def assert_same(e, t):
    ea, ta = _np(e), _np(t)
    if isinstance(ta, list):
        assert isinstance(ea, list) and len(ea) == len(ta)
        for a, b in zip(ea, ta):
            assert_same_arrays(a, b)
    else:
        assert_same_arrays(ea, ta)


def assert_same_arrays(a, b):
    if isinstance(b, list):
        for x, y in zip(a, b):
            assert_same_arrays(x, y)
        return
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def _two(lib):
    def f(x, y):
        return (x.sin() * y).sum(1), x * y.exp()
    return f


def test_jacobian_structures_match_torch():
    for inputs, fn in (((A, B), _two), ((A,), lambda lib: (lambda x: (x * x).sum(0))),
                       ((A, B), lambda lib: (lambda x, y: (x * y).sum()))):
        e = AF.jacobian(fn(ember), tuple(ember.tensor(a) for a in inputs))
        t = TAF.jacobian(fn(torch), tuple(torch.tensor(a) for a in inputs))
        assert_same(e, t)
    e = AF.jacobian(lambda x: x.tanh() * 2, ember.tensor(A))
    t = TAF.jacobian(lambda x: x.tanh() * 2, torch.tensor(A))
    assert tuple(e.shape) == (2, 3, 2, 3)
    assert_same(e, t)


def test_hessian_matches_torch_for_one_and_several_inputs():
    def f(x):
        return (x ** 3).sum() * x[0] + x.sin().prod()

    assert_same(AF.hessian(f, ember.tensor(B)), TAF.hessian(f, torch.tensor(B)))

    def g(x, y):
        return (x.exp() * y).sum() + (y ** 2).sum() * x[1]

    assert_same(AF.hessian(g, (ember.tensor(B), ember.tensor(V3))),
          TAF.hessian(g, (torch.tensor(B), torch.tensor(V3))))


@pytest.mark.parametrize("name", ["vjp", "jvp", "vhp", "hvp"])
def test_products_match_torch(name):
    scalar = name in ("vhp", "hvp")

    def f(x):
        return (x ** 3).sum() * x[0] if scalar else x.sin() * x.exp()

    oe, re = getattr(AF, name)(f, ember.tensor(B), ember.tensor(V3))
    ot, rt = getattr(TAF, name)(f, torch.tensor(B), torch.tensor(V3))
    assert_same(oe, ot)
    assert_same(re, rt)


def test_create_graph_gives_differentiable_results_and_inputs_are_untouched():
    x = ember.tensor(B, requires_grad=True)
    _, g = AF.vjp(lambda t: (t ** 3).sum(), x, create_graph=True)
    g.sum().backward()  # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(x.grad.numpy(), 6 * B, rtol=1e-14)
    y = ember.tensor(B)
    AF.jacobian(lambda t: t * 2, y)
    assert not y.requires_grad and y.grad is None


def test_unused_inputs_are_zeros_or_raise_with_strict():
    e = AF.jacobian(lambda x, y: x * 2, (ember.tensor(B), ember.tensor(V3)))
    np.testing.assert_array_equal(e[1].numpy(), np.zeros((3, 3)))
    with pytest.raises(RuntimeError, match="independent"):
        AF.jacobian(lambda x, y: x * 2, (ember.tensor(B), ember.tensor(V3)), strict=True)
    with pytest.raises(RuntimeError, match="independent"):
        AF.vjp(lambda x, y: x.sum(), (ember.tensor(B), ember.tensor(V3)), strict=True)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"vjp: inputs\[1\] must be a Tensor"):
        AF.vjp(lambda x, y: x, (ember.tensor(B), 3.0))
    with pytest.raises(ValueError, match="v may be omitted only when"):
        AF.vjp(lambda x: x * 2, ember.tensor(B))
    with pytest.raises(ValueError, match="v has shapes"):
        AF.jvp(lambda x: x * 2, ember.tensor(B), ember.tensor(A))
    with pytest.raises(ValueError, match="hessian: func must return a single one-element"):
        AF.hessian(lambda x: x * 2, ember.tensor(B))
    with pytest.raises(NotImplementedError, match="forward-mode"):
        AF.jacobian(lambda x: x, ember.tensor(B), strategy="forward-mode")


def test_assert_close_accepts_within_tolerance_and_reports_mismatches():
    a = ember.tensor([1.0, 2.0, 3.0])
    ember.testing.assert_close(a, a + 1e-6)
    ember.testing.assert_close({"w": [a, 2.0]}, {"w": [a * 1.0, 2.0 + 1e-9]})
    ember.testing.assert_close(ember.tensor([float("nan")]), ember.tensor([float("nan")]),
                               equal_nan=True)
    ember.testing.assert_close(ember.tensor([1.0]), ember.tensor([1.5]), rtol=0.0, atol=0.5)
    with pytest.raises(AssertionError, match=r"Mismatched elements: 1 / 3 \(33.3%\)\n"
                                             r"Greatest absolute difference: 0.5 at index \(1,\)"):
        ember.testing.assert_close(a, ember.tensor([1.0, 2.5, 3.0]))
    with pytest.raises(AssertionError, match="the dtypes differ: float32 vs float64"):
        ember.testing.assert_close(a, a.double())
    ember.testing.assert_close(a, a.double(), check_dtype=False)
    with pytest.raises(AssertionError, match=r"the shapes differ at \['x'\]"):
        ember.testing.assert_close({"x": a}, {"x": a[:2]})
    with pytest.raises(AssertionError, match="NaN|not close"):
        ember.testing.assert_close(ember.tensor([float("nan")]), ember.tensor([float("nan")]))
    with pytest.raises(AssertionError, match="custom"):
        ember.testing.assert_close(a, a + 1, msg="custom")
    with pytest.raises(ValueError, match="both rtol and atol"):
        ember.testing.assert_close(a, a, rtol=1e-3)
    with pytest.raises(AssertionError, match="not close"):
        ember.testing.assert_close(ember.tensor([1, 2]), ember.tensor([1, 3]))
    # the rule is PyTorch's: the same verdicts on the same inputs
    for x, y in (([1.0, 2.0], [1.0, 2.00002]), ([1e-6], [2e-6]), ([100.0], [100.0001])):
        ok_torch = True
        try:
            torch.testing.assert_close(torch.tensor(x), torch.tensor(y))
        except AssertionError:
            ok_torch = False
        ok = True
        try:
            ember.testing.assert_close(ember.tensor(x), ember.tensor(y))
        except AssertionError:
            ok = False
        assert ok == ok_torch
