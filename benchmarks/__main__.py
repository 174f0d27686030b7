"""``python -m benchmarks [--quick] [--only NAME ...] [--out PATH]``: run the suite, print one table.

Every ratio compares contenders timed in the same run (round-robin, median of repeats, gc on). The table is also
written as markdown to ``--out`` (default ``out/bench.md``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from . import digits, per_op, scalar, tensor_mlp
from .common import Row, machine_info, markdown_table

#: name -> (what it measures, function(quick) -> rows)
BENCHMARKS: dict[str, tuple[str, Callable[[bool], list[Row]]]] = {
    "micrograd": ("micrograd's demo step on Values vs micrograd 0.1.0 (target <= 1/20)", scalar.bench_micrograd_demo),
    "chain": ("backward of a 1e6-op Value chain (< 3 s) and bytes per graph node (<= 250)", scalar.bench_chain),
    "large": ("Tensor MLP 784-256-128-10, batch 128, f32/f64 vs hand numpy (<= 1.15x)", tensor_mlp.bench_large),
    "small": ("Tensor MLP 2-16-16-1, batch 100/8 vs hand numpy (<= 1.8x / 2.0x)", tensor_mlp.bench_small),
    "per_op": ("per-op overhead of a 1,000-op chain on shape (4,) (<= 3.5 / 2 µs per op)", per_op.bench_per_op),
    "digits": ("digits MLP 64-64-10, Adam, b32: s/epoch of nn.fit and the loop vs PyTorch; held-out acc >= 97%",
               digits.bench_digits),
}

NOTES = """\
Method: contenders run side by side in one process (per-op: in plain child processes), round-robin, after a
warm-up; each figure is the median of the repeats. The garbage collector stays on everywhere (an untimed
gc.collect() separates samples so that nobody pays for another contender's cyclic garbage; the per-op chain runs
without it, at the collector's natural rate). Losses of all contenders are checked to agree before timing.
Small regime loss: binary cross-entropy with logits, mean(softplus(z) - y z), gradient sigmoid(z) - y, in all
three. Large regime: log_softmax, the label's column, mean (PyTorch: F.cross_entropy). PyTorch is given numpy's
BLAS thread count. Hand numpy never computes the input batch's gradient.
Digits: 80/20 split (seed 0), Adam lr 1e-3, batch 32, the same initial weights and the same batch order (one
numpy Generator per contender, seed 0) for nn.fit, the explicit loop and PyTorch (1 thread); one warm-up epoch
(held-out losses checked to agree), then 20 epochs round-robin, median seconds per epoch; accuracy after all 21."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: exercises the code in seconds")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--out", default="out/bench.md", help="markdown file for the table (default out/bench.md)")
    args = parser.parse_args(argv)

    names = args.only or list(BENCHMARKS)
    info = machine_info()
    print("\n".join(info), flush=True)
    rows: list[Row] = []
    failed = []
    for name in names:
        what, fn = BENCHMARKS[name]
        print(f"\n== {name}: {what}{' (quick)' if args.quick else ''}", flush=True)
        t0 = time.perf_counter()
        try:
            new = fn(args.quick)
        except Exception:  # noqa: BLE001 - report, go on with the others, fail at the end
            traceback.print_exc()
            failed.append(name)
            rows.append(Row(f"{name}: FAILED (see the traceback above)", "—", "—", met=False))
            continue
        for row in new:
            print("   " + " | ".join(row.cells()), flush=True)
        print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
        rows += new

    if hasattr(os, "getloadavg"):
        info.append("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg())
                    + " (other processes on the machine skew absolute times more than ratios)")
    table = markdown_table(rows)
    command = "python -m benchmarks" + (" --quick" if args.quick else "") + "".join(
        f" --only {n}" for n in args.only or ())
    print("\n" + table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"# chainrule benchmarks\n\nCommand: `{command}` ({time.strftime('%Y-%m-%d %H:%M')})\n\n"
        + "".join(f"- {line}\n" for line in info) + "\n" + table + "\n\n" + NOTES + "\n"
    )
    print(f"\n(written to {out})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
