"""Per-op overhead on small tensors: microseconds per call, ember vs PyTorch, in one run.

    python benchmarks/op_overhead.py [--quick]

Small tensors make the arithmetic negligible, so the time is the framework's own cost per op:
argument parsing, dispatch, allocation and (for the backward rows) autograd bookkeeping.
Both frameworks run interleaved in this process; each figure is a median of repeats.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ember
import numpy as np
from _harness import machine_line, optional_torch, side_by_side, table


def cases(lib, t_from_np):
    rng = np.random.default_rng(0)
    a = t_from_np(rng.standard_normal((64, 64)).astype(np.float32))
    b = t_from_np(rng.standard_normal((64, 64)).astype(np.float32))
    v = t_from_np(rng.standard_normal(16).astype(np.float32))
    w = t_from_np(rng.standard_normal(16).astype(np.float32))
    ag = t_from_np(rng.standard_normal((64, 64)).astype(np.float32)).requires_grad_(True)
    bg = t_from_np(rng.standard_normal((64, 64)).astype(np.float32)).requires_grad_(True)

    def chain_fwd_bwd():
        y = (lib.matmul(ag, bg).relu() * 2.0 + 1.0).sum()
        y.backward()

    return {
        "add (16 floats)": lambda: v + w,
        "mul (16 floats)": lambda: v * w,
        "relu (16 floats)": lambda: lib.relu(v),
        "add (64x64)": lambda: a + b,
        "matmul 64x64": lambda: lib.matmul(a, b),
        "sum (64x64)": lambda: a.sum(),
        "forward+backward: matmul, relu, *2, +1, sum (64x64)": chain_fwd_bwd,
    }


def main() -> None:
    """Times every case for both frameworks and prints one markdown table of medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    torch = optional_torch(2)
    number = 300 if args.quick else 2000
    repeat = 3 if args.quick else 7
    ember_cases = cases(ember, ember.from_numpy)
    torch_cases = cases(torch, torch.from_numpy) if torch else {}
    rows = side_by_side(
        ember_cases, torch_cases,
        lambda name: number // 10 if "backward" in name or "matmul" in name else number, repeat)
    print(machine_line(torch))
    print()
    print(table(["op", "ember µs", "PyTorch µs", "ember ÷ PyTorch"], rows))


if __name__ == "__main__":
    main()
