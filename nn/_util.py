"""Small helpers that several modules of ``nn`` share (one copy each, instead of one per module)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograd import Tensor, Value

#: what every ``rng=`` / ``seed=`` argument accepts
RNG = int | np.random.Generator | None


def as_generator(rng: RNG) -> np.random.Generator:
    """A ``numpy.random.Generator`` passes through (so one Generator can be shared); an int seeds a new one;
    None draws a fresh unseeded one."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def to_numpy(x: Any, dtype: Any = None) -> np.ndarray:
    """The numbers of a Tensor or a Value (its ``.data``), or of an array-like, as a numpy array."""
    if not isinstance(x, np.ndarray) and hasattr(x, "data"):
        x = x.data
    return np.asarray(x, dtype=dtype)


def parameters_of(params: Any) -> Any:
    """What an optimizer or a clipping function was given, as an iterable of parameters: a single ``Value`` or
    ``Tensor`` becomes a list of one, a module (anything with a ``parameters()`` method) its parameters; any other
    iterable is returned as it is."""
    if isinstance(params, (Value, Tensor)):
        return [params]
    if hasattr(params, "parameters") and callable(params.parameters):
        return params.parameters()
    return params


def set_training(model: Any, training: bool) -> None:
    """``model.train(training)`` if the model has modes (a plain function has none and is left alone)."""
    if hasattr(model, "train") and callable(model.train):
        model.train(training)


@contextmanager
def mode_restored(model: Any) -> Iterator[None]:
    """Inside the block the mode may change; afterwards ``model`` is back in the mode (train or eval) it had."""
    was = getattr(model, "training", None)
    try:
        yield
    finally:
        if was is not None:
            set_training(model, was)


@contextmanager
def eval_mode(model: Any) -> Iterator[None]:
    """Evaluation mode (dropout off) inside the block; the model's own mode again afterwards."""
    with mode_restored(model):
        set_training(model, False)
        yield
