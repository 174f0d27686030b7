"""``python -m benchmarks [--quick] [--only WORKLOAD ...] [--engines ENV ...] [--contenders ROW ...]``: the suite.

``make bench`` runs it with no arguments.

Every (engine, workload, repetition) runs in a child process of its own, started with that engine's interpreter
(the project's .venv for chainrule, ``out/bench-envs/<env>`` for each peer; :mod:`benchmarks.envs` makes them).
In each process the same workload written by hand in numpy is timed interleaved with the engine, round by round,
and the engine's time is reported as a ratio to that hand numpy: engines are compared across processes only
through those ratios. PyTorch, JAX and tinygrad run thread pools of their own, so for them the hand numpy runs in
a second process of the same interpreter, started alongside and driven in lock step (one round here, one there):
numpy is never timed in a process where one of them is loaded. The first two losses of every contender must agree
with hand numpy's before anything is timed. Writes ``out/bench.md`` and ``out/bench.json`` (and, unless
``--no-scaling``, ``out/bench_scaling.png``: see :mod:`benchmarks.scaling`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import envs, harness
from .contenders import COMPILED, CONTENDERS, HAND, ORDER, Contender
from .harness import fmt_time, per_unit, reference_losses, session
from .workloads import Workload

ROOT = Path(__file__).resolve().parent.parent


def workloads(quick: bool) -> list[Workload]:
    """The table's workloads (``quick``: tiny sizes, to exercise the code in seconds)."""
    large, batch = ([784, 32, 16, 10], 16) if quick else ([784, 256, 128, 10], 128)
    n_ops = 50 if quick else 1000
    rounds = 2 if quick else 15
    ws = []
    for dtype, rtol in (("float32", 1e-4), ("float64", 1e-10)):
        ws.append(Workload(f"large {'-'.join(map(str, large))} b{batch} {dtype}", "large",
                           dict(sizes=large, batch=batch, dtype=dtype), "ReLU MLP, softmax cross-entropy, SGD step",
                           rounds, rtol))
    for b in (100, 8):
        ws.append(Workload(f"small 2-16-16-1 b{b} float64", "small", dict(batch=b),
                           "tanh MLP, BCE with logits, SGD step", rounds, 1e-10))
    ws.append(Workload(f"chain of {n_ops} ops on (4,), forward+backward", "chain", dict(n_ops=n_ops, backward=True),
                       "x*w, x+b, tanh, x*0.5, exp, repeated", rounds, 1e-10, unit="op"))
    ws.append(Workload(f"chain of {n_ops} ops on (4,), forward only", "chain", dict(n_ops=n_ops, backward=False),
                       "the same chain, no graph walk", rounds, 1e-10, unit="op"))
    ws.append(Workload(f"micrograd demo step, {12 if quick else 100} points", "demo",
                       dict(points=12 if quick else 100), "ReLU MLP 2-16-16-1 of Values, SVM loss + L2, SGD",
                       2 if quick else 5, 1e-9))
    ws.append(Workload("digits 64-64-10 Adam b32 float32, one epoch", "digits",
                       dict(samples=300 if quick else None), "1,437 training digits (80/20 split, seed 0)",
                       2 if quick else 7, 1e-4, unit="epoch"))
    return ws


def run_rows(ws: list[Workload], contenders: list[Contender], reps: int, sample: float, log) -> list[dict]:
    rows = []
    for w in ws:
        ref = reference_losses(w)
        log(f"\n== {w.name} ({w.title}); hand numpy's first losses {ref[0]:.10g}, {ref[1]:.10g}")
        for c in contenders:
            if w.family not in c.makers or c.name == HAND:
                continue
            row: dict[str, Any] = {"workload": w.name, "family": w.family, "engine": c.name, "env": c.env,
                                   "unit": w.unit, "sessions": [], "error": None}
            t0 = time.perf_counter()
            for _ in range(reps):
                try:
                    row["sessions"].append(session(w, c, ref, sample))
                except Exception as e:  # noqa: BLE001 - the row says why, the others go on
                    row["error"] = str(e).strip().splitlines()[-1][:300]
                    log(f"   {c.name}: FAILED: {e}")
                    break
            if row["sessions"] and not row["error"]:
                ratios = [s["ratio"] for s in row["sessions"]]
                row.update(ratio=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
                           time=per_unit(w, statistics.median(s["time"] for s in row["sessions"])),
                           hand=per_unit(w, statistics.median(s["hand"] for s in row["sessions"])),
                           first_call=statistics.median(s["first_call"] for s in row["sessions"]))
                log(f"   {c.name:<45} {fmt_time(row['time'])}/{w.unit}, {row['ratio']:.3g}x hand numpy "
                    f"({row['ratio_min']:.3g}–{row['ratio_max']:.3g}, {len(ratios)} processes) "
                    f"[{time.perf_counter() - t0:.0f} s]")
            rows.append(row)
    return rows


# ----------------------------------------------------------------------------------------------------------------
# Targets of issue 18 (deliverable 4), judged from the ratios
# ----------------------------------------------------------------------------------------------------------------


def _find(rows: list[dict], family: str, engine: str, contains: str = "") -> dict | None:
    for r in rows:
        if r["family"] == family and r["engine"] == engine and contains in r["workload"] and "ratio" in r:
            return r
    return None


def span(r: dict) -> str:
    """A row's ratio as the tables print it: median (min–max)."""
    return f"{r['ratio']:.2f}x ({r['ratio_min']:.2f}–{r['ratio_max']:.2f})"


def targets(rows: list[dict]) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met) for each target of issue 18 that the rows can judge."""
    out: list[tuple[str, str, bool | None]] = []
    T, NN = "chainrule Tensor", "chainrule nn (Sequential, nn loss, nn.SGD)"

    for b, lim in (("b100", 1.5), ("b8", 1.7)):
        r = _find(rows, "small", T, b)
        if r:
            out.append((f"small MLP {b}: <= {lim}x hand numpy", span(r), r["ratio"] <= lim))
    for kind, lim in (("forward+backward", 2.5), ("forward only", 0.9)):
        r = _find(rows, "chain", T, kind)
        if r:
            us = r["time"] * 1e6
            out.append((f"per-op chain, {kind}: <= {lim} µs/op", f"{us:.2f} µs/op", us <= lim))
    mg = _find(rows, "demo", "micrograd 0.1.0")
    for eng, lim in (("chainrule Value, node for node", 7), ("chainrule nn.MLP", 30)):
        r = _find(rows, "demo", eng)
        if r and mg:
            speed = mg["ratio"] / r["ratio"]
            out.append((f"micrograd demo, {eng.removeprefix('chainrule ')}: >= {lim}x faster than micrograd",
                        f"{speed:.1f}x ({mg['ratio_min'] / r['ratio_max']:.1f}–{mg['ratio_max'] / r['ratio_min']:.1f})",
                        speed >= lim))
    for dt in ("float32", "float64"):
        r = _find(rows, "large", T, dt)
        if r:
            out.append((f"large MLP {dt}: <= 1.10x hand numpy", span(r), r["ratio"] <= 1.10))
    for fam, dt in (("large", "float32"), ("large", "float64"), ("small", "b100"), ("small", "b8")):
        raw, via = _find(rows, fam, T, dt), _find(rows, fam, NN, dt)
        if raw and via:
            q = via["ratio"] / raw["ratio"]
            out.append((f"nn path / raw Tensor ops, {raw['workload']}: <= 1.10x", f"{q:.2f}x", q <= 1.10))
    fit, pt = _find(rows, "digits", "chainrule nn.fit"), _find(rows, "digits", "PyTorch nn.Module + torch.optim")
    if fit and pt:
        q = fit["ratio"] / pt["ratio"]
        out.append(("digits s/epoch, nn.fit / PyTorch nn.Module + torch.optim: <= 0.7x",
                    f"{q:.2f}x ({fit['ratio_min'] / pt['ratio_max']:.2f}–{fit['ratio_max'] / pt['ratio_min']:.2f})",
                    q <= 0.7))
    return out


def compiled_targets(rows: list[dict]) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met) for each target of issue 15 (autograd.compile) that the rows can judge."""
    out: list[tuple[str, str, bool | None]] = []

    for b, lim in (("b100", 1.15), ("b8", 1.3)):
        r = _find(rows, "small", COMPILED, b)
        if r:
            out.append((f"compiled small MLP {b}: <= {lim}x hand numpy", span(r), r["ratio"] <= lim))
    r = _find(rows, "chain", COMPILED, "forward+backward")
    if r:
        us, hand = r["time"] * 1e6, r["hand"] * 1e6
        out.append(("compiled per-op chain, forward+backward: <= 0.8 µs/op",
                    f"{us:.2f} µs/op ({r['ratio']:.2f}x hand numpy's {hand:.2f})", us <= 0.8))
    for dt in ("float32", "float64"):
        r = _find(rows, "large", COMPILED, dt)
        if r:
            out.append((f"compiled large MLP {dt}: <= 1.05x hand numpy", span(r), r["ratio"] <= 1.05))
    mg, r = _find(rows, "demo", "micrograd 0.1.0"), _find(rows, "demo", COMPILED)
    if r and mg:
        speed = mg["ratio"] / r["ratio"]
        out.append(("compiled micrograd demo, Value node for node: >= 30x faster than micrograd",
                    f"{speed:.1f}x ({mg['ratio_min'] / r['ratio_max']:.1f}–{mg['ratio_max'] / r['ratio_min']:.1f}); "
                    f"trace+compile {fmt_time(r['first_call'])}", speed >= 30))
    for b in ("b100", "b8"):
        r = _find(rows, "small", COMPILED, b)
        if r and "first_call" in r:
            out.append((f"trace and compile of the small MLP step ({b}): <= 50 ms",
                        f"{fmt_time(r['first_call'])} (first call: trace, compile, one SGD update)",
                        r["first_call"] <= 0.05))
    return out


def merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One run from several (``--render A.json B.json``): a later run's rows replace an earlier run's rows of the
    same workload and engine; the report says which runs the rows come from."""
    if len(runs) == 1:
        return runs[0]
    merged = dict(runs[0])
    rows = list(merged["rows"])
    for run in runs[1:]:
        new = {(r["workload"], r["engine"]) for r in run["rows"]}
        rows = [r for r in rows if (r["workload"], r["engine"]) not in new] + run["rows"]
    parts = [p for run in runs for p in run.get("parts", [run])]
    merged.update(rows=rows, quick=any(r["quick"] for r in runs), scaling_note=runs[0]["scaling_note"],
                  parts=[{k: p[k] for k in ("date", "command", "load_start", "load_end", "reps", "cpu")}
                         for p in parts],
                  machine=list(dict.fromkeys(m for run in runs for m in run["machine"])),
                  command=" + ".join(p["command"] for p in parts), date=max(p["date"] for p in parts))
    return merged


# ----------------------------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------------------------


def _x(r: float) -> str:
    return f"{r:,.0f}x" if r >= 100 else f"{r:.2f}x"


def table(rows: list[dict], ws: list[Workload]) -> str:
    """The markdown table: per workload, hand numpy's time, then each engine's time and ratio."""
    lines = ["| workload | engine | time (median) | × hand numpy, median (min–max) | first call |",
             "|---|---|---|---|---|"]
    unusable: dict[str, str] = {}
    for w in ws:
        mine = [r for r in rows if r["workload"] == w.name]
        if not mine:
            continue
        hand = statistics.median(r["hand"] for r in mine if "hand" in r) if any("hand" in r for r in mine) else None
        lines.append(f"| **{w.name}** | hand numpy | {fmt_time(hand) + '/' + w.unit if hand else '—'} | 1 | |")
        for r in sorted(mine, key=lambda r: ORDER.index(r["engine"])):
            if r.get("error"):
                err = r["error"].replace("|", "/")
                if err.startswith(f"environment {r['env']}: "):
                    unusable[r["engine"]] = err.split(": ", 1)[1]
                    err = "its environment is unusable, see below"
                lines.append(f"| | {r['engine']} | not measured: {err} | | |")
                continue
            first = ("compile+run " if "jit" in r["engine"] else
                     "trace+compile+run " if r["engine"] == COMPILED else None)
            lines.append(f"| | {r['engine']} | {fmt_time(r['time'])}/{w.unit} | {_x(r['ratio'])} "
                         f"({_x(r['ratio_min'])[:-1]}–{_x(r['ratio_max'])[:-1]}) | "
                         f"{first + fmt_time(r['first_call']) if first else ''} |")
    lines += [""] + [f"Not measured: {name}: {why}" for name, why in unusable.items()]
    return "\n".join(lines).rstrip()


def spread_sentence(rows: list[dict], previous: dict | None, runs: int = 1) -> str:
    """How much the ratios move: between the processes of this run and, when there is one, against the last run."""
    spreads = [(r["ratio_max"] - r["ratio_min"]) / r["ratio"] for r in rows if "ratio" in r and len(r["sessions"]) > 1]
    text = ""
    if spreads:
        which = "this run" if runs == 1 else f"these {runs} runs"
        text = (f"Between the processes of {which} a row's ratio moved by {statistics.median(spreads):.0%} of its "
                f"median (median over rows; largest {max(spreads):.0%}).")
    if previous:
        old = {(r["workload"], r["engine"]): r["ratio"] for r in previous.get("rows", []) if "ratio" in r}
        moves = [abs(r["ratio"] / old[(r["workload"], r["engine"])] - 1) for r in rows
                 if "ratio" in r and (r["workload"], r["engine"]) in old]
        if moves:
            text += (f" Against the previous run ({previous.get('date', '?')}) the ratios moved by "
                     f"{statistics.median(moves):.0%} (median over {len(moves)} rows; largest {max(moves):.0%}).")
    return text


def cpu_name() -> str:
    """The CPU's model name and logical core count."""
    import platform

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} logical cores"


def machine_lines(infos: dict[str, dict], load_start: tuple, load_end: tuple) -> list[str]:
    cpu = cpu_name()
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    threads = ", ".join(f"{k}={v}" for k, v in {**os.environ, **harness.CHILD_ENV}.items()
                        if k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS"))
    lines = [f"CPU: {cpu}; load average (1/5/15 min) "
             f"{' '.join(f'{x:.2f}' for x in load_start)} at the start, {' '.join(f'{x:.2f}' for x in load_end)} "
             "at the end (other processes were running: absolute times move more than ratios)",
             f"chainrule commit {rev.strip() or '?'}; thread settings given to every child: "
             + (threads or "none (library defaults)")]
    for env, i in infos.items():
        libs = ", ".join(f"{k} {i[k]}" for k in ("torch", "jax", "jaxlib", "autograd", "micrograd", "tinygrad")
                         if k in i and not (env == "ours" and k == "autograd"))
        extra = f"; torch threads {i['torch_threads']}" if "torch_threads" in i else ""
        lines.append(f"env {env}: Python {i['python']}, numpy {i['numpy']}{', ' + libs if libs else ''}{extra}; "
                     f"thread pools: {'; '.join(i['threadpools']) or 'none'}")
    return lines


THREADS_NOTE = {
    False: "every library's pool (numpy's OpenBLAS, PyTorch's OpenMP, JAX's XLA) is pinned to one thread "
    "(`--threads 1`, the default): on a shared machine, pools of two threads on two busy cores measured the "
    "contention (a 1 ms step took 100 ms), not the engines; `--threads default` leaves each library's own setting",
    True: "every library keeps its default thread settings (`--threads default`), as a user gets them",
}

METHOD = """\
Method: each row is {reps} processes (one per repetition; PyTorch, JAX and tinygrad rows two processes each, see
below). In each, after two checked steps (their losses must agree with hand numpy's) and a warm-up, the engine and
the same workload written by hand in numpy are timed in alternation, {rounds} rounds, each sample a run of
consecutive calls lasting about {sample:.0f} ms after an untimed gc.collect(); a process's ratio is the median over
rounds of the engine's sample over hand numpy's sample of the same round (timed back to back). The table
shows the median over processes of the time and
of the ratio, and the ratio's min–max. Engines compare only through their ratios. PyTorch, JAX and tinygrad run
thread pools of their own, so their hand numpy runs in a second process of the same interpreter, driven in lock
step, never in theirs. Threads: {threads}. JAX jit and chainrule's autograd.compile: the first call
(tracing and compiling, and one step) is excluded from the timing and shown as "first call"; the compiled rows
replay forward, loss and backward and update the parameters' .data after the call, as the eager Tensor rows do
(the micrograd demo's points are constants of its program). Losses: large, softmax
cross-entropy of the logits (log_softmax, the label's column, mean); small, BCE with logits mean(softplus(z) - y z);
micrograd demo, written as micrograd's README writes it: sum(relu(1 - y_i s_i)) * (1/n) + 1e-4 * sum(p * p) with
Python's sum, the same code for every engine. Digits: every engine draws the same batch order
(numpy.random.default_rng(0).permutation per epoch) and returns the epoch's sample-weighted mean loss."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, chainrule and hand numpy only, 1 process")
    parser.add_argument("--only", action="append", metavar="TEXT", help="only workloads whose name contains TEXT")
    parser.add_argument("--engines", nargs="*", metavar="ENV", help=f"environments to run (default: all; quick: "
                        f"ours): ours {' '.join(envs.PEERS)}")
    parser.add_argument("--contenders", action="append", metavar="TEXT",
                        help="only contenders (rows) whose name contains TEXT, e.g. 'compile' or 'jax.jit'")
    parser.add_argument("--reps", type=int, help="processes per row (default 3; quick 1)")
    parser.add_argument("--threads", default="1", help="threads of every library's pool (BLAS, OpenMP, XLA) in the "
                        "children: a number (default 1: on a shared machine extra threads measure the contention), or "
                        "'default' to leave the libraries' defaults")
    parser.add_argument("--no-scaling", action="store_true", help="skip the cost-growth plot")
    parser.add_argument("--out", default="out/bench.md", help="markdown report (default out/bench.md); the JSON and "
                        "the plot are written beside it")
    parser.add_argument("--render", metavar="JSON", nargs="+", help="measure nothing: write the report of a run's "
                        "JSON to --out; of several runs' JSON, their rows merged (a later run's row replaces an "
                        "earlier one's of the same workload and engine) and the merged JSON written beside --out")
    args = parser.parse_args(argv)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.render:
        run = merge([json.loads(Path(p).read_text()) for p in args.render])
        out.write_text(render(run))
        if len(args.render) > 1:
            out.with_suffix(".json").write_text(json.dumps(run, indent=1, default=str))
        print(f"(report of {' + '.join(args.render)} written to {out})")
        return 0
    wanted = args.engines if args.engines is not None else (["ours"] if args.quick else ["ours", *envs.PEERS])
    reps = args.reps or (1 if args.quick else 3)
    sample = 0.002 if args.quick else 0.03
    load_start = os.getloadavg()
    harness.CHILD_ENV.update(harness.thread_env(None if args.threads == "default" else int(args.threads)))

    def log(msg: str) -> None:
        print(msg, flush=True)

    unusable: dict[str, str] = {}
    for env in wanted:
        reason = envs.ensure(env, log)
        if reason:
            unusable[env] = reason
            log(f"   {env}: not usable: {reason}")
    ws = [w for w in workloads(args.quick) if not args.only or any(t in w.name for t in args.only)]
    chosen = [CONTENDERS[n] for n in ORDER if CONTENDERS[n].env in wanted and n != HAND
              and (not args.contenders or any(t in n for t in args.contenders))]
    rows = run_rows(ws, [c for c in chosen if c.env not in unusable], reps, sample, log)
    for c in chosen:
        if c.env in unusable:
            for w in ws:
                if w.family in c.makers:
                    rows.append({"workload": w.name, "family": w.family, "engine": c.name, "env": c.env,
                                 "unit": w.unit, "sessions": [], "error": f"environment {c.env}: {unusable[c.env]}"})
    infos: dict[str, dict] = {}
    for r in rows:
        for s in r["sessions"]:
            infos.setdefault(r["env"], s["info"])

    scaling_note = ""
    if not args.no_scaling:
        from . import scaling

        scaling_note = scaling.run(args.quick, "torch" in wanted and "torch" not in unusable,
                                   out.with_name("bench_scaling.png"), out.with_name("bench_scaling.json"), log)

    json_path = out.with_suffix(".json")
    previous = json.loads(json_path.read_text()) if json_path.exists() and not args.quick else None
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    run = {"date": time.strftime("%Y-%m-%d %H:%M"), "command": command.strip(), "quick": args.quick, "reps": reps,
           "sample": sample, "threads": args.threads, "load_start": load_start, "load_end": os.getloadavg(),
           "cpu": cpu_name(), "machine": machine_lines(infos, load_start, os.getloadavg()), "rows": rows,
           "targets": targets(rows), "compiled_targets": compiled_targets(rows), "scaling_note": scaling_note}
    report = render(run, previous)
    out.write_text(report)
    json_path.write_text(json.dumps(run, indent=1, default=str))
    print("\n" + report)
    print(f"(written to {out} and {json_path})")
    failed = [r for r in rows if r.get("error") and r["env"] not in unusable]
    return 1 if failed else 0


def render(run: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """The markdown report of a run (``out/bench.json``); the part between the markers goes to the README."""
    rows, ws = run["rows"], workloads(run["quick"])
    reps = run["reps"]
    parts = run.get("parts", [run])
    stamps = [f"`{p['command']}` ({p['date']}, load average {p['load_start'][0]:.1f} at the start and "
              f"{p['load_end'][0]:.1f} at the end; {p['reps']} processes per row)" for p in parts]
    stamp = f"Last full run: {stamps[0]}, {run['cpu']}."
    if len(parts) > 1:
        stamp += (f" Rows from {len(parts) - 1} later run(s) replace its rows of the same workload and engine: "
                  + "; ".join(stamps[1:]) + ".")
    report = [f"# chainrule benchmarks\n\nCommand: `{run['command']}` ({run['date']})\n",
              *[f"- {line}" for line in run["machine"]], "", "<!-- bench:start -->", "", stamp, "", table(rows, ws),
              "", spread_sentence(rows, previous, len(parts)), ""]
    for issue, judged in (("18", targets(rows)), ("15 (autograd.compile)", compiled_targets(rows))):
        if judged:
            report += [f"Targets of issue {issue}, judged from the ratios above (per-op targets are in µs, which the "
                       "load inflates; compare its ratio too):", "", "| target | measured | met? |", "|---|---|---|"]
            report += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in judged] + [""]
    threads = run["threads"]
    threads_note = (THREADS_NOTE[threads == "default"] if threads in ("1", "default")
                    else f"every library's pool set to {threads} threads")
    report += ["<!-- bench:end -->", "", METHOD.format(reps=reps, rounds=ws[0].rounds if ws else 0,
                                                        sample=run["sample"] * 1e3, threads=threads_note), ""]
    if run["scaling_note"]:
        report += [run["scaling_note"], ""]
    return "\n".join(report)

if __name__ == "__main__":
    sys.exit(main())
