"""Static graphs: one MLP 784-128-10 Adam training step (forward, backward, optimizer step),
ember eager vs ember.jit vs PyTorch eager vs torch.compile, at batch 1, 16 and 64.

    python benchmarks/jit.py [--quick]

Each framework runs in its own subprocess; times are medians of repeats in microseconds per
training step (lower is better). Steps cycle through 16 random batches, as training moves
through its data: one batch repeated for thousands of steps leaves the ReLU units it never
activates with zero gradients, whose Adam first moments decay into float32 denormals, and
arithmetic on denormals is slow on this CPU (ember's Adam update over 100K parameters, a quarter
of them denormal, measured 42 µs against 28 µs; the whole batch-1 step 10-20% slower). Even so
some units die; their moments decay for about 140 steps and then stop changing, which Adam
handles without denormal arithmetic. `group_jit(fw, quick)` gives the rows for benchmarks/run_all.py:
the "eager" rows pair ember eager with PyTorch eager, the "graph" rows pair ember.jit with
torch.compile (NaN where torch.compile does not work here; the reason is printed by main()).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

BATCHES = (1, 16, 64)
N_BATCHES = 16


def _cycling(step, data):
    """A no-argument callable running `step` on the next (x, y) of `data` each call."""
    state = {"i": 0}

    def run():
        i = state["i"]
        state["i"] = (i + 1) % len(data)
        return step(*data[i])

    return run


def _ember_rows(quick: bool) -> dict:
    import ember
    import ember.nn.functional as F
    from _harness import median_time
    from ember import nn

    ember.set_num_threads(2)
    out = {}
    for batch in BATCHES:
        for mode in ("eager", "graph"):
            ember.manual_seed(0)
            model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
            opt = ember.optim.Adam(model.parameters(), lr=1e-3)

            def step(x, y, model=model, opt=opt):
                opt.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                return loss

            fn = ember.jit.function(step) if mode == "graph" else step
            data = [(ember.randn(batch, 784), ember.randint(0, 10, (batch,)))
                    for _ in range(N_BATCHES)]
            n = 50 if quick else 200
            out[f"MLP Adam step, batch {batch}, {mode} (µs)"] = (
                median_time(_cycling(fn, data), n, 3 if quick else 7, warmup=2) * 1e6
            )
    return out


def _torch_rows(quick: bool) -> dict:
    import torch
    import torch.nn.functional as F
    from _harness import median_time
    from torch import nn

    torch.set_num_threads(2)
    out = {}
    errors = []
    for batch in BATCHES:
        for mode in ("eager", "graph"):
            torch.manual_seed(0)
            model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)

            def step(x, y, model=model, opt=opt):
                opt.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                return loss

            data = [(torch.randn(batch, 784), torch.randint(0, 10, (batch,)))
                    for _ in range(N_BATCHES)]
            key = f"MLP Adam step, batch {batch}, {mode} (µs)"
            fn = step
            if mode == "graph":
                try:
                    fn = torch.compile(step)
                    fn(*data[0])  # compile now, outside the timing
                except Exception as e:  # noqa: BLE001 - report why, keep benchmarking
                    errors.append(f"torch.compile failed: {type(e).__name__}: {str(e)[:300]}")
                    out[key] = math.nan
                    continue
            n = 50 if quick else 200
            out[key] = median_time(_cycling(fn, data), n, 3 if quick else 7, warmup=2) * 1e6
    if errors:
        out["_errors"] = errors[0]
    return out


def group_jit(fw: str, quick: bool) -> dict:
    """Rows ``{name: µs per training step}`` for ``fw`` in ("ember", "torch")."""
    rows = _ember_rows(quick) if fw == "ember" else _torch_rows(quick)
    rows.pop("_errors", None)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--worker", metavar="FRAMEWORK", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        rows = _ember_rows(args.quick) if args.worker == "ember" else _torch_rows(args.quick)
        print(json.dumps(rows))
        return
    import torch
    from _harness import machine_line, table

    res = {}
    for fw in ("ember", "torch"):
        cmd = [sys.executable, __file__, "--worker", fw] + (["--quick"] if args.quick else [])
        res[fw] = json.loads(
            subprocess.run(cmd, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
    rows = []
    for b in BATCHES:
        ee = res["ember"][f"MLP Adam step, batch {b}, eager (µs)"]
        ej = res["ember"][f"MLP Adam step, batch {b}, graph (µs)"]
        te = res["torch"][f"MLP Adam step, batch {b}, eager (µs)"]
        tc = res["torch"][f"MLP Adam step, batch {b}, graph (µs)"]
        fmt = lambda v: "n/a" if math.isnan(v) else f"{v:.1f}"
        ratio = lambda a, c: "n/a" if math.isnan(c) else f"{a / c:.2f}"
        rows.append(
            [
                str(b),
                fmt(ee),
                fmt(ej),
                fmt(te),
                fmt(tc),
                f"{ee / ej:.2f}x",
                ratio(ej, te),
                ratio(ej, tc),
            ]
        )
    print(machine_line(torch))
    print()
    print("MLP 784-128-10, Adam, one training step (forward + backward + step), µs per step")
    print()
    print(
        table(
            [
                "batch",
                "ember eager",
                "ember jit",
                "torch eager",
                "torch.compile",
                "eager ÷ jit (≥ 2 at 1, 16)",
                "jit ÷ torch eager (< 1)",
                "jit ÷ torch.compile (< 1)",
            ],
            rows,
        )
    )
    if "_errors" in res["torch"]:
        print()
        print(res["torch"]["_errors"])


if __name__ == "__main__":
    main()
