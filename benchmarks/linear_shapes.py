"""Linear-layer forwards (x @ W.T) of small-model shapes beyond the run_all rows:
microseconds per call, ember vs PyTorch in one run (2 threads each).

    python benchmarks/linear_shapes.py [--quick]

Layers with few inputs (2 to 32 features: tabular data, coordinates, small embeddings) at
batches 4 to 256, an LSTM-sized recurrent product (32x128 @ 128x512), and layers with 64 and 128
inputs at batches 64 to 256. Forward only, under
no_grad. Medians of repeats; lower is better; the last column is ember ÷ PyTorch.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ember
import numpy as np
from _harness import machine_line, optional_torch, side_by_side, table

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
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    torch = optional_torch(2)
    ember.set_num_threads(2)
    repeat = 3 if args.quick else 7
    number = (lambda name: 50) if args.quick else (lambda name: 400)
    with ember.no_grad():
        ember_cases = cases(ember, ember.from_numpy)
        if torch:
            with torch.no_grad():
                torch_cases = cases(torch, torch.from_numpy)
                rows = side_by_side(ember_cases, torch_cases, number, repeat)
        else:
            rows = side_by_side(ember_cases, {}, number, repeat)
    print(machine_line(torch))
    print()
    print(table(["linear forward (float32)", "ember µs", "PyTorch µs", "ember ÷ PyTorch"], rows))


if __name__ == "__main__":
    main()
