"""The canonical Keras example, end to end: one epoch of Dense(10, relu) -> Dense(10, softmax)
with Adam on real MNIST through ember.keras."""

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
def test_mnist_keras_one_epoch_reaches_88_percent(capsys):
    sys.path.insert(0, os.path.join(REPO, "examples"))
    try:
        spec = importlib.util.spec_from_file_location(
            "mnist_keras", os.path.join(REPO, "examples", "mnist_keras.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        accuracy = mod.main(["--epochs", "1", "--data-dir", MNIST_DIR, "--verbose", "2"])
    finally:
        sys.path.remove(os.path.join(REPO, "examples"))
    out = capsys.readouterr().out
    assert "Total params: 7,960" in out
    assert "Epoch 1/1" in out and "accuracy:" in out
    assert accuracy >= 0.88, out
