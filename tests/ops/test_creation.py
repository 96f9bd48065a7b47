"""Tensor factories: ember.tensor dtype inference, zeros/ones/full/arange/linspace/eye, random."""

from __future__ import annotations

import ember
import numpy as np
import pytest

torch = pytest.importorskip("torch")

DT = {
    torch.bool: ember.bool,
    torch.uint8: ember.uint8,
    torch.int32: ember.int32,
    torch.int64: ember.int64,
    torch.float32: ember.float32,
    torch.float64: ember.float64,
}

INFERENCE_DATA = [
    1,
    2.5,
    True,
    [1, 2, 3],
    [1.0, 2, 3],
    [True, False],
    [[1, 2], [3, 4]],
    [[1.5], [2.5]],
    [],
    [[]],
    (1, 2),
    [True, 2],
    [1, 2.0, True],
    np.array([1, 2], dtype=np.int32),
    np.array([1.0, 2.0]),
    np.array([1.0], dtype=np.float32),
    np.array(3.0),
    np.array([True]),
    np.array([1, 2], dtype=np.uint8),
    np.float64(2.5),
    np.int32(4),
]


@pytest.mark.parametrize("data", INFERENCE_DATA, ids=[repr(d) for d in INFERENCE_DATA])
def test_tensor_infers_dtype_like_torch(data) -> None:
    t = ember.tensor(data)
    r = torch.tensor(data)
    assert t.dtype == DT[r.dtype]
    assert tuple(t.shape) == tuple(r.shape)
    np.testing.assert_array_equal(t.numpy(), r.numpy())


def test_tensor_dtype_argument_and_copy() -> None:
    a = np.array([1.7, -2.2])
    t = ember.tensor(a, dtype=ember.int32)
    assert t.dtype == ember.int32
    np.testing.assert_array_equal(t.numpy(), [1, -2])
    t = ember.tensor(a)
    a[0] = 100.0
    assert t.numpy()[0] == pytest.approx(1.7)  # tensor() copies
    assert ember.tensor([1, 2], dtype=ember.float64).dtype == ember.float64
    assert ember.tensor([1, 2], dtype="float32").dtype == ember.float32
    assert ember.tensor([1.0], dtype=np.float64).dtype == ember.float64


def test_tensor_with_dtype_keeps_full_precision() -> None:
    assert ember.tensor([0.1, 0.3], dtype=ember.float64).tolist() == [0.1, 0.3]
    assert ember.tensor(0.1, dtype=ember.float64).item() == 0.1
    assert ember.tensor(2**40 + 1, dtype=ember.int64).item() == 2**40 + 1
    assert ember.tensor([True, 0.0, 2], dtype=ember.bool).tolist() == [True, False, True]


def test_tensor_from_tensor_copies_and_detaches() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor(x)
    assert not y.requires_grad
    y.add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


def test_tensor_ragged_raises() -> None:
    with pytest.raises((ValueError, TypeError)):
        ember.tensor([[1, 2], [3]])


def test_tensor_requires_grad_integer_raises() -> None:
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        ember.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_zeros_ones_empty_shapes_and_dtypes(fn: str) -> None:
    f = getattr(ember, fn)
    for args in [(2, 3), ((2, 3),), ([4],), (0,), ((),)]:
        t = f(*args)
        assert tuple(t.shape) == tuple(getattr(torch, fn)(*args).shape)
        assert t.dtype == ember.float32
    t = f(2, dtype=ember.int64)
    assert t.dtype == ember.int64
    if fn != "empty":
        np.testing.assert_array_equal(f(2, 3).numpy(), getattr(np, fn)((2, 3)))
    with pytest.raises(TypeError):
        f(2.5)
    with pytest.raises(ValueError, match="non-negative"):
        f(-1)


def test_full_infers_dtype_like_torch() -> None:
    for v in (2, 2.5, True):
        t = ember.full((2, 2), v)
        r = torch.full((2, 2), v)
        assert t.dtype == DT[r.dtype]
        np.testing.assert_array_equal(t.numpy(), r.numpy())
    assert ember.full((3,), 7, dtype=ember.float64).dtype == ember.float64


def test_like_factories() -> None:
    x = ember.tensor([[1, 2, 3]], dtype=ember.int32)
    for name, val in [("zeros_like", 0), ("ones_like", 1)]:
        t = getattr(ember, name)(x)
        assert t.dtype == ember.int32 and tuple(t.shape) == (1, 3)
        np.testing.assert_array_equal(t.numpy(), np.full((1, 3), val))
    t = ember.full_like(x, 4)
    np.testing.assert_array_equal(t.numpy(), np.full((1, 3), 4))
    assert ember.empty_like(x).shape == x.shape
    assert ember.zeros_like(x, dtype=ember.float64).dtype == ember.float64
    f = ember.tensor([1.0, 2.0])
    assert ember.rand_like(f).dtype == ember.float32
    assert tuple(ember.randn_like(f).shape) == (2,)


ARANGE_ARGS = [
    (5,),
    (2, 7),
    (1, 10, 3),
    (0, 1, 0.1),
    (1.5, 4),
    (10, 0, -2),
    (0.0, -1.0, -0.25),
    (0, 0),
    (-3, 3, 1),
]


@pytest.mark.parametrize("args", ARANGE_ARGS, ids=[repr(a) for a in ARANGE_ARGS])
def test_arange_matches_torch(args) -> None:
    t = ember.arange(*args)
    r = torch.arange(*args)
    assert t.dtype == DT[r.dtype]
    assert tuple(t.shape) == tuple(r.shape)
    np.testing.assert_allclose(t.numpy(), r.numpy(), rtol=1e-6, atol=1e-7)


def test_arange_dtype_and_errors() -> None:
    assert ember.arange(3, dtype=ember.float64).dtype == ember.float64
    np.testing.assert_array_equal(ember.arange(3, dtype=ember.float64).numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        ember.arange(0, 5, 0)
    with pytest.raises(ValueError, match="arange"):
        ember.arange(0, 5, -1)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2, 2, 1), (3, -3, 7), (0, 1, 0), (1, 2, 2)])
def test_linspace_matches_torch(args) -> None:
    t = ember.linspace(*args)
    r = torch.linspace(*args)
    assert t.dtype == ember.float32
    np.testing.assert_allclose(t.numpy(), r.numpy(), rtol=1e-6, atol=1e-7)
    if args[2] > 1:
        assert t.numpy()[-1] == np.float32(args[1])
    assert ember.linspace(0, 1, 3, dtype=ember.float64).dtype == ember.float64
    with pytest.raises(ValueError, match="linspace"):
        ember.linspace(0, 1, -1)


def test_eye_matches_numpy() -> None:
    np.testing.assert_array_equal(ember.eye(3).numpy(), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(ember.eye(2, 4).numpy(), np.eye(2, 4))
    np.testing.assert_array_equal(ember.eye(4, 2, dtype=ember.int64).numpy(), np.eye(4, 2))
    assert tuple(ember.eye(0).shape) == (0, 0)


def test_factories_requires_grad() -> None:
    for t in (
        ember.zeros(2, requires_grad=True),
        ember.ones(2, requires_grad=True),
        ember.randn(2, requires_grad=True),
        ember.full((2,), 1.0, requires_grad=True),
        ember.arange(3.0, requires_grad=True),
    ):
        assert t.requires_grad and t.is_leaf


# ---- random --------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["rand", "randn"])
def test_manual_seed_reproducibility(fn: str) -> None:
    f = getattr(ember, fn)
    ember.manual_seed(123)
    a = f(4, 5).numpy()
    ember.manual_seed(123)
    b = f(4, 5).numpy()
    np.testing.assert_array_equal(a, b)
    c = f(4, 5).numpy()
    assert not np.array_equal(a, c)
    g = ember.Generator().manual_seed(7)
    x = f(3, generator=g).numpy()
    g.manual_seed(7)
    np.testing.assert_array_equal(x, f(3, generator=g).numpy())


def test_randint_randperm_reproducible_and_in_range() -> None:
    ember.manual_seed(5)
    a = ember.randint(-3, 4, (1000,))
    ember.manual_seed(5)
    b = ember.randint(-3, 4, (1000,))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == ember.int64
    assert a.numpy().min() == -3 and a.numpy().max() == 3
    assert ember.randint(10, (2, 3)).numpy().max() < 10
    p = ember.randperm(50)
    assert p.dtype == ember.int64
    np.testing.assert_array_equal(np.sort(p.numpy()), np.arange(50))
    ember.manual_seed(9)
    q = ember.randperm(50).numpy()
    ember.manual_seed(9)
    np.testing.assert_array_equal(q, ember.randperm(50).numpy())
    with pytest.raises(ValueError, match="randint"):
        ember.randint(3, 3, (2,))


def test_rand_range_and_randn_moments() -> None:
    u = ember.rand(100_000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    n = ember.randn(200_000, dtype=ember.float64).numpy()
    assert n.dtype == np.float64
    assert abs(n.mean()) < 0.01
    assert abs(n.std() - 1.0) < 0.01
    # Odd sizes fill every element (Box-Muller makes pairs).
    assert np.isfinite(ember.randn(3).numpy()).all()
    with pytest.raises(TypeError, match="randn"):
        ember.randn(2, dtype=ember.int64)
