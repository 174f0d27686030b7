"""Tensor benchmarks of issue 8: one SGD step of an MLP, ours against hand-written numpy and PyTorch CPU.

Hand-written numpy is the limit an autodiff engine can approach: the same BLAS calls, no graph. It computes
exactly what a careful person would write: no gradient for the input batch, the softmax of the forward pass
reused in the backward pass. All three contenders start from the same weights and data, and their losses after
the first step are checked to agree before anything is timed.

* large regime: MLP 784-256-128-10, ReLU, softmax cross-entropy (log_softmax, pick the label's column, mean),
  batch 128, float32 and float64;
* small regime: MLP 2-16-16-1, tanh, binary cross-entropy *with logits* (mean of softplus(z) - y z, whose
  gradient is sigmoid(z) - y; ours through nn.functional, PyTorch through torch.nn.functional), two-moons data,
  batch 100 and 8, float64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.functional import binary_cross_entropy_with_logits as bce_with_logits

from .common import Row, blas_threads, fmt_time, interleaved, try_import_torch
from .scalar import two_moons

LR = 0.01


def init_mlp(sizes: list[int], dtype: Any, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """He-scaled normal weights of shape (in, out) and zero biases (z = x @ W + b)."""
    rng = np.random.default_rng(seed)
    Ws = [(rng.standard_normal((n, m)) * np.sqrt(2.0 / n)).astype(dtype) for n, m in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(m, dtype=dtype) for m in sizes[1:]]
    return Ws, bs


# ----------------------------------------------------------------------------------------------------------------
# Large regime: 784-256-128-10, ReLU, softmax cross-entropy
# ----------------------------------------------------------------------------------------------------------------


def hand_large(Ws: list[np.ndarray], bs: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """One SGD step written by hand in numpy (forward, backward, update in place); returns the loss."""
    W1, W2, W3 = (w.copy() for w in Ws)
    b1, b2, b3 = (b.copy() for b in bs)
    rows = np.arange(len(y))
    n = len(y)

    def step() -> float:
        z1 = X @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ W3 + b3
        shifted = z3 - z3.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = -(shifted - np.log(s))[rows, y].mean()
        d3 = e / s  # d loss / d z3 = (softmax - onehot) / n
        d3[rows, y] -= 1
        d3 /= n
        gW3, gb3 = h2.T @ d3, d3.sum(axis=0)
        d2 = (d3 @ W3.T) * (z2 > 0)
        gW2, gb2 = h1.T @ d2, d2.sum(axis=0)
        d1 = (d2 @ W2.T) * (z1 > 0)
        gW1, gb1 = X.T @ d1, d1.sum(axis=0)  # no gradient for the input batch X
        for p, g in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2), (W3, gW3), (b3, gb3)):
            p -= LR * g
        return float(loss)

    return step


def ours_large(Ws: list[np.ndarray], bs: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """The same step with autograd Tensors: what a user writes."""
    W1, W2, W3 = (Tensor(w.copy(), requires_grad=True) for w in Ws)
    b1, b2, b3 = (Tensor(b.copy(), requires_grad=True) for b in bs)
    params = [W1, b1, W2, b2, W3, b3]
    x = Tensor(X)
    rows = np.arange(len(y))

    def step() -> float:
        h = (x @ W1 + b1).relu()
        h = (h @ W2 + b2).relu()
        logits = h @ W3 + b3
        loss = -logits.log_softmax(axis=1)[rows, y].mean()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    return step


def torch_large(torch: Any, Ws: list[np.ndarray], bs: list[np.ndarray], X: np.ndarray, y: np.ndarray):
    """The same step in PyTorch eager (functional, F.cross_entropy)."""
    F = torch.nn.functional
    params = [torch.from_numpy(a.copy()).requires_grad_() for pair in zip(Ws, bs) for a in pair]
    W1, b1, W2, b2, W3, b3 = params
    x, t = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))

    def step() -> float:
        h = torch.relu(x @ W1 + b1)
        h = torch.relu(h @ W2 + b2)
        loss = F.cross_entropy(h @ W3 + b3, t)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss.item()

    return step


# ----------------------------------------------------------------------------------------------------------------
# Small regime: 2-16-16-1, tanh, BCE with logits
# ----------------------------------------------------------------------------------------------------------------


def hand_small(Ws: list[np.ndarray], bs: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> Callable[[], float]:
    """One SGD step by hand; loss = mean(softplus(z) - y z), d loss / dz = (sigmoid(z) - y) / n."""
    W1, W2, W3 = (w.copy() for w in Ws)
    b1, b2, b3 = (b.copy() for b in bs)
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
        for p, g in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2), (W3, gW3), (b3, gb3)):
            p -= LR * g
        return float(loss)

    return step


def ours_small(Ws: list[np.ndarray], bs: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> Callable[[], float]:
    W1, W2, W3 = (Tensor(w.copy(), requires_grad=True) for w in Ws)
    b1, b2, b3 = (Tensor(b.copy(), requires_grad=True) for b in bs)
    params = [W1, b1, W2, b2, W3, b3]
    x, t = Tensor(X), Tensor(Y)

    def step() -> float:
        h = (x @ W1 + b1).tanh()
        h = (h @ W2 + b2).tanh()
        z = h @ W3 + b3
        loss = bce_with_logits(z, t)  # nn's loss, as PyTorch's side uses F.binary_cross_entropy_with_logits
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return loss.item()

    return step


def torch_small(torch: Any, Ws: list[np.ndarray], bs: list[np.ndarray], X: np.ndarray, Y: np.ndarray):
    F = torch.nn.functional
    params = [torch.from_numpy(a.copy()).requires_grad_() for pair in zip(Ws, bs) for a in pair]
    W1, b1, W2, b2, W3, b3 = params
    x, t = torch.from_numpy(X), torch.from_numpy(Y)

    def step() -> float:
        h = torch.tanh(x @ W1 + b1)
        h = torch.tanh(h @ W2 + b2)
        loss = F.binary_cross_entropy_with_logits(h @ W3 + b3, t)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss.item()

    return step


# ----------------------------------------------------------------------------------------------------------------
# Running a regime
# ----------------------------------------------------------------------------------------------------------------


def _compare(
    label: str,
    makers: dict[str, Callable[[], Callable[[], float]]],
    rtol: float,
    target: float,
    repeats: int,
    number: int,
    warmup: int = 3,
) -> list[Row]:
    """Check that every contender's first two losses agree, then time them round-robin; two rows (hand, torch)."""
    checks = {name: make() for name, make in makers.items()}
    losses = {name: (fn(), fn()) for name, fn in checks.items()}  # the second loss also checks the update
    ref = losses["hand numpy"]
    for name, pair in losses.items():
        if not np.allclose(pair, ref, rtol=rtol, atol=0):
            raise AssertionError(f"{label}: {name} losses {pair} differ from hand numpy's {ref}")
    med = interleaved({name: make() for name, make in makers.items()}, repeats=repeats, number=number, warmup=warmup)
    ratio = med["ours"] / med["hand numpy"]
    rows = [Row(label, fmt_time(med["ours"]), f"hand numpy {fmt_time(med['hand numpy'])}", ratio,
                f"<= {target}x hand numpy", ratio <= target)]
    if "pytorch" in med:
        rows.append(Row(
            f"{label}: PyTorch eager", fmt_time(med["pytorch"]), f"hand numpy {fmt_time(med['hand numpy'])}",
            med["pytorch"] / med["hand numpy"], ratio_text=f"{med['pytorch'] / med['hand numpy']:.3g}x "
            f"(ours/PyTorch {med['ours'] / med['pytorch']:.3g}x)",
        ))
    return rows


class _TorchThreads:
    """Give PyTorch the threads numpy effectively uses, for the duration (its own count is restored after).

    Large regime: numpy's BLAS thread count. Small regime: 1, because OpenBLAS computes products this small
    (m n k below its multithreading threshold) on one thread; PyTorch with 2 threads on 2 cores spends
    milliseconds per step waking its pool for 8x16 matrices, which measures the pool, not the engine.
    """

    def __init__(self, torch: Any, threads: int) -> None:
        self.torch, self.threads = torch, threads

    def __enter__(self) -> None:
        if self.torch is not None:
            self.prev = self.torch.get_num_threads()
            self.torch.set_num_threads(self.threads)

    def __exit__(self, *exc: object) -> None:
        if self.torch is not None:
            self.torch.set_num_threads(self.prev)


def bench_large(quick: bool) -> list[Row]:
    """MLP 784-256-128-10 with batch 128 (float32 and float64): ours vs hand numpy (<= 1.15x) and PyTorch."""
    torch = try_import_torch()
    sizes, batch = ([784, 32, 16, 10], 16) if quick else ([784, 256, 128, 10], 128)
    repeats, number, warmup = (2, 1, 1) if quick else (21, 10, 3)
    rows: list[Row] = []
    with _TorchThreads(torch, blas_threads()):
        for dtype, rtol in ((np.float32, 1e-4), (np.float64, 1e-10)):
            Ws, bs = init_mlp(sizes, dtype)
            rng = np.random.default_rng(1)
            X = rng.standard_normal((batch, sizes[0])).astype(dtype)
            y = rng.integers(0, sizes[-1], size=batch)
            data = (Ws, bs, X, y)
            makers = {
                "ours": lambda d=data: ours_large(*d),
                "hand numpy": lambda d=data: hand_large(*d),
            }
            if torch is not None:
                makers["pytorch"] = lambda d=data: torch_large(torch, *d)
            label = f"tensor large {'-'.join(map(str, sizes))} b{batch} {np.dtype(dtype).name}"
            rows += _compare(label, makers, rtol, 1.15, repeats, number, warmup)
    return rows


def bench_small(quick: bool) -> list[Row]:
    """MLP 2-16-16-1 tanh + BCE with logits, float64, batch 100 (<= 1.8x) and 8 (<= 2.0x hand numpy)."""
    torch = try_import_torch()
    repeats, number, warmup = (2, 2, 1) if quick else (21, 200, 3)
    Ws, bs = init_mlp([2, 16, 16, 1], np.float64)
    pts, labels = two_moons(100)
    rows: list[Row] = []
    with _TorchThreads(torch, 1):
        for batch, target in ((100, 1.8), (8, 2.0)):
            X = np.asarray(pts[:batch])
            Y = (np.asarray(labels[:batch]).reshape(-1, 1) > 0).astype(np.float64)
            makers = {
                "ours": lambda X=X, Y=Y: ours_small(Ws, bs, X, Y),
                "hand numpy": lambda X=X, Y=Y: hand_small(Ws, bs, X, Y),
            }
            if torch is not None:
                makers["pytorch"] = lambda X=X, Y=Y: torch_small(torch, Ws, bs, X, Y)
            rows += _compare(f"tensor small 2-16-16-1 b{batch} float64", makers, 1e-10, target, repeats, number, warmup)
    return rows
