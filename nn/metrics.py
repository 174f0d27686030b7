"""Metrics: functions ``fn(prediction_array, target_array) -> float`` that :func:`nn.fit` and :func:`nn.evaluate`
log next to the loss (Keras's ``metrics=[...]``), and the registry of their names.

``"accuracy"``: multi-class predictions (more than one column) use argmax (the same for probabilities and
logits), with integer or one-hot targets. A single column is binary: the positive class is prediction > 0.5 for
probabilities and > 0 for logits. :func:`get_metric` picks logits when the loss declares ``takes_logits``
(``"bce_with_logits"``, ``"hinge"``, ``"cross_entropy"`` and their modules; see
:func:`nn.functional.takes_logits`) and probabilities otherwise; say it yourself with
``Accuracy(from_logits=True)`` (a warning says so when "probabilities" leave [0, 1]). ``"mae"`` and ``"mse"``
are the mean absolute and squared errors.

A metric may carry ``direction = "min"`` or ``"max"`` (which way is better); :class:`nn.callbacks.EarlyStopping`
reads it for ``mode='auto'``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .functional import takes_logits

__all__ = ["Accuracy", "mae", "mse", "METRICS", "get_metric", "get_metrics"]


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

    ``"accuracy"`` (or Keras's ``"acc"``, logged as ``acc``) reads logits when ``loss`` (a name, a function or a
    module) takes logits (see the module docstring)."""
    if isinstance(metric, str):
        if metric in ("accuracy", "acc"):
            return metric, Accuracy(from_logits=takes_logits(loss), name=metric)
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(map(repr, METRICS))} or a callable")
        return metric, METRICS[metric]
    if not callable(metric):
        raise TypeError(f"a metric must be a name or a callable, got {type(metric).__name__}")
    name = getattr(metric, "name", None) or getattr(metric, "__name__", type(metric).__name__)
    return str(name), metric


def get_metrics(metrics: Any, loss: Any = None) -> list[tuple[str, Callable[..., float]]]:
    """A metric or a list of them (a single name is one metric, not its letters)."""
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    return [get_metric(m, loss) for m in metrics or ()]

