"""What every benchmark shares: a result row, round-robin timing, the machine's description, the table.

Timing rules: warm up first, then time each contender in turn (round-robin, so that a slow phase of the
machine hurts everybody alike), repeat, and report the median. The garbage collector stays on: its cost is part
of the real cost. Nothing is changed globally.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Row:
    """One line of the final table. ``met`` is None for an informational row (no target)."""

    benchmark: str
    ours: str
    baseline: str
    ratio: float | None = None
    target: str = "—"
    met: bool | None = None
    ratio_text: str | None = None

    def cells(self) -> list[str]:
        ratio = self.ratio_text or ("—" if self.ratio is None else f"{self.ratio:.3g}x")
        met = "info" if self.met is None else ("yes" if self.met else "**NO**")
        return [self.benchmark, self.ours, self.baseline, ratio, self.target, met]


HEADER = ["benchmark", "ours", "baseline", "ratio", "target", "met?"]


def markdown_table(rows: list[Row]) -> str:
    """The rows as a GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def interleaved(
    contenders: dict[str, Callable[[], Any]],
    *,
    repeats: int,
    number: int = 1,
    warmup: int = 1,
    collect: bool = True,
) -> dict[str, float]:
    """Median seconds per call of each contender, timed round-robin.

    Each sample times ``number`` consecutive calls (so a collector that runs every few calls is included at its
    steady-state rate). With ``collect`` a full ``gc.collect()`` runs, untimed, before every sample, so nobody
    pays for the cyclic garbage another contender left behind.
    """
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            if collect:
                gc.collect()
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - t0) / number)
    return {name: statistics.median(s) for name, s in samples.items()}


def fmt_time(seconds: float) -> str:
    """``1.23 s``, ``45.6 ms`` or ``7.89 µs``."""
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def try_import_torch() -> Any:
    """``torch`` when it is installed, else None (CI does not install it)."""
    try:
        import torch
    except Exception:  # noqa: BLE001 - a broken torch install is as good as none here
        return None
    return torch


def blas_threads() -> int:
    """The number of threads numpy's BLAS uses (threadpoolctl when installed, else 1 if unknown)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return int(os.environ.get("OMP_NUM_THREADS", "0")) or (os.cpu_count() or 1)
    import numpy  # noqa: F401 - load numpy's BLAS so threadpoolctl sees it

    for info in threadpool_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return int(info["num_threads"])
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            return int(info["num_threads"])
    return os.cpu_count() or 1


def _revision() -> str:
    """The git commit benchmarked, and whether autograd/ had uncommitted changes."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "autograd"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown revision (no git)"
    if not head:
        return "unknown revision (not a git checkout)"
    return f"commit {head}" + (" + uncommitted changes in autograd/" if dirty else "")


def machine_info() -> list[str]:
    """Lines describing the machine, Python, numpy's BLAS and (when present) PyTorch."""
    import numpy as np

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    lines = [
        f"CPU: {cpu}; {os.cpu_count()} logical cores, {usable} usable by this process; load average {load} "
        "(1/5/15 min) at the start",
        f"chainrule: {_revision()}",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()}; "
        f"numpy {np.__version__}",
    ]
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
                lines.append(
                    f"numpy BLAS: {info.get('internal_api')} {info.get('version')}, "
                    f"{info.get('num_threads')} threads, architecture {info.get('architecture', '?')}"
                )
    except ImportError:
        lines.append("numpy BLAS: (threadpoolctl not installed)")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if var in os.environ:
            lines.append(f"environment: {var}={os.environ[var]}")
    torch = try_import_torch()
    if torch is None:
        lines.append("PyTorch: not installed (its rows are skipped)")
    else:
        lines.append(
            f"PyTorch {torch.__version__}: {blas_threads()} threads in the large regime (numpy's BLAS thread "
            "count), 1 in the small regime and per-op (OpenBLAS runs products that small on one thread)"
        )
    try:
        from importlib.metadata import version

        lines.append(f"micrograd {version('micrograd')}")
    except Exception:  # noqa: BLE001
        lines.append("micrograd: not installed (its rows are skipped)")
    return lines
