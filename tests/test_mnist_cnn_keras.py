"""The Keras CNN example end to end: one epoch on a 10,000-image subset of real MNIST, images
fed channels-last as ``(N, 28, 28, 1)``."""

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
def test_mnist_cnn_keras_one_epoch_on_10k_images_reaches_93_percent(capsys):
    sys.path.insert(0, os.path.join(REPO, "examples"))
    try:
        spec = importlib.util.spec_from_file_location(
            "mnist_cnn_keras", os.path.join(REPO, "examples", "mnist_cnn_keras.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        accuracy = mod.main(["--epochs", "1", "--train-limit", "10000", "--data-dir", MNIST_DIR,
                             "--verbose", "2"])
    finally:
        sys.path.remove(os.path.join(REPO, "examples"))
    out = capsys.readouterr().out
    # 320 + 128 + 18,496 + 256 + 401,536 + 1,290 weights; (None, 28, 28, 32) after the first conv
    assert "Total params: 422,026" in out, out
    assert "(None, 28, 28, 32)" in out and "(None, 3136)" in out, out
    assert "Epoch 1/1" in out and "accuracy:" in out
    assert accuracy >= 0.93, out
