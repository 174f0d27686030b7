"""chainrule's benchmarks: speed and memory, printed as ratios against baselines run side by side.

Run ``python -m benchmarks`` (``make bench``), ``--quick`` for tiny sizes, ``--only NAME`` for one benchmark.
See :mod:`benchmarks.__main__` for the list.
"""
