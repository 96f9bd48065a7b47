"""Every benchmark, ember vs PyTorch, in one command; writes benchmarks/RESULTS.md.

    python benchmarks/run_all.py [--quick]

A full run writes benchmarks/RESULTS.md (keeping its hand-written "Where targets are missed"
section); --quick writes benchmarks/RESULTS-quick.md instead.

Each group runs in a fresh subprocess per framework (ember, then PyTorch, then the next group),
so peak memory and import time are per framework and neither warms the other's caches. The
per-op, SGEMM, elementwise and jit groups run several such rounds and report the median over
rounds (the host's load drifts over seconds). Times
are medians of repeats; ratios are ember ÷ PyTorch (time: lower is better for ember; GEMM
GFLOP/s: higher is better for ember). Both frameworks use 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(HERE)
# MNIST: $EMBER_DATA when set (as for the tests and examples), else ../shared/datasets/mnist.
MNIST = os.environ.get("EMBER_DATA") or os.path.normpath(os.path.join(REPO, "..", "shared", "datasets", "mnist"))


def _lib(fw: str):
    if fw == "torch":
        import torch

        torch.set_num_threads(2)
        return torch
    import ember

    ember.set_num_threads(2)
    return ember


def group_overhead(fw: str, quick: bool) -> dict:
    from _harness import median_time
    from op_overhead import cases

    lib = _lib(fw)
    out = {}
    n = 300 if quick else 2000
    for name, fn in cases(lib, lib.from_numpy).items():
        k = n // 10 if ("backward" in name or "matmul" in name) else n
        out[f"per-op: {name}"] = median_time(fn, k, 3 if quick else 7) * 1e6
    return out


def group_gemm(fw: str, quick: bool) -> dict:
    import numpy as np
    from _harness import median_time

    lib = _lib(fw)
    out = {}
    for n in (256, 512, 1024) if quick else (256, 512, 1024, 2048):
        a = lib.from_numpy(np.random.default_rng(0).standard_normal((n, n)).astype(np.float32))
        b = lib.from_numpy(np.random.default_rng(1).standard_normal((n, n)).astype(np.float32))
        reps = max(2, int(2e9 / (2 * n**3)))
        t = median_time(lambda: lib.matmul(a, b), reps, 3 if quick else 5)
        out[f"SGEMM {n}x{n} (GFLOP/s)"] = 2 * n**3 / t / 1e9
    return out


def fp32_peak_gflops(threads: int = 2) -> float:
    """Measured FP32 peak of this CPU on `threads` threads, GFLOP/s: independent FMAs for half a
    second per thread (ember's `ember_fma_peak_gflops`, AVX2 or AVX-512), the best of three."""
    import ctypes

    import ember

    lib = ctypes.CDLL(os.path.join(os.path.dirname(ember.__file__), "libember.so"))
    fn = lib.ember_fma_peak_gflops
    fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_int, ctypes.c_double]
    return max(fn(threads, 0.5) for _ in range(3))


def group_elementwise(fw: str, quick: bool) -> dict:
    import numpy as np
    from _harness import median_time

    lib = _lib(fw)
    out = {}
    for n in (1 << 20,) if quick else (1 << 20, 1 << 24):
        label = "1M" if n == 1 << 20 else "16M"
        x = lib.from_numpy(np.random.default_rng(0).standard_normal(n).astype(np.float32))
        y = lib.from_numpy(np.random.default_rng(1).standard_normal(n).astype(np.float32))
        reps = 20 if n == 1 << 20 else 3
        for name, fn in {"add": lambda: x + y, "mul": lambda: x * y, "exp": lambda: x.exp(),
                         "relu": lambda: x.relu(), "sum": lambda: x.sum(),
                         "max": lambda: x.max()}.items():
            out[f"{name} {label} floats (µs)"] = median_time(fn, reps, 3 if quick else 5) * 1e6
    return out


def group_mnist(fw: str, quick: bool) -> dict:
    from mnist_mlp import _worker

    out = {}
    limit = 10000 if quick else 0
    for batch in (64, 256):
        r = _worker(fw, batch, 1 if quick else 3, MNIST, limit)
        out[f"MNIST MLP 784-128-10, batch {batch}, epoch (s)"] = r["seconds"]
    r = _worker_tiny(fw, quick)
    out["tiny MLP 784-10-10, batch 64, epoch (s)"] = r
    from _harness import peak_rss_mb

    out["peak RSS of the MLP runs (MB)"] = peak_rss_mb()
    return out


def _worker_tiny(fw: str, quick: bool) -> float:
    import gc

    import numpy as np
    from ember.datasets import MNIST as _M

    lib = _lib(fw)
    nn, F = lib.nn, lib.nn.functional
    gc.collect()
    ds = _M(MNIST, train=True)
    x_np = ds.data.numpy().reshape(-1, 784)  # uint8; batches are scaled on the fly
    y_np = ds.targets.numpy().astype(np.int64)
    del ds
    if quick:
        x_np, y_np = x_np[:10000], y_np[:10000]
    x, y = lib.from_numpy(x_np), lib.from_numpy(y_np)
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 10), nn.ReLU(), nn.Linear(10, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for _ in range(1 if quick else 3):
        t0 = time.perf_counter()
        for i in range(0, x.shape[0], 64):
            m = min(64, x.shape[0] - i)
            xb, yb = x.narrow(0, i, m).float() * (1.0 / 255.0), y.narrow(0, i, m)
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def import_time(fw: str) -> float:
    mod = "torch" if fw == "torch" else "ember"
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {mod}"], check=True)
        samples.append(time.perf_counter() - t0)
    return sorted(samples)[2]


def group_conv(fw: str, quick: bool) -> dict:
    from conv import group_conv as g

    return g(fw, quick)


def group_seq(fw: str, quick: bool) -> dict:
    from seq import group_seq as g

    return g(fw, quick)


def group_mnist_keras(fw: str, quick: bool) -> dict:
    from mnist_keras import group_mnist_keras as g

    return g(fw, quick)


def group_jit(fw: str, quick: bool) -> dict:
    from jit import group_jit as g

    return g(fw, quick)


ANALYSIS = "## Where targets are missed"

GROUPS = {"overhead": group_overhead, "gemm": group_gemm, "elementwise": group_elementwise,
          "mnist": group_mnist, "conv": group_conv, "seq": group_seq,
          "mnist_keras": group_mnist_keras,
          "jit": group_jit}
TARGETS = {"conv2d": "≤ 1.0", "LeNet": "≤ 1.0", "LSTM": "≤ 1.0", "Transformer": "≤ 1.0", "Keras": "fit vs PyTorch loop (overhead vs ember.nn loop: mnist_keras.py)",
           "per-op": "≤ 0.5", "SGEMM": "≥ 0.95", "floats": "≤ 1.0", "MNIST MLP": "≤ 0.7",
           "tiny MLP": "≤ 0.5", "peak RSS": "≤ 0.5", "import": "≤ 0.5"}


def _jit_table(res: dict) -> list[list[str]]:
    """Rows of the jit table from the ember rows (eager, jit) and PyTorch rows (eager, compile)."""
    out = []
    for batch in (1, 16, 64):
        def get(fw, mode):
            return res[fw].get(f"MLP Adam step, batch {batch}, {mode} (µs)", float("nan"))
        ee, ej, te, tc = get("ember", "eager"), get("ember", "graph"), get("torch", "eager"), get("torch", "graph")
        out.append([str(batch), f"{ee:.4g}", f"{ej:.4g}", f"{te:.4g}", f"{tc:.4g}",
                    f"{ee / ej:.2f}", f"{ej / te:.2f}", f"{ej / tc:.2f}"])
    return out


# Groups of short measurements run in several rounds, ember and PyTorch alternating, and each row
# takes the median over rounds: on a shared machine the load drifts over seconds, and a single
# pass would hand one framework a quiet spell and the other a busy one.
ROUNDS = {"overhead": 5, "gemm": 3, "elementwise": 3, "jit": 3, "seq": 3}


def _run_group(group: str, quick: bool) -> dict:
    """{framework: {row: value}} for one group, from ``ROUNDS[group]`` alternating rounds."""
    rounds = 1 if quick else ROUNDS.get(group, 1)
    runs: dict[str, list[dict]] = {"ember": [], "torch": []}
    for _ in range(rounds):
        for fw in ("ember", "torch"):
            cmd = [sys.executable, __file__, "--worker", fw, group] + (["--quick"] if quick else [])
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            runs[fw].append(json.loads(out.strip().splitlines()[-1]))
    return {fw: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
            for fw, rs in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    parser.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "GROUP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        fw, group = args.worker
        print(json.dumps(GROUPS[group](fw, args.quick)))
        return
    from _harness import machine_line, table

    try:
        import torch
    except ImportError:
        sys.exit("run_all.py compares with PyTorch: pip install torch==2.13.0")
    rows, jit_rows = [], []
    for group in GROUPS:
        res = _run_group(group, args.quick)
        if group == "jit":
            jit_rows = _jit_table(res)
            continue
        for key, e in res["ember"].items():
            t = res["torch"][key]
            target = next((v for k, v in TARGETS.items() if k in key), "")
            rows.append([key, f"{e:.4g}", f"{t:.4g}", f"{e / t:.2f}", target])
    peak = fp32_peak_gflops()
    if peak > 0:
        for r in rows:
            if r[0].startswith("SGEMM"):
                r[0] += f" [ember {float(r[1]) / peak:.0%}, PyTorch {float(r[2]) / peak:.0%} of peak]"
    e, t = import_time("ember"), import_time("torch")
    rows.append(["`import` time (s)", f"{e:.3f}", f"{t:.3f}", f"{e / t:.2f}", TARGETS["import"]])
    text = "\n".join([
        "# Benchmark results", "",
        f"`python benchmarks/run_all.py{' --quick' if args.quick else ''}` on {time.strftime('%Y-%m-%d')}.", "",
        machine_line(torch), "",
        "Medians of repeats; the per-op, SGEMM, elementwise and jit rows are medians over "
        f"{ROUNDS['overhead']}, {ROUNDS['gemm']},",
        f"{ROUNDS['elementwise']} and {ROUNDS['jit']} rounds that alternate ember and PyTorch "
        "processes. Ratio = ember ÷ PyTorch (for",
        "GFLOP/s rows higher is better for ember, for every other row lower is better). FP32 peak of",
        "this CPU, measured with an FMA loop on",
        f"2 threads: {peak:.0f} GFLOP/s (the SGEMM rows give each framework's share of it).", "",
        table(["benchmark", "ember", "PyTorch", "ratio", "target"], rows), "",
        "## ember.jit: MLP 784-128-10 Adam training step (µs per step)", "",
        "Targets: jit ≥ 2× faster than ember eager at batch 1 and 16; faster than both PyTorch",
        "columns at every batch (ratios below 1.0).", "",
        table(["batch", "ember eager", "ember jit", "PyTorch eager", "torch.compile",
               "eager ÷ jit", "jit ÷ PyTorch eager", "jit ÷ torch.compile"], jit_rows), "",
    ])
    print(text)
    # A quick run does not replace the full results. A full run keeps the hand-written analysis
    # (the "Where targets are missed" section) of the file it replaces.
    path = os.path.join(HERE, "RESULTS-quick.md" if args.quick else "RESULTS.md")
    if not args.quick and os.path.exists(path):
        with open(path) as f:
            old = f.read()
        start = old.find(ANALYSIS)
        if start >= 0:
            text += "\n" + old[start:]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
