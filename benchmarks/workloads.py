"""The workloads: their data, and each one written by hand in numpy (the reference every engine is timed against).

This module imports numpy only: it runs in every engine's environment (ours, PyTorch's, JAX's, HIPS autograd's,
micrograd's, tinygrad's), so that every engine is timed, in its own process, against the same hand-written numpy.
Hand-written numpy is the limit an engine built on numpy can approach: the same BLAS calls, no graph. It computes
what a careful person would write: no gradient for the input batch, the softmax of the forward pass reused in the
backward pass.

A *step* is a function of no arguments that does one unit of work (forward, backward, update) and returns the
loss as a float; a *maker* turns a workload's data (:func:`data`) into a fresh step with its own copy of the
weights, so that the first losses of every engine can be compared before anything is timed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LR = 0.01  # SGD learning rate of the MLP steps
Step = Callable[[], float]


@dataclass(frozen=True)
class Workload:
    """One thing to time. ``family`` says which maker of an engine applies (large, small, chain, demo, digits)."""

    name: str
    family: str
    params: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    rounds: int = 15  # timed rounds per process (after a warm-up); each round times every contender once
    rtol: float = 1e-9  # first losses must agree with hand numpy's to this relative tolerance
    unit: str = "step"


# ----------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------


def two_moons(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` two-moons points, noise 0.1, labels in {-1, +1}, shuffled (scikit-learn's ``make_moons`` formula)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    X = X + rng.normal(scale=0.1, size=X.shape)
    y = np.r_[-np.ones(n_out), np.ones(n - n_out)]
    order = rng.permutation(n)
    return X[order], y[order]


def init_mlp(sizes: list[int], dtype: Any, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """He-scaled normal weights of shape (in, out) and zero biases (z = x @ W + b)."""
    rng = np.random.default_rng(seed)
    Ws = [(rng.standard_normal((n, m)) * np.sqrt(2.0 / n)).astype(dtype) for n, m in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(m, dtype=dtype) for m in sizes[1:]]
    return Ws, bs


def glorot_mlp(sizes: list[int], dtype: Any, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Glorot-uniform weights (Keras' and nn.Dense's default) and zero biases."""
    rng = np.random.default_rng(seed)
    Ws = []
    for n, m in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (n + m))
        Ws.append(rng.uniform(-limit, limit, size=(n, m)).astype(dtype))
    return Ws, [np.zeros(m, dtype=dtype) for m in sizes[1:]]


def data(w: Workload) -> dict[str, Any]:
    """The inputs of a workload, the same in every process (seeded numpy Generators)."""
    p = w.params
    if w.family == "large":  # ReLU MLP, softmax cross-entropy, integer labels
        dtype = np.dtype(p["dtype"])
        Ws, bs = init_mlp(p["sizes"], dtype)
        rng = np.random.default_rng(1)
        X = rng.standard_normal((p["batch"], p["sizes"][0])).astype(dtype)
        y = rng.integers(0, p["sizes"][-1], size=p["batch"])
        return dict(Ws=Ws, bs=bs, X=X, y=y, lr=LR)
    if w.family == "small":  # tanh MLP 2-16-16-1, BCE with logits, labels in {0, 1} as a column
        Ws, bs = init_mlp([2, 16, 16, 1], np.float64)
        X, y = two_moons(100)
        return dict(Ws=Ws, bs=bs, X=X[: p["batch"]].copy(), Y=(y[: p["batch"]] > 0).astype(np.float64)[:, None],
                    lr=LR)
    if w.family == "chain":
        rng = np.random.default_rng(0)
        return dict(x=rng.normal(size=4), w=rng.uniform(0.5, 1.5, size=4), b=rng.normal(scale=0.1, size=4),
                    n_ops=p["n_ops"], backward=p["backward"])
    if w.family == "demo":
        X, y = two_moons(p["points"])
        rng = np.random.default_rng(1337)
        sizes = [2, 16, 16, 1]
        weights = [(rng.uniform(-1, 1, size=(m, n)), np.zeros(m)) for n, m in zip(sizes[:-1], sizes[1:])]
        return dict(X=X, y=y, weights=weights, lr=0.05, alpha=1e-4)
    if w.family == "digits":
        Xtr, ytr = digits_train(p["samples"])
        Ws, bs = glorot_mlp([64, 64, 10], np.float32)
        return dict(X=Xtr.astype(np.float32), y=ytr, Ws=Ws, bs=bs, lr=1e-3, batch=32, seed=0)
    raise ValueError(f"unknown workload family {w.family!r}")


def digits_train(samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 1,437 training digits of an 80/20 split (seed 0) of scikit-learn's 8x8 digits, pixels in [0, 1].

    Loaded in the parent (which has scikit-learn) and cached as ``out/digits.npz`` for the peers' environments."""
    from pathlib import Path

    cache = Path(__file__).resolve().parent.parent / "out" / "digits_train.npz"
    if not cache.exists():
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        order = np.random.default_rng(0).permutation(len(X))
        train = order[: len(X) - int(round(0.2 * len(X)))]
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, X=X[train] / 16.0, y=y[train].astype(np.int64))
    f = np.load(cache)
    X, y = f["X"], f["y"]
    return (X[:samples], y[:samples]) if samples else (X, y)


# ----------------------------------------------------------------------------------------------------------------
# Hand-written numpy
# ----------------------------------------------------------------------------------------------------------------


def _sgd(params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
    for p, g in zip(params, grads):
        p -= lr * g


def hand_large(d: dict[str, Any]) -> Step:
    """One SGD step of a ReLU MLP with softmax cross-entropy (any number of layers), in place."""
    Ws, bs = [w.copy() for w in d["Ws"]], [b.copy() for b in d["bs"]]
    X, y, lr = d["X"], d["y"], d["lr"]
    rows, n = np.arange(len(y)), len(y)

    def step() -> float:
        hs, zs = [X], []
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = hs[-1] @ W + b
            zs.append(z)
            if i < len(Ws) - 1:
                hs.append(np.maximum(z, 0))
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = -(shifted - np.log(s))[rows, y].mean()
        dz = e / s  # d loss / d z = (softmax - onehot) / n
        dz[rows, y] -= 1
        dz /= n
        grads = []
        for i in range(len(Ws) - 1, -1, -1):
            grads.append((hs[i].T @ dz, dz.sum(axis=0)))
            if i:  # no gradient for the input batch X
                dz = (dz @ Ws[i].T) * (zs[i - 1] > 0)
        for (gW, gb), W, b in zip(reversed(grads), Ws, bs):
            W -= lr * gW
            b -= lr * gb
        return float(loss)

    return step


def hand_small(d: dict[str, Any]) -> Step:
    """One SGD step of the tanh MLP; loss = mean(softplus(z) - y z), d loss / dz = (sigmoid(z) - y) / n."""
    W1, W2, W3 = (w.copy() for w in d["Ws"])
    b1, b2, b3 = (b.copy() for b in d["bs"])
    X, Y, lr = d["X"], d["Y"], d["lr"]
    n = len(Y)

    def step() -> float:
        h1 = np.tanh(X @ W1 + b1)
        h2 = np.tanh(h1 @ W2 + b2)
        z = h2 @ W3 + b3
        e = np.exp(-np.abs(z))  # stable softplus and sigmoid share e^-|z|
        loss = (np.maximum(z, 0) + np.log1p(e) - Y * z).mean()
        sig = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        dz = (sig - Y) / n
        gW3, gb3 = h2.T @ dz, dz.sum(axis=0)
        d2 = (dz @ W3.T) * (1 - h2 * h2)
        gW2, gb2 = h1.T @ d2, d2.sum(axis=0)
        d1 = (d2 @ W2.T) * (1 - h1 * h1)
        gW1, gb1 = X.T @ d1, d1.sum(axis=0)
        _sgd([W1, b1, W2, b2, W3, b3], [gW1, gb1, gW2, gb2, gW3, gb3], lr)
        return float(loss)

    return step


CYCLE = 5  # ops per iteration of the chain: x * w, x + b, tanh, x * 0.5, exp


def chain(x: Any, w: Any, b: Any, n_ops: int, tanh: Callable | None = None, exp: Callable | None = None) -> Any:
    """The per-op chain; ``tanh``/``exp`` default to the methods (ours, PyTorch), or pass functions (numpy, JAX)."""
    for _ in range(n_ops // CYCLE):
        x = x * w
        x = x + b
        x = x.tanh() if tanh is None else tanh(x)
        x = x * 0.5
        x = x.exp() if exp is None else exp(x)
    return x


def hand_chain(d: dict[str, Any]) -> Step:
    """The chain forward (and, when ``backward``, its gradient with respect to x, w and b) by hand."""
    x0, w, b, n_ops = d["x"], d["w"], d["b"], d["n_ops"]
    k = n_ops // CYCLE
    if not d["backward"]:
        return lambda: float(chain(x0, w, b, n_ops, np.tanh, np.exp).sum())

    def step() -> float:
        ts, es = [], []  # what the backward pass needs: tanh and exp outputs
        x = x0
        for _ in range(k):
            t = np.tanh(x * w + b)
            x = np.exp(t * 0.5)
            ts.append(t)
            es.append(x)
        gx = np.ones_like(x)
        gw, gb = np.zeros_like(w), np.zeros_like(b)
        xs_in = [x0] + es[:-1]
        for i in range(k - 1, -1, -1):
            g = gx * es[i] * 0.5 * (1 - ts[i] * ts[i])  # through exp, * 0.5, tanh
            gb += g
            gw += g * xs_in[i]
            gx = g * w
        step.grads = {"x": gx, "w": gw, "b": gb}  # type: ignore[attr-defined]  # checked by the tests
        return float(x.sum())

    return step


def hand_demo(d: dict[str, Any]) -> Step:
    """micrograd's demo step vectorised: ReLU MLP 2-16-16-1, mean(relu(1 - y s)) + alpha sum(p^2), SGD."""
    Ws = [W.T.copy() for W, _ in d["weights"]]  # (in, out)
    bs = [b.copy() for _, b in d["weights"]]
    X, y, lr, alpha = d["X"], d["y"][:, None], d["lr"], d["alpha"]
    n = len(X)

    def step() -> float:
        hs, zs = [X], []
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = hs[-1] @ W + b
            zs.append(z)
            if i < len(Ws) - 1:
                hs.append(np.maximum(z, 0))
        margin = 1 - y * z
        loss = np.maximum(margin, 0).mean() + alpha * sum((W * W).sum() + (b * b).sum() for W, b in zip(Ws, bs))
        dz = -y * (margin > 0) / n
        grads = []
        for i in range(len(Ws) - 1, -1, -1):
            grads.append((hs[i].T @ dz + 2 * alpha * Ws[i], dz.sum(axis=0) + 2 * alpha * bs[i]))
            if i:
                dz = (dz @ Ws[i].T) * (zs[i - 1] > 0)
        for (gW, gb), W, b in zip(reversed(grads), Ws, bs):
            W -= lr * gW
            b -= lr * gb
        return float(loss)

    return step


def epoch_orders(n: int, seed: int) -> Callable[[], np.ndarray]:
    """Each call: the next epoch's permutation from ``default_rng(seed)`` (what nn.fit and DataLoader draw)."""
    gen = np.random.default_rng(seed)
    return lambda: gen.permutation(n)


def hand_digits(d: dict[str, Any]) -> Step:
    """One epoch of a 64-64-10 ReLU MLP, softmax cross-entropy, Adam (PyTorch's formula), batch 32.

    Returns the batch-size-weighted mean of the epoch's batch losses (what nn.fit reports)."""
    Ws, bs = [w.copy() for w in d["Ws"]], [b.copy() for b in d["bs"]]
    params = [Ws[0], bs[0], Ws[1], bs[1]]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    X, y, lr, batch = d["X"], d["y"], d["lr"], d["batch"]
    b1, b2, eps = 0.9, 0.999, 1e-8
    order_of = epoch_orders(len(X), d["seed"])
    t = [0]

    def epoch() -> float:
        order = order_of()
        total = 0.0
        for start in range(0, len(X), batch):
            idx = order[start:start + batch]
            xb, yb = X[idx], y[idx]
            n = len(idx)
            z1 = xb @ Ws[0] + bs[0]
            h = np.maximum(z1, 0)
            z = h @ Ws[1] + bs[1]
            shifted = z - z.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            s = e.sum(axis=1, keepdims=True)
            rows = np.arange(n)
            total += n * float(-(shifted - np.log(s))[rows, yb].mean())
            dz = e / s
            dz[rows, yb] -= 1
            dz /= n
            d1 = (dz @ Ws[1].T) * (z1 > 0)
            grads = [xb.T @ d1, d1.sum(axis=0), h.T @ dz, dz.sum(axis=0)]
            t[0] += 1
            c1, c2 = 1 - b1 ** t[0], 1 - b2 ** t[0]
            for p, g, mi, vi in zip(params, grads, m, v):
                mi *= b1
                mi += (1 - b1) * g
                vi *= b2
                vi += (1 - b2) * (g * g)
                p -= lr * (mi / c1) / (np.sqrt(vi / c2) + eps)
        return total / len(X)

    return epoch


HAND: dict[str, Callable[[dict[str, Any]], Step]] = {
    "large": hand_large, "small": hand_small, "chain": hand_chain, "demo": hand_demo, "digits": hand_digits,
}
