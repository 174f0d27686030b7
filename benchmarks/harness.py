"""The machinery of one measurement: a child process per environment, a session timing one contender against hand
numpy, the reference losses. Used by :mod:`benchmarks.__main__` (the table) and :mod:`benchmarks.scaling`."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from . import envs
from .contenders import CONTENDERS, HAND, Contender
from .workloads import CYCLE, Workload, data

ROOT = Path(__file__).resolve().parent.parent

#: set in every child's environment; :func:`thread_env` fills it (``--threads``)
CHILD_ENV: dict[str, str] = {}


def thread_env(threads: int | None) -> dict[str, str]:
    """The variables that pin numpy's OpenBLAS, PyTorch (OpenMP) and JAX (XLA's Eigen pool) to ``threads``
    threads; nothing (the libraries' defaults) for None."""
    if threads is None:
        return {}
    n = str(threads)
    xla = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" if threads == 1 else ""
    env = {"OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n}
    return {**env, "XLA_FLAGS": xla} if xla else env


class Worker:
    """A child process of one environment, spoken to in JSON lines (see :mod:`benchmarks.worker`)."""

    def __init__(self, env: str) -> None:
        code = (f"import sys; sys.path.append({str(ROOT)!r}); from benchmarks.worker import main; main()")
        self.env = env
        self.proc = subprocess.Popen([str(envs.python_of(env)), "-P", "-c", code], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, **CHILD_ENV})

    def ask(self, **msg: Any) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"{self.env} worker died: {err[-2000:]}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.env} worker: {reply['error']}")
        return reply

    def close(self) -> None:
        try:
            self.ask(cmd="quit") if self.proc.poll() is None else None
        except (RuntimeError, BrokenPipeError, json.JSONDecodeError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def session(w: Workload, c: Contender, ref: list[float], sample: float) -> dict[str, Any]:
    """One process (two for engines with their own thread pools) timing contender ``c`` and hand numpy."""
    pair = c.name != HAND and not c.numpy_in_process
    workers = [Worker(c.env)] + ([Worker(c.env)] if pair else [])
    try:
        names = [[c.name, HAND]] if not pair else [[c.name], [HAND]]
        if c.name == HAND:
            names = [[HAND]]
        setups = [wk.ask(cmd="setup", workload=asdict(w), contenders=n, sample=sample) for wk, n in
                  zip(workers, names)]
        losses = {k: v for s in setups for k, v in s["losses"].items()}
        for name, pair_losses in losses.items():
            if not np.allclose(pair_losses, ref, rtol=w.rtol, atol=0):
                raise AssertionError(f"{w.name}: {name}'s first losses {pair_losses} differ from hand numpy's {ref} "
                                     f"(rtol {w.rtol}): not timed")
        times: dict[str, list[float]] = {k: [] for k in losses}
        for r in range(w.rounds):
            order = workers if r % 2 == 0 else workers[::-1]
            for wk in order:
                mine = names[workers.index(wk)]
                got = wk.ask(cmd="round", order=mine if r % 2 == 0 else mine[::-1])["times"]
                for k, v in got.items():
                    times[k].append(v)
        info = workers[0].ask(cmd="info")
    finally:
        for wk in workers:
            wk.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    # the ratio of each round (engine and hand numpy timed back to back) cancels the machine's slow phases
    ratio = statistics.median(e / h for e, h in zip(times[c.name], times[HAND])) if c.name != HAND else 1.0
    return {"time": med[c.name], "hand": med[HAND], "ratio": ratio, "rounds": times,
            "first_call": setups[0]["first_call"][c.name], "number": setups[0]["number"], "info": info,
            "losses": losses[c.name], "processes": len(workers)}


def reference_losses(w: Workload) -> list[float]:
    """Hand numpy's first two losses, computed here (this process never times anything)."""
    step = CONTENDERS[HAND].makers[w.family](data(w))
    return [step(), step()]


def per_unit(w: Workload, seconds: float) -> float:
    """Seconds per op for the chain, else per step/epoch."""
    return seconds / (w.params["n_ops"] // CYCLE * CYCLE) if w.family == "chain" else seconds


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"
