import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]


def find_mnist_dir() -> Path | None:
    """The folder with the real MNIST IDX files: $EMBER_DATA/mnist or shared/datasets/mnist
    beside the repository (``../shared/datasets/mnist`` from its root, or one level higher)."""
    env = os.environ.get("EMBER_DATA")
    candidates = [Path(env) / "mnist", Path(env)] if env else []
    candidates += [p / "shared" / "datasets" / "mnist" for p in _REPO.parents[:3]]
    for c in candidates:
        if (c / "train-images-idx3-ubyte.gz").is_file() or (
            c / "train-images-idx3-ubyte"
        ).is_file():
            return c
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    d = find_mnist_dir()
    if d is None:
        pytest.skip(
            f"real MNIST files not found (looked in $EMBER_DATA and "
            f"{_REPO.parent / 'shared/datasets/mnist'}; set EMBER_DATA to the MNIST folder)"
        )
    return d
