"""Scalar (``Value``) benchmarks of issue 2: micrograd's own demo step, and a chain of a million operations.

The demo step is micrograd's README demo: an MLP 2-16-16-1 with ReLU on 100 two-moons points, the SVM max-margin
loss mean(relu(1 - y * score)) plus 1e-4 * sum(p * p), forward + backward + SGD update. micrograd runs the very
same step on its own ``MLP``/``Value`` in this process, from the same initial weights, so the losses must agree
to the last bit (checked) and the ratio compares equal work.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Value, weighted_sum

from .common import Row, fmt_time

SIZES = [2, 16, 16, 1]
LEARNING_RATE = 0.05
ALPHA = 1e-4


def two_moons(n: int, seed: int = 1) -> tuple[list[list[float]], list[float]]:
    """``n`` two-moons points, noise 0.1, labels in {-1, +1}, shuffled: scikit-learn's ``make_moons`` formula
    computed with a seeded numpy Generator (importing scikit-learn would cost a second)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    X = X + rng.normal(scale=0.1, size=X.shape)
    y = np.r_[-np.ones(n_out), np.ones(n - n_out)]
    order = rng.permutation(n)
    return X[order].tolist(), y[order].tolist()


def initial_weights(sizes: Sequence[int], seed: int = 1337) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer: weights of shape (n_out, n_in) uniform in [-1, 1] (micrograd's init) and zero biases."""
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, size=(m, n)), np.zeros(m)) for n, m in zip(sizes[:-1], sizes[1:])]


# ----------------------------------------------------------------------------------------------------------------
# The demo step, written once for any micrograd-like Value class
# ----------------------------------------------------------------------------------------------------------------


def demo_step(
    model: Callable[[list[Any]], Any], params: list[Any], value: type, X: list[list[float]], y: list[float]
) -> float:
    """micrograd's demo loop body: forward, SVM loss + L2, zero_grad, backward, SGD update. Returns the loss."""
    inputs = [[value(a) for a in row] for row in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in params)
    total = data_loss + reg_loss
    for p in params:
        p.grad = 0.0
    total.backward()
    for p in params:
        p.data -= LEARNING_RATE * p.grad
    return total.data


def our_mlp(weights: list[tuple[np.ndarray, np.ndarray]], *, node_for_node: bool):
    """A Value MLP: each neuron is ``weighted_sum(w, x, b)`` (chainrule's Neuron) or, node for node like
    micrograd's Neuron, ``sum((wi * xi for ...), b)``. ReLU on every layer but the last."""
    layers = [
        [([Value(w) for w in row], Value(b)) for row, b in zip(W.tolist(), bias.tolist())] for W, bias in weights
    ]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    last = len(layers) - 1

    def model(x: list[Value]) -> Value:
        for i, layer in enumerate(layers):
            if node_for_node:
                zs = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            else:
                zs = [weighted_sum(ws, x, b) for ws, b in layer]
            x = zs if i == last else [z.relu() for z in zs]
        return x[0]

    return model, params


def micrograd_mlp(weights: list[tuple[np.ndarray, np.ndarray]]):
    """micrograd's own ``MLP`` with our initial weights copied in (its global ``random`` state is restored)."""
    from micrograd.nn import MLP

    state = random.getstate()
    try:
        model = MLP(SIZES[0], SIZES[1:])
    finally:
        random.setstate(state)
    flat = [v for W, b in weights for row, bi in zip(W.tolist(), b.tolist()) for v in (*row, bi)]
    params = model.parameters()
    for p, v in zip(params, flat, strict=True):
        p.data = v
    return model, params


def bench_micrograd_demo(quick: bool) -> list[Row]:
    """Our demo step (two ways of writing a neuron) against micrograd's, same data and weights, gc on."""
    try:
        from micrograd.engine import Value as MgValue
    except ImportError:
        MgValue = None
    n_points, rounds, per_round = (12, 2, 1) if quick else (100, 4, 2)
    X, y = two_moons(n_points)
    weights = initial_weights(SIZES)
    contenders: dict[str, Callable[[], float]] = {}
    for name, nfn in (("weighted_sum", False), ("node-for-node", True)):
        model, params = our_mlp(weights, node_for_node=nfn)
        contenders[name] = (lambda m=model, p=params: demo_step(m, p, Value, X, y))
    if MgValue is not None:
        mg_model, mg_params = micrograd_mlp(weights)
        contenders["micrograd"] = lambda: demo_step(mg_model, mg_params, MgValue, X, y)

    # the first step from the same weights must give the same loss everywhere: equal work is being timed
    first = {name: fn() for name, fn in contenders.items()}
    ref = first["node-for-node"]
    for name, loss in first.items():
        if abs(loss - ref) > 1e-9 * max(1.0, abs(ref)):
            raise AssertionError(f"micrograd demo: {name} computes loss {loss!r}, node-for-node {ref!r}")

    # round-robin blocks: a gc.collect() (untimed) before each block, then consecutive steps timed one by one,
    # so micrograd pays for its own cyclic garbage at its steady rate and nobody pays for another's
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            gc.collect()
            for _ in range(per_round):
                t0 = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - t0)
    med = {name: statistics.median(s) for name, s in samples.items()}

    rows = []
    for name in ("weighted_sum", "node-for-node"):
        label = f"micrograd demo step ({n_points} pts), {name} neurons"
        if MgValue is None:
            rows.append(Row(label, fmt_time(med[name]), "micrograd not installed", target="<= 1/20 of micrograd"))
            continue
        ratio = med[name] / med["micrograd"]
        # nn's Neuron is the weighted_sum one: that is the library's demo step and carries the target; the
        # node-for-node row (micrograd's own graph, 2n nodes per neuron) shows what is left: the collector
        target, met = ("<= 1/20 of micrograd", ratio <= 1 / 20) if name == "weighted_sum" else (
            "— (micrograd's graph, node for node)", None)
        rows.append(Row(
            label, fmt_time(med[name]), f"micrograd {fmt_time(med['micrograd'])}", ratio,
            target, met, ratio_text=f"1/{1 / ratio:.1f}" if ratio < 1 else None,
        ))
    return rows


# ----------------------------------------------------------------------------------------------------------------
# A chain of a million operations
# ----------------------------------------------------------------------------------------------------------------


def build_chain(value: type, n_ops: int) -> tuple[Any, Any]:
    """x -> x * 1.0000001 -> + 1e-7 -> * ... : ``n_ops`` operations alternating mul and add (each with a
    constant, so the graph holds 2 * n_ops + 1 Values). Returns (leaf, root)."""
    leaf = x = value(1.0)
    for _ in range(n_ops // 2):
        x = x * 1.0000001
        x = x + 1e-7
    return leaf, x


def bytes_per_node(value: type, n_ops: int) -> tuple[float, float]:
    """(retained, peak) bytes per graph node of a chain of ``n_ops`` ops, traced by tracemalloc."""
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        leaf, root = build_chain(value, n_ops)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    nodes = 4 * (n_ops // 2) + 1  # per op a constant and a result, plus the leaf: 2 * n_ops + 1
    del leaf, root
    gc.collect()
    return (current - base) / nodes, (peak - base) / nodes


def time_chain_backward(n_ops: int) -> tuple[float, float, float]:
    """(build seconds, backward seconds, leaf gradient) for an ``n_ops`` chain of Values, gc on."""
    gc.collect()
    t0 = time.perf_counter()
    leaf, root = build_chain(Value, n_ops)
    t1 = time.perf_counter()
    root.backward()
    t2 = time.perf_counter()
    grad = leaf.grad
    del leaf, root
    gc.collect()
    return t1 - t0, t2 - t1, grad


def bench_chain(quick: bool) -> list[Row]:
    """Backward of a 1e6-op chain (< 3 s), its linearity against 1e5, and bytes per node vs micrograd."""
    big, small = (10_000, 1_000) if quick else (1_000_000, 100_000)
    build_big, back_big, grad = time_chain_backward(big)
    expected = 1.0000001 ** (big // 2)
    if abs(grad - expected) > 1e-9 * expected:
        raise AssertionError(f"chain: leaf gradient {grad!r}, expected {expected!r}")
    back_small = statistics.median(time_chain_backward(small)[1] for _ in range(3))
    per_node, peak_node = bytes_per_node(Value, big)
    rows = [
        Row(f"chain of {big:.0e} ops: backward", fmt_time(back_big), f"(build {fmt_time(build_big)})",
            target="< 3 s", met=back_big < 3.0),
        Row(f"chain backward linear? time per op, {big:.0e} vs {small:.0e}",
            f"{back_big / big * 1e9:.0f} ns/op", f"{back_small / small * 1e9:.0f} ns/op",
            (back_big / big) / (back_small / small), target="~1x (linear)"),
    ]
    try:
        from micrograd.engine import Value as MgValue
    except ImportError:
        MgValue = None
    mg_text, ratio = "micrograd not installed", None
    if MgValue is not None:
        mg_node, _ = bytes_per_node(MgValue, small)
        mg_text, ratio = f"micrograd {mg_node:.0f} B/node ({small:.0e} ops)", per_node / mg_node
    rows.append(Row(
        f"chain of {big:.0e} ops: memory per graph node", f"{per_node:.0f} B/node (peak {peak_node:.0f})",
        mg_text, ratio, "<= 250 B/node", per_node <= 250,
    ))
    return rows
