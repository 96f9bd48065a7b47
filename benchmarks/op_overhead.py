"""Per-op overhead on small tensors: microseconds per call, ember vs PyTorch, in one run.

    python benchmarks/op_overhead.py [--quick]

Small tensors make the arithmetic negligible, so the time is the framework's own cost per op:
argument parsing, dispatch, allocation and (for the backward rows) autograd bookkeeping.
Both frameworks run interleaved in this process; each figure is a median of repeats.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
from _harness import compare_main


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

    def number(name: str, quick: bool) -> int:
        n = 300 if quick else 2000
        return n // 10 if "backward" in name or "matmul" in name else n

    compare_main(__doc__, cases, "op", number)


if __name__ == "__main__":
    main()
