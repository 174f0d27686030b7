"""Cost growth, shown rather than claimed (issue 18, deliverable 5): ``out/bench_scaling.png``.

Three panels, log-log, one process per point and engine (PyTorch in its own, as everywhere in the suite):

* per-op cost of the chain (x*w, x+b, tanh, x*0.5, exp on shape (4,)) from 10 to 1,000,000 ops, forward and
  backward: flat means the engine's cost per op does not grow with the graph;
* one SGD step of a ReLU MLP 64-256-256-10 (float32, softmax cross-entropy) against the batch size, 1 to 4,096;
* the same step against the hidden width w of 64-w-w-10, 16 to 1,024, at batch 128.

Each for chainrule Tensor, hand-written numpy (timed in chainrule's process) and PyTorch functional.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .contenders import CONTENDERS
from .harness import fmt_time, per_unit, reference_losses, session
from .workloads import Workload

OURS, TORCH = "chainrule Tensor", "PyTorch functional"


def sweeps(quick: bool) -> dict[str, list[tuple[float, Workload]]]:
    """panel -> [(x, workload)]."""
    ops = [10, 50] if quick else [10, 100, 1_000, 10_000, 100_000, 1_000_000]
    batches = [1, 8] if quick else [1, 4, 16, 64, 256, 1024, 4096]
    widths = [16, 32] if quick else [16, 64, 256, 1024]
    rounds = 2 if quick else 5
    return {
        "chain": [(n, Workload(f"chain {n}", "chain", dict(n_ops=n, backward=True), rounds=rounds if n < 1e5 else 2,
                               rtol=1e-9, unit="op")) for n in ops],
        "batch": [(b, Workload(f"mlp 64-256-256-10 b{b}", "large", dict(sizes=[64, 256, 256, 10], batch=b,
                                                                           dtype="float32"), rounds=rounds, rtol=1e-4))
                  for b in batches],
        "width": [(w, Workload(f"mlp 64-{w}-{w}-10 b128", "large", dict(sizes=[64, w, w, 10], batch=128,
                                                                           dtype="float32"), rounds=rounds, rtol=1e-4))
                  for w in widths],
    }


def run(quick: bool, with_torch: bool, png: Path, json_path: Path, log: Callable[[str], None]) -> str:
    """Measure the sweeps, draw the PNG; returns a sentence for the report."""
    log("\n== cost growth (one process per point and engine)")
    engines = [OURS] + ([TORCH] if with_torch else [])
    results: dict[str, dict[str, list]] = {}
    for panel, points in sweeps(quick).items():
        res = results[panel] = {"x": [], "hand numpy": [], **{e: [] for e in engines}}
        for x, w in points:
            ref = reference_losses(w)
            res["x"].append(x)
            line = []
            for e in engines:
                try:
                    s = session(w, CONTENDERS[e], ref, 0.002 if quick else 0.05)
                    t = per_unit(w, s["time"])
                    if e == OURS:
                        res["hand numpy"].append(per_unit(w, s["hand"]))
                except Exception as exc:  # noqa: BLE001 - a missing point is drawn as a gap, and said
                    log(f"   {w.name} {e}: FAILED: {str(exc).splitlines()[-1][:200]}")
                    t = None
                    if e == OURS:
                        res["hand numpy"].append(None)
                res[e].append(t)
                line.append(f"{e} {fmt_time(t) if t else '—'}")
            log(f"   {panel} {x:>8}: " + ", ".join(line) + f", hand numpy {fmt_time(res['hand numpy'][-1] or 0)}")
    json_path.write_text(json.dumps(results, indent=1))
    draw(results, png)
    ch = results["chain"]
    ours = [t for t in ch[OURS] if t]
    text = f"Cost growth: {png.name} (data in {json_path.name})."
    if len(ours) > 1:
        text += (f" chainrule's per-op cost (forward+backward) from {ch['x'][0]:,} to {ch['x'][-1]:,} ops: "
                 + ", ".join(fmt_time(t) for t in ch[OURS] if t) + ".")
    return text


def _plain(v: float) -> str:
    return f"{v:,.0f}" if v >= 1 else f"{v:g}"


def draw(results: dict[str, dict[str, list]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    style = {OURS: ("C0", "o", "chainrule Tensor"), "hand numpy": ("C2", "s", "hand-written numpy"),
             TORCH: ("C3", "^", "PyTorch functional (own process)")}
    titles = {"chain": ("cost per op of a chain of n ops on (4,), forward+backward", "number of ops n", "time per op"),
              "batch": ("one SGD step, MLP 64-256-256-10 float32", "batch size", "time per step"),
              "width": ("one SGD step, MLP 64-w-w-10 float32, batch 128", "hidden width w", "time per step")}
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    for ax, (panel, res) in zip(axes, results.items()):
        for key, (color, marker, label) in style.items():
            if key not in res:
                continue
            pts = [(x, t) for x, t in zip(res["x"], res[key]) if t]
            if pts:
                xs, ts = zip(*pts)
                ax.plot(xs, [t * 1e6 for t in ts], marker=marker, color=color, label=label, linewidth=2)
        title, xlabel, ylabel = titles[panel]
        ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel=f"{ylabel} (µs)")
        ax.set_title(title, fontsize=11)
        for axis in (ax.xaxis, ax.yaxis):  # plain numbers (1, 10, 1,000), not 10^3
            axis.set_major_formatter(FuncFormatter(lambda v, _: _plain(v)))
            axis.set_minor_formatter(NullFormatter())
        # within a decade the y axis also labels 2 and 5 (0.2, 0.5, 2, 5, ...)
        ax.yaxis.set_minor_formatter(FuncFormatter(
            lambda v, _: _plain(v) if f"{v:.0e}"[0] in "25" else ""))
        if panel != "chain":
            ax.set_xticks(res["x"])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=9)
    fig.suptitle("Cost growth (make bench): lower is faster; a flat left panel means the cost per op does not "
                 "grow with the graph", fontsize=12)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
