"""The CNN example end to end: one epoch on a 10,000-image subset of real MNIST."""

import importlib.util
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_DIR = os.environ.get("EMBER_DATA") or os.path.normpath(
    os.path.join(REPO, "..", "shared", "datasets", "mnist")
)


@pytest.mark.skipif(
    not os.path.isdir(MNIST_DIR),
    reason=f"real MNIST not found at {MNIST_DIR} (set EMBER_DATA to the MNIST folder)",
)
def test_mnist_cnn_one_epoch_on_10k_images_reaches_93_percent(capsys):
    sys.path.insert(0, os.path.join(REPO, "examples"))
    try:
        spec = importlib.util.spec_from_file_location("mnist_cnn", os.path.join(REPO, "examples", "mnist_cnn.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        accuracy = mod.main(["--epochs", "1", "--train-limit", "10000", "--data-dir", MNIST_DIR])
    finally:
        sys.path.remove(os.path.join(REPO, "examples"))
    out = capsys.readouterr().out
    assert "epoch 1: loss" in out
    assert "Conv2d(32, 64, kernel_size=(3, 3)" in out
    assert accuracy >= 0.93, out
