"""chainrule's benchmarks: every engine in processes of its own, timed against the same workload by hand in numpy.

Run ``python -m benchmarks`` (``make bench``; ``--quick`` for tiny sizes, chainrule only). Modules: ``workloads``
(data and hand-written numpy, numpy only), ``contenders`` (one maker per engine and workload: add rows there),
``envs`` (the peers' environments under out/bench-envs), ``worker`` (the child process), ``harness`` (a session:
engine and hand numpy timed round by round), ``scaling`` (cost growth plot), ``profile_steps`` (cProfile of our
small step and per-op chain).
"""
