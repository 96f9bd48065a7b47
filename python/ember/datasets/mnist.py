"""MNIST and Fashion-MNIST from the standard IDX files (gzip-compressed or raw)."""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

import ember
from ember.utils._atomic import atomic_open
from ember.utils.data import Dataset
from ember.utils.data._utils import as_index_array
from ember.utils.data.dataloader import default_collate

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

# IDX element type codes (third byte of the magic number) -> big-endian numpy dtype.
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CHUNK = 1 << 20


def _read_upto(f: Any, nbytes: int) -> bytearray:
    """Up to ``nbytes`` bytes from ``f`` (fewer at its end), read in chunks, so a corrupt header
    that promises terabytes fails on the short read instead of allocating them first."""
    buf = bytearray()
    while len(buf) < nbytes:
        block = f.read(min(nbytes - len(buf), 16 * _CHUNK))
        if not block:
            break
        buf += block
    return buf


def read_idx(path: str | os.PathLike, *, name: str = "read_idx") -> np.ndarray:
    """Read one IDX file (``.gz`` or raw) into a native-endian numpy array.

    The format: a 4-byte magic number (two zero bytes, an element type code, the number of
    dimensions), then one big-endian uint32 per dimension, then the elements in C order.

    Args:
        path: file path; names ending in ``.gz`` are decompressed on the fly.
        name: prefix for error messages.
    Returns:
        numpy array with the dimensions from the header (uint8 for MNIST files).
    Raises:
        FileNotFoundError: ``path`` does not exist.
        RuntimeError: bad magic number, unknown type code, or a payload shorter or longer than
            the header says (truncated or corrupt file, broken gzip stream).
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
                raise RuntimeError(
                    f"{name}: {path} is not an IDX file: bad magic number {head.hex() or '(empty)'}"
                    " (expected 0x0000 then a type code and the number of dimensions)"
                )
            dtype, ndim = _IDX_TYPES[head[2]], head[3]
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) != 4 * ndim:
                raise RuntimeError(f"{name}: {path} is truncated inside its IDX header")
            dims = tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4"))
            nbytes = int(np.prod(dims, dtype=object)) * dtype.itemsize
            data = _read_upto(f, nbytes)
            if len(data) != nbytes:
                raise RuntimeError(
                    f"{name}: {path} is truncated: the IDX header promises dims {dims} "
                    f"({nbytes} bytes of data) but only {len(data)} bytes follow"
                )
            if f.read(1):
                raise RuntimeError(
                    f"{name}: {path} is corrupt: more data follows the {nbytes} bytes that "
                    f"its IDX header (dims {dims}) describes"
                )
            arr = np.frombuffer(data, dtype=dtype).reshape(dims)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise RuntimeError(f"{name}: {path} is corrupt or truncated (gzip: {e})") from None
    return arr.astype(dtype.newbyteorder("="), copy=False)


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _fetch(url: str, dest: Path, md5: str | None, timeout: float = 60.0) -> None:
    """Download ``url`` to ``dest`` atomically (``atomic_open``), checking its MD5."""
    with atomic_open(dest) as out, urllib.request.urlopen(url, timeout=timeout) as resp:
        h = hashlib.md5(usedforsecurity=False)
        for block in iter(lambda: resp.read(_CHUNK), b""):
            h.update(block)
            out.write(block)
        if md5 is not None and h.hexdigest() != md5:
            raise RuntimeError(f"checksum mismatch: MD5 {h.hexdigest()}, expected {md5}")


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28, labels 0-9.

    Reads the four standard IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each gzip-compressed (``.gz``) or
    raw. The IDX headers are checked (magic numbers 2051 for images and 2049 for labels, sizes
    consistent with the data, as many labels as images, labels in range).

    The folder is found from ``root`` (else the environment variable ``EMBER_DATA``): the files
    may lie in ``root`` itself or in one of its subfolders ``mnist/``, ``MNIST/raw/`` or
    ``MNIST/`` (``fashion-mnist/``, ``fashion_mnist/``, ``FashionMNIST/raw/`` or
    ``FashionMNIST/`` for :class:`FashionMNIST`).

    Samples: without ``transform``, ``ds[i]`` is ``(image, label)`` with ``image`` a float32
    tensor of shape ``(1, 28, 28)`` holding the pixels divided by 255 (values in [0, 1], like
    torchvision's ``ToTensor``) and ``label`` a Python int. There is no PIL here, so
    ``transform`` receives that float32 tensor and ``target_transform`` the int label. For
    speed, a DataLoader with the default ``collate_fn`` gathers whole batches at once through
    ``__getbatch__``: images ``(B, 1, 28, 28)`` float32 and labels ``(B,)`` int64 when there are
    no transforms (with transforms it applies them sample by sample). The raw data is also
    available whole as ``.data`` and ``.targets``.

    Args:
        root: folder holding the files (see above); default ``$EMBER_DATA``.
        train: the 60,000 training images if True (default), else the 10,000 test images.
        download: fetch the four ``.gz`` files into ``root/MNIST/raw`` from ``mirrors`` when
            they are not found, verifying their MD5 checksums; files are written to a temporary
            name and renamed into place.
        transform: callable applied to each image tensor.
        target_transform: callable applied to each int label.
    Attributes:
        data: uint8 tensor ``(N, 28, 28)``; targets: int64 tensor ``(N,)``;
        classes: the class names; raw_folder: the folder the files were read from.
    Raises:
        ValueError: no ``root`` given and ``EMBER_DATA`` unset.
        FileNotFoundError: the files are in none of the folders searched (the message lists
            the folders, file names and expected sizes).
        RuntimeError: a corrupt or truncated file, or a failed download.
    Reference:
        Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten digits".
    Example:
        >>> ds = MNIST("/data", train=False)  # doctest: +SKIP
        >>> image, label = ds[0]; image.shape, label  # doctest: +SKIP
        ((1, 28, 28), 7)
    """

    mirrors: ClassVar[list] = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources: ClassVar[list] = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes: ClassVar[list] = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]
    _subfolders: ClassVar[tuple] = ("mnist", os.path.join("MNIST", "raw"), "MNIST")
    _download_folder = os.path.join("MNIST", "raw")
    _raw_sizes: ClassVar[dict] = {
        "train-images-idx3-ubyte": 47_040_016,
        "train-labels-idx1-ubyte": 60_008,
        "t10k-images-idx3-ubyte": 7_840_016,
        "t10k-labels-idx1-ubyte": 10_008,
    }

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        download: bool = False,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        name = type(self).__name__
        self.root = self._resolve_root(root)
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if self.train else "t10k"
        self._names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")

        found = self._find()
        if found is None and download:
            self.download()
            found = self._find()
        if found is None:
            raise FileNotFoundError(self._missing_message())
        self.raw_folder, image_path, label_path = found

        images = read_idx(image_path, name=name)
        labels = read_idx(label_path, name=name)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise RuntimeError(
                f"{name}: {image_path} holds {images.dtype} data of shape {images.shape}; "
                "expected uint8 images (magic number 2051, 3 dimensions)"
            )
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise RuntimeError(
                f"{name}: {label_path} holds {labels.dtype} data of shape {labels.shape}; "
                "expected uint8 labels (magic number 2049, 1 dimension)"
            )
        if images.shape[0] != labels.shape[0]:
            raise RuntimeError(
                f"{name}: {image_path} has {images.shape[0]} images but {label_path} has "
                f"{labels.shape[0]} labels"
            )
        if labels.size and int(labels.max()) >= len(self.classes):
            raise RuntimeError(
                f"{name}: {label_path} holds label {int(labels.max())}; expected labels in "
                f"[0, {len(self.classes) - 1}]"
            )
        self._images = images
        self._labels = labels.astype(np.int64)
        self.data = ember.from_numpy(self._images)
        self.targets = ember.from_numpy(self._labels)

    # ---- locating files ----------------------------------------------------------------

    @classmethod
    def _resolve_root(cls, root: str | os.PathLike | None) -> str:
        if root is None:
            root = os.environ.get("EMBER_DATA") or None
            if root is None:
                raise ValueError(
                    f"{cls.__name__}: no data folder given; pass root=... or set the "
                    "environment variable EMBER_DATA"
                )
        return os.path.expanduser(os.fspath(root))

    def _candidates(self) -> list[str]:
        return [self.root] + [os.path.join(self.root, sub) for sub in self._subfolders]

    @staticmethod
    def _file_in(folder: str, base: str) -> str | None:
        for fname in (base, base + ".gz"):
            p = os.path.join(folder, fname)
            if os.path.isfile(p):
                return p
        return None

    def _find(self) -> tuple[str, str, str] | None:
        for folder in self._candidates():
            paths = [self._file_in(folder, base) for base in self._names]
            if all(paths):
                return folder, paths[0], paths[1]  # type: ignore[return-value]
        return None

    def _missing_message(self) -> str:
        name = type(self).__name__
        split = "training" if self.train else "test"
        files = " and ".join(
            f"{base}[.gz] ({self._raw_sizes[base]:,} bytes uncompressed)" for base in self._names
        )
        partial = []
        for folder in self._candidates():
            have = [b for b in self._names if self._file_in(folder, b)]
            if have:
                partial.append(f" ({folder} has only {have[0]})")
        return (
            f"{name}: {split} files not found: expected {files} in one of the folders "
            f"{', '.join(self._candidates())}{''.join(partial)}; set root=, EMBER_DATA, or pass "
            "download=True"
        )

    def download(self) -> None:
        """Fetch the ``.gz`` files missing from ``root/MNIST/raw`` and check their MD5s.

        (``root/FashionMNIST/raw`` for :class:`FashionMNIST`.)

        Each file is tried on every URL in ``mirrors`` in turn; a file already present with the
        right checksum is kept.

        Raises:
            RuntimeError: a file could not be fetched with the right checksum from any mirror
                (the message lists each URL tried and why it failed).
        """
        name = type(self).__name__
        folder = Path(self.root) / self._download_folder
        folder.mkdir(parents=True, exist_ok=True)
        for filename, md5 in self.resources:
            dest = folder / filename
            if dest.is_file() and _md5(dest) == md5:
                continue
            errors = []
            for mirror in self.mirrors:
                url = mirror + filename
                try:
                    _fetch(url, dest, md5)
                    break
                except (OSError, RuntimeError, ValueError) as e:
                    errors.append(f"{url}: {e}")
            else:
                raise RuntimeError(
                    f"{name}: could not download {filename} into {folder}; tried "
                    + "; ".join(errors)
                    + ". If the files are already on this machine, pass their folder as root "
                    "(examples: --data-dir) or set the EMBER_DATA environment variable."
                )

    # ---- samples -----------------------------------------------------------------------

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Mapping from class name to label index."""
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return self._images.shape[0]

    def __getitem__(self, index: Any) -> tuple[Any, Any]:
        n = len(self)
        if isinstance(index, ember.Tensor):
            index = index.item()
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(
                f"{type(self).__name__}: index must be an integer, got {type(index).__name__}"
            )
        if not -n <= index < n:
            raise IndexError(
                f"{type(self).__name__}: index {index} is out of range for a dataset of size {n}"
            )
        pixels = self._images[index]
        image: Any = ember.from_numpy(
            np.divide(pixels, 255, dtype=np.float32).reshape(1, *pixels.shape)
        )
        target: Any = int(self._labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getbatch__(self, indices: Any) -> list:
        """Collated batch ``[images (B, 1, 28, 28) float32, labels (B,) int64]`` for ``indices``."""
        idx = as_index_array(indices, len(self), type(self).__name__)
        if self.transform is not None or self.target_transform is not None:
            return default_collate([self[int(i)] for i in idx])
        pixels = self._images[idx]
        images = np.divide(pixels, 255, dtype=np.float32).reshape(len(idx), 1, *pixels.shape[1:])
        return [ember.from_numpy(images), ember.from_numpy(self._labels[idx])]

    def __repr__(self) -> str:
        return (
            f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
            f"    Root location: {self.root}\n    Split: {'Train' if self.train else 'Test'}"
        )


class FashionMNIST(MNIST):
    """Fashion-MNIST: Zalando article images, same format and sizes as :class:`MNIST`.

    Same arguments, attributes and behaviour as :class:`MNIST`; the subfolders searched under
    ``root`` are ``fashion-mnist/``, ``fashion_mnist/``, ``FashionMNIST/raw/`` and
    ``FashionMNIST/``, and ``download=True`` saves into ``root/FashionMNIST/raw``.

    Reference:
        H. Xiao, K. Rasul, R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking
        Machine Learning Algorithms", arXiv:1708.07747, 2017.
    """

    mirrors: ClassVar[list] = [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ]
    resources: ClassVar[list] = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes: ClassVar[list] = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
    _subfolders: ClassVar[tuple] = (
        "fashion-mnist",
        "fashion_mnist",
        os.path.join("FashionMNIST", "raw"),
        "FashionMNIST",
    )
    _download_folder = os.path.join("FashionMNIST", "raw")
