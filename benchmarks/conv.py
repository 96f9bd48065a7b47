"""Convolution speed, ember vs PyTorch, side by side in one run.

    python benchmarks/conv.py [--quick] [--rounds N]

Rows: one ``Conv2d(64, 64, 3, padding=1)`` forward + backward (input and weight gradients) on a
(32, 64, 32, 32) float32 batch, and one LeNet-style training step (conv 1->6 5x5, ReLU, max-pool
2, conv 6->16 5x5, ReLU, max-pool 2, 256-120-84-10 MLP, cross-entropy, SGD) on a batch of 64
MNIST-sized images. Each framework runs in its own subprocess with 2 threads; times are medians
of repeats in milliseconds; ratio = ember / PyTorch (lower is better for ember). With --rounds N
the two alternate N times and each time is the median over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CONV_ROW = "conv2d 64x64 3x3 (32,64,32,32) fwd+bwd, ms"
LENET_ROW = "LeNet step batch 64, ms"


def _lib(fw: str):
    if fw == "torch":
        import torch

        torch.set_num_threads(2)
        return torch
    import ember

    ember.set_num_threads(2)
    return ember


def group_conv(fw: str, quick: bool) -> dict:
    """Times the two convolution rows for ``fw`` ("ember" or "torch"); milliseconds."""
    import numpy as np
    from _harness import median_time

    lib = _lib(fw)
    nn, F = lib.nn, lib.nn.functional
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    out = {}

    conv = nn.Conv2d(64, 64, 3, padding=1)
    x = lib.from_numpy(rng.standard_normal((32, 64, 32, 32)).astype(np.float32))
    x.requires_grad_(True)

    def conv_step() -> None:
        x.grad = None
        conv.zero_grad()
        conv(x).sum().backward()

    out[CONV_ROW] = median_time(conv_step, 2 if quick else 5, 3 if quick else 7) * 1e3

    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xb = lib.from_numpy(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    yb = lib.from_numpy(rng.integers(0, 10, 64).astype(np.int64))

    def lenet_step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()

    out[LENET_ROW] = median_time(lenet_step, 10 if quick else 50, 3 if quick else 7) * 1e3
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--rounds", type=int, default=1, metavar="N",
                        help="run the two frameworks alternately N times (ember, PyTorch, ember, "
                             "...) and report each one's median over the rounds, with the "
                             "spread of the ratio: on a shared machine one round can be off by 1.5x")
    parser.add_argument("--worker", metavar="FRAMEWORK", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(group_conv(args.worker, args.quick)))
        return
    import torch
    from _harness import machine_line, table

    import statistics

    runs = {"ember": [], "torch": []}
    for _ in range(max(1, args.rounds)):
        for fw in ("ember", "torch"):
            cmd = [sys.executable, __file__, "--worker", fw] + (["--quick"] if args.quick else [])
            run = subprocess.run(cmd, check=True, capture_output=True, text=True)
            runs[fw].append(json.loads(run.stdout.strip().splitlines()[-1]))
    rows = []
    for key in runs["ember"][0]:
        e = statistics.median(r[key] for r in runs["ember"])
        t = statistics.median(r[key] for r in runs["torch"])
        row = [key, f"{e:.4g}", f"{t:.4g}", f"{e / t:.2f}", "≤ 1.0"]
        if args.rounds > 1:
            # Ratios of the rounds' own pairs (run back to back): their range shows the noise.
            pairs = sorted(a[key] / b[key] for a, b in zip(runs["ember"], runs["torch"]))
            row.insert(4, f"{pairs[0]:.2f}-{pairs[-1]:.2f}")
        rows.append(row)
    print(machine_line(torch))
    print()
    head = ["benchmark", "ember", "PyTorch", "ratio", "target"]
    if args.rounds > 1:
        head.insert(4, f"pair ratios ({args.rounds} rounds)")
    print(table(head, rows))


if __name__ == "__main__":
    main()
