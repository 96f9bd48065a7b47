import gzip
import hashlib
import os
import shutil
import struct

import ember
import numpy as np
import pytest
from ember.datasets import MNIST, FashionMNIST, read_idx
from ember.utils.data import DataLoader, Subset, default_collate

# Per-class counts of the official MNIST training and test sets.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

_TYPE_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(">i2"): 0x0B,
    np.dtype(">i4"): 0x0C,
    np.dtype(">f4"): 0x0D,
    np.dtype(">f8"): 0x0E,
}


def write_idx(path, arr, magic_type=None):
    """Write ``arr`` as an IDX file (gzip-compressed when ``path`` ends in .gz)."""
    arr = np.asarray(arr)
    be = arr.dtype.newbyteorder(">") if arr.dtype.itemsize > 1 else arr.dtype
    code = _TYPE_CODES[np.dtype(be)] if magic_type is None else magic_type
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + arr.astype(be).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)
    return path


def make_split(folder, prefix="train", n=6, gz=True, seed=0):
    """Synthetic MNIST-format image and label files; returns (images, labels)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    os.makedirs(folder, exist_ok=True)
    ext = ".gz" if gz else ""
    write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{ext}"), images)
    write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{ext}"), labels)
    return images, labels


# ---- real data -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_train(mnist_dir):
    return MNIST(mnist_dir, train=True)


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    return MNIST(mnist_dir, train=False)


def test_real_train_shapes_dtypes_labels(mnist_train):
    ds = mnist_train
    assert len(ds) == 60000
    assert tuple(ds.data.shape) == (60000, 28, 28) and ds.data.dtype == ember.uint8
    assert tuple(ds.targets.shape) == (60000,) and ds.targets.dtype == ember.int64
    labels = ds.targets.numpy()
    assert labels[0] == 5 and labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(labels, minlength=10).tolist() == TRAIN_COUNTS
    pixels = ds.data.numpy()
    assert pixels.min() == 0 and pixels.max() == 255
    assert len(ds.classes) == 10 and ds.classes[5] == "5 - five"
    assert ds.class_to_idx["7 - seven"] == 7


def test_real_test_split(mnist_test):
    ds = mnist_test
    assert tuple(ds.data.shape) == (10000, 28, 28)
    labels = ds.targets.numpy()
    assert labels[0] == 7
    assert np.bincount(labels, minlength=10).tolist() == TEST_COUNTS
    assert sum(TEST_COUNTS) == 10000


def test_real_item_is_scaled_float_image(mnist_train):
    image, label = mnist_train[0]
    assert tuple(image.shape) == (1, 28, 28) and image.dtype == ember.float32
    assert isinstance(label, int) and label == 5
    arr = image.numpy()
    assert arr.min() == 0.0 and arr.max() == 1.0
    np.testing.assert_allclose(arr[0], mnist_train.data.numpy()[0] / 255.0, rtol=1e-6)
    last, _last_label = mnist_train[-1]
    np.testing.assert_array_equal(last.numpy()[0] * 255, mnist_train.data.numpy()[-1])


def test_real_loader_batches_equal_items(mnist_test):
    ember.manual_seed(1)
    loader = DataLoader(mnist_test, batch_size=256, shuffle=True)
    assert len(loader) == 40
    seen = np.zeros(10000, dtype=np.int64)
    images = mnist_test.data.numpy()
    for k, (x, y) in enumerate(loader):
        assert x.dtype == ember.float32 and y.dtype == ember.int64
        assert tuple(x.shape)[1:] == (1, 28, 28)
        if k == 0:
            # locate each sample by its pixels and check it against the per-item path
            flat = images.reshape(10000, -1)
            first = x.numpy().reshape(len(y.numpy()), -1)
            for row, label in zip(first[:8], y.numpy()[:8]):
                idx = np.nonzero((flat == np.round(row * 255)).all(axis=1))[0]
                assert label in mnist_test.targets.numpy()[idx]
        np.add.at(seen, y.numpy(), 1)
    assert seen[:10].tolist() == TEST_COUNTS


def test_real_getbatch_equals_collated_items(mnist_test):
    idx = [9999, 0, 17, 17]
    bx, by = mnist_test.__getbatch__(idx)
    ref_x, ref_y = default_collate([mnist_test[i] for i in idx])
    np.testing.assert_array_equal(bx.numpy(), ref_x.numpy())
    np.testing.assert_array_equal(by.numpy(), ref_y.numpy())
    sub = Subset(mnist_test, [3, 1])
    _sx, sy = next(iter(DataLoader(sub, batch_size=2)))
    np.testing.assert_array_equal(sy.numpy(), mnist_test.targets.numpy()[[3, 1]])


def test_root_layouts_and_env(mnist_dir, monkeypatch):
    parent = mnist_dir.parent
    ds = MNIST(parent, train=False)  # a folder holding mnist/
    assert len(ds) == 10000 and os.path.samefile(ds.raw_folder, mnist_dir)
    monkeypatch.setenv("EMBER_DATA", str(parent))
    assert len(MNIST(train=False)) == 10000
    monkeypatch.delenv("EMBER_DATA")
    with pytest.raises(ValueError, match="MNIST: no data folder given; pass root=.* EMBER_DATA"):
        MNIST(train=False)


def test_truncated_real_gz_raises(mnist_dir, tmp_path):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        data = (mnist_dir / name).read_bytes()
        (tmp_path / name).write_bytes(data if "labels" in name else data[: len(data) // 2])
    with pytest.raises(
        RuntimeError,
        match=r"MNIST: .*t10k-images-idx3-ubyte\.gz is corrupt or "
        r"truncated",
    ):
        MNIST(tmp_path, train=False)


# ---- synthetic files -------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_synthetic_gz_and_raw(tmp_path, gz):
    images, labels = make_split(tmp_path, "t10k", n=5, gz=gz)
    ds = MNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels.astype(np.int64))
    x, y = ds[2]
    np.testing.assert_allclose(x.numpy()[0], images[2].astype(np.float32) / 255, rtol=1e-6)
    assert y == labels[2]


def test_raw_preferred_and_layouts(tmp_path):
    make_split(tmp_path / "MNIST" / "raw", "train", n=3)
    assert len(MNIST(tmp_path)) == 3
    make_split(tmp_path / "mnist", "train", n=4)
    assert len(MNIST(tmp_path)) == 4  # mnist/ is searched before MNIST/raw/
    make_split(tmp_path, "train", n=2, gz=False)
    assert len(MNIST(tmp_path)) == 2  # root itself first


def test_missing_files_message(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path, train=True)
    msg = str(info.value)
    assert msg.startswith("MNIST: training files not found")
    assert "train-images-idx3-ubyte[.gz] (47,040,016 bytes uncompressed)" in msg
    assert "train-labels-idx1-ubyte[.gz] (60,008 bytes uncompressed)" in msg
    assert str(tmp_path) in msg and os.path.join(str(tmp_path), "MNIST", "raw") in msg
    _images, _ = make_split(tmp_path, "t10k", n=2)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(
        FileNotFoundError,
        match=r"t10k-labels-idx1-ubyte\[\.gz\] \(10,008 bytes"
        r".*has only t10k-images-idx3-ubyte",
    ):
        MNIST(tmp_path, train=False)


def test_truncated_raw_file(tmp_path):
    make_split(tmp_path, "train", n=4, gz=False)
    p = tmp_path / "train-images-idx3-ubyte"
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(
        RuntimeError,
        match=r"train-images-idx3-ubyte is truncated: the IDX header "
        r"promises dims \(4, 28, 28\) \(3136 bytes of data\) "
        r"but only 3036",
    ):
        MNIST(tmp_path)


def test_trailing_bytes_and_bad_magic(tmp_path):
    make_split(tmp_path, "train", n=4, gz=False)
    p = tmp_path / "train-labels-idx1-ubyte"
    p.write_bytes(p.read_bytes() + b"\x00")
    with pytest.raises(RuntimeError, match="is corrupt: more data follows the 4 bytes"):
        MNIST(tmp_path)
    p.write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(RuntimeError, match="is not an IDX file: bad magic number 12340801"):
        MNIST(tmp_path)
    p.write_bytes(b"")
    with pytest.raises(RuntimeError, match=r"bad magic number \(empty\)"):
        MNIST(tmp_path)


def test_not_gzip_named_gz(tmp_path):
    make_split(tmp_path, "train", n=2)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip data at all")
    with pytest.raises(RuntimeError, match="is corrupt or truncated"):
        MNIST(tmp_path)


def test_inconsistent_files(tmp_path):
    make_split(tmp_path, "train", n=4)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(RuntimeError, match="has 4 images but .* has 3 labels"):
        MNIST(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([0, 1, 12, 3], np.uint8))
    with pytest.raises(RuntimeError, match=r"holds label 12; expected labels in \[0, 9\]"):
        MNIST(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros((4, 2), np.uint8))
    with pytest.raises(RuntimeError, match=r"expected uint8 labels \(magic number 2049"):
        MNIST(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((4, 28, 28), np.int32))
    with pytest.raises(RuntimeError, match=r"holds int32 data .* expected uint8 images"):
        MNIST(tmp_path)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_roundtrip(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    out = read_idx(write_idx(tmp_path / "a.idx", arr))
    assert out.dtype == np.dtype(dtype) and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "a.idx.gz", arr)), arr)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


def test_transforms(tmp_path):
    images, labels = make_split(tmp_path, "train", n=5)
    ds = MNIST(tmp_path, transform=lambda t: t * 2, target_transform=lambda y: y + 100)
    x, y = ds[1]
    np.testing.assert_allclose(x.numpy()[0], images[1] / 255.0 * 2, rtol=1e-6)
    assert y == labels[1] + 100
    bx, by = next(iter(DataLoader(ds, batch_size=5)))
    np.testing.assert_array_equal(by.numpy(), labels.astype(np.int64) + 100)
    np.testing.assert_allclose(bx.numpy()[:, 0], images / 255.0 * 2, rtol=1e-6)


def test_index_errors(tmp_path):
    make_split(tmp_path, "train", n=3)
    ds = MNIST(tmp_path)
    with pytest.raises(IndexError, match="MNIST: index 3 is out of range for a dataset of size 3"):
        ds[3]
    with pytest.raises(TypeError, match="MNIST: index must be an integer, got str"):
        ds["0"]
    assert "Number of datapoints: 3" in repr(ds)


def test_fashion_mnist_layout_and_classes(tmp_path):
    images, _labels = make_split(tmp_path / "FashionMNIST" / "raw", "t10k", n=3)
    ds = FashionMNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds.classes[9] == "Ankle boot" and len(ds.classes) == 10
    with pytest.raises(
        FileNotFoundError,
        match=r"FashionMNIST: training files not found.*"
        r"fashion-mnist",
    ):
        FashionMNIST(tmp_path, train=True)


# ---- download (local file:// mirrors only; nothing leaves the machine) ----------------------


def _mirror(tmp_path, n=4):
    src = tmp_path / "mirror"
    src.mkdir()
    make_split(src, "train", n=n, seed=1)
    make_split(src, "t10k", n=2, seed=2)
    resources = []
    for name in (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ):
        resources.append((name, hashlib.md5((src / name).read_bytes()).hexdigest()))
    return src, resources


def test_download_from_file_mirror(tmp_path):
    src, resources = _mirror(tmp_path)

    class Local(MNIST):
        pass

    Local.mirrors = [(tmp_path / "missing").as_uri() + "/", src.as_uri() + "/"]
    Local.resources = resources
    root = tmp_path / "root"
    ds = Local(root, train=True, download=True)
    assert len(ds) == 4
    raw = root / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(r[0] for r in resources)  # no temp files left
    assert (raw / "train-images-idx3-ubyte.gz").read_bytes() == (
        src / "train-images-idx3-ubyte.gz"
    ).read_bytes()
    # a second construction finds the files and does not fetch again
    shutil.rmtree(src)
    assert len(Local(root, train=False, download=True)) == 2


def test_download_checksum_mismatch(tmp_path):
    src, resources = _mirror(tmp_path)

    class Bad(MNIST):
        pass

    Bad.mirrors = [src.as_uri() + "/"]
    Bad.resources = [(name, "0" * 32) for name, _ in resources]
    root = tmp_path / "root"
    with pytest.raises(
        RuntimeError,
        match=r"Bad: could not download train-images-idx3-ubyte\.gz"
        r".*checksum mismatch: MD5 [0-9a-f]{32}, expected 0{32}",
    ):
        Bad(root, download=True)
    assert os.listdir(root / "MNIST" / "raw") == []  # nothing half-written


def test_download_not_attempted_when_files_present(tmp_path, monkeypatch):
    import ember.datasets.mnist as mod

    make_split(tmp_path, "train", n=2)

    def boom(*args, **kwargs):
        raise AssertionError("download attempted")

    monkeypatch.setattr(mod, "_fetch", boom)
    assert len(MNIST(tmp_path, download=True)) == 2


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_with_a_header_promising_terabytes_raises_without_allocating(tmp_path, suffix):
    import gzip
    import struct
    import tracemalloc

    body = b"\0\0\x08\x03" + struct.pack(">III", 0xFFFFFFFF, 28, 28) + b"\0" * 100
    p = tmp_path / f"bad.idx{suffix}"
    p.write_bytes(gzip.compress(body) if suffix else body)
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match=r"truncated: .* but only 100 bytes follow"):
            read_idx(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20  # the header claims 3 TiB
