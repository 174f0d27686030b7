"""A benchmark child process: builds contenders of one workload, then times them round by round when told to.

The parent (:mod:`benchmarks.__main__`) starts it with an environment's interpreter as ``python -P -c ...`` with the
repository appended to ``sys.path`` (so that HIPS autograd's ``autograd`` wins over ours in its environment) and
talks to it in JSON lines on stdin/stdout:

* ``{"cmd": "info"}`` -> library versions, BLAS and thread settings of this process;
* ``{"cmd": "setup", "workload": {...}, "contenders": [...], "sample": seconds}`` -> each contender's first two
  losses, the seconds of its first call (a jit's compile time) and the calls per timed sample;
* ``{"cmd": "round", "order": [...]}`` -> seconds per call of each contender, one sample each, in that order,
  each after an untimed ``gc.collect()`` (so nobody pays for the cyclic garbage another one left);
* ``{"cmd": "quit"}``.

Anything a library prints goes to stderr: stdout carries the replies only.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import sys
import time
import traceback
from typing import Any

from .contenders import CONTENDERS
from .workloads import Workload, data

_steps: dict[str, Any] = {}
_number: dict[str, int] = {}


def info() -> dict[str, Any]:
    """What this process runs on: Python, numpy, the engine's version, BLAS and thread pools, thread env vars."""
    import numpy as np

    out: dict[str, Any] = {"python": platform.python_version(), "numpy": np.__version__,
                           "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                               "MKL_NUM_THREADS", "XLA_FLAGS") if k in os.environ}}
    for mod in ("torch", "jax", "jaxlib", "autograd", "micrograd", "tinygrad"):
        if mod in sys.modules:
            try:
                from importlib.metadata import version

                dist = {"autograd": "autograd", "jaxlib": "jaxlib"}.get(mod, mod)
                out[mod] = version(dist) if mod != "autograd" or "hips" in sys.prefix else "chainrule"
            except Exception:  # noqa: BLE001
                out[mod] = "?"
    if "torch" in sys.modules:
        out["torch_threads"] = sys.modules["torch"].get_num_threads()
    try:
        from threadpoolctl import threadpool_info

        out["threadpools"] = [f"{i.get('user_api')}/{i.get('internal_api')} {i.get('version') or ''} "
                              f"{i.get('num_threads')} threads ({os.path.basename(i.get('filepath', ''))})"
                              for i in threadpool_info()]
    except ImportError:
        out["threadpools"] = ["threadpoolctl not installed"]
    return out


def setup(msg: dict[str, Any]) -> dict[str, Any]:
    w = Workload(**msg["workload"])
    d = data(w)
    losses, first_call = {}, {}
    for name in msg["contenders"]:
        step = CONTENDERS[name].makers[w.family](d)
        t0 = time.perf_counter()
        a = step()
        first_call[name] = time.perf_counter() - t0
        b = step()
        check = getattr(step, "check", None)
        losses[name] = [a, b] if check is None else [check(), check()]
        step()  # warm-up
        t0 = time.perf_counter()
        step()
        one = time.perf_counter() - t0
        _number[name] = max(1, round(msg["sample"] / max(one, 1e-9)))
        _steps[name] = step
    return {"losses": losses, "first_call": first_call, "number": dict(_number)}


def timed_round(order: list[str]) -> dict[str, float]:
    times = {}
    for name in order:
        step, number = _steps[name], _number[name]
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        times[name] = (time.perf_counter() - t0) / number
    return times


def main() -> None:
    reply_to = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # libraries' prints go to stderr
    sys.stdout = sys.stderr
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "quit":
                break
            reply: dict[str, Any] = {}
            if msg["cmd"] == "info":
                reply = info()
            elif msg["cmd"] == "setup":
                reply = setup(msg)
            elif msg["cmd"] == "round":
                reply = {"times": timed_round(msg["order"])}
        except Exception:  # noqa: BLE001 - the parent reports it
            reply = {"error": traceback.format_exc()}
        reply_to.write(json.dumps(reply) + "\n")
        reply_to.flush()
