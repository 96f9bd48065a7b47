"""Elementwise float32 ops on 1M values beyond the run_all rows: microseconds per call, ember vs
PyTorch in one run (2 threads each).

    python benchmarks/unary_ops.py [--quick]

Math functions (sin, erf, expm1, ...), rounding, clamp, where and the activations built on
them (GELU, ELU, Softplus, Hardtanh, LogSigmoid, Mish). Both frameworks run interleaved in this
process, op by op; each figure is a median of repeats. Lower is better; the last column is
ember ÷ PyTorch.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
from _harness import compare_main

N = 1 << 20


def cases(lib, functional, t_from_np) -> dict:
    """name -> no-argument callable running that op on 1M float32 values of `lib`."""
    rng = np.random.default_rng(0)
    x = t_from_np(rng.standard_normal(N).astype(np.float32))
    pos = t_from_np((np.abs(rng.standard_normal(N)) + 0.1).astype(np.float32))
    unit = t_from_np(rng.uniform(-0.99, 0.99, N).astype(np.float32))
    mask = x > 0
    F = functional
    return {
        "sin": lambda: x.sin(),
        "cos": lambda: x.cos(),
        "tan": lambda: x.tan(),
        "asin": lambda: unit.asin(),
        "atan": lambda: x.atan(),
        "erf": lambda: x.erf(),
        "erfc": lambda: x.erfc(),
        "exp": lambda: x.exp(),
        "expm1": lambda: x.expm1(),
        "exp2": lambda: x.exp2(),
        "log": lambda: pos.log(),
        "log1p": lambda: pos.log1p(),
        "log2": lambda: pos.log2(),
        "tanh": lambda: x.tanh(),
        "sigmoid": lambda: x.sigmoid(),
        "floor": lambda: x.floor(),
        "round": lambda: x.round(),
        "clamp(-1, 1)": lambda: x.clamp(-1.0, 1.0),
        "where(mask, x, 0)": lambda: lib.where(mask, x, 0.0),
        "where(mask, x, pos)": lambda: lib.where(mask, x, pos),
        "gelu": lambda: F.gelu(x),
        "gelu (tanh)": lambda: F.gelu(x, approximate="tanh"),
        "silu": lambda: F.silu(x),
        "elu": lambda: F.elu(x),
        "softplus": lambda: F.softplus(x),
        "hardtanh": lambda: F.hardtanh(x),
        "logsigmoid": lambda: F.logsigmoid(x),
        "mish": lambda: F.mish(x),
    }


def main() -> None:
    """Times every case for both frameworks and prints one markdown table of medians."""
    compare_main(__doc__, lambda lib, from_np: cases(lib, lib.nn.functional, from_np),
                 "op (1M float32)", lambda name, quick: 5 if quick else 20, repeat=(3, 5),
                 digits=0)


if __name__ == "__main__":
    main()
