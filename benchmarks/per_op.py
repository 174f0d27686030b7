"""Per-operation overhead (issue 8): a chain of 1,000 small ops on a shape-(4,) tensor, forward + backward.

At this size the arithmetic is nothing; what is measured is what the engine costs per op: making a node,
recording its parents, running its rule backward, and the cyclic garbage collector that every tracked allocation
feeds. So each engine runs in a *plain* child process (only numpy and the engine imported, gc on, nothing
else alive), started by :func:`bench_per_op`: ours with the numpy floor (the same ops on raw arrays) side by
side, PyTorch in a second child so that importing it does not burden our collector, nor ours its.

The chain cycles through five ops: ``x * w``, ``x + b`` (w, b leaf tensors requiring grad), ``tanh``,
``x * 0.5`` (a Python number), ``exp``; values stay bounded, so nothing overflows at any length.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .common import Row, interleaved

CYCLE = 5  # ops per loop iteration below


def chain(x: Any, w: Any, b: Any, n_ops: int) -> Any:
    """The chain for Tensors (ours or PyTorch's: both have .tanh() and .exp())."""
    for _ in range(n_ops // CYCLE):
        x = x * w
        x = x + b
        x = x.tanh()
        x = x * 0.5
        x = x.exp()
    return x


def numpy_chain(x: Any, w: Any, b: Any, n_ops: int) -> Any:
    """The same ops on raw arrays: the floor any engine built on numpy pays."""
    import numpy as np

    tanh, exp = np.tanh, np.exp
    for _ in range(n_ops // CYCLE):
        x = x * w
        x = x + b
        x = tanh(x)
        x = x * 0.5
        x = exp(x)
    return x


def _measure(engine: str, n_ops: int, repeats: int) -> dict[str, float]:
    """Seconds per op of forward, forward+backward (gc on and, as a diagnostic, off) and the numpy floor."""
    import numpy as np

    rng = np.random.default_rng(0)
    x_np, w_np, b_np = rng.normal(size=4), rng.uniform(0.5, 1.5, size=4), rng.normal(scale=0.1, size=4)
    if engine == "ours":
        from autograd import Tensor

        x0, w, b = (Tensor(a.copy(), requires_grad=True) for a in (x_np, w_np, b_np))
        leaves = (x0, w, b)

        def clear() -> None:
            for t in leaves:
                t.grad = None
    else:
        import torch

        torch.set_num_threads(int(engine.split(":")[1]))
        x0, w, b = (torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
        leaves = (x0, w, b)

        def clear() -> None:
            for t in leaves:
                t.grad = None

    def forward() -> None:
        chain(x0, w, b, n_ops)

    def forward_backward() -> None:
        chain(x0, w, b, n_ops).sum().backward()
        clear()

    contenders = {"forward": forward, "forward_backward": forward_backward}
    if engine == "ours":
        contenders["numpy"] = lambda: numpy_chain(x_np, w_np, b_np, n_ops)
    number = 5
    med = interleaved(contenders, repeats=repeats, number=number, warmup=3, collect=False)
    was_enabled = gc.isenabled()
    gc.disable()  # diagnostic only: what the same work costs without the cyclic collector
    try:
        med["forward_backward_nogc"] = interleaved(
            {"fb": forward_backward}, repeats=repeats, number=number, warmup=1, collect=False
        )["fb"]
    finally:
        if was_enabled:
            gc.enable()
    ops = n_ops // CYCLE * CYCLE
    return {k: v / ops for k, v in med.items()}


def _child(engine: str, n_ops: int, repeats: int) -> dict[str, float]:
    root = Path(__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "benchmarks.per_op", "--engine", engine, "--n", str(n_ops), "--repeats",
           str(repeats)]
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"per-op child {engine!r} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_per_op(quick: bool) -> list[Row]:
    """µs per op of a 1,000-op chain on shape (4,): forward+backward <= 3.5, forward <= 2; numpy floor, PyTorch."""
    from .common import try_import_torch

    n_ops, repeats = (50, 2) if quick else (1000, 31)
    ours = _child("ours", n_ops, repeats)
    us = 1e6
    floor = ours["numpy"] * us
    rows = [
        Row(f"per-op overhead, {n_ops} ops on (4,): forward+backward", f"{ours['forward_backward'] * us:.2f} µs/op",
            f"numpy floor {floor:.2f} µs/op (forward)", ours["forward_backward"] / ours["numpy"],
            "<= 3.5 µs/op", ours["forward_backward"] * us <= 3.5),
        Row(f"per-op overhead, {n_ops} ops on (4,): forward only", f"{ours['forward'] * us:.2f} µs/op",
            f"numpy floor {floor:.2f} µs/op", ours["forward"] / ours["numpy"], "<= 2 µs/op",
            ours["forward"] * us <= 2.0),
        Row("per-op overhead: forward+backward with gc disabled (diagnostic)",
            f"{ours['forward_backward_nogc'] * us:.2f} µs/op", f"gc on {ours['forward_backward'] * us:.2f} µs/op",
            ratio_text=f"gc share {1 - ours['forward_backward_nogc'] / ours['forward_backward']:.0%}"),
    ]
    if try_import_torch() is not None:
        theirs = _child("torch:1", n_ops, repeats)  # shape (4,): one thread, as numpy
        rows.append(Row(
            "per-op overhead: PyTorch eager forward+backward", f"{theirs['forward_backward'] * us:.2f} µs/op",
            f"ours {ours['forward_backward'] * us:.2f} µs/op", ours["forward_backward"] / theirs["forward_backward"],
            ratio_text=f"ours/PyTorch {ours['forward_backward'] / theirs['forward_backward']:.3g}x "
            f"(fwd {ours['forward'] / theirs['forward']:.3g}x)",
        ))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="per-op overhead child process (run by benchmarks)")
    parser.add_argument("--engine", required=True, help="'ours' or 'torch:<threads>'")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=31)
    args = parser.parse_args(argv)
    print(json.dumps(_measure(args.engine, args.n, args.repeats)))


if __name__ == "__main__":
    main()
