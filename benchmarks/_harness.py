"""Shared timing helpers: medians of repeated runs, markdown tables, machine facts."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], number: int, repeat: int = 7, warmup: int = 1) -> float:
    """Median over ``repeat`` runs of the mean seconds per call of ``fn`` (``number`` calls)."""
    for _ in range(warmup):
        for _ in range(max(1, number // 10)):
            fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    Read from ``VmHWM`` in /proc/self/status where there is one: ``getrusage``'s ``ru_maxrss``
    survives ``exec``, so a worker started by a parent that had imported PyTorch would report at
    least the parent's size.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_line(torch_mod: object | None = None) -> str:
    import ember

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    parts = [f"CPU: {cpu}, {os.cpu_count()} logical cores", f"Python {platform.python_version()}",
             f"ember {ember.__version__}"]
    if torch_mod is not None:
        parts.append(f"torch {torch_mod.__version__} ({torch_mod.get_num_threads()} threads)")
    return "; ".join(parts)


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def optional_torch(threads: int = 2):
    """PyTorch set to ``threads`` threads, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def side_by_side(ember_cases: dict, torch_cases: dict, number: Callable[[str], int], repeat: int,
                 digits: int = 2) -> list[list[str]]:
    """Table rows [name, ember µs, PyTorch µs, ember ÷ PyTorch] for every case of
    ``ember_cases`` (name -> no-argument callable), each the median of ``repeat`` runs of
    ``number(name)`` calls, the two frameworks timed one after the other per case; "-" for
    PyTorch where ``torch_cases`` is empty (PyTorch not installed)."""
    rows = []
    for name, fn in ember_cases.items():
        n = number(name)
        te = median_time(fn, n, repeat)
        if torch_cases:
            tt = median_time(torch_cases[name], n, repeat)
            rows.append([name, f"{te * 1e6:.{digits}f}", f"{tt * 1e6:.{digits}f}", f"{te / tt:.2f}"])
        else:
            rows.append([name, f"{te * 1e6:.{digits}f}", "-", "-"])
    return rows


def compare_main(description: str, cases: Callable, header: str,
                 number: Callable[[str, bool], int], repeat: tuple[int, int] = (3, 7),
                 digits: int = 2, no_grad: bool = False) -> None:
    """The command line of a side-by-side benchmark script: parses ``--quick``, sets both
    frameworks to 2 threads, builds ``cases(lib, from_numpy)`` (name -> no-argument callable)
    for ember and for PyTorch where installed, times them with `side_by_side` (``number(name,
    quick)`` calls per repeat; ``repeat`` = (quick, full) repeats), under both frameworks'
    ``no_grad`` when asked, and prints the machine line and a markdown table whose first column
    is ``header``."""
    import argparse
    from contextlib import ExitStack

    import ember

    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    torch = optional_torch(2)
    ember.set_num_threads(2)
    with ExitStack() as stack:
        if no_grad:
            stack.enter_context(ember.no_grad())
            if torch:
                stack.enter_context(torch.no_grad())
        ember_cases = cases(ember, ember.from_numpy)
        torch_cases = cases(torch, torch.from_numpy) if torch else {}
        rows = side_by_side(ember_cases, torch_cases, lambda name: number(name, args.quick),
                            repeat[0] if args.quick else repeat[1], digits)
    print(machine_line(torch))
    print()
    print(table([header, "ember µs", "PyTorch µs", "ember ÷ PyTorch"], rows))
