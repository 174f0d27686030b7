"""Compiled programs (issue 15) against eager and hand-written numpy: ``python -m benchmarks.compiled``.

Rows: the small MLP step (2-16-16-1, tanh, BCE with logits, SGD) at batch 100 and 8, eager, compiled, and by
hand in numpy, in one process and timed round-robin; the per-op chain of ``benchmarks.per_op`` (1,000 ops on
shape (4,)) eager and compiled, forward and backward; and the one-off cost of tracing and compiling the step.
Not part of ``python -m benchmarks`` (its table and targets belong to issue 8); a script to measure with.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import autograd
from autograd import Tensor
from nn.functional import binary_cross_entropy_with_logits as bce_with_logits

from .common import fmt_time, interleaved
from .per_op import chain
from .scalar import two_moons
from .tensor_mlp import LR, hand_small, init_mlp, ours_small


def compiled_small(Ws, bs, X, Y):
    """The step of ``ours_small`` with forward, loss and backward compiled; the SGD update as there."""
    W1, W2, W3 = (Tensor(w.copy(), requires_grad=True) for w in Ws)
    b1, b2, b3 = (Tensor(b.copy(), requires_grad=True) for b in bs)
    params = [W1, b1, W2, b2, W3, b3]
    x, t = Tensor(X), Tensor(Y)

    @autograd.compile
    def loss_and_grads(x, t):
        h = (x @ W1 + b1).tanh()
        h = (h @ W2 + b2).tanh()
        loss = bce_with_logits(h @ W3 + b3, t)
        loss.backward()
        return loss

    def step() -> float:
        loss = loss_and_grads(x, t)
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    return step, loss_and_grads


def _data(batch: int) -> tuple[np.ndarray, np.ndarray]:
    pts, labels = two_moons(100)  # as benchmarks.tensor_mlp
    return np.asarray(pts[:batch]), (np.asarray(labels[:batch]).reshape(-1, 1) > 0).astype(np.float64)


def small(batch: int, repeats: int) -> None:
    X, Y = _data(batch)
    Ws, bs = init_mlp([2, 16, 16, 1], np.float64)
    comp, _ = compiled_small(Ws, bs, X, Y)
    makers = {"hand numpy": hand_small(Ws, bs, X, Y), "eager": ours_small(Ws, bs, X, Y), "compiled": comp}
    losses = {k: [f() for _ in range(3)] for k, f in makers.items()}
    if not np.allclose(losses["compiled"], losses["eager"], rtol=1e-12, atol=0):
        raise AssertionError(f"compiled losses {losses['compiled']} differ from eager {losses['eager']}")
    med = interleaved(makers, repeats=repeats, number=20)
    hand = med["hand numpy"]
    for k in ("eager", "compiled"):
        print(f"small MLP step, batch {batch:>3}: {k:<9} {fmt_time(med[k]):>9}  = {med[k] / hand:.2f}x hand numpy "
              f"({fmt_time(hand)})")


def per_op(n_ops: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    x_np, w_np, b_np = rng.normal(size=4), rng.uniform(0.5, 1.5, size=4), rng.normal(scale=0.1, size=4)
    w, b = Tensor(w_np, requires_grad=True), Tensor(b_np, requires_grad=True)

    def eager(x):
        chain(x, w, b, n_ops).sum().backward()

    compiled = autograd.compile(lambda x: chain(x, w, b, n_ops).sum().backward())
    x = Tensor(x_np)
    compiled(x)
    med = interleaved({"eager": lambda: eager(x), "compiled": lambda: compiled(x)}, repeats=repeats)
    for k, v in med.items():
        print(f"per-op chain ({n_ops} ops, shape (4,)), forward + backward: {k:<9} {v / n_ops * 1e6:.2f} us/op")


def trace_time(repeats: int) -> None:
    X, Y = _data(100)
    Ws, bs = init_mlp([2, 16, 16, 1], np.float64)
    times = []
    for _ in range(repeats):
        _, fn = compiled_small(Ws, bs, X, Y)
        t0 = time.perf_counter()
        fn(Tensor(X), Tensor(Y))  # the first call traces and compiles
        times.append(time.perf_counter() - t0)
    print(f"trace + compile of the small MLP step: {fmt_time(float(np.median(times)))} (median of {repeats})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    a = parser.parse_args()
    r = 5 if a.quick else 30
    for batch in (100, 8):
        small(batch, r)
    per_op(1000, r)
    trace_time(r)


if __name__ == "__main__":
    main()
