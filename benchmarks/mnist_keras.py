"""Overhead of ``ember.keras`` ``fit`` over the same training written as an ``ember.nn`` loop.

    python benchmarks/mnist_keras.py [--quick] [--hidden 10 128] [--repeats 5] [--threads 2]

The canonical Keras model (784-h-10, ReLU, softmax, sparse categorical cross entropy, Adam
lr 1e-3 eps 1e-7, batch 32, shuffled every epoch) trains for one epoch over the 60,000 MNIST
training images held in memory, alternately with ``model.fit`` (accuracy metric on) and with
the equivalent PyTorch-style ``ember.nn`` loop, in the same process; the table gives the median
seconds per epoch of each and their ratio. Two loops are timed: the bare loop (zero_grad,
forward, cross_entropy, backward, step) and the same loop also tracking the loss and accuracy
that ``fit`` reports (``loss.item()`` and ``(argmax == y).sum().item()`` each step, as
PyTorch tutorials do). Both gather each batch with ``index_select`` from a per-epoch
``randperm``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(HERE)
MNIST = os.environ.get("EMBER_DATA") or os.path.normpath(
    os.path.join(REPO, "..", "shared", "datasets", "mnist"))


def _data(data_dir: str, limit: int):
    import numpy as np
    from ember.datasets import MNIST as _M

    ds = _M(data_dir, train=True)
    x = ds.data.numpy().reshape(-1, 784).astype(np.float32)
    x /= 255.0
    y = ds.targets.numpy().astype(np.int64)
    if limit:
        x, y = x[:limit], y[:limit]
    return x, y


def _nn_epoch(lib, model, opt, x, y, batch: int, track: bool) -> float:
    F = lib.nn.functional
    n = x.shape[0]
    t0 = time.perf_counter()
    perm = lib.randperm(n)
    running, correct = 0.0, 0
    for i in range(0, n, batch):
        idx = perm.narrow(0, i, min(batch, n - i))
        xb, yb = lib.index_select(x, 0, idx), lib.index_select(y, 0, idx)
        opt.zero_grad()
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        if track:
            running += loss.item() * xb.shape[0]
            correct += (out.argmax(1) == yb).sum().item()
    return time.perf_counter() - t0


def measure(hidden: int, data_dir: str, limit: int, repeats: int, threads: int = 2) -> dict:
    """Median seconds per epoch of keras fit (no bar, and with a bar) and of the nn loops."""
    import ember
    from ember import keras

    ember.set_num_threads(threads)
    x_np, y_np = _data(data_dir, limit)
    x, y = ember.from_numpy(x_np), ember.from_numpy(y_np)
    ember.manual_seed(0)
    kmodel = keras.Sequential([keras.layers.Dense(hidden, activation="relu", input_shape=(784,)),
                               keras.layers.Dense(10, activation="softmax")])
    kmodel.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    nmodel = ember.nn.Sequential(ember.nn.Linear(784, hidden), ember.nn.ReLU(),
                                 ember.nn.Linear(hidden, 10))
    opt = ember.optim.Adam(nmodel.parameters(), lr=1e-3, eps=1e-7)

    def fit(verbose: int) -> float:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            kmodel.fit(x_np, y_np, batch_size=32, epochs=1, verbose=verbose)
        return time.perf_counter() - t0

    fit(0)  # warm-up: imports, allocator caches
    _nn_epoch(ember, nmodel, opt, x, y, 32, False)
    runs: dict[str, list[float]] = {"fit": [], "fit_bar": [], "nn": [], "nn_tracked": []}
    for _ in range(repeats):  # interleaved, so load changes hit every variant alike
        runs["nn"].append(_nn_epoch(ember, nmodel, opt, x, y, 32, False))
        runs["fit"].append(fit(0))
        runs["nn_tracked"].append(_nn_epoch(ember, nmodel, opt, x, y, 32, True))
        runs["fit_bar"].append(fit(1))
    return {k: statistics.median(v) for k, v in runs.items()}


def group_mnist_keras(fw: str, quick: bool) -> dict:
    """run_all.py group: one epoch of the canonical Keras model (batch 32): ember.keras fit for
    ember, the equivalent torch.nn loop (tracking loss and accuracy) for PyTorch."""
    limit = 10000 if quick else 0
    key = "Keras canonical MNIST 784-10-10, batch 32, fit epoch (s)"
    if fw == "torch":
        import torch

        torch.set_num_threads(2)
        x_np, y_np = _data(MNIST, limit)
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(784, 10), torch.nn.ReLU(), torch.nn.Linear(10, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        times = [_nn_epoch(torch, model, opt, x, y, 32, True) for _ in range(1 if quick else 3)]
        return {key: statistics.median(times)}
    r = measure(10, MNIST, limit, 1 if quick else 3)
    return {key: r["fit"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 images, 3 repeats, 10 hidden")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--hidden", type=int, nargs="+", default=[10, 128],
                        help="hidden sizes to run (default 10 128)")
    parser.add_argument("--data-dir", default=MNIST)
    args = parser.parse_args()
    from _harness import machine_line, table

    limit = 10000 if args.quick else 0
    repeats = 3 if args.quick else args.repeats
    rows = []
    for hidden in (10,) if args.quick else args.hidden:
        r = measure(hidden, args.data_dir, limit, repeats, args.threads)
        rows.append([f"784-{hidden}-10", f"{r['nn']:.3f}", f"{r['fit']:.3f}",
                     f"{r['fit'] / r['nn']:.3f}", f"{r['nn_tracked']:.3f}", f"{r['fit_bar']:.3f}",
                     f"{r['fit_bar'] / r['nn_tracked']:.3f}"])
    print(machine_line(None))
    print(f"{'10,000' if limit else '60,000'} training images, batch 32, {args.threads} threads, "
          f"median of {repeats} epochs per variant (interleaved)\n")
    print(table(["model", "nn loop s", "fit s (verbose=0)", "fit / nn", "nn loop + loss/acc s",
                 "fit s (progress bar)", "fit bar / nn+loss/acc"], rows))


if __name__ == "__main__":
    main()
