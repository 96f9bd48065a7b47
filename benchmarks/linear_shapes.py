"""Linear-layer forwards (x @ W.T) of small-model shapes beyond the run_all rows:
microseconds per call, ember vs PyTorch in one run (2 threads each).

    python benchmarks/linear_shapes.py [--quick]

Layers with few inputs (2 to 32 features: tabular data, coordinates, small embeddings) at
batches 4 to 256, an LSTM-sized recurrent product (32x128 @ 128x512), and layers with 64 and 128
inputs at batches 64 to 256. Forward only, under
no_grad. Medians of repeats; lower is better; the last column is ember ÷ PyTorch.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
from _harness import compare_main

SHAPES = [(64, 2, 512), (256, 2, 128), (16, 8, 512), (64, 8, 256), (4, 32, 512), (64, 32, 512),
          (256, 32, 512), (32, 128, 512), (64, 64, 512), (256, 64, 512), (128, 128, 128),
          (256, 128, 512)]


def cases(lib, t_from_np) -> dict:
    """name -> no-argument callable running F.linear of `lib` on that shape."""
    rng = np.random.default_rng(0)
    out = {}
    for m, k, n in SHAPES:
        x = t_from_np(rng.standard_normal((m, k)).astype(np.float32))
        w = t_from_np(rng.standard_normal((n, k)).astype(np.float32))
        out[f"{m}x{k} @ ({n}x{k}).T"] = (lambda x=x, w=w: lib.nn.functional.linear(x, w))
    return out


def main() -> None:
    """Times every case for both frameworks and prints one markdown table of medians."""
    compare_main(__doc__, cases, "linear forward (float32)",
                 lambda name, quick: 50 if quick else 400, no_grad=True)


if __name__ == "__main__":
    main()
