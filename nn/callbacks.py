"""Callbacks: objects :func:`nn.fit` tells what happens while it trains (Keras's ``callbacks=[...]``).

The loop calls, on every callback in order, ``on_train_begin``, then per epoch ``on_epoch_begin``, per batch
``on_train_batch_begin`` / ``on_train_batch_end`` (which call ``on_batch_begin`` / ``on_batch_end``, the names to
override, as in Keras), ``on_epoch_end`` (with the epoch's logs) and finally ``on_train_end``. Before training
each callback is given the model (``set_model``, read as ``self.model``), the running :class:`nn.train.Trainer`
(``set_trainer``, ``self.trainer``: optimizer, loss, metrics, epoch, ``stop_training``) and the run's numbers
(``set_params``, ``self.params``: epochs, steps per epoch, samples, validation samples). Any callback stops
training after the current epoch with ``self.trainer.stop_training = True`` (or Keras's
``self.model.stop_training = True``).

:func:`nn.fit` adds a :class:`History` (which it returns) and a :class:`ProgressBar` after the given callbacks, as
Keras adds its ``History`` and ``ProgbarLogger``.
"""

from __future__ import annotations

import difflib
import inspect
import math
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .metrics import METRICS

if TYPE_CHECKING:
    from .train import Trainer

__all__ = ["Callback", "LambdaCallback", "History", "EarlyStopping", "ProgressBar", "BATCH_BAR_THRESHOLD"]


class Callback:
    """Base class: override the hooks you need. ``self.model``, ``self.trainer`` and ``self.params`` are set by
    :func:`nn.fit` before training."""

    model: Any = None
    trainer: Trainer | None = None
    params: dict[str, Any] | None = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_trainer(self, trainer: Trainer) -> None:
        self.trainer = trainer

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

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

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """What the loop calls before each training batch; by default ``on_batch_begin`` (Keras)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """What the loop calls after each training batch; by default ``on_batch_end`` (Keras)."""
        self.on_batch_end(batch, logs)


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs))``.

    As Keras: ``on_epoch_begin`` / ``on_epoch_end`` / ``on_train_batch_begin`` / ``on_train_batch_end`` (also
    spelled ``on_batch_begin`` / ``on_batch_end``) take ``(index, logs)``; ``on_train_begin`` / ``on_train_end``
    take ``(logs)``; a hook given as None does nothing. Unlike Keras, a misspelt hook is an error, not ignored.
    """

    HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
             "on_train_batch_begin", "on_train_batch_end")

    def __init__(self, **hooks: Callable[..., Any] | None) -> None:
        # checked here, so a wrong hook fails before training rather than after an epoch has changed the weights
        for name, fn in hooks.items():
            if name not in self.HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; hooks are {', '.join(sorted(self.HOOKS))}")
            if fn is None:
                continue
            args = "(logs)" if name in ("on_train_begin", "on_train_end") else "(index, logs)"
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be a function {args}, got {type(fn).__name__} {fn!r}")
            try:
                signature = inspect.signature(fn)
            except (TypeError, ValueError):  # a builtin without a signature: take it on trust
                signature = None
            if signature is not None:
                try:
                    signature.bind(*([{}] if args == "(logs)" else [0, {}]))
                except TypeError:
                    raise TypeError(f"LambdaCallback: {name} is called as {name}{args}, but the function given takes "
                                    f"{signature}") from None
            twin = name.replace("_train_batch", "_batch") if "_train_batch" in name else \
                name.replace("_batch", "_train_batch") if "_batch" in name else None
            if twin is not None and hooks.get(twin) is not None:
                raise TypeError(f"LambdaCallback: {name} and {twin} are two names of one hook; give one of them")
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
    """Stop when ``monitor`` has stopped improving, with Keras 3's exact rules (its ``EarlyStopping``,
    https://github.com/keras-team/keras/blob/master/keras/src/callbacks/early_stopping.py).

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
        metrics = getattr(self.trainer, "metrics", None) or {}  # the run's own metric functions, by log name
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
        history = getattr(self.trainer, "history", None)
        if history is not None:  # what the plots mark: the best epoch, the stop, whether weights were restored
            history.monitor = self.monitor
            history.best_epoch = self.best_epoch if self.best is not None else None
            history.stopped_epoch = self.stopped_epoch or None
            history.restored = self.restore_best_weights and self.best_weights is not None

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


class ProgressBar(Callback):
    """The progress display of :func:`nn.fit` (Keras's ``ProgbarLogger``), added by fit with its ``verbose``.

    verbose 0: silent; 1: a tqdm bar over epochs (a widget in Jupyter, text in a terminal), plus a bar over the
    batches of epochs with more than :data:`BATCH_BAR_THRESHOLD` batches; 2: one printed line per epoch. Without
    tqdm, or outside a terminal and Jupyter, verbose 1 prints lines too. Pass one in ``callbacks`` to place it
    yourself; fit then adds none.
    """

    def __init__(self, verbose: int = 1) -> None:
        if verbose not in (0, 1, 2) or isinstance(verbose, str):
            raise ValueError(f"ProgressBar: verbose must be 0 (silent), 1 (progress bars) or 2 (a line per epoch), "
                             f"got {verbose!r}")
        self.verbose = verbose
        self.epochs = self.n_batches = 0
        self.tqdm = None
        self.epoch_bar = self.batch_bar = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.close()
        self.epochs, self.n_batches = (self.params or {}).get("epochs", 0), (self.params or {}).get("steps", 0)
        self.tqdm = None
        if self.verbose == 1 and _dynamic_display():
            from tqdm.auto import tqdm

            self.tqdm = tqdm
        if self.tqdm is not None:
            self.epoch_bar = self.tqdm(total=self.epochs, desc="fit", unit="epoch", file=sys.stderr)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.tqdm is not None and self.n_batches > BATCH_BAR_THRESHOLD:
            self.batch_bar = self.tqdm(total=self.n_batches, desc=f"epoch {epoch + 1}", unit="batch", leave=False,
                                       file=sys.stderr)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.batch_bar is not None:  # the numbers first, so a redraw never shows the previous batch's
            self.batch_bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)
            self.batch_bar.update(1)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.batch_bar is not None:
            self.batch_bar.close()
            self.batch_bar = None
        if self.epoch_bar is not None:
            self.epoch_bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
            self.epoch_bar.update(1)
            self.epoch_bar.refresh()
        elif self.verbose >= 1:
            print(f"Epoch {epoch + 1}/{self.epochs} - {_fmt(logs)}")

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.close()

    def close(self) -> None:
        """Close the bars (fit also calls this when training fails, so no bar is left half drawn)."""
        for bar in (self.batch_bar, self.epoch_bar):
            if bar is not None:
                bar.close()
        self.batch_bar = self.epoch_bar = None

    def __repr__(self) -> str:
        return f"ProgressBar(verbose={self.verbose})"
