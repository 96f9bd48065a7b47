"""``keras.datasets.mnist.load_data()``: MNIST as numpy arrays, read by ``ember.datasets.MNIST``."""

from __future__ import annotations

import os

import numpy as np

__all__ = ["load_data"]


def load_data(path: str | os.PathLike | None = None) -> tuple[tuple[np.ndarray, np.ndarray],
                                                              tuple[np.ndarray, np.ndarray]]:
    """The MNIST digits: ``(x_train, y_train), (x_test, y_test)``.

    Args:
        path: folder with the IDX files. Default ``$EMBER_DATA`` if set, else
            ``~/.cache/ember/mnist`` (downloaded there if missing).
    Returns:
        ``x_*``: uint8 arrays ``(60000, 28, 28)`` / ``(10000, 28, 28)`` of pixels in [0, 255];
        ``y_*``: uint8 labels in [0, 9].
    Raises:
        FileNotFoundError: ``path`` (or ``$EMBER_DATA``) lacks the files.
    """
    from ...datasets import MNIST

    download = False
    if path is None:
        path = os.environ.get("EMBER_DATA")
        if not path:
            path = os.path.join(os.path.expanduser("~"), ".cache", "ember", "mnist")
            download = True
    train = MNIST(os.fspath(path), train=True, download=download)
    test = MNIST(os.fspath(path), train=False, download=download)
    return ((np.asarray(train.data.numpy(), dtype=np.uint8),
             np.asarray(train.targets.numpy(), dtype=np.uint8)),
            (np.asarray(test.data.numpy(), dtype=np.uint8),
             np.asarray(test.targets.numpy(), dtype=np.uint8)))
