"""Fast paths of the per-op overhead work give the same results as the general paths.

The operators (`+ - * / // % **`, unary `-`) run through number slots on the Tensor type, and
the common same-shape / same-dtype / contiguous cases skip promotion and broadcasting. Every
case here is compared with PyTorch (values, dtypes, gradients) or numpy.
"""

import operator

import numpy as np
import pytest

import ember
from ember.nn import Parameter

torch = pytest.importorskip("torch")

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv]
ALL_BINARY = BINARY + [operator.floordiv, operator.mod, operator.pow]
DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]


def make_pair(shape, dtype, seed=0):
    """Random numpy array of `dtype` and the same data as ember and torch tensors."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        a = rng.random(shape) > 0.5
    elif dtype.startswith("float"):
        a = rng.standard_normal(shape).astype(dtype)
    else:
        a = rng.integers(1, 5, size=shape).astype(dtype)
    return a, ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


def assert_same(e, t):
    """ember result `e` equals torch result `t`: dtype, shape and values."""
    assert isinstance(e, ember.Tensor)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.numpy().astype(np.float64), t.numpy().astype(np.float64),
                               rtol=1e-6, atol=1e-6)


def torch_can(op, x, y):
    """Torch's result, or None when torch rejects the combination."""
    try:
        return op(x, y)
    except (RuntimeError, TypeError, ZeroDivisionError):
        return None


@pytest.mark.parametrize("op", ALL_BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_tensor_tensor_promotion_matches_torch(op, da, db):
    _, ea, ta = make_pair((3, 4), da, 0)
    _, eb, tb = make_pair((3, 4), db, 1)
    expected = torch_can(op, ta, tb)
    if expected is None:
        with pytest.raises((TypeError, RuntimeError, ValueError)):
            op(ea, eb)
        return
    assert_same(op(ea, eb), expected)


@pytest.mark.parametrize("op", ALL_BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(16,), (64, 64), (), (0,), (5, 1, 3)])
def test_same_shape_float32(op, shape):
    _, ea, ta = make_pair(shape, "float32", 0)
    _, eb, tb = make_pair(shape, "float32", 1)
    tb = tb.abs() + 0.5  # keep pow and division away from nan/inf
    eb = ember.from_numpy(tb.numpy().copy())
    assert_same(op(ea, eb), op(ta, tb))


@pytest.mark.parametrize("op", ALL_BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("sa,sb", [((4, 1), (1, 5)), ((3, 4), (4,)), ((2, 3, 4), ()),
                                   ((), (3,)), ((1,), (6,))])
def test_broadcasting(op, sa, sb):
    _, ea, ta = make_pair(sa, "float32", 0)
    _, eb, tb = make_pair(sb, "float32", 1)
    tb = tb.abs() + 0.5
    eb = ember.from_numpy(tb.numpy().copy())
    assert_same(op(ea, eb), op(ta, tb))
    ta2 = ta.abs() + 0.5
    ea2 = ember.from_numpy(ta2.numpy().copy())
    assert_same(op(eb, ea2), op(tb, ta2))


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_non_contiguous_operands(op):
    a, ea, ta = make_pair((6, 8), "float32", 0)
    b, eb, tb = make_pair((8, 6), "float32", 1)
    assert_same(op(ea.t(), eb), op(ta.t(), tb))
    assert_same(op(eb, ea.t()), op(tb, ta.t()))
    assert_same(op(ea[:, ::2], ea[:, 1::2]), op(ta[:, ::2], ta[:, 1::2]))
    assert_same(op(ea.t(), ea.t()), op(ta.t(), ta.t()))


@pytest.mark.parametrize("op", ALL_BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("scalar", [2, 2.5, True, -3, np.float32(1.5), np.int64(3),
                                    np.float64(0.25)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
def test_python_and_numpy_scalars_both_sides(op, scalar, dtype):
    _, e, t = make_pair((2, 5), dtype, 0)
    for left in (True, False):
        args_e = (e, scalar) if left else (scalar, e)
        args_t = (t, scalar) if left else (scalar, t)
        expected = torch_can(op, *args_t)
        if expected is None:
            with pytest.raises((TypeError, RuntimeError, ValueError, ZeroDivisionError)):
                op(*args_e)
            continue
        assert_same(op(*args_e), expected)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_numpy_array_operands_both_sides(op):
    a, ea, ta = make_pair((3, 4), "float32", 0)
    b = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32) + 3
    r = op(ea, b)
    assert isinstance(r, ember.Tensor)
    np.testing.assert_allclose(r.numpy(), op(a, b), rtol=1e-6)
    # numpy defers to the tensor (__array_priority__), so `arr op t` is a tensor too.
    r = op(b, ea)
    assert isinstance(r, ember.Tensor)
    np.testing.assert_allclose(r.numpy(), op(b, a), rtol=1e-6)
    # float64 array + float32 tensor promotes like two tensors.
    r = op(ea, b.astype(np.float64))
    assert r.dtype == ember.float64


def test_unknown_operand_types_raise_type_error():
    e = ember.ones(3)
    for other in ("x", None, [1, 2, 3], object()):
        for op in ALL_BINARY:
            with pytest.raises(TypeError):
                op(e, other)
            if isinstance(other, str) and op is operator.mod:
                continue  # "x" % t is string formatting, as in PyTorch
            with pytest.raises(TypeError):
                op(other, e)
    with pytest.raises(TypeError):
        pow(e, 2, 5)


def test_other_types_reflected_methods_are_used():
    class Other:
        def __radd__(self, o):
            return ("radd", o)

        def __add__(self, o):
            return ("add", o)

        def __rmul__(self, o):
            return "rmul"

    e = ember.ones(2)
    r = e + Other()
    assert r[0] == "radd" and r[1] is e
    r = Other() + e
    assert r[0] == "add" and r[1] is e
    assert e * Other() == "rmul"


def test_explicit_dunder_calls_still_work():
    e = ember.tensor([1.0, 2.0])
    assert e.__add__("x") is NotImplemented
    np.testing.assert_allclose(e.__radd__(1).numpy(), [2.0, 3.0])
    np.testing.assert_allclose(e.__rsub__(1).numpy(), [0.0, -1.0])
    np.testing.assert_allclose(e.__rpow__(2).numpy(), [2.0, 4.0])


def test_subclass_operands():
    p = Parameter(ember.tensor([1.0, 2.0]))
    q = Parameter(ember.tensor([3.0, 5.0]))
    e = ember.tensor([10.0, 20.0])
    for op in BINARY:
        for x, y in ((p, e), (e, p), (p, q), (p, 2.0), (2.0, p)):
            xv = x.detach().numpy() if isinstance(x, ember.Tensor) else x
            yv = y.detach().numpy() if isinstance(y, ember.Tensor) else y
            r = op(x, y)
            assert type(r) is ember.Tensor
            np.testing.assert_allclose(r.detach().numpy(), op(xv, yv), rtol=1e-6)
            assert r.requires_grad


def test_errors_keep_their_messages():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        ember.ones(2, 3) + ember.ones(4)
    with pytest.raises(ValueError, match="mul: shapes"):
        ember.ones(2, 3) * ember.ones(4)
    with pytest.raises(TypeError, match="sub: subtraction with a bool tensor"):
        ember.ones(2, dtype=ember.bool) - ember.ones(2, dtype=ember.bool)
    with pytest.raises(ValueError, match="integer division by zero"):
        ember.tensor([1, 2]) // ember.tensor([1, 0])


@pytest.mark.parametrize("shape", [(16,), (4, 4), ()])
def test_negation(shape):
    _, e, t = make_pair(shape, "float32", 0)
    assert_same(-e, -t)
    _, e, t = make_pair(shape, "int64", 0)
    assert_same(-e, -t)
    with pytest.raises(TypeError):
        -ember.ones(2, dtype=ember.bool)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("sa,sb", [((16,), (16,)), ((3, 4), (4,)), ((3, 4), ())])
def test_gradients_match_torch(op, sa, sb):
    a, _, _ = make_pair(sa, "float32", 0)
    b, _, _ = make_pair(sb, "float32", 1)
    b = np.abs(b) + 0.5
    ea = ember.tensor(a, requires_grad=True)
    eb = ember.tensor(b, requires_grad=True)
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    (op(ea, eb) * 1.5).sum().backward()
    (op(ta, tb) * 1.5).sum().backward()
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(eb.grad.numpy(), tb.grad.numpy(), rtol=1e-5, atol=1e-6)
    # only one side requiring grad
    ec = ember.tensor(a, requires_grad=True)
    tc = torch.tensor(a, requires_grad=True)
    op(ec, ember.tensor(b)).sum().backward()
    op(tc, torch.tensor(b)).sum().backward()
    np.testing.assert_allclose(ec.grad.numpy(), tc.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_gradcheck_float64(op):
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = ember.tensor(np.abs(rng.standard_normal((3, 4))) + 0.5, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, y: op(x, y), (a, b))
    assert ember.autograd.gradcheck(lambda x: op(x, 2.5), (a,))


def test_no_grad_results_have_no_history():
    a = ember.ones(4, requires_grad=True)
    with ember.no_grad():
        for op in BINARY:
            r = op(a, a)
            assert not r.requires_grad and r.grad_fn is None
    r = a * a
    assert r.requires_grad and r.grad_fn is not None


def test_results_are_new_tensors():
    a = ember.ones(16)
    b = ember.ones(16)
    r = a + b
    assert r.data_ptr() not in (a.data_ptr(), b.data_ptr())
    assert r.is_contiguous() and r.stride() == (1,)
    r = ember.ones(3, 1, 4) * ember.ones(3, 1, 4)
    assert r.stride() == (4, 4, 1)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@pytest.mark.parametrize("scalar", [0.5, 1, float("nan"), float("inf")])
def test_maximum_minimum_with_scalars(name, scalar):
    a = np.array([0.0, 1.0, -2.0, np.nan, 3.5, -np.inf, 7.0, 0.25, 1.0], dtype=np.float32)
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    ts = torch.tensor(scalar)
    assert_nan_same(getattr(ember, name)(e, scalar), getattr(torch, name)(t, ts))
    assert_nan_same(getattr(ember, name)(scalar, e), getattr(torch, name)(ts, t))


def assert_nan_same(e, t):
    """Values equal with NaNs in the same places; dtypes equal."""
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("scalar", [2, 2.5, 1e-40, 3.4e38, -7])
@pytest.mark.parametrize("n", [1, 7, 8, 16, 33, 4096])
def test_float32_scalar_kernels_match_general_path(scalar, n):
    a = np.random.default_rng(0).standard_normal(n).astype(np.float32) * 100
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    s32 = np.float32(scalar)
    # The general path: the number as a 0-d float32 tensor (not a wrapped number), and a
    # non-contiguous copy of the data.
    s_t = ember.tensor(float(s32), dtype=ember.float32)
    e_nc = ember.from_numpy(np.stack([a, a], 1))[:, 0]
    with np.errstate(all="ignore"):
        for op in BINARY:
            r = op(e, scalar)
            assert r.dtype == ember.float32
            assert_nan_same(r, torch.from_numpy(op(a, s32)))  # IEEE float32, like numpy
            assert_nan_same(r, op(e, s_t))
            assert_nan_same(r, op(e_nc, scalar))
            r = op(scalar, e)
            assert_nan_same(r, torch.from_numpy(op(s32, a)))
            assert_nan_same(r, op(s_t, e))
            np.testing.assert_allclose(r.numpy(), op(scalar, t).numpy(), rtol=1e-6, atol=1e-37)


@pytest.mark.parametrize("name", ["relu", "neg", "exp", "sigmoid", "tanh", "abs", "sqrt"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_values_and_grads(name, dtype):
    a = np.random.default_rng(0).standard_normal((4, 5)).astype(dtype)
    if name == "sqrt":
        a = np.abs(a) + 0.1
    with ember.no_grad():
        assert_same(getattr(ember, name)(ember.from_numpy(a.copy())),
                    getattr(torch, name)(torch.from_numpy(a.copy())))
    # non-contiguous input
    assert_same(getattr(ember, name)(ember.from_numpy(a.copy()).t()),
                getattr(torch, name)(torch.from_numpy(a.copy()).t()))
    e = ember.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    getattr(ember, name)(e).sum().backward()
    getattr(torch, name)(t).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_unary_integer_inputs_convert_like_torch():
    a = np.arange(-3, 5, dtype=np.int64)
    for name in ["exp", "sigmoid", "relu", "neg", "abs"]:
        assert_same(getattr(ember, name)(ember.from_numpy(a.copy())),
                    getattr(torch, name)(torch.from_numpy(a.copy())))


@pytest.mark.parametrize("shape", [(64, 64), (3, 0), (), (100_000,)])
def test_sum_and_mean(shape):
    a, e, t = make_pair(shape, "float32", 0)
    assert_same(e.sum(), t.sum())
    if a.size:
        assert_same(e.mean(), t.mean())
    e = ember.tensor(a, requires_grad=True)
    tt = torch.tensor(a, requires_grad=True)
    (e.sum() * 2.0).backward()
    (tt.sum() * 2.0).backward()
    np.testing.assert_allclose(e.grad.numpy(), tt.grad.numpy())
    with ember.no_grad():
        assert not ember.tensor(a, requires_grad=True).sum().requires_grad


def test_allocator_reuses_blocks_and_counts_bytes():
    ember.empty_cache()
    a = ember.ones(64, 64)
    b = ember.ones(64, 64)
    (a + b)  # warm the cache for this size
    before = ember.memory_stats()
    for _ in range(10):
        a + b
    after = ember.memory_stats()
    assert after["num_system_allocs"] == before["num_system_allocs"]
    assert after["allocated_bytes"] == before["allocated_bytes"]
    big = ember.empty(3 << 20)  # 12 MiB: a 1 MiB-multiple block
    assert ember.memory_stats()["allocated_bytes"] == before["allocated_bytes"] + (12 << 20)
    del big
    assert ember.memory_stats()["allocated_bytes"] == before["allocated_bytes"]
    assert ember.memory_stats()["cached_bytes"] >= 12 << 20
    ember.empty_cache()
    assert ember.memory_stats()["cached_bytes"] == 0


FAST_UNARY = ["neg", "exp", "log", "sqrt", "rsqrt", "abs", "sigmoid", "tanh", "relu", "silu"]


@pytest.mark.parametrize("name", FAST_UNARY)
def test_fast_unary_calls_match_torch(name):
    a = np.abs(np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)) + 0.1
    a[0, 0] = -a[0, 0] if name not in ("log", "sqrt", "rsqrt") else a[0, 0]
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    tfn = torch.nn.functional.silu if name == "silu" else getattr(torch, name)
    assert_same(getattr(ember, name)(e), tfn(t))
    assert_same(getattr(e, name)(), tfn(t))
    assert_same(getattr(ember, name)(input=e), tfn(input=t))
    assert_same(getattr(ember.Tensor, name)(e), tfn(t))
    p = Parameter(ember.from_numpy(a.copy()))
    r = getattr(p, name)()
    assert type(r) is ember.Tensor and r.requires_grad and r.grad_fn is not None


@pytest.mark.parametrize("name", FAST_UNARY)
def test_fast_unary_calls_keep_binding_errors_and_docs(name):
    fn = getattr(ember, name)
    with pytest.raises(TypeError, match=rf"{name}\(\): incompatible function arguments"):
        fn("x")
    with pytest.raises(TypeError, match=rf"{name}\(\): incompatible function arguments"):
        getattr(ember.ones(2), name)(1)
    with pytest.raises(TypeError):
        fn()
    assert fn.__name__ == name
    assert fn.__doc__.startswith(f"{name}(input: ")
    assert getattr(ember.Tensor, name).__doc__.startswith(f"{name}(self: ")


def test_fast_relu_on_bool_and_integers():
    with pytest.raises(TypeError, match="relu"):
        ember.relu(ember.ones(2, dtype=ember.bool))
    with pytest.raises(TypeError, match="relu"):
        ember.ones(2, dtype=ember.bool).relu()
    x = np.array([-2, 0, 3], dtype=np.int64)
    assert_same(ember.from_numpy(x).relu(), torch.from_numpy(x).relu())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool", "uint8"])
def test_fast_sum_calls(dtype):
    a, e, t = make_pair((4, 6), dtype, 0)
    assert_same(e.sum(), t.sum())
    assert_same(ember.sum(e), torch.sum(t))
    assert_same(e.sum(0), t.sum(0))
    assert_same(e.sum(dim=1, keepdim=True), t.sum(dim=1, keepdim=True))
    assert_same(ember.sum(e, (0, 1)), torch.sum(t, (0, 1)))
    assert_same(e.sum(dtype=ember.float64), t.sum(dtype=torch.float64))
    assert_same(ember.sum(input=e), torch.sum(input=t))
    assert_same(e.t().sum(), t.t().sum())
    with pytest.raises(IndexError, match="sum: dim 5 is out of range"):
        e.sum(5)
    with pytest.raises(TypeError):
        ember.sum([1, 2])


def assert_same_product(e, t):
    """ember product `e` equals torch's `t` in dtype and shape, and in value to float32 rounding
    of sums of up to 64 terms."""
    assert isinstance(e, ember.Tensor) and e.dtype == ember.float32
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4, 2)), ((2, 3, 4), (4, 2)),
                                   ((4,), (4,)), ((64, 64), (64, 64)), ((5, 2, 3), (1, 3, 2))])
def test_fast_matmul_calls_match_torch(sa, sb):
    rng = np.random.default_rng(len(sa) * 10 + len(sb))
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    ea, eb, ta, tb = ember.from_numpy(a), ember.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    expected = torch.matmul(ta, tb)
    results = [ember.matmul(ea, eb), ea.matmul(eb), ea @ eb, ember.Tensor.matmul(ea, eb),
               ember.matmul(input=ea, other=eb), ea @ b, a @ eb if a.ndim > 1 else ea @ eb]
    if a.ndim == b.ndim == 2:  # mm takes matrices only, as in PyTorch
        results += [ember.mm(ea, eb), ea.mm(eb), ember.mm(ea, mat2=eb)]
    else:
        with pytest.raises(ValueError, match="mm: expected two matrices"):
            ember.mm(ea, eb)
    for result in results:
        assert_same_product(result, expected)
    # Gradients through the fast paths.
    xa = ember.from_numpy(a).requires_grad_()
    xb = Parameter(ember.from_numpy(b))
    (xa @ xb).sum().backward()
    ya, yb = ta.clone().requires_grad_(), tb.clone().requires_grad_()
    (ya @ yb).sum().backward()
    assert_same_product(xa.grad, ya.grad)
    assert_same_product(xb.grad, yb.grad)


def test_fast_matmul_keeps_binding_errors_and_docs():
    a = ember.ones(3, 4)
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(3, 4\) cannot be multiplied"):
        ember.matmul(a, a)
    with pytest.raises(ValueError, match="cannot be multiplied"):
        a @ a
    with pytest.raises(TypeError, match=r"matmul\(\): incompatible function arguments"):
        ember.matmul(a, 3)
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @"):
        a @ 3
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @"):
        "x" @ a
    for other in [(ember.ones(4, 2),), (1, 2), [ember.ones(4, 2)]]:
        with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @"):
            a @ other
        with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @"):
            other @ ember.ones(2, 3)
    with pytest.raises(TypeError):
        ember.matmul(a)
    assert ember.matmul.__name__ == "matmul"
    assert ember.matmul.__doc__.startswith("matmul(input: ")
    assert ember.Tensor.matmul.__doc__.startswith("matmul(self: ")


def test_fast_calls_are_traced():
    def f(x):
        return (x.relu() * 2.0 + ember.exp(x) - x).sum() + (x @ x.mT).sum() + ember.matmul(x, x.mT)

    x = ember.randn(3, 4)
    tf = ember.jit.trace(f, (x,))
    y = ember.randn(3, 4)
    np.testing.assert_allclose(tf(y).numpy(), f(y).numpy(), rtol=1e-6)


COMPARE = [operator.lt, operator.le, operator.eq, operator.ne, operator.gt, operator.ge]


@pytest.mark.parametrize("op", COMPARE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("da,db", [("float32", "float32"), ("int64", "float32"),
                                   ("int32", "int64"), ("bool", "bool"), ("float64", "int32")])
def test_comparisons_match_torch(op, da, db):
    _, ea, ta = make_pair((3, 4), da, 0)
    _, eb, tb = make_pair((3, 4), db, 0)  # same seed: some equal elements
    assert_same(op(ea, eb), op(ta, tb))
    assert_same(op(ea, eb[0]), op(ta, tb[0]))
    assert_same(op(ea.t(), eb.t()), op(ta.t(), tb.t()))
    for s in (1, 0.5, True):
        assert_same(op(ea, s), op(ta, s))
        assert_same(op(s, ea), op(s, ta))
    arr = np.ones((3, 4), dtype=np.float32)
    r = op(ea, arr)
    assert isinstance(r, ember.Tensor) and r.dtype == ember.bool


def test_comparison_with_other_types():
    e = ember.ones(3)
    assert (e == None) is False  # noqa: E711  (NotImplemented -> identity)
    assert (e != "x") is True
    with pytest.raises(TypeError):
        e < "x"
    with pytest.raises(TypeError):
        "x" < e
    with pytest.raises(ValueError, match="lt: shapes"):
        e < ember.ones(4)

    class Other:
        def __gt__(self, o):
            return "reflected"

    assert (e < Other()) == "reflected"


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor],
                         ids=lambda f: f.__name__)
def test_logical_operators(op):
    _, ea, ta = make_pair((2, 5), "bool", 0)
    _, eb, tb = make_pair((2, 5), "bool", 1)
    assert_same(op(ea, eb), op(ta, tb))
    assert_same(op(ea, True), op(ta, True))
    assert_same(op(False, ea), op(False, ta))
    with pytest.raises(TypeError):
        op(ea, "x")


def test_abs_operator():
    _, e, t = make_pair((3, 3), "float32", 0)
    assert_same(abs(e), abs(t))
    _, e, t = make_pair((3, 3), "int64", 0)
    assert_same(abs(-e), abs(-t))


@pytest.mark.parametrize("op", BINARY + COMPARE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_expanded_single_value_operands(op, dtype):
    a, ea, ta = make_pair((4, 5), dtype, 0)
    sv_e = ember.from_numpy(np.array(3, dtype=dtype)).expand(4, 5)
    sv_t = torch.from_numpy(np.array(3, dtype=dtype)).expand(4, 5)
    sw_e = ember.from_numpy(np.array([[2]], dtype=dtype)).expand(4, 5)
    sw_t = torch.from_numpy(np.array([[2]], dtype=dtype)).expand(4, 5)
    assert_same(op(ea, sv_e), op(ta, sv_t))
    assert_same(op(sv_e, ea), op(sv_t, ta))
    assert_same(op(sv_e, sw_e), op(sv_t, sw_t))
    assert_same(op(sv_e, 2), op(sv_t, 2))
    assert_same(op(sv_e, ember.from_numpy(np.array(2, dtype=dtype))),
                op(sv_t, torch.from_numpy(np.array(2, dtype=dtype))))


def test_sum_backward_through_scalar_ops_matches_torch():
    a = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((64, 64)).astype(np.float32)
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ember.matmul(ea, eb).relu() * 2.0 + 1.0).sum().backward()
    (torch.matmul(ta, tb).relu() * 2.0 + 1.0).sum().backward()
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(eb.grad.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_backward_values(dtype):
    a = np.array([[-1.0, 0.0, 2.0], [np.nan, 3.0, -0.0]], dtype=dtype)
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=dtype)
    e = ember.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    e.relu().backward(ember.tensor(g))
    t.relu().backward(torch.tensor(g))
    # PyTorch's rule, NaN inputs included: they pass the gradient through.
    want = t.grad.numpy().copy()
    np.testing.assert_array_equal(e.grad.numpy(), want)
    # a non-contiguous upstream gradient
    e2 = ember.tensor(a.T.copy(), requires_grad=True)
    e2.relu().backward(ember.tensor(g).t())
    np.testing.assert_array_equal(e2.grad.numpy(), want.T)


def test_relu_double_backward_matches_torch():
    a = np.random.default_rng(0).standard_normal((3, 4))
    e = ember.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    ge, = ember.autograd.grad((e.relu() ** 2).sum(), e, create_graph=True)
    gt, = torch.autograd.grad((t.relu() ** 2).sum(), t, create_graph=True)
    np.testing.assert_allclose(ge.detach().numpy(), gt.detach().numpy())
    ge.sum().backward()
    gt.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy())
    # the same through the recorded formula (create_graph) and the one-pass kernel
    x = np.array([-1.0, np.nan, 2.0, 0.0])
    e1 = ember.tensor(x, requires_grad=True)
    g1, = ember.autograd.grad(e1.relu().sum(), e1, create_graph=True)
    e2 = ember.tensor(x, requires_grad=True)
    g2, = ember.autograd.grad(e2.relu().sum(), e2)
    np.testing.assert_array_equal(g1.detach().numpy(), g2.numpy())
    np.testing.assert_array_equal(g2.numpy(), [0.0, 1.0, 1.0, 0.0])  # as torch: NaN passes


def test_results_are_freed_when_dropped():
    a = ember.ones(256)
    b = ember.ones(256)
    r = a + b  # noqa: F841  (warm the cache for this size)
    del r
    before = ember.memory_stats()["allocated_bytes"]
    results = [a + b, a * b, -a, a.relu(), ember.exp(a), a < b, a.sum()]
    assert ember.memory_stats()["allocated_bytes"] > before
    del results
    assert ember.memory_stats()["allocated_bytes"] == before


def test_weak_references_and_subclass_instances_are_released():
    import gc
    import weakref

    a = ember.ones(3)
    r = a + 1
    seen = []
    ref = weakref.ref(r, lambda _: seen.append(True))
    del r
    gc.collect()
    assert ref() is None and seen == [True]
    p = Parameter(ember.ones(2))
    pref = weakref.ref(p)
    del p
    gc.collect()
    assert pref() is None


def test_tensor_freed_while_an_exception_propagates():
    arr = np.ones(4, dtype=np.float32)

    def f():
        t = ember.from_numpy(arr) + 1  # noqa: F841  (freed while the error unwinds)
        u = ember.from_numpy(arr)  # noqa: F841  (its storage deleter runs Python code)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        f()
    np.testing.assert_array_equal(arr, 1)


def test_bmm_takes_equal_batches_of_matrices_only():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 2, 4)).astype(np.float32)
    b = rng.standard_normal((3, 4, 5)).astype(np.float32)
    expected = torch.bmm(torch.from_numpy(a), torch.from_numpy(b))
    for result in (ember.bmm(ember.from_numpy(a), ember.from_numpy(b)),
                   ember.from_numpy(a).bmm(ember.from_numpy(b))):
        assert_same_product(result, expected)
    with pytest.raises(ValueError, match=r"bmm: batch sizes differ: shapes \(1, 2, 4\) and "
                                         r"\(3, 4, 5\)"):
        ember.bmm(ember.from_numpy(a[:1]), ember.from_numpy(b))
    with pytest.raises(ValueError, match="bmm: expected two batches of matrices"):
        ember.bmm(ember.from_numpy(a[0]), ember.from_numpy(b[0]))
    with pytest.raises(ValueError, match=r"mm: shapes \(2, 4\) and \(2, 4\) cannot be multiplied"):
        ember.mm(ember.from_numpy(a[0]), ember.from_numpy(a[0]))
