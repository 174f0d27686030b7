"""The fit loop (Keras's ``model.fit``), built from the same pieces as the explicit loop, plus callbacks.

:func:`fit` is, per epoch, exactly this loop over a :class:`nn.data.DataLoader` (and nothing more)::

    model.train()
    for xb, yb in loader:                     # a new shuffle each epoch, from one Generator seeded once
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval(); val = evaluate(model, X_val, y_val, loss_fn)      # dropout off, no graph recorded

What is reported:

* ``loss`` is the mean of the batch losses weighted by batch size (the mean over the epoch's samples of a
  mean-reduced loss; Keras 3 does the same). The weights change during the epoch, so this is not the loss of the
  final weights; ``val_loss`` is (computed after the epoch, in eval mode).
* metrics are computed on each training batch's predictions (dropout on) and averaged the same way; ``val_*``
  on the validation set after the epoch.
* targets: a target with as many numbers as the prediction but another shape (``y`` of shape (n,) and a model
  output of shape (n, 1)) is reshaped to the prediction's shape. ``cross_entropy`` takes integer labels of shape
  (n,) or (n, 1), or one-hot / probability targets of shape (n, C); a model with one output column is an error
  there (softmax of one column is 1, so the loss would be 0: use ``'bce_with_logits'``).

Metric ``"accuracy"``: multi-class predictions (more than one column) use argmax (the same for probabilities and
logits), with integer or one-hot targets. A single column is binary: the positive class is prediction > 0.5 for
probabilities and > 0 for logits. :func:`fit` picks logits when the loss takes logits (``"bce_with_logits"``,
``"hinge"``, ``BCEWithLogitsLoss``, ``HingeLoss``) and probabilities otherwise; say it yourself with
``Accuracy(from_logits=True)`` (a warning says so when "probabilities" leave [0, 1]). ``"mae"`` and ``"mse"``
are the mean absolute and squared errors.

Callbacks (:class:`Callback`) are told ``on_train_begin``, ``on_epoch_begin``, ``on_batch_begin``,
``on_batch_end``, ``on_epoch_end`` (with the epoch's logs) and ``on_train_end``; any of them stops training after
the current epoch with ``self.trainer.stop_training = True`` (or Keras's ``self.model.stop_training = True``).
:class:`EarlyStopping` follows Keras 3 exactly (see ``shared/reference/training-semantics.md`` section 5).
"""

from __future__ import annotations

import difflib
import math
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import Tensor, no_grad

from . import functional as F
from . import optim as _optim
from .data import DataLoader, _check_batch_size, _check_shuffle, as_arrays

__all__ = [
    "fit", "evaluate", "predict", "Callback", "History", "EarlyStopping", "LambdaCallback", "Trainer",
    "Accuracy", "get_loss", "get_metric", "LOSSES", "METRICS", "OPTIMIZERS",
]

#: loss names accepted by :func:`fit` and :func:`evaluate`
LOSSES: dict[str, Callable[..., Any]] = {
    "mse": F.mse_loss,
    "bce": F.binary_cross_entropy,
    "bce_with_logits": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
    "hinge": F.hinge_loss,
}
_LOGIT_LOSSES = {"bce_with_logits", "hinge", "BCEWithLogitsLoss", "HingeLoss",
                 "binary_cross_entropy_with_logits", "hinge_loss"}
_CROSS_ENTROPY = {"cross_entropy", "CrossEntropyLoss"}

#: optimizer names accepted by :func:`fit` (each with its PyTorch default learning rate)
OPTIMIZERS = {"sgd": _optim.SGD, "adam": _optim.Adam, "adamw": _optim.AdamW, "adagrad": _optim.Adagrad,
              "adadelta": _optim.Adadelta, "rmsprop": _optim.RMSprop}


def get_loss(loss: str | Callable[..., Any]) -> Callable[..., Any]:
    """A loss name from :data:`LOSSES`, or any callable ``loss(prediction, target) -> scalar Tensor``."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; use one of {', '.join(map(repr, LOSSES))} or a callable")
        return LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable loss(prediction, target), got {type(loss).__name__}")
    return loss


def _loss_name(loss: Any) -> str:
    return loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)


def _loss_takes_logits(loss: Any) -> bool:
    return _loss_name(loss) in _LOGIT_LOSSES


# ----------------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------------


class Accuracy:
    """The fraction of samples classified right (direction ``'max'``); ``name`` is its key in the logs.

    More than one column: argmax of the prediction against integer labels or the argmax of one-hot targets. One
    column (or a 1-d prediction): positive where prediction > 0.5 (probabilities) or > 0 (``from_logits=True``);
    the target is positive where it is >= 0.5 (labels 0/1), or > 0 if it has negative values (labels -1/+1).
    """

    name = "accuracy"
    direction = "max"

    def __init__(self, from_logits: bool = False, name: str = "accuracy") -> None:
        self.from_logits = bool(from_logits)
        self.name = name
        self._warned = False

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred, target = np.asarray(pred), np.asarray(target)
        if pred.ndim >= 2 and pred.shape[-1] > 1:
            guess = pred.argmax(axis=-1)
            truth = target.argmax(axis=-1) if target.shape == pred.shape else target.reshape(guess.shape)
            return float(np.mean(guess == truth))
        if not self.from_logits and not self._warned and pred.size and (pred.min() < 0 or pred.max() > 1):
            self._warned = True
            warnings.warn(
                f"accuracy: predictions outside [0, 1] (from {pred.min():.3g} to {pred.max():.3g}) are not "
                "probabilities, yet they are cut at 0.5; if the model outputs logits, use "
                "metrics=[Accuracy(from_logits=True)] (fit does this for 'bce_with_logits' and 'hinge')",
                RuntimeWarning, stacklevel=2,
            )
        guess = pred.reshape(-1) > (0.0 if self.from_logits else 0.5)
        t = target.reshape(-1)
        if t.shape != guess.shape:
            raise ValueError(f"accuracy: prediction of shape {pred.shape} but target of shape {target.shape}")
        truth = t > 0 if np.any(t < 0) else t >= 0.5
        return float(np.mean(guess == truth))

    def __repr__(self) -> str:
        return f"Accuracy(from_logits={self.from_logits})" if self.name == "accuracy" else (
            f"Accuracy(from_logits={self.from_logits}, name={self.name!r})")


def _flat_pair(pred: np.ndarray, target: np.ndarray, who: str) -> tuple[np.ndarray, np.ndarray]:
    if pred.size != target.size:
        raise ValueError(f"{who}: prediction of shape {pred.shape} but target of shape {target.shape}")
    return pred.reshape(-1).astype(np.float64), target.reshape(-1).astype(np.float64)


def mae(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute error mean(|y_hat - y|)."""
    p, t = _flat_pair(np.asarray(pred), np.asarray(target), "mae")
    return float(np.mean(np.abs(p - t)))


def mse(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error mean((y_hat - y)^2)."""
    p, t = _flat_pair(np.asarray(pred), np.asarray(target), "mse")
    return float(np.mean((p - t) ** 2))


mae.direction = "min"  # type: ignore[attr-defined]
mse.direction = "min"  # type: ignore[attr-defined]

#: metric names accepted by :func:`fit` and :func:`evaluate`
METRICS: dict[str, Callable[..., float]] = {"accuracy": Accuracy(), "mae": mae, "mse": mse}


def get_metric(metric: str | Callable[..., float], loss: Any = None) -> tuple[str, Callable[..., float]]:
    """``(name, fn)`` for a metric name or a callable ``fn(prediction_array, target_array) -> float``.

    ``"accuracy"`` (or Keras's ``"acc"``, logged as ``acc``) reads logits when ``loss`` takes logits (see the
    module docstring)."""
    if isinstance(metric, str):
        if metric in ("accuracy", "acc"):
            return metric, Accuracy(from_logits=_loss_takes_logits(loss), name=metric)
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(map(repr, METRICS))} or a callable")
        return metric, METRICS[metric]
    if not callable(metric):
        raise TypeError(f"a metric must be a name or a callable, got {type(metric).__name__}")
    name = getattr(metric, "name", None) or getattr(metric, "__name__", type(metric).__name__)
    return str(name), metric


def _metrics(metrics: Any, loss: Any) -> list[tuple[str, Callable[..., float]]]:
    """A metric or a list of them (a single name is one metric, not its letters)."""
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    return [get_metric(m, loss) for m in metrics or ()]


# ----------------------------------------------------------------------------------------------------------------
# Running a model on data
# ----------------------------------------------------------------------------------------------------------------


def _align(pred: Any, yb: Tensor, cross_entropy: bool = False) -> Tensor:
    """The target in the prediction's shape (and float dtype) when they hold as many numbers; else unchanged.

    For cross-entropy (one column per class) labels of shape (n, 1) become (n,) and one-hot integers become
    floats; nothing else changes (its targets are labels or per-class probabilities). One output column is a
    mistake there (its softmax is 1, the loss 0), named here.
    """
    pshape = pred.shape if isinstance(pred, Tensor) else np.shape(getattr(pred, "data", pred))
    if cross_entropy:
        if len(pshape) >= 2 and pshape[1] == 1:
            raise ValueError(
                f"cross_entropy needs one output column per class, but the model's output has shape {pshape}: "
                "with one column softmax is 1 and the loss 0. For two classes use loss='bce_with_logits' on one "
                "column, or give the last layer one output per class"
            )
        if len(pshape) >= 2 and yb.shape == (*pshape[:1], 1, *pshape[2:]):
            yb = Tensor(yb.data.reshape(yb.shape[:1] + yb.shape[2:]))
        elif yb.shape == pshape and isinstance(pred, Tensor) and yb.dtype != pred.dtype:
            yb = Tensor(yb.data.astype(pred.dtype))  # one-hot targets stored as integers are probabilities
        return yb
    if yb.shape != pshape and yb.size == int(np.prod(pshape)):
        yb = Tensor(yb.data.reshape(pshape))
    if yb.shape == pshape and isinstance(pred, Tensor) and pred.dtype.kind == "f" and yb.dtype != pred.dtype:
        yb = Tensor(yb.data.astype(pred.dtype))  # 0/1 labels or float64 targets in a float32 model's dtype
    return yb


def _data(x: Any) -> np.ndarray:
    return np.asarray(x.data if hasattr(x, "data") else x)


def _set_mode(model: Any, training: bool) -> None:
    if hasattr(model, "train") and callable(model.train):
        model.train(training)


def _scalar(loss: Any) -> float:
    value = np.asarray(_data(loss), dtype=np.float64)
    if value.size != 1:
        raise ValueError(f"the loss must be a scalar, got shape {value.shape}; use reduction='mean'")
    return float(value.reshape(()))


def predict(model: Any, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The model's outputs on ``X`` as a numpy array: eval mode (dropout off), no graph; the mode is restored."""
    X = np.asarray(_data(X))
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    was = getattr(model, "training", None)
    _set_mode(model, False)
    try:
        with no_grad():
            step = batch_size or max(len(X), 1)
            outs = [_data(model(Tensor(X[i:i + step]))) for i in range(0, len(X), step)]
    finally:
        if was is not None:
            _set_mode(model, was)
    return np.concatenate(outs) if outs else np.empty((0,))


def evaluate(
    model: Any, X: Any, y: Any, loss: str | Callable[..., Any], metrics: Sequence[Any] = (),
    batch_size: int | None = 1024,
) -> dict[str, float]:
    """``{'loss': ..., metric: ...}`` on ``(X, y)`` in eval mode (dropout off) without recording a graph.

    Batches of ``batch_size`` (None: all at once); the loss and the metrics are batch means weighted by batch size,
    which for a mean-reduced loss is the mean over all samples. The model's mode is restored afterwards.
    """
    X, y = as_arrays(X, y, "evaluate")
    if len(X) == 0:
        raise ValueError(f"evaluate: no samples (X has shape {X.shape})")
    return _evaluate(model, X, y, get_loss(loss), _metrics(metrics, loss), batch_size)


def _evaluate(
    model: Any, X: np.ndarray, y: np.ndarray, loss_fn: Callable[..., Any],
    named: list[tuple[str, Callable[..., float]]], batch_size: int | None,
) -> dict[str, float]:
    was = getattr(model, "training", None)
    _set_mode(model, False)
    ce = _loss_name(loss_fn) in _CROSS_ENTROPY
    totals = {"loss": 0.0, **{name: 0.0 for name, _ in named}}
    try:
        with no_grad():
            for xb, yb in DataLoader(X, y, batch_size=batch_size or max(len(X), 1), shuffle=False):
                pred = model(xb)
                yb = _align(pred, yb, ce)
                w = len(xb) / len(X)
                totals["loss"] += w * _scalar(loss_fn(pred, yb))
                for name, fn in named:
                    totals[name] += w * float(fn(_data(pred), yb.data))
    finally:
        if was is not None:
            _set_mode(model, was)
    return totals


# ----------------------------------------------------------------------------------------------------------------
# Callbacks
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Trainer:
    """What a running :func:`fit` shares with its callbacks. Set ``stop_training = True`` to stop after the
    current epoch."""

    model: Any
    optimizer: Any = None
    loss: Any = None
    epochs: int = 0
    batches_per_epoch: int = 0
    epoch: int = 0
    stop_training: bool = False
    history: History | None = None
    params: dict[str, Any] = field(default_factory=dict)


class Callback:
    """Base class: override the hooks you need. ``self.model`` and ``self.trainer`` are set by :func:`fit`."""

    model: Any = None
    trainer: Trainer | None = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_trainer(self, trainer: Trainer) -> None:
        self.trainer = trainer

    def stop(self) -> None:
        """Ask the loop to stop after the current epoch."""
        if self.trainer is not None:
            self.trainer.stop_training = True
        elif self.model is not None:
            self.model.stop_training = True

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_train_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs))``."""

    def __init__(self, **hooks: Callable[..., Any]) -> None:
        names = {"on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end"}
        for name, fn in hooks.items():
            if name not in names:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; hooks are {', '.join(sorted(names))}")
            setattr(self, name, fn)


class History(Callback):
    """Per-epoch numbers of a :func:`fit`: ``history.history['val_loss']`` is a list with one value per epoch,
    ``history.epoch`` the epoch indices (0-based, as Keras).

    ``str(history)`` / ``_repr_html_`` / :meth:`to_rows` show it as a table. After training with
    :class:`EarlyStopping`, ``best_epoch`` (whose weights were best on ``monitor``), ``stopped_epoch`` (None if it
    ran to the end) and ``restored`` (whether the best weights were loaded back) are set for the plots.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict[str, Any] = {}
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.monitor: str | None = None
        self.restored = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, [math.nan] * (len(self.epoch) - 1)).append(float(v))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def to_rows(self) -> list[dict[str, float]]:
        """One dict per epoch: ``{'epoch': 1, 'loss': ..., 'val_loss': ...}`` (epochs counted from 1 here)."""
        return [{"epoch": e + 1, **{k: v[i] for k, v in self.history.items()}} for i, e in enumerate(self.epoch)]

    def _marks(self, e: int) -> str:
        out = []
        if e == self.best_epoch:
            out.append("best" + (", restored" if self.restored else ""))
        if e == self.stopped_epoch:
            out.append("stopped")
        return " ".join(out)

    def __str__(self) -> str:
        keys = list(self.history)
        header = ["epoch", *keys, ""]
        rows = [[str(e + 1), *(f"{self.history[k][i]:.4f}" for k in keys), self._marks(e)]
                for i, e in enumerate(self.epoch)]
        widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
        lines = ["  ".join([*(c.rjust(w) for c, w in zip(r[:-1], widths)), r[-1]]).rstrip() for r in [header, *rows]]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"History({len(self.epoch)} epochs, keys={list(self.history)})"

    def _repr_html_(self) -> str:
        keys = list(self.history)
        head = "".join(f"<th>{k}</th>" for k in ["epoch", *keys, ""])
        body = "".join(
            "<tr>" + f"<td>{e + 1}</td>" + "".join(f"<td>{self.history[k][i]:.4f}</td>" for k in keys)
            + f"<td>{self._marks(e)}</td></tr>"
            for i, e in enumerate(self.epoch)
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class EarlyStopping(Callback):
    """Stop when ``monitor`` has stopped improving, with Keras 3's exact rules.

    At the end of epoch e (0-based), with c the monitored value:

    1. nothing happens if c is missing from the logs (a warning) or e < ``start_from_epoch``;
    2. with ``restore_best_weights`` and no snapshot yet, snapshot the weights (best_epoch = e);
    3. wait += 1;
    4. if c improves on ``best`` (always, when best is None; mode min: c < best - min_delta, max:
       c > best + min_delta): best = c, best_epoch = e, snapshot if restoring, and wait = 0 unless a ``baseline``
       exists that c does not beat; then return without a stop check;
    5. otherwise, if wait >= ``patience`` and e > 0: stop after this epoch (stopped_epoch = e).

    When training ends the best snapshot is loaded back if ``restore_best_weights``, whether or not training
    stopped early (Keras 3). Consequences: patience 0 and 1 behave the same; epoch 0 never stops; the first
    monitored epoch is always "best"; with ``min_delta`` the best is the last value that cleared the margin.
    ``mode='auto'`` minimises losses (``loss``, ``val_loss``) and uses a metric's own ``direction``
    (accuracy: max; mae, mse: min). Unlike Keras (which warns and falls back to 'auto'), an unknown mode is an
    error. Weights are snapshots of ``model.state_dict()`` (copies).
    """

    def __init__(
        self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
        mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.mode = monitor, mode
        self.min_delta = abs(float(min_delta))
        self.patience, self.verbose = int(patience), int(verbose)
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.direction: str | None = None if mode == "auto" else mode
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.best: float | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self.best_epoch = 0
        self.stopped_epoch = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def _resolve_direction(self) -> str:
        if self.direction is not None:
            return self.direction
        name = self.monitor.removeprefix("val_")
        if name == "loss":
            return "min"
        metrics = dict((self.trainer.params if self.trainer else {}).get("metric_fns", {}))
        fn = metrics.get(name, METRICS.get("accuracy" if name == "acc" else name))
        direction = getattr(fn, "direction", None)
        if direction not in ("min", "max"):
            raise ValueError(
                f"EarlyStopping: cannot tell whether monitor={self.monitor!r} should go down or up; "
                "pass mode='min' or mode='max'"
            )
        return direction

    def _improves(self, current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.direction == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def _weights(self) -> dict[str, np.ndarray]:
        return {k: np.array(v, copy=True) for k, v in self.model.state_dict().items()}

    def _missing(self, logs: dict[str, Any]) -> str:
        text = (f"EarlyStopping: monitor={self.monitor!r} is not in the epoch's logs (available: "
                f"{', '.join(logs) or 'none'}); this epoch is ignored")
        if self.monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
            return text + "; there is no validation data: pass validation_split or validation_data to fit"
        close = difflib.get_close_matches(self.monitor, list(logs), n=1)
        return text + (f"; did you mean {close[0]!r}?" if close else "")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(self._missing(dict(logs or {})), RuntimeWarning, stacklevel=2)
            return
        self.direction = self._resolve_direction()
        if epoch < self.start_from_epoch:
            return
        current = float(current)
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self._weights(), epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self._weights()
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.stop()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, min_delta={self.min_delta}, patience={self.patience}, "
                f"mode={self.mode!r}, baseline={self.baseline}, restore_best_weights={self.restore_best_weights}, "
                f"start_from_epoch={self.start_from_epoch})")


# ----------------------------------------------------------------------------------------------------------------
# Progress
# ----------------------------------------------------------------------------------------------------------------

#: with verbose=1, epochs with more batches than this also get a (transient) bar over their batches
BATCH_BAR_THRESHOLD = 50


def _fmt(logs: dict[str, Any]) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


def _dynamic_display() -> bool:
    """True where a bar can redraw itself: in Jupyter (tqdm.auto draws a widget) or when stderr is a terminal.

    Elsewhere (a log file, CI, a pipe) every redraw would be kept as text full of carriage returns, so verbose=1
    prints one line per epoch instead, as Keras does."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return False
    if any(c.__module__ == "tqdm.notebook" for c in tqdm.__mro__):
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty())


class _Progress:
    """verbose 0: silent; 1: a tqdm bar over epochs (a widget in Jupyter, text in a terminal), plus a bar over the
    batches of long epochs; 2: one printed line per epoch. Without tqdm, or outside a terminal and Jupyter,
    verbose 1 prints lines too."""

    def __init__(self, verbose: int, epochs: int, n_batches: int) -> None:
        self.verbose, self.epochs, self.n_batches = verbose, epochs, n_batches
        self.tqdm = None
        if verbose == 1 and _dynamic_display():
            from tqdm.auto import tqdm

            self.tqdm = tqdm
        self.epoch_bar = self.batch_bar = None
        if self.tqdm is not None:
            self.epoch_bar = self.tqdm(total=epochs, desc="fit", unit="epoch", file=sys.stderr)

    def epoch_begin(self, epoch: int) -> None:
        if self.tqdm is not None and self.n_batches > BATCH_BAR_THRESHOLD:
            self.batch_bar = self.tqdm(total=self.n_batches, desc=f"epoch {epoch + 1}", unit="batch", leave=False,
                                       file=sys.stderr)

    def batch_end(self, logs: dict[str, Any]) -> None:
        if self.batch_bar is not None:  # the numbers first, so a redraw never shows the previous batch's
            self.batch_bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)
            self.batch_bar.update(1)

    def epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.batch_bar is not None:
            self.batch_bar.close()
            self.batch_bar = None
        if self.epoch_bar is not None:
            self.epoch_bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
            self.epoch_bar.update(1)
            self.epoch_bar.refresh()
        elif self.verbose >= 1:
            print(f"Epoch {epoch + 1}/{self.epochs} - {_fmt(logs)}")

    def close(self) -> None:
        for bar in (self.batch_bar, self.epoch_bar):
            if bar is not None:
                bar.close()
        self.batch_bar = self.epoch_bar = None


# ----------------------------------------------------------------------------------------------------------------
# fit
# ----------------------------------------------------------------------------------------------------------------


def _make_optimizer(optimizer: Any, model: Any) -> Any:
    if isinstance(optimizer, str):
        cls = OPTIMIZERS.get(optimizer.lower())
        if cls is None:
            raise ValueError(f"unknown optimizer {optimizer!r}; use one of {', '.join(OPTIMIZERS)} or an instance")
        return cls(model.parameters())
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"optimizer must be an optimizer such as nn.optim.Adam(model.parameters()) or a name, "
            f"got {type(optimizer).__name__}"
        )
    return optimizer


def _callbacks(callbacks: Any) -> list[Callback]:
    """None, one callback or several; a class given instead of an instance is named."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    out = list(callbacks)
    for i, cb in enumerate(out):
        if isinstance(cb, type) and issubclass(cb, Callback):
            raise TypeError(f"fit: callbacks[{i}] is the class {cb.__name__}; pass an instance: {cb.__name__}(...)")
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks[{i}] is a {type(cb).__name__}, not a Callback")
    return out


def _split(X: np.ndarray, y: np.ndarray, validation_split: float, validation_data: Any) -> tuple[Any, ...]:
    if validation_data is not None:
        if validation_split:
            raise ValueError("fit: give validation_split or validation_data, not both")
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError("fit: validation_data must be a pair (X_val, y_val)")
        Xv, yv = as_arrays(*validation_data, who="fit (validation_data)")
        return X, y, Xv, yv
    if not validation_split:
        return X, y, None, None
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"fit: validation_split must lie in [0, 1), got {validation_split}")
    split_at = int(math.floor(len(X) * (1.0 - validation_split)))
    if split_at in (0, len(X)):
        raise ValueError(
            f"fit: validation_split={validation_split} of {len(X)} samples leaves {split_at} for training and "
            f"{len(X) - split_at} for validation; both need at least one sample"
        )
    return X[:split_at], y[:split_at], X[split_at:], y[split_at:]


def fit(
    model: Any,
    X: Any,
    y: Any,
    *,
    loss: str | Callable[..., Any],
    optimizer: Any,
    epochs: int,
    batch_size: int = 32,
    validation_split: float = 0.0,
    validation_data: tuple[Any, Any] | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    metrics: Sequence[str | Callable[..., float]] | str = (),
    callbacks: Iterable[Callback] | Callback | None = (),
    verbose: int = 1,
    compile: bool = False,  # noqa: A002 - the name users know (torch.compile, Keras' jit_compile)
) -> History:
    """Train ``model`` on ``(X, y)`` for ``epochs`` epochs of mini-batches; return the :class:`History`.

    ``loss``: a name (``'mse'``, ``'bce'``, ``'bce_with_logits'``, ``'cross_entropy'``, ``'hinge'``) or a callable
    such as ``nn.CrossEntropyLoss()``. ``optimizer``: an optimizer over ``model.parameters()`` (or a name from
    :data:`OPTIMIZERS`, with PyTorch's default learning rate). ``validation_split`` = v holds out the **last**
    n - floor(n (1 - v)) samples, taken before any shuffling (as Keras); ``validation_data=(X_val, y_val)`` gives
    them instead. ``shuffle`` reorders the training samples every epoch from one Generator made from ``seed``.
    ``metrics``: names (``'accuracy'``, ``'mae'``, ``'mse'``) or callables ``fn(pred_array, target_array)``.
    ``verbose``: 0 silent, 1 progress bars (in a terminal or Jupyter; elsewhere one line per epoch, as Keras),
    2 one line per epoch. ``callbacks`` may be None, one callback or a list.

    The model is in train mode for the training batches and in eval mode for validation; its mode is restored at
    the end. A NaN or infinite loss raises ``FloatingPointError`` naming the epoch and the batch.

    ``compile=True`` records the forward pass, the loss and the backward pass once per batch shape
    (:func:`autograd.compile`) and replays them: the same numbers without the per-node bookkeeping. Not with
    Dropout (its masks would be replayed) nor a cross-entropy loss (it reads the targets with numpy).
    """
    X, y = as_arrays(X, y, "fit")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0 (silent), 1 (progress bars) or 2 (a line per epoch), got {verbose!r}")
    loss_fn = get_loss(loss)
    opt = _make_optimizer(optimizer, model)
    named = _metrics(metrics, loss)
    callbacks = _callbacks(callbacks)
    batch_size = _check_batch_size(batch_size, "fit")
    shuffle = _check_shuffle(shuffle, "fit")
    Xt, yt, Xv, yv = _split(X, y, validation_split, validation_data)
    if len(Xt) == 0:
        raise ValueError(f"fit: no training samples (X has shape {X.shape})")
    loader = DataLoader(Xt, yt, batch_size=batch_size, shuffle=shuffle, seed=seed)
    step = _compiled_step(model, loss_fn, opt) if compile else None

    history = History()
    trainer = Trainer(model=model, optimizer=opt, loss=loss_fn, epochs=int(epochs), batches_per_epoch=len(loader),
                      history=history)
    trainer.params = {"epochs": int(epochs), "steps": len(loader), "samples": len(Xt),
                      "validation_samples": 0 if Xv is None else len(Xv), "metric_fns": dict(named)}
    history.params = {k: v for k, v in trainer.params.items() if k != "metric_fns"}
    cbs = [*callbacks, history]  # History last (as Keras), so it records the logs the callbacks leave
    for cb in cbs:
        cb.set_model(model)
        cb.set_trainer(trainer)
    if getattr(model, "stop_training", False):
        model.stop_training = False

    was_training = getattr(model, "training", None)
    progress = _Progress(verbose, int(epochs), len(loader))
    try:
        for cb in cbs:
            cb.on_train_begin({})
        for epoch in range(int(epochs)):
            trainer.epoch = epoch
            for cb in cbs:
                cb.on_epoch_begin(epoch, {})
            progress.epoch_begin(epoch)
            logs = _train_epoch(model, loader, loss_fn, opt, named, cbs, progress, epoch, int(epochs), step)
            if Xv is not None:
                val = _evaluate(model, Xv, yv, loss_fn, named, batch_size=max(batch_size, 1024))
                logs.update({f"val_{k}": v for k, v in val.items()})
            for cb in cbs:
                cb.on_epoch_end(epoch, logs)
            progress.epoch_end(epoch, logs)
            if trainer.stop_training or getattr(model, "stop_training", False):
                break
        for cb in cbs:
            cb.on_train_end({})
    finally:
        progress.close()
        if was_training is not None:
            _set_mode(model, was_training)

    for cb in callbacks:
        if isinstance(cb, EarlyStopping):
            history.monitor = cb.monitor
            history.best_epoch = cb.best_epoch if cb.best is not None else None
            history.stopped_epoch = cb.stopped_epoch or None
            history.restored = cb.restore_best_weights and cb.best_weights is not None
    return history


def _compiled_step(model: Any, loss_fn: Callable[..., Any], opt: Any) -> Callable[..., Any]:
    """fit(compile=True)'s batch step: forward, loss and gradients, compiled (the optimizer's step stays outside,
    after the finiteness check, as in the eager loop)."""
    import autograd

    from .layers import Dropout

    if any(isinstance(m, Dropout) and m.p > 0 for m in getattr(model, "modules", lambda: [])()):
        raise ValueError("fit(compile=True): the model has Dropout, whose random masks a compiled step would replay "
                         "unchanged; use compile=False")
    ce = _loss_name(loss_fn) in _CROSS_ENTROPY
    if ce:
        raise ValueError("fit(compile=True): cross-entropy reads its targets with numpy, outside the recorded ops, so "
                         "a compiled step would replay the first batch's labels; use compile=False")

    @autograd.compile
    def step(xb: Tensor, yb: Tensor) -> tuple[Any, Any, Tensor]:
        pred = model(xb)
        yb = _align(pred, yb, ce)
        loss = loss_fn(pred, yb)
        opt.zero_grad()
        loss.backward()
        return pred, loss, yb

    return step


def _train_epoch(
    model: Any, loader: DataLoader, loss_fn: Callable[..., Any], opt: Any,
    named: list[tuple[str, Callable[..., float]]], cbs: list[Callback], progress: _Progress, epoch: int, epochs: int,
    step: Callable[..., Any] | None = None,
) -> dict[str, float]:
    """One pass over the loader in train mode; the batch-size-weighted means of the loss and the metrics."""
    _set_mode(model, True)
    n = loader.n_samples
    ce = _loss_name(loss_fn) in _CROSS_ENTROPY
    totals = {"loss": 0.0, **{name: 0.0 for name, _ in named}}
    for b, (xb, yb) in enumerate(loader):
        for cb in cbs:
            cb.on_batch_begin(b, {"size": len(xb)})
        if step is not None:  # fit(compile=True): forward, loss and gradients replayed
            pred, loss, yb = step(xb, yb)
        else:
            pred = model(xb)
            yb = _align(pred, yb, ce)
            loss = loss_fn(pred, yb)
        value = _scalar(loss)
        if not math.isfinite(value):
            raise FloatingPointError(
                f"fit: the loss became {value} in epoch {epoch + 1}/{epochs}, batch {b + 1}/{len(loader)}; "
                "training stopped. Try a smaller learning rate, check the inputs for huge values, or use a loss "
                "on logits ('bce_with_logits', 'cross_entropy') instead of log of probabilities"
            )
        if step is None:
            opt.zero_grad()
            loss.backward()
        opt.step()
        w = len(xb) / n
        batch_logs = {"loss": value, "size": len(xb)}
        totals["loss"] += w * value
        if named:
            p, t = _data(pred), yb.data
            for name, fn in named:
                m = float(fn(p, t))
                batch_logs[name] = m
                totals[name] += w * m
        for cb in cbs:
            cb.on_batch_end(b, batch_logs)
        progress.batch_end(batch_logs)
    return totals
