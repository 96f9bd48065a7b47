"""Bitwise &, |, ^, ~ (and their in-place forms) against PyTorch, and the in-place operators
//=, %=, **= that write through views."""

from __future__ import annotations

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")

_DTYPES = [(ember.int64, np.int64), (ember.int32, np.int32), (ember.uint8, np.uint8),
           (ember.bool, np.bool_)]


def _pair(arr):
    return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


@pytest.mark.parametrize("edt, ndt", _DTYPES, ids=lambda d: str(d))
@pytest.mark.parametrize("op", ["and", "or", "xor"])
def test_binary_bitwise_ops_match_torch(edt, ndt, op):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 200, (3, 4)).astype(ndt)
    b = rng.integers(0, 200, (4,)).astype(ndt)
    (ea, ta), (eb, tb) = _pair(a), _pair(b)
    sym = {"and": "__and__", "or": "__or__", "xor": "__xor__"}[op]
    for e, t in ((getattr(ea, sym)(eb), getattr(ta, sym)(tb)),
                 (getattr(ember, f"bitwise_{op}")(ea, eb), getattr(torch, f"bitwise_{op}")(ta, tb)),
                 (getattr(ea, sym)(5 if ndt is not np.bool_ else True),
                  getattr(ta, sym)(5 if ndt is not np.bool_ else True))):
        assert e.dtype == edt
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    # In place, through a view: the base tensor sees it.
    ebase, tbase = _pair(a)
    ev, tv = ebase[1:], tbase[1:]
    isym = "__i" + sym[2:]
    getattr(ev, isym)(eb)
    getattr(tv, isym)(tb)
    np.testing.assert_array_equal(ebase.numpy(), tbase.numpy())


@pytest.mark.parametrize("edt, ndt", _DTYPES, ids=lambda d: str(d))
def test_invert_matches_torch(edt, ndt):
    a = np.array([0, 1, 6, 127, 200 if ndt is not np.bool_ else 0]).astype(ndt)
    e, t = _pair(a)
    np.testing.assert_array_equal((~e).numpy(), (~t).numpy())
    np.testing.assert_array_equal(ember.bitwise_not(e).numpy(), torch.bitwise_not(t).numpy())


def test_bitwise_ops_reject_floating_tensors():
    x = ember.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="bitwise_and: only integer and bool tensors are supported, "
                                        "got float32 and bool"):
        x & ember.tensor([True, False])
    with pytest.raises(TypeError, match="bitwise_not: only integer and bool"):
        _ = ~x
    with pytest.raises(TypeError, match="bitwise_or_"):
        y = ember.tensor([1, 2])
        y |= ember.tensor([0.5, 0.5])


def test_mask_logic_on_bool_tensors_is_unchanged():
    x = ember.tensor([-1.0, 0.5, 2.0, 3.0])
    m = (x > 0) & (x < 3) | (x == -1)
    np.testing.assert_array_equal(m.numpy(), [True, True, True, False])


@pytest.mark.parametrize("op", ["__ifloordiv__", "__imod__", "__ipow__"])
def test_inplace_arithmetic_operators_write_through_views(op):
    a = np.array([5.0, 7.0, -3.0, 2.5])
    (ebase, tbase) = _pair(a)
    ev, tv = ebase[1:3], tbase[1:3]
    before = ev._version
    r = getattr(ev, op)(2)
    getattr(tv, op)(2)
    assert r is ev and ev._version > before
    np.testing.assert_array_equal(ebase.numpy(), tbase.numpy())


@pytest.mark.parametrize("op", ["__imod__", "__ipow__"])  # (PyTorch has no floor_divide gradient)
def test_inplace_arithmetic_gradients_match_torch(op):
    a = np.array([5.0, 7.0, -3.0, 2.5])
    xe, xt = ember.from_numpy(a.copy()).requires_grad_(True), torch.tensor(a, requires_grad=True)
    ye, yt = xe * 1, xt * 1
    getattr(ye, op)(ember.tensor(3.0, dtype=ember.float64))
    getattr(yt, op)(torch.tensor(3.0, dtype=torch.float64))
    w = np.arange(1.0, 5.0)
    (ye * ember.from_numpy(w)).sum().backward()
    (yt * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_inplace_integer_division_by_zero_raises_and_leaves_the_tensor():
    x = ember.tensor([4, 5])
    with pytest.raises(ValueError, match="floor_divide_: integer division by zero"):
        x //= 0
    with pytest.raises(ValueError, match="remainder_: integer division by zero"):
        x %= ember.tensor([1, 0])
    with pytest.raises(ValueError, match="pow_: integers to negative integer powers"):
        x **= -1
    np.testing.assert_array_equal(x.numpy(), [4, 5])


def test_bitwise_ops_trace_into_graphs_that_match_eager():
    def f(a, b):
        c = (a & b) | (a ^ 3)
        d = ~c
        d &= b
        return c, d

    rng = np.random.default_rng(3)
    a, b = (ember.from_numpy(rng.integers(0, 100, 6)) for _ in range(2))
    traced = ember.jit.trace(f, (a, b))
    for _ in range(2):
        a2, b2 = (ember.from_numpy(rng.integers(0, 100, 6)) for _ in range(2))
        for got, want in zip(traced(a2, b2), f(a2, b2)):
            np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("edt, ndt", _DTYPES[:3], ids=lambda d: str(d))
def test_shifts_match_torch_including_past_the_width(edt, ndt):
    a = np.array([1, 5, 100, 0, 127]).astype(ndt)
    if ndt is not np.uint8:
        a = np.concatenate([a, np.array([-8, -1]).astype(ndt)])
    e, t = _pair(a)
    for s in (0, 1, 3, 7, 8, 31, 32, 63, 64, 65, -1):
        if ndt is np.uint8 and s < 0:
            continue
        for op in ("__lshift__", "__rshift__"):
            np.testing.assert_array_equal(getattr(e, op)(s).numpy(), getattr(t, op)(s).numpy())
    amounts = np.arange(len(a)).astype(ndt)
    (ea, ta), (es, ts) = _pair(a), _pair(amounts)
    np.testing.assert_array_equal(ember.bitwise_left_shift(ea, es).numpy(),
                                  torch.bitwise_left_shift(ta, ts).numpy())
    np.testing.assert_array_equal((3 << es).numpy(), (3 << ts).numpy())
    ebase, tbase = _pair(a)
    ev, tv = ebase[1:], tbase[1:]
    ev <<= 2
    tv <<= 2
    ev >>= 1
    tv >>= 1
    np.testing.assert_array_equal(ebase.numpy(), tbase.numpy())


def test_shifts_reject_floating_tensors():
    with pytest.raises(TypeError, match="bitwise_left_shift: only integer and bool tensors"):
        _ = ember.tensor([1.0]) << 1
