"""Adam with stuck denormal moments: microseconds per optimizer step, ember vs PyTorch in one
run (2 threads each).

    python benchmarks/adam_denormal.py [--quick]

One 784x128 float32 weight (100,352 parameters, an MNIST MLP's first layer) whose gradient is
fixed. In the "dead" rows (ReLU units that no longer fire) the gradient is zero and the first
moment has decayed to 3 times the smallest float32 subnormal, where (1 - beta1) * m rounds to
zero and m stops changing; every step of the plain formula then computes subnormal
intermediates, and on x86 each instruction that produces one costs a microcode assist. Cases:
no dead row, 2 dead rows (1.6%, what batch-1 MNIST training reaches after a few hundred steps),
and every row dead. Medians of repeats; lower is better; the last column is ember ÷ PyTorch.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
from _harness import compare_main

ROWS, COLS = 128, 784
STUCK = np.float32(3 * np.finfo(np.float32).smallest_subnormal)


def cases(lib, t_from_np) -> dict:
    """name -> no-argument callable running one Adam step of `lib` on that case's state."""
    out = {}
    for name, dead in (("no dead row", 0), ("2 dead rows", 2), ("all rows dead", ROWS)):
        rng = np.random.default_rng(0)
        w = (rng.standard_normal((ROWS, COLS)) * 0.03).astype(np.float32)
        p = lib.nn.Parameter(t_from_np(w))
        opt = lib.optim.Adam([p], lr=1e-3)
        g = (rng.standard_normal((ROWS, COLS)) * 1e-2).astype(np.float32)
        p.grad = t_from_np(g.copy())
        opt.step()
        g[:dead] = 0.0
        m = opt.state[p]["exp_avg"]
        m_np = m.detach().numpy().copy()
        m_np[:dead] = STUCK
        with lib.no_grad():
            m.copy_(t_from_np(m_np))
        p.grad = t_from_np(g)
        out[name] = opt.step
    return out


def main() -> None:
    """Times every case for both frameworks and prints one markdown table of medians."""
    compare_main(__doc__, cases, "Adam step, 784x128 float32",
                 lambda name, quick: (1 if quick else 4) * (2 if name == "all rows dead" else 25),
                 digits=1)


if __name__ == "__main__":
    main()
