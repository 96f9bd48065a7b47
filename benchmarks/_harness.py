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
