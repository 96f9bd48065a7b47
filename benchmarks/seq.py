"""Sequence models, ember vs PyTorch: one training step (forward, backward, Adam) of an LSTM
and of a Transformer encoder.

    python benchmarks/seq.py [--quick]

Rows: ``nn.LSTM(64, 128)`` over 50 steps of a batch of 32; a 2-layer
``nn.TransformerEncoder`` (d_model 128, 4 heads, feed-forward 512, no dropout) over a batch of
32 sequences of length 50, mean-pooled into a 10-way classifier with cross-entropy. Each
framework runs in its own subprocess with 2 threads; times are medians of repeats in
milliseconds; ratio = ember / PyTorch (lower is better for ember).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

LSTM_ROW = "LSTM step (L=50, N=32, H=128), ms"
TRANSFORMER_ROW = "TransformerEncoder step (2 layers, d=128, N=32, L=50), ms"


def group_seq(fw: str, quick: bool) -> dict:
    """Times the sequence rows for ``fw`` ("ember" or "torch"); milliseconds."""
    import numpy as np
    from _harness import median_time
    from conv import _lib  # the framework with 2 threads

    lib = _lib(fw)
    nn, F = lib.nn, lib.nn.functional
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    out = {}

    lstm = nn.LSTM(64, 128)
    opt = lib.optim.Adam(lstm.parameters(), lr=1e-3)
    x = lib.from_numpy(rng.standard_normal((50, 32, 64)).astype(np.float32))

    def lstm_step() -> None:
        opt.zero_grad()
        y, _ = lstm(x)
        y.pow(2).mean().backward()
        opt.step()

    out[LSTM_ROW] = median_time(lstm_step, 2 if quick else 10, 3 if quick else 7) * 1e3

    layer = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
    enc, head = nn.TransformerEncoder(layer, 2), nn.Linear(128, 10)
    params = list(enc.parameters()) + list(head.parameters())
    opt2 = lib.optim.Adam(params, lr=1e-3)
    xs = lib.from_numpy(rng.standard_normal((32, 50, 128)).astype(np.float32))
    ys = lib.from_numpy(rng.integers(0, 10, 32).astype(np.int64))

    def transformer_step() -> None:
        opt2.zero_grad()
        F.cross_entropy(head(enc(xs).mean(1)), ys).backward()
        opt2.step()

    out[TRANSFORMER_ROW] = median_time(transformer_step, 2 if quick else 5, 3 if quick else 7) * 1e3
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", metavar="FRAMEWORK", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(group_seq(args.worker, args.quick)))
        return
    res = {}
    for fw in ("ember", "torch"):
        cmd = [sys.executable, __file__, "--worker", fw] + (["--quick"] if args.quick else [])
        res[fw] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    for key, e in res["ember"].items():
        t = res["torch"][key]
        print(f"{key}: ember {e:.3g}, PyTorch {t:.3g}, ratio {e / t:.2f}")


if __name__ == "__main__":
    main()
