"""MNIST MLP training speed and memory, ember vs PyTorch, side by side in one run.

    python benchmarks/mnist_mlp.py [--quick] [--data-dir DIR]

For each framework and batch size (64, 256) a fresh subprocess trains the 784-128-10 MLP
(ReLU, cross-entropy, Adam lr 1e-3) for one epoch over the 60,000 MNIST training images held
in memory as uint8 (each shuffled batch gathered with index_select and normalized on the fly,
like a DataLoader with a Normalize transform), and reports the epoch's seconds (median over
epochs) and the process's peak resident memory. Both frameworks read the data the same way and
run with 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(HERE)


def _worker(framework: str, batch: int, epochs: int, data_dir: str, limit: int) -> dict:
    import gc
    import time

    import numpy as np
    from ember.datasets import MNIST

    gc.collect()  # a previous run's data, held by reference cycles, must not add to the peak
    ds = MNIST(data_dir, train=True)
    # The images stay uint8 (47 MB) and each batch is gathered and normalized on the fly, as a
    # DataLoader with a Normalize transform does; 188 MB float32 copies of the whole set (the
    # same in both frameworks) would otherwise dominate the memory figure.
    x_np = ds.data.numpy().reshape(-1, 784)
    y_np = ds.targets.numpy().astype(np.int64)
    del ds
    if limit:
        x_np, y_np = x_np[:limit], y_np[:limit]
    n = x_np.shape[0]
    if framework == "torch":
        import torch as lib

        lib.set_num_threads(2)
        nn, F = lib.nn, lib.nn.functional
        from_np = lib.from_numpy
    else:
        import ember as lib

        lib.set_num_threads(2)
        nn, F = lib.nn, lib.nn.functional
        from_np = lib.from_numpy
    lib.manual_seed(0)
    x, y = from_np(x_np), from_np(y_np)
    scale, shift = 1.0 / (255.0 * 0.3081), -0.1307 / 0.3081
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = lib.randperm(n)
        for i in range(0, n, batch):
            idx = perm.narrow(0, i, min(batch, n - i))
            xb = lib.index_select(x, 0, idx).float() * scale + shift
            yb = lib.index_select(y, 0, idx)
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    from _harness import peak_rss_mb

    peak_mb = peak_rss_mb()
    return {"seconds": sorted(times)[len(times) // 2], "peak_mb": peak_mb, "loss": float(loss.item())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 images, one epoch")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("EMBER_DATA") or os.path.normpath(os.path.join(REPO, "..", "shared", "datasets", "mnist")))
    parser.add_argument("--worker", nargs=3, metavar=("FRAMEWORK", "BATCH", "EPOCHS"), help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        fw, batch, epochs = args.worker
        print(json.dumps(_worker(fw, int(batch), int(epochs), args.data_dir, args.limit)))
        return

    from _harness import machine_line, table

    try:
        import torch
    except ImportError:
        torch = None
    epochs = 1 if args.quick else args.epochs
    limit = 10000 if args.quick else 0
    frameworks = ["ember"] + (["torch"] if torch else [])
    rows = []
    for batch in (64, 256):
        res = {}
        for fw in frameworks:
            cmd = [sys.executable, __file__, "--worker", fw, str(batch), str(epochs),
                   "--data-dir", args.data_dir, "--limit", str(limit)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            res[fw] = json.loads(out.strip().splitlines()[-1])
        e = res["ember"]
        if torch:
            t = res["torch"]
            rows.append([str(batch), f"{e['seconds']:.2f}", f"{t['seconds']:.2f}", f"{e['seconds'] / t['seconds']:.2f}",
                         f"{e['peak_mb']:.0f}", f"{t['peak_mb']:.0f}", f"{e['peak_mb'] / t['peak_mb']:.2f}"])
        else:
            rows.append([str(batch), f"{e['seconds']:.2f}", "-", "-", f"{e['peak_mb']:.0f}", "-", "-"])
    print(machine_line(torch))
    print(f"{'10,000' if limit else '60,000'} training images, median of {epochs} epoch(s)\n")
    print(table(["batch", "ember s/epoch", "PyTorch s/epoch", "time ratio", "ember peak MB",
                 "PyTorch peak MB", "memory ratio"], rows))


if __name__ == "__main__":
    main()
