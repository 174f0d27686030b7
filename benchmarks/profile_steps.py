"""Where chainrule's time goes: cProfile of the small b8 step and of the per-op chain (issue 18's closing note).

``python -m benchmarks.profile_steps [--calls N] [--top K]``: runs each step N times under cProfile (after a
warm-up) and prints the K functions with the most own time. cProfile adds its own cost per Python call, so read
the shares, not the absolute times (the suite's timings are measured without it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats

from .contenders import CONTENDERS
from .workloads import Workload, data

CASES = {
    "small 2-16-16-1 b8 step": Workload("small b8", "small", dict(batch=8)),
    "chain of 1000 ops, forward+backward": Workload("chain", "chain", dict(n_ops=1000, backward=True)),
    "chain of 1000 ops, forward only": Workload("chain", "chain", dict(n_ops=1000, backward=False)),
}


def profile(w: Workload, calls: int, top: int, engine: str = "chainrule Tensor") -> str:
    step = CONTENDERS[engine].makers[w.family](data(w))
    for _ in range(3):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        step()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime")
    out.write(f"total {stats.total_tt / calls * 1e6:.0f} µs per call under cProfile\n")
    stats.print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    for title, w in CASES.items():
        calls = args.calls if w.family == "small" else max(1, args.calls // 30)
        print(f"==== {title}: {calls} calls, sorted by own time")
        text = profile(w, calls, args.top)
        print(text.splitlines()[0] if text.startswith("total") else "")
        print(text[text.index("   ncalls"):] if "   ncalls" in text else text)


if __name__ == "__main__":
    main()
