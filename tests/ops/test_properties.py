"""Property tests (hypothesis): broadcasting, reshape/permute/transpose round trips, views."""

from __future__ import annotations

import ember
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)


def _values(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-3, 3, shape).astype(np.float64)


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
def test_broadcast_binary_matches_numpy(bs) -> None:
    sa, sb = bs.input_shapes
    a, b = _values(sa, 1), _values(sb, 2)
    ea, eb = ember.tensor(a), ember.tensor(b)
    for f, ref in (
        (ember.add, np.add),
        (ember.mul, np.multiply),
        (ember.maximum, np.maximum),
        (ember.lt, np.less),
        (lambda x, y: ember.where(x > 0, x, y), lambda x, y: np.where(x > 0, x, y)),
    ):
        out = f(ea, eb)
        expected = ref(a, b)
        assert tuple(out.shape) == bs.result_shape == expected.shape
        np.testing.assert_array_equal(out.numpy(), expected)


@SETTINGS
@given(st.tuples(shapes, shapes))
def test_broadcast_shapes_error_iff_numpy_errors(pair) -> None:
    sa, sb = pair
    a, b = np.zeros(sa), np.zeros(sb)
    try:
        expected = np.broadcast_shapes(sa, sb)
    except ValueError:
        with pytest.raises(ValueError, match="add: shapes .* cannot be broadcast"):
            ember.add(ember.tensor(a), ember.tensor(b))
        return
    assert tuple(ember.add(ember.tensor(a), ember.tensor(b)).shape) == expected


@SETTINGS
@given(
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, min_side=1, max_side=3)
)
def test_broadcast_gradients_sum_to_input_shapes(bs) -> None:
    sa, sb = bs.input_shapes
    a, b = _values(sa, 3), _values(sb, 4)
    xa = ember.tensor(a, requires_grad=True)
    xb = ember.tensor(b, requires_grad=True)
    w = _values(bs.result_shape, 5)
    (xa * xb).backward(ember.tensor(w))

    # d/da sum(w * a * b) = sum of w * b over the broadcast dims.
    def reduce_to(g, shape):
        while g.ndim > len(shape):
            g = g.sum(0)
        for i, s in enumerate(shape):
            if s == 1 and g.shape[i] != 1:
                g = g.sum(i, keepdims=True)
        return g

    np.testing.assert_allclose(
        xa.grad.numpy(), reduce_to(w * np.broadcast_to(b, w.shape), sa), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        xb.grad.numpy(), reduce_to(w * np.broadcast_to(a, w.shape), sb), rtol=1e-12, atol=1e-12
    )


@st.composite
def shape_and_reshape(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    n = int(np.prod(shape))
    # A random factorization of n into up to 4 dims.
    dims = []
    rest = n
    for _ in range(draw(st.integers(0, 3))):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        dims.append(d)
        rest //= d
    dims.append(rest)
    dims = draw(st.permutations(dims))
    return shape, tuple(dims)


@SETTINGS
@given(shape_and_reshape(), st.booleans())
def test_reshape_round_trip(data, infer) -> None:
    shape, new = data
    a = _values(shape)
    t = ember.tensor(a)
    target = list(new)
    if infer and target:
        target[0] = -1
    r = t.reshape(*target) if target else t.reshape(())
    np.testing.assert_array_equal(r.numpy(), a.reshape(new))
    back = r.reshape(shape) if shape else r.reshape(())
    np.testing.assert_array_equal(back.numpy(), a)
    # Contiguous input: reshape is a view.
    assert r.untyped_storage_ptr() == t.untyped_storage_ptr()


@st.composite
def shape_and_perm(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=5, min_side=0, max_side=4))
    perm = draw(st.permutations(range(len(shape))))
    return shape, tuple(perm)


@SETTINGS
@given(shape_and_perm())
def test_permute_round_trip_and_values(data) -> None:
    shape, perm = data
    a = _values(shape)
    t = ember.tensor(a)
    p = t.permute(*perm)
    np.testing.assert_array_equal(p.numpy(), a.transpose(perm))
    inverse = tuple(np.argsort(perm))
    np.testing.assert_array_equal(p.permute(*inverse).numpy(), a)
    # Contiguous copy then reshape agrees with numpy's C-order reshape.
    np.testing.assert_array_equal(p.reshape(-1).numpy(), a.transpose(perm).reshape(-1))
    np.testing.assert_array_equal(p.contiguous().numpy(), a.transpose(perm))
    assert p.contiguous().is_contiguous()


@SETTINGS
@given(shape_and_perm(), st.data())
def test_transpose_round_trip(data, draw) -> None:
    shape, _ = data
    n = len(shape)
    d0 = draw.draw(st.integers(-n, n - 1))
    d1 = draw.draw(st.integers(-n, n - 1))
    a = _values(shape)
    t = ember.tensor(a).transpose(d0, d1)
    np.testing.assert_array_equal(t.numpy(), np.swapaxes(a, d0, d1))
    np.testing.assert_array_equal(t.transpose(d0, d1).numpy(), a)


@st.composite
def view_chain(draw):
    """A random shape and a chain of view ops applied to it (in ember and numpy alike)."""
    start = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5))
    shape = list(start)
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        n = len(shape)
        kind = draw(
            st.sampled_from(
                ["transpose", "narrow", "select", "unsqueeze", "squeeze", "expand", "flatten"]
                if n
                else ["unsqueeze"]
            )
        )
        if kind == "transpose":
            d0, d1 = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            ops.append((kind, d0, d1))
            shape[d0], shape[d1] = shape[d1], shape[d0]
        elif kind == "narrow":
            d = draw(st.integers(0, n - 1))
            begin = draw(st.integers(0, shape[d]))
            length = draw(st.integers(0, shape[d] - begin))
            ops.append((kind, d, begin, length))
            shape[d] = length
        elif kind == "select":
            d = draw(st.integers(0, n - 1))
            if shape[d] == 0:
                continue
            i = draw(st.integers(-shape[d], shape[d] - 1))
            ops.append((kind, d, i))
            shape.pop(d)
        elif kind == "unsqueeze":
            d = draw(st.integers(-n - 1, n))
            ops.append((kind, d))
            shape.insert(d if d >= 0 else d + n + 1, 1)
        elif kind == "squeeze":
            ops.append((kind,))
            shape = [s for s in shape if s != 1]
        elif kind == "expand":
            new = [draw(st.integers(1, 3)) if s == 1 else s for s in shape]
            ops.append((kind, tuple(new)))
            shape = new
        elif kind == "flatten":
            ops.append((kind,))
            shape = [int(np.prod(shape))]
    return start, ops


def _apply_ember(t, op):
    kind, *args = op
    if kind == "narrow":
        return t.narrow(*args)
    if kind == "expand":
        return t.expand(*args[0]) if args[0] else t
    return getattr(t, kind)(*args)


def _apply_numpy(a, op):
    kind, *args = op
    if kind == "transpose":
        return np.swapaxes(a, *args)
    if kind == "narrow":
        d, start, length = args
        idx = [slice(None)] * a.ndim
        idx[d] = slice(start, start + length)
        return a[tuple(idx)]
    if kind == "select":
        d, i = args
        return np.take(a, i, axis=d)
    if kind == "unsqueeze":
        return np.expand_dims(a, args[0])
    if kind == "squeeze":
        return a.squeeze()
    if kind == "expand":
        return np.broadcast_to(a, args[0])
    if kind == "flatten":
        return a.reshape(-1)
    raise AssertionError(kind)


@SETTINGS
@given(view_chain())
def test_view_chains_match_numpy(chain) -> None:
    shape, ops = chain
    a = _values(shape)
    base = ember.tensor(a)
    t = base
    for op in ops:
        t = _apply_ember(t, op)
        a = _apply_numpy(a, op)
        assert tuple(t.shape) == a.shape, op
    np.testing.assert_array_equal(t.numpy(), a)
    if not any(op[0] == "flatten" for op in ops):  # flatten copies non-viewable layouts
        assert t.untyped_storage_ptr() == base.untyped_storage_ptr()
    # Elementwise math on the (possibly non-contiguous, broadcast) view.
    np.testing.assert_allclose((t * 2 + 1).numpy(), a * 2 + 1)
    np.testing.assert_allclose(t.exp().numpy(), np.exp(a), rtol=1e-12)
    np.testing.assert_array_equal(t.reshape(-1).numpy(), a.reshape(-1))


@SETTINGS
@given(shape_and_perm(), st.data())
def test_view_of_permuted_tensor_succeeds_exactly_when_torch_does(data, draw) -> None:
    """view() on non-contiguous layouts: same success/failure as PyTorch, same values."""
    torch = pytest.importorskip("torch")
    shape, perm = data
    a = _values(shape)
    t = ember.tensor(a).permute(*perm)
    tt = torch.tensor(a).permute(*perm)
    n = int(np.prod(shape))
    divisors = [d for d in range(1, n + 1) if n % d == 0] or [0]
    first = draw.draw(st.sampled_from(divisors))
    target = (first, -1) if first else (0,)
    try:
        expected = tt.view(*target)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="view: .* can't be viewed as shape"):
            t.view(*target)
        return
    v = t.view(*target)
    assert v.untyped_storage_ptr() == t.untyped_storage_ptr()
    np.testing.assert_array_equal(v.numpy(), expected.numpy())
    assert v.stride() == tuple(expected.stride()) or n == 0
