"""Train a small convolutional network on MNIST the Keras way, with ember.keras.

    python examples/mnist_cnn_keras.py [--epochs 3] [--batch-size 64] [--train-limit N]
                                       [--data-dir DIR]

Images are fed as Keras expects them, ``(N, 28, 28, 1)`` (channels last) scaled to [0, 1].
Two convolution blocks (3x3 'same' conv with ReLU, batch normalization with momentum 0.9 so
the moving statistics settle within the first epoch, 2x2 max-pool; 32 then
64 filters), dropout, and a dense head (3136-128-10, softmax), compiled with Adam,
sparse categorical cross-entropy and accuracy; the learning rate is multiplied by ``--decay``
(default 0.5) after each epoch.
Inside the model the convolution blocks run channels-first, with one layout conversion before
the first convolution and one before ``Flatten``. Prints the summary, each epoch's seconds and
the test accuracy: about 99% after 3 epochs with the defaults (one epoch on the first 10,000
images: about 95%).
"""

from __future__ import annotations

import argparse
import time

from _data import mnist_root
from ember import keras
from ember.keras import layers


class EpochTimer(keras.callbacks.Callback):
    """Records the seconds of each epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._t0)


def build_model() -> keras.Sequential:
    """The CNN: two conv blocks with batch normalization and a dense head."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.BatchNormalization(momentum=0.9),
        layers.MaxPooling2D(2),  # 28x28 -> 14x14
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.BatchNormalization(momentum=0.9),
        layers.MaxPooling2D(2),  # 14x14 -> 7x7
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3, help="initial learning rate")
    parser.add_argument("--decay", type=float, default=0.5,
                        help="learning-rate factor applied after each epoch (default 0.5)")
    parser.add_argument("--train-limit", "--limit", dest="train_limit", type=int, default=0,
                        help="train on the first N images only (0 = all 60,000)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2, help="0 silent, 1 bar, 2 one line/epoch")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    root, _ = mnist_root(args.data_dir)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data(root)
    if args.train_limit:
        x_train, y_train = x_train[: args.train_limit], y_train[: args.train_limit]
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255.0
    print(f"data: {root} ({len(x_train)} train, {len(x_test)} test images)")

    model = build_model()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=args.lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch: args.lr * args.decay ** epoch)
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              callbacks=[timer, schedule], verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    times = ", ".join(f"{s:.1f}" for s in timer.seconds)
    print(f"epoch seconds: {times}")
    print(f"test loss {loss:.4f}  test accuracy {accuracy * 100:.2f}%")
    return accuracy


if __name__ == "__main__":
    main()
