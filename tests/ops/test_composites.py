"""The composite tensor functions (ember/_composites.py) against PyTorch: values, result dtypes
and float64 gradients, as functions and as Tensor methods; and their errors."""

from __future__ import annotations

import zlib

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")

_EDGE = np.array([-2.5, -1.5, -0.5, -0.49999999999999994, 0.0, -0.0, 0.5, 1.5, 2.5, 3.7, -3.7,
                  2.0**52 + 1, -(2.0**53), 1e300, np.inf, -np.inf, np.nan])

# name: (function of (lib, *tensors), input shapes or arrays, differentiable)
CASES = {
    "isnan": (lambda m, x: m.isnan(x), [_EDGE], False),
    "isinf": (lambda m, x: m.isinf(x), [_EDGE], False),
    "isfinite": (lambda m, x: m.isfinite(x), [_EDGE], False),
    "nan_to_num": (lambda m, x: m.nan_to_num(x), [_EDGE], False),
    "nan_to_num_args": (lambda m, x: m.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0), [_EDGE], False),
    "floor": (lambda m, x: m.floor(x), [_EDGE], False),
    "ceil": (lambda m, x: m.ceil(x), [_EDGE], False),
    "trunc": (lambda m, x: m.trunc(x), [_EDGE], False),
    "frac": (lambda m, x: m.frac(x), [_EDGE[:12]], False),
    "round": (lambda m, x: m.round(x), [_EDGE], False),
    "floor_grad": (lambda m, x: m.floor(x), [(3, 4)], True),
    "round_grad": (lambda m, x: x.round(), [(3, 4)], True),
    "frac_grad": (lambda m, x: x.frac(), [(3, 4)], True),
    "flip": (lambda m, x: m.flip(x, (0, 2)), [(2, 3, 4)], True),
    "flip_method": (lambda m, x: x.flip(-1), [(3, 4)], True),
    "roll": (lambda m, x: m.roll(x, (1, -5), (0, 1)), [(3, 4)], True),
    "roll_flat": (lambda m, x: x.roll(2), [(3, 4)], True),
    "movedim": (lambda m, x: m.movedim(x, (0, 1), (2, 0)), [(2, 3, 4)], True),
    "unflatten": (lambda m, x: x.unflatten(1, (2, -1)), [(3, 4)], True),
    "unbind": (lambda m, x: m.stack([t * (i + 1) for i, t in enumerate(x.unbind(1))]), [(3, 4)], True),
    "sort": (lambda m, x: x.sort(1).values, [(3, 5)], True),
    "sort_desc": (lambda m, x: m.sort(x, 0, descending=True).values, [(4, 3)], True),
    "sort_indices": (lambda m, x: x.sort(dim=-1, stable=True).indices, [np.array([[3.0, 1.0, 3.0, np.nan, -1.0, 1.0]])], False),
    "sort_desc_indices": (lambda m, x: x.sort(dim=-1, descending=True, stable=True).indices, [np.array([[3.0, 1.0, 3.0, np.nan, -1.0, 1.0]])], False),
    "argsort": (lambda m, x: m.argsort(x, 1), [(3, 5)], False),
    "topk": (lambda m, x: x.topk(2, 1).values, [(3, 5)], True),
    "topk_smallest": (lambda m, x: m.topk(x, 3, 0, largest=False).indices, [(5, 2)], False),
    "repeat": (lambda m, x: x.repeat(2, 1, 3), [(3, 4)], True),
    "tile": (lambda m, x: m.tile(x, (2,)), [(3, 4)], True),
    "tril": (lambda m, x: m.tril(x, -1), [(2, 3, 4)], True),
    "triu": (lambda m, x: x.triu(1), [(4, 3)], True),
    "diagonal": (lambda m, x: m.diagonal(x, 1, 0, 2), [(3, 2, 4)], True),
    "diagonal_neg": (lambda m, x: x.diagonal(-1), [(4, 3)], True),
    "trace": (lambda m, x: m.trace(x), [(3, 4)], True),
    "masked_select": (lambda m, x, y: m.masked_select(x, y > 0), [(3, 4), (4,)], True),
    "outer": (lambda m, x, y: m.outer(x, y), [(3,), (4,)], True),
    "addmm": (lambda m, x, y, z: m.addmm(x, y, z, beta=0.5, alpha=2.0), [(4,), (3, 2), (2, 4)], True),
    "lerp": (lambda m, x, y: m.lerp(x, y, 0.75), [(3, 4), (3, 4)], True),
    "lerp_tensor": (lambda m, x, y, z: x.lerp(y, z), [(3, 4), (3, 4), (3, 4)], True),
}


def _inputs(specs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for s in specs:
        arr = s.astype(np.float64) if isinstance(s, np.ndarray) else rng.standard_normal(s) * 3
        out.append(arr)
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    fn, specs, diff = CASES[name]
    # A seed that is the same in every process (str hashes change with PYTHONHASHSEED).
    arrays = _inputs(specs, zlib.crc32(name.encode()) % 1000)
    es = [ember.from_numpy(a.copy()).requires_grad_(diff) for a in arrays]
    ts = [torch.tensor(a, requires_grad=diff) for a in arrays]
    e, t = fn(ember, *es), fn(torch, *ts)
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    if name in ("addmm", "lerp_tensor"):  # PyTorch's kernels fuse multiply-adds: 1-ulp apart
        # ... of the products: where the sum cancels (a result of 1.7e-3 from inputs near 3),
        # the difference is an ulp of the inputs' scale, not of the result.
        scale = max(float(np.abs(a).max()) for a in arrays) ** 2
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-14,
                                   atol=4e-16 * scale)
    else:
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
        assert (np.signbit(e.detach().numpy()) == np.signbit(t.detach().numpy())).all()
    if diff:
        w = np.random.default_rng(1).standard_normal(tuple(t.shape))
        (e * ember.from_numpy(w)).sum().backward()
        (t * torch.from_numpy(w)).sum().backward()
        for a, b in zip(es, ts):
            assert (a.grad is None) == (b.grad is None)
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_integer_and_bool_inputs_follow_torch(dtype):
    a = (np.arange(-3, 9).reshape(3, 4) % 5).astype(dtype)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    for f in (lambda m, x: m.isnan(x), lambda m, x: m.isfinite(x), lambda m, x: m.flip(x, (0,)),
              lambda m, x: x.repeat(1, 2), lambda m, x: m.tril(x), lambda m, x: m.roll(x, 1, 1)):
        np.testing.assert_array_equal(f(ember, e).numpy(), f(torch, t).numpy())
    if dtype != "bool":
        for f in (lambda m, x: m.floor(x), lambda m, x: m.round(x), lambda m, x: x.sort(1).values):
            np.testing.assert_array_equal(f(ember, e).numpy(), f(torch, t).numpy())


def test_float32_rounding_matches_torch_on_random_values():
    a = (np.random.default_rng(0).standard_normal(10000) * 10).astype(np.float32)
    a[:100] = np.round(a[:100] * 2) / 2  # exact halves
    e, t = ember.from_numpy(a), torch.from_numpy(a)
    for name in ("floor", "ceil", "trunc", "round", "frac"):
        np.testing.assert_array_equal(getattr(ember, name)(e).numpy(), getattr(torch, name)(t).numpy())


@pytest.mark.parametrize("call, err, match", [
    (lambda: ember.flip(ember.ones(2, 3), (0, 0)), ValueError, "flip: dims .* more than once"),
    (lambda: ember.flip(ember.ones(2, 3), 2), IndexError, "flip: dim 2 is out of range"),
    (lambda: ember.roll(ember.ones(2, 3), (1, 2), 0), ValueError, "roll: shifts .* same length"),
    (lambda: ember.ones(2, 3).repeat(2), ValueError,
     "repeat: got 1 repeat counts for a tensor with 2 dims"),
    (lambda: ember.ones(2, 3).topk(4), ValueError, r"topk: k \(4\) must be between 0 and"),
    (lambda: ember.tril(ember.ones(3)), ValueError, "tril: expected a tensor with at least 2"),
    (lambda: ember.trace(ember.ones(2, 2, 2)), ValueError, "trace: expected a matrix"),
    (lambda: ember.outer(ember.ones(2, 2), ember.ones(2)), ValueError, "outer: expected two 1-D"),
    (lambda: ember.masked_select(ember.ones(2), ember.ones(2)), TypeError,
     "masked_select: mask must be a bool"),
])
def test_errors_name_the_function(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_elementwise_composites_trace_into_graphs():
    def f(x):
        return ember.nan_to_num(x).floor() + x.flip(0).round() + ember.tril(x.reshape(2, 3)).reshape(6)

    x = ember.tensor([1.5, -2.5, float("nan"), 0.4, 7.0, -0.5])
    traced = ember.jit.trace(f, (x,))
    for v in (x, ember.tensor([0.5, 2.5, -1.0, float("inf"), 3.3, -3.3])):
        np.testing.assert_array_equal(traced(v).numpy(), f(v).numpy())


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "bool", "float32"])
def test_descending_sorts_of_extreme_integers_match_torch(dtype):
    info = np.iinfo(dtype) if dtype not in ("bool", "float32") else None
    vals = [0, 1, 1, 0] if dtype == "bool" else [0, 5, -1 if dtype != "uint8" else 200, 5]
    if info is not None:
        vals += [int(info.min), int(info.max)]
    a = np.array(vals).astype(dtype)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    ge, gt = e.sort(dim=0, descending=True, stable=True), t.sort(dim=0, descending=True, stable=True)
    np.testing.assert_array_equal(ge[0].numpy(), gt[0].numpy())
    np.testing.assert_array_equal(ge[1].numpy(), gt[1].numpy())
    # topk's order among ties is unspecified in PyTorch: compare values, and that indices point
    # at them.
    ke = e.topk(2)
    kt = t.topk(2) if dtype != "bool" else t.to(torch.uint8).topk(2)  # (no bool topk in PyTorch)
    np.testing.assert_array_equal(ke.values.numpy(), kt.values.numpy().astype(a.dtype))
    np.testing.assert_array_equal(a[ke.indices.numpy()], ke.values.numpy())
    np.testing.assert_array_equal(ember.argsort(e, descending=True, stable=True).numpy(),
                                  torch.argsort(t, descending=True, stable=True).numpy())


def test_integer_rounding_returns_a_new_tensor_and_0d_tensors_work():
    x = ember.tensor([1, 2, 3])
    for f in (ember.floor, ember.ceil, ember.trunc, ember.round, ember.nan_to_num):
        y = f(x)
        y += 10
        np.testing.assert_array_equal(x.numpy(), [1, 2, 3])
    s = ember.tensor(1.5)
    assert ember.flip(s, 0).item() == 1.5 and ember.movedim(s, 0, 0).item() == 1.5
    with pytest.raises(IndexError, match="sort: dim 3 is out of range"):
        ember.sort(s, 3)


@pytest.mark.parametrize("p", [2, "fro", 1, 3, 0.5, float("inf"), float("-inf"), 0])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_norm_matches_torch_with_zero_gradients_at_zeros(p, dim):
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    a[0, 1, :] = 0  # a zero slice: PyTorch's gradient there is 0, not NaN
    e = ember.from_numpy(a.copy()).requires_grad_(True)
    t = torch.tensor(a, requires_grad=True)
    re, rt = ember.norm(e, p, dim), torch.norm(t, p, dim)
    np.testing.assert_allclose(re.detach().numpy(), rt.detach().numpy(), rtol=1e-13)
    if p != 0:
        re.sum().backward()
        rt.sum().backward()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert e.norm(p, dim, keepdim=True).shape == t.norm(p, dim, keepdim=True).shape


def test_pow_gradient_with_a_python_float_exponent_is_exact_in_float64():
    x = ember.tensor([2.0, 5.0], dtype=ember.float64, requires_grad=True)
    (x ** (1 / 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (1 / 3) * np.array([2.0, 5.0]) ** (1 / 3 - 1))


def test_allclose_clip_and_relu_():
    a, b = ember.tensor([1.0, float("inf"), 2.0]), ember.tensor([1.0 + 1e-7, float("inf"), 2.0])
    assert ember.allclose(a, b) == torch.allclose(torch.from_numpy(a.numpy()), torch.from_numpy(b.numpy()))
    assert not ember.allclose(ember.tensor([1.0]), ember.tensor([1.1]))
    nan = ember.tensor([float("nan")])
    assert not ember.allclose(nan, nan) and ember.allclose(nan, nan, equal_nan=True)
    x = ember.tensor([-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(x.clip(0, 1).numpy(), [0.0, 0.5, 1.0])
    assert x.relu_() is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.5, 2.0])


@pytest.mark.parametrize("p", [-1, -2, float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_with_zeros_and_ties_matches_torch(p, dim):
    a = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [3.0, -3.0, 1.0]])
    e = ember.from_numpy(a.copy()).requires_grad_(True)
    t = torch.tensor(a, requires_grad=True)
    re, rt = ember.norm(e, p, dim), torch.norm(t, p, dim)
    np.testing.assert_allclose(re.detach().numpy(), rt.detach().numpy(), rtol=1e-14)
    re.sum().backward()
    rt.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_allclose_treats_infinities_as_torch():
    inf = float("inf")
    for a, b in (([inf], [-inf]), ([0.0], [inf]), ([inf], [inf]), ([1.0, -inf], [1.0, -inf])):
        assert ember.allclose(ember.tensor(a), ember.tensor(b)) == torch.allclose(
            torch.tensor(a), torch.tensor(b))


def test_norm_p0_stays_in_the_graph_with_a_zero_gradient():
    x = ember.tensor([0.0, 2.0, float("inf"), -1.0], requires_grad=True)
    n = ember.norm(x, p=0)
    assert n.item() == 3.0 and n.requires_grad
    n.backward()  # PyTorch's backward runs too (its gradient is zero/None)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("shape, dim", [((40, 300), 1), ((300, 40), 0), ((6, 50, 7), 1),
                                        ((1000,), 0), ((3, 0, 4), 2), ((1, 1), 0)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_is_the_start_of_the_stable_sort(dtype, shape, dim, largest):
    """topk's C++ partial sort gives the first k of the stable order (largest or smallest
    first, NaN the largest, equal values by index) for every k, dtype and layout; a permuted
    input is read as given."""
    rng = np.random.default_rng(sum(shape) + len(dtype))
    if dtype == "bool":
        a = rng.integers(0, 2, shape).astype(bool)
    elif dtype.startswith("float"):
        a = rng.integers(-5, 6, shape).astype(dtype)  # many ties
        a.ravel()[::17] = np.nan
        a.ravel()[::23] = -0.0
        a.ravel()[5::29] = np.inf
    else:
        a = rng.integers(0, 9, shape).astype(dtype)
    n = a.shape[dim]
    ref = _stable_order(a, dim, largest)
    for k in sorted({0, 1, min(2, n), n // 2, n}):
        got = ember.from_numpy(a.copy()).topk(k, dim, largest=largest)
        want = np.take(ref, np.arange(k), axis=dim)
        np.testing.assert_array_equal(got.indices.numpy(), want, err_msg=f"k={k}")
        np.testing.assert_array_equal(got.values.numpy(), np.take_along_axis(a, want, dim))
    if a.ndim == 2:
        t = ember.from_numpy(np.ascontiguousarray(a.T)).t()  # a non-contiguous view of a
        got = t.topk(min(3, n), dim, largest=largest)
        np.testing.assert_array_equal(got.indices.numpy(), np.take(ref, np.arange(min(3, n)),
                                                                   axis=dim))


def _stable_order(a, dim, largest):
    """The stable sort order along dim, line by line in plain Python: NaN the largest, -0 equal
    to 0, equal values by index."""
    lines = np.moveaxis(a, dim, -1)
    flat = lines.reshape(-1, lines.shape[-1]) if lines.size else lines.reshape(0, a.shape[dim])
    out = np.empty(flat.shape, np.int64)
    for r, line in enumerate(flat):
        vals = [float(v) for v in line]

        def key(i):
            v = vals[i]
            nan = v != v
            return (0 if nan else 1, 0.0 if nan else -v, i) if largest else \
                (1 if nan else 0, 0.0 if nan else v, i)

        out[r] = sorted(range(len(vals)), key=key)
    return np.moveaxis(out.reshape(lines.shape), -1, dim)
