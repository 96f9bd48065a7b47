"""Reductions: sum, mean, prod, max/min, argmax/argmin, var/std, logsumexp, cumsum, all/any.

Values are compared with numpy and PyTorch over dtypes, dims (None, int, negative, tuple),
keepdim, non-contiguous inputs and empty tensors; gradients with float64 gradcheck and PyTorch.
"""

import ember
import numpy as np
import pytest
from ember.autograd import gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

ALL_DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]
FLOAT_DTYPES = ["float32", "float64"]
NUMERIC_DTYPES = ["float32", "float64", "int32", "int64", "uint8"]
LAYOUTS = ["contiguous", "transposed", "sliced"]
# (shape, dim) pairs for reductions that take a dim list; None reduces everything.
MULTI_DIMS = [
    ((3, 4, 5), None),
    ((3, 4, 5), 0),
    ((3, 4, 5), -1),
    ((3, 4, 5), (0, 2)),
    ((3, 4, 5), (-1, -3)),
    ((3, 4, 5), (0, 1, 2)),
    ((4, 6), 1),
    ((7,), 0),
    ((), None),
    ((), 0),
    ((), -1),
    ((0, 3), None),
    ((0, 3), 0),
    ((0, 3), 1),
    ((2, 0, 3), (0, 2)),
]
SINGLE_DIMS = [
    ((3, 4, 5), None),
    ((3, 4, 5), 0),
    ((3, 4, 5), 1),
    ((3, 4, 5), -1),
    ((6,), 0),
    ((), None),
    ((), 0),
    ((), -1),
]
TOL = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-7, "atol": 1e-10}}


def random_array(shape, dtype, low=-5, high=6):
    """Random numpy data of ``dtype``: normal floats, small integers (with ties), random bools."""
    if dtype in FLOAT_DTYPES:
        return np.asarray(np.random.randn(*shape)).astype(dtype)
    if dtype == "bool":
        return np.asarray(np.random.rand(*shape) > 0.5)
    if dtype == "uint8":
        return np.asarray(np.random.randint(0, 10, size=shape)).astype(np.uint8)
    return np.asarray(np.random.randint(low, high, size=shape)).astype(dtype)


def with_layout(arr, layout):
    """A numpy view holding ``arr``'s values with the given memory layout."""
    if layout == "contiguous" or arr.ndim == 0:
        return arr
    if layout == "transposed":
        return np.ascontiguousarray(arr.T).T
    big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), dtype=arr.dtype)
    big[..., ::2] = arr
    return big[..., ::2]


def make(shape, dtype, layout="contiguous", **kw):
    """(numpy array, ember tensor with that layout, torch tensor) holding the same values."""
    arr = random_array(shape, dtype, **kw)
    view = with_layout(arr, layout)
    t = ember.from_numpy(view)
    if layout != "contiguous" and arr.ndim >= 2 and arr.size > 0:  # empty tensors are contiguous
        assert not t.is_contiguous()
    return arr, t, torch.from_numpy(np.array(arr))


def dtype_name(d):
    return str(d).split(".")[-1]


def assert_matches(e, ref, dtype=None):
    """Compares an ember result with a torch result (values, shape and dtype)."""
    assert dtype_name(e.dtype) == dtype_name(ref.dtype)
    got = e.numpy()
    want = ref.numpy()
    assert got.shape == want.shape
    tol = TOL.get(dtype_name(ref.dtype), {"rtol": 0, "atol": 0})
    np.testing.assert_allclose(got, want, equal_nan=True, **tol)


def dim_kwargs(dim):
    return {} if dim is None else {"dim": dim}


def f64(arr):
    # from_numpy of a fresh copy: ember.tensor() currently turns 0-d data into shape (1,).
    return ember.from_numpy(np.array(arr, dtype=np.float64))


def leaf(arr):
    return f64(arr).requires_grad_(True)


def torch_leaf(arr):
    return torch.tensor(arr, dtype=torch.float64, requires_grad=True)


def assert_grads_match_torch(fn_e, fn_t, arr):
    """Backpropagates a random upstream gradient through both; compares the input gradients."""
    x = leaf(arr)
    xt = torch_leaf(arr)
    ye, yt = fn_e(x), fn_t(xt)
    g = np.random.randn(*tuple(yt.shape))
    ye.backward(f64(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-10)


# ---- sum / mean ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape,dim", MULTI_DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_matches_torch_and_numpy(dtype, shape, dim, keepdim):
    for layout in LAYOUTS:
        arr, x, xt = make(shape, dtype, layout)
        y = ember.sum(x, **dim_kwargs(dim), keepdim=keepdim)
        assert_matches(
            y,
            torch.sum(xt, dim=dim if dim is not None else tuple(range(xt.dim())), keepdim=keepdim),
        )
        np.testing.assert_allclose(
            y.numpy(), np.sum(arr, axis=dim, keepdims=keepdim, dtype=y.numpy().dtype), rtol=1e-5
        )
        assert_matches(
            x.sum(**dim_kwargs(dim), keepdim=keepdim),
            torch.sum(xt, dim=dim if dim is not None else tuple(range(xt.dim())), keepdim=keepdim),
        )


def test_sum_dtype_argument_converts_input_first():
    x = ember.tensor([0.6, 0.7, 1.5])
    xt = torch.tensor([0.6, 0.7, 1.5])
    assert_matches(x.sum(dtype=ember.int64), xt.sum(dtype=torch.int64))
    assert_matches(x.sum(dtype=ember.float64), xt.sum(dtype=torch.float64))
    assert_matches(
        ember.sum(ember.tensor([1, 2], dtype=ember.int32), dtype=ember.int32),
        torch.tensor([1, 2], dtype=torch.int32).sum(dtype=torch.int32),
    )


def test_sum_float32_accumulates_accurately():
    arr = np.random.rand(1_000_003).astype(np.float32) + np.float32(1e3)
    exact = arr.astype(np.float64).sum()
    for layout in ["contiguous", "sliced"]:
        got = ember.from_numpy(with_layout(arr, layout)).sum().item()
        assert abs(got - exact) <= 1e-6 * abs(exact)
    m = np.random.rand(1000, 1001).astype(np.float32)
    for dim in (0, 1):
        np.testing.assert_allclose(
            ember.from_numpy(m).sum(dim).numpy(), m.astype(np.float64).sum(dim), rtol=1e-6
        )
        np.testing.assert_allclose(
            ember.from_numpy(m.T).sum(dim).numpy(), m.T.astype(np.float64).sum(dim), rtol=1e-6
        )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,dim", MULTI_DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_mean_matches_torch(dtype, shape, dim, keepdim):
    for layout in LAYOUTS:
        _, x, xt = make(shape, dtype, layout)
        d = dim if dim is not None else tuple(range(xt.dim()))
        assert_matches(x.mean(**dim_kwargs(dim), keepdim=keepdim), xt.mean(dim=d, keepdim=keepdim))


def test_mean_of_integers_needs_dtype():
    x = ember.tensor([1, 2, 4])
    with pytest.raises(TypeError, match=r"mean: .*input dtype must be floating point, got int64"):
        x.mean()
    assert_matches(x.mean(dtype=ember.float64), torch.tensor([1, 2, 4]).mean(dtype=torch.float64))


# ---- prod ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape,dim", SINGLE_DIMS + [((0, 3), None), ((0, 3), 0), ((0, 3), 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod_matches_torch(dtype, shape, dim, keepdim):
    for layout in LAYOUTS:
        arr, x, xt = make(shape, dtype, layout, low=-3, high=4)
        if dim is None:
            assert_matches(x.prod(), xt.prod())
            assert_matches(ember.prod(x), torch.prod(xt))
        else:
            assert_matches(x.prod(dim, keepdim=keepdim), xt.prod(dim, keepdim=keepdim))
            np.testing.assert_allclose(
                ember.prod(x, dim=dim, keepdim=keepdim).numpy(),
                np.prod(arr, axis=dim, keepdims=keepdim),
                rtol=1e-5,
            )


def test_prod_dtype_argument():
    x = ember.tensor([1.5, 2.5])
    assert_matches(x.prod(dtype=ember.float64), torch.tensor([1.5, 2.5]).prod(dtype=torch.float64))


@pytest.mark.parametrize(
    "arr",
    [
        np.array([[1.5, -2.0, 0.7], [0.3, 1.2, -0.9]]),
        np.array([[1.5, 0.0, 0.7], [0.3, 1.2, -0.9]]),
        np.array([[0.0, 0.0, 0.7], [0.3, 0.0, -0.9]]),
        np.array([[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]),
    ],
    ids=["no_zero", "one_zero", "two_zeros", "many_zeros"],
)
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_prod_gradient_with_zeros(arr, dim):
    kw = {} if dim is None else {"dim": dim}
    assert gradcheck(lambda t: t.prod(**kw), (leaf(arr),))
    assert_grads_match_torch(lambda t: t.prod(**kw), lambda t: t.prod(**kw), arr)


# ---- max / min -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape,dim", [s for s in SINGLE_DIMS if s[1] is not None] + [((0, 3), 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_matches_torch(op, dtype, shape, dim, keepdim):
    for layout in LAYOUTS:
        _, x, xt = make(shape, dtype, layout, low=-2, high=3)  # many ties: first index wins
        r = getattr(ember, op)(x, dim, keepdim=keepdim)
        rt = getattr(torch, op)(xt, dim, keepdim=keepdim)
        assert_matches(r.values, rt.values)
        assert_matches(r.indices, rt.indices)
        values, indices = getattr(x, op)(dim=dim, keepdim=keepdim)
        assert_matches(values, rt.values)
        assert_matches(indices, rt.indices)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(3, 4, 5), (7,), ()])
def test_max_min_full_matches_numpy(op, dtype, shape):
    for layout in LAYOUTS:
        arr, x, xt = make(shape, dtype, layout)
        assert_matches(getattr(ember, op)(x), getattr(torch, op)(xt))
        assert getattr(x, op)().item() == getattr(np, op)(arr)


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_with_other_is_elementwise(op):
    _, x, xt = make((3, 4), "float32")
    _, y, yt = make((4,), "float32")
    assert_matches(getattr(ember, op)(x, y), getattr(torch, op)(xt, yt))
    assert_matches(getattr(x, op)(y), getattr(xt, op)(yt))
    assert_matches(getattr(ember, op)(x, other=y), getattr(torch, op)(xt, other=yt))


def test_max_result_is_named_tuple():
    x = ember.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    r = ember.max(x, 1)
    assert type(r).__name__ == "max" and type(r).__module__ == "ember.return_types"
    values, indices = r
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert r.values.tolist() == r[0].tolist() and r.indices.tolist() == r[1].tolist()
    assert type(x.min(0)).__name__ == "min"


def test_max_min_nan_propagates_like_torch():
    arr = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, np.nan], [4.0, 5.0, 6.0]], np.float32)
    x, xt = ember.from_numpy(arr), torch.from_numpy(arr)
    for op in ("max", "min"):
        assert_matches(getattr(x, op)(), getattr(xt, op)())
        for dim in (0, 1):
            r, rt = getattr(x, op)(dim), getattr(xt, op)(dim)
            assert_matches(r.values, rt.values)
            assert_matches(r.indices, rt.indices)
    for op in ("argmax", "argmin"):
        assert_matches(getattr(x, op)(), getattr(xt, op)())
        assert_matches(getattr(x, op)(1), getattr(xt, op)(1))


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_gradient(op, dim, keepdim):
    arr = np.random.randn(3, 4)
    assert gradcheck(lambda t: getattr(t, op)(dim, keepdim=keepdim).values, (leaf(arr),))
    # With ties the gradient goes to the returned index only.
    tied = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [5.0, 5.0, 5.0, 5.0]])
    for a in (arr, tied):
        assert_grads_match_torch(
            lambda t: getattr(t, op)(dim, keepdim=keepdim).values,
            lambda t: getattr(t, op)(dim, keepdim=keepdim).values,
            a,
        )


@pytest.mark.parametrize("op", ["max", "min"])
def test_full_max_min_gradient_shares_ties(op):
    arr = np.random.randn(3, 4)
    assert gradcheck(lambda t: getattr(t, op)(), (leaf(arr),))
    tied = np.array([[1.0, 3.0, 3.0], [-1.0, 3.0, -1.0]])
    assert_grads_match_torch(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), tied)


def test_max_dim_of_0d_tensor():
    x = leaf(3.5)
    r = x.max(0)
    assert r.values.item() == 3.5 and r.indices.item() == 0 and r.values.dim() == 0
    r.values.backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8"])
@pytest.mark.parametrize("shape, dim", [((1 << 20,), None), ((1024, 1024), 1), ((1024, 1024), 0),
                                        ((3, 5, 700), 2), ((300, 4, 5), 0), ((6, 700, 5), 1)])
def test_max_min_with_indices_of_large_tensors_match_numpy(dtype, shape, dim):
    """max/min over a dim (values and indices) and argmax/argmin: the first extreme, or the
    first NaN, as numpy's argmax; rows of contiguous runs and leading reductions take their
    fast paths (the last shape the general one); the same on 1 and 2 threads."""
    rng = np.random.default_rng(8)
    a = rng.integers(-50 if dtype != "uint8" else 0, 50, shape).astype(dtype)  # ties everywhere
    if dtype.startswith("float"):
        flat = a.reshape(-1)
        flat[::1001] = np.nan
        flat[7::13] = -0.0
    before = ember.get_num_threads()
    try:
        for threads in (1, 2):
            ember.set_num_threads(threads)
            x = ember.from_numpy(a)
            for name, arg, ref in (("max", "argmax", np.argmax), ("min", "argmin", np.argmin)):
                want = ref(a, axis=dim)
                got = getattr(x, arg)() if dim is None else getattr(x, arg)(dim)
                np.testing.assert_array_equal(got.numpy(), want, err_msg=f"{arg} {threads}")
                if dim is not None:
                    v, i = getattr(x, name)(dim)
                    np.testing.assert_array_equal(i.numpy(), want)
                    picked = np.take_along_axis(a, np.expand_dims(want, dim), dim).squeeze(dim)
                    np.testing.assert_array_equal(v.numpy().view(np.uint8),
                                                  picked.view(np.uint8))  # -0 stays -0
    finally:
        ember.set_num_threads(before)


# ---- argmax / argmin -------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
@pytest.mark.parametrize("shape,dim", SINGLE_DIMS + [((0, 3), 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_match_torch(op, dtype, shape, dim, keepdim):
    for layout in LAYOUTS:
        arr, x, xt = make(shape, dtype, layout, low=-2, high=3)
        assert_matches(getattr(ember, op)(x, dim, keepdim), getattr(torch, op)(xt, dim, keepdim))
        assert_matches(getattr(x, op)(dim=dim, keepdim=keepdim), getattr(xt, op)(dim=dim, keepdim=keepdim))
        if dim is None and not keepdim:
            assert getattr(x, op)().item() == getattr(np, op)(arr)


# ---- var / std -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,dim", MULTI_DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std_match_torch(op, dtype, shape, dim, keepdim):
    for layout in LAYOUTS:
        _, x, xt = make(shape, dtype, layout)
        d = dim if dim is not None else tuple(range(xt.dim()))
        for corr in (0, 1, 2):
            with _no_warn():
                want = getattr(torch, op)(xt, dim=d, correction=corr, keepdim=keepdim)
            assert_matches(getattr(ember, op)(x, dim, correction=corr, keepdim=keepdim), want)
        with _no_warn():
            want = getattr(xt, op)(d, unbiased=False, keepdim=keepdim)
        assert_matches(getattr(x, op)(dim, unbiased=False, keepdim=keepdim), want)
        assert_matches(getattr(x, op)(dim, False, keepdim), want)


class _no_warn:
    """Silences PyTorch's 'degrees of freedom <= 0' warning while computing references."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_var_legacy_unbiased_forms():
    arr = np.random.randn(4, 5).astype(np.float32)
    x, xt = ember.from_numpy(arr), torch.from_numpy(arr)
    assert_matches(x.var(False), xt.var(False))
    assert_matches(x.std(True), xt.std(True))
    assert_matches(ember.var(x, 1, True, True), torch.var(xt, 1, True, True))
    np.testing.assert_allclose(x.var(0, correction=0).numpy(), arr.var(0), rtol=1e-5)
    np.testing.assert_allclose(x.std(1).numpy(), arr.std(1, ddof=1), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, dim", [((1 << 20,), None), ((1024, 1024), 1), ((1024, 1024), 0),
                                        ((300, 7, 50), (0, 1)), ((6, 700, 5), 1),
                                        ((2000, 3), 0)])
def test_var_of_large_tensors_matches_float64(dtype, shape, dim):
    """Contiguous rows (mean then squared deviations in double, chunks over the threads) and
    leading reductions (column blocks): against numpy in float64, and the same bits on 1 and
    2 threads; (6, 700, 5) over dim 1 takes the general path."""
    rng = np.random.default_rng(6)
    a = (rng.standard_normal(shape) * 3 + 100).astype(dtype)
    want = a.astype(np.float64).var(axis=dim, ddof=1)
    before = ember.get_num_threads()
    try:
        got = []
        for threads in (1, 2):
            ember.set_num_threads(threads)
            x = ember.from_numpy(a)
            got.append((x.var() if dim is None else x.var(dim)).numpy())
    finally:
        ember.set_num_threads(before)
    np.testing.assert_array_equal(got[0], got[1])
    np.testing.assert_allclose(got[0], want, rtol=2e-7 if dtype == np.float32 else 1e-12)


def test_var_is_numerically_stable():
    # A large mean and a tiny spread: a one-pass E[x^2] - E[x]^2 formula loses every digit.
    arr = np.float32(1e4) + np.random.rand(10_000).astype(np.float32) * np.float32(1e-2)
    exact = arr.astype(np.float64).var(ddof=1)
    np.testing.assert_allclose(ember.from_numpy(arr).var().item(), exact, rtol=1e-5)
    np.testing.assert_allclose(ember.from_numpy(arr).std().item(), np.sqrt(exact), rtol=1e-5)


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("correction", [0, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_var_std_gradient(op, dim, correction, keepdim):
    arr = np.random.randn(3, 4, 2)
    fe = lambda t: getattr(t, op)(dim, correction=correction, keepdim=keepdim)
    assert gradcheck(fe, (leaf(arr),))
    d = dim if dim is not None else (0, 1, 2)
    ft = lambda t: getattr(t, op)(d, correction=correction, keepdim=keepdim)
    assert_grads_match_torch(fe, ft, arr)


def test_std_gradient_is_zero_for_constant_input():
    x = ember.tensor([2.0, 2.0, 2.0], dtype=ember.float64, requires_grad=True)
    x.std().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


# ---- logsumexp -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES + ["bool"])
@pytest.mark.parametrize("shape,dim", [s for s in MULTI_DIMS if s[1] is not None])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_matches_torch(dtype, shape, dim, keepdim):
    for layout in LAYOUTS:
        _, x, xt = make(shape, dtype, layout)
        assert_matches(ember.logsumexp(x, dim, keepdim), torch.logsumexp(xt, dim, keepdim))
        assert_matches(x.logsumexp(dim=dim, keepdim=keepdim), xt.logsumexp(dim=dim, keepdim=keepdim))


def test_logsumexp_is_stable_for_large_inputs():
    arr = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1002.0]], np.float32)
    want = np.log(np.sum(np.exp(arr.astype(np.float64) - arr.max(1, keepdims=True)), 1)) + arr.max(
        1
    )
    np.testing.assert_allclose(ember.from_numpy(arr).logsumexp(1).numpy(), want, rtol=1e-6)
    inf = np.inf
    special = np.array([[-inf, -inf], [inf, 1.0], [inf, inf], [np.nan, 1.0]], np.float32)
    assert_matches(ember.from_numpy(special).logsumexp(1), torch.from_numpy(special).logsumexp(1))


@pytest.mark.parametrize("shape, dim", [((1024, 1024), 1), ((1 << 20,), 0), ((3, 5, 7000), (1, 2)),
                                        ((64, 10), 1), ((4, 3000), 1)])
def test_logsumexp_of_large_float32_rows_matches_float64(shape, dim):
    """Contiguous float32 rows take the vector path (the vector exp, float sums in short
    blocks): within a few float32 roundings of a float64 reference, NaN / inf rows as before,
    and the same bits on 1 and 2 threads."""
    rng = np.random.default_rng(5)
    a = (rng.standard_normal(shape) * 20).astype(np.float32)
    if len(shape) == 2 and shape[0] >= 4:
        a[0, :] = -np.inf
        a[1, 7] = np.inf
        a[2, 5] = np.nan
        a[3, ::2] = -np.inf
    a64 = a.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):  # the all -inf row: log(0)
        top = np.max(a64, axis=dim, keepdims=True)
        shift = np.where(np.isinf(top), 0.0, top)
        want = np.log(np.exp(a64 - shift).sum(axis=dim)) + np.squeeze(shift, axis=dim)
    before = ember.get_num_threads()
    try:
        got = []
        for threads in (1, 2):
            ember.set_num_threads(threads)
            got.append(ember.logsumexp(ember.from_numpy(a), dim).numpy())
    finally:
        ember.set_num_threads(before)
    np.testing.assert_array_equal(got[0].view(np.uint32), got[1].view(np.uint32))
    np.testing.assert_allclose(got[0], want, rtol=2e-7)


@pytest.mark.parametrize("dim", [0, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_gradient(dim, keepdim):
    arr = np.random.randn(3, 4) * 3
    assert gradcheck(lambda t: t.logsumexp(dim, keepdim), (leaf(arr),))
    assert_grads_match_torch(lambda t: t.logsumexp(dim, keepdim), lambda t: t.logsumexp(dim, keepdim), arr)


# ---- cumsum ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize(
    "shape,dim",
    [
        ((3, 4, 5), 0),
        ((3, 4, 5), 1),
        ((3, 4, 5), -1),
        ((7,), 0),
        ((), 0),
        ((), -1),
        ((0, 3), 0),
        ((0, 3), 1),
    ],
)
def test_cumsum_matches_torch_and_numpy(dtype, shape, dim):
    for layout in LAYOUTS:
        arr, x, xt = make(shape, dtype, layout)
        y = ember.cumsum(x, dim)
        assert_matches(y, torch.cumsum(xt, dim))
        assert_matches(x.cumsum(dim=dim), xt.cumsum(dim=dim))
        if arr.ndim:
            np.testing.assert_allclose(y.numpy(), np.cumsum(arr, axis=dim), rtol=1e-5)


def test_cumsum_dtype_argument():
    x = ember.tensor([1, 2, 3], dtype=ember.int32)
    xt = torch.tensor([1, 2, 3], dtype=torch.int32)
    assert_matches(x.cumsum(0, dtype=ember.float64), xt.cumsum(0, dtype=torch.float64))
    assert_matches(ember.cumsum(x, 0, dtype=ember.int32), torch.cumsum(xt, 0, dtype=torch.int32))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_gradient(dim):
    arr = np.random.randn(3, 4)
    assert gradcheck(lambda t: t.cumsum(dim), (leaf(arr),))
    assert_grads_match_torch(lambda t: t.cumsum(dim), lambda t: t.cumsum(dim), arr)


def test_cumsum_second_derivative_matches_torch():
    arr = np.random.randn(5)
    x, xt = leaf(arr), torch_leaf(arr)
    (ge,) = ember.autograd.grad([(x.cumsum(0) ** 3).sum()], [x], create_graph=True)
    (gt,) = torch.autograd.grad([(xt.cumsum(0) ** 3).sum()], [xt], create_graph=True)
    ge.sum().backward()
    gt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-7)


# ---- sum / mean gradients, all / any ----------------------------------------------------------


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean_gradient(op, dim, keepdim):
    arr = np.random.randn(2, 3, 4)
    fe = lambda t: getattr(t, op)(dim, keepdim)
    assert gradcheck(fe, (leaf(arr),))
    d = dim if dim is not None else (0, 1, 2)
    assert_grads_match_torch(fe, lambda t: getattr(t, op)(d, keepdim), arr)


@pytest.mark.parametrize("op", ["all", "any"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape,dim", MULTI_DIMS)
def test_all_any_match_torch(op, dtype, shape, dim):
    for layout in LAYOUTS:
        arr, x, xt = make(shape, dtype, layout, low=0, high=3)
        if dim is None:
            want = getattr(xt, op)()
        elif isinstance(dim, tuple):
            want = getattr(xt, op)(dim=dim)
        else:
            want = getattr(xt, op)(dim)
        assert_matches(getattr(x, op)(dim), want)
        np.testing.assert_array_equal(getattr(x, op)(dim).numpy(), getattr(np, op)(arr, axis=dim))


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,call",
    [
        ("sum", lambda x: x.sum(3)),
        ("mean", lambda x: x.mean(-4)),
        ("prod", lambda x: x.prod(3)),
        ("max", lambda x: x.max(3)),
        ("min", lambda x: x.min(-4)),
        ("argmax", lambda x: x.argmax(3)),
        ("argmin", lambda x: x.argmin(3)),
        ("var", lambda x: x.var(3)),
        ("std", lambda x: x.std((0, 3))),
        ("logsumexp", lambda x: x.logsumexp(3)),
        ("cumsum", lambda x: x.cumsum(3)),
        ("all", lambda x: x.all(3)),
        ("any", lambda x: x.any(3)),
    ],
)
def test_bad_dim_raises_index_error_naming_op(name, call):
    x = ember.zeros((2, 3, 4))
    with pytest.raises(
        IndexError, match=rf"^{name}: dim -?\d is out of range for a tensor with 3 dimensions"
    ):
        call(x)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "logsumexp", "all", "any"])
def test_duplicate_dims_raise_value_error(name):
    x = ember.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=rf"^{name}: dim -2 appears more than once"):
        getattr(x, name)((1, -2))


@pytest.mark.parametrize("op", ["max", "min", "argmax", "argmin"])
def test_extreme_of_empty_raises(op):
    x = ember.zeros((0, 3))
    with pytest.raises(ValueError, match=rf"^{op}: expected a non-empty tensor \(shape \(0, 3\)\)"):
        getattr(x, op)()
    with pytest.raises(IndexError, match=rf"^{op}: expected reduction dim 0 to have non-zero size"):
        getattr(x, op)(0)
    assert (
        getattr(x, op)(1).numel() == 0
        if op.startswith("arg")
        else getattr(x, op)(1).values.numel() == 0
    )


def test_dtype_errors():
    with pytest.raises(TypeError, match=r"^argmax: not implemented for bool"):
        ember.tensor([True, False]).argmax()
    with pytest.raises(
        TypeError, match=r"^var: only floating point inputs are supported, got int64"
    ):
        ember.tensor([1, 2]).var()
    with pytest.raises(
        TypeError, match=r"^std: only floating point inputs are supported, got uint8"
    ):
        ember.tensor([1, 2], dtype=ember.uint8).std()
    with pytest.raises(ValueError, match=r"^var: cannot pass both correction and unbiased"):
        ember.ones(3).var(0, True, correction=1)


# ---- properties ------------------------------------------------------------------------------


@st.composite
def shape_and_dims(draw, non_empty=False):
    shape = tuple(draw(st.lists(st.integers(1 if non_empty else 0, 4), min_size=0, max_size=4)))
    nd = len(shape)
    if nd == 0:
        dims = draw(st.sampled_from([None, 0, -1]))
    else:
        picked = draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd))
        signed = [d - nd if draw(st.booleans()) else d for d in picked]
        dims = draw(st.sampled_from([None, tuple(signed)] + ([signed[0]] if signed else [])))
        if dims == ():
            dims = None
    return shape, dims, draw(st.booleans()), draw(st.sampled_from(LAYOUTS))


def np_axis(dims, ndim):
    if dims is None or ndim == 0:
        return None
    return dims


@settings(max_examples=150, deadline=None)
@given(shape_and_dims())
def test_sum_mean_property_vs_numpy(case):
    shape, dims, keepdim, layout = case
    arr = np.asarray(np.random.randn(*shape))
    x = ember.from_numpy(with_layout(arr, layout))
    axis = np_axis(dims, arr.ndim)
    np.testing.assert_allclose(
        x.sum(dims, keepdim).numpy(),
        np.sum(arr, axis=axis, keepdims=keepdim),
        rtol=1e-12,
        atol=1e-12,
    )
    with np.errstate(all="ignore"):
        want = (
            np.mean(arr, axis=axis, keepdims=keepdim)
            if arr.size
            else np.full(np.sum(arr, axis=axis, keepdims=keepdim).shape, np.nan)
        )
    np.testing.assert_allclose(x.mean(dims, keepdim).numpy(), want, rtol=1e-12, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(shape_and_dims(non_empty=True))
def test_max_property_vs_numpy(case):
    shape, dims, keepdim, layout = case
    arr = np.asarray(np.random.randint(-3, 4, size=shape)).astype(np.int32)
    x = ember.from_numpy(with_layout(arr, layout))
    if dims is None:
        assert x.max().item() == arr.max()
        return
    for d in dims if isinstance(dims, tuple) else (dims,):
        r = x.max(d, keepdim)
        axis = d if arr.ndim else None
        np.testing.assert_array_equal(r.values.numpy(), np.max(arr, axis=axis, keepdims=keepdim))
        np.testing.assert_array_equal(
            r.indices.numpy(), np.argmax(arr, axis=axis, keepdims=keepdim) if arr.ndim else 0
        )


def test_prod_dtype_argument_sets_result_dtype():
    x = ember.tensor([3, 4, 5], dtype=ember.uint8)
    xt = torch.tensor([3, 4, 5], dtype=torch.uint8)
    assert_matches(x.prod(dtype=ember.int32), xt.prod(dtype=torch.int32))
    assert_matches(x.prod(0, dtype=ember.float32), xt.prod(0, dtype=torch.float32))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("pos", [0, 5, 17, 36])
def test_max_min_nan_in_long_runs(dtype, pos):
    # Long contiguous runs and column reductions take the vectorized paths.
    arr = np.random.randn(37).astype(dtype)
    arr[pos] = np.nan
    mat = np.random.randn(37, 5).astype(dtype)
    mat[pos, 2] = np.nan
    for op in ("max", "min"):
        assert_matches(getattr(ember.from_numpy(arr), op)(), getattr(torch.from_numpy(arr), op)())
        assert_matches(getattr(ember.from_numpy(mat), op)(), getattr(torch.from_numpy(mat), op)())
        r, rt = getattr(ember.from_numpy(mat), op)(0), getattr(torch.from_numpy(mat), op)(0)
        assert_matches(r.values, rt.values)
        assert_matches(r.indices, rt.indices)
        assert_matches(ember.from_numpy(mat).logsumexp(0), torch.from_numpy(mat).logsumexp(0))


# ---- 0-d inputs and second derivatives -------------------------------------------------------

GRAD_OPS = {
    "sum": lambda t: t.sum(0),
    "mean": lambda t: t.mean(-1, True),
    "prod": lambda t: t.prod(0, True),
    "max_dim": lambda t: t.max(0).values,
    "min_full": lambda t: t.min(),
    "logsumexp": lambda t: t.logsumexp(0),
    "cumsum": lambda t: t.cumsum(0),
    "var": lambda t: t.var(0, correction=0),
    "std": lambda t: t.std(0, correction=0),
}


@pytest.mark.parametrize("name", list(GRAD_OPS))
def test_gradient_of_0d_input_matches_torch(name):
    fn = GRAD_OPS[name]
    assert_grads_match_torch(fn, fn, np.array(1.7))


@pytest.mark.parametrize("name", list(GRAD_OPS))
def test_second_derivative_matches_torch(name):
    fn = GRAD_OPS[name]
    arr = np.random.randn(3, 4)
    x, xt = leaf(arr), torch_leaf(arr)
    (ge,) = ember.autograd.grad([(fn(x) ** 2).sum()], [x], create_graph=True)
    (gt,) = torch.autograd.grad([(fn(xt) ** 2).sum()], [xt], create_graph=True)
    (ge**2).sum().backward()
    (gt**2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-10)


def test_max_min_reject_non_integer_dim():
    x = ember.ones((2, 3))
    with pytest.raises(
        TypeError, match=r"^max: dim must be an int \(or other a Tensor\), got float"
    ):
        ember.max(x, 1.0)
    with pytest.raises(TypeError, match=r"^min: dim must be an int"):
        x.min("0")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_reductions_of_expanded_stride_0_inputs(dim):
    arr = np.random.randn(1, 4, 1).astype(np.float64)
    x = ember.from_numpy(arr).expand(3, 4, 5)
    xt = torch.from_numpy(arr).expand(3, 4, 5)
    assert_matches(x.sum(dim), xt.sum(dim))
    assert_matches(x.var(dim), xt.var(dim))
    assert_matches(x.cumsum(dim), xt.cumsum(dim))
    assert_matches(x.logsumexp(dim), xt.logsumexp(dim))
    assert_matches(x.prod(dim), xt.prod(dim))
    r, rt = x.max(dim), xt.max(dim)
    assert_matches(r.values, rt.values)
    assert_matches(r.indices, rt.indices)
    assert_matches(x.argmin(dim), xt.argmin(dim))
    assert_matches(x.max(), xt.max())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool", "uint8"])
def test_reducing_only_size_one_dims_matches_numpy(dtype):
    # A bias gradient at batch 1: the reduction is a converting copy.
    x = (ember.arange(15).reshape(1, 5, 1, 3) - 4).to(getattr(ember, dtype))
    ref = x.numpy()
    for dims in [(0,), (2,), (0, 2)]:
        for keepdim in (False, True):
            got = x.sum(dims, keepdim=keepdim)
            want = ref.sum(axis=dims, keepdims=keepdim)
            assert got.dtype == ember.sum(x).dtype  # the same promotion as a full sum
            np.testing.assert_array_equal(got.numpy(), want.astype(got.numpy().dtype))
        np.testing.assert_array_equal(x.prod(dims[0]).numpy(),
                                      ref.prod(axis=dims[0]).astype(x.prod(dims[0]).numpy().dtype))
