"""Logistic regression on real MNIST digits 0 vs 1, by plain gradient descent with ember autograd.

Model: p(y = 1 | x) = sigmoid(w . x + b) on the 784 pixels scaled to [0, 1]. Cost: the mean
binary cross-entropy, written from the logits z = w . x + b in the numerically stable form

    BCE(z, y) = max(z, 0) - z * y + log(1 + exp(-|z|)),   max(z, 0) = (z + |z|) / 2

which equals -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] but never takes the log of 0
or overflows exp. Each epoch is one full-batch gradient step (backward, update under
``ember.no_grad()``, zero the gradients). Prints the training cost per epoch and the test
accuracy (predict 1 when sigmoid(z) >= 0.5).

The MNIST IDX files are read from ``--data-dir``, else ``$EMBER_DATA``, else the folder
``shared/datasets/mnist`` next to the repository (``../shared/datasets/mnist`` from its root).

    python examples/logistic_regression.py [--data-dir DIR] [--epochs 50] [--lr 1.0]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import ember
import numpy as np
from ember.datasets import MNIST
from ember.utils.data import DataLoader, Subset


def default_data_dir() -> str | None:
    """``$EMBER_DATA``, else ``shared/datasets/mnist`` beside the repository (or above it)."""
    env = os.environ.get("EMBER_DATA")
    if env:
        return env
    repo = Path(__file__).resolve().parent.parent
    for parent in [repo, *repo.parents][1:4]:
        candidate = parent / "shared" / "datasets" / "mnist"
        if candidate.is_dir():
            return str(candidate)
    return None


def load_two_digits(root: str, train: bool, digits: tuple[int, int] = (0, 1)):
    """Flattened images (N, 784) float32 in [0, 1] and labels (N,) float32: 1.0 for digits[1]."""
    ds = MNIST(root, train=train)
    labels = ds.targets.numpy()
    keep = np.nonzero((labels == digits[0]) | (labels == digits[1]))[0]
    subset = Subset(ds, keep)
    # One batch holding the whole subset: the loader gathers it with a single numpy indexing.
    images, targets = next(iter(DataLoader(subset, batch_size=len(subset))))
    x = images.reshape(len(subset), -1)
    y = (targets == digits[1]).float()
    return x, y


def bce_with_logits(z: ember.Tensor, y: ember.Tensor) -> ember.Tensor:
    """Mean binary cross-entropy from logits ``z`` and 0/1 targets ``y`` (stable form).

    ``max(z, 0)`` is written ``(z + |z|) / 2`` so that its kink at ``z = 0`` and the one of
    ``log(1 + exp(-|z|))`` both take the derivative of ``|z|`` at 0 as 0 and cancel: the
    gradient there is ``sigmoid(0) - y = 0.5 - y``, as it must be (every logit is 0 at the
    start, when w = 0 and b = 0).
    """
    abs_z = z.abs()
    return ((z + abs_z) / 2 - z * y + ember.log1p(ember.exp(-abs_z))).mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with the MNIST IDX files (default: $EMBER_DATA, else "
        "../shared/datasets/mnist from the repository root)",
    )
    parser.add_argument("--epochs", type=int, default=50, help="full-batch gradient steps")
    parser.add_argument("--lr", type=float, default=1.0, help="learning rate per step")
    parser.add_argument("--print-every", type=int, default=5)
    args = parser.parse_args()

    root = args.data_dir or default_data_dir()
    if root is None:
        parser.error("no MNIST folder: pass --data-dir or set EMBER_DATA")

    x_train, y_train = load_two_digits(root, train=True)
    x_test, y_test = load_two_digits(root, train=False)
    print(
        f"train: {x_train.shape[0]} images, test: {x_test.shape[0]} images, "
        f"{x_train.shape[1]} features"
    )

    w = ember.zeros(x_train.shape[1], requires_grad=True)
    b = ember.zeros(1, requires_grad=True)
    for epoch in range(1, args.epochs + 1):
        cost = bce_with_logits(ember.matmul(x_train, w) + b, y_train)
        cost.backward()
        with ember.no_grad():
            w.sub_(args.lr * w.grad)
            b.sub_(args.lr * b.grad)
        w.grad.zero_()
        b.grad.zero_()
        if epoch % args.print_every == 0 or epoch == 1 or epoch == args.epochs:
            print(f"epoch {epoch:4d}  train loss {cost.item():.5f}")

    with ember.no_grad():
        z_test = ember.matmul(x_test, w) + b
        y_hat = ember.sigmoid(z_test)  # p(digit 1 | x)
        accuracy = ((y_hat >= 0.5).float() == y_test).float().mean().item()
        test_loss = bce_with_logits(z_test, y_test).item()
    print(f"test loss {test_loss:.5f}")
    print(f"test accuracy {100 * accuracy:.2f}%")


if __name__ == "__main__":
    main()
