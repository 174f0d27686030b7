"""Digits benchmark of issue 6: seconds per training epoch of a 64-64-10 MLP, ours against PyTorch CPU.

The 1,797 handwritten 8x8 digits (``nn.data.load_digits``, pixels scaled to [0, 1]) are split once with a fixed
seed: 80% for training, a held-out 20% for the accuracy. The model is Dense(64, 64, relu) then Dense(64, 10)
(logits), the loss softmax cross-entropy from logits, the optimizer Adam (lr 1e-3, PyTorch's defaults
otherwise), batch 32, float64 and float32. Three contenders train the same model from the same initial weights:

* ours with ``nn.fit`` (one call of ``epochs=1`` per epoch, sharing one optimizer and one shuffling Generator,
  so its per-call setup is included in its time);
* ours with the explicit loop
  ``for xb, yb in loader: loss = loss_fn(model(xb), yb); opt.zero_grad(); loss.backward(); opt.step()``;
* the same loop in PyTorch eager on the CPU, one thread (as the small-regime tensor benchmark: products this
  small run on one thread in numpy's OpenBLAS too), batches indexed out of a preloaded tensor.

All three see the same batches in the same order: every epoch's permutation comes from
``numpy.random.default_rng(SEED)``, the Generator both ``nn.fit`` and ``DataLoader`` draw from. Before timing,
one warm-up epoch is run and the held-out losses of the three are checked to agree; then the epochs run
round-robin (one epoch of each in turn) and each time reported is the median over the timed epochs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import nn
from nn.data import DataLoader, load_digits, train_test_split

from .common import Row, fmt_time, interleaved, try_import_torch
from .tensor_mlp import _TorchThreads

SEED = 0
BATCH = 32
LR = 1e-3
EPOCHS = 20  # timed epochs, after one warm-up epoch: every model trains EPOCHS + 1 epochs
TARGET = 0.97
QUICK_SAMPLES = 300  # --quick: one warm-up and one timed epoch on the first 300 samples

#: a contender: (run one epoch, held-out (loss, accuracy))
Contender = tuple[Callable[[], Any], Callable[[], tuple[float, float]]]


def digits_split(quick: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, X_test, y_train, y_test`` (float64 pixels in [0, 1], int64 labels): a held-out 20%, seed 0."""
    X, y = load_digits()
    if quick:
        X, y = X[:QUICK_SAMPLES], y[:QUICK_SAMPLES]
    return train_test_split(X, y, test_size=0.2, seed=SEED)


def our_model(dtype: Any) -> nn.Sequential:
    """Dense(64, 64, relu) -> Dense(64, 10) logits, Glorot-uniform weights from seed 0 (the same every call)."""
    gen = np.random.default_rng(SEED)
    return nn.Sequential(nn.Dense(64, 64, "relu", rng=gen, dtype=dtype), nn.Dense(64, 10, rng=gen, dtype=dtype))


def _held_out(model: nn.Module, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    res = nn.evaluate(model, X, y, "cross_entropy", ["accuracy"], batch_size=None)
    return res["loss"], res["accuracy"]


def ours_fit(data: tuple[np.ndarray, ...], dtype: Any) -> Contender:
    """One epoch of ``nn.fit`` per call; the optimizer and the shuffling Generator carry over between calls."""
    Xtr, Xte, ytr, yte = data
    model = our_model(dtype)
    opt = nn.Adam(model.parameters(), lr=LR)
    gen = np.random.default_rng(SEED)

    def epoch() -> None:
        nn.fit(model, Xtr, ytr, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=BATCH, seed=gen,
               verbose=0)

    return epoch, lambda: _held_out(model, Xte, yte)


def ours_loop(data: tuple[np.ndarray, ...], dtype: Any) -> Contender:
    """One epoch of the explicit loop per call (the DataLoader reshuffles on every iteration)."""
    Xtr, Xte, ytr, yte = data
    model = our_model(dtype)
    opt = nn.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(Xtr, ytr, batch_size=BATCH, seed=SEED)

    def epoch() -> None:
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch, lambda: _held_out(model, Xte, yte)


def torch_loop(torch: Any, data: tuple[np.ndarray, ...], dtype: Any) -> Contender:
    """The same loop in PyTorch, starting from our model's initial weights (torch's Linear stores W transposed)."""
    Xtr, Xte, ytr, yte = data
    init = our_model(dtype)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    model = model.to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        for lin, dense in zip((model[0], model[2]), init.layers):
            lin.weight.copy_(torch.from_numpy(dense.W.data.T.copy()))
            lin.bias.copy_(torch.from_numpy(dense.b.data.copy()))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, y = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    Xt, yt = torch.from_numpy(Xte), torch.from_numpy(yte)
    gen = np.random.default_rng(SEED)

    def epoch() -> None:
        order = torch.from_numpy(gen.permutation(len(X)))
        for start in range(0, len(X), BATCH):
            idx = order[start:start + BATCH]
            loss = loss_fn(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    def held_out() -> tuple[float, float]:
        with torch.no_grad():
            logits = model(Xt)
            return loss_fn(logits, yt).item(), (logits.argmax(1) == yt).double().mean().item()

    return epoch, held_out


def _percent(acc: float) -> str:
    return f"{100 * acc:.1f}%"


def bench_digits(quick: bool) -> list[Row]:
    """Seconds per epoch (fit, explicit loop, PyTorch loop) and held-out accuracy (>= 97%) on the digits."""
    try:
        data64 = digits_split(quick)
    except ImportError as e:
        return [Row("digits 64-64-10: skipped", "—", f"scikit-learn not installed ({e})")]
    torch = try_import_torch()
    timed = 1 if quick else EPOCHS
    rows: list[Row] = []
    with _TorchThreads(torch, 1):
        for dtype, rtol in ((np.float64, 1e-8), (np.float32, 1e-3)):
            data = tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in data64)
            contenders: dict[str, Contender] = {"fit": ours_fit(data, dtype), "loop": ours_loop(data, dtype)}
            if torch is not None:
                contenders["pytorch"] = torch_loop(torch, data, dtype)
            # warm-up epoch, then the held-out losses must agree before anything is timed
            for run, _ in contenders.values():
                run()
            first = {name: held() for name, (_, held) in contenders.items()}
            for name, (loss, _) in first.items():
                if not np.isclose(loss, first["loop"][0], rtol=rtol, atol=0):
                    raise AssertionError(f"digits {np.dtype(dtype).name}: after one epoch {name}'s held-out loss "
                                         f"{loss} differs from the explicit loop's {first['loop'][0]}")
            med = interleaved({name: run for name, (run, _) in contenders.items()}, repeats=timed, warmup=0)
            final = {name: held()[1] for name, (_, held) in contenders.items()}

            n_train = len(data[0])
            label = f"digits 64-64-10 Adam b{BATCH} {np.dtype(dtype).name}, {n_train} train samples"
            if "pytorch" in med:
                base = f"PyTorch loop {fmt_time(med['pytorch'])}/epoch, acc {_percent(final['pytorch'])}"
            else:
                base = "PyTorch not installed"
            for name, what in (("fit", "nn.fit"), ("loop", "explicit loop")):
                ratio = med[name] / med["pytorch"] if "pytorch" in med else None
                rows.append(Row(f"{label}: {what}, s/epoch", f"{fmt_time(med[name])}/epoch, acc "
                                f"{_percent(final[name])}", base, ratio, target="info (ours/PyTorch)"))
            if "pytorch" in med:
                rows.append(Row(f"{label}: PyTorch CPU explicit loop (1 thread), s/epoch",
                                f"{fmt_time(med['pytorch'])}/epoch, acc {_percent(final['pytorch'])}", "—"))
            ours_acc = min(final["fit"], final["loop"])
            epochs = 1 + timed
            acc_row = Row(
                f"{label}: held-out 20% accuracy after {epochs} epochs (fit, loop)",
                f"{_percent(final['fit'])}, {_percent(final['loop'])}",
                f"PyTorch {_percent(final['pytorch'])}" if "pytorch" in final else "PyTorch not installed",
                target=f">= {TARGET:.0%}",
                met=ours_acc >= TARGET,
            )
            if quick:  # two epochs on a subset say nothing about the accuracy: informational
                acc_row.target, acc_row.met = f">= {TARGET:.0%} (full run only)", None
            rows.append(acc_row)
    return rows
