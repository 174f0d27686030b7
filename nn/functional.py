"""Activations and losses as functions, composed only of autograd operations (no derivative is written here).

Every function accepts a ``Tensor``; the element-wise activations and the losses the scalar notebooks use
(``mse_loss``, ``binary_cross_entropy``, ``binary_cross_entropy_with_logits``, ``hinge_loss``) also accept a
``Value`` or a list of Values. The numbers follow PyTorch's (https://pytorch.org/docs/stable/nn.functional.html).

Losses take ``reduction``: ``'mean'`` (the default: divide by the number of elements, or by the sum of the
weights for a weighted cross-entropy), ``'sum'`` or ``'none'`` (one loss per element or sample). A prediction and
a target of different shapes are an error, never silently broadcast.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value, one_hot, weighted_sum, where

from ._util import RNG, as_generator

__all__ = [
    "relu", "sigmoid", "tanh", "leaky_relu", "softplus", "softmax", "log_softmax", "identity",
    "ACTIVATIONS", "get_activation", "dropout",
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "hinge_loss",
    "l2_penalty",
    "LOSSES", "get_loss", "takes_logits", "one_column_per_class",
]

Scalar = Value | float
Input = Any  # a Tensor, a Value, or a sequence of Values / numbers


# ----------------------------------------------------------------------------------------------------------------
# Activations
# ----------------------------------------------------------------------------------------------------------------


def _elementwise(x: Input, fn: Callable[[Any], Any]) -> Any:
    """Apply ``fn`` to a Tensor or a Value, or to each element of a list of Values."""
    if isinstance(x, (Tensor, Value)):
        return fn(x)
    if isinstance(x, np.ndarray):
        return fn(Tensor(x))
    if isinstance(x, (list, tuple)):
        return [fn(v if isinstance(v, Value) else Value(v)) for v in x]
    if isinstance(x, (int, float)):
        return fn(Value(x))
    raise TypeError(f"expected a Tensor, a Value or a list of Values, got {type(x).__name__}")


def relu(x: Input) -> Any:
    """max(0, x); derivative 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""
    return _elementwise(x, lambda v: v.relu())


def sigmoid(x: Input) -> Any:
    """1 / (1 + e^-x) without overflow; derivative s (1 - s)."""
    return _elementwise(x, lambda v: v.sigmoid())


def tanh(x: Input) -> Any:
    """tanh x; derivative 1 - tanh^2 x."""
    return _elementwise(x, lambda v: v.tanh())


def leaky_relu(x: Input, negative_slope: float = 0.01) -> Any:
    """x if x > 0 else a x (PyTorch's a = 0.01); derivative 1 or a (a at x = 0)."""
    return _elementwise(x, lambda v: v.leaky_relu(negative_slope))


def softplus(x: Input, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """log(1 + e^(beta x)) / beta, and x once beta x > threshold (PyTorch); derivative sigmoid(beta x)."""
    return _elementwise(x, lambda v: v.softplus(beta, threshold))


def identity(x: Input) -> Any:
    """x itself (the "linear" activation)."""
    return x


def softmax(x: Input, axis: int = -1) -> Any:
    """exp(x) / sum(exp(x)) along ``axis`` (a Tensor), or over a list of Values.

    For Values it is composed of exp, sum and division after subtracting the largest input (a constant), which
    keeps exp from overflowing and does not change the result.
    """
    if isinstance(x, (list, tuple)):
        vals = [v if isinstance(v, Value) else Value(v) for v in x]
        if not vals:
            return []
        m = max(v.data for v in vals)
        exps = [(v - m).exp() for v in vals]
        total = sum(exps[1:], exps[0])
        return [e / total for e in exps]
    return _tensor(x, "softmax").softmax(axis)


def log_softmax(x: Input, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis`` (never log(softmax(x)), which underflows)."""
    return _tensor(x, "log_softmax").log_softmax(axis)


#: activation name -> function; ``None``, "linear" and "identity" all mean no activation
ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "linear": identity,
    "identity": identity,
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "leaky_relu": leaky_relu,
    "softplus": softplus,
    "softmax": softmax,
    "log_softmax": log_softmax,
}
"""Activation name -> function, as ``Dense(activation=...)`` and ``get_activation`` read it; ``None``, "linear" and
"identity" all mean no activation."""


def get_activation(activation: str | Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """The function for an activation name (see :data:`ACTIVATIONS`), a callable itself, or identity for None."""
    if activation is None:
        return identity
    if isinstance(activation, type):  # a layer class such as nn.ReLU: use an instance
        return activation()
    if callable(activation):
        return activation
    if isinstance(activation, str) and activation.lower() in ACTIVATIONS:
        return ACTIVATIONS[activation.lower()]
    raise ValueError(
        f"unknown activation {activation!r}; valid names are: {', '.join(sorted(ACTIVATIONS))} (or None)"
    )


def activation_name(activation: str | Callable[[Any], Any] | None) -> str:
    """A printable name for an activation argument."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation.lower()
    return getattr(activation, "__name__", type(activation).__name__)


# ----------------------------------------------------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------------------------------------------------


def dropout(x: Tensor, p: float = 0.5, training: bool = True, rng: RNG = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the survivors by 1/(1 - p).

    y = x * m / (1 - p) with m ~ Bernoulli(1 - p) a constant mask, so E[y] = x and the gradient is multiplied by
    the same mask. ``training=False`` (and ``p = 0``) return ``x`` unchanged; ``p = 1`` returns zeros. Like
    PyTorch's ``F.dropout``, ``training`` defaults to True: the ``Dropout`` layer follows ``model.eval()``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p is the probability of zeroing an element and must lie in [0, 1], got {p}")
    x = _tensor(x, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = as_generator(rng).random(x.shape) >= p
    return x * Tensor((keep / (1.0 - p)).astype(x.dtype if x.dtype.kind == "f" else np.float64))


# ----------------------------------------------------------------------------------------------------------------
# Helpers for losses
# ----------------------------------------------------------------------------------------------------------------

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x: Any, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    _refuse_graph_nodes(x, op)
    return Tensor(np.asarray(x, dtype=np.float64))


def _graph_nodes_in(x: Any) -> str | None:
    """What in ``x`` would be cut from the graph if its numbers were read into an array: "a Value", "a list of
    Values" or "a list of Tensors that require grad" (lists and tuples nested to any depth), or None."""
    if isinstance(x, Value):
        return "a Value"
    stack = [x] if isinstance(x, (list, tuple)) else []
    seen: set[int] = set()  # a list that contains itself is looked at once
    while stack:
        seq = stack.pop()
        if id(seq) in seen or set(map(type, seq)) <= _PLAIN_NUMBERS:  # the common case, at C speed
            continue
        seen.add(id(seq))
        for v in seq:
            if isinstance(v, (list, tuple)):
                stack.append(v)
            elif isinstance(v, Value):
                return "a list of Values"
            elif isinstance(v, Tensor) and v.requires_grad:
                return "a list of Tensors that require grad"
    return None


_PLAIN_NUMBERS = {float, int, bool, np.float64, np.float32, np.float16, np.int64, np.int32, np.bool_}


def _refuse_graph_nodes(x: Any, op: str) -> None:
    """TypeError for input whose numbers np.asarray would read out of Values or Tensors, cutting them (and
    everything before them) from the graph without a word: the layers that made them would never train."""
    what = _graph_nodes_in(x)
    if what is None:
        return
    if "Tensors" in what:
        how = "join them inside the graph with autograd.stack (or concatenate)"
    else:
        how = ("build the model with Tensors (Dense, ...), or keep it in Values (Neuron, Layer, MLP) and use a "
               "function that takes Values (relu, sigmoid, tanh, softmax, mse_loss, binary_cross_entropy, ...)")
    raise TypeError(f"{op}: needs a Tensor, got {what}, which would be cut from the graph; {how}")


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {', '.join(map(repr, _REDUCTIONS))}, got {reduction!r}")


def _is_values(x: Any) -> bool:
    return isinstance(x, Value) or (
        isinstance(x, (list, tuple)) and len(x) > 0 and any(isinstance(v, Value) for v in x)
    )


def _pairs(pred: Input, target: Any, op: str) -> tuple[Any, Any, bool]:
    """Line up prediction and target: (Tensor, Tensor, False), or (list of Values, list of targets, True).

    A Tensor target keeps its graph (as in PyTorch); any other target becomes a constant of the prediction's
    dtype. Shapes must match exactly.
    """
    if _is_values(pred):
        ps = [pred] if isinstance(pred, Value) else [v if isinstance(v, Value) else Value(v) for v in pred]
        if isinstance(target, Tensor):
            target = target.data
        ts = np.empty((), dtype=object) if isinstance(target, Value) else np.asarray(target, dtype=object)
        pshape = () if isinstance(pred, Value) else (len(ps),)
        if ts.shape != pshape:
            raise ValueError(f"{op}: prediction has shape {pshape} but target has shape {ts.shape}")
        tlist = [target] if ts.ndim == 0 else list(target)
        return ps, [t if isinstance(t, Value) else float(t) for t in tlist], True
    p = _tensor(pred, op)
    if isinstance(target, Tensor):
        t = target
    else:
        _refuse_graph_nodes(target, f"{op} (target)")
        arr = np.asarray(target)
        t = Tensor(arr.astype(p.dtype if p.dtype.kind == "f" else np.float64))
    if p.shape != t.shape:
        raise ValueError(
            f"{op}: prediction has shape {p.shape} but target has shape {t.shape}; they must match exactly "
            "(reshape one of them, e.g. target.reshape(prediction.shape))"
        )
    return p, t, False


def _reduce(losses: Any, reduction: str, is_list: bool, pred: Any = None) -> Any:
    """Reduce element losses (a Tensor, or a list of Values) by mean, sum or not at all.

    The loss of a single Value prediction is that Value itself, whatever the reduction.
    """
    if isinstance(pred, Value):
        return losses[0]
    if reduction == "none":
        return losses
    if is_list:  # one weighted-sum node: sum_i c l_i with c = 1/N (mean) or 1 (sum)
        if not losses:
            return Value(0.0)
        c = 1.0 / len(losses) if reduction == "mean" else 1.0
        return weighted_sum([c] * len(losses), losses)
    return losses.mean() if reduction == "mean" else losses.sum()


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def _map(fn: Callable[[Any, Any], Any], p: Any, t: Any, is_list: bool) -> Any:
    return [fn(a, b) for a, b in zip(p, t)] if is_list else fn(p, t)


def _data_range(p: Any, is_list: bool) -> tuple[float, float]:
    arr = np.array([v.data for v in p]) if is_list else p.data
    return (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)


# ----------------------------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------------------------


def mse_loss(pred: Input, target: Any, reduction: str = "mean") -> Any:
    """Mean squared error: mean((y_hat - y)^2); gradient 2 (y_hat - y) / N."""
    _check_reduction(reduction, "mse_loss")
    p, t, is_list = _pairs(pred, target, "mse_loss")
    return _reduce(_map(lambda a, b: (a - b) ** 2, p, t, is_list), reduction, is_list, pred)


#: log(_TINY) = -100: below it PyTorch's BCELoss clamps the log at -100
_TINY = math.exp(-100.0)


def _clamped_log(q: Any) -> Any:
    """max(log q, -100), written with a selection so that log never sees 0 (no -inf, no warnings, any dtype):
    where q > e^-100 it is log(q) (derivative 1/q), elsewhere the constant -100 (derivative 0)."""
    if isinstance(q, Value):
        return q.log() if q.data > _TINY else q * 0.0 - 100.0
    ok = q.data > _TINY
    return where(ok, where(ok, q, 1.0).log(), -100.0)


def binary_cross_entropy(
    pred: Input, target: Any, weight: Any = None, reduction: str = "mean"
) -> Any:
    """Binary cross-entropy on probabilities p in [0, 1] (PyTorch's ``BCELoss``):

        l_i = -w_i [ y_i max(log p_i, -100) + (1 - y_i) max(log(1 - p_i), -100) ]

    so p = 0 or 1 is allowed and one element costs at most 100. The gradient (p - y) / (p (1 - p)) equals
    PyTorch's wherever p (1 - p) >= 1e-12. Where the clamp is active (p < e^-100 or 1 - p < e^-100) our gradient
    is the derivative of what is computed, 0, while PyTorch's backward returns (p - y) / 1e-12 (about -1e12 at
    p = 0, y = 1) although its forward is flat there; between e^-100 and 1e-12 ours is the exact -y/p (larger).
    The clamp is a selection (``where``), so p = 0 never takes a log of 0: no inf, NaN or warning in any dtype.
    At p = y in {0, 1} ours is the true derivative (+1 at p = y = 0, -1 at p = y = 1) where PyTorch gives 0.
    Prefer :func:`binary_cross_entropy_with_logits` on raw scores: it never saturates.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    p, t, is_list = _pairs(pred, target, "binary_cross_entropy")
    lo, hi = _data_range(p, is_list)
    if lo < 0 or hi > 1 or math.isnan(lo) or math.isnan(hi):
        raise ValueError(
            f"binary_cross_entropy: predictions must be probabilities in [0, 1], got values in [{lo}, {hi}]; "
            "use binary_cross_entropy_with_logits for raw scores"
        )
    losses = _map(lambda a, b: -b * _clamped_log(a) - (1 - b) * _clamped_log(1 - a), p, t, is_list)
    losses = _apply_weight(losses, weight, p, is_list, "binary_cross_entropy")
    return _reduce(losses, reduction, is_list, pred)


def _check_broadcast(w_shape: tuple[int, ...], p_shape: tuple[int, ...], name: str, op: str) -> None:
    """``name`` must broadcast to the prediction's shape without enlarging it (PyTorch's ``expand``)."""
    try:
        ok = np.broadcast_shapes(w_shape, p_shape) == p_shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{op}: {name} of shape {w_shape} does not broadcast to the prediction's {p_shape}")


def _list_weight(weight: Any, n: int, name: str, op: str) -> np.ndarray:
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=np.float64)
    _check_broadcast(w.shape, (n,), name, op)
    return np.broadcast_to(w, (n,))


def _apply_weight(losses: Any, weight: Any, p: Any, is_list: bool, op: str) -> Any:
    if weight is None:
        return losses
    if is_list:
        w = _list_weight(weight, len(losses), "weight", op)
        return [loss * float(wi) for loss, wi in zip(losses, w)]
    w = weight if isinstance(weight, Tensor) else Tensor(np.asarray(weight, dtype=p.dtype))
    _check_broadcast(w.shape, p.shape, "weight", op)
    return losses * w


def binary_cross_entropy_with_logits(
    logits: Input, target: Any, weight: Any = None, pos_weight: Any = None, reduction: str = "mean"
) -> Any:
    """Binary cross-entropy on raw scores x, stable for any x (PyTorch's ``BCEWithLogitsLoss``):

        l = softplus(x) - x y = max(x, 0) - x y + log(1 + e^-|x|),   gradient sigmoid(x) - y

    and with ``pos_weight`` p_w (weighting the positive term): l = (1 - y) x + (1 + (p_w - 1) y) softplus(-x).
    sigmoid is never computed and then logged. softplus here is the stable op with no threshold.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    p, t, is_list = _pairs(logits, target, "binary_cross_entropy_with_logits")
    inf = math.inf
    if pos_weight is None:
        losses = _map(lambda x, y: x.bce_with_logits(y), p, t, is_list)  # one node: d/dx = sigmoid(x) - y
    else:
        if is_list:
            pw = _list_weight(pos_weight, len(p), "pos_weight", "binary_cross_entropy_with_logits")
            losses = [(1 - y) * x + (1 + (float(w) - 1) * y) * (-x).softplus(1.0, inf) for x, y, w in zip(p, t, pw)]
        else:
            pw = pos_weight if isinstance(pos_weight, Tensor) else Tensor(np.asarray(pos_weight, dtype=p.dtype))
            _check_broadcast(pw.shape, p.shape, "pos_weight", "binary_cross_entropy_with_logits")
            losses = (1 - t) * p + (1 + (pw - 1) * t) * (-p).softplus(1.0, inf)
    losses = _apply_weight(losses, weight, p, is_list, "binary_cross_entropy_with_logits")
    return _reduce(losses, reduction, is_list, logits)


def hinge_loss(scores: Input, target: Any, reduction: str = "mean") -> Any:
    """micrograd's max-margin loss for labels y in {-1, +1}: mean(relu(1 - y s)). Other labels (0/1 from a
    dataset, say) are an error: with y = 0 the loss would be relu(1) = 1 whatever the score, silently.

    Subgradient -y/N where the margin is violated (1 - y s > 0), else 0 (0 exactly at the margin).
    """
    _check_reduction(reduction, "hinge_loss")
    p, t, is_list = _pairs(scores, target, "hinge_loss")
    labels = np.array([_data(y) for y in t]) if is_list else t.data
    bad = labels[(labels != 1) & (labels != -1)] if labels.size else labels
    if bad.size:
        raise ValueError(
            f"hinge_loss: labels must be -1 or +1, got {sorted(set(bad.tolist()))[:5]}; map 0/1 labels with 2 * y - 1"
        )
    return _reduce(_map(lambda s, y: (1 - y * s).relu(), p, t, is_list), reduction, is_list, scores)


def cross_entropy(
    logits: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from raw scores (PyTorch's ``CrossEntropyLoss``).

    ``logits`` has shape (C,), (N, C) or (N, C, d1, ...): the classes are axis 1 (axis 0 for a single sample).
    ``target`` is either integer class labels of the logits' shape without the class axis, or probabilities of the
    logits' own shape. With labels, l_i = w_{y_i} (logsumexp(z_i) - z_{i, y_i}); the gradient is
    softmax(z_i) - onehot(y_i). ``weight`` (one per class) scales each sample by its class's weight and 'mean'
    divides by the sum of the weights used; samples labelled ``ignore_index`` add nothing and are not counted.
    ``label_smoothing`` s mixes the target with the uniform distribution: q = (1 - s) onehot + s/C.
    With probabilities q, l_i = -sum_c w_c q_ic log softmax(z_i)_c and 'mean' divides by N.
    When 'mean' counts nothing (every sample ignored, an empty batch, the used class weights summing to 0) the loss
    is NaN (0/0), as in PyTorch; an ignored sample's gradient is still exactly 0.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    z = _tensor(logits, "cross_entropy")
    if z.ndim == 0:
        raise ValueError("cross_entropy: logits must have a class axis, got a 0-d tensor")
    axis = 0 if z.ndim == 1 else 1
    n_classes = z.shape[axis]
    logp = z.log_softmax(axis)
    w = None
    if weight is not None:
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=z.dtype)
        if w.shape != (n_classes,):
            raise ValueError(f"cross_entropy: weight must have shape ({n_classes},) (one per class), got {w.shape}")
    # the class weights placed along the class axis, so they broadcast against logp
    w_axis = None if w is None else Tensor(w.reshape((n_classes,) + (1,) * (z.ndim - axis - 1)))
    y = np.asarray(target.data if isinstance(target, Tensor) else target)
    if y.shape == z.shape and y.dtype.kind == "f":
        # a Tensor of probabilities keeps its graph (PyTorch differentiates the target too: -log softmax(z))
        q = (target if target.dtype == z.dtype else target.astype(z.dtype)) if isinstance(target, Tensor) \
            else Tensor(y.astype(z.dtype))
        if label_smoothing:
            q = q * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * q if w_axis is None else logp * q * w_axis
        losses = -terms.sum(axis=axis)
        if reduction == "mean":
            return _mean_over(losses.sum(), losses.size)
        return losses.sum() if reduction == "sum" else losses
    label_shape = z.shape[:axis] + z.shape[axis + 1:]
    if y.shape != label_shape:
        raise ValueError(
            f"cross_entropy: logits have shape {z.shape}, so the target must be class labels of shape "
            f"{label_shape} or probabilities of shape {z.shape}; got shape {y.shape}"
        )
    if y.dtype.kind not in "biuf":
        raise TypeError(f"cross_entropy: class labels must be integers, got dtype {y.dtype}")
    if y.dtype.kind == "f" and y.size and not (np.all(np.isfinite(y)) and np.all(np.mod(y, 1) == 0)):
        raise ValueError(
            f"cross_entropy: class labels must be integers, got dtype {y.dtype} with fractions or non-finite values"
        )
    out = (y != ignore_index) & ((y < 0) | (y >= n_classes))  # checked before the cast, which could wrap around
    if np.any(out):
        bad = sorted(set(y[out].tolist()))[:10]
        raise ValueError(f"cross_entropy: labels must lie in [0, {n_classes}) (or be ignore_index), got {bad}")
    y = y.astype(np.int64)
    keep = y != ignore_index
    safe = np.where(keep, y, 0)
    # the one-hot target along the class axis, zero on ignored samples: a constant, so l is a product and a sum
    onehot = one_hot(safe, n_classes, dtype=z.dtype).data * keep[..., None]
    onehot = Tensor(np.moveaxis(onehot, -1, axis))
    sample_w = keep.astype(z.dtype) if w is None else w[safe] * keep
    picked = logp * onehot if w_axis is None else logp * onehot * w_axis
    losses = -picked.sum(axis=axis) * (1 - label_smoothing)
    if label_smoothing:
        every = logp if w_axis is None else logp * w_axis
        smooth = -every.sum(axis=axis) * Tensor(keep.astype(z.dtype))
        losses = losses + smooth * (label_smoothing / n_classes)
    if not keep.all():  # an ignored sample's gradient is exactly 0, even when the mean below is NaN (0/0)
        losses = where(keep, losses, 0.0)
    if reduction == "mean":
        return _mean_over(losses.sum(), float(sample_w.sum()))
    return losses.sum() if reduction == "sum" else losses


def _mean_over(total: Tensor, count: float) -> Tensor:
    """total / count; with nothing counted (every sample ignored, an empty batch, class weights summing to 0) the
    value is NaN as in PyTorch (0/0), without numpy's division warning. The gradient is then 0 for ignored
    samples and NaN for counted ones whose weights are 0 (PyTorch's numbers)."""
    return total / count if count != 0 else total * math.nan


def l2_penalty(params: Sequence[Value | Tensor], alpha: float = 1.0) -> Any:
    """alpha * sum of the squares of every parameter (micrograd's demo uses alpha = 1e-4).

    For Value parameters the sum is one weighted-sum node, alpha * sum_p p * p, so the graph stays small.
    """
    params = list(params)
    if not params:
        return Value(0.0)
    if all(isinstance(p, Value) for p in params):
        return weighted_sum([alpha] * len(params), [p * p for p in params])
    if all(isinstance(p, Tensor) for p in params):
        total = (params[0] * params[0]).sum()
        for p in params[1:]:
            total = total + (p * p).sum()
        return total * alpha
    raise TypeError("l2_penalty: the parameters must be all Values or all Tensors, not a mix")


# ----------------------------------------------------------------------------------------------------------------
# Losses by name, and what each one reads
# ----------------------------------------------------------------------------------------------------------------

# A loss declares by attributes what it reads, so anything that keeps the attributes keeps the meaning (a subclass
# of a loss module, ``functools.wraps``, ``functools.partial``): ``takes_logits`` -- raw scores, not probabilities
# (fit's accuracy then cuts a single column at 0, not 0.5); ``one_column_per_class`` -- one prediction column per
# class, with class labels or per-class probabilities as targets.
binary_cross_entropy_with_logits.takes_logits = True  # type: ignore[attr-defined]
hinge_loss.takes_logits = True  # type: ignore[attr-defined]
cross_entropy.takes_logits = True  # type: ignore[attr-defined]
cross_entropy.one_column_per_class = True  # type: ignore[attr-defined]

#: loss names accepted by :func:`nn.fit` and :func:`nn.evaluate`
LOSSES: dict[str, Callable[..., Any]] = {
    "mse": mse_loss,
    "bce": binary_cross_entropy,
    "bce_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge_loss,
}


def get_loss(loss: str | Callable[..., Any]) -> Callable[..., Any]:
    """A loss name from :data:`LOSSES`, or any callable ``loss(prediction, target) -> scalar Tensor``."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; use one of {', '.join(map(repr, LOSSES))} or a callable")
        return LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable loss(prediction, target), got {type(loss).__name__}")
    return loss


def _declared(loss: Any, attribute: str) -> bool:
    """What a loss (a name, a function, a module, or a ``functools.partial`` of one) says about itself."""
    loss = LOSSES.get(loss) if isinstance(loss, str) else loss
    while isinstance(loss, functools.partial):
        loss = loss.func
    return bool(getattr(loss, attribute, False))


def takes_logits(loss: Any) -> bool:
    """True when ``loss`` reads raw scores (logits) rather than probabilities: ``'bce_with_logits'``,
    ``'hinge'``, ``'cross_entropy'``, their modules, and any loss with ``takes_logits = True``."""
    return _declared(loss, "takes_logits")


def one_column_per_class(loss: Any) -> bool:
    """True when ``loss`` wants one prediction column per class (``'cross_entropy'``, ``CrossEntropyLoss``)."""
    return _declared(loss, "one_column_per_class")
