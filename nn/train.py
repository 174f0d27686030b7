"""The fit loop (Keras's ``model.fit``), built from the same pieces as the explicit loop, plus evaluate and predict.

:func:`fit` is, per epoch, exactly this loop over a :class:`nn.data.DataLoader` (and nothing more)::

    model.train()
    for xb, yb in loader:                     # a new shuffle each epoch, from one Generator seeded once
        loss = loss_fn(model(xb), yb)         # train_step: one batch
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval(); val = evaluate(model, X_val, y_val, loss_fn)      # dropout off, no graph recorded

What is reported:

* ``loss`` is the mean of the batch losses weighted by batch size (the mean over the epoch's samples of a
  mean-reduced loss; Keras 3 does the same). The weights change during the epoch, so this is not the loss of the
  final weights; ``val_loss`` is (computed after the epoch, in eval mode).
* metrics (:mod:`nn.metrics`) are computed on each training batch's predictions (dropout on) and averaged the
  same way; ``val_*`` on the validation set after the epoch.
* targets: a target with as many numbers as the prediction but another shape (``y`` of shape (n,) and a model
  output of shape (n, 1)) is reshaped to the prediction's shape. ``cross_entropy`` takes integer labels of shape
  (n,) or (n, 1), or one-hot / probability targets of shape (n, C); a model with one output column is an error
  there (softmax of one column is 1, so the loss would be 0: use ``'bce_with_logits'``).

A loss says what it reads by attributes, not by its name (see :func:`nn.functional.takes_logits`): metric
``"accuracy"`` reads logits when the loss has ``takes_logits`` and the cross-entropy target rules above apply
when it has ``one_column_per_class``, so a subclass or a ``functools.partial`` of a loss behaves as the loss.

Callbacks (:mod:`nn.callbacks`) are told ``on_train_begin``, ``on_epoch_begin``, ``on_train_batch_begin``,
``on_train_batch_end``, ``on_epoch_end`` (with the epoch's logs) and ``on_train_end``; each is handed the model,
the running :class:`Trainer` and the run's params first. Any of them stops training after the current epoch with
``self.trainer.stop_training = True`` (or Keras's ``self.model.stop_training = True``).
The classes that used to live here (``Callback``, ``History``, ``EarlyStopping``, ``LambdaCallback``,
``Accuracy``, ``get_metric``, ...) are still importable from ``nn.train``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import Tensor, no_grad

from . import optim as _optim
from ._util import eval_mode, mode_restored, set_training, to_numpy
from .callbacks import Callback, EarlyStopping, History, LambdaCallback, ProgressBar
from .data import DataLoader, _check_batch_size, _check_shuffle, as_arrays
from .functional import LOSSES, get_loss, one_column_per_class
from .metrics import METRICS, Accuracy, get_metric, get_metrics, mae, mse

__all__ = [
    "fit", "evaluate", "predict", "train_step", "Trainer",
    # where they used to be defined; they live in nn.callbacks, nn.metrics and nn.functional now
    "Callback", "History", "EarlyStopping", "LambdaCallback", "ProgressBar",
    "Accuracy", "get_loss", "get_metric", "LOSSES", "METRICS", "OPTIMIZERS", "mae", "mse",
]

#: optimizer names accepted by :func:`fit` (each with its PyTorch default learning rate)
OPTIMIZERS = {"sgd": _optim.SGD, "adam": _optim.Adam, "adamw": _optim.AdamW, "adagrad": _optim.Adagrad,
              "adadelta": _optim.Adadelta, "rmsprop": _optim.RMSprop}


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


def _scalar(loss: Any) -> float:
    value = to_numpy(loss, dtype=np.float64)
    if value.size != 1:
        raise ValueError(f"the loss must be a scalar, got shape {value.shape}; use reduction='mean'")
    return float(value.reshape(()))


def predict(model: Any, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The model's outputs on ``X`` as a numpy array: eval mode (dropout off), no graph; the mode is restored."""
    X = to_numpy(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    with eval_mode(model), no_grad():
        step = batch_size or max(len(X), 1)
        outs = [to_numpy(model(Tensor(X[i:i + step]))) for i in range(0, len(X), step)]
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
    return _evaluate(model, X, y, get_loss(loss), get_metrics(metrics, loss), batch_size)


def _evaluate(
    model: Any, X: np.ndarray, y: np.ndarray, loss_fn: Callable[..., Any],
    named: list[tuple[str, Callable[..., float]]], batch_size: int | None,
) -> dict[str, float]:
    ce = one_column_per_class(loss_fn)
    totals = {"loss": 0.0, **{name: 0.0 for name, _ in named}}
    with eval_mode(model), no_grad():
        for xb, yb in DataLoader(X, y, batch_size=batch_size or max(len(X), 1), shuffle=False):
            pred = model(xb)
            yb = _align(pred, yb, ce)
            w = len(xb) / len(X)
            totals["loss"] += w * _scalar(loss_fn(pred, yb))
            for name, fn in named:
                totals[name] += w * float(fn(to_numpy(pred), yb.data))
    return totals


# ----------------------------------------------------------------------------------------------------------------
# fit
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Trainer:
    """What a running :func:`fit` shares with its callbacks (``callback.trainer``). Set ``stop_training = True``
    to stop after the current epoch. ``metrics`` maps each logged metric name to its function; ``params`` holds
    the run's numbers (epochs, steps per epoch, samples, validation samples), as Keras's ``callback.params``."""

    model: Any
    optimizer: Any = None
    loss: Any = None
    epochs: int = 0
    batches_per_epoch: int = 0
    epoch: int = 0
    stop_training: bool = False
    history: History | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Callable[..., float]] = field(default_factory=dict)


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
    2 one line per epoch (a :class:`ProgressBar` given in ``callbacks`` takes the place of this one).
    ``callbacks`` may be None, one callback or a list. Each batch is one :func:`train_step`.

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
    named = get_metrics(metrics, loss)
    callbacks = _callbacks(callbacks)
    batch_size = _check_batch_size(batch_size, "fit")
    shuffle = _check_shuffle(shuffle, "fit")
    Xt, yt, Xv, yv = _split(X, y, validation_split, validation_data)
    if len(Xt) == 0:
        raise ValueError(f"fit: no training samples (X has shape {X.shape})")
    loader = DataLoader(Xt, yt, batch_size=batch_size, shuffle=shuffle, seed=seed)
    step = _compiled_step(model, loss_fn, opt) if compile else train_step

    trainer = Trainer(model=model, optimizer=opt, loss=loss_fn, epochs=int(epochs), batches_per_epoch=len(loader),
                      history=History(), metrics=dict(named))
    trainer.params = {"epochs": int(epochs), "steps": len(loader), "samples": len(Xt),
                      "validation_samples": 0 if Xv is None else len(Xv)}
    cbs = _with_defaults(callbacks, trainer, verbose)
    if getattr(model, "stop_training", False):
        model.stop_training = False
    validation = None if Xv is None else (Xv, yv, max(batch_size, 1024))
    with mode_restored(model):
        try:
            _run_epochs(trainer, loader, named, cbs, validation, step)
        finally:
            for cb in cbs:
                if isinstance(cb, ProgressBar):
                    cb.close()  # no half-drawn bar when training fails
    return trainer.history


def _with_defaults(callbacks: list[Callback], trainer: Trainer, verbose: int) -> list[Callback]:
    """The given callbacks, then the run's :class:`History` (so it records the logs they leave, as Keras) and a
    :class:`ProgressBar` unless one was given; each is told the model, the trainer and the params."""
    cbs = [*callbacks, trainer.history]
    if not any(isinstance(cb, ProgressBar) for cb in callbacks):
        cbs.append(ProgressBar(verbose))
    for cb in cbs:
        cb.set_model(trainer.model)
        cb.set_trainer(trainer)
        cb.set_params(trainer.params)
    return cbs


def _run_epochs(
    trainer: Trainer, loader: DataLoader, named: list[tuple[str, Callable[..., float]]], cbs: list[Callback],
    validation: tuple[np.ndarray, np.ndarray, int] | None, step: Callable[..., tuple[Any, Tensor, float]],
) -> None:
    """The epochs, each a pass of ``step`` over the loader then the validation set (X_val, y_val, batch size),
    with the callbacks told around them; stops early when a callback asks."""
    model = trainer.model
    for cb in cbs:
        cb.on_train_begin({})
    for epoch in range(trainer.epochs):
        trainer.epoch = epoch
        for cb in cbs:
            cb.on_epoch_begin(epoch, {})
        logs = _train_epoch(trainer, loader, named, cbs, step)
        if validation is not None:
            Xv, yv, batch_size = validation
            val = _evaluate(model, Xv, yv, trainer.loss, named, batch_size=batch_size)
            logs.update({f"val_{k}": v for k, v in val.items()})
        for cb in cbs:
            cb.on_epoch_end(epoch, logs)
        if trainer.stop_training or getattr(model, "stop_training", False):
            break
    for cb in cbs:
        cb.on_train_end({})


def train_step(
    model: Any, xb: Tensor, yb: Tensor, loss_fn: Callable[..., Any], optimizer: Any, *,
    per_class: bool = False, where: str = "this batch",
) -> tuple[Any, Tensor, float]:
    """One step of gradient descent on one batch, the body of the explicit loop:

        pred = model(xb); loss = loss_fn(pred, yb); optimizer.zero_grad(); loss.backward(); optimizer.step()

    The target is first put in the prediction's shape (see the module docstring; ``per_class`` for losses with
    ``one_column_per_class``). A NaN or infinite loss raises ``FloatingPointError`` naming ``where`` before any
    gradient is computed, so the parameters stay as they were. Returns ``(pred, target, loss value)``, from which
    :func:`fit` computes the metrics.
    """
    pred = model(xb)
    yb = _align(pred, yb, per_class)
    loss = loss_fn(pred, yb)
    value = _scalar(loss)
    if not math.isfinite(value):
        raise FloatingPointError(
            f"fit: the loss became {value} in {where}; "
            "training stopped. Try a smaller learning rate, check the inputs for huge values, or use a loss "
            "on logits ('bce_with_logits', 'cross_entropy') instead of log of probabilities"
        )
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return pred, yb, value


def _compiled_step(model: Any, loss_fn: Callable[..., Any], opt: Any) -> Callable[..., tuple[Any, Tensor, float]]:
    """fit(compile=True)'s batch step, with :func:`train_step`'s signature: forward, loss and gradients compiled
    (:func:`autograd.compile`); the finiteness check and the optimizer's step stay outside, as in the eager step."""
    import autograd

    from .layers import Dropout

    if any(isinstance(m, Dropout) and m.p > 0 for m in getattr(model, "modules", lambda: [])()):
        raise ValueError("fit(compile=True): the model has Dropout, whose random masks a compiled step would replay "
                         "unchanged; use compile=False")
    if one_column_per_class(loss_fn):
        raise ValueError("fit(compile=True): cross-entropy reads its targets with numpy, outside the recorded ops, so "
                         "a compiled step would replay the first batch's labels; use compile=False")

    @autograd.compile
    def forward_backward(xb: Tensor, yb: Tensor) -> tuple[Any, Tensor, Any]:
        pred = model(xb)
        yb = _align(pred, yb)
        loss = loss_fn(pred, yb)
        opt.zero_grad()
        loss.backward()
        return pred, yb, loss

    def step(model: Any, xb: Tensor, yb: Tensor, loss_fn: Callable[..., Any], optimizer: Any, *,
             per_class: bool = False, where: str = "this batch") -> tuple[Any, Tensor, float]:
        try:
            pred, yb, loss = forward_backward(xb, yb)
        except autograd.TraceError as e:  # say which choice of the user's it is, not only the line deep inside
            raise autograd.TraceError(f"fit(compile=True): the batch step (the model, then the loss "
                                      f"{getattr(loss_fn, '__name__', type(loss_fn).__name__)!r}) cannot be "
                                      f"compiled; use compile=False. The trace said: {e}") from None
        value = _scalar(loss)
        if not math.isfinite(value):
            raise FloatingPointError(f"fit: the loss became {value} in {where}; training stopped. Try a smaller "
                                     "learning rate or check the inputs for huge values")
        optimizer.step()
        return pred, yb, value

    return step


def _train_epoch(
    trainer: Trainer, loader: DataLoader, named: list[tuple[str, Callable[..., float]]], cbs: list[Callback],
    step: Callable[..., tuple[Any, Tensor, float]] = train_step,
) -> dict[str, float]:
    """One pass over the loader in train mode, one ``step`` per batch (:func:`train_step`, or another function
    with its signature); the batch-size-weighted means of the loss and the metrics."""
    model, n = trainer.model, loader.n_samples
    set_training(model, True)
    per_class = one_column_per_class(trainer.loss)
    totals = {"loss": 0.0, **{name: 0.0 for name, _ in named}}
    for b, (xb, yb) in enumerate(loader):
        for cb in cbs:
            cb.on_train_batch_begin(b, {"size": len(xb)})
        where = f"epoch {trainer.epoch + 1}/{trainer.epochs}, batch {b + 1}/{len(loader)}"
        pred, yb, value = step(model, xb, yb, trainer.loss, trainer.optimizer, per_class=per_class, where=where)
        w = len(xb) / n
        batch_logs = {"loss": value, "size": len(xb)}
        totals["loss"] += w * value
        if named:
            p, t = to_numpy(pred), yb.data
            for name, fn in named:
                m = float(fn(p, t))
                batch_logs[name] = m
                totals[name] += w * m
        for cb in cbs:
            cb.on_train_batch_end(b, batch_logs)
    return totals
