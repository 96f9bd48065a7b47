"""ember.datasets.transforms: batch and single-image forms, numpy and ember inputs."""

import ember
import numpy as np
import pytest
from ember.datasets import transforms as T


def _imgs(n=6, h=7, w=9, c=None, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n, h, w) if c is None else (n, h, w, c)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def test_to_tensor_layouts_and_range():
    a = _imgs()
    t = T.ToTensor()(a)
    assert (
        isinstance(t, ember.Tensor) and t.dtype == ember.float32 and tuple(t.shape) == (6, 1, 7, 9)
    )
    np.testing.assert_allclose(t.numpy()[:, 0], a / 255.0, rtol=1e-6)
    assert 0.0 <= t.numpy().min() and t.numpy().max() <= 1.0
    one = T.ToTensor()(a[0])
    assert tuple(one.shape) == (1, 7, 9)
    np.testing.assert_allclose(one.numpy()[0], a[0] / 255.0, rtol=1e-6)
    rgb = _imgs(c=3)
    t3 = T.ToTensor()(rgb)
    assert tuple(t3.shape) == (6, 3, 7, 9)
    np.testing.assert_allclose(t3.numpy(), rgb.transpose(0, 3, 1, 2) / 255.0, rtol=1e-6)
    u8 = ember.from_numpy(a[:, None].copy())
    np.testing.assert_allclose(T.ToTensor()(u8).numpy(), a[:, None] / 255.0, rtol=1e-6)
    f = ember.rand(2, 1, 3, 3)
    assert T.ToTensor()(f) is f
    with pytest.raises(TypeError, match=r"ToTensor: expected a numpy array or tensor, got list"):
        T.ToTensor()([1, 2])


def test_normalize_closed_form_single_and_batch():
    x = ember.rand(4, 3, 5, 5)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    y = T.Normalize(mean, std)(x).numpy()
    ref = (x.numpy() - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[
        :, None, None
    ]
    np.testing.assert_allclose(y, ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(T.Normalize(mean, std)(x[1]).numpy(), ref[1], rtol=1e-6, atol=1e-7)
    g = ember.rand(2, 1, 3, 3)
    np.testing.assert_allclose(
        T.Normalize((0.1307,), (0.3081,))(g).numpy(), (g.numpy() - 0.1307) / 0.3081, rtol=1e-5
    )
    with pytest.raises(ValueError, match=r"Normalize: std evaluated to zero"):
        T.Normalize((0.5,), (0.0,))
    with pytest.raises(
        ValueError,
        match=r"Normalize: mean has 2 values but the input of shape "
        r"\(4, 3, 5, 5\) has 3 channels",
    ):
        T.Normalize((0.1, 0.2), (1.0, 1.0))(x)
    with pytest.raises(TypeError, match=r"Normalize: expected a floating ember tensor"):
        T.Normalize((0.5,), (0.5,))(np.zeros((1, 2, 2)))


def test_horizontal_flip_equals_numpy_flip_per_image():
    a = _imgs(n=64)
    out = T.RandomHorizontalFlip(0.5)(a)
    assert out.dtype == np.uint8 and out.shape == a.shape
    flipped = np.all(out == a[:, :, ::-1], axis=(1, 2))
    same = np.all(out == a, axis=(1, 2))
    assert np.all(flipped | same)
    assert 15 < flipped.sum() < 49  # about half, independently per image
    # p=1 / p=0 and ember tensors.
    x = ember.rand(3, 2, 4, 5)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(x).numpy(), x.numpy()[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(x).numpy(), x.numpy())
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(a[0]), a[0][:, ::-1])
    with pytest.raises(ValueError, match=r"RandomHorizontalFlip: p must be in \[0, 1\]"):
        T.RandomHorizontalFlip(2)


def test_random_crop_equals_slicing_of_padded_image():
    a = _imgs(n=32, h=8, w=8)
    out = T.RandomCrop(8, padding=2)(a)
    assert out.shape == (32, 8, 8) and out.dtype == np.uint8
    padded = np.pad(a, ((0, 0), (2, 2), (2, 2)))
    offsets = set()
    for i in range(32):
        hits = [
            (t, l)
            for t in range(5)
            for l in range(5)
            if np.array_equal(padded[i, t : t + 8, l : l + 8], out[i])
        ]
        assert hits, f"image {i} is not a crop of its padded image"
        offsets.add(hits[0])
    assert len(offsets) > 5  # independent offsets per image
    # ember tensors, a single image, non-square sizes and (lr, tb) padding.
    x = ember.rand(2, 3, 6, 7)
    y = T.RandomCrop((4, 9), padding=(1, 0))(x)
    assert tuple(y.shape) == (2, 3, 4, 9)
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (0, 0), (1, 1)))
    for i in range(2):
        assert any(np.array_equal(xp[i, :, t : t + 4, :], y.numpy()[i]) for t in range(3))
    assert tuple(T.RandomCrop(3)(x[0]).shape) == (3, 3, 3)
    assert T.RandomCrop(10, pad_if_needed=True)(a[0]).shape == (10, 10)
    with pytest.raises(
        ValueError,
        match=r"RandomCrop: crop size \(9, 9\) is larger than the "
        r"\(padded\) image size \(8, 8\)",
    ):
        T.RandomCrop(9)(a)
    with pytest.raises(ValueError, match=r"RandomCrop: padding must be an int or 2 or 4 ints"):
        T.RandomCrop(3, padding=(1, 2, 3))


def test_random_rotation_90_equals_rot90_and_zero_is_identity():
    a = _imgs(n=5, h=9, w=9)
    r = T.RandomRotation((90, 90))(a)
    np.testing.assert_array_equal(r, np.rot90(a, 1, axes=(1, 2)))
    r = T.RandomRotation((-90, -90))(a)
    np.testing.assert_array_equal(r, np.rot90(a, -1, axes=(1, 2)))
    np.testing.assert_array_equal(T.RandomRotation(0)(a), a)
    x = ember.rand(2, 3, 6, 6)
    np.testing.assert_allclose(
        T.RandomRotation((180, 180), interpolation="bilinear")(x).numpy(),
        x.numpy()[..., ::-1, ::-1],
        rtol=1e-6,
        atol=1e-6,
    )


def test_random_rotation_random_angles_per_image_and_fill():
    a = np.full((16, 11, 11), 200, np.uint8)
    r = T.RandomRotation(45, fill=0)(a)
    assert r.dtype == np.uint8 and r.shape == a.shape
    # Corners leave the image for most angles; the center stays.
    assert np.all(r[:, 5, 5] == 200)
    corner_zero = r[:, 0, 0] == 0
    assert 0 < corner_zero.sum() <= 16
    angles_differ = len({r[i].tobytes() for i in range(16)})
    assert angles_differ > 8
    rb = T.RandomRotation(30, interpolation="bilinear")(a)
    assert rb.dtype == np.uint8 and 0 <= rb.min() and rb.max() <= 200
    with pytest.raises(ValueError, match=r"RandomRotation: a single degrees value must be >= 0"):
        T.RandomRotation(-3)
    with pytest.raises(
        ValueError,
        match=r"RandomRotation: interpolation must be 'nearest' or "
        r"'bilinear'",
    ):
        T.RandomRotation(3, interpolation="bicubic")


def test_transforms_deterministic_under_manual_seed_and_independent_of_numpy():
    a = _imgs(n=8)
    t = T.Compose(
        [
            T.RandomCrop(7, padding=2),
            T.RandomHorizontalFlip(),
            T.RandomRotation(20),
            T.ToTensor(),
            T.Normalize((0.5,), (0.25,)),
        ]
    )
    ember.manual_seed(123)
    np.random.seed(1)
    first = t(a).numpy()
    ember.manual_seed(123)
    np.random.seed(2)
    second = t(a).numpy()
    np.testing.assert_array_equal(first, second)
    ember.manual_seed(124)
    assert not np.array_equal(t(a).numpy(), first)
    assert first.shape == (8, 1, 7, 7)
    g = ember.Generator()
    g.manual_seed(7)
    c1 = T.RandomCrop(5, padding=1, generator=g)(a)
    g.manual_seed(7)
    np.testing.assert_array_equal(T.RandomCrop(5, padding=1, generator=g)(a), c1)


def test_compose_repr_and_single_image_pipeline():
    t = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    assert repr(t) == ("Compose(\n    ToTensor()\n    Normalize(mean=(0.1307,), std=(0.3081,))\n)")
    y = t(_imgs(n=1)[0])
    assert tuple(y.shape) == (1, 7, 9) and y.dtype == ember.float32
    with pytest.raises(TypeError, match=r"RandomCrop: expected an ember tensor or a numpy array"):
        T.RandomCrop(2)([[1]])
    with pytest.raises(ValueError, match=r"RandomHorizontalFlip: expected a tensor image"):
        T.RandomHorizontalFlip()(ember.rand(4, 4))
