"""Data for training: mini-batches, a train/test split, and the lecture's data sets (made from a seed, never
downloaded).

Mini-batches
------------
:func:`batches` walks the data once; :class:`DataLoader` is the same walk as an iterable that reshuffles every
time it is iterated (every epoch), from one ``numpy.random.Generator`` seeded once. Both yield pairs of Tensors
``(xb, yb)``:

* ``xb`` is a float Tensor (float32 and float64 inputs keep their dtype, anything else becomes float64);
* ``yb`` is a Tensor of ``y`` exactly as given (integer class labels stay integers for ``cross_entropy``;
  reshape 0/1 targets to ``(n, 1)`` yourself when the model outputs one column, as the losses never broadcast).

The last partial batch is kept unless ``drop_last=True`` (n = 10, batch_size = 4: sizes 4, 4, 2). The explicit
loop stays short::

    loader = DataLoader(X, y.reshape(-1, 1), batch_size=32, seed=0)
    for epoch in range(20):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

Data sets
---------
Every generator returns ``(X, y)``: ``X`` float64 of shape (n_samples, 2) and ``y`` int64 labels of shape
(n_samples,), class 0 drawn red and class 1 green by :func:`nn.plot.plot_decision_boundary`:
:func:`make_pass_fail` (the lecture's "will I pass this class?"), :func:`make_moons`, :func:`make_circles`,
:func:`make_spirals`, :func:`make_xor`, :func:`make_blobs`, :func:`make_linear`. :func:`load_digits` returns the
1,797 handwritten 8x8 digits that ship inside scikit-learn (``pip install 'chainrule[digits]'``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Tensor

from ._util import as_generator

__all__ = [
    "batches", "DataLoader", "train_test_split", "as_arrays",
    "make_pass_fail", "PASS_FAIL_WEIGHTS", "make_moons", "make_circles", "make_spirals", "make_xor", "make_blobs",
    "make_linear", "load_digits",
]

Seed = int | np.random.Generator | None


def _array(a: Any, name: str, who: str) -> np.ndarray:
    arr = np.asarray(a.data if isinstance(a, Tensor) else a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{who}: {name} must have a first (sample) axis, got a scalar")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = ~np.isfinite(arr)
        first = np.argwhere(bad)[0]
        raise ValueError(
            f"{who}: {name} contains {int(bad.sum())} NaN or infinite value(s), the first at index "
            f"{tuple(int(i) for i in first)} ({arr[tuple(first)]}); remove or impute them before training"
        )
    return arr


def as_arrays(X: Any, y: Any, who: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """Check and convert ``X`` and ``y``: numeric, finite, the same number of samples; X becomes floating point
    (float32/float64 kept, anything else float64), y keeps its dtype."""
    X = _array(X, "X", who)
    y = _array(y, "y", who)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if len(X) != len(y):
        raise ValueError(
            f"{who}: X has {len(X)} samples (shape {X.shape}) but y has {len(y)} (shape {y.shape}); "
            "they must have the same length along the first axis"
        )
    return X, y


def _check_shuffle(shuffle: Any, who: str) -> bool:
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"{who}: shuffle must be True or False, got {shuffle!r} (Keras's shuffle='batch' is not "
                        "supported)")
    return bool(shuffle)


def _check_batch_size(batch_size: Any, who: str) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{who}: batch_size must be an integer >= 1, got {batch_size!r}")
    return int(batch_size)


def _batch_indices(n: int, batch_size: int, order: np.ndarray, drop_last: bool) -> Iterator[np.ndarray]:
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


def batches(
    X: Any, y: Any, batch_size: int, shuffle: bool = True, seed: Seed = None, drop_last: bool = False
) -> Iterator[tuple[Tensor, Tensor]]:
    """One pass over ``(X, y)`` in mini-batches of ``batch_size``: yields ``(xb, yb)`` Tensors.

    ``shuffle`` visits the samples in a random order drawn from ``seed`` (an int or a ``numpy.random.Generator``);
    without it they come in order. The last batch has n mod batch_size samples unless ``drop_last``.
    """
    X, y = as_arrays(X, y, "batches")
    batch_size = _check_batch_size(batch_size, "batches")
    shuffle = _check_shuffle(shuffle, "batches")
    order = as_generator(seed).permutation(len(X)) if shuffle else np.arange(len(X))
    for idx in _batch_indices(len(X), batch_size, order, drop_last):
        yield Tensor(X[idx]), Tensor(y[idx])


class DataLoader:
    """Mini-batches of ``(X, y)`` as an iterable: each ``for xb, yb in loader`` is one epoch.

    With ``shuffle=True`` every iteration draws a new permutation from one Generator made from ``seed`` when the
    loader is built, so the sequence of epochs is reproducible (as PyTorch's ``DataLoader`` with a seeded
    generator). ``len(loader)`` is the number of batches per epoch: ceil(n / batch_size), or floor with
    ``drop_last``.
    """

    def __init__(
        self, X: Any, y: Any, batch_size: int = 32, shuffle: bool = True, seed: Seed = None, drop_last: bool = False
    ) -> None:
        self.X, self.y = as_arrays(X, y, "DataLoader")
        self.batch_size = _check_batch_size(batch_size, "DataLoader")
        self.shuffle, self.drop_last = _check_shuffle(shuffle, "DataLoader"), bool(drop_last)
        self.rng = as_generator(seed)

    def __len__(self) -> int:
        n = len(self.X)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def n_samples(self) -> int:
        return len(self.X)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n = len(self.X)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for idx in _batch_indices(n, self.batch_size, order, self.drop_last):
            yield Tensor(self.X[idx]), Tensor(self.y[idx])

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.X)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}: {len(self)} batches per epoch)")


def train_test_split(
    X: Any, y: Any, test_size: float | int = 0.25, seed: Seed = None, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    ``test_size`` is a fraction in (0, 1) (the test set gets ceil(test_size * n) samples, as scikit-learn) or a
    number of samples. The samples are shuffled with ``seed`` first unless ``shuffle=False`` (then the test set is
    the last samples).
    """
    X, y = as_arrays(X, y, "train_test_split")
    n = len(X)
    if isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"train_test_split: a fractional test_size must lie in (0, 1), got {test_size}")
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise TypeError(f"train_test_split: test_size must be a float fraction or an int count, got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_size={test_size} leaves {n_test} of {n} samples for testing; both the "
            "training and the test set need at least one sample"
        )
    order = as_generator(seed).permutation(n) if shuffle else np.arange(n)
    train, test = order[: n - n_test], order[n - n_test:]
    return X[train], X[test], y[train], y[test]


# ----------------------------------------------------------------------------------------------------------------
# The lecture's data sets
# ----------------------------------------------------------------------------------------------------------------


def _check_n(n_samples: int, who: str, minimum: int = 2) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(f"{who}: n_samples must be an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _check_noise(noise: float, who: str) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) or not (
            noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"{who}: noise is a standard deviation and must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle the samples, then add Gaussian noise of standard deviation ``noise`` to every coordinate."""
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return X.astype(np.float64), y.astype(np.int64)


#: the ground truth of :func:`make_pass_fail`: P(pass) = sigmoid(w0 + w1 * lectures + w2 * project_hours)
PASS_FAIL_WEIGHTS = (-6.0, 0.5, 0.75)


def make_pass_fail(
    n_samples: int = 200, noise: float = 1.0, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's "will I pass this class?": x1 = hours of lectures attended, x2 = hours spent on the final
    project (both uniform in [0, 12]); y = 1 for pass, 0 for fail.

    Ground truth (:data:`PASS_FAIL_WEIGHTS`): P(pass) = sigmoid((-6 + 0.5 x1 + 0.75 x2) / noise), and y is drawn
    from that probability, so ``noise`` > 0 blurs the boundary (noise -> 0 makes it a sharp line, noise = 0 uses
    the line itself: pass exactly when -6 + 0.5 x1 + 0.75 x2 > 0).
    """
    n = _check_n(n_samples, "make_pass_fail")
    noise = _check_noise(noise, "make_pass_fail")
    rng = as_generator(seed)
    X = rng.uniform(0.0, 12.0, size=(n, 2))
    w0, w1, w2 = PASS_FAIL_WEIGHTS
    z = w0 + w1 * X[:, 0] + w2 * X[:, 1]
    if noise == 0:
        y = z > 0
    else:
        y = rng.random(n) < 0.5 * (1.0 + np.tanh(z / (2.0 * noise)))  # sigmoid(z / noise), no overflow
    return X, y.astype(np.int64)


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's layout): class 0 the upper arc (cos t, sin t), class 1 the
    lower arc (1 - cos t, 1/2 - sin t), t in [0, pi]; then Gaussian noise of std ``noise``."""
    n = _check_n(n_samples, "make_moons")
    noise = _check_noise(noise, "make_moons")
    rng = as_generator(seed)
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _finish(X, y, noise, rng)


def make_circles(
    n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor`` (in (0, 1)); then noise."""
    n = _check_n(n_samples, "make_circles")
    noise = _check_noise(noise, "make_circles")
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor is the inner radius and must lie in (0, 1), got {factor}")
    rng = as_generator(seed)
    n0 = n // 2
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n - n0, endpoint=False)
    X = np.concatenate([np.c_[np.cos(t0), np.sin(t0)], factor * np.c_[np.cos(t1), np.sin(t1)]])
    y = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _finish(X, y, noise, rng)


def make_spirals(
    n_samples: int = 200, noise: float = 0.05, turns: float = 1.5, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals: radius r in [0.05, 1], angle 2 pi turns r, class 1 rotated by pi; then noise."""
    n = _check_n(n_samples, "make_spirals")
    noise = _check_noise(noise, "make_spirals")
    if not turns > 0:
        raise ValueError(f"make_spirals: turns must be > 0, got {turns}")
    rng = as_generator(seed)
    n0 = n // 2
    parts = []
    for k, m in enumerate((n0, n - n0)):
        r = np.linspace(0.05, 1.0, m)
        angle = 2 * np.pi * turns * r + k * np.pi
        parts.append(np.c_[r * np.cos(angle), r * np.sin(angle)])
    y = np.r_[np.zeros(n0), np.ones(n - n0)]
    return _finish(np.concatenate(parts), y, noise, rng)


def make_xor(n_samples: int = 200, noise: float = 0.0, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """XOR: points uniform in [-1, 1]^2, class 1 where x1 and x2 have different signs (quadrants II and IV);
    then noise (which moves points across the axes: the classes then overlap)."""
    n = _check_n(n_samples, "make_xor")
    noise = _check_noise(noise, "make_xor")
    rng = as_generator(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return _finish(X, y, noise, rng)


def make_blobs(
    n_samples: int = 100, noise: float = 1.0, centers: int | Any = 2, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs of std ``noise`` around ``centers``: an int k places k centres evenly on a circle of radius
    3 (class i around centre i), or give the centres as a (k, 2) array. Samples are split as evenly as possible."""
    n = _check_n(n_samples, "make_blobs")
    noise = _check_noise(noise, "make_blobs")
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"make_blobs: centers must be >= 1, got {centers}")
        angle = 2 * np.pi * np.arange(centers) / centers + np.pi  # class 0 on the left
        C = 3.0 * np.c_[np.cos(angle), np.sin(angle)]
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2 or len(C) < 1:
            raise ValueError(f"make_blobs: centers must be an int or a (k, n_features) array, got shape {C.shape}")
    rng = as_generator(seed)
    k = len(C)
    y = np.arange(n) % k
    X = C[y] + 0.0
    return _finish(X, y, noise, rng)


def make_linear(
    n_samples: int = 100, noise: float = 0.0, margin: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A linearly separable set: points uniform in [-2, 2]^2, class 1 where the lecture's perceptron
    1 + 3 x1 - 2 x2 is positive; points closer than ``margin`` to that line are redrawn, so with ``noise`` = 0 the
    classes are separated by a gap of 2 * margin (noise > 0 blurs it)."""
    n = _check_n(n_samples, "make_linear")
    noise = _check_noise(noise, "make_linear")
    if not 0 <= margin < 1:
        raise ValueError(f"make_linear: margin must lie in [0, 1), got {margin}")
    rng = as_generator(seed)
    w0, w = 1.0, np.array([3.0, -2.0])
    kept: list[np.ndarray] = []
    count = 0
    while count < n:
        P = rng.uniform(-2.0, 2.0, size=(2 * n, 2))
        P = P[np.abs(w0 + P @ w) / np.linalg.norm(w) >= margin]
        kept.append(P)
        count += len(P)
    X = np.concatenate(kept)[:n]
    y = (w0 + X @ w > 0).astype(np.int64)
    return _finish(X, y, noise, rng)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits (8x8 grey images) that ship inside scikit-learn's wheel (nothing is
    downloaded).

    Returns ``X`` float64 of shape (1797, 64), the 64 pixels of each image (row by row) scaled from 0..16 to
    [0, 1], and ``y`` int64 labels 0..9. ``X[i].reshape(8, 8)`` is the image. Needs scikit-learn:
    ``pip install 'chainrule[digits]'``.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:
        raise ImportError(
            "load_digits needs scikit-learn (the digits ship inside its wheel): pip install 'chainrule[digits]'"
        ) from None
    bunch = _sk_load_digits()
    return np.asarray(bunch.data, dtype=np.float64) / 16.0, np.asarray(bunch.target, dtype=np.int64)
