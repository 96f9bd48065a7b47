"""Where the examples find MNIST: --data-dir, else $EMBER_DATA, else the repository's shared
copy (../shared/datasets/mnist from the repository root), else a user cache with download."""

from __future__ import annotations

import os

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mnist_root(data_dir: str | None) -> tuple[str, bool]:
    """Returns (root folder, whether to download into it)."""
    if data_dir:
        if not os.path.isdir(data_dir):
            raise SystemExit(f"--data-dir {data_dir}: no such folder; give the folder that holds "
                             "the MNIST files (train-images-idx3-ubyte.gz and the others)")
        return data_dir, False
    if os.environ.get("EMBER_DATA"):
        return os.environ["EMBER_DATA"], False
    shared = os.path.normpath(os.path.join(_REPO, "..", "shared", "datasets", "mnist"))
    if os.path.isdir(shared):
        return shared, False
    cache = os.path.join(os.path.expanduser("~"), ".cache", "ember", "mnist")
    print(f"MNIST not found in {shared} (and no --data-dir or EMBER_DATA given); "
          f"using {cache}, downloading what is missing")
    return cache, True
